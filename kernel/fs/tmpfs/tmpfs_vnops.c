/*
 * tmpfs_vnops.c: the vnode operations of tmpfs.
 *
 * The VFS has done permission, name and type checks (vfs/vnode.h); the
 * checks repeated here are the ones whose answer depends on tmpfs state
 * (emptiness, link counts, removed directories) or that keep a buggy
 * caller from corrupting the tree.
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/libkern.h>
#include <vfs/vnode.h>
#include <vfs/mount.h>

#include "tmpfs.h"

static int
tmpfs_lookup(struct vnode *dvp, const char *name, size_t namelen,
    struct vnode **vpp)
{
	struct tmpfs_node *dn = VP_TO_TMPFS(dvp);
	struct tmpfs_dirent *de;

	if (dn->tn_type != VDIR)
		return ENOTDIR;
	de = tmpfs_dir_lookup(dn, name, namelen);
	if (de == NULL)
		return ENOENT;
	return tmpfs_node_vget(dn->tn_tmp, de->td_node, vpp);
}

static int
tmpfs_parent(struct vnode *dvp, struct vnode **vpp)
{
	struct tmpfs_node *dn = VP_TO_TMPFS(dvp);

	if (dn->tn_type != VDIR)
		return ENOTDIR;
	/* A removed directory's ".." is where it was (held), as Linux. */
	if (dn->tn_dir.td_parent == NULL)
		return ENOENT;
	return tmpfs_node_vget(dn->tn_tmp, dn->tn_dir.td_parent, vpp);
}

/*
 * Makes a new file of any type named name in dvp.  Everything that can
 * fail (name, node, symlink target, vnode) is done before the name is
 * entered, so a failure leaves the directory as it was.
 */
static int
tmpfs_alloc_file(struct vnode *dvp, const char *name, size_t namelen,
    enum vtype type, const struct vattr *va, const char *target,
    struct vnode **vpp)
{
	struct tmpfs_node *dn = VP_TO_TMPFS(dvp), *tn;
	struct tmpfs_mount *tm = dn->tn_tmp;
	struct tmpfs_dirent *de;
	size_t len = 0;
	int error;

	if (dn->tn_type != VDIR)
		return ENOTDIR;
	if (dn->tn_nlink == 0)
		return ENOENT;		/* no new names in a removed dir */
	if (type == VDIR && dn->tn_nlink >= TMPFS_LINK_MAX)
		return EMLINK;
	/* The VFS checked, but a duplicate name would corrupt the
	 * directory, and the hash lookup is cheap. */
	if (tmpfs_dir_lookup(dn, name, namelen) != NULL)
		return EEXIST;
	if (type == VLNK) {
		len = strnlen(target, PATH_MAX);
		if (len == 0)
			return ENOENT;	/* as Linux */
		if (len >= PATH_MAX)
			return ENAMETOOLONG;
	}

	error = tmpfs_dirent_alloc(tm, name, namelen, &de);
	if (error != 0)
		return error;
	error = tmpfs_node_alloc(tm, type, va->va_mode, va->va_uid,
	    va->va_gid, va->va_rdev, &tn);
	if (error != 0) {
		tmpfs_dirent_free(tm, de);
		return error;
	}
	if (type == VLNK) {
		tn->tn_lnk.tl_target = tmpfs_mem_alloc(tm, len + 1);
		if (tn->tn_lnk.tl_target == NULL) {
			error = ENOSPC;
			goto fail;
		}
		memcpy(tn->tn_lnk.tl_target, target, len);
		tn->tn_lnk.tl_target[len] = '\0';
		tn->tn_lnk.tl_len = len;
		tn->tn_size = len;
	}
	if (type == VDIR) {
		tn->tn_dir.td_parent = dn;
		tn->tn_nlink = 2;
	} else {
		tn->tn_nlink = 1;
	}
	tn->tn_life = TMPFS_LIFE_NAMED;

	error = tmpfs_node_vget(tm, tn, vpp);
	if (error != 0)
		goto fail;

	tmpfs_dir_attach(dn, de, tn);
	if (type == VDIR)
		dn->tn_nlink++;		/* the new directory's ".." */
	tmpfs_node_touch(dn, TMPFS_UPD_MTIME | TMPFS_UPD_CTIME);
	return 0;

fail:
	/* Never reachable by anyone else: no name, no vnode. */
	tn->tn_nlink = 0;
	tn->tn_life = 0;
	tmpfs_node_free(tn);
	tmpfs_dirent_free(tm, de);
	return error;
}

static int
tmpfs_create(struct vnode *dvp, const char *name, size_t namelen,
    const struct vattr *va, struct vnode **vpp)
{
	switch (va->va_type) {
	case VREG: case VFIFO: case VSOCK: case VCHR: case VBLK:
		break;
	default:
		return EINVAL;
	}
	return tmpfs_alloc_file(dvp, name, namelen, va->va_type, va, NULL,
	    vpp);
}

static int
tmpfs_mkdir(struct vnode *dvp, const char *name, size_t namelen,
    const struct vattr *va, struct vnode **vpp)
{
	return tmpfs_alloc_file(dvp, name, namelen, VDIR, va, NULL, vpp);
}

static int
tmpfs_symlink(struct vnode *dvp, const char *name, size_t namelen,
    const struct vattr *va, const char *target, struct vnode **vpp)
{
	return tmpfs_alloc_file(dvp, name, namelen, VLNK, va, target, vpp);
}

static int
tmpfs_link(struct vnode *dvp, struct vnode *vp, const char *name,
    size_t namelen)
{
	struct tmpfs_node *dn = VP_TO_TMPFS(dvp), *tn = VP_TO_TMPFS(vp);
	struct tmpfs_dirent *de;
	int error;

	if (dn->tn_type != VDIR)
		return ENOTDIR;
	if (tn->tn_type == VDIR)
		return EPERM;
	if (tn->tn_tmp != dn->tn_tmp)
		return EXDEV;
	/* Neither a removed file nor a removed directory gets a name. */
	if (tn->tn_nlink == 0 || dn->tn_nlink == 0)
		return ENOENT;
	if (tn->tn_nlink >= TMPFS_LINK_MAX)
		return EMLINK;
	if (tmpfs_dir_lookup(dn, name, namelen) != NULL)
		return EEXIST;
	/* A further name counts as an inode (tmpfs.h). */
	error = tmpfs_pool_take(tn->tn_tmp, TMPFS_POOL_INODES);
	if (error != 0)
		return error;
	error = tmpfs_dirent_alloc(dn->tn_tmp, name, namelen, &de);
	if (error != 0) {
		tmpfs_pool_give(tn->tn_tmp, TMPFS_POOL_INODES);
		return error;
	}
	tmpfs_dir_attach(dn, de, tn);
	tn->tn_nlink++;
	tmpfs_node_touch(tn, TMPFS_UPD_CTIME);
	tmpfs_node_touch(dn, TMPFS_UPD_MTIME | TMPFS_UPD_CTIME);
	return 0;
}

/* Non-directory tn loses a name; the one that was its inode's own is
 * always the last to go (its count goes with the node). */
static void
tmpfs_node_droplink(struct tmpfs_node *tn)
{
	KASSERT(tn->tn_type != VDIR && tn->tn_nlink > 0);
	if (tn->tn_nlink > 1)
		tmpfs_pool_give(tn->tn_tmp, TMPFS_POOL_INODES);
	tn->tn_nlink--;
	tmpfs_node_touch(tn, TMPFS_UPD_CTIME);
}

/* After tn (held by the caller's vnode) lost a name: its last name
 * lets the node go with its vnode. */
static void
tmpfs_node_unnamed(struct tmpfs_node *tn)
{
	if (tn->tn_nlink == 0)
		tmpfs_node_drop(tn, TMPFS_LIFE_NAMED);
}

static int
tmpfs_remove(struct vnode *dvp, struct vnode *vp, const char *name,
    size_t namelen)
{
	struct tmpfs_node *dn = VP_TO_TMPFS(dvp), *tn = VP_TO_TMPFS(vp);
	struct tmpfs_dirent *de;

	if (dn->tn_type != VDIR)
		return ENOTDIR;
	if (tn->tn_type == VDIR)
		return EISDIR;
	de = tmpfs_dir_lookup(dn, name, namelen);
	if (de == NULL || de->td_node != tn)
		return ENOENT;
	tmpfs_dir_detach(dn, de);
	tmpfs_dirent_free(dn->tn_tmp, de);
	tmpfs_node_droplink(tn);
	tmpfs_node_touch(dn, TMPFS_UPD_MTIME | TMPFS_UPD_CTIME);
	/* With no names left the storage goes at the last vrele. */
	tmpfs_node_unnamed(tn);
	return 0;
}

/* Takes the removed directory tn out of the tree (its parent's nlink is
 * the caller's business; td_parent stays, held). */
static void
tmpfs_dir_orphan(struct tmpfs_node *tn)
{
	KASSERT(tn->tn_dir.td_nentries == 0);
	tn->tn_nlink = 0;
	/* As Linux: ".." of a removed directory still leads to where it
	 * was, so the parent is held until this node goes. */
	__atomic_fetch_add(&tn->tn_dir.td_parent->tn_life, TMPFS_LIFE_HOLD,
	    __ATOMIC_RELAXED);
	tmpfs_node_touch(tn, TMPFS_UPD_CTIME);
}

static int
tmpfs_rmdir(struct vnode *dvp, struct vnode *vp, const char *name,
    size_t namelen)
{
	struct tmpfs_node *dn = VP_TO_TMPFS(dvp), *tn = VP_TO_TMPFS(vp);
	struct tmpfs_dirent *de;

	if (dn->tn_type != VDIR || tn->tn_type != VDIR)
		return ENOTDIR;
	if (tn == dn)
		return EINVAL;
	if (tn == tn->tn_tmp->tm_root)
		return EBUSY;
	de = tmpfs_dir_lookup(dn, name, namelen);
	if (de == NULL || de->td_node != tn)
		return ENOENT;
	if (tn->tn_dir.td_nentries != 0)
		return ENOTEMPTY;
	tmpfs_dir_detach(dn, de);
	tmpfs_dirent_free(dn->tn_tmp, de);
	KASSERT(dn->tn_nlink > 2);
	dn->tn_nlink--;
	tmpfs_dir_orphan(tn);
	tmpfs_node_touch(dn, TMPFS_UPD_MTIME | TMPFS_UPD_CTIME);
	tmpfs_node_unnamed(tn);
	return 0;
}

/* True when dir a is dn or one of its ancestors. */
static bool
tmpfs_is_ancestor(struct tmpfs_node *a, struct tmpfs_node *dn)
{
	struct tmpfs_node *root = dn->tn_tmp->tm_root;

	for (;;) {
		if (dn == a)
			return true;
		if (dn == root || dn->tn_dir.td_parent == NULL)
			return false;
		dn = dn->tn_dir.td_parent;
	}
}

static int
tmpfs_rename(struct vnode *fdvp, struct vnode *fvp, const char *fname,
    size_t fnamelen, struct vnode *tdvp, struct vnode *tvp,
    const char *tname, size_t tnamelen)
{
	struct tmpfs_node *fdn = VP_TO_TMPFS(fdvp), *fn = VP_TO_TMPFS(fvp);
	struct tmpfs_node *tdn = VP_TO_TMPFS(tdvp);
	struct tmpfs_node *tn = tvp != NULL ? VP_TO_TMPFS(tvp) : NULL;
	struct tmpfs_mount *tm = fdn->tn_tmp;
	struct tmpfs_dirent *fde, *tde, *nde = NULL;
	bool isdir = fn->tn_type == VDIR;
	int error;

	if (fdn->tn_type != VDIR || tdn->tn_type != VDIR)
		return ENOTDIR;
	if (tdn->tn_tmp != tm || fn->tn_tmp != tm ||
	    (tn != NULL && tn->tn_tmp != tm))
		return EXDEV;
	fde = tmpfs_dir_lookup(fdn, fname, fnamelen);
	if (fde == NULL || fde->td_node != fn)
		return ENOENT;
	if (tdn->tn_nlink == 0)
		return ENOENT;
	if (tn == fn)
		return 0;	/* two names of one file: nothing to do */

	tde = tmpfs_dir_lookup(tdn, tname, tnamelen);
	if (tn == NULL && tde != NULL)
		return EEXIST;		/* the VFS's view was stale */
	if (tn != NULL) {
		if (tde == NULL || tde->td_node != tn)
			return ENOENT;
		if (isdir && tn->tn_type != VDIR)
			return ENOTDIR;
		if (!isdir && tn->tn_type == VDIR)
			return EISDIR;
		/* Re-checked here: only tmpfs knows it for certain now. */
		if (tn->tn_type == VDIR && tn->tn_dir.td_nentries != 0)
			return ENOTEMPTY;
	}
	if (isdir && fdn != tdn) {
		/* Moving a directory below itself would detach a loop. */
		if (tmpfs_is_ancestor(fn, tdn))
			return EINVAL;
		if (tn == NULL && tdn->tn_nlink >= TMPFS_LINK_MAX)
			return EMLINK;
	}
	if (tde == NULL) {
		error = tmpfs_dirent_alloc(tm, tname, tnamelen, &nde);
		if (error != 0)
			return error;
	}

	/* Nothing can fail from here on. */
	if (tde != NULL) {
		/* The target name now means fn; tn loses that link. */
		tde->td_node = fn;
		if (tn->tn_type == VDIR) {
			tmpfs_dir_orphan(tn);
			tdn->tn_nlink--;	/* tn's ".." */
		} else {
			tmpfs_node_droplink(tn);
		}
	} else {
		tmpfs_dir_attach(tdn, nde, fn);
	}
	tmpfs_dir_detach(fdn, fde);
	tmpfs_dirent_free(tm, fde);

	if (isdir && fdn != tdn) {
		fn->tn_dir.td_parent = tdn;	/* its ".." */
		fdn->tn_nlink--;
		tdn->tn_nlink++;
	}
	tmpfs_node_touch(fn, TMPFS_UPD_CTIME);
	tmpfs_node_touch(fdn, TMPFS_UPD_MTIME | TMPFS_UPD_CTIME);
	if (tdn != fdn)
		tmpfs_node_touch(tdn, TMPFS_UPD_MTIME | TMPFS_UPD_CTIME);
	if (tn != NULL)
		tmpfs_node_unnamed(tn);
	return 0;
}

static int
tmpfs_getattr(struct vnode *vp, struct vattr *va)
{
	struct tmpfs_node *tn = VP_TO_TMPFS(vp);

	memset(va, 0, sizeof(*va));
	va->va_mask = VA_ALL;
	va->va_type = tn->tn_type;
	va->va_mode = tn->tn_mode & TMPFS_ALLPERMS;
	va->va_uid = tn->tn_uid;
	va->va_gid = tn->tn_gid;
	va->va_size = tn->tn_size;
	va->va_nlink = tn->tn_nlink;
	va->va_ino = tn->tn_ino;
	va->va_rdev = tn->tn_rdev;
	va->va_blocks = tn->tn_type == VREG ?
	    tn->tn_reg.tr_npages * (TMPFS_PAGE_SIZE / 512) : 0;
	va->va_blksize = TMPFS_PAGE_SIZE;
	va->va_atime = tn->tn_atime;
	va->va_mtime = tn->tn_mtime;
	va->va_ctime = tn->tn_ctime;
	return 0;
}

static int
tmpfs_setattr(struct vnode *vp, const struct vattr *va)
{
	struct tmpfs_node *tn = VP_TO_TMPFS(vp);
	unsigned mask = va->va_mask;

	/* Check everything first so that a failure changes nothing. */
	if (mask & VA_SIZE) {
		if (tn->tn_type == VDIR)
			return EISDIR;
		if (tn->tn_type != VREG)
			return EINVAL;
		if (va->va_size > TMPFS_MAXFILESIZE)
			return EFBIG;
	}

	if (mask & VA_MODE)
		tn->tn_mode = va->va_mode & TMPFS_ALLPERMS;
	if (mask & VA_UID)
		tn->tn_uid = va->va_uid;
	if (mask & VA_GID)
		tn->tn_gid = va->va_gid;
	if (mask & VA_SIZE) {
		if (va->va_size != tn->tn_size)
			tmpfs_data_truncate(tn, va->va_size);
		/* As Linux: truncate and O_TRUNC always stamp mtime. */
		if (!(mask & VA_MTIME))
			tmpfs_node_touch(tn, TMPFS_UPD_MTIME);
	}
	if (mask & VA_ATIME)
		tn->tn_atime = va->va_atime;
	if (mask & VA_MTIME)
		tn->tn_mtime = va->va_mtime;
	if (mask & VA_CTIME)
		tn->tn_ctime = va->va_ctime;
	else
		tmpfs_node_touch(tn, TMPFS_UPD_CTIME);
	return 0;
}

static int
tmpfs_read(struct vnode *vp, struct uio *uio)
{
	struct tmpfs_node *tn = VP_TO_TMPFS(vp);
	int error;

	if (tn->tn_type == VDIR)
		return EISDIR;
	if (tn->tn_type != VREG)
		return EINVAL;
	error = tmpfs_data_read(tn, uio);
	if (error == 0)
		tmpfs_node_touch(tn, TMPFS_UPD_ATIME);
	return error;
}

static int
tmpfs_write(struct vnode *vp, struct uio *uio)
{
	struct tmpfs_node *tn = VP_TO_TMPFS(vp);

	if (tn->tn_type == VDIR)
		return EISDIR;
	if (tn->tn_type != VREG)
		return EINVAL;
	return tmpfs_data_write(tn, uio);
}

static int
tmpfs_fallocate(struct vnode *vp, int mode, uint64_t off, uint64_t len)
{
	struct tmpfs_node *tn = VP_TO_TMPFS(vp);

	if (tn->tn_type != VREG)
		return ENODEV;
	return tmpfs_data_fallocate(tn, mode, off, len);
}

static int
tmpfs_readdir(struct vnode *vp, off_t off, filldir_fn fill, void *ctx)
{
	struct tmpfs_node *dn = VP_TO_TMPFS(vp);
	int error;

	if (dn->tn_type != VDIR)
		return ENOTDIR;
	error = tmpfs_dir_readdir(dn, off, fill, ctx);
	if (error == 0)
		tmpfs_node_touch(dn, TMPFS_UPD_ATIME);
	return error;
}

static int
tmpfs_readlink(struct vnode *vp, struct uio *uio)
{
	struct tmpfs_node *tn = VP_TO_TMPFS(vp);
	int error;

	if (tn->tn_type != VLNK)
		return EINVAL;
	error = uiomove(tn->tn_lnk.tl_target,
	    MIN(tn->tn_lnk.tl_len, uio->uio_resid), uio);
	if (error == 0)
		tmpfs_node_touch(tn, TMPFS_UPD_ATIME);
	return error;
}

static int
tmpfs_fsync(struct vnode *vp __unused, bool dataonly __unused)
{
	return 0;		/* memory is as stable as tmpfs gets */
}

static bool
tmpfs_inactive(struct vnode *vp)
{
	struct tmpfs_node *tn = VP_TO_TMPFS(vp);

	/* Detached by unmount, or unlinked: nothing to keep cached. */
	return tn == NULL || tn->tn_nlink == 0;
}

static void
tmpfs_reclaim(struct vnode *vp)
{
	struct tmpfs_node *tn = VP_TO_TMPFS(vp);

	if (tn == NULL)
		return;
	KASSERT(tn->tn_vnode == vp);
	tn->tn_vnode = NULL;
	vp->v_data = NULL;
	tmpfs_node_drop(tn, TMPFS_LIFE_VNODE);
}

const struct vnodeops tmpfs_vnodeops = {
	.vop_lookup	= tmpfs_lookup,
	.vop_parent	= tmpfs_parent,
	.vop_create	= tmpfs_create,
	.vop_mkdir	= tmpfs_mkdir,
	.vop_symlink	= tmpfs_symlink,
	.vop_link	= tmpfs_link,
	.vop_remove	= tmpfs_remove,
	.vop_rmdir	= tmpfs_rmdir,
	.vop_rename	= tmpfs_rename,
	.vop_getattr	= tmpfs_getattr,
	.vop_setattr	= tmpfs_setattr,
	.vop_read	= tmpfs_read,
	.vop_write	= tmpfs_write,
	.vop_readdir	= tmpfs_readdir,
	.vop_readlink	= tmpfs_readlink,
	.vop_fallocate	= tmpfs_fallocate,
	.vop_getxattr	= tmpfs_getxattr,
	.vop_setxattr	= tmpfs_setxattr,
	.vop_listxattr	= tmpfs_listxattr,
	.vop_removexattr = tmpfs_removexattr,
	.vop_fsync	= tmpfs_fsync,
	.vop_inactive	= tmpfs_inactive,
	.vop_reclaim	= tmpfs_reclaim,
};
