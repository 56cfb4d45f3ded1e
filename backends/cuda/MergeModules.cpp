//===- MergeModules.cpp - one gpu.module for all kernels ------------------===//
//
// Part of kiln. Implements kiln-gpu-merge-modules (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "backends/cuda/Passes.h"

#include "mlir/IR/SymbolTable.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_GPUMERGEMODULES
#include "backends/cuda/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;

namespace {

struct GpuMergeModules
    : mlir::tfm::impl::GpuMergeModulesBase<GpuMergeModules> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<gpu::GPUModuleOp> gpuModules(
        module.getOps<gpu::GPUModuleOp>());
    if (gpuModules.size() < 2)
      return;
    gpu::GPUModuleOp target = gpuModules.front();
    SymbolTable targetSymbols(target);
    // Where each moved symbol went: (old module, old name) -> new name.
    llvm::DenseMap<std::pair<StringAttr, StringAttr>, StringAttr> moved;
    for (gpu::GPUModuleOp source : llvm::drop_begin(gpuModules)) {
      for (Operation &op :
           llvm::make_early_inc_range(source.getBody()->getOperations())) {
        auto symbol = dyn_cast<SymbolOpInterface>(&op);
        if (!symbol)
          continue;
        StringAttr oldName = symbol.getNameAttr();
        op.remove();
        // insert() renames the symbol if the name is taken.
        StringAttr newName = targetSymbols.insert(&op);
        moved[{source.getNameAttr(), oldName}] = newName;
      }
      source.erase();
    }
    module.walk([&](gpu::LaunchFuncOp launch) {
      SymbolRefAttr kernel = launch.getKernel();
      auto it = moved.find({kernel.getRootReference(),
                            kernel.getLeafReference()});
      if (it == moved.end())
        return;
      launch.setKernelAttr(SymbolRefAttr::get(
          target.getNameAttr(), {FlatSymbolRefAttr::get(it->second)}));
    });
  }
};

} // namespace
