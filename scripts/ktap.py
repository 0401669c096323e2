#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The bench's one KTAP/TAP reader and writer.

A test VM's console (vm/init) is KTAP version 1: boot messages, then
"KTAP version 1", the plan, and per test "# bench: start NAME timeout=T",
the test's own output prefixed "# ", "# bench: NAME exit=N time=Ts" and the
test's result line "ok N NAME [# DIRECTIVE]".  A test's own (K)TAP results
are its cases: "# ok N DESCRIPTION [# DIRECTIVE]", one level down; deeper
levels ("# # ok ...", a runner's test's cases) are not read.

A result line (KTAP, Documentation/dev-tools/ktap.rst):

    ok|not ok NUMBER [- ]DESCRIPTION [# DIRECTIVE [DIAGNOSTIC]]

the description is everything up to " # " (it may hold spaces, e.g.
kselftest's "ok 1 sys_membarrier available"); the directives read here
are SKIP, TODO, XFAIL and kselftest's TIMEOUT.  Anything else after " # "
(e.g. the bench's "# exit=1") is a diagnostic.

Also here: the kernel report patterns (REPORT_RE, used by the console
checks of scripts/stages/run-vm.sh and run-bochs.sh too) and the metric
lines programs print ("# metric: NAME=VALUE", inside a test's output).
"""
import re

REPORT_RE = re.compile(r"Kernel panic|Oops:|BUG:|WARNING: |KASAN:|UBSAN:|"
                       r"general protection fault|kernel BUG at|Call Trace:|"
                       r"INFO: task .* blocked|possible recursive locking|"
                       r"suspicious RCU usage|circular locking dependency")
METRIC_RE = re.compile(r"^# # metric: (\w+)=(\S+)$")
RESULT_RE = re.compile(r"^(not ok|ok) (\d+)(?: (.*))?$")
PLAN_RE = re.compile(r"^1\.\.(\d+)(?: # (.*))?$")
TIME_RE = re.compile(r"^# bench: (\S+) exit=(\d+) time=([\d.]+)s")
START_RE = re.compile(r"^# bench: start (\S+) ")
DIRECTIVES = ("SKIP", "TODO", "XFAIL", "TIMEOUT")


def parse_result(line):
    """A KTAP result line, or None: (ok, number, description, directive).
    ok is True or False; directive is the text after " # " (or None)."""
    m = RESULT_RE.match(line)
    if not m:
        return None
    rest = m.group(3) or ""
    directive = None
    # The first " # " not escaped as "\#" ends the description; a line
    # ending in " #" has an empty directive.
    d = re.search(r"(?<!\\) #(?: |$)", rest)
    if rest.startswith("# ") or rest == "#":
        desc, directive = "", rest[2:]
    elif d:
        desc, directive = rest[:d.start()], rest[d.end():]
    else:
        desc = rest
    if desc.startswith("- "):
        desc = desc[2:]
    return m.group(1) == "ok", int(m.group(2)), desc.replace("\\#", "#").strip(), directive


def status(ok, directive):
    """The bench's word for a result: pass, fail, skip, todo, xfail or
    timeout."""
    d = (directive or "").strip().upper()
    for word in DIRECTIVES:
        if d.startswith(word):
            return word.lower()
    return "pass" if ok else "fail"


def parse_console(path):
    """Return (tests, reports, ktap_lines, reused, metrics) for one console
    log.  tests: name -> {"status", "cases": {description: status},
    "retried", "time", "plan"}; a test that started and has no result line
    (the console ends in it: a crash, a hang stopped by the watchdog) has
    status "crashed"."""
    tests = {}
    metrics = {}
    reports = []
    ktap = []
    reused = False
    in_ktap = False
    pending = {}
    plan = None
    started = None
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
            m = START_RE.match(line)
            if m:
                started = m.group(1)
                continue
            if line.startswith("# "):
                r = parse_result(line[2:])
                if r:
                    pending[r[2] or f"#{r[1]}"] = status(r[0], r[3])
                    continue
                m = PLAN_RE.match(line[2:])
                if m:
                    plan = int(m.group(1))
                    continue
            m = TIME_RE.match(line)
            if m:
                tests.setdefault(m.group(1), {})["time"] = float(m.group(3))
                continue
            r = parse_result(line)
            if r:
                t = tests.setdefault(r[2], {})
                t["status"] = status(r[0], r[3])
                t["retried"] = (r[3] or "").startswith("RETRIED")
                t["cases"] = pending
                t["plan"] = plan
                pending = {}
                plan = None
                started = None
    if started is not None:
        t = tests.setdefault(started, {})
        t.update({"status": "crashed", "retried": False, "cases": pending, "plan": plan})
    return tests, reports, ktap, reused, metrics


def format_ktap(results):
    """KTAP text for results, each (ok, description, why): ok True or
    False, or None for a SKIP (why its reason); why is printed after a
    failure only."""
    lines = ["KTAP version 1", "1..%d" % len(results)]
    for i, (ok, d, why) in enumerate(results, 1):
        if ok is None:
            lines.append(f"ok {i} {d} # SKIP {why}")
        else:
            lines.append(f"{'ok' if ok else 'not ok'} {i} {d}"
                         + (f" # {why}" if not ok and why else ""))
    return "\n".join(lines) + "\n"


def write_ktap(path, results):
    with open(path, "w") as f:
        f.write(format_ktap(results))


def count(path):
    """(passed, failed, skipped) of a KTAP file's top-level results."""
    p = f = s = 0
    with open(path, errors="replace") as fh:
        for line in fh:
            r = parse_result(line.rstrip("\r\n"))
            if not r:
                continue
            st = status(r[0], r[3])
            if st == "skip":
                s += 1
            elif r[0]:
                p += 1
            else:
                f += 1
    return p, f, s


def recordable(path, expected_fail=()):
    """Why a VM run's console at @path should not be recorded for reuse, or
    "" if it should: every test reported, none passed only on its retry, no
    kernel report on the console, and the tests that failed are exactly
    @expected_fail (the base kernel's, e.g. the tests whose new cases fail
    there; empty for the patched kernel)."""
    tests, reports = parse_console(path)[:2]
    with open(path, errors="replace") as fh:
        plan = [m for m in (PLAN_RE.match(line.rstrip("\r\n")) for line in fh) if m]
    if not plan or int(plan[0].group(1)) != len(tests):
        return "not every test reported"
    if reports:
        return "a kernel report on the console"
    retried = sorted(n for n, t in tests.items() if t.get("retried"))
    if retried:
        return ", ".join(retried) + " passed only on a retry"
    failed = {n for n, t in tests.items() if t.get("status") not in ("pass", "skip")}
    expected = set(expected_fail)
    why = []
    if failed - expected:
        why.append(", ".join(sorted(failed - expected)) + " failed")
    if expected - failed:
        why.append(", ".join(sorted(expected - failed)) + " passed, expected to fail")
    return "; ".join(why)


if __name__ == "__main__":
    import sys
    # ktap.py recordable CONSOLE [EXPECTED_FAIL...]: print why not, or nothing.
    if len(sys.argv) >= 3 and sys.argv[1] == "recordable":
        print(recordable(sys.argv[2], sys.argv[3:]))
    else:
        sys.exit("usage: ktap.py recordable CONSOLE [EXPECTED_FAIL...]")
