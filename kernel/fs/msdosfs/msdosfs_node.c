/*
 * msdosfs_node.c: the in-memory nodes of files in use (see msdosfs.h),
 * their hash by directory entry position, and writing their attributes
 * back into the directory entry.
 *
 * A node lives while it has a vnode, while a child node holds it as its
 * parent, or (the root) while the file system is mounted.  A file whose
 * last name was removed keeps its clusters until its node goes, so that
 * open files stay readable, as POSIX wants.
 *
 * The hash, the list, de_vnode, de_holds and freeing are under pm_lock
 * (msdosfs.h); functions named _locked expect it held.
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/libkern.h>
#include <kern/lock.h>
#include <kern/kmem.h>
#include <kern/clock.h>
#include <vfs/buf.h>

#include "msdosfs.h"

static uint32_t
loc_bucket(const struct msdosfs_mount *pmp, uint64_t loc)
{
	uint64_t h = (loc / DE_SIZE) * 0x9e3779b97f4a7c15ULL;

	return (uint32_t)(h >> 40) & (pmp->pm_hashsize - 1);
}

/* pm_lock held. */
struct msdosfs_node *
msdosfs_node_find(struct msdosfs_mount *pmp, uint64_t loc)
{
	struct msdosfs_node *dep;

	for (dep = pmp->pm_hash[loc_bucket(pmp, loc)]; dep != NULL;
	    dep = dep->de_hnext)
		if (dep->de_loc == loc)
			return dep;
	return NULL;
}

static void
hash_insert(struct msdosfs_node *dep)
{
	struct msdosfs_mount *pmp = dep->de_pmp;
	uint32_t b = loc_bucket(pmp, dep->de_loc);

	dep->de_hnext = pmp->pm_hash[b];
	pmp->pm_hash[b] = dep;
}

static void
hash_remove(struct msdosfs_node *dep)
{
	struct msdosfs_mount *pmp = dep->de_pmp;
	struct msdosfs_node **pp;

	if (dep->de_loc == DE_NOLOC || dep == pmp->pm_root)
		return;
	for (pp = &pmp->pm_hash[loc_bucket(pmp, dep->de_loc)]; *pp != NULL;
	    pp = &(*pp)->de_hnext) {
		if (*pp == dep) {
			*pp = dep->de_hnext;
			break;
		}
	}
	dep->de_hnext = NULL;
}

void
msdosfs_node_rehash(struct msdosfs_node *dep, uint64_t loc)
{
	struct msdosfs_mount *pmp = dep->de_pmp;

	mutex_enter(&pmp->pm_lock);
	hash_remove(dep);
	dep->de_loc = loc;
	if (loc != DE_NOLOC)
		hash_insert(dep);
	mutex_exit(&pmp->pm_lock);
}

static struct msdosfs_node *
node_alloc(struct msdosfs_mount *pmp)
{
	struct msdosfs_node *dep;

	dep = kmem_zalloc(sizeof(*dep), KM_SLEEP);
	if (dep == NULL)
		return NULL;
	dep->de_magic = MSDOSFS_NODE_MAGIC;
	dep->de_pmp = pmp;
	mutex_enter(&pmp->pm_lock);
	dep->de_allnext = pmp->pm_allnodes;
	if (pmp->pm_allnodes != NULL)
		pmp->pm_allnodes->de_allprev = dep;
	pmp->pm_allnodes = dep;
	pmp->pm_nnodes++;
	mutex_exit(&pmp->pm_lock);
	return dep;
}

/* pm_lock held (or the mount going away). */
static void
node_free(struct msdosfs_node *dep)
{
	struct msdosfs_mount *pmp = dep->de_pmp;

	if (dep->de_allprev != NULL)
		dep->de_allprev->de_allnext = dep->de_allnext;
	else
		pmp->pm_allnodes = dep->de_allnext;
	if (dep->de_allnext != NULL)
		dep->de_allnext->de_allprev = dep->de_allprev;
	pmp->pm_nnodes--;
	dep->de_magic = 0;
	kmem_free(dep, sizeof(*dep));
}

static void node_release_locked(struct msdosfs_node *dep);

void
msdosfs_node_setparent(struct msdosfs_node *dep, struct msdosfs_node *parent)
{
	struct msdosfs_mount *pmp = dep->de_pmp;
	struct msdosfs_node *old = dep->de_parent;

	if (old == parent)
		return;
	mutex_enter(&pmp->pm_lock);
	if (parent != NULL)
		parent->de_holds++;
	dep->de_parent = parent;
	if (old != NULL) {
		old->de_holds--;
		node_release_locked(old);
	}
	mutex_exit(&pmp->pm_lock);
}

static void
node_release_locked(struct msdosfs_node *dep)
{
	struct msdosfs_mount *pmp;
	struct msdosfs_node *parent;

	/* Iterative: freeing a node may free its parent, and so on. */
	while (dep != NULL) {
		pmp = dep->de_pmp;
		if (dep->de_vnode != NULL || dep->de_holds != 0 ||
		    dep == pmp->pm_root)
			return;
		if (dep->de_removed && dep->de_startclust != 0 &&
		    !pmp->pm_ronly) {
			msdosfs_chain_free_locked(pmp, dep->de_startclust);
			dep->de_startclust = 0;
		}
		hash_remove(dep);
		parent = dep->de_parent;
		node_free(dep);
		if (parent != NULL)
			parent->de_holds--;
		dep = parent;
	}
}

void
msdosfs_node_release(struct msdosfs_node *dep)
{
	struct msdosfs_mount *pmp = dep->de_pmp;

	mutex_enter(&pmp->pm_lock);
	node_release_locked(dep);
	mutex_exit(&pmp->pm_lock);
}

/* Fills a new node's fields from its short entry. */
static void
node_load(struct msdosfs_node *dep, const uint8_t *e)
{
	struct msdosfs_mount *pmp = dep->de_pmp;
	uint32_t max;

	dep->de_attr = e[DE_ATTR];
	dep->de_ntres = e[DE_NTRES];
	dep->de_ctime_cs = e[DE_CTIME_CS];
	dep->de_ctime = le16(e + DE_CTIME);
	dep->de_cdate = le16(e + DE_CDATE);
	dep->de_adate = le16(e + DE_ADATE);
	dep->de_mtime = le16(e + DE_MTIME);
	dep->de_mdate = le16(e + DE_MDATE);
	dep->de_startclust = le16(e + DE_CLUSTLO);
	if (pmp->pm_fattype == 32)
		dep->de_startclust |= (uint32_t)le16(e + DE_CLUSTHI) << 16;
	dep->de_size = le32(e + DE_FILESIZE);
	dep->de_isdir = (dep->de_attr & ATTR_DIRECTORY) != 0;
	if (dep->de_isdir)
		max = MAX(MSDOSFS_MAXDIRSIZE / pmp->pm_csize, 1);
	else
		max = (uint32_t)(MSDOSFS_MAXFILESIZE / pmp->pm_csize + 1);
	if (msdosfs_chainlen(pmp, dep->de_startclust, max,
	    &dep->de_nclust) != 0) {
		dep->de_chainbad = true;
		dep->de_nclust = 0;
	}
	if (dep->de_isdir) {
		dep->de_size = msdosfs_dirsize(dep);
		if (msdosfs_dir_countsubdirs(dep, &dep->de_nsubdirs) != 0)
			dep->de_nsubdirs = 0;
	}
}

int
msdosfs_node_vget(struct msdosfs_node *dep, struct vnode **vpp)
{
	struct mount *mp = dep->de_pmp->pm_mp;

	return vcache_get(mp, (uint64_t)(uintptr_t)dep, vpp);
}

int
msdosfs_node_get(struct msdosfs_node *dp, const struct msdosfs_dirent *d,
    struct vnode **vpp)
{
	struct msdosfs_mount *pmp = dp->de_pmp;
	struct msdosfs_node *dep;
	int error;

	mutex_enter(&pmp->pm_lock);
	dep = msdosfs_node_find(pmp, d->d_loc);
	if (dep != NULL) {
		/* Held across vcache_get: without a vnode or a child the
		 * node could go meanwhile (a reclaim on another CPU). */
		dep->de_holds++;
		mutex_exit(&pmp->pm_lock);
		error = msdosfs_node_vget(dep, vpp);
		mutex_enter(&pmp->pm_lock);
		dep->de_holds--;
		node_release_locked(dep);
		mutex_exit(&pmp->pm_lock);
		return error;
	}
	mutex_exit(&pmp->pm_lock);
	dep = node_alloc(pmp);
	if (dep == NULL)
		return ENOMEM;
	dep->de_loc = d->d_loc;
	dep->de_diroff = d->d_off;
	dep->de_lfnoff = d->d_lfnoff;
	dep->de_ino = d->d_loc / DE_SIZE;
	/* Loaded before it can be found: its parent's lock keeps anyone
	 * else from looking this entry up meanwhile. */
	node_load(dep, d->d_ent);
	msdosfs_node_setparent(dep, dp);
	mutex_enter(&pmp->pm_lock);
	hash_insert(dep);
	mutex_exit(&pmp->pm_lock);
	error = msdosfs_node_vget(dep, vpp);
	if (error != 0)
		msdosfs_node_release(dep);
	return error;
}

int
msdosfs_node_root(struct msdosfs_mount *pmp)
{
	struct msdosfs_node *dep;

	dep = node_alloc(pmp);
	if (dep == NULL)
		return ENOMEM;
	dep->de_loc = 0;
	dep->de_ino = MSDOSFS_ROOT_INO;
	dep->de_isdir = true;
	dep->de_attr = ATTR_DIRECTORY;
	pmp->pm_root = dep;
	if (pmp->pm_fattype == 32) {
		dep->de_startclust = pmp->pm_rootclust;
		if (msdosfs_chainlen(pmp, dep->de_startclust,
		    MAX(MSDOSFS_MAXDIRSIZE / pmp->pm_csize, 1),
		    &dep->de_nclust) != 0)
			return EINVAL;	/* no usable root: refuse to mount */
	}
	dep->de_size = msdosfs_dirsize(dep);
	if (msdosfs_dir_countsubdirs(dep, &dep->de_nsubdirs) != 0)
		dep->de_nsubdirs = 0;
	return 0;
}

void
msdosfs_node_fill_entry(const struct msdosfs_node *dep, uint8_t *e)
{
	e[DE_ATTR] = dep->de_attr;
	e[DE_CTIME_CS] = dep->de_ctime_cs;
	put16(e + DE_CTIME, dep->de_ctime);
	put16(e + DE_CDATE, dep->de_cdate);
	put16(e + DE_ADATE, dep->de_adate);
	put16(e + DE_CLUSTHI, dep->de_pmp->pm_fattype == 32 ?
	    (uint16_t)(dep->de_startclust >> 16) : 0);
	put16(e + DE_MTIME, dep->de_mtime);
	put16(e + DE_MDATE, dep->de_mdate);
	put16(e + DE_CLUSTLO, (uint16_t)dep->de_startclust);
	put32(e + DE_FILESIZE, dep->de_isdir ? 0 : dep->de_size);
}

int
msdosfs_node_update(struct msdosfs_node *dep)
{
	struct msdosfs_dircursor dc;
	uint8_t *e;
	int error;

	if (dep == dep->de_pmp->pm_root || dep->de_removed ||
	    dep->de_parent == NULL || dep->de_pmp->pm_ronly)
		return 0;
	msdosfs_dc_init(&dc, dep->de_parent);
	error = msdosfs_dc_get(&dc, dep->de_diroff, &e, NULL);
	if (error == 0) {
		msdosfs_node_fill_entry(dep, e);
		msdosfs_dc_dirty(&dc);
	}
	msdosfs_dc_done(&dc);
	return error;
}

void
msdosfs_node_touch(struct msdosfs_node *dep, int what)
{
	struct timespec now;
	uint16_t t;

	if (dep == dep->de_pmp->pm_root)
		return;			/* the root has no entry */
	getnanotime(&now);
	if (what & DE_UPD_MTIME) {
		msdosfs_unix2dos(&now, &dep->de_mdate, &dep->de_mtime, NULL);
		if (!dep->de_isdir)
			dep->de_attr |= ATTR_ARCHIVE;
	}
	if (what & DE_UPD_ATIME)
		msdosfs_unix2dos(&now, &dep->de_adate, &t, NULL);
}

void
msdosfs_node_freeall(struct msdosfs_mount *pmp)
{
	struct msdosfs_node *dep;

	while ((dep = pmp->pm_allnodes) != NULL) {
		if (dep->de_vnode != NULL) {
			dep->de_vnode->v_data = NULL;
			dep->de_vnode = NULL;
		}
		node_free(dep);
	}
	pmp->pm_root = NULL;
}
