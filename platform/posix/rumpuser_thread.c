/*
 * rumpuser_thread.c: host threads for the kernel, and the lwp bound to
 * each of them.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#include <rump/rumpuser.h>

#include "rumpuser_posix.h"

/*
 * rumpuser_curlwp() is called on nearly every kernel operation.  The
 * initial-exec model turns it into one load relative to the thread
 * pointer, even in the shared library (which must then be loaded at
 * program start or fit the host's static TLS reserve, as it easily does).
 */
static __thread struct lwp *curlwp
    __attribute__((__tls_model__("initial-exec")));

/* What a new thread needs before it runs the kernel's function. */
struct thrstart {
	void *(*fun)(void *);
	void *arg;
	char name[16];		/* Linux thread names hold 15 characters */
};

/* The thread names itself: naming it from the creator would race with a
 * detached thread that has already exited. */
static void *
thread_trampoline(void *ts0)
{
	struct thrstart ts = *(struct thrstart *)ts0;

	free(ts0);
	if (ts.name[0] != '\0')
		pthread_setname_np(pthread_self(), ts.name);
	return ts.fun(ts.arg);
}

int
rumpuser_thread_create(void *(*fun)(void *), void *arg, const char *name,
    int mustjoin, int priority, int cpuidx, void **cookie)
{
	struct timespec backoff = { 0, 10 * 1000 * 1000 };
	struct thrstart *ts;
	pthread_attr_t attr;
	pthread_t *pt;
	int error, tries;

	/* Scheduling hints: the host scheduler does better without them. */
	(void)priority;
	(void)cpuidx;

	/* The cookie must outlive this call and pthread_t need not fit in
	 * a pointer, so the handle lives on the heap until the join. */
	pt = malloc(sizeof(*pt));
	ts = malloc(sizeof(*ts));
	if (pt == NULL || ts == NULL) {
		free(pt);
		free(ts);
		return RUMPUSER__NB_ENOMEM;
	}
	ts->fun = fun;
	ts->arg = arg;
	ts->name[0] = '\0';
	if (name != NULL) {
		strncpy(ts->name, name, sizeof(ts->name) - 1);
		ts->name[sizeof(ts->name) - 1] = '\0';
	}

	error = pthread_attr_init(&attr);
	if (error != 0)
		goto fail;
	pthread_attr_setdetachstate(&attr, mustjoin ?
	    PTHREAD_CREATE_JOINABLE : PTHREAD_CREATE_DETACHED);
	/* EAGAIN is often a passing shortage (threads still exiting):
	 * a few retries spare the kernel a failure it cannot handle well. */
	for (tries = 0; tries < 10; tries++) {
		error = pthread_create(pt, &attr, thread_trampoline, ts);
		if (error != EAGAIN)
			break;
		nanosleep(&backoff, NULL);
	}
	pthread_attr_destroy(&attr);
	if (error != 0)
		goto fail;

	if (mustjoin)
		*cookie = pt;
	else
		free(pt);
	return 0;

 fail:
	free(pt);
	free(ts);
	return rumpuser__posixhost_errno_to_netbsd(error);
}

void
rumpuser_thread_exit(void)
{

	pthread_exit(NULL);
}

int
rumpuser_thread_join(void *cookie)
{
	pthread_t *pt = cookie;
	int error;

	RUMPUSER__BLOCKING(error = pthread_join(*pt, NULL));
	if (error != 0)
		return rumpuser__posixhost_errno_to_netbsd(error);
	free(pt);
	return 0;
}

void
rumpuser_curlwpop(int op, struct lwp *l)
{

	switch (op) {
	case RUMPUSER_LWP_SET:
		curlwp = l;
		break;
	case RUMPUSER_LWP_CLEAR:
		curlwp = NULL;
		break;
	case RUMPUSER_LWP_CREATE:
	case RUMPUSER_LWP_DESTROY:
		/* The thread-local binding needs no per-lwp state. */
		break;
	default:
		break;
	}
}

struct lwp *
rumpuser_curlwp(void)
{

	return curlwp;
}
