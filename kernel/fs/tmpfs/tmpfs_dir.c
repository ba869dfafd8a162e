/*
 * tmpfs_dir.c: directory entries.
 *
 * Each directory keeps its entries twice: in a list ordered by readdir
 * cookie, and in a hash table by name that grows with the directory so
 * that lookups stay O(1) with tens of thousands of entries.
 *
 * Readdir offsets are cookies: "." is 0, ".." is 1 and every entry gets
 * the next value of a per-directory counter (from 2) when it is inserted.
 * Reading from offset off continues at the first entry whose cookie is
 * >= off, so creating or removing other entries between two reads never
 * makes an entry appear twice or be skipped.
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/libkern.h>
#include <vfs/vnode.h>
#include <vfs/mount.h>

#include "tmpfs.h"

#define TMPFS_HASH_MIN		16	/* buckets of a new table */
#define TMPFS_FIRST_COOKIE	2	/* after "." and ".." */

static uint32_t
tmpfs_name_hash(const char *name, size_t len)
{
	uint32_t h = 2166136261u;	/* FNV-1a */
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (uint8_t)name[i];
		h *= 16777619u;
	}
	return h;
}

void
tmpfs_dir_init(struct tmpfs_node *dn, struct tmpfs_node *parent)
{
	struct tmpfs_dir *d = &dn->tn_dir;

	memset(d, 0, sizeof(*d));
	d->td_parent = parent;
	d->td_nextcookie = TMPFS_FIRST_COOKIE;
	/* Linux tmpfs: an empty directory has the size of two entries. */
	dn->tn_size = 2 * TMPFS_DIRENT_SIZE;
}

/*
 * Rebuilds the hash table with nbuckets buckets from the entry list (the
 * list is complete even when an earlier table could not be allocated).
 * Failing to allocate is harmless: the old table, or list scans, remain.
 */
static void
tmpfs_dir_rehash(struct tmpfs_node *dn, uint32_t nbuckets)
{
	struct tmpfs_mount *tm = dn->tn_tmp;
	struct tmpfs_dir *d = &dn->tn_dir;
	struct tmpfs_dirent **tab, *de;
	uint32_t b;

	tab = tmpfs_mem_zalloc(tm, nbuckets * sizeof(*tab));
	if (tab == NULL)
		return;
	for (de = d->td_first; de != NULL; de = de->td_next) {
		b = de->td_hash & (nbuckets - 1);
		de->td_hnext = tab[b];
		tab[b] = de;
	}
	if (d->td_hashtab != NULL)
		tmpfs_mem_free(tm, d->td_hashtab,
		    d->td_hashsize * sizeof(*d->td_hashtab));
	d->td_hashtab = tab;
	d->td_hashsize = nbuckets;
}

struct tmpfs_dirent *
tmpfs_dir_lookup(struct tmpfs_node *dn, const char *name, size_t namelen)
{
	struct tmpfs_dir *d = &dn->tn_dir;
	struct tmpfs_dirent *de;
	uint32_t h;

	KASSERT(dn->tn_type == VDIR);
	if (namelen > NAME_MAX)
		return NULL;
	h = tmpfs_name_hash(name, namelen);
	if (d->td_hashtab != NULL) {
		de = d->td_hashtab[h & (d->td_hashsize - 1)];
		for (; de != NULL; de = de->td_hnext) {
			if (de->td_hash == h && de->td_namelen == namelen &&
			    memcmp(de->td_name, name, namelen) == 0)
				return de;
		}
		return NULL;
	}
	/* No table (never allocated): the list is the truth. */
	for (de = d->td_first; de != NULL; de = de->td_next) {
		if (de->td_hash == h && de->td_namelen == namelen &&
		    memcmp(de->td_name, name, namelen) == 0)
			return de;
	}
	return NULL;
}

int
tmpfs_dirent_alloc(struct tmpfs_mount *tm, const char *name, size_t namelen,
    struct tmpfs_dirent **dep)
{
	struct tmpfs_dirent *de;

	if (namelen == 0)
		return ENOENT;
	if (namelen > NAME_MAX)
		return ENAMETOOLONG;
	de = tmpfs_mem_alloc(tm, sizeof(*de) + namelen + 1);
	if (de == NULL)
		return ENOSPC;
	memset(de, 0, sizeof(*de));
	memcpy(de->td_name, name, namelen);
	de->td_name[namelen] = '\0';
	de->td_namelen = (uint16_t)namelen;
	de->td_hash = tmpfs_name_hash(name, namelen);
	*dep = de;
	return 0;
}

void
tmpfs_dirent_free(struct tmpfs_mount *tm, struct tmpfs_dirent *de)
{
	tmpfs_mem_free(tm, de, sizeof(*de) + de->td_namelen + 1);
}

void
tmpfs_dir_attach(struct tmpfs_node *dn, struct tmpfs_dirent *de,
    struct tmpfs_node *tn)
{
	struct tmpfs_dir *d = &dn->tn_dir;
	uint32_t b;

	KASSERT(dn->tn_type == VDIR);
	de->td_node = tn;
	de->td_cookie = d->td_nextcookie++;
	de->td_next = NULL;
	de->td_prev = d->td_last;
	if (d->td_last != NULL)
		d->td_last->td_next = de;
	else
		d->td_first = de;
	d->td_last = de;
	d->td_nentries++;
	dn->tn_size += TMPFS_DIRENT_SIZE;

	/* A cursor parked at the end now has this entry after it. */
	if (d->td_rdvalid && d->td_rdent == NULL &&
	    de->td_cookie >= d->td_rdoff)
		d->td_rdent = de;

	if (d->td_hashtab != NULL) {
		b = de->td_hash & (d->td_hashsize - 1);
		de->td_hnext = d->td_hashtab[b];
		d->td_hashtab[b] = de;
	}
	/* Grow at an average chain length of 1: each entry a chain passes
	 * is a cache miss in a big directory, and a bucket costs a pointer
	 * (the new entry is already on the list, which is what a rehash
	 * reads). */
	if (d->td_hashtab == NULL)
		tmpfs_dir_rehash(dn, TMPFS_HASH_MIN);
	else if (d->td_nentries > (uint64_t)d->td_hashsize &&
	    d->td_hashsize < (1u << 30))
		tmpfs_dir_rehash(dn, d->td_hashsize * 2);
}

void
tmpfs_dir_detach(struct tmpfs_node *dn, struct tmpfs_dirent *de)
{
	struct tmpfs_dir *d = &dn->tn_dir;
	struct tmpfs_dirent **pp;

	KASSERT(dn->tn_type == VDIR);
	KASSERT(d->td_nentries > 0);

	/* The first entry at or after the cursor is now the next one. */
	if (d->td_rdvalid && d->td_rdent == de)
		d->td_rdent = de->td_next;

	if (d->td_hashtab != NULL) {
		pp = &d->td_hashtab[de->td_hash & (d->td_hashsize - 1)];
		while (*pp != de) {
			KASSERT(*pp != NULL);
			pp = &(*pp)->td_hnext;
		}
		*pp = de->td_hnext;
	}
	if (de->td_prev != NULL)
		de->td_prev->td_next = de->td_next;
	else
		d->td_first = de->td_next;
	if (de->td_next != NULL)
		de->td_next->td_prev = de->td_prev;
	else
		d->td_last = de->td_prev;
	de->td_next = de->td_prev = de->td_hnext = NULL;
	d->td_nentries--;
	dn->tn_size -= TMPFS_DIRENT_SIZE;

	/* Give memory back once a big directory has mostly emptied. */
	if (d->td_hashtab != NULL && d->td_hashsize > TMPFS_HASH_MIN &&
	    d->td_nentries < d->td_hashsize / 8)
		tmpfs_dir_rehash(dn, d->td_hashsize / 4);
}

void
tmpfs_dir_destroy(struct tmpfs_node *dn)
{
	struct tmpfs_mount *tm = dn->tn_tmp;
	struct tmpfs_dir *d = &dn->tn_dir;
	struct tmpfs_dirent *de, *next;

	/* Only at unmount can entries remain; their nodes are freed from
	 * the mount's node list, not through here. */
	for (de = d->td_first; de != NULL; de = next) {
		next = de->td_next;
		tmpfs_dirent_free(tm, de);
	}
	if (d->td_hashtab != NULL)
		tmpfs_mem_free(tm, d->td_hashtab,
		    d->td_hashsize * sizeof(*d->td_hashtab));
	memset(d, 0, sizeof(*d));
}

static int
tmpfs_dtype(enum vtype type)
{
	switch (type) {
	case VREG:	return DT_REG;
	case VDIR:	return DT_DIR;
	case VLNK:	return DT_LNK;
	case VCHR:	return DT_CHR;
	case VBLK:	return DT_BLK;
	case VFIFO:	return DT_FIFO;
	case VSOCK:	return DT_SOCK;
	default:	return DT_UNKNOWN;
	}
}

int
tmpfs_dir_readdir(struct tmpfs_node *dn, off_t off, filldir_fn fill,
    void *ctx)
{
	struct tmpfs_dir *d = &dn->tn_dir;
	struct tmpfs_dirent *de;
	struct tmpfs_node *parent;
	uint64_t pos;

	if (off < 0)
		return EINVAL;
	/* Like Linux, a removed directory lists nothing, not even "."
	 * and "..". */
	if (dn->tn_nlink == 0)
		return ENOENT;
	pos = (uint64_t)off;
	if (pos == 0) {
		if (fill(ctx, ".", 1, dn->tn_ino, DT_DIR, 1) != 0)
			return 0;
		pos = 1;
	}
	if (pos == 1) {
		parent = d->td_parent;
		if (fill(ctx, "..", 2, parent->tn_ino, DT_DIR, 2) != 0)
			return 0;
		pos = 2;
	}

	/* Start at the cursor when it is at or before pos (the common
	 * sequential case lands exactly on it), else at the head. */
	if (d->td_rdvalid && d->td_rdoff <= pos)
		de = d->td_rdent;
	else
		de = d->td_first;
	while (de != NULL && de->td_cookie < pos)
		de = de->td_next;
	for (; de != NULL; de = de->td_next) {
		if (fill(ctx, de->td_name, de->td_namelen,
		    de->td_node->tn_ino, tmpfs_dtype(de->td_node->tn_type),
		    (off_t)(de->td_cookie + 1)) != 0)
			break;
		pos = de->td_cookie + 1;
	}
	/* Remember where this read stopped: the next one starts there. */
	d->td_rdvalid = true;
	d->td_rdoff = pos;
	d->td_rdent = de;
	return 0;
}
