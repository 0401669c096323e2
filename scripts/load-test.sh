#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Load test of the two checks that failed falsely on a loaded machine: the
# QEMU check (qemu_msr_filter, tests/vmm.cfg) and the stress
# (msr_filter_stress, tests/reliability.cfg), each LOAD_N times in one test
# VM, while a busy loop per host CPU competes with the VM for the host.
# The tests run as their .cfg entries say (arguments, timeouts), with no
# retry.  A false failure: the QEMU check not passing; the stress reporting
# a failed vCPU (triple fault, vCPU stuck in KVM_RUN) or no metrics at all
# (and, on the patched kernel, any failure).  Not part of make check.
# Usage: scripts/load-test.sh
#   LOAD_N=10 runs of each; LOAD_HOGS=$(nproc) busy loops (0: no load);
#   LOAD_KERNEL=base|patched (default base: the failures were on both);
#   LOAD_STRESS_ARGS replaces the stress's arguments (e.g. to unpin it:
#   "-t 20 -v 4 -s 0x5eed"); VM_ACCEL is passed to run-vm.sh (e.g.
#   "tcg,thread=single" for one TCG thread).  Needs the kernels and the patched tree's selftests
#   (make, or build-kernel.sh and build-selftests.sh); results in
#   $OUTDIR/load-test/<base>-<kernel>/.
# Ends with "N passed, N failed" (one per run of a check).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

n=${LOAD_N:-10}
hogs=${LOAD_HOGS:-$(nproc)}
kernel_variant=${LOAD_KERNEL:-base}
TAG=$(base_tag)
S=$TOP/scripts
dir=$OUTDIR/load-test/$TAG-$kernel_variant
kernel=$(kernel_dir "$kernel_variant")/bzImage
[ -f "$kernel" ] || die "no $kernel (build it first: scripts/stages/build-kernel.sh $kernel_variant)"
mkdir -p "$dir"

# The test list: LOAD_N copies of each entry, named qemu_msr_filter_01 ...
python3 - "$TOP/tests/vmm.cfg" "$TOP/tests/reliability.cfg" "$n" "${LOAD_STRESS_ARGS:-}" \
	>"$dir/load.cfg" <<'EOF'
import configparser, sys
vmm, rel, n, sargs = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
for path, name in ((vmm, "qemu_msr_filter"), (rel, "msr_filter_stress")):
    cp = configparser.ConfigParser(inline_comment_prefixes=("#",), interpolation=None)
    cp.read(path)
    sec = dict(cp[name])
    if name == "msr_filter_stress" and sargs:
        sec["extra_params"] = sargs
    sec["retries"] = "0"
    for k in list(sec):
        # checks, selection and other machines' (vendors') keys: not here
        if k in ("groups", "base_fails", "check_patched", "check_base", "skip_bases",
                 "only_bases", "vendors") or "." in k:
            sec.pop(k)
    for i in range(1, n + 1):
        print(f"[{name}_{i:02d}]")
        for k, v in sec.items():
            print(f"{k} = {v}")
        print()
EOF
initrd=$("$S/stages/mkinitramfs.sh" patched "$dir/load.cfg")

pids=()
stop_hogs() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	pids=()
}
trap stop_hogs EXIT
for _ in $(seq 1 "$hogs"); do
	bash -c 'while :; do :; done' &
	pids+=($!)
done
log "$TAG/$kernel_variant: $n x qemu_msr_filter and $n x msr_filter_stress, $hogs busy loops beside the VM${VM_ACCEL:+, -accel $VM_ACCEL}"
t0=$(date +%s)
rc=0
NO_RUN_CACHE=1 "$S/stages/run-vm.sh" "$kernel" "$initrd" "$dir/console.log" || rc=$?
secs=$(($(date +%s) - t0))
stop_hogs
[ $rc -eq 0 ] || log "the VM run failed (exit $rc); tests without a result count as failed"

# One line per run: NAME RESULT SECONDS VCPU_FAILURES (- if none reported).
tr -d '\r' <"$dir/console.log" | awk '
/^# bench: start / { cur = $4; vf[cur] = "-" }
/^# # metric: stress_vcpu_failures=/ { split($0, a, "="); vf[cur] = a[2] }
/^# bench: [^ ]+ exit=[0-9]+ time=/ { split($5, a, "="); t[$3] = a[2] + 0 }
/^(not )?ok [0-9]+ / { name = ($1 == "ok") ? $3 : $4; res[name] = ($1 == "ok") ? "ok" : "fail" }
END { for (x in vf) printf "%s %s %s %s\n", x, (x in res) ? res[x] : "none", (x in t) ? t[x] : "-", vf[x] }
' | sort >"$dir/results.txt"

pass=0 fail=0
for check in qemu_msr_filter msr_filter_stress; do
	bad=()
	for i in $(seq -f %02g 1 "$n"); do
		name=${check}_$i
		read -r _ res time vfail < <(grep "^$name " "$dir/results.txt" || echo "$name none - -")
		case $check:$res:$vfail in
		qemu_msr_filter:ok:*) ok=1 ;;
		msr_filter_stress:none:* | msr_filter_stress:*:-) ok="" ;;
		msr_filter_stress:fail:0) [ "$kernel_variant" = base ] && ok=1 || ok="" ;;
		msr_filter_stress:ok:0) ok=1 ;;
		*) ok="" ;;
		esac
		if [ -n "$ok" ]; then
			pass=$((pass + 1))
		else
			fail=$((fail + 1))
			[ "$check" = msr_filter_stress ] || vfail=""
			bad+=("#$i ($res, ${time}s${vfail:+, failed vCPUs: $vfail})")
		fi
	done
	times=$(awk -v c="$check" '$1 ~ "^" c "_" && $3 != "-" { s += $3; k++ } END { if (k) printf "%.1f", s / k; else printf "-" }' "$dir/results.txt")
	echo "$check: ${#bad[@]} of $n failed, mean ${times}s a run${bad[*]:+: ${bad[*]}}"
done
echo "VM run: ${secs}s, console: $dir/console.log"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
