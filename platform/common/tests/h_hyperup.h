/*
 * h_hyperup.h: a stub kernel for rumpuser-level tests that run on every
 * platform (posix: host threads; fiber: cooperative threads on one host
 * thread).  Included (not linked) by each test program.
 *
 * Platform-neutral: its own state is guarded by rumpuser mutexes and
 * condition variables only (the _nowrap variants, as the kernel's own
 * scheduler uses them), never by pthreads; and there is no thread-local
 * storage, which on a cooperative platform all threads would share.
 * What is per thread lives in a stub lwp (struct lwp, defined here: the
 * test stands in for the kernel) bound with rumpuser_curlwpop(SET).
 *
 * Like the kernel it models stub_ncpu virtual CPUs, each held by one
 * thread at a time.  A thread started with stub_thread_create() holds a
 * CPU while it runs its function; a blocking hypercall must release it
 * through hyp_backend_unschedule and take it back through
 * hyp_backend_schedule (handing back the nlocks it was given).  Doing so
 * for a CPU the thread does not hold, or giving back the wrong nlocks, is
 * counted in stub_violations.  A thread with no stub lwp or no CPU (the
 * kernel's "not scheduled" case) gets nlocks -1 and nothing is released.
 *
 * hyp_schedule from a thread with no lwp binds a temporary "implicit" stub
 * lwp for as long as it holds the CPU, as the kernel does.  The newlwp
 * upcall, called scheduled, binds a new stub lwp for the pid asked for
 * (l_pid, l_newlwp) in place of the caller's and hands it the CPU; an
 * implicit lwp it replaces is gone.  Both are how a platform thread makes
 * itself a kernel context (rumpuser_bio's completions).
 */
#ifndef H_HYPERUP_H
#define H_HYPERUP_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <rump/rumpuser.h>

#define STUB_NLOCKS	42	/* what unschedule hands out, schedule wants */

/* NetBSD errno values the rumpuser calls return. */
#define NB_EBUSY	16
#define NB_EINVAL	22
#define NB_ETIMEDOUT	60

struct lwp {
	unsigned	l_magic;
#define STUB_LWP_MAGIC	0x57ab1e55u
	int		l_id;		/* caller's choice, e.g. an index */
	int		l_have_cpu;
	int		l_unsched;	/* backend_unschedule calls with a CPU */
	int		l_implicit;	/* bound by hyp_schedule, for the call */
	int		l_newlwp;	/* made by the newlwp upcall ... */
	pid_t		l_pid;		/* ... for this pid (else -1) */
	char		l_name[32];
	/* stub_thread_create() bookkeeping */
	void		*(*l_fn)(void *);
	void		*l_arg;
	int		l_mustjoin;
};

static struct rumpuser_mtx *stub_cpu_mtx;
static struct rumpuser_cv *stub_cpu_cv;
static int stub_ncpu = 1;
static int stub_cpus_busy;		/* under stub_cpu_mtx */
static int stub_cpus_max;		/* most CPUs ever busy at once */

/* Statistics, updated atomically. */
static unsigned stub_unsched_calls;	/* releasing a CPU */
static unsigned stub_sched_calls;	/* taking one back */
static unsigned stub_unsched_nocpu;	/* with no CPU: nothing released */
static unsigned stub_violations;
static unsigned stub_threads_started;
static unsigned stub_threads_done;
static unsigned stub_newlwp_calls;

#define STUB_INC(x)	__atomic_add_fetch(&(x), 1, __ATOMIC_SEQ_CST)
#define STUB_GET(x)	__atomic_load_n(&(x), __ATOMIC_SEQ_CST)
#define STUB_SET(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_SEQ_CST)

static struct lwp *
stub_curlwp(void)
{
	struct lwp *l = rumpuser_curlwp();

	if (l != NULL && l->l_magic != STUB_LWP_MAGIC) {
		STUB_INC(stub_violations);
		return NULL;
	}
	return l;
}

static void
stub_cpu_take(void)
{
	struct lwp *l = stub_curlwp();

	rumpuser_mutex_enter_nowrap(stub_cpu_mtx);
	if (l != NULL && l->l_have_cpu)
		STUB_INC(stub_violations);
	while (stub_cpus_busy >= stub_ncpu)
		rumpuser_cv_wait_nowrap(stub_cpu_cv, stub_cpu_mtx);
	stub_cpus_busy++;
	if (stub_cpus_busy > stub_cpus_max)
		stub_cpus_max = stub_cpus_busy;
	if (l != NULL)
		l->l_have_cpu = 1;
	rumpuser_mutex_exit(stub_cpu_mtx);
}

static void
stub_cpu_release(void)
{
	struct lwp *l = stub_curlwp();

	rumpuser_mutex_enter_nowrap(stub_cpu_mtx);
	if (l == NULL || !l->l_have_cpu || stub_cpus_busy <= 0)
		STUB_INC(stub_violations);
	else {
		stub_cpus_busy--;
		l->l_have_cpu = 0;
	}
	rumpuser_cv_signal(stub_cpu_cv);
	rumpuser_mutex_exit(stub_cpu_mtx);
}

static void
stub_backend_unschedule(int dummy, int *nlocks, void *interlock)
{
	struct lwp *l = stub_curlwp();

	(void)interlock;
	if (dummy != 0)
		STUB_INC(stub_violations);
	if (l == NULL || !l->l_have_cpu) {
		STUB_INC(stub_unsched_nocpu);
		*nlocks = -1;
		return;
	}
	STUB_INC(stub_unsched_calls);
	l->l_unsched++;
	*nlocks = STUB_NLOCKS;
	stub_cpu_release();
}

static void
stub_backend_schedule(int nlocks, void *interlock)
{

	(void)interlock;
	if (nlocks == -1)
		return;
	if (nlocks != STUB_NLOCKS)
		STUB_INC(stub_violations);
	STUB_INC(stub_sched_calls);
	stub_cpu_take();
}

/* A stub lwp for the calling thread or a new one (freed by the caller;
 * stub_thread_create()'s threads free their own). */
static struct lwp *
stub_lwp_alloc(int id, const char *name)
{
	struct lwp *l = calloc(1, sizeof(*l));

	if (l == NULL) {
		fprintf(stderr, "h_hyperup: out of memory\n");
		abort();
	}
	l->l_magic = STUB_LWP_MAGIC;
	l->l_id = id;
	l->l_pid = -1;
	snprintf(l->l_name, sizeof(l->l_name), "%s", name ? name : "");
	return l;
}

#define STUB_ID_IMPLICIT	-2
#define STUB_ID_NEWLWP		-3

static void
stub_schedule(void)
{
	struct lwp *l;

	if (stub_curlwp() == NULL) {
		l = stub_lwp_alloc(STUB_ID_IMPLICIT, "implicit");
		l->l_implicit = 1;
		rumpuser_curlwpop(RUMPUSER_LWP_CREATE, l);
		rumpuser_curlwpop(RUMPUSER_LWP_SET, l);
	}
	stub_cpu_take();
}

static void
stub_unschedule(void)
{
	struct lwp *l = stub_curlwp();

	stub_cpu_release();
	if (l != NULL && l->l_implicit) {
		rumpuser_curlwpop(RUMPUSER_LWP_CLEAR, l);
		rumpuser_curlwpop(RUMPUSER_LWP_DESTROY, l);
		free(l);
	}
}

static int
stub_lwproc_newlwp(pid_t pid)
{
	struct lwp *old = stub_curlwp(), *l;

	STUB_INC(stub_newlwp_calls);
	/* The kernel wants it called scheduled. */
	if (old == NULL || !old->l_have_cpu) {
		STUB_INC(stub_violations);
		return NB_EINVAL;
	}
	l = stub_lwp_alloc(STUB_ID_NEWLWP, "newlwp");
	l->l_newlwp = 1;
	l->l_pid = pid;
	rumpuser_curlwpop(RUMPUSER_LWP_CREATE, l);
	/* The CPU goes with the thread to its new lwp. */
	l->l_have_cpu = 1;
	old->l_have_cpu = 0;
	rumpuser_curlwpop(RUMPUSER_LWP_CLEAR, old);
	rumpuser_curlwpop(RUMPUSER_LWP_SET, l);
	if (old->l_implicit) {
		rumpuser_curlwpop(RUMPUSER_LWP_DESTROY, old);
		free(old);
	}
	return 0;
}

static const struct rumpuser_hyperup stub_hyp = {
	.hyp_schedule = stub_schedule,
	.hyp_unschedule = stub_unschedule,
	.hyp_backend_unschedule = stub_backend_unschedule,
	.hyp_backend_schedule = stub_backend_schedule,
	.hyp_lwproc_newlwp = stub_lwproc_newlwp,
};

static struct lwp stub_main_lwp;

/*
 * Starts the platform with ncpu virtual CPUs.  The calling thread gets a
 * stub lwp (id -1, "main") and holds a CPU afterwards, as a kernel's
 * initial thread does.  Returns what rumpuser_init() returned.
 */
static __attribute__((__unused__)) int
stub_init(int ncpu)
{
	int rv;

	stub_ncpu = ncpu;
	rv = rumpuser_init(RUMPUSER_VERSION, &stub_hyp);
	if (rv != 0)
		return rv;
	rumpuser_mutex_init(&stub_cpu_mtx, 0);
	rumpuser_cv_init(&stub_cpu_cv);
	stub_main_lwp.l_magic = STUB_LWP_MAGIC;
	stub_main_lwp.l_id = -1;
	stub_main_lwp.l_pid = -1;
	snprintf(stub_main_lwp.l_name, sizeof(stub_main_lwp.l_name), "main");
	rumpuser_curlwpop(RUMPUSER_LWP_CREATE, &stub_main_lwp);
	rumpuser_curlwpop(RUMPUSER_LWP_SET, &stub_main_lwp);
	stub_cpu_take();
	return 0;
}

static void *
stub_thread_trampoline(void *arg)
{
	struct lwp *l = arg;
	void *rv;

	if (rumpuser_curlwp() != NULL)
		STUB_INC(stub_violations);	/* a new thread starts unbound */
	rumpuser_curlwpop(RUMPUSER_LWP_SET, l);
	STUB_INC(stub_threads_started);
	stub_cpu_take();
	rv = l->l_fn(l->l_arg);
	stub_cpu_release();
	rumpuser_curlwpop(RUMPUSER_LWP_CLEAR, l);
	rumpuser_curlwpop(RUMPUSER_LWP_DESTROY, l);
	free(l);
	STUB_INC(stub_threads_done);
	return rv;
}

/*
 * Creates a thread running fn(arg) as a "kernel thread": with its own
 * stub lwp (id, name) and holding a CPU while fn runs.  0 or the error
 * of rumpuser_thread_create().
 */
static __attribute__((__unused__)) int
stub_thread_create(void *(*fn)(void *), void *arg, int id, const char *name,
    int mustjoin, void **cookie)
{
	struct lwp *l = stub_lwp_alloc(id, name);
	int error;

	l->l_fn = fn;
	l->l_arg = arg;
	l->l_mustjoin = mustjoin;
	rumpuser_curlwpop(RUMPUSER_LWP_CREATE, l);
	error = rumpuser_thread_create(stub_thread_trampoline, l, name,
	    mustjoin, -1, -1, cookie);
	if (error != 0) {
		rumpuser_curlwpop(RUMPUSER_LWP_DESTROY, l);
		free(l);
	}
	return error;
}

static __attribute__((__unused__)) void
stub_reset_counts(void)
{

	STUB_SET(stub_unsched_calls, 0);
	STUB_SET(stub_sched_calls, 0);
	STUB_SET(stub_unsched_nocpu, 0);
}

/* CPUs held right now. */
static __attribute__((__unused__)) int
stub_cpus_held(void)
{
	int n;

	rumpuser_mutex_enter_nowrap(stub_cpu_mtx);
	n = stub_cpus_busy;
	rumpuser_mutex_exit(stub_cpu_mtx);
	return n;
}

/*
 * Time on the platform's own clocks (what its sleeps are measured in;
 * under a virtual clock the host's would say nothing).
 */
static __attribute__((__unused__)) int64_t
stub_now_ns(int clk)
{
	int64_t sec;
	long nsec;

	if (rumpuser_clock_gettime(clk, &sec, &nsec) != 0) {
		fprintf(stderr, "h_hyperup: rumpuser_clock_gettime(%d) "
		    "failed\n", clk);
		abort();
	}
	return sec * 1000000000LL + nsec;
}

static __attribute__((__unused__)) int64_t
stub_mono_ns(void)
{

	return stub_now_ns(RUMPUSER_CLOCK_ABSMONO);
}

/* Relative sleep of ns nanoseconds (releases the CPU). */
static __attribute__((__unused__)) int
stub_sleep_ns(int64_t ns)
{

	return rumpuser_clock_sleep(RUMPUSER_CLOCK_RELWALL,
	    ns / 1000000000LL, (long)(ns % 1000000000LL));
}

/*
 * Failures seen by threads other than the test's main thread: ATF's
 * checks are not thread safe, so workers record the first failure here
 * and the test body reports it (STUB_REQUIRE_NO_FAILURE).
 */
static int stub_nfailures;
static char stub_failmsg[512];

static __attribute__((__unused__, __format__(__printf__, 3, 4))) void
stub_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (__atomic_add_fetch(&stub_nfailures, 1, __ATOMIC_SEQ_CST) != 1)
		return;
	n = snprintf(stub_failmsg, sizeof(stub_failmsg), "%s:%d: ", file,
	    line);
	va_start(ap, fmt);
	vsnprintf(stub_failmsg + n, sizeof(stub_failmsg) - (size_t)n, fmt, ap);
	va_end(ap);
}
#define STUB_FAIL(...)	stub_fail(__FILE__, __LINE__, __VA_ARGS__)
#define STUB_CHECK(cond, ...) do {					\
	if (!(cond))							\
		STUB_FAIL(__VA_ARGS__);					\
} while (0)
/* In the test body, after the workers are done. */
#define STUB_REQUIRE_NO_FAILURE()					\
	ATF_REQUIRE_MSG(STUB_GET(stub_nfailures) == 0,			\
	    "%d failure(s) in threads; first: %s",			\
	    STUB_GET(stub_nfailures), stub_failmsg)

#endif /* H_HYPERUP_H */
