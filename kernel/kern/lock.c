/*
 * lock.c: kernel mutexes, reader/writer locks and condition variables
 * over the rumpuser lock hypercalls.
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/libkern.h>
#include <kern/lock.h>
#include <kern/proc.h>
#include <kern/hyp.h>

void
mutex_init(kmutex_t *m, kmutex_type_t type)
{

	rumpuser_mutex_init(&m->mtx_hyp, type == MUTEX_SPIN ?
	    RUMPUSER_MTX_SPIN : RUMPUSER_MTX_KMUTEX);
	m->mtx_stat = NULL;
}

void
mutex_destroy(kmutex_t *m)
{

	rumpuser_mutex_destroy(m->mtx_hyp);
	m->mtx_hyp = NULL;
}

/* --- Contention statistics (lock.h) ------------------------------------- */

bool lockstat_enabled;
static struct lockstat *lockstat_list;

static void
lockstat_link(struct lockstat *ls)
{
	struct lockstat *head;

	if (__atomic_load_n(&ls->ls_listed, __ATOMIC_ACQUIRE) ||
	    __atomic_exchange_n(&ls->ls_listed, 1, __ATOMIC_ACQ_REL))
		return;
	head = __atomic_load_n(&lockstat_list, __ATOMIC_RELAXED);
	do {
		ls->ls_next = head;
	} while (!__atomic_compare_exchange_n(&lockstat_list, &head, ls,
	    true, __ATOMIC_RELEASE, __ATOMIC_RELAXED));
}

void
lockstat_contended(struct lockstat *ls)
{

	if (ls == NULL || !lockstat_enabled)
		return;
	lockstat_link(ls);
	__atomic_add_fetch(&ls->ls_contended, 1, __ATOMIC_RELAXED);
}

void
lockstat_acquired(struct lockstat *ls)
{

	if (ls == NULL || !lockstat_enabled)
		return;
	lockstat_link(ls);
	__atomic_add_fetch(&ls->ls_acquired, 1, __ATOMIC_RELAXED);
}

void
lockstat_count(struct lockstat *ls, bool contended)
{

	if (contended)
		lockstat_contended(ls);
	lockstat_acquired(ls);
}

size_t
lockstat_format(char *buf, size_t len)
{
	struct lockstat *ls;
	size_t off = 0;
	int n;

	if (len > 0)
		buf[0] = '\0';
	for (ls = __atomic_load_n(&lockstat_list, __ATOMIC_ACQUIRE);
	    ls != NULL; ls = ls->ls_next) {
		n = snprintf(buf + off, len - off, "%s %llu %llu\n",
		    ls->ls_name, (unsigned long long)__atomic_load_n(
		    &ls->ls_acquired, __ATOMIC_RELAXED),
		    (unsigned long long)__atomic_load_n(&ls->ls_contended,
		    __ATOMIC_RELAXED));
		if (n < 0 || (size_t)n >= len - off)
			break;
		off += (size_t)n;
	}
	return off;
}

void
lockstat_reset(void)
{
	struct lockstat *ls;

	for (ls = __atomic_load_n(&lockstat_list, __ATOMIC_ACQUIRE);
	    ls != NULL; ls = ls->ls_next) {
		__atomic_store_n(&ls->ls_acquired, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&ls->ls_contended, 0, __ATOMIC_RELAXED);
	}
}

/*
 * A lock held by a thread on another virtual CPU is usually let go
 * within a few hundred nanoseconds (the block cache's and the vnode
 * cache's locks guard lookups in lists).  Waiting in the hypercall means
 * giving up the virtual CPU, sleeping in the host and taking a CPU
 * again, which costs far more: with two threads on ext2, bench_scale
 * --lockstat saw 7% of bcache_lock's acquisitions wait and the files
 * per second fall to a third.  So a taker first retries for a short
 * while (adaptive, as NetBSD's mutexes spin while the owner runs), and
 * only then waits.  With one virtual CPU nobody else can be running.
 */
#define LOCK_SPINS	256

static inline void
spin_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__asm__ volatile("pause");
#elif defined(__aarch64__)
	__asm__ volatile("yield");
#endif
}

static bool
mutex_spin(kmutex_t *m)
{
	int i;

	if (ncpu_get() < 2)
		return false;
	for (i = 0; i < LOCK_SPINS; i++) {
		struct lwp *owner;

		spin_pause();
		/* Reading the owner moves no cache line: try only when the
		 * lock looks free (a spin mutex never names its owner). */
		rumpuser_mutex_owner(m->mtx_hyp, &owner);
		if (owner == NULL && rumpuser_mutex_tryenter(m->mtx_hyp) == 0)
			return true;
	}
	return false;
}

void
mutex_enter(kmutex_t *m)
{

	if (rumpuser_mutex_tryenter(m->mtx_hyp) == 0) {
		if (__builtin_expect(m->mtx_stat != NULL &&
		    lockstat_enabled, 0))
			lockstat_acquired(m->mtx_stat);
		return;
	}
	if (__builtin_expect(m->mtx_stat != NULL && lockstat_enabled, 0))
		lockstat_contended(m->mtx_stat);
	/* The hypercall gives up the CPU only if it has to wait, and
	 * never for a spin mutex. */
	if (!mutex_spin(m))
		rumpuser_mutex_enter(m->mtx_hyp);
	if (__builtin_expect(m->mtx_stat != NULL && lockstat_enabled, 0))
		lockstat_acquired(m->mtx_stat);
}

int
mutex_tryenter(kmutex_t *m)
{

	return rumpuser_mutex_tryenter(m->mtx_hyp) == 0;
}

void
mutex_exit(kmutex_t *m)
{

	rumpuser_mutex_exit(m->mtx_hyp);
}

bool
mutex_owned(kmutex_t *m)
{
	struct lwp *owner;

	rumpuser_mutex_owner(m->mtx_hyp, &owner);
	return owner != NULL && owner == curlwp;
}

void
rw_init(krwlock_t *rw)
{

	rumpuser_rw_init(&rw->rw_hyp);
	rw->rw_stat = NULL;
}

void
rw_destroy(krwlock_t *rw)
{

	rumpuser_rw_destroy(rw->rw_hyp);
	rw->rw_hyp = NULL;
}

/*
 * Vnode locks are held across whole operations, I/O included, but most
 * holders are path lookups passing through a directory ("/" and the
 * mount points, for every path), which hold it for a microsecond or two.
 * Waiting in the hypercall costs a sleep and a wakeup in the host (with
 * two threads on tmpfs, bench_scale made 0.6 futex calls per file, nearly
 * all for the lock of "/"), so a taker retries for a short while first.
 * An rwlock does not name its owner: the retries are bounded instead.
 */
#define RW_SPINS	128

static bool
rw_spin(krwlock_t *rw, int hop)
{
	int i;

	if (ncpu_get() < 2)
		return false;
	for (i = 0; i < RW_SPINS; i++) {
		spin_pause();
		if (rumpuser_rw_tryenter(hop, rw->rw_hyp) == 0)
			return true;
	}
	return false;
}

void
rw_enter(krwlock_t *rw, krw_t op)
{
	int hop = op == RW_WRITER ? RUMPUSER_RW_WRITER : RUMPUSER_RW_READER;

	if (rumpuser_rw_tryenter(hop, rw->rw_hyp) == 0) {
		if (__builtin_expect(rw->rw_stat != NULL &&
		    lockstat_enabled, 0))
			lockstat_acquired(rw->rw_stat);
		return;
	}
	if (__builtin_expect(rw->rw_stat != NULL && lockstat_enabled, 0))
		lockstat_contended(rw->rw_stat);
	if (!rw_spin(rw, hop))
		rumpuser_rw_enter(hop, rw->rw_hyp);
	if (__builtin_expect(rw->rw_stat != NULL && lockstat_enabled, 0))
		lockstat_acquired(rw->rw_stat);
}

int
rw_tryenter(krwlock_t *rw, krw_t op)
{

	return rumpuser_rw_tryenter(op == RW_WRITER ? RUMPUSER_RW_WRITER :
	    RUMPUSER_RW_READER, rw->rw_hyp) == 0;
}

void
rw_exit(krwlock_t *rw)
{

	rumpuser_rw_exit(rw->rw_hyp);
}

bool
rw_write_held(krwlock_t *rw)
{
	int held;

	rumpuser_rw_held(RUMPUSER_RW_WRITER, rw->rw_hyp, &held);
	return held != 0;
}

bool
rw_lock_held(krwlock_t *rw)
{
	int held;

	rumpuser_rw_held(RUMPUSER_RW_WRITER, rw->rw_hyp, &held);
	if (held)
		return true;
	rumpuser_rw_held(RUMPUSER_RW_READER, rw->rw_hyp, &held);
	return held != 0;
}

void
cv_init(kcondvar_t *cv)
{

	rumpuser_cv_init(&cv->cv_hyp);
}

void
cv_destroy(kcondvar_t *cv)
{

	rumpuser_cv_destroy(cv->cv_hyp);
	cv->cv_hyp = NULL;
}

void
cv_wait(kcondvar_t *cv, kmutex_t *m)
{

	rumpuser_cv_wait(cv->cv_hyp, m->mtx_hyp);
}

#define NSEC_PER_SEC	1000000000ULL

int
cv_timedwait_ns(kcondvar_t *cv, kmutex_t *m, uint64_t timeout_ns)
{
	int error;

	if (timeout_ns == 0) {
		cv_wait(cv, m);
		return 0;
	}
	error = rumpuser_cv_timedwait(cv->cv_hyp, m->mtx_hyp,
	    (int64_t)(timeout_ns / NSEC_PER_SEC),
	    (int64_t)(timeout_ns % NSEC_PER_SEC));
	return error == 0 ? 0 : hyp_errno(error);
}

void
cv_signal(kcondvar_t *cv)
{

	rumpuser_cv_signal(cv->cv_hyp);
}

void
cv_broadcast(kcondvar_t *cv)
{

	rumpuser_cv_broadcast(cv->cv_hyp);
}

bool
cv_has_waiters(kcondvar_t *cv)
{
	int waiters;

	rumpuser_cv_has_waiters(cv->cv_hyp, &waiters);
	return waiters != 0;
}
