"""Writes a chain of N unary ops (Neg, Abs, Relu, Sigmoid in turn) on a
[N, 16] input as an ONNX model, and a random input for it.

Usage: make_chain.py N MODEL.onnx INPUT.npy
"""
import sys

import numpy as np
from onnx import TensorProto, helper, save

n, model, data = int(sys.argv[1]), sys.argv[2], sys.argv[3]
nodes, prev = [], "X"
for i in range(n):
    op = ["Neg", "Abs", "Relu", "Sigmoid"][i % 4]
    nodes.append(helper.make_node(op, [prev], ["t%d" % i]))
    prev = "t%d" % i
graph = helper.make_graph(
    nodes, "chain", [helper.make_tensor_value_info("X", TensorProto.FLOAT, ["n", 16])],
    [helper.make_tensor_value_info(prev, TensorProto.FLOAT, ["n", 16])])
save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), model)
np.save(data, np.random.default_rng(0).standard_normal((3, 16)).astype(np.float32))
