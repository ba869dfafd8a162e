/*
 * rumpuser_shmif.c: the shared-memory bus module (rump/rumpuser_shmif.h)
 * on pthreads: a waiter blocks in poll(2) on the bus's inotify descriptor
 * with its virtual CPU released.
 */
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include <rump/rumpuser_shmif.h>

#include "rumpuser_posix.h"

struct rumpuser_shmif {
	struct rumpuser__posixhost_shmif sh;
};

int
rumpuser_shmif_map(const char *path, size_t size, void **memp,
    struct rumpuser_shmif **busp)
{
	struct rumpuser_shmif *bus;
	int error;

	bus = calloc(1, sizeof(*bus));
	if (bus == NULL)
		return RUMPUSER__NB_ENOMEM;
	RUMPUSER__BLOCKING(error = rumpuser__posixhost_shmif_map(path, size,
	    &bus->sh));
	if (error != 0) {
		free(bus);
		return error;
	}
	*memp = bus->sh.sh_mem;
	*busp = bus;
	return 0;
}

int
rumpuser_shmif_wait(struct rumpuser_shmif *bus, const volatile uint32_t *word,
    uint32_t old, uint64_t timeout_ns)
{
	struct pollfd pfd;
	int ms, rv;

	/* Consume what arrived before looking: a wakeup after the look
	 * stays queued and ends the poll at once. */
	rumpuser__posixhost_shmif_drain(&bus->sh);
	if (__atomic_load_n(word, __ATOMIC_ACQUIRE) != old)
		return 0;
	if (timeout_ns == 0)
		return RUMPUSER__NB_ETIMEDOUT;
	/* Round up: a wait never ends before its time. */
	ms = timeout_ns >= (uint64_t)1000000 * 1000000 ? 1000000 * 1000 :
	    (int)((timeout_ns + 999999) / 1000000);
	pfd.fd = bus->sh.sh_ifd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	RUMPUSER__BLOCKING(rv = poll(&pfd, 1, ms));
	if (rv == 0)
		return RUMPUSER__NB_ETIMEDOUT;
	return 0;
}

void
rumpuser_shmif_wakeup(struct rumpuser_shmif *bus)
{

	rumpuser__posixhost_shmif_ring(&bus->sh);
}

void
rumpuser_shmif_unmap(struct rumpuser_shmif *bus)
{

	rumpuser__posixhost_shmif_unmap(&bus->sh);
	free(bus);
}
