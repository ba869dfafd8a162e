/*
 * sys_attr.c: changing attributes: chmod, fchmod, fchmodat(2), chown,
 * lchown, fchown, fchownat, utimensat, truncate, ftruncate, umask.
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/libkern.h>
#include <kern/proc.h>
#include <kern/clock.h>
#include <kern/syscall.h>
#include <rump/rump_syscalls.h>
#include <vfs/vnode.h>
#include <vfs/mount.h>
#include <vfs/abi.h>
#include <vfs/file.h>
#include <vfs/namei.h>
#include <vfs/vfs.h>

/* The vnode of an open file for f*() calls: EBADF for O_PATH files,
 * pipes give *vpp == NULL (there is no vnode to keep attributes in). */
static int
fd_getvnode(int fd, struct vnode **vpp)
{
	struct file *fp;
	int error;

	error = fd_getfile_nopath(fd, &fp);
	if (error != 0)
		return error;
	*vpp = NULL;
	if ((*vpp = file_vnode(fp)) != NULL)
		vref(*vpp);
	file_release(fp);
	return 0;
}

/* The same for the *at() calls, which take AT_SYMLINK_NOFOLLOW and
 * AT_EMPTY_PATH (EINVAL for other flags): AT_EMPTY_PATH may name a pipe. */
static int
path_getvnode(int dirfd, const char *upath, int flags, struct vnode **vpp)
{
	struct file *fp;
	int error;

	if ((flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) != 0)
		return EINVAL;
	error = namei_at(dirfd, upath, flags,
	    (flags & AT_SYMLINK_NOFOLLOW) == 0, vpp, &fp);
	if (error == 0 && fp != NULL)
		file_release(fp);
	return error;
}

static int
dochmod(struct vnode *vp, mode_t mode)
{
	struct vattr va, setva;
	int error;

	vn_lock(vp);
	error = VOP_GETATTR(vp, &va);
	if (error == 0)
		error = vn_writechk(vp);
	mode &= S_IALLUGO;
	if (error == 0)
		error = vaccess_chmod(&va, &mode, kauth_cred_get());
	if (error == 0) {
		setva.va_mask = VA_MODE;
		setva.va_mode = mode;
		error = vn_setattr_locked(vp, &setva);
	}
	vn_unlock(vp);
	return error;
}

static int
dochmodat(int dirfd, const char *upath, mode_t mode, int flags)
{
	struct vnode *vp;
	int error;

	error = path_getvnode(dirfd, upath, flags, &vp);
	if (error != 0 || vp == NULL)
		return error;
	/* Symlinks have no mode of their own (Linux). */
	if (vp->v_type == VLNK)
		error = EOPNOTSUPP;
	else
		error = dochmod(vp, mode);
	vrele(vp);
	return error;
}

SYSCALL_LEGACY(SYS_chmod, chmod)
{

	(void)retval;
	return dochmodat(AT_FDCWD, (const char *)args[0], (mode_t)args[1], 0);
}

/* The original fchmodat has no flags argument. */
SYSCALL(SYS_fchmodat, fchmodat)
{

	(void)retval;
	return dochmodat((int)args[0], (const char *)args[1], (mode_t)args[2],
	    0);
}

SYSCALL(SYS_fchmodat2, fchmodat2)
{

	(void)retval;
	return dochmodat((int)args[0], (const char *)args[1], (mode_t)args[2],
	    (int)args[3]);
}

SYSCALL(SYS_fchmod, fchmod)
{
	struct vnode *vp;
	int error;

	(void)retval;
	error = fd_getvnode((int)args[0], &vp);
	if (error != 0 || vp == NULL)
		return error;
	error = dochmod(vp, (mode_t)args[1]);
	vrele(vp);
	return error;
}

static int
dochown(struct vnode *vp, uid_t uid, gid_t gid)
{
	struct vattr va, setva;
	int error;

	vn_lock(vp);
	error = VOP_GETATTR(vp, &va);
	if (error == 0)
		error = vn_writechk(vp);
	if (error == 0)
		error = vaccess_chown(&va, uid, gid, kauth_cred_get(), &setva);
	if (error == 0 && setva.va_mask != 0)
		error = vn_setattr_locked(vp, &setva);
	vn_unlock(vp);
	return error;
}

static int
dochownat(int dirfd, const char *upath, uid_t uid, gid_t gid, int flags)
{
	struct vnode *vp;
	int error;

	error = path_getvnode(dirfd, upath, flags, &vp);
	if (error != 0 || vp == NULL)
		return error;
	error = dochown(vp, uid, gid);
	vrele(vp);
	return error;
}

SYSCALL_LEGACY(SYS_chown, chown)
{

	(void)retval;
	return dochownat(AT_FDCWD, (const char *)args[0], (uid_t)args[1],
	    (gid_t)args[2], 0);
}

SYSCALL_LEGACY(SYS_lchown, lchown)
{

	(void)retval;
	return dochownat(AT_FDCWD, (const char *)args[0], (uid_t)args[1],
	    (gid_t)args[2], AT_SYMLINK_NOFOLLOW);
}

SYSCALL(SYS_fchownat, fchownat)
{

	(void)retval;
	return dochownat((int)args[0], (const char *)args[1], (uid_t)args[2],
	    (gid_t)args[3], (int)args[4]);
}

SYSCALL(SYS_fchown, fchown)
{
	struct vnode *vp;
	int error;

	(void)retval;
	error = fd_getvnode((int)args[0], &vp);
	if (error != 0 || vp == NULL)
		return error;
	error = dochown(vp, (uid_t)args[1], (gid_t)args[2]);
	vrele(vp);
	return error;
}

static bool
utime_nsec_valid(long nsec)
{

	return nsec == UTIME_NOW || nsec == UTIME_OMIT ||
	    (nsec >= 0 && nsec < 1000000000L);
}

SYSCALL(SYS_utimensat, utimensat)
{
	int dirfd = (int)args[0], flags = (int)args[3];
	const char *upath = (const char *)args[1];
	const struct timespec *utimes = (const struct timespec *)args[2];
	struct timespec ts[2], now;
	struct vattr va, setva;
	struct vnode *vp;
	bool settimes, timesok;
	int error, i;

	(void)retval;
	getnanotime(&now);
	if (utimes != NULL) {
		error = copyin(utimes, ts, sizeof(ts));
		if (error != 0)
			return error;
		/* Nothing to do: like Linux, not even the flags or the path
		 * are looked at. */
		if (ts[0].tv_nsec == UTIME_OMIT && ts[1].tv_nsec == UTIME_OMIT)
			return 0;
	} else {
		ts[0].tv_nsec = ts[1].tv_nsec = UTIME_NOW;
	}
	/* Linux validates the times only once it has the file. */
	timesok = utime_nsec_valid(ts[0].tv_nsec) &&
	    utime_nsec_valid(ts[1].tv_nsec);
	/* Explicit times need ownership; "now" only write access. */
	settimes = (ts[0].tv_nsec != UTIME_NOW &&
	    ts[0].tv_nsec != UTIME_OMIT) ||
	    (ts[1].tv_nsec != UTIME_NOW && ts[1].tv_nsec != UTIME_OMIT);

	if (upath == NULL) {
		/* futimens(): the file dirfd refers to. */
		if (dirfd == AT_FDCWD)
			return (flags & ~(AT_SYMLINK_NOFOLLOW |
			    AT_EMPTY_PATH)) != 0 ? EINVAL : EFAULT;
		if (flags != 0)
			return EINVAL;
		error = fd_getvnode(dirfd, &vp);
	} else {
		error = path_getvnode(dirfd, upath, flags, &vp);
	}
	if (error != 0)
		return error;
	if (vp == NULL)
		return timesok ? 0 : EINVAL;	/* a pipe */
	if (!timesok) {
		vrele(vp);
		return EINVAL;
	}

	vn_lock(vp);
	error = VOP_GETATTR(vp, &va);
	if (error == 0)
		error = vn_writechk(vp);
	if (error == 0)
		error = vaccess_utimes(&va, settimes, kauth_cred_get());
	if (error == 0) {
		setva.va_mask = 0;
		for (i = 0; i < 2; i++) {
			struct timespec *t = i == 0 ? &setva.va_atime :
			    &setva.va_mtime;

			if (ts[i].tv_nsec == UTIME_OMIT)
				continue;
			setva.va_mask |= i == 0 ? VA_ATIME : VA_MTIME;
			*t = ts[i].tv_nsec == UTIME_NOW ? now : ts[i];
		}
		error = vn_setattr_locked(vp, &setva);
	}
	vn_unlock(vp);
	vrele(vp);
	return error;
}

static int
dotruncate(struct vnode *vp, off_t len)
{
	struct vattr va;
	int error;

	vn_lock(vp);
	va.va_mask = VA_SIZE;
	va.va_size = (uint64_t)len;
	error = vn_writechk(vp);
	if (error == 0)
		error = vn_killsuid_locked(vp);
	if (error == 0)
		error = vn_setattr_locked(vp, &va);
	vn_unlock(vp);
	return error;
}

SYSCALL(SYS_truncate, truncate)
{
	off_t len = (off_t)args[1];
	struct vnode *vp;
	int error;

	(void)retval;
	if (len < 0)
		return EINVAL;
	error = namei_vnode(AT_FDCWD, (const char *)args[0], NI_FOLLOW, &vp);
	if (error != 0)
		return error;
	if (vp->v_type == VDIR)
		error = EISDIR;
	else if (vp->v_type != VREG)
		error = EINVAL;
	else if ((error = vn_writechk(vp)) == 0 &&
	    (error = vn_access(vp, VWRITE, kauth_cred_get())) == 0)
		error = dotruncate(vp, len);
	vrele(vp);
	return error;
}

SYSCALL(SYS_ftruncate, ftruncate)
{
	off_t len = (off_t)args[1];
	struct file *fp;
	int error;

	(void)retval;
	if (len < 0)
		return EINVAL;
	error = fd_getfile_nopath((int)args[0], &fp);
	if (error != 0)
		return error;
	if (file_vnode(fp) == NULL ||
	    file_vnode(fp)->v_type != VREG || (file_flags(fp) & FWRITE) == 0)
		error = EINVAL;
	else
		error = dotruncate(file_vnode(fp), len);
	file_release(fp);
	return error;
}

SYSCALL(SYS_umask, umask)
{

	*retval = (long)cwd_umask((mode_t)args[0], true);
	return 0;
}

/* Typed entry points.  Those with a legacy call go through the *at call,
 * which every target's ABI has (see sys_open.c). */
int
rump_sys_chmod(const char *path, uint32_t mode)
{

	return (int)syscall_typed(SYS_fchmodat, AT_FDCWD, (long)path, mode, 0,
	    0, 0);
}

int
rump_sys_fchmod(int fd, uint32_t mode)
{

	return (int)syscall_typed(SYS_fchmod, fd, mode, 0, 0, 0, 0);
}

int
rump_sys_fchmodat(int dirfd, const char *path, uint32_t mode, int flags)
{

	return (int)syscall_typed(SYS_fchmodat2, dirfd, (long)path, mode,
	    flags, 0, 0);
}

int
rump_sys_chown(const char *path, uint32_t uid, uint32_t gid)
{

	return (int)syscall_typed(SYS_fchownat, AT_FDCWD, (long)path, uid, gid,
	    0, 0);
}

int
rump_sys_lchown(const char *path, uint32_t uid, uint32_t gid)
{

	return (int)syscall_typed(SYS_fchownat, AT_FDCWD, (long)path, uid, gid,
	    AT_SYMLINK_NOFOLLOW, 0);
}

int
rump_sys_fchown(int fd, uint32_t uid, uint32_t gid)
{

	return (int)syscall_typed(SYS_fchown, fd, uid, gid, 0, 0, 0);
}

int
rump_sys_fchownat(int dirfd, const char *path, uint32_t uid, uint32_t gid,
    int flags)
{

	return (int)syscall_typed(SYS_fchownat, dirfd, (long)path, uid, gid,
	    flags, 0);
}

int
rump_sys_utimensat(int dirfd, const char *path,
    const struct timespec times[2], int flags)
{

	return (int)syscall_typed(SYS_utimensat, dirfd, (long)path,
	    (long)times, flags, 0, 0);
}

int
rump_sys_truncate(const char *path, int64_t len)
{

	return (int)syscall_typed(SYS_truncate, (long)path, len, 0, 0, 0, 0);
}

int
rump_sys_ftruncate(int fd, int64_t len)
{

	return (int)syscall_typed(SYS_ftruncate, fd, len, 0, 0, 0, 0);
}

uint32_t
rump_sys_umask(uint32_t mask)
{

	return (uint32_t)syscall_typed(SYS_umask, mask, 0, 0, 0, 0, 0);
}
