// SPDX-License-Identifier: GPL-2.0
/*
 * x2apic_tpr_probe - does a faulting x2APIC MSR write leave the guest?
 *
 * Patch 6's changelog says userspace can't count on seeing x2APIC MSR
 * faults today, because whether one exits at all depends on the CPU:
 * with VMX's "virtualize x2APIC mode" KVM passes x2APIC TPR writes through
 * (vmx_update_msr_bitmap_x2apic()), so a TPR write with a reserved bit
 * set (bit 32) gets its #GP from the CPU without a VM exit, while under
 * SVM without x2AVIC it exits to KVM, which fails it (kvm_lapic_msr_write())
 * and, with KVM_MSR_EXIT_REASON_INVAL enabled, forwards it to userspace.
 *
 * The guest, in x2APIC mode with an in-kernel local APIC, writes
 * BIT_ULL(32) to the x2APIC TPR (MSR 0x808) once.  Userspace has INVAL
 * exits enabled and fails any WRMSR exit it gets.  Prints
 * "# metric: tpr_exits=N" (WRMSR exits that reached userspace) and
 * "# metric: tpr_gp=0|1" (the guest saw #GP); tests/evidence.cfg says
 * what each kernel and machine must show.  Not part of the series: the
 * bench's own program (progs/Makefile).
 */
#include "apic.h"
#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"

#define MSR_X2APIC_TPR	(APIC_BASE_MSR + (APIC_TASKPRI >> 4))

static void guest_code(void)
{
	x2apic_enable();
	GUEST_SYNC(wrmsr_safe(MSR_X2APIC_TPR, BIT_ULL(32)));
	GUEST_DONE();
}

int main(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_run *run;
	struct kvm_vm *vm;
	struct ucall uc;
	int exits = 0, vector = -1;

	TEST_REQUIRE(kvm_has_cap(KVM_CAP_X86_USER_SPACE_MSR));

	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	vcpu_set_cpuid_feature(vcpu, X86_FEATURE_X2APIC);
	vm_enable_cap(vm, KVM_CAP_X86_USER_SPACE_MSR, KVM_MSR_EXIT_REASON_INVAL);
	run = vcpu->run;

	for (;;) {
		vcpu_run(vcpu);
		if (run->exit_reason == KVM_EXIT_X86_WRMSR) {
			TEST_ASSERT(run->msr.index == MSR_X2APIC_TPR &&
				    run->msr.reason == KVM_MSR_EXIT_REASON_INVAL,
				    "WRMSR exit for MSR 0x%x, reason 0x%x; expected only MSR 0x%x with reason INVAL (0x%x)",
				    run->msr.index, run->msr.reason, MSR_X2APIC_TPR,
				    KVM_MSR_EXIT_REASON_INVAL);
			exits++;
			run->msr.error = 1;
			continue;
		}
		TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_IO);
		switch (get_ucall(vcpu, &uc)) {
		case UCALL_ABORT:
			REPORT_GUEST_ASSERT(uc);
		case UCALL_SYNC:
			vector = uc.args[1];
			continue;
		case UCALL_DONE:
			break;
		default:
			TEST_FAIL("unexpected ucall %lu", uc.cmd);
		}
		break;
	}
	kvm_vm_free(vm);

	printf("# x2APIC TPR write of bit 32: guest vector %d, %d WRMSR exit(s) to userspace\n",
	       vector, exits);
	printf("# metric: tpr_exits=%d\n", exits);
	printf("# metric: tpr_gp=%d\n", vector == GP_VECTOR);
	return KSFT_PASS;
}
