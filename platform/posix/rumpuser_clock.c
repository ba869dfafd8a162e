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

int
rumpuser_clock_sleep(int clk, int64_t sec, long nsec)
{
	struct timespec ts;
	int nlocks, error;

	if (clk != RUMPUSER_CLOCK_RELWALL && clk != RUMPUSER_CLOCK_ABSMONO)
		return RUMPUSER__NB_EINVAL;
	/* Callers compute deadlines by arithmetic: accept a denormalised
	 * nsec rather than fail a sleep the kernel depends on. */
	if (nsec < 0 || nsec >= 1000000000L) {
		sec += nsec / 1000000000L;
		nsec %= 1000000000L;
		if (nsec < 0) {
			nsec += 1000000000L;
			sec--;
		}
	}
	/* A relative sleep into the past is no sleep at all. */
	if (clk == RUMPUSER_CLOCK_RELWALL && sec < 0)
		return 0;
	ts.tv_sec = (time_t)sec;
	ts.tv_nsec = nsec;

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
