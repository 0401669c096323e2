#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Lint the bench: shellcheck its shell scripts, parse its Python.
# Prints one KTAP line per file into $OUTDIR/lint.ktap.  Usage: lint.sh
# [FILE...]; without files, every shell script of the bench.
set -euo pipefail
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

mkdir -p "$OUTDIR"
ktap=$OUTDIR/lint.ktap
files=("$@")
if [ ${#files[@]} -eq 0 ]; then
	files=("$TOP"/scripts/*.sh "$TOP"/scripts/*/*.sh "$TOP"/vm/init "$TOP"/vmm/nested-init
		"$TOP"/vmm/qemu_msr_filter "$TOP"/progs/kmemleak "$TOP"/progs/run_kselftest "$TOP"/.ci/run)
fi
mapfile -t py < <(find "$TOP/scripts" -name '*.py' | sort)
echo "KTAP version 1" >"$ktap"
echo "1..$((${#files[@]} + ${#py[@]}))" >>"$ktap"
i=0 bad=0
for f in "${files[@]}"; do
	i=$((i + 1))
	if shellcheck -x -P SCRIPTDIR -s bash "$f" >&2; then
		echo "ok $i shellcheck $f" >>"$ktap"
	else
		echo "not ok $i shellcheck $f" >>"$ktap"
		bad=$((bad + 1))
	fi
done
for f in "${py[@]}"; do
	i=$((i + 1))
	if python3 -c 'import ast, sys; ast.parse(open(sys.argv[1]).read(), sys.argv[1])' "$f" >&2; then
		echo "ok $i python-syntax ${f#"$TOP"/}" >>"$ktap"
	else
		echo "not ok $i python-syntax ${f#"$TOP"/}" >>"$ktap"
		bad=$((bad + 1))
	fi
done
[ $bad -eq 0 ] || die "$bad of $i files have findings (see above)"
log "$i files clean"
