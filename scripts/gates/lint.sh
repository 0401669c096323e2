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
# A file found clean is remembered by the hash of its content, of lib.sh
# (which shellcheck -x follows into) and of the linter's version: the
# same input gives the same verdict.  NO_RUN_CACHE=1 lints every file.
clean=$CACHE/lint
mkdir -p "$clean"
sc_version=$(shellcheck --version | sed -n 's/^version: //p')
pf_version=$(dpkg-query -W -f '${Version}' pyflakes3 2>/dev/null || echo unknown)
reused=0
lint() { # TOOL FILE CMD...
	local tool=$1 f=$2 key
	shift 2
	key=$(content_hash "$f" "$TOP/scripts/lib.sh" "$tool" "$sc_version" "$pf_version")
	if [ -z "${NO_RUN_CACHE:-}" ] && [ -f "$clean/$key" ]; then
		reused=$((reused + 1))
	elif "$@" "$f" >&2; then
		: >"$clean/$key"
	else
		results+=("not ok $tool ${f#"$TOP"/}")
		bad=$((bad + 1))
		return
	fi
	results+=("ok $tool ${f#"$TOP"/}")
}
results=()
bad=0
for f in "${files[@]}"; do
	case $f in
	*.py) py+=("$f") ;;
	*) lint shellcheck "$f" shellcheck -x -P SCRIPTDIR -s bash ;;
	esac
done
for f in "${py[@]}"; do
	lint pyflakes "$f" pyflakes3
done
write_ktap "$OUTDIR/lint.ktap" "${results[@]}"
[ $bad -eq 0 ] || die "$bad of ${#results[@]} files have findings (see above)"
log "${#results[@]} files clean ($reused unchanged since they were last found clean)"
