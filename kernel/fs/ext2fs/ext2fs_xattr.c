/*
 * ext2fs_xattr.c: extended attributes, in the ext2/ext4 on-disk format.
 *
 * An inode's attributes live in up to two places:
 *  - an attribute block named by i_file_acl: a 32-byte header (magic
 *    0xEA020000, h_refcount inodes share the block, h_blocks = 1, h_hash
 *    over the entries' hashes), then the entry table from byte 32, ended
 *    by four zero bytes, and the values at the end of the block, each
 *    padded to 4 bytes; e_value_offs counts from the block's start;
 *  - with inodes larger than 128 bytes, the space after i_extra_isize
 *    ("in-inode"): the same magic, then entries whose e_value_offs count
 *    from the first entry (ext4 and debugfs put small attributes there).
 * Entry: e_name_len (1), e_name_index (1: "user.", 4: "trusted.", others
 * for namespaces strata does not serve), e_value_offs (2), e_value_inum
 * (4, must be 0: values in inodes are an ext4 feature we do not read),
 * e_value_size (4), e_hash (4), the name without its prefix, padded to 4
 * bytes.
 *
 * Both places are read and written, as Linux's ext4 does: an attribute
 * set anew goes into the inode when the in-inode area (after
 * i_extra_isize, which must be at least 4) has room for it beside the
 * attributes already there, else into the block; attributes stay where
 * they are otherwise.  The in-inode area is rewritten whole when one of
 * its attributes changes (entries from its start, values packed at its
 * end, each entry's e_hash set, four zero bytes after the last entry;
 * no magic when it holds none).  The block is rewritten only when one
 * of its attributes changes: all of them, entries sorted by (index,
 * name length, name), in a block of its own (a new one when the old one
 * is shared with other inodes).  An inode without attributes in a block
 * has no block.  Attributes of namespaces we do not serve are kept as
 * they are.  Everything read from the image is bounds-checked (EIO
 * otherwise).
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/kmem.h>
#include <kern/libkern.h>
#include <vfs/vnode.h>
#include <vfs/mount.h>
#include <vfs/buf.h>

#include "ext2fs.h"

#define XA_HDR_SIZE		32	/* block header */
#define XA_IHDR_SIZE		4	/* in-inode header: the magic */
#define XA_ENTRY_HDR		16
#define XA_ENTRY_LEN(nl)	((XA_ENTRY_HDR + (nl) + 3) & ~3u)
#define XA_VALUE_LEN(vl)	(((vl) + 3) & ~3u)
#define XA_INDEX_USER		1
#define XA_INDEX_TRUSTED	4
#define XA_NAME_HASH_SHIFT	5
#define XA_VALUE_HASH_SHIFT	16
#define XA_BLOCK_HASH_SHIFT	16

/* Header byte offsets. */
#define XH_MAGIC	0
#define XH_REFCOUNT	4
#define XH_BLOCKS	8
#define XH_HASH		12
/* Entry byte offsets. */
#define XE_NAME_LEN	0
#define XE_NAME_INDEX	1
#define XE_VALUE_OFFS	2
#define XE_VALUE_INUM	4
#define XE_VALUE_SIZE	8
#define XE_HASH		12
#define XE_NAME		16

/* One attribute as read from an area; pointers into that area. */
struct xa_ent {
	bool		 ininode;	/* read from the inode, not the block */
	uint8_t		 index;
	uint8_t		 namelen;
	const char	*name;
	uint32_t	 vallen;
	const uint8_t	*val;
};

static const struct {
	uint8_t		 index;
	const char	*prefix;
} xa_prefixes[] = {
	{ XA_INDEX_USER, "user." },
	{ XA_INDEX_TRUSTED, "trusted." },
};

/* The index and suffix of a full name the VFS passed; false for a
 * namespace we do not serve. */
static bool
xa_split(const char *name, uint8_t *indexp, const char **suffixp)
{
	size_t i, n;

	for (i = 0; i < __arraycount(xa_prefixes); i++) {
		n = strlen(xa_prefixes[i].prefix);
		if (strncmp(name, xa_prefixes[i].prefix, n) == 0) {
			*indexp = xa_prefixes[i].index;
			*suffixp = name + n;
			return true;
		}
	}
	return false;
}

static const char *
xa_prefix(uint8_t index)
{
	size_t i;

	for (i = 0; i < __arraycount(xa_prefixes); i++)
		if (xa_prefixes[i].index == index)
			return xa_prefixes[i].prefix;
	return NULL;
}

/*
 * Calls fn for each entry of the table [first, end); values are at
 * valbase + e_value_offs within valsize bytes.  fn returns 0 to go on,
 * -1 to stop, or an errno.  EIO for a damaged table.
 */
typedef int (*xa_walkfn)(void *ctx, const struct xa_ent *e);

static int
xa_walk(struct ext2_node *n, const char *where, const uint8_t *first,
    const uint8_t *end, const uint8_t *valbase, size_t valsize,
    xa_walkfn fn, void *ctx)
{
	struct ext2_mount *em = n->n_mnt;
	const uint8_t *p = first;
	struct xa_ent e;
	uint32_t offs;
	int r;

	e.ininode = where[0] == 'i';
	for (;;) {
		if (end - p < 4)
			goto bad;
		if (le32get(p, 0) == 0)
			return 0;		/* the end of the table */
		if (end - p < XA_ENTRY_HDR)
			goto bad;
		e.namelen = p[XE_NAME_LEN];
		e.index = p[XE_NAME_INDEX];
		if ((size_t)(end - p) < XA_ENTRY_LEN(e.namelen))
			goto bad;
		e.name = (const char *)p + XE_NAME;
		e.vallen = le32get(p, XE_VALUE_SIZE);
		offs = le16get(p, XE_VALUE_OFFS);
		if (le32get(p, XE_VALUE_INUM) != 0) {
			ext2_error(em, "inode %u: %s attribute value in an "
			    "inode (ea_inode) not supported", n->n_ino, where);
			return EIO;
		}
		if (e.vallen > valsize || offs > valsize - e.vallen)
			goto bad;
		e.val = valbase + offs;
		r = fn(ctx, &e);
		if (r != 0)
			return r < 0 ? 0 : r;
		p += XA_ENTRY_LEN(e.namelen);
	}
bad:
	ext2_error(em, "inode %u: damaged %s attribute table", n->n_ino,
	    where);
	return EIO;
}

/* Walks the in-inode entries, then those of the block. */
static int
xa_walkall(struct ext2_node *n, xa_walkfn fn, void *ctx)
{
	struct ext2_mount *em = n->n_mnt;
	const uint8_t *raw = n->n_raw, *first, *end, *b;
	struct buf *bp;
	uint32_t extra;
	int error;

	if (em->em_inode_size > EXT2_GOOD_OLD_INODE_SIZE) {
		extra = le16get(raw, DI_EXTRA_ISIZE);
		if (extra % 4 == 0 && EXT2_GOOD_OLD_INODE_SIZE + extra +
		    XA_IHDR_SIZE <= em->em_inode_size &&
		    le32get(raw, EXT2_GOOD_OLD_INODE_SIZE + extra) ==
		    EXT2_XATTR_MAGIC) {
			first = raw + EXT2_GOOD_OLD_INODE_SIZE + extra +
			    XA_IHDR_SIZE;
			end = raw + em->em_inode_size;
			error = xa_walk(n, "in-inode", first, end, first,
			    (size_t)(end - first), fn, ctx);
			if (error != 0)
				return error;
		}
	}
	if (n->n_file_acl == 0)
		return 0;
	if (!ext2_blkno_ok(em, n->n_file_acl)) {
		ext2_error(em, "inode %u: attribute block %llu out of range",
		    n->n_ino, (unsigned long long)n->n_file_acl);
		return EIO;
	}
	error = bread(em->em_dev, n->n_file_acl, em->em_bsize, &bp);
	if (error != 0)
		return error;
	b = bp->b_data;
	if (le32get(b, XH_MAGIC) != EXT2_XATTR_MAGIC ||
	    le32get(b, XH_BLOCKS) != 1) {
		ext2_error(em, "inode %u: bad attribute block %llu", n->n_ino,
		    (unsigned long long)n->n_file_acl);
		brelse(bp);
		return EIO;
	}
	error = ext2_csum_xattrblock(em, n->n_file_acl, b);
	if (error != 0) {
		brelse(bp);
		return error;
	}
	error = xa_walk(n, "block", b + XA_HDR_SIZE, b + em->em_bsize, b,
	    em->em_bsize, fn, ctx);
	brelse(bp);
	return error;
}

/* --- Reading --------------------------------------------------------- */

struct xa_getctx {
	uint8_t		 index;
	const char	*suffix;
	size_t		 suffixlen;
	void		*buf;
	size_t		 room, len;
	bool		 found;
};

static int
xa_get_one(void *ctx, const struct xa_ent *e)
{
	struct xa_getctx *g = ctx;

	if (e->index != g->index || e->namelen != g->suffixlen ||
	    memcmp(e->name, g->suffix, g->suffixlen) != 0)
		return 0;
	g->found = true;
	g->len = e->vallen;
	if (g->buf != NULL) {
		if (g->room < e->vallen)
			return ERANGE;
		memcpy(g->buf, e->val, e->vallen);
	}
	return -1;
}

int
ext2_getxattr(struct vnode *vp, const char *name, void *buf, size_t *lenp)
{
	struct xa_getctx g;
	int error;

	memset(&g, 0, sizeof(g));
	if (!xa_split(name, &g.index, &g.suffix))
		return EOPNOTSUPP;
	g.suffixlen = strlen(g.suffix);
	g.buf = buf;
	g.room = *lenp;
	error = xa_walkall(VTOE(vp), xa_get_one, &g);
	if (error != 0)
		return error;
	if (!g.found)
		return ENODATA;
	*lenp = g.len;
	return 0;
}

struct xa_listctx {
	char	*buf;
	size_t	 room, off;
};

static int
xa_list_one(void *ctx, const struct xa_ent *e)
{
	struct xa_listctx *l = ctx;
	const char *prefix = xa_prefix(e->index);
	size_t plen, need;

	if (prefix == NULL || e->namelen == 0)
		return 0;
	plen = strlen(prefix);
	need = plen + e->namelen + 1;
	if (l->buf != NULL) {
		if (l->room - l->off < need)
			return ERANGE;
		memcpy(l->buf + l->off, prefix, plen);
		memcpy(l->buf + l->off + plen, e->name, e->namelen);
		l->buf[l->off + need - 1] = '\0';
	}
	l->off += need;
	return 0;
}

int
ext2_listxattr(struct vnode *vp, char *buf, size_t *lenp)
{
	struct xa_listctx l = { .buf = buf, .room = *lenp, .off = 0 };
	int error;

	error = xa_walkall(VTOE(vp), xa_list_one, &l);
	if (error == 0)
		*lenp = l.off;
	return error;
}

/* --- Writing --------------------------------------------------------- */

/* Every attribute of an inode, copied out of the image for a rewrite. */
struct xa_rec {
	bool		 ininode;	/* lives in (goes to) the inode */
	uint8_t		 index;
	uint8_t		 namelen;
	uint32_t	 vallen;
	uint32_t	 off;		/* name then value in xa_set.data */
};

struct xa_set {
	struct xa_rec	*recs;
	size_t		 nrecs, maxrecs;
	uint8_t		*data;
	size_t		 used, size;
};

static int
xa_collect_one(void *ctx, const struct xa_ent *e)
{
	struct xa_set *s = ctx;
	struct xa_rec *r;

	if (s->nrecs == s->maxrecs ||
	    s->size - s->used < (size_t)e->namelen + e->vallen)
		return EIO;		/* cannot happen: sized for both areas */
	r = &s->recs[s->nrecs++];
	r->ininode = e->ininode;
	r->index = e->index;
	r->namelen = e->namelen;
	r->vallen = e->vallen;
	r->off = (uint32_t)s->used;
	memcpy(s->data + s->used, e->name, e->namelen);
	memcpy(s->data + s->used + e->namelen, e->val, e->vallen);
	s->used += (size_t)e->namelen + e->vallen;
	return 0;
}

static int
xa_reccmp(const struct xa_set *s, const struct xa_rec *a,
    const struct xa_rec *b)
{
	if (a->index != b->index)
		return a->index < b->index ? -1 : 1;
	if (a->namelen != b->namelen)
		return a->namelen < b->namelen ? -1 : 1;
	return memcmp(s->data + a->off, s->data + b->off, a->namelen);
}

static uint32_t
xa_entry_hash(const uint8_t *entry, const uint8_t *val, uint32_t vallen)
{
	uint32_t hash = 0, n;
	uint8_t nl = entry[XE_NAME_LEN];
	const uint8_t *name = entry + XE_NAME;

	while (nl-- > 0)
		hash = (hash << XA_NAME_HASH_SHIFT) ^
		    (hash >> (32 - XA_NAME_HASH_SHIFT)) ^ *name++;
	for (n = 0; n < XA_VALUE_LEN(vallen) / 4; n++)
		hash = (hash << XA_VALUE_HASH_SHIFT) ^
		    (hash >> (32 - XA_VALUE_HASH_SHIFT)) ^ le32get(val, 4 * n);
	return hash;
}

/* Marks the file system as having extended attributes (ext_attr). */
static void
xa_set_feature(struct ext2_mount *em)
{

	mutex_enter(&em->em_lock);
	if ((em->em_compat & COMPAT_EXT_ATTR) == 0) {
		em->em_compat |= COMPAT_EXT_ATTR;
		le32put(em->em_sb, SB_FEATURE_COMPAT, em->em_compat);
		__atomic_store_n(&em->em_sbdirty, true, __ATOMIC_RELAXED);
	}
	mutex_exit(&em->em_lock);
}

/*
 * The in-inode area of n that strata may write: its offset in n_raw
 * (the magic) and the bytes after the magic; false when there is none
 * (128-byte inodes, i_extra_isize below 4 or not a multiple of 4).
 */
static bool
xa_iarea(const struct ext2_node *n, uint32_t *offp, uint32_t *sizep)
{
	struct ext2_mount *em = n->n_mnt;
	uint32_t extra;

	if (em->em_inode_size <= EXT2_GOOD_OLD_INODE_SIZE)
		return false;
	extra = le16get(n->n_raw, DI_EXTRA_ISIZE);
	if (extra < 4 || extra % 4 != 0 || EXT2_GOOD_OLD_INODE_SIZE + extra +
	    XA_IHDR_SIZE + 4 > em->em_inode_size)
		return false;
	*offp = EXT2_GOOD_OLD_INODE_SIZE + extra;
	*sizep = em->em_inode_size - *offp - XA_IHDR_SIZE;
	return true;
}

/* Bytes the records of s in the inode (ininode) or in the block need,
 * entries and values, without headers and the end mark. */
static size_t
xa_need(const struct xa_set *s, bool ininode)
{
	size_t i, need = 0;

	for (i = 0; i < s->nrecs; i++)
		if (s->recs[i].ininode == ininode)
			need += XA_ENTRY_LEN(s->recs[i].namelen) +
			    XA_VALUE_LEN(s->recs[i].vallen);
	return need;
}

/*
 * Lays out the records of s that go in one place (ininode) from e
 * (entries) and base + vend down (values, offsets from base); returns
 * the hash of the entries for a block header.
 */
static uint32_t
xa_layout(const struct xa_set *s, bool ininode, uint8_t *e, uint8_t *base,
    uint32_t vend)
{
	uint32_t hash = 0;
	size_t i;

	for (i = 0; i < s->nrecs; i++) {
		const struct xa_rec *r = &s->recs[i];

		if (r->ininode != ininode)
			continue;
		e[XE_NAME_LEN] = r->namelen;
		e[XE_NAME_INDEX] = r->index;
		memcpy(e + XE_NAME, s->data + r->off, r->namelen);
		if (r->vallen > 0) {
			vend -= XA_VALUE_LEN(r->vallen);
			memcpy(base + vend, s->data + r->off + r->namelen,
			    r->vallen);
			le16put(e, XE_VALUE_OFFS, (uint16_t)vend);
		}
		le32put(e, XE_VALUE_SIZE, r->vallen);
		le32put(e, XE_HASH, xa_entry_hash(e, base + vend, r->vallen));
		hash = (hash << XA_BLOCK_HASH_SHIFT) ^
		    (hash >> (32 - XA_BLOCK_HASH_SHIFT)) ^ le32get(e, XE_HASH);
		e += XA_ENTRY_LEN(r->namelen);
	}
	return hash;
}

/*
 * Writes the attributes of s (sorted here): those marked ininode into
 * the in-inode area (rewritten whole), the others as n's attribute
 * block when blockdirty (else the block is left as it is).
 */
static int
xa_store(struct ext2_node *n, struct xa_set *s, bool blockdirty)
{
	struct ext2_mount *em = n->n_mnt;
	struct xa_rec tmp;
	struct buf *bp;
	uint8_t *b, *raw = n->n_raw;
	uint32_t ioff, isize;
	size_t i, j, nblock = 0;
	uint64_t bn = 0;
	bool inplace = false, iarea;
	int error;

	/* Insertion sort: a block holds at most a few hundred entries. */
	for (i = 1; i < s->nrecs; i++) {
		tmp = s->recs[i];
		for (j = i; j > 0 && xa_reccmp(s, &s->recs[j - 1], &tmp) > 0;
		    j--)
			s->recs[j] = s->recs[j - 1];
		s->recs[j] = tmp;
	}
	iarea = xa_iarea(n, &ioff, &isize);
	if (!iarea) {
		/* Nowhere in the inode: everything to the block. */
		for (i = 0; i < s->nrecs; i++) {
			if (s->recs[i].ininode)
				blockdirty = true;
			s->recs[i].ininode = false;
		}
	} else if (xa_need(s, true) + 4 > isize) {
		return ENOSPC;		/* the caller placed them: cannot be */
	}
	for (i = 0; i < s->nrecs; i++)
		if (!s->recs[i].ininode)
			nblock++;
	if (blockdirty && XA_HDR_SIZE + xa_need(s, false) + 4 > em->em_bsize)
		return ENOSPC;

	/* The block: reuse it if it is ours alone, else take a new one. */
	if (blockdirty && nblock > 0 && n->n_file_acl != 0 &&
	    ext2_blkno_ok(em, n->n_file_acl)) {
		error = bread(em->em_dev, n->n_file_acl, em->em_bsize, &bp);
		if (error != 0)
			return error;
		if (le32get(bp->b_data, XH_MAGIC) == EXT2_XATTR_MAGIC &&
		    le32get(bp->b_data, XH_REFCOUNT) == 1)
			inplace = true;
		else
			brelse(bp);
	}
	if (blockdirty && !inplace) {
		if (nblock > 0) {
			error = ext2_blkalloc(em, n->n_goal, &bn);
			if (error != 0)
				return error;
			error = bget(em->em_dev, bn, em->em_bsize, &bp);
			if (error != 0) {
				(void)ext2_blkfree(em, bn);
				return error;
			}
		}
		/* Drop the old block (or our share of it). */
		error = ext2_xattr_release(n);
		if (error != 0) {
			if (nblock > 0) {
				brelse(bp);
				(void)ext2_blkfree(em, bn);
			}
			return error;
		}
		if (nblock > 0) {
			n->n_file_acl = bn;
			n->n_blocks += em->em_bsize / 512;
		}
	}
	if (blockdirty && nblock > 0) {
		b = bp->b_data;
		memset(b, 0, em->em_bsize);
		le32put(b, XH_MAGIC, EXT2_XATTR_MAGIC);
		le32put(b, XH_REFCOUNT, 1);
		le32put(b, XH_BLOCKS, 1);
		le32put(b, XH_HASH, xa_layout(s, false, b + XA_HDR_SIZE, b,
		    em->em_bsize));
		bdwrite(bp, B_ORD_META);
	}

	/* The in-inode area, whole; without attributes, no magic.  An
	 * area strata cannot write (i_extra_isize below 4) was moved to
	 * the block above and is emptied as the reader finds it. */
	if (iarea) {
		memset(raw + ioff, 0, em->em_inode_size - ioff);
		if (s->nrecs > nblock) {
			le32put(raw, ioff, EXT2_XATTR_MAGIC);
			(void)xa_layout(s, true, raw + ioff + XA_IHDR_SIZE,
			    raw + ioff + XA_IHDR_SIZE, isize);
		}
	} else if (em->em_inode_size > EXT2_GOOD_OLD_INODE_SIZE) {
		uint32_t extra = le16get(raw, DI_EXTRA_ISIZE);

		if (extra % 4 == 0 && EXT2_GOOD_OLD_INODE_SIZE + extra +
		    XA_IHDR_SIZE <= em->em_inode_size &&
		    le32get(raw, EXT2_GOOD_OLD_INODE_SIZE + extra) ==
		    EXT2_XATTR_MAGIC)
			memset(raw + EXT2_GOOD_OLD_INODE_SIZE + extra, 0,
			    em->em_inode_size - EXT2_GOOD_OLD_INODE_SIZE -
			    extra);
	}
	if (s->nrecs > 0)
		xa_set_feature(em);
	ext2_node_touch(n, false, true);
	n->n_dirty = true;
	return 0;
}

/* Sets (val != NULL or len 0 with set) or removes name. */
static int
xa_change(struct vnode *vp, const char *name, const void *val, size_t len,
    int flags, bool remove)
{
	struct ext2_node *n = VTOE(vp);
	struct ext2_mount *em = n->n_mnt;
	struct xa_set s;
	const char *suffix;
	uint8_t index;
	size_t i, slen, recsz;
	struct xa_rec *r = NULL;
	uint32_t ioff, isize;
	bool blockdirty = false, ininode;
	int error;

	if (em->em_ronly)
		return EROFS;
	if (!xa_split(name, &index, &suffix))
		return EOPNOTSUPP;
	slen = strlen(suffix);
	if (slen > 255)
		return ERANGE;
	/* As Linux's ext2: a value larger than a block cannot be. */
	if (len > em->em_bsize)
		return ERANGE;

	/* Room for everything both areas can hold, and one more. */
	memset(&s, 0, sizeof(s));
	s.maxrecs = (em->em_bsize + em->em_inode_size) / XA_ENTRY_HDR + 1;
	s.size = em->em_bsize + em->em_inode_size + slen + len;
	recsz = s.maxrecs * sizeof(*s.recs);
	s.recs = kmem_alloc(recsz, KM_SLEEP);
	s.data = kmem_alloc(s.size, KM_SLEEP);
	if (s.recs == NULL || s.data == NULL) {
		error = ENOMEM;
		goto out;
	}
	error = xa_walkall(n, xa_collect_one, &s);
	if (error != 0)
		goto out;
	for (i = 0; i < s.nrecs; i++) {
		if (s.recs[i].index == index && s.recs[i].namelen == slen &&
		    memcmp(s.data + s.recs[i].off, suffix, slen) == 0) {
			r = &s.recs[i];
			break;
		}
	}
	if (remove || (flags & XATTR_REPLACE)) {
		if (r == NULL) {
			error = ENODATA;
			goto out;
		}
	} else if (r != NULL && (flags & XATTR_CREATE)) {
		error = EEXIST;
		goto out;
	}
	if (r != NULL) {		/* drop the old one */
		if (!r->ininode)
			blockdirty = true;
		s.recs[i] = s.recs[--s.nrecs];
	}
	if (!remove) {
		/* Into the inode if it has room beside what is there. */
		ininode = xa_iarea(n, &ioff, &isize) && xa_need(&s, true) +
		    XA_ENTRY_LEN(slen) + XA_VALUE_LEN(len) + 4 <= isize;
		if (!ininode)
			blockdirty = true;
		r = &s.recs[s.nrecs++];
		r->ininode = ininode;
		r->index = index;
		r->namelen = (uint8_t)slen;
		r->vallen = (uint32_t)len;
		r->off = (uint32_t)s.used;
		memcpy(s.data + s.used, suffix, slen);
		if (len > 0)
			memcpy(s.data + s.used + slen, val, len);
		s.used += slen + len;
	}
	error = xa_store(n, &s, blockdirty);
out:
	if (s.recs != NULL)
		kmem_free(s.recs, recsz);
	if (s.data != NULL)
		kmem_free(s.data, s.size);
	return error;
}

int
ext2_setxattr(struct vnode *vp, const char *name, const void *val,
    size_t len, int flags)
{

	return xa_change(vp, name, val, len, flags, false);
}

int
ext2_removexattr(struct vnode *vp, const char *name)
{

	return xa_change(vp, name, NULL, 0, 0, true);
}

/* Drops the inode's reference to its extended attribute block. */
int
ext2_xattr_release(struct ext2_node *n)
{
	struct ext2_mount *em = n->n_mnt;
	struct buf *bp;
	uint32_t refs;
	int error;

	if (n->n_file_acl == 0)
		return 0;
	if (!ext2_blkno_ok(em, n->n_file_acl)) {
		n->n_file_acl = 0;
		return 0;
	}
	error = bread(em->em_dev, n->n_file_acl, em->em_bsize, &bp);
	if (error != 0)
		return error;
	refs = le32get(bp->b_data, 4);
	if (le32get(bp->b_data, 0) == EXT2_XATTR_MAGIC && refs > 1) {
		le32put(bp->b_data, 4, refs - 1);
		bdwrite(bp, B_ORD_META);
	} else {
		brelse(bp);
		(void)ext2_blkfree(em, n->n_file_acl);
	}
	n->n_blocks -= MIN(n->n_blocks, em->em_bsize / 512);
	n->n_file_acl = 0;
	n->n_dirty = true;
	return 0;
}
