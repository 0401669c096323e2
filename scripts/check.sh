#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make check: everything CI runs, through the other targets' entry points.
# Each step leaves a KTAP file; every step runs even if an earlier one
# failed, and the last line counts all their results: "N passed, N failed".
#   lint, unit tests, the knobs' table, the disk preflight
#   on each base of CHECK_BASES (default "7.3 7.2"): the proof (the first
#     base every list of the main series, the others make's lists) and the
#     send test; on the first base the per-patch gates
#   every other test list that names a series (tests/*.cfg: the second
#     series, both series together): its proof on the first base, and for
#     a list of one series that series' gates and send test
#   make series into a scratch directory, one make bench round, the
#     KERNEL_TREE path, the debug kernel, the gates' self-test, and last the
#     cache's self-test over the entries this run made or reused
# Once the first base is built, the other proofs' kernels and the debug
# kernel build in the background at nice 19 (BUILD_ONLY=1) while its VMs
# run; a failed background build is built again in the foreground, where
# its step reports it.  Times: out/check-timings.tsv.
set -uo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

bases=${CHECK_BASES:-7.3 7.2}
first=${bases%% *}
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
		# The step died before it could report: one failure.
		mkdir -p "$(dirname "$ktap")"
		write_ktap "$ktap" "not ok $name # no results (exit $rc)"
	fi
	ktaps+=("$ktap")
	[ $rc -eq 0 ] || failed+=("$name")
}

disk() {
	mkdir -p "$CACHE"
	echo "disk: $(df -P -BG "$CACHE" | awk 'NR == 2 { print $4 }') free under $CACHE${1:+, which holds $(du -sh "$CACHE" 2>/dev/null | cut -f1)}"
}
disk
# A cold run (no trees yet) takes about CHECK_DISK_GIB GiB: stop now
# rather than at the first full write.
if [ ! -d "$CACHE/trees" ] && ! (need_disk "${CHECK_DISK_GIB:-20}" "a make check from a cold cache"); then
	echo "0 passed, 1 failed"
	exit 1
fi
[ -z "${CHECK_PREFLIGHT_ONLY:-}" ] || exit 0

run lint "$OUTDIR/lint.ktap" "$S/lint.sh"
run unittest "$OUTDIR/unittest.ktap" py unittests
run "README's knobs" "$OUTDIR/knobs.ktap" py knobs check --ktap "$OUTDIR/knobs.ktap"
# The preflight must be able to stop a run: a cold check that asks for
# more disk than any machine has.
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

# The proofs: BASE TESTS, in order.  The first base gets every list, the
# others make's; then every list that names another series (or several),
# on the first base.
proofs=()
for b in $bases; do
	if [ "$b" = "$first" ]; then proofs+=("$b all"); else proofs+=("$b msr vmm"); fi
done
others=()
for cfg in "$TOP"/tests/*.cfg; do
	mapfile -t names < <(py plan series "$cfg")
	# A list that names no series (the regression set) is part of the
	# main series' proof, as is one that names only it.
	if [ -z "${names[*]}" ] || [ "${names[*]}" = series ]; then continue; fi
	others+=("$(basename "$cfg" .cfg)|${names[*]}")
	proofs+=("$first $(basename "$cfg" .cfg)")
done
# The out/ directory a proof's verdicts go to (its entry point says).
proof_out() { # BASE TESTS...
	local b=$1 names
	shift
	if [ "$*" = all ] || [ "$*" = "msr vmm" ]; then names=series; else names=$(py plan series "$TOP/tests/$1.cfg"); fi
	# shellcheck disable=SC2086 # words
	echo "$OUTDIR/$(BASE=$b series_tag $names)"
}

# The background builds.
pre=$OUTDIR/prebuild
rm -rf "$pre"
mkdir -p "$pre"
bg=
prebuild() { # NAME CMD...: one background build, its log and "exit seconds"
	local name=$1 t rc=0
	shift
	t=$(date +%s)
	"$@" >"$pre/$name.log" 2>&1 || rc=$?
	echo "$rc $(($(date +%s) - t))" >"$pre/$name.done"
}
await_build() { # NAME: wait for its background build; time both
	local name=$1 t rc=0 secs=0
	[ -n "$bg" ] || return 0
	t=$(date +%s)
	while [ ! -f "$pre/$name.done" ]; do
		if ! kill -0 "$bg" 2>/dev/null && [ ! -f "$pre/$name.done" ]; then
			echo "check: the background builds stopped before $name's ended (log: $pre/$name.log); its step builds in the foreground"
			return 0
		fi
		sleep 2
	done
	read -r rc secs <"$pre/$name.done"
	printf '%s\t%s\t%s\n' "build $name (background)" "$secs" "$([ "$rc" -eq 0 ] && echo ok || echo "fail($rc)")" \
		>>"$OUTDIR/check-timings.tsv"
	printf '%s\t%s\t%s\n' "  waited for it" "$(($(date +%s) - t))" ok >>"$OUTDIR/check-timings.tsv"
	if [ "$rc" -ne 0 ]; then
		echo "check: the background build of $name failed (exit $rc, log: $pre/$name.log); its step builds it again in the foreground"
		tail -n 3 "$pre/$name.log" | sed 's/^/  /'
	fi
}
kill_tree() { # PID and its descendants
	local c
	for c in $(pgrep -P "$1"); do kill_tree "$c"; done
	kill "$1" 2>/dev/null || true
}
trap '[ -z "$bg" ] || ! kill -0 "$bg" 2>/dev/null || kill_tree "$bg"' EXIT

t=$(date +%s)
rc=0
BASE=$first TESTS=all BUILD_ONLY=1 "$S/prove.sh" || rc=$?
printf '%s\t%s\t%s\n' "build BASE=$first" "$(($(date +%s) - t))" "$([ $rc -eq 0 ] && echo ok || echo "fail($rc)")" \
	>>"$OUTDIR/check-timings.tsv"
(
	renice -n 19 -p "$BASHPID" >/dev/null
	ionice -c 3 -p "$BASHPID"
	for p in "${proofs[@]:1}"; do
		read -r b tests <<<"$p"
		prebuild "BASE=$b TESTS=$tests" env BASE="$b" TESTS="$tests" BUILD_ONLY=1 "$S/prove.sh"
	done
	prebuild "debug BASE=$first" env BASE="$first" BUILD_ONLY=1 "$S/debug.sh"
) &
bg=$!
echo "check: building the other proofs' kernels and the debug kernel in the background (nice 19; logs: $pre/)"

for p in "${proofs[@]}"; do
	read -r b tests <<<"$p"
	[ "$p" = "${proofs[0]}" ] || await_build "BASE=$b TESTS=$tests"
	# shellcheck disable=SC2086 # words
	run "make BASE=$b TESTS=$tests" "$(proof_out "$b" $tests)/verdicts.ktap" env BASE="$b" TESTS="$tests" "$S/prove.sh"
	if [ "$tests" = all ]; then
		# The gates judge the posting, made on the first base.
		run "gates BASE=$b" "$OUTDIR/$b/gates.ktap" env BASE="$b" "$S/stages/gates.sh"
	fi
	case $tests in all | "msr vmm")
		run "send test BASE=$b" "$OUTDIR/$b/send.ktap" env BASE="$b" "$S/stages/send-test.sh" ;;
	esac
done
# The other series' gates and send tests: those of a list of one series.
for o in "${others[@]}"; do
	names=${o#*|}
	[ "$names" = "${names% *}" ] || continue
	tag=$(BASE=$first series_tag "$names")
	run "gates $names BASE=$first" "$OUTDIR/$tag/gates.ktap" \
		env BASE="$first" SERIES_NAME="$names" "$S/stages/gates.sh"
	run "send test $names BASE=$first" "$OUTDIR/$tag/send.ktap" \
		env BASE="$first" SERIES_NAME="$names" "$S/stages/send-test.sh"
done

# make series, in a scratch directory: its patches must be series/'s but
# for their commit ids, and its cover letter filled in.
series_check() {
	local d rc=0 p n res=()
	d=$(mktemp -d)
	BASE=$first SERIES_OUT=$d "$S/series.sh" || rc=$?
	[ $rc -eq 0 ] || res=("not ok make series regenerates the posting # series.sh exit $rc")
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
		elif diff -q <(grep -v '^From [0-9a-f]\{40\} ' "$p") <(grep -v '^From [0-9a-f]\{40\} ' "$d/$n.patch") >/dev/null; then
			res+=("ok make series: $n as in series/")
		else
			res+=("not ok make series: $n differs from series/")
		fi
	done
	rm -rf "$d"
	write_ktap "$OUTDIR/series-check.ktap" "${res[@]}"
	! grep -q '^not ok' "$OUTDIR/series-check.ktap"
}
run "make series BASE=$first (scratch dir)" "$OUTDIR/series-check.ktap" series_check
# make bench, one round (replayed while its inputs are unchanged: under
# -icount a boot's counts come out the same); it must print its ratios.
bench_check() {
	local rc=0
	BASE=$first BENCH_ROUNDS=1 BENCH_REUSE=1 "$S/bench.sh" || rc=$?
	write_ktap "$OUTDIR/bench-check.ktap" "$([ $rc -eq 0 ] && echo ok || echo not ok) make bench BENCH_ROUNDS=1: ratios printed"
	return $rc
}
run "make bench BASE=$first BENCH_ROUNDS=1" "$OUTDIR/bench-check.ktap" bench_check
# The KERNEL_TREE path, through make as a user runs it, in its cheapest
# form: the first base's git tree stands in for a kvm checkout.
user_tree=$(BASE=$first tree_dir base)
run "make KERNEL_TREE TESTS=msr VENDOR=svm" "$OUTDIR/tree-base/verdicts.ktap" \
	make --no-print-directory -C "$TOP" KERNEL_TREE="$user_tree" KERNEL_REV=bench-base TESTS=msr VENDOR=svm
await_build "debug BASE=$first"
run "make debug BASE=$first" "$OUTDIR/$first/debug/verdicts.ktap" env BASE="$first" "$S/debug.sh"
run "gates self-test" "$OUTDIR/$first/gates-selftest.ktap" env BASE="$first" "$S/stages/gates-selftest.sh"
# Last: every cache kind's newest entry, made or reused by this run.
run "cache self-test" "$OUTDIR/cache-selftest.ktap" py cache selftest --ktap "$OUTDIR/cache-selftest.ktap"

echo
echo "=== summary ($(($(date +%s) - t0))s)"
disk size | sed 's/^/  /'
awk -F'\t' '{ printf "  %-44s %6ss  %s\n", $1, $2, $3 }' "$OUTDIR/check-timings.tsv"
[ ${#failed[@]} -eq 0 ] || echo "make check: FAILED: ${failed[*]}"
summary=$(py ktap count "${ktaps[@]}" | sed "s|$OUTDIR/||")
echo "$summary" | sed '$d' | sed 's/^/  /'
echo "$summary" | tail -n1
[ ${#failed[@]} -eq 0 ] && [[ $(tail -n1 <<<"$summary") == *" 0 failed" ]]
