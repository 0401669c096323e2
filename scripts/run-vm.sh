#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Boot a kernel under QEMU TCG (-cpu max: emulated SVM with NPT, so kvm_amd
# runs in the guest) with a test initramfs and keep the console log.
# A run whose inputs (kernel, initramfs, command line) hash the same as an
# earlier one reuses that run's console log and says so.
# Usage: run-vm.sh BZIMAGE INITRAMFS OUTPUT_LOG
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

kernel=${1:?usage: run-vm.sh BZIMAGE INITRAMFS OUTPUT_LOG}
initrd=${2:?}
outlog=${3:?}
cmdline="console=ttyS0 panic=-1 kvm.force_emulation_prefix=1 ${VM_APPEND:-}"
qemu=(qemu-system-x86_64 -accel tcg -cpu max -smp "${VM_SMP:-2}" -m "${VM_MEM:-4G}"
	-nographic -no-reboot -nodefaults -serial stdio -display none)
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing: apt-get install qemu-system-x86"

# Host-side limit: the sum of the tests' timeouts plus boot slack.
limit=${VM_TIMEOUT:-$(awk '{ s += ($3 + 10) * ($4 + 1) } END { print s + 60 }' < <(cpio -i --to-stdout tests.list <"$initrd" 2>/dev/null))}

key=$( {
	sha256sum "$kernel" "$initrd"
	echo "$cmdline ${qemu[*]}"
} | sha256sum | cut -c1-16)
cached=$CACHE/runs/$key.log
mkdir -p "$CACHE/runs" "$(dirname "$outlog")"
if [ -f "$cached" ] && [ -z "${NO_RUN_CACHE:-}" ]; then
	cp "$cached" "$outlog"
	echo "# bench: verdict reused from an identical earlier run ($key); NO_RUN_CACHE=1 reruns" >>"$outlog"
	log "$(basename "$(dirname "$outlog")"): inputs unchanged ($key): reusing recorded run"
	exit 0
fi

log "booting $(basename "$(dirname "$kernel")") kernel (limit ${limit}s, console: $outlog)"
rc=0
timeout --foreground -k 10 "$limit" "${qemu[@]}" -kernel "$kernel" -initrd "$initrd" \
	-append "$cmdline" </dev/null >"$outlog" 2>&1 &
qpid=$!
# Watchdog (lib.sh): a test still running a minute after its own timeout
# means the guest kernel is stuck; it stops the VM and names the test.
read -r hung tmo <<<"$(vm_watchdog "$qpid" "$outlog")"
wait "$qpid" || rc=$?
if [ -n "$hung" ]; then
	echo "# bench: VM hung: test $hung still running 60 s after its ${tmo}s timeout; the guest kernel stopped making progress" >>"$outlog"
	die "VM hung in test '$hung' (no result 60 s after its ${tmo}s timeout: the guest's own timeout did not fire); console: $outlog"
fi
if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
	echo "# bench: host timeout after ${limit}s" >>"$outlog"
	die "VM did not finish within ${limit}s; console: $outlog"
fi
[ $rc -eq 0 ] || die "qemu exited with $rc; console: $outlog"
grep -q '^# bench: all tests done' "$outlog" || die "VM stopped before its tests finished; console: $outlog"
cp "$outlog" "$cached"
