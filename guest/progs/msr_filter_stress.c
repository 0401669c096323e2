// SPDX-License-Identifier: GPL-2.0
/*
 * msr_filter_stress - vCPUs hammer x2APIC MSRs and filtered MSRs while
 * another thread keeps replacing the MSR filter, with valid and invalid
 * filters, for a fixed time.
 *
 * Half the vCPUs put their local APIC in x2APIC mode, half stay in xAPIC
 * mode; each loops over reads and writes of x2APIC MSRs and of eight MSRs
 * KVM doesn't know (0xdead0000 - 0xdead0007) that the filters deny in
 * different patterns.  Every MSR exit reason is enabled.  Checked:
 *
 *  - no access to an x2APIC MSR ever exits to userspace;
 *  - every FILTER exit is for an access that some filter of the pool, one
 *    the model accepts and that the filter thread had started installing,
 *    denies: no exit comes from a filter that was never in force.  One MSR,
 *    the canary (0xdead0008), only the rejected filters deny: a FILTER
 *    exit on it means a rejected filter took effect, if only for a moment;
 *  - every KVM_X86_SET_MSR_FILTER call returns what the model says.
 *
 * Usage: msr_filter_stress [-t SECONDS] [-v VCPUS] [-s SEED] [-i USEC]
 * -i: pause between filter calls (default 0); -1 installs one valid filter
 * and stops there (a control run: no replacement at all).
 * -c CPU: run every thread on that CPU only (default: any CPU).  Under
 * multi-threaded QEMU TCG, vCPUs of this program running on two CPUs of the
 * test VM at once triple-fault or stop now and then on any kernel (QEMU's
 * emulation, never with -accel tcg,thread=single; docs/flakes.md, F2);
 * the bench pins them to one CPU, where the threads still
 * preempt each other anywhere, in KVM included.
 * Prints "# metric: NAME=VALUE" lines; exits KSFT_FAIL on any finding.
 */
#include <getopt.h>
#include <pthread.h>
#include <time.h>

#include "apic.h"
#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"

#include "msr_filter_model.h"

#define MAX_VCPUS	8
#define FAKE_MSR	0xdead0000u
#define NR_FAKE		8
#define CANARY_MSR	(FAKE_MSR + NR_FAKE)
#define ALL_MSR_EXIT_REASONS	(KVM_MSR_EXIT_REASON_UNKNOWN |	\
				 KVM_MSR_EXIT_REASON_INVAL |	\
				 KVM_MSR_EXIT_REASON_FILTER)

static void guest_code(u32 x2apic)
{
	u64 iter, val;
	u32 i;

	if (x2apic)
		x2apic_enable();

	for (iter = 0;; iter++) {
		for (i = 0; i <= NR_FAKE; i++) {	/* the canary too */
			rdmsr_safe(FAKE_MSR + i, &val);
			wrmsr_safe(FAKE_MSR + i, iter);
		}
		/* Valid in x2APIC mode, #GP in xAPIC mode. */
		GUEST_ASSERT_EQ(rdmsr_safe(APIC_BASE_MSR + (APIC_ID >> 4), &val),
				x2apic ? 0 : GP_VECTOR);
		GUEST_ASSERT_EQ(wrmsr_safe(APIC_BASE_MSR + (APIC_TASKPRI >> 4), 0),
				x2apic ? 0 : GP_VECTOR);
		/* #GP in both modes: a write to a read-only register, a hole. */
		GUEST_ASSERT_EQ(wrmsr_safe(APIC_BASE_MSR + (APIC_LVR >> 4), 0), GP_VECTOR);
		GUEST_ASSERT_EQ(rdmsr_safe(APIC_BASE_MSR + 0x4, &val), GP_VECTOR);
		GUEST_ASSERT_EQ(rdmsr_safe(APIC_BASE_MSR + 0xff, &val), GP_VECTOR);
		GUEST_SYNC(iter);
	}
}

#define NR_POOL 10

struct pool_filter {
	const char *name;
	struct kvm_msr_filter f;
	uint8_t bitmap[2][KVM_MSR_FILTER_MAX_BITMAP_SIZE];
	struct model_filter model;
	int expect;		/* errno the model expects */
	int attempted;		/* the filter thread has called the ioctl */
};

static struct pool_filter pool[NR_POOL];
static volatile int stop;

static struct {
	u64 set_calls, set_mismatches, loops, filter_exits, stray_filter_exits;
	u64 x2apic_deflections, other_exits, vcpu_failures, canary_exits;
} st;

#define COUNT(field) __atomic_fetch_add(&st.field, 1, __ATOMIC_RELAXED)

static void add_range(struct pool_filter *p, int i, u32 flags, u32 base, u32 nmsrs,
		      int fill, int clear_from, int clear_to)
{
	int b;

	memset(p->bitmap[i], fill, sizeof(p->bitmap[i]));
	for (b = clear_from; b < clear_to; b++)
		p->bitmap[i][b / 8] &= ~(1u << (b % 8));
	p->f.ranges[i] = (struct kvm_msr_filter_range){
		.flags = flags, .base = base, .nmsrs = nmsrs, .bitmap = p->bitmap[i],
	};
}

static void build_pool(void)
{
	int i;

	/* Default allow, deny fake MSRs in four different patterns. */
	for (i = 0; i < 4; i++) {
		pool[i].name = "allow, deny some fake MSRs";
		add_range(&pool[i], 0, i & 1 ? KVM_MSR_FILTER_READ : KVM_MSR_FILTER_WRITE,
			  FAKE_MSR, NR_FAKE, 0xff, i, i + 2 + i);
		add_range(&pool[i], 1, KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE,
			  0, MODEL_MAX_NMSRS, 0xff, 0, 0);
	}
	/* Default deny, an allowlist of 0 - 0x2fff but with x2APIC bits clear. */
	pool[4].name = "deny, allowlist with x2APIC holes";
	pool[4].f.flags = KVM_MSR_FILTER_DEFAULT_DENY;
	add_range(&pool[4], 0, KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE,
		  0, MODEL_MAX_NMSRS, 0xff, 0x800, 0x900);
	add_range(&pool[4], 1, KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE,
		  CANARY_MSR, 1, 0xff, 0, 0);
	/* Default deny, allow the fake MSRs only for reads. */
	pool[5].name = "deny, allow fake MSR reads";
	pool[5].f.flags = KVM_MSR_FILTER_DEFAULT_DENY;
	add_range(&pool[5], 0, KVM_MSR_FILTER_READ, FAKE_MSR, NR_FAKE, 0xff, 0, 0);
	add_range(&pool[5], 1, KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE,
		  0, MODEL_MAX_NMSRS, 0xff, 0, 0);
	add_range(&pool[5], 2, KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE,
		  CANARY_MSR, 1, 0xff, 0, 0);

	/* Invalid ones. */
	pool[6].name = "allow, deny all x2APIC MSRs";
	add_range(&pool[6], 0, KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE,
		  0x800, 0x100, 0, 0, 0);
	add_range(&pool[6], 1, KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE,
		  CANARY_MSR, 1, 0, 0, 0);
	pool[7].name = "allow, deny the x2APIC ICR for writes";
	add_range(&pool[7], 0, KVM_MSR_FILTER_WRITE, 0, MODEL_MAX_NMSRS, 0xff, 0x830, 0x831);
	add_range(&pool[7], 1, KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE,
		  FAKE_MSR, NR_FAKE + 1, 0, 0, 0);
	pool[8].name = "bad filter flags";
	pool[8].f.flags = 0x80;
	add_range(&pool[8], 0, KVM_MSR_FILTER_READ, FAKE_MSR, NR_FAKE + 1, 0, 0, 0);
	pool[9].name = "NULL bitmap";
	add_range(&pool[9], 0, KVM_MSR_FILTER_READ, FAKE_MSR, NR_FAKE + 1, 0, 0, 0);
	pool[9].f.ranges[0].bitmap = NULL;

	for (i = 0; i < NR_POOL; i++) {
		bool readable[KVM_MSR_FILTER_MAX_RANGES];
		const uint8_t *bitmaps[KVM_MSR_FILTER_MAX_RANGES];
		enum model_why why;
		int r;

		for (r = 0; r < KVM_MSR_FILTER_MAX_RANGES; r++) {
			bitmaps[r] = (const uint8_t *)pool[i].f.ranges[r].bitmap;
			readable[r] = bitmaps[r] != NULL;
		}
		why = model_decide(&pool[i].f, readable, bitmaps, true);
		pool[i].expect = model_errno(why);
		if (why == MODEL_OK)
			model_install(&pool[i].model, &pool[i].f, bitmaps);
		printf("pool %d: %s: %s\n", i, pool[i].name, model_why_str[why]);
	}
	TEST_ASSERT(pool[6].expect && pool[7].expect && pool[8].expect && pool[9].expect &&
		    !pool[4].expect, "the pool is not what it is meant to be");
}

/* Was the access denied by some filter that could have been in force? */
static bool denied_by_some_filter(u32 msr, u32 type)
{
	int i;

	for (i = 0; i < NR_POOL; i++) {
		if (!pool[i].expect && __atomic_load_n(&pool[i].attempted, __ATOMIC_ACQUIRE) &&
		    model_access(&pool[i].model, msr, type) == MODEL_DENY)
			return true;
	}
	return false;
}

static u64 vcpu_loops[MAX_VCPUS];

static void *vcpu_thread(void *arg)
{
	struct kvm_vcpu *vcpu = arg;
	struct kvm_run *run = vcpu->run;
	u32 last_msr = 0, last_reason = 0;
	struct ucall uc;

	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		vcpu_run(vcpu);
		if (run->exit_reason == KVM_EXIT_X86_RDMSR ||
		    run->exit_reason == KVM_EXIT_X86_WRMSR) {
			bool write = run->exit_reason == KVM_EXIT_X86_WRMSR;
			u32 msr = run->msr.index;

			run->msr.error = 1;
			last_msr = msr;
			last_reason = run->msr.reason;
			if (model_is_unfilterable(msr)) {
				if (COUNT(x2apic_deflections) < 5)
					printf("vCPU %u: x2APIC MSR 0x%x: %s exited with reason 0x%x; expected no exit\n",
					       vcpu->id, msr, write ? "WRMSR" : "RDMSR", run->msr.reason);
			} else if (run->msr.reason == KVM_MSR_EXIT_REASON_FILTER) {
				COUNT(filter_exits);
				if (msr == CANARY_MSR && COUNT(canary_exits) < 5)
					printf("vCPU %u: canary MSR 0x%x: %s exited with reason FILTER: a rejected filter was in force\n",
					       vcpu->id, msr, write ? "WRMSR" : "RDMSR");
				if (!denied_by_some_filter(msr, write ? KVM_MSR_FILTER_WRITE :
									KVM_MSR_FILTER_READ) &&
				    COUNT(stray_filter_exits) < 5)
					printf("vCPU %u: MSR 0x%x: %s exited with reason FILTER, but no filter that was installed denies it\n",
					       vcpu->id, msr, write ? "WRMSR" : "RDMSR");
				run->msr.error = 0;
				run->msr.data = 0;
			} else {
				COUNT(other_exits);
			}
			continue;
		}
		if (run->exit_reason != KVM_EXIT_IO) {
			struct kvm_regs regs;

			/* Counted and reported; the other vCPUs go on. */
			COUNT(vcpu_failures);
			vcpu_regs_get(vcpu, &regs);
			printf("vCPU %u (%s mode): exit reason %u (%s) at RIP 0x%llx, last MSR exit: 0x%x reason 0x%x\n",
			       vcpu->id, vcpu->id & 1 ? "x2APIC" : "xAPIC", run->exit_reason,
			       exit_reason_str(run->exit_reason), regs.rip, last_msr, last_reason);
			break;
		}
		switch (get_ucall(vcpu, &uc)) {
		case UCALL_SYNC:
			COUNT(loops);
			__atomic_fetch_add(&vcpu_loops[vcpu->id], 1, __ATOMIC_RELAXED);
			break;
		case UCALL_ABORT:
			REPORT_GUEST_ASSERT(uc);
			break;
		default:
			TEST_FAIL("Unexpected ucall %lu", uc.cmd);
		}
	}
	return NULL;
}

static struct kvm_vm *vm;
static u64 seed;
static long interval_us;	/* between filter calls; < 0: install one, once */
static int cpu = -1;

static void *filter_thread(void *arg)
{
	u64 rng = seed ? seed : 1;

	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		struct pool_filter *p = &pool[model_rand_below(&rng, NR_POOL)];
		int r, err;

		__atomic_store_n(&p->attempted, 1, __ATOMIC_RELEASE);
		r = __vm_ioctl(vm, KVM_X86_SET_MSR_FILTER, &p->f);
		err = r ? errno : 0;
		COUNT(set_calls);
		if (err != p->expect && COUNT(set_mismatches) < 5)
			printf("filter '%s': expected %s, got %s\n", p->name,
			       p->expect ? strerror(p->expect) : "accept",
			       err ? strerror(err) : "accept");
		if (interval_us < 0) {
			/* Once only; hold the last (valid) filter from now on. */
			if (!p->expect)
				break;
		} else if (interval_us) {
			usleep(interval_us);
		}
	}
	return NULL;
}

int main(int argc, char *argv[])
{
	struct kvm_vcpu *vcpus[MAX_VCPUS];
	pthread_t threads[MAX_VCPUS + 1];
	u32 nr_vcpus = 4, secs = 20, i;
	bool ok, hung = false;
	int opt;

	seed = time(NULL);
	while ((opt = getopt(argc, argv, "t:v:s:i:c:")) != -1) {
		switch (opt) {
		case 't':
			secs = strtoul(optarg, NULL, 0);
			break;
		case 'v':
			nr_vcpus = strtoul(optarg, NULL, 0);
			break;
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'i':
			interval_us = strtol(optarg, NULL, 0);
			break;
		case 'c':
			cpu = strtol(optarg, NULL, 0);
			break;
		default:
			fprintf(stderr, "usage: %s [-t SECONDS] [-v VCPUS] [-s SEED] [-i USEC] [-c CPU]\n",
				argv[0]);
			return KSFT_FAIL;
		}
	}
	TEST_ASSERT(nr_vcpus >= 2 && nr_vcpus <= MAX_VCPUS, "-v: 2 to %d vCPUs", MAX_VCPUS);
	TEST_REQUIRE(kvm_has_cap(KVM_CAP_X86_MSR_FILTER));
	TEST_REQUIRE(kvm_has_cap(KVM_CAP_X86_USER_SPACE_MSR));

	if (cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		TEST_ASSERT(!sched_setaffinity(0, sizeof(set), &set),
			    "sched_setaffinity(CPU %d) failed", cpu);
	}
	build_pool();
	vm = vm_create_with_vcpus(nr_vcpus, guest_code, vcpus);
	vm_enable_cap(vm, KVM_CAP_X86_USER_SPACE_MSR, ALL_MSR_EXIT_REASONS);
	for (i = 0; i < nr_vcpus; i++)
		vcpu_args_set(vcpus[i], 1, i & 1);
	printf("%u vCPUs (odd ones in x2APIC mode), %u s, seed 0x%lx, %s\n", nr_vcpus, secs,
	       seed, cpu >= 0 ? "all threads on one CPU" : "threads on any CPU");

	for (i = 0; i < nr_vcpus; i++)
		pthread_create(&threads[i], NULL, vcpu_thread, vcpus[i]);
	pthread_create(&threads[nr_vcpus], NULL, filter_thread, NULL);
	sleep(secs);
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i <= nr_vcpus; i++) {
		struct timespec deadline;

		clock_gettime(CLOCK_REALTIME, &deadline);
		deadline.tv_sec += 10;
		if (pthread_timedjoin_np(threads[i], NULL, &deadline)) {
			/* A vCPU that never comes back out of KVM_RUN. */
			COUNT(vcpu_failures);
			if (i < nr_vcpus)
				printf("vCPU %u (%s mode) still in KVM_RUN 10 s after the stop, after %lu loops\n",
				       i, i & 1 ? "x2APIC" : "xAPIC", vcpu_loops[i]);
			else
				printf("the filter thread is stuck in KVM_X86_SET_MSR_FILTER\n");
			hung = true;
		}
	}
	if (!hung)
		kvm_vm_free(vm);

	printf("# metric: stress_seconds=%u\n", secs);
	printf("# metric: stress_set_calls=%lu\n", st.set_calls);
	printf("# metric: stress_set_mismatches=%lu\n", st.set_mismatches);
	printf("# metric: stress_vcpu_loops=%lu\n", st.loops);
	printf("# metric: stress_filter_exits=%lu\n", st.filter_exits);
	printf("# metric: stress_stray_filter_exits=%lu\n", st.stray_filter_exits);
	printf("# metric: stress_x2apic_deflections=%lu\n", st.x2apic_deflections);
	printf("# metric: stress_other_exits=%lu\n", st.other_exits);
	printf("# metric: stress_vcpu_failures=%lu\n", st.vcpu_failures);
	printf("# metric: stress_canary_exits=%lu\n", st.canary_exits);

	ok = !st.set_mismatches && !st.stray_filter_exits && !st.x2apic_deflections &&
	     !st.vcpu_failures && !st.canary_exits;
	TEST_ASSERT(st.loops && st.filter_exits && st.set_calls,
		    "nothing was exercised: %lu vCPU loops, %lu FILTER exits, %lu filter calls",
		    st.loops, st.filter_exits, st.set_calls);
	printf("%lu filter calls, %lu vCPU loops, %lu FILTER exits: %lu set mismatches, %lu stray FILTER exits, %lu x2APIC deflections, %lu failed vCPUs\n",
	       st.set_calls, st.loops, st.filter_exits, st.set_mismatches,
	       st.stray_filter_exits, st.x2apic_deflections, st.vcpu_failures);
	return ok ? KSFT_PASS : KSFT_FAIL;
}
