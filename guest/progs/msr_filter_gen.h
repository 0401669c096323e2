/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Seeded generator of KVM_X86_SET_MSR_FILTER arguments, valid and invalid,
 * shared by the fuzzer and the 32-bit compat program so that both throw
 * the same filters for the same seed.  Bitmaps live in a pool of pages with
 * a PROT_NONE guard page after each, so that a bitmap can be made to run
 * into the guard page (EFAULT) at any length.
 */
#ifndef MSR_FILTER_GEN_H
#define MSR_FILTER_GEN_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "msr_filter_model.h"

#define GEN_PAGE	4096u

struct gen_call {
	struct kvm_msr_filter f;
	bool readable[KVM_MSR_FILTER_MAX_RANGES];
	const uint8_t *bitmaps[KVM_MSR_FILTER_MAX_RANGES];
	char desc[256];		/* the interesting parts, for reports */
};

struct gen_pool {
	uint8_t *slot[KVM_MSR_FILTER_MAX_RANGES];	/* one page each, guard after */
};

static inline void gen_pool_init(struct gen_pool *p)
{
	uint8_t *mem;
	int i;

	mem = mmap(NULL, 2 * GEN_PAGE * KVM_MSR_FILTER_MAX_RANGES, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		perror("mmap bitmap pool");
		exit(1);
	}
	for (i = 0; i < KVM_MSR_FILTER_MAX_RANGES; i++) {
		p->slot[i] = mem + 2 * GEN_PAGE * i;
		if (mprotect(p->slot[i] + GEN_PAGE, GEN_PAGE, PROT_NONE)) {
			perror("mprotect guard page");
			exit(1);
		}
	}
}

static inline uint32_t gen_pick(uint64_t *s, const uint32_t *v, int n)
{
	return v[model_rand_below(s, n)];
}

static inline uint32_t gen_base(uint64_t *s)
{
	static const uint32_t edges[] = {
		0, 0x7ff, 0x800, 0x801, 0x8fe, 0x8ff, 0x900, 0xc0000000, 0xc0010000,
		0xffffffff, 0xfffffffe, 0xfffff800,
	};

	switch (model_rand_below(s, 6)) {
	case 0:
		return gen_pick(s, edges, sizeof(edges) / sizeof(edges[0]));
	case 1:	/* starts before the x2APIC MSRs and reaches into them */
		return 0x800 - model_rand_below(s, 0x3000);
	case 2:	/* starts inside them */
		return 0x800 + model_rand_below(s, 0x100);
	case 3:	/* base + nmsrs wraps past 0xffffffff */
		return 0xffffffff - model_rand_below(s, 0x3100);
	case 4:
		return model_rand_below(s, 0x2000);
	default:
		return (uint32_t)model_rand(s);
	}
}

static inline uint32_t gen_nmsrs(uint64_t *s)
{
	static const uint32_t edges[] = {
		0, 1, 63, 64, 65, 0x100, 0x101, MODEL_MAX_NMSRS - 1, MODEL_MAX_NMSRS,
		MODEL_MAX_NMSRS + 1, MODEL_MAX_NMSRS + 64, 0x7fffffff, 0x80000000,
		0xffffffc0, 0xffffffc1, 0xffffffff,
	};

	switch (model_rand_below(s, 5)) {
	case 0:
		return gen_pick(s, edges, sizeof(edges) / sizeof(edges[0]));
	case 1:
		return 1 + model_rand_below(s, 0x200);
	case 2:
		return MODEL_MAX_NMSRS - model_rand_below(s, 64);
	case 3:
		return 1 + model_rand_below(s, MODEL_MAX_NMSRS + 0x100);
	default:
		return model_rand_below(s, 8) ? 1 + model_rand_below(s, MODEL_MAX_NMSRS)
					      : (uint32_t)model_rand(s);
	}
}

static inline uint32_t gen_range_flags(uint64_t *s)
{
	switch (model_rand_below(s, 10)) {
	case 0:
		return 0;
	case 1:
		return 1u << model_rand_below(s, 32);
	case 2:
		return (uint32_t)model_rand(s);
	default:
		return 1 + model_rand_below(s, 3);	/* READ, WRITE or both */
	}
}

static inline uint32_t gen_filter_flags(uint64_t *s)
{
	switch (model_rand_below(s, 8)) {
	case 0:
		return 1u << model_rand_below(s, 32);
	case 1:
		return (uint32_t)model_rand(s);
	default:
		return model_rand_below(s, 2) ? KVM_MSR_FILTER_DEFAULT_DENY : 0;
	}
}

static inline void gen_clear_bit(uint8_t *b, uint32_t len, uint32_t bit)
{
	if (bit / 8 < len)
		b[bit / 8] &= ~(1u << (bit % 8));
}

/* Fill @len bytes of bitmap: all ones, all zeros, random, or a few holes. */
static inline void gen_bitmap(uint64_t *s, uint8_t *b, uint32_t len, uint32_t base,
			      uint32_t nmsrs)
{
	uint32_t i, n, msr;

	switch (model_rand_below(s, 6)) {
	case 0:
		memset(b, 0, len);
		return;
	case 1:
		for (i = 0; i < len; i++)
			b[i] = (uint8_t)model_rand(s);
		return;
	case 2:	/* everything allowed but the x2APIC MSRs it covers */
		memset(b, 0xff, len);
		for (msr = MODEL_X2APIC_FIRST; msr <= MODEL_X2APIC_LAST; msr++)
			if (model_covers(base, nmsrs, msr))
				gen_clear_bit(b, len, msr - base);
		return;
	case 3:	/* one x2APIC deny bit, if the range covers any */
		memset(b, 0xff, len);
		msr = MODEL_X2APIC_FIRST + model_rand_below(s, 0x100);
		if (model_covers(base, nmsrs, msr))
			gen_clear_bit(b, len, msr - base);
		return;
	default:	/* all allowed but a few random holes */
		memset(b, 0xff, len);
		n = model_rand_below(s, 4);
		for (i = 0; i < n; i++)
			gen_clear_bit(b, len, model_rand_below(s, nmsrs));
		return;
	}
}

/*
 * Half the calls are well-formed but for what the series is about (their
 * bitmaps may still deny x2APIC MSRs), so that filters get installed and
 * probed; the other half may be wrong in any field.
 */
static inline void gen_call(uint64_t *s, struct gen_pool *p, struct gen_call *c)
{
	int i, nr, len = 0;
	bool wellformed = model_rand_below(s, 2);

	memset(c, 0, sizeof(*c));
	c->f.flags = wellformed ? (model_rand_below(s, 2) ? KVM_MSR_FILTER_DEFAULT_DENY : 0)
				: gen_filter_flags(s);
	nr = model_rand_below(s, 4) ? model_rand_below(s, KVM_MSR_FILTER_MAX_RANGES + 1)
				    : model_rand_below(s, 3);
	len += snprintf(c->desc + len, sizeof(c->desc) - len, "flags 0x%x", c->f.flags);
	for (i = 0; i < nr; i++) {
		struct kvm_msr_filter_range *r = &c->f.ranges[i];
		uint64_t bytes;
		uint32_t off;
		uint8_t *b;

		r->flags = wellformed ? 1 + model_rand_below(s, 3) : gen_range_flags(s);
		r->base = gen_base(s);
		r->nmsrs = gen_nmsrs(s);
		if (wellformed && (!r->nmsrs || r->nmsrs > MODEL_MAX_NMSRS))
			r->nmsrs = 1 + model_rand_below(s, MODEL_MAX_NMSRS);
		bytes = model_bitmap_bytes(r->nmsrs);
		if (bytes > KVM_MSR_FILTER_MAX_BITMAP_SIZE)
			bytes = KVM_MSR_FILTER_MAX_BITMAP_SIZE;

		/* Where the bitmap lives: mostly whole, sometimes cut short. */
		off = GEN_PAGE - KVM_MSR_FILTER_MAX_BITMAP_SIZE;
		c->readable[i] = true;
		switch (wellformed ? 2 : model_rand_below(s, 12)) {
		case 0:
			b = NULL;
			c->readable[i] = false;
			break;
		case 1:	/* runs into the guard page after 0..bytes bytes */
			off = GEN_PAGE - model_rand_below(s, (uint32_t)bytes + 1);
			c->readable[i] = GEN_PAGE - off >= bytes;
			b = p->slot[i] + off;
			break;
		default:
			b = p->slot[i] + off;
			break;
		}
		if (b && c->readable[i])
			gen_bitmap(s, b, (uint32_t)bytes, r->base, r->nmsrs);
		else if (b)
			gen_bitmap(s, b, GEN_PAGE - off, r->base, r->nmsrs);
		r->bitmap = b;
		c->bitmaps[i] = b;
		if (len < (int)sizeof(c->desc) - 48)
			len += snprintf(c->desc + len, sizeof(c->desc) - len,
					", [0x%x 0x%x+0x%x%s]", r->flags, r->base, r->nmsrs,
					b ? (c->readable[i] ? "" : " cut") : " NULL");
	}
}

#endif
