/*
 * ext2fs_inode.c: inodes (reading, writing, new ones) and the block map:
 * logical to physical blocks through the direct, indirect, double and
 * triple indirect pointers (read-write), or an extent tree (ext4,
 * read-only); truncation; the extended attribute block's reference.
 *
 * No buffer is held while another is read: pointers are copied out of
 * an indirect block before the next level is read.  So a hostile image
 * whose pointers form a cycle (or point at a bitmap) cannot make a
 * thread wait for a buffer it holds itself.
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/libkern.h>
#include <kern/kmem.h>
#include <kern/clock.h>
#include <vfs/vnode.h>
#include <vfs/buf.h>

#include "ext2fs.h"

enum vtype
ext2_vtype(uint16_t mode)
{

	switch (mode & EXT2_S_IFMT) {
	case EXT2_S_IFREG:	return VREG;
	case EXT2_S_IFDIR:	return VDIR;
	case EXT2_S_IFLNK:	return VLNK;
	case EXT2_S_IFCHR:	return VCHR;
	case EXT2_S_IFBLK:	return VBLK;
	case EXT2_S_IFIFO:	return VFIFO;
	case EXT2_S_IFSOCK:	return VSOCK;
	default:		return VNON;
	}
}

/* Where inode ino lives: block and byte offset. */
static int
inode_location(struct ext2_mount *em, uint32_t ino, uint64_t *blkp,
    size_t *offp)
{
	uint32_t g, idx;
	uint64_t byte;

	if (ino < 1 || ino > em->em_inodes)
		return EIO;
	g = (ino - 1) / em->em_ipg;
	idx = (ino - 1) % em->em_ipg;
	byte = (uint64_t)idx * em->em_inode_size;
	*blkp = em->em_groups[g].g_inode_table + (byte >> em->em_bshift);
	*offp = (size_t)(byte & (em->em_bsize - 1));
	return 0;
}

/* Extra inode size usable for the timestamp extensions (0: none). */
static uint32_t
inode_extra(const struct ext2_mount *em, const uint8_t *raw)
{
	uint32_t extra;

	if (em->em_inode_size <= EXT2_GOOD_OLD_INODE_SIZE)
		return 0;
	extra = le16get(raw, DI_EXTRA_ISIZE);
	if (extra % 4 != 0 ||
	    extra > em->em_inode_size - EXT2_GOOD_OLD_INODE_SIZE)
		return 0;
	return extra;
}

static void
time_decode(const uint8_t *raw, size_t off, size_t xoff, uint32_t extra,
    struct timespec *ts)
{
	uint32_t x;

	ts->tv_sec = (int32_t)le32get(raw, off);
	ts->tv_nsec = 0;
	if (xoff + 4 <= EXT2_GOOD_OLD_INODE_SIZE + extra) {
		x = le32get(raw, xoff);
		ts->tv_sec += (int64_t)(x & 3) << 32;
		ts->tv_nsec = (long)(x >> 2);
		if (ts->tv_nsec >= 1000000000L)
			ts->tv_nsec = 0;
	}
}

static void
time_encode(uint8_t *raw, size_t off, size_t xoff, uint32_t extra,
    const struct timespec *ts)
{
	int64_t epoch;

	le32put(raw, off, (uint32_t)ts->tv_sec);
	if (xoff + 4 <= EXT2_GOOD_OLD_INODE_SIZE + extra) {
		epoch = (ts->tv_sec - (int64_t)(int32_t)ts->tv_sec) >> 32;
		le32put(raw, xoff, (uint32_t)(epoch & 3) |
		    (uint32_t)ts->tv_nsec << 2);
	}
}

static void
node_decode(struct ext2_mount *em, struct ext2_node *n)
{
	const uint8_t *raw = n->n_raw;
	uint32_t extra = inode_extra(em, raw);
	int i;

	n->n_mode = le16get(raw, DI_MODE);
	n->n_uid = le16get(raw, DI_UID) |
	    (uint32_t)le16get(raw, DI_UID_HIGH) << 16;
	n->n_gid = le16get(raw, DI_GID) |
	    (uint32_t)le16get(raw, DI_GID_HIGH) << 16;
	n->n_size = le32get(raw, DI_SIZE);
	if ((n->n_mode & EXT2_S_IFMT) == EXT2_S_IFREG ||
	    ((n->n_mode & EXT2_S_IFMT) == EXT2_S_IFDIR &&
	    (em->em_incompat & INCOMPAT_LARGEDIR)))
		n->n_size |= (uint64_t)le32get(raw, DI_SIZE_HIGH) << 32;
	n->n_nlink = le16get(raw, DI_LINKS);
	n->n_flags = le32get(raw, DI_FLAGS);
	n->n_blocks = le32get(raw, DI_BLOCKS);
	if (em->em_ro_compat & RO_COMPAT_HUGE_FILE) {
		n->n_blocks |= (uint64_t)le16get(raw, DI_BLOCKS_HIGH) << 32;
		if (n->n_flags & EXT2_HUGE_FILE_FL)
			n->n_blocks <<= em->em_bshift - 9;
	}
	n->n_file_acl = le32get(raw, DI_FILE_ACL);
	if (em->em_incompat & INCOMPAT_64BIT)
		n->n_file_acl |= (uint64_t)le16get(raw, DI_FILE_ACL_HIGH) << 32;
	n->n_dtime = le32get(raw, DI_DTIME);
	time_decode(raw, DI_ATIME, DI_ATIME_EXTRA, extra, &n->n_atime);
	time_decode(raw, DI_MTIME, DI_MTIME_EXTRA, extra, &n->n_mtime);
	time_decode(raw, DI_CTIME, DI_CTIME_EXTRA, extra, &n->n_ctime);
	for (i = 0; i < EXT2_N_BLOCKS; i++)
		n->n_iblock[i] = le32get(raw, DI_BLOCK + 4 * (size_t)i);
}

static void
node_encode(struct ext2_mount *em, struct ext2_node *n)
{
	uint8_t *raw = n->n_raw;
	uint32_t extra = inode_extra(em, raw);
	int i;

	le16put(raw, DI_MODE, n->n_mode);
	le16put(raw, DI_UID, (uint16_t)n->n_uid);
	le16put(raw, DI_UID_HIGH, (uint16_t)(n->n_uid >> 16));
	le16put(raw, DI_GID, (uint16_t)n->n_gid);
	le16put(raw, DI_GID_HIGH, (uint16_t)(n->n_gid >> 16));
	le32put(raw, DI_SIZE, (uint32_t)n->n_size);
	if ((n->n_mode & EXT2_S_IFMT) == EXT2_S_IFREG)
		le32put(raw, DI_SIZE_HIGH, (uint32_t)(n->n_size >> 32));
	le16put(raw, DI_LINKS, n->n_nlink);
	le32put(raw, DI_FLAGS, n->n_flags);
	le32put(raw, DI_BLOCKS, (uint32_t)n->n_blocks);
	le32put(raw, DI_FILE_ACL, (uint32_t)n->n_file_acl);
	le32put(raw, DI_DTIME, n->n_dtime);
	time_encode(raw, DI_ATIME, DI_ATIME_EXTRA, extra, &n->n_atime);
	time_encode(raw, DI_MTIME, DI_MTIME_EXTRA, extra, &n->n_mtime);
	time_encode(raw, DI_CTIME, DI_CTIME_EXTRA, extra, &n->n_ctime);
	for (i = 0; i < EXT2_N_BLOCKS; i++)
		le32put(raw, DI_BLOCK + 4 * (size_t)i, n->n_iblock[i]);
}

int
ext2_node_load(struct ext2_mount *em, uint32_t ino, struct ext2_node **np)
{
	struct ext2_node *n;
	struct buf *bp;
	uint64_t blk;
	size_t off;
	int error;

	error = inode_location(em, ino, &blk, &off);
	if (error != 0)
		return error;
	n = kmem_zalloc(sizeof(*n), KM_SLEEP);
	if (n == NULL)
		return ENOMEM;
	error = bread(em->em_dev, blk, em->em_bsize, &bp);
	if (error != 0) {
		kmem_free(n, sizeof(*n));
		return error;
	}
	memcpy(n->n_raw, (uint8_t *)bp->b_data + off, em->em_inode_size);
	brelse(bp);
	error = ext2_csum_inode(em, ino, n->n_raw);
	if (error != 0) {
		kmem_free(n, sizeof(*n));
		return error;
	}
	n->n_mnt = em;
	n->n_ino = ino;
	node_decode(em, n);
	if (n->n_nlink == 0 || ext2_vtype(n->n_mode) == VNON) {
		ext2_error(em, "inode %u: %s", ino, n->n_nlink == 0 ?
		    "deleted inode referenced" : "bad file type");
		kmem_free(n, sizeof(*n));
		return EIO;
	}
	if (n->n_flags & EXT2_INLINE_DATA_FL) {
		ext2_error(em, "inode %u: inline data not supported", ino);
		kmem_free(n, sizeof(*n));
		return EIO;
	}
	n->n_goal = em->em_first_data_block +
	    (uint64_t)((ino - 1) / em->em_ipg) * em->em_bpg;
	*np = n;
	return 0;
}

void
ext2_node_init_new(struct ext2_mount *em, struct ext2_node *n, uint32_t ino,
    uint16_t mode, uint32_t uid, uint32_t gid)
{
	struct timespec now;

	memset(n, 0, sizeof(*n));
	n->n_mnt = em;
	n->n_ino = ino;
	n->n_mode = mode;
	n->n_uid = uid;
	n->n_gid = gid;
	n->n_nlink = 1;
	if (em->em_extra_isize != 0)
		le16put(n->n_raw, DI_EXTRA_ISIZE, (uint16_t)em->em_extra_isize);
	le32put(n->n_raw, DI_GENERATION, cprng32());
	getnanotime(&now);
	n->n_atime = n->n_mtime = n->n_ctime = now;
	if (em->em_extra_isize >= 24) {
		le32put(n->n_raw, DI_CRTIME, (uint32_t)now.tv_sec);
		le32put(n->n_raw, DI_CRTIME_EXTRA,
		    (uint32_t)(((now.tv_sec - (int64_t)(int32_t)now.tv_sec) >>
		    32) & 3) | (uint32_t)now.tv_nsec << 2);
	}
	n->n_goal = em->em_first_data_block +
	    (uint64_t)((ino - 1) / em->em_ipg) * em->em_bpg;
	n->n_dirty = true;
}

int
ext2_node_write(struct ext2_node *n)
{
	struct ext2_mount *em = n->n_mnt;
	struct buf *bp;
	uint64_t blk;
	size_t off;
	int error;

	if (em->em_ronly)
		return EROFS;
	error = inode_location(em, n->n_ino, &blk, &off);
	if (error != 0)
		return error;
	node_encode(em, n);
	error = bread(em->em_dev, blk, em->em_bsize, &bp);
	if (error != 0)
		return error;
	memcpy((uint8_t *)bp->b_data + off, n->n_raw, em->em_inode_size);
	bdwrite(bp, B_ORD_META);
	n->n_dirty = false;
	return 0;
}

void
ext2_node_touch(struct ext2_node *n, bool mtime, bool ctime)
{
	struct timespec now;

	getnanotime(&now);
	if (mtime)
		n->n_mtime = now;
	if (ctime)
		n->n_ctime = now;
	n->n_dirty = true;
}

uint64_t
ext2_maxfilesize(const struct ext2_mount *em)
{
	uint64_t nind = em->em_nindir, blocks, bytes;

	blocks = EXT2_NDIR_BLOCKS + nind + nind * nind + nind * nind * nind;
	bytes = blocks << em->em_bshift;
	/* i_blocks counts 512-byte sectors in 32 bits (no huge_file),
	 * indirect blocks included: stay well inside it. */
	return MIN(bytes, ((uint64_t)1 << 41) - ((uint64_t)1 << 32));
}

/* --- Extents (read-only) ------------------------------------------------ */

static int
extent_check(struct ext2_mount *em, uint32_t ino, const uint8_t *h,
    size_t space, int depth_expected)
{
	uint16_t entries = le16get(h, 2), max = le16get(h, 4);
	uint16_t depth = le16get(h, 6);

	if (le16get(h, 0) != EXT4_EXT_MAGIC || entries > max ||
	    12 + (size_t)max * 12 > space || depth > EXT4_EXT_MAX_DEPTH ||
	    (depth_expected >= 0 && depth != depth_expected)) {
		ext2_error(em, "inode %u: bad extent header", ino);
		return EIO;
	}
	return 0;
}

static int extent_walk(struct ext2_node *, uint64_t, uint8_t *, uint64_t *);

static int
extent_bmap(struct ext2_node *n, uint64_t lbn, uint64_t *pbnp)
{
	struct ext2_mount *em = n->n_mnt;
	uint8_t *node;
	int error;

	*pbnp = 0;
	/* Off the stack: kernel threads' stacks may be small. */
	node = kmem_alloc(em->em_bsize, KM_SLEEP);
	if (node == NULL)
		return ENOMEM;
	memcpy(node, n->n_raw + DI_BLOCK, 60);
	error = extent_walk(n, lbn, node, pbnp);
	kmem_free(node, em->em_bsize);
	return error;
}

static int
extent_walk(struct ext2_node *n, uint64_t lbn, uint8_t *node, uint64_t *pbnp)
{
	struct ext2_mount *em = n->n_mnt;
	const uint8_t *e;
	struct buf *bp;
	uint64_t child, start;
	uint32_t len, first;
	int depth, i, entries, found, error;
	size_t space = 60;

	error = extent_check(em, n->n_ino, node, space, -1);
	if (error != 0)
		return error;
	depth = le16get(node, 6);
	for (;;) {
		entries = le16get(node, 2);
		if (depth == 0) {
			for (i = 0; i < entries; i++) {
				e = node + 12 + 12 * i;
				first = le32get(e, 0);
				len = le16get(e, 4);
				start = le32get(e, 8) |
				    (uint64_t)le16get(e, 6) << 32;
				if (lbn < first)
					break;
				if (len > EXT4_EXT_INIT_MAX_LEN) {
					/* Uninitialised: reads as zeros. */
					if (lbn < (uint64_t)first + len -
					    EXT4_EXT_INIT_MAX_LEN)
						return 0;
					continue;
				}
				if (lbn < (uint64_t)first + len) {
					*pbnp = start + (lbn - first);
					if (!ext2_blkno_ok(em, *pbnp)) {
						ext2_error(em, "inode %u: extent "
						    "past the end", n->n_ino);
						*pbnp = 0;
						return EIO;
					}
					return 0;
				}
			}
			return 0;
		}
		found = -1;
		for (i = 0; i < entries; i++) {
			e = node + 12 + 12 * i;
			if (le32get(e, 0) > lbn)
				break;
			found = i;
		}
		if (found < 0)
			return 0;
		e = node + 12 + 12 * found;
		child = le32get(e, 4) | (uint64_t)le16get(e, 8) << 32;
		if (!ext2_blkno_ok(em, child)) {
			ext2_error(em, "inode %u: extent index past the end",
			    n->n_ino);
			return EIO;
		}
		error = bread(em->em_dev, child, em->em_bsize, &bp);
		if (error != 0)
			return error;
		memcpy(node, bp->b_data, em->em_bsize);
		brelse(bp);
		space = em->em_bsize;
		depth--;
		error = extent_check(em, n->n_ino, node, space, depth);
		if (error == 0)
			error = ext2_csum_extblock(n, node);
		if (error != 0)
			return error;
	}
}

/* --- Indirect blocks ----------------------------------------------------- */

/* A new zeroed block near the file's last one. */
static int
alloc_zeroed(struct ext2_node *n, bool zero, int order, uint64_t *bnp)
{
	struct ext2_mount *em = n->n_mnt;
	struct buf *bp;
	int error;

	error = ext2_blkalloc(em, n->n_goal, bnp);
	if (error != 0)
		return error;
	n->n_goal = *bnp + 1;
	n->n_blocks += em->em_bsize / 512;
	n->n_dirty = true;
	if (zero) {
		error = bget(em->em_dev, *bnp, em->em_bsize, &bp);
		if (error != 0)
			return error;
		memset(bp->b_data, 0, em->em_bsize);
		bdwrite(bp, order);
	}
	return 0;
}

int
ext2_bmap(struct ext2_node *n, uint64_t lbn, bool alloc, bool zero,
    uint64_t *pbnp)
{
	struct ext2_mount *em = n->n_mnt;
	uint64_t nind = em->em_nindir, span, cur, next;
	uint32_t *slot;
	struct buf *bp;
	int level, i, error;
	size_t idx;

	*pbnp = 0;
	if (n->n_flags & EXT2_EXTENTS_FL) {
		if (alloc)
			return EROFS;
		return extent_bmap(n, lbn, pbnp);
	}
	if (lbn < EXT2_NDIR_BLOCKS) {
		slot = &n->n_iblock[lbn];
		level = 0;
	} else {
		lbn -= EXT2_NDIR_BLOCKS;
		if (lbn < nind) {
			slot = &n->n_iblock[EXT2_IND_BLOCK];
			level = 1;
		} else if ((lbn -= nind) < nind * nind) {
			slot = &n->n_iblock[EXT2_DIND_BLOCK];
			level = 2;
		} else if ((lbn -= nind * nind) < nind * nind * nind) {
			slot = &n->n_iblock[EXT2_TIND_BLOCK];
			level = 3;
		} else {
			return EFBIG;
		}
	}
	cur = *slot;
	if (cur != 0 && !ext2_blkno_ok(em, cur)) {
		ext2_error(em, "inode %u: block %llu out of range", n->n_ino,
		    (unsigned long long)cur);
		return EIO;
	}
	if (cur == 0) {
		if (!alloc)
			return 0;
		error = alloc_zeroed(n, level > 0 || zero,
		    level > 0 ? B_ORD_META : B_ORD_DATA, &cur);
		if (error != 0)
			return error;
		*slot = (uint32_t)cur;
		n->n_dirty = true;
	}
	for (i = level; i > 0; i--) {
		span = 1;
		for (int k = 1; k < i; k++)
			span *= nind;
		idx = (size_t)((lbn / span) % nind);
		error = bread(em->em_dev, cur, em->em_bsize, &bp);
		if (error != 0)
			return error;
		next = le32get(bp->b_data, idx * 4);
		brelse(bp);
		if (next != 0 && !ext2_blkno_ok(em, next)) {
			ext2_error(em, "inode %u: block %llu out of range",
			    n->n_ino, (unsigned long long)next);
			return EIO;
		}
		if (next == 0) {
			if (!alloc)
				return 0;
			error = alloc_zeroed(n, i > 1 || zero,
			    i > 1 ? B_ORD_META : B_ORD_DATA, &next);
			if (error != 0)
				return error;
			error = bread(em->em_dev, cur, em->em_bsize, &bp);
			if (error != 0)
				return error;
			le32put(bp->b_data, idx * 4, (uint32_t)next);
			bdwrite(bp, B_ORD_META);
		}
		cur = next;
	}
	*pbnp = cur;
	return 0;
}

/* Frees the subtree of indirect block blk (level 1: its entries are data
 * blocks) for logical blocks >= first, where the subtree starts at base.
 * *emptyp says whether blk itself was freed. */
static int
ind_trunc(struct ext2_node *n, uint64_t blk, int level, uint64_t base,
    uint64_t first, bool *freedp)
{
	struct ext2_mount *em = n->n_mnt;
	uint64_t span = 1, child, cbase;
	uint32_t *ptrs;
	struct buf *bp;
	bool changed = false, cfreed, all;
	uint32_t i;
	int error = 0, k;

	*freedp = false;
	if (!ext2_blkno_ok(em, blk)) {
		ext2_error(em, "inode %u: indirect block %llu out of range",
		    n->n_ino, (unsigned long long)blk);
		*freedp = true;		/* drop the bad pointer */
		return 0;
	}
	for (k = 1; k < level; k++)
		span *= em->em_nindir;
	ptrs = kmem_alloc(em->em_bsize, KM_SLEEP);
	if (ptrs == NULL)
		return ENOMEM;
	error = bread(em->em_dev, blk, em->em_bsize, &bp);
	if (error != 0)
		goto out;
	memcpy(ptrs, bp->b_data, em->em_bsize);
	brelse(bp);
	all = first <= base;
	for (i = 0; i < em->em_nindir; i++) {
		child = ptrs[i];
		cbase = base + (uint64_t)i * span;
		if (child == 0 || cbase + span <= first)
			continue;
		if (level == 1) {
			if (ext2_blkno_ok(em, child))
				(void)ext2_blkfree(em, child);
			n->n_blocks -= MIN(n->n_blocks, em->em_bsize / 512);
			cfreed = true;
		} else {
			error = ind_trunc(n, child, level - 1, cbase, first,
			    &cfreed);
			if (error != 0)
				break;
		}
		if (cfreed) {
			ptrs[i] = 0;
			changed = true;
		}
	}
	if (error == 0 && all) {
		(void)ext2_blkfree(em, blk);
		n->n_blocks -= MIN(n->n_blocks, em->em_bsize / 512);
		*freedp = true;
	} else if (changed) {
		error = bread(em->em_dev, blk, em->em_bsize, &bp);
		if (error == 0) {
			memcpy(bp->b_data, ptrs, em->em_bsize);
			bdwrite(bp, B_ORD_META);
		}
	}
 out:
	kmem_free(ptrs, em->em_bsize);
	return error;
}

int
ext2_truncate(struct ext2_node *n, uint64_t size)
{
	struct ext2_mount *em = n->n_mnt;
	uint64_t nind = em->em_nindir, first, base, pbn;
	size_t off;
	struct buf *bp;
	bool freed;
	int i, error;

	if (n->n_flags & EXT2_EXTENTS_FL)
		return EROFS;
	/* Symlinks kept in the inode have no blocks; device nodes keep
	 * their numbers in i_block, which are no block numbers either
	 * (freeing them would free whatever blocks they happen to name). */
	if (ext2_is_fast_symlink(n))
		return 0;
	switch (n->n_mode & EXT2_S_IFMT) {
	case EXT2_S_IFCHR:
	case EXT2_S_IFBLK:
	case EXT2_S_IFIFO:
	case EXT2_S_IFSOCK:
		return 0;
	}
	off = (size_t)(size & (em->em_bsize - 1));
	if (off != 0 && size < n->n_size) {
		/* Bytes past the new end must read as zeros if the file
		 * grows again. */
		error = ext2_bmap(n, size >> em->em_bshift, false, false, &pbn);
		if (error == 0 && pbn != 0) {
			error = bread(em->em_dev, pbn, em->em_bsize, &bp);
			if (error == 0) {
				memset((uint8_t *)bp->b_data + off, 0,
				    em->em_bsize - off);
				bdwrite(bp, B_ORD_DATA);
			}
		}
		if (error != 0)
			return error;
	}
	first = howmany(size, (uint64_t)em->em_bsize);
	for (i = (int)MIN(first, (uint64_t)EXT2_NDIR_BLOCKS);
	    i < EXT2_NDIR_BLOCKS; i++) {
		if (n->n_iblock[i] == 0)
			continue;
		if (ext2_blkno_ok(em, n->n_iblock[i]))
			(void)ext2_blkfree(em, n->n_iblock[i]);
		n->n_blocks -= MIN(n->n_blocks, em->em_bsize / 512);
		n->n_iblock[i] = 0;
	}
	base = EXT2_NDIR_BLOCKS;
	for (i = 1; i <= 3; i++) {
		uint64_t span = nind;

		if (i >= 2)
			span *= nind;
		if (i >= 3)
			span *= nind;
		if (n->n_iblock[EXT2_IND_BLOCK + i - 1] != 0 &&
		    first < base + span) {
			error = ind_trunc(n, n->n_iblock[EXT2_IND_BLOCK + i - 1],
			    i, base, first, &freed);
			if (error != 0)
				return error;
			if (freed)
				n->n_iblock[EXT2_IND_BLOCK + i - 1] = 0;
		}
		base += span;
	}
	n->n_dirty = true;
	return 0;
}

/* Frees the data blocks of logical blocks [first, last) under indirect
 * block blk (level 1: its entries are data blocks; the subtree starts at
 * logical block base), and blk itself once it points at nothing. */
static int
ind_punch(struct ext2_node *n, uint64_t blk, int level, uint64_t base,
    uint64_t first, uint64_t last, bool *freedp)
{
	struct ext2_mount *em = n->n_mnt;
	uint64_t span = 1, cbase;
	uint32_t *ptrs, i;
	struct buf *bp;
	bool changed = false, cfreed, used = false;
	int error, k;

	*freedp = false;
	if (!ext2_blkno_ok(em, blk)) {
		ext2_error(em, "inode %u: indirect block %llu out of range",
		    n->n_ino, (unsigned long long)blk);
		return EIO;
	}
	for (k = 1; k < level; k++)
		span *= em->em_nindir;
	ptrs = kmem_alloc(em->em_bsize, KM_SLEEP);
	if (ptrs == NULL)
		return ENOMEM;
	error = bread(em->em_dev, blk, em->em_bsize, &bp);
	if (error != 0)
		goto out;
	memcpy(ptrs, bp->b_data, em->em_bsize);
	brelse(bp);
	for (i = 0; i < em->em_nindir; i++) {
		cbase = base + (uint64_t)i * span;
		if (ptrs[i] != 0 && cbase + span > first && cbase < last) {
			if (level == 1) {
				if (ext2_blkno_ok(em, ptrs[i]))
					(void)ext2_blkfree(em, ptrs[i]);
				n->n_blocks -= MIN(n->n_blocks,
				    em->em_bsize / 512);
				cfreed = true;
			} else {
				error = ind_punch(n, ptrs[i], level - 1, cbase,
				    first, last, &cfreed);
				if (error != 0)
					break;
			}
			if (cfreed) {
				ptrs[i] = 0;
				changed = true;
			}
		}
		if (ptrs[i] != 0)
			used = true;
	}
	if (!used && error == 0) {
		(void)ext2_blkfree(em, blk);
		n->n_blocks -= MIN(n->n_blocks, em->em_bsize / 512);
		*freedp = true;
	} else if (changed) {
		int error2 = bread(em->em_dev, blk, em->em_bsize, &bp);

		if (error2 == 0) {
			memcpy(bp->b_data, ptrs, em->em_bsize);
			bdwrite(bp, B_ORD_META);
		} else if (error == 0) {
			error = error2;
		}
	}
 out:
	kmem_free(ptrs, em->em_bsize);
	return error;
}

int
ext2_punch(struct ext2_node *n, uint64_t first, uint64_t last)
{
	struct ext2_mount *em = n->n_mnt;
	uint64_t nind = em->em_nindir, base, span, i;
	bool freed;
	int level, error;

	if (n->n_flags & EXT2_EXTENTS_FL)
		return EROFS;
	for (i = first; i < last && i < EXT2_NDIR_BLOCKS; i++) {
		if (n->n_iblock[i] == 0)
			continue;
		if (ext2_blkno_ok(em, n->n_iblock[i]))
			(void)ext2_blkfree(em, n->n_iblock[i]);
		n->n_blocks -= MIN(n->n_blocks, em->em_bsize / 512);
		n->n_iblock[i] = 0;
	}
	n->n_dirty = true;
	base = EXT2_NDIR_BLOCKS;
	span = nind;
	for (level = 1; level <= 3; level++, base += span, span *= nind) {
		uint32_t *slot = &n->n_iblock[EXT2_IND_BLOCK + level - 1];

		if (*slot == 0 || first >= base + span || last <= base)
			continue;
		error = ind_punch(n, *slot, level, base, first, last, &freed);
		if (error != 0)
			return error;
		if (freed)
			*slot = 0;
	}
	return 0;
}
