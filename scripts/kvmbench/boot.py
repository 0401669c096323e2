# SPDX-License-Identifier: GPL-2.0
"""Boot a kernel with a test initramfs under one of the two emulators, keep
the serial console, and record or replay the run: the bench's one boot
runner (docs/bochs.md, docs/caching.md).

    python3 -m kvmbench.boot --vendor svm|vmx --kernel BZIMAGE --initrd CPIO
        --console LOG --limit GUEST_SECONDS [--scale N] [--expect-fail "A B"]

svm: QEMU TCG -cpu max (emulated AMD SVM with NPT; kvm_amd in the guest);
vmx: Bochs, cpu model tigerlake (emulated Intel VMX with EPT; kvm_intel),
booted from an isolinux CD made for the run.  The two differ only in
their command builders (qemu_command, bochs_command); the rest is shared:
the exact command is saved beside the console (command.txt), the host-side
limit (the plan's guest seconds times the machine's scale, plus the boot),
the watchdog (a test still running a minute after its own timeout means the
guest kernel is stuck: the VM is stopped and the test named), and one rule
for reusing a run (decide()).

A run is looked up in the cache (kvmbench.cache, kind "boot") by its
command and every file the command names, the expected failures and this
code; a recorded run is replayed instead of booting.  decide() says which
runs are recorded.
"""
import argparse
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from . import cache, ktap

# Wall seconds per guest second, and the boot's allowance: QEMU TCG's guest
# clock follows the host's; Bochs runs about 3.5-7 wall seconds per guest
# second on a shared core (docs/bochs.md).
SCALE = {"svm": 1, "vmx": 10}
BOOT_SECONDS = {"svm": 60, "vmx": 300}
HUNG_GRACE = 60
BOCHS_IPS = 200000000
BOCHS_FILES = {"bios": "/usr/share/bochs/BIOS-bochs-latest",
               "vgabios": "/usr/share/vgabios/vgabios.bin",
               "isolinux": "/usr/lib/ISOLINUX/isolinux.bin",
               "ldlinux": "/usr/lib/syslinux/modules/bios/ldlinux.c32"}
QEMU_FILES = {"seabios": "/usr/share/seabios/bios-256k.bin"}


class BootError(Exception):
    pass


def step():
    return os.environ.get("STEP", "boot")


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {step()}: {msg}", file=sys.stderr)


# ---- the command builders -------------------------------------------------

def qemu_command(kernel, initrd, env):
    """QEMU TCG: (argv, files the command reads, description).  Multi-threaded
    TCG unless VM_ACCEL says otherwise; VM_ICOUNT (make bench) adds -icount,
    which needs one TCG thread, and counts guest time in instructions."""
    append = f"console=ttyS0 panic=-1 kvm.force_emulation_prefix=1 {env.get('VM_APPEND', '')}".strip()
    icount = env.get("VM_ICOUNT", "")
    accel = env.get("VM_ACCEL") or ("tcg,thread=single" if icount else "tcg")
    argv = ["qemu-system-x86_64", "-accel", accel, "-cpu", "max", "-smp", env.get("VM_SMP", "2"),
            "-m", "4G", "-nographic", "-no-reboot", "-nodefaults", "-serial", "stdio",
            "-display", "none"] + (["-icount", icount] if icount else []) + [
            "-kernel", kernel, "-initrd", initrd, "-append", append]
    binary = shutil.which(argv[0])
    if not binary:
        raise BootError("qemu-system-x86_64 missing: apt-get install qemu-system-x86")
    return argv, dict(QEMU_FILES, emulator=binary), {}


def bochs_command(kernel, initrd, env, tmp, console, blog):
    """Bochs: (argv, files the command reads, generated files).  The
    command line's options, each found on this machine (docs/bochs.md):
    ttyS0,115200 (Bochs sends a byte in the time the baud rate takes),
    tsc_early_khz (its TSC counts ips ticks a second, its CPUID says
    otherwise), clearcpuid=ht (a WARN in parse_legacy), noxsave (a NULL
    dereference in early boot), vdso32=0 (its SYSRET, AMD's), bench.end=
    poweroff (guest/init powers off: a reboot would boot the CD again),
    reboot=t (a panic's reboot is a triple fault, which ends Bochs)."""
    append = ("console=ttyS0,115200 panic=-1 reboot=t kvm.force_emulation_prefix=1 "
              f"tsc_early_khz={BOCHS_IPS // 1000} clearcpuid=ht noxsave vdso32=0 "
              f"bench.end=poweroff {env.get('VM_APPEND', '')}").strip()
    binary = shutil.which("bochs-bin")
    if not binary:
        raise BootError("bochs-bin missing: apt-get install bochs bochsbios vgabios")
    for f in BOCHS_FILES.values():
        if not os.path.isfile(f):
            raise BootError(f"{f} missing: apt-get install bochs bochsbios vgabios isolinux syslinux-common")
    iso = os.path.join(tmp, "boot.iso")
    isolinux_cfg = (f"DEFAULT bench\nPROMPT 0\nTIMEOUT 0\nLABEL bench\n  KERNEL /vmlinuz\n"
                    f"  INITRD /initrd.img\n  APPEND {append}\n")
    # Debian's build has no nogui display: rfb, not waiting for a viewer.
    # The dummy sound driver: without a sound card the ALSA mixer thread
    # aborts Bochs during its start.
    bochsrc = (f"cpu: model=tigerlake, count=1, ips={BOCHS_IPS}, reset_on_triple_fault=0\n"
               f"megs: 2048\nromimage: file={BOCHS_FILES['bios']}\n"
               f"vgaromimage: file={BOCHS_FILES['vgabios']}\n"
               f"ata0-master: type=cdrom, path={iso}, status=inserted\nboot: cdrom\n"
               f"com1: enabled=1, mode=file, dev={console}\n"
               "clock: sync=none, time0=946684800\n"
               'display_library: rfb, options="timeout=0"\n'
               "sound: driver=dummy\nspeaker: enabled=0\n"
               f"log: {blog}\npanic: action=fatal\nerror: action=report\n"
               "info: action=report\ndebug: action=ignore\n")
    rc = os.path.join(tmp, "bochsrc")
    dbg = os.path.join(tmp, "debugger.rc")
    # Debian's bochs-bin has its debugger built in: it reads its commands
    # from -rc FILE, and "c" runs the machine.
    generated = {rc: bochsrc, dbg: "c\n", os.path.join(tmp, "isolinux.cfg"): isolinux_cfg}
    argv = [binary, "-q", "-f", rc, "-rc", dbg]
    return argv, dict(BOCHS_FILES, emulator=binary), generated


def make_iso(tmp, kernel, initrd):
    cd = os.path.join(tmp, "cd", "isolinux")
    os.makedirs(cd)
    shutil.copy(BOCHS_FILES["isolinux"], cd)
    shutil.copy(BOCHS_FILES["ldlinux"], cd)
    shutil.copy(os.path.join(tmp, "isolinux.cfg"), cd)
    shutil.copy(kernel, os.path.join(tmp, "cd", "vmlinuz"))
    shutil.copy(initrd, os.path.join(tmp, "cd", "initrd.img"))
    p = subprocess.run(["xorriso", "-as", "mkisofs", "-quiet", "-R", "-o", os.path.join(tmp, "boot.iso"),
                        "-b", "isolinux/isolinux.bin", "-c", "isolinux/boot.cat", "-no-emul-boot",
                        "-boot-load-size", "4", "-boot-info-table", os.path.join(tmp, "cd")],
                       capture_output=True, text=True)
    if p.returncode:
        raise BootError("xorriso could not make the boot CD: " +
                        (p.stderr.strip().splitlines() or ["?"])[-1])


def describe(argv, generated, tmp, console, kernel="", initrd=""):
    """The command as text, with the scratch, output, kernel and initramfs
    paths as names (the two files are keyed by content): what the cache
    keys on and what command.txt shows."""
    def norm(s):
        for path, name in ((tmp, "$TMP"), (console, "$CONSOLE"), (os.path.dirname(console), "$RUNDIR"),
                           (kernel, "$KERNEL"), (initrd, "$INITRD")):
            if path:
                s = s.replace(path, name)
        return s
    text = " ".join(shlex.quote(norm(a)) for a in argv)
    for path, content in sorted(generated.items()):
        text += f"\n--- {norm(path)}\n{norm(content)}"
    return text


# ---- the record/replay rule ------------------------------------------------

def findings(path):
    """What in a console might not come out the same on another boot: one
    line per failed, timed-out or retried test, and one if the console has
    a kernel report.  Sorted; [] for a clean run."""
    tests, reports = ktap.parse_console(path)[:2]
    out = [f"{n}: {t.get('status')}" for n, t in tests.items()
           if t.get("status") not in ("pass", "skip")]
    out += [f"{n}: passed on its retry" for n, t in tests.items() if t.get("retried")]
    if reports:
        out.append("kernel report on the console")
    return sorted(out)


def planned(path):
    with open(path, errors="replace") as fh:
        for line in fh:
            m = ktap.PLAN_RE.match(line.rstrip("\r\n"))
            if m:
                return int(m.group(1))
    return None


def decide(console, expected_fail, seen):
    """Whether a finished run is recorded for reuse: (record, why).
    Recorded at once: every planned test reported, none passed only on its
    retry, no kernel report, and the tests that failed are exactly those
    expected to fail on this kernel (the base kernel's, from the plan).
    Otherwise recorded only when the previous boot of the same inputs found
    exactly the same (SEEN, its findings), i.e. it reproduced; a flake seen
    once is never replayed.  A run that stopped early never gets here."""
    tests, reports = ktap.parse_console(console)[:2]
    n = planned(console)
    if n is None or n != len(tests):
        return False, "not every test reported"
    found = findings(console)
    failed = {t for t, r in tests.items() if r.get("status") not in ("pass", "skip")}
    expected = set(expected_fail)
    clean = (not reports and not any(r.get("retried") for r in tests.values())
             and failed == expected)
    if clean:
        return True, ("failed exactly the tests expected to fail on this kernel"
                      if expected else "every test passed or skipped")
    if seen is not None and seen == found:
        return True, "the previous boot of these inputs found the same: " + "; ".join(found)
    why = []
    if expected - failed:
        why.append(", ".join(sorted(expected - failed)) + " passed, expected to fail")
    return False, "seen once (recorded if the next boot finds the same): " + "; ".join(found + why)


def summary(path):
    tests = ktap.parse_console(path)[0]
    st = [t.get("status") for t in tests.values()]
    return (f"{len(st)} tests: {st.count('pass')} ok, {st.count('skip')} skipped, "
            f"{len(st) - st.count('pass') - st.count('skip')} not ok")


# ---- running --------------------------------------------------------------

def watch(proc, console, scale, wall_limit):
    """Wait for PROC; return None, or why it was stopped: the wall limit, or
    a test still running HUNG_GRACE seconds past its timeout x SCALE."""
    t0 = time.monotonic()
    started, t_start = None, t0
    while proc.poll() is None:
        time.sleep(2)
        now = time.monotonic()
        if now - t0 > wall_limit:
            return f"did not finish within {wall_limit}s"
        try:
            with open(console, errors="replace") as f:
                lines = [line.rstrip("\r\n") for line in f]
        except FileNotFoundError:
            continue
        starts = [line for line in lines if ktap.START_RE.match(line)]
        if not starts:
            continue
        name = ktap.START_RE.match(starts[-1]).group(1)
        sig = (len(starts), name)
        if sig != started:
            started, t_start = sig, now
            continue
        # Finished (this try): as many results as starts.
        done = sum(1 for line in lines if line.startswith(f"# bench: {name} exit="))
        if done >= sum(1 for line in starts if ktap.START_RE.match(line).group(1) == name):
            continue
        tmo = int(re.search(r"timeout=(\d+)", starts[-1]).group(1))
        if now - t_start > tmo * scale + HUNG_GRACE:
            return (f"hung in test '{name}' (no result {HUNG_GRACE} s after its {tmo}s timeout "
                    f"x{scale}: the guest's own timeout did not fire)")
    return None


def stop(proc):
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()


def boot(a, env):
    console = os.path.abspath(a.console)
    rundir = os.path.dirname(console)
    os.makedirs(rundir, exist_ok=True)
    for f in (a.kernel, a.initrd):
        if not os.path.isfile(f):
            raise BootError(f"no {f}")
    scale = a.scale or SCALE[a.vendor]
    wall_limit = a.limit * scale + BOOT_SECONDS[a.vendor]
    who = f"{a.vendor}/{os.path.basename(rundir)}"
    with tempfile.TemporaryDirectory(prefix=f"bench-{a.vendor}.") as tmp:
        blog = os.path.join(rundir, "bochs.log")
        if a.vendor == "svm":
            argv, files, generated = qemu_command(a.kernel, a.initrd, env)
        else:
            argv, files, generated = bochs_command(a.kernel, a.initrd, env, tmp, console, blog)
        text = describe(argv, generated, tmp, console, a.kernel, a.initrd)
        with open(os.path.join(rundir, "command.txt"), "w") as f:
            f.write(f"# KERNEL={a.kernel}\n# INITRD={a.initrd}\n# CONSOLE={console}\n{text}\n")
        here = os.path.dirname(os.path.abspath(__file__))
        inputs = ([f"command={' | '.join(text.splitlines())}", f"kernel=@{a.kernel}",
                   f"initrd=@{a.initrd}", f"ktap=@{os.path.join(here, 'ktap.py')}",
                   f"expect_fail={' '.join(sorted(a.expect_fail.split()))}"]
                  + [f"{k}=@{v}" for k, v in sorted(files.items())])
        hit, entry = cache.get("boot", os.path.abspath(__file__), inputs, slot=a.slot or who,
                               what=f"{who} console")
        if hit:
            shutil.copy(os.path.join(entry, "console.log"), console)
            with open(console, "a") as f:
                f.write(f"# bench: verdict reused from an identical earlier run "
                        f"({os.path.basename(entry)}): {summary(console)}; NO_RUN_CACHE=1 reruns\n")
            return 0
        for path, content in generated.items():
            with open(path, "w") as f:
                f.write(content)
        out = open(console, "w")
        stdout = out
        if a.vendor == "vmx":
            make_iso(tmp, a.kernel, a.initrd)
            stdout = open(os.path.join(rundir, "bochs.out"), "w")
            if os.path.exists(blog):
                os.unlink(blog)
        log(f"booting {who} (limit {wall_limit}s; console {console}; command {rundir}/command.txt)")
        t0 = time.monotonic()
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=stdout,
                                stderr=subprocess.STDOUT, start_new_session=True)
        try:
            stopped = watch(proc, console, scale, wall_limit)
        finally:
            if proc.poll() is None:
                stop(proc)
            out.close()
            if stdout is not out:
                stdout.close()
        secs = time.monotonic() - t0
        if stopped:
            with open(console, "a") as f:
                f.write(f"# bench: stopped by the host: {stopped}\n")
            raise BootError(f"{who} {stopped}; console: {console}")
        with open(console, errors="replace") as f:
            done = "# bench: all tests done" in f.read()
        if a.vendor == "vmx":
            with open(os.path.join(rundir, "bochs.out"), errors="replace") as f:
                powered_off = "ACPI control: soft power off" in f.read()
            if not done or not powered_off:
                panics = []
                if os.path.exists(blog):
                    with open(blog, errors="replace") as f:
                        panics = [line.strip() for line in f if "PANIC" in line][-3:]
                with open(console, "a") as f:
                    f.writelines(f"# bench: bochs: {p}\n" for p in panics)
                raise BootError(f"{who}: Bochs stopped before {'its tests finished' if not done else 'the guest powered off'} "
                                f"(exit {proc.returncode}; {rundir}/bochs.log, bochs.out); console: {console}")
        else:
            if proc.returncode != 0:
                raise BootError(f"{who}: qemu exited with {proc.returncode}; console: {console}")
            if not done:
                raise BootError(f"{who}: the VM stopped before its tests finished; console: {console}")
    seen_file = entry + ".seen"
    seen = None
    if os.path.exists(seen_file) and not os.environ.get("NO_RUN_CACHE"):
        with open(seen_file) as f:
            seen = [line.rstrip("\n") for line in f if line.strip()]
    record, why = decide(console, a.expect_fail.split(), seen)
    log(f"{who}: ran {summary(console)} in {secs:.0f}s; "
        + ("recorded for reuse: " if record else "not recorded: ") + why)
    if record:
        cache.put(entry, [console, os.path.join(rundir, "command.txt")])
        if os.path.exists(seen_file):
            os.unlink(seen_file)
    else:
        with open(seen_file, "w") as f:
            f.write("".join(x + "\n" for x in findings(console)))
    return 0


def main(argv):
    ap = argparse.ArgumentParser(prog="python3 -m kvmbench.boot")
    ap.add_argument("--vendor", choices=("svm", "vmx"), required=True)
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--initrd", required=True)
    ap.add_argument("--console", required=True)
    ap.add_argument("--limit", type=int, required=True, help="guest seconds (the plan's)")
    ap.add_argument("--scale", type=int, default=0, help="wall seconds per guest second")
    ap.add_argument("--expect-fail", default="", help="tests that must fail on this kernel")
    ap.add_argument("--slot", default="", help="names the run for the cache's miss messages")
    a = ap.parse_args(argv)
    try:
        return boot(a, os.environ)
    except (BootError, ValueError, OSError) as e:
        print(f"error: {step()}: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
