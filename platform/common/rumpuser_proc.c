/*
 * rumpuser_proc.c: the host process: errno, signals, termination,
 * daemonizing.  What a process is belongs to the backend.
 */
#include <common/types.h>

#include <rump/rumpuser.h>

#include "backend.h"
#include "rumpuser_common.h"

void
rumpuser_seterrno(int error)
{

	rumpuser__backend_set_errno(error);
}

int
rumpuser_kill(int64_t pid, int sig)
{

	return rumpuser__backend_kill(pid, sig);
}

void
rumpuser_exit(int value)
{

	if (value == RUMPUSER_PANIC)
		rumpuser__backend_abort();
	rumpuser__backend_exit(value);
}

int
rumpuser_daemonize_begin(void)
{

	return rumpuser__backend_daemonize_begin();
}

int
rumpuser_daemonize_done(int error)
{

	return rumpuser__backend_daemonize_done(error);
}
