//===- BuildLlama.cpp - LLaMA-family decoders from a checkpoint -----------===//
//
// Part of kiln. Transformers' LlamaForCausalLM (and the checkpoints that
// share its layout: Mistral, Qwen2 with q/k/v biases, SmolLM) as tfm IR,
// in two forms. The KV-cache form (the default; what `kiln generate`
// runs): input_ids [B, S] in, appended to a runtime-owned cache per layer
// (tfm.cached_attention), the logits of each sequence's last new token
// [B, V] out. The prefill form (--no-kv-cache): input_ids and
// attention_mask [B, T] in, logits [B, T, V] out. Both: causal attention
// with grouped-query heads, RoPE from cos/sin tables computed here in
// float32 as transformers computes them.
//
//===----------------------------------------------------------------------===//

#include "frontends/huggingface/ModelBuilder.h"

#include <cmath>

using namespace mlir;
using namespace kiln::hf;

namespace {

struct LlamaConfig {
  int64_t hidden, layers, heads, kvHeads, headDim, intermediate, vocab,
      positions;
  double epsilon, theta;
  /// rope_scaling {"type": "linear", "factor": f}: positions divided by f.
  double linearScaling = 1.0;
  bool tied;
};

llvm::Expected<LlamaConfig> readConfig(const HfConfig &c) {
  LlamaConfig cfg;
  struct Field {
    const char *key;
    int64_t *field;
    std::optional<int64_t> fallback;
  };
  for (Field f : {Field{"hidden_size", &cfg.hidden, {}},
                  Field{"num_hidden_layers", &cfg.layers, {}},
                  Field{"num_attention_heads", &cfg.heads, {}},
                  Field{"intermediate_size", &cfg.intermediate, {}},
                  Field{"vocab_size", &cfg.vocab, {}},
                  Field{"max_position_embeddings", &cfg.positions, 2048}}) {
    llvm::Expected<int64_t> v = c.positive(f.key, f.fallback);
    if (!v)
      return v.takeError();
    *f.field = *v;
  }
  llvm::Expected<int64_t> kv = c.positive("num_key_value_heads", cfg.heads);
  if (!kv)
    return kv.takeError();
  cfg.kvHeads = *kv;
  if (cfg.hidden % cfg.heads)
    return c.error("hidden_size", "is not a multiple of num_attention_heads");
  llvm::Expected<int64_t> headDim =
      c.positive("head_dim", cfg.hidden / cfg.heads);
  if (!headDim)
    return headDim.takeError();
  cfg.headDim = *headDim;
  if (cfg.heads % cfg.kvHeads)
    return c.error("num_attention_heads",
                   "is not a multiple of num_key_value_heads");
  if (cfg.headDim % 2)
    return c.error("head_dim", "is odd; RoPE rotates pairs");
  llvm::Expected<double> eps = c.number("rms_norm_eps", 1e-6);
  llvm::Expected<double> theta = c.number("rope_theta", 10000.0);
  llvm::Expected<bool> tied = c.boolean("tie_word_embeddings", false);
  llvm::Expected<std::string> act = c.string("hidden_act", "silu");
  if (!eps || !theta || !tied || !act) {
    llvm::Error e = llvm::joinErrors(
        eps.takeError(),
        llvm::joinErrors(theta.takeError(),
                         llvm::joinErrors(tied.takeError(), act.takeError())));
    return std::move(e);
  }
  cfg.epsilon = *eps;
  cfg.theta = *theta;
  cfg.tied = *tied;
  if (*act != "silu")
    return c.error("hidden_act", "is '" + *act + "'; kiln builds silu");
  llvm::Expected<const llvm::json::Object *> scaling = c.object("rope_scaling");
  if (!scaling)
    return scaling.takeError();
  if (*scaling) {
    const llvm::json::Object &s = **scaling;
    std::string type =
        s.getString("rope_type").value_or(s.getString("type").value_or(""))
            .str();
    std::optional<double> factor = s.getNumber("factor");
    if (type == "linear" && factor && *factor > 0)
      cfg.linearScaling = *factor;
    else if (type != "default")
      return c.error("rope_scaling",
                     "has type '" + type +
                         "'; kiln builds linear scaling (with a positive "
                         "factor) and unscaled RoPE only (for now)");
  }
  return cfg;
}

class LlamaBuilder {
public:
  LlamaBuilder(ModelBuilder &m, const LlamaConfig &cfg)
      : m(m), b(m.builder()), cfg(cfg) {}
  OwningOpRef<ModuleOp> build(bool kvCache);

private:
  Value rmsNorm(Value x, llvm::StringRef weight);
  /// cos and sin of every position, [P, headDim] constants.
  std::pair<Value, Value> rotaryTables();
  /// cos and sin of positions [0, T), [1, 1, T, headDim].
  std::pair<Value, Value> prefillRotary(Value inputIds);
  /// cos and sin of positions lengths[b] + [0, S), [B, 1, S, headDim].
  std::pair<Value, Value> cachedRotary(Value inputIds, Value lengths);
  Value layer(Value x, const ModelBuilder::DecoderInputs &in, Value cos,
              Value sin, int64_t index);
  /// The final norm and lm_head: logits of every position of x.
  Value logits(Value x);

  ModelBuilder &m;
  OpBuilder &b;
  const LlamaConfig &cfg;
};

Value LlamaBuilder::rmsNorm(Value x, llvm::StringRef weight) {
  Value scale = m.weight(weight, {cfg.hidden});
  if (!x || !scale)
    return {};
  return tfm::RmsNormOp::create(b, m.loc(weight), x.getType(), x, scale,
                                b.getI64IntegerAttr(2),
                                b.getF32FloatAttr(cfg.epsilon));
}

std::pair<Value, Value> LlamaBuilder::rotaryTables() {
  // As LlamaRotaryEmbedding: inv_freq = 1 / theta^(2i / d) and the angle
  // position * inv_freq in float32, the d/2 angles repeated (rotate_half).
  int64_t d = cfg.headDim, p = cfg.positions;
  std::vector<float> invFreq(d / 2), cosTable(p * d), sinTable(p * d);
  for (int64_t i = 0; i < d / 2; ++i)
    invFreq[i] =
        1.0f / std::pow(static_cast<float>(cfg.theta),
                        static_cast<float>(2 * i) / static_cast<float>(d));
  for (int64_t pos = 0; pos < p; ++pos)
    for (int64_t i = 0; i < d; ++i) {
      // Linear scaling: transformers divides the positions (float32).
      float position = static_cast<float>(pos);
      if (cfg.linearScaling != 1.0)
        position /= static_cast<float>(cfg.linearScaling);
      float angle = position * invFreq[i % (d / 2)];
      cosTable[pos * d + i] = std::cos(angle);
      sinTable[pos * d + i] = std::sin(angle);
    }
  auto type = RankedTensorType::get({p, d}, b.getF32Type());
  Location where = m.loc("rotary_emb");
  auto table = [&](std::vector<float> &values) -> Value {
    return tfm::ConstantOp::create(
        b, where, DenseElementsAttr::get(type, llvm::ArrayRef<float>(values)));
  };
  return {table(cosTable), table(sinTable)};
}

std::pair<Value, Value> LlamaBuilder::prefillRotary(Value inputIds) {
  Location where = m.loc("rotary_emb");
  Value length = m.make<tfm::ShapeOp>(where, inputIds, b.getI64IntegerAttr(1),
                                      b.getI64IntegerAttr(2));
  auto [cos, sin] = rotaryTables();
  auto rows = [&](Value table) {
    Value t = m.make<tfm::UnsqueezeOp>(where, table,
                                       b.getDenseI64ArrayAttr({0, 1}));
    return m.make<tfm::SliceOp>(where, t, m.i64Constant({0}), length,
                                b.getDenseI64ArrayAttr({2}),
                                b.getDenseI64ArrayAttr({1}));
  };
  return {rows(cos), rows(sin)};
}

std::pair<Value, Value> LlamaBuilder::cachedRotary(Value inputIds,
                                                   Value lengths) {
  Location where = m.loc("rotary_emb");
  Value positions = m.cachePositions(inputIds, lengths);
  auto [cos, sin] = rotaryTables();
  auto rows = [&](Value table) {
    Value r = m.make<tfm::GatherOp>(where, table, positions,
                                    b.getI64IntegerAttr(0));
    return m.make<tfm::UnsqueezeOp>(where, r, b.getDenseI64ArrayAttr({1}));
  };
  return {rows(cos), rows(sin)};
}

Value LlamaBuilder::layer(Value x, const ModelBuilder::DecoderInputs &in,
                          Value cos, Value sin, int64_t index) {
  std::string l = "model.layers." + std::to_string(index) + ".";
  bool qkvBias = m.folder().weights.contains(l + "self_attn.q_proj.bias");
  Location where = m.loc(l + "self_attn");
  Value h = rmsNorm(x, l + "input_layernorm.weight");
  int64_t qWidth = cfg.heads * cfg.headDim, kvWidth = cfg.kvHeads * cfg.headDim;
  Value q = m.splitHeads(
      m.linear(h, l + "self_attn.q_proj", cfg.hidden, qWidth, qkvBias),
      cfg.heads, cfg.headDim, where);
  Value k = m.splitHeads(
      m.linear(h, l + "self_attn.k_proj", cfg.hidden, kvWidth, qkvBias),
      cfg.kvHeads, cfg.headDim, where);
  Value v = m.splitHeads(
      m.linear(h, l + "self_attn.v_proj", cfg.hidden, kvWidth, qkvBias),
      cfg.kvHeads, cfg.headDim, where);
  if (!q || !k || !v)
    return {};
  q = tfm::RopeOp::create(b, where, q.getType(), q, cos, sin, UnitAttr());
  k = tfm::RopeOp::create(b, where, k.getType(), k, cos, sin, UnitAttr());
  FloatAttr scale =
      b.getF32FloatAttr(1.0f / std::sqrt(static_cast<float>(cfg.headDim)));
  Value a = m.causalAttention(in, index, q, k, v, scale, where);
  x = m.linear(m.mergeHeads(a, qWidth, where), l + "self_attn.o_proj", qWidth,
               cfg.hidden, /*bias=*/false, /*residual=*/x);
  Value h2 = rmsNorm(x, l + "post_attention_layernorm.weight");
  Value gate = m.linear(h2, l + "mlp.gate_proj", cfg.hidden, cfg.intermediate,
                        false, {}, tfm::Activation::silu);
  Value up =
      m.linear(h2, l + "mlp.up_proj", cfg.hidden, cfg.intermediate, false);
  if (!gate || !up)
    return {};
  Value gated = m.make<tfm::MulOp>(m.loc(l + "mlp"), gate, up);
  return m.linear(gated, l + "mlp.down_proj", cfg.intermediate, cfg.hidden,
                  false, /*residual=*/x);
}

Value LlamaBuilder::logits(Value x) {
  x = rmsNorm(x, "model.norm.weight");
  // Tied embeddings: the lm_head is the embedding table, [V, H] as stored.
  bool separate = m.folder().weights.contains("lm_head.weight");
  if (!separate && !cfg.tied)
    return m.fail("the checkpoint has no lm_head.weight and config.json does "
                  "not tie the word embeddings");
  return m.linear(x, separate ? "lm_head" : "model.embed_tokens", cfg.hidden,
                  cfg.vocab, false);
}

OwningOpRef<ModuleOp> LlamaBuilder::build(bool kvCache) {
  ModelBuilder::DecoderInputs in = m.addDecoderInputs(
      kvCache, cfg.layers, cfg.kvHeads, cfg.headDim, cfg.positions);
  Value table = m.weight("model.embed_tokens.weight", {cfg.vocab, cfg.hidden});
  if (!table)
    return nullptr;
  Value x =
      m.make<tfm::EmbeddingOp>(m.loc("model.embed_tokens"), table, in.inputIds);
  auto [cos, sin] = kvCache ? cachedRotary(in.inputIds, in.cache.lengths)
                            : prefillRotary(in.inputIds);
  for (int64_t i = 0; i < cfg.layers && x; ++i)
    x = layer(x, in, cos, sin, i);
  return m.finishDecoder(in, x, [&](Value h) { return logits(h); });
}

} // namespace

OwningOpRef<ModuleOp> kiln::hf::buildLlama(MLIRContext *context,
                                           const CheckpointFolder &folder,
                                           bool kvCache) {
  llvm::Expected<LlamaConfig> cfg = readConfig(folder.config);
  ModelBuilder m(context, folder);
  if (!cfg) {
    m.fail(llvm::toString(cfg.takeError()));
    return nullptr;
  }
  return LlamaBuilder(m, *cfg).build(kvCache);
}
