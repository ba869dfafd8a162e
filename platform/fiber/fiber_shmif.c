/*
 * fiber_shmif.c: the shared-memory bus module (rump/rumpuser_shmif.h) on
 * the fiber platform.  The bus file's change notification (an inotify
 * descriptor, posixhost_shmif.c) is watched by the event loop; a waiting
 * thread sleeps on a condition variable in the scheduler, and the watch
 * handler wakes it once the word it waits on has changed, so the host
 * thread never blocks on the bus, and notifications meant for other
 * stations of the bus do not wake it.  A spin time is ignored: spinning
 * would stop this host thread's other threads.
 */
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <rump/rumpuser_shmif.h>

#include "fiber.h"

struct rumpuser_shmif {
	struct rumpuser__posixhost_shmif sh;
	struct rumpuser_mtx	*mtx;
	struct rumpuser_cv	*cv;
	/* The wait in progress (one thread per bus handle waits). */
	const volatile uint32_t	*word;
	uint32_t		 old;
};

/* From the event loop: consume the notification, wake the waiter if its
 * word changed.  It must drain, or the descriptor would stay readable
 * and the loop would call this again and again. */
static void
shmif_event(void *arg, int revents)
{
	struct rumpuser_shmif *bus = arg;

	(void)revents;
	rumpuser__posixhost_shmif_drain(&bus->sh);
	if (bus->word != NULL &&
	    __atomic_load_n(bus->word, __ATOMIC_ACQUIRE) != bus->old)
		rumpuser_cv_broadcast(bus->cv);
}

int
rumpuser_shmif_map(const char *path, size_t size, void **memp,
    struct rumpuser_shmif **busp)
{
	struct rumpuser_shmif *bus;
	int error;

	bus = calloc(1, sizeof(*bus));
	if (bus == NULL)
		return RUMPUSER__NB_ENOMEM;
	error = rumpuser__posixhost_shmif_map(path, size, 1, &bus->sh);
	if (error != 0) {
		free(bus);
		return error;
	}
	error = rumpuser__fiber_watch_fd(bus->sh.sh_ifd, POLLIN, shmif_event,
	    bus);
	if (error != 0) {
		rumpuser__posixhost_shmif_unmap(&bus->sh);
		free(bus);
		return error;
	}
	rumpuser_mutex_init(&bus->mtx, 0);
	rumpuser_cv_init(&bus->cv);
	*memp = bus->sh.sh_mem;
	*busp = bus;
	return 0;
}

int
rumpuser_shmif_wait(struct rumpuser_shmif *bus, const volatile uint32_t *word,
    uint32_t old, uint64_t spin_ns, uint64_t timeout_ns)
{
	int error;

	(void)spin_ns;
	rumpuser__posixhost_shmif_drain(&bus->sh);
	if (__atomic_load_n(word, __ATOMIC_ACQUIRE) != old)
		return 0;
	if (timeout_ns == 0)
		return RUMPUSER__NB_ETIMEDOUT;
	/* No other thread runs between the look above and the sleep
	 * below (threads switch only when one blocks), so the handler
	 * cannot slip in between. */
	bus->word = word;
	bus->old = old;
	rumpuser_mutex_enter_nowrap(bus->mtx);
	error = rumpuser_cv_timedwait(bus->cv, bus->mtx,
	    (int64_t)(timeout_ns / 1000000000),
	    (int64_t)(timeout_ns % 1000000000));
	rumpuser_mutex_exit(bus->mtx);
	bus->word = NULL;
	return error;
}

void
rumpuser_shmif_wake(struct rumpuser_shmif *bus, volatile uint32_t *word)
{

	rumpuser__posixhost_shmif_wake(&bus->sh, word);
}

void
rumpuser_shmif_unmap(struct rumpuser_shmif *bus)
{

	rumpuser__fiber_unwatch_fd(bus->sh.sh_ifd);
	rumpuser_cv_destroy(bus->cv);
	rumpuser_mutex_destroy(bus->mtx);
	rumpuser__posixhost_shmif_unmap(&bus->sh);
	free(bus);
}
