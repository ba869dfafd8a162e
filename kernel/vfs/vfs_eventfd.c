/*
 * vfs_eventfd.c: eventfd and eventfd2: a 64-bit counter as a file.
 * A write adds to it (blocking while the sum would pass 2^64 - 2), a
 * read returns it and resets it to 0, or with EFD_SEMAPHORE returns 1
 * and decrements it (blocking while it is 0).  Transfers are exactly
 * 8 bytes (EINVAL below that), as Linux.
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/kmem.h>
#include <kern/libkern.h>
#include <kern/lock.h>
#include <kern/syscall.h>
#include <rump/rump_syscalls.h>
#include <vfs/vnode.h>
#include <vfs/abi.h>
#include <vfs/file.h>
#include <vfs/poll.h>

#define EFD_SEMAPHORE	1
#define EFD_MAX		0xfffffffffffffffeULL

struct eventfd {
	kmutex_t	 efd_lock;
	kcondvar_t	 efd_cv;	/* readers and writers */
	uint64_t	 efd_count;
	bool		 efd_semaphore;
	struct pollhead	 efd_ph;
};

static int
efd_read(struct file *fp, struct uio *uio, int flags)
{
	struct eventfd *efd = fp->f_data;
	uint64_t v;
	int error = 0;

	(void)flags;
	if (uio->uio_resid < sizeof(v))
		return EINVAL;
	mutex_enter(&efd->efd_lock);
	while (efd->efd_count == 0) {
		if (file_flags(fp) & O_NONBLOCK) {
			mutex_exit(&efd->efd_lock);
			return EAGAIN;
		}
		if (cv_wait_sig(&efd->efd_cv, &efd->efd_lock) != 0) {
			mutex_exit(&efd->efd_lock);
			return ERESTARTSYS;
		}
	}
	v = efd->efd_semaphore ? 1 : efd->efd_count;
	error = uiomove(&v, sizeof(v), uio);
	if (error == 0) {
		efd->efd_count -= v;
		cv_broadcast(&efd->efd_cv);
		pollwakeup(&efd->efd_ph, POLLOUT | POLLWRNORM);
	}
	mutex_exit(&efd->efd_lock);
	return error;
}

static int
efd_write(struct file *fp, struct uio *uio, int flags)
{
	struct eventfd *efd = fp->f_data;
	uint64_t v;
	int error;

	(void)flags;
	if (uio->uio_resid < sizeof(v))
		return EINVAL;
	error = uiomove(&v, sizeof(v), uio);
	if (error != 0)
		return error;
	if (v == UINT64_MAX) {
		uio->uio_resid += sizeof(v);
		return EINVAL;
	}
	mutex_enter(&efd->efd_lock);
	while (EFD_MAX - efd->efd_count < v) {
		if (file_flags(fp) & O_NONBLOCK) {
			mutex_exit(&efd->efd_lock);
			uio->uio_resid += sizeof(v);
			return EAGAIN;
		}
		if (cv_wait_sig(&efd->efd_cv, &efd->efd_lock) != 0) {
			mutex_exit(&efd->efd_lock);
			uio->uio_resid += sizeof(v);
			return ERESTARTSYS;
		}
	}
	efd->efd_count += v;
	if (v > 0) {
		cv_broadcast(&efd->efd_cv);
		pollwakeup(&efd->efd_ph, POLLIN | POLLRDNORM);
	}
	mutex_exit(&efd->efd_lock);
	return 0;
}

static int
efd_poll(struct file *fp, int events, struct polltable *pt)
{
	struct eventfd *efd = fp->f_data;
	int revents = 0;

	poll_wait(pt, &efd->efd_ph);
	mutex_enter(&efd->efd_lock);
	if (efd->efd_count > 0)
		revents |= POLLIN | POLLRDNORM;
	if (efd->efd_count < EFD_MAX)
		revents |= POLLOUT | POLLWRNORM;
	mutex_exit(&efd->efd_lock);
	return revents & events;
}

static int
efd_ioctl(struct file *fp, unsigned long cmd, void *data)
{

	(void)fp;
	(void)cmd;
	(void)data;
	return ENOTTY;
}

static int
efd_stat(struct file *fp, struct stat *st)
{

	(void)fp;
	/* An anonymous inode: no type bits, mode 0600. */
	memset(st, 0, sizeof(*st));
	st->st_mode = S_IRUSR | S_IWUSR;
	st->st_nlink = 1;
	st->st_blksize = 4096;
	return 0;
}

static void
efd_free(struct eventfd *efd)
{

	pollhead_destroy(&efd->efd_ph);
	cv_destroy(&efd->efd_cv);
	mutex_destroy(&efd->efd_lock);
	kmem_free(efd, sizeof(*efd));
}

static void
efd_close(struct file *fp)
{

	efd_free(fp->f_data);
}

static const struct fileops eventfd_fileops = {
	.fo_name = "eventfd",
	.fo_fsmagic = ANON_INODE_FS_MAGIC,
	.fo_read = efd_read,
	.fo_write = efd_write,
	.fo_ioctl = efd_ioctl,
	.fo_stat = efd_stat,
	.fo_poll = efd_poll,
	.fo_close = efd_close,
};

static int
doeventfd(unsigned int initval, int flags, long *retval)
{
	struct eventfd *efd;
	int fd, error;

	if (flags & ~(EFD_SEMAPHORE | O_CLOEXEC | O_NONBLOCK))
		return EINVAL;
	efd = kmem_zalloc(sizeof(*efd), KM_SLEEP);
	if (efd == NULL)
		return ENOMEM;
	mutex_init(&efd->efd_lock, MUTEX_DEFAULT);
	cv_init(&efd->efd_cv);
	pollhead_init(&efd->efd_ph);
	efd->efd_count = initval;
	efd->efd_semaphore = (flags & EFD_SEMAPHORE) != 0;
	error = fd_newfile(&eventfd_fileops, efd, FREAD | FWRITE, flags, &fd,
	    NULL);
	if (error != 0) {
		efd_free(efd);
		return error;
	}
	*retval = fd;
	return 0;
}

SYSCALL_LEGACY(SYS_eventfd, eventfd)
{

	return doeventfd((unsigned int)args[0], 0, retval);
}

SYSCALL(SYS_eventfd2, eventfd2)
{

	return doeventfd((unsigned int)args[0], (int)args[1], retval);
}

int
rump_sys_eventfd2(unsigned int initval, int flags)
{

	return (int)syscall_typed(SYS_eventfd2, initval, flags, 0, 0, 0, 0);
}
