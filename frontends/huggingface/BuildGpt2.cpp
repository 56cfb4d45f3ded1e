//===- BuildGpt2.cpp - GPT-2 decoders from a checkpoint -------------------===//
//
// Part of kiln. Transformers' GPT2LMHeadModel as tfm IR, in the two forms
// of the LLaMA builder (BuildLlama.cpp): the KV-cache decoder (input_ids
// in, the last new token's logits out, a key and a value cache per layer)
// or, with --no-kv-cache, the prefill form (input_ids and attention_mask
// in, every position's logits out). Learned absolute positions (wpe),
// pre-norm LayerNorm blocks, one fused c_attn projection split into q, k
// and v, the tanh-GELU MLP, the lm_head tied to wte. GPT-2 stores its
// projections as Conv1D, [in, out]: x times the weight as stored.
//
//===----------------------------------------------------------------------===//

#include "frontends/huggingface/ModelBuilder.h"

#include <cmath>

using namespace mlir;
using namespace kiln::hf;

namespace {

struct Gpt2Config {
  int64_t hidden, layers, heads, inner, vocab, positions;
  double epsilon;
  tfm::Activation activation;
};

llvm::Expected<Gpt2Config> readConfig(const HfConfig &c) {
  Gpt2Config cfg;
  struct Field {
    const char *key;
    int64_t *field;
    std::optional<int64_t> fallback;
  };
  for (Field f : {Field{"n_embd", &cfg.hidden, {}},
                  Field{"n_layer", &cfg.layers, {}},
                  Field{"n_head", &cfg.heads, {}},
                  Field{"vocab_size", &cfg.vocab, {}},
                  Field{"n_positions", &cfg.positions, 1024}}) {
    llvm::Expected<int64_t> v = c.positive(f.key, f.fallback);
    if (!v)
      return v.takeError();
    *f.field = *v;
  }
  llvm::Expected<int64_t> inner = c.positive("n_inner", 4 * cfg.hidden);
  if (!inner)
    return inner.takeError();
  cfg.inner = *inner;
  if (cfg.hidden % cfg.heads)
    return c.error("n_embd", "is not a multiple of n_head");
  llvm::Expected<double> eps = c.number("layer_norm_epsilon", 1e-5);
  if (!eps)
    return eps.takeError();
  cfg.epsilon = *eps;
  llvm::Expected<std::string> act =
      c.string("activation_function", "gelu_new");
  if (!act)
    return act.takeError();
  if (*act == "gelu_new" || *act == "gelu_pytorch_tanh")
    cfg.activation = tfm::Activation::gelu_tanh;
  else if (*act == "gelu")
    cfg.activation = tfm::Activation::gelu;
  else if (*act == "relu")
    cfg.activation = tfm::Activation::relu;
  else
    return c.error("activation_function",
                   "is '" + *act + "'; kiln builds gelu_new, gelu and relu");
  // Variants this builder does not take: refused, not silently wrong.
  for (const char *key : {"scale_attn_by_inverse_layer_idx",
                          "reorder_and_upcast_attn"}) {
    llvm::Expected<bool> set = c.boolean(key, false);
    if (!set)
      return set.takeError();
    if (*set)
      return c.error(key, "is set; kiln builds GPT-2 without it");
  }
  llvm::Expected<bool> scaled = c.boolean("scale_attn_weights", true);
  if (!scaled)
    return scaled.takeError();
  if (!*scaled)
    return c.error("scale_attn_weights", "is false; kiln builds scaled "
                                         "attention only");
  return cfg;
}

class Gpt2Builder {
public:
  Gpt2Builder(ModelBuilder &m, const Gpt2Config &cfg)
      : m(m), b(m.builder()), cfg(cfg),
        // GPT2LMHeadModel's tensors are "transformer.h.0...", GPT2Model's
        // (and the original gpt2 checkpoints') "h.0...".
        p(m.folder().weights.contains("transformer.wte.weight")
              ? "transformer."
              : "") {}
  OwningOpRef<ModuleOp> build(bool kvCache);

private:
  Value layerNorm(Value x, const std::string &module) {
    Value scale = m.weight(module + ".weight", {cfg.hidden});
    Value bias = m.weight(module + ".bias", {cfg.hidden});
    if (!x || !scale || !bias)
      return {};
    return tfm::LayerNormOp::create(b, m.loc(module), x.getType(), x, scale,
                                    bias, b.getI64IntegerAttr(2),
                                    b.getF32FloatAttr(cfg.epsilon));
  }
  /// x times Conv1D `module`'s weight [in, out], plus its bias.
  Value conv1d(Value x, const std::string &module, int64_t in, int64_t out,
               Value residual = {},
               std::optional<tfm::Activation> activation = {}) {
    Value w = m.weight(module + ".weight", {in, out});
    Value bias = m.weight(module + ".bias", {out});
    if (!x || !w || !bias)
      return {};
    tfm::ActivationAttr act =
        activation ? tfm::ActivationAttr::get(m.context(), *activation)
                   : tfm::ActivationAttr();
    return m.make<tfm::MatmulOp>(m.loc(module), x, w, bias, residual,
                                 UnitAttr(), UnitAttr(), act);
  }
  /// Features [from, from + width) of x [B, T, 3H].
  Value slice(Value x, int64_t from, int64_t width, Location where) {
    return m.make<tfm::SliceOp>(where, x, m.i64Constant({from}),
                                m.i64Constant({from + width}),
                                b.getDenseI64ArrayAttr({2}),
                                b.getDenseI64ArrayAttr({1}));
  }
  Value layer(Value x, const ModelBuilder::DecoderInputs &in, int64_t index);

  ModelBuilder &m;
  OpBuilder &b;
  const Gpt2Config &cfg;
  std::string p;
};

Value Gpt2Builder::layer(Value x, const ModelBuilder::DecoderInputs &in,
                         int64_t index) {
  std::string l = p + "h." + std::to_string(index) + ".";
  Location where = m.loc(l + "attn");
  int64_t h = cfg.hidden, d = cfg.hidden / cfg.heads;
  Value qkv = conv1d(layerNorm(x, l + "ln_1"), l + "attn.c_attn", h, 3 * h);
  if (!qkv)
    return {};
  Value q = m.splitHeads(slice(qkv, 0, h, where), cfg.heads, d, where);
  Value k = m.splitHeads(slice(qkv, h, h, where), cfg.heads, d, where);
  Value v = m.splitHeads(slice(qkv, 2 * h, h, where), cfg.heads, d, where);
  if (!q || !k || !v)
    return {};
  FloatAttr scale = b.getF32FloatAttr(1.0f / std::sqrt(static_cast<float>(d)));
  Value a = m.causalAttention(in, index, q, k, v, scale, where);
  x = conv1d(m.mergeHeads(a, h, where), l + "attn.c_proj", h, h, x);
  Value up = conv1d(layerNorm(x, l + "ln_2"), l + "mlp.c_fc", h, cfg.inner,
                    {}, cfg.activation);
  return conv1d(up, l + "mlp.c_proj", cfg.inner, h, x);
}

OwningOpRef<ModuleOp> Gpt2Builder::build(bool kvCache) {
  ModelBuilder::DecoderInputs in = m.addDecoderInputs(
      kvCache, cfg.layers, cfg.heads, cfg.hidden / cfg.heads, cfg.positions);
  Value wte = m.weight(p + "wte.weight", {cfg.vocab, cfg.hidden});
  Value wpe = m.weight(p + "wpe.weight", {cfg.positions, cfg.hidden});
  if (!wte || !wpe)
    return nullptr;
  Location where = m.loc(p + "wpe");
  Value positions;
  if (kvCache) {
    positions = m.make<tfm::GatherOp>(
        where, wpe, m.cachePositions(in.inputIds, in.cache.lengths),
        b.getI64IntegerAttr(0));
  } else {
    Value length = m.make<tfm::ShapeOp>(
        where, in.inputIds, b.getI64IntegerAttr(1), b.getI64IntegerAttr(2));
    positions = m.make<tfm::SliceOp>(where, wpe, m.i64Constant({0}), length,
                                     b.getDenseI64ArrayAttr({0}),
                                     b.getDenseI64ArrayAttr({1}));
  }
  Value x = m.make<tfm::AddOp>(
      where, m.make<tfm::EmbeddingOp>(m.loc(p + "wte"), wte, in.inputIds),
      positions);
  for (int64_t i = 0; i < cfg.layers && x; ++i)
    x = layer(x, in, i);
  return m.finishDecoder(in, x, [&](Value h) {
    // The lm_head is wte, [V, H] as stored.
    bool separate = m.folder().weights.contains("lm_head.weight");
    return m.linear(layerNorm(h, p + "ln_f"), separate ? "lm_head" : p + "wte",
                    cfg.hidden, cfg.vocab, false);
  });
}

} // namespace

OwningOpRef<ModuleOp> kiln::hf::buildGpt2(MLIRContext *context,
                                          const CheckpointFolder &folder,
                                          bool kvCache) {
  llvm::Expected<Gpt2Config> cfg = readConfig(folder.config);
  ModelBuilder m(context, folder);
  if (!cfg) {
    m.fail(llvm::toString(cfg.takeError()));
    return nullptr;
  }
  return Gpt2Builder(m, *cfg).build(kvCache);
}
