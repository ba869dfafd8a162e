/*
 * vfs_access.c: POSIX permission checks, the same for every file system
 * (file systems do none of their own).
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/proc.h>
#include <vfs/vnode.h>
#include <vfs/mount.h>
#include <vfs/abi.h>
#include <vfs/vfs.h>

int
vaccess(const struct vattr *va, int acc, const struct kauth_cred *cred)
{
	mode_t bits;

	acc &= VREAD | VWRITE | VEXEC;
	if (acc == 0)
		return 0;
	if (cred_is_superuser(cred)) {
		/* Root may search any directory but execute only files that
		 * someone may execute. */
		if ((acc & VEXEC) != 0 && va->va_type != VDIR &&
		    (va->va_mode & (S_IXUSR | S_IXGRP | S_IXOTH)) == 0)
			return EACCES;
		return 0;
	}
	/* Only the first class that matches counts, even if a later one
	 * would grant more. */
	if (cred->cr_euid == va->va_uid)
		bits = (va->va_mode >> 6) & 7;
	else if (cred_groupmember(cred, va->va_gid))
		bits = (va->va_mode >> 3) & 7;
	else
		bits = va->va_mode & 7;
	return (acc & ~(int)bits) != 0 ? EACCES : 0;
}

int
vn_access_locked(struct vnode *vp, int acc, const struct kauth_cred *cred)
{
	struct vattr va;
	int error;

	error = VOP_GETATTR(vp, &va);
	if (error != 0)
		return error;
	return vaccess(&va, acc, cred);
}

int
vn_access(struct vnode *vp, int acc, const struct kauth_cred *cred)
{
	int error;

	vn_lock(vp);
	error = vn_access_locked(vp, acc, cred);
	vn_unlock(vp);
	return error;
}

int
vaccess_sticky(const struct vattr *dva, const struct vattr *va,
    const struct kauth_cred *cred)
{

	if ((dva->va_mode & S_ISVTX) == 0 || cred_is_superuser(cred))
		return 0;
	if (cred->cr_euid == va->va_uid || cred->cr_euid == dva->va_uid)
		return 0;
	return EPERM;
}

int
vaccess_chmod(const struct vattr *va, mode_t *modep,
    const struct kauth_cred *cred)
{

	if (cred_is_superuser(cred))
		return 0;
	if (cred->cr_euid != va->va_uid)
		return EPERM;
	/* Nobody may hand out the rights of a group he is not in. */
	if (!cred_groupmember(cred, va->va_gid))
		*modep &= ~(mode_t)S_ISGID;
	return 0;
}

int
vaccess_chown(const struct vattr *va, uid_t uid, gid_t gid,
    const struct kauth_cred *cred, struct vattr *setva)
{
	bool root = cred_is_superuser(cred);
	bool owner = cred->cr_euid == va->va_uid;
	mode_t mode;

	setva->va_mask = 0;
	if (uid != (uid_t)-1) {
		/* Giving a file away is for root only; the owner may
		 * "change" it to himself. */
		if (!root && !(owner && uid == va->va_uid))
			return EPERM;
		setva->va_mask |= VA_UID;
		setva->va_uid = uid;
	}
	if (gid != (gid_t)-1) {
		if (!root && !(owner && (gid == va->va_gid ||
		    cred_groupmember(cred, gid))))
			return EPERM;
		setva->va_mask |= VA_GID;
		setva->va_gid = gid;
	}
	/* A changed owner or group must not inherit set-id rights the
	 * caller could not have given (POSIX, for the unprivileged).  Like
	 * Linux, even a chown that changes nothing drops them, which then
	 * takes ownership. */
	mode = vaccess_killsuid(va, cred);
	if (mode != (va->va_mode & 07777)) {
		if (!owner)
			return EPERM;
		setva->va_mask |= VA_MODE;
		setva->va_mode = mode;
	}
	return 0;
}

mode_t
vaccess_killsuid(const struct vattr *va, const struct kauth_cred *cred)
{
	mode_t mode = va->va_mode & 07777;

	if (va->va_type == VDIR || cred_is_superuser(cred))
		return mode;
	mode &= ~(mode_t)S_ISUID;
	/* Set-group-ID without group execute is no set-id program; it
	 * stays unless the caller is not in the group (as Linux). */
	if ((mode & S_ISGID) != 0 && ((mode & S_IXGRP) != 0 ||
	    !cred_groupmember(cred, va->va_gid)))
		mode &= ~(mode_t)S_ISGID;
	return mode;
}

int
vaccess_utimes(const struct vattr *va, bool settimes,
    const struct kauth_cred *cred)
{

	if (cred_is_superuser(cred) || cred->cr_euid == va->va_uid)
		return 0;
	/* Anybody who may write may also set "now". */
	if (settimes)
		return EPERM;
	return vaccess(va, VWRITE, cred);
}

int
vn_writechk(struct vnode *vp)
{

	return (vp->v_mount->mnt_flags & MS_RDONLY) != 0 ? EROFS : 0;
}

void
vattr_newfile(const struct vattr *dva, enum vtype type, mode_t mode,
    const struct kauth_cred *cred, struct vattr *va)
{

	va->va_mask = VA_TYPE | VA_MODE | VA_UID | VA_GID;
	va->va_type = type;
	va->va_uid = cred->cr_euid;
	mode &= 07777;
	if ((dva->va_mode & S_ISGID) != 0) {
		/* BSD group semantics in set-group-id directories. */
		va->va_gid = dva->va_gid;
		if (type == VDIR)
			mode |= S_ISGID;
		else if ((mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP) &&
		    !cred_is_superuser(cred) &&
		    !cred_groupmember(cred, va->va_gid))
			mode &= ~(mode_t)S_ISGID;
	} else {
		va->va_gid = cred->cr_egid;
	}
	va->va_mode = mode;
}
