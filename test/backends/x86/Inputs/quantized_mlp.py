"""Each --quantize scheme end to end on a small MLP block (ONNX MatMul +
bias -> Gelu -> MatMul + bias + residual, dynamic batch and sequence),
against a NumPy model of the same scheme: the weight quantizers of
passes/quantization/Passes.td and, for w8a8/llm-int8, per-token int8
activations with the int32 product. A code off by one anywhere (packing,
rounding, the +128 compensation, the outlier columns) moves the result by
far more than the 1e-5 (of the output's scale) allowed. K = 72 leaves a
short last group of 32 and N = 100 a partial panel.

Also prints how far each scheme is from fp32 with a planted outlier
column (|x| = 60), where LLM.int8() must beat plain w8a8.

With --amx, the shapes are those the AMX-INT8 tile GEMM takes (K and
the hidden width multiples of 64, 2 x 20 = 40 rows: a 32-row block of
tiles, then 8 rows on the vector kernel).

Usage: quantized_mlp.py OUT_DIR [--amx] MCPU...   (native, x86-64-v3, ...)
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "..", "..", "python"))
import kiln  # noqa: E402

K, N1 = 72, 100
F32 = np.float32


def model(w1, b1, w2, b2):
    x = helper.make_tensor_value_info("X", TensorProto.FLOAT, ["b", "s", K])
    y = helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)
    inits = [numpy_helper.from_array(a, n) for a, n in
             [(w1, "W1"), (b1, "B1"), (w2, "W2"), (b2, "B2")]]
    nodes = [
        helper.make_node("MatMul", ["X", "W1"], ["h0"], name="fc1"),
        helper.make_node("Add", ["h0", "B1"], ["h1"]),
        helper.make_node("Gelu", ["h1"], ["h2"], domain="com.microsoft"),
        helper.make_node("MatMul", ["h2", "W2"], ["h3"], name="fc2"),
        helper.make_node("Add", ["h3", "B2"], ["h4"]),
        helper.make_node("Add", ["h4", "X"], ["Y"]),
    ]
    return helper.make_model(
        helper.make_graph(nodes, "mlp", [x], [y], inits),
        opset_imports=[helper.make_opsetid("", 17),
                       helper.make_opsetid("com.microsoft", 1)])


def gelu(x):
    from math import erf
    return (0.5 * x * (1 + np.vectorize(erf)(x / np.sqrt(2)))).astype(F32)


def symmetric(w):
    """Per output channel (column of w [K, N]): codes and scales."""
    amax = np.abs(w).max(axis=0)
    s = np.where(amax > 0, amax / F32(127), F32(1)).astype(F32)
    q = np.clip(np.rint(w / s), -127, 127)
    return q, s


def _codes(x, scale, lo, qmax):
    return np.clip(np.rint((x - lo) / scale), 0, qmax).astype(F32)


def _error(x, weights, scale, lo, qmax):
    d = (_codes(x, scale, lo, qmax) * scale + lo - x).astype(np.float64)
    return float((weights.astype(np.float64) * d * d).sum())


def _fit(x, weights, scale, lo, qmax):
    """Least-squares (scale, lo) for the codes of grid (scale, lo)."""
    w = weights.astype(np.float64)
    l = _codes(x, scale, lo, qmax).astype(np.float64)
    xd = x.astype(np.float64)
    sw, sl, sll = w.sum(), (w * l).sum(), (w * l * l).sum()
    sx, slx = (w * xd).sum(), (w * l * xd).sum()
    det = sw * sll - sl * sl
    if not det > 0:
        return None
    s = (sw * slx - sx * sl) / det
    o = (sll * sx - sl * slx) / det
    if not s > 0 or not np.isfinite(o):
        return None
    return F32(s), F32(o)


def _search(x, qmax):
    """passes/quantization/Quantizers.cpp's least-error grid for one group
    (no calibration: importance 1), written again from its description."""
    lo, hi = x.min(), x.max()
    best = ((hi - lo) / qmax if hi > lo else F32(1), lo)
    weights = np.sqrt(float((x.astype(np.float64) ** 2).mean())
                      + x.astype(np.float64) ** 2).astype(F32)
    best_error = _error(x, weights, *best, qmax)
    if not hi > lo or best_error == 0:
        return best

    def consider(grid):
        nonlocal best, best_error
        fit = _fit(x, weights, *grid, qmax)
        if fit is None:
            return False
        e = _error(x, weights, *fit, qmax)
        if not e < best_error:
            return False
        best, best_error = fit, e
        return True

    for step in range(21):
        steps = F32(qmax - F32(1)) + F32(0.1) * F32(step)
        consider(((hi - lo) / steps, lo))
    for _ in range(4):
        if not consider(best):
            break
    return best


def asymmetric(w, bits, group):
    """Dequantized w [K, N] after asymmetric quantization per group of K
    (passes/quantization/Passes.td, grid=least-error): each group's grid
    searched from its [min, max], then scales and offsets rounded to
    halves (all lie in the normal half range here) and the codes taken on
    those grids (8-bit codes stored minus 128, the offset moved to
    match)."""
    qmax = F32(2 ** bits - 1)
    shift = F32(128 if bits == 8 else 0)
    grids = {}
    for k0 in range(0, w.shape[0], group):
        for n in range(w.shape[1]):
            grids[k0, n] = _search(w[k0:k0 + group, n], qmax)
    def normal_half(v):
        return v == 0 or 2 ** -14 <= abs(v) < 65504
    assert all(normal_half(s) and normal_half(F32(lo + shift * s))
               for s, lo in grids.values())
    out = np.empty_like(w)
    for (k0, n), (s, lo) in grids.items():
        s = F32(np.float16(s))
        offset = F32(np.float16(F32(lo + shift * s)))
        lo = F32(offset - shift * s)
        g = w[k0:k0 + group, n]
        q = _codes(g, s, lo, qmax) - shift
        out[k0:k0 + group, n] = q * s + offset
    return out


def qlinear(x, w, b, threshold=None):
    """Per-token int8 x [M, K] by symmetric w [K, N], outlier columns of x
    (|x| >= threshold anywhere) in float."""
    q, sw = symmetric(w)
    out = np.zeros(x.shape[1], bool)
    if threshold is not None:
        out = (np.abs(x) >= threshold).any(axis=0)
    xi = np.where(out, F32(0), x)
    amax = np.abs(xi).max(axis=1)
    inv = np.where(amax > 0, F32(127) / np.maximum(amax, F32(1e-30)),
                   F32(0)).astype(F32)
    xq = np.clip(np.rint(xi * inv[:, None]), -127, 127)
    acc = (xq.astype(np.int64) @ q.astype(np.int64)).astype(F32)
    y = acc * (amax / F32(127))[:, None]
    y = y + x[:, out].astype(np.float64) @ q[out].astype(np.float64)
    return (y * sw).astype(F32) + b


def reference(scheme, x, w1, b1, w2, b2):
    rows = x.reshape(-1, K)
    if scheme in ("w8a8", "llm-int8"):
        t = 6.0 if scheme == "llm-int8" else None
        h = gelu(qlinear(rows, w1, b1, t))
        y = qlinear(h, w2, b2, t)
    else:
        bits = {"w8": 8, "w4": 4}.get(scheme)
        d1 = asymmetric(w1, bits, 32) if bits else w1
        d2 = asymmetric(w2, bits, 32) if bits else w2
        y = gelu(rows @ d1 + b1) @ d2 + b2
    return (y + rows).reshape(x.shape)


def main():
    global K, N1
    out_dir, cpus = sys.argv[1], sys.argv[2:]
    seq = 5
    if cpus and cpus[0] == "--amx":
        cpus, K, N1, seq = cpus[1:], 128, 192, 20
    rng = np.random.default_rng(7)
    w1 = (rng.standard_normal((K, N1)) * 0.2).astype(F32)
    w2 = (rng.standard_normal((N1, K)) * 0.2).astype(F32)
    w1[:, 3] = 0  # an all-zero channel
    b1 = (rng.standard_normal(N1) * 0.1).astype(F32)
    b2 = (rng.standard_normal(K) * 0.1).astype(F32)
    path = os.path.join(out_dir, "mlp.onnx")
    onnx.save(model(w1, b1, w2, b2), path)
    x = rng.standard_normal((2, seq, K)).astype(F32)
    x[:, :, 0] = 0  # a zero column
    x_out = x.copy()
    x_out[0, 1, 9] = 60.0  # one outlier activation: column 9 is an outlier
    fp32 = {}
    for cpu in cpus:
        for scheme in ["none", "w8a8", "llm-int8", "w8", "w4"]:
            lib = os.path.join(out_dir, f"{cpu}-{scheme}.so")
            opts = {} if scheme == "none" else {"quantize": scheme}
            kiln.compile(path, lib, mcpu=None if cpu == "native" else cpu,
                         **opts)
            session = kiln.InferenceSession(lib)
            for name, xs in [("plain", x), ("outlier", x_out)]:
                got = session.run(None, {"X": xs})[0]
                ref = reference(scheme, xs, w1, b1, w2, b2)
                err = np.abs(got - ref).max() / np.abs(ref).max()
                verdict = "match" if err < 1e-5 else f"error {err:.3g}"
                if scheme == "none":
                    fp32[name] = got
                    print(f"{cpu} {scheme} {name}: {verdict}")
                    continue
                vs = np.abs(got - fp32[name]).max() / np.abs(fp32[name]).max()
                print(f"{cpu} {scheme} {name}: {verdict} "
                      f"(vs fp32 {vs:.2e})")
                if name == "outlier":
                    fp32.setdefault("vs", {})[scheme] = vs
        gain = fp32["vs"]["w8a8"] / fp32["vs"]["llm-int8"]
        print(f"{cpu} outlier column: llm-int8 "
              f"{'beats' if gain > 2 else 'does not beat'} w8a8")


if __name__ == "__main__":
    main()
