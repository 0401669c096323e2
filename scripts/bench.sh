#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench: boot the base and patched kernels of one base, BENCH_ROUNDS
# times each (default 3; under -icount a round's two boots run side by side,
# otherwise in turn, the order alternating every round so that drift on
# the host hits both alike), run progs/msr_bench in each boot
# and print patched/base ratios with their spread (scripts/report/bench-report.py).
# Nothing is reused: every boot measures.  Logs: $OUTDIR/<base>/bench/.
#
# The clock: QEMU -icount (BENCH_ICOUNT, default shift=0,align=off,sleep=off):
# the guest's TSC and CLOCK_MONOTONIC count executed guest instructions,
# 1 ns each, so msr_bench's "calls per second" are calls per 10^9
# instructions whatever else the host runs.  Host wall time, which TCG's
# guest clock follows otherwise, moved the ratios by up to 10% from run to
# run on a shared host (issue 16).  One vCPU (VM_SMP=1): under icount all
# vCPUs share one thread and one instruction count.  A guest second then
# takes several host seconds: VM_TIME_SCALE stretches the host's limits.
# BENCH_ICOUNT= (empty): the old clock, host wall time, 2 vCPUs.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

TAG=$(base_tag)
STAGE_TAG=$TAG/bench
out=$OUTDIR/$TAG/bench
S=$TOP/scripts
cfg=$TOP/tests/bench.cfg
rounds=${BENCH_ROUNDS:-3}
icount=${BENCH_ICOUNT-shift=0,align=off,sleep=off}
if [ -n "$icount" ]; then
	export VM_ICOUNT=$icount VM_SMP=${VM_SMP:-1} VM_TIME_SCALE=${VM_TIME_SCALE:-10}
else
	unset VM_ICOUNT
fi
# make bench measures: every boot runs (NO_RUN_CACHE=1).  BENCH_REUSE=1
# (make check) replays a recorded boot of the same kernel, initramfs and
# command line instead, under -icount only, where a boot's counts come
# out the same every time (README, "What the series costs").
reuse=(NO_RUN_CACHE=1)
if [ -n "${BENCH_REUSE:-}" ] && [ -n "$icount" ]; then
	reuse=()
fi
mkdir -p "$out"
rm -f "$out"/*.log
: >"$out/timings.tsv"


if [ -z "${KERNEL_TREE:-}" ]; then
	stage fetch "$S/stages/fetch-base.sh"
fi
stage trees "$S/stages/prepare-tree.sh"
stage kernel-base "$S/stages/build-kernel.sh" base
stage kernel-patched "$S/stages/build-kernel.sh" patched
stage selftests "$S/stages/build-selftests.sh" patched progs/msr_bench
stage initramfs "$S/stages/mkinitramfs.sh" patched "$cfg" >"$out/initramfs.path"
initrd=$(cat "$out/initramfs.path")
# shellcheck disable=SC2317 # called through stage and timed
bench_boot() { # VARIANT ROUND
	env ${reuse[@]+"${reuse[@]}"} "$S/stages/run-vm.sh" \
		"$(kernel_dir "$1")/bzImage" "$initrd" "$out/$1-$2.log"
}
# Under -icount QEMU runs every vCPU in one thread, so a bench VM uses one
# core: a round's two boots run side by side, one per core, each timed too.
# Their counts don't depend on it (the guest's clock is its instruction
# count); the host wall time beside them is that of a shared host either
# way.  BENCH_PARALLEL=0, or the wall-time clock, boots them in turn.
# shellcheck disable=SC2317
pair() { # ROUND
	local pids=() rc=0 p v
	for v in base patched; do
		STEP=vm-$v-$1 timed "$STAGE_TAG" "vm-$v-$1" bench_boot "$v" "$1" &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p" || rc=1; done
	return "$rc"
}
parallel=0
if [ -n "$icount" ] && [ "${BENCH_PARALLEL:-1}" != 0 ] && [ "$(nproc)" -ge 2 ]; then
	parallel=1
fi
for r in $(seq 1 "$rounds"); do
	if [ $parallel = 1 ]; then
		stage "vm-pair-$r" pair "$r"
		continue
	fi
	order="base patched"
	[ $((r % 2)) -eq 1 ] || order="patched base"
	for v in $order; do
		stage "vm-$v-$r" bench_boot "$v" "$r"
	done
done
order=alternating
[ $parallel = 0 ] || order="base and patched side by side"
python3 "$S/report/bench-report.py" --tag "$TAG" --dir "$out" --rounds "$rounds" --icount "$icount" \
	--order "$order"

# Which of the measured paths run different code: the functions' machine
# code, addresses masked, base against patched.
echo
echo "machine code, base vs patched (addresses masked):"
for fn in kvm_msr_allowed kvm_emulate_rdmsr kvm_vm_ioctl_set_msr_filter; do
	for v in base patched; do
		objdump -d --no-show-raw-insn --disassemble="$fn" \
			"$(tree_dir "$v")/.build/vmlinux" |
			sed -n '/^[0-9a-f]* <.*>:$/,$p' |
			sed -E 's/^ *[0-9a-f]+:\s*//; s/[0-9a-f]{8,16}( <[^>]*>)?/ADDR/g' >"$out/$fn.$v.s"
	done
	if [ ! -s "$out/$fn.base.s" ]; then
		echo "  $fn: not a separate function (inlined)"
	elif cmp -s "$out/$fn.base.s" "$out/$fn.patched.s"; then
		echo "  $fn: identical ($(wc -l <"$out/$fn.base.s") instructions)"
	else
		echo "  $fn: differs ($(wc -l <"$out/$fn.base.s") -> $(wc -l <"$out/$fn.patched.s") instructions)"
	fi
done | tee "$out/code.txt"
print_timings "$TAG, bench"
