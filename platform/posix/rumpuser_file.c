/*
 * rumpuser_file.c: host files and devices as seen by the kernel: open,
 * close, file information, scatter/gather I/O and syncing.  Names are host
 * paths.  The host side is platform/posixhost's; this file only releases
 * the rump CPU around it, since any of it may block (a device, a network
 * file system, a slow disk).
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
rumpuser_open(const char *name, int mode, int *fdp)
{
	int error;

	RUMPUSER__BLOCKING(error = rumpuser__posixhost_open(name, mode, fdp));
	return error;
}

int
rumpuser_close(int fd)
{
	int error;

	RUMPUSER__BLOCKING(error = rumpuser__posixhost_close(fd));
	return error;
}

int
rumpuser_getfileinfo(const char *name, uint64_t *size, int *type)
{
	int error;

	RUMPUSER__BLOCKING(
		error = rumpuser__posixhost_fileinfo(name, size, type));
	return error;
}

static int
iovtransfer(int fd, int writing, const struct rumpuser_iovec *ruiov,
    size_t iovlen, int64_t off, size_t *retv)
{
	size_t n;
	int error;

	if (iovlen > INT32_MAX)
		return RUMPUSER__NB_EINVAL;
	RUMPUSER__BLOCKING(error = rumpuser__posixhost_transfer(fd, writing,
	    ruiov, (int)iovlen, off, &n));
	if (error == 0)
		*retv = n;
	return error;
}

int
rumpuser_iovread(int fd, struct rumpuser_iovec *ruiov, size_t iovlen,
    int64_t off, size_t *retv)
{

	return iovtransfer(fd, 0, ruiov, iovlen, off, retv);
}

int
rumpuser_iovwrite(int fd, const struct rumpuser_iovec *ruiov, size_t iovlen,
    int64_t off, size_t *retv)
{

	return iovtransfer(fd, 1, ruiov, iovlen, off, retv);
}

/*
 * The host offers no cheaper barrier than a flush, and no portable way to
 * flush a range only, so every request that involves written data becomes
 * fdatasync() (fsync() with SYNC, which also wants the metadata that makes
 * the data reachable).  Reads need nothing: the host keeps them coherent.
 */
int
rumpuser_syncfd(int fd, int flags, uint64_t start, uint64_t len)
{
	int error;

	(void)start;
	(void)len;
	if ((flags & (RUMPUSER_SYNCFD_WRITE | RUMPUSER_SYNCFD_BARRIER |
	    RUMPUSER_SYNCFD_SYNC)) == 0)
		return 0;
	RUMPUSER__BLOCKING(error = rumpuser__posixhost_sync(fd,
	    (flags & RUMPUSER_SYNCFD_SYNC) == 0));
	return error;
}
