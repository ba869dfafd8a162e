/*
 * vfs_file.c: open file descriptions (struct file) and I/O on the vnodes
 * they refer to.
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/kmem.h>
#include <kern/libkern.h>
#include <kern/lock.h>
#include <kern/proc.h>
#include <kern/qsbr.h>
#include <vfs/vnode.h>
#include <vfs/mount.h>
#include <vfs/abi.h>
#include <vfs/file.h>
#include <vfs/poll.h>
#include <vfs/vfs.h>
#include <kern/syscall.h>

/* Contention statistics (kern/lock.h). */
static LOCKSTAT_CLASS(offlock_lockstat, "file offset");

/*
 * Free files kept per virtual CPU, their offset lock still set up.  Each
 * open made a file: a host allocation for it and one for its lock (with
 * the host's mutex initialisation), freed again at the last close; with
 * two threads those frees went through the host malloc's slow paths
 * (bench_scale).  A file comes here from qsbr, so no lockless lookup
 * can still see it; the holder of a CPU is the only user of its cache.
 */
#define FCACHE_NCPU	64	/* CPUs beyond go to kmem directly */
#define FCACHE_DEPTH	32
struct fcache {
	struct file	*fc_free;	/* linked through f_data */
	int		 fc_n;
} __attribute__((__aligned__(64)));
static struct fcache fcache[FCACHE_NCPU];

/* The cache of the caller's virtual CPU, or NULL (none held). */
static struct fcache *
fcache_cur(void)
{
	struct lwp *l = curlwp;

	if (l == NULL || l->l_cpu == NULL ||
	    l->l_cpu->ci_index >= FCACHE_NCPU)
		return NULL;
	return &fcache[l->l_cpu->ci_index];
}

int
file_alloc(struct file **fpp)
{
	struct fcache *fc = fcache_cur();
	struct file *fp;
	kmutex_t lock;

	if (fc != NULL && fc->fc_n > 0) {
		fp = fc->fc_free;
		fc->fc_free = fp->f_data;
		fc->fc_n--;
		lock = fp->f_offlock;
		memset(fp, 0, sizeof(*fp));
		fp->f_offlock = lock;
	} else {
		fp = kmem_zalloc(sizeof(*fp), KM_SLEEP);
		if (fp == NULL)
			return ENOMEM;
		mutex_init(&fp->f_offlock, MUTEX_DEFAULT);
		mutex_setstat(&fp->f_offlock, &offlock_lockstat);
	}
	fp->f_count = 1;
	*fpp = fp;
	return 0;
}

void
file_hold(struct file *fp)
{

	__atomic_fetch_add(&fp->f_count, 1, __ATOMIC_RELAXED);
}

bool
file_tryhold(struct file *fp)
{
	unsigned n;

	/* Acquire when refused: the caller then sees the slot that held
	 * fp emptied (the table drops its reference after that). */
	n = __atomic_load_n(&fp->f_count, __ATOMIC_ACQUIRE);
	do {
		if (n == 0)
			return false;
	} while (!__atomic_compare_exchange_n(&fp->f_count, &n, n + 1, true,
	    __ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE));
	return true;
}

static void
file_free(struct qsbr_entry *e)
{
	struct file *fp = container_of(e, struct file, f_qsbr);
	struct fcache *fc = fcache_cur();

	if (fc != NULL && fc->fc_n < FCACHE_DEPTH) {
		fp->f_data = fc->fc_free;
		fc->fc_free = fp;
		fc->fc_n++;
		return;
	}
	mutex_destroy(&fp->f_offlock);
	kmem_free(fp, sizeof(*fp));
}

void
file_release(struct file *fp)
{

	if (__atomic_sub_fetch(&fp->f_count, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	/* Linux drops epoll registrations when the file itself goes, not
	 * when one of its descriptors is closed. */
	if (__atomic_load_n(&fp->f_epitems, __ATOMIC_ACQUIRE) != NULL)
		epoll_file_closed(fp);
	/* f_ops is NULL when the file never got an object (failed open). */
	if (fp->f_ops != NULL)
		fp->f_ops->fo_close(fp);
	/* A lockless fd_getfile may still be about to try its count. */
	qsbr_retire(&fp->f_qsbr, file_free);
}

int
file_flags(struct file *fp)
{

	return __atomic_load_n(&fp->f_flag, __ATOMIC_RELAXED);
}

void
file_setflags(struct file *fp, int mask, int bits)
{
	int old, new;

	old = __atomic_load_n(&fp->f_flag, __ATOMIC_RELAXED);
	do {
		new = (old & ~mask) | (bits & mask);
	} while (!__atomic_compare_exchange_n(&fp->f_flag, &old, new, false,
	    __ATOMIC_RELAXED, __ATOMIC_RELAXED));
}

/* Linux fails a transfer whose end does not fit an off_t, before it
 * looks at anything else (even with O_APPEND, which then ignores the
 * offset). */
static bool
file_rangebad(const struct uio *uio)
{

	return uio->uio_offset > INT64_MAX - (off_t)uio->uio_resid;
}

static int
vn_fo_read(struct file *fp, struct uio *uio, int flags)
{
	struct vnode *vp = fp->f_data;
	bool useoff = (flags & FOF_UPDATE) != 0;
	int error;

	if (uio->uio_resid == 0 && vp->v_type != VDIR)
		return 0;
	if (useoff) {
		mutex_enter(&fp->f_offlock);
		uio->uio_offset = fp->f_offset;
	}
	if (file_rangebad(uio)) {
		error = EINVAL;
	} else if (vp->v_type == VDIR) {
		error = EISDIR;
	} else {
		vn_lock(vp);
		error = VOP_OPTIONAL(vp, vop_read, EINVAL, vp, uio);
		vn_unlock(vp);
	}
	if (useoff) {
		fp->f_offset = uio->uio_offset;
		mutex_exit(&fp->f_offlock);
	}
	return error;
}

static int
vn_fo_write(struct file *fp, struct uio *uio, int flags)
{
	struct vnode *vp = fp->f_data;
	struct vattr va;
	bool useoff = (flags & FOF_UPDATE) != 0;
	size_t excess = 0, resid = uio->uio_resid;
	int error = 0;

	if (uio->uio_resid == 0 && vp->v_type != VDIR)
		return 0;
	if (vp->v_type == VDIR)
		return EISDIR;
	/* Remounted read-only after the file was opened for writing. */
	if ((error = vn_writechk(vp)) != 0)
		return error;
	if (useoff) {
		mutex_enter(&fp->f_offlock);
		uio->uio_offset = fp->f_offset;
	}
	vn_lock(vp);
	if (file_rangebad(uio))
		error = EINVAL;
	/* Appending (even with pwrite, as Linux does) finds the end with
	 * the mount locked, so concurrent appends never overlap. */
	if (error == 0 && (file_flags(fp) & O_APPEND) != 0) {
		error = VOP_GETATTR(vp, &va);
		if (error == 0)
			uio->uio_offset = (off_t)va.va_size;
	}
	if (error == 0) {
		if (uio->uio_offset >= INT64_MAX)
			error = EFBIG;
		else if (uio->uio_resid > (uint64_t)(INT64_MAX -
		    uio->uio_offset))
			excess = uio->uio_resid -
			    (size_t)(INT64_MAX - uio->uio_offset);
	}
	/* Like Linux, only a write of at least one byte drops set-id. */
	if (error == 0 && uio->uio_resid > excess)
		error = vn_killsuid_locked(vp);
	if (error == 0) {
		/* The bytes past the largest offset are not written: the
		 * caller counts them as left over (a short write). */
		uio->uio_resid -= excess;
		error = VOP_OPTIONAL(vp, vop_write, EINVAL, vp, uio);
		uio->uio_resid += excess;
	}
	vn_unlock(vp);
	if (useoff) {
		/* A write that failed outright leaves the offset alone, even
		 * where O_APPEND had moved uio_offset to the end. */
		if (error == 0 || uio->uio_resid != resid)
			fp->f_offset = uio->uio_offset;
		mutex_exit(&fp->f_offlock);
	}
	return error;
}

static int
vn_fo_stat(struct file *fp, struct stat *st)
{

	return vn_stat(fp->f_data, st);
}

/* FIONREAD on a regular file: the bytes between the offset and the end,
 * as Linux answers; other ioctls are for devices, which we lack. */
static int
vn_fo_ioctl(struct file *fp, unsigned long cmd, void *data)
{
	struct vnode *vp = fp->f_data;
	struct vattr va;
	int error, n;

	if (cmd != FIONREAD || vp->v_type != VREG)
		return ENOTTY;
	error = vn_getattr(vp, &va);
	if (error != 0)
		return error;
	mutex_enter(&fp->f_offlock);
	n = (off_t)va.va_size > fp->f_offset ?
	    (int)MIN((off_t)va.va_size - fp->f_offset, INT32_MAX) : 0;
	mutex_exit(&fp->f_offlock);
	return copyout(&n, data, sizeof(n));
}

static void
vn_fo_close(struct file *fp)
{

	vrele(fp->f_data);
}

const struct fileops vnode_fileops = {
	.fo_name = "vnode",
	.fo_flags = FO_SEEKABLE,
	.fo_read = vn_fo_read,
	.fo_write = vn_fo_write,
	.fo_ioctl = vn_fo_ioctl,
	.fo_stat = vn_fo_stat,
	/* No fo_poll: poll and select see Linux's default (always ready),
	 * epoll refuses the file (EPERM), as Linux does for files of disk
	 * file systems. */
	.fo_close = vn_fo_close,
};
