#!/usr/bin/env bash
# The whole kiln test suite on a fresh machine: installs what is missing,
# builds, and runs every lit/FileCheck test (GoogleTest unit tests included).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# --sanitize: the same suite on a build with AddressSanitizer and
# UndefinedBehaviorSanitizer (kiln, its runtime and the models' runtime
# code; the generated model code itself is not instrumented) in
# build-asan/. Models loaded by Python (the ONNX node tests) get the
# sanitizer runtimes through LD_PRELOAD. LeakSanitizer is off here: its
# stop-the-world tracer crashes on libomp's worker threads at exit
# ("Tracer caught signal 11"); leaks are checked by the runtime tests
# (single-threaded) and the fuzz targets (scripts/fuzz.sh).
if [ "${1:-}" = "--sanitize" ]; then
  export KILN_BUILD_DIR=${KILN_BUILD_DIR:-$root/build-asan}
  export KILN_CMAKE_ARGS="-DKILN_SANITIZE=address,undefined"
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1:allocator_may_return_null=1}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
  export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$root/scripts/lsan.supp}
  export KILN_TEST_CFLAGS=${KILN_TEST_CFLAGS:--fsanitize=address,undefined -fno-sanitize-recover=all}
  export KILN_SANITIZER_PRELOAD="$(gcc -print-file-name=libasan.so):$(gcc -print-file-name=libubsan.so)"
fi
build=${KILN_BUILD_DIR:-$root/build}

bash "$root/scripts/setup.sh"
bash "$root/scripts/build.sh"

python3 "$root/scripts/test_coverage.py" "$root"
"$root/scripts/lit.sh" "$build/test"
