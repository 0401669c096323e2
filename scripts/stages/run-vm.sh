#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Boot a kernel under QEMU TCG (-cpu max: emulated SVM with NPT, so kvm_amd
# runs in the guest) with a test initramfs and keep the console log.
# A run whose inputs (kernel, initramfs, command line) hash the same as an
# earlier recorded one reuses that run's console log and says so; which runs
# are recorded: see "Verdict reuse" below.
# Usage: run-vm.sh BZIMAGE INITRAMFS OUTPUT_LOG
set -euo pipefail
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

kernel=${1:?usage: run-vm.sh BZIMAGE INITRAMFS OUTPUT_LOG}
initrd=${2:?}
outlog=${3:?}
cmdline="console=ttyS0 panic=-1 kvm.force_emulation_prefix=1 ${VM_APPEND:-}"
# Multi-threaded TCG (one host thread per vCPU).  VM_ACCEL=tcg,thread=single
# runs both vCPUs on one thread: no MTTCG emulation race (the stress's vCPUs
# then never triple-fault unpinned) and faster serial tests on a busy host,
# but a loaded host starves its 2-vCPU work: the QEMU check's nested boot
# then overran 120 and 300 s limits (README.md, "Reliability").
# VM_ICOUNT=shift=0,align=off,sleep=off (make bench): -icount, the guest's
# clocks (TSC, CLOCK_MONOTONIC) count executed instructions, 2^shift ns
# each, instead of host time; icount needs single-threaded TCG, so
# VM_ACCEL then defaults to tcg,thread=single.  Unset: neither.
accel=${VM_ACCEL:-tcg${VM_ICOUNT:+,thread=single}}
qemu=(qemu-system-x86_64 -accel "$accel" -cpu max -smp "${VM_SMP:-2}" -m "${VM_MEM:-4G}"
	-nographic -no-reboot -nodefaults -serial stdio -display none
	${VM_ICOUNT:+-icount "$VM_ICOUNT"})
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing: apt-get install qemu-system-x86"

# Host-side limit: the sum of the tests' timeouts plus boot slack.  The
# timeouts are guest seconds; VM_TIME_SCALE (default 1): host seconds per
# guest second (an integer), for a guest clock slower than the host's
# (icount).
scale=${VM_TIME_SCALE:-1}
limit=${VM_TIMEOUT:-$(awk -v k="$scale" '{ s += ($3 + 10) * ($4 + 1) } END { print int(s * k + 60) }' < <(cpio -i --to-stdout tests.list <"$initrd" 2>/dev/null))}

# Verdict reuse.  A finished run is recorded in $CACHE/runs/KEY.log and
# replayed while kernel, initramfs and command line hash the same, but only
# a run that would come out the same again:
#  - every test reported, none passed only on its retry, no kernel report
#    on the console, and the tests that failed are exactly those in
#    $EXPECT_FAIL (prove.sh sets it for the base kernel: the tests the
#    lists say must fail there; empty for the patched kernel): recorded at
#    once (scripts/ktap.py recordable);
#  - otherwise (another test failed, timed out or needed its retry; a
#    kernel report): recorded only if the previous boot of the same inputs
#    found exactly the same (KEY.seen), i.e. it reproduced; a flake seen
#    once is never replayed.
# A run that stopped early (hang, host timeout, crash) is never recorded.
# "rule 2" in the key: runs recorded before this rule are not reused.
key=$( {
	sha256sum "$kernel" "$initrd"
	echo "$cmdline ${qemu[*]} rule 2"
} | sha256sum | cut -c1-16)
cached=$CACHE/runs/$key.log
seen=$CACHE/runs/$key.seen
who=$(basename "$(dirname "$outlog")")
mkdir -p "$CACHE/runs" "$(dirname "$outlog")"

# What in a console log might not come out the same on another boot: one
# line per failed, timed-out or retried test (its KTAP line without the
# number), and one if the console has a kernel report (the patterns are
# scripts/ktap.py's REPORT_RE).  Empty for a clean run.
findings() {
	local re
	re=$(cd "$TOP/scripts" && python3 -c 'import ktap; print(ktap.REPORT_RE.pattern)') ||
		die "cannot read REPORT_RE from scripts/ktap.py"
	{
		tr -d '\r' <"$1" | sed -nE 's/^not ok [0-9]+ //p; s/^ok [0-9]+ (\S+ # RETRIED.*)/\1/p'
		if tr -d '\r' <"$1" | grep -aqP "$re"; then echo "kernel report on the console"; fi
	} | sort
}
summary() { # LOG: "N tests: N ok, N skipped, N not ok"
	tr -d '\r' <"$1" | awk '/^ok [0-9]+ / { n++; if (/# SKIP/) s++; else o++ }
		/^not ok [0-9]+ / { n++; f++ }
		END { printf "%d tests: %d ok, %d skipped, %d not ok", n, o, s, f }'
}

if [ -f "$cached" ] && [ -z "${NO_RUN_CACHE:-}" ]; then
	cp "$cached" "$outlog"
	found=$(findings "$cached")
	echo "# bench: verdict reused from an identical earlier run ($key): $(summary "$cached")${found:+, its failures expected on this kernel or reproduced in two boots}; NO_RUN_CACHE=1 reruns" >>"$outlog"
	log "$who: inputs unchanged ($key): reusing the recorded run, not booting ($(summary "$cached"))"
	[ -z "$found" ] || log "$who: recorded with these failures (expected on this kernel, or found by two boots): $(paste -sd';' <<<"$found")"
	exit 0
fi
if [ -n "${NO_RUN_CACHE:-}" ]; then
	log "$who: NO_RUN_CACHE set: not reusing a recorded run ($key)"
elif [ -f "$seen" ]; then
	log "$who: the last boot of these inputs was not recorded (its findings: $seen): running again"
else
	log "$who: no recorded run for these inputs ($key)"
fi

log "booting $(basename "$(dirname "$kernel")") kernel (limit ${limit}s, console: $outlog)"
rc=0
timeout --foreground -k 10 "$limit" "${qemu[@]}" -kernel "$kernel" -initrd "$initrd" \
	-append "$cmdline" </dev/null >"$outlog" 2>&1 &
qpid=$!
# Watchdog (lib.sh): a test still running a minute after its own timeout
# means the guest kernel is stuck; it stops the VM and names the test.
vm_wait VM "$qpid" "$outlog" "$limit" "$scale"
rc=$vm_rc
[ $rc -eq 0 ] || die "qemu exited with $rc; console: $outlog"
grep -q '^# bench: all tests done' "$outlog" || die "VM stopped before its tests finished; console: $outlog"
found=$(findings "$outlog")
# shellcheck disable=SC2086 # EXPECT_FAIL is a list of test names
why=$(python3 "$TOP/scripts/ktap.py" recordable "$outlog" ${EXPECT_FAIL:-}) ||
	die "cannot check $outlog with scripts/ktap.py"
if [ -z "$why" ]; then
	rm -f "$seen"
	cp "$outlog" "$cached.tmp" && mv "$cached.tmp" "$cached"
	log "$who: ran $(summary "$outlog"), no retry, no kernel report${EXPECT_FAIL:+, failed exactly the tests expected to fail on this kernel}: recorded for reuse ($key)"
elif [ -f "$seen" ] && [ "$found" = "$(cat "$seen")" ]; then
	rm -f "$seen"
	cp "$outlog" "$cached.tmp" && mv "$cached.tmp" "$cached"
	log "$who: ran $(summary "$outlog"); the previous boot found the same, so recorded for reuse ($key): $(paste -sd';' <<<"$found")"
else
	echo "$found" >"$seen"
	log "$who: ran $(summary "$outlog"); not recorded (seen once; recorded when a boot of the same inputs finds the same again): $(paste -sd';' <<<"$found")"
fi
