#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn make bench's console logs (<v>-<round>.log, v = base or patched)
into patched/base ratios.  For each benchmark: the median of all samples on
each kernel, their ratio, and the spread of the per-round ratios (each
round's median on patched over the same round's median on base).  Goal:
every ratio within 2% of 1.0.  Writes bench.json and bench.txt.
"""
import argparse
import json
import os
import re
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import ktap     # noqa: E402

UNITS = {"set_filter": "KVM_X86_SET_MSR_FILTER calls/s (16 x 0x3000-MSR ranges, all allowed)",
         "set_filter_deny": "the same, every bit clear (worst case of the x2APIC scan)",
         "filter_exit": "RDMSR round trips to userspace (FILTER)/s",
         "x2apic_read": "x2APIC RDMSRs in x2APIC mode/s (control: no code changed)"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tag", required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--rounds", type=int, required=True)
    a = ap.parse_args()

    samples = {}   # name -> v -> round -> [values]
    for v in ("base", "patched"):
        for r in range(1, a.rounds + 1):
            log = os.path.join(a.dir, f"{v}-{r}.log")
            tests, reports, _, _, metrics = ktap.parse_console(log)
            if tests.get("msr_bench", {}).get("status") != "pass" or reports:
                sys.exit(f"error: bench-report: {log}: msr_bench did not pass cleanly")
            for k, val in metrics.items():
                m = re.match(r"^bench_(\w+?)_r\d+$", k)
                if m:
                    samples.setdefault(m.group(1), {}).setdefault(v, {}) \
                        .setdefault(r, []).append(val)
    lines = [f"{'benchmark':<15} {'base':>12} {'patched':>12} {'ratio':>7}  "
             f"{'per-round ratios':<16} unit",
             f"{'-' * 15} {'-' * 12} {'-' * 12} {'-' * 7}  {'-' * 16} {'-' * 4}"]
    result = {"tag": a.tag, "rounds": a.rounds, "benchmarks": {}}
    worst = 0.0
    for name in UNITS:
        s = samples.get(name)
        if not s or "base" not in s or "patched" not in s:
            sys.exit(f"error: bench-report: no samples of {name}")
        allb = [x for r in s["base"].values() for x in r]
        allp = [x for r in s["patched"].values() for x in r]
        mb, mp = statistics.median(allb), statistics.median(allp)
        ratio = mp / mb
        per_round = [statistics.median(s["patched"][r]) / statistics.median(s["base"][r])
                     for r in sorted(s["base"]) if r in s["patched"]]
        worst = max(worst, abs(ratio - 1))
        cv = {v: statistics.pstdev(x) / statistics.mean(x) for v, x in
              (("base", allb), ("patched", allp))}
        result["benchmarks"][name] = {
            "unit": UNITS[name], "base_median": mb, "patched_median": mp,
            "ratio": ratio, "per_round_ratios": per_round,
            "cv_base": cv["base"], "cv_patched": cv["patched"],
            "samples": {v: [x for r in sorted(s[v]) for x in s[v][r]] for v in s}}
        lines.append(f"{name:<15} {mb:>12.0f} {mp:>12.0f} {ratio:>7.3f}  "
                     f"{min(per_round):.3f} .. {max(per_round):.3f}   {UNITS[name]}")
        lines.append(f"{'':<15} {'cv %.1f%%' % (100 * cv['base']):>12} "
                     f"{'cv %.1f%%' % (100 * cv['patched']):>12}")
    n = len(allb)
    lines.append(f"{a.rounds} boots of each kernel, alternating, {n // a.rounds} samples a boot; "
                 f"ratio = patched median / base median")
    lines.append("every ratio within 2% of 1.0" if worst <= 0.02 else
                 f"largest deviation from 1.0: {100 * worst:.1f}% (goal: 2%)")
    result["worst_deviation"] = worst
    with open(os.path.join(a.dir, "bench.json"), "w") as f:
        json.dump(result, f, indent=1)
    with open(os.path.join(a.dir, "bench.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
