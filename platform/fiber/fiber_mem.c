/*
 * fiber_mem.c: memory from the host: malloc for the kernel's allocations,
 * mmap for pages and thread stacks.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fiber.h"

/*
 * Under valgrind the fiber threads' stacks are registered with it (see
 * fiber.h): without that, memcheck takes a switch to another stack for a
 * huge stack frame (and may report the other stack's accesses as
 * invalid).  Only the scheduler's thread stacks are mapped with
 * RUMPUSER__PAGES_GUARD, so those are what is registered.
 */
#ifdef FIBER_VALGRIND
/* Registered stacks, by lowest usable address: the id is needed to
 * deregister.  One host thread: no lock. */
struct vgstack {
	struct vgstack	*next;
	uintptr_t	 base;
	unsigned int	 id;
};
static struct vgstack *vgstacks;

static void
stack_register(uintptr_t base, size_t size)
{
	struct vgstack *s;

	if (RUNNING_ON_VALGRIND == 0 || (s = malloc(sizeof(*s))) == NULL)
		return;
	s->base = base;
	s->id = VALGRIND_STACK_REGISTER(base, base + size);
	s->next = vgstacks;
	vgstacks = s;
}

static void
stack_deregister(uintptr_t base)
{
	struct vgstack **sp, *s;

	for (sp = &vgstacks; (s = *sp) != NULL; sp = &s->next) {
		if (s->base == base) {
			VALGRIND_STACK_DEREGISTER(s->id);
			*sp = s->next;
			free(s);
			return;
		}
	}
}
#else
static void stack_register(uintptr_t base, size_t size) { (void)base; (void)size; }
static void stack_deregister(uintptr_t base) { (void)base; }
#endif

static size_t pagesize;

size_t
rumpuser__backend_pagesize(void)
{

	if (pagesize == 0)
		pagesize = (size_t)sysconf(_SC_PAGESIZE);
	return pagesize;
}

void *
rumpuser__backend_malloc(size_t size, size_t align)
{
	void *p;

	/* malloc() aligns for every type already (that is alignof, not
	 * sizeof, max_align_t: 16, not 32, on x86_64); posix_memalign()
	 * refuses alignments below a pointer's. */
	if (align <= _Alignof(max_align_t))
		return malloc(size != 0 ? size : 1);
	if (posix_memalign(&p, align, size != 0 ? size : 1) != 0)
		return NULL;
	return p;
}

void
rumpuser__backend_free(void *p, size_t size)
{

	(void)size;
	free(p);
}

static size_t
round_pages(size_t size)
{
	size_t pg = rumpuser__backend_pagesize();

	return (size + pg - 1) & ~(pg - 1);
}

int
rumpuser__backend_pages_alloc(void *hint, size_t size, size_t align,
    int flags, void **pagesp)
{
	size_t pg = rumpuser__backend_pagesize();
	size_t guard = (flags & RUMPUSER__PAGES_GUARD) ? pg : 0;
	size_t maplen, lead, trail;
	uintptr_t start, usable;
	void *mem;
	int prot;

	size = round_pages(size);
	if (size == 0)
		return RUMPUSER__NB_EINVAL;
	if (align < pg)
		align = pg;
	if (size > SIZE_MAX - align - guard)
		return RUMPUSER__NB_ENOMEM;
	prot = PROT_READ | PROT_WRITE |
	    ((flags & RUMPUSER__PAGES_EXEC) ? PROT_EXEC : 0);

	/* mmap() only promises page alignment: map more than needed, keep
	 * the aligned part (with its guard page below) and unmap the rest. */
	maplen = guard + size + (align > pg ? align : 0);
	mem = mmap(hint, maplen, prot, MAP_PRIVATE | MAP_ANONYMOUS |
	    (guard != 0 ? MAP_STACK : 0), -1, 0);
	if (mem == MAP_FAILED)
		return rumpuser__posixhost_errno_to_netbsd(errno);
	start = (uintptr_t)mem;
	usable = (start + guard + align - 1) & ~(uintptr_t)(align - 1);
	lead = usable - guard - start;
	trail = maplen - lead - guard - size;
	if (lead != 0)
		munmap(mem, lead);
	if (trail != 0)
		munmap((void *)(usable + size), trail);
	if (guard != 0 && mprotect((void *)(usable - guard), guard,
	    PROT_NONE) == -1) {
		munmap((void *)(usable - guard), guard + size);
		return rumpuser__posixhost_errno_to_netbsd(errno);
	}
	if (guard != 0)
		stack_register(usable, size);
	*pagesp = (void *)usable;
	return 0;
}

void
rumpuser__backend_pages_free(void *pages, size_t size, int flags)
{
	size_t guard = (flags & RUMPUSER__PAGES_GUARD) ?
	    rumpuser__backend_pagesize() : 0;

	if (guard != 0)
		stack_deregister((uintptr_t)pages);

	if (munmap((char *)pages - guard, round_pages(size) + guard) == -1) {
		rumpuser__fiber_warn("munmap: error %d", errno);
		abort();
	}
}
