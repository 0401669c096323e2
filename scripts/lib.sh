# SPDX-License-Identifier: GPL-2.0
# The bench's shell: the helpers every script sources, the shell side of
# the cache (scripts/kvmbench/cache.py), and the one pipeline that make,
# make debug and make bench drive (scripts/prove.sh, debug.sh, bench.sh).
# Source it; don't run it.
# shellcheck shell=bash

TOP=${TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
CACHE=${CACHE:-$TOP/cache}
OUTDIR=${OUTDIR:-$TOP/out}
BASE=${BASE:-7.3}
STEP=${STEP:-$(basename "$0" .sh)}
S=$TOP/scripts
# The base the series are posted on: series/ (not series/<base>/) is its.
POSTING_BASE=7.3
export TOP CACHE OUTDIR BASE
export PYTHONPATH=$S${PYTHONPATH:+:$PYTHONPATH}

# One-line error naming the step, then exit.
die() {
	echo "error: $STEP: $*" >&2
	exit 1
}

log() {
	echo "[$(date +%H:%M:%S)] $STEP: $*" >&2
}

# Any command that fails without its own message still names the step.
set -o errtrace
trap 'rc=$?; [ $rc -eq 0 ] || echo "error: $STEP: failed (exit $rc) at ${BASH_SOURCE[0]##*/}:$LINENO: $BASH_COMMAND" >&2' ERR

# The bench's Python: python3 -m kvmbench.MODULE.
py() {
	python3 -m "kvmbench.$1" "${@:2}"
}

# Record the wall time of a command in $OUTDIR/<tag>/timings.tsv.
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

# One stage of a pipeline: timed into $OUTDIR/$STAGE_TAG/timings.tsv; if
# it fails, stop with a line naming it.  Usage: stage NAME CMD...
stage() {
	local name=$1
	shift
	STEP=$name timed "${STAGE_TAG:?}" "$name" "$@" || die "stage '$name' failed (see above)"
}

print_timings() { # TITLE
	echo
	echo "stage times ($1):"
	awk -F'\t' '{ printf "  %-18s %7.1fs  %s\n", $1, $2, $3 }' "$OUTDIR/$STAGE_TAG/timings.tsv"
}

# Write a KTAP file: one result per argument, "ok DESC" or "not ok DESC".
write_ktap() { # FILE RESULT...
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

# ---- the cache (docs/caching.md) ----------------------------------------
# cache_get KIND SLOT WHAT INPUT...: look up an entry keyed on the INPUTs
# (LABEL=@FILE or LABEL=TEXT), the calling script and this file.  Returns
# 0 if it holds one (the reuse line printed), 1 if not; CACHE_ENTRY is the
# entry's directory either way.  cache_put FILE... stores after a miss.
cache_get() {
	local kind=$1 slot=$2 what=$3 rc=0
	shift 3
	CACHE_ENTRY=$(py cache get --script "$(realpath "$0")" --slot "$slot" --what "$what" \
		"$kind" "lib=@$S/lib.sh" "$@") || rc=$?
	[ $rc -le 1 ] || die "cache lookup of $kind failed"
	return $rc
}
cache_put() {
	py cache put "$CACHE_ENTRY" "$@" || die "cache: could not store $CACHE_ENTRY"
}

# ---- bases, series, trees ------------------------------------------------
# The base's tag: BASE, or tree-NAME for a KERNEL_TREE.
base_tag() {
	if [ -n "${KERNEL_TREE:-}" ]; then echo "tree-$(basename "$KERNEL_TREE" .git)"; else echo "$BASE"; fi
}

# The tag of a base and series, in cache/ and out/ paths: 7.3 for series/,
# 7.3-tsc-deadline for series-tsc-deadline/, 7.3-main+tsc-deadline for both.
series_tag() { # NAME...
	local t="" n
	if [ "$*" = series ]; then
		base_tag
		return
	fi
	for n in "$@"; do
		n=${n#series-}
		[ "$n" != series ] || n=main
		t+=${t:++}$n
	done
	echo "$(base_tag)-$t"
}

# The patches of a series for BASE: NAME/BASE/ where a copy lives,
# NAME/ on the posting base or a KERNEL_TREE.
series_dir() { # NAME
	if [ -z "${KERNEL_TREE:-}" ] && [ -d "$TOP/$1/$BASE" ]; then
		echo "$TOP/$1/$BASE"
	elif [ -n "${KERNEL_TREE:-}" ] || [ "$BASE" = "$POSTING_BASE" ]; then
		echo "$TOP/$1"
	else
		die "$1/ has no copy for BASE=$BASE (it would be $1/$BASE/)"
	fi
}

# The one series a script works on (gates, send, make series): sets
# SNAME (SERIES_NAME, default series), its TAG and its SERIES directory.
series_env() {
	# shellcheck disable=SC2034 # for the caller
	SNAME=${SERIES_NAME:-series}
	TAG=$(series_tag "$SNAME")
	# shellcheck disable=SC2034 # for the caller
	SERIES=$(series_dir "$SNAME")
}

# Cache inputs for numbered files: LABEL1=@FILE1 LABEL2=@FILE2 ...
numbered_inputs() { # LABEL FILE...
	local label=$1 n=0 f
	shift
	for f in "$@"; do
		n=$((n + 1))
		echo "$label$n=@$f"
	done
}

# The patches of a series directory, in order, without the cover letter.
series_patches() { # DIR
	find "$1" -maxdepth 1 -name '*.patch' ! -name '*0000-cover-letter.patch' | sort
}

# A tree: base (the base's, shared by its series) or patched and gate (the
# series', under TAG).
tree_dir() { # VARIANT [TAG]
	case $1 in
	base) echo "$CACHE/trees/$(base_tag)/base" ;;
	*) echo "$CACHE/trees/${2:-${TAG:?}}/$1" ;;
	esac
}

# Where a kernel of a tag is kept: the base kernel is the base's.
kernel_dir() { # VARIANT [TAG]
	case $1 in
	base | base-*) echo "$CACHE/kernels/$(base_tag)/$1" ;;
	*) echo "$CACHE/kernels/${2:-${TAG:?}}/$1" ;;
	esac
}

# What a tree's source is, as cache inputs: its commit, its edits, and its
# untracked regular files (build directories .build* aside).  Dies rather
# than give a partial answer: a weak key would replay a stale result.
tree_state() { # TREE
	local commit edits untracked
	commit=$(g -C "$1" rev-parse HEAD) || die "not a git tree: $1"
	edits=$(g -C "$1" diff HEAD | sha256sum) || die "git diff failed in $1"
	untracked=$(g -C "$1" ls-files -o -z --exclude='/.build*/' |
		(cd "$1" && while IFS= read -r -d '' f; do
			[ ! -f "$f" ] || [ -L "$f" ] || sha256sum "$f" || exit 1
		done) | sha256sum) || die "cannot hash the untracked files of $1"
	echo "commit=$commit"
	echo "edits=${edits%% *}"
	echo "untracked=${untracked%% *}"
}

# Where a series' mail files are: mail/ for series/, mail/NAME/ for others.
mail_dir() { # NAME
	if [ "$1" = series ]; then echo "$TOP/mail"; else echo "$TOP/mail/$1"; fi
}

# git without hooks or detached-HEAD advice, for the bench's own trees.
g() { git -c advice.detachedHead=false -c core.hooksPath=/dev/null "$@"; }

# Stop unless the file system of $CACHE has GIB GiB free for WHAT.
need_disk() { # GIB WHAT
	local avail
	mkdir -p "$CACHE"
	avail=$(df -P -BG "$CACHE" | awk 'NR == 2 { sub(/G$/, "", $4); print $4 }')
	[ "$avail" -ge "$1" ] ||
		die "not enough disk for $2: it needs about $1 GiB free under $CACHE, $avail GiB are (df); free space there or point CACHE= at a larger file system"
}

jobs_n() { nproc; }

# The environment of every kernel and selftest build: one ccache (paths
# relative to $CACHE, so trees at the same place under another CACHE share
# it) in depend mode (CCACHE_DEPEND: it takes the includes from the
# compiler's -MD output instead of running the preprocessor once more; a
# cold build of arch/x86/kvm/ took 137 s of CPU with plain ccache, 101 s
# without ccache, 89 s in depend mode; docs/kernel-config.md), and fixed
# build stamps, so that the same source gives the same image.
ccache_env() {
	export CCACHE_DIR=${CCACHE_DIR:-$CACHE/ccache}
	export CCACHE_BASEDIR=$CACHE CCACHE_NOHASHDIR=1 CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-5G} CCACHE_DEPEND=1
	export KBUILD_BUILD_TIMESTAMP='2000-01-01' KBUILD_BUILD_USER=bench KBUILD_BUILD_HOST=bench
	export KBUILD_BUILD_VERSION=1
}

# The lines of FRAGMENTs that must hold after merge_config.sh: of the lines
# that name the same symbol, the last one (a later fragment overrides an
# earlier one, as merge_config.sh does), in the order symbols first appear.
fragment_lines() { # FRAGMENT...
	cat "$@" | grep -E '^(CONFIG_|# CONFIG_.* is not set$)' |
		awk '{ s = $0; sub(/^# /, "", s); sub(/[= ].*/, "", s)
			if (!(s in last)) order[n++] = s
			last[s] = $0 }
		END { for (i = 0; i < n; i++) print last[order[i]] }'
}

# Configure a kernel build directory: tinyconfig plus FRAGMENTs; again only
# when the fragments changed.  Every line of the fragments, "=y" and "is not
# set" alike, must hold in the result (the last fragment's, where two name
# the same symbol): a symbol this tree's Kconfig doesn't know is named and
# skipped; one that came out otherwise is an error.  A tree whose Kconfig
# is the base's starts from a base build's .config of the same fragments
# and only runs olddefconfig: the same .config, without tinyconfig's 15 s.
kernel_config() { # TREE BUILDDIR FRAGMENT...
	local tree=$1 bdir=$2 build=$1/$2 h l sym missing="" unknown="" seed=""
	shift 2
	h=$(cat "$@" | sha256sum)
	[ "$(cat "$build/.bench-fragments" 2>/dev/null)" != "$h" ] || [ ! -f "$build/.config" ] || return 0
	mkdir -p "$build"
	seed=$(config_seed "$tree" "$h")
	if [ -n "$seed" ]; then
		log "configuring $build (${seed#"$CACHE"/}, whose Kconfig files are this tree's)"
		cp "$seed" "$build/.config"
	else
		log "configuring $build (tinyconfig + ${*#"$TOP"/})"
		make -s -j"$(jobs_n)" -C "$tree" O="$bdir" tinyconfig >/dev/null
		"$tree/scripts/kconfig/merge_config.sh" -m -O "$build" "$build/.config" "$@" >/dev/null
	fi
	make -s -C "$tree" O="$bdir" olddefconfig
	while read -r l; do
		sym=${l%%=*}
		sym=${sym#\# }
		sym=${sym% is not set}
		grep -qx "$l" "$build/.config" && continue
		# "is not set" also holds for a symbol absent from .config.
		[[ $l != "# "* ]] || grep -q "^$sym=" "$build/.config" || continue
		if g -C "$tree" grep -qE "^(menu)?config ${sym#CONFIG_}\$" -- '*Kconfig*'; then
			missing+=" $sym"
		else
			unknown+=" $sym"
		fi
	done < <(fragment_lines "$@")
	[ -z "$missing" ] || die "kconfig did not keep:$missing as the fragments say (a dependency, or an option that selects it; docs/kernel-config.md)"
	[ -z "$unknown" ] || log "not in this tree's Kconfig, skipped:$unknown"
	echo "$h" >"$build/.bench-fragments"
}

# The .config of a build directory of the base tree made from the same
# fragments (sha256 H), if TREE is another tree of that base and differs
# from it in no file kconfig reads; nothing otherwise.
config_seed() { # TREE H
	local base b
	base=$(tree_dir base)
	[ "$(realpath "$1")" != "$(realpath "$base")" ] || return 0
	g -C "$1" diff --quiet bench-base -- '*Kconfig*' scripts/kconfig kernel/configs \
		arch/x86/configs Makefile 2>/dev/null || return 0
	for b in "$base"/.build*/; do
		if [ "$(cat "$b.bench-fragments" 2>/dev/null)" = "$2" ] && [ -f "$b.config" ]; then
			echo "$b.config"
			return 0
		fi
	done
}

# The UAPI headers of TREE for the selftests, installed in a build
# directory of their own, <tree>/.build-headers (headers_install needs no
# .config, and the kernel may be building in .build at the same time);
# again only when a UAPI header is newer.  Prints that directory.
kernel_headers() { # TREE
	local tree=$1 hb=$1/.build-headers
	mkdir -p "$tree/.build-locks" "$hb"
	(
		flock 9
		if [ ! -f "$hb/usr/include/linux/kvm.h" ] ||
			[ -n "$(find "$tree/include/uapi" "$tree/arch/x86/include/uapi" -newer "$hb/usr/include/linux/kvm.h" -print -quit)" ]; then
			log "make headers_install in $hb (log: $hb/headers.log)"
			make -s -j"$(jobs_n)" -C "$tree" O=.build-headers headers_install >"$hb/headers.log" 2>&1 ||
				die "headers_install failed; log: $hb/headers.log"
		fi
	) 9>"$tree/.build-locks/.build-headers" || exit 1
	echo "$hb"
}

# The KVM selftests' make line, static (the initramfs has no libc), through
# ccache: sets the array kvm_st_make for TREE, output OUT, headers in HDR.
# CCACHE_BASEDIR= here: with a base dir the -MD dependency files name
# relative targets that the selftests' Makefile (absolute OUTPUT) never
# matches, and a changed selftest header rebuilds nothing.
kvm_selftests_make() { # TREE OUT HDR
	# shellcheck disable=SC2034 # for the caller
	kvm_st_make=(env CCACHE_BASEDIR= make -C "$1/tools/testing/selftests/kvm" -j"$(jobs_n)"
		OUTPUT="$2" KHDR_INCLUDES="-isystem $3/usr/include"
		CC="ccache gcc" EXTRA_CFLAGS=-static LDFLAGS=-static)
}

# A private apt configuration in DIR (the system's is never touched): sets
# the array aptopt.  Check-Valid-Until=false: the registry may serve
# snapshots past their Valid-Until; signatures are still checked.
private_apt() { # DIR
	mkdir -p "$1/lists/partial" "$1/cache/archives/partial"
	# shellcheck disable=SC2034 # for the caller
	aptopt=(-o Acquire::Check-Valid-Until=false
		-o "Dir::Etc::sourcelist=$1/sources.list" -o Dir::Etc::sourceparts=-
		-o "Dir::State::Lists=$1/lists" -o "Dir::Cache=$1/cache"
		-o APT::Get::List-Cleanup=0 -o Debug::NoLocking=1 -o APT::Sandbox::User=root)
}

# ---- the pipeline --------------------------------------------------------
# make (prove.sh), make debug (debug.sh) and make bench (bench.sh) are this
# pipeline with other kernels, lists and reports:
#   pipeline_init WHAT CFG...   the series the lists judge, TAG, OUT
#   pipeline_sources [--ahead]  fetch (Debian's tarball), the trees (and
#                               the patched kernel ahead, in the background)
#   pipeline_kernel VARIANT [debug]
#   pipeline_plan VENDOR...     the plan (kvmbench.plan): lists, limits
#   pipeline_selftests          the selftests and programs the plan names
#   pipeline_initramfs VENDOR   the initramfs of a machine's list
#   pipeline_boot VENDOR VARIANT CONSOLE [BOOT_ARGS...]
#   pipeline_boot_pair VENDOR NAME CONSOLE_DIR [BOOT_ARGS...]
# Every stage is timed into $OUTDIR/$STAGE_TAG/timings.tsv; a failed stage
# stops the run with a line naming it.

pipeline_init() { # WHAT CFG...
	local what=$1
	shift
	CFGS=("$@")
	local c
	for c in "${CFGS[@]}"; do [ -f "$c" ] || die "no test list $c"; done
	SERIES_NAMES=()
	mapfile -t SERIES_NAMES < <(py plan series "${CFGS[@]}" || echo "!error")
	[ "${SERIES_NAMES[*]}" != "!error" ] || die "cannot read the test lists' series"
	[ ${#SERIES_NAMES[@]} -gt 0 ] || SERIES_NAMES=(series)
	TAG=$(series_tag "${SERIES_NAMES[@]}")
	export TAG
	OUT=$OUTDIR/$TAG${what:+/$what}
	STAGE_TAG=${OUT#"$OUTDIR"/}
	[ -z "${BUILD_ONLY:-}" ] || STAGE_TAG+=/build
	mkdir -p "$OUTDIR/$STAGE_TAG"
	: >"$OUTDIR/$STAGE_TAG/timings.tsv"
	rm -f "$OUT/verdicts.ktap"
	# shellcheck disable=SC2034 # for the caller
	T_START=$(date +%s)
}

pipeline_sources() { # [--ahead]
	local ahead=${1:-}
	[ -n "${KERNEL_TREE:-}" ] || stage fetch "$S/stages/fetch.sh"
	stage trees-base "$S/stages/trees.sh" base
	# The patched tree is mostly disk work: made in the background while
	# the base kernel builds; the first stage that needs it waits
	# (pipeline_trees).  With --ahead, the same job then installs the
	# patched tree's headers and builds the patched kernel, at nice 19 in
	# the idle I/O class: on the core the base build leaves idle (its
	# configuration and its link run one thread), from ccache for each
	# object the base build has compiled.  The stages that need them find
	# them done, or wait for them (a lock per build directory).  The job
	# only logs a failure ($OUT/ahead.log): the foreground stage builds
	# again and reports it.  set -m gives the job a process group of its
	# own, which the EXIT trap ends whole.
	TREES_RC=$OUT/trees-patched.rc
	rm -f "$TREES_RC"
	set -m
	(
		rc=0
		STEP=trees-patched timed "$STAGE_TAG" trees-patched \
			"$S/stages/trees.sh" patched --ktap "$OUT/apply.ktap" "${SERIES_NAMES[@]}" || rc=$?
		echo $rc >"$TREES_RC"
		{ [ $rc -eq 0 ] && [ -n "$ahead" ]; } || exit $rc
		renice -n 19 -p "$BASHPID" >/dev/null
		ionice -c 3 -p "$BASHPID"
		{ STEP=headers-ahead kernel_headers "$(tree_dir patched)" >/dev/null &&
			STEP=kernel-patched-ahead "$S/stages/kernel.sh" patched; } >"$OUT/ahead.log" 2>&1 || true
	) &
	AHEAD_PID=$!
	set +m
	trap '[ -z "${AHEAD_PID:-}" ] || kill -- "-$AHEAD_PID" 2>/dev/null || true' EXIT
}

pipeline_trees() {
	[ -n "${AHEAD_PID:-}" ] || return 0
	while [ ! -f "$TREES_RC" ] && kill -0 "$AHEAD_PID" 2>/dev/null; do sleep 1; done
	[ "$(cat "$TREES_RC" 2>/dev/null)" = 0 ] || die "stage 'trees-patched' failed (see above)"
}

pipeline_kernel() { # VARIANT [debug]
	[ "$1" = base ] || pipeline_trees
	stage "kernel-$1${2:+-$2}" "$S/stages/kernel.sh" "$@"
}

pipeline_plan() { # VENDOR...
	pipeline_trees
	stage plan py plan make --out "$OUT/plan" --vendors "$*" \
		--tree "$(tree_dir patched)" --base-tree "$(tree_dir base)" "${CFGS[@]}"
	# shellcheck source=/dev/null
	. "$OUT/plan/plan.env"
}

pipeline_selftests() {
	if [ ${#PLAN_FILES[@]} -gt 0 ]; then
		stage selftests "$S/stages/selftests.sh" "${PLAN_FILES[@]}"
	fi
}

pipeline_initramfs() { # VENDOR
	local v=$1 list=PLAN_LISTS_$1 vmm=PLAN_NEEDS_VMM_$1 ksft=PLAN_KSELFTEST_$1
	mkdir -p "$OUT/$v"
	stage "initramfs-$v" "$S/stages/initramfs.sh" --list "$OUT/plan/$v.list" --name "$TAG-$v-${!list}" \
		${!vmm:+--vmm} ${!ksft:+--kselftest "${!ksft}"} --out "$OUT/$v/initramfs.path"
}

# One boot: VARIANT's kernel (base, patched, patched-debug) on VENDOR.
pipeline_boot() { # VENDOR VARIANT CONSOLE [BOOT_ARGS...]
	local v=$1 var=$2 console=$3 limit=PLAN_LIMIT_$1 expect=PLAN_EXPECT_FAIL_$1 lists=PLAN_LISTS_$1
	shift 3
	local e=""
	[ "$var" != base ] || e=${!expect}
	py boot --vendor "$v" --kernel "$(kernel_dir "$var")/bzImage" \
		--initrd "$(cat "$OUT/$v/initramfs.path")" --console "$console" \
		--limit "${!limit}" --expect-fail "$e" --slot "$TAG/$v/$var/${!lists}" "$@"
}

# The base and the patched boot of VENDOR at once, one per core (Bochs,
# and QEMU under -icount, run one thread each), each timed as
# boot-VENDOR-VARIANT[-NAME]; consoles DIR/VARIANT/console.log.  Side by
# side only with two cores and PARALLEL (default 1); else one after the
# other.
pipeline_boot_pair() { # VENDOR NAME DIR PARALLEL [BOOT_ARGS...]
	local v=$1 name=$2 dir=$3 par=$4 pids=() rc=0 p var
	shift 4
	if [ "$par" = 1 ] && [ "$(nproc)" -ge 2 ]; then
		for var in base patched; do
			STEP=boot-$v-$var$name timed "$STAGE_TAG" "boot-$v-$var$name" \
				pipeline_boot "$v" "$var" "$dir/$var/console.log" "$@" &
			pids+=($!)
		done
		for p in "${pids[@]}"; do wait "$p" || rc=1; done
		[ $rc -eq 0 ] || die "stage 'boot-$v$name' failed (see above)"
	else
		for var in base patched; do
			stage "boot-$v-$var$name" pipeline_boot "$v" "$var" "$dir/$var/console.log" "$@"
		done
	fi
}

# What the base is, for the last line of a run.
pipeline_source_line() {
	if [ -n "${KERNEL_TREE:-}" ]; then
		echo "base: $KERNEL_TREE at $(git -C "$(tree_dir base)" rev-parse --short=12 HEAD)"
	else
		# shellcheck source=/dev/null
		. "$CACHE/src/$BASE/source.env"
		echo "base: $PKG $PKG_VERSION, tarball sha256 $TARBALL_SHA256${PIN_NOTE:+ ($PIN_NOTE)}"
	fi
}
