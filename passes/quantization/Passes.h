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
  /// Empty: no quantization. Else one of quantizationSchemes(): those of
  /// tfm-quantize-matmuls, or smoothquant (tfm-smooth-activations, then
  /// w8a8).
  std::string scheme;
  int64_t groupSize = 32;
  float outlierThreshold = 6.0f;
  /// The calibration file (kiln calibrate) the calibrated schemes read.
  std::string calibration;
  float smoothquantAlpha = 0.5f;
  /// Instead of quantizing: build kiln calibrate's recording library
  /// (tfm-record-activation-ranges).
  bool recordActivationRanges = false;
};

/// The schemes `--quantize` takes, for messages: "w8a8, llm-int8, ...".
llvm::StringRef quantizationSchemes();

/// Whether `scheme` is one of them.
bool isQuantizationScheme(llvm::StringRef scheme);

/// Whether `scheme` needs a calibration file (smoothquant, w8a8-static).
bool isCalibratedScheme(llvm::StringRef scheme);

/// Whether `scheme` reads a calibration file when given one: the
/// calibrated schemes, and w8 / w4 (activation-aware scaling, AWQ).
bool readsCalibration(llvm::StringRef scheme);

/// Adds the passes `options` asks for (none for an empty scheme).
void buildQuantizationPipeline(OpPassManager &pm,
                               const QuantizationOptions &options);

} // namespace mlir::tfm

#endif // KILN_PASSES_QUANTIZATION_PASSES_H
