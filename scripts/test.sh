#!/usr/bin/env bash
# The whole kiln test suite on a fresh machine: installs what is missing,
# builds, and runs every lit/FileCheck test (GoogleTest unit tests included).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${KILN_BUILD_DIR:-$root/build}

bash "$root/scripts/setup.sh"
bash "$root/scripts/build.sh"

python3 "$root/scripts/test_coverage.py" "$root"
"$root/scripts/lit.sh" "$build/test"
