"""Seed corpora for kiln's fuzz targets (scripts/fuzz.sh).

    make_seeds.py KILN_SOURCE_ROOT SEEDS_DIR

onnx-import-fuzzer: every .onnx and .onnxtxt model under test/ and models/,
as binary protobuf. runtime-load-fuzzer: manifests in the input format of
fuzz/runtime_load_fuzzer.c (4-byte length, manifest, weights bytes).
hf-checkpoint-fuzzer: small safetensors files (first byte 1) and
config.json texts (first byte 0), as fuzz/hf_checkpoint_fuzzer.cpp reads.
gguf-fuzzer: a small GGUF v3 file (string, integer and array metadata; an
F32 and a Q4_1 tensor).
"""
import json
import pathlib
import struct
import sys

import onnx
import onnx.parser

root, out = map(pathlib.Path, sys.argv[1:3])
n = 0
for path in sorted(list(root.glob("test/**/*.onnxtxt")) + list(root.glob("models/*.onnx"))):
    try:
        if path.suffix == ".onnxtxt":
            text = "\n".join(l for l in path.read_text().splitlines()
                             if not l.lstrip().startswith("#"))
            data = onnx.parser.parse_model(text).SerializeToString()
        else:
            data = path.read_bytes()
    except Exception:
        continue  # Not every .onnxtxt is meant to parse.
    if len(data) <= 1 << 20:
        (out / "onnx-import-fuzzer" / f"{n:04d}.onnx").write_bytes(data)
        n += 1

def trailer(data, ident):
    return data + b"KILNWTS1" + struct.pack("<QQQ", len(data), ident, 0)

weights = struct.pack("<4f", 1, 2, 3, 4)
manifests = [
    ("kiln-manifest 1\ninput x 1 2 batch 4\ninput ids 7 1 batch range 0 10\n"
     "weight 1 0 16 1 4\noutput y 1 2 batch 4\noutput count 7 1 batch\n", weights),
    ("kiln-manifest 1\nweights-file 16 00000000deadbeef\ninput x 1 2 batch 4\n"
     "weight 1 0 16 1 4\noutput y 1 2 batch 4\n", trailer(weights, 0xdeadbeef)),
    ("kiln-manifest 1\ninput input_ids 7 2 batch seq range 0 100\n"
     "input attention_mask 7 2 batch seq\noutput masked 7 2 batch seq\n", b""),
    ("kiln-manifest 1\ninput in%20put 1 0\ninput m 1 2 ? 3\n"
     "output out/0:%22q%22 1 0\noutput sum 1 1 ?\n", b""),
    ("kiln-manifest 1\nrequires sse4.2 avx avx2 fma\ninput x 10 1 n\n"
     "output y 10 1 n\n", b""),
    ("kiln-manifest 1\ndevice cuda\ninput x 1 1 4\noutput y 1 1 4\n", b""),
]
for i, (text, data) in enumerate(manifests):
    m = text.encode()
    (out / "runtime-load-fuzzer" / f"{i:04d}.bin").write_bytes(
        struct.pack("<I", len(m)) + m + data)

hf = out / "hf-checkpoint-fuzzer"
hf.mkdir(parents=True, exist_ok=True)
header = json.dumps({"__metadata__": {"format": "pt"},
                     "w": {"dtype": "F32", "shape": [2, 2],
                           "data_offsets": [0, 16]},
                     "h": {"dtype": "BF16", "shape": [3],
                           "data_offsets": [16, 22]}}).encode()
(hf / "0000.bin").write_bytes(b"\x01" + struct.pack("<Q", len(header)) +
                              header + bytes(22))
configs = [p.read_bytes() for p in sorted(root.glob("test/**/config.json"))]
configs.append(json.dumps({"model_type": "bert", "hidden_size": 8,
                           "num_hidden_layers": 1, "layer_norm_eps": 1e-12,
                           "hidden_act": "gelu"}).encode())
for i, text in enumerate(configs):
    (hf / f"{i + 1:04d}.bin").write_bytes(b"\x00" + text)


def gguf_string(text):
    data = text.encode()
    return struct.pack("<Q", len(data)) + data


kvs = (gguf_string("general.architecture") + struct.pack("<I", 8) +
       gguf_string("llama") +
       gguf_string("llama.block_count") + struct.pack("<II", 4, 1) +
       gguf_string("tokenizer.ggml.tokens") + struct.pack("<IIQ", 9, 8, 2) +
       gguf_string("a") + gguf_string("b"))
infos = (gguf_string("output_norm.weight") + struct.pack("<IQIQ", 1, 4, 0, 0) +
         gguf_string("token_embd.weight") +
         struct.pack("<IQQIQ", 2, 32, 1, 3, 32))
body = struct.pack("<IIQQ", 0x46554747, 3, 2, 3) + kvs + infos
body += bytes(-len(body) % 32)
body += struct.pack("<4f", 1, 2, 3, 4) + bytes(16)  # F32, padded to 32
body += struct.pack("<ee", 0.5, -1.0) + bytes(range(16))  # one Q4_1 block
gg = out / "gguf-fuzzer"
gg.mkdir(parents=True, exist_ok=True)
(gg / "0000.bin").write_bytes(body)
print(f"seeds: {n} ONNX models, {len(manifests)} manifests, "
      f"{len(configs) + 1} checkpoint files")
