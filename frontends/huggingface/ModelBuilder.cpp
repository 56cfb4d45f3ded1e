//===- ModelBuilder.cpp - building tfm IR from a checkpoint ---------------===//
//
// Part of kiln.
//
//===----------------------------------------------------------------------===//

#include "frontends/huggingface/ModelBuilder.h"

#include "dialects/tfm/TfmDialect.h"
#include "dialects/tfm/TfmOps.h"
#include "dialects/tfm/WeightUtils.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "llvm/Support/FormatVariadic.h"

#include <limits>

using namespace mlir;
using namespace kiln::hf;

ModelBuilder::ModelBuilder(MLIRContext *context, const CheckpointFolder &folder)
    : checkpoint(folder), b(context) {
  context->loadDialect<tfm::TfmDialect, func::FuncDialect>();
  Location fileLoc = FileLineColLoc::get(context, folder.path, 0, 0);
  module = ModuleOp::create(fileLoc);
  b.setInsertionPointToEnd(module->getBody());
  func = func::FuncOp::create(b, fileLoc, tfm::kEntryFunctionName,
                              b.getFunctionType({}, {}));
  b.setInsertionPointToStart(func.addEntryBlock());
}

Location ModelBuilder::loc(StringRef what) {
  return NameLoc::get(b.getStringAttr(what),
                      FileLineColLoc::get(context(), checkpoint.path, 0, 0));
}

Value ModelBuilder::addInput(Type type, StringRef name,
                             ArrayRef<StringRef> dims) {
  Block &entry = func.getBody().front();
  Value arg = entry.addArgument(type, loc(name));
  unsigned i = entry.getNumArguments() - 1;
  func.setType(b.getFunctionType(entry.getArgumentTypes(), {}));
  func.setArgAttr(i, tfm::kNameAttrName, b.getStringAttr(name));
  SmallVector<Attribute> names;
  for (StringRef d : dims)
    names.push_back(b.getStringAttr(d));
  func.setArgAttr(i, tfm::kDimsAttrName, b.getArrayAttr(names));
  return arg;
}

void ModelBuilder::markArgument(Value arg, StringRef name, Attribute value) {
  func.setArgAttr(cast<BlockArgument>(arg).getArgNumber(), name, value);
}

void ModelBuilder::finish(ArrayRef<Value> values, ArrayRef<std::string> names) {
  func::ReturnOp::create(b, func.getLoc(), values);
  func.setType(b.getFunctionType(func.getBody().front().getArgumentTypes(),
                                 ValueRange(values).getTypes()));
  for (auto [i, name] : llvm::enumerate(names))
    func.setResultAttr(i, tfm::kNameAttrName, b.getStringAttr(name));
}

Value ModelBuilder::inferResult(Operation *op) {
  SmallVector<Type> types;
  auto infer = dyn_cast<InferTypeOpInterface>(op);
  assert(infer && "make<> is for ops whose result type tfm infers");
  if (!infer || ::mlir::failed(infer.inferReturnTypes(
                    op->getContext(), op->getLoc(), op->getOperands(),
                    op->getRawDictionaryAttrs(), op->getPropertiesStorage(),
                    op->getRegions(), types))) {
    op->erase();
    hadError = true;
    return {};
  }
  op->getResult(0).setType(types.front());
  return op->getResult(0);
}

Value ModelBuilder::fail(const Twine &message) {
  emitError(FileLineColLoc::get(context(), checkpoint.path, 0, 0)) << message;
  hadError = true;
  return {};
}

/// A blob viewing `bytes`, which `owner` holds: kept alive while the blob
/// lives, let go when it is released (`onRelease` first).
static AsmResourceBlob viewBlob(ArrayRef<char> bytes,
                                std::shared_ptr<const void> owner,
                                std::function<void()> onRelease = {}) {
  size_t align = 64;
  while (reinterpret_cast<uintptr_t>(bytes.data()) % align)
    align /= 2;
  return AsmResourceBlob(
      bytes, align,
      [owner = std::move(owner),
       onRelease = std::move(onRelease)](void *, size_t, size_t) mutable {
        if (onRelease)
          onRelease();
        owner.reset();
      },
      /*dataIsMutable=*/false);
}

/// A blob viewing a tensor of a mapped file, whose pages leave memory when
/// the blob is released (once the weight is packed or written).
static AsmResourceBlob viewBlob(ArrayRef<char> bytes,
                                std::shared_ptr<MappedFile> file) {
  const MappedFile *mapping = file.get();
  return viewBlob(bytes, std::move(file),
                  [mapping, bytes] { mapping->drop(bytes); });
}

Value ModelBuilder::weight(StringRef name, ArrayRef<int64_t> shape) {
  const TensorView *t = checkpoint.weights.lookup(name);
  if (!t)
    return fail("the checkpoint has no tensor '" + name +
                "', which the config's architecture needs");
  if (ArrayRef<int64_t>(t->shape) != shape)
    return fail("tensor '" + name + "' has shape " +
                tfm::formatShape(t->shape) + ", but the config says " +
                tfm::formatShape(shape));
  auto type = RankedTensorType::get(shape, b.getF32Type());
  std::optional<AsmResourceBlob> blob;
  if (t->bytes.empty() && t->numElements() > 0)
    return fail("tensor '" + name +
                "' is held quantized only, and is not a matmul weight here");
  if (t->dtype == "F32") {
    // A view of the mapping, kept mapped while the blob lives.
    blob = viewBlob(t->bytes, t->file);
  } else if (t->dtype == "F16" || t->dtype == "BF16") {
    int64_t n = t->numElements();
    std::vector<float> widened(n);
    const auto *bits = reinterpret_cast<const unsigned char *>(t->bytes.data());
    for (int64_t i = 0; i < n; ++i) {
      uint16_t h = bits[2 * i] | bits[2 * i + 1] << 8;
      widened[i] = t->dtype == "BF16" ? tfm::bfloat16BitsToFloat(h)
                                      : tfm::halfBitsToFloat(h);
    }
    blob = HeapAsmResourceBlob::allocateAndCopyInferAlign(
        ArrayRef<float>(widened));
  } else {
    return fail("tensor '" + name + "' has dtype " + t->dtype +
                "; kiln reads F32, F16 and BF16 weights");
  }
  return tfm::ConstantOp::create(
      b, loc(name),
      DenseResourceElementsAttr::get(type, name, std::move(*blob)));
}

ModelBuilder::QuantizedConstants
ModelBuilder::quantizedConstants(StringRef name, const TensorView &t) {
  const TensorView::Quantized &q = *t.quantized;
  int64_t rows = t.shape[0], cols = t.shape[1];
  int64_t groups = tfm::QuantizedMatmulOp::groupCount(cols, q.groupSize);
  // Views of the decoded codes and scales, which the blobs keep alive (and
  // free with the last, once the kernel has packed them or the weights
  // file has been written).
  std::shared_ptr<const TensorView::Quantized> keepAlive = t.quantized;
  auto constant = [&](Type element, ArrayRef<int64_t> shape,
                      auto values) -> Value {
    ArrayRef<char> bytes(reinterpret_cast<const char *>(values.data()),
                         values.size() * sizeof(values[0]));
    return tfm::ConstantOp::create(
        b, loc(name),
        DenseResourceElementsAttr::get(RankedTensorType::get(shape, element),
                                       name, viewBlob(bytes, keepAlive)));
  };
  QuantizedConstants c;
  c.codes = constant(b.getI8Type(), {rows, cols}, ArrayRef<int8_t>(q.codes));
  c.scales =
      constant(b.getF32Type(), {rows, groups}, ArrayRef<float>(q.scales));
  if (!q.offsets.empty())
    c.offsets =
        constant(b.getF32Type(), {rows, groups}, ArrayRef<float>(q.offsets));
  return c;
}

Value ModelBuilder::embedding(StringRef module, int64_t vocab, int64_t hidden,
                              Value ids) {
  std::string name = (module + ".weight").str();
  const TensorView *t = checkpoint.weights.lookup(name);
  Location where = loc(module);
  if (!t || !t->quantized || !t->bytes.empty() ||
      ArrayRef<int64_t>(t->shape) != ArrayRef<int64_t>{vocab, hidden} ||
      hidden % t->quantized->groupSize) {
    Value table = weight(name, {vocab, hidden});
    return table ? make<tfm::EmbeddingOp>(where, table, ids) : Value();
  }
  // Kept quantized: the rows of codes, scales and offsets the ids pick,
  // then code * scale + offset per group of each row (what dequantizing
  // the table would give, for the rows used).
  int64_t groupSize = t->quantized->groupSize, groups = hidden / groupSize;
  auto [codes, scales, offsets] = quantizedConstants(name, *t);
  Value lead = make<tfm::ShapeOp>(where, ids, b.getI64IntegerAttr(0),
                                  b.getI64IntegerAttr(2));
  auto shaped = [&](Value x, ArrayRef<int64_t> tail) {
    Value shape = make<tfm::ConcatOp>(
        where, ValueRange{lead, i64Constant(tail)}, b.getI64IntegerAttr(0));
    return x && shape ? make<tfm::ReshapeOp>(where, x, shape) : Value();
  };
  auto rows = [&](Value table, ArrayRef<int64_t> tail) {
    return shaped(make<tfm::EmbeddingOp>(where, table, ids), tail);
  };
  // (tfm.embedding takes float tables; the scales' lookup checks the ids.)
  Value picked = shaped(
      make<tfm::GatherOp>(where, codes, ids, b.getI64IntegerAttr(0)),
      {groups, groupSize});
  if (!picked)
    return {};
  auto f32 = RankedTensorType::get(cast<ShapedType>(picked.getType()).getShape(),
                                   b.getF32Type());
  Value x = make<tfm::MulOp>(where,
                             tfm::CastOp::create(b, where, f32, picked),
                             rows(scales, {groups, 1}));
  if (offsets)
    x = make<tfm::AddOp>(where, x, rows(offsets, {groups, 1}));
  return shaped(x, {hidden});
}

Value ModelBuilder::linear(Value x, StringRef module, int64_t in, int64_t out,
                           bool bias, Value residual,
                           std::optional<tfm::Activation> activation) {
  std::string name = (module + ".weight").str();
  const TensorView *t = checkpoint.weights.lookup(name);
  Value b = bias ? weight((module + ".bias").str(), {out}) : Value();
  tfm::ActivationAttr act =
      activation ? tfm::ActivationAttr::get(context(), *activation)
                 : tfm::ActivationAttr();
  if (t && t->quantized && ArrayRef<int64_t>(t->shape) ==
                               ArrayRef<int64_t>{out, in}) {
    // Kept quantized: weight-only, on the int4/int8 GEMM.
    const TensorView::Quantized &q = *t->quantized;
    auto [codes, scales, offsets] = quantizedConstants(name, *t);
    if (!x || (bias && !b))
      return {};
    return make<tfm::QuantizedMatmulOp>(
        loc(module), x, codes, scales, /*zero_point=*/Value(), b, residual,
        /*channel_scale=*/Value(), offsets,
        this->b.getI64IntegerAttr(q.bits),
        this->b.getI64IntegerAttr(q.groupSize),
        tfm::LhsQuantizationAttr::get(context(), tfm::LhsQuantization::none),
        FloatAttr(), act, FloatAttr(), IntegerAttr());
  }
  Value w = weight(name, {out, in});
  if (!x || !w || (bias && !b))
    return {};
  return make<tfm::MatmulOp>(loc(module), x, w, b, residual, UnitAttr(),
                             this->b.getUnitAttr(), act);
}

Value ModelBuilder::splitHeads(Value x, int64_t heads, int64_t dim,
                               Location where) {
  if (!x)
    return {};
  Value bt = make<tfm::ShapeOp>(where, x, b.getI64IntegerAttr(0),
                                b.getI64IntegerAttr(2));
  Value shape = make<tfm::ConcatOp>(
      where, ValueRange{bt, i64Constant({heads, dim})}, b.getI64IntegerAttr(0));
  Value r = make<tfm::ReshapeOp>(where, x, shape);
  return r ? make<tfm::TransposeOp>(where, r,
                                    b.getDenseI64ArrayAttr({0, 2, 1, 3}))
           : Value();
}

Value ModelBuilder::mergeHeads(Value x, int64_t width, Location where) {
  if (!x)
    return {};
  Value t =
      make<tfm::TransposeOp>(where, x, b.getDenseI64ArrayAttr({0, 2, 1, 3}));
  Value bt = make<tfm::ShapeOp>(where, t, b.getI64IntegerAttr(0),
                                b.getI64IntegerAttr(2));
  Value shape = make<tfm::ConcatOp>(where, ValueRange{bt, i64Constant({width})},
                                    b.getI64IntegerAttr(0));
  return make<tfm::ReshapeOp>(where, t, shape);
}

Value ModelBuilder::paddingMask(Value mask) {
  Location where = loc("attention_mask");
  Value m4 = make<tfm::UnsqueezeOp>(where, mask, b.getDenseI64ArrayAttr({1, 2}));
  auto m4Type = cast<RankedTensorType>(m4.getType());
  Value mf = tfm::CastOp::create(b, where, m4Type.clone(b.getF32Type()), m4);
  return make<tfm::MulOp>(where, make<tfm::SubOp>(where, f32Scalar(1.0), mf),
                          f32Scalar(std::numeric_limits<float>::lowest()));
}

ModelBuilder::DecoderCache
ModelBuilder::addDecoderCache(int64_t layers, int64_t kvHeads, int64_t headDim,
                              int64_t contextLimit) {
  int64_t dyn = ShapedType::kDynamic;
  DecoderCache cache;
  cache.lengths = addInput(RankedTensorType::get({dyn}, b.getI64Type()),
                           "cache_lengths", {"batch"});
  markArgument(cache.lengths, tfm::kCacheLengthsAttrName,
               b.getDictionaryAttr(
                   {b.getNamedAttr("context_limit",
                                   b.getI64IntegerAttr(contextLimit)),
                    b.getNamedAttr("step", b.getStringAttr("sequence"))}));
  auto type =
      RankedTensorType::get({dyn, kvHeads, dyn, headDim}, b.getF32Type());
  auto buffer = [&](const std::string &name) {
    Value c = addInput(type, name, {"batch", "", "context", ""});
    markArgument(c, tfm::kCacheAttrName, b.getUnitAttr());
    return c;
  };
  for (int64_t i = 0; i < layers; ++i) {
    Value key = buffer("key_cache." + std::to_string(i));
    cache.layers.emplace_back(key, buffer("value_cache." + std::to_string(i)));
  }
  return cache;
}

Value ModelBuilder::cachePositions(Value inputIds, Value lengths) {
  Location where = loc("positions");
  auto scalar = [&](Value oneElement) {
    return make<tfm::SqueezeOp>(where, oneElement, b.getDenseI64ArrayAttr({0}));
  };
  Value count = scalar(make<tfm::ShapeOp>(where, inputIds, b.getI64IntegerAttr(1),
                                          b.getI64IntegerAttr(2)));
  Value steps = make<tfm::RangeOp>(where, scalar(i64Constant({0})), count,
                                   scalar(i64Constant({1})));
  return make<tfm::AddOp>(
      where, make<tfm::UnsqueezeOp>(where, lengths, b.getDenseI64ArrayAttr({1})),
      steps);
}

Value ModelBuilder::lastPosition(Value x, Location where) {
  if (!x)
    return {};
  return make<tfm::SliceOp>(
      where, x, i64Constant({-1}),
      i64Constant({std::numeric_limits<int64_t>::max()}),
      b.getDenseI64ArrayAttr({1}), b.getDenseI64ArrayAttr({1}));
}

ModelBuilder::DecoderInputs
ModelBuilder::addDecoderInputs(bool kvCache, int64_t layers, int64_t kvHeads,
                               int64_t headDim, int64_t contextLimit) {
  int64_t dyn = ShapedType::kDynamic;
  Type ids = RankedTensorType::get({dyn, dyn}, b.getI64Type());
  DecoderInputs in;
  in.inputIds = addInput(ids, "input_ids", {"batch", "sequence"});
  if (kvCache)
    in.cache = addDecoderCache(layers, kvHeads, headDim, contextLimit);
  else
    in.mask =
        paddingMask(addInput(ids, "attention_mask", {"batch", "sequence"}));
  return in;
}

Value ModelBuilder::causalAttention(const DecoderInputs &in, int64_t layer,
                                    Value q, Value k, Value v, FloatAttr scale,
                                    Location where) {
  if (in.cache.lengths)
    return make<tfm::CachedAttentionOp>(
        where, q, k, v, in.cache.layers[layer].first,
        in.cache.layers[layer].second, in.cache.lengths, scale);
  return make<tfm::AttentionOp>(where, q, k, v, in.mask, b.getUnitAttr(),
                                scale);
}

OwningOpRef<ModuleOp>
ModelBuilder::finishDecoder(const DecoderInputs &in, Value x,
                            function_ref<Value(Value)> head) {
  Location where = loc("lm_head");
  bool cached = static_cast<bool>(in.cache.lengths);
  if (x && cached)
    x = lastPosition(x, where);
  Value logits = x ? head(x) : Value();
  if (logits && cached)
    logits = make<tfm::SqueezeOp>(where, logits, b.getDenseI64ArrayAttr({1}));
  if (!logits || failed())
    return nullptr;
  finish({logits}, {"logits"});
  return takeModule();
}

Value ModelBuilder::i64Constant(ArrayRef<int64_t> values) {
  auto type = RankedTensorType::get({static_cast<int64_t>(values.size())},
                                    b.getI64Type());
  return tfm::ConstantOp::create(b, func.getLoc(),
                                 DenseIntElementsAttr::get(type, values));
}

Value ModelBuilder::f32Scalar(double value) {
  auto type = RankedTensorType::get({}, b.getF32Type());
  return tfm::ConstantOp::create(
      b, func.getLoc(), DenseElementsAttr::get(type, b.getF32FloatAttr(value)));
}
