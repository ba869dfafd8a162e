/*
 * vfs_poll.c: pollheads, the wakeup lists every pollable object keeps
 * (contract in vfs/poll.h).
 */
#include <kern/types.h>
#include <kern/libkern.h>
#include <kern/lock.h>
#include <vfs/poll.h>

void
pollhead_init(struct pollhead *ph)
{

	mutex_init(&ph->ph_lock, MUTEX_DEFAULT);
	ph->ph_first = NULL;
}

void
pollhead_destroy(struct pollhead *ph)
{

	KASSERT(ph->ph_first == NULL);
	mutex_destroy(&ph->ph_lock);
}

void
pollhead_add(struct pollhead *ph, struct pollentry *pe, pollfunc_t func)
{

	pe->pe_func = func;
	mutex_enter(&ph->ph_lock);
	pe->pe_head = ph;
	pe->pe_prev = NULL;
	pe->pe_next = ph->ph_first;
	if (ph->ph_first != NULL)
		ph->ph_first->pe_prev = pe;
	ph->ph_first = pe;
	mutex_exit(&ph->ph_lock);
}

void
pollhead_remove(struct pollentry *pe)
{
	struct pollhead *ph = pe->pe_head;

	if (ph == NULL)
		return;
	mutex_enter(&ph->ph_lock);
	if (pe->pe_prev != NULL)
		pe->pe_prev->pe_next = pe->pe_next;
	else
		ph->ph_first = pe->pe_next;
	if (pe->pe_next != NULL)
		pe->pe_next->pe_prev = pe->pe_prev;
	pe->pe_head = NULL;
	mutex_exit(&ph->ph_lock);
}

void
pollwakeup(struct pollhead *ph, int events)
{
	struct pollentry *pe;

	mutex_enter(&ph->ph_lock);
	for (pe = ph->ph_first; pe != NULL; pe = pe->pe_next)
		pe->pe_func(pe, events);
	mutex_exit(&ph->ph_lock);
}
