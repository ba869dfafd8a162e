/*
 * vfs_bio.c: the buffer cache (contract in <vfs/buf.h>).
 *
 * One lock (bcache_lock) protects the hash of buffers, the LRU list of
 * buffers nobody owns, every device's dirty list and the flags of
 * buffers; one condition variable (bcache_cv) wakes everyone who waits
 * for a buffer or a transfer.  I/O is started with the lock dropped
 * (rumpuser_bio may wait for room in the platform's queue, and its
 * completions take the lock), and a buffer in flight is marked
 * B_INFLIGHT so that nobody touches its data meanwhile.
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
static LOCKSTAT_CLASS(bbusy_lockstat, "busy buffer");

kmutex_t bcache_lock;
kcondvar_t bcache_cv;

/* Buckets: the default cache holds 8,192 blocks of 4 KiB or 32,768 of
 * 1 KiB; chains stay short either way. */
#define BHASH_SIZE	16384
#define BCACHE_DEFAULT	((uint64_t)32 << 20)
#define BSYNC_BATCH	2048	/* writes started per round of bsync */

static struct buf *bhash[BHASH_SIZE];
/*
 * Buffers nobody owns are on one of two LRU lists, oldest first: clean
 * ones (evictable at once) and those dirty or in flight.  Two lists keep
 * finding room O(1): with one list, a cache full of dirty buffers (a big
 * copy in) was scanned end to end for every new block.
 */
struct buf_lru {
	struct buf	*head, *tail;
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

	mutex_init(&bcache_lock, MUTEX_DEFAULT);
	mutex_setstat(&bcache_lock, &bcache_lockstat);
	cv_init(&bcache_cv);
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

static unsigned
bhash_index(const struct blkdev *bd, uint64_t blkno, size_t size)
{
	uint64_t h;

	h = (uint64_t)(uintptr_t)bd * 0x9e3779b97f4a7c15ULL;
	h ^= (blkno + (size >> 9)) * 0xc2b2ae3d27d4eb4fULL;
	return (unsigned)(h >> 40) % BHASH_SIZE;
}

static struct buf *
bhash_find(struct blkdev *bd, uint64_t blkno, size_t size)
{
	struct buf *bp;

	for (bp = bhash[bhash_index(bd, blkno, size)]; bp != NULL;
	    bp = bp->b_hnext)
		if (bp->b_dev == bd && bp->b_blkno == blkno &&
		    bp->b_size == size)
			return bp;
	return NULL;
}

static void
bhash_remove(struct buf *bp)
{
	struct buf **bpp;

	for (bpp = &bhash[bhash_index(bp->b_dev, bp->b_blkno, bp->b_size)];
	    *bpp != NULL; bpp = &(*bpp)->b_hnext) {
		if (*bpp == bp) {
			*bpp = bp->b_hnext;
			return;
		}
	}
	panic("bcache: buffer not in hash");
}

/* LRU: buffers nobody owns (busy ones are off the lists). */
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
}

/* After a change of B_DIRTY or B_INFLIGHT: an unowned buffer moves to
 * the list it now belongs on. */
static void
lru_update(struct buf *bp)
{

	if (bp->b_lru != NULL && bp->b_lru != lru_of(bp)) {
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

static void
buf_free(struct buf *bp)
{

	KASSERT((bp->b_flags & (B_INFLIGHT | B_DIRTY)) == 0);
	lru_remove(bp);
	dirty_remove(bp);
	bhash_remove(bp);
	bp->b_dev->bd_nbufs--;
	bcache_bytes -= bp->b_size;
	kmem_free(bp->b_data, bp->b_size);
	kmem_free(bp, sizeof(*bp));
}

/* --- Transfers ---------------------------------------------------------- */

/* Finishes the transfer of one buffer; bcache_lock held. */
static void
buf_done_locked(struct buf *bp, int error)
{
	struct blkdev *bd = bp->b_dev;

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
	cv_broadcast(&bcache_cv);
	mutex_exit(&bcache_lock);
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

	mutex_enter(&bcache_lock);
	if (error != 0)
		error = hyp_errno(error);
	else if (transferred != c->bc_len)
		error = EIO;
	for (i = 0; i < c->bc_n; i++) {
		bp = c->bc_bufs[i];
		if (!c->bc_write && error == 0)
			memcpy(bp->b_data, c->bc_data + (size_t)i * bp->b_size,
			    bp->b_size);
		buf_done_locked(bp, error);
	}
	cluster_put(c);
	cv_broadcast(&bcache_cv);
	mutex_exit(&bcache_lock);
}

/*
 * Starts a transfer of bp (B_VALID set: write; clear: read).  Called and
 * returns with bcache_lock held; drops it around the hypercall.
 */
/* Marks bp in flight and counts it; bcache_lock held. */
static void
buf_mark_inflight(struct buf *bp)
{
	struct blkdev *bd = bp->b_dev;

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
		if (write)
			memcpy(c->bc_data + (size_t)i * size, v[i]->b_data,
			    size);
	}
	fault = write ? blk_fault_check(bd, false) : 0;
	mutex_exit(&bcache_lock);
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
	struct buf *stackv[64], **v, *bp;
	int max = EVICT_BATCH, n = 0, i, j;

	v = kmem_alloc(sizeof(*v) * EVICT_BATCH, KM_NOSLEEP);
	if (v == NULL) {
		v = stackv;
		max = (int)__arraycount(stackv);
	}
	for (bp = bd->bd_dirty; bp != NULL && n < max; bp = bp->b_dnext) {
		if (bp->b_order != order ||
		    (bp->b_flags & (B_BUSY | B_INFLIGHT)) != 0)
			continue;
		/* Busy while the batch starts (the lock is dropped). */
		lru_remove(bp);
		bp->b_flags |= B_BUSY;
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
	for (i = 0; i < n; i++) {
		v[i]->b_flags &= ~B_BUSY;
		lru_append(v[i]);
	}
	cv_broadcast(&bcache_cv);
	if (v != stackv)
		kmem_free(v, sizeof(*v) * EVICT_BATCH);
}

/*
 * Makes room for size more bytes: evicts the least recently used clean
 * buffer, or writes back the oldest dirty one (file data first, as it
 * is ordered before metadata anyway).  Returns false after sleeping
 * (the caller must look its buffer up again), true when there is room
 * or nothing more can be done (the cache then goes over its limit
 * rather than fail).
 */
static bool
bcache_makeroom(size_t size)
{
	struct buf *bp, *victim;
	bool inflight;

	while (bcache_bytes + size > bcache_max) {
		if ((bp = lru_clean.head) != NULL) {
			buf_free(bp);
			continue;
		}
		victim = NULL;
		inflight = false;
		for (bp = lru_dirty.head; bp != NULL; bp = bp->b_lnext) {
			if (bp->b_flags & B_INFLIGHT) {
				inflight = true;
				continue;
			}
			if (victim == NULL || bp->b_order < victim->b_order)
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
 * was cached (its contents may still be invalid after a failed read).
 */
static int
getblk_locked(struct blkdev *bd, uint64_t blkno, size_t size,
    struct buf **bpp, bool *foundp)
{
	struct buf *bp;

	if (size == 0 || size % DEV_BSIZE != 0 || size > BMAXSIZE)
		return EINVAL;
	if (blkno >= bd->bd_size / size)
		return EIO;
	for (;;) {
		bp = bhash_find(bd, blkno, size);
		if (bp != NULL) {
			if (bp->b_flags & (B_BUSY | B_INFLIGHT)) {
				/* It may be freed meanwhile: look again. */
				lockstat_contended(&bbusy_lockstat);
				cv_wait(&bcache_cv, &bcache_lock);
				continue;
			}
			lockstat_acquired(&bbusy_lockstat);
			lru_remove(bp);
			bp->b_flags |= B_BUSY;
			*foundp = true;
			*bpp = bp;
			return 0;
		}
		if (!bcache_makeroom(size))
			continue;
		break;
	}
	bp = kmem_zalloc(sizeof(*bp), KM_SLEEP);
	if (bp == NULL)
		return ENOMEM;
	bp->b_data = kmem_alloc(size, KM_SLEEP);
	if (bp->b_data == NULL) {
		kmem_free(bp, sizeof(*bp));
		return ENOMEM;
	}
	bp->b_dev = bd;
	bp->b_blkno = blkno;
	bp->b_size = size;
	bp->b_flags = B_BUSY;
	bp->b_hnext = bhash[bhash_index(bd, blkno, size)];
	bhash[bhash_index(bd, blkno, size)] = bp;
	bd->bd_nbufs++;
	bcache_bytes += size;
	*foundp = false;
	*bpp = bp;
	return 0;
}

/* Gives up a busy buffer; invalid ones are dropped. */
static void
brelse_locked(struct buf *bp)
{

	KASSERT(bp->b_flags & B_BUSY);
	bp->b_flags &= ~(B_BUSY | B_READAHEAD);
	if ((bp->b_flags & B_VALID) == 0) {
		buf_free(bp);
	} else {
		lru_append(bp);
	}
	cv_broadcast(&bcache_cv);
}

/* A buffer for a read-ahead of blkno, unless it is cached, out of
 * range or the cache is full (no waiting for room on behalf of a
 * guess); NULL then. */
static struct buf *
breadahead_buf(struct blkdev *bd, uint64_t blkno, size_t size)
{
	struct buf *bp;
	bool found;

	if (blkno >= bd->bd_size / size || bhash_find(bd, blkno, size) != NULL)
		return NULL;
	if (bcache_bytes + size > bcache_max) {
		if ((bp = lru_clean.head) == NULL)
			return NULL;
		buf_free(bp);
	}
	if (getblk_locked(bd, blkno, size, &bp, &found) != 0)
		return NULL;
	if (found) {
		brelse_locked(bp);
		return NULL;
	}
	/* Busy until its read has started (ra_release): nothing may free
	 * it while a cluster is being gathered. */
	bp->b_flags = B_BUSY | B_READAHEAD;
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
	for (i = 0; i < n; i++) {
		run[i]->b_flags &= ~B_BUSY;
		lru_append(run[i]);
	}
	cv_broadcast(&bcache_cv);
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
	bool found;
	int error, i;

	mutex_enter(&bcache_lock);
	for (;;) {
		error = getblk_locked(bd, blkno, size, &bp, &found);
		if (error != 0)
			goto out;
		if (bp->b_flags & B_VALID) {
			bd->bd_stats.bs_hits++;
			/* A block read ahead is used: go on reading ahead
			 * before the window runs out. */
			if ((bp->b_flags & B_READAHEAD) && nra == 0) {
				bd->bd_seqnext = blkno + 1;
				if (blkno + 1 < bd->bd_size / size &&
				    bhash_find(bd, blkno + 1, size) == NULL) {
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
	struct buf *bp;
	bool found;
	int error;

	mutex_enter(&bcache_lock);
	error = getblk_locked(bd, blkno, size, &bp, &found);
	if (error == 0 && (bp->b_flags & B_VALID) == 0) {
		memset(bp->b_data, 0, size);
		bp->b_flags |= B_VALID;
	}
	mutex_exit(&bcache_lock);
	if (error == 0)
		*bpp = bp;
	return error;
}

void
brelse(struct buf *bp)
{

	mutex_enter(&bcache_lock);
	brelse_locked(bp);
	mutex_exit(&bcache_lock);
}

void
bdwrite(struct buf *bp, int order)
{
	struct blkdev *bd = bp->b_dev;

	mutex_enter(&bcache_lock);
	KASSERT(bp->b_flags & B_VALID);
	bp->b_flags |= B_DIRTY;
	if (!dirty_on(bp) || order > bp->b_order)
		bp->b_order = order;
	dirty_append(bp);
	brelse_locked(bp);
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

	mutex_enter(&bcache_lock);
	KASSERT(bp->b_flags & B_VALID);
	bp->b_order = order;
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

	mutex_enter(&bcache_lock);
	bp->b_flags &= ~B_DIRTY;
	dirty_remove(bp);
	bp->b_flags &= ~B_VALID;
	brelse_locked(bp);
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
	struct buf *stackv[64], **batch, *bp;
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
			for (bp = bd->bd_dirty; bp != NULL && n < max;
			    bp = bp->b_dnext)
				if (bp->b_order == order &&
				    (bp->b_flags & (B_BUSY | B_INFLIGHT)) == 0)
					batch[n++] = bp;
			if (n == 0)
				break;
			batch_sort(batch, n);
			/* Mark them all first: the lock is dropped around
			 * each start. */
			for (i = 0; i < n; i++) {
				lru_remove(batch[i]);
				batch[i]->b_flags |= B_BUSY;
			}
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

	mutex_enter(&bcache_lock);
	for (bp = lru_clean.head; bp != NULL; bp = next) {
		next = bp->b_lnext;
		if (bp->b_dev == bd)
			buf_free(bp);
	}
	mutex_exit(&bcache_lock);
}

void
bcache_purge(struct blkdev *bd)
{
	struct buf *bp, *next;

	mutex_enter(&bcache_lock);
	while (bd->bd_inflight > 0)
		cv_wait(&bcache_cv, &bcache_lock);
	for (bp = lru_dirty.head; bp != NULL; bp = next) {
		next = bp->b_lnext;
		if (bp->b_dev != bd)
			continue;
		/* A write that failed for good: give up its data. */
		bp->b_flags &= ~B_DIRTY;
		dirty_remove(bp);
		buf_free(bp);
	}
	for (bp = lru_clean.head; bp != NULL; bp = next) {
		next = bp->b_lnext;
		if (bp->b_dev == bd)
			buf_free(bp);
	}
	KASSERTMSG(bd->bd_nbufs == 0, "bcache: %u busy buffers of %s at close",
	    bd->bd_nbufs, bd->bd_key);
	mutex_exit(&bcache_lock);
}
