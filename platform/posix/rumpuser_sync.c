/*
 * rumpuser_sync.c: mutexes, reader/writer locks and condition variables
 * for the kernel, on pthreads.
 *
 * The rule throughout: a thread never blocks on a host lock while holding
 * a rump CPU, except where the interface says so (SPIN mutexes, _nowrap
 * calls), because the thread it waits for may need that CPU to get to the
 * point of releasing the lock.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/types.h>
#include <time.h>

#include <rump/rumpuser.h>

#include "rumpuser_posix.h"

/* Lock operations fail only on misuse, and void hypercalls never fail:
 * a kernel bug then stops the process where it happened. */
#define NOFAIL(call) do {						\
	int nofail_error = (call);					\
	if (nofail_error != 0)						\
		rumpuser__fatal(#call, nofail_error);			\
} while (0)

/*
 * Each lock on cache lines of its own: malloc packed them next to each
 * other, so two CPUs taking two unrelated locks (two stripes of the
 * block cache, two vnodes) still passed one cache line back and forth.
 */
#define LOCK_ALIGN	64

static void *
lockalloc(size_t size)
{
	void *p;

	size = (size + LOCK_ALIGN - 1) & ~(size_t)(LOCK_ALIGN - 1);
	if (posix_memalign(&p, LOCK_ALIGN, size) != 0)
		rumpuser__fatal("lock allocation", ENOMEM);
	return p;
}

/*
 * Mutexes
 */

struct rumpuser_mtx {
	pthread_mutex_t pthmtx;
	struct lwp *owner;	/* KMUTEX only; read racily by _owner */
	int flags;
};

void
rumpuser_mutex_init(struct rumpuser_mtx **mtxp, int flags)
{
	struct rumpuser_mtx *mtx;
	pthread_mutexattr_t attr;

	mtx = lockalloc(sizeof(*mtx));
	NOFAIL(pthread_mutexattr_init(&attr));
	/* Error checking turns a kernel's recursive enter or foreign exit
	 * into an abort instead of a silent hang. */
	NOFAIL(pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK));
	NOFAIL(pthread_mutex_init(&mtx->pthmtx, &attr));
	pthread_mutexattr_destroy(&attr);
	mtx->owner = NULL;
	mtx->flags = flags;
	*mtxp = mtx;
}

/* Bookkeeping once the host mutex is held / before it is released. */
static inline void
mtx_entered(struct rumpuser_mtx *mtx)
{

	if (mtx->flags & RUMPUSER_MTX_KMUTEX)
		__atomic_store_n(&mtx->owner, rumpuser_curlwp(),
		    __ATOMIC_RELAXED);
}

static inline void
mtx_exiting(struct rumpuser_mtx *mtx)
{

	if (mtx->flags & RUMPUSER_MTX_KMUTEX)
		__atomic_store_n(&mtx->owner, NULL, __ATOMIC_RELAXED);
}

void
rumpuser_mutex_enter_nowrap(struct rumpuser_mtx *mtx)
{

	NOFAIL(pthread_mutex_lock(&mtx->pthmtx));
	mtx_entered(mtx);
}

void
rumpuser_mutex_enter(struct rumpuser_mtx *mtx)
{
	int nlocks, error;

	if (mtx->flags & RUMPUSER_MTX_SPIN) {
		rumpuser_mutex_enter_nowrap(mtx);
		return;
	}
	/* Uncontended: no reason to touch the scheduler. */
	error = pthread_mutex_trylock(&mtx->pthmtx);
	if (error == EBUSY) {
		rumpuser__unschedule(&nlocks, NULL);
		NOFAIL(pthread_mutex_lock(&mtx->pthmtx));
		rumpuser__schedule(nlocks, NULL);
	} else if (error != 0) {
		rumpuser__fatal("pthread_mutex_trylock", error);
	}
	mtx_entered(mtx);
}

int
rumpuser_mutex_tryenter(struct rumpuser_mtx *mtx)
{
	int error;

	error = pthread_mutex_trylock(&mtx->pthmtx);
	if (error == 0) {
		mtx_entered(mtx);
		return 0;
	}
	/* ERRORCHECK mutexes say EDEADLK when the caller holds it: still
	 * just "not taken" to the kernel. */
	if (error == EBUSY || error == EDEADLK)
		return RUMPUSER__NB_EBUSY;
	return rumpuser__posixhost_errno_to_netbsd(error);
}

void
rumpuser_mutex_exit(struct rumpuser_mtx *mtx)
{

	mtx_exiting(mtx);
	NOFAIL(pthread_mutex_unlock(&mtx->pthmtx));
}

void
rumpuser_mutex_destroy(struct rumpuser_mtx *mtx)
{

	NOFAIL(pthread_mutex_destroy(&mtx->pthmtx));
	free(mtx);
}

void
rumpuser_mutex_owner(struct rumpuser_mtx *mtx, struct lwp **lp)
{

	/* Only a KMUTEX knows its owner; others report "free". */
	*lp = __atomic_load_n(&mtx->owner, __ATOMIC_RELAXED);
}

/*
 * Reader/writer locks.  Built from a mutex and condition variables rather
 * than pthread_rwlock_t, which can neither upgrade nor downgrade.  Readers
 * are admitted whenever no writer holds the lock, as with glibc's default
 * rwlocks that rump kernels have always run on: a kernel that re-enters
 * a lock as reader while a writer waits must not deadlock.
 */

struct rumpuser_rw {
	pthread_mutex_t mtx;	/* protects all below; held only briefly */
	pthread_cond_t rcv;	/* readers wait here */
	pthread_cond_t wcv;	/* writers wait here */
	unsigned int readers;
	unsigned int rwait;
	unsigned int wwait;
	int wheld;
	struct lwp *writer;	/* for rw_held: the lwp holding it as writer */
};

void
rumpuser_rw_init(struct rumpuser_rw **rwp)
{
	struct rumpuser_rw *rw;

	rw = lockalloc(sizeof(*rw));
	NOFAIL(pthread_mutex_init(&rw->mtx, NULL));
	NOFAIL(pthread_cond_init(&rw->rcv, NULL));
	NOFAIL(pthread_cond_init(&rw->wcv, NULL));
	rw->readers = rw->rwait = rw->wwait = 0;
	rw->wheld = 0;
	rw->writer = NULL;
	*rwp = rw;
}

/* Called with rw->mtx held: takes the lock if possible. */
static int
rw_take(struct rumpuser_rw *rw, int op)
{

	if (rw->wheld)
		return 0;
	if (op == RUMPUSER_RW_WRITER) {
		if (rw->readers != 0)
			return 0;
		rw->wheld = 1;
		rw->writer = rumpuser_curlwp();
	} else {
		rw->readers++;
	}
	return 1;
}

void
rumpuser_rw_enter(int op, struct rumpuser_rw *rw)
{
	int nlocks;

	NOFAIL(pthread_mutex_lock(&rw->mtx));
	if (rw_take(rw, op)) {
		NOFAIL(pthread_mutex_unlock(&rw->mtx));
		return;
	}
	NOFAIL(pthread_mutex_unlock(&rw->mtx));

	rumpuser__unschedule(&nlocks, NULL);
	NOFAIL(pthread_mutex_lock(&rw->mtx));
	while (!rw_take(rw, op)) {
		if (op == RUMPUSER_RW_WRITER) {
			rw->wwait++;
			NOFAIL(pthread_cond_wait(&rw->wcv, &rw->mtx));
			rw->wwait--;
		} else {
			rw->rwait++;
			NOFAIL(pthread_cond_wait(&rw->rcv, &rw->mtx));
			rw->rwait--;
		}
	}
	NOFAIL(pthread_mutex_unlock(&rw->mtx));
	rumpuser__schedule(nlocks, NULL);
}

int
rumpuser_rw_tryenter(int op, struct rumpuser_rw *rw)
{
	int taken;

	NOFAIL(pthread_mutex_lock(&rw->mtx));
	taken = rw_take(rw, op);
	NOFAIL(pthread_mutex_unlock(&rw->mtx));
	return taken ? 0 : RUMPUSER__NB_EBUSY;
}

/* The caller holds the lock as a reader: if it is the only one, it can
 * become the writer without anyone else getting in between. */
int
rumpuser_rw_tryupgrade(struct rumpuser_rw *rw)
{
	int rv = RUMPUSER__NB_EBUSY;

	NOFAIL(pthread_mutex_lock(&rw->mtx));
	if (rw->readers == 1 && !rw->wheld) {
		rw->readers = 0;
		rw->wheld = 1;
		rw->writer = rumpuser_curlwp();
		rv = 0;
	}
	NOFAIL(pthread_mutex_unlock(&rw->mtx));
	return rv;
}

void
rumpuser_rw_downgrade(struct rumpuser_rw *rw)
{

	NOFAIL(pthread_mutex_lock(&rw->mtx));
	if (!rw->wheld)
		rumpuser__fatal("rw_downgrade: not write-held", EINVAL);
	rw->wheld = 0;
	rw->writer = NULL;
	rw->readers = 1;
	if (rw->rwait != 0)
		NOFAIL(pthread_cond_broadcast(&rw->rcv));
	NOFAIL(pthread_mutex_unlock(&rw->mtx));
}

void
rumpuser_rw_exit(struct rumpuser_rw *rw)
{

	NOFAIL(pthread_mutex_lock(&rw->mtx));
	if (rw->wheld) {
		rw->wheld = 0;
		rw->writer = NULL;
	} else if (rw->readers != 0) {
		rw->readers--;
	} else {
		rumpuser__fatal("rw_exit: not held", EINVAL);
	}
	if (rw->readers == 0) {
		/* Waiting readers all get in together; a writer gets in
		 * when nobody else holds the lock. */
		if (rw->rwait != 0)
			NOFAIL(pthread_cond_broadcast(&rw->rcv));
		else if (rw->wwait != 0)
			NOFAIL(pthread_cond_signal(&rw->wcv));
	}
	NOFAIL(pthread_mutex_unlock(&rw->mtx));
}

void
rumpuser_rw_destroy(struct rumpuser_rw *rw)
{

	NOFAIL(pthread_cond_destroy(&rw->wcv));
	NOFAIL(pthread_cond_destroy(&rw->rcv));
	NOFAIL(pthread_mutex_destroy(&rw->mtx));
	free(rw);
}

/* For a reader the answer is "someone reads": which threads do is not
 * tracked, as in other implementations; assertions only need that much. */
void
rumpuser_rw_held(int op, struct rumpuser_rw *rw, int *heldp)
{

	NOFAIL(pthread_mutex_lock(&rw->mtx));
	if (op == RUMPUSER_RW_WRITER)
		*heldp = rw->wheld && rw->writer == rumpuser_curlwp();
	else
		*heldp = rw->readers != 0;
	NOFAIL(pthread_mutex_unlock(&rw->mtx));
}

/*
 * Condition variables.  They measure timeouts on the monotonic clock, so
 * that setting the host's wall clock neither shortens nor extends them.
 */

struct rumpuser_cv {
	pthread_cond_t pthcv;
	unsigned int nwaiters;	/* changed under the waiters' mutex */
};

void
rumpuser_cv_init(struct rumpuser_cv **cvp)
{
	struct rumpuser_cv *cv;
	pthread_condattr_t attr;

	cv = lockalloc(sizeof(*cv));
	NOFAIL(pthread_condattr_init(&attr));
	NOFAIL(pthread_condattr_setclock(&attr, CLOCK_MONOTONIC));
	NOFAIL(pthread_cond_init(&cv->pthcv, &attr));
	pthread_condattr_destroy(&attr);
	cv->nwaiters = 0;
	*cvp = cv;
}

void
rumpuser_cv_destroy(struct rumpuser_cv *cv)
{

	NOFAIL(pthread_cond_destroy(&cv->pthcv));
	free(cv);
}

/*
 * Before waiting: announce the waiter and give up the CPU while still
 * holding mtx, which is the interlock the kernel's scheduler is told about.
 */
static void
cv_prewait(struct rumpuser_cv *cv, struct rumpuser_mtx *mtx, int *nlocks)
{

	__atomic_add_fetch(&cv->nwaiters, 1, __ATOMIC_RELAXED);
	rumpuser__unschedule(nlocks, mtx);
	mtx_exiting(mtx);
}

/*
 * After waking up, pthread holds mtx again but we hold no CPU.  The order
 * in which the two are retaken must match how the mutex is taken
 * elsewhere, or two threads can each hold what the other waits for:
 *  - SPIN|KMUTEX (the kernel's spin mutexes, entered while holding a CPU
 *    and without releasing it): the CPU first, then the mutex.
 *  - pure SPIN (the scheduler's own locks): the mutex, then the CPU.
 *  - others (entered only after releasing the CPU): give the mutex up,
 *    take the CPU, retake the mutex the ordinary way, so that no thread
 *    ever waits for a CPU while holding a kernel mutex.
 */
static void
cv_postwait(struct rumpuser_cv *cv, struct rumpuser_mtx *mtx, int nlocks)
{
	const int spinkmutex = RUMPUSER_MTX_SPIN | RUMPUSER_MTX_KMUTEX;

	if ((mtx->flags & spinkmutex) == RUMPUSER_MTX_SPIN) {
		rumpuser__schedule(nlocks, mtx);
	} else {
		NOFAIL(pthread_mutex_unlock(&mtx->pthmtx));
		rumpuser__schedule(nlocks, mtx);
		if ((mtx->flags & spinkmutex) == spinkmutex)
			NOFAIL(pthread_mutex_lock(&mtx->pthmtx));
		else
			rumpuser_mutex_enter(mtx);
	}
	mtx_entered(mtx);
	__atomic_sub_fetch(&cv->nwaiters, 1, __ATOMIC_RELAXED);
}

void
rumpuser_cv_wait(struct rumpuser_cv *cv, struct rumpuser_mtx *mtx)
{
	int nlocks;

	cv_prewait(cv, mtx, &nlocks);
	NOFAIL(pthread_cond_wait(&cv->pthcv, &mtx->pthmtx));
	cv_postwait(cv, mtx, nlocks);
}

void
rumpuser_cv_wait_nowrap(struct rumpuser_cv *cv, struct rumpuser_mtx *mtx)
{

	__atomic_add_fetch(&cv->nwaiters, 1, __ATOMIC_RELAXED);
	mtx_exiting(mtx);
	NOFAIL(pthread_cond_wait(&cv->pthcv, &mtx->pthmtx));
	mtx_entered(mtx);
	__atomic_sub_fetch(&cv->nwaiters, 1, __ATOMIC_RELAXED);
}

int
rumpuser_cv_timedwait(struct rumpuser_cv *cv, struct rumpuser_mtx *mtx,
    int64_t sec, int64_t nsec)
{
	struct timespec deadline;
	int64_t s, dsec;
	long ns;
	int nlocks, error;

	/* Relative to absolute, saturating rather than wrapping: the
	 * kernel passes "forever" as huge values. */
	NOFAIL(clock_gettime(CLOCK_MONOTONIC, &deadline) == 0 ? 0 : errno);
	rumpuser__timespec_norm(sec, nsec, &s, &ns);
	if (s > INT32_MAX)
		s = INT32_MAX;		/* ~68 years: as good as forever */
	if (s < -INT32_MAX)
		s = -INT32_MAX;
	dsec = (int64_t)deadline.tv_sec + s;
	deadline.tv_nsec += ns;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_nsec -= 1000000000L;
		dsec++;
	}
	if (dsec > RUMPUSER__TIME_MAX)
		dsec = RUMPUSER__TIME_MAX;
	if (dsec < 0) {
		/* Long past: the wait times out at once. */
		dsec = 0;
		deadline.tv_nsec = 0;
	}
	deadline.tv_sec = (time_t)dsec;

	cv_prewait(cv, mtx, &nlocks);
	error = pthread_cond_timedwait(&cv->pthcv, &mtx->pthmtx, &deadline);
	if (error != 0 && error != ETIMEDOUT)
		rumpuser__fatal("pthread_cond_timedwait", error);
	cv_postwait(cv, mtx, nlocks);
	return error == ETIMEDOUT ? RUMPUSER__NB_ETIMEDOUT : 0;
}

void
rumpuser_cv_signal(struct rumpuser_cv *cv)
{

	NOFAIL(pthread_cond_signal(&cv->pthcv));
}

void
rumpuser_cv_broadcast(struct rumpuser_cv *cv)
{

	NOFAIL(pthread_cond_broadcast(&cv->pthcv));
}

void
rumpuser_cv_has_waiters(struct rumpuser_cv *cv, int *waitersp)
{

	*waitersp = __atomic_load_n(&cv->nwaiters, __ATOMIC_RELAXED) != 0;
}
