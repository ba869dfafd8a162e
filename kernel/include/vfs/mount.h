/*
 * mount.h: mounted file systems and file system types.
 *
 * A file system type is a struct vfsops registered with VFS_REGISTER();
 * mount(2) finds it by name.  Each mount has one lock (mount_lock) that
 * the VFS holds around mount, unmount, remount, statfs and sync, and,
 * for a file system without VFS_MPSAFE in vfs_flags, around every vnode
 * operation as well (such a file system needs no locks of its own).  A
 * VFS_MPSAFE file system gets only the per-vnode locks described in
 * vnode.h: operations on different files run at the same time, and
 * statfs and sync run concurrently with them.
 */
#ifndef VFS_MOUNT_H
#define VFS_MOUNT_H

#include <kern/types.h>
#include <kern/lock.h>
#include <kern/component.h>

struct vnode;

/* File system statistics, filled by vfs_statfs (the VFS converts to the
 * Linux struct statfs). */
struct vfs_statfs {
	uint64_t	f_type;		/* magic, e.g. TMPFS_MAGIC 0x01021994 */
	uint64_t	f_bsize;
	uint64_t	f_blocks, f_bfree, f_bavail;
	uint64_t	f_files, f_ffree;
	uint64_t	f_namelen;
};

/* mount(2) flags handled by the VFS (Linux values). */
#define MS_RDONLY	0x0001
#define MS_NOSUID	0x0002
#define MS_NODEV	0x0004
#define MS_NOEXEC	0x0008
#define MS_REMOUNT	0x0020

struct vfsops {
	const char *vfs_name;		/* "tmpfs" */
	/* Sets up mp (mnt_data) from source and data (a kernel copy of
	 * the option string, may be NULL, e.g. "size=1m,mode=0755").
	 * Remount (mount(2) with MS_REMOUNT and options): called again on
	 * the mounted mp with MS_REMOUNT in mnt_flags and the mount lock
	 * held; changes only the options given, or fails (EINVAL) and
	 * changes nothing. */
	int	(*vfs_mount)(struct mount *mp, const char *source,
		    const char *data);
	/* The VFS has checked that no vnode other than the root is in
	 * use (EBUSY otherwise) and has reclaimed cached vnodes.  On an
	 * error (the disk refused the write-back) the file system must
	 * still be whole, mnt_data included: the VFS puts the mount back.
	 * With MNT_FORCE it gives everything up whatever happens, and an
	 * error is only reported. */
	int	(*vfs_unmount)(struct mount *mp, int flags);
	/* Cache key of the root directory. */
	uint64_t (*vfs_rootkey)(struct mount *mp);
	/* Fills vp (v_type, v_op, v_data) for key (cache miss). */
	int	(*vfs_loadvnode)(struct mount *mp, struct vnode *vp,
		    uint64_t key);
	int	(*vfs_statfs)(struct mount *mp, struct vfs_statfs *sf);
	int	(*vfs_sync)(struct mount *mp);
	int	vfs_flags;
#define VFS_MPSAFE	0x01	/* per-vnode locking is enough, see above */
	/* Names compare byte for byte and a file's key stays its own until
	 * the file is gone: the VFS may cache lookups (vfs_namecache.c).
	 * Needs VFS_MPSAFE. */
#define VFS_NAMECACHE	0x02
};

#define VFS_REGISTER(ops)	__link_set_add(vfsops, ops, ops)

struct mount {
	const struct vfsops	*mnt_op;
	void			*mnt_data;	/* file system's private */
	struct vnode		*mnt_vnodecovered; /* NULL for the root fs */
	struct vnode		*mnt_root;	/* referenced while mounted */
	int			 mnt_flags;	/* MS_* */
	kmutex_t		 mnt_lock;
	struct lwp		*mnt_lockowner;	/* recursion support */
	int			 mnt_lockdepth;
	/* Held by a rename between two directories (vfs_vnlock.c). */
	kmutex_t		 mnt_renamelock;
	uint64_t		 mnt_dev;	/* st_dev of its files */
	/* Keys equal but in their low mnt_keyshift bits probably belong
	 * to files that one thread works on together (files of one
	 * directory): the vnode cache gives them one lock (vfs_vcache.c).
	 * Set by vfs_mount before the first vnode; 0: no such locality. */
	unsigned		 mnt_keyshift;
	/* Keys with any of these bits set have no such locality and are
	 * spread over the locks by the whole key: objects that threads
	 * share, such as directories (tmpfs marks them so).  0: none. */
	uint64_t		 mnt_keyspread;
	struct mount		*mnt_next;
};

/* The mount lock; recursive for the owning lwp. */
void	mount_lock(struct mount *mp);
void	mount_unlock(struct mount *mp);

/* The root file system's root vnode (not referenced). */
extern struct vnode *rootvnode;

#endif /* VFS_MOUNT_H */
