// SPDX-License-Identifier: GPL-2.0
/*
 * msr_bench - what the series costs on the paths it touches.
 *
 *  set_filter:  KVM_X86_SET_MSR_FILTER with 16 ranges of the maximum size
 *               (the first spanning the x2APIC MSRs), all bits set, calls
 *               per second;
 *  set_filter_deny: the same with all bits clear and the ranges clear of
 *               the x2APIC MSRs: the worst case of the series' scan of
 *               each range's deny bits (12288 clear bits a range);
 *  filter_exit: a guest loop of RDMSRs denied by the filter, each one a
 *               round trip to userspace with reason FILTER, per second;
 *  x2apic_read: a guest loop of x2APIC RDMSRs in x2APIC mode (handled in
 *               the kernel, never deflected), per second: a control, the
 *               series changes no code on that path.
 *
 * Usage: msr_bench [-r REPS] [-t SECONDS_PER_REP]
 * Prints "# metric: bench_NAME_rREP=VALUE" for each repetition.
 */
#include <getopt.h>
#include <time.h>

#include "apic.h"
#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"

#define DENIED_MSR	0xdead0000u
#define CHUNK		1000

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static u8 bitmaps[KVM_MSR_FILTER_MAX_RANGES][KVM_MSR_FILTER_MAX_BITMAP_SIZE];

static double bench_set_filter(double secs, bool deny)
{
	struct kvm_msr_filter f = { .flags = KVM_MSR_FILTER_DEFAULT_ALLOW };
	u32 nmsrs = KVM_MSR_FILTER_MAX_BITMAP_SIZE * 8;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	double t0, t;
	u64 calls = 0;
	int i;

	vm = vm_create_with_one_vcpu(&vcpu, NULL);
	memset(bitmaps, deny ? 0 : 0xff, sizeof(bitmaps));
	for (i = 0; i < KVM_MSR_FILTER_MAX_RANGES; i++)
		f.ranges[i] = (struct kvm_msr_filter_range){
			.flags = KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE,
			.base = (deny ? 0x10000 : 0) + i * nmsrs,
			.nmsrs = nmsrs,
			.bitmap = bitmaps[i],
		};
	t0 = now();
	do {
		for (i = 0; i < 100; i++)
			vm_ioctl(vm, KVM_X86_SET_MSR_FILTER, &f);
		calls += 100;
		t = now();
	} while (t - t0 < secs);
	kvm_vm_free(vm);
	return calls / (t - t0);
}

static void guest_filter_exit(void)
{
	u64 val;
	int i;

	for (;;) {
		for (i = 0; i < CHUNK; i++)
			rdmsr_safe(DENIED_MSR, &val);
		GUEST_SYNC(0);
	}
}

static void guest_x2apic_read(void)
{
	int i;

	x2apic_enable();
	for (;;) {
		for (i = 0; i < CHUNK; i++)
			rdmsr(APIC_BASE_MSR + (APIC_LVR >> 4));
		GUEST_SYNC(0);
	}
}

/* Run the guest in chunks of CHUNK accesses for @secs; return accesses/s. */
static double run_chunks(struct kvm_vcpu *vcpu, double secs)
{
	struct kvm_run *run = vcpu->run;
	u64 accesses = 0;
	double t0, t;
	struct ucall uc;

	t0 = now();
	do {
		for (;;) {
			vcpu_run(vcpu);
			if (run->exit_reason == KVM_EXIT_X86_RDMSR) {
				TEST_ASSERT(run->msr.reason == KVM_MSR_EXIT_REASON_FILTER &&
					    run->msr.index == DENIED_MSR,
					    "unexpected RDMSR exit: MSR 0x%x, reason 0x%x",
					    run->msr.index, run->msr.reason);
				run->msr.error = 0;
				run->msr.data = 0;
				continue;
			}
			TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_IO);
			if (get_ucall(vcpu, &uc) == UCALL_ABORT)
				REPORT_GUEST_ASSERT(uc);
			break;
		}
		accesses += CHUNK;
		t = now();
	} while (t - t0 < secs);
	return accesses / (t - t0);
}

static double bench_filter_exit(double secs)
{
	u8 bitmap[8] = {};
	struct kvm_msr_filter f = {
		.flags = KVM_MSR_FILTER_DEFAULT_ALLOW,
		.ranges = { { .flags = KVM_MSR_FILTER_READ, .base = DENIED_MSR,
			      .nmsrs = 1, .bitmap = bitmap } },
	};
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	double r;

	vm = vm_create_with_one_vcpu(&vcpu, guest_filter_exit);
	vm_enable_cap(vm, KVM_CAP_X86_USER_SPACE_MSR, KVM_MSR_EXIT_REASON_FILTER);
	vm_ioctl(vm, KVM_X86_SET_MSR_FILTER, &f);
	run_chunks(vcpu, 0.2);		/* warm up */
	r = run_chunks(vcpu, secs);
	kvm_vm_free(vm);
	return r;
}

static double bench_x2apic_read(double secs)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	double r;

	vm = vm_create_with_one_vcpu(&vcpu, guest_x2apic_read);
	vm_enable_cap(vm, KVM_CAP_X86_USER_SPACE_MSR, KVM_MSR_EXIT_REASON_FILTER |
		      KVM_MSR_EXIT_REASON_INVAL | KVM_MSR_EXIT_REASON_UNKNOWN);
	run_chunks(vcpu, 0.2);
	r = run_chunks(vcpu, secs);
	kvm_vm_free(vm);
	return r;
}

int main(int argc, char *argv[])
{
	double secs = 1.0;
	int reps = 3, r, opt;

	while ((opt = getopt(argc, argv, "r:t:")) != -1) {
		switch (opt) {
		case 'r':
			reps = atoi(optarg);
			break;
		case 't':
			secs = atof(optarg);
			break;
		default:
			fprintf(stderr, "usage: %s [-r REPS] [-t SECONDS_PER_REP]\n", argv[0]);
			return KSFT_FAIL;
		}
	}
	TEST_REQUIRE(kvm_has_cap(KVM_CAP_X86_MSR_FILTER));
	TEST_REQUIRE(kvm_has_cap(KVM_CAP_X86_USER_SPACE_MSR));

	for (r = 1; r <= reps; r++) {
		printf("# metric: bench_set_filter_r%d=%.1f\n", r, bench_set_filter(secs, false));
		printf("# metric: bench_set_filter_deny_r%d=%.1f\n", r,
		       bench_set_filter(secs, true));
		printf("# metric: bench_filter_exit_r%d=%.1f\n", r, bench_filter_exit(secs));
		printf("# metric: bench_x2apic_read_r%d=%.1f\n", r, bench_x2apic_read(secs));
	}
	return KSFT_PASS;
}
