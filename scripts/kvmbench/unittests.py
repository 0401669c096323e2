# SPDX-License-Identifier: GPL-2.0
"""make unittest: the bench's Python unit tests (tests/unit/test_*.py),
one KTAP line per test in $OUTDIR/unittest.ktap (default out/).  Exit 1
if a test failed.  Usage: python3 -m kvmbench.unittests"""
import os
import sys
import unittest

from . import ktap

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


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
    suite = unittest.defaultTestLoader.discover(os.path.join(TOP, "tests", "unit"),
                                                top_level_dir=os.path.join(TOP, "tests", "unit"))
    result = unittest.TextTestRunner(resultclass=Recorder, verbosity=1).run(suite)
    if not result.results:
        result.results.append((False, "unit tests found", "none in tests/unit"))
    path = os.path.join(out, "unittest.ktap")
    ktap.write_ktap(path, result.results)
    p, f, s = ktap.count(path)
    print(f"unittest: {p} passed, {f} failed" + (f", {s} skipped" if s else ""))
    return 0 if f == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
