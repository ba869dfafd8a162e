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
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

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
 * Reader/writer locks.  Built from an atomic word, a mutex and condition
 * variables rather than pthread_rwlock_t, which can neither upgrade nor
 * downgrade.  Readers are admitted whenever no writer holds the lock, as
 * with glibc's default rwlocks that rump kernels have always run on: a
 * kernel that re-enters a lock as reader while a writer waits must not
 * deadlock.
 *
 * The word holds the number of readers, RW_WRITER when a writer holds
 * the lock and RW_WAITERS while someone waits.  Taking and giving back
 * a lock nobody waits for is one atomic step on the word: every path
 * lookup takes the lock of "/" and of each directory on the way, and
 * with a mutex inside the lock two CPUs passed that mutex back and forth
 * (and slept on it in the host) even when they only read.  A waiter sets
 * RW_WAITERS with the mutex held and then tries once more; whoever gives
 * the lock back and sees RW_WAITERS takes the mutex to wake them, so no
 * wakeup is lost: either the giver's step came first and the retry
 * succeeds, or the giver sees the flag.
 */
#define RW_WRITER	0x80000000u
#define RW_WAITERS	0x40000000u
#define RW_READERS	0x3fffffffu

struct rumpuser_rw {
	unsigned int state;	/* atomic: readers | RW_WRITER | RW_WAITERS */
	struct lwp *writer;	/* atomic: for rw_held, the writer's lwp */
	pthread_mutex_t mtx;	/* the waiters' interlock; all below */
	pthread_cond_t rcv;	/* readers wait here */
	pthread_cond_t wcv;	/* writers wait here */
	unsigned int rwait;
	unsigned int wwait;
};

void
rumpuser_rw_init(struct rumpuser_rw **rwp)
{
	struct rumpuser_rw *rw;

	rw = lockalloc(sizeof(*rw));
	NOFAIL(pthread_mutex_init(&rw->mtx, NULL));
	NOFAIL(pthread_cond_init(&rw->rcv, NULL));
	NOFAIL(pthread_cond_init(&rw->wcv, NULL));
	rw->state = 0;
	rw->writer = NULL;
	rw->rwait = rw->wwait = 0;
	*rwp = rw;
}

/* Takes the lock if possible, in one atomic step; needs no mutex. */
static int
rw_take(struct rumpuser_rw *rw, int op)
{
	unsigned int s = __atomic_load_n(&rw->state, __ATOMIC_RELAXED);

	if (op == RUMPUSER_RW_WRITER) {
		while ((s & ~RW_WAITERS) == 0) {
			if (__atomic_compare_exchange_n(&rw->state, &s,
			    s | RW_WRITER, true, __ATOMIC_ACQUIRE,
			    __ATOMIC_RELAXED)) {
				__atomic_store_n(&rw->writer,
				    rumpuser_curlwp(), __ATOMIC_RELAXED);
				return 1;
			}
		}
		return 0;
	}
	while ((s & RW_WRITER) == 0) {
		if ((s & RW_READERS) == RW_READERS)
			rumpuser__fatal("rw_enter: too many readers", EAGAIN);
		if (__atomic_compare_exchange_n(&rw->state, &s, s + 1, true,
		    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return 1;
	}
	return 0;
}

/* Someone gave the lock back and saw RW_WAITERS: wake who can get in
 * now (a reader when no writer holds it, a writer when nobody does;
 * woken waiters that lose the race wait again). */
static void
rw_wake(struct rumpuser_rw *rw)
{

	NOFAIL(pthread_mutex_lock(&rw->mtx));
	if (rw->rwait != 0)
		NOFAIL(pthread_cond_broadcast(&rw->rcv));
	if (rw->wwait != 0)
		NOFAIL(pthread_cond_signal(&rw->wcv));
	NOFAIL(pthread_mutex_unlock(&rw->mtx));
}

void
rumpuser_rw_enter(int op, struct rumpuser_rw *rw)
{
	int nlocks;

	if (rw_take(rw, op))
		return;

	rumpuser__unschedule(&nlocks, NULL);
	NOFAIL(pthread_mutex_lock(&rw->mtx));
	for (;;) {
		__atomic_fetch_or(&rw->state, RW_WAITERS, __ATOMIC_RELAXED);
		if (rw_take(rw, op))
			break;
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
	/* The last waiter clears the flag; later ones set it again. */
	if (rw->rwait == 0 && rw->wwait == 0)
		__atomic_fetch_and(&rw->state, ~RW_WAITERS, __ATOMIC_RELAXED);
	NOFAIL(pthread_mutex_unlock(&rw->mtx));
	rumpuser__schedule(nlocks, NULL);
}

int
rumpuser_rw_tryenter(int op, struct rumpuser_rw *rw)
{

	return rw_take(rw, op) ? 0 : RUMPUSER__NB_EBUSY;
}

/* The caller holds the lock as a reader: if it is the only one, it can
 * become the writer without anyone else getting in between. */
int
rumpuser_rw_tryupgrade(struct rumpuser_rw *rw)
{
	unsigned int s = __atomic_load_n(&rw->state, __ATOMIC_RELAXED);

	while ((s & ~RW_WAITERS) == 1) {
		if (__atomic_compare_exchange_n(&rw->state, &s,
		    (s & RW_WAITERS) | RW_WRITER, true, __ATOMIC_ACQUIRE,
		    __ATOMIC_RELAXED)) {
			__atomic_store_n(&rw->writer, rumpuser_curlwp(),
			    __ATOMIC_RELAXED);
			return 0;
		}
	}
	return RUMPUSER__NB_EBUSY;
}

void
rumpuser_rw_downgrade(struct rumpuser_rw *rw)
{
	unsigned int s = __atomic_load_n(&rw->state, __ATOMIC_RELAXED);

	if ((s & RW_WRITER) == 0)
		rumpuser__fatal("rw_downgrade: not write-held", EINVAL);
	__atomic_store_n(&rw->writer, NULL, __ATOMIC_RELAXED);
	while (!__atomic_compare_exchange_n(&rw->state, &s,
	    (s & RW_WAITERS) | 1, true, __ATOMIC_RELEASE, __ATOMIC_RELAXED))
		continue;
	/* Readers waiting for the writer may come in. */
	if (s & RW_WAITERS)
		rw_wake(rw);
}

void
rumpuser_rw_exit(struct rumpuser_rw *rw)
{
	unsigned int s = __atomic_load_n(&rw->state, __ATOMIC_RELAXED), n;

	do {
		if (s & RW_WRITER) {
			__atomic_store_n(&rw->writer, NULL, __ATOMIC_RELAXED);
			n = s & ~RW_WRITER;
		} else if ((s & RW_READERS) != 0) {
			n = s - 1;
		} else {
			rumpuser__fatal("rw_exit: not held", EINVAL);
		}
	} while (!__atomic_compare_exchange_n(&rw->state, &s, n, true,
	    __ATOMIC_RELEASE, __ATOMIC_RELAXED));
	/* Readers still in: nobody waiting can get in yet (readers wait
	 * only for a writer); the last one out wakes them. */
	if ((n & RW_WAITERS) != 0 && (n & ~RW_WAITERS) == 0)
		rw_wake(rw);
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
	unsigned int s = __atomic_load_n(&rw->state, __ATOMIC_RELAXED);

	if (op == RUMPUSER_RW_WRITER)
		*heldp = (s & RW_WRITER) != 0 && __atomic_load_n(&rw->writer,
		    __ATOMIC_RELAXED) == rumpuser_curlwp();
	else
		*heldp = (s & RW_READERS) != 0;
}

/*
 * Condition variables.  They measure timeouts on the monotonic clock, so
 * that setting the host's wall clock neither shortens nor extends them.
 */

struct rumpuser_cv {
	pthread_cond_t pthcv;
	unsigned int nwaiters;	/* changed under the waiters' mutex */
	unsigned int wakeups;	/* signals and broadcasts so far */
	int spinscore;		/* < 0: waits left before a spin is tried */
};

/*
 * A waiter that will be signalled within microseconds (a socket reader
 * whose answer is on its way through another thread) first polls
 * cv->wakeups for up to RUMP_CV_SPIN_US (default CV_SPIN_US, 0 turns it
 * off) instead of sleeping at once: the signaller then wakes nobody, and
 * a host thread wakeup (from idle, on another CPU: 12-15 us in a VM) is
 * saved on each side.  Only with more than one host CPU (the signaller
 * must run somewhere), only on cvs whose last spin was answered (a cv
 * whose spin timed out sleeps for its next CV_SPIN_BACKOFF waits), and
 * yielding the CPU at every turn, so that a thread woken meanwhile on
 * this CPU (the one that will signal, perhaps) runs first.
 */
#define CV_SPIN_US	50
#define CV_SPIN_MAX_US	1000
#define CV_SPIN_BACKOFF	8

static int64_t cv_spin_ns;

void
rumpuser__sync_init(void)
{
	const char *v;
	long us = CV_SPIN_US;
	char *end;

	if ((v = getenv("RUMP_CV_SPIN_US")) != NULL) {
		us = strtol(v, &end, 10);
		if (end == v || *end != '\0' || us < 0)
			us = 0;
		if (us > CV_SPIN_MAX_US)
			us = CV_SPIN_MAX_US;
	}
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		us = 0;
	cv_spin_ns = (int64_t)us * 1000;
}

bool
rumpuser__spin_enabled(void)
{

	return cv_spin_ns != 0;
}

bool
rumpuser__spin_for_change(const unsigned int *word, unsigned int seen)
{
	uint64_t deadline = rumpuser__now_ns() + (uint64_t)cv_spin_ns;

	do {
		sched_yield();
		if (__atomic_load_n(word, __ATOMIC_ACQUIRE) != seen)
			return true;
	} while (rumpuser__now_ns() < deadline);
	return false;
}

/*
 * Called holding mtx (host mutex held, CPU given up).  Returns true when
 * the wait is over: mtx is held again and the caller returns as from a
 * wakeup.  That may be spurious (a signal meant for another waiter, or
 * the spin timing out), which cv_wait allows: a signaller that changed
 * the condition while mtx was released here may ring wakeups only after
 * a last look at them, too late for a pthread_cond_wait begun after that
 * look, so a spin that saw nothing never goes on to sleep.
 */
static bool
cv_spin(struct rumpuser_cv *cv, struct rumpuser_mtx *mtx)
{
	unsigned int seen;
	bool woken;
	int score;

	if (cv_spin_ns == 0 || (mtx->flags & RUMPUSER_MTX_SPIN))
		return false;
	score = __atomic_load_n(&cv->spinscore, __ATOMIC_RELAXED);
	if (score < 0) {
		__atomic_store_n(&cv->spinscore, score + 1, __ATOMIC_RELAXED);
		return false;
	}
	seen = __atomic_load_n(&cv->wakeups, __ATOMIC_ACQUIRE);
	NOFAIL(pthread_mutex_unlock(&mtx->pthmtx));
	woken = rumpuser__spin_for_change(&cv->wakeups, seen);
	NOFAIL(pthread_mutex_lock(&mtx->pthmtx));
	if (!woken)
		__atomic_store_n(&cv->spinscore, -CV_SPIN_BACKOFF,
		    __ATOMIC_RELAXED);
	return true;
}

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
	cv->wakeups = 0;
	cv->spinscore = 0;
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
	if (!cv_spin(cv, mtx))
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
	/* Last: a poller that sees it may return and free the cv. */
	__atomic_add_fetch(&cv->wakeups, 1, __ATOMIC_RELEASE);
}

void
rumpuser_cv_broadcast(struct rumpuser_cv *cv)
{

	NOFAIL(pthread_cond_broadcast(&cv->pthcv));
	/* Last: a poller that sees it may return and free the cv. */
	__atomic_add_fetch(&cv->wakeups, 1, __ATOMIC_RELEASE);
}

void
rumpuser_cv_has_waiters(struct rumpuser_cv *cv, int *waitersp)
{

	*waitersp = __atomic_load_n(&cv->nwaiters, __ATOMIC_RELAXED) != 0;
}
