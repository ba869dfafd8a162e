/*
 * msdosfs_fat.c: the file allocation table, kept in memory (see
 * msdosfs.h), and the cluster chains of files.
 *
 * Chains come from the disk and may be damaged: every step checks that
 * the next cluster number is a data cluster, and no walk takes more steps
 * than it has reason to (a file's size in clusters, or the number of
 * clusters on the volume), so a loop ends in EIO instead of a hang.
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/libkern.h>
#include <kern/lock.h>
#include <kern/kmem.h>
#include <vfs/buf.h>

#include "msdosfs.h"

/* Byte offset of entry cn in the FAT. */
static size_t
fat_off(const struct msdosfs_mount *pmp, uint32_t cn)
{
	switch (pmp->pm_fattype) {
	case 12:
		return (size_t)cn + cn / 2;
	case 16:
		return (size_t)cn * 2;
	default:
		return (size_t)cn * 4;
	}
}

uint32_t
msdosfs_fat_get(struct msdosfs_mount *pmp, uint32_t cn)
{
	size_t off = fat_off(pmp, cn);
	uint32_t v;

	/* The mount sized pm_fat for entries 0..pm_maxclust. */
	KASSERT(cn <= pmp->pm_maxclust);
	switch (pmp->pm_fattype) {
	case 12:
		v = le16(pmp->pm_fat + off);
		return (cn & 1) ? v >> 4 : v & 0xfff;
	case 16:
		return le16(pmp->pm_fat + off);
	default:
		return le32(pmp->pm_fat + off) & 0x0fffffff;
	}
}

static void
fat_markdirty(struct msdosfs_mount *pmp, size_t off)
{
	size_t sec = off / pmp->pm_secsize;

	pmp->pm_fatdirty[sec / 8] |= (uint8_t)(1u << (sec % 8));
}

void
msdosfs_fat_set(struct msdosfs_mount *pmp, uint32_t cn, uint32_t v)
{
	size_t off = fat_off(pmp, cn);
	uint8_t *p = pmp->pm_fat + off;
	uint16_t w;

	KASSERT(cn >= CLUST_FIRST && cn <= pmp->pm_maxclust);
	switch (pmp->pm_fattype) {
	case 12:
		w = le16(p);
		if (cn & 1)
			w = (uint16_t)((w & 0x000f) | ((v & 0xfff) << 4));
		else
			w = (uint16_t)((w & 0xf000) | (v & 0xfff));
		put16(p, w);
		fat_markdirty(pmp, off);
		fat_markdirty(pmp, off + 1);
		break;
	case 16:
		put16(p, (uint16_t)v);
		fat_markdirty(pmp, off);
		break;
	default:
		/* The top four bits are reserved and kept as they are. */
		put32(p, (le32(p) & 0xf0000000u) | (v & 0x0fffffff));
		fat_markdirty(pmp, off);
		break;
	}
}

#define FAT_IOCHUNK	(1024 * 1024)

int
msdosfs_fat_load(struct msdosfs_mount *pmp)
{
	uint64_t off = pmp->pm_fatoff +
	    (uint64_t)pmp->pm_activefat * pmp->pm_fatsize;
	size_t done, n, nsec;
	uint32_t cn;
	int error;

	/* Entries 0..pm_maxclust, whole sectors (FAT12: a half entry). */
	pmp->pm_fatbytes = roundup(fat_off(pmp, pmp->pm_maxclust) + 4,
	    pmp->pm_secsize);
	if (pmp->pm_fatbytes > pmp->pm_fatsize)
		pmp->pm_fatbytes = (size_t)pmp->pm_fatsize;
	nsec = pmp->pm_fatbytes / pmp->pm_secsize;
	pmp->pm_fatdirtylen = howmany(nsec, 8);
	pmp->pm_fat = kmem_alloc(pmp->pm_fatbytes, KM_SLEEP);
	pmp->pm_fatdirty = kmem_zalloc(pmp->pm_fatdirtylen, KM_SLEEP);
	if (pmp->pm_fat == NULL || pmp->pm_fatdirty == NULL)
		return ENOMEM;
	for (done = 0; done < pmp->pm_fatbytes; done += n) {
		n = MIN(pmp->pm_fatbytes - done, FAT_IOCHUNK);
		error = blkdev_rw(pmp->pm_dev, false, pmp->pm_fat + done, n,
		    off + done);
		if (error != 0)
			return error;
	}

	pmp->pm_freecount = 0;
	for (cn = CLUST_FIRST; cn <= pmp->pm_maxclust; cn++)
		if (msdosfs_fat_get(pmp, cn) == CLUST_FREE)
			pmp->pm_freecount++;
	if (!msdosfs_clust_valid(pmp, pmp->pm_nextfree))
		pmp->pm_nextfree = CLUST_FIRST;
	return 0;
}

/* FSInfo (FAT32): its free count and next-free hint, when its
 * signatures say it is one. */
#define FSI_LEADSIG	0x41615252u
#define FSI_STRUCSIG	0x61417272u
#define FSI_TRAILSIG	0xaa550000u

static int
fsinfo_write(struct msdosfs_mount *pmp)
{
	uint64_t off = (uint64_t)pmp->pm_fsinfosec * pmp->pm_secsize;
	uint8_t *sec;
	int error;

	sec = kmem_alloc(pmp->pm_secsize, KM_SLEEP);
	if (sec == NULL)
		return ENOMEM;
	error = blkdev_rw(pmp->pm_dev, false, sec, pmp->pm_secsize, off);
	if (error == 0 && le32(sec) == FSI_LEADSIG &&
	    le32(sec + 484) == FSI_STRUCSIG && le32(sec + 508) == FSI_TRAILSIG) {
		put32(sec + 488, pmp->pm_freecount);
		put32(sec + 492, pmp->pm_nextfree);
		error = blkdev_rw(pmp->pm_dev, true, sec, pmp->pm_secsize, off);
	}
	/* The copy after the backup boot sector (mkfs.fat writes one),
	 * when it is one. */
	off = (uint64_t)(pmp->pm_bkbootsec + pmp->pm_fsinfosec) *
	    pmp->pm_secsize;
	if (error == 0 && pmp->pm_bkbootsec != 0)
		error = blkdev_rw(pmp->pm_dev, false, sec, pmp->pm_secsize,
		    off);
	if (error == 0 && pmp->pm_bkbootsec != 0 &&
	    le32(sec) == FSI_LEADSIG && le32(sec + 484) == FSI_STRUCSIG &&
	    le32(sec + 508) == FSI_TRAILSIG) {
		put32(sec + 488, pmp->pm_freecount);
		put32(sec + 492, pmp->pm_nextfree);
		error = blkdev_rw(pmp->pm_dev, true, sec, pmp->pm_secsize, off);
	}
	kmem_free(sec, pmp->pm_secsize);
	return error;
}

static int
fat_flush_locked(struct msdosfs_mount *pmp)
{
	size_t nsec = pmp->pm_fatbytes / pmp->pm_secsize, s, e;
	uint32_t i;
	int error;

	for (s = 0; s < nsec; s = e) {
		if (!(pmp->pm_fatdirty[s / 8] & (1u << (s % 8)))) {
			e = s + 1;
			continue;
		}
		for (e = s; e < nsec && (pmp->pm_fatdirty[e / 8] &
		    (1u << (e % 8))); e++)
			pmp->pm_fatdirty[e / 8] &= (uint8_t)~(1u << (e % 8));
		for (i = 0; i < pmp->pm_nfats; i++) {
			if (!pmp->pm_mirror && i != pmp->pm_activefat)
				continue;
			error = blkdev_rw(pmp->pm_dev, true,
			    pmp->pm_fat + s * pmp->pm_secsize,
			    (e - s) * pmp->pm_secsize,
			    pmp->pm_fatoff + (uint64_t)i * pmp->pm_fatsize +
			    (uint64_t)s * pmp->pm_secsize);
			if (error != 0)
				return error;
		}
	}
	if (__atomic_exchange_n(&pmp->pm_rootdirty, false, __ATOMIC_RELAXED)) {
		error = blkdev_rw(pmp->pm_dev, true, pmp->pm_rootdir,
		    pmp->pm_rootsize, pmp->pm_rootoff);
		if (error != 0) {
			__atomic_store_n(&pmp->pm_rootdirty, true,
			    __ATOMIC_RELAXED);
			return error;
		}
	}
	if (pmp->pm_fsinfodirty && pmp->pm_fsinfosec != 0) {
		error = fsinfo_write(pmp);
		if (error != 0)
			return error;
		pmp->pm_fsinfodirty = false;
	}
	return 0;
}

int
msdosfs_fat_flush(struct msdosfs_mount *pmp)
{
	int error;

	/* The root region as a cursor would hold it, then the FAT. */
	mutex_enter(&pmp->pm_rootlock);
	mutex_enter(&pmp->pm_lock);
	error = fat_flush_locked(pmp);
	mutex_exit(&pmp->pm_lock);
	mutex_exit(&pmp->pm_rootlock);
	return error;
}

/* msdosfs_bmap with pm_lock held. */
static int
bmap_locked(struct msdosfs_node *dep, uint32_t lc, uint32_t *pcp)
{
	struct msdosfs_mount *pmp = dep->de_pmp;
	uint32_t cn, i, v;

	if (dep->de_chainbad || lc >= dep->de_nclust)
		return EIO;
	if (dep->de_lastpc != 0 && dep->de_lastlc <= lc) {
		i = dep->de_lastlc;
		cn = dep->de_lastpc;
	} else {
		i = 0;
		cn = dep->de_startclust;
	}
	if (!msdosfs_clust_valid(pmp, cn))
		return EIO;
	for (; i < lc; i++) {
		v = msdosfs_fat_get(pmp, cn);
		if (!msdosfs_clust_valid(pmp, v))
			return EIO;
		cn = v;
	}
	dep->de_lastlc = lc;
	dep->de_lastpc = cn;
	*pcp = cn;
	return 0;
}

int
msdosfs_bmap(struct msdosfs_node *dep, uint32_t lc, uint32_t *pcp)
{
	struct msdosfs_mount *pmp = dep->de_pmp;
	int error;

	mutex_enter(&pmp->pm_lock);
	error = bmap_locked(dep, lc, pcp);
	mutex_exit(&pmp->pm_lock);
	return error;
}

static int
chainlen_locked(struct msdosfs_mount *pmp, uint32_t cn, uint32_t max,
    uint32_t *lenp)
{
	uint32_t n = 0, v;

	if (cn == 0) {
		*lenp = 0;
		return 0;
	}
	for (;;) {
		if (!msdosfs_clust_valid(pmp, cn) || n >= max)
			return EIO;
		n++;
		v = msdosfs_fat_get(pmp, cn);
		if (msdosfs_clust_eoc(pmp, v))
			break;
		cn = v;
	}
	*lenp = n;
	return 0;
}

int
msdosfs_chainlen(struct msdosfs_mount *pmp, uint32_t cn, uint32_t max,
    uint32_t *lenp)
{
	int error;

	mutex_enter(&pmp->pm_lock);
	error = chainlen_locked(pmp, cn, max, lenp);
	mutex_exit(&pmp->pm_lock);
	return error;
}

static int
clust_alloc_locked(struct msdosfs_mount *pmp, uint32_t prev, uint32_t *cnp)
{
	uint32_t cn, start, n;

	if (pmp->pm_freecount == 0)
		return ENOSPC;
	start = msdosfs_clust_valid(pmp, pmp->pm_nextfree) ?
	    pmp->pm_nextfree : CLUST_FIRST;
	cn = start;
	for (n = 0; n < pmp->pm_maxclust - 1; n++) {
		if (msdosfs_fat_get(pmp, cn) == CLUST_FREE)
			break;
		if (++cn > pmp->pm_maxclust)
			cn = CLUST_FIRST;
	}
	if (n == pmp->pm_maxclust - 1) {
		pmp->pm_freecount = 0;	/* the count was wrong */
		return ENOSPC;
	}
	msdosfs_fat_set(pmp, cn, pmp->pm_fatmask);	/* end of chain */
	if (prev != 0)
		msdosfs_fat_set(pmp, prev, cn);
	pmp->pm_freecount--;
	pmp->pm_nextfree = cn + 1 > pmp->pm_maxclust ? CLUST_FIRST : cn + 1;
	pmp->pm_fsinfodirty = true;
	*cnp = cn;
	return 0;
}

int
msdosfs_clust_alloc(struct msdosfs_mount *pmp, uint32_t prev, uint32_t *cnp)
{
	int error;

	mutex_enter(&pmp->pm_lock);
	error = clust_alloc_locked(pmp, prev, cnp);
	mutex_exit(&pmp->pm_lock);
	return error;
}

void
msdosfs_chain_free_locked(struct msdosfs_mount *pmp, uint32_t cn)
{
	uint32_t n, v;

	for (n = 0; n < pmp->pm_maxclust && msdosfs_clust_valid(pmp, cn);
	    n++) {
		v = msdosfs_fat_get(pmp, cn);
		if (v == CLUST_FREE)
			break;		/* cross-linked with a freed chain */
		msdosfs_fat_set(pmp, cn, CLUST_FREE);
		if (pmp->pm_freecount < pmp->pm_maxclust - 1)
			pmp->pm_freecount++;
		if (msdosfs_clust_eoc(pmp, v))
			break;
		cn = v;
	}
	pmp->pm_fsinfodirty = true;
}

void
msdosfs_chain_free(struct msdosfs_mount *pmp, uint32_t cn)
{
	mutex_enter(&pmp->pm_lock);
	msdosfs_chain_free_locked(pmp, cn);
	mutex_exit(&pmp->pm_lock);
}

int
msdosfs_chain_truncate(struct msdosfs_node *dep, uint32_t nclust)
{
	struct msdosfs_mount *pmp = dep->de_pmp;
	uint32_t pc, v;
	int error;

	if (nclust >= dep->de_nclust)
		return 0;
	mutex_enter(&pmp->pm_lock);
	if (nclust == 0) {
		if (dep->de_startclust != 0)
			msdosfs_chain_free_locked(pmp, dep->de_startclust);
		dep->de_startclust = 0;
	} else {
		error = bmap_locked(dep, nclust - 1, &pc);
		if (error != 0) {
			mutex_exit(&pmp->pm_lock);
			return error;
		}
		v = msdosfs_fat_get(pmp, pc);
		msdosfs_fat_set(pmp, pc, pmp->pm_fatmask);
		if (msdosfs_clust_valid(pmp, v))
			msdosfs_chain_free_locked(pmp, v);
	}
	dep->de_nclust = nclust;
	if (dep->de_lastlc >= nclust)
		dep->de_lastpc = 0;
	mutex_exit(&pmp->pm_lock);
	return 0;
}

int
msdosfs_chain_extend(struct msdosfs_node *dep, bool zero, uint32_t *cnp)
{
	struct msdosfs_mount *pmp = dep->de_pmp;
	uint32_t last = 0, cn, i;
	uint64_t blk;
	struct buf *bp;
	int error;

	if (dep->de_chainbad)
		return EIO;
	if (dep->de_nclust >= 0xffffffffu / pmp->pm_csize + 1)
		return EFBIG;
	mutex_enter(&pmp->pm_lock);
	if (dep->de_nclust > 0) {
		error = bmap_locked(dep, dep->de_nclust - 1, &last);
		if (error != 0) {
			mutex_exit(&pmp->pm_lock);
			return error;
		}
	}
	error = clust_alloc_locked(pmp, last, &cn);
	if (error != 0) {
		mutex_exit(&pmp->pm_lock);
		return error;
	}
	if (dep->de_nclust == 0)
		dep->de_startclust = cn;
	dep->de_nclust++;
	dep->de_lastlc = dep->de_nclust - 1;
	dep->de_lastpc = cn;
	mutex_exit(&pmp->pm_lock);
	if (zero) {
		blk = msdosfs_clust_blkno(pmp, cn);
		for (i = 0; i < pmp->pm_csize / pmp->pm_bsize; i++) {
			error = bget(pmp->pm_dev, blk + i, pmp->pm_bsize, &bp);
			if (error != 0)
				return error;
			memset(bp->b_data, 0, pmp->pm_bsize);
			bdwrite(bp, dep->de_isdir ? B_ORD_META : B_ORD_DATA);
		}
	}
	*cnp = cn;
	return 0;
}
