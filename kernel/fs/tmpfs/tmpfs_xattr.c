/*
 * tmpfs_xattr.c: extended attributes of tmpfs files, kept in memory
 * with the node (vnode lock held by the VFS, see vfs/vnode.h).
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/libkern.h>
#include <vfs/vnode.h>
#include <vfs/mount.h>

#include "tmpfs.h"

static size_t
xattr_size(size_t namelen, size_t vallen)
{
	return sizeof(struct tmpfs_xattr) + namelen + 1 + vallen;
}

/* The attribute called name, and the link that points at it (where a
 * new one goes when absent: the list is sorted). */
static struct tmpfs_xattr *
xattr_find(struct tmpfs_node *tn, const char *name,
    struct tmpfs_xattr ***linkp)
{
	struct tmpfs_xattr **link, *tx;
	int c;

	for (link = &tn->tn_xattrs; (tx = *link) != NULL;
	    link = &tx->tx_next) {
		c = strcmp(tx->tx_data, name);
		if (c == 0)
			break;
		if (c > 0) {
			tx = NULL;
			break;
		}
	}
	if (linkp != NULL)
		*linkp = link;
	return tx;
}

int
tmpfs_getxattr(struct vnode *vp, const char *name, void *buf, size_t *lenp)
{
	struct tmpfs_xattr *tx;

	tx = xattr_find(VP_TO_TMPFS(vp), name, NULL);
	if (tx == NULL)
		return ENODATA;
	if (buf != NULL) {
		if (*lenp < tx->tx_vallen)
			return ERANGE;
		memcpy(buf, tx->tx_data + tx->tx_namelen + 1, tx->tx_vallen);
	}
	*lenp = tx->tx_vallen;
	return 0;
}

int
tmpfs_setxattr(struct vnode *vp, const char *name, const void *val,
    size_t len, int flags)
{
	struct tmpfs_node *tn = VP_TO_TMPFS(vp);
	struct tmpfs_mount *tm = tn->tn_tmp;
	struct tmpfs_xattr **link, *tx, *ntx;
	size_t namelen = strlen(name), bytes;

	tx = xattr_find(tn, name, &link);
	if (tx != NULL && (flags & XATTR_CREATE))
		return EEXIST;
	if (tx == NULL && (flags & XATTR_REPLACE))
		return ENODATA;
	bytes = tn->tn_xattrbytes + namelen + len;
	if (tx != NULL)
		bytes -= tx->tx_namelen + tx->tx_vallen;
	if (bytes > TMPFS_XATTR_MAX)
		return ENOSPC;
	ntx = tmpfs_mem_alloc(tm, xattr_size(namelen, len));
	if (ntx == NULL)
		return ENOSPC;
	ntx->tx_namelen = namelen;
	ntx->tx_vallen = len;
	memcpy(ntx->tx_data, name, namelen + 1);
	if (len > 0)
		memcpy(ntx->tx_data + namelen + 1, val, len);
	if (tx != NULL) {
		ntx->tx_next = tx->tx_next;
		tmpfs_mem_free(tm, tx, xattr_size(tx->tx_namelen,
		    tx->tx_vallen));
	} else {
		ntx->tx_next = *link;
	}
	*link = ntx;
	tn->tn_xattrbytes = bytes;
	tmpfs_node_touch(tn, TMPFS_UPD_CTIME);
	return 0;
}

int
tmpfs_listxattr(struct vnode *vp, char *buf, size_t *lenp)
{
	struct tmpfs_xattr *tx;
	size_t off = 0;

	for (tx = VP_TO_TMPFS(vp)->tn_xattrs; tx != NULL; tx = tx->tx_next) {
		if (buf != NULL) {
			if (*lenp - off < tx->tx_namelen + 1)
				return ERANGE;
			memcpy(buf + off, tx->tx_data, tx->tx_namelen + 1);
		}
		off += tx->tx_namelen + 1;
	}
	*lenp = off;
	return 0;
}

int
tmpfs_removexattr(struct vnode *vp, const char *name)
{
	struct tmpfs_node *tn = VP_TO_TMPFS(vp);
	struct tmpfs_xattr **link, *tx;

	tx = xattr_find(tn, name, &link);
	if (tx == NULL)
		return ENODATA;
	*link = tx->tx_next;
	tn->tn_xattrbytes -= tx->tx_namelen + tx->tx_vallen;
	tmpfs_mem_free(tn->tn_tmp, tx, xattr_size(tx->tx_namelen,
	    tx->tx_vallen));
	tmpfs_node_touch(tn, TMPFS_UPD_CTIME);
	return 0;
}

void
tmpfs_xattr_destroy(struct tmpfs_node *tn)
{
	struct tmpfs_xattr *tx;

	while ((tx = tn->tn_xattrs) != NULL) {
		tn->tn_xattrs = tx->tx_next;
		tmpfs_mem_free(tn->tn_tmp, tx, xattr_size(tx->tx_namelen,
		    tx->tx_vallen));
	}
	tn->tn_xattrbytes = 0;
}
