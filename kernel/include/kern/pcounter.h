/*
 * pcounter.h: counters kept per virtual CPU.
 *
 * A count bumped on a hot path by threads on different CPUs (buffer
 * cache hits, directory block reads, kernel memory in use) would, as
 * one shared word, move its cache line between the host's cores at
 * every update: with two threads on ext2, the buffer cache's hit
 * counter alone took a tenth of the time (bench_scale).  A pcounter
 * has a slot per virtual CPU, each on its own cache line.  The holder
 * of a CPU adds to that CPU's slot with a plain load and store (only it
 * writes there, and it cannot lose the CPU in between); code running
 * without a CPU (boot, host threads) adds to one shared slot
 * atomically.  A reader sums the slots: exact when nobody is adding, a
 * moment's approximation otherwise.  A slot may go negative (memory
 * freed on another CPU than it was allocated on); the sum does not.
 */
#ifndef KERN_PCOUNTER_H
#define KERN_PCOUNTER_H

#include <kern/types.h>

/* One slot per possible virtual CPU (RUMP_NCPU is at most this), and
 * the shared one. */
#define PCOUNTER_CPUS	64

/* Padded, not aligned, to a cache line: slots 64 bytes apart never
 * share one, and a pcounter inside a kmem_alloc'd structure needs no
 * more than the allocator's natural alignment. */
struct pcounter_slot {
	int64_t		 ps_value;
	char		 ps_pad[64 - sizeof(int64_t)];
};

/* The leading pad keeps slot 0 off the line of whatever precedes the
 * pcounter in a structure (bench_scale: the buffer cache's reads of a
 * device's size, beside slot 0, missed at every hit). */
struct pcounter {
	char		 pc_pad[64];
	struct pcounter_slot pc_slot[PCOUNTER_CPUS + 1];
};

/* A pcounter starts at zero when zero-filled (static, kmem_zalloc). */
void	 pcounter_add(struct pcounter *pc, int64_t delta);
int64_t	 pcounter_read(const struct pcounter *pc);

#endif /* KERN_PCOUNTER_H */
