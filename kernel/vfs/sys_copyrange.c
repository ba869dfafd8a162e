/*
 * sys_copyrange.c: copy_file_range(2): bytes from one regular file to
 * another (or another place of the same file) without passing through
 * the caller, in kernel-sized chunks through the files' own read and
 * write paths (so permissions, set-id clearing, times and O_APPEND rules
 * are those of write(2)).
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/kmem.h>
#include <kern/lock.h>
#include <kern/proc.h>
#include <kern/syscall.h>
#include <rump/rump_syscalls.h>
#include <vfs/vnode.h>
#include <vfs/mount.h>
#include <vfs/abi.h>
#include <vfs/file.h>
#include <vfs/vfs.h>

#define COPY_CHUNK	65536
#define MAX_RW_COUNT	0x7ffff000UL

/* One chunk through fp: at *offp (pos true) or at the file offset. */
static int
copy_io(struct file *fp, enum uio_rw rw, void *buf, size_t len, bool pos,
    off_t *offp, size_t *donep)
{
	struct kiovec iov = { buf, len };
	struct uio uio;
	int error;

	uio.uio_iov = &iov;
	uio.uio_iovcnt = 1;
	uio.uio_offset = pos ? *offp : 0;
	uio.uio_resid = len;
	uio.uio_rw = rw;
	uio.uio_segflg = UIO_SYSSPACE;
	if (rw == UIO_READ)
		error = fp->f_ops->fo_read(fp, &uio, pos ? 0 : FOF_UPDATE);
	else
		error = fp->f_ops->fo_write(fp, &uio, pos ? 0 : FOF_UPDATE);
	*donep = len - uio.uio_resid;
	if (pos)
		*offp += (off_t)*donep;
	return *donep > 0 ? 0 : error;
}

static int
docopy_file_range(int fdin, off_t *uoffin, int fdout, off_t *uoffout,
    size_t len, unsigned flags, long *retval)
{
	struct file *fin = NULL, *fout = NULL;
	struct vnode *vin, *vout;
	struct vattr vain;
	off_t offin = 0, offout = 0;
	size_t total = 0, n, got, put;
	uint64_t count;
	char *buf = NULL;
	int error;

	error = fd_getfile_nopath(fdin, &fin);
	if (error != 0)
		return error;
	error = fd_getfile_nopath(fdout, &fout);
	if (error != 0)
		goto out;
	if (uoffin != NULL && (error = copyin(uoffin, &offin,
	    sizeof(offin))) != 0)
		goto out;
	if (uoffout != NULL && (error = copyin(uoffout, &offout,
	    sizeof(offout))) != 0)
		goto out;
	if (flags != 0) {
		error = EINVAL;
		goto out;
	}
	vin = file_vnode(fin);
	vout = file_vnode(fout);
	if ((vin != NULL && vin->v_type == VDIR) ||
	    (vout != NULL && vout->v_type == VDIR)) {
		error = EISDIR;
		goto out;
	}
	if (vin == NULL || vout == NULL || vin->v_type != VREG ||
	    vout->v_type != VREG) {
		error = EINVAL;
		goto out;
	}
	if ((file_flags(fin) & FREAD) == 0 || (file_flags(fout) & FWRITE) == 0 ||
	    (file_flags(fout) & O_APPEND) != 0) {
		error = EBADF;
		goto out;
	}
	if (vin->v_mount != vout->v_mount) {
		error = EXDEV;
		goto out;
	}
	if (uoffin == NULL) {
		mutex_enter(&fin->f_offlock);
		offin = fin->f_offset;
		mutex_exit(&fin->f_offlock);
	}
	if (uoffout == NULL) {
		mutex_enter(&fout->f_offlock);
		offout = fout->f_offset;
		mutex_exit(&fout->f_offlock);
	}
	count = MIN(len, MAX_RW_COUNT);
	/* As Linux: a range that wraps around (a negative offset read as
	 * unsigned, when the count reaches past -offset) is EOVERFLOW
	 * before a negative offset is EINVAL. */
	if ((uint64_t)offin + count < (uint64_t)offin ||
	    (uint64_t)offout + count < (uint64_t)offout) {
		error = EOVERFLOW;
		goto out;
	}
	if (offin < 0 || offout < 0) {
		error = EINVAL;
		goto out;
	}
	if ((uint64_t)offin + count > (uint64_t)INT64_MAX ||
	    (uint64_t)offout + count > (uint64_t)INT64_MAX) {
		error = EOVERFLOW;
		goto out;
	}
	error = vn_getattr(vin, &vain);
	if (error != 0)
		goto out;
	count = (uint64_t)offin >= vain.va_size ? 0 :
	    MIN(count, vain.va_size - (uint64_t)offin);
	if (vin == vout && (uint64_t)offout + count > (uint64_t)offin &&
	    (uint64_t)offout < (uint64_t)offin + count) {
		error = EINVAL;		/* overlapping ranges of one file */
		goto out;
	}
	if (count == 0) {
		*retval = 0;
		goto out;
	}
	buf = kmem_alloc(COPY_CHUNK, KM_SLEEP);
	if (buf == NULL) {
		error = ENOMEM;
		goto out;
	}
	while (total < count) {
		n = MIN(count - total, COPY_CHUNK);
		error = copy_io(fin, UIO_READ, buf, n, uoffin != NULL, &offin,
		    &got);
		if (error != 0 || got == 0)
			break;
		error = copy_io(fout, UIO_WRITE, buf, got, uoffout != NULL,
		    &offout, &put);
		total += put;
		if (error != 0 || put < got) {
			/* Bytes read but not written go back to the input
			 * offset, as if never read. */
			if (uoffin == NULL && put < got) {
				mutex_enter(&fin->f_offlock);
				fin->f_offset -= (off_t)(got - put);
				mutex_exit(&fin->f_offlock);
			} else if (put < got) {
				offin -= (off_t)(got - put);
			}
			break;
		}
	}
	if (total > 0)
		error = 0;
	if (error == 0) {
		if (uoffin != NULL)
			error = copyout(&offin, uoffin, sizeof(offin));
		if (error == 0 && uoffout != NULL)
			error = copyout(&offout, uoffout, sizeof(offout));
		*retval = (long)total;
	}
 out:
	if (buf != NULL)
		kmem_free(buf, COPY_CHUNK);
	if (fout != NULL)
		file_release(fout);
	file_release(fin);
	return error;
}

SYSCALL(SYS_copy_file_range, copy_file_range)
{

	return docopy_file_range((int)args[0], (off_t *)args[1],
	    (int)args[2], (off_t *)args[3], (size_t)args[4],
	    (unsigned)args[5], retval);
}

ssize_t
rump_sys_copy_file_range(int fdin, int64_t *offin, int fdout,
    int64_t *offout, size_t len, unsigned int flags)
{

	return syscall_typed(SYS_copy_file_range, fdin, (long)offin, fdout,
	    (long)offout, (long)len, (long)flags);
}
