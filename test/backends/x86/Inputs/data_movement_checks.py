"""Split sizes, squeezed dims and scatter indices against sizes known only at
run time: kiln matches onnxruntime where they fit and fails the run with a
clear error where they do not (they used to read or write out of bounds).
Prints one line per case.

Usage: data_movement_checks.py OUT_DIR
"""
import os
import sys

import numpy as np
import onnxruntime as ort
from onnx import TensorProto, helper

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "..", "..", "python"))
import kiln  # noqa: E402
from dynamic_unit_dims import run_case  # noqa: E402

F, I64 = TensorProto.FLOAT, TensorProto.INT64


def model(nodes, inputs, outputs, initializers=()):
    return helper.make_model(
        helper.make_graph(nodes, "g", inputs, outputs, list(initializers)),
        opset_imports=[helper.make_opsetid("", 17)])


def io(name, elem, shape):
    return helper.make_tensor_value_info(name, elem, shape)


CASES = [
    ("split", model(
        [helper.make_node("Split", ["X", "sizes"], ["A", "B"], axis=0,
                          name="split")],
        [io("X", F, ["n", 4])], [io("A", F, None), io("B", F, None)],
        [helper.make_tensor("sizes", I64, [2], [2, 3])]),
     [("n=5", {"X": (5, 4)}, False), ("n=6", {"X": (6, 4)}, True)]),
    ("squeeze", model(
        [helper.make_node("Squeeze", ["X", "axes"], ["Y"], name="squeeze")],
        [io("X", F, [2, "b", 3])], [io("Y", F, None)],
        [helper.make_tensor("axes", I64, [1], [1])]),
     [("b=1", {"X": (2, 1, 3)}, False), ("b=2", {"X": (2, 2, 3)}, True)]),
    ("scatter", model(
        [helper.make_node("ScatterND", ["D", "I", "U"], ["Y"],
                          name="scatter")],
        [io("D", F, [4, 3]), io("I", I64, ["k", 1]), io("U", F, ["k", 3])],
        [io("Y", F, None)]),
     [("indices 1 -1", {"D": (4, 3), "I": [[1], [-1]], "U": (2, 3)}, False),
      ("index 4", {"D": (4, 3), "I": [[4]], "U": (1, 3)}, True),
      ("index -5", {"D": (4, 3), "I": [[-5]], "U": (1, 3)}, True)]),
]


def feeds_of(spec, rng):
    return {n: (np.array(v, np.int64) if isinstance(v, list)
                else rng.standard_normal(v).astype(np.float32))
            for n, v in spec.items()}


def main():
    out = sys.argv[1]
    rng = np.random.default_rng(0)
    for name, m, cases in CASES:
        lib = os.path.join(out, name + ".so")
        kiln.compile(m, lib)
        session = kiln.InferenceSession(lib)
        reference = ort.InferenceSession(m.SerializeToString(),
                                         providers=["CPUExecutionProvider"])
        for label, spec, bad in cases:
            # Data movement copies values: they must match exactly.
            run_case(session, reference, feeds_of(spec, rng),
                     f"{name} {label}", bad, tolerance=0.0)


if __name__ == "__main__":
    main()
