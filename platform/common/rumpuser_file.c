/*
 * rumpuser_file.c: the backend's files and devices as seen by the kernel.
 * Reads, writes and syncs run asynchronously where the backend can: the
 * calling thread waits, the others run.
 */
#include <common/types.h>

#include <rump/rumpuser.h>

#include "backend.h"
#include "rumpuser_common.h"
#include "scheduler.h"

/*
 * Opening, closing and asking about a file are done in place: they do not
 * switch threads, so the rump CPU stays with the caller (nobody else
 * could use it meanwhile).
 */
int
rumpuser_open(const char *name, int mode, int *fdp)
{

	if ((mode & RUMPUSER_OPEN_ACCMODE) == RUMPUSER_OPEN_ACCMODE)
		return NB_EINVAL;
	return rumpuser__backend_open(name, mode, fdp);
}

int
rumpuser_close(int fd)
{

	return rumpuser__backend_close(fd);
}

int
rumpuser_getfileinfo(const char *name, uint64_t *size, int *type)
{

	return rumpuser__backend_fileinfo(name, size, type);
}

/* Runs io without the CPU: the thread waits, and others may want it. */
static int
io_run(struct rumpuser__io *io)
{
	int nlocks;

	rumpuser__unschedule(&nlocks, NULL);
	rumpuser__sched_io(io);
	rumpuser__schedule(nlocks, NULL);
	return io->io_error;
}

static int
iov_run(int op, int fd, const struct rumpuser_iovec *ruiov, size_t iovlen,
    int64_t off, size_t *retv)
{
	struct rumpuser__io io;
	int error;

	if (iovlen > INT32_MAX || (off < 0 && off != RUMPUSER_IOV_NOSEEK))
		return NB_EINVAL;
	io.io_op = op;
	io.io_fd = fd;
	io.io_iov = ruiov;
	io.io_iovcnt = (int)iovlen;
	io.io_off = off;
	if ((error = io_run(&io)) != 0)
		return error;
	*retv = io.io_transferred;
	return 0;
}

int
rumpuser_iovread(int fd, struct rumpuser_iovec *ruiov, size_t iovlen,
    int64_t off, size_t *retv)
{

	return iov_run(RUMPUSER__IO_READ, fd, ruiov, iovlen, off, retv);
}

int
rumpuser_iovwrite(int fd, const struct rumpuser_iovec *ruiov, size_t iovlen,
    int64_t off, size_t *retv)
{

	return iov_run(RUMPUSER__IO_WRITE, fd, ruiov, iovlen, off, retv);
}

/*
 * The backend offers no cheaper barrier than a flush, nor a flush of a
 * range, so every request that involves written data syncs the whole
 * file's data (and with SYNC its metadata too).  Reads need nothing.
 */
int
rumpuser_syncfd(int fd, int flags, uint64_t start, uint64_t len)
{
	struct rumpuser__io io;

	(void)start;
	(void)len;
	if ((flags & (RUMPUSER_SYNCFD_WRITE | RUMPUSER_SYNCFD_BARRIER |
	    RUMPUSER_SYNCFD_SYNC)) == 0)
		return 0;
	io.io_op = (flags & RUMPUSER_SYNCFD_SYNC) ? RUMPUSER__IO_SYNC :
	    RUMPUSER__IO_DATASYNC;
	io.io_fd = fd;
	io.io_iov = NULL;
	io.io_iovcnt = 0;
	io.io_off = 0;
	return io_run(&io);
}
