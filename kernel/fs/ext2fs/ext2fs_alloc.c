/*
 * ext2fs_alloc.c: allocation of blocks and inodes with the groups'
 * bitmaps, keeping the descriptors' and the superblock's free counts
 * exact (e2fsck compares them with the bitmaps).
 *
 * Policy (simple and close to what Linux does): a block is taken at or
 * after a goal (the block after the file's previous one, or the inode's
 * group), scanning groups in order; a new directory goes to the group
 * with the most free blocks among those with at least the average number
 * of free inodes (spreading directories), a file to its directory's
 * group or the next one with a free inode.
 *
 * A bitmap is searched and changed, and its group's count with it,
 * under that group's g_lock, so two CPUs never take the same block or
 * inode, while CPUs working in different groups (bench_scale's threads,
 * each in a directory of its own) do not wait for each other.  One group
 * lock is held at a time; the counts of other groups are read without
 * their locks, as hints only.  See ext2fs.h for the lock order.
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/libkern.h>
#include <kern/lock.h>
#include <vfs/buf.h>

#include "ext2fs.h"

bool
ext2_blkno_ok(const struct ext2_mount *em, uint64_t blkno)
{

	return blkno >= em->em_first_data_block && blkno < em->em_blocks;
}

static uint32_t
group_nblocks(const struct ext2_mount *em, uint32_t g)
{
	uint64_t start = (uint64_t)em->em_first_data_block +
	    (uint64_t)g * em->em_bpg;

	return (uint32_t)MIN((uint64_t)em->em_bpg, em->em_blocks - start);
}

/* Finds a clear bit in [from, n) then [0, from) of map; -1 if none. */
static int
bitmap_find(const uint8_t *map, uint32_t n, uint32_t from)
{
	uint32_t i, k;

	if (from >= n)
		from = 0;
	for (k = 0; k < n; k++) {
		i = from + k;
		if (i >= n)
			i -= n;
		/* Skip full bytes quickly. */
		if ((i & 7) == 0 && i + 8 <= n && k + 8 <= n &&
		    map[i >> 3] == 0xff) {
			k += 7;
			continue;
		}
		if ((map[i >> 3] & (1u << (i & 7))) == 0)
			return (int)i;
	}
	return -1;
}

/* Once set the flag stays until the next write of the superblock:
 * stored only when clear, so that allocations on two CPUs do not pass
 * its cache line back and forth. */
static void
sb_dirty(struct ext2_mount *em)
{

	if (!__atomic_load_n(&em->em_sbdirty, __ATOMIC_RELAXED))
		__atomic_store_n(&em->em_sbdirty, true, __ATOMIC_RELAXED);
}

uint64_t
ext2_free_blocks(struct ext2_mount *em)
{
	uint64_t n = 0;
	uint32_t g;

	for (g = 0; g < em->em_ngroups; g++)
		n += EXT2_COUNT_LOAD(em->em_groups[g].g_free_blocks);
	return n;
}

uint32_t
ext2_free_inodes(struct ext2_mount *em)
{
	uint32_t n = 0, g;

	for (g = 0; g < em->em_ngroups; g++)
		n += EXT2_COUNT_LOAD(em->em_groups[g].g_free_inodes);
	return n;
}

int
ext2_blkalloc(struct ext2_mount *em, uint64_t goal, uint64_t *bnp)
{
	struct ext2_group *gp;
	struct buf *bp;
	uint32_t g, g0, k, from, n;
	int bit, error;

	if (!ext2_blkno_ok(em, goal))
		goal = em->em_first_data_block;
	g0 = (uint32_t)((goal - em->em_first_data_block) / em->em_bpg);
	from = (uint32_t)((goal - em->em_first_data_block) % em->em_bpg);
	for (k = 0; k < em->em_ngroups; k++) {
		g = (g0 + k) % em->em_ngroups;
		gp = &em->em_groups[g];
		/* A hint: the count is checked again under the lock. */
		if (EXT2_COUNT_LOAD(gp->g_free_blocks) == 0)
			continue;
		mutex_enter(&gp->g_lock);
		if (gp->g_free_blocks == 0) {
			mutex_exit(&gp->g_lock);
			continue;
		}
		error = bread(em->em_dev, gp->g_block_bitmap, em->em_bsize, &bp);
		if (error != 0) {
			mutex_exit(&gp->g_lock);
			return error;
		}
		n = group_nblocks(em, g);
		bit = bitmap_find(bp->b_data, n, k == 0 ? from : 0);
		if (bit < 0) {
			/* The count said otherwise: believe the bitmap. */
			brelse(bp);
			ext2_error(em, "group %u: free block count %u but "
			    "bitmap full", g, gp->g_free_blocks);
			mutex_exit(&gp->g_lock);
			continue;
		}
		((uint8_t *)bp->b_data)[bit >> 3] |= (uint8_t)(1u << (bit & 7));
		bdwrite(bp, B_ORD_META);
		EXT2_COUNT_SUB(gp->g_free_blocks, 1);
		gp->g_dirty = true;
		mutex_exit(&gp->g_lock);
		sb_dirty(em);
		*bnp = (uint64_t)em->em_first_data_block +
		    (uint64_t)g * em->em_bpg + (uint32_t)bit;
		return 0;
	}
	return ENOSPC;
}

int
ext2_blkfree(struct ext2_mount *em, uint64_t blkno)
{
	struct ext2_group *gp;
	struct buf *bp;
	uint32_t g, bit;
	uint8_t *b;
	int error;

	if (!ext2_blkno_ok(em, blkno)) {
		ext2_error(em, "freeing block %llu out of range",
		    (unsigned long long)blkno);
		return EIO;
	}
	/* Its cached contents (a removed file's data, say) need never be
	 * written; dropped while the block is still ours, before another
	 * CPU can allocate it and cache its new contents. */
	bdiscard(em->em_dev, blkno, em->em_bsize);
	g = (uint32_t)((blkno - em->em_first_data_block) / em->em_bpg);
	bit = (uint32_t)((blkno - em->em_first_data_block) % em->em_bpg);
	gp = &em->em_groups[g];
	mutex_enter(&gp->g_lock);
	error = bread(em->em_dev, gp->g_block_bitmap, em->em_bsize, &bp);
	if (error != 0) {
		mutex_exit(&gp->g_lock);
		return error;
	}
	b = (uint8_t *)bp->b_data + (bit >> 3);
	if ((*b & (1u << (bit & 7))) == 0) {
		brelse(bp);
		mutex_exit(&gp->g_lock);
		ext2_error(em, "freeing free block %llu",
		    (unsigned long long)blkno);
		return EIO;
	}
	*b &= (uint8_t)~(1u << (bit & 7));
	bdwrite(bp, B_ORD_META);
	EXT2_COUNT_ADD(gp->g_free_blocks, 1);
	gp->g_dirty = true;
	mutex_exit(&gp->g_lock);
	sb_dirty(em);
	return 0;
}

/* Picks a group for a new inode from the counts read without locks (a
 * hint: the allocator checks again under the group's lock). */
static uint32_t
inogroup_pick(struct ext2_mount *em, uint32_t pino, bool isdir)
{
	uint32_t g, best = UINT32_MAX, pg, k, avg, fi, fb, bestfb = 0;

	pg = pino >= 1 && pino <= em->em_inodes ? (pino - 1) / em->em_ipg : 0;
	if (isdir) {
		avg = ext2_free_inodes(em) / em->em_ngroups;
		for (k = 0; k < em->em_ngroups; k++) {
			g = (pg + k) % em->em_ngroups;
			fi = EXT2_COUNT_LOAD(em->em_groups[g].g_free_inodes);
			if (fi == 0 || fi < avg)
				continue;
			fb = EXT2_COUNT_LOAD(em->em_groups[g].g_free_blocks);
			if (best == UINT32_MAX || fb > bestfb) {
				best = g;
				bestfb = fb;
			}
		}
		if (best != UINT32_MAX)
			return best;
	}
	for (k = 0; k < em->em_ngroups; k++) {
		g = (pg + k) % em->em_ngroups;
		if (EXT2_COUNT_LOAD(em->em_groups[g].g_free_inodes) > 0)
			return g;
	}
	return UINT32_MAX;
}

int
ext2_inoalloc(struct ext2_mount *em, uint32_t pino, bool isdir,
    uint32_t *inop)
{
	struct ext2_group *gp;
	struct buf *bp;
	uint32_t g, k, from, ino;
	int bit, error;

	g = inogroup_pick(em, pino, isdir);
	if (g == UINT32_MAX)
		return ENOSPC;
	for (k = 0; k < em->em_ngroups; k++, g = (g + 1) % em->em_ngroups) {
		gp = &em->em_groups[g];
		if (EXT2_COUNT_LOAD(gp->g_free_inodes) == 0)
			continue;
		mutex_enter(&gp->g_lock);
		if (gp->g_free_inodes == 0) {
			mutex_exit(&gp->g_lock);
			continue;
		}
		error = bread(em->em_dev, gp->g_inode_bitmap, em->em_bsize, &bp);
		if (error != 0) {
			mutex_exit(&gp->g_lock);
			return error;
		}
		/* The reserved inodes (below s_first_ino) are never free. */
		from = g == 0 ? em->em_first_ino - 1 : 0;
		bit = bitmap_find(bp->b_data, em->em_ipg, from);
		if (bit >= 0 && g == 0 && (uint32_t)bit < em->em_first_ino - 1)
			bit = -1;
		if (bit < 0) {
			brelse(bp);
			mutex_exit(&gp->g_lock);
			continue;
		}
		((uint8_t *)bp->b_data)[bit >> 3] |= (uint8_t)(1u << (bit & 7));
		bdwrite(bp, B_ORD_META);
		ino = g * em->em_ipg + (uint32_t)bit + 1;
		EXT2_COUNT_SUB(gp->g_free_inodes, 1);
		if (isdir)
			gp->g_used_dirs++;
		gp->g_dirty = true;
		mutex_exit(&gp->g_lock);
		sb_dirty(em);
		*inop = ino;
		return 0;
	}
	return ENOSPC;
}

int
ext2_inofree(struct ext2_mount *em, uint32_t ino, bool isdir)
{
	struct ext2_group *gp;
	struct buf *bp;
	uint32_t g, bit;
	uint8_t *b;
	int error;

	if (ino < em->em_first_ino || ino > em->em_inodes)
		return EIO;
	g = (ino - 1) / em->em_ipg;
	bit = (ino - 1) % em->em_ipg;
	gp = &em->em_groups[g];
	mutex_enter(&gp->g_lock);
	error = bread(em->em_dev, gp->g_inode_bitmap, em->em_bsize, &bp);
	if (error != 0) {
		mutex_exit(&gp->g_lock);
		return error;
	}
	b = (uint8_t *)bp->b_data + (bit >> 3);
	if ((*b & (1u << (bit & 7))) == 0) {
		brelse(bp);
		mutex_exit(&gp->g_lock);
		ext2_error(em, "freeing free inode %u", ino);
		return EIO;
	}
	*b &= (uint8_t)~(1u << (bit & 7));
	bdwrite(bp, B_ORD_META);
	EXT2_COUNT_ADD(gp->g_free_inodes, 1);
	if (isdir && gp->g_used_dirs > 0)
		gp->g_used_dirs--;
	gp->g_dirty = true;
	mutex_exit(&gp->g_lock);
	sb_dirty(em);
	return 0;
}
