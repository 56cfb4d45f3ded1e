//===- Pipelines.cpp - pipelines on the tfm dialect -----------------------===//
//
// Part of kiln.
//
//===----------------------------------------------------------------------===//

#include "passes/fusion/Passes.h"
#include "passes/quantization/Passes.h"
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
  // Fold shape computations and refine types until nothing changes, share
  // what is computed twice, then recompose the exporters' primitives into
  // transformer ops: norms and activations first (attention and epilogues
  // match on their results), then attention, then matmul epilogues.
  pm.addNestedPass<func::FuncOp>(createTfmSimplifyShapes());
  pm.addPass(createCSEPass());
  pm.addPass(createCanonicalizerPass());
  // Not an optimisation: nothing else lowers ONNX Runtime's dynamically
  // quantized matmuls.
  pm.addPass(createTfmFuseIntegerMatmuls());
  // Before attention fusion: the probabilities it rounds are what the
  // fused kernel would keep to itself.
  if (!options.quantizeSoftmax.empty()) {
    TfmQuantizeSoftmaxOptions softmax;
    softmax.scheme = options.quantizeSoftmax;
    softmax.bits = options.softmaxBits;
    pm.addPass(createTfmQuantizeSoftmax(softmax));
  }
  if (!options.fuse)
    return;
  pm.addNestedPass<func::FuncOp>(createTfmFuseNorms());
  pm.addNestedPass<func::FuncOp>(createTfmFuseGelu());
  pm.addNestedPass<func::FuncOp>(createTfmFuseSilu());
  pm.addNestedPass<func::FuncOp>(createTfmFuseAttention());
  pm.addNestedPass<func::FuncOp>(createTfmFuseMatmulEpilogue());
  pm.addNestedPass<func::FuncOp>(createTfmFuseQkv());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void tfm::registerTfmPipelines() {
  PassPipelineRegistration<TfmPipelineOptions>(
      "tfm-pipeline",
      "The tfm-level pipeline: clean up imported tfm IR (fold shape "
      "computations and refine types to a fixpoint, CSE) before lowering",
      buildTfmPipeline);
}
