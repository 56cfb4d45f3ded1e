#!/usr/bin/env python3
"""Imports every model of an export manifest (scripts/export_models.py) with
`kiln compile --emit=tfm` and checks what the ONNX frontend issue asks:
every model imports, every tensor is ranked, and the symbolic input dims
(batch, seq, past_seq) stay dynamic while the static ones stay static.
Prints one line per model and a summary; exits non-zero on any failure.

Usage: import_architectures.py --kiln PATH/TO/kiln --models DIR
"""
import argparse
import json
import pathlib
import re
import subprocess
import sys
import time

SIG = re.compile(r"func\.func @main_graph\((.*?)\)\s*->", re.S)
ARG = re.compile(r"%arg\d+: tensor<([^>]*)>\s*\{[^}]*tfm\.name = \"([^\"]+)\"[^}]*\}")


def dims(tensor_type):
    parts = tensor_type.split("x")[:-1]  # The last part is the element type.
    return ["?" if p == "?" else int(p) for p in parts]


def check(kiln, path, entry):
    start = time.perf_counter()
    proc = subprocess.run([kiln, "compile", str(path), "--emit=tfm"],
                          capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        return f"kiln failed: {proc.stderr.strip().splitlines()[:3]}", seconds
    ir = proc.stdout
    if "tensor<*" in ir:
        return "unranked tensor in the IR", seconds
    sig = SIG.search(ir)
    if not sig:
        return "no main_graph function", seconds
    args = {name: dims(t) for t, name in ARG.findall(sig.group(1))}
    for inp in entry["inputs"]:
        got = args.get(inp["name"])
        if got is None:
            return f"input {inp['name']} missing", seconds
        want = ["?" if isinstance(d, str) else d for d in inp["shape"]]
        if got != want:
            return f"input {inp['name']}: {got} instead of {want}", seconds
    return None, seconds


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--kiln", required=True)
    parser.add_argument("--models", required=True, type=pathlib.Path)
    args = parser.parse_args()
    manifest = json.loads((args.models / "manifest.json").read_text())
    failures = 0
    for entry in manifest["files"]:
        error, seconds = check(args.kiln, args.models / entry["file"], entry)
        status = "ok" if error is None else f"FAILED: {error}"
        print(f"{entry['file']:28s} {seconds:5.2f}s  {status}")
        failures += error is not None
    total = len(manifest["files"])
    print(f"imported {total - failures} of {total} models")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
