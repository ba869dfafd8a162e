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

void
rumpuser_curlwpop(int op, struct lwp *l)
{

	switch (op) {
	case RUMPUSER_LWP_SET:
		rumpuser__curthread->t_lwp = l;
		break;
	case RUMPUSER_LWP_CLEAR:
		rumpuser__curthread->t_lwp = NULL;
		break;
	default:
		/* CREATE, DESTROY: the binding needs no per-lwp state. */
		break;
	}
}

struct lwp *
rumpuser_curlwp(void)
{

	return rumpuser__curthread->t_lwp;
}
