# SPDX-License-Identifier: GPL-2.0
"""kvmbench.cache: keys, reuse, misses and the self-test, in a scratch
CACHE.  Run: make unittest."""
import io
import os
import tempfile
import unittest
from contextlib import redirect_stderr

from kvmbench import cache


class Cache(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.old = os.environ.get("CACHE"), os.environ.pop("NO_RUN_CACHE", None)
        os.environ["CACHE"] = os.path.join(self.tmp.name, "cache")
        d = self.tmp.name
        self.script = self.file("script.sh", "echo build\n")
        self.input = self.file("config", "CONFIG_KVM=y\n")
        self.product = self.file("bzImage", "image\n")
        self.words = [f"config=@{self.input}", "gcc=12.2.0"]
        self.err = io.StringIO()
        self.d = d

    def tearDown(self):
        if self.old[0] is None:
            os.environ.pop("CACHE", None)
        else:
            os.environ["CACHE"] = self.old[0]
        if self.old[1] is not None:
            os.environ["NO_RUN_CACHE"] = self.old[1]
        self.tmp.cleanup()

    def file(self, name, text):
        path = os.path.join(self.tmp.name, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def get(self, words=None, script=None):
        with redirect_stderr(self.err):
            return cache.get("kernel", script or self.script, words or self.words, slot="s", what="a kernel")

    def test_miss_then_reuse_with_the_one_line(self):
        hit, d = self.get()
        self.assertFalse(hit)
        cache.put(d, [self.product])
        hit, d2 = self.get()
        self.assertTrue(hit)
        self.assertEqual(d, d2)
        self.assertTrue(os.path.isfile(os.path.join(d, "bzImage")))
        line = self.err.getvalue().splitlines()[-1]
        self.assertRegex(line, r"^reused kernel [0-9a-f]{16}: a kernel \(3 inputs unchanged, see "
                         r".*inputs.tsv\); NO_RUN_CACHE=1 reruns$")

    def test_every_input_and_the_script_are_in_the_key(self):
        hit, d = self.get()
        cache.put(d, [self.product])
        for change in ("config", "gcc", "script"):
            with self.subTest(change):
                words, script = list(self.words), self.script
                if change == "config":
                    words[0] = "config=@" + self.file("config2", "CONFIG_KVM=m\n")
                elif change == "gcc":
                    words[1] = "gcc=13"
                else:
                    script = self.file("script2.sh", "echo other build\n")
                hit, _ = self.get(words, script)
                self.assertFalse(hit)
                self.assertIn(f"changed since the last one: {change}", self.err.getvalue().splitlines()[-1])

    def test_same_content_other_path_hits(self):
        hit, d = self.get()
        cache.put(d, [self.product])
        moved = self.file("elsewhere", "CONFIG_KVM=y\n")
        hit, _ = self.get([f"config=@{moved}", "gcc=12.2.0"])
        self.assertTrue(hit)

    def test_no_run_cache(self):
        hit, d = self.get()
        cache.put(d, [self.product])
        os.environ["NO_RUN_CACHE"] = "1"
        try:
            self.assertFalse(self.get()[0])
        finally:
            del os.environ["NO_RUN_CACHE"]

    def test_bad_inputs(self):
        with self.assertRaises(ValueError):
            self.get(["config=@/nonexistent"])
        with self.assertRaises(ValueError):
            self.get(["no label"])
        with self.assertRaises(ValueError):
            self.get(["a=1", "a=2"])

    def test_selftest(self):
        self.assertEqual([r[0] for r in cache.selftest()], [False])  # nothing to test yet
        hit, d = self.get()
        cache.put(d, [self.product])
        res = cache.selftest()
        self.assertEqual(len(res), 1)
        self.assertTrue(res[0][0], res[0])
        self.assertIn("cache kernel: the newest entry's 3 inputs each change its key", res[0][1])

    def test_selftest_catches_a_key_that_ignores_an_input(self):
        real = cache.key_of
        try:
            # A weak key: the gcc version left out.
            cache.key_of = lambda kind, rows: real(kind, [r for r in rows if r[0] != "gcc"])
            hit, d = self.get()
            cache.put(d, [self.product])
            res = cache.selftest()
        finally:
            cache.key_of = real
        self.assertFalse(res[0][0])
        self.assertIn("changing gcc still hits", res[0][2])


if __name__ == "__main__":
    unittest.main()
