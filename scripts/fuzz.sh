#!/usr/bin/env bash
# Builds kiln's libFuzzer targets (fuzz/) with clang, AddressSanitizer and
# UndefinedBehaviorSanitizer into ${KILN_FUZZ_BUILD_DIR:-build-fuzz} and runs
# each for a bounded time on a seed corpus made from the test models.
#
#   scripts/fuzz.sh [SECONDS] [onnx-import-fuzzer|runtime-load-fuzzer|hf-checkpoint-fuzzer|gguf-fuzzer]...
#
# SECONDS per target (default 300). The corpus grows in
# build-fuzz/corpus/TARGET; crashes, timeouts and leaks land in
# build-fuzz/artifacts/TARGET/ (replay one with: build-fuzz/fuzz/TARGET FILE).
# Prints each target's executions and findings; exits non-zero if any.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${KILN_FUZZ_BUILD_DIR:-$root/build-fuzz}
seconds=${1:-300}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(onnx-import-fuzzer runtime-load-fuzzer hf-checkpoint-fuzzer gguf-fuzzer)
LLVM_PREFIX=/usr/lib/llvm-22

# Debian's clang with libFuzzer (clang 14 reads LLVM 22's headers).
cc=$(command -v clang-22 || command -v clang-14 || command -v clang || true)
cxx=$(command -v clang++-22 || command -v clang++-14 || command -v clang++ || true)
if [ -z "$cc" ] || [ -z "$cxx" ]; then
  echo "fuzz.sh: needs clang with libFuzzer (apt-get install clang libclang-rt-dev)" >&2
  exit 2
fi
flags="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g"
if [ ! -f "$build/build.ninja" ]; then
  cmake -G Ninja -S "$root" -B "$build" \
    -DCMAKE_BUILD_TYPE=Release -DKILN_FUZZ=ON \
    -DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx" \
    -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" \
    -DMLIR_DIR="$LLVM_PREFIX/lib/cmake/mlir" \
    -DLLVM_EXTERNAL_LIT="$LLVM_PREFIX/bin/lit" >/dev/null
fi
ninja -C "$build" "${targets[@]}"

# Seeds: every test model as a binary ONNX file; hand-written manifests
# (with and without weights files) for the runtime.
seeds=$build/seeds
rm -rf "$seeds" && mkdir -p "$seeds/onnx-import-fuzzer" "$seeds/runtime-load-fuzzer"
python3 "$root/fuzz/make_seeds.py" "$root" "$seeds"

export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1
export LSAN_OPTIONS=suppressions=$root/scripts/lsan.supp
export UBSAN_OPTIONS=print_stacktrace=1
status=0
for t in "${targets[@]}"; do
  corpus=$build/corpus/$t artifacts=$build/artifacts/$t/
  mkdir -p "$corpus" "$artifacts"
  log=$build/$t.log
  set +e
  "$build/fuzz/$t" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=4096 \
    -print_final_stats=1 -artifact_prefix="$artifacts" \
    "$corpus" "$seeds/$t" >"$log" 2>&1
  rc=$?
  set -e
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
  found=$(ls "$artifacts" | wc -l)
  echo "$t: $runs executions in ${seconds}s, corpus $(ls "$corpus" | wc -l) inputs, $found finding(s) (exit $rc; log $log)"
  [ "$rc" -eq 0 ] && [ "$found" -eq 0 ] || status=1
done
exit $status
