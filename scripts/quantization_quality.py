#!/usr/bin/env python3
"""How much each `kiln compile --quantize` scheme changes real models'
outputs, against kiln fp32 on the same inputs (issue 13's quality table):

  minilm   all-MiniLM-L6-v2 (real weights) sentence embeddings (mean
           pooling, L2-normalised) of the sentences below: minimum and mean
           cosine to fp32, and whether each sentence's nearest neighbour
           among the others is unchanged. ONNX Runtime's own quantizers on
           the same export for reference: quantize_dynamic (int8) and
           MatMulNBits (4-bit, block 32), each against ORT fp32.
  smollm2  SmolLM2-135M-Instruct (real weights, the prefill graph) on the
           chat prompt scripts/bench_models.py tokenized: top-1 agreement
           with fp32 over the prompt's positions, and whether the first 32
           greedy tokens (recomputed without a cache) are identical.

Models come from scripts/benchmark.py's export (same --work folder). Run
with the python3 that has the benchmark's packages
(scripts/requirements-bench.txt: onnxruntime, tokenizers, the models):

    python3 scripts/quantization_quality.py [--work build/bench]
        [--models minilm,smollm2]
        [--schemes w8a8,llm-int8,smoothquant,w8a8-static,w8,w4]
        [--group-size 32] [--outlier-threshold 6.0]
        [--smoothquant-alpha 0.5] [--softmax-bits 4] [--tokens 32]

softmax-log2 and softmax-uniform keep fp32 weights and round the attention
probabilities (kiln compile --quantize-softmax) to --softmax-bits.

The calibrated schemes (smoothquant, w8a8-static) are calibrated on
CALIBRATION_SENTENCES (MiniLM) or CALIBRATION_PROMPTS (SmolLM2), never on
what they are measured on.

Prints a Markdown table with the CPU it ran on.
"""
import argparse
import json
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "python"))
sys.path.insert(0, HERE)
import benchmark  # noqa: E402  (export, cpu_summary)
import bench_quantized  # noqa: E402  (ort_quantized)
import kiln  # noqa: E402

# Real sentences: pairs and small clusters on shared topics, so nearest
# neighbours are meaningful, plus unrelated ones.
SENTENCES = [
    "A man is playing a guitar on the stage.",
    "Someone plays an acoustic guitar in front of a crowd.",
    "The stock market fell sharply this morning.",
    "Shares dropped steeply at the opening bell.",
    "A child is reading a book under a tree.",
    "A young girl reads a story in the park.",
    "The recipe calls for two cups of flour and one egg.",
    "Mix the flour with an egg to make the dough.",
    "Heavy rain caused flooding across the city.",
    "The storm flooded several streets downtown.",
    "The team won the championship after a close final.",
    "They took the title with a narrow win in the last game.",
    "My laptop battery drains too quickly.",
    "The notebook computer runs out of charge within an hour.",
    "The museum opens at nine o'clock on weekdays.",
    "On working days the gallery opens at 9 am.",
    "A cat is sleeping on the windowsill.",
    "The kitten naps in the sun by the window.",
    "Scientists discovered a new species of frog in the rainforest.",
    "Researchers found an unknown amphibian in the jungle.",
    "The train to Boston was delayed by forty minutes.",
    "Our railway connection was late because of a signal failure.",
    "He ordered a large pizza with extra cheese.",
    "She asked for a pepperoni pizza and a soda.",
    "The doctor prescribed antibiotics for the infection.",
    "The physician gave him medicine to treat the bacteria.",
    "Solar panels convert sunlight into electricity.",
    "Photovoltaic cells turn light from the sun into power.",
    "The river winds through a deep green valley.",
    "A stream flows between steep wooded hills.",
    "Learning a new language takes patience and practice.",
    "Becoming fluent in French requires daily study.",
    "The company announced record profits for the quarter.",
    "Quarterly earnings reached an all-time high, the firm said.",
    "Please turn off the lights when you leave the room.",
    "Remember to switch the lamp off on your way out.",
    "The spacecraft entered orbit around Mars.",
    "The probe successfully reached the red planet's orbit.",
    "A dog is running along the beach.",
    "The puppy chases waves on the sandy shore.",
    "The new bridge will open to traffic next year.",
    "Construction of the highway overpass finishes in spring.",
    "He forgot his umbrella and got soaked.",
    "Without a raincoat she was drenched by the shower.",
    "The orchestra performed Beethoven's ninth symphony.",
    "Musicians played a classical piece by Mozart.",
    "Vaccines help the immune system fight disease.",
    "Immunization trains the body to resist viruses.",
    "The password must contain at least twelve characters.",
    "Choose a long passphrase to keep your account secure.",
    "Farmers harvest wheat at the end of summer.",
    "The corn crop was gathered before the first frost.",
    "The election results will be announced tonight.",
    "Voters await the final count of the ballots.",
    "Coffee prices rose because of a poor harvest in Brazil.",
    "A drought in South America pushed up the cost of beans.",
    "I can't find my keys anywhere.",
    "Where did I put the car keys?",
    "The volcano erupted, sending ash high into the sky.",
    "Lava poured down the mountain after the eruption.",
]


# Calibration text for the calibrated schemes (smoothquant, w8a8-static),
# apart from the sentences they are measured on.
CALIBRATION_SENTENCES = [
    "The library extended its opening hours for the exam period.",
    "Tomatoes grow best in warm, sunny weather.",
    "The airline cancelled dozens of flights because of fog.",
    "A new study links sleep to better memory.",
    "He repaired the bicycle chain with a pair of pliers.",
    "The city council approved the budget for next year.",
    "Penguins live mostly in the southern hemisphere.",
    "She painted the fence white over the weekend.",
    "The software update fixes several security problems.",
    "Ancient Romans built roads that are still in use.",
    "The bakery sells fresh bread every morning at seven.",
    "Wind turbines were installed along the coast.",
    "The hikers reached the summit before noon.",
    "Interest rates are expected to stay unchanged.",
    "My grandmother knits scarves for the whole family.",
    "The football match was postponed due to snow.",
    "Bees play an important role in pollinating crops.",
    "The teacher handed back the graded essays.",
    "A power outage left thousands without heating.",
    "The film won three awards at the festival.",
    "Astronomers observed a comet passing close to Earth.",
    "The hotel room had a view of the harbour.",
    "He practises the piano for an hour every evening.",
    "The recycling centre accepts glass, paper and plastic.",
]


# SmolLM2's calibration: other chat requests, in its chat template.
CALIBRATION_PROMPTS = [
    "What is the difference between weather and climate?",
    "Write a short poem about autumn leaves.",
    "How do I make a simple tomato soup?",
    "Explain how a bicycle gear system works.",
    "Give me three tips for learning to play chess.",
    "Why is the sky blue during the day?",
    "Summarise the plot of a detective story in two sentences.",
    "What should I pack for a hiking trip in the mountains?",
]


def smollm2_calibration_feeds():
    import gguf
    import bench_models
    path = benchmark._package_file(*benchmark.REAL_WEIGHTS["smollm2"][:2])
    tok = bench_models._smollm2_tokenizer(gguf.GGUFReader(path))
    feeds = []
    for text in CALIBRATION_PROMPTS:
        prompt = ("<|im_start|>system\nYou are a helpful AI assistant named "
                  "SmolLM, trained by Hugging Face<|im_end|>\n<|im_start|>"
                  "user\n" + text + "<|im_end|>\n<|im_start|>assistant\n")
        ids = np.array([tok.encode(prompt).ids], np.int64)
        feeds.append({"input_ids": ids, "attention_mask": np.ones_like(ids),
                      "position_ids": np.arange(ids.shape[1],
                                                dtype=np.int64)[None]})
    return feeds


def compile_model(onnx_path, lib, scheme, args, calibration=None):
    if scheme.startswith("softmax-"):
        # softmax-log2 / softmax-uniform: fp32 weights, the attention
        # probabilities rounded to --softmax-bits.
        t = time.perf_counter()
        kiln.compile(onnx_path, lib, quantize_softmax=scheme[len("softmax-"):],
                     softmax_bits=args.softmax_bits)
        return time.perf_counter() - t
    # w4-awq / w8-awq: w4 / w8 given the calibration (AWQ's scaling).
    awq = scheme.endswith("-awq")
    opts = {} if scheme == "fp32" else {
        "quantize": scheme[:-len("-awq")] if awq else scheme,
        "group_size": args.group_size,
        "outlier_threshold": args.outlier_threshold}
    if scheme in CALIBRATED:
        opts["calibration"] = calibration
        opts["smoothquant_alpha"] = args.smoothquant_alpha
    if awq:
        opts["calibration"] = calibration
    t = time.perf_counter()
    kiln.compile(onnx_path, lib, **opts)
    return time.perf_counter() - t


CALIBRATED = ("smoothquant", "w8a8-static", "w4-awq", "w8-awq")


def embed(run, ids_list):
    out = []
    for ids in ids_list:
        ids = np.array([ids], np.int64)
        mask = np.ones_like(ids)
        h = run({"input_ids": ids, "attention_mask": mask,
                 "token_type_ids": np.zeros_like(ids)})
        e = h.mean(axis=0)
        out.append(e / np.linalg.norm(e))
    return np.stack(out)


def neighbours(e):
    sim = e @ e.T
    np.fill_diagonal(sim, -np.inf)
    return sim.argmax(axis=1)


def compare(e, ref):
    cos = np.sum(e * ref, axis=1)
    same = int(np.sum(neighbours(e) == neighbours(ref)))
    return float(cos.min()), float(cos.mean()), same


def minilm(args, rows):
    import tokenizers
    import onnxruntime as ort
    meta = benchmark.export("minilm", args.work)
    onnx_path = os.path.join(args.work, meta["graphs"]["main"]["file"])
    tok = tokenizers.Tokenizer.from_file(
        os.path.join(args.work, "all-MiniLM-L6-v2", "tokenizer.json"))
    tok.no_padding()
    tok.no_truncation()
    ids = [tok.encode(s).ids for s in SENTENCES]
    out = os.path.join(args.work, "quality")
    os.makedirs(out, exist_ok=True)
    calibration = None
    feeds = []
    for text in CALIBRATION_SENTENCES:
        c = np.array([tok.encode(text).ids], np.int64)
        feeds.append({"input_ids": c, "attention_mask": np.ones_like(c),
                      "token_type_ids": np.zeros_like(c)})
    if any(s in CALIBRATED for s in args.schemes):
        calibration = os.path.join(out, "minilm.calibration.json")
        kiln.calibrate(onnx_path, feeds, calibration, threads=args.threads)

    def kiln_run(lib):
        s = kiln.InferenceSession(lib, threads=args.threads)
        return lambda feeds: s.run(["last_hidden_state"], feeds)[0][0]

    def ort_run(path, as_written=False):
        o = ort.SessionOptions()
        o.intra_op_num_threads = args.threads
        if as_written:  # every node as the graph has it, nothing fused
            o.graph_optimization_level = \
                ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        s = ort.InferenceSession(path, o, providers=["CPUExecutionProvider"])
        return lambda feeds: s.run(["last_hidden_state"], feeds)[0][0]

    ref = None
    for scheme in ["fp32"] + args.schemes:
        lib = os.path.join(out, "minilm-%s.so" % scheme)
        secs = compile_model(onnx_path, lib, scheme, args, calibration)
        e = embed(kiln_run(lib), ids)
        if ref is None:
            ref = e
            continue
        lo, mean, same = compare(e, ref)
        rows.append(("MiniLM-L6", "kiln " + scheme, "%.4f" % lo,
                     "%.4f" % mean, "%d/%d" % (same, len(ids)),
                     "compile %.0f s" % secs))
    # ONNX Runtime's quantizers on the same export, against ORT fp32.
    base = embed(ort_run(onnx_path), ids)
    lo, mean, same = compare(ref, base)
    rows.append(("MiniLM-L6", "kiln fp32 vs ORT fp32", "%.6f" % lo,
                 "%.6f" % mean, "%d/%d" % (same, len(ids)), ""))
    for kind, label in [("q8", "ORT quantize_dynamic"),
                        ("qdq", "ORT quantize_static (QDQ)"),
                        ("q4-fp32", "ORT MatMulNBits 4-bit b32"),
                        ("q4-qdq", "ORT 4-bit b32 as QDQ")]:
        try:
            qpath = bench_quantized.ort_quantized(onnx_path, kind, feeds)
        except Exception as e:  # a reference only
            print("ORT %s failed: %s" % (label, e))
            continue
        ort_e = embed(ort_run(qpath), ids)
        lo, mean, same = compare(ort_e, base)
        rows.append(("MiniLM-L6", label, "%.4f" % lo, "%.4f" % mean,
                     "%d/%d" % (same, len(ids)), ""))
        # The same quantized file compiled by kiln: its quality, and how
        # close it runs to ONNX Runtime on it (one activation code rounded
        # the other way, from the last bit of a float op, moves the rest).
        lib = os.path.join(out, "minilm-ort-%s.so" % kind)
        secs = compile_model(qpath, lib, "fp32", args)
        e = embed(kiln_run(lib), ids)
        lo, mean, same = compare(e, base)
        rows.append(("MiniLM-L6", "kiln on the %s file" % label,
                     "%.4f" % lo, "%.4f" % mean, "%d/%d" % (same, len(ids)),
                     "compile %.0f s" % secs))
        lo, mean, same = compare(e, ort_e)
        rows.append(("MiniLM-L6", "  ... vs ORT on it", "%.6f" % lo,
                     "%.6f" % mean, "%d/%d" % (same, len(ids)), ""))
        if kind == "qdq":
            # ORT's fused QDQ kernels round otherwise than the graph says;
            # unfused, it runs the graph's own arithmetic.
            lo, mean, same = compare(e, embed(ort_run(qpath, True), ids))
            rows.append(("MiniLM-L6", "  ... vs ORT on it, unfused",
                         "%.6f" % lo, "%.6f" % mean,
                         "%d/%d" % (same, len(ids)), ""))


def smollm2(args, rows):
    meta = benchmark.export("smollm2", args.work)
    onnx_path = os.path.join(args.work, meta["graphs"]["prefill"]["file"])
    prompt = list(meta["prompt_ids"])
    out = os.path.join(args.work, "quality")
    os.makedirs(out, exist_ok=True)

    def logits(session, ids):
        ids = np.array([ids], np.int64)
        return session.run(["logits"], {
            "input_ids": ids, "attention_mask": np.ones_like(ids),
            "position_ids": np.arange(ids.shape[1], dtype=np.int64)[None]
        })[0][0]

    def greedy(session):
        ids = list(prompt)
        for _ in range(args.tokens):
            ids.append(int(logits(session, ids)[-1].argmax()))
        return ids[len(prompt):]

    calibration = None
    if any(s in CALIBRATED for s in args.schemes):
        calibration = os.path.join(out, "smollm2.calibration.json")
        kiln.calibrate(onnx_path, smollm2_calibration_feeds(), calibration,
                       threads=args.threads)
    ref_top, ref_tokens = None, None
    for scheme in ["fp32"] + args.schemes:
        lib = os.path.join(out, "smollm2-%s.so" % scheme)
        secs = compile_model(onnx_path, lib, scheme, args, calibration)
        session = kiln.InferenceSession(lib, threads=args.threads)
        top = logits(session, prompt).argmax(axis=-1)
        tokens = greedy(session)
        if ref_top is None:
            ref_top, ref_tokens = top, tokens
            continue
        agree = float(np.mean(top == ref_top))
        same = next((i for i, (a, b) in enumerate(zip(tokens, ref_tokens))
                     if a != b), len(tokens))
        rows.append(("SmolLM2-135M", "kiln " + scheme,
                     "top-1 %.1f%%" % (100 * agree),
                     "", "first %d/%d greedy tokens same" % (same,
                                                           len(tokens)),
                     "compile %.0f s" % secs))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--work", default=os.path.join(HERE, "..", "build",
                                                  "bench"))
    p.add_argument("--models", default="minilm,smollm2")
    p.add_argument("--schemes",
                   default="w8a8,llm-int8,smoothquant,w8a8-static,w8,w4,"
                   "softmax-log2,softmax-uniform")
    p.add_argument("--group-size", type=int, default=32)
    p.add_argument("--outlier-threshold", type=float, default=6.0)
    p.add_argument("--smoothquant-alpha", type=float, default=0.5)
    p.add_argument("--softmax-bits", type=int, default=4)
    p.add_argument("--tokens", type=int, default=32)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    args.schemes = [s for s in args.schemes.split(",") if s]
    rows = []
    for model in args.models.split(","):
        {"minilm": minilm, "smollm2": smollm2}[model](args, rows)
    cpu, flags = benchmark.cpu_summary()
    print("\nCPU: %s (%s)" % (cpu, ", ".join(f for f, on in flags.items()
                                             if on)))
    print("group size %d (w8, w4), outlier threshold %g (llm-int8)\n"
          % (args.group_size, args.outlier_threshold))
    print("| model | scheme | min cosine / top-1 | mean cosine | "
          "nearest neighbour / greedy | |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print("| " + " | ".join(r) + " |")


if __name__ == "__main__":
    main()
