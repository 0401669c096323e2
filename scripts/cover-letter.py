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


def how_tested(report_dir, source_env):
    env = {}
    if os.path.exists(source_env):
        for line in open(source_env):
            if "=" in line:
                k, v = line.strip().split("=", 1)
                env[k] = v.strip('"')
    path = os.path.join(report_dir, "report.json")
    if not os.path.exists(path):
        print(f"cover-letter: WARNING: no {path}: How tested left empty; "
              "run make, then make series", file=sys.stderr)
        return "How tested\n----------\n\nNOT TESTED YET: run make, then make series."
    r = json.load(open(path))
    base = f"{env.get('PKG', '?')} {env.get('PKG_VERSION', '?')}"
    ver = env.get('PKG_VERSION', '?').split('-')[0]
    out = ["How tested", "----------", ""]
    out += textwrap.wrap(
        f"Base: Debian's {base}, i.e. v{ver} with Debian's packaging; "
        "base-commit below is that tarball imported as one commit, tarball "
        "sha256:", 72)
    out += [f"  {env.get('TARBALL_SHA256', '?')}", ""]
    out += textwrap.wrap(
        "Base and patched tinyconfig+KVM kernels booted under QEMU TCG "
        "(-cpu max, i.e. emulated SVM with NPT; -smp 2; "
        "kvm.force_emulation_prefix=1); the selftests built from the patched "
        "tree ran on both kernels.  Not tested: VMX, APICv/AVIC, real "
        "hardware.", 72)
    out.append("")
    for row in r["table"]:
        kind = f"  {row['kind']}" if row["kind"] else ""
        case = row["case"]
        if case == "qemu_msr_filter":
            case = "QEMU -accel kvm in the VM, its 0x35 filter"
        out.append(f"  {case:<48} {row['base']:<5} -> {row['patched']}{kind}")
    out.append("")
    out += textwrap.wrap(
        "The bench's tests/regression.cfg says which KVM selftests are left "
        "out and why (too slow or flaky under TCG, or failing on the "
        "unpatched kernel under emulation).", 72)
    out.append("")
    for v in ("base", "patched"):
        tests = r["runs"][v]["tests"]
        shown = {row["case"] for row in r["table"]}
        others = {n: t for n, t in tests.items()
                  if n not in ("userspace_msr_exit_test", "qemu_msr_filter")
                  and n not in shown}
        c = {s: sorted(n for n, t in others.items() if t.get("status") == s)
             for s in ("pass", "fail", "skip", "timeout")}
        bad = c["fail"] + c["timeout"]
        line = (f"Other KVM selftests on {v}: {len(others)} run, {len(c['pass'])} pass, "
                f"{len(c['skip'])} skip, {len(bad)} fail"
                + (f" ({', '.join(bad)})." if bad else "."))
        out += ["  " + l for l in textwrap.wrap(line, 70)]
    retried = [f"{t} on {v}" for v in ("base", "patched")
               for t in r["runs"][v].get("retried", [])]
    out.append("")
    out += textwrap.wrap(
        "A test that fails is run once more in the same boot (timing-based "
        "tests flake under TCG); passed only on that second run: "
        + (", ".join(retried) if retried else "none") + ".", 72)
    out.append("")
    out += textwrap.wrap(
        f"The bench's {r['passed'] + r['failed']} checks ({r['failed']} failed): "
        "no oops or WARN on either console, every test and test case that "
        "passes on base passes patched, every new case fails on base and "
        "passes patched.", 72)
    pm = r["runs"]["patched"].get("metrics", {})
    bm = r["runs"]["base"].get("metrics", {})
    if "fuzz_calls" in pm:
        out.append("")
        out += textwrap.wrap(
            "Hostile input (the bench's own programs, not part of this "
            f"series): {pm['fuzz_calls']} seeded KVM_X86_SET_MSR_FILTER "
            "calls, valid and invalid in every field, each checked against "
            "a model of api.rst and followed by guest accesses that must "
            "exit, or not, as the filter in force says: "
            f"{pm.get('fuzz_mismatches', '?')} mismatches on patched; on base "
            f"{bm.get('fuzz_x2apic_deny_accepted', '?')} x2APIC-denying "
            f"filters accepted and {bm.get('fuzz_x2apic_deflections', '?')} "
            "x2APIC accesses exited to userspace.  A 4-vCPU stress "
            "(x2APIC and filtered MSRs while a thread keeps replacing the "
            f"filter, {pm.get('stress_set_calls', '?')} filters in "
            f"{pm.get('stress_seconds', '?')} s): "
            f"{pm.get('stress_x2apic_deflections', '?')} x2APIC "
            f"exits, {pm.get('stress_stray_filter_exits', '?')} FILTER exits "
            "no installed filter explains.  "
            + (f"The same {pm['compat32_calls']} calls through the 32-bit "
               "compat ioctl give the same results as through the 64-bit one."
               if pm.get("compat32_digest") is not None
               and pm.get("compat32_digest") == pm.get("compat64_digest")
               else "The 32-bit compat ioctl check did not match."),
            72)
    dbg = os.path.join(report_dir, "debug", "report.json")
    if os.path.exists(dbg):
        d = json.load(open(dbg))
        out.append("")
        out += textwrap.wrap(
            "On a debug build of the patched kernel (KASAN, UBSAN, lockdep, "
            "PROVE_RCU, DEBUG_ATOMIC_SLEEP, DEBUG_LIST, kmemleak) the MSR "
            "test, the fuzzer, the stress and the compat check pass with "
            f"{len(d['reports'])} kernel reports and "
            f"{d['metrics'].get('kmemleak_leaks', '?')} leaks "
            f"({d['passed']} of {d['passed'] + d['failed']} checks).", 72)
    out.append("")
    gates = os.path.join(report_dir, "gates.ktap")
    if os.path.exists(gates):
        res = [l.split(" ", 3)[-1].split(" # ")[0] for l in open(gates)
               if l.startswith(("ok ", "not ok "))]
        bad = [l for l in open(gates) if l.startswith("not ok ")]
        out += textwrap.wrap(
            f"Per-patch gates: {len(res) - len(bad)} of {len(res)} passed "
            "(checkpatch --strict, commit message, git am, a kernel build at "
            "every patch, W=1 and sparse on arch/x86/kvm/ compared with the "
            "base, the touched selftests build, api.rst through docutils).", 72)
    else:
        out.append("Per-patch gates: not run yet (make check runs them).")
    return "\n".join(out)


def main():
    tmpl, cover, report_dir, source_env = sys.argv[1:5]
    lines = open(tmpl).read().split("\n")
    subject, text = lines[0], "\n".join(lines[1:]).strip("\n")
    text = text.replace("@HOW_TESTED@", how_tested(report_dir, source_env))
    backport = os.environ.get("BACKPORT", "")
    note = ("\n".join(textwrap.wrap(
        f"This is the series backported to {backport}, for testing on LTS "
        "hosts; it is not for stable (it changes uAPI), and the patches "
        "say what the backport changed.", 72)) + "\n") if backport else ""
    text = text.replace("@BACKPORT@\n", note)
    c = open(cover).read()
    if "*** SUBJECT HERE ***" not in c or "*** BLURB HERE ***" not in c:
        sys.exit("error: cover-letter: not a fresh format-patch cover letter")
    c = c.replace("*** SUBJECT HERE ***", subject).replace("*** BLURB HERE ***", text)
    open(cover, "w").write(c)


if __name__ == "__main__":
    main()
