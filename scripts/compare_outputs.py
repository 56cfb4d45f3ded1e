#!/usr/bin/env python3
"""Compares the NAME.npy outputs `kiln run --output-dir` wrote into two
folders: each must have the same shape and match within TOL of its scale.

Usage: compare_outputs.py DIR_A DIR_B [--tol 1e-5]
Prints one line per output and "outputs: N match, M differ".
"""
import argparse
import pathlib
import sys

import numpy as np


def main():
    p = argparse.ArgumentParser()
    p.add_argument("a", type=pathlib.Path)
    p.add_argument("b", type=pathlib.Path)
    p.add_argument("--tol", type=float, default=1e-5)
    args = p.parse_args()
    match = differ = 0
    for path in sorted(args.a.glob("*.npy")):
        x, y = np.load(path), np.load(args.b / path.name)
        if x.shape != y.shape:
            ok, detail = False, f"shape {x.shape} vs {y.shape}"
        else:
            scale = max(float(np.abs(x).max()) if x.size else 0.0, 1e-30)
            err = float(np.abs(x.astype(np.float64) - y).max()) / scale \
                if x.size else 0.0
            ok, detail = err <= args.tol, f"rel err {err:.1e}"
        print(f"{path.stem}: {'ok' if ok else 'DIFFERS'} ({detail})")
        match += ok
        differ += not ok
    print(f"outputs: {match} match, {differ} differ")
    sys.exit(1 if differ or not match else 0)


if __name__ == "__main__":
    main()
