/*
 * t_mem.c: memory on any platform: rumpuser_malloc returns memory aligned
 * as asked (every power of two up to a page, 0 meaning any type's), the
 * whole length usable; a non-power-of-two alignment is EINVAL (22);
 * rumpuser_anonmmap aligns to 1 << alignbit and hands out zeroed memory.
 *
 * Portable: nothing but rumpuser calls and the stub kernel of
 * h_hyperup.h.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include <atf-c.h>

#include <rump/rumpuser.h>

#include "h_hyperup.h"

#define NALLOC	64	/* allocations of each alignment, of growing size */

ATF_TC(malloc_alignment);
ATF_TC_HEAD(malloc_alignment, tc)
{
	atf_tc_set_md_var(tc, "descr", "rumpuser_malloc with alignment 0, "
	    "1, 2, ..., 4096 returns memory aligned to it (0: 16 bytes, "
	    "suitable for any type), 64 allocations each, all of it "
	    "writable; alignment 3 and -8 are EINVAL");
}
ATF_TC_BODY(malloc_alignment, tc)
{
	void *mem[NALLOC];
	size_t len;
	int align, want, misaligned;

	ATF_REQUIRE_EQ(0, stub_init(1));
	for (align = 0; align <= 4096; align = align == 0 ? 1 : 2 * align) {
		/* 0 asks for what suits any type: 16 bytes on every
		 * supported ABI. */
		want = align != 0 ? align : 16;
		misaligned = 0;
		for (int i = 0; i < NALLOC; i++) {
			len = 8 + (size_t)i * 24;
			ATF_REQUIRE_EQ_MSG(0, rumpuser_malloc(len, align,
			    &mem[i]), "rumpuser_malloc(%zu, %d)", len, align);
			if ((uintptr_t)mem[i] % (uintptr_t)want != 0)
				misaligned++;
			memset(mem[i], 0xa5, len);
		}
		ATF_CHECK_EQ_MSG(0, misaligned, "alignment %d: %d of %d "
		    "allocations not aligned to %d bytes", align, misaligned,
		    NALLOC, want);
		for (int i = 0; i < NALLOC; i++)
			rumpuser_free(mem[i], 8 + (size_t)i * 24);
	}
	ATF_CHECK_EQ(NB_EINVAL, rumpuser_malloc(64, 3, &mem[0]));
	ATF_CHECK_EQ(NB_EINVAL, rumpuser_malloc(64, -8, &mem[0]));
}

ATF_TC(anonmmap_alignment);
ATF_TC_HEAD(anonmmap_alignment, tc)
{
	atf_tc_set_md_var(tc, "descr", "rumpuser_anonmmap of 3 pages with "
	    "alignbit 0, 12, 16, 20, 21 is aligned to 1 << alignbit (at "
	    "least a page), zeroed and writable; rumpuser_unmap frees it");
}
ATF_TC_BODY(anonmmap_alignment, tc)
{
	static const int bits[] = { 0, 12, 16, 20, 21 };
	const uintptr_t pagesize = (uintptr_t)sysconf(_SC_PAGESIZE);
	const size_t len = 3 * pagesize;
	unsigned char *p;
	void *mem;
	uintptr_t want;

	ATF_REQUIRE_EQ(0, stub_init(1));
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		ATF_REQUIRE_EQ_MSG(0, rumpuser_anonmmap(NULL, len, bits[i], 0,
		    &mem), "rumpuser_anonmmap(alignbit %d)", bits[i]);
		want = (uintptr_t)1 << bits[i];
		if (want < pagesize)
			want = pagesize;
		ATF_CHECK_EQ_MSG(0, (uintptr_t)mem % want, "alignbit %d: "
		    "mapped at %p", bits[i], mem);
		p = mem;
		for (size_t j = 0; j < len; j++)
			if (p[j] != 0) {
				ATF_CHECK_MSG(false, "alignbit %d: byte %zu "
				    "is %#x, not 0", bits[i], j, p[j]);
				break;
			}
		memset(mem, 0x5a, len);
		rumpuser_unmap(mem, len);
	}
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, malloc_alignment);
	ATF_TP_ADD_TC(tp, anonmmap_alignment);
	return atf_no_error();
}
