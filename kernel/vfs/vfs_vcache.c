/*
 * vfs_vcache.c: the vnode cache.
 *
 * Vnodes are found by (mount, key) in a hash table.  A vnode whose last
 * reference goes is kept (after vop_inactive) on an LRU list so that a
 * later lookup finds it cheaply; the list is bounded and its oldest
 * entries are reclaimed beyond the bound.
 *
 * One spin mutex (vcache_lock) protects reference counts, the hash and
 * the LRU.  A vnode moves between "referenced" and "unreferenced" only
 * with its mount locked (vcache_get and the last vrele take the mount
 * lock), so the file system's inactive/reclaim never race with a new
 * reference, and vnode operations always run under the mount lock.
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

#define VCACHE_HASHSIZE	1024		/* power of two */
#define VCACHE_LRUMAX	2048		/* unreferenced vnodes kept */

kmutex_t vcache_lock;

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

	mutex_init(&vcache_lock, MUTEX_SPIN);
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

/* Detaches a vnode from its file system and frees it; mount locked,
 * vnode already out of the hash and the LRU. */
static void
vnode_destroy(struct vnode *vp)
{

	if (vp->v_op != NULL && vp->v_op->vop_reclaim != NULL)
		vp->v_op->vop_reclaim(vp);
	kmem_free(vp, sizeof(*vp));
}

int
vcache_get(struct mount *mp, uint64_t key, struct vnode **vpp)
{
	struct vfs_mount *vm = VFS_MOUNT(mp);
	struct vnode *vp;
	int error;

	mount_lock(mp);
	mutex_enter(&vcache_lock);
	vp = hash_find(mp, key);
	if (vp != NULL) {
		if (vp->v_usecount == 0) {
			lru_remove(vp);
			vm->vm_nactive++;
		}
		vp->v_usecount++;
		mutex_exit(&vcache_lock);
		mount_unlock(mp);
		*vpp = vp;
		return 0;
	}
	mutex_exit(&vcache_lock);

	vp = kmem_zalloc(sizeof(*vp), KM_SLEEP);
	if (vp == NULL) {
		mount_unlock(mp);
		return ENOMEM;
	}
	vp->v_mount = mp;
	vp->v_key = key;
	vp->v_usecount = 1;
	error = mp->mnt_op->vfs_loadvnode(mp, vp, key);
	if (error != 0) {
		kmem_free(vp, sizeof(*vp));
		mount_unlock(mp);
		return error;
	}
	KASSERT(vp->v_op != NULL);

	/* No one else can have loaded the key: that needs the mount lock. */
	mutex_enter(&vcache_lock);
	{
		size_t b = vcache_bucket(mp, key);
		vp->v_hashnext = vcache_hash[b];
		vcache_hash[b] = vp;
	}
	vm->vm_nactive++;
	mutex_exit(&vcache_lock);
	mount_unlock(mp);
	*vpp = vp;
	return 0;
}

void
vref_locked(struct vnode *vp)
{

	KASSERT(vp->v_usecount > 0);
	vp->v_usecount++;
}

void
vref(struct vnode *vp)
{

	mutex_enter(&vcache_lock);
	vref_locked(vp);
	mutex_exit(&vcache_lock);
}

/*
 * Reclaims the oldest unreferenced vnodes beyond the bound.  A vnode is
 * reclaimed only if its mount lock can be taken without waiting and is
 * not held by the caller (an operation in progress on that file system
 * must not see vnodes disappear); otherwise the next call retries.
 */
static void
vcache_trim(void)
{
	struct vnode *vp;
	struct mount *mp;

	mutex_enter(&vcache_lock);
	vp = lru_head;
	while (lru_count > VCACHE_LRUMAX && vp != NULL) {
		mp = vp->v_mount;
		if (!mount_trylock_fresh(mp)) {
			vp = vp->v_lrunext;
			continue;
		}
		lru_remove(vp);
		hash_remove(vp);
		mutex_exit(&vcache_lock);
		vnode_destroy(vp);
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
	bool reclaim, finalize;

	mutex_enter(&vcache_lock);
	KASSERT(vp->v_usecount > 0);
	if (vp->v_usecount > 1) {
		vp->v_usecount--;
		mutex_exit(&vcache_lock);
		return;
	}
	mutex_exit(&vcache_lock);

	/* Possibly the last reference: decide with the mount locked. */
	mount_lock(mp);
	mutex_enter(&vcache_lock);
	if (--vp->v_usecount > 0) {
		mutex_exit(&vcache_lock);
		mount_unlock(mp);
		return;
	}
	mutex_exit(&vcache_lock);

	reclaim = false;
	if (vp->v_op->vop_inactive != NULL)
		reclaim = vp->v_op->vop_inactive(vp);

	finalize = false;
	mutex_enter(&vcache_lock);
	if (vp->v_usecount > 0) {
		/* vop_inactive took a new reference itself. */
		reclaim = false;
	} else {
		vm->vm_nactive--;
		if (vm->vm_detached) {
			reclaim = true;
			if (vm->vm_nactive == 0 && !vm->vm_finalizing) {
				vm->vm_finalizing = true;
				finalize = true;
			}
		}
		if (reclaim)
			hash_remove(vp);
		else
			lru_insert(vp);
	}
	mutex_exit(&vcache_lock);
	if (reclaim)
		vnode_destroy(vp);
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
			if (vp->v_mount != mp || vp->v_usecount != 0)
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
 * (a spin lock) released: vop_reclaim is file system code. */
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
	for (i = 0; i < VCACHE_HASHSIZE; i++) {
		for (vp = vcache_hash[i]; vp != NULL; vp = vp->v_hashnext) {
			if (vp->v_mount != mp || vp->v_usecount == 0)
				continue;
			if (vp == mp->mnt_root && vp->v_usecount <= rootrefs)
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
	KASSERT(vp->v_usecount == 1);
	vp->v_usecount = 0;
	VFS_MOUNT(mp)->vm_nactive--;
	hash_remove(vp);
	mutex_exit(&vcache_lock);
	if (vp->v_op->vop_inactive != NULL)
		(void)vp->v_op->vop_inactive(vp);
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
