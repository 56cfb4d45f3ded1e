"""Small ONNX file manipulations for kiln's frontend error tests.

  onnx_tool.py text2bin IN.onnxtxt OUT.onnx
  onnx_tool.py truncate IN.onnx OUT.onnx FRACTION
  onnx_tool.py external IN.onnxtxt OUT.onnx   (weights in OUT.onnx.data)
  onnx_tool.py unranked OUT.onnx               (an input without a shape)
  onnx_tool.py corrupt KIND OUT.onnx           (MatMul X [N, 64] x W [64, 64]
      with one fault: short-raw, negative-input-dim, negative-weight-dim,
      huge-weight-dim, bad-offset)
  onnx_tool.py refused KIND OUT.onnx           (a model ONNX Runtime refuses:
      ir99, opset99, opset0, opset1-broadcast, no-outputs, duplicate-outputs, empty,
      output-dtype, perm-negative, constant-of-shape-negative,
      expand-negative, range-zero-delta, missing-input,
      missing-input-no-schema)
"""
import sys

import numpy as np
import onnx
import onnx.parser
from onnx import numpy_helper


def text2bin(src, dst):
    with open(src) as f:
        model = onnx.parser.parse_model(f.read())
    onnx.save(model, dst)


def truncate(src, dst, fraction):
    data = open(src, "rb").read()
    open(dst, "wb").write(data[: int(len(data) * float(fraction))])


def external(src, dst):
    with open(src) as f:
        model = onnx.parser.parse_model(f.read())
    # A weight big enough to be stored outside the model.
    rng = np.random.default_rng(0)
    w = numpy_helper.from_array(rng.standard_normal((64, 64)).astype(np.float32), "W")
    model.graph.initializer.append(w)
    onnx.save(model, dst, save_as_external_data=True, all_tensors_to_one_file=True,
              location=dst.split("/")[-1] + ".data", size_threshold=0)


def unranked(dst):
    from onnx import helper, TensorProto
    x = helper.make_tensor_value_info("X", TensorProto.FLOAT, None)
    y = helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)
    graph = helper.make_graph([helper.make_node("Relu", ["X"], ["Y"])], "g", [x], [y])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), dst)


def corrupt(kind, dst):
    from onnx import helper, TensorProto
    x = helper.make_tensor_value_info("X", TensorProto.FLOAT, ["N", 64])
    y = helper.make_tensor_value_info("Y", TensorProto.FLOAT, ["N", 64])
    w = numpy_helper.from_array(np.ones((64, 64), np.float32), "W")
    if kind == "short-raw":
        w.raw_data = w.raw_data[:100]
    elif kind == "negative-input-dim":
        x.type.tensor_type.shape.dim[1].dim_value = -5
    elif kind == "negative-weight-dim":
        w.dims[0] = -64
    elif kind == "huge-weight-dim":
        w.dims[0] = 1 << 62
    elif kind == "bad-offset":
        w.data_location = TensorProto.EXTERNAL
        w.ClearField("raw_data")
        for key, value in [("location", "w.bin"), ("offset", "12abc")]:
            entry = w.external_data.add()
            entry.key, entry.value = key, value
    else:
        raise SystemExit("unknown fault " + kind)
    graph = helper.make_graph([helper.make_node("MatMul", ["X", "W"], ["Y"])],
                              "g", [x], [y], initializer=[w])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    open(dst, "wb").write(model.SerializeToString())


REFUSED = {
    "ir99": ("99", "17", "(float[1] X) => (float[1] Y)", "Y = Relu(X)"),
    "opset99": ("8", "99", "(float[1] X) => (float[1] Y)", "Y = Relu(X)"),
    "opset0": ("8", "0", "(float[1] X) => (float[1] Y)", "Y = Relu(X)"),
    "opset1-broadcast": ("8", "1", "(float[2, 3] X, float[3] B) => (float[2, 3] Y)",
                         "Y = Add<broadcast = 1>(X, B)"),
    "no-outputs": ("8", "17", "(float[1] X) => ()", "Y = Relu(X)"),
    "duplicate-outputs": ("8", "17", "(float[1] X) => (float[1] Y, float[1] Y)",
                          "Y = Relu(X)"),
    "output-dtype": ("8", "17", "(float[1] X) => (int64[1] Y)", "Y = Relu(X)"),
    "perm-negative": ("8", "17", "(float[2, 3] X) => (float[3, 2] Y)",
                      "Y = Transpose<perm = [-1, 0]>(X)"),
    "constant-of-shape-negative": (
        "8", "17", "(float[1] X) => (float[a] Y)",
        "S = Constant<value = int64[1] {-3}>()\n Y = ConstantOfShape(S)"),
    "expand-negative": (
        "8", "17", "(float[1] X) => (float[a] Y)",
        "S = Constant<value = int64[1] {-4}>()\n Y = Expand(X, S)"),
    # Shapes that can only fail (at compile time, or when the model runs).
    "reshape-huge": ("8", "17", "(float[2, 4] X) => (float[a, b, c] Y)",
                     "S = Constant<value = int64[3] {1099511627776, -1, 1}>()"
                     "\n Y = Reshape(X, S)"),
    "reshape-mismatch": ("8", "17", "(float[2, 4] X) => (float[a, b, c] Y)",
                         "S = Constant<value = int64[3] {-1, 3, 4}>()"
                         "\n Y = Reshape(X, S)"),
    "split-mismatch": ("8", "17", "(float[1, 4] X) => (float[a, 4] Y, float[b, 4] Z)",
                       "S = Constant<value = int64[2] {2, 2}>()"
                       "\n Y, Z = Split<axis = 0>(X, S)"),
    "range-huge": ("8", "17", "(int64 X) => (int64[n] Y)",
                   "L = Constant<value = int64 {1099511627776}>()"
                   "\n D = Constant<value = int64 {1}>()\n Y = Range(X, L, D)"),
    "expand-huge": ("8", "17", "(float[1] X) => (float[a, b] Y)",
                    "S = Constant<value = int64[2] {1048576, 1048576}>()"
                    "\n Y = Expand(X, S)"),
    "constant-of-shape-huge": (
        "8", "17", "(float[1] X) => (float[1] Y)",
        "S = Constant<value = int64[1] {1099511627776}>()"
        "\n C = ConstantOfShape<value = float[1] {1.0}>(S)"
        "\n Y = ReduceSum<keepdims = 1>(C)"),
    # Found by the fuzzer: opset 18 (past libonnx's checker), a node
    # without its required input.
    "missing-input": ("8", "18", "(float[2] X) => (float[1] Y)",
                      "Y = ReduceMean()"),
    # Also the fuzzer's: an op libonnx 1.12 has no schema for (Gelu-20).
    "missing-input-no-schema": ("8", "20", "(float[2] X) => (float[2] Y)",
                                "Y = Gelu()"),
    "range-zero-delta": (
        "8", "17", "(int64 X) => (int64[n] Y)",
        "D = Constant<value = int64 {0}>()\n Y = Range(X, X, D)"),
}


def refused(kind, dst):
    if kind == "empty":
        from onnx import helper
        graph = helper.make_graph([], "g", [], [])
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    else:
        ir, opset, signature, body = REFUSED[kind]
        text = ('<ir_version: %s, opset_import: ["" : %s]>\ng %s {\n %s\n}'
                % (ir, opset, signature, body))
        model = onnx.parser.parse_model(text)
    open(dst, "wb").write(model.SerializeToString())


if __name__ == "__main__":
    cmd, *args = sys.argv[1:]
    {"text2bin": text2bin, "truncate": truncate, "external": external,
     "unranked": unranked, "corrupt": corrupt, "refused": refused}[cmd](*args)
