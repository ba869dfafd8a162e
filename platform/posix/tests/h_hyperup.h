/*
 * h_hyperup.h: the upcalls a test hands to rumpuser_init(), standing in
 * for a kernel.  Included (not linked) by each test program.
 *
 * It models the kernel's virtual CPUs faithfully enough to catch the bugs
 * that matter: stub_ncpu CPUs, each held by one thread at a time.  A
 * hypercall that blocks without releasing its CPU deadlocks a test that
 * needs that CPU elsewhere; one that releases a CPU it does not hold, or
 * gives back the wrong nlocks, is counted in stub_violations.
 *
 * The newlwp upcall is modelled too: it must be called holding a CPU, and
 * binds to the calling thread a stub lwp that remembers the pid asked for
 * (stub_newlwp_pid() tells whether an lwp is one of them).
 */
#ifndef H_HYPERUP_H
#define H_HYPERUP_H

#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>

#include <rump/rumpuser.h>

#define STUB_NLOCKS	42	/* what unschedule hands out, schedule wants */

static pthread_mutex_t stub_cpu_mtx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t stub_cpu_cv = PTHREAD_COND_INITIALIZER;
static int stub_ncpu = 1;
static int stub_cpus_busy;
static __thread int stub_have_cpu;

/* Statistics, updated atomically. */
static unsigned stub_unsched_calls;
static unsigned stub_sched_calls;
static unsigned stub_violations;
static unsigned stub_interlock_hits;	/* unschedules naming stub_interlock */
static void *volatile stub_interlock;

#define STUB_INC(x)	__atomic_add_fetch(&(x), 1, __ATOMIC_SEQ_CST)
#define STUB_GET(x)	__atomic_load_n(&(x), __ATOMIC_SEQ_CST)

static void
stub_cpu_take(void)
{

	pthread_mutex_lock(&stub_cpu_mtx);
	if (stub_have_cpu)
		STUB_INC(stub_violations);
	while (stub_cpus_busy >= stub_ncpu)
		pthread_cond_wait(&stub_cpu_cv, &stub_cpu_mtx);
	stub_cpus_busy++;
	stub_have_cpu = 1;
	pthread_mutex_unlock(&stub_cpu_mtx);
}

static void
stub_cpu_release(void)
{

	pthread_mutex_lock(&stub_cpu_mtx);
	if (!stub_have_cpu)
		STUB_INC(stub_violations);
	stub_cpus_busy--;
	stub_have_cpu = 0;
	pthread_cond_broadcast(&stub_cpu_cv);
	pthread_mutex_unlock(&stub_cpu_mtx);
}

static void
stub_backend_unschedule(int dummy, int *nlocks, void *interlock)
{

	if (dummy != 0)
		STUB_INC(stub_violations);
	STUB_INC(stub_unsched_calls);
	if (interlock != NULL && interlock == stub_interlock)
		STUB_INC(stub_interlock_hits);
	*nlocks = STUB_NLOCKS;
	stub_cpu_release();
}

static void
stub_backend_schedule(int nlocks, void *interlock)
{

	(void)interlock;
	if (nlocks != STUB_NLOCKS)
		STUB_INC(stub_violations);
	STUB_INC(stub_sched_calls);
	stub_cpu_take();
}

static void
stub_schedule(void)
{

	stub_cpu_take();
}

static void
stub_unschedule(void)
{

	stub_cpu_release();
}

/* The lwps made by the newlwp upcall, in the order of the calls. */
#define STUB_MAXNEWLWP	64
struct stub_newlwp {
	pid_t pid;
	pthread_t thread;	/* the thread it was bound to */
};
static struct stub_newlwp stub_newlwps[STUB_MAXNEWLWP];
static unsigned stub_newlwp_calls;

static int
stub_lwproc_newlwp(pid_t pid)
{
	unsigned i = STUB_INC(stub_newlwp_calls) - 1;

	/* The kernel wants it called scheduled. */
	if (!stub_have_cpu)
		STUB_INC(stub_violations);
	if (i >= STUB_MAXNEWLWP)
		return 12;	/* ENOMEM */
	stub_newlwps[i].pid = pid;
	stub_newlwps[i].thread = pthread_self();
	rumpuser_curlwpop(RUMPUSER_LWP_CREATE,
	    (struct lwp *)(void *)&stub_newlwps[i]);
	rumpuser_curlwpop(RUMPUSER_LWP_SET,
	    (struct lwp *)(void *)&stub_newlwps[i]);
	return 0;
}

/* The pid l was made for, if stub_lwproc_newlwp() made it; else -1. */
static __attribute__((__unused__)) pid_t
stub_newlwp_pid(const struct lwp *l)
{
	const struct stub_newlwp *nl = (const void *)l;
	unsigned n = STUB_GET(stub_newlwp_calls);

	if (n > STUB_MAXNEWLWP)
		n = STUB_MAXNEWLWP;
	if ((uintptr_t)nl < (uintptr_t)&stub_newlwps[0] ||
	    (uintptr_t)nl >= (uintptr_t)&stub_newlwps[n])
		return -1;
	/* Bound to the thread that made it, and to no other. */
	if (!pthread_equal(nl->thread, pthread_self()))
		return -1;
	return nl->pid;
}

static const struct rumpuser_hyperup stub_hyp = {
	.hyp_schedule = stub_schedule,
	.hyp_unschedule = stub_unschedule,
	.hyp_backend_unschedule = stub_backend_unschedule,
	.hyp_backend_schedule = stub_backend_schedule,
	.hyp_lwproc_newlwp = stub_lwproc_newlwp,
};

/* Starts the platform with ncpu virtual CPUs; the caller holds one. */
static __attribute__((__unused__)) int
stub_init(int ncpu)
{
	int rv;

	stub_ncpu = ncpu;
	rv = rumpuser_init(RUMPUSER_VERSION, &stub_hyp);
	stub_cpu_take();
	return rv;
}

static __attribute__((__unused__)) void
stub_reset_counts(void)
{

	__atomic_store_n(&stub_unsched_calls, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&stub_sched_calls, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&stub_interlock_hits, 0, __ATOMIC_SEQ_CST);
}

#endif /* H_HYPERUP_H */
