#!/usr/bin/env python3
"""The GPU device check, run on a machine with an NVIDIA GPU, PyTorch,
onnxruntime (CPU) and numpy, on a bundle from gpu_bundle.py:

 1. end to end: every test export's CUDA library against onnxruntime on
    the CPU (check_numerics.py --prebuilt), batch 1 and 3, seq 1 to 512:
    fp32 within 1e-4 of each output's scale, bf16 within 1e-2;
 2. GEMM: kiln's C[4096, 4096] = A x W, fp32 (SIMT) and bf16 (tensor
    cores), against PyTorch's cuBLAS matmul in fp32 and bf16;
 3. BERT-base, batch 32, seq 128: kiln's fp32 and bf16 libraries against a
    BERT-shaped PyTorch encoder (12 layers, hidden 768, 12 heads, FFN 3072)
    in fp32 and bf16.

kiln is timed through its C API, so each run includes copying the inputs
to the GPU and the outputs back; PyTorch's timings are device-resident
(CUDA events). Prints one line per figure and the ratios.

Usage: python3 gpu_device_check.py BUNDLE
"""
import json
import os
import pathlib
import statistics
import subprocess
import sys
import time

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "python"))
import kiln  # noqa: E402


def zero_weights(bundle, name, size):
    path = bundle / f"{name}.so.weights"
    with open(path, "wb") as f:
        f.truncate(size)


def time_kiln(model, feeds, runs=20, warmup=3):
    for _ in range(warmup):
        model.run(None, feeds)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        model.run(None, feeds)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def time_torch(fn, runs=20, warmup=3):
    import torch
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(runs):
        start, end = (torch.cuda.Event(enable_timing=True) for _ in range(2))
        start.record()
        fn()
        end.record()
        torch.cuda.synchronize()
        times.append(start.elapsed_time(end) / 1e3)
    return statistics.median(times)


def bert_like(torch, dtype):
    layer = torch.nn.TransformerEncoderLayer(
        768, 12, 3072, activation="gelu", batch_first=True, dropout=0.0)
    encoder = torch.nn.TransformerEncoder(layer, 12, enable_nested_tensor=False)
    embed = torch.nn.Embedding(30522, 768)
    model = torch.nn.Sequential(embed, encoder).cuda().eval().to(dtype)
    return model


def main():
    bundle = pathlib.Path(sys.argv[1]).resolve()
    sizes = json.loads((bundle / "sizes.json").read_text())
    status = 0

    print("== 1. end to end against onnxruntime (CPU)", flush=True)
    for libs, tol in [("libs", "1e-4"), ("libs-bf16", "1e-2")]:
        print(f"-- {libs} (tolerance {tol})", flush=True)
        proc = subprocess.run([sys.executable, str(HERE / "check_numerics.py"),
                               "--models", str(bundle / "models"),
                               "--prebuilt", str(bundle / libs), "--tol", tol])
        status |= proc.returncode

    import torch
    torch.backends.cuda.matmul.allow_tf32 = False
    print(f"== device: {torch.cuda.get_device_name()}", flush=True)

    print("== 2. GEMM 4096^3", flush=True)
    a = np.random.default_rng(0).standard_normal((4096, 4096), np.float32)
    flops = 2 * 4096 ** 3
    kiln_times = {}
    for name in ["gemm", "gemm_bf16"]:
        zero_weights(bundle, name, sizes[name])
        gemm = kiln.InferenceSession(bundle / f"{name}.so")
        kiln_times[name] = time_kiln(gemm, {"a": a}, runs=10)
        del gemm
    ta = torch.from_numpy(a).cuda()
    tw = torch.zeros(4096, 4096, device="cuda")
    t_fp32 = time_torch(lambda: ta @ tw)
    ta16, tw16 = ta.bfloat16(), tw.bfloat16()
    t_bf16 = time_torch(lambda: ta16 @ tw16)
    # kiln's time includes copying A (64 MiB) in and C out; the copy alone
    # is measured to separate it.
    copy = time_torch(lambda: torch.from_numpy(a).cuda().cpu())
    for label, t, ref in [("kiln fp32", kiln_times["gemm"], t_fp32),
                          ("kiln bf16", kiln_times["gemm_bf16"], t_bf16)]:
        print(f"{label} (incl. copies) {t * 1e3:8.2f} ms "
              f"{flops / t / 1e12:7.1f} TFLOP/s; less copies "
              f"{flops / max(t - copy, 1e-9) / 1e12:7.1f} TFLOP/s "
              f"({ref / max(t - copy, 1e-9) * 100:.0f}% of cuBLAS)")
    print(f"torch fp32 (cuBLAS)      {t_fp32 * 1e3:8.2f} ms "
          f"{flops / t_fp32 / 1e12:7.1f} TFLOP/s")
    print(f"torch bf16 (cuBLAS)      {t_bf16 * 1e3:8.2f} ms "
          f"{flops / t_bf16 / 1e12:7.1f} TFLOP/s")
    print(f"host<->device copy of A and C {copy * 1e3:8.2f} ms")

    print("== 3. BERT-base, batch 32, seq 128", flush=True)
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 30522, (32, 128)).astype(np.int64)
    feeds = {"input_ids": ids, "attention_mask": np.ones_like(ids),
             "token_type_ids": np.zeros_like(ids)}
    bert_times = {}
    for name in ["bert_base", "bert_base_bf16"]:
        zero_weights(bundle, name, sizes[name])
        bert = kiln.InferenceSession(bundle / f"{name}.so")
        bert_times[name] = time_kiln(bert, feeds, runs=10)
        del bert
    tids = torch.from_numpy(ids).cuda()
    results = {}
    for name, dtype in [("fp32", torch.float32), ("bf16", torch.bfloat16)]:
        model = bert_like(torch, dtype)
        with torch.no_grad():
            results[name] = time_torch(lambda: model(tids))
    for name, t in bert_times.items():
        print(f"kiln {name:15s} (incl. copies) {t * 1e3:8.2f} ms  "
              f"vs torch fp32 {t / results['fp32']:.2f}x, "
              f"vs torch bf16 {t / results['bf16']:.2f}x")
    for name, t in results.items():
        print(f"torch {name}               {t * 1e3:8.2f} ms")
    sys.exit(status)


if __name__ == "__main__":
    main()
