# SPDX-License-Identifier: GPL-2.0
"""The test lists (tests/*.cfg) and the plan of a run: the bench's one
reader of them, and the one place their format is described.

Format: kvm-unit-tests' unittests.cfg (an INI file), a section per test.
[DEFAULT] sets a key for every test of the file.

    [NAME]                   the test's name in the console and the report
    file = x86/userspace_msr_exit_test
                             a KVM selftest (path under the tree's
                             tools/testing/selftests/kvm), or one of the
                             bench's own guest programs: progs/NAME
                             (guest/progs/NAME.c or the script NAME) or
                             vmm/NAME (guest/vmm/, with the nested-VMM payload)
    timeout = 120            guest seconds; the guest kills it after that
    extra_params = -n 100    its arguments (optional)
    retries = 1              runs after a failure (default 1; 0: none)
    groups = msr             free words; the first is the default label
    series = series          the series directories (under the top, in the
                             order they are applied) whose patched tree the
                             list judges; usually in [DEFAULT].  A list
                             without one goes with any series.
    vendors = svm vmx        the machines that run it (default svm):
                             svm = QEMU TCG, emulated AMD SVM; vmx = Bochs,
                             emulated Intel VMX
    VENDOR.skip = REASON     why a machine not in vendors doesn't run it
    VENDOR.KEY = VALUE       KEY's value on that machine, for the keys
                             marked (v) below and timeout, extra_params,
                             retries

What a test is to the report (the verdicts, docs/tests.md):

    focus = yes              its cases get table rows; it must run
    new_cases = source       (v) cases the series adds, each must fail on
                             base and pass on patched: "source" (the cases
                             in the patched tree's source of the test and
                             not in the base tree's) or a list of names
    pass_cases = NAMES       (v) cases taken out of new_cases on that
                             machine: each must pass on both kernels
    must_pass = yes          (v) shown in the table; must pass on both
    base_passes = yes        must pass or skip on base (the regression
                             set: one verdict per machine, no rows)
    base_fails = yes         must fail on base and pass on patched
    check_patched = EXPR...  (v) metric checks on the patched run: NAME OP
    check_base = EXPR...     (v) VALUE or NAME OP NAME, OP one of == != >=
                             <= > <; programs print "# metric: NAME=VALUE"
    label = vmm              the table's last column (default: first group)
    cover_note = TEXT        a sentence for the cover letter's "How
                             tested" when it passes on patched; {METRIC}
                             is replaced by the patched value

The plan (make_plan, called once per run after the trees are made):
the files to build, and per machine the guest's test list (one "NAME FILE
TIMEOUT RETRIES ARGS" line a test, read by guest/init), the tests the base
kernel must fail, the guest seconds the run may take, what the initramfs
needs beside the tests, the new cases of each test and what it skips.

    python3 -m kvmbench.plan series CFG...      the series, one a line
    python3 -m kvmbench.plan make --out DIR --vendors "svm vmx"
            [--tree PATCHED --base-tree BASE] CFG...
        writes DIR/plan.json, DIR/plan.env (for the shell) and
        DIR/VENDOR.list
"""
import configparser
import json
import os
import re
import shlex
import sys

VENDORS = ("svm", "vmx")
DEFAULT_VENDORS = ["svm"]
PER_VENDOR = ("timeout", "extra_params", "retries", "check_patched", "check_base",
              "new_cases", "pass_cases", "must_pass")
KEYS = set(PER_VENDOR) | {"file", "groups", "series", "vendors", "focus", "base_passes",
                          "base_fails", "label", "cover_note"}
CASE_SRC_RE = re.compile(r"^\s*(?:KVM_ONE_VCPU_TEST|TEST_F|TEST)\(\s*(\w+)\s*,\s*(\w+)", re.M)
TEST_SRC_RE = re.compile(r"^\s*TEST\(\s*(\w+)\s*\)", re.M)
# Guest seconds a test may take beyond its timeout (start, teardown).
SLACK = 10


class ListError(Exception):
    pass


def _yes(where, key, v):
    if v not in ("yes", "no"):
        raise ListError(f"{where} {key} = {v}: yes or no")
    return v == "yes"


def load(paths):
    """The tests of the lists, in order: dicts with the keys' values and
    "per_vendor" (each machine's values of the PER_VENDOR keys)."""
    tests = []
    for path in paths:
        cp = configparser.ConfigParser(inline_comment_prefixes=("#",), interpolation=None)
        with open(path) as f:
            cp.read_file(f)
        for name in cp.sections():
            sec = cp[name]
            where = f"{path}: [{name}]"
            if "file" not in sec or "timeout" not in sec:
                raise ListError(f"{where} needs file and timeout")
            per = {v: {} for v in VENDORS}
            skip = {}
            for key in sec:
                v, dot, k = key.partition(".")
                if not dot:
                    if key not in KEYS:
                        raise ListError(f"{where} {key}: not a key (see scripts/kvmbench/plan.py)")
                    continue
                if v not in VENDORS:
                    raise ListError(f"{where} {key}: unknown vendor '{v}' (known: {' '.join(VENDORS)})")
                if k == "skip":
                    skip[v] = sec[key]
                elif k in PER_VENDOR:
                    per[v][k] = sec[key]
                else:
                    raise ListError(f"{where} {key}: {k} can't differ per vendor "
                                    f"({' '.join(PER_VENDOR)} can)")
            vendors = sec.get("vendors", " ".join(DEFAULT_VENDORS)).split()
            bad = [v for v in vendors if v not in VENDORS]
            both = [v for v in vendors if v in skip]
            if bad or both:
                raise ListError(f"{where} vendors = {' '.join(vendors)}: " +
                                (f"unknown {' '.join(bad)}" if bad else
                                 f"{' '.join(both)} also has a skip reason"))

            def fields(v):
                def get(k, d):
                    return per[v].get(k, sec.get(k, d))
                nc = get("new_cases", "").split()
                return {"timeout": int(get("timeout", "0")),
                        "args": get("extra_params", ""),
                        "retries": int(get("retries", "1")),
                        "check_patched": get("check_patched", "").split(),
                        "check_base": get("check_base", "").split(),
                        "new_cases": "source" if nc == ["source"] else nc,
                        "pass_cases": get("pass_cases", "").split(),
                        "must_pass": _yes(where, "must_pass", get("must_pass", "no"))}
            groups = sec.get("groups", "").split()
            tests.append({
                "name": name, "file": sec["file"], "cfg": path, "groups": groups,
                "series": sec.get("series", "").split(),
                "focus": _yes(where, "focus", sec.get("focus", "no")),
                "base_passes": _yes(where, "base_passes", sec.get("base_passes", "no")),
                "base_fails": _yes(where, "base_fails", sec.get("base_fails", "no")),
                "label": sec.get("label", groups[0] if groups else ""),
                "cover_note": sec.get("cover_note", ""),
                "vendors": vendors, "skip": skip,
                "per_vendor": {v: fields(v) for v in VENDORS},
            })
    names = [t["name"] for t in tests]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ListError(f"duplicate test names: {' '.join(dup)}")
    return tests


def series_of(tests):
    """The series the lists judge, in order ([] if none names one); lists
    that name different ones can't run together."""
    named = {tuple(t["series"]) for t in tests if t["series"]}
    if len(named) > 1:
        raise ListError("the test lists judge different series: " +
                        "; ".join(" ".join(s) for s in sorted(named)))
    return list(named.pop()) if named else []


def source_cases(path):
    """The kselftest_harness case names a selftest's source defines, as the
    harness prints them: FIXTURE.NAME, and global.NAME for TEST(NAME)."""
    try:
        with open(path) as f:
            text = f.read()
    except FileNotFoundError:
        return []
    return ([f"{a}.{b}" for a, b in CASE_SRC_RE.findall(text)] +
            [f"global.{n}" for n in TEST_SRC_RE.findall(text)])


def _source(tree, t):
    return os.path.join(tree, "tools/testing/selftests/kvm", t["file"] + ".c")


def _bench_own(t):
    return t["file"].startswith(("progs/", "vmm/"))


def make_plan(paths, vendors, tree=None, base_tree=None):
    tests = load(paths)
    plan = {"series": series_of(tests),
            "lists": [os.path.basename(p)[:-len(".cfg")] for p in paths],
            "tests": {}, "vendors": {}, "warnings": [], "files": []}
    for t in tests:
        plan["tests"][t["name"]] = {k: t[k] for k in (
            "file", "groups", "focus", "base_passes", "base_fails", "label", "cover_note")}
        plan["tests"][t["name"]]["cfg"] = os.path.basename(t["cfg"])
    # What the series adds to a test's source (for new_cases = source).
    added = {}
    for t in tests:
        if not any(t["per_vendor"][v]["new_cases"] == "source" for v in VENDORS):
            continue
        if tree is None or base_tree is None:
            added[t["name"]] = None
            continue
        ps = source_cases(_source(tree, t))
        if not ps:
            plan["warnings"].append(f"{t['name']}: no source {_source(tree, t)} for new_cases")
        bs = set(source_cases(_source(base_tree, t)))
        added[t["name"]] = [c for c in ps if c not in bs]
    runs_on = {v: [t for t in tests if v in t["vendors"]] for v in vendors}
    for v in vendors:
        run = []
        for t in runs_on[v]:
            if tree and not _bench_own(t) and not os.path.exists(_source(tree, t)):
                plan["warnings"].append(f"{t['name']}: not in this tree, left out")
                continue
            run.append(t)
        # What this machine doesn't run, by list and reason; with several
        # machines, only what another one runs.
        others = {t["name"] for w in vendors if w != v for t in runs_on[w]}
        groups = {}
        for t in tests:
            if v in t["vendors"] or (len(vendors) > 1 and t["name"] not in others):
                continue
            reason = t["skip"].get(v, f"not for {v} in {os.path.basename(t['cfg'])} "
                                      f"(vendors = {' '.join(t['vendors'])})")
            groups.setdefault((t["cfg"], reason), []).append(t["name"])
        skipped = []
        for (cfg, reason), names in groups.items():
            in_cfg = [t["name"] for t in tests if t["cfg"] == cfg and
                      (len(vendors) == 1 or t["name"] in others)]
            what = (f"tests/{os.path.basename(cfg)} ({len(names)} test{'s' if len(names) > 1 else ''})"
                    if names == in_cfg else ", ".join(names))
            skipped.append({"what": what, "tests": names, "reason": reason})
        per_test = {}
        for t in run:
            f = dict(t["per_vendor"][v])
            nc = added.get(t["name"]) if f["new_cases"] == "source" else f["new_cases"]
            f["new_cases"] = [c for c in (nc or []) if c not in f["pass_cases"]]
            f["new_cases_unknown"] = nc is None and t["name"] in added
            per_test[t["name"]] = f
        expect = [t["name"] for t in run if t["base_fails"] or per_test[t["name"]]["new_cases"]]
        plan["vendors"][v] = {
            "run": [t["name"] for t in run],
            "per_test": per_test,
            "skipped": skipped,
            "expect_fail_base": expect,
            "limit": sum((per_test[t["name"]]["timeout"] + SLACK) * (per_test[t["name"]]["retries"] + 1)
                         for t in run),
            "needs_vmm": any(t["file"].startswith("vmm/") for t in run),
            "kselftest": sorted({a for t in run if t["file"] == "progs/run_kselftest"
                                 for a in per_test[t["name"]]["args"].split()}),
        }
        for t in run:
            if t["file"] not in plan["files"]:
                plan["files"].append(t["file"])
    return plan


def guest_list(plan, v):
    """The guest's test list (guest/init): NAME FILE TIMEOUT RETRIES ARGS."""
    out = []
    for n in plan["vendors"][v]["run"]:
        f = plan["vendors"][v]["per_test"][n]
        out.append(f"{n} {plan['tests'][n]['file']} {f['timeout']} {f['retries']} {f['args']}".rstrip())
    return "".join(line + "\n" for line in out)


def write_plan(plan, out):
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "plan.json"), "w") as f:
        json.dump(plan, f, indent=1)
    env = [f"PLAN_SERIES=({' '.join(shlex.quote(s) for s in plan['series'])})",
           f"PLAN_FILES=({' '.join(shlex.quote(s) for s in plan['files'])})",
           f"PLAN_VENDORS=({' '.join(v for v in plan['vendors'] if plan['vendors'][v]['run'])})"]
    for v, p in plan["vendors"].items():
        with open(os.path.join(out, f"{v}.list"), "w") as f:
            f.write(guest_list(plan, v))
        env += [f"PLAN_LIMIT_{v}={p['limit']}",
                f"PLAN_EXPECT_FAIL_{v}={shlex.quote(' '.join(p['expect_fail_base']))}",
                f"PLAN_NEEDS_VMM_{v}={'1' if p['needs_vmm'] else ''}",
                f"PLAN_KSELFTEST_{v}={shlex.quote(' '.join(p['kselftest']))}",
                f"PLAN_LISTS_{v}={shlex.quote('+'.join(plan['lists']))}"]
    with open(os.path.join(out, "plan.env"), "w") as f:
        f.write("# shellcheck shell=bash disable=SC2034\n" + "\n".join(env) + "\n")


def main(argv):
    import argparse
    ap = argparse.ArgumentParser(prog="python3 -m kvmbench.plan")
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("series")
    s.add_argument("cfgs", nargs="+")
    m = sub.add_parser("make")
    m.add_argument("--out", required=True)
    m.add_argument("--vendors", default="svm")
    m.add_argument("--tree")
    m.add_argument("--base-tree")
    m.add_argument("cfgs", nargs="+")
    a = ap.parse_args(argv)
    try:
        if a.cmd == "series":
            print("\n".join(series_of(load(a.cfgs))))
            return 0
        vendors = a.vendors.replace(",", " ").split() or DEFAULT_VENDORS
        bad = [v for v in vendors if v not in VENDORS]
        if bad:
            raise ListError(f"unknown vendor {' '.join(bad)} (svm: QEMU, emulated AMD SVM; "
                            "vmx: Bochs, emulated Intel VMX)")
        plan = make_plan(a.cfgs, vendors, a.tree, a.base_tree)
    except (ListError, configparser.Error) as e:
        print(f"error: plan: {e}", file=sys.stderr)
        return 1
    for w in plan["warnings"]:
        print(f"plan: {w}", file=sys.stderr)
    write_plan(plan, a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
