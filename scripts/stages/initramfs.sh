#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Make a test VM's initramfs: busybox, guest/init, the plan's test list of
# one machine as /tests.list and the binaries it names (from the patched
# tree's selftest build), plus with --vmm the nested VMM's payload
# (vmm-payload.sh) and with --kselftest COLLECTION:TEST... what the
# kselftest runner needs.  The cpio is a cache entry keyed on its
# gen_init_cpio spec and every file the spec names; its path is written to
# --out FILE, and the spec and list are kept beside it.
# Usage: initramfs.sh --list FILE --name NAME [--vmm] [--kselftest "C:T..."] --out FILE
set -euo pipefail
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

list="" name="" vmm="" ksft="" outfile=""
while [ $# -gt 0 ]; do
	case $1 in
	--list) list=$2 && shift 2 ;;
	--name) name=$2 && shift 2 ;;
	--vmm) vmm=1 && shift ;;
	--kselftest) ksft=$2 && shift 2 ;;
	--out) outfile=$2 && shift 2 ;;
	*) die "usage: initramfs.sh --list FILE --name NAME [--vmm] [--kselftest C:T...] --out FILE" ;;
	esac
done
{ [ -f "$list" ] && [ -n "$outfile" ]; } || die "usage: initramfs.sh --list FILE --name NAME [--vmm] [--kselftest C:T...] --out FILE"
tree=$(tree_dir patched)
bin=$tree/.build/kselftest/kvm
busybox=/bin/busybox
[ -x "$busybox" ] || die "no $busybox: apt-get install busybox-static"

# gen_init_cpio, built from the base tree's source (one C file).
src=$(tree_dir base)/usr/gen_init_cpio.c
gen=$CACHE/tools/gen_init_cpio-$(sha256sum <"$src" | cut -c1-16)
if [ ! -x "$gen" ]; then
	mkdir -p "$CACHE/tools"
	gcc -O2 -o "$gen.tmp" "$src" || die "cannot build $src"
	mv "$gen.tmp" "$gen"
fi

work=$(dirname "$outfile")/initramfs
mkdir -p "$work"
cp "$list" "$work/tests.list"
{
	echo "dir /dev 0755 0 0"
	echo "nod /dev/console 0600 0 0 c 5 1"
	echo "nod /dev/null 0666 0 0 c 1 3"
	for d in bin proc sys tmp tests; do echo "dir /$d 0755 0 0"; done
	echo "file /bin/busybox $busybox 0755 0 0"
	echo "file /init $TOP/guest/init 0755 0 0"
	echo "file /tests.list $work/tests.list 0644 0 0"
	awk '{ print $2 }' "$list" | grep -v '^vmm/' | sort -u | while read -r f; do
		[ -x "$bin/$f" ] || die "test binary $bin/$f was not built"
		[ "$(dirname "$f")" = . ] || echo "dir /tests/$(dirname "$f") 0755 0 0"
		echo "file /tests/$f $bin/$f 0755 0 0"
	done
	[ -z "$vmm" ] || cat "$("$S/stages/vmm-payload.sh" "$(kernel_dir base)/bzImage" "$gen")"
	if [ -n "$ksft" ]; then
		# The kselftest runner (guest/progs/run_kselftest runs it): from the
		# tree's kselftest install the runner, its helpers, the list, and per
		# COLLECTION:TEST the test and the collection's settings; GNU timeout
		# at /usr/bin/timeout (the runner enforces timeouts only with it)
		# with the libraries ldd lists.  A test missing from the install is
		# left out, so that the runner says so and the check fails.
		inst=$tree/.build/kselftest_install
		[ -x "$inst/run_kselftest.sh" ] || die "no kselftest install in $inst (selftests.sh progs/run_kselftest makes it)"
		echo "dir /kselftest 0755 0 0"
		echo "dir /kselftest/kselftest 0755 0 0"
		echo "file /kselftest/run_kselftest.sh $inst/run_kselftest.sh 0755 0 0"
		echo "file /kselftest/kselftest-list.txt $inst/kselftest-list.txt 0644 0 0"
		for f in runner.sh ktap_helpers.sh; do
			echo "file /kselftest/kselftest/$f $inst/kselftest/$f 0755 0 0"
		done
		for t in $ksft; do
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
		for l in $(ldd /usr/bin/timeout | grep -oE '/[^ ]+' | sort -u); do
			p=""
			for part in $(dirname "$l" | tr / ' '); do
				p=$p/$part
				echo "dir $p 0755 0 0"
			done
			echo "file $l $(readlink -f "$l") 0755 0 0"
		done
	fi
} | awk '!seen[$0]++' >"$work/spec"

# The key: the spec (what goes where; this run's directory named) and
# every file it names.
sed "s|$work|\$WORK|g" "$work/spec" >"$work/spec.key"
inputs=("spec=@$work/spec.key" "gen_init_cpio=@$gen")
while read -r dest src; do
	inputs+=("$dest=@$src")
done < <(awk '$1 == "file" { print $2, $3 }' "$work/spec")
if ! cache_get initramfs "$name" "the initramfs $name" "${inputs[@]}"; then
	"$gen" -t 946684800 "$work/spec" >"$work/initramfs.cpio"
	cache_put "$work/initramfs.cpio"
	rm "$work/initramfs.cpio"
	log "$name: $(grep -c '^file /tests/' "$work/spec") test files, $(du -h "$CACHE_ENTRY/initramfs.cpio" | cut -f1)"
fi
echo "$CACHE_ENTRY/initramfs.cpio" >"$outfile"
