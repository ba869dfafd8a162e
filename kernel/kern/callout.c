/*
 * callout.c: timed calls.  One kernel thread runs them all, in deadline
 * order, sleeping on a condition variable until the earliest is due.
 */
#include <kern/types.h>
#include <kern/libkern.h>
#include <kern/lock.h>
#include <kern/proc.h>
#include <kern/clock.h>

#include "kern_private.h"

#define CALLOUT_PENDING	0x01

/* Protects the queue, every c_flags/c_when/c_next, and callout_running. */
static kmutex_t callout_lock;
static kcondvar_t callout_cv;		/* the queue's head changed */
static kcondvar_t callout_done_cv;	/* a handler returned */
static struct callout *callout_queue;	/* sorted by c_when */
static struct callout *callout_running;
static struct lwp *callout_lwp;
/* When the thread will look at the queue again by itself: the deadline
 * it sleeps until, UINT64_MAX when it sleeps with none, 0 while it is
 * awake (it looks before it sleeps). */
static uint64_t callout_wakes_at;

void
callout_subsys_init(void)
{

	mutex_init(&callout_lock, MUTEX_DEFAULT);
	cv_init(&callout_cv);
	cv_init(&callout_done_cv);
}

void
callout_init(struct callout *c, void (*fn)(void *), void *arg)
{

	memset(c, 0, sizeof(*c));
	c->c_fn = fn;
	c->c_arg = arg;
}

/* Called with callout_lock held. */
static void
callout_unqueue(struct callout *c)
{
	struct callout **cp;

	for (cp = &callout_queue; *cp != NULL; cp = &(*cp)->c_next) {
		if (*cp == c) {
			*cp = c->c_next;
			break;
		}
	}
	c->c_next = NULL;
	c->c_flags &= ~CALLOUT_PENDING;
}

void
callout_schedule_ns(struct callout *c, uint64_t ns)
{
	struct callout **cp;
	uint64_t now;

	now = getmonotonic_ns();
	mutex_enter(&callout_lock);
	if (c->c_flags & CALLOUT_PENDING)
		callout_unqueue(c);
	c->c_when = now + ns < now ? UINT64_MAX : now + ns;
	/* Behind every callout due at the same time: first come, first
	 * run. */
	for (cp = &callout_queue; *cp != NULL && (*cp)->c_when <= c->c_when;
	    cp = &(*cp)->c_next)
		continue;
	c->c_next = *cp;
	*cp = c;
	c->c_flags |= CALLOUT_PENDING;
	/* Only a deadline before the one the thread sleeps until needs
	 * it woken: a timer pushed back on every segment (TCP's
	 * retransmission timer) then costs no wakeup. */
	if (callout_queue == c && c->c_when < callout_wakes_at)
		cv_signal(&callout_cv);
	mutex_exit(&callout_lock);
}

bool
callout_stop(struct callout *c)
{
	bool pending;

	mutex_enter(&callout_lock);
	pending = (c->c_flags & CALLOUT_PENDING) != 0;
	if (pending)
		callout_unqueue(c);
	mutex_exit(&callout_lock);
	return pending;
}

void
callout_halt(struct callout *c)
{

	mutex_enter(&callout_lock);
	for (;;) {
		/* Again after each wait: the running handler may have
		 * rescheduled its callout (a periodic timer does), and the
		 * caller may free it once this returns. */
		if (c->c_flags & CALLOUT_PENDING)
			callout_unqueue(c);
		/* A handler halting itself must not wait for itself. */
		if (callout_running != c || curlwp == callout_lwp)
			break;
		cv_wait(&callout_done_cv, &callout_lock);
	}
	mutex_exit(&callout_lock);
}

bool
callout_pending(struct callout *c)
{
	bool pending;

	mutex_enter(&callout_lock);
	pending = (c->c_flags & CALLOUT_PENDING) != 0;
	mutex_exit(&callout_lock);
	return pending;
}

static void
callout_thread(void *arg)
{
	struct callout *c;
	void (*fn)(void *);
	uint64_t now;

	(void)arg;
	mutex_enter(&callout_lock);
	callout_lwp = curlwp;
	for (;;) {
		c = callout_queue;
		if (c == NULL) {
			callout_wakes_at = UINT64_MAX;
			cv_wait(&callout_cv, &callout_lock);
			callout_wakes_at = 0;
			continue;
		}
		now = getmonotonic_ns();
		if (c->c_when > now) {
			callout_wakes_at = c->c_when;
			(void)cv_timedwait_ns(&callout_cv, &callout_lock,
			    c->c_when - now);
			callout_wakes_at = 0;
			continue;
		}
		callout_queue = c->c_next;
		c->c_next = NULL;
		c->c_flags &= ~CALLOUT_PENDING;
		callout_running = c;
		fn = c->c_fn;
		arg = c->c_arg;
		/* The handler may reschedule, stop or free c. */
		mutex_exit(&callout_lock);
		fn(arg);
		mutex_enter(&callout_lock);
		callout_running = NULL;
		cv_broadcast(&callout_done_cv);
	}
}

int
callout_start(void)
{

	return kthread_create(callout_thread, NULL, "callout", false, NULL);
}
