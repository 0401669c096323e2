#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Make the test VM's initramfs: busybox, vm/init, and the selftest binaries
# of one tree that the given test lists name.  Prints the cpio's path; the
# name is a hash of everything in it, so an unchanged set is not rebuilt.
# Usage: mkinitramfs.sh base|patched CFG...
set -euo pipefail
shopt -s nullglob
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

variant=${1:?usage: mkinitramfs.sh base|patched CFG...}
shift
TAG=$(base_tag)
tree=$(tree_dir "$variant")
bin=$tree/.build/kselftest/kvm
gen=${GEN_INIT_CPIO:-$(tree_dir base)/.build/usr/gen_init_cpio}
busybox=/bin/busybox
[ -x "$gen" ] || die "no $gen (the base kernel build makes it)"
[ -x "$busybox" ] || die "no $busybox: apt-get install busybox-static"

list=$(python3 "$TOP/scripts/testlist.py" --tree "$tree" list "$@")
mapfile -t files < <(python3 "$TOP/scripts/testlist.py" --tree "$tree" files "$@" 2>/dev/null | sort -u)
# vmm/ tests are the bench's own and bring their payload (mkvmm.sh).
vmm=""
kfiles=()
for f in "${files[@]}"; do
	case $f in
	vmm/*) vmm=1 ;;
	*)
		[ -x "$bin/$f" ] || die "test binary $bin/$f was not built"
		kfiles+=("$f")
		;;
	esac
done
files=("${kfiles[@]}")
payload=/dev/null
if [ -n "$vmm" ]; then
	payload=$("$TOP/scripts/stages/mkvmm.sh" "$(kernel_dir base)/bzImage" "$gen")
fi
spec=$(mktemp)
listfile=$(mktemp)
ksft=$(mktemp)
trap 'rm -f "$spec" "$listfile" "$ksft"' EXIT

# progs/run_kselftest (tests/kselftest.cfg) runs the kselftest runner: from
# the tree's kselftest install (build-selftests.sh) the runner, its helpers,
# the test list, and for each COLLECTION:TEST its entries name, the test and
# the collection's settings file; and GNU timeout at /usr/bin/timeout (the
# runner enforces the settings timeout only with that one) with the
# libraries ldd lists.  A test missing from the install is left out, so that
# the runner in the VM says so and the check fails.
mapfile -t ksft_tests < <(awk '$2 == "progs/run_kselftest" { for (i = 5; i <= NF; i++) print $i }' <<<"$list" | sort -u)
if [ ${#ksft_tests[@]} -gt 0 ]; then
	inst=$tree/.build/kselftest_install
	[ -x "$inst/run_kselftest.sh" ] || die "no kselftest install in $inst (build-selftests.sh progs/run_kselftest makes it)"
	{
		echo "dir /kselftest 0755 0 0"
		echo "dir /kselftest/kselftest 0755 0 0"
		echo "file /kselftest/run_kselftest.sh $inst/run_kselftest.sh 0755 0 0"
		echo "file /kselftest/kselftest-list.txt $inst/kselftest-list.txt 0644 0 0"
		for f in runner.sh ktap_helpers.sh; do
			echo "file /kselftest/kselftest/$f $inst/kselftest/$f 0755 0 0"
		done
		for t in "${ksft_tests[@]}"; do
			c=${t%%:*}
			echo "dir /kselftest/$c 0755 0 0"
			[ ! -f "$inst/$c/settings" ] || echo "file /kselftest/$c/settings $inst/$c/settings 0644 0 0"
			if [ -x "$inst/$c/${t#*:}" ]; then
				echo "file /kselftest/$c/${t#*:} $inst/$c/${t#*:} 0755 0 0"
			else
				log "warning: $t is not in the kselftest install $inst; the runner will say so"
			fi
		done
		echo "dir /usr 0755 0 0"
		echo "dir /usr/bin 0755 0 0"
		echo "file /usr/bin/timeout $(readlink -f /usr/bin/timeout) 0755 0 0"
		libs=$(ldd /usr/bin/timeout | grep -oE '/[^ ]+' | sort -u)
		for l in $libs; do
			p=""
			for part in $(dirname "$l" | tr / ' '); do
				p=$p/$part
				echo "dir $p 0755 0 0"
			done
			echo "file $l $(readlink -f "$l") 0755 0 0"
		done
	} | awk '!seen[$0]++' >"$ksft"
fi

key=$( {
	echo "$list"
	sha256sum "$TOP/vm/init" "$busybox"
	for f in "${files[@]}"; do sha256sum "$bin/$f"; done
	cat "$payload" "$ksft"
	awk '$1 == "file" { print $3 }' "$ksft" | xargs -r sha256sum
	[ -z "$vmm" ] || sha256sum "$(kernel_dir base)/bzImage" "$CACHE/vmm/nested.cpio" "$TOP"/vmm/*
} | sha256sum | cut -c1-16)
# One cpio per tree, machine and set of lists: a new one replaces the last.
sets=$(for c in "$@"; do basename "$c" .cfg; done | paste -sd+)
machine=${VENDOR:-any}
prefix=$CACHE/initramfs/$TAG-$variant-${machine// /+}-$sets
dest=$prefix-$key.cpio
# The last one of this set, and any named before the machine and the
# lists were part of the name (TAG-VARIANT-KEY.cpio).
h='[0-9a-f]'
for old in "$prefix"-*.cpio "$CACHE/initramfs/$TAG-$variant-"$h$h$h$h$h$h$h$h$h$h$h$h$h$h$h$h.cpio; do
	[ "$old" = "$dest" ] || rm -f "$old"
done
if [ -f "$dest" ]; then
	echo "$dest"
	exit 0
fi

mkdir -p "$CACHE/initramfs"
echo "$list" >"$listfile"
{
	echo "dir /dev 0755 0 0"
	echo "nod /dev/console 0600 0 0 c 5 1"
	echo "nod /dev/null 0666 0 0 c 1 3"
	for d in bin proc sys tmp tests; do echo "dir /$d 0755 0 0"; done
	echo "file /bin/busybox $busybox 0755 0 0"
	echo "file /init $TOP/vm/init 0755 0 0"
	echo "file /tests.list $listfile 0644 0 0"
	for f in "${files[@]}"; do dirname "/tests/$f"; done | sort -u |
		{ grep -vx /tests || true; } | sed 's/.*/dir & 0755 0 0/'
	for f in "${files[@]}"; do echo "file /tests/$f $bin/$f 0755 0 0"; done
	cat "$payload" "$ksft"
} | awk '!seen[$0]++' >"$spec"
"$gen" -t 946684800 "$spec" >"$dest.tmp"
mv "$dest.tmp" "$dest"
log "$TAG/$variant: initramfs with ${#files[@]} test binaries, $(du -h "$dest" | cut -f1)"
echo "$dest"
