#!/usr/bin/env python3
"""Peak memory of BERT-style attention at a long sequence (default 4096):
a raw exported subgraph (MatMul(q, k^T) / sqrt(d) + mask -> Softmax ->
MatMul(v), 12 heads of 64) compiled by kiln with fusion (one tfm.attention,
lowered flash-attention style) and without (--no-fusion: the decomposed
ops, which hold the 12 x S x S score matrix), and run by onnxruntime.
Each runs in a fresh process; the script prints peak resident memory and
latency, and the size one S x S score matrix for all heads would take.

Usage: attention_memory.py [--kiln build/bin/kiln] [--seq 4096] [--threads 2]
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper

RUNNER = r'''
import os, sys, time, resource, numpy as np
kind, path, seq, heads, dim, threads, scripts = sys.argv[1:8]
seq, heads, dim, threads = int(seq), int(heads), int(dim), int(threads)
rng = np.random.default_rng(0)
feeds = {n: rng.standard_normal((1, heads, seq, dim)).astype(np.float32)
         for n in ("q", "k", "v")}
feeds["mask"] = np.zeros((1, 1, 1, seq), np.float32)
if kind == "ort":
    import onnxruntime as ort
    o = ort.SessionOptions(); o.intra_op_num_threads = threads
    s = ort.InferenceSession(path, o, providers=["CPUExecutionProvider"])
    run = lambda: s.run(None, feeds)
else:
    sys.path.insert(0, os.path.join(os.path.dirname(scripts), "python"))
    import kiln
    s = kiln.InferenceSession(path, threads=threads)
    run = lambda: s.run(None, feeds)
run()
t = time.perf_counter(); run(); dt = time.perf_counter() - t
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, dt)
'''


def build(path, heads, dim):
    S = "seq"
    q = helper.make_tensor_value_info("q", TensorProto.FLOAT, [1, heads, S, dim])
    k = helper.make_tensor_value_info("k", TensorProto.FLOAT, [1, heads, S, dim])
    v = helper.make_tensor_value_info("v", TensorProto.FLOAT, [1, heads, S, dim])
    mask = helper.make_tensor_value_info("mask", TensorProto.FLOAT, [1, 1, 1, S])
    out = helper.make_tensor_value_info("out", TensorProto.FLOAT, [1, heads, S, dim])
    scale = helper.make_tensor("scale", TensorProto.FLOAT, [], [float(dim) ** 0.5])
    nodes = [
        helper.make_node("Transpose", ["k"], ["kt"], perm=[0, 1, 3, 2]),
        helper.make_node("MatMul", ["q", "kt"], ["s"]),
        helper.make_node("Div", ["s", "scale"], ["sd"]),
        helper.make_node("Add", ["sd", "mask"], ["sm"]),
        helper.make_node("Softmax", ["sm"], ["p"], axis=-1),
        helper.make_node("MatMul", ["p", "v"], ["out"]),
    ]
    graph = helper.make_graph(nodes, "attention", [q, k, v, mask], [out], [scale])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]),
              path)


def main():
    p = argparse.ArgumentParser()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    p.add_argument("--kiln", default=os.path.join(root, "build", "bin", "kiln"))
    p.add_argument("--seq", type=int, default=4096)
    p.add_argument("--heads", type=int, default=12)
    p.add_argument("--dim", type=int, default=64)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    scripts = os.path.dirname(os.path.abspath(__file__))
    scores = args.heads * args.seq * args.seq * 4
    print(f"attention at seq {args.seq}, {args.heads} heads of {args.dim}: one "
          f"score matrix for all heads is {scores / 2**20:.0f} MiB")
    with tempfile.TemporaryDirectory() as tmp:
        model = os.path.join(tmp, "attention.onnx")
        build(model, args.heads, args.dim)
        runs = [("onnxruntime", "ort", model)]
        for label, flags in [("kiln (fused)", []), ("kiln --no-fusion", ["--no-fusion"])]:
            lib = os.path.join(tmp, f"attention{len(runs)}.so")
            subprocess.run([args.kiln, "compile", model, "-o", lib, *flags],
                           check=True)
            runs.append((label, "kiln", lib))
        for label, kind, path in runs:
            out = subprocess.run(
                [sys.executable, "-c", RUNNER, kind, path, str(args.seq),
                 str(args.heads), str(args.dim), str(args.threads), scripts],
                capture_output=True, text=True)
            if out.returncode:
                print(f"  {label:18s} failed: {out.stderr.strip()[-300:]}")
                continue
            peak, seconds = out.stdout.split()
            print(f"  {label:18s} peak memory {int(peak) / 2**20:7.0f} MiB, "
                  f"latency {float(seconds) * 1e3:8.1f} ms")


if __name__ == "__main__":
    main()
