/*
 * t_deadlock.c: the fiber platform notices when every thread is blocked
 * for good, and says so instead of hanging: it panics (abort, SIGABRT)
 * with a message that starts "rumpuser fiber: deadlock: all N threads
 * are blocked" and names each blocked thread and what it waits on.
 *
 * Each case runs its scenario in a child process (fork) whose standard
 * output and error go to a pipe; the parent waits a bounded time and
 * checks how the child ended and what it said.  The cases where threads
 * are all blocked but something will wake one (a timer, a sleep, host
 * I/O in flight) must NOT be taken for deadlocks: the child ends
 * normally.
 *
 * Stub kernel: platform/common/tests/h_hyperup.h.
 */
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <atf-c.h>

#include <rump/rumpuser.h>

#include "../../common/tests/h_hyperup.h"

#define MS		1000000LL	/* nanoseconds */
#define CHILD_LIMIT	20		/* seconds a child may take */

struct child {
	int	status;		/* from waitpid */
	bool	timed_out;	/* killed after CHILD_LIMIT seconds */
	char	out[16384];	/* its standard output and error */
};

static double
host_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Runs scenario() in a child; collects its output and end. */
static void
run_child(void (*scenario)(void), struct child *c)
{
	size_t len = 0;
	double deadline;
	int p[2], n;
	pid_t pid;

	memset(c, 0, sizeof(*c));
	ATF_REQUIRE_EQ(0, pipe(p));
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	ATF_REQUIRE(pid != -1);
	if (pid == 0) {
		struct rlimit nocore = { 0, 0 };

		/* An abort is expected: no core file. */
		setrlimit(RLIMIT_CORE, &nocore);
		close(p[0]);
		dup2(p[1], 1);
		dup2(p[1], 2);
		close(p[1]);
		scenario();
		/* The scenario ends the process itself; falling out of it
		 * is a failure of its own. */
		fprintf(stderr, "scenario returned\n");
		_exit(99);
	}
	close(p[1]);
	deadline = host_now() + CHILD_LIMIT;
	for (;;) {
		struct pollfd pfd = { p[0], POLLIN, 0 };
		int ms = (int)((deadline - host_now()) * 1000);

		if (ms <= 0) {
			c->timed_out = true;
			kill(pid, SIGKILL);
			break;
		}
		n = poll(&pfd, 1, ms);
		if (n == -1 && errno == EINTR)
			continue;
		ATF_REQUIRE(n >= 0);
		if (n == 0)
			continue;
		n = (int)read(p[0], c->out + len, sizeof(c->out) - 1 - len);
		if (n <= 0)
			break;		/* EOF: the child is gone */
		len += (size_t)n;
		if (len == sizeof(c->out) - 1)
			break;
	}
	c->out[len] = '\0';
	close(p[0]);
	ATF_REQUIRE_EQ(pid, waitpid(pid, &c->status, 0));
	printf("--- child output ---\n%s--- end (status %#x%s) ---\n", c->out,
	    c->status, c->timed_out ? ", killed after the time limit" : "");
}

/* The child must have detected a deadlock: SIGABRT, the message, and
 * every name in names (NULL-terminated) on a line of the report. */
static void
expect_deadlock(const struct child *c, const char *const *names)
{
	const char *msg;

	ATF_REQUIRE_MSG(!c->timed_out, "the child still ran after %d s: the "
	    "deadlock was not detected (a silent hang)", CHILD_LIMIT);
	ATF_CHECK_MSG(WIFSIGNALED(c->status) && WTERMSIG(c->status) == SIGABRT,
	    "the child did not die of SIGABRT: %s %d",
	    WIFSIGNALED(c->status) ? "signal" : "exit status",
	    WIFSIGNALED(c->status) ? WTERMSIG(c->status) :
	    WEXITSTATUS(c->status));
	msg = strstr(c->out, "rumpuser fiber: deadlock: all ");
	ATF_REQUIRE_MSG(msg != NULL, "no \"rumpuser fiber: deadlock: all N "
	    "threads are blocked\" in the output:\n%s", c->out);
	ATF_CHECK_MSG(strstr(msg, " threads are blocked") != NULL,
	    "no \"threads are blocked\" after \"deadlock: all\"");
	for (; *names != NULL; names++)
		ATF_CHECK_MSG(strstr(msg, *names) != NULL, "the report does "
		    "not name the blocked thread \"%s\"", *names);
}

/* The child must have ended normally with status 0 and no report. */
static void
expect_no_deadlock(const struct child *c)
{

	ATF_REQUIRE_MSG(!c->timed_out, "the child still ran after %d s",
	    CHILD_LIMIT);
	ATF_CHECK_MSG(strstr(c->out, "deadlock") == NULL, "a deadlock was "
	    "reported where there is none");
	ATF_CHECK_MSG(WIFEXITED(c->status) && WEXITSTATUS(c->status) == 0,
	    "the child did not exit with 0: %s %d",
	    WIFSIGNALED(c->status) ? "signal" : "exit status",
	    WIFSIGNALED(c->status) ? WTERMSIG(c->status) :
	    WEXITSTATUS(c->status));
}

static struct rumpuser_mtx *m_a, *m_b;
static struct rumpuser_cv *cv_never, *cv_x;

static void
child_init(void)
{

	if (stub_init(1) != 0) {
		fprintf(stderr, "stub_init failed\n");
		_exit(98);
	}
	rumpuser_mutex_init(&m_a, RUMPUSER_MTX_KMUTEX);
	rumpuser_mutex_init(&m_b, RUMPUSER_MTX_KMUTEX);
	rumpuser_cv_init(&cv_never);
	rumpuser_cv_init(&cv_x);
}

static void *
wait_forever(void *arg)
{

	(void)arg;
	rumpuser_mutex_enter(m_a);
	for (;;)	/* nobody ever signals */
		rumpuser_cv_wait(cv_never, m_a);
	return NULL;
}

/* Two threads wait on a cv nobody signals; main joins one of them. */
static void
scenario_cv(void)
{
	void *c1, *c2;

	child_init();
	stub_thread_create(wait_forever, NULL, 1, "dl_waiter_one", 1, &c1);
	stub_thread_create(wait_forever, NULL, 2, "dl_waiter_two", 1, &c2);
	rumpuser_thread_join(c1);
	fprintf(stderr, "join returned\n");
	rumpuser_exit(0);
}

ATF_TC(deadlock_cv);
ATF_TC_HEAD(deadlock_cv, tc)
{
	atf_tc_set_md_var(tc, "descr", "two threads wait on a cv nobody "
	    "signals, main joins one: detected, reported with both names, "
	    "SIGABRT");
	atf_tc_set_md_var(tc, "timeout", "60");
}
ATF_TC_BODY(deadlock_cv, tc)
{
	static const char *const names[] = { "dl_waiter_one", "dl_waiter_two",
	    NULL };
	struct child c;

	run_child(scenario_cv, &c);
	expect_deadlock(&c, names);
}

/* AB/BA: each thread holds one mutex and waits for the other's. */
static void *
take_ab(void *arg)
{

	(void)arg;
	rumpuser_mutex_enter(m_a);
	stub_sleep_ns(20 * MS);		/* let the other take m_b */
	rumpuser_mutex_enter(m_b);
	return NULL;
}

static void *
take_ba(void *arg)
{

	(void)arg;
	rumpuser_mutex_enter(m_b);
	stub_sleep_ns(20 * MS);
	rumpuser_mutex_enter(m_a);
	return NULL;
}

static void
scenario_abba(void)
{
	void *c1, *c2;

	child_init();
	stub_thread_create(take_ab, NULL, 1, "dl_holds_a", 1, &c1);
	stub_thread_create(take_ba, NULL, 2, "dl_holds_b", 1, &c2);
	rumpuser_thread_join(c1);
	rumpuser_thread_join(c2);
	fprintf(stderr, "joins returned\n");
	rumpuser_exit(0);
}

ATF_TC(deadlock_mutex_abba);
ATF_TC_HEAD(deadlock_mutex_abba, tc)
{
	atf_tc_set_md_var(tc, "descr", "two threads take two mutexes in "
	    "opposite orders: detected, reported with both names, SIGABRT");
	atf_tc_set_md_var(tc, "timeout", "60");
}
ATF_TC_BODY(deadlock_mutex_abba, tc)
{
	static const char *const names[] = { "dl_holds_a", "dl_holds_b",
	    NULL };
	struct child c;

	run_child(scenario_abba, &c);
	expect_deadlock(&c, names);
}

/* The main thread alone waits for nothing. */
static void
scenario_alone(void)
{

	child_init();
	rumpuser_mutex_enter(m_a);
	rumpuser_cv_wait(cv_never, m_a);
	fprintf(stderr, "cv_wait returned\n");
	rumpuser_exit(0);
}

ATF_TC(deadlock_main_alone);
ATF_TC_HEAD(deadlock_main_alone, tc)
{
	atf_tc_set_md_var(tc, "descr", "the only thread waits on a cv "
	    "nobody can signal: detected, SIGABRT");
	atf_tc_set_md_var(tc, "timeout", "60");
}
ATF_TC_BODY(deadlock_main_alone, tc)
{
	static const char *const names[] = { NULL };
	struct child c;

	run_child(scenario_alone, &c);
	expect_deadlock(&c, names);
}

/*
 * Not deadlocks.
 */

/* A sleeper will wake and signal the waiter; main joins the waiter. */
static volatile int woke;

static void *
sleep_then_signal(void *arg)
{

	(void)arg;
	stub_sleep_ns(300 * MS);
	rumpuser_mutex_enter(m_a);
	woke = 1;
	rumpuser_cv_broadcast(cv_x);
	rumpuser_mutex_exit(m_a);
	return NULL;
}

static void *
wait_for_woke(void *arg)
{

	(void)arg;
	rumpuser_mutex_enter(m_a);
	while (!woke)
		rumpuser_cv_wait(cv_x, m_a);
	rumpuser_mutex_exit(m_a);
	return NULL;
}

static void
scenario_sleeper(void)
{
	void *c1, *c2;

	child_init();
	stub_thread_create(wait_for_woke, NULL, 1, "nd_waiter", 1, &c1);
	stub_thread_create(sleep_then_signal, NULL, 2, "nd_sleeper", 1, &c2);
	rumpuser_thread_join(c1);
	rumpuser_thread_join(c2);
	rumpuser_exit(woke ? 0 : 3);
}

ATF_TC(no_deadlock_sleeper);
ATF_TC_HEAD(no_deadlock_sleeper, tc)
{
	atf_tc_set_md_var(tc, "descr", "every thread blocked but one in a "
	    "300 ms sleep that will wake the others: no deadlock");
	atf_tc_set_md_var(tc, "timeout", "60");
}
ATF_TC_BODY(no_deadlock_sleeper, tc)
{
	struct child c;

	run_child(scenario_sleeper, &c);
	expect_no_deadlock(&c);
}

/* A timed wait ends by itself. */
static void *
timed(void *arg)
{
	int rv;

	(void)arg;
	rumpuser_mutex_enter(m_a);
	rv = rumpuser_cv_timedwait(cv_never, m_a, 0, 300 * MS);
	rumpuser_mutex_exit(m_a);
	return (void *)(intptr_t)rv;
}

static void
scenario_timedwait(void)
{
	void *c1;

	child_init();
	stub_thread_create(timed, NULL, 1, "nd_timed", 1, &c1);
	rumpuser_thread_join(c1);
	rumpuser_exit(0);
}

ATF_TC(no_deadlock_timedwait);
ATF_TC_HEAD(no_deadlock_timedwait, tc)
{
	atf_tc_set_md_var(tc, "descr", "main joins a thread in a 300 ms "
	    "timed wait nobody signals: no deadlock, the wait times out");
	atf_tc_set_md_var(tc, "timeout", "60");
}
ATF_TC_BODY(no_deadlock_timedwait, tc)
{
	struct child c;

	run_child(scenario_timedwait, &c);
	expect_no_deadlock(&c);
}

/* A thread reads a host pipe whose writer (another process) writes only
 * after 300 ms; main joins it.  The read is I/O in flight, not a
 * deadlock. */
static int io_fd = -1;
static char io_buf[16];
static size_t io_got;
static int io_error = -1;

static void *
io_reader(void *arg)
{
	struct rumpuser_iovec iov = { io_buf, sizeof(io_buf) };

	(void)arg;
	io_error = rumpuser_iovread(io_fd, &iov, 1, RUMPUSER_IOV_NOSEEK,
	    &io_got);
	return NULL;
}

static void
scenario_io(void)
{
	struct timespec ts = { 0, 300 * MS };
	void *c1;
	int p[2];

	if (pipe(p) != 0)
		_exit(97);
	if (fork() == 0) {
		close(p[0]);
		nanosleep(&ts, NULL);
		if (write(p[1], "hello", 5) != 5)
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	io_fd = p[0];
	child_init();
	stub_thread_create(io_reader, NULL, 1, "nd_reader", 1, &c1);
	rumpuser_thread_join(c1);
	wait(NULL);
	if (io_error != 0 || io_got != 5 || memcmp(io_buf, "hello", 5) != 0) {
		fprintf(stderr, "iovread: error %d, %zu bytes\n", io_error,
		    io_got);
		rumpuser_exit(4);
	}
	rumpuser_exit(0);
}

ATF_TC(no_deadlock_io);
ATF_TC_HEAD(no_deadlock_io, tc)
{
	atf_tc_set_md_var(tc, "descr", "the only other thread waits in "
	    "rumpuser_iovread on a host pipe another process writes 300 ms "
	    "later: I/O in flight is no deadlock; the read gets the data");
	atf_tc_set_md_var(tc, "timeout", "60");
}
ATF_TC_BODY(no_deadlock_io, tc)
{
	struct child c;

	run_child(scenario_io, &c);
	expect_no_deadlock(&c);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, deadlock_cv);
	ATF_TP_ADD_TC(tp, deadlock_mutex_abba);
	ATF_TP_ADD_TC(tp, deadlock_main_alone);
	ATF_TP_ADD_TC(tp, no_deadlock_sleeper);
	ATF_TP_ADD_TC(tp, no_deadlock_timedwait);
	ATF_TP_ADD_TC(tp, no_deadlock_io);
	return atf_no_error();
}
