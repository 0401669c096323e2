#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make lint: shellcheck every shell script of the bench, pyflakes (Debian's
# pyflakes3) its Python.  One KTAP line per file into out/lint.ktap.  A
# clean run is a cache entry keyed on every file and both linters' versions.
# Usage: lint.sh [FILE...]   (default: all of them)
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

mkdir -p "$OUTDIR"
files=("$@")
if [ ${#files[@]} -eq 0 ]; then
	mapfile -t files < <(
		cd "$TOP" && ls scripts/*.sh scripts/stages/*.sh guest/init guest/vmm/nested-init \
			guest/vmm/qemu_msr_filter guest/progs/kmemleak guest/progs/run_kselftest .ci/run \
			tests/unit/fixtures/make-fixtures.sh scripts/kvmbench/*.py tests/unit/*.py)
fi
inputs=("shellcheck=$(shellcheck --version | sed -n 's/^version: //p')"
	"pyflakes=$(dpkg-query -W -f '${Version}' pyflakes3 2>/dev/null || echo unknown)")
for f in "${files[@]}"; do inputs+=("$f=@$TOP/$f"); done
if [ $# -eq 0 ] && cache_get lint all "lint of ${#files[@]} files" "${inputs[@]}"; then
	cp "$CACHE_ENTRY/lint.ktap" "$OUTDIR/lint.ktap"
	exit 0
fi
results=()
bad=0
for f in "${files[@]}"; do
	case $f in
	*.py) tool=pyflakes && cmd=(pyflakes3) ;;
	*) tool=shellcheck && cmd=(shellcheck -x -P SCRIPTDIR -s bash) ;;
	esac
	if (cd "$TOP" && "${cmd[@]}" "$f") >&2; then
		results+=("ok $tool $f")
	else
		results+=("not ok $tool $f")
		bad=$((bad + 1))
	fi
done
write_ktap "$OUTDIR/lint.ktap" "${results[@]}"
[ $bad -eq 0 ] || die "$bad of ${#results[@]} files have findings (see above)"
[ $# -gt 0 ] || cache_put "$OUTDIR/lint.ktap"
log "${#results[@]} files clean"
