#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Prove the gates can fail: feed gates.sh deliberately broken copies of the
# series and require each break to be caught by the right gate on the right
# patch.  Writes $OUTDIR/$TAG/gates-selftest.ktap.  A run whose inputs (the
# series, the gate scripts, the base) hash the same as a passed one reuses
# its verdict and says so; NO_RUN_CACHE=1 reruns.
set -euo pipefail
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

TAG=$(base_tag)
SERIES=$(series_dir)
ktap=$OUTDIR/$TAG/gates-selftest.ktap
mapfile -t patches < <(series_patches "$SERIES")
[ ${#patches[@]} -ge 2 ] || die "need at least two patches in $SERIES"
tmp=$OUTDIR/$TAG/gates-selftest
rm -rf "$tmp"
mkdir -p "$tmp"

base=$(tree_dir base)
key=$(content_hash "${patches[@]}" "$0" "$TOP/scripts/gates/gates.sh" "$TOP/scripts/lib.sh" \
	"$TOP/scripts/gates/check-commit-msg.py" "$base/.build/.config" \
	"$(git -C "$base" rev-parse bench-base 2>/dev/null || echo none)" "$(mail_dir)/parts.txt")
recorded=$CACHE/gates/selftest-$TAG-$key.ktap
if [ -z "${NO_RUN_CACHE:-}" ] && [ -f "$recorded" ]; then
	cp "$recorded" "$ktap"
	log "series, base and gates unchanged ($key): reusing the recorded self-test verdict; NO_RUN_CACHE=1 reruns"
	cat "$ktap"
	exit 0
fi

# NAME|GATE|MATCH|SED: break the first patch with a line matching MATCH
# (grep -E) by SED, and require GATE to fail on that patch.  The breaks are
# the kind a real series has: they follow the series' content, not its
# patch numbers.
cases=(
	"trailing-whitespace|checkpatch|^\+[^+].*;\$|0,/^+[^+].*;\$/s/;\$/; /"
	"w1-warning|w1-sparse|^\+static bool kvm_msr_filter_allows\(|s/^+static bool kvm_msr_filter_allows(/+bool kvm_msr_filter_allows(/"
	"unused-variable|kvm-werror|^\+	u32 index;\$|s/^+\tu32 index;\$/+\tu32 index, bench_unused;/"
	"unapplicable-hunk|apply|^@@|/^@@/,\${/^ [^ ].*[A-Za-z]/{s/\$/ broken/;:a;n;ba}}"
	"docs-indent|docs|^\+\(KVM_CREATE_IRQCHIP or KVM_CAP_SPLIT_IRQCHIP\), as KVM|0,/^+(KVM_CREATE_IRQCHIP or KVM_CAP_SPLIT_IRQCHIP), as KVM/s/^+(/+    (/"
	# check-commit-msg.py: what checkpatch doesn't check
	"subject-prefix|message|^Subject: \[PATCH [^]]*\] KVM: x86: |s/^\(Subject: \[PATCH [^]]*\]\) KVM: x86: /\1 x86\/kvm: /"
	"subject-mood|message|^Subject: \[PATCH [^]]*\] KVM: x86: Reject |s/^\(Subject: \[PATCH [^]]*\] KVM: x86:\) Reject /\1 Rejects /"
)
results=()
for c in "${cases[@]}"; do
	IFS='|' read -r name gate match expr <<<"$c"
	target=""
	for p in "${patches[@]}"; do
		if grep -qE -- "$match" "$p"; then target=$p; break; fi
	done
	[ -n "$target" ] || die "$name: no patch of $SERIES has a line matching '$match'"
	pname=$(basename "$target" .patch)
	d=$tmp/$name
	mkdir -p "$d"
	cp "${patches[@]}" "$d/"
	sed -i "$expr" "$d/$pname.patch"
	if cmp -s "$d/$pname.patch" "$target"; then
		die "$name: the edit did not change $pname"
	fi
	log "$name: expecting '$gate' to fail on $pname"
	rc=0
	GATES="$gate" GATES_KTAP="$d/gates.ktap" "$TOP/scripts/gates/gates.sh" "$d" >"$d/log" 2>&1 || rc=$?
	if [ $rc -ne 0 ] && grep -q "^not ok [0-9]* $pname $gate" "$d/gates.ktap" 2>/dev/null; then
		results+=("ok gates catch $name ($gate on $pname)")
	else
		results+=("not ok gates catch $name ($gate on $pname) # gates.sh exit $rc")
		tail -n 5 "$d/log" >&2
	fi
done

# A part that needs a patch it doesn't list: the first part of the series'
# parts file without the last patch every part shares (with v6's layout,
# the filter half needing the exit half's helpers).
parts=$(mail_dir)/parts.txt
if [ -f "$parts" ]; then
	mapfile -t lines < <(grep -vE '^[[:space:]]*(#|$)' "$parts")
	[ ${#lines[@]} -ge 2 ] || die "$parts: fewer than two parts"
	shared=""
	for l in "${lines[@]}"; do
		read -r _ spec <<<"$l"
		# shellcheck disable=SC2086 # $spec: a list of numbers
		mine=$(patch_numbers $spec | sort -n)
		if [ -z "$shared" ]; then
			shared=$mine
		else
			shared=$(grep -Fx -f <(echo "$mine") <<<"$shared" || true)
		fi
	done
	[ -n "$shared" ] || die "$parts: the parts share no patch; nothing to leave out"
	drop=$(tail -n1 <<<"$shared")
	read -r part spec <<<"${lines[0]}"
	# shellcheck disable=SC2086 # $spec: a list of numbers
	keep=$(patch_numbers $spec | grep -vx "$drop" | tr '\n' ' ')
	d=$tmp/part-missing-patch
	mkdir -p "$d"
	printf '%s\t%s\n' "$part" "$keep" >"$d/parts.txt"
	log "part-missing-patch: expecting 'parts' to fail on part $part without patch $drop"
	rc=0
	GATES=parts PARTS_FILE="$d/parts.txt" GATES_KTAP="$d/gates.ktap" \
		"$TOP/scripts/gates/gates.sh" "$SERIES" >"$d/log" 2>&1 || rc=$?
	if [ $rc -ne 0 ] && grep -q "^not ok [0-9]* part-$part parts" "$d/gates.ktap" 2>/dev/null; then
		results+=("ok gates catch part-missing-patch (parts on $part without patch $drop)")
	else
		results+=("not ok gates catch part-missing-patch (parts on $part without patch $drop) # gates.sh exit $rc")
		tail -n 5 "$d/log" >&2
	fi
fi
write_ktap "$ktap" "${results[@]}"
cat "$ktap"
! grep -q '^not ok' "$ktap" || die "a broken patch got through the gates"
mkdir -p "$CACHE/gates"
cp "$ktap" "$recorded"
