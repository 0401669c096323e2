// SPDX-License-Identifier: GPL-2.0
/*
 * tsc_deadline_cost - what a guest write to MSR_IA32_TSC_DEADLINE costs,
 * for the TSC_DEADLINE fastpath series (series-tsc-deadline/).
 *
 * The guest, in x2APIC and TSC-deadline mode, times NR_WRITES writes to
 * TSC_DEADLINE with its TSC, NR_ROUNDS rounds each: without a filter, then
 * with a default-allow filter that allows it (behind a range for
 * MSR_CORE_THREAD_COUNT, as QEMU installs), then NR_WRITES writes to
 * UCODE_REV, which KVM handles in the slow path, as the reference.  None
 * of the writes may exit to userspace.
 *
 * Prints "# metric: NAME=CYCLES" per write, the smallest of the rounds:
 * tsc_deadline_cycles, tsc_deadline_allowed_cycles, slow_path_cycles.
 * Under Bochs (clock: sync=none) the guest TSC counts instructions, so the
 * figures are instruction counts and repeat exactly from boot to boot.
 * Not part of the series: the bench's own program (progs/Makefile).
 */
#include "apic.h"
#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"

#define MSR_CORE_THREAD_COUNT	0x35
#define TIMER_VECTOR		0xec
#define NR_WRITES		1000
#define NR_ROUNDS		3

enum { UNFILTERED, ALLOWED, SLOW_PATH, NR_KINDS };

static const char * const metric[NR_KINDS] = {
	[UNFILTERED]	= "tsc_deadline_cycles",
	[ALLOWED]	= "tsc_deadline_allowed_cycles",
	[SLOW_PATH]	= "slow_path_cycles",
};

static u8 deny;
static u8 allow = 0xff;

static struct kvm_msr_filter filter_allow = {
	.flags = KVM_MSR_FILTER_DEFAULT_ALLOW,
	.ranges = {
		{
			.flags = KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE,
			.nmsrs = 1,
			.base = MSR_CORE_THREAD_COUNT,
			.bitmap = &deny,
		}, {
			.flags = KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE,
			.nmsrs = 1,
			.base = MSR_IA32_TSC_DEADLINE,
			.bitmap = &allow,
		},
	},
};

static u64 guest_time_writes(u32 msr)
{
	u64 start;
	int i;

	start = rdtsc();
	for (i = 0; i < NR_WRITES; i++)
		wrmsr(msr, 0);
	return rdtsc() - start;
}

static void guest_code(void)
{
	int kind, round;

	x2apic_enable();
	x2apic_write_reg(APIC_LVTT, APIC_LVT_MASKED | APIC_LVT_TIMER_TSCDEADLINE |
			 TIMER_VECTOR);

	for (kind = 0; kind < NR_KINDS; kind++) {
		u32 msr = kind == SLOW_PATH ? MSR_IA32_UCODE_REV : MSR_IA32_TSC_DEADLINE;

		for (round = 0; round < NR_ROUNDS; round++)
			GUEST_SYNC3(kind, round, guest_time_writes(msr));
	}
	GUEST_DONE();
}

int main(void)
{
	u64 best[NR_KINDS] = { ~0ull, ~0ull, ~0ull };
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	int kind, round;

	TEST_REQUIRE(kvm_has_cap(KVM_CAP_X86_MSR_FILTER));
	TEST_REQUIRE(kvm_has_cap(KVM_CAP_X86_USER_SPACE_MSR));

	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	vcpu_set_cpuid_feature(vcpu, X86_FEATURE_TSC_DEADLINE_TIMER);
	vcpu_set_cpuid_feature(vcpu, X86_FEATURE_X2APIC);
	vm_enable_cap(vm, KVM_CAP_X86_USER_SPACE_MSR, KVM_MSR_EXIT_REASON_FILTER |
		      KVM_MSR_EXIT_REASON_INVAL | KVM_MSR_EXIT_REASON_UNKNOWN);

	for (kind = 0; kind < NR_KINDS; kind++) {
		/* Unfiltered first: a VM never goes back to having no filter. */
		if (kind == ALLOWED)
			vm_ioctl(vm, KVM_X86_SET_MSR_FILTER, &filter_allow);
		for (round = 0; round < NR_ROUNDS; round++) {
			vcpu_run(vcpu);
			TEST_ASSERT(vcpu->run->exit_reason != KVM_EXIT_X86_WRMSR,
				    "%s: WRMSR of MSR 0x%x exited to userspace with reason 0x%x; expected it to complete in KVM",
				    metric[kind], vcpu->run->msr.index, vcpu->run->msr.reason);
			TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_IO);
			if (get_ucall(vcpu, &uc) == UCALL_ABORT)
				REPORT_GUEST_ASSERT(uc);
			TEST_ASSERT(uc.cmd == UCALL_SYNC && uc.args[0] == kind &&
				    uc.args[1] == round,
				    "%s round %d: got ucall %lu (%lu, %lu)", metric[kind],
				    round, uc.cmd, uc.args[0], uc.args[1]);
			printf("# %s round %d: %lu cycles for %d writes\n", metric[kind],
			       round, uc.args[2], NR_WRITES);
			if (uc.args[2] < best[kind])
				best[kind] = uc.args[2];
		}
	}
	vcpu_run(vcpu);
	TEST_ASSERT_EQ(get_ucall(vcpu, &uc), UCALL_DONE);
	kvm_vm_free(vm);

	for (kind = 0; kind < NR_KINDS; kind++)
		printf("# metric: %s=%.3f\n", metric[kind], (double)best[kind] / NR_WRITES);
	return KSFT_PASS;
}
