# SPDX-License-Identifier: GPL-2.0
"""Turn make bench's consoles (DIR/round-R/VARIANT/console.log, VARIANT
base or patched) into patched/base ratios.  For each benchmark: the median of all samples on
each kernel, their ratio, and the spread of the per-round ratios (each
round's median on patched over the same round's median on base).  Goal:
every ratio within 2% of 1.0.  Writes bench.json and bench.txt.

The clock: with --icount SPEC (make bench's default, QEMU -icount SPEC)
the guest's "second" is 10^9 ns of virtual time, and virtual time advances
2^shift ns per executed guest instruction, so a rate is operations per
10^9 / 2^shift guest instructions and its inverse the instructions an
operation takes (printed too).  Without it, guest time follows the host's
wall clock.  Either way the host's wall time of each boot (timings.tsv) is
printed beside, labelled: it is not the unit.
"""
import argparse
import json
import os
import re
import statistics
import sys

from . import ktap
from .report import read_timings

UNITS = {"set_filter": "KVM_X86_SET_MSR_FILTER calls/s (16 x 0x3000-MSR ranges, all allowed)",
         "set_filter_deny": "the same, every bit clear (worst case of the x2APIC scan)",
         "filter_exit": "RDMSR round trips to userspace (FILTER)/s",
         "x2apic_read": "x2APIC RDMSRs in x2APIC mode/s (control: no code changed)"}


def boot_walls(d, rounds):
    """Host seconds of each boot, from scripts/bench.sh's timings.tsv
    (boot-svm-VARIANT-ROUND)."""
    rows = {t["stage"]: t["seconds"] for t in
            read_timings(os.path.join(d, "timings.tsv"))}
    walls = {}
    for v in ("base", "patched"):
        w = [rows[f"boot-svm-{v}-{r}"] for r in range(1, rounds + 1) if f"boot-svm-{v}-{r}" in rows]
        if w:
            walls[v] = w
    return walls


def main(argv):
    ap = argparse.ArgumentParser(prog="python3 -m kvmbench.bench_report")
    ap.add_argument("--tag", required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--rounds", type=int, required=True)
    ap.add_argument("--order", default="alternating",
                    help="how a round's two boots ran (scripts/bench.sh says)")
    ap.add_argument("--icount", default="",
                    help="the run's QEMU -icount option (empty: wall-clock guest time)")
    a = ap.parse_args(argv)
    shift = None
    if a.icount:
        m = re.search(r"(?:^|,)shift=(\d+)(?:,|$)", a.icount)
        if not m:
            sys.exit(f"error: bench-report: -icount {a.icount}: need a fixed shift=N "
                     "(shift=auto is not deterministic)")
        shift = int(m.group(1))
    per_s = "/s" if shift is None else "/guest s"

    samples = {}   # name -> v -> round -> [values]
    for v in ("base", "patched"):
        for r in range(1, a.rounds + 1):
            log = os.path.join(a.dir, f"round-{r}", v, "console.log")
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
    result = {"tag": a.tag, "rounds": a.rounds, "benchmarks": {},
              "clock": "host wall time" if shift is None else f"icount {a.icount}"}
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
        unit = UNITS[name].replace("/s", per_s)
        result["benchmarks"][name] = {
            "unit": unit, "base_median": mb, "patched_median": mp,
            "ratio": ratio, "per_round_ratios": per_round,
            "cv_base": cv["base"], "cv_patched": cv["patched"],
            "samples": {v: [x for r in sorted(s[v]) for x in s[v][r]] for v in s}}
        lines.append(f"{name:<15} {mb:>12.0f} {mp:>12.0f} {ratio:>7.3f}  "
                     f"{min(per_round):.3f} .. {max(per_round):.3f}   {unit}")
        cvs = (f"{'':<15} {'cv %.2f%%' % (100 * cv['base']):>12} "
               f"{'cv %.2f%%' % (100 * cv['patched']):>12}")
        if shift is not None:
            ib, ip = 1e9 / 2 ** shift / mb, 1e9 / 2 ** shift / mp
            result["benchmarks"][name]["insns_per_op"] = {"base": ib, "patched": ip}
            cvs += f"  {' ' * 16} guest instructions per operation: {ib:.0f} base, {ip:.0f} patched"
        lines.append(cvs)
    n = len(allb)
    lines.append(f"{a.rounds} boots of each kernel, {a.order}, {n // a.rounds} samples a boot; "
                 f"ratio = patched median / base median")
    if shift is None:
        lines.append("clock: host wall time (guest time follows it under TCG: "
                     "noisy on a busy host)")
    else:
        lines.append(f"clock: QEMU -icount {a.icount}: a guest second is 10^9 / 2^{shift} "
                     f"executed guest instructions (the guest busy), whatever the host's load")
    walls = boot_walls(a.dir, a.rounds)
    result["boot_wall_s"] = walls
    if walls:
        lines.append("host wall clock (not the unit), seconds a boot: " + "; ".join(
            f"{v} {' '.join('%.0f' % x for x in walls[v])}" for v in walls))
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
    sys.exit(main(sys.argv[1:]))
