#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The main job for one base: fetch, trees, base and patched kernels, the
# selftests of the patched tree, then on each machine of VENDOR one boot
# per kernel running the tests of TESTS that this machine runs (the .cfg
# files' vendors keys, scripts/testlist.py), then the report and its
# verdicts, a base / patched column pair per machine.
#   VENDOR=svm   QEMU TCG -cpu max: emulated AMD SVM (scripts/stages/run-vm.sh)
#   VENDOR=vmx   Bochs: emulated Intel VMX (scripts/stages/run-bochs.sh)
#   default      both, "svm vmx"
# Bochs is single-threaded: on two or more CPUs its base and patched boots
# run side by side (VM_PARALLEL=0 runs them one after the other).
# Logs: $OUTDIR/$TAG/<vendor>/<base|patched>/console.log.  Every stage is
# timed into $OUTDIR/$TAG/timings.tsv.
# PROVE_BUILD_ONLY=1 stops after the builds (fetch, trees, kernels,
# selftests), timed into $OUTDIR/$TAG/build/timings.tsv: make check builds
# the other bases this way in the background while the first base's test
# VMs run (scripts/check.sh).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

S=$TOP/scripts
# TESTS picks the test lists under tests/: all (the default here) is every
# list of the main series, what make check runs; make's default is
# "msr vmm"; the quick edit-build-test loop is TESTS=msr.
cfgs=()
# The QEMU check (vmm) runs right after the MSR test, in a test VM that
# has run nothing else, as in make's default: after the regression set its
# nested guest stalled in PCI probing, twice in a row on an idle host
# (README, "Flakiness").
[ "${TESTS:-all}" != all ] || TESTS="msr vmm regression reliability kselftest evidence"
for t in ${TESTS:-}; do
	[ -f "$TOP/tests/$t.cfg" ] || die "no test list tests/$t.cfg"
	cfgs+=("$TOP/tests/$t.cfg")
done
read -ra vendors <<<"${VENDOR:-svm vmx}"
[ ${#vendors[@]} -gt 0 ] || die "VENDOR is empty (svm, vmx or both)"
for v in "${vendors[@]}"; do
	case $v in
	svm | vmx) ;;
	*) die "unknown VENDOR '$v' (svm: QEMU, emulated AMD SVM; vmx: Bochs, emulated Intel VMX)" ;;
	esac
done
# The series the test lists belong to (their "series" key): the patches
# prepare-tree.sh applies, unless SERIES names a directory.  A series other
# than the default gets its own trees and reports (base_tag).
name=$(python3 "$S/testlist.py" series "${cfgs[@]}") || die "test lists of different series"
export SERIES_NAME=${name:-${SERIES_NAME:-series}}
SERIES=${SERIES:-$(series_dir)}
export SERIES
TAG=$(base_tag)
STAGE_TAG=$TAG
[ -z "${PROVE_BUILD_ONLY:-}" ] || STAGE_TAG=$TAG/build
out=$OUTDIR/$TAG
mkdir -p "$OUTDIR/$STAGE_TAG"
: >"$OUTDIR/$STAGE_TAG/timings.tsv"
rm -f "$out/verdicts.ktap"
t_start=$(date +%s)


if [ -z "${KERNEL_TREE:-}" ]; then
	stage fetch "$S/stages/fetch-base.sh"
fi
stage trees "$S/stages/prepare-tree.sh"
stage kernel-base "$S/stages/build-kernel.sh" base
stage kernel-patched "$S/stages/build-kernel.sh" patched
testlist() { python3 "$S/testlist.py" --tree "$(tree_dir patched)" "$@" "${cfgs[@]}"; }
# The selftests and programs to build (vmm/ scripts need no build); none
# for TESTS=vmm, whose check runs Debian's QEMU.
mapfile -t files < <(testlist --vendor "${vendors[*]}" files | { grep -v "^vmm/" || true; } | sort -u)
if [ ${#files[@]} -gt 0 ]; then
	stage selftests "$S/stages/build-selftests.sh" patched "${files[@]}"
else
	log "selftests: TESTS='${TESTS:-}' runs no selftest: not building them"
fi
if [ -n "${PROVE_BUILD_ONLY:-}" ]; then
	print_timings "$TAG, builds only"
	exit 0
fi
# One initramfs per machine: its own test list.  A machine that runs none
# of TESTS boots nothing; the report says why (SKIP).
booted=()
for v in "${vendors[@]}"; do
	if [ -z "$(testlist --vendor "$v" list 2>/dev/null)" ]; then
		log "$v: no test of TESTS='${TESTS:-}' runs on $v: not booting it"
		continue
	fi
	mkdir -p "$out/$v"
	stage "initramfs-$v" env VENDOR="$v" "$S/stages/mkinitramfs.sh" patched "${cfgs[@]}" >"$out/$v/initramfs.path"
	booted+=("$v")
done

# The tests a VM run of VARIANT on VENDOR must fail (the base kernel's:
# the lists' base_fails and new cases), so that the runners can record an
# expected base run for reuse at once (scripts/ktap.py recordable).
# shellcheck disable=SC2317 # called through stage
expect_fail() { # VENDOR VARIANT
	[ "$2" = base ] || return 0
	testlist --vendor "$1" base-fails 2>/dev/null | paste -sd' '
}
# One boot of VARIANT on VENDOR: QEMU (svm) or Bochs (vmx).  Through stage.
# shellcheck disable=SC2317
vm_boot() { # VENDOR VARIANT
	local runner=run-vm.sh
	[ "$1" = svm ] || runner=run-bochs.sh
	EXPECT_FAIL=$(expect_fail "$1" "$2") "$S/stages/$runner" "$(kernel_dir "$2")/bzImage" \
		"$(cat "$out/$1/initramfs.path")" "$out/$1/$2/console.log"
}
# The base and the patched boot at once, one per core, each timed too:
# for Bochs, which is single-threaded.  Not for QEMU: side by side gave
# no gain (TESTS=all: 7.2's pair took 318 s side by side, 7.3's 317 s one
# after the other) and the QEMU check's nested boot overran its limit;
# make check builds at nice 19 beside them instead (scripts/check.sh).
# shellcheck disable=SC2317
side_by_side() { # VENDOR
	local pids=() rc=0 p var
	for var in base patched; do
		STEP=vm-$1-$var timed "$TAG" "vm-$1-$var" vm_boot "$1" "$var" &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p" || rc=1; done
	return "$rc"
}
for v in "${booted[@]}"; do
	if [ "$v" = vmx ] && [ "${VM_PARALLEL:-1}" != 0 ] && [ "$(nproc)" -ge 2 ]; then
		stage "vm-$v-both" side_by_side "$v"
	else
		for var in base patched; do stage "vm-$v-$var" vm_boot "$v" "$var"; done
	fi
done
runs=()
for v in "${vendors[@]}"; do
	case " ${booted[*]} " in
	*" $v "*) runs+=(--run "$v" "$out/$v/base/console.log" "$out/$v/patched/console.log") ;;
	*) runs+=(--run "$v" - -) ;;
	esac
done

src_env=$CACHE/src/$BASE/source.env
[ -z "${KERNEL_TREE:-}" ] || src_env=/dev/null
echo "total	$(($(date +%s) - t_start)).0	ok" >>"$out/timings.tsv"
rc=0
python3 "$S/report/report.py" --tag "$TAG" --out "$out" "${runs[@]}" \
	--base-src "$(tree_dir base)" --patched-src "$(tree_dir patched)" \
	--source-env "$src_env" --timings "$out/timings.tsv" \
	"${cfgs[@]/#/--cfg=}" || rc=$?
print_timings "$TAG"
if [ -n "${KERNEL_TREE:-}" ]; then
	echo "base: $KERNEL_TREE at $(git -C "$(tree_dir base)" rev-parse --short=12 HEAD)"
else
	# shellcheck source=/dev/null
	. "$src_env"
	echo "base: $PKG $PKG_VERSION, tarball sha256 $TARBALL_SHA256${PIN_NOTE:+ ($PIN_NOTE)}"
fi
exit $rc
