#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The main job for one base: fetch, trees, base and patched kernels, the
# selftests of the patched tree, one VM boot per kernel running the MSR test
# and the regression set, then the report and its verdicts.
# Every stage is timed into $OUTDIR/$TAG/timings.tsv.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

TAG=$(base_tag)
STAGE_TAG=$TAG
out=$OUTDIR/$TAG
S=$TOP/scripts
# TESTS picks the test lists under tests/ (default: all of them); the quick
# edit-build-test loop is TESTS=msr.
cfgs=()
for t in ${TESTS:-msr regression vmm reliability}; do
	[ -f "$TOP/tests/$t.cfg" ] || die "no test list tests/$t.cfg"
	cfgs+=("$TOP/tests/$t.cfg")
done
mkdir -p "$out"
: >"$out/timings.tsv"
rm -f "$out/verdicts.ktap"
t_start=$(date +%s)


if [ -z "${KERNEL_TREE:-}" ]; then
	stage fetch "$S/fetch-base.sh"
fi
stage trees "$S/prepare-tree.sh"
stage kernel-base "$S/build-kernel.sh" base
stage kernel-patched "$S/build-kernel.sh" patched
mapfile -t files < <(python3 "$S/testlist.py" --tree "$CACHE/trees/$TAG/patched" files "${cfgs[@]}" | grep -v "^vmm/" | sort -u)
stage selftests "$S/build-selftests.sh" patched "${files[@]}"
stage initramfs "$S/mkinitramfs.sh" patched "${cfgs[@]}" >"$out/initramfs.path"
initrd=$(cat "$out/initramfs.path")
for v in base patched; do
	stage "vm-$v" "$S/run-vm.sh" "$CACHE/kernels/$TAG/$v/bzImage" "$initrd" "$out/$v/console.log"
done

src_env=$CACHE/src/$BASE/source.env
[ -z "${KERNEL_TREE:-}" ] || src_env=/dev/null
echo "total	$(($(date +%s) - t_start)).0	ok" >>"$out/timings.tsv"
rc=0
python3 "$S/report.py" --tag "$TAG" --out "$out" \
	--base-log "$out/base/console.log" --patched-log "$out/patched/console.log" \
	--base-src "$CACHE/trees/$TAG/base" --patched-src "$CACHE/trees/$TAG/patched" \
	--source-env "$src_env" --timings "$out/timings.tsv" \
	"${cfgs[@]/#/--cfg=}" || rc=$?
print_timings "$TAG"
if [ -n "${KERNEL_TREE:-}" ]; then
	echo "base: $KERNEL_TREE at $(git -C "$CACHE/trees/$TAG/base" rev-parse --short=12 HEAD)"
else
	# shellcheck source=/dev/null
	. "$src_env"
	echo "base: $PKG $PKG_VERSION, tarball sha256 $TARBALL_SHA256${PIN_NOTE:+ ($PIN_NOTE)}"
fi
exit $rc
