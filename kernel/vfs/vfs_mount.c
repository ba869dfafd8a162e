/*
 * vfs_mount.c: mounted file systems: the mount lock (which serialises
 * mount, unmount, remount, statfs and sync, and every operation of a file
 * system without VFS_MPSAFE; vnode locks are in vfs_vnlock.c), file system types,
 * mounting and unmounting, the root file system, statfs and sync.
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/kmem.h>
#include <kern/qsbr.h>
#include <kern/libkern.h>
#include <kern/lock.h>
#include <kern/proc.h>
#include <kern/component.h>
#include <vfs/vnode.h>
#include <vfs/mount.h>
#include <vfs/abi.h>
#include <vfs/vfs.h>
#include <vfs/cdev.h>

/* Contention statistics (kern/lock.h). */
static LOCKSTAT_CLASS(mount_lockstat, "mount lock");
static LOCKSTAT_CLASS(rename_lockstat, "mount rename lock");

kmutex_t mount_mutex;
struct mount *mountlist;
struct vnode *rootvnode;

/* st_dev values handed out to mounts (Linux anonymous devices have major
 * 0 too). */
static uint64_t mount_nextdev = 1;

__link_set_decl(vfsops, const struct vfsops *);

/*
 * The mount lock is recursive so that a file system operation may call
 * back into the VFS (vcache_get, vrele) on the same mount.  The owner is
 * compared without the mutex: only the owning lwp can find itself there.
 */
void
mount_lock(struct mount *mp)
{
	struct lwp *l = curlwp;

	if (__atomic_load_n(&mp->mnt_lockowner, __ATOMIC_RELAXED) == l) {
		mp->mnt_lockdepth++;
		return;
	}
	mutex_enter(&mp->mnt_lock);
	__atomic_store_n(&mp->mnt_lockowner, l, __ATOMIC_RELAXED);
	mp->mnt_lockdepth = 1;
}

void
mount_unlock(struct mount *mp)
{

	KASSERT(mp->mnt_lockowner == curlwp && mp->mnt_lockdepth > 0);
	if (--mp->mnt_lockdepth > 0)
		return;
	__atomic_store_n(&mp->mnt_lockowner, NULL, __ATOMIC_RELAXED);
	mutex_exit(&mp->mnt_lock);
}

bool
mount_trylock_fresh(struct mount *mp)
{
	struct lwp *l = curlwp;

	if (__atomic_load_n(&mp->mnt_lockowner, __ATOMIC_RELAXED) == l)
		return false;
	if (!mutex_tryenter(&mp->mnt_lock))
		return false;
	__atomic_store_n(&mp->mnt_lockowner, l, __ATOMIC_RELAXED);
	mp->mnt_lockdepth = 1;
	return true;
}

const struct vfsops *
vfs_getopsbyname(const char *name)
{
	const struct vfsops *const *opp;
	const void *const *start, *const *stop;
	const struct vfsops *ops;
	int cursor = 0;

	__link_set_foreach(opp, vfsops) {
		if (*opp != NULL && strcmp((*opp)->vfs_name, name) == 0)
			return *opp;
	}
	/* File systems in shared objects loaded at run time. */
	while (linkset_range("vfsops", &cursor, &start, &stop)) {
		for (const void *const *p = start; p < stop; p++) {
			ops = *p;
			if (ops != NULL && strcmp(ops->vfs_name, name) == 0)
				return ops;
		}
	}
	return NULL;
}

static void
mountlist_remove(struct mount *mp)
{
	struct mount **mpp;

	for (mpp = &mountlist; *mpp != NULL; mpp = &(*mpp)->mnt_next) {
		if (*mpp == mp) {
			*mpp = mp->mnt_next;
			break;
		}
	}
	mp->mnt_next = NULL;
}

static void
mount_free_now(struct qsbr_entry *q)
{

	kmem_free(container_of(q, struct vfs_mount, vm_qsbr),
	    sizeof(struct vfs_mount));
}

/* A lockless lookup may still be reading the mount (reached through
 * v_mountedhere or a vnode's v_mount): its memory goes later. */
static void
mount_free(struct mount *mp)
{

	nc_purge_mount(mp);
	mutex_destroy(&mp->mnt_lock);
	mutex_destroy(&mp->mnt_renamelock);
	qsbr_retire(&VFS_MOUNT(mp)->vm_qsbr, mount_free_now);
}

int
vfs_domount(const struct vfsops *ops, struct vnode *covered,
    const char *source, const char *data, int flags, struct mount **mpp)
{
	struct vfs_mount *vm;
	struct mount *mp;
	struct vnode *rvp;
	int error;

	vm = kmem_zalloc(sizeof(*vm), KM_SLEEP);
	if (vm == NULL)
		return ENOMEM;
	mp = &vm->vm_mount;
	mp->mnt_op = ops;
	mp->mnt_flags = flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
	mutex_init(&mp->mnt_lock, MUTEX_DEFAULT);
	mutex_init(&mp->mnt_renamelock, MUTEX_DEFAULT);
	mutex_setstat(&mp->mnt_lock, &mount_lockstat);
	mutex_setstat(&mp->mnt_renamelock, &rename_lockstat);
	mp->mnt_dev = mount_nextdev++;

	mount_lock(mp);
	error = ops->vfs_mount(mp, source, data);
	if (error != 0) {
		mount_unlock(mp);
		mount_free(mp);
		return error;
	}
	error = vcache_get(mp, ops->vfs_rootkey(mp), &rvp);
	if (error == 0 && rvp->v_type != VDIR) {
		mp->mnt_root = rvp;
		error = ENOTDIR;
		goto undo_root;
	}
	if (error != 0)
		goto undo;
	rvp->v_flags |= VV_ROOT;
	mp->mnt_root = rvp;

	if (covered != NULL) {
		mutex_enter(&vcache_lock);
		if (covered->v_mountedhere != NULL) {
			mutex_exit(&vcache_lock);
			error = EBUSY;
			goto undo_root;
		}
		/* Release: a lockless lookup that sees the mount sees
		 * its root (vfs_lookup.c). */
		__atomic_store_n(&covered->v_mountedhere, mp,
		    __ATOMIC_RELEASE);
		mp->mnt_vnodecovered = covered;
		mutex_exit(&vcache_lock);
	} else {
		rootvnode = rvp;
	}
	mount_unlock(mp);

	mp->mnt_next = mountlist;
	mountlist = mp;
	*mpp = mp;
	return 0;

 undo_root:
	(void)vcache_flush(mp, 1);
	vcache_reclaim_root(mp);
 undo:
	(void)ops->vfs_unmount(mp, MNT_FORCE);
	mount_unlock(mp);
	mount_free(mp);
	return error;
}

/* Releases the last references of a detached mount's callers and the
 * mount's own root reference; the last vrele frees the mount. */
static void
vfs_detach(struct mount *mp, struct vnode *covered)
{
	struct vnode *rvp = mp->mnt_root;

	mountlist_remove(mp);
	vrele(covered);
	vrele(rvp);	/* the caller's */
	vrele(rvp);	/* the mount's own */
}

int
vfs_dounmount(struct mount *mp, int flags)
{
	struct vfs_mount *vm = VFS_MOUNT(mp);
	struct vnode *covered = mp->mnt_vnodecovered;
	struct vnode *rvp = mp->mnt_root;
	struct mount *m;
	bool busy;
	int error;

	if (covered == NULL) {
		/* The root file system stays. */
		vrele(rvp);
		return EBUSY;
	}
	for (m = mountlist; m != NULL; m = m->mnt_next) {
		if (m->mnt_vnodecovered != NULL &&
		    m->mnt_vnodecovered->v_mount == mp) {
			vrele(rvp);
			return EBUSY;
		}
	}

	mount_lock(mp);
	/* A lookup without locks may have read the way in (v_mountedhere)
	 * and take a reference on a vnode of the mount any moment, without
	 * vcache_lock: from here on none does (vcache_tryref), and those
	 * under way are done when qsbr_synchronize returns, so the counts
	 * below are all there are. */
	__atomic_store_n(&vm->vm_closed, true, __ATOMIC_RELAXED);
	qsbr_synchronize();
	/* Closed, the count of active vnodes changes only in vm_nactive
	 * (nactive_add): the per-CPU part is frozen, for vrele's test of
	 * the last one once the mount is detached. */
	vm->vm_nactive_frozen = pcounter_read(&vm->vm_nactive_pc);
	/* Deciding "not busy" and closing the way in (v_mountedhere) must
	 * be one step: afterwards no one can take a new reference. */
	mutex_enter(&vcache_lock);
	/* Only holders add references without vcache_lock (vref): at 2
	 * (ours and the mount's) there is no other holder to add one.
	 * Acquire, against vrele's release: a holder that has let go did
	 * everything it did with the root (its lock too) before. */
	busy = __atomic_load_n(&rvp->v_usecount, __ATOMIC_ACQUIRE) > 2;
	if (!busy) {
		/* Only the root (ours and the mount's reference) active. */
		busy = vcache_nactive(vm) > 1;
	}
	if (!busy || (flags & MNT_DETACH) != 0) {
		__atomic_store_n(&covered->v_mountedhere, NULL,
		    __ATOMIC_RELAXED);
		if (busy) {
			mp->mnt_vnodecovered = NULL;
			__atomic_store_n(&vm->vm_detached, true,
			    __ATOMIC_RELEASE);
			vm->vm_umountflags = flags;
		}
	}
	mutex_exit(&vcache_lock);
	if (busy) {
		mount_unlock(mp);
		if ((flags & MNT_DETACH) == 0) {
			/* Still mounted (a detached mount stays closed:
			 * its lookups take the locks). */
			__atomic_store_n(&vm->vm_closed, false,
			    __ATOMIC_RELAXED);
			vrele(rvp);
			return EBUSY;
		}
		vfs_detach(mp, covered);
		return 0;
	}

	error = vcache_flush(mp, 2);
	KASSERT(error == 0);
	mutex_enter(&vcache_lock);
	/* the caller's reference */
	__atomic_sub_fetch(&rvp->v_usecount, 1, __ATOMIC_RELAXED);
	mutex_exit(&vcache_lock);
	vcache_reclaim_root(mp);

	error = mp->mnt_op->vfs_unmount(mp, flags);
	if (error != 0 && (flags & MNT_FORCE) == 0) {
		/* Put it back as it was (forced, the file system has let
		 * go anyway: the error is only reported). */
		if (vcache_get(mp, mp->mnt_op->vfs_rootkey(mp), &rvp) == 0) {
			rvp->v_flags |= VV_ROOT;
			__atomic_store_n(&mp->mnt_root, rvp, __ATOMIC_RELAXED);
			mutex_enter(&vcache_lock);
			__atomic_store_n(&covered->v_mountedhere, mp,
			    __ATOMIC_RELEASE);
			mutex_exit(&vcache_lock);
			__atomic_store_n(&vm->vm_closed, false,
			    __ATOMIC_RELAXED);
			mount_unlock(mp);
			return error;
		}
		/* No root any more: the mount is gone either way. */
		error = 0;
	}
	mount_unlock(mp);
	mountlist_remove(mp);
	mount_free(mp);
	vrele(covered);
	return error;
}

void
vfs_finalize_detached(struct mount *mp)
{

	mount_lock(mp);
	vcache_purge(mp);
	(void)mp->mnt_op->vfs_unmount(mp,
	    VFS_MOUNT(mp)->vm_umountflags | MNT_FORCE);
	mount_unlock(mp);
	mount_free(mp);
}

int
vfs_statfs_linux(struct mount *mp, struct statfs *sf)
{
	struct vfs_statfs vs;
	int error = 0;

	memset(&vs, 0, sizeof(vs));
	if (mp->mnt_op->vfs_statfs != NULL) {
		mount_lock(mp);
		error = mp->mnt_op->vfs_statfs(mp, &vs);
		mount_unlock(mp);
		if (error != 0)
			return error;
	}
	memset(sf, 0, sizeof(*sf));
	sf->f_type = (long)vs.f_type;
	sf->f_bsize = (long)vs.f_bsize;
	sf->f_blocks = (long)vs.f_blocks;
	sf->f_bfree = (long)vs.f_bfree;
	sf->f_bavail = (long)vs.f_bavail;
	sf->f_files = (long)vs.f_files;
	sf->f_ffree = (long)vs.f_ffree;
	sf->f_fsid.val[0] = (int)mp->mnt_dev;
	sf->f_fsid.val[1] = (int)(mp->mnt_dev >> 32);
	sf->f_namelen = vs.f_namelen != 0 ? (long)vs.f_namelen : NAME_MAX;
	sf->f_frsize = (long)vs.f_bsize;
	sf->f_flags = ST_VALID;
	if (mp->mnt_flags & MS_RDONLY)
		sf->f_flags |= ST_RDONLY;
	if (mp->mnt_flags & MS_NOSUID)
		sf->f_flags |= ST_NOSUID;
	if (mp->mnt_flags & MS_NODEV)
		sf->f_flags |= ST_NODEV;
	if (mp->mnt_flags & MS_NOEXEC)
		sf->f_flags |= ST_NOEXEC;
	return 0;
}

void
vfs_syncall(void)
{
	struct mount *mp;

	mutex_enter(&mount_mutex);
	for (mp = mountlist; mp != NULL; mp = mp->mnt_next) {
		if (mp->mnt_op->vfs_sync == NULL ||
		    (mp->mnt_flags & MS_RDONLY) != 0)
			continue;
		mount_lock(mp);
		(void)mp->mnt_op->vfs_sync(mp);
		mount_unlock(mp);
	}
	mutex_exit(&mount_mutex);
}

/* The faction's own state, before file systems register. */
RUMP_COMPONENT(RUMP_COMPONENT_VFS, vfs_init)
{

	mutex_init(&mount_mutex, MUTEX_DEFAULT);
	vcache_init();
	nc_init();
	vfs_pathbuf_init();
}

/* The root file system: tmpfs when it is linked in.  Without one there
 * is no root and path lookups fail with ENOENT. */
RUMP_COMPONENT(RUMP_COMPONENT_POSTINIT, vfs_mountroot)
{
	const struct vfsops *ops;
	struct mount *mp;
	int error;

	if (rootvnode != NULL)
		return;
	ops = vfs_getopsbyname("tmpfs");
	if (ops == NULL) {
		aprint_verbose("vfs: no tmpfs linked in, no root file system\n");
		return;
	}
	mutex_enter(&mount_mutex);
	error = vfs_domount(ops, NULL, "tmpfs", NULL, 0, &mp);
	mutex_exit(&mount_mutex);
	if (error != 0)
		printf("vfs: mounting the root tmpfs failed: error %d\n",
		    error);
	else {
		aprint_verbose("vfs: root file system tmpfs\n");
		cdev_makenodes();
	}
}
