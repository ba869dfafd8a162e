/*
 * t_sched_time.c: time on any platform: cv_timedwait times out with
 * ETIMEDOUT (60) no earlier than asked, returns 0 when signalled in time,
 * and comes back holding the mutex and the CPU; clock_sleep with
 * RELWALL and ABSMONO sleeps at least as long as asked and releases the
 * CPU; many sleepers and timed waiters at once overlap rather than
 * queue; and threads that take turns by sleeping briefly all make
 * comparable progress (fairness).
 *
 * Durations are measured on the platform's own ABSMONO clock, which is
 * what its sleeps are defined against.
 *
 * Portable: nothing but rumpuser calls and the stub kernel of
 * h_hyperup.h.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <atf-c.h>

#include <rump/rumpuser.h>

#include "h_hyperup.h"

#define MS	1000000LL	/* nanoseconds */
/* How late a wakeup may be before we call it lost (a loaded CI host can
 * be slow, but not this slow). */
#define LATE	(3000 * MS)

static struct rumpuser_mtx *g_mtx;
static struct rumpuser_cv *g_cv;

static void
sync_init(int flags)
{

	rumpuser_mutex_init(&g_mtx, flags);
	rumpuser_cv_init(&g_cv);
}

ATF_TC(timedwait_timeout);
ATF_TC_HEAD(timedwait_timeout, tc)
{
	atf_tc_set_md_var(tc, "descr", "cv_timedwait with nobody signalling "
	    "returns ETIMEDOUT (60) after at least the timeout (0, 1 ms, "
	    "20 ms, 100 ms, 1.25 s), holding the mutex (owner: the caller) "
	    "and the CPU again");
	atf_tc_set_md_var(tc, "timeout", "60");
}
ATF_TC_BODY(timedwait_timeout, tc)
{
	static const struct { int64_t sec, nsec; } to[] = {
		{ 0, 0 }, { 0, 1 * MS }, { 0, 20 * MS }, { 0, 100 * MS },
		{ 1, 250 * MS },
	};
	struct lwp *owner;
	int64_t t0, t, want;
	int rv;

	ATF_REQUIRE_EQ(0, stub_init(1));
	sync_init(RUMPUSER_MTX_KMUTEX);
	for (size_t i = 0; i < sizeof(to) / sizeof(to[0]); i++) {
		want = to[i].sec * 1000 * MS + to[i].nsec;
		rumpuser_mutex_enter(g_mtx);
		t0 = stub_mono_ns();
		rv = rumpuser_cv_timedwait(g_cv, g_mtx, to[i].sec, to[i].nsec);
		t = stub_mono_ns() - t0;
		ATF_CHECK_EQ_MSG(NB_ETIMEDOUT, rv, "timeout %lld ns: returned "
		    "%d, want ETIMEDOUT 60", (long long)want, rv);
		ATF_CHECK_MSG(t >= want, "timeout %lld ns: returned after "
		    "%lld ns", (long long)want, (long long)t);
		ATF_CHECK_MSG(t < want + LATE, "timeout %lld ns: returned "
		    "only after %lld ns", (long long)want, (long long)t);
		rumpuser_mutex_owner(g_mtx, &owner);
		ATF_CHECK_MSG(owner == &stub_main_lwp, "mutex not held by the "
		    "caller after the timeout");
		ATF_CHECK(stub_main_lwp.l_have_cpu);
		rumpuser_mutex_exit(g_mtx);
	}
	ATF_CHECK_EQ(0, STUB_GET(stub_violations));
}

static volatile int signalled;

static void *
signal_later(void *arg)
{

	stub_sleep_ns((int64_t)(intptr_t)arg);
	rumpuser_mutex_enter(g_mtx);
	signalled = 1;
	rumpuser_cv_signal(g_cv);
	rumpuser_mutex_exit(g_mtx);
	return NULL;
}

ATF_TC(timedwait_signalled);
ATF_TC_HEAD(timedwait_signalled, tc)
{
	atf_tc_set_md_var(tc, "descr", "cv_timedwait for 10 s, signalled by "
	    "another thread after 50 ms (it needs the only CPU), returns 0 "
	    "well before the timeout");
	atf_tc_set_md_var(tc, "timeout", "60");
}
ATF_TC_BODY(timedwait_signalled, tc)
{
	void *cookie;
	int64_t t0, t;
	int rv = 0;

	ATF_REQUIRE_EQ(0, stub_init(1));
	sync_init(RUMPUSER_MTX_KMUTEX);
	ATF_REQUIRE_EQ(0, stub_thread_create(signal_later,
	    (void *)(intptr_t)(50 * MS), 0, "signaller", 1, &cookie));
	rumpuser_mutex_enter(g_mtx);
	t0 = stub_mono_ns();
	while (!signalled && rv == 0)
		rv = rumpuser_cv_timedwait(g_cv, g_mtx, 10, 0);
	t = stub_mono_ns() - t0;
	rumpuser_mutex_exit(g_mtx);
	ATF_REQUIRE_EQ(0, rumpuser_thread_join(cookie));
	ATF_CHECK_EQ_MSG(0, rv, "returned %d", rv);
	ATF_CHECK_EQ(1, signalled);
	/* The signaller needs the CPU main gives up only in the wait: its
	 * 50 ms start after t0. */
	ATF_CHECK_MSG(t >= 50 * MS, "woke after %lld ns, the signal came "
	    "after 50 ms", (long long)t);
	ATF_CHECK_MSG(t < 5000 * MS, "woke only after %lld ns", (long long)t);
	ATF_CHECK_EQ(0, STUB_GET(stub_violations));
}

/*
 * Many timed waiters at once, nobody signals: each times out after its
 * own timeout, and they overlap.
 */
#define NTIMED	50

static int64_t timed_took[NTIMED];
static int timed_rv[NTIMED];

static int64_t
timed_want(int id)
{

	return (int64_t)(1 + id % 10) * 20 * MS;
}

static void *
timed_fn(void *arg)
{
	int id = (int)(intptr_t)arg;
	int64_t t0;

	rumpuser_mutex_enter(g_mtx);
	t0 = stub_mono_ns();
	timed_rv[id] = rumpuser_cv_timedwait(g_cv, g_mtx, 0, timed_want(id));
	timed_took[id] = stub_mono_ns() - t0;
	rumpuser_mutex_exit(g_mtx);
	return NULL;
}

ATF_TC(timedwait_many);
ATF_TC_HEAD(timedwait_many, tc)
{
	atf_tc_set_md_var(tc, "descr", "50 threads time out on one cv at "
	    "once (20..200 ms): each after at least its own timeout, all "
	    "together in far less than the sum");
	atf_tc_set_md_var(tc, "timeout", "60");
}
ATF_TC_BODY(timedwait_many, tc)
{
	static void *cookie[NTIMED];
	int64_t t0, t;

	ATF_REQUIRE_EQ(0, stub_init(1));
	sync_init(0);
	t0 = stub_mono_ns();
	for (int i = 0; i < NTIMED; i++)
		ATF_REQUIRE_EQ(0, stub_thread_create(timed_fn,
		    (void *)(intptr_t)i, i, "timed", 1, &cookie[i]));
	for (int i = 0; i < NTIMED; i++)
		ATF_REQUIRE_EQ(0, rumpuser_thread_join(cookie[i]));
	t = stub_mono_ns() - t0;
	for (int i = 0; i < NTIMED; i++) {
		ATF_CHECK_EQ_MSG(NB_ETIMEDOUT, timed_rv[i], "thread %d: %d",
		    i, timed_rv[i]);
		ATF_CHECK_MSG(timed_took[i] >= timed_want(i), "thread %d: "
		    "timed out after %lld ns, asked %lld", i,
		    (long long)timed_took[i], (long long)timed_want(i));
	}
	/* The sum is 5.5 s; the longest 200 ms. */
	ATF_CHECK_MSG(t < 200 * MS + LATE, "all timed out only after %.3f s",
	    t / 1e9);
	ATF_CHECK_EQ(0, STUB_GET(stub_violations));
}

/*
 * Timeouts too long to count in nanoseconds, given outright or through a
 * denormalised nsec (1 s + LONG_MAX ns), wait for as good as ever: they
 * must saturate, not wrap around into a short (or past) deadline.
 */
static const struct { int64_t sec, nsec; } huge_sleep[] = {
	{ 1, INT64_MAX }, { 0, INT64_MAX }, { INT64_MAX, 999999999 },
};
static const struct { int64_t sec, nsec; } huge_wait[] = {
	/* 10^19 ns + nsec is 2^64 + 5 ns */
	{ 10000000000LL, 8446744073709551621LL }, { INT64_MAX, 0 },
};
#define NHUGE_SLEEP	(int)(sizeof(huge_sleep) / sizeof(huge_sleep[0]))
#define NHUGE_WAIT	(int)(sizeof(huge_wait) / sizeof(huge_wait[0]))

static int huge_done[NHUGE_SLEEP + NHUGE_WAIT];
static int huge_rv[NHUGE_WAIT];
static int huge_go;

static void *
huge_sleep_fn(void *arg)
{
	int i = (int)(intptr_t)arg;

	(void)rumpuser_clock_sleep(RUMPUSER_CLOCK_RELWALL, huge_sleep[i].sec,
	    (long)huge_sleep[i].nsec);
	__atomic_store_n(&huge_done[i], 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static void *
huge_wait_fn(void *arg)
{
	int i = (int)(intptr_t)arg;
	int rv = 0;

	rumpuser_mutex_enter(g_mtx);
	while (!huge_go && rv == 0)
		rv = rumpuser_cv_timedwait(g_cv, g_mtx, huge_wait[i].sec,
		    huge_wait[i].nsec);
	huge_rv[i] = rv;
	rumpuser_mutex_exit(g_mtx);
	__atomic_store_n(&huge_done[NHUGE_SLEEP + i], 1, __ATOMIC_SEQ_CST);
	return NULL;
}

ATF_TC(timeout_huge);
ATF_TC_HEAD(timeout_huge, tc)
{
	atf_tc_set_md_var(tc, "descr", "clock_sleep(RELWALL) and "
	    "cv_timedwait with timeouts beyond 2^63 ns (also reached through "
	    "a denormalised nsec: 1 s + LONG_MAX ns, 10^10 s + 8.4 * 10^18 "
	    "ns) are still waiting after 200 ms; the waiters then return 0 "
	    "when signalled");
	atf_tc_set_md_var(tc, "timeout", "60");
}
ATF_TC_BODY(timeout_huge, tc)
{
	void *cookie[NHUGE_WAIT];
	int i;

	ATF_REQUIRE_EQ(0, stub_init(1));
	sync_init(RUMPUSER_MTX_KMUTEX);
	/* The sleepers never wake: detached, they end with the process. */
	for (i = 0; i < NHUGE_SLEEP; i++)
		ATF_REQUIRE_EQ(0, stub_thread_create(huge_sleep_fn,
		    (void *)(intptr_t)i, i, "sleeper", 0, NULL));
	for (i = 0; i < NHUGE_WAIT; i++)
		ATF_REQUIRE_EQ(0, stub_thread_create(huge_wait_fn,
		    (void *)(intptr_t)i, NHUGE_SLEEP + i, "waiter", 1,
		    &cookie[i]));
	ATF_REQUIRE_EQ(0, stub_sleep_ns(200 * MS));
	for (i = 0; i < NHUGE_SLEEP; i++)
		ATF_CHECK_MSG(!__atomic_load_n(&huge_done[i], __ATOMIC_SEQ_CST),
		    "clock_sleep(RELWALL, %lld, %lld) returned within 200 ms",
		    (long long)huge_sleep[i].sec, (long long)huge_sleep[i].nsec);
	for (i = 0; i < NHUGE_WAIT; i++)
		ATF_CHECK_MSG(!__atomic_load_n(&huge_done[NHUGE_SLEEP + i],
		    __ATOMIC_SEQ_CST), "cv_timedwait(%lld, %lld) returned %d "
		    "within 200 ms", (long long)huge_wait[i].sec,
		    (long long)huge_wait[i].nsec, huge_rv[i]);
	rumpuser_mutex_enter(g_mtx);
	huge_go = 1;
	rumpuser_cv_broadcast(g_cv);
	rumpuser_mutex_exit(g_mtx);
	for (i = 0; i < NHUGE_WAIT; i++) {
		ATF_REQUIRE_EQ(0, rumpuser_thread_join(cookie[i]));
		ATF_CHECK_EQ_MSG(0, huge_rv[i], "cv_timedwait(%lld, %lld) "
		    "returned %d", (long long)huge_wait[i].sec,
		    (long long)huge_wait[i].nsec, huge_rv[i]);
	}
	ATF_CHECK_EQ(0, STUB_GET(stub_violations));
}

ATF_TC(sleep_relwall);
ATF_TC_HEAD(sleep_relwall, tc)
{
	atf_tc_set_md_var(tc, "descr", "clock_sleep(RELWALL) of 0, 1 us, "
	    "1 ms, 50 ms, 1.2 s (denormalised nsec too) sleeps at least "
	    "that long and returns 0; releases and retakes the CPU");
	atf_tc_set_md_var(tc, "timeout", "60");
}
ATF_TC_BODY(sleep_relwall, tc)
{
	static const struct { int64_t sec; long nsec; int64_t want; } s[] = {
		{ 0, 0, 0 }, { 0, 1000, 1000 }, { 0, 1 * MS, 1 * MS },
		{ 0, 50 * MS, 50 * MS }, { 1, 200 * MS, 1200 * MS },
	};
	int64_t t0, t;
	int unsched;

	ATF_REQUIRE_EQ(0, stub_init(1));
	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
		unsched = stub_main_lwp.l_unsched;
		t0 = stub_mono_ns();
		ATF_CHECK_EQ(0, rumpuser_clock_sleep(RUMPUSER_CLOCK_RELWALL,
		    s[i].sec, s[i].nsec));
		t = stub_mono_ns() - t0;
		ATF_CHECK_MSG(t >= s[i].want, "sleep of %lld ns took %lld ns",
		    (long long)s[i].want, (long long)t);
		ATF_CHECK_MSG(t < s[i].want + LATE, "sleep of %lld ns took "
		    "%lld ns", (long long)s[i].want, (long long)t);
		if (s[i].want > 0)
			ATF_CHECK_MSG(stub_main_lwp.l_unsched > unsched,
			    "sleep of %lld ns kept the CPU",
			    (long long)s[i].want);
		ATF_CHECK(stub_main_lwp.l_have_cpu);
	}
	ATF_CHECK_EQ(0, STUB_GET(stub_violations));
}

ATF_TC(sleep_absmono);
ATF_TC_HEAD(sleep_absmono, tc)
{
	atf_tc_set_md_var(tc, "descr", "clock_sleep(ABSMONO) until now + "
	    "1 ms, + 100 ms, + 1.1 s returns 0 no earlier than that time; "
	    "a time in the past returns at once");
	atf_tc_set_md_var(tc, "timeout", "60");
}
ATF_TC_BODY(sleep_absmono, tc)
{
	static const int64_t ahead[] = { 1 * MS, 100 * MS, 1100 * MS };
	int64_t target, t;

	ATF_REQUIRE_EQ(0, stub_init(1));
	for (size_t i = 0; i < sizeof(ahead) / sizeof(ahead[0]); i++) {
		target = stub_mono_ns() + ahead[i];
		ATF_CHECK_EQ(0, rumpuser_clock_sleep(RUMPUSER_CLOCK_ABSMONO,
		    target / (1000 * MS), (long)(target % (1000 * MS))));
		t = stub_mono_ns();
		ATF_CHECK_MSG(t >= target, "ABSMONO sleep to %lld returned "
		    "at %lld (%lld ns early)", (long long)target,
		    (long long)t, (long long)(target - t));
		ATF_CHECK_MSG(t < target + LATE, "ABSMONO sleep returned "
		    "%lld ns late", (long long)(t - target));
	}
	target = stub_mono_ns() - 500 * MS;
	ATF_CHECK_EQ(0, rumpuser_clock_sleep(RUMPUSER_CLOCK_ABSMONO,
	    target / (1000 * MS), (long)(target % (1000 * MS))));
	t = stub_mono_ns() - (target + 500 * MS);
	ATF_CHECK_MSG(t < LATE, "sleep until the past took %lld ns",
	    (long long)t);
	ATF_CHECK_EQ(0, STUB_GET(stub_violations));
}

/*
 * A sleeping thread gives its CPU away: with one CPU, a thread created
 * while main sleeps gets to run and finish before main wakes up (main
 * sleeps in steps of 10 ms, up to 5 s, until it has).
 */
static volatile int ran_while_sleeping;

static void *
note_run(void *arg)
{

	(void)arg;
	__atomic_store_n(&ran_while_sleeping, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

ATF_TC(sleep_releases_cpu);
ATF_TC_HEAD(sleep_releases_cpu, tc)
{
	atf_tc_set_md_var(tc, "descr", "with one virtual CPU, another "
	    "thread runs while the CPU's holder sleeps");
	atf_tc_set_md_var(tc, "timeout", "30");
}
ATF_TC_BODY(sleep_releases_cpu, tc)
{
	void *cookie;
	int i;

	ATF_REQUIRE_EQ(0, stub_init(1));
	ATF_REQUIRE_EQ(0, stub_thread_create(note_run, NULL, 0, "note", 1,
	    &cookie));
	for (i = 0; i < 500 && !STUB_GET(ran_while_sleeping); i++)
		ATF_CHECK_EQ(0, stub_sleep_ns(10 * MS));
	ATF_CHECK_MSG(STUB_GET(ran_while_sleeping), "the other thread did not "
	    "run while main slept for 5 s");
	ATF_REQUIRE_EQ(0, rumpuser_thread_join(cookie));
	ATF_CHECK_EQ(0, STUB_GET(stub_violations));
}

/*
 * Many sleepers at once overlap: 500 threads sleeping 100 ms each.
 */
#define NSLEEPERS	500
static int64_t slept[NSLEEPERS];
/* The sleepers start together, when the main thread opens the gate after
 * creating all of them: how long creating host threads takes (much
 * longer under ThreadSanitizer) is not what is measured. */
static bool sleepers_go;

static void *
sleeper_fn(void *arg)
{
	int id = (int)(intptr_t)arg;
	int64_t t0;

	rumpuser_mutex_enter(g_mtx);
	while (!sleepers_go)
		rumpuser_cv_wait(g_cv, g_mtx);
	rumpuser_mutex_exit(g_mtx);
	t0 = stub_mono_ns();

	STUB_CHECK(stub_sleep_ns(100 * MS) == 0, "sleeper %d", id);
	slept[id] = stub_mono_ns() - t0;
	return NULL;
}

ATF_TC(sleep_many);
ATF_TC_HEAD(sleep_many, tc)
{
	atf_tc_set_md_var(tc, "descr", "500 threads sleep 100 ms each at "
	    "once on one CPU: each at least 100 ms, all together in about "
	    "100 ms, not 50 s");
	atf_tc_set_md_var(tc, "timeout", "120");
}
ATF_TC_BODY(sleep_many, tc)
{
	static void *cookie[NSLEEPERS];
	int64_t t0, t;

	ATF_REQUIRE_EQ(0, stub_init(1));
	sync_init(RUMPUSER_MTX_KMUTEX);
	for (int i = 0; i < NSLEEPERS; i++)
		ATF_REQUIRE_EQ(0, stub_thread_create(sleeper_fn,
		    (void *)(intptr_t)i, i, "sleeper", 1, &cookie[i]));
	rumpuser_mutex_enter(g_mtx);
	sleepers_go = true;
	t0 = stub_mono_ns();
	rumpuser_cv_broadcast(g_cv);
	rumpuser_mutex_exit(g_mtx);
	for (int i = 0; i < NSLEEPERS; i++)
		ATF_REQUIRE_EQ(0, rumpuser_thread_join(cookie[i]));
	t = stub_mono_ns() - t0;
	printf("%d sleepers: %.3f s\n", NSLEEPERS, t / 1e9);
	STUB_REQUIRE_NO_FAILURE();
	for (int i = 0; i < NSLEEPERS; i++)
		ATF_CHECK_MSG(slept[i] >= 100 * MS, "sleeper %d: %lld ns", i,
		    (long long)slept[i]);
	ATF_CHECK_MSG(t < 100 * MS + LATE, "500 overlapping sleeps of 100 ms "
	    "took %.3f s", t / 1e9);
	ATF_CHECK_EQ(0, STUB_GET(stub_violations));
}

/*
 * Fairness: NFAIR threads on one CPU loop doing a little work (holding
 * the CPU) and then a short sleep; after FAIR_RUN the main thread stops
 * them.  Every thread must have made progress, and none more than
 * FAIR_FACTOR times as much as another.
 */
#define NFAIR		8
#define FAIR_RUN	(600 * MS)
#define FAIR_WORK	(20000)		/* ns of work per turn */
#define FAIR_FACTOR	4

static long fair_count[NFAIR];
static volatile int fair_stop;

static void *
fair_fn(void *arg)
{
	int id = (int)(intptr_t)arg;
	/* Threads named "zero" sleep 0 ns, the others 10 us. */
	int64_t sleep_ns = rumpuser_curlwp()->l_name[0] == 'z' ? 0 : 10000;

	while (!__atomic_load_n(&fair_stop, __ATOMIC_SEQ_CST)) {
		int64_t until = stub_mono_ns() + FAIR_WORK;

		fair_count[id]++;
		while (stub_mono_ns() < until)
			;
		stub_sleep_ns(sleep_ns);
	}
	return NULL;
}

static void
fairness(const char *name)
{
	static void *cookie[NFAIR];
	long min = -1, max = 0;

	ATF_REQUIRE_EQ(0, stub_init(1));
	for (int i = 0; i < NFAIR; i++)
		ATF_REQUIRE_EQ(0, stub_thread_create(fair_fn,
		    (void *)(intptr_t)i, i, name, 1, &cookie[i]));
	ATF_CHECK_EQ(0, stub_sleep_ns(FAIR_RUN));
	__atomic_store_n(&fair_stop, 1, __ATOMIC_SEQ_CST);
	for (int i = 0; i < NFAIR; i++)
		ATF_REQUIRE_EQ(0, rumpuser_thread_join(cookie[i]));
	for (int i = 0; i < NFAIR; i++) {
		printf("thread %d: %ld turns\n", i, fair_count[i]);
		if (min < 0 || fair_count[i] < min)
			min = fair_count[i];
		if (fair_count[i] > max)
			max = fair_count[i];
	}
	ATF_REQUIRE_MSG(min > 0, "a thread never ran in %.1f s",
	    FAIR_RUN / 1e9);
	ATF_CHECK_MSG(max <= FAIR_FACTOR * min, "unfair: turns range from "
	    "%ld to %ld (more than a factor %d)", min, max, FAIR_FACTOR);
	ATF_CHECK_EQ(0, STUB_GET(stub_violations));
}

ATF_TC(fairness_sleep);
ATF_TC_HEAD(fairness_sleep, tc)
{
	atf_tc_set_md_var(tc, "descr", "8 threads on one CPU, each working "
	    "20 us then sleeping 10 us, for 0.6 s: all make progress, "
	    "within a factor 4 of each other");
	atf_tc_set_md_var(tc, "timeout", "60");
}
ATF_TC_BODY(fairness_sleep, tc)
{
	fairness("fair");
}

ATF_TC(fairness_sleep0);
ATF_TC_HEAD(fairness_sleep0, tc)
{
	atf_tc_set_md_var(tc, "descr", "the same with sleeps of 0: a zero "
	    "sleep still lets the others (and the main thread, to stop "
	    "them) run");
	atf_tc_set_md_var(tc, "timeout", "60");
}
ATF_TC_BODY(fairness_sleep0, tc)
{
	fairness("zero");
}

/*
 * Timers fire while the CPU is never idle: two threads ping-pong through
 * condition variables without pause while the main thread sleeps 100 ms.
 * A scheduler that looks at its timers only when it has nothing else to
 * run would never wake the sleeper.
 */
static struct rumpuser_cv *pp_cv[2];
static int pp_turn;
static volatile int pp_stop;
static long pp_rounds;

static void *
pp_fn(void *arg)
{
	int me = (int)(intptr_t)arg;

	rumpuser_mutex_enter(g_mtx);
	while (!pp_stop) {
		while (pp_turn != me && !pp_stop)
			rumpuser_cv_wait(pp_cv[me], g_mtx);
		pp_rounds++;
		pp_turn = !me;
		rumpuser_cv_signal(pp_cv[!me]);
	}
	rumpuser_cv_signal(pp_cv[!me]);
	rumpuser_mutex_exit(g_mtx);
	return NULL;
}

ATF_TC(sleep_while_busy);
ATF_TC_HEAD(sleep_while_busy, tc)
{
	atf_tc_set_md_var(tc, "descr", "a 100 ms sleep ends in time while "
	    "two other threads keep the CPU busy ping-ponging (timers are "
	    "not starved by runnable threads)");
	atf_tc_set_md_var(tc, "timeout", "60");
}
ATF_TC_BODY(sleep_while_busy, tc)
{
	void *c[2];
	int64_t t0, t;

	ATF_REQUIRE_EQ(0, stub_init(2));
	sync_init(0);
	rumpuser_cv_init(&pp_cv[0]);
	rumpuser_cv_init(&pp_cv[1]);
	for (int i = 0; i < 2; i++)
		ATF_REQUIRE_EQ(0, stub_thread_create(pp_fn, (void *)(intptr_t)i,
		    i, "pingpong", 1, &c[i]));
	t0 = stub_mono_ns();
	ATF_CHECK_EQ(0, stub_sleep_ns(100 * MS));
	t = stub_mono_ns() - t0;
	rumpuser_mutex_enter(g_mtx);
	pp_stop = 1;
	rumpuser_cv_broadcast(pp_cv[0]);
	rumpuser_cv_broadcast(pp_cv[1]);
	rumpuser_mutex_exit(g_mtx);
	ATF_REQUIRE_EQ(0, rumpuser_thread_join(c[0]));
	ATF_REQUIRE_EQ(0, rumpuser_thread_join(c[1]));
	printf("slept %.3f ms while %ld rounds were played\n", t / 1e6,
	    pp_rounds);
	ATF_CHECK_MSG(t >= 100 * MS && t < 100 * MS + LATE, "a 100 ms sleep "
	    "took %.3f ms while two threads were busy", t / 1e6);
	ATF_CHECK_MSG(pp_rounds > 0, "the ping-pong never ran");
	ATF_CHECK_EQ(0, STUB_GET(stub_violations));
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, timedwait_timeout);
	ATF_TP_ADD_TC(tp, timedwait_signalled);
	ATF_TP_ADD_TC(tp, timedwait_many);
	ATF_TP_ADD_TC(tp, sleep_relwall);
	ATF_TP_ADD_TC(tp, sleep_absmono);
	ATF_TP_ADD_TC(tp, timeout_huge);
	ATF_TP_ADD_TC(tp, sleep_releases_cpu);
	ATF_TP_ADD_TC(tp, sleep_many);
	ATF_TP_ADD_TC(tp, sleep_while_busy);
	ATF_TP_ADD_TC(tp, fairness_sleep);
	ATF_TP_ADD_TC(tp, fairness_sleep0);
	return atf_no_error();
}
