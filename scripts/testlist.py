#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn test .cfg files (kvm-unit-tests' unittests.cfg style) into the VM's
tests.list: one "NAME FILE TIMEOUT ARGS..." line per test.

    [name]
    file = x86/userspace_msr_exit_test   # path under the selftest output
    timeout = 120                         # seconds, killed after that
    extra_params = -x                     # optional arguments
    groups = msr regression               # optional
"""
import configparser
import sys


def load(paths):
    tests = []
    for path in paths:
        cp = configparser.ConfigParser(inline_comment_prefixes=("#",),
                                       interpolation=None)
        with open(path) as f:
            cp.read_file(f)
        for name in cp.sections():
            sec = cp[name]
            if "file" not in sec or "timeout" not in sec:
                sys.exit(f"error: testlist: {path}: [{name}] needs file and timeout")
            tests.append({
                "name": name,
                "file": sec["file"],
                "timeout": int(sec["timeout"]),
                "args": sec.get("extra_params", ""),
                "groups": sec.get("groups", "").split(),
                "cfg": path,
            })
    names = [t["name"] for t in tests]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        sys.exit(f"error: testlist: duplicate test names: {' '.join(sorted(dup))}")
    return tests


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ("list", "files"):
        sys.exit("usage: testlist.py list|files CFG...")
    tests = load(sys.argv[2:])
    for t in tests:
        if sys.argv[1] == "list":
            print(t["name"], t["file"], t["timeout"], t["args"])
        else:
            print(t["file"])


if __name__ == "__main__":
    main()
