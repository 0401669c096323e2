#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make: prove a series on one base.  The pipeline (lib.sh) with the base
# and patched kernels, the lists of TESTS, on each machine of VENDOR one
# boot per kernel, then the side-by-side report and its verdicts
# (kvmbench.report; docs/tests.md says what they mean).
# Logs: out/<tag>/<vendor>/<base|patched>/console.log and command.txt.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# all: every list of the main series.  The QEMU check (vmm) runs right
# after the MSR test, in a test VM that has run nothing else (docs/flakes.md).
tests=${TESTS:-msr vmm}
[ "$tests" != all ] || tests="msr vmm regression reliability kselftest evidence"
cfgs=()
for t in $tests; do cfgs+=("$TOP/tests/$t.cfg"); done
read -ra vendors <<<"${VENDOR:-svm vmx}"
[ ${#vendors[@]} -gt 0 ] || die "VENDOR is empty (svm, vmx or both)"

pipeline_init "" "${cfgs[@]}"
pipeline_sources --ahead
pipeline_kernel base
pipeline_kernel patched
pipeline_plan "${vendors[@]}"
pipeline_selftests
if [ -n "${BUILD_ONLY:-}" ]; then
	print_timings "$TAG, builds only"
	exit 0
fi
runs=()
for v in "${vendors[@]}"; do
	case " ${PLAN_VENDORS[*]} " in
	*" $v "*) ;;
	*)
		log "$v: none of the tests of TESTS='$tests' runs on $v: not booting it"
		runs+=(--run "$v" - -)
		continue
		;;
	esac
	pipeline_initramfs "$v"
	# Bochs is single-threaded: its two boots side by side.  QEMU's not:
	# side by side gave no gain and the QEMU check's nested boot overran.
	par=0
	[ "$v" = svm ] || par=${VM_PARALLEL:-1}
	pipeline_boot_pair "$v" "" "$OUT/$v" "$par"
	runs+=(--run "$v" "$OUT/$v/base/console.log" "$OUT/$v/patched/console.log")
done
echo "total	$(($(date +%s) - T_START)).0	ok" >>"$OUT/timings.tsv"
verdicts=()
[ ! -f "$OUT/apply.ktap" ] || verdicts=(--verdicts "$OUT/apply.ktap")
src_env=$CACHE/src/$BASE/source.env
[ -z "${KERNEL_TREE:-}" ] || src_env=
rc=0
py report prove --plan "$OUT/plan" --out "$OUT" --tag "$TAG" "${runs[@]}" \
	--source-env "$src_env" --timings "$OUT/timings.tsv" "${verdicts[@]}" || rc=$?
print_timings "$TAG"
pipeline_source_line
exit $rc
