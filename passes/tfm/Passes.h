//===- Passes.h - passes on the tfm dialect ---------------------*- C++ -*-===//
//
// Part of kiln.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_TFM_PASSES_H
#define KILN_PASSES_TFM_PASSES_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassOptions.h"

namespace mlir::tfm {

#define GEN_PASS_DECL
#include "passes/tfm/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/tfm/Passes.h.inc"

/// Refines the result types of the tfm ops in `func` from their operands in
/// one forward sweep (what tfm-infer-shapes does); returns whether any type
/// changed.
bool refineFunctionTypes(func::FuncOp func);

/// Options of the tfm-level pipeline.
struct TfmPipelineOptions : public PassPipelineOptions<TfmPipelineOptions> {
  ListOption<std::string> shapes{
      *this, "shapes",
      llvm::cl::desc("Static input shapes, NAME=D0xD1x... (see "
                     "tfm-specialize-shapes)")};
  Option<bool> fuse{*this, "fuse",
                    llvm::cl::desc("Run the fusion passes (default true)"),
                    llvm::cl::init(true)};
  Option<std::string> quantizeSoftmax{
      *this, "quantize-softmax",
      llvm::cl::desc("Round attention probabilities: log2 or uniform "
                     "(tfm-quantize-softmax); empty for no"),
      llvm::cl::init("")};
  Option<int64_t> softmaxBits{
      *this, "softmax-bits",
      llvm::cl::desc("Bits of quantize-softmax: 4 (default) or 8"),
      llvm::cl::init(4)};
};

/// The tfm-level pipeline (`--emit=tfm` stops after it): input shape
/// specialisation when `options.shapes` is given, then clean-up
/// (canonicalization, shape refinement, CSE) of imported IR. Fusion passes
/// join it as they land.
void buildTfmPipeline(OpPassManager &pm, const TfmPipelineOptions &options);

/// Registers the tfm pipelines with the global pass registry.
void registerTfmPipelines();

} // namespace mlir::tfm

#endif // KILN_PASSES_TFM_PASSES_H
