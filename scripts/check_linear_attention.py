#!/usr/bin/env python3
"""Check tfm-rewrite-linear-attention on exported models (from
scripts/export_linear_attention.py): each is compiled by kiln, its tfm IR
must hold one tfm.linear_attention per attention and no T x T tensor (the
near miss `softmax_decay` none), and its output must equal ONNX Runtime's
run of the exported quadratic form within 1e-4 of the output's scale at
every sequence length and batch asked. Where float32 ONNX Runtime
overflows (GLA's factored gates e^b, e^-b at long T), the reference is
ONNX Runtime on the same graph in float64.

Usage: check_linear_attention.py DIR [--lengths 1 63 ...] [--batches 1 3]
                                 [--gpu-emulate]
With --gpu-emulate the libraries are built for CUDA and run their GPU
kernels on the CPU (kiln compile --target=cuda --gpu-emulate).
Prints one line per model and length, then "linear attention: N of M
checks passed". Exits 1 on a failure.
"""

import argparse
import json
import os
import re
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, numpy_helper

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "python"))
import kiln  # noqa: E402

DIM = 32


def to_double(model):
    """The same graph computing in float64."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    g = m.graph
    for i, t in enumerate(g.initializer):
        if t.data_type == TensorProto.FLOAT:
            g.initializer[i].CopyFrom(numpy_helper.from_array(
                numpy_helper.to_array(t).astype(np.float64), t.name))
    for v in list(g.input) + list(g.output):
        if v.type.tensor_type.elem_type == TensorProto.FLOAT:
            v.type.tensor_type.elem_type = TensorProto.DOUBLE
    del g.value_info[:]
    for n in g.node:
        for a in n.attribute:
            if a.name == "to" and a.i == TensorProto.FLOAT:
                a.i = TensorProto.DOUBLE
            if a.type == onnx.AttributeProto.TENSOR and \
                    a.t.data_type == TensorProto.FLOAT:
                a.t.CopyFrom(numpy_helper.from_array(
                    numpy_helper.to_array(a.t).astype(np.float64), a.t.name))
    return m


def session(model_bytes):
    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    return ort.InferenceSession(model_bytes, options,
                                providers=["CPUExecutionProvider"])


PROBE_SEQ = 777


def square_tensors(tfm_text, seq):
    """Tensor types in the IR with two dims of the sequence length."""
    found = []
    for shape in re.findall(r"tensor<([0-9?x]+)x[a-z]+[0-9]*>", tfm_text):
        if shape.split("x").count(str(seq)) >= 2:
            found.append("tensor<%s>" % shape)
    return found


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("dir")
    p.add_argument("--lengths", type=int, nargs="+",
                   default=[1, 63, 64, 65, 1000, 4096])
    p.add_argument("--batches", type=int, nargs="+", default=[1, 3])
    p.add_argument("--gpu-emulate", action="store_true",
                   help="build for CUDA, GPU kernels run on the CPU")
    args = p.parse_args(argv)
    target = {"target": "cuda", "gpu_emulate": True} if args.gpu_emulate \
        else {}
    with open(os.path.join(args.dir, "manifest.json")) as f:
        manifest = json.load(f)
    checks = passed = 0
    for entry in manifest["files"]:
        path = os.path.join(args.dir, entry["file"])
        variant, static_seq = entry["variant"], entry["static_seq"]
        expect_rewrite = variant != "softmax_decay"
        base = os.path.join(args.dir, variant)
        proto = onnx.load(path)
        dims = [d.dim_value or None for d in
                proto.graph.input[0].type.tensor_type.shape.dim]
        # At one odd static length (every dim then inferred), a T x T
        # tensor shows as two dims of that length.
        probe = static_seq or PROBE_SEQ
        kiln.compile(path, base + ".tfm.mlir", emit="tfm",
                     shapes=None if static_seq else
                     {"x": [1, PROBE_SEQ, DIM]}, **target)
        with open(base + ".tfm.mlir") as f:
            text = f.read()
        count = text.count("tfm.linear_attention")
        square = square_tensors(text, probe)
        ok = (count == 1 and not square) if expect_rewrite else count == 0
        checks += 1
        passed += ok
        print("%s %-16s %d tfm.linear_attention, %s" % (
            "ok  " if ok else "FAIL", variant, count,
            "T x T tensors: " + ", ".join(sorted(set(square)))
            if square else "no T x T tensor"), flush=True)

        lib = base + ".so"
        kiln.compile(path, lib, **target)
        model = kiln.InferenceSession(lib)
        ref32 = session(proto.SerializeToString())
        ref64 = None
        rng = np.random.default_rng(7)
        for t in ([static_seq] if static_seq else args.lengths):
            for b in ([dims[0]] if dims[0] else args.batches):
                x = rng.standard_normal((b, t, DIM)).astype(np.float32)
                got = model.run(None, {"x": x})[0]
                want = ref32.run(None, {"x": x})[0].astype(np.float64)
                reference = "ORT f32"
                if not np.isfinite(want).all():
                    if ref64 is None:
                        ref64 = session(to_double(proto).SerializeToString())
                    want = ref64.run(None, {"x": x.astype(np.float64)})[0]
                    reference = "ORT f64"
                scale = float(np.abs(want).max())
                err = float(np.abs(got - want).max())
                ok = bool(np.isfinite(got).all()) and err <= 1e-4 * scale
                checks += 1
                passed += ok
                print("%s %-16s T %5d batch %d: max error %.2e of scale "
                      "%.2e (%s)" % ("ok  " if ok else "FAIL", variant, t,
                                     b, err, scale, reference), flush=True)
    print("linear attention: %d of %d checks passed" % (passed, checks))
    return 0 if passed == checks else 1


if __name__ == "__main__":
    sys.exit(main())
