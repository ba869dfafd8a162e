/*
 * rumpuser_sync.c: mutexes, reader/writer locks and condition variables
 * for the kernel, on the cooperative scheduler.
 *
 * Nothing here can be interrupted, so a lock is a few fields and a wait
 * queue.  A released lock is handed to its first waiter directly rather
 * than left for anyone to grab: waiters are served in the order they
 * came, and a woken thread never finds its lock taken again.
 *
 * As on any platform, a thread gives up its rump CPU before it blocks
 * (except for SPIN mutexes and the _nowrap calls) and takes it back after:
 * the thread it waits for may need that CPU to release the lock.
 */
#include <common/types.h>
#include <common/string.h>

#include <rump/rumpuser.h>

#include "backend.h"
#include "rumpuser_common.h"
#include "scheduler.h"

static void *
lockalloc(size_t size)
{
	void *p;

	p = rumpuser__backend_malloc(size, 0);
	if (p == NULL)
		rumpuser__fatal("out of memory for a lock");
	memset(p, 0, size);
	return p;
}

static void
lockfree(void *p, size_t size)
{

	rumpuser__backend_free(p, size);
}

/*
 * Mutexes
 */

struct rumpuser_mtx {
	struct thread	*m_owner;	/* NULL when free */
	struct lwp	*m_ownerlwp;	/* KMUTEX: the owner's lwp */
	struct waitq	 m_waiters;
	int		 m_flags;
};

struct thread *
rumpuser__mutex_holder(const void *mtx)
{

	return ((const struct rumpuser_mtx *)mtx)->m_owner;
}

void
rumpuser_mutex_init(struct rumpuser_mtx **mtxp, int flags)
{
	struct rumpuser_mtx *mtx;

	mtx = lockalloc(sizeof(*mtx));
	mtx->m_flags = flags;
	*mtxp = mtx;
}

static inline void
mtx_take(struct rumpuser_mtx *mtx, struct thread *t)
{

	mtx->m_owner = t;
	if (mtx->m_flags & RUMPUSER_MTX_KMUTEX)
		mtx->m_ownerlwp = t->t_lwp;
}

/* Waits until mtx has been handed over to the caller. */
static void
mtx_wait(struct rumpuser_mtx *mtx)
{
	struct thread *self = rumpuser__curthread;

	if (mtx->m_owner == self)
		rumpuser__fatal("mutex %p: '%s' enters it again", (void *)mtx,
		    self->t_name);
	rumpuser__sched_block(&mtx->m_waiters, WAIT_MUTEX, mtx,
	    RUMPUSER__FOREVER);
	if (mtx->m_owner != self)
		rumpuser__fatal("mutex %p: woken without it", (void *)mtx);
}

void
rumpuser_mutex_enter_nowrap(struct rumpuser_mtx *mtx)
{

	if (mtx->m_owner == NULL)
		mtx_take(mtx, rumpuser__curthread);
	else
		mtx_wait(mtx);
}

void
rumpuser_mutex_enter(struct rumpuser_mtx *mtx)
{
	int nlocks;

	if (mtx->m_owner == NULL) {
		mtx_take(mtx, rumpuser__curthread);
		return;
	}
	if (mtx->m_flags & RUMPUSER_MTX_SPIN) {
		mtx_wait(mtx);
		return;
	}
	rumpuser__unschedule(&nlocks, NULL);
	/* Releasing the CPU may have run others: it may be free now. */
	if (mtx->m_owner == NULL)
		mtx_take(mtx, rumpuser__curthread);
	else
		mtx_wait(mtx);
	rumpuser__schedule(nlocks, NULL);
}

int
rumpuser_mutex_tryenter(struct rumpuser_mtx *mtx)
{

	if (mtx->m_owner != NULL)
		return NB_EBUSY;
	mtx_take(mtx, rumpuser__curthread);
	return 0;
}

/* Gives mtx up: to its first waiter if there is one. */
static void
mtx_release(struct rumpuser_mtx *mtx)
{
	struct thread *next;

	if (mtx->m_owner != rumpuser__curthread)
		rumpuser__fatal("mutex %p: exit by '%s', which does not hold it",
		    (void *)mtx, rumpuser__curthread->t_name);
	mtx->m_ownerlwp = NULL;
	if ((next = waitq_first(&mtx->m_waiters)) != NULL) {
		mtx_take(mtx, next);
		rumpuser__sched_wake(next);
	} else {
		mtx->m_owner = NULL;
	}
}

void
rumpuser_mutex_exit(struct rumpuser_mtx *mtx)
{

	mtx_release(mtx);
}

void
rumpuser_mutex_destroy(struct rumpuser_mtx *mtx)
{

	if (mtx->m_owner != NULL || waitq_first(&mtx->m_waiters) != NULL)
		rumpuser__fatal("mutex %p: destroyed while in use", (void *)mtx);
	lockfree(mtx, sizeof(*mtx));
}

void
rumpuser_mutex_owner(struct rumpuser_mtx *mtx, struct lwp **lp)
{

	/* Only a KMUTEX knows its owner; others report "free". */
	*lp = mtx->m_ownerlwp;
}

/*
 * Reader/writer locks.  Readers are admitted whenever no writer holds the
 * lock, as on the POSIX platform: a kernel that re-enters a lock as
 * reader while a writer waits must not deadlock.  Readers thus wait only
 * for a writer, and all of them get in when it leaves; writers get in one
 * at a time, in order, when nobody holds the lock.
 */

struct rumpuser_rw {
	unsigned int	 rw_readers;
	struct thread	*rw_writer;
	struct lwp	*rw_writerlwp;	/* for rw_held */
	struct waitq	 rw_rwait;
	struct waitq	 rw_wwait;
};

void
rumpuser_rw_init(struct rumpuser_rw **rwp)
{

	*rwp = lockalloc(sizeof(**rwp));
}

static bool
rw_take(struct rumpuser_rw *rw, int op)
{
	struct thread *self = rumpuser__curthread;

	if (rw->rw_writer != NULL)
		return false;
	if (op == RUMPUSER_RW_WRITER) {
		if (rw->rw_readers != 0)
			return false;
		rw->rw_writer = self;
		rw->rw_writerlwp = self->t_lwp;
	} else {
		rw->rw_readers++;
	}
	return true;
}

/* The lock is free of writers: let in every waiting reader, or else the
 * first waiting writer if it is free of readers too. */
static void
rw_handover(struct rumpuser_rw *rw)
{
	struct thread *t;

	if (waitq_first(&rw->rw_rwait) != NULL) {
		while ((t = waitq_first(&rw->rw_rwait)) != NULL) {
			rw->rw_readers++;
			rumpuser__sched_wake(t);
		}
	} else if (rw->rw_readers == 0 &&
	    (t = waitq_first(&rw->rw_wwait)) != NULL) {
		rw->rw_writer = t;
		rw->rw_writerlwp = t->t_lwp;
		rumpuser__sched_wake(t);
	}
}

void
rumpuser_rw_enter(int op, struct rumpuser_rw *rw)
{
	int nlocks;

	if (rw_take(rw, op))
		return;
	if (rw->rw_writer == rumpuser__curthread)
		rumpuser__fatal("rwlock %p: '%s' enters it again", (void *)rw,
		    rumpuser__curthread->t_name);
	rumpuser__unschedule(&nlocks, NULL);
	if (!rw_take(rw, op))
		rumpuser__sched_block(op == RUMPUSER_RW_WRITER ?
		    &rw->rw_wwait : &rw->rw_rwait, op == RUMPUSER_RW_WRITER ?
		    WAIT_RW_WRITE : WAIT_RW_READ, rw, RUMPUSER__FOREVER);
	/* rw_handover has made us holder. */
	rumpuser__schedule(nlocks, NULL);
}

int
rumpuser_rw_tryenter(int op, struct rumpuser_rw *rw)
{

	return rw_take(rw, op) ? 0 : NB_EBUSY;
}

/* The caller holds the lock as a reader: if it is the only one, it can
 * become the writer without anyone else getting in between. */
int
rumpuser_rw_tryupgrade(struct rumpuser_rw *rw)
{
	struct thread *self = rumpuser__curthread;

	if (rw->rw_readers != 1 || rw->rw_writer != NULL)
		return NB_EBUSY;
	rw->rw_readers = 0;
	rw->rw_writer = self;
	rw->rw_writerlwp = self->t_lwp;
	return 0;
}

void
rumpuser_rw_downgrade(struct rumpuser_rw *rw)
{

	if (rw->rw_writer != rumpuser__curthread)
		rumpuser__fatal("rwlock %p: downgrade by '%s', not its writer",
		    (void *)rw, rumpuser__curthread->t_name);
	rw->rw_writer = NULL;
	rw->rw_writerlwp = NULL;
	rw->rw_readers = 1;
	rw_handover(rw);
}

void
rumpuser_rw_exit(struct rumpuser_rw *rw)
{

	if (rw->rw_writer != NULL) {
		rw->rw_writer = NULL;
		rw->rw_writerlwp = NULL;
	} else if (rw->rw_readers != 0) {
		rw->rw_readers--;
	} else {
		rumpuser__fatal("rwlock %p: exit but not held", (void *)rw);
	}
	rw_handover(rw);
}

void
rumpuser_rw_destroy(struct rumpuser_rw *rw)
{

	if (rw->rw_writer != NULL || rw->rw_readers != 0 ||
	    waitq_first(&rw->rw_rwait) != NULL ||
	    waitq_first(&rw->rw_wwait) != NULL)
		rumpuser__fatal("rwlock %p: destroyed while in use", (void *)rw);
	lockfree(rw, sizeof(*rw));
}

/* For a reader the answer is "someone reads": which threads do is not
 * tracked, as in other implementations; assertions only need that much.
 * A writer is known by its lwp, the kernel's idea of "who". */
void
rumpuser_rw_held(int op, struct rumpuser_rw *rw, int *heldp)
{

	if (op == RUMPUSER_RW_WRITER)
		*heldp = rw->rw_writer != NULL &&
		    rw->rw_writerlwp == rumpuser__curthread->t_lwp;
	else
		*heldp = rw->rw_readers != 0;
}

/*
 * Condition variables.  Waiting is atomic for free: nothing runs between
 * releasing the mutex and joining the queue.
 */

struct rumpuser_cv {
	struct waitq	 c_waiters;
};

void
rumpuser_cv_init(struct rumpuser_cv **cvp)
{

	*cvp = lockalloc(sizeof(**cvp));
}

void
rumpuser_cv_destroy(struct rumpuser_cv *cv)
{

	if (waitq_first(&cv->c_waiters) != NULL)
		rumpuser__fatal("condvar %p: destroyed with waiters", (void *)cv);
	lockfree(cv, sizeof(*cv));
}

/*
 * The mutex and the CPU are taken back in the order in which they are
 * taken elsewhere, or two threads could each hold what the other waits
 * for:
 *  - pure SPIN (the scheduler's own locks): the mutex, then the CPU;
 *  - SPIN|KMUTEX (entered while holding a CPU, never releasing it): the
 *    CPU, then the mutex without releasing it;
 *  - others: the CPU, then the mutex the ordinary way (which releases the
 *    CPU if it has to wait).
 */
static int
cv_wait_wrapped(struct rumpuser_cv *cv, struct rumpuser_mtx *mtx,
    uint64_t deadline)
{
	const int spinkmutex = RUMPUSER_MTX_SPIN | RUMPUSER_MTX_KMUTEX;
	int nlocks, rv;

	/* The mutex is the interlock the kernel's scheduler is told about:
	 * still held while the CPU goes. */
	rumpuser__unschedule(&nlocks, mtx);
	mtx_release(mtx);
	rv = rumpuser__sched_block(&cv->c_waiters, WAIT_CV, cv, deadline);
	if ((mtx->m_flags & spinkmutex) == RUMPUSER_MTX_SPIN) {
		rumpuser_mutex_enter_nowrap(mtx);
		rumpuser__schedule(nlocks, mtx);
	} else {
		rumpuser__schedule(nlocks, mtx);
		if ((mtx->m_flags & spinkmutex) == spinkmutex)
			rumpuser_mutex_enter_nowrap(mtx);
		else
			rumpuser_mutex_enter(mtx);
	}
	return rv;
}

void
rumpuser_cv_wait(struct rumpuser_cv *cv, struct rumpuser_mtx *mtx)
{

	cv_wait_wrapped(cv, mtx, RUMPUSER__FOREVER);
}

void
rumpuser_cv_wait_nowrap(struct rumpuser_cv *cv, struct rumpuser_mtx *mtx)
{

	mtx_release(mtx);
	rumpuser__sched_block(&cv->c_waiters, WAIT_CV, cv, RUMPUSER__FOREVER);
	rumpuser_mutex_enter_nowrap(mtx);
}

int
rumpuser_cv_timedwait(struct rumpuser_cv *cv, struct rumpuser_mtx *mtx,
    int64_t sec, int64_t nsec)
{
	uint64_t deadline;

	/* A timeout in the past still waits, briefly: it is a scheduling
	 * point. */
	deadline = rumpuser__sched_deadline(rumpuser__timespec_ns(sec, nsec));
	return cv_wait_wrapped(cv, mtx, deadline);
}

void
rumpuser_cv_signal(struct rumpuser_cv *cv)
{
	struct thread *t;

	if ((t = waitq_first(&cv->c_waiters)) != NULL)
		rumpuser__sched_wake(t);
}

void
rumpuser_cv_broadcast(struct rumpuser_cv *cv)
{
	struct thread *t;

	while ((t = waitq_first(&cv->c_waiters)) != NULL)
		rumpuser__sched_wake(t);
}

void
rumpuser_cv_has_waiters(struct rumpuser_cv *cv, int *waitersp)
{

	*waitersp = waitq_first(&cv->c_waiters) != NULL;
}
