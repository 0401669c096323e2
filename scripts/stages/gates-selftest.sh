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
inputs+=("gates=@$S/stages/gates.sh" "commit_msg=@$S/kvmbench/commit_msg.py" "breaks=@$S/kvmbench/breaks.py"
	"base=$(g -C "$base" rev-parse bench-base)" "test_config=@$TOP/config/kvm-test.config"
	"modules_config=@$TOP/config/kvm-modules.config")
if cache_get gates-selftest "$TAG" "the gates' self-test" "${inputs[@]}"; then
	cp "$CACHE_ENTRY/gates-selftest.ktap" "$ktap"
	exit 0
fi

# Each break (kvmbench/breaks.py: its name and the gate that must catch
# it) in a copy of the series; the gate must fail on the patch it broke.
results=()
while read -r name gate; do
	d=$tmp/$name
	pname=$(py breaks make "$name" "$SERIES" "$d") || die "$name: no patch to break (kvmbench/breaks.py)"
	log "$name: expecting '$gate' to fail on $pname"
	rc=0
	GATES="$gate" GATES_KTAP="$d/gates.ktap" "$S/stages/gates.sh" "$d" </dev/null >"$d/log" 2>&1 || rc=$?
	if [ $rc -ne 0 ] && grep -q "^not ok [0-9]* $pname $gate" "$d/gates.ktap" 2>/dev/null; then
		results+=("ok gates catch $name ($gate on $pname)")
	else
		results+=("not ok gates catch $name ($gate on $pname) # gates.sh exit $rc")
		tail -n 5 "$d/log" >&2
	fi
done < <(py breaks list)
write_ktap "$ktap" "${results[@]}"
cat "$ktap"
! grep -q '^not ok' "$ktap" || die "a broken patch got through the gates"
cache_put "$ktap"
