/*
 * run_map.c: the program's own mappings, which an in-process exec
 * unmaps.
 *
 * An exec in-process (run_sys.c do_execve_local) loads the new program
 * into this process, where the old one's shared libraries, thread
 * stacks, malloc arenas and other mappings would otherwise stay, a leak
 * per exec.  Nothing in /proc/self/maps tells them from strata-run's own
 * (its allocator, the kernel's memory, its threads' stacks: anonymous
 * memory alike), so the program's are recorded as it makes them: every
 * mmap of the program is served by run_sys.c, and in-process munmap and
 * mremap are taken off the calls passed through unseen (run_map_init),
 * so that an address the program gave back, which strata-run's own
 * allocator may then be handed, is never taken for the program's.
 *
 * The record is a fixed table of ranges under a spin lock: it is updated
 * from run_sys_fast() (munmap, mremap), which runs on the program's
 * thread pointer and may take no lock of the C library.  A range that
 * does not fit is forgotten: a leak at exec, as before, never an unmap
 * of memory that is not the program's.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "run.h"

#define MAP_MAX		8192
#define PAGE		4096ul

struct range {
	unsigned long start, end;
};

static struct range ranges[MAP_MAX];
static size_t nranges;
static int map_lock;			/* a spin lock */
static int map_on;			/* in-process: recording */

static void
lock(void)
{

	while (__atomic_exchange_n(&map_lock, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&map_lock, __ATOMIC_RELAXED))
			__builtin_ia32_pause();
}

static void
unlock(void)
{

	__atomic_store_n(&map_lock, 0, __ATOMIC_RELEASE);
}

void
run_map_init(void)
{

	if (run_opt.server != NULL)
		return;
	map_on = 1;
	run_passthrough[SYS_munmap] = 0;
	run_passthrough[SYS_mremap] = 0;
}

/* [start, end) is no longer the program's (lock held). */
static void
forget(unsigned long start, unsigned long end)
{
	size_t i;

	for (i = 0; i < nranges; ) {
		struct range *r = &ranges[i];

		if (r->end <= start || r->start >= end) {
			i++;
			continue;
		}
		if (r->start < start && r->end > end) {
			/* The middle goes: the tail needs a slot of its own,
			 * or is forgotten too. */
			if (nranges < MAP_MAX)
				ranges[nranges++] = (struct range){ end,
				    r->end };
			r->end = start;
			i++;
		} else if (r->start < start) {
			r->end = start;
			i++;
		} else if (r->end > end) {
			r->start = end;
			i++;
		} else
			ranges[i] = ranges[--nranges];
	}
}

void
run_map_add(unsigned long addr, unsigned long len)
{
	unsigned long end = (addr + len + PAGE - 1) & ~(PAGE - 1);

	if (!map_on || len == 0)
		return;
	addr &= ~(PAGE - 1);
	lock();
	/* Grown in place (brk-like use of one range): extended. */
	if (nranges > 0 && ranges[nranges - 1].end == addr)
		ranges[nranges - 1].end = end;
	else if (nranges < MAP_MAX)
		ranges[nranges++] = (struct range){ addr, end };
	unlock();
}

void
run_map_remove(unsigned long addr, unsigned long len)
{
	unsigned long end = (addr + len + PAGE - 1) & ~(PAGE - 1);

	if (!map_on || len == 0)
		return;
	addr &= ~(PAGE - 1);
	lock();
	forget(addr, end);
	unlock();
}

long
run_map_munmap(long addr, long len)
{
	long r = raw6(SYS_munmap, addr, len, 0, 0, 0, 0);

	if (r == 0)
		run_map_remove((unsigned long)addr, (unsigned long)len);
	return r;
}

long
run_map_mremap(const long a[6])
{
	long r = raw6(SYS_mremap, a[0], a[1], a[2], a[3], a[4], 0);

	if (r < 0 && r > -4096)
		return r;
	/* Moved or resized: the old range is gone (unless the program
	 * asked to keep it, MREMAP_DONTUNMAP), the new one is its. */
	if (!(a[3] & 4 /* MREMAP_DONTUNMAP */))
		run_map_remove((unsigned long)a[0], (unsigned long)a[1]);
	run_map_add((unsigned long)r, (unsigned long)a[2]);
	return r;
}

/* Around a fork: no other thread holds the lock in the child. */
void
run_map_fork(int after)
{

	if (after)
		unlock();
	else
		lock();
}

int
run_map_exec(unsigned long keep)
{
	size_t i, n = 0;

	if (!map_on)
		return 0;
	lock();
	for (i = 0; i < nranges; i++) {
		/* The stack the exec runs on, if the program made it, is
		 * left (the exec unmaps the one it knows once off it). */
		if (keep >= ranges[i].start && keep < ranges[i].end)
			continue;
		raw6(SYS_munmap, (long)ranges[i].start,
		    (long)(ranges[i].end - ranges[i].start), 0, 0, 0, 0);
		n++;
	}
	nranges = 0;
	unlock();
	return (int)n;
}
