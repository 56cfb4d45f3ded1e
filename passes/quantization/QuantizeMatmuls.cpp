//===- QuantizeMatmuls.cpp - weight matmuls to tfm.quantized_matmul -------===//
//
// Part of kiln. Implements tfm-quantize-matmuls (see Passes.td) and the
// quantization pipeline.
//
//===----------------------------------------------------------------------===//

#include "passes/quantization/Passes.h"
#include "passes/quantization/Quantizers.h"

#include "dialects/tfm/WeightUtils.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/StringSwitch.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMQUANTIZEMATMULS
#include "passes/quantization/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm;

llvm::StringRef tfm::quantizationSchemes() { return "w8a8, llm-int8, w8, w4"; }

bool tfm::isQuantizationScheme(llvm::StringRef scheme) {
  return llvm::is_contained({"w8a8", "llm-int8", "w8", "w4"}, scheme);
}

void tfm::buildQuantizationPipeline(OpPassManager &pm,
                                    const QuantizationOptions &options) {
  if (options.scheme.empty())
    return;
  TfmQuantizeMatmulsOptions quantize;
  quantize.scheme = options.scheme;
  quantize.groupSize = options.groupSize;
  quantize.outlierThreshold = options.outlierThreshold;
  pm.addPass(createTfmQuantizeMatmuls(quantize));
}

namespace {

struct TfmQuantizeMatmuls
    : tfm::impl::TfmQuantizeMatmulsBase<TfmQuantizeMatmuls> {
  using TfmQuantizeMatmulsBase::TfmQuantizeMatmulsBase;

  void runOnOperation() override {
    if (!isQuantizationScheme(scheme)) {
      getOperation().emitError()
          << "tfm-quantize-matmuls: unknown scheme '" << scheme << "' ("
          << quantizationSchemes() << ")";
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
    if (scheme == "llm-int8" && !(outlierThreshold > 0)) {
      getOperation().emitError()
          << "tfm-quantize-matmuls: outlier-threshold must be positive, got "
          << static_cast<float>(outlierThreshold);
      return signalPassFailure();
    }
    SmallVector<MatmulOp> matmuls;
    getOperation().walk([&](MatmulOp op) {
      if (isQuantizable(op))
        matmuls.push_back(op);
    });
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

  /// A matmul of activations by a static 2-D f32 constant.
  static bool isQuantizable(MatmulOp op) {
    auto lhs = cast<RankedTensorType>(op.getLhs().getType());
    auto rhs = cast<RankedTensorType>(op.getRhs().getType());
    return op.getRhs().getDefiningOp<ConstantOp>() && !op.getTransposeLhs() &&
           lhs.getElementType().isF32() && rhs.getElementType().isF32() &&
           rhs.getRank() == 2 && rhs.hasStaticShape() &&
           op.getType().getElementType().isF32();
  }

  /// The weight, scale and (weight-only) zero point constants of op's rhs.
  SmallVector<Value, 3> quantizeWeight(MatmulOp op, bool weightOnly) {
    auto constant = op.getRhs().getDefiningOp<ConstantOp>();
    auto type = cast<RankedTensorType>(op.getRhs().getType());
    bool transposed = op.getTransposeRhs();
    int64_t k = type.getDimSize(transposed ? 1 : 0);
    int64_t n = type.getDimSize(transposed ? 0 : 1);
    std::vector<float> storage;
    ArrayRef<float> w = getWeightFloats(constant.getValue(), storage);
    if (static_cast<int64_t>(w.size()) != n * k) {
      op.emitOpError("cannot read the weight to quantize it");
      return {};
    }
    auto at = [&](int64_t row, int64_t col) {
      return transposed ? w[row * k + col] : w[col * n + row];
    };
    kiln::quant::QuantizedWeight q =
        weightOnly ? kiln::quant::quantizeAsymmetricGroups(
                         n, k, scheme == "w4" ? 4 : 8, groupSize, at)
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
          b, loc, RankedTensorType::get({n, q.groups}, i8),
          "weight_zero_point", ArrayRef<int8_t>(q.zeroPoint)));
    return operands;
  }

  void replace(MatmulOp op, ArrayRef<Value> weight, bool weightOnly) {
    OpBuilder b(op);
    auto lhsMode =
        weightOnly ? LhsQuantization::none : LhsQuantization::per_token;
    FloatAttr threshold;
    if (scheme == "llm-int8")
      threshold = b.getF32FloatAttr(outlierThreshold);
    int64_t bits = scheme == "w4" ? 4 : 8;
    auto quantized = QuantizedMatmulOp::create(
        b, op.getLoc(), op.getType(), op.getLhs(), weight[0], weight[1],
        weightOnly ? weight[2] : Value(), op.getBias(), op.getResidual(),
        b.getI64IntegerAttr(bits),
        b.getI64IntegerAttr(weightOnly ? groupSize.getValue() : 0),
        LhsQuantizationAttr::get(b.getContext(), lhsMode), threshold,
        op.getActivationAttr(), FloatAttr(), IntegerAttr());
    // Keep the node name (run-time messages name the op by it).
    quantized->setDiscardableAttrs(op->getDiscardableAttrDictionary());
    op.replaceAllUsesWith(quantized.getResult());
    op.erase();
  }
};

} // namespace
