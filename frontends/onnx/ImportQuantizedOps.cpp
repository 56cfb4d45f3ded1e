//===- ImportQuantizedOps.cpp - converters for the quantization ops -------===//
//
// Part of kiln. ONNX's quantization ops as ONNX Runtime's dynamic quantizer
// (`quantize_dynamic`) exports them:
//
// - DequantizeLinear of an initializer, or of a Gather from one (its
//   quantized embedding tables), folds into a float constant, computed as
//   ONNX Runtime does;
// - DynamicQuantizeLinear, MatMulInteger and com.microsoft
//   MatMulIntegerToFloat become tfm.dynamic_quantize / tfm.matmul_integer
//   (plus the Cast, Mul and Add around them), which
//   tfm-fuse-integer-matmuls turns into int8 GEMMs.
//
// Static (QDQ) quantization of activations is refused with an error that
// says so.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/ImportContext.h"

#include "dialects/tfm/WeightUtils.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>

using namespace mlir;
using namespace kiln::onnx_import;
namespace tfm = mlir::tfm;

namespace {

std::string typeName(Type type) {
  std::string s;
  llvm::raw_string_ostream(s) << type;
  return s;
}

bool isByteInteger(Type type) { return type.isInteger(8); }

constexpr StringLiteral kNoStaticQuantization =
    "static (QDQ) quantization of activations is not supported yet; kiln "
    "runs ONNX Runtime's dynamic quantization (quantize_dynamic: "
    "DynamicQuantizeLinear + MatMulInteger) and MatMulNBits models";

/// A zero point operand of tfm.matmul_integer from input `i`: 0-D as it
/// is, a one-element constant as a 0-D constant, and (`perColumn`) a 1-D
/// tensor of `columns` as it is. Null without the input; fails (after an
/// error) on other shapes.
FailureOr<Value> zeroPoint(NodeImporter &n, unsigned i, bool perColumn,
                           int64_t columns) {
  if (!n.hasInput(i))
    return Value();
  RankedTensorType type = n.inputType(i);
  if (type.getRank() == 0)
    return n.input(i);
  DenseElementsAttr constant;
  if (matchPattern(n.input(i), m_Constant(&constant)) &&
      constant.getNumElements() == 1)
    return Value(n.create<tfm::ConstantOp>(DenseElementsAttr::get(
        RankedTensorType::get({}, type.getElementType()),
        *constant.getValues<APInt>().begin())));
  if (perColumn && type.getRank() == 1 && type.getDimSize(0) == columns)
    return n.input(i);
  return n.fail(Twine(perColumn ? "the B" : "the A") +
                " zero point must be a scalar" +
                (perColumn ? " or one per column of B" : "") + ", got " +
                typeName(type));
}

/// tfm.matmul_integer of inputs A (0) and B (1) with the zero points at
/// `aZero` and `bZero`; null after an error.
Value buildMatmulInteger(NodeImporter &n, unsigned aZero, unsigned bZero) {
  RankedTensorType a = n.inputType(0), b = n.inputType(1);
  if (!isByteInteger(a.getElementType()) ||
      !isByteInteger(b.getElementType())) {
    (void)n.fail("needs 8-bit integer A and B, got " + typeName(a) + " and " +
                 typeName(b));
    return Value();
  }
  if (b.getRank() != 2) {
    (void)n.fail("needs a 2-D B (a weight [K, N]); a batched B (" +
                 typeName(b) + ") is not supported");
    return Value();
  }
  FailureOr<Value> az = zeroPoint(n, aZero, /*perColumn=*/false, 0);
  FailureOr<Value> bz = zeroPoint(n, bZero, /*perColumn=*/true,
                                  b.getDimSize(1));
  if (failed(az) || failed(bz))
    return Value();
  return n.make<tfm::MatmulIntegerOp>(n.input(0), n.input(1), *az, *bz);
}

LogicalResult convertMatMulInteger(NodeImporter &n) {
  return n.setResult(buildMatmulInteger(n, 2, 3));
}

/// com.microsoft MatMulIntegerToFloat(A, B, a_scale, b_scale, a_zero_point,
/// b_zero_point, bias): float(MatMulInteger) * (a_scale * b_scale) + bias.
LogicalResult convertMatMulIntegerToFloat(NodeImporter &n) {
  Value product = buildMatmulInteger(n, 4, 5);
  if (!product)
    return failure();
  RankedTensorType scaleType = n.inputType(2);
  if (!scaleType.getElementType().isF32())
    return n.fail("needs f32 scales, got " + typeName(scaleType));
  Value y = n.create<tfm::CastOp>(
      cast<RankedTensorType>(product.getType()).clone(n.builder().getF32Type()),
      product);
  Value scale = n.make<tfm::MulOp>(n.input(2), n.input(3));
  if (!scale || !(y = n.make<tfm::MulOp>(y, scale)))
    return failure();
  if (n.hasInput(6) && !(y = n.make<tfm::AddOp>(y, n.input(6))))
    return failure();
  return n.setResult(y);
}

LogicalResult convertDynamicQuantizeLinear(NodeImporter &n) {
  RankedTensorType type = n.inputType(0);
  if (!type.getElementType().isF32())
    return n.fail("needs an f32 input, got " + typeName(type));
  MLIRContext *context = n.context();
  auto ui8 = IntegerType::get(context, 8, IntegerType::Unsigned);
  auto op = n.create<tfm::DynamicQuantizeOp>(
      type.clone(ui8), RankedTensorType::get({}, Float32Type::get(context)),
      RankedTensorType::get({}, ui8), n.input(0));
  for (unsigned i = 0; i < 3; ++i)
    n.setOutput(i, op->getResult(i));
  return success();
}

/// DequantizeLinear(x, scale, zero_point) of the initializer `x`, per
/// tensor or per axis: (x - zero_point) * scale in f32, as ONNX Runtime
/// computes it. Null after an error.
Value dequantizeInitializer(NodeImporter &n, tfm::ConstantOp x) {
  auto xType = cast<RankedTensorType>(x.getType());
  RankedTensorType sType = n.inputType(1);
  Type element = xType.getElementType();
  auto fail = [&](const Twine &message) {
    (void)n.fail(message);
    return Value();
  };
  if (!(element.isInteger(8) || element.isInteger(32)) ||
      !xType.hasStaticShape())
    return fail("needs a static int8, uint8 or int32 input, got " +
                typeName(xType));
  if (!sType.getElementType().isF32())
    return fail("needs an f32 scale, got " + typeName(sType));
  if (n.hasInput(2) && n.inputType(2).getElementType() != element)
    return fail("the zero point's type " + typeName(n.inputType(2)) +
                " differs from the input's");
  // Per tensor (one scale) or per axis (scale [x.shape[axis]]).
  int64_t count = xType.getNumElements(), channels = 1, inner = 1;
  if (sType.getNumElements() != 1) {
    FailureOr<int64_t> axis =
        n.normalizeAxis(n.intAttr("axis", 1), xType.getRank());
    if (failed(axis))
      return Value();
    if (sType.getRank() != 1 ||
        sType.getDimSize(0) != xType.getDimSize(*axis))
      return fail("the scale must be a scalar or one per element of axis " +
                  Twine(*axis) + ", got " + typeName(sType));
    channels = xType.getDimSize(*axis);
    for (int64_t d = *axis + 1; d < xType.getRank(); ++d)
      inner *= xType.getDimSize(d);
  }
  std::vector<char> sStorage;
  ArrayRef<char> s = n.constantBytes(1, "x_scale", sStorage);
  if (s.empty())
    return Value();
  std::optional<std::vector<int32_t>> data = tfm::getWeightIntegers(
                                          x.getValue()),
                                      zeros =
                                          std::vector<int32_t>(channels, 0);
  if (n.hasInput(2)) {
    auto zero = n.input(2).getDefiningOp<tfm::ConstantOp>();
    if (!zero)
      return fail("x_zero_point must be a constant (an initializer)");
    zeros = tfm::getWeightIntegers(zero.getValue());
  }
  if (!data || static_cast<int64_t>(data->size()) != count ||
      static_cast<int64_t>(s.size()) != channels * 4 || !zeros ||
      static_cast<int64_t>(zeros->size()) != channels)
    return fail("cannot read the quantized initializer");
  std::vector<float> values(count);
  for (int64_t i = 0; i < count; ++i) {
    int64_t c = (i / inner) % channels;
    float scale;
    std::memcpy(&scale, s.data() + 4 * c, 4);
    int32_t zero = (*zeros)[c];
    values[i] = static_cast<float>((*data)[i] - zero) * scale;
  }
  return n.blobConstant(xType.clone(n.builder().getF32Type()), "dequantized",
                        ArrayRef<float>(values));
}

/// DequantizeLinear of an initializer folds into a float constant. Of a
/// Gather from one (quantize_dynamic's embedding tables) with one scale,
/// it commutes with the Gather: the table is dequantized instead.
LogicalResult convertDequantizeLinear(NodeImporter &n) {
  if (n.intAttr("block_size", 0) != 0)
    return n.fail("blocked dequantization (block_size) is not supported");
  Value x = n.input(0);
  if (auto constant = x.getDefiningOp<tfm::ConstantOp>())
    return n.setResult(dequantizeInitializer(n, constant));
  auto gather = x.getDefiningOp<tfm::GatherOp>();
  auto table =
      gather ? gather.getInput().getDefiningOp<tfm::ConstantOp>() : nullptr;
  if (!table || n.inputType(1).getNumElements() != 1)
    return n.fail(Twine("a computed input: ") + kNoStaticQuantization);
  Value floats = dequantizeInitializer(n, table);
  if (!floats)
    return failure();
  return n.setResult(n.make<tfm::GatherOp>(floats, gather.getIndices(),
                                           gather.getAxis()));
}

LogicalResult convertQuantizeLinear(NodeImporter &n) {
  return n.fail(kNoStaticQuantization);
}

} // namespace

void kiln::onnx_import::addQuantizedConverters(ConverterTable &table) {
  table["DequantizeLinear"] = convertDequantizeLinear;
  table["QuantizeLinear"] = convertQuantizeLinear;
  table["DynamicQuantizeLinear"] = convertDynamicQuantizeLinear;
  table["MatMulInteger"] = convertMatMulInteger;
  table["com.microsoft:MatMulIntegerToFloat"] = convertMatMulIntegerToFloat;
}
