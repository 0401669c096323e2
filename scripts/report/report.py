#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Read the console logs of the base and patched runs on each machine
(VENDOR: svm is QEMU TCG -cpu max, emulated AMD SVM; vmx is Bochs, emulated
Intel VMX), write per-run KTAP logs and result tables, the side-by-side
table (a base / patched column pair per machine) and report.json, and check
the verdicts, on each machine:

  * no panic, oops, BUG, WARN, KASAN or UBSAN report on either console;
  * every test (and test case) that passes on base passes on patched;
  * the tests marked base_passes (the regression set) pass or skip on
    base: the base run uses the patched tree's selftest library too, so a
    series that breaks the library fails them on both kernels, which the
    rule above can't see;
  * every test case that the series adds (found in the patched tree's
    source and not in the base tree's) fails on base and passes on patched;
  * tests marked base_fails in their .cfg (--cfg) fail on base and pass on
    patched, and their metric checks (check_base, check_patched, with the
    machine's VENDOR.KEY values) hold.
    Programs print metrics as "# metric: NAME=VALUE"; a check is
    NAME OP VALUE or NAME OP NAME, OP one of == != >= <= > <.

Tests a machine doesn't run (a .cfg's vendors and VENDOR.skip keys) are a
SKIP verdict with the reason, one per list or per test.
Prints the bench's verdicts as KTAP and ends with "N passed, N failed".
Exit status 1 if any verdict failed.
"""
import argparse
import json
import os
import re
import sys

# ktap.py (the console's reader) and testlist.py (the test lists') live
# one level up, in scripts/.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import benchlib  # noqa: E402
import ktap  # noqa: E402
import testlist  # noqa: E402

CHECK_RE = re.compile(r"^(\w+)(==|!=|>=|<=|>|<)([\w.]+)$")
CASE_SRC_RE = re.compile(r"^\s*(?:KVM_ONE_VCPU_TEST|TEST_F|TEST)\(\s*(\w+)\s*,\s*(\w+)",
                         re.M)
TEST_SRC_RE = re.compile(r"^\s*TEST\(\s*(\w+)\s*\)", re.M)


def check_metric(expr, metrics):
    """Evaluate one check; return (ok, what it found)."""
    m = CHECK_RE.match(expr)
    if not m:
        return False, f"bad check '{expr}'"
    name, op, rhs = m.groups()
    if name not in metrics:
        return False, f"{name} not reported"
    lhs = metrics[name]
    if re.match(r"^\d+$", rhs):
        val = int(rhs)
    elif re.match(r"^[\d.]+$", rhs):
        val = float(rhs)
    elif rhs in metrics:
        val = metrics[rhs]
    else:
        return False, f"{rhs} not reported"
    ok = {"==": lhs == val, "!=": lhs != val, ">=": lhs >= val, "<=": lhs <= val,
          ">": lhs > val, "<": lhs < val}[op]
    return ok, f"{name}={lhs:g}" + ("" if rhs not in metrics else f", {rhs}={val:g}")


def source_cases(path):
    """The kselftest_harness case names a test's source defines, as the
    harness prints them: FIXTURE.NAME, and global.NAME for a plain
    TEST(NAME)."""
    try:
        with open(path) as f:
            text = f.read()
    except FileNotFoundError:
        return []
    return ([f"{a}.{b}" for a, b in CASE_SRC_RE.findall(text)] +
            [f"global.{n}" for n in TEST_SRC_RE.findall(text)])


def regressions(v, b, p):
    """Machine V's regression verdicts: every test and test case that
    passes on base (B, tests as ktap.parse_console returns them) passes on
    patched (P)."""
    out = []
    for name, t in b.items():
        if t.get("status") == "pass":
            ps = p.get(name, {}).get("status", "missing")
            out.append((ps == "pass", f"{v}: regression: {name} passes on patched as on base",
                        f"patched: {ps}"))
        for c, s in t.get("cases", {}).items():
            if s == "pass":
                ps = p.get(name, {}).get("cases", {}).get(c, "missing")
                out.append((ps == "pass",
                            f"{v}: regression: {name}:{c} passes on patched as on base",
                            f"patched: {ps}"))
    return out


def base_passes(v, names, b):
    """Machine V's verdict that the tests NAMES (those marked base_passes
    that it ran) pass on base (B), or skip themselves (a feature the
    emulated CPU lacks); None if there are none."""
    if not names:
        return None
    bad = [f"{n}: {b.get(n, {}).get('status', 'missing')}" for n in names
           if b.get(n, {}).get("status") not in ("pass", "skip")]
    return (not bad, f"{v}: base: the {len(names)} tests marked base_passes pass or skip",
            ", ".join(bad))


def write_verdicts(out, tag, what, verdicts):
    """Write verdicts.ktap, print the failures and the count; return the
    exit status (1 if a verdict failed).  A verdict is (ok, description,
    why); ok None is a SKIP, why its reason."""
    npass = sum(1 for v in verdicts if v[0])
    nskip = sum(1 for v in verdicts if v[0] is None)
    nfail = len(verdicts) - npass - nskip
    ktap.write_ktap(os.path.join(out, "verdicts.ktap"), verdicts)
    for ok, d, why in verdicts:
        if ok is False:
            print(f"FAILED: {tag}: {d}: {why}")
    print(f"{tag}{what}: {npass} checks passed, {nfail} failed"
          + (f", {nskip} skipped" if nskip else "") + f"; logs in {out}/")
    return 1 if nfail else 0


MACHINES = {"svm": "QEMU TCG -cpu max, emulated AMD SVM",
            "vmx": "Bochs, emulated Intel VMX"}
EMULATOR = {"svm": "QEMU", "vmx": "Bochs"}


def load_run(out, vendor, variant, log):
    """Parse one console log; write its ktap.log and results.tsv under
    OUT/VENDOR/VARIANT/.  LOG "-": the machine booted nothing."""
    if log == "-":
        return {"tests": {}, "reports": [], "reused": False, "metrics": {},
                "console": None, "retried": [], "booted": False}
    tests, reports, lines, reused, metrics = ktap.parse_console(log)
    d = os.path.join(out, vendor, variant)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "ktap.log"), "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(d, "results.tsv"), "w") as f:
        f.write("test\tcase\tresult\n")
        for name, t in tests.items():
            f.write(f"{name}\t-\t{t.get('status', 'missing')}\n")
            for c, s in t.get("cases", {}).items():
                f.write(f"{name}\t{c}\t{s}\n")
    return {"tests": tests, "reports": reports, "reused": reused,
            "metrics": metrics, "console": os.path.abspath(log),
            "retried": sorted(n for n, t in tests.items() if t.get("retried")),
            "booted": True}


def skipped_lists(cfg_tests, vendor, ran_elsewhere):
    """What a machine doesn't run, grouped by list and reason:
    [(what, [names], reason)].  A test counts if it is for this base and
    either ran on another machine or no other machine ran at all."""
    groups = {}
    for t in testlist.for_base(cfg_tests):
        why = testlist.skip_reason(t, vendor)
        if why is None or (ran_elsewhere is not None and t["name"] not in ran_elsewhere):
            continue
        groups.setdefault((t["cfg"], why), []).append(t["name"])
    out = []
    for (cfg, why), names in groups.items():
        in_cfg = [t["name"] for t in testlist.for_base(cfg_tests) if t["cfg"] == cfg]
        if ran_elsewhere is not None:
            in_cfg = [n for n in in_cfg if n in ran_elsewhere]
        what = (f"tests/{os.path.basename(cfg)} ({len(names)} test{'s' if len(names) > 1 else ''})"
                if len(names) == len(in_cfg) else ", ".join(names))
        out.append((what, names, why))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tag", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--run", nargs=3, action="append", default=[],
                    metavar=("VENDOR", "BASE_LOG", "PATCHED_LOG"),
                    help="the two console logs of one machine (svm, vmx); repeat per machine")
    ap.add_argument("--base-log", help="same as --run svm BASE_LOG PATCHED_LOG")
    ap.add_argument("--patched-log")
    ap.add_argument("--base-src", required=True)
    ap.add_argument("--patched-src", required=True)
    ap.add_argument("--cfg", action="append", default=[],
                    help="test lists: their vendors, roles (focus, new_cases, must_pass), "
                    "base_fails and check_* keys apply")
    ap.add_argument("--source-env", default="")
    ap.add_argument("--timings", default="")
    a = ap.parse_args()
    if a.base_log and a.patched_log:
        a.run.insert(0, ["svm", a.base_log, a.patched_log])
    if not a.run:
        ap.error("no runs: give --run VENDOR BASE_LOG PATCHED_LOG")

    all_cfg_tests = testlist.load(a.cfg)
    vendors = [r[0] for r in a.run]
    by_vendor = {}
    for v, blog, plog in a.run:
        if v not in MACHINES:
            sys.exit(f"error: report: unknown vendor '{v}' (known: {' '.join(MACHINES)})")
        by_vendor[v] = {"machine": MACHINES[v],
                        "runs": {"base": load_run(a.out, v, "base", blog),
                                 "patched": load_run(a.out, v, "patched", plog)}}

    focus, also_names, _ = testlist.roles(testlist.for_base(all_cfg_tests))
    cfg_by_name = {t["name"]: t for t in all_cfg_tests}
    verdicts = []   # (ok, description, why); ok None: SKIP, why the reason

    def verdict(ok, desc, why=""):
        verdicts.append((ok, desc, why))

    # New cases: named in the .cfg, or (new_cases = source) in the patched
    # tree's source of the test and not in the base tree's.
    new_cases = {}
    for f in focus:
        if cfg_by_name[f]["new_cases"] != "source":
            new_cases[f] = list(cfg_by_name[f]["new_cases"])
            continue
        srcs = [f"tools/testing/selftests/kvm/{d}/{f}.c" for d in ("x86", "x86_64")]
        bs = set(c for src in srcs for c in source_cases(os.path.join(a.base_src, src)))
        ps = [c for src in srcs for c in source_cases(os.path.join(a.patched_src, src))]
        if not ps:
            verdict(False, f"source of {f} found in the patched tree", " or ".join(srcs))
        new_cases[f] = [c for c in ps if c not in bs]

    for v in vendors:
        runs = by_vendor[v]["runs"]
        b, p = runs["base"]["tests"], runs["patched"]["tests"]
        vendor_tests = {t["name"]: t for t in testlist.for_vendor(all_cfg_tests, v)}
        ran_elsewhere = set()
        for w in vendors:
            if w != v:
                for var in ("base", "patched"):
                    ran_elsewhere |= set(by_vendor[w]["runs"][var]["tests"])
        skipped = skipped_lists(all_cfg_tests, v, ran_elsewhere if len(vendors) > 1 else None)
        by_vendor[v]["skipped"] = [{"what": w, "tests": n, "reason": r} for w, n, r in skipped]
        skipped_names = {n for _, names, _ in skipped for n in names}

        for var in ("base", "patched"):
            if not runs[var]["booted"]:
                continue
            r = runs[var]["reports"]
            verdict(not r, f"{v}: {var}: console has no kernel report",
                    f"{len(r)} report lines, first: {r[0]}" if r else "")
        for what, names, why in skipped:
            verdict(None, f"{v}: {what}", why)

        booted = runs["base"]["booted"] or runs["patched"]["booted"]
        for f in focus:
            if f in skipped_names or not booted:
                continue
            for var, tests in (("base", b), ("patched", p)):
                verdict(f in tests, f"{v}: {var}: {f} ran", "missing from the console log")

        verdicts += regressions(v, b, p)
        if runs["base"]["booted"]:
            bp = base_passes(v, [t["name"] for t in vendor_tests.values()
                                 if t["base_passes"] and t["name"] not in skipped_names], b)
            if bp:
                verdicts.append(bp)

        for f, cases in new_cases.items():
            if f in skipped_names or not booted:
                continue
            for c in cases:
                bst = b.get(f, {}).get("cases", {}).get(c, "missing")
                pst = p.get(f, {}).get("cases", {}).get(c, "missing")
                verdict(bst == "fail", f"{v}: new case {f}:{c} fails on base", f"base: {bst}")
                verdict(pst == "pass", f"{v}: new case {f}:{c} passes on patched",
                        f"patched: {pst}")

        # Tests that must fail on base, pass on patched, and meet their
        # checks (with this machine's values).
        rel = []
        for t in vendor_tests.values():
            if not (t["base_fails"] or t["check_base"] or t["check_patched"]):
                continue
            n = t["name"]
            if n not in b and n not in p:
                continue        # not in this run (another base's variant)
            rel.append(n)
            bst = b.get(n, {}).get("status", "missing")
            pst = p.get(n, {}).get("status", "missing")
            if t["base_fails"]:
                verdict(bst == "fail", f"{v}: {n} fails on base (it can fail)", f"base: {bst}")
            verdict(pst == "pass", f"{v}: {n} passes on patched", f"patched: {pst}")
            for var, key in (("base", "check_base"), ("patched", "check_patched")):
                for expr in t[key]:
                    ok, found = check_metric(expr, runs[var]["metrics"])
                    verdict(ok, f"{v}: {var}: {n}: {expr}", found)
        by_vendor[v]["reliability"] = rel

        for t in also_names:
            if t not in b and t not in p:
                continue
            for var, tests in (("base", b), ("patched", p)):
                st = tests.get(t, {}).get("status", "missing")
                verdict(st == "pass", f"{v}: {var}: {t} passes", f"{var}: {st}")

    # Side-by-side table: a base / patched column pair per machine.
    def status_of(v, var, test, case=None):
        if test in {n for s in by_vendor[v]["skipped"] for n in s["tests"]}:
            return "SKIP"
        t = by_vendor[v]["runs"][var]["tests"].get(test, {})
        if case is None:
            return t.get("status", "-")
        return t.get("cases", {}).get(case, "-")

    def present(name):
        return any(name in by_vendor[v]["runs"][var]["tests"]
                   for v in vendors for var in ("base", "patched"))

    rows = []       # (case, test, case-or-None, kind)
    for f in focus:
        cases = list(dict.fromkeys(c for v in vendors for var in ("base", "patched")
                                   for c in by_vendor[v]["runs"][var]["tests"]
                                   .get(f, {}).get("cases", {})))
        for c in cases:
            rows.append((c, f, c, "new" if c in new_cases.get(f, []) else "stock"))
        rows.append((f"{f} (whole test)", f, None, ""))
    also = [t for t in also_names if present(t)]
    for t in also:
        rows.append((t, t, None, cfg_by_name[t]["label"]))
    rel = list(dict.fromkeys(n for v in vendors for n in by_vendor[v]["reliability"]))
    for t in rel:
        rows.append((t, t, None, cfg_by_name[t]["label"]))
    shown = set(focus + also + rel)

    w = max([len(r[0]) for r in rows] + [30])
    colw = 8
    pair = 2 * colw + 1
    lines = [(f"{'':<{w}}  " + "   ".join(f"{v + ' (' + EMULATOR[v] + ')':<{pair}}"
                                         for v in vendors)).rstrip(),
             (f"{'test case':<{w}}  " + "   ".join(f"{'base':<{colw}} {'patched':<{colw}}"
                                                   for _ in vendors)).rstrip(),
             f"{'-' * w}  " + "   ".join(f"{'-' * colw} {'-' * colw}" for _ in vendors)]
    table_rows = []
    for label, test, case, kind in rows:
        cells = {v: {var: status_of(v, var, test, case) for var in ("base", "patched")}
                 for v in vendors}
        lines.append((f"{label:<{w}}  " + "   ".join(
            f"{cells[v]['base']:<{colw}} {cells[v]['patched']:<{colw}}" for v in vendors)
            + f" {kind}").rstrip())
        row = {"case": label, "kind": kind}
        row.update(cells[vendors[0]])       # base, patched: the first machine's
        row.update(cells)
        table_rows.append(row)
    for v in vendors:
        runs = by_vendor[v]["runs"]
        others = [n for n in dict.fromkeys(list(runs["base"]["tests"]) + list(runs["patched"]["tests"]))
                  if n not in shown]
        for var in ("base", "patched"):
            if not others:
                continue
            c = {s: sum(1 for n in others if runs[var]["tests"].get(n, {}).get("status") == s)
                 for s in ("pass", "fail", "skip", "timeout")}
            lines.append(f"{v}: regression set on {var}: {c['pass']} pass, {c['fail']} fail, "
                         f"{c['skip']} skip, {c['timeout']} timeout "
                         f"({len(others)} tests)"
                         + (f"; passed on a second run: {', '.join(runs[var]['retried'])}"
                            if runs[var]["retried"] else ""))
        for var in ("base", "patched"):
            if runs[var]["reused"]:
                lines.append(f"{v}: {var}: recorded run reused")
        for s in by_vendor[v]["skipped"]:
            lines.append(f"{v}: SKIP {s['what']}: {s['reason']}")
    keys = sorted(set(k for v in vendors for var in ("base", "patched")
                      for k in by_vendor[v]["runs"][var]["metrics"]))
    if keys:
        lines.append("")
        lines.append(f"{'metric':<{w}}  " + "   ".join(
            f"{v + ' base':>12} {v + ' patched':>12}" for v in vendors))
        for k in keys:
            fmt = lambda x: "-" if x is None else f"{x:g}"
            if k.endswith("_digest"):
                fmt = lambda x: "-" if x is None else f"{int(x) & 0xffffffff:08x}"
            lines.append(f"{k:<{w}}  " + "   ".join(
                f"{fmt(by_vendor[v]['runs']['base']['metrics'].get(k)):>12} "
                f"{fmt(by_vendor[v]['runs']['patched']['metrics'].get(k)):>12}"
                for v in vendors))
    table = "\n".join(lines)

    env = benchlib.read_env(a.source_env)
    timings = benchlib.read_timings(a.timings)

    npass = sum(1 for v in verdicts if v[0])
    nskip = sum(1 for v in verdicts if v[0] is None)
    report = {
        "tag": a.tag,
        "source": env,
        "vendors": vendors,
        "by_vendor": by_vendor,
        # The first machine's runs, as before there was more than one.
        "runs": by_vendor[vendors[0]]["runs"],
        "new_cases": new_cases,
        # The roles the test lists gave (tests/*.cfg), for the cover letter.
        "roles": {"series": testlist.series_of(all_cfg_tests), "focus": focus,
                  "lists": sorted(os.path.basename(c)[:-len(".cfg")] for c in a.cfg),
                  "must_pass": also_names,
                  "cover_notes": {t["name"]: t["cover_note"] for t in all_cfg_tests
                                  if t["cover_note"]}},
        "table": table_rows,
        "verdicts": [{"ok": ok, "check": d, "detail": why} for ok, d, why in verdicts],
        "passed": npass,
        "failed": len(verdicts) - npass - nskip,
        "skipped": nskip,
        "timings": timings,
    }
    with open(os.path.join(a.out, "report.json"), "w") as f:
        json.dump(report, f, indent=1)
    with open(os.path.join(a.out, "table.txt"), "w") as f:
        f.write(table + "\n")
    print(table)
    return write_verdicts(a.out, a.tag, "", verdicts)


if __name__ == "__main__":
    sys.exit(main())
