/*
 * sys_mount.c: mount, umount2, sync.
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/kmem.h>
#include <kern/libkern.h>
#include <kern/proc.h>
#include <kern/syscall.h>
#include <rump/rump_syscalls.h>
#include <vfs/vnode.h>
#include <vfs/mount.h>
#include <vfs/abi.h>
#include <vfs/namei.h>
#include <vfs/vfs.h>

#define MOUNT_DATA_MAX	4096	/* option string, like Linux's one page */
#define MOUNT_FLAGS_OK	(MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | \
	MS_REMOUNT | MS_NOATIME | MS_NODIRATIME | MS_SILENT | MS_RELATIME)

/* Copies an optional string argument in (NULL stays NULL). */
static int
copyin_optstr(const char *ustr, size_t max, char **strp)
{
	size_t done;
	char *s;
	int error;

	*strp = NULL;
	if (ustr == NULL)
		return 0;
	s = kmem_alloc(max, KM_SLEEP);
	if (s == NULL)
		return ENOMEM;
	error = copyinstr(ustr, s, max, &done);
	if (error != 0) {
		kmem_free(s, max);
		return error;
	}
	*strp = s;
	return 0;
}

SYSCALL(SYS_mount, mount)
{
	const char *usource = (const char *)args[0];
	const char *utarget = (const char *)args[1];
	const char *ufstype = (const char *)args[2];
	unsigned long flags = (unsigned long)args[3];
	const char *udata = (const char *)args[4];
	const struct vfsops *ops = NULL;
	char *source = NULL, *fstype = NULL, *data = NULL;
	struct mount *mp;
	struct vnode *vp;
	int error;

	(void)retval;
	if (!cred_is_superuser(kauth_cred_get()))
		return EPERM;
	/* The historic magic number in the upper half means nothing. */
	if ((flags & MS_MGC_MSK) == MS_MGC_VAL)
		flags &= ~MS_MGC_MSK;
	if ((flags & ~(unsigned long)MOUNT_FLAGS_OK) != 0)
		return EINVAL;	/* bind, move, propagation: not supported */

	if ((flags & MS_REMOUNT) == 0) {
		if (ufstype == NULL)
			return EINVAL;
		error = copyin_optstr(ufstype, NAME_MAX + 1, &fstype);
		if (error == ENAMETOOLONG)
			error = ENODEV;
		if (error != 0)
			return error;
		ops = vfs_getopsbyname(fstype);
		kmem_free(fstype, NAME_MAX + 1);
		if (ops == NULL)
			return ENODEV;
	}
	error = copyin_optstr(usource, PATH_MAX, &source);
	if (error != 0)
		return error;
	error = copyin_optstr(udata, MOUNT_DATA_MAX, &data);
	if (error == ENAMETOOLONG)
		error = EINVAL;
	if (error != 0)
		goto out;

	error = namei_vnode(AT_FDCWD, utarget, NI_FOLLOW, &vp);
	if (error != 0)
		goto out;

	mutex_enter(&mount_mutex);
	if (flags & MS_REMOUNT) {
		/* The flags of an existing mount change, and the options
		 * given (size=...) go to its file system, which keeps the
		 * others. */
		if ((vp->v_flags & VV_ROOT) == 0) {
			error = EINVAL;
		} else {
			mp = vp->v_mount;
			mount_lock(mp);
			if (data != NULL) {
				int oflags = mp->mnt_flags;

				mp->mnt_flags |= MS_REMOUNT;
				error = mp->mnt_op->vfs_mount(mp, source, data);
				mp->mnt_flags = oflags;
			}
			if (error == 0)
				mp->mnt_flags = (mp->mnt_flags & ~(MS_RDONLY |
				    MS_NOSUID | MS_NODEV | MS_NOEXEC)) |
				    ((int)flags & (MS_RDONLY | MS_NOSUID |
				    MS_NODEV | MS_NOEXEC));
			mount_unlock(mp);
		}
		vrele(vp);
	} else if (vp->v_type != VDIR) {
		vrele(vp);
		error = ENOTDIR;
	} else if ((vp->v_flags & VV_ROOT) != 0 ||
	    vp->v_mountedhere != NULL) {
		/* Already a mount point ("/" included). */
		vrele(vp);
		error = EBUSY;
	} else {
		error = vfs_domount(ops, vp, source, data, (int)flags, &mp);
		if (error != 0)
			vrele(vp);
	}
	mutex_exit(&mount_mutex);
 out:
	if (source != NULL)
		kmem_free(source, PATH_MAX);
	if (data != NULL)
		kmem_free(data, MOUNT_DATA_MAX);
	return error;
}

SYSCALL(SYS_umount2, umount2)
{
	int flags = (int)args[1];
	struct vnode *vp;
	int error;

	(void)retval;
	if (!cred_is_superuser(kauth_cred_get()))
		return EPERM;
	if ((flags & ~(MNT_FORCE | MNT_DETACH | UMOUNT_NOFOLLOW)) != 0)
		return EINVAL;	/* MNT_EXPIRE is not supported */
	error = namei_vnode(AT_FDCWD, (const char *)args[0],
	    (flags & UMOUNT_NOFOLLOW) ? 0 : NI_FOLLOW, &vp);
	if (error != 0)
		return error;

	if ((vp->v_flags & VV_ROOT) == 0) {
		vrele(vp);
		return EINVAL;
	}
	mutex_enter(&mount_mutex);
	if (__atomic_load_n(&VFS_MOUNT(vp->v_mount)->vm_detached,
	    __ATOMIC_ACQUIRE)) {
		vrele(vp);
		error = EINVAL;
	} else {
		error = vfs_dounmount(vp->v_mount, flags);
	}
	mutex_exit(&mount_mutex);
	return error;
}

SYSCALL(SYS_sync, sync)
{

	(void)args;
	*retval = 0;
	vfs_syncall();
	return 0;
}

/* Typed entry points. */
int
rump_sys_mount(const char *source, const char *target, const char *fstype,
    unsigned long flags, const void *data)
{

	return (int)syscall_typed(SYS_mount, (long)source, (long)target,
	    (long)fstype, (long)flags, (long)data, 0);
}

int
rump_sys_umount2(const char *target, int flags)
{

	return (int)syscall_typed(SYS_umount2, (long)target, flags, 0, 0, 0,
	    0);
}

void
rump_sys_sync(void)
{

	(void)syscall_typed(SYS_sync, 0, 0, 0, 0, 0, 0);
}
