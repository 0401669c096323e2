#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Boot a kernel under Bochs (cpu model tigerlake: emulated Intel VMX with
# EPT, so kvm_intel runs in the guest) with a test initramfs and keep the
# console log: run-vm.sh's counterpart for VENDOR=vmx, with the same
# interface and guarantees (a host-side time limit, the stuck-test
# watchdog, the whole serial console in OUTPUT_LOG).  Bochs has no -kernel:
# the kernel and initramfs boot from an isolinux CD made for the run.
# A run whose inputs (kernel, initramfs, command line, bochsrc, Bochs and
# its BIOS) hash the same as an earlier one in which every test passed (but
# those expected to fail on this kernel, EXPECT_FAIL)
# reuses that run's console log and says so; a run with a failure is
# always run again.  Bochs' own log: bochs.log next to OUTPUT_LOG.
# Usage: run-bochs.sh BZIMAGE INITRAMFS OUTPUT_LOG
set -euo pipefail
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

kernel=${1:?usage: run-bochs.sh BZIMAGE INITRAMFS OUTPUT_LOG}
initrd=${2:?}
outlog=${3:?}
# Guest time is instructions / ips (clock: sync=none); Bochs runs about
# BOCHS_SCALE wall seconds per guest second when the guest is busy
# (measured: see README.md, "Intel VMX (Bochs)"), and gets to /init in up
# to BOCHS_BOOT seconds.
ips=${BOCHS_IPS:-200000000}
scale=${BOCHS_SCALE:-10}
boot=${BOCHS_BOOT:-300}
# ttyS0,115200: Bochs sends each byte in the time the baud rate says (the
# kernel's default is 9600).  tsc_early_khz: Bochs' TSC counts ips ticks a
# second, but its CPUID says 2419.2 MHz: believed, the guest's clock and
# timers run 12 times slow.  clearcpuid=ht: the CPUID of Bochs' tigerlake
# (and icelake) has HT with one logical processor in leaf 1 but more cores
# in leaf 4, which WARNs in early boot (parse_legacy).  noxsave: with XSAVE
# on, the kernel WARNs about Bochs' XSAVE area size, then dereferences NULL
# in early boot.  bench.end=poweroff: vm/init powers off (ACPI ends Bochs)
# instead of rebooting.  reboot=t: a panic's reboot is a triple fault, which
# stops Bochs (reset_on_triple_fault=0) instead of booting the CD again.
# vdso32=0: Bochs' SYSRET leaves SS's base, limit and D/B as they were
# (AMD's SYSRET; Intel's loads a flat SS, so Linux has no workaround for an
# Intel CPU): a 32-bit program that enters through the vDSO's SYSENTER and
# comes back by SYSRETL now and then gets a 16-bit stack and segfaults.
# Without the 32-bit vDSO it uses int $0x80, which returns by IRET.
cmdline="console=ttyS0,115200 panic=-1 reboot=t kvm.force_emulation_prefix=1"
cmdline+=" tsc_early_khz=$((ips / 1000)) clearcpuid=ht noxsave vdso32=0 bench.end=poweroff ${VM_APPEND:-}"
bios=/usr/share/bochs/BIOS-bochs-latest
vgabios=/usr/share/vgabios/vgabios.bin
isolinux=/usr/lib/ISOLINUX/isolinux.bin
ldlinux=/usr/lib/syslinux/modules/bios/ldlinux.c32

command -v bochs-bin >/dev/null || die "bochs-bin missing: apt-get install bochs bochsbios vgabios"
command -v xorriso >/dev/null || die "xorriso missing: apt-get install xorriso"
for f in "$bios" "$vgabios" "$isolinux" "$ldlinux"; do
	[ -f "$f" ] || die "$f missing: apt-get install bochs bochsbios vgabios isolinux syslinux-common"
done
[ -f "$kernel" ] || die "no kernel $kernel"
[ -f "$initrd" ] || die "no initramfs $initrd"

# @ISO@, @CONSOLE@ and @LOG@ are filled in per run, after the key is taken.
# Debian's build has no nogui display: rfb, not waiting for a viewer.  The
# dummy sound driver: on a host without a sound card the ALSA mixer thread
# aborts Bochs ("buffer overflow detected") during its start.
rc_template="cpu: model=${BOCHS_CPU:-tigerlake}, count=1, ips=$ips, reset_on_triple_fault=0
megs: ${BOCHS_MEGS:-2048}
romimage: file=$bios
vgaromimage: file=$vgabios
ata0-master: type=cdrom, path=@ISO@, status=inserted
boot: cdrom
com1: enabled=1, mode=file, dev=@CONSOLE@
clock: sync=none, time0=946684800
display_library: rfb, options=\"timeout=0\"
sound: driver=dummy
speaker: enabled=0
log: @LOG@
panic: action=fatal
error: action=report
info: action=report
debug: action=ignore"
isolinux_cfg="DEFAULT bench
PROMPT 0
TIMEOUT 0
LABEL bench
  KERNEL /vmlinuz
  INITRD /initrd.img
  APPEND $cmdline"

# Host-side limit: the sum of the tests' timeouts, scaled to wall time,
# plus the boot.
limit=${VM_TIMEOUT:-$(awk -v s="$scale" -v b="$boot" '{ t += ($3 + 10) * ($4 + 1) } END { print int(t * s + b) }' \
	< <(cpio -i --to-stdout tests.list <"$initrd" 2>/dev/null))}

key=$( {
	sha256sum "$kernel" "$initrd" "$(command -v bochs-bin)" "$bios" "$vgabios" "$isolinux" "$ldlinux"
	echo "$rc_template"
	echo "$isolinux_cfg"
} | sha256sum | cut -c1-16)
cached=$CACHE/runs/bochs-$key.log
dir=$(dirname "$outlog")
blog=$dir/bochs.log
mkdir -p "$CACHE/runs" "$dir"
if [ -f "$cached" ] && [ -z "${NO_RUN_CACHE:-}" ]; then
	cp "$cached" "$outlog"
	echo "# bench: verdict reused from an identical earlier run ($key) in which every test passed but those expected to fail on this kernel; NO_RUN_CACHE=1 reruns" >>"$outlog"
	log "$(basename "$dir"): inputs unchanged ($key), recorded run reused (every test passed then, but those expected to fail on this kernel)"
	exit 0
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-bochs.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/cd/isolinux"
cp "$isolinux" "$ldlinux" "$tmp/cd/isolinux/"
echo "$isolinux_cfg" >"$tmp/cd/isolinux/isolinux.cfg"
cp "$kernel" "$tmp/cd/vmlinuz"
cp "$initrd" "$tmp/cd/initrd.img"
xorriso -as mkisofs -quiet -R -o "$tmp/boot.iso" -b isolinux/isolinux.bin -c isolinux/boot.cat \
	-no-emul-boot -boot-load-size 4 -boot-info-table "$tmp/cd" >"$tmp/xorriso.log" 2>&1 ||
	die "xorriso could not make the boot CD: $(tail -n 1 "$tmp/xorriso.log")"
sed -e "s|@ISO@|$tmp/boot.iso|" -e "s|@CONSOLE@|$outlog|" -e "s|@LOG@|$blog|" \
	<<<"$rc_template" >"$tmp/bochsrc"
# Debian's bochs-bin has the debugger built in: it reads its commands from
# this file, and "c" runs the machine.
echo c >"$tmp/debugger.rc"

rm -f "$outlog" "$blog"
: >"$outlog"
log "booting $(basename "$(dirname "$kernel")") kernel under Bochs (limit ${limit}s, console: $outlog)"
rc=0
timeout --foreground -k 10 "$limit" bochs-bin -q -f "$tmp/bochsrc" -rc "$tmp/debugger.rc" \
	</dev/null >"$dir/bochs.out" 2>&1 &
bpid=$!
vm_wait "Bochs VM" "$bpid" "$outlog" "$limit" "$scale"
rc=$vm_rc
if ! grep -q '^# bench: all tests done' "$outlog"; then
	# Bochs' panics (a triple fault among them) say what stopped it.
	{ grep -a 'PANIC\|>>PANIC<<' "$blog" 2>/dev/null || true; } | tail -n 3 | sed 's/^/# bench: bochs: /' >>"$outlog"
	die "Bochs VM stopped before its tests finished (bochs-bin exit $rc; its log: $blog); console: $outlog"
fi
# The guest's ACPI poweroff ends Bochs with this message (and exit 1).
grep -q 'ACPI control: soft power off' "$dir/bochs.out" ||
	die "Bochs ended without the guest powering off (bochs-bin exit $rc; $dir/bochs.out); console: $outlog"
# A run is recorded for reuse only if every test reported, none passed only
# on its retry, no kernel report is on the console, and the tests that
# failed are exactly those in $EXPECT_FAIL (prove.sh sets it for the base
# kernel: the tests that must fail there; scripts/ktap.py recordable).  Any
# other run is run again next time.
# shellcheck disable=SC2086 # EXPECT_FAIL is a list of test names
why=$(python3 "$TOP/scripts/ktap.py" recordable "$outlog" ${EXPECT_FAIL:-}) ||
	die "cannot check $outlog with scripts/ktap.py"
if [ -z "$why" ]; then
	cp "$outlog" "$cached.tmp" && mv "$cached.tmp" "$cached"
	log "$(basename "$dir"): every test passed${EXPECT_FAIL:+ but those expected to fail on this kernel}: recorded for reuse ($key)"
else
	log "$(basename "$dir"): not recorded for reuse ($why)"
fi
