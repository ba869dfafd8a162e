/*
 * rumpuser_random.c: entropy from the host (platform/posixhost's).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <rump/rumpuser.h>

#include "rumpuser_posix.h"

int
rumpuser_getrandom(void *buf, size_t buflen, int flags, size_t *retp)
{
	int error;

	/* A caller that cannot wait keeps its CPU: the host does not block
	 * it. */
	if (flags & RUMPUSER_RANDOM_NOWAIT)
		return rumpuser__posixhost_random(buf, buflen, flags, retp);
	RUMPUSER__BLOCKING(
		error = rumpuser__posixhost_random(buf, buflen, flags, retp));
	return error;
}
