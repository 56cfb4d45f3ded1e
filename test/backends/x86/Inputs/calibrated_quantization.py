"""The calibrated schemes end to end: `kiln calibrate` on a folder of
samples, then --quantize=smoothquant and --quantize=w8a8-static, on a
pre-norm MLP block (LayerNorm -> MatMul + bias -> Gelu -> MatMul + bias,
plus the block's input; dynamic batch and sequence) whose norm scale
plants two outlier channels (x40), as LLMs have.

Checks, one line each:
- the calibration file holds the per-channel min/max of each matmul's
  input over the samples (NumPy's, within 1e-5), and kiln.calibrate (the
  Python form) writes the same;
- smoothquant matches a NumPy model of SmoothQuant (s from the recorded
  ranges, x / s quantized per token, diag(s) W per channel) within 1e-4 of
  the output's scale: the norm fold of fc1's 1 / s and the explicit
  multiply before fc2 are exact;
- w8a8-static matches a NumPy model that quantizes each channel c of the
  norm's output with its own asymmetric (s_c, z_c) from the (widened)
  ranges: RepQuant's reparameterisation gives the per-tensor quantizer
  exactly those codes; the GELU output has one grid;
- on inputs with the outlier channels, smoothquant's error against fp32
  is far below plain w8a8's (which quantizes each token by its outlier);
- what kiln refuses: a calibrated scheme without --calibration, and a
  calibration file from another model.

Usage: calibrated_quantization.py OUT_DIR
"""
import json
import os
import subprocess
import sys
from math import erf

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "..", "..", "python"))
import kiln  # noqa: E402

K, H = 64, 96
F32 = np.float32
OUTLIERS = [5, 17]
KILN = os.path.join(os.environ["KILN_BUILD_DIR"], "bin", "kiln")


def model(gamma, beta, w1, b1, w2, b2):
    x = helper.make_tensor_value_info("X", TensorProto.FLOAT, ["b", "s", K])
    y = helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)
    inits = [numpy_helper.from_array(a, n) for a, n in
             [(gamma, "G"), (beta, "Be"), (w1, "W1"), (b1, "B1"),
              (w2, "W2"), (b2, "B2")]]
    nodes = [
        helper.make_node("LayerNormalization", ["X", "G", "Be"], ["n"],
                         axis=-1, epsilon=1e-5, name="ln"),
        helper.make_node("MatMul", ["n", "W1"], ["h0"], name="fc1"),
        helper.make_node("Add", ["h0", "B1"], ["h1"]),
        helper.make_node("Gelu", ["h1"], ["h2"], domain="com.microsoft"),
        helper.make_node("MatMul", ["h2", "W2"], ["h3"], name="fc2"),
        helper.make_node("Add", ["h3", "B2"], ["h4"]),
        helper.make_node("Add", ["h4", "X"], ["Y"]),
    ]
    return helper.make_model(
        helper.make_graph(nodes, "block", [x], [y], inits),
        opset_imports=[helper.make_opsetid("", 17),
                       helper.make_opsetid("com.microsoft", 1)])


def gelu(x):
    return (0.5 * x * (1 + np.vectorize(erf)(x / np.sqrt(2)))).astype(F32)


class Block:
    def __init__(self, rng):
        self.gamma = (1 + 0.1 * rng.standard_normal(K)).astype(F32)
        self.gamma[OUTLIERS] = 40.0
        self.beta = (0.1 * rng.standard_normal(K)).astype(F32)
        self.w1 = (rng.standard_normal((K, H)) * 0.2).astype(F32)
        self.b1 = (rng.standard_normal(H) * 0.1).astype(F32)
        self.w2 = (rng.standard_normal((H, K)) * 0.2).astype(F32)
        self.b2 = (rng.standard_normal(K) * 0.1).astype(F32)

    def onnx(self):
        return model(self.gamma, self.beta, self.w1, self.b1, self.w2,
                     self.b2)

    def norm(self, x):
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return ((x - mean) / np.sqrt(var + F32(1e-5)) * self.gamma
                + self.beta).astype(F32)

    def inputs(self, x):
        """The two matmuls' inputs, as rows [M, K] and [M, H]."""
        n = self.norm(x.reshape(-1, K))
        return n, gelu(n @ self.w1 + self.b1)

    def fp32(self, x):
        n, h = self.inputs(x)
        return (h @ self.w2 + self.b2 + x.reshape(-1, K)).reshape(x.shape)


def symmetric(w):
    """Per output channel (column of w [K, N]): dequantized."""
    amax = np.abs(w).max(axis=0)
    s = np.where(amax > 0, amax / F32(127), F32(1)).astype(F32)
    return np.clip(np.rint(w / s), -127, 127) * s


def per_token(x):
    """Per-row symmetric int8 of x [M, K]: dequantized."""
    amax = np.abs(x).max(axis=1, keepdims=True)
    s = np.where(amax > 0, amax / F32(127), F32(1))
    return np.clip(np.rint(x / s), -127, 127) * s


def smoothquant(block, x, ranges, alpha=0.5):
    def linear(u, w, b, lo, hi):
        xmax = np.maximum(np.abs(lo), np.abs(hi)).astype(np.float64)
        wmax = np.abs(w).max(axis=1).astype(np.float64)
        s = np.where((xmax > 0) & (wmax > 0),
                     np.maximum(xmax ** alpha / wmax ** (1 - alpha), 1e-5),
                     1).astype(F32)
        return per_token(u * (F32(1) / s)) @ symmetric(w * s[:, None]) + b

    rows = x.reshape(-1, K)
    n = block.norm(rows)
    h = gelu(linear(n, block.w1, block.b1, *ranges[0]))
    y = linear(h, block.w2, block.b2, *ranges[1])
    return (y + rows).reshape(x.shape)


def static_per_channel(block, x, ranges, headroom=1.5):
    """fc1 (a norm's output): each input channel quantized with its own
    asymmetric 8-bit (s_c, z_c) from the ranges widened 1.5x; the weight as
    the reparameterised one (diag(r) W, per output channel) and the codes
    taken relative to the shared zero point, as kiln's per-tensor GEMM
    computes them. fc2 (a GELU output): one grid for the tensor."""
    def linear(u, w, b, lo, hi):
        lo = np.minimum(headroom * lo.astype(np.float64), 0)
        hi = np.maximum(headroom * hi.astype(np.float64), 0)
        s = (hi - lo) / 255
        z = np.clip(np.rint(-lo / s), 0, 255)
        shared, zero = s.mean(), np.rint(z.mean())
        r = (s / shared).astype(F32)
        shift = (shared * (zero - z)).astype(F32)
        wr = w * r[:, None]
        q = np.clip(np.rint(u / s.astype(F32)) + z, 0, 255)
        return ((q - zero) * F32(shared)) @ symmetric(wr) + b + shift @ wr

    def per_tensor(u, w, b, lo, hi):
        lo, hi = min(lo.min(), 0), max(hi.max(), 0)
        s = F32((hi - lo) / 255)
        z = np.clip(np.rint(-lo / s), 0, 255)
        q = np.clip(np.rint(u / s) + z, 0, 255)
        return ((q - z) * s) @ symmetric(w) + b

    rows = x.reshape(-1, K)
    n = block.norm(rows)
    h = gelu(linear(n, block.w1, block.b1, *ranges[0]))
    y = per_tensor(h, block.w2, block.b2, *ranges[1])
    return (y + rows).reshape(x.shape)


def relative(a, b):
    return float(np.abs(a - b).max() / np.abs(b).max())


def kiln_cli(*args):
    return subprocess.run([KILN, *args], capture_output=True, text=True)


def main():
    out = sys.argv[1]
    rng = np.random.default_rng(11)
    block = Block(rng)
    path = os.path.join(out, "block.onnx")
    onnx.save(block.onnx(), path)

    # Six samples of different lengths, one folder each.
    samples = []
    for i, seq in enumerate([3, 7, 5, 9, 4, 6]):
        x = rng.standard_normal((1, seq, K)).astype(F32)
        folder = os.path.join(out, "samples", f"{i:02d}")
        os.makedirs(folder)
        np.save(os.path.join(folder, "X.npy"), x)
        samples.append(x)
    calibration = os.path.join(out, "block.calibration.json")
    run = kiln_cli("calibrate", path, "--calibration",
                   os.path.join(out, "samples"), "-o", calibration)
    print(run.stdout.strip() or run.stderr.strip())

    ranges = []
    for which in range(2):
        values = np.concatenate([block.inputs(x)[which] for x in samples])
        ranges.append((values.min(axis=0), values.max(axis=0)))
    with open(calibration) as f:
        recorded = json.load(f)["matmuls"]
    agree = all(
        relative(np.array(m[key], F32), r[j]) < 1e-5
        for m, r in zip(recorded, ranges) for j, key in enumerate(["min",
                                                                   "max"]))
    print(f"calibration ranges: {[m['name'] for m in recorded]} "
          f"{'match' if agree else 'differ from'} NumPy's")
    python_file = os.path.join(out, "python.calibration.json")
    kiln.calibrate(path, [{"X": x} for x in samples], python_file)
    with open(python_file) as f:
        same = json.load(f)["matmuls"] == recorded
    print(f"kiln.calibrate: {'same file' if same else 'differs'}")

    x = rng.standard_normal((2, 5, K)).astype(F32)
    fp32 = block.fp32(x)
    errors = {}
    for scheme, reference in [("smoothquant", smoothquant),
                              ("w8a8-static", static_per_channel),
                              ("w8a8", None)]:
        lib = os.path.join(out, f"{scheme}.so")
        options = {"calibration": calibration} if reference else {}
        kiln.compile(path, lib, quantize=scheme, **options)
        got = kiln.InferenceSession(lib).run(None, {"X": x})[0]
        errors[scheme] = relative(got, fp32)
        if reference:
            err = relative(got, reference(block, x, ranges))
            verdict = "match" if err < 1e-4 else f"error {err:.3g}"
            print(f"{scheme}: {verdict} (vs fp32 {errors[scheme]:.2e})")
    gain = errors["w8a8"] / errors["smoothquant"]
    print(f"outlier channels: smoothquant "
          f"{'beats' if gain > 2 else 'does not beat'} w8a8 "
          f"({errors['smoothquant']:.2e} vs {errors['w8a8']:.2e})")

    # w4 reads the calibration too (AWQ's scaling): exact in real
    # arithmetic, so a wrong fold would show as a large error; on the
    # outlier channels it leaves the weights those channels meet finer.
    w4 = {}
    for label, options in [("plain", {}),
                           ("awq", {"calibration": calibration})]:
        lib = os.path.join(out, f"w4-{label}.so")
        kiln.compile(path, lib, quantize="w4", **options)
        w4[label] = relative(kiln.InferenceSession(lib).run(None, {"X": x})[0],
                             fp32)
    print(f"w4 with calibration (AWQ): "
          f"{'beats' if w4['awq'] < w4['plain'] else 'does not beat'} w4 "
          f"({w4['awq']:.2e} vs {w4['plain']:.2e})")

    # The folder form of --calibration: calibrates, then quantizes.
    run = kiln_cli("compile", path, "--quantize=smoothquant",
                   "--calibration", os.path.join(out, "samples"),
                   "-o", os.path.join(out, "folder.so"))
    print(f"compile --calibration DIR: {run.stdout.strip()}")

    # Another model: the block without its second matmul.
    other = block.onnx()
    del other.graph.node[4:]
    other.graph.node[3].output[0] = "Y"
    other_path = os.path.join(out, "other.onnx")
    onnx.save(other, other_path)
    for name, model_path, args in [
        ("no calibration", path, ["--quantize=w8a8-static"]),
        ("calibration unused", path, ["--quantize=w8a8",
                                      "--calibration", calibration]),
        ("other model", other_path, ["--quantize=smoothquant",
                                     "--calibration", calibration]),
    ]:
        run = kiln_cli("compile", model_path, *args, "-o",
                       os.path.join(out, "bad.so"))
        print(f"{name}: {run.stderr.strip().splitlines()[0]}")


if __name__ == "__main__":
    main()
