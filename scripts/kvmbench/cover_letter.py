# SPDX-License-Identifier: GPL-2.0
"""Fill git format-patch's cover letter: subject and text from a template
(first line: subject; then the text), with @HOW_TESTED@ replaced by a section
generated from the bench's last report.json.

usage: python3 -m kvmbench.cover_letter TEMPLATE COVER_PATCH REPORT_DIR
"""
import json
import os
import sys
import textwrap


EMULATED = {"svm": "emulated AMD SVM (QEMU TCG, -cpu max)",
            "vmx": "emulated Intel VMX (Bochs 2.7, no APICv)"}


def how_tested(report_dir):
    """A few lines from the bench's last report: what ran where, what it
    showed, what was not tested.  Which tests hold the new cases and the
    sentences their passing adds are the test lists' roles, which the
    report's plan carries."""
    path = os.path.join(report_dir, "report.json")
    if not os.path.exists(path):
        print(f"cover-letter: WARNING: no {path}: How tested left empty; "
              "run make, then make series", file=sys.stderr)
        return "How tested\n----------\n\nNOT TESTED YET: run make, then make series."
    with open(path) as f:
        r = json.load(f)
    env = r.get("source", {})
    plan = r.get("plan", {})
    lists = plan.get("lists", [])
    if "regression" not in lists:
        print(f"cover-letter: NOTE: {path} is of a run without the regression "
              "set (TESTS=all, or make check, runs it): How tested says so",
              file=sys.stderr)
    vendors = r.get("vendors", ["svm"])
    tests = plan.get("tests", {})
    focus = [n for n, t in tests.items() if t.get("focus")]
    notes = {n: t["cover_note"] for n, t in tests.items() if t.get("cover_note")}
    new = [row for row in r["table"] if row.get("kind", "").startswith("new")]

    def new_on(row, v):
        return row["kind"] == "new" or v in row["kind"].split()[2:]

    def flips(v):
        return all(row.get(v, {}).get("base") == "fail" and row.get(v, {}).get("patched") == "pass"
                   for row in new if new_on(row, v))
    ran = [v for v in vendors if any(new_on(row, v) and row.get(v, {}).get("patched") not in
                                     (None, "SKIP", "-") for row in new)]
    one = len(new) == 1
    what = " ".join(["new"] + ([" and ".join(focus)] if focus else []))
    cases = f"the {what} case" if one else f"the {len(new)} {what} cases"
    text = (f"Tested on Debian's {env.get('PKG', '?')} {env.get('PKG_VERSION', '?')}, "
            "base and patched, under " + " and ".join(EMULATED.get(v, v) for v in ran)
            + f": {cases} "
            + (("fails on the base and passes" if one else "fail on the base and pass")
               + " with the series" if ran and all(flips(v) for v in ran)
               else "DO NOT all fail on the base and pass with the series")
            + (" on each" if len(ran) > 1 else "") + ", and the existing cases"
            + (" and the other KVM selftests run" if "regression" in lists else "")
            + " give the same results on both kernels.")
    # A case the test list expects to pass on both kernels of a vendor
    # (its pass_cases there): say where, and whether it did.
    for v in vendors:
        rows = [row for row in new if not new_on(row, v)
                and row.get(v, {}).get("patched") not in (None, "SKIP", "-")]
        if not rows:
            continue
        both = all(row[v].get("base") == "pass" and row[v].get("patched") == "pass" for row in rows)
        names = ", ".join(row["case"] for row in rows)
        text += (f"  Under {EMULATED.get(v, v)}, {names} "
                 + ("pass" + ("es" if len(rows) == 1 else "") if both
                    else "DO NOT pass") + " on both kernels, as expected there.")
    # A test's cover_note, when it passed on patched wherever it ran (and
    # ran somewhere); {METRIC} is the patched value of the first machine
    # that has it.
    pm = {}
    for v in reversed(vendors):
        pm.update(r.get("by_vendor", {}).get(v, {}).get("runs", {}).get("patched", {})
                  .get("metrics", {}))
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


def main(argv):
    tmpl, cover, report_dir = argv
    with open(tmpl) as f:
        lines = f.read().split("\n")
    subject, text = lines[0], "\n".join(lines[1:]).strip("\n")
    text = text.replace("@HOW_TESTED@", how_tested(report_dir))
    backport = os.environ.get("BACKPORT", "")
    note = ("\n".join(textwrap.wrap(
        f"This is the series carried to {backport} so that the bench can "
        "prove it on that base too; it is not a posting, and not for "
        "stable (it changes uAPI).", 72)) + "\n\n") if backport else ""
    text = text.replace("@BACKPORT@\n", note)
    with open(cover) as f:
        c = f.read()
    if "*** SUBJECT HERE ***" not in c or "*** BLURB HERE ***" not in c:
        sys.exit("error: cover-letter: not a fresh format-patch cover letter")
    c = c.replace("*** SUBJECT HERE ***", subject).replace("*** BLURB HERE ***", text)
    with open(cover, "w") as f:
        f.write(c)


if __name__ == "__main__":
    main(sys.argv[1:])
