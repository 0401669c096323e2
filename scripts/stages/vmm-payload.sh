#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The payload of the real-VMM check (guest/vmm/qemu_msr_filter): Debian's
# qemu-system-x86_64 with the shared libraries ldd lists, SeaBIOS and QEMU's
# option ROMs, a nested guest kernel and its initramfs (busybox,
# guest/vmm/nested-init, a static guest/vmm/rdmsr).  Prints the path of a
# gen_init_cpio spec fragment that puts it all under /vmm (libraries at
# their own paths).
# Usage: vmm-payload.sh NESTED_BZIMAGE GEN_INIT_CPIO
set -euo pipefail
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

kernel=${1:?usage: vmm-payload.sh NESTED_BZIMAGE GEN_INIT_CPIO}
gen=${2:?}
qemu=/usr/bin/qemu-system-x86_64
[ -x "$qemu" ] || die "$qemu missing: apt-get install qemu-system-x86"
dir=$CACHE/vmm
mkdir -p "$dir"

# The nested guest's initramfs.
gcc -static -O2 -Wall -Werror -o "$dir/rdmsr" "$TOP/guest/vmm/rdmsr.c" || die "building vmm/rdmsr.c failed"
cat >"$dir/nested.spec" <<EOS
dir /dev 0755 0 0
nod /dev/console 0600 0 0 c 5 1
dir /bin 0755 0 0
dir /proc 0755 0 0
file /bin/busybox /bin/busybox 0755 0 0
file /bin/rdmsr $dir/rdmsr 0755 0 0
file /init $TOP/guest/vmm/nested-init 0755 0 0
EOS
"$gen" -t 946684800 "$dir/nested.spec" >"$dir/nested.cpio"

{
	echo "dir /vmm 0755 0 0"
	echo "dir /vmm/fw 0755 0 0"
	echo "dir /tests/vmm 0755 0 0"
	echo "file /vmm/qemu-system-x86_64 $qemu 0755 0 0"
	echo "file /vmm/bzImage $kernel 0644 0 0"
	echo "file /vmm/nested.cpio $dir/nested.cpio 0644 0 0"
	echo "file /tests/vmm/qemu_msr_filter $TOP/guest/vmm/qemu_msr_filter 0755 0 0"
	for f in /usr/share/seabios/bios-256k.bin /usr/share/qemu/kvmvapic.bin \
		/usr/share/qemu/linuxboot_dma.bin /usr/share/qemu/linuxboot.bin; do
		[ -f "$f" ] || die "$f missing (qemu-system-x86, seabios)"
		echo "file /vmm/fw/$(basename "$f") $(readlink -f "$f") 0644 0 0"
	done
	libs=$(ldd "$qemu" | grep -oE '/[^ ]+' | sort -u)
	[ -n "$libs" ] || die "ldd $qemu listed no libraries"
	# shellcheck disable=SC2086
	dirname $libs | sort -u | while read -r d; do
		p=""
		for part in ${d//\// }; do
			p=$p/$part
			echo "dir $p 0755 0 0"
		done
	done | awk '!seen[$0]++'
	for l in $libs; do
		echo "file $l $(readlink -f "$l") 0755 0 0"
	done
} >"$dir/payload.spec"
echo "$dir/payload.spec"
