# SPDX-License-Identifier: GPL-2.0
"""kvmbench.plan on the bench's own test lists (tests/*.cfg), on small
broken ones, and the plan of a run: what each machine runs, must fail on
base, may take.  Run: make unittest."""
import json
import os
import tempfile
import textwrap
import unittest

from kvmbench import plan

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
ALL = ["msr", "vmm", "regression", "reliability", "kselftest", "evidence"]


def cfg(name):
    return os.path.join(TOP, "tests", name + ".cfg")


def write(d, name, text):
    path = os.path.join(d, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(textwrap.dedent(text))
    return path


class Lists(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tests = plan.load([cfg(n) for n in ALL])
        cls.by = {t["name"]: t for t in cls.tests}

    def test_every_list_loads(self):
        for name in sorted(f[:-4] for f in os.listdir(os.path.join(TOP, "tests")) if f.endswith(".cfg")):
            self.assertTrue(plan.load([cfg(name)]), name)

    def test_roles(self):
        self.assertEqual([t["name"] for t in self.tests if t["focus"]], ["userspace_msr_exit_test"])
        self.assertEqual(self.by["userspace_msr_exit_test"]["per_vendor"]["vmx"]["new_cases"], "source")
        self.assertTrue(self.by["qemu_msr_filter"]["per_vendor"]["svm"]["must_pass"])
        self.assertEqual(self.by["qemu_msr_filter"]["label"], "vmm")
        self.assertEqual(self.by["kselftest_userspace_msr_exit_test"]["label"], "reliability")

    def test_base_passes_is_the_regression_set(self):
        regression = {t["name"] for t in plan.load([cfg("regression")])}
        self.assertEqual({t["name"] for t in self.tests if t["base_passes"]}, regression)

    def test_series(self):
        self.assertEqual(plan.series_of(self.tests), ["series"])
        self.assertEqual(plan.series_of(plan.load([cfg("regression")])), [])

    def test_vendor_values(self):
        fuzz = self.by["msr_filter_fuzz"]["per_vendor"]
        self.assertEqual(fuzz["svm"]["args"], "-s 0x5eed -n 100000 -t 600")
        self.assertEqual(fuzz["vmx"]["args"], "-s 0x5eed -n 10000 -t 600")
        self.assertEqual(self.by["x2apic_tpr_probe"]["per_vendor"]["vmx"]["check_base"],
                         ["tpr_exits==0", "tpr_gp==1"])


class Plan(unittest.TestCase):
    """make_plan on two fake trees: the series adds one case to a test."""
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        d = self.tmp.name
        src = "tools/testing/selftests/kvm/x86/t.c"
        write(d, "base/" + src, "KVM_ONE_VCPU_TEST(f, old, g)\n")
        write(d, "patched/" + src, "KVM_ONE_VCPU_TEST(f, old, g)\nKVM_ONE_VCPU_TEST(f, new, g)\n"
              "KVM_ONE_VCPU_TEST(f, fast, g)\n")
        self.cfg = write(d, "t.cfg", """
            [DEFAULT]
            series = series series-tsc-deadline
            [t]
            file = x86/t
            timeout = 100
            vendors = svm vmx
            focus = yes
            new_cases = source
            svm.pass_cases = f.fast
            [prog]
            file = progs/p
            timeout = 20
            retries = 0
            base_fails = yes
            vmx.skip = too slow
            [vmm]
            file = vmm/q
            timeout = 30
            must_pass = yes
            """)
        self.plan = plan.make_plan([self.cfg], ["svm", "vmx"], os.path.join(d, "patched"),
                                   os.path.join(d, "base"))

    def tearDown(self):
        self.tmp.cleanup()

    def test_series_in_order(self):
        self.assertEqual(self.plan["series"], ["series", "series-tsc-deadline"])

    def test_new_cases_per_vendor(self):
        svm, vmx = (self.plan["vendors"][v]["per_test"]["t"] for v in ("svm", "vmx"))
        self.assertEqual(vmx["new_cases"], ["f.new", "f.fast"])
        self.assertEqual(svm["new_cases"], ["f.new"])
        self.assertEqual(svm["pass_cases"], ["f.fast"])

    def test_expected_base_failures(self):
        self.assertEqual(self.plan["vendors"]["svm"]["expect_fail_base"], ["t", "prog"])
        self.assertEqual(self.plan["vendors"]["vmx"]["expect_fail_base"], ["t"])

    def test_limits(self):
        # (timeout + 10) x (retries + 1), summed
        self.assertEqual(self.plan["vendors"]["svm"]["limit"], 110 * 2 + 30 + 40 * 2)
        self.assertEqual(self.plan["vendors"]["vmx"]["limit"], 110 * 2)

    def test_skips(self):
        self.assertEqual(self.plan["vendors"]["vmx"]["skipped"],
                         [{"what": "prog", "tests": ["prog"], "reason": "too slow"},
                          {"what": "vmm", "tests": ["vmm"],
                           "reason": "not for vmx in t.cfg (vendors = svm)"}])
        self.assertTrue(self.plan["vendors"]["svm"]["needs_vmm"])
        self.assertFalse(self.plan["vendors"]["vmx"]["needs_vmm"])

    def test_files_and_guest_list(self):
        self.assertEqual(self.plan["files"], ["x86/t", "progs/p", "vmm/q"])
        self.assertEqual(plan.guest_list(self.plan, "svm"),
                         "t x86/t 100 1\nprog progs/p 20 0\nvmm vmm/q 30 1\n")

    def test_written_for_the_shell(self):
        with tempfile.TemporaryDirectory() as out:
            plan.write_plan(self.plan, out)
            with open(os.path.join(out, "plan.env")) as f:
                env = f.read()
            self.assertIn("PLAN_EXPECT_FAIL_vmx=t\n", env)
            self.assertIn("PLAN_LIMIT_svm=330\n", env)
            self.assertIn("PLAN_SERIES=(series series-tsc-deadline)\n", env)
            with open(os.path.join(out, "plan.json")) as f:
                self.assertEqual(json.load(f)["lists"], ["t"])

    def test_without_trees_new_cases_are_unknown(self):
        p = plan.make_plan([self.cfg], ["svm"])
        self.assertTrue(p["vendors"]["svm"]["per_test"]["t"]["new_cases_unknown"])
        self.assertEqual(p["vendors"]["svm"]["expect_fail_base"], ["prog"])


class Broken(unittest.TestCase):
    def load(self, text):
        with tempfile.TemporaryDirectory() as d:
            return plan.load([write(d, "b.cfg", text)])

    def assertRejected(self, text, words):
        with self.assertRaises(plan.ListError) as e:
            self.load(text)
        self.assertIn(words, str(e.exception))

    def test_needs_file_and_timeout(self):
        self.assertRejected("[a]\nfile = x\n", "needs file and timeout")

    def test_unknown_key(self):
        self.assertRejected("[a]\nfile = x\ntimeout = 1\nskip_bases = 6.12\n", "skip_bases: not a key")

    def test_unknown_vendor(self):
        self.assertRejected("[a]\nfile = x\ntimeout = 1\nvendors = svm arm\n", "unknown arm")
        self.assertRejected("[a]\nfile = x\ntimeout = 1\nsev.timeout = 2\n", "unknown vendor 'sev'")

    def test_not_per_vendor(self):
        self.assertRejected("[a]\nfile = x\ntimeout = 1\nvmx.focus = yes\n", "can't differ per vendor")

    def test_yes_or_no(self):
        self.assertRejected("[a]\nfile = x\ntimeout = 1\nfocus = true\n", "yes or no")

    def test_two_series(self):
        tests = self.load("[a]\nfile = x\ntimeout = 1\nseries = series\n"
                          "[b]\nfile = y\ntimeout = 1\nseries = series-tsc-deadline\n")
        with self.assertRaises(plan.ListError) as e:
            plan.series_of(tests)
        self.assertIn("different series", str(e.exception))

    def test_duplicate(self):
        with self.assertRaises(plan.ListError) as e:
            plan.load([cfg("msr"), cfg("debug")])
        self.assertIn("duplicate test names: userspace_msr_exit_test", str(e.exception))


if __name__ == "__main__":
    unittest.main()
