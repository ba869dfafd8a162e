/*
 * sys_random.c: getrandom(), from the kernel's random number generator.
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/libkern.h>
#include <kern/clock.h>
#include <kern/syscall.h>
#include <rump/rump_syscalls.h>

#include "kern_private.h"

/* Linux getrandom() flags (include/uapi/linux/random.h). */
#define GRND_NONBLOCK	0x0001
#define GRND_RANDOM	0x0002
#define GRND_INSECURE	0x0004

/* Linux's MAX_RW_COUNT: the most one call transfers. */
#define MAX_RW_COUNT	(INT_MAX & ~4095)

SYSCALL(SYS_getrandom, getrandom)
{
	uint8_t chunk[1024];
	char *ubuf = (char *)args[0];
	size_t len = (size_t)args[1], done = 0, n;
	unsigned int flags = (unsigned int)args[2];
	int error = 0;

	if (flags & ~(unsigned int)(GRND_NONBLOCK | GRND_RANDOM |
	    GRND_INSECURE))
		return EINVAL;
	/* Linux: insecure and blocking randomness at once make no sense. */
	if ((flags & (GRND_INSECURE | GRND_RANDOM)) ==
	    (GRND_INSECURE | GRND_RANDOM))
		return EINVAL;
	/* The generator draws on the host's, seeded before the kernel
	 * boots: it never blocks, so GRND_NONBLOCK never means EAGAIN. */
	len = MIN(len, (size_t)MAX_RW_COUNT);
	while (done < len) {
		n = MIN(len - done, sizeof(chunk));
		cprng_fill(chunk, n);
		error = copyout(chunk, ubuf + done, n);
		if (error != 0)
			break;
		done += n;
	}
	/* Random bytes handed out must not stay behind on the stack. */
	memset(chunk, 0, sizeof(chunk));
	__asm__ __volatile__("" : : "r"(chunk) : "memory");
	/* As Linux: a fault after some bytes reports those. */
	if (error != 0 && done == 0)
		return error;
	retval[0] = (long)done;
	return 0;
}

ssize_t
rump_sys_getrandom(void *buf, size_t len, unsigned int flags)
{

	return (ssize_t)syscall_typed(SYS_getrandom, (long)buf, (long)len,
	    (long)flags, 0, 0, 0);
}
