#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make series: regenerate series/ (series/<base>/ for a copy on another
# base; SERIES_NAME=series-tsc-deadline for the second series) from the
# patched work tree:
#   git format-patch [-v$VERSION] --cover-letter --base=bench-base
# The cover letter's subject and text come from mail/cover-letter.txt
# (mail/<series>/ for another series), its "How tested" from the last
# report (kvmbench.cover_letter).  SERIES_OUT=DIR writes there instead
# (make check's scratch copy) and leaves the trees' record alone.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
shopt -s nullglob

series_env
tree=$(tree_dir patched)
dest=${SERIES_OUT:-$SERIES}
VERSION=${VERSION:-1}
cover=$(mail_dir "$SNAME")/cover-letter.txt
[ -f "$cover" ] || die "no cover letter template $cover"
[ -d "$tree" ] || die "no patched tree at $tree (run make first)"
[ -z "$(git -C "$tree" status --porcelain --untracked-files=no)" ] ||
	die "$tree has uncommitted edits: commit them (git -C $tree commit -a --amend, or rebase -i) first"
[ "$(git -C "$tree" rev-list --count bench-base..HEAD)" -gt 0 ] || die "no commits on top of bench-base in $tree"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# A copy under NAME/<base>/ is marked as one: [PATCH 7.2 backport ...].
prefix=PATCH
backport=""
if [ "$SERIES" != "$TOP/$SNAME" ]; then
	prefix="PATCH $BASE backport"
	backport=$BASE
fi
# A first posting is [PATCH 0/3]; later ones [PATCH v2 0/3] and so on.
vopt=()
[ "$VERSION" = 1 ] || vopt=(-v"$VERSION")
# The cover letter's From: is the patches' author, not whoever runs this.
# The blob ids of the "index" lines are 9 hex digits (--abbrev=9): git's
# own length grows with the objects it counts, which are only the packed
# ones, and the bench's base repositories stay unpacked (trees.sh).
git -C "$tree" -c user.name="$(git -C "$tree" log -1 --format=%an HEAD)" \
	-c user.email="$(git -C "$tree" log -1 --format=%ae HEAD)" \
	format-patch -q --abbrev=9 "${vopt[@]}" --cover-letter --no-signature \
	--subject-prefix="$prefix" \
	--base=bench-base -o "$tmp" bench-base..HEAD
BACKPORT=$backport py cover_letter "$cover" "$tmp"/*0000-cover-letter.patch "$OUTDIR/$TAG"

mkdir -p "$dest"
rm -f "$dest"/*.patch
cp "$tmp"/*.patch "$dest"/
if [ -z "${SERIES_OUT:-}" ]; then
	# The tree was made from these patches: record them as applied.
	series_patches "$dest" | xargs cat | sha256sum | cut -c1-16 >"$tree.applied"
fi
log "wrote $(find "$dest" -maxdepth 1 -name '*.patch' | wc -l) files to ${dest#"$TOP"/}"
