#!/usr/bin/env python3
"""Check the Hugging Face frontend: compile each checkpoint folder that
scripts/export_hf_checkpoints.py (or a real checkpoint) left in DIR with
kiln, straight from config.json and the safetensors, and compare its
outputs with ONNX Runtime's run of the same model exported to ONNX
(DIR/NAME.onnx), on random token ids with padded rows, batch 1 and 3.

Usage: check_hf_checkpoints.py DIR [--names NAME...] [--lengths 1 9 40]
           [--kiln kiln]
A folder with a tokenizer.json and a sentence_embedding output is also
run through `kiln embed` on a few texts (a batch of different lengths,
so padded), against ONNX Runtime on each text alone with the ids `kiln
tokenize` gives (the tokenizer itself is checked by check_tokenizer.py).
A decoder (a folder whose ONNX export takes no token_type_ids and
returns logits) is compiled twice: in its prefill form (--no-kv-cache),
checked as above, and in its KV-cache form, run as a generator would:
a prompt, then one token per run, and a batch of two sequences of their
own lengths (each prompt run alone, then decoded together), each run's
last-token logits against ONNX Runtime on the whole sequence so far.
Prints one line per check and "hf checkpoints: N of M checks passed".
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnxruntime as ort

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "python"))
import kiln  # noqa: E402

TOLERANCE = 1e-4  # of each output's scale


def feeds(rng, batch, length, vocab):
    ids = rng.integers(0, vocab, (batch, length), dtype=np.int64)
    mask = np.ones_like(ids)
    types = np.zeros_like(ids)
    if batch > 1:
        # Padded rows: the second row attends to its first half only, and
        # the last has type ids 1 on its second half.
        mask[1, max(1, length // 2):] = 0
        types[-1, length // 2:] = 1
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}


EMBED_TEXTS = ["the cat sat on the mat", "A man plays a guitar.",
               "kiln compiles transformers, fast! the cat, the man.", "mat"]


def check_cached(lib, ref, vocab, rng):
    """The KV-cache library against ONNX Runtime's full-sequence logits;
    returns (ok, line)."""
    model = kiln.InferenceSession(lib)

    def want(ids):
        return ref.run(None, {"input_ids": ids,
                              "attention_mask": np.ones_like(ids)})[0][:, -1]

    worst, scale = 0.0, 0.0

    def compare(got, expected):
        nonlocal worst, scale
        worst = max(worst, float(np.abs(got - expected).max()))
        scale = max(scale, float(np.abs(expected).max()))

    # One sequence: a 7-token prompt, then 6 tokens one run each.
    ids = rng.integers(0, vocab, (1, 13), dtype=np.int64)
    cache = model.create_cache(1, 32)
    compare(model.run(None, {"input_ids": ids[:, :7]}, cache=cache)[0],
            want(ids[:, :7]))
    for t in range(7, 13):
        compare(model.run(None, {"input_ids": ids[:, t:t + 1]},
                          cache=cache)[0], want(ids[:, :t + 1]))
    # Two sequences of their own lengths, decoded together.
    a = rng.integers(0, vocab, (1, 12), dtype=np.int64)
    b = rng.integers(0, vocab, (1, 5), dtype=np.int64)
    cache = model.create_cache(2, 32)
    compare(model.run(None, {"input_ids": a[:, :9]}, cache=cache,
                      first_sequence=0)[0], want(a[:, :9]))
    compare(model.run(None, {"input_ids": b[:, :2]}, cache=cache,
                      first_sequence=1)[0], want(b[:, :2]))
    for t in range(3):
        step = np.array([[a[0, 9 + t]], [b[0, 2 + t]]], np.int64)
        got = model.run(None, {"input_ids": step}, cache=cache)[0]
        compare(got[0], want(a[:, :10 + t])[0])
        compare(got[1], want(b[:, :3 + t])[0])
    ok = worst <= TOLERANCE * scale and cache.lengths == [12, 5]
    return ok, "prefill + decode, batch 2 of lengths %s: max error %.2e " \
        "of scale %.2e" % (cache.lengths, worst, scale)


def check_embed(kiln_path, lib, ref):
    """kiln embed on EMBED_TEXTS against ORT's sentence_embedding."""
    with tempfile.TemporaryDirectory() as tmp:
        texts = os.path.join(tmp, "texts.txt")
        with open(texts, "w") as f:
            f.write("\n".join(EMBED_TEXTS) + "\n")
        out = os.path.join(tmp, "emb.npy")
        run = subprocess.run([kiln_path, "embed", lib, "--file", texts, "-o",
                              out], capture_output=True, text=True)
        if run.returncode:
            return False, run.stderr.strip()
        got = np.load(out)
        ids = subprocess.run([kiln_path, "tokenize", lib + ".tokenizer.json",
                              "--file", texts], capture_output=True,
                             text=True, check=True).stdout.split("\n")
    err = 0.0
    for i, line in enumerate(ids[:len(EMBED_TEXTS)]):
        x = np.array([[int(t) for t in line.split()]], np.int64)
        want = ref.run(["sentence_embedding"], {
            "input_ids": x, "attention_mask": np.ones_like(x),
            "token_type_ids": np.zeros_like(x)})[0][0]
        err = max(err, float(np.abs(got[i] - want).max()))
    return err <= TOLERANCE, "%d texts, max error %.2e" % (len(EMBED_TEXTS),
                                                          err)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("dir")
    p.add_argument("--names", nargs="+")
    p.add_argument("--lengths", type=int, nargs="+", default=[1, 9, 40])
    p.add_argument("--kiln", default="kiln")
    args = p.parse_args()
    names = args.names
    if not names:
        with open(os.path.join(args.dir, "manifest.json")) as f:
            names = json.load(f)
    checks = passed = 0
    rng = np.random.default_rng(3)
    for name in names:
        folder = os.path.join(args.dir, name)
        with open(os.path.join(folder, "config.json")) as f:
            vocab = json.load(f)["vocab_size"]
        lib = os.path.join(args.dir, name + ".so")
        ref = ort.InferenceSession(os.path.join(args.dir, name + ".onnx"),
                                   providers=["CPUExecutionProvider"])
        decoder = [o.name for o in ref.get_outputs()] == ["logits"] and \
            "token_type_ids" not in [i.name for i in ref.get_inputs()]
        kiln.compile(folder, lib, kv_cache=False)
        model = kiln.InferenceSession(lib)
        outputs = [o.name for o in ref.get_outputs()]
        got_names = [o.name for o in model.get_outputs()]
        checks += 1
        ok = got_names == outputs
        passed += ok
        print("%s %-12s outputs %s" % ("ok  " if ok else "FAIL", name,
                                       ", ".join(got_names)), flush=True)
        if not ok:
            continue
        for length in args.lengths:
            for batch in (1, 3):
                x = feeds(rng, batch, length, vocab)
                x = {i.name: x[i.name] for i in ref.get_inputs()}
                got = model.run(None, x)
                want = ref.run(None, x)
                for out, g, w in zip(outputs, got, want):
                    scale = float(np.abs(w).max())
                    err = float(np.abs(g - w).max())
                    ok = g.shape == w.shape and err <= TOLERANCE * scale
                    checks += 1
                    passed += ok
                    print("%s %-12s T %3d batch %d %s: max error %.2e of "
                          "scale %.2e" % ("ok  " if ok else "FAIL", name,
                                          length, batch, out, err, scale),
                          flush=True)
        if decoder:
            cached = os.path.join(args.dir, name + ".cached.so")
            kiln.compile(folder, cached)
            ok, line = check_cached(cached, ref, vocab, rng)
            checks += 1
            passed += ok
            print("%s %-12s kv cache: %s" % ("ok  " if ok else "FAIL", name,
                                             line), flush=True)
        if os.path.exists(os.path.join(folder, "tokenizer.json")) and \
                "sentence_embedding" in outputs:
            ok, line = check_embed(args.kiln, lib, ref)
            checks += 1
            passed += ok
            print("%s %-12s kiln embed: %s" % ("ok  " if ok else "FAIL", name,
                                               line), flush=True)
    print("hf checkpoints: %d of %d checks passed" % (passed, checks))
    return 0 if passed == checks else 1


if __name__ == "__main__":
    sys.exit(main())
