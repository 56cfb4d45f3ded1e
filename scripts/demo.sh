#!/usr/bin/env bash
# kiln's main job on the bundled default model, as far as kiln goes today:
# read the model (a BERT-style encoder layer written in the tfm dialect), run
# the tfm-level pipeline for dynamic batch/sequence and for a static
# specialisation, and print what it did. Compiling to a shared library and
# running it arrive with the ONNX frontend and x86 backend issues.
# Usage: scripts/demo.sh [MODEL.mlir]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${KILN_BUILD_DIR:-$root/build}
model=${1:-$root/models/encoder_block.mlir}

bash "$root/scripts/setup.sh"
bash "$root/scripts/build.sh" kiln-opt >/dev/null

opt="$build/bin/kiln-opt"
out="$build/demo"
mkdir -p "$out"

# Prints "N ops: op x count, ..." for an IR file.
op_summary() {
  "$opt" "$1" --print-op-stats -o /dev/null 2>&1 |
    awk -F, '/^ +tfm\./ { gsub(/ /, "", $1); n += $2; s = s sprintf("%s x%d  ", $1, $2) }
             END { printf "%d tfm ops: %s\n", n, s }'
}

# Runs the tfm pipeline with the given options, timing it.
run_pipeline() {
  local name=$1 options=$2
  local start end
  start=$(date +%s%N)
  "$opt" "$model" -tfm-pipeline="$options" -o "$out/$name.mlir"
  end=$(date +%s%N)
  echo "   after tfm-pipeline${options:+ ($options)}, $(( (end - start) / 1000000 )) ms:"
  echo "     $(op_summary "$out/$name.mlir")"
  echo "     signature: $(grep -o 'func.func @[^(]*' "$out/$name.mlir") -> $(grep -o ') -> tensor<[^>]*>' "$out/$name.mlir" | head -1 | cut -c6-)"
}

echo "kiln: default model $(realpath --relative-to="$root" "$model")"
echo "   as written: $(op_summary "$model")"
run_pipeline dynamic ""
run_pipeline static "shapes=arg0=2x7x64,arg1=2x1x1x7"
echo "kiln: the IR after each run is in $(realpath --relative-to="$root" "$out")/{dynamic,static}.mlir"
echo "kiln: not yet done here: compiling to a .so and running it (x86 backend, issue 4)"
