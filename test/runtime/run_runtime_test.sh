#!/bin/sh
# Builds the kiln runtime, the fake model libraries linked with it, and the
# runtime test into DIR, then runs the test. Needs a C compiler only (no
# cmake): $CC, or cc. Prints "runtime: N passed, M failed"; exits non-zero
# on a failure.
#
# Usage: run_runtime_test.sh DIR
set -eu

if [ $# -ne 1 ]; then
  echo "usage: $0 DIR" >&2
  exit 2
fi
out=$1
src=$(cd "$(dirname "$0")/../.." && pwd)
cc=${CC:-cc}
cflags="-std=c11 -O2 -g -Wall -Wextra ${KILN_TEST_CFLAGS:-}"
mkdir -p "$out"
rm -f "$out"/*.weights

# The runtime as the build makes it (runtime/*.c): a static,
# position-independent archive with hidden visibility, so that only KILN_API
# functions are exported.
rm -f "$out/libkiln_runtime.a"
for c in "$src"/runtime/*.c "$src"/runtime/ukernels/cpu_features.c; do
  o="$out/$(basename "$c" .c).o"
  $cc $cflags -D_GNU_SOURCE -fPIC -fvisibility=hidden -c "$c" -o "$o"
  ar rcs "$out/libkiln_runtime.a" "$o"
done

# Nothing in a model references the runtime, so the archive must be linked
# whole for its API to land in the library.
link_model() {
  $cc $cflags -fPIC -shared -I"$src/runtime" "$@" \
    -Wl,--whole-archive "$out/libkiln_runtime.a" -Wl,--no-whole-archive \
    $no_undefined -ldl
}
# (Sanitizer runtimes are not linked into libraries by clang.)
no_undefined=-Wl,--no-undefined
[ -n "${KILN_TEST_CFLAGS:-}" ] && no_undefined=
link_model "$src/test/runtime/fake_model.c" -o "$out/fake.so"
cp "$out/fake.so" "$out/fake_copy.so"
link_model -DFAKE_TEXT "$src/test/runtime/fake_model.c" -o "$out/fake_text.so"
link_model -DFAKE_SCALAR "$src/test/runtime/fake_model.c" \
  -o "$out/fake_scalar.so"
link_model -DFAKE_DECODER "$src/test/runtime/fake_model.c" \
  -o "$out/fake_decoder.so"

# -rdynamic: the test's omp_set_num_threads stands in for OpenMP's.
$cc -std=gnu11 -O2 -g -Wall -Wextra ${KILN_TEST_CFLAGS:-} -I"$src/runtime" \
  "$src/test/runtime/runtime_test.c" -o "$out/runtime_test" -rdynamic \
  -ldl -lpthread
"$out/runtime_test" "$out"
