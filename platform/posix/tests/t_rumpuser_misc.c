/*
 * t_rumpuser_misc.c: everything that is neither locks nor I/O: the version
 * handshake, parameters, random bytes, clocks and sleeping, threads and
 * curlwp, memory, errno and signal translation, termination, console and
 * daemonizing.
 *
 * Built from: this file + the library as a static archive or objects (it
 * calls the library-internal rumpuser__posixhost_errno_to_netbsd() of
 * platform/posixhost, hidden in the .so).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atf-c.h>

#include <rump/rumpuser.h>

#include "h_hyperup.h"

/* Internal to the library (platform/posixhost/posixhost.h). */
int rumpuser__posixhost_errno_to_netbsd(int);

#define NB_ENOENT	2
#define NB_E2BIG	7
#define NB_EINVAL	22

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

ATF_TC_WITHOUT_HEAD(init_version);
ATF_TC_BODY(init_version, tc)
{

	ATF_CHECK(rumpuser_init(16, &stub_hyp) != 0);
	ATF_CHECK(rumpuser_init(18, &stub_hyp) != 0);
	ATF_CHECK(rumpuser_init(0, &stub_hyp) != 0);
	ATF_CHECK_EQ(0, rumpuser_init(RUMPUSER_VERSION, &stub_hyp));
}

ATF_TC_WITHOUT_HEAD(getparam);
ATF_TC_BODY(getparam, tc)
{
	char buf[64], expect[64];
	long ncpu;

	ATF_REQUIRE_EQ(0, stub_init(1));
	unsetenv("RUMP_NCPU");
	unsetenv("RUMP_HOSTNAME");
	ATF_CHECK_EQ(0, rumpuser_getparam(RUMPUSER_PARAM_NCPU, buf,
	    sizeof(buf)));
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	snprintf(expect, sizeof(expect), "%ld", ncpu);
	ATF_CHECK_STREQ(expect, buf);
	setenv("RUMP_NCPU", "3", 1);
	ATF_CHECK_EQ(0, rumpuser_getparam(RUMPUSER_PARAM_NCPU, buf,
	    sizeof(buf)));
	ATF_CHECK_STREQ("3", buf);
	setenv("RUMP_NCPU", "host", 1);
	ATF_CHECK_EQ(0, rumpuser_getparam(RUMPUSER_PARAM_NCPU, buf,
	    sizeof(buf)));
	ATF_CHECK_STREQ(expect, buf);

	ATF_CHECK_EQ(0, rumpuser_getparam(RUMPUSER_PARAM_HOSTNAME, buf,
	    sizeof(buf)));
	snprintf(expect, sizeof(expect), "rump-%ld", (long)getpid());
	ATF_CHECK_STREQ(expect, buf);
	setenv("RUMP_HOSTNAME", "strata-test", 1);
	ATF_CHECK_EQ(0, rumpuser_getparam(RUMPUSER_PARAM_HOSTNAME, buf,
	    sizeof(buf)));
	ATF_CHECK_STREQ("strata-test", buf);

	/* Optional names come from the environment, or are missing. */
	unsetenv("RUMP_VERBOSE");
	ATF_CHECK_EQ(NB_ENOENT, rumpuser_getparam("RUMP_VERBOSE", buf,
	    sizeof(buf)));
	setenv("RUMP_VERBOSE", "1", 1);
	ATF_CHECK_EQ(0, rumpuser_getparam("RUMP_VERBOSE", buf, sizeof(buf)));
	ATF_CHECK_STREQ("1", buf);
	setenv("_RUMPUSER_BOGUS", "x", 1);
	ATF_CHECK_EQ(NB_ENOENT, rumpuser_getparam("_RUMPUSER_BOGUS", buf,
	    sizeof(buf)));

	/* Too small a buffer: an error, nothing truncated.  "strata-test"
	 * needs 12 bytes with its NUL. */
	memset(buf, 'x', sizeof(buf));
	ATF_CHECK_EQ(NB_E2BIG, rumpuser_getparam(RUMPUSER_PARAM_HOSTNAME, buf,
	    11));
	ATF_CHECK_EQ('x', buf[0]);
	ATF_CHECK_EQ(0, rumpuser_getparam(RUMPUSER_PARAM_HOSTNAME, buf, 12));
	ATF_CHECK_STREQ("strata-test", buf);
}

ATF_TC_WITHOUT_HEAD(getrandom);
ATF_TC_BODY(getrandom, tc)
{
	static const int flags[] = { 0, RUMPUSER_RANDOM_HARD,
	    RUMPUSER_RANDOM_NOWAIT,
	    RUMPUSER_RANDOM_HARD | RUMPUSER_RANDOM_NOWAIT };
	unsigned char a[256], b[256], zero[256];
	size_t i, n;

	ATF_REQUIRE_EQ(0, stub_init(1));
	memset(zero, 0, sizeof(zero));
	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		memset(a, 0, sizeof(a));
		memset(b, 0, sizeof(b));
		n = 0;
		ATF_CHECK_EQ(0, rumpuser_getrandom(a, sizeof(a), flags[i], &n));
		ATF_CHECK(n > 0 && n <= sizeof(a));
		if (!(flags[i] & RUMPUSER_RANDOM_NOWAIT))
			ATF_CHECK_EQ(sizeof(a), n);
		ATF_CHECK(memcmp(a, zero, n) != 0);
		ATF_CHECK_EQ(0, rumpuser_getrandom(b, sizeof(b), flags[i], &n));
		ATF_CHECK(memcmp(a, b, n) != 0);
	}
	ATF_CHECK_EQ(0, STUB_GET(stub_violations));
}

ATF_TC_WITHOUT_HEAD(clocks);
ATF_TC_BODY(clocks, tc)
{
	int64_t sec, prevsec;
	long nsec, prevnsec;
	int i;

	ATF_REQUIRE_EQ(0, stub_init(1));
	ATF_CHECK_EQ(0, rumpuser_clock_gettime(RUMPUSER_CLOCK_RELWALL, &sec,
	    &nsec));
	ATF_CHECK(llabs((long long)(sec - (int64_t)time(NULL))) <= 1);
	ATF_CHECK(nsec >= 0 && nsec < 1000000000L);

	ATF_CHECK_EQ(0, rumpuser_clock_gettime(RUMPUSER_CLOCK_ABSMONO,
	    &prevsec, &prevnsec));
	ATF_CHECK(llabs((long long)prevsec - (long long)mono()) <= 1);
	for (i = 0; i < 10000; i++) {
		ATF_REQUIRE_EQ(0, rumpuser_clock_gettime(
		    RUMPUSER_CLOCK_ABSMONO, &sec, &nsec));
		ATF_REQUIRE(sec > prevsec ||
		    (sec == prevsec && nsec >= prevnsec));
		prevsec = sec;
		prevnsec = nsec;
	}
	ATF_CHECK_EQ(NB_EINVAL, rumpuser_clock_gettime(7, &sec, &nsec));
}

ATF_TC_WITHOUT_HEAD(clock_sleep);
ATF_TC_BODY(clock_sleep, tc)
{
	int64_t sec;
	long nsec;
	double t0, t1;

	ATF_REQUIRE_EQ(0, stub_init(1));
	t0 = mono();
	ATF_CHECK_EQ(0, rumpuser_clock_sleep(RUMPUSER_CLOCK_RELWALL, 0,
	    100 * 1000 * 1000));
	t1 = mono();
	ATF_CHECK_MSG(t1 - t0 >= 0.1, "slept %f s", t1 - t0);
	ATF_CHECK_EQ(1, STUB_GET(stub_unsched_calls));
	ATF_CHECK_EQ(1, STUB_GET(stub_sched_calls));

	/* Absolute: until the monotonic clock reaches the deadline. */
	ATF_REQUIRE_EQ(0, rumpuser_clock_gettime(RUMPUSER_CLOCK_ABSMONO, &sec,
	    &nsec));
	nsec += 150 * 1000 * 1000;
	if (nsec >= 1000000000L) {
		nsec -= 1000000000L;
		sec++;
	}
	ATF_CHECK_EQ(0, rumpuser_clock_sleep(RUMPUSER_CLOCK_ABSMONO, sec,
	    nsec));
	t1 = mono();
	ATF_CHECK(t1 >= (double)sec + nsec / 1e9);
	ATF_CHECK_EQ(2, STUB_GET(stub_unsched_calls));

	/* In the past: no sleep. */
	t0 = mono();
	ATF_CHECK_EQ(0, rumpuser_clock_sleep(RUMPUSER_CLOCK_ABSMONO, 0, 0));
	ATF_CHECK_EQ(0, rumpuser_clock_sleep(RUMPUSER_CLOCK_RELWALL, -1, 0));
	ATF_CHECK(mono() - t0 < 0.05);
	ATF_CHECK_EQ(NB_EINVAL, rumpuser_clock_sleep(7, 0, 0));
	ATF_CHECK_EQ(0, STUB_GET(stub_violations));
}

/*
 * rumpuser_clock_sleep(clk, sec, nsec) in a child process (a sleep that
 * may last for ever cannot be cut short in a thread: it resumes after
 * signals).  Returns what the call returned, or -1 when the child still
 * slept after wait_ms (it is then killed).
 */
static int
sleep_in_child(int clk, int64_t sec, long nsec, int wait_ms)
{
	double t0;
	pid_t pid, w;
	int status;

	pid = fork();
	ATF_REQUIRE(pid != -1);
	if (pid == 0)
		_exit(rumpuser_clock_sleep(clk, sec, nsec));
	t0 = mono();
	for (;;) {
		w = waitpid(pid, &status, WNOHANG);
		ATF_REQUIRE(w != -1);
		if (w == pid)
			break;
		if (mono() - t0 >= wait_ms / 1000.0) {
			ATF_REQUIRE_EQ(0, kill(pid, SIGKILL));
			ATF_REQUIRE_EQ(pid, waitpid(pid, &status, 0));
			return -1;
		}
		usleep(5 * 1000);
	}
	ATF_REQUIRE(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/*
 * Sleeps at the ends of the range ("forever" computed by arithmetic):
 * sec + nsec must saturate, not overflow into the opposite sign.
 */
ATF_TC_WITHOUT_HEAD(clock_sleep_huge);
ATF_TC_BODY(clock_sleep_huge, tc)
{
	static const struct {
		int clk;
		int64_t sec;
		long nsec;
	} forever[] = {
		{ RUMPUSER_CLOCK_RELWALL, INT64_MAX, LONG_MAX },
		{ RUMPUSER_CLOCK_RELWALL, INT64_MAX - 1, 2000000000L },
		{ RUMPUSER_CLOCK_RELWALL, INT64_MAX, 0 },
		{ RUMPUSER_CLOCK_RELWALL, 1, LONG_MAX },
		{ RUMPUSER_CLOCK_ABSMONO, INT64_MAX, LONG_MAX },
		{ RUMPUSER_CLOCK_ABSMONO, INT64_MAX, 999999999L },
	}, past[] = {
		{ RUMPUSER_CLOCK_RELWALL, INT64_MIN, LONG_MIN },
		{ RUMPUSER_CLOCK_RELWALL, INT64_MIN, -1 },
		{ RUMPUSER_CLOCK_RELWALL, 0, LONG_MIN },
		{ RUMPUSER_CLOCK_ABSMONO, INT64_MIN, LONG_MIN },
		{ RUMPUSER_CLOCK_ABSMONO, INT64_MIN, -1 },
		{ RUMPUSER_CLOCK_ABSMONO, -1, 0 },
	};
	size_t i;
	int rv;

	ATF_REQUIRE_EQ(0, stub_init(1));
	for (i = 0; i < sizeof(forever) / sizeof(forever[0]); i++) {
		rv = sleep_in_child(forever[i].clk, forever[i].sec,
		    forever[i].nsec, 200);
		ATF_CHECK_EQ_MSG(-1, rv, "clock %d (%jd, %ld): returned %d "
		    "at once", forever[i].clk, (intmax_t)forever[i].sec,
		    forever[i].nsec, rv);
	}
	for (i = 0; i < sizeof(past) / sizeof(past[0]); i++) {
		rv = sleep_in_child(past[i].clk, past[i].sec, past[i].nsec,
		    2000);
		ATF_CHECK_EQ_MSG(0, rv, "clock %d (%jd, %ld): %s %d",
		    past[i].clk, (intmax_t)past[i].sec, past[i].nsec,
		    rv == -1 ? "still asleep," : "returned", rv);
	}
	ATF_CHECK_EQ(0, STUB_GET(stub_violations));
}

/*
 * Threads and curlwp
 */

static char lwp_a, lwp_b;
#define LWP_A	((struct lwp *)(void *)&lwp_a)
#define LWP_B	((struct lwp *)(void *)&lwp_b)

static volatile int g_ran;
static char g_name[32];
static struct lwp *volatile g_seen;

static void *
thread_fn(void *arg)
{

	g_seen = rumpuser_curlwp();	/* NULL in a new thread */
	rumpuser_curlwpop(RUMPUSER_LWP_SET, LWP_B);
	if (rumpuser_curlwp() != LWP_B)
		g_seen = LWP_A;
	pthread_getname_np(pthread_self(), g_name, sizeof(g_name));
	__atomic_store_n(&g_ran, 1, __ATOMIC_SEQ_CST);
	if (arg != NULL)
		rumpuser_thread_exit();
	return NULL;
}

ATF_TC_WITHOUT_HEAD(threads);
ATF_TC_BODY(threads, tc)
{
	void *cookie = NULL;

	ATF_REQUIRE_EQ(0, stub_init(1));
	rumpuser_curlwpop(RUMPUSER_LWP_CREATE, LWP_A);
	rumpuser_curlwpop(RUMPUSER_LWP_SET, LWP_A);
	ATF_CHECK(rumpuser_curlwp() == LWP_A);

	/* Joinable: join waits and releases the CPU meanwhile. */
	g_seen = LWP_A;
	ATF_REQUIRE_EQ(0, rumpuser_thread_create(thread_fn, NULL,
	    "a_rather_long_thread_name", 1, -1, -1, &cookie));
	ATF_REQUIRE(cookie != NULL);
	ATF_CHECK_EQ(0, rumpuser_thread_join(cookie));
	ATF_CHECK_EQ(1, g_ran);
	ATF_CHECK(g_seen == NULL);
	ATF_CHECK_STREQ("a_rather_long_t", g_name);
	ATF_CHECK_EQ(1, STUB_GET(stub_unsched_calls));
	ATF_CHECK_EQ(1, STUB_GET(stub_sched_calls));

	/* Detached, ending with rumpuser_thread_exit(). */
	g_ran = 0;
	ATF_REQUIRE_EQ(0, rumpuser_thread_create(thread_fn, (void *)1, "det",
	    0, 0, 0, NULL));
	while (!__atomic_load_n(&g_ran, __ATOMIC_SEQ_CST))
		usleep(1000);

	/* The other thread's binding did not touch ours. */
	ATF_CHECK(rumpuser_curlwp() == LWP_A);
	rumpuser_curlwpop(RUMPUSER_LWP_CLEAR, LWP_A);
	ATF_CHECK(rumpuser_curlwp() == NULL);
	rumpuser_curlwpop(RUMPUSER_LWP_DESTROY, LWP_A);
	ATF_CHECK_EQ(0, STUB_GET(stub_violations));
}

ATF_TC_WITHOUT_HEAD(memory);
ATF_TC_BODY(memory, tc)
{
	static const int aligns[] = { 0, 1, 8, 16, 64, 4096, 65536 };
	unsigned char *p;
	void *mem;
	size_t i;

	for (i = 0; i < sizeof(aligns) / sizeof(aligns[0]); i++) {
		mem = NULL;
		ATF_REQUIRE_EQ(0, rumpuser_malloc(1000, aligns[i], &mem));
		ATF_REQUIRE(mem != NULL);
		if (aligns[i] > 1)
			ATF_CHECK_EQ(0, (uintptr_t)mem % (uintptr_t)aligns[i]);
		memset(mem, 0xa5, 1000);
		rumpuser_free(mem, 1000);
	}
	ATF_CHECK(rumpuser_malloc(64, 3, &mem) != 0);

	/* Anonymous mappings: zeroed, writable, aligned as asked. */
	ATF_REQUIRE_EQ(0, rumpuser_anonmmap(NULL, 3 * 4096 + 100, 21, 0,
	    &mem));
	ATF_CHECK_EQ(0, (uintptr_t)mem % (2 * 1024 * 1024));
	p = mem;
	for (i = 0; i < 3 * 4096 + 100; i++)
		ATF_REQUIRE_EQ(0, p[i]);
	memset(p, 1, 3 * 4096 + 100);
	rumpuser_unmap(mem, 3 * 4096 + 100);
	ATF_REQUIRE_EQ(0, rumpuser_anonmmap(NULL, 8192, 0, 1, &mem));
	ATF_CHECK_EQ(0, (uintptr_t)mem % 4096);
	rumpuser_unmap(mem, 8192);
}

/*
 * Translation
 */

ATF_TC_WITHOUT_HEAD(errno_translation);
ATF_TC_BODY(errno_translation, tc)
{
	static const struct { int host, nb; } spot[] = {
		{ 0, 0 }, { EPERM, 1 }, { ENOENT, 2 }, { EIO, 5 },
		{ EDEADLK, 11 }, { ENOMEM, 12 }, { EBUSY, 16 }, { EINVAL, 22 },
		{ ENOSPC, 28 }, { ERANGE, 34 }, { EAGAIN, 35 },
		{ EWOULDBLOCK, 35 }, { EINPROGRESS, 36 }, { EALREADY, 37 },
		{ ENOTSOCK, 38 }, { EOPNOTSUPP, 45 }, { ECONNRESET, 54 },
		{ ETIMEDOUT, 60 }, { ECONNREFUSED, 61 }, { ELOOP, 62 },
		{ ENAMETOOLONG, 63 }, { ENOTEMPTY, 66 }, { EDQUOT, 69 },
		{ ESTALE, 70 }, { ENOLCK, 77 }, { ENOSYS, 78 },
		{ EOVERFLOW, 84 }, { EILSEQ, 85 }, { ECANCELED, 87 },
		{ EBADMSG, 88 }, { EPROTO, 96 }, { ENOTRECOVERABLE, 98 },
	};
	size_t i;

	ATF_CHECK_EQ(11, EAGAIN);	/* the premise of this test */
	for (i = 0; i < sizeof(spot) / sizeof(spot[0]); i++)
		ATF_CHECK_EQ_MSG(spot[i].nb,
		    rumpuser__posixhost_errno_to_netbsd(spot[i].host),
		    "host %d", spot[i].host);
	/* No NetBSD equivalent: EIO. */
	ATF_CHECK_EQ(5, rumpuser__posixhost_errno_to_netbsd(EUCLEAN));
	ATF_CHECK_EQ(5, rumpuser__posixhost_errno_to_netbsd(ENOMEDIUM));
	ATF_CHECK_EQ(5, rumpuser__posixhost_errno_to_netbsd(4242));

	/* The other way, through rumpuser_seterrno(). */
	for (i = 0; i < sizeof(spot) / sizeof(spot[0]); i++) {
		if (spot[i].host == EWOULDBLOCK && EWOULDBLOCK == EAGAIN)
			continue;
		errno = -1;
		rumpuser_seterrno(spot[i].nb);
		ATF_CHECK_EQ_MSG(spot[i].host, errno, "NetBSD %d", spot[i].nb);
	}
	rumpuser_seterrno(86);		/* NetBSD ENOTSUP */
	ATF_CHECK_EQ(ENOTSUP, errno);
	rumpuser_seterrno(93);		/* NetBSD ENOATTR */
	ATF_CHECK_EQ(ENODATA, errno);
	rumpuser_seterrno(4242);
	ATF_CHECK_EQ(EIO, errno);
}

static volatile sig_atomic_t g_sig;

static void
catch(int sig)
{

	g_sig = sig;
}

ATF_TC_WITHOUT_HEAD(kill);
ATF_TC_BODY(kill, tc)
{

	ATF_REQUIRE(signal(SIGUSR1, catch) != SIG_ERR);
	ATF_REQUIRE(signal(SIGUSR2, catch) != SIG_ERR);
	ATF_REQUIRE(signal(SIGCHLD, catch) != SIG_ERR);
	/* NetBSD SIGUSR1 is 30, SIGUSR2 31, SIGCHLD 20. */
	ATF_CHECK_EQ(0, rumpuser_kill(RUMPUSER_PID_SELF, 30));
	ATF_CHECK_EQ(SIGUSR1, g_sig);
	ATF_CHECK_EQ(0, rumpuser_kill((int64_t)getpid(), 31));
	ATF_CHECK_EQ(SIGUSR2, g_sig);
	ATF_CHECK_EQ(0, rumpuser_kill(RUMPUSER_PID_SELF, 20));
	ATF_CHECK_EQ(SIGCHLD, g_sig);
	/* SIGEMT and SIGINFO do not exist here; 200 nowhere. */
	ATF_CHECK_EQ(NB_EINVAL, rumpuser_kill(RUMPUSER_PID_SELF, 7));
	ATF_CHECK_EQ(NB_EINVAL, rumpuser_kill(RUMPUSER_PID_SELF, 29));
	ATF_CHECK_EQ(NB_EINVAL, rumpuser_kill(RUMPUSER_PID_SELF, 200));
	/* Probing a process that does not exist: ESRCH (3 in both). */
	ATF_CHECK_EQ(3, rumpuser_kill(0x7ffffff0, 0));
}

/* Runs fn in a child with stdout and stderr going to files. */
static int
run_child(void (*fn)(int), int arg)
{
	int status, fd;
	pid_t pid;

	pid = fork();
	ATF_REQUIRE(pid != -1);
	if (pid == 0) {
		fd = open("out", O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(fd, STDOUT_FILENO);
		fd = open("err", O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(fd, STDERR_FILENO);
		fn(arg);
		_exit(99);
	}
	ATF_REQUIRE_EQ(pid, waitpid(pid, &status, 0));
	return status;
}

static void
child_exit(int value)
{

	rumpuser_putchar('o');
	rumpuser_putchar('k');
	rumpuser_putchar('\n');
	rumpuser_putchar('!');		/* no newline: exit must flush it */
	rumpuser_dprintf("to %s %d\n", "stderr", 42);
	rumpuser_exit(value);
}

static void
check_file(const char *name, const char *want)
{
	char buf[256];
	ssize_t n;
	int fd;

	fd = open(name, O_RDONLY);
	ATF_REQUIRE(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	ATF_REQUIRE(n >= 0);
	buf[n] = '\0';
	ATF_CHECK_STREQ(want, buf);
}

ATF_TC_WITHOUT_HEAD(exit_console);
ATF_TC_BODY(exit_console, tc)
{
	int status;

	status = run_child(child_exit, 3);
	ATF_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 3);
	check_file("out", "ok\n!");
	check_file("err", "to stderr 42\n");

	status = run_child(child_exit, RUMPUSER_PANIC);
	ATF_CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
	/* A panic keeps every complete line printed before it. */
	check_file("out", "ok\n!");
}

/*
 * Daemonizing.  The parent stays in daemonize_begin until the child says
 * how it went, then exits with that.
 */
static void
child_daemonize(int error)
{
	char cwd[1024];
	int fd;

	if (rumpuser_daemonize_begin() != 0)
		_exit(98);
	/* In the daemon now: a new session, detached from the test. */
	if (getsid(0) != getpid())
		_exit(97);
	usleep(100 * 1000);	/* the parent really waits for us */
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		_exit(96);
	if (rumpuser_daemonize_done(error) != 0)
		_exit(95);
	fd = open("daemon.done", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (error == 0 && write(STDOUT_FILENO, "lost\n", 5) != 5)
		(void)write(fd, "stdout-failed", 13);
	close(fd);
	_exit(0);
}

ATF_TC_WITHOUT_HEAD(daemonize);
ATF_TC_BODY(daemonize, tc)
{
	int status, i;

	status = run_child(child_daemonize, 0);
	ATF_CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "status %#x", status);
	for (i = 0; i < 200 && access("daemon.done", F_OK) != 0; i++)
		usleep(10 * 1000);
	ATF_CHECK_EQ(0, access("daemon.done", F_OK));
	usleep(50 * 1000);
	check_file("daemon.done", "");
	/* stdout went to /dev/null, not to the file the child had. */
	check_file("out", "");

	/* A failed start reaches whoever started the daemon. */
	status = run_child(child_daemonize, 5);
	ATF_CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 5,
	    "status %#x", status);
}

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, init_version);
	ATF_TP_ADD_TC(tp, getparam);
	ATF_TP_ADD_TC(tp, getrandom);
	ATF_TP_ADD_TC(tp, clocks);
	ATF_TP_ADD_TC(tp, clock_sleep);
	ATF_TP_ADD_TC(tp, clock_sleep_huge);
	ATF_TP_ADD_TC(tp, threads);
	ATF_TP_ADD_TC(tp, memory);
	ATF_TP_ADD_TC(tp, errno_translation);
	ATF_TP_ADD_TC(tp, kill);
	ATF_TP_ADD_TC(tp, exit_console);
	ATF_TP_ADD_TC(tp, daemonize);
	return atf_no_error();
}
