#!/usr/bin/env python3
"""Runs ONNX Runtime's transformer optimizer (its Python graph fusions, as
users run it before deployment) over the exports of a manifest, writing
`<model>_ortopt.onnx` files and a manifest of them, so that kiln's import
of the com.microsoft fused ops (Attention, SkipLayerNormalization,
EmbedLayerNormalization, BiasGelu, FastGelu) is tested on real output.

Usage: ort_optimize.py --models DIR [--opset 17]
"""
import argparse
import collections
import copy
import json
import logging
import pathlib

# model name in the manifest -> optimizer model_type
MODEL_TYPES = {"bert": "bert", "minilm": "bert", "distilbert": "bert",
               "roberta": "bert", "gpt2": "gpt2", "vit": "vit"}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--models", required=True, type=pathlib.Path)
    p.add_argument("--opset", type=int, default=17)
    args = p.parse_args()
    logging.disable(logging.WARNING)
    from onnxruntime.transformers import optimizer

    manifest = json.loads((args.models / "manifest.json").read_text())
    out_dir = args.models / "ortopt"
    out_dir.mkdir(exist_ok=True)
    files = []
    for entry in manifest["files"]:
        model_type = MODEL_TYPES.get(entry["model"])
        if model_type is None or entry["opset"] != args.opset:
            continue
        config = entry.get("config", {})
        # opt_level=0: the Python fusions only (no onnxruntime session).
        optimized = optimizer.optimize_model(
            str(args.models / entry["file"]), model_type=model_type,
            num_heads=config.get("num_attention_heads", 0),
            hidden_size=config.get("hidden_size", 0), opt_level=0)
        name = entry["file"].replace(".onnx", "_ortopt.onnx")
        optimized.save_model_to_file(str(out_dir / name))
        fused = sorted({n.op_type for n in optimized.model.graph.node
                        if n.domain == "com.microsoft"})
        print(f"{name}: {', '.join(fused) or 'no fused ops'}")
        optimized_entry = copy.deepcopy(entry)
        optimized_entry["file"] = name
        optimized_entry["fused_ops"] = fused
        files.append(optimized_entry)
    (out_dir / "manifest.json").write_text(json.dumps({"files": files}, indent=1))


if __name__ == "__main__":
    main()
