/*
 * tmpfs_node.c: tmpfs nodes (one per file) and the memory they are
 * charged for.
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/libkern.h>
#include <kern/kmem.h>
#include <kern/clock.h>
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
	__atomic_fetch_add(&tm->tm_used, size, __ATOMIC_RELAXED);
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
	KASSERT(__atomic_load_n(&tm->tm_used, __ATOMIC_RELAXED) >= size);
	__atomic_fetch_sub(&tm->tm_used, size, __ATOMIC_RELAXED);
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

/* tm_lock held. */
int
tmpfs_inode_check(struct tmpfs_mount *tm)
{
	if (tm->tm_maxnodes != 0 && tmpfs_inodes_used(tm) >= tm->tm_maxnodes)
		return ENOSPC;
	return 0;
}

int
tmpfs_extralink_add(struct tmpfs_mount *tm)
{
	int error;

	mutex_enter(&tm->tm_lock);
	error = tmpfs_inode_check(tm);
	if (error == 0)
		tm->tm_extralinks++;
	mutex_exit(&tm->tm_lock);
	return error;
}

void
tmpfs_extralink_drop(struct tmpfs_mount *tm)
{
	mutex_enter(&tm->tm_lock);
	KASSERT(tm->tm_extralinks > 0);
	tm->tm_extralinks--;
	mutex_exit(&tm->tm_lock);
}

/* tm_pages is only ever used atomically: files on other CPUs take and
 * give back pages without a lock. */
int
tmpfs_page_reserve(struct tmpfs_mount *tm)
{
	uint64_t n = __atomic_load_n(&tm->tm_pages, __ATOMIC_RELAXED);

	do {
		if (tm->tm_maxpages != 0 && n >= tm->tm_maxpages)
			return ENOSPC;
	} while (!__atomic_compare_exchange_n(&tm->tm_pages, &n, n + 1, true,
	    __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	return 0;
}

void
tmpfs_page_unreserve(struct tmpfs_mount *tm)
{
	KASSERT(__atomic_load_n(&tm->tm_pages, __ATOMIC_RELAXED) > 0);
	__atomic_fetch_sub(&tm->tm_pages, 1, __ATOMIC_RELAXED);
}

uint64_t
tmpfs_pages_used(struct tmpfs_mount *tm)
{
	return __atomic_load_n(&tm->tm_pages, __ATOMIC_RELAXED);
}

int
tmpfs_node_alloc(struct tmpfs_mount *tm, enum vtype type, mode_t mode,
    uid_t uid, gid_t gid, dev_t rdev, struct tmpfs_node **tnp)
{
	struct tmpfs_node *tn;
	int error;

	/* The node is counted from here on: no other thread can take the
	 * last inode between the check and the count. */
	mutex_enter(&tm->tm_lock);
	error = tmpfs_inode_check(tm);
	if (error == 0)
		tm->tm_nodes++;
	mutex_exit(&tm->tm_lock);
	if (error != 0)
		return error;
	tn = tmpfs_mem_zalloc(tm, sizeof(*tn));
	if (tn == NULL) {
		mutex_enter(&tm->tm_lock);
		tm->tm_nodes--;
		mutex_exit(&tm->tm_lock);
		return ENOSPC;
	}

	tn->tn_magic = TMPFS_NODE_MAGIC;
	tn->tn_type = type;
	tn->tn_mode = mode & TMPFS_ALLPERMS;
	tn->tn_uid = uid;
	tn->tn_gid = gid;
	/* The caller sets the link count when it gives the node a name;
	 * until then tmpfs_node_release() may simply free it. */
	tn->tn_nlink = 0;
	tn->tn_rdev = (type == VCHR || type == VBLK) ? rdev : 0;
	tn->tn_tmp = tm;
	tmpfs_node_touch(tn, TMPFS_UPD_ATIME | TMPFS_UPD_MTIME |
	    TMPFS_UPD_CTIME);
	if (type == VDIR)
		tmpfs_dir_init(tn, NULL);

	mutex_enter(&tm->tm_lock);
	tn->tn_ino = tm->tm_nextino++;
	tn->tn_allprev = NULL;
	tn->tn_allnext = tm->tm_allnodes;
	if (tm->tm_allnodes != NULL)
		tm->tm_allnodes->tn_allprev = tn;
	tm->tm_allnodes = tn;
	mutex_exit(&tm->tm_lock);

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

	mutex_enter(&tm->tm_lock);
	if (tn->tn_allprev != NULL)
		tn->tn_allprev->tn_allnext = tn->tn_allnext;
	else
		tm->tm_allnodes = tn->tn_allnext;
	if (tn->tn_allnext != NULL)
		tn->tn_allnext->tn_allprev = tn->tn_allprev;
	tm->tm_nodes--;
	mutex_exit(&tm->tm_lock);

	/* A stale key handed to vfs_loadvnode must not look alive. */
	tn->tn_magic = 0;
	tmpfs_mem_free(tm, tn, sizeof(*tn));
}

void
tmpfs_node_release(struct tmpfs_node *tn)
{
	struct tmpfs_mount *tm;
	struct tmpfs_node *parent;
	bool dofree;

	/* Iterative: a removed directory going may let its (removed)
	 * parent go, and so on up.  The decision is taken under tm_lock,
	 * so that of a reclaim and a child's release that race for one
	 * node exactly one frees it; the vnode is looked at first, as a
	 * node with one may have its link count changed meanwhile. */
	while (tn != NULL) {
		tm = tn->tn_tmp;
		parent = NULL;
		mutex_enter(&tm->tm_lock);
		dofree = tn->tn_vnode == NULL && tn->tn_nlink == 0 &&
		    tn->tn_holds == 0;
		if (dofree && tn->tn_type == VDIR &&
		    tn->tn_dir.td_parent != NULL &&
		    tn->tn_dir.td_parent != tn) {
			parent = tn->tn_dir.td_parent;
			KASSERT(parent->tn_holds > 0);
			parent->tn_holds--;
		}
		mutex_exit(&tm->tm_lock);
		if (!dofree)
			break;
		tmpfs_node_free(tn);
		tn = parent;
	}
}

int
tmpfs_node_vget(struct tmpfs_mount *tm, struct tmpfs_node *tn,
    struct vnode **vpp)
{
	return vcache_get(tm->tm_mp, tmpfs_node_key(tn), vpp);
}
