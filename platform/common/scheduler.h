/*
 * scheduler.h: the cooperative scheduler of platform/common.
 *
 * Threads take turns on one host CPU; a thread runs until it blocks,
 * yields or exits.  Runnable threads wait in one FIFO run queue: a thread
 * that yields or is woken goes to its back.  Blocked threads wait on a
 * wait queue (FIFO, for mutexes and condition variables) and/or until a
 * deadline (a timer heap), or on nothing in particular (join, I/O) until
 * rumpuser__sched_wake().  With nothing runnable the scheduler waits in
 * rumpuser__backend_wait() for the next deadline or event; with nothing
 * that could ever make a thread runnable again it reports the deadlock and
 * aborts.
 *
 * Deterministic mode (RUMP_DETERMINISTIC=1): the clocks are virtual and
 * advance only when every thread waits, jumping to the next deadline;
 * I/O completes synchronously, at the next scheduling point of its
 * thread; rumpuser_getrandom is a PRNG seeded by RUMP_SEED (default 1).
 * The same program then interleaves its threads the same way every run.
 *
 * Everything here is called by the running thread (or, for _wake, also
 * from event delivery inside rumpuser__backend_wait), never concurrently.
 */
#ifndef RUMPUSER_SCHED_H
#define RUMPUSER_SCHED_H

#include <common/types.h>

#include "backend.h"

struct lwp;
struct thread;

/* A FIFO of blocked threads. */
struct waitq {
	struct thread	*wq_head;
	struct thread	*wq_tail;
};

/* What a blocked thread waits for: named in the deadlock report. */
enum waitkind {
	WAIT_NONE,
	WAIT_MUTEX,
	WAIT_RW_READ,
	WAIT_RW_WRITE,
	WAIT_CV,
	WAIT_JOIN,
	WAIT_SLEEP,
	WAIT_IO,
	WAIT_BIO_IDLE,
	WAIT_EXITED_MAIN,
};

enum thread_state {
	THREAD_RUNNING,
	THREAD_RUNNABLE,
	THREAD_BLOCKED,
	THREAD_EXITED,
};

struct thread {
	void		*t_sp;		/* saved stack pointer when not running */
	struct lwp	*t_lwp;		/* rumpuser_curlwp() */
	enum thread_state t_state;

	/* Run queue, a wait queue or the reaper's list: one at a time. */
	struct thread	*t_next;
	struct thread	*t_prev;	/* wait queues only */
	struct waitq	*t_waitq;	/* the wait queue it is on, or NULL */

	enum waitkind	 t_waitkind;
	const void	*t_waitobj;
	size_t		 t_timerslot;	/* 1 + index in the timer heap; 0: none */
	uint64_t	 t_deadline;
	uint64_t	 t_timerseq;	/* FIFO among equal deadlines */
	bool		 t_timedout;

	void		*(*t_fun)(void *);
	void		*t_arg;
	void		*t_stack;	/* lowest usable address; NULL: host's */
	size_t		 t_stacksize;
	bool		 t_joinable;
	struct thread	*t_joiner;

	/* The backend's own data about the thread (platform/kvm's l2: the
	 * program thread it runs), for rumpuser__sched_switch_hook. */
	void		*t_backend;

	struct thread	*t_allnext;	/* every thread not yet freed */
	struct thread	*t_allprev;
	char		 t_name[32];
};

/* The running thread.  Never NULL: the host thread that first enters the
 * platform is "main" from the start. */
extern struct thread *rumpuser__curthread RUMPUSER__HIDDEN;

/* Called (when set) just before the CPU passes to thread next, on the
 * stack of the thread giving it up: where a backend keeps per-thread
 * machine state the switch of stacks does not carry (platform/kvm's l2
 * loads the page tables of next's process).  NULL by default. */
extern void (*rumpuser__sched_switch_hook)(struct thread *next)
    RUMPUSER__HIDDEN;

/* Reads the parameters and adopts the calling host thread; idempotent and
 * cheap, so every entry point that needs the scheduler may call it. */
void rumpuser__sched_init(void) RUMPUSER__HIDDEN;

/* Deterministic mode is on (RUMP_DETERMINISTIC=1). */
extern bool rumpuser__sched_deterministic RUMPUSER__HIDDEN;

/* The clocks, in ns: virtual in deterministic mode. */
uint64_t rumpuser__sched_now(void) RUMPUSER__HIDDEN;
int64_t rumpuser__sched_wall(void) RUMPUSER__HIDDEN;

/* The latest deadline: what rumpuser_clock_gettime(ABSMONO) can still
 * express, 292 years after boot.  Longer waits end there, so that no clock,
 * the virtual ones included, is ever driven past it. */
#define RUMPUSER__DEADLINE_MAX	((uint64_t)INT64_MAX)

/* The deadline ns nanoseconds from now (now when ns <= 0), saturating at
 * RUMPUSER__DEADLINE_MAX rather than wrapping. */
uint64_t rumpuser__sched_deadline(int64_t ns) RUMPUSER__HIDDEN;

/*
 * Blocks the running thread: onto q's tail (q may be NULL) until
 * rumpuser__sched_wake() or, unless deadline is RUMPUSER__FOREVER, until
 * the monotonic clock reaches deadline (RUMPUSER__DEADLINE_MAX at most).
 * kind and obj say what it waits for.  Returns 0 when woken, 60 (NetBSD
 * ETIMEDOUT) when the deadline passed first; in both cases it is off q.
 */
int rumpuser__sched_block(struct waitq *q, enum waitkind kind,
    const void *obj, uint64_t deadline) RUMPUSER__HIDDEN;

/* Makes a blocked thread runnable (at the run queue's tail), taking it off
 * its wait queue and timer; anything else is left as it is. */
void rumpuser__sched_wake(struct thread *t) RUMPUSER__HIDDEN;

/* The first waiter of q, or NULL. */
static inline struct thread *
waitq_first(const struct waitq *q)
{

	return q->wq_head;
}

/* Goes to the back of the run queue. */
void rumpuser__sched_yield(void) RUMPUSER__HIDDEN;

/* Sleeps until the monotonic clock reaches deadline (yields if it has). */
void rumpuser__sched_sleep_until(uint64_t deadline) RUMPUSER__HIDDEN;

/*
 * Threads.  _create makes a runnable thread running fun(arg) (returning
 * from fun exits it) and returns 0 or an errno; a joinable thread's
 * record stays until _join.  _join waits for t to exit and frees it.
 */
int rumpuser__sched_create(void *(*fun)(void *), void *arg, const char *name,
    bool joinable, struct thread **tp) RUMPUSER__HIDDEN;
void rumpuser__sched_exit(void) RUMPUSER__HIDDEN __attribute__((__noreturn__));
void rumpuser__sched_join(struct thread *t) RUMPUSER__HIDDEN;

/* Runs io (backend.h) and returns when it has completed; other threads
 * run meanwhile.  The caller has released the rump CPU. */
void rumpuser__sched_io(struct rumpuser__io *io) RUMPUSER__HIDDEN;

/* Deterministic mode's random numbers. */
uint64_t rumpuser__sched_prng(void) RUMPUSER__HIDDEN;

#endif /* RUMPUSER_SCHED_H */
