/*
 * fiber_clock.c: the host's clocks.
 */
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "fiber.h"

static int64_t
clock_ns(clockid_t id)
{
	struct timespec ts;

	/* Fails only for a clock the host lacks, which these are not. */
	if (clock_gettime(id, &ts) == -1)
		abort();
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

uint64_t
rumpuser__backend_clock_monotonic(void)
{

	return (uint64_t)clock_ns(CLOCK_MONOTONIC);
}

int64_t
rumpuser__backend_clock_wall(void)
{

	return clock_ns(CLOCK_REALTIME);
}
