#!/usr/bin/env python3
"""Runs the ONNX backend node tests shipped in the PyPI `onnx` package
through the whole compiler: each test model whose ops kiln's frontend
supports is compiled into a model library, run on the test's inputs, and
compared with the test's expected outputs (the test's own rtol/atol).

Expected failures and their reasons live in
test/backends/x86/onnx_node_xfail.txt ("test_name: reason" per line). The
run fails when a test fails unexpectedly, or when an expected failure
passes (so the list stays true). Prints the counts at the end.

Usage: onnx_node_tests.py --kiln PATH [--xfail FILE] [--only SUBSTR]
"""
import argparse
import logging
import os
import subprocess
import sys
import tempfile
import warnings

import numpy as np
import onnx
import onnx.numpy_helper
from onnx.backend.test.case.node import collect_testcases

sys.path.insert(0, os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "python"))
import kiln  # noqa: E402

# The ai.onnx op types kiln's frontend converts (frontends/onnx).
SUPPORTED = set("""
Add Sub Mul Div Pow And Or Max Min Sum Mean Equal Less LessOrEqual Greater
GreaterOrEqual Where Neg Abs Exp Log Sqrt Reciprocal Tanh Erf Sigmoid Relu Sin
Cos Floor Ceil Not Identity Dropout Cast CastLike Clip Gelu MatMul Gemm Softmax
LogSoftmax LayerNormalization Conv ReduceSum ReduceMean ReduceMax ReduceMin
ReduceProd ReduceSumSquare ReduceL2 ArgMax CumSum Shape Reshape Flatten
Transpose Concat Slice Split Gather Expand ScatterND Squeeze Unsqueeze
ConstantOfShape Range Trilu Constant QuantizeLinear DequantizeLinear
DynamicQuantizeLinear MatMulInteger QLinearMatMul Elu IsNaN IsInf
""".split())


def load_xfail(path):
    xfail = {}
    if path and os.path.exists(path):
        for line in open(path):
            line = line.split("#", 1)[0].strip()
            if line:
                name, _, reason = line.partition(":")
                xfail[name.strip()] = reason.strip()
    return xfail


def run_case(case, kiln_path, tmp, compile_args=()):
    """Returns None when the test passes, else a one-line reason. The model
    runs in a forked child, so that a crash fails the test, not the run."""
    import multiprocessing
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=lambda: child.send(_run_case(case, kiln_path, tmp,
                                                            compile_args)))
    proc.start()
    proc.join(120)
    if proc.is_alive():
        proc.kill()
        return "timed out"
    if parent.poll():
        return parent.recv()
    return f"crashed (exit code {proc.exitcode})"


def _run_case(case, kiln_path, tmp, compile_args=()):
    path = os.path.join(tmp, case.name + ".onnx")
    onnx.save(case.model, path)
    lib = os.path.join(tmp, case.name + ".so")
    proc = subprocess.run([kiln_path, "compile", path, "-o", lib, "-O1",
                           *compile_args],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        lines = [l for l in proc.stderr.splitlines() if "error" in l]
        reason = lines[0] if lines else proc.stderr.strip()
        reason = reason.replace(path + ": ", "")
        return "compile: " + reason[:200]
    try:
        model = kiln.InferenceSession(lib)
    except Exception as e:  # noqa: BLE001
        return f"load: {e}"[:200]
    inputs = [i.name for i in case.model.graph.input]
    as_array = lambda v: (onnx.numpy_helper.to_array(v)  # noqa: E731
                          if isinstance(v, onnx.TensorProto) else np.asarray(v))
    for data_inputs, expected in case.data_sets:
        feeds = {n: as_array(v) for n, v in zip(inputs, data_inputs)}
        expected = [as_array(v) for v in expected]
        try:
            got = dict(zip([o.name for o in model.get_outputs()],
                           model.run(None, feeds)))
        except Exception as e:  # noqa: BLE001
            return f"run: {e}"[:200]
        for spec, ref in zip(case.model.graph.output, expected):
            g = got.get(spec.name)
            ref = np.asarray(ref)
            if g is not None and ref.dtype.kind == "f" and g.dtype != ref.dtype:
                return f"output {spec.name}: dtype {g.dtype} vs {ref.dtype}"
            if g is None or g.shape != ref.shape:
                return f"output {spec.name}: shape {None if g is None else g.shape} vs {ref.shape}"
            # bfloat16 (ml_dtypes, numpy kind "V") compares as a float at
            # its own precision: intermediates rounded at other points than
            # the reference's differ by an ulp, up to 2^-7 relative.
            low = ref.dtype.name == "bfloat16"
            if low:
                g, ref = g.astype(np.float32), ref.astype(np.float32)
            if ref.dtype.kind in "fc":
                if not np.allclose(g, ref, rtol=max(case.rtol, 1e-2 if low else 1e-5),
                                   atol=max(case.atol, 1e-6), equal_nan=True):
                    err = float(np.nanmax(np.abs(g.astype(np.float64) - ref)))
                    return f"output {spec.name}: max abs error {err:.3g}"
            elif not np.array_equal(g, ref):
                return f"output {spec.name}: values differ"
    return None


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--kiln", required=True)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    p.add_argument("--xfail", action="append", help=(
        "expected failures, 'name: reason' per line (repeatable; default "
        "test/backends/x86/onnx_node_xfail.txt)"))
    p.add_argument("--only")
    p.add_argument("--compile-arg", action="append", default=[],
                   help="extra kiln compile argument, e.g. "
                        "--compile-arg=--target=cuda (repeatable)")
    p.add_argument("--write-xfail", help="write the failures found here")
    args = p.parse_args()
    logging.disable(logging.WARNING)
    warnings.filterwarnings("ignore")
    xfail = {}
    for path in args.xfail or [os.path.join(
            root, "test", "backends", "x86", "onnx_node_xfail.txt")]:
        xfail.update(load_xfail(path))
    cases = [c for c in collect_testcases() if c.model is not None]
    selected = []
    for case in cases:
        ops = {n.op_type for n in case.model.graph.node
               if n.domain in ("", "ai.onnx")}
        if not ops or not ops <= SUPPORTED:
            continue
        if any(n.domain not in ("", "ai.onnx") for n in case.model.graph.node):
            continue
        if args.only and args.only not in case.name:
            continue
        selected.append(case)
    passed, expected_fail, unexpected, unexpected_pass = 0, 0, [], []
    found = {}
    with tempfile.TemporaryDirectory() as tmp:
        for case in selected:
            reason = run_case(case, args.kiln, tmp, args.compile_arg)
            if reason is None:
                if case.name in xfail:
                    unexpected_pass.append(case.name)
                passed += 1
            else:
                found[case.name] = reason
                if case.name in xfail:
                    expected_fail += 1
                else:
                    unexpected.append((case.name, reason))
    for name, reason in unexpected:
        print(f"FAIL {name}: {reason}")
    for name in unexpected_pass:
        print(f"XPASS {name} (remove it from the expected failures)")
    if args.write_xfail:
        with open(args.write_xfail, "w") as f:
            for name in sorted(found):
                f.write(f"{name}: {found[name]}\n")
    print(f"onnx node tests: {len(selected)} run of {len(cases)} "
          f"(those using only supported ops): {passed} passed, "
          f"{expected_fail} expected failures, {len(unexpected)} unexpected "
          f"failures, {len(unexpected_pass)} unexpected passes")
    sys.exit(1 if unexpected or unexpected_pass else 0)


if __name__ == "__main__":
    main()
