#!/usr/bin/env bash
# Configures (once) and builds kiln into ${KILN_BUILD_DIR:-build}, with
# ${KILN_CMAKE_ARGS} added to the configuration (e.g.
# -DKILN_SANITIZE=address,undefined).
# Usage: scripts/build.sh [ninja targets...]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${KILN_BUILD_DIR:-$root/build}
LLVM_PREFIX=/usr/lib/llvm-22
# ccache keys on paths relative to the checkout, so a fresh clone (CI) hits
# what another checkout of the same sources compiled.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$root}

if [ ! -f "$build/build.ninja" ]; then
  cmake -G Ninja -S "$root" -B "$build" \
    -DCMAKE_BUILD_TYPE=Release \
    -DMLIR_DIR="$LLVM_PREFIX/lib/cmake/mlir" \
    -DLLVM_EXTERNAL_LIT="$LLVM_PREFIX/bin/lit" ${KILN_CMAKE_ARGS:-} >/dev/null
fi
ninja -C "$build" "$@"
