/*
 * ext2fs_dir.c: directories, linear and indexed.
 *
 * A directory is a sequence of blocks, each covered exactly by records
 * (inode, rec_len, name_len, file_type, name).
 *
 * Indexed directories (feature dir_index, inode flag EXT2_INDEX_FL, the
 * "htree"): block 0 is the dx_root: "." (rec_len 12), ".." (rec_len the
 * rest of the block), then at byte 24 dx_root_info (reserved_zero 4,
 * hash_version 1, info_length 1 = 8, indirect_levels 1, unused_flags
 * 1) and the index entries: the first is (limit 2, count 2, block 4),
 * the others (hash 4, block 4), sorted by hash; entry i covers the
 * hashes from its own (the first: from 0) up to the next one's.
 * With indirect_levels > 0 the entries lead to dx_node blocks: one
 * empty record (inode 0, rec_len the block) then the same table from
 * byte 8.  The last level leads to leaf blocks, ordinary directory
 * blocks holding the names of that hash range.  A hash's lowest bit in
 * the index marks a leaf that continues the previous one's last hash
 * (names whose hashes collide).  With metadata_csum an 8-byte dx_tail
 * follows the table (limit is one entry less), checked on every read.
 * The format makes the index blocks look like empty records to a
 * linear reader.
 *
 * Lookups go through the index when it is sound; an index that fails
 * any check (limits, counts, levels, block numbers past the directory,
 * an unknown hash) is reported on the console and the directory is read
 * linearly instead, as Linux does.  Changes keep the index valid: a
 * removal or a rewrite changes a leaf only; a new name goes into the
 * leaf its hash selects, which splits in two by hash when full
 * (dx_split), its index node splitting into the level above first when
 * that is full too (dx_split_node), and the tree growing a level when
 * the root is full (dx_add_level): root -> nodes -> leaves, the most
 * ext2/3 allow (largedir, the ext4 feature for a third level, is
 * refused for writing at mount).  When that tree is full too the
 * directory loses its index flag, which the format allows: e2fsck
 * accepts it, Linux reads it linearly and e2fsck -D can rebuild the
 * index.  A linear directory whose single block is full becomes indexed
 * when the file system has dir_index (dx_make_indexed), as on Linux, so
 * that directories strata fills are indexed like those Linux fills.
 *
 * Every record is checked against its block before use; a bad one makes
 * the operation fail with EIO (and a console message).
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/libkern.h>
#include <kern/kmem.h>
#include <kern/pcounter.h>
#include <vfs/vnode.h>
#include <vfs/buf.h>

#include "ext2fs.h"

/* Number of blocks of the directory. */
static uint64_t
dir_nblocks(const struct ext2_node *dn)
{

	return dn->n_size >> dn->n_mnt->em_bshift;
}

static struct pcounter dirblk_reads;

uint64_t
ext2_dirblk_reads(void)
{

	return (uint64_t)pcounter_read(&dirblk_reads);
}

static int
dir_bread(struct ext2_node *dn, uint64_t lbn, struct buf **bpp)
{
	struct ext2_mount *em = dn->n_mnt;
	uint64_t pbn;
	int error;

	pcounter_add(&dirblk_reads, 1);
	error = ext2_bmap(dn, lbn, false, false, &pbn);
	if (error != 0)
		return error;
	if (pbn == 0) {
		ext2_error(em, "directory inode %u: hole at block %llu",
		    dn->n_ino, (unsigned long long)lbn);
		return EIO;
	}
	error = bread(em->em_dev, pbn, em->em_bsize, bpp);
	if (error != 0)
		return error;
	error = ext2_csum_dirblock(dn, lbn, (*bpp)->b_data);
	if (error != 0)
		brelse(*bpp);
	return error;
}

struct dirent_view {
	uint32_t	d_ino;
	uint32_t	d_reclen;
	uint32_t	d_namelen;
	uint8_t		d_type;
	const char	*d_name;
};

/* Decodes and checks the record at off of a directory block. */
static int
dirent_get(struct ext2_node *dn, const uint8_t *blk, size_t off,
    struct dirent_view *d)
{
	struct ext2_mount *em = dn->n_mnt;
	size_t bsize = em->em_bsize;

	if (off + DIRENT_HDR > bsize)
		goto bad;
	d->d_ino = le32get(blk, off);
	d->d_reclen = le16get(blk, off + 4);
	d->d_namelen = blk[off + 6];
	d->d_type = blk[off + 7];
	if ((em->em_incompat & INCOMPAT_FILETYPE) == 0) {
		d->d_namelen |= (uint32_t)blk[off + 7] << 8;
		d->d_type = EXT2_FT_UNKNOWN;
	}
	d->d_name = (const char *)blk + off + DIRENT_HDR;
	if (d->d_reclen < DIRENT_HDR || d->d_reclen % 4 != 0 ||
	    d->d_reclen > bsize - off ||
	    d->d_namelen + DIRENT_HDR > d->d_reclen ||
	    d->d_ino > em->em_inodes)
		goto bad;
	return 0;
 bad:
	ext2_error(em, "directory inode %u: bad entry at offset %zu",
	    dn->n_ino, off);
	return EIO;
}

static void
dirent_put(struct ext2_mount *em, uint8_t *blk, size_t off, uint32_t ino,
    uint32_t reclen, const char *name, size_t namelen, uint16_t mode)
{
	static const uint8_t ftype[16] = {
		[EXT2_S_IFREG >> 12] = EXT2_FT_REG_FILE,
		[EXT2_S_IFDIR >> 12] = EXT2_FT_DIR,
		[EXT2_S_IFCHR >> 12] = EXT2_FT_CHRDEV,
		[EXT2_S_IFBLK >> 12] = EXT2_FT_BLKDEV,
		[EXT2_S_IFIFO >> 12] = EXT2_FT_FIFO,
		[EXT2_S_IFSOCK >> 12] = EXT2_FT_SOCK,
		[EXT2_S_IFLNK >> 12] = EXT2_FT_SYMLINK,
	};

	le32put(blk, off, ino);
	le16put(blk, off + 4, (uint16_t)reclen);
	blk[off + 6] = (uint8_t)namelen;
	blk[off + 7] = (em->em_incompat & INCOMPAT_FILETYPE) ?
	    ftype[(mode >> 12) & 15] : 0;
	if (name != NULL)
		memcpy(blk + off + DIRENT_HDR, name, namelen);
}

/*
 * Searches block lbn for name: its offset and the offset of the record
 * before it (SIZE_MAX when it is the first).  ENOENT when not there.
 */
static int
dir_search_block(struct ext2_node *dn, uint64_t lbn, const char *name,
    size_t namelen, size_t *offp, size_t *prevp, uint32_t *inop)
{
	struct ext2_mount *em = dn->n_mnt;
	struct dirent_view d;
	struct buf *bp;
	size_t off, prev = SIZE_MAX;
	int error;

	error = dir_bread(dn, lbn, &bp);
	if (error != 0)
		return error;
	for (off = 0; off < em->em_bsize; off += d.d_reclen) {
		error = dirent_get(dn, bp->b_data, off, &d);
		if (error != 0) {
			brelse(bp);
			return error;
		}
		if (d.d_ino != 0 && d.d_namelen == namelen &&
		    memcmp(d.d_name, name, namelen) == 0) {
			brelse(bp);
			*offp = off;
			*prevp = prev;
			*inop = d.d_ino;
			return 0;
		}
		prev = off;
	}
	brelse(bp);
	return ENOENT;
}

/* --- The hashed index ------------------------------------------------ */

#define DX_ROOT_INFO		24	/* dx_root_info in block 0 */
#define DX_ROOT_INFO_LEN	8
#define DX_NODE_ENTRIES		8	/* after the empty record */
#define DX_ENTRY		8
#define DX_TAIL			8	/* with metadata_csum */
#define DX_MAXLEVELS		3	/* with largedir; 2 without */
#define DX_BLOCK_MASK		0x0fffffffu

/* Where a lookup went at each level of the index. */
struct dx_frame {
	uint64_t	lbn;		/* the index block */
	uint32_t	off;		/* of its entry table */
	uint32_t	at, count;	/* entry taken, entries */
};

struct dx_path {
	uint32_t	hash;
	unsigned	version;	/* EXT2_HASH_*, signedness applied */
	uint32_t	seed[4];
	unsigned	levels;		/* index blocks on the way: 1..3 */
	struct dx_frame	f[DX_MAXLEVELS];
};

/* Reports a damaged index once per lookup; the caller reads linearly. */
static int
dx_bad(struct ext2_node *dn, const char *what, uint64_t lbn)
{

	ext2_error(dn->n_mnt, "directory inode %u: bad hash index (%s, "
	    "block %llu), reading it linearly", dn->n_ino, what,
	    (unsigned long long)lbn);
	return EAGAIN;
}

/* Whether dn's index is there to be used. */
static bool
dx_indexed(const struct ext2_node *dn)
{

	return (dn->n_mnt->em_compat & COMPAT_DIR_INDEX) != 0 &&
	    (dn->n_flags & EXT2_INDEX_FL) != 0;
}

/* The entry table of index block blk at off: checks limit and count and
 * fills the frame's off and count. */
static int
dx_table(struct ext2_node *dn, const uint8_t *blk, uint64_t lbn,
    uint32_t off, struct dx_frame *f)
{
	struct ext2_mount *em = dn->n_mnt;
	uint32_t limit, count, want;
	int error;

	want = (em->em_bsize - off -
	    (ext2_csum_enabled(em) ? DX_TAIL : 0)) / DX_ENTRY;
	limit = le16get(blk, off);
	count = le16get(blk, off + 2);
	if (limit != want)
		return dx_bad(dn, "limit", lbn);
	if (count == 0 || count > limit)
		return dx_bad(dn, "count", lbn);
	/* A sound index whose checksum fails: EIO, as for a leaf. */
	error = ext2_csum_dxblock(dn, lbn, blk, off);
	if (error != 0)
		return error;
	f->lbn = lbn;
	f->off = off;
	f->count = count;
	return 0;
}

static uint32_t
dx_hash_at(const uint8_t *blk, const struct dx_frame *f, uint32_t i)
{

	return i == 0 ? 0 : le32get(blk, f->off + i * DX_ENTRY);
}

/* The block entry f->at leads to, checked against the directory. */
static int
dx_child(struct ext2_node *dn, const uint8_t *blk, const struct dx_frame *f,
    uint64_t *lbnp)
{
	uint64_t lbn;

	lbn = le32get(blk, f->off + f->at * DX_ENTRY + 4) & DX_BLOCK_MASK;
	if (lbn == 0 || lbn >= dir_nblocks(dn))
		return dx_bad(dn, "block number past the directory", f->lbn);
	*lbnp = lbn;
	return 0;
}

/* Reads the dx_node at lbn into frame f. */
static int
dx_node(struct ext2_node *dn, uint64_t lbn, struct dx_frame *f,
    struct buf **bpp)
{
	struct ext2_mount *em = dn->n_mnt;
	const uint8_t *blk;
	int error;

	error = dir_bread(dn, lbn, bpp);
	if (error != 0)
		return error;
	blk = (*bpp)->b_data;
	if (le32get(blk, 0) != 0 || le16get(blk, 4) != em->em_bsize) {
		brelse(*bpp);
		return dx_bad(dn, "index node header", lbn);
	}
	error = dx_table(dn, blk, lbn, DX_NODE_ENTRIES, f);
	if (error != 0)
		brelse(*bpp);
	return error;
}

/*
 * Walks the index from the root to the leaf that holds the hash of
 * name.  0 with *leafp; EAGAIN when the index cannot be used (the
 * caller reads linearly); another errno for an I/O error.
 */
static int
dx_probe(struct ext2_node *dn, const char *name, size_t namelen,
    struct dx_path *p, uint64_t *leafp)
{
	struct ext2_mount *em = dn->n_mnt;
	const uint8_t *blk;
	struct dx_frame *f;
	struct buf *bp;
	uint32_t version, lo, hi, mid;
	unsigned levels, maxlevels, i;
	uint64_t child;
	int error;

	if (dir_nblocks(dn) < 2)
		return dx_bad(dn, "too small", 0);
	error = dir_bread(dn, 0, &bp);
	if (error != 0)
		return error;
	blk = bp->b_data;
	version = blk[DX_ROOT_INFO + 4];
	levels = blk[DX_ROOT_INFO + 6] + 1u;
	maxlevels = (em->em_incompat & INCOMPAT_LARGEDIR) ? 3 : 2;
	if (le16get(blk, 4) != 12 ||
	    blk[6] != 1 || le16get(blk, 12 + 4) != em->em_bsize - 12 ||
	    blk[12 + 6] != 2) {
		error = dx_bad(dn, "root's \".\" and \"..\"", 0);
		goto out;
	}
	if (le32get(blk, DX_ROOT_INFO) != 0 ||
	    blk[DX_ROOT_INFO + 5] != DX_ROOT_INFO_LEN ||
	    (blk[DX_ROOT_INFO + 7] & 1) != 0) {
		error = dx_bad(dn, "root info", 0);
		goto out;
	}
	if (levels > maxlevels) {
		error = dx_bad(dn, "too many levels", 0);
		goto out;
	}
	if (version <= EXT2_HASH_TEA &&
	    (le32get(em->em_sb, SB_FLAGS) & EXT2_FLAGS_UNSIGNED_HASH))
		version += EXT2_HASH_LEGACY_UNSIGNED;
	for (i = 0; i < 4; i++)
		p->seed[i] = le32get(em->em_sb, SB_HASH_SEED + 4 * i);
	p->version = version;
	if (ext2_dirhash(version, p->seed, name, namelen, &p->hash) != 0) {
		error = dx_bad(dn, "unknown hash version", 0);
		goto out;
	}
	error = dx_table(dn, blk, 0, DX_ROOT_INFO + DX_ROOT_INFO_LEN, &p->f[0]);
	if (error != 0)
		goto out;
	p->levels = levels;
	for (i = 0;; i++) {
		f = &p->f[i];
		/* The last entry whose hash is at most ours. */
		lo = 1;
		hi = f->count;
		while (lo < hi) {
			mid = lo + (hi - lo) / 2;
			if (dx_hash_at(blk, f, mid) > p->hash)
				hi = mid;
			else
				lo = mid + 1;
		}
		f->at = lo - 1;
		error = dx_child(dn, blk, f, &child);
		brelse(bp);
		if (error != 0)
			return error;
		if (i + 1 == levels)
			break;
		error = dx_node(dn, child, &p->f[i + 1], &bp);
		if (error != 0)
			return error;
		blk = bp->b_data;
	}
	*leafp = child;
	return 0;
 out:
	brelse(bp);
	return error;
}

/*
 * The leaf after the current one when it continues the same hash (the
 * collision bit): 0 with *leafp, ENOENT when there is none, EAGAIN for a
 * damaged index.
 */
static int
dx_next_leaf(struct ext2_node *dn, struct dx_path *p, uint64_t *leafp)
{
	struct dx_frame *f;
	struct buf *bp;
	uint32_t hash;
	uint64_t child;
	int i, error;

	/* Up to the first level that has an entry after the one taken. */
	for (i = (int)p->levels - 1; i >= 0; i--)
		if (p->f[i].at + 1 < p->f[i].count)
			break;
	if (i < 0)
		return ENOENT;
	f = &p->f[i];
	error = dir_bread(dn, f->lbn, &bp);
	if (error != 0)
		return error;
	f->at++;
	hash = dx_hash_at(bp->b_data, f, f->at);
	if ((hash & ~1u) != p->hash) {
		brelse(bp);
		return ENOENT;
	}
	/* Down the first entries to the leaf. */
	for (;;) {
		error = dx_child(dn, bp->b_data, f, &child);
		brelse(bp);
		if (error != 0)
			return error;
		if (++i == (int)p->levels)
			break;
		f = &p->f[i];
		error = dx_node(dn, child, f, &bp);
		if (error != 0)
			return error;
		f->at = 0;
	}
	*leafp = child;
	return 0;
}

/* Looks name up through the index: as dir_find, or EAGAIN when the
 * index cannot be used. */
static int
dx_find(struct ext2_node *dn, const char *name, size_t namelen,
    uint64_t *lbnp, size_t *offp, size_t *prevp, uint32_t *inop)
{
	struct dx_path p;
	uint64_t leaf, n, nblocks = dir_nblocks(dn);
	int error;

	error = dx_probe(dn, name, namelen, &p, &leaf);
	/* Every leaf at most once: a bound even for a hostile index. */
	for (n = 0; error == 0 && n < nblocks; n++) {
		error = dir_search_block(dn, leaf, name, namelen, offp, prevp,
		    inop);
		if (error == 0) {
			*lbnp = leaf;
			return 0;
		}
		if (error != ENOENT)
			return error;
		error = dx_next_leaf(dn, &p, &leaf);
	}
	return error == 0 ? dx_bad(dn, "leaf chain", leaf) : error;
}

/* Whether name is "." or "..", which live in block 0, not in a leaf. */
static bool
dir_isdots(const char *name, size_t namelen)
{

	return (namelen == 1 && name[0] == '.') ||
	    (namelen == 2 && name[0] == '.' && name[1] == '.');
}

/*
 * Finds name: its block, offset, and the offset of the record before it
 * in the same block (SIZE_MAX when it is the first).
 */
static int
dir_find(struct ext2_node *dn, const char *name, size_t namelen,
    uint64_t *lbnp, size_t *offp, size_t *prevp, uint32_t *inop)
{
	uint64_t lbn, nblocks = dir_nblocks(dn);
	int error;

	if (dx_indexed(dn) && !dir_isdots(name, namelen)) {
		error = dx_find(dn, name, namelen, lbnp, offp, prevp, inop);
		if (error != EAGAIN)
			return error;
	}
	for (lbn = 0; lbn < nblocks; lbn++) {
		error = dir_search_block(dn, lbn, name, namelen, offp, prevp,
		    inop);
		if (error != ENOENT) {
			if (error == 0)
				*lbnp = lbn;
			return error;
		}
	}
	return ENOENT;
}

int
ext2_dir_lookup(struct ext2_node *dn, const char *name, size_t namelen,
    uint32_t *inop, uint64_t *offp)
{
	uint64_t lbn;
	size_t off, prev;
	int error;

	error = dir_find(dn, name, namelen, &lbn, &off, &prev, inop);
	if (error == 0 && offp != NULL)
		*offp = (lbn << dn->n_mnt->em_bshift) + off;
	return error;
}

/* The directory changed. */
static void
dir_changed(struct ext2_node *dn)
{

	ext2_node_touch(dn, true, true);
}

/* Puts the new record in block lbn if it has room: 0, ENOSPC (no
 * room), or an error. */
static int
dir_add_block(struct ext2_node *dn, uint64_t lbn, const char *name,
    size_t namelen, uint32_t ino, uint16_t mode)
{
	struct ext2_mount *em = dn->n_mnt;
	struct dirent_view d;
	struct buf *bp;
	uint32_t need = DIRENT_LEN(namelen), used;
	size_t off;
	int error;

	error = dir_bread(dn, lbn, &bp);
	if (error != 0)
		return error;
	for (off = 0; off < em->em_bsize; off += d.d_reclen) {
		error = dirent_get(dn, bp->b_data, off, &d);
		if (error != 0) {
			brelse(bp);
			return error;
		}
		if (d.d_ino == 0 && d.d_reclen >= need) {
			dirent_put(em, bp->b_data, off, ino, d.d_reclen,
			    name, namelen, mode);
			bdwrite(bp, B_ORD_META);
			return 0;
		}
		used = d.d_ino == 0 ? 0 : DIRENT_LEN(d.d_namelen);
		if (d.d_ino != 0 && d.d_reclen >= used + need) {
			le16put(bp->b_data, off + 4, (uint16_t)used);
			dirent_put(em, bp->b_data, off + used, ino,
			    d.d_reclen - used, name, namelen, mode);
			bdwrite(bp, B_ORD_META);
			return 0;
		}
	}
	brelse(bp);
	return ENOSPC;
}

/* Limit of the entry table at off of an index block. */
static uint32_t
dx_limit(const struct ext2_mount *em, uint32_t off)
{

	return (em->em_bsize - off -
	    (ext2_csum_enabled(em) ? DX_TAIL : 0)) / DX_ENTRY;
}

/* Index blocks on the way from the root to a leaf that the format
 * allows: the root and one level of nodes, a second with largedir. */
static unsigned
dx_maxlevels(const struct ext2_mount *em)
{

	return (em->em_incompat & INCOMPAT_LARGEDIR) ? DX_MAXLEVELS : 2;
}

/* Whether the directory may grow by a block that the index can name
 * (28-bit block numbers; below 4 GiB without largedir). */
static bool
dx_can_grow(const struct ext2_node *dn)
{
	const struct ext2_mount *em = dn->n_mnt;

	return dir_nblocks(dn) <= DX_BLOCK_MASK &&
	    (dn->n_size + em->em_bsize <= 0xffffffffULL ||
	    (em->em_incompat & INCOMPAT_LARGEDIR) != 0);
}

/* Appends a block to the directory: its buffer, its number. */
static int
dir_append(struct ext2_node *dn, uint64_t *lbnp, struct buf **bpp)
{
	struct ext2_mount *em = dn->n_mnt;
	uint64_t lbn = dir_nblocks(dn), pbn;
	int error;

	error = ext2_bmap(dn, lbn, true, true, &pbn);
	if (error != 0)
		return error;
	error = bread(em->em_dev, pbn, em->em_bsize, bpp);
	if (error != 0)
		return error;
	memset((*bpp)->b_data, 0, em->em_bsize);
	dn->n_size += em->em_bsize;
	dn->n_dirty = true;
	*lbnp = lbn;
	return 0;
}

/*
 * A full index node (level >= 1 of p) is split: its upper half of
 * entries goes to a new node at the end of the directory, which gets an
 * entry in the level above (ENOSPC when that one is full too).  The
 * frame of the level is moved to the half that now holds the path.
 */
static int
dx_split_node(struct ext2_node *dn, struct dx_path *p, unsigned level)
{
	struct ext2_mount *em = dn->n_mnt;
	struct dx_frame *f = &p->f[level], *up = &p->f[level - 1];
	struct buf *bp, *nbp, *ubp;
	uint64_t newlbn;
	uint32_t count, keep, move, hash, uoff;
	uint8_t *b, *nb, *ub;
	int error;

	if (up->count >= dx_limit(em, up->off) || !dx_can_grow(dn))
		return ENOSPC;
	error = dir_bread(dn, up->lbn, &ubp);
	if (error != 0)
		return error;
	error = dir_bread(dn, f->lbn, &bp);
	if (error != 0) {
		brelse(ubp);
		return error;
	}
	ub = ubp->b_data;
	b = bp->b_data;
	count = le16get(b, f->off + 2);
	if (count != f->count || count < 2 ||
	    le16get(ub, up->off + 2) != up->count) {
		brelse(bp);
		brelse(ubp);
		return dx_bad(dn, "changed under a split", f->lbn);
	}
	error = dir_append(dn, &newlbn, &nbp);
	if (error != 0) {
		brelse(bp);
		brelse(ubp);
		return error;
	}
	keep = count / 2;
	move = count - keep;
	hash = le32get(b, f->off + keep * DX_ENTRY);
	/* The new node: an empty record over the block, then the moved
	 * entries, whose first keeps only its block (its hash goes up). */
	nb = nbp->b_data;
	le16put(nb, 4, (uint16_t)em->em_bsize);
	memcpy(nb + DX_NODE_ENTRIES, b + f->off + keep * DX_ENTRY,
	    (size_t)move * DX_ENTRY);
	le16put(nb, DX_NODE_ENTRIES, (uint16_t)dx_limit(em, DX_NODE_ENTRIES));
	le16put(nb, DX_NODE_ENTRIES + 2, (uint16_t)move);
	le16put(b, f->off + 2, (uint16_t)keep);
	/* Its entry above, after the one that led here. */
	uoff = up->off + (up->at + 1) * DX_ENTRY;
	memmove(ub + uoff + DX_ENTRY, ub + uoff,
	    (size_t)(up->count - up->at - 1) * DX_ENTRY);
	le32put(ub, uoff, hash);
	le32put(ub, uoff + 4, (uint32_t)newlbn);
	le16put(ub, up->off + 2, (uint16_t)(up->count + 1));
	up->count++;
	if (f->at >= keep) {
		up->at++;
		f->lbn = newlbn;
		f->off = DX_NODE_ENTRIES;
		f->at -= keep;
		f->count = move;
	} else {
		f->count = keep;
	}
	bdwrite(nbp, B_ORD_META);
	bdwrite(bp, B_ORD_META);
	bdwrite(ubp, B_ORD_META);
	return 0;
}

/*
 * The root is full and so is every level below it on p's way: the
 * tree grows by one level, as Linux does.  All of the root's entries
 * move to a new index node at the end of the directory (whose table
 * has a few more slots than the root's), and the root keeps one entry,
 * for that node; indirect_levels goes up by one.  ENOSPC when the
 * format allows no more levels (2 without largedir: the caller then
 * drops the index) or the directory cannot grow.
 */
static int
dx_add_level(struct ext2_node *dn, struct dx_path *p)
{
	struct ext2_mount *em = dn->n_mnt;
	struct dx_frame *f = &p->f[0];
	struct buf *bp, *nbp;
	uint64_t newlbn;
	uint32_t count;
	uint8_t *b, *nb;
	int error;

	if (p->levels >= dx_maxlevels(em) || !dx_can_grow(dn))
		return ENOSPC;
	error = dir_bread(dn, 0, &bp);
	if (error != 0)
		return error;
	b = bp->b_data;
	count = le16get(b, f->off + 2);
	if (count != f->count || b[DX_ROOT_INFO + 6] + 1u != p->levels) {
		brelse(bp);
		return dx_bad(dn, "changed under a split", 0);
	}
	error = dir_append(dn, &newlbn, &nbp);
	if (error != 0) {
		brelse(bp);
		return error;
	}
	nb = nbp->b_data;
	le16put(nb, 4, (uint16_t)em->em_bsize);
	memcpy(nb + DX_NODE_ENTRIES, b + f->off, (size_t)count * DX_ENTRY);
	le16put(nb, DX_NODE_ENTRIES, (uint16_t)dx_limit(em, DX_NODE_ENTRIES));
	le16put(nb, DX_NODE_ENTRIES + 2, (uint16_t)count);
	memset(b + f->off + DX_ENTRY, 0, (size_t)(count - 1) * DX_ENTRY);
	le16put(b, f->off + 2, 1);
	le32put(b, f->off + 4, (uint32_t)newlbn);
	b[DX_ROOT_INFO + 6]++;
	bdwrite(nbp, B_ORD_META);
	bdwrite(bp, B_ORD_META);
	return 0;
}

/* A record of a leaf being split: where it is, its size, its hash. */
struct dx_map {
	uint32_t	off;
	uint32_t	len;		/* DIRENT_LEN of its name */
	uint32_t	reclen;		/* its record's length in the leaf */
	uint32_t	hash;
};

/* Copies the records of map[first, last) from src to dst packed from
 * byte 0, the last one taking the rest of the block. */
static void
dx_pack(struct ext2_mount *em, uint8_t *dst, const uint8_t *src,
    const struct dx_map *map, size_t first, size_t last)
{
	uint32_t off = 0;
	size_t i;

	memset(dst, 0, em->em_bsize);
	for (i = first; i < last; i++) {
		memcpy(dst + off, src + map[i].off, map[i].len);
		le16put(dst, off + 4, (uint16_t)(i + 1 == last ?
		    em->em_bsize - off : map[i].len));
		off += map[i].len;
	}
	if (first == last)		/* no record: one empty one */
		le16put(dst, 4, (uint16_t)em->em_bsize);
}

/*
 * The leaf at leaf (the one p led to) has no room for a new name: its
 * records are sorted by hash and the upper ones, about half of the
 * record lengths, go to a new block at the end of the directory; the bottom
 * index block gets an entry for it (the collision bit set when the
 * halves share a hash), as Linux does.  The bottom index block must
 * have room (ENOSPC otherwise).  *leafp: the block the new name goes
 * in.
 */
static int
dx_split(struct ext2_node *dn, struct dx_path *p, uint64_t leaf,
    uint64_t *leafp)
{
	struct ext2_mount *em = dn->n_mnt;
	struct dx_frame *f = &p->f[p->levels - 1];
	struct dirent_view d;
	struct dx_map *map = NULL, tmp;
	struct buf *bp = NULL, *nbp, *ibp;
	uint64_t newlbn;
	uint32_t hash2, limit, count, size;
	uint8_t *copy = NULL, *ib;
	size_t n = 0, i, j, off, split, mapsz;
	int error;

	if (f->count >= dx_limit(em, f->off) || !dx_can_grow(dn))
		return ENOSPC;
	mapsz = (em->em_bsize / DIRENT_HDR) * sizeof(*map);
	map = kmem_alloc(mapsz, KM_SLEEP);
	copy = kmem_alloc(em->em_bsize, KM_SLEEP);
	if (map == NULL || copy == NULL) {
		error = ENOMEM;
		goto out;
	}
	error = dir_bread(dn, leaf, &bp);
	if (error != 0)
		goto out;
	memcpy(copy, bp->b_data, em->em_bsize);
	for (off = 0; off < em->em_bsize; off += d.d_reclen) {
		error = dirent_get(dn, copy, off, &d);
		if (error != 0)
			goto out;
		if (d.d_ino == 0)
			continue;
		map[n].off = (uint32_t)off;
		map[n].len = DIRENT_LEN(d.d_namelen);
		map[n].reclen = d.d_reclen;
		error = ext2_dirhash(p->version, p->seed, d.d_name,
		    d.d_namelen, &map[n].hash);
		if (error != 0)
			goto out;
		n++;
	}
	if (n < 2) {
		error = ENOSPC;
		goto out;
	}
	/* By hash (insertion sort: a block holds at most a few hundred). */
	for (i = 1; i < n; i++) {
		tmp = map[i];
		for (j = i; j > 0 && map[j - 1].hash > tmp.hash; j--)
			map[j] = map[j - 1];
		map[j] = tmp;
	}
	/* The middle by size, as Linux measures it (record lengths, free
	 * room included): the records from the top whose bytes stay
	 * within half the block move (by count when all of them would). */
	size = 0;
	for (split = n; split > 1; split--) {
		if (size + map[split - 1].reclen / 2 > em->em_bsize / 2)
			break;
		size += map[split - 1].reclen;
	}
	if (split <= 1)
		split = n / 2;
	hash2 = map[split].hash;
	if (hash2 == map[split - 1].hash)
		hash2 |= 1;		/* the new leaf continues this hash */

	/* The index entry first: fails before anything is written. */
	error = dir_bread(dn, f->lbn, &ibp);
	if (error != 0)
		goto out;
	ib = ibp->b_data;
	limit = le16get(ib, f->off);
	count = le16get(ib, f->off + 2);
	if (count != f->count || count >= limit || f->at >= count) {
		brelse(ibp);
		error = dx_bad(dn, "changed under a split", f->lbn);
		goto out;
	}
	error = dir_append(dn, &newlbn, &nbp);
	if (error != 0) {
		brelse(ibp);
		goto out;
	}
	dx_pack(em, nbp->b_data, copy, map, split, n);
	dx_pack(em, bp->b_data, copy, map, 0, split);
	bdwrite(nbp, B_ORD_META);
	bdwrite(bp, B_ORD_META);
	bp = NULL;
	off = f->off + (f->at + 1) * DX_ENTRY;
	memmove(ib + off + DX_ENTRY, ib + off,
	    (size_t)(count - f->at - 1) * DX_ENTRY);
	le32put(ib, off, hash2);
	le32put(ib, off + 4, (uint32_t)newlbn);
	le16put(ib, f->off + 2, (uint16_t)(count + 1));
	bdwrite(ibp, B_ORD_META);
	*leafp = p->hash >= (hash2 & ~1u) ? newlbn : leaf;
 out:
	if (bp != NULL)
		brelse(bp);
	if (map != NULL)
		kmem_free(map, mapsz);
	if (copy != NULL)
		kmem_free(copy, em->em_bsize);
	return error;
}

/*
 * Adds a name to an indexed directory, into the leaf its hash selects,
 * which keeps the index valid.  A full leaf splits (dx_split); when the
 * index block above it is full too, the lowest level with room above a
 * run of full ones gets a new entry by splitting the node below it
 * (dx_split_node), or, when even the root is full, the tree grows a
 * level (dx_add_level); then the walk starts again, as in Linux.  With
 * split, the leaf splits before any attempt to add (a directory just
 * made indexed, as Linux does).  ENOSPC when the index cannot take
 * another leaf (the caller drops it), EAGAIN for a damaged index.
 */
static int
dx_add(struct ext2_node *dn, const char *name, size_t namelen,
    uint32_t ino, uint16_t mode, bool split)
{
	struct ext2_mount *em = dn->n_mnt;
	struct dx_path p;
	uint64_t leaf;
	unsigned round, full;
	int error;

	/* Each round adds the name or makes room by one step; a few
	 * more rounds than levels, for a half that is full again. */
	for (round = 0; round < 2 * DX_MAXLEVELS + 2; round++) {
		error = dx_probe(dn, name, namelen, &p, &leaf);
		if (error != 0)
			return error;
		if (!split) {
			error = dir_add_block(dn, leaf, name, namelen, ino,
			    mode);
			if (error != ENOSPC)
				return error;
		}
		split = false;
		/* Levels [full, levels) are full. */
		for (full = p.levels; full > 0 &&
		    p.f[full - 1].count >= dx_limit(em, p.f[full - 1].off);
		    full--)
			continue;
		if (full == p.levels) {
			error = dx_split(dn, &p, leaf, &leaf);
			if (error == 0)
				error = dir_add_block(dn, leaf, name, namelen,
				    ino, mode);
			if (error != ENOSPC)
				return error;
			if (!dx_can_grow(dn))
				return ENOSPC;
			/* The half the name belongs in is still full:
			 * again. */
			continue;
		}
		if (full == 0)
			error = dx_add_level(dn, &p);
		else
			error = dx_split_node(dn, &p, full);
		if (error != 0)
			return error;
	}
	return ENOSPC;
}

/*
 * The directory's only block is full: it becomes indexed, as Linux
 * makes a directory indexed when it grows past its first block.  The
 * records after "." and ".." move to a new block 1 (the last one taking
 * the rest of it), block 0 becomes the root ("." and "..", whose record
 * now covers the dx_root_info and an entry table with one entry, for
 * block 1; the file system's default hash), then block 1 splits by
 * hash and the name goes in the half its hash selects.  ENOSPC when the
 * directory cannot be indexed (an unknown default hash, a first block
 * not laid out as "." then ".."): the caller adds a block.
 */
static int
dx_make_indexed(struct ext2_node *dn, const char *name, size_t namelen,
    uint32_t ino, uint16_t mode)
{
	struct ext2_mount *em = dn->n_mnt;
	struct dirent_view d, dot = { 0 }, dotdot = { 0 };
	struct buf *bp, *nbp;
	uint32_t version;
	uint64_t lbn;
	size_t off, start, last = 0;
	uint8_t *b, *nb;
	int error;

	version = em->em_sb[SB_DEF_HASH_VERSION];
	if (version > EXT2_HASH_TEA || dir_nblocks(dn) != 1 ||
	    !dx_can_grow(dn))
		return ENOSPC;
	error = dir_bread(dn, 0, &bp);
	if (error != 0)
		return error;
	b = bp->b_data;
	/* Every record checked, "." and ".." first. */
	for (off = 0; off < em->em_bsize; off += d.d_reclen) {
		error = dirent_get(dn, b, off, &d);
		if (error != 0) {
			brelse(bp);
			return error;
		}
		if (off == 0)
			dot = d;
		else if (off == 12)
			dotdot = d;
	}
	if (dot.d_reclen != 12 || dot.d_ino == 0 ||
	    !dir_isdots(dot.d_name, dot.d_namelen) || dot.d_namelen != 1 ||
	    dotdot.d_ino == 0 || !dir_isdots(dotdot.d_name, dotdot.d_namelen) ||
	    dotdot.d_namelen != 2 || 12 + dotdot.d_reclen >= em->em_bsize) {
		brelse(bp);
		return ENOSPC;
	}
	start = 12 + dotdot.d_reclen;
	error = dir_append(dn, &lbn, &nbp);
	if (error != 0) {
		brelse(bp);
		return error;
	}
	/* Block 1: the records after "..", the last one to the end. */
	nb = nbp->b_data;
	memcpy(nb, b + start, em->em_bsize - start);
	for (off = 0; off < em->em_bsize - start; off += le16get(nb, off + 4))
		last = off;
	le16put(nb, last + 4, (uint16_t)(em->em_bsize - last));
	/* The root: ".." covers the rest of block 0. */
	le16put(b, 12 + 4, (uint16_t)(em->em_bsize - 12));
	memset(b + DX_ROOT_INFO, 0, em->em_bsize - DX_ROOT_INFO);
	b[DX_ROOT_INFO + 4] = (uint8_t)version;
	b[DX_ROOT_INFO + 5] = DX_ROOT_INFO_LEN;
	off = DX_ROOT_INFO + DX_ROOT_INFO_LEN;
	le16put(b, off, (uint16_t)dx_limit(em, (uint32_t)off));
	le16put(b, off + 2, 1);
	le32put(b, off + 4, (uint32_t)lbn);
	dn->n_flags |= EXT2_INDEX_FL;
	bdwrite(nbp, B_ORD_META);
	bdwrite(bp, B_ORD_META);
	return dx_add(dn, name, namelen, ino, mode, true);
}

/* Puts the new record in the first block with room: ENOSPC when none
 * has. */
static int
dir_add_linear(struct ext2_node *dn, const char *name, size_t namelen,
    uint32_t ino, uint16_t mode)
{
	uint64_t lbn, nblocks = dir_nblocks(dn);
	int error;

	for (lbn = 0; lbn < nblocks; lbn++) {
		error = dir_add_block(dn, lbn, name, namelen, ino, mode);
		if (error != ENOSPC)
			return error;
	}
	return ENOSPC;
}

int
ext2_dir_add(struct ext2_node *dn, const char *name, size_t namelen,
    uint32_t ino, uint16_t mode)
{
	struct ext2_mount *em = dn->n_mnt;
	struct buf *bp;
	uint64_t lbn;
	bool dropped = false;
	int error;

	if (namelen == 0 || namelen > NAME_MAX)
		return EINVAL;
	if (dx_indexed(dn)) {
		error = dx_add(dn, name, namelen, ino, mode, false);
		if (error != ENOSPC && error != EAGAIN)
			goto out;
		dropped = true;
	}
	/* Otherwise (a full index, a damaged one, or an index without
	 * the dir_index feature) the directory is no longer indexed and
	 * any block will do. */
	dn->n_flags &= ~EXT2_INDEX_FL;
	error = dir_add_linear(dn, name, namelen, ino, mode);
	/* A full first block: indexed from now on, with dir_index, as
	 * on Linux (not when an index was just given up). */
	if (error == ENOSPC && !dropped && dir_nblocks(dn) == 1 &&
	    (em->em_compat & COMPAT_DIR_INDEX) != 0) {
		error = dx_make_indexed(dn, name, namelen, ino, mode);
		if (error == ENOSPC || error == EAGAIN) {
			dn->n_flags &= ~EXT2_INDEX_FL;
			error = dir_add_linear(dn, name, namelen, ino, mode);
		}
	}
	if (error == ENOSPC) {
		/* No room: a new block at the end. */
		if (dn->n_size + em->em_bsize > 0xffffffffULL &&
		    (em->em_incompat & INCOMPAT_LARGEDIR) == 0)
			return EFBIG;
		error = dir_append(dn, &lbn, &bp);
		if (error != 0)
			return error;
		dirent_put(em, bp->b_data, 0, ino, em->em_bsize, name,
		    namelen, mode);
		bdwrite(bp, B_ORD_META);
	}
 out:
	if (error != 0)
		return error;
	dir_changed(dn);
	return ext2_node_write(dn);
}

int
ext2_dir_remove(struct ext2_node *dn, const char *name, size_t namelen)
{
	struct buf *bp;
	uint64_t lbn;
	size_t off, prev;
	uint32_t ino;
	uint8_t *blk;
	int error;

	error = dir_find(dn, name, namelen, &lbn, &off, &prev, &ino);
	if (error != 0)
		return error;
	error = dir_bread(dn, lbn, &bp);
	if (error != 0)
		return error;
	blk = bp->b_data;
	if (prev == SIZE_MAX) {
		le32put(blk, off, 0);
	} else {
		le16put(blk, prev + 4, (uint16_t)(le16get(blk, prev + 4) +
		    le16get(blk, off + 4)));
	}
	bdwrite(bp, B_ORD_META);
	dir_changed(dn);
	return ext2_node_write(dn);
}

int
ext2_dir_rewrite(struct ext2_node *dn, const char *name, size_t namelen,
    uint32_t ino, uint16_t mode)
{
	struct ext2_mount *em = dn->n_mnt;
	struct buf *bp;
	uint64_t lbn;
	size_t off, prev;
	uint32_t oino;
	uint8_t *blk;
	int error;

	error = dir_find(dn, name, namelen, &lbn, &off, &prev, &oino);
	if (error != 0)
		return error;
	error = dir_bread(dn, lbn, &bp);
	if (error != 0)
		return error;
	blk = bp->b_data;
	dirent_put(em, blk, off, ino, le16get(blk, off + 4), NULL,
	    blk[off + 6], mode);
	bdwrite(bp, B_ORD_META);
	dir_changed(dn);
	return ext2_node_write(dn);
}

int
ext2_dir_init(struct ext2_node *dn, uint32_t parent)
{
	struct ext2_mount *em = dn->n_mnt;
	struct buf *bp;
	uint64_t pbn;
	int error;

	error = ext2_bmap(dn, 0, true, true, &pbn);
	if (error != 0)
		return error;
	error = bread(em->em_dev, pbn, em->em_bsize, &bp);
	if (error != 0)
		return error;
	dirent_put(em, bp->b_data, 0, dn->n_ino, 12, ".", 1, EXT2_S_IFDIR);
	dirent_put(em, bp->b_data, 12, parent, em->em_bsize - 12, "..", 2,
	    EXT2_S_IFDIR);
	bdwrite(bp, B_ORD_META);
	dn->n_size = em->em_bsize;
	dn->n_dirty = true;
	return 0;
}

int
ext2_dir_isempty(struct ext2_node *dn, bool *emptyp)
{
	struct ext2_mount *em = dn->n_mnt;
	struct dirent_view d;
	struct buf *bp;
	uint64_t lbn, nblocks = dir_nblocks(dn);
	size_t off;
	int error;

	*emptyp = true;
	for (lbn = 0; lbn < nblocks; lbn++) {
		error = dir_bread(dn, lbn, &bp);
		if (error != 0)
			return error;
		for (off = 0; off < em->em_bsize; off += d.d_reclen) {
			error = dirent_get(dn, bp->b_data, off, &d);
			if (error != 0) {
				brelse(bp);
				return error;
			}
			if (d.d_ino == 0)
				continue;
			if ((d.d_namelen == 1 && d.d_name[0] == '.') ||
			    (d.d_namelen == 2 && d.d_name[0] == '.' &&
			    d.d_name[1] == '.'))
				continue;
			*emptyp = false;
			brelse(bp);
			return 0;
		}
		brelse(bp);
	}
	return 0;
}

int
ext2_dir_parent(struct ext2_node *dn, uint32_t *inop)
{
	uint64_t off;
	int error;

	error = ext2_dir_lookup(dn, "..", 2, inop, &off);
	if (error == ENOENT) {
		ext2_error(dn->n_mnt, "directory inode %u has no \"..\"",
		    dn->n_ino);
		error = EIO;
	}
	return error;
}

int
ext2_dir_setparent(struct ext2_node *dn, uint32_t parent)
{

	return ext2_dir_rewrite(dn, "..", 2, parent, EXT2_S_IFDIR);
}

static int
ft_to_dt(uint8_t ft)
{
	static const int dt[] = {
		[EXT2_FT_UNKNOWN] = DT_UNKNOWN, [EXT2_FT_REG_FILE] = DT_REG,
		[EXT2_FT_DIR] = DT_DIR, [EXT2_FT_CHRDEV] = DT_CHR,
		[EXT2_FT_BLKDEV] = DT_BLK, [EXT2_FT_FIFO] = DT_FIFO,
		[EXT2_FT_SOCK] = DT_SOCK, [EXT2_FT_SYMLINK] = DT_LNK,
	};

	return ft < __arraycount(dt) ? dt[ft] : DT_UNKNOWN;
}

int
ext2_dir_readdir(struct ext2_node *dn, off_t off, filldir_fn fill, void *ctx)
{
	struct ext2_mount *em = dn->n_mnt;
	struct dirent_view d;
	struct buf *bp;
	uint64_t lbn, nblocks = dir_nblocks(dn), base;
	size_t boff, start;
	uint8_t *blk;
	int error = 0;

	if (off < 0)
		return EINVAL;
	/* A copy of each block: the callback copies out to the caller,
	 * which must not happen holding a buffer. */
	blk = kmem_alloc(em->em_bsize, KM_SLEEP);
	if (blk == NULL)
		return ENOMEM;
	for (lbn = (uint64_t)off >> em->em_bshift; lbn < nblocks; lbn++) {
		error = dir_bread(dn, lbn, &bp);
		if (error != 0)
			break;
		memcpy(blk, bp->b_data, em->em_bsize);
		brelse(bp);
		base = lbn << em->em_bshift;
		start = (uint64_t)off > base ? (size_t)((uint64_t)off - base) :
		    0;
		for (boff = 0; boff < em->em_bsize; boff += d.d_reclen) {
			error = dirent_get(dn, blk, boff, &d);
			if (error != 0)
				goto out;
			if (boff < start || d.d_ino == 0 || d.d_namelen == 0)
				continue;
			if (fill(ctx, d.d_name, d.d_namelen, d.d_ino,
			    ft_to_dt(d.d_type), (off_t)(base + boff +
			    d.d_reclen)) != 0)
				goto out;
		}
	}
 out:
	kmem_free(blk, em->em_bsize);
	return error;
}
