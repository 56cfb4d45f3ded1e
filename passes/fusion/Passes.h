//===- Passes.h - fusion passes on tfm --------------------------*- C++ -*-===//
//
// Part of kiln.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_FUSION_PASSES_H
#define KILN_PASSES_FUSION_PASSES_H

#include "dialects/tfm/TfmOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Pass/Pass.h"

namespace mlir::tfm {

#define GEN_PASS_DECL
#include "passes/fusion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/fusion/Passes.h.inc"

void populateFuseGeluPatterns(RewritePatternSet &patterns);
void populateFuseSiluPatterns(RewritePatternSet &patterns);
void populateFuseNormsPatterns(RewritePatternSet &patterns);
void populateFuseMatmulEpiloguePatterns(RewritePatternSet &patterns);
void populateFuseAttentionPatterns(RewritePatternSet &patterns);

} // namespace mlir::tfm

#endif // KILN_PASSES_FUSION_PASSES_H
