#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Make the trees of a base and its series:
#   cache/trees/<base>/base     a git repo, one commit: Debian's tarball
#                               (fixed identity and date: the same tarball
#                               gives the same commit, the series'
#                               base-commit), or a clone of KERNEL_TREE
#   cache/trees/<tag>/patched   a worktree of it: `git am` of each series
#                               named, in order
# "base" makes the first, "patched" the second (the pipeline makes it while
# the base kernel builds: it is mostly disk work).  A patched tree whose
# series changed is made again, unless it has edits (the edit loop, in
# README.md).  With two or more series, every other order must apply too
# (the cover letters say they apply in either order): one KTAP line per
# order into --ktap FILE.  Checkouts leave out amdgpu's register headers
# (493 MiB; nothing built needs them).
# Usage: trees.sh base | trees.sh patched [--ktap FILE] SERIES_NAME...
set -euo pipefail
shopt -s nullglob
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

what=${1:-}
shift || true
ktap=""
if [ "${1:-}" = --ktap ]; then
	ktap=$2
	shift 2
fi
case $what:$# in
base:0) ;;
patched:[1-9]*) ;;
*) die "usage: trees.sh base | trees.sh patched [--ktap FILE] SERIES_NAME..." ;;
esac
base=$(tree_dir base)
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@localhost
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@localhost
export GIT_AUTHOR_DATE='2000-01-01T00:00:00Z' GIT_COMMITTER_DATE='2000-01-01T00:00:00Z'
SPARSE_OUT=(/drivers/gpu/drm/amd/include/asic_reg/)

# No automatic gc in the bench's repositories (worktrees included): after
# the tarball's commit it packs its 100,000 loose objects in the
# background, 89 s of both cores measured, while the base kernel builds.
no_auto_gc() { # REPO
	g -C "$1" config gc.auto 0
	g -C "$1" config maintenance.auto false
}

if [ "$what" = patched ]; then
	[ -d "$base/.git" ] || die "no base tree $base (trees.sh base makes it)"
elif [ -n "${KERNEL_TREE:-}" ]; then
	rev=${KERNEL_REV:-HEAD}
	commit=$(git -C "$KERNEL_TREE" rev-parse --verify "$rev^{commit}") || die "$KERNEL_TREE: no commit $rev"
	if [ ! -d "$base/.git" ]; then
		log "cloning $KERNEL_TREE (shared objects, read only) at $commit"
		need_disk 2 "a checkout of $KERNEL_TREE"
		g clone -q --shared --no-checkout "$KERNEL_TREE" "$base"
		no_auto_gc "$base"
		g -C "$base" sparse-checkout set --no-cone '/*' "${SPARSE_OUT[@]/#/!}"
	fi
	g -C "$base" fetch -q "$KERNEL_TREE" "$commit"
	g -C "$base" checkout -q -f "$commit"
	g -C "$base" tag -f bench-base "$commit" >/dev/null
elif [ ! -d "$base/.git" ]; then
	# shellcheck source=/dev/null
	. "$CACHE/src/$BASE/source.env"
	log "unpacking $TARBALL ($PKG_VERSION) into a git tree"
	need_disk 3 "the base tree of $BASE"
	rm -rf "$base.tmp"
	mkdir -p "$base.tmp"
	tar -C "$base.tmp" --strip-components=1 -xf "$CACHE/src/$BASE/tarball"
	g -C "$base.tmp" init -q -b base
	no_auto_gc "$base.tmp"
	# Debian appends "ignore everything at the top level" to .gitignore;
	# -f adds the tree as shipped.
	g -C "$base.tmp" add -A -f
	g -C "$base.tmp" commit -q -m "$PKG $PKG_VERSION" -m "Debian's $TARBALL, sha256 $TARBALL_SHA256."
	g -C "$base.tmp" tag bench-base
	g -C "$base.tmp" sparse-checkout set --no-cone '/*' "${SPARSE_OUT[@]/#/!}"
	mkdir -p "$(dirname "$base")"
	mv "$base.tmp" "$base"
fi
grep -qx '/.build\*/' "$base/.git/info/exclude" 2>/dev/null || echo '/.build*/' >>"$base/.git/info/exclude"
[ "$(g -C "$base" rev-parse HEAD)" = "$(g -C "$base" rev-parse bench-base)" ] ||
	die "$base is not at bench-base; it is a cache: reset it or remove it"
[ "$what" = patched ] || exit 0

names=("$@")
TAG=$(series_tag "${names[@]}")
patched=$(tree_dir patched)
dirs=()
for n in "${names[@]}"; do dirs+=("$(series_dir "$n")"); done

apply() { # WORKTREE DIR...: git am each series in order; the first failure
	local wt=$1 d p
	shift
	for d in "$@"; do
		for p in $(series_patches "$d"); do
			if ! g -C "$wt" am -q --no-3way "$p" >/dev/null 2>&1; then
				g -C "$wt" am --abort >/dev/null 2>&1 || true
				echo "${p#"$TOP"/}"
				return 1
			fi
		done
	done
}

if [ ! -e "$patched" ]; then
	need_disk 2 "the tree $patched"
	g -C "$base" worktree prune
	g -C "$base" worktree add -q --detach "$patched" bench-base
	rm -f "$patched.applied"
fi
# Apply again only when a series changed; never over edits.
want=$(for d in "${dirs[@]}"; do series_patches "$d"; done | xargs cat | sha256sum | cut -c1-16)
if [ "$want" != "$(cat "$patched.applied" 2>/dev/null || true)" ]; then
	if [ -n "$(g -C "$patched" status --porcelain --untracked-files=no)" ]; then
		die "$patched has edits and ${names[*]} changed: commit them and run 'make series', or discard them (git -C $patched checkout .)"
	fi
	log "applying ${names[*]} ($(for d in "${dirs[@]}"; do series_patches "$d"; done | wc -l) patches)"
	g -C "$patched" am -q --abort >/dev/null 2>&1 || true
	g -C "$patched" checkout -q -f --detach bench-base
	bad=$(apply "$patched" "${dirs[@]}") || die "$bad does not apply to $TAG"
	echo "$want" >"$patched.applied"
elif [ -n "$(g -C "$patched" status --porcelain --untracked-files=no)" ]; then
	log "NOTE: the patched tree has edits not in ${names[*]} (make series makes them patches):"
	g -C "$patched" diff --stat HEAD | tail -n1 >&2
fi

# Every other order of the series applies too: in a scratch worktree with
# only the files the patches touch checked out.
[ -n "$ktap" ] || exit 0
rm -f "$ktap"
[ ${#dirs[@]} -ge 2 ] || exit 0
results=("ok ${names[*]}: apply in this order (the patched tree)")
orders() { # the permutations of the arguments, one a line
	local i
	if [ $# -le 1 ]; then echo "$*"; return; fi
	for ((i = 1; i <= $#; i++)); do
		orders "${@:1:i-1}" "${@:i+1}" | sed "s|^|${!i} |"
	done
}
scratch=$(mktemp -d)
trap 'g -C "$base" worktree remove --force "$scratch/wt" >/dev/null 2>&1 || true; rm -rf "$scratch"' EXIT
mapfile -t paths < <(for d in "${dirs[@]}"; do series_patches "$d"; done | xargs sed -n 's|^diff --git a/\(.*\) b/.*$|\1|p' | sort -u)
while read -r order; do
	[ "$order" != "${names[*]}" ] || continue
	read -ra ns <<<"$order"
	ds=()
	for n in "${ns[@]}"; do ds+=("$(series_dir "$n")"); done
	g -C "$base" worktree add -q --no-checkout --detach "$scratch/wt" bench-base
	g -C "$scratch/wt" read-tree bench-base
	mapfile -t have < <(g -C "$scratch/wt" ls-tree -r --name-only bench-base -- "${paths[@]}")
	[ ${#have[@]} -eq 0 ] || g -C "$scratch/wt" checkout -- "${have[@]}"
	if bad=$(apply "$scratch/wt" "${ds[@]}"); then
		results+=("ok $order: apply in this order too")
	else
		results+=("not ok $order: apply in this order too # $bad does not apply")
	fi
	g -C "$base" worktree remove --force "$scratch/wt"
done < <(orders "${names[@]}")
write_ktap "$ktap" "${results[@]}"
