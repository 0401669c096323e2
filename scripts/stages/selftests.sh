#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build what a plan's tests run, from the patched tree: KVM selftests,
# static, into <tree>/.build/kselftest/kvm, and the bench's own guest
# programs (progs/NAME: guest/progs/NAME.c, built with that tree's selftest
# library by guest/progs/Makefile, or the script guest/progs/NAME, copied).
# progs/msr_filter_compat32 and progs/msr_filter_compat64 are one source
# built -m32 and -m64, without the (64-bit only) library.
# progs/run_kselftest also makes the kselftest install the way KVM
# developers do, make -C tools/testing/selftests TARGETS=kvm install, into
# <tree>/.build/kselftest_install; initramfs.sh takes what the runner needs.
# vmm/ tests need no build (initramfs.sh --vmm).  Make keeps them up to date.
# Usage: selftests.sh FILE...
set -euo pipefail
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

[ $# -gt 0 ] || die "usage: selftests.sh FILE..."
variant=patched
tree=$(tree_dir patched)
build=$tree/.build
out=$build/kselftest/kvm
[ -d "$tree" ] || die "no tree at $tree (the trees stage makes it)"
mkdir -p "$out"

ccache_env

hdr=$(kernel_headers "$tree")

targets=()
progs=()
compat=()
kselftest=""
for t in "$@"; do
	case $t in
	progs/msr_filter_compat32 | progs/msr_filter_compat64) compat+=("$t") ;;
	progs/*)
		[ "$t" != progs/run_kselftest ] || kselftest=1
		if [ -f "$TOP/guest/$t.c" ]; then
			progs+=("$out/$t")
		else
			# a script: copied as it is
			[ -x "$TOP/guest/$t" ] || die "no guest/$t.c nor an executable guest/$t"
			mkdir -p "$out/progs"
			cp "$TOP/guest/$t" "$out/$t"
		fi
		;;
	vmm/*) ;;
	*) targets+=("$out/$t") ;;
	esac
done
kvm_selftests_make "$tree" "$out" "$hdr"
mk=("${kvm_st_make[@]}")
: >"$build/selftests.log"
if [ ${#targets[@]} -gt 0 ]; then
	log "$TAG/$variant: building KVM selftests ${targets[*]#"$out"/} (log: $build/selftests.log)"
	if ! "${mk[@]}" "${targets[@]}" >>"$build/selftests.log" 2>&1; then
		tail -n 5 "$build/selftests.log" >&2
		die "$TAG/$variant: selftest build failed; log: $build/selftests.log"
	fi
fi
if [ -n "$kselftest" ]; then
	# A fresh install each time, so that nothing a Makefile list dropped
	# stays behind; the programs themselves are only built when out of date.
	inst=$build/kselftest_install
	rm -rf "$inst"
	log "$TAG/$variant: kselftest install: make -C tools/testing/selftests TARGETS=kvm install (log: $build/selftests.log)"
	# CCACHE_BASEDIR= as in kvm_selftests_make (lib.sh).
	if ! CCACHE_BASEDIR='' make -C "$tree/tools/testing/selftests" -j"$(jobs_n)" O="$build" TARGETS=kvm \
		CC="ccache gcc" EXTRA_CFLAGS=-static LDFLAGS=-static KHDR_INCLUDES="-isystem $hdr/usr/include" \
		INSTALL_PATH="$inst" install >>"$build/selftests.log" 2>&1; then
		tail -n 5 "$build/selftests.log" >&2
		die "$TAG/$variant: kselftest install failed; log: $build/selftests.log"
	fi
	if [ ! -x "$inst/run_kselftest.sh" ] || [ ! -s "$inst/kselftest-list.txt" ]; then
		die "$TAG/$variant: kselftest install made no run_kselftest.sh or an empty kselftest-list.txt in $inst"
	fi
fi
if [ ${#progs[@]} -gt 0 ]; then
	log "$TAG/$variant: building ${progs[*]#"$out"/} with the selftest library"
	if ! "${mk[@]}" -f "$TOP/guest/progs/Makefile" PROGS_DIR="$TOP/guest/progs" \
		"${progs[@]}" >>"$build/selftests.log" 2>&1; then
		grep -E 'error|Error' "$build/selftests.log" | tail -n 5 >&2
		die "$TAG/$variant: building progs failed; log: $build/selftests.log"
	fi
fi
for t in "${compat[@]}"; do
	bits=${t#progs/msr_filter_compat}
	mkdir -p "$out/progs"
	[ "$bits" = 64 ] || [ -e "$(gcc -m32 -print-libgcc-file-name)" ] ||
		die "no 32-bit gcc: apt-get install gcc-multilib"
	if ! ccache gcc -m"$bits" -static -O2 -g -Wall -Werror -std=gnu99 \
		-isystem "$hdr/usr/include" -I"$TOP/guest/progs" \
		"$TOP/guest/progs/msr_filter_compat.c" -o "$out/$t" >>"$build/selftests.log" 2>&1; then
		tail -n 5 "$build/selftests.log" >&2
		die "$TAG/$variant: building $t failed; log: $build/selftests.log"
	fi
done
