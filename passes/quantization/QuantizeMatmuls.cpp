//===- QuantizeMatmuls.cpp - weight matmuls to tfm.quantized_matmul -------===//
//
// Part of kiln. Implements tfm-quantize-matmuls (see Passes.td) and the
// quantization pipeline.
//
//===----------------------------------------------------------------------===//

#include "passes/quantization/Calibration.h"
#include "passes/quantization/Passes.h"
#include "passes/quantization/Quantizers.h"

#include "dialects/tfm/WeightUtils.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/StringSwitch.h"

#include <algorithm>
#include <cmath>

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMQUANTIZEMATMULS
#include "passes/quantization/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm;

llvm::StringRef tfm::quantizationSchemes() {
  return "w8a8, llm-int8, smoothquant, w8a8-static, w8, w4";
}

bool tfm::isQuantizationScheme(llvm::StringRef scheme) {
  return llvm::is_contained(
      {"w8a8", "llm-int8", "smoothquant", "w8a8-static", "w8", "w4"}, scheme);
}

bool tfm::isCalibratedScheme(llvm::StringRef scheme) {
  return scheme == "smoothquant" || scheme == "w8a8-static";
}

bool tfm::readsCalibration(llvm::StringRef scheme) {
  return isCalibratedScheme(scheme) || scheme == "w8" || scheme == "w4";
}

void tfm::buildQuantizationPipeline(OpPassManager &pm,
                                    const QuantizationOptions &options) {
  if (options.recordActivationRanges) {
    pm.addPass(createTfmRecordActivationRanges());
    return;
  }
  if (options.scheme.empty())
    return;
  if (!options.calibration.empty()) {
    TfmAttachCalibrationOptions attach;
    attach.file = options.calibration;
    pm.addPass(createTfmAttachCalibration(attach));
  }
  TfmQuantizeMatmulsOptions quantize;
  quantize.scheme = options.scheme;
  quantize.groupSize = options.groupSize;
  quantize.outlierThreshold = options.outlierThreshold;
  if (options.scheme == "smoothquant") {
    TfmSmoothActivationsOptions smooth;
    smooth.alpha = options.smoothquantAlpha;
    pm.addPass(createTfmSmoothActivations(smooth));
    quantize.scheme = "w8a8";
  } else if (options.scheme == "w8a8-static") {
    pm.addPass(createTfmReparameterizeActivations());
  } else if ((options.scheme == "w4" || options.scheme == "w8") &&
             !options.calibration.empty()) {
    TfmScaleSalientChannelsOptions scale;
    scale.bits = options.scheme == "w4" ? 4 : 8;
    scale.groupSize = options.groupSize;
    pm.addPass(createTfmScaleSalientChannels(scale));
  }
  pm.addPass(createTfmQuantizeMatmuls(quantize));
}

namespace {

struct TfmQuantizeMatmuls
    : tfm::impl::TfmQuantizeMatmulsBase<TfmQuantizeMatmuls> {
  using TfmQuantizeMatmulsBase::TfmQuantizeMatmulsBase;

  void runOnOperation() override {
    if (!isQuantizationScheme(scheme) || scheme == "smoothquant") {
      getOperation().emitError()
          << "tfm-quantize-matmuls: unknown scheme '" << scheme
          << "' (w8a8, llm-int8, w8a8-static, w8, w4)";
      return signalPassFailure();
    }
    bool weightOnly = scheme == "w8" || scheme == "w4";
    if (weightOnly && (groupSize <= 0 || groupSize % 16)) {
      getOperation().emitError()
          << "tfm-quantize-matmuls: group-size must be a positive multiple "
             "of 16, got "
          << static_cast<int64_t>(groupSize);
      return signalPassFailure();
    }
    if (grid != "least-error" && grid != "min-max") {
      getOperation().emitError()
          << "tfm-quantize-matmuls: unknown grid '" << grid
          << "' (least-error, min-max)";
      return signalPassFailure();
    }
    if (scheme == "llm-int8" && !(outlierThreshold > 0)) {
      getOperation().emitError()
          << "tfm-quantize-matmuls: outlier-threshold must be positive, got "
          << static_cast<float>(outlierThreshold);
      return signalPassFailure();
    }
    SmallVector<MatmulOp> matmuls = collectQuantizableMatmuls(getOperation());
    if (scheme == "w8a8-static")
      for (MatmulOp op : matmuls)
        if (!getStaticInput(op)) {
          op.emitOpError("has no calibrated input range for w8a8-static "
                         "(kiln compile --calibration, from kiln calibrate)");
          return signalPassFailure();
        }
    // One quantized copy per weight, shared by the matmuls that use it.
    llvm::DenseMap<Value, SmallVector<Value, 3>> quantized;
    for (MatmulOp op : matmuls) {
      auto weight = op.getRhs().getDefiningOp<ConstantOp>();
      SmallVector<Value, 3> &operands = quantized[op.getRhs()];
      if (operands.empty())
        operands = quantizeWeight(op, weightOnly);
      if (operands.empty())
        return signalPassFailure();
      replace(op, operands, weightOnly);
      if (weight->use_empty()) {
        quantized.erase(weight.getResult());
        releaseWeight(weight);
      }
    }
  }

  /// w8a8-static: the scale and zero point of op's input, from the
  /// reparameterisation or from its calibrated range.
  static std::optional<std::pair<float, int64_t>> getStaticInput(MatmulOp op) {
    auto scale = op->getAttrOfType<FloatAttr>(kLhsStaticScaleAttrName);
    auto zero = op->getAttrOfType<IntegerAttr>(kLhsStaticZeroPointAttrName);
    if (scale && zero)
      return std::pair{static_cast<float>(scale.getValueAsDouble()),
                       zero.getInt()};
    std::optional<InputRange> range = getInputRange(op);
    if (!range)
      return std::nullopt;
    StaticQuantization q = perTensorQuantization(*range);
    return std::pair{q.scale, q.zeroPoint};
  }

  /// What an error in each input channel of op's weight costs, E[x_k^2],
  /// estimated as max|x_k|^2 from the calibrated range (plus a floor of
  /// 1e-3 of the mean, so that a channel never seen active still counts a
  /// little); empty (all equal) without a calibration.
  static std::vector<float> channelImportance(MatmulOp op) {
    std::optional<InputRange> range = getInputRange(op);
    if (!range || static_cast<int64_t>(range->min.size()) != inputChannels(op))
      return {};
    std::vector<float> importance(range->min.size());
    double mean = 0;
    for (size_t c = 0; c < importance.size(); ++c) {
      float x = std::max(std::fabs(range->min[c]), std::fabs(range->max[c]));
      importance[c] = x * x;
      mean += importance[c] / importance.size();
    }
    for (float &v : importance)
      v += static_cast<float>(1e-3 * mean);
    return importance;
  }

  /// The weight, scale and (weight-only) zero point constants of op's rhs.
  SmallVector<Value, 3> quantizeWeight(MatmulOp op, bool weightOnly) {
    auto constant = op.getRhs().getDefiningOp<ConstantOp>();
    WeightView w(op);
    int64_t k = w.k, n = w.n;
    if (!w.valid()) {
      op.emitOpError("cannot read the weight to quantize it");
      return {};
    }
    auto at = [&](int64_t row, int64_t col) { return w.at(col, row); };
    kiln::quant::QuantizedWeight q =
        weightOnly ? kiln::quant::quantizeAsymmetricGroups(
                         n, k, scheme == "w4" ? 4 : 8, groupSize, at,
                         grid == "min-max"
                             ? kiln::quant::GridChoice::minMax
                             : kiln::quant::GridChoice::leastError,
                         channelImportance(op))
                   : kiln::quant::quantizeSymmetricPerChannel(n, k, at);
    OpBuilder b(constant);
    Location loc = constant.getLoc();
    auto i8 = b.getIntegerType(8);
    SmallVector<Value, 3> operands{
        createBlobConstant(b, loc, RankedTensorType::get({n, k}, i8),
                     "quantized_weight", ArrayRef<int8_t>(q.q)),
        createBlobConstant(b, loc,
                     RankedTensorType::get({n, q.groups}, b.getF32Type()),
                     "weight_scale", ArrayRef<float>(q.scale))};
    if (weightOnly)
      operands.push_back(createBlobConstant(
          b, loc, RankedTensorType::get({n, q.groups}, b.getF32Type()),
          "weight_offset", ArrayRef<float>(q.offset)));
    return operands;
  }

  void replace(MatmulOp op, ArrayRef<Value> weight, bool weightOnly) {
    OpBuilder b(op);
    auto lhsMode =
        weightOnly ? LhsQuantization::none : LhsQuantization::per_token;
    FloatAttr lhsScale;
    IntegerAttr lhsZero;
    if (scheme == "w8a8-static") {
      auto [scale, zero] = *getStaticInput(op);
      lhsMode = LhsQuantization::per_tensor_static;
      lhsScale = b.getF32FloatAttr(scale);
      lhsZero = b.getI64IntegerAttr(zero);
    }
    FloatAttr threshold;
    if (scheme == "llm-int8")
      threshold = b.getF32FloatAttr(outlierThreshold);
    int64_t bits = scheme == "w4" ? 4 : 8;
    // A per-channel multiply of the input by a constant (SmoothQuant's
    // 1 / s, where no norm could take it) goes into the quantizer.
    Value lhs = op.getLhs(), channelScale;
    if (lhsMode == LhsQuantization::per_token && !threshold)
      if (auto mul = lhs.getDefiningOp<MulOp>())
        for (auto [x, c] : {std::pair{mul.getLhs(), mul.getRhs()},
                            std::pair{mul.getRhs(), mul.getLhs()}}) {
          auto type = cast<RankedTensorType>(c.getType());
          if (c.getDefiningOp<ConstantOp>() && type.getRank() == 1 &&
              type.getDimSize(0) == inputChannels(op) &&
              x.getType() == lhs.getType()) {
            lhs = x;
            channelScale = c;
            break;
          }
        }
    auto quantized = QuantizedMatmulOp::create(
        b, op.getLoc(), op.getType(), lhs, weight[0], weight[1], Value(),
        op.getBias(), op.getResidual(), channelScale,
        weightOnly ? weight[2] : Value(), b.getI64IntegerAttr(bits),
        b.getI64IntegerAttr(weightOnly ? groupSize.getValue() : 0),
        LhsQuantizationAttr::get(b.getContext(), lhsMode), threshold,
        op.getActivationAttr(), lhsScale, lhsZero);
    // Keep the node name (run-time messages name the op by it), not the
    // calibration this pass has used.
    quantized->setDiscardableAttrs(op->getDiscardableAttrDictionary());
    for (StringRef name : {kLhsMinAttrName, kLhsMaxAttrName,
                           kLhsStaticScaleAttrName,
                           kLhsStaticZeroPointAttrName})
      quantized->removeDiscardableAttr(name);
    op.replaceAllUsesWith(quantized.getResult());
    Operation *multiply = channelScale ? op.getLhs().getDefiningOp() : nullptr;
    op.erase();
    if (multiply && multiply->use_empty())
      multiply->erase();
  }
};

} // namespace
