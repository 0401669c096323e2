#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the bzImage of a tree: tinyconfig + config/kvm-test.config (+
# config/debug.config for "debug", in <tree>/.build-debug), in <tree>/.build,
# so that kbuild's srctree is ".." in every tree and ccache serves one
# tree's objects to another.  The image (and vmlinux) is a cache entry
# keyed on the tree's commit, edits and untracked files, the fragments, the
# compiler and this script; it is linked into cache/kernels/<tag>/<variant>/.
# Usage: kernel.sh base|patched [debug]
set -euo pipefail
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

variant=${1:?usage: kernel.sh base|patched [debug]}
flavour=${2:-}
TAG=${TAG:-$(base_tag)}
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
	;;
*) die "unknown flavour '$flavour' (only: debug)" ;;
esac
build=$tree/$bdir
[ -d "$tree" ] || die "no tree at $tree (the trees stage makes it)"
mkdir -p "$dest"
ccache_env

# One build per build directory at a time: make check's background builds
# (and the pipeline's --ahead build) can reach a kernel that a foreground
# proof is building; the second waits here and then finds the first's
# cache entry.  The lock files live in
# .build-locks/, which tree_state leaves out with the build directories:
# they are not an input of the kernel.
mkdir -p "$tree/.build-locks"
exec 9>"$tree/.build-locks/$bdir"
if ! flock -n 9; then
	log "waiting for another build of $build to end (make's background build: out/<tag>/ahead.log; make check's: out/prebuild/)"
	flock 9
fi
state=$(tree_state "$tree") || exit 1
mapfile -t inputs <<<"$state"
inputs+=("gcc=$(gcc --version | head -n1)" "ld=$(ld --version | head -n1)")
for f in "${frags[@]}"; do inputs+=("fragment-$(basename "$f")=@$f"); done
if cache_get kernel "$TAG/$variant$flavour" "the $TAG $variant${flavour:+ $flavour} kernel" "${inputs[@]}"; then
	ln -f "$CACHE_ENTRY/bzImage" "$CACHE_ENTRY/vmlinux" "$dest/"
	exit 0
fi

kernel_config "$tree" "$bdir" "${frags[@]}"
log "$TAG/$variant: building bzImage ($(jobs_n) jobs, log: $build/build.log)"
if ! make -C "$tree" O="$bdir" -j"$(jobs_n)" CC="ccache gcc" bzImage >"$build/build.log" 2>&1; then
	tail -n 5 "$build/build.log" >&2
	die "$TAG/$variant: kernel build failed; log: $build/build.log"
fi
cache_put "$build/arch/x86/boot/bzImage" "$build/vmlinux"
ln -f "$CACHE_ENTRY/bzImage" "$CACHE_ENTRY/vmlinux" "$dest/"
log "$TAG/$variant: $(find "$build" -name '*.o' ! -path '*/kselftest*' | wc -l) objects, bzImage $(stat -c %s "$dest/bzImage") bytes"
