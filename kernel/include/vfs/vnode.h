/*
 * vnode.h: the contract between the VFS faction and file systems.
 *
 * A vnode is the VFS's handle on one file of one mounted file system.
 * Vnodes are reference counted and cached by (mount, key): a file system
 * names each of its files with a 64-bit key (tmpfs: the node address,
 * tagged for a directory; ext2: the inode number) and gets vnodes only through vcache_get(),
 * which calls the file system's vfs_loadvnode() on a cache miss.
 *
 * Locking (the order is written out in kernel/vfs/vfs_vnlock.c): every
 * vnode operation is called with the vnode(s) it names locked by the VFS
 * (vn_lock): vop_lookup, vop_create, vop_mkdir, vop_symlink, vop_readdir
 * and vop_parent with dvp locked; vop_link, vop_remove and vop_rmdir with
 * dvp and vp locked; vop_rename with fdvp, tdvp, fvp and tvp locked (and,
 * when fdvp != tdvp, the mount's rename lock held, so that no other
 * rename changes the shape of the tree meanwhile); every other operation
 * with vp locked.  vop_inactive and vop_reclaim run with vp locked and no
 * reference left, so nothing else can reach that vnode.  A file system
 * whose vfsops has VFS_MPSAFE relies on these locks and protects what its
 * files share (allocation maps, counters, node tables) with locks of its
 * own, taken after any vnode lock; without VFS_MPSAFE the VFS also holds
 * the mount's lock (mount_lock(), see mount.h) around every operation, so
 * the file system needs no locks of its own.  The VFS does all permission
 * checks, name-length
 * checks, and the POSIX semantics that are the same for every file system
 * (rename into itself, sticky directories, O_APPEND offsets); operations
 * only do what is specific to the file system.
 *
 * Every operation returns 0 or a positive (Linux) errno.
 */
#ifndef VFS_VNODE_H
#define VFS_VNODE_H

#include <kern/types.h>
#include <kern/lock.h>
#include <kern/qsbr.h>

struct mount;
struct vnode;
struct uio;

enum vtype { VNON, VREG, VDIR, VBLK, VCHR, VLNK, VSOCK, VFIFO };

/* Maximum file name length (bytes, without NUL) and path length. */
#define NAME_MAX	255
#define PATH_MAX	4096

/* File attributes.  VA_* bits in va_mask say which fields are valid (on
 * setattr: which to change). */
struct vattr {
	unsigned	va_mask;
#define VA_TYPE		0x0001
#define VA_MODE		0x0002	/* permission bits only (07777) */
#define VA_UID		0x0004
#define VA_GID		0x0008
#define VA_SIZE		0x0010
#define VA_ATIME	0x0020
#define VA_MTIME	0x0040
#define VA_CTIME	0x0080
#define VA_NLINK	0x0100
#define VA_INO		0x0200
#define VA_RDEV		0x0400
#define VA_BLOCKS	0x0800
#define VA_BLKSIZE	0x1000
#define VA_ALL		0x1fff
	enum vtype	va_type;
	mode_t		va_mode;
	uid_t		va_uid;
	gid_t		va_gid;
	uint64_t	va_size;
	nlink_t		va_nlink;
	ino_t		va_ino;
	dev_t		va_rdev;
	uint64_t	va_blocks;	/* 512-byte blocks allocated */
	uint32_t	va_blksize;
	struct timespec	va_atime, va_mtime, va_ctime;
};

/*
 * Directory entry callback for vop_readdir: called once per entry, in
 * order; off_next is the directory offset just past this entry (what a
 * later readdir continues from).  Returns 0 to go on, non-zero to stop
 * (buffer full: the entry was NOT consumed).  dtype is a DT_* value.
 */
#define DT_UNKNOWN	0
#define DT_FIFO		1
#define DT_CHR		2
#define DT_DIR		4
#define DT_BLK		6
#define DT_REG		8
#define DT_LNK		10
#define DT_SOCK		12
typedef int (*filldir_fn)(void *ctx, const char *name, size_t namelen,
    ino_t ino, int dtype, off_t off_next);

struct vnodeops {
	/* Finds name (namelen bytes, not NUL-terminated, never "." or
	 * "..": the VFS resolves those) in directory dvp; on success *vpp
	 * is a referenced vnode.  ENOENT when absent. */
	int	(*vop_lookup)(struct vnode *dvp, const char *name,
		    size_t namelen, struct vnode **vpp);
	/* Parent directory of dvp (for ".." and getcwd), referenced. */
	int	(*vop_parent)(struct vnode *dvp, struct vnode **vpp);
	/* Creates a new non-directory, non-symlink file (va_type VREG,
	 * VFIFO, VSOCK, VCHR, VBLK) with va_mode/va_uid/va_gid/va_rdev;
	 * the VFS has checked that name does not exist. */
	int	(*vop_create)(struct vnode *dvp, const char *name,
		    size_t namelen, const struct vattr *va, struct vnode **vpp);
	int	(*vop_mkdir)(struct vnode *dvp, const char *name,
		    size_t namelen, const struct vattr *va, struct vnode **vpp);
	int	(*vop_symlink)(struct vnode *dvp, const char *name,
		    size_t namelen, const struct vattr *va, const char *target,
		    struct vnode **vpp);
	/* Adds a name for vp (not a directory) in dvp. */
	int	(*vop_link)(struct vnode *dvp, struct vnode *vp,
		    const char *name, size_t namelen);
	/* Removes the name of vp (not a directory) from dvp. */
	int	(*vop_remove)(struct vnode *dvp, struct vnode *vp,
		    const char *name, size_t namelen);
	/* Removes the empty directory vp (ENOTEMPTY otherwise). */
	int	(*vop_rmdir)(struct vnode *dvp, struct vnode *vp,
		    const char *name, size_t namelen);
	/* Moves fvp (named fname in fdvp) to tname in tdvp, replacing tvp
	 * (NULL when tname is free).  The VFS has checked: same mount,
	 * types compatible, tvp an empty directory if a directory (the fs
	 * re-checks emptiness), fvp not an ancestor of tdvp, fvp != tvp;
	 * except for a file system that folds case, which may get
	 * fvp == tvp in one directory under two spellings of its name: a
	 * change of spelling (only such a file system can see it). */
	int	(*vop_rename)(struct vnode *fdvp, struct vnode *fvp,
		    const char *fname, size_t fnamelen,
		    struct vnode *tdvp, struct vnode *tvp,
		    const char *tname, size_t tnamelen);
	int	(*vop_getattr)(struct vnode *vp, struct vattr *va);
	/* Changes what va_mask says; VA_SIZE truncates or extends (sparse).
	 * Updates ctime itself.  ENOSPC when extending past a size limit is
	 * not an error: extension is sparse. */
	int	(*vop_setattr)(struct vnode *vp, const struct vattr *va);
	/* uio->uio_offset/resid say where and how much; short reads at EOF. */
	int	(*vop_read)(struct vnode *vp, struct uio *uio);
	/* Writes at uio->uio_offset (the VFS has set it to the end of file
	 * for O_APPEND); ENOSPC/EFBIG as appropriate; partial writes
	 * update uio and return 0 if anything was written. */
	int	(*vop_write)(struct vnode *vp, struct uio *uio);
	/* Entries from directory offset off (0: the start, incl. "." and
	 * ".."); offsets are stable cookies that stay valid when entries
	 * are added or removed meanwhile. */
	int	(*vop_readdir)(struct vnode *vp, off_t off, filldir_fn fill,
		    void *ctx);
	int	(*vop_readlink)(struct vnode *vp, struct uio *uio);
	/* fallocate(2) on regular file vp (optional; NULL: EOPNOTSUPP).
	 * mode 0 allocates [off, off + len) and extends the size to cover
	 * it; FALLOC_FL_KEEP_SIZE allocates without changing the size;
	 * FALLOC_FL_PUNCH_HOLE|FALLOC_FL_KEEP_SIZE deallocates (reads give
	 * zeroes).  The VFS has checked the arguments, the access mode and
	 * the file type; EOPNOTSUPP for modes the file system lacks,
	 * ENOSPC (nothing allocated), EFBIG. */
	int	(*vop_fallocate)(struct vnode *vp, int mode, uint64_t off,
		    uint64_t len);
#define FALLOC_FL_KEEP_SIZE	0x01
#define FALLOC_FL_PUNCH_HOLE	0x02
	/*
	 * Extended attributes (all four optional: NULL means the file
	 * system has none; listing then gives nothing, the others
	 * EOPNOTSUPP).  name is the full NUL-terminated name with its
	 * namespace prefix ("user.x", "trusted.y"); the VFS has checked
	 * its length (1..XATTR_NAME_MAX), the namespace, the caller's
	 * permissions and the value size (<= XATTR_SIZE_MAX).
	 * getxattr: buf NULL asks for the size (*lenp set); otherwise *lenp
	 * is the room in buf on entry and the value's size on return,
	 * ERANGE when it does not fit, ENODATA when absent.
	 * listxattr: the names, each NUL-terminated, in the same way.
	 * setxattr: flags XATTR_CREATE (EEXIST if present) or XATTR_REPLACE
	 * (ENODATA if absent); ENOSPC when the file system has no room.
	 * setxattr and removexattr update ctime.
	 */
	int	(*vop_getxattr)(struct vnode *vp, const char *name, void *buf,
		    size_t *lenp);
	int	(*vop_setxattr)(struct vnode *vp, const char *name,
		    const void *val, size_t len, int flags);
	int	(*vop_listxattr)(struct vnode *vp, char *buf, size_t *lenp);
	int	(*vop_removexattr)(struct vnode *vp, const char *name);
#define XATTR_CREATE	0x1
#define XATTR_REPLACE	0x2
#define XATTR_NAME_MAX	255
#define XATTR_SIZE_MAX	65536
#define XATTR_LIST_MAX	65536
	/* Writes dirty state of vp to stable storage (tmpfs: nothing). */
	int	(*vop_fsync)(struct vnode *vp, bool dataonly);
	/* The last reference went away: the fs may free the file's
	 * storage if it has no names left.  Returns true if the vnode
	 * should be reclaimed now rather than kept cached. */
	bool	(*vop_inactive)(struct vnode *vp);
	/* Detaches vp from the file system's data (v_data); the VFS then
	 * frees the vnode. */
	void	(*vop_reclaim)(struct vnode *vp);
};

struct vnode {
	enum vtype		 v_type;
	const struct vnodeops	*v_op;
	void			*v_data;	/* file system's node */
	struct mount		*v_mount;
	struct mount		*v_mountedhere;	/* mount covering this dir */
	uint64_t		 v_key;		/* cache key within v_mount */
	unsigned		 v_usecount;	/* references (atomic; vfs_vcache.c) */
	int			 v_flags;
#define VV_ROOT		0x01	/* root of its file system */
	/* Anyone may search this directory (mode has all three x bits):
	 * set by lookup, cleared by setattr, both with v_lock held; read
	 * without it by the lockless part of lookup (vfs_lookup.c). */
	bool			 v_searchall;	/* atomic */
	unsigned		 v_iflag;	/* vcache private (vcache lock) */
	krwlock_t		 v_lock;	/* vn_lock(), see above */
	struct vnode		*v_hashnext;	/* vcache private */
	struct vnode		*v_lrunext, *v_lruprev;	/* vcache private */
	struct qsbr_entry	 v_qsbr;	/* vcache private */
};

/* Finds or loads the vnode for (mp, key); *vpp is referenced. */
int	vcache_get(struct mount *mp, uint64_t key, struct vnode **vpp);
void	vref(struct vnode *vp);
/* Drops a reference; on the last one calls vop_inactive (and maybe
 * vop_reclaim) with the vnode locked (and the mount lock for a file
 * system without VFS_MPSAFE).  Never drop the last reference of a vnode
 * the caller has locked. */
void	vrele(struct vnode *vp);

/*
 * uio: a transfer between a vnode and a list of buffers, which are
 * client (user) addresses or kernel addresses.
 */
enum uio_rw { UIO_READ, UIO_WRITE };
enum uio_seg { UIO_USERSPACE, UIO_SYSSPACE };
struct kiovec {
	void	*iov_base;
	size_t	 iov_len;
};
struct uio {
	struct kiovec	*uio_iov;
	int		 uio_iovcnt;
	off_t		 uio_offset;
	size_t		 uio_resid;
	enum uio_rw	 uio_rw;
	enum uio_seg	 uio_segflg;
};
/* Moves up to n bytes between kernel buffer buf and the uio (direction
 * by uio_rw: READ copies buf out to the uio), advancing it. 0 or EFAULT. */
int	uiomove(void *buf, size_t n, struct uio *uio);
/* Zero-fills up to n bytes into a READ uio (holes of sparse files). */
int	uiomove_zero(size_t n, struct uio *uio);

#endif /* VFS_VNODE_H */
