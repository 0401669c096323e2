#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The gates' self-test: feed gates.sh broken copies of the series and
# require each break to be caught by the right gate on the patch it breaks
# (docs/gates.md).  Writes out/<tag>/gates-selftest.ktap.  A passed run is
# a cache entry (kind gates-selftest).
set -euo pipefail
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"

SERIES_NAME=series series_env
ktap=$OUTDIR/$TAG/gates-selftest.ktap
mapfile -t patches < <(series_patches "$SERIES")
[ ${#patches[@]} -ge 2 ] || die "need at least two patches in $SERIES"
tmp=$OUTDIR/$TAG/gates-selftest
rm -rf "$tmp"
mkdir -p "$tmp"

base=$(tree_dir base)
[ -d "$base/.git" ] || die "no base tree $base (make makes it)"
mapfile -t inputs < <(numbered_inputs patch "${patches[@]}")
inputs+=("gates=@$S/stages/gates.sh" "commit_msg=@$S/kvmbench/commit_msg.py"
	"base=$(g -C "$base" rev-parse bench-base)" "test_config=@$TOP/config/kvm-test.config"
	"modules_config=@$TOP/config/kvm-modules.config")
if cache_get gates-selftest "$TAG" "the gates' self-test" "${inputs[@]}"; then
	cp "$CACHE_ENTRY/gates-selftest.ktap" "$ktap"
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
	# kvmbench.commit_msg: what checkpatch doesn't check
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
	GATES="$gate" GATES_KTAP="$d/gates.ktap" "$S/stages/gates.sh" "$d" >"$d/log" 2>&1 || rc=$?
	if [ $rc -ne 0 ] && grep -q "^not ok [0-9]* $pname $gate" "$d/gates.ktap" 2>/dev/null; then
		results+=("ok gates catch $name ($gate on $pname)")
	else
		results+=("not ok gates catch $name ($gate on $pname) # gates.sh exit $rc")
		tail -n 5 "$d/log" >&2
	fi
done

write_ktap "$ktap" "${results[@]}"
cat "$ktap"
! grep -q '^not ok' "$ktap" || die "a broken patch got through the gates"
cache_put "$ktap"
