"""Small ONNX file manipulations for kiln's frontend error tests.

  onnx_tool.py text2bin IN.onnxtxt OUT.onnx
  onnx_tool.py truncate IN.onnx OUT.onnx FRACTION
  onnx_tool.py external IN.onnxtxt OUT.onnx   (weights in OUT.onnx.data)
  onnx_tool.py unranked OUT.onnx               (an input without a shape)
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


if __name__ == "__main__":
    cmd, *args = sys.argv[1:]
    {"text2bin": text2bin, "truncate": truncate, "external": external,
     "unranked": unranked}[cmd](*args)
