"""Dynamic dims that are 1 at run time, where a matmul's batch dims, an
attention mask or a rotary table broadcast: kiln must match onnxruntime,
and sizes that do not broadcast must fail the run with a clear error (not
read out of bounds). Compiles each model once per --mcpu given (the
microkernels of the host, the generic lowering with x86-64, or
`cuda-emulate`: the CUDA target's kernels run on the host), prints one line
per case.

Usage: dynamic_unit_dims.py OUT_DIR MCPU...
"""
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "..", "..", "python"))
import kiln  # noqa: E402

F = TensorProto.FLOAT


def matmul_model():
    """[a, 4, 8] x [b, 8, 5]: the batch dims broadcast."""
    a = helper.make_tensor_value_info("A", F, ["a", 4, 8])
    b = helper.make_tensor_value_info("B", F, ["b", 8, 5])
    y = helper.make_tensor_value_info("Y", F, None)
    node = helper.make_node("MatMul", ["A", "B"], ["Y"], name="batched")
    return helper.make_model(helper.make_graph([node], "mm", [a, b], [y]),
                             opset_imports=[helper.make_opsetid("", 17)])


def attention_model():
    """softmax(Q K^T / sqrt(8) + M) V with a mask of dynamic dims, the form
    kiln's fusion turns into tfm.attention."""
    q = helper.make_tensor_value_info("Q", F, ["batch", 2, "s", 8])
    k = helper.make_tensor_value_info("K", F, ["batch", 2, "t", 8])
    v = helper.make_tensor_value_info("V", F, ["batch", 2, "t", 8])
    m = helper.make_tensor_value_info("M", F, ["mb", "mh", "ms", "t"])
    o = helper.make_tensor_value_info("O", F, None)
    scale = helper.make_tensor("scale", F, [], [8 ** -0.5])
    nodes = [
        helper.make_node("Transpose", ["K"], ["Kt"], perm=[0, 1, 3, 2]),
        helper.make_node("MatMul", ["Q", "Kt"], ["S1"]),
        helper.make_node("Mul", ["S1", "scale"], ["S2"]),
        helper.make_node("Add", ["S2", "M"], ["S3"], name="masked"),
        helper.make_node("Softmax", ["S3"], ["P"], axis=-1),
        helper.make_node("MatMul", ["P", "V"], ["O"]),
    ]
    return helper.make_model(
        helper.make_graph(nodes, "attn", [q, k, v, m], [o], [scale]),
        opset_imports=[helper.make_opsetid("", 17)])


def run_case(session, reference, feeds, name, bad, tolerance=1e-5):
    """Prints 'match' (or the error against onnxruntime, relative to the
    output's scale; shapes must agree), or for inputs that do not fit
    (`bad`: onnxruntime refuses them too) kiln's error. (Shared with the
    other scripts here.)"""
    try:
        got = session.run(None, feeds)
    except kiln.KilnError as e:
        print(f"{name}: error: {e}")
        return
    if bad:
        print(f"{name}: ran")
        return
    want = reference.run(None, feeds)
    if any(g.shape != w.shape for g, w in zip(got, want)):
        print(f"{name}: MISMATCH in shape")
        return
    worst = max((float(np.abs(g - w).max() / max(np.abs(w).max(), 1e-30))
                 for g, w in zip(got, want) if w.size), default=0.0)
    ok = worst <= tolerance
    print(f"{name}: {'match' if ok else f'MISMATCH {worst:.1e}'}")


def main():
    out, mcpus = sys.argv[1], sys.argv[2:]
    rng = np.random.default_rng(0)
    r = lambda *shape: rng.standard_normal(shape).astype(np.float32)
    for mcpu in mcpus:
        for model_name, model, cases in [
            ("matmul", matmul_model(), [
                ("a=3 b=1", {"A": r(3, 4, 8), "B": r(1, 8, 5)}),
                ("a=1 b=3", {"A": r(1, 4, 8), "B": r(3, 8, 5)}),
                ("a=2 b=2", {"A": r(2, 4, 8), "B": r(2, 8, 5)}),
                ("a=2 b=3", {"A": r(2, 4, 8), "B": r(3, 8, 5)}),
            ]),
            ("attention", attention_model(), [
                ("mask 1x1x1xT", {"Q": r(2, 2, 5, 8), "K": r(2, 2, 6, 8),
                                  "V": r(2, 2, 6, 8), "M": r(1, 1, 1, 6)}),
                ("mask Bx1xSxT", {"Q": r(2, 2, 5, 8), "K": r(2, 2, 6, 8),
                                  "V": r(2, 2, 6, 8), "M": r(2, 1, 5, 6)}),
                ("mask BxHxSxT", {"Q": r(2, 2, 5, 8), "K": r(2, 2, 6, 8),
                                  "V": r(2, 2, 6, 8), "M": r(2, 2, 5, 6)}),
                ("mask 3x1x1xT", {"Q": r(2, 2, 5, 8), "K": r(2, 2, 6, 8),
                                  "V": r(2, 2, 6, 8), "M": r(3, 1, 1, 6)}),
            ]),
        ]:
            lib = os.path.join(out, f"{model_name}-{mcpu}.so")
            if mcpu == "cuda-emulate":  # the CUDA target's kernels, on the host
                kiln.compile(model, lib, target="cuda", gpu_emulate=True)
            else:
                kiln.compile(model, lib, mcpu=mcpu)
            session = kiln.InferenceSession(lib)
            reference = ort.InferenceSession(
                model.SerializeToString(), providers=["CPUExecutionProvider"])
            for name, feeds in cases:
                run_case(session, reference, feeds,
                         f"{mcpu} {model_name} {name}",
                         bad=name in ("a=2 b=3", "mask 3x1x1xT"))

if __name__ == "__main__":
    main()
