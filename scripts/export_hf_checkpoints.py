#!/usr/bin/python3
"""Write tiny random-weight Hugging Face checkpoints (config.json +
model.safetensors, as save_pretrained writes them) and the same models
exported to ONNX, for the Hugging Face frontend's tests.

Run with Debian's Python (python3-torch 1.13, transformers):

    /usr/bin/python3 scripts/export_hf_checkpoints.py --out DIR

Writes, each a checkpoint folder NAME/ beside NAME.onnx (inputs
input_ids, attention_mask, token_type_ids with dynamic batch and
sequence; output last_hidden_state):

    bert          BertModel, 2 layers, hidden 64, 4 heads, erf GELU
    bert_tanh     the same with hidden_act gelu_new, layer_norm_eps 1e-5
    bert_masked   BertForMaskedLM saved whole (tensors under "bert."),
                  exported through its encoder
    bert_fp16     BertModel saved in float16 (kiln widens the weights;
                  the ONNX export is of the same fp16-rounded weights in
                  float32)
    bert_sharded  BertModel saved in two shards with
                  model.safetensors.index.json
    sentence      a sentence-transformers folder: BertModel plus
                  1_Pooling/config.json (mean tokens) and modules.json
                  with Normalize, and a WordPiece tokenizer.json trained
                  on a few sentences; sentence.onnx also outputs
                  sentence_embedding (masked mean, L2-normalised)
    roberta       RobertaModel (padding index 1, one token type; inputs
                  input_ids, attention_mask)
    roberta_masked  RobertaForMaskedLM saved whole (under "roberta.")
    distilbert    DistilBertModel (inputs input_ids, attention_mask)

    llama         LlamaForCausalLM, 2 layers, hidden 64, 4 query heads
                  over 2 key/value heads (GQA), separate lm_head; inputs
                  input_ids, attention_mask; output logits
    llama_tied    tied embeddings (SmolLM's layout), 2 query heads of 32
                  over 1 key/value head, rope_theta 500000
    qwen2         Qwen2ForCausalLM (q/k/v biases), tied
    llama_rope_linear  LLaMA with rope_scaling {"type": "linear", "factor": 4}
    llama_rope_dynamic, llama_rope_llama3, llama_rope_yarn  the other
                  scaling types (ROPE_SCALING; llama3 and yarn patched
                  into this transformers' rotary embeddings)
    gpt2          GPT2LMHeadModel, 2 layers, hidden 64, 4 heads, tied

and a manifest.json naming them.
"""

import argparse
import json
import os

import torch
from transformers import (BertConfig, BertForMaskedLM, BertModel,
                          DistilBertConfig, DistilBertModel, GPT2Config,
                          GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM,
                          Qwen2Config, Qwen2ForCausalLM, RobertaConfig,
                          RobertaForMaskedLM, RobertaModel)


def config(**overrides):
    args = dict(vocab_size=120, hidden_size=64, num_hidden_layers=2,
                num_attention_heads=4, intermediate_size=128,
                max_position_embeddings=96, type_vocab_size=2)
    args.update(overrides)
    return BertConfig(**args)


class Encoder(torch.nn.Module):
    """last_hidden_state (and the pooled sentence embedding) of a BertModel
    (or a RoBERTa or DistilBERT, which take no token_type_ids)."""

    def __init__(self, bert, pool=False):
        super().__init__()
        self.bert, self.pool = bert, pool

    def forward(self, input_ids, attention_mask, token_type_ids=None):
        kw = {} if token_type_ids is None else {
            "token_type_ids": token_type_ids}
        h = self.bert(input_ids=input_ids, attention_mask=attention_mask,
                      **kw).last_hidden_state
        if not self.pool:
            return h
        m = attention_mask.unsqueeze(-1).to(h.dtype)
        e = (h * m).sum(1) / torch.clamp(m.sum(1), min=1e-9)
        e = torch.nn.functional.normalize(e, p=2, dim=1)
        return h, e


class Decoder(torch.nn.Module):
    """The logits of a causal LM, no cache."""

    def __init__(self, lm):
        super().__init__()
        self.lm = lm

    def forward(self, input_ids, attention_mask):
        return self.lm(input_ids=input_ids, attention_mask=attention_mask,
                       use_cache=False).logits


def scaled_inv_freq(cfg, scaling):
    """transformers' modeling_rope_utils inverse frequencies (and the
    attention factor) for llama3 and yarn rope_scaling: this transformers
    (4.40, for Debian's torch) predates them, so the export patches them
    into its rotary embeddings."""
    import math
    dim = cfg.hidden_size // cfg.num_attention_heads
    base = cfg.rope_theta
    inv = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.int64).float()
                          / dim))
    factor = scaling["factor"]
    if scaling["rope_type"] == "llama3":
        low, high = scaling["low_freq_factor"], scaling["high_freq_factor"]
        old = scaling["original_max_position_embeddings"]
        wavelen = 2 * math.pi / inv
        out = torch.where(wavelen > old / low, inv / factor, inv)
        smooth = (old / wavelen - low) / (high - low)
        smoothed = (1 - smooth) * out / factor + smooth * out
        medium = ~(wavelen < old / high) * ~(wavelen > old / low)
        return torch.where(medium, smoothed, out), 1.0
    old = scaling.get("original_max_position_embeddings",
                      cfg.max_position_embeddings)

    def correction(rotations):
        return (dim * math.log(old / (rotations * 2 * math.pi))) / \
            (2 * math.log(base))
    lo = max(math.floor(correction(scaling.get("beta_fast", 32))), 0)
    hi = min(math.ceil(correction(scaling.get("beta_slow", 1))), dim - 1)
    if lo == hi:
        hi += 0.001
    ramp = torch.clamp((torch.arange(dim // 2, dtype=torch.float32) - lo)
                       / (hi - lo), 0, 1)
    extrapolation = 1 - ramp
    inv = inv / factor * (1 - extrapolation) + inv * extrapolation
    return inv, 0.1 * math.log(factor) + 1.0


def with_rope_scaling(lm, scaling):
    """Patches `scaling` (llama3 or yarn) into a 4.40 LlamaForCausalLM."""
    inv, attention = scaled_inv_freq(lm.config, scaling)
    for layer in lm.model.layers:
        rotary = layer.self_attn.rotary_emb
        rotary.inv_freq = inv.clone()
        if attention != 1.0:
            plain = rotary.forward

            def forward(x, position_ids, plain=plain):
                cos, sin = plain(x, position_ids)
                return cos * attention, sin * attention
            rotary.forward = forward
    return lm


# The rope_scaling written into the config.json of the checkpoints this
# transformers cannot build itself (original context 32 of the 128, so the
# test lengths reach the scaled frequencies).
ROPE_SCALING = {
    "llama_rope_llama3": {"rope_type": "llama3", "factor": 8.0,
                          "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                          "original_max_position_embeddings": 32},
    "llama_rope_yarn": {"rope_type": "yarn", "factor": 4.0,
                        "original_max_position_embeddings": 32},
}


def export_decoder(module, path):
    ids = torch.randint(0, 100, (2, 9))
    names = ["input_ids", "attention_mask"]
    axes = {n: {0: "batch", 1: "sequence"} for n in names + ["logits"]}
    torch.onnx.export(module, (ids, torch.ones_like(ids)), path,
                      input_names=names, output_names=["logits"],
                      dynamic_axes=axes, opset_version=17)


def decoder_config(cls, **overrides):
    args = dict(vocab_size=120, hidden_size=64, num_hidden_layers=2,
                num_attention_heads=4, num_key_value_heads=2,
                intermediate_size=96, max_position_embeddings=128,
                rms_norm_eps=1e-5, attn_implementation="eager")
    args.update(overrides)
    return cls(**args)


def export(module, path, outputs, types=True):
    ids = torch.randint(0, 100, (2, 9))
    names = ["input_ids", "attention_mask"] + (["token_type_ids"]
                                               if types else [])
    axes = {n: {0: "batch", 1: "sequence"} for n in names}
    axes["last_hidden_state"] = {0: "batch", 1: "sequence"}
    if "sentence_embedding" in outputs:
        axes["sentence_embedding"] = {0: "batch"}
    args = (ids, torch.ones_like(ids)) + ((torch.zeros_like(ids),)
                                          if types else ())
    torch.onnx.export(module, args, path, input_names=names,
                      output_names=outputs, dynamic_axes=axes,
                      opset_version=17)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", required=True)
    out = p.parse_args().out
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    made = []

    def save(name, model, encoder, outputs=("last_hidden_state",),
             types=True, **kw):
        folder = os.path.join(out, name)
        model.save_pretrained(folder, safe_serialization=True, **kw)
        export(encoder.eval(), os.path.join(out, name + ".onnx"),
               list(outputs), types)
        made.append(name)
        return folder

    def randomize(model):
        # Random layer norms and biases too, so a swapped or dropped one
        # shows in the outputs.
        with torch.no_grad():
            for n, t in model.named_parameters():
                norm = "LayerNorm" in n or "layer_norm" in n
                if norm or n.endswith(".bias"):
                    t.copy_(torch.randn_like(t) * 0.1 +
                            (1.0 if norm and n.endswith(".weight") else 0.0))
        return model.eval()

    bert = randomize(BertModel(config(), add_pooling_layer=False))
    save("bert", bert, Encoder(bert))
    tanh = randomize(BertModel(config(hidden_act="gelu_new",
                                      layer_norm_eps=1e-5),
                               add_pooling_layer=False))
    save("bert_tanh", tanh, Encoder(tanh))
    mlm = randomize(BertForMaskedLM(config()))
    save("bert_masked", mlm, Encoder(mlm.bert))
    half = randomize(BertModel(config(), add_pooling_layer=False))
    half_folder = os.path.join(out, "bert_fp16")
    half.half().save_pretrained(half_folder, safe_serialization=True)
    export(Encoder(half.float()).eval(), half_folder + ".onnx",
           ["last_hidden_state"])
    made.append("bert_fp16")
    sharded = randomize(BertModel(config(), add_pooling_layer=False))
    save("bert_sharded", sharded, Encoder(sharded), max_shard_size="100KB")
    # RoBERTa: positions counted past the padding index (id 1, which the
    # random test ids hit), one token type, no token_type_ids input.
    roberta_cfg = RobertaConfig(
        vocab_size=120, hidden_size=64, num_hidden_layers=2,
        num_attention_heads=4, intermediate_size=128,
        max_position_embeddings=96, type_vocab_size=1, pad_token_id=1,
        layer_norm_eps=1e-5)
    roberta = randomize(RobertaModel(roberta_cfg, add_pooling_layer=False))
    save("roberta", roberta, Encoder(roberta), types=False)
    roberta_mlm = randomize(RobertaForMaskedLM(roberta_cfg))
    save("roberta_masked", roberta_mlm, Encoder(roberta_mlm.roberta),
         types=False)
    distil = randomize(DistilBertModel(DistilBertConfig(
        vocab_size=120, dim=64, n_layers=2, n_heads=4, hidden_dim=128,
        max_position_embeddings=96)))
    save("distilbert", distil, Encoder(distil), types=False)
    sentence = randomize(BertModel(config(), add_pooling_layer=False))
    folder = save("sentence", sentence, Encoder(sentence, pool=True),
                  outputs=("last_hidden_state", "sentence_embedding"))
    os.makedirs(os.path.join(folder, "1_Pooling"), exist_ok=True)
    with open(os.path.join(folder, "1_Pooling", "config.json"), "w") as f:
        json.dump({"word_embedding_dimension": 64,
                   "pooling_mode_cls_token": False,
                   "pooling_mode_mean_tokens": True,
                   "pooling_mode_max_tokens": False}, f)
    with open(os.path.join(folder, "modules.json"), "w") as f:
        json.dump([{"idx": 0, "name": "0", "path": "",
                    "type": "sentence_transformers.models.Transformer"},
                   {"idx": 1, "name": "1", "path": "1_Pooling",
                    "type": "sentence_transformers.models.Pooling"},
                   {"idx": 2, "name": "2", "path": "2_Normalize",
                    "type": "sentence_transformers.models.Normalize"}], f)
    for name, lm in [
            ("llama", LlamaForCausalLM(decoder_config(LlamaConfig))),
            ("llama_tied", LlamaForCausalLM(decoder_config(
                LlamaConfig, tie_word_embeddings=True, num_attention_heads=2,
                num_key_value_heads=1, rope_theta=500000.0))),
            ("qwen2", Qwen2ForCausalLM(decoder_config(
                Qwen2Config, tie_word_embeddings=True))),
            ("llama_rope_linear", LlamaForCausalLM(decoder_config(
                LlamaConfig, rope_scaling={"type": "linear",
                                           "factor": 4.0}))),
            ("llama_rope_dynamic", LlamaForCausalLM(decoder_config(
                LlamaConfig, rope_scaling={"type": "dynamic",
                                           "factor": 2.0}))),
            ("llama_rope_llama3", LlamaForCausalLM(decoder_config(
                LlamaConfig))),
            ("llama_rope_yarn", LlamaForCausalLM(decoder_config(
                LlamaConfig))),
            ("gpt2", GPT2LMHeadModel(GPT2Config(
                vocab_size=120, n_embd=64, n_layer=2, n_head=4,
                n_positions=128, attn_implementation="eager")))]:
        lm = randomize(lm)
        scaling = ROPE_SCALING.get(name)
        if scaling:
            with_rope_scaling(lm, scaling)
        lm.save_pretrained(os.path.join(out, name), safe_serialization=True)
        if scaling:
            config_path = os.path.join(out, name, "config.json")
            with open(config_path) as f:
                saved = json.load(f)
            saved["rope_scaling"] = scaling
            with open(config_path, "w") as f:
                json.dump(saved, f, indent=2)
        export_decoder(Decoder(lm).eval(), os.path.join(out, name + ".onnx"))
        made.append(name)

    # A tokenizer for `kiln embed`, its ids inside the model's vocab.
    from tokenizers.implementations import BertWordPieceTokenizer
    corpus = os.path.join(out, "tokenizer-corpus.txt")
    with open(corpus, "w") as f:
        f.write("the cat sat on the mat\nA man plays a guitar.\n"
                "kiln compiles transformers, fast!\n" * 3)
    tokenizer = BertWordPieceTokenizer(lowercase=True)
    tokenizer.train([corpus], vocab_size=100, min_frequency=1)
    tokenizer.save(os.path.join(folder, "tokenizer.json"))
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(made, f)
    print("exported:", " ".join(made))


if __name__ == "__main__":
    main()
