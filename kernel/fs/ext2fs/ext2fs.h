/*
 * ext2fs.h: the ext2 file system (revisions 0 and 1, read-write) and
 * ext3/ext4 images read-only where their features allow.
 *
 * On-disk layout, from the ext2/ext4 format specification: all numbers
 * little endian (both targets, x86_64 and aarch64, are little endian, so
 * fields are read in place through the accessors below).  Block size
 * 1024 << s_log_block_size; the superblock is the 1024 bytes at byte
 * 1024; group descriptors follow in the next block; each group has a
 * block bitmap, an inode bitmap and an inode table.
 *
 * Every number read from the image is range-checked before use (the
 * image may be hostile): block numbers against [s_first_data_block,
 * s_blocks_count), inode numbers against [1, s_inodes_count], directory
 * records against their block.  A violation is EIO (EUCLEAN's Linux
 * meaning, "structure needs cleaning", reported as EIO to keep callers
 * simple) with a console message naming the device and the structure.
 *
 * Locking (ext2 is VFS_MPSAFE, see vfs/vnode.h): an inode's in-memory
 * node (struct ext2_node) and, for a directory, its entries belong to
 * its vnode's lock, which the VFS holds around every operation.  What
 * inodes share is split so that files in different block groups do not
 * take turns:
 *  - a group's g_lock: its block and inode bitmaps (their buffers are
 *    read, changed and written back with it held), its descriptor's
 *    counts and g_dirty.  Allocation holds one group lock at a time; the
 *    counts are also read without it, atomically, as hints for choosing
 *    a group (and checked again under the lock).
 *  - the mount's free totals are the sums of the groups' counts
 *    (ext2_free_blocks, ext2_free_inodes), read without locks: a total
 *    kept beside them was one cache line that every allocation and
 *    free on every CPU changed (36 times per file in bench_scale).
 *  - the mount's em_lock: the superblock copy em_sb (feature bits,
 *    state, the totals written into it by ext2_sbupdate, which writes
 *    each dirty descriptor under its group lock first).
 * An inode table block holds several inodes: each change to one is a
 * single bread..bdwrite of that block, which the block cache serialises
 * (busy buffers).  Order: vnode locks -> a file's own buffers (indirect
 * blocks, directory blocks, its inode's table block) -> a group lock
 * (one at a time) or em_lock (never both) -> bitmap, descriptor and
 * superblock buffers.  Nothing waits for em_lock or a group lock while
 * holding one of the latter, and neither is held across a whole-device
 * write-back (bsync).
 */
#ifndef EXT2FS_H
#define EXT2FS_H

#include <kern/types.h>
#include <vfs/vnode.h>
#include <vfs/mount.h>

struct blkdev;
struct buf;

#define EXT2_MAGIC		0xef53
#define EXT2_SB_OFFSET		1024
#define EXT2_SB_SIZE		1024
#define EXT2_ROOT_INO		2
#define EXT2_GOOD_OLD_FIRST_INO	11
#define EXT2_GOOD_OLD_INODE_SIZE 128
#define EXT2_NDIR_BLOCKS	12
#define EXT2_IND_BLOCK		12
#define EXT2_DIND_BLOCK		13
#define EXT2_TIND_BLOCK		14
#define EXT2_N_BLOCKS		15
#define EXT2_LINK_MAX		65000
#define EXT2_FAST_SYMLINK_MAX	60	/* bytes of i_block */
#define EXT2_MAX_BSIZE		4096
#define EXT2_MIN_BSIZE		1024
#define EXT2_MAX_INODE_SIZE	1024	/* what we keep of an inode */
#define EXT2_FS_MAGIC		0xef53	/* statfs f_type */

/* Superblock byte offsets. */
#define SB_INODES_COUNT		0
#define SB_BLOCKS_COUNT		4
#define SB_R_BLOCKS_COUNT	8
#define SB_FREE_BLOCKS		12
#define SB_FREE_INODES		16
#define SB_FIRST_DATA_BLOCK	20
#define SB_LOG_BLOCK_SIZE	24
#define SB_LOG_CLUSTER_SIZE	28
#define SB_BLOCKS_PER_GROUP	32
#define SB_CLUSTERS_PER_GROUP	36
#define SB_INODES_PER_GROUP	40
#define SB_MTIME		44
#define SB_WTIME		48
#define SB_MNT_COUNT		52
#define SB_MAX_MNT_COUNT	54
#define SB_MAGIC		56
#define SB_STATE		58
#define SB_ERRORS		60
#define SB_MINOR_REV		62
#define SB_LASTCHECK		64
#define SB_CHECKINTERVAL	68
#define SB_CREATOR_OS		72
#define SB_REV_LEVEL		76
#define SB_DEF_RESUID		80
#define SB_DEF_RESGID		82
#define SB_FIRST_INO		84
#define SB_INODE_SIZE		88
#define SB_BLOCK_GROUP_NR	90
#define SB_FEATURE_COMPAT	92
#define SB_FEATURE_INCOMPAT	96
#define SB_FEATURE_RO_COMPAT	100
#define SB_UUID			104
#define SB_VOLUME_NAME		120
#define SB_LAST_MOUNTED		136
#define SB_RESERVED_GDT		206
#define SB_HASH_SEED		236
#define SB_DEF_HASH_VERSION	252
#define SB_DESC_SIZE		254
#define SB_FIRST_META_BG	260
#define SB_MKFS_TIME		264
#define SB_BLOCKS_COUNT_HI	336
#define SB_R_BLOCKS_COUNT_HI	340
#define SB_FREE_BLOCKS_HI	344
#define SB_MIN_EXTRA_ISIZE	348
#define SB_WANT_EXTRA_ISIZE	350
#define SB_FLAGS		352
#define SB_LOG_GROUPS_PER_FLEX	372
#define SB_CHECKSUM_TYPE	373
#define SB_CHECKSUM_SEED	624
#define SB_CHECKSUM		1020

/* s_flags */
#define EXT2_FLAGS_SIGNED_HASH	0x0001
#define EXT2_FLAGS_UNSIGNED_HASH 0x0002

/* Directory index (dx_root_info hash_version). */
#define EXT2_HASH_LEGACY		0
#define EXT2_HASH_HALF_MD4		1
#define EXT2_HASH_TEA			2
#define EXT2_HASH_LEGACY_UNSIGNED	3
#define EXT2_HASH_HALF_MD4_UNSIGNED	4
#define EXT2_HASH_TEA_UNSIGNED		5

#define EXT2_STATE_VALID	0x0001	/* cleanly unmounted */
#define EXT2_STATE_ERROR	0x0002

/* Features. */
#define COMPAT_DIR_PREALLOC	0x0001
#define COMPAT_IMAGIC_INODES	0x0002
#define COMPAT_HAS_JOURNAL	0x0004
#define COMPAT_EXT_ATTR		0x0008
#define COMPAT_RESIZE_INODE	0x0010
#define COMPAT_DIR_INDEX	0x0020
#define COMPAT_SPARSE_SUPER2	0x0200

#define RO_COMPAT_SPARSE_SUPER	0x0001
#define RO_COMPAT_LARGE_FILE	0x0002
#define RO_COMPAT_BTREE_DIR	0x0004
#define RO_COMPAT_HUGE_FILE	0x0008
#define RO_COMPAT_GDT_CSUM	0x0010
#define RO_COMPAT_DIR_NLINK	0x0020
#define RO_COMPAT_EXTRA_ISIZE	0x0040
#define RO_COMPAT_QUOTA		0x0100
#define RO_COMPAT_BIGALLOC	0x0200
#define RO_COMPAT_METADATA_CSUM	0x0400
#define RO_COMPAT_READONLY	0x1000
#define RO_COMPAT_PROJECT	0x2000
#define RO_COMPAT_VERITY	0x8000

#define INCOMPAT_COMPRESSION	0x0001
#define INCOMPAT_FILETYPE	0x0002
#define INCOMPAT_RECOVER	0x0004
#define INCOMPAT_JOURNAL_DEV	0x0008
#define INCOMPAT_META_BG	0x0010
#define INCOMPAT_EXTENTS	0x0040
#define INCOMPAT_64BIT		0x0080
#define INCOMPAT_MMP		0x0100
#define INCOMPAT_FLEX_BG	0x0200
#define INCOMPAT_EA_INODE	0x0400
#define INCOMPAT_DIRDATA	0x1000
#define INCOMPAT_CSUM_SEED	0x2000
#define INCOMPAT_LARGEDIR	0x4000
#define INCOMPAT_INLINE_DATA	0x8000
#define INCOMPAT_ENCRYPT	0x10000
#define INCOMPAT_CASEFOLD	0x20000

/* What this implementation handles: read-write, and read-only. */
#define EXT2_INCOMPAT_RW	(INCOMPAT_FILETYPE)
#define EXT2_RO_COMPAT_RW	(RO_COMPAT_SPARSE_SUPER | RO_COMPAT_LARGE_FILE)
#define EXT2_INCOMPAT_RO	(INCOMPAT_FILETYPE | INCOMPAT_META_BG | \
	INCOMPAT_EXTENTS | INCOMPAT_64BIT | INCOMPAT_FLEX_BG | \
	INCOMPAT_EA_INODE | INCOMPAT_CSUM_SEED | INCOMPAT_LARGEDIR)

/* Group descriptor byte offsets (32 bytes; 64 with the 64bit feature). */
#define GD_BLOCK_BITMAP		0
#define GD_INODE_BITMAP		4
#define GD_INODE_TABLE		8
#define GD_FREE_BLOCKS		12
#define GD_FREE_INODES		14
#define GD_USED_DIRS		16
#define GD_FLAGS		18
#define GD_ITABLE_UNUSED	28
#define GD_CHECKSUM		30
#define GD_BLOCK_BITMAP_HI	32
#define GD_INODE_BITMAP_HI	36
#define GD_INODE_TABLE_HI	40
#define GD_FREE_BLOCKS_HI	44
#define GD_FREE_INODES_HI	46
#define GD_USED_DIRS_HI		48
#define GD_BLOCK_UNINIT		0x0002

/* Inode byte offsets. */
#define DI_MODE			0
#define DI_UID			2
#define DI_SIZE			4
#define DI_ATIME		8
#define DI_CTIME		12
#define DI_MTIME		16
#define DI_DTIME		20
#define DI_GID			24
#define DI_LINKS		26
#define DI_BLOCKS		28
#define DI_FLAGS		32
#define DI_BLOCK		40
#define DI_GENERATION		100
#define DI_FILE_ACL		104
#define DI_SIZE_HIGH		108
#define DI_BLOCKS_HIGH		116
#define DI_FILE_ACL_HIGH	118
#define DI_UID_HIGH		120
#define DI_GID_HIGH		122
#define DI_CHECKSUM_LO		124
#define DI_EXTRA_ISIZE		128
#define DI_CHECKSUM_HI		130
#define DI_CTIME_EXTRA		132
#define DI_MTIME_EXTRA		136
#define DI_ATIME_EXTRA		140
#define DI_CRTIME		144
#define DI_CRTIME_EXTRA		148

/* i_flags */
#define EXT2_INDEX_FL		0x00001000	/* hashed directory */
#define EXT2_HUGE_FILE_FL	0x00040000
#define EXT2_EXTENTS_FL		0x00080000
#define EXT2_INLINE_DATA_FL	0x10000000

/* i_mode */
#define EXT2_S_IFMT		0170000
#define EXT2_S_IFSOCK		0140000
#define EXT2_S_IFLNK		0120000
#define EXT2_S_IFREG		0100000
#define EXT2_S_IFBLK		0060000
#define EXT2_S_IFDIR		0040000
#define EXT2_S_IFCHR		0020000
#define EXT2_S_IFIFO		0010000

/* Directory entries: inode (4), rec_len (2), name_len (1), file_type
 * (1; the high byte of name_len without the filetype feature), name. */
#define DIRENT_HDR		8
#define DIRENT_LEN(namelen)	(((namelen) + DIRENT_HDR + 3) & ~3u)
#define EXT2_FT_UNKNOWN		0
#define EXT2_FT_REG_FILE	1
#define EXT2_FT_DIR		2
#define EXT2_FT_CHRDEV		3
#define EXT2_FT_BLKDEV		4
#define EXT2_FT_FIFO		5
#define EXT2_FT_SOCK		6
#define EXT2_FT_SYMLINK		7

/* Extents (read-only). */
#define EXT4_EXT_MAGIC		0xf30a
#define EXT4_EXT_MAX_DEPTH	5
#define EXT4_EXT_INIT_MAX_LEN	32768

/* Extended attribute block header. */
#define EXT2_XATTR_MAGIC	0xea020000

static inline uint16_t
le16get(const void *p, size_t off)
{
	const uint8_t *b = (const uint8_t *)p + off;

	return (uint16_t)(b[0] | b[1] << 8);
}

static inline uint32_t
le32get(const void *p, size_t off)
{
	const uint8_t *b = (const uint8_t *)p + off;

	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	    (uint32_t)b[3] << 24;
}

static inline void
le16put(void *p, size_t off, uint16_t v)
{
	uint8_t *b = (uint8_t *)p + off;

	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
}

static inline void
le32put(void *p, size_t off, uint32_t v)
{
	uint8_t *b = (uint8_t *)p + off;

	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
	b[2] = (uint8_t)(v >> 16);
	b[3] = (uint8_t)(v >> 24);
}

/* --- In memory ---------------------------------------------------------- */

struct ext2_group {
	uint64_t	g_block_bitmap;
	uint64_t	g_inode_bitmap;
	uint64_t	g_inode_table;
	uint32_t	g_free_blocks;
	uint32_t	g_free_inodes;
	uint32_t	g_used_dirs;
	uint16_t	g_flags;
	bool		g_dirty;	/* descriptor to be written */
	kmutex_t	g_lock;		/* see the top of this file */
};

/* The free counts, read without the group lock as hints (atomically:
 * they change under it). */
#define EXT2_COUNT_LOAD(x)	__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define EXT2_COUNT_ADD(x, d)	__atomic_fetch_add(&(x), (d), __ATOMIC_RELAXED)
#define EXT2_COUNT_SUB(x, d)	__atomic_fetch_sub(&(x), (d), __ATOMIC_RELAXED)

struct ext2_mount {
	struct mount	*em_mp;
	kmutex_t	 em_lock;	/* see the top of this file */
	struct blkdev	*em_dev;
	bool		 em_ronly;
	uint8_t		 em_sb[EXT2_SB_SIZE];	/* on-disk superblock */
	uint32_t	 em_bsize;
	uint32_t	 em_bshift;
	uint32_t	 em_rev;
	uint64_t	 em_blocks;		/* s_blocks_count */
	uint64_t	 em_rblocks;
	uint32_t	 em_inodes;
	uint32_t	 em_first_data_block;
	uint32_t	 em_bpg, em_ipg;
	uint32_t	 em_ngroups;
	uint32_t	 em_inode_size;
	uint32_t	 em_first_ino;
	uint32_t	 em_desc_size;
	uint32_t	 em_itable_blocks;	/* per group */
	uint32_t	 em_compat, em_incompat, em_ro_compat;
	uint32_t	 em_extra_isize;	/* for new inodes */
	uint32_t	 em_nindir;		/* block numbers per block */
	uint32_t	 em_gdblocks;		/* descriptor blocks */
	struct ext2_group *em_groups;
	bool		 em_sbdirty;		/* atomic */
	uint32_t	 em_lastalloc_group;
	uint32_t	 em_csum_seed;		/* metadata_csum */
};

/* The mount's free totals: sums of the groups' counts, each exact under
 * its group's lock; with allocation running elsewhere a snapshot. */
uint64_t	ext2_free_blocks(struct ext2_mount *em);
uint32_t	ext2_free_inodes(struct ext2_mount *em);

struct ext2_node {
	struct ext2_mount *n_mnt;
	struct vnode	*n_vnode;
	uint32_t	 n_ino;
	bool		 n_dirty;
	uint16_t	 n_mode;
	uint32_t	 n_uid, n_gid;
	uint64_t	 n_size;
	uint16_t	 n_nlink;
	uint32_t	 n_flags;
	uint64_t	 n_blocks;	/* 512-byte sectors (i_blocks) */
	uint64_t	 n_file_acl;
	uint32_t	 n_dtime;
	struct timespec	 n_atime, n_mtime, n_ctime;
	uint32_t	 n_iblock[EXT2_N_BLOCKS];
	uint64_t	 n_lastlbn;	/* read-ahead: last block read + 1 */
	uint64_t	 n_goal;	/* allocation: block after the last one */
	uint64_t	 n_ranext;	/* read-ahead: first block not yet asked for */
	/* A removed directory's ".." (as on Linux, where it leads to the
	 * directory it was removed from even when that was removed too):
	 * that directory's vnode, referenced until this node goes (which
	 * keeps a removed parent's inode until then, as Linux's dentry
	 * does); NULL when unknown. */
	struct vnode	*n_rmparent;
	uint8_t		 n_raw[EXT2_MAX_INODE_SIZE];	/* on-disk inode */
};

#define VTOE(vp)	((struct ext2_node *)(vp)->v_data)

/* A symlink whose target is in i_block: no blocks but, perhaps, its
 * extended attribute block. */
static inline bool
ext2_is_fast_symlink(const struct ext2_node *n)
{
	uint64_t acl = n->n_file_acl != 0 ? n->n_mnt->em_bsize / 512 : 0;

	return (n->n_mode & EXT2_S_IFMT) == EXT2_S_IFLNK &&
	    (n->n_flags & EXT2_EXTENTS_FL) == 0 && n->n_blocks <= acl;
}

extern const struct vnodeops ext2fs_vnodeops;

/* ext2fs_vfsops.c */
void	ext2_error(struct ext2_mount *em, const char *fmt, ...)
	    __printflike(2, 3);
int	ext2_group_write(struct ext2_mount *em, uint32_t g);
int	ext2_sbupdate(struct ext2_mount *em, bool durable);

/* ext2fs_csum.c: metadata_csum verification (0, or EIO/EINVAL after a
 * console message naming the structure). */
uint32_t ext2_crc32c(uint32_t crc, const void *p, size_t len);
bool	ext2_csum_enabled(const struct ext2_mount *em);
/* Checks the superblock and sets em_csum_seed. */
int	ext2_csum_sb(struct ext2_mount *em);
int	ext2_csum_gd(struct ext2_mount *em, uint32_t g, const uint8_t *d);
int	ext2_csum_inode(struct ext2_mount *em, uint32_t ino,
	    const uint8_t *raw);
int	ext2_csum_dirblock(struct ext2_node *dn, uint64_t lbn,
	    const uint8_t *blk);
/* An index block whose entry table (limit, count, ...) is at off. */
int	ext2_csum_dxblock(struct ext2_node *dn, uint64_t lbn,
	    const uint8_t *blk, size_t off);
int	ext2_csum_extblock(struct ext2_node *n, const uint8_t *blk);
int	ext2_csum_xattrblock(struct ext2_mount *em, uint64_t bn,
	    const uint8_t *blk);

/* ext2fs_alloc.c: bitmaps and counts. */
bool	ext2_blkno_ok(const struct ext2_mount *em, uint64_t blkno);
int	ext2_blkalloc(struct ext2_mount *em, uint64_t goal, uint64_t *bnp);
int	ext2_blkfree(struct ext2_mount *em, uint64_t blkno);
int	ext2_inoalloc(struct ext2_mount *em, uint32_t pino, bool isdir,
	    uint32_t *inop);
int	ext2_inofree(struct ext2_mount *em, uint32_t ino, bool isdir);

/* ext2fs_inode.c: inodes and the block map. */
int	ext2_node_load(struct ext2_mount *em, uint32_t ino,
	    struct ext2_node **np);
void	ext2_node_init_new(struct ext2_mount *em, struct ext2_node *n,
	    uint32_t ino, uint16_t mode, uint32_t uid, uint32_t gid);
int	ext2_node_write(struct ext2_node *n);
void	ext2_node_touch(struct ext2_node *n, bool mtime, bool ctime);
enum vtype ext2_vtype(uint16_t mode);
/* Physical block of logical block lbn (0: a hole).  With alloc, holes
 * are filled (new blocks zeroed unless zero is false: the caller will
 * overwrite all of it). */
int	ext2_bmap(struct ext2_node *n, uint64_t lbn, bool alloc, bool zero,
	    uint64_t *pbnp);
/* Frees the blocks past size bytes and zeroes the tail of the last. */
int	ext2_truncate(struct ext2_node *n, uint64_t size);
/* Frees the blocks of logical blocks [first, last) (a hole punched;
 * indirect blocks left empty go too).  The size is not changed. */
int	ext2_punch(struct ext2_node *n, uint64_t first, uint64_t last);
/* Largest file size the block map can describe. */
uint64_t ext2_maxfilesize(const struct ext2_mount *em);

/* ext2fs_xattr.c: extended attributes (vnode operations, see vnode.h)
 * and dropping the inode's reference to its attribute block. */
int	ext2_xattr_release(struct ext2_node *n);
int	ext2_getxattr(struct vnode *vp, const char *name, void *buf,
	    size_t *lenp);
int	ext2_setxattr(struct vnode *vp, const char *name, const void *val,
	    size_t len, int flags);
int	ext2_listxattr(struct vnode *vp, char *buf, size_t *lenp);
int	ext2_removexattr(struct vnode *vp, const char *name);

/* ext2fs_hash.c: the hash of a name in an indexed directory
 * (EXT2_HASH_*; seed NULL or all zero: the default seed); EINVAL for an
 * unknown version. */
int	ext2_dirhash(unsigned version, const uint32_t seed[4], const char *name,
	    size_t len, uint32_t *hashp);

/* ext2fs_dir.c: directories. */
/* Directory blocks read since boot (all mounts): tests and benchmarks
 * see from it whether lookups use the index. */
uint64_t ext2_dirblk_reads(void);
int	ext2_dir_lookup(struct ext2_node *dn, const char *name,
	    size_t namelen, uint32_t *inop, uint64_t *offp);
int	ext2_dir_add(struct ext2_node *dn, const char *name, size_t namelen,
	    uint32_t ino, uint16_t mode);
int	ext2_dir_remove(struct ext2_node *dn, const char *name,
	    size_t namelen);
/* Points an existing entry at another inode. */
int	ext2_dir_rewrite(struct ext2_node *dn, const char *name,
	    size_t namelen, uint32_t ino, uint16_t mode);
int	ext2_dir_init(struct ext2_node *dn, uint32_t parent);
int	ext2_dir_isempty(struct ext2_node *dn, bool *emptyp);
int	ext2_dir_parent(struct ext2_node *dn, uint32_t *inop);
int	ext2_dir_setparent(struct ext2_node *dn, uint32_t parent);
int	ext2_dir_readdir(struct ext2_node *dn, off_t off, filldir_fn fill,
	    void *ctx);

#endif /* EXT2FS_H */
