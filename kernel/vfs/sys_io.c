/*
 * sys_io.c: reading and writing open files: read, write, pread64,
 * pwrite64, readv, writev, lseek, getdents64, fsync, fdatasync.
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/kmem.h>
#include <kern/libkern.h>
#include <kern/syscall.h>
#include <rump/rump_syscalls.h>
#include <vfs/vnode.h>
#include <vfs/mount.h>
#include <vfs/abi.h>
#include <vfs/file.h>
#include <vfs/vfs.h>

/* Linux caps one transfer at this many bytes (INT_MAX rounded down to a
 * page) and so do we: counts then always fit the return value. */
#define MAX_RW_COUNT	0x7ffff000UL

static int
dofileio(int fd, struct kiovec *iov, int iovcnt, size_t total, off_t off,
    bool useoff, enum uio_rw rw, long *retval)
{
	struct file *fp;
	struct uio uio;
	int error, need;

	/* Linux's order: the offset before the descriptor, whether it
	 * can seek before whether it is open for this direction. */
	if (!useoff && off < 0)
		return EINVAL;
	error = fd_getfile_nopath(fd, &fp);
	if (error != 0)
		return error;
	need = rw == UIO_READ ? FREAD : FWRITE;
	if (!useoff && (fp->f_ops->fo_flags & FO_SEEKABLE) == 0) {
		error = ESPIPE;
		goto out;
	}
	if ((file_flags(fp) & need) == 0) {
		error = EBADF;
		goto out;
	}
	uio.uio_iov = iov;
	uio.uio_iovcnt = iovcnt;
	uio.uio_offset = off;
	uio.uio_resid = MIN(total, MAX_RW_COUNT);
	uio.uio_rw = rw;
	uio.uio_segflg = UIO_USERSPACE;
	if (rw == UIO_READ)
		error = fp->f_ops->fo_read(fp, &uio, useoff ? FOF_UPDATE : 0);
	else
		error = fp->f_ops->fo_write(fp, &uio, useoff ? FOF_UPDATE : 0);
	/* A partial transfer is a success: the caller sees the count. */
	if (uio.uio_resid != MIN(total, MAX_RW_COUNT))
		error = 0;
	*retval = (long)(MIN(total, MAX_RW_COUNT) - uio.uio_resid);
 out:
	file_release(fp);
	return error;
}

static int
dorw(const long *args, off_t off, bool useoff, enum uio_rw rw, long *retval)
{
	struct kiovec iov;
	size_t len = (size_t)args[2];

	iov.iov_base = (void *)args[1];
	iov.iov_len = len;
	if (iov.iov_base == NULL && len > 0)
		return EFAULT;
	return dofileio((int)args[0], &iov, 1, len, off, useoff, rw, retval);
}

SYSCALL(SYS_read, read)
{

	return dorw(args, 0, true, UIO_READ, retval);
}

SYSCALL(SYS_write, write)
{

	return dorw(args, 0, true, UIO_WRITE, retval);
}

SYSCALL(SYS_pread64, pread64)
{

	return dorw(args, (off_t)args[3], false, UIO_READ, retval);
}

SYSCALL(SYS_pwrite64, pwrite64)
{

	return dorw(args, (off_t)args[3], false, UIO_WRITE, retval);
}

static int
dorwv(const long *args, enum uio_rw rw, long *retval)
{
	const struct iovec *uiov = (const struct iovec *)args[1];
	int iovcnt = (int)args[2];
	struct kiovec *kiov;
	struct iovec iov;
	size_t total = 0;
	int i, error;

	if (iovcnt < 0 || iovcnt > UIO_MAXIOV)
		return EINVAL;
	if (iovcnt == 0) {
		struct file *fp;

		/* Still a bad descriptor is an error. */
		error = fd_getfile((int)args[0], &fp);
		if (error != 0)
			return error;
		file_release(fp);
		*retval = 0;
		return 0;
	}
	if (uiov == NULL)
		return EFAULT;
	kiov = kmem_alloc((size_t)iovcnt * sizeof(*kiov), KM_SLEEP);
	if (kiov == NULL)
		return ENOMEM;
	for (i = 0; i < iovcnt; i++) {
		error = copyin(&uiov[i], &iov, sizeof(iov));
		if (error != 0)
			goto out;
		if (iov.iov_len > (size_t)SSIZE_MAX - total) {
			error = EINVAL;
			goto out;
		}
		kiov[i].iov_base = iov.iov_base;
		kiov[i].iov_len = iov.iov_len;
		total += iov.iov_len;
	}
	error = dofileio((int)args[0], kiov, iovcnt, total, 0, true, rw,
	    retval);
 out:
	kmem_free(kiov, (size_t)iovcnt * sizeof(*kiov));
	return error;
}

SYSCALL(SYS_readv, readv)
{

	return dorwv(args, UIO_READ, retval);
}

SYSCALL(SYS_writev, writev)
{

	return dorwv(args, UIO_WRITE, retval);
}

SYSCALL(SYS_lseek, lseek)
{
	off_t off = (off_t)args[1], base, newoff;
	int whence = (int)args[2];
	struct file *fp;
	struct vnode *vp;
	struct vattr va;
	int error;

	error = fd_getfile_nopath((int)args[0], &fp);
	if (error != 0)
		return error;
	/* Linux rejects an unknown whence even on a pipe. */
	if (whence < SEEK_SET || whence > SEEK_HOLE) {
		file_release(fp);
		return EINVAL;
	}
	if ((fp->f_ops->fo_flags & FO_SEEKABLE) == 0) {
		file_release(fp);
		return ESPIPE;
	}
	vp = file_vnode(fp);
	mutex_enter(&fp->f_offlock);
	/* The character devices here are Linux's memory devices, whose
	 * seeks all land on 0 (null, zero, full) or stay at 0 (random,
	 * urandom), whatever the offset. */
	if (fp->f_ops == &cdev_fileops)
		whence = -1;
	switch (whence) {
	case -1:
		base = off = 0;
		break;
	case SEEK_SET:
		base = 0;
		break;
	case SEEK_CUR:
		base = fp->f_offset;
		break;
	case SEEK_END:
	case SEEK_DATA:
	case SEEK_HOLE:
		if (vp->v_type == VDIR) {
			error = EINVAL;
			break;
		}
		error = vn_getattr(vp, &va);
		if (error != 0)
			break;
		if (whence == SEEK_END) {
			base = (off_t)va.va_size;
			break;
		}
		/* Files have no holes as far as we know: all data up to
		 * the end, one hole at the end. */
		if (off < 0 || (uint64_t)off >= va.va_size) {
			error = ENXIO;
			break;
		}
		base = 0;
		if (whence == SEEK_HOLE)
			off = (off_t)va.va_size;
		break;
	default:
		error = EINVAL;
		break;
	}
	if (error == 0) {
		/* Linux: EINVAL for any result that is no file offset,
		 * overflow included. */
		if (__builtin_add_overflow(base, off, &newoff))
			error = EINVAL;
		else if (newoff < 0)
			error = EINVAL;
		else
			fp->f_offset = newoff;
	}
	mutex_exit(&fp->f_offlock);
	file_release(fp);
	if (error == 0)
		*retval = newoff;
	return error;
}

/* getdents64: records are built in a kernel buffer under the mount lock
 * and copied out afterwards. */
struct getdents_ctx {
	char	*buf;
	size_t	 len;
	size_t	 used;
	off_t	 lastoff;
	bool	 toosmall;
};

static int
getdents_fill(void *arg, const char *name, size_t namelen, ino_t ino,
    int dtype, off_t off_next)
{
	struct getdents_ctx *ctx = arg;
	struct linux_dirent64 *d;
	size_t reclen, base;

	base = offsetof(struct linux_dirent64, d_name);
	reclen = roundup(base + namelen + 1, 8);
	if (ctx->used + reclen > ctx->len) {
		if (ctx->used == 0)
			ctx->toosmall = true;
		return 1;
	}
	d = (struct linux_dirent64 *)(ctx->buf + ctx->used);
	memset(d, 0, reclen);
	d->d_ino = ino;
	d->d_off = off_next;
	d->d_reclen = (uint16_t)reclen;
	d->d_type = (uint8_t)dtype;
	memcpy(d->d_name, name, namelen);
	ctx->used += reclen;
	ctx->lastoff = off_next;
	return 0;
}

SYSCALL(SYS_getdents64, getdents64)
{
	void *ubuf = (void *)args[1];
	size_t len = (size_t)args[2];
	struct getdents_ctx ctx;
	struct vattr va;
	struct file *fp;
	struct vnode *vp;
	bool pathbuf = false;
	int error;

	error = fd_getfile_nopath((int)args[0], &fp);
	if (error != 0)
		return error;
	vp = file_vnode(fp);
	if (vp == NULL || vp->v_type != VDIR) {
		error = ENOTDIR;
		goto out;
	}
	if (ubuf == NULL) {
		error = EFAULT;
		goto out;
	}
	memset(&ctx, 0, sizeof(ctx));
	ctx.len = MIN(len, 65536);
	if (ctx.len > PATH_MAX)
		ctx.buf = kmem_alloc(ctx.len, KM_SLEEP);
	if (ctx.buf == NULL) {
		/* Small, or out of memory: one of the reserve buffers. */
		ctx.len = MIN(ctx.len, PATH_MAX);
		ctx.buf = vfs_pathbuf_get();
		pathbuf = true;
	}
	if (ctx.buf == NULL) {
		error = ENOMEM;
		goto out;
	}
	mutex_enter(&fp->f_offlock);
	vn_lock(vp);
	/* A removed directory lists nothing, not even "." (Linux). */
	error = VOP_GETATTR(vp, &va);
	if (error == 0 && va.va_nlink == 0)
		error = ENOENT;
	if (error == 0)
		error = VOP_OPTIONAL(vp, vop_readdir, ENOTDIR, vp,
		    fp->f_offset, getdents_fill, &ctx);
	vn_unlock(vp);
	if (error == 0 && ctx.used == 0 && ctx.toosmall)
		error = EINVAL;
	if (error == 0 && ctx.used > 0)
		error = copyout(ctx.buf, ubuf, ctx.used);
	if (error == 0 && ctx.used > 0)
		fp->f_offset = ctx.lastoff;
	mutex_exit(&fp->f_offlock);
	if (pathbuf)
		vfs_pathbuf_put(ctx.buf);
	else
		kmem_free(ctx.buf, ctx.len);
	if (error == 0)
		*retval = (long)ctx.used;
 out:
	file_release(fp);
	return error;
}

static int
dofsync(int fd, bool dataonly)
{
	struct file *fp;
	struct vnode *vp;
	int error;

	error = fd_getfile_nopath(fd, &fp);
	if (error != 0)
		return error;
	/* Pipes, sockets and character devices have nothing to write
	 * back: EINVAL, as Linux answers for files without fsync. */
	if ((vp = file_vnode(fp)) == NULL || fp->f_ops == &cdev_fileops) {
		error = EINVAL;
	} else {
		vn_lock(vp);
		error = VOP_OPTIONAL(vp, vop_fsync, 0, vp, dataonly);
		vn_unlock(vp);
	}
	file_release(fp);
	return error;
}

SYSCALL(SYS_fsync, fsync)
{

	(void)retval;
	return dofsync((int)args[0], false);
}

SYSCALL(SYS_fdatasync, fdatasync)
{

	(void)retval;
	return dofsync((int)args[0], true);
}

/* Typed entry points. */
ssize_t
rump_sys_read(int fd, void *buf, size_t len)
{

	return syscall_typed(SYS_read, fd, (long)buf, (long)len, 0, 0, 0);
}

ssize_t
rump_sys_write(int fd, const void *buf, size_t len)
{

	return syscall_typed(SYS_write, fd, (long)buf, (long)len, 0, 0, 0);
}

ssize_t
rump_sys_pread64(int fd, void *buf, size_t len, int64_t off)
{

	return syscall_typed(SYS_pread64, fd, (long)buf, (long)len, off, 0, 0);
}

ssize_t
rump_sys_pwrite64(int fd, const void *buf, size_t len, int64_t off)
{

	return syscall_typed(SYS_pwrite64, fd, (long)buf, (long)len, off,
	    0, 0);
}

ssize_t
rump_sys_readv(int fd, const struct iovec *iov, int iovcnt)
{

	return syscall_typed(SYS_readv, fd, (long)iov, iovcnt, 0, 0, 0);
}

ssize_t
rump_sys_writev(int fd, const struct iovec *iov, int iovcnt)
{

	return syscall_typed(SYS_writev, fd, (long)iov, iovcnt, 0, 0, 0);
}

int64_t
rump_sys_lseek(int fd, int64_t off, int whence)
{

	return syscall_typed(SYS_lseek, fd, off, whence, 0, 0, 0);
}

ssize_t
rump_sys_getdents64(int fd, void *buf, size_t len)
{

	return syscall_typed(SYS_getdents64, fd, (long)buf, (long)len, 0, 0,
	    0);
}

int
rump_sys_fsync(int fd)
{

	return (int)syscall_typed(SYS_fsync, fd, 0, 0, 0, 0, 0);
}

int
rump_sys_fdatasync(int fd)
{

	return (int)syscall_typed(SYS_fdatasync, fd, 0, 0, 0, 0, 0);
}
