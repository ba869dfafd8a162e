/*
 * blk_private.h: what the files of the block layer (vfs_blkdev.c,
 * vfs_bio.c, vfs_part.c) share.  File systems use <vfs/buf.h> only.
 */
#ifndef VFS_BLK_PRIVATE_H
#define VFS_BLK_PRIVATE_H

#include <kern/types.h>
#include <kern/lock.h>
#include <kern/pcounter.h>
#include <vfs/buf.h>

#define ETFS_KEYMAX	255

/*
 * A registered etfs key and the block device it gives.  Registry fields
 * are protected by etfs_lock; the cache fields by bcache_lock.
 */
struct blkdev {
	char		 bd_key[ETFS_KEYMAX + 1];
	int		 bd_fd;		/* host descriptor */
	bool		 bd_hostrw;	/* host opened it read-write */
	uint64_t	 bd_begin;	/* byte offset in the host file */
	uint64_t	 bd_size;	/* bytes, multiple of DEV_BSIZE */
	unsigned	 bd_readers;	/* etfs_lock */
	bool		 bd_writer;	/* etfs_lock */
	struct blkdev	*bd_next;	/* etfs_lock */

	struct pcounter	 bd_hits;	/* bs_hits, counted without a lock */
	/* bcache_lock */
	struct buf	*bd_dirty;	/* dirty buffers, oldest first */
	struct buf	*bd_dirtytail;
	unsigned	 bd_inflight;	/* transfers not yet completed */
	unsigned	 bd_nbufs;	/* buffers of this device cached */
	int		 bd_werror;	/* first write-back error not yet reported */
	uint64_t	 bd_seqnext;	/* block after the last one bread */
	struct blkstats	 bd_stats;
	/* Fault injection (blk_fault_set), bcache_lock. */
	int		 bd_fmode;
	uint64_t	 bd_fmaxw, bd_fmaxb;
	struct blkfault	 bd_fault;
};

/*
 * Fault injection: called before a write (barrier false) or a barrier
 * is handed to the host, bcache_lock held.  0: go ahead; -1: drop it
 * and report success; EIO: fail it.
 */
int	blk_fault_check(struct blkdev *bd, bool barrier);

/* Synchronous transfer on a host descriptor through rumpuser_bio: 0 or
 * an errno (EIO for a short transfer). */
int	blk_hostio(int fd, bool write, void *data, size_t len, uint64_t off);
/* rumpuser_syncfd of bd's host file with flags, through the fault
 * injection hook (a barrier); bcache_lock not held.  0 or an errno. */
int	blk_hostsync(struct blkdev *bd, int flags);

/* Finds partition partno of the table on host descriptor fd (hostsize
 * bytes): its byte offset and size.  ENXIO / EINVAL as rump_etfs.h says. */
int	blk_partition_find(int fd, uint64_t hostsize, int partno,
	    uint64_t *beginp, uint64_t *sizep);

/* The cache's lock and condition variable (all devices; the hash
 * chains have stripe locks of their own, see vfs_bio.c). */
extern kmutex_t bcache_lock;
extern kcondvar_t bcache_cv;
void	bcache_init(void);
/* Frees every buffer of bd; none may be busy, dirty or in flight. */
void	bcache_purge(struct blkdev *bd);

#endif /* VFS_BLK_PRIVATE_H */
