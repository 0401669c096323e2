/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A reference model of KVM_X86_SET_MSR_FILTER, written from
 * Documentation/virt/kvm/api.rst and the uAPI header, not from x86.c:
 *
 *  - which filters the ioctl accepts, and with which error it rejects the
 *    others (EINVAL, EFAULT);
 *  - what an installed filter does to one guest access: allow it, deny it
 *    (exit to userspace with reason FILTER), or nothing at all because the
 *    MSR is an x2APIC MSR, which can't be filtered.
 *
 * Freestanding (no KVM selftest library) so that the 32-bit compat program
 * shares it.  Checks are made in the order the ranges are given: the first
 * bad range decides the error.
 */
#ifndef MSR_FILTER_MODEL_H
#define MSR_FILTER_MODEL_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <linux/kvm.h>

#define MODEL_X2APIC_FIRST	0x800u
#define MODEL_X2APIC_LAST	0x8ffu
#define MODEL_MAX_NMSRS		(KVM_MSR_FILTER_MAX_BITMAP_SIZE * 8)

/* Why the model rejects a filter (or MODEL_OK). */
enum model_why {
	MODEL_OK,
	MODEL_BAD_FLAGS,	/* flags outside KVM_MSR_FILTER_VALID_MASK */
	MODEL_EMPTY_DENY,	/* default deny and no range at all */
	MODEL_BAD_RANGE_FLAGS,	/* range flags zero or outside the valid mask */
	MODEL_TOO_BIG,		/* bitmap larger than the maximum */
	MODEL_FAULT,		/* bitmap not readable */
	MODEL_X2APIC_DENY,	/* default allow, and it denies an x2APIC MSR */
};

static const char *const model_why_str[] = {
	[MODEL_OK] = "accept",
	[MODEL_BAD_FLAGS] = "EINVAL (filter flags)",
	[MODEL_EMPTY_DENY] = "EINVAL (default deny, no ranges)",
	[MODEL_BAD_RANGE_FLAGS] = "EINVAL (range flags)",
	[MODEL_TOO_BIG] = "EINVAL (bitmap too big)",
	[MODEL_FAULT] = "EFAULT (bitmap unreadable)",
	[MODEL_X2APIC_DENY] = "EINVAL (denies an x2APIC MSR)",
};

/* One range as the model keeps it: a copy of the bitmap, not a pointer. */
struct model_range {
	uint32_t flags;
	uint32_t base;
	uint32_t nmsrs;
	uint8_t bitmap[KVM_MSR_FILTER_MAX_BITMAP_SIZE];
};

struct model_filter {
	bool installed;		/* false: no filter, everything is allowed */
	bool default_allow;
	int nr_ranges;
	struct model_range ranges[KVM_MSR_FILTER_MAX_RANGES];
};

enum model_access {
	MODEL_ALLOW,		/* KVM handles it; never a FILTER exit */
	MODEL_DENY,		/* exactly one exit with reason FILTER */
	MODEL_UNFILTERABLE,	/* no exit of any kind */
};

static inline bool model_is_unfilterable(uint32_t msr)
{
	return msr >= MODEL_X2APIC_FIRST && msr <= MODEL_X2APIC_LAST;
}

/* The bitmap holds one bit per MSR, in whole 64-bit words. */
static inline uint64_t model_bitmap_bytes(uint32_t nmsrs)
{
	return ((uint64_t)nmsrs + 63) / 64 * 8;
}

static inline bool model_bit(const uint8_t *bitmap, uint32_t bit)
{
	return bitmap[bit / 8] & (1u << (bit % 8));
}

/* A range covers [base, base + nmsrs) in u32 arithmetic: a wrap covers none. */
static inline bool model_covers(uint32_t base, uint32_t nmsrs, uint32_t msr)
{
	uint32_t end = base + nmsrs;

	return msr >= base && msr < end;
}

/*
 * Whether a default-allow filter denies reads or writes of an x2APIC MSR:
 * for each access type, the first (non-empty) range that covers the MSR
 * for that type decides, by its bit, as for any other MSR.
 */
static inline bool model_filter_denies_x2apic(const struct kvm_msr_filter *f,
					      const uint8_t *const *bitmaps)
{
	static const uint32_t types[] = { KVM_MSR_FILTER_READ, KVM_MSR_FILTER_WRITE };
	uint32_t msr;
	int i, t;

	for (msr = MODEL_X2APIC_FIRST; msr <= MODEL_X2APIC_LAST; msr++) {
		for (t = 0; t < 2; t++) {
			for (i = 0; i < KVM_MSR_FILTER_MAX_RANGES; i++) {
				const struct kvm_msr_filter_range *r = &f->ranges[i];

				if (!r->nmsrs || !(r->flags & types[t]) ||
				    !model_covers(r->base, r->nmsrs, msr))
					continue;
				if (!model_bit(bitmaps[i], msr - r->base))
					return true;
				break;
			}
		}
	}
	return false;
}

/*
 * Decide a KVM_X86_SET_MSR_FILTER call.  @readable[i] says whether range
 * i's whole bitmap can be read; @bitmaps[i] is its content when it can.
 * @patched: the kernel keeps the x2APIC rule (the series); the unpatched
 * kernel accepts deny bits on x2APIC MSRs and ignores them.
 */
static inline enum model_why model_decide(const struct kvm_msr_filter *f,
					  const bool *readable,
					  const uint8_t *const *bitmaps,
					  bool patched)
{
	bool empty = true, default_allow;
	int i;

	if (f->flags & ~KVM_MSR_FILTER_VALID_MASK)
		return MODEL_BAD_FLAGS;
	for (i = 0; i < KVM_MSR_FILTER_MAX_RANGES; i++)
		empty &= !f->ranges[i].nmsrs;
	default_allow = !(f->flags & KVM_MSR_FILTER_DEFAULT_DENY);
	if (empty && !default_allow)
		return MODEL_EMPTY_DENY;

	for (i = 0; i < KVM_MSR_FILTER_MAX_RANGES; i++) {
		const struct kvm_msr_filter_range *r = &f->ranges[i];
		uint64_t bytes = model_bitmap_bytes(r->nmsrs);

		if (!r->nmsrs)
			continue;	/* an unused slot: nothing checked */
		if (!r->flags || (r->flags & ~KVM_MSR_FILTER_RANGE_VALID_MASK))
			return MODEL_BAD_RANGE_FLAGS;
		if (bytes > KVM_MSR_FILTER_MAX_BITMAP_SIZE)
			return MODEL_TOO_BIG;
		if (!readable[i])
			return MODEL_FAULT;
	}
	/* Checked once every range is in: a later bad range decides first. */
	if (patched && default_allow && model_filter_denies_x2apic(f, bitmaps))
		return MODEL_X2APIC_DENY;
	return MODEL_OK;
}

static inline int model_errno(enum model_why why)
{
	if (why == MODEL_OK)
		return 0;
	return why == MODEL_FAULT ? EFAULT : EINVAL;
}

/* Record an accepted filter (only call it with readable bitmaps). */
static inline void model_install(struct model_filter *m,
				 const struct kvm_msr_filter *f,
				 const uint8_t *const *bitmaps)
{
	int i;

	memset(m, 0, sizeof(*m));
	m->installed = true;
	m->default_allow = !(f->flags & KVM_MSR_FILTER_DEFAULT_DENY);
	for (i = 0; i < KVM_MSR_FILTER_MAX_RANGES; i++) {
		const struct kvm_msr_filter_range *r = &f->ranges[i];
		struct model_range *mr;

		if (!r->nmsrs)
			continue;
		mr = &m->ranges[m->nr_ranges++];
		mr->flags = r->flags;
		mr->base = r->base;
		mr->nmsrs = r->nmsrs;
		memcpy(mr->bitmap, bitmaps[i], model_bitmap_bytes(r->nmsrs));
	}
}

/*
 * What an access of @type (KVM_MSR_FILTER_READ or _WRITE) to @msr does
 * under filter @m: the first range that covers the MSR for that type
 * decides; with none, the default action does.
 */
static inline enum model_access model_access(const struct model_filter *m,
					     uint32_t msr, uint32_t type)
{
	int i;

	if (model_is_unfilterable(msr))
		return MODEL_UNFILTERABLE;
	if (!m->installed)
		return MODEL_ALLOW;
	for (i = 0; i < m->nr_ranges; i++) {
		const struct model_range *r = &m->ranges[i];

		if ((r->flags & type) && model_covers(r->base, r->nmsrs, msr))
			return model_bit(r->bitmap, msr - r->base) ? MODEL_ALLOW : MODEL_DENY;
	}
	return m->default_allow ? MODEL_ALLOW : MODEL_DENY;
}

/* xorshift64*: small, seeded, the same sequence on every build. */
static inline uint64_t model_rand(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dull;
}

static inline uint32_t model_rand_below(uint64_t *state, uint32_t n)
{
	return n ? (uint32_t)(model_rand(state) >> 32) % n : 0;
}

#endif
