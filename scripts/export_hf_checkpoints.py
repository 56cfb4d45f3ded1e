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

    llama         LlamaForCausalLM, 2 layers, hidden 64, 4 query heads
                  over 2 key/value heads (GQA), separate lm_head; inputs
                  input_ids, attention_mask; output logits
    llama_tied    tied embeddings (SmolLM's layout), 2 query heads of 32
                  over 1 key/value head, rope_theta 500000
    qwen2         Qwen2ForCausalLM (q/k/v biases), tied
    llama_rope_linear  LLaMA with rope_scaling {"type": "linear", "factor": 4}
    gpt2          GPT2LMHeadModel, 2 layers, hidden 64, 4 heads, tied

and a manifest.json naming them.
"""

import argparse
import json
import os

import torch
from transformers import (BertConfig, BertForMaskedLM, BertModel, GPT2Config,
                          GPT2LMHeadModel,
                          LlamaConfig, LlamaForCausalLM, Qwen2Config,
                          Qwen2ForCausalLM)


def config(**overrides):
    args = dict(vocab_size=120, hidden_size=64, num_hidden_layers=2,
                num_attention_heads=4, intermediate_size=128,
                max_position_embeddings=96, type_vocab_size=2)
    args.update(overrides)
    return BertConfig(**args)


class Encoder(torch.nn.Module):
    """last_hidden_state (and the pooled sentence embedding) of a BertModel."""

    def __init__(self, bert, pool=False):
        super().__init__()
        self.bert, self.pool = bert, pool

    def forward(self, input_ids, attention_mask, token_type_ids):
        h = self.bert(input_ids=input_ids, attention_mask=attention_mask,
                      token_type_ids=token_type_ids).last_hidden_state
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


def export(module, path, outputs):
    ids = torch.randint(0, 100, (2, 9))
    names = ["input_ids", "attention_mask", "token_type_ids"]
    axes = {n: {0: "batch", 1: "sequence"} for n in names}
    axes["last_hidden_state"] = {0: "batch", 1: "sequence"}
    if "sentence_embedding" in outputs:
        axes["sentence_embedding"] = {0: "batch"}
    torch.onnx.export(module, (ids, torch.ones_like(ids),
                               torch.zeros_like(ids)),
                      path, input_names=names, output_names=outputs,
                      dynamic_axes=axes, opset_version=17)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", required=True)
    out = p.parse_args().out
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    made = []

    def save(name, model, encoder, outputs=("last_hidden_state",), **kw):
        folder = os.path.join(out, name)
        model.save_pretrained(folder, safe_serialization=True, **kw)
        export(encoder.eval(), os.path.join(out, name + ".onnx"),
               list(outputs))
        made.append(name)
        return folder

    def randomize(model):
        # Random layer norms and biases too, so a swapped or dropped one
        # shows in the outputs.
        with torch.no_grad():
            for n, t in model.named_parameters():
                if "LayerNorm" in n or n.endswith(".bias"):
                    t.copy_(torch.randn_like(t) * 0.1 +
                            (1.0 if n.endswith("LayerNorm.weight") else 0.0))
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
            ("gpt2", GPT2LMHeadModel(GPT2Config(
                vocab_size=120, n_embd=64, n_layer=2, n_head=4,
                n_positions=128, attn_implementation="eager")))]:
        lm = randomize(lm)
        lm.save_pretrained(os.path.join(out, name), safe_serialization=True)
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
