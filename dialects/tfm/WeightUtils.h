//===- WeightUtils.h - reading and releasing weight constants ---*- C++ -*-===//
//
// Part of kiln. Passes that rewrite weights at compile time (packing for
// the GEMM kernel, merging projections) read their data and release the
// originals they replace, so compile memory stays near one copy.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_DIALECTS_TFM_WEIGHTUTILS_H
#define KILN_DIALECTS_TFM_WEIGHTUTILS_H

#include "dialects/tfm/TfmOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include <optional>
#include <vector>

namespace mlir::tfm {

/// The f32 data of a weight: a view of a resource blob's bytes, or the
/// values of a dense attribute copied into `storage`. Empty when neither.
llvm::ArrayRef<float> getWeightFloats(ElementsAttr value,
                                      std::vector<float> &storage);

/// The raw bytes of a constant of any element type (a splat expanded),
/// likewise; empty when neither a resource nor a dense attribute.
llvm::ArrayRef<char> getWeightBytes(ElementsAttr value,
                                    std::vector<char> &storage);

/// The i8 data of a weight (quantized codes), likewise.
llvm::ArrayRef<int8_t> getWeightInt8s(ElementsAttr value,
                                      std::vector<int8_t> &storage);

/// The values of an integer constant of 4 bits (held one per byte), 8 bits
/// (signed or unsigned) or 32 bits, widened to int32 (quantized codes and zero points); of a constant
/// of a `!quant.uniform` type, its stored codes. Empty when the element
/// type is another or the data cannot be read.
std::optional<std::vector<int32_t>> getWeightIntegers(ElementsAttr value);

/// The scales and zero points of a `!quant.uniform` element type: one of
/// each (per tensor, `axis` -1), one per element of `axis` (per axis), or
/// (sub-channel) one per block of a tensor, `scales` and `zeroPoints` then
/// row-major over `blockCounts` and `blockSizes` the size of each block
/// along each dimension it names (the others: the whole dimension).
struct UniformQuantization {
  std::vector<float> scales;
  std::vector<int32_t> zeroPoints;
  int64_t axis = -1;
  llvm::SmallVector<int64_t> blockCounts;
  llvm::SmallVector<std::pair<int64_t, int64_t>> blockSizes; ///< dim, size
};
std::optional<UniformQuantization> getUniformQuantization(Type elementType);

/// The real values of a constant of a `!quant.uniform` element type,
/// `(code - zero_point) * scale` in f32 (ONNX's DequantizeLinear); empty
/// when it is not one or cannot be read.
std::optional<std::vector<float>> dequantizeWeight(ElementsAttr value);

/// `values` as the codes of a tensor of `type` (a `!quant.uniform` element
/// type of at most 8 bits): `clamp(round_half_even(x / scale) + zero_point)`
/// (ONNX's QuantizeLinear), one byte each; empty when not such a type.
std::optional<std::vector<int8_t>> quantizeWeight(llvm::ArrayRef<float> values,
                                                  ShapedType type);

/// The float an IEEE half's bits hold (exactly).
float halfBitsToFloat(uint16_t bits);
/// The float a bfloat16's bits hold (exactly).
float bfloat16BitsToFloat(uint16_t bits);

/// f rounded to the nearest IEEE half (ties to even), as an f32; infinite
/// past the half range.
float roundToHalf(float f);

/// Whether f is 0 or in the normal IEEE half range (|f| in [2^-14, 65504]):
/// where a half holds it to its full 11 bits.
bool inNormalHalfRange(float f);

/// Whether every value is 0 or a normal IEEE half (so that quantization
/// parameters can be stored in half the bytes without changing a bit of
/// what they compute).
bool allNormalHalves(llvm::ArrayRef<float> values);

/// The IEEE half bits of f, an exact half.
uint16_t halfBits(float f);

/// Erases `op` if nothing uses it and frees its resource blob.
void releaseWeight(ConstantOp op);

/// Frees the data of a weight held as a resource blob (the blob becomes
/// empty); nothing may read it after. Other attributes are left as they are.
void releaseWeightData(ElementsAttr value);

/// A tfm.constant of `type` holding a copy of `data` in a resource blob
/// called `name`.
template <typename T>
ConstantOp createBlobConstant(OpBuilder &b, Location loc,
                              RankedTensorType type, llvm::StringRef name,
                              llvm::ArrayRef<T> data) {
  return ConstantOp::create(
      b, loc,
      DenseResourceElementsAttr::get(
          type, name, HeapAsmResourceBlob::allocateAndCopyInferAlign(data)));
}

} // namespace mlir::tfm

#endif // KILN_DIALECTS_TFM_WEIGHTUTILS_H
