# SPDX-License-Identifier: GPL-2.0
"""scripts/testlist.py on the bench's own test lists (tests/*.cfg) and on
small broken ones."""
import os
import sys
import tempfile
import textwrap
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(TOP, "scripts"))
import testlist  # noqa: E402

PROVE = ["msr", "regression", "vmm", "reliability", "kselftest"]


def cfg(name):
    return os.path.join(TOP, "tests", name + ".cfg")


class Lists(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tests = testlist.load([cfg(n) for n in PROVE])
        cls.by = {t["name"]: t for t in cls.tests}

    def test_every_list_loads(self):
        for name in PROVE + ["debug", "bench"]:
            self.assertTrue(testlist.load([cfg(name)]), name)

    def test_roles(self):
        focus, must_pass, shown = testlist.roles(self.tests)
        self.assertEqual(focus, ["userspace_msr_exit_test"])
        self.assertEqual(must_pass, ["qemu_msr_filter"])
        self.assertEqual(shown, ["msr_filter_fuzz", "msr_filter_fuzz_short", "msr_filter_stress",
                                 "msr_filter_compat32", "msr_filter_compat64",
                                 "kselftest_userspace_msr_exit_test"])
        self.assertEqual(self.by["userspace_msr_exit_test"]["new_cases"], "source")
        self.assertEqual(self.by["qemu_msr_filter"]["label"], "vmm")
        self.assertEqual(self.by["kselftest_userspace_msr_exit_test"]["label"], "reliability")
        self.assertEqual(self.by["msr_filter_stress"]["label"], "reliability")

    def test_base_passes(self):
        # The regression set, and only it, must pass on base.
        regression = {t["name"] for t in testlist.load([cfg("regression")])}
        self.assertEqual({t["name"] for t in self.tests if t["base_passes"]}, regression)

    def test_series(self):
        self.assertEqual(testlist.series_of(self.tests), "series")
        self.assertEqual(testlist.series_of(testlist.load([cfg("regression")])), "")
        regression = {t["name"] for t in testlist.load([cfg("regression")])}
        self.assertTrue(regression)
        self.assertEqual({self.by[n]["series"] for n in regression}, {""})

    def test_vendors(self):
        fuzz = self.by["msr_filter_fuzz"]
        self.assertEqual(fuzz["vendors"], ["svm", "vmx"])
        self.assertEqual(fuzz["args"], "-s 0x5eed -n 100000 -t 600")
        vmx = {t["name"]: t for t in testlist.for_vendor(self.tests, "vmx")}
        self.assertEqual(vmx["msr_filter_fuzz"]["args"], "-s 0x5eed -n 10000 -t 600")
        self.assertNotIn("qemu_msr_filter", vmx)
        self.assertTrue(testlist.skip_reason(self.by["qemu_msr_filter"], "vmx")
                        .startswith("Debian's QEMU under Bochs"))
        self.assertIsNone(testlist.skip_reason(self.by["qemu_msr_filter"], "svm"))

    def test_bases(self):
        old = os.environ.get("BASE")
        try:
            os.environ["BASE"] = "6.12"
            names = {t["name"] for t in testlist.for_base(self.tests)}
            self.assertNotIn("msr_filter_fuzz", names)      # skip_bases = 6.12
            self.assertIn("msr_filter_fuzz_short", names)   # only_bases = 6.12
            os.environ["BASE"] = "7.3"
            names = {t["name"] for t in testlist.for_base(self.tests)}
            self.assertIn("msr_filter_fuzz", names)
            self.assertNotIn("msr_filter_fuzz_short", names)
        finally:
            if old is None:
                os.environ.pop("BASE", None)
            else:
                os.environ["BASE"] = old


class Broken(unittest.TestCase):
    def load(self, text):
        with tempfile.NamedTemporaryFile("w", suffix=".cfg", delete=False) as f:
            f.write(textwrap.dedent(text))
        self.addCleanup(os.unlink, f.name)
        return testlist.load([f.name])

    def assertRejected(self, text, words):
        with self.assertRaises(SystemExit) as e:
            self.load(text)
        self.assertIn(words, str(e.exception))

    def test_needs_file_and_timeout(self):
        self.assertRejected("[a]\nfile = x\n", "needs file and timeout")

    def test_unknown_vendor(self):
        self.assertRejected("[a]\nfile = x\ntimeout = 1\nvendors = svm arm\n", "unknown arm")
        self.assertRejected("[a]\nfile = x\ntimeout = 1\nsev.timeout = 2\n", "unknown vendor 'sev'")

    def test_not_per_vendor(self):
        self.assertRejected("[a]\nfile = x\ntimeout = 1\nvmx.focus = yes\n", "can't differ per vendor")

    def test_yes_or_no(self):
        self.assertRejected("[a]\nfile = x\ntimeout = 1\nfocus = true\n", "yes or no")

    def test_two_series(self):
        tests = self.load("""
            [a]
            file = x
            timeout = 1
            series = series
            [b]
            file = y
            timeout = 1
            series = series-tsc-deadline
            """)
        with self.assertRaises(SystemExit) as e:
            testlist.series_of(tests)
        self.assertIn("different series", str(e.exception))

    def test_second_series_is_data(self):
        # What a TSC_DEADLINE list would say: its own series, focus test
        # and new cases by name; the report needs no code for it.
        tests = self.load("""
            [DEFAULT]
            series = series-tsc-deadline
            [tsc_deadline_fastpath_test]
            file = x86/tsc_deadline_fastpath_test
            timeout = 120
            vendors = svm vmx
            focus = yes
            new_cases = fastpath.oneshot fastpath.periodic
            """)
        self.assertEqual(testlist.series_of(tests), "series-tsc-deadline")
        self.assertEqual(testlist.roles(tests)[0], ["tsc_deadline_fastpath_test"])
        self.assertEqual(tests[0]["new_cases"], ["fastpath.oneshot", "fastpath.periodic"])

    def test_duplicate(self):
        with self.assertRaises(SystemExit) as e:
            testlist.load([cfg("msr"), cfg("debug")])
        self.assertIn("duplicate test names: userspace_msr_exit_test", str(e.exception))


if __name__ == "__main__":
    unittest.main()
