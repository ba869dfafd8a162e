/*
 * vfs_namecache.c: the name cache, which lets a path lookup go through
 * directories without locking them (vfs_lookup.c).
 *
 * An entry says that name in directory (mount, dirkey) is the file
 * (mount, key): identities that file systems keep for as long as the
 * file exists, not vnode pointers, so an entry stays right while the
 * vnodes come and go from the vnode cache.  It goes wrong only when the
 * name goes, and every way a name goes (unlink, rmdir, rename, unmount)
 * removes its entry first, with the directory locked.  Entries are
 * added with the directory locked too (a lookup that found the name, a
 * create), so an entry never outlives its name, and a key is never
 * reused while an entry names it.
 *
 * Only file systems that compare names byte for byte (VFS_NAMECACHE)
 * are cached: FAT's case folding and short names give one file names
 * that the cache could not know of when removing one.  Nothing is
 * cached for "." and "..", nor negative results.
 *
 * Readers take no lock (nc_lookup, under the rules of kern/qsbr.h);
 * writers take the lock of the bucket's stripe, and entries are freed
 * through qsbr_retire.  The stripe comes from the directory alone, so
 * threads creating and removing files in directories of their own take
 * locks of their own (with the whole entry hashed, both threads' names
 * went to every stripe and each lock's line moved between the host's
 * cores: bench_scale).  A bucket keeps at most NC_CHAINMAX entries,
 * dropping its oldest, which bounds the cache without a shared count
 * (a directory gets up to NC_CHAINMAX * NC_HASHSIZE / NC_STRIPES).
 */
#include <kern/types.h>
#include <kern/kmem.h>
#include <kern/libkern.h>
#include <kern/lock.h>
#include <kern/qsbr.h>
#include <vfs/vnode.h>
#include <vfs/mount.h>
#include <vfs/vfs.h>

static LOCKSTAT_CLASS(nc_lockstat, "name cache");

#define NC_HASHSIZE	32768		/* power of two */
#define NC_STRIPES	64		/* power of two, <= NC_HASHSIZE */
/* A stripe's buckets are one run of the table: no cache line holds
 * chains of two stripes (as in vfs_vcache.c). */
#define NC_PERSTRIPE	(NC_HASHSIZE / NC_STRIPES)
#define NC_CHAINMAX	8

struct ncentry {
	struct ncentry		*nc_next;	/* atomic: readers walk it */
	struct mount		*nc_mount;
	uint64_t		 nc_dirkey;
	uint64_t		 nc_key;
	struct qsbr_entry	 nc_qsbr;
	uint32_t		 nc_hash;
	uint8_t			 nc_namelen;
	char			 nc_name[];
};

struct ncstripe {
	kmutex_t	ns_lock;
} __attribute__((aligned(64)));

static struct ncentry *nc_hash[NC_HASHSIZE] __attribute__((aligned(64)));
static struct ncstripe nc_stripes[NC_STRIPES];

void
nc_init(void)
{
	size_t i;

	for (i = 0; i < NC_STRIPES; i++) {
		mutex_init(&nc_stripes[i].ns_lock, MUTEX_DEFAULT);
		mutex_setstat(&nc_stripes[i].ns_lock, &nc_lockstat);
	}
}

/* The bucket's stripe (the bits above NC_PERSTRIPE's) from the
 * directory, the rest from the name as well. */
static uint32_t
nc_hashof(struct mount *mp, uint64_t dirkey, const char *name, size_t len)
{
	uint64_t d = (uint64_t)(uintptr_t)mp * 0x9e3779b97f4a7c15ULL, h;
	size_t i;

	d ^= dirkey * 0xc2b2ae3d27d4eb4fULL;
	d ^= d >> 29;
	h = d;
	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)name[i]) * 0x100000001b3ULL;
	h ^= h >> 31;
	return (((uint32_t)h ^ (uint32_t)(h >> 32)) &
	    ~(uint32_t)(NC_HASHSIZE - NC_PERSTRIPE)) |
	    ((uint32_t)(d >> 32) & (NC_STRIPES - 1)) * NC_PERSTRIPE;
}

static bool
nc_cacheable(struct vnode *dvp, size_t len)
{

	return (dvp->v_mount->mnt_op->vfs_flags & VFS_NAMECACHE) != 0 &&
	    len > 0 && len <= NAME_MAX;
}

static bool
nc_match(const struct ncentry *nc, uint32_t h, struct mount *mp,
    uint64_t dirkey, const char *name, size_t len)
{

	return nc->nc_hash == h && nc->nc_mount == mp &&
	    nc->nc_dirkey == dirkey && nc->nc_namelen == len &&
	    memcmp(nc->nc_name, name, len) == 0;
}

static void
nc_free(struct qsbr_entry *q)
{
	struct ncentry *nc = container_of(q, struct ncentry, nc_qsbr);

	kmem_free(nc, sizeof(*nc) + nc->nc_namelen);
}

/* Unlinks *ncp (stripe lock held) and retires it. */
static void
nc_unlink(struct ncentry **ncp)
{
	struct ncentry *nc = *ncp;

	__atomic_store_n(ncp, __atomic_load_n(&nc->nc_next, __ATOMIC_RELAXED),
	    __ATOMIC_RELEASE);
	qsbr_retire(&nc->nc_qsbr, nc_free);
}

bool
nc_lookup(struct vnode *dvp, const char *name, size_t len, uint64_t *keyp)
{
	struct mount *mp = dvp->v_mount;
	struct ncentry *nc;
	uint32_t h;

	if (!nc_cacheable(dvp, len))
		return false;
	h = nc_hashof(mp, dvp->v_key, name, len);
	/* Sequentially consistent: see vcache_peek. */
	for (nc = __atomic_load_n(&nc_hash[h & (NC_HASHSIZE - 1)],
	    __ATOMIC_SEQ_CST); nc != NULL;
	    nc = __atomic_load_n(&nc->nc_next, __ATOMIC_ACQUIRE)) {
		if (nc_match(nc, h, mp, dvp->v_key, name, len)) {
			*keyp = nc->nc_key;
			return true;
		}
	}
	return false;
}

void
nc_enter(struct vnode *dvp, const char *name, size_t len, struct vnode *vp)
{
	struct mount *mp = dvp->v_mount;
	struct ncentry *nc, **ncp;
	struct ncstripe *ns;
	uint32_t h;
	size_t b;
	int n;

	KASSERT(vn_islocked(dvp));
	if (!nc_cacheable(dvp, len) || vp->v_mount != mp || vp == dvp)
		return;
	nc = kmem_alloc(sizeof(*nc) + len, KM_NOSLEEP);
	if (nc == NULL)
		return;		/* a cache: nothing lost */
	h = nc_hashof(mp, dvp->v_key, name, len);
	nc->nc_mount = mp;
	nc->nc_dirkey = dvp->v_key;
	nc->nc_key = vp->v_key;
	nc->nc_hash = h;
	nc->nc_namelen = (uint8_t)len;
	memcpy(nc->nc_name, name, len);
	b = h & (NC_HASHSIZE - 1);
	ns = &nc_stripes[b / NC_PERSTRIPE];
	mutex_enter(&ns->ns_lock);
	/* A name already there (another lookup entered it) is replaced;
	 * past the bound the oldest (last) entry goes. */
	for (ncp = &nc_hash[b], n = 0; *ncp != NULL;) {
		if (nc_match(*ncp, h, mp, dvp->v_key, name, len) ||
		    ++n >= NC_CHAINMAX) {
			nc_unlink(ncp);
			continue;
		}
		ncp = &(*ncp)->nc_next;
	}
	nc->nc_next = nc_hash[b];
	__atomic_store_n(&nc_hash[b], nc, __ATOMIC_RELEASE);
	mutex_exit(&ns->ns_lock);
}

void
nc_remove(struct vnode *dvp, const char *name, size_t len)
{
	struct mount *mp = dvp->v_mount;
	struct ncentry **ncp;
	struct ncstripe *ns;
	uint32_t h;
	size_t b;

	if (!nc_cacheable(dvp, len))
		return;
	h = nc_hashof(mp, dvp->v_key, name, len);
	b = h & (NC_HASHSIZE - 1);
	ns = &nc_stripes[b / NC_PERSTRIPE];
	mutex_enter(&ns->ns_lock);
	for (ncp = &nc_hash[b]; *ncp != NULL;) {
		if (nc_match(*ncp, h, mp, dvp->v_key, name, len))
			nc_unlink(ncp);
		else
			ncp = &(*ncp)->nc_next;
	}
	mutex_exit(&ns->ns_lock);
}

void
nc_purge_mount(struct mount *mp)
{
	struct ncentry **ncp;
	size_t s, b;

	for (s = 0; s < NC_STRIPES; s++) {
		mutex_enter(&nc_stripes[s].ns_lock);
		for (b = s * NC_PERSTRIPE; b < (s + 1) * NC_PERSTRIPE; b++) {
			for (ncp = &nc_hash[b]; *ncp != NULL;) {
				if ((*ncp)->nc_mount == mp)
					nc_unlink(ncp);
				else
					ncp = &(*ncp)->nc_next;
			}
		}
		mutex_exit(&nc_stripes[s].ns_lock);
	}
}
