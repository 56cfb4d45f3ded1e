"""Models quantized by ONNX Runtime's own quantize_static (QDQ pairs with
per-tensor or per-channel weights, int8 or uint8 activations, and the
QOperator format's QLinearMatMul) and a hand-made QLinearMatMul, compiled
by kiln and run against ONNX Runtime on the same inputs. ONNX Runtime runs
each model as written (graph optimisations off: every QuantizeLinear and
DequantizeLinear on its own) and as it runs it by default (fused); the
worst difference is printed in units of the model's output scale (one
code = 1.0), with 'exact' when under 1e-3 of a code. Then what kiln
refuses, with the node named.

Usage: static_quantized.py OUT_DIR
"""
import logging
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper
from onnxruntime.quantization import (CalibrationDataReader, QuantFormat,
                                      QuantType, quantize_static)
from onnxruntime.quantization.matmul_nbits_quantizer import \
    MatMulNBitsQuantizer

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "..", "..", "python"))
import kiln  # noqa: E402
from dynamic_quantized import (K, N, exact_reference, linear, mlp,  # noqa: E402,E501
                               model, weights, x_input)


def _has_vnni():
    try:
        with open("/proc/cpuinfo") as f:
            flags = f.read()
    except OSError:
        return False
    return any(f in flags for f in (" avx512_vnni", " avx_vnni"))


HAS_VNNI = _has_vnni()


class Samples(CalibrationDataReader):
    """A few random inputs for ONNX Runtime's calibration."""

    def __init__(self, rng):
        self.feeds = iter([{"x": rng.standard_normal((1, 8, K)).astype(
            np.float32) * 2} for _ in range(4)])

    def get_next(self):
        return next(self.feeds, None)


def quantized(out_dir, name, fp32, rng, **options):
    path = os.path.join(out_dir, name.replace(" ", "_"))
    onnx.save(fp32, path + "-f32.onnx")
    quantize_static(path + "-f32.onnx", path + ".onnx", Samples(rng),
                    **options)
    return path + ".onnx"


def blocked(out_dir, name, fp32, **options):
    """ONNX Runtime's weight-only quantizer in QDQ form: each MatMul weight
    behind a blocked DequantizeLinear (opset 21, int4/uint4 codes)."""
    path = os.path.join(out_dir, name.replace(" ", "_") + ".onnx")
    quantizer = MatMulNBitsQuantizer(fp32, quant_format=QuantFormat.QDQ,
                                     **options)
    quantizer.process()
    onnx.save(quantizer.model.model, path)
    return path


def output_scale(path):
    """The scale of the last QuantizeLinear (the output's grid), else 1."""
    scales = {i.name: numpy_helper.to_array(i)
              for i in onnx.load(path).graph.initializer}
    nodes = [n for n in onnx.load(path).graph.node
             if n.op_type in ("QuantizeLinear", "QLinearMatMul")]
    if not nodes:
        return 1.0
    last = nodes[-1]
    name = last.input[1] if last.op_type == "QuantizeLinear" else last.input[6]
    return float(scales[name])


def agreement(codes_apart):
    """'exact' when every output is within 1e-3 of a code of ONNX Runtime's;
    'ties' when the others are one code apart and fewer than 1 in 1000: a
    float that lands within rounding noise of a tie in a QuantizeLinear
    after an op that kiln and ONNX Runtime compute differently in the last
    bit (erf: each its own polynomial) rounds to the other side. Else how
    many are how far apart."""
    worst = codes_apart.max()
    off = int((codes_apart >= 1e-3).sum())
    if worst < 1e-3:
        return "exact"
    if worst < 1 + 1e-3 and off * 1000 < codes_apart.size:
        return f"ties ({off} of {codes_apart.size} one code apart)"
    return f"{off} of {codes_apart.size} outputs up to {worst:.3g} codes apart"


def qlinear_matmul(rng):
    """QuantizeLinear, QLinearMatMul (uint8 A, int8 per-column B, uint8 Y),
    DequantizeLinear."""
    w = rng.integers(-127, 128, (K, N)).astype(np.int8)
    nodes = [helper.make_node("QuantizeLinear", ["x", "xs", "xz"], ["xq"]),
             helper.make_node("QLinearMatMul",
                              ["xq", "xs", "xz", "W", "ws", "wz", "ys", "yz"],
                              ["yq"]),
             helper.make_node("DequantizeLinear", ["yq", "ys", "yz"], ["y"])]
    inits = [numpy_helper.from_array(np.array(0.03, np.float32), "xs"),
             numpy_helper.from_array(np.array(120, np.uint8), "xz"),
             numpy_helper.from_array(w, "W"),
             numpy_helper.from_array(
                 (rng.random(N) * 0.01 + 0.001).astype(np.float32), "ws"),
             numpy_helper.from_array(np.zeros(N, np.int8), "wz"),
             numpy_helper.from_array(np.array(0.05, np.float32), "ys"),
             numpy_helper.from_array(np.array(128, np.uint8), "yz")]
    return model(nodes, [x_input()], inits, opsets=(("", 13),))


def main():
    out_dir = sys.argv[1]
    logging.getLogger().setLevel(logging.ERROR)
    rng = np.random.default_rng(7)
    qdq = dict(quant_format=QuantFormat.QDQ)
    cases = [
        ("qdq linear", quantized(out_dir, "qdq linear", linear(rng), rng,
                                 **qdq)),
        ("qdq linear per-channel",
         quantized(out_dir, "qdq linear per-channel", linear(rng), rng,
                   per_channel=True, **qdq)),
        ("qdq mlp uint8", quantized(out_dir, "qdq mlp uint8", mlp(rng), rng,
                                    activation_type=QuantType.QUInt8,
                                    weight_type=QuantType.QUInt8, **qdq)),
        ("qdq mlp int8", quantized(out_dir, "qdq mlp int8", mlp(rng), rng,
                                   activation_type=QuantType.QInt8,
                                   weight_type=QuantType.QInt8,
                                   per_channel=True, **qdq)),
        ("qoperator mlp", quantized(out_dir, "qoperator mlp", mlp(rng), rng,
                                    quant_format=QuantFormat.QOperator,
                                    op_types_to_quantize=["MatMul"])),
    ]
    path = os.path.join(out_dir, "qlinear_matmul.onnx")
    onnx.save(qlinear_matmul(rng), path)
    cases.append(("QLinearMatMul", path))
    # Weight-only: no QuantizeLinear, so differences are in units of the
    # largest output (float sums in another order: about 1e-7).
    cases += [
        ("4-bit blocked uint4", blocked(out_dir, "4-bit blocked uint4",
                                        mlp(rng), block_size=32)),
        ("4-bit blocked int4", blocked(out_dir, "4-bit blocked int4",
                                       mlp(rng), block_size=32,
                                       is_symmetric=True)),
        ("8-bit blocked", blocked(out_dir, "8-bit blocked", linear(rng),
                                  block_size=16, bits=8)),
    ]
    for name, path in cases:
        lib = path[:-len(".onnx")] + ".so"
        kiln.compile(path, lib)
        session = kiln.InferenceSession(lib)
        plain = ort.SessionOptions()
        plain.graph_optimization_level = \
            ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        # As written, integer matmuls computed exactly (ORT's own u8 x s8
        # kernels saturate on CPUs without VNNI: exact_reference).
        references = {
            "as written": ort.InferenceSession(
                exact_reference(onnx.load(path)).SerializeToString(), plain,
                providers=["CPUExecutionProvider"])}
        weight_only = "blocked" in name
        if HAS_VNNI or weight_only:
            references["fused"] = ort.InferenceSession(
                path, providers=["CPUExecutionProvider"])
        scale = output_scale(path)
        codes = {label: [] for label in references}
        for shape in [(1, 1), (3, 5), (1, 70)]:
            feeds = {"x": rng.standard_normal(shape + (K,)).astype(
                np.float32) * 2}
            got = session.run(None, feeds)[0]
            for label, reference in references.items():
                ref = reference.run(None, feeds)[0]
                if weight_only:
                    scale = np.abs(ref).max() / 1e-2  # 1e-5 of it: 1e-3
                codes[label].append((np.abs(got - ref) / scale).ravel())
        print(f"{name}: " + ", ".join(
            f"{label} {agreement(np.concatenate(c))}"
            for label, c in codes.items()) +
            ("" if HAS_VNNI or weight_only else ", fused not compared (no VNNI: ONNX "
             "Runtime's fused int8 kernels saturate)"))
    refusals(out_dir, rng)


def refusals(out_dir, rng):
    def case(label, nodes, inits, opset=21):
        path = os.path.join(out_dir, label.replace(" ", "_") + ".onnx")
        onnx.save(model(nodes, [x_input()], inits, opsets=(("", opset),)),
                  path)
        try:
            kiln.compile(path, path[:-len(".onnx")] + ".so")
            print(f"{label}: compiled?")
        except kiln.CompileError as e:
            print(f"{label}:", str(e).splitlines()[0])

    s = numpy_helper.from_array(np.array(0.05, np.float32), "s")
    s2 = numpy_helper.from_array(np.array(0.07, np.float32), "s2")
    z = numpy_helper.from_array(np.array(0, np.int8), "z")
    w = numpy_helper.from_array(weights(rng, K, N), "W")
    case("requantized", [
        helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"]),
        helper.make_node("DequantizeLinear", ["q", "s2", "z"], ["d"],
                         name="dq"),
        helper.make_node("MatMul", ["d", "W"], ["y"])], [s, s2, z, w])
    case("int16", [
        helper.make_node("QuantizeLinear", ["x", "s", "z16"], ["q"],
                         name="q16"),
        helper.make_node("DequantizeLinear", ["q", "s", "z16"], ["y"])],
         [s, numpy_helper.from_array(np.array(0, np.int16), "z16")])
    case("blocked activations", [
        helper.make_node("QuantizeLinear", ["x", "bs"], ["q"],
                         name="blocked", axis=2, block_size=32),
        helper.make_node("DequantizeLinear", ["q", "bs"], ["y"], axis=2,
                         block_size=32)],
         [numpy_helper.from_array(np.full((1, 1, K // 32), 0.1, np.float32),
                                  "bs")])
    case("per-axis activations", [
        helper.make_node("QuantizeLinear", ["x", "sa"], ["q"], name="qa",
                         axis=2),
        helper.make_node("DequantizeLinear", ["q", "sa"], ["y"], axis=2)],
         [numpy_helper.from_array(np.full(K, 0.1, np.float32), "sa")])


if __name__ == "__main__":
    main()
