"""--quantize-softmax end to end: an attention block as ONNX exports it
(MatMul, scale, Softmax, MatMul; dynamic batch and sequence) compiled
with each scheme and width, against NumPy's rounding of the same
probabilities (TfmOps.td, tfm.quantize_probabilities): 'match' within
1e-5 of the output's scale, with how far each is from the unrounded
attention, and how many probabilities each flushes to 0. (Which is closer
depends on the model: on these random scores uniform is, on
all-MiniLM-L6-v2's real attention log2 is at 4 bits:
scripts/quantization_quality.py.)

Usage: quantized_softmax.py OUT_DIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "..", "..", "python"))
import kiln  # noqa: E402

H, D = 2, 16
F32 = np.float32


def model():
    def t(name):
        return helper.make_tensor_value_info(name, TensorProto.FLOAT,
                                             ["b", H, "s", D])
    nodes = [
        helper.make_node("Transpose", ["K"], ["kt"], perm=[0, 1, 3, 2]),
        helper.make_node("MatMul", ["Q", "kt"], ["s0"]),
        helper.make_node("Mul", ["s0", "scale"], ["s1"]),
        helper.make_node("Softmax", ["s1"], ["p"], axis=-1),
        helper.make_node("MatMul", ["p", "V"], ["O"]),
    ]
    scale = numpy_helper.from_array(np.array(D ** -0.5, F32), "scale")
    return helper.make_model(
        helper.make_graph(nodes, "attention", [t("Q"), t("K"), t("V")],
                          [t("O")], [scale]),
        opset_imports=[helper.make_opsetid("", 17)])


def rounded(p, scheme, bits):
    top = 2 ** bits - 1
    if scheme == "uniform":
        return (np.clip(np.rint(p * F32(top)), 0, top) / F32(top)).astype(F32)
    with np.errstate(divide="ignore"):
        q = np.maximum(np.rint(-2 * np.log2(p.astype(np.float64))), 0)
    return np.where(q <= top, 2.0 ** (-q / 2), 0).astype(F32)


def attention_probabilities(q, k):
    s = (q @ k.transpose(0, 1, 3, 2)) * F32(D ** -0.5)
    e = np.exp(s - s.max(-1, keepdims=True))
    return (e / e.sum(-1, keepdims=True)).astype(F32)


def attention(q, k, v, scheme=None, bits=None):
    p = attention_probabilities(q, k)
    if scheme:
        p = rounded(p, scheme, bits)
    return p @ v


def main():
    out = sys.argv[1]
    path = os.path.join(out, "attention.onnx")
    onnx.save(model(), path)
    rng = np.random.default_rng(5)
    q, k, v = (rng.standard_normal((2, H, 37, D)).astype(F32) * 2
               for _ in range(3))
    exact = attention(q, k, v)
    errors = {}
    for scheme in ["log2", "uniform"]:
        for bits in [4, 8]:
            lib = os.path.join(out, f"{scheme}{bits}.so")
            kiln.compile(path, lib, quantize_softmax=scheme,
                         softmax_bits=bits)
            got = kiln.InferenceSession(lib).run(
                None, {"Q": q, "K": k, "V": v})[0]
            ref = attention(q, k, v, scheme, bits)
            err = float(np.abs(got - ref).max() / np.abs(ref).max())
            errors[scheme, bits] = float(np.abs(got - exact).max()
                                         / np.abs(exact).max())
            print(f"{scheme} {bits} bits: "
                  f"{'match' if err < 1e-5 else f'error {err:.3g}'} "
                  f"(vs unrounded {errors[scheme, bits]:.2e})")
    p = attention_probabilities(q, k)
    flushed = {scheme: float(np.mean(rounded(p, scheme, 4) == 0))
               for scheme in ["log2", "uniform"]}
    print(f"4 bits flush to 0: log2 {flushed['log2']:.1%}, uniform "
          f"{flushed['uniform']:.1%}: log2 keeps more "
          f"{'yes' if flushed['log2'] < flushed['uniform'] else 'no'}")


if __name__ == "__main__":
    main()
