#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Run the bench's Python unit tests (tests/unit/test_*.py, python3 -m
unittest) and write one KTAP line per test into OUTDIR/unittest.ktap
(default: out/).  Exit status 1 if a test failed.  Usage: run-unittests.py"""
import os
import sys
import unittest

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(TOP, "scripts"))
import ktap  # noqa: E402


class Recorder(unittest.TextTestResult):
    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.results = []

    def addSuccess(self, test):
        super().addSuccess(test)
        self.results.append((True, test.id(), ""))

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self.results.append((False, test.id(), "failed"))

    def addError(self, test, err):
        super().addError(test, err)
        self.results.append((False, test.id(), "error"))

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self.results.append((None, test.id(), reason))


def main():
    out = os.environ.get("OUTDIR", os.path.join(TOP, "out"))
    os.makedirs(out, exist_ok=True)
    suite = unittest.defaultTestLoader.discover(os.path.join(TOP, "tests", "unit"))
    result = unittest.TextTestRunner(resultclass=Recorder, verbosity=1).run(suite)
    if not result.results:
        result.results.append((False, "unit tests found", "none in tests/unit"))
    ktap.write_ktap(os.path.join(out, "unittest.ktap"), result.results)
    p, f, s = ktap.count(os.path.join(out, "unittest.ktap"))
    print(f"unittest: {p} passed, {f} failed" + (f", {s} skipped" if s else ""))
    return 0 if f == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
