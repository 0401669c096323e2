// SPDX-License-Identifier: GPL-2.0
/*
 * msr_filter_compat - KVM_X86_SET_MSR_FILTER through the 32-bit compat
 * ioctl.  Built twice from this file, static: -m32 (the ioctl number then
 * encodes the 32-bit struct, which KVM converts in its compat handler) and
 * -m64.  Both throw the same seeded calls as the fuzzer's generator, x2APIC
 * deny bits included, check each result against the model, and print a
 * digest of all the results: the bench checks the two digests are equal.
 * No selftest library: it is 64-bit only.
 *
 * Usage: msr_filter_compat [-s SEED] [-n CALLS]
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "msr_filter_gen.h"

#define KSFT_PASS 0
#define KSFT_FAIL 1
#define KSFT_SKIP 4

int main(int argc, char *argv[])
{
	unsigned long long seed = 0x5eed, calls = 20000, i, x2apic = 0, accepted = 0;
	unsigned long long mismatches = 0, digest = 0xcbf29ce484222325ull;
	uint64_t rng;
	const char *abi = sizeof(void *) == 4 ? "compat32" : "compat64";
	struct gen_pool pool;
	int kvm, vm, opt;

	while ((opt = getopt(argc, argv, "s:n:")) != -1) {
		switch (opt) {
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'n':
			calls = strtoull(optarg, NULL, 0);
			break;
		default:
			fprintf(stderr, "usage: %s [-s SEED] [-n CALLS]\n", argv[0]);
			return KSFT_FAIL;
		}
	}
	kvm = open("/dev/kvm", O_RDWR);
	if (kvm < 0) {
		perror("open /dev/kvm");
		return KSFT_SKIP;
	}
	if (ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_X86_MSR_FILTER) <= 0) {
		printf("KVM_CAP_X86_MSR_FILTER not supported\n");
		return KSFT_SKIP;
	}
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0) {
		perror("KVM_CREATE_VM");
		return KSFT_FAIL;
	}
	printf("%s: %zu-bit KVM_X86_SET_MSR_FILTER (ioctl 0x%lx, struct of %zu bytes), seed 0x%llx, %llu calls\n",
	       abi, sizeof(void *) * 8, (unsigned long)KVM_X86_SET_MSR_FILTER,
	       sizeof(struct kvm_msr_filter), seed, calls);

	gen_pool_init(&pool);
	rng = seed ? seed : 1;
	for (i = 1; i <= calls; i++) {
		struct gen_call c;
		enum model_why why;
		int r, err;

		gen_call(&rng, &pool, &c);
		why = model_decide(&c.f, c.readable, c.bitmaps, true);
		x2apic += why == MODEL_X2APIC_DENY;
		r = ioctl(vm, KVM_X86_SET_MSR_FILTER, &c.f);
		err = r ? errno : 0;
		accepted += !err;
		digest = (digest ^ (unsigned long long)err) * 0x100000001b3ull;
		if (err != model_errno(why) && ++mismatches <= 10)
			printf("MISMATCH (seed 0x%llx, call %llu): filter {%s}: expected %s, got %s\n",
			       seed, i, c.desc, model_why_str[why], err ? strerror(err) : "accept");
	}
	printf("# metric: %s_calls=%llu\n", abi, calls);
	printf("# metric: %s_accepted=%llu\n", abi, accepted);
	printf("# metric: %s_x2apic_deny_calls=%llu\n", abi, x2apic);
	printf("# metric: %s_mismatches=%llu\n", abi, mismatches);
	printf("# metric: %s_digest=%llu\n", abi, digest >> 1);
	printf("%s: %llu calls, %llu accepted, %llu deny x2APIC MSRs, %llu mismatches\n",
	       abi, calls, accepted, x2apic, mismatches);
	close(vm);
	close(kvm);
	return mismatches ? KSFT_FAIL : KSFT_PASS;
}
