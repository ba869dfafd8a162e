/*
 * vfs_cdev.c: the character-device switch (vfs/cdev.h), the open files
 * of character device nodes, and the /dev the boot creates.
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/libkern.h>
#include <kern/lock.h>
#include <kern/proc.h>
#include <vfs/vnode.h>
#include <vfs/mount.h>
#include <vfs/abi.h>
#include <vfs/file.h>
#include <vfs/poll.h>
#include <vfs/vfs.h>
#include <vfs/cdev.h>

__link_set_decl(cdevsw, const struct cdevsw *);

static const struct cdevsw *
cdevsw_match(const void *const *start, const void *const *stop,
    uint32_t maj, uint32_t min)
{
	const struct cdevsw *sw;

	for (const void *const *p = start; p < stop; p++) {
		sw = *p;
		if (sw != NULL && sw->d_major == maj && sw->d_minor == min)
			return sw;
	}
	return NULL;
}

const struct cdevsw *
cdevsw_lookup(uint64_t dev)
{
	const void *const *start, *const *stop;
	const struct cdevsw *sw;
	int cursor = 0;

	sw = cdevsw_match((const void *const *)__start_link_set_cdevsw,
	    (const void *const *)__stop_link_set_cdevsw, dev_major(dev),
	    dev_minor(dev));
	/* Drivers in kernel shared objects loaded at run time. */
	while (sw == NULL && linkset_range("cdevsw", &cursor, &start, &stop))
		sw = cdevsw_match(start, stop, dev_major(dev),
		    dev_minor(dev));
	return sw;
}

/* The driver behind an open character device node.  The node's rdev
 * never changes, and open found a driver for it, which cannot go away. */
static const struct cdevsw *
cdev_of(struct file *fp)
{
	struct vattr va;

	if (vn_getattr(fp->f_data, &va) != 0)
		return NULL;
	return cdevsw_lookup(va.va_rdev);
}

static int
cdev_fo_rw(struct file *fp, struct uio *uio, int flags, bool write)
{
	const struct cdevsw *sw = cdev_of(fp);
	bool useoff = (flags & FOF_UPDATE) != 0;
	int error;

	if (sw == NULL)
		return ENXIO;
	if (uio->uio_resid == 0)
		return 0;
	if (useoff) {
		mutex_enter(&fp->f_offlock);
		uio->uio_offset = fp->f_offset;
	}
	if (write)
		error = sw->d_write != NULL ?
		    sw->d_write(sw, uio, file_flags(fp)) : EINVAL;
	else
		error = sw->d_read != NULL ?
		    sw->d_read(sw, uio, file_flags(fp)) : EINVAL;
	if (useoff) {
		fp->f_offset = uio->uio_offset;
		mutex_exit(&fp->f_offlock);
	}
	return error;
}

static int
cdev_fo_read(struct file *fp, struct uio *uio, int flags)
{

	return cdev_fo_rw(fp, uio, flags, false);
}

static int
cdev_fo_write(struct file *fp, struct uio *uio, int flags)
{

	return cdev_fo_rw(fp, uio, flags, true);
}

static int
cdev_fo_poll(struct file *fp, int events, struct polltable *pt)
{
	const struct cdevsw *sw = cdev_of(fp);

	(void)pt;
	if (sw == NULL)
		return POLLERR;
	if (sw->d_poll != NULL)
		return sw->d_poll(sw, events);
	return events & (POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM);
}

static int
cdev_fo_stat(struct file *fp, struct stat *st)
{

	return vn_stat(fp->f_data, st);
}

static void
cdev_fo_close(struct file *fp)
{

	vrele(fp->f_data);
}

/* f_data is the node's vnode, as for vnode_fileops (file_vnode()). */
const struct fileops cdev_fileops = {
	.fo_name = "cdev",
	.fo_flags = FO_SEEKABLE,
	.fo_read = cdev_fo_read,
	.fo_write = cdev_fo_write,
	.fo_stat = cdev_fo_stat,
	.fo_poll = cdev_fo_poll,
	.fo_close = cdev_fo_close,
};

int
cdev_open(struct vnode *vp)
{
	struct vattr va;
	int error;

	error = VOP_GETATTR(vp, &va);
	if (error != 0)
		return error;
	return cdevsw_lookup(va.va_rdev) != NULL ? 0 : ENXIO;
}

/* Makes name in dvp (locked) with va; the new vnode, referenced, in
 * *vpp.  An existing name is left alone (EEXIST). */
static int
cdev_mknode(struct vnode *dvp, const char *name, struct vattr *va,
    struct vnode **vpp)
{
	int error;

	*vpp = NULL;
	vn_lock(dvp);
	if (va->va_type == VDIR)
		error = VOP_OPTIONAL(dvp, vop_mkdir, EPERM, dvp, name,
		    strlen(name), va, vpp);
	else
		error = VOP_OPTIONAL(dvp, vop_create, EPERM, dvp, name,
		    strlen(name), va, vpp);
	vn_unlock(dvp);
	return error;
}

static void
cdev_makenodes_in(struct vnode *devvp, const void *const *start,
    const void *const *stop)
{
	const struct cdevsw *sw;
	struct vattr va;
	struct vnode *vp;
	int error;

	for (const void *const *p = start; p < stop; p++) {
		sw = *p;
		if (sw == NULL || !sw->d_devnode)
			continue;
		memset(&va, 0, sizeof(va));
		va.va_mask = VA_TYPE | VA_MODE | VA_UID | VA_GID | VA_RDEV;
		va.va_type = VCHR;
		va.va_mode = 0666;
		va.va_rdev = dev_makedev(sw->d_major, sw->d_minor);
		error = cdev_mknode(devvp, sw->d_name, &va, &vp);
		if (error == 0)
			vrele(vp);
		else if (error != EEXIST)
			printf("vfs: /dev/%s: error %d\n", sw->d_name, error);
	}
}

void
cdev_makenodes(void)
{
	const void *const *start, *const *stop;
	struct vattr va;
	struct vnode *devvp;
	int cursor = 0, error;

	if (rootvnode == NULL)
		return;
	/* /dev as Linux has it: root's, 0755. */
	memset(&va, 0, sizeof(va));
	va.va_mask = VA_TYPE | VA_MODE | VA_UID | VA_GID;
	va.va_type = VDIR;
	va.va_mode = 0755;
	error = cdev_mknode(rootvnode, "dev", &va, &devvp);
	if (error != 0) {
		printf("vfs: creating /dev failed: error %d\n", error);
		return;
	}
	cdev_makenodes_in(devvp,
	    (const void *const *)__start_link_set_cdevsw,
	    (const void *const *)__stop_link_set_cdevsw);
	while (linkset_range("cdevsw", &cursor, &start, &stop))
		cdev_makenodes_in(devvp, start, stop);
	vrele(devvp);
}
