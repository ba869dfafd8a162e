/*
 * posixhost_file.c: host files and devices by path: open, close, file
 * information.
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
#include <unistd.h>
#ifdef __linux__
#include <linux/fs.h>		/* BLKGETSIZE64 */
#endif

#include "posixhost.h"

int
rumpuser__posixhost_open(const char *name, int mode, int *fdp)
{
	int flags, fd;

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
	fd = open(name, flags | O_CLOEXEC, 0644);
	if (fd == -1)
		return rumpuser__posixhost_errno_to_netbsd(errno);
	*fdp = fd;
	return 0;
}

int
rumpuser__posixhost_close(int fd)
{

	/* On Linux the descriptor is gone even when close() says EINTR. */
	if (close(fd) == -1 && errno != EINTR)
		return rumpuser__posixhost_errno_to_netbsd(errno);
	return 0;
}

/* Size in bytes of the block device name, which must be opened to ask;
 * a host errno. */
static int
blkdev_size(const char *name, uint64_t *sizep)
{
	int fd, error = 0;

	fd = open(name, O_RDONLY | O_CLOEXEC);
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
rumpuser__posixhost_fileinfo(const char *name, uint64_t *size, int *type)
{
	struct stat st;
	uint64_t sz = 0;
	int ft, error;

	if (stat(name, &st) == -1)
		return rumpuser__posixhost_errno_to_netbsd(errno);
	if (S_ISDIR(st.st_mode)) {
		ft = RUMPUSER_FT_DIR;
	} else if (S_ISREG(st.st_mode)) {
		ft = RUMPUSER_FT_REG;
		sz = (uint64_t)st.st_size;
	} else if (S_ISBLK(st.st_mode)) {
		ft = RUMPUSER_FT_BLK;
		if (size != NULL && (error = blkdev_size(name, &sz)) != 0)
			return rumpuser__posixhost_errno_to_netbsd(error);
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
