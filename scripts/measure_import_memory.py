#!/usr/bin/env python3
"""Measures the peak memory of importing a model against its weight size.

Builds a synthetic transformer-shaped ONNX model (a stack of MatMul+Add
layers, weights inline or in an external data file) of about --mb
megabytes of weights, runs `kiln compile --emit=import` on it (weights
elided from the printed IR, which is not what is measured), and reports the
peak resident memory above that of importing a tiny model.

Usage: measure_import_memory.py --kiln PATH [--mb 400] [--external]
       [--max-ratio 1.5]
Exits non-zero when (peak - baseline) / weights exceeds --max-ratio.
"""
import argparse
import os
import resource
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def build(path, mb, external):
    hidden = 1024
    layer_bytes = hidden * hidden * 4
    layers = max(1, int(mb * 1024 * 1024 / layer_bytes))
    rng = np.random.default_rng(0)
    nodes, inits = [], []
    x = "x"
    for i in range(layers):
        w = rng.standard_normal((hidden, hidden), dtype=np.float32)
        inits.append(numpy_helper.from_array(w, f"layer{i}.weight"))
        nodes.append(helper.make_node("MatMul", [x, f"layer{i}.weight"], [f"h{i}"]))
        x = f"h{i}"
    graph = helper.make_graph(
        nodes, "stack",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", hidden])],
        [helper.make_tensor_value_info(x, TensorProto.FLOAT, ["batch", hidden])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    if external:
        onnx.save(model, path, save_as_external_data=True,
                  location=os.path.basename(path) + ".data")
    else:
        onnx.save(model, path)
    return layers * layer_bytes


def peak_rss(cmd):
    """Peak RSS in bytes of running `cmd` (a fresh child each time)."""
    code = ("import resource, subprocess, sys;"
            "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL);"
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", code, *cmd], check=True,
                         capture_output=True, text=True).stdout
    return int(out) * 1024


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--kiln", required=True)
    p.add_argument("--mb", type=float, default=400)
    p.add_argument("--external", action="store_true")
    p.add_argument("--max-ratio", type=float, default=1.5)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tiny = os.path.join(tmp, "tiny.onnx")
        big = os.path.join(tmp, "big.onnx")
        build(tiny, 4, False)
        weights = build(big, args.mb, args.external)
        flags = ["compile", "--emit=import", "-o", os.devnull,
                 "--mlir-elide-resource-strings-if-larger=64"]
        base = peak_rss([args.kiln, *flags, tiny])
        peak = peak_rss([args.kiln, *flags, big])
    ratio = (peak - base) / weights
    kind = "external data" if args.external else "inline weights"
    print(f"import memory ({kind}): weights {weights / 2**20:.0f} MiB, "
          f"peak {peak / 2**20:.0f} MiB, baseline {base / 2**20:.0f} MiB, "
          f"ratio {ratio:.2f} (limit {args.max_ratio})")
    sys.exit(0 if ratio <= args.max_ratio else 1)


if __name__ == "__main__":
    main()
