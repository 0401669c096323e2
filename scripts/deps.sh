#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install what the bench needs from Debian's packages (as root), or print
# the one apt-get line to run and stop.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# package:file-or-command that proves it is installed
need=(
	build-essential:gcc make:make bc:bc bison:bison flex:flex cpio:cpio
	libelf-dev:/usr/include/libelf.h libssl-dev:/usr/include/openssl/ssl.h
	ccache:ccache qemu-system-x86:qemu-system-x86_64
	busybox-static:/bin/busybox python3:python3 git:git xz-utils:xz
	shellcheck:shellcheck git-email:/usr/lib/git-core/git-send-email
	sparse:sparse perl:perl debian-archive-keyring:/usr/share/keyrings/debian-archive-keyring.gpg
	kmod:depmod pyflakes3:pyflakes3
	python3-sphinx:sphinx-build python3-yaml:/usr/lib/python3/dist-packages/yaml/__init__.py
	gcc-multilib:/usr/lib/gcc/x86_64-linux-gnu/12/32/libgcc.a
	rsync:rsync file:file
	libmailtools-perl:/usr/share/perl5/Mail/Address.pm
	libio-socket-ssl-perl:/usr/share/perl5/IO/Socket/SSL.pm
	libauthen-sasl-perl:/usr/share/perl5/Authen/SASL.pm
	python3-aiosmtpd:/usr/lib/python3/dist-packages/aiosmtpd/__init__.py
	openssl:openssl procps:pkill uuid-dev:/usr/include/uuid/uuid.h
	bochs:bochs-bin bochsbios:/usr/share/bochs/BIOS-bochs-latest
	vgabios:/usr/share/vgabios/vgabios.bin xorriso:xorriso
	isolinux:/usr/lib/ISOLINUX/isolinux.bin
	syslinux-common:/usr/lib/syslinux/modules/bios/ldlinux.c32
)
missing=()
for n in "${need[@]}"; do
	pkg=${n%%:*}
	what=${n#*:}
	case $what in
	/*) [ -e "$what" ] || missing+=("$pkg") ;;
	*) command -v "$what" >/dev/null 2>&1 || missing+=("$pkg") ;;
	esac
done
# busybox-static, not the dynamic busybox: the initramfs has no libc.
if [ -e /bin/busybox ] && ! file -L /bin/busybox 2>/dev/null | grep -q 'statically linked'; then
	command -v file >/dev/null && missing+=(busybox-static)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	die "missing packages; run: sudo apt-get install -y ${missing[*]}"
fi
log "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq || die "apt-get update failed"
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
	die "apt-get install ${missing[*]} failed"
