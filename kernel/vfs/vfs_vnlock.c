/*
 * vfs_vnlock.c: vnode locks, and the order in which they are taken.
 *
 * Every vnode has a lock (v_lock).  The VFS holds it around each vnode
 * operation on that vnode, so operations on different files of one mount
 * run at the same time on different virtual CPUs.  A file system whose
 * vfsops says VFS_MPSAFE relies on these locks alone for the state of
 * each file, and protects what files share (allocation bitmaps, counts,
 * the FAT, node lists) with locks of its own; for any other file system
 * the mount lock is taken too, before the first vnode lock, which makes
 * every operation on that mount one at a time as before.
 *
 * Lock order.  A thread takes locks only in this order:
 *
 *   1. mount_mutex (mount, umount, the mount list)
 *   2. a file's f_offlock (the offset of read/write/getdents)
 *   3. a mount's rename lock (mnt_renamelock), only by a rename between
 *      two different directories
 *   4. the mount lock, for a file system without VFS_MPSAFE
 *   5. vnode locks, by these rules:
 *      - a directory before anything in it (parent before child);
 *        non-directories are leaves: nothing is locked after them except
 *        a second leaf of the same rename;
 *      - lookup (namei) first goes without any lock as far as the name
 *        cache takes it (namei_fast, vfs_lookup.c), then holds one
 *        vnode lock at a time: it locks a
 *        directory, finds the next component (a referenced, unlocked
 *        vnode), unlocks the directory and goes on; ".." is found by
 *        vop_parent with only the child locked, which is why vop_parent
 *        returns an unlocked vnode and no one then locks the parent while
 *        holding the child;
 *      - create, mkdir, symlink, mknod: the directory only (the new vnode
 *        is unreachable until its name exists);
 *      - link: the directory, then the file (a leaf);
 *      - unlink: the directory, then the file; rmdir: the directory,
 *        then the child directory;
 *      - rename in one directory: that directory, then the moving file
 *        and the replaced file (if any), the two leaves in address order;
 *      - rename between two directories: first the mount's rename lock,
 *        which stops every other such rename, so the ancestry of
 *        directories cannot change (only such a rename moves a directory
 *        to another parent).  With it held and no vnode locked, the
 *        rename walks up from each directory to the root, one vnode lock
 *        at a time (vop_parent), to learn whether one directory is an
 *        ancestor of the other and which entries lie on the way (that is
 *        the "into itself" check).  Then it locks the two directories,
 *        the ancestor first, or when neither is an ancestor of the other
 *        in address order (safe because everyone else locks two
 *        directories only as parent and child, and a directory that is
 *        not the other's ancestor cannot become one while the rename
 *        lock is held); then the moving and the replaced vnode in address
 *        order.  The moving directory is refused before it is locked
 *        when it lies on the path above the target directory, so it is
 *        never locked after one of its descendants;
 *   6. file system locks (e.g. tmpfs's tm_lock, ext2's em_lock and
 *      per-group locks, FAT's table lock): taken inside operations, never held while
 *      waiting for a vnode lock;
 *   7. busy buffers (bread/bget) of the block cache; a file system takes
 *      several at once only in an order of its own (see buf.h);
 *   8. bcache_lock (then at most one of the block cache's stripe
 *      locks), vcache_lock or one of the vnode cache's stripe locks:
 *      leaves, held briefly.
 *
 * The vnode cache (vfs_vcache.c) never waits for a vnode lock while
 * holding vcache_lock or one of its stripe locks.  The last vrele() of a vnode marks it VI_CHANGING
 * before it takes the vnode's lock to call vop_inactive: no one else has
 * a reference, so no one else holds or can take that lock, and a
 * vcache_get() of the same key waits until the vnode is settled.  That
 * wait happens with the caller's vnode locks held, which is safe because
 * inactive and reclaim take no vnode lock but their own.
 */
#include <kern/types.h>
#include <kern/lock.h>
#include <vfs/vnode.h>
#include <vfs/mount.h>
#include <vfs/vfs.h>

void
vn_lock(struct vnode *vp)
{

	if (!mount_mpsafe(vp->v_mount))
		mount_lock(vp->v_mount);
	rw_enter(&vp->v_lock, RW_WRITER);
}

void
vn_unlock(struct vnode *vp)
{

	rw_exit(&vp->v_lock);
	if (!mount_mpsafe(vp->v_mount))
		mount_unlock(vp->v_mount);
}

void
vn_lock2(struct vnode *a, struct vnode *b)
{

	vn_lock(a);
	if (b != NULL && b != a)
		vn_lock(b);
}

void
vn_unlock2(struct vnode *a, struct vnode *b)
{

	if (b != NULL && b != a)
		vn_unlock(b);
	vn_unlock(a);
}

bool
vn_islocked(struct vnode *vp)
{

	return rw_write_held(&vp->v_lock);
}
