/*
 * clock.c: time, from the hypervisor's clocks.
 */
#include <kern/types.h>
#include <kern/libkern.h>
#include <kern/clock.h>
#include <kern/hyp.h>

void
getnanotime(struct timespec *ts)
{
	int64_t sec;
	long nsec;

	if (rumpuser_clock_gettime(RUMPUSER_CLOCK_RELWALL, &sec, &nsec) != 0)
		panic("wall clock unavailable");
	ts->tv_sec = sec;
	ts->tv_nsec = nsec;
}

uint64_t
getmonotonic_ns(void)
{
	int64_t sec;
	long nsec;

	if (rumpuser_clock_gettime(RUMPUSER_CLOCK_ABSMONO, &sec, &nsec) != 0)
		panic("monotonic clock unavailable");
	return (uint64_t)sec * 1000000000ULL + (uint64_t)nsec;
}
