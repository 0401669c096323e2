#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the bzImage of one tree (base or patched) of a base.
# Usage: build-kernel.sh base|patched
# The build directory is <tree>/.build, so kbuild's srctree is ".." in both
# trees and ccache serves the patched build from the base build's objects.
# A tree whose content and config did not change is not built again.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

variant=${1:?usage: build-kernel.sh base|patched}
TAG=$(base_tag)
tree=$CACHE/trees/$TAG/$variant
build=$tree/.build
frag=$TOP/config/kvm-test.config
dest=$CACHE/kernels/$TAG/$variant
[ -d "$tree" ] || die "no tree at $tree (run prepare-tree.sh)"
mkdir -p "$dest"

export CCACHE_DIR=${CCACHE_DIR:-$CACHE/ccache}
export CCACHE_BASEDIR=$CACHE CCACHE_NOHASHDIR=1 CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-5G}
export KBUILD_BUILD_TIMESTAMP='2000-01-01' KBUILD_BUILD_USER=bench KBUILD_BUILD_HOST=bench

# What the image is made of: the commit, any local edits, the fragment.
key=$(
	git -C "$tree" rev-parse HEAD
	git -C "$tree" diff HEAD | sha256sum
	sha256sum <"$frag"
	sha256sum <"$0"
)
key=$(sha256sum <<<"$key" | cut -c1-16)
if [ -f "$dest/bzImage" ] && [ "$(cat "$dest/key" 2>/dev/null)" = "$key" ]; then
	log "$TAG/$variant: up to date ($key)"
	exit 0
fi

mkdir -p "$build"
if [ "$(cat "$build/.frag" 2>/dev/null)" != "$(sha256sum <"$frag")" ] || [ ! -f "$build/.config" ]; then
	log "$TAG/$variant: configuring (tinyconfig + ${frag#"$TOP"/})"
	make -s -C "$tree" O=.build tinyconfig >/dev/null
	"$tree/scripts/kconfig/merge_config.sh" -m -O "$build" "$build/.config" "$frag" >/dev/null
	make -s -C "$tree" O=.build olddefconfig
	missing=$(grep '^CONFIG_' "$frag" | while read -r l; do
		grep -qx "$l" "$build/.config" || echo "${l%%=*}"
	done)
	[ -z "$missing" ] || die "$TAG/$variant: kconfig dropped: $missing"
	sha256sum <"$frag" >"$build/.frag"
fi

log "$TAG/$variant: building bzImage ($(jobs_n) jobs, log: $build/build.log)"
if ! make -C "$tree" O=.build -j"$(jobs_n)" CC="ccache gcc" bzImage >"$build/build.log" 2>&1; then
	tail -n 5 "$build/build.log" >&2
	die "$TAG/$variant: kernel build failed; log: $build/build.log"
fi
cp "$build/arch/x86/boot/bzImage" "$dest/bzImage"
echo "$key" >"$dest/key"
log "$TAG/$variant: $(stat -c %s "$dest/bzImage") bytes, ccache: $(ccache -s 2>/dev/null | grep -iE 'hits:' | head -1 | tr -s ' ')"
