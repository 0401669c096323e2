#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Print the path of a sparse that the kernel tree accepts (its
# scripts/checker-valid.sh).  Debian 12's sparse 0.6.4 is too old for 7.x
# kernels and sid's binary needs a newer glibc, so, if needed, build sid's
# sparse source package into $CACHE/tools/sparse (about 10 s).
# Usage: build-sparse.sh KERNEL_TREE
set -euo pipefail
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

tree=${1:?usage: build-sparse.sh KERNEL_TREE}
# Trees before checker-valid.sh (6.12) take any sparse that runs.
valid() {
	if [ -x "$tree/scripts/checker-valid.sh" ]; then
		[ "$("$tree/scripts/checker-valid.sh" "$1" -m64 2>/dev/null)" = 1 ]
	else
		"$1" --version >/dev/null 2>&1
	fi
}

if command -v sparse >/dev/null && valid "$(command -v sparse)"; then
	command -v sparse
	exit 0
fi
dir=$CACHE/tools/sparse
if [ -x "$dir/sparse" ] && valid "$dir/sparse"; then
	echo "$dir/sparse"
	exit 0
fi

log "system sparse is too old for this tree; building sid's sparse source package"
key=/usr/share/keyrings/debian-archive-keyring.gpg
apt_dir=$CACHE/apt-src
mkdir -p "$dir.src"
private_apt "$apt_dir"
echo "deb-src [signed-by=$key] http://deb.debian.org/debian sid main" >"$apt_dir/sources.list"
apt-get "${aptopt[@]}" -qq update || die "apt-get update of the deb-src index failed"
(cd "$dir.src" && rm -f ./*.orig.tar.* && apt-get "${aptopt[@]}" -qq source --download-only sparse) ||
	die "apt-get source sparse failed"
rm -rf "$dir"
mkdir -p "$dir"
tar -C "$dir" --strip-components=1 -xf "$dir.src"/sparse_*.orig.tar.*
make -s -C "$dir" -j"$(jobs_n)" sparse HAVE_LLVM=no HAVE_SQLITE=no HAVE_GTK=no HAVE_LIBXML=no \
	>"$dir/build.log" 2>&1 || die "building sparse failed; log: $dir/build.log"
valid "$dir/sparse" || die "the sparse built from sid's source is not accepted by $tree"
log "built $("$dir/sparse" --version) from $(basename "$dir.src"/sparse_*.dsc .dsc)"
echo "$dir/sparse"
