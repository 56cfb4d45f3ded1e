#!/usr/bin/env python3
"""Builds, on a machine with kiln, what the GPU device check needs on a
machine with an NVIDIA GPU but no LLVM/MLIR (the `device` tool's machine:
CUDA, PyTorch, onnxruntime on the CPU, numpy; at most 64 MiB travels):

  OUT/models/       the test exports at opset 17 (ONNX, small: every
                    architecture, within the 64 MiB) and their manifest
  OUT/libs/         each compiled with --target=cuda (MODEL.so + weights)
  OUT/libs-bf16/    the same with --precision=bf16 (tensor-core GEMMs)
  OUT/bert_base.so  BERT-base, and bert_base_bf16.so (Hugging Face config,
                    random weights, dynamic batch and sequence) for
                    timing; its 417 MiB weights stay here: the check
                    writes a zero-filled weights file of the size in
                    OUT/sizes.json (values do not change the timing)
  OUT/gemm.so       C[M, 4096] = A[M, 4096] x W[4096, 4096] (fp32), likewise,
                    and gemm_bf16.so (tensor cores)
  OUT/scripts/      check_numerics.py, gpu_device_check.py
  OUT/python/kiln/  the kiln package (InferenceSession)

Usage: gpu_bundle.py --kiln build/bin/kiln --out DIR [--gpu-arch sm_90a]
Then on the device machine: python3 DIR/scripts/gpu_device_check.py DIR
"""
import argparse
import json
import os
import pathlib
import shutil
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from benchmark import EXPORT  # noqa: E402  (the BERT-base export snippet)


def compile_cuda(kiln, onnx_path, lib, arch, precision="fp32"):
    subprocess.run([kiln, "compile", str(onnx_path), "--target=cuda",
                    f"--gpu-arch={arch}", f"--precision={precision}",
                    "-o", str(lib)], check=True)


def gemm_model(path, k=4096, n=4096):
    w = helper.make_tensor("w", TensorProto.FLOAT, [k, n],
                           np.zeros(k * n, np.float32).tobytes(), raw=True)
    node = helper.make_node("MatMul", ["a", "w"], ["c"])
    graph = helper.make_graph(
        [node], "gemm",
        [helper.make_tensor_value_info("a", TensorProto.FLOAT, ["m", k])],
        [helper.make_tensor_value_info("c", TensorProto.FLOAT, ["m", n])],
        [w])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, path)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--kiln", default=str(ROOT / "build" / "bin" / "kiln"))
    p.add_argument("--out", required=True, type=pathlib.Path)
    p.add_argument("--gpu-arch", default="sm_90a")
    args = p.parse_args()
    out = args.out
    shutil.rmtree(out, ignore_errors=True)
    (out / "libs").mkdir(parents=True)
    (out / "libs-bf16").mkdir()
    (out / "scripts").mkdir()
    work = out.parent / (out.name + ".work")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()

    subprocess.run(["/usr/bin/python3", str(ROOT / "scripts" / "export_models.py"),
                    "--out", str(out / "models"), "--opsets", "17"],
                   check=True, stdout=subprocess.DEVNULL)
    manifest = json.loads((out / "models" / "manifest.json").read_text())
    for entry in manifest["files"]:
        for libs, precision in [("libs", "fp32"), ("libs-bf16", "bf16")]:
            compile_cuda(args.kiln, out / "models" / entry["file"],
                         out / libs / entry["file"].replace(".onnx", ".so"),
                         args.gpu_arch, precision)

    sizes = {}
    subprocess.run(["/usr/bin/python3", "-c", EXPORT, "bert",
                    str(work / "bert_base.onnx")], check=True)
    gemm_model(work / "gemm.onnx")
    for model in ["bert_base", "gemm"]:
        for precision in ["fp32", "bf16"]:
            name = model if precision == "fp32" else f"{model}_bf16"
            compile_cuda(args.kiln, work / f"{model}.onnx", out / f"{name}.so",
                         args.gpu_arch, precision)
            weights = out / f"{name}.so.weights"
            sizes[name] = weights.stat().st_size
            weights.unlink()
    (out / "sizes.json").write_text(json.dumps(sizes, indent=1))
    for script in ["check_numerics.py", "gpu_device_check.py"]:
        shutil.copy(ROOT / "scripts" / script, out / "scripts" / script)
    # The kiln package runs the libraries there (its InferenceSession needs
    # only numpy and the library).
    shutil.copytree(ROOT / "python" / "kiln", out / "python" / "kiln",
                    ignore=shutil.ignore_patterns("__pycache__", "_lib"))
    shutil.rmtree(work)
    total = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    print(f"gpu bundle: {out} ({total / 2**20:.1f} MiB)")


if __name__ == "__main__":
    main()
