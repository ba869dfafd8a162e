/*
 * t_sched_threads.c: rumpuser threads on any platform: thousands of
 * threads alive at once, detached threads, join semantics (waits, works
 * after the thread is gone, releases the CPU, from any thread, in any
 * order), rumpuser_thread_exit, and the current lwp kept per thread
 * across blocking.
 *
 * Portable: nothing but rumpuser calls and the stub kernel of
 * h_hyperup.h (no pthreads, no thread-local storage).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <atf-c.h>

#include <rump/rumpuser.h>

#include "h_hyperup.h"

#define MS	1000000LL	/* nanoseconds */

static struct rumpuser_mtx *g_mtx;
static struct rumpuser_cv *g_cv;

static void
sync_init(void)
{

	rumpuser_mutex_init(&g_mtx, RUMPUSER_MTX_KMUTEX);
	rumpuser_cv_init(&g_cv);
}

/*
 * Thousands of threads, all alive at once: each checks in, waits until
 * every one of them has (so NMANY threads exist together), sleeps, and
 * checks out.  Counts must be exact, every thread must have run exactly
 * once, and the sleeps must overlap.
 */
#if defined(__SANITIZE_THREAD__)
/* ThreadSanitizer's cost per host thread makes 2000 of them take minutes
 * on a loaded machine; 500 still far exceed the virtual CPUs. */
#define NMANY		500
#else
#define NMANY		2000
#endif
#define MANY_SLEEP	(20 * MS)

static int many_in, many_out;
static int many_ran[NMANY];
/* When the last thread checked in, and when the last one checked out:
 * the sleeps are measured between the two, so that how long creating
 * NMANY host threads takes (much longer under ThreadSanitizer) is not. */
static int64_t many_t_allin, many_t_lastout;

static void *
many_fn(void *arg)
{
	int id = (int)(intptr_t)arg;
	struct lwp *l = rumpuser_curlwp();

	STUB_CHECK(l != NULL && l->l_id == id, "thread %d: curlwp %p "
	    "is not its own", id, (void *)l);
	rumpuser_mutex_enter(g_mtx);
	many_in++;
	if (many_in == NMANY) {
		many_t_allin = stub_mono_ns();
		rumpuser_cv_broadcast(g_cv);
	}
	while (many_in < NMANY)
		rumpuser_cv_wait(g_cv, g_mtx);
	rumpuser_mutex_exit(g_mtx);

	STUB_CHECK(stub_sleep_ns(MANY_SLEEP) == 0, "thread %d: sleep", id);

	rumpuser_mutex_enter(g_mtx);
	many_ran[id]++;
	many_out++;
	many_t_lastout = stub_mono_ns();
	rumpuser_mutex_exit(g_mtx);
	return NULL;
}

static void
many_threads(int ncpu)
{
	static void *cookie[NMANY];
	char name[32];
	int64_t t0, t;
	int i;

	ATF_REQUIRE_EQ(0, stub_init(ncpu));
	sync_init();
	t0 = stub_mono_ns();
	for (i = 0; i < NMANY; i++) {
		snprintf(name, sizeof(name), "many%d", i);
		ATF_REQUIRE_EQ_MSG(0, stub_thread_create(many_fn,
		    (void *)(intptr_t)i, i, name, 1, &cookie[i]),
		    "creating thread %d of %d", i, NMANY);
	}
	for (i = 0; i < NMANY; i++)
		ATF_REQUIRE_EQ_MSG(0, rumpuser_thread_join(cookie[i]),
		    "joining thread %d", i);
	t = stub_mono_ns() - t0;
	printf("%d threads (ncpu %d): %.3f s\n", NMANY, ncpu, t / 1e9);

	STUB_REQUIRE_NO_FAILURE();
	ATF_CHECK_EQ(NMANY, many_in);
	ATF_CHECK_EQ(NMANY, many_out);
	ATF_CHECK_EQ(NMANY, (int)STUB_GET(stub_threads_started));
	ATF_CHECK_EQ(NMANY, (int)STUB_GET(stub_threads_done));
	for (i = 0; i < NMANY; i++)
		ATF_CHECK_EQ_MSG(1, many_ran[i], "thread %d ran %d times", i,
		    many_ran[i]);
	/* Serialised sleeps alone would take NMANY * 20 ms = 40 s. */
	t = many_t_lastout - many_t_allin;
	ATF_CHECK_MSG(t < 20000 * MS, "%d threads sleeping 20 ms each took "
	    "%.3f s: sleeps do not overlap", NMANY, t / 1e9);
	ATF_CHECK_EQ(0, STUB_GET(stub_violations));
	ATF_CHECK_MSG(stub_cpus_max <= ncpu, "%d CPUs busy at once, %d exist",
	    stub_cpus_max, ncpu);
}

ATF_TC(many_threads_ncpu1);
ATF_TC_HEAD(many_threads_ncpu1, tc)
{
	atf_tc_set_md_var(tc, "descr", "2000 threads alive at once on one "
	    "virtual CPU: each runs exactly once, all are joined, sleeps "
	    "overlap");
	atf_tc_set_md_var(tc, "timeout", "120");
}
ATF_TC_BODY(many_threads_ncpu1, tc)
{
	many_threads(1);
}

ATF_TC(many_threads_ncpu4);
ATF_TC_HEAD(many_threads_ncpu4, tc)
{
	atf_tc_set_md_var(tc, "descr", "2000 threads alive at once on four "
	    "virtual CPUs");
	atf_tc_set_md_var(tc, "timeout", "120");
}
ATF_TC_BODY(many_threads_ncpu4, tc)
{
	many_threads(4);
}

/*
 * Detached threads: nobody joins them; they report through a cv.
 */
#define NDETACHED	1000
static int det_done;
static int det_ran[NDETACHED];

static void *
detached_fn(void *arg)
{
	int id = (int)(intptr_t)arg;

	if (id % 3 == 0)
		stub_sleep_ns((id % 7) * MS);
	rumpuser_mutex_enter(g_mtx);
	det_ran[id]++;
	if (++det_done == NDETACHED)
		rumpuser_cv_signal(g_cv);
	rumpuser_mutex_exit(g_mtx);
	return NULL;
}

ATF_TC(detached_threads);
ATF_TC_HEAD(detached_threads, tc)
{
	atf_tc_set_md_var(tc, "descr", "1000 detached threads all run "
	    "exactly once and report through a condition variable");
	atf_tc_set_md_var(tc, "timeout", "60");
}
ATF_TC_BODY(detached_threads, tc)
{
	int64_t deadline;
	int i, done;

	ATF_REQUIRE_EQ(0, stub_init(1));
	sync_init();
	for (i = 0; i < NDETACHED; i++)
		ATF_REQUIRE_EQ_MSG(0, stub_thread_create(detached_fn,
		    (void *)(intptr_t)i, i, "detached", 0, NULL),
		    "creating thread %d", i);
	deadline = stub_mono_ns() + 30000 * MS;
	rumpuser_mutex_enter(g_mtx);
	while (det_done < NDETACHED && stub_mono_ns() < deadline)
		rumpuser_cv_timedwait(g_cv, g_mtx, 0, 100 * MS);
	done = det_done;
	rumpuser_mutex_exit(g_mtx);
	ATF_REQUIRE_EQ_MSG(NDETACHED, done, "%d of %d detached threads "
	    "finished within 30 s", done, NDETACHED);
	for (i = 0; i < NDETACHED; i++)
		ATF_CHECK_EQ_MSG(1, det_ran[i], "thread %d ran %d times", i,
		    det_ran[i]);
	/* The trampoline's last steps run after the report: wait for them
	 * (bounded) so that the count is final. */
	for (i = 0; i < 3000 && STUB_GET(stub_threads_done) < NDETACHED; i++)
		stub_sleep_ns(1 * MS);
	ATF_CHECK_EQ(NDETACHED, (int)STUB_GET(stub_threads_done));
	ATF_CHECK_EQ(0, STUB_GET(stub_violations));
	STUB_REQUIRE_NO_FAILURE();
}

/*
 * Join semantics.
 */
static volatile int join_flag;

static void *
sleep_then_flag(void *arg)
{

	stub_sleep_ns((int64_t)(intptr_t)arg);
	__atomic_store_n(&join_flag, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

ATF_TC(join_waits);
ATF_TC_HEAD(join_waits, tc)
{
	atf_tc_set_md_var(tc, "descr", "join returns only after the thread "
	    "has finished, and releases the only virtual CPU meanwhile (the "
	    "thread needs it to finish)");
	atf_tc_set_md_var(tc, "timeout", "30");
}
ATF_TC_BODY(join_waits, tc)
{
	void *cookie;
	int64_t t0, t;
	int unsched;

	ATF_REQUIRE_EQ(0, stub_init(1));
	unsched = stub_main_lwp.l_unsched;
	t0 = stub_mono_ns();
	ATF_REQUIRE_EQ(0, stub_thread_create(sleep_then_flag,
	    (void *)(intptr_t)(100 * MS), 0, "sleeper", 1, &cookie));
	ATF_REQUIRE_EQ(0, rumpuser_thread_join(cookie));
	t = stub_mono_ns() - t0;
	ATF_CHECK_EQ_MSG(1, join_flag, "join returned before the thread's "
	    "work was done");
	ATF_CHECK_MSG(t >= 100 * MS, "join returned after %.3f ms, the "
	    "thread slept 100 ms", t / 1e6);
	ATF_CHECK_MSG(stub_main_lwp.l_unsched > unsched,
	    "join did not release the CPU");
	ATF_CHECK(stub_main_lwp.l_have_cpu);
	ATF_CHECK_EQ(0, STUB_GET(stub_violations));
}

static void *
flag_now(void *arg)
{

	(void)arg;
	rumpuser_mutex_enter(g_mtx);
	join_flag = 1;
	rumpuser_cv_broadcast(g_cv);
	rumpuser_mutex_exit(g_mtx);
	return NULL;
}

ATF_TC(join_after_exit);
ATF_TC_HEAD(join_after_exit, tc)
{
	atf_tc_set_md_var(tc, "descr", "joining a thread that finished long "
	    "ago returns 0 at once");
	atf_tc_set_md_var(tc, "timeout", "30");
}
ATF_TC_BODY(join_after_exit, tc)
{
	void *cookie;
	int64_t t0, t;

	ATF_REQUIRE_EQ(0, stub_init(1));
	sync_init();
	ATF_REQUIRE_EQ(0, stub_thread_create(flag_now, NULL, 0, "quick", 1,
	    &cookie));
	rumpuser_mutex_enter(g_mtx);
	while (!join_flag)
		rumpuser_cv_wait(g_cv, g_mtx);
	rumpuser_mutex_exit(g_mtx);
	/* Let it get all the way out. */
	stub_sleep_ns(50 * MS);
	ATF_CHECK_EQ(1, (int)STUB_GET(stub_threads_done));
	t0 = stub_mono_ns();
	ATF_REQUIRE_EQ(0, rumpuser_thread_join(cookie));
	t = stub_mono_ns() - t0;
	ATF_CHECK_MSG(t < 1000 * MS, "join of a finished thread took %.3f s",
	    t / 1e9);
	ATF_CHECK_EQ(0, STUB_GET(stub_violations));
}

/*
 * rumpuser_thread_exit() from deep inside a thread ends it: nothing after
 * the call runs, and the thread is joinable.  Such a thread leaves the
 * stub's bookkeeping itself (the trampoline never gets control back).
 */
static volatile int exit_after;

static void
exit_deep(int depth)
{
	struct lwp *l;

	if (depth < 0)		/* never: a path that returns, for gcc */
		return;
	if (depth > 0) {
		exit_deep(depth - 1);
		exit_after = 1;
		return;
	}
	l = rumpuser_curlwp();
	stub_cpu_release();
	rumpuser_curlwpop(RUMPUSER_LWP_CLEAR, l);
	rumpuser_curlwpop(RUMPUSER_LWP_DESTROY, l);
	free(l);
	STUB_INC(stub_threads_done);
	rumpuser_thread_exit();
}

static void *
exit_fn(void *arg)
{

	(void)arg;
	exit_deep(10);
	exit_after = 1;
	return NULL;
}

ATF_TC(thread_exit);
ATF_TC_HEAD(thread_exit, tc)
{
	atf_tc_set_md_var(tc, "descr", "rumpuser_thread_exit() ten calls "
	    "deep ends the thread at once; joinable and detached");
	atf_tc_set_md_var(tc, "timeout", "30");
}
ATF_TC_BODY(thread_exit, tc)
{
	void *cookie;
	int i;

	ATF_REQUIRE_EQ(0, stub_init(1));
	ATF_REQUIRE_EQ(0, stub_thread_create(exit_fn, NULL, 0, "exiter", 1,
	    &cookie));
	ATF_REQUIRE_EQ(0, rumpuser_thread_join(cookie));
	ATF_CHECK_EQ(1, (int)STUB_GET(stub_threads_done));
	ATF_CHECK_EQ_MSG(0, exit_after, "code after rumpuser_thread_exit ran");

	ATF_REQUIRE_EQ(0, stub_thread_create(exit_fn, NULL, 1, "exiter2", 0,
	    NULL));
	for (i = 0; i < 5000 && STUB_GET(stub_threads_done) < 2; i++)
		stub_sleep_ns(1 * MS);
	ATF_CHECK_EQ(2, (int)STUB_GET(stub_threads_done));
	/* Main can still take the CPU it released: nothing was leaked. */
	stub_sleep_ns(1 * MS);
	ATF_CHECK(stub_main_lwp.l_have_cpu);
	ATF_CHECK_EQ(0, exit_after);
	ATF_CHECK_EQ(0, STUB_GET(stub_violations));
}

/*
 * Threads joined in the reverse order of their ending; and a chain of
 * threads each creating and joining the next (join from threads other
 * than main, many joins outstanding at once).
 */
#define NORDER	64
static int order_end[NORDER], order_seq;

static void *
order_fn(void *arg)
{
	int id = (int)(intptr_t)arg;

	stub_sleep_ns((int64_t)(NORDER - id) * MS);
	rumpuser_mutex_enter(g_mtx);
	order_end[id] = ++order_seq;
	rumpuser_mutex_exit(g_mtx);
	return NULL;
}

#define CHAIN	200
static int chain_depth_seen;

static void *
chain_fn(void *arg)
{
	int depth = (int)(intptr_t)arg;
	void *cookie;
	int error;

	if (depth == CHAIN) {
		chain_depth_seen = depth;
		return NULL;
	}
	error = stub_thread_create(chain_fn, (void *)(intptr_t)(depth + 1),
	    depth + 1, "chain", 1, &cookie);
	if (error != 0) {
		STUB_FAIL("chain %d: create: %d", depth, error);
		return NULL;
	}
	error = rumpuser_thread_join(cookie);
	STUB_CHECK(error == 0, "chain %d: join: %d", depth, error);
	/* The whole chain below has finished. */
	STUB_CHECK(chain_depth_seen == CHAIN, "chain %d: joined before the "
	    "end of the chain", depth);
	return NULL;
}

ATF_TC(join_order_and_chain);
ATF_TC_HEAD(join_order_and_chain, tc)
{
	atf_tc_set_md_var(tc, "descr", "64 threads joined in creation order "
	    "while they end in the reverse; a chain of 200 threads each "
	    "creating and joining the next");
	atf_tc_set_md_var(tc, "timeout", "60");
}
ATF_TC_BODY(join_order_and_chain, tc)
{
	static void *cookie[NORDER];
	void *c;
	int i;

	ATF_REQUIRE_EQ(0, stub_init(2));
	sync_init();
	for (i = 0; i < NORDER; i++)
		ATF_REQUIRE_EQ(0, stub_thread_create(order_fn,
		    (void *)(intptr_t)i, i, "order", 1, &cookie[i]));
	for (i = 0; i < NORDER; i++) {
		ATF_REQUIRE_EQ(0, rumpuser_thread_join(cookie[i]));
		ATF_CHECK_MSG(order_end[i] != 0, "thread %d joined but not "
		    "finished", i);
	}
	ATF_CHECK_EQ(NORDER, order_seq);

	ATF_REQUIRE_EQ(0, stub_thread_create(chain_fn, (void *)(intptr_t)1, 1,
	    "chain", 1, &c));
	ATF_REQUIRE_EQ(0, rumpuser_thread_join(c));
	STUB_REQUIRE_NO_FAILURE();
	ATF_CHECK_EQ(CHAIN, chain_depth_seen);
	ATF_CHECK_EQ(NORDER + CHAIN, (int)STUB_GET(stub_threads_done));
	ATF_CHECK_EQ(0, STUB_GET(stub_violations));
}

/*
 * The current lwp is per thread: every thread sees its own after each
 * blocking call, however the platform switches between them.
 */
#define NLWPTHR		32
#define LWP_ROUNDS	200

static void *
curlwp_fn(void *arg)
{
	int id = (int)(intptr_t)arg;
	struct lwp *me = rumpuser_curlwp();

	STUB_CHECK(me != NULL && me->l_id == id, "thread %d starts as lwp "
	    "%d", id, me ? me->l_id : -99);
	for (int r = 0; r < LWP_ROUNDS; r++) {
		switch ((r + id) % 4) {
		case 0:
			stub_sleep_ns(0);
			break;
		case 1:
			stub_sleep_ns(100000);
			break;
		case 2:
			rumpuser_mutex_enter(g_mtx);
			rumpuser_cv_timedwait(g_cv, g_mtx, 0, 50000);
			rumpuser_mutex_exit(g_mtx);
			break;
		case 3:
			rumpuser_mutex_enter(g_mtx);
			rumpuser_cv_broadcast(g_cv);
			rumpuser_mutex_exit(g_mtx);
			break;
		}
		if (rumpuser_curlwp() != me) {
			STUB_FAIL("thread %d round %d: curlwp is %p (lwp %d), "
			    "not its own %p", id, r, (void *)rumpuser_curlwp(),
			    rumpuser_curlwp() ? rumpuser_curlwp()->l_id : -99,
			    (void *)me);
			break;
		}
	}
	return NULL;
}

ATF_TC(curlwp_per_thread);
ATF_TC_HEAD(curlwp_per_thread, tc)
{
	atf_tc_set_md_var(tc, "descr", "32 threads, each bound to its own "
	    "lwp, block and wake 200 times each: rumpuser_curlwp() always "
	    "returns the caller's own; a new thread starts unbound");
	atf_tc_set_md_var(tc, "timeout", "60");
}
ATF_TC_BODY(curlwp_per_thread, tc)
{
	static void *cookie[NLWPTHR];
	int i;

	ATF_REQUIRE_EQ(0, stub_init(2));
	sync_init();
	for (i = 0; i < NLWPTHR; i++)
		ATF_REQUIRE_EQ(0, stub_thread_create(curlwp_fn,
		    (void *)(intptr_t)i, i, "lwp", 1, &cookie[i]));
	for (i = 0; i < NLWPTHR; i++) {
		ATF_REQUIRE_EQ(0, rumpuser_thread_join(cookie[i]));
		ATF_CHECK(rumpuser_curlwp() == &stub_main_lwp);
	}
	STUB_REQUIRE_NO_FAILURE();
	/* The trampoline counts a thread that did not start unbound. */
	ATF_CHECK_EQ(0, STUB_GET(stub_violations));
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, many_threads_ncpu1);
	ATF_TP_ADD_TC(tp, many_threads_ncpu4);
	ATF_TP_ADD_TC(tp, detached_threads);
	ATF_TP_ADD_TC(tp, join_waits);
	ATF_TP_ADD_TC(tp, join_after_exit);
	ATF_TP_ADD_TC(tp, thread_exit);
	ATF_TP_ADD_TC(tp, join_order_and_chain);
	ATF_TP_ADD_TC(tp, curlwp_per_thread);
	return atf_no_error();
}
