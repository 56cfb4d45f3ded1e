//===- Passes.h - lowering passes -------------------------------*- C++ -*-===//
//
// Part of kiln.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_LOWERING_PASSES_H
#define KILN_PASSES_LOWERING_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/Pass.h"

namespace mlir::tfm {

#define GEN_PASS_DECL
#include "passes/lowering/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/lowering/Passes.h.inc"

/// Which run-time checks the tfm-to-linalg patterns emit besides those of
/// broadcasts (always).
struct TfmToLinalgChecks {
  bool indices = true; ///< Gather, embedding and scatter indices in range.
};

/// The tfm-to-linalg rewrite patterns, one per tfm op.
void populateTfmToLinalgPatterns(RewritePatternSet &patterns,
                                 const TfmToLinalgChecks &checks = {});

/// How the tfm-to-linalg pipeline runs on a target.
struct TfmToLinalgPipelineOptions {
  /// Gather, embedding and scatter indices checked at run time (off where
  /// they live on a device and reading them back would cost a transfer).
  bool checkIndices = true;
  /// Chains of elementwise linalg.generic ops fused into one loop nest
  /// (One-Shot Bufferize is superlinear in the number of ops: a 2,000-op
  /// chain takes 135 s unfused, 5 s fused).
  bool fuseElementwise = true;
};

/// tfm to linalg/tensor on tensors, cleaned up (`--emit=linalg`).
void buildTfmToLinalgPipeline(OpPassManager &pm,
                              const TfmToLinalgPipelineOptions &options);

} // namespace mlir::tfm

#endif // KILN_PASSES_LOWERING_PASSES_H
