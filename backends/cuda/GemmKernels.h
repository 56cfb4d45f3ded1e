//===- GemmKernels.h - the CUDA backend's GEMM kernels ----------*- C++ -*-===//
//
// Part of kiln.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_BACKENDS_CUDA_GEMMKERNELS_H
#define KILN_BACKENDS_CUDA_GEMMKERNELS_H

#include "llvm/ADT/StringRef.h"

#include <string>

namespace kiln::cuda {

/// MLIR text of the tensor-core GEMM `name` (type "bf16" or "fp16"): a
/// gpu.module with the kernel and a host function on buffers,
/// `(A: memref<?x?xf32> [M, K], W: memref<?x?xi32> packed [N, KP], n) ->
/// memref<?x?xf32> [M, N]`, that allocates the result on the device and
/// launches the kernel. kiln-cuda-link-kernels substitutes it for the
/// stand-in kiln-cuda-gemm calls.
std::string tensorCoreGemmSource(llvm::StringRef name, llvm::StringRef type);

} // namespace kiln::cuda

#endif // KILN_BACKENDS_CUDA_GEMMKERNELS_H
