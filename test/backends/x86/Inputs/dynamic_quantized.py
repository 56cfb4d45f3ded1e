"""Models quantized by ONNX Runtime's own quantize_dynamic (DequantizeLinear,
DynamicQuantizeLinear, MatMulInteger) and a hand-made com.microsoft
MatMulIntegerToFloat, compiled by kiln and run against ONNX Runtime on the
same inputs (on the same graph with its integer matmuls computed exactly:
see exact_reference). Prints one line per case: 'exact' when the outputs agree
within 1e-5 of their scale, which holds only if every activation code
matches (one code off moves an output by about 1/255 of the activations'
range).

Usage: dynamic_quantized.py OUT_DIR
"""
import logging
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper
from onnxruntime.quantization import QuantType, quantize_dynamic

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "..", "..", "python"))
import kiln  # noqa: E402

K, N, HIDDEN, VOCAB = 64, 48, 96, 50


def model(nodes, inputs, inits, opsets=(("", 17),)):
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    return helper.make_model(
        helper.make_graph(nodes, "g", inputs, [y], inits),
        opset_imports=[helper.make_opsetid(d, v) for d, v in opsets])


def x_input(name="x"):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT,
                                         ["b", "s", K])


def weights(rng, *shape):
    return (rng.standard_normal(shape) * 0.1).astype(np.float32)


def linear(rng):
    """MatMul + bias."""
    return model([helper.make_node("MatMul", ["x", "W"], ["h"]),
                  helper.make_node("Add", ["h", "b"], ["y"])],
                 [x_input()],
                 [numpy_helper.from_array(weights(rng, K, N), "W"),
                  numpy_helper.from_array(weights(rng, N), "b")])


def mlp(rng):
    """MatMul, erf GELU, MatMul, residual: the BERT feed-forward block."""
    nodes = [helper.make_node("MatMul", ["x", "W1"], ["h"]),
             helper.make_node("Add", ["h", "b1"], ["hb"]),
             helper.make_node("Div", ["hb", "sqrt2"], ["hd"]),
             helper.make_node("Erf", ["hd"], ["he"]),
             helper.make_node("Add", ["he", "one"], ["h1"]),
             helper.make_node("Mul", ["hb", "h1"], ["hm"]),
             helper.make_node("Mul", ["hm", "half"], ["g"]),
             helper.make_node("MatMul", ["g", "W2"], ["o"]),
             helper.make_node("Add", ["o", "x"], ["y"])]
    scalars = {"sqrt2": np.sqrt(2), "one": 1.0, "half": 0.5}
    inits = [numpy_helper.from_array(weights(rng, K, HIDDEN), "W1"),
             numpy_helper.from_array(weights(rng, HIDDEN), "b1"),
             numpy_helper.from_array(weights(rng, HIDDEN, K), "W2")]
    inits += [numpy_helper.from_array(np.array(v, np.float32), k)
              for k, v in scalars.items()]
    return model(nodes, [x_input()], inits)


def embedding(rng):
    """Gather from a table (quantized to uint8 by quantize_dynamic), then a
    MatMul."""
    ids = helper.make_tensor_value_info("ids", TensorProto.INT64, ["b", "s"])
    return model([helper.make_node("Gather", ["E", "ids"], ["e"]),
                  helper.make_node("MatMul", ["e", "W"], ["y"])],
                 [ids],
                 [numpy_helper.from_array(weights(rng, VOCAB, K) * 10, "E"),
                  numpy_helper.from_array(weights(rng, K, N), "W")])


def integer_to_float(rng):
    """DynamicQuantizeLinear + com.microsoft MatMulIntegerToFloat with
    per-column weight scales and a bias (what ORT's optimizer fuses to)."""
    w = rng.integers(-127, 128, (K, N)).astype(np.int8)
    nodes = [helper.make_node("DynamicQuantizeLinear", ["x"],
                              ["xq", "xs", "xz"]),
             helper.make_node("MatMulIntegerToFloat",
                              ["xq", "W", "xs", "ws", "xz", "", "b"], ["y"],
                              domain="com.microsoft")]
    inits = [numpy_helper.from_array(w, "W"),
             numpy_helper.from_array(
                 (rng.random(N) * 0.01 + 0.001).astype(np.float32), "ws"),
             numpy_helper.from_array(weights(rng, N), "b")]
    return model(nodes, [x_input()], inits,
                 opsets=(("", 17), ("com.microsoft", 1)))


def exact_reference(quantized_model):
    """The model with each integer matmul computed exactly in float
    (integer operands minus zero points, products summed exactly below
    2^24): ONNX Runtime's own AVX2 u8 x s8 kernels (vpmaddubsw, without
    VNNI) saturate pairs of products to int16, so on such CPUs ORT's
    output is not the ONNX semantics."""
    m = onnx.ModelProto()
    m.CopyFrom(quantized_model)
    nodes = []
    for i, n in enumerate(m.graph.node):
        if n.op_type not in ("MatMulInteger", "MatMulIntegerToFloat",
                             "QLinearMatMul"):
            nodes.append(n)
            continue
        ins = list(n.input) + [""] * 8
        if n.op_type == "QLinearMatMul":
            # a, a_scale, a_zero, b, b_scale, b_zero, y_scale, y_zero
            a, za, b, zb = ins[0], ins[2], ins[3], ins[5]
        else:
            a, b = ins[0], ins[1]
        if n.op_type == "MatMulInteger":
            za, zb = ins[2], ins[3]
        elif n.op_type == "MatMulIntegerToFloat":
            za, zb = ins[4], ins[5]
        operands = []
        for x, z in ((a, za), (b, zb)):
            fx = "exact%d_%s" % (i, x)
            nodes.append(helper.make_node("Cast", [x], [fx],
                                          to=TensorProto.FLOAT))
            if z:
                nodes.append(helper.make_node("Cast", [z], [fx + "z"],
                                              to=TensorProto.FLOAT))
                nodes.append(helper.make_node("Sub", [fx, fx + "z"],
                                              [fx + "c"]))
                fx += "c"
            operands.append(fx)
        prod = "exact%d" % i
        nodes.append(helper.make_node("MatMul", operands, [prod]))
        if n.op_type == "MatMulInteger":
            nodes.append(helper.make_node("Cast", [prod], [n.output[0]],
                                          to=TensorProto.INT32))
            continue
        if n.op_type == "QLinearMatMul":
            # y = saturate(round(acc * a_scale * b_scale / y_scale) + y_zero)
            nodes.append(helper.make_node("Mul", [ins[1], ins[4]],
                                          [prod + "ab"]))
            nodes.append(helper.make_node("Div", [prod + "ab", ins[6]],
                                          [prod + "m"]))
            nodes.append(helper.make_node("Mul", [prod, prod + "m"],
                                          [prod + "r"]))
            one = prod + "one"
            m.graph.initializer.append(numpy_helper.from_array(
                np.array(1.0, np.float32), one))
            nodes.append(helper.make_node("QuantizeLinear",
                                          [prod + "r", one, ins[7]],
                                          [n.output[0]]))
            continue
        nodes.append(helper.make_node("Mul", [prod, ins[2]], [prod + "a"]))
        out = n.output[0] if not ins[6] else prod + "s"
        nodes.append(helper.make_node("Mul", [prod + "a", ins[3]], [out]))
        if ins[6]:
            nodes.append(helper.make_node("Add", [out, ins[6]],
                                          [n.output[0]]))
    del m.graph.node[:]
    m.graph.node.extend(nodes)
    return m


def quantized(out_dir, name, fp32, **options):
    path = os.path.join(out_dir, name.replace(" ", "_"))
    onnx.save(fp32, path + "-f32.onnx")
    quantize_dynamic(path + "-f32.onnx", path + ".onnx", **options)
    return path + ".onnx"


def main():
    out_dir = sys.argv[1]
    # quantize_dynamic advises pre-processing on every call.
    logging.getLogger().setLevel(logging.ERROR)
    rng = np.random.default_rng(5)
    cases = [
        ("linear", quantized(out_dir, "linear", linear(rng),
                             weight_type=QuantType.QInt8)),
        ("linear per-channel",
         quantized(out_dir, "linear per-channel", linear(rng),
                   weight_type=QuantType.QInt8, per_channel=True)),
        ("mlp", quantized(out_dir, "mlp", mlp(rng),
                          weight_type=QuantType.QInt8)),
        ("embedding", quantized(out_dir, "embedding", embedding(rng),
                                weight_type=QuantType.QInt8)),
    ]
    path = os.path.join(out_dir, "integer_to_float.onnx")
    onnx.save(integer_to_float(rng), path)
    cases.append(("MatMulIntegerToFloat", path))
    # uint8 weights: all positive, so zero point 0 and codes up to 255,
    # which minus the zero point do not fit in int8 (a weight zero point
    # per channel on the GEMM); and the same with mixed signs.
    positive = linear(rng)
    w = positive.graph.initializer[0]
    w.CopyFrom(numpy_helper.from_array(
        np.abs(numpy_helper.to_array(w)) + 0.01, "W"))
    cases.append(("uint8 weights", quantized(out_dir, "uint8 weights",
                                             positive,
                                             weight_type=QuantType.QUInt8)))
    cases.append(("uint8 weights mixed", quantized(
        out_dir, "uint8 weights mixed", linear(rng),
        weight_type=QuantType.QUInt8)))
    for name, path in cases:
        lib = path[:-len(".onnx")] + ".so"
        kiln.compile(path, lib)
        session = kiln.InferenceSession(lib)
        reference = ort.InferenceSession(
            exact_reference(onnx.load(path)).SerializeToString(),
            providers=["CPUExecutionProvider"])
        worst = 0.0
        # Rows below and above the kernels' row blocks; batch 1 and 3.
        for shape in [(1, 1), (3, 5), (1, 70)]:
            if name == "embedding":
                feeds = {"ids": rng.integers(0, VOCAB, shape)}
            else:
                feeds = {"x": rng.standard_normal(shape + (K,)).astype(
                    np.float32) * 2}
            ref = reference.run(None, feeds)[0]
            got = session.run(None, feeds)[0]
            worst = max(worst, np.abs(got - ref).max() / np.abs(ref).max())
        print(f"{name}: {'exact' if worst < 1e-5 else f'error {worst:.3g}'}")


if __name__ == "__main__":
    main()
