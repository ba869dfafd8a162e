/*
 * sys_xattr.c: extended attributes: setxattr, getxattr, listxattr and
 * removexattr, each with its l* (no symlink following) and f* (open
 * file) variant.
 *
 * The VFS does what Linux's VFS does before a file system sees the call:
 * argument checks (flags EINVAL, name length ERANGE, value size E2BIG),
 * the namespace rules and the permission check.  Two namespaces exist:
 * "user." (regular files and directories only; read access to get and
 * list, write access to set and remove, and in a sticky directory only
 * its owner writes) and "trusted." (root only: others get EPERM when
 * writing, ENODATA when reading, and never see the names in a list).
 * Every other name ("security.", "system.", no namespace) is
 * EOPNOTSUPP, what Linux answers for a namespace without a handler.
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
#include <vfs/file.h>
#include <vfs/namei.h>
#include <vfs/vfs.h>

#define XATTR_USER_PREFIX	"user."
#define XATTR_TRUSTED_PREFIX	"trusted."

enum xattr_ns { XNS_USER, XNS_TRUSTED, XNS_OTHER };

static enum xattr_ns
xattr_namespace(const char *name)
{

	if (strncmp(name, XATTR_USER_PREFIX, sizeof(XATTR_USER_PREFIX) - 1)
	    == 0)
		return XNS_USER;
	if (strncmp(name, XATTR_TRUSTED_PREFIX,
	    sizeof(XATTR_TRUSTED_PREFIX) - 1) == 0)
		return XNS_TRUSTED;
	return XNS_OTHER;
}

/* Copies the name in: ERANGE when empty or longer than XATTR_NAME_MAX. */
static int
xattr_copyinname(const char *uname, char kname[XATTR_NAME_MAX + 1])
{
	size_t done;
	int error;

	if (uname == NULL)
		return EFAULT;
	error = copyinstr(uname, kname, XATTR_NAME_MAX + 1, &done);
	if (error == ENAMETOOLONG)
		return ERANGE;
	if (error != 0)
		return error;
	return kname[0] == '\0' ? ERANGE : 0;
}

/*
 * Linux's xattr_permission() and handler lookup, for vp locked: write
 * says whether the call changes attributes.
 */
static int
xattr_access(struct vnode *vp, const char *name, bool write)
{
	const struct kauth_cred *cred = kauth_cred_get();
	struct vattr va;
	enum xattr_ns ns = xattr_namespace(name);
	int error;

	error = VOP_GETATTR(vp, &va);
	if (error != 0)
		return error;
	if (ns == XNS_TRUSTED && !cred_is_superuser(cred))
		return write ? EPERM : ENODATA;
	if (ns == XNS_USER) {
		if (va.va_type != VREG && va.va_type != VDIR)
			return write ? EPERM : ENODATA;
		if (write && va.va_type == VDIR && (va.va_mode & S_ISVTX) &&
		    va.va_uid != cred->cr_euid && !cred_is_superuser(cred))
			return EPERM;
	}
	error = vaccess(&va, write ? VWRITE : VREAD, cred);
	if (error != 0)
		return error;
	if (ns == XNS_OTHER)
		return EOPNOTSUPP;
	/* A namespace prefix alone names nothing. */
	if (name[strlen(ns == XNS_USER ? XATTR_USER_PREFIX :
	    XATTR_TRUSTED_PREFIX)] == '\0')
		return EINVAL;
	return 0;
}

/*
 * The answer for a pipe, which has no file system (Linux's pipefs has no
 * attribute handlers: EOPNOTSUPP), after xattr_permission()'s namespace
 * rules, which come first: user.* is only for regular files and
 * directories, trusted.* only for root.
 */
static int
xattr_pipe_error(const char *name, bool write)
{

	switch (xattr_namespace(name)) {
	case XNS_USER:
		return write ? EPERM : ENODATA;
	case XNS_TRUSTED:
		if (!cred_is_superuser(kauth_cred_get()))
			return write ? EPERM : ENODATA;
		break;
	default:
		break;
	}
	return EOPNOTSUPP;
}

/* The vnode a call works on: a path (follow or not) or a descriptor.
 * A pipe's descriptor gives *vpp NULL. */
static int
xattr_getvnode(const char *upath, int fd, bool follow, struct vnode **vpp)
{
	struct file *fp;
	int error;

	*vpp = NULL;
	if (upath != NULL)
		return namei_vnode(AT_FDCWD, upath, follow ? NI_FOLLOW : 0,
		    vpp);
	error = fd_getfile_nopath(fd, &fp);
	if (error != 0)
		return error;
	/* An open FIFO's attributes are those of its file. */
	if ((*vpp = file_vnode(fp)) != NULL ||
	    (*vpp = fifo_vnode(fp)) != NULL)
		vref(*vpp);
	file_release(fp);
	return 0;
}

static int
dosetxattr(const char *upath, int fd, bool follow, const char *uname,
    const void *uval, size_t size, int flags)
{
	char kname[XATTR_NAME_MAX + 1];
	struct vnode *vp;
	void *kval = NULL;
	int error;

	if ((flags & ~(XATTR_CREATE | XATTR_REPLACE)) != 0)
		return EINVAL;
	error = xattr_copyinname(uname, kname);
	if (error != 0)
		return error;
	if (size > XATTR_SIZE_MAX)
		return E2BIG;
	if (size > 0) {
		kval = kmem_alloc(size, KM_SLEEP);
		if (kval == NULL)
			return ENOMEM;
		error = copyin(uval, kval, size);
		if (error != 0)
			goto out;
	}
	error = xattr_getvnode(upath, fd, follow, &vp);
	if (error != 0)
		goto out;
	if (vp == NULL) {
		error = xattr_pipe_error(kname, true);
		goto out;
	}
	vn_lock(vp);
	error = vn_writechk(vp);
	if (error == 0)
		error = xattr_access(vp, kname, true);
	if (error == 0)
		error = VOP_OPTIONAL(vp, vop_setxattr, EOPNOTSUPP, vp, kname,
		    kval, size, flags);
	vn_unlock(vp);
	vrele(vp);
out:
	if (kval != NULL)
		kmem_free(kval, size);
	return error;
}

static int
dogetxattr(const char *upath, int fd, bool follow, const char *uname,
    void *uval, size_t size, long *retval)
{
	char kname[XATTR_NAME_MAX + 1];
	struct vnode *vp;
	void *kval = NULL;
	size_t len;
	int error;

	error = xattr_copyinname(uname, kname);
	if (error != 0)
		return error;
	if (size > XATTR_SIZE_MAX)
		size = XATTR_SIZE_MAX;
	if (size > 0) {
		kval = kmem_alloc(size, KM_SLEEP);
		if (kval == NULL)
			return ENOMEM;
	}
	error = xattr_getvnode(upath, fd, follow, &vp);
	if (error != 0)
		goto out;
	if (vp == NULL) {
		error = xattr_pipe_error(kname, false);
		goto out;
	}
	len = size;
	vn_lock(vp);
	error = xattr_access(vp, kname, false);
	if (error == 0)
		error = VOP_OPTIONAL(vp, vop_getxattr, EOPNOTSUPP, vp, kname,
		    kval, &len);
	vn_unlock(vp);
	vrele(vp);
	if (error == 0 && kval != NULL && len > 0)
		error = copyout(kval, uval, len);
	if (error == 0)
		*retval = (long)len;
	else if (error == ERANGE && size >= XATTR_SIZE_MAX)
		error = E2BIG;
out:
	if (kval != NULL)
		kmem_free(kval, size);
	return error;
}

/* Drops the trusted.* names from list (len bytes) for a caller who may
 * not see them; returns the new length. */
static size_t
xattr_filterlist(char *list, size_t len)
{
	size_t in = 0, out = 0, n;

	while (in < len) {
		n = strnlen(list + in, len - in);
		if (in + n < len)
			n++;			/* the NUL */
		if (xattr_namespace(list + in) != XNS_TRUSTED) {
			memmove(list + out, list + in, n);
			out += n;
		}
		in += n;
	}
	return out;
}

static int
dolistxattr(const char *upath, int fd, bool follow, char *ulist,
    size_t size, long *retval)
{
	struct vnode *vp;
	char *klist;
	size_t len = XATTR_LIST_MAX;
	int error;

	if (size > XATTR_LIST_MAX)
		size = XATTR_LIST_MAX;
	error = xattr_getvnode(upath, fd, follow, &vp);
	if (error != 0)
		return error;
	if (vp == NULL) {
		*retval = 0;
		return 0;
	}
	/* The whole list comes into the kernel first: what the caller
	 * may see decides the size. */
	klist = kmem_alloc(XATTR_LIST_MAX, KM_SLEEP);
	if (klist == NULL) {
		vrele(vp);
		return ENOMEM;
	}
	vn_lock(vp);
	if (vp->v_op->vop_listxattr == NULL)
		len = 0;
	else
		error = vp->v_op->vop_listxattr(vp, klist, &len);
	vn_unlock(vp);
	vrele(vp);
	if (error == ERANGE)
		error = E2BIG;
	if (error == 0 && !cred_is_superuser(kauth_cred_get()))
		len = xattr_filterlist(klist, len);
	if (error == 0 && size > 0) {
		if (len > size)
			error = size >= XATTR_LIST_MAX ? E2BIG : ERANGE;
		else if (len > 0)
			error = copyout(klist, ulist, len);
	}
	if (error == 0)
		*retval = (long)len;
	kmem_free(klist, XATTR_LIST_MAX);
	return error;
}

static int
doremovexattr(const char *upath, int fd, bool follow, const char *uname)
{
	char kname[XATTR_NAME_MAX + 1];
	struct vnode *vp;
	int error;

	error = xattr_copyinname(uname, kname);
	if (error != 0)
		return error;
	error = xattr_getvnode(upath, fd, follow, &vp);
	if (error != 0)
		return error;
	if (vp == NULL)
		return xattr_pipe_error(kname, true);
	vn_lock(vp);
	error = vn_writechk(vp);
	if (error == 0)
		error = xattr_access(vp, kname, true);
	if (error == 0)
		error = VOP_OPTIONAL(vp, vop_removexattr, EOPNOTSUPP, vp,
		    kname);
	vn_unlock(vp);
	vrele(vp);
	return error;
}

SYSCALL(SYS_setxattr, setxattr)
{

	(void)retval;
	return dosetxattr((const char *)args[0], -1, true,
	    (const char *)args[1], (const void *)args[2], (size_t)args[3],
	    (int)args[4]);
}

SYSCALL(SYS_lsetxattr, lsetxattr)
{

	(void)retval;
	return dosetxattr((const char *)args[0], -1, false,
	    (const char *)args[1], (const void *)args[2], (size_t)args[3],
	    (int)args[4]);
}

SYSCALL(SYS_fsetxattr, fsetxattr)
{

	(void)retval;
	return dosetxattr(NULL, (int)args[0], false, (const char *)args[1],
	    (const void *)args[2], (size_t)args[3], (int)args[4]);
}

SYSCALL(SYS_getxattr, getxattr)
{

	return dogetxattr((const char *)args[0], -1, true,
	    (const char *)args[1], (void *)args[2], (size_t)args[3], retval);
}

SYSCALL(SYS_lgetxattr, lgetxattr)
{

	return dogetxattr((const char *)args[0], -1, false,
	    (const char *)args[1], (void *)args[2], (size_t)args[3], retval);
}

SYSCALL(SYS_fgetxattr, fgetxattr)
{

	return dogetxattr(NULL, (int)args[0], false, (const char *)args[1],
	    (void *)args[2], (size_t)args[3], retval);
}

SYSCALL(SYS_listxattr, listxattr)
{

	return dolistxattr((const char *)args[0], -1, true, (char *)args[1],
	    (size_t)args[2], retval);
}

SYSCALL(SYS_llistxattr, llistxattr)
{

	return dolistxattr((const char *)args[0], -1, false, (char *)args[1],
	    (size_t)args[2], retval);
}

SYSCALL(SYS_flistxattr, flistxattr)
{

	return dolistxattr(NULL, (int)args[0], false, (char *)args[1],
	    (size_t)args[2], retval);
}

SYSCALL(SYS_removexattr, removexattr)
{

	(void)retval;
	return doremovexattr((const char *)args[0], -1, true,
	    (const char *)args[1]);
}

SYSCALL(SYS_lremovexattr, lremovexattr)
{

	(void)retval;
	return doremovexattr((const char *)args[0], -1, false,
	    (const char *)args[1]);
}

SYSCALL(SYS_fremovexattr, fremovexattr)
{

	(void)retval;
	return doremovexattr(NULL, (int)args[0], false,
	    (const char *)args[1]);
}

/* Typed entry points. */
int
rump_sys_setxattr(const char *path, const char *name, const void *value,
    size_t size, int flags)
{

	return (int)syscall_typed(SYS_setxattr, (long)path, (long)name,
	    (long)value, (long)size, flags, 0);
}

int
rump_sys_lsetxattr(const char *path, const char *name, const void *value,
    size_t size, int flags)
{

	return (int)syscall_typed(SYS_lsetxattr, (long)path, (long)name,
	    (long)value, (long)size, flags, 0);
}

int
rump_sys_fsetxattr(int fd, const char *name, const void *value,
    size_t size, int flags)
{

	return (int)syscall_typed(SYS_fsetxattr, fd, (long)name, (long)value,
	    (long)size, flags, 0);
}

ssize_t
rump_sys_getxattr(const char *path, const char *name, void *value,
    size_t size)
{

	return (ssize_t)syscall_typed(SYS_getxattr, (long)path, (long)name,
	    (long)value, (long)size, 0, 0);
}

ssize_t
rump_sys_lgetxattr(const char *path, const char *name, void *value,
    size_t size)
{

	return (ssize_t)syscall_typed(SYS_lgetxattr, (long)path, (long)name,
	    (long)value, (long)size, 0, 0);
}

ssize_t
rump_sys_fgetxattr(int fd, const char *name, void *value, size_t size)
{

	return (ssize_t)syscall_typed(SYS_fgetxattr, fd, (long)name,
	    (long)value, (long)size, 0, 0);
}

ssize_t
rump_sys_listxattr(const char *path, char *list, size_t size)
{

	return (ssize_t)syscall_typed(SYS_listxattr, (long)path, (long)list,
	    (long)size, 0, 0, 0);
}

ssize_t
rump_sys_llistxattr(const char *path, char *list, size_t size)
{

	return (ssize_t)syscall_typed(SYS_llistxattr, (long)path, (long)list,
	    (long)size, 0, 0, 0);
}

ssize_t
rump_sys_flistxattr(int fd, char *list, size_t size)
{

	return (ssize_t)syscall_typed(SYS_flistxattr, fd, (long)list,
	    (long)size, 0, 0, 0);
}

int
rump_sys_removexattr(const char *path, const char *name)
{

	return (int)syscall_typed(SYS_removexattr, (long)path, (long)name, 0,
	    0, 0, 0);
}

int
rump_sys_lremovexattr(const char *path, const char *name)
{

	return (int)syscall_typed(SYS_lremovexattr, (long)path, (long)name, 0,
	    0, 0, 0);
}

int
rump_sys_fremovexattr(int fd, const char *name)
{

	return (int)syscall_typed(SYS_fremovexattr, fd, (long)name, 0, 0, 0,
	    0);
}
