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
 *   ... and COW           the frame may be shared with other address
 *                         spaces (fork): never W in the hardware; the
 *                         first write (a page fault, or a copyout) gets
 *                         a copy of its own, or the frame itself when
 *                         no other entry uses it any more
 *
 * Fork shares every frame of the parent copy-on-write instead of copying
 * it.  How many entries use a frame is counted in a small radix tree
 * indexed by physical page number (frames used once, the usual case, have
 * no entry), so that exit, exec, munmap and the copy on write free a frame
 * only when its last entry goes.
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
#define PTE_COW		0x800ull	/* software: frame shared (fork) */
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
struct l2_vm *l2_vm_cur;

static uint64_t user_lo, user_hi;	/* the user range */
static bool nx;
static struct l2_vm vm0;		/* the first program's */
static uint64_t *kernel_pml4;		/* the page map l2_vm_init found */

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
	kernel_pml4 = l2_plat_pml4();
	memset(&vm0, 0, sizeof(vm0));
	vm0.pml4 = kernel_pml4;
	vm0.refs = 1;
	l2_vm_cur = &vm0;
	l2_vm_cur->mmap_cursor = user_hi;
	return 0;
}

/* Whether [va, va + len) is a non-empty range of the user range. */
static bool
in_user(uint64_t va, uint64_t len)
{

	return len > 0 && va >= user_lo && va < user_hi &&
	    len <= user_hi - va;
}

/* --- Shared frames' counts ------------------------------------------------ */

/*
 * For each frame mapped by more than one entry, how many more: a leaf of
 * 1024 frames' counts (one page, with the number of its non-zero counts,
 * so that it goes back when they are all zero), 512 leaves under each of
 * 512 middle nodes (physical addresses below 1 TiB).  Frames used once
 * cost nothing here.
 */
#define REF_LEAF	1024
struct ref_leaf {
	uint16_t	 extra[REF_LEAF];
	uint32_t	 used;		/* non-zero counts */
};
static struct ref_leaf **ref_mid[512];
static uint16_t ref_mid_used[512];

static struct ref_leaf *
ref_leaf(uint64_t pa, bool create)
{
	uint64_t pfn = pa >> 12, top = pfn >> 19, mid = (pfn >> 10) & 511;
	struct ref_leaf *l;

	if (top >= 512)
		return NULL;
	if (ref_mid[top] == NULL) {
		if (!create || (ref_mid[top] = l2_plat_page_alloc()) == NULL)
			return NULL;
	}
	if ((l = ref_mid[top][mid]) == NULL) {
		if (!create || (l = l2_plat_page_alloc()) == NULL) {
			if (ref_mid_used[top] == 0) {
				l2_plat_page_free(ref_mid[top]);
				ref_mid[top] = NULL;
			}
			return NULL;
		}
		ref_mid[top][mid] = l;
		ref_mid_used[top]++;
	}
	return l;
}

/* How many entries besides one use frame pa. */
static unsigned int
ref_extra(uint64_t pa)
{
	struct ref_leaf *l = ref_leaf(pa, false);

	return l == NULL ? 0 : l->extra[(pa >> 12) & (REF_LEAF - 1)];
}

/* One more entry uses frame pa; false when out of memory. */
static bool
ref_inc(uint64_t pa)
{
	struct ref_leaf *l = ref_leaf(pa, true);
	uint16_t *c;

	if (l == NULL)
		return false;
	c = &l->extra[(pa >> 12) & (REF_LEAF - 1)];
	if (*c == 0xffff)
		return false;
	if ((*c)++ == 0)
		l->used++;
	return true;
}

/* An entry of frame pa goes: true when others still use it (then the
 * frame stays), false when it was the last (the caller frees it). */
static bool
ref_dec(uint64_t pa)
{
	uint64_t pfn = pa >> 12, top = pfn >> 19, mid = (pfn >> 10) & 511;
	struct ref_leaf *l = ref_leaf(pa, false);
	uint16_t *c;

	if (l == NULL || *(c = &l->extra[pfn & (REF_LEAF - 1)]) == 0)
		return false;
	if (--(*c) == 0 && --l->used == 0) {
		l2_plat_page_free(l);
		ref_mid[top][mid] = NULL;
		if (--ref_mid_used[top] == 0) {
			l2_plat_page_free(ref_mid[top]);
			ref_mid[top] = NULL;
		}
	}
	return true;
}

/* vm's entry e lets go of its frame: freed unless shared. */
static void
frame_release(struct l2_vm *vm, uint64_t e)
{

	vm->pages--;
	if (ref_dec(e & PTE_ADDR))
		return;
	l2_plat_page_free(l2_plat_phys_to_virt(e & PTE_ADDR));
	l2_vm_pages--;
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
pte_in(uint64_t *pml4, uint64_t va, bool create)
{
	uint64_t *t = pml4;
	int shift;

	for (shift = 39; shift > 12; shift -= 9) {
		uint64_t *e = &t[(va >> shift) & 511];

		if ((*e & PTE_P) == 0) {
			void *page;

			if (!create || (page = l2_plat_page_alloc()) == NULL)
				return NULL;
			l2_vm_pages++;
			l2_vm_cur->pages++;
			*e = l2_plat_virt_to_phys(page) | PTE_P | PTE_W | PTE_U;
		} else if ((*e & PTE_PS) != 0 || (*e & PTE_U) == 0) {
			return NULL;	/* the kernel's */
		}
		t = table_of(*e);
	}
	return &t[(va >> 12) & 511];
}

static uint64_t *
pte_of(uint64_t va, bool create)
{

	return pte_in(l2_vm_cur->pml4, va, create);
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
	uint64_t *path[4], *t = l2_vm_cur->pml4;
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
		l2_vm_cur->pages--;
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
	uint64_t keep = *e & (PTE_ADDR | PTE_MAPPED | PTE_FRAME | PTE_COW);
	uint64_t hw = 0;

	if (!(keep & PTE_FRAME))
		keep &= ~PTE_ADDR;
	else
		hw = hw_bits(prot);
	if (keep & PTE_COW)
		hw &= ~PTE_W;	/* the first write faults: a copy */
	*e = keep | ((uint64_t)prot << PTE_PROT_SHIFT) | hw;
}

static int
pte_prot(uint64_t e)
{

	return (int)((e & PTE_PROT_MASK) >> PTE_PROT_SHIFT);
}

/* Mapped entry e with a frame gets the frame to itself (copied when
 * another entry still uses it): false when out of memory.  The caller
 * drops the old TLB entry. */
static bool
pte_own(uint64_t *e)
{
	void *page;

	if (!(*e & PTE_COW))
		return true;
	if (ref_extra(*e & PTE_ADDR) > 0) {
		if ((page = l2_plat_page_alloc()) == NULL)
			return false;
		memcpy(page, table_of(*e), PAGE);
		ref_dec(*e & PTE_ADDR);
		l2_vm_pages++;
		*e = (*e & ~PTE_ADDR) | l2_plat_virt_to_phys(page);
	}
	*e &= ~PTE_COW;
	pte_set_prot(e, pte_prot(*e));
	return true;
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
	l2_vm_cur->pages++;
	*e |= l2_plat_virt_to_phys(page) | PTE_FRAME;
	pte_set_prot(e, pte_prot(*e));
	return true;
}

static void
pte_clear(uint64_t va, uint64_t *e)
{

	if (*e & PTE_FRAME)
		frame_release(l2_vm_cur, *e);
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

void *
l2_vm_frame_write(uint64_t va)
{
	uint64_t *e = pte_of(pg_down(va), false);

	if (e == NULL || !(*e & PTE_MAPPED) || !pte_give_frame(e))
		return NULL;
	if (*e & PTE_COW) {
		if (!pte_own(e))
			return NULL;
		l2_plat_invlpg(pg_down(va));
	}
	return (char *)table_of(*e) + (va & (PAGE - 1));
}

bool
l2_vm_fault(uint64_t va, bool write)
{
	uint64_t *e;

	if (!write || !l2_vm_user(va) || l2_vm_cur == NULL ||
	    (e = pte_of(pg_down(va), false)) == NULL)
		return false;
	/* Only a write to a shared frame the program may write. */
	if ((*e & (PTE_MAPPED | PTE_FRAME | PTE_COW | PTE_P)) !=
	    (PTE_MAPPED | PTE_FRAME | PTE_COW | PTE_P) ||
	    !(pte_prot(*e) & L2_PROT_WRITE) || !pte_own(e))
		return false;
	l2_plat_invlpg(pg_down(va));
	return true;
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

/* --- Address spaces ------------------------------------------------------ */

struct l2_vm *
l2_vm_create(void)
{
	struct l2_vm *vm;
	int i;

	if ((vm = l2_plat_page_alloc()) == NULL)
		return NULL;
	if ((vm->pml4 = l2_plat_page_alloc()) == NULL) {
		l2_plat_page_free(vm);
		return NULL;
	}
	/* The kernel's entries (no U bit) are shared: every table below
	 * them is the kernel's one copy. */
	for (i = 0; i < 512; i++)
		if ((kernel_pml4[i] & PTE_P) && !(kernel_pml4[i] & PTE_U))
			vm->pml4[i] = kernel_pml4[i];
	vm->mmap_cursor = user_hi;
	vm->refs = 1;
	l2_vm_pages += 2;
	return vm;
}

/*
 * Walks the user tables below table t (level 3: a page map level 4),
 * for each leaf of a mapped page calling fn, or with free set, freeing
 * the frames and the tables as it goes.  Returns fn's first error.
 */
static int
walk_user(struct l2_vm *vm, uint64_t *t, int level, uint64_t base,
    int (*fn)(void *, uint64_t, uint64_t *), void *arg, bool free)
{
	int i, n = level == 3 ? 256 : 512, error;

	for (i = 0; i < n; i++) {
		uint64_t e = t[i], va = base | ((uint64_t)i << (12 + 9 * level));

		if (level == 0) {
			if (!(e & PTE_MAPPED))
				continue;
			if (free) {
				if (e & PTE_FRAME)
					frame_release(vm, e);
				t[i] = 0;
			} else if ((error = fn(arg, va, &t[i])) != 0) {
				return error;
			}
			continue;
		}
		if (!(e & PTE_P) || !(e & PTE_U) || (e & PTE_PS))
			continue;
		if ((error = walk_user(vm, table_of(e), level - 1, va, fn, arg,
		    free)) != 0)
			return error;
		if (free) {
			l2_plat_page_free(table_of(e));
			l2_vm_pages--;
			vm->pages--;
			t[i] = 0;
		}
	}
	return 0;
}

/* l2_vm_copy's leaf: page va with entry *e of the source, into vm: its
 * frame shared by both, copy-on-write. */
static int
copy_page(void *arg, uint64_t va, uint64_t *e)
{
	struct l2_vm *to = arg, *save = l2_vm_cur;
	uint64_t *ne;

	l2_vm_cur = to;		/* pte_in counts the new tables there */
	ne = pte_in(to->pml4, va, true);
	l2_vm_cur = save;
	if (ne == NULL)
		return L2_ENOMEM;
	if (!(*e & PTE_FRAME)) {
		*ne = *e;
		return 0;
	}
	if (!ref_inc(*e & PTE_ADDR))
		return L2_ENOMEM;
	*e |= PTE_COW;
	pte_set_prot(e, pte_prot(*e));	/* no longer W */
	*ne = *e;
	to->pages++;
	return 0;
}

int
l2_vm_copy(struct l2_vm *from, struct l2_vm *to)
{
	int error;

	to->mmap_cursor = from->mmap_cursor;
	to->brk_start = from->brk_start;
	to->brk_cur = from->brk_cur;
	error = walk_user(from, from->pml4, 3, 0, copy_page, to, false);
	/* from's entries lost W (also after a failure half way). */
	l2_plat_tlb_flush();
	return error;
}

void
l2_vm_destroy(struct l2_vm *vm)
{

	walk_user(vm, vm->pml4, 3, 0, NULL, NULL, true);
	if (vm == &vm0)
		return;		/* the kernel's own page map stays */
	l2_plat_page_free(vm->pml4);
	l2_plat_page_free(vm);
	l2_vm_pages -= 2;
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
	void *dst;

	if (!accessible(uaddr, len, true))
		return L2_EFAULT;
	for (done = 0; done < len; done += n) {
		uint64_t va = uaddr + done;

		n = PAGE - (va & (PAGE - 1));
		if (n > len - done)
			n = len - done;
		/* A shared frame is copied first (out of memory: EFAULT,
		 * as the program's own write would not succeed either). */
		if ((dst = l2_vm_frame_write(va)) == NULL)
			return L2_EFAULT;
		memcpy(dst, (const char *)kaddr + done, n);
	}
	return 0;
}

/* --- Placement ------------------------------------------------------------ */

void
l2_vm_layout(uint64_t prog_end, uint64_t stack_size, uint64_t *stack_lo)
{

	/* A gap of a page below the stack catches its overflow. */
	*stack_lo = user_hi - pg_up(stack_size);
	l2_vm_cur->mmap_cursor = *stack_lo - PAGE;
	l2_vm_cur->brk_start = l2_vm_cur->brk_cur = pg_up(prog_end);
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
	struct l2_vm *vm = l2_vm_cur;
	uint64_t va, low, last;

	len = pg_up(len);
	low = pg_up(vm->brk_cur) > user_lo ? pg_up(vm->brk_cur) : user_lo;
	if (len == 0 || vm->mmap_cursor < low || len > vm->mmap_cursor - low)
		return 0;
	va = vm->mmap_cursor - len;
	/* Skip down past whatever was put here by address. */
	while ((last = last_mapped(va, len)) != 0) {
		if (last < low + len)
			return 0;
		va = last - len;
	}
	vm->mmap_cursor = va;
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
				frame_release(l2_vm_cur, *e);
				*e &= ~(PTE_FRAME | PTE_ADDR | PTE_P | PTE_COW);
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
	struct l2_vm *vm = l2_vm_cur;
	uint64_t have = pg_up(vm->brk_cur), want = pg_up(addr);

	if (addr < vm->brk_start || addr >= vm->mmap_cursor)
		return (long)vm->brk_cur;
	if (want > have) {
		if (!l2_vm_free(have, want - have) ||
		    l2_vm_map(have, want - have,
		    L2_PROT_READ | L2_PROT_WRITE) != 0)
			return (long)vm->brk_cur;	/* Linux: unchanged */
	} else if (want < have) {
		l2_vm_unmap(want, have - want);
	}
	vm->brk_cur = addr;
	return (long)vm->brk_cur;
}
