/*
 * t_fiber_sched.c: what the fiber platform promises beyond rumpuser(3)
 * and beyond what posix can: one host thread whatever the number of rump
 * threads; cv_signal and cv_broadcast wake waiters in the order they
 * started waiting (FIFO); timed waits and sleeps end in the order of
 * their deadlines; a zero-length sleep lets other threads run, and
 * threads that yield that way take strict turns (one FIFO run queue).
 *
 * The portable scheduler tests (platform/common/tests) run here too;
 * these are the ordering guarantees that only a cooperative scheduler
 * gives.  Stub kernel: platform/common/tests/h_hyperup.h.
 */
#include <sys/types.h>
#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <atf-c.h>

#include <rump/rumpuser.h>

#include "../../common/tests/h_hyperup.h"

#define MS	1000000LL	/* nanoseconds */

static struct rumpuser_mtx *g_mtx;
static struct rumpuser_cv *g_cv, *g_arrived_cv, *g_done_cv;

static void
sync_init(void)
{

	rumpuser_mutex_init(&g_mtx, RUMPUSER_MTX_KMUTEX);
	rumpuser_cv_init(&g_cv);
	rumpuser_cv_init(&g_arrived_cv);
	rumpuser_cv_init(&g_done_cv);
}

/*
 * Host threads of this process, not counting the kernel's io_uring
 * workers (iou-wrk-*, iou-sqp-*), which are no threads of ours.
 */
static int
host_threads(char *names, size_t len)
{
	char path[300], comm[64];
	struct dirent *de;
	DIR *d;
	FILE *f;
	int n = 0;

	names[0] = '\0';
	d = opendir("/proc/self/task");
	ATF_REQUIRE(d != NULL);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm",
		    de->d_name);
		comm[0] = '\0';
		if ((f = fopen(path, "r")) != NULL) {
			if (fgets(comm, sizeof(comm), f) == NULL)
				comm[0] = '\0';
			fclose(f);
		}
		comm[strcspn(comm, "\n")] = '\0';
		if (strncmp(comm, "iou-", 4) == 0)
			continue;
		n++;
		snprintf(names + strlen(names), len - strlen(names), " %s(%s)",
		    de->d_name, comm);
	}
	closedir(d);
	return n;
}

#define NHOST	200
static int host_in;

static void *
host_fn(void *arg)
{

	(void)arg;
	rumpuser_mutex_enter(g_mtx);
	host_in++;
	rumpuser_cv_broadcast(g_arrived_cv);
	rumpuser_mutex_exit(g_mtx);
	stub_sleep_ns(200 * MS);
	return NULL;
}

ATF_TC(one_host_thread);
ATF_TC_HEAD(one_host_thread, tc)
{
	atf_tc_set_md_var(tc, "descr", "200 rump threads, all alive and "
	    "sleeping, run on the one host thread the process started with");
	atf_tc_set_md_var(tc, "timeout", "60");
}
ATF_TC_BODY(one_host_thread, tc)
{
	static void *cookie[NHOST];
	char names[1024];
	int n;

	ATF_REQUIRE_EQ(0, stub_init(1));
	sync_init();
	ATF_REQUIRE_EQ_MSG(1, n = host_threads(names, sizeof(names)),
	    "after rumpuser_init: %d host threads:%s", n, names);
	for (int i = 0; i < NHOST; i++)
		ATF_REQUIRE_EQ(0, stub_thread_create(host_fn,
		    (void *)(intptr_t)i, i, "host", 1, &cookie[i]));
	rumpuser_mutex_enter(g_mtx);
	while (host_in < NHOST)
		rumpuser_cv_wait(g_arrived_cv, g_mtx);
	rumpuser_mutex_exit(g_mtx);
	n = host_threads(names, sizeof(names));
	ATF_CHECK_EQ_MSG(1, n, "with %d rump threads sleeping: %d host "
	    "threads:%s", NHOST, n, names);
	for (int i = 0; i < NHOST; i++)
		ATF_REQUIRE_EQ(0, rumpuser_thread_join(cookie[i]));
	n = host_threads(names, sizeof(names));
	ATF_CHECK_EQ_MSG(1, n, "after joining: %d host threads:%s", n,
	    names);
}

/*
 * FIFO wakeups.  NFIFO threads start waiting on g_cv one after the other
 * (thread i is waiting before thread i+1 is created).  Each wakeup hands
 * out a ticket; a woken thread with a ticket records its id.
 */
#define NFIFO	16
static int fifo_waiting, fifo_tickets, fifo_order[NFIFO], fifo_norder;

static void *
fifo_fn(void *arg)
{
	int id = (int)(intptr_t)arg;

	rumpuser_mutex_enter(g_mtx);
	fifo_waiting++;
	rumpuser_cv_signal(g_arrived_cv);
	for (;;) {
		rumpuser_cv_wait(g_cv, g_mtx);
		if (fifo_tickets > 0)
			break;
		/* A wakeup without a ticket: the order is lost. */
		STUB_FAIL("thread %d woke up without a ticket", id);
	}
	fifo_tickets--;
	fifo_order[fifo_norder++] = id;
	rumpuser_cv_signal(g_done_cv);
	rumpuser_mutex_exit(g_mtx);
	return NULL;
}

static void **
fifo_start(void)
{
	void **cookie = calloc(NFIFO, sizeof(*cookie));

	ATF_REQUIRE(cookie != NULL);
	ATF_REQUIRE_EQ(0, stub_init(1));
	sync_init();
	rumpuser_mutex_enter(g_mtx);
	for (int i = 0; i < NFIFO; i++) {
		ATF_REQUIRE_EQ(0, stub_thread_create(fifo_fn,
		    (void *)(intptr_t)i, i, "fifo", 1, &cookie[i]));
		/* Thread i increments and waits without letting go of the
		 * mutex in between: once we see it, it waits. */
		while (fifo_waiting < i + 1)
			rumpuser_cv_wait(g_arrived_cv, g_mtx);
	}
	return cookie;
}

static void
fifo_finish(void **cookie, const char *how)
{
	char got[256] = "";

	rumpuser_mutex_exit(g_mtx);
	for (int i = 0; i < NFIFO; i++)
		ATF_REQUIRE_EQ(0, rumpuser_thread_join(cookie[i]));
	free(cookie);
	STUB_REQUIRE_NO_FAILURE();
	ATF_REQUIRE_EQ(NFIFO, fifo_norder);
	for (int i = 0; i < NFIFO; i++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), " %d",
		    fifo_order[i]);
	for (int i = 0; i < NFIFO; i++)
		ATF_CHECK_EQ_MSG(i, fifo_order[i], "%s: woken in the order"
		    "%s; want 0 1 2 ... %d (the order they began waiting)",
		    how, got, NFIFO - 1);
}

ATF_TC(cv_signal_fifo);
ATF_TC_HEAD(cv_signal_fifo, tc)
{
	atf_tc_set_md_var(tc, "descr", "16 threads wait on a cv in a known "
	    "order; 16 cv_signals, each after the previous waiter has run, "
	    "wake them in that order");
	atf_tc_set_md_var(tc, "timeout", "30");
}
ATF_TC_BODY(cv_signal_fifo, tc)
{
	void **cookie = fifo_start();

	for (int k = 0; k < NFIFO; k++) {
		fifo_tickets++;
		rumpuser_cv_signal(g_cv);
		while (fifo_norder < k + 1)
			rumpuser_cv_wait(g_done_cv, g_mtx);
	}
	fifo_finish(cookie, "one signal at a time");
}

ATF_TC(cv_signal_burst_fifo);
ATF_TC_HEAD(cv_signal_burst_fifo, tc)
{
	atf_tc_set_md_var(tc, "descr", "16 threads wait on a cv in a known "
	    "order; 16 cv_signals in a row wake them in that order");
	atf_tc_set_md_var(tc, "timeout", "30");
}
ATF_TC_BODY(cv_signal_burst_fifo, tc)
{
	void **cookie = fifo_start();

	for (int k = 0; k < NFIFO; k++) {
		fifo_tickets++;
		rumpuser_cv_signal(g_cv);
	}
	fifo_finish(cookie, "16 signals in a row");
}

ATF_TC(cv_broadcast_fifo);
ATF_TC_HEAD(cv_broadcast_fifo, tc)
{
	atf_tc_set_md_var(tc, "descr", "16 threads wait on a cv in a known "
	    "order; one cv_broadcast wakes them, and they run, in that order");
	atf_tc_set_md_var(tc, "timeout", "30");
}
ATF_TC_BODY(cv_broadcast_fifo, tc)
{
	void **cookie = fifo_start();

	fifo_tickets = NFIFO;
	rumpuser_cv_broadcast(g_cv);
	fifo_finish(cookie, "broadcast");
}

/*
 * Deadline order: threads created in one order with timeouts in another
 * wake in the order of their deadlines.
 */
#define NDL	6
static const int dl_ms[NDL] = { 60, 10, 50, 20, 40, 30 };
static const int dl_want[NDL] = { 1, 3, 5, 4, 2, 0 };	/* by deadline */
static int dl_order[NDL], dl_n;
static int dl_use_sleep;

static void *
dl_fn(void *arg)
{
	int id = (int)(intptr_t)arg, rv;

	rumpuser_mutex_enter(g_mtx);
	if (dl_use_sleep) {
		rumpuser_mutex_exit(g_mtx);
		rv = stub_sleep_ns(dl_ms[id] * MS);
		STUB_CHECK(rv == 0, "thread %d: sleep returned %d", id, rv);
		rumpuser_mutex_enter(g_mtx);
	} else {
		rv = rumpuser_cv_timedwait(g_cv, g_mtx, 0, dl_ms[id] * MS);
		STUB_CHECK(rv == NB_ETIMEDOUT, "thread %d: timedwait "
		    "returned %d", id, rv);
	}
	dl_order[dl_n++] = id;
	rumpuser_mutex_exit(g_mtx);
	return NULL;
}

static void
deadline_order(int use_sleep)
{
	void *cookie[NDL];
	char got[128] = "";

	ATF_REQUIRE_EQ(0, stub_init(1));
	sync_init();
	dl_use_sleep = use_sleep;
	for (int i = 0; i < NDL; i++)
		ATF_REQUIRE_EQ(0, stub_thread_create(dl_fn, (void *)(intptr_t)i,
		    i, "deadline", 1, &cookie[i]));
	for (int i = 0; i < NDL; i++)
		ATF_REQUIRE_EQ(0, rumpuser_thread_join(cookie[i]));
	STUB_REQUIRE_NO_FAILURE();
	ATF_REQUIRE_EQ(NDL, dl_n);
	for (int i = 0; i < NDL; i++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), " %d",
		    dl_order[i]);
	for (int i = 0; i < NDL; i++)
		ATF_CHECK_EQ_MSG(dl_want[i], dl_order[i], "woke in the order"
		    "%s; want 1 3 5 4 2 0 (timeouts 60 10 50 20 40 30 ms)", got);
}

ATF_TC(timedwait_deadline_order);
ATF_TC_HEAD(timedwait_deadline_order, tc)
{
	atf_tc_set_md_var(tc, "descr", "timed waits of 60 10 50 20 40 30 ms "
	    "started in that order time out in the order of their deadlines");
	atf_tc_set_md_var(tc, "timeout", "30");
}
ATF_TC_BODY(timedwait_deadline_order, tc)
{
	deadline_order(0);
}

ATF_TC(sleep_deadline_order);
ATF_TC_HEAD(sleep_deadline_order, tc)
{
	atf_tc_set_md_var(tc, "descr", "sleeps of 60 10 50 20 40 30 ms "
	    "started in that order end in the order of their deadlines");
	atf_tc_set_md_var(tc, "timeout", "30");
}
ATF_TC_BODY(sleep_deadline_order, tc)
{
	deadline_order(1);
}

/*
 * A sleep of zero is a yield: a thread polling a flag with zero sleeps
 * must let the thread that sets it run (bounded: it fails, not hangs).
 */
#define POLLS	100000
static volatile int y_flag;
static int y_polls;

static void *
poller_fn(void *arg)
{

	(void)arg;
	for (y_polls = 0; y_polls < POLLS && !y_flag; y_polls++)
		rumpuser_clock_sleep(RUMPUSER_CLOCK_RELWALL, 0, 0);
	return NULL;
}

static void *
setter_fn(void *arg)
{

	(void)arg;
	y_flag = 1;
	return NULL;
}

ATF_TC(sleep_zero_yields);
ATF_TC_HEAD(sleep_zero_yields, tc)
{
	atf_tc_set_md_var(tc, "descr", "a thread polling a flag with "
	    "clock_sleep(RELWALL, 0, 0) lets the thread that sets it run");
	atf_tc_set_md_var(tc, "timeout", "30");
}
ATF_TC_BODY(sleep_zero_yields, tc)
{
	void *c1, *c2;

	ATF_REQUIRE_EQ(0, stub_init(2));
	ATF_REQUIRE_EQ(0, stub_thread_create(poller_fn, NULL, 0, "poller", 1,
	    &c1));
	ATF_REQUIRE_EQ(0, stub_thread_create(setter_fn, NULL, 1, "setter", 1,
	    &c2));
	ATF_REQUIRE_EQ(0, rumpuser_thread_join(c1));
	ATF_REQUIRE_EQ(0, rumpuser_thread_join(c2));
	ATF_CHECK_MSG(y_flag && y_polls < POLLS, "the poller slept 0 ns %d "
	    "times and the setter never ran", y_polls);
	printf("flag seen after %d zero sleeps\n", y_polls);
}

/*
 * Round robin: NRR threads each take RR_TURNS turns of "record my id,
 * sleep 0".  With one FIFO run queue the record is 0 1 2 ... NRR-1
 * repeated: nobody runs twice before everyone ran once.
 */
#define NRR		8
#define RR_TURNS	200
static int rr_seq[NRR * RR_TURNS], rr_n;

static void *
rr_fn(void *arg)
{
	int id = (int)(intptr_t)arg;

	for (int k = 0; k < RR_TURNS; k++) {
		rr_seq[rr_n++] = id;
		rumpuser_clock_sleep(RUMPUSER_CLOCK_RELWALL, 0, 0);
	}
	return NULL;
}

ATF_TC(yield_round_robin);
ATF_TC_HEAD(yield_round_robin, tc)
{
	atf_tc_set_md_var(tc, "descr", "8 threads yielding with zero sleeps "
	    "take strict turns: 0 1 ... 7 0 1 ... 7, 200 times");
	atf_tc_set_md_var(tc, "timeout", "30");
}
ATF_TC_BODY(yield_round_robin, tc)
{
	void *cookie[NRR];

	/* As many virtual CPUs as threads: the stub's CPU model must not
	 * be what orders them. */
	ATF_REQUIRE_EQ(0, stub_init(NRR + 1));
	for (int i = 0; i < NRR; i++)
		ATF_REQUIRE_EQ(0, stub_thread_create(rr_fn, (void *)(intptr_t)i,
		    i, "rr", 1, &cookie[i]));
	for (int i = 0; i < NRR; i++)
		ATF_REQUIRE_EQ(0, rumpuser_thread_join(cookie[i]));
	ATF_REQUIRE_EQ(NRR * RR_TURNS, rr_n);
	for (int k = 0; k < rr_n; k++)
		if (rr_seq[k] != k % NRR) {
			ATF_CHECK_MSG(false, "turn %d went to thread %d, want "
			    "%d (round robin)", k, rr_seq[k], k % NRR);
			break;
		}
}

/*
 * Deterministic mode: with nothing else to do, virtual time jumps to the
 * next deadline, however far.  The clocks must stay what
 * rumpuser_clock_gettime can report: never negative, never going back,
 * and later sleeps must still be able to advance them.
 */
ATF_TC(virtual_clock_far_deadline);
ATF_TC_HEAD(virtual_clock_far_deadline, tc)
{
	atf_tc_set_md_var(tc, "descr", "RUMP_DETERMINISTIC=1: a lone "
	    "cv_timedwait of INT64_MAX s and a clock_sleep of INT64_MAX s "
	    "time out; the monotonic and wall clocks only move forward, "
	    "staying positive");
	atf_tc_set_md_var(tc, "timeout", "60");
}
ATF_TC_BODY(virtual_clock_far_deadline, tc)
{
	int64_t mono[4], wall[4];
	int n = 0;

	/* Read by the platform's first call. */
	ATF_REQUIRE_EQ(0, setenv("RUMP_DETERMINISTIC", "1", 1));
	ATF_REQUIRE_EQ(0, stub_init(1));
	sync_init();
	mono[n] = stub_mono_ns();
	wall[n++] = stub_now_ns(RUMPUSER_CLOCK_RELWALL);

	rumpuser_mutex_enter(g_mtx);
	ATF_CHECK_EQ(NB_ETIMEDOUT, rumpuser_cv_timedwait(g_cv, g_mtx,
	    INT64_MAX, 0));
	rumpuser_mutex_exit(g_mtx);
	mono[n] = stub_mono_ns();
	wall[n++] = stub_now_ns(RUMPUSER_CLOCK_RELWALL);

	ATF_CHECK_EQ(0, stub_sleep_ns(1000 * MS));
	mono[n] = stub_mono_ns();
	wall[n++] = stub_now_ns(RUMPUSER_CLOCK_RELWALL);

	ATF_CHECK_EQ(0, rumpuser_clock_sleep(RUMPUSER_CLOCK_RELWALL,
	    INT64_MAX, 0));
	mono[n] = stub_mono_ns();
	wall[n++] = stub_now_ns(RUMPUSER_CLOCK_RELWALL);

	for (int i = 1; i < n; i++) {
		ATF_CHECK_MSG(mono[i] > 0 && mono[i] >= mono[i - 1],
		    "step %d: monotonic clock went from %lld to %lld ns", i,
		    (long long)mono[i - 1], (long long)mono[i]);
		ATF_CHECK_MSG(wall[i] > 0 && wall[i] >= wall[i - 1],
		    "step %d: wall clock went from %lld to %lld ns", i,
		    (long long)wall[i - 1], (long long)wall[i]);
	}
	/* The first wait took the clock to its end, where it stays. */
	ATF_CHECK_MSG(mono[1] > mono[0] + 100LL * 365 * 86400 * 1000 * MS,
	    "the virtual clock moved only from %lld to %lld ns",
	    (long long)mono[0], (long long)mono[1]);
	ATF_CHECK_EQ(0, STUB_GET(stub_violations));
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, one_host_thread);
	ATF_TP_ADD_TC(tp, cv_signal_fifo);
	ATF_TP_ADD_TC(tp, cv_signal_burst_fifo);
	ATF_TP_ADD_TC(tp, cv_broadcast_fifo);
	ATF_TP_ADD_TC(tp, timedwait_deadline_order);
	ATF_TP_ADD_TC(tp, sleep_deadline_order);
	ATF_TP_ADD_TC(tp, sleep_zero_yields);
	ATF_TP_ADD_TC(tp, yield_round_robin);
	ATF_TP_ADD_TC(tp, virtual_clock_far_deadline);
	return atf_no_error();
}
