#!/usr/bin/env python3
"""Check the Hugging Face frontend: compile each checkpoint folder that
scripts/export_hf_checkpoints.py (or a real checkpoint) left in DIR with
kiln, straight from config.json and the safetensors, and compare its
outputs with ONNX Runtime's run of the same model exported to ONNX
(DIR/NAME.onnx), on random token ids with padded rows, batch 1 and 3.

Usage: check_hf_checkpoints.py DIR [--names NAME...] [--lengths 1 9 40]
Prints one line per check and "hf checkpoints: N of M checks passed".
"""

import argparse
import json
import os
import sys

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


def main():
    p = argparse.ArgumentParser()
    p.add_argument("dir")
    p.add_argument("--names", nargs="+")
    p.add_argument("--lengths", type=int, nargs="+", default=[1, 9, 40])
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
        kiln.compile(folder, lib)
        model = kiln.InferenceSession(lib)
        ref = ort.InferenceSession(os.path.join(args.dir, name + ".onnx"),
                                   providers=["CPUExecutionProvider"])
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
    print("hf checkpoints: %d of %d checks passed" % (passed, checks))
    return 0 if passed == checks else 1


if __name__ == "__main__":
    sys.exit(main())
