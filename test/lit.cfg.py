# -*- Python -*-
# lit configuration of kiln's regression tests: test/ mirrors the source
# tree; every .mlir file is a test.

import os
import shutil
import subprocess
import sys

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "kiln"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test", ".onnxtxt"]
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "Inputs"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.kiln_obj_root, "test")

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%kiln_src_root", config.kiln_src_root))
config.substitutions.append(("%kiln_obj_root", config.kiln_obj_root))
# The Python with kiln's test tools (onnx, onnxruntime, numpy): the python3
# first on PATH, as scripts/setup.sh installs them there.
config.substitutions.append(
    ("%python", shutil.which("python3", path=config.environment["PATH"])
     or sys.executable))

# Debian's Python with torch and transformers exports real architectures
# to ONNX (scripts/export_models.py); tests that need it say
# REQUIRES: torch-export and are reported unsupported where it is missing.
export_python = "/usr/bin/python3"
config.substitutions.append(("%export_python", export_python))
if os.path.exists(export_python) and subprocess.run(
        [export_python, "-c", "import torch, transformers"],
        capture_output=True).returncode == 0:
    config.available_features.add("torch-export")
    # ... and with gguf and jinja2, writes GGUF files and renders chat
    # templates (scripts/check_gguf.py).
    if subprocess.run([export_python, "-c", "import gguf, jinja2"],
                      capture_output=True).returncode == 0:
        config.available_features.add("gguf-export")

# The host CPU's features (cpu-avx512f, cpu-amx-tile, ...): tests of code
# for other CPUs say UNSUPPORTED/REQUIRES with them.
try:
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("flags"):
                for flag in line.split(":", 1)[1].split():
                    config.available_features.add(
                        "cpu-" + flag.replace("_", "-"))
                break
except OSError:
    pass

# Sanitizer settings of a --sanitize run reach the tools it starts; its
# sanitizer runtimes are preloaded so that Python can load sanitized model
# libraries.
for var in ["ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS",
            "KILN_TEST_CFLAGS"]:
    if var in os.environ:
        config.environment[var] = os.environ[var]
if os.environ.get("KILN_SANITIZER_PRELOAD"):
    config.environment["LD_PRELOAD"] = os.environ["KILN_SANITIZER_PRELOAD"]
    config.available_features.add("sanitized")

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

tool_dirs = [config.kiln_tools_dir, config.llvm_tools_dir]
tools = ["kiln", "kiln-opt", "KilnUnitTests", "kiln-ukernels-test",
         "kiln-quant-ukernels-test", "kiln-linear-attention-test"]
llvm_config.add_tool_substitutions(tools, tool_dirs)

# The CUDA toolkit's ptxas checks kiln's PTX (REQUIRES: ptxas); without it
# those tests are reported unsupported.
cuda_path = os.environ.get("KILN_CUDA_PATH", "/usr/local/cuda")
ptxas = os.path.join(cuda_path, "bin", "ptxas")
if os.access(ptxas, os.X_OK):
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", ptxas))


def usable_cuda_gpu():
    """Whether the CUDA driver loads and sees a device (REQUIRES: cuda-gpu):
    GPU end-to-end tests run only then, and are reported unsupported, never
    passed, without one."""
    import ctypes
    try:
        cuda = ctypes.CDLL("libcuda.so.1")
    except OSError:
        return False
    count = ctypes.c_int(0)
    return (cuda.cuInit(0) == 0 and
            cuda.cuDeviceGetCount(ctypes.byref(count)) == 0 and
            count.value > 0)


if usable_cuda_gpu():
    config.available_features.add("cuda-gpu")
