# SPDX-License-Identifier: GPL-2.0
# The bench for the unfilterable-MSR series: README.md; `make help` lists
# the targets (the "## " text below) and the knobs (scripts/knobs.tsv).

BASE ?= 7.3
TESTS ?= msr vmm
VENDOR ?= svm vmx
export BASE TESTS VENDOR
# ROOT=fresh (the default when CI=true): make check in a fresh Debian 12
# root (scripts/in-fresh-root.sh); ROOT=host: here.
ROOT ?= $(if $(BENCH_IN_ROOT),host,$(if $(filter true,$(CI)),fresh,host))
$(if $(filter-out fresh host,$(ROOT)),$(error ROOT=$(ROOT): use ROOT=fresh or ROOT=host))
export PYTHONPATH := $(CURDIR)/scripts

SHELL := /bin/bash
.PHONY: all prove check debug bench deps lint unittest series send help clean distclean

all: prove

prove: deps ## base and patched kernels, booted under QEMU (svm) and Bochs (vmx) with TESTS; the table and verdicts
	@scripts/prove.sh

ifeq ($(ROOT),fresh)
check: ## everything CI runs; ends with "N passed, N failed"
	@scripts/in-fresh-root.sh make check
else
check: deps
	@scripts/check.sh
endif

debug: deps ## the patched kernel with KASAN, UBSAN, lockdep, kmemleak, booted with tests/debug.cfg
	@scripts/debug.sh

bench: deps ## what the series costs: patched/base ratios in guest instructions
	@scripts/bench.sh

lint: deps ## shellcheck and pyflakes on the bench
	@scripts/lint.sh

unittest: ## the Python unit tests (tests/unit)
	@python3 -m kvmbench.unittests

series: ## regenerate series/ from the patched tree
	@scripts/series.sh

send: deps ## the series with your identity, To/Cc, git send-email --dry-run (SEND=1 sends)
	@scripts/send.sh

deps: ## install the Debian packages the bench needs (as root), or name them
	@scripts/deps.sh

help: ## this text
	@python3 -m kvmbench.knobs help

clean: ## remove out/
	rm -rf out

distclean: clean ## remove cache/ too
	rm -rf cache
