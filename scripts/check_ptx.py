#!/usr/bin/env python3
"""Compiles every model of an export manifest to PTX with kiln
(--target=cuda --emit=ptx) for each GPU architecture given, and assembles
each with the CUDA toolkit's ptxas, which rejects PTX the architecture
cannot run.

Usage: check_ptx.py --kiln PATH --models DIR [--archs sm_80 sm_90a]
         [--precisions fp32 bf16] [--ptxas /usr/local/cuda/bin/ptxas]
Prints one line per (model, arch, precision) and "ptxas: N passed, M
failed".
"""
import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--kiln", required=True)
    p.add_argument("--models", required=True, type=pathlib.Path)
    p.add_argument("--archs", nargs="+", default=["sm_80", "sm_90a"])
    p.add_argument("--precisions", nargs="+", default=["fp32"])
    p.add_argument("--ptxas", default="/usr/local/cuda/bin/ptxas")
    args = p.parse_args()
    manifest = json.loads((args.models / "manifest.json").read_text())
    passed = failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for entry in manifest["files"]:
            onnx_path = args.models / entry["file"]
            for arch, precision in [(a, p) for a in args.archs
                                    for p in args.precisions]:
                ptx = os.path.join(tmp, f"{entry['file']}.{arch}.ptx")
                step = "kiln"
                proc = subprocess.run(
                    [args.kiln, "compile", str(onnx_path), "--target=cuda",
                     f"--gpu-arch={arch}", f"--precision={precision}",
                     "--emit=ptx", "-o", ptx],
                    capture_output=True, text=True)
                if proc.returncode == 0:
                    step = "ptxas"
                    proc = subprocess.run(
                        [args.ptxas, f"-arch={arch}", ptx, "-o", os.devnull],
                        capture_output=True, text=True)
                if proc.returncode == 0:
                    kernels = open(ptx).read().count(".entry")
                    print(f"{entry['file']:28s} {arch} {precision}: ok "
                          f"({kernels} kernels)")
                    passed += 1
                else:
                    print(f"{entry['file']:28s} {arch} {precision}: {step} FAILED: "
                          f"{proc.stderr.strip()[:500]}")
                    failed += 1
    print(f"ptxas: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
