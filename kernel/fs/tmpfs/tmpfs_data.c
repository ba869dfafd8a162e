/*
 * tmpfs_data.c: the contents of regular files.
 *
 * A file's data lives in 4 KiB pages allocated only where something was
 * written, so files are sparse: a missing page reads as zeros.  The first
 * TMPFS_NDIRECT pages hang off the node itself, so that small files need
 * no tree (whose first interior node would be zeroed, allocated and
 * scanned for every file).  The rest are found through a radix tree
 * indexed by page number less TMPFS_NDIRECT, each interior node a
 * page-sized array of 512 pointers; the tree is only as tall as the
 * highest page needs (height 0: the root is a page itself), and six
 * levels cover every offset below 2^63.
 *
 * Invariant: bytes past the end of file in allocated pages are zero, so
 * extending a file (by truncate or by writing beyond the end) needs no
 * zeroing.  Pages wholly past the end of file exist only when
 * fallocate(FALLOC_FL_KEEP_SIZE) made them (zeroed, as Linux keeps them);
 * truncating frees them.
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/libkern.h>
#include <vfs/vnode.h>
#include <vfs/mount.h>

#include "tmpfs.h"

#define RADIX_SHIFT	9
#define RADIX_FANOUT	(1u << RADIX_SHIFT)
#define RADIX_MASK	((uint64_t)RADIX_FANOUT - 1)
#define RADIX_MAXHEIGHT	6

struct tmpfs_radix {
	void	*slot[RADIX_FANOUT];
};

/* True when page idx is within a tree of the given height. */
static bool
radix_fits(uint64_t idx, int height)
{
	return (idx >> (RADIX_SHIFT * height)) == 0;
}

static char *
tmpfs_page_lookup(const struct tmpfs_reg *r, uint64_t idx)
{
	void *p;
	int lvl;

	if (idx < TMPFS_NDIRECT)
		return r->tr_direct[idx];
	idx -= TMPFS_NDIRECT;
	if (!radix_fits(idx, r->tr_height))
		return NULL;
	p = r->tr_root;
	for (lvl = r->tr_height; lvl > 0 && p != NULL; lvl--)
		p = ((struct tmpfs_radix *)p)->slot[
		    (idx >> (RADIX_SHIFT * (lvl - 1))) & RADIX_MASK];
	return p;
}

/* Finds page idx, allocating it and any missing interior nodes.  A new
 * page is zeroed unless the caller is about to write all of it
 * (nozero), in which case *freshp says it is new.  On failure interior
 * nodes made for it may remain (the caller frees them with
 * tmpfs_data_free_pages()). */
static int
tmpfs_page_get(struct tmpfs_node *tn, uint64_t idx, bool nozero,
    char **pagep, bool *freshp)
{
	struct tmpfs_mount *tm = tn->tn_tmp;
	struct tmpfs_reg *r = &tn->tn_reg;
	struct tmpfs_radix *n;
	void **slotp;
	char *pg;
	int lvl;

	*freshp = false;
	pg = tmpfs_page_lookup(r, idx);
	if (pg != NULL) {
		*pagep = pg;
		return 0;
	}
	/* size= limits the data pages only; the tree is metadata.  The
	 * page is counted first: at the limit, no tree is built for it. */
	if (tmpfs_pool_take(tm, TMPFS_POOL_PAGES) != 0)
		return ENOSPC;
	if (idx < TMPFS_NDIRECT) {
		slotp = &r->tr_direct[idx];
		goto page;
	}
	idx -= TMPFS_NDIRECT;
	if (idx >= r->tr_end)
		r->tr_end = idx + 1;
	while (!radix_fits(idx, r->tr_height)) {
		KASSERT(r->tr_height < RADIX_MAXHEIGHT);
		if (r->tr_root != NULL) {
			n = tmpfs_mem_zalloc(tm, sizeof(*n));
			if (n == NULL)
				goto fail;
			n->slot[0] = r->tr_root;
			r->tr_root = n;
		}
		r->tr_height++;
	}
	slotp = &r->tr_root;
	for (lvl = r->tr_height; lvl > 0; lvl--) {
		if (*slotp == NULL) {
			n = tmpfs_mem_zalloc(tm, sizeof(*n));
			if (n == NULL)
				goto fail;
			*slotp = n;
		}
		n = *slotp;
		slotp = &n->slot[(idx >> (RADIX_SHIFT * (lvl - 1))) &
		    RADIX_MASK];
	}
page:
	KASSERT(*slotp == NULL);
	*slotp = nozero ? tmpfs_mem_alloc(tm, TMPFS_PAGE_SIZE) :
	    tmpfs_mem_zalloc(tm, TMPFS_PAGE_SIZE);
	if (*slotp == NULL)
		goto fail;
	r->tr_npages++;
	*pagep = *slotp;
	*freshp = true;
	return 0;

fail:
	tmpfs_pool_give(tm, TMPFS_POOL_PAGES);
	return ENOSPC;
}

/*
 * Frees the pages with index first..last (relative to the subtree at
 * *slotp of height lvl) and every interior node left empty.  No page of
 * the subtree has an index past lim (>= last), so no slot past it needs
 * a look.
 */
static void
tmpfs_page_free(struct tmpfs_node *tn, void **slotp)
{
	struct tmpfs_mount *tm = tn->tn_tmp;

	tmpfs_mem_free(tm, *slotp, TMPFS_PAGE_SIZE);
	*slotp = NULL;
	tn->tn_reg.tr_npages--;
	tmpfs_pool_give(tm, TMPFS_POOL_PAGES);
}

static void
tmpfs_free_range(struct tmpfs_node *tn, void **slotp, int lvl,
    uint64_t first, uint64_t last, uint64_t lim)
{
	struct tmpfs_mount *tm = tn->tn_tmp;
	struct tmpfs_radix *n = *slotp;
	uint64_t lo, hi, top, i, base, cfirst, clast, clim, span;
	bool left = false;
	int shift;

	if (n == NULL)
		return;
	if (lvl == 0) {
		KASSERT(first == 0);
		tmpfs_page_free(tn, slotp);
		return;
	}
	shift = RADIX_SHIFT * (lvl - 1);
	span = (uint64_t)1 << shift;
	lo = first >> shift;
	hi = last >> shift;
	top = lim >> shift;
	KASSERT(lo <= hi && hi <= top && top <= RADIX_MASK);
	for (i = lo; i <= hi; i++) {
		if (n->slot[i] == NULL)
			continue;
		base = i << shift;
		cfirst = MAX(first, base) - base;
		clast = MIN(last, base + span - 1) - base;
		clim = MIN(lim, base + span - 1) - base;
		tmpfs_free_range(tn, &n->slot[i], lvl - 1, cfirst, clast,
		    clim);
		if (n->slot[i] != NULL)
			left = true;
	}
	if (left)
		return;
	for (i = 0; i < lo; i++)
		if (n->slot[i] != NULL)
			return;
	for (i = hi + 1; i <= top; i++)
		if (n->slot[i] != NULL)
			return;
	tmpfs_mem_free(tm, n, sizeof(*n));
	*slotp = NULL;
}

static void
tmpfs_data_free_pages(struct tmpfs_node *tn, uint64_t first, uint64_t last)
{
	struct tmpfs_reg *r = &tn->tn_reg;
	struct tmpfs_radix *n;
	uint64_t cap_last, lim, top, i;

	KASSERT(first <= last);
	for (i = first; i <= last && i < TMPFS_NDIRECT; i++)
		if (r->tr_direct[i] != NULL)
			tmpfs_page_free(tn, &r->tr_direct[i]);
	if (last < TMPFS_NDIRECT)
		return;
	/* The tree's indices from here. */
	first = first < TMPFS_NDIRECT ? 0 : first - TMPFS_NDIRECT;
	last -= TMPFS_NDIRECT;
	if (first >= r->tr_end || !radix_fits(first, r->tr_height))
		return;
	cap_last = r->tr_height >= 64 / RADIX_SHIFT ? UINT64_MAX :
	    ((uint64_t)1 << (RADIX_SHIFT * r->tr_height)) - 1;
	lim = MIN(r->tr_end - 1, cap_last);
	tmpfs_free_range(tn, &r->tr_root, r->tr_height, first,
	    MIN(last, lim), lim);
	if (last >= r->tr_end - 1)
		r->tr_end = first;

	/* Lower the tree while only its first slot is used. */
	while (r->tr_height > 0 && r->tr_root != NULL) {
		n = r->tr_root;
		KASSERT(r->tr_end > 0);
		top = MIN((r->tr_end - 1) >> (RADIX_SHIFT *
		    (r->tr_height - 1)), RADIX_MASK);
		for (i = 1; i <= top; i++)
			if (n->slot[i] != NULL)
				break;
		if (i <= top)
			break;
		r->tr_root = n->slot[0];
		tmpfs_mem_free(tn->tn_tmp, n, sizeof(*n));
		r->tr_height--;
	}
	if (r->tr_root == NULL) {
		r->tr_height = 0;
		r->tr_end = 0;
	}
}

int
tmpfs_data_read(struct tmpfs_node *tn, struct uio *uio)
{
	uint64_t off, n;
	size_t before;
	char *pg;
	int error = 0;

	KASSERT(tn->tn_type == VREG);
	if (uio->uio_offset < 0)
		return EINVAL;
	while (uio->uio_resid > 0 && (uint64_t)uio->uio_offset < tn->tn_size) {
		off = (uint64_t)uio->uio_offset;
		n = TMPFS_PAGE_SIZE - (off & TMPFS_PAGE_MASK);
		n = MIN(n, uio->uio_resid);
		n = MIN(n, tn->tn_size - off);
		before = uio->uio_resid;
		pg = tmpfs_page_lookup(&tn->tn_reg, off >> TMPFS_PAGE_SHIFT);
		if (pg != NULL)
			error = uiomove(pg + (off & TMPFS_PAGE_MASK), n, uio);
		else
			error = uiomove_zero(n, uio);
		if (error != 0 || uio->uio_resid == before)
			break;
	}
	return error;
}

int
tmpfs_data_write(struct tmpfs_node *tn, struct uio *uio)
{
	uint64_t start, off, n, idx, room;
	size_t before, done, excess = 0;
	bool whole, fresh;
	char *pg;
	int error = 0;

	KASSERT(tn->tn_type == VREG);
	if (uio->uio_offset < 0)
		return EINVAL;
	if (uio->uio_resid == 0)
		return 0;
	start = (uint64_t)uio->uio_offset;
	if (start >= TMPFS_MAXFILESIZE)
		return EFBIG;
	/* Write what fits below the maximum size: a short write. */
	room = TMPFS_MAXFILESIZE - start;
	if (uio->uio_resid > room) {
		excess = uio->uio_resid - room;
		uio->uio_resid = room;
	}

	while (uio->uio_resid > 0) {
		off = (uint64_t)uio->uio_offset;
		idx = off >> TMPFS_PAGE_SHIFT;
		n = TMPFS_PAGE_SIZE - (off & TMPFS_PAGE_MASK);
		n = MIN(n, uio->uio_resid);
		/* A page written whole needs no zeroing first. */
		whole = (off & TMPFS_PAGE_MASK) == 0 && n == TMPFS_PAGE_SIZE;
		error = tmpfs_page_get(tn, idx, whole, &pg, &fresh);
		if (error != 0) {
			/* Drop interior nodes allocated for the page that
			 * could not be had (there is no page at idx). */
			tmpfs_data_free_pages(tn, idx, idx);
			break;
		}
		before = uio->uio_resid;
		error = uiomove(pg + (off & TMPFS_PAGE_MASK), n, uio);
		if (error != 0 && whole && fresh) {
			/* What the copy did not reach is past the end of
			 * file: zero, as everywhere. */
			done = before - uio->uio_resid;
			memset(pg + done, 0, TMPFS_PAGE_SIZE - done);
		}
		if ((uint64_t)uio->uio_offset > tn->tn_size)
			tn->tn_size = (uint64_t)uio->uio_offset;
		if (error != 0 || uio->uio_resid == before)
			break;
	}
	if (error != 0) {
		/* Keep the invariant: no page wholly past end of file. */
		tmpfs_data_free_pages(tn,
		    howmany(tn->tn_size, TMPFS_PAGE_SIZE), UINT64_MAX);
	}
	uio->uio_resid += excess;
	if ((uint64_t)uio->uio_offset > start) {
		tmpfs_node_touch(tn, TMPFS_UPD_MTIME | TMPFS_UPD_CTIME);
		error = 0;
	}
	return error;
}

void
tmpfs_data_truncate(struct tmpfs_node *tn, uint64_t size)
{
	uint64_t tail;
	char *pg;

	KASSERT(tn->tn_type == VREG);
	KASSERT(size <= TMPFS_MAXFILESIZE);
	if (size < tn->tn_size) {
		tmpfs_data_free_pages(tn, howmany(size, TMPFS_PAGE_SIZE),
		    UINT64_MAX);
		tail = size & TMPFS_PAGE_MASK;
		if (tail != 0) {
			pg = tmpfs_page_lookup(&tn->tn_reg,
			    size >> TMPFS_PAGE_SHIFT);
			if (pg != NULL)
				memset(pg + tail, 0, TMPFS_PAGE_SIZE - tail);
		}
	}
	tn->tn_size = size;
}

int
tmpfs_data_fallocate(struct tmpfs_node *tn, int mode, uint64_t off,
    uint64_t len)
{
	struct tmpfs_mount *tm = tn->tn_tmp;
	uint64_t first, last, idx, missing = 0, end = off + len, a, b, max;
	bool fresh;
	char *pg;
	int error;

	KASSERT(tn->tn_type == VREG);
	if (end > TMPFS_MAXFILESIZE)
		return EFBIG;
	if (mode & FALLOC_FL_PUNCH_HOLE) {
		/* Whole pages go; the partial ones at the edges are zeroed
		 * where they exist.  Nothing past the end of file changes. */
		end = MIN(end, tn->tn_size);
		if (off >= end)
			return 0;
		first = howmany(off, TMPFS_PAGE_SIZE);
		last = end >> TMPFS_PAGE_SHIFT;		/* exclusive */
		if (first < last)
			tmpfs_data_free_pages(tn, first, last - 1);
		for (idx = off >> TMPFS_PAGE_SHIFT;
		    idx <= (end - 1) >> TMPFS_PAGE_SHIFT; idx++) {
			if (idx >= first && idx < last)
				continue;
			pg = tmpfs_page_lookup(&tn->tn_reg, idx);
			if (pg == NULL)
				continue;
			a = MAX(off, idx << TMPFS_PAGE_SHIFT);
			b = MIN(end, (idx + 1) << TMPFS_PAGE_SHIFT);
			memset(pg + (a & TMPFS_PAGE_MASK), 0, b - a);
		}
		tmpfs_node_touch(tn, TMPFS_UPD_MTIME | TMPFS_UPD_CTIME);
		return 0;
	}

	/* Allocation: all or nothing against size=, as Linux. */
	first = off >> TMPFS_PAGE_SHIFT;
	last = (end - 1) >> TMPFS_PAGE_SHIFT;
	for (idx = first; idx <= last; idx++)
		if (tmpfs_page_lookup(&tn->tn_reg, idx) == NULL)
			missing++;
	/* Another file may take pages meanwhile; then the loop below
	 * fails and gives back what it took. */
	max = tmpfs_pool_max(tm, TMPFS_POOL_PAGES);
	if (max != 0 && missing > max -
	    MIN(tmpfs_pool_used(tm, TMPFS_POOL_PAGES), max))
		return ENOSPC;
	for (idx = first; idx <= last; idx++) {
		error = tmpfs_page_get(tn, idx, false, &pg, &fresh);
		if (error != 0) {
			/* Out of memory: give back what lies past the end
			 * of file, keeping the invariant. */
			tmpfs_data_free_pages(tn,
			    howmany(tn->tn_size, TMPFS_PAGE_SIZE), UINT64_MAX);
			return error;
		}
	}
	if (!(mode & FALLOC_FL_KEEP_SIZE) && end > tn->tn_size)
		tn->tn_size = end;
	tmpfs_node_touch(tn, TMPFS_UPD_CTIME);
	return 0;
}

void
tmpfs_data_destroy(struct tmpfs_node *tn)
{
	tmpfs_data_free_pages(tn, 0, UINT64_MAX);
	KASSERT(tn->tn_reg.tr_npages == 0);
	tn->tn_size = 0;
}
