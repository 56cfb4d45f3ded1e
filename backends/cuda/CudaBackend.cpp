//===- CudaBackend.cpp - NVIDIA GPU code generation -----------------------===//
//
// Part of kiln.
//
//===----------------------------------------------------------------------===//

#include "backends/cuda/CudaBackend.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Pass/PassRegistry.h"
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

static LogicalResult parse(OpPassManager &pm, const std::string &pipeline,
                           std::string &error) {
  llvm::raw_string_ostream os(error);
  return parsePassPipeline(pipeline, pm, os);
}

LogicalResult kiln::cuda::buildLaunchPipeline(OpPassManager &pm,
                                              std::string &error) {
  // Reductions go innermost while ops are still on tensors; then the same
  // bufferization as on the CPU. Buffers move to the device before
  // deallocation is planned (which then frees them like any allocation)
  // and before loops exist, so that copies become loop nests too.
  // Canonicalization first drops loop-carried buffers a loop updates in
  // place (a scatter), so such a loop has no results and can move into a
  // kernel. Every
  // outermost loop nest becomes a kernel before the deallocations are
  // lowered: their host bookkeeping buffers stay host memory. (No
  // canonicalization between loops and launches: it would inline
  // one-iteration loops into host code.)
  return parse(pm,
               "func.func(kiln-gpu-reductions-innermost, kiln-own-results),"
               "one-shot-bufferize{bufferize-function-boundaries "
               "allow-return-allocs-from-loops "
               "function-boundary-type-conversion=identity-layout-map},"
               "func.func(kiln-gpu-device-memory), canonicalize,"
               "ownership-based-buffer-deallocation, canonicalize,"
               "buffer-deallocation-simplification,"
               "func.func(convert-linalg-to-parallel-loops,"
               "kiln-gpu-launch-parallel-loops),"
               "bufferization-lower-deallocations,"
               "func.func(kiln-gpu-device-deallocs), canonicalize, cse",
               error);
}

LogicalResult kiln::cuda::buildKernelPipeline(OpPassManager &pm,
                                              const TargetOptions &options,
                                              std::string &error) {
  // The kernels are outlined into one module; host-side GPU ops become
  // asynchronous on a stream, with a wait before any host code that has
  // side effects (gpu-to-llvm needs them async).
  return parse(pm,
               "kiln-cuda-link-kernels, gpu-kernel-outlining, "
               "kiln-gpu-merge-modules,"
               "func.func(gpu-async-region, kiln-gpu-sync-managed-allocs),"
               "nvvm-attach-target{chip=" +
                   options.arch + " O=" + std::to_string(options.optLevel) +
                   "},"
                   "gpu.module(expand-strided-metadata, lower-affine,"
                   "convert-scf-to-cf, convert-vector-to-llvm,"
                   "convert-gpu-to-nvvm, canonicalize, "
                   "cse, reconcile-unrealized-casts)",
               error);
}

LogicalResult kiln::cuda::buildSerializePipeline(OpPassManager &pm,
                                                 const TargetOptions &options,
                                                 bool ptxOnly,
                                                 std::string &error) {
  std::string format = ptxOnly                ? "isa"
                       : hasToolkit(options) ? "fatbin"
                                             : "isa";
  return parse(pm,
               "gpu-module-to-binary{format=" + format +
                   " toolkit=" + options.toolkit + "}",
               error);
}

LogicalResult kiln::cuda::buildHostToLLVMPipeline(OpPassManager &pm,
                                                  std::string &error) {
  // Host code only computes sizes and launches: no math, no vectors.
  // Allocations that stay on the host (scalars) use the runtime's scratch
  // allocator like on the CPU.
  return parse(pm,
               "kiln-lower-runtime-checks, expand-strided-metadata,"
               "lower-affine, convert-scf-to-cf, gpu-to-llvm,"
               "finalize-memref-to-llvm{use-generic-functions},"
               "convert-arith-to-llvm, convert-index-to-llvm,"
               "convert-cf-to-llvm, convert-func-to-llvm,"
               "reconcile-unrealized-casts",
               error);
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
