/*
 * rumpuser_clock.c: time and sleeping.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <rump/rumpuser.h>

#include "rumpuser_posix.h"

#define NSEC_PER_SEC	1000000000LL

int
rumpuser_clock_gettime(int clk, int64_t *sec, long *nsec)
{
	struct timespec ts;
	clockid_t id;

	switch (clk) {
	case RUMPUSER_CLOCK_RELWALL:
		id = CLOCK_REALTIME;
		break;
	case RUMPUSER_CLOCK_ABSMONO:
		id = CLOCK_MONOTONIC;
		break;
	default:
		return RUMPUSER__NB_EINVAL;
	}
	if (clock_gettime(id, &ts) == -1)
		return rumpuser__posixhost_errno_to_netbsd(errno);
	*sec = (int64_t)ts.tv_sec;
	*nsec = ts.tv_nsec;
	return 0;
}

uint64_t
rumpuser__now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void
rumpuser__timespec_norm(int64_t sec, int64_t nsec, int64_t *secp,
    long *nsecp)
{
	int64_t carry, rest;

	carry = nsec / NSEC_PER_SEC;
	rest = nsec % NSEC_PER_SEC;
	if (rest < 0) {
		rest += NSEC_PER_SEC;
		carry--;	/* cannot overflow: |carry| < 1e10 */
	}
	if (__builtin_add_overflow(sec, carry, secp))
		*secp = carry < 0 ? INT64_MIN : INT64_MAX;
	*nsecp = (long)rest;
}

int
rumpuser_clock_sleep(int clk, int64_t sec, long nsec)
{
	struct timespec ts;
	int64_t s;
	long ns;
	int nlocks, error;

	if (clk != RUMPUSER_CLOCK_RELWALL && clk != RUMPUSER_CLOCK_ABSMONO)
		return RUMPUSER__NB_EINVAL;
	/* Callers compute deadlines by arithmetic: accept a denormalised
	 * nsec rather than fail a sleep the kernel depends on. */
	rumpuser__timespec_norm(sec, nsec, &s, &ns);
	/* A relative sleep into the past is no sleep at all, nor is one
	 * until a time before the monotonic clock's start. */
	if (s < 0)
		return 0;
	/* The longest sleep the host can express: centuries at least. */
	if (s > RUMPUSER__TIME_MAX)
		s = RUMPUSER__TIME_MAX;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = ns;

	rumpuser__unschedule(&nlocks, NULL);
	if (clk == RUMPUSER_CLOCK_RELWALL) {
		/* nanosleep() leaves the rest in ts when a signal cuts the
		 * sleep short; resume with it. */
		while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
			continue;
		error = 0;
	} else {
		/* Absolute: simply restart until the deadline has passed. */
		do
			error = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME,
			    &ts, NULL);
		while (error == EINTR);
	}
	rumpuser__schedule(nlocks, NULL);
	return rumpuser__posixhost_errno_to_netbsd(error);
}
