/*
 * rumpuser_file.c: host files and devices as seen by the kernel: open,
 * close, file information, scatter/gather I/O and syncing.  Names are host
 * paths.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>
#ifdef __linux__
#include <linux/fs.h>		/* BLKGETSIZE64 */
#endif

#include <rump/rumpuser.h>

#include "rumpuser_posix.h"

/* The kernel's iovec is handed to the host unchanged. */
_Static_assert(sizeof(struct rumpuser_iovec) == sizeof(struct iovec) &&
    offsetof(struct rumpuser_iovec, iov_base) ==
    offsetof(struct iovec, iov_base) &&
    offsetof(struct rumpuser_iovec, iov_len) ==
    offsetof(struct iovec, iov_len), "rumpuser_iovec is not struct iovec");

int
rumpuser_open(const char *name, int mode, int *fdp)
{
	int flags, fd, error = 0;

	switch (mode & RUMPUSER_OPEN_ACCMODE) {
	case RUMPUSER_OPEN_RDONLY:
		flags = O_RDONLY;
		break;
	case RUMPUSER_OPEN_WRONLY:
		flags = O_WRONLY;
		break;
	case RUMPUSER_OPEN_RDWR:
		flags = O_RDWR;
		break;
	default:
		return RUMPUSER__NB_EINVAL;
	}
	if (mode & RUMPUSER_OPEN_CREATE)
		flags |= O_CREAT;
	if (mode & RUMPUSER_OPEN_EXCL)
		flags |= O_EXCL;
	/* RUMPUSER_OPEN_BIO is advisory.  O_DIRECT would impose alignment
	 * rules on the kernel's buffers that the interface does not
	 * promise, so block I/O goes through the host's cache and BIO_SYNC
	 * and syncfd provide durability. */

	/* Opening a device or a file on a network file system may block. */
	RUMPUSER__BLOCKING(
		fd = open(name, flags, 0644);
		if (fd == -1)
			error = errno;
	);
	if (fd == -1)
		return rumpuser__errtrans(error);
	*fdp = fd;
	return 0;
}

int
rumpuser_close(int fd)
{
	int rv, error = 0;

	RUMPUSER__BLOCKING(
		rv = close(fd);
		if (rv == -1)
			error = errno;
	);
	/* On Linux the descriptor is gone even when close() says EINTR;
	 * retrying could close someone else's descriptor. */
	if (rv == -1 && error != EINTR)
		return rumpuser__errtrans(error);
	return 0;
}

/* Size in bytes of the block device name, which must be opened to ask. */
static int
blkdev_size(const char *name, uint64_t *sizep)
{
	int fd, error = 0;

	fd = open(name, O_RDONLY);
	if (fd == -1)
		return errno;
#ifdef BLKGETSIZE64
	if (ioctl(fd, BLKGETSIZE64, sizep) == -1)
		error = errno;
#else
	{
		off_t end = lseek(fd, 0, SEEK_END);

		if (end == (off_t)-1)
			error = errno;
		else
			*sizep = (uint64_t)end;
	}
#endif
	close(fd);
	return error;
}

int
rumpuser_getfileinfo(const char *name, uint64_t *size, int *type)
{
	struct stat st;
	uint64_t sz = 0;
	int ft, error = 0;

	RUMPUSER__BLOCKING(
		if (stat(name, &st) == -1)
			error = errno;
		else if (S_ISBLK(st.st_mode) && size != NULL)
			error = blkdev_size(name, &sz);
	);
	if (error != 0)
		return rumpuser__errtrans(error);

	if (S_ISDIR(st.st_mode)) {
		ft = RUMPUSER_FT_DIR;
	} else if (S_ISREG(st.st_mode)) {
		ft = RUMPUSER_FT_REG;
		sz = (uint64_t)st.st_size;
	} else if (S_ISBLK(st.st_mode)) {
		ft = RUMPUSER_FT_BLK;
	} else if (S_ISCHR(st.st_mode)) {
		ft = RUMPUSER_FT_CHR;
	} else {
		ft = RUMPUSER_FT_OTHER;
	}
	if (size != NULL)
		*size = sz;
	if (type != NULL)
		*type = ft;
	return 0;
}

int
rumpuser_iovread(int fd, struct rumpuser_iovec *ruiov, size_t iovlen,
    int64_t off, size_t *retv)
{
	const struct iovec *iov = (const struct iovec *)(void *)ruiov;
	ssize_t n;
	int error = 0;

	if (iovlen > INT32_MAX)
		return RUMPUSER__NB_EINVAL;
	RUMPUSER__BLOCKING(
		do {
			if (off == RUMPUSER_IOV_NOSEEK)
				n = readv(fd, iov, (int)iovlen);
			else
				n = preadv(fd, iov, (int)iovlen, (off_t)off);
		} while (n == -1 && errno == EINTR);
		if (n == -1)
			error = errno;
	);
	if (n == -1)
		return rumpuser__errtrans(error);
	*retv = (size_t)n;
	return 0;
}

int
rumpuser_iovwrite(int fd, const struct rumpuser_iovec *ruiov, size_t iovlen,
    int64_t off, size_t *retv)
{
	const struct iovec *iov = (const struct iovec *)(const void *)ruiov;
	ssize_t n;
	int error = 0;

	if (iovlen > INT32_MAX)
		return RUMPUSER__NB_EINVAL;
	RUMPUSER__BLOCKING(
		do {
			if (off == RUMPUSER_IOV_NOSEEK)
				n = writev(fd, iov, (int)iovlen);
			else
				n = pwritev(fd, iov, (int)iovlen, (off_t)off);
		} while (n == -1 && errno == EINTR);
		if (n == -1)
			error = errno;
	);
	if (n == -1)
		return rumpuser__errtrans(error);
	*retv = (size_t)n;
	return 0;
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
	int rv = 0, error = 0;

	(void)start;
	(void)len;
	if ((flags & (RUMPUSER_SYNCFD_WRITE | RUMPUSER_SYNCFD_BARRIER |
	    RUMPUSER_SYNCFD_SYNC)) == 0)
		return 0;
	RUMPUSER__BLOCKING(
		if (flags & RUMPUSER_SYNCFD_SYNC)
			rv = fsync(fd);
		else
			rv = fdatasync(fd);
		if (rv == -1)
			error = errno;
	);
	if (rv == -1)
		return rumpuser__errtrans(error);
	return 0;
}
