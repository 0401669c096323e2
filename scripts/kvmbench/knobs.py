# SPDX-License-Identifier: GPL-2.0
"""The knobs: scripts/knobs.tsv is the one list.

    python3 -m kvmbench.knobs help      make help: the targets (the
                                        Makefile's "TARGET: ## TEXT" lines)
                                        and the knobs
    python3 -m kvmbench.knobs table     the README's table (markdown)
    python3 -m kvmbench.knobs check --ktap FILE
        the README's table is the list's, and every knob the Makefile
        gives a default (NAME ?= VALUE) has that default in the list
"""
import os
import re
import subprocess
import sys

from . import ktap

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BEGIN, END = "<!-- knobs: python3 -m kvmbench.knobs table -->", "<!-- /knobs -->"


def knobs(path=os.path.join(TOP, "scripts", "knobs.tsv")):
    rows = []
    with open(path) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 4:
                raise ValueError(f"{path}: want NAME, default, targets, meaning: {line!r}")
            rows.append(parts)
    return rows


def table():
    out = ["| knob | default | for | what it does |", "|---|---|---|---|"]
    for name, default, where, what in knobs():
        out.append(f"| `{name}` | {'`' + default + '`' if default else ''} | {where} | {what} |")
    return "\n".join(out)


def targets(makefile=os.path.join(TOP, "Makefile")):
    with open(makefile) as f:
        return re.findall(r"^([a-z]+):.*?## (.*)$", f.read(), re.M)


def help_text():
    lines = (["targets (make alone is make prove):"] + [f"  make {t:<10} {d}" for t, d in targets()]
             + ["", "knobs (make TARGET NAME=VALUE ...):"])
    for name, default, where, what in knobs():
        lines.append(f"  {name:<16} {what}")
        lines.append(f"  {'':<16} default: {default or '(none)'}; for: {where}")
    return "\n".join(lines)


def check(readme=os.path.join(TOP, "README.md"), makefile=os.path.join(TOP, "Makefile")):
    res = []
    with open(readme) as f:
        text = f.read()
    m = re.search(re.escape(BEGIN) + r"\n(.*?)\n" + re.escape(END), text, re.S)
    res.append((bool(m) and m.group(1).strip() == table(),
                "README.md's table of knobs is scripts/knobs.tsv's",
                "no table between the markers" if not m else
                "differs: python3 -m kvmbench.knobs table prints it"))
    listed = {k[0]: k[1] for k in knobs()}
    with open(makefile) as f:
        defaults = re.findall(r"^([A-Z_]+) \?= ?(.*)$", f.read(), re.M)
    bad = [f"{n} ?= {v} (list: {listed.get(n, 'missing')})" for n, v in defaults
           if n not in listed or (listed[n] != v and "$(" not in v)]
    res.append((not bad, "the Makefile's defaults are the list's", "; ".join(bad)))
    # The command the README documents, as a user runs it.
    out = subprocess.run(["make", "-s", "--no-print-directory", "-C", TOP, "help"],
                         capture_output=True, text=True)
    names = [f"make {t} " for t, _ in targets(makefile)] + [f"  {k[0]} " for k in knobs()]
    absent = [n.strip() for n in names if n not in out.stdout]
    res.append((out.returncode == 0 and not absent, "make help lists every target and knob",
                f"exit {out.returncode}" + (f"; missing: {', '.join(absent)}" if absent else "")))
    return res


def main(argv):
    if argv[:1] == ["help"]:
        print(help_text())
    elif argv[:1] == ["table"]:
        print(table())
    elif argv[:1] == ["check"]:
        res = check()
        text = ktap.format_ktap(res)
        if len(argv) == 3 and argv[1] == "--ktap":
            with open(argv[2], "w") as f:
                f.write(text)
        sys.stdout.write(text)
        return 0 if all(r[0] for r in res) else 1
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
