/*
 * sys_sched.c: the scheduling system calls over the virtual CPUs.
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/libkern.h>
#include <kern/proc.h>
#include <kern/syscall.h>
#include <rump/rump_syscalls.h>

#include "kern_private.h"

SYSCALL(SYS_sched_yield, sched_yield)
{

	(void)args;
	(void)retval;
	/*
	 * A sleep of no time gives the virtual CPU up and takes one back.
	 * A thread waiting for a CPU is woken when it is released, so it
	 * gets its turn in between; on a cooperative platform the sleep is
	 * itself a switch to the other runnable threads.
	 */
	kpause_ns(0);
	return 0;
}

/* The mask is an array of longs, as Linux's cpumask. */
#define MASK_WORD_BITS	64

SYSCALL(SYS_sched_getaffinity, sched_getaffinity)
{
	uint64_t mask[howmany(MAXCPUS, MASK_WORD_BITS)];
	unsigned int len = (unsigned int)args[1];
	int n = ncpu_get();
	size_t size;
	pid_t pid = (pid_t)args[0];
	int error;

	/* Linux's checks: room for every CPU, whole longs. */
	if ((uint64_t)len * 8 < (uint64_t)n || len % sizeof(uint64_t) != 0)
		return EINVAL;
	if (pid < 0 || (pid != 0 && proc_find(pid) == NULL))
		return ESRCH;
	/* Every lwp may run on every virtual CPU. */
	memset(mask, 0, sizeof(mask));
	for (int i = 0; i < n; i++)
		mask[i / MASK_WORD_BITS] |= 1ULL << (i % MASK_WORD_BITS);
	size = howmany((size_t)n, MASK_WORD_BITS) * sizeof(uint64_t);
	size = MIN(size, (size_t)len);
	if ((error = copyout(mask, (void *)args[2], size)) != 0)
		return error;
	retval[0] = (long)size;
	return 0;
}

/* The typed entry points. */

int
rump_sys_sched_yield(void)
{

	return (int)syscall_typed(SYS_sched_yield, 0, 0, 0, 0, 0, 0);
}

int
rump_sys_sched_getaffinity(int pid, size_t len, void *mask)
{

	/* Linux takes an unsigned int: a larger size is as good as
	 * UINT_MAX, and must not wrap to a small one. */
	if (len > UINT32_MAX)
		len = UINT32_MAX & ~(size_t)7;
	return (int)syscall_typed(SYS_sched_getaffinity, pid, (long)len,
	    (long)mask, 0, 0, 0);
}
