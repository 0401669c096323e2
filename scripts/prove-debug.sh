#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The debug-kernel run for one base: the patched tree built with
# config/debug.config (KASAN, UBSAN, lockdep, kmemleak, ...), booted once
# with the tests of tests/debug.cfg.  Any kernel report on the console, a
# failed test or a failed metric check fails it.  Stages are timed into
# $OUTDIR/<base>/debug/timings.tsv; verdicts in .../debug/verdicts.ktap.
# PROVE_BUILD_ONLY=1 stops after the debug kernel's build, timed into
# .../debug/build/timings.tsv (make check builds it in the background;
# scripts/check.sh).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

TAG=$(base_tag)
STAGE_TAG=$TAG/debug
[ -z "${PROVE_BUILD_ONLY:-}" ] || STAGE_TAG=$TAG/debug/build
out=$OUTDIR/$TAG/debug
S=$TOP/scripts
cfg=$TOP/tests/debug.cfg
mkdir -p "$OUTDIR/$STAGE_TAG"
: >"$OUTDIR/$STAGE_TAG/timings.tsv"
rm -f "$out/verdicts.ktap"


if [ -z "${KERNEL_TREE:-}" ]; then
	stage fetch "$S/stages/fetch-base.sh"
fi
stage trees "$S/stages/prepare-tree.sh"
stage kernel-debug "$S/stages/build-kernel.sh" patched debug
if [ -n "${PROVE_BUILD_ONLY:-}" ]; then
	print_timings "$TAG, debug kernel build only"
	exit 0
fi
mapfile -t files < <(python3 "$S/testlist.py" --tree "$(tree_dir patched)" files "$cfg" | sort -u)
stage selftests "$S/stages/build-selftests.sh" patched "${files[@]}"
GEN_INIT_CPIO=$(tree_dir patched)/.build-debug/usr/gen_init_cpio
export GEN_INIT_CPIO
stage initramfs "$S/stages/mkinitramfs.sh" patched "$cfg" >"$out/initramfs.path"
stage vm-debug "$S/stages/run-vm.sh" "$(kernel_dir patched-debug)/bzImage" \
	"$(cat "$out/initramfs.path")" "$out/console.log"

rc=0
python3 "$S/report/report-debug.py" --tag "$TAG" --cfg "$cfg" --log "$out/console.log" \
	--out "$out" --timings "$out/timings.tsv" --config "$TOP/config/debug.config" || rc=$?
print_timings "$TAG, debug kernel"
exit $rc
