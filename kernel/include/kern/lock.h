/*
 * lock.h: kernel mutexes, reader/writer locks and condition variables,
 * built on the rumpuser lock hypercalls.
 *
 * A thread must hold a virtual CPU (be "scheduled") to call any of these.
 * Blocking operations release the CPU while they wait (the hypercall does
 * it through hyp_backend_unschedule) and hold it again on return.
 * Spin mutexes never release the CPU; hold them only briefly and never
 * sleep while holding one.
 */
#ifndef KERN_LOCK_H
#define KERN_LOCK_H

#include <kern/types.h>

struct rumpuser_mtx;
struct rumpuser_rw;
struct rumpuser_cv;

/*
 * Lock contention statistics, for finding what makes threads take
 * turns (bench/bench_scale --lockstat).  A lock class counts how often
 * its locks were taken and how often the taker had to wait because
 * another thread held one.  Locks are put in a class with
 * mutex_setstat()/rw_setstat() after init; counting happens only when
 * the kernel was booted with RUMP_LOCKSTAT=1 (otherwise it costs one
 * test per acquisition).  Classes may also count other waits (the
 * block cache's busy buffers, the scheduler's virtual CPUs) with
 * lockstat_count().  lockstat_format() writes one line per class that
 * was used: "name acquired contended".
 */
struct lockstat {
	const char	*ls_name;
	uint64_t	 ls_acquired;	/* atomic */
	uint64_t	 ls_contended;	/* atomic: waited for another */
	struct lockstat	*ls_next;	/* on the list of used classes */
	int		 ls_listed;	/* atomic */
};
#define LOCKSTAT_CLASS(var, name)	struct lockstat var = { .ls_name = (name) }

extern bool lockstat_enabled;	/* RUMP_LOCKSTAT=1 at boot */
void	lockstat_count(struct lockstat *ls, bool contended);
/* Before a wait that may block: counts it as contended (so that a test
 * can see the wait begin); lockstat_count(ls, false)-like afterwards. */
void	lockstat_contended(struct lockstat *ls);
void	lockstat_acquired(struct lockstat *ls);
size_t	lockstat_format(char *buf, size_t len);
void	lockstat_reset(void);

typedef struct kmutex {
	struct rumpuser_mtx *mtx_hyp;
	struct lockstat *mtx_stat;	/* NULL: not counted */
} kmutex_t;

typedef struct krwlock {
	struct rumpuser_rw *rw_hyp;
	struct lockstat *rw_stat;
} krwlock_t;

#define mutex_setstat(m, ls)	((m)->mtx_stat = (ls))
#define rw_setstat(rw, ls)	((rw)->rw_stat = (ls))

typedef struct kcondvar {
	struct rumpuser_cv *cv_hyp;
} kcondvar_t;

typedef enum { MUTEX_DEFAULT, MUTEX_SPIN } kmutex_type_t;
typedef enum { RW_READER = 0, RW_WRITER = 1 } krw_t;

void	mutex_init(kmutex_t *m, kmutex_type_t type);
void	mutex_destroy(kmutex_t *m);
void	mutex_enter(kmutex_t *m);
/* 1 when taken, 0 when busy. */
int	mutex_tryenter(kmutex_t *m);
void	mutex_exit(kmutex_t *m);
/* True when the calling lwp owns m (default mutexes only). */
bool	mutex_owned(kmutex_t *m);

void	rw_init(krwlock_t *rw);
void	rw_destroy(krwlock_t *rw);
void	rw_enter(krwlock_t *rw, krw_t op);
int	rw_tryenter(krwlock_t *rw, krw_t op);
void	rw_exit(krwlock_t *rw);
bool	rw_write_held(krwlock_t *rw);
bool	rw_lock_held(krwlock_t *rw);

void	cv_init(kcondvar_t *cv);
void	cv_destroy(kcondvar_t *cv);
/* Releases m, waits for a signal, retakes m. */
void	cv_wait(kcondvar_t *cv, kmutex_t *m);
/* As cv_wait with a relative timeout in nanoseconds (0: none);
 * returns 0 when signalled, ETIMEDOUT on timeout. */
int	cv_timedwait_ns(kcondvar_t *cv, kmutex_t *m, uint64_t timeout_ns);
/*
 * Interruptible waits: as cv_wait and cv_timedwait_ns, but they end with
 * EINTR, m held, when the calling lwp is interrupted (rump_lwp_interrupt
 * in rump.h), whether the interrupt came before the wait or during it.
 * An interrupt stays pending until the host clears it, so every later
 * interruptible wait of the same call ends at once as well.  Return 0
 * (signalled, or woken for no reason: callers loop on their condition),
 * ETIMEDOUT (cv_timedwait_sig_ns only) or EINTR.  Use them where Linux
 * sleeps interruptibly (waits for a peer: pipes, sockets, poll); the
 * caller turns EINTR into what the system call returns: EINTR for calls
 * Linux never restarts, ERESTARTSYS for those it restarts under
 * SA_RESTART (errno.h), and a partial count when some work was done.
 * Waits for the kernel's own progress (buffers, vnodes) stay cv_wait.
 */
int	cv_wait_sig(kcondvar_t *cv, kmutex_t *m);
int	cv_timedwait_sig_ns(kcondvar_t *cv, kmutex_t *m, uint64_t timeout_ns);
void	cv_signal(kcondvar_t *cv);
void	cv_broadcast(kcondvar_t *cv);
bool	cv_has_waiters(kcondvar_t *cv);

#endif /* KERN_LOCK_H */
