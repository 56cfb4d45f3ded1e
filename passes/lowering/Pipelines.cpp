//===- Pipelines.cpp - the tfm-to-linalg pipeline -------------------------===//
//
// Part of kiln.
//
//===----------------------------------------------------------------------===//

#include "passes/lowering/Passes.h"

#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void tfm::buildTfmToLinalgPipeline(OpPassManager &pm,
                                   const TfmToLinalgPipelineOptions &options) {
  OpPassManager &func = pm.nest<func::FuncOp>();
  TfmToLinalgOptions lowering;
  lowering.checkIndices = options.checkIndices;
  func.addPass(createTfmToLinalg(lowering));
  func.addPass(createCanonicalizerPass());
  func.addPass(createCSEPass());
  if (!options.fuseElementwise)
    return;
  func.addPass(createLinalgElementwiseOpFusionPass());
  func.addPass(createCanonicalizerPass());
}
