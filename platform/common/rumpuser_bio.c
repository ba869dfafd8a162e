/*
 * rumpuser_bio.c: asynchronous block I/O.
 *
 * rumpuser_bio() starts the transfer and returns.  Completions go to one
 * cooperative thread, "rumpuser_bio", which finishes each request
 * (continuing a short transfer, syncing a SYNC write) and then calls
 * biodone.  Never the idle loop: biodone runs in the kernel, and taking a
 * rump CPU may block, which only a thread can.  As in NetBSD's
 * librumpuser, the thread is a kernel context of its own: it gets an lwp
 * of pid 0 when it starts and holds a rump CPU while it calls biodone,
 * because a kernel's biodone (NetBSD's rumpblk calls biodone(9) directly)
 * needs curlwp and a CPU.
 */
#include <common/types.h>
#include <common/string.h>

#include <rump/rumpuser.h>

#include "backend.h"
#include "rumpuser_common.h"
#include "scheduler.h"

struct bioreq {
	struct rumpuser__io	 b_io;		/* first: see bio_of() */
	struct rumpuser_iovec	 b_iov;
	struct bioreq		*b_next;
	int			 b_op;		/* RUMPUSER_BIO_* */
	char			*b_data;
	size_t			 b_len;
	size_t			 b_done;	/* transferred so far */
	int64_t			 b_off;
	int			 b_error;
	bool			 b_syncing;	/* the final datasync runs */
	rump_biodone_fn		 b_biodone;
	void			*b_donearg;
};

/* Completed transfers, waiting for the completion thread. */
static struct bioreq *bioq_head, **bioq_tail = &bioq_head;
static struct thread *bio_thread;
static bool bio_thread_bound;	/* it has its lwp (of pid 0) */

static struct bioreq *
bio_of(struct rumpuser__io *io)
{

	return (struct bioreq *)(void *)io;
}

/* From rumpuser__io_done(), anywhere: just queue it. */
static void
bio_iodone(struct rumpuser__io *io)
{
	struct bioreq *req = bio_of(io);

	req->b_next = NULL;
	*bioq_tail = req;
	bioq_tail = &req->b_next;
	if (bio_thread->t_state == THREAD_BLOCKED &&
	    bio_thread->t_waitkind == WAIT_BIO_IDLE)
		rumpuser__sched_wake(bio_thread);
}

static void
bio_submit(struct bioreq *req, int op)
{
	struct rumpuser__io *io = &req->b_io;

	io->io_op = op;
	io->io_iov = &req->b_iov;
	io->io_iovcnt = 1;
	req->b_iov.iov_base = req->b_data + req->b_done;
	req->b_iov.iov_len = req->b_len - req->b_done;
	io->io_off = req->b_off + (int64_t)req->b_done;
	io->io_transferred = 0;
	io->io_error = 0;
	io->io_complete = 0;
	io->io_donefn = bio_iodone;
	io->io_waiter = NULL;
	rumpuser__backend_io_start(io, rumpuser__sched_deterministic);
}

/* A transfer came back: done, or what is left to do next. */
static bool
bio_continue(struct bioreq *req)
{
	struct rumpuser__io *io = &req->b_io;

	if (req->b_error != 0)
		return false;
	if (io->io_error != 0) {
		req->b_error = io->io_error;
		return false;
	}
	if (req->b_syncing)
		return false;
	req->b_done += io->io_transferred;
	if (req->b_done < req->b_len) {
		/* A read at end of file is a short transfer; a write that
		 * makes no progress would go on forever. */
		if (io->io_transferred == 0) {
			if (req->b_op & RUMPUSER_BIO_WRITE)
				req->b_error = NB_EIO;
			return false;
		}
		bio_submit(req, (req->b_op & RUMPUSER_BIO_READ) ?
		    RUMPUSER__IO_READ : RUMPUSER__IO_WRITE);
		return true;
	}
	if ((req->b_op & RUMPUSER_BIO_WRITE) && (req->b_op & RUMPUSER_BIO_SYNC)) {
		req->b_syncing = true;
		bio_submit(req, RUMPUSER__IO_DATASYNC);
		return true;
	}
	return false;
}

/*
 * Makes the completion thread a kernel context: an lwp of pid 0, created
 * while scheduled as the kernel wants it.  Without a kernel (the platform
 * used on its own, before rumpuser_init()) there is nothing to bind to;
 * then the thread binds at its first completion after the kernel came.
 */
static bool
bio_thread_bind(void)
{
	int error;

	if (bio_thread_bound)
		return true;
	if (rumpuser__hyp.hyp_schedule == NULL ||
	    rumpuser__hyp.hyp_lwproc_newlwp == NULL)
		return false;
	rumpuser__hyp.hyp_schedule();
	error = rumpuser__hyp.hyp_lwproc_newlwp(0);
	rumpuser__hyp.hyp_unschedule();
	/* biodone has no way to run in the kernel without it. */
	if (error != 0)
		rumpuser__fatal("bio: no lwp in process 0 for the completion "
		    "thread (error %d)", error);
	bio_thread_bound = true;
	return true;
}

static void *
bio_completions(void *arg)
{
	struct bioreq *req;

	(void)arg;
	(void)bio_thread_bind();
	for (;;) {
		while ((req = bioq_head) == NULL)
			rumpuser__sched_block(NULL, WAIT_BIO_IDLE, NULL,
			    RUMPUSER__FOREVER);
		bioq_head = req->b_next;
		if (bioq_head == NULL)
			bioq_tail = &bioq_head;
		if (bio_continue(req))
			continue;
		if (bio_thread_bind()) {
			rumpuser__hyp.hyp_schedule();
			req->b_biodone(req->b_donearg, req->b_done,
			    req->b_error);
			rumpuser__hyp.hyp_unschedule();
		} else
			req->b_biodone(req->b_donearg, req->b_done,
			    req->b_error);
		rumpuser__backend_free(req, sizeof(*req));
	}
	return NULL;
}

void
rumpuser_bio(int fd, int op, void *data, size_t dlen, int64_t off,
    rump_biodone_fn biodone, void *donearg)
{
	struct bioreq *req;
	int rw, error;

	if (bio_thread == NULL) {
		error = rumpuser__sched_create(bio_completions, NULL,
		    "rumpuser_bio", false, &bio_thread);
		if (error != 0)
			rumpuser__fatal("bio: no completion thread (error %d)",
			    error);
	}
	/* A void hypercall cannot report ENOMEM, and biodone must not be
	 * called from here, on a thread that holds a rump CPU. */
	req = rumpuser__backend_malloc(sizeof(*req), 0);
	if (req == NULL)
		rumpuser__fatal("bio: out of memory");
	memset(req, 0, sizeof(*req));
	req->b_io.io_fd = fd;
	req->b_op = op;
	req->b_data = data;
	req->b_len = dlen;
	req->b_off = off;
	req->b_biodone = biodone;
	req->b_donearg = donearg;

	rw = op & (RUMPUSER_BIO_READ | RUMPUSER_BIO_WRITE);
	if ((rw != RUMPUSER_BIO_READ && rw != RUMPUSER_BIO_WRITE) || off < 0) {
		/* Completed with an error, by the completion thread. */
		req->b_error = NB_EINVAL;
		bio_iodone(&req->b_io);
		return;
	}
	if (dlen == 0) {
		bio_iodone(&req->b_io);
		return;
	}
	bio_submit(req, rw == RUMPUSER_BIO_READ ? RUMPUSER__IO_READ :
	    RUMPUSER__IO_WRITE);
}
