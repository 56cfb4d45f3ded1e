#!/usr/bin/python3
"""Check kiln's tokenizers against Hugging Face `tokenizers`, token for
token, on a corpus of at least 1,000 lines with Unicode and whitespace
edge cases (accents and combining marks, CJK, Greek, Cyrillic, Arabic,
emoji, control and zero-width characters, exotic spaces, punctuation,
long words, added special tokens in the text).

Run with a Python that has `tokenizers` (Debian's, beside transformers):

    /usr/bin/python3 scripts/check_tokenizer.py --kiln build/bin/kiln \\
        --out DIR [--tokenizer tokenizer.json]...

Without --tokenizer it trains WordPiece (BertWordPieceTokenizer: the
BERT normalizer, pre-tokenizer and template; uncased and cased) and
byte-level BPE (ByteLevelBPETokenizer, GPT-2's; with and without the
prefix space, with special tokens; with RoBERTa's post-processor; with
LLaMA 3's BOS template) on the corpus itself, so the test
needs no download. Prints one line per tokenizer
and "tokenizers: N of M lines match".
"""

import argparse
import os
import random
import subprocess
import sys

from tokenizers import Tokenizer, processors
from tokenizers.implementations import (BertWordPieceTokenizer,
                                       ByteLevelBPETokenizer)

WORDS = ("the quick brown fox jumps over lazy dog transformer attention "
         "compiler kernel unaffable running jumped tokenization résumé café "
         "naïve Zürich façade coöperate São Paulo Ångström élève Straße "
         "Москва привет мир Αθήνα καλημέρα مرحبا שלום नमस्ते 東京 晴れ "
         "北京欢迎你 한국어 ありがとう ñandú").split()
PIECES = [
    "\u00a0", "\u2003", "\u3000", "\u200b", "\u200d", "\ufeff", "\t", "\r",
    "\x00", "\x07", "\x1b", "\x7f", "\u0085", "\ufffd", "\u0301", "\u0308",
    "e\u0301", "A\u030a", "\U0001f600", "\U0001f44d\U0001f3fd", "\u2764\ufe0f",
    "...", "!?", "--", "—", "–", "«", "»", "“", "”", "„", "‘", "’", "¿", "¡",
    "(", ")", "[", "]", "{", "}", "$", "€", "£", "%", "#", "@", "&", "*", "/",
    "\\", "|", "^", "_", "`", "~", "<", ">", "=", "+", ",", ";", ":", "'",
    '"', "İstanbul", "ΣΊΣΥΦΟΣ", "ǅ", "ﬁ", "Ⅻ", "①", "㎏", "ｆｕｌｌ",
    "x" * 120, "[CLS]", "[SEP]", "[MASK]", "[UNK]", "[PAD]", "##ing",
    "12345", "3.14159", "1,000,000", "e-mail", "U.S.A.", "http://x.org/a?b=c",
]


def corpus(n, seed=1):
    rng = random.Random(seed)
    lines = ["", " ", "\t\t", "  leading and trailing  ", "ALL CAPS LINE",
             "Hello, World!", "unaffable running", "東京は晴れ。北京も。"]
    while len(lines) < n:
        parts = []
        for _ in range(rng.randint(1, 14)):
            r = rng.random()
            if r < 0.55:
                w = rng.choice(WORDS)
                parts.append(w.upper() if rng.random() < 0.1 else w)
            elif r < 0.9:
                parts.append(rng.choice(PIECES))
            else:
                parts.append(chr(rng.choice([rng.randint(0x20, 0x7e),
                                             rng.randint(0xa0, 0x24f),
                                             rng.randint(0x370, 0x52f),
                                             rng.randint(0x3040, 0x30ff),
                                             rng.randint(0x4e00, 0x9fff),
                                             rng.randint(0x1f300, 0x1f6ff)])))
        sep = rng.choice([" ", " ", " ", "", "  ", "\t", "\u00a0"])
        lines.append(sep.join(parts))
    return lines


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--kiln", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--tokenizer", action="append", default=[])
    p.add_argument("--lines", type=int, default=1200)
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)
    lines = corpus(args.lines)
    text_path = os.path.join(args.out, "corpus.txt")
    with open(text_path, "w", encoding="utf-8", newline="") as f:
        f.write("\n".join(lines) + "\n")
    paths = list(args.tokenizer)
    if not paths:
        for cased in (False, True):
            t = BertWordPieceTokenizer(lowercase=not cased,
                                       strip_accents=None if not cased else False)
            t.train([text_path], vocab_size=800, min_frequency=1)
            path = os.path.join(args.out, "wordpiece-%s.json" %
                                ("cased" if cased else "uncased"))
            t.save(path)
            paths.append(path)
        for prefix in (False, True):
            t = ByteLevelBPETokenizer(add_prefix_space=prefix)
            t.train([text_path], vocab_size=1200, min_frequency=2,
                    special_tokens=["<|endoftext|>", "[CLS]", "[SEP]"])
            path = os.path.join(args.out, "bpe%s.json" %
                                ("-prefix" if prefix else ""))
            t.save(path)
            paths.append(path)
        # The post-processors that add special tokens around byte-level
        # BPE: RoBERTa's (<s> ... </s>) and LLaMA 3's (a Sequence of
        # ByteLevel and a TemplateProcessing that puts BOS first).
        t = ByteLevelBPETokenizer(add_prefix_space=False)
        t.train([text_path], vocab_size=1200, min_frequency=2,
                special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"])
        t.post_processor = processors.RobertaProcessing(
            ("</s>", t.token_to_id("</s>")), ("<s>", t.token_to_id("<s>")))
        path = os.path.join(args.out, "bpe-roberta.json")
        t.save(path)
        paths.append(path)
        t = ByteLevelBPETokenizer(add_prefix_space=False)
        t.train([text_path], vocab_size=1200, min_frequency=2,
                special_tokens=["<|begin_of_text|>", "<|end_of_text|>"])
        t.post_processor = processors.Sequence([
            processors.ByteLevel(trim_offsets=False),
            processors.TemplateProcessing(
                single="<|begin_of_text|> $A",
                special_tokens=[("<|begin_of_text|>",
                                 t.token_to_id("<|begin_of_text|>"))])])
        path = os.path.join(args.out, "bpe-bos.json")
        t.save(path)
        paths.append(path)
    total = matched = 0
    for path in paths:
        ref = Tokenizer.from_file(path)
        ref.no_padding()
        ref.no_truncation()
        want = [" ".join(map(str, e.ids)) for e in ref.encode_batch(lines)]
        out = subprocess.run([args.kiln, "tokenize", path, "--file", text_path],
                             capture_output=True, text=True)
        if out.returncode:
            print("FAIL %s: %s" % (os.path.basename(path), out.stderr.strip()))
            total += len(lines)
            continue
        got = out.stdout.split("\n")[:len(lines)]
        same = sum(g == w for g, w in zip(got, want))
        total += len(lines)
        matched += same
        print("%s %s: %d of %d lines match" % (
            "ok  " if same == len(lines) else "FAIL", os.path.basename(path),
            same, len(lines)))
        for i, (g, w) in enumerate(zip(got, want)):
            if g != w:
                print("  first difference, line %d %r:\n    kiln %s\n    hf   %s"
                      % (i, lines[i], g, w))
                break
    print("tokenizers: %d of %d lines match" % (matched, total))
    return 0 if matched == total else 1


if __name__ == "__main__":
    sys.exit(main())
