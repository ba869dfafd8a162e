/*
 * vfs.h: interfaces between the files of the VFS faction (kernel/vfs):
 * the private side of mounts and the vnode cache, permission checks,
 * vnode locks, and vnode helpers that lock around vnode operations.
 * File systems use vnode.h and mount.h only.
 *
 * Lock order (the full rules, with rename, are at the top of
 * vfs_vnlock.c): mount_mutex (mount/umount) -> a file's f_offlock -> a
 * mount's rename lock -> the mount lock (for a file system without
 * VFS_MPSAFE, taken before its first vnode lock) -> vnode locks (parents
 * before children) -> file system locks -> busy buffers -> bcache_lock,
 * vcache_lock or a vnode cache stripe lock.  Code drops a vnode's last reference (vrele) only while
 * holding no lock of another mount, and never holding that vnode's lock.
 */
#ifndef VFS_VFS_H
#define VFS_VFS_H

#include <kern/types.h>
#include <kern/errno.h>
#include <kern/lock.h>
#include <kern/pcounter.h>
#include <kern/proc.h>
#include <vfs/vnode.h>
#include <vfs/mount.h>

struct stat;
struct statfs;

/*
 * Mounts.  The VFS allocates a struct vfs_mount around each struct mount
 * for the state file systems never see.
 */
struct vfs_mount {
	struct mount	 vm_mount;
	/* Vnodes with references: the sum of a count per CPU, while the
	 * mount is open (each file's first reference and last release
	 * change it: one shared word was a cache line passed between the
	 * host's cores), and of vm_nactive, which takes the changes
	 * once it is closed (vm_closed, then qsbr_synchronize: the per-CPU
	 * part then stays as it is, vm_nactive_frozen).  vcache_nactive(). */
	struct pcounter	 vm_nactive_pc;
	int64_t		 vm_nactive;		/* atomic */
	int64_t		 vm_nactive_frozen;
	bool		 vm_detached;	/* lazily unmounted (atomic) */
	bool		 vm_finalizing;	/* last vnode gone (vcache_lock) */
	/* Being unmounted or detached: lookups without locks take no
	 * reference on its vnodes (vcache_tryref; atomic). */
	bool		 vm_closed;
	int		 vm_umountflags;
	struct qsbr_entry vm_qsbr;	/* freed after lockless lookups */
};
#define VFS_MOUNT(mp)	container_of(mp, struct vfs_mount, vm_mount)

/* Serialises mount(2), umount2(2) and the mount list. */
extern kmutex_t mount_mutex;
extern struct mount *mountlist;		/* mount_mutex */

/* Finds a registered file system type by name (NULL if none). */
const struct vfsops *vfs_getopsbyname(const char *name);
/* Mounts a file system of type ops on covered (a referenced directory,
 * consumed on success; NULL for the root).  Caller holds mount_mutex. */
int	 vfs_domount(const struct vfsops *ops, struct vnode *covered,
	    const char *source, const char *data, int flags,
	    struct mount **mpp);
/* Unmounts mp; the caller holds mount_mutex and one reference to
 * mp->mnt_root, which this consumes. */
int	 vfs_dounmount(struct mount *mp, int flags);
/* Takes mp's lock only if no one, including the caller, holds it. */
bool	 mount_trylock_fresh(struct mount *mp);
/* Converts the file system's statistics for statfs(2). */
int	 vfs_statfs_linux(struct mount *mp, struct statfs *sf);
void	 vfs_syncall(void);
/* Frees a lazily unmounted file system once its last vnode is gone. */
void	 vfs_finalize_detached(struct mount *mp);

/*
 * Vnode locks (vfs_vnlock.c).  vn_lock() takes vp's lock (and, for a
 * file system without VFS_MPSAFE, its mount's lock first); vn_lock2()
 * takes two vnodes' locks, a before b (b may be NULL or equal to a): a
 * parent directory before its child.  vn_islocked() is for assertions.
 */
void	 vn_lock(struct vnode *vp);
void	 vn_unlock(struct vnode *vp);
void	 vn_lock2(struct vnode *a, struct vnode *b);
void	 vn_unlock2(struct vnode *a, struct vnode *b);
bool	 vn_islocked(struct vnode *vp);
/* True when mp's file system does its own locking (VFS_MPSAFE). */
static inline bool
mount_mpsafe(const struct mount *mp)
{
	return (mp->mnt_op->vfs_flags & VFS_MPSAFE) != 0;
}

/*
 * Vnode cache internals.  A lock per stripe of hash chains protects
 * v_iflag, the chains, the stripe's LRU of unreferenced vnodes and every
 * change of v_usecount from or to 0 (other changes are atomic, without
 * a lock); vcache_lock protects v_mountedhere and mnt_vnodecovered
 * (vfs_vcache.c).  A vnode being loaded, inactivated or reclaimed has
 * VI_CHANGING set; vcache_get() of its key waits until it is done, so
 * no file system sees a new reference to a vnode in transition.
 */
extern kmutex_t vcache_lock;
#define VI_CHANGING	0x01
void	 vcache_init(void);
/* The vnodes of vm with references; exact when vm is closed and no
 * lockless lookup is under way (vfs_dounmount), which also sets
 * vm_nactive_frozen. */
int64_t	 vcache_nactive(struct vfs_mount *vm);
/* vref() with vcache_lock held (vref needs no lock: the same). */
void	 vref_locked(struct vnode *vp);
/* Reclaims every unreferenced vnode of mp; EBUSY (and nothing reclaimed)
 * if a vnode other than mp's root is referenced or the root has more
 * than rootrefs references.  Caller holds mp's lock. */
int	 vcache_flush(struct mount *mp, unsigned rootrefs);
/* Drops the mount's own reference to its root and reclaims it. Caller
 * holds mp's lock and has flushed mp. */
void	 vcache_reclaim_root(struct mount *mp);
/* Reclaims everything of mp whatever the references (lazy unmount
 * finalisation: nothing is referenced any more). */
void	 vcache_purge(struct mount *mp);
/* Crossing mount points: the root of the file system mounted on vp
 * (referenced) or NULL; and for the root of a mounted file system, the
 * vnode it covers (referenced) or NULL. */
struct vnode *vcache_mountedroot(struct vnode *vp);
struct vnode *vcache_coveredvnode(struct vnode *vp);
/* For lookups without locks (kern/qsbr.h rules): the cached vnode of
 * (mp, key) if there is one, unreferenced, possibly on its way out; and
 * a reference on such a vnode if that takes no waiting: false when the
 * vnode is no longer cached, its stripe lock is busy or its mount is
 * being unmounted (vm_closed). */
struct vnode *vcache_peek(struct mount *mp, uint64_t key);
bool	 vcache_tryref(struct vnode *vp);

/*
 * The name cache (vfs_namecache.c): name in directory dvp is file key
 * of the same mount.  nc_lookup takes no lock (kern/qsbr.h rules);
 * nc_enter and nc_remove are called with dvp locked, nc_remove before
 * every removal of a name, nc_purge_mount at unmount.
 */
void	 nc_init(void);
bool	 nc_lookup(struct vnode *dvp, const char *name, size_t len,
	    uint64_t *keyp);
void	 nc_enter(struct vnode *dvp, const char *name, size_t len,
	    struct vnode *vp);
void	 nc_remove(struct vnode *dvp, const char *name, size_t len);
void	 nc_purge_mount(struct mount *mp);

/*
 * Permission checks (vfs_access.c).  acc is a mask of VREAD, VWRITE,
 * VEXEC (the values of R_OK, W_OK, X_OK).  All return 0 or an errno.
 */
#define VEXEC	1
#define VWRITE	2
#define VREAD	4
int	 vaccess(const struct vattr *va, int acc,
	    const struct kauth_cred *cred);
/* vaccess on vp's attributes; vp locked. */
int	 vn_access_locked(struct vnode *vp, int acc,
	    const struct kauth_cred *cred);
int	 vn_access(struct vnode *vp, int acc, const struct kauth_cred *cred);
/* Removing or renaming an entry of a sticky directory: EPERM unless the
 * caller owns the file or the directory (or is root). */
int	 vaccess_sticky(const struct vattr *dva, const struct vattr *va,
	    const struct kauth_cred *cred);
/* chmod: EPERM unless owner/root; *modep is adjusted (setgid cleared for
 * a non-member).  */
int	 vaccess_chmod(const struct vattr *va, mode_t *modep,
	    const struct kauth_cred *cred);
/* chown: (uid_t)-1 / (gid_t)-1 mean unchanged; fills setva (VA_UID,
 * VA_GID, VA_MODE with set-id bits cleared for non-root). */
int	 vaccess_chown(const struct vattr *va, uid_t uid, gid_t gid,
	    const struct kauth_cred *cred, struct vattr *setva);
/* The mode (07777) a non-directory keeps when cred writes, truncates or
 * chowns it: without set-user-ID, and without set-group-ID when that has
 * group execute or cred is not in the group; unchanged for root. */
mode_t	 vaccess_killsuid(const struct vattr *va,
	    const struct kauth_cred *cred);
/* Drops set-id bits as vaccess_killsuid() says before vp is written to or
 * truncated by the current credentials; vp locked. */
int	 vn_killsuid_locked(struct vnode *vp);
/* utimensat: settimes is false for "now" (NULL times, UTIME_NOW). */
int	 vaccess_utimes(const struct vattr *va, bool settimes,
	    const struct kauth_cred *cred);
/* EROFS when vp's file system is mounted read-only. */
int	 vn_writechk(struct vnode *vp);
/* Attributes for a new file in directory dva: owner, group (BSD rule
 * for set-group-id directories) and mode after umask. */
void	 vattr_newfile(const struct vattr *dva, enum vtype type, mode_t mode,
	    const struct kauth_cred *cred, struct vattr *va);

/*
 * Vnode helpers (vfs_vnops.c): each takes and releases the vnode lock
 * (vn_lock) unless it says _locked, when the caller holds it.
 */
int	 vn_getattr(struct vnode *vp, struct vattr *va);
int	 vn_setattr_locked(struct vnode *vp, const struct vattr *va);
int	 vn_stat(struct vnode *vp, struct stat *st);
void	 vn_vattr_to_stat(struct vnode *vp, const struct vattr *va,
	    struct stat *st);
/* Looks name up in dvp with dvp locked: handles nothing but
 * plain names (no "." / ".."); does not cross mount points. */
int	 vn_lookup_locked(struct vnode *dvp, const char *name, size_t len,
	    struct vnode **vpp);
/* true when directory vp has no entries but "." and ".."; locked. */
int	 vn_dirempty_locked(struct vnode *vp, bool *emptyp);
/* Symlink text into a kernel buffer (NUL-terminated, len incl. NUL). */
int	 vn_readlink_kernel(struct vnode *vp, char *buf, size_t buflen,
	    size_t *lenp);
/* Creates the file of an AF_UNIX socket at kernel path kpath (EEXIST
 * when the name exists); *vpp referenced.  Used by the net faction. */
int	 vfs_mksock(const char *kpath, mode_t mode, struct vnode **vpp);
/* Copies a path argument in: EFAULT for NULL, ENAMETOOLONG, ENOENT for
 * "" unless emptyok; buf has PATH_MAX bytes. */
int	 vfs_copyinpath(const char *upath, char *buf, bool emptyok);
/* A PATH_MAX buffer (NULL when out of memory); a few are kept in
 * reserve for when memory runs out. */
void	 vfs_pathbuf_init(void);
char	*vfs_pathbuf_get(void);
void	 vfs_pathbuf_put(char *buf);

/* Calls of vnode operations that a file system may leave NULL. */
static inline int
VOP_GETATTR(struct vnode *vp, struct vattr *va)
{
	va->va_mask = 0;
	return vp->v_op->vop_getattr(vp, va);
}
#define VOP_OPTIONAL(vp, op, err, ...)					\
	((vp)->v_op->op != NULL ? (vp)->v_op->op(__VA_ARGS__) : (err))

#endif /* VFS_VFS_H */
