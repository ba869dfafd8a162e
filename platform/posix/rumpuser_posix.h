/*
 * rumpuser_posix.h: private interfaces shared by the files of the POSIX
 * platform (librumpuser-posix).  Never installed.
 *
 * Internal symbols use the rumpuser__ prefix (two underscores, so they can
 * never clash with a hypercall name) and hidden visibility, so that the
 * shared library exports exactly the rumpuser(3) interface.
 */
#ifndef RUMPUSER_POSIX_H
#define RUMPUSER_POSIX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <rump/rumpuser.h>

#define RUMPUSER__HIDDEN __attribute__((__visibility__("hidden")))

/* A copy of the upcalls given to rumpuser_init(); all NULL before it. */
extern struct rumpuser_hyperup rumpuser__hyp RUMPUSER__HIDDEN;

/*
 * Release the rump virtual CPU around a host call that may block.  Before
 * rumpuser_init() there is no kernel and so no CPU to release, which lets
 * the platform be used (and tested) on its own.
 */
static inline void
rumpuser__unschedule(int *nlocks, void *interlock)
{
	*nlocks = 0;
	if (rumpuser__hyp.hyp_backend_unschedule != NULL)
		rumpuser__hyp.hyp_backend_unschedule(0, nlocks, interlock);
}

static inline void
rumpuser__schedule(int nlocks, void *interlock)
{
	if (rumpuser__hyp.hyp_backend_schedule != NULL)
		rumpuser__hyp.hyp_backend_schedule(nlocks, interlock);
}

/* Evaluates stmt (a blocking host call) without holding the rump CPU. */
#define RUMPUSER__BLOCKING(stmt) do {					\
	int rumpuser__nlocks;						\
	rumpuser__unschedule(&rumpuser__nlocks, NULL);			\
	stmt;								\
	rumpuser__schedule(rumpuser__nlocks, NULL);			\
} while (0)

/*
 * Translation between host and NetBSD numbering (rumpuser_errno.c, the only
 * place that knows both).  Host errors without a NetBSD equivalent become
 * NetBSD EIO; NetBSD errors without a host equivalent become host EIO.
 * Signals without an equivalent translate to -1.
 */
int rumpuser__errtrans(int hosterror) RUMPUSER__HIDDEN;
int rumpuser__errno_to_host(int nberror) RUMPUSER__HIDDEN;
int rumpuser__sig_to_host(int nbsig) RUMPUSER__HIDDEN;

/* NetBSD errno values the platform returns itself. */
#define RUMPUSER__NB_ENOENT	2
#define RUMPUSER__NB_EIO	5
#define RUMPUSER__NB_E2BIG	7
#define RUMPUSER__NB_ENOMEM	12
#define RUMPUSER__NB_EBUSY	16
#define RUMPUSER__NB_EINVAL	22
#define RUMPUSER__NB_EAGAIN	35
#define RUMPUSER__NB_ETIMEDOUT	60

/* Prints a diagnostic to stderr and aborts: for "void never fails". */
void rumpuser__fatal(const char *what, int hosterror)
    RUMPUSER__HIDDEN __attribute__((__noreturn__));

#endif /* RUMPUSER_POSIX_H */
