/*
 * tmpfs_node.c: tmpfs nodes (one per file) and the memory they are
 * charged for.
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/libkern.h>
#include <kern/kmem.h>
#include <kern/clock.h>
#include <kern/pcounter.h>
#include <kern/proc.h>
#include <vfs/vnode.h>
#include <vfs/mount.h>

#include "tmpfs.h"

void *
tmpfs_mem_alloc(struct tmpfs_mount *tm, size_t size)
{
	void *p;

	p = kmem_alloc(size, KM_SLEEP);
	if (p == NULL)
		return NULL;
	pcounter_add(&tm->tm_used, (int64_t)size);
	return p;
}

void *
tmpfs_mem_zalloc(struct tmpfs_mount *tm, size_t size)
{
	void *p;

	p = tmpfs_mem_alloc(tm, size);
	if (p != NULL)
		memset(p, 0, size);
	return p;
}

void
tmpfs_mem_free(struct tmpfs_mount *tm, void *p, size_t size)
{
	pcounter_add(&tm->tm_used, -(int64_t)size);
	kmem_free(p, size);
}

void
tmpfs_node_touch(struct tmpfs_node *tn, int what)
{
	struct timespec now;

	getnanotime(&now);
	if (what & TMPFS_UPD_ATIME)
		tn->tn_atime = now;
	if (what & TMPFS_UPD_MTIME)
		tn->tn_mtime = now;
	if (what & TMPFS_UPD_CTIME)
		tn->tn_ctime = now;
}

/*
 * Pools.  A CPU takes from its own cache (tc_cache, a line only it
 * writes while it has some); when that is empty it takes a chunk from
 * the mount's count (tp_taken) if the limit allows, and at the limit
 * what other CPUs hold unused, so that the limit is exact: ENOSPC only
 * when all of it is in use.  Given back, a count goes to the cache of
 * the CPU that frees it, and past two chunks one goes back to the mount.
 * What caches hold is free, not used: tmpfs_pool_used() leaves it out.
 * Every access to a cache is atomic, as other CPUs take them at the
 * limit; uncontended, that costs no more than a plain store.
 */
#define TMPFS_CHUNK_MAX		32	/* per take from the mount */
#define TMPFS_INO_BATCH		64	/* inode numbers per take */

static struct tmpfs_cpu *
tmpfs_cpu_mine(struct tmpfs_mount *tm)
{
	struct lwp *l = curlwp;

	if (l == NULL || l->l_cpu == NULL ||
	    l->l_cpu->ci_index >= tm->tm_ncpu)
		return &tm->tm_cpu[tm->tm_ncpu];
	return &tm->tm_cpu[l->l_cpu->ci_index];
}

/* A chunk small enough that what the CPUs may hold is a small part of a
 * limit (near it they take from each other, which is slower). */
static uint64_t
tmpfs_pool_chunk(struct tmpfs_mount *tm, uint64_t max)
{
	uint64_t chunk;

	if (max == 0)
		return TMPFS_CHUNK_MAX;
	chunk = max / (8 * ((uint64_t)tm->tm_ncpu + 1));
	return MAX(MIN(chunk, TMPFS_CHUNK_MAX), 1);
}

/* Adds n (>= 1) just taken to the cache of tc, using one at once. */
static void
tmpfs_pool_keep(struct tmpfs_cpu *tc, int pool, uint64_t n)
{
	if (n > 1)
		__atomic_fetch_add(&tc->tc_cache[pool], n - 1,
		    __ATOMIC_RELAXED);
}

int
tmpfs_pool_take(struct tmpfs_mount *tm, int pool)
{
	struct tmpfs_pool *tp = &tm->tm_pool[pool];
	struct tmpfs_cpu *tc = tmpfs_cpu_mine(tm);
	uint64_t c, t, n, max;
	int i;

	c = __atomic_load_n(&tc->tc_cache[pool], __ATOMIC_RELAXED);
	while (c > 0) {
		if (__atomic_compare_exchange_n(&tc->tc_cache[pool], &c, c - 1,
		    true, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
			return 0;
	}
	t = __atomic_load_n(&tp->tp_taken, __ATOMIC_RELAXED);
	for (;;) {
		max = __atomic_load_n(&tp->tp_max, __ATOMIC_RELAXED);
		n = __atomic_load_n(&tp->tp_chunk, __ATOMIC_RELAXED);
		if (max != 0) {
			if (t >= max)
				break;
			n = MIN(n, max - t);
		}
		if (__atomic_compare_exchange_n(&tp->tp_taken, &t, t + n,
		    true, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
			tmpfs_pool_keep(tc, pool, n);
			return 0;
		}
	}
	/* At the limit: what the CPUs hold unused is what is left. */
	for (i = 0; i <= tm->tm_ncpu; i++) {
		n = __atomic_exchange_n(&tm->tm_cpu[i].tc_cache[pool], 0,
		    __ATOMIC_RELAXED);
		if (n > 0) {
			tmpfs_pool_keep(tc, pool, n);
			return 0;
		}
	}
	return ENOSPC;
}

void
tmpfs_pool_give(struct tmpfs_mount *tm, int pool)
{
	struct tmpfs_pool *tp = &tm->tm_pool[pool];
	struct tmpfs_cpu *tc = tmpfs_cpu_mine(tm);
	uint64_t c, chunk;

	c = __atomic_add_fetch(&tc->tc_cache[pool], 1, __ATOMIC_RELAXED);
	chunk = __atomic_load_n(&tp->tp_chunk, __ATOMIC_RELAXED);
	/* The cache first, then the count: never both hold the chunk
	 * (which could let the limit be passed). */
	while (c > 2 * chunk) {
		if (__atomic_compare_exchange_n(&tc->tc_cache[pool], &c,
		    c - chunk, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
			__atomic_fetch_sub(&tp->tp_taken, chunk,
			    __ATOMIC_RELAXED);
			break;
		}
	}
}

uint64_t
tmpfs_pool_used(struct tmpfs_mount *tm, int pool)
{
	uint64_t held = 0, taken;
	int i;

	for (i = 0; i <= tm->tm_ncpu; i++)
		held += __atomic_load_n(&tm->tm_cpu[i].tc_cache[pool],
		    __ATOMIC_RELAXED);
	taken = __atomic_load_n(&tm->tm_pool[pool].tp_taken,
	    __ATOMIC_RELAXED);
	/* Read while others change them: never below nothing. */
	return taken > held ? taken - held : 0;
}

int
tmpfs_pool_setmax(struct tmpfs_mount *tm, int pool, uint64_t max)
{
	struct tmpfs_pool *tp = &tm->tm_pool[pool];
	uint64_t n;
	int i;

	KASSERT(mutex_owned(&tm->tm_lock));
	if (max != 0 && max < tmpfs_pool_used(tm, pool))
		return EINVAL;
	__atomic_store_n(&tp->tp_chunk, tmpfs_pool_chunk(tm, max),
	    __ATOMIC_RELAXED);
	/* Cached counts go back, so that no CPU goes on using a chunk
	 * taken under the old limit (one taken meanwhile under the old
	 * limit may remain: a remount racing with writers is not exact). */
	for (i = 0; i <= tm->tm_ncpu; i++) {
		n = __atomic_exchange_n(&tm->tm_cpu[i].tc_cache[pool], 0,
		    __ATOMIC_RELAXED);
		if (n > 0)
			__atomic_fetch_sub(&tp->tp_taken, n, __ATOMIC_RELAXED);
	}
	__atomic_store_n(&tp->tp_max, max, __ATOMIC_RELAXED);
	return 0;
}

int
tmpfs_pools_init(struct tmpfs_mount *tm, uint64_t maxpages,
    uint64_t maxnodes)
{
	size_t n;

	tm->tm_ncpu = ncpu_get();
	/* One slot more (threads without a CPU), and room to align the
	 * slots to cache lines. */
	n = (size_t)tm->tm_ncpu + 1;
	tm->tm_cpumemsize = (n + 1) * sizeof(struct tmpfs_cpu);
	tm->tm_cpumem = kmem_zalloc(tm->tm_cpumemsize, KM_SLEEP);
	if (tm->tm_cpumem == NULL)
		return ENOMEM;
	tm->tm_cpu = (struct tmpfs_cpu *)roundup((uintptr_t)tm->tm_cpumem,
	    sizeof(struct tmpfs_cpu));
	tm->tm_pool[TMPFS_POOL_PAGES].tp_max = maxpages;
	tm->tm_pool[TMPFS_POOL_PAGES].tp_chunk = tmpfs_pool_chunk(tm,
	    maxpages);
	tm->tm_pool[TMPFS_POOL_INODES].tp_max = maxnodes;
	tm->tm_pool[TMPFS_POOL_INODES].tp_chunk = tmpfs_pool_chunk(tm,
	    maxnodes);
	return 0;
}

void
tmpfs_pools_destroy(struct tmpfs_mount *tm)
{
	int pool;

	for (pool = 0; pool < TMPFS_NPOOLS; pool++)
		KASSERTMSG(tmpfs_pool_used(tm, pool) == 0,
		    "tmpfs: %llu of pool %d in use at unmount",
		    (unsigned long long)tmpfs_pool_used(tm, pool), pool);
	kmem_free(tm->tm_cpumem, tm->tm_cpumemsize);
	tm->tm_cpumem = NULL;
	tm->tm_cpu = NULL;
}

/* Inode numbers: unique, not in order (each CPU has a batch). */
static ino_t
tmpfs_ino_alloc(struct tmpfs_mount *tm)
{
	struct tmpfs_cpu *tc = tmpfs_cpu_mine(tm);
	ino_t ino, end;

	if (tc == &tm->tm_cpu[tm->tm_ncpu])
		return __atomic_fetch_add(&tm->tm_nextino, 1,
		    __ATOMIC_RELAXED);
	/* Only the holder of the CPU uses its batch, and nothing here
	 * lets the CPU go. */
	ino = __atomic_load_n(&tc->tc_nextino, __ATOMIC_RELAXED);
	end = __atomic_load_n(&tc->tc_endino, __ATOMIC_RELAXED);
	if (ino == end) {
		ino = __atomic_fetch_add(&tm->tm_nextino, TMPFS_INO_BATCH,
		    __ATOMIC_RELAXED);
		__atomic_store_n(&tc->tc_endino, ino + TMPFS_INO_BATCH,
		    __ATOMIC_RELAXED);
	}
	__atomic_store_n(&tc->tc_nextino, ino + 1, __ATOMIC_RELAXED);
	return ino;
}

int
tmpfs_node_alloc(struct tmpfs_mount *tm, enum vtype type, mode_t mode,
    uid_t uid, gid_t gid, dev_t rdev, struct tmpfs_node **tnp)
{
	struct tmpfs_node *tn;
	int error;

	/* The node is counted from here on: no other thread can take the
	 * last inode between the check and the count. */
	error = tmpfs_pool_take(tm, TMPFS_POOL_INODES);
	if (error != 0)
		return error;
	tn = tmpfs_mem_zalloc(tm, sizeof(*tn));
	if (tn == NULL) {
		tmpfs_pool_give(tm, TMPFS_POOL_INODES);
		return ENOSPC;
	}

	tn->tn_magic = TMPFS_NODE_MAGIC;
	tn->tn_type = type;
	tn->tn_mode = mode & TMPFS_ALLPERMS;
	tn->tn_uid = uid;
	tn->tn_gid = gid;
	/* The caller sets the link count and TMPFS_LIFE_NAMED when it
	 * gives the node a name; until then it may simply free it. */
	tn->tn_nlink = 0;
	tn->tn_life = 0;
	tn->tn_rdev = (type == VCHR || type == VBLK) ? rdev : 0;
	tn->tn_tmp = tm;
	tmpfs_node_touch(tn, TMPFS_UPD_ATIME | TMPFS_UPD_MTIME |
	    TMPFS_UPD_CTIME);
	if (type == VDIR)
		tmpfs_dir_init(tn, NULL);
	tn->tn_ino = tmpfs_ino_alloc(tm);

	*tnp = tn;
	return 0;
}

void
tmpfs_node_free(struct tmpfs_node *tn)
{
	struct tmpfs_mount *tm = tn->tn_tmp;

	KASSERT(tn->tn_magic == TMPFS_NODE_MAGIC);
	switch (tn->tn_type) {
	case VDIR:
		tmpfs_dir_destroy(tn);
		break;
	case VREG:
		tmpfs_data_destroy(tn);
		break;
	case VLNK:
		if (tn->tn_lnk.tl_target != NULL)
			tmpfs_mem_free(tm, tn->tn_lnk.tl_target,
			    tn->tn_lnk.tl_len + 1);
		break;
	default:
		break;
	}
	tmpfs_xattr_destroy(tn);
	tmpfs_pool_give(tm, TMPFS_POOL_INODES);

	/* A stale key handed to vfs_loadvnode must not look alive. */
	tn->tn_magic = 0;
	tmpfs_mem_free(tm, tn, sizeof(*tn));
}

void
tmpfs_node_drop(struct tmpfs_node *tn, uint32_t what)
{
	struct tmpfs_node *parent;
	uint32_t old;

	/* Iterative: a removed directory going lets go of its (removed)
	 * parent, which may go too, and so on up.  Nothing can add to a
	 * node whose word is 0 (a vnode is only made for a node that has a
	 * name or removed directories below it), so of those racing to
	 * drop (a reclaim, a child's release) exactly one sees it reach 0.
	 * Acquire and release: the one that frees sees what the others
	 * did to the node before they dropped their part. */
	while (tn != NULL) {
		old = __atomic_fetch_sub(&tn->tn_life, what, __ATOMIC_ACQ_REL);
		KASSERT(what == TMPFS_LIFE_HOLD ? old >= what :
		    (old & what) != 0);
		if (old != what)
			break;
		parent = NULL;
		if (tn->tn_type == VDIR && tn->tn_dir.td_parent != NULL &&
		    tn->tn_dir.td_parent != tn)
			parent = tn->tn_dir.td_parent;
		tmpfs_node_free(tn);
		tn = parent;
		what = TMPFS_LIFE_HOLD;
	}
}

void
tmpfs_node_freeall(struct tmpfs_mount *tm)
{
	struct tmpfs_node *dn = tm->tm_root, *tn;
	struct tmpfs_dirent *de;

	/* The VFS reclaimed every vnode first, and a node without a vnode
	 * and without a name is freed at once (so are removed directories
	 * with nothing removed below them): what is left is the tree
	 * under the root.  Depth first, without recursion: a directory
	 * goes when it is empty, through its name in its parent. */
	for (;;) {
		de = dn->tn_dir.td_first;
		if (de == NULL) {
			if (dn == tm->tm_root)
				break;
			dn = dn->tn_dir.td_parent;
			continue;
		}
		tn = de->td_node;
		if (tn->tn_type == VDIR && tn->tn_dir.td_first != NULL) {
			dn = tn;
			continue;
		}
		tmpfs_dir_detach(dn, de);
		tmpfs_dirent_free(tm, de);
		if (tn->tn_vnode != NULL) {
			/* Not expected: let a late reclaim find nothing. */
			tn->tn_vnode->v_data = NULL;
			tn->tn_vnode = NULL;
		}
		if (tn->tn_type != VDIR && tn->tn_nlink > 1) {
			tn->tn_nlink--;
			tmpfs_pool_give(tm, TMPFS_POOL_INODES);
			continue;
		}
		tmpfs_node_free(tn);
	}
	tn = tm->tm_root;
	if (tn->tn_vnode != NULL) {
		tn->tn_vnode->v_data = NULL;
		tn->tn_vnode = NULL;
	}
	tmpfs_node_free(tn);
	tm->tm_root = NULL;
}

int
tmpfs_node_vget(struct tmpfs_mount *tm, struct tmpfs_node *tn,
    struct vnode **vpp)
{
	return vcache_get(tm->tm_mp, tmpfs_node_key(tn), vpp);
}
