#!/usr/bin/env python3
"""Benchmark tfm-rewrite-linear-attention: time and peak memory against the
sequence length T, for one exported linear-attention model (from
scripts/export_linear_attention.py, default the RetNet export) run three
ways, each run in its own process (their thread pools never share the
cores, and peak RSS is the run's own):

    kiln        the rewrite: the chunked O(T) kernel
    quadratic   kiln --no-linear-attention: the exported O(T^2) form
    ort         ONNX Runtime on the exported quadratic form

then decode: a library built from tfm IR with the op's state operand, one
token against the state a prefill of T tokens left, time per token for
each T (it should not depend on T).

Usage: bench_linear_attention.py DIR [--variant retnet]
           [--lengths 1024 ... 32768] [--quadratic-max 16384] [--rounds 3]
           [--threads 2]
Prints the CPU, one row per T, the log-log slope of kiln's time from the
shortest to the longest T, and the speedup at 16k.
"""

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, os.path.join(ROOT, "python"))
DIM = 32


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    name = line.split(":", 1)[1].strip()
                    break
            else:
                name = "unknown CPU"
        with open("/proc/cpuinfo") as f:
            flags = next((l for l in f if l.startswith("flags")), "")
        have = [x for x in ("avx2", "fma", "avx512f", "avx512_vnni",
                            "amx_tile") if " " + x in flags]
        return "%s (%s)" % (name, ", ".join(have))
    except OSError:
        return "unknown CPU"


def worker(args):
    """One engine at one length, in this process: prints JSON."""
    threads = args.threads
    x = np.random.default_rng(0).standard_normal(
        (1, args.t, DIM)).astype(np.float32)
    if args.engine == "ort":
        import onnxruntime as ort
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        s = ort.InferenceSession(args.model, options,
                                 providers=["CPUExecutionProvider"])
        run = lambda: s.run(None, {"x": x})  # noqa: E731
    elif args.engine == "decode":
        # Prefill T tokens from a zero state, then time single-token steps
        # that carry the state on.
        import kiln
        s = kiln.InferenceSession(args.model, threads=threads)
        h, d = json.loads(args.feeds)
        rng = np.random.default_rng(1)
        qkv = lambda n: {"input%d" % i: rng.standard_normal(  # noqa: E731
            (1, h, n, d)).astype(np.float32) for i in range(3)}
        feeds = qkv(args.t)
        feeds["input3"] = np.zeros((1, h, d + 1, d + 1), np.float32)
        state = [s.run(None, feeds)[1]]
        step = qkv(1)

        def run():
            step["input3"] = state[0]
            state[0] = s.run(None, step)[1]
    else:
        import kiln
        s = kiln.InferenceSession(args.model, threads=threads)
        run = lambda: s.run(None, {"x": x})  # noqa: E731
    run()
    times = []
    deadline = time.perf_counter() + 30
    for _ in range(args.rounds):
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
        if time.perf_counter() > deadline:
            break
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps({"ms": 1e3 * float(np.median(times)), "peak_mb": peak}))


def measure(engine, model, t, args, feeds=None):
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", engine,
           "--model", model, "--t", str(t), "--rounds", str(args.rounds),
           "--threads", str(args.threads)]
    if feeds:
        cmd += ["--feeds", json.dumps(feeds)]
    time.sleep(0.5)  # let the previous engine's threads go idle
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        return None
    return json.loads(r.stdout.strip().splitlines()[-1])


DECODE_IR = """func.func @main_graph(%q: tensor<1x{h}x?x{d}xf32>, %k: tensor<1x{h}x?x{d}xf32>, %v: tensor<1x{h}x?x{d}xf32>, %s: tensor<1x{h}x{d1}x{d1}xf32>) -> (tensor<1x{h}x?x{d}xf32>, tensor<1x{h}x{d1}x{d1}xf32>) {{
  %o, %n = tfm.linear_attention %q, %k, %v state %s decay constant normalization retnet {{causal, log_decay = array<f32: {gammas}>}} : (tensor<1x{h}x?x{d}xf32>, tensor<1x{h}x?x{d}xf32>, tensor<1x{h}x?x{d}xf32>, tensor<1x{h}x{d1}x{d1}xf32>) -> (tensor<1x{h}x?x{d}xf32>, tensor<1x{h}x{d1}x{d1}xf32>)
  return %o, %n : tensor<1x{h}x?x{d}xf32>, tensor<1x{h}x{d1}x{d1}xf32>
}}
"""


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("dir", nargs="?")
    p.add_argument("--variant", default="retnet")
    p.add_argument("--lengths", type=int, nargs="+",
                   default=[1024, 2048, 4096, 8192, 16384, 32768])
    p.add_argument("--quadratic-max", type=int, default=16384)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--decode-only", action="store_true",
                   help="only the decode measurement")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--model", help=argparse.SUPPRESS)
    p.add_argument("--t", type=int, help=argparse.SUPPRESS)
    p.add_argument("--feeds", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        args.engine = args.worker
        return worker(args)
    if not args.dir:
        p.error("DIR (the exports) is required")
    import kiln
    onnx_path = os.path.join(args.dir, args.variant + ".onnx")
    work = tempfile.mkdtemp(prefix="kiln-la-bench-")
    libs = {"kiln": os.path.join(work, "linear.so"),
            "quadratic": os.path.join(work, "quadratic.so")}
    print("CPU: %s, %d threads, batch 1, %s export (2 heads of 16)"
          % (cpu_name(), args.threads, args.variant))
    print("%7s  %20s  %20s  %20s" % ("T", "kiln ms (peak MB)",
                                    "quadratic ms (MB)", "ORT ms (MB)"))
    rows = {}
    if not args.decode_only:
        kiln.compile(onnx_path, libs["kiln"])
        kiln.compile(onnx_path, libs["quadratic"], linear_attention=False)
    for t in [] if args.decode_only else args.lengths:
        row = {"kiln": measure("kiln", libs["kiln"], t, args)}
        for engine, model in (("quadratic", libs["quadratic"]),
                              ("ort", onnx_path)):
            row[engine] = (measure(engine, model, t, args)
                           if t <= args.quadratic_max else None)
        rows[t] = row
        cell = lambda r: ("%9.1f (%7.0f)" % (r["ms"], r["peak_mb"])  # noqa
                          if r else "%20s" % "-")
        print("%7d  %20s  %20s  %20s" % (t, cell(row["kiln"]),
                                        cell(row["quadratic"]),
                                        cell(row["ort"])), flush=True)
    ok = [t for t in rows if rows[t]["kiln"]]
    if len(ok) >= 2:
        xs = np.log([float(t) for t in ok])
        ys = np.log([rows[t]["kiln"]["ms"] for t in ok])
        slope = float(np.polyfit(xs, ys, 1)[0])
        print("kiln time slope in log-log from T=%d to %d: %.2f"
              % (ok[0], ok[-1], slope))
    for t in rows:
        r = rows[t]
        if r["kiln"] and (r["quadratic"] or r["ort"]):
            parts = ["T=%d: kiln is" % t]
            if r["quadratic"]:
                parts.append("%.0fx faster than the quadratic form"
                             % (r["quadratic"]["ms"] / r["kiln"]["ms"]))
            if r["ort"]:
                parts.append("%.0fx faster than ORT"
                             % (r["ort"]["ms"] / r["kiln"]["ms"]))
            print(" ".join(parts[:1]) + " " + ", ".join(parts[1:]))

    # Decode: the state is the same size at every T, so is the step.
    h, d = 2, 16
    ir = DECODE_IR.format(h=h, d=d, d1=d + 1,
                          gammas=", ".join("%.8g" % math.log(1 - 2 ** (-5 - i))
                                           for i in range(h)))
    ir_path = os.path.join(work, "decode.mlir")
    with open(ir_path, "w") as f:
        f.write(ir)
    decode_lib = os.path.join(work, "decode.so")
    kiln.compile(ir_path, decode_lib)
    print("decode (RetNet state, %d heads of %d): one token after a "
          "prefill of T" % (h, d))
    steps = []
    for t in args.lengths:
        # Three processes each, the fastest median: one process landing on
        # a slow stretch of this shared machine is not the kernel.
        runs = [measure("decode", decode_lib, t, argparse.Namespace(
            rounds=400, threads=args.threads), [h, d]) for _ in range(3)]
        runs = [r["ms"] for r in runs if r]
        if runs:
            steps.append(min(runs))
            print("%7d  %8.4f ms per token (medians %s)"
                  % (t, min(runs), ", ".join("%.4f" % r for r in runs)),
                  flush=True)
    if steps:
        print("decode time per token varies by %.0f%% from T=%d to %d"
              % (100 * (max(steps) / min(steps) - 1), args.lengths[0],
                 args.lengths[-1]))


if __name__ == "__main__":
    sys.exit(main())
