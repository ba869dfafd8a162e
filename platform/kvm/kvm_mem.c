/*
 * kvm_mem.c: physical memory.  One pool of 4 KiB pages (the largest RAM
 * range of the boot memory map below 3 GiB, less the image), tracked by a
 * bitmap, first fit; small allocations in power-of-two size classes
 * carved from pages; a per-page class byte says how a page is used, so
 * that free needs no header.  The pool is mapped with 4 KiB pages (the
 * boot map's 2 MiB pages are split), so that a stack's guard page can be
 * made inaccessible.
 */
#include "kvm.h"
#include "rumpuser_common.h"

#define MAXRANGES	32
#define POOL_LIMIT	0xC0000000ULL	/* 3 GiB: above it, devices */
#define MIN_CLASS	4		/* 16 bytes */
#define MAX_CLASS	11		/* 2048 bytes */

extern uint64_t kvm_pd[];		/* boot.S: 4 x 512 entries */

struct range {
	uint64_t start, end;
};
static struct range ranges[MAXRANGES];
static unsigned int nranges;

static uintptr_t pool_base;		/* first page of the pool */
static size_t pool_pages, pool_free, next_fit;
/* Pages from here on have never been handed out, and are still zero as
 * the hypervisor gave them: allocating them needs no clearing (which
 * would also make the host back every page of a big thread stack). */
static size_t pool_clean;
static uint64_t *bitmap;		/* 1: in use */
static uint8_t *pageclass;		/* 0: whole pages, else size class */

struct freeobj {
	struct freeobj *next;
};
static struct freeobj *freelist[MAX_CLASS + 1];

void
kvm_mem_add_ram(uint64_t start, uint64_t end)
{

	if (nranges < MAXRANGES && end > start)
		ranges[nranges++] = (struct range){ start, end };
}

static inline bool
bit_get(size_t i)
{

	return (bitmap[i / 64] >> (i % 64)) & 1;
}

static void
bits_set(size_t first, size_t n, bool v)
{
	size_t i;

	for (i = first; i < first + n; i++) {
		if (v)
			bitmap[i / 64] |= 1ULL << (i % 64);
		else
			bitmap[i / 64] &= ~(1ULL << (i % 64));
	}
}

/* The physical address behind kernel address va, if va is one of the
 * two windows onto the first 4 GiB (the direct map, the image's). */
static bool
kernel_pa(uintptr_t va, uint64_t *pa)
{

	if (va >= DMAP && va - DMAP < 0x100000000ULL)
		*pa = va - DMAP;
	else if (va >= KERNBASE)
		*pa = va - KERNBASE;
	else
		return false;
	return true;
}

/* The 4 KiB entry of kernel address va, or NULL (a 2 MiB page, or not
 * a kernel address).  Both windows share the tables: one entry. */
static uint64_t *
pte_of(uintptr_t va)
{
	uint64_t pa, pde;

	if (!kernel_pa(va, &pa))
		return NULL;
	pde = kvm_pd[pa >> 21];
	if ((pde & PTE_P) == 0 || (pde & PTE_PS) != 0)
		return NULL;
	return (uint64_t *)kvm_phys_to_virt(pde & ~0xfffULL) +
	    ((pa >> 12) & 511);
}

bool
kvm_mapped(uintptr_t va)
{
	uint64_t *pte, pa;

	if (!kernel_pa(va, &pa))
		return false;
	if ((kvm_pd[pa >> 21] & PTE_P) == 0)
		return false;
	if ((pte = pte_of(va)) == NULL)
		return true;		/* a 2 MiB page */
	return (*pte & PTE_P) != 0;
}

static void
page_protect(uintptr_t va, bool accessible)
{
	uint64_t *pte = pte_of(va);

	if (pte == NULL)
		return;
	if (accessible)
		*pte |= PTE_P;
	else
		*pte &= ~(uint64_t)PTE_P;
	/* The page in both windows. */
	{
		uint64_t pa = 0;

		kernel_pa(va, &pa);
		__asm__ volatile("invlpg (%0)" : : "r"(pa + DMAP) : "memory");
		if (pa < 0x80000000ULL)
			__asm__ volatile("invlpg (%0)" : : "r"(pa + KERNBASE) :
			    "memory");
	}
}

void
kvm_mem_init(void)
{
	uint64_t start, end, best_start = 0, best_end = 0, a;
	uintptr_t meta, pt;
	size_t metasize, i, npt, j;
	unsigned int r;

	for (r = 0; r < nranges; r++) {
		start = ranges[r].start;
		end = ranges[r].end;
		if (start < kvm_virt_to_phys(__image_end))
			start = kvm_virt_to_phys(__image_end);
		if (end > POOL_LIMIT)
			end = POOL_LIMIT;
		start = (start + 0x1fffff) & ~0x1fffffULL;	/* whole 2 MiB */
		end &= ~0x1fffffULL;
		if (end > start && end - start > best_end - best_start) {
			best_start = start;
			best_end = end;
		}
	}
	if (best_end == best_start) {
		kvm_printf("kvm: no usable memory in the boot memory map\n");
		kvm_poweroff(1, true);
	}

	/* Page tables for the pool come first, then the bitmap and class
	 * bytes, then the pages handed out. */
	npt = (size_t)((best_end - best_start) >> 21);
	pt = (uintptr_t)best_start;		/* physical */
	for (i = 0; i < npt; i++) {
		uint64_t *t = kvm_phys_to_virt(pt + i * KVM_PAGE_SIZE);
		a = best_start + ((uint64_t)i << 21);
		for (j = 0; j < 512; j++)
			t[j] = (a + j * KVM_PAGE_SIZE) | PTE_P | PTE_W;
	}
	/* Switch the 2 MiB entries to the tables; the tables map
	 * themselves, so the switch is seamless. */
	for (i = 0; i < npt; i++)
		kvm_pd[(best_start >> 21) + i] = (pt + i * KVM_PAGE_SIZE) |
		    PTE_P | PTE_W;
	__asm__ volatile("mov %%cr3, %%rax; mov %%rax, %%cr3" : : : "rax",
	    "memory");

	meta = (uintptr_t)kvm_phys_to_virt(pt + npt * KVM_PAGE_SIZE);
	pool_pages = (size_t)((best_end - kvm_virt_to_phys((void *)meta)) /
	    KVM_PAGE_SIZE);
	metasize = (pool_pages + 63) / 64 * 8 + pool_pages;
	metasize = (metasize + KVM_PAGE_SIZE - 1) & ~(size_t)(KVM_PAGE_SIZE - 1);
	bitmap = (uint64_t *)meta;
	pageclass = (uint8_t *)(meta + (pool_pages + 63) / 64 * 8);
	memset((void *)meta, 0, metasize);
	pool_base = meta + metasize;
	pool_pages = (size_t)((best_end - kvm_virt_to_phys((void *)pool_base)) /
	    KVM_PAGE_SIZE);
	pool_free = pool_pages;
	/* The loader may have left the boot information just past the
	 * image: the first 2 MiB are cleared when used, the rest is RAM
	 * nobody has written. */
	pool_clean = pool_pages < 512 ? pool_pages : 512;
}

void
kvm_mem_stats(size_t *total, size_t *freep)
{

	*total = pool_pages;
	*freep = pool_free;
}

void *
kvm_pages_alloc(size_t npages, size_t align)
{
	size_t i, n, step, start, tries;

	if (npages == 0 || npages > pool_free)
		return NULL;
	step = align > KVM_PAGE_SIZE ? align / KVM_PAGE_SIZE : 1;
	/* Two passes: from the last fit to the end, then from the start. */
	for (tries = 0; tries < 2; tries++) {
		start = tries == 0 ? next_fit : 0;
		i = start;
		/* Align the candidate's address, not its index. */
		while (((pool_base / KVM_PAGE_SIZE + i) % step) != 0)
			i++;
		while (i + npages <= pool_pages) {
			if (bitmap[i / 64] == ~0ULL && i % 64 == 0 && step == 1) {
				i += 64;
				continue;
			}
			for (n = 0; n < npages && !bit_get(i + n); n++)
				;
			if (n == npages) {
				void *p = (void *)(pool_base + i * KVM_PAGE_SIZE);

				bits_set(i, npages, true);
				memset(pageclass + i, 0, npages);
				pool_free -= npages;
				next_fit = i + npages;
				if (i < pool_clean)
					memset(p, 0, ((i + npages < pool_clean ?
					    i + npages : pool_clean) - i) *
					    KVM_PAGE_SIZE);
				if (i + npages > pool_clean)
					pool_clean = i + npages;
				return p;
			}
			i += n + 1;
			while (((pool_base / KVM_PAGE_SIZE + i) % step) != 0)
				i++;
		}
		if (start == 0)
			break;
	}
	return NULL;
}

void
kvm_pages_free(void *p, size_t npages)
{
	size_t i = ((uintptr_t)p - pool_base) / KVM_PAGE_SIZE;

	if ((uintptr_t)p < pool_base || i + npages > pool_pages) {
		kvm_printf("kvm: freeing pages %p not from the pool\n", p);
		kvm_poweroff(1, true);
	}
	bits_set(i, npages, false);
	pool_free += npages;
	if (i < next_fit)
		next_fit = i;
}

/*
 * backend.h's memory.
 */

size_t
rumpuser__backend_pagesize(void)
{

	return KVM_PAGE_SIZE;
}

static unsigned int
class_of(size_t size)
{
	unsigned int c = MIN_CLASS;

	while (((size_t)1 << c) < size)
		c++;
	return c;
}

void *
rumpuser__backend_malloc(size_t size, size_t align)
{
	struct freeobj *o;
	unsigned int c;
	size_t n, i, objsize;
	char *page;

	if (size == 0)
		size = 1;
	if (align < size)
		align = 1;
	c = class_of(size > align ? size : align);
	if (c > MAX_CLASS) {
		if (size > SIZE_MAX - KVM_PAGE_SIZE)
			return NULL;
		return kvm_pages_alloc((size + KVM_PAGE_SIZE - 1) /
		    KVM_PAGE_SIZE, align);
	}
	if (freelist[c] == NULL) {
		/* A fresh page cut into objects of the class: each is
		 * aligned to its size, so to any smaller alignment. */
		if ((page = kvm_pages_alloc(1, 0)) == NULL)
			return NULL;
		pageclass[((uintptr_t)page - pool_base) / KVM_PAGE_SIZE] =
		    (uint8_t)c;
		objsize = (size_t)1 << c;
		n = KVM_PAGE_SIZE / objsize;
		for (i = n; i-- > 0;) {
			o = (struct freeobj *)(page + i * objsize);
			o->next = freelist[c];
			freelist[c] = o;
		}
	}
	o = freelist[c];
	freelist[c] = o->next;
	o->next = NULL;
	return o;
}

void
rumpuser__backend_free(void *p, size_t size)
{
	struct freeobj *o = p;
	size_t i;
	unsigned int c;

	if (p == NULL)
		return;
	i = ((uintptr_t)p - pool_base) / KVM_PAGE_SIZE;
	if ((uintptr_t)p < pool_base || i >= pool_pages) {
		kvm_printf("kvm: free(%p): not from the pool\n", p);
		kvm_poweroff(1, true);
	}
	c = pageclass[i];
	if (c == 0) {
		kvm_pages_free(p, (size + KVM_PAGE_SIZE - 1) / KVM_PAGE_SIZE);
		return;
	}
	/* Small objects go back to their class (pages are not returned:
	 * the classes keep what they grew to). */
	o->next = freelist[c];
	freelist[c] = o;
}

int
rumpuser__backend_pages_alloc(void *hint, size_t size, size_t align,
    int flags, void **pagesp)
{
	size_t npages = (size + KVM_PAGE_SIZE - 1) / KVM_PAGE_SIZE;
	bool guard = (flags & RUMPUSER__PAGES_GUARD) != 0;
	char *p;

	(void)hint;
	if (npages == 0)
		return NB_EINVAL;
	if (!guard) {
		if ((p = kvm_pages_alloc(npages, align)) == NULL)
			return NB_ENOMEM;
		*pagesp = p;
		return 0;
	}
	/* The guard page below, then the pages: aligned as asked. */
	if (align > KVM_PAGE_SIZE) {
		if ((p = kvm_pages_alloc(npages + align / KVM_PAGE_SIZE,
		    align)) == NULL)
			return NB_ENOMEM;
		/* Give back all but the last guard page of the lead. */
		kvm_pages_free(p, align / KVM_PAGE_SIZE - 1);
		p += align - KVM_PAGE_SIZE;
	} else if ((p = kvm_pages_alloc(npages + 1, 0)) == NULL)
		return NB_ENOMEM;
	page_protect((uintptr_t)p, false);
	*pagesp = p + KVM_PAGE_SIZE;
	return 0;
}

void
rumpuser__backend_pages_free(void *pages, size_t size, int flags)
{
	size_t npages = (size + KVM_PAGE_SIZE - 1) / KVM_PAGE_SIZE;
	char *p = pages;

	if (flags & RUMPUSER__PAGES_GUARD) {
		p -= KVM_PAGE_SIZE;
		page_protect((uintptr_t)p, true);
		npages++;
	}
	kvm_pages_free(p, npages);
}

int
kvm_map_mmio(uint64_t phys, uint64_t size)
{
	/* Below 4 GiB the boot map covers it. */
	if (phys + size <= 0x100000000ULL)
		return 0;
	return NB_EINVAL;
}
