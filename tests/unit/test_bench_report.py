# SPDX-License-Identifier: GPL-2.0
"""kvmbench.bench_report on make bench consoles written here (the KTAP
part of a real one).  Run: make unittest."""
import json
import os
import subprocess
import sys
import tempfile
import unittest


# Calls per guest second, per benchmark and kernel (each rep the same).
RATES = {"base": {"set_filter": 20000.0, "set_filter_deny": 20000.0,
                  "filter_exit": 100000.0, "x2apic_read": 250000.0},
         "patched": {"set_filter": 16000.0, "set_filter_deny": 5000.0,
                     "filter_exit": 100000.0, "x2apic_read": 250000.0}}


def console(rates):
    lines = ["KTAP version 1", "1..1", "# bench: start msr_bench timeout=120"]
    for r in (1, 2, 3):
        lines += [f"# # metric: bench_{k}_r{r}={v:.1f}" for k, v in rates.items()]
    lines += ["# bench: msr_bench exit=0 time=13.5s", "ok 1 msr_bench",
              "# bench: all tests done"]
    return "\n".join(lines) + "\n"


class BenchReport(unittest.TestCase):
    def run_report(self, d, *extra):
        return subprocess.run([sys.executable, "-m", "kvmbench.bench_report", "--tag", "t", "--dir", d,
                               "--rounds", "2", *extra],
                              capture_output=True, text=True)

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        d = self.tmp.name
        for v in RATES:
            for r in (1, 2):
                os.makedirs(os.path.join(d, f"round-{r}", v))
                with open(os.path.join(d, f"round-{r}", v, "console.log"), "w") as f:
                    f.write(console(RATES[v]))
        with open(os.path.join(d, "timings.tsv"), "w") as f:
            f.write("initramfs-svm\t0.4\tok\nboot-svm-base-1\t91.5\tok\nboot-svm-patched-1\t90.0\tok\n"
                    "boot-svm-patched-2\t92.0\tok\nboot-svm-base-2\t93.0\tok\n")

    def tearDown(self):
        self.tmp.cleanup()

    def test_icount_units(self):
        p = self.run_report(self.tmp.name, "--icount", "shift=0,align=off,sleep=off")
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(os.path.join(self.tmp.name, "bench.json")) as f:
            res = json.load(f)
        self.assertEqual(res["clock"], "icount shift=0,align=off,sleep=off")
        b = res["benchmarks"]["set_filter_deny"]
        self.assertAlmostEqual(b["ratio"], 0.25)
        self.assertAlmostEqual(b["insns_per_op"]["base"], 50000)
        self.assertAlmostEqual(b["insns_per_op"]["patched"], 200000)
        self.assertEqual(res["boot_wall_s"], {"base": [91.5, 93.0], "patched": [90.0, 92.0]})
        self.assertIn("calls/guest s", p.stdout)
        self.assertIn("host wall clock (not the unit)", p.stdout)

    def test_wall_clock(self):
        p = self.run_report(self.tmp.name)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(os.path.join(self.tmp.name, "bench.json")) as f:
            res = json.load(f)
        self.assertEqual(res["clock"], "host wall time")
        self.assertNotIn("insns_per_op", res["benchmarks"]["set_filter"])
        self.assertIn("clock: host wall time", p.stdout)

    def test_icount_shift_auto_refused(self):
        p = self.run_report(self.tmp.name, "--icount", "shift=auto")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("shift=auto", p.stderr)


if __name__ == "__main__":
    unittest.main()
