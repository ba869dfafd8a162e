/*
 * sys_fallocate.c: fallocate(2) and sync_file_range(2), the two calls
 * that act on a byte range of an open file's storage.
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/proc.h>
#include <kern/syscall.h>
#include <rump/rump_syscalls.h>
#include <vfs/vnode.h>
#include <vfs/mount.h>
#include <vfs/abi.h>
#include <vfs/file.h>
#include <vfs/vfs.h>

/* Every mode bit Linux knows; those beyond KEEP_SIZE and PUNCH_HOLE
 * (NO_HIDE_STALE, COLLAPSE_RANGE, ZERO_RANGE, INSERT_RANGE,
 * UNSHARE_RANGE) no strata file system has. */
#define FALLOC_FL_SUPPORTED_MASK	0x7f
#define FALLOC_FL_ZERO_RANGE		0x10
#define FALLOC_MAXBYTES			((uint64_t)INT64_MAX)

static int
dofallocate(int fd, int mode, off_t off, off_t len)
{
	struct file *fp;
	struct vnode *vp;
	int error;

	/* Linux's checks, in Linux's order: the descriptor first. */
	error = fd_getfile_nopath(fd, &fp);
	if (error != 0)
		return error;
	if (off < 0 || len <= 0)
		error = EINVAL;
	else if ((mode & ~FALLOC_FL_SUPPORTED_MASK) != 0)
		error = EOPNOTSUPP;
	else if ((mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE)) ==
	    (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE))
		error = EOPNOTSUPP;
	else if ((mode & FALLOC_FL_PUNCH_HOLE) &&
	    !(mode & FALLOC_FL_KEEP_SIZE))
		error = EOPNOTSUPP;
	if (error != 0)
		goto out;
	if ((file_flags(fp) & FWRITE) == 0) {
		error = EBADF;
		goto out;
	}
	if ((vp = file_vnode(fp)) == NULL) {
		error = ESPIPE;			/* a pipe */
		goto out;
	}
	if (vp->v_type == VFIFO) {
		error = ESPIPE;
		goto out;
	}
	if (vp->v_type == VDIR) {
		error = EISDIR;
		goto out;
	}
	if (vp->v_type != VREG) {
		error = ENODEV;
		goto out;
	}
	if ((uint64_t)off + (uint64_t)len > FALLOC_MAXBYTES) {
		error = EFBIG;
		goto out;
	}
	if (mode & ~(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE)) {
		error = EOPNOTSUPP;
		goto out;
	}
	vn_lock(vp);
	error = vn_writechk(vp);
	if (error == 0 && vp->v_op->vop_fallocate == NULL)
		error = EOPNOTSUPP;
	if (error == 0)
		error = vn_killsuid_locked(vp);
	if (error == 0)
		error = vp->v_op->vop_fallocate(vp, mode, (uint64_t)off,
		    (uint64_t)len);
	vn_unlock(vp);
 out:
	file_release(fp);
	return error;
}

SYSCALL(SYS_fallocate, fallocate)
{

	(void)retval;
	return dofallocate((int)args[0], (int)args[1], (off_t)args[2],
	    (off_t)args[3]);
}

#define SYNC_FILE_RANGE_WAIT_BEFORE	1
#define SYNC_FILE_RANGE_WRITE		2
#define SYNC_FILE_RANGE_WAIT_AFTER	4

/*
 * The file systems here write back a whole file (or the whole file
 * system) at once, so a range that asks for writing is written with
 * everything else of the file: more than asked, never less.  Waiting
 * alone has nothing to wait for: writes are synchronous when they are
 * started.
 */
static int
dosync_file_range(int fd, off_t off, off_t nbytes, unsigned flags)
{
	struct file *fp;
	struct vnode *vp;
	int64_t end;
	int error;

	/* As Linux: the descriptor first, then flags and range, then
	 * the kind of file. */
	error = fd_getfile_nopath(fd, &fp);
	if (error != 0)
		return error;
	vp = file_vnode(fp);
	end = (int64_t)((uint64_t)off + (uint64_t)nbytes);
	if ((flags & ~(unsigned)(SYNC_FILE_RANGE_WAIT_BEFORE |
	    SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER)) != 0 ||
	    off < 0 || end < 0 || end < off) {
		error = EINVAL;
	} else if (vp == NULL || (vp->v_type != VREG && vp->v_type != VDIR &&
	    vp->v_type != VLNK && vp->v_type != VBLK)) {
		error = ESPIPE;
	} else if (flags & SYNC_FILE_RANGE_WRITE) {
		vn_lock(vp);
		error = VOP_OPTIONAL(vp, vop_fsync, 0, vp, true);
		vn_unlock(vp);
	}
	file_release(fp);
	return error;
}

SYSCALL(SYS_sync_file_range, sync_file_range)
{

	(void)retval;
	return dosync_file_range((int)args[0], (off_t)args[1], (off_t)args[2],
	    (unsigned)args[3]);
}

int
rump_sys_fallocate(int fd, int mode, int64_t off, int64_t len)
{

	return (int)syscall_typed(SYS_fallocate, fd, mode, (long)off,
	    (long)len, 0, 0);
}

int
rump_sys_sync_file_range(int fd, int64_t off, int64_t nbytes,
    unsigned int flags)
{

	return (int)syscall_typed(SYS_sync_file_range, fd, (long)off,
	    (long)nbytes, (long)flags, 0, 0);
}
