#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Lint the bench: shellcheck its shell scripts, pyflakes (Debian's
# pyflakes3) its Python.  Prints one KTAP line per file into
# $OUTDIR/lint.ktap.  Usage: lint.sh [FILE...]; without files, every shell
# script and Python file of the bench.
set -euo pipefail
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

mkdir -p "$OUTDIR"
files=("$@")
py=()
if [ ${#files[@]} -eq 0 ]; then
	files=("$TOP"/scripts/*.sh "$TOP"/scripts/*/*.sh "$TOP"/vm/init "$TOP"/vmm/nested-init
		"$TOP"/vmm/qemu_msr_filter "$TOP"/progs/kmemleak "$TOP"/progs/run_kselftest "$TOP"/.ci/run)
	mapfile -t py < <(find "$TOP/scripts" "$TOP/tests" -name '*.py' | sort)
fi
results=()
bad=0
for f in "${files[@]}"; do
	case $f in
	*.py) py+=("$f") ;;
	*)
		if shellcheck -x -P SCRIPTDIR -s bash "$f" >&2; then
			results+=("ok shellcheck $f")
		else
			results+=("not ok shellcheck $f")
			bad=$((bad + 1))
		fi
		;;
	esac
done
for f in "${py[@]}"; do
	if pyflakes3 "$f" >&2; then
		results+=("ok pyflakes ${f#"$TOP"/}")
	else
		results+=("not ok pyflakes ${f#"$TOP"/}")
		bad=$((bad + 1))
	fi
done
write_ktap "$OUTDIR/lint.ktap" "${results[@]}"
[ $bad -eq 0 ] || die "$bad of ${#results[@]} files have findings (see above)"
log "${#results[@]} files clean"
