/*
 * rumpuser_shmif.h: the shared-memory bus hypercall module.
 *
 * The shmif network interface (librumpnet_shmif) is an Ethernet segment
 * kept in a file that every kernel on the segment maps: frames are
 * written into a ring in the shared memory, and a reader with nothing to
 * read sleeps on a 32-bit word of the mapping (its doorbell) until a
 * writer changes the word and wakes it.  No privileges are needed: any
 * processes that can open the same file share a network.  The layout of
 * the memory is the kernel's business (kernel/net/shmif/shmif_bus.h);
 * this module only provides what the kernel cannot do itself: mapping a
 * host file, and sleeping on a word of it until another process (or
 * thread) says it changed.  The calls name the word, so a kernel wakes
 * exactly the stations it means to, and never itself.
 *
 * Implemented by platform/posix (a futex on the shared mapping: the
 * waiter may spin briefly first, then blocks in futex(2) with its virtual
 * CPU released) and platform/fiber (the waiting thread sleeps in the
 * scheduler while the event loop watches a change notification of the
 * file, so the host thread never blocks).  Both kinds of waiter may
 * share one bus: a wake reaches either.  A bare-metal platform would
 * implement it over memory shared with its hypervisor, or not at all and
 * back an Ethernet interface with virtio-net instead (the kernel side
 * then is a different driver: nothing here is Ethernet-specific); a
 * kernel component that needs this module links only with a platform
 * that has it.
 *
 * Conventions as rumpuser.h: errors are NetBSD errno values, the header
 * includes nothing (include <stdint.h> and <stddef.h>, or the kernel's
 * kern/types.h, first), and a call that blocks releases the caller's
 * virtual CPU while it blocks.
 */
#ifndef RUMP_RUMPUSER_SHMIF_H
#define RUMP_RUMPUSER_SHMIF_H

#define RUMPUSER_SHMIF_VERSION	2

struct rumpuser_shmif;

/*
 * Opens the bus file at path (host path; created with mode 0644 when
 * missing), makes it at least size bytes long (never shrinks it: the
 * first kernel decides the size, later ones should ask for the same),
 * maps size bytes of it shared, readable and writable, and arms the
 * change notification.  Newly created bytes read as zero.  *memp gets
 * the mapping (page aligned), *busp the handle for the calls below.
 * Returns 0, or ENOENT/EACCES/... from the host, ENOMEM.
 */
int	rumpuser_shmif_map(const char *path, size_t size, void **memp,
	    struct rumpuser_shmif **busp);

/*
 * Sleeps while *word (a naturally aligned 32-bit word inside the
 * mapping) equals old, until rumpuser_shmif_wake() is called on the same
 * word by any process or thread, or timeout_ns nanoseconds pass (0:
 * return at once).  A wake that comes after the caller read old is not
 * lost: if the waker changed *word first (it must), the wait ends.
 * Spurious returns are allowed: callers look again.
 *
 * spin_ns: the caller expects the word to change soon; the platform may
 * first poll the word for up to that long without giving up the host
 * CPU (posix does, with the virtual CPU released; fiber does not: its
 * one host thread has other threads to run).  0: no polling.
 * Returns 0 (word changed or woken) or ETIMEDOUT (60).
 */
int	rumpuser_shmif_wait(struct rumpuser_shmif *bus,
	    const volatile uint32_t *word, uint32_t old, uint64_t spin_ns,
	    uint64_t timeout_ns);

/*
 * Wakes every thread, of any process, sleeping in rumpuser_shmif_wait()
 * on word.  The caller changes *word before calling.  Never blocks for
 * long; never fails.
 */
void	rumpuser_shmif_wake(struct rumpuser_shmif *bus,
	    volatile uint32_t *word);

/* Unmaps the bus and releases the handle; the file stays. */
void	rumpuser_shmif_unmap(struct rumpuser_shmif *bus);

#endif /* RUMP_RUMPUSER_SHMIF_H */
