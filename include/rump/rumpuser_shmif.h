/*
 * rumpuser_shmif.h: the shared-memory bus hypercall module.
 *
 * The shmif network interface (librumpnet_shmif) is an Ethernet segment
 * kept in a file that every kernel on the segment maps: frames are
 * written into a ring in the shared memory, and readers are woken by a
 * change notification.  No privileges are needed: any processes that can
 * open the same file share a network.  The layout of the memory is the
 * kernel's business (kernel/net/shmif/shmif_bus.h); this module only
 * provides what the kernel cannot do itself: mapping a host file, and
 * sleeping until another process says something changed.
 *
 * Implemented by platform/posix (the waiting thread blocks in poll(2),
 * its virtual CPU released) and platform/fiber (the waiting thread sleeps
 * in the scheduler while the event loop watches the notification
 * descriptor, so the host thread never blocks).  A bare-metal platform
 * would implement it over memory shared with its hypervisor, or not at
 * all and back an Ethernet interface with virtio-net instead; a kernel
 * component that needs this module links only with a platform that has
 * it.
 *
 * Conventions as rumpuser.h: errors are NetBSD errno values, the header
 * includes nothing (include <stdint.h> and <stddef.h>, or the kernel's
 * kern/types.h, first), and a call that blocks releases the caller's
 * virtual CPU while it blocks.
 */
#ifndef RUMP_RUMPUSER_SHMIF_H
#define RUMP_RUMPUSER_SHMIF_H

#define RUMPUSER_SHMIF_VERSION	1

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
 * Sleeps while *word (a 32-bit word inside the mapping) equals old, until
 * rumpuser_shmif_wakeup() is called on the same file by any process, or
 * timeout_ns nanoseconds pass (0: return at once).  Notifications sent
 * since the previous wait are not lost: a wakeup that came after the
 * caller last looked ends the wait at once.  Spurious returns are
 * allowed: callers look again.
 * Returns 0 (word changed or woken) or ETIMEDOUT (60).
 */
int	rumpuser_shmif_wait(struct rumpuser_shmif *bus,
	    const volatile uint32_t *word, uint32_t old, uint64_t timeout_ns);

/* Wakes every process sleeping in rumpuser_shmif_wait() on this file.
 * Never blocks for long; never fails. */
void	rumpuser_shmif_wakeup(struct rumpuser_shmif *bus);

/* Unmaps the bus and releases the handle; the file stays. */
void	rumpuser_shmif_unmap(struct rumpuser_shmif *bus);

#endif /* RUMP_RUMPUSER_SHMIF_H */
