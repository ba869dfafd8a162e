/*
 * msdosfs.h: private interfaces of the FAT file system (FAT12, FAT16,
 * FAT32 with VFAT long names), component librumpfs_msdosfs.a, registered
 * as "msdosfs" and "vfat".
 *
 * On-disk layout (Microsoft's FAT specification): a boot sector with the
 * BIOS parameter block (BPB), reserved sectors (FAT32: FSInfo and a backup
 * boot sector), NumFATs copies of the file allocation table, on FAT12/16
 * a fixed-size root directory region, then the data region of clusters
 * numbered from 2.  A file is a chain of clusters linked through the FAT;
 * a directory is a file of 32-byte entries.
 *
 * How this implementation keeps things:
 *  - The whole (active) FAT is read into memory at mount and written back
 *    at sync, to every copy, sector by sector as they were changed.  It is
 *    at most 4 bytes per cluster, and makes chain walks and allocation
 *    cheap.  The FAT12/16 root directory region is kept in memory too.
 *  - The data region goes through the buffer cache (vfs/buf.h) in blocks
 *    of pm_bsize bytes: the largest power of two that divides both the
 *    cluster size and the data region's offset, so that buffers never
 *    straddle a cluster and never overlap the FAT or root regions (which
 *    are read and written with blkdev_rw only).
 *  - FAT has no inodes.  A file in use is a struct msdosfs_node, found by
 *    the disk position of its short directory entry (de_loc) in a hash
 *    table of the mount; the VFS cache key is the node's address (as
 *    tmpfs), so that renaming (which moves the entry) needs no re-keying.
 *    A node holds its parent directory's node (de_parent), which gives
 *    ".." without reading the disk and the entry to update on changes.
 *  - Every value read from the disk is range-checked before use: cluster
 *    numbers, chain lengths (a chain is never followed for more steps than
 *    the volume has clusters), sizes, name lengths.  A damaged image gives
 *    EIO (or EINVAL at mount), never a crash or a hang.
 *
 * Locking (FAT is VFS_MPSAFE, see vfs/vnode.h): a node's fields and a
 * directory's entries belong to its vnode's lock, which the VFS holds
 * around every operation.  What nodes share is under the mount's pm_lock,
 * a leaf lock held briefly (taken after vnode locks and busy buffers,
 * never held while waiting for either): the in-memory FAT and its dirty
 * bits, the free count, the next-free hint, the FSInfo flag, the node
 * hash and list, a node's de_vnode and de_holds and the decision to free
 * it, and a node's chain state (de_startclust, de_nclust, de_lastlc,
 * de_lastpc), which its owner changes with both locks held and a child
 * reads with pm_lock alone when it writes its directory entry into the
 * parent (msdosfs_node_update).  Each entry in a directory is written
 * only by operations holding the lock of the file it names (or of the
 * directory, for a new entry), with its block busy (a directory cursor
 * holds one buffer); a cursor on the FAT12/16 root region in memory holds
 * pm_rootlock instead, as if it were one busy buffer.  Order: vnode locks
 * -> a cursor's buffer or pm_rootlock -> pm_lock.  Counters for
 * write-behind and the root region's dirty flag are atomic.
 */
#ifndef FS_MSDOSFS_MSDOSFS_H
#define FS_MSDOSFS_MSDOSFS_H

#include <kern/types.h>
#include <vfs/vnode.h>
#include <vfs/mount.h>

struct blkdev;
struct buf;

#define MSDOS_SUPER_MAGIC	0x4d44	/* statfs f_type, as Linux */
/* Boot sector: the volume state byte (bit 0: not cleanly unmounted). */
#define FAT16_STATE_OFF		0x25
#define FAT32_STATE_OFF		0x41
#define FAT_STATE_DIRTY		0x01
#define MSDOSFS_ROOT_INO	1	/* as Linux */

/* Directory entry (32 bytes) field offsets. */
#define DE_SIZE		32
#define DE_NAME		0	/* 11 bytes: 8 base + 3 extension */
#define DE_ATTR		11
#define DE_NTRES	12	/* case of the short name (NT) */
#define DE_CTIME_CS	13	/* creation time, 10 ms units (0..199) */
#define DE_CTIME	14
#define DE_CDATE	16
#define DE_ADATE	18
#define DE_CLUSTHI	20
#define DE_MTIME	22
#define DE_MDATE	24
#define DE_CLUSTLO	26
#define DE_FILESIZE	28

#define ATTR_RDONLY	0x01
#define ATTR_HIDDEN	0x02
#define ATTR_SYSTEM	0x04
#define ATTR_VOLUME	0x08
#define ATTR_DIRECTORY	0x10
#define ATTR_ARCHIVE	0x20
#define ATTR_LFN	0x0f	/* RO|HIDDEN|SYSTEM|VOLUME: a long name slot */
#define ATTR_LFN_MASK	0x3f

#define NTRES_LCASE_BASE 0x08
#define NTRES_LCASE_EXT	0x10

#define SLOT_EMPTY	0x00	/* this and all later entries are free */
#define SLOT_DELETED	0xe5
#define SLOT_E5		0x05	/* first name byte 0xe5 stored as 0x05 */

/* Long name slots: 13 UCS-2 characters each, at these offsets. */
#define LFN_ORD		0
#define LFN_CHKSUM	13
#define LFN_LAST	0x40	/* in LFN_ORD: the first slot on disk */
#define LFN_CHARS	13
#define LFN_MAXSLOTS	20	/* 20 * 13 >= 255 */
#define LFN_MAXLEN	255	/* UCS-2 characters */

/* Largest directory: 65536 entries (the specification's limit). */
#define MSDOSFS_MAXDIRSIZE	(65536u * DE_SIZE)
/* Largest file. */
#define MSDOSFS_MAXFILESIZE	0xffffffffull

/* FAT entry values (after masking to the FAT's width). */
#define CLUST_FREE	0
#define CLUST_FIRST	2

/* The in-memory node of a file or directory in use. */
#define MSDOSFS_NODE_MAGIC	0x6d73646eu	/* "msdn" */
#define DE_NOLOC	((uint64_t)-1)		/* entry removed */
struct msdosfs_mount;
struct msdosfs_node {
	uint32_t		 de_magic;
	struct msdosfs_mount	*de_pmp;
	struct vnode		*de_vnode;	/* NULL when none */
	struct msdosfs_node	*de_parent;	/* held; NULL for the root */
	unsigned		 de_holds;	/* nodes whose de_parent we are */
	struct msdosfs_node	*de_hnext;	/* by-location hash chain */
	struct msdosfs_node	*de_allnext, *de_allprev;
	uint64_t		 de_loc;	/* disk byte position of the
						 * short entry; 0 root */
	uint32_t		 de_diroff;	/* short entry's offset in
						 * the parent directory */
	uint32_t		 de_lfnoff;	/* first slot of its group */
	ino_t			 de_ino;
	bool			 de_isdir;
	bool			 de_removed;	/* no name left */
	uint8_t			 de_attr, de_ntres, de_ctime_cs;
	uint16_t		 de_ctime, de_cdate, de_adate;
	uint16_t		 de_mtime, de_mdate;
	uint32_t		 de_startclust;	/* 0: no clusters */
	uint32_t		 de_size;	/* dirs: bytes of the chain */
	uint32_t		 de_nsubdirs;	/* dirs: for st_nlink */
	uint32_t		 de_nclust;	/* clusters in the chain */
	bool			 de_chainbad;	/* damaged chain: EIO */
	/* Last chain position looked up (logical -> physical cluster),
	 * so that sequential I/O does not walk the chain from the start. */
	uint32_t		 de_lastlc, de_lastpc;
	/* Read-ahead: the first block (of the file) not yet asked for. */
	uint64_t		 de_ranext;
};

struct msdosfs_mount {
	struct mount		*pm_mp;
	kmutex_t		 pm_lock;	/* see the top of this file */
	struct blkdev		*pm_dev;
	int			 pm_fattype;	/* 12, 16, 32 */
	bool			 pm_ronly;	/* device opened read-only */
	uint32_t		 pm_secsize;	/* bytes per sector */
	uint32_t		 pm_csize;	/* bytes per cluster */
	uint32_t		 pm_bsize;	/* buffer size, see above */
	uint64_t		 pm_fatoff;	/* byte offset of FAT #0 */
	uint64_t		 pm_fatsize;	/* bytes of one FAT copy */
	uint32_t		 pm_nfats;
	uint32_t		 pm_activefat;	/* FAT32 without mirroring */
	bool			 pm_mirror;	/* write every FAT copy */
	uint64_t		 pm_rootoff;	/* FAT12/16 root region */
	uint32_t		 pm_rootsize;	/* bytes */
	uint64_t		 pm_dataoff;	/* byte offset of cluster 2 */
	uint32_t		 pm_maxclust;	/* highest valid cluster */
	uint32_t		 pm_rootclust;	/* FAT32 root directory */
	uint32_t		 pm_fsinfosec;	/* FAT32 FSInfo, 0: none */
	uint32_t		 pm_bkbootsec;	/* FAT32 backup boot sector, 0: none */
	bool			 pm_wasdirty;	/* dirty flag set at mount */
	uint32_t		 pm_eoc;	/* first end-of-chain value */
	uint32_t		 pm_fatmask;	/* FAT entry width */

	uint8_t			*pm_fat;	/* the FAT's used bytes */
	size_t			 pm_fatbytes;
	uint8_t			*pm_fatdirty;	/* bit per FAT sector */
	size_t			 pm_fatdirtylen;
	uint8_t			*pm_rootdir;	/* FAT12/16 root region */
	kmutex_t		 pm_rootlock;	/* a cursor's hold on it */
	bool			 pm_rootdirty;
	uint32_t		 pm_freecount;	/* computed at mount */
	uint32_t		 pm_nextfree;	/* allocation hint */
	bool			 pm_fsinfodirty;
	uint64_t		 pm_dirtydata;	/* written since last bsync */

	/* Mount options. */
	uid_t			 pm_uid;
	gid_t			 pm_gid;
	mode_t			 pm_fmask, pm_dmask;
	bool			 pm_quiet;	/* chmod/chown: no EPERM */

	struct msdosfs_node	*pm_root;
	struct msdosfs_node	**pm_hash;	/* by de_loc */
	uint32_t		 pm_hashsize;	/* power of two */
	struct msdosfs_node	*pm_allnodes;
	uint64_t		 pm_nnodes;
};

static inline struct msdosfs_node *
VTODE(const struct vnode *vp)
{
	return vp->v_data;
}

static inline uint16_t
le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t
le32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) |
	    ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static inline void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* Mount options (msdosfs_vfsops.c). */
struct msdosfs_args {
	uid_t		ma_uid;
	gid_t		ma_gid;
	mode_t		ma_fmask, ma_dmask;
	bool		ma_ro, ma_quiet;
	unsigned	ma_set;
#define MSDOSFS_ARG_UID		0x01
#define MSDOSFS_ARG_GID		0x02
#define MSDOSFS_ARG_FMASK	0x04
#define MSDOSFS_ARG_DMASK	0x08
};
int	msdosfs_parse_args(const char *data, struct msdosfs_args *ma);

/* The FAT (msdosfs_fat.c).  msdosfs_fat_get/_set: pm_lock held (or the
 * mount not yet visible); the functions below take it themselves. */
uint32_t msdosfs_fat_get(struct msdosfs_mount *pmp, uint32_t cn);
void	msdosfs_fat_set(struct msdosfs_mount *pmp, uint32_t cn, uint32_t v);
static inline bool
msdosfs_clust_valid(const struct msdosfs_mount *pmp, uint32_t cn)
{
	return cn >= CLUST_FIRST && cn <= pmp->pm_maxclust;
}
static inline bool
msdosfs_clust_eoc(const struct msdosfs_mount *pmp, uint32_t v)
{
	return v >= pmp->pm_eoc;
}
/* Reads the FAT into memory and counts free clusters (mount). */
int	msdosfs_fat_load(struct msdosfs_mount *pmp);
/* Writes changed FAT sectors to every copy, the FAT12/16 root region and
 * FSInfo (sync). */
int	msdosfs_fat_flush(struct msdosfs_mount *pmp);
/* Physical cluster of logical cluster lc of node dep: EIO when the chain
 * is shorter or damaged. */
int	msdosfs_bmap(struct msdosfs_node *dep, uint32_t lc, uint32_t *pcp);
/* Number of clusters in the chain starting at cn (0 for none); EIO on a
 * damaged chain or one longer than max clusters. */
int	msdosfs_chainlen(struct msdosfs_mount *pmp, uint32_t cn, uint32_t max,
	    uint32_t *lenp);
/* Allocates one free cluster (marked end of chain) and links it after
 * prev (0: none).  ENOSPC. */
int	msdosfs_clust_alloc(struct msdosfs_mount *pmp, uint32_t prev,
	    uint32_t *cnp);
/* Frees the chain starting at cn (_locked: pm_lock held). */
void	msdosfs_chain_free(struct msdosfs_mount *pmp, uint32_t cn);
void	msdosfs_chain_free_locked(struct msdosfs_mount *pmp, uint32_t cn);
/* Shortens dep's chain to nclust clusters (0 frees it all). */
int	msdosfs_chain_truncate(struct msdosfs_node *dep, uint32_t nclust);
/* Appends one cluster to dep's chain (zero-filled if zero); *cnp is it. */
int	msdosfs_chain_extend(struct msdosfs_node *dep, bool zero,
	    uint32_t *cnp);

/* Data region blocks (msdosfs_fat.c). */
static inline uint64_t
msdosfs_clust_blkno(const struct msdosfs_mount *pmp, uint32_t cn)
{
	return (pmp->pm_dataoff + (uint64_t)(cn - CLUST_FIRST) *
	    pmp->pm_csize) / pmp->pm_bsize;
}

/* Directory access (msdosfs_dir.c). */
/* A cursor over the 32-byte entries of a directory, holding at most one
 * buffer; entries it hands out stay valid until the next call. */
struct msdosfs_dircursor {
	struct msdosfs_node	*dc_dp;
	struct buf		*dc_bp;
	uint64_t		 dc_boff;	/* dir offset of dc_bp's start */
	bool			 dc_dirty;
	bool			 dc_rootheld;	/* holds pm_rootlock */
};
void	msdosfs_dc_init(struct msdosfs_dircursor *dc, struct msdosfs_node *dp);
/* Entry at directory offset off (a multiple of 32, < de_size); *locp is
 * its disk position if locp is not NULL. */
int	msdosfs_dc_get(struct msdosfs_dircursor *dc, uint32_t off,
	    uint8_t **epp, uint64_t *locp);
void	msdosfs_dc_dirty(struct msdosfs_dircursor *dc);
void	msdosfs_dc_done(struct msdosfs_dircursor *dc);
/* Size of a directory's contents (root: the fixed region). */
uint32_t msdosfs_dirsize(struct msdosfs_node *dp);

/* What a directory walk reports for each named entry. */
struct msdosfs_dirent {
	uint32_t	 d_off;		/* the short entry */
	uint32_t	 d_lfnoff;	/* first slot of the group */
	uint64_t	 d_loc;
	const uint8_t	*d_ent;		/* the 32 bytes of the short entry */
	char		*d_name;	/* UTF-8, NUL-terminated */
	size_t		 d_namelen;
};
/* Calls fn for each entry from offset start; fn returns 0 to go on,
 * non-zero to stop (returned by the walk, unless it is -1: then 0). */
int	msdosfs_dir_walk(struct msdosfs_node *dp, uint32_t start,
	    int (*fn)(void *, const struct msdosfs_dirent *), void *arg);
/* Finds name; ENOENT. */
int	msdosfs_dir_lookup(struct msdosfs_node *dp, const char *name,
	    size_t namelen, struct msdosfs_dirent *dep, uint8_t *ent,
	    char *namebuf);
/* Adds an entry group for name whose short entry is a copy of ent32 (the
 * name field is filled in here); returns where it went. */
int	msdosfs_dir_add(struct msdosfs_node *dp, const char *name,
	    size_t namelen, const uint8_t *ent32, uint32_t *offp,
	    uint32_t *lfnoffp, uint64_t *locp);
/* Marks the slots lfnoff..off deleted. */
int	msdosfs_dir_remove(struct msdosfs_node *dp, uint32_t lfnoff,
	    uint32_t off);
/* True when dp has no entries but "." and "..". */
int	msdosfs_dir_isempty(struct msdosfs_node *dp, bool *emptyp);
/* Number of subdirectories (for st_nlink). */
int	msdosfs_dir_countsubdirs(struct msdosfs_node *dp, uint32_t *np);

/* Names and times (msdosfs_conv.c). */
uint8_t	msdosfs_lfn_chksum(const uint8_t *name11);
/* Short entry name -> UTF-8 (buf has 40 bytes at least); its length. */
size_t	msdosfs_short2name(const uint8_t *ent, char *buf);
/* UTF-8 name -> UCS-2; EINVAL for bad UTF-8 or characters FAT cannot
 * store, ENAMETOOLONG past 255 UCS-2 units. */
int	msdosfs_name2ucs(const char *name, size_t len, uint16_t *ucs,
	    size_t *nucsp);
/* Appends UCS-2 chars (up to NUL) as UTF-8; false when it does not fit
 * or is malformed. */
bool	msdosfs_ucs2utf8(const uint16_t *ucs, size_t n, char *buf,
	    size_t buflen, size_t *lenp);
/* Whether name fits an 8.3 entry as it is (then name11 and *ntresp are
 * it); otherwise name11 is the basis for a generated short name. */
bool	msdosfs_mkshortname(const char *name, size_t len, uint8_t *name11,
	    uint8_t *ntresp);
/* Case-insensitive (ASCII, Latin-1) comparison of UTF-8 names. */
bool	msdosfs_name_eq(const char *a, size_t alen, const char *b,
	    size_t blen);
void	msdosfs_unix2dos(const struct timespec *ts, uint16_t *datep,
	    uint16_t *timep, uint8_t *csp);
void	msdosfs_dos2unix(uint16_t date, uint16_t time, uint8_t cs,
	    struct timespec *ts);

/* Nodes (msdosfs_node.c). */
/* The node of the entry at loc in dp (made from ent if not in memory),
 * with a referenced vnode. */
int	msdosfs_node_get(struct msdosfs_node *dp, const struct msdosfs_dirent *d,
	    struct vnode **vpp);
int	msdosfs_node_vget(struct msdosfs_node *dep, struct vnode **vpp);
int	msdosfs_node_root(struct msdosfs_mount *pmp);
void	msdosfs_node_rehash(struct msdosfs_node *dep, uint64_t loc);
/* Drops whatever keeps the node: frees it when nothing does. */
void	msdosfs_node_release(struct msdosfs_node *dep);
struct msdosfs_node *msdosfs_node_find(struct msdosfs_mount *pmp,
	    uint64_t loc);
void	msdosfs_node_setparent(struct msdosfs_node *dep,
	    struct msdosfs_node *parent);
/* Writes the node's fields into its directory entry. */
int	msdosfs_node_update(struct msdosfs_node *dep);
void	msdosfs_node_fill_entry(const struct msdosfs_node *dep, uint8_t *ent);
#define DE_UPD_ATIME	0x1
#define DE_UPD_MTIME	0x2
#define DE_UPD_CTIME	0x4
void	msdosfs_node_touch(struct msdosfs_node *dep, int what);
void	msdosfs_node_freeall(struct msdosfs_mount *pmp);

/* Whole-file-system sync (msdosfs_vfsops.c). */
int	msdosfs_syncfs(struct msdosfs_mount *pmp, bool durable);

extern const struct vnodeops msdosfs_vnodeops;

#endif /* FS_MSDOSFS_MSDOSFS_H */
