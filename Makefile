# SPDX-License-Identifier: GPL-2.0
#
# The bench for the unfilterable-MSR series.  See README.md.
#
#   make              build base and patched kernels, boot both under QEMU
#                     (emulated SVM) and Bochs (emulated VMX), run the MSR
#                     selftest and the QEMU check (TESTS=msr vmm), print
#                     the side-by-side table (default base: Debian 7.3);
#                     TESTS=all adds the regression set, the fuzzer, the
#                     stress and the kselftest runner, as make check does
#   make check        everything CI runs: lint, unit tests, the proof on every
#                     base, the per-patch gates; ends with "N passed, N failed"
#   make lint         shellcheck and pyflakes on the bench's scripts
#   make unittest     the Python unit tests (tests/unit: KTAP parser, report
#                     checks, test lists, the QEMU check's vCPU knob) on
#                     trimmed real console logs
#   make debug        the patched kernel with KASAN, UBSAN, lockdep, kmemleak:
#                     the MSR test, fuzzer, stress and compat run on it
#   make bench        what the series costs: patched/base ratios (not in check),
#                     in guest instructions (QEMU -icount, one vCPU) with host
#                     wall time beside; BENCH_ICOUNT= for host wall time alone
#   make series       regenerate series/ from the patched work tree
#   make send         put your git identity on the series, To/Cc from
#                     get_maintainer.pl and mail/cc.txt, git send-email
#                     --dry-run into out/send/<base>/; SEND=1 sends for real
#   make clean        remove out/ (reports); make distclean also cache/
#
# Variables: BASE=6.12 (another Debian linux-source), KERNEL_TREE=/path
# (your own kvm/queue checkout; KERNEL_REV picks a commit, default HEAD),
# TESTS=msr (only the MSR test: the quick edit-build-test loop), TESTS=all
# (every list of the series: what make check runs on each base),
# VENDOR=svm (QEMU TCG, emulated AMD SVM) or VENDOR=vmx (Bochs, emulated
# Intel VMX); default both.  SERIES_NAME=series-tsc-deadline: make series,
# make send and the gates for the second series (its proof: make
# TESTS=tsc-deadline, whose test list names the series).

BASE ?= 7.3
KERNEL_TREE ?=
KERNEL_REV ?=
TESTS ?= msr vmm
VENDOR ?= svm vmx
export BASE KERNEL_TREE KERNEL_REV TESTS VENDOR SERIES_NAME
# ROOT=fresh (the default when CI=true): `make check` builds a fresh Debian
# 12 root and runs itself there (scripts/in-fresh-root.sh); ROOT=host: here.
ROOT ?= $(if $(BENCH_IN_ROOT),host,$(if $(filter true,$(CI)),fresh,host))
$(if $(filter-out fresh host,$(ROOT)),$(error ROOT=$(ROOT): use ROOT=fresh or ROOT=host))

SHELL := /bin/bash

.PHONY: all prove check debug bench deps lint unittest series send clean distclean

all: prove

deps:
	@scripts/deps.sh

prove: deps
	@scripts/prove.sh

lint: deps
	@scripts/gates/lint.sh

unittest:
	@python3 scripts/gates/run-unittests.py

ifeq ($(ROOT),fresh)
check:
	@scripts/in-fresh-root.sh make check
else
check: deps
	@scripts/check.sh
endif

debug: deps
	@scripts/prove-debug.sh

bench: deps
	@scripts/bench.sh

series:
	@scripts/mail/format-series.sh

send: deps
	@scripts/mail/send.sh

clean:
	rm -rf out

distclean: clean
	rm -rf cache
