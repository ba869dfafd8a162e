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
	tm->tm_used += size;
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
	KASSERT(tm->tm_used >= size);
	tm->tm_used -= size;
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

int
tmpfs_inode_check(struct tmpfs_mount *tm)
{
	if (tm->tm_maxnodes != 0 && tmpfs_inodes_used(tm) >= tm->tm_maxnodes)
		return ENOSPC;
	return 0;
}

int
tmpfs_node_alloc(struct tmpfs_mount *tm, enum vtype type, mode_t mode,
    uid_t uid, gid_t gid, dev_t rdev, struct tmpfs_node **tnp)
{
	struct tmpfs_node *tn;
	int error;

	error = tmpfs_inode_check(tm);
	if (error != 0)
		return error;
	tn = tmpfs_mem_zalloc(tm, sizeof(*tn));
	if (tn == NULL)
		return ENOSPC;

	tn->tn_magic = TMPFS_NODE_MAGIC;
	tn->tn_type = type;
	tn->tn_mode = mode & TMPFS_ALLPERMS;
	tn->tn_uid = uid;
	tn->tn_gid = gid;
	/* The caller sets the link count when it gives the node a name;
	 * until then tmpfs_node_release() may simply free it. */
	tn->tn_nlink = 0;
	tn->tn_rdev = (type == VCHR || type == VBLK) ? rdev : 0;
	tn->tn_ino = tm->tm_nextino++;
	tn->tn_tmp = tm;
	tmpfs_node_touch(tn, TMPFS_UPD_ATIME | TMPFS_UPD_MTIME |
	    TMPFS_UPD_CTIME);
	if (type == VDIR)
		tmpfs_dir_init(tn, NULL);

	tn->tn_allprev = NULL;
	tn->tn_allnext = tm->tm_allnodes;
	if (tm->tm_allnodes != NULL)
		tm->tm_allnodes->tn_allprev = tn;
	tm->tm_allnodes = tn;
	tm->tm_nodes++;

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

	if (tn->tn_allprev != NULL)
		tn->tn_allprev->tn_allnext = tn->tn_allnext;
	else
		tm->tm_allnodes = tn->tn_allnext;
	if (tn->tn_allnext != NULL)
		tn->tn_allnext->tn_allprev = tn->tn_allprev;
	tm->tm_nodes--;

	/* A stale key handed to vfs_loadvnode must not look alive. */
	tn->tn_magic = 0;
	tmpfs_mem_free(tm, tn, sizeof(*tn));
}

void
tmpfs_node_release(struct tmpfs_node *tn)
{
	struct tmpfs_node *parent;

	/* Iterative: a removed directory going may let its (removed)
	 * parent go, and so on up. */
	while (tn != NULL && tn->tn_nlink == 0 && tn->tn_vnode == NULL &&
	    tn->tn_holds == 0) {
		parent = NULL;
		if (tn->tn_type == VDIR && tn->tn_dir.td_parent != NULL &&
		    tn->tn_dir.td_parent != tn) {
			parent = tn->tn_dir.td_parent;
			KASSERT(parent->tn_holds > 0);
			parent->tn_holds--;
		}
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
