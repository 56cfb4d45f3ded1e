//===- ImportMicrosoftOps.cpp - converters for com.microsoft ops ----------===//
//
// Part of kiln. Models already optimised by ONNX Runtime's transformer
// optimizer contain its fused contrib ops; each maps onto tfm ops here.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/ImportContext.h"

#include "dialects/tfm/WeightUtils.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

using namespace mlir;
using namespace kiln::onnx_import;
namespace tfm = mlir::tfm;

namespace {

Value add(NodeImporter &n, Value a, Value b) {
  return n.make<tfm::AddOp>(a, b);
}

/// Gelu, FastGelu (tanh form) and BiasGelu: GELU of input (+ bias).
template <tfm::GeluApproximation approximation>
LogicalResult convertGelu(NodeImporter &n) {
  Value x = n.input(0);
  if (n.hasInput(1) && !(x = add(n, x, n.input(1))))
    return failure();
  n.setOutput(0, n.create<tfm::GeluOp>(approximation, x));
  return success();
}

/// SkipLayerNormalization(input, skip, gamma, beta?, bias?) and its RMS
/// form SkipSimplifiedLayerNormalization(input, skip, gamma, bias?).
template <bool rms>
LogicalResult convertSkipNorm(NodeImporter &n) {
  if (n.hasOutput(1) || n.hasOutput(2))
    return n.fail("the mean and inverse-std-dev outputs are not supported");
  Value sum = add(n, n.input(0), n.input(1));
  unsigned biasIndex = rms ? 3 : 4;
  if (sum && n.hasInput(biasIndex))
    sum = add(n, sum, n.input(biasIndex));
  if (!sum)
    return failure();
  float epsilon = n.floatAttr("epsilon", 1e-12f);
  Value out;
  if (rms) {
    auto type = cast<RankedTensorType>(sum.getType());
    out = n.create<tfm::RmsNormOp>(type, sum, n.input(2), type.getRank() - 1,
                                   APFloat(epsilon));
  } else {
    out = buildLayerNorm(n, sum, n.input(2),
                         n.hasInput(3) ? n.input(3) : Value(), epsilon);
  }
  n.setOutput(0, out);
  n.setOutput(3, sum);
  return success();
}

LogicalResult convertSimplifiedLayerNorm(NodeImporter &n) {
  if (n.hasOutput(1))
    return n.fail("the inverse-std-dev output is not supported");
  auto type = n.inputType(0);
  FailureOr<int64_t> axis =
      n.normalizeAxis(n.intAttr("axis", -1), type.getRank());
  if (failed(axis))
    return failure();
  n.setOutput(0, n.create<tfm::RmsNormOp>(
                     type, n.input(0), n.input(1), *axis,
                     APFloat(n.floatAttr("epsilon", 1e-5f))));
  return success();
}

/// EmbedLayerNormalization: word + position (+ segment) embeddings, then
/// layer norm; mask_index is the number of attended tokens per sequence.
LogicalResult convertEmbedLayerNorm(NodeImporter &n) {
  Value ids = n.input(0);
  auto idsType = n.inputType(0);
  if (idsType.getRank() != 2)
    return n.fail("input_ids must be [batch, seq]");
  Value sum = n.make<tfm::EmbeddingOp>(n.input(2), ids);
  if (!sum)
    return failure();
  // Position ids: given, or 0..seq-1 broadcast over the batch.
  Value positions;
  if (n.hasInput(8)) {
    positions = n.input(8);
  } else {
    Type i64 = Builder(n.context()).getI64Type();
    Value seq = n.make<tfm::SqueezeOp>(buildDim(n, ids, 1),
                                       ArrayRef<int64_t>{0});
    positions = seq ? n.make<tfm::RangeOp>(n.scalarConstant(i64, 0), seq,
                                           n.scalarConstant(i64, 1))
                    : Value();
    positions = positions ? n.make<tfm::UnsqueezeOp>(positions,
                                                     ArrayRef<int64_t>{0})
                          : Value();
  }
  Value posEmbed =
      positions ? n.make<tfm::EmbeddingOp>(n.input(3), positions) : Value();
  if (!posEmbed || !(sum = add(n, sum, posEmbed)))
    return failure();
  if (n.hasInput(1) && n.hasInput(4)) {
    Value segment = n.make<tfm::EmbeddingOp>(n.input(4), n.input(1));
    if (!segment || !(sum = add(n, sum, segment)))
      return failure();
  }
  n.setOutput(0, buildLayerNorm(n, sum, n.input(5),
                                n.hasInput(6) ? n.input(6) : Value(),
                                n.floatAttr("epsilon", 1e-12f)));
  if (n.hasOutput(1)) {
    if (!n.hasInput(7))
      return n.fail("mask_index needs the mask input");
    Type i32 = Builder(n.context()).getI32Type();
    auto maskType = n.inputType(7);
    Value mask = n.create<tfm::CastOp>(maskType.clone(i32), n.input(7));
    Value count = n.make<tfm::ReduceOp>(tfm::ReduceKind::sum, mask,
                                        ArrayRef<int64_t>{1}, false);
    if (!count)
      return failure();
    n.setOutput(1, count);
  }
  n.setOutput(2, sum);
  return success();
}

/// Reshapes [B, S, heads * dim] to [B, heads, S, dim].
Value splitHeads(NodeImporter &n, Value x, int64_t heads) {
  auto type = cast<RankedTensorType>(x.getType());
  int64_t hidden = type.getDimSize(2);
  if (ShapedType::isDynamic(hidden) || hidden % heads != 0) {
    (void)n.fail("hidden size " + Twine(hidden) +
           " is not static or not a multiple of num_heads " + Twine(heads));
    return {};
  }
  // [0, 0, heads, dim] with ONNX's copy-the-dim zeros.
  Value shape = n.i64Constant({0, 0, heads, hidden / heads});
  Value split = buildOnnxReshape(n, x, shape, /*allowZero=*/false);
  return split ? n.make<tfm::TransposeOp>(split, ArrayRef<int64_t>{0, 2, 1, 3})
               : Value();
}

/// Reshapes [B, heads, S, dim] back to [B, S, heads * dim].
Value mergeHeads(NodeImporter &n, Value x) {
  auto type = cast<RankedTensorType>(x.getType());
  Value t = n.make<tfm::TransposeOp>(x, ArrayRef<int64_t>{0, 2, 1, 3});
  int64_t heads = type.getDimSize(1), dim = type.getDimSize(3);
  if (!t)
    return {};
  return buildOnnxReshape(n, t, n.i64Constant({0, 0, heads * dim}),
                          /*allowZero=*/false);
}

/// A key padding mask ([B, L] of 0/1, or [B] key lengths) as a boolean
/// [B, 1, 1, L] attention mask.
Value keyPaddingMask(NodeImporter &n, Value mask, Value key) {
  auto type = cast<RankedTensorType>(mask.getType());
  Type i64 = Builder(n.context()).getI64Type();
  if (type.getRank() == 2) {
    Value zero = n.scalarConstant(type.getElementType(), 0);
    Value keep = n.make<tfm::CompareOp>(tfm::ComparePredicate::ne, mask, zero);
    return keep ? n.make<tfm::UnsqueezeOp>(keep, ArrayRef<int64_t>{1, 2})
                : Value();
  }
  if (type.getRank() == 1) {
    // Key j is attended when j < length[b].
    Value len = n.make<tfm::SqueezeOp>(buildDim(n, key, 2),
                                       ArrayRef<int64_t>{0});
    Value range = len ? n.make<tfm::RangeOp>(n.scalarConstant(i64, 0), len,
                                             n.scalarConstant(i64, 1))
                      : Value();
    Value lengths = n.create<tfm::CastOp>(type.clone(i64), mask);
    lengths = n.make<tfm::UnsqueezeOp>(lengths, ArrayRef<int64_t>{1});
    Value keep = range && lengths
                     ? n.make<tfm::CompareOp>(tfm::ComparePredicate::lt,
                                              range, lengths)
                     : Value();
    return keep ? n.make<tfm::UnsqueezeOp>(keep, ArrayRef<int64_t>{1, 2})
                : Value();
  }
  if (type.getRank() == 3) { // [B, S, L] raw mask.
    Value zero = n.scalarConstant(type.getElementType(), 0);
    Value keep = n.make<tfm::CompareOp>(tfm::ComparePredicate::ne, mask, zero);
    return keep ? n.make<tfm::UnsqueezeOp>(keep, ArrayRef<int64_t>{1})
                : Value();
  }
  (void)n.fail("mask of rank " + Twine(type.getRank()) +
         " is not supported (use [batch], [batch, kv_seq] or "
         "[batch, seq, kv_seq])");
  return {};
}

FloatAttr scaleAttr(NodeImporter &n) {
  float scale = n.floatAttr("scale", 0.0f);
  return scale > 0 ? Builder(n.context()).getF32FloatAttr(scale) : FloatAttr();
}

/// The part both contrib attention ops share: split [B, S, hidden] Q, K, V
/// into heads, attend (with the key padding mask of input `maskInput` if
/// given, causal when `unidirectional`) and merge the heads back.
LogicalResult attendAndMerge(NodeImporter &n, Value q, Value k, Value v,
                             int64_t heads, unsigned maskInput) {
  Value qh = splitHeads(n, q, heads);
  Value kh = qh ? splitHeads(n, k, heads) : Value();
  Value vh = kh ? splitHeads(n, v, heads) : Value();
  if (!vh)
    return failure();
  Value mask;
  if (n.hasInput(maskInput) &&
      !(mask = keyPaddingMask(n, n.input(maskInput), kh)))
    return failure();
  Value out = n.make<tfm::AttentionOp>(qh, kh, vh, mask,
                                       n.intAttr("unidirectional", 0) != 0,
                                       scaleAttr(n));
  return n.setResult(out ? mergeHeads(n, out) : Value());
}

/// Attention(input, weights, bias?, mask_index?, past?, ...): packed QKV
/// projection, attention and the head merge.
LogicalResult convertAttention(NodeImporter &n) {
  if (n.hasInput(4) || n.hasOutput(1))
    return n.fail("past/present key-value state is not supported");
  if (n.hasInput(5))
    return n.fail("relative_position_bias is not supported");
  if (n.intAttr("do_rotary", 0))
    return n.fail("do_rotary=1 is not supported");
  int64_t heads = n.intAttr("num_heads", 0);
  if (heads <= 0)
    return n.fail("needs num_heads");
  Value qkv = n.make<tfm::MatmulOp>(n.input(0), n.input(1),
                                    n.hasInput(2) ? n.input(2) : Value(),
                                    Value(), false, false,
                                    tfm::ActivationAttr());
  if (!qkv)
    return failure();
  auto qkvType = cast<RankedTensorType>(qkv.getType());
  SmallVector<int64_t> sizes;
  if (std::optional<SmallVector<int64_t>> given = n.intsAttr("qkv_hidden_sizes"))
    sizes = *given;
  else if (!qkvType.isDynamicDim(2) && qkvType.getDimSize(2) % 3 == 0)
    sizes.assign(3, qkvType.getDimSize(2) / 3);
  else
    return n.fail("cannot tell the Q/K/V sizes of the packed projection");
  if (sizes.size() != 3 || sizes[0] != sizes[1])
    return n.fail("qkv_hidden_sizes must have three entries with Q and K "
                  "equal");
  SmallVector<Type> types;
  for (int64_t s : sizes) {
    SmallVector<int64_t> shape(qkvType.getShape());
    shape[2] = s;
    types.push_back(qkvType.clone(shape));
  }
  auto split = n.create<tfm::SplitOp>(
      types, qkv, 2, Builder(n.context()).getDenseI64ArrayAttr(sizes));
  return attendAndMerge(n, split.getResult(0), split.getResult(1),
                        split.getResult(2), heads, /*maskInput=*/3);
}

/// MultiHeadAttention(query, key, value, bias?, key_padding_mask?, ...) with
/// separate 3-D query, key and value.
LogicalResult convertMultiHeadAttention(NodeImporter &n) {
  if (!n.hasInput(1) || !n.hasInput(2) || n.inputType(1).getRank() != 3 ||
      n.inputType(2).getRank() != 3 || n.inputType(0).getRank() != 3)
    return n.fail("only separate [batch, seq, hidden] query, key and value "
                  "are supported (not packed or per-head layouts)");
  for (unsigned i = 5; i < n.numInputs(); ++i)
    if (n.hasInput(i))
      return n.fail("input " + Twine(i) +
                    " (attention bias or past state) is not supported");
  if (n.hasOutput(1) || n.hasOutput(2))
    return n.fail("present key/value outputs are not supported");
  int64_t heads = n.intAttr("num_heads", 0);
  if (heads <= 0)
    return n.fail("needs num_heads");
  Value q = n.input(0), k = n.input(1), v = n.input(2);
  if (n.hasInput(3)) {
    // Bias packs [bq (hidden), bk (hidden), bv (v_hidden)].
    SmallVector<Value *, 3> targets{&q, &k, &v};
    int64_t offset = 0;
    for (int64_t i = 0; i < 3; ++i) {
      int64_t size = n.inputType(i).getDimSize(2);
      if (ShapedType::isDynamic(size))
        return n.fail("the bias needs static query/key/value hidden sizes");
      Value part = n.make<tfm::SliceOp>(
          n.input(3), n.i64Constant({offset}), n.i64Constant({offset + size}),
          ArrayRef<int64_t>{0}, ArrayRef<int64_t>{1});
      offset += size;
      if (!part || !(*targets[i] = add(n, *targets[i], part)))
        return failure();
    }
  }
  return attendAndMerge(n, q, k, v, heads, /*maskInput=*/4);
}

/// MatMulNBits (bits 4 or 8): Y = A x dequant(B)^T (+ bias), B's codes
/// [N, blocks, block_size * bits / 8] (contiguous along K, low nibble
/// first), scales [N, blocks] (or flat), zero points packed uint8 [N,
/// ceil(blocks * bits / 8)] or absent (2^(bits-1)). Becomes a weight-only
/// tfm.quantized_matmul with one group per block; 8-bit codes and zero
/// points are stored minus 128, as the op keeps them.
LogicalResult convertMatMulNBits(NodeImporter &n) {
  int64_t k = n.intAttr("K", 0), nOut = n.intAttr("N", 0);
  int64_t bits = n.intAttr("bits", 4), block = n.intAttr("block_size", 0);
  if (bits != 4 && bits != 8)
    return n.fail("bits=" + Twine(bits) + " is not supported (4 or 8)");
  if (block < 16 || block % 16)
    return n.fail("block_size=" + Twine(block) +
                  " is not supported (a multiple of 16)");
  if (k <= 0 || nOut <= 0)
    return n.fail("needs positive K and N attributes");
  if (n.hasInput(4))
    return n.fail("g_idx (act-order) is not supported");
  RankedTensorType aType = n.inputType(0);
  if (!aType.getElementType().isF32() || aType.getShape().back() != k)
    return n.fail("needs f32 input A whose last dim is K = " + Twine(k));
  if (n.hasInput(3) && !isa<IntegerType>(n.inputType(3).getElementType()))
    return n.fail("float zero points are not supported (uint8 ones are)");
  int64_t blocks = (k + block - 1) / block;
  int64_t blobBytes = block * bits / 8;
  std::vector<char> bStorage, sStorage, zStorage;
  ArrayRef<char> b = n.constantBytes(1, "B", bStorage);
  ArrayRef<char> s = n.constantBytes(2, "scales", sStorage);
  if (b.empty() || s.empty())
    return failure();
  if (static_cast<int64_t>(b.size()) != nOut * blocks * blobBytes ||
      static_cast<int64_t>(s.size()) != nOut * blocks * 4)
    return n.fail("B or scales do not have N x ceil(K / block_size) blocks");
  ArrayRef<char> z;
  int64_t zRow = (blocks * bits + 7) / 8;
  if (n.hasInput(3)) {
    z = n.constantBytes(3, "zero_points", zStorage);
    if (z.empty())
      return failure();
    if (static_cast<int64_t>(z.size()) != nOut * zRow)
      return n.fail("zero_points do not have N x ceil(blocks * bits / 8) "
                    "bytes");
  }
  auto byte = [](ArrayRef<char> data, int64_t i) {
    return static_cast<uint8_t>(data[i]);
  };
  int offset = bits == 8 ? 128 : 0;
  std::vector<int8_t> codes(nOut * k), zeros;
  for (int64_t row = 0; row < nOut; ++row)
    for (int64_t col = 0; col < k; ++col) {
      int64_t blk = col / block, e = col % block;
      int64_t at = (row * blocks + blk) * blobBytes;
      int code = bits == 8 ? byte(b, at + e)
                           : (byte(b, at + e / 2) >> (4 * (e & 1))) & 0xf;
      codes[row * k + col] = static_cast<int8_t>(code - offset);
    }
  if (!z.empty()) {
    zeros.resize(nOut * blocks);
    for (int64_t row = 0; row < nOut; ++row)
      for (int64_t blk = 0; blk < blocks; ++blk) {
        int code = bits == 8 ? byte(z, row * zRow + blk)
                             : (byte(z, row * zRow + blk / 2) >>
                                (4 * (blk & 1))) & 0xf;
        zeros[row * blocks + blk] = static_cast<int8_t>(code - offset);
      }
  }
  OpBuilder &builder = n.builder();
  auto i8 = builder.getIntegerType(8);
  Value weight = n.blobConstant(RankedTensorType::get({nOut, k}, i8),
                                "nbits_weight", ArrayRef<int8_t>(codes));
  Value scale = n.blobConstant(
      RankedTensorType::get({nOut, blocks}, builder.getF32Type()),
      "nbits_scale",
      ArrayRef<float>(reinterpret_cast<const float *>(s.data()),
                      nOut * blocks));
  Value zero;
  if (!zeros.empty())
    zero = n.blobConstant(RankedTensorType::get({nOut, blocks}, i8),
                          "nbits_zero_point", ArrayRef<int8_t>(zeros));
  SmallVector<int64_t> shape(aType.getShape().drop_back());
  shape.push_back(nOut);
  auto type = RankedTensorType::get(shape, aType.getElementType());
  Value bias = n.hasInput(5) ? n.input(5) : Value();
  n.setOutput(0, n.create<tfm::QuantizedMatmulOp>(
                     type, n.input(0), weight, scale, zero, bias, Value(),
                     Value(), Value(), builder.getI64IntegerAttr(bits),
                     builder.getI64IntegerAttr(block),
                     tfm::LhsQuantizationAttr::get(n.context(),
                                                   tfm::LhsQuantization::none),
                     FloatAttr(), tfm::ActivationAttr(), FloatAttr(),
                     IntegerAttr()));
  return success();
}

} // namespace

void kiln::onnx_import::addMicrosoftConverters(ConverterTable &table) {
  table["com.microsoft:Gelu"] = convertGelu<tfm::GeluApproximation::erf>;
  table["com.microsoft:BiasGelu"] = convertGelu<tfm::GeluApproximation::erf>;
  table["com.microsoft:FastGelu"] = convertGelu<tfm::GeluApproximation::tanh>;
  table["com.microsoft:SkipLayerNormalization"] = convertSkipNorm<false>;
  table["com.microsoft:SkipSimplifiedLayerNormalization"] =
      convertSkipNorm<true>;
  table["com.microsoft:SimplifiedLayerNormalization"] =
      convertSimplifiedLayerNorm;
  // ONNX Runtime also registers it in the standard domain.
  table["SimplifiedLayerNormalization"] = convertSimplifiedLayerNorm;
  table["com.microsoft:EmbedLayerNormalization"] = convertEmbedLayerNorm;
  table["com.microsoft:Attention"] = convertAttention;
  table["com.microsoft:MultiHeadAttention"] = convertMultiHeadAttention;
  table["com.microsoft:MatMulNBits"] = convertMatMulNBits;
}
