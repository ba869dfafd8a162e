/*
 * msdosfs_vfsops.c: mounting FAT file systems (reading and checking the
 * BIOS parameter block), options, statistics, sync and unmount; the file
 * system registers as "vfat" and as "msdosfs".
 *
 * Mount options, as Linux vfat: uid=N, gid=N (owner of every file;
 * default the mounter's), umask=OOO, dmask=OOO, fmask=OOO (permissions
 * taken away from directories and files; default the mounter's umask),
 * quiet (chmod/chown that FAT cannot store succeed without effect), ro
 * and rw.  Anything else is EINVAL.
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/libkern.h>
#include <kern/lock.h>
#include <kern/kmem.h>
#include <kern/proc.h>
#include <vfs/vnode.h>
#include <vfs/mount.h>
#include <vfs/abi.h>
#include <vfs/file.h>
#include <vfs/buf.h>

#include "msdosfs.h"

static int
parse_num(const char *s, size_t len, unsigned base, uint64_t max,
    uint64_t *valp)
{
	uint64_t v = 0;
	unsigned d;
	size_t i;

	if (len == 0)
		return EINVAL;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return EINVAL;
		d = (unsigned)(s[i] - '0');
		if (d >= base || v > (max - d) / base)
			return EINVAL;
		v = v * base + d;
	}
	*valp = v;
	return 0;
}

static bool
opt_is(const char *opt, size_t len, const char *name)
{
	return strlen(name) == len && memcmp(opt, name, len) == 0;
}

int
msdosfs_parse_args(const char *data, struct msdosfs_args *ma)
{
	const char *opt, *eq, *end;
	size_t len, klen;
	uint64_t v;
	int error;

	memset(ma, 0, sizeof(*ma));
	if (data == NULL)
		return 0;
	for (opt = data; *opt != '\0'; opt = *end != '\0' ? end + 1 : end) {
		end = strchr(opt, ',');
		if (end == NULL)
			end = opt + strlen(opt);
		len = (size_t)(end - opt);
		if (len == 0)
			continue;
		for (eq = opt; eq < end && *eq != '='; eq++)
			continue;
		if (eq == end)
			eq = NULL;
		klen = eq != NULL ? (size_t)(eq - opt) : len;
		if (eq == NULL) {
			if (opt_is(opt, len, "ro"))
				ma->ma_ro = true;
			else if (opt_is(opt, len, "rw"))
				ma->ma_ro = false;
			else if (opt_is(opt, len, "quiet"))
				ma->ma_quiet = true;
			else
				return EINVAL;
			continue;
		}
		eq++;
		if (opt_is(opt, klen, "uid") || opt_is(opt, klen, "gid")) {
			error = parse_num(eq, (size_t)(end - eq), 10,
			    UINT32_MAX - 1, &v);
			if (error != 0)
				return error;
			if (opt[0] == 'u') {
				ma->ma_uid = (uid_t)v;
				ma->ma_set |= MSDOSFS_ARG_UID;
			} else {
				ma->ma_gid = (gid_t)v;
				ma->ma_set |= MSDOSFS_ARG_GID;
			}
		} else if (opt_is(opt, klen, "umask") ||
		    opt_is(opt, klen, "dmask") || opt_is(opt, klen, "fmask")) {
			error = parse_num(eq, (size_t)(end - eq), 8, 0777, &v);
			if (error != 0)
				return error;
			if (opt[0] != 'f') {
				ma->ma_dmask = (mode_t)v;
				ma->ma_set |= MSDOSFS_ARG_DMASK;
			}
			if (opt[0] != 'd') {
				ma->ma_fmask = (mode_t)v;
				ma->ma_set |= MSDOSFS_ARG_FMASK;
			}
		} else {
			return EINVAL;
		}
	}
	return 0;
}

static void
apply_args(struct msdosfs_mount *pmp, const struct msdosfs_args *ma,
    bool initial)
{
	const struct kauth_cred *cred = kauth_cred_get();
	mode_t um = cwd_umask(0, false);

	if (ma->ma_set & MSDOSFS_ARG_UID)
		pmp->pm_uid = ma->ma_uid;
	else if (initial)
		pmp->pm_uid = cred->cr_euid;
	if (ma->ma_set & MSDOSFS_ARG_GID)
		pmp->pm_gid = ma->ma_gid;
	else if (initial)
		pmp->pm_gid = cred->cr_egid;
	if (ma->ma_set & MSDOSFS_ARG_FMASK)
		pmp->pm_fmask = ma->ma_fmask;
	else if (initial)
		pmp->pm_fmask = um & 0777;
	if (ma->ma_set & MSDOSFS_ARG_DMASK)
		pmp->pm_dmask = ma->ma_dmask;
	else if (initial)
		pmp->pm_dmask = um & 0777;
	pmp->pm_quiet = ma->ma_quiet || (!initial && pmp->pm_quiet);
}

/* Reads the BPB and sets up the geometry; EINVAL for anything that is
 * not a FAT file system this code can use safely. */
static int
msdosfs_readbpb(struct msdosfs_mount *pmp)
{
	uint8_t *b;
	uint32_t bps, spc, rsvd, nfats, rootent, fatsz, media, extflags;
	uint64_t totsec, firstdata, devsecs, nclust, rootsecs, entries;
	uint64_t csize, p;
	int error;

	b = kmem_alloc(DEV_BSIZE, KM_SLEEP);
	if (b == NULL)
		return ENOMEM;
	error = blkdev_rw(pmp->pm_dev, false, b, DEV_BSIZE, 0);
	if (error != 0)
		goto out;
	error = EINVAL;
	bps = le16(b + 11);
	spc = b[13];
	rsvd = le16(b + 14);
	nfats = b[16];
	rootent = le16(b + 17);
	totsec = le16(b + 19);
	if (totsec == 0)
		totsec = le32(b + 32);
	media = b[21];
	fatsz = le16(b + 22);
	if (fatsz == 0)
		fatsz = le32(b + 36);

	if (bps != 512 && bps != 1024 && bps != 2048 && bps != 4096)
		goto out;
	if (spc == 0 || (spc & (spc - 1)) != 0)
		goto out;
	csize = (uint64_t)bps * spc;
	if (csize > 256 * 1024)
		goto out;
	if (rsvd == 0 || nfats == 0 || nfats > 16 || fatsz == 0 ||
	    totsec == 0)
		goto out;
	if (media != 0xf0 && media < 0xf8)
		goto out;
	rootsecs = howmany((uint64_t)rootent * DE_SIZE, bps);
	firstdata = rsvd + (uint64_t)nfats * fatsz + rootsecs;
	if (firstdata >= totsec)
		goto out;
	nclust = (totsec - firstdata) / spc;
	if (nclust < 1)
		goto out;
	pmp->pm_fattype = nclust < 4085 ? 12 : nclust < 65525 ? 16 : 32;
	pmp->pm_wasdirty = (b[pmp->pm_fattype == 32 ? FAT32_STATE_OFF :
	    FAT16_STATE_OFF] & FAT_STATE_DIRTY) != 0;

	pmp->pm_secsize = bps;
	pmp->pm_csize = (uint32_t)csize;
	pmp->pm_nfats = nfats;
	pmp->pm_fatoff = (uint64_t)rsvd * bps;
	pmp->pm_fatsize = (uint64_t)fatsz * bps;
	pmp->pm_mirror = true;
	pmp->pm_activefat = 0;
	if (pmp->pm_fattype == 32) {
		if (rootent != 0 || le16(b + 22) != 0)
			goto out;
		extflags = le16(b + 40);
		if (extflags & 0x80) {
			pmp->pm_mirror = false;
			pmp->pm_activefat = extflags & 0x0f;
			if (pmp->pm_activefat >= nfats)
				goto out;
		}
		if (le16(b + 42) != 0)		/* version 0.0 only */
			goto out;
		pmp->pm_rootclust = le32(b + 44);
		pmp->pm_fsinfosec = le16(b + 48);
		if (pmp->pm_fsinfosec == 0 || pmp->pm_fsinfosec >= rsvd)
			pmp->pm_fsinfosec = 0;
		pmp->pm_bkbootsec = le16(b + 50);
		if (pmp->pm_bkbootsec == 0 || pmp->pm_fsinfosec == 0 ||
		    pmp->pm_bkbootsec + pmp->pm_fsinfosec >= rsvd)
			pmp->pm_bkbootsec = 0;
		pmp->pm_eoc = 0x0ffffff8;
		pmp->pm_fatmask = 0x0fffffff;
		entries = pmp->pm_fatsize / 4;
		nclust = MIN(nclust, 0x0ffffff5 - 1);
	} else {
		if (rootent == 0)
			goto out;
		pmp->pm_rootoff = (rsvd + (uint64_t)nfats * fatsz) * bps;
		pmp->pm_rootsize = (uint32_t)(rootsecs * bps);
		if (pmp->pm_fattype == 16) {
			pmp->pm_eoc = 0xfff8;
			pmp->pm_fatmask = 0xffff;
			entries = pmp->pm_fatsize / 2;
		} else {
			pmp->pm_eoc = 0xff8;
			pmp->pm_fatmask = 0xfff;
			entries = pmp->pm_fatsize * 2 / 3;
		}
	}
	pmp->pm_dataoff = firstdata * bps;

	/* Only clusters that exist on the device and in the FAT. */
	devsecs = blkdev_size(pmp->pm_dev) / bps;
	if (firstdata >= devsecs)
		goto out;
	nclust = MIN(nclust, (devsecs - firstdata) / spc);
	if (entries < 3)
		goto out;
	nclust = MIN(nclust, entries - 2);
	if (nclust < 1)
		goto out;
	pmp->pm_maxclust = (uint32_t)(nclust + 1);
	if (pmp->pm_fattype == 32 &&
	    !msdosfs_clust_valid(pmp, pmp->pm_rootclust))
		goto out;

	/* Buffers: the largest power of two dividing the cluster size and
	 * the data region's offset (see msdosfs.h). */
	for (p = MIN(csize, BMAXSIZE); p > DEV_BSIZE; p /= 2)
		if (pmp->pm_dataoff % p == 0 && csize % p == 0)
			break;
	pmp->pm_bsize = (uint32_t)p;
	error = 0;
out:
	kmem_free(b, DEV_BSIZE);
	return error;
}

/*
 * The volume's dirty flag, kept as Linux keeps it: set on the disk while
 * the file system is mounted read-write, cleared by a clean unmount, so
 * that fsck.fat knows a volume that was not unmounted.  A volume already
 * dirty at mount is left so (its checker clears it).  Each change is
 * followed by a barrier: set before any other write reaches the disk,
 * cleared after all of them.
 */
static int
msdosfs_setstate(struct msdosfs_mount *pmp, bool dirty)
{
	size_t off = pmp->pm_fattype == 32 ? FAT32_STATE_OFF : FAT16_STATE_OFF;
	uint8_t *b;
	int error;

	if (pmp->pm_ronly || pmp->pm_wasdirty)
		return 0;
	b = kmem_alloc(DEV_BSIZE, KM_SLEEP);
	if (b == NULL)
		return ENOMEM;
	error = blkdev_rw(pmp->pm_dev, false, b, DEV_BSIZE, 0);
	if (error == 0) {
		if (dirty)
			b[off] |= FAT_STATE_DIRTY;
		else
			b[off] &= (uint8_t)~FAT_STATE_DIRTY;
		error = blkdev_rw(pmp->pm_dev, true, b, DEV_BSIZE, 0);
	}
	kmem_free(b, DEV_BSIZE);
	if (error == 0)
		error = bsync(pmp->pm_dev, BSYNC_DURABLE);
	return error;
}

static int
msdosfs_readfsinfo(struct msdosfs_mount *pmp)
{
	uint8_t *sec;
	int error;

	pmp->pm_nextfree = CLUST_FIRST;
	if (pmp->pm_fsinfosec == 0)
		return 0;
	sec = kmem_alloc(pmp->pm_secsize, KM_SLEEP);
	if (sec == NULL)
		return ENOMEM;
	error = blkdev_rw(pmp->pm_dev, false, sec, pmp->pm_secsize,
	    (uint64_t)pmp->pm_fsinfosec * pmp->pm_secsize);
	if (error == 0) {
		if (le32(sec) == 0x41615252u && le32(sec + 484) == 0x61417272u)
			pmp->pm_nextfree = le32(sec + 492);
		else
			pmp->pm_fsinfosec = 0;	/* not one: never write it */
	}
	kmem_free(sec, pmp->pm_secsize);
	return error;
}

static void
msdosfs_free(struct msdosfs_mount *pmp)
{
	msdosfs_node_freeall(pmp);
	if (pmp->pm_fat != NULL)
		kmem_free(pmp->pm_fat, pmp->pm_fatbytes);
	if (pmp->pm_fatdirty != NULL)
		kmem_free(pmp->pm_fatdirty, pmp->pm_fatdirtylen);
	if (pmp->pm_rootdir != NULL)
		kmem_free(pmp->pm_rootdir, pmp->pm_rootsize);
	if (pmp->pm_hash != NULL)
		kmem_free(pmp->pm_hash,
		    pmp->pm_hashsize * sizeof(*pmp->pm_hash));
	if (pmp->pm_dev != NULL)
		(void)blkdev_close(pmp->pm_dev);
	mutex_destroy(&pmp->pm_rootlock);
	mutex_destroy(&pmp->pm_lock);
	kmem_free(pmp, sizeof(*pmp));
}

#define MSDOSFS_HASHSIZE	1024

static int
msdosfs_mount(struct mount *mp, const char *source, const char *data)
{
	struct msdosfs_mount *pmp;
	struct msdosfs_args ma;
	int error;

	error = msdosfs_parse_args(data, &ma);
	if (error != 0)
		return error;
	if ((mp->mnt_flags & MS_REMOUNT) && mp->mnt_data != NULL) {
		/* Owner and masks change; a file system whose device is
		 * read-only stays so (its vnode operations say EROFS). */
		pmp = mp->mnt_data;
		apply_args(pmp, &ma, false);
		return 0;
	}
	if (source == NULL)
		return EINVAL;
	if (ma.ma_ro)
		mp->mnt_flags |= MS_RDONLY;

	pmp = kmem_zalloc(sizeof(*pmp), KM_SLEEP);
	if (pmp == NULL)
		return ENOMEM;
	pmp->pm_mp = mp;
	mutex_init(&pmp->pm_lock, MUTEX_DEFAULT);
	mutex_init(&pmp->pm_rootlock, MUTEX_DEFAULT);
	pmp->pm_ronly = (mp->mnt_flags & MS_RDONLY) != 0;
	apply_args(pmp, &ma, true);
	error = blkdev_open(source, pmp->pm_ronly ? BLK_READ :
	    BLK_READ | BLK_WRITE, &pmp->pm_dev);
	if (error != 0) {
		pmp->pm_dev = NULL;
		goto fail;
	}
	error = msdosfs_readbpb(pmp);
	if (error != 0)
		goto fail;
	error = msdosfs_readfsinfo(pmp);
	if (error != 0)
		goto fail;
	error = msdosfs_fat_load(pmp);
	if (error != 0)
		goto fail;
	if (pmp->pm_fattype != 32) {
		pmp->pm_rootdir = kmem_alloc(pmp->pm_rootsize, KM_SLEEP);
		if (pmp->pm_rootdir == NULL) {
			error = ENOMEM;
			goto fail;
		}
		error = blkdev_rw(pmp->pm_dev, false, pmp->pm_rootdir,
		    pmp->pm_rootsize, pmp->pm_rootoff);
		if (error != 0)
			goto fail;
	}
	pmp->pm_hashsize = MSDOSFS_HASHSIZE;
	pmp->pm_hash = kmem_zalloc(pmp->pm_hashsize * sizeof(*pmp->pm_hash),
	    KM_SLEEP);
	if (pmp->pm_hash == NULL) {
		error = ENOMEM;
		goto fail;
	}
	error = msdosfs_node_root(pmp);
	if (error != 0)
		goto fail;
	error = msdosfs_setstate(pmp, true);
	if (error != 0)
		goto fail;
	mp->mnt_data = pmp;
	return 0;
fail:
	msdosfs_free(pmp);
	return error;
}

int
msdosfs_syncfs(struct msdosfs_mount *pmp, bool durable)
{
	int error, error2;

	if (pmp->pm_ronly)
		return 0;
	/* Data and directories first, then the FAT that points at them,
	 * then a barrier. */
	error = bsync(pmp->pm_dev, 0);
	__atomic_store_n(&pmp->pm_dirtydata, 0, __ATOMIC_RELAXED);
	error2 = msdosfs_fat_flush(pmp);
	if (error == 0)
		error = error2;
	if (durable) {
		error2 = bsync(pmp->pm_dev, BSYNC_DURABLE);
		if (error == 0)
			error = error2;
	}
	return error;
}

static int
msdosfs_unmount(struct mount *mp, int flags)
{
	struct msdosfs_mount *pmp = mp->mnt_data;
	int error;

	if (pmp == NULL)
		return 0;
	error = msdosfs_syncfs(pmp, true);
	if (error == 0)
		error = msdosfs_setstate(pmp, false);
	/* The disk refused: stay mounted (the dirty buffers are kept, a
	 * later unmount tries again) unless forced. */
	if (error != 0 && (flags & MNT_FORCE) == 0)
		return error;
	mp->mnt_data = NULL;
	msdosfs_free(pmp);
	return error;
}

static uint64_t
msdosfs_rootkey(struct mount *mp)
{
	struct msdosfs_mount *pmp = mp->mnt_data;

	return (uint64_t)(uintptr_t)pmp->pm_root;
}

static int
msdosfs_loadvnode(struct mount *mp, struct vnode *vp, uint64_t key)
{
	struct msdosfs_mount *pmp = mp->mnt_data;
	struct msdosfs_node *dep = (struct msdosfs_node *)(uintptr_t)key;

	mutex_enter(&pmp->pm_lock);
	if (dep == NULL || dep->de_magic != MSDOSFS_NODE_MAGIC ||
	    dep->de_pmp != pmp || dep->de_vnode != NULL) {
		mutex_exit(&pmp->pm_lock);
		return ESTALE;
	}
	vp->v_type = dep->de_isdir ? VDIR : VREG;
	vp->v_op = &msdosfs_vnodeops;
	vp->v_data = dep;
	if (dep == pmp->pm_root)
		vp->v_flags |= VV_ROOT;
	dep->de_vnode = vp;
	mutex_exit(&pmp->pm_lock);
	return 0;
}

static int
msdosfs_statfs(struct mount *mp, struct vfs_statfs *sf)
{
	struct msdosfs_mount *pmp = mp->mnt_data;

	memset(sf, 0, sizeof(*sf));
	sf->f_type = MSDOS_SUPER_MAGIC;
	sf->f_bsize = pmp->pm_csize;
	sf->f_blocks = pmp->pm_maxclust - 1;
	mutex_enter(&pmp->pm_lock);
	sf->f_bfree = pmp->pm_freecount;
	mutex_exit(&pmp->pm_lock);
	sf->f_bavail = sf->f_bfree;
	sf->f_namelen = NAME_MAX;
	return 0;
}

static int
msdosfs_sync(struct mount *mp)
{
	return msdosfs_syncfs(mp->mnt_data, true);
}

const struct vfsops msdosfs_vfsops = {
	.vfs_name	= "msdosfs",
	.vfs_flags	= VFS_MPSAFE,
	.vfs_mount	= msdosfs_mount,
	.vfs_unmount	= msdosfs_unmount,
	.vfs_rootkey	= msdosfs_rootkey,
	.vfs_loadvnode	= msdosfs_loadvnode,
	.vfs_statfs	= msdosfs_statfs,
	.vfs_sync	= msdosfs_sync,
};
VFS_REGISTER(msdosfs_vfsops);

/* The name Linux uses for FAT with long names. */
const struct vfsops vfat_vfsops = {
	.vfs_name	= "vfat",
	.vfs_flags	= VFS_MPSAFE,
	.vfs_mount	= msdosfs_mount,
	.vfs_unmount	= msdosfs_unmount,
	.vfs_rootkey	= msdosfs_rootkey,
	.vfs_loadvnode	= msdosfs_loadvnode,
	.vfs_statfs	= msdosfs_statfs,
	.vfs_sync	= msdosfs_sync,
};
VFS_REGISTER(vfat_vfsops);
