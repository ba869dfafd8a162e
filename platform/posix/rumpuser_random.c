/*
 * rumpuser_random.c: entropy from the host.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdint.h>
#include <sys/random.h>
#include <sys/types.h>

#include <rump/rumpuser.h>

#include "rumpuser_posix.h"

int
rumpuser_getrandom(void *buf, size_t buflen, int flags, size_t *retp)
{
	unsigned int hostflags = 0;
	size_t done = 0;
	ssize_t n;
	int nlocks, error = 0;

	if (flags & RUMPUSER_RANDOM_HARD)
		hostflags |= GRND_RANDOM;
	if (flags & RUMPUSER_RANDOM_NOWAIT) {
		/* One attempt: a caller that cannot wait wants what there
		 * is now, or EAGAIN. */
		n = getrandom(buf, buflen, hostflags | GRND_NONBLOCK);
		if (n == -1) {
			*retp = 0;
			return rumpuser__errtrans(errno);
		}
		*retp = (size_t)n;
		return 0;
	}

	/* Until the host's pool is seeded getrandom() may block, and
	 * GRND_RANDOM may return short counts: loop without the CPU. */
	rumpuser__unschedule(&nlocks, NULL);
	while (done < buflen) {
		n = getrandom((char *)buf + done, buflen - done, hostflags);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			error = errno;
			break;
		}
		done += (size_t)n;
	}
	rumpuser__schedule(nlocks, NULL);
	*retp = done;
	return done != 0 ? 0 : rumpuser__errtrans(error);
}
