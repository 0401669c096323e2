// SPDX-License-Identifier: GPL-2.0
/*
 * msr_filter_fuzz - throw seeded random KVM_X86_SET_MSR_FILTER calls at KVM
 * and check every result against the reference model (msr_filter_model.h).
 *
 * Each call is valid or not in every way the uAPI allows: filter flags with
 * any bit, 0 to 16 ranges, range flags with any bit, nmsrs from 0 to past
 * the maximum, bases at 0, around 0x800 and 0x8ff and where base + nmsrs
 * wraps, all-ones, all-zeros, random and x2APIC-hole bitmaps, and bitmaps
 * that are NULL or run into a PROT_NONE page, and now and then the struct
 * itself in a PROT_NONE page.  The result (accept, EINVAL, EFAULT) must be
 * the model's.
 *
 * After every call, accepted or not, the guest (local APIC in xAPIC mode)
 * makes up to PROBES accesses picked around the ranges of the filter in
 * force and of the one just tried, x2APIC MSRs among them, with every MSR
 * exit reason enabled.  Each access must do what the model says of the
 * filter in force: a denied one exits once with reason FILTER, an allowed
 * one never exits with reason FILTER, an x2APIC one never exits at all and
 * #GPs.  So a rejected call must leave the earlier filter in force.
 *
 * Usage: msr_filter_fuzz [-s SEED] [-n CALLS] [-t SECONDS]
 * The seed is printed; the same seed and count replay the same calls.
 * Prints "# metric: NAME=VALUE" lines for the bench.  Exits 0 when there was
 * no mismatch, KSFT_FAIL otherwise.
 */
#include <getopt.h>
#include <time.h>

#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"

#include "msr_filter_gen.h"

#define PROBES		8
#define MAX_REPORTS	20
#define DENY_MAGIC	0x5a5a000000000000ull
#define ALL_MSR_EXIT_REASONS	(KVM_MSR_EXIT_REASON_UNKNOWN |	\
				 KVM_MSR_EXIT_REASON_INVAL |	\
				 KVM_MSR_EXIT_REASON_FILTER)

struct probe {
	u32 msr;
	u32 write;
	u64 val;
};

struct probe_result {
	u64 data;
	u8 vector;
};

/* Shared with the guest: the host fills probes[], the guest the rest. */
static struct probe probes[PROBES];
static u32 nr_probes;
static struct probe_result results[PROBES];
static volatile u32 cur_probe;

static void guest_code(void)
{
	u32 i;

	for (;;) {
		GUEST_SYNC(0);
		for (i = 0; i < nr_probes; i++) {
			u64 data = 0;
			u8 vec;

			cur_probe = i;
			barrier();	/* the _safe asm has no memory clobber */
			if (probes[i].write)
				vec = wrmsr_safe(probes[i].msr, probes[i].val);
			else
				vec = rdmsr_safe(probes[i].msr, &data);
			results[i].vector = vec;
			results[i].data = data;
		}
	}
}

static struct {
	u64 calls, accepted, einval, efault, probes, filter_exits, other_exits;
	u64 mismatches, x2apic_deny_accepted, x2apic_deflections, set_mismatches;
	u64 probe_mismatches;
} st;

static u64 seed, call_nr;

static void mismatch(const char *fmt, ...)
{
	va_list ap;

	st.mismatches++;
	if (st.mismatches > MAX_REPORTS)
		return;
	printf("MISMATCH %lu (seed 0x%lx, call %lu): ", st.mismatches, seed, call_nr);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (st.mismatches == MAX_REPORTS)
		printf("(further mismatches are counted, not printed)\n");
}

static const char *reason_str(u32 reason)
{
	switch (reason) {
	case KVM_MSR_EXIT_REASON_INVAL:
		return "INVAL";
	case KVM_MSR_EXIT_REASON_UNKNOWN:
		return "UNKNOWN";
	case KVM_MSR_EXIT_REASON_FILTER:
		return "FILTER";
	default:
		return "?";
	}
}

/* An MSR near one of a filter's ranges: its edges, just past it, inside. */
static u32 msr_near(u64 *s, u32 base, u32 nmsrs)
{
	switch (model_rand_below(s, 5)) {
	case 0:
		return base;
	case 1:
		return base + nmsrs - 1;
	case 2:
		return base + nmsrs;
	case 3:
		return base - 1;
	default:
		return base + model_rand_below(s, nmsrs);
	}
}

/*
 * MSRs the probes never write, even where the model says KVM must not let
 * the write through: if KVM wrongly did, the guest would lose its APIC,
 * paging or PAT and every later probe would fail with it.  0x6e0
 * (TSC_DEADLINE) is also written by KVM's fastpath without consulting the
 * filter, on any kernel (docs/reliability.md; the second series fixes it).
 */
static bool never_write(u32 msr)
{
	return msr == 0x10 || msr == 0x1b || msr == 0x3a || msr == 0x48 ||
	       (msr >= 0x174 && msr <= 0x176) || msr == 0x277 || msr == 0x2ff ||
	       msr == 0x6e0 || (msr >= 0xc0000080 && msr <= 0xc0000103) ||
	       (msr >= 0xc0010000 && msr <= 0xc001ffff) ||
	       (msr >= 0x4b564d00 && msr <= 0x4b564dff);
}

static u32 pick_msr(u64 *s, const struct model_filter *cur, const struct gen_call *c)
{
	static const u32 known[] = {
		0x10, 0x1b, 0x3a, 0x174, 0x277, 0xc0000080, 0xc0000081, 0xc0000100,
		0xc0000102, 0xc0010117, 0x4b564d00, 0x4b564d02, 0xdeadbeef,
	};
	int i;

	switch (model_rand_below(s, 8)) {
	case 0:
	case 1:
		return MODEL_X2APIC_FIRST + model_rand_below(s, 0x100);
	case 2:
	case 3:
		if (cur->nr_ranges) {
			const struct model_range *r =
				&cur->ranges[model_rand_below(s, cur->nr_ranges)];

			return msr_near(s, r->base, r->nmsrs);
		}
		/* fall through */
	case 4:
	case 5:
		i = model_rand_below(s, KVM_MSR_FILTER_MAX_RANGES);
		if (c->f.ranges[i].nmsrs)
			return msr_near(s, c->f.ranges[i].base, c->f.ranges[i].nmsrs);
		/* fall through */
	case 6:
		return known[model_rand_below(s, sizeof(known) / sizeof(known[0]))];
	default:
		return (u32)model_rand(s);
	}
}

static void run_probes(struct kvm_vcpu *vcpu, u64 *s, const struct model_filter *cur,
		       const struct gen_call *c)
{
	struct probe *hp = addr_gva2hva(vcpu->vm, (unsigned long)probes);
	struct probe_result *hr = addr_gva2hva(vcpu->vm, (unsigned long)results);
	u32 *hn = addr_gva2hva(vcpu->vm, (unsigned long)&nr_probes);
	volatile u32 *hcur = addr_gva2hva(vcpu->vm, (unsigned long)&cur_probe);
	enum model_access expect[PROBES];
	u32 exits[PROBES] = {}, i, n = 1 + model_rand_below(s, PROBES);
	bool wrong_reason[PROBES] = {};
	struct kvm_run *run = vcpu->run;
	struct ucall uc;

	for (i = 0; i < n; i++) {
		u32 msr = pick_msr(s, cur, c);
		bool write = model_rand_below(s, 2);

		/* Write only where KVM must not: denied or unfilterable. */
		if (write && (never_write(msr) ||
			      model_access(cur, msr, KVM_MSR_FILTER_WRITE) == MODEL_ALLOW))
			write = false;
		expect[i] = model_access(cur, msr, write ? KVM_MSR_FILTER_WRITE :
						   KVM_MSR_FILTER_READ);
		hp[i] = (struct probe){ .msr = msr, .write = write, .val = model_rand(s) };
		hr[i] = (struct probe_result){ .vector = 0xff };
	}
	*hn = n;
	st.probes += n;

	for (;;) {
		vcpu_run(vcpu);
		if (run->exit_reason == KVM_EXIT_X86_RDMSR ||
		    run->exit_reason == KVM_EXIT_X86_WRMSR) {
			bool write = run->exit_reason == KVM_EXIT_X86_WRMSR;
			u32 reason = run->msr.reason, idx = *hcur;

			TEST_ASSERT(idx < n, "MSR exit outside a probe (probe %u of %u)", idx, n);
			if (reason == KVM_MSR_EXIT_REASON_FILTER)
				st.filter_exits++;
			else
				st.other_exits++;
			if (run->msr.index != hp[idx].msr || write != !!hp[idx].write) {
				mismatch("exit for %s of MSR 0x%x during probe %s of MSR 0x%x",
					 write ? "WRMSR" : "RDMSR", run->msr.index,
					 hp[idx].write ? "WRMSR" : "RDMSR", hp[idx].msr);
			} else if (expect[idx] == MODEL_UNFILTERABLE) {
				st.x2apic_deflections++;
				st.probe_mismatches++;
				mismatch("x2APIC MSR 0x%x: %s exited to userspace with reason %s; expected no exit",
					 hp[idx].msr, write ? "WRMSR" : "RDMSR", reason_str(reason));
			} else if (reason != KVM_MSR_EXIT_REASON_FILTER &&
				   expect[idx] == MODEL_DENY) {
				st.probe_mismatches++;
				wrong_reason[idx] = true;
				mismatch("MSR 0x%x: %s exited with reason %s; the filter in force denies it (expected FILTER)",
					 hp[idx].msr, write ? "WRMSR" : "RDMSR", reason_str(reason));
			} else if (reason == KVM_MSR_EXIT_REASON_FILTER &&
				   expect[idx] != MODEL_DENY) {
				st.probe_mismatches++;
				mismatch("MSR 0x%x: %s exited with reason FILTER; the filter in force allows it",
					 hp[idx].msr, write ? "WRMSR" : "RDMSR");
			} else if (exits[idx]++) {
				st.probe_mismatches++;
				mismatch("MSR 0x%x: %s exited %u times", hp[idx].msr,
					 write ? "WRMSR" : "RDMSR", exits[idx]);
			}
			/* Complete denied accesses; fail everything else (#GP). */
			if (reason == KVM_MSR_EXIT_REASON_FILTER && expect[idx] == MODEL_DENY) {
				run->msr.error = 0;
				run->msr.data = DENY_MAGIC ^ hp[idx].msr;
			} else {
				run->msr.error = 1;
			}
			continue;
		}
		TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_IO);
		switch (get_ucall(vcpu, &uc)) {
		case UCALL_SYNC:
			break;
		case UCALL_ABORT:
			REPORT_GUEST_ASSERT(uc);
			break;
		default:
			TEST_FAIL("Unexpected ucall %lu", uc.cmd);
		}
		break;
	}

	for (i = 0; i < n; i++) {
		const char *op = hp[i].write ? "WRMSR" : "RDMSR";

		if (expect[i] == MODEL_DENY && !exits[i] && wrong_reason[i]) {
			/* Reported when it exited with the other reason. */
		} else if (expect[i] == MODEL_DENY && !exits[i]) {
			st.probe_mismatches++;
			mismatch("MSR 0x%x: %s did not exit with reason FILTER (vector %u); the filter in force denies it",
				 hp[i].msr, op, hr[i].vector);
		} else if (expect[i] == MODEL_DENY &&
			   (hr[i].vector || (!hp[i].write && hr[i].data != (DENY_MAGIC ^ hp[i].msr)))) {
			st.probe_mismatches++;
			mismatch("MSR 0x%x: denied %s completed by userspace, but the guest got vector %u, data 0x%lx",
				 hp[i].msr, op, hr[i].vector, hr[i].data);
		} else if (expect[i] == MODEL_UNFILTERABLE && hr[i].vector != GP_VECTOR) {
			st.probe_mismatches++;
			mismatch("x2APIC MSR 0x%x: %s in xAPIC mode got vector %u; expected #GP",
				 hp[i].msr, op, hr[i].vector);
		}
	}
}

static void usage(const char *argv0)
{
	fprintf(stderr, "usage: %s [-s SEED] [-n CALLS] [-t SECONDS]\n", argv0);
	exit(KSFT_FAIL);
}

int main(int argc, char *argv[])
{
	u64 calls = 100000, limit_s = 600, rng;
	struct model_filter cur = {};
	bool cur_known = true;
	struct kvm_vcpu *vcpu;
	struct gen_pool pool;
	struct timespec t0, t;
	struct kvm_vm *vm;
	double secs = 0;
	int opt;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	seed = t0.tv_nsec ^ t0.tv_sec;
	while ((opt = getopt(argc, argv, "s:n:t:h")) != -1) {
		switch (opt) {
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'n':
			calls = strtoull(optarg, NULL, 0);
			break;
		case 't':
			limit_s = strtoull(optarg, NULL, 0);
			break;
		default:
			usage(argv[0]);
		}
	}
	TEST_REQUIRE(kvm_has_cap(KVM_CAP_X86_MSR_FILTER));
	TEST_REQUIRE(kvm_has_cap(KVM_CAP_X86_USER_SPACE_MSR));

	printf("seed 0x%lx, %lu calls, at most %lu s (replay: %s -s 0x%lx -n %lu)\n",
	       seed, calls, limit_s, argv[0], seed, calls);
	rng = seed ? seed : 1;
	gen_pool_init(&pool);

	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	vm_enable_cap(vm, KVM_CAP_X86_USER_SPACE_MSR, ALL_MSR_EXIT_REASONS);
	vcpu_run(vcpu);		/* to the guest's first GUEST_SYNC */
	TEST_ASSERT_EQ(get_ucall(vcpu, NULL), UCALL_SYNC);

	for (call_nr = 1; call_nr <= calls; call_nr++) {
		struct gen_call c;
		enum model_why why;
		int r, err;

		gen_call(&rng, &pool, &c);
		why = model_decide(&c.f, c.readable, c.bitmaps, true);
		if (!model_rand_below(&rng, 256)) {
			/* The struct itself unreadable: a guard page. */
			why = MODEL_FAULT;
			snprintf(c.desc, sizeof(c.desc), "struct kvm_msr_filter in a PROT_NONE page");
			r = ioctl(vm->fd, KVM_X86_SET_MSR_FILTER, pool.slot[0] + GEN_PAGE);
		} else {
			r = __vm_ioctl(vm, KVM_X86_SET_MSR_FILTER, &c.f);
		}
		err = r ? errno : 0;
		TEST_ASSERT(r == 0 || r == -1, "KVM_X86_SET_MSR_FILTER returned %d", r);
		st.calls++;
		st.accepted += !err;
		st.einval += err == EINVAL;
		st.efault += err == EFAULT;

		if (err != model_errno(why)) {
			enum model_why old = model_decide(&c.f, c.readable, c.bitmaps, false);

			/* What the kernel without the x2APIC rule would do. */
			st.set_mismatches++;
			if (why == MODEL_X2APIC_DENY && err == model_errno(old))
				st.x2apic_deny_accepted++;
			mismatch("filter {%s}: expected %s, got %s", c.desc, model_why_str[why],
				 err ? strerror(err) : "accept");
		}
		if (!err) {
			bool readable = true;
			int i;

			for (i = 0; i < KVM_MSR_FILTER_MAX_RANGES; i++)
				readable &= !c.f.ranges[i].nmsrs || c.readable[i];
			/* An unreadable bitmap accepted: nothing left to model. */
			cur_known = readable;
			if (readable)
				model_install(&cur, &c.f, c.bitmaps);
		}
		if (cur_known)
			run_probes(vcpu, &rng, &cur, &c);

		if (!(call_nr % 1024)) {
			clock_gettime(CLOCK_MONOTONIC, &t);
			secs = t.tv_sec - t0.tv_sec + (t.tv_nsec - t0.tv_nsec) / 1e9;
			if (!(call_nr % 16384))
				printf("%lu calls, %.0f s, %lu mismatches\n", call_nr, secs,
				       st.mismatches);
			if (secs >= limit_s) {
				printf("time limit: stopping after %lu calls\n", call_nr);
				break;
			}
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t);
	secs = t.tv_sec - t0.tv_sec + (t.tv_nsec - t0.tv_nsec) / 1e9;
	kvm_vm_free(vm);

	printf("# metric: fuzz_calls=%lu\n", st.calls);
	printf("# metric: fuzz_accepted=%lu\n", st.accepted);
	printf("# metric: fuzz_einval=%lu\n", st.einval);
	printf("# metric: fuzz_efault=%lu\n", st.efault);
	printf("# metric: fuzz_probes=%lu\n", st.probes);
	printf("# metric: fuzz_filter_exits=%lu\n", st.filter_exits);
	printf("# metric: fuzz_mismatches=%lu\n", st.mismatches);
	printf("# metric: fuzz_set_mismatches=%lu\n", st.set_mismatches);
	printf("# metric: fuzz_probe_mismatches=%lu\n", st.probe_mismatches);
	printf("# metric: fuzz_x2apic_deny_accepted=%lu\n", st.x2apic_deny_accepted);
	printf("# metric: fuzz_other_set_mismatches=%lu\n",
	       st.set_mismatches - st.x2apic_deny_accepted);
	printf("# metric: fuzz_x2apic_deflections=%lu\n", st.x2apic_deflections);
	printf("# metric: fuzz_other_probe_mismatches=%lu\n",
	       st.probe_mismatches - st.x2apic_deflections);
	printf("# metric: fuzz_seconds=%.1f\n", secs);
	printf("seed 0x%lx: %lu calls (%lu accepted, %lu EINVAL, %lu EFAULT), %lu probes, %lu mismatches in %.1f s\n",
	       seed, st.calls, st.accepted, st.einval, st.efault, st.probes, st.mismatches, secs);
	return st.mismatches ? KSFT_FAIL : KSFT_PASS;
}
