#!/usr/bin/python3
"""Check the GGUF frontend: write the tiny LLaMA checkpoint that
scripts/export_hf_checkpoints.py left in DIR/llama as GGUF files, as
llama.cpp's converter does (Q and K rotary-permuted, ne0-first dims), with
its tensors in each type kiln reads (F32, F16, Q8_0, Q4_0, Q4_1: one GGUF
per type for the matmul weights, and one mixing them), a byte-level BPE
vocabulary with control tokens and a ChatML chat template in the metadata;
compile each with kiln and compare with transformers running the same
weights dequantized by the gguf package:

- the prefill form (--no-kv-cache): logits at every position, batch 2,
  within 1e-5 of scale, with the quantized tensors kept quantized on the
  weight-only int8/int4 GEMM (tfm.quantized_matmul) and with --dequantize
  (bit-exact, so what remains is float reordering);
- the KV-cache form: `kiln generate --chat` greedy tokens identical to
  transformers' greedy generate of the same prompt ids, and the prompt ids
  identical to the template rendered by Jinja and tokenized by HF
  tokenizers;
- malformed files (truncated, a bad magic, an unsupported tensor type)
  refused with a message naming the file.

Run with Debian's Python (torch, transformers, gguf, jinja2):

    /usr/bin/python3 scripts/check_gguf.py DIR [--kiln build/bin/kiln]

Prints one line per check and "gguf: N of M checks passed".
"""

import argparse
import json
import os
import subprocess
import sys

import numpy as np

TOLERANCE = 1e-5  # of the logits' scale

CHAT_TEMPLATE = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + "
    "'\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}"
    "{% endif %}")


def byte_stand_ins():
    """GPT-2's bytes_to_unicode."""
    bs = (list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD))
          + list(range(0xAE, 0x100)))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


def vocabulary(size):
    """`size` tokens: printable ASCII stand-ins, a few merged words, and
    two control tokens last; merges that build the words."""
    stand = byte_stand_ins()
    letters = [stand[b] for b in range(0x20, 0x7f)]  # includes "Ġ" (space)
    words = ["he", "ll", "hell", "hello", "Ġw", "Ġwo", "or", "ld"]
    merges = ["h e", "l l", "he ll", "hell o", "Ġ w", "Ġw o", "o r", "l d"]
    tokens = letters + words
    tokens += ["<extra_%d>" % i for i in range(size - 2 - len(tokens))]
    tokens += ["<|im_start|>", "<|im_end|>"]
    types = [1] * (size - 2) + [3, 3]
    return tokens, types, merges


def permute(w, heads):
    """llama.cpp's convert_hf_to_gguf permutation of q_proj/k_proj rows."""
    rows = w.shape[0]
    return (w.reshape(heads, 2, rows // heads // 2, *w.shape[1:])
            .swapaxes(1, 2).reshape(w.shape))


NAMES = {"input_layernorm": "attn_norm",
         "post_attention_layernorm": "ffn_norm",
         "self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k",
         "self_attn.v_proj": "attn_v", "self_attn.o_proj": "attn_output",
         "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up",
         "mlp.down_proj": "ffn_down"}


def gguf_name(hf):
    if hf == "model.embed_tokens.weight":
        return "token_embd.weight"
    if hf == "model.norm.weight":
        return "output_norm.weight"
    if hf == "lm_head.weight":
        return "output.weight"
    parts = hf.split(".")  # model.layers.N.<module...>.weight
    module = ".".join(parts[3:-1])
    return "blk.%s.%s.%s" % (parts[2], NAMES[module], parts[-1])


def write_gguf(path, model, cfg, matmul_type, tokens, types, merges,
               add_bos=False):
    """The model as GGUF; returns {hf name: the float32 weight the file
    holds, dequantized by the gguf package and un-permuted}."""
    import gguf
    import gguf.quants
    Q = gguf.GGMLQuantizationType
    w = gguf.GGUFWriter(path, "llama")
    w.add_block_count(cfg.num_hidden_layers)
    w.add_context_length(cfg.max_position_embeddings)
    w.add_embedding_length(cfg.hidden_size)
    w.add_feed_forward_length(cfg.intermediate_size)
    w.add_head_count(cfg.num_attention_heads)
    w.add_head_count_kv(cfg.num_key_value_heads)
    w.add_layer_norm_rms_eps(cfg.rms_norm_eps)
    w.add_rope_freq_base(cfg.rope_theta)
    w.add_rope_dimension_count(cfg.hidden_size // cfg.num_attention_heads)
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("default")
    w.add_token_list(tokens)
    w.add_token_types(types)
    w.add_token_merges(merges)
    w.add_eos_token_id(len(tokens) - 1)
    w.add_bos_token_id(len(tokens) - 2)
    w.add_add_bos_token(add_bos)
    w.add_chat_template(CHAT_TEMPLATE)
    mixed = [Q.F16, Q.Q8_0, Q.Q4_0, Q.Q4_1]
    held = {}
    for i, (name, t) in enumerate(model.state_dict().items()):
        if "rotary_emb" in name or (name == "lm_head.weight"
                                    and cfg.tie_word_embeddings):
            continue
        x = t.detach().numpy().astype(np.float32)
        heads = (cfg.num_attention_heads if "q_proj" in name else
                 cfg.num_key_value_heads if "k_proj" in name else None)
        stored = permute(x, heads) if heads else x
        qtype = Q.F32
        if x.ndim == 2 and "embed_tokens" not in name:
            qtype = matmul_type if matmul_type is not None else \
                mixed[i % len(mixed)]
        if qtype == Q.F32:
            w.add_tensor(gguf_name(name), stored)
            back = stored
        elif qtype == Q.F16:
            w.add_tensor(gguf_name(name), stored.astype(np.float16))
            back = stored.astype(np.float16).astype(np.float32)
        else:
            data = gguf.quants.quantize(stored, qtype)
            w.add_tensor(gguf_name(name), data, raw_dtype=qtype)
            back = gguf.quants.dequantize(data, qtype).reshape(stored.shape)
        if heads:  # back to transformers' row order
            rows = back.shape[0]
            back = (back.reshape(heads, rows // heads // 2, 2, -1)
                    .swapaxes(1, 2).reshape(back.shape))
        held[name] = np.ascontiguousarray(back, dtype=np.float32)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return held


def hf_tokenizer(tokens, types, merges):
    import tokenizers
    from tokenizers import decoders, models, pre_tokenizers
    bpe = models.BPE(vocab={t: i for i, t in enumerate(tokens)},
                     merges=[tuple(m.split(" ", 1)) for m in merges])
    tok = tokenizers.Tokenizer(bpe)
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens([tokenizers.AddedToken(t, special=True)
                            for t, ty in zip(tokens, types) if ty == 3])
    return tok


def main():
    p = argparse.ArgumentParser()
    p.add_argument("dir")
    p.add_argument("--kiln", default="kiln")
    args = p.parse_args()
    import gguf
    import jinja2
    import torch
    import transformers as T
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(
        __file__)), "..", "python"))
    import kiln

    folder = os.path.join(args.dir, "llama")
    base = T.LlamaForCausalLM.from_pretrained(folder).eval()
    cfg = base.config
    tokens, types, merges = vocabulary(cfg.vocab_size)
    Q = gguf.GGMLQuantizationType
    checks = passed = 0

    def report(ok, line):
        nonlocal checks, passed
        checks += 1
        passed += bool(ok)
        print("%s %s" % ("ok  " if ok else "FAIL", line), flush=True)

    rng = np.random.default_rng(5)
    ids = rng.integers(0, cfg.vocab_size - 2, (2, 11), dtype=np.int64)
    for label, qtype in [("F32", Q.F32), ("F16", Q.F16), ("Q8_0", Q.Q8_0),
                         ("Q4_0", Q.Q4_0), ("Q4_1", Q.Q4_1),
                         ("mixed", None)]:
        path = os.path.join(args.dir, "llama-%s.gguf" % label)
        held = write_gguf(path, base, cfg, qtype, tokens, types, merges)
        ref = T.LlamaForCausalLM(cfg).eval()
        ref.load_state_dict({k: torch.from_numpy(v) for k, v in held.items()},
                            strict=False)
        if cfg.tie_word_embeddings:
            ref.tie_weights()
        with torch.no_grad():
            want = ref(torch.from_numpy(ids)).logits.numpy()
        quantized = qtype not in (Q.F32, Q.F16)
        for dequantize in ([False, True] if quantized else [False]):
            lib = os.path.join(args.dir, "llama-%s%s.so"
                               % (label, "-f32" if dequantize else ""))
            kiln.compile(path, lib, kv_cache=False, dequantize=dequantize)
            got = kiln.InferenceSession(lib).run(
                None, {"input_ids": ids,
                       "attention_mask": np.ones_like(ids)})[0]
            err = float(np.abs(got - want).max())
            scale = float(np.abs(want).max())
            # Kept quantized, the matmuls are weight-only int GEMMs.
            ir = subprocess.run([args.kiln, "compile", path, "--emit=import",
                                 "--no-kv-cache"] +
                                (["--dequantize"] if dequantize else []),
                                capture_output=True, text=True).stdout
            ops = ir.count("tfm.quantized_matmul")
            report(got.shape == want.shape and err <= TOLERANCE * scale and
                   (ops > 0) == (quantized and not dequantize),
                   "%-5s %-11s prefill logits [2, 11]: max error %.2e of "
                   "scale %.2e, %d quantized matmuls"
                   % (label, "dequantized" if dequantize else "as stored",
                      err, scale, ops))
        if label != "mixed":
            continue
        # The KV-cache form through kiln generate --chat, greedy.
        cached = os.path.join(args.dir, "llama-%s-kv.so" % label)
        subprocess.run([args.kiln, "compile", path, "-o", cached],
                       check=True, capture_output=True)
        prompt = "hello world"
        rendered = jinja2.Template(CHAT_TEMPLATE).render(
            messages=[{"role": "user", "content": prompt}],
            add_generation_prompt=True)
        want_prompt = hf_tokenizer(tokens, types, merges).encode(rendered).ids
        with torch.no_grad():
            out = ref.generate(torch.tensor([want_prompt]), do_sample=False,
                               max_new_tokens=12,
                               attention_mask=torch.ones(
                                   1, len(want_prompt), dtype=torch.long),
                               eos_token_id=len(tokens) - 1,
                               pad_token_id=len(tokens) - 1)
        want_ids = out[0, len(want_prompt):].tolist()
        if want_ids and want_ids[-1] == len(tokens) - 1:
            want_ids = want_ids[:-1]
        run = subprocess.run([args.kiln, "generate", cached, "--chat",
                              "--prompt", prompt, "--max-tokens", "12",
                              "--print-ids"], capture_output=True, text=True)
        got_ids = {}
        for line in run.stderr.splitlines():
            for what in ("prompt", "generated"):
                if line.startswith("kiln: %s ids:" % what):
                    got_ids[what] = [int(x) for x in
                                     line.split(":", 2)[2].split()]
        report(run.returncode == 0 and got_ids.get("prompt") == want_prompt,
               "%-5s kiln generate --chat: prompt ids %s Jinja + HF "
               "tokenizers' (%d tokens)"
               % (label, "match" if got_ids.get("prompt") == want_prompt
                  else "DIFFER from", len(want_prompt)))
        report(got_ids.get("generated") == want_ids,
               "%-5s kiln generate --chat: %d greedy tokens %s transformers'"
               % (label, len(want_ids), "identical to"
                  if got_ids.get("generated") == want_ids else "DIFFER from"))

    # tokenizer.ggml.add_bos_token: a plain prompt starts with BOS (as
    # HF's TemplateProcessing puts it), a chat prompt does not.
    path = os.path.join(args.dir, "llama-bos.gguf")
    write_gguf(path, base, cfg, Q.F32, tokens, types, merges, add_bos=True)
    lib = os.path.join(args.dir, "llama-bos.so")
    kiln.compile(path, lib, kv_cache=False)
    from tokenizers import processors
    hf = hf_tokenizer(tokens, types, merges)
    bos = tokens[len(tokens) - 2]
    hf.post_processor = processors.TemplateProcessing(
        single=bos + " $A", special_tokens=[(bos, len(tokens) - 2)])
    text = "hello world, hello"
    want = hf.encode(text).ids
    got = kiln.Tokenizer(lib + ".tokenizer.json").encode(text)
    report(got == want and want[0] == len(tokens) - 2,
           "add_bos_token: kiln's ids %s HF tokenizers' (BOS first)"
           % ("match" if got == want else "DIFFER from"))

    # Malformed files.
    good = open(os.path.join(args.dir, "llama-F32.gguf"), "rb").read()
    cases = [("truncated", good[:len(good) // 2],
              "lies outside the file or is misaligned"),
             ("magic", b"GGUX" + good[4:], "not a GGUF file"),
             ("version", good[:4] + (9).to_bytes(4, "little") + good[8:],
              "GGUF version 9 is not supported")]
    for name, data, expect in cases:
        path = os.path.join(args.dir, "bad-%s.gguf" % name)
        with open(path, "wb") as f:
            f.write(data)
        run = subprocess.run([args.kiln, "compile", path, "-o",
                              path + ".so"], capture_output=True, text=True)
        report(run.returncode != 0 and expect in run.stderr
               and path in run.stderr,
               "bad file (%s) refused: %s" % (name, run.stderr.strip()
                                             .splitlines()[-1:]))
    print("gguf: %d of %d checks passed" % (passed, checks))
    return 0 if passed == checks else 1


if __name__ == "__main__":
    sys.exit(main())
