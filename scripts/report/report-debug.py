#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Check the debug-kernel run (scripts/prove-debug.sh): one console log of
the patched debug kernel.  Verdicts:

  * no kernel report on the console (KASAN, UBSAN, lockdep, RCU, BUG, WARN,
    ...: REPORT_RE in scripts/ktap.py);
  * every test of the .cfg ran and passed;
  * every check_patched metric check of the .cfg holds.

Writes verdicts.ktap, ktap.log, report.json and table.txt into --out and
prints the table.  Exit status 1 if a verdict failed.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report     # noqa: E402
from report import benchlib, ktap, testlist   # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tag", required=True)
    ap.add_argument("--cfg", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--timings", default="")
    ap.add_argument("--config", default="", help="the debug config fragment")
    a = ap.parse_args()

    os.makedirs(a.out, exist_ok=True)
    tests, reports, ktap_lines, reused, metrics = ktap.parse_console(a.log)
    verdicts = []

    def verdict(ok, desc, why=""):
        verdicts.append((ok, desc, why))

    verdict(not reports, "debug kernel: console has no kernel report",
            f"{len(reports)} report lines, first: {reports[0]}" if reports else "")
    rows = []
    for t in testlist.load([a.cfg]):
        st = tests.get(t["name"], {}).get("status", "missing")
        verdict(st == "pass", f"debug kernel: {t['name']} passes", f"{st}")
        for expr in t["check_patched"]:
            ok, found = report.check_metric(expr, metrics)
            verdict(ok, f"debug kernel: {t['name']}: {expr}", found)
        retried = " (passed on a second run)" if tests.get(t["name"], {}).get("retried") else ""
        rows.append(f"{t['name']:<32} {st}{retried}  "
                    f"{tests.get(t['name'], {}).get('time', 0):.1f}s")

    options = []
    if a.config and os.path.exists(a.config):
        options = [l.strip() for l in open(a.config) if l.startswith("CONFIG_")]
    lines = [f"debug kernel ({a.tag} patched + {os.path.basename(a.config)})"
             + (" [recorded run reused]" if reused else "")] + ["  " + r for r in rows]
    lines.append(f"  console reports: {len(reports)}")
    lines += [f"  {k} = {v}" for k, v in sorted(metrics.items()) if not k.endswith("_digest")]
    table = "\n".join(lines)

    timings = benchlib.read_timings(a.timings)
    npass = sum(1 for v in verdicts if v[0])
    nfail = len(verdicts) - npass
    with open(os.path.join(a.out, "ktap.log"), "w") as f:
        f.write("\n".join(ktap_lines) + "\n")
    with open(os.path.join(a.out, "table.txt"), "w") as f:
        f.write(table + "\n")
    with open(os.path.join(a.out, "report.json"), "w") as f:
        json.dump({"tag": a.tag, "config": options, "tests": tests, "reports": reports,
                   "metrics": metrics, "reused": reused, "timings": timings,
                   "verdicts": [{"ok": ok, "check": d, "detail": w} for ok, d, w in verdicts],
                   "passed": npass, "failed": nfail}, f, indent=1)
    print(table)
    return report.write_verdicts(a.out, a.tag, " debug kernel", verdicts)


if __name__ == "__main__":
    sys.exit(main())
