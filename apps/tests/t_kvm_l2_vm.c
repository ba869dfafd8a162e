/*
 * t_kvm_l2_vm: the kvm platform's address space for static programs
 * (platform/kvm/l2/l2_vm.c: page tables, mmap, munmap, mprotect, madvise,
 * mremap, brk), run on the host.
 *
 * l2_vm.c writes x86-64 page tables through a small platform interface
 * (l2.h: l2_plat_*).  Here that interface is a pool of pages in a buffer
 * standing for physical memory, with a limit, so the tests can walk the
 * tables the code wrote, check every entry bit the processor would read
 * (present, writable, user, no-execute, the address), count the memory
 * in use and run out of it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <atf-c.h>

/* What l2.h declares, for the host (l2.h itself is freestanding). */
#define L2_PROT_READ	1
#define L2_PROT_WRITE	2
#define L2_PROT_EXEC	4
int l2_vm_init(void);
int l2_vm_map(uint64_t va, uint64_t len, int prot);
int l2_vm_unmap(uint64_t va, uint64_t len);
int l2_vm_protect(uint64_t va, uint64_t len, int prot);
int l2_vm_prot(uint64_t va);
void *l2_vm_frame(uint64_t va);
extern uint64_t l2_vm_pages;
void l2_vm_layout(uint64_t prog_end, uint64_t stack_size, uint64_t *stack_lo);
long l2_sys_mmap(uint64_t addr, uint64_t len, int prot, int flags, int fd,
    uint64_t off);
long l2_sys_munmap(uint64_t addr, uint64_t len);
long l2_sys_mprotect(uint64_t addr, uint64_t len, int prot);
long l2_sys_madvise(uint64_t addr, uint64_t len, int advice);
long l2_sys_mremap(uint64_t old, uint64_t oldlen, uint64_t newlen,
    int flags, uint64_t newaddr);
long l2_sys_brk(uint64_t addr);
int l2_copyin(uint64_t uaddr, void *kaddr, size_t len);
/* l2.h's address spaces (l2.h needs the platform's freestanding types). */
struct l2_vm {
	uint64_t	*pml4;
	uint64_t	 mmap_cursor;
	uint64_t	 brk_start, brk_cur;
	uint64_t	 pages;
	int		 refs;
};
extern struct l2_vm *l2_vm_cur;
struct l2_vm *l2_vm_create(void);
int l2_vm_copy(struct l2_vm *from, struct l2_vm *to);
void l2_vm_destroy(struct l2_vm *vm);
int l2_copyout(const void *kaddr, uint64_t uaddr, size_t len);
_Bool l2_vm_fault(uint64_t va, _Bool write);

#define PAGE		4096l
#define NPAGES		8192		/* 32 MiB of "physical memory" */
#define USER_LO		0x200000ull
#define USER_HI		0x7ffffffff000ull

#define PTE_P		0x001ull
#define PTE_W		0x002ull
#define PTE_U		0x004ull
#define PTE_NX		(1ull << 63)
#define PTE_ADDR	0x000ffffffffff000ull

/* Linux's values, as the program passes them. */
#define MAP_SHARED	0x01
#define MAP_PRIVATE	0x02
#define MAP_FIXED	0x10
#define MAP_ANONYMOUS	0x20
#define MAP_FIXED_NOREPLACE 0x100000
#define MREMAP_MAYMOVE	1
#define MREMAP_FIXED	2
#define MADV_DONTNEED	4
#define MADV_WILLNEED	3
#define ANON		(MAP_PRIVATE | MAP_ANONYMOUS)
#define RW		(L2_PROT_READ | L2_PROT_WRITE)

/* --- The fake platform ---------------------------------------------------- */

static unsigned char *arena;
static unsigned char used[NPAGES];
static size_t nused, limit = NPAGES;
static uint64_t *pml4;
static int nx_on = 1;

void *
l2_plat_page_alloc(void)
{
	size_t i;

	if (nused >= limit)
		return NULL;
	for (i = 0; i < NPAGES; i++)
		if (!used[i]) {
			used[i] = 1;
			nused++;
			memset(arena + i * PAGE, 0, PAGE);
			return arena + i * PAGE;
		}
	return NULL;
}

void
l2_plat_page_free(void *p)
{
	size_t i = (size_t)((unsigned char *)p - arena) / PAGE;

	ATF_REQUIRE_MSG(i < NPAGES && used[i], "freeing page %zu twice", i);
	/* Poison: memory handed back must not be read again. */
	memset(p, 0xdb, PAGE);
	used[i] = 0;
	nused--;
}

/* Physical addresses start at 1 MiB, so that 0 is never one. */
uint64_t
l2_plat_virt_to_phys(const void *p)
{

	return (uint64_t)((const unsigned char *)p - arena) + 0x100000;
}

void *
l2_plat_phys_to_virt(uint64_t pa)
{

	ATF_REQUIRE(pa >= 0x100000 && pa < 0x100000 + NPAGES * PAGE);
	return arena + (pa - 0x100000);
}

uint64_t *
l2_plat_pml4(void)
{

	return pml4;
}

_Bool l2_plat_nx(void);
_Bool
l2_plat_nx(void)
{

	return nx_on;
}

void l2_plat_invlpg(uint64_t va);
void
l2_plat_invlpg(uint64_t va)
{

	(void)va;
}

void l2_plat_tlb_flush(void);
void
l2_plat_tlb_flush(void)
{
}

void l2_plat_user_range(uint64_t *lo, uint64_t *hi);
void
l2_plat_user_range(uint64_t *lo, uint64_t *hi)
{

	*lo = USER_LO;
	*hi = USER_HI;
}

/* File mappings read through the kernel in the guest; here the "file"
 * of descriptor fd is bytes fd, fd+1, ... from offset 0, 10000 long. */
long l2_vm_file_read(int fd, uint64_t va, uint64_t len, uint64_t off);
long
l2_vm_file_read(int fd, uint64_t va, uint64_t len, uint64_t off)
{
	uint64_t i;

	if (fd < 0)
		return -9;
	for (i = 0; i < len && off + i < 10000; i++)
		*(unsigned char *)l2_vm_frame(va + i) =
		    (unsigned char)(fd + off + i);
	return (long)i;
}

static void
setup(void)
{

	arena = aligned_alloc(PAGE, NPAGES * PAGE);
	ATF_REQUIRE(arena != NULL);
	memset(used, 0, sizeof(used));
	nused = 0;
	limit = NPAGES;
	pml4 = l2_plat_page_alloc();
	ATF_REQUIRE_EQ(l2_vm_init(), 0);
	{
		uint64_t stack_lo;

		l2_vm_layout(0x500000, 1 << 20, &stack_lo);
		ATF_CHECK_EQ(stack_lo, USER_HI - (1 << 20));
	}
}

/* --- Walking the tables as the processor does ----------------------------- */

/* The leaf entry of va, with the permissions of the whole way ANDed in
 * (P, W, U; NX ORed); 0 when not present. */
static uint64_t
walk(uint64_t va)
{
	uint64_t *t = pml4, e = 0, allow = PTE_P | PTE_W | PTE_U, nxbit = 0;
	int shift;

	for (shift = 39; shift >= 12; shift -= 9) {
		e = t[(va >> shift) & 511];
		if (!(e & PTE_P))
			return 0;
		allow &= e;
		nxbit |= e & PTE_NX;
		if (shift > 12)
			t = l2_plat_phys_to_virt(e & PTE_ADDR);
	}
	return (e & PTE_ADDR) | allow | nxbit;
}

/* walk() in the address space of page map root. */
static uint64_t
walk_in(uint64_t *root, uint64_t va)
{
	uint64_t *save = pml4, e;

	pml4 = root;
	e = walk(va);
	pml4 = save;
	return e;
}

static unsigned char *
at(uint64_t va)
{
	uint64_t e = walk(va);

	ATF_REQUIRE_MSG(e & PTE_P, "%#lx not present", (unsigned long)va);
	return (unsigned char *)l2_plat_phys_to_virt(e & PTE_ADDR) +
	    (va & (PAGE - 1));
}

/* --- Cases ---------------------------------------------------------------- */

ATF_TC_WITHOUT_HEAD(map_bits);
ATF_TC_BODY(map_bits, tc)
{
	const uint64_t va = 0x400000;
	size_t base;
	uint64_t e;

	setup();
	base = nused;
	ATF_REQUIRE_EQ(l2_vm_map(va, 3 * PAGE, L2_PROT_READ | L2_PROT_EXEC), 0);
	ATF_REQUIRE_EQ(l2_vm_map(va + 3 * PAGE, 2 * PAGE, RW), 0);
	/* 5 pages + a PDPT, a PD and a PT. */
	ATF_CHECK_EQ(nused - base, 8);
	ATF_CHECK_EQ(l2_vm_pages, 8);
	e = walk(va);
	ATF_CHECK((e & (PTE_P | PTE_U)) == (PTE_P | PTE_U));
	ATF_CHECK(!(e & PTE_W) && !(e & PTE_NX));
	e = walk(va + 3 * PAGE);
	ATF_CHECK((e & (PTE_P | PTE_U | PTE_W | PTE_NX)) ==
	    (PTE_P | PTE_U | PTE_W | PTE_NX));
	ATF_CHECK_EQ(walk(va + 5 * PAGE), 0);
	ATF_CHECK_EQ(walk(va - PAGE), 0);
	/* Fresh memory is zero and pages are distinct. */
	ATF_CHECK(at(va)[100] == 0);
	at(va + 3 * PAGE)[0] = 7;
	ATF_CHECK(at(va + 4 * PAGE)[0] == 0);
	ATF_CHECK_EQ(l2_vm_prot(va + PAGE), L2_PROT_READ | L2_PROT_EXEC);
	ATF_CHECK_EQ(l2_vm_prot(va + 5 * PAGE), -1);

	/* Everything back, tables too. */
	ATF_REQUIRE_EQ(l2_vm_unmap(va, 5 * PAGE), 0);
	ATF_CHECK_EQ(nused, base);
	ATF_CHECK_EQ(l2_vm_pages, 0);
	ATF_CHECK_EQ(walk(va), 0);

	/* Without NX enabled, the bit must never be set (reserved). */
	nx_on = 0;
	l2_vm_init();
	ATF_REQUIRE_EQ(l2_vm_map(va, PAGE, RW), 0);
	ATF_CHECK(!(walk(va) & PTE_NX));
	nx_on = 1;
}

ATF_TC_WITHOUT_HEAD(prot_none_costs_nothing);
ATF_TC_BODY(prot_none_costs_nothing, tc)
{
	long va;
	size_t base;

	setup();
	base = nused;
	/* glibc reserves 64 MiB per arena like this. */
	va = l2_sys_mmap(0, 64 << 20, 0, ANON | 0x4000 /* NORESERVE */, -1, 0);
	ATF_REQUIRE(va > 0);
	ATF_CHECK(nused - base < 40);	/* tables only */
	ATF_CHECK_EQ(walk((uint64_t)va), 0);
	ATF_CHECK_EQ(l2_vm_prot((uint64_t)va), 0);
	/* A part made usable gets memory, zeroed. */
	ATF_REQUIRE_EQ(l2_sys_mprotect((uint64_t)va, 16 * PAGE, RW), 0);
	ATF_CHECK(nused - base >= 16 && nused - base < 60);
	ATF_CHECK(at((uint64_t)va + 15 * PAGE)[4095] == 0);
	at((uint64_t)va)[0] = 42;
	/* PROT_NONE again keeps the contents, not present. */
	ATF_REQUIRE_EQ(l2_sys_mprotect((uint64_t)va, PAGE, 0), 0);
	ATF_CHECK_EQ(walk((uint64_t)va), 0);
	ATF_REQUIRE_EQ(l2_sys_mprotect((uint64_t)va, PAGE, L2_PROT_READ), 0);
	ATF_CHECK_EQ(at((uint64_t)va)[0], 42);
	ATF_CHECK(!(walk((uint64_t)va) & PTE_W));
	ATF_REQUIRE_EQ(l2_sys_munmap((uint64_t)va, 64 << 20), 0);
	ATF_CHECK_EQ(nused, base);
}

ATF_TC_WITHOUT_HEAD(mmap_placement);
ATF_TC_BODY(mmap_placement, tc)
{
	long a, b, c, d;

	setup();
	a = l2_sys_mmap(0, 10000, RW, ANON, -1, 0);
	b = l2_sys_mmap(0, PAGE, L2_PROT_READ, ANON, -1, 0);
	ATF_REQUIRE(a > 0 && b > 0);
	ATF_CHECK_EQ(a % PAGE, 0);
	/* Below the stack's guard gap, not overlapping. */
	ATF_CHECK((uint64_t)a + 3 * PAGE <= USER_HI - (1 << 20) - PAGE);
	ATF_CHECK((uint64_t)b + PAGE <= (uint64_t)a || (uint64_t)b >= (uint64_t)a + 3 * PAGE);
	/* A free hint is taken; a taken one is not. */
	c = l2_sys_mmap(0x10000000, PAGE, RW, ANON, -1, 0);
	ATF_CHECK_EQ(c, 0x10000000);
	d = l2_sys_mmap(0x10000000, PAGE, RW, ANON, -1, 0);
	ATF_CHECK(d > 0 && d != 0x10000000);
	/* FIXED replaces (with zeroes); FIXED_NOREPLACE refuses. */
	at(0x10000000)[5] = 9;
	ATF_CHECK_EQ(l2_sys_mmap(0x10000000, PAGE, RW, ANON | MAP_FIXED_NOREPLACE,
	    -1, 0), -17);
	ATF_CHECK_EQ(at(0x10000000)[5], 9);
	ATF_CHECK_EQ(l2_sys_mmap(0x10000000, 2 * PAGE, RW, ANON | MAP_FIXED,
	    -1, 0), 0x10000000);
	ATF_CHECK_EQ(at(0x10000000)[5], 0);
	/* Errors as Linux gives them. */
	ATF_CHECK_EQ(l2_sys_mmap(0, 0, RW, ANON, -1, 0), -22);
	ATF_CHECK_EQ(l2_sys_mmap(0x10000001, PAGE, RW, ANON | MAP_FIXED, -1, 0),
	    -22);
	ATF_CHECK_EQ(l2_sys_mmap(0, PAGE, RW, MAP_ANONYMOUS, -1, 0), -22);
	ATF_CHECK_EQ(l2_sys_mmap(0, PAGE, RW, MAP_SHARED, 5, 0), -19);
	ATF_CHECK_EQ(l2_sys_mmap(0x1000, PAGE, RW, ANON | MAP_FIXED, -1, 0),
	    -12);
	ATF_CHECK_EQ(l2_sys_munmap(0x10000001, PAGE), -22);
	/* Partial munmap splits. */
	ATF_CHECK_EQ(l2_sys_munmap(0x10000000, PAGE), 0);
	ATF_CHECK_EQ(walk(0x10000000), 0);
	ATF_CHECK(walk(0x10000000 + PAGE) & PTE_P);
	/* mprotect of a range with a hole: ENOMEM, nothing changed. */
	ATF_CHECK_EQ(l2_sys_mprotect(0x10000000, 2 * PAGE, L2_PROT_READ), -12);
	ATF_CHECK(walk(0x10000000 + PAGE) & PTE_W);
}

ATF_TC_WITHOUT_HEAD(file_mapping);
ATF_TC_BODY(file_mapping, tc)
{
	long va;

	setup();
	/* 10000-byte file at offset 8192: 1808 bytes, then zeroes. */
	va = l2_sys_mmap(0, 3 * PAGE, L2_PROT_READ, MAP_PRIVATE, 3, 2 * PAGE);
	ATF_REQUIRE(va > 0);
	ATF_CHECK_EQ(at((uint64_t)va)[0], (unsigned char)(3 + 8192));
	ATF_CHECK_EQ(at((uint64_t)va)[1807], (unsigned char)(3 + 9999));
	ATF_CHECK_EQ(at((uint64_t)va)[1808], 0);
	ATF_CHECK_EQ(at((uint64_t)va + 2 * PAGE)[0], 0);
	ATF_CHECK(!(walk((uint64_t)va) & PTE_W));
	ATF_CHECK_EQ(l2_sys_mmap(0, PAGE, RW, MAP_PRIVATE, -1, 0), -9);
	ATF_CHECK_EQ(l2_sys_mmap(0, PAGE, RW, MAP_PRIVATE, 3, 100), -22);
}

ATF_TC_WITHOUT_HEAD(mremap_madvise);
ATF_TC_BODY(mremap_madvise, tc)
{
	long a, b, blocker;
	size_t base;
	uint64_t i;

	setup();
	base = nused;
	a = l2_sys_mmap(0x20000000, 4 * PAGE, RW, ANON, -1, 0);
	ATF_REQUIRE_EQ(a, 0x20000000);
	for (i = 0; i < 4; i++)
		at(a + i * PAGE)[1] = (unsigned char)(i + 1);
	/* Grow in place into free pages. */
	ATF_CHECK_EQ(l2_sys_mremap(a, 4 * PAGE, 6 * PAGE, 0, 0), a);
	ATF_CHECK_EQ(at(a + 5 * PAGE)[1], 0);
	/* Blocked: without MAYMOVE ENOMEM, with it a move that keeps the
	 * bytes (the same memory under new addresses). */
	blocker = l2_sys_mmap(a + 6 * PAGE, PAGE, RW, ANON | MAP_FIXED, -1, 0);
	ATF_REQUIRE_EQ(blocker, a + 6 * PAGE);
	ATF_CHECK_EQ(l2_sys_mremap(a, 6 * PAGE, 8 * PAGE, 0, 0), -12);
	b = l2_sys_mremap(a, 6 * PAGE, 8 * PAGE, MREMAP_MAYMOVE, 0);
	ATF_REQUIRE(b > 0 && b != a);
	for (i = 0; i < 4; i++)
		ATF_CHECK_EQ(at(b + i * PAGE)[1], i + 1);
	ATF_CHECK_EQ(at(b + 7 * PAGE)[0], 0);
	ATF_CHECK_EQ(walk(a), 0);
	ATF_CHECK_EQ(l2_vm_prot(a), -1);
	/* Shrink. */
	ATF_CHECK_EQ(l2_sys_mremap(b, 8 * PAGE, 2 * PAGE, 0, 0), b);
	ATF_CHECK_EQ(walk(b + 2 * PAGE), 0);
	/* Not mapped: EFAULT. */
	ATF_CHECK_EQ(l2_sys_mremap(a, PAGE, 2 * PAGE, MREMAP_MAYMOVE, 0), -14);
	/* DONTNEED: zeroes afterwards. */
	ATF_CHECK_EQ(l2_sys_madvise(b, 2 * PAGE, MADV_DONTNEED), 0);
	ATF_CHECK_EQ(at(b)[1], 0);
	ATF_CHECK_EQ(l2_sys_madvise(b, PAGE, MADV_WILLNEED), 0);
	ATF_CHECK_EQ(l2_sys_madvise(b, PAGE, 12345), -22);
	ATF_CHECK_EQ(l2_sys_madvise(a, PAGE, MADV_DONTNEED), -12);
	l2_sys_munmap(b, 2 * PAGE);
	l2_sys_munmap(blocker, PAGE);
	ATF_CHECK_EQ(nused, base);
}

ATF_TC_WITHOUT_HEAD(brk);
ATF_TC_BODY(brk, tc)
{
	long cur;

	setup();
	cur = l2_sys_brk(0);
	ATF_CHECK_EQ(cur, 0x500000);
	ATF_CHECK_EQ(l2_sys_brk(0x500000 + 10000), 0x500000 + 10000);
	at(0x500000 + 9999)[0] = 1;
	ATF_CHECK_EQ(walk(0x500000 + 3 * PAGE), 0);
	ATF_CHECK_EQ(l2_sys_brk(0x500000 + 100), 0x500000 + 100);
	ATF_CHECK_EQ(walk(0x500000 + PAGE), 0);
	ATF_CHECK(walk(0x500000) & PTE_W);
	/* Below the start, or into a mapping: unchanged. */
	ATF_CHECK_EQ(l2_sys_brk(0x400000), 0x500000 + 100);
	ATF_REQUIRE_EQ(l2_sys_mmap(0x500000 + 4 * PAGE, PAGE, RW,
	    ANON | MAP_FIXED, -1, 0), 0x500000 + 4 * PAGE);
	ATF_CHECK_EQ(l2_sys_brk(0x500000 + 8 * PAGE), 0x500000 + 100);
}

ATF_TC_WITHOUT_HEAD(out_of_memory);
ATF_TC_BODY(out_of_memory, tc)
{
	size_t base;
	long va;

	setup();
	base = nused;
	limit = nused + 100;
	/* Too big: ENOMEM, and nothing left behind. */
	ATF_CHECK_EQ(l2_sys_mmap(0, 200 * PAGE, RW, ANON, -1, 0), -12);
	ATF_CHECK_EQ(nused, base);
	ATF_CHECK_EQ(l2_vm_pages, 0);
	va = l2_sys_mmap(0, 400 * PAGE, 0, ANON, -1, 0);
	ATF_REQUIRE(va > 0);
	ATF_CHECK_EQ(l2_sys_mprotect(va, 200 * PAGE, RW), -12);
	ATF_CHECK_EQ(l2_vm_prot(va), 0);
	ATF_CHECK_EQ(l2_sys_munmap(va, 400 * PAGE), 0);
	ATF_CHECK_EQ(nused, base);
}

ATF_TC_WITHOUT_HEAD(copies);
ATF_TC_BODY(copies, tc)
{
	char buf[3 * PAGE], back[3 * PAGE];
	int i;

	setup();
	for (i = 0; i < (int)sizeof(buf); i++)
		buf[i] = (char)(i * 13);
	ATF_REQUIRE_EQ(l2_sys_mmap(0x30000000, 4 * PAGE, RW, ANON | MAP_FIXED,
	    -1, 0), 0x30000000);
	/* Across pages, unaligned, both ways. */
	ATF_CHECK_EQ(l2_copyout(buf, 0x30000000 + 100, sizeof(buf)), 0);
	ATF_CHECK_EQ(at(0x30000000 + 100 + PAGE)[0], (unsigned char)buf[PAGE]);
	memset(back, 0, sizeof(back));
	ATF_CHECK_EQ(l2_copyin(0x30000000 + 100, back, sizeof(back)), 0);
	ATF_CHECK(memcmp(buf, back, sizeof(buf)) == 0);
	/* Past the end, into a hole, read-only, PROT_NONE, outside user
	 * space: EFAULT (14), nothing written. */
	ATF_CHECK_EQ(l2_copyout(buf, 0x30000000 + 3 * PAGE, 2 * PAGE), 14);
	ATF_CHECK_EQ(at(0x30000000 + 3 * PAGE)[100], 0);
	ATF_CHECK_EQ(l2_copyin(0x30000000 + 4 * PAGE, back, 1), 14);
	ATF_REQUIRE_EQ(l2_sys_mprotect(0x30000000, PAGE, L2_PROT_READ), 0);
	ATF_CHECK_EQ(l2_copyout(buf, 0x30000000 + 10, 1), 14);
	ATF_CHECK_EQ(l2_copyin(0x30000000 + 10, back, 1), 0);
	ATF_REQUIRE_EQ(l2_sys_mprotect(0x30000000, PAGE, 0), 0);
	ATF_CHECK_EQ(l2_copyin(0x30000000 + 10, back, 1), 14);
	ATF_CHECK_EQ(l2_copyin(0x1000, back, 1), 14);
	ATF_CHECK_EQ(l2_copyin(0xffff800000000000ull, back, 1), 14);
	ATF_CHECK_EQ(l2_copyout(buf, 0, 0), 0);
}

/* fork's copy: a second space shares the kernel's entries, gets every
 * mapping with its protection, its memory shared copy-on-write (the
 * same frames, writable by neither); the first write on either side
 * (a copyout, or the program's page fault) copies the page, unless the
 * other side has let go of it; both go back whole, also after running
 * out of memory half way. */
ATF_TC_WITHOUT_HEAD(spaces);
ATF_TC_BODY(spaces, tc)
{
	struct l2_vm *vm0, *vm1;
	unsigned char buf[64];
	size_t base, before;
	uint64_t e0, e1, a, tables;
	int i;

	setup();
	/* An entry of the kernel's half (no U bit). */
	pml4[300] = l2_plat_virt_to_phys(l2_plat_page_alloc()) | PTE_P | PTE_W;
	base = nused;
	vm0 = l2_vm_cur;
	ATF_REQUIRE_EQ(l2_vm_map(0x400000, 2 * PAGE, L2_PROT_READ |
	    L2_PROT_EXEC), 0);
	ATF_REQUIRE_EQ(l2_vm_map(0x600000, 3 * PAGE, RW), 0);
	ATF_REQUIRE_EQ(l2_vm_map(0x700000, 4 * PAGE, 0), 0);	/* no memory */
	at(0x400000)[5] = 0x11;
	at(0x600000 + PAGE)[1] = 0x44;
	at(0x600000 + 2 * PAGE)[7] = 0x22;
	ATF_CHECK(l2_sys_brk(0x500000 + 2 * PAGE) == 0x500000 + 2 * PAGE);

	before = nused;
	tables = l2_vm_pages;
	vm1 = l2_vm_create();
	ATF_REQUIRE(vm1 != NULL);
	ATF_CHECK_EQ(vm1->pml4[300], pml4[300]);
	for (i = 0; i < 256; i++)
		ATF_CHECK_EQ(vm1->pml4[i], 0);
	ATF_REQUIRE_EQ(l2_vm_copy(vm0, vm1), 0);
	ATF_CHECK_EQ(vm1->brk_cur, vm0->brk_cur);
	ATF_CHECK_EQ(vm1->mmap_cursor, vm0->mmap_cursor);
	ATF_CHECK_EQ(vm1->pages, vm0->pages);
	/* No memory copied: the space's page and page map, and 4 tables
	 * (a PDPT, a PD, two PTs). */
	ATF_CHECK_EQ(l2_vm_pages - tables, 2 + 4);
	for (i = 0; i < 3; i++) {
		uint64_t va = 0x600000 + (uint64_t)i * PAGE;

		e0 = walk_in(pml4, va);
		e1 = walk_in(vm1->pml4, va);
		ATF_CHECK(e0 & PTE_P);
		ATF_CHECK_EQ(e0, e1);		/* the same frame */
		ATF_CHECK(!(e0 & PTE_W));	/* for both, until written */
	}
	ATF_CHECK(!(walk_in(vm1->pml4, 0x400000) & PTE_W));
	ATF_CHECK_EQ(walk_in(vm1->pml4, 0x700000), 0);	/* still none */
	/* Contents shared; a write in one space is not seen in the other. */
	l2_vm_cur = vm1;
	ATF_CHECK_EQ(l2_vm_prot(0x700000), 0);
	ATF_CHECK_EQ(l2_vm_prot(0x400000), L2_PROT_READ | L2_PROT_EXEC);
	ATF_CHECK_EQ(l2_vm_prot(0x600000), RW);
	ATF_REQUIRE_EQ(l2_copyin(0x400000, buf, 8), 0);
	ATF_CHECK_EQ(buf[5], 0x11);
	ATF_REQUIRE_EQ(l2_copyin(0x600000 + 2 * PAGE, buf, 8), 0);
	ATF_CHECK_EQ(buf[7], 0x22);
	buf[7] = 0x33;
	ATF_REQUIRE_EQ(l2_copyout(buf, 0x600000 + 2 * PAGE, 8), 0);
	e1 = walk_in(vm1->pml4, 0x600000 + 2 * PAGE);
	ATF_CHECK(e1 & PTE_W);
	ATF_CHECK((e1 & PTE_ADDR) !=
	    (walk_in(pml4, 0x600000 + 2 * PAGE) & PTE_ADDR));
	ATF_CHECK_EQ(at(0x600000 + 2 * PAGE)[7], 0x22);	/* vm0's */
	ATF_REQUIRE_EQ(l2_copyin(0x600000 + 2 * PAGE, buf, 8), 0);
	ATF_CHECK_EQ(buf[7], 0x33);
	/* The program's write fault on a shared page: copied, writable. */
	a = walk_in(vm1->pml4, 0x600000) & PTE_ADDR;
	ATF_CHECK(l2_vm_fault(0x600000 + 17, 1));
	e1 = walk_in(vm1->pml4, 0x600000);
	ATF_CHECK((e1 & PTE_W) && (e1 & PTE_ADDR) != a);
	/* Not copy-on-write faults: the program's own (reads, read-only
	 * and PROT_NONE pages, a page already its own, unmapped). */
	ATF_CHECK(!l2_vm_fault(0x600000 + PAGE, 0));
	ATF_CHECK(!l2_vm_fault(0x400000, 1));
	ATF_CHECK(!l2_vm_fault(0x700000, 1));
	ATF_CHECK(!l2_vm_fault(0x600000, 1));
	ATF_CHECK(!l2_vm_fault(0x900000, 1));
	l2_vm_cur = vm0;
	/* vm0 is the last user of its page 0x600000 + 2 pages: the frame
	 * itself becomes writable; 0x600000 + 1 page is still vm1's too:
	 * copied, contents kept. */
	a = walk(0x600000 + 2 * PAGE) & PTE_ADDR;
	ATF_CHECK(l2_vm_fault(0x600000 + 2 * PAGE, 1));
	ATF_CHECK_EQ(walk(0x600000 + 2 * PAGE) & (PTE_ADDR | PTE_W),
	    a | PTE_W);
	a = walk(0x600000 + PAGE) & PTE_ADDR;
	ATF_CHECK(l2_vm_fault(0x600000 + PAGE, 1));
	ATF_CHECK((walk(0x600000 + PAGE) & PTE_ADDR) != a);
	ATF_CHECK_EQ(at(0x600000 + PAGE)[1], 0x44);
	/* Every page has one user again: all of vm1 goes back. */
	l2_vm_destroy(vm1);
	ATF_CHECK_EQ(nused, before);

	/* Out of memory half way through the copy: ENOMEM, and destroying
	 * what was made gives everything back. */
	vm1 = l2_vm_create();
	ATF_REQUIRE(vm1 != NULL);
	limit = nused + 4;
	ATF_CHECK_EQ(l2_vm_copy(vm0, vm1), 12);
	l2_vm_destroy(vm1);
	ATF_CHECK_EQ(nused, before);
	limit = NPAGES;
	ATF_CHECK_EQ(at(0x400000)[5], 0x11);

	/* The first space gives its memory and tables back, and keeps its
	 * page map (the kernel's) with the kernel's entry. */
	l2_vm_destroy(vm0);
	ATF_CHECK_EQ(nused, base);
	ATF_CHECK_EQ(pml4[300] & PTE_P, PTE_P);
	for (i = 0; i < 256; i++)
		ATF_CHECK_EQ(pml4[i], 0);
}

/* Memory shared copy-on-write under munmap, madvise and mprotect in one
 * space: the other keeps its contents; the frames go with the last
 * space that maps them. */
ATF_TC_WITHOUT_HEAD(cow_calls);
ATF_TC_BODY(cow_calls, tc)
{
	struct l2_vm *vm0, *vm1;
	unsigned char c = 0x77, back;
	size_t base, mid;
	int i;

	setup();
	base = nused;
	vm0 = l2_vm_cur;
	ATF_REQUIRE_EQ(l2_vm_map(0x600000, 4 * PAGE, RW), 0);
	for (i = 0; i < 4; i++)
		at(0x600000 + (uint64_t)i * PAGE)[0] = (unsigned char)(i + 1);
	ATF_REQUIRE_EQ(l2_vm_map(0x800000, PAGE, L2_PROT_READ), 0);
	at(0x800000)[0] = 9;
	vm1 = l2_vm_create();
	ATF_REQUIRE(vm1 != NULL);
	ATF_REQUIRE_EQ(l2_vm_copy(vm0, vm1), 0);
	mid = nused;
	l2_vm_cur = vm1;
	/* munmap of a shared page: the frame stays, vm0's. */
	ATF_CHECK_EQ(l2_sys_munmap(0x600000, PAGE), 0);
	ATF_CHECK_EQ(nused, mid);
	/* MADV_DONTNEED: zeroes here, vm0's contents kept. */
	ATF_CHECK_EQ(l2_sys_madvise(0x600000 + PAGE, PAGE, MADV_DONTNEED), 0);
	ATF_REQUIRE_EQ(l2_copyin(0x600000 + PAGE, &back, 1), 0);
	ATF_CHECK_EQ(back, 0);
	/* Made writable by mprotect: still shared until the first write. */
	ATF_CHECK_EQ(l2_sys_mprotect(0x800000, PAGE, RW), 0);
	ATF_CHECK(!(walk_in(vm1->pml4, 0x800000) & PTE_W));
	ATF_CHECK_EQ(walk_in(vm1->pml4, 0x800000) & PTE_ADDR,
	    walk_in(vm0->pml4, 0x800000) & PTE_ADDR);
	ATF_CHECK_EQ(l2_copyout(&c, 0x800000, 1), 0);
	ATF_CHECK(walk_in(vm1->pml4, 0x800000) & PTE_W);
	/* Read-only again: a write is the program's fault, shared or not. */
	ATF_CHECK_EQ(l2_sys_mprotect(0x600000 + 2 * PAGE, PAGE,
	    L2_PROT_READ), 0);
	ATF_CHECK(!l2_vm_fault(0x600000 + 2 * PAGE, 1));
	ATF_CHECK_EQ(l2_copyout(&c, 0x600000 + 2 * PAGE, 1), 14);
	l2_vm_cur = vm0;
	for (i = 0; i < 4; i++)
		ATF_CHECK_EQ(at(0x600000 + (uint64_t)i * PAGE)[0], i + 1);
	ATF_CHECK_EQ(at(0x800000)[0], 9);
	ATF_CHECK(!(walk(0x800000) & PTE_W));
	/* The first space ends first: the second holds the frames alone,
	 * writes them without copies, and gives them back at its end. */
	l2_vm_destroy(vm0);
	l2_vm_cur = vm1;
	mid = nused;
	ATF_CHECK(l2_vm_fault(0x600000 + 3 * PAGE, 1));
	ATF_CHECK_EQ(nused, mid);
	ATF_REQUIRE_EQ(l2_copyin(0x600000 + 3 * PAGE, &back, 1), 0);
	ATF_CHECK_EQ(back, 4);
	l2_vm_destroy(vm1);
	ATF_CHECK_EQ(nused, base);
}

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, spaces);
	ATF_TP_ADD_TC(tp, cow_calls);

	ATF_TP_ADD_TC(tp, copies);

	ATF_TP_ADD_TC(tp, map_bits);
	ATF_TP_ADD_TC(tp, prot_none_costs_nothing);
	ATF_TP_ADD_TC(tp, mmap_placement);
	ATF_TP_ADD_TC(tp, file_mapping);
	ATF_TP_ADD_TC(tp, mremap_madvise);
	ATF_TP_ADD_TC(tp, brk);
	ATF_TP_ADD_TC(tp, out_of_memory);
	return atf_no_error();
}
