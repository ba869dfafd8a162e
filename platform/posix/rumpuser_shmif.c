/*
 * rumpuser_shmif.c: the shared-memory bus module (rump/rumpuser_shmif.h)
 * on pthreads: a waiter polls the word for at most the spin time the
 * kernel asked for, then blocks in futex(2) on it; both with its virtual
 * CPU released.
 */
#include <errno.h>
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
	/* Waiters here use the futex: no notification to watch. */
	RUMPUSER__BLOCKING(error = rumpuser__posixhost_shmif_map(path, size, 0,
	    &bus->sh));
	if (error != 0) {
		free(bus);
		return error;
	}
	*memp = bus->sh.sh_mem;
	*busp = bus;
	return 0;
}

static inline void
cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

/* Polls *word for a change for at most spin_ns: true if it changed. */
static int
spin(const volatile uint32_t *word, uint32_t old, uint64_t spin_ns)
{
	uint64_t end = rumpuser__now_ns() + spin_ns;
	unsigned int i;

	for (;;) {
		/* Look often, ask the clock seldom. */
		for (i = 0; i < 64; i++) {
			if (__atomic_load_n(word, __ATOMIC_ACQUIRE) != old)
				return 1;
			cpu_relax();
		}
		if (rumpuser__now_ns() >= end)
			return 0;
	}
}

int
rumpuser_shmif_wait(struct rumpuser_shmif *bus, const volatile uint32_t *word,
    uint32_t old, uint64_t spin_ns, uint64_t timeout_ns)
{
	int rv = 0;

	(void)bus;
	if (__atomic_load_n(word, __ATOMIC_ACQUIRE) != old)
		return 0;
	if (spin_ns == 0 && timeout_ns == 0)
		return RUMPUSER__NB_ETIMEDOUT;
	RUMPUSER__BLOCKING(
		if (spin_ns > 0 && spin(word, old, spin_ns))
			rv = 0;
		else if (timeout_ns == 0)
			rv = RUMPUSER__NB_ETIMEDOUT;
		else
			rv = rumpuser__posixhost_shmif_futex_wait(word, old,
			    timeout_ns));
	return rv;
}

void
rumpuser_shmif_wake(struct rumpuser_shmif *bus, volatile uint32_t *word)
{

	rumpuser__posixhost_shmif_wake(&bus->sh, word);
}

void
rumpuser_shmif_unmap(struct rumpuser_shmif *bus)
{

	rumpuser__posixhost_shmif_unmap(&bus->sh);
	free(bus);
}
