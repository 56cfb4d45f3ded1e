//===- PipelineSteps.cpp - steps every backend's pipeline shares ---------===//
//
// Part of kiln.
//
//===----------------------------------------------------------------------===//

#include "backends/common/PipelineSteps.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"

std::unique_ptr<mlir::Pass> kiln::createOneShotBufferizePass() {
  mlir::bufferization::OneShotBufferizePassOptions options;
  options.bufferizeFunctionBoundaries = true;
  options.allowReturnAllocsFromLoops = true;
  options.functionBoundaryTypeConversion =
      mlir::bufferization::LayoutMapOption::IdentityLayoutMap;
  return mlir::bufferization::createOneShotBufferizePass(options);
}

void kiln::addFinalLLVMConversions(mlir::OpPassManager &pm, bool openmp) {
  mlir::FinalizeMemRefToLLVMConversionPassOptions memrefs;
  memrefs.useGenericFunctions = true;
  pm.addPass(mlir::createFinalizeMemRefToLLVMConversionPass(memrefs));
  pm.addPass(mlir::createArithToLLVMConversionPass());
  pm.addPass(mlir::createConvertIndexToLLVMPass());
  pm.addPass(mlir::createConvertControlFlowToLLVMPass());
  pm.addPass(mlir::createConvertFuncToLLVMPass());
  if (openmp)
    pm.addPass(mlir::createConvertOpenMPToLLVMPass());
  pm.addPass(mlir::createReconcileUnrealizedCastsPass());
}
