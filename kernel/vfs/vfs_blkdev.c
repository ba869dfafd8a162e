/*
 * vfs_blkdev.c: block devices from host files (the etfs registry,
 * rump/rump_etfs.h) and synchronous transfers through rumpuser_bio.
 * The buffer cache on top of them is vfs_bio.c.
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/hyp.h>
#include <kern/kmem.h>
#include <kern/libkern.h>
#include <kern/lock.h>
#include <kern/component.h>
#include <rump/rump.h>
#include <rump/rump_etfs.h>
#include <vfs/buf.h>

#include "blk_private.h"

static kmutex_t etfs_lock;
static struct blkdev *etfs_list;	/* etfs_lock */

static struct blkdev *etfs_find(const char *key);

/* --- Synchronous transfers ---------------------------------------------- */

struct hostio_wait {
	bool	hw_done;
	int	hw_error;
	size_t	hw_transferred;
};

/* Completion upcall: runs on a platform thread holding a virtual CPU. */
static void
hostio_done(void *arg, size_t transferred, int error)
{
	struct hostio_wait *hw = arg;

	mutex_enter(&bcache_lock);
	hw->hw_transferred = transferred;
	hw->hw_error = error;
	hw->hw_done = true;
	cv_broadcast(&bcache_cv);
	mutex_exit(&bcache_lock);
}

int
blk_hostio(int fd, bool write, void *data, size_t len, uint64_t off)
{
	struct hostio_wait hw = { false, 0, 0 };

	if (len == 0)
		return 0;
	if (len % DEV_BSIZE != 0 || off % DEV_BSIZE != 0 ||
	    off > (uint64_t)INT64_MAX - len)
		return EINVAL;
	rumpuser_bio(fd, write ? RUMPUSER_BIO_WRITE : RUMPUSER_BIO_READ,
	    data, len, (int64_t)off, hostio_done, &hw);
	mutex_enter(&bcache_lock);
	while (!hw.hw_done)
		cv_wait(&bcache_cv, &bcache_lock);
	mutex_exit(&bcache_lock);
	if (hw.hw_error != 0)
		return hyp_errno(hw.hw_error);
	return hw.hw_transferred == len ? 0 : EIO;
}

int
blkdev_rw(struct blkdev *bd, bool write, void *data, size_t len,
    uint64_t off)
{

	if (len % DEV_BSIZE != 0 || off % DEV_BSIZE != 0)
		return EINVAL;
	if (off > bd->bd_size || len > bd->bd_size - off)
		return EIO;
	if (write && !bd->bd_writer)
		return EROFS;
	if (write) {
		int f;

		mutex_enter(&bcache_lock);
		f = blk_fault_check(bd, false);
		mutex_exit(&bcache_lock);
		if (f != 0)
			return f < 0 ? 0 : f;
	}
	return blk_hostio(bd->bd_fd, write, data, len, bd->bd_begin + off);
}

int
blk_hostsync(struct blkdev *bd, int flags)
{
	int f;

	mutex_enter(&bcache_lock);
	f = blk_fault_check(bd, true);
	mutex_exit(&bcache_lock);
	if (f != 0)
		return f < 0 ? 0 : f;
	return hyp_errno(rumpuser_syncfd(bd->bd_fd, flags, 0, 0));
}

/* --- Fault injection ---------------------------------------------------- */

int
blk_fault_check(struct blkdev *bd, bool barrier)
{
	uint64_t *count = barrier ? &bd->bd_fault.bf_barriers :
	    &bd->bd_fault.bf_writes;
	uint64_t max = barrier ? bd->bd_fmaxb : bd->bd_fmaxw;

	KASSERT(mutex_owned(&bcache_lock));
	if (bd->bd_fmode == BLK_FAULT_NONE) {
		(*count)++;
		return 0;
	}
	if (!bd->bd_fault.bf_tripped && *count < max) {
		(*count)++;
		return 0;
	}
	bd->bd_fault.bf_tripped = true;
	bd->bd_fault.bf_lost++;
	return bd->bd_fmode == BLK_FAULT_FAIL ? EIO : -1;
}

int
blk_fault_set(const char *key, int mode, uint64_t nwrites,
    uint64_t nbarriers)
{
	struct blkdev *bd;

	if (mode != BLK_FAULT_NONE && mode != BLK_FAULT_DROP &&
	    mode != BLK_FAULT_FAIL)
		return EINVAL;
	mutex_enter(&etfs_lock);
	bd = etfs_find(key);
	if (bd != NULL) {
		mutex_enter(&bcache_lock);
		bd->bd_fmode = mode;
		bd->bd_fmaxw = nwrites;
		bd->bd_fmaxb = nbarriers;
		memset(&bd->bd_fault, 0, sizeof(bd->bd_fault));
		mutex_exit(&bcache_lock);
	}
	mutex_exit(&etfs_lock);
	return bd != NULL ? 0 : ENXIO;
}

int
blk_fault_get(const char *key, struct blkfault *bf)
{
	struct blkdev *bd;

	mutex_enter(&etfs_lock);
	bd = etfs_find(key);
	if (bd != NULL) {
		mutex_enter(&bcache_lock);
		*bf = bd->bd_fault;
		mutex_exit(&bcache_lock);
	}
	mutex_exit(&etfs_lock);
	return bd != NULL ? 0 : ENXIO;
}

/* --- Devices ------------------------------------------------------------ */

static struct blkdev *
etfs_find(const char *key)
{
	struct blkdev *bd;

	for (bd = etfs_list; bd != NULL; bd = bd->bd_next)
		if (strcmp(bd->bd_key, key) == 0)
			return bd;
	return NULL;
}

int
blkdev_open(const char *key, int flags, struct blkdev **bdp)
{
	struct blkdev *bd;
	int error = 0;

	if (key == NULL || (flags & (BLK_READ | BLK_WRITE)) == 0)
		return EINVAL;
	mutex_enter(&etfs_lock);
	bd = etfs_find(key);
	if (bd == NULL) {
		error = ENXIO;
	} else if ((flags & BLK_WRITE) && !bd->bd_hostrw) {
		error = EROFS;
	} else if (bd->bd_writer ||
	    ((flags & BLK_WRITE) && bd->bd_readers > 0)) {
		error = EBUSY;
	} else if (flags & BLK_WRITE) {
		bd->bd_writer = true;
	} else {
		bd->bd_readers++;
	}
	mutex_exit(&etfs_lock);
	if (error == 0)
		*bdp = bd;
	return error;
}

int
blkdev_close(struct blkdev *bd)
{
	int error;

	error = bsync(bd, BSYNC_DURABLE);
	/* The host file may change before the next open (another tool,
	 * another mount): cached blocks would be stale then. */
	bcache_purge(bd);
	mutex_enter(&etfs_lock);
	if (bd->bd_writer)
		bd->bd_writer = false;
	else if (bd->bd_readers > 0)
		bd->bd_readers--;
	mutex_exit(&etfs_lock);
	return error;
}

uint64_t
blkdev_size(const struct blkdev *bd)
{

	return bd->bd_size;
}

const char *
blkdev_name(const struct blkdev *bd)
{

	return bd->bd_key;
}

bool
blkdev_writable(const struct blkdev *bd)
{

	return bd->bd_writer;
}

void
blkdev_stats(const struct blkdev *bd, struct blkstats *st)
{

	mutex_enter(&bcache_lock);
	*st = bd->bd_stats;
	mutex_exit(&bcache_lock);
	st->bs_hits = (uint64_t)pcounter_read(&bd->bd_hits);
}

/* --- The etfs registry (public API) ------------------------------------- */

#define ETFS_WHOLE	(-1)

static int
etfs_register(const char *key, const char *hostpath, int type,
    uint64_t begin, uint64_t size, int partno)
{
	struct blkdev *bd;
	uint64_t hostsize;
	int error, fd, ftype;
	bool rw = true;

	if (key == NULL || hostpath == NULL || key[0] != '/' ||
	    strnlen(key, ETFS_KEYMAX + 1) > ETFS_KEYMAX)
		return EINVAL;
	if (type != RUMP_ETFS_REG && type != RUMP_ETFS_BLK &&
	    type != RUMP_ETFS_CHR)
		return EINVAL;
	if (begin % DEV_BSIZE != 0 ||
	    (size != RUMP_ETFS_SIZE_ENDOFF && size % DEV_BSIZE != 0))
		return EINVAL;

	error = rumpuser_getfileinfo(hostpath, &hostsize, &ftype);
	if (error != 0)
		return hyp_errno(error);
	if (ftype == RUMPUSER_FT_DIR)
		return EISDIR;
	if (ftype != RUMPUSER_FT_REG && ftype != RUMPUSER_FT_BLK &&
	    ftype != RUMPUSER_FT_CHR)
		return ENOTBLK;
	error = rumpuser_open(hostpath, RUMPUSER_OPEN_RDWR |
	    RUMPUSER_OPEN_BIO, &fd);
	if (error != 0) {
		/* A read-only image still mounts read-only. */
		rw = false;
		error = rumpuser_open(hostpath, RUMPUSER_OPEN_RDONLY |
		    RUMPUSER_OPEN_BIO, &fd);
	}
	if (error != 0)
		return hyp_errno(error);
	/* The unit of every transfer is a sector: a partial last sector
	 * of an odd-sized image is out of reach. */
	hostsize -= hostsize % DEV_BSIZE;

	if (partno != ETFS_WHOLE) {
		error = blk_partition_find(fd, hostsize, partno, &begin, &size);
		if (error != 0)
			goto fail;
	} else {
		if (begin > hostsize) {
			error = EINVAL;
			goto fail;
		}
		if (size == RUMP_ETFS_SIZE_ENDOFF)
			size = hostsize - begin;
		if (size > hostsize - begin) {
			error = EINVAL;
			goto fail;
		}
	}

	bd = kmem_zalloc(sizeof(*bd), KM_SLEEP);
	if (bd == NULL) {
		error = ENOMEM;
		goto fail;
	}
	strlcpy(bd->bd_key, key, sizeof(bd->bd_key));
	bd->bd_fd = fd;
	bd->bd_hostrw = rw;
	bd->bd_begin = begin;
	bd->bd_size = size;
	mutex_enter(&etfs_lock);
	if (etfs_find(key) != NULL) {
		mutex_exit(&etfs_lock);
		kmem_free(bd, sizeof(*bd));
		error = EEXIST;
		goto fail;
	}
	bd->bd_next = etfs_list;
	etfs_list = bd;
	mutex_exit(&etfs_lock);
	return 0;
 fail:
	(void)rumpuser_close(fd);
	return error;
}

int
rump_etfs_register(const char *key, const char *hostpath,
    enum rump_etfs_type type)
{
	int error;

	rump_schedule();
	error = etfs_register(key, hostpath, (int)type, 0,
	    RUMP_ETFS_SIZE_ENDOFF, ETFS_WHOLE);
	rump_unschedule();
	return error;
}

int
rump_etfs_register_withsize(const char *key, const char *hostpath,
    enum rump_etfs_type type, uint64_t begin, uint64_t size)
{
	int error;

	rump_schedule();
	error = etfs_register(key, hostpath, (int)type, begin, size,
	    ETFS_WHOLE);
	rump_unschedule();
	return error;
}

int
rump_etfs_register_partition(const char *key, const char *hostpath,
    enum rump_etfs_type type, int partno)
{
	int error;

	if (partno < 1)
		return ENXIO;
	rump_schedule();
	error = etfs_register(key, hostpath, (int)type, 0, 0, partno);
	rump_unschedule();
	return error;
}

int
rump_etfs_remove(const char *key)
{
	struct blkdev *bd, **bdp;
	int error = ENOENT;

	if (key == NULL)
		return EINVAL;
	rump_schedule();
	mutex_enter(&etfs_lock);
	for (bdp = &etfs_list; (bd = *bdp) != NULL; bdp = &bd->bd_next) {
		if (strcmp(bd->bd_key, key) != 0)
			continue;
		if (bd->bd_writer || bd->bd_readers > 0) {
			error = EBUSY;
			break;
		}
		*bdp = bd->bd_next;
		error = 0;
		break;
	}
	mutex_exit(&etfs_lock);
	if (error == 0) {
		(void)rumpuser_close(bd->bd_fd);
		kmem_free(bd, sizeof(*bd));
	}
	rump_unschedule();
	return error;
}

RUMP_COMPONENT(RUMP_COMPONENT_VFS, blk_init)
{

	mutex_init(&etfs_lock, MUTEX_DEFAULT);
	bcache_init();
}
