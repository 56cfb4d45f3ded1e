#!/usr/bin/python3
"""Export small random-weight transformer models to ONNX for kiln's tests.

Run with Debian's Python, which has torch 1.13 from the python3-torch package,
after installing the pinned Hugging Face `transformers` from
scripts/requirements-export.txt:

    /usr/bin/python3 -m pip install --break-system-packages \\
        -r scripts/requirements-export.txt
    /usr/bin/python3 scripts/export_models.py --out DIR [--opsets 14 17] \\
        [--models bert gpt2 ...]

Every architecture is the REAL Hugging Face `transformers` model class
(transformers 4.40.2, the pinned version), built from a tiny config with
random weights (no hub access is needed or attempted) and exported with
`torch.onnx.export` exactly the way users export them, so the graphs carry
the ops that real-world exports carry.  No architecture is re-implemented.

    bert       BertModel            input_ids, attention_mask, token_type_ids
                                    -> last_hidden_state, pooler_output
    distilbert DistilBertModel      input_ids, attention_mask
                                    -> last_hidden_state
    roberta    RobertaModel         input_ids, attention_mask
                                    -> last_hidden_state, pooler_output
    minilm     BertModel (MiniLM-style: hidden 32, 3 layers)
                                    input_ids, attention_mask, token_type_ids
                                    -> last_hidden_state, pooler_output
    gpt2       GPT2LMHeadModel      input_ids, attention_mask -> logits
    gpt2_past  GPT2LMHeadModel with the key/value cache (decoding step):
                                    input_ids, attention_mask,
                                    past_key_values.N.key/value
                                    -> logits, present.N.key/value
    llama      LlamaForCausalLM (RMSNorm, rotary embeddings, SwiGLU MLP,
               grouped-query attention 4 query / 2 key-value heads)
                                    input_ids, attention_mask, position_ids
                                    -> logits
    vit        ViTModel (Conv patch embedding, class token; 32x32x3 images,
               8x8 patches)          pixel_values
                                    -> last_hidden_state, pooler_output

Attention is the "eager" implementation (MatMul/Softmax/MatMul), models are
in eval mode (no Dropout), and each model's weights come from
torch.manual_seed(seed) right before it is built, so a model's weights do not
depend on which other models are exported.  The same weights are exported at
every opset.

Outputs: DIR/<model>_opset<N>.onnx and DIR/manifest.json, which lists for
each file its model, opset, inputs (name, numpy dtype, shape with symbolic
dims as strings, and how to generate valid values) and outputs (name, dtype,
shape).  See MANIFEST_CONVENTIONS below.
"""

import argparse
import json
import os
import sys
import time
import warnings

MANIFEST_CONVENTIONS = {
    "shape": (
        "Integers are fixed dims; strings are symbolic dims. A symbolic dim "
        "is a named dim ('batch', 'seq', 'past_seq') or a sum of named dims "
        "joined by '+' (e.g. 'past_seq+seq'). Within one file the same name "
        "means the same size."
    ),
    "range": (
        "For integer inputs: valid values are the half-open interval "
        "[range[0], range[1]), i.e. numpy.random.randint(range[0], range[1])."
    ),
    "kind": (
        "token_ids: vocabulary ids; segment_ids: token type ids; "
        "position_ids: positions (natural value: arange(past+seq) per row); "
        "mask: 0/1 attention mask (1 = attend, 0 = padding); "
        "float: real-valued data, standard-normal values are fine; "
        "past_key / past_value: key/value cache, standard-normal values "
        "are fine."
    ),
}

# The transformers version the exports were written and checked against
# (scripts/requirements-export.txt pins it).  Other versions may export
# different graphs, so they only get a warning.
TESTED_TRANSFORMERS = "4.40.2"

DEFAULT_OPSETS = [14, 17]
DEFAULT_SEED = 0

# Example sizes used for tracing; every one of them is exported dynamic.
TRACE_BATCH = 2
TRACE_SEQ = 5
TRACE_PAST = 3


def _fail(msg):
    sys.stderr.write("export_models.py: error: %s\n" % msg)
    sys.exit(2)


def _import_deps():
    try:
        import torch
    except ImportError as e:
        _fail("cannot import torch (%s). Run this script with Debian's "
              "/usr/bin/python3 and install the python3-torch package." % e)
    try:
        import transformers
    except ImportError as e:
        here = os.path.dirname(os.path.abspath(__file__))
        _fail("cannot import transformers (%s). Install it with:\n"
              "  %s -m pip install --break-system-packages -r %s"
              % (e, sys.executable,
                 os.path.join(here, "requirements-export.txt")))
    return torch, transformers


# ---------------------------------------------------------------------------
# Model specs.  Each builder returns a dict with:
#   module:      torch.nn.Module taking the inputs positionally, returning a
#                flat tuple of output tensors
#   hf_class:    the transformers class used
#   config:      a few config values, recorded in the manifest
#   inputs:      list of manifest input entries (name, dtype, shape, ...)
#   outputs:     list of manifest output entries (name, dtype, shape)
# ---------------------------------------------------------------------------

def _id_input(name, kind, high, shape=("batch", "seq")):
    return {"name": name, "dtype": "int64", "shape": list(shape),
            "kind": kind, "range": [0, int(high)]}


def _mask_input(name="attention_mask", shape=("batch", "seq")):
    return {"name": name, "dtype": "int64", "shape": list(shape),
            "kind": "mask", "range": [0, 2], "values": [0, 1],
            "note": "0/1 attention mask: 1 = attend, 0 = padding"}


def _out(name, shape, dtype="float32"):
    return {"name": name, "dtype": dtype, "shape": list(shape)}


def _make_wrapper(torch, model, input_names, output_fn):
    """Wraps an HF model so it takes the inputs positionally (by the export
    names) and returns a flat tuple of tensors in the export order."""

    class Wrapper(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, *args):
            kwargs = dict(zip(input_names, args))
            return output_fn(self.model, kwargs)

    return Wrapper()


def _encoder_kwargs(kwargs):
    return dict(kwargs, return_dict=True)


def build_bert_like(torch, transformers, which):
    T = transformers
    if which == "bert":
        cfg = T.BertConfig(
            vocab_size=100, hidden_size=64, num_hidden_layers=2,
            num_attention_heads=4, intermediate_size=256,
            max_position_embeddings=512, type_vocab_size=2,
            attn_implementation="eager")
        cls = T.BertModel
    elif which == "minilm":
        # all-MiniLM-L6-v2 is a BertModel with hidden 384, 6 layers, 12
        # heads, intermediate 1536: scaled down to hidden 32, 3 layers.
        cfg = T.BertConfig(
            vocab_size=100, hidden_size=32, num_hidden_layers=3,
            num_attention_heads=4, intermediate_size=128,
            max_position_embeddings=512, type_vocab_size=2,
            attn_implementation="eager")
        cls = T.BertModel
    elif which == "roberta":
        # RoBERTa's positions start at padding_idx + 1, hence max + 2
        # (as roberta-base: 514 = 512 + 2).
        cfg = T.RobertaConfig(
            vocab_size=100, hidden_size=64, num_hidden_layers=2,
            num_attention_heads=4, intermediate_size=256,
            max_position_embeddings=514, type_vocab_size=1,
            pad_token_id=1, bos_token_id=0, eos_token_id=2,
            attn_implementation="eager")
        cls = T.RobertaModel
    else:
        raise ValueError(which)
    model = cls(cfg)
    H = cfg.hidden_size
    inputs = [_id_input("input_ids", "token_ids", cfg.vocab_size),
              _mask_input()]
    if which != "roberta":
        inputs.append(_id_input("token_type_ids", "segment_ids",
                                cfg.type_vocab_size))
    names = [i["name"] for i in inputs]

    def run(m, kw):
        o = m(**_encoder_kwargs(kw))
        return o.last_hidden_state, o.pooler_output

    return {
        "model": model, "hf_class": cls.__name__,
        "module": _make_wrapper(torch, model, names, run),
        "config": {"vocab_size": cfg.vocab_size, "hidden_size": H,
                   "num_hidden_layers": cfg.num_hidden_layers,
                   "num_attention_heads": cfg.num_attention_heads,
                   "intermediate_size": cfg.intermediate_size,
                   "max_position_embeddings": cfg.max_position_embeddings,
                   "hidden_act": cfg.hidden_act},
        "max_seq": 512,
        "inputs": inputs,
        "outputs": [_out("last_hidden_state", ["batch", "seq", H]),
                    _out("pooler_output", ["batch", H])],
    }


def build_distilbert(torch, transformers):
    T = transformers
    cfg = T.DistilBertConfig(
        vocab_size=100, dim=64, n_layers=2, n_heads=4, hidden_dim=256,
        max_position_embeddings=512, attn_implementation="eager")
    model = T.DistilBertModel(cfg)
    inputs = [_id_input("input_ids", "token_ids", cfg.vocab_size),
              _mask_input()]

    def run(m, kw):
        return (m(**_encoder_kwargs(kw)).last_hidden_state,)

    return {
        "model": model, "hf_class": "DistilBertModel",
        "module": _make_wrapper(torch, model,
                                [i["name"] for i in inputs], run),
        "config": {"vocab_size": cfg.vocab_size, "dim": cfg.dim,
                   "n_layers": cfg.n_layers, "n_heads": cfg.n_heads,
                   "hidden_dim": cfg.hidden_dim,
                   "max_position_embeddings": cfg.max_position_embeddings,
                   "activation": cfg.activation},
        "max_seq": 512,
        "inputs": inputs,
        "outputs": [_out("last_hidden_state", ["batch", "seq", cfg.dim])],
    }


def _gpt2_config(T, use_cache):
    return T.GPT2Config(
        vocab_size=100, n_positions=512, n_embd=64, n_layer=2, n_head=4,
        n_inner=256, use_cache=use_cache, attn_implementation="eager")


def build_gpt2(torch, transformers):
    T = transformers
    cfg = _gpt2_config(T, use_cache=False)
    model = T.GPT2LMHeadModel(cfg)
    inputs = [_id_input("input_ids", "token_ids", cfg.vocab_size),
              _mask_input()]

    def run(m, kw):
        return (m(**kw, use_cache=False, return_dict=True).logits,)

    return {
        "model": model, "hf_class": "GPT2LMHeadModel",
        "module": _make_wrapper(torch, model,
                                [i["name"] for i in inputs], run),
        "config": {"vocab_size": cfg.vocab_size, "n_embd": cfg.n_embd,
                   "n_layer": cfg.n_layer, "n_head": cfg.n_head,
                   "n_inner": cfg.n_inner, "n_positions": cfg.n_positions,
                   "activation_function": cfg.activation_function},
        "max_seq": cfg.n_positions,
        "inputs": inputs,
        "outputs": [_out("logits", ["batch", "seq", cfg.vocab_size])],
    }


def decoder_step(n_layers):
    """The forward of a decoding step for _make_wrapper: takes the inputs
    by name, with past_key_values.N.key/value, and returns logits followed
    by every present key and value (also used by bench_models.py)."""
    def run(m, kw):
        past = tuple((kw.pop("past_key_values.%d.key" % i),
                      kw.pop("past_key_values.%d.value" % i))
                     for i in range(n_layers))
        o = m(**kw, past_key_values=past, use_cache=True, return_dict=True)
        flat = [o.logits]
        for k, v in o.past_key_values:
            flat += [k, v]
        return tuple(flat)
    return run


def build_gpt2_past(torch, transformers):
    T = transformers
    cfg = _gpt2_config(T, use_cache=True)
    model = T.GPT2LMHeadModel(cfg)
    head_dim = cfg.n_embd // cfg.n_head
    kv_shape = ["batch", cfg.n_head, "past_seq", head_dim]
    present_shape = ["batch", cfg.n_head, "past_seq+seq", head_dim]
    inputs = [_id_input("input_ids", "token_ids", cfg.vocab_size),
              _mask_input(shape=("batch", "past_seq+seq"))]
    outputs = [_out("logits", ["batch", "seq", cfg.vocab_size])]
    for i in range(cfg.n_layer):
        for kv in ("key", "value"):
            inputs.append({"name": "past_key_values.%d.%s" % (i, kv),
                           "dtype": "float32", "shape": list(kv_shape),
                           "kind": "past_" + kv})
            outputs.append(_out("present.%d.%s" % (i, kv), present_shape))
    names = [i["name"] for i in inputs]
    run = decoder_step(cfg.n_layer)

    return {
        "model": model, "hf_class": "GPT2LMHeadModel",
        "module": _make_wrapper(torch, model, names, run),
        "config": {"vocab_size": cfg.vocab_size, "n_embd": cfg.n_embd,
                   "n_layer": cfg.n_layer, "n_head": cfg.n_head,
                   "n_inner": cfg.n_inner, "n_positions": cfg.n_positions,
                   "activation_function": cfg.activation_function},
        "max_seq": cfg.n_positions,
        "note": ("one decoding step with the key/value cache: the mask "
                 "covers past and new tokens; positions continue at "
                 "past_seq; past_seq+seq must not exceed n_positions"),
        "inputs": inputs,
        "outputs": outputs,
    }


def build_llama(torch, transformers):
    T = transformers
    cfg = T.LlamaConfig(
        vocab_size=100, hidden_size=64, intermediate_size=256,
        num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
        max_position_embeddings=512, rms_norm_eps=1e-6, rope_theta=10000.0,
        hidden_act="silu", tie_word_embeddings=False, use_cache=False,
        attn_implementation="eager")
    model = T.LlamaForCausalLM(cfg)
    inputs = [_id_input("input_ids", "token_ids", cfg.vocab_size),
              _mask_input(),
              _id_input("position_ids", "position_ids",
                        cfg.max_position_embeddings)]

    def run(m, kw):
        return (m(**kw, use_cache=False, return_dict=True).logits,)

    return {
        "model": model, "hf_class": "LlamaForCausalLM",
        "module": _make_wrapper(torch, model,
                                [i["name"] for i in inputs], run),
        "config": {"vocab_size": cfg.vocab_size,
                   "hidden_size": cfg.hidden_size,
                   "intermediate_size": cfg.intermediate_size,
                   "num_hidden_layers": cfg.num_hidden_layers,
                   "num_attention_heads": cfg.num_attention_heads,
                   "num_key_value_heads": cfg.num_key_value_heads,
                   "max_position_embeddings": cfg.max_position_embeddings,
                   "rms_norm_eps": cfg.rms_norm_eps,
                   "rope_theta": cfg.rope_theta,
                   "hidden_act": cfg.hidden_act},
        "max_seq": cfg.max_position_embeddings,
        "inputs": inputs,
        "outputs": [_out("logits", ["batch", "seq", cfg.vocab_size])],
    }


def build_vit(torch, transformers):
    T = transformers
    cfg = T.ViTConfig(
        image_size=32, patch_size=8, num_channels=3, hidden_size=64,
        num_hidden_layers=2, num_attention_heads=4, intermediate_size=256,
        attn_implementation="eager")
    model = T.ViTModel(cfg)
    tokens = (cfg.image_size // cfg.patch_size) ** 2 + 1  # + class token
    inputs = [{"name": "pixel_values", "dtype": "float32",
               "shape": ["batch", cfg.num_channels, cfg.image_size,
                         cfg.image_size],
               "kind": "float"}]

    def run(m, kw):
        o = m(**kw, return_dict=True)
        return o.last_hidden_state, o.pooler_output

    return {
        "model": model, "hf_class": "ViTModel",
        "module": _make_wrapper(torch, model, ["pixel_values"], run),
        "config": {"image_size": cfg.image_size,
                   "patch_size": cfg.patch_size,
                   "num_channels": cfg.num_channels,
                   "hidden_size": cfg.hidden_size,
                   "num_hidden_layers": cfg.num_hidden_layers,
                   "num_attention_heads": cfg.num_attention_heads,
                   "intermediate_size": cfg.intermediate_size,
                   "hidden_act": cfg.hidden_act},
        "inputs": inputs,
        "outputs": [_out("last_hidden_state",
                         ["batch", tokens, cfg.hidden_size]),
                    _out("pooler_output", ["batch", cfg.hidden_size])],
    }


BUILDERS = {
    "bert": lambda t, tf: build_bert_like(t, tf, "bert"),
    "distilbert": build_distilbert,
    "roberta": lambda t, tf: build_bert_like(t, tf, "roberta"),
    "minilm": lambda t, tf: build_bert_like(t, tf, "minilm"),
    "gpt2": build_gpt2,
    "gpt2_past": build_gpt2_past,
    "llama": build_llama,
    "vit": build_vit,
}
ALL_MODELS = list(BUILDERS)


# ---------------------------------------------------------------------------
# Export
# ---------------------------------------------------------------------------

_DIM_SIZES = {"batch": TRACE_BATCH, "seq": TRACE_SEQ, "past_seq": TRACE_PAST}


def _concrete(shape):
    return [d if isinstance(d, int)
            else sum(_DIM_SIZES[p] for p in d.split("+")) for d in shape]


def _example_input(torch, spec, gen):
    shape = _concrete(spec["shape"])
    kind = spec.get("kind")
    if kind == "position_ids":
        # The natural value: 0..seq-1 in every row.
        return torch.arange(shape[1], dtype=torch.int64).expand(*shape)
    if kind == "mask":
        return torch.ones(shape, dtype=torch.int64)
    if spec["dtype"] == "int64":
        lo, hi = spec["range"]
        return torch.randint(lo, hi, shape, dtype=torch.int64, generator=gen)
    return torch.randn(shape, dtype=torch.float32, generator=gen)


def _dynamic_axes(entries):
    axes = {}
    for e in entries:
        dims = {i: d for i, d in enumerate(e["shape"]) if isinstance(d, str)}
        if dims:
            axes[e["name"]] = dims
    return axes


def export_one(torch, spec, opset, path):
    gen = torch.Generator().manual_seed(1234)
    args = tuple(_example_input(torch, i, gen) for i in spec["inputs"])
    in_names = [i["name"] for i in spec["inputs"]]
    out_names = [o["name"] for o in spec["outputs"]]
    axes = _dynamic_axes(spec["inputs"])
    axes.update(_dynamic_axes(spec["outputs"]))
    module = spec["module"]
    with torch.no_grad():
        # Check the declared output shapes against an eager run.
        outs = module(*args)
        if len(outs) != len(out_names):
            raise RuntimeError("%d outputs, %d names"
                               % (len(outs), len(out_names)))
        for o, t in zip(spec["outputs"], outs):
            if list(t.shape) != _concrete(o["shape"]):
                raise RuntimeError("output %s: shape %s, declared %s"
                                   % (o["name"], list(t.shape), o["shape"]))
        with warnings.catch_warnings():
            # Tracer warnings about Python control flow on shapes are
            # expected from the HF modeling code (the branches taken are the
            # general ones for seq > 1).
            warnings.simplefilter("ignore")
            torch.onnx.export(
                module, args, path, export_params=True,
                opset_version=opset, do_constant_folding=True,
                input_names=in_names, output_names=out_names,
                dynamic_axes=axes)


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Export small random-weight transformer models "
                    "(Hugging Face transformers classes) to ONNX.")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--opsets", type=int, nargs="+", default=DEFAULT_OPSETS,
                   help="ONNX opsets (default: %(default)s)")
    p.add_argument("--models", nargs="+", default=ALL_MODELS,
                   choices=ALL_MODELS, metavar="MODEL",
                   help="models to export (default: all of %s)"
                        % " ".join(ALL_MODELS))
    p.add_argument("--seed", type=int, default=DEFAULT_SEED,
                   help="weight seed (default: %(default)s)")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    torch, transformers = _import_deps()
    transformers.logging.set_verbosity_error()
    if transformers.__version__ != TESTED_TRANSFORMERS:
        sys.stderr.write(
            "export_models.py: warning: transformers %s is installed; the "
            "exports were checked with %s (scripts/requirements-export.txt)"
            "\n" % (transformers.__version__, TESTED_TRANSFORMERS))
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))

    start = time.time()
    files = []
    for name in dict.fromkeys(args.models):  # keep order, drop repeats
        torch.manual_seed(args.seed)
        spec = BUILDERS[name](torch, transformers)
        spec["model"].eval()
        spec["module"].eval()
        for opset in dict.fromkeys(args.opsets):
            fname = "%s_opset%d.onnx" % (name, opset)
            path = os.path.join(args.out, fname)
            t0 = time.time()
            try:
                export_one(torch, spec, opset, path)
            except Exception as e:
                _fail("exporting %s at opset %d failed: %s: %s"
                      % (name, opset, type(e).__name__, e))
            size = os.path.getsize(path)
            entry = {
                "file": fname, "model": name, "opset": opset,
                "hf_class": spec["hf_class"],
                "implementation": "transformers",
                "config": spec["config"],
                "inputs": spec["inputs"], "outputs": spec["outputs"],
                "bytes": size,
            }
            if "max_seq" in spec:
                entry["max_seq"] = spec["max_seq"]
            if "note" in spec:
                entry["note"] = spec["note"]
            files.append(entry)
            print("exported %-28s %-17s %4d KiB  %.1fs"
                  % (path, spec["hf_class"], (size + 1023) // 1024,
                     time.time() - t0), flush=True)

    manifest = {
        "generator": "scripts/export_models.py",
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "seed": args.seed,
        "conventions": MANIFEST_CONVENTIONS,
        "files": files,
    }
    mpath = os.path.join(args.out, "manifest.json")
    # Merge with an existing manifest so partial runs (--models/--opsets)
    # into the same directory accumulate.
    if os.path.exists(mpath):
        try:
            with open(mpath) as f:
                old = json.load(f)
            new_names = {e["file"] for e in files}
            kept = [e for e in old.get("files", [])
                    if e.get("file") not in new_names
                    and os.path.exists(os.path.join(args.out, e["file"]))]
            manifest["files"] = kept + files
        except (OSError, ValueError):
            pass
    with open(mpath, "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    print("wrote %s (%d files) in %.1fs"
          % (mpath, len(manifest["files"]), time.time() - start))
    return 0


if __name__ == "__main__":
    sys.exit(main())
