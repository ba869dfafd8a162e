/*
 * t_curlwp_tls.c: a kernel that keeps curlwp in host thread-local storage
 * (NetBSD's built with RUMP_CURLWP=__thread) is refused with a message
 * naming the cause and the remedy, instead of running with every fiber
 * sharing one curlwp; a kernel that asks rumpuser_curlwp() runs, and each
 * thread gets its own lwp back.
 *
 * The kernels are models inside the test: they bind lwps exactly as
 * rumpuser(3) asks (CREATE, SET) and differ only in where they read
 * curlwp from.  Each scenario runs in a child process (fork) whose
 * output goes to a pipe; the parent checks how it ended and what it said.
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

#define CHILD_LIMIT	20	/* seconds a child may take */

struct lwp {
	int	l_id;
};

/* --- The model kernels ---------------------------------------------- */

/* Where a TLS kernel keeps curlwp: a __thread variable in the real one,
 * which on this platform's one host thread is the same for all. */
static __thread struct lwp *own_curlwp;
static bool asks;		/* reads curlwp through rumpuser_curlwp() */
static struct lwp lwp_main = { 1 }, lwp_kthread = { 2 };
static int wrong;		/* a thread that got another's lwp */

static struct lwp *
k_curlwp(void)
{

	return asks ? rumpuser_curlwp() : own_curlwp;
}

/* What rump_schedule does with an lwp: see who runs, bind it. */
static void
k_bind(struct lwp *l)
{

	if (k_curlwp() != NULL)
		wrong++;	/* nothing was bound on this thread yet */
	rumpuser_curlwpop(RUMPUSER_LWP_CREATE, l);
	own_curlwp = l;
	rumpuser_curlwpop(RUMPUSER_LWP_SET, l);
}

/* The kernel owns no CPUs in this model: nothing to release. */
static void k_noop(void) {}
static void
k_backend_unschedule(int nlocks, int *countp, void *interlock)
{

	(void)nlocks;
	(void)interlock;
	*countp = 0;
}
static void
k_backend_schedule(int nlocks, void *interlock)
{

	(void)nlocks;
	(void)interlock;
}

static const struct rumpuser_hyperup k_hyp = {
	.hyp_schedule = k_noop,
	.hyp_unschedule = k_noop,
	.hyp_backend_unschedule = k_backend_unschedule,
	.hyp_backend_schedule = k_backend_schedule,
};

static void *
kthread(void *arg)
{

	(void)arg;
	k_bind(&lwp_kthread);
	if (k_curlwp() != &lwp_kthread)
		wrong++;
	rumpuser_thread_exit();
}

/* Boots the model (main binds its lwp, a kernel thread binds another
 * while main waits for it) and exits 0 if every thread saw its own lwp
 * throughout, 1 otherwise. */
static void
boot_model(void)
{
	void *cookie;

	if (rumpuser_init(RUMPUSER_VERSION, &k_hyp) != 0)
		_exit(2);
	k_bind(&lwp_main);
	if (rumpuser_thread_create(kthread, NULL, "kthread", 1, -1, -1,
	    &cookie) != 0)
		_exit(2);
	rumpuser_thread_join(cookie);
	if (k_curlwp() != &lwp_main)
		wrong++;
	printf("model kernel: %d wrong lwps\n", wrong);
	fflush(stdout);
	_exit(wrong != 0);
}

static void
scenario_tls(void)
{

	asks = false;
	boot_model();
}

static void
scenario_hypercall(void)
{

	asks = true;
	boot_model();
}

/* --- The child's harness --------------------------------------------- */

struct child {
	int	status;
	bool	timed_out;
	char	out[8192];
};

static double
host_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

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
			break;
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

ATF_TC(tls_kernel_refused);
ATF_TC_HEAD(tls_kernel_refused, tc)
{
	atf_tc_set_md_var(tc, "descr", "a kernel that binds lwps but never "
	    "asks rumpuser_curlwp() (curlwp in host TLS) is stopped when a "
	    "second thread binds an lwp, with SIGABRT and a message naming "
	    "the cause and RUMP_CURLWP=hypercall");
}
ATF_TC_BODY(tls_kernel_refused, tc)
{
	struct child c;

	run_child(scenario_tls, &c);
	ATF_REQUIRE_MSG(!c.timed_out, "the child hung");
	ATF_CHECK_MSG(WIFSIGNALED(c.status) && WTERMSIG(c.status) == SIGABRT,
	    "the child did not die of SIGABRT (status %#x)", c.status);
	ATF_CHECK_MSG(strstr(c.out, "keeps curlwp in host thread-local "
	    "storage") != NULL, "the cause is not named");
	ATF_CHECK_MSG(strstr(c.out, "RUMP_CURLWP=hypercall") != NULL,
	    "the remedy is not named");
	ATF_CHECK_MSG(strstr(c.out, "wrong lwps") == NULL,
	    "the model kernel ran on");
}

ATF_TC(hypercall_kernel_runs);
ATF_TC_HEAD(hypercall_kernel_runs, tc)
{
	atf_tc_set_md_var(tc, "descr", "the same kernel reading curlwp "
	    "through rumpuser_curlwp() runs, and each thread sees its own "
	    "lwp before and after the other binds one");
}
ATF_TC_BODY(hypercall_kernel_runs, tc)
{
	struct child c;

	run_child(scenario_hypercall, &c);
	ATF_REQUIRE_MSG(!c.timed_out, "the child hung");
	ATF_CHECK_MSG(WIFEXITED(c.status) && WEXITSTATUS(c.status) == 0,
	    "the child failed (status %#x)", c.status);
	ATF_CHECK_MSG(strstr(c.out, "model kernel: 0 wrong lwps") != NULL,
	    "a thread saw another's lwp");
	ATF_CHECK_MSG(strstr(c.out, "curlwp") == NULL ||
	    strstr(c.out, "thread-local") == NULL, "refused wrongly");
}

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, tls_kernel_refused);
	ATF_TP_ADD_TC(tp, hypercall_kernel_runs);
	return atf_no_error();
}
