//===- LinkKernels.cpp - GPU kernels take their stand-ins' place ----------===//
//
// Part of kiln. Implements kiln-cuda-link-kernels (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "backends/common/MatmulKernels.h"
#include "backends/cuda/GemmKernels.h"
#include "backends/cuda/Passes.h"

#include "mlir/Parser/Parser.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_CUDALINKKERNELS
#include "backends/cuda/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;

namespace {

struct CudaLinkKernels
    : mlir::tfm::impl::CudaLinkKernelsBase<CudaLinkKernels> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<func::FuncOp> standIns;
    for (auto func : module.getOps<func::FuncOp>())
      if (func->hasAttr("kiln.gpu_kernel"))
        standIns.push_back(func);
    for (func::FuncOp standIn : standIns) {
      auto type = standIn->getAttrOfType<StringAttr>("kiln.gpu_kernel");
      std::string source =
          type ? kiln::cuda::tensorCoreGemmSource(standIn.getName(),
                                                  type.getValue())
               : std::string();
      OwningOpRef<ModuleOp> parsed =
          parseSourceString<ModuleOp>(source, &getContext());
      auto kernel = parsed ? parsed->lookupSymbol<func::FuncOp>(
                                 standIn.getName())
                           : func::FuncOp();
      if (!kernel || kernel.getFunctionType() != standIn.getFunctionType()) {
        standIn.emitError("no GPU kernel matches this stand-in");
        return signalPassFailure();
      }
      // The stand-in keeps its symbol and argument attributes; its body is
      // the kernel's host function.
      standIn.getBody().getBlocks().clear();
      standIn.getBody().takeBody(kernel.getBody());
      standIn->removeAttr("kiln.gpu_kernel");
      kernel.erase();
      kiln::moveModuleContents(*parsed, module);
    }
  }
};

} // namespace
