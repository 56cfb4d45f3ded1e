//===- FuseIntegerMatmuls.cpp - dynamically quantized matmuls to int8 GEMMs ===//
//
// Part of kiln. Implements tfm-fuse-integer-matmuls (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "passes/quantization/Passes.h"

#include "dialects/tfm/WeightUtils.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Matchers.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMFUSEINTEGERMATMULS
#include "passes/quantization/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm;

namespace {

/// The codes of a constant of 8-bit integers (i8 or ui8), widened.
std::optional<std::vector<int32_t>> constantCodes(Value value) {
  auto constant = value.getDefiningOp<ConstantOp>();
  if (!constant ||
      !cast<RankedTensorType>(value.getType()).getElementType().isInteger(8))
    return std::nullopt;
  return getWeightIntegers(constant.getValue());
}

/// The values of an f32 constant.
std::optional<std::vector<float>> constantFloats(Value value) {
  auto constant = value.getDefiningOp<ConstantOp>();
  if (!constant ||
      !cast<RankedTensorType>(value.getType()).getElementType().isF32())
    return std::nullopt;
  std::vector<float> storage;
  ArrayRef<float> values = getWeightFloats(constant.getValue(), storage);
  if (values.empty())
    return std::nullopt;
  return std::vector<float>(values.begin(), values.end());
}

/// The value at column `j` of a per-tensor (one element) or per-column
/// (`n` elements) parameter.
template <typename T>
T column(const std::vector<T> &values, int64_t j) {
  return values.size() == 1 ? values[0] : values[j];
}

/// tfm.quantized_matmul's weight operands for an 8-bit weight `codes`
/// [K, N] (uint8 when `isUnsigned`) with zero points and scales (each 1 or
/// N): the codes [N, K] minus their zero point when that fits in int8
/// (ONNX Runtime's signed symmetric weights); else (uint8 weights) the
/// codes shifted into int8 with a zero point per channel.
struct IntegerWeight {
  Value weight, scale, zeroPoint;
};
IntegerWeight buildWeight(OpBuilder &b, Location loc, int64_t k, int64_t n,
                          const std::vector<int32_t> &weight, bool isUnsigned,
                          const std::vector<int32_t> &weightZero,
                          const std::vector<float> &weightScale) {
  bool fits = true;
  for (int64_t i = 0; i < k * n && fits; ++i) {
    int32_t code = weight[i] - column(weightZero, i % n);
    fits = code >= -128 && code <= 127;
  }
  int32_t shift = isUnsigned ? 128 : 0;
  std::vector<int8_t> codes(n * k), zeros;
  for (int64_t j = 0; j < n; ++j)
    for (int64_t kk = 0; kk < k; ++kk)
      codes[j * k + kk] = static_cast<int8_t>(
          weight[kk * n + j] - (fits ? column(weightZero, j) : shift));
  if (!fits)
    for (int64_t j = 0; j < n; ++j)
      zeros.push_back(static_cast<int8_t>(column(weightZero, j) - shift));
  std::vector<float> scales(n);
  for (int64_t j = 0; j < n; ++j)
    scales[j] = column(weightScale, j);
  IntegerWeight w;
  w.weight = createBlobConstant(
      b, loc, RankedTensorType::get({n, k}, b.getIntegerType(8)),
      "integer_matmul_weight", ArrayRef<int8_t>(codes));
  w.scale = createBlobConstant(
      b, loc, RankedTensorType::get({n, 1}, b.getF32Type()),
      "integer_matmul_scale", ArrayRef<float>(scales));
  if (!fits)
    w.zeroPoint = createBlobConstant(
        b, loc, RankedTensorType::get({n, 1}, b.getIntegerType(8)),
        "integer_matmul_zero_point", ArrayRef<int8_t>(zeros));
  return w;
}

/// One integer matmul, matched.
struct Match {
  MatmulIntegerOp product;
  CastOp toFloat;
  MulOp rescale;                ///< out = float(product) * scales
  Value scales;                 ///< s_x * s_w, or (static) the weight's
  /// A as ONNX Runtime's dynamic quantizer computes it, or (static) codes
  /// gathered from a constant table with a constant zero point.
  DynamicQuantizeOp quantize;
  GatherOp gather;
  std::vector<int32_t> table;   ///< static: the gathered table's codes
  int32_t tableZero = 0;        ///< static: their zero point
  std::vector<int32_t> weight, weightZero; ///< [K, N]; 1 or N
  std::vector<float> weightScale;          ///< 1 or N
};

struct TfmFuseIntegerMatmuls
    : tfm::impl::TfmFuseIntegerMatmulsBase<TfmFuseIntegerMatmuls> {
  void runOnOperation() override {
    SmallVector<MatmulIntegerOp> products;
    getOperation().walk([&](MatmulIntegerOp op) { products.push_back(op); });
    bool failed = false;
    for (MatmulIntegerOp product : products) {
      Match match;
      if (std::string why = matchChain(product, match); !why.empty()) {
        product.emitOpError("cannot run: kiln runs an integer matmul only as "
                            "ONNX Runtime's dynamic quantization exports it "
                            "(DynamicQuantizeLinear, MatMulInteger, Cast, "
                            "Mul by the two scales); here ")
            << why;
        failed = true;
        continue;
      }
      rewrite(match);
    }
    SmallVector<MatmulOp> qdq;
    getOperation().walk([&](MatmulOp op) { qdq.push_back(op); });
    for (MatmulOp op : qdq)
      fuseQdqMatmul(op);
    // The quantized weights left: their real values.
    getOperation().walk([&](DequantizeOp op) {
      if (auto constant = op.getInput().getDefiningOp<ConstantOp>())
        failed |= ::failed(foldDequantize(op, constant));
    });
    // What is left of the quantizers once their matmuls are fused.
    getOperation().walk([&](DynamicQuantizeOp op) {
      if (op->use_empty())
        op.erase();
      else if (!failed) {
        op.emitOpError("cannot run: kiln runs DynamicQuantizeLinear only "
                       "feeding integer matmuls");
        failed = true;
      }
    });
    if (failed)
      signalPassFailure();
  }

  /// The product of two f32 constants, each a scalar or a vector, as
  /// ONNX's Mul computes it (broadcast, one rounding).
  static std::optional<std::vector<float>> constantProduct(Value a, Value b) {
    auto x = constantFloats(a), y = constantFloats(b);
    if (!x || !y || (x->size() != 1 && y->size() != 1 && x->size() != y->size()))
      return std::nullopt;
    std::vector<float> out(std::max(x->size(), y->size()));
    for (size_t i = 0; i < out.size(); ++i)
      out[i] = column(*x, i) * column(*y, i);
    return out;
  }

  /// Matches the chain from `product`; returns what does not match, or an
  /// empty string.
  static std::string matchChain(MatmulIntegerOp product, Match &m) {
    m.product = product;
    m.quantize = product.getLhs().getDefiningOp<DynamicQuantizeOp>();
    m.gather = product.getLhs().getDefiningOp<GatherOp>();
    if (m.quantize) {
      if (product.getLhsZeroPoint() != m.quantize.getZeroPoint())
        return "its A zero point is not the DynamicQuantizeLinear's";
    } else if (auto table = m.gather ? constantCodes(m.gather.getInput())
                                     : std::nullopt) {
      m.table = std::move(*table);
      auto zero = product.getLhsZeroPoint()
                      ? constantCodes(product.getLhsZeroPoint())
                      : std::vector<int32_t>{0};
      if (!zero)
        return "the zero point of its gathered A is not a constant";
      m.tableZero = (*zero)[0];
    } else {
      return "its A is neither the output of a DynamicQuantizeLinear nor "
             "gathered from an initializer";
    }
    auto weight = constantCodes(product.getRhs());
    if (!weight)
      return "its B is not a constant (an initializer)";
    m.weight = std::move(*weight);
    m.weightZero = {0};
    if (Value zero = product.getRhsZeroPoint()) {
      auto values = constantCodes(zero);
      if (!values)
        return "its B zero point is not a constant";
      m.weightZero = std::move(*values);
    }
    if (!product->hasOneUse() ||
        !(m.toFloat = dyn_cast<CastOp>(*product->user_begin())) ||
        !m.toFloat.getType().getElementType().isF32())
      return "its result is not only cast to f32";
    if (!m.toFloat->hasOneUse() ||
        !(m.rescale = dyn_cast<MulOp>(*m.toFloat->user_begin())))
      return "its float result is not only multiplied by the scales";
    if (m.rescale.getType() != m.toFloat.getType())
      return "the rescale broadcasts its result to another shape";
    Value scales = m.scales = m.rescale.getLhs() == m.toFloat.getResult()
                                  ? m.rescale.getRhs()
                                  : m.rescale.getLhs();
    auto scalesProduct = scales.getDefiningOp<MulOp>();
    std::optional<std::vector<float>> weightScale;
    if (m.quantize) {
      // s_x * s_w: the weight's part is the other factor.
      Value sx = m.quantize.getScale();
      if (scalesProduct && scalesProduct.getLhs() == sx)
        weightScale = constantFloats(scalesProduct.getRhs());
      else if (scalesProduct && scalesProduct.getRhs() == sx)
        weightScale = constantFloats(scalesProduct.getLhs());
    } else {
      // Static: all of it (folded, or a product of constants), with the
      // activations' scale taken as 1.
      weightScale = scalesProduct ? constantProduct(scalesProduct.getLhs(),
                                                    scalesProduct.getRhs())
                                  : constantFloats(scales);
    }
    int64_t n = product.getType().getShape().back();
    if (!weightScale ||
        (weightScale->size() != 1 &&
         static_cast<int64_t>(weightScale->size()) != n) ||
        cast<RankedTensorType>(scales.getType()).getRank() > 1)
      return m.quantize ? "the scale it is multiplied by is not the "
                          "DynamicQuantizeLinear's times a constant"
                        : "the scale it is multiplied by is not a constant "
                          "scalar or one per column";
    m.weightScale = std::move(*weightScale);
    return "";
  }

  /// A tfm.matmul of a dequantized 8-bit weight `[K, N]` (per tensor or
  /// per column; statically quantized, or weight-only) becomes a
  /// tfm.quantized_matmul on its codes: `lhs per_tensor_static` when its
  /// lhs is a per-tensor quantize-dequantize pair (the product of the two
  /// code grids is exact in int32), else weight-only. Other matmuls stay.
  static void fuseQdqMatmul(MatmulOp op) {
    auto dequantized = op.getRhs().getDefiningOp<DequantizeOp>();
    auto constant =
        dequantized ? dequantized.getInput().getDefiningOp<ConstantOp>()
                    : nullptr;
    if (!constant || op.getTransposeLhs() || op.getTransposeRhs() ||
        op.getBias() || op.getResidual() || op.getActivation())
      return;
    auto type = cast<RankedTensorType>(constant.getType());
    auto element = cast<quant::QuantizedType>(type.getElementType());
    std::optional<UniformQuantization> wq =
        getUniformQuantization(element);
    std::optional<std::vector<int32_t>> codes =
        getWeightIntegers(constant.getValue());
    if (type.getRank() != 2 || !wq || !codes)
      return;
    if (!wq->blockCounts.empty()) {
      fuseBlockedMatmul(op, constant, dequantized, *wq, std::move(*codes));
      return;
    }
    if (element.getStorageTypeIntegralWidth() != 8 ||
        (wq->axis != -1 && wq->axis != 1))
      return;
    Value lhs = op.getLhs();
    LhsQuantization mode = LhsQuantization::none;
    FloatAttr lhsScale;
    IntegerAttr lhsZero;
    OpBuilder b(op);
    auto pair = lhs.getDefiningOp<DequantizeOp>();
    auto quantize = pair ? pair.getInput().getDefiningOp<QuantizeOp>()
                         : nullptr;
    auto xq = quantize ? dyn_cast<quant::UniformQuantizedType>(
                             quantize.getType().getElementType())
                       : nullptr;
    if (xq && xq.getStorageTypeIntegralWidth() == 8) {
      // The kernel's codes are uint8: int8 ones and their zero point shift
      // by 128 (the same clamp, moved).
      lhs = quantize.getInput();
      mode = LhsQuantization::per_tensor_static;
      lhsScale = b.getF32FloatAttr(static_cast<float>(xq.getScale()));
      lhsZero = b.getI64IntegerAttr(xq.getZeroPoint() +
                                    (xq.isSigned() ? 128 : 0));
    }
    IntegerWeight w =
        buildWeight(b, op.getLoc(), type.getDimSize(0), type.getDimSize(1),
                    *codes, !element.isSigned(), wq->zeroPoints, wq->scales);
    auto fused = QuantizedMatmulOp::create(
        b, op.getLoc(), op.getType(), lhs, w.weight, w.scale, w.zeroPoint,
        Value(), Value(), Value(), Value(), b.getI64IntegerAttr(8),
        b.getI64IntegerAttr(0), LhsQuantizationAttr::get(b.getContext(), mode),
        FloatAttr(), ActivationAttr(), lhsScale, lhsZero);
    replaceMatmul(op, fused, {pair, quantize, dequantized}, constant);
  }

  /// Puts `fused` in the place of `op` (keeping its node name), then erases
  /// what nothing uses any more: `dead` in order, and the quantized weight.
  static void replaceMatmul(MatmulOp op, QuantizedMatmulOp fused,
                            ArrayRef<Operation *> dead, ConstantOp weight) {
    fused->setDiscardableAttrs(op->getDiscardableAttrDictionary());
    op.replaceAllUsesWith(fused.getResult());
    op.erase();
    for (Operation *unused : dead)
      if (unused && unused->use_empty())
        unused->erase();
    if (weight->use_empty())
      releaseWeight(weight);
  }

  /// A tfm.matmul of a weight `[K, N]` dequantized in blocks of K (ONNX's
  /// blocked DequantizeLinear, opset 21: one scale and zero point per block
  /// of each column) becomes a weight-only tfm.quantized_matmul with that
  /// group size: 4-bit codes and zero points in [0, 15] (int4 ones
  /// shifted by 8), 8-bit ones in int8 (uint8 ones shifted by 128).
  static void fuseBlockedMatmul(MatmulOp op, ConstantOp constant,
                                DequantizeOp dequantized,
                                const UniformQuantization &wq,
                                std::vector<int32_t> codes) {
    auto type = cast<RankedTensorType>(constant.getType());
    auto element = cast<quant::QuantizedType>(type.getElementType());
    int64_t k = type.getDimSize(0), n = type.getDimSize(1);
    int64_t groupSize = 0;
    for (auto [dim, size] : wq.blockSizes)
      if (dim == 0)
        groupSize = size;
      else if (size != 1 && n != 1)
        return;
    unsigned bits = element.getStorageTypeIntegralWidth();
    int64_t groups = QuantizedMatmulOp::groupCount(k, groupSize);
    if (groupSize <= 0 || groupSize % 16 || (bits != 4 && bits != 8) ||
        wq.blockCounts != ArrayRef<int64_t>{groups, n})
      return;
    // From the storage's codes to the kernel's: 4 bits in [0, 15], 8 bits
    // in int8.
    int32_t shift = bits == 4 ? (element.isSigned() ? 8 : 0)
                              : (element.isSigned() ? 0 : -128);
    std::vector<int8_t> weight(n * k), zeros(n * groups);
    std::vector<float> scales(n * groups);
    for (int64_t j = 0; j < n; ++j) {
      for (int64_t kk = 0; kk < k; ++kk)
        weight[j * k + kk] = static_cast<int8_t>(codes[kk * n + j] + shift);
      for (int64_t g = 0; g < groups; ++g) {
        scales[j * groups + g] = wq.scales[g * n + j];
        zeros[j * groups + g] =
            static_cast<int8_t>(wq.zeroPoints[g * n + j] + shift);
      }
    }
    OpBuilder b(op);
    Location loc = op.getLoc();
    auto blob = [&](StringRef name, Type element, int64_t cols, auto data) {
      return createBlobConstant(b, loc,
                                RankedTensorType::get({n, cols}, element),
                                name, data)
          .getResult();
    };
    Value w = blob("blocked_matmul_weight", b.getIntegerType(8), k,
                   ArrayRef<int8_t>(weight));
    Value s = blob("blocked_matmul_scale", b.getF32Type(), groups,
                   ArrayRef<float>(scales));
    Value z = blob("blocked_matmul_zero_point", b.getIntegerType(8), groups,
                   ArrayRef<int8_t>(zeros));
    auto fused = QuantizedMatmulOp::create(
        b, loc, op.getType(), op.getLhs(), w, s, z, Value(), Value(), Value(),
        Value(), b.getI64IntegerAttr(bits), b.getI64IntegerAttr(groupSize),
        LhsQuantizationAttr::get(b.getContext(), LhsQuantization::none),
        FloatAttr(), ActivationAttr(), FloatAttr(), IntegerAttr());
    replaceMatmul(op, fused, {dequantized}, constant);
  }

  /// Replaces the tfm.dequantize of `constant` with its real values.
  static LogicalResult foldDequantize(DequantizeOp op, ConstantOp constant) {
    std::optional<std::vector<float>> values =
        dequantizeWeight(constant.getValue());
    if (!values)
      return op.emitOpError("cannot read the quantized constant");
    OpBuilder b(op);
    op.replaceAllUsesWith(createBlobConstant(b, op.getLoc(), op.getType(),
                                             "dequantized",
                                             ArrayRef<float>(*values))
                              .getResult());
    op.erase();
    if (constant->use_empty())
      releaseWeight(constant);
    return success();
  }

  /// Replaces the matched chain with a tfm.quantized_matmul.
  static void rewrite(Match &m) {
    auto type = cast<RankedTensorType>(m.product.getRhs().getType());
    OpBuilder b(m.rescale);
    Location loc = m.product.getLoc();
    IntegerWeight w = buildWeight(
        b, loc, type.getDimSize(0), type.getDimSize(1), m.weight,
        type.getElementType().isUnsignedInteger(), m.weightZero,
        m.weightScale);
    Value lhs;
    LhsQuantization mode = LhsQuantization::per_tensor;
    FloatAttr lhsScale;
    IntegerAttr lhsZero;
    if (m.quantize) {
      lhs = m.quantize.getInput();
    } else {
      // The gathered codes as floats (code - zero point, exact) at scale
      // 1: quantizing them again gives back each code. The kernel's codes
      // are uint8: int8 ones and their zero point shift by 128.
      auto tableType = cast<RankedTensorType>(m.gather.getInput().getType());
      int32_t codeShift =
          tableType.getElementType().isUnsignedInteger() ? 0 : 128;
      std::vector<float> table(m.table.size());
      for (size_t i = 0; i < table.size(); ++i)
        table[i] = static_cast<float>(m.table[i] - m.tableZero);
      Value floats = createBlobConstant(
          b, loc, tableType.clone(b.getF32Type()), "integer_matmul_table",
          ArrayRef<float>(table));
      auto gathered = cast<RankedTensorType>(m.gather.getType());
      lhs = GatherOp::create(b, m.gather.getLoc(),
                             gathered.clone(b.getF32Type()), floats,
                             m.gather.getIndices(), m.gather.getAxisAttr());
      mode = LhsQuantization::per_tensor_static;
      lhsScale = b.getF32FloatAttr(1.0f);
      lhsZero = b.getI64IntegerAttr(m.tableZero + codeShift);
    }
    auto fused = QuantizedMatmulOp::create(
        b, m.rescale.getLoc(), m.rescale.getType(), lhs, w.weight, w.scale,
        w.zeroPoint,
        Value(), Value(), Value(), Value(), b.getI64IntegerAttr(8),
        b.getI64IntegerAttr(0), LhsQuantizationAttr::get(b.getContext(), mode),
        FloatAttr(), ActivationAttr(), lhsScale, lhsZero);
    fused->setDiscardableAttrs(m.product->getDiscardableAttrDictionary());
    m.rescale.replaceAllUsesWith(fused.getResult());
    auto oldWeight = m.product.getRhs().getDefiningOp<ConstantOp>();
    m.rescale.erase();
    m.toFloat.erase();
    m.product.erase();
    if (auto scalesProduct = m.scales.getDefiningOp<MulOp>();
        scalesProduct && scalesProduct->use_empty())
      scalesProduct.erase();
    if (m.gather && m.gather->use_empty()) {
      auto table = m.gather.getInput().getDefiningOp<ConstantOp>();
      m.gather.erase();
      if (table && table->use_empty())
        releaseWeight(table);
    }
    if (oldWeight && oldWeight->use_empty())
      releaseWeight(oldWeight);
  }
};

} // namespace
