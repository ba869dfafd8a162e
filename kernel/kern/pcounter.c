/*
 * pcounter.c: counters kept per virtual CPU (contract in <kern/pcounter.h>).
 */
#include <kern/types.h>
#include <kern/pcounter.h>
#include <kern/proc.h>

#include "kern_private.h"

_Static_assert(PCOUNTER_CPUS >= MAXCPUS, "a slot for every virtual CPU");

void
pcounter_add(struct pcounter *pc, int64_t delta)
{
	struct lwp *l = curlwp;
	struct pcounter_slot *ps;

	if (l == NULL || l->l_cpu == NULL) {
		__atomic_fetch_add(&pc->pc_slot[PCOUNTER_CPUS].ps_value,
		    delta, __ATOMIC_RELAXED);
		return;
	}
	/* Only this CPU's holder writes its slot: no atomic add, but an
	 * atomic store, as readers load the slot meanwhile. */
	ps = &pc->pc_slot[l->l_cpu->ci_index];
	__atomic_store_n(&ps->ps_value,
	    __atomic_load_n(&ps->ps_value, __ATOMIC_RELAXED) + delta,
	    __ATOMIC_RELAXED);
}

int64_t
pcounter_read(const struct pcounter *pc)
{
	int64_t sum = 0;
	int i;

	for (i = 0; i <= PCOUNTER_CPUS; i++)
		sum += __atomic_load_n(&pc->pc_slot[i].ps_value,
		    __ATOMIC_RELAXED);
	return sum;
}
