/*
 * ext2fs_vfsops.c: mounting ext2 (and ext3/ext4 where their features
 * allow), the superblock and group descriptors, statistics, sync, and
 * registration with the VFS as "ext2", "ext3" and "ext4" (one
 * implementation: the image's feature flags decide what is possible).
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/libkern.h>
#include <kern/lock.h>
#include <kern/kmem.h>
#include <kern/clock.h>
#include <vfs/vnode.h>
#include <vfs/mount.h>
#include <vfs/abi.h>
#include <vfs/buf.h>

#include "ext2fs.h"

/* Contention statistics (kern/lock.h). */
static LOCKSTAT_CLASS(em_lockstat, "ext2 em_lock");
static LOCKSTAT_CLASS(group_lockstat, "ext2 group lock");

void
ext2_error(struct ext2_mount *em, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	printf("ext2fs %s: %s\n", em != NULL && em->em_dev != NULL ?
	    blkdev_name(em->em_dev) : "?", msg);
}

/* Feature names, for the messages that refuse a mount. */
struct feature_name {
	int		 fn_kind;	/* 0 compat, 1 ro_compat, 2 incompat */
	uint32_t	 fn_mask;
	const char	*fn_name;
};
static const struct feature_name feature_names[] = {
	{ 1, RO_COMPAT_SPARSE_SUPER, "sparse_super" },
	{ 1, RO_COMPAT_LARGE_FILE, "large_file" },
	{ 1, RO_COMPAT_BTREE_DIR, "btree_dir" },
	{ 1, RO_COMPAT_HUGE_FILE, "huge_file" },
	{ 1, RO_COMPAT_GDT_CSUM, "uninit_bg" },
	{ 1, RO_COMPAT_DIR_NLINK, "dir_nlink" },
	{ 1, RO_COMPAT_EXTRA_ISIZE, "extra_isize" },
	{ 1, RO_COMPAT_QUOTA, "quota" },
	{ 1, RO_COMPAT_BIGALLOC, "bigalloc" },
	{ 1, RO_COMPAT_METADATA_CSUM, "metadata_csum" },
	{ 1, RO_COMPAT_READONLY, "read-only" },
	{ 1, RO_COMPAT_PROJECT, "project" },
	{ 1, RO_COMPAT_VERITY, "verity" },
	{ 2, INCOMPAT_COMPRESSION, "compression" },
	{ 2, INCOMPAT_FILETYPE, "filetype" },
	{ 2, INCOMPAT_RECOVER, "needs_recovery" },
	{ 2, INCOMPAT_JOURNAL_DEV, "journal_dev" },
	{ 2, INCOMPAT_META_BG, "meta_bg" },
	{ 2, INCOMPAT_EXTENTS, "extent" },
	{ 2, INCOMPAT_64BIT, "64bit" },
	{ 2, INCOMPAT_MMP, "mmp" },
	{ 2, INCOMPAT_FLEX_BG, "flex_bg" },
	{ 2, INCOMPAT_EA_INODE, "ea_inode" },
	{ 2, INCOMPAT_DIRDATA, "dirdata" },
	{ 2, INCOMPAT_CSUM_SEED, "metadata_csum_seed" },
	{ 2, INCOMPAT_LARGEDIR, "large_dir" },
	{ 2, INCOMPAT_INLINE_DATA, "inline_data" },
	{ 2, INCOMPAT_ENCRYPT, "encrypt" },
	{ 2, INCOMPAT_CASEFOLD, "casefold" },
};

static void
feature_refuse(struct ext2_mount *em, int kind, uint32_t bits,
    const char *why)
{
	size_t i;

	for (i = 0; i < __arraycount(feature_names); i++) {
		if (feature_names[i].fn_kind == kind &&
		    (bits & feature_names[i].fn_mask) != 0) {
			ext2_error(em, "%s: feature %s", why,
			    feature_names[i].fn_name);
			return;
		}
	}
	ext2_error(em, "%s: unknown %s feature 0x%x", why,
	    kind == 2 ? "incompat" : "ro_compat", bits);
}

static bool
group_has_super(const struct ext2_mount *em, uint32_t g)
{
	uint32_t p;

	if (g <= 1 || (em->em_ro_compat & RO_COMPAT_SPARSE_SUPER) == 0)
		return true;
	for (p = 3; p <= 7; p += 2) {
		uint64_t v = p;

		while (v < g)
			v *= p;
		if (v == g)
			return true;
	}
	return false;
}

/* Block holding group descriptor block number i. */
static uint64_t
gd_location(const struct ext2_mount *em, uint32_t i)
{
	uint32_t per = em->em_bsize / em->em_desc_size, g;
	uint32_t first_meta = le32get(em->em_sb, SB_FIRST_META_BG);

	if ((em->em_incompat & INCOMPAT_META_BG) == 0 || i < first_meta)
		return (uint64_t)em->em_first_data_block + 1 + i;
	g = i * per;
	return (uint64_t)em->em_first_data_block + (uint64_t)g * em->em_bpg +
	    (group_has_super(em, g) ? 1 : 0);
}

static int
groups_read(struct ext2_mount *em)
{
	uint32_t per = em->em_bsize / em->em_desc_size, i, g;
	struct ext2_group *gp;
	struct buf *bp;
	const uint8_t *d;
	uint64_t gstart, gend, lo, hi;
	int error;

	em->em_groups = kmem_zalloc(sizeof(*em->em_groups) * em->em_ngroups,
	    KM_SLEEP);
	if (em->em_groups == NULL)
		return ENOMEM;
	for (g = 0; g < em->em_ngroups; g++) {
		mutex_init(&em->em_groups[g].g_lock, MUTEX_DEFAULT);
		mutex_setstat(&em->em_groups[g].g_lock, &group_lockstat);
	}
	for (i = 0; i < em->em_gdblocks; i++) {
		uint64_t loc = gd_location(em, i);

		if (!ext2_blkno_ok(em, loc)) {
			ext2_error(em, "group descriptor block %llu out of "
			    "range", (unsigned long long)loc);
			return EINVAL;
		}
		error = bread(em->em_dev, loc, em->em_bsize, &bp);
		if (error != 0)
			return error;
		for (g = i * per; g < em->em_ngroups && g < (i + 1) * per;
		    g++) {
			d = (const uint8_t *)bp->b_data +
			    (g - i * per) * em->em_desc_size;
			error = ext2_csum_gd(em, g, d);
			if (error != 0) {
				brelse(bp);
				return error;
			}
			gp = &em->em_groups[g];
			gp->g_block_bitmap = le32get(d, GD_BLOCK_BITMAP);
			gp->g_inode_bitmap = le32get(d, GD_INODE_BITMAP);
			gp->g_inode_table = le32get(d, GD_INODE_TABLE);
			gp->g_free_blocks = le16get(d, GD_FREE_BLOCKS);
			gp->g_free_inodes = le16get(d, GD_FREE_INODES);
			gp->g_used_dirs = le16get(d, GD_USED_DIRS);
			gp->g_flags = le16get(d, GD_FLAGS);
			if (em->em_desc_size >= 64) {
				gp->g_block_bitmap |= (uint64_t)le32get(d,
				    GD_BLOCK_BITMAP_HI) << 32;
				gp->g_inode_bitmap |= (uint64_t)le32get(d,
				    GD_INODE_BITMAP_HI) << 32;
				gp->g_inode_table |= (uint64_t)le32get(d,
				    GD_INODE_TABLE_HI) << 32;
				gp->g_free_blocks |= (uint32_t)le16get(d,
				    GD_FREE_BLOCKS_HI) << 16;
				gp->g_free_inodes |= (uint32_t)le16get(d,
				    GD_FREE_INODES_HI) << 16;
				gp->g_used_dirs |= (uint32_t)le16get(d,
				    GD_USED_DIRS_HI) << 16;
			}
		}
		brelse(bp);
	}
	for (g = 0; g < em->em_ngroups; g++) {
		gp = &em->em_groups[g];
		gstart = (uint64_t)em->em_first_data_block +
		    (uint64_t)g * em->em_bpg;
		gend = MIN(gstart + em->em_bpg, em->em_blocks);
		/* With flex_bg the metadata of a group may live in another
		 * group: check only that it lies inside the file system. */
		lo = (em->em_incompat & INCOMPAT_FLEX_BG) ?
		    em->em_first_data_block : gstart;
		hi = (em->em_incompat & INCOMPAT_FLEX_BG) ? em->em_blocks : gend;
		if (gp->g_block_bitmap < lo || gp->g_block_bitmap >= hi ||
		    gp->g_inode_bitmap < lo || gp->g_inode_bitmap >= hi ||
		    gp->g_inode_table < lo || gp->g_inode_table >= hi ||
		    em->em_itable_blocks > hi - gp->g_inode_table) {
			ext2_error(em, "group %u: bitmap or inode table out "
			    "of range", g);
			return EINVAL;
		}
		if (gp->g_free_blocks > gend - gstart ||
		    gp->g_free_inodes > em->em_ipg ||
		    gp->g_used_dirs > em->em_ipg) {
			ext2_error(em, "group %u: counts out of range", g);
			return EINVAL;
		}
	}
	/* The descriptors' counts are what the allocator maintains; the
	 * superblock's copy may lag (Linux updates it lazily too). */
	return 0;
}

/* Writes group g's descriptor into its buffer (delayed); its g_lock
 * held. */
int
ext2_group_write(struct ext2_mount *em, uint32_t g)
{
	uint32_t per = em->em_bsize / em->em_desc_size;
	struct ext2_group *gp = &em->em_groups[g];
	struct buf *bp;
	uint8_t *d;
	int error;

	error = bread(em->em_dev, gd_location(em, g / per), em->em_bsize, &bp);
	if (error != 0)
		return error;
	d = (uint8_t *)bp->b_data + (g % per) * em->em_desc_size;
	le16put(d, GD_FREE_BLOCKS, (uint16_t)gp->g_free_blocks);
	le16put(d, GD_FREE_INODES, (uint16_t)gp->g_free_inodes);
	le16put(d, GD_USED_DIRS, (uint16_t)gp->g_used_dirs);
	le16put(d, GD_FLAGS, gp->g_flags);
	bdwrite(bp, B_ORD_SUPER);
	gp->g_dirty = false;
	return 0;
}

/* Writes dirty group descriptors and the superblock into the cache, and
 * everything to the device (durable: with a barrier). */
int
ext2_sbupdate(struct ext2_mount *em, bool durable)
{
	struct timespec now;
	struct buf *bp;
	uint64_t sbblk = EXT2_SB_OFFSET / em->em_bsize;
	size_t sboff = EXT2_SB_OFFSET % em->em_bsize;
	uint32_t g;
	int error;

	if (em->em_ronly)
		return 0;
	/* Each dirty descriptor from its group under the group's lock,
	 * then the superblock with the totals.  Allocation on other CPUs
	 * meanwhile may make them differ by what it changes (as it may
	 * change bitmaps before they are written); with nothing else
	 * running (unmount, a quiet sync) the picture is exact.  One group
	 * lock at a time: a big file system has thousands.  The
	 * write-back itself runs without the locks (see ext2fs.h). */
	error = 0;
	for (g = 0; g < em->em_ngroups && error == 0; g++) {
		mutex_enter(&em->em_groups[g].g_lock);
		if (em->em_groups[g].g_dirty)
			error = ext2_group_write(em, g);
		mutex_exit(&em->em_groups[g].g_lock);
	}
	mutex_enter(&em->em_lock);
	if (error == 0) {
		le32put(em->em_sb, SB_FREE_BLOCKS,
		    (uint32_t)ext2_free_blocks(em));
		le32put(em->em_sb, SB_FREE_INODES,
		    ext2_free_inodes(em));
		getnanotime(&now);
		le32put(em->em_sb, SB_WTIME, (uint32_t)now.tv_sec);
		error = bread(em->em_dev, sbblk, em->em_bsize, &bp);
	}
	if (error == 0) {
		memcpy((uint8_t *)bp->b_data + sboff, em->em_sb,
		    EXT2_SB_SIZE);
		bdwrite(bp, B_ORD_SUPER);
		__atomic_store_n(&em->em_sbdirty, false, __ATOMIC_RELAXED);
	}
	mutex_exit(&em->em_lock);
	if (error != 0)
		return error;
	return bsync(em->em_dev, durable ? BSYNC_DURABLE : 0);
}

static int
ext2_parse_opts(const char *data, bool *ronlyp)
{
	const char *p = data, *e;
	size_t n;

	if (data == NULL)
		return 0;
	while (*p != '\0') {
		e = strchr(p, ',');
		n = e != NULL ? (size_t)(e - p) : strlen(p);
		if (n == 2 && strncmp(p, "ro", 2) == 0)
			*ronlyp = true;
		else if (n == 2 && strncmp(p, "rw", 2) == 0)
			*ronlyp = false;
		else if (n != 0)
			return EINVAL;
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

/* Checks the superblock and fills em's geometry; EINVAL with a message
 * for anything out of range or unsupported. */
static int
sb_check(struct ext2_mount *em, bool ronly)
{
	const uint8_t *sb = em->em_sb;
	uint32_t logbs, unsupp;
	uint64_t devblocks, ngroups;
	int error;

	/* Silently: trying file system types in turn is normal. */
	if (le16get(sb, SB_MAGIC) != EXT2_MAGIC)
		return EINVAL;
	em->em_rev = le32get(sb, SB_REV_LEVEL);
	if (em->em_rev > 1) {
		ext2_error(em, "revision %u not supported", em->em_rev);
		return EINVAL;
	}
	logbs = le32get(sb, SB_LOG_BLOCK_SIZE);
	if (logbs > 2) {
		ext2_error(em, "block size 1024 << %u not supported", logbs);
		return EINVAL;
	}
	em->em_bsize = 1024u << logbs;
	em->em_bshift = 10 + logbs;
	if (em->em_rev == 1) {
		em->em_compat = le32get(sb, SB_FEATURE_COMPAT);
		em->em_incompat = le32get(sb, SB_FEATURE_INCOMPAT);
		em->em_ro_compat = le32get(sb, SB_FEATURE_RO_COMPAT);
		em->em_inode_size = le16get(sb, SB_INODE_SIZE);
		em->em_first_ino = le32get(sb, SB_FIRST_INO);
	} else {
		em->em_inode_size = EXT2_GOOD_OLD_INODE_SIZE;
		em->em_first_ino = EXT2_GOOD_OLD_FIRST_INO;
	}
	unsupp = em->em_incompat & ~(uint32_t)EXT2_INCOMPAT_RO;
	if (unsupp != 0) {
		feature_refuse(em, 2, unsupp, "cannot mount");
		return EINVAL;
	}
	if (!ronly) {
		unsupp = em->em_incompat & ~(uint32_t)EXT2_INCOMPAT_RW;
		if (unsupp != 0) {
			feature_refuse(em, 2, unsupp,
			    "read-only only (mount with ro)");
			return EROFS;
		}
		unsupp = em->em_ro_compat & ~(uint32_t)EXT2_RO_COMPAT_RW;
		if (unsupp != 0) {
			feature_refuse(em, 1, unsupp,
			    "read-only only (mount with ro)");
			return EROFS;
		}
	}
	error = ext2_csum_sb(em);
	if (error != 0)
		return error;
	if (em->em_ro_compat & RO_COMPAT_BIGALLOC) {
		/* Clusters change every bitmap's meaning. */
		feature_refuse(em, 1, RO_COMPAT_BIGALLOC, "cannot mount");
		return EINVAL;
	}
	if (em->em_inode_size < EXT2_GOOD_OLD_INODE_SIZE ||
	    em->em_inode_size > em->em_bsize ||
	    em->em_inode_size > EXT2_MAX_INODE_SIZE ||
	    (em->em_inode_size & (em->em_inode_size - 1)) != 0) {
		ext2_error(em, "bad inode size %u", em->em_inode_size);
		return EINVAL;
	}
	em->em_desc_size = 32;
	if (em->em_incompat & INCOMPAT_64BIT) {
		em->em_desc_size = le16get(sb, SB_DESC_SIZE);
		if (em->em_desc_size < 64 || em->em_desc_size > 1024 ||
		    (em->em_desc_size & (em->em_desc_size - 1)) != 0) {
			ext2_error(em, "bad group descriptor size %u",
			    em->em_desc_size);
			return EINVAL;
		}
	}
	em->em_blocks = le32get(sb, SB_BLOCKS_COUNT);
	em->em_rblocks = le32get(sb, SB_R_BLOCKS_COUNT);
	if (em->em_incompat & INCOMPAT_64BIT) {
		em->em_blocks |= (uint64_t)le32get(sb, SB_BLOCKS_COUNT_HI) << 32;
		em->em_rblocks |= (uint64_t)le32get(sb,
		    SB_R_BLOCKS_COUNT_HI) << 32;
	}
	em->em_inodes = le32get(sb, SB_INODES_COUNT);
	em->em_first_data_block = le32get(sb, SB_FIRST_DATA_BLOCK);
	em->em_bpg = le32get(sb, SB_BLOCKS_PER_GROUP);
	em->em_ipg = le32get(sb, SB_INODES_PER_GROUP);
	devblocks = blkdev_size(em->em_dev) >> em->em_bshift;
	if (em->em_first_data_block != (em->em_bsize == 1024 ? 1u : 0u) ||
	    em->em_blocks <= em->em_first_data_block ||
	    em->em_bpg < 8 || em->em_bpg > 8 * em->em_bsize ||
	    em->em_bpg % 8 != 0 ||
	    em->em_ipg == 0 || em->em_ipg > 8 * em->em_bsize) {
		ext2_error(em, "bad geometry (blocks %llu, per group %u, "
		    "inodes per group %u)", (unsigned long long)em->em_blocks,
		    em->em_bpg, em->em_ipg);
		return EINVAL;
	}
	if (em->em_blocks > devblocks) {
		ext2_error(em, "block count %llu exceeds the device (%llu "
		    "blocks)", (unsigned long long)em->em_blocks, (unsigned long long)devblocks);
		return EINVAL;
	}
	ngroups = howmany(em->em_blocks - em->em_first_data_block,
	    (uint64_t)em->em_bpg);
	if (ngroups == 0 || ngroups > (1u << 24) ||
	    (uint64_t)em->em_ipg * ngroups != em->em_inodes) {
		ext2_error(em, "inode count %u does not match %llu groups of "
		    "%u", em->em_inodes, (unsigned long long)ngroups, em->em_ipg);
		return EINVAL;
	}
	em->em_ngroups = (uint32_t)ngroups;
	if (em->em_first_ino < EXT2_GOOD_OLD_FIRST_INO ||
	    em->em_first_ino > em->em_inodes) {
		ext2_error(em, "bad first inode %u", em->em_first_ino);
		return EINVAL;
	}
	/* mke2fs keeps inodes per group a multiple of 8, which need not
	 * fill the last inode table block. */
	em->em_itable_blocks = (uint32_t)howmany((uint64_t)em->em_ipg *
	    em->em_inode_size, (uint64_t)em->em_bsize);
	em->em_gdblocks = howmany(em->em_ngroups,
	    em->em_bsize / em->em_desc_size);
	if ((em->em_incompat & INCOMPAT_META_BG) == 0 &&
	    em->em_gdblocks >= em->em_bpg) {
		ext2_error(em, "group descriptors do not fit in a group");
		return EINVAL;
	}
	em->em_nindir = em->em_bsize / 4;
	/* Room for the nanosecond timestamps in new inodes, as Linux. */
	em->em_extra_isize = 0;
	if (em->em_inode_size > EXT2_GOOD_OLD_INODE_SIZE) {
		uint32_t want = le16get(sb, SB_WANT_EXTRA_ISIZE);

		if (want < 32 || want % 4 != 0 ||
		    want > em->em_inode_size - EXT2_GOOD_OLD_INODE_SIZE)
			want = MIN(32, em->em_inode_size -
			    EXT2_GOOD_OLD_INODE_SIZE);
		em->em_extra_isize = want;
	}
	return 0;
}

static void
ext2_mount_free(struct ext2_mount *em)
{

	uint32_t g;

	if (em->em_groups != NULL) {
		for (g = 0; g < em->em_ngroups; g++)
			mutex_destroy(&em->em_groups[g].g_lock);
		kmem_free(em->em_groups,
		    sizeof(*em->em_groups) * em->em_ngroups);
	}
	mutex_destroy(&em->em_lock);
	kmem_free(em, sizeof(*em));
}

static int
ext2_mount(struct mount *mp, const char *source, const char *data)
{
	struct ext2_mount *em;
	struct ext2_node *root;
	struct timespec now;
	bool ronly = (mp->mnt_flags & MS_RDONLY) != 0;
	int error;

	error = ext2_parse_opts(data, &ronly);
	if (error != 0)
		return error;
	if ((mp->mnt_flags & MS_REMOUNT) && mp->mnt_data != NULL) {
		/* Options cannot change; make the image consistent. */
		return ext2_sbupdate(mp->mnt_data, true);
	}
	if (source == NULL)
		return EINVAL;
	em = kmem_zalloc(sizeof(*em), KM_SLEEP);
	if (em == NULL)
		return ENOMEM;
	em->em_mp = mp;
	mutex_init(&em->em_lock, MUTEX_DEFAULT);
	mutex_setstat(&em->em_lock, &em_lockstat);
	em->em_ronly = ronly;
	if (ronly)
		mp->mnt_flags |= MS_RDONLY;	/* "ro" given as an option */
	error = blkdev_open(source, ronly ? BLK_READ : BLK_READ | BLK_WRITE,
	    &em->em_dev);
	if (error != 0) {
		mutex_destroy(&em->em_lock);
		kmem_free(em, sizeof(*em));
		return error == ENXIO ? ENOENT : error;
	}
	if (blkdev_size(em->em_dev) < EXT2_SB_OFFSET + EXT2_SB_SIZE) {
		ext2_error(em, "device too small for a superblock");
		error = EINVAL;
		goto fail;
	}
	error = blkdev_rw(em->em_dev, false, em->em_sb, EXT2_SB_SIZE,
	    EXT2_SB_OFFSET);
	if (error != 0)
		goto fail;
	error = sb_check(em, ronly);
	if (error != 0)
		goto fail;
	error = groups_read(em);
	if (error != 0)
		goto fail;
	error = ext2_node_load(em, EXT2_ROOT_INO, &root);
	if (error == 0) {
		if ((root->n_mode & EXT2_S_IFMT) != EXT2_S_IFDIR) {
			ext2_error(em, "root inode is not a directory");
			error = EINVAL;
		}
		kmem_free(root, sizeof(*root));
	}
	if (error != 0)
		goto fail;
	if (!ronly) {
		uint16_t state = le16get(em->em_sb, SB_STATE);

		if ((state & EXT2_STATE_VALID) == 0 ||
		    (state & EXT2_STATE_ERROR) != 0)
			ext2_error(em, "mounting a file system that was not "
			    "cleanly unmounted or has errors; run e2fsck");
		/* Not clean while mounted: a crash leaves it for fsck. */
		le16put(em->em_sb, SB_STATE, state & ~EXT2_STATE_VALID);
		le16put(em->em_sb, SB_MNT_COUNT,
		    (uint16_t)(le16get(em->em_sb, SB_MNT_COUNT) + 1));
		getnanotime(&now);
		le32put(em->em_sb, SB_MTIME, (uint32_t)now.tv_sec);
		error = ext2_sbupdate(em, true);
		if (error != 0)
			goto fail;
	}
	mp->mnt_data = em;
	/* Keys are inode numbers: a directory's files get theirs from its
	 * group where there is room; a run of 64 shares a cache lock. */
	mp->mnt_keyshift = 6;
	return 0;
 fail:
	(void)blkdev_close(em->em_dev);
	ext2_mount_free(em);
	return error;
}

static int
ext2_unmount(struct mount *mp, int flags)
{
	struct ext2_mount *em = mp->mnt_data;
	uint16_t state;
	int error = 0, error2;

	if (em == NULL)
		return 0;
	if (!em->em_ronly) {
		/* Everything else first, then the clean state. */
		error = ext2_sbupdate(em, true);
		if (error == 0) {
			mutex_enter(&em->em_lock);
			state = le16get(em->em_sb, SB_STATE);
			le16put(em->em_sb, SB_STATE, state | EXT2_STATE_VALID);
			mutex_exit(&em->em_lock);
			error = ext2_sbupdate(em, true);
		}
		/* The disk refused: stay mounted (the dirty buffers are
		 * kept, a later unmount tries again) unless forced. */
		if (error != 0 && (flags & MNT_FORCE) == 0)
			return error;
	}
	error2 = blkdev_close(em->em_dev);
	ext2_mount_free(em);
	mp->mnt_data = NULL;
	return error != 0 ? error : error2;
}

static uint64_t
ext2_rootkey(struct mount *mp __unused)
{

	return EXT2_ROOT_INO;
}

static int
ext2_loadvnode(struct mount *mp, struct vnode *vp, uint64_t key)
{
	struct ext2_mount *em = mp->mnt_data;
	struct ext2_node *n;
	int error;

	if (key < 1 || key > em->em_inodes)
		return ESTALE;
	error = ext2_node_load(em, (uint32_t)key, &n);
	if (error != 0)
		return error;
	vp->v_type = ext2_vtype(n->n_mode);
	vp->v_op = &ext2fs_vnodeops;
	vp->v_data = n;
	if (key == EXT2_ROOT_INO)
		vp->v_flags |= VV_ROOT;
	n->n_vnode = vp;
	return 0;
}

static int
ext2_statfs(struct mount *mp, struct vfs_statfs *sf)
{
	struct ext2_mount *em = mp->mnt_data;

	memset(sf, 0, sizeof(*sf));
	sf->f_type = EXT2_FS_MAGIC;
	sf->f_bsize = em->em_bsize;
	sf->f_blocks = em->em_blocks - em->em_first_data_block;
	sf->f_bfree = ext2_free_blocks(em);
	sf->f_ffree = ext2_free_inodes(em);
	sf->f_bavail = sf->f_bfree > em->em_rblocks ?
	    sf->f_bfree - em->em_rblocks : 0;
	sf->f_files = em->em_inodes;
	sf->f_namelen = NAME_MAX;
	return 0;
}

static int
ext2_sync(struct mount *mp)
{
	struct ext2_mount *em = mp->mnt_data;

	return ext2_sbupdate(em, true);
}

#define EXT2_VFSOPS(var, name)						\
const struct vfsops var = {						\
	.vfs_name	= name,						\
	.vfs_flags	= VFS_MPSAFE | VFS_NAMECACHE,			\
	.vfs_mount	= ext2_mount,					\
	.vfs_unmount	= ext2_unmount,					\
	.vfs_rootkey	= ext2_rootkey,					\
	.vfs_loadvnode	= ext2_loadvnode,				\
	.vfs_statfs	= ext2_statfs,					\
	.vfs_sync	= ext2_sync,					\
};									\
VFS_REGISTER(var)

EXT2_VFSOPS(ext2fs_vfsops, "ext2");
EXT2_VFSOPS(ext3fs_vfsops, "ext3");
EXT2_VFSOPS(ext4fs_vfsops, "ext4");
