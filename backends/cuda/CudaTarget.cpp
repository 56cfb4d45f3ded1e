//===- CudaTarget.cpp - kiln's NVIDIA GPU target --------------------------===//
//
// Part of kiln.
//
//===----------------------------------------------------------------------===//

#include "backends/cuda/CudaTarget.h"
#include "backends/common/ModelLibrary.h"
#include "backends/cuda/Passes.h"
#include "backends/x86/X86Target.h"
#include "passes/lowering/Passes.h"

#include "mlir/Pass/PassRegistry.h"

using namespace mlir;
using namespace kiln::cuda;

namespace {

class CudaTarget : public kiln::Target {
public:
  CudaTarget(TargetOptions gpu, std::string precision, bool emulate,
             std::unique_ptr<kiln::x86::X86Target> host)
      : gpu(std::move(gpu)), precision(std::move(precision)), emulate(emulate),
        host(std::move(host)) {}

  StringRef getName() const override { return "cuda"; }

  void addKernelSelectionPasses(OpPassManager &pm) const override {
    tfm::CudaGemmOptions gemm;
    gemm.precision = precision;
    pm.addPass(tfm::createCudaGemm(gemm));
    pm.addPass(tfm::createCudaAttention());
    pm.addPass(tfm::createCudaLinearAttention());
  }

  bool hasLinearAttentionKernels() const override { return true; }

  void describeLibrary(kiln::ModelSignature &signature) const override {
    // An emulating library is a plain CPU library (built for the generic
    // lowering's features, which it does not record).
    if (!emulate)
      signature.device = "cuda";
  }

  void addToLinalgPasses(OpPassManager &pm) const override {
    // Gather indices live on the device: not read back to check. Emulated
    // kernels are CPU loops, which fuse like the x86 target's.
    tfm::TfmToLinalgPipelineOptions options;
    options.checkIndices = emulate;
    options.fuseElementwise = emulate;
    tfm::buildTfmToLinalgPipeline(pm, options);
  }

  void addLoweringPasses(OpPassManager &pm) const override {
    buildCudaPipeline(pm, gpu, emulate);
  }

  bool hasKernelAssembly() const override { return !emulate; }

  void addKernelAssemblyPasses(OpPassManager &pm) const override {
    buildLaunchPipeline(pm);
    buildKernelPipeline(pm, gpu);
    buildSerializePipeline(pm, gpu, /*ptxOnly=*/true);
  }

  FailureOr<std::string> collectKernelAssembly(ModuleOp module) const override {
    return collectPtx(module);
  }

  LogicalResult optimize(llvm::Module &module,
                         std::string &error) const override {
    return host->optimize(module, error);
  }
  LogicalResult emitObject(llvm::Module &module, SmallVectorImpl<char> &object,
                           std::string &error) const override {
    return host->emitObject(module, object, error);
  }
  LogicalResult linkLibrary(StringRef objectPath, StringRef runtimeArchive,
                            StringRef outputPath,
                            std::string &error) const override {
    return host->linkLibrary(objectPath, runtimeArchive, outputPath, error);
  }

private:
  TargetOptions gpu;
  std::string precision;
  bool emulate;
  std::unique_ptr<kiln::x86::X86Target> host;
};

} // namespace

std::unique_ptr<kiln::Target>
kiln::cuda::createCudaTarget(const TargetConfig &config, std::string &error) {
  if (config.precision != "fp32" && config.gpuEmulate) {
    error = "--precision=" + config.precision +
            " uses tensor cores, which --gpu-emulate cannot run";
    return nullptr;
  }
  if (!isSupportedArch(config.gpuArch)) {
    error = "--gpu-arch=" + config.gpuArch +
            " is not supported; use sm_80, sm_86, sm_89, sm_90 or sm_90a";
    return nullptr;
  }
  TargetOptions gpu;
  gpu.arch = config.gpuArch;
  gpu.optLevel = std::min(config.optLevel, 3u);
  gpu.toolkit = config.cudaPath;
  // The host code runs on this machine's kind of CPU.
  std::unique_ptr<x86::X86Target> host =
      x86::X86Target::create(config, /*forHost=*/true, error);
  if (!host)
    return nullptr;
  return std::make_unique<CudaTarget>(std::move(gpu), config.precision,
                                      config.gpuEmulate, std::move(host));
}

void kiln::cuda::buildCudaPipeline(OpPassManager &pm, const TargetOptions &gpu,
                                   bool emulate) {
  buildLaunchPipeline(pm);
  if (emulate) {
    pm.addNestedPass<func::FuncOp>(tfm::createGpuEmulateOnHost());
    x86::buildLowerToLLVMPipeline(pm);
    return;
  }
  buildKernelPipeline(pm, gpu);
  buildSerializePipeline(pm, gpu, /*ptxOnly=*/false);
  buildHostToLLVMPipeline(pm);
}

void kiln::cuda::registerCudaPipeline() {
  PassPipelineRegistration<CudaPipelineOptions>(
      "kiln-cuda-pipeline",
      "kiln's CUDA lowering: linalg on tensors (--emit=linalg "
      "--target=cuda) to host code in the LLVM dialect with its kernels in "
      "a gpu.binary",
      [](OpPassManager &pm, const CudaPipelineOptions &options) {
        TargetOptions gpu;
        gpu.arch = options.arch;
        gpu.optLevel = std::min(options.optLevel.getValue(), 3u);
        gpu.toolkit = options.toolkit;
        buildCudaPipeline(pm, gpu, options.emulate);
      });
}
