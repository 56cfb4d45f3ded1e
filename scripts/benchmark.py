#!/usr/bin/env python3
"""kiln against onnxruntime on full-size models, measured in the same run.

Exports BERT-base and GPT-2 small (Hugging Face classes, random weights,
dynamic batch and sequence, opset 17) with Debian's Python, compiles each
with kiln (time and peak memory), then alternates kiln and onnxruntime runs
on the same inputs with the same thread count and prints median latencies
and their ratio. Absolute times drift between runs on this machine;
the ratio of medians taken in alternation is what to read.

Usage: benchmark.py [--kiln build/bin/kiln] [--work DIR] [--threads 2]
                    [--seqs 128 512] [--rounds 10] [--models bert gpt2]
"""
import argparse
import os
import resource
import statistics
import subprocess
import sys
import time

import numpy as np
import onnxruntime as ort

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kiln_ctypes import KilnModel  # noqa: E402

EXPORT = r'''
import sys, torch, transformers as T
which, path = sys.argv[1], sys.argv[2]
torch.manual_seed(0)
if which == "bert":
    model = T.BertModel(T.BertConfig(attn_implementation="eager")).eval()
    names = ["input_ids", "attention_mask", "token_type_ids"]
    outputs = ["last_hidden_state", "pooler_output"]
    class Wrap(torch.nn.Module):
        def __init__(self, m): super().__init__(); self.m = m
        def forward(self, a, b, c):
            o = self.m(input_ids=a, attention_mask=b, token_type_ids=c)
            return o.last_hidden_state, o.pooler_output
else:
    model = T.GPT2LMHeadModel(T.GPT2Config(attn_implementation="eager")).eval()
    names = ["input_ids", "attention_mask"]
    outputs = ["logits"]
    class Wrap(torch.nn.Module):
        def __init__(self, m): super().__init__(); self.m = m
        def forward(self, a, b):
            return self.m(input_ids=a, attention_mask=b, use_cache=False).logits
ids = torch.ones(1, 8, dtype=torch.long)
args = tuple(ids for _ in names)
axes = {n: {0: "batch", 1: "seq"} for n in names}
for o in outputs:
    axes[o] = {0: "batch", 1: "seq"} if o != "pooler_output" else {0: "batch"}
with torch.no_grad():
    torch.onnx.export(Wrap(model), args, path, input_names=names,
                      output_names=outputs, dynamic_axes=axes,
                      opset_version=17, do_constant_folding=True)
'''


def peak_rss_of(cmd):
    code = ("import resource, subprocess, sys;"
            "r = subprocess.run(sys.argv[1:]);"
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss);"
            "sys.exit(r.returncode)")
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code, *cmd], check=True,
                         capture_output=True, text=True)
    return time.perf_counter() - start, int(out.stdout.split()[-1]) * 1024


def weight_bytes(path):
    import onnx
    model = onnx.load(path, load_external_data=False)
    return sum(len(t.raw_data) for t in model.graph.initializer)


def main():
    p = argparse.ArgumentParser()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    p.add_argument("--kiln", default=os.path.join(root, "build", "bin", "kiln"))
    p.add_argument("--work", default=os.path.join(root, "build", "bench"))
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seqs", type=int, nargs="+", default=[128, 512])
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--rounds", type=int, default=10)
    p.add_argument("--models", nargs="+", default=["bert", "gpt2"])
    p.add_argument("--compare-fusion", action="store_true",
                   help="also time a library compiled with --no-fusion")
    args = p.parse_args()
    os.makedirs(args.work, exist_ok=True)
    rows = []
    for name in args.models:
        onnx_path = os.path.join(args.work, f"{name}-base.onnx")
        if not os.path.exists(onnx_path):
            print(f"exporting {name} ...", flush=True)
            subprocess.run(["/usr/bin/python3", "-c", EXPORT, name, onnx_path],
                           check=True, capture_output=True)
        lib = os.path.join(args.work, f"{name}-base.so")
        seconds, peak = peak_rss_of([args.kiln, "compile", onnx_path, "-o", lib])
        weights = weight_bytes(onnx_path)
        print(f"{name}: kiln compile {seconds:.1f} s, peak memory "
              f"{peak / 2**20:.0f} MiB = {peak / weights:.2f}x the "
              f"{weights / 2**20:.0f} MiB of weights", flush=True)
        kiln = KilnModel(lib)
        kiln.set_num_threads(args.threads)
        unfused = None
        if args.compare_fusion:
            plain = os.path.join(args.work, f"{name}-base-unfused.so")
            subprocess.run([args.kiln, "compile", onnx_path, "-o", plain,
                            "--no-fusion"], check=True)
            unfused = KilnModel(plain)
            unfused.set_num_threads(args.threads)
        options = ort.SessionOptions()
        options.intra_op_num_threads = args.threads
        options.inter_op_num_threads = 1
        session = ort.InferenceSession(onnx_path, options,
                                       providers=["CPUExecutionProvider"])
        rng = np.random.default_rng(0)
        for seq in args.seqs:
            feeds = {}
            for spec in session.get_inputs():
                shape = (args.batch, seq)
                feeds[spec.name] = (np.ones(shape, np.int64) if "mask" in spec.name
                                    else rng.integers(0, 2 if "type" in spec.name
                                                      else 1000, shape))
            # Correctness first, then warm-up, then alternate.
            ref = session.run(None, feeds)
            got = kiln.run(feeds)
            err = max(float(np.abs(got[o.name] - r).max() / np.abs(r).max())
                      for o, r in zip(session.get_outputs(), ref))
            for _ in range(2):
                kiln.run(feeds)
                session.run(None, feeds)
            k_times, o_times = [], []
            for _ in range(args.rounds):
                t = time.perf_counter(); kiln.run(feeds)
                k_times.append(time.perf_counter() - t)
                t = time.perf_counter(); session.run(None, feeds)
                o_times.append(time.perf_counter() - t)
            k, o = statistics.median(k_times), statistics.median(o_times)
            rows.append((name, seq, k * 1e3, o * 1e3, k / o, err))
            print(f"  seq {seq}: kiln {k*1e3:.1f} ms, onnxruntime {o*1e3:.1f} ms,"
                  f" ratio {k/o:.2f}x (max rel err {err:.1e})", flush=True)
            if unfused is not None:
                f_times, u_times = [], []
                for _ in range(args.rounds):
                    t = time.perf_counter(); kiln.run(feeds)
                    f_times.append(time.perf_counter() - t)
                    t = time.perf_counter(); unfused.run(feeds)
                    u_times.append(time.perf_counter() - t)
                f, u = statistics.median(f_times), statistics.median(u_times)
                print(f"  seq {seq}: fused {f*1e3:.1f} ms, unfused {u*1e3:.1f} ms,"
                      f" fusion changes latency by {100 * (f / u - 1):+.1f}%",
                      flush=True)
        del kiln, unfused
    print(f"\n{'model':8s} {'batch':>5s} {'seq':>5s} {'kiln ms':>9s} "
          f"{'ort ms':>9s} {'kiln/ort':>9s}   threads={args.threads}")
    for name, seq, k, o, r, _ in rows:
        print(f"{name:8s} {args.batch:5d} {seq:5d} {k:9.1f} {o:9.1f} {r:9.2f}")


if __name__ == "__main__":
    main()
