/*
 * qsbr.h: freeing memory that readers without locks may still be
 * looking at (quiescent-state-based reclamation).
 *
 * Some hot paths read shared structures without taking a lock or a
 * reference: a path lookup walks through "/" and a mount point on every
 * call from every thread, and each lock or count it changed there was a
 * cache line moved between the host's cores (bench_scale).  Such a
 * reader is safe as long as what it reads is not freed under it.  The
 * writer unlinks the object (no new reader can find it) and hands it to
 * qsbr_retire() instead of freeing it; the object is freed once every
 * virtual CPU has passed a quiescent state since, that is, has been let
 * go by its holder (rump_unschedule, or a sleep in a blocking
 * hypercall).
 *
 * The reader's side costs nothing: it must hold a virtual CPU and not
 * give it up between reading a pointer and its last use of the object:
 * no sleeping lock (mutex_tryenter only), no blocking hypercall.
 *
 * Retired objects wait in lists of the retiring CPU, so retiring writes
 * no shared line either; a list is checked against the other CPUs'
 * release counters every few retirements and releases.
 */
#ifndef KERN_QSBR_H
#define KERN_QSBR_H

#include <kern/types.h>

struct qsbr_entry {
	struct qsbr_entry	*qe_next;
	void			(*qe_free)(struct qsbr_entry *);
};

/* Calls free(e) (holding a CPU) once no lockless reader can still see
 * the object that e is part of.  The caller holds a virtual CPU and has
 * already made the object unreachable. */
void	qsbr_retire(struct qsbr_entry *e, void (*free)(struct qsbr_entry *));

/* Waits until every lockless reader running at the call has finished:
 * every other virtual CPU held then has been released since.  What the
 * caller stored before the call is seen by every reader after it.  The
 * caller holds a CPU and may sleep (it gives its CPU up while it
 * waits). */
void	qsbr_synchronize(void);

/* How many retired objects wait (all CPUs; a moment's view). */
unsigned qsbr_pending(void);

#endif /* KERN_QSBR_H */
