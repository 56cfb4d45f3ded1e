//===- CudaTarget.h - kiln's NVIDIA GPU target ------------------*- C++ -*-===//
//
// Part of kiln. The CUDA implementation of backends/Target.h: GEMM and
// attention kernels of its own, every other loop nest a kernel launched
// from host code, PTX from LLVM's NVPTX backend (cubin too when the
// toolkit's ptxas is installed). The host code is compiled, emitted and
// linked by an x86 target. With `gpuEmulate` the kernels' code runs on the
// host instead (to test the GPU lowering without a GPU).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_BACKENDS_CUDA_CUDATARGET_H
#define KILN_BACKENDS_CUDA_CUDATARGET_H

#include "backends/Target.h"
#include "backends/cuda/CudaBackend.h"

#include "mlir/Pass/PassOptions.h"

namespace kiln::cuda {

/// The CUDA target for `config` (createTarget's CUDA half): checks the GPU
/// architecture and that the precision can run where asked.
std::unique_ptr<Target> createCudaTarget(const TargetConfig &config,
                                         std::string &error);

/// Options of kiln-cuda-pipeline.
struct CudaPipelineOptions : mlir::PassPipelineOptions<CudaPipelineOptions> {
  Option<std::string> arch{*this, "arch",
                           llvm::cl::desc("GPU architecture (sm_80 ...)"),
                           llvm::cl::init("sm_80")};
  Option<unsigned> optLevel{*this, "opt-level",
                            llvm::cl::desc("NVPTX optimization level, 0..3"),
                            llvm::cl::init(3)};
  Option<std::string> toolkit{
      *this, "toolkit",
      llvm::cl::desc("CUDA toolkit whose ptxas adds cubins ('' : PTX only)"),
      llvm::cl::init("")};
  Option<bool> emulate{*this, "emulate",
                       llvm::cl::desc("Run the kernels' code on the host "
                                      "(--gpu-emulate)"),
                       llvm::cl::init(false)};
};

/// Linalg on tensors (as the CUDA target lowers tfm) to the LLVM dialect:
/// kernels serialized into a gpu.binary, host code launching them; or with
/// `emulate`, everything host code (kiln-cuda-pipeline).
void buildCudaPipeline(mlir::OpPassManager &pm, const TargetOptions &gpu,
                       bool emulate);

/// Registers kiln-cuda-pipeline.
void registerCudaPipeline();

} // namespace kiln::cuda

#endif // KILN_BACKENDS_CUDA_CUDATARGET_H
