#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Regenerate series/ (or series/<base>/; SERIES_NAME=series-tsc-deadline
# for another series) from the patched work tree:
#   git format-patch [-v$VERSION] --cover-letter --base=bench-base
# The cover letter's subject and text come from mail/cover-letter.txt
# (mail/$SERIES_NAME/ for another series); its
# "How tested" section is generated from the bench's last report.
set -euo pipefail
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
shopt -s nullglob

TAG=$(base_tag)
tree=$(tree_dir patched)
SERIES=${SERIES:-$(series_dir)}
VERSION=${VERSION:-1}
cover=$(mail_dir)/cover-letter.txt
[ -f "$cover" ] || die "no cover letter template $cover"
[ -d "$tree" ] || die "no patched tree at $tree (run make first)"
[ -z "$(git -C "$tree" status --porcelain --untracked-files=no)" ] ||
	die "$tree has uncommitted edits: commit them (git -C $tree commit -a --amend, or rebase -i) first"
[ "$(git -C "$tree" rev-list --count bench-base..HEAD)" -gt 0 ] || die "no commits on top of bench-base in $tree"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# A copy under series/<base>/ is marked as one: [PATCH 7.2 backport ...].
prefix=PATCH
backport=""
if [ "$(series_dir)" != "$TOP/${SERIES_NAME:-series}" ]; then
	prefix="PATCH $BASE backport"
	backport=$BASE
fi
# A first posting is [PATCH 0/3]; later ones [PATCH v2 0/3] and so on.
vopt=()
[ "$VERSION" = 1 ] || vopt=(-v"$VERSION")
# The cover letter's From: is the patches' author, not whoever runs this.
git -C "$tree" -c user.name="$(git -C "$tree" log -1 --format=%an HEAD)" \
	-c user.email="$(git -C "$tree" log -1 --format=%ae HEAD)" \
	format-patch -q "${vopt[@]}" --cover-letter --no-signature \
	--subject-prefix="$prefix" \
	--base=bench-base -o "$tmp" bench-base..HEAD
BACKPORT=$backport python3 "$TOP/scripts/mail/cover-letter.py" "$cover" "$tmp"/*0000-cover-letter.patch \
	"$OUTDIR/$TAG" "$CACHE/src/$BASE/source.env"

mkdir -p "$SERIES"
rm -f "$SERIES"/*.patch
cp "$tmp"/*.patch "$SERIES"/
# The trees were made from these patches: record them as applied.
series_hash "$SERIES" >"$CACHE/trees/$TAG/patched.series"
log "wrote $(find "$SERIES" -maxdepth 1 -name '*.patch' | wc -l) files to ${SERIES#"$TOP"/}"
