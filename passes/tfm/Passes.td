//===- Passes.td - passes on the tfm dialect ---------------*- tablegen -*-===//
//
// Part of kiln. Passes that run on `tfm` IR before lowering. Arguments read
// `tfm-<verb>-<noun>`; each pass has one .cpp and one lit test.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_TFM_PASSES_TD
#define KILN_PASSES_TFM_PASSES_TD

include "mlir/Pass/PassBase.td"

def TfmInferShapes : Pass<"tfm-infer-shapes", "func::FuncOp"> {
  let summary = "Refine tfm result types from their operands";
  let description = [{
    Walks a function in order and re-runs each `tfm` op's type inference,
    making result types as static as the operands allow: static input shapes
    (from `--shape` or from a static model), constant shape operands that
    folding produced, and so on. Declared types are only ever refined, never
    made less static. Uses by ops outside `tfm` keep their old type through a
    `tensor.cast`; the function's result types follow its `return`.

    Folding the shape computations of an exported model alternates with this
    pass: canonicalize folds `shape -> gather -> concat` chains into
    constants, this pass makes the reshape that consumes them static, and the
    next canonicalize folds what that enables.
  }];
  let dependentDialects = ["::mlir::tensor::TensorDialect"];
}

#endif // KILN_PASSES_TFM_PASSES_TD
