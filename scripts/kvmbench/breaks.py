# SPDX-License-Identifier: GPL-2.0
"""The broken copies of a series that the gates' self-test feeds the gates
(scripts/stages/gates-selftest.sh, docs/gates.md).  Each break is the kind
a real series has and goes to the first patch whose content it fits (a
line of the right shape in the right file), not to a patch number, so a
regenerated series keeps its self-test.

    python3 -m kvmbench.breaks list
        NAME GATE, one a line
    python3 -m kvmbench.breaks make NAME SERIES_DIR OUT_DIR
        copies the series' patches to OUT_DIR, breaks one, prints its name
"""
import os
import re
import shutil
import sys

DECL = re.compile(r"^\+\t(?:u8|u16|u32|u64|int|bool|unsigned long) \w+;$")
STATIC_DEF = re.compile(r"^\+static (?:bool|int|void|u32|u64) (\w+)\(.*[^;]$")
SUBJECT = re.compile(r"^Subject: \[PATCH[^]]*\] KVM: x86: ([A-Z][a-z]+) ")


def sections(lines):
    """For each line, the file its diff section is about (None before the
    first diff)."""
    cur, out = None, []
    for line in lines:
        m = re.match(r"^diff --git a/(\S+) ", line)
        if m:
            cur = m.group(1)
        out.append(cur)
    return out


def trailing_whitespace(lines, files):
    for i, line in enumerate(lines):
        if files[i] and line.startswith("+") and not line.startswith("+++") and line.endswith(";"):
            return i, line + " "


def w1_warning(lines, files):
    """A KVM function made non-static: W=1's -Wmissing-prototypes."""
    for i, line in enumerate(lines):
        f = files[i] or ""
        if f.startswith("arch/x86/kvm/") and f.endswith(".c") and STATIC_DEF.match(line):
            return i, "+" + line[len("+static "):]


def unused_variable(lines, files):
    """An unused local in KVM: an error under KVM_WERROR=y.  Only in a
    function body (after a "{" line at column 0 in the same hunk), not in
    a struct, where the name would be a member that nothing warns about."""
    in_body = False
    for i, line in enumerate(lines):
        if line.startswith("@@") or line.startswith("diff --git "):
            in_body = False
        elif line[1:] == "{":
            in_body = True
        elif line[1:].startswith("}"):
            in_body = False
        elif in_body and (files[i] or "").startswith("arch/x86/kvm/") and DECL.match(line):
            return i, line[:-1] + ", bench_unused;"


def unapplicable_hunk(lines, files):
    """A context line that the base doesn't have."""
    for i, line in enumerate(lines):
        if files[i] and line.startswith(" ") and re.search(r"[A-Za-z]", line) and \
                any(lines[j].startswith("@@") for j in range(max(0, i - 3), i)):
            return i, line + " broken"


def docs_indent(lines, files):
    """An api.rst line indented in the middle of its paragraph."""
    for i, line in enumerate(lines):
        if files[i] != "Documentation/virt/kvm/api.rst" or i == 0:
            continue
        prev = lines[i - 1]
        if (re.match(r"^\+[A-Za-z(]", line) and re.match(r"^\+[A-Za-z(].*[a-z,]$", prev)
                and files[i - 1] == files[i]):
            return i, "+    " + line[1:]


def subject_prefix(lines, files):
    for i, line in enumerate(lines):
        if SUBJECT.match(line):
            return i, line.replace("] KVM: x86: ", "] x86/kvm: ", 1)


def subject_mood(lines, files):
    """The subject's verb in the third person."""
    for i, line in enumerate(lines):
        m = SUBJECT.match(line)
        verb = m.group(1) if m else ""
        if m and not verb.endswith("s"):
            third = verb + ("es" if verb.endswith(("x", "sh", "ch")) else "s")
            return i, line.replace(f"KVM: x86: {verb} ", f"KVM: x86: {third} ", 1)


# name, the gate that must catch it, the edit.
CASES = [
    ("trailing-whitespace", "checkpatch", trailing_whitespace),
    ("w1-warning", "w1-sparse", w1_warning),
    ("unused-variable", "kvm-werror", unused_variable),
    ("unapplicable-hunk", "apply", unapplicable_hunk),
    ("docs-indent", "docs", docs_indent),
    ("subject-prefix", "message", subject_prefix),
    ("subject-mood", "message", subject_mood),
]


def patches(series):
    return sorted(os.path.join(series, f) for f in os.listdir(series)
                  if f.endswith(".patch") and not f.endswith("0000-cover-letter.patch"))


def make(name, series, out):
    """Copy the patches to OUT and break the first that fits NAME: the
    broken patch's name (without .patch)."""
    edit = {n: f for n, _, f in CASES}[name]
    os.makedirs(out, exist_ok=True)
    ps = patches(series)
    for p in ps:
        shutil.copy(p, out)
    for p in ps:
        with open(p) as f:
            lines = f.read().split("\n")
        hit = edit(lines, sections(lines))
        if hit:
            i, new = hit
            lines[i] = new
            with open(os.path.join(out, os.path.basename(p)), "w") as f:
                f.write("\n".join(lines))
            return os.path.basename(p)[:-len(".patch")]
    raise LookupError(f"{name}: no patch of {series} has a line it fits")


def main(argv):
    if argv[:1] == ["list"]:
        print("\n".join(f"{n} {g}" for n, g, _ in CASES))
        return 0
    if len(argv) == 4 and argv[0] == "make":
        try:
            print(make(*argv[1:]))
        except (LookupError, KeyError) as e:
            print(f"error: breaks: {e}", file=sys.stderr)
            return 1
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
