//===- Calibration.h - activation ranges for static quantization -*- C++ -*-===//
//
// Part of kiln. SmoothQuant and RepQuant's static scheme need to know the
// range of each weight matmul's input over real data. `kiln calibrate`
// gets it in three steps, and the passes here share what each step needs:
//
//   1. tfm-record-activation-ranges compiles a library whose extra outputs
//      are, per quantizable matmul, the per-channel min and max of its
//      input (calibrationOutputName names them);
//   2. the driver runs it on the calibration samples and keeps the
//      elementwise min and max over all of them (CalibrationStats, written
//      as JSON by writeCalibration);
//   3. tfm-attach-calibration reads that file back into the quantizing
//      compile, as kLhsMinAttrName / kLhsMaxAttrName on each matmul.
//
// Steps 1 and 3 find the matmuls with collectQuantizableMatmuls after the
// same tfm pipeline, so their order is the file's.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_QUANTIZATION_CALIBRATION_H
#define KILN_PASSES_QUANTIZATION_CALIBRATION_H

#include "dialects/tfm/TfmOps.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"

#include <optional>
#include <string>
#include <vector>

namespace mlir::tfm {

/// On a tfm.matmul: the per-channel (last dim) minimum and maximum of its
/// input over the calibration data (array<f32> of K).
inline constexpr llvm::StringLiteral kLhsMinAttrName = "tfm.lhs_min";
inline constexpr llvm::StringLiteral kLhsMaxAttrName = "tfm.lhs_max";
/// On a tfm.matmul: the per-tensor scale (f32) and zero point (i64 in
/// [0, 255]) its input is to be quantized with, as RepQuant's
/// reparameterisation chose them (tfm-reparameterize-activations).
inline constexpr llvm::StringLiteral kLhsStaticScaleAttrName =
    "tfm.lhs_static_scale";
inline constexpr llvm::StringLiteral kLhsStaticZeroPointAttrName =
    "tfm.lhs_static_zero_point";

/// A matmul of activations (f32, not transposed) by a static 2-D f32
/// constant: what the quantization schemes quantize.
bool isQuantizableMatmul(MatmulOp op);

/// The quantizable matmuls of `module`, in the order calibration files use.
llvm::SmallVector<MatmulOp> collectQuantizableMatmuls(ModuleOp module);

/// The matmul's name for messages and calibration files: its ONNX node
/// name, or "matmul #INDEX".
std::string calibrationName(MatmulOp op, int64_t index);

/// K of a quantizable matmul (the channels of its input).
int64_t inputChannels(MatmulOp op);

/// The constant weight of a quantizable matmul read as W[k][n] (K input
/// channels, N outputs) whether or not it is stored transposed. Its data
/// may live in the view (a dense attribute copied), so it is not copied.
struct WeightView {
  explicit WeightView(MatmulOp op);
  WeightView(const WeightView &) = delete;
  WeightView(WeightView &&) = default;
  /// Whether the data could be read (k * n floats).
  bool valid() const { return static_cast<int64_t>(data.size()) == k * n; }
  float at(int64_t row, int64_t col) const {
    return transposed ? data[col * k + row] : data[row * n + col];
  }
  int64_t k = 0, n = 0;

private:
  bool transposed = false;
  std::vector<float> storage;
  llvm::ArrayRef<float> data;
};

/// The calibrated per-channel range of `op`'s input (kLhsMinAttrName and
/// kLhsMaxAttrName, K each), if it has one.
struct InputRange {
  llvm::ArrayRef<float> min, max;
};
std::optional<InputRange> getInputRange(MatmulOp op);
void setInputRange(MatmulOp op, llvm::ArrayRef<float> min,
                   llvm::ArrayRef<float> max);

/// An unsigned 8-bit quantizer with one scale and zero point.
struct StaticQuantization {
  float scale;
  int64_t zeroPoint;
};

/// The per-tensor quantizer of an input whose channels range over `range`:
/// with lo = min(0, min of range.min) and hi = max(0, max of range.max),
/// scale = (hi - lo) / 255 (1 when they are equal) and zero point
/// round_half_even(-lo / scale) in [0, 255], computed in double.
StaticQuantization perTensorQuantization(const InputRange &range);

/// The output of a recording library that holds matmul `index`'s input
/// minimum (or maximum) per channel: "calibration:INDEX:min:NAME".
std::string calibrationOutputName(int64_t index, bool max,
                                  llvm::StringRef name);

/// Parses calibrationOutputName's form back; nullopt for other outputs.
struct CalibrationOutput {
  int64_t index;
  bool max;
  std::string name;
};
std::optional<CalibrationOutput> parseCalibrationOutputName(llvm::StringRef);

/// The ranges of one matmul's input channels.
struct ChannelRanges {
  std::string name;
  std::vector<float> min, max;
};

/// What `kiln calibrate` writes: ranges per quantizable matmul, in
/// collectQuantizableMatmuls order, over `samples` runs.
struct CalibrationStats {
  int64_t samples = 0;
  std::vector<ChannelRanges> matmuls;
};

/// JSON: {"format": "kiln-calibration", "version": 1, "samples": N,
/// "matmuls": [{"name": ..., "min": [...], "max": [...]}, ...]}. Errors
/// name the file.
bool writeCalibration(llvm::StringRef path, const CalibrationStats &stats,
                      std::string &error);
bool readCalibration(llvm::StringRef path, CalibrationStats &stats,
                     std::string &error);

} // namespace mlir::tfm

#endif // KILN_PASSES_QUANTIZATION_CALIBRATION_H
