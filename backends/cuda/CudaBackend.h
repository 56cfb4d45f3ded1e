//===- CudaBackend.h - NVIDIA GPU code generation ---------------*- C++ -*-===//
//
// Part of kiln. From linalg on tensors to a host module in the LLVM dialect
// whose kernels are embedded as PTX (and cubin, when the CUDA toolkit's
// ptxas is installed) and launched through the mgpu* calls that
// runtime/cuda_driver.c implements over the CUDA driver API.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_BACKENDS_CUDA_CUDABACKEND_H
#define KILN_BACKENDS_CUDA_CUDABACKEND_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"

#include <string>

namespace kiln::cuda {

struct TargetOptions {
  std::string arch = "sm_80"; ///< sm_80, sm_86, sm_89 or sm_90a.
  unsigned optLevel = 3;      ///< 0..3, for LLVM's NVPTX backend and ptxas.
  /// The CUDA toolkit; when its bin/ptxas and bin/fatbinary exist the
  /// kernels are embedded as a fatbin (cubin plus PTX), else as PTX only.
  std::string toolkit = "/usr/local/cuda";
};

/// The GPU architectures --gpu-arch accepts.
bool isSupportedArch(llvm::StringRef arch);

/// Whether `options.toolkit` can assemble cubins (ptxas and fatbinary).
bool hasToolkit(const TargetOptions &options);

/// Linalg on tensors to host code with gpu.launch ops: bufferization,
/// device buffers, loop nests to launches, deallocation.
void buildLaunchPipeline(mlir::OpPassManager &pm);

/// After buildLaunchPipeline: outlining into one gpu.module, async host
/// ops, NVVM. Stops before the kernels are serialized.
void buildKernelPipeline(mlir::OpPassManager &pm,
                         const TargetOptions &options);

/// Serializes the kernels (`ptxOnly`: as PTX text, for --emit=ptx) and
/// lowers the host code to the LLVM dialect.
void buildSerializePipeline(mlir::OpPassManager &pm,
                            const TargetOptions &options, bool ptxOnly);

/// After buildSerializePipeline: the host code to the LLVM dialect.
void buildHostToLLVMPipeline(mlir::OpPassManager &pm);

/// The PTX of every gpu.binary in `module` (after serializing as PTX).
mlir::FailureOr<std::string> collectPtx(mlir::ModuleOp module);

} // namespace kiln::cuda

#endif // KILN_BACKENDS_CUDA_CUDABACKEND_H
