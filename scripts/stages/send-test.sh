#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The send path, end to end (docs/sending.md): `make send SEND=1` for real,
# as "Test Sender <sender@example.org>", through a local SMTP server (serve:
# python3-aiosmtpd on 127.0.0.1, a free port, STARTTLS with a self-signed
# certificate that git send-email verifies, AUTH as a test user), then the
# received mails read as a maintainer would (check) and
# `git am`'d onto the base in a scratch worktree, which must give the
# patched tree.  One KTAP line per check in $OUTDIR/<base>/send.ktap; the
# mails, envelopes and logs stay in $OUTDIR/<base>/send-test/.
#
# Every check has been seen to fail.  SEND_TEST_MUTATE='shell command' runs
# in the received/ directory (NNN.eml, NNN.json; $PLACEHOLDER is the
# series' identity) after the send and before the checks; the command that
# makes each check fail is next to it, here and in kvmbench/mails.py.
set -euo pipefail
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

series_env
base=$(tree_dir base)
patched=$(tree_dir patched)
work=$OUTDIR/$TAG/send-test
recv=$work/received
ktap=$OUTDIR/$TAG/send.ktap
# Debian's interpreter: python3-aiosmtpd is in its dist-packages, which a
# python3 earlier in PATH (pyenv, a venv) doesn't see.
PY=/usr/bin/python3
sender_name="Test Sender"
sender_email=sender@example.org
sender="$sender_name <$sender_email>"
smtp_user=bench-test
smtp_pass=bench-test-$$-$RANDOM
t0=$(date +%s)

if [ ! -d "$base/.git" ] || [ ! -d "$patched" ]; then
	die "no trees $base and $patched (run make first)"
fi
"$PY" -c 'import aiosmtpd' 2>/dev/null || die "$PY has no aiosmtpd: apt-get install python3-aiosmtpd"
command -v openssl >/dev/null || die "openssl missing: apt-get install openssl"
mapfile -t patches < <(series_patches "$SERIES")
[ ${#patches[@]} -gt 0 ] || die "no patches in ${SERIES#"$TOP"/}"
placeholder=$(sed -n '1,/^$/s/^From: //p' "${patches[0]}")

# A passed run is reused while its inputs are the same (the posting, the
# send path, the Cc list, git's version, both trees' commits); never with
# SEND_TEST_MUTATE.
mapfile -t inputs < <(numbered_inputs mail "$SERIES"/*.patch)
inputs+=("send=@$S/send.sh" "mails=@$S/kvmbench/mails.py" "cc=@$(mail_dir "$SNAME")/cc.txt"
	"git=$(git --version)" "base=$(g -C "$base" rev-parse HEAD)" "patched=$(g -C "$patched" rev-parse HEAD)")
if [ -z "${SEND_TEST_MUTATE:-}" ] && cache_get send-test "$TAG" "the $TAG send test" "${inputs[@]}"; then
	mkdir -p "$(dirname "$ktap")"
	cp "$CACHE_ENTRY/send.ktap" "$ktap"
	exit 0
fi

tmp=$(mktemp -d -t send-test.XXXXXX)
scratch=$tmp/am
srv=""
cleanup() {
	if [ -n "$srv" ]; then
		kill "$srv" 2>/dev/null || true
		wait "$srv" 2>/dev/null || true
	fi
	if [ -d "$scratch" ]; then
		git -C "$base" worktree remove --force "$scratch" 2>/dev/null ||
			{ rm -rf "$scratch" && git -C "$base" worktree prune; } || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# git with none of the user's or the system's configuration.
mkdir -p "$tmp/home"
g() {
	HOME=$tmp/home XDG_CONFIG_HOME=$tmp/home/.config GIT_CONFIG_NOSYSTEM=1 \
		GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@localhost \
		git -c core.hooksPath=/dev/null "$@"
}

rm -rf "$work"
mkdir -p "$recv"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
	-subj /CN=localhost -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
	-keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>"$tmp/openssl.log" ||
	die "openssl could not make a self-signed certificate: $(tail -n1 "$tmp/openssl.log")"

SMTP_TEST_PASS=$smtp_pass "$PY" -m kvmbench.mails serve --dir "$recv" --port-file "$tmp/port" \
	--cert "$tmp/cert.pem" --key "$tmp/key.pem" --user "$smtp_user" 2>"$work/server.log" &
srv=$!
for _ in $(seq 100); do
	[ -s "$tmp/port" ] && break
	kill -0 "$srv" 2>/dev/null || die "the SMTP server exited: $(tail -n1 "$work/server.log")"
	sleep 0.1
done
[ -s "$tmp/port" ] || die "the SMTP server did not listen within 10 s (see $work/server.log)"
port=$(cat "$tmp/port")
log "SMTP server on 127.0.0.1:$port (STARTTLS, AUTH); sending as $sender"

# The sender's configuration, through GIT_CONFIG_* (it wins over any
# repository configuration) in an empty HOME.
cfg=(
	user.name "$sender_name" user.email "$sender_email"
	sendemail.smtpServer 127.0.0.1 sendemail.smtpServerPort "$port"
	sendemail.smtpEncryption tls sendemail.smtpSSLCertPath "$tmp/cert.pem"
	sendemail.smtpUser "$smtp_user" sendemail.smtpPass "$smtp_pass"
)
envs=(HOME="$tmp/home" XDG_CONFIG_HOME="$tmp/home/.config" GIT_CONFIG_NOSYSTEM=1
	GIT_TERMINAL_PROMPT=0 GIT_CONFIG_COUNT=$((${#cfg[@]} / 2)))
for ((i = 0; i < ${#cfg[@]} / 2; i++)); do
	envs+=("GIT_CONFIG_KEY_$i=${cfg[2 * i]}" "GIT_CONFIG_VALUE_$i=${cfg[2 * i + 1]}")
done

results=()
# send: proven with sendemail.smtpPass wrong in cfg (535, git send-email
# stops), with smtpSSLCertPath naming another self-signed certificate
# (STARTTLS: certificate verify failed), and with smtpEncryption none (the
# server offers no AUTH without TLS).
rc=0
env "${envs[@]}" BASE="$BASE" KERNEL_TREE="${KERNEL_TREE:-}" CACHE="$CACHE" OUTDIR="$work" SEND=1 SERIES_NAME="$SNAME" \
	timeout 120 make --no-print-directory -C "$TOP" send </dev/null >"$work/send.log" 2>&1 || rc=$?
if [ $rc -eq 0 ]; then
	results+=("ok send: make send SEND=1 over STARTTLS + AUTH")
else
	results+=("not ok send: make send SEND=1 exited $rc: $(grep -m1 '^error' "$work/send.log" || tail -n1 "$work/send.log")")
fi
kill "$srv" 2>/dev/null || true
wait "$srv" 2>/dev/null || true
srv=""
log "received $(find "$recv" -name '*.eml' | wc -l) mails"

if [ -n "${SEND_TEST_MUTATE:-}" ]; then
	log "SEND_TEST_MUTATE: $SEND_TEST_MUTATE"
	(cd "$recv" && PLACEHOLDER=$placeholder bash -c "$SEND_TEST_MUTATE") || die "SEND_TEST_MUTATE failed"
fi

# count, transport, to, cc, from, signoff, placeholder, thread, envelope.
if "$PY" -m kvmbench.mails check --dir "$recv" --series "$SERIES" \
	--maintainers "$work/send/$TAG/maintainers.txt" --cc-file "$(mail_dir "$SNAME")/cc.txt" \
	--sender "$sender" --placeholder "$placeholder" --user "$smtp_user" \
	>"$tmp/checks" 2>"$work/mails-check.log"; then
	mapfile -t -O "${#results[@]}" results <"$tmp/checks"
else
	results+=("not ok kvmbench.mails check failed: $(tail -n1 "$work/mails-check.log")")
fi

# am: what a maintainer applies is what the bench tested.  The received
# mails with a diff (not the cover letter), in order, onto bench-base.
# Proven with SEND_TEST_MUTATE='sed -i "0,/^+.*x2APIC/s//&X/" 002.eml'
# (applies, another tree) and 'sed -i "0,/^-[^-]/s//&X/" 003.eml' (fails).
# The scratch worktree has the whole base in its index but, on disk, only
# the files the mails patch: git am needs no others, and a full kernel
# checkout would add some 20 s.
mails=()
for f in "$recv"/*.eml; do
	if [ -e "$f" ] && grep -q '^diff --git ' "$f"; then
		mails+=("$f")
	fi
done
g -C "$base" worktree add -q --no-checkout --detach "$scratch" bench-base
g -C "$scratch" read-tree bench-base
if [ ${#mails[@]} -gt 0 ]; then
	mapfile -t paths < <(sed -n 's|^diff --git a/\(.*\) b/\(.*\)$|\1\n\2|p' "${mails[@]}" | sort -u)
	mapfile -t paths < <(g -C "$scratch" ls-tree -r --name-only bench-base -- "${paths[@]}")
	[ ${#paths[@]} -eq 0 ] || g -C "$scratch" checkout -- "${paths[@]}"
fi
want=$(g -C "$patched" rev-parse 'HEAD^{tree}')
if [ ${#mails[@]} -eq 0 ]; then
	results+=("not ok am: no received mail holds a patch")
elif ! g -C "$scratch" am -q --no-3way "${mails[@]}" >"$work/am.log" 2>&1; then
	results+=("not ok am: git am of the received patches onto bench-base failed: $(grep -m1 -i 'error\|failed' "$work/am.log" || tail -n1 "$work/am.log")")
	g -C "$scratch" am --abort >/dev/null 2>&1 || true
elif [ "$(g -C "$scratch" rev-parse 'HEAD^{tree}')" != "$want" ]; then
	stat=$(g -C "$scratch" diff --stat HEAD "$(g -C "$patched" rev-parse HEAD)" | tail -n1)
	stale=""
	[ -z "$(g -C "$patched" status --porcelain --untracked-files=no)" ] ||
		stale=" (the patched tree has edits: make series, or discard them)"
	results+=("not ok am: git am of the received patches gives another tree than $patched:$stat$stale")
else
	results+=("ok am: git am of the ${#mails[@]} received patches onto bench-base gives the patched tree")
fi

# author: proven with SEND_TEST_MUTATE='sed -i "s/^From: Test Sender/From: Other Sender/" 004.eml'.
authors=$(g -C "$scratch" log --format='%an <%ae>' bench-base..HEAD | sort -u)
n=$(g -C "$scratch" rev-list --count bench-base..HEAD)
if [ "$n" -eq ${#patches[@]} ] && [ "$authors" = "$sender" ]; then
	results+=("ok author: the $n applied commits are authored by the sender")
else
	results+=("not ok author: $n of ${#patches[@]} commits applied, authors: $(tr '\n' ' ' <<<"$authors")")
fi

mkdir -p "$(dirname "$ktap")"
write_ktap "$ktap" "${results[@]}"
bad=$(grep -c '^not ok' "$ktap" || true)
for r in "${results[@]}"; do
	echo "  $r" >&2
done
log "$((${#results[@]} - bad)) of ${#results[@]} checks passed in $(($(date +%s) - t0)) s; mails in $recv"
[ "$bad" -eq 0 ] || die "$bad of ${#results[@]} checks failed (see $ktap)"
[ -n "${SEND_TEST_MUTATE:-}" ] || cache_put "$ktap"
