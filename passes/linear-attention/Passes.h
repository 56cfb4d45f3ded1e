//===- Passes.h - linear-attention passes on tfm ----------------*- C++ -*-===//
//
// Part of kiln.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_LINEAR_ATTENTION_PASSES_H
#define KILN_PASSES_LINEAR_ATTENTION_PASSES_H

#include "dialects/tfm/TfmOps.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::tfm {

#define GEN_PASS_DECL
#include "passes/linear-attention/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/linear-attention/Passes.h.inc"

} // namespace mlir::tfm

#endif // KILN_PASSES_LINEAR_ATTENTION_PASSES_H
