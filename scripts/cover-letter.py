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


def how_tested(report_dir, source_env):
    env = {}
    if os.path.exists(source_env):
        for line in open(source_env):
            if "=" in line:
                k, v = line.strip().split("=", 1)
                env[k] = v.strip('"')
    path = os.path.join(report_dir, "report.json")
    if not os.path.exists(path):
        sys.exit(f"error: cover-letter: no {path}: run make first, then make series")
    r = json.load(open(path))
    base = f"{env.get('PKG', '?')} {env.get('PKG_VERSION', '?')}"
    out = ["How tested", "----------", "",
           f"Base: Debian's {base} (v{env.get('PKG_VERSION', '?').split('-')[0]}),",
           f"tarball sha256 {env.get('TARBALL_SHA256', '?')[:16]}...; base-commit below is",
           "that tarball as one commit.",
           "",
           "Base and patched tinyconfig+KVM kernels booted under QEMU TCG (-cpu max,",
           "emulated SVM with NPT, kvm.force_emulation_prefix=1); the selftests of",
           "the patched tree ran on both kernels:",
           ""]
    for row in r["table"]:
        kind = f"  {row['kind']}" if row["kind"] else ""
        out.append(f"  {row['case']:<48} {row['base']:<5} -> {row['patched']}{kind}")
    out.append("")
    for v in ("base", "patched"):
        tests = r["runs"][v]["tests"]
        others = {n: t for n, t in tests.items() if n != "userspace_msr_exit_test"}
        c = {s: sum(1 for t in others.values() if t.get("status") == s)
             for s in ("pass", "fail", "skip", "timeout")}
        out.append(f"  regression set on {v}: {len(others)} KVM selftests, {c['pass']} pass, "
                   f"{c['fail']} fail, {c['skip']} skip")
    out.append("")
    out.append(f"Bench verdicts: {r['passed']} passed, {r['failed']} failed (no kernel")
    out.append("report on either console; nothing that passes on base fails patched).")
    gates = os.path.join(report_dir, "gates.ktap")
    if os.path.exists(gates):
        res = [l.split(" ", 3)[-1].split(" # ")[0] for l in open(gates)
               if l.startswith(("ok ", "not ok "))]
        bad = [l for l in open(gates) if l.startswith("not ok ")]
        names = sorted({g.split()[-1] for g in res})
        out.append(f"Per-patch gates ({', '.join(names)}): {len(res) - len(bad)} of")
        out.append(f"{len(res)} passed: checkpatch --strict, W=1 and sparse on arch/x86/kvm/")
        out.append("compared with the base, a kernel build at every patch, api.rst")
        out.append("through docutils.")
    else:
        out.append("Per-patch gates: not run yet (make check runs them).")
    return "\n".join(out)


def main():
    tmpl, cover, report_dir, source_env = sys.argv[1:5]
    lines = open(tmpl).read().split("\n")
    subject, text = lines[0], "\n".join(lines[1:]).strip("\n")
    text = text.replace("@HOW_TESTED@", how_tested(report_dir, source_env))
    c = open(cover).read()
    if "*** SUBJECT HERE ***" not in c or "*** BLURB HERE ***" not in c:
        sys.exit("error: cover-letter: not a fresh format-patch cover letter")
    c = c.replace("*** SUBJECT HERE ***", subject).replace("*** BLURB HERE ***", text)
    open(cover, "w").write(c)


if __name__ == "__main__":
    main()
