/*
 * sys_name.c: calls that change or read names: mkdir, mkdirat, rmdir,
 * unlink, unlinkat, rename, renameat, renameat2, link, linkat, symlink,
 * symlinkat, readlink, readlinkat.
 *
 * Each looks up the parent directory with namei(NI_PARENT) and then the
 * last name again with the mount locked, so that the checks and the
 * change are one atomic step for every other thread.
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

/*
 * namei(NI_PARENT) for a call that creates the last name: ".", ".." and
 * "/" always exist (EEXIST, and nothing is held).
 */
static int
create_namei(struct nameidata *nd, int dirfd, const char *upath)
{
	int error;

	namei_init(nd, dirfd, upath, NI_PARENT);
	error = namei(nd);
	if (error != 0)
		return error;
	if (nd->ni_lasttype != LAST_NORM) {
		namei_done(nd);
		return EEXIST;
	}
	return 0;
}

/*
 * Creating name in nd->ni_dvp: EEXIST if it exists, then the checks of
 * the directory; on success *dvap holds its attributes.  Only a
 * directory may be created under a name with a trailing slash.  The
 * directory locked.
 */
static int
create_check_locked(struct nameidata *nd, bool isdir, struct vattr *dvap)
{
	struct vnode *dvp = nd->ni_dvp, *vp;
	int error;

	error = vn_lookup_locked(dvp, nd->ni_name, nd->ni_namelen, &vp);
	if (error == 0) {
		/* vp is not locked: dropping what may be its last
		 * reference is fine with its parent locked. */
		vrele(vp);
		return EEXIST;
	}
	if (error != ENOENT)
		return error;
	error = VOP_GETATTR(dvp, dvap);
	/* Like Linux, a removed directory takes no new names, whatever
	 * else would be wrong. */
	if (error == 0 && dvap->va_nlink == 0)
		error = ENOENT;
	/* Linux refuses "name/" before checking permissions. */
	if (error == 0 && nd->ni_trailslash && !isdir)
		error = ENOENT;
	if (error == 0)
		error = vn_writechk(dvp);
	if (error == 0)
		error = vaccess(dvap, VWRITE | VEXEC, kauth_cred_get());
	return error;
}

static int
domkdirat(int dirfd, const char *upath, mode_t mode)
{
	const struct kauth_cred *cred = kauth_cred_get();
	struct nameidata nd;
	struct vattr dva, va;
	struct vnode *vp = NULL;
	int error;

	error = create_namei(&nd, dirfd, upath);
	if (error != 0)
		return error;
	vn_lock(nd.ni_dvp);
	error = create_check_locked(&nd, true, &dva);
	if (error == 0) {
		vattr_newfile(&dva, VDIR, mode & (S_IRWXU | S_IRWXG |
		    S_IRWXO | S_ISVTX) & ~cwd_umask(0, false), cred, &va);
		error = VOP_OPTIONAL(nd.ni_dvp, vop_mkdir, EPERM, nd.ni_dvp,
		    nd.ni_name, nd.ni_namelen, &va, &vp);
	}
	if (error == 0)
		nc_enter(nd.ni_dvp, nd.ni_name, nd.ni_namelen, vp);
	vn_unlock(nd.ni_dvp);
	if (vp != NULL)
		vrele(vp);
	namei_done(&nd);
	return error;
}

/*
 * Creates the file of a socket bound to a path (AF_UNIX bind): kpath is
 * a kernel string, relative to the cwd; the mode is mode & ~umask.
 * EEXIST when the name exists (bind says EADDRINUSE).  *vpp is the new
 * vnode, referenced.
 */
int
vfs_mksock(const char *kpath, mode_t mode, struct vnode **vpp)
{
	const struct kauth_cred *cred = kauth_cred_get();
	struct nameidata nd;
	struct vattr dva, va;
	struct vnode *vp = NULL;
	int error;

	namei_init(&nd, AT_FDCWD, kpath, NI_PARENT | NI_KPATH);
	error = namei(&nd);
	if (error != 0)
		return error;
	if (nd.ni_lasttype != LAST_NORM) {
		namei_done(&nd);
		return EEXIST;
	}
	vn_lock(nd.ni_dvp);
	error = create_check_locked(&nd, false, &dva);
	if (error == 0) {
		vattr_newfile(&dva, VSOCK, mode & S_IALLUGO &
		    ~cwd_umask(0, false), cred, &va);
		error = VOP_OPTIONAL(nd.ni_dvp, vop_create, EPERM, nd.ni_dvp,
		    nd.ni_name, nd.ni_namelen, &va, &vp);
	}
	vn_unlock(nd.ni_dvp);
	namei_done(&nd);
	if (error == 0)
		*vpp = vp;
	return error;
}

SYSCALL_LEGACY(SYS_mkdir, mkdir)
{

	(void)retval;
	return domkdirat(AT_FDCWD, (const char *)args[0], (mode_t)args[1]);
}

SYSCALL(SYS_mkdirat, mkdirat)
{

	(void)retval;
	return domkdirat((int)args[0], (const char *)args[1], (mode_t)args[2]);
}

/*
 * mknod: regular files, FIFOs, sockets, and (root only, as Linux without
 * CAP_MKNOD says EPERM) character and block device nodes; opening one
 * gives ENXIO unless a driver serves its numbers (vfs/cdev.h).
 */
static int
domknodat(int dirfd, const char *upath, mode_t mode, unsigned dev)
{
	const struct kauth_cred *cred = kauth_cred_get();
	struct nameidata nd;
	struct vattr dva, va;
	struct vnode *vp = NULL;
	enum vtype type;
	int error;

	switch (mode & S_IFMT) {
	case 0:
	case S_IFREG:
		type = VREG;
		break;
	case S_IFCHR:
		type = VCHR;
		break;
	case S_IFBLK:
		type = VBLK;
		break;
	case S_IFIFO:
		type = VFIFO;
		break;
	case S_IFSOCK:
		type = VSOCK;
		break;
	case S_IFDIR:
		return EPERM;
	default:
		return EINVAL;
	}
	error = create_namei(&nd, dirfd, upath);
	if (error != 0)
		return error;
	vn_lock(nd.ni_dvp);
	error = create_check_locked(&nd, false, &dva);
	if (error == 0 && (type == VCHR || type == VBLK) &&
	    !cred_is_superuser(cred))
		error = EPERM;
	if (error == 0) {
		vattr_newfile(&dva, type, mode & S_IALLUGO &
		    ~cwd_umask(0, false), cred, &va);
		va.va_rdev = (type == VCHR || type == VBLK) ? dev : 0;
		va.va_mask |= VA_RDEV;
		error = VOP_OPTIONAL(nd.ni_dvp, vop_create, EPERM, nd.ni_dvp,
		    nd.ni_name, nd.ni_namelen, &va, &vp);
	}
	vn_unlock(nd.ni_dvp);
	if (vp != NULL)
		vrele(vp);
	namei_done(&nd);
	return error;
}

SYSCALL_LEGACY(SYS_mknod, mknod)
{

	(void)retval;
	return domknodat(AT_FDCWD, (const char *)args[0], (mode_t)args[1],
	    (unsigned)args[2]);
}

SYSCALL(SYS_mknodat, mknodat)
{

	(void)retval;
	return domknodat((int)args[0], (const char *)args[1], (mode_t)args[2],
	    (unsigned)args[3]);
}

/* Checks common to removing vp (named in dvp) and renaming it away. */
static int
remove_check_locked(struct vnode *dvp, struct vnode *vp)
{
	const struct kauth_cred *cred = kauth_cred_get();
	struct vattr dva, va;
	int error;

	error = vn_writechk(dvp);
	if (error == 0)
		error = VOP_GETATTR(dvp, &dva);
	if (error == 0)
		error = vaccess(&dva, VWRITE | VEXEC, cred);
	if (error == 0)
		error = VOP_GETATTR(vp, &va);
	if (error == 0)
		error = vaccess_sticky(&dva, &va, cred);
	return error;
}

static int
dormdirat(int dirfd, const char *upath)
{
	struct nameidata nd;
	struct vnode *dvp, *vp = NULL;
	int error;

	namei_init(&nd, dirfd, upath, NI_PARENT);
	error = namei(&nd);
	if (error != 0)
		return error;
	switch (nd.ni_lasttype) {
	case LAST_DOT:
		error = EINVAL;
		break;
	case LAST_DOTDOT:
		error = ENOTEMPTY;
		break;
	case LAST_ROOT:
		error = EBUSY;
		break;
	case LAST_NORM:
		break;
	}
	if (error != 0) {
		namei_done(&nd);
		return error;
	}
	dvp = nd.ni_dvp;
	vn_lock(dvp);
	error = vn_lookup_locked(dvp, nd.ni_name, nd.ni_namelen, &vp);
	/* A damaged file system may name a directory inside itself. */
	if (error == 0 && vp == dvp)
		error = EIO;
	if (error == 0)
		vn_lock(vp);
	/* Permissions first, then the type (Linux's may_delete()). */
	if (error == 0)
		error = remove_check_locked(dvp, vp);
	if (error == 0 && vp->v_type != VDIR)
		error = ENOTDIR;
	if (error == 0 && (vp->v_mountedhere != NULL ||
	    (vp->v_flags & VV_ROOT) != 0))
		error = EBUSY;
	if (error == 0) {
		nc_remove(dvp, nd.ni_name, nd.ni_namelen);
		error = VOP_OPTIONAL(dvp, vop_rmdir, EPERM, dvp, vp,
		    nd.ni_name, nd.ni_namelen);
	}
	if (vp != NULL && vp != dvp)
		vn_unlock(vp);
	vn_unlock(dvp);
	if (vp != NULL)
		vrele(vp);
	namei_done(&nd);
	return error;
}

static int
dounlinkat(int dirfd, const char *upath)
{
	struct nameidata nd;
	struct vnode *dvp, *vp = NULL;
	int error;

	namei_init(&nd, dirfd, upath, NI_PARENT);
	error = namei(&nd);
	if (error != 0)
		return error;
	if (nd.ni_lasttype != LAST_NORM) {
		namei_done(&nd);
		return EISDIR;
	}
	dvp = nd.ni_dvp;
	vn_lock(dvp);
	error = vn_lookup_locked(dvp, nd.ni_name, nd.ni_namelen, &vp);
	/* A damaged file system may name a directory inside itself. */
	if (error == 0 && vp == dvp)
		error = EIO;
	if (error == 0)
		vn_lock(vp);
	/* As Linux: "name/" fails by its type alone; otherwise the
	 * permissions come before the type. */
	if (error == 0 && nd.ni_trailslash)
		error = vp->v_type == VDIR ? EISDIR : ENOTDIR;
	if (error == 0)
		error = remove_check_locked(dvp, vp);
	if (error == 0 && vp->v_type == VDIR)
		error = EISDIR;
	if (error == 0) {
		nc_remove(dvp, nd.ni_name, nd.ni_namelen);
		error = VOP_OPTIONAL(dvp, vop_remove, EPERM, dvp, vp,
		    nd.ni_name, nd.ni_namelen);
	}
	if (vp != NULL && vp != dvp)
		vn_unlock(vp);
	vn_unlock(dvp);
	if (vp != NULL)
		vrele(vp);
	namei_done(&nd);
	return error;
}

SYSCALL_LEGACY(SYS_rmdir, rmdir)
{

	(void)retval;
	return dormdirat(AT_FDCWD, (const char *)args[0]);
}

SYSCALL_LEGACY(SYS_unlink, unlink)
{

	(void)retval;
	return dounlinkat(AT_FDCWD, (const char *)args[0]);
}

SYSCALL(SYS_unlinkat, unlinkat)
{
	int flags = (int)args[2];

	(void)retval;
	if ((flags & ~AT_REMOVEDIR) != 0)
		return EINVAL;
	if (flags & AT_REMOVEDIR)
		return dormdirat((int)args[0], (const char *)args[1]);
	return dounlinkat((int)args[0], (const char *)args[1]);
}

/* Directory levels walked up at most (deeper trees: ELOOP). */
#define RENAME_MAXDEPTH	65536

/*
 * Ancestry for a rename between two directories: walks up from dvp to
 * the root of its file system and says whether adir is on the way
 * (*isancp: adir is dvp or one of its ancestors) and, when it is and is
 * not dvp itself, which entry of adir leads down to dvp (*childp,
 * referenced).  The caller holds the mount's rename lock, so no rename
 * changes the answer meanwhile, and no vnode lock: the walk locks one
 * directory at a time (vfs_vnlock.c).
 */
static int
rename_walkup(struct vnode *dvp, struct vnode *adir, bool *isancp,
    struct vnode **childp)
{
	struct vnode *cur, *prev = NULL, *pvp;
	unsigned steps;
	int error = 0;

	*isancp = false;
	*childp = NULL;
	vref(dvp);
	cur = dvp;
	for (steps = 0;; steps++) {
		/* A damaged disk file system may have ".." loops that
		 * never reach its root: give up rather than spin. */
		if (steps > RENAME_MAXDEPTH) {
			error = ELOOP;
			break;
		}
		if (cur == adir) {
			*isancp = true;
			*childp = prev;
			prev = NULL;
			break;
		}
		if (cur->v_flags & VV_ROOT)
			break;
		vn_lock(cur);
		error = VOP_OPTIONAL(cur, vop_parent, ENOTDIR, cur, &pvp);
		vn_unlock(cur);
		if (error != 0)
			break;
		if (pvp == cur) {
			vrele(pvp);
			break;
		}
		if (prev != NULL)
			vrele(prev);
		prev = cur;
		cur = pvp;
	}
	if (prev != NULL)
		vrele(prev);
	vrele(cur);
	return error;
}

/* Locks the moving and the replaced vnode of a rename (b may be NULL):
 * directories before non-directories, otherwise in address order. */
static void
rename_lock_children(struct vnode *a, struct vnode *b)
{
	struct vnode *t;

	if (b == NULL || b == a) {
		vn_lock(a);
		return;
	}
	if (a->v_type == VDIR && b->v_type != VDIR) {
		/* a first */
	} else if (b->v_type == VDIR && a->v_type != VDIR) {
		t = a; a = b; b = t;
	} else if ((uintptr_t)b < (uintptr_t)a) {
		t = a; a = b; b = t;
	}
	vn_lock(a);
	vn_lock(b);
}

/*
 * RENAME_EXCHANGE out of three plain renames through a temporary name;
 * nobody sees the intermediate states because both directories and both
 * files stay locked.
 */
static int
rename_exchange_locked(struct vnode *fdvp, struct vnode *fvp,
    const char *fname, size_t flen, struct vnode *tdvp, struct vnode *tvp,
    const char *tname, size_t tlen)
{
	static unsigned exchange_seq;
	int (*rename)(struct vnode *, struct vnode *, const char *, size_t,
	    struct vnode *, struct vnode *, const char *, size_t);
	struct vnode *xvp;
	char tmp[40];
	size_t tmplen;
	int error, i;

	rename = fdvp->v_op->vop_rename;
	if (rename == NULL)
		return EPERM;
	for (i = 0; ; i++) {
		if (i == 100)
			return EEXIST;
		tmplen = (size_t)snprintf(tmp, sizeof(tmp),
		    ".rename-exchange.%u",
		    __atomic_fetch_add(&exchange_seq, 1, __ATOMIC_RELAXED));
		error = vn_lookup_locked(fdvp, tmp, tmplen, &xvp);
		if (error == ENOENT)
			break;
		if (error != 0)
			return error;
		vrele(xvp);
	}
	error = rename(fdvp, fvp, fname, flen, fdvp, NULL, tmp, tmplen);
	if (error != 0)
		return error;
	error = rename(tdvp, tvp, tname, tlen, fdvp, NULL, fname, flen);
	if (error != 0) {
		(void)rename(fdvp, fvp, tmp, tmplen, fdvp, NULL, fname, flen);
		return error;
	}
	error = rename(fdvp, fvp, tmp, tmplen, tdvp, NULL, tname, tlen);
	if (error != 0) {
		(void)rename(fdvp, tvp, fname, flen, tdvp, NULL, tname, tlen);
		(void)rename(fdvp, fvp, tmp, tmplen, fdvp, NULL, fname, flen);
	}
	return error;
}

/*
 * One file found under both names of a rename in one directory, names
 * that differ, and no second link that could explain it: a file system
 * that folds case (FAT) found "Foo" for "FOO".  That rename changes the
 * spelling: the file system gets it with tvp == fvp.  (Hard links, the
 * other way to get fvp == tvp, need a link count above one and are no
 * directories.)
 */
static bool
rename_respell(struct vnode *fdvp, const char *fname, size_t flen,
    struct vnode *tdvp, const char *tname, size_t tlen, struct vnode *fvp)
{
	struct vattr va;

	if (fdvp != tdvp || (flen == tlen && memcmp(fname, tname, flen) == 0))
		return false;
	if (fvp->v_type == VDIR)
		return true;
	return VOP_GETATTR(fvp, &va) == 0 && va.va_nlink == 1;
}

static int
dorenameat2(int fromfd, const char *ufrom, int tofd, const char *uto,
    unsigned flags)
{
	const struct kauth_cred *cred = kauth_cred_get();
	struct nameidata fnd, tnd;
	struct vnode *fdvp, *tdvp, *fvp = NULL, *tvp = NULL;
	struct vnode *fchild = NULL, *tchild = NULL;
	struct mount *mp;
	bool exchange = (flags & RENAME_EXCHANGE) != 0, inside, empty;
	bool renamelocked = false, childlocked = false;
	bool tunderf = false, fundert = false;
	struct vattr tva;
	int error, walkerr = 0;

	if ((flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE |
	    RENAME_WHITEOUT)) != 0 ||
	    (flags & (RENAME_NOREPLACE | RENAME_EXCHANGE)) ==
	    (RENAME_NOREPLACE | RENAME_EXCHANGE) ||
	    (flags & RENAME_WHITEOUT) != 0)
		return EINVAL;

	namei_init(&fnd, fromfd, ufrom, NI_PARENT);
	error = namei(&fnd);
	if (error != 0)
		return error;
	namei_init(&tnd, tofd, uto, NI_PARENT);
	error = namei(&tnd);
	if (error != 0) {
		namei_done(&fnd);
		return error;
	}
	if (fnd.ni_lasttype != LAST_NORM) {
		error = EBUSY;
		goto out;
	}
	if (tnd.ni_lasttype != LAST_NORM) {
		error = (flags & RENAME_NOREPLACE) ? EEXIST : EBUSY;
		goto out;
	}
	fdvp = fnd.ni_dvp;
	tdvp = tnd.ni_dvp;
	if (fdvp->v_mount != tdvp->v_mount) {
		error = EXDEV;
		goto out;
	}
	mp = fdvp->v_mount;

	/* The two directories (lock order in vfs_vnlock.c). */
	if (fdvp != tdvp) {
		mutex_enter(&mp->mnt_renamelock);
		renamelocked = true;
		/* Is fdvp above tdvp (and through which entry), or tdvp
		 * above fdvp?  An error (a damaged tree) counts only when
		 * a directory moves, as it did when checked later. */
		walkerr = rename_walkup(tdvp, fdvp, &tunderf, &fchild);
		if (walkerr == 0)
			walkerr = rename_walkup(fdvp, tdvp, &fundert,
			    &tchild);
		if (tunderf)
			vn_lock2(fdvp, tdvp);
		else if (fundert)
			vn_lock2(tdvp, fdvp);
		else if ((uintptr_t)fdvp < (uintptr_t)tdvp)
			vn_lock2(fdvp, tdvp);
		else
			vn_lock2(tdvp, fdvp);
	} else {
		vn_lock(fdvp);
	}
	error = vn_lookup_locked(fdvp, fnd.ni_name, fnd.ni_namelen, &fvp);
	if (error != 0)
		goto unlock;
	error = vn_lookup_locked(tdvp, tnd.ni_name, tnd.ni_namelen, &tvp);
	if (error == ENOENT) {
		tvp = NULL;
		error = exchange ? ENOENT : 0;
		/* Nothing moves into a removed directory (Linux fails the
		 * lookup of the new name there). */
		if (error == 0 && (error = VOP_GETATTR(tdvp, &tva)) == 0 &&
		    tva.va_nlink == 0)
			error = ENOENT;
	}
	if (error != 0)
		goto unlock;
	KASSERT(!exchange || tvp != NULL);
	if ((flags & RENAME_NOREPLACE) != 0 && tvp != NULL) {
		error = EEXIST;
		goto unlock;
	}
	if (fvp->v_type != VDIR &&
	    (fnd.ni_trailslash || (tnd.ni_trailslash && !exchange))) {
		error = ENOTDIR;
		goto unlock;
	}
	if (exchange && tvp->v_type != VDIR && tnd.ni_trailslash) {
		error = ENOTDIR;
		goto unlock;
	}
	/* Moving a directory into itself, or over one of its own
	 * ancestors: Linux checks this before anything about the two
	 * files (the second case fails with ENOTEMPTY even over a file).
	 * The walks above found the entries on the way; a vnode that is
	 * one of the two directories (a damaged file system) counts as
	 * inside too.  Either way it is refused before being locked. */
	if (fvp->v_type == VDIR) {
		error = fdvp != tdvp ? walkerr : 0;
		inside = fvp == fchild || fvp == tdvp || fvp == fdvp;
		if (error == 0 && inside)
			error = EINVAL;
		if (error != 0)
			goto unlock;
	} else if (fvp == fdvp || fvp == tdvp) {
		error = EIO;
		goto unlock;
	}
	if (tvp != NULL && tvp->v_type == VDIR) {
		error = fdvp != tdvp ? walkerr : 0;
		inside = tvp == tchild || tvp == fdvp || tvp == tdvp;
		if (error == 0 && inside)
			error = exchange ? EINVAL : ENOTEMPTY;
		if (error != 0)
			goto unlock;
	} else if (tvp != NULL && (tvp == fdvp || tvp == tdvp)) {
		error = EIO;
		goto unlock;
	}
	if (fvp == tvp && !rename_respell(fdvp, fnd.ni_name, fnd.ni_namelen,
	    tdvp, tnd.ni_name, tnd.ni_namelen, fvp)) {
		/* Two names of the same file: POSIX says do nothing. */
		goto unlock;
	}
	rename_lock_children(fvp, tvp);
	childlocked = true;
	error = remove_check_locked(fdvp, fvp);
	if (error != 0)
		goto unlock;
	if (tvp != NULL)
		error = remove_check_locked(tdvp, tvp);
	else
		error = vn_access_locked(tdvp, VWRITE | VEXEC, cred);
	/* The types right after the target's permissions, as Linux. */
	if (error == 0 && !exchange && tvp != NULL) {
		if (fvp->v_type == VDIR && tvp->v_type != VDIR)
			error = ENOTDIR;
		else if (fvp->v_type != VDIR && tvp->v_type == VDIR)
			error = EISDIR;
	}
	if (error != 0)
		goto unlock;
	if (fdvp != tdvp) {
		/* A directory that moves rewrites its "..". */
		if (fvp->v_type == VDIR)
			error = vn_access_locked(fvp, VWRITE, cred);
		if (error == 0 && exchange && tvp->v_type == VDIR)
			error = vn_access_locked(tvp, VWRITE, cred);
		if (error != 0)
			goto unlock;
	}
	if (fvp->v_mountedhere != NULL || (fvp->v_flags & VV_ROOT) != 0 ||
	    (tvp != NULL && (tvp->v_mountedhere != NULL ||
	    (tvp->v_flags & VV_ROOT) != 0))) {
		error = EBUSY;
		goto unlock;
	}
	if (!exchange && tvp != NULL && tvp != fvp && tvp->v_type == VDIR) {
		error = vn_dirempty_locked(tvp, &empty);
		if (error == 0 && !empty)
			error = ENOTEMPTY;
		if (error != 0)
			goto unlock;
	}
	/* Both names change meaning (vfs_namecache.c). */
	nc_remove(fdvp, fnd.ni_name, fnd.ni_namelen);
	nc_remove(tdvp, tnd.ni_name, tnd.ni_namelen);
	if (exchange)
		error = rename_exchange_locked(fdvp, fvp, fnd.ni_name,
		    fnd.ni_namelen, tdvp, tvp, tnd.ni_name, tnd.ni_namelen);
	else
		error = VOP_OPTIONAL(fdvp, vop_rename, EPERM, fdvp, fvp,
		    fnd.ni_name, fnd.ni_namelen, tdvp, tvp, tnd.ni_name,
		    tnd.ni_namelen);
 unlock:
	if (childlocked) {
		if (tvp != NULL && tvp != fvp)
			vn_unlock(tvp);
		vn_unlock(fvp);
	}
	if (fdvp != tdvp)
		vn_unlock2(fdvp, tdvp);
	else
		vn_unlock(fdvp);
	if (renamelocked)
		mutex_exit(&mp->mnt_renamelock);
 out:
	if (fchild != NULL)
		vrele(fchild);
	if (tchild != NULL)
		vrele(tchild);
	if (fvp != NULL)
		vrele(fvp);
	if (tvp != NULL)
		vrele(tvp);
	namei_done(&tnd);
	namei_done(&fnd);
	return error;
}

SYSCALL_LEGACY(SYS_rename, rename)
{

	(void)retval;
	return dorenameat2(AT_FDCWD, (const char *)args[0], AT_FDCWD,
	    (const char *)args[1], 0);
}

/* riscv64's generic table has only renameat2 (no __ARCH_WANT_RENAMEAT). */
#ifdef SYS_renameat
SYSCALL(SYS_renameat, renameat)
#else
SYSCALL_UNREGISTERED(renameat)
#endif
{

	(void)retval;
	return dorenameat2((int)args[0], (const char *)args[1], (int)args[2],
	    (const char *)args[3], 0);
}

SYSCALL(SYS_renameat2, renameat2)
{

	(void)retval;
	return dorenameat2((int)args[0], (const char *)args[1], (int)args[2],
	    (const char *)args[3], (unsigned)args[4]);
}

/*
 * Linux's fs.protected_hardlinks=1, its default: unless the caller owns
 * the file (or is root), it may only link a regular file that is neither
 * set-user-ID nor executable set-group-ID and that it may both read and
 * write.  EPERM otherwise.  vp locked.
 */
static int
may_linkat_locked(struct vnode *vp)
{
	const struct kauth_cred *cred = kauth_cred_get();
	struct vattr va;
	int error;

	if (cred_is_superuser(cred))
		return 0;
	error = VOP_GETATTR(vp, &va);
	if (error != 0)
		return error;
	if (va.va_uid == cred->cr_euid)
		return 0;
	if (va.va_type != VREG || (va.va_mode & S_ISUID) != 0 ||
	    (va.va_mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP))
		return EPERM;
	if (vaccess(&va, VREAD | VWRITE, cred) != 0)
		return EPERM;
	return 0;
}

static int
dolinkat(int fromfd, const char *ufrom, int tofd, const char *uto,
    int flags)
{
	struct nameidata tnd;
	struct vnode *vp, *tdvp, *evp;
	struct vattr dva;
	struct file *fp;
	int error, linkerr;

	if ((flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH)) != 0)
		return EINVAL;
	error = namei_at(fromfd, ufrom, flags,
	    (flags & AT_SYMLINK_FOLLOW) != 0, &vp, &fp);
	if (error != 0)
		return error;
	if (fp != NULL) {
		/* A pipe (vp stays NULL): for Linux it is on another file
		 * system, which it says after checking the new name. */
		file_release(fp);
	}
	error = create_namei(&tnd, tofd, uto);
	if (error != 0) {
		if (vp != NULL)
			vrele(vp);
		return error;
	}
	tdvp = tnd.ni_dvp;
	/* The link rule looks at the file alone, so it is decided before
	 * the directory is locked (a directory to link, refused below,
	 * could be an ancestor of tdvp and must not be locked after it). */
	linkerr = EXDEV;
	if (vp != NULL && vp->v_mount == tdvp->v_mount) {
		vn_lock(vp);
		linkerr = may_linkat_locked(vp);
		vn_unlock(vp);
	}
	vn_lock(tdvp);
	/* Linux's order: the new name must be free, on the same mount, and
	 * the file one the caller may link (protected_hardlinks) before the
	 * directory's own checks. */
	error = vn_lookup_locked(tdvp, tnd.ni_name, tnd.ni_namelen, &evp);
	if (error == 0) {
		vrele(evp);
		error = EEXIST;
	} else if (error == ENOENT) {
		/* "new/" names a directory to be: never a link. */
		error = tnd.ni_trailslash ? ENOENT : 0;
	}
	if (error == 0)
		error = linkerr;
	if (error == 0)
		error = create_check_locked(&tnd, false, &dva);
	/* Like Linux, a directory is refused only after the new name has
	 * been looked up and checked. */
	if (error == 0 && vp->v_type == VDIR)
		error = EPERM;
	if (error == 0) {
		/* The file is a leaf: locked after its new directory. */
		vn_lock(vp);
		error = VOP_OPTIONAL(tdvp, vop_link, EPERM, tdvp, vp,
		    tnd.ni_name, tnd.ni_namelen);
		vn_unlock(vp);
	}
	vn_unlock(tdvp);
	namei_done(&tnd);
	if (vp != NULL)
		vrele(vp);
	return error;
}

SYSCALL_LEGACY(SYS_link, link)
{

	(void)retval;
	return dolinkat(AT_FDCWD, (const char *)args[0], AT_FDCWD,
	    (const char *)args[1], 0);
}

SYSCALL(SYS_linkat, linkat)
{

	(void)retval;
	return dolinkat((int)args[0], (const char *)args[1], (int)args[2],
	    (const char *)args[3], (int)args[4]);
}

static int
dosymlinkat(const char *utarget, int dirfd, const char *upath)
{
	const struct kauth_cred *cred = kauth_cred_get();
	struct nameidata nd;
	struct vattr dva, va;
	struct vnode *dvp, *vp = NULL;
	char *target;
	int error;

	target = vfs_pathbuf_get();
	if (target == NULL)
		return ENOMEM;
	error = vfs_copyinpath(utarget, target, false);
	if (error != 0)
		goto out;
	error = create_namei(&nd, dirfd, upath);
	if (error != 0)
		goto out;
	dvp = nd.ni_dvp;
	vn_lock(dvp);
	error = create_check_locked(&nd, false, &dva);
	if (error == 0) {
		/* The mode of a symlink means nothing: always 0777. */
		vattr_newfile(&dva, VLNK, 0777, cred, &va);
		error = VOP_OPTIONAL(dvp, vop_symlink, EPERM, dvp, nd.ni_name,
		    nd.ni_namelen, &va, target, &vp);
	}
	vn_unlock(dvp);
	if (vp != NULL)
		vrele(vp);
	namei_done(&nd);
 out:
	vfs_pathbuf_put(target);
	return error;
}

SYSCALL_LEGACY(SYS_symlink, symlink)
{

	(void)retval;
	return dosymlinkat((const char *)args[0], AT_FDCWD,
	    (const char *)args[1]);
}

SYSCALL(SYS_symlinkat, symlinkat)
{

	(void)retval;
	return dosymlinkat((const char *)args[0], (int)args[1],
	    (const char *)args[2]);
}

static int
doreadlinkat(int dirfd, const char *upath, char *ubuf, long len,
    long *retval)
{
	struct vnode *vp;
	struct file *fp;
	struct kiovec iov;
	struct uio uio;
	int error;

	char first = 'x';

	if (len <= 0)
		return EINVAL;
	error = namei_at(dirfd, upath, AT_EMPTY_PATH, false, &vp, &fp);
	if (error != 0)
		return error;
	/* As Linux: an empty path naming something else than a symlink is
	 * ENOENT, a non-empty one EINVAL. */
	(void)copyin(upath, &first, 1);
	if (fp != NULL) {
		file_release(fp);
		return first == '\0' ? ENOENT : EINVAL;
	}
	if (vp->v_type != VLNK) {
		vrele(vp);
		return first == '\0' ? ENOENT : EINVAL;
	}
	if (ubuf == NULL) {
		vrele(vp);
		return EFAULT;
	}
	iov.iov_base = ubuf;
	iov.iov_len = (size_t)len;
	uio.uio_iov = &iov;
	uio.uio_iovcnt = 1;
	uio.uio_offset = 0;
	uio.uio_resid = (size_t)len;
	uio.uio_rw = UIO_READ;
	uio.uio_segflg = UIO_USERSPACE;
	vn_lock(vp);
	error = VOP_OPTIONAL(vp, vop_readlink, EINVAL, vp, &uio);
	vn_unlock(vp);
	vrele(vp);
	if (error == 0)
		*retval = len - (long)uio.uio_resid;
	return error;
}

SYSCALL_LEGACY(SYS_readlink, readlink)
{

	return doreadlinkat(AT_FDCWD, (const char *)args[0], (char *)args[1],
	    args[2], retval);
}

SYSCALL(SYS_readlinkat, readlinkat)
{

	return doreadlinkat((int)args[0], (const char *)args[1],
	    (char *)args[2], args[3], retval);
}

/* Typed entry points.  Those with a legacy call go through the *at call,
 * which every target's ABI has (see sys_open.c); rename uses renameat2,
 * since riscv64's ABI has no renameat. */
int
rump_sys_mkdir(const char *path, uint32_t mode)
{

	return (int)syscall_typed(SYS_mkdirat, AT_FDCWD, (long)path, mode, 0,
	    0, 0);
}

int
rump_sys_mknod(const char *path, uint32_t mode, uint64_t dev)
{

	return (int)syscall_typed(SYS_mknodat, AT_FDCWD, (long)path, mode,
	    (long)(unsigned)dev, 0, 0);
}

int
rump_sys_mknodat(int dirfd, const char *path, uint32_t mode, uint64_t dev)
{

	return (int)syscall_typed(SYS_mknodat, dirfd, (long)path, mode,
	    (long)(unsigned)dev, 0, 0);
}

int
rump_sys_mkdirat(int dirfd, const char *path, uint32_t mode)
{

	return (int)syscall_typed(SYS_mkdirat, dirfd, (long)path, mode, 0, 0,
	    0);
}

int
rump_sys_rmdir(const char *path)
{

	return (int)syscall_typed(SYS_unlinkat, AT_FDCWD, (long)path,
	    AT_REMOVEDIR, 0, 0, 0);
}

int
rump_sys_unlink(const char *path)
{

	return (int)syscall_typed(SYS_unlinkat, AT_FDCWD, (long)path, 0, 0, 0,
	    0);
}

int
rump_sys_unlinkat(int dirfd, const char *path, int flags)
{

	return (int)syscall_typed(SYS_unlinkat, dirfd, (long)path, flags, 0,
	    0, 0);
}

int
rump_sys_rename(const char *from, const char *to)
{

	return (int)syscall_typed(SYS_renameat2, AT_FDCWD, (long)from,
	    AT_FDCWD, (long)to, 0, 0);
}

int
rump_sys_renameat(int fromfd, const char *from, int tofd, const char *to)
{

	return (int)syscall_typed(SYS_renameat2, fromfd, (long)from, tofd,
	    (long)to, 0, 0);
}

int
rump_sys_renameat2(int fromfd, const char *from, int tofd, const char *to,
    unsigned int flags)
{

	return (int)syscall_typed(SYS_renameat2, fromfd, (long)from, tofd,
	    (long)to, flags, 0);
}

int
rump_sys_link(const char *target, const char *path)
{

	return (int)syscall_typed(SYS_linkat, AT_FDCWD, (long)target,
	    AT_FDCWD, (long)path, 0, 0);
}

int
rump_sys_linkat(int fromfd, const char *from, int tofd, const char *to,
    int flags)
{

	return (int)syscall_typed(SYS_linkat, fromfd, (long)from, tofd,
	    (long)to, flags, 0);
}

int
rump_sys_symlink(const char *target, const char *path)
{

	return (int)syscall_typed(SYS_symlinkat, (long)target, AT_FDCWD,
	    (long)path, 0, 0, 0);
}

int
rump_sys_symlinkat(const char *target, int dirfd, const char *path)
{

	return (int)syscall_typed(SYS_symlinkat, (long)target, dirfd,
	    (long)path, 0, 0, 0);
}

ssize_t
rump_sys_readlink(const char *path, char *buf, size_t len)
{

	return syscall_typed(SYS_readlinkat, AT_FDCWD, (long)path, (long)buf,
	    (long)len, 0, 0);
}

ssize_t
rump_sys_readlinkat(int dirfd, const char *path, char *buf, size_t len)
{

	return syscall_typed(SYS_readlinkat, dirfd, (long)path, (long)buf,
	    (long)len, 0, 0);
}
