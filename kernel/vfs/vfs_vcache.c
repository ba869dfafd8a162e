/*
 * vfs_vcache.c: the vnode cache.
 *
 * Vnodes are found by (mount, key) in a hash table.  A vnode whose last
 * reference goes is kept (after vop_inactive) on an LRU list so that a
 * later lookup finds it cheaply; the list is bounded and its oldest
 * entries are reclaimed beyond the bound.
 *
 * One mutex (vcache_lock) protects the hash and the LRU; vcache_cv wakes
 * those waiting for a vnode in transition.  Reference counts change
 * atomically: a holder of a reference adds one (vref) or drops one that
 * is not the last (vrele) without the lock, which path lookups do
 * several times per component; a count goes from 0 to 1 (vcache_get)
 * and from 1 to 0 (the last vrele) only with vcache_lock held, so a
 * count of 0 seen under the lock stays 0 until the lock is dropped.  A vnode
 * is in transition (VI_CHANGING) while it is loaded (vfs_loadvnode),
 * inactivated after its last reference went (vop_inactive), or reclaimed
 * (vop_reclaim): a vcache_get() of its key then waits, so the file
 * system's inactive/reclaim never race with a new reference.  Inactive
 * and reclaim run with the vnode locked; for a file system without
 * VFS_MPSAFE the mount lock is taken first, as around every operation
 * (lock order in vfs_vnlock.c).
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/kmem.h>
#include <kern/libkern.h>
#include <kern/lock.h>
#include <kern/proc.h>
#include <vfs/vnode.h>
#include <vfs/mount.h>
#include <vfs/vfs.h>

/* Contention statistics (kern/lock.h). */
static LOCKSTAT_CLASS(vnode_lockstat, "vnode");
static LOCKSTAT_CLASS(vcache_lockstat, "vcache_lock");

#define VCACHE_HASHSIZE	1024		/* power of two */
/* A reference count, read without tearing while others change it. */
#define VUSE(vp)	__atomic_load_n(&(vp)->v_usecount, __ATOMIC_RELAXED)
#define VCACHE_LRUMAX	2048		/* unreferenced vnodes kept */

kmutex_t vcache_lock;
kcondvar_t vcache_cv;

static struct vnode *vcache_hash[VCACHE_HASHSIZE];
static struct vnode *lru_head, *lru_tail;
static unsigned lru_count;

static size_t
vcache_bucket(struct mount *mp, uint64_t key)
{
	uint64_t h = (uint64_t)(uintptr_t)mp * 0x9e3779b97f4a7c15ULL;

	h ^= key * 0xc2b2ae3d27d4eb4fULL;
	h ^= h >> 29;
	return (size_t)(h & (VCACHE_HASHSIZE - 1));
}

void
vcache_init(void)
{

	mutex_init(&vcache_lock, MUTEX_DEFAULT);
	mutex_setstat(&vcache_lock, &vcache_lockstat);
	cv_init(&vcache_cv);
}

static void
lru_insert(struct vnode *vp)
{

	vp->v_lrunext = NULL;
	vp->v_lruprev = lru_tail;
	if (lru_tail != NULL)
		lru_tail->v_lrunext = vp;
	else
		lru_head = vp;
	lru_tail = vp;
	__atomic_fetch_add(&lru_count, 1, __ATOMIC_RELAXED);
}

static void
lru_remove(struct vnode *vp)
{

	if (vp->v_lruprev != NULL)
		vp->v_lruprev->v_lrunext = vp->v_lrunext;
	else
		lru_head = vp->v_lrunext;
	if (vp->v_lrunext != NULL)
		vp->v_lrunext->v_lruprev = vp->v_lruprev;
	else
		lru_tail = vp->v_lruprev;
	vp->v_lrunext = vp->v_lruprev = NULL;
	__atomic_fetch_sub(&lru_count, 1, __ATOMIC_RELAXED);
}

static void
hash_remove(struct vnode *vp)
{
	struct vnode **vpp;

	vpp = &vcache_hash[vcache_bucket(vp->v_mount, vp->v_key)];
	while (*vpp != vp) {
		KASSERT(*vpp != NULL);
		vpp = &(*vpp)->v_hashnext;
	}
	*vpp = vp->v_hashnext;
	vp->v_hashnext = NULL;
}

static struct vnode *
hash_find(struct mount *mp, uint64_t key)
{
	struct vnode *vp;

	for (vp = vcache_hash[vcache_bucket(mp, key)]; vp != NULL;
	    vp = vp->v_hashnext)
		if (vp->v_mount == mp && vp->v_key == key)
			return vp;
	return NULL;
}

/* Detaches a vnode from its file system (vop_reclaim, with the vnode
 * locked); it is VI_CHANGING or out of the hash, so no one else can
 * reach it.  For a file system without VFS_MPSAFE the caller holds the
 * mount lock. */
static void
vnode_reclaim(struct vnode *vp)
{

	if (vp->v_op != NULL && vp->v_op->vop_reclaim != NULL) {
		rw_enter(&vp->v_lock, RW_WRITER);
		vp->v_op->vop_reclaim(vp);
		rw_exit(&vp->v_lock);
	}
}

static void
vnode_free(struct vnode *vp)
{

	rw_destroy(&vp->v_lock);
	kmem_free(vp, sizeof(*vp));
}

/* Reclaims and frees a vnode already out of the hash and the LRU. */
static void
vnode_destroy(struct vnode *vp)
{

	vnode_reclaim(vp);
	vnode_free(vp);
}

int
vcache_get(struct mount *mp, uint64_t key, struct vnode **vpp)
{
	struct vfs_mount *vm = VFS_MOUNT(mp);
	bool mpsafe = mount_mpsafe(mp);
	struct vnode *vp, *nvp = NULL;
	int error;

	/* Without VFS_MPSAFE the mount lock comes first: a vnode of that
	 * mount changes state only with it held, so waiting for one below
	 * never waits for ourselves. */
	if (!mpsafe)
		mount_lock(mp);
	mutex_enter(&vcache_lock);
	for (;;) {
		vp = hash_find(mp, key);
		if (vp != NULL && (vp->v_iflag & VI_CHANGING) != 0) {
			cv_wait(&vcache_cv, &vcache_lock);
			continue;
		}
		if (vp != NULL) {
			if (VUSE(vp) == 0) {
				lru_remove(vp);
				vm->vm_nactive++;
			}
			__atomic_add_fetch(&vp->v_usecount, 1,
			    __ATOMIC_RELAXED);
			mutex_exit(&vcache_lock);
			if (!mpsafe)
				mount_unlock(mp);
			if (nvp != NULL)
				vnode_free(nvp);
			*vpp = vp;
			return 0;
		}
		if (nvp != NULL)
			break;
		/* Allocate with the lock dropped, then look again. */
		mutex_exit(&vcache_lock);
		nvp = kmem_zalloc(sizeof(*nvp), KM_SLEEP);
		if (nvp == NULL) {
			if (!mpsafe)
				mount_unlock(mp);
			return ENOMEM;
		}
		rw_init(&nvp->v_lock);
		rw_setstat(&nvp->v_lock, &vnode_lockstat);
		mutex_enter(&vcache_lock);
	}

	/* Our placeholder goes in the hash; others wait until it is
	 * loaded (or gone again). */
	vp = nvp;
	vp->v_mount = mp;
	vp->v_key = key;
	vp->v_usecount = 1;
	vp->v_iflag = VI_CHANGING;
	{
		size_t b = vcache_bucket(mp, key);
		vp->v_hashnext = vcache_hash[b];
		vcache_hash[b] = vp;
	}
	vm->vm_nactive++;
	mutex_exit(&vcache_lock);

	error = mp->mnt_op->vfs_loadvnode(mp, vp, key);

	mutex_enter(&vcache_lock);
	if (error != 0) {
		hash_remove(vp);
		vm->vm_nactive--;
	} else {
		KASSERT(vp->v_op != NULL);
		vp->v_iflag &= ~VI_CHANGING;
	}
	cv_broadcast(&vcache_cv);
	mutex_exit(&vcache_lock);
	if (!mpsafe)
		mount_unlock(mp);
	if (error != 0) {
		vnode_free(vp);
		return error;
	}
	*vpp = vp;
	return 0;
}

void
vref_locked(struct vnode *vp)
{

	vref(vp);
}

/* The caller holds a reference: the count is above 0 and stays so. */
void
vref(struct vnode *vp)
{
	unsigned old;

	old = __atomic_fetch_add(&vp->v_usecount, 1, __ATOMIC_RELAXED);
	KASSERT(old > 0);
	(void)old;
}

/*
 * Reclaims the oldest unreferenced vnodes beyond the bound.  A vnode of a
 * file system without VFS_MPSAFE is reclaimed only if its mount lock can
 * be taken without waiting and is not held by the caller (an operation in
 * progress on that file system must not see vnodes disappear); otherwise
 * the next call retries.
 */
static void
vcache_trim(void)
{
	struct vnode *vp;
	struct mount *mp;
	bool mpsafe;

	mutex_enter(&vcache_lock);
	vp = lru_head;
	while (lru_count > VCACHE_LRUMAX && vp != NULL) {
		mp = vp->v_mount;
		mpsafe = mount_mpsafe(mp);
		if (!mpsafe && !mount_trylock_fresh(mp)) {
			vp = vp->v_lrunext;
			continue;
		}
		KASSERT(VUSE(vp) == 0 &&
		    (vp->v_iflag & VI_CHANGING) == 0);
		lru_remove(vp);
		vp->v_iflag |= VI_CHANGING;
		mutex_exit(&vcache_lock);
		vnode_reclaim(vp);
		mutex_enter(&vcache_lock);
		hash_remove(vp);
		cv_broadcast(&vcache_cv);
		mutex_exit(&vcache_lock);
		vnode_free(vp);
		if (!mpsafe)
			mount_unlock(mp);
		mutex_enter(&vcache_lock);
		vp = lru_head;
	}
	mutex_exit(&vcache_lock);
}

void
vrele(struct vnode *vp)
{
	struct mount *mp = vp->v_mount;
	struct vfs_mount *vm = VFS_MOUNT(mp);
	bool reclaim, finalize, mpsafe = mount_mpsafe(mp);
	unsigned c;

	/* Not the last reference: one atomic step, no lock. */
	c = VUSE(vp);
	KASSERT(c > 0);
	while (c > 1) {
		if (__atomic_compare_exchange_n(&vp->v_usecount, &c, c - 1,
		    true, __ATOMIC_RELEASE, __ATOMIC_RELAXED))
			return;
	}
	/* Possibly the last: decide under vcache_lock (with the mount
	 * locked first for a file system without VFS_MPSAFE), where no
	 * one else can take the count from 0 to 1 meanwhile. */
	if (!mpsafe)
		mount_lock(mp);
	mutex_enter(&vcache_lock);
	if (__atomic_sub_fetch(&vp->v_usecount, 1, __ATOMIC_ACQ_REL) > 0) {
		mutex_exit(&vcache_lock);
		if (!mpsafe)
			mount_unlock(mp);
		return;
	}
	/* The last one: nobody can reach the vnode until it is settled,
	 * so its lock is free for vop_inactive. */
	KASSERT((vp->v_iflag & VI_CHANGING) == 0);
	vp->v_iflag |= VI_CHANGING;
	mutex_exit(&vcache_lock);

	reclaim = false;
	if (vp->v_op->vop_inactive != NULL) {
		rw_enter(&vp->v_lock, RW_WRITER);
		reclaim = vp->v_op->vop_inactive(vp);
		rw_exit(&vp->v_lock);
	}

	finalize = false;
	mutex_enter(&vcache_lock);
	KASSERT(VUSE(vp) == 0);
	vm->vm_nactive--;
	if (vm->vm_detached) {
		reclaim = true;
		if (vm->vm_nactive == 0 && !vm->vm_finalizing) {
			vm->vm_finalizing = true;
			finalize = true;
		}
	}
	if (!reclaim) {
		vp->v_iflag &= ~VI_CHANGING;
		lru_insert(vp);
		cv_broadcast(&vcache_cv);
	}
	mutex_exit(&vcache_lock);
	if (reclaim) {
		/* Out of the hash only once reclaimed: a vcache_get() of
		 * the key meanwhile waits and then loads it afresh. */
		vnode_reclaim(vp);
		mutex_enter(&vcache_lock);
		hash_remove(vp);
		cv_broadcast(&vcache_cv);
		mutex_exit(&vcache_lock);
		vnode_free(vp);
	}
	if (!mpsafe)
		mount_unlock(mp);

	if (finalize) {
		/* VFS code holding a mount lock always holds a vnode of
		 * that mount too, so the last one never goes while the
		 * lock is held; should it, leak rather than free a mount
		 * that is still locked. */
		if (__atomic_load_n(&mp->mnt_lockowner, __ATOMIC_RELAXED) !=
		    curlwp)
			vfs_finalize_detached(mp);
	}
	if (__atomic_load_n(&lru_count, __ATOMIC_RELAXED) > VCACHE_LRUMAX)
		vcache_trim();
}

/* Waits until no unreferenced vnode of mp is being inactivated or
 * reclaimed (by vcache_trim on another CPU); vcache_lock held. */
static void
vcache_settle_locked(struct mount *mp)
{
	struct vnode *vp;
	size_t i;

 again:
	for (i = 0; i < VCACHE_HASHSIZE; i++) {
		for (vp = vcache_hash[i]; vp != NULL; vp = vp->v_hashnext) {
			if (vp->v_mount == mp &&
			    (vp->v_iflag & VI_CHANGING) != 0) {
				cv_wait(&vcache_cv, &vcache_lock);
				goto again;
			}
		}
	}
}

/* Takes every unreferenced vnode of mp out of the hash and the LRU and
 * returns them chained through v_hashnext; vcache_lock held. */
static struct vnode *
vcache_unhash_unused_locked(struct mount *mp)
{
	struct vnode *vp, *next, *dead = NULL;
	size_t i;

	for (i = 0; i < VCACHE_HASHSIZE; i++) {
		for (vp = vcache_hash[i]; vp != NULL; vp = next) {
			next = vp->v_hashnext;
			if (vp->v_mount != mp || VUSE(vp) != 0)
				continue;
			lru_remove(vp);
			hash_remove(vp);
			vp->v_hashnext = dead;
			dead = vp;
		}
	}
	return dead;
}

/* Destroys a chain from vcache_unhash_unused_locked(), with vcache_lock
 * released: vop_reclaim is file system code. */
static void
vnode_destroy_chain(struct vnode *dead)
{
	struct vnode *next;

	for (; dead != NULL; dead = next) {
		next = dead->v_hashnext;
		vnode_destroy(dead);
	}
}

int
vcache_flush(struct mount *mp, unsigned rootrefs)
{
	struct vnode *vp, *dead;
	size_t i;

	mutex_enter(&vcache_lock);
	vcache_settle_locked(mp);
	for (i = 0; i < VCACHE_HASHSIZE; i++) {
		for (vp = vcache_hash[i]; vp != NULL; vp = vp->v_hashnext) {
			if (vp->v_mount != mp || VUSE(vp) == 0)
				continue;
			if (vp == mp->mnt_root && VUSE(vp) <= rootrefs)
				continue;
			mutex_exit(&vcache_lock);
			return EBUSY;
		}
	}
	dead = vcache_unhash_unused_locked(mp);
	mutex_exit(&vcache_lock);
	vnode_destroy_chain(dead);
	return 0;
}

void
vcache_reclaim_root(struct mount *mp)
{
	struct vnode *vp = mp->mnt_root;

	mutex_enter(&vcache_lock);
	KASSERT(VUSE(vp) == 1);
	__atomic_store_n(&vp->v_usecount, 0, __ATOMIC_RELAXED);
	VFS_MOUNT(mp)->vm_nactive--;
	hash_remove(vp);
	mutex_exit(&vcache_lock);
	if (vp->v_op->vop_inactive != NULL) {
		rw_enter(&vp->v_lock, RW_WRITER);
		(void)vp->v_op->vop_inactive(vp);
		rw_exit(&vp->v_lock);
	}
	vnode_destroy(vp);
	mp->mnt_root = NULL;
}

void
vcache_purge(struct mount *mp)
{
	struct vnode *dead;

	mutex_enter(&vcache_lock);
	/* No vnode of mp is referenced, so that is all of them. */
	KASSERT(VFS_MOUNT(mp)->vm_nactive == 0);
	vcache_settle_locked(mp);
	dead = vcache_unhash_unused_locked(mp);
	mutex_exit(&vcache_lock);
	vnode_destroy_chain(dead);
}

struct vnode *
vcache_mountedroot(struct vnode *vp)
{
	struct vnode *rvp = NULL;

	mutex_enter(&vcache_lock);
	if (vp->v_mountedhere != NULL) {
		rvp = vp->v_mountedhere->mnt_root;
		vref_locked(rvp);
	}
	mutex_exit(&vcache_lock);
	return rvp;
}

struct vnode *
vcache_coveredvnode(struct vnode *vp)
{
	struct vnode *cvp = NULL;

	mutex_enter(&vcache_lock);
	if ((vp->v_flags & VV_ROOT) != 0 &&
	    vp->v_mount->mnt_vnodecovered != NULL) {
		cvp = vp->v_mount->mnt_vnodecovered;
		vref_locked(cvp);
	}
	mutex_exit(&vcache_lock);
	return cvp;
}
