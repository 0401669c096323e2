#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Run a command in a fresh Debian 12 root, so that nothing installed by
# hand on this machine can make the bench pass.  Usage (as root):
#   scripts/in-fresh-root.sh CMD...        e.g. scripts/in-fresh-root.sh make check
# What `make check ROOT=fresh` (the default when CI=true) and .ci/run do.
#
# Each run deletes $CACHE/root and builds it again with mmdebstrap: bookworm
# minbase plus `make` (the entry point, needed before deps.sh can run), from
# deb.debian.org with the sources a Debian 12 image has (bookworm,
# bookworm-updates, bookworm-security).  Then the bench's own deps.sh
# installs the rest inside it, and CMD runs there with chroot, as root, in
# the same directory, the environment passed on.  The clone is bound at the
# same path; /proc, /sys, /dev, /dev/pts and /dev/shm are bound in;
# /etc/resolv.conf (and /etc/hosts) are copied.  All of it happens in a
# private mount namespace, so no mount is ever seen outside, even if this is
# killed; the trap unmounts on any exit too.  The only host package needed
# is mmdebstrap, installed here if missing.  The exit code is CMD's; nothing
# is printed after CMD ends.  Stage times: $OUTDIR/fresh-root/timings.tsv.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

[ $# -gt 0 ] || die "usage: $0 CMD..."
[ -z "${BENCH_IN_ROOT:-}" ] || die "already inside a fresh root (BENCH_IN_ROOT=$BENCH_IN_ROOT): not nesting another"
[ "$(id -u)" -eq 0 ] || die "must run as root (mmdebstrap, mount, chroot)"

SUITE=bookworm
MIRROR=http://deb.debian.org
root=$CACHE/root
tdir=$OUTDIR/fresh-root

# The mounts below live in a private mount namespace: enter one first.
if [ -z "${FRESH_ROOT_NS:-}" ]; then
	command -v unshare >/dev/null || die "unshare (util-linux) missing"
	FRESH_ROOT_NS=1 exec unshare --mount --propagation private -- "$BASH" "${BASH_SOURCE[0]}" "$@"
fi
unset FRESH_ROOT_NS

mkdir -p "$tdir"
: >"$tdir/timings.tsv"
# Wall times, logged and recorded (no bc: the host may lack it).  A
# failing step stops the script (set -e, or its own die).
t0=
t_start() { t0=${EPOCHREALTIME/./}; }
t_end() { # NAME STATUS: record in timings.tsv, print nothing
	local ms=$(((${EPOCHREALTIME/./} - t0) / 1000))
	secs=$((ms / 1000)).$((ms % 1000 / 100))
	printf '%s\t%s\t%s\n' "$1" "$secs" "$2" >>"$tdir/timings.tsv"
}
pkgs_fmt="\${Package} \${Version}\n" # dpkg-query's fields

# Mount points under $root, deepest first (from this namespace's table).
mounts_under() {
	awk -v r="$root" '{ m = $5; gsub(/\\040/, " ", m); if (m == r || index(m, r "/") == 1) print m }' \
		/proc/self/mountinfo | sort -r
}

# shellcheck disable=SC2317 # run by the EXIT trap
unmount_all() {
	local m
	while read -r m; do
		[ -n "$m" ] || continue
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
	done < <(mounts_under)
}
trap unmount_all EXIT
trap 'echo "error: $STEP: interrupted (SIGINT)" >&2; exit 130' INT
trap 'echo "error: $STEP: terminated (SIGTERM)" >&2; exit 143' TERM
trap 'echo "error: $STEP: hung up (SIGHUP)" >&2; exit 129' HUP

install_mmdebstrap() {
	command -v mmdebstrap >/dev/null && return 0
	log "installing mmdebstrap on the host (the one host package this needs)"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq || die "apt-get update (host, for mmdebstrap) failed"
	apt-get install -y -qq --no-install-recommends mmdebstrap >/dev/null ||
		die "apt-get install mmdebstrap (host) failed"
}

build_root() {
	# Never delete through a mount: a bound clone would go with it.
	[ -z "$(mounts_under)" ] || die "mounts left under $root: $(mounts_under | tr '\n' ' ')"
	rm -rf --one-file-system "$root"
	mkdir -p "$(dirname "$root")"
	mmdebstrap --variant=minbase --include=make "$SUITE" "$root" \
		"deb $MIRROR/debian $SUITE main" \
		"deb $MIRROR/debian $SUITE-updates main" \
		"deb $MIRROR/debian-security $SUITE-security main" \
		>"$tdir/mmdebstrap.log" 2>&1 || {
		tail -n 20 "$tdir/mmdebstrap.log" >&2
		die "mmdebstrap $SUITE minbase into $root failed (log: $tdir/mmdebstrap.log)"
	}
	chroot "$root" dpkg-query -W -f "$pkgs_fmt" >"$tdir/packages-minbase.txt"
	log "root: $(wc -l <"$tdir/packages-minbase.txt") packages, $(du -sh --one-file-system "$root" | cut -f1)"
}

bind_in() { # --bind|--rbind DIR: DIR at the same path inside the root
	[ ! -L "$2" ] || return 0 # e.g. /dev/shm -> /run/shm: in /dev already
	mkdir -p "$root$2"
	mount "$1" "$2" "$root$2" || die "mount $1 $2 at $root$2 failed"
}

setup_root() {
	# The clone first, with what is mounted inside it (a cache volume):
	# $root is inside it, and must have no mounts of its own yet.
	bind_in --rbind "$TOP"
	bind_in --bind /proc
	bind_in --bind /sys
	bind_in --bind /dev
	bind_in --bind /dev/pts
	bind_in --bind /dev/shm
	# What a machine has as configuration, not as packages: name resolution.
	cp -L /etc/resolv.conf "$root/etc/resolv.conf"
	[ -e "$root/etc/hosts" ] || printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
	# The clone may belong to another user than root (a CI runner's clone).
	if [ "$(stat -c %u "$TOP")" != 0 ]; then
		printf '[safe]\n\tdirectory = %s\n' "$TOP" >>"$root/etc/gitconfig"
		log "clone owned by uid $(stat -c %u "$TOP"): safe.directory set in the root's /etc/gitconfig"
	fi
}

# The environment passed on, minus what belongs to this host or to the
# make that called us: a fresh make starts inside.
in_root() {
	local dir=$PWD
	local unset=(-u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES -u ROOT -u TMPDIR -u LANGUAGE) v
	# The host's locales may not exist in minbase: C.UTF-8 always does.
	for v in $(compgen -e); do
		case $v in LC_*) unset+=(-u "$v") ;; esac
	done
	case $dir/ in "$TOP"/*) ;; *) dir=$TOP ;; esac
	chroot "$root" /usr/bin/env -C "$dir" "${unset[@]}" \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root LANG=C.UTF-8 BENCH_IN_ROOT=1 "$@"
}

deps_in_root() {
	in_root "$TOP/scripts/deps.sh" || die "scripts/deps.sh failed inside the fresh root"
	chroot "$root" dpkg-query -W -f "$pkgs_fmt" >"$tdir/packages-after-deps.txt"
	log "deps.sh installed $(($(wc -l <"$tdir/packages-after-deps.txt") - $(wc -l <"$tdir/packages-minbase.txt"))) packages"
}

t_start
install_mmdebstrap
t_end "host mmdebstrap" ok
log "building a fresh $SUITE minbase root in $root"
t_start
build_root
t_end mmdebstrap ok
log "mmdebstrap: $secs s"
setup_root
t_start
deps_in_root
t_end "deps.sh (in root)" ok
log "deps.sh in the root: $secs s"
log "running in the fresh root: $*"
rc=0
t_start
in_root "$@" || rc=$?
t_end "command (in root)" "$([ $rc -eq 0 ] && echo ok || echo "fail($rc)")"
exit $rc
