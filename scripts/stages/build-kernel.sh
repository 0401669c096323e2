#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the bzImage of one tree (base or patched) of a base.
# Usage: build-kernel.sh base|patched [debug]
# The build directory is <tree>/.build, so kbuild's srctree is ".." in both
# trees and ccache serves the patched build from the base build's objects.
# "debug" adds config/debug.config (KASAN, lockdep, ...) and builds in
# <tree>/.build-debug into kernels/<base>/<variant>-debug.
# A tree whose content and config did not change is not built again.
set -euo pipefail
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

variant=${1:?usage: build-kernel.sh base|patched [debug]}
flavour=${2:-}
TAG=$(base_tag)
[ "$variant" != base ] || TAG=$(root_tag)
tree=$(tree_dir "$variant")
bdir=.build
frags=("$TOP/config/kvm-test.config")
dest=$(kernel_dir "$variant")
case $flavour in
"") ;;
debug)
	bdir=.build-debug
	frags+=("$TOP/config/debug.config")
	dest=$dest-debug
	variant=$variant-debug
	;;
*) die "unknown flavour '$flavour' (only: debug)" ;;
esac
build=$tree/$bdir
[ -d "$tree" ] || die "no tree at $tree (run prepare-tree.sh)"
mkdir -p "$dest"

ccache_env

# What the image is made of: the commit, any local edits, the fragment.
key=$(
	git -C "$tree" rev-parse HEAD
	git -C "$tree" diff HEAD | sha256sum
	cat "${frags[@]}" | sha256sum
	sha256sum <"$0"
)
key=$(sha256sum <<<"$key" | cut -c1-16)
if [ -f "$dest/bzImage" ] && [ "$(cat "$dest/key" 2>/dev/null)" = "$key" ]; then
	log "$TAG/$variant: up to date ($key)"
	exit 0
fi

mkdir -p "$build"
fraghash=$(cat "${frags[@]}" | sha256sum)
if [ "$(cat "$build/.frag" 2>/dev/null)" != "$fraghash" ] || [ ! -f "$build/.config" ]; then
	log "$TAG/$variant: configuring (tinyconfig + ${frags[*]#"$TOP"/})"
	make -s -C "$tree" O="$bdir" tinyconfig >/dev/null
	"$tree/scripts/kconfig/merge_config.sh" -m -O "$build" "$build/.config" "${frags[@]}" >/dev/null
	make -s -C "$tree" O="$bdir" olddefconfig
	# A symbol this tree's Kconfig doesn't know (e.g. PROC_SYSCTL, gone in
	# 7.3) is named and skipped; one it knows but turned off is an error.
	missing="" unknown=""
	while read -r l; do
		sym=${l%%=*}
		grep -qx "$l" "$build/.config" && continue
		if grep -rqsx --include='Kconfig*' "\(menu\)\?config ${sym#CONFIG_}" "$tree"; then
			missing+=" $sym"
		else
			unknown+=" $sym"
		fi
	done < <(cat "${frags[@]}" | grep '^CONFIG_')
	[ -z "$missing" ] || die "$TAG/$variant: kconfig dropped:$missing"
	[ -z "$unknown" ] || log "$TAG/$variant: not in this tree's Kconfig, skipped:$unknown"
	echo "$fraghash" >"$build/.frag"
fi

log "$TAG/$variant: building bzImage ($(jobs_n) jobs, log: $build/build.log)"
if ! make -C "$tree" O="$bdir" -j"$(jobs_n)" CC="ccache gcc" bzImage >"$build/build.log" 2>&1; then
	tail -n 5 "$build/build.log" >&2
	die "$TAG/$variant: kernel build failed; log: $build/build.log"
fi
cp "$build/arch/x86/boot/bzImage" "$dest/bzImage"
echo "$key" >"$dest/key"
log "$TAG/$variant: $(stat -c %s "$dest/bzImage") bytes, ccache: $(ccache -s 2>/dev/null | grep -iE 'hits:' | head -1 | tr -s ' ')"
