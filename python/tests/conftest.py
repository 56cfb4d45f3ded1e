import os
import sys

# Run against the package in this checkout (and, through kiln/_native.py,
# the libraries of the repository's build tree) unless told otherwise.
HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE_ROOT = os.path.dirname(HERE)
if os.environ.get("KILN_TEST_INSTALLED") != "1":
    sys.path.insert(0, PACKAGE_ROOT)
