# SPDX-License-Identifier: GPL-2.0
"""kvmbench.report's verdicts on the fixtures' real consoles, with plans
made here: the roles, not code, decide what is checked.  Run: make
unittest."""
import os
import tempfile
import textwrap
import unittest

from kvmbench import plan, report

HERE = os.path.dirname(os.path.abspath(__file__))
NEW = ["user_msr.x2apic_msrs", "user_msr.x2apic_msrs_emulated",
       "user_msr.x2apic_msrs_split_irqchip", "user_msr.x2apic_msr_filter"]


def fixture(name):
    return os.path.join(HERE, "fixtures", name)


class Verdicts(unittest.TestCase):
    def verdicts(self, extra=""):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "l.cfg")
            with open(path, "w") as f:
                f.write(textwrap.dedent(f"""
                    [userspace_msr_exit_test]
                    file = x86/userspace_msr_exit_test
                    timeout = 120
                    focus = yes
                    new_cases = {' '.join(NEW)}
                    """) + textwrap.dedent(extra))
            p = plan.make_plan([path], ["svm"])
            runs = {v: report.load_run(d, "svm", v, fixture(f"svm-7.3-{v}.log"))
                    for v in ("base", "patched")}
            return report.verdicts_of(p, {"svm": {"runs": runs}})

    def test_the_series_cases_flip(self):
        v = self.verdicts()
        self.assertEqual([x for x in v if not x[0]], [])
        names = [x[1] for x in v]
        for c in NEW:
            self.assertIn(f"svm: new case userspace_msr_exit_test:{c} fails on base", names)
            self.assertIn(f"svm: new case userspace_msr_exit_test:{c} passes on patched", names)

    def test_a_pass_case_must_pass_on_base(self):
        # What svm.pass_cases says of a case the base fails: caught.
        v = self.verdicts("svm.pass_cases = user_msr.x2apic_msr_filter\n")
        bad = [x for x in v if not x[0]]
        self.assertEqual(bad, [(False, "svm: base: case userspace_msr_exit_test:"
                                "user_msr.x2apic_msr_filter passes", "base: fail")])

    def test_must_pass_and_base_fails(self):
        v = self.verdicts("""
            [kselftest_userspace_msr_exit_test]
            file = progs/run_kselftest
            timeout = 200
            base_fails = yes
            check_patched = kselftest_tap_ok==1 kselftest_pass==1
            [max_vcpuid_cap_test]
            file = x86/max_vcpuid_cap_test
            timeout = 60
            must_pass = yes
            """)
        self.assertEqual([x for x in v if not x[0]], [])
        names = [x[1] for x in v]
        self.assertIn("svm: kselftest_userspace_msr_exit_test fails on base (it can fail)", names)
        self.assertIn("svm: patched: kselftest_userspace_msr_exit_test: kselftest_pass==1", names)
        self.assertIn("svm: base: max_vcpuid_cap_test passes", names)

    def test_metric_check(self):
        self.assertEqual(report.check_metric("a>=3", {"a": 3}), (True, "a=3"))
        self.assertEqual(report.check_metric("a==b", {"a": 1, "b": 2}), (False, "a=1, b=2"))
        self.assertEqual(report.check_metric("c>0", {}), (False, "c not reported"))


if __name__ == "__main__":
    unittest.main()
