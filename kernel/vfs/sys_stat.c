/*
 * sys_stat.c: stat, lstat, fstat, newfstatat, statfs, fstatfs, access,
 * faccessat, faccessat2.
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/libkern.h>
#include <kern/proc.h>
#include <kern/syscall.h>
#include <rump/rump_syscalls.h>
#include <vfs/vnode.h>
#include <vfs/mount.h>
#include <vfs/abi.h>
#include <vfs/file.h>
#include <vfs/namei.h>
#include <vfs/vfs.h>

static int
dostatat(int dirfd, const char *upath, struct stat *ust, int flags)
{
	struct vnode *vp;
	struct file *fp;
	struct stat st;
	int error;

	if ((flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH |
	    AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE)) != 0)
		return EINVAL;
	error = namei_at(dirfd, upath, flags,
	    (flags & AT_SYMLINK_NOFOLLOW) == 0, &vp, &fp);
	if (error != 0)
		return error;
	if (vp != NULL) {
		error = vn_stat(vp, &st);
		vrele(vp);
	} else {
		error = fp->f_ops->fo_stat(fp, &st);
		file_release(fp);
	}
	if (error == 0)
		error = ust == NULL ? EFAULT : copyout(&st, ust, sizeof(st));
	return error;
}

SYSCALL_LEGACY(SYS_stat, stat)
{

	(void)retval;
	return dostatat(AT_FDCWD, (const char *)args[0],
	    (struct stat *)args[1], 0);
}

SYSCALL_LEGACY(SYS_lstat, lstat)
{

	(void)retval;
	return dostatat(AT_FDCWD, (const char *)args[0],
	    (struct stat *)args[1], AT_SYMLINK_NOFOLLOW);
}

SYSCALL(SYS_newfstatat, newfstatat)
{

	(void)retval;
	return dostatat((int)args[0], (const char *)args[1],
	    (struct stat *)args[2], (int)args[3]);
}

SYSCALL(SYS_fstat, fstat)
{
	struct stat st;
	struct file *fp;
	int error;

	(void)retval;
	error = fd_getfile((int)args[0], &fp);
	if (error != 0)
		return error;
	error = fp->f_ops->fo_stat(fp, &st);
	file_release(fp);
	if (error == 0)
		error = args[1] == 0 ? EFAULT :
		    copyout(&st, (void *)args[1], sizeof(st));
	return error;
}

static int
dostatfs(struct vnode *vp, long magic, struct statfs *usf)
{
	struct statfs sf;
	int error = 0;

	if (vp != NULL) {
		error = vfs_statfs_linux(vp->v_mount, &sf);
	} else {
		/* Pipes, sockets, ... live on no mounted file system;
		 * Linux reports its internal pipefs, sockfs, ... */
		memset(&sf, 0, sizeof(sf));
		sf.f_type = magic;
		sf.f_bsize = sf.f_frsize = 4096;
		sf.f_namelen = NAME_MAX;
		sf.f_flags = ST_VALID;
	}
	if (error == 0)
		error = usf == NULL ? EFAULT : copyout(&sf, usf, sizeof(sf));
	return error;
}

SYSCALL(SYS_statfs, statfs)
{
	struct vnode *vp;
	int error;

	(void)retval;
	error = namei_vnode(AT_FDCWD, (const char *)args[0], NI_FOLLOW, &vp);
	if (error != 0)
		return error;
	error = dostatfs(vp, 0, (struct statfs *)args[1]);
	vrele(vp);
	return error;
}

SYSCALL(SYS_fstatfs, fstatfs)
{
	struct file *fp;
	int error;

	(void)retval;
	error = fd_getfile((int)args[0], &fp);
	if (error != 0)
		return error;
	error = dostatfs(file_vnode(fp), fp->f_ops->fo_fsmagic,
	    (struct statfs *)args[1]);
	file_release(fp);
	return error;
}

/*
 * access(2) checks with the real ids unless AT_EACCESS, for the lookup
 * as well as for the file.
 */
static int
doaccess(int dirfd, const char *upath, int mode, int flags)
{
	struct kauth_cred cred;
	struct nameidata nd;
	struct vattr va;
	struct vnode *vp;
	char *path;
	int error;

	if ((mode & ~(R_OK | W_OK | X_OK)) != 0)
		return EINVAL;
	if ((flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) != 0)
		return EINVAL;
	cred = *kauth_cred_get();
	if ((flags & AT_EACCESS) == 0) {
		cred.cr_euid = cred.cr_uid;
		cred.cr_egid = cred.cr_gid;
	}
	path = vfs_pathbuf_get();
	if (path == NULL)
		return ENOMEM;
	error = vfs_copyinpath(upath, path, (flags & AT_EMPTY_PATH) != 0);
	if (error != 0) {
		vfs_pathbuf_put(path);
		return error;
	}
	namei_init(&nd, dirfd, path, NI_KPATH | NI_EMPTYPATH |
	    ((flags & AT_SYMLINK_NOFOLLOW) ? 0 : NI_FOLLOW));
	nd.ni_cred = &cred;
	error = namei(&nd);
	vfs_pathbuf_put(path);
	if (error != 0)
		return error;
	vp = nd.ni_vp;
	if (mode != F_OK) {
		vn_lock(vp);
		if ((mode & W_OK) != 0 && vp->v_type != VCHR &&
		    vp->v_type != VBLK && vp->v_type != VFIFO &&
		    vp->v_type != VSOCK)
			error = vn_writechk(vp);
		if (error == 0)
			error = VOP_GETATTR(vp, &va);
		if (error == 0)
			error = vaccess(&va, mode, &cred);
		vn_unlock(vp);
	}
	namei_done(&nd);
	return error;
}

SYSCALL_LEGACY(SYS_access, access)
{

	(void)retval;
	return doaccess(AT_FDCWD, (const char *)args[0], (int)args[1], 0);
}

/* The original system call has no flags argument. */
SYSCALL(SYS_faccessat, faccessat)
{

	(void)retval;
	return doaccess((int)args[0], (const char *)args[1], (int)args[2], 0);
}

SYSCALL(SYS_faccessat2, faccessat2)
{

	(void)retval;
	return doaccess((int)args[0], (const char *)args[1], (int)args[2],
	    (int)args[3]);
}

/* Typed entry points.  Those with a legacy call go through the *at call,
 * which every target's ABI has (see sys_open.c). */
int
rump_sys_stat(const char *path, struct stat *st)
{

	return (int)syscall_typed(SYS_newfstatat, AT_FDCWD, (long)path,
	    (long)st, 0, 0, 0);
}

int
rump_sys_lstat(const char *path, struct stat *st)
{

	return (int)syscall_typed(SYS_newfstatat, AT_FDCWD, (long)path,
	    (long)st, AT_SYMLINK_NOFOLLOW, 0, 0);
}

int
rump_sys_fstat(int fd, struct stat *st)
{

	return (int)syscall_typed(SYS_fstat, fd, (long)st, 0, 0, 0, 0);
}

int
rump_sys_newfstatat(int dirfd, const char *path, struct stat *st, int flags)
{

	return (int)syscall_typed(SYS_newfstatat, dirfd, (long)path,
	    (long)st, flags, 0, 0);
}

int
rump_sys_statfs(const char *path, struct statfs *sf)
{

	return (int)syscall_typed(SYS_statfs, (long)path, (long)sf, 0, 0, 0,
	    0);
}

int
rump_sys_fstatfs(int fd, struct statfs *sf)
{

	return (int)syscall_typed(SYS_fstatfs, fd, (long)sf, 0, 0, 0, 0);
}

int
rump_sys_access(const char *path, int mode)
{

	return (int)syscall_typed(SYS_faccessat, AT_FDCWD, (long)path, mode,
	    0, 0, 0);
}

int
rump_sys_faccessat(int dirfd, const char *path, int mode, int flags)
{

	return (int)syscall_typed(SYS_faccessat2, dirfd, (long)path, mode,
	    flags, 0, 0);
}
