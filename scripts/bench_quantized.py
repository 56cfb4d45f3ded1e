#!/usr/bin/env python3
"""Times kiln's quantized models against kiln fp32 and ONNX Runtime's own
quantized models, in one run, on scripts/benchmark.py's machinery (one
worker process per engine, engines alternating round by round with a pause
before each timed run, medians):

  kiln            kiln fp32
  kiln-SCHEME     kiln compile --quantize=SCHEME (w8a8, llm-int8,
                  smoothquant, w8a8-static, w8, w4)
  ort             ONNX Runtime fp32
  ort-q8          onnxruntime.quantization.quantize_dynamic (int8 weights,
                  DynamicQuantizeLinear + MatMulInteger), the encoders
  ort-q4          MatMulNBits 4-bit, block 32, accuracy_level 4 (int8
                  compute: ORT's fastest CPU path), the decoder
  kiln-on-ort-Q   that ORT-quantized file compiled by kiln

Cases: BERT-base and MiniLM-L6 at sequence 128 (batch 1), SmolLM2-135M
prefill of the chat prompt and one decode step at --past. Prints each
engine's ms and the ratios issue 13 names, with the CPU.

    python3 scripts/bench_quantized.py [--work build/bench]
        [--kiln build/bin/kiln] [--threads 2] [--rounds 10] [--past 256]
        [--models bert,minilm,smollm2] [--smollm2-graphs prefill,decode]
"""
import argparse
import logging
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import benchmark as bm  # noqa: E402

ENCODER_SCHEMES = ["w8a8", "llm-int8", "smoothquant", "w8a8-static"]
# Need --calibration: timed after calibrating on one made-up sample of the
# timed shape (their speed does not depend on the ranges).
CALIBRATED = ("smoothquant", "w8a8-static")
DECODER_SCHEMES = ["w8a8", "w4"]


def ort_quantized(onnx_path, kind, calibration_feeds=None):
    """ONNX Runtime's quantized copy of the model (made once, beside it):
    "q8" quantize_dynamic; "qdq" quantize_static (QDQ, per-channel int8
    weights, uint8 activations calibrated on `calibration_feeds`, a list of
    feed dicts); "q4" MatMulNBits 4-bit, block 32, asymmetric,
    accuracy_level 4 (int8 compute, ORT's fastest CPU path); "q4-fp32" the
    same with fp32 compute (accuracy_level 0); "q4-qdq" the same weights as
    blocked DequantizeLinear (QDQ)."""
    stem = os.path.splitext(onnx_path)[0]
    out = "%s-ort-%s.onnx" % (stem, kind)
    if os.path.exists(out):
        return out
    if kind == "q8":
        from onnxruntime.quantization import QuantType, quantize_dynamic
        quantize_dynamic(onnx_path, out, weight_type=QuantType.QInt8)
    elif kind == "qdq":
        from onnxruntime.quantization import (CalibrationDataReader,
                                              QuantFormat, quantize_static)

        class Reader(CalibrationDataReader):
            def __init__(self):
                self.feeds = iter(calibration_feeds)

            def get_next(self):
                return next(self.feeds, None)

        logging.getLogger().setLevel(logging.ERROR)
        quantize_static(onnx_path, out, Reader(),
                        quant_format=QuantFormat.QDQ, per_channel=True)
    else:
        import onnx
        from onnxruntime.quantization.matmul_nbits_quantizer import \
            MatMulNBitsQuantizer
        # It logs every node it skips.
        logging.getLogger(
            "onnxruntime.quantization.matmul_nbits_quantizer").setLevel(
                logging.WARNING)
        from onnxruntime.quantization import QuantFormat
        q = MatMulNBitsQuantizer(
            onnx.load(onnx_path), block_size=32, is_symmetric=False,
            accuracy_level=4 if kind == "q4" else 0,
            quant_format=QuantFormat.QDQ if kind == "q4-qdq"
            else QuantFormat.QOperator)
        q.process()
        q.model.save_model_to_file(out, True)
    return out


def bench_graph(args, name, meta, graph, cases, schemes, ort_kind, rows):
    onnx_path = os.path.join(args.work, meta["graphs"][graph]["file"])
    stem = os.path.splitext(onnx_path)[0]
    paths = {"kiln": stem + ".so", "ort": onnx_path}
    samples = None
    for scheme in [None] + schemes:
        engine = "kiln" if scheme is None else "kiln-" + scheme
        lib = stem + ("" if scheme is None else "-" + scheme) + ".so"
        extra = [] if scheme is None else ["--quantize=" + scheme]
        if scheme in CALIBRATED:
            if samples is None:
                import numpy as np
                samples = stem + "-calibration-sample"
                os.makedirs(samples, exist_ok=True)
                _, q_len, kv_len = cases[0]
                for k, v in bm.make_feeds(meta, graph, 1, q_len,
                                          kv_len).items():
                    np.save(os.path.join(samples, k + ".npy"), v)
            extra += ["--calibration", samples]
        secs, _ = bm.kiln_compile(args.kiln, onnx_path, lib, extra)
        print("  %s %s: %s compiled in %.1f s" % (name, graph, engine, secs),
              flush=True)
        paths[engine] = lib
    try:
        peer = ort_quantized(onnx_path, ort_kind)
        paths["ort-" + ort_kind] = peer
        # The same quantized file compiled by kiln (its importer runs
        # ONNX Runtime's quantized ops on kiln's kernels).
        lib = os.path.splitext(peer)[0] + ".so"
        secs, _ = bm.kiln_compile(args.kiln, peer, lib, [])
        print("  %s %s: kiln-on-ort-%s compiled in %.1f s"
              % (name, graph, ort_kind, secs), flush=True)
        paths["kiln-on-ort-" + ort_kind] = lib
    except Exception as e:  # a peer only
        print("  ORT %s quantization failed: %s" % (ort_kind, e))
    engines = list(paths)
    workers, _ = bm.start_workers(engines, paths, args.threads)
    try:
        for label, q_len, kv_len in cases:
            feeds = bm.make_feeds(meta, graph, 1, q_len, kv_len)
            medians, failed, other = bm.time_case(workers, feeds, args.rounds)
            for e, err in failed.items():
                print("  %s %s: %s failed: %s" % (name, label, e,
                                                 bm._one_line(err)))
            ms = {e: m * 1e3 for e, m in medians.items()}
            print("  %s %s: %s" % (name, label, ", ".join(
                "%s %.1f ms" % (e, v) for e, v in ms.items())), flush=True)
            rows.append((name, label, ms, other))
    finally:
        for w in workers.values():
            w.close()


def ratio(ms, a, b):
    return "%.2f" % (ms[a] / ms[b]) if a in ms and b in ms else "-"


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--work", default=os.path.join(HERE, "..", "build",
                                                  "bench"))
    p.add_argument("--kiln", default=os.path.join(HERE, "..", "build", "bin",
                                                  "kiln"))
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--rounds", type=int, default=10)
    p.add_argument("--past", type=int, default=256)
    p.add_argument("--models", default="bert,minilm,smollm2")
    p.add_argument("--smollm2-graphs", default="prefill,decode",
                   help="which SmolLM2 graphs to time")
    args = p.parse_args()
    rows = []
    for name in args.models.split(","):
        print("\n== %s" % name, flush=True)
        meta = bm.export(name, args.work)
        if name == "smollm2":
            n = len(meta["prompt_ids"])
            graphs = args.smollm2_graphs.split(",")
            if "prefill" in graphs:
                bench_graph(args, name, meta, "prefill",
                            [("prefill %d" % n, n, n)], DECODER_SCHEMES,
                            "q4", rows)
            if "decode" in graphs:
                bench_graph(args, name, meta, "decode",
                            [("decode@%d" % args.past, 1, args.past + 1)],
                            DECODER_SCHEMES, "q4", rows)
        else:
            bench_graph(args, name, meta, "main", [("s128", 128, 128)],
                        ENCODER_SCHEMES, "q8", rows)
    cpu, flags = bm.cpu_summary()
    print("\nCPU: %s (%s), %d threads, medians of %d rounds"
          % (cpu, ", ".join(f for f, on in flags.items() if on),
             args.threads, args.rounds))
    print("\n| model | case | engine ms | w8a8 / kiln fp32 | "
          "w8a8 / ORT q8 | kiln / ORT on ORT's q8 file | llm-int8 / w8a8 | "
          "smoothquant / w8a8 | w8a8-static / w8a8 | "
          "w4 / kiln fp32 | w4 / ORT q4 |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, label, ms, other in rows:
        cells = ", ".join("%s %.1f" % (e, v) for e, v in ms.items())
        print("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            name, label, cells, ratio(ms, "kiln-w8a8", "kiln"),
            ratio(ms, "kiln-w8a8", "ort-q8"),
            ratio(ms, "kiln-on-ort-q8", "ort-q8"),
            ratio(ms, "kiln-llm-int8", "kiln-w8a8"),
            ratio(ms, "kiln-smoothquant", "kiln-w8a8"),
            ratio(ms, "kiln-w8a8-static", "kiln-w8a8"),
            ratio(ms, "kiln-w4", "kiln"), ratio(ms, "kiln-w4", "ort-q4")))


if __name__ == "__main__":
    main()
