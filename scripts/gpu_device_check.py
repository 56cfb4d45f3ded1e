#!/usr/bin/env python3
"""The GPU device check, run on a machine with an NVIDIA GPU, PyTorch,
onnxruntime (CPU) and numpy, on a bundle from gpu_bundle.py:

 1. end to end: every test export's CUDA library against onnxruntime on
    the CPU (check_numerics.py --prebuilt), batch 1 and 3, seq 1 to 512;
 2. GEMM: kiln's C[4096, 4096] = A x W (fp32) against PyTorch's cuBLAS
    matmul in fp32 and bf16, on the same GPU;
 3. BERT-base, batch 32, seq 128: kiln's library against a BERT-shaped
    PyTorch encoder (12 layers, hidden 768, 12 heads, FFN 3072) in fp32
    and bf16.

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
sys.path.insert(0, str(HERE))
from kiln_ctypes import KilnModel  # noqa: E402


def zero_weights(bundle, name, size):
    path = bundle / f"{name}.so.weights"
    with open(path, "wb") as f:
        f.truncate(size)


def time_kiln(model, feeds, runs=20, warmup=3):
    for _ in range(warmup):
        model.run(feeds)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        model.run(feeds)
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
    proc = subprocess.run([sys.executable, str(HERE / "check_numerics.py"),
                           "--models", str(bundle / "models"),
                           "--prebuilt", str(bundle / "libs")])
    status |= proc.returncode

    import torch
    torch.backends.cuda.matmul.allow_tf32 = False
    print(f"== device: {torch.cuda.get_device_name()}", flush=True)

    print("== 2. GEMM 4096^3", flush=True)
    zero_weights(bundle, "gemm", sizes["gemm"])
    gemm = KilnModel(str(bundle / "gemm.so"))
    a = np.random.default_rng(0).standard_normal((4096, 4096), np.float32)
    flops = 2 * 4096 ** 3
    t_kiln = time_kiln(gemm, {"a": a}, runs=10)
    ta = torch.from_numpy(a).cuda()
    tw = torch.zeros(4096, 4096, device="cuda")
    t_fp32 = time_torch(lambda: ta @ tw)
    ta16, tw16 = ta.bfloat16(), tw.bfloat16()
    t_bf16 = time_torch(lambda: ta16 @ tw16)
    print(f"kiln fp32 (incl. copies) {t_kiln * 1e3:8.2f} ms "
          f"{flops / t_kiln / 1e12:7.1f} TFLOP/s")
    print(f"torch fp32 (cuBLAS)      {t_fp32 * 1e3:8.2f} ms "
          f"{flops / t_fp32 / 1e12:7.1f} TFLOP/s  kiln/torch {t_kiln / t_fp32:.2f}x")
    print(f"torch bf16 (cuBLAS)      {t_bf16 * 1e3:8.2f} ms "
          f"{flops / t_bf16 / 1e12:7.1f} TFLOP/s  kiln/torch {t_kiln / t_bf16:.2f}x")
    del gemm

    print("== 3. BERT-base, batch 32, seq 128", flush=True)
    zero_weights(bundle, "bert_base", sizes["bert_base"])
    bert = KilnModel(str(bundle / "bert_base.so"))
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 30522, (32, 128)).astype(np.int64)
    feeds = {"input_ids": ids, "attention_mask": np.ones_like(ids),
             "token_type_ids": np.zeros_like(ids)}
    t_kiln = time_kiln(bert, feeds, runs=10)
    tids = torch.from_numpy(ids).cuda()
    results = {}
    for name, dtype in [("fp32", torch.float32), ("bf16", torch.bfloat16)]:
        model = bert_like(torch, dtype)
        with torch.no_grad():
            results[name] = time_torch(lambda: model(tids))
    print(f"kiln fp32 (incl. copies) {t_kiln * 1e3:8.2f} ms")
    for name, t in results.items():
        print(f"torch {name}               {t * 1e3:8.2f} ms  "
              f"kiln/torch {t_kiln / t:.2f}x")
    sys.exit(status)


if __name__ == "__main__":
    main()
