/*
 * ext2fs_dir.c: directories, linear.
 *
 * A directory is a sequence of blocks, each covered exactly by records
 * (inode, rec_len, name_len, file_type, name).  Indexed directories
 * (dir_index, "htree") are read linearly: the format is designed so that
 * the index blocks look like one empty record to a linear reader.  A
 * directory that this code changes loses its index flag (EXT2_INDEX_FL),
 * which the format allows: e2fsck accepts it, Linux reads it linearly
 * and e2fsck -D can rebuild the index.
 *
 * Every record is checked against its block before use; a bad one makes
 * the operation fail with EIO (and a console message).
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/libkern.h>
#include <kern/kmem.h>
#include <vfs/vnode.h>
#include <vfs/buf.h>

#include "ext2fs.h"

/* Number of blocks of the directory. */
static uint64_t
dir_nblocks(const struct ext2_node *dn)
{

	return dn->n_size >> dn->n_mnt->em_bshift;
}

static int
dir_bread(struct ext2_node *dn, uint64_t lbn, struct buf **bpp)
{
	struct ext2_mount *em = dn->n_mnt;
	uint64_t pbn;
	int error;

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
 * Finds name: its block, offset, and the offset of the record before it
 * in the same block (SIZE_MAX when it is the first).
 */
static int
dir_find(struct ext2_node *dn, const char *name, size_t namelen,
    uint64_t *lbnp, size_t *offp, size_t *prevp, uint32_t *inop)
{
	struct ext2_mount *em = dn->n_mnt;
	struct dirent_view d;
	struct buf *bp;
	uint64_t lbn, nblocks = dir_nblocks(dn);
	size_t off, prev;
	int error;

	for (lbn = 0; lbn < nblocks; lbn++) {
		error = dir_bread(dn, lbn, &bp);
		if (error != 0)
			return error;
		prev = SIZE_MAX;
		for (off = 0; off < em->em_bsize; off += d.d_reclen) {
			error = dirent_get(dn, bp->b_data, off, &d);
			if (error != 0) {
				brelse(bp);
				return error;
			}
			if (d.d_ino != 0 && d.d_namelen == namelen &&
			    memcmp(d.d_name, name, namelen) == 0) {
				brelse(bp);
				*lbnp = lbn;
				*offp = off;
				*prevp = prev;
				*inop = d.d_ino;
				return 0;
			}
			prev = off;
		}
		brelse(bp);
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

/* The directory changed: its index (if any) is no longer maintained. */
static void
dir_changed(struct ext2_node *dn)
{

	dn->n_flags &= ~EXT2_INDEX_FL;
	ext2_node_touch(dn, true, true);
}

int
ext2_dir_add(struct ext2_node *dn, const char *name, size_t namelen,
    uint32_t ino, uint16_t mode)
{
	struct ext2_mount *em = dn->n_mnt;
	struct dirent_view d;
	struct buf *bp;
	uint64_t lbn, nblocks = dir_nblocks(dn), pbn;
	uint32_t need = DIRENT_LEN(namelen), used;
	size_t off;
	int error;

	if (namelen == 0 || namelen > NAME_MAX)
		return EINVAL;
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
			if (d.d_ino == 0 && d.d_reclen >= need) {
				dirent_put(em, bp->b_data, off, ino, d.d_reclen,
				    name, namelen, mode);
				goto done;
			}
			used = d.d_ino == 0 ? 0 : DIRENT_LEN(d.d_namelen);
			if (d.d_ino != 0 && d.d_reclen >= used + need) {
				le16put(bp->b_data, off + 4, (uint16_t)used);
				dirent_put(em, bp->b_data, off + used, ino,
				    d.d_reclen - used, name, namelen, mode);
				goto done;
			}
		}
		brelse(bp);
	}
	/* No room: a new block at the end. */
	if (dn->n_size + em->em_bsize > 0xffffffffULL &&
	    (em->em_incompat & INCOMPAT_LARGEDIR) == 0)
		return EFBIG;
	error = ext2_bmap(dn, nblocks, true, true, &pbn);
	if (error != 0)
		return error;
	error = bread(em->em_dev, pbn, em->em_bsize, &bp);
	if (error != 0)
		return error;
	dirent_put(em, bp->b_data, 0, ino, em->em_bsize, name, namelen, mode);
	dn->n_size += em->em_bsize;
 done:
	bdwrite(bp, B_ORD_META);
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
