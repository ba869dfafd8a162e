/*
 * sys_open.c: open, openat, creat.
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
#include <vfs/namei.h>
#include <vfs/vfs.h>
#include <vfs/cdev.h>

#define O_TMPFILE_BIT	020000000

/*
 * O_CREAT: the name is looked up and, if absent, created with the mount
 * locked, so O_EXCL is atomic.  A symlink in the last component is
 * followed (and its target created) unless O_EXCL or O_NOFOLLOW.
 */
static int
open_create(struct nameidata *nd, int flags, mode_t mode, bool *createdp,
    struct vnode **vpp)
{
	const struct kauth_cred *cred = kauth_cred_get();
	bool follow = (flags & (O_EXCL | O_NOFOLLOW)) == 0;
	struct vattr dva, va;
	struct vnode *dvp, *vp;
	int error;

	for (;;) {
		if (nd->ni_lasttype != LAST_NORM) {
			/* ".", ".." or "/": an existing directory. */
			return (flags & O_EXCL) ? EEXIST : EISDIR;
		}
		if (nd->ni_trailslash)
			return EISDIR;
		dvp = nd->ni_dvp;
		vn_lock(dvp);
		error = vn_lookup_locked(dvp, nd->ni_name, nd->ni_namelen, &vp);
		if (error == ENOENT) {
			error = VOP_GETATTR(dvp, &dva);
			/* Nothing is created in a removed directory. */
			if (error == 0 && dva.va_nlink == 0)
				error = ENOENT;
			if (error == 0)
				error = vn_writechk(dvp);
			if (error == 0)
				error = vn_access_locked(dvp, VWRITE | VEXEC,
				    cred);
			if (error == 0) {
				vattr_newfile(&dva, VREG,
				    mode & ~cwd_umask(0, false), cred, &va);
				error = VOP_OPTIONAL(dvp, vop_create, EROFS,
				    dvp, nd->ni_name, nd->ni_namelen, &va, &vp);
			}
			/* The next lookup of the name takes no lock. */
			if (error == 0)
				nc_enter(dvp, nd->ni_name, nd->ni_namelen, vp);
			vn_unlock(dvp);
			if (error != 0)
				return error;
			*createdp = true;
			*vpp = vp;
			return 0;
		}
		if (error == 0)
			nc_enter(dvp, nd->ni_name, nd->ni_namelen, vp);
		vn_unlock(dvp);
		if (error != 0)
			return error;
		if (flags & O_EXCL) {
			vrele(vp);
			return EEXIST;
		}
		vp = namei_crossmounts(vp);
		if (vp->v_type == VLNK && follow) {
			error = namei_follow(nd, vp);
			vrele(vp);
			if (error != 0)
				return error;
			continue;
		}
		*vpp = vp;
		return 0;
	}
}

static int
vn_open(int dirfd, const char *upath, int flags, mode_t mode, int fmode,
    struct vnode **vpp)
{
	const struct kauth_cred *cred = kauth_cred_get();
	struct nameidata nd;
	struct vnode *vp;
	struct vattr va;
	bool created = false;
	int error, acc;

	if ((flags & O_CREAT) != 0 && (fmode & FPATH) == 0) {
		namei_init(&nd, dirfd, upath, NI_PARENT);
		error = namei(&nd);
		if (error != 0)
			return error;
		error = open_create(&nd, flags, mode & S_IALLUGO, &created,
		    &vp);
		namei_done(&nd);
		if (error != 0)
			return error;
	} else {
		error = namei_vnode(dirfd, upath,
		    (flags & O_NOFOLLOW) ? 0 : NI_FOLLOW, &vp);
		if (error != 0)
			return error;
	}
	if (created) {
		/* The creator gets the access asked for, whatever the new
		 * file's mode says. */
		*vpp = vp;
		return 0;
	}

	error = 0;
	if ((flags & O_DIRECTORY) != 0 && vp->v_type != VDIR) {
		/* Before ELOOP: Linux says ENOTDIR for an unfollowed
		 * symlink too. */
		error = ENOTDIR;
	} else if (vp->v_type == VLNK && (fmode & FPATH) == 0) {
		/* Only O_PATH|O_NOFOLLOW opens a symlink itself. */
		error = ELOOP;
	}
	if (error != 0 || (fmode & FPATH) != 0)
		goto out;

	if (vp->v_type == VDIR &&
	    ((fmode & FWRITE) != 0 || (flags & (O_TRUNC | O_CREAT)) != 0)) {
		error = EISDIR;
		goto out;
	}
	/* Linux ignores O_TRUNC on anything but a regular file. */
	if (vp->v_type != VREG)
		flags &= ~O_TRUNC;
	acc = 0;
	if (fmode & FREAD)
		acc |= VREAD;
	if ((fmode & FWRITE) != 0 || (flags & O_TRUNC) != 0)
		acc |= VWRITE;
	vn_lock(vp);
	if (acc & VWRITE)
		error = vn_writechk(vp);
	if (error == 0)
		error = vn_access_locked(vp, acc, cred);
	if (error == 0 && (flags & O_NOATIME) != 0 && !cred_is_superuser(cred)) {
		/* Only the owner may keep us from updating atimes. */
		error = VOP_GETATTR(vp, &va);
		if (error == 0 && va.va_uid != cred->cr_euid)
			error = EPERM;
	}
	if (error == 0 && (flags & O_TRUNC) != 0)
		error = vn_killsuid_locked(vp);
	if (error == 0 && (flags & O_TRUNC) != 0) {
		va.va_mask = VA_SIZE;
		va.va_size = 0;
		error = vn_setattr_locked(vp, &va);
	}
	/* After the permission checks, as Linux: device nodes of a nodev
	 * mount are EACCES; a character device node opens when a driver
	 * serves its numbers (vfs/cdev.h), else ENXIO; this kernel has no
	 * block devices behind device nodes (ENXIO), and a socket file is
	 * not opened (ENXIO).  FIFOs are opened by the caller (fifo_open). */
	if (error == 0 && (vp->v_type == VCHR || vp->v_type == VBLK) &&
	    (vp->v_mount->mnt_flags & MS_NODEV) != 0)
		error = EACCES;
	else if (error == 0 && vp->v_type == VCHR)
		error = cdev_open(vp);
	else if (error == 0 && vp->v_type == VBLK)
		error = ENXIO;
	if (error == 0 && vp->v_type == VSOCK)
		error = ENXIO;
	vn_unlock(vp);
 out:
	if (error != 0) {
		vrele(vp);
		return error;
	}
	*vpp = vp;
	return 0;
}

static int
doopen(int dirfd, const char *upath, int flags, mode_t mode, long *retval)
{
	struct file *fp;
	struct vnode *vp;
	int fd, fmode, error;

	if (flags & O_TMPFILE_BIT)
		return EOPNOTSUPP;
	if (flags & O_PATH) {
		fmode = FPATH;
		/* Only these flags mean anything with O_PATH. */
		flags &= O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	} else {
		switch (flags & O_ACCMODE) {
		case O_RDONLY:
			fmode = FREAD;
			break;
		case O_WRONLY:
			fmode = FWRITE;
			break;
		case O_RDWR:
			fmode = FREAD | FWRITE;
			break;
		default:
			return EINVAL;
		}
		if ((flags & (O_CREAT | O_DIRECTORY)) ==
		    (O_CREAT | O_DIRECTORY))
			return EINVAL;
	}

	/* Like Linux, a full table fails before the path is looked at. */
	error = fd_alloc(0, &fd);
	if (error != 0)
		return error;
	error = file_alloc(&fp);
	if (error != 0) {
		fd_abort(fd);
		return error;
	}
	error = vn_open(dirfd, upath, flags, mode, fmode, &vp);
	if (error != 0) {
		file_release(fp);
		fd_abort(fd);
		return error;
	}
	fp->f_flag = fmode;
	if ((fmode & FPATH) == 0)
		fp->f_flag |= flags & FSETFL_MASK;
	if (vp->v_type == VFIFO && (fmode & FPATH) == 0) {
		/* A FIFO is a pipe; opening may wait for the other end. */
		error = fifo_open(fp, vp, fp->f_flag);
		if (error != 0) {
			vrele(vp);
			file_release(fp);
			fd_abort(fd);
			return error;
		}
	} else if (vp->v_type == VCHR && (fmode & FPATH) == 0) {
		fp->f_ops = &cdev_fileops;
		fp->f_data = vp;
	} else {
		fp->f_ops = &vnode_fileops;
		fp->f_data = vp;
	}
	fd_install(fd, fp, (flags & O_CLOEXEC) != 0);
	file_release(fp);
	*retval = fd;
	return 0;
}

SYSCALL_LEGACY(SYS_open, open)
{

	return doopen(AT_FDCWD, (const char *)args[0], (int)args[1],
	    (mode_t)args[2], retval);
}

SYSCALL(SYS_openat, openat)
{

	return doopen((int)args[0], (const char *)args[1], (int)args[2],
	    (mode_t)args[3], retval);
}

SYSCALL_LEGACY(SYS_creat, creat)
{

	return doopen(AT_FDCWD, (const char *)args[0],
	    O_CREAT | O_WRONLY | O_TRUNC, (mode_t)args[1], retval);
}

/* Typed entry points: the mode is there only with O_CREAT.  Like every
 * typed call with a legacy form (open, stat, mkdir, ...), rump_sys_open
 * goes through the *at call: that exists on every target's ABI, and the
 * legacy handlers do nothing but call the same code with AT_FDCWD. */
int
rump_sys_open(const char *path, int flags, ...)
{
	unsigned int mode = 0;
	va_list ap;

	if (flags & (O_CREAT | O_TMPFILE_BIT)) {
		va_start(ap, flags);
		mode = va_arg(ap, unsigned int);
		va_end(ap);
	}
	return (int)syscall_typed(SYS_openat, AT_FDCWD, (long)path, flags,
	    mode, 0, 0);
}

int
rump_sys_openat(int dirfd, const char *path, int flags, ...)
{
	unsigned int mode = 0;
	va_list ap;

	if (flags & (O_CREAT | O_TMPFILE_BIT)) {
		va_start(ap, flags);
		mode = va_arg(ap, unsigned int);
		va_end(ap);
	}
	return (int)syscall_typed(SYS_openat, dirfd, (long)path, flags, mode,
	    0, 0);
}
