#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Do what a submitter does, short of sending: put the sender's identity on
# the series, ask scripts/get_maintainer.pl whom to send it to, add the
# Cc's of mail/cc.txt, and run git send-email --dry-run.  Everything lands
# in $OUTDIR/send/<base>/ (maintainers.txt: what get_maintainer.pl printed).
# SEND=1 sends for real (needs sendemail.* SMTP settings in git config).
# scripts/stages/send-test.sh sends through a local SMTP server and checks
# the mails (docs/sending.md).  SERIES_NAME picks the series.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

series_env
base=$(tree_dir base)
out=$OUTDIR/send/$TAG
ccfile=$(mail_dir "$SNAME")/cc.txt
[ -x "$base/scripts/get_maintainer.pl" ] || die "no base tree at $base (run make first)"
[ -x "$(git --exec-path)/git-send-email" ] || die "git send-email missing: apt-get install git-email"
[ -f "$ccfile" ] || die "no ${ccfile#"$TOP"/}"

# The cover letter first, then the patches in order; any subject prefix
# ([PATCH v2 1/3], [PATCH 1/3], [PATCH 7.2 backport 1/3]).
mapfile -t patches < <(series_patches "$SERIES")
mapfile -t covers < <(find "$SERIES" -maxdepth 1 -name '*0000-cover-letter.patch')
[ ${#patches[@]} -gt 0 ] || die "no patches in ${SERIES#"$TOP"/}"
[ ${#covers[@]} -eq 1 ] || die "want one *0000-cover-letter.patch in ${SERIES#"$TOP"/}, found ${#covers[@]}"

name=$(git config user.name || true)
email=$(git config user.email || true)
if [ -z "$name" ] || [ -z "$email" ]; then
	die "set your identity first: git config --global user.name/user.email (the DCO needs a real person)"
fi
# The committed series carries the project's placeholder identity.
project=$(sed -n '1,/^$/s/^From: //p' "${patches[0]}")
[ -n "$project" ] || die "no From: in $(basename "${patches[0]}")"
project_email=${project##*<}
project_email=${project_email%>}
case $email in *.invalid | *@localhost | *@localhost.* | "$project_email")
	die "git identity <$email> is not a real address; the DCO needs a real person's sign-off" ;;
esac
me="$name <$email>"

rm -rf "$out"
mkdir -p "$out"
files=()
for p in "${covers[0]}" "${patches[@]}"; do
	# The mail carries the sender's identity, in From: and in the sign-off.
	# Compared and replaced as plain strings: a name may hold any character.
	ME=$me PROJECT=$project awk '
		$0 == "From: " ENVIRON["PROJECT"] { print "From: " ENVIRON["ME"]; next }
		$0 == "Signed-off-by: " ENVIRON["PROJECT"] { print "Signed-off-by: " ENVIRON["ME"]; next }
		{ print }' "$p" >"$out/$(basename "$p")"
	files+=("$out/$(basename "$p")")
done
left=$(grep -lF -- "$project_email" "${files[@]}" || true)
[ -z "$left" ] || die "the placeholder identity <$project_email> is still in: $(tr "\n" " " <<<"$left")"

(cd "$base" && perl scripts/get_maintainer.pl --no-rolestats --no-git --no-git-fallback \
	"${files[@]:1}") >"$out/maintainers.txt" || die "get_maintainer.pl failed"
lists=$(grep -E '^[^<]*@vger\.kernel\.org' "$out/maintainers.txt" || true)
grep -q '^kvm@vger.kernel.org' <<<"$lists" || die "get_maintainer.pl did not name kvm@vger.kernel.org"
to=(--to=kvm@vger.kernel.org)
cc=()
while read -r a; do
	[ -n "$a" ] && [ "$a" != kvm@vger.kernel.org ] && cc+=("--cc=$a")
done <"$out/maintainers.txt"
# Beyond get_maintainer.pl: mail/cc.txt, one address a line, # comments.
n_extra=0
while read -r a; do
	case $a in
	"" | "#"*) continue ;;
	*@*)
		cc+=("--cc=$a")
		n_extra=$((n_extra + 1))
		;;
	*) die "${ccfile#"$TOP"/}: '$a' is not an address" ;;
	esac
done <"$ccfile"

mode=(--dry-run)
if [ "${SEND:-}" = 1 ]; then
	mode=()
fi
log "$([ ${#mode[@]} -gt 0 ] && echo "dry run" || echo SENDING): ${#patches[@]} patches + cover letter from $me"
# One thread whatever the sender's git config says: the cover letter
# first, every patch in reply to it (--thread, --no-chain-reply-to).
git send-email "${mode[@]}" --confirm=never --no-annotate --no-format-patch \
	--thread --no-chain-reply-to --8bit-encoding=UTF-8 --from="$me" \
	"${to[@]}" "${cc[@]}" "${files[@]}" >"$out/send-email.log" 2>&1 ||
	die "git send-email failed: $(awk -v p="$out/" 'NF && index($0, p) != 1 { l = $0 } END { print l }' \
		"$out/send-email.log"); log: $out/send-email.log"
log "To: kvm@vger.kernel.org; Cc: ${#cc[@]} more ($((${#cc[@]} - n_extra)) from get_maintainer.pl, see $out/maintainers.txt; $n_extra from ${ccfile#"$TOP"/}); log: $out/send-email.log"
