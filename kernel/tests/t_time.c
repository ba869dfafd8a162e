/*
 * t_time.c: the time system calls (clock_gettime, clock_getres,
 * gettimeofday, nanosleep, clock_nanosleep) and sched_yield: values agree
 * with the host's clocks, sleeps last at least as long as asked and give
 * up the virtual CPU, errors are Linux's.
 *
 * Durations are checked against the rump kernel's monotonic clock and
 * the host's (clock_gettime only: a host sleep would stop every thread on
 * a cooperative platform).  Upper bounds are generous: a loaded machine
 * may run a sleeper late, never early.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/types.h>
#include <sys/time.h>

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <atf-c.h>

#include <rump/rump.h>
#include <rump/rump_syscalls.h>

#include "h_rumptest.h"

#define NSEC_PER_SEC	1000000000LL
#define MSEC		1000000LL

/* Linux clock ids the kernel does not serve, and those it serves but
 * cannot sleep on. */
#define CLOCK_ID_REALTIME_ALARM	8
#define CLOCK_ID_TAI		11

static int64_t
ts_ns(const struct timespec *ts)
{

	return (int64_t)ts->tv_sec * NSEC_PER_SEC + ts->tv_nsec;
}

static int64_t
rump_now(clockid_t clk)
{
	struct timespec ts;

	RL(rump_sys_clock_gettime(clk, &ts));
	ATF_REQUIRE_MSG(ts.tv_nsec >= 0 && ts.tv_nsec < NSEC_PER_SEC,
	    "clock %d: tv_nsec %ld", (int)clk, ts.tv_nsec);
	return ts_ns(&ts);
}

static int64_t
host_now(clockid_t clk)
{
	struct timespec ts;

	ATF_REQUIRE(clock_gettime(clk, &ts) == 0);
	return ts_ns(&ts);
}

static struct timespec
ns_ts(int64_t ns)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(ns / NSEC_PER_SEC);
	ts.tv_nsec = (long)(ns % NSEC_PER_SEC);
	return ts;
}

/* ------------------------------------------------------------------ */

ATF_TC(clock_ids);
ATF_TC_HEAD(clock_ids, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "clock_gettime/clock_getres serve REALTIME, MONOTONIC and their "
	    "_COARSE, _RAW and BOOTTIME variants (1 ns resolution); other "
	    "clocks EINVAL; a NULL result EFAULT for gettime, allowed for "
	    "getres");
	atf_tc_set_md_var(tc, "timeout", "30");
}
ATF_TC_BODY(clock_ids, tc)
{
	static const clockid_t good[] = { CLOCK_REALTIME, CLOCK_MONOTONIC,
	    CLOCK_MONOTONIC_RAW, CLOCK_REALTIME_COARSE,
	    CLOCK_MONOTONIC_COARSE, CLOCK_BOOTTIME };
	static const clockid_t bad[] = { CLOCK_PROCESS_CPUTIME_ID,
	    CLOCK_THREAD_CPUTIME_ID, CLOCK_ID_REALTIME_ALARM, CLOCK_ID_TAI,
	    -1, 12, 1000 };
	struct timespec ts;
	int64_t mono, real;

	boot();
	mono = rump_now(CLOCK_MONOTONIC);
	real = rump_now(CLOCK_REALTIME);
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		int64_t t = rump_now(good[i]);
		bool wall = good[i] == CLOCK_REALTIME ||
		    good[i] == CLOCK_REALTIME_COARSE;

		/* Each reads the clock it is mapped to: within a second of
		 * that clock's reading just before. */
		ATF_CHECK_MSG(t >= (wall ? real : mono) &&
		    t - (wall ? real : mono) < NSEC_PER_SEC,
		    "clock %d reads %lld, its base %lld", (int)good[i],
		    (long long)t, (long long)(wall ? real : mono));
		memset(&ts, 0xa5, sizeof(ts));
		RL(rump_sys_clock_getres(good[i], &ts));
		ATF_CHECK_MSG(ts.tv_sec == 0 && ts.tv_nsec == 1,
		    "clock %d: resolution %lld.%09ld", (int)good[i],
		    (long long)ts.tv_sec, ts.tv_nsec);
		RL(rump_sys_clock_getres(good[i], NULL));
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ERR(EINVAL, rump_sys_clock_gettime(bad[i], &ts));
		ERR(EINVAL, rump_sys_clock_getres(bad[i], &ts));
		ERR(EINVAL, rump_sys_clock_getres(bad[i], NULL));
	}
	ERR(EFAULT, rump_sys_clock_gettime(CLOCK_MONOTONIC, NULL));
}

/* ------------------------------------------------------------------ */

#define MONO_THREADS	4
#define MONO_CALLS	5000

static int64_t mono_max;	/* atomic: largest reading seen by anyone */

struct mono_worker {
	int		 idx;
	int		 calls;
	int		 backwards;	/* own readings going back */
	int		 behind;	/* readings before one already seen */
	int64_t		 first_bad, first_bad_ref;
};

static void *
mono_thread(void *arg)
{
	struct mono_worker *w = arg;
	struct timespec ts;
	int64_t last = 0, seen, t;

	for (int i = 0; i < MONO_CALLS; i++) {
		/* Read what others have published first: a later reading
		 * of the clock must not be smaller. */
		seen = __atomic_load_n(&mono_max, __ATOMIC_ACQUIRE);
		if (rump_sys_clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
			return NULL;
		t = ts_ns(&ts);
		if (t < last && w->backwards++ == 0) {
			w->first_bad = t;
			w->first_bad_ref = last;
		}
		if (t < seen && w->behind++ == 0) {
			w->first_bad = t;
			w->first_bad_ref = seen;
		}
		last = t;
		while (seen < t && !__atomic_compare_exchange_n(&mono_max,
		    &seen, t, false, __ATOMIC_RELEASE, __ATOMIC_ACQUIRE))
			continue;
		w->calls++;
		/* Interleave with the other threads on a cooperative
		 * platform too. */
		if ((i + w->idx) % 97 == 0)
			rt_sleep_ms(0);
	}
	return NULL;
}

ATF_TC(monotonic_never_decreases);
ATF_TC_HEAD(monotonic_never_decreases, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "CLOCK_MONOTONIC never goes back, within one thread and across "
	    "four threads (a reading is never below one another thread "
	    "published before it was taken)");
	atf_tc_set_md_var(tc, "timeout", "60");
}
ATF_TC_BODY(monotonic_never_decreases, tc)
{
	struct mono_worker w[MONO_THREADS];
	void *cookie[MONO_THREADS];

	setenv("RUMP_NCPU", "4", 1);
	boot();
	memset(w, 0, sizeof(w));
	for (int i = 0; i < MONO_THREADS; i++) {
		w[i].idx = i;
		cookie[i] = rt_thread_start(mono_thread, &w[i], "mono");
	}
	for (int i = 0; i < MONO_THREADS; i++)
		rt_thread_join(cookie[i]);
	for (int i = 0; i < MONO_THREADS; i++) {
		ATF_CHECK_EQ_MSG(MONO_CALLS, w[i].calls,
		    "thread %d made %d calls", i, w[i].calls);
		ATF_CHECK_MSG(w[i].backwards == 0 && w[i].behind == 0,
		    "thread %d: %d readings below its previous one, %d below "
		    "one already published (first %lld < %lld)", i,
		    w[i].backwards, w[i].behind, (long long)w[i].first_bad,
		    (long long)w[i].first_bad_ref);
	}
}

/* ------------------------------------------------------------------ */

ATF_TC(realtime_matches_host);
ATF_TC_HEAD(realtime_matches_host, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "CLOCK_REALTIME (and _COARSE) within 2 s of the host's wall "
	    "clock; gettimeofday lies between two CLOCK_REALTIME readings "
	    "and zeroes the timezone");
	atf_tc_set_md_var(tc, "timeout", "30");
}
ATF_TC_BODY(realtime_matches_host, tc)
{
	struct timeval tv;
	struct {
		int minuteswest, dsttime;
	} tz;
	int64_t host, rump, t1, t2, tvns;

	boot();
	host = host_now(CLOCK_REALTIME);
	rump = rump_now(CLOCK_REALTIME);
	ATF_CHECK_MSG(llabs(rump - host) < 2 * NSEC_PER_SEC,
	    "rump realtime %lld, host %lld", (long long)rump,
	    (long long)host);
	rump = rump_now(CLOCK_REALTIME_COARSE);
	ATF_CHECK_MSG(llabs(rump - host) < 2 * NSEC_PER_SEC,
	    "rump realtime_coarse %lld, host %lld", (long long)rump,
	    (long long)host);
	/* And the monotonic clock is the host's on these platforms. */
	host = host_now(CLOCK_MONOTONIC);
	rump = rump_now(CLOCK_MONOTONIC);
	ATF_CHECK_MSG(llabs(rump - host) < 2 * NSEC_PER_SEC,
	    "rump monotonic %lld, host %lld", (long long)rump,
	    (long long)host);

	for (int i = 0; i < 100; i++) {
		memset(&tv, 0xa5, sizeof(tv));
		memset(&tz, 0xa5, sizeof(tz));
		t1 = rump_now(CLOCK_REALTIME);
		RL(rump_sys_gettimeofday(&tv, &tz));
		t2 = rump_now(CLOCK_REALTIME);
		ATF_REQUIRE_MSG(tv.tv_usec >= 0 && tv.tv_usec < 1000000,
		    "tv_usec %ld", (long)tv.tv_usec);
		tvns = (int64_t)tv.tv_sec * NSEC_PER_SEC +
		    (int64_t)tv.tv_usec * 1000;
		/* Microseconds, truncated: the first reading may be up to
		 * 999 ns past it. */
		ATF_REQUIRE_MSG(t1 / 1000 * 1000 <= tvns && tvns <= t2,
		    "gettimeofday %lld not between %lld and %lld",
		    (long long)tvns, (long long)t1, (long long)t2);
		ATF_REQUIRE_MSG(tz.minuteswest == 0 && tz.dsttime == 0,
		    "timezone not zeroed: %d %d", tz.minuteswest,
		    tz.dsttime);
	}
	/* Either pointer may be NULL. */
	RL(rump_sys_gettimeofday(NULL, NULL));
	RL(rump_sys_gettimeofday(&tv, NULL));
	RL(rump_sys_gettimeofday(NULL, &tz));
}

/* ------------------------------------------------------------------ */

/* Checks that a sleep asked for want ns lasted at least that on both
 * clocks and not absurdly longer. */
static void
check_duration(const char *what, int64_t want, int64_t rump0, int64_t rump1,
    int64_t host0, int64_t host1)
{

	ATF_CHECK_MSG(rump1 - rump0 >= want,
	    "%s: %lld ns by the rump clock, asked %lld", what,
	    (long long)(rump1 - rump0), (long long)want);
	ATF_CHECK_MSG(host1 - host0 >= want,
	    "%s: %lld ns by the host clock, asked %lld", what,
	    (long long)(host1 - host0), (long long)want);
	ATF_CHECK_MSG(host1 - host0 < want + 5 * NSEC_PER_SEC,
	    "%s: %lld ns by the host clock, asked %lld", what,
	    (long long)(host1 - host0), (long long)want);
}

ATF_TC(nanosleep_duration);
ATF_TC_HEAD(nanosleep_duration, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "nanosleep of 20 ms (and 1.05 s, across a second boundary) "
	    "lasts at least that by the rump and the host monotonic clock; "
	    "a zero sleep returns at once");
	atf_tc_set_md_var(tc, "timeout", "30");
}
ATF_TC_BODY(nanosleep_duration, tc)
{
	static const int64_t want[] = { 20 * MSEC, 1050 * MSEC, 1 };
	struct timespec req, rem;
	int64_t r0, r1, h0, h1;

	boot();
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		req = ns_ts(want[i]);
		h0 = host_now(CLOCK_MONOTONIC);
		r0 = rump_now(CLOCK_MONOTONIC);
		RL(rump_sys_nanosleep(&req, &rem));
		r1 = rump_now(CLOCK_MONOTONIC);
		h1 = host_now(CLOCK_MONOTONIC);
		check_duration("nanosleep", want[i], r0, r1, h0, h1);
	}
	req.tv_sec = 0;
	req.tv_nsec = 0;
	h0 = host_now(CLOCK_MONOTONIC);
	RL(rump_sys_nanosleep(&req, NULL));
	h1 = host_now(CLOCK_MONOTONIC);
	ATF_CHECK_MSG(h1 - h0 < NSEC_PER_SEC, "zero sleep took %lld ns",
	    (long long)(h1 - h0));
}

ATF_TC(nanosleep_errors);
ATF_TC_HEAD(nanosleep_errors, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "nanosleep: EINVAL for tv_nsec 1000000000 or -1 and for a "
	    "negative tv_sec, EFAULT for a NULL request; none of them "
	    "sleeps");
	atf_tc_set_md_var(tc, "timeout", "30");
}
ATF_TC_BODY(nanosleep_errors, tc)
{
	struct timespec req;
	int64_t h0;

	boot();
	h0 = host_now(CLOCK_MONOTONIC);
	req.tv_sec = 5;
	req.tv_nsec = 1000000000L;
	ERR(EINVAL, rump_sys_nanosleep(&req, NULL));
	req.tv_nsec = -1;
	ERR(EINVAL, rump_sys_nanosleep(&req, NULL));
	req.tv_sec = -1;
	req.tv_nsec = 0;
	ERR(EINVAL, rump_sys_nanosleep(&req, NULL));
	ERR(EFAULT, rump_sys_nanosleep(NULL, NULL));
	ATF_CHECK_MSG(host_now(CLOCK_MONOTONIC) - h0 < 4 * NSEC_PER_SEC,
	    "a refused sleep slept");
}

ATF_TC(clock_nanosleep_modes);
ATF_TC_HEAD(clock_nanosleep_modes, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "clock_nanosleep: relative 20 ms on MONOTONIC, REALTIME and "
	    "BOOTTIME; TIMER_ABSTIME until now + 20 ms on MONOTONIC and "
	    "REALTIME ends at or after the deadline; an absolute time in "
	    "the past returns at once");
	atf_tc_set_md_var(tc, "timeout", "30");
}
ATF_TC_BODY(clock_nanosleep_modes, tc)
{
	static const clockid_t clocks[] = { CLOCK_MONOTONIC, CLOCK_REALTIME,
	    CLOCK_BOOTTIME };
	struct timespec req;
	int64_t r0, r1, h0, h1, deadline;
	int error;

	boot();
	for (size_t i = 0; i < sizeof(clocks) / sizeof(clocks[0]); i++) {
		req = ns_ts(20 * MSEC);
		h0 = host_now(CLOCK_MONOTONIC);
		r0 = rump_now(CLOCK_MONOTONIC);
		error = rump_sys_clock_nanosleep(clocks[i], 0, &req, NULL);
		r1 = rump_now(CLOCK_MONOTONIC);
		h1 = host_now(CLOCK_MONOTONIC);
		ATF_REQUIRE_EQ_MSG(0, error, "clock %d relative: %d",
		    (int)clocks[i], error);
		check_duration("clock_nanosleep relative", 20 * MSEC, r0, r1,
		    h0, h1);
	}

	/* Absolute, on the clock the deadline is in. */
	for (int i = 0; i < 2; i++) {
		clockid_t clk = i == 0 ? CLOCK_MONOTONIC : CLOCK_REALTIME;

		h0 = host_now(CLOCK_MONOTONIC);
		deadline = rump_now(clk) + 20 * MSEC;
		req = ns_ts(deadline);
		error = rump_sys_clock_nanosleep(clk, TIMER_ABSTIME, &req,
		    NULL);
		r1 = rump_now(clk);
		h1 = host_now(CLOCK_MONOTONIC);
		ATF_REQUIRE_EQ_MSG(0, error, "clock %d absolute: %d",
		    (int)clk, error);
		ATF_CHECK_MSG(r1 >= deadline,
		    "clock %d: woke at %lld before the deadline %lld",
		    (int)clk, (long long)r1, (long long)deadline);
		/* The host's clock runs at the same rate. */
		ATF_CHECK_MSG(h1 - h0 >= 19 * MSEC &&
		    h1 - h0 < 5 * NSEC_PER_SEC,
		    "clock %d: absolute sleep of 20 ms took %lld ns",
		    (int)clk, (long long)(h1 - h0));

		/* A deadline already past: no sleep. */
		req = ns_ts(rump_now(clk) - 10 * NSEC_PER_SEC);
		h0 = host_now(CLOCK_MONOTONIC);
		ATF_REQUIRE_EQ(0, rump_sys_clock_nanosleep(clk,
		    TIMER_ABSTIME, &req, NULL));
		h1 = host_now(CLOCK_MONOTONIC);
		ATF_CHECK_MSG(h1 - h0 < 4 * NSEC_PER_SEC,
		    "a past deadline slept %lld ns", (long long)(h1 - h0));
	}
}

ATF_TC(clock_nanosleep_errors);
ATF_TC_HEAD(clock_nanosleep_errors, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "clock_nanosleep returns the error number itself and leaves "
	    "errno alone: EINVAL for a bad tv_nsec or negative tv_sec and "
	    "for clocks the kernel does not know, EOPNOTSUPP for the _RAW "
	    "and _COARSE clocks, EFAULT for a NULL request; through "
	    "rump_syscall (230) the same numbers");
	atf_tc_set_md_var(tc, "timeout", "30");
}
ATF_TC_BODY(clock_nanosleep_errors, tc)
{
	static const struct {
		clockid_t clk;
		long sec, nsec;
		int error;
	} cases[] = {
		{ CLOCK_MONOTONIC, 5, 1000000000L, EINVAL },
		{ CLOCK_MONOTONIC, 5, -1, EINVAL },
		{ CLOCK_REALTIME, -1, 0, EINVAL },
		{ CLOCK_PROCESS_CPUTIME_ID, 0, 1, EINVAL },
		{ CLOCK_THREAD_CPUTIME_ID, 0, 1, EINVAL },
		{ -1, 0, 1, EINVAL },
		{ 1000, 0, 1, EINVAL },
		{ CLOCK_MONOTONIC_RAW, 0, 1, EOPNOTSUPP },
		{ CLOCK_REALTIME_COARSE, 0, 1, EOPNOTSUPP },
		{ CLOCK_MONOTONIC_COARSE, 0, 1, EOPNOTSUPP },
	};
	struct timespec req;
	long args[6], rv[2];
	int error;

	boot();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		req.tv_sec = cases[i].sec;
		req.tv_nsec = cases[i].nsec;
		for (int flags = 0; flags <= TIMER_ABSTIME; flags++) {
			errno = 4321;
			error = rump_sys_clock_nanosleep(cases[i].clk, flags,
			    &req, NULL);
			ATF_CHECK_EQ_MSG(cases[i].error, error,
			    "case %zu flags %d: returned %d, expected %d", i,
			    flags, error, cases[i].error);
			ATF_CHECK_EQ_MSG(4321, errno,
			    "case %zu: errno changed to %d", i, errno);
			memset(args, 0, sizeof(args));
			args[0] = cases[i].clk;
			args[1] = flags;
			args[2] = (long)&req;
			error = rump_syscall(230, args, rv);
			ATF_CHECK_EQ_MSG(cases[i].error, error,
			    "rump_syscall case %zu: %d", i, error);
		}
	}
	ATF_CHECK_EQ(EFAULT, rump_sys_clock_nanosleep(CLOCK_MONOTONIC, 0,
	    NULL, NULL));
}

/* ------------------------------------------------------------------ */

/*
 * With one virtual CPU, a thread sleeping in the kernel must let another
 * thread in: the sleeper gives up its CPU.
 */
struct sleep_share {
	volatile int	 sleeping;	/* A is about to sleep */
	int64_t		 a_done, b_done;	/* rump monotonic ns */
	int64_t		 a_slept;
	int		 b_calls;
	int		 b_waited;
};

static void *
sleeper_thread(void *arg)
{
	struct sleep_share *s = arg;
	struct timespec req = { 0, 100 * MSEC }, ts;
	int64_t t0;

	rump_sys_clock_gettime(CLOCK_MONOTONIC, &ts);
	t0 = ts_ns(&ts);
	__atomic_store_n(&s->sleeping, 1, __ATOMIC_RELEASE);
	if (rump_sys_nanosleep(&req, NULL) == -1)
		return NULL;
	rump_sys_clock_gettime(CLOCK_MONOTONIC, &ts);
	s->a_done = ts_ns(&ts);
	s->a_slept = s->a_done - t0;
	return NULL;
}

static void *
getpid_thread(void *arg)
{
	struct sleep_share *s = arg;
	struct timespec ts;

	/* Bounded: at most 5 s for the sleeper to start. */
	while (!__atomic_load_n(&s->sleeping, __ATOMIC_ACQUIRE) &&
	    s->b_waited < 5000) {
		rt_sleep_ms(1);
		s->b_waited++;
	}
	for (int i = 0; i < 1000; i++)
		if (rump_sys_getpid() == 1)
			s->b_calls++;
	rump_sys_clock_gettime(CLOCK_MONOTONIC, &ts);
	s->b_done = ts_ns(&ts);
	return NULL;
}

ATF_TC(sleep_releases_cpu);
ATF_TC_HEAD(sleep_releases_cpu, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "with RUMP_NCPU=1, thread A nanosleeps 100 ms while thread B "
	    "makes 1000 getpid calls: B finishes first (the sleeper gave "
	    "up the virtual CPU)");
	atf_tc_set_md_var(tc, "timeout", "30");
}
ATF_TC_BODY(sleep_releases_cpu, tc)
{
	struct sleep_share s;
	void *a, *b;

	setenv("RUMP_NCPU", "1", 1);
	boot();
	memset(&s, 0, sizeof(s));
	a = rt_thread_start(sleeper_thread, &s, "sleeper");
	b = rt_thread_start(getpid_thread, &s, "getpid");
	rt_thread_join(a);
	rt_thread_join(b);
	ATF_REQUIRE_MSG(s.sleeping, "the sleeper never started");
	ATF_REQUIRE_EQ(1000, s.b_calls);
	ATF_REQUIRE_MSG(s.a_slept >= 100 * MSEC, "A slept %lld ns",
	    (long long)s.a_slept);
	ATF_REQUIRE_MSG(s.b_done < s.a_done,
	    "B finished %lld ns after the sleeper woke: the sleep held the "
	    "CPU", (long long)(s.b_done - s.a_done));
}

/* ------------------------------------------------------------------ */

static void *
progress_thread(void *arg)
{
	int *done = arg;

	for (int i = 0; i < 100; i++)
		if (rump_sys_getpid() != 1)
			return NULL;
	__atomic_store_n(done, 1, __ATOMIC_RELEASE);
	return NULL;
}

ATF_TC(sched_yield_progress);
ATF_TC_HEAD(sched_yield_progress, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "with RUMP_NCPU=1, a thread that holds the CPU (rump_schedule) "
	    "and calls sched_yield in a loop lets another thread make 100 "
	    "system calls, within 10 s");
	atf_tc_set_md_var(tc, "timeout", "30");
}
ATF_TC_BODY(sched_yield_progress, tc)
{
	void *cookie;
	int64_t h0;
	int done = 0, progressed;
	long yields = 0;

	setenv("RUMP_NCPU", "1", 1);
	boot();
	/* The plain call first. */
	RL(rump_sys_sched_yield());

	rump_schedule();
	cookie = rt_thread_start(progress_thread, &done, "progress");
	h0 = host_now(CLOCK_MONOTONIC);
	while (!__atomic_load_n(&done, __ATOMIC_ACQUIRE) &&
	    host_now(CLOCK_MONOTONIC) - h0 < 10 * NSEC_PER_SEC) {
		if (rump_sys_sched_yield() == -1)
			break;
		yields++;
	}
	/* Before giving the CPU up for good, which would let the other
	 * thread finish anyway. */
	progressed = __atomic_load_n(&done, __ATOMIC_ACQUIRE);
	rump_unschedule();
	rt_thread_join(cookie);
	ATF_REQUIRE_MSG(progressed || yields > 0, "sched_yield failed: %s",
	    strerror(errno));
	ATF_REQUIRE_MSG(progressed, "no progress by the other thread in "
	    "10 s of sched_yield (%ld calls)", yields);
	ATF_REQUIRE(done);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, clock_ids);
	ATF_TP_ADD_TC(tp, monotonic_never_decreases);
	ATF_TP_ADD_TC(tp, realtime_matches_host);
	ATF_TP_ADD_TC(tp, nanosleep_duration);
	ATF_TP_ADD_TC(tp, nanosleep_errors);
	ATF_TP_ADD_TC(tp, clock_nanosleep_modes);
	ATF_TP_ADD_TC(tp, clock_nanosleep_errors);
	ATF_TP_ADD_TC(tp, sleep_releases_cpu);
	ATF_TP_ADD_TC(tp, sched_yield_progress);
	return atf_no_error();
}
