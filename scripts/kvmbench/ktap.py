# SPDX-License-Identifier: GPL-2.0
"""The bench's one KTAP/TAP reader and writer (Python and shell alike:
the shell scripts write KTAP with lib.sh's write_ktap and read none).

A test VM's console (guest/init) is KTAP version 1: boot messages, then
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

Also here: the kernel report patterns (REPORT_RE) and the metric lines
programs print ("# metric: NAME=VALUE", inside a test's output).  Nothing
else in the bench reads a console.
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


def main(argv):
    """count FILE...: "P passed, F failed" over KTAP files, then each
    failure as FILE: LINE (what make check's summary prints)."""
    if len(argv) < 2 or argv[0] != "count":
        print("usage: python3 -m kvmbench.ktap count KTAP...", file=sys.stderr)
        return 2
    tp = tf = 0
    bad = []
    for path in argv[1:]:
        p, f, _ = count(path)
        tp, tf = tp + p, tf + f
        with open(path, errors="replace") as fh:
            bad += [f"{path}: {line.rstrip()}" for line in fh if line.startswith("not ok ")]
    print("\n".join(bad + [f"{tp} passed, {tf} failed"]))
    return 0


if __name__ == "__main__":
    import sys
    sys.exit(main(sys.argv[1:]))
