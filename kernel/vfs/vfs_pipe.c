/*
 * vfs_pipe.c: pipes: a bounded ring buffer between a read end and a
 * write end.  Readers block while it is empty and writers while it is
 * full; EOF once the writers are gone, EPIPE once the readers are (there
 * are no signals).  Writes of at most PIPE_BUF bytes are atomic.
 *
 * FIFOs (named pipes, made by mknod) are the same pipe, found through the
 * FIFO's vnode while anyone has it open (fifo_list); each open file
 * counts as a reader, a writer or both (O_RDWR), and opening follows
 * POSIX: a reader waits for a writer and a writer for a reader, unless
 * O_NONBLOCK (a reader then goes on at once, a writer fails with ENXIO).
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/kmem.h>
#include <kern/libkern.h>
#include <kern/lock.h>
#include <kern/proc.h>
#include <kern/clock.h>
#include <vfs/vnode.h>
#include <vfs/abi.h>
#include <vfs/file.h>
#include <vfs/poll.h>
#include <kern/syscall.h>
#include <kern/component.h>
#include <vfs/vfs.h>

#define PIPE_SIZE	65536
#define PIPE_BUF	4096

struct pipe {
	kmutex_t	 pipe_lock;
	kcondvar_t	 pipe_rcv;	/* readers: data or no writers */
	kcondvar_t	 pipe_wcv;	/* writers: room or no readers */
	struct pollhead	 pipe_ph;	/* both ends' pollers */
	char		*pipe_buf;	/* PIPE_SIZE bytes, on first write */
	size_t		 pipe_start;	/* first unread byte */
	size_t		 pipe_count;	/* unread bytes */
	int		 pipe_readers;
	int		 pipe_writers;
	ino_t		 pipe_ino;
	uid_t		 pipe_uid;
	gid_t		 pipe_gid;
	struct timespec	 pipe_atime, pipe_mtime, pipe_ctime;
	/* FIFOs only (fifo_lock for the list; pipe_lock for the rest). */
	struct vnode	*pipe_vnode;	/* NULL for an anonymous pipe */
	struct pipe	*pipe_fifonext;
	unsigned	 pipe_opens;	/* open files */
	unsigned	 pipe_rgen, pipe_wgen;	/* readers/writers ever */
};

static uint64_t pipe_nextino = 1;

int
pipe_create(struct file *fps[2], int flags)
{
	const struct kauth_cred *cred = kauth_cred_get();
	struct pipe *pp;
	int error, i;

	pp = kmem_zalloc(sizeof(*pp), KM_SLEEP);
	if (pp == NULL)
		return ENOMEM;
	error = file_alloc(&fps[0]);
	if (error != 0) {
		kmem_free(pp, sizeof(*pp));
		return error;
	}
	error = file_alloc(&fps[1]);
	if (error != 0) {
		file_release(fps[0]);
		kmem_free(pp, sizeof(*pp));
		return error;
	}
	mutex_init(&pp->pipe_lock, MUTEX_DEFAULT);
	cv_init(&pp->pipe_rcv);
	cv_init(&pp->pipe_wcv);
	pollhead_init(&pp->pipe_ph);
	pp->pipe_readers = pp->pipe_writers = 1;
	pp->pipe_ino = __atomic_fetch_add(&pipe_nextino, 1, __ATOMIC_RELAXED);
	pp->pipe_uid = cred->cr_euid;
	pp->pipe_gid = cred->cr_egid;
	getnanotime(&pp->pipe_ctime);
	pp->pipe_atime = pp->pipe_mtime = pp->pipe_ctime;
	for (i = 0; i < 2; i++) {
		fps[i]->f_ops = &pipe_fileops;
		fps[i]->f_data = pp;
		fps[i]->f_flag = (i == 0 ? FREAD : FWRITE) |
		    (flags & O_NONBLOCK);
	}
	return 0;
}

static void
pipe_close(struct file *fp)
{
	struct pipe *pp = fp->f_data;
	bool writer = (fp->f_flag & FWRITE) != 0;
	bool last;

	mutex_enter(&pp->pipe_lock);
	if (writer)
		pp->pipe_writers--;
	else
		pp->pipe_readers--;
	cv_broadcast(&pp->pipe_rcv);
	cv_broadcast(&pp->pipe_wcv);
	pollwakeup(&pp->pipe_ph, writer ? POLLHUP : POLLERR);
	last = pp->pipe_readers == 0 && pp->pipe_writers == 0;
	mutex_exit(&pp->pipe_lock);
	if (!last)
		return;
	if (pp->pipe_buf != NULL)
		kmem_free(pp->pipe_buf, PIPE_SIZE);
	cv_destroy(&pp->pipe_rcv);
	cv_destroy(&pp->pipe_wcv);
	pollhead_destroy(&pp->pipe_ph);
	mutex_destroy(&pp->pipe_lock);
	kmem_free(pp, sizeof(*pp));
}

static int
pipe_read(struct file *fp, struct uio *uio, int flags)
{
	struct pipe *pp = fp->f_data;
	size_t chunk;
	int error = 0;

	(void)flags;	/* a pipe has no offset */
	if (uio->uio_resid == 0)
		return 0;
	mutex_enter(&pp->pipe_lock);
	while (pp->pipe_count == 0) {
		if (pp->pipe_writers == 0)
			goto out;
		if (file_flags(fp) & O_NONBLOCK) {
			error = EAGAIN;
			goto out;
		}
		/* Nothing read yet: restartable. */
		if (cv_wait_sig(&pp->pipe_rcv, &pp->pipe_lock) != 0) {
			error = ERESTARTSYS;
			goto out;
		}
	}
	while (pp->pipe_count > 0 && uio->uio_resid > 0) {
		chunk = MIN(pp->pipe_count, PIPE_SIZE - pp->pipe_start);
		chunk = MIN(chunk, uio->uio_resid);
		error = uiomove(pp->pipe_buf + pp->pipe_start, chunk, uio);
		if (error != 0)
			break;
		pp->pipe_start = (pp->pipe_start + chunk) % PIPE_SIZE;
		pp->pipe_count -= chunk;
	}
	if (pp->pipe_count == 0)
		pp->pipe_start = 0;
	getnanotime(&pp->pipe_atime);
	cv_broadcast(&pp->pipe_wcv);
	pollwakeup(&pp->pipe_ph, POLLOUT | POLLWRNORM);
 out:
	mutex_exit(&pp->pipe_lock);
	return error;
}

static int
pipe_write(struct file *fp, struct uio *uio, int flags)
{
	struct pipe *pp = fp->f_data;
	size_t space, chunk, end, written = 0;
	bool atomic = uio->uio_resid <= PIPE_BUF;
	int error = 0;

	(void)flags;
	if (uio->uio_resid == 0)
		return 0;
	mutex_enter(&pp->pipe_lock);
	if (pp->pipe_buf == NULL) {
		pp->pipe_buf = kmem_alloc(PIPE_SIZE, KM_SLEEP);
		if (pp->pipe_buf == NULL) {
			mutex_exit(&pp->pipe_lock);
			return ENOMEM;
		}
	}
	while (uio->uio_resid > 0) {
		if (pp->pipe_readers == 0) {
			if (written == 0)
				error = EPIPE;
			break;
		}
		space = PIPE_SIZE - pp->pipe_count;
		if (space == 0 || (atomic && space < uio->uio_resid)) {
			if (file_flags(fp) & O_NONBLOCK) {
				if (written == 0)
					error = EAGAIN;
				break;
			}
			/* What was written counts (dofileio): restartable
			 * only when nothing was. */
			if (cv_wait_sig(&pp->pipe_wcv, &pp->pipe_lock) != 0) {
				error = ERESTARTSYS;
				break;
			}
			continue;
		}
		chunk = MIN(space, uio->uio_resid);
		end = (pp->pipe_start + pp->pipe_count) % PIPE_SIZE;
		chunk = MIN(chunk, PIPE_SIZE - end);
		error = uiomove(pp->pipe_buf + end, chunk, uio);
		if (error != 0)
			break;
		pp->pipe_count += chunk;
		written += chunk;
		cv_broadcast(&pp->pipe_rcv);
		pollwakeup(&pp->pipe_ph, POLLIN | POLLRDNORM);
	}
	if (written > 0)
		getnanotime(&pp->pipe_mtime);
	mutex_exit(&pp->pipe_lock);
	return error;
}

static int
pipe_stat(struct file *fp, struct stat *st)
{
	struct pipe *pp = fp->f_data;

	memset(st, 0, sizeof(*st));
	mutex_enter(&pp->pipe_lock);
	st->st_ino = pp->pipe_ino;
	st->st_nlink = 1;
	st->st_mode = S_IFIFO | S_IRUSR | S_IWUSR;
	st->st_uid = pp->pipe_uid;
	st->st_gid = pp->pipe_gid;
	st->st_blksize = PIPE_BUF;
	st->st_atim = pp->pipe_atime;
	st->st_mtim = pp->pipe_mtime;
	st->st_ctim = pp->pipe_ctime;
	mutex_exit(&pp->pipe_lock);
	return 0;
}

static int
pipe_ioctl(struct file *fp, unsigned long cmd, void *data)
{
	struct pipe *pp = fp->f_data;
	int n;

	if (cmd != FIONREAD)
		return ENOTTY;
	mutex_enter(&pp->pipe_lock);
	n = (int)pp->pipe_count;
	mutex_exit(&pp->pipe_lock);
	return copyout(&n, data, sizeof(n));
}

/* As Linux: the read end is readable with data and hung up without
 * writers; the write end is writable with room for an atomic write and
 * in error without readers. */
static int
pipe_poll(struct file *fp, int events, struct polltable *pt)
{
	struct pipe *pp = fp->f_data;
	int revents = 0;

	poll_wait(pt, &pp->pipe_ph);
	mutex_enter(&pp->pipe_lock);
	if (fp->f_flag & FREAD) {
		if (pp->pipe_count > 0)
			revents |= POLLIN | POLLRDNORM;
		if (pp->pipe_writers == 0)
			revents |= POLLHUP;
	}
	if (fp->f_flag & FWRITE) {
		if (PIPE_SIZE - pp->pipe_count >= PIPE_BUF)
			revents |= POLLOUT | POLLWRNORM;
		if (pp->pipe_readers == 0)
			revents |= POLLERR;
	}
	mutex_exit(&pp->pipe_lock);
	return revents & (events | POLL_ALWAYS);
}

/* --- FIFOs --------------------------------------------------------------- */

static kmutex_t fifo_lock;
static struct pipe *fifo_list;

RUMP_COMPONENT(RUMP_COMPONENT_VFS, fifo_init)
{

	mutex_init(&fifo_lock, MUTEX_DEFAULT);
}

static void
fifo_close(struct file *fp)
{
	struct pipe *pp = fp->f_data, **ppp;
	struct vnode *vp = pp->pipe_vnode;
	bool last;

	mutex_enter(&fifo_lock);
	mutex_enter(&pp->pipe_lock);
	if (fp->f_flag & FREAD)
		pp->pipe_readers--;
	if (fp->f_flag & FWRITE)
		pp->pipe_writers--;
	cv_broadcast(&pp->pipe_rcv);
	cv_broadcast(&pp->pipe_wcv);
	pollwakeup(&pp->pipe_ph, POLLHUP | POLLERR);
	last = --pp->pipe_opens == 0;
	mutex_exit(&pp->pipe_lock);
	if (last) {
		/* Whatever was left unread goes with the last opener. */
		for (ppp = &fifo_list; *ppp != NULL;
		    ppp = &(*ppp)->pipe_fifonext) {
			if (*ppp == pp) {
				*ppp = pp->pipe_fifonext;
				break;
			}
		}
	}
	mutex_exit(&fifo_lock);
	if (last) {
		if (pp->pipe_buf != NULL)
			kmem_free(pp->pipe_buf, PIPE_SIZE);
		cv_destroy(&pp->pipe_rcv);
		cv_destroy(&pp->pipe_wcv);
		pollhead_destroy(&pp->pipe_ph);
		mutex_destroy(&pp->pipe_lock);
		kmem_free(pp, sizeof(*pp));
	}
	vrele(vp);
}

/* fstat of an open FIFO describes the FIFO's own file. */
static int
fifo_stat(struct file *fp, struct stat *st)
{
	struct pipe *pp = fp->f_data;

	return vn_stat(pp->pipe_vnode, st);
}

static const struct fileops fifo_fileops = {
	.fo_name = "fifo",
	.fo_fsmagic = PIPEFS_MAGIC,
	.fo_read = pipe_read,
	.fo_write = pipe_write,
	.fo_ioctl = pipe_ioctl,
	.fo_stat = fifo_stat,
	.fo_poll = pipe_poll,
	.fo_close = fifo_close,
};

struct vnode *
fifo_vnode(struct file *fp)
{

	return fp->f_ops == &fifo_fileops ?
	    ((struct pipe *)fp->f_data)->pipe_vnode : NULL;
}

int
fifo_open(struct file *fp, struct vnode *vp, int fflag)
{
	struct pipe *pp, *npp = NULL;
	unsigned gen;
	int error = 0;

	if ((fflag & (FREAD | FWRITE)) == 0)
		return EINVAL;
	/* The pipe of this FIFO, made by the first opener. */
	mutex_enter(&fifo_lock);
	for (pp = fifo_list; pp != NULL; pp = pp->pipe_fifonext)
		if (pp->pipe_vnode == vp)
			break;
	if (pp == NULL) {
		mutex_exit(&fifo_lock);
		npp = kmem_zalloc(sizeof(*npp), KM_SLEEP);
		if (npp == NULL)
			return ENOMEM;
		mutex_enter(&fifo_lock);
		for (pp = fifo_list; pp != NULL; pp = pp->pipe_fifonext)
			if (pp->pipe_vnode == vp)
				break;
		if (pp == NULL) {
			pp = npp;
			npp = NULL;
			mutex_init(&pp->pipe_lock, MUTEX_DEFAULT);
			cv_init(&pp->pipe_rcv);
			cv_init(&pp->pipe_wcv);
			pollhead_init(&pp->pipe_ph);
			pp->pipe_vnode = vp;
			pp->pipe_fifonext = fifo_list;
			fifo_list = pp;
		}
	}
	mutex_enter(&pp->pipe_lock);
	mutex_exit(&fifo_lock);
	if (npp != NULL)
		kmem_free(npp, sizeof(*npp));

	if ((fflag & (FREAD | FWRITE)) == FWRITE &&
	    (fflag & O_NONBLOCK) != 0 && pp->pipe_readers == 0) {
		error = ENXIO;
		goto out;
	}
	pp->pipe_opens++;
	if (fflag & FREAD) {
		pp->pipe_readers++;
		pp->pipe_rgen++;
	}
	if (fflag & FWRITE) {
		pp->pipe_writers++;
		pp->pipe_wgen++;
	}
	cv_broadcast(&pp->pipe_rcv);
	cv_broadcast(&pp->pipe_wcv);
	/* A reader waits for a writer (any that opens from now on), a
	 * writer for a reader; O_RDWR is both and waits for nothing. */
	if ((fflag & (FREAD | FWRITE)) == FREAD && (fflag & O_NONBLOCK) == 0) {
		gen = pp->pipe_wgen;
		while (pp->pipe_writers == 0 && pp->pipe_wgen == gen &&
		    error == 0)
			if (cv_wait_sig(&pp->pipe_rcv, &pp->pipe_lock) != 0)
				error = ERESTARTSYS;
	} else if ((fflag & (FREAD | FWRITE)) == FWRITE) {
		gen = pp->pipe_rgen;
		while (pp->pipe_readers == 0 && pp->pipe_rgen == gen &&
		    error == 0)
			if (cv_wait_sig(&pp->pipe_wcv, &pp->pipe_lock) != 0)
				error = ERESTARTSYS;
	}
	if (error != 0) {
		/* Interrupted: this open never happened (Linux restarts
		 * it, or says EINTR). */
		if (fflag & FREAD)
			pp->pipe_readers--;
		if (fflag & FWRITE)
			pp->pipe_writers--;
		pp->pipe_opens--;
		cv_broadcast(&pp->pipe_rcv);
		cv_broadcast(&pp->pipe_wcv);
		goto out;
	}
	fp->f_ops = &fifo_fileops;
	fp->f_data = pp;
 out:
	mutex_exit(&pp->pipe_lock);
	if (error != 0) {
		/*
		 * Nobody else may have it: undo a pipe left with no opener.
		 * With pipe_lock dropped, another failed open (ENXIO, or an
		 * interrupt) or the last fifo_close may have freed it
		 * already: it is alive only while still on fifo_list (it
		 * leaves the list, under fifo_lock, before it is freed), so
		 * look for the pointer there before touching the pipe.  A
		 * pipe on the list with no opener is always garbage whose
		 * other failed openers look it up again the same way.
		 */
		struct pipe **ppp;

		mutex_enter(&fifo_lock);
		for (ppp = &fifo_list; *ppp != NULL && *ppp != pp;
		    ppp = &(*ppp)->pipe_fifonext)
			;
		if (*ppp == NULL) {
			mutex_exit(&fifo_lock);
			return error;
		}
		mutex_enter(&pp->pipe_lock);
		if (pp->pipe_opens == 0) {
			*ppp = pp->pipe_fifonext;
			mutex_exit(&pp->pipe_lock);
			mutex_exit(&fifo_lock);
			if (pp->pipe_buf != NULL)
				kmem_free(pp->pipe_buf, PIPE_SIZE);
			cv_destroy(&pp->pipe_rcv);
			cv_destroy(&pp->pipe_wcv);
			pollhead_destroy(&pp->pipe_ph);
			mutex_destroy(&pp->pipe_lock);
			kmem_free(pp, sizeof(*pp));
		} else {
			mutex_exit(&pp->pipe_lock);
			mutex_exit(&fifo_lock);
		}
	}
	return error;
}

const struct fileops pipe_fileops = {
	.fo_name = "pipe",
	.fo_fsmagic = PIPEFS_MAGIC,
	.fo_read = pipe_read,
	.fo_write = pipe_write,
	.fo_ioctl = pipe_ioctl,
	.fo_stat = pipe_stat,
	.fo_poll = pipe_poll,
	.fo_close = pipe_close,
};
