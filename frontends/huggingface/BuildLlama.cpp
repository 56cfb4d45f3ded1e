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

#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/MathExtras.h"

#include <algorithm>
#include <cmath>
#include <vector>

using namespace mlir;
using namespace kiln::hf;

namespace {

/// config.json's "rope_scaling", as transformers' modeling_rope_utils
/// reads it.
struct RopeScaling {
  enum Kind { none, linear, llama3, yarn } kind = none;
  double factor = 1.0;
  /// llama3: the band between the low- and high-frequency wavelengths
  /// (original context / low_freq_factor, / high_freq_factor) is smoothed.
  double lowFreqFactor = 1.0, highFreqFactor = 4.0;
  /// llama3 and yarn: the context the model was trained at.
  double originalContext = 0.0;
  /// yarn: the rotations bounding the interpolation ramp, and the factor
  /// cos and sin are scaled by.
  double betaFast = 32.0, betaSlow = 1.0, attentionFactor = 1.0;
  bool truncate = true;
};

struct LlamaConfig {
  int64_t hidden, layers, heads, kvHeads, headDim, intermediate, vocab,
      positions;
  double epsilon, theta;
  RopeScaling rope;
  bool tied;
};

/// Reads "rope_scaling" (null, "default" and "dynamic" NTK are plain RoPE:
/// dynamic changes the frequencies only past max_position_embeddings,
/// which is also the longest context kiln builds).
llvm::Error readRopeScaling(const HfConfig &c, LlamaConfig &cfg) {
  llvm::Expected<const llvm::json::Object *> scaling = c.object("rope_scaling");
  if (!scaling)
    return scaling.takeError();
  if (!*scaling)
    return llvm::Error::success();
  const llvm::json::Object &s = **scaling;
  std::string type =
      s.getString("rope_type").value_or(s.getString("type").value_or("")).str();
  if (type == "default" || type == "dynamic")
    return llvm::Error::success();
  RopeScaling &r = cfg.rope;
  r.kind = llvm::StringSwitch<RopeScaling::Kind>(type)
               .Case("linear", RopeScaling::linear)
               .Case("llama3", RopeScaling::llama3)
               .Case("yarn", RopeScaling::yarn)
               .Default(RopeScaling::none);
  if (r.kind == RopeScaling::none)
    return c.error("rope_scaling",
                   "has type '" + type +
                       "'; kiln builds default, linear, dynamic, llama3 and "
                       "yarn RoPE");
  auto number = [&](llvm::StringRef key, double &field,
                    bool required) -> llvm::Error {
    std::optional<double> v = s.getNumber(key);
    if (!v && !required &&
        (!s.get(key) || s.get(key)->kind() == llvm::json::Value::Null))
      return llvm::Error::success();
    if (!v || !(*v > 0))
      return c.error("rope_scaling", "needs a positive \"" + key + "\" for " +
                                         type + " scaling");
    field = *v;
    return llvm::Error::success();
  };
  if (llvm::Error e = number("factor", r.factor, true))
    return e;
  if (r.kind == RopeScaling::llama3) {
    if (llvm::Error e = number("low_freq_factor", r.lowFreqFactor, true))
      return e;
    if (llvm::Error e = number("high_freq_factor", r.highFreqFactor, true))
      return e;
    if (llvm::Error e =
            number("original_max_position_embeddings", r.originalContext, true))
      return e;
    if (r.highFreqFactor == r.lowFreqFactor)
      return c.error("rope_scaling",
                     "has equal low_freq_factor and high_freq_factor");
  }
  if (r.kind == RopeScaling::yarn) {
    r.originalContext = static_cast<double>(cfg.positions);
    if (llvm::Error e = number("original_max_position_embeddings",
                               r.originalContext, false))
      return e;
    if (llvm::Error e = number("beta_fast", r.betaFast, false))
      return e;
    if (llvm::Error e = number("beta_slow", r.betaSlow, false))
      return e;
    r.truncate = s.getBoolean("truncate").value_or(true);
    // The attention factor: given, or from mscale / mscale_all_dim
    // (DeepSeek's), or the paper's 0.1 ln(factor) + 1.
    auto mscale = [&](double m) {
      return r.factor <= 1.0 ? 1.0 : 0.1 * m * std::log(r.factor) + 1.0;
    };
    std::optional<double> attention = s.getNumber("attention_factor");
    std::optional<double> m = s.getNumber("mscale"),
                          mAll = s.getNumber("mscale_all_dim");
    r.attentionFactor = attention                  ? *attention
                        : m && mAll && *m && *mAll ? mscale(*m) / mscale(*mAll)
                                                   : mscale(1.0);
  }
  return llvm::Error::success();
}

/// RoPE's inverse frequencies (one per rotated pair), as
/// modeling_rope_utils computes them in float32 for each scaling type.
std::vector<float> inverseFrequencies(const LlamaConfig &cfg) {
  int64_t d = cfg.headDim;
  const RopeScaling &r = cfg.rope;
  std::vector<float> invFreq(d / 2);
  for (int64_t i = 0; i < d / 2; ++i)
    invFreq[i] =
        1.0f / std::pow(static_cast<float>(cfg.theta),
                        static_cast<float>(2 * i) / static_cast<float>(d));
  float factor = static_cast<float>(r.factor);
  if (r.kind == RopeScaling::llama3) {
    // Long wavelengths (low frequencies) interpolated by the factor, short
    // ones kept, the band between blended smoothly.
    float context = static_cast<float>(r.originalContext);
    float low = static_cast<float>(r.lowFreqFactor),
          high = static_cast<float>(r.highFreqFactor);
    float lowWavelength = context / low, highWavelength = context / high;
    for (float &f : invFreq) {
      float wavelength = 2.0f * static_cast<float>(llvm::numbers::pi) / f;
      if (wavelength > lowWavelength) {
        f /= factor;
      } else if (wavelength >= highWavelength) {
        float smooth = (context / wavelength - low) / (high - low);
        f = (1.0f - smooth) * f / factor + smooth * f;
      }
    }
  } else if (r.kind == RopeScaling::yarn) {
    // Dimensions that rotate fewer than beta_slow times over the original
    // context are interpolated, more than beta_fast extrapolated, a linear
    // ramp between.
    double base = cfg.theta, dims = static_cast<double>(d);
    auto correction = [&](double rotations) {
      return dims *
             std::log(r.originalContext /
                      (rotations * 2.0 * llvm::numbers::pi)) /
             (2.0 * std::log(base));
    };
    double lowDim = correction(r.betaFast), highDim = correction(r.betaSlow);
    if (r.truncate) {
      lowDim = std::floor(lowDim);
      highDim = std::ceil(highDim);
    }
    lowDim = std::max(lowDim, 0.0);
    highDim = std::min(highDim, dims - 1.0);
    if (lowDim == highDim)
      highDim += 0.001; // as transformers: no zero-width ramp
    float lo = static_cast<float>(lowDim), hi = static_cast<float>(highDim);
    for (int64_t i = 0; i < d / 2; ++i) {
      float ramp =
          std::clamp((static_cast<float>(i) - lo) / (hi - lo), 0.0f, 1.0f);
      float extrapolation = 1.0f - ramp;
      float interpolated = invFreq[i] / factor;
      invFreq[i] =
          interpolated * (1.0f - extrapolation) + invFreq[i] * extrapolation;
    }
  }
  return invFreq;
}

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
  if (llvm::Error e = readRopeScaling(c, cfg))
    return std::move(e);
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
  // As LlamaRotaryEmbedding: the angle position * inv_freq in float32,
  // the d/2 angles repeated (rotate_half); yarn scales cos and sin.
  int64_t d = cfg.headDim, p = cfg.positions;
  std::vector<float> invFreq = inverseFrequencies(cfg);
  std::vector<float> cosTable(p * d), sinTable(p * d);
  float attention = static_cast<float>(cfg.rope.attentionFactor);
  for (int64_t pos = 0; pos < p; ++pos)
    for (int64_t i = 0; i < d; ++i) {
      // Linear scaling: transformers divides the positions (float32).
      float position = static_cast<float>(pos);
      if (cfg.rope.kind == RopeScaling::linear)
        position /= static_cast<float>(cfg.rope.factor);
      float angle = position * invFreq[i % (d / 2)];
      cosTable[pos * d + i] = std::cos(angle) * attention;
      sinTable[pos * d + i] = std::sin(angle) * attention;
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
  Value x = m.embedding("model.embed_tokens", cfg.vocab, cfg.hidden,
                        in.inputIds);
  if (!x)
    return nullptr;
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
