# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the bench scripts.  Source it; do not run it.
# shellcheck shell=bash

TOP=${TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
CACHE=${CACHE:-$TOP/cache}
OUTDIR=${OUTDIR:-$TOP/out}
BASE=${BASE:-7.3}
STEP=${STEP:-$(basename "$0" .sh)}

# One-line error naming the step, then exit.
die() {
	echo "error: $STEP: $*" >&2
	exit 1
}

log() {
	echo "[$(date +%H:%M:%S)] $STEP: $*" >&2
}

# Any command that fails without its own message still names the step,
# in functions too.
set -o errtrace
trap 'rc=$?; [ $rc -eq 0 ] || echo "error: $STEP: failed (exit $rc) at line $LINENO: $BASH_COMMAND" >&2' ERR

# Record the wall time of a stage in $OUTDIR/<tag>/timings.tsv.
# Usage: timed TAG NAME CMD...
timed() {
	local tag=$1 name=$2 t0 t1 rc=0
	shift 2
	mkdir -p "$OUTDIR/$tag"
	t0=$(date +%s.%N)
	"$@" || rc=$?
	t1=$(date +%s.%N)
	printf '%s\t%.1f\t%s\n' "$name" "$(echo "$t1 - $t0" | bc)" \
		"$([ $rc -eq 0 ] && echo ok || echo "fail($rc)")" >>"$OUTDIR/$tag/timings.tsv"
	return $rc
}

# One stage of a pipeline: timed into $OUTDIR/$STAGE_TAG/timings.tsv, and
# if it fails, stop with a line naming it.  Usage: stage NAME CMD...
stage() {
	local name=$1
	shift
	STEP=$name timed "${STAGE_TAG:?}" "$name" "$@" || die "stage '$name' failed (see above)"
}

# Print a pipeline's stage times.  Usage: print_timings TITLE
print_timings() {
	echo
	echo "stage times ($1):"
	awk -F'\t' '{ printf "  %-16s %7.1fs  %s\n", $1, $2, $3 }' "$OUTDIR/$STAGE_TAG/timings.tsv"
}

# Wait for a test VM's emulator (PID) under the watchdog below, then stop
# with a one-line error, also written to the console log, if a test hung or
# the host's time limit (LIMIT seconds, timeout(1)'s exit 124 or 137) ended
# it.  Sets vm_rc to the emulator's exit status otherwise.
# Usage: vm_wait WHAT PID OUTLOG LIMIT SCALE
vm_wait() {
	local what=$1 pid=$2 outlog=$3 limit=$4 scale=$5 wd hung tmo
	vm_rc=0
	wd=$(vm_watchdog "$pid" "$outlog" "$scale")
	wait "$pid" || vm_rc=$?
	read -r hung tmo <<<"$wd"
	if [ -n "$hung" ]; then
		echo "# bench: VM hung: test $hung still running 60 s after its ${tmo}s timeout (x$scale for the guest's clock); the guest kernel stopped making progress" >>"$outlog"
		die "$what hung in test '$hung' (no result 60 s after its ${tmo}s timeout x$scale: the guest's own timeout did not fire); console: $outlog"
	fi
	if [ "$vm_rc" -eq 124 ] || [ "$vm_rc" -eq 137 ]; then
		echo "# bench: host timeout after ${limit}s" >>"$outlog"
		die "$what did not finish within ${limit}s; console: $outlog"
	fi
}

# Watch a test VM until its process (PID) exits, through its console (LOG).
# vm/init prints "# bench: start NAME timeout=T" before each test and kills
# it after T seconds.  A test still running a minute after that means the
# guest kernel itself is stuck: stop the VM and print "NAME T", rather than
# wait for the whole boot's limit.  SCALE (default 1): wall seconds per
# guest second, for a machine whose guest clock runs slower than the host's.
# Usage: hung=$(vm_watchdog PID LOG [SCALE])
vm_watchdog() {
	local qpid=$1 outlog=$2 scale=${3:-1}
	local started="" t_start=0 last n name tmo
	while kill -0 "$qpid" 2>/dev/null; do
		sleep 5
		last=$(grep -a '^# bench: start ' "$outlog" 2>/dev/null | tail -n 1 || true)
		n=$(grep -ac '^# bench: start ' "$outlog" 2>/dev/null || true)
		if [ "$n:$last" != "$started" ]; then
			started="$n:$last"
			t_start=$(date +%s)
			continue
		fi
		[ -n "$last" ] || continue
		name=$(sed -E 's/^# bench: start (\S+) timeout=.*/\1/' <<<"$last")
		tmo=$(sed -E 's/.*timeout=([0-9]+).*/\1/' <<<"$last")
		# finished (this try): as many results as starts
		[ "$(grep -ac "^# bench: $name exit=" "$outlog" || true)" -lt \
			"$(grep -ac "^# bench: start $name " "$outlog" || true)" ] || continue
		if [ $(($(date +%s) - t_start)) -gt $((tmo * scale + 60)) ]; then
			kill "$qpid" 2>/dev/null || true
			pkill -P "$qpid" 2>/dev/null || true
			echo "$name $tmo"
			return 0
		fi
	done
}

# sha256 of a list of files and strings, to key caches on content.
content_hash() {
	local f
	for f in "$@"; do
		if [ -f "$f" ]; then sha256sum <"$f"; else echo "$f"; fi
	done | sha256sum | cut -c1-16
}

# Per-base tag used in cache and out paths: the base (or tree-NAME for a
# KERNEL_TREE), plus the series for any but the default one, e.g.
# 7.3-tsc-deadline for SERIES_NAME=series-tsc-deadline: each series gets
# its own patched and gate trees, patched kernel and reports; the base
# tree and base kernel are the base's (root_tag, tree_dir, kernel_dir).
base_tag() {
	local tag=$BASE name=${SERIES_NAME:-series}
	[ -z "${KERNEL_TREE:-}" ] || tag="tree-$(basename "$KERNEL_TREE" .git)"
	[ "$name" = series ] || tag="$tag-${name#series-}"
	echo "$tag"
}

# The tag of the base alone, whatever the series: its base tree and base
# kernel are shared by every series on it.
root_tag() {
	SERIES_NAME=series base_tag
}

# A tree of the current base and series: base (the base's, shared by all
# its series), patched or gate (the series').
tree_dir() { # VARIANT
	case $1 in
	base) echo "$CACHE/trees/$(root_tag)/base" ;;
	*) echo "$CACHE/trees/$(base_tag)/$1" ;;
	esac
}

# Where the kernel of VARIANT (base, patched, patched-debug, ...) is kept:
# the base kernel is the base's, shared like its tree.
kernel_dir() { # VARIANT
	case $1 in
	base | base-*) echo "$CACHE/kernels/$(root_tag)/$1" ;;
	*) echo "$CACHE/kernels/$(base_tag)/$1" ;;
	esac
}

# The paths a bench tree leaves out of its checkout (git sparse-checkout;
# the commit keeps them): amdgpu's register headers, 493 MiB of 7.3's 1.6
# GiB, that nothing the bench builds includes.  A build that needed one
# would fail on the missing header, never silently differ.
SPARSE_OUT=(/drivers/gpu/drm/amd/include/asic_reg/)

# Leave SPARSE_OUT out of the checkout of the repo (and the worktrees made
# from it afterwards) at DIR.
sparse_tree() { # DIR
	local want have
	want=$(printf '%s\n' '/*' "${SPARSE_OUT[@]/#/!}")
	have=$(g -C "$1" sparse-checkout list 2>/dev/null || true)
	[ "$want" != "$have" ] || return 0
	g -C "$1" sparse-checkout set --no-cone '/*' "${SPARSE_OUT[@]/#/!}"
}

# Make DIR a worktree of the base tree BASE at bench-base, unless it is
# one; returns 1 if it made it.  A DIR of an older cache layout (a worktree
# of a base repo of its own) is made again, unless it has edits.
worktree_of() { # BASE DIR
	local common
	if [ -e "$2" ]; then
		common=$(g -C "$2" rev-parse --path-format=absolute --git-common-dir 2>/dev/null || echo none)
		[ "$(realpath -m "$common")" != "$(realpath -m "$1/.git")" ] || return 0
		[ -z "$(g -C "$2" status --porcelain --untracked-files=no 2>/dev/null)" ] ||
			die "$2 is not a worktree of $1 and has edits: save them, then remove it"
		log "$2 is not a worktree of $1 (older cache layout): making it again"
		rm -rf "$2"
	fi
	g -C "$1" worktree prune
	need_disk 2 "the tree $2"
	g -C "$1" worktree add -q --detach "$2" bench-base
	return 1
}

# Stop with a one-line error unless the file system of $CACHE has GIB GiB
# free for WHAT.  The figures the callers give are measured (README, "Disk").
need_disk() { # GIB WHAT
	local avail
	mkdir -p "$CACHE"
	avail=$(df -P -BG "$CACHE" | awk 'NR == 2 { sub(/G$/, "", $4); print $4 }')
	[ "$avail" -ge "$1" ] ||
		die "not enough disk for $2: it needs about $1 GiB free under $CACHE, $avail GiB are (df); free space there or point CACHE= at a larger file system"
}

# Where a series' mail files live (cover-letter.txt, cc.txt): mail/ for the
# default series, mail/$SERIES_NAME/ for another.
mail_dir() {
	local name=${SERIES_NAME:-series}
	if [ "$name" = series ]; then echo "$TOP/mail"; else echo "$TOP/mail/$name"; fi
}

# git without hooks or detached-HEAD advice, for the bench's own trees.
g() { git -c advice.detachedHead=false -c core.hooksPath=/dev/null "$@"; }

# The build environment of every kernel and selftest build: one ccache in
# $CACHE (shared between the trees, paths relative to $CACHE), and fixed
# build stamps so that base and patched objects can match.
ccache_env() {
	export CCACHE_DIR=${CCACHE_DIR:-$CACHE/ccache}
	export CCACHE_BASEDIR=$CACHE CCACHE_NOHASHDIR=1 CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-5G}
	export KBUILD_BUILD_TIMESTAMP='2000-01-01' KBUILD_BUILD_USER=bench KBUILD_BUILD_HOST=bench
	# The build number ("#1" in the version string) too: without it each
	# rebuild of the same source is a different image, whose recorded VM
	# runs can't be reused.
	export KBUILD_BUILD_VERSION=1
}

# A private apt configuration in DIR (its sources.list, lists and cache
# there; the system's apt setup is never touched): sets the array aptopt,
# the options to give apt-get and apt-cache.  Check-Valid-Until=false: the
# registry may serve a snapshot whose Release files are past their
# Valid-Until (seen: sid and experimental, 19 days past, in a fresh Debian
# root without this machine's apt settings); signatures are still checked.
private_apt() { # DIR
	mkdir -p "$1/lists/partial" "$1/cache/archives/partial"
	# shellcheck disable=SC2034 # for the caller
	aptopt=(-o Acquire::Check-Valid-Until=false
		-o "Dir::Etc::sourcelist=$1/sources.list" -o Dir::Etc::sourceparts=-
		-o "Dir::State::Lists=$1/lists" -o "Dir::Cache=$1/cache"
		-o APT::Get::List-Cleanup=0 -o Debug::NoLocking=1 -o APT::Sandbox::User=root)
}

# The KVM selftests' make line, as KVM developers run it, static (the test
# VM's initramfs has no libc) and through ccache: sets the array kvm_st_make
# for TREE, selftest output dir OUT and headers installed under HDR.
# CCACHE_BASEDIR= for the selftests: with a base_dir, ccache gives gcc
# relative paths, so the targets of the -MD dependency files come out
# relative ("../../../../.build/kselftest/kvm/x86/hyperv_cpuid.o") while the
# selftests' Makefile names its targets by the absolute OUTPUT: make never
# matches them, and a changed selftest header (kvm_util.h) rebuilds nothing
# that includes it.  Seen: hyperv_cpuid read has_irqchip at a stale offset
# and failed on both kernels.  Kbuild keeps its own dependency records.
kvm_selftests_make() { # TREE OUT HDR
	# shellcheck disable=SC2034 # for the caller
	kvm_st_make=(env CCACHE_BASEDIR= make -C "$1/tools/testing/selftests/kvm" -j"$(jobs_n)"
		OUTPUT="$2" KHDR_INCLUDES="-isystem $3/usr/include"
		CC="ccache gcc" EXTRA_CFLAGS=-static LDFLAGS=-static)
}

jobs_n() {
	nproc
}

# The series applied on top of a base: $SERIES_NAME/ (default series/; the
# test lists' "series" key names others) for the default base,
# $SERIES_NAME/<base>/ where a backport lives.
series_dir() {
	local name=${SERIES_NAME:-series}
	if [ -d "$TOP/$name/$BASE" ] && [ -z "${KERNEL_TREE:-}" ]; then
		echo "$TOP/$name/$BASE"
	else
		echo "$TOP/$name"
	fi
}

# The patches of a series directory, in order, without the cover letter.
series_patches() {
	find "$1" -maxdepth 1 -name '*.patch' ! -name '*0000-cover-letter.patch' | sort
}

# Patch numbers as mail/parts.txt writes them, one per line:
# "1-4 7 9-10" -> 1 2 3 4 7 9 10.
patch_numbers() { # SPEC...
	local w
	for w in "$@"; do
		case $w in
		*-*) seq "${w%-*}" "${w#*-}" ;;
		*) echo "$w" ;;
		esac
	done
}

# What the patched tree is made of: the patches, not the cover letter.
series_hash() {
	local p
	series_patches "$1" | while read -r p; do sha256sum <"$p"; done | sha256sum | cut -c1-16
}

# Write a KTAP file: one result per argument, "ok DESC" or "not ok DESC".
write_ktap() {
	local file=$1 i=0 r
	shift
	{
		echo "KTAP version 1"
		echo "1..$#"
		for r in "$@"; do
			i=$((i + 1))
			case $r in
			"not ok "*) echo "not ok $i ${r#not ok }" ;;
			*) echo "ok $i ${r#ok }" ;;
			esac
		done
	} >"$file"
}
