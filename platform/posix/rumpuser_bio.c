/*
 * rumpuser_bio.c: asynchronous block I/O.
 *
 * rumpuser_bio() queues the request and returns; a small fixed pool of
 * host threads performs it and calls biodone.  As in NetBSD's librumpuser,
 * each worker is a kernel context of its own: it gets an lwp of pid 0 when
 * it starts and holds a rump CPU while it calls biodone, because a kernel's
 * biodone (NetBSD's rumpblk calls biodone(9) directly) needs curlwp and a
 * CPU.  The I/O itself runs without a CPU.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

#include <rump/rumpuser.h>

#include "rumpuser_posix.h"

/* Enough to keep a few requests in flight per disk; more would only
 * compete with the kernel's own threads for host CPUs. */
#define BIO_NWORKERS	4

struct bioreq {
	struct bioreq *next;
	int fd;
	int op;
	void *data;
	size_t dlen;
	int64_t off;
	rump_biodone_fn biodone;
	void *donearg;
};

static pthread_mutex_t bioq_mtx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t bioq_cv = PTHREAD_COND_INITIALIZER;
static struct bioreq *bioq_head, **bioq_tail = &bioq_head;
static int bio_nworkers;	/* 0: pool not started (in this process) */
static int bio_nidle;		/* workers waiting for a request */
static int bio_spinning;	/* a worker is polling for the next one */
static int bio_spinscore;	/* < 0: idle spells left before a poll */
static unsigned int bio_queued;	/* atomic: requests queued so far */
static int bio_atfork_done;

/* The worker has its lwp (of pid 0) bound. */
static __thread int bio_worker_bound;

/*
 * Makes the calling worker a kernel context: an lwp of pid 0, created
 * while scheduled as the kernel wants it.  Without a kernel (the platform
 * used on its own, before rumpuser_init()) there is nothing to bind to;
 * a worker started then binds at its first completion after the kernel
 * has come.
 */
static int
bio_worker_bind(void)
{
	int error;

	if (bio_worker_bound)
		return 1;
	if (rumpuser__hyp.hyp_schedule == NULL ||
	    rumpuser__hyp.hyp_lwproc_newlwp == NULL)
		return 0;
	rumpuser__hyp.hyp_schedule();
	error = rumpuser__hyp.hyp_lwproc_newlwp(0);
	rumpuser__hyp.hyp_unschedule();
	/* biodone has no way to run in the kernel without it. */
	if (error != 0)
		rumpuser__fatal("bio: no lwp in process 0 for the worker",
		    rumpuser__posixhost_errno_from_netbsd(error));
	bio_worker_bound = 1;
	return 1;
}

/* Called without a CPU; biodone runs holding one, when there is a kernel. */
static void
bio_complete(struct bioreq *req, size_t done, int error)
{

	if (bio_worker_bind()) {
		rumpuser__hyp.hyp_schedule();
		req->biodone(req->donearg, done, error);
		rumpuser__hyp.hyp_unschedule();
	} else
		req->biodone(req->donearg, done, error);
}

static void
bio_perform(struct bioreq *req)
{
	size_t done = 0;
	ssize_t n;
	int error = 0;

	if ((req->op & (RUMPUSER_BIO_READ | RUMPUSER_BIO_WRITE)) !=
	    RUMPUSER_BIO_READ &&
	    (req->op & (RUMPUSER_BIO_READ | RUMPUSER_BIO_WRITE)) !=
	    RUMPUSER_BIO_WRITE) {
		error = EINVAL;
		goto out;
	}
	/* The host may transfer less than asked (signals, huge requests):
	 * continue until done, end of file or an error. */
	while (done < req->dlen) {
		if (req->op & RUMPUSER_BIO_READ)
			n = pread(req->fd, (char *)req->data + done,
			    req->dlen - done, (off_t)(req->off + (int64_t)done));
		else
			n = pwrite(req->fd, (const char *)req->data + done,
			    req->dlen - done, (off_t)(req->off + (int64_t)done));
		if (n == -1) {
			if (errno == EINTR)
				continue;
			error = errno;
			break;
		}
		if (n == 0) {
			/* A read at end of file is a short transfer; a write
			 * that makes no progress would loop forever. */
			if (req->op & RUMPUSER_BIO_WRITE)
				error = EIO;
			break;
		}
		done += (size_t)n;
	}
	if (error == 0 && (req->op & RUMPUSER_BIO_WRITE) &&
	    (req->op & RUMPUSER_BIO_SYNC)) {
		if (fdatasync(req->fd) == -1)
			error = errno;
	}
 out:
	bio_complete(req, done, rumpuser__posixhost_errno_to_netbsd(error));
}

/*
 * One idle worker at a time polls for the next request for up to
 * RUMP_CV_SPIN_US before it sleeps, as the kernel's waiters do
 * (rumpuser_sync.c): a reader that waits for one block at a time
 * (random reads through strata-fuse) then hands its next request to a
 * running worker, not to one woken from sleep on another CPU, and the
 * submitter makes no wakeup call.  A poll that timed out is not tried
 * again for the next BIO_SPIN_BACKOFF idle spells (requests coming just
 * slower than the poll would otherwise keep a host CPU half busy), as
 * with the condition variables.  Called and returns with bioq_mtx held;
 * drops it meanwhile.
 */
#define BIO_SPIN_BACKOFF	8

static void
bio_spin(void)
{
	unsigned int seen;
	bool woken;

	if (!rumpuser__spin_enabled())
		return;
	if (bio_spinscore < 0) {
		bio_spinscore++;
		return;
	}
	bio_spinning = 1;
	seen = __atomic_load_n(&bio_queued, __ATOMIC_ACQUIRE);
	pthread_mutex_unlock(&bioq_mtx);
	woken = rumpuser__spin_for_change(&bio_queued, seen);
	pthread_mutex_lock(&bioq_mtx);
	bio_spinning = 0;
	if (!woken)
		bio_spinscore = -BIO_SPIN_BACKOFF;
}

static void *
bio_worker(void *arg)
{
	struct bioreq *req;
	int wake;

	(void)arg;
	(void)bio_worker_bind();
	for (;;) {
		pthread_mutex_lock(&bioq_mtx);
		if (bioq_head == NULL && !bio_spinning)
			bio_spin();
		while (bioq_head == NULL) {
			bio_nidle++;
			pthread_cond_wait(&bioq_cv, &bioq_mtx);
			bio_nidle--;
		}
		req = bioq_head;
		bioq_head = req->next;
		if (bioq_head == NULL)
			bioq_tail = &bioq_head;
		/* More were queued while this one polled, without a
		 * wakeup: pass them on to a sleeping worker. */
		wake = bioq_head != NULL && bio_nidle > 0;
		pthread_mutex_unlock(&bioq_mtx);
		if (wake)
			pthread_cond_signal(&bioq_cv);

		bio_perform(req);
		free(req);
	}
	return NULL;
}

/*
 * fork() copies neither the workers nor a consistent queue lock: hold the
 * lock across fork and let the child start its own pool on demand.
 * Requests queued in the parent stay the parent's.  The child's condition
 * variable starts afresh too: the copy still counts the parent's workers
 * as waiters, and glibc's pthread_cond_signal() waits for those to leave
 * an old group of waiters before it wakes a new one, which in the child
 * they never do (its first wakeup hung for ever).
 */
static void
bio_prefork(void)
{

	pthread_mutex_lock(&bioq_mtx);
}

static void
bio_postfork_parent(void)
{

	pthread_mutex_unlock(&bioq_mtx);
}

static void
bio_postfork_child(void)
{
	struct bioreq *req;
	int error;

	while ((req = bioq_head) != NULL) {
		bioq_head = req->next;
		free(req);
	}
	bioq_tail = &bioq_head;
	bio_nworkers = 0;
	bio_nidle = 0;
	bio_spinning = 0;
	bio_spinscore = 0;
	if ((error = pthread_cond_init(&bioq_cv, NULL)) != 0)
		rumpuser__fatal("bio: pthread_cond_init", error);
	pthread_mutex_unlock(&bioq_mtx);
}

/* Called with bioq_mtx held. */
static void
bio_start_pool(void)
{
	pthread_attr_t attr;
	pthread_t pt;
	int error;

	if (!bio_atfork_done) {
		error = pthread_atfork(bio_prefork, bio_postfork_parent,
		    bio_postfork_child);
		if (error != 0)
			rumpuser__fatal("bio: pthread_atfork", error);
		bio_atfork_done = 1;
	}
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	while (bio_nworkers < BIO_NWORKERS) {
		error = pthread_create(&pt, &attr, bio_worker, NULL);
		if (error != 0) {
			/* One worker is enough to make progress. */
			if (bio_nworkers > 0)
				break;
			rumpuser__fatal("bio: pthread_create", error);
		}
		pthread_setname_np(pt, "rumpuser_bio");
		bio_nworkers++;
	}
	pthread_attr_destroy(&attr);
}

void
rumpuser_bio(int fd, int op, void *data, size_t dlen, int64_t off,
    rump_biodone_fn biodone, void *donearg)
{
	struct bioreq *req;
	int wake;

	/* A void hypercall cannot report ENOMEM, and calling biodone from
	 * here, on a thread that holds a rump CPU, would break its
	 * contract: running out of memory here is fatal. */
	req = malloc(sizeof(*req));
	if (req == NULL)
		rumpuser__fatal("bio: malloc", ENOMEM);
	req->next = NULL;
	req->fd = fd;
	req->op = op;
	req->data = data;
	req->dlen = dlen;
	req->off = off;
	req->biodone = biodone;
	req->donearg = donearg;

	/* The worker is woken after the queue's lock is given up (woken
	 * with it held, it went straight back to sleep on the lock: two
	 * more host context switches per request), and only when one is
	 * idle: a busy one takes the request when it is done. */
	pthread_mutex_lock(&bioq_mtx);
	if (bio_nworkers == 0)
		bio_start_pool();
	*bioq_tail = req;
	bioq_tail = &req->next;
	__atomic_add_fetch(&bio_queued, 1, __ATOMIC_RELEASE);
	/* A polling worker takes it without a wakeup (bio_spin). */
	wake = bio_nidle > 0 && !bio_spinning;
	pthread_mutex_unlock(&bioq_mtx);
	if (wake)
		pthread_cond_signal(&bioq_cv);
}
