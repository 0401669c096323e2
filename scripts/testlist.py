#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn test .cfg files (kvm-unit-tests' unittests.cfg style) into the VM's
tests.list: one "NAME FILE TIMEOUT ARGS..." line per test.

    [name]
    file = x86/userspace_msr_exit_test   # path under the selftest output
    timeout = 120                         # seconds, killed after that
    extra_params = -x                     # optional arguments
    groups = msr regression               # optional
    skip_bases = 6.12                     # optional: not on these BASEs
    only_bases = 6.12                     # optional: only on these BASEs
    retries = 0                           # optional: runs after a failure (1)
    base_fails = yes                      # optional: must fail on base
    check_patched = NAME>=N NAME==NAME2   # optional: metric checks, see
    check_base = ...                      #   scripts/report.py

The list line is "NAME FILE TIMEOUT RETRIES ARGS...".
"""
import configparser
import os
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
                "skip_bases": sec.get("skip_bases", "").split(),
                "only_bases": sec.get("only_bases", "").split(),
                "retries": int(sec.get("retries", "1")),
                "base_fails": sec.get("base_fails", "no") == "yes",
                "check_patched": sec.get("check_patched", "").split(),
                "check_base": sec.get("check_base", "").split(),
                "cfg": path,
            })
    names = [t["name"] for t in tests]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        sys.exit(f"error: testlist: duplicate test names: {' '.join(sorted(dup))}")
    return tests


def fit_tree(tests, tree):
    """Map the tests onto a kernel tree: before 6.13 the x86 selftests live
    in x86_64/; a test the tree doesn't have is left out, and said so."""
    kvm = os.path.join(tree, "tools/testing/selftests/kvm")
    x86_64 = os.path.isdir(os.path.join(kvm, "x86_64"))
    kept = []
    base = os.environ.get("BASE", "")
    for t in tests:
        if os.environ.get("KERNEL_TREE"):
            if t["only_bases"]:
                continue        # a variant for one Debian base only
        elif base in t["skip_bases"]:
            print(f"testlist: {t['name']}: skipped on {base} (skip_bases)", file=sys.stderr)
            continue
        elif t["only_bases"] and base not in t["only_bases"]:
            continue
        if x86_64 and t["file"].startswith("x86/"):
            t["file"] = "x86_64/" + t["file"][4:]
        if t["file"].startswith(("vmm/", "progs/")):
            kept.append(t)      # the bench's own: scripts/mkvmm.sh, progs/
        elif os.path.exists(os.path.join(kvm, t["file"] + ".c")):
            kept.append(t)
        else:
            print(f"testlist: {t['name']}: not in this tree, left out", file=sys.stderr)
    return kept


def main():
    args = sys.argv[1:]
    tree = None
    if len(args) > 1 and args[0] == "--tree":
        tree, args = args[1], args[2:]
    if len(args) < 2 or args[0] not in ("list", "files"):
        sys.exit("usage: testlist.py [--tree KERNEL_TREE] list|files CFG...")
    tests = load(args[1:])
    if tree:
        tests = fit_tree(tests, tree)
    for t in tests:
        if args[0] == "list":
            print(t["name"], t["file"], t["timeout"], t["retries"], t["args"])
        else:
            print(t["file"])


if __name__ == "__main__":
    main()
