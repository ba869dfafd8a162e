/*
 * msdosfs_dir.c: directories: reading entries with their long names,
 * looking names up, adding and removing entry groups, and making unique
 * short names.
 *
 * An entry group is zero or more long-name slots (the last part of the
 * name first, its ordinal or'ed with 0x40) followed by the short entry
 * they belong to; every slot carries the checksum of the short name, so a
 * long name whose short entry was changed by a tool that knows nothing of
 * long names is detected and ignored.
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/libkern.h>
#include <kern/lock.h>
#include <kern/kmem.h>
#include <vfs/buf.h>

#include "msdosfs.h"

static bool
dir_inroot(const struct msdosfs_node *dp)
{
	return dp == dp->de_pmp->pm_root && dp->de_pmp->pm_fattype != 32;
}

uint32_t
msdosfs_dirsize(struct msdosfs_node *dp)
{
	uint64_t size;

	if (dir_inroot(dp))
		return dp->de_pmp->pm_rootsize;
	size = (uint64_t)dp->de_nclust * dp->de_pmp->pm_csize;
	return (uint32_t)MIN(size, MSDOSFS_MAXDIRSIZE);
}

void
msdosfs_dc_init(struct msdosfs_dircursor *dc, struct msdosfs_node *dp)
{
	dc->dc_dp = dp;
	dc->dc_bp = NULL;
	dc->dc_boff = 0;
	dc->dc_dirty = false;
	dc->dc_rootheld = false;
}

static void
dc_release(struct msdosfs_dircursor *dc)
{
	if (dc->dc_rootheld) {
		mutex_exit(&dc->dc_dp->de_pmp->pm_rootlock);
		dc->dc_rootheld = false;
	}
	if (dc->dc_bp == NULL)
		return;
	if (dc->dc_dirty)
		bdwrite(dc->dc_bp, B_ORD_META);
	else
		brelse(dc->dc_bp);
	dc->dc_bp = NULL;
	dc->dc_dirty = false;
}

int
msdosfs_dc_get(struct msdosfs_dircursor *dc, uint32_t off, uint8_t **epp,
    uint64_t *locp)
{
	struct msdosfs_node *dp = dc->dc_dp;
	struct msdosfs_mount *pmp = dp->de_pmp;
	uint32_t boff, pc, size;
	int error;

	/* A child writing its entry reads its parent's chain state without
	 * the parent's vnode lock: under pm_lock (see msdosfs.h). */
	mutex_enter(&pmp->pm_lock);
	size = msdosfs_dirsize(dp);
	mutex_exit(&pmp->pm_lock);
	if (off % DE_SIZE != 0 || off >= size)
		return EIO;
	if (dir_inroot(dp)) {
		if (!dc->dc_rootheld) {
			mutex_enter(&pmp->pm_rootlock);
			dc->dc_rootheld = true;
		}
		*epp = pmp->pm_rootdir + off;
		if (locp != NULL)
			*locp = pmp->pm_rootoff + off;
		return 0;
	}
	boff = off - off % pmp->pm_bsize;
	if (dc->dc_bp == NULL || dc->dc_boff != boff) {
		dc_release(dc);
		error = msdosfs_bmap(dp, off / pmp->pm_csize, &pc);
		if (error != 0)
			return error;
		error = bread(pmp->pm_dev, msdosfs_clust_blkno(pmp, pc) +
		    (off % pmp->pm_csize) / pmp->pm_bsize, pmp->pm_bsize,
		    &dc->dc_bp);
		if (error != 0) {
			dc->dc_bp = NULL;
			return error;
		}
		dc->dc_boff = boff;
	}
	*epp = (uint8_t *)dc->dc_bp->b_data + (off - boff);
	if (locp != NULL)
		*locp = dc->dc_bp->b_blkno * pmp->pm_bsize + (off - boff);
	return 0;
}

void
msdosfs_dc_dirty(struct msdosfs_dircursor *dc)
{
	if (dir_inroot(dc->dc_dp))
		__atomic_store_n(&dc->dc_dp->de_pmp->pm_rootdirty, true,
		    __ATOMIC_RELAXED);
	else
		dc->dc_dirty = true;
}

void
msdosfs_dc_done(struct msdosfs_dircursor *dc)
{
	dc_release(dc);
}

static bool
is_dotent(const uint8_t *e)
{
	return memcmp(e, ".          ", 11) == 0 ||
	    memcmp(e, "..         ", 11) == 0;
}

/* Characters of one long-name slot, in name order. */
static const uint8_t lfn_charoff[LFN_CHARS] = {
	1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30
};

/* Walk state: kept off the stack (long names need a few hundred bytes). */
struct dirwalk {
	uint16_t	lfn[LFN_MAXSLOTS * LFN_CHARS];
	char		name[NAME_MAX * 3 + 8];
};

int
msdosfs_dir_walk(struct msdosfs_node *dp, uint32_t start,
    int (*fn)(void *, const struct msdosfs_dirent *), void *arg)
{
	struct msdosfs_dircursor dc;
	struct msdosfs_dirent d;
	struct dirwalk *w;
	uint32_t size = msdosfs_dirsize(dp), off, lfnoff = 0;
	unsigned lfn_n = 0, lfn_next = 0, i;
	uint8_t *e, chk = 0, ord;
	uint64_t loc;
	size_t len;
	int error = 0, r;

	if (dp->de_removed)
		return 0;		/* a removed directory is empty */
	w = kmem_alloc(sizeof(*w), KM_SLEEP);
	if (w == NULL)
		return ENOMEM;
	msdosfs_dc_init(&dc, dp);
	for (off = start - start % DE_SIZE; off < size; off += DE_SIZE) {
		error = msdosfs_dc_get(&dc, off, &e, &loc);
		if (error != 0)
			break;
		if (e[0] == SLOT_EMPTY)
			break;
		if (e[0] == SLOT_DELETED) {
			lfn_n = 0;
			continue;
		}
		if ((e[DE_ATTR] & ATTR_LFN_MASK) == ATTR_LFN) {
			ord = e[LFN_ORD];
			if (ord & LFN_LAST) {
				lfn_n = ord & 0x1f;
				if (lfn_n < 1 || lfn_n > LFN_MAXSLOTS) {
					lfn_n = 0;
					continue;
				}
				lfn_next = lfn_n;
				chk = e[LFN_CHKSUM];
				lfnoff = off;
				memset(w->lfn, 0, sizeof(w->lfn));
			} else if (lfn_n != 0 && ord == lfn_next - 1 &&
			    e[LFN_CHKSUM] == chk) {
				lfn_next = ord;
			} else {
				lfn_n = 0;
				continue;
			}
			for (i = 0; i < LFN_CHARS; i++)
				w->lfn[(lfn_next - 1) * LFN_CHARS + i] =
				    le16(e + lfn_charoff[i]);
			continue;
		}
		if ((e[DE_ATTR] & ATTR_VOLUME) || is_dotent(e)) {
			lfn_n = 0;
			continue;
		}
		d.d_off = off;
		d.d_lfnoff = off;
		d.d_loc = loc;
		d.d_ent = e;
		d.d_name = w->name;
		len = 0;
		if (lfn_n != 0 && lfn_next == 1 &&
		    msdosfs_lfn_chksum(e) == chk &&
		    msdosfs_ucs2utf8(w->lfn, lfn_n * LFN_CHARS, w->name,
		    sizeof(w->name), &len) && len <= NAME_MAX &&
		    !(len == 1 && w->name[0] == '.') &&
		    !(len == 2 && w->name[0] == '.' && w->name[1] == '.')) {
			d.d_lfnoff = lfnoff;
		} else {
			len = msdosfs_short2name(e, w->name);
		}
		lfn_n = 0;
		if (len == 0)
			continue;
		d.d_namelen = len;
		r = fn(arg, &d);
		if (r != 0) {
			error = r == -1 ? 0 : r;
			break;
		}
	}
	msdosfs_dc_done(&dc);
	kmem_free(w, sizeof(*w));
	return error;
}

struct lookup_ctx {
	const char		*name;
	size_t			 namelen;
	struct msdosfs_dirent	*out;
	uint8_t			*ent;
	char			*namebuf;
};

static int
lookup_cb(void *arg, const struct msdosfs_dirent *d)
{
	struct lookup_ctx *lc = arg;
	char sname[40];
	size_t slen;

	if (!msdosfs_name_eq(d->d_name, d->d_namelen, lc->name,
	    lc->namelen)) {
		/* The short alias of a long name finds it too. */
		if (d->d_lfnoff == d->d_off)
			return 0;
		slen = msdosfs_short2name(d->d_ent, sname);
		if (!msdosfs_name_eq(sname, slen, lc->name, lc->namelen))
			return 0;
	}
	*lc->out = *d;
	memcpy(lc->ent, d->d_ent, DE_SIZE);
	memcpy(lc->namebuf, d->d_name, d->d_namelen + 1);
	lc->out->d_ent = lc->ent;
	lc->out->d_name = lc->namebuf;
	return -1;
}

int
msdosfs_dir_lookup(struct msdosfs_node *dp, const char *name, size_t namelen,
    struct msdosfs_dirent *d, uint8_t *ent, char *namebuf)
{
	struct lookup_ctx lc = { name, namelen, d, ent, namebuf };
	int error;

	d->d_ent = NULL;
	error = msdosfs_dir_walk(dp, 0, lookup_cb, &lc);
	if (error != 0)
		return error;
	return d->d_ent != NULL ? 0 : ENOENT;
}

/* Builds short name candidate number n from basis. */
static void
short_candidate(const uint8_t *basis, unsigned n, uint16_t hash,
    uint8_t *out)
{
	static const char hex[] = "0123456789ABCDEF";
	char tail[12];
	size_t tl, bl, pos, i;
	uint8_t base[8];

	memcpy(base, basis, 8);
	bl = 8;
	while (bl > 0 && base[bl - 1] == ' ')
		bl--;
	/* After ~1..~4, Windows and Linux put a hash of the long name
	 * into the basis, so that many similar names stay cheap. */
	if (n > 4 && n <= 4 + 9) {
		bl = MIN(bl, 2);
		for (i = 0; i < 4; i++)
			base[bl + i] = (uint8_t)hex[(hash >> (12 - 4 * i)) & 0xf];
		bl += 4;
		n -= 4;
	} else if (n > 4 + 9) {
		n -= 9;
	}
	tl = (size_t)snprintf(tail, sizeof(tail), "~%u", n);
	memcpy(out, basis, 11);
	pos = MIN(bl, 8 - tl);
	memcpy(out, base, pos);
	memcpy(out + pos, tail, tl);
	for (i = pos + tl; i < 8; i++)
		out[i] = ' ';
}

/* State of msdosfs_dir_add's scan: every short name in the directory and
 * the first run of free slots long enough. */
struct addscan {
	uint8_t		*names;		/* 11 bytes each */
	size_t		 nnames, cap;
	uint32_t	 need;		/* slots */
	uint32_t	 runstart, runlen;
	bool		 found;
	uint32_t	 endfree;	/* free slots at the end */
};

static int
addscan_names_add(struct addscan *s, const uint8_t *name11)
{
	uint8_t *n;
	size_t ncap;

	if (s->nnames == s->cap) {
		ncap = s->cap == 0 ? 64 : s->cap * 2;
		n = kmem_alloc(ncap * 11, KM_SLEEP);
		if (n == NULL)
			return ENOMEM;
		if (s->names != NULL) {
			memcpy(n, s->names, s->nnames * 11);
			kmem_free(s->names, s->cap * 11);
		}
		s->names = n;
		s->cap = ncap;
	}
	memcpy(s->names + s->nnames * 11, name11, 11);
	s->nnames++;
	return 0;
}

static bool
addscan_has(const struct addscan *s, const uint8_t *name11)
{
	size_t i;

	for (i = 0; i < s->nnames; i++)
		if (memcmp(s->names + i * 11, name11, 11) == 0)
			return true;
	return false;
}

static int
dir_addscan(struct msdosfs_node *dp, struct addscan *s)
{
	struct msdosfs_dircursor dc;
	uint32_t size = msdosfs_dirsize(dp), off;
	bool atend = false;
	uint8_t *e;
	int error = 0;

	msdosfs_dc_init(&dc, dp);
	s->runlen = 0;
	s->endfree = 0;
	for (off = 0; off < size; off += DE_SIZE) {
		if (!atend) {
			error = msdosfs_dc_get(&dc, off, &e, NULL);
			if (error != 0)
				break;
			if (e[0] == SLOT_EMPTY)
				atend = true;
		}
		if (atend || e[0] == SLOT_DELETED) {
			s->runlen++;
			if (s->runlen >= s->need && !s->found) {
				s->found = true;
				s->runstart = off - (s->need - 1) * DE_SIZE;
			}
			s->endfree++;
			if (atend && s->found)
				break;	/* nothing but free slots follow */
			continue;
		}
		s->runlen = 0;
		s->endfree = 0;
		if ((e[DE_ATTR] & ATTR_LFN_MASK) == ATTR_LFN)
			continue;
		error = addscan_names_add(s, e);
		if (error != 0)
			break;
	}
	msdosfs_dc_done(&dc);
	return error;
}

static uint16_t
ucs_hash(const uint16_t *ucs, size_t n)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ ucs[i]) * 16777619u;
	return (uint16_t)(h ^ (h >> 16));
}

int
msdosfs_dir_add(struct msdosfs_node *dp, const char *name, size_t namelen,
    const uint8_t *ent32, uint32_t *offp, uint32_t *lfnoffp, uint64_t *locp)
{
	struct msdosfs_mount *pmp = dp->de_pmp;
	struct msdosfs_dircursor dc;
	struct addscan s;
	uint16_t *ucs;
	size_t nucs = 0, idx;
	uint8_t name11[11], basis[11], ntres, *e, chk;
	uint32_t nlfn, need, off, i, j, ncl, cn, dirsize;
	unsigned n;
	bool fits;
	int error;

	if (dp->de_removed)
		return ENOENT;
	ucs = kmem_alloc((LFN_MAXLEN + 1) * sizeof(uint16_t), KM_SLEEP);
	if (ucs == NULL)
		return ENOMEM;
	memset(&s, 0, sizeof(s));
	error = msdosfs_name2ucs(name, namelen, ucs, &nucs);
	if (error != 0)
		goto out;
	fits = msdosfs_mkshortname(name, namelen, basis, &ntres);
	nlfn = fits ? 0 : (uint32_t)howmany(nucs, LFN_CHARS);
	need = nlfn + 1;
	s.need = need;
	error = dir_addscan(dp, &s);
	if (error != 0)
		goto out;

	/* The short name. */
	if (fits) {
		memcpy(name11, basis, 11);
		if (addscan_has(&s, name11)) {
			error = EEXIST;
			goto out;
		}
	} else {
		ntres = 0;
		for (n = 1; n < 1000000; n++) {
			short_candidate(basis, n, ucs_hash(ucs, nucs), name11);
			if (!addscan_has(&s, name11))
				break;
		}
		if (n == 1000000) {
			error = EEXIST;
			goto out;
		}
	}

	/* Room: grow the directory if no run of free slots is long enough
	 * (the fixed FAT12/16 root cannot grow). */
	if (!s.found) {
		if (dir_inroot(dp)) {
			error = ENOSPC;
			goto out;
		}
		dirsize = msdosfs_dirsize(dp);
		ncl = (uint32_t)howmany((uint64_t)(need - s.endfree) * DE_SIZE,
		    pmp->pm_csize);
		if ((uint64_t)dirsize + (uint64_t)ncl * pmp->pm_csize >
		    MSDOSFS_MAXDIRSIZE) {
			error = ENOSPC;
			goto out;
		}
		for (i = 0; i < ncl; i++) {
			error = msdosfs_chain_extend(dp, true, &cn);
			if (error != 0)
				goto out;
			dp->de_size = msdosfs_dirsize(dp);
		}
		s.runstart = dirsize - s.endfree * DE_SIZE;
	}

	/* Long name slots, then the short entry. */
	chk = msdosfs_lfn_chksum(name11);
	msdosfs_dc_init(&dc, dp);
	off = s.runstart;
	for (i = 0; i < nlfn; i++, off += DE_SIZE) {
		uint32_t ord = nlfn - i;

		error = msdosfs_dc_get(&dc, off, &e, NULL);
		if (error != 0)
			break;
		memset(e, 0, DE_SIZE);
		e[LFN_ORD] = (uint8_t)(ord | (i == 0 ? LFN_LAST : 0));
		e[DE_ATTR] = ATTR_LFN;
		e[LFN_CHKSUM] = chk;
		for (j = 0; j < LFN_CHARS; j++) {
			idx = (ord - 1) * LFN_CHARS + j;
			put16(e + lfn_charoff[j], idx < nucs ? ucs[idx] :
			    idx == nucs ? 0x0000 : 0xffff);
		}
		msdosfs_dc_dirty(&dc);
	}
	if (error == 0)
		error = msdosfs_dc_get(&dc, off, &e, locp);
	if (error == 0) {
		memcpy(e, ent32, DE_SIZE);
		memcpy(e, name11, 11);
		e[DE_NTRES] = ntres;
		msdosfs_dc_dirty(&dc);
		*offp = off;
		*lfnoffp = s.runstart;
	}
	msdosfs_dc_done(&dc);
out:
	if (s.names != NULL)
		kmem_free(s.names, s.cap * 11);
	kmem_free(ucs, (LFN_MAXLEN + 1) * sizeof(uint16_t));
	return error;
}

int
msdosfs_dir_remove(struct msdosfs_node *dp, uint32_t lfnoff, uint32_t off)
{
	struct msdosfs_dircursor dc;
	uint32_t o;
	uint8_t *e;
	int error = 0;

	msdosfs_dc_init(&dc, dp);
	for (o = lfnoff; o <= off; o += DE_SIZE) {
		error = msdosfs_dc_get(&dc, o, &e, NULL);
		if (error != 0)
			break;
		e[0] = SLOT_DELETED;
		msdosfs_dc_dirty(&dc);
	}
	msdosfs_dc_done(&dc);
	return error;
}

static int
any_cb(void *arg, const struct msdosfs_dirent *d __unused)
{
	bool *emptyp = arg;

	*emptyp = false;
	return -1;
}

int
msdosfs_dir_isempty(struct msdosfs_node *dp, bool *emptyp)
{
	*emptyp = true;
	return msdosfs_dir_walk(dp, 0, any_cb, emptyp);
}

static int
count_cb(void *arg, const struct msdosfs_dirent *d)
{
	uint32_t *np = arg;

	if (d->d_ent[DE_ATTR] & ATTR_DIRECTORY)
		(*np)++;
	return 0;
}

int
msdosfs_dir_countsubdirs(struct msdosfs_node *dp, uint32_t *np)
{
	*np = 0;
	return msdosfs_dir_walk(dp, 0, count_cb, np);
}
