"""Builds the kiln package: the Python code plus kiln's native libraries
(libkiln_compiler.so and libkiln_runtime.a) copied into kiln/_lib.

    pip install ./python            # from the repository root

The libraries come from the repository's build tree ($KILN_BUILD_DIR, or
build/), built first with scripts/build.sh when they are missing. The
compiler library links to Debian's LLVM/MLIR 22 and libonnx, so the package
runs where those are installed (scripts/setup.sh).
"""
import os
import shutil
import subprocess

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
LIBRARIES = ("libkiln_compiler.so", "libkiln_runtime.a")


class BuildWithNativeLibraries(build_py):
    def run(self):
        super().run()
        build = os.environ.get("KILN_BUILD_DIR") or os.path.join(REPO, "build")
        lib = os.path.join(build, "lib")
        if not all(os.path.exists(os.path.join(lib, n)) for n in LIBRARIES):
            subprocess.check_call(["bash", os.path.join(REPO, "scripts",
                                                        "build.sh")])
        target = os.path.join(self.build_lib, "kiln", "_lib")
        os.makedirs(target, exist_ok=True)
        for name in LIBRARIES:
            shutil.copy2(os.path.join(lib, name), os.path.join(target, name))


setup(cmdclass={"build_py": BuildWithNativeLibraries})
