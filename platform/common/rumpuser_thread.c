/*
 * rumpuser_thread.c: threads for the kernel, and the lwp bound to each.
 * A thread is a cooperative thread of the scheduler (scheduler.c).
 */
#include <common/types.h>

#include <rump/rumpuser.h>

#include "backend.h"
#include "rumpuser_common.h"
#include "scheduler.h"

int
rumpuser_thread_create(void *(*fun)(void *), void *arg, const char *name,
    int mustjoin, int priority, int cpuidx, void **cookie)
{
	struct thread *t;
	int error;

	/* Scheduling hints mean nothing with one host CPU. */
	(void)priority;
	(void)cpuidx;
	error = rumpuser__sched_create(fun, arg, name, mustjoin != 0, &t);
	if (error != 0)
		return error;
	if (mustjoin)
		*cookie = t;
	return 0;
}

void
rumpuser_thread_exit(void)
{

	rumpuser__sched_exit();
}

int
rumpuser_thread_join(void *cookie)
{
	int nlocks;

	rumpuser__unschedule(&nlocks, NULL);
	rumpuser__sched_join(cookie);
	rumpuser__schedule(nlocks, NULL);
	return 0;
}

/*
 * Kernels that keep curlwp in host thread-local storage cannot run here.
 * NetBSD's, built with RUMP_CURLWP=__thread (buildrump.sh's default), read
 * curlwp from a __thread variable of their own; every thread of this
 * platform runs on the one host thread and so shares that variable: the
 * kernel would see another thread's lwp (wrong descriptors, lost wakeups,
 * then a hang).  Such a kernel still binds its lwps with
 * RUMPUSER_LWP_SET, as rumpuser(3) asks, but never calls
 * rumpuser_curlwp(), which a kernel that keeps curlwp here must call to
 * know who runs.  So when a second lwp is bound while another thread
 * still has one (the first time the sharing would matter) and the kernel
 * has never asked, it is one of those: stop with the cause and the remedy
 * rather than run it wrongly.  The platform's own code reads t_lwp
 * directly and does not count as asking.
 */
static bool curlwp_asked;
static unsigned int lwps_bound;	/* threads with an lwp bound */

static void __attribute__((__noreturn__))
curlwp_in_host_tls(void)
{

	rumpuser_dprintf("rumpuser %s: the kernel keeps curlwp in host "
	    "thread-local storage: it binds lwps (rumpuser_curlwpop) but never "
	    "asks rumpuser_curlwp(), and %u threads have one bound now.\n"
	    "rumpuser %s: all threads of this platform share one host thread, "
	    "hence one TLS: that kernel would see the wrong lwp.  Build it "
	    "with curlwp from the hypercall (NetBSD/buildrump.sh: "
	    "RUMP_CURLWP=hypercall), or link it with a platform of host "
	    "threads (rumpuser-posix).\n", rumpuser__backend_name, lwps_bound,
	    rumpuser__backend_name);
	rumpuser__backend_abort();
}

void
rumpuser_curlwpop(int op, struct lwp *l)
{
	struct thread *self = rumpuser__curthread;

	switch (op) {
	case RUMPUSER_LWP_SET:
		if (self->t_lwp == NULL)
			lwps_bound++;
		self->t_lwp = l;
		if (lwps_bound > 1 && !curlwp_asked)
			curlwp_in_host_tls();
		break;
	case RUMPUSER_LWP_CLEAR:
		if (self->t_lwp != NULL)
			lwps_bound--;
		self->t_lwp = NULL;
		break;
	default:
		/* CREATE, DESTROY: the binding needs no per-lwp state. */
		break;
	}
}

struct lwp *
rumpuser_curlwp(void)
{

	curlwp_asked = true;
	return rumpuser__curthread->t_lwp;
}
