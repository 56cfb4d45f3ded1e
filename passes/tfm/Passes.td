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

def TfmSimplifyShapes : Pass<"tfm-simplify-shapes", "func::FuncOp"> {
  let summary = "Fold shape computations and refine types to a fixpoint";
  let description = [{
    Alternates canonicalization (which folds the shape computations of
    exported models once the shapes they read are static) with the type
    refinement of `tfm-infer-shapes` (which makes the ops consuming folded
    shapes static) until neither changes anything, or `max-iterations` is
    reached. With static inputs this leaves no `tfm.shape` computation
    behind; with dynamic batch and sequence it keeps exactly the ones that
    read a dynamic dimension.
  }];
  let options = [
    Option<"maxIterations", "max-iterations", "unsigned", "16",
           "Upper bound on canonicalize + refine rounds">
  ];
  let dependentDialects = ["::mlir::tensor::TensorDialect"];
}

def TfmSpecializeShapes : Pass<"tfm-specialize-shapes", "func::FuncOp"> {
  let summary = "Give function arguments static shapes";
  let description = [{
    Replaces the types of the named function arguments with the given,
    more static shapes (the driver's `--shape NAME=D0xD1...`). An argument is
    named by its `tfm.name` attribute (the model's input name) or as `argN`;
    a `?` in the dims keeps that dimension dynamic. Run `tfm-infer-shapes`
    (as `tfm-pipeline` does) to propagate the new shapes.

    Example: `--tfm-specialize-shapes="shapes=input_ids=1x128,arg1=1x1x1x128"`.
  }];
  let options = [
    ListOption<"shapes", "shapes", "std::string",
               "NAME=D0xD1x... entries; NAME is an argument's tfm.name or argN">
  ];
}

#endif // KILN_PASSES_TFM_PASSES_TD
