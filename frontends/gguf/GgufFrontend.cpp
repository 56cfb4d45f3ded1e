//===- GgufFrontend.cpp - llama.cpp GGUF files ----------------------------===//
//
// Part of kiln. A GGUF file of the LLaMA architecture becomes the
// checkpoint folder the Hugging Face LLaMA builder reads: its llama.*
// hyperparameters a config.json, its tensors the transformers names
// (token_embd -> model.embed_tokens, blk.N.attn_q -> model.layers.N.
// self_attn.q_proj, ...). F32 and F16 tensors are views of the mapped
// file; Q8_0/Q4_0/Q4_1 matmul weights stay quantized for the weight-only
// int8/int4 GEMM (tfm.quantized_matmul), or with --dequantize (and for the
// embedding lookup) are dequantized, bit-exact with the gguf package;
// the query and key projections are un-permuted (llama.cpp's converter
// interleaves each head's two rotary halves, for its GPT-J-style RoPE).
// The tokenizer (GPT-2-style BPE) and chat template come from the metadata
// and go beside the library as tokenizer.json and tokenizer_config.json.
//
//===----------------------------------------------------------------------===//

#include "frontends/gguf/GgufFrontend.h"
#include "frontends/gguf/GgufDequantize.h"
#include "frontends/gguf/GgufFile.h"
#include "frontends/huggingface/ModelBuilder.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cstring>

using namespace mlir;
using namespace kiln;

namespace {

/// The transformers name of GGUF tensor `name`, or "" for one kiln does
/// not use.
std::string hfName(llvm::StringRef name) {
  static const std::pair<const char *, const char *> global[] = {
      {"token_embd.weight", "model.embed_tokens.weight"},
      {"output_norm.weight", "model.norm.weight"},
      {"output.weight", "lm_head.weight"}};
  for (auto [g, h] : global)
    if (name == g)
      return h;
  static const std::pair<const char *, const char *> layer[] = {
      {"attn_norm", "input_layernorm"},
      {"ffn_norm", "post_attention_layernorm"},
      {"attn_q", "self_attn.q_proj"},
      {"attn_k", "self_attn.k_proj"},
      {"attn_v", "self_attn.v_proj"},
      {"attn_output", "self_attn.o_proj"},
      {"ffn_gate", "mlp.gate_proj"},
      {"ffn_up", "mlp.up_proj"},
      {"ffn_down", "mlp.down_proj"}};
  if (!name.consume_front("blk."))
    return "";
  auto [index, rest] = name.split('.');
  auto [part, kind] = rest.split('.');
  for (auto [g, h] : layer)
    if (part == g)
      return "model.layers." + index.str() + "." + h + "." + kind.str();
  return "";
}

/// Rows of a [rows, ...] matrix back in transformers' order: llama.cpp
/// stores, per head of 2 * half rows, row 2j + a where transformers has
/// a * half + j. For a quantized weight, its codes, scales and offsets
/// (one row of groups per output row) each move the same way.
template <typename T>
std::vector<T> unpermute(const std::vector<T> &w, int64_t rows,
                         int64_t heads) {
  if (w.empty())
    return w;
  std::vector<T> out(w.size());
  int64_t cols = static_cast<int64_t>(w.size()) / rows;
  int64_t dim = rows / heads, half = dim / 2;
  for (int64_t h = 0; h < heads; ++h)
    for (int64_t a = 0; a < 2; ++a)
      for (int64_t j = 0; j < half; ++j)
        std::copy_n(&w[(h * dim + 2 * j + a) * cols], cols,
                    &out[(h * dim + a * half + j) * cols]);
  return out;
}

/// The view of float data computed here, owned by the view.
hf::TensorView ownedView(const std::string &what, std::vector<float> values,
                         std::vector<int64_t> shape) {
  hf::TensorView view;
  view.dtype = "F32";
  view.shape = std::move(shape);
  view.file = hf::MappedFile::adopt(what, std::move(values));
  view.bytes = llvm::ArrayRef<char>(view.file->data, view.file->size);
  return view;
}

/// config.json for the LLaMA builder from the llama.* metadata.
llvm::Expected<std::string> configJson(const gguf::File &f) {
  llvm::Expected<std::string> arch = f.string("general.architecture");
  if (!arch)
    return arch.takeError();
  if (*arch != "llama")
    return f.error("general.architecture is '" + *arch +
                   "'; kiln's GGUF frontend builds llama");
  llvm::json::Object config{{"model_type", "llama"}, {"hidden_act", "silu"}};
  struct Field {
    const char *key, *field;
    std::optional<int64_t> fallback;
  };
  for (Field x : {Field{"llama.embedding_length", "hidden_size", {}},
                  Field{"llama.block_count", "num_hidden_layers", {}},
                  Field{"llama.attention.head_count", "num_attention_heads", {}},
                  Field{"llama.feed_forward_length", "intermediate_size", {}},
                  Field{"llama.context_length", "max_position_embeddings",
                        2048}}) {
    llvm::Expected<int64_t> v = f.integer(x.key, x.fallback);
    if (!v)
      return v.takeError();
    config[x.field] = *v;
  }
  llvm::Expected<int64_t> heads = f.integer("llama.attention.head_count");
  llvm::Expected<int64_t> kv =
      f.integer("llama.attention.head_count_kv", heads ? *heads : 0);
  llvm::Expected<double> eps =
      f.number("llama.attention.layer_norm_rms_epsilon");
  llvm::Expected<double> theta = f.number("llama.rope.freq_base", 10000.0);
  if (!heads || !kv || !eps || !theta)
    return llvm::joinErrors(
        heads.takeError(),
        llvm::joinErrors(kv.takeError(), llvm::joinErrors(eps.takeError(),
                                                          theta.takeError())));
  config["num_key_value_heads"] = *kv;
  config["rms_norm_eps"] = *eps;
  config["rope_theta"] = *theta;
  // llama.cpp's RoPE scaling metadata as transformers' rope_scaling.
  if (const gguf::Value *scaling = f.lookup("llama.rope.scaling.type")) {
    const std::string *type = std::get_if<std::string>(&scaling->v);
    if (!type || (*type != "none" && *type != "linear" && *type != "yarn"))
      return f.error("llama.rope.scaling.type is '" +
                     (type ? *type : std::string("?")) +
                     "'; kiln builds none, linear and yarn");
    if (*type != "none") {
      llvm::Expected<double> factor = f.number("llama.rope.scaling.factor");
      if (!factor)
        return factor.takeError();
      llvm::json::Object rope{{"rope_type", *type}, {"factor", *factor}};
      if (*type == "yarn") {
        llvm::Expected<int64_t> original =
            f.integer("llama.rope.scaling.original_context_length",
                      *config.getInteger("max_position_embeddings"));
        if (!original)
          return original.takeError();
        rope["original_max_position_embeddings"] = *original;
      }
      config["rope_scaling"] = std::move(rope);
    }
  }
  // LLaMA 3.1's frequency factors travel as a tensor, not metadata.
  if (f.tensor("rope_freqs.weight"))
    return f.error("the file has rope_freqs.weight (LLaMA 3.1-style RoPE "
                   "frequency factors), which kiln does not build yet");
  int64_t hidden = *config.getInteger("hidden_size");
  if (*heads <= 0 || hidden % *heads)
    return f.error("llama.embedding_length is not a multiple of "
                   "llama.attention.head_count");
  llvm::Expected<int64_t> rope =
      f.integer("llama.rope.dimension_count", hidden / *heads);
  if (!rope)
    return rope.takeError();
  if (*rope != hidden / *heads)
    return f.error("llama.rope.dimension_count (" + llvm::Twine(*rope) +
                   ") is not the head dim (" + llvm::Twine(hidden / *heads) +
                   "): partial rotary is not built");
  const gguf::TensorInfo *embed = f.tensor("token_embd.weight");
  if (!embed || embed->dims.size() != 2)
    return f.error("the file has no 2-D token_embd.weight");
  config["vocab_size"] = embed->dims[1];
  config["tie_word_embeddings"] = f.tensor("output.weight") == nullptr;
  std::string text;
  llvm::raw_string_ostream os(text);
  os << llvm::json::Value(std::move(config));
  return text;
}

/// The checkpoint the LLaMA builder reads, from the file's tensors.
llvm::Expected<hf::Checkpoint> checkpoint(const gguf::File &f,
                                          const hf::HfConfig &config,
                                          bool keepQuantized) {
  hf::Checkpoint weights;
  int64_t heads = *config.positive("num_attention_heads", {});
  int64_t kvHeads = *config.positive("num_key_value_heads", heads);
  for (const gguf::TensorInfo &t : f.tensors()) {
    std::string name = hfName(t.name);
    if (name.empty())
      continue; // e.g. rope_freqs (refused in the config): the builder
                // computes its own tables
    llvm::StringRef n(name);
    bool query = n.ends_with("self_attn.q_proj.weight"),
         key = n.ends_with("self_attn.k_proj.weight");
    auto type = static_cast<gguf::TensorType>(t.type);
    if (!query && !key &&
        (type == gguf::TensorType::F32 || type == gguf::TensorType::F16 ||
         type == gguf::TensorType::BF16)) {
      // A view of the mapped file; the builder widens half types.
      hf::TensorView view;
      view.dtype = type == gguf::TensorType::F32   ? "F32"
                   : type == gguf::TensorType::F16 ? "F16"
                                                   : "BF16";
      view.shape = t.shape();
      view.bytes = t.bytes;
      view.file = f.mapped();
      weights.addTensor(name, std::move(view));
      continue;
    }
    std::vector<int64_t> shape = t.shape();
    int64_t permuted = !(query || key) || shape.size() != 2 ? 0
                       : query                              ? heads
                                                            : kvHeads;
    // Matmul weights and the embedding table stay quantized (the lookup
    // dequantizes the rows it picks).
    bool keep = keepQuantized && gguf::isBlockQuantized(t) && shape.size() == 2;
    hf::TensorView view;
    if (!keep) {
      std::vector<float> values = gguf::dequantize(t);
      if (permuted)
        values = unpermute(values, shape[0], permuted);
      view = ownedView(f.path() + ": " + t.name, std::move(values), shape);
    } else {
      view.dtype = "F32";
      view.shape = shape;
    }
    if (keep) {
      hf::TensorView::Quantized q = gguf::quantizedBlocks(t);
      if (permuted) {
        q.codes = unpermute(q.codes, shape[0], permuted);
        q.scales = unpermute(q.scales, shape[0], permuted);
        q.offsets = unpermute(q.offsets, shape[0], permuted);
      }
      view.quantized =
          std::make_shared<const hf::TensorView::Quantized>(std::move(q));
    }
    // Decoded: the file's blocks are not read again.
    f.mapped()->drop(t.bytes);
    weights.addTensor(name, std::move(view));
  }
  return weights;
}

/// The post-processor of tokenizer.ggml.add_bos_token/add_eos_token: a
/// TemplateProcessing that puts the BOS (EOS) token before (after) the
/// text, or null when neither is set.
llvm::Expected<llvm::json::Value>
bosEosTemplate(const gguf::File &f, const std::vector<std::string> &tokens) {
  llvm::json::Array single;
  llvm::json::Object specials;
  auto special = [&](const char *flag, const char *idKey) -> llvm::Error {
    llvm::Expected<int64_t> set = f.integer(flag, 0);
    if (!set)
      return set.takeError();
    if (!*set)
      return llvm::Error::success();
    llvm::Expected<int64_t> id = f.integer(idKey);
    if (!id)
      return id.takeError();
    if (*id < 0 || static_cast<size_t>(*id) >= tokens.size())
      return f.error(std::string(idKey) + " is not a token of the vocabulary");
    const std::string &token = tokens[*id];
    single.push_back(llvm::json::Object{
        {"SpecialToken", llvm::json::Object{{"id", token}, {"type_id", 0}}}});
    specials[token] = llvm::json::Object{{"id", token},
                                         {"ids", llvm::json::Array{*id}},
                                         {"tokens", llvm::json::Array{token}}};
    return llvm::Error::success();
  };
  if (llvm::Error e = special("tokenizer.ggml.add_bos_token",
                              "tokenizer.ggml.bos_token_id"))
    return std::move(e);
  bool bos = !single.empty();
  single.push_back(llvm::json::Object{
      {"Sequence", llvm::json::Object{{"id", "A"}, {"type_id", 0}}}});
  if (llvm::Error e = special("tokenizer.ggml.add_eos_token",
                              "tokenizer.ggml.eos_token_id"))
    return std::move(e);
  if (!bos && single.size() == 1)
    return nullptr;
  return llvm::json::Object{{"type", "TemplateProcessing"},
                            {"single", std::move(single)},
                            {"pair", llvm::json::Array{}},
                            {"special_tokens", std::move(specials)}};
}

/// tokenizer.json for a GPT-2-style BPE vocabulary in the metadata.
llvm::Expected<std::string> tokenizerJson(const gguf::File &f) {
  llvm::Expected<std::string> model = f.string("tokenizer.ggml.model");
  if (!model)
    return model.takeError();
  if (*model != "gpt2")
    return f.error("tokenizer.ggml.model is '" + *model +
                   "'; kiln reads GPT-2-style byte-level BPE ('gpt2') "
                   "vocabularies only");
  llvm::Expected<std::string> pre = f.string("tokenizer.ggml.pre", "default");
  llvm::Expected<const std::vector<std::string> *> tokens =
      f.strings("tokenizer.ggml.tokens");
  llvm::Expected<const std::vector<std::string> *> merges =
      f.strings("tokenizer.ggml.merges");
  if (!pre || !tokens || !merges)
    return llvm::joinErrors(
        pre.takeError(),
        llvm::joinErrors(tokens.takeError(), merges.takeError()));
  llvm::json::Object byteLevel{{"type", "ByteLevel"},
                               {"add_prefix_space", false},
                               {"trim_offsets", true},
                               {"use_regex", true}};
  llvm::json::Value preTokenizer = llvm::json::Object(byteLevel);
  if (*pre == "smollm")
    preTokenizer = llvm::json::Object{
        {"type", "Sequence"},
        {"pretokenizers",
         llvm::json::Array{llvm::json::Object{{"type", "Digits"},
                                              {"individual_digits", true}},
                           llvm::json::Object(byteLevel)}}};
  else if (*pre != "gpt2" && *pre != "default")
    return f.error("tokenizer.ggml.pre is '" + *pre +
                   "'; kiln splits text as 'gpt2' and 'smollm' do");
  llvm::json::Object vocab;
  for (size_t i = 0; i < (*tokens)->size(); ++i)
    vocab[(**tokens)[i]] = static_cast<int64_t>(i);
  llvm::json::Array mergeList;
  for (const std::string &m : **merges)
    mergeList.push_back(m);
  // Control tokens (token_type 3) are special added tokens, matched whole.
  llvm::json::Array added;
  if (const gguf::Value *types = f.lookup("tokenizer.ggml.token_type"))
    if (const auto *list = std::get_if<std::vector<int64_t>>(&types->v))
      for (size_t i = 0; i < list->size() && i < (*tokens)->size(); ++i)
        if ((*list)[i] == 3)
          added.push_back(llvm::json::Object{
              {"id", static_cast<int64_t>(i)},
              {"content", (**tokens)[i]},
              {"single_word", false},
              {"lstrip", false},
              {"rstrip", false},
              {"normalized", false},
              {"special", true}});
  llvm::Expected<llvm::json::Value> postProcessor = bosEosTemplate(f, **tokens);
  if (!postProcessor)
    return postProcessor.takeError();
  llvm::json::Object root{
      {"version", "1.0"},
      {"added_tokens", std::move(added)},
      {"normalizer", nullptr},
      {"pre_tokenizer", std::move(preTokenizer)},
      {"post_processor", std::move(*postProcessor)},
      {"decoder", llvm::json::Object(byteLevel)},
      {"model", llvm::json::Object{{"type", "BPE"},
                                   {"dropout", nullptr},
                                   {"unk_token", nullptr},
                                   {"fuse_unk", false},
                                   {"byte_fallback", false},
                                   {"ignore_merges", false},
                                   {"vocab", std::move(vocab)},
                                   {"merges", std::move(mergeList)}}}};
  std::string text;
  llvm::raw_string_ostream os(text);
  os << llvm::json::Value(std::move(root));
  return text;
}

/// tokenizer_config.json: the chat template and the end token.
llvm::Expected<std::string> tokenizerConfigJson(const gguf::File &f) {
  llvm::Expected<const std::vector<std::string> *> tokens =
      f.strings("tokenizer.ggml.tokens");
  if (!tokens)
    return tokens.takeError();
  llvm::json::Object config;
  if (const gguf::Value *t = f.lookup("tokenizer.chat_template"))
    if (const std::string *s = std::get_if<std::string>(&t->v))
      config["chat_template"] = *s;
  for (auto [key, field] : {std::pair{"tokenizer.ggml.eos_token_id",
                                      "eos_token"},
                            {"tokenizer.ggml.bos_token_id", "bos_token"}})
    if (const gguf::Value *id = f.lookup(key))
      if (const int64_t *i = std::get_if<int64_t>(&id->v);
          i && *i >= 0 && static_cast<size_t>(*i) < (*tokens)->size())
        config[field] = (**tokens)[*i];
  std::string text;
  llvm::raw_string_ostream os(text);
  os << llvm::json::Value(std::move(config));
  return text;
}

class GgufFrontend : public Frontend {
public:
  llvm::StringRef getName() const override { return "gguf"; }
  llvm::StringRef getDescription() const override {
    return "GGUF (llama.cpp's .gguf, LLaMA architecture)";
  }
  bool accepts(llvm::StringRef path) const override {
    if (path.ends_with(".gguf"))
      return true;
    // Any name: by the magic.
    llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> head =
        llvm::MemoryBuffer::getFileSlice(path, 4, 0);
    return head && (*head)->getBuffer() == "GGUF";
  }

  OwningOpRef<ModuleOp> import(MLIRContext *context,
                               const FrontendInput &input) const override {
    Location loc = FileLineColLoc::get(context, input.path, 0, 0);
    auto failWith = [&](llvm::Error e) -> OwningOpRef<ModuleOp> {
      emitError(loc) << llvm::toString(std::move(e));
      return nullptr;
    };
    llvm::Expected<gguf::File> file = gguf::File::open(input.path);
    if (!file)
      return failWith(file.takeError());
    llvm::Expected<std::string> json = configJson(*file);
    if (!json)
      return failWith(json.takeError());
    llvm::Expected<hf::HfConfig> config =
        hf::HfConfig::parse(input.path + " (llama.* metadata)", *json);
    if (!config)
      return failWith(config.takeError());
    llvm::Expected<hf::Checkpoint> weights =
        checkpoint(*file, *config, input.keepQuantized);
    if (!weights)
      return failWith(weights.takeError());
    hf::CheckpointFolder folder{input.path, std::move(*config),
                                std::move(*weights)};
    return hf::buildLlama(context, folder, input.kvCache);
  }

  llvm::Expected<std::vector<Companion>>
  companions(const FrontendInput &input) const override {
    llvm::Expected<gguf::File> file = gguf::File::open(input.path);
    if (!file)
      return file.takeError();
    llvm::Expected<std::string> tokenizer = tokenizerJson(*file);
    if (!tokenizer)
      return tokenizer.takeError();
    llvm::Expected<std::string> config = tokenizerConfigJson(*file);
    if (!config)
      return config.takeError();
    return std::vector<Companion>{{"tokenizer.json", std::move(*tokenizer)},
                                  {"tokenizer_config.json",
                                   std::move(*config)}};
  }
};

} // namespace

const Frontend &kiln::gguf::getGgufFrontend() {
  static const GgufFrontend frontend;
  return frontend;
}
