#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench: what the series costs (docs/bench.md).  The pipeline with
# the base and patched kernels and tests/bench.cfg (guest/progs/msr_bench),
# BENCH_ROUNDS boots of each kernel under QEMU, then patched/base ratios
# (kvmbench.bench_report) and the machine code of the functions on the
# measured paths, base against patched.  Logs: out/<tag>/bench/.
#
# The clock: QEMU -icount (BENCH_ICOUNT): guest time counts executed guest
# instructions, 1 ns each, whatever the host runs; one vCPU, one thread,
# so a round's two boots run side by side (BENCH_PARALLEL=0: in turn), and
# a guest second takes several host seconds (the limits scale by 10).
# BENCH_ICOUNT= (empty): host wall time, 2 vCPUs, boots in turn.
# Every boot runs (NO_RUN_CACHE=1), but with BENCH_REUSE=1 (make check)
# under -icount, where a boot's counts come out the same every time.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

rounds=${BENCH_ROUNDS:-3}
icount=${BENCH_ICOUNT-shift=0,align=off,sleep=off}
boot_args=()
par=0
if [ -n "$icount" ]; then
	export VM_ICOUNT=$icount VM_SMP=1
	boot_args=(--scale 10)
	par=${BENCH_PARALLEL:-1}
else
	unset VM_ICOUNT
fi
if [ -z "${BENCH_REUSE:-}" ] || [ -z "$icount" ]; then
	export NO_RUN_CACHE=1
fi

pipeline_init bench "$TOP/tests/bench.cfg"
pipeline_sources --ahead
pipeline_kernel base
pipeline_kernel patched
pipeline_plan svm
pipeline_selftests
pipeline_initramfs svm
rm -rf "$OUT/round-"*
for r in $(seq 1 "$rounds"); do
	pipeline_boot_pair svm "-$r" "$OUT/round-$r" "$par" ${boot_args[@]+"${boot_args[@]}"}
done
order=alternating
[ "$par" = 0 ] || order="base and patched side by side"
py bench_report --tag "$TAG" --dir "$OUT" --rounds "$rounds" --icount "$icount" --order "$order"

# Which of the measured paths run different code: the functions' machine
# code, addresses masked, base against patched.
echo
echo "machine code, base vs patched (addresses masked):"
for fn in kvm_msr_allowed kvm_emulate_rdmsr kvm_vm_ioctl_set_msr_filter; do
	for v in base patched; do
		objdump -d --no-show-raw-insn --disassemble="$fn" "$(kernel_dir "$v")/vmlinux" |
			sed -n '/^[0-9a-f]* <.*>:$/,$p' |
			sed -E 's/^ *[0-9a-f]+:\s*//; s/[0-9a-f]{8,16}( <[^>]*>)?/ADDR/g' >"$OUT/$fn.$v.s"
	done
	if [ ! -s "$OUT/$fn.base.s" ]; then
		echo "  $fn: not a separate function (inlined)"
	elif cmp -s "$OUT/$fn.base.s" "$OUT/$fn.patched.s"; then
		echo "  $fn: identical ($(wc -l <"$OUT/$fn.base.s") instructions)"
	else
		echo "  $fn: differs ($(wc -l <"$OUT/$fn.base.s") -> $(wc -l <"$OUT/$fn.patched.s") instructions)"
	fi
done | tee "$OUT/code.txt"
print_timings "$TAG, bench"
