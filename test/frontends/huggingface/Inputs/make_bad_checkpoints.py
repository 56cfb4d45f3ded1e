"""Writes broken Hugging Face checkpoint folders into DIR (one per case,
named after what is wrong), for errors.test: each must fail to compile
with a diagnostic naming the file and the culprit, never a crash.
Needs only numpy."""

import json
import os
import struct
import sys

import numpy as np

CONFIG = {"model_type": "bert", "hidden_size": 8, "num_hidden_layers": 1,
          "num_attention_heads": 2, "intermediate_size": 16,
          "vocab_size": 10, "max_position_embeddings": 12,
          "type_vocab_size": 2}


def tensors():
    h, i, v, p = 8, 16, 10, 12
    t = {"embeddings.word_embeddings.weight": (v, h),
         "embeddings.position_embeddings.weight": (p, h),
         "embeddings.token_type_embeddings.weight": (2, h),
         "embeddings.LayerNorm.weight": (h,), "embeddings.LayerNorm.bias": (h,)}
    l = "encoder.layer.0."
    for name, shape in [("attention.self.query", (h, h)),
                        ("attention.self.key", (h, h)),
                        ("attention.self.value", (h, h)),
                        ("attention.output.dense", (h, h)),
                        ("intermediate.dense", (i, h)),
                        ("output.dense", (h, i))]:
        t[l + name + ".weight"] = shape
        t[l + name + ".bias"] = (shape[0],)
    for name in ["attention.output.LayerNorm", "output.LayerNorm"]:
        t[l + name + ".weight"] = (h,)
        t[l + name + ".bias"] = (h,)
    return {k: np.full(s, 0.5, np.float32) for k, s in t.items()}


def safetensors(arrays, dtype="F32"):
    header, data = {}, b""
    for name, a in arrays.items():
        raw = a.tobytes()
        header[name] = {"dtype": dtype, "shape": list(a.shape),
                        "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data


def write(root, case, config=CONFIG, blob=None, extra=None):
    folder = os.path.join(root, case)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "config.json"), "w") as f:
        f.write(config if isinstance(config, str) else json.dumps(config))
    if blob is not None:
        with open(os.path.join(folder, "model.safetensors"), "wb") as f:
            f.write(blob)
    for path, text in (extra or {}).items():
        os.makedirs(os.path.dirname(os.path.join(folder, path)), exist_ok=True)
        with open(os.path.join(folder, path), "w") as f:
            f.write(text)


def main():
    root = sys.argv[1]
    good = safetensors(tensors())
    write(root, "good", blob=good)
    write(root, "no_weights")
    write(root, "truncated", blob=good[:len(good) - 100])
    write(root, "short_header", blob=b"\x07\x00")
    write(root, "huge_header", blob=struct.pack("<Q", 1 << 40) + b"{}")
    text = b"{not json"
    write(root, "bad_json", blob=struct.pack("<Q", len(text)) + text)
    t = tensors()
    del t["encoder.layer.0.attention.self.key.bias"]
    write(root, "missing_tensor", blob=safetensors(t))
    t = tensors()
    t["encoder.layer.0.intermediate.dense.weight"] = np.zeros((16, 9), np.float32)
    write(root, "wrong_shape", blob=safetensors(t))
    write(root, "int_weights", blob=safetensors(
        {k: v.astype(np.int32) for k, v in tensors().items()}, dtype="I32"))
    header = json.dumps({"x": {"dtype": "F32", "shape": [4],
                               "data_offsets": [0, 8]}}).encode()
    write(root, "size_mismatch",
          blob=struct.pack("<Q", len(header)) + header + bytes(8))
    write(root, "unknown_type", config=dict(CONFIG, model_type="mamba"),
          blob=good)
    c = dict(CONFIG)
    del c["num_attention_heads"]
    write(root, "missing_key", config=c, blob=good)
    write(root, "bad_heads", config=dict(CONFIG, num_attention_heads=3),
          blob=good)
    write(root, "bad_act", config=dict(CONFIG, hidden_act="mish"), blob=good)
    # A LLaMA config is read before its tensors: BERT's do.
    write(root, "rope_longrope", config=dict(
        CONFIG, model_type="llama", num_key_value_heads=2,
        rope_scaling={"type": "longrope", "factor": 4.0}), blob=good)
    write(root, "rope_llama3_partial", config=dict(
        CONFIG, model_type="llama", num_key_value_heads=2,
        rope_scaling={"rope_type": "llama3", "factor": 8.0}), blob=good)
    write(root, "bad_config", config="[1, 2", blob=good)
    write(root, "cls_pooling", blob=good, extra={
        "1_Pooling/config.json": json.dumps({"pooling_mode_cls_token": True,
                                             "pooling_mode_mean_tokens": False})})
    write(root, "bad_index", blob=None, extra={
        "model.safetensors.index.json": json.dumps(
            {"weight_map": {"x": "../elsewhere.safetensors"}})})


if __name__ == "__main__":
    main()
