/*
 * fiber_posixhost.c: the backend functions that platform/posixhost
 * implements as they are: files by path, entropy, parameters, the host
 * process.
 *
 * They are done in place, blocking the whole platform for as long as
 * they take: metadata operations, which are quick, or entropy before the
 * host's pool is seeded, which happens only early in a machine's boot.
 * With a single host thread, fork() copies the whole platform faithfully:
 * daemonizing needs no care beyond what any process takes.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "fiber.h"

int
rumpuser__backend_open(const char *name, int mode, int *fdp)
{

	return rumpuser__posixhost_open(name, mode, fdp);
}

int
rumpuser__backend_close(int fd)
{

	return rumpuser__posixhost_close(fd);
}

int
rumpuser__backend_fileinfo(const char *name, uint64_t *size, int *type)
{

	return rumpuser__posixhost_fileinfo(name, size, type);
}

int
rumpuser__backend_random(void *buf, size_t len, int flags, size_t *gotp)
{

	return rumpuser__posixhost_random(buf, len, flags, gotp);
}

int
rumpuser__backend_param(const char *name, char *buf, size_t buflen)
{

	return rumpuser__posixhost_param(name, buf, buflen);
}

void
rumpuser__backend_set_errno(int error)
{

	errno = rumpuser__posixhost_errno_from_netbsd(error);
}

int
rumpuser__backend_kill(int64_t pid, int sig)
{

	return rumpuser__posixhost_kill(pid, sig);
}

void
rumpuser__backend_exit(int status)
{

	exit(status);
}

void
rumpuser__backend_abort(void)
{

	rumpuser__posixhost_abort();
}

int
rumpuser__backend_daemonize_begin(void)
{

	return rumpuser__posixhost_daemonize_begin();
}

int
rumpuser__backend_daemonize_done(int error)
{

	return rumpuser__posixhost_daemonize_done(error);
}

void
rumpuser__backend_init(void)
{

	/* Bad pointers in system calls give EFAULT (rumpuser_fcopy.h). */
	rumpuser__posixhost_fcopy_init();
}
