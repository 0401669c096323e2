#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The per-patch gates a maintainer's bots run on a posting (docs/gates.md).
# Each patch of the series is applied in order on the base, in a tree of
# its own (cache/trees/<tag>/gate), and must pass:
#   checkpatch   scripts/checkpatch.pl --strict: no error, warning or check
#   message      what checkpatch doesn't check: the KVM subject prefix and
#                an imperative subject (kvmbench.commit_msg)
#   build        the kernel (bzImage) builds
#   kvm-werror   arch/x86/kvm/ as maintainer-kvm-x86.rst asks of every
#                patch: KVM_INTEL=m KVM_AMD=m KVM_WERROR=y
#                (config/kvm-modules.config over the test config)
#   w1-sparse    arch/x86/kvm/ with W=1 and sparse (C=1): no warning the
#                base build doesn't have (sets compared, line numbers aside)
#   selftests    after a patch touching the KVM selftests, they build with
#                no warning in the files it touches
#   docs         after a patch touching api.rst, the kernel's own docs
#                build of it (make SPHINXDIRS=virt htmldocs) reports nothing
#                about api.rst that the base's doesn't
# Writes out/<tag>/gates.ktap (GATES_KTAP overrides); exits 1 naming the
# patch and the gate.  GATES="checkpatch w1-sparse ..." runs only those.
# A full run is a cache entry (kind gates).
# Usage: gates.sh [SERIES_DIR]   (SERIES_NAME picks the series; default series)
set -euo pipefail
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
shopt -s nullglob

series_env
SERIES=${1:-$SERIES}
base=$(tree_dir base)
gate=$(tree_dir gate)
out=$OUTDIR/$TAG/gates
ktap=${GATES_KTAP:-$OUTDIR/$TAG/gates.ktap}
GATES=${GATES:-all}
want() { [[ " $GATES " == *" all "* || " $GATES " == *" $1 "* ]]; }
mkdir -p "$out"
[ -d "$base/.git" ] || die "no base tree $base (make makes it)"
ccache_env
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@localhost
export GIT_COMMITTER_DATE='2000-01-01T00:00:00Z'

mapfile -t patches < <(series_patches "$SERIES")
[ ${#patches[@]} -gt 0 ] || die "no patches in $SERIES"

checkpatch=$base/scripts/checkpatch.pl
sparse=$("$S/stages/sparse.sh" "$base") || die "no usable sparse"
command -v sphinx-build >/dev/null || die "sphinx-build missing: apt-get install python3-sphinx python3-yaml"

# A full run that passed is reused while its inputs are the same.
mapfile -t inputs < <(numbered_inputs patch "${patches[@]}")
inputs+=("base=$(g -C "$base" rev-parse bench-base)" "commit_msg=@$S/kvmbench/commit_msg.py"
	"test_config=@$TOP/config/kvm-test.config" "modules_config=@$TOP/config/kvm-modules.config"
	"gcc=$(gcc --version | head -n1)" "sparse=$("$sparse" --version)" "sphinx=$(sphinx-build --version)")
if [ "$GATES" = all ] && cache_get gates "$TAG" "the $TAG gates' verdict" "${inputs[@]}"; then
	cp "$CACHE_ENTRY/gates.ktap" "$ktap"
	exit 0
fi
# The verdict's entry: the w1-base lookup below sets CACHE_ENTRY again.
verdict_entry=${CACHE_ENTRY:-}

worktree_of() { # the gate tree: a worktree of the base at bench-base
	[ -e "$gate" ] && return 0
	need_disk 2 "the tree $gate"
	g -C "$base" worktree prune
	g -C "$base" worktree add -q --detach "$gate" bench-base
}
worktree_of
g -C "$gate" am --abort >/dev/null 2>&1 || true
g -C "$gate" checkout -q -f --detach bench-base
# The test kernel's config for the build and W=1 builds; the modular
# -Werror build's own on top of it.
kernel_config "$gate" .build "$TOP/config/kvm-test.config"
kernel_config "$gate" .build-w1 "$TOP/config/kvm-test.config"
kernel_config "$gate" .build-m "$TOP/config/kvm-test.config" "$TOP/config/kvm-modules.config"
kvm_werror() { # LOG
	make -C "$gate" O=.build-m -j"$(jobs_n)" CC="ccache gcc" arch/x86/kvm/ >"$1" 2>&1
}

results=()
failed=()
result() { # patch gate ok|fail [detail]
	if [ "$3" = ok ]; then
		results+=("ok $1 $2")
	else
		results+=("not ok $1 $2${4:+ # $4}")
		failed+=("$1: $2${4:+: $4}")
		echo "error: gates: $1: $2 failed${4:+: $4}" >&2
	fi
}

# Warnings as a set: file and message, no line or column numbers.
warnset() {
	{ grep -E '(warning|error): ' "$1" || true; } |
		sed -E 's/:[0-9]+:[0-9]+:/:/; s/:[0-9]+:/:/' | sort -u
}

kvm_w1() { # LOG
	make -C "$gate" O=.build-w1 -j"$(jobs_n)" W=1 C=1 CHECK="$sparse" \
		olddefconfig arch/x86/kvm/ >"$1" 2>&1
}

docs() { # LOG: what the kernel's docs build says about api.rst, sorted
	local b=$gate/.build-docs
	rm -rf "$b"
	make -C "$gate" O="$b" SPHINXDIRS=virt htmldocs >"$1.log" 2>&1 ||
		die "make SPHINXDIRS=virt htmldocs failed in $gate (log: $1.log)"
	{ grep -a 'virt/kvm/api\.rst' "$1.log" || true; } |
		sed -E 's/^[^:]*api\.rst:[0-9]+: //' | sort -u >"$1"
}

# The base's warnings: a patch's W=1 build recompiles only what it
# touches, so its warnings are compared with the base's full set.
if want w1-sparse; then
	if cache_get w1-base "$TAG" "the base's W=1 + sparse warnings" "base=$(g -C "$base" rev-parse bench-base)" \
		"config=@$gate/.build-w1/.config" "gcc=$(gcc --version | head -n1)" "sparse=$("$sparse" --version)"; then
		cp "$CACHE_ENTRY/base-w1.set" "$out/base-w1.set"
	else
		log "$TAG: base: W=1 + sparse build of arch/x86/kvm (log: $out/base-w1.log)"
		rm -rf "$gate/.build-w1/arch/x86/kvm"
		kvm_w1 "$out/base-w1.log" || die "base: arch/x86/kvm does not build with W=1 (log: $out/base-w1.log)"
		! grep -q 'specified, but .* is not available' "$out/base-w1.log" ||
			die "kbuild refused $sparse (log: $out/base-w1.log)"
		grep -q ' CHECK ' "$out/base-w1.log" || die "sparse checked nothing (log: $out/base-w1.log)"
		warnset "$out/base-w1.log" >"$out/base-w1.set"
		cache_put "$out/base-w1.set"
	fi
fi
# The base's docs messages, from the base tree (the gate tree is the base
# until the first patch is applied below).
want docs && docs "$out/base-docs.set"
# The KVM selftests among TOUCHED (files under tools/testing/selftests/kvm)
# build in the gate tree, with no warning in those files.
selftests_gate() { # NAME GATE TOUCHED
	local name=$1 gate_name=$2 touched=$3 tests sto w
	tests=$(grep -E '\.c$' <<<"$touched" | grep -vE '/(lib|include)/' |
		sed -E 's|tools/testing/selftests/kvm/||; s|\.c$||' | tr '\n' ' ' || true)
	sto=$gate/.build/kselftest/kvm
	mkdir -p "$sto"
	make -s -C "$gate" O=.build headers_install >/dev/null 2>&1 || true
	# shellcheck disable=SC2086 # $tests: a list of names
	[ -z "$tests" ] || (cd "$sto" && rm -f $tests)
	kvm_selftests_make "$gate" "$sto" "$gate/.build"
	# shellcheck disable=SC2086 # $tests: a list of names
	if "${kvm_st_make[@]}" ${tests:+$(printf "$sto/%s " $tests)} \
		>"$out/$name.$gate_name" 2>&1; then
		w=$(grep -F -f <(tr '\n' '\0' <<<"$touched" | xargs -0 -n1 basename 2>/dev/null) \
			"$out/$name.$gate_name" | grep -m1 'warning:' || true)
		if [ -z "$w" ]; then
			result "$name" "$gate_name" ok
		else
			result "$name" "$gate_name" fail "$w"
		fi
	else
		result "$name" "$gate_name" fail "$(grep -m1 error "$out/$name.$gate_name")"
	fi
}

n=0
for p in "${patches[@]}"; do
	n=$((n + 1))
	name=$(basename "$p" .patch)
	log "$TAG: [$n/${#patches[@]}] $name"

	# checkpatch --strict, run from the base tree for its data files.
	if ! want checkpatch; then
		:
	# UNKNOWN_COMMIT_ID: the base is a tarball without history, so commit
	# references can't be looked up here (mail/evidence.md cites them upstream).
	# FILE_PATH_CHANGES ("does MAINTAINERS need updating?") only when every
	# file the patch creates is a KVM selftest: MAINTAINERS' KVM entry covers
	# tools/testing/selftests/kvm/ already.
	elif ignore=UNKNOWN_COMMIT_ID
		created=$(sed -n 's/^ create mode [0-9]* //p' "$p")
		if [ -n "$created" ] && ! grep -qv '^tools/testing/selftests/kvm/' <<<"$created"; then
			ignore+=,FILE_PATH_CHANGES
		fi
		(cd "$base" && perl "$checkpatch" --strict --quiet --no-summary \
			--ignore "$ignore" "$p") >"$out/$name.checkpatch" 2>&1; then
		result "$name" checkpatch ok
	else
		result "$name" checkpatch fail "$(grep -m1 -E '^(ERROR|WARNING|CHECK)' "$out/$name.checkpatch")"
	fi

	if ! want message; then
		:
	elif py commit_msg "$p" >"$out/$name.message" 2>&1; then
		result "$name" message ok
	else
		result "$name" message fail "$(head -n1 "$out/$name.message")"
	fi
	# Only the message gates asked for: no need for a tree.
	case $GATES in checkpatch | message | "checkpatch message") continue ;; esac

	if ! g -C "$gate" am -q --no-3way "$p" >"$out/$name.am" 2>&1; then
		g -C "$gate" am --abort >/dev/null 2>&1 || true
		result "$name" apply fail "does not apply: $(head -n1 "$out/$name.am")"
		break
	fi
	result "$name" apply ok

	if ! want build; then
		:
	elif make -C "$gate" O=.build -j"$(jobs_n)" CC="ccache gcc" olddefconfig bzImage \
		>"$out/$name.build" 2>&1; then
		result "$name" build ok
	else
		result "$name" build fail "$(grep -m1 -E 'error' "$out/$name.build")"
	fi

	if ! want kvm-werror; then
		:
	elif kvm_werror "$out/$name.werror"; then
		result "$name" kvm-werror ok
	else
		result "$name" kvm-werror fail "$(grep -m1 -E 'error' "$out/$name.werror")"
	fi

	if ! want w1-sparse; then
		:
	elif kvm_w1 "$out/$name.w1"; then
		new=$(comm -13 "$out/base-w1.set" <(warnset "$out/$name.w1"))
		if [ -z "$new" ]; then
			result "$name" w1-sparse ok
		else
			echo "$new" >"$out/$name.w1.new"
			result "$name" w1-sparse fail "$(head -n1 <<<"$new")"
		fi
	else
		result "$name" w1-sparse fail "W=1 build failed: $(grep -m1 error "$out/$name.w1")"
	fi

	touched=$(g -C "$gate" diff --name-only HEAD~1 HEAD -- tools/testing/selftests/kvm)
	if [ -n "$touched" ] && want selftests; then
		selftests_gate "$name" selftests "$touched"
	fi

	if ! want docs || g -C "$gate" diff --quiet HEAD~1 HEAD -- Documentation/virt/kvm/api.rst; then
		:
	else
		docs "$out/$name.docs"
		new=$(comm -13 "$out/base-docs.set" "$out/$name.docs")
		if [ -z "$new" ]; then
			result "$name" docs ok
		else
			result "$name" docs fail "$(head -n1 <<<"$new")"
		fi
	fi
done

write_ktap "$ktap" "${results[@]}"
if [ "$GATES" = all ] && [ ${#failed[@]} -eq 0 ]; then
	CACHE_ENTRY=$verdict_entry cache_put "$ktap"
fi
log "$TAG: ${#results[@]} gate results, ${#failed[@]} failed (details: $out/)"
[ ${#failed[@]} -eq 0 ] || die "${failed[0]}"
