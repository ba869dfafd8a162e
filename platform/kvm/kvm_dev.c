/*
 * kvm_dev.c: the backend's files are the machine's block devices, named
 * /dev/vda, /dev/vdb... in the order the device scan finds them.  No
 * device driver is built in yet: every name is unknown.
 */
#include "kvm.h"
#include "rumpuser_common.h"

#define NB_EBADF	9

void
kvm_dev_init(void)
{
}

int
kvm_dev_poll(void)
{

	return 0;
}

int
kvm_dev_busy(void)
{

	return 0;
}

int
rumpuser__backend_open(const char *name, int mode, int *fdp)
{

	(void)name;
	(void)mode;
	(void)fdp;
	return NB_ENOENT;
}

int
rumpuser__backend_close(int fd)
{

	(void)fd;
	return NB_EBADF;
}

int
rumpuser__backend_fileinfo(const char *name, uint64_t *size, int *type)
{

	(void)name;
	(void)size;
	(void)type;
	return NB_ENOENT;
}

void
rumpuser__backend_io_start(struct rumpuser__io *io, int synchronous)
{

	(void)synchronous;
	io->io_transferred = 0;
	io->io_error = NB_EBADF;
	rumpuser__io_done(io);
}
