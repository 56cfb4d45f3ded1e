#!/usr/bin/env python3
"""Compiles every model of an export manifest with kiln (one library each,
dynamic batch and sequence) and checks it against onnxruntime on the same
random inputs at several batch sizes and sequence lengths. An output
matches when max|kiln - ort| <= tol * max|ort| (its scale).

Usage: check_numerics.py --kiln PATH --models DIR [--batches 1 3]
         [--seqs 1 7 128 512] [--only bert gpt2 ...] [--tol 1e-4]
         [--compile-arg=--target=cuda ...]
Prints one line per (model, batch, seq) and "N passed, M failed".
"""
import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnxruntime as ort

# The kiln package (python/): beside scripts/ in the repository and in the
# GPU bundle.
sys.path.insert(0, os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "python"))
import kiln  # noqa: E402


def resolve(dim, sizes):
    if isinstance(dim, int):
        return dim
    return sum(sizes[part] for part in dim.split("+"))


def make_inputs(entry, batch, seq, past, rng):
    sizes = {"batch": batch, "seq": seq, "past_seq": past}
    feeds = {}
    for spec in entry["inputs"]:
        shape = [resolve(d, sizes) for d in spec["shape"]]
        kind = spec.get("kind", "float")
        dtype = np.dtype(spec["dtype"])
        if kind == "mask":
            mask = np.ones(shape, dtype)
            if shape[-1] > 2 and shape[0] > 1:
                mask[-1, -(shape[-1] // 3):] = 0  # Pad the last sequence.
            feeds[spec["name"]] = mask
        elif kind == "position_ids":
            start = shape[-1] - seq if "past_seq" in str(spec["shape"]) else 0
            pos = np.arange(start, start + shape[-1], dtype=dtype)
            feeds[spec["name"]] = np.broadcast_to(pos, shape).copy()
        elif "range" in spec:
            lo, hi = spec["range"]
            feeds[spec["name"]] = rng.integers(lo, hi, shape).astype(dtype)
        else:
            feeds[spec["name"]] = rng.standard_normal(shape).astype(dtype)
    return feeds


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--kiln", default="kiln")
    p.add_argument("--models", required=True, type=pathlib.Path)
    p.add_argument("--batches", type=int, nargs="+", default=[1, 3])
    p.add_argument("--seqs", type=int, nargs="+", default=[1, 7, 128, 512])
    p.add_argument("--past", type=int, default=5)
    p.add_argument("--only", nargs="*")
    p.add_argument("--tol", type=float, default=1e-4)
    p.add_argument("--prebuilt", type=pathlib.Path,
                   help="use the libraries in this folder (MODEL.so per "
                        "MODEL.onnx) instead of compiling; for machines "
                        "without kiln (the GPU device check)")
    p.add_argument("--compile-arg", action="append", default=[],
                   help="extra kiln compile argument, e.g. "
                        "--compile-arg=--target=cuda (repeatable)")
    args = p.parse_args()
    manifest = json.loads((args.models / "manifest.json").read_text())
    passed = failed = 0
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        for entry in manifest["files"]:
            if args.only and entry["model"] not in args.only:
                continue
            onnx_path = args.models / entry["file"]
            lib = os.path.join(tmp, entry["file"].replace(".onnx", ".so"))
            start = time.perf_counter()
            if args.prebuilt:
                lib = str(args.prebuilt / entry["file"].replace(".onnx", ".so"))
                proc = subprocess.CompletedProcess([], 0, "", "")
            else:
                proc = subprocess.run([args.kiln, "compile", str(onnx_path),
                                       "-o", lib, *args.compile_arg],
                                      capture_output=True, text=True)
            compile_s = time.perf_counter() - start
            if proc.returncode != 0:
                print(f"{entry['file']}: COMPILE FAILED: {proc.stderr.strip()[:500]}")
                failed += 1
                continue
            model = kiln.InferenceSession(lib)
            session = ort.InferenceSession(str(onnx_path),
                                           providers=["CPUExecutionProvider"])
            names = [o.name for o in session.get_outputs()]
            seq_dims = any("seq" in str(s["shape"]) for s in entry["inputs"])
            seqs = [s for s in args.seqs if s <= entry.get("max_seq", 1 << 30)]
            past = args.past if entry["model"].endswith("_past") else 0
            for batch in args.batches:
                for seq in (seqs if seq_dims else [None]):
                    if past and seq and seq + past > entry.get("max_seq", 1 << 30):
                        continue
                    feeds = make_inputs(entry, batch, seq or 0, past, rng)
                    ref = dict(zip(names, session.run(None, feeds)))
                    try:
                        got = dict(zip(names, model.run(None, feeds)))
                    except Exception as e:  # noqa: BLE001
                        print(f"{entry['file']} b={batch} s={seq}: RUN FAILED: {e}")
                        failed += 1
                        continue
                    worst = 0.0
                    bad = []
                    for name, r in ref.items():
                        g = got[name]
                        if g.shape != r.shape:
                            bad.append(f"{name} shape {g.shape} vs {r.shape}")
                            continue
                        scale = max(float(np.abs(r).max()), 1e-30)
                        err = float(np.abs(g.astype(np.float64) - r).max()) / scale
                        worst = max(worst, err)
                        if not err <= args.tol:
                            bad.append(f"{name} rel err {err:.2e}")
                    status = "ok" if not bad else "FAILED " + "; ".join(bad)
                    print(f"{entry['file']:28s} b={batch} s={seq}: max rel err "
                          f"{worst:.1e} {status}  (compile {compile_s:.1f}s)")
                    passed += not bad
                    failed += bool(bad)
            del model
    print(f"numerics: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
