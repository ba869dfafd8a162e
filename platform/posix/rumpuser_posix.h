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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <rump/rumpuser.h>

/* Host code shared with platform/fiber: errno and signal translation,
 * files, the host process, parameters, entropy (RUMPUSER__HIDDEN and the
 * RUMPUSER__NB_* errno values too). */
#include "posixhost.h"

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
 * sec + nsec as a normalised time (0 <= *nsecp < 1e9) in *secp, saturating
 * at INT64_MIN/INT64_MAX seconds rather than overflowing: callers compute
 * times by arithmetic, so nsec may be denormalised (negative, or a second
 * or more) and either value may be huge.
 */
void rumpuser__timespec_norm(int64_t sec, int64_t nsec, int64_t *secp,
    long *nsecp) RUMPUSER__HIDDEN;

/* The largest time_t, to clamp seconds to before handing them to the
 * host (a 32-bit time_t would truncate them). */
#define RUMPUSER__TIME_MAX						\
	(sizeof(time_t) >= sizeof(int64_t) ? INT64_MAX : (int64_t)INT32_MAX)

/* Does nothing; rumpuser_init() calls it so that the sysproxy server
 * (rumpuser_sp.c), which the kernel references only weakly, is linked
 * into every program of this platform. */
void rumpuser__sp_link(void) RUMPUSER__HIDDEN;

/* Reads RUMP_CV_SPIN_US (rumpuser_sync.c); rumpuser_init() calls it. */
void rumpuser__sync_init(void) RUMPUSER__HIDDEN;
/* The host's monotonic clock in nanoseconds (rumpuser_clock.c). */
uint64_t rumpuser__now_ns(void) RUMPUSER__HIDDEN;
/* Whether a thread about to sleep for work that may come within
 * microseconds polls for it first (RUMP_CV_SPIN_US is not 0), and the
 * poll: *word is read, yielding the host CPU at every turn, for up to
 * RUMP_CV_SPIN_US or until it differs from seen; true if it did.  The
 * condition variables and the block I/O workers both use it. */
bool rumpuser__spin_enabled(void) RUMPUSER__HIDDEN;
bool rumpuser__spin_for_change(const unsigned int *word, unsigned int seen)
    RUMPUSER__HIDDEN;

/* Prints a diagnostic to stderr and aborts: for "void never fails". */
void rumpuser__fatal(const char *what, int hosterror)
    RUMPUSER__HIDDEN __attribute__((__noreturn__));

#endif /* RUMPUSER_POSIX_H */
