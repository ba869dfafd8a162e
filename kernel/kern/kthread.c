/*
 * kthread.c: kernel threads, each a host thread running as an lwp of
 * proc0; and kpause.
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/libkern.h>
#include <kern/kmem.h>
#include <kern/proc.h>
#include <kern/hyp.h>
#include <rump/rump.h>

#include "kern_private.h"

struct kthread {
	void		(*kt_fn)(void *);
	void		*kt_arg;
	struct lwp	*kt_lwp;
	void		*kt_cookie;	/* for rumpuser_thread_join */
	bool		 kt_join;
};

static void *
kthread_start(void *arg)
{
	struct kthread *kt = arg;
	bool join = kt->kt_join;

	rumpuser_curlwpop(RUMPUSER_LWP_SET, kt->kt_lwp);
	rump_schedule();
	kt->kt_fn(kt->kt_arg);
	rump_lwproc_releaselwp();
	/* A joinable thread's record belongs to its joiner; any other
	 * thread is the last to use its own. */
	if (!join)
		kmem_free(kt, sizeof(*kt));
	rump_unschedule();
	rumpuser_thread_exit();
}

int
kthread_create(void (*fn)(void *), void *arg, const char *name, bool join,
    struct kthread **ktp)
{
	struct kthread *kt;
	void *cookie = NULL;
	int error;

	kt = kmem_zalloc(sizeof(*kt), KM_SLEEP);
	if (kt == NULL)
		return ENOMEM;
	kt->kt_fn = fn;
	kt->kt_arg = arg;
	kt->kt_join = join;
	kt->kt_lwp = lwp_create(&proc0, LW_SYSTEM);
	if (kt->kt_lwp == NULL) {
		kmem_free(kt, sizeof(*kt));
		return ENOMEM;
	}
	/* A detached thread may be gone (kt freed) by the time this
	 * returns, so the cookie goes to a local first. */
	error = rumpuser_thread_create(kthread_start, kt, name, join, -1, -1,
	    &cookie);
	if (error != 0) {
		lwp_destroy(kt->kt_lwp);
		kmem_free(kt, sizeof(*kt));
		return hyp_errno(error);
	}
	if (join) {
		kt->kt_cookie = cookie;
		if (ktp != NULL)
			*ktp = kt;
	} else if (ktp != NULL) {
		*ktp = NULL;
	}
	return 0;
}

void
kthread_join(struct kthread *kt)
{
	int error;

	KASSERT(kt != NULL && kt->kt_join);
	/* The hypercall gives up the CPU while it waits. */
	error = rumpuser_thread_join(kt->kt_cookie);
	if (error != 0)
		panic("kthread_join: error %d", hyp_errno(error));
	kmem_free(kt, sizeof(*kt));
}

void
kpause_ns(uint64_t ns)
{

	rumpuser_clock_sleep(RUMPUSER_CLOCK_RELWALL,
	    (int64_t)(ns / 1000000000ULL), (long)(ns % 1000000000ULL));
}
