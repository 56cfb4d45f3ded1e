//===- BuildBert.cpp - BERT-family encoders from a checkpoint -------------===//
//
// Part of kiln. Transformers' BertModel (and the checkpoints that share its
// layout: MiniLM, sentence-transformers encoders), RobertaModel (and
// XLM-RoBERTa: positions counted past the padding index from the ids) and
// DistilBertModel (its own tensor names, no token types) as tfm IR: the
// same ops the ONNX importer produces for their exports, so the fusion
// passes and kernels see one form. Linear weights stay [out, in] as stored
// (matmuls with transpose_rhs), so no weight is copied.
//
//===----------------------------------------------------------------------===//

#include "frontends/huggingface/ModelBuilder.h"

#include "dialects/tfm/TfmOps.h"

#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace kiln::hf;

namespace {

enum class Family { bert, roberta, distilbert };

/// The tensor names of a layer (after "<prefix><layers>N.") and of the
/// embedding norm, which DistilBERT spells differently from BERT.
struct Layout {
  const char *layers, *query, *key, *value, *attentionOut, *attentionNorm,
      *ffnIn, *ffnOut, *outputNorm;
};
constexpr Layout bertLayout{
    "encoder.layer.",         "attention.self.query",
    "attention.self.key",     "attention.self.value",
    "attention.output.dense", "attention.output.LayerNorm",
    "intermediate.dense",     "output.dense",
    "output.LayerNorm"};
constexpr Layout distilbertLayout{
    "transformer.layer.", "attention.q_lin",   "attention.k_lin",
    "attention.v_lin",    "attention.out_lin", "sa_layer_norm",
    "ffn.lin1",           "ffn.lin2",          "output_layer_norm"};

struct BertConfig {
  Family family;
  int64_t hidden, layers, heads, intermediate, vocab, positions;
  /// Token type embeddings (0: none, as in DistilBERT); with more than one
  /// the model takes token_type_ids.
  int64_t types;
  /// RoBERTa's padding index: positions count from padIndex + 1.
  int64_t padIndex = 0;
  double epsilon;
  tfm::Activation activation;
};

/// BERT's and RoBERTa's config keys, or DistilBERT's names for the same.
struct ConfigKeys {
  const char *hidden, *layers, *heads, *intermediate, *activation;
};

llvm::Expected<BertConfig> readConfig(const HfConfig &c, Family family) {
  BertConfig cfg;
  cfg.family = family;
  bool distil = family == Family::distilbert;
  ConfigKeys keys = distil ? ConfigKeys{"dim", "n_layers", "n_heads",
                                        "hidden_dim", "activation"}
                           : ConfigKeys{"hidden_size", "num_hidden_layers",
                                        "num_attention_heads",
                                        "intermediate_size", "hidden_act"};
  auto get = [&](llvm::StringRef key, int64_t &field,
                 std::optional<int64_t> fallback = {}) -> llvm::Error {
    llvm::Expected<int64_t> v = c.positive(key, fallback);
    if (!v)
      return v.takeError();
    field = *v;
    return llvm::Error::success();
  };
  if (llvm::Error e = get(keys.hidden, cfg.hidden))
    return std::move(e);
  if (llvm::Error e = get(keys.layers, cfg.layers))
    return std::move(e);
  if (llvm::Error e = get(keys.heads, cfg.heads))
    return std::move(e);
  if (llvm::Error e = get(keys.intermediate, cfg.intermediate))
    return std::move(e);
  if (llvm::Error e = get("vocab_size", cfg.vocab))
    return std::move(e);
  if (llvm::Error e = get("max_position_embeddings", cfg.positions, 512))
    return std::move(e);
  cfg.types = 0;
  if (!distil)
    if (llvm::Error e = get("type_vocab_size", cfg.types, 2))
      return std::move(e);
  // DistilBERT's LayerNorms are nn.LayerNorm(eps=1e-12), not configured.
  llvm::Expected<double> eps = distil ? llvm::Expected<double>(1e-12)
                                      : c.number("layer_norm_eps", 1e-12);
  if (!eps)
    return eps.takeError();
  cfg.epsilon = *eps;
  if (family == Family::roberta) {
    llvm::Expected<double> pad = c.number("pad_token_id", 1);
    if (!pad)
      return pad.takeError();
    if (*pad < 0 || *pad != std::floor(*pad))
      return c.error("pad_token_id", "is not a token id");
    cfg.padIndex = static_cast<int64_t>(*pad);
    if (cfg.padIndex + 1 >= cfg.positions)
      return c.error("max_position_embeddings",
                     "leaves no position past pad_token_id");
  }
  llvm::Expected<std::string> act = c.string(keys.activation, "gelu");
  if (!act)
    return act.takeError();
  std::optional<tfm::Activation> activation =
      llvm::StringSwitch<std::optional<tfm::Activation>>(*act)
          .Case("gelu", tfm::Activation::gelu)
          .Cases({"gelu_new", "gelu_pytorch_tanh"}, tfm::Activation::gelu_tanh)
          .Case("relu", tfm::Activation::relu)
          .Cases({"silu", "swish"}, tfm::Activation::silu)
          .Default(std::nullopt);
  if (!activation)
    return c.error(keys.activation, "is '" + *act +
                                        "'; kiln builds gelu, gelu_new, "
                                        "gelu_pytorch_tanh, relu and silu");
  cfg.activation = *activation;
  if (cfg.hidden % cfg.heads)
    return c.error(keys.hidden,
                   llvm::Twine("is not a multiple of ") + keys.heads);
  if (distil)
    return cfg;
  llvm::Expected<std::string> positions =
      c.string("position_embedding_type", "absolute");
  if (!positions)
    return positions.takeError();
  if (*positions != "absolute")
    return c.error("position_embedding_type",
                   "is '" + *positions + "'; kiln builds absolute positions");
  return cfg;
}

/// Reads a JSON file of the folder (sentence-transformers' modules), or
/// nothing when it is absent or not an object.
std::optional<llvm::json::Value> readJson(llvm::StringRef folder,
                                          llvm::StringRef file) {
  llvm::SmallString<256> path(folder);
  llvm::sys::path::append(path, file);
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    return std::nullopt;
  llvm::Expected<llvm::json::Value> value =
      llvm::json::parse((*buffer)->getBuffer());
  if (!value) {
    llvm::consumeError(value.takeError());
    return std::nullopt;
  }
  return std::move(*value);
}

class BertBuilder {
public:
  BertBuilder(ModelBuilder &m, const BertConfig &cfg, std::string prefix)
      : m(m), b(m.builder()), cfg(cfg),
        layout(cfg.family == Family::distilbert ? distilbertLayout
                                                : bertLayout),
        prefix(std::move(prefix)) {}

  OwningOpRef<ModuleOp> build();

private:
  std::string name(llvm::StringRef tensor) const {
    return prefix + tensor.str();
  }
  Value linear(Value x, llvm::StringRef module, int64_t in, int64_t out,
               Value residual = {},
               std::optional<tfm::Activation> activation = {}) {
    return m.linear(x, name(module), in, out, /*bias=*/true, residual,
                    activation);
  }
  Value layerNorm(Value x, llvm::StringRef module);
  Value splitHeads(Value x, Location loc) {
    return m.splitHeads(x, cfg.heads, cfg.hidden / cfg.heads, loc);
  }
  Value mergeHeads(Value x, Location loc) {
    return m.mergeHeads(x, cfg.hidden, loc);
  }
  Value layer(Value h, Value maskBias, int64_t index);
  Value embeddings(Value inputIds, Value types);
  Value positionIds(Value inputIds, Location loc);
  Value sentenceEmbedding(Value h, Value mask);

  ModelBuilder &m;
  OpBuilder &b;
  const BertConfig &cfg;
  const Layout &layout;
  std::string prefix;
};

Value BertBuilder::layerNorm(Value x, llvm::StringRef module) {
  Value scale = m.weight(name(module) + ".weight", {cfg.hidden});
  Value bias = m.weight(name(module) + ".bias", {cfg.hidden});
  if (!x || !scale || !bias)
    return {};
  return tfm::LayerNormOp::create(b, m.loc(name(module)), x.getType(), x, scale,
                                  bias, b.getI64IntegerAttr(2),
                                  b.getF32FloatAttr(cfg.epsilon));
}

Value BertBuilder::layer(Value h, Value maskBias, int64_t index) {
  std::string l = layout.layers + std::to_string(index) + ".";
  Location attnLoc = m.loc(name(l + "attention"));
  Value q =
      splitHeads(linear(h, l + layout.query, cfg.hidden, cfg.hidden), attnLoc);
  Value k =
      splitHeads(linear(h, l + layout.key, cfg.hidden, cfg.hidden), attnLoc);
  Value v =
      splitHeads(linear(h, l + layout.value, cfg.hidden, cfg.hidden), attnLoc);
  if (!q || !k || !v)
    return {};
  float scale = 1.0f / std::sqrt(static_cast<float>(cfg.hidden / cfg.heads));
  Value a = m.make<tfm::AttentionOp>(attnLoc, q, k, v, maskBias, UnitAttr(),
                                     b.getF32FloatAttr(scale));
  Value o = linear(mergeHeads(a, attnLoc), l + layout.attentionOut, cfg.hidden,
                   cfg.hidden, /*residual=*/h);
  Value h1 = layerNorm(o, l + layout.attentionNorm);
  Value i = linear(h1, l + layout.ffnIn, cfg.hidden, cfg.intermediate, {},
                   cfg.activation);
  Value out = linear(i, l + layout.ffnOut, cfg.intermediate, cfg.hidden,
                     /*residual=*/h1);
  return layerNorm(out, l + layout.outputNorm);
}

/// The position of each token: 0..T-1 (BERT, DistilBERT), or RoBERTa's
/// count of the non-padding tokens so far past the padding index
/// (padding tokens themselves at the padding index), [B, T].
Value BertBuilder::positionIds(Value inputIds, Location loc) {
  if (cfg.family != Family::roberta)
    return {};
  Value pad = m.i64Constant({cfg.padIndex});
  Value real =
      m.make<tfm::CompareOp>(loc, tfm::ComparePredicate::ne, inputIds, pad);
  auto idsType = cast<RankedTensorType>(inputIds.getType());
  Value counted = tfm::CastOp::create(b, loc, idsType, real);
  Value sums = tfm::CumSumOp::create(
      b, loc, idsType, counted, b.getI64IntegerAttr(1), UnitAttr(), UnitAttr());
  return m.make<tfm::AddOp>(loc, m.make<tfm::MulOp>(loc, sums, counted), pad);
}

/// Word + position (+ token type) embeddings, then their norm.
Value BertBuilder::embeddings(Value inputIds, Value types) {
  Location eloc = m.loc(name("embeddings"));
  Value word = m.weight(name("embeddings.word_embeddings.weight"),
                        {cfg.vocab, cfg.hidden});
  Value pos = m.weight(name("embeddings.position_embeddings.weight"),
                       {cfg.positions, cfg.hidden});
  Value type = cfg.types ? m.weight(name("embeddings.token_type_embeddings."
                                         "weight"),
                                    {cfg.types, cfg.hidden})
                         : Value();
  if (!word || !pos || (cfg.types && !type))
    return {};
  Value x = m.make<tfm::GatherOp>(eloc, word, inputIds, b.getI64IntegerAttr(0));
  if (Value ids = positionIds(inputIds, eloc)) {
    x = m.make<tfm::AddOp>(
        eloc, x, m.make<tfm::GatherOp>(eloc, pos, ids, b.getI64IntegerAttr(0)));
  } else {
    Value length = m.make<tfm::ShapeOp>(eloc, inputIds, b.getI64IntegerAttr(1),
                                        b.getI64IntegerAttr(2));
    x = m.make<tfm::AddOp>(eloc, x,
                           m.make<tfm::SliceOp>(eloc, pos, m.i64Constant({0}),
                                                length,
                                                b.getDenseI64ArrayAttr({0}),
                                                b.getDenseI64ArrayAttr({1})));
  }
  // Without a token_type_ids input every token is of type 0.
  if (types)
    x = m.make<tfm::AddOp>(
        eloc, x,
        m.make<tfm::GatherOp>(eloc, type, types, b.getI64IntegerAttr(0)));
  else if (type)
    x = m.make<tfm::AddOp>(eloc, x,
                           m.make<tfm::SliceOp>(eloc, type, m.i64Constant({0}),
                                                m.i64Constant({1}),
                                                b.getDenseI64ArrayAttr({0}),
                                                b.getDenseI64ArrayAttr({1})));
  return layerNorm(x, "embeddings.LayerNorm");
}

/// sentence-transformers' mean pooling over the unmasked tokens
/// (sum(h * m) / max(sum(m), 1e-9)) and, with a Normalize module, the L2
/// normalisation (x / max(|x|, 1e-12)).
Value BertBuilder::sentenceEmbedding(Value h, Value mask) {
  Location loc = m.loc("1_Pooling");
  auto maskType = cast<RankedTensorType>(mask.getType());
  Value mf = tfm::CastOp::create(b, loc, maskType.clone(b.getF32Type()), mask);
  Value m3 = m.make<tfm::UnsqueezeOp>(loc, mf, b.getDenseI64ArrayAttr({2}));
  Value masked = m.make<tfm::MulOp>(loc, h, m3);
  Value sum = m.make<tfm::ReduceOp>(loc, tfm::ReduceKind::sum, masked,
                                    ArrayRef<int64_t>{1}, false);
  Value count = m.make<tfm::ReduceOp>(loc, tfm::ReduceKind::sum, m3,
                                      ArrayRef<int64_t>{1}, false);
  count = m.make<tfm::MaxOp>(loc, count, m.f32Scalar(1e-9));
  Value mean = m.make<tfm::DivOp>(loc, sum, count);
  std::optional<llvm::json::Value> modules =
      readJson(m.folder().path, "modules.json");
  bool normalize = false;
  if (modules && modules->getAsArray())
    for (const llvm::json::Value &module : *modules->getAsArray())
      if (const llvm::json::Object *o = module.getAsObject())
        if (std::optional<llvm::StringRef> type = o->getString("type"))
          normalize |= type->ends_with(".Normalize");
  if (!normalize)
    return mean;
  Location nloc = m.loc("2_Normalize");
  Value sq = m.make<tfm::MulOp>(nloc, mean, mean);
  Value ss = m.make<tfm::ReduceOp>(nloc, tfm::ReduceKind::sum, sq,
                                   ArrayRef<int64_t>{1}, true);
  Value norm = tfm::SqrtOp::create(b, nloc, ss.getType(), ss);
  norm = m.make<tfm::MaxOp>(nloc, norm, m.f32Scalar(1e-12));
  return m.make<tfm::DivOp>(nloc, mean, norm);
}

OwningOpRef<ModuleOp> BertBuilder::build() {
  Type ids = RankedTensorType::get({ShapedType::kDynamic, ShapedType::kDynamic},
                                   b.getI64Type());
  Value inputIds = m.addInput(ids, "input_ids", {"batch", "sequence"});
  Value mask = m.addInput(ids, "attention_mask", {"batch", "sequence"});
  // BERT always takes token_type_ids; RoBERTa only with more than one type
  // (its exports take input_ids and attention_mask); DistilBERT never.
  bool takesTypes = cfg.family == Family::bert ||
                    (cfg.family == Family::roberta && cfg.types > 1);
  Value types = takesTypes
                    ? m.addInput(ids, "token_type_ids", {"batch", "sequence"})
                    : Value();
  Value h = embeddings(inputIds, types);
  if (!h)
    return nullptr;

  Value maskBias = m.paddingMask(mask);

  for (int64_t i = 0; i < cfg.layers && h; ++i)
    h = layer(h, maskBias, i);
  if (!h || m.failed())
    return nullptr;

  llvm::SmallString<256> pooling(m.folder().path);
  llvm::sys::path::append(pooling, "1_Pooling", "config.json");
  std::optional<llvm::json::Value> poolConfig =
      readJson(m.folder().path, "1_Pooling/config.json");
  if (!poolConfig) {
    m.finish({h}, {"last_hidden_state"});
    return m.takeModule();
  }
  const llvm::json::Object *pool = poolConfig->getAsObject();
  if (!pool || pool->getBoolean("pooling_mode_mean_tokens") != true) {
    m.fail("'" + pooling +
           "': kiln builds mean pooling (pooling_mode_mean_tokens) only");
    return nullptr;
  }
  Value e = sentenceEmbedding(h, mask);
  if (!e || m.failed())
    return nullptr;
  m.finish({h, e}, {"last_hidden_state", "sentence_embedding"});
  return m.takeModule();
}

} // namespace

OwningOpRef<ModuleOp> kiln::hf::buildBert(MLIRContext *context,
                                          const CheckpointFolder &folder) {
  llvm::StringRef type = folder.config.modelType();
  Family family = type == "distilbert" ? Family::distilbert
                  : type == "roberta" || type == "xlm-roberta" ? Family::roberta
                                                               : Family::bert;
  llvm::Expected<BertConfig> cfg = readConfig(folder.config, family);
  ModelBuilder m(context, folder);
  if (!cfg) {
    m.fail(llvm::toString(cfg.takeError()));
    return nullptr;
  }
  // The base model's own checkpoints name tensors from "embeddings."; task
  // models (BertForMaskedLM, ...) put them under "bert." ("roberta.",
  // "distilbert.").
  const char *task = cfg->family == Family::bert      ? "bert."
                     : cfg->family == Family::roberta ? "roberta."
                                                      : "distilbert.";
  std::string prefix =
      !folder.weights.contains("embeddings.word_embeddings.weight") &&
              folder.weights.contains(std::string(task) +
                                      "embeddings.word_embeddings.weight")
          ? task
          : "";
  BertBuilder builder(m, *cfg, prefix);
  return builder.build();
}
