#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Fill git format-patch's cover letter: subject and text from a template
(first line: subject; then the text), with @HOW_TESTED@ replaced by a section
generated from the bench's last report.json.

usage: cover-letter.py TEMPLATE COVER_PATCH REPORT_DIR SOURCE_ENV
"""
import json
import os
import sys
import textwrap

# benchlib.py (the source.env reader) lives one level up, in scripts/.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import benchlib  # noqa: E402


EMULATED = {"svm": "emulated AMD SVM (QEMU TCG, -cpu max)",
            "vmx": "emulated Intel VMX (Bochs 2.7, no APICv)"}


def how_tested(report_dir, source_env):
    """A few lines from the bench's last report: what ran where, what it
    showed, what was not tested.  The bench's own counts stay in README.
    Which tests hold the new cases, which must pass, and the sentences
    their passing adds are the test lists' roles (tests/*.cfg), which the
    report carries."""
    env = benchlib.read_env(source_env)
    path = os.path.join(report_dir, "report.json")
    if not os.path.exists(path):
        print(f"cover-letter: WARNING: no {path}: How tested left empty; "
              "run make, then make series", file=sys.stderr)
        return "How tested\n----------\n\nNOT TESTED YET: run make, then make series."
    r = json.load(open(path))
    if "regression" not in r.get("roles", {}).get("lists", []):
        print(f"cover-letter: NOTE: {path} is of a run without the regression "
              "set (TESTS=all, or make check, runs it): How tested says so",
              file=sys.stderr)
    vendors = r.get("vendors", ["svm"])
    roles = r.get("roles", {})
    focus = roles.get("focus", [])
    notes = roles.get("cover_notes", {})
    new = [row for row in r["table"] if row.get("kind") == "new"]
    def flips(v):
        return all(row.get(v, row).get("base") == "fail" and
                   row.get(v, row).get("patched") == "pass" for row in new)
    ran = [v for v in vendors if any(row.get(v, {}).get("patched") not in
                                     (None, "SKIP", "-") for row in new)]
    text = (f"Tested on Debian's {env.get('PKG', '?')} {env.get('PKG_VERSION', '?')}, "
            "base and patched, under " + " and ".join(EMULATED.get(v, v) for v in ran)
            + f": the {len(new)} new {' and '.join(focus)} cases "
            + ("fail on the base and pass with the series"
               if ran and all(flips(v) for v in ran) else "DO NOT all fail->pass")
            + " on each, and the existing cases"
            + (" and the other KVM selftests run" if "regression" in roles.get("lists", []) else "")
            + " give the same results on both kernels.")
    # A test's cover_note, when it passed on patched wherever it ran (and
    # ran somewhere); {METRIC} is the patched value of the first machine
    # that has it.
    pm = {}
    for v in reversed(vendors):
        pm.update(r.get("by_vendor", {}).get(v, {}).get("runs", {}).get("patched", {})
                  .get("metrics", {}))
    pm.update(r["runs"]["patched"].get("metrics", {}))
    for name, note in notes.items():
        rows = [row for row in r["table"] if row.get("case") == name]
        if not (rows and all(row.get(v, {}).get("patched") in ("pass", "SKIP")
                             for row in rows for v in vendors) and
                any(row.get(v, {}).get("patched") == "pass" for row in rows for v in vendors)):
            continue
        try:
            text += "  " + note.format_map({k: f"{x:g}" for k, x in pm.items()})
        except KeyError as e:
            print(f"cover-letter: WARNING: {name}'s cover_note: no metric {e}", file=sys.stderr)
    text += "  Not tested: APICv, AVIC, TDX, SEV-ES, real hardware."
    return "\n".join(["How tested", "----------", ""] + textwrap.wrap(text, 72))


def main():
    tmpl, cover, report_dir, source_env = sys.argv[1:5]
    lines = open(tmpl).read().split("\n")
    subject, text = lines[0], "\n".join(lines[1:]).strip("\n")
    text = text.replace("@HOW_TESTED@", how_tested(report_dir, source_env))
    backport = os.environ.get("BACKPORT", "")
    note = ("\n".join(textwrap.wrap(
        f"This is the series carried to {backport} so that the bench can "
        "prove it on that base too; it is not a posting, and not for "
        "stable (it changes uAPI).", 72)) + "\n\n") if backport else ""
    text = text.replace("@BACKPORT@\n", note)
    c = open(cover).read()
    if "*** SUBJECT HERE ***" not in c or "*** BLURB HERE ***" not in c:
        sys.exit("error: cover-letter: not a fresh format-patch cover letter")
    c = c.replace("*** SUBJECT HERE ***", subject).replace("*** BLURB HERE ***", text)
    open(cover, "w").write(c)


if __name__ == "__main__":
    main()
