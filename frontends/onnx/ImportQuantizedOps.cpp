//===- ImportQuantizedOps.cpp - converters for the quantization ops -------===//
//
// Part of kiln. ONNX's quantization ops as ONNX Runtime's dynamic quantizer
// (`quantize_dynamic`) exports them:
//
// - DynamicQuantizeLinear, MatMulInteger and com.microsoft
//   MatMulIntegerToFloat become tfm.dynamic_quantize / tfm.matmul_integer
//   (plus the Cast, Mul and Add around them), which
//   tfm-fuse-integer-matmuls turns into int8 GEMMs;
// - and as its static quantizer (`quantize_static`) exports them:
//   QuantizeLinear becomes tfm.quantize to a `!quant.uniform` type (per
//   tensor) and DequantizeLinear tfm.dequantize, of it or of an
//   initializer kept as its codes (per tensor, per axis, or blocked as
//   opset 21 and ONNX Runtime's 4-bit QDQ weights have them: int4/uint4
//   too); QLinearMatMul the same around a tfm.matmul.
//   tfm-fuse-integer-matmuls puts the matmuls on the integer GEMMs; the
//   rest runs as ONNX Runtime computes it.
//
// Other element types, per-axis or blocked quantization of activations and
// requantization are refused with an error that says so.
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

/// The `!quant.uniform` element type that ONNX's QuantizeLinear,
/// DequantizeLinear and QLinearMatMul give a tensor of type `tensor`
/// stored as `storage` (int4, uint4, int8, uint8 or int32), from the scale
/// at input `scale` (f32) and the zero point at input `zero` (absent: 0):
/// per tensor for one scale; else one per element of `axis`, or with a
/// `blockSize` (opset 21) one per block of that many along `axis` and per
/// element along the others. Null after an error.
quant::QuantizedType onnxQuantization(NodeImporter &n,
                                      RankedTensorType tensor, Type storage,
                                      unsigned scale, unsigned zero,
                                      int64_t axis, int64_t blockSize = 0) {
  auto fail = [&](const Twine &message) {
    (void)n.fail(message);
    return quant::QuantizedType();
  };
  unsigned width = storage.getIntOrFloatBitWidth();
  if (!isa<IntegerType>(storage) || (width != 4 && width != 8 && width != 32))
    return fail("quantizes to " + typeName(storage) +
                "; kiln supports int4, uint4, int8, uint8 (and int32 biases)");
  RankedTensorType sType = n.inputType(scale);
  if (!sType.getElementType().isF32())
    return fail("needs an f32 scale, got " + typeName(sType));
  if (n.hasInput(zero) && n.inputType(zero).getElementType() != storage)
    return fail("the zero point's type " + typeName(n.inputType(zero)) +
                " differs from the quantized tensor's " + typeName(storage));
  int64_t channels = sType.getNumElements();
  bool perTensor = channels == 1 && !blockSize;
  if (!perTensor) {
    FailureOr<int64_t> normalized = n.normalizeAxis(axis, tensor.getRank());
    if (failed(normalized))
      return {};
    axis = *normalized;
    if (!tensor.hasStaticShape() || !sType.hasStaticShape())
      return fail("per-axis and blocked quantization need static shapes");
    bool fits = true;
    if (!blockSize) {
      fits = sType.getRank() == 1 &&
             sType.getDimSize(0) == tensor.getDimSize(axis);
    } else {
      fits = sType.getRank() == tensor.getRank();
      for (int64_t d = 0; fits && d < tensor.getRank(); ++d)
        fits = sType.getDimSize(d) ==
               (d == axis ? static_cast<int64_t>(llvm::divideCeil(
                                tensor.getDimSize(d), blockSize))
                          : tensor.getDimSize(d));
    }
    if (!fits)
      return fail(blockSize
                      ? "the scale must have the input's shape with axis " +
                            Twine(axis) + " in blocks of " + Twine(blockSize) +
                            ", got " + typeName(sType)
                      : "the scale must be a scalar or one per element of "
                        "axis " +
                            Twine(axis) + ", got " + typeName(sType));
  }
  std::vector<char> sStorage;
  ArrayRef<char> sBytes = n.constantBytes(scale, "the scale", sStorage);
  if (sBytes.empty())
    return {};
  std::vector<int32_t> zeros(channels, 0);
  if (n.hasInput(zero)) {
    auto constant = n.input(zero).getDefiningOp<tfm::ConstantOp>();
    std::optional<std::vector<int32_t>> values =
        constant ? tfm::getWeightIntegers(constant.getValue()) : std::nullopt;
    if (!values || static_cast<int64_t>(values->size()) != channels)
      return fail("the zero point must be a constant (an initializer) with "
                  "one value per scale");
    zeros = std::move(*values);
  }
  if (static_cast<int64_t>(sBytes.size()) != 4 * channels)
    return fail("cannot read the scale");
  SmallVector<float> scaleValues(channels);
  std::memcpy(scaleValues.data(), sBytes.data(), 4 * channels);
  bool isSigned = !storage.isUnsignedInteger();
  int64_t lo = quant::QuantizedType::getDefaultMinimumForInteger(isSigned,
                                                                 width);
  int64_t hi = quant::QuantizedType::getDefaultMaximumForInteger(isSigned,
                                                                 width);
  unsigned flags = isSigned ? quant::QuantizationFlags::Signed : 0;
  Type stored = IntegerType::get(n.context(), width);
  Type f32 = Float32Type::get(n.context());
  if (perTensor)
    return quant::UniformQuantizedType::get(flags, stored, f32,
                                            scaleValues[0], zeros[0], lo, hi);
  if (!blockSize) {
    SmallVector<double> scales(scaleValues.begin(), scaleValues.end());
    SmallVector<int64_t> zeroPoints(zeros.begin(), zeros.end());
    return quant::UniformQuantizedPerAxisType::get(
        flags, stored, f32, scales, zeroPoints, axis, lo, hi);
  }
  // Blocked: sub-channel, blocks of blockSize along the axis and of one
  // element along every other dimension.
  SmallVector<int32_t> dims;
  SmallVector<int64_t> sizes;
  for (int64_t d = 0; d < tensor.getRank(); ++d) {
    dims.push_back(static_cast<int32_t>(d));
    sizes.push_back(d == axis ? blockSize : 1);
  }
  auto scalesAttr = DenseElementsAttr::get(sType, ArrayRef<float>(scaleValues));
  // The zero points in the storage type, as the quant dialect wants them.
  SmallVector<APInt> zeroPoints;
  for (int32_t z : zeros)
    zeroPoints.push_back(APInt(width, z, isSigned));
  auto zerosAttr = DenseElementsAttr::get(sType.clone(stored), zeroPoints);
  return quant::UniformQuantizedSubChannelType::getChecked(
      [&] { return n.emitError(); }, flags, stored, f32, scalesAttr, zerosAttr,
      dims, sizes, lo, hi);
}

/// The initializer `x` as a constant of its `!quant.uniform` type (scale
/// and zero point at inputs `scale` and `zero`): the same codes, not
/// dequantized here, so that a MatMul on it can run on the integer GEMM
/// (tfm-fuse-integer-matmuls, which folds any other dequantization).
/// Null after an error.
Value quantizedInitializer(NodeImporter &n, tfm::ConstantOp x, unsigned scale,
                           unsigned zero, int64_t axis,
                           int64_t blockSize = 0) {
  auto type = cast<RankedTensorType>(x.getType());
  if (!type.hasStaticShape()) {
    (void)n.fail("needs a static quantized initializer, got " +
                 typeName(type));
    return Value();
  }
  quant::QuantizedType q = onnxQuantization(n, type, type.getElementType(),
                                            scale, zero, axis, blockSize);
  if (!q)
    return Value();
  std::vector<char> storage;
  ArrayRef<char> bytes = tfm::getWeightBytes(x.getValue(), storage);
  if (bytes.empty()) {
    (void)n.fail("cannot read the quantized initializer");
    return Value();
  }
  return n.blobConstant(type.clone(q), "quantized", bytes);
}

/// tfm.dequantize of `q` to f32.
Value dequantize(NodeImporter &n, Value q) {
  auto type = cast<RankedTensorType>(q.getType());
  return n.create<tfm::DequantizeOp>(type.clone(n.builder().getF32Type()), q);
}

/// Input `i` of quantized values (scale and zero point at inputs `scale`
/// and `zero`) as floats: an initializer dequantized, or the output of a
/// QuantizeLinear with that scale and zero point (QDQ). Null after an
/// error.
Value dequantizedInput(NodeImporter &n, unsigned i, unsigned scale,
                       unsigned zero, int64_t axis) {
  Value x = n.input(i);
  auto type = cast<RankedTensorType>(x.getType());
  auto quantized = dyn_cast<quant::QuantizedType>(type.getElementType());
  if (auto constant = x.getDefiningOp<tfm::ConstantOp>(); constant &&
                                                          !quantized) {
    Value q = quantizedInitializer(n, constant, scale, zero, axis);
    return q ? dequantize(n, q) : Value();
  }
  if (!quantized) {
    (void)n.fail("input " + Twine(i) + " (" + typeName(type) +
                 ") is computed but not by a QuantizeLinear: kiln runs "
                 "static quantization as QuantizeLinear/DequantizeLinear "
                 "pairs (QDQ) or QLinearMatMul on their outputs");
    return Value();
  }
  // The quantized type's storage is signless; its signedness is a flag.
  Type storage = IntegerType::get(
      n.context(), quantized.getStorageTypeIntegralWidth(),
      quantized.isSigned() ? IntegerType::Signless : IntegerType::Unsigned);
  quant::QuantizedType expected =
      onnxQuantization(n, type, storage, scale, zero, axis);
  if (!expected)
    return Value();
  if (expected != quantized) {
    std::string want, got;
    llvm::raw_string_ostream(want) << expected;
    llvm::raw_string_ostream(got) << quantized;
    (void)n.fail("input " + Twine(i) + " is quantized as " + got +
                 " by its QuantizeLinear but read as " + want +
                 " here: requantization is not supported");
    return Value();
  }
  return dequantize(n, x);
}

/// DequantizeLinear: of an initializer, a tfm.dequantize of its codes, per
/// tensor, per axis or blocked (tfm-fuse-integer-matmuls puts a MatMul on
/// it on an integer GEMM and folds the others to floats); of a
/// QuantizeLinear's output, a tfm.dequantize of it (QDQ). Of a Gather from
/// an initializer (quantize_dynamic's embedding tables) with one scale, it
/// commutes with the Gather: the table is dequantized instead.
LogicalResult convertDequantizeLinear(NodeImporter &n) {
  int64_t axis = n.intAttr("axis", 1);
  if (int64_t blockSize = n.intAttr("block_size", 0)) {
    auto constant = n.input(0).getDefiningOp<tfm::ConstantOp>();
    if (blockSize < 0 || !constant)
      return n.fail("blocked dequantization (block_size) needs a positive "
                    "block size and an initializer");
    Value q = quantizedInitializer(n, constant, 1, 2, axis, blockSize);
    return q ? n.setResult(dequantize(n, q)) : failure();
  }
  auto gather = n.input(0).getDefiningOp<tfm::GatherOp>();
  auto table =
      gather ? gather.getInput().getDefiningOp<tfm::ConstantOp>() : nullptr;
  if (!table)
    return n.setResult(dequantizedInput(n, 0, 1, 2, axis));
  if (n.inputType(1).getNumElements() != 1)
    return n.fail("a per-axis DequantizeLinear of a Gather is not supported");
  Value q = quantizedInitializer(n, table, 1, 2, axis);
  if (!q)
    return failure();
  return n.setResult(n.make<tfm::GatherOp>(dequantize(n, q),
                                           gather.getIndices(),
                                           gather.getAxis()));
}

/// The element type QuantizeLinear quantizes to: its zero point's, else
/// `output_dtype` (opset 21), else uint8.
Type quantizeLinearStorage(NodeImporter &n) {
  if (n.hasInput(2))
    return n.inputType(2).getElementType();
  MLIRContext *context = n.context();
  switch (n.intAttr("output_dtype", 0)) {
  case 0:
  case onnx::TensorProto::UINT8:
    return IntegerType::get(context, 8, IntegerType::Unsigned);
  case onnx::TensorProto::INT8:
    return IntegerType::get(context, 8);
  default:
    return NoneType::get(context);
  }
}

/// QuantizeLinear of a computed tensor, per tensor: tfm.quantize to its
/// `!quant.uniform` type; of a constant (per tensor or per axis), the
/// quantized constant.
LogicalResult convertQuantizeLinear(NodeImporter &n) {
  if (n.intAttr("block_size", 0) != 0)
    return n.fail("blocked quantization (block_size) is not supported");
  RankedTensorType type = n.inputType(0);
  if (!type.getElementType().isF32())
    return n.fail("needs an f32 input, got " + typeName(type));
  auto constant = n.input(0).getDefiningOp<tfm::ConstantOp>();
  if (n.inputType(1).getNumElements() != 1 && !constant)
    return n.fail("per-axis quantization of a computed tensor is not "
                  "supported; only one scale per tensor");
  Type storage = quantizeLinearStorage(n);
  if (!storage.isInteger(8))
    return n.fail("quantizes to " + typeName(storage) +
                  "; kiln supports int8 and uint8");
  quant::QuantizedType q =
      onnxQuantization(n, type, storage, 1, 2, n.intAttr("axis", 1));
  if (!q)
    return failure();
  if (!constant)
    return n.setResult(n.create<tfm::QuantizeOp>(type.clone(q), n.input(0)));
  // Of a constant (quantize_static quantizes Constant nodes too): its
  // codes, as a quantized constant.
  std::vector<float> storageFloats;
  ArrayRef<float> values =
      tfm::getWeightFloats(constant.getValue(), storageFloats);
  std::optional<std::vector<int8_t>> codes =
      type.hasStaticShape() ? tfm::quantizeWeight(values, type.clone(q))
                            : std::nullopt;
  if (!codes)
    return n.fail("cannot read the constant it quantizes");
  return n.setResult(n.blobConstant(type.clone(q), "quantized",
                                    ArrayRef<int8_t>(*codes)));
}

/// QLinearMatMul(a, a_scale, a_zero_point, b, b_scale, b_zero_point,
/// y_scale, y_zero_point): quantize(dequantize(a) x dequantize(b)), with
/// `b` an initializer (per tensor or one scale per column) and `a` a
/// QuantizeLinear's output; tfm-fuse-integer-matmuls puts the product on the
/// integer GEMM.
LogicalResult convertQLinearMatMul(NodeImporter &n) {
  if (n.inputType(3).getRank() != 2)
    return n.fail("needs a 2-D B (a weight [K, N]), got " +
                  typeName(n.inputType(3)));
  Value a = dequantizedInput(n, 0, 1, 2, /*axis=*/-1);
  if (!a)
    return failure();
  if (!n.input(3).getDefiningOp<tfm::ConstantOp>())
    return n.fail("needs B to be an initializer");
  Value b = dequantizedInput(n, 3, 4, 5, /*axis=*/1);
  if (!b)
    return failure();
  Value product = n.make<tfm::MatmulOp>(a, b, Value(), Value(), false,
                                        false, tfm::ActivationAttr());
  if (!product)
    return failure();
  auto type = cast<RankedTensorType>(product.getType());
  quant::QuantizedType y = onnxQuantization(
      n, type, n.inputType(7).getElementType(), 6, 7, /*axis=*/-1);
  if (!y)
    return failure();
  if (!y.getStorageType().isInteger(8))
    return n.fail("needs an 8-bit output, got " + typeName(n.inputType(7)));
  return n.setResult(n.create<tfm::QuantizeOp>(type.clone(y), product));
}

} // namespace

void kiln::onnx_import::addQuantizedConverters(ConverterTable &table) {
  table["DequantizeLinear"] = convertDequantizeLinear;
  table["QuantizeLinear"] = convertQuantizeLinear;
  table["DynamicQuantizeLinear"] = convertDynamicQuantizeLinear;
  table["MatMulInteger"] = convertMatMulInteger;
  table["QLinearMatMul"] = convertQLinearMatMul;
  table["com.microsoft:MatMulIntegerToFloat"] = convertMatMulIntegerToFloat;
}
