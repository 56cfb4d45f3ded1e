#!/usr/bin/env bash
# Runs lit on the given test paths (default: the whole suite) and ends with
# a plain "N passed, N failed" line.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${KILN_BUILD_DIR:-$root/build}
log=$(mktemp)
/usr/lib/llvm-22/bin/lit -sv "${@:-$build/test}" | tee "$log"
status=${PIPESTATUS[0]}
passed=$(grep -oP '^\s*Passed\s*:\s*\K[0-9]+' "$log" || echo 0)
failed=$(grep -oP '^\s*(Failed|Unresolved|Timed Out|Unexpectedly Passed)\s*:\s*\K[0-9]+' "$log" |
  awk '{s += $1} END {print s + 0}')
rm -f "$log"
echo "lit: ${passed} passed, ${failed:-0} failed"
exit "$status"
