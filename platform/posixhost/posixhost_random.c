/*
 * posixhost_random.c: entropy from the host.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/random.h>
#include <sys/types.h>

#include "posixhost.h"

int
rumpuser__posixhost_random(void *buf, size_t len, int flags, size_t *gotp)
{
	unsigned int hostflags = 0;
	size_t done = 0;
	ssize_t n;
	int error = 0;

	/* GRND_RANDOM is what HARD asked for once; on current Linux both
	 * pools are one and it only makes short reads likelier. */
	if (flags & RUMPUSER_RANDOM_HARD)
		hostflags |= GRND_RANDOM;
	if (flags & RUMPUSER_RANDOM_NOWAIT) {
		/* One attempt: a caller that cannot wait wants what there
		 * is now, or EAGAIN. */
		n = getrandom(buf, len, hostflags | GRND_NONBLOCK);
		if (n == -1) {
			*gotp = 0;
			return rumpuser__posixhost_errno_to_netbsd(errno);
		}
		*gotp = (size_t)n;
		return 0;
	}

	/* Until the host's pool is seeded getrandom() may block, and
	 * GRND_RANDOM may return short counts: loop until done. */
	while (done < len) {
		n = getrandom((char *)buf + done, len - done, hostflags);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			error = errno;
			break;
		}
		done += (size_t)n;
	}
	*gotp = done;
	return done != 0 ? 0 : rumpuser__posixhost_errno_to_netbsd(error);
}
