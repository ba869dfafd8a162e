/*
 * fiber_wait.c: the scheduler's idle wait: I/O completions and device
 * events with a timeout to the next deadline, in one ppoll().
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "fiber.h"

struct watch {
	int			 fd;
	int			 events;
	rumpuser__fiber_fdfn	 fn;
	void			*arg;
};

static struct watch *watches;
static size_t nwatches, maxwatches;

/* The descriptor set of one wait.  Rebuilt, and only grown, at the start
 * of a wait, so that handlers may watch and unwatch while it is in use. */
static struct pollfd *pollfds;
static size_t maxpollfds;

int
rumpuser__fiber_watch_fd(int fd, int events, rumpuser__fiber_fdfn fn,
    void *arg)
{
	struct watch *w;
	size_t i, max;

	for (i = 0; i < nwatches; i++)
		if (watches[i].fd == fd)
			return RUMPUSER__NB_EINVAL;
	if (nwatches == maxwatches) {
		max = maxwatches != 0 ? 2 * maxwatches : 8;
		w = realloc(watches, max * sizeof(*w));
		if (w == NULL)
			return RUMPUSER__NB_ENOMEM;
		watches = w;
		maxwatches = max;
	}
	watches[nwatches++] = (struct watch){ fd, events, fn, arg };
	return 0;
}

void
rumpuser__fiber_unwatch_fd(int fd)
{
	size_t i;

	for (i = 0; i < nwatches; i++) {
		if (watches[i].fd == fd) {
			watches[i] = watches[--nwatches];
			return;
		}
	}
}

static struct timespec
ns_to_timespec(uint64_t ns)
{

	return (struct timespec){ .tv_sec = (time_t)(ns / 1000000000),
	    .tv_nsec = (long)(ns % 1000000000) };
}

static void
sleep_until(uint64_t deadline)
{
	struct timespec ts = ns_to_timespec(deadline);

	/* An early return (a signal) is allowed: the caller loops. */
	(void)clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

/* The handler watching fd, or NULL if it was unwatched meanwhile. */
static struct watch *
watch_of(int fd)
{
	size_t i;

	for (i = 0; i < nwatches; i++)
		if (watches[i].fd == fd)
			return &watches[i];
	return NULL;
}

int
rumpuser__backend_wait(uint64_t deadline)
{
	struct timespec ts, *tsp = NULL;
	struct pollfd *pfd;
	struct watch *w;
	uint64_t now;
	size_t i, nfds = 0;
	int ringfd;

	/* What has arrived needs no waiting: deliver it, and only look at
	 * the devices too. */
	if (rumpuser__fiber_io_reap() > 0)
		deadline = 0;
	ringfd = rumpuser__fiber_io_pollfd();
	if (ringfd == -1 && nwatches == 0) {
		if (deadline == RUMPUSER__FOREVER)
			return RUMPUSER__WAIT_NOTHING;
		if (deadline > rumpuser__backend_clock_monotonic())
			sleep_until(deadline);
		return 0;
	}

	if (maxpollfds < nwatches + 1) {
		pfd = realloc(pollfds, (nwatches + 1) * sizeof(*pfd));
		if (pfd == NULL) {
			/* Try again later; time passes meanwhile. */
			sleep_until(rumpuser__backend_clock_monotonic() +
			    1000000);
			return 0;
		}
		pollfds = pfd;
		maxpollfds = nwatches + 1;
	}
	if (ringfd != -1)
		pollfds[nfds++] = (struct pollfd){ ringfd, POLLIN, 0 };
	for (i = 0; i < nwatches; i++)
		pollfds[nfds++] = (struct pollfd){ watches[i].fd,
		    (short)watches[i].events, 0 };
	if (deadline != RUMPUSER__FOREVER) {
		now = rumpuser__backend_clock_monotonic();
		ts = ns_to_timespec(deadline > now ? deadline - now : 0);
		tsp = &ts;
	}
	if (ppoll(pollfds, nfds, tsp, NULL) <= 0)
		return 0;

	rumpuser__fiber_io_reap();
	for (i = ringfd != -1 ? 1 : 0; i < nfds; i++) {
		if (pollfds[i].revents == 0)
			continue;
		if ((w = watch_of(pollfds[i].fd)) != NULL)
			w->fn(w->arg, pollfds[i].revents);
	}
	return 0;
}
