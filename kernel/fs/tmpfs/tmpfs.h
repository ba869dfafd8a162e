/*
 * tmpfs.h: private interfaces of the tmpfs component.
 *
 * A tmpfs keeps every file in kernel memory.  Each file is a struct
 * tmpfs_node; the VFS's cache key for a file is the node's address (with
 * the low bit set for a directory: tmpfs_node_key), and a node points
 * back to its vnode while one exists.
 *
 * Locking (tmpfs is VFS_MPSAFE, see vfs/vnode.h): a node's fields, a
 * directory's entries and a file's pages belong to its vnode's lock,
 * which the VFS holds around every operation.  What files of one mount
 * share is kept off the per-file path, as threads working on files of
 * their own would otherwise pass its cache lines between the host's
 * cores at every step (bench_scale):
 *  - a node's life (tn_life) is an atomic word of the node itself: what
 *    keeps it (a vnode, a name, removed directories below it) is added
 *    and dropped atomically, and whoever drops the last frees it;
 *  - the page and inode counts (size=, nr_inodes=) are taken from the
 *    mount in chunks that each virtual CPU keeps for itself (struct
 *    tmpfs_cpu), see tmpfs_pool_take();
 *  - inode numbers come in batches per virtual CPU;
 *  - there is no list of all nodes: at unmount every node left has a
 *    name, so a walk of the tree finds them all.
 * The mount's tm_lock only orders remounts against statfs.  A
 * directory's td_parent changes only in a rename between directories,
 * under the mount's rename lock and the vnode lock of the directory that
 * moves.
 *
 * Limits, as Linux tmpfs: size= bounds the file data pages (statfs
 * blocks) and nr_inodes= the nodes (statfs files).  Without size= a mount
 * may fill half of the kernel's memory limit, if there is one.  Metadata
 * (nodes, names, page tree nodes) counts against neither; like every
 * allocation it is bounded by the kernel's memory limit (RUMP_MEMLIMIT).
 * Everything a mount allocates goes through tmpfs_mem_alloc(), which
 * accounts it to the mount so that unmounting can prove nothing leaked.
 * A node is freed when it has no names left and no vnode (vop_reclaim),
 * or when the file system is unmounted.
 */
#ifndef FS_TMPFS_TMPFS_H
#define FS_TMPFS_TMPFS_H

#include <kern/types.h>
#include <vfs/vnode.h>
#include <vfs/mount.h>
#include <kern/pcounter.h>

#define TMPFS_MAGIC		0x01021994	/* statfs f_type, as Linux */
#define TMPFS_PAGE_SHIFT	12
#define TMPFS_PAGE_SIZE		(1u << TMPFS_PAGE_SHIFT)
#define TMPFS_PAGE_MASK		((uint64_t)TMPFS_PAGE_SIZE - 1)
/* Largest file size: what a signed 64-bit offset can address. */
#define TMPFS_MAXFILESIZE	((uint64_t)INT64_MAX)
/* Sizes reported for directories, as Linux tmpfs ("bogo" dirent size). */
#define TMPFS_DIRENT_SIZE	20
/* nlink ceiling: st_nlink is wide, but links and subdirectories beyond
 * this are more likely a runaway program than a need. */
#define TMPFS_LINK_MAX		0xffffffffu

/* Mode bits (not in the kernel headers: the VFS passes permissions only). */
#define TMPFS_S_ISUID		04000
#define TMPFS_S_ISGID		02000
#define TMPFS_S_ISVTX		01000
#define TMPFS_ALLPERMS		07777
#define TMPFS_ROOT_MODE		(0777 | TMPFS_S_ISVTX)	/* Linux default */

#define TMPFS_NODE_MAGIC	0x746d7066u	/* "tmpf": live node */

struct tmpfs_mount;
struct tmpfs_node;

/* One name in a directory.  Entries are kept in a list in the order of
 * their readdir cookies (insertion order) and in a hash table by name. */
struct tmpfs_dirent {
	struct tmpfs_dirent	*td_next, *td_prev;	/* cookie order */
	struct tmpfs_dirent	*td_hnext;		/* hash chain */
	struct tmpfs_node	*td_node;
	uint64_t		 td_cookie;		/* readdir offset */
	uint32_t		 td_hash;
	uint16_t		 td_namelen;
	char			 td_name[];		/* NUL-terminated */
};

struct tmpfs_dir {
	struct tmpfs_node	*td_parent;	/* held (LIFE_HOLD) once removed */
	struct tmpfs_dirent	*td_first, *td_last;
	struct tmpfs_dirent	**td_hashtab;
	uint32_t		 td_hashsize;	/* buckets, power of 2 or 0 */
	uint64_t		 td_nentries;
	uint64_t		 td_nextcookie;
	/* Readdir cursor: the first entry with cookie >= td_rdoff is
	 * td_rdent (NULL: none yet), so sequential reads start in O(1). */
	bool			 td_rdvalid;
	uint64_t		 td_rdoff;
	struct tmpfs_dirent	*td_rdent;
};

/* Pages a file keeps in its node, before the tree (tmpfs_data.c). */
#define TMPFS_NDIRECT		4

struct tmpfs_reg {
	void			*tr_direct[TMPFS_NDIRECT];
	void			*tr_root;	/* page tree, see tmpfs_data.c */
	int			 tr_height;
	uint64_t		 tr_npages;	/* data pages allocated */
	/* Every page and path of the tree has a lower index: freeing
	 * looks at no slot past it. */
	uint64_t		 tr_end;
};

struct tmpfs_lnk {
	char			*tl_target;	/* NUL-terminated */
	size_t			 tl_len;
};

/* One extended attribute; a node keeps them in a list sorted by name
 * (the order listxattr gives). */
struct tmpfs_xattr {
	struct tmpfs_xattr	*tx_next;
	size_t			 tx_namelen;	/* without the NUL */
	size_t			 tx_vallen;
	char			 tx_data[];	/* name, NUL, value */
};
/* Bytes of names and values one node may hold, as Linux tmpfs bounds
 * user.* attributes (ENOSPC past it). */
#define TMPFS_XATTR_MAX		(128 * 1024)

struct tmpfs_node {
	uint32_t		 tn_magic;
	enum vtype		 tn_type;
	mode_t			 tn_mode;	/* permission bits only */
	uid_t			 tn_uid;
	gid_t			 tn_gid;
	nlink_t			 tn_nlink;
	/* What keeps the node (TMPFS_LIFE_*), atomic: see
	 * tmpfs_node_drop(). */
	uint32_t		 tn_life;
	dev_t			 tn_rdev;
	ino_t			 tn_ino;
	uint64_t		 tn_size;
	struct timespec		 tn_atime, tn_mtime, tn_ctime;
	struct vnode		*tn_vnode;	/* NULL when none */
	struct tmpfs_mount	*tn_tmp;
	struct tmpfs_xattr	*tn_xattrs;
	size_t			 tn_xattrbytes;	/* names + values */
	union {
		struct tmpfs_dir dir;
		struct tmpfs_reg reg;
		struct tmpfs_lnk lnk;
	} tn_u;
};
#define tn_dir	tn_u.dir
#define tn_reg	tn_u.reg
#define tn_lnk	tn_u.lnk

/* What tn_life counts.  A node is freed when the last of them goes. */
#define TMPFS_LIFE_VNODE	0x1u	/* it has a vnode */
#define TMPFS_LIFE_NAMED	0x2u	/* nlink > 0 (0 is final) */
#define TMPFS_LIFE_HOLD		0x4u	/* one per removed directory whose
					 * ".." still leads here, as on
					 * Linux */

/* The counts size= and nr_inodes= limit. */
#define TMPFS_POOL_PAGES	0
#define TMPFS_POOL_INODES	1
#define TMPFS_NPOOLS		2

/* A count shared by the mount's files: taken by the virtual CPUs in
 * chunks, so that it is written once per chunk, not once per file.
 * Alone on its cache line (padded, after a padded neighbour). */
struct tmpfs_pool {
	uint64_t		 tp_taken;	/* in use + held by CPUs */
	uint64_t		 tp_max;	/* 0: no limit */
	uint64_t		 tp_chunk;	/* taken from tp_taken at once */
	char			 tp_pad[64 - 3 * sizeof(uint64_t)];
};

/* What one virtual CPU keeps for itself; slot ncpu is shared by
 * threads running without one.  Every field is only used atomically:
 * other CPUs take tc_cache at the limit. */
struct tmpfs_cpu {
	uint64_t		 tc_cache[TMPFS_NPOOLS];	/* reserved,
								 * unused */
	ino_t			 tc_nextino, tc_endino;	/* a batch */
	char			 tc_pad[64 - (TMPFS_NPOOLS + 2) *
				    sizeof(uint64_t)];
};

struct tmpfs_mount {
	char			 tm_pad0[64];	/* tm_pool off others' line */
	struct tmpfs_pool	 tm_pool[TMPFS_NPOOLS];
	ino_t			 tm_nextino;	/* atomic, by batches */
	char			 tm_pad1[64 - sizeof(ino_t)];
	/* Read-mostly from here. */
	struct mount		*tm_mp;
	kmutex_t		 tm_lock;	/* see the top of this file */
	struct tmpfs_node	*tm_root;
	struct tmpfs_cpu	*tm_cpu;	/* [tm_ncpu + 1], aligned */
	void			*tm_cpumem;	/* as allocated */
	size_t			 tm_cpumemsize;
	int			 tm_ncpu;
	/* Bytes allocated, data and all, per CPU: only unmount's leak
	 * check reads it. */
	struct pcounter		 tm_used;
};

/* Mount options (tmpfs_mntopts.c). */
struct tmpfs_args {
	uint64_t	ta_size;	/* 0: unlimited */
	uint64_t	ta_nr_inodes;	/* 0: unlimited */
	mode_t		ta_mode;
	uid_t		ta_uid;
	gid_t		ta_gid;
	unsigned	ta_set;		/* which options were given */
#define TMPFS_ARG_SIZE		0x01
#define TMPFS_ARG_NR_INODES	0x02
#define TMPFS_ARG_MODE		0x04
#define TMPFS_ARG_UID		0x08
#define TMPFS_ARG_GID		0x10
};
int	tmpfs_parse_args(const char *data, struct tmpfs_args *ta);

/* Memory accounted to a mount (tmpfs_node.c).  NULL when kmem is
 * exhausted; callers report ENOSPC. */
void	*tmpfs_mem_alloc(struct tmpfs_mount *tm, size_t size);
void	*tmpfs_mem_zalloc(struct tmpfs_mount *tm, size_t size);
void	 tmpfs_mem_free(struct tmpfs_mount *tm, void *p, size_t size);

/*
 * The counts size= and nr_inodes= limit (tmpfs_node.c).  Inodes count
 * as Linux counts them for nr_inodes=: every name of a non-directory
 * beyond its first counts as one more (it pins memory as a node does).
 * tmpfs_pool_take() takes one (ENOSPC at the limit), tmpfs_pool_give()
 * gives one back; tmpfs_pool_used() is what is in use (exact when
 * nothing changes meanwhile), for statfs and remount.
 */
int	tmpfs_pool_take(struct tmpfs_mount *tm, int pool);
void	tmpfs_pool_give(struct tmpfs_mount *tm, int pool);
uint64_t tmpfs_pool_used(struct tmpfs_mount *tm, int pool);
/* Sets a limit (0: none); what CPUs hold goes back to the mount so that
 * the new limit holds.  EINVAL below what is in use. */
int	tmpfs_pool_setmax(struct tmpfs_mount *tm, int pool, uint64_t max);
/* The per-CPU state, and its leftovers at unmount. */
int	tmpfs_pools_init(struct tmpfs_mount *tm, uint64_t maxpages,
	    uint64_t maxnodes);
void	tmpfs_pools_destroy(struct tmpfs_mount *tm);
static inline uint64_t
tmpfs_pool_max(struct tmpfs_mount *tm, int pool)
{
	return __atomic_load_n(&tm->tm_pool[pool].tp_max, __ATOMIC_RELAXED);
}

/* Extended attributes (tmpfs_xattr.c). */
extern int tmpfs_getxattr(struct vnode *, const char *, void *, size_t *);
extern int tmpfs_setxattr(struct vnode *, const char *, const void *,
    size_t, int);
extern int tmpfs_listxattr(struct vnode *, char *, size_t *);
extern int tmpfs_removexattr(struct vnode *, const char *);
void	tmpfs_xattr_destroy(struct tmpfs_node *tn);

/* Nodes (tmpfs_node.c). */
int	tmpfs_node_alloc(struct tmpfs_mount *tm, enum vtype type, mode_t mode,
	    uid_t uid, gid_t gid, dev_t rdev, struct tmpfs_node **tnp);
void	tmpfs_node_free(struct tmpfs_node *tn);
/* Drops what (one TMPFS_LIFE_*) from tn; the caller that drops the last
 * frees the node, and then perhaps its removed parent.  tn may be gone
 * on return. */
void	tmpfs_node_drop(struct tmpfs_node *tn, uint32_t what);
/* Frees every node left (unmount: none has a vnode any more). */
void	tmpfs_node_freeall(struct tmpfs_mount *tm);
#define TMPFS_UPD_ATIME	0x1
#define TMPFS_UPD_MTIME	0x2
#define TMPFS_UPD_CTIME	0x4
void	tmpfs_node_touch(struct tmpfs_node *tn, int what);
int	tmpfs_node_vget(struct tmpfs_mount *tm, struct tmpfs_node *tn,
	    struct vnode **vpp);
/* A node's vnode cache key: its address, with the low bit set for a
 * directory (mnt_keyspread: directories are spread over the cache's
 * locks, files grouped by the part of the heap they come from). */
#define TMPFS_KEY_DIR	1ULL
static inline uint64_t
tmpfs_node_key(const struct tmpfs_node *tn)
{
	return (uint64_t)(uintptr_t)tn | (tn->tn_type == VDIR ? TMPFS_KEY_DIR :
	    0);
}
static inline struct tmpfs_node *
VP_TO_TMPFS(const struct vnode *vp)
{
	return vp->v_data;
}

/* Directories (tmpfs_dir.c). */
void	tmpfs_dir_init(struct tmpfs_node *dn, struct tmpfs_node *parent);
struct tmpfs_dirent *tmpfs_dir_lookup(struct tmpfs_node *dn,
	    const char *name, size_t namelen);
/* A dirent for name not yet in any directory (ENOSPC, ENAMETOOLONG). */
int	tmpfs_dirent_alloc(struct tmpfs_mount *tm, const char *name,
	    size_t namelen, struct tmpfs_dirent **dep);
void	tmpfs_dirent_free(struct tmpfs_mount *tm, struct tmpfs_dirent *de);
/* Links de (pointing at de->td_node) into dn with the next cookie.  Never
 * fails: a hash table that cannot grow just gets longer chains. */
void	tmpfs_dir_attach(struct tmpfs_node *dn, struct tmpfs_dirent *de,
	    struct tmpfs_node *tn);
/* Unlinks de from dn (the caller frees it and fixes link counts). */
void	tmpfs_dir_detach(struct tmpfs_node *dn, struct tmpfs_dirent *de);
/* Frees all entries and the hash table (node teardown only). */
void	tmpfs_dir_destroy(struct tmpfs_node *dn);
int	tmpfs_dir_readdir(struct tmpfs_node *dn, off_t off, filldir_fn fill,
	    void *ctx);

/* Regular file data (tmpfs_data.c). */
int	tmpfs_data_read(struct tmpfs_node *tn, struct uio *uio);
int	tmpfs_data_write(struct tmpfs_node *tn, struct uio *uio);
/* Sets the size: frees pages past it and zeroes the tail of the last
 * page, or extends sparsely.  Never fails for sizes <= the maximum. */
void	tmpfs_data_truncate(struct tmpfs_node *tn, uint64_t size);
/* fallocate: allocate (mode 0, FALLOC_FL_KEEP_SIZE) or punch a hole. */
int	tmpfs_data_fallocate(struct tmpfs_node *tn, int mode, uint64_t off,
	    uint64_t len);
void	tmpfs_data_destroy(struct tmpfs_node *tn);

extern const struct vnodeops tmpfs_vnodeops;
extern const struct vfsops tmpfs_vfsops;

#endif /* FS_TMPFS_TMPFS_H */
