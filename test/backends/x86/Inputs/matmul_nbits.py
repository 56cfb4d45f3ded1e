"""com.microsoft MatMulNBits models, made here with NumPy so that every
variant is covered (4 and 8 bits; packed zero points or none; K not a
multiple of the block; a bias; rank-3 input with dynamic dims), compiled
by kiln and run against ONNX Runtime's own kernel on the same inputs.
Prints one line per case: 'match' when the outputs agree within 1e-4 of
their scale.

Usage: matmul_nbits.py OUT_DIR
"""
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "..", "..", "python"))
import kiln  # noqa: E402


def nbits_model(rng, k, n, bits, block, zero_points, bias):
    blocks = (k + block - 1) // block
    qmax = 2 ** bits - 1
    codes = rng.integers(0, qmax + 1, (n, blocks * block)).astype(np.uint8)
    if bits == 4:
        packed = (codes[:, 0::2] | (codes[:, 1::2] << 4)).astype(np.uint8)
    else:
        packed = codes
    b = packed.reshape(n, blocks, block * bits // 8)
    scales = (rng.random((n, blocks)) * 0.05 + 0.01).astype(np.float32)
    inits = [numpy_helper.from_array(b, "B"),
             numpy_helper.from_array(scales.reshape(-1), "scales")]
    inputs = ["A", "B", "scales"]
    if zero_points:
        zp = rng.integers(0, qmax + 1, (n, blocks)).astype(np.uint8)
        if bits == 4:
            if blocks % 2:
                zp = np.concatenate([zp, np.zeros((n, 1), np.uint8)], 1)
            zp = (zp[:, 0::2] | (zp[:, 1::2] << 4)).astype(np.uint8)
        inits.append(numpy_helper.from_array(zp.reshape(-1), "zero_points"))
        inputs.append("zero_points")
    if bias:
        while len(inputs) < 5:
            inputs.append("")
        inits.append(numpy_helper.from_array(
            rng.standard_normal(n).astype(np.float32), "bias"))
        inputs.append("bias")
    node = helper.make_node("MatMulNBits", inputs, ["Y"], domain="com.microsoft",
                            name="nbits", K=k, N=n, bits=bits,
                            block_size=block)
    a = helper.make_tensor_value_info("A", TensorProto.FLOAT, ["b", "s", k])
    y = helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)
    return helper.make_model(
        helper.make_graph([node], "nbits", [a], [y], inits),
        opset_imports=[helper.make_opsetid("", 17),
                       helper.make_opsetid("com.microsoft", 1)])


def main():
    out_dir = sys.argv[1]
    rng = np.random.default_rng(3)
    cases = [  # name, K, N, bits, block, zero points, bias
        ("4-bit zp", 64, 40, 4, 32, True, False),
        ("4-bit no-zp", 64, 40, 4, 16, False, False),
        ("4-bit K=80 block 32 bias", 80, 33, 4, 32, True, True),
        ("4-bit odd blocks", 48, 20, 4, 16, True, False),
        ("8-bit zp bias", 96, 24, 8, 32, True, True),
        ("8-bit no-zp", 64, 16, 8, 64, False, False),
    ]
    for name, k, n, bits, block, zp, bias in cases:
        model = nbits_model(rng, k, n, bits, block, zp, bias)
        path = os.path.join(out_dir, name.replace(" ", "_") + ".onnx")
        onnx.save(model, path)
        x = rng.standard_normal((2, 3, k)).astype(np.float32)
        try:
            ref = ort.InferenceSession(
                path, providers=["CPUExecutionProvider"]).run(
                    None, {"A": x})[0]
        except Exception as e:  # this ORT lacks the variant
            print(f"{name}: onnxruntime cannot run it ({type(e).__name__})")
            continue
        lib = os.path.join(out_dir, name.replace(" ", "_") + ".so")
        kiln.compile(path, lib)
        got = kiln.InferenceSession(lib).run(None, {"A": x})[0]
        err = np.abs(got - ref).max() / np.abs(ref).max()
        print(f"{name}: {'match' if err < 1e-4 else f'error {err:.3g}'}")
    # What kiln refuses, with the node named: 2-bit codes, a target
    # without the quantized kernels, float zero points.
    bad = nbits_model(rng, 64, 8, 4, 32, False, False)
    for a in bad.graph.node[0].attribute:
        if a.name == "bits":
            a.i = 2
    refused(out_dir, "bits 2", bad)
    refused(out_dir, "cuda", onnx.load(os.path.join(out_dir, "4-bit_zp.onnx")),
            target="cuda")
    bad = nbits_model(rng, 64, 8, 4, 32, False, False)
    bad.graph.initializer.append(numpy_helper.from_array(
        np.full(16, 8.0, np.float32), "zero_points"))
    bad.graph.node[0].input.append("zero_points")
    refused(out_dir, "float zero points", bad)


def refused(out_dir, label, model, **options):
    """Prints kiln's first error line for `model` (or that it compiled)."""
    stem = os.path.join(out_dir, label.replace(" ", "_"))
    onnx.save(model, stem + ".onnx")
    try:
        kiln.compile(stem + ".onnx", stem + ".so", **options)
        print(f"{label}: compiled?")
    except kiln.CompileError as e:
        print(f"{label}:", str(e).splitlines()[0])

if __name__ == "__main__":
    main()
