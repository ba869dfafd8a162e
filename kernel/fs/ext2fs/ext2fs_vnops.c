/*
 * ext2fs_vnops.c: the vnode operations of ext2.
 *
 * The VFS has done permission, name and type checks (vfs/vnode.h).  Each
 * operation that changes an inode writes it into the buffer cache before
 * returning (ext2_node_write), so nothing but the cache holds unwritten
 * state, and sync is a write-back of the cache.  Access times are not
 * updated on reads (as with Linux's noatime).
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/libkern.h>
#include <kern/lock.h>
#include <kern/kmem.h>
#include <kern/clock.h>
#include <vfs/vnode.h>
#include <vfs/mount.h>
#include <vfs/buf.h>

#include "ext2fs.h"

/*
 * Read-ahead of a sequential read: a window of about EXT2_RABYTES ahead
 * of the reader (EXT2_RAMIN to EXT2_RAMAX blocks), topped up when half
 * of it has been read, at most EXT2_RACHUNK blocks asked for per block
 * read (the rest on the next ones).  A big window lets the transfers be
 * big and keeps the device busy while the reader copies.
 */
#define EXT2_RABYTES	((uint64_t)1 << 20)
#define EXT2_RAMIN	32
#define EXT2_RAMAX	256
#define EXT2_RACHUNK	128

static int
ext2_vget(struct ext2_mount *em, uint32_t ino, struct vnode **vpp)
{

	if (ino < 1 || ino > em->em_inodes) {
		ext2_error(em, "directory entry with bad inode %u", ino);
		return EIO;
	}
	return vcache_get(em->em_mp, ino, vpp);
}

static int
ext2_lookup(struct vnode *dvp, const char *name, size_t namelen,
    struct vnode **vpp)
{
	struct ext2_node *dn = VTOE(dvp);
	uint32_t ino;
	int error;

	if (dvp->v_type != VDIR)
		return ENOTDIR;
	error = ext2_dir_lookup(dn, name, namelen, &ino, NULL);
	if (error != 0)
		return error;
	return ext2_vget(dn->n_mnt, ino, vpp);
}

static int
ext2_parent(struct vnode *dvp, struct vnode **vpp)
{
	struct ext2_node *dn = VTOE(dvp);
	uint32_t ino;
	int error;

	if (dvp->v_type != VDIR)
		return ENOTDIR;
	if (dn->n_nlink == 0) {
		/* Removed: ".." is still the directory it was removed from
		 * (Linux), removed or not. */
		if (dn->n_rmparent == NULL)
			return ENOENT;
		vref(dn->n_rmparent);
		*vpp = dn->n_rmparent;
		return 0;
	}
	error = ext2_dir_parent(dn, &ino);
	if (error != 0)
		return error;
	return ext2_vget(dn->n_mnt, ino, vpp);
}

static uint16_t
vtype_to_ifmt(enum vtype type)
{

	switch (type) {
	case VREG:	return EXT2_S_IFREG;
	case VDIR:	return EXT2_S_IFDIR;
	case VLNK:	return EXT2_S_IFLNK;
	case VCHR:	return EXT2_S_IFCHR;
	case VBLK:	return EXT2_S_IFBLK;
	case VFIFO:	return EXT2_S_IFIFO;
	case VSOCK:	return EXT2_S_IFSOCK;
	default:	return 0;
	}
}

/* Device numbers in i_block, as Linux stores them: the old 8:8 encoding
 * in i_block[0] when it fits, else the new one in i_block[1]. */
static void
rdev_encode(struct ext2_node *n, dev_t rdev)
{
	uint32_t major = (uint32_t)(((rdev >> 8) & 0xfff) |
	    ((rdev >> 32) & ~0xfffULL));
	uint32_t minor = (uint32_t)((rdev & 0xff) | ((rdev >> 12) & ~0xffULL));

	if (major < 256 && minor < 256) {
		n->n_iblock[0] = major << 8 | minor;
		n->n_iblock[1] = 0;
	} else {
		n->n_iblock[0] = 0;
		n->n_iblock[1] = (minor & 0xff) | (major << 8) |
		    ((minor & ~0xffu) << 12);
	}
}

static dev_t
rdev_decode(const struct ext2_node *n)
{
	uint32_t major, minor, v;

	if (n->n_iblock[0] != 0) {
		major = (n->n_iblock[0] >> 8) & 0xff;
		minor = n->n_iblock[0] & 0xff;
	} else {
		v = n->n_iblock[1];
		major = (v & 0xfff00) >> 8;
		minor = (v & 0xff) | ((v >> 12) & 0xfff00);
	}
	return ((dev_t)(major & 0xfff) << 8) | ((dev_t)(major & ~0xfffu) << 32) |
	    (minor & 0xff) | ((dev_t)(minor & ~0xffu) << 12);
}

static void
large_file_note(struct ext2_mount *em, uint64_t size)
{
	uint32_t ro;

	if (size < ((uint64_t)1 << 31))
		return;
	/* Only the superblock's copy changes: em_ro_compat is read
	 * without a lock and nothing reads this bit from it after mount. */
	mutex_enter(&em->em_lock);
	ro = le32get(em->em_sb, SB_FEATURE_RO_COMPAT);
	if ((ro & RO_COMPAT_LARGE_FILE) == 0 && em->em_rev >= 1) {
		le32put(em->em_sb, SB_FEATURE_RO_COMPAT,
		    ro | RO_COMPAT_LARGE_FILE);
		__atomic_store_n(&em->em_sbdirty, true, __ATOMIC_RELAXED);
	}
	mutex_exit(&em->em_lock);
}

/* Writes the symlink target of a new node n. */
static int
symlink_write(struct ext2_node *n, const char *target, size_t len)
{
	struct ext2_mount *em = n->n_mnt;
	struct buf *bp;
	uint64_t pbn;
	int error;

	if (len < EXT2_FAST_SYMLINK_MAX) {
		/* In the inode itself (i_block is little endian bytes). */
		memset(n->n_iblock, 0, sizeof(n->n_iblock));
		memcpy(n->n_iblock, target, len);
		n->n_size = len;
		return 0;
	}
	if (len >= em->em_bsize)
		return ENAMETOOLONG;
	error = ext2_bmap(n, 0, true, true, &pbn);
	if (error != 0)
		return error;
	error = bread(em->em_dev, pbn, em->em_bsize, &bp);
	if (error != 0)
		return error;
	memcpy(bp->b_data, target, len);
	bdwrite(bp, B_ORD_DATA);
	n->n_size = len;
	return 0;
}

/* Undoes a new inode that could not be entered in its directory. */
static void
newnode_undo(struct ext2_node *n, bool isdir)
{

	(void)ext2_truncate(n, 0);
	n->n_nlink = 0;
	n->n_dtime = (uint32_t)n->n_ctime.tv_sec;
	(void)ext2_node_write(n);
	(void)ext2_inofree(n->n_mnt, n->n_ino, isdir);
}

static int
ext2_alloc_file(struct vnode *dvp, const char *name, size_t namelen,
    const struct vattr *va, enum vtype type, const char *target,
    struct vnode **vpp)
{
	struct ext2_node *dn = VTOE(dvp), *n;
	struct ext2_mount *em = dn->n_mnt;
	bool isdir = type == VDIR;
	uint16_t mode;
	uint32_t ino;
	size_t len = 0;
	int error;

	if (em->em_ronly)
		return EROFS;
	if (dvp->v_type != VDIR)
		return ENOTDIR;
	if (dn->n_nlink == 0)
		return ENOENT;
	if (isdir && dn->n_nlink >= EXT2_LINK_MAX)
		return EMLINK;
	if (namelen == 0 || namelen > NAME_MAX)
		return namelen == 0 ? ENOENT : ENAMETOOLONG;
	if (ext2_dir_lookup(dn, name, namelen, &ino, NULL) == 0)
		return EEXIST;
	if (type == VLNK) {
		len = strnlen(target, PATH_MAX);
		if (len == 0)
			return ENOENT;
		if (len >= PATH_MAX || len >= em->em_bsize)
			return ENAMETOOLONG;
	}
	mode = vtype_to_ifmt(type);
	if (mode == 0)
		return EINVAL;
	mode |= (uint16_t)(va->va_mode & 07777);

	n = kmem_alloc(sizeof(*n), KM_SLEEP);
	if (n == NULL)
		return ENOMEM;
	error = ext2_inoalloc(em, dn->n_ino, isdir, &ino);
	if (error != 0)
		goto out;
	ext2_node_init_new(em, n, ino, mode, va->va_uid, va->va_gid);
	if (type == VCHR || type == VBLK)
		rdev_encode(n, va->va_rdev);
	if (isdir) {
		n->n_nlink = 2;
		error = ext2_dir_init(n, dn->n_ino);
	} else if (type == VLNK) {
		error = symlink_write(n, target, len);
	}
	if (error == 0)
		error = ext2_node_write(n);
	if (error == 0)
		error = ext2_dir_add(dn, name, namelen, ino, mode);
	if (error != 0) {
		newnode_undo(n, isdir);
		goto out;
	}
	if (isdir) {
		dn->n_nlink++;
		error = ext2_node_write(dn);
		if (error != 0)
			goto out;
	}
	error = ext2_vget(em, ino, vpp);
 out:
	kmem_free(n, sizeof(*n));
	return error;
}

static int
ext2_create(struct vnode *dvp, const char *name, size_t namelen,
    const struct vattr *va, struct vnode **vpp)
{

	return ext2_alloc_file(dvp, name, namelen, va, va->va_type, NULL, vpp);
}

static int
ext2_mkdir(struct vnode *dvp, const char *name, size_t namelen,
    const struct vattr *va, struct vnode **vpp)
{

	return ext2_alloc_file(dvp, name, namelen, va, VDIR, NULL, vpp);
}

static int
ext2_symlink(struct vnode *dvp, const char *name, size_t namelen,
    const struct vattr *va, const char *target, struct vnode **vpp)
{

	return ext2_alloc_file(dvp, name, namelen, va, VLNK, target, vpp);
}

static int
ext2_link(struct vnode *dvp, struct vnode *vp, const char *name,
    size_t namelen)
{
	struct ext2_node *dn = VTOE(dvp), *n = VTOE(vp);
	uint32_t ino;
	int error;

	if (n->n_mnt->em_ronly)
		return EROFS;
	if (dvp->v_type != VDIR)
		return ENOTDIR;
	if (vp->v_type == VDIR)
		return EPERM;
	if (dn->n_nlink == 0 || n->n_nlink == 0)
		return ENOENT;
	if (n->n_nlink >= EXT2_LINK_MAX)
		return EMLINK;
	if (ext2_dir_lookup(dn, name, namelen, &ino, NULL) == 0)
		return EEXIST;
	error = ext2_dir_add(dn, name, namelen, n->n_ino, n->n_mode);
	if (error != 0)
		return error;
	n->n_nlink++;
	ext2_node_touch(n, false, true);
	return ext2_node_write(n);
}

/* The entry name in dn must name n (the VFS's view may be stale). */
static int
entry_check(struct ext2_node *dn, const char *name, size_t namelen,
    struct ext2_node *n)
{
	uint32_t ino;
	int error;

	error = ext2_dir_lookup(dn, name, namelen, &ino, NULL);
	if (error == 0 && ino != n->n_ino)
		error = ENOENT;
	return error;
}

static int
ext2_remove(struct vnode *dvp, struct vnode *vp, const char *name,
    size_t namelen)
{
	struct ext2_node *dn = VTOE(dvp), *n = VTOE(vp);
	int error;

	if (n->n_mnt->em_ronly)
		return EROFS;
	if (vp->v_type == VDIR)
		return EISDIR;
	error = entry_check(dn, name, namelen, n);
	if (error == 0)
		error = ext2_dir_remove(dn, name, namelen);
	if (error != 0)
		return error;
	if (n->n_nlink > 0)
		n->n_nlink--;
	ext2_node_touch(n, false, true);
	return ext2_node_write(n);
}

/* A directory was removed from dvp: its ".." leads there until it goes
 * (rmparent_drop). */
static void
rmparent_hold(struct ext2_node *n, struct vnode *dvp)
{

	if (n->n_rmparent != NULL)
		return;
	vref(dvp);
	n->n_rmparent = dvp;
}

/* Lets the parent go; with the last reference a removed parent is
 * freed in turn (vrele: its inactive runs, this vnode being beyond
 * anyone's reach). */
static void
rmparent_drop(struct ext2_node *n)
{
	struct vnode *pvp = n->n_rmparent;

	if (pvp != NULL) {
		n->n_rmparent = NULL;
		vrele(pvp);
	}
}

static int
ext2_rmdir(struct vnode *dvp, struct vnode *vp, const char *name,
    size_t namelen)
{
	struct ext2_node *dn = VTOE(dvp), *n = VTOE(vp);
	bool empty;
	int error;

	if (n->n_mnt->em_ronly)
		return EROFS;
	if (vp->v_type != VDIR)
		return ENOTDIR;
	error = entry_check(dn, name, namelen, n);
	if (error == 0)
		error = ext2_dir_isempty(n, &empty);
	if (error == 0 && !empty)
		error = ENOTEMPTY;
	if (error == 0)
		error = ext2_dir_remove(dn, name, namelen);
	if (error != 0)
		return error;
	n->n_nlink = 0;
	rmparent_hold(n, dvp);
	ext2_node_touch(n, false, true);
	error = ext2_node_write(n);
	if (dn->n_nlink > 2)
		dn->n_nlink--;
	ext2_node_touch(dn, true, true);
	if (error == 0)
		error = ext2_node_write(dn);
	return error;
}

static int
ext2_rename(struct vnode *fdvp, struct vnode *fvp, const char *fname,
    size_t fnamelen, struct vnode *tdvp, struct vnode *tvp,
    const char *tname, size_t tnamelen)
{
	struct ext2_node *fdn = VTOE(fdvp), *fn = VTOE(fvp);
	struct ext2_node *tdn = VTOE(tdvp);
	struct ext2_node *tn = tvp != NULL ? VTOE(tvp) : NULL;
	bool isdir = fvp->v_type == VDIR, empty;
	uint32_t ino;
	int error;

	if (fn->n_mnt->em_ronly)
		return EROFS;
	if (fdvp->v_type != VDIR || tdvp->v_type != VDIR)
		return ENOTDIR;
	error = entry_check(fdn, fname, fnamelen, fn);
	if (error != 0)
		return error;
	if (tdn->n_nlink == 0)
		return ENOENT;
	if (tn == fn)
		return 0;
	if (tn != NULL) {
		error = entry_check(tdn, tname, tnamelen, tn);
		if (error != 0)
			return error;
		if (isdir && tvp->v_type != VDIR)
			return ENOTDIR;
		if (!isdir && tvp->v_type == VDIR)
			return EISDIR;
		if (tvp->v_type == VDIR) {
			error = ext2_dir_isempty(tn, &empty);
			if (error != 0)
				return error;
			if (!empty)
				return ENOTEMPTY;
		}
	} else {
		if (ext2_dir_lookup(tdn, tname, tnamelen, &ino, NULL) == 0)
			return EEXIST;
		if (isdir && fdn != tdn && tdn->n_nlink >= EXT2_LINK_MAX)
			return EMLINK;
	}

	/* The new name first: a crash in between leaves two names, which
	 * e2fsck repairs, rather than none. */
	if (tn != NULL)
		error = ext2_dir_rewrite(tdn, tname, tnamelen, fn->n_ino,
		    fn->n_mode);
	else
		error = ext2_dir_add(tdn, tname, tnamelen, fn->n_ino,
		    fn->n_mode);
	if (error != 0)
		return error;
	error = ext2_dir_remove(fdn, fname, fnamelen);
	if (error != 0)
		return error;
	if (tn != NULL) {
		if (tvp->v_type == VDIR) {
			tn->n_nlink = 0;
			rmparent_hold(tn, tdvp);
			if (tdn->n_nlink > 2)
				tdn->n_nlink--;	/* tn's ".." */
		} else if (tn->n_nlink > 0) {
			tn->n_nlink--;
		}
		ext2_node_touch(tn, false, true);
		error = ext2_node_write(tn);
		if (error != 0)
			return error;
	}
	if (isdir && fdn != tdn) {
		error = ext2_dir_setparent(fn, tdn->n_ino);
		if (error != 0)
			return error;
		if (fdn->n_nlink > 2)
			fdn->n_nlink--;
		tdn->n_nlink++;
	}
	ext2_node_touch(fn, false, true);
	error = ext2_node_write(fn);
	if (error == 0)
		error = ext2_node_write(fdn);
	if (error == 0 && tdn != fdn)
		error = ext2_node_write(tdn);
	return error;
}

static int
ext2_getattr(struct vnode *vp, struct vattr *va)
{
	struct ext2_node *n = VTOE(vp);

	memset(va, 0, sizeof(*va));
	va->va_mask = VA_ALL;
	va->va_type = vp->v_type;
	va->va_mode = n->n_mode & 07777;
	va->va_uid = n->n_uid;
	va->va_gid = n->n_gid;
	va->va_size = n->n_size;
	va->va_nlink = n->n_nlink;
	va->va_ino = n->n_ino;
	if (vp->v_type == VCHR || vp->v_type == VBLK)
		va->va_rdev = rdev_decode(n);
	va->va_blocks = n->n_blocks;
	va->va_blksize = n->n_mnt->em_bsize;
	va->va_atime = n->n_atime;
	va->va_mtime = n->n_mtime;
	va->va_ctime = n->n_ctime;
	return 0;
}

static int
ext2_setattr(struct vnode *vp, const struct vattr *va)
{
	struct ext2_node *n = VTOE(vp);
	struct ext2_mount *em = n->n_mnt;
	unsigned mask = va->va_mask;
	int error;

	if (em->em_ronly)
		return EROFS;
	if (mask & VA_SIZE) {
		if (vp->v_type == VDIR)
			return EISDIR;
		if (vp->v_type != VREG)
			return EINVAL;
		if (va->va_size > ext2_maxfilesize(em))
			return EFBIG;
		if (n->n_flags & EXT2_EXTENTS_FL)
			return EROFS;
	}
	if (mask & VA_SIZE) {
		if (va->va_size < n->n_size) {
			error = ext2_truncate(n, va->va_size);
			if (error != 0)
				return error;
		}
		n->n_size = va->va_size;
		large_file_note(em, n->n_size);
		if (!(mask & VA_MTIME))
			ext2_node_touch(n, true, false);
	}
	if (mask & VA_MODE)
		n->n_mode = (uint16_t)((n->n_mode & EXT2_S_IFMT) |
		    (va->va_mode & 07777));
	if (mask & VA_UID)
		n->n_uid = va->va_uid;
	if (mask & VA_GID)
		n->n_gid = va->va_gid;
	if (mask & VA_ATIME)
		n->n_atime = va->va_atime;
	if (mask & VA_MTIME)
		n->n_mtime = va->va_mtime;
	if (mask & VA_CTIME)
		n->n_ctime = va->va_ctime;
	else
		ext2_node_touch(n, false, true);
	return ext2_node_write(n);
}

static int
ext2_read(struct vnode *vp, struct uio *uio)
{
	struct ext2_node *n = VTOE(vp);
	struct ext2_mount *em = n->n_mnt;
	uint64_t ra[EXT2_RACHUNK], lbn, pbn, off, win;
	size_t boff, len;
	struct buf *bp;
	int error = 0, nra;

	win = MAX(MIN(EXT2_RABYTES >> em->em_bshift, EXT2_RAMAX), EXT2_RAMIN);

	if (vp->v_type == VDIR)
		return EISDIR;
	if (vp->v_type != VREG)
		return EINVAL;
	if (uio->uio_offset < 0)
		return EINVAL;
	while (uio->uio_resid > 0 && (uint64_t)uio->uio_offset < n->n_size) {
		off = (uint64_t)uio->uio_offset;
		lbn = off >> em->em_bshift;
		boff = (size_t)(off & (em->em_bsize - 1));
		len = MIN(em->em_bsize - boff, uio->uio_resid);
		len = (size_t)MIN((uint64_t)len, n->n_size - off);
		error = ext2_bmap(n, lbn, false, false, &pbn);
		if (error != 0)
			break;
		if (pbn == 0) {
			error = uiomove_zero(len, uio);
			if (error != 0)
				break;
			n->n_lastlbn = lbn + 1;
			continue;
		}
		/* Sequential: keep a window of blocks asked for ahead,
		 * topped up when half of it has been read, so that the
		 * requests are big.  A read inside the window counts as
		 * sequential too: a FUSE server gets the parts of one
		 * sequential read out of order from several threads. */
		nra = 0;
		if (lbn == n->n_lastlbn || lbn == 0 ||
		    (lbn < n->n_ranext && lbn + win >= n->n_lastlbn)) {
			uint64_t k;

			if (n->n_ranext <= lbn)
				n->n_ranext = lbn + 1;
			if (n->n_ranext <= lbn + win / 2) {
				for (k = n->n_ranext; k < lbn + 1 + win &&
				    nra < EXT2_RACHUNK; k++) {
					uint64_t rpbn;

					if ((k << em->em_bshift) >= n->n_size ||
					    ext2_bmap(n, k, false, false,
					    &rpbn) != 0 || rpbn == 0)
						break;
					ra[nra++] = rpbn;
				}
				n->n_ranext = k;
			}
		}
		error = breadn(em->em_dev, pbn, em->em_bsize, ra, nra, &bp);
		if (error != 0)
			break;
		error = uiomove((uint8_t *)bp->b_data + boff, len, uio);
		brelse(bp);
		if (error != 0)
			break;
		n->n_lastlbn = lbn + 1;
	}
	return error;
}

static int
ext2_write(struct vnode *vp, struct uio *uio)
{
	struct ext2_node *n = VTOE(vp);
	struct ext2_mount *em = n->n_mnt;
	uint64_t lbn, pbn, off, max = ext2_maxfilesize(em);
	size_t boff, len, resid0 = uio->uio_resid;
	struct buf *bp;
	bool full;
	int error = 0, error2;

	if (em->em_ronly)
		return EROFS;
	if (vp->v_type != VREG)
		return EINVAL;
	if (n->n_flags & EXT2_EXTENTS_FL)
		return EROFS;
	if (uio->uio_offset < 0)
		return EINVAL;
	if ((uint64_t)uio->uio_offset >= max && uio->uio_resid > 0)
		return EFBIG;
	while (uio->uio_resid > 0) {
		off = (uint64_t)uio->uio_offset;
		if (off >= max)
			break;
		lbn = off >> em->em_bshift;
		boff = (size_t)(off & (em->em_bsize - 1));
		len = MIN(em->em_bsize - boff, uio->uio_resid);
		len = (size_t)MIN((uint64_t)len, max - off);
		full = boff == 0 && len == em->em_bsize;
		/* A block past the old end is zero where not written. */
		error = ext2_bmap(n, lbn, true, !full, &pbn);
		if (error != 0)
			break;
		if (full)
			error = bget(em->em_dev, pbn, em->em_bsize, &bp);
		else
			error = bread(em->em_dev, pbn, em->em_bsize, &bp);
		if (error != 0)
			break;
		error = uiomove((uint8_t *)bp->b_data + boff, len, uio);
		bdwrite(bp, B_ORD_DATA);
		if (error != 0)
			break;
		if (off + len > n->n_size)
			n->n_size = off + len;
	}
	if (uio->uio_resid != resid0) {
		/* Something was written: a partial write succeeds. */
		error = 0;
		large_file_note(em, n->n_size);
		ext2_node_touch(n, true, true);
	}
	error2 = ext2_node_write(n);
	return error != 0 ? error : error2;
}

/* Zeroes bytes [from, to) of logical block lbn if it is allocated. */
static int
zero_in_block(struct ext2_node *n, uint64_t lbn, size_t from, size_t to)
{
	struct ext2_mount *em = n->n_mnt;
	struct buf *bp;
	uint64_t pbn;
	int error;

	if (from >= to)
		return 0;
	error = ext2_bmap(n, lbn, false, false, &pbn);
	if (error != 0 || pbn == 0)
		return error;
	error = bread(em->em_dev, pbn, em->em_bsize, &bp);
	if (error != 0)
		return error;
	memset((uint8_t *)bp->b_data + from, 0, to - from);
	bdwrite(bp, B_ORD_DATA);
	return 0;
}

/*
 * fallocate: ext2 has no unwritten extents, so allocated blocks are
 * zeroed.  With FALLOC_FL_KEEP_SIZE nothing is allocated past the end
 * of the file: a block-mapped file with blocks past its size is damage
 * to e2fsck.  A hole punched frees whole blocks and zeroes the partial
 * ones at its edges.
 */
static int
ext2_fallocate(struct vnode *vp, int mode, uint64_t off, uint64_t len)
{
	struct ext2_node *n = VTOE(vp);
	struct ext2_mount *em = n->n_mnt;
	uint64_t bs = em->em_bsize, end = off + len, lbn, first, last, pbn;
	uint64_t need = 0, nfree;
	int error = 0, error2;

	if (em->em_ronly)
		return EROFS;
	if (n->n_flags & EXT2_EXTENTS_FL)
		return EOPNOTSUPP;
	if (end > ext2_maxfilesize(em))
		return EFBIG;
	if (mode & FALLOC_FL_PUNCH_HOLE) {
		end = MIN(end, n->n_size);
		if (off >= end)
			return 0;
		first = howmany(off, bs);
		last = end / bs;
		if (first > last) {
			/* Inside one block. */
			error = zero_in_block(n, off / bs, (size_t)(off % bs),
			    (size_t)(end - (off / bs) * bs));
		} else {
			error = zero_in_block(n, off / bs, (size_t)(off % bs),
			    off % bs != 0 ? (size_t)bs : 0);
			if (error == 0)
				error = zero_in_block(n, last, 0,
				    (size_t)(end % bs));
			if (error == 0)
				error = ext2_punch(n, first, last);
		}
		ext2_node_touch(n, true, true);
	} else {
		first = off / bs;
		last = howmany(end, bs);
		if (mode & FALLOC_FL_KEEP_SIZE)
			last = MIN(last, howmany(n->n_size, bs));
		/* ENOSPC before anything is allocated, as far as the data
		 * blocks go (indirect blocks may still run out). */
		nfree = ext2_free_blocks(em);
		for (lbn = first; lbn < last && error == 0; lbn++) {
			error = ext2_bmap(n, lbn, false, false, &pbn);
			if (error == 0 && pbn == 0)
				need++;
			if (need > nfree)
				error = ENOSPC;
		}
		for (lbn = first; lbn < last && error == 0; lbn++)
			error = ext2_bmap(n, lbn, true, true, &pbn);
		if (error == 0 && (mode & FALLOC_FL_KEEP_SIZE) == 0 &&
		    end > n->n_size) {
			n->n_size = end;
			large_file_note(em, n->n_size);
			ext2_node_touch(n, true, true);
		} else {
			ext2_node_touch(n, false, true);
		}
	}
	error2 = ext2_node_write(n);
	return error != 0 ? error : error2;
}

static int
ext2_readdir(struct vnode *vp, off_t off, filldir_fn fill, void *ctx)
{

	if (vp->v_type != VDIR)
		return ENOTDIR;
	return ext2_dir_readdir(VTOE(vp), off, fill, ctx);
}

static int
ext2_readlink(struct vnode *vp, struct uio *uio)
{
	struct ext2_node *n = VTOE(vp);
	struct ext2_mount *em = n->n_mnt;
	uint64_t pbn;
	struct buf *bp;
	int error;

	if (vp->v_type != VLNK)
		return EINVAL;
	if (ext2_is_fast_symlink(n)) {
		/* Fast symlink: the target is in i_block. */
		if (n->n_size >= EXT2_FAST_SYMLINK_MAX) {
			ext2_error(em, "inode %u: bad fast symlink size",
			    n->n_ino);
			return EIO;
		}
		return uiomove(n->n_iblock, MIN((size_t)n->n_size,
		    uio->uio_resid), uio);
	}
	if (n->n_size >= em->em_bsize || n->n_size >= PATH_MAX) {
		ext2_error(em, "inode %u: bad symlink size", n->n_ino);
		return EIO;
	}
	error = ext2_bmap(n, 0, false, false, &pbn);
	if (error != 0)
		return error;
	if (pbn == 0)
		return EIO;
	error = bread(em->em_dev, pbn, em->em_bsize, &bp);
	if (error != 0)
		return error;
	error = uiomove(bp->b_data, MIN((size_t)n->n_size, uio->uio_resid),
	    uio);
	brelse(bp);
	return error;
}

static int
ext2_fsync(struct vnode *vp, bool dataonly __unused)
{
	struct ext2_node *n = VTOE(vp);
	int error = 0;

	if (n->n_mnt->em_ronly)
		return 0;
	if (n->n_dirty)
		error = ext2_node_write(n);
	/* The whole cache of the device, in order, then a barrier: the
	 * file's data, its inode and the directories naming it. */
	if (error == 0)
		error = ext2_sbupdate(n->n_mnt, true);
	return error;
}

static bool
ext2_inactive(struct vnode *vp)
{
	struct ext2_node *n = VTOE(vp);
	struct ext2_mount *em;
	struct timespec now;
	bool isdir;

	if (n == NULL)
		return true;
	em = n->n_mnt;
	if (n->n_nlink == 0)
		rmparent_drop(n);
	if (em->em_ronly)
		return false;
	if (n->n_nlink == 0) {
		isdir = vp->v_type == VDIR;
		/* Fast symlinks keep their target in i_block: no blocks. */
		if (!ext2_is_fast_symlink(n)) {
			(void)ext2_truncate(n, 0);
		} else {
			memset(n->n_iblock, 0, sizeof(n->n_iblock));
		}
		(void)ext2_xattr_release(n);
		n->n_size = 0;
		getnanotime(&now);
		n->n_dtime = (uint32_t)now.tv_sec;
		(void)ext2_node_write(n);
		(void)ext2_inofree(em, n->n_ino, isdir);
		return true;
	}
	if (n->n_dirty)
		(void)ext2_node_write(n);
	return false;
}

static void
ext2_reclaim(struct vnode *vp)
{
	struct ext2_node *n = VTOE(vp);

	if (n == NULL)
		return;
	rmparent_drop(n);
	if (n->n_dirty && !n->n_mnt->em_ronly)
		(void)ext2_node_write(n);
	vp->v_data = NULL;
	kmem_free(n, sizeof(*n));
}

const struct vnodeops ext2fs_vnodeops = {
	.vop_lookup	= ext2_lookup,
	.vop_parent	= ext2_parent,
	.vop_create	= ext2_create,
	.vop_mkdir	= ext2_mkdir,
	.vop_symlink	= ext2_symlink,
	.vop_link	= ext2_link,
	.vop_remove	= ext2_remove,
	.vop_rmdir	= ext2_rmdir,
	.vop_rename	= ext2_rename,
	.vop_getattr	= ext2_getattr,
	.vop_setattr	= ext2_setattr,
	.vop_read	= ext2_read,
	.vop_write	= ext2_write,
	.vop_readdir	= ext2_readdir,
	.vop_readlink	= ext2_readlink,
	.vop_fallocate	= ext2_fallocate,
	.vop_getxattr	= ext2_getxattr,
	.vop_setxattr	= ext2_setxattr,
	.vop_listxattr	= ext2_listxattr,
	.vop_removexattr = ext2_removexattr,
	.vop_fsync	= ext2_fsync,
	.vop_inactive	= ext2_inactive,
	.vop_reclaim	= ext2_reclaim,
};
