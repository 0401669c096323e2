#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Make the two kernel trees of a base and series:
#   $CACHE/trees/$BASE/base    a git repo with a single base commit, shared
#                              by every series on the base (lib.sh tree_dir)
#   $CACHE/trees/$TAG/patched  a worktree of it: base + `git am series/*`
# The base commit is made with a fixed identity and date, so the same
# tarball always gives the same commit id (the series' base-commit).  The
# checkouts leave out SPARSE_OUT (lib.sh).
set -euo pipefail
shopt -s nullglob
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

TAG=$(base_tag)
trees=$CACHE/trees/$TAG
base=$(tree_dir base)
patched=$(tree_dir patched)
SERIES=${SERIES:-$(series_dir)}
mkdir -p "$trees"

export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@localhost
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@localhost
export GIT_AUTHOR_DATE='2000-01-01T00:00:00Z' GIT_COMMITTER_DATE='2000-01-01T00:00:00Z'

make_base_from_tarball() {
	local src=$CACHE/src/$BASE
	# shellcheck source=/dev/null
	. "$src/source.env"
	log "unpacking $TARBALL ($PKG_VERSION) into a git tree"
	need_disk 3 "the base tree of $BASE"
	rm -rf "$base.tmp"
	mkdir -p "$base.tmp"
	tar -C "$base.tmp" --strip-components=1 -xf "$src/tarball"
	g -C "$base.tmp" init -q -b base
	# Debian appends "ignore everything at the top level" to .gitignore;
	# -f adds the tree as shipped.
	g -C "$base.tmp" add -A -f
	g -C "$base.tmp" commit -q -m "$PKG $PKG_VERSION" \
		-m "Debian's $TARBALL, sha256 $TARBALL_SHA256."
	g -C "$base.tmp" tag bench-base
	sparse_tree "$base.tmp"
	mkdir -p "$(dirname "$base")"
	mv "$base.tmp" "$base"
}

make_base_from_user_tree() {
	local rev=${KERNEL_REV:-HEAD} commit
	commit=$(git -C "$KERNEL_TREE" rev-parse --verify "$rev^{commit}") ||
		die "$KERNEL_TREE: no commit $rev"
	if [ ! -d "$base/.git" ]; then
		log "cloning $KERNEL_TREE (shared objects, read only) at $commit"
		need_disk 2 "a checkout of $KERNEL_TREE"
		g clone -q --shared --no-checkout "$KERNEL_TREE" "$base"
		sparse_tree "$base"
	fi
	g -C "$base" fetch -q "$KERNEL_TREE" "$commit"
	g -C "$base" checkout -q -f "$commit"
	g -C "$base" tag -f bench-base "$commit" >/dev/null
}

if [ -n "${KERNEL_TREE:-}" ]; then
	make_base_from_user_tree
elif [ ! -d "$base/.git" ]; then
	make_base_from_tarball
fi
# A base tree of an older cache, checked out in full, is thinned too.
sparse_tree "$base"
grep -qx '/.build/' "$base/.git/info/exclude" 2>/dev/null ||
	echo '/.build/' >>"$base/.git/info/exclude"

# The base tree must stay at the base commit, clean.
[ "$(g -C "$base" rev-parse HEAD)" = "$(g -C "$base" rev-parse bench-base)" ] ||
	die "$base is not at bench-base; it is a cache: reset it or remove it"

# An older cache gave each series a base tree of its own.  It goes, with
# its clean worktrees (the gate tree), unless it holds refs of someone's.
old=$trees/base
if [ "$old" != "$base" ] && [ -d "$old/.git" ]; then
	mapfile -t wts < <(g -C "$old" worktree list --porcelain | sed -n 's/^worktree //p' | grep -vx "$(realpath "$old")" || true)
	keep=$(g -C "$old" for-each-ref --format='%(refname)' | grep -vx 'refs/heads/base\|refs/tags/bench-base' || true)
	mine=()
	for w in "${wts[@]}"; do
		[ -d "$w" ] || continue
		[ "$(realpath -m "$(g -C "$w" rev-parse --path-format=absolute --git-common-dir)")" = "$(realpath "$old/.git")" ] || continue
		mine+=("$w")
		[ -z "$(g -C "$w" status --porcelain --untracked-files=no)" ] || keep+=" $w has edits"
	done
	if [ -z "$keep" ]; then
		log "removing $old and its worktrees (older cache layout: $base is the base of every series on $BASE now)"
		rm -rf "$old" "${mine[@]}"
	else
		log "NOTE: $old is unused now (the base is $base); it is left as it holds:" "$keep"
	fi
fi

worktree_of "$base" "$patched" || rm -f "$trees/patched.series"

# Re-apply the series only when series/ changed.  A patched tree with edits
# that are not in series/ is never thrown away.
want=$(series_hash "$SERIES")
have=$(cat "$trees/patched.series" 2>/dev/null || true)
if [ "$want" != "$have" ]; then
	if [ -n "$(g -C "$patched" status --porcelain --untracked-files=no)" ]; then
		die "$patched has uncommitted edits and series/ changed: commit them and run 'make series', or discard them (git -C $patched checkout .)"
	fi
	log "applying $(series_patches "$SERIES" | wc -l) patches from ${SERIES#"$TOP"/}"
	g -C "$patched" am -q --abort >/dev/null 2>&1 || true
	g -C "$patched" checkout -q --detach bench-base
	for p in $(series_patches "$SERIES"); do
		g -C "$patched" am -q --no-3way "$p" >/dev/null 2>&1 || {
			g -C "$patched" am --abort >/dev/null 2>&1 || true
			die "patch $(basename "$p") does not apply to $TAG"
		}
	done
	echo "$want" >"$trees/patched.series"
elif [ -n "$(g -C "$patched" status --porcelain --untracked-files=no)" ]; then
	log "NOTE: patched tree has local edits not in series/ (make series regenerates it):"
	g -C "$patched" diff --stat HEAD | tail -n1 >&2
fi
