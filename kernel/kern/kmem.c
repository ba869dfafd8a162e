/*
 * kmem.c: kernel memory over rumpuser_malloc, accounted against the
 * memory limit.
 */
#include <kern/types.h>
#include <kern/libkern.h>
#include <kern/kmem.h>
#include <kern/pcounter.h>
#include <kern/hyp.h>

#include "kern_private.h"

/*
 * Bytes in use.  With a limit, one word reserved atomically before each
 * allocation, so that CPUs allocating at once can never overshoot
 * together.  Without one (the default) nothing needs the exact figure
 * at every moment, and a word shared by all CPUs passed its cache line
 * between the host's cores some fifteen times per file created and
 * removed (bench_scale): counted per CPU then.
 */
static uint64_t kmem_bytes;	/* with a limit; changed atomically */
static struct pcounter kmem_bytes_pc;	/* without */
static uint64_t kmem_max;	/* 0: no limit; set once at boot */

void
kmem_init(uint64_t limit)
{

	/* Before any allocation (boot: rumpuser_init and param_init
	 * allocate nothing), so that no bytes were counted in the word the
	 * limit does not use. */
	KASSERT(pcounter_read(&kmem_bytes_pc) == 0);
	kmem_max = limit;
}

/* Reserves size bytes of the budget; false when past the limit.  The
 * reservation comes before the allocation so that concurrent allocators
 * can never overshoot together. */
static bool
kmem_reserve(size_t size)
{
	uint64_t old, new;

	if (kmem_max == 0) {
		pcounter_add(&kmem_bytes_pc, (int64_t)size);
		return true;
	}
	old = __atomic_load_n(&kmem_bytes, __ATOMIC_RELAXED);
	do {
		new = old + size;
		if (new < old || new > kmem_max)
			return false;
	} while (!__atomic_compare_exchange_n(&kmem_bytes, &old, new, true,
	    __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	return true;
}

static void
kmem_unreserve(size_t size)
{

	if (kmem_max == 0)
		pcounter_add(&kmem_bytes_pc, -(int64_t)size);
	else
		__atomic_sub_fetch(&kmem_bytes, size, __ATOMIC_RELAXED);
}

void *
kmem_alloc(size_t size, int flags)
{
	void *p;

	(void)flags;
	if (!kmem_reserve(size))
		return NULL;
	/* The host may answer NULL for 0 bytes; a caller expects a
	 * distinct pointer it can free.  Alignment 0 is the platform's
	 * natural one, which suits any kernel object. */
	if (rumpuser_malloc(size == 0 ? 1 : size, 0, &p) != 0) {
		kmem_unreserve(size);
		return NULL;
	}
	return p;
}

void *
kmem_zalloc(size_t size, int flags)
{
	void *p;

	p = kmem_alloc(size, flags);
	if (p != NULL)
		memset(p, 0, size);
	return p;
}

void
kmem_free(void *p, size_t size)
{

	if (p == NULL)
		return;
	rumpuser_free(p, size == 0 ? 1 : size);
	kmem_unreserve(size);
}

char *
kmem_strdup(const char *s, int flags)
{
	size_t len;
	char *p;

	len = strlen(s) + 1;
	p = kmem_alloc(len, flags);
	if (p != NULL)
		memcpy(p, s, len);
	return p;
}

void
kmem_strfree(char *s)
{

	if (s != NULL)
		kmem_free(s, strlen(s) + 1);
}

uint64_t
kmem_inuse(void)
{

	if (kmem_max == 0)
		return (uint64_t)pcounter_read(&kmem_bytes_pc);
	return __atomic_load_n(&kmem_bytes, __ATOMIC_RELAXED);
}

uint64_t
kmem_limit(void)
{

	return kmem_max;
}
