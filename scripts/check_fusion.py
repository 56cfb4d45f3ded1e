#!/usr/bin/env python3
"""Checks what the fusion passes make of each exported architecture: after
`kiln compile --emit=tfm --stats`, one tfm.attention per layer, one norm
op (layer_norm or rms_norm) per norm (two per layer plus the embeddings' or
final one), one GELU/SiLU per MLP (folded into its matmul or standalone),
and no softmax, erf, sigmoid or reduction left over from them.

Usage: check_fusion.py --kiln PATH --models DIR
"""
import argparse
import json
import pathlib
import re
import subprocess
import sys


def layers(config):
    for key in ("num_hidden_layers", "n_layers", "n_layer"):
        if key in config:
            return config[key]
    raise KeyError("no layer count in config")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--kiln", required=True)
    p.add_argument("--models", required=True, type=pathlib.Path)
    args = p.parse_args()
    manifest = json.loads((args.models / "manifest.json").read_text())
    failures = 0
    for entry in manifest["files"]:
        path = args.models / entry["file"]
        proc = subprocess.run([args.kiln, "compile", str(path), "--emit=tfm",
                               "--stats", "-o", "/dev/null"],
                              capture_output=True, text=True)
        after = [l for l in proc.stderr.splitlines() if "after the tfm" in l]
        if proc.returncode or not after:
            print(f"{entry['file']}: kiln failed: {proc.stderr.strip()[:300]}")
            failures += 1
            continue
        counts = {k: int(v) for k, v in re.findall(r"(tfm\.\w+)=(\d+)", after[0])}
        ir = subprocess.run([args.kiln, "compile", str(path), "--emit=tfm"],
                            capture_output=True, text=True).stdout
        n = layers(entry["config"])
        activations = (len(re.findall(r"activation (?:gelu|gelu_tanh|silu)\b", ir))
                       + counts.get("tfm.gelu", 0) + counts.get("tfm.silu", 0))
        norms = counts.get("tfm.layer_norm", 0) + counts.get("tfm.rms_norm", 0)
        got = {"attention": counts.get("tfm.attention", 0), "norms": norms,
               "activations": activations,
               "leftover": sum(counts.get(k, 0) for k in
                               ("tfm.softmax", "tfm.erf", "tfm.sigmoid",
                                "tfm.reduce"))}
        want = {"attention": n, "norms": 2 * n + 1, "activations": n,
                "leftover": 0}
        ok = got == want
        failures += not ok
        print(f"{entry['file']:28s} layers {n}: attention {got['attention']}, "
              f"norms {got['norms']}, activations {got['activations']}, "
              f"leftover {got['leftover']} {'ok' if ok else f'FAILED (want {want})'}")
    total = len(manifest["files"])
    print(f"fusion: {total - failures} passed, {failures} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
