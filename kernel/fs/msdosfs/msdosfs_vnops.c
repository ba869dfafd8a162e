/*
 * msdosfs_vnops.c: the vnode operations of the FAT file system.
 *
 * What FAT cannot store is refused as Linux's vfat refuses it: hard links
 * and symbolic links (EPERM), special files (EPERM), owners other than
 * the mount's (EPERM), and permission changes other than taking away or
 * giving back all write permission (the read-only attribute) (EPERM;
 * with the "quiet" option such changes succeed and change nothing).
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

#include "msdosfs.h"

/* Refuses changes when the device is not writable (a remount to rw of a
 * file system whose image the host opened read-only). */
#define RO_CHECK(pmp)	do {						\
	if ((pmp)->pm_ronly)						\
		return EROFS;						\
} while (0)

static int
msdosfs_lookup(struct vnode *dvp, const char *name, size_t namelen,
    struct vnode **vpp)
{
	struct msdosfs_node *dp = VTODE(dvp);
	struct msdosfs_dirent d;
	uint8_t ent[DE_SIZE];
	char *namebuf;
	int error;

	if (!dp->de_isdir)
		return ENOTDIR;
	namebuf = kmem_alloc(NAME_MAX * 3 + 8, KM_SLEEP);
	if (namebuf == NULL)
		return ENOMEM;
	error = msdosfs_dir_lookup(dp, name, namelen, &d, ent, namebuf);
	if (error == 0)
		error = msdosfs_node_get(dp, &d, vpp);
	kmem_free(namebuf, NAME_MAX * 3 + 8);
	return error;
}

static int
msdosfs_parent(struct vnode *dvp, struct vnode **vpp)
{
	struct msdosfs_node *dp = VTODE(dvp);

	if (!dp->de_isdir)
		return ENOTDIR;
	if (dp == dp->de_pmp->pm_root)
		return msdosfs_node_vget(dp, vpp);
	/* A removed directory's ".." is where it was (its node holds the
	 * parent's), as on Linux. */
	if (dp->de_parent == NULL)
		return ENOENT;
	return msdosfs_node_vget(dp->de_parent, vpp);
}

/* A short entry for a new file or directory, with times of now. */
static void
new_entry(struct msdosfs_mount *pmp, uint8_t attr, uint32_t cn, uint8_t *e)
{
	struct timespec now;
	uint16_t d, t;
	uint8_t cs;

	getnanotime(&now);
	memset(e, 0, DE_SIZE);
	memset(e, ' ', 11);
	e[DE_ATTR] = attr;
	msdosfs_unix2dos(&now, &d, &t, &cs);
	e[DE_CTIME_CS] = cs;
	put16(e + DE_CTIME, t);
	put16(e + DE_CDATE, d);
	put16(e + DE_ADATE, d);
	put16(e + DE_MTIME, t);
	put16(e + DE_MDATE, d);
	put16(e + DE_CLUSTLO, (uint16_t)cn);
	if (pmp->pm_fattype == 32)
		put16(e + DE_CLUSTHI, (uint16_t)(cn >> 16));
}

/* Enters the entry e (name filled in by the directory code) as name in
 * dp and returns the new file's vnode. */
static int
enter_file(struct msdosfs_node *dp, const char *name, size_t namelen,
    uint8_t *e, struct vnode **vpp)
{
	struct msdosfs_dirent d;
	int error;

	error = msdosfs_dir_add(dp, name, namelen, e, &d.d_off, &d.d_lfnoff,
	    &d.d_loc);
	if (error != 0)
		return error;
	d.d_ent = e;
	d.d_name = NULL;
	d.d_namelen = 0;
	error = msdosfs_node_get(dp, &d, vpp);
	if (error != 0) {
		/* No vnode, no file: take the name back out. */
		(void)msdosfs_dir_remove(dp, d.d_lfnoff, d.d_off);
		return error;
	}
	msdosfs_node_touch(dp, DE_UPD_MTIME);
	(void)msdosfs_node_update(dp);
	return 0;
}

static int
msdosfs_create(struct vnode *dvp, const char *name, size_t namelen,
    const struct vattr *va, struct vnode **vpp)
{
	struct msdosfs_node *dp = VTODE(dvp);
	uint8_t e[DE_SIZE], attr = ATTR_ARCHIVE;

	RO_CHECK(dp->de_pmp);
	if (!dp->de_isdir)
		return ENOTDIR;
	if (va->va_type != VREG)
		return EPERM;		/* FAT has no special files */
	if ((va->va_mask & VA_MODE) && !(va->va_mode & 0222))
		attr |= ATTR_RDONLY;
	new_entry(dp->de_pmp, attr, 0, e);
	return enter_file(dp, name, namelen, e, vpp);
}

static int
msdosfs_mkdir(struct vnode *dvp, const char *name, size_t namelen,
    const struct vattr *va __unused, struct vnode **vpp)
{
	struct msdosfs_node *dp = VTODE(dvp);
	struct msdosfs_mount *pmp = dp->de_pmp;
	uint8_t e[DE_SIZE], *b;
	uint32_t cn, pcn, i;
	uint64_t blk;
	struct buf *bp;
	int error;

	RO_CHECK(pmp);
	if (!dp->de_isdir)
		return ENOTDIR;
	error = msdosfs_clust_alloc(pmp, 0, &cn);
	if (error != 0)
		return error;
	new_entry(pmp, ATTR_DIRECTORY, cn, e);

	/* The new directory's cluster: zeroes, then "." and "..", whose
	 * cluster is 0 when the parent is the root (also on FAT32). */
	pcn = dp == pmp->pm_root ? 0 : dp->de_startclust;
	blk = msdosfs_clust_blkno(pmp, cn);
	for (i = 0; i < pmp->pm_csize / pmp->pm_bsize; i++) {
		error = bget(pmp->pm_dev, blk + i, pmp->pm_bsize, &bp);
		if (error != 0)
			goto fail;
		b = bp->b_data;
		memset(b, 0, pmp->pm_bsize);
		if (i == 0) {
			memcpy(b, e, DE_SIZE);
			memcpy(b, ".          ", 11);
			memcpy(b + DE_SIZE, e, DE_SIZE);
			memcpy(b + DE_SIZE, "..         ", 11);
			put16(b + DE_SIZE + DE_CLUSTLO, (uint16_t)pcn);
			put16(b + DE_SIZE + DE_CLUSTHI,
			    pmp->pm_fattype == 32 ? (uint16_t)(pcn >> 16) : 0);
		}
		bdwrite(bp, B_ORD_META);
	}
	error = enter_file(dp, name, namelen, e, vpp);
	if (error != 0)
		goto fail;
	dp->de_nsubdirs++;
	return 0;
fail:
	msdosfs_chain_free(pmp, cn);
	return error;
}

static int
msdosfs_symlink(struct vnode *dvp __unused, const char *name __unused,
    size_t namelen __unused, const struct vattr *va __unused,
    const char *target __unused, struct vnode **vpp __unused)
{
	return EPERM;
}

static int
msdosfs_link(struct vnode *dvp __unused, struct vnode *vp __unused,
    const char *name __unused, size_t namelen __unused)
{
	return EPERM;
}

/* Takes dep's entry group out of its directory; its clusters go when
 * the node does. */
static int
unlink_node(struct msdosfs_node *dp, struct msdosfs_node *dep)
{
	int error;

	if (dep->de_parent != dp || dep->de_removed)
		return ENOENT;
	error = msdosfs_dir_remove(dp, dep->de_lfnoff, dep->de_diroff);
	if (error != 0)
		return error;
	dep->de_removed = true;
	msdosfs_node_rehash(dep, DE_NOLOC);
	if (dep->de_isdir && dp->de_nsubdirs > 0)
		dp->de_nsubdirs--;
	msdosfs_node_touch(dp, DE_UPD_MTIME);
	(void)msdosfs_node_update(dp);
	return 0;
}

static int
msdosfs_remove(struct vnode *dvp, struct vnode *vp,
    const char *name __unused, size_t namelen __unused)
{
	struct msdosfs_node *dp = VTODE(dvp), *dep = VTODE(vp);

	RO_CHECK(dp->de_pmp);
	if (dep->de_isdir)
		return EISDIR;
	return unlink_node(dp, dep);
}

static int
msdosfs_rmdir(struct vnode *dvp, struct vnode *vp,
    const char *name __unused, size_t namelen __unused)
{
	struct msdosfs_node *dp = VTODE(dvp), *dep = VTODE(vp);
	bool empty;
	int error;

	RO_CHECK(dp->de_pmp);
	if (!dep->de_isdir)
		return ENOTDIR;
	if (dep == dp)
		return EINVAL;
	if (dep == dep->de_pmp->pm_root)
		return EBUSY;
	error = msdosfs_dir_isempty(dep, &empty);
	if (error != 0)
		return error;
	if (!empty)
		return ENOTEMPTY;
	return unlink_node(dp, dep);
}

/* Saved slots of an entry group, to put a replaced target back if the
 * rename fails half-way. */
struct savedgroup {
	uint32_t	off, n;
	uint8_t		slots[(LFN_MAXSLOTS + 1) * DE_SIZE];
};

static int
group_io(struct msdosfs_node *dp, struct savedgroup *sg, bool restore)
{
	struct msdosfs_dircursor dc;
	uint32_t i;
	uint8_t *e;
	int error = 0;

	msdosfs_dc_init(&dc, dp);
	for (i = 0; i < sg->n; i++) {
		error = msdosfs_dc_get(&dc, sg->off + i * DE_SIZE, &e, NULL);
		if (error != 0)
			break;
		if (restore) {
			memcpy(e, sg->slots + i * DE_SIZE, DE_SIZE);
			msdosfs_dc_dirty(&dc);
		} else {
			memcpy(sg->slots + i * DE_SIZE, e, DE_SIZE);
		}
	}
	msdosfs_dc_done(&dc);
	return error;
}

/* Points the ".." entry of directory dep at its new parent. */
static int
set_dotdot(struct msdosfs_node *dep, struct msdosfs_node *tdp)
{
	struct msdosfs_mount *pmp = dep->de_pmp;
	struct msdosfs_dircursor dc;
	uint32_t pcn = tdp == pmp->pm_root ? 0 : tdp->de_startclust;
	uint8_t *e;
	int error;

	msdosfs_dc_init(&dc, dep);
	error = msdosfs_dc_get(&dc, DE_SIZE, &e, NULL);
	if (error == 0 && memcmp(e, "..         ", 11) == 0) {
		put16(e + DE_CLUSTLO, (uint16_t)pcn);
		put16(e + DE_CLUSTHI,
		    pmp->pm_fattype == 32 ? (uint16_t)(pcn >> 16) : 0);
		msdosfs_dc_dirty(&dc);
	}
	msdosfs_dc_done(&dc);
	return error;
}

/* True when directory a is dn or one of its ancestors. */
static bool
is_ancestor(struct msdosfs_node *a, struct msdosfs_node *dn)
{
	for (; dn != NULL; dn = dn->de_parent)
		if (dn == a)
			return true;
	return false;
}

static int
msdosfs_rename(struct vnode *fdvp, struct vnode *fvp, const char *fname
    __unused, size_t fnamelen __unused, struct vnode *tdvp,
    struct vnode *tvp, const char *tname, size_t tnamelen)
{
	struct msdosfs_node *fdp = VTODE(fdvp), *fdep = VTODE(fvp);
	struct msdosfs_node *tdp = VTODE(tdvp);
	struct msdosfs_node *tdep = tvp != NULL ? VTODE(tvp) : NULL;
	struct msdosfs_mount *pmp = fdp->de_pmp;
	struct savedgroup *sg = NULL;
	uint32_t off, lfnoff, ooff = fdep->de_diroff, olfnoff = fdep->de_lfnoff;
	uint8_t e[DE_SIZE];
	uint64_t loc;
	bool empty;
	int error;

	RO_CHECK(pmp);
	if (!fdp->de_isdir || !tdp->de_isdir)
		return ENOTDIR;
	if (fdep->de_parent != fdp || fdep->de_removed || tdp->de_removed)
		return ENOENT;
	if (tdep == fdep) {
		/* A new spelling of the same name ("foo" to "FOO"): the
		 * old entry group goes first, or the new name would be
		 * taken by it.  On failure it comes back. */
		if (fdp != tdp)
			return 0;
		sg = kmem_alloc(sizeof(*sg), KM_SLEEP);
		if (sg == NULL)
			return ENOMEM;
		sg->off = olfnoff;
		sg->n = (ooff - olfnoff) / DE_SIZE + 1;
		error = group_io(fdp, sg, false);
		if (error == 0)
			error = msdosfs_dir_remove(fdp, olfnoff, ooff);
		if (error != 0)
			goto out;
		memset(e, 0, sizeof(e));
		msdosfs_node_fill_entry(fdep, e);
		error = msdosfs_dir_add(fdp, tname, tnamelen, e, &off, &lfnoff,
		    &loc);
		if (error != 0) {
			(void)group_io(fdp, sg, true);
			goto out;
		}
		fdep->de_diroff = off;
		fdep->de_lfnoff = lfnoff;
		msdosfs_node_rehash(fdep, loc);
		msdosfs_node_touch(fdp, DE_UPD_MTIME);
		(void)msdosfs_node_update(fdp);
		goto out;
	}
	if (fdep->de_isdir && fdp != tdp && is_ancestor(fdep, tdp))
		return EINVAL;
	if (tdep != NULL) {
		if (tdep->de_parent != tdp || tdep->de_removed)
			return ENOENT;
		if (fdep->de_isdir && !tdep->de_isdir)
			return ENOTDIR;
		if (!fdep->de_isdir && tdep->de_isdir)
			return EISDIR;
		if (tdep->de_isdir) {
			error = msdosfs_dir_isempty(tdep, &empty);
			if (error != 0)
				return error;
			if (!empty)
				return ENOTEMPTY;
		}
		sg = kmem_alloc(sizeof(*sg), KM_SLEEP);
		if (sg == NULL)
			return ENOMEM;
		sg->off = tdep->de_lfnoff;
		sg->n = (tdep->de_diroff - tdep->de_lfnoff) / DE_SIZE + 1;
		error = group_io(tdp, sg, false);
		if (error == 0)
			error = msdosfs_dir_remove(tdp, tdep->de_lfnoff,
			    tdep->de_diroff);
		if (error != 0)
			goto out;
	}

	memset(e, 0, sizeof(e));
	msdosfs_node_fill_entry(fdep, e);
	error = msdosfs_dir_add(tdp, tname, tnamelen, e, &off, &lfnoff, &loc);
	if (error != 0) {
		if (sg != NULL)
			(void)group_io(tdp, sg, true);
		goto out;
	}
	/* Nothing below undoes: the new name is in place. */
	if (tdep != NULL) {
		tdep->de_removed = true;
		msdosfs_node_rehash(tdep, DE_NOLOC);
		if (tdep->de_isdir && tdp->de_nsubdirs > 0)
			tdp->de_nsubdirs--;
	}
	(void)msdosfs_dir_remove(fdp, olfnoff, ooff);
	fdep->de_diroff = off;
	fdep->de_lfnoff = lfnoff;
	msdosfs_node_rehash(fdep, loc);
	if (fdep->de_isdir && fdp != tdp) {
		(void)set_dotdot(fdep, tdp);
		if (fdp->de_nsubdirs > 0)
			fdp->de_nsubdirs--;
		tdp->de_nsubdirs++;
	}
	msdosfs_node_setparent(fdep, tdp);
	msdosfs_node_touch(fdp, DE_UPD_MTIME);
	(void)msdosfs_node_update(fdp);
	if (tdp != fdp) {
		msdosfs_node_touch(tdp, DE_UPD_MTIME);
		(void)msdosfs_node_update(tdp);
	}
out:
	if (sg != NULL)
		kmem_free(sg, sizeof(*sg));
	return error;
}

static mode_t
node_mode(const struct msdosfs_node *dep)
{
	const struct msdosfs_mount *pmp = dep->de_pmp;
	mode_t mode;

	if (dep->de_isdir)
		return 0777 & ~pmp->pm_dmask;
	mode = 0777 & ~pmp->pm_fmask;
	if (dep->de_attr & ATTR_RDONLY)
		mode &= ~(mode_t)0222;
	return mode;
}

static int
msdosfs_getattr(struct vnode *vp, struct vattr *va)
{
	struct msdosfs_node *dep = VTODE(vp);
	struct msdosfs_mount *pmp = dep->de_pmp;

	memset(va, 0, sizeof(*va));
	va->va_mask = VA_ALL;
	va->va_type = dep->de_isdir ? VDIR : VREG;
	va->va_mode = node_mode(dep);
	va->va_uid = pmp->pm_uid;
	va->va_gid = pmp->pm_gid;
	va->va_size = dep->de_size;
	if (dep->de_removed)
		va->va_nlink = 0;
	else if (dep->de_isdir)
		va->va_nlink = 2 + dep->de_nsubdirs;
	else
		va->va_nlink = 1;
	va->va_ino = dep->de_ino;
	va->va_blocks = (uint64_t)dep->de_nclust * (pmp->pm_csize / 512);
	va->va_blksize = pmp->pm_csize;
	if (dep != pmp->pm_root) {
		msdosfs_dos2unix(dep->de_mdate, dep->de_mtime, 0,
		    &va->va_mtime);
		msdosfs_dos2unix(dep->de_adate, 0, 0, &va->va_atime);
	}
	va->va_ctime = va->va_mtime;	/* FAT has no change time */
	return 0;
}

static int
msdosfs_setattr_mode(struct msdosfs_node *dep, mode_t mode)
{
	struct msdosfs_mount *pmp = dep->de_pmp;
	mode_t mask = dep->de_isdir ? pmp->pm_dmask : pmp->pm_fmask;
	mode_t cur = node_mode(dep), perm = mode & ~mask & 0777;

	/* As Linux: r and x must stay as the masks make them; w is all
	 * (as the mask allows) or, for files, nothing (read-only). */
	if ((mode & ~(mode_t)0777) != 0 ||
	    (perm & 0555) != (cur & 0555))
		return EPERM;
	if (!dep->de_isdir) {
		if ((perm & 0222) != 0 && (perm & 0222) != (0222 & ~mask))
			return EPERM;
		if ((perm & 0222) == 0 && (0222 & ~mask) != 0)
			dep->de_attr |= ATTR_RDONLY;
		else
			dep->de_attr &= (uint8_t)~ATTR_RDONLY;
	} else if ((perm & 0222) != (0222 & ~mask)) {
		return EPERM;
	}
	return 0;
}

static int
msdosfs_truncate(struct msdosfs_node *dep, uint64_t size);

static int
msdosfs_setattr(struct vnode *vp, const struct vattr *va)
{
	struct msdosfs_node *dep = VTODE(vp);
	struct msdosfs_mount *pmp = dep->de_pmp;
	unsigned mask = va->va_mask;
	uint8_t oattr = dep->de_attr;
	uint16_t t;
	int error;

	RO_CHECK(pmp);
	if (mask & VA_SIZE) {
		if (dep->de_isdir)
			return EISDIR;
		if (va->va_size > MSDOSFS_MAXFILESIZE)
			return EFBIG;
	}
	if (((mask & VA_UID) && va->va_uid != pmp->pm_uid) ||
	    ((mask & VA_GID) && va->va_gid != pmp->pm_gid)) {
		if (!pmp->pm_quiet)
			return EPERM;
	}
	if (mask & VA_MODE) {
		error = msdosfs_setattr_mode(dep, va->va_mode);
		if (error != 0 && !pmp->pm_quiet)
			return error;
	}
	if (mask & VA_SIZE) {
		error = msdosfs_truncate(dep, va->va_size);
		if (error != 0) {
			dep->de_attr = oattr;
			return error;
		}
		if (!(mask & VA_MTIME))
			msdosfs_node_touch(dep, DE_UPD_MTIME);
	}
	if ((mask & VA_ATIME) && dep != pmp->pm_root)
		msdosfs_unix2dos(&va->va_atime, &dep->de_adate, &t, NULL);
	if ((mask & VA_MTIME) && dep != pmp->pm_root)
		msdosfs_unix2dos(&va->va_mtime, &dep->de_mdate,
		    &dep->de_mtime, NULL);
	return msdosfs_node_update(dep);
}

/* --- File data ------------------------------------------------------------ */

/* Device block holding byte off of dep (which must be mapped). */
static int
data_blk(struct msdosfs_node *dep, uint64_t off, uint64_t *blkp)
{
	struct msdosfs_mount *pmp = dep->de_pmp;
	uint32_t pc;
	int error;

	error = msdosfs_bmap(dep, (uint32_t)(off / pmp->pm_csize), &pc);
	if (error != 0)
		return error;
	*blkp = msdosfs_clust_blkno(pmp, pc) +
	    (off % pmp->pm_csize) / pmp->pm_bsize;
	return 0;
}

/* Blocks read ahead of a sequential read, along the cluster chain: a
 * window this wide keeps the device busy (with one block, every block
 * of a large file waited for its own read). */
#define MSDOSFS_READAHEAD	32
#define MSDOSFS_WRITEBEHIND	(4u * 1024 * 1024)

/*
 * The blocks of dep after block lbn (in cluster pc) that no earlier call
 * asked for, up to MSDOSFS_READAHEAD ahead, into ra (returns how many);
 * once half the window is used up the next stretch goes out, so that
 * each block is asked for once.
 */
static int
msdosfs_readahead(struct msdosfs_node *dep, uint64_t lbn, uint32_t pc,
    uint64_t *ra)
{
	struct msdosfs_mount *pmp = dep->de_pmp;
	uint32_t bpc = pmp->pm_csize / pmp->pm_bsize, bi, npc;
	uint64_t k, nblocks, last;
	int nra = 0;

	nblocks = ((uint64_t)dep->de_size + pmp->pm_bsize - 1) /
	    pmp->pm_bsize;
	if (dep->de_ranext <= lbn || dep->de_ranext > lbn + 1 +
	    MSDOSFS_READAHEAD)
		dep->de_ranext = lbn + 1;	/* a seek: start afresh */
	if (dep->de_ranext > lbn + MSDOSFS_READAHEAD / 2)
		return 0;
	last = MIN(lbn + 1 + MSDOSFS_READAHEAD, nblocks);
	bi = (uint32_t)(lbn % bpc);
	mutex_enter(&pmp->pm_lock);
	for (k = lbn + 1; k < last; k++) {
		if (++bi == bpc) {
			npc = msdosfs_fat_get(pmp, pc);
			if (!msdosfs_clust_valid(pmp, npc))
				break;
			pc = npc;
			bi = 0;
		}
		if (k >= dep->de_ranext)
			ra[nra++] = msdosfs_clust_blkno(pmp, pc) + bi;
	}
	mutex_exit(&pmp->pm_lock);
	dep->de_ranext = k;
	return nra;
}

static int
msdosfs_read(struct vnode *vp, struct uio *uio)
{
	struct msdosfs_node *dep = VTODE(vp);
	struct msdosfs_mount *pmp = dep->de_pmp;
	uint64_t off, blk, ra[MSDOSFS_READAHEAD], boff;
	struct buf *bp;
	size_t n;
	int error = 0, nra;

	if (dep->de_isdir)
		return EISDIR;
	if (uio->uio_offset < 0)
		return EINVAL;
	while (uio->uio_resid > 0 && (uint64_t)uio->uio_offset < dep->de_size) {
		off = (uint64_t)uio->uio_offset;
		boff = off % pmp->pm_bsize;
		n = (size_t)MIN(MIN((uint64_t)(pmp->pm_bsize - boff),
		    dep->de_size - off), uio->uio_resid);
		error = data_blk(dep, off, &blk);
		if (error != 0)
			break;
		nra = msdosfs_readahead(dep, off / pmp->pm_bsize,
		    dep->de_lastpc, ra);
		error = breadn(pmp->pm_dev, blk, pmp->pm_bsize, ra, nra, &bp);
		if (error != 0)
			break;
		error = uiomove((uint8_t *)bp->b_data + boff, n, uio);
		brelse(bp);
		if (error != 0)
			break;
	}
	if (!pmp->pm_ronly && !(pmp->pm_mp->mnt_flags & MS_RDONLY)) {
		uint16_t od = dep->de_adate;

		msdosfs_node_touch(dep, DE_UPD_ATIME);
		if (dep->de_adate != od)
			(void)msdosfs_node_update(dep);
	}
	return error;
}

/*
 * Writes len bytes at off from uio (NULL: zeroes), allocating clusters
 * as needed; *donep says how much was written.  Does not change the
 * size.
 */
static int
data_write(struct msdosfs_node *dep, uint64_t off, uint64_t len,
    struct uio *uio, uint64_t *donep)
{
	struct msdosfs_mount *pmp = dep->de_pmp;
	uint64_t blk, boff, end = off + len, cur = off;
	struct buf *bp;
	uint32_t cn;
	size_t n;
	int error = 0;

	while (cur < end) {
		while (cur / pmp->pm_csize >= dep->de_nclust) {
			error = msdosfs_chain_extend(dep, false, &cn);
			if (error != 0)
				goto out;
		}
		boff = cur % pmp->pm_bsize;
		n = (size_t)MIN((uint64_t)(pmp->pm_bsize - boff), end - cur);
		error = data_blk(dep, cur, &blk);
		if (error != 0)
			break;
		/* A block written whole, or holding nothing of the file
		 * yet, need not be read first. */
		if (n == pmp->pm_bsize || cur - boff >= dep->de_size)
			error = bget(pmp->pm_dev, blk, pmp->pm_bsize, &bp);
		else
			error = bread(pmp->pm_dev, blk, pmp->pm_bsize, &bp);
		if (error != 0)
			break;
		if (uio != NULL) {
			error = uiomove((uint8_t *)bp->b_data + boff, n, uio);
			if (error != 0) {
				brelse(bp);
				break;
			}
		} else {
			memset((uint8_t *)bp->b_data + boff, 0, n);
		}
		bdwrite(bp, B_ORD_DATA);
		__atomic_fetch_add(&pmp->pm_dirtydata, n, __ATOMIC_RELAXED);
		cur += n;
	}
out:
	*donep = cur - off;
	return error;
}

static int
msdosfs_truncate(struct msdosfs_node *dep, uint64_t size)
{
	struct msdosfs_mount *pmp = dep->de_pmp;
	uint64_t done;
	uint32_t onclust = dep->de_nclust;
	int error;

	if (size == dep->de_size)
		return 0;
	if (size < dep->de_size) {
		error = msdosfs_chain_truncate(dep,
		    (uint32_t)howmany(size, pmp->pm_csize));
		if (error != 0)
			return error;
		dep->de_size = (uint32_t)size;
		return 0;
	}
	/* FAT has no holes: the new part is written as zeroes. */
	error = data_write(dep, dep->de_size, size - dep->de_size, NULL,
	    &done);
	if (error != 0) {
		(void)msdosfs_chain_truncate(dep, onclust);
		return error;
	}
	dep->de_size = (uint32_t)size;
	return 0;
}

static int
msdosfs_write(struct vnode *vp, struct uio *uio)
{
	struct msdosfs_node *dep = VTODE(vp);
	struct msdosfs_mount *pmp = dep->de_pmp;
	uint64_t off, len, done = 0, zdone;
	size_t skipped = 0;
	int error;

	RO_CHECK(pmp);
	if (dep->de_isdir)
		return EISDIR;
	if (uio->uio_offset < 0)
		return EINVAL;
	if (uio->uio_resid == 0)
		return 0;
	off = (uint64_t)uio->uio_offset;
	if (off >= MSDOSFS_MAXFILESIZE)
		return EFBIG;
	len = MIN((uint64_t)uio->uio_resid, MSDOSFS_MAXFILESIZE - off);
	if (len < uio->uio_resid) {
		/* Past 4 GiB - 1: write what fits, as Linux does. */
		skipped = uio->uio_resid - (size_t)len;
		uio->uio_resid = (size_t)len;
	}
	error = 0;
	if (off > dep->de_size) {
		error = data_write(dep, dep->de_size, off - dep->de_size,
		    NULL, &zdone);
		if (error == 0)
			dep->de_size = (uint32_t)off;
	}
	if (error == 0) {
		error = data_write(dep, off, len, uio, &done);
		if (off + done > dep->de_size)
			dep->de_size = (uint32_t)(off + done);
		if (error != 0 && done > 0)
			error = 0;	/* a short write */
	}
	uio->uio_resid += skipped;
	if (done > 0 || error == 0) {
		msdosfs_node_touch(dep, DE_UPD_MTIME);
		(void)msdosfs_node_update(dep);
	}
	/* Write-behind: start writing once a few MiB are dirty, many
	 * requests at once, rather than leave the buffer cache to evict
	 * dirty buffers one by one when it fills up. */
	if (__atomic_load_n(&pmp->pm_dirtydata, __ATOMIC_RELAXED) >=
	    MSDOSFS_WRITEBEHIND) {
		__atomic_store_n(&pmp->pm_dirtydata, 0, __ATOMIC_RELAXED);
		(void)bsync(pmp->pm_dev, 0);
	}
	return error;
}

/* --- Directories ---------------------------------------------------------- */

/*
 * Readdir offsets: 0 is ".", 1 is "..", and 2 + n the entry group whose
 * short entry is at byte n of the directory; entries never move while
 * they exist, so the offsets are stable.
 */
struct readdir_ctx {
	struct msdosfs_node	*dp;
	filldir_fn		 fill;
	void			*ctx;
};

static int
readdir_cb(void *arg, const struct msdosfs_dirent *d)
{
	struct readdir_ctx *rc = arg;
	struct msdosfs_mount *pmp = rc->dp->de_pmp;
	struct msdosfs_node *dep;
	ino_t ino;

	mutex_enter(&pmp->pm_lock);
	dep = msdosfs_node_find(pmp, d->d_loc);
	ino = dep != NULL ? dep->de_ino : d->d_loc / DE_SIZE;
	mutex_exit(&pmp->pm_lock);
	if (rc->fill(rc->ctx, d->d_name, d->d_namelen, ino,
	    (d->d_ent[DE_ATTR] & ATTR_DIRECTORY) ? DT_DIR : DT_REG,
	    (off_t)d->d_off + DE_SIZE + 2) != 0)
		return -1;
	return 0;
}

static int
msdosfs_readdir(struct vnode *vp, off_t off, filldir_fn fill, void *ctx)
{
	struct msdosfs_node *dp = VTODE(vp);
	struct msdosfs_node *pp;
	struct readdir_ctx rc = { dp, fill, ctx };

	if (!dp->de_isdir)
		return ENOTDIR;
	if (off < 0)
		return EINVAL;
	/* Like Linux, a removed directory lists nothing at all. */
	if (dp->de_removed)
		return ENOENT;
	if (off == 0) {
		if (fill(ctx, ".", 1, dp->de_ino, DT_DIR, 1) != 0)
			return 0;
		off = 1;
	}
	if (off == 1) {
		pp = dp->de_parent != NULL ? dp->de_parent : dp;
		if (fill(ctx, "..", 2, pp->de_ino, DT_DIR, 2) != 0)
			return 0;
		off = 2;
	}
	if ((uint64_t)off - 2 >= msdosfs_dirsize(dp))
		return 0;
	return msdosfs_dir_walk(dp, (uint32_t)(off - 2), readdir_cb, &rc);
}

static int
msdosfs_fsync(struct vnode *vp, bool dataonly __unused)
{
	return msdosfs_syncfs(VTODE(vp)->de_pmp, true);
}

static bool
msdosfs_inactive(struct vnode *vp)
{
	struct msdosfs_node *dep = VTODE(vp);

	return dep == NULL || dep->de_removed;
}

static void
msdosfs_reclaim(struct vnode *vp)
{
	struct msdosfs_node *dep = VTODE(vp);

	if (dep == NULL)
		return;
	mutex_enter(&dep->de_pmp->pm_lock);
	dep->de_vnode = NULL;
	mutex_exit(&dep->de_pmp->pm_lock);
	vp->v_data = NULL;
	msdosfs_node_release(dep);
}

const struct vnodeops msdosfs_vnodeops = {
	.vop_lookup	= msdosfs_lookup,
	.vop_parent	= msdosfs_parent,
	.vop_create	= msdosfs_create,
	.vop_mkdir	= msdosfs_mkdir,
	.vop_symlink	= msdosfs_symlink,
	.vop_link	= msdosfs_link,
	.vop_remove	= msdosfs_remove,
	.vop_rmdir	= msdosfs_rmdir,
	.vop_rename	= msdosfs_rename,
	.vop_getattr	= msdosfs_getattr,
	.vop_setattr	= msdosfs_setattr,
	.vop_read	= msdosfs_read,
	.vop_write	= msdosfs_write,
	.vop_readdir	= msdosfs_readdir,
	.vop_fsync	= msdosfs_fsync,
	.vop_inactive	= msdosfs_inactive,
	.vop_reclaim	= msdosfs_reclaim,
};
