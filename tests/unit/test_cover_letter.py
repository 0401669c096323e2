# SPDX-License-Identifier: GPL-2.0
"""kvmbench.cover_letter's "How tested" on report.json files written here:
it says only what the last run ran.  Run: make unittest."""
import json
import os
import tempfile
import unittest

from kvmbench import cover_letter


def report(lists, rows=None):
    rows = rows or [{"case": f"new_{i}", "kind": "new",
                     "svm": {"base": "fail", "patched": "pass"},
                     "vmx": {"base": "fail", "patched": "pass"}} for i in range(2)]
    return {"vendors": ["svm", "vmx"], "table": rows,
            "source": {"PKG": "linux-source-7.3", "PKG_VERSION": "7.3~rc7-1~exp1"},
            "plan": {"lists": lists, "tests": {"userspace_msr_exit_test": {"focus": True,
                                                                           "cover_note": ""}}},
            "by_vendor": {}}


class HowTested(unittest.TestCase):
    def how(self, lists, rows=None):
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "report.json"), "w") as f:
                json.dump(report(lists, rows), f)
            return " ".join(cover_letter.how_tested(d).split())

    def test_full_run_names_the_other_selftests(self):
        t = self.how(["kselftest", "msr", "regression", "reliability", "vmm"])
        self.assertIn("the 2 new userspace_msr_exit_test cases fail on the base "
                      "and pass with the series on each", t)
        self.assertIn("the existing cases and the other KVM selftests run give "
                      "the same results", t)

    def test_run_without_regression_set_claims_no_other_selftests(self):
        t = self.how(["msr", "vmm"])
        self.assertIn("the existing cases give the same results", t)
        self.assertNotIn("other KVM selftests", t)

    def test_case_new_on_one_vendor_only(self):
        # tests/tsc-deadline.cfg: new on vmx, expected to pass on both
        # kernels on svm (svm.pass_cases).
        row = {"case": "user_msr.tsc_deadline_filter", "kind": "new on vmx",
               "svm": {"base": "pass", "patched": "pass"},
               "vmx": {"base": "fail", "patched": "pass"}}
        t = self.how(["tsc-deadline"], [row])
        self.assertIn("under emulated Intel VMX (Bochs 2.7, no APICv): the new "
                      "userspace_msr_exit_test case fails on the base and passes "
                      "with the series, and", t)
        self.assertIn("Under emulated AMD SVM (QEMU TCG, -cpu max), "
                      "user_msr.tsc_deadline_filter passes on both kernels", t)
        self.assertNotIn("DO NOT", t)
        row["svm"]["base"] = "fail"
        self.assertIn("DO NOT pass on both kernels", self.how(["tsc-deadline"], [row]))

    def test_no_report_says_not_tested(self):
        with tempfile.TemporaryDirectory() as d:
            self.assertIn("NOT TESTED YET", cover_letter.how_tested(d))


if __name__ == "__main__":
    unittest.main()
