/*
 * vfs_bio.c: the buffer cache (contract in <vfs/buf.h>).
 *
 * Two kinds of locks, so that threads working on different blocks do
 * not take turns at one lock for every bread and brelse (bench_scale
 * with two threads on ext2 found bcache_lock held at a fifth of its
 * ~150 acquisitions per file):
 *
 *  - a stripe lock per group of hash chains (bstripes[], a buffer's
 *    stripe from its bucket): the chains of the stripe and each of its
 *    buffers' b_own (B_BUSY: who owns it; B_READAHEAD; B_REF), with a
 *    condition variable for waiting until a buffer is neither busy nor
 *    in flight.  Finding a cached valid buffer and making it busy, and
 *    giving back a valid buffer unchanged (brelse), take only this lock.
 *  - bcache_lock for everything shared: the LRU lists, every device's
 *    dirty list and counters, the byte counts, the cluster and buffer
 *    pools, and the changes of b_flags (B_VALID, B_DIRTY, B_INFLIGHT),
 *    of b_order and b_error; bcache_cv wakes whoever waits for a
 *    transfer (buf_waitio) or for room.
 *
 * b_flags and b_order change only with both locks held, so either one
 * is enough to read them (one exception: bget of a cached invalid
 * buffer makes it valid under the stripe lock, see bget_fast); adding
 * or removing a buffer in a chain likewise.
 *
 * A dirty buffer discarded (bdiscard: its block was freed) is only
 * marked B_DISCARD, under its stripe lock: it stays on the dirty lists
 * until whoever next looks at it under bcache_lock (a write-back, a
 * bread) forgets its contents (buf_forget_discarded), and a bget of the
 * block (allocated again) takes it back as it is, zero-filled and still
 * dirty.  Freeing and allocating the blocks of a file then take no
 * shared lock (with two threads on ext2, bcache_lock had been taken 18
 * times per file, 11% of them waiting).  So bdwrite of a buffer already dirty in its class takes
 * the stripe lock only.  Order:
 * bcache_lock before a stripe lock, one stripe lock at a time; code that
 * holds a stripe lock and needs bcache_lock drops the stripe lock first.
 * Whoever clears B_BUSY or B_INFLIGHT broadcasts the stripe's condition
 * variable (and completions also bcache_cv).
 *
 * Buffers stay on their LRU list while busy (so a hit need not touch the
 * shared lists): eviction skips busy ones and gives those used since it
 * last looked (B_REF) a second chance.
 *
 * I/O is started with the locks dropped (rumpuser_bio may wait for room
 * in the platform's queue, and its completions take the locks), and a
 * buffer in flight is marked B_INFLIGHT so that nobody touches its data
 * meanwhile.
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/hyp.h>
#include <kern/kmem.h>
#include <kern/libkern.h>
#include <kern/lock.h>
#include <vfs/buf.h>

#include "blk_private.h"

/* Contention statistics (kern/lock.h): bcache_lock, and waits for a
 * buffer someone else has busy or in flight. */
static LOCKSTAT_CLASS(bcache_lockstat, "bcache_lock");
static LOCKSTAT_CLASS(bstripe_lockstat, "bcache stripe");
static LOCKSTAT_CLASS(bbusy_lockstat, "busy buffer");

kmutex_t bcache_lock;
kcondvar_t bcache_cv;

/* Buckets: the default cache holds 8,192 blocks of 4 KiB or 32,768 of
 * 1 KiB; with the stripes' regions (below) chains stay near one block
 * either way: a region's blocks of 1 KiB fill its stripe's run once. */
#define BHASH_SIZE	32768
#define BCACHE_DEFAULT	((uint64_t)32 << 20)
#define BSYNC_BATCH	2048	/* writes started per round of bsync */

static struct buf *bhash[BHASH_SIZE];

/*
 * Stripes: each owns a contiguous run of BHASH_SIZE / BSTRIPES buckets,
 * and a block's stripe comes from the region of the device it lies in
 * (BREGION bytes), its bucket within the stripe from the block itself.
 * Threads working in different parts of a device (ext2 spreads
 * directories over its groups, and a file's blocks follow its
 * directory) then take different stripe locks and touch different
 * bucket lines.  When the stripe was the bucket modulo BSTRIPES, every
 * thread used every stripe, and the stripes' cache lines moved between
 * the host's cores at most of the ~140 acquisitions per file
 * (bench_scale, ext2, two threads: a third of the time spent in taking
 * locks was in bget_fast's).
 */
#define BSTRIPES	64
#define BSTRIPE_BUCKETS	(BHASH_SIZE / BSTRIPES)
/* 512 KiB regions: BSTRIPE_BUCKETS blocks of 1 KiB.  With 1 MiB ones
 * (and 16,384 buckets), a cache full of 1 KiB blocks walked 3.9 buffers
 * per hit where the uniform hash walked 1.7. */
#define BREGION_SHIFT	19
struct bstripe {
	kmutex_t	bs_lock;
	kcondvar_t	bs_cv;
} __attribute__((aligned(64)));
static struct bstripe bstripes[BSTRIPES];

static struct bstripe *
stripe_of_bucket(unsigned h)
{

	return &bstripes[h / BSTRIPE_BUCKETS];
}

static struct bstripe *
stripe_of(const struct buf *bp)
{

	return stripe_of_bucket(bp->b_hidx);
}

/* Clears own bits of bp (its stripe lock held) and wakes its waiters. */
static void
buf_unown(struct buf *bp, int bits)
{
	struct bstripe *st = stripe_of(bp);

	bp->b_own &= ~bits;
	if (cv_has_waiters(&st->bs_cv))
		cv_broadcast(&st->bs_cv);
}
/*
 * Buffers nobody owns are on one of two LRU lists, oldest first: clean
 * ones (evictable at once) and those dirty or in flight.  Two lists keep
 * finding room O(1): with one list, a cache full of dirty buffers (a big
 * copy in) was scanned end to end for every new block.
 */
struct buf_lru {
	struct buf	*head, *tail;
	unsigned	 n;
};
static struct buf_lru lru_clean, lru_dirty;
static uint64_t bcache_bytes, bcache_max;
/* Bytes of dirty buffers and of buffers being transferred: write-back
 * starts before the cache is full of dirty data (bdwrite). */
static uint64_t bcache_dirty, bcache_inflight;
static uint64_t dirtyseq;

void
bcache_init(void)
{

	int i;

	mutex_init(&bcache_lock, MUTEX_DEFAULT);
	mutex_setstat(&bcache_lock, &bcache_lockstat);
	cv_init(&bcache_cv);
	for (i = 0; i < BSTRIPES; i++) {
		mutex_init(&bstripes[i].bs_lock, MUTEX_DEFAULT);
		mutex_setstat(&bstripes[i].bs_lock, &bstripe_lockstat);
		cv_init(&bstripes[i].bs_cv);
	}
	bcache_setmax(0);
}

void
bcache_setmax(uint64_t bytes)
{

	if (bytes == 0) {
		bytes = BCACHE_DEFAULT;
		if (kmem_limit() != 0 && kmem_limit() / 4 < bytes)
			bytes = MAX(kmem_limit() / 4, (uint64_t)BMAXSIZE * 4);
	}
	bcache_max = bytes;
}

/* The bucket of a block: its region's stripe's run, then the block. */
static unsigned
bhash_index(const struct blkdev *bd, uint64_t blkno, size_t size)
{
	uint64_t dev, r, b;

	dev = (uint64_t)(uintptr_t)bd * 0x9e3779b97f4a7c15ULL;
	r = dev ^ ((blkno * size) >> BREGION_SHIFT) * 0xc2b2ae3d27d4eb4fULL;
	b = dev ^ (blkno + (size >> 9)) * 0xc2b2ae3d27d4eb4fULL;
	return (unsigned)((r >> 40) % BSTRIPES) * BSTRIPE_BUCKETS +
	    (unsigned)((b >> 40) % BSTRIPE_BUCKETS);
}

/* Looks bucket h up; its stripe lock (or bcache_lock) held. */
static struct buf *
bhash_find_h(unsigned h, struct blkdev *bd, uint64_t blkno, size_t size)
{
	struct buf *bp;

	for (bp = bhash[h]; bp != NULL; bp = bp->b_hnext)
		if (bp->b_dev == bd && bp->b_blkno == blkno &&
		    bp->b_size == size)
			return bp;
	return NULL;
}

/* Whether (bd, blkno, size) is cached; bcache_lock held. */
static bool
bhash_cached(struct blkdev *bd, uint64_t blkno, size_t size)
{
	unsigned h = bhash_index(bd, blkno, size);
	struct bstripe *st = stripe_of_bucket(h);
	bool found;

	mutex_enter(&st->bs_lock);
	found = bhash_find_h(h, bd, blkno, size) != NULL;
	mutex_exit(&st->bs_lock);
	return found;
}

/* Both bcache_lock and bp's stripe lock held. */
static void
bhash_remove(struct buf *bp)
{
	struct buf **bpp;

	for (bpp = &bhash[bp->b_hidx];
	    *bpp != NULL; bpp = &(*bpp)->b_hnext) {
		if (*bpp == bp) {
			*bpp = bp->b_hnext;
			return;
		}
	}
	panic("bcache: buffer not in hash");
}

/* LRU: every buffer is on one list, busy or not (see the top). */
static struct buf_lru *
lru_of(const struct buf *bp)
{

	return (bp->b_flags & (B_DIRTY | B_INFLIGHT)) ? &lru_dirty : &lru_clean;
}

static void
lru_remove(struct buf *bp)
{
	struct buf_lru *l = bp->b_lru;

	if (l == NULL)
		return;
	if (bp->b_lprev != NULL)
		bp->b_lprev->b_lnext = bp->b_lnext;
	else
		l->head = bp->b_lnext;
	if (bp->b_lnext != NULL)
		bp->b_lnext->b_lprev = bp->b_lprev;
	else
		l->tail = bp->b_lprev;
	bp->b_lnext = bp->b_lprev = NULL;
	bp->b_lru = NULL;
	l->n--;
}

static void
lru_append(struct buf *bp)
{
	struct buf_lru *l = lru_of(bp);

	KASSERT(bp->b_lru == NULL);
	bp->b_lnext = NULL;
	bp->b_lprev = l->tail;
	if (l->tail != NULL)
		l->tail->b_lnext = bp;
	else
		l->head = bp;
	l->tail = bp;
	bp->b_lru = l;
	l->n++;
}

/* At the head of its list: the first to be evicted. */
static void
lru_prepend(struct buf *bp)
{
	struct buf_lru *l = lru_of(bp);

	KASSERT(bp->b_lru == NULL);
	bp->b_lprev = NULL;
	bp->b_lnext = l->head;
	if (l->head != NULL)
		l->head->b_lprev = bp;
	else
		l->tail = bp;
	l->head = bp;
	bp->b_lru = l;
	l->n++;
}

/* After a change of B_DIRTY or B_INFLIGHT: the buffer moves to the
 * list it now belongs on. */
static void
lru_update(struct buf *bp)
{

	if (bp->b_lru != lru_of(bp)) {
		lru_remove(bp);
		lru_append(bp);
	}
}

static bool
dirty_on(struct buf *bp)
{

	return bp->b_dprev != NULL || bp->b_dev->bd_dirty == bp;
}

static void
dirty_remove(struct buf *bp)
{
	struct blkdev *bd = bp->b_dev;

	if (!dirty_on(bp))
		return;
	if (bp->b_dprev != NULL)
		bp->b_dprev->b_dnext = bp->b_dnext;
	else
		bd->bd_dirty = bp->b_dnext;
	if (bp->b_dnext != NULL)
		bp->b_dnext->b_dprev = bp->b_dprev;
	else
		bd->bd_dirtytail = bp->b_dprev;
	bp->b_dnext = bp->b_dprev = NULL;
	bcache_dirty -= bp->b_size;
}

static void
dirty_append(struct buf *bp)
{
	struct blkdev *bd = bp->b_dev;

	if (dirty_on(bp))
		return;
	bp->b_dnext = NULL;
	bp->b_dprev = bd->bd_dirtytail;
	if (bd->bd_dirtytail != NULL)
		bd->bd_dirtytail->b_dnext = bp;
	else
		bd->bd_dirty = bp;
	bd->bd_dirtytail = bp;
	bp->b_dirtyseq = ++dirtyseq;
	bcache_dirty += bp->b_size;
}

/* bcache_lock and bp's stripe lock held; nobody may wait for bp (its
 * waiters look it up again when woken). */
/*
 * Freed buffers kept for the next new block (bcache_lock): taking
 * memory from the host, and giving it back, under bcache_lock made
 * everyone else wait for malloc and its page faults; an evicted buffer
 * is usually the right size for the block that evicted it.
 */
#define BPOOL_BYTES	((size_t)1 << 20)
static struct buf *bpool;
static size_t bpool_bytes;

static void
bpool_put(struct buf *bp)
{

	if (bpool_bytes + bp->b_size > BPOOL_BYTES) {
		kmem_free(bp->b_data, bp->b_size);
		kmem_free(bp, sizeof(*bp));
		return;
	}
	bp->b_hnext = bpool;
	bpool = bp;
	bpool_bytes += bp->b_size;
}

/* A pooled buffer of size bytes, reset, or NULL. */
static struct buf *
bpool_get(size_t size)
{
	struct buf *bp, **bpp;
	void *data;
	int i;

	for (bpp = &bpool, i = 0; (bp = *bpp) != NULL && i < 8;
	    bpp = &bp->b_hnext, i++) {
		if (bp->b_size != size)
			continue;
		*bpp = bp->b_hnext;
		bpool_bytes -= size;
		data = bp->b_data;
		memset(bp, 0, sizeof(*bp));
		bp->b_data = data;
		bp->b_size = size;
		return bp;
	}
	return NULL;
}

/* A new buffer from the host; called without bcache_lock. */
static struct buf *
buf_alloc(size_t size)
{
	struct buf *bp;

	bp = kmem_zalloc(sizeof(*bp), KM_SLEEP);
	if (bp == NULL)
		return NULL;
	bp->b_data = kmem_alloc(size, KM_SLEEP);
	if (bp->b_data == NULL) {
		kmem_free(bp, sizeof(*bp));
		return NULL;
	}
	bp->b_size = size;
	return bp;
}

static void
buf_free(struct buf *bp)
{

	KASSERT((bp->b_flags & (B_INFLIGHT | B_DIRTY)) == 0);
	lru_remove(bp);
	dirty_remove(bp);
	bhash_remove(bp);
	bp->b_dev->bd_nbufs--;
	bcache_bytes -= bp->b_size;
	bpool_put(bp);
}

/* --- Transfers ---------------------------------------------------------- */

/* Finishes the transfer of one buffer; bcache_lock held. */
static void
buf_done_locked(struct buf *bp, int error)
{
	struct blkdev *bd = bp->b_dev;
	struct bstripe *st = stripe_of(bp);

	mutex_enter(&st->bs_lock);
	if (bp->b_flags & B_VALID) {
		/* A write. */
		if (error != 0) {
			/* Keep the data: a later sync tries again and
			 * reports the error. */
			bp->b_flags |= B_DIRTY;
			dirty_append(bp);
			if (bd->bd_werror == 0)
				bd->bd_werror = error;
		}
	} else if (error == 0) {
		bp->b_flags |= B_VALID;
	}
	bp->b_error = error;
	bp->b_flags &= ~B_INFLIGHT;
	bd->bd_inflight--;
	bcache_inflight -= bp->b_size;
	lru_update(bp);
	buf_unown(bp, 0);
	mutex_exit(&st->bs_lock);
}

static void
buf_iodone(void *arg, size_t transferred, int error)
{
	struct buf *bp = arg;

	mutex_enter(&bcache_lock);
	if (error != 0)
		error = hyp_errno(error);
	else if (transferred != bp->b_size)
		error = EIO;
	buf_done_locked(bp, error);
	mutex_exit(&bcache_lock);
	/* After the lock is given up: a waiter woken with it held went
	 * straight back to sleep on it (waiters look at B_INFLIGHT under
	 * the lock, so none misses the change). */
	cv_broadcast(&bcache_cv);
}

/*
 * Clusters: consecutive blocks of one device moved by one request
 * through a bounce buffer (a copy is far cheaper than a request per
 * block: read-ahead and write-back of big files).
 */
#define BCLUSTER_MAX	128	/* blocks per transfer */
#define BCLUSTER_BYTES	((size_t)512 << 10)	/* bytes per transfer */
#define BCLUSTER_POOL	8	/* idle bounce buffers kept */
#define BDEV_READAHEAD	16	/* blocks, when a device is read in order */

/* Whether a run of n blocks of size bytes may grow by one more. */
#define BCLUSTER_ROOM(n, size) \
	((n) < BCLUSTER_MAX && ((size_t)(n) + 1) * (size) <= BCLUSTER_BYTES)

struct bcluster {
	struct bcluster	*bc_next;	/* in the pool */
	int		 bc_n;
	bool		 bc_write;
	size_t		 bc_len;
	uint8_t		*bc_data;	/* BCLUSTER_BYTES */
	struct buf	*bc_bufs[BCLUSTER_MAX];
};

/*
 * Idle clusters with their bounce buffers, under bcache_lock: a big
 * sequential transfer needs one per request, and taking them from the
 * host's allocator each time (half a megabyte, often mapped and
 * unmapped) cost more than the copy.
 */
static struct bcluster *cluster_pool;
static int cluster_npool;

static struct bcluster *
cluster_get(void)
{
	struct bcluster *c;

	if ((c = cluster_pool) != NULL) {
		cluster_pool = c->bc_next;
		cluster_npool--;
		return c;
	}
	if ((c = kmem_alloc(sizeof(*c), KM_NOSLEEP)) == NULL)
		return NULL;
	if ((c->bc_data = kmem_alloc(BCLUSTER_BYTES, KM_NOSLEEP)) == NULL) {
		kmem_free(c, sizeof(*c));
		return NULL;
	}
	return c;
}

/* Gives a cluster back; bcache_lock held. */
static void
cluster_put(struct bcluster *c)
{

	if (cluster_npool < BCLUSTER_POOL) {
		c->bc_next = cluster_pool;
		cluster_pool = c;
		cluster_npool++;
		return;
	}
	kmem_free(c->bc_data, BCLUSTER_BYTES);
	kmem_free(c, sizeof(*c));
}

static void
cluster_iodone(void *arg, size_t transferred, int error)
{
	struct bcluster *c = arg;
	struct buf *bp;
	int i;

	if (error != 0)
		error = hyp_errno(error);
	else if (transferred != c->bc_len)
		error = EIO;
	/* The buffers are in flight: nobody else touches their data, so
	 * the copy needs no lock. */
	if (!c->bc_write && error == 0)
		for (i = 0; i < c->bc_n; i++) {
			bp = c->bc_bufs[i];
			memcpy(bp->b_data, c->bc_data + (size_t)i * bp->b_size,
			    bp->b_size);
		}
	mutex_enter(&bcache_lock);
	for (i = 0; i < c->bc_n; i++)
		buf_done_locked(c->bc_bufs[i], error);
	cluster_put(c);
	mutex_exit(&bcache_lock);
	cv_broadcast(&bcache_cv);	/* as in buf_iodone */
}

/*
 * Starts a transfer of bp (B_VALID set: write; clear: read).  Called and
 * returns with bcache_lock held; drops it around the hypercall.
 */
/* Marks bp in flight and counts it; bcache_lock held, bp busy. */
static void
buf_mark_inflight(struct buf *bp)
{
	struct blkdev *bd = bp->b_dev;
	struct bstripe *st = stripe_of(bp);

	mutex_enter(&st->bs_lock);
	bp->b_flags |= B_INFLIGHT;
	bp->b_error = 0;
	if (bp->b_flags & B_VALID) {
		bp->b_flags &= ~B_DIRTY;
		dirty_remove(bp);
		bd->bd_stats.bs_writes++;
	} else {
		bd->bd_stats.bs_reads++;
	}
	bd->bd_inflight++;
	bcache_inflight += bp->b_size;
	if (bd->bd_inflight > bd->bd_stats.bs_maxinflight)
		bd->bd_stats.bs_maxinflight = bd->bd_inflight;
	lru_update(bp);
	mutex_exit(&st->bs_lock);
}

static void
buf_start(struct buf *bp, int extra)
{
	struct blkdev *bd = bp->b_dev;
	bool write = (bp->b_flags & B_VALID) != 0;
	int op;

	int fault = 0;

	buf_mark_inflight(bp);
	if (write)
		fault = blk_fault_check(bd, false);
	op = (write ? RUMPUSER_BIO_WRITE : RUMPUSER_BIO_READ) | extra;
	mutex_exit(&bcache_lock);
	if (fault != 0)
		buf_iodone(bp, fault < 0 ? bp->b_size : 0,
		    fault < 0 ? 0 : hyp_errno_to_netbsd(fault));
	else
		rumpuser_bio(bd->bd_fd, op, bp->b_data, bp->b_size,
		    (int64_t)(bd->bd_begin + bp->b_blkno * bp->b_size),
		    buf_iodone, bp);
	mutex_enter(&bcache_lock);
}

/*
 * Starts one transfer of the n buffers v[] (consecutive blocks of one
 * device and size, all reads or all writes, none in flight).  Falls back
 * to one request per buffer when no bounce buffer can be had.  Called
 * and returns with bcache_lock held.
 */
static void
buf_start_cluster(struct buf **v, int n, int extra)
{
	struct blkdev *bd = v[0]->b_dev;
	struct bcluster *c = NULL;
	bool write = (v[0]->b_flags & B_VALID) != 0;
	size_t size = v[0]->b_size;
	int i, fault;

	KASSERT(n <= BCLUSTER_MAX && size * (size_t)n <= BCLUSTER_BYTES);
	if (n > 1)
		c = cluster_get();
	if (c == NULL) {
		for (i = 0; i < n; i++)
			buf_start(v[i], extra);
		return;
	}
	c->bc_len = size * (size_t)n;
	c->bc_n = n;
	c->bc_write = write;
	for (i = 0; i < n; i++) {
		c->bc_bufs[i] = v[i];
		buf_mark_inflight(v[i]);
	}
	fault = write ? blk_fault_check(bd, false) : 0;
	mutex_exit(&bcache_lock);
	/* Busy and in flight: nobody changes their data meanwhile. */
	if (write)
		for (i = 0; i < n; i++)
			memcpy(c->bc_data + (size_t)i * size, v[i]->b_data,
			    size);
	if (fault != 0)
		cluster_iodone(c, fault < 0 ? c->bc_len : 0,
		    fault < 0 ? 0 : hyp_errno_to_netbsd(fault));
	else
		rumpuser_bio(bd->bd_fd, (write ? RUMPUSER_BIO_WRITE :
		    RUMPUSER_BIO_READ) | extra, c->bc_data, c->bc_len,
		    (int64_t)(bd->bd_begin + v[0]->b_blkno * size),
		    cluster_iodone, c);
	mutex_enter(&bcache_lock);
}

static void
buf_waitio(struct buf *bp)
{

	while (bp->b_flags & B_INFLIGHT)
		cv_wait(&bcache_cv, &bcache_lock);
}

static void batch_sort(struct buf **v, int n);

/* A discarded buffer's contents are forgotten: it is clean and invalid
 * from now on.  Both bcache_lock and its stripe lock held. */
static void
buf_forget_discarded(struct buf *bp)
{

	if ((bp->b_own & B_DISCARD) == 0)
		return;
	KASSERT((bp->b_flags & B_INFLIGHT) == 0);
	bp->b_own &= ~B_DISCARD;
	bp->b_flags &= ~(B_DIRTY | B_VALID);
	dirty_remove(bp);
	lru_update(bp);
}

/* Makes bp busy for a write-back unless someone owns it or it is in
 * flight; a discarded one is forgotten instead (never written), and not
 * taken either.  bcache_lock held; the caller's walk of the dirty list
 * must have read bp's successor already. */
static bool
buf_take(struct buf *bp)
{
	struct bstripe *st = stripe_of(bp);
	bool ok;

	mutex_enter(&st->bs_lock);
	ok = (bp->b_own & B_BUSY) == 0 && (bp->b_flags & B_INFLIGHT) == 0;
	if (ok && (bp->b_own & B_DISCARD) != 0) {
		buf_forget_discarded(bp);
		ok = false;
	}
	if (ok)
		bp->b_own |= B_BUSY;
	mutex_exit(&st->bs_lock);
	return ok;
}

/* Gives up a buffer made busy by the cache itself (a write-back or
 * read-ahead batch), which stays cached even while invalid: it may be
 * in flight.  bcache_lock held. */
static void
buf_give(struct buf *bp)
{
	struct bstripe *st = stripe_of(bp);

	mutex_enter(&st->bs_lock);
	buf_unown(bp, B_BUSY);
	mutex_exit(&st->bs_lock);
}

/* Whether bp is busy; bcache_lock held (a hint for choosing). */
static bool
buf_busy(struct buf *bp)
{
	struct bstripe *st = stripe_of(bp);
	bool busy;

	mutex_enter(&st->bs_lock);
	busy = (bp->b_own & B_BUSY) != 0;
	mutex_exit(&st->bs_lock);
	return busy;
}

/*
 * Writes back a batch of bd's oldest dirty buffers of class order (up to
 * EVICT_BATCH, consecutive blocks as one transfer) without waiting, to
 * make room: one batch frees many buffers, so the scans of the LRU that
 * find no clean buffer are rare.
 */
#define EVICT_BATCH	1024
static void
bcache_flush_some(struct blkdev *bd, int order)
{
	struct buf *stackv[64], **v, *bp, *next;
	int max = EVICT_BATCH, n = 0, i, j;

	v = kmem_alloc(sizeof(*v) * EVICT_BATCH, KM_NOSLEEP);
	if (v == NULL) {
		v = stackv;
		max = (int)__arraycount(stackv);
	}
	for (bp = bd->bd_dirty; bp != NULL && n < max; bp = next) {
		next = bp->b_dnext;
		if (bp->b_order != order || (bp->b_flags & B_INFLIGHT) != 0)
			continue;
		/* Busy while the batch starts (the lock is dropped). */
		if (buf_take(bp))
			v[n++] = bp;
	}
	batch_sort(v, n);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && BCLUSTER_ROOM(j - i, v[i]->b_size) &&
		    v[j]->b_blkno == v[j - 1]->b_blkno + 1 &&
		    v[j]->b_size == v[i]->b_size; j++)
			;
		buf_start_cluster(v + i, j - i, 0);
	}
	for (i = 0; i < n; i++)
		buf_give(v[i]);
	if (v != stackv)
		kmem_free(v, sizeof(*v) * EVICT_BATCH);
}

/*
 * Makes room for size more bytes: evicts the least recently used clean
 * buffer that is not busy (one used since the last look goes to the
 * tail once more), or writes back the oldest dirty ones (file data
 * first, as it is ordered before metadata anyway).  Returns false after
 * sleeping or dropping the lock (the caller must look its buffer up
 * again), true when there is room or nothing more can be done (the
 * cache then goes over its limit rather than fail).  bcache_lock held,
 * no stripe lock.
 */
static bool
bcache_makeroom(size_t size)
{
	struct buf *bp, *victim;
	struct bstripe *st;
	unsigned budget = 2 * lru_clean.n + 2;
	bool inflight;

	while (bcache_bytes + size > bcache_max) {
		if ((bp = lru_clean.head) != NULL && budget > 0) {
			st = stripe_of(bp);
			mutex_enter(&st->bs_lock);
			if (bp->b_own & (B_BUSY | B_REF)) {
				if ((bp->b_own & B_BUSY) == 0)
					bp->b_own &= ~B_REF;
				lru_remove(bp);
				lru_append(bp);
				budget--;
			} else {
				buf_free(bp);
			}
			mutex_exit(&st->bs_lock);
			continue;
		}
		victim = NULL;
		inflight = false;
		for (bp = lru_dirty.head; bp != NULL; bp = bp->b_lnext) {
			if (bp->b_flags & B_INFLIGHT) {
				inflight = true;
				continue;
			}
			if (victim != NULL && bp->b_order >= victim->b_order)
				continue;
			if (buf_busy(bp))
				continue;
			victim = bp;
			if (victim->b_order == B_ORD_DATA)
				break;
		}
		if (victim != NULL) {
			bcache_flush_some(victim->b_dev, victim->b_order);
			return false;
		}
		if (!inflight)
			return true;
		cv_wait(&bcache_cv, &bcache_lock);
		return false;
	}
	return true;
}

/*
 * Finds or makes the buffer and makes it busy.  *foundp says whether it
 * was cached (its contents may still be invalid after a failed read);
 * *rap (if not NULL) whether it was read ahead and not used since.
 * bcache_lock held; dropped while waiting.
 */
static int
getblk_locked(struct blkdev *bd, uint64_t blkno, size_t size,
    struct buf **bpp, bool *foundp, bool *rap)
{
	struct bstripe *st;
	struct buf *bp, *spare = NULL;
	unsigned h;

	if (size == 0 || size % DEV_BSIZE != 0 || size > BMAXSIZE)
		return EINVAL;
	if (blkno >= bd->bd_size / size)
		return EIO;
	h = bhash_index(bd, blkno, size);
	st = stripe_of_bucket(h);
	for (;;) {
		mutex_enter(&st->bs_lock);
		bp = bhash_find_h(h, bd, blkno, size);
		if (bp != NULL) {
			if ((bp->b_own & B_BUSY) || (bp->b_flags & B_INFLIGHT)) {
				/* It may be freed meanwhile: look again. */
				lockstat_contended(&bbusy_lockstat);
				mutex_exit(&bcache_lock);
				cv_wait(&st->bs_cv, &st->bs_lock);
				mutex_exit(&st->bs_lock);
				mutex_enter(&bcache_lock);
				continue;
			}
			lockstat_acquired(&bbusy_lockstat);
			buf_forget_discarded(bp);
			if (rap != NULL)
				*rap = (bp->b_own & B_READAHEAD) != 0;
			bp->b_own |= B_BUSY | B_REF;
			mutex_exit(&st->bs_lock);
			if (spare != NULL)
				bpool_put(spare);
			*foundp = true;
			*bpp = bp;
			return 0;
		}
		mutex_exit(&st->bs_lock);
		if (!bcache_makeroom(size))
			continue;
		if (spare == NULL && (spare = bpool_get(size)) == NULL) {
			/* From the host, without the lock; then look
			 * again, someone may have added the block. */
			mutex_exit(&bcache_lock);
			spare = buf_alloc(size);
			mutex_enter(&bcache_lock);
			if (spare == NULL)
				return ENOMEM;
			continue;
		}
		break;
	}
	/* bcache_lock has been held since the lookup: nobody else can
	 * have added the block (additions take it). */
	bp = spare;
	bp->b_dev = bd;
	bp->b_blkno = blkno;
	bp->b_hidx = h;
	bp->b_own = B_BUSY;
	mutex_enter(&st->bs_lock);
	bp->b_hnext = bhash[h];
	bhash[h] = bp;
	mutex_exit(&st->bs_lock);
	lru_append(bp);
	bd->bd_nbufs++;
	bcache_bytes += size;
	*foundp = false;
	if (rap != NULL)
		*rap = false;
	*bpp = bp;
	return 0;
}

/*
 * The path without bcache_lock: a cached, valid buffer nobody owns is
 * made busy under its stripe lock alone.  False when the slow path must
 * do it (not cached, invalid, read ahead, or the arguments are wrong).
 * With zero (bget), an invalid one is taken too and made valid: nobody
 * but its owner looks at B_VALID of a busy buffer that is neither dirty
 * nor in flight, so the stripe lock is enough for that change (the
 * block a file system discarded when it freed it, allocated again).
 * The caller then clears its contents.
 */
static bool
bget_fast(struct blkdev *bd, uint64_t blkno, size_t size, bool zero,
    struct buf **bpp, bool *zerop)
{
	struct bstripe *st;
	struct buf *bp;
	unsigned h;

	if (size == 0 || size % DEV_BSIZE != 0 || size > BMAXSIZE ||
	    blkno >= bd->bd_size / size)
		return false;
	h = bhash_index(bd, blkno, size);
	st = stripe_of_bucket(h);
	mutex_enter(&st->bs_lock);
	for (;;) {
		bp = bhash_find_h(h, bd, blkno, size);
		if (bp == NULL)
			break;
		if ((bp->b_own & B_BUSY) || (bp->b_flags & B_INFLIGHT)) {
			lockstat_contended(&bbusy_lockstat);
			cv_wait(&st->bs_cv, &st->bs_lock);
			continue;
		}
		*zerop = false;
		if (bp->b_own & B_DISCARD) {
			/* Its block allocated again: the buffer stays dirty
			 * (on the lists it is on), its contents zeros.  Only
			 * in the data class: bdwrite never lowers a dirty
			 * buffer's class, so a freed directory or indirect
			 * block taken back as file data would be written
			 * with the metadata that points to it, not before;
			 * the slow path forgets it under bcache_lock. */
			if (!zero || bp->b_order != B_ORD_DATA)
				break;
			bp->b_own &= ~(B_DISCARD | B_READAHEAD);
			*zerop = true;
		} else if ((bp->b_flags & B_VALID) == 0) {
			if (!zero)
				break;
			KASSERT((bp->b_flags & B_DIRTY) == 0);
			bp->b_flags |= B_VALID;
			bp->b_own &= ~B_READAHEAD;
			*zerop = true;
		} else if (bp->b_own & B_READAHEAD) {
			break;
		}
		lockstat_acquired(&bbusy_lockstat);
		bp->b_own |= B_BUSY | B_REF;
		mutex_exit(&st->bs_lock);
		*bpp = bp;
		return true;
	}
	mutex_exit(&st->bs_lock);
	return false;
}

static bool
bread_fast(struct blkdev *bd, uint64_t blkno, size_t size, struct buf **bpp)
{
	bool zeroed;

	return bget_fast(bd, blkno, size, false, bpp, &zeroed);
}

/* Gives up a busy buffer; invalid ones are dropped.  bcache_lock held. */
static void
brelse_locked(struct buf *bp)
{
	struct bstripe *st = stripe_of(bp);

	mutex_enter(&st->bs_lock);
	KASSERT(bp->b_own & B_BUSY);
	buf_unown(bp, B_BUSY | B_READAHEAD);
	if ((bp->b_flags & B_VALID) == 0)
		buf_free(bp);
	mutex_exit(&st->bs_lock);
}

/* A buffer for a read-ahead of blkno, unless it is cached, out of
 * range or the cache is full (no waiting for room on behalf of a
 * guess); NULL then. */
static struct buf *
breadahead_buf(struct blkdev *bd, uint64_t blkno, size_t size)
{
	struct bstripe *st;
	struct buf *bp;
	bool found;

	if (blkno >= bd->bd_size / size || bhash_cached(bd, blkno, size))
		return NULL;
	if (bcache_bytes + size > bcache_max) {
		if ((bp = lru_clean.head) == NULL)
			return NULL;
		st = stripe_of(bp);
		mutex_enter(&st->bs_lock);
		if (bp->b_own & B_BUSY) {
			mutex_exit(&st->bs_lock);
			return NULL;
		}
		buf_free(bp);
		mutex_exit(&st->bs_lock);
	}
	if (getblk_locked(bd, blkno, size, &bp, &found, NULL) != 0)
		return NULL;
	if (found) {
		brelse_locked(bp);
		return NULL;
	}
	/* Busy until its read has started (ra_release): nothing may free
	 * it while a cluster is being gathered. */
	st = stripe_of(bp);
	mutex_enter(&st->bs_lock);
	bp->b_own = B_BUSY | B_READAHEAD;
	mutex_exit(&st->bs_lock);
	bd->bd_stats.bs_readahead++;
	return bp;
}

/* Starts the read of a gathered run and gives its buffers up: unowned
 * while in flight, whoever wants one waits for the read. */
static void
ra_start(struct buf **run, int n)
{
	int i;

	buf_start_cluster(run, n, 0);
	for (i = 0; i < n; i++)
		buf_give(run[i]);
}

/* Starts read-ahead of rablks[], consecutive ones as one transfer. */
static void
breadahead_locked(struct blkdev *bd, const uint64_t *rablks, int nra,
    size_t size)
{
	struct buf *run[BCLUSTER_MAX], *bp;
	int i, n = 0;

	for (i = 0; i < nra; i++) {
		if (n > 0 && (rablks[i] != run[n - 1]->b_blkno + 1 ||
		    !BCLUSTER_ROOM(n, size))) {
			ra_start(run, n);
			n = 0;
		}
		bp = breadahead_buf(bd, rablks[i], size);
		if (bp == NULL) {
			if (n > 0)
				ra_start(run, n);
			n = 0;
			continue;
		}
		run[n++] = bp;
	}
	if (n > 0)
		ra_start(run, n);
}

int
breadn(struct blkdev *bd, uint64_t blkno, size_t size,
    const uint64_t *rablks, int nra, struct buf **bpp)
{
	uint64_t devra[BDEV_READAHEAD];
	struct buf *bp;
	bool found, ra;
	int error, i;

	/* A hit with nothing to read ahead: the stripe lock only. */
	if (nra == 0 && bread_fast(bd, blkno, size, bpp)) {
		pcounter_add(&bd->bd_hits, 1);
		return 0;
	}
	mutex_enter(&bcache_lock);
	for (;;) {
		error = getblk_locked(bd, blkno, size, &bp, &found, &ra);
		if (error != 0)
			goto out;
		if (bp->b_flags & B_VALID) {
			pcounter_add(&bd->bd_hits, 1);
			/* A block read ahead is used: go on reading ahead
			 * before the window runs out. */
			if (ra && nra == 0) {
				bd->bd_seqnext = blkno + 1;
				if (blkno + 1 < bd->bd_size / size &&
				    !bhash_cached(bd, blkno + 1, size)) {
					for (i = 0; i < BDEV_READAHEAD; i++)
						devra[i] = blkno + 1 +
						    (uint64_t)i;
					rablks = devra;
					nra = BDEV_READAHEAD;
				}
			}
			break;
		}
		bd->bd_stats.bs_misses++;
		/* The caller gave no read-ahead, but the device is read
		 * sequentially (small files one after the other, inode
		 * tables): read ahead at the device's level. */
		if (nra == 0 && blkno != 0 && blkno == bd->bd_seqnext) {
			for (i = 0; i < BDEV_READAHEAD; i++)
				devra[i] = blkno + 1 + (uint64_t)i;
			rablks = devra;
			nra = BDEV_READAHEAD;
		}
		bd->bd_seqnext = blkno + 1;
		buf_start(bp, 0);
		/* Read-ahead goes out while this read is in flight. */
		breadahead_locked(bd, rablks, nra, size);
		nra = 0;
		buf_waitio(bp);
		if (bp->b_error != 0) {
			error = bp->b_error;
			brelse_locked(bp);
			goto out;
		}
		break;
	}
	breadahead_locked(bd, rablks, nra, size);
	*bpp = bp;
 out:
	mutex_exit(&bcache_lock);
	return error;
}

int
bread(struct blkdev *bd, uint64_t blkno, size_t size, struct buf **bpp)
{

	return breadn(bd, blkno, size, NULL, 0, bpp);
}

int
bget(struct blkdev *bd, uint64_t blkno, size_t size, struct buf **bpp)
{
	struct bstripe *st;
	struct buf *bp;
	bool found, zero;
	int error;

	if (bget_fast(bd, blkno, size, true, bpp, &zero)) {
		if (zero)
			memset((*bpp)->b_data, 0, size);
		return 0;
	}
	mutex_enter(&bcache_lock);
	error = getblk_locked(bd, blkno, size, &bp, &found, NULL);
	if (error == 0 && (bp->b_flags & B_VALID) == 0) {
		memset(bp->b_data, 0, size);
		st = stripe_of(bp);
		mutex_enter(&st->bs_lock);
		bp->b_flags |= B_VALID;
		mutex_exit(&st->bs_lock);
	}
	mutex_exit(&bcache_lock);
	if (error == 0)
		*bpp = bp;
	return error;
}

void
brelse(struct buf *bp)
{
	struct bstripe *st = stripe_of(bp);

	/* A valid buffer stays cached as it is: the stripe lock only (the
	 * owner reads its own flags; nobody changes them while it is
	 * busy and not in flight). */
	if (bp->b_flags & B_VALID) {
		mutex_enter(&st->bs_lock);
		KASSERT(bp->b_own & B_BUSY);
		buf_unown(bp, B_BUSY | B_READAHEAD);
		mutex_exit(&st->bs_lock);
		return;
	}
	mutex_enter(&bcache_lock);
	brelse_locked(bp);
	mutex_exit(&bcache_lock);
}

void
bdwrite(struct buf *bp, int order)
{
	struct blkdev *bd = bp->b_dev;
	struct bstripe *st = stripe_of(bp);

	/* Already dirty, in a class at least as late: nothing shared
	 * changes (it is on its device's dirty list and the dirty LRU),
	 * so the stripe lock is enough. */
	mutex_enter(&st->bs_lock);
	KASSERT(bp->b_flags & B_VALID);
	KASSERT(bp->b_own & B_BUSY);
	if ((bp->b_flags & B_DIRTY) && order <= bp->b_order) {
		buf_unown(bp, B_BUSY | B_READAHEAD);
		mutex_exit(&st->bs_lock);
		return;
	}
	mutex_exit(&st->bs_lock);
	mutex_enter(&bcache_lock);
	mutex_enter(&st->bs_lock);
	bp->b_flags |= B_DIRTY;
	if (!dirty_on(bp) || order > bp->b_order)
		bp->b_order = order;
	dirty_append(bp);
	lru_update(bp);
	buf_unown(bp, B_BUSY | B_READAHEAD);
	mutex_exit(&st->bs_lock);
	/*
	 * Early write-back of file data: with half the cache dirty, start
	 * writing the oldest data back while the writer goes on, instead
	 * of letting the writer find a cache full of dirty buffers and wait
	 * for a transfer at every new block.  Data may go out before the
	 * metadata that points to it at any time (that is the write-back
	 * order), so this changes only when, not in which order.
	 */
	if (order == B_ORD_DATA && bcache_dirty > bcache_max / 2 &&
	    bcache_inflight < bcache_max / 8)
		bcache_flush_some(bd, B_ORD_DATA);
	mutex_exit(&bcache_lock);
}

int
bwrite(struct buf *bp, int order)
{
	int error;

	struct bstripe *st = stripe_of(bp);

	mutex_enter(&bcache_lock);
	KASSERT(bp->b_flags & B_VALID);
	mutex_enter(&st->bs_lock);
	bp->b_order = order;
	mutex_exit(&st->bs_lock);
	buf_start(bp, 0);
	buf_waitio(bp);
	error = bp->b_error;
	if (error == 0 && bp->b_dev->bd_werror == error)
		bp->b_dev->bd_werror = 0;
	brelse_locked(bp);
	mutex_exit(&bcache_lock);
	return error;
}

void
bforget(struct buf *bp)
{
	struct bstripe *st = stripe_of(bp);

	mutex_enter(&bcache_lock);
	mutex_enter(&st->bs_lock);
	bp->b_flags &= ~(B_DIRTY | B_VALID);
	dirty_remove(bp);
	lru_update(bp);
	mutex_exit(&st->bs_lock);
	brelse_locked(bp);
	mutex_exit(&bcache_lock);
}

void
bdiscard(struct blkdev *bd, uint64_t blkno, size_t size)
{
	struct bstripe *st;
	struct buf *bp;
	unsigned h;

	if (size == 0 || size % DEV_BSIZE != 0 || size > BMAXSIZE ||
	    blkno >= bd->bd_size / size)
		return;
	h = bhash_index(bd, blkno, size);
	st = stripe_of_bucket(h);
	/* Most freed blocks are not cached, or cached dirty: the stripe
	 * lock is enough to see that, and to mark a dirty one (see the
	 * top).  A clean one moves to the head of its LRU list. */
	mutex_enter(&st->bs_lock);
	bp = bhash_find_h(h, bd, blkno, size);
	if (bp != NULL && (bp->b_own & B_BUSY) == 0 &&
	    (bp->b_flags & (B_INFLIGHT | B_DIRTY)) == B_DIRTY) {
		bp->b_own |= B_DISCARD;
		bp->b_own &= ~B_REF;
		bp = NULL;
	}
	mutex_exit(&st->bs_lock);
	if (bp == NULL)
		return;
	mutex_enter(&bcache_lock);
	mutex_enter(&st->bs_lock);
	bp = bhash_find_h(h, bd, blkno, size);
	if (bp != NULL && (bp->b_own & B_BUSY) == 0 &&
	    (bp->b_flags & B_INFLIGHT) == 0) {
		/* Kept, without contents: the block is usually allocated
		 * again soon (bget then reuses the memory), and until then
		 * it is the first to go when room is needed. */
		bp->b_flags &= ~(B_DIRTY | B_VALID);
		bp->b_own &= ~(B_REF | B_DISCARD);
		dirty_remove(bp);
		lru_remove(bp);
		lru_prepend(bp);
	}
	mutex_exit(&st->bs_lock);
	mutex_exit(&bcache_lock);
}

/* Sorts a batch by block number, so that the host sees ascending
 * offsets (insertion sort: batches are small). */
static void
batch_sort(struct buf **v, int n)
{
	struct buf *t;
	int i, j;

	for (i = 1; i < n; i++) {
		t = v[i];
		for (j = i; j > 0 && v[j - 1]->b_blkno > t->b_blkno; j--)
			v[j] = v[j - 1];
		v[j] = t;
	}
}

int
bsync(struct blkdev *bd, int flags)
{
	struct buf *stackv[64], **batch, *bp, *next;
	bool wrote;
	int order, n, i, j, error, herr, max = BSYNC_BATCH;

	/* A big batch keeps many transfers in flight (and long runs of
	 * consecutive blocks together); a small one still makes progress. */
	batch = kmem_alloc(sizeof(*batch) * BSYNC_BATCH, KM_NOSLEEP);
	if (batch == NULL) {
		batch = stackv;
		max = (int)__arraycount(stackv);
	}
	mutex_enter(&bcache_lock);
	for (order = B_ORD_DATA; order <= B_ORD_SUPER; order++) {
		wrote = false;
		for (;;) {
			n = 0;
			/* All made busy before the first start: the lock
			 * is dropped around each. */
			for (bp = bd->bd_dirty; bp != NULL && n < max;
			    bp = next) {
				next = bp->b_dnext;
				if (bp->b_order == order &&
				    (bp->b_flags & B_INFLIGHT) == 0 &&
				    buf_take(bp))
					batch[n++] = bp;
			}
			if (n == 0)
				break;
			batch_sort(batch, n);
			/* Runs of consecutive blocks go as one transfer. */
			for (i = 0; i < n; i = j) {
				for (j = i + 1; j < n &&
				    BCLUSTER_ROOM(j - i, batch[i]->b_size) &&
				    batch[j]->b_blkno == batch[j - 1]->b_blkno + 1 &&
				    batch[j]->b_size == batch[i]->b_size; j++)
					;
				buf_start_cluster(batch + i, j - i,
				    (order == B_ORD_SUPER &&
				    (flags & BSYNC_DURABLE)) ?
				    RUMPUSER_BIO_SYNC : 0);
			}
			for (i = 0; i < n; i++) {
				buf_waitio(batch[i]);
				brelse_locked(batch[i]);
			}
			wrote = true;
			/* Failed writes are dirty again: stop rather than
			 * retry forever. */
			if (bd->bd_werror != 0)
				break;
		}
		/* Every transfer of this class has completed before the
		 * next class starts: wait for write-backs started
		 * elsewhere too. */
		while (bd->bd_inflight > 0)
			cv_wait(&bcache_cv, &bcache_lock);
		if (bd->bd_werror != 0)
			break;
		if (wrote && (flags & BSYNC_DURABLE) && order < B_ORD_SUPER) {
			mutex_exit(&bcache_lock);
			herr = blk_hostsync(bd,
			    RUMPUSER_SYNCFD_WRITE | RUMPUSER_SYNCFD_BARRIER);
			mutex_enter(&bcache_lock);
			if (herr != 0 && bd->bd_werror == 0)
				bd->bd_werror = herr;
		}
	}
	error = bd->bd_werror;
	bd->bd_werror = 0;
	mutex_exit(&bcache_lock);
	if (batch != stackv)
		kmem_free(batch, sizeof(*batch) * BSYNC_BATCH);
	if (error == 0 && (flags & BSYNC_DURABLE) && bd->bd_hostrw) {
		error = blk_hostsync(bd, RUMPUSER_SYNCFD_WRITE |
		    RUMPUSER_SYNCFD_SYNC);
	}
	return error;
}

void
binval(struct blkdev *bd)
{
	struct buf *bp, *next;
	struct bstripe *st;

	mutex_enter(&bcache_lock);

	for (bp = lru_clean.head; bp != NULL; bp = next) {
		next = bp->b_lnext;
		if (bp->b_dev != bd)
			continue;
		st = stripe_of(bp);
		mutex_enter(&st->bs_lock);
		if ((bp->b_own & B_BUSY) == 0)
			buf_free(bp);
		mutex_exit(&st->bs_lock);
	}
	mutex_exit(&bcache_lock);
}

void
bcache_purge(struct blkdev *bd)
{
	struct buf *bp, *next;
	struct bstripe *st;

	mutex_enter(&bcache_lock);
	while (bd->bd_inflight > 0)
		cv_wait(&bcache_cv, &bcache_lock);
	for (bp = lru_dirty.head; bp != NULL; bp = next) {
		next = bp->b_lnext;
		if (bp->b_dev != bd)
			continue;
		st = stripe_of(bp);
		mutex_enter(&st->bs_lock);
		KASSERTMSG((bp->b_own & B_BUSY) == 0,
		    "bcache: busy buffer of %s at close", bd->bd_key);
		/* A write that failed for good: give up its data. */
		bp->b_flags &= ~B_DIRTY;
		dirty_remove(bp);
		buf_free(bp);
		mutex_exit(&st->bs_lock);
	}
	for (bp = lru_clean.head; bp != NULL; bp = next) {
		next = bp->b_lnext;
		if (bp->b_dev != bd)
			continue;
		st = stripe_of(bp);
		mutex_enter(&st->bs_lock);
		KASSERTMSG((bp->b_own & B_BUSY) == 0,
		    "bcache: busy buffer of %s at close", bd->bd_key);
		buf_free(bp);
		mutex_exit(&st->bs_lock);
	}
	KASSERTMSG(bd->bd_nbufs == 0, "bcache: %u busy buffers of %s at close",
	    bd->bd_nbufs, bd->bd_key);
	mutex_exit(&bcache_lock);
}
