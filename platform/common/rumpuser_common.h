/*
 * rumpuser_common.h: private interfaces shared by the files of
 * platform/common's rumpuser(3) implementation.  Never installed.
 *
 * Internal symbols use the rumpuser__ prefix (two underscores: never a
 * hypercall's name) and hidden visibility, so that a shared library
 * exports exactly the rumpuser(3) interface.
 */
#ifndef RUMPUSER_COMMON_H
#define RUMPUSER_COMMON_H

#include <common/types.h>
#include <common/string.h>

#include <rump/rumpuser.h>

#include "backend.h"
#include "scheduler.h"

/* A copy of the upcalls given to rumpuser_init(); all NULL before it. */
extern struct rumpuser_hyperup rumpuser__hyp RUMPUSER__HIDDEN;

/*
 * Release the rump virtual CPU before a thread blocks (lets other threads
 * run), take it back after.  Before rumpuser_init() there is no kernel
 * and so no CPU, which lets the platform be used (and tested) on its own.
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

/* NetBSD errno values platform/common returns itself. */
#define NB_ENOENT	2
#define NB_EIO		5
#define NB_E2BIG	7
#define NB_ENOMEM	12
#define NB_EBUSY	16
#define NB_EINVAL	22
#define NB_ETIMEDOUT	60

/* printf-like formatting into buf (always terminated when size > 0);
 * returns the length the whole output would have had. */
int rumpuser__vformat(char *buf, size_t size, const char *fmt, va_list ap)
    RUMPUSER__HIDDEN;
int rumpuser__format(char *buf, size_t size, const char *fmt, ...)
    RUMPUSER__HIDDEN __attribute__((__format__(__printf__, 3, 4)));

/* Prints "rumpuser <backend>: fatal: <message>" and aborts: for misuse
 * that a void hypercall cannot report. */
void rumpuser__fatal(const char *fmt, ...)
    RUMPUSER__HIDDEN __attribute__((__noreturn__, __format__(__printf__, 1, 2)));

/* The thread holding mtx (a struct rumpuser_mtx), or NULL: for the
 * deadlock report. */
struct thread *rumpuser__mutex_holder(const void *mtx) RUMPUSER__HIDDEN;

/* sec + nsec in nanoseconds, saturating at +-INT64_MAX; nsec may be
 * denormalised (negative, or a second or more). */
int64_t rumpuser__timespec_ns(int64_t sec, int64_t nsec) RUMPUSER__HIDDEN;

/* A numeric parameter from the backend (decimal, with an optional k, m or
 * g multiplier); def when unset or malformed. */
uint64_t rumpuser__param_number(const char *name, uint64_t def)
    RUMPUSER__HIDDEN;

#endif /* RUMPUSER_COMMON_H */
