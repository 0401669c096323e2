# SPDX-License-Identifier: GPL-2.0
"""Turn a run's consoles into verdicts (KTAP), a table and report.json.
The verdict rules are docs/tests.md's; the roles come from the run's plan
(kvmbench.plan, which read the test lists).

    python3 -m kvmbench.report prove --plan DIR --out DIR --tag TAG
        --run VENDOR BASE_LOG PATCHED_LOG ... [--source-env F] [--timings F]
        [--verdicts KTAP]
    python3 -m kvmbench.report debug --plan DIR --out DIR --tag TAG
        --console LOG --config FRAGMENT [--timings F]

prove, on each machine: no kernel report on either console; every test
and case that passes on base passes on patched; the tests marked
base_passes pass or skip on base; each new case fails on base and passes
on patched; each pass_case and must_pass test passes on both; base_fails
tests fail on base and pass on patched; every metric check holds.  A
machine that doesn't run a test is a SKIP verdict with the plan's reason.
--verdicts adds a stage's own verdicts (the trees stage's apply orders).

debug (the patched debug kernel, one console): no kernel report, every
test passes, every check_patched holds.

Both print the table, write verdicts.ktap and end with "TAG: N checks
passed, N failed"; exit 1 if any failed.
"""
import argparse
import json
import os
import re
import sys

from . import ktap

CHECK_RE = re.compile(r"^(\w+)(==|!=|>=|<=|>|<)([\w.]+)$")
MACHINES = {"svm": "QEMU TCG -cpu max, emulated AMD SVM", "vmx": "Bochs, emulated Intel VMX"}
EMULATOR = {"svm": "QEMU", "vmx": "Bochs"}


def read_env(path):
    """A KEY=VALUE file (scripts/stages/fetch.sh's source.env); {} if none."""
    env = {}
    if path and os.path.exists(path):
        with open(path) as f:
            for line in f:
                if "=" in line:
                    k, v = line.strip().split("=", 1)
                    env[k] = v.strip('"')
    return env


def read_timings(path):
    """A stage timings file: NAME, SECONDS, STATUS a line (lib.sh timed)."""
    out = []
    if path and os.path.exists(path):
        with open(path) as f:
            for line in f:
                p = line.rstrip("\n").split("\t")
                if len(p) == 3:
                    out.append({"stage": p[0], "seconds": float(p[1]), "status": p[2]})
    return out


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


def regressions(v, b, p):
    """Every test and case that passes on base (B, as parse_console
    returns them) passes on patched (P), on machine V."""
    out = []
    for name, t in b.items():
        if t.get("status") == "pass":
            ps = p.get(name, {}).get("status", "missing")
            out.append((ps == "pass", f"{v}: regression: {name} passes on patched as on base",
                        f"patched: {ps}"))
        for c, s in t.get("cases", {}).items():
            if s == "pass":
                ps = p.get(name, {}).get("cases", {}).get(c, "missing")
                out.append((ps == "pass", f"{v}: regression: {name}:{c} passes on patched as on base",
                            f"patched: {ps}"))
    return out


def base_passes(v, names, b):
    """The tests NAMES pass on base (B), or skip themselves; None if none."""
    if not names:
        return None
    bad = [f"{n}: {b.get(n, {}).get('status', 'missing')}" for n in names
           if b.get(n, {}).get("status") not in ("pass", "skip")]
    return (not bad, f"{v}: base: the {len(names)} tests marked base_passes pass or skip",
            ", ".join(bad))


def write_verdicts(out, tag, what, verdicts):
    """verdicts.ktap, the failures and the count; 1 if any failed.  A
    verdict is (ok, description, why); ok None is a SKIP."""
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


def load_run(out, vendor, variant, log):
    """Parse one console; write its ktap.log and results.tsv under
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
    return {"tests": tests, "reports": reports, "reused": reused, "metrics": metrics,
            "console": os.path.abspath(log), "booted": True,
            "retried": sorted(n for n, t in tests.items() if t.get("retried"))}


def read_plan(d):
    with open(os.path.join(d, "plan.json")) as f:
        return json.load(f)


def verdicts_of(plan, by_vendor):
    """The verdicts of a prove run, machine by machine."""
    verdicts = []

    def verdict(ok, desc, why=""):
        verdicts.append((ok, desc, why))

    for v, m in by_vendor.items():
        pv = plan["vendors"][v]
        runs = m["runs"]
        b, p = runs["base"]["tests"], runs["patched"]["tests"]
        booted = runs["base"]["booted"] or runs["patched"]["booted"]
        for var in ("base", "patched"):
            if runs[var]["booted"]:
                r = runs[var]["reports"]
                verdict(not r, f"{v}: {var}: console has no kernel report",
                        f"{len(r)} report lines, first: {r[0]}" if r else "")
        for s in pv["skipped"]:
            verdict(None, f"{v}: {s['what']}", s["reason"])
        if not booted:
            continue
        run = pv["run"]
        for n in run:
            if plan["tests"][n]["focus"]:
                for var, tests in (("base", b), ("patched", p)):
                    verdict(n in tests, f"{v}: {var}: {n} ran", "missing from the console log")
        verdicts += regressions(v, b, p)
        bp = base_passes(v, [n for n in run if plan["tests"][n]["base_passes"]], b)
        if bp:
            verdicts.append(bp)
        for n in run:
            t, f = plan["tests"][n], pv["per_test"][n]
            if f["new_cases_unknown"]:
                verdict(None, f"{v}: new cases of {n}", "the plan had no trees to compare")
            for c in f["new_cases"]:
                bst = b.get(n, {}).get("cases", {}).get(c, "missing")
                pst = p.get(n, {}).get("cases", {}).get(c, "missing")
                verdict(bst == "fail", f"{v}: new case {n}:{c} fails on base", f"base: {bst}")
                verdict(pst == "pass", f"{v}: new case {n}:{c} passes on patched", f"patched: {pst}")
            for c in f["pass_cases"]:
                for var, tests in (("base", b), ("patched", p)):
                    st = tests.get(n, {}).get("cases", {}).get(c, "missing")
                    verdict(st == "pass", f"{v}: {var}: case {n}:{c} passes", f"{var}: {st}")
            if t["base_fails"]:
                st = b.get(n, {}).get("status", "missing")
                verdict(st == "fail", f"{v}: {n} fails on base (it can fail)", f"base: {st}")
            if t["base_fails"] or f["check_base"] or f["check_patched"]:
                st = p.get(n, {}).get("status", "missing")
                verdict(st == "pass", f"{v}: {n} passes on patched", f"patched: {st}")
            for var, key in (("base", "check_base"), ("patched", "check_patched")):
                for expr in f[key]:
                    ok, found = check_metric(expr, runs[var]["metrics"])
                    verdict(ok, f"{v}: {var}: {n}: {expr}", found)
            if f["must_pass"]:
                for var, tests in (("base", b), ("patched", p)):
                    st = tests.get(n, {}).get("status", "missing")
                    verdict(st == "pass", f"{v}: {var}: {n} passes", f"{var}: {st}")
    return verdicts


def table_of(plan, by_vendor):
    """The side-by-side table: (text lines, rows for report.json)."""
    vendors = list(by_vendor)

    def status_of(v, var, test, case=None):
        if any(test in s["tests"] for s in plan["vendors"][v]["skipped"]):
            return "SKIP"
        t = by_vendor[v]["runs"][var]["tests"].get(test, {})
        return t.get("status", "-") if case is None else t.get("cases", {}).get(case, "-")

    def present(n):
        return any(n in by_vendor[v]["runs"][var]["tests"] for v in vendors for var in ("base", "patched"))

    rows = []
    shown = set()
    for n, t in plan["tests"].items():
        if not t["focus"]:
            continue
        new_on = {v: set(plan["vendors"][v]["per_test"].get(n, {}).get("new_cases", [])) for v in vendors}
        cases = list(dict.fromkeys(c for v in vendors for var in ("base", "patched")
                                   for c in by_vendor[v]["runs"][var]["tests"].get(n, {}).get("cases", {})))
        for c in cases:
            on = [v for v in vendors if c in new_on[v]]
            ran = [v for v in vendors if n in plan["vendors"][v]["per_test"]]
            kind = "stock" if not on else "new" if on == ran else "new on " + " ".join(on)
            rows.append((c, n, c, kind))
        rows.append((f"{n} (whole test)", n, None, ""))
        shown.add(n)
    for n, t in plan["tests"].items():
        per = [plan["vendors"][v]["per_test"].get(n, {}) for v in vendors]
        if n in shown or not present(n):
            continue
        if t["base_fails"] or any(f.get("must_pass") or f.get("check_base") or f.get("check_patched")
                                  for f in per):
            rows.append((n, n, None, t["label"]))
            shown.add(n)
    w = max([len(r[0]) for r in rows] + [30])
    colw, pair = 8, 17
    lines = [(f"{'':<{w}}  " + "   ".join(f"{v + ' (' + EMULATOR[v] + ')':<{pair}}" for v in vendors)).rstrip(),
             (f"{'test case':<{w}}  " + "   ".join(f"{'base':<{colw}} {'patched':<{colw}}"
                                                   for _ in vendors)).rstrip(),
             f"{'-' * w}  " + "   ".join(f"{'-' * colw} {'-' * colw}" for _ in vendors)]
    table_rows = []
    for label, test, case, kind in rows:
        cells = {v: {var: status_of(v, var, test, case) for var in ("base", "patched")} for v in vendors}
        lines.append((f"{label:<{w}}  " + "   ".join(
            f"{cells[v]['base']:<{colw}} {cells[v]['patched']:<{colw}}" for v in vendors)
            + f" {kind}").rstrip())
        table_rows.append(dict({"case": label, "kind": kind}, **cells))
    for v in vendors:
        runs = by_vendor[v]["runs"]
        others = [n for n in dict.fromkeys(list(runs["base"]["tests"]) + list(runs["patched"]["tests"]))
                  if n not in shown]
        for var in ("base", "patched") if others else ():
            c = {s: sum(1 for n in others if runs[var]["tests"].get(n, {}).get("status") == s)
                 for s in ("pass", "fail", "skip", "timeout")}
            lines.append(f"{v}: the other tests on {var}: {c['pass']} pass, {c['fail']} fail, "
                         f"{c['skip']} skip, {c['timeout']} timeout ({len(others)} tests)"
                         + (f"; passed on a second run: {', '.join(runs[var]['retried'])}"
                            if runs[var]["retried"] else ""))
        for var in ("base", "patched"):
            if runs[var]["reused"]:
                lines.append(f"{v}: {var}: reused (a recorded run of the same kernel, "
                             "initramfs and command; docs/caching.md)")
        for s in plan["vendors"][v]["skipped"]:
            lines.append(f"{v}: SKIP {s['what']}: {s['reason']}")
    keys = sorted({k for v in vendors for var in ("base", "patched")
                   for k in by_vendor[v]["runs"][var]["metrics"]})
    if keys:
        lines += ["", f"{'metric':<{w}}  " + "   ".join(f"{v + ' base':>12} {v + ' patched':>12}"
                                                         for v in vendors)]
        for k in keys:
            def fmt(x):
                if x is None:
                    return "-"
                return f"{int(x) & 0xffffffff:08x}" if k.endswith("_digest") else f"{x:g}"
            lines.append(f"{k:<{w}}  " + "   ".join(
                f"{fmt(by_vendor[v]['runs']['base']['metrics'].get(k)):>12} "
                f"{fmt(by_vendor[v]['runs']['patched']['metrics'].get(k)):>12}" for v in vendors))
    return lines, table_rows


def prove(a):
    plan = read_plan(a.plan)
    by_vendor = {}
    for v, blog, plog in a.run:
        if v not in plan["vendors"]:
            sys.exit(f"error: report: no plan for vendor '{v}'")
        by_vendor[v] = {"machine": MACHINES[v],
                        "runs": {"base": load_run(a.out, v, "base", blog),
                                 "patched": load_run(a.out, v, "patched", plog)}}
    verdicts = []
    for path in a.verdicts:
        with open(path) as f:
            for line in f:
                r = ktap.parse_result(line.rstrip("\n"))
                if r:
                    verdicts.append((None if ktap.status(r[0], r[3]) == "skip" else r[0], r[2],
                                     "" if r[0] else (r[3] or "")))
    verdicts += verdicts_of(plan, by_vendor)
    lines, rows = table_of(plan, by_vendor)
    table = "\n".join(lines)
    npass = sum(1 for v in verdicts if v[0])
    nskip = sum(1 for v in verdicts if v[0] is None)
    report = {"tag": a.tag, "source": read_env(a.source_env), "vendors": list(by_vendor),
              "by_vendor": by_vendor, "plan": plan, "table": rows,
              "verdicts": [{"ok": ok, "check": d, "detail": why} for ok, d, why in verdicts],
              "passed": npass, "failed": len(verdicts) - npass - nskip, "skipped": nskip,
              "timings": read_timings(a.timings)}
    with open(os.path.join(a.out, "report.json"), "w") as f:
        json.dump(report, f, indent=1)
    with open(os.path.join(a.out, "table.txt"), "w") as f:
        f.write(table + "\n")
    print(table)
    return write_verdicts(a.out, a.tag, "", verdicts)


def debug(a):
    plan = read_plan(a.plan)
    os.makedirs(a.out, exist_ok=True)
    tests, reports, ktap_lines, reused, metrics = ktap.parse_console(a.console)
    verdicts = [(not reports, "debug kernel: console has no kernel report",
                 f"{len(reports)} report lines, first: {reports[0]}" if reports else "")]
    rows = []
    pv = plan["vendors"]["svm"]
    for n in pv["run"]:
        t = tests.get(n, {})
        st = t.get("status", "missing")
        verdicts.append((st == "pass", f"debug kernel: {n} passes", st))
        for expr in pv["per_test"][n]["check_patched"]:
            ok, found = check_metric(expr, metrics)
            verdicts.append((ok, f"debug kernel: {n}: {expr}", found))
        rows.append(f"  {n:<32} {st}{' (passed on a second run)' if t.get('retried') else ''}  "
                    f"{t.get('time', 0):.1f}s")
    options = []
    if os.path.exists(a.config):
        with open(a.config) as f:
            options = [line.strip() for line in f if line.startswith("CONFIG_")]
    lines = ([f"debug kernel ({a.tag} patched + {os.path.basename(a.config)})"
              + (" [reused]" if reused else "")] + rows + [f"  console reports: {len(reports)}"]
             + [f"  {k} = {v}" for k, v in sorted(metrics.items()) if not k.endswith("_digest")])
    with open(os.path.join(a.out, "ktap.log"), "w") as f:
        f.write("\n".join(ktap_lines) + "\n")
    with open(os.path.join(a.out, "table.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    npass = sum(1 for v in verdicts if v[0])
    with open(os.path.join(a.out, "report.json"), "w") as f:
        json.dump({"tag": a.tag, "config": options, "tests": tests, "reports": reports,
                   "metrics": metrics, "reused": reused, "timings": read_timings(a.timings),
                   "verdicts": [{"ok": ok, "check": d, "detail": w} for ok, d, w in verdicts],
                   "passed": npass, "failed": len(verdicts) - npass}, f, indent=1)
    print("\n".join(lines))
    return write_verdicts(a.out, a.tag, " debug kernel", verdicts)


def main(argv):
    ap = argparse.ArgumentParser(prog="python3 -m kvmbench.report")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("prove")
    p.add_argument("--run", nargs=3, action="append", default=[],
                   metavar=("VENDOR", "BASE_LOG", "PATCHED_LOG"))
    p.add_argument("--source-env", default="")
    p.add_argument("--verdicts", action="append", default=[])
    d = sub.add_parser("debug")
    d.add_argument("--console", required=True)
    d.add_argument("--config", default="")
    for s in (p, d):
        s.add_argument("--plan", required=True)
        s.add_argument("--out", required=True)
        s.add_argument("--tag", required=True)
        s.add_argument("--timings", default="")
    a = ap.parse_args(argv)
    return prove(a) if a.cmd == "prove" else debug(a)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
