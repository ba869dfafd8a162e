/*
 * tmpfs_vfsops.c: mounting, unmounting and statistics of tmpfs, and its
 * registration with the VFS under the name "tmpfs".
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/libkern.h>
#include <kern/kmem.h>
#include <kern/proc.h>
#include <kern/pcounter.h>
#include <vfs/vnode.h>
#include <vfs/mount.h>

#include "tmpfs.h"

/* Contention statistics (kern/lock.h). */
static LOCKSTAT_CLASS(tm_lockstat, "tmpfs tm_lock");

#define TMPFS_ROOT_INO		2
/* Free space reported when neither size= nor the kernel's memory limit
 * bounds the mount: "plenty" rather than 0, which programs would take
 * for a full file system. */
#define TMPFS_NOMINAL_FREE	((uint64_t)1 << 40)

/* The data page limit for size= (0: none); without size=, like Linux's
 * half of RAM, half of the kernel's memory limit if there is one. */
static uint64_t
tmpfs_maxpages(const struct tmpfs_args *ta)
{
	if (ta->ta_set & TMPFS_ARG_SIZE)
		return howmany(ta->ta_size, TMPFS_PAGE_SIZE);
	if (kmem_limit() != 0)
		return MAX(kmem_limit() / 2 / TMPFS_PAGE_SIZE, 1);
	return 0;
}

static int
tmpfs_remount(struct tmpfs_mount *tm, const struct tmpfs_args *ta)
{
	uint64_t oldpages = tmpfs_pool_max(tm, TMPFS_POOL_PAGES);
	int error = 0;

	/* As Linux: limits may change but not below what is in use; the
	 * root's mode and owner are only set at mount time. */
	mutex_enter(&tm->tm_lock);
	if (ta->ta_set & TMPFS_ARG_SIZE)
		error = tmpfs_pool_setmax(tm, TMPFS_POOL_PAGES,
		    tmpfs_maxpages(ta));
	if (error == 0 && (ta->ta_set & TMPFS_ARG_NR_INODES)) {
		error = tmpfs_pool_setmax(tm, TMPFS_POOL_INODES,
		    ta->ta_nr_inodes);
		/* All or nothing. */
		if (error != 0 && (ta->ta_set & TMPFS_ARG_SIZE))
			(void)tmpfs_pool_setmax(tm, TMPFS_POOL_PAGES,
			    oldpages);
	}
	mutex_exit(&tm->tm_lock);
	return error;
}

static int
tmpfs_mount(struct mount *mp, const char *source __unused, const char *data)
{
	const struct kauth_cred *cred = kauth_cred_get();
	struct tmpfs_mount *tm;
	struct tmpfs_node *root;
	struct tmpfs_args ta;
	uid_t uid;
	gid_t gid;
	int error;

	error = tmpfs_parse_args(data, &ta);
	if (error != 0)
		return error;
	if (ta.ta_size > TMPFS_MAXFILESIZE)
		return EINVAL;
	if ((mp->mnt_flags & MS_REMOUNT) && mp->mnt_data != NULL)
		return tmpfs_remount(mp->mnt_data, &ta);

	tm = kmem_zalloc(sizeof(*tm), KM_SLEEP);
	if (tm == NULL)
		return ENOMEM;
	tm->tm_mp = mp;
	mutex_init(&tm->tm_lock, MUTEX_DEFAULT);
	mutex_setstat(&tm->tm_lock, &tm_lockstat);
	tm->tm_nextino = TMPFS_ROOT_INO;
	error = tmpfs_pools_init(tm, tmpfs_maxpages(&ta), ta.ta_nr_inodes);
	if (error != 0) {
		mutex_destroy(&tm->tm_lock);
		kmem_free(tm, sizeof(*tm));
		return error;
	}

	/* Like Linux, the root belongs to whoever mounts unless told. */
	uid = (ta.ta_set & TMPFS_ARG_UID) ? ta.ta_uid : cred->cr_euid;
	gid = (ta.ta_set & TMPFS_ARG_GID) ? ta.ta_gid : cred->cr_egid;
	error = tmpfs_node_alloc(tm, VDIR, ta.ta_mode, uid, gid, 0, &root);
	if (error != 0) {
		tmpfs_pools_destroy(tm);
		mutex_destroy(&tm->tm_lock);
		kmem_free(tm, sizeof(*tm));
		return ENOMEM;
	}
	root->tn_dir.td_parent = root;	/* ".." of the root is itself */
	root->tn_nlink = 2;
	root->tn_life = TMPFS_LIFE_NAMED;	/* never dropped */
	tm->tm_root = root;

	mp->mnt_data = tm;
	/* Keys are node addresses: a thread's nodes come from its own
	 * part of the host's heap; directories are marked (tmpfs.h). */
	mp->mnt_keyshift = 16;
	mp->mnt_keyspread = TMPFS_KEY_DIR;
	return 0;
}

static int
tmpfs_unmount(struct mount *mp, int flags __unused)
{
	struct tmpfs_mount *tm = mp->mnt_data;

	if (tm == NULL)
		return 0;
	tmpfs_node_freeall(tm);
	KASSERTMSG(pcounter_read(&tm->tm_used) == 0,
	    "tmpfs: %lld bytes left at unmount",
	    (long long)pcounter_read(&tm->tm_used));
	tmpfs_pools_destroy(tm);
	mutex_destroy(&tm->tm_lock);
	kmem_free(tm, sizeof(*tm));
	mp->mnt_data = NULL;
	return 0;
}

static uint64_t
tmpfs_rootkey(struct mount *mp)
{
	struct tmpfs_mount *tm = mp->mnt_data;

	return tmpfs_node_key(tm->tm_root);
}

static int
tmpfs_loadvnode(struct mount *mp, struct vnode *vp, uint64_t key)
{
	struct tmpfs_mount *tm = mp->mnt_data;
	struct tmpfs_node *tn =
	    (struct tmpfs_node *)(uintptr_t)(key & ~TMPFS_KEY_DIR);

	/* Keys come only from this file system, but a cheap check turns
	 * a stale one into an error instead of memory corruption. */
	if (tn == NULL || tn->tn_magic != TMPFS_NODE_MAGIC ||
	    tn->tn_tmp != tm || tmpfs_node_key(tn) != key)
		return ESTALE;
	vp->v_type = tn->tn_type;
	vp->v_op = &tmpfs_vnodeops;
	vp->v_data = tn;
	if (tn == tm->tm_root)
		vp->v_flags |= VV_ROOT;
	/* One vnode at a time per node (the VFS's cache key). */
	KASSERT(tn->tn_vnode == NULL);
	tn->tn_vnode = vp;
	__atomic_fetch_or(&tn->tn_life, TMPFS_LIFE_VNODE, __ATOMIC_RELAXED);
	return 0;
}

static int
tmpfs_statfs(struct mount *mp, struct vfs_statfs *sf)
{
	struct tmpfs_mount *tm = mp->mnt_data;
	uint64_t memfree, pernode, pages, inodes, maxpages, maxnodes;

	/* Memory the kernel has left, which bounds whatever size= and
	 * nr_inodes= do not (shared with the rest of the kernel). */
	if (kmem_limit() != 0)
		memfree = kmem_limit() - MIN(kmem_inuse(), kmem_limit());
	else
		memfree = TMPFS_NOMINAL_FREE;
	/* Not while a remount moves counts between the CPUs and the
	 * mount (they would look used or free twice). */
	mutex_enter(&tm->tm_lock);
	pages = tmpfs_pool_used(tm, TMPFS_POOL_PAGES);
	inodes = tmpfs_pool_used(tm, TMPFS_POOL_INODES);
	maxpages = tmpfs_pool_max(tm, TMPFS_POOL_PAGES);
	maxnodes = tmpfs_pool_max(tm, TMPFS_POOL_INODES);
	mutex_exit(&tm->tm_lock);
	memset(sf, 0, sizeof(*sf));
	sf->f_type = TMPFS_MAGIC;
	sf->f_bsize = TMPFS_PAGE_SIZE;
	if (maxpages != 0) {
		/* Data pages only, as Linux: a file of size= bytes fits. */
		sf->f_blocks = maxpages;
		sf->f_bfree = maxpages - MIN(pages, maxpages);
	} else if (kmem_limit() != 0) {
		sf->f_blocks = kmem_limit() / TMPFS_PAGE_SIZE;
		sf->f_bfree = memfree / TMPFS_PAGE_SIZE;
	} else {
		sf->f_bfree = memfree / TMPFS_PAGE_SIZE;
		sf->f_blocks = pages + sf->f_bfree;
	}
	sf->f_bavail = sf->f_bfree;
	if (maxnodes != 0) {
		sf->f_files = maxnodes;
		sf->f_ffree = maxnodes - MIN(inodes, maxnodes);
	} else {
		/* Without nr_inodes, memory is the limit: a new empty file
		 * costs a node and a name. */
		pernode = sizeof(struct tmpfs_node) +
		    sizeof(struct tmpfs_dirent) + 16;
		sf->f_ffree = memfree / pernode;
		sf->f_files = inodes + sf->f_ffree;
	}
	sf->f_namelen = NAME_MAX;
	return 0;
}

static int
tmpfs_sync(struct mount *mp __unused)
{
	return 0;
}

const struct vfsops tmpfs_vfsops = {
	.vfs_name	= "tmpfs",
	.vfs_flags	= VFS_MPSAFE | VFS_NAMECACHE,
	.vfs_mount	= tmpfs_mount,
	.vfs_unmount	= tmpfs_unmount,
	.vfs_rootkey	= tmpfs_rootkey,
	.vfs_loadvnode	= tmpfs_loadvnode,
	.vfs_statfs	= tmpfs_statfs,
	.vfs_sync	= tmpfs_sync,
};
VFS_REGISTER(tmpfs_vfsops);
