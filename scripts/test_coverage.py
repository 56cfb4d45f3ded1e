#!/usr/bin/env python3
"""Checks that the tfm dialect's tests cover it: every op has a round-trip
test in test/dialects/tfm/ops.mlir, and every verifier diagnostic in
dialects/tfm/*.cpp is expected somewhere in test/dialects/tfm/invalid.mlir.
Prints the counts; exits non-zero naming what is not covered.

Usage: test_coverage.py KILN_SOURCE_ROOT
"""
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1])
td = (root / "dialects/tfm/TfmOps.td").read_text()
ops_test = (root / "test/dialects/tfm/ops.mlir").read_text()
invalid_test = (root / "test/dialects/tfm/invalid.mlir").read_text()

# Op mnemonics: `def Tfm_XOp : Tfm_Something<"mnemonic"`.
mnemonics = sorted(set(re.findall(r'def Tfm_\w+Op\s*:\s*Tfm_\w+<"(\w+)"', td)))
untested_ops = [m for m in mnemonics if not re.search(rf"\btfm\.{m}\b", ops_test)]
round_trips = len(re.findall(r"^\s*func\.func @", ops_test, re.M))

# Diagnostics: the first literal fragment of each emitOpError(...) and of
# each inference failure ("'tfm.x' op ..." or fail("...")).
sources = "".join(p.read_text() for p in (root / "dialects/tfm").glob("*.cpp"))
fragments = set()
for pattern in [r'emitOpError\(\s*"([^"]+)"',
                r"'tfm\.\w+' op ([^\"]+)\"",
                r'fail\(\s*"([^"]+)"',
                r'emitOptionalError\(loc,\s*"([^\']+?)"']:
    for frag in re.findall(pattern, sources):
        frag = frag.strip()
        if len(frag) >= 4:
            fragments.add(frag)
expected = "\n".join(re.findall(r"expected-error[^{]*\{\{(.*?)\}\}", invalid_test))
uncovered = sorted(f for f in fragments if f not in expected)
cases = invalid_test.count("// -----") + 1

print(f"tfm coverage: {len(mnemonics)} ops, {round_trips} round-trip functions; "
      f"{len(fragments)} verifier diagnostics, {cases} invalid-IR cases")
status = 0
if untested_ops:
    print("ops without a round-trip test:", ", ".join(untested_ops))
    status = 1
if uncovered:
    print("verifier diagnostics without a test:")
    for f in uncovered:
        print("  ", f)
    status = 1
sys.exit(status)
