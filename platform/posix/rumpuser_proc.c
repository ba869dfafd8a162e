/*
 * rumpuser_proc.c: the host process: errno, signals, termination,
 * daemonizing.  The host side is platform/posixhost's.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <rump/rumpuser.h>

#include "rumpuser_posix.h"

void
rumpuser__fatal(const char *what, int hosterror)
{

	fprintf(stderr, "rumpuser: fatal: %s: %s\n", what, strerror(hosterror));
	abort();
}

void
rumpuser_seterrno(int error)
{

	errno = rumpuser__posixhost_errno_from_netbsd(error);
}

int
rumpuser_kill(int64_t pid, int sig)
{

	return rumpuser__posixhost_kill(pid, sig);
}

void
rumpuser_exit(int value)
{

	if (value == RUMPUSER_PANIC)
		rumpuser__posixhost_abort();
	exit(value);
}

/* fork() copies only the calling host thread: the platform's other
 * threads (the block I/O workers) take care of themselves with
 * pthread_atfork() (rumpuser_bio.c). */
int
rumpuser_daemonize_begin(void)
{

	return rumpuser__posixhost_daemonize_begin();
}

int
rumpuser_daemonize_done(int error)
{

	return rumpuser__posixhost_daemonize_done(error);
}
