#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Fetch Debian's linux-source-$BASE .deb (7.3 from experimental, 7.2 from
# sid) through a private apt configuration in cache/apt (the system's apt
# sources are never touched), unpack the tarball and write
# cache/src/$BASE/source.env describing what was fetched.
set -euo pipefail
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

# The revision each base is pinned to.  If it has left the registry the
# newest revision of the same series is taken and the report says so.
declare -A PIN=([7.3]=7.3~rc7-1~exp1 [7.2]=7.2.13-1)

apt_dir=$CACHE/apt
src=$CACHE/src/$BASE
mkdir -p "$src"
private_apt "$apt_dir"
# One fetch at a time on the private index and its sources.list (make
# check fetches another base in the background while the first one's
# proof runs): apt's own locks are off here (Debug::NoLocking).
exec 9>"$apt_dir/fetch.lock"
flock -n 9 || { log "waiting for another fetch to finish ($apt_dir/fetch.lock)"; flock 9; }

if [ -f "$src/source.env" ] && [ -f "$src/tarball" ]; then
	log "already fetched: $(grep "^PKG_VERSION=" "$src/source.env") in $src (a download, not a cache entry: rm -r it to fetch again)"
	exit 0
fi

key=/usr/share/keyrings/debian-archive-keyring.gpg
[ -f "$key" ] || die "$key missing: apt-get install debian-archive-keyring"
cat >"$apt_dir/sources.list.new" <<EOS
deb [signed-by=$key] http://deb.debian.org/debian experimental main
deb [signed-by=$key] http://deb.debian.org/debian sid main
EOS
# Refresh the private index at most once a day, or when its sources changed.
stamp=$apt_dir/lists/.updated
if ! cmp -s "$apt_dir/sources.list.new" "$apt_dir/sources.list"; then
	rm -f "$stamp"
fi
mv "$apt_dir/sources.list.new" "$apt_dir/sources.list"
if [ -z "$(find "$stamp" -mtime -1 2>/dev/null)" ]; then
	log "updating private apt index (experimental, sid)"
	apt-get "${aptopt[@]}" -qq update || die "apt-get update of the private index failed"
	touch "$stamp"
fi

pkg=linux-source-$BASE
versions=$(apt-cache "${aptopt[@]}" madison "$pkg" 2>/dev/null | awk -F'|' '{gsub(/ /,"",$2); print $2}' | sort -Vr -u)
if [ -z "$versions" ]; then
	offered=$(apt-cache "${aptopt[@]}" pkgnames linux-source- 2>/dev/null |
		grep -E '^linux-source-[0-9]+\.[0-9]+$' | sed 's/linux-source-//' | sort -V | tr '\n' ' ')
	die "$pkg is not in the registry; it offers: ${offered:-none}; pick one with BASE=<major.minor>"
fi
pin=${PIN[$BASE]:-}
note=""
if [ -n "$pin" ] && grep -qx "$pin" <<<"$versions"; then
	ver=$pin
else
	ver=$(head -n1 <<<"$versions")
	if [ -n "$pin" ]; then
		note="pinned $pkg $pin is gone from the registry; took the newest, $ver"
		log "WARNING: $note"
	fi
fi

log "downloading $pkg=$ver"
(cd "$src" && rm -f ./*.deb && apt-get "${aptopt[@]}" -qq download "$pkg=$ver") ||
	die "apt-get download $pkg=$ver failed"
deb=$(ls "$src"/*.deb)
log "unpacking $(basename "$deb")"
rm -rf "$src/x"
dpkg-deb -x "$deb" "$src/x"
tarball=$(ls "$src"/x/usr/src/linux-source-*.tar.*)
mv "$tarball" "$src/tarball"
rm -rf "$src/x" "$deb"
sha=$(sha256sum "$src/tarball" | cut -d' ' -f1)
cat >"$src/source.env" <<EOS
PKG=$pkg
PKG_VERSION=$ver
TARBALL=$(basename "$tarball")
TARBALL_SHA256=$sha
PIN_NOTE="$note"
EOS
log "fetched $pkg $ver, tarball sha256 $sha"
