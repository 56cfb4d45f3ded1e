//===- Passes.h - quantization passes on tfm --------------------*- C++ -*-===//
//
// Part of kiln.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_QUANTIZATION_PASSES_H
#define KILN_PASSES_QUANTIZATION_PASSES_H

#include "dialects/tfm/TfmOps.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"

#include <string>

namespace mlir::tfm {

#define GEN_PASS_DECL
#include "passes/quantization/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/quantization/Passes.h.inc"

/// What `kiln compile --quantize=...` asks for.
struct QuantizationOptions {
  /// Empty: no quantization. Else a scheme of tfm-quantize-matmuls.
  std::string scheme;
  int64_t groupSize = 32;
  float outlierThreshold = 6.0f;
};

/// The schemes `--quantize` takes, for messages: "w8a8, llm-int8, w8, w4".
llvm::StringRef quantizationSchemes();

/// Whether `scheme` is one of them.
bool isQuantizationScheme(llvm::StringRef scheme);

/// Adds the passes `options` asks for (none for an empty scheme).
void buildQuantizationPipeline(OpPassManager &pm,
                               const QuantizationOptions &options);

} // namespace mlir::tfm

#endif // KILN_PASSES_QUANTIZATION_PASSES_H
