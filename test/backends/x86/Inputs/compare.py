"""Compares kiln's outputs (NAME.npy files in a directory) with
onnxruntime's on the same inputs; prints 'match' or the worst error.

Usage: compare.py MODEL.onnx OUTPUT_DIR NAME=INPUT.npy...
"""
import sys

import numpy as np
import onnx
import onnx.parser
import onnxruntime as ort

model_path, out_dir, *inputs = sys.argv[1:]
if model_path.endswith(".onnxtxt"):
    model = onnx.parser.parse_model(open(model_path).read()).SerializeToString()
else:
    model = model_path
session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
feeds = {n: np.load(f) for n, f in (i.split("=", 1) for i in inputs)}
worst = 0.0
for spec, ref in zip(session.get_outputs(), session.run(None, feeds)):
    got = np.load(f"{out_dir}/{spec.name}.npy")
    assert got.shape == ref.shape, (spec.name, got.shape, ref.shape)
    worst = max(worst, float(np.abs(got - ref).max() / max(np.abs(ref).max(), 1e-30)))
print("match" if worst <= 1e-4 else f"MISMATCH {worst:.2e}")
