#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make debug: the patched tree built with config/debug.config (KASAN,
# UBSAN, lockdep, kmemleak) and booted once under QEMU with
# tests/debug.cfg.  Any kernel report, failed test or failed metric check
# fails it.  Logs: out/<tag>/debug/.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

pipeline_init debug "$TOP/tests/debug.cfg"
pipeline_sources
pipeline_kernel patched debug
pipeline_plan svm
if [ -n "${BUILD_ONLY:-}" ]; then
	print_timings "$TAG, debug kernel build only"
	exit 0
fi
pipeline_selftests
pipeline_initramfs svm
stage boot-debug pipeline_boot svm patched-debug "$OUT/console.log"
rc=0
py report debug --plan "$OUT/plan" --out "$OUT" --tag "$TAG" --console "$OUT/console.log" \
	--config "$TOP/config/debug.config" --timings "$OUTDIR/$STAGE_TAG/timings.tsv" || rc=$?
print_timings "$TAG, debug kernel"
exit $rc
