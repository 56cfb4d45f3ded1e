//===- Pipelines.cpp - pipelines on the tfm dialect -----------------------===//
//
// Part of kiln.
//
//===----------------------------------------------------------------------===//

#include "passes/tfm/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void tfm::buildTfmPipeline(OpPassManager &pm,
                           const TfmPipelineOptions &options) {
  if (!options.shapes.empty()) {
    TfmSpecializeShapesOptions specialize;
    specialize.shapes.assign(options.shapes.begin(), options.shapes.end());
    pm.addNestedPass<func::FuncOp>(createTfmSpecializeShapes(specialize));
  }
  // Canonicalize folds constant shape computations; shape refinement makes
  // their consumers static; the second canonicalize folds what that enables.
  pm.addPass(createCanonicalizerPass());
  pm.addNestedPass<func::FuncOp>(createTfmInferShapes());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void tfm::registerTfmPipelines() {
  PassPipelineRegistration<TfmPipelineOptions>(
      "tfm-pipeline",
      "The tfm-level pipeline: clean up imported tfm IR (canonicalize, "
      "refine shapes, CSE) before lowering",
      buildTfmPipeline);
}
