/*
 * vfs_file.c: open file descriptions (struct file) and I/O on the vnodes
 * they refer to.
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/kmem.h>
#include <kern/libkern.h>
#include <kern/lock.h>
#include <vfs/vnode.h>
#include <vfs/mount.h>
#include <vfs/abi.h>
#include <vfs/file.h>
#include <vfs/vfs.h>

int
file_alloc(struct file **fpp)
{
	struct file *fp;

	fp = kmem_zalloc(sizeof(*fp), KM_SLEEP);
	if (fp == NULL)
		return ENOMEM;
	fp->f_count = 1;
	mutex_init(&fp->f_offlock, MUTEX_DEFAULT);
	*fpp = fp;
	return 0;
}

void
file_hold(struct file *fp)
{

	__atomic_fetch_add(&fp->f_count, 1, __ATOMIC_RELAXED);
}

void
file_release(struct file *fp)
{

	if (__atomic_sub_fetch(&fp->f_count, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	switch (fp->f_type) {
	case FTYPE_VNODE:
		vrele(fp->f_vnode);
		break;
	case FTYPE_PIPE:
		pipe_close(fp->f_pipe, (fp->f_flag & FWRITE) != 0);
		break;
	default:
		/* Never got an object (failed open). */
		break;
	}
	mutex_destroy(&fp->f_offlock);
	kmem_free(fp, sizeof(*fp));
}

int
file_flags(struct file *fp)
{

	return __atomic_load_n(&fp->f_flag, __ATOMIC_RELAXED);
}

void
file_setflags(struct file *fp, int mask, int bits)
{
	int old, new;

	old = __atomic_load_n(&fp->f_flag, __ATOMIC_RELAXED);
	do {
		new = (old & ~mask) | (bits & mask);
	} while (!__atomic_compare_exchange_n(&fp->f_flag, &old, new, false,
	    __ATOMIC_RELAXED, __ATOMIC_RELAXED));
}

int
file_read(struct file *fp, struct uio *uio, bool useoff)
{
	struct vnode *vp;
	int error;

	if (fp->f_type == FTYPE_PIPE)
		return pipe_read(fp, uio);
	vp = fp->f_vnode;
	if (vp->v_type == VDIR)
		return EISDIR;
	if (useoff) {
		mutex_enter(&fp->f_offlock);
		uio->uio_offset = fp->f_offset;
	}
	mount_lock(vp->v_mount);
	error = VOP_OPTIONAL(vp, vop_read, EINVAL, vp, uio);
	mount_unlock(vp->v_mount);
	if (useoff) {
		fp->f_offset = uio->uio_offset;
		mutex_exit(&fp->f_offlock);
	}
	return error;
}

int
file_write(struct file *fp, struct uio *uio, bool useoff)
{
	struct vnode *vp;
	struct vattr va;
	int error = 0;

	if (fp->f_type == FTYPE_PIPE)
		return pipe_write(fp, uio);
	vp = fp->f_vnode;
	if (vp->v_type == VDIR)
		return EISDIR;
	/* Remounted read-only after the file was opened for writing. */
	if ((error = vn_writechk(vp)) != 0)
		return error;
	if (useoff) {
		mutex_enter(&fp->f_offlock);
		uio->uio_offset = fp->f_offset;
	}
	mount_lock(vp->v_mount);
	/* Appending (even with pwrite, as Linux does) finds the end with
	 * the mount locked, so concurrent appends never overlap. */
	if ((file_flags(fp) & O_APPEND) != 0) {
		error = VOP_GETATTR(vp, &va);
		if (error == 0)
			uio->uio_offset = (off_t)va.va_size;
	}
	if (error == 0) {
		if (uio->uio_offset >= INT64_MAX)
			error = EFBIG;
		else if (uio->uio_resid > (uint64_t)(INT64_MAX -
		    uio->uio_offset))
			uio->uio_resid = (size_t)(INT64_MAX - uio->uio_offset);
	}
	if (error == 0)
		error = VOP_OPTIONAL(vp, vop_write, EINVAL, vp, uio);
	mount_unlock(vp->v_mount);
	if (useoff) {
		fp->f_offset = uio->uio_offset;
		mutex_exit(&fp->f_offlock);
	}
	return error;
}

int
file_stat(struct file *fp, struct stat *st)
{

	if (fp->f_type == FTYPE_PIPE)
		return pipe_stat(fp, st);
	return vn_stat(fp->f_vnode, st);
}
