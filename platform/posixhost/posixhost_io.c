/*
 * posixhost_io.c: transfers and syncs on host descriptors, performed in
 * place by the calling host thread.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#include "posixhost.h"

/* The kernel's iovec is handed to the host unchanged. */
_Static_assert(sizeof(struct rumpuser_iovec) == sizeof(struct iovec) &&
    offsetof(struct rumpuser_iovec, iov_base) ==
    offsetof(struct iovec, iov_base) &&
    offsetof(struct rumpuser_iovec, iov_len) ==
    offsetof(struct iovec, iov_len), "rumpuser_iovec is not struct iovec");

int
rumpuser__posixhost_transfer(int fd, int writing,
    const struct rumpuser_iovec *ruiov, int iovcnt, int64_t off,
    size_t *donep)
{
	const struct iovec *iov = (const struct iovec *)(const void *)ruiov;
	ssize_t n;

	do {
		if (writing)
			n = off == RUMPUSER_IOV_NOSEEK ?
			    writev(fd, iov, iovcnt) :
			    pwritev(fd, iov, iovcnt, (off_t)off);
		else
			n = off == RUMPUSER_IOV_NOSEEK ?
			    readv(fd, iov, iovcnt) :
			    preadv(fd, iov, iovcnt, (off_t)off);
	} while (n == -1 && errno == EINTR);
	if (n == -1) {
		*donep = 0;
		return rumpuser__posixhost_errno_to_netbsd(errno);
	}
	*donep = (size_t)n;
	return 0;
}

int
rumpuser__posixhost_sync(int fd, int dataonly)
{
	int rv;

	do
		rv = dataonly ? fdatasync(fd) : fsync(fd);
	while (rv == -1 && errno == EINTR);
	return rv == -1 ? rumpuser__posixhost_errno_to_netbsd(errno) : 0;
}
