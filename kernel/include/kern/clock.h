/*
 * clock.h: time, callouts and random numbers.
 */
#ifndef KERN_CLOCK_H
#define KERN_CLOCK_H

#include <kern/types.h>

/* Wall-clock time (for file timestamps) and monotonic time. */
void	getnanotime(struct timespec *ts);
uint64_t getmonotonic_ns(void);

/*
 * Callouts: fn(arg) runs once, in a kernel thread, ns nanoseconds after
 * callout_schedule().  callout_stop() cancels a pending one (returns true
 * if it was pending); callout_halt() also waits for a running handler.
 */
struct callout {
	void	(*c_fn)(void *);
	void	*c_arg;
	uint64_t c_when;		/* monotonic deadline, ns */
	int	 c_flags;
	struct callout *c_next;
};
void	callout_init(struct callout *c, void (*fn)(void *), void *arg);
void	callout_schedule_ns(struct callout *c, uint64_t ns);
bool	callout_stop(struct callout *c);
void	callout_halt(struct callout *c);
bool	callout_pending(struct callout *c);

/* Random bytes from the hypervisor (rumpuser_getrandom), buffered. */
void	cprng_fill(void *buf, size_t len);
uint32_t cprng32(void);

#endif /* KERN_CLOCK_H */
