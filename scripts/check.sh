#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Everything CI runs: lint, the Python unit tests (tests/unit), then for each base the proof (prove.sh) and the
# per-patch gates (gates.sh), and on the default base the debug kernel
# (prove-debug.sh).  Every stage runs even if an earlier one
# failed, so one run shows every finding.  Each stage leaves a KTAP file;
# the last line counts their results: "N passed, N failed".
# CHECK_BASES picks the bases (default: "7.3 7.2"; BASE=6.12 works with make, not in check);
# the first gets every test list, the others CHECK_OTHER_TESTS (default "msr vmm").
set -uo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

S=$TOP/scripts
bases=${CHECK_BASES:-7.3 7.2}
failed=()
ktaps=()
t0=$(date +%s)
mkdir -p "$OUTDIR"
: >"$OUTDIR/check-timings.tsv"

run() { # NAME KTAP CMD...
	local name=$1 ktap=$2 t rc=0
	shift 2
	t=$(date +%s)
	echo "=== $name"
	rm -f "$ktap"
	"$@" || rc=$?
	printf '%s\t%s\t%s\n' "$name" "$(($(date +%s) - t))" "$([ $rc -eq 0 ] && echo ok || echo "fail($rc)")" \
		>>"$OUTDIR/check-timings.tsv"
	if [ ! -f "$ktap" ]; then
		# The stage died before it could report: count it as one failure.
		write_ktap "$ktap" "not ok $name # no results (exit $rc)"
	fi
	ktaps+=("$ktap")
	[ $rc -eq 0 ] || failed+=("$name")
}

# The space a run takes, before and after (README, "Disk"); the cache's
# size (du, 2.4 s over a warm cache here) only at the end.
disk() {
	mkdir -p "$CACHE"
	echo "disk: $(df -P -BG "$CACHE" | awk 'NR == 2 { print $4 }') free under $CACHE${1:+, which holds $(du -sh "$CACHE" 2>/dev/null | cut -f1)}"
}
disk
# A cold run (no trees yet) takes about CHECK_DISK_GIB GiB, measured
# (README, "Disk"): stop now rather than at the first full write.
if [ ! -d "$CACHE/trees" ] && ! (need_disk "${CHECK_DISK_GIB:-20}" "a make check from a cold cache"); then
	echo "0 passed, 1 failed"
	exit 1
fi
# disk_check below runs only the preflight.
[ -z "${CHECK_PREFLIGHT_ONLY:-}" ] || exit 0

run lint "$OUTDIR/lint.ktap" "$S/gates/lint.sh"
run unittest "$OUTDIR/unittest.ktap" python3 "$S/gates/run-unittests.py"
# The preflight above must be able to stop a run: a cold check in an empty
# cache that asks for more disk than any machine has.
disk_check() {
	local t out rc=0 d="a cold make check stops at once without the disk it needs"
	t=$(mktemp -d)
	out=$(CACHE=$t/cache OUTDIR=$t/out CHECK_DISK_GIB=1000000 CHECK_PREFLIGHT_ONLY=1 "$S/check.sh" 2>&1) || rc=$?
	rm -rf "$t"
	if [ $rc -eq 1 ] && grep -q 'not enough disk for a make check from a cold cache' <<<"$out" &&
		grep -qx '0 passed, 1 failed' <<<"$out"; then
		write_ktap "$OUTDIR/disk-check.ktap" "ok $d"
	else
		write_ktap "$OUTDIR/disk-check.ktap" "not ok $d # exit $rc"
		return 1
	fi
}
run "disk preflight" "$OUTDIR/disk-check.ktap" disk_check
first=${bases%% *}
for b in $bases; do
	# Every list on the first base, the one the posting is made on; on the
	# others the lists `make` runs (CHECK_OTHER_TESTS): the new cases and
	# the QEMU check, which is what a copy of the series must show there.
	tests=all
	[ "$b" = "$first" ] || tests=${CHECK_OTHER_TESTS:-msr vmm}
	run "prove BASE=$b" "$OUTDIR/$b/verdicts.ktap" env BASE="$b" TESTS="$tests" "$S/prove.sh"
	# The per-patch gates judge the posting, which is made on the first
	# base; the copies on other bases are proven, not posted (gates.sh
	# BASE=7.2 runs them by hand).  It keeps CI well inside its 90 minutes.
	if [ "$b" = "$first" ]; then
		run "gates BASE=$b" "$OUTDIR/$b/gates.ktap" env BASE="$b" "$S/gates/gates.sh"
	fi
	run "send BASE=$b" "$OUTDIR/$b/send.ktap" env BASE="$b" "$S/mail/test-send.sh"
done
# Every other series, found by its test list's series key (today
# series-tsc-deadline/ through tests/tsc-deadline.cfg), on the first base:
# its proof, its per-patch gates and its send test.
for cfg in "$TOP"/tests/*.cfg; do
	list=$(basename "$cfg" .cfg)
	name=$(python3 "$S/testlist.py" series "$cfg")
	case $name in "" | series) continue ;; esac
	tag=$(BASE=$first SERIES_NAME=$name base_tag)
	run "prove $list BASE=$first" "$OUTDIR/$tag/verdicts.ktap" \
		env BASE="$first" TESTS="$list" "$S/prove.sh"
	run "gates $name BASE=$first" "$OUTDIR/$tag/gates.ktap" \
		env BASE="$first" SERIES_NAME="$name" "$S/gates/gates.sh"
	run "send $name BASE=$first" "$OUTDIR/$tag/send.ktap" \
		env BASE="$first" SERIES_NAME="$name" "$S/mail/test-send.sh"
done
# make series, in its cheapest honest form: regenerate the posting from the
# patched work tree into a scratch directory; its patches must be series/'s
# (commit ids aside, which depend on who committed when), and its cover
# letter filled in.  series/ is what ships, so it must be what the tree
# gives.
series_check() {
	local d rc=0 p n res=()
	d=$(mktemp -d)
	cp "$CACHE/trees/$first/patched.series" "$d.recorded"
	SERIES=$d BASE=$first "$S/mail/format-series.sh" || rc=$?
	cp "$d.recorded" "$CACHE/trees/$first/patched.series"
	if [ $rc -ne 0 ]; then
		res=("not ok make series regenerates the posting # format-series.sh exit $rc")
	fi
	for p in "$TOP"/series/*.patch; do
		[ $rc -eq 0 ] || break
		n=$(basename "$p" .patch)
		if [ ! -f "$d/$n.patch" ]; then
			res+=("not ok make series: $n # not regenerated")
		elif [[ $n == *0000-cover-letter ]]; then
			if grep -q '\*\*\* \(SUBJECT\|BLURB\) HERE' "$d/$n.patch"; then
				res+=("not ok make series: the cover letter is filled in")
			else
				res+=("ok make series: the cover letter is filled in")
			fi
		elif diff -q <(grep -v '^From [0-9a-f]\{40\} ' "$p") \
			<(grep -v '^From [0-9a-f]\{40\} ' "$d/$n.patch") >/dev/null; then
			res+=("ok make series: $n as in series/")
		else
			res+=("not ok make series: $n differs from series/")
		fi
	done
	rm -rf "$d" "$d.recorded"
	write_ktap "$OUTDIR/series-check.ktap" "${res[@]}"
	! grep -q '^not ok' "$OUTDIR/series-check.ktap"
}
run "make series BASE=$first (scratch dir)" "$OUTDIR/series-check.ktap" series_check
# make bench, in its cheapest honest form: one round (a base and a patched
# boot under QEMU -icount, replayed while their inputs are unchanged: the
# counts would come out the same); it must print its ratios.
bench_check() {
	local rc=0
	BASE=$first BENCH_ROUNDS=1 BENCH_REUSE=1 "$S/bench.sh" || rc=$?
	if [ $rc -eq 0 ]; then
		write_ktap "$OUTDIR/bench-check.ktap" "ok make bench BENCH_ROUNDS=1: ratios printed"
	else
		write_ktap "$OUTDIR/bench-check.ktap" "not ok make bench BENCH_ROUNDS=1 # exit $rc"
	fi
	return $rc
}
run "make bench BASE=$first BENCH_ROUNDS=1" "$OUTDIR/bench-check.ktap" bench_check
# The user's-own-tree path README documents, through make as a user runs it,
# in its cheapest form: the default base's git tree stands in for a kvm
# checkout; one vendor, the MSR test only.
run "make KERNEL_TREE TESTS=msr VENDOR=svm" "$OUTDIR/tree-base/verdicts.ktap" \
	make --no-print-directory -C "$TOP" prove KERNEL_TREE="$CACHE/trees/$first/base" \
	KERNEL_REV=bench-base TESTS=msr VENDOR=svm
case " $bases " in
*" 7.3 "*) run "debug BASE=7.3" "$OUTDIR/7.3/debug/verdicts.ktap" env BASE=7.3 "$S/prove-debug.sh" ;;
esac
# The gates must be able to fail: broken copies of the default series.
run "gates self-test" "$OUTDIR/7.3/gates-selftest.ktap" env BASE=7.3 "$S/gates/test-gates.sh"

echo
echo "=== summary ($(($(date +%s) - t0))s)"
disk size | sed 's/^/  /'
awk -F'\t' '{ printf "  %-22s %6ss  %s\n", $1, $2, $3 }' "$OUTDIR/check-timings.tsv"
for f in "${ktaps[@]}"; do
	{ grep -h '^not ok' "$f" || true; } | sed "s|^|  ${f#"$OUTDIR"/}: |"
done
pass=$(cat "${ktaps[@]}" | { grep -c '^ok ' || true; })
fail=$(cat "${ktaps[@]}" | { grep -c '^not ok ' || true; })
if [ ${#failed[@]} -gt 0 ]; then
	echo "make check: FAILED: ${failed[*]}"
fi
echo "$pass passed, $fail failed"
[ ${#failed[@]} -eq 0 ] && [ "$fail" -eq 0 ]
