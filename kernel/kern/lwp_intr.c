/*
 * lwp_intr.c: interruptible waits, and interrupting them from the host.
 *
 * A Linux thread blocked in a system call leaves its wait when a signal
 * it handles arrives.  A rump kernel has no signals: the host delivers
 * them itself (strata-run, for the programs it runs), and tells the
 * kernel with rump_lwp_interrupt() that an lwp's call must end.  That
 * sets the lwp's l_intr, which every interruptible wait checks before it
 * sleeps and after it wakes, and wakes the wait the lwp is in, if any.
 *
 * The wakeup needs the mutex of the wait: a broadcast without it could
 * fall between the sleeper's check of l_intr and its sleep and be lost.
 * A sleeper names its condition variable and mutex in its lwp (under
 * lwp_intr_lock) while it holds that mutex, and clears them again after
 * the wait; the interrupter, holding lwp_intr_lock, so that the two stay
 * valid, only tries the mutex (the sleeper takes lwp_intr_lock with the
 * mutex held: blocking on the mutex here would invert that order), and
 * tries again after a short pause when it is busy.  It succeeds once the
 * sleeper is in its wait (which releases the mutex) or has left it.
 *
 * Lock order: any wait's mutex, then lwp_intr_lock (a spin mutex, held
 * only for these few stores and the broadcast).
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/lock.h>
#include <kern/proc.h>
#include <kern/component.h>
#include <rump/rump.h>

static kmutex_t lwp_intr_lock;

RUMP_COMPONENT(RUMP_COMPONENT_KERN, lwp_intr)
{

	mutex_init(&lwp_intr_lock, MUTEX_SPIN);
}

static bool
lwp_interrupted(struct lwp *l)
{

	return __atomic_load_n(&l->l_intr, __ATOMIC_SEQ_CST) != 0;
}

/* cv_wait (timed false) or cv_timedwait_ns, ended by an interrupt. */
static int
cv_wait_sig_common(kcondvar_t *cv, kmutex_t *m, bool timed,
    uint64_t timeout_ns)
{
	struct lwp *l = curlwp;
	int error = 0;

	mutex_enter(&lwp_intr_lock);
	if (lwp_interrupted(l)) {
		mutex_exit(&lwp_intr_lock);
		return EINTR;
	}
	l->l_sleepcv = cv;
	l->l_sleepmtx = m;
	mutex_exit(&lwp_intr_lock);
	if (timed)
		error = cv_timedwait_ns(cv, m, timeout_ns);
	else
		cv_wait(cv, m);
	mutex_enter(&lwp_intr_lock);
	l->l_sleepcv = NULL;
	l->l_sleepmtx = NULL;
	mutex_exit(&lwp_intr_lock);
	return lwp_interrupted(l) ? EINTR : error;
}

int
cv_wait_sig(kcondvar_t *cv, kmutex_t *m)
{

	return cv_wait_sig_common(cv, m, false, 0);
}

int
cv_timedwait_sig_ns(kcondvar_t *cv, kmutex_t *m, uint64_t timeout_ns)
{

	return cv_wait_sig_common(cv, m, timeout_ns != 0, timeout_ns);
}

void
rump_lwp_interrupt(struct lwp *l)
{
	kmutex_t *m;

	rump_schedule();
	__atomic_store_n(&l->l_intr, 1, __ATOMIC_SEQ_CST);
	for (;;) {
		mutex_enter(&lwp_intr_lock);
		if (l->l_sleepcv == NULL) {
			/* In no wait: it sees l_intr before its next. */
			mutex_exit(&lwp_intr_lock);
			break;
		}
		m = l->l_sleepmtx;
		if (mutex_tryenter(m)) {
			cv_broadcast(l->l_sleepcv);
			mutex_exit(m);
			mutex_exit(&lwp_intr_lock);
			break;
		}
		mutex_exit(&lwp_intr_lock);
		/* The sleeper is between its check and its wait, or someone
		 * else holds the mutex for a moment. */
		kpause_ns(10000);
	}
	rump_unschedule();
}

int
rump_lwp_interrupt_clear(struct lwp *l)
{

	return __atomic_exchange_n(&l->l_intr, 0, __ATOMIC_SEQ_CST) != 0;
}
