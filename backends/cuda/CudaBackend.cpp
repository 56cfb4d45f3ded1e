//===- CudaBackend.cpp - NVIDIA GPU code generation -----------------------===//
//
// Part of kiln.
//
//===----------------------------------------------------------------------===//

#include "backends/cuda/CudaBackend.h"

#include "backends/common/PipelineSteps.h"
#include "backends/cuda/Passes.h"
#include "passes/lowering/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

bool kiln::cuda::isSupportedArch(StringRef arch) {
  return llvm::is_contained({"sm_80", "sm_86", "sm_89", "sm_90", "sm_90a"},
                            arch);
}

bool kiln::cuda::hasToolkit(const TargetOptions &options) {
  for (const char *tool : {"ptxas", "fatbinary"}) {
    llvm::SmallString<128> path(options.toolkit);
    llvm::sys::path::append(path, "bin", tool);
    if (!llvm::sys::fs::can_execute(path))
      return false;
  }
  return true;
}

void kiln::cuda::buildLaunchPipeline(OpPassManager &pm) {
  // Reductions go innermost while ops are still on tensors; then the same
  // bufferization as on the CPU. Buffers move to the device before
  // deallocation is planned (which then frees them like any allocation)
  // and before loops exist, so that copies become loop nests too.
  // Canonicalization first drops loop-carried buffers a loop updates in
  // place (a scatter), so such a loop has no results and can move into a
  // kernel. Every outermost loop nest becomes a kernel before the
  // deallocations are lowered: their host bookkeeping buffers stay host
  // memory. (No canonicalization between loops and launches: it would
  // inline one-iteration loops into host code.)
  OpPassManager &tensors = pm.nest<func::FuncOp>();
  tensors.addPass(tfm::createGpuReductionsInnermost());
  tensors.addPass(tfm::createKilnOwnResults());
  pm.addPass(createOneShotBufferizePass());
  pm.addNestedPass<func::FuncOp>(tfm::createGpuDeviceMemory());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(bufferization::createOwnershipBasedBufferDeallocationPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(bufferization::createBufferDeallocationSimplificationPass());
  OpPassManager &loops = pm.nest<func::FuncOp>();
  loops.addPass(createConvertLinalgToParallelLoopsPass());
  loops.addPass(tfm::createGpuLaunchParallelLoops());
  pm.addPass(bufferization::createLowerDeallocationsPass());
  pm.addNestedPass<func::FuncOp>(tfm::createGpuDeviceDeallocs());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void kiln::cuda::buildKernelPipeline(OpPassManager &pm,
                                     const TargetOptions &options) {
  // The kernels are outlined into one module; host-side GPU ops become
  // asynchronous on a stream, with a wait before any host code that has
  // side effects (gpu-to-llvm needs them async).
  pm.addPass(tfm::createCudaLinkKernels());
  pm.addPass(createGpuKernelOutliningPass());
  pm.addPass(tfm::createGpuMergeModules());
  OpPassManager &host = pm.nest<func::FuncOp>();
  host.addPass(createGpuAsyncRegionPass());
  host.addPass(tfm::createGpuSyncManagedAllocs());
  GpuNVVMAttachTargetOptions nvvm;
  nvvm.chip = options.arch;
  nvvm.optLevel = options.optLevel;
  pm.addPass(createGpuNVVMAttachTarget(nvvm));
  OpPassManager &kernels = pm.nest<gpu::GPUModuleOp>();
  kernels.addPass(memref::createExpandStridedMetadataPass());
  kernels.addPass(createLowerAffinePass());
  kernels.addPass(createSCFToControlFlowPass());
  kernels.addPass(createConvertVectorToLLVMPass());
  kernels.addPass(createConvertGpuOpsToNVVMOps());
  kernels.addPass(createCanonicalizerPass());
  kernels.addPass(createCSEPass());
  kernels.addPass(createReconcileUnrealizedCastsPass());
}

void kiln::cuda::buildSerializePipeline(OpPassManager &pm,
                                        const TargetOptions &options,
                                        bool ptxOnly) {
  GpuModuleToBinaryPassOptions binary;
  binary.compilationTarget =
      !ptxOnly && hasToolkit(options) ? "fatbin" : "isa";
  binary.toolkitPath = options.toolkit;
  pm.addPass(createGpuModuleToBinaryPass(binary));
}

void kiln::cuda::buildHostToLLVMPipeline(OpPassManager &pm) {
  // Host code only computes sizes and launches: no math, no vectors.
  // Allocations that stay on the host (scalars) use the runtime's scratch
  // allocator like on the CPU.
  pm.addPass(tfm::createKilnLowerRuntimeChecks());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  SCFToControlFlowPassOptions scfToCf;
  scfToCf.allowPatternRollback = false; // linear in the host code, as x86
  pm.addPass(createSCFToControlFlowPass(scfToCf));
  pm.addPass(createGpuToLLVMConversionPass());
  addFinalLLVMConversions(pm, /*openmp=*/false);
}

FailureOr<std::string> kiln::cuda::collectPtx(ModuleOp module) {
  std::string ptx;
  for (auto binary : module.getOps<gpu::BinaryOp>())
    for (Attribute attr : binary.getObjects()) {
      auto object = cast<gpu::ObjectAttr>(attr);
      if (object.getFormat() != gpu::CompilationTarget::Assembly)
        return binary.emitError("kernels were not serialized as PTX");
      ptx += object.getObject().getValue().str();
    }
  return ptx;
}
