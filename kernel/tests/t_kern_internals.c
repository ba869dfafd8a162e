/*
 * t_kern_internals.c: base kernel services that no system call exposes
 * whole (callouts, kernel threads, condition variable timeouts, memory
 * accounting, random numbers), called directly the way NetBSD's rump
 * tests do: through their renamed symbols (rumpns_*), between
 * rump_schedule() and rump_unschedule().
 *
 * The kernel's headers are not installed, so the prototypes are
 * declared here from kernel/include/kern/{clock,lock,proc,kmem}.h, with
 * kernel objects as opaque buffers.  Each buffer is bigger than the
 * object, and the size assumption is checked at run time: the init
 * functions clear exactly their object (memset of sizeof), so the extent
 * of what they overwrite in a buffer full of a pattern is its size.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/types.h>

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <atf-c.h>

#include <rump/rump.h>
#include <rump/rump_syscalls.h>

#include "h_rumptest.h"

/* kern/clock.h */
void	rumpns_callout_init(void *c, void (*fn)(void *), void *arg);
void	rumpns_callout_schedule_ns(void *c, uint64_t ns);
bool	rumpns_callout_stop(void *c);
void	rumpns_callout_halt(void *c);
bool	rumpns_callout_pending(void *c);
uint64_t rumpns_getmonotonic_ns(void);
uint32_t rumpns_cprng32(void);
void	rumpns_cprng_fill(void *buf, size_t len);
/* kern/lock.h (kmutex_type_t MUTEX_DEFAULT is 0) */
void	rumpns_mutex_init(void *m, int type);
void	rumpns_mutex_destroy(void *m);
void	rumpns_mutex_enter(void *m);
void	rumpns_mutex_exit(void *m);
void	rumpns_cv_init(void *cv);
void	rumpns_cv_destroy(void *cv);
int	rumpns_cv_timedwait_ns(void *cv, void *m, uint64_t timeout_ns);
void	rumpns_cv_signal(void *cv);
/* kern/proc.h */
int	rumpns_kthread_create(void (*fn)(void *), void *arg, const char *name,
	    bool join, void **ktp);
void	rumpns_kthread_join(void *kt);
void	rumpns_kpause_ns(uint64_t ns);
void	*rumpns_curlwp_get(void);
int	rumpns_ncpu_get(void);
/* kern/kmem.h */
void	*rumpns_kmem_alloc(size_t size, int flags);
void	rumpns_kmem_free(void *p, size_t size);
uint64_t rumpns_kmem_inuse(void);
uint64_t rumpns_kmem_limit(void);
/* kern/qsbr.h (struct qsbr_entry: two pointers) */
struct qsbr_entry_t {
	void	*next;
	void	(*free)(struct qsbr_entry_t *);
};
void	rumpns_qsbr_retire(struct qsbr_entry_t *e,
	    void (*free)(struct qsbr_entry_t *));
unsigned rumpns_qsbr_pending(void);

#define KM_SLEEP	0x01
#define MUTEX_DEFAULT	0
#define K_ETIMEDOUT	110	/* the kernel's errno numbers are Linux's */

#define MSEC		1000000ULL
#define OBJ_SIZE	256	/* room for any kernel object used here */
#define PATTERN		0xa5

typedef struct {
	_Alignas(16) unsigned char b[OBJ_SIZE];
} kobj_t;

/* Fills o with the pattern; after an init, returns how many bytes it
 * cleared (the object's size, given the object starts with zero bytes
 * written by memset). */
static void
kobj_prepare(kobj_t *o)
{

	memset(o->b, PATTERN, sizeof(o->b));
}

static size_t
kobj_extent(const kobj_t *o)
{
	size_t n = 0;

	for (size_t i = 0; i < sizeof(o->b); i++)
		if (o->b[i] != PATTERN)
			n = i + 1;
	return n;
}

/* Buffers are big enough: with plenty of room to spare. */
#define CHECK_EXTENT(o, what) do {					\
	size_t ext_ = kobj_extent(o);					\
	ATF_REQUIRE_MSG(ext_ > 0 && ext_ <= OBJ_SIZE / 2,		\
	    "%s touched %zu bytes of a %d-byte buffer", what, ext_,	\
	    OBJ_SIZE);							\
} while (0)

/* Waits (unscheduled, the platform's way) until *flag is non-zero or
 * ms milliseconds have passed; returns whether it became non-zero. */
static bool
wait_flag(const int *flag, int ms)
{

	for (int i = 0; i < ms; i++) {
		if (__atomic_load_n(flag, __ATOMIC_ACQUIRE))
			return true;
		rt_sleep_ms(1);
	}
	return __atomic_load_n(flag, __ATOMIC_ACQUIRE) != 0;
}

/* ------------------------------------------------------------------ */

struct fired {
	int		 count;		/* atomic */
	uint64_t	 when;		/* monotonic ns of the last call */
	void		*lwp;		/* curlwp in the handler */
	int		 seq;		/* position in a firing order */
};

static int fire_seq;			/* only the callout thread writes */

static void
record_fire(void *arg)
{
	struct fired *f = arg;

	f->when = rumpns_getmonotonic_ns();
	f->lwp = rumpns_curlwp_get();
	f->seq = fire_seq++;
	__atomic_add_fetch(&f->count, 1, __ATOMIC_RELEASE);
}

ATF_TC(callout_fires_once);
ATF_TC_HEAD(callout_fires_once, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "a callout scheduled in 50 ms is pending, then fires exactly "
	    "once, no earlier than 50 ms later, in a kernel thread; "
	    "rescheduled, it fires again");
	atf_tc_set_md_var(tc, "timeout", "30");
}
ATF_TC_BODY(callout_fires_once, tc)
{
	static kobj_t c;
	struct fired f;
	uint64_t t0;
	void *me;

	boot();
	memset(&f, 0, sizeof(f));
	kobj_prepare(&c);
	rump_schedule();
	rumpns_callout_init(&c, record_fire, &f);
	CHECK_EXTENT(&c, "callout_init");
	ATF_REQUIRE(!rumpns_callout_pending(&c));
	me = rumpns_curlwp_get();
	t0 = rumpns_getmonotonic_ns();
	rumpns_callout_schedule_ns(&c, 50 * MSEC);
	ATF_REQUIRE(rumpns_callout_pending(&c));
	rump_unschedule();

	ATF_REQUIRE_MSG(wait_flag(&f.count, 5000), "did not fire in 5 s");
	/* Long enough for a second, wrong, call to show. */
	rt_sleep_ms(200);
	ATF_REQUIRE_EQ_MSG(1, f.count, "fired %d times", f.count);
	ATF_REQUIRE_MSG(f.when - t0 >= 50 * MSEC,
	    "fired after %llu ns, scheduled for 50 ms",
	    (unsigned long long)(f.when - t0));
	ATF_REQUIRE(f.lwp != NULL && f.lwp != me);
	rump_schedule();
	ATF_REQUIRE(!rumpns_callout_pending(&c));
	ATF_REQUIRE(!rumpns_callout_stop(&c));
	t0 = rumpns_getmonotonic_ns();
	rumpns_callout_schedule_ns(&c, 20 * MSEC);
	rump_unschedule();
	for (int i = 0; i < 5000 && __atomic_load_n(&f.count,
	    __ATOMIC_ACQUIRE) < 2; i++)
		rt_sleep_ms(1);
	rt_sleep_ms(100);
	ATF_REQUIRE_EQ_MSG(2, f.count, "fired %d times in all", f.count);
	ATF_REQUIRE(f.when - t0 >= 20 * MSEC);
}

ATF_TC(callout_stop_cancels);
ATF_TC_HEAD(callout_stop_cancels, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "callout_stop before the deadline returns true and the handler "
	    "never runs; stopping again, or an idle callout, returns false; "
	    "rescheduling moves the deadline");
	atf_tc_set_md_var(tc, "timeout", "30");
}
ATF_TC_BODY(callout_stop_cancels, tc)
{
	static kobj_t c, idle;
	struct fired f, g;
	uint64_t t0;

	boot();
	memset(&f, 0, sizeof(f));
	memset(&g, 0, sizeof(g));
	rump_schedule();
	rumpns_callout_init(&idle, record_fire, &g);
	ATF_REQUIRE(!rumpns_callout_stop(&idle));
	rumpns_callout_init(&c, record_fire, &f);
	rumpns_callout_schedule_ns(&c, 100 * MSEC);
	ATF_REQUIRE(rumpns_callout_stop(&c));
	ATF_REQUIRE(!rumpns_callout_pending(&c));
	ATF_REQUIRE(!rumpns_callout_stop(&c));
	rump_unschedule();
	rt_sleep_ms(300);
	ATF_REQUIRE_EQ_MSG(0, f.count, "a stopped callout fired");

	/* Rescheduling a pending callout replaces its deadline: 20 ms
	 * first, then 150 ms; it fires once, after 150 ms. */
	rump_schedule();
	t0 = rumpns_getmonotonic_ns();
	rumpns_callout_schedule_ns(&c, 20 * MSEC);
	rumpns_callout_schedule_ns(&c, 150 * MSEC);
	rump_unschedule();
	ATF_REQUIRE(wait_flag(&f.count, 5000));
	rt_sleep_ms(100);
	ATF_REQUIRE_EQ(1, f.count);
	ATF_REQUIRE_MSG(f.when - t0 >= 150 * MSEC,
	    "fired after %llu ns, rescheduled for 150 ms",
	    (unsigned long long)(f.when - t0));
	ATF_REQUIRE_EQ(0, g.count);
}

struct slow {
	int	started, finished;	/* atomic */
};

static void
slow_handler(void *arg)
{
	struct slow *s = arg;

	__atomic_store_n(&s->started, 1, __ATOMIC_RELEASE);
	rumpns_kpause_ns(200 * MSEC);
	__atomic_store_n(&s->finished, 1, __ATOMIC_RELEASE);
}

ATF_TC(callout_halt_waits);
ATF_TC_HEAD(callout_halt_waits, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "callout_halt on a pending callout cancels it; on one whose "
	    "handler is running (sleeping 200 ms) it returns only after "
	    "the handler has");
	atf_tc_set_md_var(tc, "timeout", "30");
}
ATF_TC_BODY(callout_halt_waits, tc)
{
	static kobj_t c;
	struct slow s;
	struct fired f;
	uint64_t t0, t1;
	int finished;

	boot();
	memset(&f, 0, sizeof(f));
	rump_schedule();
	rumpns_callout_init(&c, record_fire, &f);
	rumpns_callout_schedule_ns(&c, 50 * MSEC);
	rumpns_callout_halt(&c);
	ATF_REQUIRE(!rumpns_callout_pending(&c));
	rump_unschedule();
	rt_sleep_ms(200);
	ATF_REQUIRE_EQ_MSG(0, f.count, "a halted callout fired");

	memset(&s, 0, sizeof(s));
	rump_schedule();
	rumpns_callout_init(&c, slow_handler, &s);
	rumpns_callout_schedule_ns(&c, 10 * MSEC);
	rump_unschedule();
	ATF_REQUIRE_MSG(wait_flag(&s.started, 5000), "handler not started");
	rump_schedule();
	t0 = rumpns_getmonotonic_ns();
	rumpns_callout_halt(&c);
	finished = __atomic_load_n(&s.finished, __ATOMIC_ACQUIRE);
	t1 = rumpns_getmonotonic_ns();
	rump_unschedule();
	ATF_REQUIRE_MSG(finished,
	    "callout_halt returned while the handler still ran");
	ATF_REQUIRE_MSG(t1 - t0 < 5000 * MSEC, "halt took %llu ns",
	    (unsigned long long)(t1 - t0));
}

/* A periodic callout: the handler reschedules itself every 20 ms. */
struct periodic {
	kobj_t	 c;
	int	 running;	/* atomic: inside the handler */
	int	 calls;		/* atomic */
};

static void
periodic_handler(void *arg)
{
	struct periodic *p = arg;

	__atomic_store_n(&p->running, 1, __ATOMIC_RELEASE);
	__atomic_add_fetch(&p->calls, 1, __ATOMIC_RELEASE);
	/* Sleep so that a halt comes while the handler runs, then
	 * reschedule, as a periodic timer does. */
	rumpns_kpause_ns(50 * MSEC);
	rumpns_callout_schedule_ns(&p->c, 20 * MSEC);
	__atomic_store_n(&p->running, 0, __ATOMIC_RELEASE);
}

ATF_TC(callout_halt_periodic);
ATF_TC_HEAD(callout_halt_periodic, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "callout_halt while a handler that reschedules itself is "
	    "running: afterwards the callout is not pending and never runs "
	    "again (so that its memory may be freed)");
	atf_tc_set_md_var(tc, "timeout", "30");
}
ATF_TC_BODY(callout_halt_periodic, tc)
{
	static struct periodic p;
	bool pending;
	int calls;

	boot();
	rump_schedule();
	rumpns_callout_init(&p.c, periodic_handler, &p);
	rumpns_callout_schedule_ns(&p.c, 10 * MSEC);
	rump_unschedule();
	/* Let it go round twice, then catch it inside the handler. */
	for (int i = 0; i < 5000 && __atomic_load_n(&p.calls,
	    __ATOMIC_ACQUIRE) < 2; i++)
		rt_sleep_ms(1);
	ATF_REQUIRE_MSG(wait_flag(&p.running, 5000), "handler not running");
	rump_schedule();
	rumpns_callout_halt(&p.c);
	pending = rumpns_callout_pending(&p.c);
	rump_unschedule();
	calls = __atomic_load_n(&p.calls, __ATOMIC_ACQUIRE);
	ATF_REQUIRE_MSG(calls >= 2, "only %d calls", calls);
	ATF_CHECK_MSG(!pending,
	    "pending after callout_halt: the handler's reschedule survived");
	rt_sleep_ms(200);
	ATF_CHECK_EQ_MSG(calls, __atomic_load_n(&p.calls, __ATOMIC_ACQUIRE),
	    "ran %d more times after callout_halt",
	    __atomic_load_n(&p.calls, __ATOMIC_ACQUIRE) - calls);
	ATF_CHECK(!__atomic_load_n(&p.running, __ATOMIC_ACQUIRE));
	/* Stop it for good whatever happened, before p goes. */
	rump_schedule();
	rumpns_callout_halt(&p.c);
	rumpns_callout_stop(&p.c);
	rump_unschedule();
}

#define NORDER	16

ATF_TC(callout_deadline_order);
ATF_TC_HEAD(callout_deadline_order, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "16 callouts scheduled in scrambled order with deadlines 10-160 "
	    "ms fire in deadline order, each after its deadline; two "
	    "scheduled back to back with the same delay fire in the order "
	    "scheduled");
	atf_tc_set_md_var(tc, "timeout", "30");
}
ATF_TC_BODY(callout_deadline_order, tc)
{
	static kobj_t c[NORDER + 2];
	struct fired f[NORDER + 2];
	uint64_t delay[NORDER + 2], t0[NORDER + 2];
	int order[NORDER], total;

	boot();
	memset(f, 0, sizeof(f));
	fire_seq = 0;
	/* i -> delay rank (i * 7) mod 16: a permutation. */
	for (int i = 0; i < NORDER; i++) {
		delay[i] = (uint64_t)((i * 7) % NORDER + 1) * 10 * MSEC;
		order[(i * 7) % NORDER] = i;
	}
	/* Two more, both in 85 ms: NORDER before NORDER + 1 (their
	 * deadlines are equal or in that order). */
	delay[NORDER] = delay[NORDER + 1] = 85 * MSEC;
	rump_schedule();
	for (int i = 0; i < NORDER + 2; i++)
		rumpns_callout_init(&c[i], record_fire, &f[i]);
	for (int i = 0; i < NORDER + 2; i++) {
		t0[i] = rumpns_getmonotonic_ns();
		rumpns_callout_schedule_ns(&c[i], delay[i]);
	}
	rump_unschedule();

	for (int ms = 0; ms < 10000; ms++) {
		total = 0;
		for (int i = 0; i < NORDER + 2; i++)
			total += __atomic_load_n(&f[i].count,
			    __ATOMIC_ACQUIRE);
		if (total == NORDER + 2)
			break;
		rt_sleep_ms(1);
	}
	rt_sleep_ms(50);
	for (int i = 0; i < NORDER + 2; i++) {
		ATF_REQUIRE_EQ_MSG(1, f[i].count, "callout %d fired %d times",
		    i, f[i].count);
		ATF_CHECK_MSG(f[i].when - t0[i] >= delay[i],
		    "callout %d fired after %llu ns, due after %llu", i,
		    (unsigned long long)(f[i].when - t0[i]),
		    (unsigned long long)delay[i]);
	}
	for (int r = 1; r < NORDER; r++)
		ATF_CHECK_MSG(f[order[r - 1]].seq < f[order[r]].seq,
		    "callout due after %d0 ms fired as number %d, the one "
		    "due after %d0 ms as number %d", r, f[order[r - 1]].seq,
		    r + 1, f[order[r]].seq);
	/* 85 ms: between the 80 and 90 ms ones, in scheduling order. */
	ATF_CHECK(f[order[7]].seq < f[NORDER].seq);
	ATF_CHECK(f[NORDER].seq < f[NORDER + 1].seq);
	ATF_CHECK(f[NORDER + 1].seq < f[order[8]].seq);
}

/* ------------------------------------------------------------------ */

struct kt_arg {
	int	 pid;
	void	*lwp;
	int	 done;		/* atomic */
	uint64_t ran_at;
};

static void
kt_body(void *arg)
{
	struct kt_arg *a = arg;

	a->lwp = rumpns_curlwp_get();
	/* A system call from kernel code nests: it runs as this lwp. */
	a->pid = rump_sys_getpid();
	rumpns_kpause_ns(50 * MSEC);
	a->ran_at = rumpns_getmonotonic_ns();
	__atomic_store_n(&a->done, 1, __ATOMIC_RELEASE);
}

ATF_TC(kthread_create_join);
ATF_TC_HEAD(kthread_create_join, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "kthread_create runs a function on a new lwp of proc0 (getpid "
	    "0 there); kthread_join returns after it did (it slept 50 ms); "
	    "a detached kernel thread runs too");
	atf_tc_set_md_var(tc, "timeout", "30");
}
ATF_TC_BODY(kthread_create_join, tc)
{
	struct kt_arg a, d;
	void *kt = NULL, *dkt = (void *)1, *me;
	uint64_t t0;
	int error;

	boot();
	memset(&a, 0, sizeof(a));
	memset(&d, 0, sizeof(d));
	rump_schedule();
	me = rumpns_curlwp_get();
	t0 = rumpns_getmonotonic_ns();
	error = rumpns_kthread_create(kt_body, &a, "ktest", true, &kt);
	ATF_REQUIRE_EQ_MSG(0, error, "kthread_create: %d", error);
	ATF_REQUIRE(kt != NULL);
	rumpns_kthread_join(kt);
	ATF_REQUIRE_MSG(__atomic_load_n(&a.done, __ATOMIC_ACQUIRE),
	    "kthread_join returned before the thread finished");
	ATF_REQUIRE(a.ran_at - t0 >= 50 * MSEC);
	error = rumpns_kthread_create(kt_body, &d, "kdetached", false, &dkt);
	ATF_REQUIRE_EQ_MSG(0, error, "kthread_create: %d", error);
	ATF_REQUIRE_MSG(dkt == NULL, "a detached thread has no handle");
	rump_unschedule();

	ATF_REQUIRE_EQ_MSG(0, a.pid, "kernel thread in pid %d", a.pid);
	ATF_REQUIRE(a.lwp != NULL && a.lwp != me);
	ATF_REQUIRE_MSG(wait_flag(&d.done, 5000), "detached thread did not "
	    "run");
	ATF_REQUIRE_EQ(0, d.pid);
	/* (Its lwp may well reuse the memory of the first one's.) */
	ATF_REQUIRE(d.lwp != NULL && d.lwp != me);
	/* The caller's own process is unchanged. */
	ATF_REQUIRE_EQ(1, rump_sys_getpid());
}

/* ------------------------------------------------------------------ */

ATF_TC(cv_timedwait_timeout);
ATF_TC_HEAD(cv_timedwait_timeout, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "cv_timedwait_ns with nobody to signal returns ETIMEDOUT (110) "
	    "after at least the timeout (50 ms, 1.2 s), with the mutex "
	    "held again");
	atf_tc_set_md_var(tc, "timeout", "30");
}
ATF_TC_BODY(cv_timedwait_timeout, tc)
{
	static kobj_t m, cv;
	static const uint64_t timeout[] = { 50 * MSEC, 1200 * MSEC };
	uint64_t t0, t1;
	int error;

	boot();
	kobj_prepare(&m);
	kobj_prepare(&cv);
	rump_schedule();
	rumpns_mutex_init(&m, MUTEX_DEFAULT);
	rumpns_cv_init(&cv);
	CHECK_EXTENT(&m, "mutex_init");
	CHECK_EXTENT(&cv, "cv_init");
	rumpns_mutex_enter(&m);
	for (size_t i = 0; i < 2; i++) {
		t0 = rumpns_getmonotonic_ns();
		error = rumpns_cv_timedwait_ns(&cv, &m, timeout[i]);
		t1 = rumpns_getmonotonic_ns();
		ATF_REQUIRE_EQ_MSG(K_ETIMEDOUT, error,
		    "cv_timedwait_ns: %d", error);
		ATF_REQUIRE_MSG(t1 - t0 >= timeout[i],
		    "timed out after %llu ns of %llu",
		    (unsigned long long)(t1 - t0),
		    (unsigned long long)timeout[i]);
		ATF_REQUIRE(t1 - t0 < timeout[i] + 5000 * MSEC);
	}
	rumpns_mutex_exit(&m);
	rumpns_cv_destroy(&cv);
	rumpns_mutex_destroy(&m);
	rump_unschedule();
}

struct cv_share {
	kobj_t	m, cv;
	int	flag;
};

static void *
signaller_thread(void *arg)
{
	struct cv_share *s = arg;

	rt_sleep_ms(20);
	rump_schedule();
	rumpns_mutex_enter(&s->m);
	s->flag = 1;
	rumpns_cv_signal(&s->cv);
	rumpns_mutex_exit(&s->m);
	rump_unschedule();
	return NULL;
}

ATF_TC(cv_timedwait_signalled);
ATF_TC_HEAD(cv_timedwait_signalled, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "cv_timedwait_ns with a 10 s timeout returns 0, well before the "
	    "timeout, when another thread signals it");
	atf_tc_set_md_var(tc, "timeout", "30");
}
ATF_TC_BODY(cv_timedwait_signalled, tc)
{
	static struct cv_share s;
	uint64_t t0, t1;
	void *cookie;
	int error = -1;

	boot();
	rump_schedule();
	rumpns_mutex_init(&s.m, MUTEX_DEFAULT);
	rumpns_cv_init(&s.cv);
	rumpns_mutex_enter(&s.m);
	cookie = rt_thread_start(signaller_thread, &s, "signaller");
	t0 = rumpns_getmonotonic_ns();
	/* Bounded: a spurious wakeup at most retries. */
	for (int i = 0; i < 100 && !s.flag; i++) {
		error = rumpns_cv_timedwait_ns(&s.cv, &s.m, 10000 * MSEC);
		if (error != 0)
			break;
	}
	t1 = rumpns_getmonotonic_ns();
	rumpns_mutex_exit(&s.m);
	rump_unschedule();
	rt_thread_join(cookie);
	ATF_REQUIRE_EQ_MSG(0, error, "cv_timedwait_ns: %d", error);
	ATF_REQUIRE(s.flag);
	ATF_REQUIRE_MSG(t1 - t0 < 5000 * MSEC, "woke after %llu ns",
	    (unsigned long long)(t1 - t0));
}

/* ------------------------------------------------------------------ */

#define CHUNK		4096
#define MAXCHUNKS	1024

ATF_TC(kmem_limit_accounting);
ATF_TC_HEAD(kmem_limit_accounting, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "with RUMP_MEMLIMIT=1m, kmem_limit is 1 MiB; 4 KiB allocations "
	    "succeed until the limit (counted exactly by kmem_inuse), then "
	    "return NULL; freeing all brings kmem_inuse back to its start");
	atf_tc_set_md_var(tc, "timeout", "30");
}
ATF_TC_BODY(kmem_limit_accounting, tc)
{
	static void *p[MAXCHUNKS];
	uint64_t start, limit, inuse;
	int n;

	setenv("RUMP_MEMLIMIT", "1m", 1);
	boot();
	rump_schedule();
	limit = rumpns_kmem_limit();
	start = rumpns_kmem_inuse();
	ATF_REQUIRE_EQ_MSG(1048576, limit, "limit %llu",
	    (unsigned long long)limit);
	ATF_REQUIRE_MSG(start > 0 && start < limit,
	    "the booted kernel uses %llu bytes", (unsigned long long)start);
	ATF_REQUIRE(rumpns_kmem_alloc(limit + 1, KM_SLEEP) == NULL);
	ATF_REQUIRE_EQ(start, rumpns_kmem_inuse());

	for (n = 0; n < MAXCHUNKS; n++) {
		if ((p[n] = rumpns_kmem_alloc(CHUNK, KM_SLEEP)) == NULL)
			break;
		memset(p[n], n & 0xff, CHUNK);
	}
	inuse = rumpns_kmem_inuse();
	ATF_REQUIRE_MSG(n < MAXCHUNKS, "no limit after %d chunks", n);
	ATF_REQUIRE_EQ_MSG(start + (uint64_t)n * CHUNK, inuse,
	    "%d chunks from %llu: in use %llu", n,
	    (unsigned long long)start, (unsigned long long)inuse);
	/* Refused only because the next chunk would not fit. */
	ATF_REQUIRE_MSG(inuse <= limit && inuse + CHUNK > limit,
	    "stopped at %llu of %llu", (unsigned long long)inuse,
	    (unsigned long long)limit);
	/* What is left still can be had. */
	if (limit > inuse) {
		void *rest = rumpns_kmem_alloc((size_t)(limit - inuse),
		    KM_SLEEP);

		ATF_REQUIRE_MSG(rest != NULL, "the last %llu bytes refused",
		    (unsigned long long)(limit - inuse));
		ATF_REQUIRE(rumpns_kmem_alloc(1, KM_SLEEP) == NULL);
		rumpns_kmem_free(rest, (size_t)(limit - inuse));
	}
	for (int i = 0; i < n; i++) {
		ATF_REQUIRE(((unsigned char *)p[i])[CHUNK - 1] == (i & 0xff));
		rumpns_kmem_free(p[i], CHUNK);
	}
	ATF_REQUIRE_EQ_MSG(start, rumpns_kmem_inuse(),
	    "in use %llu after freeing all, %llu before",
	    (unsigned long long)rumpns_kmem_inuse(),
	    (unsigned long long)start);
	rump_unschedule();
}

ATF_TC(kmem_no_limit);
ATF_TC_HEAD(kmem_no_limit, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "without RUMP_MEMLIMIT kmem_limit is 0 and 4 MiB are allocated "
	    "and accounted");
	atf_tc_set_md_var(tc, "timeout", "30");
}
ATF_TC_BODY(kmem_no_limit, tc)
{
	uint64_t start;
	void *p;

	unsetenv("RUMP_MEMLIMIT");
	boot();
	rump_schedule();
	ATF_REQUIRE_EQ(0, rumpns_kmem_limit());
	start = rumpns_kmem_inuse();
	p = rumpns_kmem_alloc(4 << 20, KM_SLEEP);
	ATF_REQUIRE(p != NULL);
	ATF_REQUIRE_EQ(start + (4 << 20), rumpns_kmem_inuse());
	rumpns_kmem_free(p, 4 << 20);
	ATF_REQUIRE_EQ(start, rumpns_kmem_inuse());
	rump_unschedule();
}

/*
 * Without a limit kmem counts per virtual CPU (kern/pcounter.h: each
 * CPU's holder adds to its CPU's slot with a plain load and store).
 * Kernel threads, more than there are CPUs, allocate and free at once,
 * giving their CPU up now and then (so that each runs on every CPU),
 * and free blocks other threads allocated (so that slots go negative):
 * once they are done the count is exactly where it started.  Two
 * threads ever adding to one slot at once would lose updates.
 */
#define KMC_THREADS	4
#define KMC_ROUNDS	20000
#define KMC_SLOTS	64

static void *kmc_slot[KMC_SLOTS];	/* atomic: blocks left to free */

static void
kmc_free(void *p)
{
	size_t size;

	memcpy(&size, p, sizeof(size));
	rumpns_kmem_free(p, size);
}

static void
kmc_body(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg * 2654435761u + 1;
	void *p, *old;
	size_t size;

	for (int i = 0; i < KMC_ROUNDS; i++) {
		seed = seed * 1103515245u + 12345u;
		size = 16 + (seed >> 16) % 2032;
		p = rumpns_kmem_alloc(size, KM_SLEEP);
		if (p == NULL)
			continue;
		memcpy(p, &size, sizeof(size));
		/* Keep it for whichever thread comes by this slot next. */
		old = __atomic_exchange_n(&kmc_slot[(seed >> 8) % KMC_SLOTS],
		    p, __ATOMIC_ACQ_REL);
		if (old != NULL)
			kmc_free(old);
		if (i % 1024 == 1023) {
			rump_unschedule();
			rump_schedule();
		}
	}
}

ATF_TC(kmem_count_concurrent);
ATF_TC_HEAD(kmem_count_concurrent, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "without a limit, 4 kernel threads on 2 CPUs allocating and "
	    "freeing each other's blocks leave kmem_inuse exactly where it "
	    "started");
	atf_tc_set_md_var(tc, "timeout", "120");
}
ATF_TC_BODY(kmem_count_concurrent, tc)
{
	void *kt[KMC_THREADS];
	uint64_t start, end;
	void *p;
	int error;

	unsetenv("RUMP_MEMLIMIT");
	setenv("RUMP_NCPU", "2", 1);
	boot();
	rump_schedule();
	ATF_REQUIRE_EQ(0, rumpns_kmem_limit());
	start = rumpns_kmem_inuse();
	for (int i = 0; i < KMC_THREADS; i++) {
		error = rumpns_kthread_create(kmc_body, (void *)(uintptr_t)i,
		    "kmc", true, &kt[i]);
		ATF_REQUIRE_EQ_MSG(0, error, "kthread_create: %d", error);
	}
	for (int i = 0; i < KMC_THREADS; i++)
		rumpns_kthread_join(kt[i]);
	for (int i = 0; i < KMC_SLOTS; i++)
		if ((p = __atomic_exchange_n(&kmc_slot[i], NULL,
		    __ATOMIC_ACQ_REL)) != NULL)
			kmc_free(p);
	end = rumpns_kmem_inuse();
	rump_unschedule();
	ATF_REQUIRE_EQ_MSG(start, end, "in use %llu after, %llu before "
	    "(%lld)", (unsigned long long)end, (unsigned long long)start,
	    (long long)(end - start));
}

/* ------------------------------------------------------------------ */

/* qsbr: objects retired while another CPU is held wait for its release. */
#define QS_OBJS		64
static struct qsbr_entry_t qs_obj[QS_OBJS];
static int qs_freed;			/* atomic */
static int qs_held;			/* atomic */

static void
qs_free(struct qsbr_entry_t *e)
{

	(void)e;
	__atomic_add_fetch(&qs_freed, 1, __ATOMIC_RELAXED);
}

static struct rumpuser_mtx *qs_mtx;

/* Holds a virtual CPU until the main thread lets go of qs_mtx: waiting
 * for a host mutex with the _nowrap call keeps the CPU (any other
 * blocking hypercall would give it up, which is a quiescent state). */
static void *
qs_holder(void *arg)
{

	(void)arg;
	rump_schedule();
	__atomic_store_n(&qs_held, 1, __ATOMIC_RELEASE);
	rumpuser_mutex_enter_nowrap(qs_mtx);
	rumpuser_mutex_exit(qs_mtx);
	rump_unschedule();
	return NULL;
}

/* Lets the main thread's CPU go and come back n times (each release is
 * a quiescent state, and every so many look at the waiting batch). */
static void
qs_cycle(int n)
{

	for (int i = 0; i < n; i++) {
		rump_unschedule();
		rump_schedule();
	}
}

ATF_TC(qsbr_waits_for_holders);
ATF_TC_HEAD(qsbr_waits_for_holders, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "qsbr_retire: objects retired while another thread holds a "
	    "virtual CPU are not freed, however often the retiring CPU is "
	    "released, until that thread lets its CPU go; then all are");
	atf_tc_set_md_var(tc, "timeout", "60");
}
ATF_TC_BODY(qsbr_waits_for_holders, tc)
{
	void *holder;

	setenv("RUMP_NCPU", "2", 1);
	boot();
	rumpuser_mutex_init(&qs_mtx, 0);
	rumpuser_mutex_enter_nowrap(qs_mtx);
	holder = rt_thread_start(qs_holder, NULL, "qsholder");
	for (int i = 0; i < 10000 &&
	    !__atomic_load_n(&qs_held, __ATOMIC_ACQUIRE); i++)
		rt_sleep_ms(1);
	ATF_REQUIRE(__atomic_load_n(&qs_held, __ATOMIC_ACQUIRE));

	rump_schedule();
	for (int i = 0; i < QS_OBJS; i++)
		rumpns_qsbr_retire(&qs_obj[i], qs_free);
	qs_cycle(200);
	ATF_REQUIRE_EQ_MSG(0, __atomic_load_n(&qs_freed, __ATOMIC_RELAXED),
	    "%d objects freed while a CPU that may see them is held",
	    __atomic_load_n(&qs_freed, __ATOMIC_RELAXED));
	ATF_REQUIRE(rumpns_qsbr_pending() >= QS_OBJS);
	rump_unschedule();

	rumpuser_mutex_exit(qs_mtx);
	rt_thread_join(holder);
	rump_schedule();
	qs_cycle(200);
	rump_unschedule();
	ATF_REQUIRE_EQ_MSG(QS_OBJS, __atomic_load_n(&qs_freed,
	    __ATOMIC_RELAXED), "%d of %d objects freed after the holder let "
	    "its CPU go", __atomic_load_n(&qs_freed, __ATOMIC_RELAXED),
	    QS_OBJS);
}

/* ------------------------------------------------------------------ */

ATF_TC(cprng_varies);
ATF_TC_HEAD(cprng_varies, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "cprng32: 256 values, nearly all distinct, every bit both set "
	    "and clear somewhere; cprng_fill: two 1000-byte fills differ "
	    "and neither is constant");
	atf_tc_set_md_var(tc, "timeout", "30");
}
ATF_TC_BODY(cprng_varies, tc)
{
	uint32_t v[256], or = 0, and = ~0U;
	unsigned char a[1000], b[1000];
	int dups = 0, same = 0;

	boot();
	rump_schedule();
	for (int i = 0; i < 256; i++)
		v[i] = rumpns_cprng32();
	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	rumpns_cprng_fill(a, sizeof(a));
	rumpns_cprng_fill(b, sizeof(b));
	rump_unschedule();

	for (int i = 0; i < 256; i++) {
		or |= v[i];
		and &= v[i];
		for (int j = 0; j < i; j++)
			dups += v[i] == v[j];
	}
	/* 256 random 32-bit values collide with probability ~1e-5. */
	ATF_CHECK_MSG(dups <= 1, "%d repeated values", dups);
	ATF_CHECK_MSG(or == ~0U && and == 0, "bits: or %#x and %#x", or, and);
	ATF_CHECK(memcmp(a, b, sizeof(a)) != 0);
	for (size_t i = 1; i < sizeof(a); i++)
		same += a[i] == a[0];
	ATF_CHECK_MSG(same < 100, "%d of 1000 bytes equal the first", same);
}

ATF_TC(ncpu_param);
ATF_TC_HEAD(ncpu_param, tc)
{
	atf_tc_set_md_var(tc, "descr", "RUMP_NCPU=3 gives 3 virtual CPUs");
	atf_tc_set_md_var(tc, "timeout", "30");
}
ATF_TC_BODY(ncpu_param, tc)
{
	int n;

	setenv("RUMP_NCPU", "3", 1);
	boot();
	rump_schedule();
	n = rumpns_ncpu_get();
	rump_unschedule();
	ATF_REQUIRE_EQ(3, n);
}

/* kern/libkern.h */
int	rumpns_printf(const char *fmt, ...);

/* Prints through the kernel's console (and so into its messages). */
#define KPRINTF(...) do {						\
	rump_schedule();						\
	rumpns_printf(__VA_ARGS__);					\
	rump_unschedule();						\
} while (0)

ATF_TC(syslog_messages);
ATF_TC_HEAD(syslog_messages, tc)
{
	atf_tc_set_md_var(tc, "descr", "syslog(2) reads what the kernel "
	    "printed as Linux's lines \"<4>text\\n\", since the last clear, "
	    "whole lines when len cuts; the 16 KiB buffer keeps the newest; "
	    "root only but for READ_ALL and SIZE_BUFFER");
}
ATF_TC_BODY(syslog_messages, tc)
{
	static char buf[20000], want[64];
	struct lwp *root;
	int n, i;

	boot();
	ATF_CHECK_EQ(rump_sys_syslog(10, NULL, 0), 16384);
	RL(rump_sys_syslog(5, NULL, 0));
	ATF_CHECK_EQ(rump_sys_syslog(3, buf, sizeof(buf)), 0);
	KPRINTF("first %d\n", 1);
	KPRINTF("second, in ");
	KPRINTF("two calls\n");
	RL(n = rump_sys_syslog(3, buf, sizeof(buf)));
	ATF_CHECK_EQ(n, 35);
	ATF_CHECK(n == 35 && memcmp(buf, "<4>first 1\n<4>second, in two "
	    "calls\n", 35) == 0);
	/* Too short for both: the last whole line. */
	memset(buf, 0, sizeof(buf));
	RL(n = rump_sys_syslog(3, buf, 30));
	ATF_CHECK_EQ(n, 24);
	ATF_CHECK_STREQ(buf, "<4>second, in two calls\n");
	ATF_CHECK_EQ(rump_sys_syslog(3, buf, 0), 0);
	ERR(EINVAL, rump_sys_syslog(3, NULL, 10));
	ERR(EINVAL, rump_sys_syslog(3, buf, -1));
	ERR(EFAULT, rump_sys_syslog(3, (char *)8, 100));
	ERR(EINVAL, rump_sys_syslog(2, buf, 100));
	ERR(EINVAL, rump_sys_syslog(42, buf, 100));
	/* READ_CLEAR reads, then clears. */
	RL(n = rump_sys_syslog(4, buf, sizeof(buf)));
	ATF_CHECK_EQ(n, 35);
	ATF_CHECK_EQ(rump_sys_syslog(3, buf, sizeof(buf)), 0);
	ATF_CHECK_EQ(rump_sys_syslog(9, NULL, 0) >= 35, true);

	/* More than the buffer holds: the newest whole lines. */
	for (i = 0; i < 1000; i++)
		KPRINTF("line %04d of the ones that overflow the buffer\n", i);
	RL(n = rump_sys_syslog(3, buf, sizeof(buf)));
	ATF_CHECK_MSG(n > 16384 - 60 && n <= 16384, "read %d bytes", n);
	ATF_CHECK_EQ(rump_sys_syslog(9, NULL, 0), 16384);
	ATF_CHECK(memcmp(buf, "<4>line ", 8) == 0);
	snprintf(want, sizeof(want), "<4>line %04d of the ones that overflow "
	    "the buffer\n", 999);
	ATF_CHECK(n > (int)strlen(want) && memcmp(buf + n - strlen(want),
	    want, strlen(want)) == 0);

	/* An ordinary user may read, not clear. */
	ATF_REQUIRE_EQ(0, rump_lwproc_rfork(RUMP_RFCFDG));
	root = rump_lwproc_curlwp();
	ATF_REQUIRE_EQ(0, rump_lwproc_rfork(RUMP_RFCFDG));
	RL(rump_sys_setuid(1000));
	RL(n = rump_sys_syslog(3, buf, sizeof(buf)));
	ATF_CHECK(n > 0);
	ATF_CHECK_EQ(rump_sys_syslog(10, NULL, 0), 16384);
	ERR(EPERM, rump_sys_syslog(5, NULL, 0));
	ERR(EPERM, rump_sys_syslog(4, buf, sizeof(buf)));
	ERR(EPERM, rump_sys_syslog(9, NULL, 0));
	ERR(EPERM, rump_sys_syslog(42, buf, 100));
	rump_lwproc_releaselwp();
	rump_lwproc_switch(root);
	RL(rump_sys_syslog(5, NULL, 0));
	rump_lwproc_releaselwp();
	rump_lwproc_switch(NULL);
	ATF_CHECK_EQ(rump_sys_syslog(3, buf, sizeof(buf)), 0);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, callout_fires_once);
	ATF_TP_ADD_TC(tp, callout_stop_cancels);
	ATF_TP_ADD_TC(tp, callout_halt_waits);
	ATF_TP_ADD_TC(tp, callout_halt_periodic);
	ATF_TP_ADD_TC(tp, callout_deadline_order);
	ATF_TP_ADD_TC(tp, kthread_create_join);
	ATF_TP_ADD_TC(tp, cv_timedwait_timeout);
	ATF_TP_ADD_TC(tp, cv_timedwait_signalled);
	ATF_TP_ADD_TC(tp, kmem_limit_accounting);
	ATF_TP_ADD_TC(tp, kmem_no_limit);
	ATF_TP_ADD_TC(tp, kmem_count_concurrent);
	ATF_TP_ADD_TC(tp, qsbr_waits_for_holders);
	ATF_TP_ADD_TC(tp, cprng_varies);
	ATF_TP_ADD_TC(tp, ncpu_param);
	ATF_TP_ADD_TC(tp, syslog_messages);
	return atf_no_error();
}
