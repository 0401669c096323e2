# SPDX-License-Identifier: GPL-2.0
"""guest/vmm/qemu_msr_filter's nested vCPU count: one by default, two with
bench.nested_smp=2 on the test VM's command line (the flake's reproducer,
docs/flakes.md F1), in a 2-core topology whose MSR 0x35 is 0x20002 either
way."""
import os
import re
import subprocess
import unittest

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(TOP, "guest", "vmm", "qemu_msr_filter")


class NestedSmp(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(SCRIPT) as f:
            cls.text = f.read()
        m = re.search(r"^smp=\$\(sed -n '([^']+)' /proc/cmdline\)$", cls.text, re.M)
        assert m, "no smp=$(sed -n '...' /proc/cmdline) line in " + SCRIPT
        cls.sed = m.group(1)

    def smp(self, cmdline):
        """The nested vCPU count the script uses on CMDLINE."""
        out = subprocess.run(["sed", "-n", self.sed], input=cmdline + "\n",
                             capture_output=True, text=True, check=True).stdout.strip()
        return out or "1"  # the script's ${smp:-1}

    def test_default_is_one(self):
        self.assertEqual(self.smp("console=ttyS0 panic=-1 kvm.force_emulation_prefix=1"), "1")

    def test_reproducer_asks_for_two(self):
        self.assertEqual(self.smp("console=ttyS0 bench.nested_smp=2 panic=-1"), "2")
        self.assertEqual(self.smp("console=ttyS0 panic=-1 bench.nested_smp=2"), "2")

    def test_only_one_or_two(self):
        # The topology has two cores: -smp 3 would not start.
        self.assertEqual(self.smp("bench.nested_smp=3"), "1")

    def test_topology_keeps_the_answer(self):
        self.assertIn('-smp "${smp:-1}",cores=2,threads=1,maxcpus=2 ', self.text)
        self.assertIn("want=0x20002", self.text)
        self.assertIn("nested vCPU(s)", self.text)


if __name__ == "__main__":
    unittest.main()
