/*
 * tmpfs.h: private interfaces of the tmpfs component.
 *
 * A tmpfs keeps every file in kernel memory.  Each file is a struct
 * tmpfs_node; the VFS's cache key for a file is the node's address, and a
 * node points back to its vnode while one exists.
 *
 * Locking (tmpfs is VFS_MPSAFE, see vfs/vnode.h): a node's fields, a
 * directory's entries and a file's pages belong to its vnode's lock,
 * which the VFS holds around every operation.  What nodes share is under
 * the mount's tm_lock, taken after vnode locks and held briefly: the
 * counters (tm_nodes, tm_extralinks, tm_nextino), the list of all nodes,
 * the limits, and a node's life (tn_vnode, tn_holds, and the decision to
 * free it in tmpfs_node_release()).  tm_used and tm_pages are only used
 * atomically.  A
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
	struct tmpfs_node	*td_parent;	/* held (tn_holds) once removed */
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

struct tmpfs_reg {
	void			*tr_root;	/* page tree, see tmpfs_data.c */
	int			 tr_height;
	uint64_t		 tr_npages;	/* data pages allocated */
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
	/* Removed directories whose td_parent this is (their ".." still
	 * leads here, as on Linux): the node stays while any exist. */
	unsigned		 tn_holds;
	dev_t			 tn_rdev;
	ino_t			 tn_ino;
	uint64_t		 tn_size;
	struct timespec		 tn_atime, tn_mtime, tn_ctime;
	struct vnode		*tn_vnode;	/* NULL when none */
	struct tmpfs_mount	*tn_tmp;
	struct tmpfs_node	*tn_allnext, *tn_allprev;
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

struct tmpfs_mount {
	struct mount		*tm_mp;
	kmutex_t		 tm_lock;	/* see the top of this file */
	struct tmpfs_node	*tm_root;
	uint64_t		 tm_maxpages;	/* size=, 0: only kmem's limit */
	uint64_t		 tm_pages;	/* data pages of all files */
	uint64_t		 tm_used;	/* bytes allocated, data and all */
	uint64_t		 tm_maxnodes;	/* nr_inodes=, 0: unlimited */
	uint64_t		 tm_nodes;
	uint64_t		 tm_extralinks;	/* non-directories' 2nd.. names */
	ino_t			 tm_nextino;
	struct tmpfs_node	*tm_allnodes;	/* every live node */
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
 * Inodes in use as nr_inodes= counts them: like Linux, every name of a
 * non-directory beyond its first counts as one more (it pins memory as a
 * node does).  tmpfs_inode_check() is ENOSPC when none is left.
 */
static inline uint64_t
tmpfs_inodes_used(const struct tmpfs_mount *tm)
{
	return tm->tm_nodes + tm->tm_extralinks;
}
int	tmpfs_inode_check(struct tmpfs_mount *tm);
/* A further name of an existing non-directory: counted against
 * nr_inodes= (ENOSPC when none is left) or given back. */
int	tmpfs_extralink_add(struct tmpfs_mount *tm);
void	tmpfs_extralink_drop(struct tmpfs_mount *tm);
/* One data page more (ENOSPC past size=) or fewer. */
int	tmpfs_page_reserve(struct tmpfs_mount *tm);
void	tmpfs_page_unreserve(struct tmpfs_mount *tm);
/* Pages in use, for checks that tolerate a concurrent change. */
uint64_t tmpfs_pages_used(struct tmpfs_mount *tm);

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
/* Frees the node if nothing refers to it any more (no name, no vnode,
 * no removed directory below it), and then perhaps its parent. */
void	tmpfs_node_release(struct tmpfs_node *tn);
#define TMPFS_UPD_ATIME	0x1
#define TMPFS_UPD_MTIME	0x2
#define TMPFS_UPD_CTIME	0x4
void	tmpfs_node_touch(struct tmpfs_node *tn, int what);
int	tmpfs_node_vget(struct tmpfs_mount *tm, struct tmpfs_node *tn,
	    struct vnode **vpp);
static inline uint64_t
tmpfs_node_key(const struct tmpfs_node *tn)
{
	return (uint64_t)(uintptr_t)tn;
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
