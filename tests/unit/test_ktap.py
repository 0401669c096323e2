# SPDX-License-Identifier: GPL-2.0
"""kvmbench.ktap and the report's checks on trimmed real console logs
(fixtures/, see fixtures/make-fixtures.sh).  Run: make unittest."""
import os
import re
import tempfile
import unittest

from kvmbench import ktap, plan, report

HERE = os.path.dirname(os.path.abspath(__file__))


def fixture(name):
    return os.path.join(HERE, "fixtures", name)


def parse_text(text):
    """parse_console on TEXT (a fixture changed in code)."""
    with tempfile.NamedTemporaryFile("w", suffix=".log", delete=False) as f:
        f.write(text)
    try:
        return ktap.parse_console(f.name)
    finally:
        os.unlink(f.name)


class ResultLine(unittest.TestCase):
    def test_plain(self):
        self.assertEqual(ktap.parse_result("ok 34 monitor_mwait_test"),
                         (True, 34, "monitor_mwait_test", None))

    def test_spaces_in_description(self):
        self.assertEqual(ktap.parse_result("ok 1 sys_membarrier available"),
                         (True, 1, "sys_membarrier available", None))

    def test_directive_after_spaces(self):
        self.assertEqual(
            ktap.parse_result("not ok 1 selftests: kvm: userspace_msr_exit_test # exit=1"),
            (False, 1, "selftests: kvm: userspace_msr_exit_test", "exit=1"))

    def test_tap13_dash(self):
        self.assertEqual(ktap.parse_result("ok 2 - stage 3 passed # SKIP no TSC"),
                         (True, 2, "stage 3 passed", "SKIP no TSC"))

    def test_escaped_hash_is_description(self):
        self.assertEqual(ktap.parse_result(r"ok 3 case \# 3"), (True, 3, "case # 3", None))

    def test_not_a_result(self):
        for line in ("# ok 1 user_msr.x", "okay 1 x", "ok x", "1..12", "not ok"):
            self.assertIsNone(ktap.parse_result(line), line)

    def test_directives(self):
        for directive, want in (("SKIP", "skip"), ("SKIP - Requirement not met", "skip"),
                                ("TODO not done", "todo"), ("XFAIL", "xfail"),
                                ("TIMEOUT 120 seconds", "timeout"), ("exit=1", "fail"),
                                ("RETRIED", "pass"), (None, "pass")):
            ok = directive != "exit=1"
            self.assertEqual(ktap.status(ok, directive), want, directive)

    def test_old_pattern_dropped_spaces(self):
        # The pattern report.py had: it loses what the new parser keeps.
        old = re.compile(r"^# (not ok|ok) (\d+) (\S+)(?: # (.*))?$")
        self.assertIsNone(old.match("# ok 1 MWAIT never faults, no CPUID updates, CPUID set"))


class Console(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.base = ktap.parse_console(fixture("svm-7.3-base.log"))
        cls.patched = ktap.parse_console(fixture("svm-7.3-patched.log"))

    def test_cases_with_spaces(self):
        tests = self.base[0]
        cases = tests["monitor_mwait_test"]["cases"]
        self.assertEqual(len(cases), 12)
        self.assertEqual(cases["MWAIT can fault, MISC_ENABLE updates CPUID, CPUID clear, "
                               "MWAIT disabled"], "pass")
        self.assertEqual(list(tests["tsc_msrs_test"]["cases"]),
                         [f"stage {n} passed" for n in range(2, 7)])

    def test_kselftest_runner(self):
        for (tests, _, _, _, metrics), want in ((self.base, "fail"), (self.patched, "pass")):
            t = tests["kselftest_userspace_msr_exit_test"]
            self.assertEqual(t["status"], want)
            # The runner's own result, whose name has spaces, is a case;
            # its test's cases ("# # ok ...") are a level further down.
            self.assertEqual(t["cases"], {"selftests: kvm: userspace_msr_exit_test": want})
            self.assertEqual(t["plan"], 1)
            self.assertEqual(metrics["kselftest_settings_timeout"], 120)

    def test_msr_test_and_retry(self):
        t = self.base[0]["userspace_msr_exit_test"]
        self.assertEqual(t["status"], "fail")
        self.assertEqual(t["plan"], 8)
        self.assertEqual(sum(1 for s in t["cases"].values() if s == "fail"), 4)
        self.assertEqual(t["cases"]["user_msr.x2apic_msr_filter"], "fail")
        p = self.patched[0]["userspace_msr_exit_test"]
        self.assertEqual(set(p["cases"].values()), {"pass"})
        self.assertEqual(len(p["cases"]), 8)

    def test_skip(self):
        t = self.base[0]["access_tracking_perf_test"]
        self.assertEqual(t["status"], "skip")
        self.assertEqual(t["cases"], {})
        self.assertEqual(t["plan"], 0)      # "# 1..0 # SKIP - Cannot open ..."

    def test_missing_plan(self):
        # max_vcpuid_cap_test prints no TAP of its own.
        t = self.base[0]["max_vcpuid_cap_test"]
        self.assertEqual((t["status"], t["cases"], t["plan"]), ("pass", {}, None))
        # Cases without a plan line are still read.
        with open(fixture("svm-7.3-base.log")) as f:
            text = f.read()
        self.assertIn("# 1..12\n", text)
        tests = parse_text(text.replace("# 1..12\n", ""))[0]
        self.assertEqual(tests["monitor_mwait_test"]["plan"], None)
        self.assertEqual(len(tests["monitor_mwait_test"]["cases"]), 12)

    def test_no_kernel_report(self):
        self.assertEqual(self.base[1], [])
        self.assertEqual(self.patched[1], [])

    def test_ktap_lines_start_at_header(self):
        self.assertEqual(self.base[2][0], "KTAP version 1")
        self.assertFalse(any("SeaBIOS" in line for line in self.base[2]))

    def test_crashed(self):
        tests, reports, _, _, _ = ktap.parse_console(fixture("svm-7.3-patched-cut.log"))
        t = tests["userspace_msr_exit_test"]
        self.assertEqual(t["status"], "crashed")
        self.assertEqual(t["cases"], {"user_msr.msr_filter_allow": "pass",
                                      "user_msr.msr_filter_deny": "pass"})

    def test_kernel_warning(self):
        tests, reports, _, _, _ = ktap.parse_console(fixture("vmx-7.3-warn.log"))
        self.assertEqual(len(reports), 2)
        self.assertTrue(reports[0].startswith("WARNING: arch/x86/kernel/cpu/topology_common.c"))
        self.assertEqual(reports[1], "Call Trace:")
        self.assertEqual(tests["userspace_msr_exit_test"]["status"], "pass")
        self.assertEqual(len(tests["userspace_msr_exit_test"]["cases"]), 4)


class Regression(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.base = ktap.parse_console(fixture("svm-7.3-base.log"))[0]
        with open(fixture("svm-7.3-patched.log")) as f:
            cls.patched_text = f.read()

    def failures(self, patched_text):
        return [v for v in report.regressions("svm", self.base, parse_text(patched_text)[0])
                if not v[0]]

    def test_clean(self):
        verdicts = report.regressions("svm", self.base, parse_text(self.patched_text)[0])
        self.assertEqual([v for v in verdicts if not v[0]], [])
        names = [v[1] for v in verdicts]
        self.assertIn("svm: regression: monitor_mwait_test:MWAIT never faults, MISC_ENABLE "
                      "updates CPUID, CPUID set passes on patched as on base", names)
        self.assertIn("svm: regression: tsc_msrs_test:stage 4 passed passes on patched as on base",
                      names)
        # The new cases fail on base: not regressions either way.
        self.assertFalse(any("x2apic" in n for n in names))

    def test_case_with_spaces_regresses(self):
        # Fails with the old pattern: the case was never read.
        bad = self.failures(self.patched_text.replace(
            "# ok 3 MWAIT never faults, MISC_ENABLE updates CPUID, CPUID set\n",
            "# not ok 3 MWAIT never faults, MISC_ENABLE updates CPUID, CPUID set\n"))
        self.assertEqual(bad, [(False, "svm: regression: monitor_mwait_test:MWAIT never faults, "
                                "MISC_ENABLE updates CPUID, CPUID set passes on patched as on base",
                                "patched: fail")])

    def test_missing_test(self):
        text = self.patched_text.replace("ok 67 tsc_msrs_test\n", "")
        bad = self.failures(text)
        self.assertIn((False, "svm: regression: tsc_msrs_test passes on patched as on base",
                       "patched: missing"), bad)

    def test_crash_regresses(self):
        base = ktap.parse_console(fixture("svm-7.3-patched.log"))[0]
        cut = ktap.parse_console(fixture("svm-7.3-patched-cut.log"))[0]
        bad = [v for v in report.regressions("svm", base, cut) if not v[0]]
        self.assertIn((False, "svm: regression: userspace_msr_exit_test passes on patched as on "
                       "base", "patched: crashed"), bad)
        self.assertIn((False, "svm: regression: monitor_mwait_test passes on patched as on base",
                       "patched: missing"), bad)


class BasePasses(unittest.TestCase):
    """report.base_passes: the regression set must pass on base too."""
    @classmethod
    def setUpClass(cls):
        cls.base = ktap.parse_console(fixture("svm-7.3-base.log"))[0]

    def test_passes(self):
        self.assertEqual(report.base_passes("svm", ["tsc_msrs_test", "monitor_mwait_test"],
                                            self.base),
                         (True, "svm: base: the 2 tests marked base_passes pass or skip", ""))

    def test_fails_on_base(self):
        # userspace_msr_exit_test fails on base (its new cases): a
        # regression-set test that did would be caught here, not by
        # report.regressions, which only looks at what passes on base.
        self.assertEqual(report.base_passes("svm", ["tsc_msrs_test", "userspace_msr_exit_test",
                                                    "no_such_test"], self.base),
                         (False, "svm: base: the 3 tests marked base_passes pass or skip",
                          "userspace_msr_exit_test: fail, no_such_test: missing"))

    def test_none(self):
        self.assertIsNone(report.base_passes("svm", [], self.base))


class SourceCases(unittest.TestCase):
    """plan.source_cases: the case names a selftest's source defines."""
    def test_fixture_and_plain_tests(self):
        src = ("KVM_ONE_VCPU_TEST(user_msr, x2apic_msrs, guest_code)\n{\n}\n"
               "TEST_F(user_msr, x2apic_msrs_irqchip_models)\n{\n}\n"
               "TEST(tsc_deadline_denied_write)\n{\n}\n")
        with tempfile.NamedTemporaryFile("w", suffix=".c", delete=False) as f:
            f.write(src)
        try:
            self.assertEqual(plan.source_cases(f.name),
                             ["user_msr.x2apic_msrs", "user_msr.x2apic_msrs_irqchip_models",
                              "global.tsc_deadline_denied_write"])
        finally:
            os.unlink(f.name)

    def test_missing_source(self):
        self.assertEqual(plan.source_cases("/nonexistent/test.c"), [])


class Writer(unittest.TestCase):
    def test_format(self):
        text = ktap.format_ktap([(True, "a b", "why"), (False, "c", "found x"),
                                 (None, "d", "not here"), (False, "e", "")])
        self.assertEqual(text, "KTAP version 1\n1..4\nok 1 a b\nnot ok 2 c # found x\n"
                         "ok 3 d # SKIP not here\nnot ok 4 e\n")

    def test_round_trip(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "v.ktap")
            ktap.write_ktap(path, [(True, "x y", ""), (None, "z", "r"), (False, "w", "q")])
            self.assertEqual(ktap.count(path), (1, 1, 1))


if __name__ == "__main__":
    unittest.main()
