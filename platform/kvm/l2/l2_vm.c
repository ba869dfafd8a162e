/*
 * l2_vm.c: the program's address space (l2.h).
 *
 * The program's pages live under the entries of the one PML4 that cover
 * the user range the platform gives (l2_plat_user_range); l2 writes those
 * tables itself, with the U bit, and the kernel's tables are never
 * touched.  Each leaf entry of a mapped page has the software bit MAPPED
 * and keeps the page's protection in software bits, whether or not it is
 * present, so the tables are the one record of the address space:
 *
 *   MAPPED, no FRAME      PROT_NONE page that never had memory (glibc
 *                         reserves big PROT_NONE ranges; they cost none)
 *   MAPPED, FRAME, !P     PROT_NONE page keeping its contents
 *   MAPPED, FRAME, P      accessible: W from PROT_WRITE, NX unless
 *                         PROT_EXEC (when the CPU has NX enabled)
 *
 * Tables that become empty are freed.  Placement: the stack at the top
 * of the range, mappings without an address below it growing down from a
 * cursor (addresses unmapped above the cursor are reused only when asked
 * for by address: 128 TiB of addresses outlast any program), the break
 * after the program.
 */
#include "l2.h"

#define PTE_P		0x001ull
#define PTE_W		0x002ull
#define PTE_U		0x004ull
#define PTE_PS		0x080ull
#define PTE_MAPPED	0x200ull	/* software: part of a mapping */
#define PTE_FRAME	0x400ull	/* software: address field valid */
#define PTE_PROT_SHIFT	52		/* software: L2_PROT_* */
#define PTE_PROT_MASK	(7ull << PTE_PROT_SHIFT)
#define PTE_NX		(1ull << 63)
#define PTE_ADDR	0x000ffffffffff000ull

#define PAGE		L2_PAGE_SIZE

/* Linux's mmap and madvise constants. */
#define MAP_SHARED	0x01
#define MAP_PRIVATE	0x02
#define MAP_TYPE	0x0f
#define MAP_FIXED	0x10
#define MAP_ANONYMOUS	0x20
#define MAP_FIXED_NOREPLACE 0x100000
#define MREMAP_MAYMOVE	1
#define MREMAP_FIXED	2
#define MADV_NORMAL	0
#define MADV_RANDOM	1
#define MADV_SEQUENTIAL	2
#define MADV_WILLNEED	3
#define MADV_DONTNEED	4
#define MADV_FREE	8

uint64_t l2_vm_pages;

static uint64_t user_lo, user_hi;	/* the user range */
static uint64_t mmap_cursor;		/* next placement ends here */
static uint64_t brk_start, brk_cur;	/* the break */
static bool nx;

static uint64_t
pg_down(uint64_t x)
{

	return x & ~(PAGE - 1);
}

static uint64_t
pg_up(uint64_t x)
{

	return pg_down(x + PAGE - 1);
}

int
l2_vm_init(void)
{

	l2_plat_user_range(&user_lo, &user_hi);
	nx = l2_plat_nx();
	mmap_cursor = user_hi;
	return 0;
}

/* Whether [va, va + len) is a non-empty range of the user range. */
static bool
in_user(uint64_t va, uint64_t len)
{

	return len > 0 && va >= user_lo && va < user_hi &&
	    len <= user_hi - va;
}

/* --- Page tables ---------------------------------------------------------- */

static uint64_t *
table_of(uint64_t entry)
{

	return l2_plat_phys_to_virt(entry & PTE_ADDR);
}

/* The leaf entry of va, making the tables on the way when create is set;
 * NULL when a table is missing (or could not be made), or when the way
 * crosses a large page (never ours). */
static uint64_t *
pte_of(uint64_t va, bool create)
{
	uint64_t *t = l2_plat_pml4();
	int shift;

	for (shift = 39; shift > 12; shift -= 9) {
		uint64_t *e = &t[(va >> shift) & 511];

		if ((*e & PTE_P) == 0) {
			void *page;

			if (!create || (page = l2_plat_page_alloc()) == NULL)
				return NULL;
			l2_vm_pages++;
			*e = l2_plat_virt_to_phys(page) | PTE_P | PTE_W | PTE_U;
		} else if ((*e & PTE_PS) != 0 || (*e & PTE_U) == 0) {
			return NULL;	/* the kernel's */
		}
		t = table_of(*e);
	}
	return &t[(va >> 12) & 511];
}

static bool
table_empty(const uint64_t *t)
{
	int i;

	for (i = 0; i < 512; i++)
		if (t[i] != 0)
			return false;
	return true;
}

/* Frees the tables on the way to va that have become empty, lowest
 * first. */
static void
prune(uint64_t va)
{
	uint64_t *path[4], *t = l2_plat_pml4();
	int level, shift;

	for (level = 0, shift = 39; shift > 12; level++, shift -= 9) {
		path[level] = &t[(va >> shift) & 511];
		if ((*path[level] & PTE_P) == 0 || (*path[level] & PTE_U) == 0)
			return;
		t = table_of(*path[level]);
	}
	for (level = 2; level >= 0; level--) {
		t = table_of(*path[level]);
		if (!table_empty(t))
			return;
		*path[level] = 0;
		l2_plat_page_free(t);
		l2_vm_pages--;
	}
}

static uint64_t
hw_bits(int prot)
{
	uint64_t e = PTE_U;

	if (prot == 0)
		return 0;
	e |= PTE_P;
	if (prot & L2_PROT_WRITE)
		e |= PTE_W;
	if (nx && !(prot & L2_PROT_EXEC))
		e |= PTE_NX;
	return e;
}

static void
pte_set_prot(uint64_t *e, int prot)
{
	uint64_t keep = *e & (PTE_ADDR | PTE_MAPPED | PTE_FRAME);

	if (!(keep & PTE_FRAME))
		keep &= ~PTE_ADDR;
	*e = keep | ((uint64_t)prot << PTE_PROT_SHIFT) |
	    ((keep & PTE_FRAME) ? hw_bits(prot) : 0);
}

/* Gives mapped entry e memory (zeroed) if it has none; false when out
 * of memory. */
static bool
pte_give_frame(uint64_t *e)
{
	void *page;

	if (*e & PTE_FRAME)
		return true;
	if ((page = l2_plat_page_alloc()) == NULL)
		return false;
	l2_vm_pages++;
	*e |= l2_plat_virt_to_phys(page) | PTE_FRAME;
	pte_set_prot(e, (int)((*e & PTE_PROT_MASK) >> PTE_PROT_SHIFT));
	return true;
}

static void
pte_clear(uint64_t va, uint64_t *e)
{

	if (*e & PTE_FRAME) {
		l2_plat_page_free(table_of(*e));
		l2_vm_pages--;
	}
	*e = 0;
	l2_plat_invlpg(va);
}

int
l2_vm_prot(uint64_t va)
{
	uint64_t *e = pte_of(va, false);

	if (e == NULL || !(*e & PTE_MAPPED))
		return -1;
	return (int)((*e & PTE_PROT_MASK) >> PTE_PROT_SHIFT);
}

bool
l2_vm_free(uint64_t va, uint64_t len)
{
	uint64_t p;

	if (!in_user(va, len))
		return false;
	for (p = va; p < va + len; p += PAGE) {
		uint64_t *e = pte_of(p, false);

		if (e != NULL && (*e & PTE_MAPPED))
			return false;
		if (e == NULL && (p & ((1ull << 21) - 1)) == 0 &&
		    len - (p - va) > (1ull << 21))
			p += (1ull << 21) - PAGE;	/* no table: 2 MiB free */
	}
	return true;
}

bool
l2_vm_mapped(uint64_t va, uint64_t len)
{
	uint64_t p;

	if (!in_user(va, len))
		return false;
	for (p = va; p < va + len; p += PAGE)
		if (l2_vm_prot(p) < 0)
			return false;
	return true;
}

void *
l2_vm_frame(uint64_t va)
{
	uint64_t *e = pte_of(pg_down(va), false);

	if (e == NULL || !(*e & PTE_MAPPED) || !pte_give_frame(e))
		return NULL;
	return (char *)table_of(*e) + (va & (PAGE - 1));
}

int
l2_vm_unmap(uint64_t va, uint64_t len)
{
	uint64_t p;

	if (!in_user(va, len))
		return L2_EINVAL;
	for (p = va; p < va + len; p += PAGE) {
		uint64_t *e = pte_of(p, false);

		if (e != NULL && (*e & PTE_MAPPED))
			pte_clear(p, e);
		/* Each 2 MiB block's tables, once, after its last page. */
		if (((p + PAGE) & ((1ull << 21) - 1)) == 0 ||
		    p + PAGE >= va + len)
			prune(p);
	}
	return 0;
}

int
l2_vm_map(uint64_t va, uint64_t len, int prot)
{
	uint64_t p;

	if (!in_user(va, len))
		return L2_ENOMEM;
	for (p = va; p < va + len; p += PAGE) {
		uint64_t *e = pte_of(p, true);

		if (e == NULL)
			goto nomem;
		*e = PTE_MAPPED | ((uint64_t)prot << PTE_PROT_SHIFT);
		/* PROT_NONE pages get memory when made accessible. */
		if (prot != 0 && !pte_give_frame(e)) {
			*e = 0;
			goto nomem;
		}
	}
	return 0;
nomem:
	if (p > va)
		l2_vm_unmap(va, p - va);
	else
		prune(va);
	return L2_ENOMEM;
}

int
l2_vm_protect(uint64_t va, uint64_t len, int prot)
{
	uint64_t p;

	if (!l2_vm_mapped(va, len))
		return L2_ENOMEM;
	/* Memory first, so that running out changes nothing. */
	if (prot != 0)
		for (p = va; p < va + len; p += PAGE)
			if (!pte_give_frame(pte_of(p, false)))
				return L2_ENOMEM;
	for (p = va; p < va + len; p += PAGE) {
		pte_set_prot(pte_of(p, false), prot);
		l2_plat_invlpg(p);
	}
	return 0;
}

/* --- Copies -------------------------------------------------------------- */

bool
l2_vm_user(uint64_t va)
{

	return va >= user_lo && va < user_hi;
}

/* Whether the program may read (write: write) all of [va, va + len). */
static bool
accessible(uint64_t va, uint64_t len, bool write)
{
	uint64_t p;
	int prot;

	if (len == 0)
		return true;
	if (!in_user(va, len))
		return false;
	for (p = pg_down(va); p < va + len; p += PAGE) {
		/* x86 pages are readable whenever present. */
		if ((prot = l2_vm_prot(p)) <= 0 ||
		    (write && !(prot & L2_PROT_WRITE)))
			return false;
	}
	return true;
}

int
l2_copyin(uint64_t uaddr, void *kaddr, size_t len)
{
	size_t done, n;

	if (!accessible(uaddr, len, false))
		return L2_EFAULT;
	for (done = 0; done < len; done += n) {
		uint64_t va = uaddr + done;

		n = PAGE - (va & (PAGE - 1));
		if (n > len - done)
			n = len - done;
		memcpy((char *)kaddr + done, l2_vm_frame(va), n);
	}
	return 0;
}

int
l2_copyout(const void *kaddr, uint64_t uaddr, size_t len)
{
	size_t done, n;

	if (!accessible(uaddr, len, true))
		return L2_EFAULT;
	for (done = 0; done < len; done += n) {
		uint64_t va = uaddr + done;

		n = PAGE - (va & (PAGE - 1));
		if (n > len - done)
			n = len - done;
		memcpy(l2_vm_frame(va), (const char *)kaddr + done, n);
	}
	return 0;
}

/* --- Placement ------------------------------------------------------------ */

void
l2_vm_layout(uint64_t prog_end, uint64_t stack_size, uint64_t *stack_lo)
{

	/* A gap of a page below the stack catches its overflow. */
	*stack_lo = user_hi - pg_up(stack_size);
	mmap_cursor = *stack_lo - PAGE;
	brk_start = brk_cur = pg_up(prog_end);
}

/* The highest mapped page of [va, va + len), or 0. */
static uint64_t
last_mapped(uint64_t va, uint64_t len)
{
	uint64_t p;

	for (p = va + len; p > va; p -= PAGE)
		if (l2_vm_prot(p - PAGE) >= 0)
			return p - PAGE;
	return 0;
}

uint64_t
l2_vm_place(uint64_t len)
{
	uint64_t va, low, last;

	len = pg_up(len);
	low = pg_up(brk_cur) > user_lo ? pg_up(brk_cur) : user_lo;
	if (len == 0 || mmap_cursor < low || len > mmap_cursor - low)
		return 0;
	va = mmap_cursor - len;
	/* Skip down past whatever was put here by address. */
	while ((last = last_mapped(va, len)) != 0) {
		if (last < low + len)
			return 0;
		va = last - len;
	}
	mmap_cursor = va;
	return va;
}

/* --- System calls --------------------------------------------------------- */

long
l2_sys_mmap(uint64_t addr, uint64_t len, int prot, int flags, int fd,
    uint64_t off)
{
	uint64_t va;
	int type = flags & MAP_TYPE, error;
	bool anon = (flags & MAP_ANONYMOUS) != 0;

	if (len == 0 || (addr & (PAGE - 1)) != 0 || (off & (PAGE - 1)) != 0 ||
	    (prot & ~(L2_PROT_READ | L2_PROT_WRITE | L2_PROT_EXEC)) != 0)
		return -L2_EINVAL;
	if (type != MAP_PRIVATE && type != MAP_SHARED && type != 0x03)
		return -L2_EINVAL;
	/* One process: a shared anonymous mapping is as good as a private
	 * one.  A shared file mapping would need the kernel's page cache
	 * behind it, which a rump kernel does not map: refused as Linux
	 * refuses it on a file system that cannot map. */
	if (!anon && type != MAP_PRIVATE)
		return -L2_ENODEV;
	len = pg_up(len);
	if (len == 0)
		return -L2_ENOMEM;

	if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
		if (!in_user(addr, len))
			return -L2_ENOMEM;
		if (!l2_vm_free(addr, len)) {
			if (flags & MAP_FIXED_NOREPLACE)
				return -L2_EEXIST;
			l2_vm_unmap(addr, len);
		}
		va = addr;
	} else if (addr != 0 && in_user(addr, len) && l2_vm_free(addr, len)) {
		va = addr;	/* the hint is free: take it, as Linux does */
	} else if ((va = l2_vm_place(len)) == 0) {
		return -L2_ENOMEM;
	}

	if (anon)
		return (error = l2_vm_map(va, len, prot)) != 0 ? -error :
		    (long)va;

	/* A private file mapping is a copy of the file's bytes; the rest
	 * of the last page, and pages past the end, stay zero. */
	if ((error = l2_vm_map(va, len, L2_PROT_READ | L2_PROT_WRITE)) != 0)
		return -error;
	{
		long n = l2_vm_file_read(fd, va, len, off);

		if (n < 0) {
			l2_vm_unmap(va, len);
			return n;
		}
	}
	if (prot != (L2_PROT_READ | L2_PROT_WRITE))
		l2_vm_protect(va, len, prot);
	return (long)va;
}

long
l2_sys_munmap(uint64_t addr, uint64_t len)
{

	if ((addr & (PAGE - 1)) != 0 || len == 0)
		return -L2_EINVAL;
	len = pg_up(len);
	if (!in_user(addr, len))
		return -L2_EINVAL;
	return -l2_vm_unmap(addr, len);
}

long
l2_sys_mprotect(uint64_t addr, uint64_t len, int prot)
{

	if ((addr & (PAGE - 1)) != 0 ||
	    (prot & ~(L2_PROT_READ | L2_PROT_WRITE | L2_PROT_EXEC)) != 0)
		return -L2_EINVAL;
	if (len == 0)
		return 0;
	return -l2_vm_protect(addr, pg_up(len), prot);
}

long
l2_sys_madvise(uint64_t addr, uint64_t len, int advice)
{
	uint64_t p;

	if ((addr & (PAGE - 1)) != 0)
		return -L2_EINVAL;
	if (len == 0)
		return 0;
	len = pg_up(len);
	switch (advice) {
	case MADV_NORMAL: case MADV_RANDOM: case MADV_SEQUENTIAL:
	case MADV_WILLNEED:
		/* Hints about paging: every page is resident here. */
		return l2_vm_mapped(addr, len) ? 0 : -L2_ENOMEM;
	case MADV_DONTNEED:
	case MADV_FREE:
		/* Private anonymous memory reads back as zeroes afterwards
		 * (DONTNEED must; FREE may): its memory is given back. */
		if (!l2_vm_mapped(addr, len))
			return -L2_ENOMEM;
		for (p = addr; p < addr + len; p += PAGE) {
			uint64_t *e = pte_of(p, false);

			if (*e & PTE_FRAME) {
				l2_plat_page_free(table_of(*e));
				l2_vm_pages--;
				*e &= ~(PTE_FRAME | PTE_ADDR | PTE_P);
				l2_plat_invlpg(p);
				if ((*e & PTE_PROT_MASK) != 0 &&
				    !pte_give_frame(e))
					return -L2_ENOMEM;
			}
		}
		return 0;
	default:
		return -L2_EINVAL;
	}
}

long
l2_sys_mremap(uint64_t old, uint64_t oldlen, uint64_t newlen, int flags,
    uint64_t newaddr)
{
	uint64_t va, p;
	int prot, error;

	if ((old & (PAGE - 1)) != 0 || newlen == 0 ||
	    (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED)) != 0 ||
	    ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE)))
		return -L2_EINVAL;
	oldlen = pg_up(oldlen);
	newlen = pg_up(newlen);
	if (oldlen == 0 || !l2_vm_mapped(old, oldlen))
		return -L2_EFAULT;
	prot = l2_vm_prot(old + oldlen - PAGE);

	if (!(flags & MREMAP_FIXED)) {
		if (newlen <= oldlen) {
			if (newlen < oldlen)
				l2_vm_unmap(old + newlen, oldlen - newlen);
			return (long)old;
		}
		/* Grow in place when the pages after it are free. */
		if (in_user(old, newlen) &&
		    l2_vm_free(old + oldlen, newlen - oldlen))
			return (error = l2_vm_map(old + oldlen,
			    newlen - oldlen, prot)) != 0 ? -error : (long)old;
		if (!(flags & MREMAP_MAYMOVE))
			return -L2_ENOMEM;
		if ((va = l2_vm_place(newlen)) == 0)
			return -L2_ENOMEM;
	} else {
		if ((newaddr & (PAGE - 1)) != 0 || !in_user(newaddr, newlen) ||
		    (newaddr < old + oldlen && old < newaddr + newlen))
			return -L2_EINVAL;
		l2_vm_unmap(newaddr, newlen);
		va = newaddr;
	}

	/* Move: the tables for the new place first (so that running out
	 * of memory changes nothing), then each entry -- the memory stays
	 * where it is, only its address changes. */
	for (p = 0; p < newlen; p += PAGE)
		if (pte_of(va + p, true) == NULL) {
			l2_vm_unmap(va, newlen);
			return -L2_ENOMEM;
		}
	for (p = 0; p < oldlen && p < newlen; p += PAGE) {
		uint64_t *from = pte_of(old + p, false);

		*pte_of(va + p, false) = *from;
		*from = 0;
		l2_plat_invlpg(old + p);
	}
	if (oldlen > newlen)
		l2_vm_unmap(old + newlen, oldlen - newlen);
	l2_vm_unmap(old, oldlen < newlen ? oldlen : newlen);	/* prune */
	if (newlen > oldlen) {
		/* The new part: the entries exist, clear; map them. */
		if ((error = l2_vm_map(va + oldlen, newlen - oldlen, prot))
		    != 0) {
			l2_vm_unmap(va, newlen);
			return -error;
		}
	}
	return (long)va;
}

long
l2_sys_brk(uint64_t addr)
{
	uint64_t have = pg_up(brk_cur), want = pg_up(addr);

	if (addr < brk_start || addr >= mmap_cursor)
		return (long)brk_cur;
	if (want > have) {
		if (!l2_vm_free(have, want - have) ||
		    l2_vm_map(have, want - have,
		    L2_PROT_READ | L2_PROT_WRITE) != 0)
			return (long)brk_cur;	/* Linux: unchanged */
	} else if (want < have) {
		l2_vm_unmap(want, have - want);
	}
	brk_cur = addr;
	return (long)brk_cur;
}
