#!/usr/bin/env bash
# kiln's main job on the bundled default model: compile it into a native
# model library, run it, check it against onnxruntime, and time it.
# The default model, models/tiny_bert.onnx, is a Hugging Face BertModel
# export (2 layers, hidden 64, random weights, dynamic batch and sequence).
# Usage: scripts/demo.sh [MODEL.onnx]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${KILN_BUILD_DIR:-$root/build}
model=${1:-$root/models/tiny_bert.onnx}

bash "$root/scripts/setup.sh"
bash "$root/scripts/build.sh" kiln kiln_runtime >/dev/null

kiln="$build/bin/kiln"
out="$build/demo"
mkdir -p "$out"
name=$(basename "$model" .onnx)
lib="$out/$name.so"

echo "== kiln compile $(realpath --relative-to="$root" "$model") -o $lib --timing --stats"
"$kiln" compile "$model" -o "$lib" --timing --stats 2>&1 |
  grep -E "^kiln: |Total Execution|  import$|translate to LLVM IR|LLVM optimization|  link$|weights file" |
  sed -e 's/^\(kiln: [0-9]* ops after import\):.*tfm.softmax=\([0-9]*\).*/\1 (\2 softmax)/' \
      -e 's/^kiln: \([0-9]* ops [a-z ]*\):.*tfm.attention=\([0-9]*\).*tfm.layer_norm=\([0-9]*\).*/kiln: \1 (\2 attention, \3 layer_norm)/' || true
ls -l "$lib" "$lib.weights" | awk '{print "   " $5 " bytes  " $9}'

echo "== kiln run $lib --random --shape batch=2 --shape seq=16"
"$kiln" run "$lib" --random --shape batch=2 --shape seq=16 --output-dir "$out/outputs"

echo "== the same library against onnxruntime, batch 1 and 3, seq 1 to 128"
python3 - "$model" "$lib" "$root/python" <<'PY'
import sys
import numpy as np
import onnxruntime as ort
model, lib, package = sys.argv[1:]
sys.path.insert(0, package)
import kiln
compiled = kiln.InferenceSession(lib)
session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
rng = np.random.default_rng(0)
for batch, seq in [(1, 1), (3, 7), (1, 128)]:
    feeds = {}
    for arg in compiled.get_inputs():
        shape = [batch if d == "batch" else seq if d == "seq" else d
                 for d in arg.shape]
        lo, hi = arg.range or (0, 2)  # token ids: the table's range
        feeds[arg.name] = rng.integers(max(lo, 0), hi, shape).astype(np.int64)
        if "mask" in arg.name:
            feeds[arg.name][:] = 1
    got = dict(zip([o.name for o in compiled.get_outputs()],
                   compiled.run(None, feeds)))
    ref = session.run(None, feeds)
    errs = [float(np.abs(got[o.name] - r).max() / np.abs(r).max())
            for o, r in zip(session.get_outputs(), ref)]
    print(f"   batch {batch} seq {seq:3d}: max error relative to output scale "
          f"{max(errs):.1e} ({'match' if max(errs) <= 1e-4 else 'MISMATCH'})")
PY

echo "== kiln bench $lib --shape batch=1 --shape seq=128 --threads 2"
"$kiln" bench "$lib" --shape batch=1 --shape seq=128 --threads 2 | tail -2
