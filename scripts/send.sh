#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Do what a submitter does, short of sending: put the sender's identity on
# the series, ask scripts/get_maintainer.pl whom to send it to, and run
# git send-email --dry-run.  Everything lands in $OUTDIR/send/.
# SEND=1 sends for real (needs sendemail.* SMTP settings in git config).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

TAG=$(base_tag)
SERIES=$(series_dir)
base=$CACHE/trees/$TAG/base
out=$OUTDIR/send/$TAG
[ -x "$base/scripts/get_maintainer.pl" ] || die "no base tree (run make first)"
[ -x "$(git --exec-path)/git-send-email" ] || die "git send-email missing: apt-get install git-email"

name=$(git config user.name || true)
email=$(git config user.email || true)
if [ -z "$name" ] || [ -z "$email" ]; then
	die "set your identity first: git config --global user.name/user.email (the DCO needs a real person)"
fi
case $email in *.invalid | *@localhost)
	die "git identity <$email> is not a real address; the DCO needs a real person's sign-off" ;;
esac
me="$name <$email>"

rm -rf "$out"
mkdir -p "$out"
project=$(sed -n 's/^From: //p' "$(series_patches "$SERIES" | head -n1)")
for p in "$SERIES"/*.patch; do
	# The committed series carries the project's identity; the mail carries
	# the sender's, in From: and in the sign-off.
	sed -e "s|^From: $project\$|From: $me|" \
		-e "s|^Signed-off-by: $project\$|Signed-off-by: $me|" "$p" >"$out/$(basename "$p")"
done

mapfile -t patches < <(series_patches "$out")
(cd "$base" && perl scripts/get_maintainer.pl --no-rolestats --no-git --no-git-fallback \
	"${patches[@]}") >"$out/maintainers.txt" || die "get_maintainer.pl failed"
lists=$(grep -E '^[^<]*@vger\.kernel\.org' "$out/maintainers.txt" || true)
grep -q '^kvm@vger.kernel.org' <<<"$lists" || die "get_maintainer.pl did not name kvm@vger.kernel.org"
to=(--to=kvm@vger.kernel.org)
cc=()
while read -r a; do
	[ -n "$a" ] && [ "$a" != kvm@vger.kernel.org ] && cc+=("--cc=$a")
done <"$out/maintainers.txt"

mode=--dry-run
[ "${SEND:-}" = 1 ] && mode=
log "$([ -n "$mode" ] && echo "dry run" || echo SENDING): ${#patches[@]} patches + cover letter from $me"
# shellcheck disable=SC2086
git send-email $mode --confirm=never --no-format-patch --from="$me" \
	"${to[@]}" "${cc[@]}" "$out"/*.patch >"$out/send-email.log" 2>&1 ||
	die "git send-email failed; log: $out/send-email.log"
log "To: kvm@vger.kernel.org; Cc: ${#cc[@]} more (see $out/maintainers.txt); log: $out/send-email.log"
