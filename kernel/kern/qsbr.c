/*
 * qsbr.c: quiescent-state-based reclamation (contract in <kern/qsbr.h>).
 *
 * Each virtual CPU counts its releases (scheduler.c, vc_gen).  A batch
 * of retired objects is closed with a snapshot of every CPU: free, or
 * held at release count g.  The batch may be freed once every CPU held
 * at the snapshot has a release count other than g: whoever read a
 * pointer to one of its objects before it was unlinked has let its CPU
 * go since.  A CPU free at the snapshot needs no wait: a thread that
 * takes it afterwards takes it after the unlinking (the snapshot's
 * fence against the taker's compare-and-swap) and cannot find them.
 *
 * Per CPU there is one open batch (pending) and one closed batch
 * (waiting, with its snapshot); only the CPU's holder touches them.
 */
#include <kern/types.h>
#include <kern/qsbr.h>
#include <kern/libkern.h>
#include <kern/proc.h>

#include "kern_private.h"

/* Retirements that close a batch; and every so many releases of a CPU
 * with retired objects, a look whether its batch can go. */
#define QSBR_BATCH		64
#define QSBR_POLL_RELEASES	64
/* qsbr_synchronize's sleep between looks: readers hold a CPU for one
 * system call. */
#define QSBR_SYNC_PAUSE_NS	20000

/* At a snapshot: CPU i was held (bit) at release count snap[i]. */
struct qsbr_snap {
	uint64_t		 qs_held[MAXCPUS / 64];
	unsigned		 qs_gen[MAXCPUS];
};

struct qsbr_cpu {
	struct qsbr_entry	*qc_pending;
	unsigned		 qc_npending;
	struct qsbr_entry	*qc_waiting;
	unsigned		 qc_nwaiting;
	unsigned		 qc_releases;
	struct qsbr_snap	 qc_snap;	/* of the waiting batch */
} __attribute__((aligned(64)));

static struct qsbr_cpu qsbr_cpus[MAXCPUS];
static unsigned qsbr_order;	/* atomic: qsbr_snapshot's ordering */

/* Every CPU but skip (-1: none) that is held now, and its count. */
static void
qsbr_snapshot(struct qsbr_snap *qs, int skip)
{
	int i, n = ncpu_get();
	unsigned gen;

	/* The unlinking stores before the reads of the CPUs' states: a
	 * sequentially consistent read-modify-write, not a fence, which
	 * gcc refuses under -fsanitize=thread (TSan does not model them);
	 * it orders as much, on every target. */
	(void)__atomic_fetch_add(&qsbr_order, 0, __ATOMIC_SEQ_CST);
	for (i = 0; i < MAXCPUS / 64; i++)
		qs->qs_held[i] = 0;
	for (i = 0; i < n; i++) {
		if (i != skip && sched_cpu_state(i, &gen)) {
			qs->qs_held[i / 64] |= 1ULL << (i % 64);
			qs->qs_gen[i] = gen;
		}
	}
}

static bool
qsbr_expired(const struct qsbr_snap *qs)
{
	int i, n = ncpu_get();
	unsigned gen;

	for (i = 0; i < n; i++) {
		if ((qs->qs_held[i / 64] & (1ULL << (i % 64))) == 0)
			continue;
		/* Held at the snapshot, not released since. */
		(void)sched_cpu_state(i, &gen);
		if (gen == qs->qs_gen[i])
			return false;
	}
	return true;
}

static void
qsbr_free_list(struct qsbr_entry *e)
{
	struct qsbr_entry *next;

	for (; e != NULL; e = next) {
		next = e->qe_next;
		e->qe_free(e);
	}
}

/* Frees the closed batch if its time has come, then closes the open
 * one.  Holding the CPU of qc. */
static void
qsbr_advance(struct qsbr_cpu *qc)
{
	struct qsbr_entry *done;

	if (qc->qc_waiting != NULL) {
		if (!qsbr_expired(&qc->qc_snap))
			return;
		done = qc->qc_waiting;
		qc->qc_waiting = NULL;
		__atomic_store_n(&qc->qc_nwaiting, 0, __ATOMIC_RELAXED);
		/* The free functions may retire more (into pending). */
		qsbr_free_list(done);
	}
	if (qc->qc_pending != NULL && qc->qc_waiting == NULL) {
		qc->qc_waiting = qc->qc_pending;
		__atomic_store_n(&qc->qc_nwaiting, qc->qc_npending,
		    __ATOMIC_RELAXED);
		qc->qc_pending = NULL;
		__atomic_store_n(&qc->qc_npending, 0, __ATOMIC_RELAXED);
		qsbr_snapshot(&qc->qc_snap, -1);
	}
}

void
qsbr_retire(struct qsbr_entry *e, void (*free)(struct qsbr_entry *))
{
	struct lwp *l = curlwp;
	struct qsbr_cpu *qc;

	KASSERT(l != NULL && l->l_cpu != NULL);
	qc = &qsbr_cpus[l->l_cpu->ci_index];
	e->qe_free = free;
	e->qe_next = qc->qc_pending;
	qc->qc_pending = e;
	__atomic_store_n(&qc->qc_npending, qc->qc_npending + 1,
	    __ATOMIC_RELAXED);
	if (qc->qc_npending >= QSBR_BATCH)
		qsbr_advance(qc);
}

/* scheduler.c: the holder of CPU index is about to let it go. */
void
qsbr_cpu_releasing(int index)
{
	struct qsbr_cpu *qc = &qsbr_cpus[index];

	if (qc->qc_pending == NULL && qc->qc_waiting == NULL)
		return;
	if (++qc->qc_releases % QSBR_POLL_RELEASES == 0)
		qsbr_advance(qc);
}

void
qsbr_synchronize(void)
{
	struct qsbr_snap qs;
	struct lwp *l = curlwp;

	KASSERT(l != NULL && l->l_cpu != NULL);
	/* No reader runs on the caller's own CPU meanwhile. */
	qsbr_snapshot(&qs, l->l_cpu->ci_index);
	while (!qsbr_expired(&qs))
		kpause_ns(QSBR_SYNC_PAUSE_NS);
}

unsigned
qsbr_pending(void)
{
	unsigned n = 0;
	int i;

	for (i = 0; i < MAXCPUS; i++)
		n += __atomic_load_n(&qsbr_cpus[i].qc_npending,
		    __ATOMIC_RELAXED) + __atomic_load_n(
		    &qsbr_cpus[i].qc_nwaiting, __ATOMIC_RELAXED);
	return n;
}
