/*
 * t_rumpuser_sync.c: mutexes, rwlocks and condition variables: exclusion,
 * wakeups, timeouts, owner tracking, and that the rump CPU is released
 * exactly around blocking (never for SPIN and _nowrap).
 *
 * Built from: this file + the library (see README).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <atf-c.h>

#include <rump/rumpuser.h>

#include "h_hyperup.h"

#define NB_EBUSY	16
#define NB_ETIMEDOUT	60

/* Fake lwps: only their addresses matter. */
static char lwp_main, lwp_other;
#define LWP_MAIN	((struct lwp *)(void *)&lwp_main)
#define LWP_OTHER	((struct lwp *)(void *)&lwp_other)

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
msleep(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static pthread_t
spawn(void *(*fn)(void *), void *arg)
{
	pthread_t pt;

	ATF_REQUIRE_EQ(0, pthread_create(&pt, NULL, fn, arg));
	return pt;
}

/*
 * Mutexes
 */

static struct rumpuser_mtx *g_mtx;
static volatile int g_flag;

static void *
tryenter_other(void *arg)
{
	intptr_t rv;

	(void)arg;
	rumpuser_curlwpop(RUMPUSER_LWP_SET, LWP_OTHER);
	rv = rumpuser_mutex_tryenter(g_mtx);
	if (rv == 0)
		rumpuser_mutex_exit(g_mtx);
	return (void *)rv;
}

ATF_TC_WITHOUT_HEAD(mutex_owner);
ATF_TC_BODY(mutex_owner, tc)
{
	struct lwp *owner;
	void *rv;

	ATF_REQUIRE_EQ(0, stub_init(1));
	rumpuser_curlwpop(RUMPUSER_LWP_SET, LWP_MAIN);
	rumpuser_mutex_init(&g_mtx, RUMPUSER_MTX_KMUTEX);
	rumpuser_mutex_owner(g_mtx, &owner);
	ATF_CHECK(owner == NULL);

	rumpuser_mutex_enter(g_mtx);
	rumpuser_mutex_owner(g_mtx, &owner);
	ATF_CHECK(owner == LWP_MAIN);
	ATF_REQUIRE_EQ(0, pthread_join(spawn(tryenter_other, NULL), &rv));
	ATF_CHECK_EQ(NB_EBUSY, (intptr_t)rv);
	/* Held by the caller itself: still just busy. */
	ATF_CHECK_EQ(NB_EBUSY, rumpuser_mutex_tryenter(g_mtx));
	rumpuser_mutex_exit(g_mtx);
	rumpuser_mutex_owner(g_mtx, &owner);
	ATF_CHECK(owner == NULL);

	ATF_REQUIRE_EQ(0, pthread_join(spawn(tryenter_other, NULL), &rv));
	ATF_CHECK_EQ(0, (intptr_t)rv);
	ATF_CHECK_EQ(0, rumpuser_mutex_tryenter(g_mtx));
	rumpuser_mutex_owner(g_mtx, &owner);
	ATF_CHECK(owner == LWP_MAIN);
	rumpuser_mutex_exit(g_mtx);
	rumpuser_mutex_destroy(g_mtx);

	/* Uncontended entering never touches the scheduler. */
	ATF_CHECK_EQ(0, STUB_GET(stub_unsched_calls));
	ATF_CHECK_EQ(0, STUB_GET(stub_violations));
}

static void *
enter_with_cpu(void *arg)
{

	stub_cpu_take();
	if (arg != NULL)
		rumpuser_mutex_enter_nowrap(g_mtx);
	else
		rumpuser_mutex_enter(g_mtx);
	g_flag = 1;
	rumpuser_mutex_exit(g_mtx);
	stub_cpu_release();
	return NULL;
}

/* One CPU.  A thread blocked in mutex_enter must give its CPU up: the
 * main thread needs it before it releases the mutex. */
ATF_TC_WITHOUT_HEAD(mutex_contended_releases_cpu);
ATF_TC_BODY(mutex_contended_releases_cpu, tc)
{
	int flags[] = { 0, RUMPUSER_MTX_KMUTEX };
	pthread_t pt;
	size_t i;

	ATF_REQUIRE_EQ(0, stub_init(1));
	for (i = 0; i < 2; i++) {
		rumpuser_mutex_init(&g_mtx, flags[i]);
		g_flag = 0;
		stub_reset_counts();
		rumpuser_mutex_enter(g_mtx);
		stub_cpu_release();
		pt = spawn(enter_with_cpu, NULL);
		/* Wait until the thread blocked and released the CPU. */
		while (STUB_GET(stub_unsched_calls) == 0)
			msleep(1);
		stub_cpu_take();
		ATF_CHECK_EQ(0, g_flag);
		rumpuser_mutex_exit(g_mtx);
		stub_cpu_release();
		ATF_REQUIRE_EQ(0, pthread_join(pt, NULL));
		stub_cpu_take();
		ATF_CHECK_EQ(1, g_flag);
		ATF_CHECK_EQ(1, STUB_GET(stub_unsched_calls));
		ATF_CHECK_EQ(1, STUB_GET(stub_sched_calls));
		rumpuser_mutex_destroy(g_mtx);
	}
	ATF_CHECK_EQ(0, STUB_GET(stub_violations));
}

/* SPIN mutexes and enter_nowrap wait while keeping the CPU. */
ATF_TC_WITHOUT_HEAD(mutex_spin_keeps_cpu);
ATF_TC_BODY(mutex_spin_keeps_cpu, tc)
{
	pthread_t pt;
	int pass;

	ATF_REQUIRE_EQ(0, stub_init(1));
	for (pass = 0; pass < 3; pass++) {
		/* pass 0: SPIN; 1: SPIN|KMUTEX; 2: KMUTEX via _nowrap */
		rumpuser_mutex_init(&g_mtx, pass == 0 ? RUMPUSER_MTX_SPIN :
		    pass == 1 ? RUMPUSER_MTX_SPIN | RUMPUSER_MTX_KMUTEX :
		    RUMPUSER_MTX_KMUTEX);
		g_flag = 0;
		stub_reset_counts();
		rumpuser_mutex_enter(g_mtx);
		stub_cpu_release();
		pt = spawn(enter_with_cpu, pass == 2 ? (void *)1 : NULL);
		msleep(100);
		ATF_CHECK_EQ(0, g_flag);
		rumpuser_mutex_exit(g_mtx);
		ATF_REQUIRE_EQ(0, pthread_join(pt, NULL));
		ATF_CHECK_EQ(1, g_flag);
		ATF_CHECK_EQ(0, STUB_GET(stub_unsched_calls));
		ATF_CHECK_EQ(0, STUB_GET(stub_sched_calls));
		stub_cpu_take();
		rumpuser_mutex_destroy(g_mtx);
	}
	ATF_CHECK_EQ(0, STUB_GET(stub_violations));
}

#define STRESS_THREADS	4
#define STRESS_LOOPS	20000
static long g_counter;

static void *
mutex_stress_thread(void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < STRESS_LOOPS; i++) {
		stub_cpu_take();
		rumpuser_mutex_enter(g_mtx);
		g_counter++;
		rumpuser_mutex_exit(g_mtx);
		stub_cpu_release();
	}
	return NULL;
}

/* Two CPUs, four threads: mutual exclusion under real contention. */
ATF_TC_WITHOUT_HEAD(mutex_stress);
ATF_TC_BODY(mutex_stress, tc)
{
	pthread_t pt[STRESS_THREADS];
	int i;

	ATF_REQUIRE_EQ(0, stub_init(2));
	stub_cpu_release();
	rumpuser_mutex_init(&g_mtx, RUMPUSER_MTX_KMUTEX);
	for (i = 0; i < STRESS_THREADS; i++)
		pt[i] = spawn(mutex_stress_thread, NULL);
	for (i = 0; i < STRESS_THREADS; i++)
		ATF_REQUIRE_EQ(0, pthread_join(pt[i], NULL));
	ATF_CHECK_EQ((long)STRESS_THREADS * STRESS_LOOPS, g_counter);
	ATF_CHECK_EQ(STUB_GET(stub_unsched_calls), STUB_GET(stub_sched_calls));
	rumpuser_mutex_destroy(g_mtx);
	ATF_CHECK_EQ(0, STUB_GET(stub_violations));
}

/*
 * Reader/writer locks
 */

static struct rumpuser_rw *g_rw;

static void *
rw_probe_other(void *arg)
{
	intptr_t op = (intptr_t)arg, rv;
	int held;

	rumpuser_curlwpop(RUMPUSER_LWP_SET, LWP_OTHER);
	if (op == 2) {
		rumpuser_rw_held(RUMPUSER_RW_WRITER, g_rw, &held);
		return (void *)(intptr_t)held;
	}
	rv = rumpuser_rw_tryenter((int)op, g_rw);
	if (rv == 0)
		rumpuser_rw_exit(g_rw);
	return (void *)rv;
}

static intptr_t
probe(intptr_t op)
{
	void *rv;

	ATF_REQUIRE_EQ(0, pthread_join(spawn(rw_probe_other, (void *)op),
	    &rv));
	return (intptr_t)rv;
}

static int
held(int op)
{
	int h = -1;

	rumpuser_rw_held(op, g_rw, &h);
	return h;
}

ATF_TC_WITHOUT_HEAD(rw_states);
ATF_TC_BODY(rw_states, tc)
{

	ATF_REQUIRE_EQ(0, stub_init(1));
	rumpuser_curlwpop(RUMPUSER_LWP_SET, LWP_MAIN);
	rumpuser_rw_init(&g_rw);
	ATF_CHECK_EQ(0, held(RUMPUSER_RW_READER));
	ATF_CHECK_EQ(0, held(RUMPUSER_RW_WRITER));

	/* Readers share and exclude writers. */
	rumpuser_rw_enter(RUMPUSER_RW_READER, g_rw);
	ATF_CHECK(held(RUMPUSER_RW_READER));
	ATF_CHECK_EQ(0, held(RUMPUSER_RW_WRITER));
	ATF_CHECK_EQ(0, probe(RUMPUSER_RW_READER));
	ATF_CHECK_EQ(NB_EBUSY, probe(RUMPUSER_RW_WRITER));
	/* Sole reader upgrades; a second reader prevents it. */
	ATF_CHECK_EQ(0, rumpuser_rw_tryenter(RUMPUSER_RW_READER, g_rw));
	ATF_CHECK_EQ(NB_EBUSY, rumpuser_rw_tryupgrade(g_rw));
	rumpuser_rw_exit(g_rw);
	ATF_CHECK_EQ(0, rumpuser_rw_tryupgrade(g_rw));
	ATF_CHECK(held(RUMPUSER_RW_WRITER));
	ATF_CHECK_EQ(0, held(RUMPUSER_RW_READER));

	/* A writer excludes everyone; held is per lwp for writers. */
	ATF_CHECK_EQ(NB_EBUSY, probe(RUMPUSER_RW_READER));
	ATF_CHECK_EQ(NB_EBUSY, probe(RUMPUSER_RW_WRITER));
	ATF_CHECK_EQ(0, probe(2));
	ATF_CHECK_EQ(NB_EBUSY, rumpuser_rw_tryenter(RUMPUSER_RW_WRITER, g_rw));

	/* Downgrade keeps the lock: readers get in, writers do not. */
	rumpuser_rw_downgrade(g_rw);
	ATF_CHECK(held(RUMPUSER_RW_READER));
	ATF_CHECK_EQ(0, held(RUMPUSER_RW_WRITER));
	ATF_CHECK_EQ(0, probe(RUMPUSER_RW_READER));
	ATF_CHECK_EQ(NB_EBUSY, probe(RUMPUSER_RW_WRITER));
	rumpuser_rw_exit(g_rw);

	ATF_CHECK_EQ(0, held(RUMPUSER_RW_READER));
	ATF_CHECK_EQ(0, probe(RUMPUSER_RW_WRITER));
	rumpuser_rw_enter(RUMPUSER_RW_WRITER, g_rw);
	ATF_CHECK(held(RUMPUSER_RW_WRITER));
	rumpuser_rw_exit(g_rw);
	ATF_CHECK_EQ(0, held(RUMPUSER_RW_WRITER));
	rumpuser_rw_destroy(g_rw);
	ATF_CHECK_EQ(0, STUB_GET(stub_unsched_calls));
	ATF_CHECK_EQ(0, STUB_GET(stub_violations));
}

static void *
rw_enter_with_cpu(void *arg)
{

	stub_cpu_take();
	rumpuser_rw_enter((int)(intptr_t)arg, g_rw);
	g_flag = 1;
	rumpuser_rw_exit(g_rw);
	stub_cpu_release();
	return NULL;
}

/* One CPU: a thread waiting for an rwlock gives its CPU up. */
ATF_TC_WITHOUT_HEAD(rw_contended_releases_cpu);
ATF_TC_BODY(rw_contended_releases_cpu, tc)
{
	int pass;
	pthread_t pt;

	ATF_REQUIRE_EQ(0, stub_init(1));
	rumpuser_rw_init(&g_rw);
	for (pass = 0; pass < 3; pass++) {
		/* 0: writer blocks reader, 1: writer blocks writer,
		 * 2: reader blocks writer */
		g_flag = 0;
		stub_reset_counts();
		rumpuser_rw_enter(pass == 2 ? RUMPUSER_RW_READER :
		    RUMPUSER_RW_WRITER, g_rw);
		stub_cpu_release();
		pt = spawn(rw_enter_with_cpu, (void *)(intptr_t)(pass == 0 ?
		    RUMPUSER_RW_READER : RUMPUSER_RW_WRITER));
		while (STUB_GET(stub_unsched_calls) == 0)
			msleep(1);
		stub_cpu_take();
		ATF_CHECK_EQ(0, g_flag);
		rumpuser_rw_exit(g_rw);
		stub_cpu_release();
		ATF_REQUIRE_EQ(0, pthread_join(pt, NULL));
		stub_cpu_take();
		ATF_CHECK_EQ(1, g_flag);
		ATF_CHECK_EQ(1, STUB_GET(stub_unsched_calls));
		ATF_CHECK_EQ(1, STUB_GET(stub_sched_calls));
	}
	rumpuser_rw_destroy(g_rw);
	ATF_CHECK_EQ(0, STUB_GET(stub_violations));
}

static long g_rwdata[2];	/* writers keep both equal */
static volatile int g_rwbad;

static void *
rw_stress_thread(void *arg)
{
	intptr_t id = (intptr_t)arg;
	int i;

	for (i = 0; i < STRESS_LOOPS / 4; i++) {
		stub_cpu_take();
		if ((i + id) % 4 == 0) {
			rumpuser_rw_enter(RUMPUSER_RW_WRITER, g_rw);
			g_rwdata[0]++;
			g_rwdata[1]++;
			rumpuser_rw_exit(g_rw);
		} else {
			rumpuser_rw_enter(RUMPUSER_RW_READER, g_rw);
			if (g_rwdata[0] != g_rwdata[1])
				g_rwbad = 1;
			rumpuser_rw_exit(g_rw);
		}
		stub_cpu_release();
	}
	return NULL;
}

ATF_TC_WITHOUT_HEAD(rw_stress);
ATF_TC_BODY(rw_stress, tc)
{
	pthread_t pt[STRESS_THREADS];
	intptr_t i;

	ATF_REQUIRE_EQ(0, stub_init(2));
	stub_cpu_release();
	rumpuser_rw_init(&g_rw);
	for (i = 0; i < STRESS_THREADS; i++)
		pt[i] = spawn(rw_stress_thread, (void *)i);
	for (i = 0; i < STRESS_THREADS; i++)
		ATF_REQUIRE_EQ(0, pthread_join(pt[i], NULL));
	ATF_CHECK_EQ(0, g_rwbad);
	ATF_CHECK_EQ((long)STRESS_THREADS * (STRESS_LOOPS / 4) / 4,
	    g_rwdata[0]);
	rumpuser_rw_destroy(g_rw);
	ATF_CHECK_EQ(0, STUB_GET(stub_violations));
}

/*
 * Condition variables
 */

static struct rumpuser_cv *g_cv;
static struct lwp *volatile g_owner_after_wait;

static void *
cv_waiter(void *arg)
{

	(void)arg;
	rumpuser_curlwpop(RUMPUSER_LWP_SET, LWP_OTHER);
	stub_cpu_take();
	rumpuser_mutex_enter(g_mtx);
	while (!g_flag)
		rumpuser_cv_wait(g_cv, g_mtx);
	rumpuser_mutex_owner(g_mtx, (struct lwp **)&g_owner_after_wait);
	g_flag = 2;
	rumpuser_mutex_exit(g_mtx);
	stub_cpu_release();
	return NULL;
}

static int
has_waiters(void)
{
	int w = -1;

	rumpuser_cv_has_waiters(g_cv, &w);
	return w;
}

/*
 * One CPU, every mutex flavour: the waiter must release the CPU (naming
 * the mutex as interlock), and come back owning the mutex and a CPU.
 */
ATF_TC_WITHOUT_HEAD(cv_wait_wakeup);
ATF_TC_BODY(cv_wait_wakeup, tc)
{
	int flags[] = { 0, RUMPUSER_MTX_KMUTEX, RUMPUSER_MTX_SPIN,
	    RUMPUSER_MTX_SPIN | RUMPUSER_MTX_KMUTEX };
	pthread_t pt;
	size_t i;

	ATF_REQUIRE_EQ(0, stub_init(1));
	rumpuser_curlwpop(RUMPUSER_LWP_SET, LWP_MAIN);
	rumpuser_cv_init(&g_cv);
	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		rumpuser_mutex_init(&g_mtx, flags[i]);
		stub_interlock = g_mtx;
		stub_reset_counts();
		g_flag = 0;
		g_owner_after_wait = NULL;
		ATF_CHECK_EQ(0, has_waiters());
		stub_cpu_release();
		pt = spawn(cv_waiter, NULL);
		while (!has_waiters())
			msleep(1);
		stub_cpu_take();
		rumpuser_mutex_enter(g_mtx);
		ATF_CHECK_EQ(0, g_flag);
		g_flag = 1;
		rumpuser_cv_signal(g_cv);
		rumpuser_mutex_exit(g_mtx);
		stub_cpu_release();
		ATF_REQUIRE_EQ(0, pthread_join(pt, NULL));
		stub_cpu_take();
		ATF_CHECK_EQ(2, g_flag);
		ATF_CHECK_EQ(0, has_waiters());
		ATF_CHECK(STUB_GET(stub_interlock_hits) >= 1);
		ATF_CHECK_EQ(STUB_GET(stub_unsched_calls),
		    STUB_GET(stub_sched_calls));
		if (flags[i] & RUMPUSER_MTX_KMUTEX)
			ATF_CHECK(g_owner_after_wait == LWP_OTHER);
		rumpuser_mutex_destroy(g_mtx);
	}
	rumpuser_cv_destroy(g_cv);
	ATF_CHECK_EQ(0, STUB_GET(stub_violations));
}

/*
 * A SPIN|KMUTEX waiter that wakes must take the CPU before the mutex: the
 * thread holding the CPU may enter that mutex without releasing the CPU,
 * and would otherwise wait forever for a waiter that waits for its CPU.
 */
ATF_TC_WITHOUT_HEAD(cv_spin_kmutex_order);
ATF_TC_BODY(cv_spin_kmutex_order, tc)
{
	pthread_t pt;
	double t0;
	int got = 0;

	ATF_REQUIRE_EQ(0, stub_init(1));
	rumpuser_mutex_init(&g_mtx, RUMPUSER_MTX_SPIN | RUMPUSER_MTX_KMUTEX);
	rumpuser_cv_init(&g_cv);
	g_flag = 0;
	stub_cpu_release();
	pt = spawn(cv_waiter, NULL);
	while (!has_waiters())
		msleep(1);
	stub_cpu_take();
	rumpuser_mutex_enter(g_mtx);
	g_flag = 1;
	rumpuser_cv_signal(g_cv);
	rumpuser_mutex_exit(g_mtx);
	msleep(50);		/* let the waiter wake up and block */
	/* Still holding the CPU, as a spinning kernel thread would. */
	for (t0 = now(); now() - t0 < 2; msleep(1))
		if ((got = rumpuser_mutex_tryenter(g_mtx) == 0) != 0)
			break;
	ATF_CHECK_MSG(got, "waiter holds the mutex while waiting for the CPU");
	if (got) {
		ATF_CHECK_EQ(1, g_flag);
		rumpuser_mutex_exit(g_mtx);
	}
	stub_cpu_release();
	ATF_REQUIRE_EQ(0, pthread_join(pt, NULL));
	ATF_CHECK_EQ(2, g_flag);
	ATF_CHECK_EQ(0, STUB_GET(stub_violations));
}

static volatile int g_woken;

static void *
cv_bcast_waiter(void *arg)
{

	(void)arg;
	stub_cpu_take();
	rumpuser_mutex_enter(g_mtx);
	while (!g_flag)
		rumpuser_cv_wait(g_cv, g_mtx);
	g_woken++;
	rumpuser_mutex_exit(g_mtx);
	stub_cpu_release();
	return NULL;
}

ATF_TC_WITHOUT_HEAD(cv_broadcast);
ATF_TC_BODY(cv_broadcast, tc)
{
	pthread_t pt[STRESS_THREADS];
	unsigned int waiting;
	int i;

	ATF_REQUIRE_EQ(0, stub_init(2));
	rumpuser_mutex_init(&g_mtx, RUMPUSER_MTX_KMUTEX);
	rumpuser_cv_init(&g_cv);
	stub_cpu_release();
	for (i = 0; i < STRESS_THREADS; i++)
		pt[i] = spawn(cv_bcast_waiter, NULL);
	/* Every waiter has released its CPU once it sleeps. */
	do {
		msleep(1);
		waiting = STUB_GET(stub_unsched_calls);
	} while (waiting < STRESS_THREADS);
	stub_cpu_take();
	rumpuser_mutex_enter(g_mtx);
	g_flag = 1;
	rumpuser_cv_broadcast(g_cv);
	rumpuser_mutex_exit(g_mtx);
	stub_cpu_release();
	for (i = 0; i < STRESS_THREADS; i++)
		ATF_REQUIRE_EQ(0, pthread_join(pt[i], NULL));
	ATF_CHECK_EQ(STRESS_THREADS, g_woken);
	ATF_CHECK_EQ(0, has_waiters());
	ATF_CHECK_EQ(0, STUB_GET(stub_violations));
}

ATF_TC_WITHOUT_HEAD(cv_timedwait_timeout);
ATF_TC_BODY(cv_timedwait_timeout, tc)
{
	struct lwp *owner;
	double t0, t1;

	ATF_REQUIRE_EQ(0, stub_init(1));
	rumpuser_curlwpop(RUMPUSER_LWP_SET, LWP_MAIN);
	rumpuser_mutex_init(&g_mtx, RUMPUSER_MTX_KMUTEX);
	rumpuser_cv_init(&g_cv);
	stub_interlock = g_mtx;
	rumpuser_mutex_enter(g_mtx);
	t0 = now();
	ATF_CHECK_EQ(NB_ETIMEDOUT, rumpuser_cv_timedwait(g_cv, g_mtx, 0,
	    200 * 1000 * 1000));
	t1 = now();
	ATF_CHECK_MSG(t1 - t0 >= 0.2, "woke after %f s", t1 - t0);
	ATF_CHECK_MSG(t1 - t0 < 5, "woke after %f s", t1 - t0);
	rumpuser_mutex_owner(g_mtx, &owner);
	ATF_CHECK(owner == LWP_MAIN);
	ATF_CHECK_EQ(0, has_waiters());
	ATF_CHECK_EQ(1, STUB_GET(stub_interlock_hits));
	ATF_CHECK_EQ(STUB_GET(stub_unsched_calls), STUB_GET(stub_sched_calls));

	/* Already expired (zero and negative): at once, still ETIMEDOUT. */
	ATF_CHECK_EQ(NB_ETIMEDOUT, rumpuser_cv_timedwait(g_cv, g_mtx, 0, 0));
	ATF_CHECK_EQ(NB_ETIMEDOUT, rumpuser_cv_timedwait(g_cv, g_mtx, -1, 0));
	/* Denormalised nanoseconds are carried into seconds. */
	t0 = now();
	ATF_CHECK_EQ(NB_ETIMEDOUT, rumpuser_cv_timedwait(g_cv, g_mtx, 0,
	    1100 * 1000 * 1000));
	ATF_CHECK(now() - t0 >= 1.1);
	rumpuser_mutex_exit(g_mtx);
	ATF_CHECK_EQ(0, STUB_GET(stub_violations));
}

static void *
delayed_signal(void *arg)
{

	(void)arg;
	msleep(50);
	stub_cpu_take();
	rumpuser_mutex_enter(g_mtx);
	g_flag = 1;
	rumpuser_cv_signal(g_cv);
	rumpuser_mutex_exit(g_mtx);
	stub_cpu_release();
	return NULL;
}

ATF_TC_WITHOUT_HEAD(cv_timedwait_signalled);
ATF_TC_BODY(cv_timedwait_signalled, tc)
{
	pthread_t pt;
	double t0;
	int rv = 0;

	ATF_REQUIRE_EQ(0, stub_init(1));
	rumpuser_mutex_init(&g_mtx, RUMPUSER_MTX_KMUTEX);
	rumpuser_cv_init(&g_cv);
	pt = spawn(delayed_signal, NULL);
	t0 = now();
	rumpuser_mutex_enter(g_mtx);
	while (!g_flag && rv == 0)
		rv = rumpuser_cv_timedwait(g_cv, g_mtx, 10, 0);
	rumpuser_mutex_exit(g_mtx);
	ATF_CHECK_EQ(0, rv);
	ATF_CHECK_EQ(1, g_flag);
	ATF_CHECK(now() - t0 < 5);
	stub_cpu_release();
	ATF_REQUIRE_EQ(0, pthread_join(pt, NULL));
	ATF_CHECK_EQ(0, STUB_GET(stub_violations));
}

/*
 * Timeouts at the ends of the range ("forever" computed by arithmetic):
 * sec + nsec must saturate, not overflow into the opposite sign.  A huge
 * wait still waits and is woken by the signal 50 ms later; a hugely
 * negative one times out at once, before that signal.
 */
static int
timedwait_once(int64_t sec, int64_t nsec, double *elapsed)
{
	pthread_t pt;
	double t0;
	int rv = 0;

	g_flag = 0;
	pt = spawn(delayed_signal, NULL);
	t0 = now();
	rumpuser_mutex_enter(g_mtx);
	while (!g_flag && rv == 0)
		rv = rumpuser_cv_timedwait(g_cv, g_mtx, sec, nsec);
	rumpuser_mutex_exit(g_mtx);
	*elapsed = now() - t0;
	/* The signaller needs the CPU to finish. */
	stub_cpu_release();
	ATF_REQUIRE_EQ(0, pthread_join(pt, NULL));
	stub_cpu_take();
	return rv;
}

ATF_TC_WITHOUT_HEAD(cv_timedwait_huge);
ATF_TC_BODY(cv_timedwait_huge, tc)
{
	static const struct {
		int64_t sec, nsec;
	} forever[] = {
		{ INT64_MAX, INT64_MAX },
		{ INT64_MAX, 999999999 },
		{ INT64_MAX - 1, 2000000000 },
		{ 0, INT64_MAX },
		{ INT32_MAX, INT64_MAX },
	}, past[] = {
		{ INT64_MIN, INT64_MIN },
		{ INT64_MIN, -1 },
		{ INT64_MIN + 1, -2000000000 },
		{ 0, INT64_MIN },
		{ -1, 0 },
	};
	double dt;
	size_t i;
	int rv;

	ATF_REQUIRE_EQ(0, stub_init(1));
	rumpuser_mutex_init(&g_mtx, RUMPUSER_MTX_KMUTEX);
	rumpuser_cv_init(&g_cv);
	for (i = 0; i < sizeof(forever) / sizeof(forever[0]); i++) {
		rv = timedwait_once(forever[i].sec, forever[i].nsec, &dt);
		ATF_CHECK_EQ_MSG(0, rv, "(%jd, %jd): %d after %f s",
		    (intmax_t)forever[i].sec, (intmax_t)forever[i].nsec, rv,
		    dt);
		ATF_CHECK_MSG(dt >= 0.04 && dt < 5, "(%jd, %jd): woke after "
		    "%f s", (intmax_t)forever[i].sec,
		    (intmax_t)forever[i].nsec, dt);
	}
	for (i = 0; i < sizeof(past) / sizeof(past[0]); i++) {
		rv = timedwait_once(past[i].sec, past[i].nsec, &dt);
		ATF_CHECK_EQ_MSG(NB_ETIMEDOUT, rv, "(%jd, %jd): %d after %f s",
		    (intmax_t)past[i].sec, (intmax_t)past[i].nsec, rv, dt);
		ATF_CHECK_MSG(dt < 0.04, "(%jd, %jd): woke after %f s",
		    (intmax_t)past[i].sec, (intmax_t)past[i].nsec, dt);
	}
	ATF_CHECK_EQ(0, has_waiters());
	ATF_CHECK_EQ(STUB_GET(stub_unsched_calls), STUB_GET(stub_sched_calls));
	ATF_CHECK_EQ(0, STUB_GET(stub_violations));
}

static void *
signal_without_cpu(void *arg)
{

	(void)arg;
	while (!has_waiters())
		msleep(1);
	rumpuser_mutex_enter_nowrap(g_mtx);
	g_flag = 1;
	rumpuser_cv_signal(g_cv);
	rumpuser_mutex_exit(g_mtx);
	return NULL;
}

/* _nowrap waits keep the CPU. */
ATF_TC_WITHOUT_HEAD(cv_wait_nowrap);
ATF_TC_BODY(cv_wait_nowrap, tc)
{
	pthread_t pt;

	ATF_REQUIRE_EQ(0, stub_init(1));
	rumpuser_mutex_init(&g_mtx, RUMPUSER_MTX_SPIN);
	rumpuser_cv_init(&g_cv);
	pt = spawn(signal_without_cpu, NULL);
	rumpuser_mutex_enter_nowrap(g_mtx);
	while (!g_flag)
		rumpuser_cv_wait_nowrap(g_cv, g_mtx);
	rumpuser_mutex_exit(g_mtx);
	ATF_REQUIRE_EQ(0, pthread_join(pt, NULL));
	ATF_CHECK_EQ(0, STUB_GET(stub_unsched_calls));
	ATF_CHECK_EQ(0, STUB_GET(stub_sched_calls));
	ATF_CHECK_EQ(0, has_waiters());
	ATF_CHECK_EQ(0, STUB_GET(stub_violations));
}

/*
 * cv_wait polls for a signal before it sleeps (RUMP_CV_SPIN_US, default
 * 50 us, with two host CPUs or more): a condition set and signalled at
 * any moment, during the poll, just after it gave up or long after, must
 * still end the wait.  Signals come 0 to 160 us after the waiter
 * announced itself, across the poll's end; every round must finish.
 */
static int g_rounds_done;	/* atomic */
#define ROUNDS_DONE()	__atomic_load_n(&g_rounds_done, __ATOMIC_ACQUIRE)

static void *
cv_rounds_waiter(void *arg)
{
	int n = (int)(intptr_t)arg, i;

	rumpuser_curlwpop(RUMPUSER_LWP_SET, LWP_OTHER);
	stub_cpu_take();
	for (i = 1; i <= n; i++) {
		rumpuser_mutex_enter(g_mtx);
		while (g_flag < i)
			rumpuser_cv_wait(g_cv, g_mtx);
		__atomic_store_n(&g_rounds_done, i, __ATOMIC_RELEASE);
		rumpuser_mutex_exit(g_mtx);
	}
	stub_cpu_release();
	return NULL;
}

ATF_TC_WITHOUT_HEAD(cv_wait_spin_no_lost_wakeup);
ATF_TC_BODY(cv_wait_spin_no_lost_wakeup, tc)
{
	const int rounds = 400;
	struct timespec ts;
	pthread_t pt;
	double t0;
	int i, delay_us;

	ATF_REQUIRE_EQ(0, stub_init(2));
	rumpuser_curlwpop(RUMPUSER_LWP_SET, LWP_MAIN);
	rumpuser_mutex_init(&g_mtx, RUMPUSER_MTX_KMUTEX);
	rumpuser_cv_init(&g_cv);
	g_flag = 0;
	__atomic_store_n(&g_rounds_done, 0, __ATOMIC_RELAXED);
	stub_cpu_release();
	pt = spawn(cv_rounds_waiter, (void *)(intptr_t)rounds);
	for (i = 1; i <= rounds; i++) {
		/* The waiter is in round i once round i-1 is done and it
		 * waits (has_waiters), or it may be just before the wait. */
		for (t0 = now(); ROUNDS_DONE() < i - 1 && now() - t0 < 5;)
			sched_yield();
		ATF_REQUIRE_MSG(ROUNDS_DONE() == i - 1,
		    "round %d: lost wakeup (waiter still in round %d)",
		    i - 1, ROUNDS_DONE() + 1);
		delay_us = (i * 7) % 160;
		ts.tv_sec = 0;
		ts.tv_nsec = delay_us * 1000L;
		if (delay_us != 0)
			nanosleep(&ts, NULL);
		stub_cpu_take();
		rumpuser_mutex_enter(g_mtx);
		g_flag = i;
		rumpuser_mutex_exit(g_mtx);
		/* Outside the mutex, as the kernel's wakeups often are. */
		if (i % 2)
			rumpuser_cv_signal(g_cv);
		else
			rumpuser_cv_broadcast(g_cv);
		stub_cpu_release();
	}
	for (t0 = now(); ROUNDS_DONE() < rounds && now() - t0 < 5;)
		sched_yield();
	ATF_REQUIRE_MSG(ROUNDS_DONE() == rounds, "last round: lost wakeup");
	ATF_REQUIRE_EQ(0, pthread_join(pt, NULL));
	ATF_CHECK_EQ(0, has_waiters());
	ATF_CHECK_EQ(0, STUB_GET(stub_violations));
	rumpuser_cv_destroy(g_cv);
	rumpuser_mutex_destroy(g_mtx);
}

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, mutex_owner);
	ATF_TP_ADD_TC(tp, mutex_contended_releases_cpu);
	ATF_TP_ADD_TC(tp, mutex_spin_keeps_cpu);
	ATF_TP_ADD_TC(tp, mutex_stress);
	ATF_TP_ADD_TC(tp, rw_states);
	ATF_TP_ADD_TC(tp, rw_contended_releases_cpu);
	ATF_TP_ADD_TC(tp, rw_stress);
	ATF_TP_ADD_TC(tp, cv_wait_wakeup);
	ATF_TP_ADD_TC(tp, cv_spin_kmutex_order);
	ATF_TP_ADD_TC(tp, cv_broadcast);
	ATF_TP_ADD_TC(tp, cv_timedwait_timeout);
	ATF_TP_ADD_TC(tp, cv_timedwait_signalled);
	ATF_TP_ADD_TC(tp, cv_timedwait_huge);
	ATF_TP_ADD_TC(tp, cv_wait_nowrap);
	ATF_TP_ADD_TC(tp, cv_wait_spin_no_lost_wakeup);
	return atf_no_error();
}
