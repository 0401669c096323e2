#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Read the console logs of the base and patched runs, write per-kernel KTAP
logs and result tables, the side-by-side table and report.json, and check
the verdicts:

  * no panic, oops, BUG, WARN, KASAN or UBSAN report on either console;
  * every test (and test case) that passes on base passes on patched;
  * every test case that the series adds (found in the patched tree's
    source and not in the base tree's) fails on base and passes on patched;
  * tests marked base_fails in their .cfg (--cfg) fail on base and pass on
    patched, and their metric checks (check_base, check_patched) hold.
    Programs print metrics as "# metric: NAME=VALUE"; a check is
    NAME OP VALUE or NAME OP NAME, OP one of == != >= <= > <.

Prints the bench's verdicts as KTAP and ends with "N passed, N failed".
Exit status 1 if any verdict failed.
"""
import argparse
import json
import os
import re
import sys

REPORT_RE = re.compile(r"Kernel panic|Oops:|BUG:|WARNING: |KASAN:|UBSAN:|"
                       r"general protection fault|kernel BUG at|Call Trace:|"
                       r"INFO: task .* blocked|possible recursive locking|"
                       r"suspicious RCU usage|circular locking dependency")
METRIC_RE = re.compile(r"^# # metric: (\w+)=(\S+)$")
CHECK_RE = re.compile(r"^(\w+)(==|!=|>=|<=|>|<)([\w.]+)$")
TOP_RE = re.compile(r"^(not ok|ok) (\d+) (\S+)(?: # (.*))?$")
SUB_RE = re.compile(r"^# (not ok|ok) (\d+) (\S+)(?: # (.*))?$")
CASE_SRC_RE = re.compile(r"^\s*(?:KVM_ONE_VCPU_TEST|TEST_F|TEST)\(\s*(\w+)\s*,\s*(\w+)",
                         re.M)


def status(ok, directive):
    d = (directive or "").upper()
    if d.startswith("SKIP"):
        return "skip"
    if d.startswith("TIMEOUT"):
        return "timeout"
    return "pass" if ok == "ok" else "fail"


def parse_console(path):
    """Return (tests, reports, ktap_lines, reused, metrics) for one console
    log."""
    tests = {}      # name -> {"status", "cases": {case: status}, "time"}
    metrics = {}
    reports = []
    ktap = []
    reused = False
    in_ktap = False
    pending = {}
    with open(path, errors="replace") as f:
        for raw in f:
            line = raw.rstrip("\r\n")
            if REPORT_RE.search(line):
                reports.append(line.strip())
            if line.startswith("KTAP version"):
                in_ktap = True
            if not in_ktap:
                continue
            ktap.append(line)
            if line.startswith("# bench: verdict reused"):
                reused = True
            m = METRIC_RE.match(line)
            if m:
                val = m.group(2)
                metrics[m.group(1)] = int(val) if re.match(r"^-?\d+$", val) else float(val)
                continue
            m = SUB_RE.match(line)
            if m:
                pending[m.group(3)] = status(m.group(1), m.group(4))
                continue
            m = re.match(r"^# bench: (\S+) exit=(\d+) time=([\d.]+)s", line)
            if m:
                tests.setdefault(m.group(1), {})["time"] = float(m.group(3))
                continue
            m = TOP_RE.match(line)
            if m:
                t = tests.setdefault(m.group(3), {})
                t["status"] = status(m.group(1), m.group(4))
                t["retried"] = (m.group(4) or "").startswith("RETRIED")
                t["cases"] = pending
                pending = {}
    return tests, reports, ktap, reused, metrics


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
    try:
        with open(path) as f:
            return [f"{a}.{b}" for a, b in CASE_SRC_RE.findall(f.read())]
    except FileNotFoundError:
        return []


def read_timings(path):
    """The stage timings a pipeline wrote (NAME, SECONDS, STATUS a line)."""
    timings = []
    if path and os.path.exists(path):
        for l in open(path):
            parts = l.rstrip("\n").split("\t")
            if len(parts) == 3:
                timings.append({"stage": parts[0], "seconds": float(parts[1]),
                                "status": parts[2]})
    return timings


def write_verdicts(out, tag, what, verdicts):
    """Write verdicts.ktap, print the failures and the count; return the
    exit status (1 if a verdict failed)."""
    npass = sum(1 for v in verdicts if v[0])
    with open(os.path.join(out, "verdicts.ktap"), "w") as f:
        f.write("KTAP version 1\n1..%d\n" % len(verdicts))
        for i, (ok, d, why) in enumerate(verdicts, 1):
            f.write(f"{'ok' if ok else 'not ok'} {i} {d}" + (f" # {why}" if not ok and why else "") + "\n")
    for ok, d, why in verdicts:
        if not ok:
            print(f"FAILED: {tag}: {d}: {why}")
    print(f"{tag}{what}: {npass} checks passed, {len(verdicts) - npass} failed; logs in {out}/")
    return 1 if npass < len(verdicts) else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tag", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--base-log", required=True)
    ap.add_argument("--patched-log", required=True)
    ap.add_argument("--base-src", required=True)
    ap.add_argument("--patched-src", required=True)
    ap.add_argument("--focus", default="userspace_msr_exit_test",
                    help="tests whose cases get the side-by-side table")
    ap.add_argument("--also", default="qemu_msr_filter",
                    help="more tests shown in the table; each must pass on both kernels")
    ap.add_argument("--cfg", action="append", default=[],
                    help="test lists whose base_fails and check_* keys apply")
    ap.add_argument("--source-env", default="")
    ap.add_argument("--timings", default="")
    a = ap.parse_args()

    runs = {}
    for v, log in (("base", a.base_log), ("patched", a.patched_log)):
        tests, reports, ktap, reused, metrics = parse_console(log)
        runs[v] = {"tests": tests, "reports": reports, "reused": reused,
                   "metrics": metrics, "console": os.path.abspath(log)}
        d = os.path.join(a.out, v)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "ktap.log"), "w") as f:
            f.write("\n".join(ktap) + "\n")
        with open(os.path.join(d, "results.tsv"), "w") as f:
            f.write("test\tcase\tresult\n")
            for name, t in tests.items():
                f.write(f"{name}\t-\t{t.get('status', 'missing')}\n")
                for c, s in t.get("cases", {}).items():
                    f.write(f"{name}\t{c}\t{s}\n")

    focus = a.focus.split(",")
    verdicts = []   # (ok, description, directive)

    def verdict(ok, desc, why=""):
        verdicts.append((ok, desc, why))

    for v in ("base", "patched"):
        r = runs[v]["reports"]
        verdict(not r, f"{v}: console has no kernel report",
                f"{len(r)} report lines, first: {r[0]}" if r else "")

    b, p = runs["base"]["tests"], runs["patched"]["tests"]
    for v, tests in (("base", b), ("patched", p)):
        for f in focus:
            verdict(f in tests, f"{v}: {f} ran", "missing from the console log")

    # Regression: nothing that passes on base may fail on patched.
    for name, t in b.items():
        if t.get("status") == "pass":
            ps = p.get(name, {}).get("status", "missing")
            verdict(ps == "pass", f"regression: {name} passes on patched as on base",
                    f"patched: {ps}")
        for c, s in t.get("cases", {}).items():
            if s == "pass":
                ps = p.get(name, {}).get("cases", {}).get(c, "missing")
                verdict(ps == "pass", f"regression: {name}:{c} passes on patched as on base",
                        f"patched: {ps}")

    # New cases: in the patched tree's source, not in the base tree's.
    new_cases = {}
    for f in focus:
        srcs = [f"tools/testing/selftests/kvm/{d}/{f}.c" for d in ("x86", "x86_64")]
        bs = set(c for src in srcs for c in source_cases(os.path.join(a.base_src, src)))
        ps = [c for src in srcs for c in source_cases(os.path.join(a.patched_src, src))]
        if not ps:
            verdict(False, f"source of {f} found in the patched tree", " or ".join(srcs))
        new_cases[f] = [c for c in ps if c not in bs]
    for f, cases in new_cases.items():
        for c in cases:
            bst = b.get(f, {}).get("cases", {}).get(c, "missing")
            pst = p.get(f, {}).get("cases", {}).get(c, "missing")
            verdict(bst == "fail", f"new case {f}:{c} fails on base", f"base: {bst}")
            verdict(pst == "pass", f"new case {f}:{c} passes on patched", f"patched: {pst}")

    # Tests that must fail on base, pass on patched, and meet their checks.
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import testlist
    cfg_tests = [t for t in testlist.load(a.cfg)
                 if t["base_fails"] or t["check_base"] or t["check_patched"]]
    rel = []
    for t in cfg_tests:
        n = t["name"]
        if n not in b and n not in p:
            continue        # not in this run (another base's variant)
        rel.append(n)
        bst = b.get(n, {}).get("status", "missing")
        pst = p.get(n, {}).get("status", "missing")
        if t["base_fails"]:
            verdict(bst == "fail", f"{n} fails on base (it can fail)", f"base: {bst}")
        verdict(pst == "pass", f"{n} passes on patched", f"patched: {pst}")
        for v, key in (("base", "check_base"), ("patched", "check_patched")):
            for expr in t[key]:
                ok, found = check_metric(expr, runs[v]["metrics"])
                verdict(ok, f"{v}: {n}: {expr}", found)

    also = [t for t in a.also.split(",") if t and (t in b or t in p)]
    for t in also:
        for v, tests in (("base", b), ("patched", p)):
            st = tests.get(t, {}).get("status", "missing")
            verdict(st == "pass", f"{v}: {t} passes", f"{v}: {st}")

    # Side-by-side table.
    rows = []
    for f in focus:
        cases = list(dict.fromkeys(list(b.get(f, {}).get("cases", {})) +
                                   list(p.get(f, {}).get("cases", {}))))
        for c in cases:
            rows.append((c, b.get(f, {}).get("cases", {}).get(c, "-"),
                         p.get(f, {}).get("cases", {}).get(c, "-"),
                         "new" if c in new_cases.get(f, []) else "stock"))
        rows.append((f"{f} (whole test)", b.get(f, {}).get("status", "-"),
                     p.get(f, {}).get("status", "-"), ""))
    for t in also:
        rows.append((t, b.get(t, {}).get("status", "-"), p.get(t, {}).get("status", "-"), "vmm"))
    for t in rel:
        rows.append((t, b.get(t, {}).get("status", "-"), p.get(t, {}).get("status", "-"),
                     "reliability"))
    others = [n for n in dict.fromkeys(list(b) + list(p)) if n not in focus + also + rel]
    count = {v: {s: sum(1 for n in others if runs[v]["tests"].get(n, {}).get("status") == s)
                 for s in ("pass", "fail", "skip", "timeout")} for v in runs}
    w = max([len(r[0]) for r in rows] + [30])
    lines = [f"{'test case':<{w}}  {'base':<8} {'patched':<8}",
             f"{'-' * w}  {'-' * 8} {'-' * 8}"]
    for c, bs, ps, kind in rows:
        lines.append(f"{c:<{w}}  {bs:<8} {ps:<8} {kind}".rstrip())
    for v in ("base", "patched"):
        runs[v]["retried"] = sorted(n for n, t in runs[v]["tests"].items() if t.get("retried"))
    for v in ("base", "patched"):
        c = count[v]
        lines.append(f"regression set on {v}: {c['pass']} pass, {c['fail']} fail, "
                     f"{c['skip']} skip, {c['timeout']} timeout "
                     f"({len(others)} tests)"
                     + (f"; passed on a second run: {', '.join(runs[v]['retried'])}"
                        if runs[v]["retried"] else "")
                     + (" [recorded run reused]" if runs[v]["reused"] else ""))
    keys = sorted(set(runs["base"]["metrics"]) | set(runs["patched"]["metrics"]))
    if keys:
        lines.append("")
        lines.append(f"{'metric':<{w}}  {'base':>12} {'patched':>12}")
        for k in keys:
            bv = runs["base"]["metrics"].get(k)
            pv = runs["patched"]["metrics"].get(k)
            fmt = lambda x: "-" if x is None else f"{x:g}"
            if k.endswith("_digest"):
                fmt = lambda x: "-" if x is None else f"{int(x) & 0xffffffff:08x}"
            lines.append(f"{k:<{w}}  {fmt(bv):>12} {fmt(pv):>12}")
    table = "\n".join(lines)

    env = {}
    if a.source_env and os.path.exists(a.source_env):
        for l in open(a.source_env):
            if "=" in l:
                k, v = l.strip().split("=", 1)
                env[k] = v.strip('"')
    timings = read_timings(a.timings)

    npass = sum(1 for v in verdicts if v[0])
    nfail = len(verdicts) - npass
    report = {
        "tag": a.tag,
        "source": env,
        "runs": runs,
        "new_cases": new_cases,
        "table": [dict(zip(("case", "base", "patched", "kind"), r)) for r in rows],
        "verdicts": [{"ok": ok, "check": d, "detail": why} for ok, d, why in verdicts],
        "passed": npass,
        "failed": nfail,
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
