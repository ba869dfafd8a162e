/*
 * rumpuser_clock.c: time and sleeping, on the scheduler's clocks (virtual
 * in deterministic mode).
 */
#include <common/types.h>

#include <rump/rumpuser.h>

#include "backend.h"
#include "rumpuser_common.h"
#include "scheduler.h"

#define NSEC_PER_SEC	1000000000LL

int
rumpuser_clock_gettime(int clk, int64_t *sec, long *nsec)
{
	int64_t ns;

	rumpuser__sched_init();
	switch (clk) {
	case RUMPUSER_CLOCK_RELWALL:
		ns = rumpuser__sched_wall();
		break;
	case RUMPUSER_CLOCK_ABSMONO:
		ns = (int64_t)rumpuser__sched_now();
		break;
	default:
		return NB_EINVAL;
	}
	/* Floor division: a wall clock before 1970 still has 0 <= nsec. */
	*sec = ns / NSEC_PER_SEC;
	*nsec = (long)(ns % NSEC_PER_SEC);
	if (*nsec < 0) {
		*nsec += NSEC_PER_SEC;
		(*sec)--;
	}
	return 0;
}

/* sec + nsec as nanoseconds, saturating; callers compute deadlines by
 * arithmetic, so a denormalised nsec (of any size) is accepted. */
int64_t
rumpuser__timespec_ns(int64_t sec, int64_t nsec)
{
	int64_t ns;

	if (__builtin_mul_overflow(sec, NSEC_PER_SEC, &ns))
		return sec < 0 ? -INT64_MAX : INT64_MAX;
	if (__builtin_add_overflow(ns, nsec, &ns))
		return nsec < 0 ? -INT64_MAX : INT64_MAX;
	return ns;
}

int
rumpuser_clock_sleep(int clk, int64_t sec, long nsec)
{
	uint64_t deadline;
	int64_t ns;
	int nlocks;

	rumpuser__sched_init();
	ns = rumpuser__timespec_ns(sec, nsec);
	switch (clk) {
	case RUMPUSER_CLOCK_RELWALL:
		/* A sleep into the past is still a yield: cooperative
		 * threads that poll must let the others run. */
		deadline = rumpuser__sched_deadline(ns);
		break;
	case RUMPUSER_CLOCK_ABSMONO:
		deadline = ns <= 0 ? 0 : (uint64_t)ns;
		break;
	default:
		return NB_EINVAL;
	}
	rumpuser__unschedule(&nlocks, NULL);
	rumpuser__sched_sleep_until(deadline);
	rumpuser__schedule(nlocks, NULL);
	return 0;
}
