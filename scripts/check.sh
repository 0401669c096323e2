#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Everything CI runs: lint, the Python unit tests (tests/unit), then for each base the proof (prove.sh) and the
# per-patch gates (gates.sh), and on the default base the debug kernel
# (prove-debug.sh).  The other bases and the debug kernel are built in
# the background while the first base's VMs run (see "Builds in the
# background" below).  Every stage runs even if an earlier one
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
tests_of() { # BASE
	# Every list on the first base, the one the posting is made on; on the
	# others the lists `make` runs (CHECK_OTHER_TESTS): the new cases and
	# the QEMU check, which is what a copy of the series must show there.
	if [ "$1" = "$first" ]; then echo all; else echo "${CHECK_OTHER_TESTS:-msr vmm}"; fi
}
with_debug=
case " $bases " in *" 7.3 "*) with_debug=7.3 ;; esac

# Builds in the background.  The first base's QEMU test VMs leave most of
# a core idle (TCG runs one busy vCPU: the two cores were 57% busy through
# a TESTS=all boot, /proc/stat), and its gates leave gaps too.  So once the
# first base is built, the other bases' kernels and selftests and then the
# debug kernel are built meanwhile, at nice 19 and in the idle I/O class,
# each in its own tree or build directory (prove.sh and prove-debug.sh
# with PROVE_BUILD_ONLY=1).  Each stage below waits for its build, then
# finds it up to date.  A background build that fails is said so here and
# built again in the foreground, where its stage reports the failure.
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
await_build() { # NAME: wait for its background build; time both into the summary
	local name=$1 t rc=0 secs=0
	[ -n "$bg" ] || return 0
	t=$(date +%s)
	while [ ! -f "$pre/$name.done" ]; do
		if ! kill -0 "$bg" 2>/dev/null && [ ! -f "$pre/$name.done" ]; then
			echo "check: the background builds stopped before $name's ended (log: $pre/$name.log); its stage builds in the foreground"
			return 0
		fi
		sleep 2
	done
	read -r rc secs <"$pre/$name.done"
	printf '%s\t%s\t%s\n' "build $name (background)" "$secs" "$([ "$rc" -eq 0 ] && echo ok || echo "fail($rc)")" \
		>>"$OUTDIR/check-timings.tsv"
	printf '%s\t%s\t%s\n' "  waited for it" "$(($(date +%s) - t))" ok >>"$OUTDIR/check-timings.tsv"
	if [ "$rc" -ne 0 ]; then
		echo "check: the background build of $name failed (exit $rc, log: $pre/$name.log); its stage builds it again in the foreground"
		tail -n 3 "$pre/$name.log" | sed 's/^/  /'
	fi
}
kill_tree() { # PID and its descendants
	local c
	for c in $(pgrep -P "$1"); do kill_tree "$c"; done
	kill "$1" 2>/dev/null || true
}
trap '[ -z "$bg" ] || ! kill -0 "$bg" 2>/dev/null || kill_tree "$bg"' EXIT

for b in $bases; do
	if [ "$b" = "$first" ]; then
		# The first base's builds, in the foreground; a failure here is
		# its proof's to report.
		t=$(date +%s)
		rc=0
		env BASE="$b" TESTS=all PROVE_BUILD_ONLY=1 "$S/prove.sh" || rc=$?
		printf '%s\t%s\t%s\n' "build BASE=$b" "$(($(date +%s) - t))" "$([ $rc -eq 0 ] && echo ok || echo "fail($rc)")" \
			>>"$OUTDIR/check-timings.tsv"
		others=${bases#"$first"}
		what=()
		for o in $others; do what+=("BASE=$o"); done
		[ -z "$with_debug" ] || what+=("the debug kernel")
		if [ ${#what[@]} -gt 0 ]; then
			(
				renice -n 19 -p "$BASHPID" >/dev/null
				ionice -c 3 -p "$BASHPID"
				for o in $others; do
					prebuild "BASE=$o" env BASE="$o" TESTS="$(tests_of "$o")" PROVE_BUILD_ONLY=1 "$S/prove.sh"
				done
				[ -z "$with_debug" ] ||
					prebuild "debug BASE=$with_debug" env BASE="$with_debug" PROVE_BUILD_ONLY=1 "$S/prove-debug.sh"
			) &
			bg=$!
			msg=${what[0]}
			for o in "${what[@]:1}"; do msg+=" and $o"; done
			echo "check: building $msg in the background (nice 19; logs: $pre/)"
		fi
	else
		await_build "BASE=$b"
	fi
	run "prove BASE=$b" "$OUTDIR/$b/verdicts.ktap" env BASE="$b" TESTS="$(tests_of "$b")" "$S/prove.sh"
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
if [ -n "$with_debug" ]; then
	await_build "debug BASE=$with_debug"
	run "debug BASE=$with_debug" "$OUTDIR/$with_debug/debug/verdicts.ktap" env BASE="$with_debug" "$S/prove-debug.sh"
fi
# The gates must be able to fail: broken copies of the default series.
run "gates self-test" "$OUTDIR/7.3/gates-selftest.ktap" env BASE=7.3 "$S/gates/test-gates.sh"

echo
echo "=== summary ($(($(date +%s) - t0))s)"
disk size | sed 's/^/  /'
awk -F'\t' '{ printf "  %-40s %6ss  %s\n", $1, $2, $3 }' "$OUTDIR/check-timings.tsv"
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
