/*
 * poll.h: descriptor readiness.  How an object (pipe, socket, eventfd,
 * epoll instance, ...) tells pollers that its state changed, and what
 * poll, select and epoll build on.
 *
 * Every pollable object embeds a struct pollhead.  A poller (one poll(2)
 * call, or one epoll registration) puts a struct pollentry on it, through
 * the polltable the object's fo_poll() is given, and the object calls
 * pollwakeup() whenever readiness may have changed: data arrived, data
 * was consumed (room to write), the peer closed, an error was set.  Each
 * entry's callback then runs (poll: wake the sleeping thread; epoll: put
 * the registration on the ready list).  The callback only records that
 * something happened; the poller learns the actual state by calling
 * fo_poll() again, so a wakeup may be spurious but never lost:
 * registration happens before the state is examined.
 *
 * Locking: ph_lock protects the entry list and is held while callbacks
 * run.  Lock order: object lock (pipe_lock, socket lock) -> ph_lock ->
 * the poller's own lock (taken inside the callback).  So an object may
 * call pollwakeup() with its own lock held, and a callback must not take
 * an object lock or sleep.  Objects are freed only after every entry has
 * left their pollhead: poll holds file references while registered, and
 * epoll removes its registrations before a file's fo_close() runs.
 */
#ifndef VFS_POLL_H
#define VFS_POLL_H

#include <kern/types.h>
#include <kern/lock.h>

/* Event bits, Linux values (poll(2) and epoll share them). */
#define POLLIN		0x0001
#define POLLPRI		0x0002
#define POLLOUT		0x0004
#define POLLERR		0x0008
#define POLLHUP		0x0010
#define POLLNVAL	0x0020
#define POLLRDNORM	0x0040
#define POLLRDBAND	0x0080
#define POLLWRNORM	0x0100
#define POLLWRBAND	0x0200
#define POLLMSG		0x0400
#define POLLRDHUP	0x2000
/* Reported whether asked for or not. */
#define POLL_ALWAYS	(POLLERR | POLLHUP | POLLNVAL)

struct pollentry;
typedef void (*pollfunc_t)(struct pollentry *pe, int events);

struct pollhead {
	kmutex_t	 ph_lock;
	struct pollentry *ph_first;	/* ph_lock */
};

struct pollentry {
	struct pollentry *pe_next, *pe_prev;	/* on pe_head, ph_lock */
	struct pollhead	*pe_head;	/* NULL when not registered */
	pollfunc_t	 pe_func;	/* called with ph_lock held */
};

/* What fo_poll() hands registrations to.  The poller supplies
 * pt_register, which allocates an entry and adds it with pollhead_add(). */
struct polltable {
	void	(*pt_register)(struct polltable *pt, struct pollhead *ph);
};

static inline void
poll_wait(struct polltable *pt, struct pollhead *ph)
{

	if (pt != NULL)
		pt->pt_register(pt, ph);
}

void	pollhead_init(struct pollhead *ph);
/* The list must be empty (no registrations left). */
void	pollhead_destroy(struct pollhead *ph);
void	pollhead_add(struct pollhead *ph, struct pollentry *pe,
	    pollfunc_t func);
/* Removes pe if it is registered; after return its callback no longer
 * runs.  Never call with ph_lock or the poller's callback lock held. */
void	pollhead_remove(struct pollentry *pe);
/* Runs every entry's callback.  events: the POLL* bits that may have
 * become true (a hint for edge-triggered epoll; 0 means "anything"). */
void	pollwakeup(struct pollhead *ph, int events);

/* fo_poll of fp, or for a file without one (files in file systems)
 * Linux's default: ready for reading and writing. */
struct file;
int	file_poll(struct file *fp, int events, struct polltable *pt);

/* epoll: removes every registration of fp (its last reference is gone);
 * file_release() calls it before fo_close(). */
void	epoll_file_closed(struct file *fp);

#endif /* VFS_POLL_H */
