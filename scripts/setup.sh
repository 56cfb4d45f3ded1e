#!/usr/bin/env bash
# Installs what kiln needs to build and test on a fresh Debian 12 machine:
# LLVM/MLIR 22, libonnx and protobuf, the build tools (Debian packages) and
# the Python test tools (PyPI). Does nothing when everything is present.
# Called by scripts/demo.sh and scripts/test.sh; safe to run repeatedly.
set -euo pipefail

APT_PACKAGES=(
  cmake ninja-build g++ ccache python3 python3-pip
  llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools
  liblld-22-dev lld-22 libomp5
  libonnx-dev libprotobuf-dev protobuf-compiler libicu-dev
  libgtest-dev
  python3-torch
)
# onnx-ir: onnxruntime.quantization's MatMulNBits quantizer imports it;
# wheel: `pip install` of the kiln package (its test) builds a wheel.
PIP_PACKAGES=(onnx onnxruntime onnx-ir numpy pytest wheel)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null |
      grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
if ((${#missing[@]})); then
  echo "kiln setup: installing Debian packages: ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
    --no-install-recommends "${missing[@]}" >/dev/null
fi

# The Python that runs kiln's test scripts: the first python3 on PATH.
PYTHON=${KILN_PYTHON:-python3}
if ! "$PYTHON" -c "import onnx, onnxruntime, onnx_ir, numpy, pytest, wheel" \
    2>/dev/null; then
  echo "kiln setup: installing Python packages: ${PIP_PACKAGES[*]}"
  "$PYTHON" -m pip install -q "${PIP_PACKAGES[@]}" ||
    "$PYTHON" -m pip install -q --break-system-packages "${PIP_PACKAGES[@]}"
fi

# Debian's Python exports real Hugging Face architectures to ONNX for the
# frontend tests (scripts/export_models.py): torch from Debian, a pinned
# transformers that works with it from PyPI (and gguf, to write GGUF files).
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if ! /usr/bin/python3 -c "import transformers, gguf, jinja2" 2>/dev/null; then
  echo "kiln setup: installing transformers for /usr/bin/python3"
  /usr/bin/python3 -m pip install -q --break-system-packages \
    -r "$root/scripts/requirements-export.txt"
fi
