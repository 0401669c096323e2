#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn test .cfg files (kvm-unit-tests' unittests.cfg style) into the VM's
tests.list: one "NAME FILE TIMEOUT RETRIES ARGS..." line per test.

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
    check_base = ...                      #   scripts/report/report.py
    vendors = svm vmx                     # optional: the machines it runs
                                          #   on (default: svm)
    vmx.extra_params = -n 10000           # optional: VENDOR.KEY overrides
                                          #   KEY on that machine
    vmx.skip = too slow under Bochs       # optional: why a machine that
                                          #   is not in vendors doesn't run it

Roles in the report (scripts/report/report.py), also per test:

    focus = yes                           # its cases get rows of their own
                                          #   in the table, and it must run
    new_cases = source                    # which of its cases the series
                                          #   adds: "source" (those in the
                                          #   patched tree's source of the
                                          #   test and not in the base's) or
                                          #   a list of case names; each must
                                          #   fail on base and pass patched
    must_pass = yes                       # shown in the table; must pass on
                                          #   base and on patched
    base_passes = yes                     # must pass (or skip) on base: one
                                          #   verdict per machine for all of
                                          #   them (the regression set), no
                                          #   table rows
    label = vmm                           # the table's last column for the
                                          #   test (default: its first group)
    cover_note = TEXT {METRIC}            # a sentence for the cover letter's
                                          #   "How tested" when it passes on
                                          #   patched; {METRIC}: its value
    series = series                       # the series directory (under the
                                          #   top) the test belongs to; none:
                                          #   any series (e.g. the regression
                                          #   set).  Usually in [DEFAULT].

Tests with base_fails or a check_* key are shown in the table too.

The machines (VENDOR): svm is QEMU TCG -cpu max (emulated AMD SVM,
scripts/stages/run-vm.sh), vmx is Bochs (emulated Intel VMX, scripts/stages/run-bochs.sh).
A .cfg may set any key for all its tests in a [DEFAULT] section.

"series" prints the series directory the lists belong to (empty if none
names one).  "base-fails" prints the tests of one machine (as "list") that
must fail on the base kernel: base_fails, or cases the series adds.  "files" prints the files of the tests of every vendor named by --vendor or
$VENDOR (words; default svm), for building them; "list" prints the list of
one machine: that vendor's if exactly one is named, else svm's.
"""
import configparser
import os
import sys

VENDORS = ("svm", "vmx")
DEFAULT_VENDORS = ["svm"]
# Keys a VENDOR.KEY line may override on one machine.
OVERRIDABLE = ("timeout", "extra_params", "retries", "check_patched", "check_base",
               "skip_bases", "only_bases")


def _fields(get):
    """The per-test fields, read through get(key, default)."""
    return {
        "timeout": int(get("timeout", "0")),
        "args": get("extra_params", ""),
        "skip_bases": get("skip_bases", "").split(),
        "only_bases": get("only_bases", "").split(),
        "retries": int(get("retries", "1")),
        "check_patched": get("check_patched", "").split(),
        "check_base": get("check_base", "").split(),
    }


def _yes(path, name, sec, key):
    v = sec.get(key, "no")
    if v not in ("yes", "no"):
        sys.exit(f"error: testlist: {path}: [{name}] {key} = {v}: yes or no")
    return v == "yes"


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
            vendors = sec.get("vendors", " ".join(DEFAULT_VENDORS)).split()
            per = {v: {} for v in VENDORS}
            skip = {}
            for key in sec:
                if "." not in key:
                    continue
                v, k = key.split(".", 1)
                if v not in VENDORS:
                    sys.exit(f"error: testlist: {path}: [{name}] {key}: "
                             f"unknown vendor '{v}' (known: {' '.join(VENDORS)})")
                if k == "skip":
                    skip[v] = sec[key]
                elif k in OVERRIDABLE:
                    per[v][k] = sec[key]
                else:
                    sys.exit(f"error: testlist: {path}: [{name}] {key}: "
                             f"{k} can't differ per vendor ({' '.join(OVERRIDABLE)} can)")
            bad = [v for v in vendors if v not in VENDORS]
            both = [v for v in vendors if v in skip]
            if bad or both:
                sys.exit(f"error: testlist: {path}: [{name}] vendors = {' '.join(vendors)}: "
                         + (f"unknown {' '.join(bad)}" if bad else
                            f"{' '.join(both)} also has a skip reason"))
            new_cases = sec.get("new_cases", "").split()
            t = {
                "name": name,
                "file": sec["file"],
                "groups": sec.get("groups", "").split(),
                "base_fails": _yes(path, name, sec, "base_fails"),
                "focus": _yes(path, name, sec, "focus"),
                "must_pass": _yes(path, name, sec, "must_pass"),
                "base_passes": _yes(path, name, sec, "base_passes"),
                "new_cases": "source" if new_cases == ["source"] else new_cases,
                "label": sec.get("label", (sec.get("groups", "").split() or [""])[0]),
                "cover_note": sec.get("cover_note", ""),
                "series": sec.get("series", ""),
                "vendors": vendors,
                "skip_vendors": skip,
                "per_vendor": {v: _fields(lambda k, d, v=v: per[v].get(k, sec.get(k, d)))
                               for v in VENDORS},
                "cfg": path,
            }
            t.update(t["per_vendor"][DEFAULT_VENDORS[0]])
            tests.append(t)
    names = [t["name"] for t in tests]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        sys.exit(f"error: testlist: duplicate test names: {' '.join(sorted(dup))}")
    return tests


def series_of(tests):
    """The one series directory the tests belong to ("" if none names
    one); two different ones are an error."""
    named = sorted({t["series"] for t in tests if t["series"]})
    if len(named) > 1:
        sys.exit(f"error: testlist: the test lists belong to different series: {' '.join(named)}")
    return named[0] if named else ""


def roles(tests):
    """The report's roles, in the lists' order: (focus, must_pass, shown)
    names; shown are the tests with base_fails or a check_* key."""
    focus = [t["name"] for t in tests if t["focus"]]
    must_pass = [t["name"] for t in tests if t["must_pass"]]
    shown = [t["name"] for t in tests
             if t["base_fails"] or t["check_base"] or t["check_patched"]]
    return focus, must_pass, shown


def for_vendor(tests, vendor):
    """The tests one machine runs, with its VENDOR.KEY values in force."""
    kept = []
    for t in tests:
        if vendor in t["vendors"]:
            t = dict(t)
            t.update(t["per_vendor"][vendor])
            kept.append(t)
    return kept


def skip_reason(t, vendor):
    """Why a machine doesn't run a test (None if it does)."""
    if vendor in t["vendors"]:
        return None
    return t["skip_vendors"].get(
        vendor, f"not for {vendor} in {os.path.basename(t['cfg'])} "
        f"(vendors = {' '.join(t['vendors'])})")


def vendors_from(value):
    """The vendors a --vendor option or $VENDOR names (words or commas)."""
    names = value.replace(",", " ").split() or list(DEFAULT_VENDORS)
    bad = [v for v in names if v not in VENDORS]
    if bad:
        sys.exit(f"error: testlist: unknown vendor {' '.join(bad)} (known: {' '.join(VENDORS)})")
    return names


def for_base(tests, quiet=True):
    """The tests for $BASE (skip_bases, only_bases); with KERNEL_TREE, those
    not meant for one Debian base only."""
    kept = []
    base = os.environ.get("BASE", "")
    for t in tests:
        if os.environ.get("KERNEL_TREE"):
            if t["only_bases"]:
                continue        # a variant for one Debian base only
        elif base in t["skip_bases"]:
            if not quiet:
                print(f"testlist: {t['name']}: skipped on {base} (skip_bases)", file=sys.stderr)
            continue
        elif t["only_bases"] and base not in t["only_bases"]:
            continue
        kept.append(t)
    return kept


def fit_tree(tests, tree, quiet=False):
    """Map the tests onto a kernel tree: before 6.13 the x86 selftests live
    in x86_64/; a test the tree doesn't have is left out, and said so."""
    kvm = os.path.join(tree, "tools/testing/selftests/kvm")
    x86_64 = os.path.isdir(os.path.join(kvm, "x86_64"))
    kept = []
    for t in for_base(tests, quiet=quiet):
        if x86_64 and t["file"].startswith("x86/"):
            t["file"] = "x86_64/" + t["file"][4:]
        if t["file"].startswith(("vmm/", "progs/")):
            kept.append(t)      # the bench's own: scripts/stages/mkvmm.sh, progs/
        elif os.path.exists(os.path.join(kvm, t["file"] + ".c")):
            kept.append(t)
        elif not quiet:
            print(f"testlist: {t['name']}: not in this tree, left out", file=sys.stderr)
    return kept


def main():
    args = sys.argv[1:]
    tree = None
    vendor = os.environ.get("VENDOR", "")
    while len(args) > 1 and args[0] in ("--tree", "--vendor"):
        if args[0] == "--tree":
            tree = args[1]
        else:
            vendor = args[1]
        args = args[2:]
    if len(args) < 2 or args[0] not in ("list", "files", "series", "base-fails"):
        sys.exit("usage: testlist.py [--tree KERNEL_TREE] [--vendor VENDOR...] "
                 "list|files|series|base-fails CFG...")
    if args[0] == "series":
        print(series_of(load(args[1:])))
        return
    vendors = vendors_from(vendor)
    if args[0] in ("list", "base-fails") and len(vendors) > 1:
        vendors = list(DEFAULT_VENDORS)
    loaded = load(args[1:])
    seen = set()
    for i, v in enumerate(vendors):
        tests = for_vendor(loaded, v)
        if tree:
            tests = fit_tree(tests, tree, quiet=i > 0)
        for t in tests:
            if args[0] == "list":
                print(t["name"], t["file"], t["timeout"], t["retries"], t["args"])
            elif args[0] == "base-fails":
                if t["base_fails"] or t["new_cases"]:
                    print(t["name"])
            elif t["file"] not in seen:
                seen.add(t["file"])
                print(t["file"])


if __name__ == "__main__":
    main()
