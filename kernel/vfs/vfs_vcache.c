/*
 * vfs_vcache.c: the vnode cache.
 *
 * Vnodes are found by (mount, key) in a hash table.  A vnode whose last
 * reference goes is kept (after vop_inactive) on an LRU list so that a
 * later lookup finds it cheaply; the lists are bounded and their oldest
 * entries are reclaimed beyond the bound.
 *
 * The hash chains are split into stripes, each with a lock (vs_lock), a
 * condition variable and an LRU list of its own.  A stripe's lock
 * protects its chains, its LRU, the v_iflag of its vnodes and every
 * change of one of its vnodes' reference count from 0 to 1 (vcache_get)
 * or from 1 to 0 (the last vrele), so a count of 0 seen under the lock
 * stays 0 until the lock is dropped.  Other changes of a count are
 * atomic, without a lock: a holder of a reference adds one (vref) or
 * drops one that is not the last (vrele).  A file's vnode goes from 0
 * to 1 reference and back several times per system call (the directory
 * that a path goes through, the file itself); with one lock for the
 * whole cache two CPUs passed it back and forth 33 times per file in
 * bench_scale.  vcache_lock is left for what concerns mounts: the
 * mounted-on links (v_mountedhere, mnt_vnodecovered) and a detached
 * mount's finalisation.  Both are leaves, never held together nor two
 * stripe locks at once; a mount's lock comes before either.
 *
 * Path lookups also read the chains with no lock at all (vcache_peek,
 * for namei_fast): chains change by atomic stores, a vnode taken out
 * keeps its link onwards, and vnodes are freed through qsbr_retire
 * (kern/qsbr.h), once no such reader can be looking at them.
 *
 * A vnode is in transition (VI_CHANGING) while it is loaded
 * (vfs_loadvnode), inactivated after its last reference went
 * (vop_inactive), or reclaimed (vop_reclaim): a vcache_get() of its key
 * then waits, so the file system's inactive/reclaim never race with a
 * new reference.  Inactive and reclaim run with the vnode locked; for a
 * file system without VFS_MPSAFE the mount lock is taken first, as
 * around every operation (lock order in vfs_vnlock.c).
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
static LOCKSTAT_CLASS(vstripe_lockstat, "vcache stripe");

#define VCACHE_HASHSIZE	16384		/* power of two */
#define VCACHE_STRIPES	64		/* power of two, <= VCACHE_HASHSIZE */
/* A stripe's buckets are one run of the table, so that no cache line
 * holds chains of two stripes: interleaved, the bucket heads a thread
 * changed on create and remove shared lines with those that the other
 * thread's stripe read and changed. */
#define VCACHE_PERSTRIPE (VCACHE_HASHSIZE / VCACHE_STRIPES)
/* A reference count, read without tearing while others change it. */
#define VUSE(vp)	__atomic_load_n(&(vp)->v_usecount, __ATOMIC_RELAXED)
/* Unreferenced vnodes kept per stripe (at most 16,384 in all): a
 * thread's files tend to share a stripe (vcache_bucket). */
#define VCACHE_LRUMAX	256

kmutex_t vcache_lock;

struct vstripe {
	kmutex_t	 vs_lock;
	kcondvar_t	 vs_cv;		/* a vnode of the stripe settled */
	unsigned	 vs_waiters;	/* threads in cv_wait on vs_cv */
	struct vnode	*vs_lruhead, *vs_lrutail;
	unsigned	 vs_lrucount;
} __attribute__((aligned(64)));

static struct vnode *vcache_hash[VCACHE_HASHSIZE] __attribute__((aligned(64)));
static struct vstripe vstripes[VCACHE_STRIPES];

static uint64_t
vcache_hash64(struct mount *mp, uint64_t key)
{
	uint64_t h = (uint64_t)(uintptr_t)mp * 0x9e3779b97f4a7c15ULL;

	h ^= key * 0xc2b2ae3d27d4eb4fULL;
	return h ^ (h >> 29);
}

/* The stripe (the high bits of the bucket) from the key's region
 * (mnt_keyshift), the rest from the key: files that a thread works on
 * together share one stripe, and two threads in directories of their own take locks of
 * their own.  With the key alone, both took every stripe's lock and
 * moved its cache line between the host's cores (bench_scale).  Keys
 * marked by mnt_keyspread (directories, which threads share and which
 * one thread often creates for others) are spread by the whole key:
 * with regions, the directories a thread made for four workers shared
 * one stripe, and every lookup in them took its lock from 0 to 1
 * reference and back. */
static size_t
vcache_bucket(struct mount *mp, uint64_t key)
{
	uint64_t h = vcache_hash64(mp, key), region = h;

	if ((key & mp->mnt_keyspread) == 0 && mp->mnt_keyshift != 0)
		region = vcache_hash64(mp, key >> mp->mnt_keyshift);
	return (size_t)((region >> 32) & (VCACHE_STRIPES - 1)) *
	    VCACHE_PERSTRIPE + (size_t)(h & (VCACHE_PERSTRIPE - 1));
}

static struct vstripe *
stripe_of_bucket(size_t b)
{

	return &vstripes[b / VCACHE_PERSTRIPE];
}

static struct vstripe *
stripe_of(struct vnode *vp)
{

	return stripe_of_bucket(vcache_bucket(vp->v_mount, vp->v_key));
}

void
vcache_init(void)
{
	size_t i;

	mutex_init(&vcache_lock, MUTEX_DEFAULT);
	mutex_setstat(&vcache_lock, &vcache_lockstat);
	for (i = 0; i < VCACHE_STRIPES; i++) {
		mutex_init(&vstripes[i].vs_lock, MUTEX_DEFAULT);
		mutex_setstat(&vstripes[i].vs_lock, &vstripe_lockstat);
		cv_init(&vstripes[i].vs_cv);
	}
}

/* The active vnodes of a mount (vfs.h): changed as a count goes from 0
 * to 1 or back.  The test of vm_closed and the change are one step of a
 * thread that holds its CPU and does not wait in between, so once
 * vfs_dounmount has closed the mount and waited (qsbr_synchronize), no
 * change of the per-CPU part is under way or to come. */
static void
nactive_add(struct vfs_mount *vm, int d)
{

	if (!__atomic_load_n(&vm->vm_closed, __ATOMIC_ACQUIRE))
		pcounter_add(&vm->vm_nactive_pc, d);
	else
		__atomic_add_fetch(&vm->vm_nactive, d, __ATOMIC_ACQ_REL);
}

int64_t
vcache_nactive(struct vfs_mount *vm)
{

	return __atomic_load_n(&vm->vm_nactive, __ATOMIC_ACQUIRE) +
	    pcounter_read(&vm->vm_nactive_pc);
}

/* Waiting for a vnode of the stripe to settle, and saying that one did;
 * the stripe's lock held.  A broadcast only when someone waits: every
 * last vrele settles a vnode, and most find nobody waiting. */
static void
stripe_wait(struct vstripe *st)
{

	st->vs_waiters++;
	cv_wait(&st->vs_cv, &st->vs_lock);
	st->vs_waiters--;
}

static void
stripe_settled(struct vstripe *st)
{

	if (st->vs_waiters > 0)
		cv_broadcast(&st->vs_cv);
}

/* LRU of a stripe; its lock held. */
static void
lru_insert(struct vstripe *st, struct vnode *vp)
{

	vp->v_lrunext = NULL;
	vp->v_lruprev = st->vs_lrutail;
	if (st->vs_lrutail != NULL)
		st->vs_lrutail->v_lrunext = vp;
	else
		st->vs_lruhead = vp;
	st->vs_lrutail = vp;
	st->vs_lrucount++;
}

static void
lru_remove(struct vstripe *st, struct vnode *vp)
{

	if (vp->v_lruprev != NULL)
		vp->v_lruprev->v_lrunext = vp->v_lrunext;
	else
		st->vs_lruhead = vp->v_lrunext;
	if (vp->v_lrunext != NULL)
		vp->v_lrunext->v_lruprev = vp->v_lruprev;
	else
		st->vs_lrutail = vp->v_lruprev;
	vp->v_lrunext = vp->v_lruprev = NULL;
	st->vs_lrucount--;
}

/* The vnode's stripe lock held. */
static void
hash_remove(struct vnode *vp)
{
	struct vnode **vpp;

	vpp = &vcache_hash[vcache_bucket(vp->v_mount, vp->v_key)];
	while (*vpp != vp) {
		KASSERT(*vpp != NULL);
		vpp = &(*vpp)->v_hashnext;
	}
	/* vp keeps its link: a lockless reader standing on it goes on
	 * along the chain (vcache_peek). */
	__atomic_store_n(vpp, vp->v_hashnext, __ATOMIC_RELEASE);
}

/* Bucket b's stripe lock held. */
static struct vnode *
hash_find(size_t b, struct mount *mp, uint64_t key)
{
	struct vnode *vp;

	for (vp = vcache_hash[b]; vp != NULL; vp = vp->v_hashnext)
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
vnode_free_now(struct qsbr_entry *q)
{

	kmem_free(container_of(q, struct vnode, v_qsbr), sizeof(struct vnode));
}

/* Lockless lookups may still be reading it (vcache_peek): its memory
 * goes once they are all done. */
static void
vnode_free(struct vnode *vp)
{

	rw_destroy(&vp->v_lock);
	qsbr_retire(&vp->v_qsbr, vnode_free_now);
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
	size_t b = vcache_bucket(mp, key);
	struct vstripe *st = stripe_of_bucket(b);
	struct vnode *vp, *nvp = NULL;
	int error;

	/* Without VFS_MPSAFE the mount lock comes first: a vnode of that
	 * mount changes state only with it held, so waiting for one below
	 * never waits for ourselves. */
	if (!mpsafe)
		mount_lock(mp);
	mutex_enter(&st->vs_lock);
	for (;;) {
		vp = hash_find(b, mp, key);
		if (vp != NULL && (vp->v_iflag & VI_CHANGING) != 0) {
			stripe_wait(st);
			continue;
		}
		if (vp != NULL) {
			if (VUSE(vp) == 0) {
				lru_remove(st, vp);
				nactive_add(vm, 1);
			}
			__atomic_add_fetch(&vp->v_usecount, 1,
			    __ATOMIC_RELAXED);
			mutex_exit(&st->vs_lock);
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
		mutex_exit(&st->vs_lock);
		nvp = kmem_zalloc(sizeof(*nvp), KM_SLEEP);
		if (nvp == NULL) {
			if (!mpsafe)
				mount_unlock(mp);
			return ENOMEM;
		}
		rw_init(&nvp->v_lock);
		rw_setstat(&nvp->v_lock, &vnode_lockstat);
		mutex_enter(&st->vs_lock);
	}

	/* Our placeholder goes in the hash; others wait until it is
	 * loaded (or gone again). */
	vp = nvp;
	vp->v_mount = mp;
	vp->v_key = key;
	vp->v_usecount = 1;
	__atomic_store_n(&vp->v_iflag, VI_CHANGING, __ATOMIC_RELAXED);
	vp->v_hashnext = vcache_hash[b];
	__atomic_store_n(&vcache_hash[b], vp, __ATOMIC_RELEASE);
	nactive_add(vm, 1);
	mutex_exit(&st->vs_lock);

	error = mp->mnt_op->vfs_loadvnode(mp, vp, key);

	mutex_enter(&st->vs_lock);
	if (error != 0) {
		hash_remove(vp);
		nactive_add(vm, -1);
	} else {
		KASSERT(vp->v_op != NULL);
		__atomic_store_n(&vp->v_iflag, vp->v_iflag & ~VI_CHANGING,
		    __ATOMIC_RELEASE);
	}
	stripe_settled(st);
	mutex_exit(&st->vs_lock);
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
 * Reclaims the oldest unreferenced vnodes of a stripe beyond its bound.
 * A vnode of a file system without VFS_MPSAFE is reclaimed only if its
 * mount lock can be taken without waiting and is not held by the caller
 * (an operation in progress on that file system must not see vnodes
 * disappear); otherwise the next call retries.
 */
static void
vcache_trim(struct vstripe *st)
{
	struct vnode *vp;
	struct mount *mp;
	bool mpsafe;

	mutex_enter(&st->vs_lock);
	vp = st->vs_lruhead;
	while (st->vs_lrucount > VCACHE_LRUMAX && vp != NULL) {
		mp = vp->v_mount;
		mpsafe = mount_mpsafe(mp);
		if (!mpsafe && !mount_trylock_fresh(mp)) {
			vp = vp->v_lrunext;
			continue;
		}
		KASSERT(VUSE(vp) == 0 &&
		    (vp->v_iflag & VI_CHANGING) == 0);
		lru_remove(st, vp);
		__atomic_store_n(&vp->v_iflag, vp->v_iflag | VI_CHANGING,
		    __ATOMIC_RELAXED);
		mutex_exit(&st->vs_lock);
		vnode_reclaim(vp);
		mutex_enter(&st->vs_lock);
		hash_remove(vp);
		stripe_settled(st);
		mutex_exit(&st->vs_lock);
		vnode_free(vp);
		if (!mpsafe)
			mount_unlock(mp);
		mutex_enter(&st->vs_lock);
		vp = st->vs_lruhead;
	}
	mutex_exit(&st->vs_lock);
}

void
vrele(struct vnode *vp)
{
	struct mount *mp = vp->v_mount;
	struct vfs_mount *vm = VFS_MOUNT(mp);
	struct vstripe *st = stripe_of(vp);
	bool reclaim, finalize, trim, last, mpsafe = mount_mpsafe(mp);
	int64_t left;
	unsigned c;

	/* Not the last reference: one atomic step, no lock. */
	c = VUSE(vp);
	KASSERT(c > 0);
	while (c > 1) {
		if (__atomic_compare_exchange_n(&vp->v_usecount, &c, c - 1,
		    true, __ATOMIC_RELEASE, __ATOMIC_RELAXED))
			return;
	}
	/* Possibly the last: decide under the stripe lock (with the mount
	 * locked first for a file system without VFS_MPSAFE), where no
	 * one else can take the count from 0 to 1 meanwhile. */
	if (!mpsafe)
		mount_lock(mp);
	mutex_enter(&st->vs_lock);
	if (__atomic_sub_fetch(&vp->v_usecount, 1, __ATOMIC_ACQ_REL) > 0) {
		mutex_exit(&st->vs_lock);
		if (!mpsafe)
			mount_unlock(mp);
		return;
	}
	/* The last one: nobody can reach the vnode until it is settled,
	 * so its lock is free for vop_inactive. */
	KASSERT((vp->v_iflag & VI_CHANGING) == 0);
	__atomic_store_n(&vp->v_iflag, vp->v_iflag | VI_CHANGING,
		    __ATOMIC_RELAXED);
	mutex_exit(&st->vs_lock);

	reclaim = false;
	if (vp->v_op->vop_inactive != NULL) {
		rw_enter(&vp->v_lock, RW_WRITER);
		reclaim = vp->v_op->vop_inactive(vp);
		rw_exit(&vp->v_lock);
	}

	/* A detached mount is finalised by whoever takes its last active
	 * vnode away.  It was detached while its unmounter still held its
	 * root, so that last step comes after and sees the flag. */
	finalize = false;
	if (__atomic_load_n(&vm->vm_detached, __ATOMIC_ACQUIRE))
		reclaim = true;
	trim = false;
	mutex_enter(&st->vs_lock);
	KASSERT(VUSE(vp) == 0);
	if (!reclaim) {
		__atomic_store_n(&vp->v_iflag, vp->v_iflag & ~VI_CHANGING,
		    __ATOMIC_RELEASE);
		lru_insert(st, vp);
		trim = st->vs_lrucount > VCACHE_LRUMAX;
		stripe_settled(st);
	}
	mutex_exit(&st->vs_lock);
	if (reclaim) {
		/* Out of the hash only once reclaimed: a vcache_get() of
		 * the key meanwhile waits and then loads it afresh. */
		vnode_reclaim(vp);
		mutex_enter(&st->vs_lock);
		hash_remove(vp);
		stripe_settled(st);
		mutex_exit(&st->vs_lock);
		vnode_free(vp);
	}
	/* Closed, the count is exact: whoever takes it to 0 after the
	 * mount was detached (the flag is set before the unmounter's own
	 * last releases) finalises it.  The flag is read after the
	 * decrement: read before, a release racing with the detach could
	 * come last without looking (review). */
	last = false;
	if (!__atomic_load_n(&vm->vm_closed, __ATOMIC_ACQUIRE))
		pcounter_add(&vm->vm_nactive_pc, -1);
	else {
		left = __atomic_sub_fetch(&vm->vm_nactive, 1, __ATOMIC_ACQ_REL);
		last = __atomic_load_n(&vm->vm_detached, __ATOMIC_ACQUIRE) &&
		    left + vm->vm_nactive_frozen == 0;
	}
	if (last) {
		mutex_enter(&vcache_lock);
		if (!vm->vm_finalizing) {
			vm->vm_finalizing = true;
			finalize = true;
		}
		mutex_exit(&vcache_lock);
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
	if (trim)
		vcache_trim(st);
}

/* Waits until no unreferenced vnode of mp in stripe i is being
 * inactivated or reclaimed (by vcache_trim on another CPU); the
 * stripe's lock held. */
static void
vcache_settle_locked(struct mount *mp, size_t i)
{
	struct vstripe *st = &vstripes[i];
	struct vnode *vp;
	size_t b;

 again:
	for (b = i * VCACHE_PERSTRIPE; b < (i + 1) * VCACHE_PERSTRIPE; b++) {
		for (vp = vcache_hash[b]; vp != NULL; vp = vp->v_hashnext) {
			if (vp->v_mount == mp &&
			    (vp->v_iflag & VI_CHANGING) != 0) {
				stripe_wait(st);
				goto again;
			}
		}
	}
}

/* Takes every unreferenced vnode of mp out of the hash and the LRU of
 * stripe i and chains them through v_lrunext onto *deadp; the stripe's
 * lock held. */
static void
vcache_unhash_unused_locked(struct mount *mp, size_t i, struct vnode **deadp)
{
	struct vstripe *st = &vstripes[i];
	struct vnode *vp, *next;
	size_t b;

	for (b = i * VCACHE_PERSTRIPE; b < (i + 1) * VCACHE_PERSTRIPE; b++) {
		for (vp = vcache_hash[b]; vp != NULL; vp = next) {
			next = vp->v_hashnext;
			if (vp->v_mount != mp || VUSE(vp) != 0)
				continue;
			lru_remove(st, vp);
			hash_remove(vp);
			/* Chained through the LRU link: the hash link stays
			 * for lockless readers (hash_remove). */
			vp->v_lrunext = *deadp;
			*deadp = vp;
		}
	}
}

/* Destroys a chain from vcache_unhash_unused_locked(), with no stripe
 * lock held: vop_reclaim is file system code. */
static void
vnode_destroy_chain(struct vnode *dead)
{
	struct vnode *next;

	for (; dead != NULL; dead = next) {
		next = dead->v_lrunext;
		vnode_destroy(dead);
	}
}

/* Settles every stripe and takes the unreferenced vnodes of mp out. */
static struct vnode *
vcache_unhash_unused(struct mount *mp)
{
	struct vnode *dead = NULL;
	size_t i;

	for (i = 0; i < VCACHE_STRIPES; i++) {
		mutex_enter(&vstripes[i].vs_lock);
		vcache_settle_locked(mp, i);
		vcache_unhash_unused_locked(mp, i, &dead);
		mutex_exit(&vstripes[i].vs_lock);
	}
	return dead;
}

int
vcache_flush(struct mount *mp, unsigned rootrefs)
{
	struct vnode *vp;
	size_t i, b;

	/* Whether anything but the root is referenced.  Nobody can take a
	 * new reference meanwhile: the way in from the covered vnode is
	 * closed, or the mount is not yet in use, and the caller holds
	 * the mount's lock. */
	for (i = 0; i < VCACHE_STRIPES; i++) {
		mutex_enter(&vstripes[i].vs_lock);
		vcache_settle_locked(mp, i);
		for (b = i * VCACHE_PERSTRIPE; b < (i + 1) * VCACHE_PERSTRIPE; b++) {
			for (vp = vcache_hash[b]; vp != NULL;
			    vp = vp->v_hashnext) {
				if (vp->v_mount != mp || VUSE(vp) == 0)
					continue;
				if (vp == mp->mnt_root &&
				    VUSE(vp) <= rootrefs)
					continue;
				mutex_exit(&vstripes[i].vs_lock);
				return EBUSY;
			}
		}
		mutex_exit(&vstripes[i].vs_lock);
	}
	vnode_destroy_chain(vcache_unhash_unused(mp));
	return 0;
}

void
vcache_reclaim_root(struct mount *mp)
{
	struct vnode *vp = mp->mnt_root;
	struct vstripe *st = stripe_of(vp);

	mutex_enter(&st->vs_lock);
	KASSERT(VUSE(vp) == 1);
	__atomic_store_n(&vp->v_usecount, 0, __ATOMIC_RELAXED);
	nactive_add(VFS_MOUNT(mp), -1);
	hash_remove(vp);
	mutex_exit(&st->vs_lock);
	if (vp->v_op->vop_inactive != NULL) {
		rw_enter(&vp->v_lock, RW_WRITER);
		(void)vp->v_op->vop_inactive(vp);
		rw_exit(&vp->v_lock);
	}
	vnode_destroy(vp);
	/* Atomic: a lockless lookup may be reading it. */
	__atomic_store_n(&mp->mnt_root, NULL, __ATOMIC_RELAXED);
}

void
vcache_purge(struct mount *mp)
{

	/* No vnode of mp is referenced, so that is all of them. */
	KASSERT(vcache_nactive(VFS_MOUNT(mp)) == 0);
	vnode_destroy_chain(vcache_unhash_unused(mp));
}

struct vnode *
vcache_peek(struct mount *mp, uint64_t key)
{
	struct vnode *vp;

	/* Sequentially consistent, the first load after taking the CPU
	 * (kern/qsbr.h): so that, formally too, a walk on a CPU taken after
	 * a qsbr snapshot sees what was unlinked before it. */
	for (vp = __atomic_load_n(&vcache_hash[vcache_bucket(mp, key)],
	    __ATOMIC_SEQ_CST); vp != NULL;
	    vp = __atomic_load_n(&vp->v_hashnext, __ATOMIC_ACQUIRE)) {
		if (vp->v_mount == mp && vp->v_key == key)
			return (__atomic_load_n(&vp->v_iflag,
			    __ATOMIC_ACQUIRE) & VI_CHANGING) == 0 ? vp : NULL;
	}
	return NULL;
}

bool
vcache_tryref(struct vnode *vp)
{
	size_t b = vcache_bucket(vp->v_mount, vp->v_key);
	struct vstripe *st = stripe_of_bucket(b);
	unsigned c;
	bool ok;

	/* An unmount decides from the counts whether the mount is busy;
	 * it closes the mount and waits for the lookups under way first
	 * (vfs_dounmount), so none adds to them after the decision. */
	if (__atomic_load_n(&VFS_MOUNT(vp->v_mount)->vm_closed,
	    __ATOMIC_RELAXED))
		return false;
	/* Referenced: the count cannot reach 0 while it is above 0 here,
	 * so one more is safe without the lock (as vref). */
	c = VUSE(vp);
	while (c > 0) {
		if (__atomic_compare_exchange_n(&vp->v_usecount, &c, c + 1,
		    true, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return true;
	}
	/* From 0: under the stripe lock, as in vcache_get, and only if
	 * the vnode is still the cached, settled one. */
	if (!mount_mpsafe(vp->v_mount) || !mutex_tryenter(&st->vs_lock))
		return false;
	ok = hash_find(b, vp->v_mount, vp->v_key) == vp &&
	    (vp->v_iflag & VI_CHANGING) == 0;
	if (ok) {
		if (VUSE(vp) == 0) {
			lru_remove(st, vp);
			nactive_add(VFS_MOUNT(vp->v_mount), 1);
		}
		__atomic_add_fetch(&vp->v_usecount, 1, __ATOMIC_RELAXED);
	}
	mutex_exit(&st->vs_lock);
	return ok;
}

struct vnode *
vcache_mountedroot(struct vnode *vp)
{
	struct vnode *rvp = NULL;

	/* Most directories have nothing mounted on them: say so without
	 * the lock (every path lookup asks, per component).  A mount or
	 * unmount racing with the lookup may be seen or not either way. */
	if (__atomic_load_n(&vp->v_mountedhere, __ATOMIC_RELAXED) == NULL)
		return NULL;
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
