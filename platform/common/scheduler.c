/*
 * scheduler.c: the cooperative scheduler (see scheduler.h).
 */
#include <common/types.h>
#include <common/string.h>

#include <rump/rumpuser.h>

#include "arch.h"
#include "backend.h"
#include "rumpuser_common.h"
#include "scheduler.h"

/* Stacks are cheap until touched (the backend maps them lazily where it
 * can), so the default is generous: kernel code and the callers' own
 * functions both run on them.  RUMP_STACKSIZE overrides it. */
#define STACKSIZE_DEFAULT	(256 * 1024)
#define STACKSIZE_MIN		(16 * 1024)

/* Freed stacks of the default size kept for the next thread: creating and
 * joining threads in a loop then costs no mapping calls. */
#define STACKCACHE_MAX		32

/* While threads keep running, completions are still collected every this
 * many scheduling points, so that I/O never starves behind busy threads. */
#define POLL_INTERVAL		64

/* The virtual clocks of deterministic mode start here: one second after
 * "boot", on 2000-01-01 00:00:00 UTC. */
#define VIRTUAL_MONO_START	1000000000ULL
#define VIRTUAL_WALL_START	(946684800LL * 1000000000LL)

static struct thread mainthread = {
	.t_state = THREAD_RUNNING,
	.t_name = "main",
};
struct thread *rumpuser__curthread = &mainthread;
void (*rumpuser__sched_switch_hook)(struct thread *);

bool rumpuser__sched_deterministic;

static bool sched_ready;
static size_t stacksize = STACKSIZE_DEFAULT;

/* The run queue. */
static struct thread *runq_head, *runq_tail;

/* Every thread not yet freed, for the deadlock report. */
static struct thread *allthreads;
static unsigned int nthreads;	/* not exited */

/* Exited threads whose stacks the next thread to run frees. */
static struct thread *reapq;

static void *stackcache[STACKCACHE_MAX];
static unsigned int nstackcache;

/* Timers: a binary min-heap of blocked threads ordered by (deadline, seq).
 * It has room for every thread at all times (grown at creation), so that
 * blocking never needs memory. */
static struct thread **timerheap;
static size_t ntimers, maxtimers;
static uint64_t timerseq;

static unsigned int picks;

/* Deterministic mode. */
static uint64_t virtual_now = VIRTUAL_MONO_START;
static uint64_t prng_state;

static void deadlock(void) __attribute__((__noreturn__));

/*
 * Initialisation
 */

void
rumpuser__sched_init(void)
{
	uint64_t size, pagesize;

	if (__predict_true(sched_ready))
		return;
	sched_ready = true;

	mainthread.t_allnext = mainthread.t_allprev = NULL;
	allthreads = &mainthread;
	nthreads = 1;

	rumpuser__sched_deterministic =
	    rumpuser__param_number("RUMP_DETERMINISTIC", 0) != 0;
	prng_state = rumpuser__param_number("RUMP_SEED", 1);

	pagesize = rumpuser__backend_pagesize();
	size = rumpuser__param_number("RUMP_STACKSIZE", STACKSIZE_DEFAULT);
	if (size < STACKSIZE_MIN)
		size = STACKSIZE_MIN;
	stacksize = (size_t)((size + pagesize - 1) & ~(pagesize - 1));
}

/*
 * Clocks
 */

uint64_t
rumpuser__sched_now(void)
{

	if (rumpuser__sched_deterministic)
		return virtual_now;
	return rumpuser__backend_clock_monotonic();
}

int64_t
rumpuser__sched_wall(void)
{
	uint64_t elapsed;

	if (rumpuser__sched_deterministic) {
		/* The virtual clock may have jumped to the last deadline. */
		elapsed = virtual_now - VIRTUAL_MONO_START;
		if (elapsed > (uint64_t)(INT64_MAX - VIRTUAL_WALL_START))
			return INT64_MAX;
		return VIRTUAL_WALL_START + (int64_t)elapsed;
	}
	return rumpuser__backend_clock_wall();
}

uint64_t
rumpuser__sched_deadline(int64_t ns)
{
	uint64_t now = rumpuser__sched_now();

	if (ns <= 0 || now >= RUMPUSER__DEADLINE_MAX)
		return now;
	if ((uint64_t)ns >= RUMPUSER__DEADLINE_MAX - now)
		return RUMPUSER__DEADLINE_MAX;
	return now + (uint64_t)ns;
}

/* splitmix64: tiny, fast and well distributed; determinism is all that
 * is asked of it, not secrecy. */
uint64_t
rumpuser__sched_prng(void)
{
	uint64_t z;

	z = (prng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/*
 * Queues
 */

static void
runq_append(struct thread *t)
{

	t->t_state = THREAD_RUNNABLE;
	t->t_next = NULL;
	if (runq_tail != NULL)
		runq_tail->t_next = t;
	else
		runq_head = t;
	runq_tail = t;
}

static struct thread *
runq_pop(void)
{
	struct thread *t;

	if ((t = runq_head) != NULL) {
		runq_head = t->t_next;
		if (runq_head == NULL)
			runq_tail = NULL;
		t->t_next = NULL;
	}
	return t;
}

static void
waitq_append(struct waitq *q, struct thread *t)
{

	t->t_waitq = q;
	t->t_next = NULL;
	t->t_prev = q->wq_tail;
	if (q->wq_tail != NULL)
		q->wq_tail->t_next = t;
	else
		q->wq_head = t;
	q->wq_tail = t;
}

static void
waitq_remove(struct thread *t)
{
	struct waitq *q = t->t_waitq;

	if (t->t_prev != NULL)
		t->t_prev->t_next = t->t_next;
	else
		q->wq_head = t->t_next;
	if (t->t_next != NULL)
		t->t_next->t_prev = t->t_prev;
	else
		q->wq_tail = t->t_prev;
	t->t_next = t->t_prev = NULL;
	t->t_waitq = NULL;
}

/*
 * The timer heap.  Slots are 1-based in t_timerslot so that 0 can mean
 * "no timer".
 */

static bool
timer_before(const struct thread *a, const struct thread *b)
{

	if (a->t_deadline != b->t_deadline)
		return a->t_deadline < b->t_deadline;
	return a->t_timerseq < b->t_timerseq;
}

static void
timer_place(struct thread *t, size_t i)
{

	timerheap[i] = t;
	t->t_timerslot = i + 1;
}

static void
timer_siftup(size_t i)
{
	struct thread *t = timerheap[i];
	size_t parent;

	while (i > 0) {
		parent = (i - 1) / 2;
		if (!timer_before(t, timerheap[parent]))
			break;
		timer_place(timerheap[parent], i);
		i = parent;
	}
	timer_place(t, i);
}

static void
timer_siftdown(size_t i)
{
	struct thread *t = timerheap[i];
	size_t child;

	for (;;) {
		child = 2 * i + 1;
		if (child >= ntimers)
			break;
		if (child + 1 < ntimers &&
		    timer_before(timerheap[child + 1], timerheap[child]))
			child++;
		if (!timer_before(timerheap[child], t))
			break;
		timer_place(timerheap[child], i);
		i = child;
	}
	timer_place(t, i);
}

static int timers_reserve(size_t);

static void
timer_insert(struct thread *t, uint64_t deadline)
{

	/* Thread creation makes room for every thread; only a main thread
	 * that sleeps before any thread was created gets here first. */
	if (ntimers == maxtimers && timers_reserve(ntimers + 1) != 0)
		rumpuser__fatal("out of memory for a timer");
	/* Beyond the last deadline, the virtual clock would jump to times
	 * that rumpuser_clock_gettime() cannot express. */
	t->t_deadline = deadline < RUMPUSER__DEADLINE_MAX ? deadline :
	    RUMPUSER__DEADLINE_MAX;
	t->t_timerseq = timerseq++;
	timerheap[ntimers] = t;
	timer_siftup(ntimers++);
}

static void
timer_remove(struct thread *t)
{
	size_t i = t->t_timerslot - 1;
	struct thread *last;

	t->t_timerslot = 0;
	last = timerheap[--ntimers];
	if (i == ntimers)
		return;
	timerheap[i] = last;
	/* The moved element may belong above or below its new place. */
	if (i > 0 && timer_before(last, timerheap[(i - 1) / 2]))
		timer_siftup(i);
	else
		timer_siftdown(i);
}

/* Room in the heap for one more thread. */
static int
timers_reserve(size_t n)
{
	struct thread **heap;
	size_t max;

	if (n <= maxtimers)
		return 0;
	max = maxtimers != 0 ? 2 * maxtimers : 64;
	while (max < n)
		max *= 2;
	heap = rumpuser__backend_malloc(max * sizeof(*heap), 0);
	if (heap == NULL)
		return NB_ENOMEM;
	if (ntimers != 0)
		memcpy(heap, timerheap, ntimers * sizeof(*heap));
	rumpuser__backend_free(timerheap, maxtimers * sizeof(*heap));
	timerheap = heap;
	maxtimers = max;
	return 0;
}

/* Wakes every thread whose deadline has come, earliest first. */
static void
timers_fire(uint64_t now)
{
	struct thread *t;

	while (ntimers > 0 && timerheap[0]->t_deadline <= now) {
		t = timerheap[0];
		timer_remove(t);
		if (t->t_waitq != NULL)
			waitq_remove(t);
		t->t_timedout = true;
		runq_append(t);
	}
}

/*
 * Switching
 */

static void
stack_free(void *stack, size_t size)
{

	if (size == stacksize && nstackcache < STACKCACHE_MAX) {
		stackcache[nstackcache++] = stack;
		return;
	}
	rumpuser__backend_pages_free(stack, size, RUMPUSER__PAGES_GUARD);
}

static void
thread_free(struct thread *t)
{

	if (t->t_allprev != NULL)
		t->t_allprev->t_allnext = t->t_allnext;
	else
		allthreads = t->t_allnext;
	if (t->t_allnext != NULL)
		t->t_allnext->t_allprev = t->t_allprev;
	if (t != &mainthread)
		rumpuser__backend_free(t, sizeof(*t));
}

/* Run by every thread right after it has been switched to: an exited
 * thread's stack can only be freed once nobody runs on it. */
static void
reap(void)
{
	struct thread *t;

	while ((t = reapq) != NULL) {
		reapq = t->t_next;
		t->t_next = NULL;
		if (t->t_stack != NULL) {
			stack_free(t->t_stack, t->t_stacksize);
			t->t_stack = NULL;
		}
		if (!t->t_joinable)
			thread_free(t);
	}
}

/*
 * The next thread to run.  With none runnable this is the idle loop: it
 * waits for the next deadline or event, on the stack of whichever thread
 * went idle (which is then blocked or exited, so nothing else uses it).
 */
static struct thread *
pick_next(void)
{
	uint64_t deadline;

	for (;;) {
		if (ntimers > 0)
			timers_fire(rumpuser__sched_now());
		if (runq_head != NULL) {
			if (!rumpuser__sched_deterministic &&
			    ++picks % POLL_INTERVAL == 0)
				rumpuser__backend_wait(0);
			return runq_pop();
		}

		/* Everyone waits.  Virtual time jumps to the next deadline:
		 * nobody could have told the difference. */
		if (rumpuser__sched_deterministic && ntimers > 0) {
			if (timerheap[0]->t_deadline > virtual_now)
				virtual_now = timerheap[0]->t_deadline;
			continue;
		}
		deadline = ntimers > 0 ? timerheap[0]->t_deadline :
		    RUMPUSER__FOREVER;
		if (rumpuser__backend_wait(deadline) == RUMPUSER__WAIT_NOTHING &&
		    runq_head == NULL && ntimers == 0)
			deadlock();
	}
}

/* Gives the CPU to the next thread; returns when the caller (blocked,
 * runnable or exited) is run again, or at once if it is the next one. */
static void
run_next(void)
{
	struct thread *self = rumpuser__curthread, *next;

	next = pick_next();
	next->t_state = THREAD_RUNNING;
	if (next == self)
		return;
	rumpuser__curthread = next;
	if (rumpuser__sched_switch_hook != NULL)
		rumpuser__sched_switch_hook(next);
	rumpuser__arch_switch(&self->t_sp, next->t_sp);
	/* Some thread switched back to us. */
	reap();
}

/*
 * Blocking and waking
 */

int
rumpuser__sched_block(struct waitq *q, enum waitkind kind, const void *obj,
    uint64_t deadline)
{
	struct thread *self = rumpuser__curthread;

	rumpuser__sched_init();
	if (q != NULL)
		waitq_append(q, self);
	self->t_state = THREAD_BLOCKED;
	self->t_waitkind = kind;
	self->t_waitobj = obj;
	self->t_timedout = false;
	if (deadline != RUMPUSER__FOREVER)
		timer_insert(self, deadline);
	run_next();
	self->t_waitkind = WAIT_NONE;
	self->t_waitobj = NULL;
	return self->t_timedout ? NB_ETIMEDOUT : 0;
}

void
rumpuser__sched_wake(struct thread *t)
{

	if (t->t_state != THREAD_BLOCKED)
		return;
	if (t->t_waitq != NULL)
		waitq_remove(t);
	if (t->t_timerslot != 0)
		timer_remove(t);
	runq_append(t);
}

void
rumpuser__sched_yield(void)
{

	rumpuser__sched_init();
	runq_append(rumpuser__curthread);
	run_next();
}

void
rumpuser__sched_sleep_until(uint64_t deadline)
{

	if (deadline <= rumpuser__sched_now())
		rumpuser__sched_yield();
	else
		rumpuser__sched_block(NULL, WAIT_SLEEP, NULL, deadline);
}

/*
 * Threads
 */

static void __attribute__((__noreturn__))
thread_entry(void *arg)
{
	struct thread *self = arg;

	reap();
	self->t_fun(self->t_arg);
	rumpuser__sched_exit();
}

static int
stack_alloc(void **stackp)
{

	if (nstackcache > 0) {
		*stackp = stackcache[--nstackcache];
		return 0;
	}
	return rumpuser__backend_pages_alloc(NULL, stacksize, 0,
	    RUMPUSER__PAGES_GUARD, stackp);
}

int
rumpuser__sched_create(void *(*fun)(void *), void *arg, const char *name,
    bool joinable, struct thread **tp)
{
	struct thread *t;
	int error;

	rumpuser__sched_init();
	if ((error = timers_reserve(nthreads + 1)) != 0)
		return error;
	t = rumpuser__backend_malloc(sizeof(*t), 0);
	if (t == NULL)
		return NB_ENOMEM;
	memset(t, 0, sizeof(*t));
	if ((error = stack_alloc(&t->t_stack)) != 0) {
		rumpuser__backend_free(t, sizeof(*t));
		return error;
	}
	t->t_stacksize = stacksize;
	t->t_fun = fun;
	t->t_arg = arg;
	t->t_joinable = joinable;
	if (name != NULL)
		str_copy(t->t_name, name, sizeof(t->t_name));
	t->t_sp = rumpuser__arch_stack_init((char *)t->t_stack + stacksize,
	    thread_entry, t);

	t->t_allnext = allthreads;
	if (allthreads != NULL)
		allthreads->t_allprev = t;
	allthreads = t;
	nthreads++;

	/* The creator runs on: the new thread starts at the run queue's
	 * back, like any thread that becomes runnable. */
	runq_append(t);
	*tp = t;
	return 0;
}

void
rumpuser__sched_exit(void)
{
	struct thread *self = rumpuser__curthread;

	rumpuser__sched_init();
	self->t_state = THREAD_EXITED;
	self->t_waitkind = WAIT_NONE;
	nthreads--;
	if (self->t_joiner != NULL)
		rumpuser__sched_wake(self->t_joiner);
	/* The host's main thread has no stack of ours to free and its
	 * record is static: it just stops being scheduled. */
	if (self != &mainthread) {
		self->t_next = reapq;
		reapq = self;
	}
	run_next();
	rumpuser__fatal("exited thread '%s' was run again", self->t_name);
}

void
rumpuser__sched_join(struct thread *t)
{
	struct thread *self = rumpuser__curthread;

	if (!t->t_joinable || t->t_joiner != NULL || t == self)
		rumpuser__fatal("thread_join: '%s' is not joinable by '%s'",
		    t->t_name, self->t_name);
	t->t_joiner = self;
	while (t->t_state != THREAD_EXITED)
		rumpuser__sched_block(NULL, WAIT_JOIN, t, RUMPUSER__FOREVER);
	thread_free(t);
}

/*
 * I/O
 */

void
rumpuser__io_done(struct rumpuser__io *io)
{
	struct thread *waiter = io->io_waiter;

	io->io_complete = 1;
	if (io->io_donefn != NULL)
		io->io_donefn(io);
	else if (waiter != NULL && waiter->t_state == THREAD_BLOCKED &&
	    waiter->t_waitkind == WAIT_IO && waiter->t_waitobj == io)
		rumpuser__sched_wake(waiter);
}

void
rumpuser__sched_io(struct rumpuser__io *io)
{

	rumpuser__sched_init();
	io->io_donefn = NULL;
	io->io_waiter = rumpuser__curthread;
	io->io_complete = 0;
	io->io_transferred = 0;
	io->io_error = 0;
	rumpuser__backend_io_start(io, rumpuser__sched_deterministic);
	/* Completed at once, it still is a scheduling point, as a wait
	 * for the device would have been. */
	if (io->io_complete)
		rumpuser__sched_yield();
	while (!io->io_complete)
		rumpuser__sched_block(NULL, WAIT_IO, io, RUMPUSER__FOREVER);
}

/*
 * Deadlock: nothing runnable, no deadline, no event that could come.
 */

static void
describe(const struct thread *t, char *buf, size_t size)
{
	const struct thread *other;

	switch (t->t_waitkind) {
	case WAIT_MUTEX:
		other = rumpuser__mutex_holder(t->t_waitobj);
		rumpuser__format(buf, size, "mutex %p, held by '%s'",
		    t->t_waitobj, other != NULL ? other->t_name : "?");
		break;
	case WAIT_RW_READ:
		rumpuser__format(buf, size, "rwlock %p as reader",
		    t->t_waitobj);
		break;
	case WAIT_RW_WRITE:
		rumpuser__format(buf, size, "rwlock %p as writer",
		    t->t_waitobj);
		break;
	case WAIT_CV:
		rumpuser__format(buf, size, "condvar %p", t->t_waitobj);
		break;
	case WAIT_JOIN:
		other = t->t_waitobj;
		rumpuser__format(buf, size, "join of thread '%s'",
		    other->t_name);
		break;
	case WAIT_SLEEP:
		rumpuser__format(buf, size, "sleep");
		break;
	case WAIT_IO:
		rumpuser__format(buf, size, "I/O request %p", t->t_waitobj);
		break;
	case WAIT_BIO_IDLE:
		rumpuser__format(buf, size, "block I/O completions (idle)");
		break;
	default:
		rumpuser__format(buf, size, "nothing known");
		break;
	}
}

static void
deadlock(void)
{
	const struct thread *t;
	char what[128];
	unsigned int n = 0;

	/* The last thread exited (the host's main thread included, which
	 * rumpuser_thread_exit may end): as with host threads, that ends
	 * the program normally. */
	if (nthreads == 0)
		rumpuser__backend_exit(0);

	for (t = allthreads; t != NULL; t = t->t_allnext)
		if (t->t_state == THREAD_BLOCKED)
			n++;
	rumpuser_dprintf("rumpuser %s: deadlock: all %u threads are blocked "
	    "(no runnable thread, no timer, no I/O or device event pending)\n",
	    rumpuser__backend_name, n);
	for (t = allthreads; t != NULL; t = t->t_allnext) {
		if (t->t_state != THREAD_BLOCKED)
			continue;
		describe(t, what, sizeof(what));
		rumpuser_dprintf("  thread '%s' (lwp %p) waits for %s\n",
		    t->t_name, (void *)t->t_lwp, what);
	}
	rumpuser_exit(RUMPUSER_PANIC);
}
