/*
 * fiber_file.c: host files and devices by path: open, close, information.
 * These are done in place (they are quick, or at worst block the whole
 * platform for one metadata operation); transfers are fiber_io.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/fs.h>		/* BLKGETSIZE64 */

#include "fiber.h"

int
rumpuser__backend_open(const char *name, int mode, int *fdp)
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
		return FIBER_NB_EINVAL;
	}
	if (mode & RUMPUSER_OPEN_CREATE)
		flags |= O_CREAT;
	if (mode & RUMPUSER_OPEN_EXCL)
		flags |= O_EXCL;
	/* RUMPUSER_OPEN_BIO is advisory.  O_DIRECT would impose alignment
	 * rules on the kernel's buffers that the interface does not
	 * promise: block I/O goes through the host's cache, and BIO_SYNC
	 * and syncfd provide durability.  Descriptors are not for the
	 * programs the host process may start. */
	fd = open(name, flags | O_CLOEXEC, 0644);
	if (fd == -1)
		return rumpuser__fiber_errtrans(errno);
	*fdp = fd;
	return 0;
}

int
rumpuser__backend_close(int fd)
{

	/* On Linux the descriptor is gone even when close() says EINTR:
	 * retrying could close someone else's. */
	if (close(fd) == -1 && errno != EINTR)
		return rumpuser__fiber_errtrans(errno);
	return 0;
}

/* A block device's size in bytes: it must be opened to ask. */
static int
blkdev_size(const char *name, uint64_t *sizep)
{
	int fd, error = 0;

	fd = open(name, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return errno;
	if (ioctl(fd, BLKGETSIZE64, sizep) == -1)
		error = errno;
	close(fd);
	return error;
}

int
rumpuser__backend_fileinfo(const char *name, uint64_t *size, int *type)
{
	struct stat st;
	uint64_t sz = 0;
	int ft, error;

	if (stat(name, &st) == -1)
		return rumpuser__fiber_errtrans(errno);
	if (S_ISDIR(st.st_mode)) {
		ft = RUMPUSER_FT_DIR;
	} else if (S_ISREG(st.st_mode)) {
		ft = RUMPUSER_FT_REG;
		sz = (uint64_t)st.st_size;
	} else if (S_ISBLK(st.st_mode)) {
		ft = RUMPUSER_FT_BLK;
		if (size != NULL && (error = blkdev_size(name, &sz)) != 0)
			return rumpuser__fiber_errtrans(error);
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
