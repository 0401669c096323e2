#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the KVM selftests of one tree, static, into <tree>/.build/kselftest.
# Usage: build-selftests.sh base|patched [TEST...]   (default: all of them)
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

variant=${1:?usage: build-selftests.sh base|patched [TEST...]}
shift
TAG=$(base_tag)
tree=$CACHE/trees/$TAG/$variant
build=$tree/.build
out=$build/kselftest/kvm
[ -d "$tree" ] || die "no tree at $tree (run prepare-tree.sh)"
mkdir -p "$out"

export CCACHE_DIR=${CCACHE_DIR:-$CACHE/ccache}
export CCACHE_BASEDIR=$CACHE CCACHE_NOHASHDIR=1

if [ ! -f "$build/usr/include/linux/kvm.h" ] ||
	[ -n "$(find "$tree/include/uapi" "$tree/arch/x86/include/uapi" -newer "$build/usr/include/linux/kvm.h" -print -quit)" ]; then
	log "$TAG/$variant: make headers_install"
	make -s -C "$tree" O=.build headers_install >"$build/headers.log" 2>&1 ||
		die "$TAG/$variant: headers_install failed; log: $build/headers.log"
fi

targets=()
for t in "$@"; do targets+=("$out/$t"); done
log "$TAG/$variant: building KVM selftests ${*:-(all)} (log: $build/selftests.log)"
if ! make -C "$tree/tools/testing/selftests/kvm" -j"$(jobs_n)" \
	OUTPUT="$out" KHDR_INCLUDES="-isystem $build/usr/include" \
	CC="ccache gcc" EXTRA_CFLAGS=-static LDFLAGS=-static \
	"${targets[@]}" >"$build/selftests.log" 2>&1; then
	tail -n 5 "$build/selftests.log" >&2
	die "$TAG/$variant: selftest build failed; log: $build/selftests.log"
fi
