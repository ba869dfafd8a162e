/*
 * buf.h: block devices and the buffer cache (the contract between disk
 * file systems and the block layer).
 *
 * Where it lives: in the VFS faction (kernel/vfs/vfs_blk*.c, vfs_bio.c,
 * vfs_etfs.c, vfs_part.c), not in a kernel/dev faction.  Every disk file
 * system needs it and nothing else does, as with NetBSD's vfs_bio.c; and
 * a file system component (kernel/fs/<name>) requires exactly rumpvfs, so
 * a program links "rumpfs_ext2fs" and gets the block layer with it.
 *
 * Block devices.  A block device is a byte range of a host file or host
 * block device registered with rump_etfs_register*() (rump/rump_etfs.h)
 * under a key; file systems open it by that key (their mount source).
 * All data I/O goes through the asynchronous rumpuser_bio hypercall;
 * several requests are in flight at once (read-ahead, write-back), each
 * finished by a completion upcall.  Transfers are in whole 512-byte
 * sectors.  Nothing beyond the device's size is ever read or written:
 * such a request fails with EIO before reaching the host, so a file
 * system may pass block numbers from a hostile image unchecked.
 *
 * The buffer cache holds fixed-size blocks of a device.  A buffer is
 * named by (device, blkno, size): blkno counts units of size bytes from
 * the start of the device.  A file system picks one size per device (its
 * block size) and sticks to it; buffers of different sizes that overlap
 * are not kept coherent (call bsync() and binval() before changing the
 * size, e.g. after reading a superblock with a smaller size).
 *
 * Every buffer handed out is "busy": owned by the caller until it gives
 * it back with brelse() (unchanged), bdwrite() (changed, written later)
 * or bwrite() (changed, written now).  Another caller asking for a busy
 * buffer waits.  A caller may hold several buffers; to avoid deadlock
 * between threads, take buffers of one device in an order of your own
 * (file systems here are already serialised by their mount lock).
 *
 * Write-back order: every dirty buffer has an order class (B_ORD_DATA <
 * B_ORD_META < B_ORD_SUPER).  bsync() writes all dirty buffers of a
 * class, waits until the host has them, then goes on to the next class,
 * and finally asks the host for stable storage (write barrier +
 * RUMPUSER_BIO_SYNC semantics) when BSYNC_DURABLE is given.  So data
 * reaches the disk before the metadata that points at it, and the
 * superblock (free counts, clean flag) last.
 *
 * Memory: the cache keeps at most bcache_max bytes of buffers (default
 * 32 MiB, or a quarter of RUMP_MEMLIMIT when that is smaller); past it,
 * clean buffers are evicted least recently used first, and dirty ones
 * are written back (oldest first) to make room.
 *
 * Locking: the block layer has its own locks; any thread may call it.
 * Functions that wait (for I/O or a busy buffer) may sleep: never call
 * them holding a spin mutex.
 *
 * Errors are positive Linux errno values: EIO for a failed or
 * out-of-range transfer, ENOMEM when no buffer can be allocated.
 */
#ifndef VFS_BUF_H
#define VFS_BUF_H

#include <kern/types.h>

struct blkdev;

#define DEV_BSIZE	512		/* sector: the unit of every transfer */

/* --- Block devices ------------------------------------------------------ */

/* Flags of blkdev_open. */
#define BLK_READ	0x01
#define BLK_WRITE	0x02

/*
 * Opens the device registered under key (an etfs key such as
 * "/dev/disk0").  BLK_WRITE needs a device the host opened read-write
 * (EROFS otherwise).  A device is opened by at most one writer, or by
 * any number of readers (EBUSY otherwise): two mounts never share one
 * disk.  ENXIO when no such key is registered.
 */
int	 blkdev_open(const char *key, int flags, struct blkdev **bdp);
/* Writes back everything (bsync(bd, BSYNC_DURABLE)), drops the device's
 * buffers and closes it.  Returns the first write error, if any. */
int	 blkdev_close(struct blkdev *bd);
/* Size in bytes (a multiple of DEV_BSIZE). */
uint64_t blkdev_size(const struct blkdev *bd);
/* The key the device was opened by (for messages). */
const char *blkdev_name(const struct blkdev *bd);
/* True when it was opened with BLK_WRITE. */
bool	 blkdev_writable(const struct blkdev *bd);

/*
 * Uncached synchronous transfer of len bytes at byte offset off, both
 * multiples of DEV_BSIZE; read (write false) or write.  Bypasses the
 * cache: the caller must not have cached buffers of the same range
 * dirty (superblock probes, big sequential transfers).  EIO past the end.
 */
int	 blkdev_rw(struct blkdev *bd, bool write, void *data, size_t len,
	    uint64_t off);

/* --- Buffers ------------------------------------------------------------ */

struct buf {
	struct blkdev	*b_dev;
	uint64_t	 b_blkno;	/* in units of b_size */
	size_t		 b_size;	/* multiple of DEV_BSIZE, <= 64 KiB */
	void		*b_data;	/* b_size bytes, owned by the cache */
	int		 b_flags;	/* B_VALID, B_DIRTY, B_INFLIGHT */
	int		 b_order;	/* B_ORD_* class when dirty */
	/* Private to the cache. */
	int		 b_own;		/* B_BUSY, B_READAHEAD, B_REF, B_DISCARD */
	unsigned	 b_hidx;	/* hash bucket */
	int		 b_error;
	unsigned	 b_wanted;
	uint64_t	 b_dirtyseq;
	struct buf	*b_hnext;
	struct buf	*b_lnext, *b_lprev;
	struct buf_lru	*b_lru;		/* the LRU list it is on, or NULL */
	struct buf	*b_dnext, *b_dprev;
};
#define B_BUSY		0x0001	/* owned by a caller */
#define B_VALID		0x0002	/* b_data holds the block's contents */
#define B_DIRTY		0x0004	/* to be written back */
#define B_INFLIGHT	0x0008	/* a transfer is in progress */
#define B_READAHEAD	0x0010	/* read in ahead of use */
#define B_REF		0x0020	/* used since the LRU last looked */
#define B_DISCARD	0x0040	/* dirty, but the contents are forgotten */

#define B_ORD_DATA	0	/* file contents */
#define B_ORD_META	1	/* inodes, bitmaps, directories, indirects */
#define B_ORD_SUPER	2	/* superblock, group descriptors: last */

#define BMAXSIZE	65536

/*
 * bread: the block's contents, read from the device unless cached.
 * On success *bpp is busy and B_VALID.  EIO (nothing returned) when the
 * block lies past the end of the device or the read failed.
 */
int	 bread(struct blkdev *bd, uint64_t blkno, size_t size,
	    struct buf **bpp);
/*
 * breadn: bread, and starts asynchronous reads of the nra blocks
 * rablks[] (same size) that are not cached yet, without waiting for
 * them (read-ahead for sequential reads).  Out-of-range read-ahead
 * blocks are silently skipped.
 */
int	 breadn(struct blkdev *bd, uint64_t blkno, size_t size,
	    const uint64_t *rablks, int nra, struct buf **bpp);
/*
 * bget: the block's buffer without reading it, for a caller that will
 * overwrite all of it.  If it was cached it keeps its contents (B_VALID);
 * otherwise b_data is zero-filled and B_VALID is set.  EIO past the end.
 */
int	 bget(struct blkdev *bd, uint64_t blkno, size_t size,
	    struct buf **bpp);
/* Gives the buffer back unchanged (still cached). */
void	 brelse(struct buf *bp);
/* Gives the buffer back changed: it is written back later, in order
 * class order (B_ORD_*), by bsync() or to make room. */
void	 bdwrite(struct buf *bp, int order);
/* Gives the buffer back changed and writes it now; waits for the host.
 * Returns the write error (the buffer stays dirty on error). */
int	 bwrite(struct buf *bp, int order);
/*
 * Forgets the contents of block blkno if it is cached and neither busy
 * nor being transferred, dirty or not: they will never be written (the
 * buffer stays, invalid, for bget to reuse, or is evicted first).
 * For a file system freeing the block (a removed file's data need not
 * reach the disk); call it before the block can be allocated again.
 */
void	 bdiscard(struct blkdev *bd, uint64_t blkno, size_t size);
/* Gives the buffer back and forgets it (its contents are of no use,
 * e.g. a freed block): a dirty buffer is not written. */
void	 bforget(struct buf *bp);

/*
 * bsync: writes every dirty buffer of bd back, class by class (data,
 * then metadata, then superblock), several requests in flight, waiting
 * for each class before the next.  With BSYNC_DURABLE, the last class is
 * written with RUMPUSER_BIO_SYNC and the host file is synchronised
 * (barrier) before returning, so everything is on stable storage (fsync,
 * fdatasync, sync(2), unmount).  Returns the first error.
 */
#define BSYNC_DURABLE	0x01
int	 bsync(struct blkdev *bd, int flags);
/* Drops every cached buffer of bd that is neither busy nor dirty. */
void	 binval(struct blkdev *bd);

/* Statistics, for tests: transfers issued to the host for bd. */
struct blkstats {
	uint64_t	bs_reads, bs_writes;	/* requests */
	uint64_t	bs_readahead;		/* of bs_reads, read-ahead */
	uint64_t	bs_hits, bs_misses;	/* bread/breadn lookups */
	uint64_t	bs_maxinflight;		/* most requests at once */
};
void	 blkdev_stats(const struct blkdev *bd, struct blkstats *st);

/* Byte limit of the cache (all devices); 0 restores the default. */
void	 bcache_setmax(uint64_t bytes);

/*
 * Fault injection, for crash-consistency tests: the block device
 * registered under key stops writing after a given number of write
 * requests or barriers, as a disk does when power is cut (or when it
 * dies).  Counted are the requests the block layer hands to the host:
 * every rumpuser_bio write (a cluster of consecutive blocks is one
 * request; blkdev_rw counts too) and every barrier or cache flush it
 * asks of the host (rumpuser_syncfd).  A request is let through while
 * fewer than nwrites writes and fewer than nbarriers barriers were let
 * through since blk_fault_set; the first one past either limit "trips"
 * the device, and from then on, until the next blk_fault_set:
 *   BLK_FAULT_DROP  writes and barriers are dropped and reported done
 *                   (the host file keeps what the disk had at the cut;
 *                   the file system carries on, unaware);
 *   BLK_FAULT_FAIL  writes and barriers fail with EIO.
 * Reads always work.  BLK_FAULT_NONE (or limits of UINT64_MAX) only
 * counts, so that a test can measure how many requests a workload makes
 * and then crash it at each point.  The state belongs to the key and
 * outlives mounts; rump_etfs_remove forgets it.  ENXIO: no such key.
 */
#define BLK_FAULT_NONE	0
#define BLK_FAULT_DROP	1
#define BLK_FAULT_FAIL	2
struct blkfault {
	uint64_t	bf_writes;	/* write requests let through */
	uint64_t	bf_barriers;	/* barriers let through */
	uint64_t	bf_lost;	/* requests dropped or failed */
	bool		bf_tripped;	/* the limit was reached */
};
int	 blk_fault_set(const char *key, int mode, uint64_t nwrites,
	    uint64_t nbarriers);
int	 blk_fault_get(const char *key, struct blkfault *bf);

#endif /* VFS_BUF_H */
