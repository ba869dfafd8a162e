/*
 * kmem.c: kernel memory over rumpuser_malloc, accounted against the
 * memory limit.
 */
#include <kern/types.h>
#include <kern/libkern.h>
#include <kern/kmem.h>
#include <kern/hyp.h>

#include "kern_private.h"

static uint64_t kmem_bytes;	/* in use; changed atomically */
static uint64_t kmem_max;	/* 0: no limit; set once at boot */

void
kmem_init(uint64_t limit)
{

	kmem_max = limit;
}

/* Reserves size bytes of the budget; false when past the limit.  The
 * reservation comes before the allocation so that concurrent allocators
 * can never overshoot together. */
static bool
kmem_reserve(size_t size)
{
	uint64_t old, new;

	old = __atomic_load_n(&kmem_bytes, __ATOMIC_RELAXED);
	do {
		new = old + size;
		if (new < old || (kmem_max != 0 && new > kmem_max))
			return false;
	} while (!__atomic_compare_exchange_n(&kmem_bytes, &old, new, true,
	    __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	return true;
}

static void
kmem_unreserve(size_t size)
{

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

	return __atomic_load_n(&kmem_bytes, __ATOMIC_RELAXED);
}

uint64_t
kmem_limit(void)
{

	return kmem_max;
}
