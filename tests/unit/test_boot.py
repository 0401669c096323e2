# SPDX-License-Identifier: GPL-2.0
"""kvmbench.boot: the record/replay rule (decide) on consoles written
here, and the two command builders.  Run: make unittest."""
import os
import subprocess
import sys
import tempfile
import unittest

from kvmbench import boot

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
RUN = ("KTAP version 1\n1..3\n"
       "# bench: start a timeout=10\n# bench: a exit=0 time=1s\nok 1 a\n"
       "# bench: start b timeout=10\n# bench: b exit={b} time=1s\n{b_ok} 2 b\n"
       "# bench: start c timeout=10\n# bench: c exit=0 time=1s\nok 3 c # SKIP no\n"
       "# bench: all tests done\n")


class Decide(unittest.TestCase):
    def decide(self, text, expected=(), seen=None):
        with tempfile.NamedTemporaryFile("w", suffix=".log", delete=False) as f:
            f.write(text)
        self.addCleanup(os.unlink, f.name)
        return boot.decide(f.name, expected, seen), boot.findings(f.name)

    def test_clean_run_is_recorded(self):
        (rec, why), found = self.decide(RUN.format(b=0, b_ok="ok"))
        self.assertTrue(rec, why)
        self.assertEqual(found, [])

    def test_expected_failures_only_is_recorded(self):
        (rec, _), _ = self.decide(RUN.format(b=1, b_ok="not ok"), ["b"])
        self.assertTrue(rec)

    def test_other_failure_waits_for_a_second_boot(self):
        run = RUN.format(b=1, b_ok="not ok")
        (rec, why), found = self.decide(run)
        self.assertFalse(rec)
        self.assertIn("seen once", why)
        self.assertEqual(found, ["b: fail"])
        # The next boot of the same inputs finds the same: recorded.
        (rec, why), _ = self.decide(run, seen=found)
        self.assertTrue(rec, why)
        # ... but not if it found something else.
        (rec, _), _ = self.decide(run, seen=["a: fail"])
        self.assertFalse(rec)

    def test_expected_failure_that_passed(self):
        (rec, why), _ = self.decide(RUN.format(b=0, b_ok="ok"), ["b"])
        self.assertFalse(rec)
        self.assertIn("b passed, expected to fail", why)

    def test_cut_short_is_never_recorded(self):
        run = RUN.format(b=0, b_ok="ok").split("# bench: start c")[0]
        (rec, why), _ = self.decide(run, seen=[])
        self.assertEqual((rec, why), (False, "not every test reported"))

    def test_retry_and_kernel_report(self):
        run = RUN.format(b=0, b_ok="ok").replace("ok 2 b", "ok 2 b # RETRIED after exit=1")
        (rec, _), found = self.decide(run)
        self.assertFalse(rec)
        self.assertEqual(found, ["b: passed on its retry"])
        run = RUN.format(b=0, b_ok="ok").replace("ok 1 a\n", "ok 1 a\nWARNING: CPU: 0 PID: 1 at x.c:1 f\n")
        (rec, _), found = self.decide(run)
        self.assertFalse(rec)
        self.assertEqual(found, ["kernel report on the console"])


class Commands(unittest.TestCase):
    def test_qemu(self):
        argv, files, gen = boot.qemu_command("/k", "/i", {"VM_APPEND": "x=1"})
        self.assertEqual(gen, {})
        self.assertIn("emulator", files)
        self.assertEqual(argv[argv.index("-append") + 1],
                         "console=ttyS0 panic=-1 kvm.force_emulation_prefix=1 x=1")
        self.assertEqual(argv[argv.index("-accel") + 1], "tcg")
        argv, _, _ = boot.qemu_command("/k", "/i", {"VM_ICOUNT": "shift=0", "VM_SMP": "1"})
        self.assertEqual(argv[argv.index("-accel") + 1], "tcg,thread=single")
        self.assertEqual(argv[argv.index("-icount") + 1], "shift=0")

    @unittest.skipUnless(os.path.exists(boot.BOCHS_FILES["bios"]), "no Bochs")
    def test_bochs_description_is_stable(self):
        # The cache keys on the description: the run's scratch and console
        # paths must not be in it.
        texts = []
        for tmp, console in (("/tmp/a1", "/out/x/console.log"), ("/tmp/b2", "/o/y/console.log")):
            argv, files, gen = boot.bochs_command("/k", "/i", {}, tmp, console, tmp + "/bochs.log")
            texts.append(boot.describe(argv, gen, tmp, console))
        self.assertEqual(texts[0], texts[1])
        self.assertIn("cpu: model=tigerlake", texts[0])
        self.assertIn("noxsave", texts[0])


class Watchdog(unittest.TestCase):
    def test_hung_test_is_named(self):
        with tempfile.TemporaryDirectory() as d:
            console = os.path.join(d, "console.log")
            with open(console, "w") as f:
                f.write("KTAP version 1\n1..1\n# bench: start stuck timeout=1\n")
            proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"],
                                    start_new_session=True)
            old = boot.HUNG_GRACE
            boot.HUNG_GRACE = 1
            try:
                why = boot.watch(proc, console, 1, 30)
            finally:
                boot.HUNG_GRACE = old
                boot.stop(proc)
            self.assertIn("hung in test 'stuck'", why)


if __name__ == "__main__":
    unittest.main()
