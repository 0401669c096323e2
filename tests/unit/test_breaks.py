# SPDX-License-Identifier: GPL-2.0
"""kvmbench.breaks: each break lands on a line of the right shape in the
right file of a series written here, whatever the patch numbers.  Run:
make unittest."""
import os
import tempfile
import unittest

from kvmbench import breaks

DOCS = """From 1 Mon Sep 17 00:00:00 2001
Subject: [PATCH 1/2] KVM: x86: Document the filter

---
diff --git a/Documentation/virt/kvm/api.rst b/Documentation/virt/kvm/api.rst
--- a/Documentation/virt/kvm/api.rst
+++ b/Documentation/virt/kvm/api.rst
@@ -1,3 +1,5 @@
 The filter.
+If more than one range
+covers an MSR, the first decides.
 End.
"""
CODE = """From 2 Mon Sep 17 00:00:00 2001
Subject: [PATCH 2/2] KVM: x86: Reject bad filters

---
diff --git a/tools/testing/selftests/kvm/x86/t.c b/tools/testing/selftests/kvm/x86/t.c
--- a/tools/testing/selftests/kvm/x86/t.c
+++ b/tools/testing/selftests/kvm/x86/t.c
@@ -1,2 +1,6 @@
 int x;
+static bool guest_code(void)
+{
+	u32 i;
+}
diff --git a/arch/x86/kvm/msrs.c b/arch/x86/kvm/msrs.c
--- a/arch/x86/kvm/msrs.c
+++ b/arch/x86/kvm/msrs.c
@@ -1,2 +1,6 @@
 int y;
+static bool kvm_msr_denied(u32 index)
+{
+	u32 base;
+	return index == base;
+}
"""


class Breaks(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.series = os.path.join(self.tmp.name, "series")
        os.makedirs(self.series)
        for name, text in (("0000-cover-letter", "cover"), ("0001-docs", DOCS), ("0002-code", CODE)):
            with open(os.path.join(self.series, name + ".patch"), "w") as f:
                f.write(text)

    def tearDown(self):
        self.tmp.cleanup()

    def broken(self, name):
        out = os.path.join(self.tmp.name, name)
        target = breaks.make(name, self.series, out)
        with open(os.path.join(self.series, target + ".patch")) as f:
            old = f.read().split("\n")
        with open(os.path.join(out, target + ".patch")) as f:
            new = f.read().split("\n")
        self.assertEqual(sorted(os.listdir(out)), ["0001-docs.patch", "0002-code.patch"])
        return target, [(a, b) for a, b in zip(old, new) if a != b]

    def test_each_break_fits_its_file(self):
        self.assertEqual(self.broken("w1-warning"),
                         ("0002-code", [("+static bool kvm_msr_denied(u32 index)",
                                         "+bool kvm_msr_denied(u32 index)")]))
        self.assertEqual(self.broken("unused-variable"),
                         ("0002-code", [("+\tu32 base;", "+\tu32 base, bench_unused;")]))
        self.assertEqual(self.broken("docs-indent"),
                         ("0001-docs", [("+covers an MSR, the first decides.",
                                         "+    covers an MSR, the first decides.")]))
        self.assertEqual(self.broken("subject-mood"),
                         ("0001-docs", [("Subject: [PATCH 1/2] KVM: x86: Document the filter",
                                         "Subject: [PATCH 1/2] KVM: x86: Documents the filter")]))
        self.assertEqual(self.broken("subject-prefix")[1],
                         [("Subject: [PATCH 1/2] KVM: x86: Document the filter",
                           "Subject: [PATCH 1/2] x86/kvm: Document the filter")])
        self.assertEqual(self.broken("unapplicable-hunk")[1], [(" The filter.", " The filter. broken")])
        self.assertEqual(self.broken("trailing-whitespace")[1][0][1], "+\tu32 i; ")

    def test_unused_variable_skips_struct_members(self):
        # A member of a struct is not a local: nothing warns about a second
        # one (the 7.3 series' kvm_unfilterable_msrs[] fooled it once).
        path = os.path.join(self.series, "0002-code.patch")
        with open(path) as f:
            text = f.read()
        with open(path, "w") as f:
            f.write(text.replace(" int y;\n", " int y;\n+static const struct {\n+\tu32 nmsrs;\n+} t[] = {};\n"))
        self.assertEqual(self.broken("unused-variable"),
                         ("0002-code", [("+\tu32 base;", "+\tu32 base, bench_unused;")]))

    def test_a_break_that_fits_nothing(self):
        os.unlink(os.path.join(self.series, "0002-code.patch"))
        with self.assertRaises(LookupError):
            breaks.make("unused-variable", self.series, os.path.join(self.tmp.name, "x"))

    def test_every_gate_is_one_the_gates_run(self):
        with open(os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
                os.path.abspath(__file__)))), "scripts", "stages", "gates.sh")) as f:
            text = f.read()
        for _, gate, _ in breaks.CASES:
            self.assertIn(f"want {gate}", text if gate != "apply" else "want apply")


if __name__ == "__main__":
    unittest.main()
