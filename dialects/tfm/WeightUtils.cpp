//===- WeightUtils.cpp - reading and releasing weight constants -----------===//
//
// Part of kiln.
//
//===----------------------------------------------------------------------===//

#include "dialects/tfm/WeightUtils.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/APFloat.h"

#include <algorithm>
#include <cmath>
#include <cstring>

using namespace mlir;

ArrayRef<float> tfm::getWeightFloats(ElementsAttr value,
                                     std::vector<float> &storage) {
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(value)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob)
      return {};
    ArrayRef<char> bytes = blob->getData();
    return ArrayRef<float>(reinterpret_cast<const float *>(bytes.data()),
                           bytes.size() / sizeof(float));
  }
  auto dense = dyn_cast<DenseElementsAttr>(value);
  if (!dense || !dense.getElementType().isF32())
    return {};
  storage.assign(dense.getValues<float>().begin(),
                 dense.getValues<float>().end());
  return storage;
}

ArrayRef<char> tfm::getWeightBytes(ElementsAttr value,
                                   std::vector<char> &storage) {
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(value)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    return blob ? blob->getData() : ArrayRef<char>();
  }
  auto dense = dyn_cast<DenseElementsAttr>(value);
  if (!dense)
    return {};
  ArrayRef<char> raw = dense.getRawData();
  if (!dense.isSplat())
    return raw;
  int64_t count = dense.getNumElements();
  storage.clear();
  for (int64_t i = 0; i < count; ++i)
    storage.insert(storage.end(), raw.begin(), raw.end());
  return storage;
}

std::optional<std::vector<int32_t>>
tfm::getWeightIntegers(ElementsAttr value) {
  auto type = cast<ShapedType>(value.getType());
  Type element = type.getElementType();
  bool isUnsigned = element.isUnsignedInteger();
  if (auto q = dyn_cast<quant::QuantizedType>(element)) {
    element = q.getStorageType();
    isUnsigned = !q.isSigned();
  }
  // 4-bit codes are held one to a byte.
  int64_t width = element.isInteger(8) || element.isInteger(4) ? 1
                  : element.isInteger(32)                      ? 4
                                                               : 0;
  if (!width || !type.hasStaticShape())
    return std::nullopt;
  std::vector<char> storage;
  ArrayRef<char> bytes = getWeightBytes(value, storage);
  int64_t count = type.getNumElements();
  if (static_cast<int64_t>(bytes.size()) != count * width)
    return std::nullopt;
  std::vector<int32_t> values(count);
  for (int64_t i = 0; i < count; ++i) {
    if (width == 4)
      std::memcpy(&values[i], bytes.data() + 4 * i, 4);
    else
      values[i] = isUnsigned ? static_cast<uint8_t>(bytes[i])
                             : static_cast<int8_t>(bytes[i]);
  }
  return values;
}

std::optional<tfm::UniformQuantization>
tfm::getUniformQuantization(Type elementType) {
  UniformQuantization q;
  if (auto perTensor = dyn_cast<quant::UniformQuantizedType>(elementType)) {
    q.scales = {static_cast<float>(perTensor.getScale())};
    q.zeroPoints = {static_cast<int32_t>(perTensor.getZeroPoint())};
    return q;
  }
  if (auto blocked =
          dyn_cast<quant::UniformQuantizedSubChannelType>(elementType)) {
    for (APFloat scale : blocked.getScales().getValues<APFloat>())
      q.scales.push_back(scale.convertToFloat());
    for (APInt zero : blocked.getZeroPoints().getValues<APInt>())
      q.zeroPoints.push_back(static_cast<int32_t>(
          blocked.isSigned() ? zero.getSExtValue() : zero.getZExtValue()));
    auto counts = blocked.getScales().getType().getShape();
    q.blockCounts.assign(counts.begin(), counts.end());
    for (auto [dim, size] : llvm::zip(blocked.getQuantizedDimensions(),
                                      blocked.getBlockSizes()))
      q.blockSizes.push_back({dim, size});
    return q;
  }
  auto perAxis = dyn_cast<quant::UniformQuantizedPerAxisType>(elementType);
  if (!perAxis)
    return std::nullopt;
  for (double scale : perAxis.getScales())
    q.scales.push_back(static_cast<float>(scale));
  for (int64_t zero : perAxis.getZeroPoints())
    q.zeroPoints.push_back(static_cast<int32_t>(zero));
  q.axis = perAxis.getQuantizedDimension();
  return q;
}

/// Calls `visit(i, c)` for each element i of a tensor of `type` with the
/// index c of its scale and zero point in `q`: (i / inner) % channels along
/// the axis, or (sub-channel) that of its block.
static void forEachParameter(ShapedType type, const tfm::UniformQuantization &q,
                             function_ref<void(int64_t, int64_t)> visit) {
  int64_t rank = type.getRank();
  SmallVector<int64_t> block(rank, 0);
  for (auto [dim, size] : q.blockSizes)
    block[dim] = size;
  SmallVector<int64_t> index(rank, 0);
  int64_t channels = q.scales.size(), inner = 1;
  if (q.axis >= 0)
    for (int64_t d = q.axis + 1; d < rank; ++d)
      inner *= type.getDimSize(d);
  int64_t count = type.getNumElements();
  for (int64_t i = 0; i < count; ++i) {
    int64_t c = (i / inner) % channels;
    if (!q.blockCounts.empty()) {
      c = 0;
      for (int64_t d = 0; d < rank; ++d)
        c = c * q.blockCounts[d] + (block[d] ? index[d] / block[d] : 0);
      // The next element's index, last dimension fastest.
      for (int64_t d = rank - 1; d >= 0 && ++index[d] == type.getDimSize(d);
           --d)
        index[d] = 0;
    }
    visit(i, c);
  }
}

std::optional<std::vector<float>> tfm::dequantizeWeight(ElementsAttr value) {
  auto type = cast<ShapedType>(value.getType());
  std::optional<UniformQuantization> q =
      getUniformQuantization(type.getElementType());
  std::optional<std::vector<int32_t>> codes = getWeightIntegers(value);
  if (!q || !codes)
    return std::nullopt;
  std::vector<float> values(codes->size());
  forEachParameter(type, *q, [&](int64_t i, int64_t c) {
    values[i] =
        static_cast<float>((*codes)[i] - q->zeroPoints[c]) * q->scales[c];
  });
  return values;
}

std::optional<std::vector<int8_t>>
tfm::quantizeWeight(ArrayRef<float> values, ShapedType type) {
  auto element = dyn_cast<quant::QuantizedType>(type.getElementType());
  std::optional<UniformQuantization> q = getUniformQuantization(element);
  if (!q || element.getStorageTypeIntegralWidth() > 8 ||
      static_cast<int64_t>(values.size()) != type.getNumElements())
    return std::nullopt;
  float lo = static_cast<float>(element.getStorageTypeMin());
  float hi = static_cast<float>(element.getStorageTypeMax());
  std::vector<int8_t> codes(values.size());
  forEachParameter(type, *q, [&](int64_t i, int64_t c) {
    float code = std::nearbyint(values[i] / q->scales[c]) +
                 static_cast<float>(q->zeroPoints[c]);
    codes[i] = static_cast<int8_t>(
        static_cast<int32_t>(std::clamp(code, lo, hi)));
  });
  return codes;
}

ArrayRef<int8_t> tfm::getWeightInt8s(ElementsAttr value,
                                     std::vector<int8_t> &storage) {
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(value)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob)
      return {};
    ArrayRef<char> bytes = blob->getData();
    return ArrayRef<int8_t>(reinterpret_cast<const int8_t *>(bytes.data()),
                            bytes.size());
  }
  auto dense = dyn_cast<DenseElementsAttr>(value);
  if (!dense || !dense.getElementType().isInteger(8))
    return {};
  storage.assign(dense.getValues<int8_t>().begin(),
                 dense.getValues<int8_t>().end());
  return storage;
}

void tfm::releaseWeightData(ElementsAttr value) {
  if (auto resource = dyn_cast_or_null<DenseResourceElementsAttr>(value))
    if (auto *entry = resource.getRawHandle().getResource())
      entry->setBlob(AsmResourceBlob());
}

void tfm::releaseWeight(ConstantOp op) {
  if (!op || !op->use_empty())
    return;
  releaseWeightData(op.getValue());
  op.erase();
}

/// f as the nearest IEEE half (ties to even).
static llvm::APFloat toHalf(float f) {
  llvm::APFloat v(f);
  bool lost;
  v.convert(llvm::APFloat::IEEEhalf(), llvm::APFloat::rmNearestTiesToEven,
            &lost);
  return v;
}

static float fromBits(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

float tfm::halfBitsToFloat(uint16_t h) {
  uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  if (exp == 0x1f) // Inf, NaN.
    return fromBits(sign | 0x7f800000 | mant << 13);
  if (exp == 0) // Zero, subnormal: mant * 2^-24.
    return (sign ? -1.0f : 1.0f) * std::ldexp(static_cast<float>(mant), -24);
  return fromBits(sign | (exp + 112) << 23 | mant << 13);
}

float tfm::bfloat16BitsToFloat(uint16_t b) {
  return fromBits(static_cast<uint32_t>(b) << 16);
}

float tfm::roundToHalf(float f) {
  llvm::APFloat v = toHalf(f);
  bool lost;
  v.convert(llvm::APFloat::IEEEsingle(), llvm::APFloat::rmNearestTiesToEven,
            &lost);
  return v.convertToFloat();
}

bool tfm::inNormalHalfRange(float f) {
  // 2^-14, the smallest normal half; below it halves lose precision.
  constexpr float kMinNormal = 6.103515625e-05f;
  return f == 0 || (std::fabs(f) >= kMinNormal && std::fabs(f) <= 65504.0f);
}

bool tfm::allNormalHalves(ArrayRef<float> values) {
  return llvm::all_of(values, [](float v) {
    return inNormalHalfRange(v) && roundToHalf(v) == v;
  });
}

uint16_t tfm::halfBits(float f) {
  return static_cast<uint16_t>(toHalf(f).bitcastToAPInt().getZExtValue());
}
