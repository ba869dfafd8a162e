/*
 * vfs_epoll.c: epoll instances (epoll_create, epoll_create1, epoll_ctl,
 * epoll_wait, epoll_pwait): level- and edge-triggered, EPOLLONESHOT,
 * EPOLLRDHUP, epoll descriptors inside epoll and poll.
 *
 * A registration (epitem) is keyed by (file, descriptor) as on Linux and
 * lives until EPOLL_CTL_DEL, the epoll instance's close, or the last
 * close of the watched file itself (file_release() calls
 * epoll_file_closed()), not the close of one descriptor.
 *
 * Each epitem sits on the pollhead of its file's object; the object's
 * wakeup runs ep_callback(), which puts the item on the instance's ready
 * list.  epoll_wait() asks each ready item's file for its current state
 * (fo_poll): level-triggered items stay on the list while ready,
 * edge-triggered ones leave it until the next wakeup, one-shot ones are
 * disabled until EPOLL_CTL_MOD.
 *
 * Locks, in order:
 *   epoll_lock (global)  the f_epitems list of every file; nesting checks
 *   ep_mtx (instance)    its item list; held while items are examined
 *                        and while a registration is added or removed
 *   object lock -> ph_lock (vfs/poll.h)
 *   ep_rdlock (instance) the ready list and the sleepers' cv; taken by
 *                        callbacks, so nothing else is taken under it
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/kmem.h>
#include <kern/libkern.h>
#include <kern/lock.h>
#include <kern/clock.h>
#include <kern/syscall.h>
#include <kern/component.h>
#include <rump/rump_syscalls.h>
#include <vfs/vnode.h>
#include <vfs/abi.h>
#include <vfs/file.h>
#include <vfs/poll.h>

#define EPOLLEXCLUSIVE	(1U << 28)
#define EPOLLWAKEUP	(1U << 29)
#define EPOLLONESHOT	(1U << 30)
#define EPOLLET		(1U << 31)
#define EP_PRIVATE	(EPOLLEXCLUSIVE | EPOLLWAKEUP | EPOLLONESHOT | EPOLLET)
#define EPOLL_CTL_ADD	1
#define EPOLL_CTL_DEL	2
#define EPOLL_CTL_MOD	3
#define EP_MAX_EVENTS	(INT32_MAX / (int)sizeof(struct epoll_event))
/* How deep epoll instances may nest inside each other (Linux: 4). */
#define EP_MAX_NESTS	4
/* The objects here register on one pollhead each; room for two. */
#define EPI_NHEADS	2

struct eventpoll;
struct epitem;

/* One registration on one pollhead. */
struct ep_pollent {
	struct pollentry pe;
	struct epitem	*epi;
};

struct epitem {
	struct eventpoll *epi_ep;
	struct file	*epi_fp;	/* not referenced: see the header */
	int		 epi_fd;
	uint32_t	 epi_events;	/* ep_mtx; written under ep_rdlock too */
	uint64_t	 epi_data;	/* ep_mtx */
	struct epitem	*epi_next;	/* on ep_items, ep_mtx */
	struct epitem	*epi_fnext;	/* on f_epitems, epoll_lock */
	struct epitem	*epi_rdnext;	/* on the ready list, ep_rdlock */
	bool		 epi_ready;	/* on the ready list, ep_rdlock */
	bool		 epi_busy;	/* being examined by epoll_wait; a
					 * wakeup meanwhile sets epi_pending
					 * (ep_rdlock) */
	bool		 epi_pending;
	bool		 epi_requeue;	/* ep_mtx */
	int		 epi_nheads;
	struct ep_pollent epi_pe[EPI_NHEADS];
};

struct eventpoll {
	kmutex_t	 ep_mtx;
	kmutex_t	 ep_rdlock;
	kcondvar_t	 ep_cv;		/* waiters for the ready list */
	struct epitem	*ep_items;
	struct epitem	*ep_rdfirst, *ep_rdlast;
	struct pollhead	 ep_ph;		/* pollers of the epoll file */
};

static kmutex_t epoll_lock;

const struct fileops epoll_fileops;

RUMP_COMPONENT(RUMP_COMPONENT_VFS, epoll)
{

	mutex_init(&epoll_lock, MUTEX_DEFAULT);
}

/* Puts epi on the ready list (ep_rdlock held). */
static void
ep_rdadd_locked(struct eventpoll *ep, struct epitem *epi)
{

	if (epi->epi_ready)
		return;
	epi->epi_ready = true;
	epi->epi_rdnext = NULL;
	if (ep->ep_rdlast != NULL)
		ep->ep_rdlast->epi_rdnext = epi;
	else
		ep->ep_rdfirst = epi;
	ep->ep_rdlast = epi;
}

static void
ep_rdremove_locked(struct eventpoll *ep, struct epitem *epi)
{
	struct epitem **pp;

	if (!epi->epi_ready)
		return;
	for (pp = &ep->ep_rdfirst; *pp != epi; pp = &(*pp)->epi_rdnext)
		continue;
	*pp = epi->epi_rdnext;
	if (ep->ep_rdlast == epi) {
		struct epitem *last = NULL;

		for (last = ep->ep_rdfirst; last != NULL &&
		    last->epi_rdnext != NULL; last = last->epi_rdnext)
			continue;
		ep->ep_rdlast = last;
	}
	epi->epi_ready = false;
}

/* An object's wakeup: called under its ph_lock. */
static void
ep_callback(struct pollentry *pe, int events)
{
	struct epitem *epi = container_of(pe, struct ep_pollent, pe)->epi;
	struct eventpoll *ep = epi->epi_ep;
	uint32_t want;

	mutex_enter(&ep->ep_rdlock);
	want = __atomic_load_n(&epi->epi_events, __ATOMIC_RELAXED);
	/* Disabled by EPOLLONESHOT, or an event nobody asked for (a hint
	 * of 0 means "anything"). */
	if ((want & ~EP_PRIVATE) == 0 || (events != 0 &&
	    (events & (want | POLLERR | POLLHUP)) == 0)) {
		mutex_exit(&ep->ep_rdlock);
		return;
	}
	if (epi->epi_busy)
		epi->epi_pending = true;
	else
		ep_rdadd_locked(ep, epi);
	cv_broadcast(&ep->ep_cv);
	mutex_exit(&ep->ep_rdlock);
	/* Whoever polls this epoll descriptor (poll, an outer epoll). */
	pollwakeup(&ep->ep_ph, POLLIN | POLLRDNORM);
}

/* The polltable epoll_ctl hands fo_poll, and the item it is for. */
struct ep_pt {
	struct polltable pt;
	struct epitem	*epi;
};

static void
ep_register(struct polltable *pt, struct pollhead *ph)
{
	struct epitem *epi = container_of(pt, struct ep_pt, pt)->epi;
	struct ep_pollent *epe;

	KASSERT(epi->epi_nheads < EPI_NHEADS);
	epe = &epi->epi_pe[epi->epi_nheads++];
	epe->epi = epi;
	pollhead_add(ph, &epe->pe, ep_callback);
}

/* Removes epi everywhere and frees it.  epoll_lock and ep_mtx held. */
static void
ep_remove(struct eventpoll *ep, struct epitem *epi)
{
	struct epitem **pp;
	int i;

	for (i = 0; i < epi->epi_nheads; i++)
		pollhead_remove(&epi->epi_pe[i].pe);
	mutex_enter(&ep->ep_rdlock);
	ep_rdremove_locked(ep, epi);
	mutex_exit(&ep->ep_rdlock);
	for (pp = &ep->ep_items; *pp != epi; pp = &(*pp)->epi_next)
		continue;
	*pp = epi->epi_next;
	for (pp = &epi->epi_fp->f_epitems; *pp != epi;
	    pp = &(*pp)->epi_fnext)
		continue;
	*pp = epi->epi_fnext;
	kmem_free(epi, sizeof(*epi));
}

void
epoll_file_closed(struct file *fp)
{
	struct epitem *epi;
	struct eventpoll *ep;

	mutex_enter(&epoll_lock);
	while ((epi = fp->f_epitems) != NULL) {
		ep = epi->epi_ep;
		mutex_enter(&ep->ep_mtx);
		ep_remove(ep, epi);
		mutex_exit(&ep->ep_mtx);
	}
	mutex_exit(&epoll_lock);
}

static int
ep_fo_poll(struct file *fp, int events, struct polltable *pt)
{
	struct eventpoll *ep = fp->f_data;
	int revents = 0;

	struct epitem *epi;
	uint32_t want;

	poll_wait(pt, &ep->ep_ph);
	/* Readable when a ready item really is ready now, as Linux asks
	 * them (a level-triggered item stays queued until looked at). */
	mutex_enter(&ep->ep_mtx);
	for (epi = ep->ep_items; epi != NULL && revents == 0;
	    epi = epi->epi_next) {
		if (!__atomic_load_n(&epi->epi_ready, __ATOMIC_RELAXED))
			continue;
		want = __atomic_load_n(&epi->epi_events, __ATOMIC_RELAXED);
		if ((want & ~EP_PRIVATE) != 0 &&
		    (epi->epi_fp->f_ops->fo_poll(epi->epi_fp, (int)want,
		    NULL) & (int)want) != 0)
			revents = POLLIN | POLLRDNORM;
	}
	mutex_exit(&ep->ep_mtx);
	return revents & events;
}

static int
ep_fo_stat(struct file *fp, struct stat *st)
{

	(void)fp;
	/* An anonymous inode: no type bits, mode 0600. */
	memset(st, 0, sizeof(*st));
	st->st_mode = S_IRUSR | S_IWUSR;
	st->st_nlink = 1;
	st->st_blksize = 4096;
	return 0;
}

static int
ep_fo_rw(struct file *fp, struct uio *uio, int flags)
{

	(void)fp;
	(void)uio;
	(void)flags;
	return EINVAL;
}

/* Linux's epoll knows only its own ioctls (EPIOCSPARAMS, ...), none
 * of which we have: EINVAL for every command. */
static int
ep_fo_ioctl(struct file *fp, unsigned long cmd, void *data)
{

	(void)fp;
	(void)cmd;
	(void)data;
	return EINVAL;
}

static void
ep_fo_close(struct file *fp)
{
	struct eventpoll *ep = fp->f_data;

	mutex_enter(&epoll_lock);
	mutex_enter(&ep->ep_mtx);
	while (ep->ep_items != NULL)
		ep_remove(ep, ep->ep_items);
	mutex_exit(&ep->ep_mtx);
	mutex_exit(&epoll_lock);
	pollhead_destroy(&ep->ep_ph);
	cv_destroy(&ep->ep_cv);
	mutex_destroy(&ep->ep_rdlock);
	mutex_destroy(&ep->ep_mtx);
	kmem_free(ep, sizeof(*ep));
}

const struct fileops epoll_fileops = {
	.fo_name = "epoll",
	.fo_fsmagic = ANON_INODE_FS_MAGIC,
	.fo_read = ep_fo_rw,
	.fo_write = ep_fo_rw,
	.fo_ioctl = ep_fo_ioctl,
	.fo_stat = ep_fo_stat,
	.fo_poll = ep_fo_poll,
	.fo_close = ep_fo_close,
};

static int
doepoll_create(int flags, long *retval)
{
	struct eventpoll *ep;
	int fd, error;

	if (flags & ~O_CLOEXEC)
		return EINVAL;
	ep = kmem_zalloc(sizeof(*ep), KM_SLEEP);
	if (ep == NULL)
		return ENOMEM;
	mutex_init(&ep->ep_mtx, MUTEX_DEFAULT);
	mutex_init(&ep->ep_rdlock, MUTEX_DEFAULT);
	cv_init(&ep->ep_cv);
	pollhead_init(&ep->ep_ph);
	error = fd_newfile(&epoll_fileops, ep, FREAD | FWRITE, flags, &fd,
	    NULL);
	if (error != 0) {
		pollhead_destroy(&ep->ep_ph);
		cv_destroy(&ep->ep_cv);
		mutex_destroy(&ep->ep_rdlock);
		mutex_destroy(&ep->ep_mtx);
		kmem_free(ep, sizeof(*ep));
		return error;
	}
	*retval = fd;
	return 0;
}

SYSCALL_LEGACY(SYS_epoll_create, epoll_create)
{

	if ((int)args[0] <= 0)
		return EINVAL;
	return doepoll_create(0, retval);
}

SYSCALL(SYS_epoll_create1, epoll_create1)
{

	return doepoll_create((int)args[0], retval);
}

/* Would adding epoll file fp to ep close a loop or nest too deep?
 * epoll_lock held. */
static bool
ep_loops(struct eventpoll *ep, struct file *fp, int depth)
{
	struct eventpoll *inner = fp->f_data;
	struct epitem *epi;

	if (inner == ep || depth >= EP_MAX_NESTS)
		return true;
	for (epi = inner->ep_items; epi != NULL; epi = epi->epi_next)
		if (epi->epi_fp->f_ops == &epoll_fileops &&
		    ep_loops(ep, epi->epi_fp, depth + 1))
			return true;
	return false;
}

static struct epitem *
ep_find(struct eventpoll *ep, struct file *fp, int fd)
{
	struct epitem *epi;

	for (epi = ep->ep_items; epi != NULL; epi = epi->epi_next)
		if (epi->epi_fp == fp && epi->epi_fd == fd)
			return epi;
	return NULL;
}

SYSCALL(SYS_epoll_ctl, epoll_ctl)
{
	int epfd = (int)args[0], op = (int)args[1], fd = (int)args[2];
	const struct epoll_event *uev = (const struct epoll_event *)args[3];
	struct epoll_event ev;
	struct eventpoll *ep;
	struct file *epfp, *fp;
	struct epitem *epi;
	struct ep_pt ept;
	int error = 0, revents;

	*retval = 0;
	if (op != EPOLL_CTL_DEL) {
		if (uev == NULL)
			return EFAULT;
		error = copyin(uev, &ev, sizeof(ev));
		if (error != 0)
			return error;
	}
	error = fd_getfile_nopath(epfd, &epfp);
	if (error != 0)
		return error;
	error = fd_getfile_nopath(fd, &fp);
	if (error != 0) {
		file_release(epfp);
		return error;
	}
	/* Linux's order: a target that cannot be polled, then the epoll
	 * descriptor, then the operation. */
	if (fp->f_ops->fo_poll == NULL) {
		error = EPERM;
		goto out;
	}
	if (epfp->f_ops != &epoll_fileops || fp == epfp) {
		error = EINVAL;
		goto out;
	}
	if (op != EPOLL_CTL_DEL && (ev.events & EPOLLEXCLUSIVE) != 0 &&
	    (op == EPOLL_CTL_MOD || (ev.events & ~(EPOLLEXCLUSIVE |
	    POLLIN | POLLOUT | POLLERR | POLLHUP | EPOLLWAKEUP | EPOLLET |
	    POLLRDHUP | POLLRDNORM | POLLWRNORM | POLLRDBAND | POLLWRBAND |
	    POLLPRI | POLLMSG)) != 0 || fp->f_ops == &epoll_fileops)) {
		error = EINVAL;
		goto out;
	}
	ep = epfp->f_data;
	mutex_enter(&epoll_lock);
	if (op == EPOLL_CTL_ADD && fp->f_ops == &epoll_fileops &&
	    ep_loops(ep, fp, 0)) {
		mutex_exit(&epoll_lock);
		error = ELOOP;
		goto out;
	}
	mutex_enter(&ep->ep_mtx);
	epi = ep_find(ep, fp, fd);
	switch (op) {
	case EPOLL_CTL_ADD:
		if (epi != NULL) {
			error = EEXIST;
			break;
		}
		epi = kmem_zalloc(sizeof(*epi), KM_SLEEP);
		if (epi == NULL) {
			error = ENOMEM;
			break;
		}
		epi->epi_ep = ep;
		epi->epi_fp = fp;
		epi->epi_fd = fd;
		epi->epi_events = ev.events | POLLERR | POLLHUP;
		epi->epi_data = ev.data;
		epi->epi_next = ep->ep_items;
		ep->ep_items = epi;
		epi->epi_fnext = fp->f_epitems;
		__atomic_store_n(&fp->f_epitems, epi, __ATOMIC_RELEASE);
		ept.pt.pt_register = ep_register;
		ept.epi = epi;
		revents = fp->f_ops->fo_poll(fp, (int)epi->epi_events,
		    &ept.pt);
		if (revents & (int)epi->epi_events) {
			mutex_enter(&ep->ep_rdlock);
			ep_rdadd_locked(ep, epi);
			cv_broadcast(&ep->ep_cv);
			mutex_exit(&ep->ep_rdlock);
			pollwakeup(&ep->ep_ph, POLLIN | POLLRDNORM);
		}
		break;
	case EPOLL_CTL_MOD:
		if (epi == NULL) {
			error = ENOENT;
			break;
		}
		if (epi->epi_events & EPOLLEXCLUSIVE) {
			error = EINVAL;
			break;
		}
		mutex_enter(&ep->ep_rdlock);
		__atomic_store_n(&epi->epi_events,
		    ev.events | POLLERR | POLLHUP, __ATOMIC_RELAXED);
		epi->epi_data = ev.data;
		mutex_exit(&ep->ep_rdlock);
		revents = fp->f_ops->fo_poll(fp, (int)epi->epi_events, NULL);
		if (revents & (int)epi->epi_events) {
			mutex_enter(&ep->ep_rdlock);
			ep_rdadd_locked(ep, epi);
			cv_broadcast(&ep->ep_cv);
			mutex_exit(&ep->ep_rdlock);
			pollwakeup(&ep->ep_ph, POLLIN | POLLRDNORM);
		}
		break;
	case EPOLL_CTL_DEL:
		if (epi == NULL) {
			error = ENOENT;
			break;
		}
		ep_remove(ep, epi);
		break;
	default:
		error = EINVAL;
		break;
	}
	mutex_exit(&ep->ep_mtx);
	mutex_exit(&epoll_lock);
 out:
	file_release(fp);
	file_release(epfp);
	return error;
}

/*
 * Collects up to maxevents ready events into evs (ep_mtx held).  Items
 * are asked for their state now; level-triggered ones that are ready go
 * back on the list for next time.
 */
static int
ep_collect(struct eventpoll *ep, struct epoll_event *evs, int maxevents)
{
	struct epitem *list, *epi, *next;
	uint32_t want;
	int n = 0, revents;

	/* Take the ready list; wakeups for these items meanwhile are
	 * remembered in epi_pending (they stay busy until put back). */
	mutex_enter(&ep->ep_rdlock);
	list = ep->ep_rdfirst;
	ep->ep_rdfirst = ep->ep_rdlast = NULL;
	for (epi = list; epi != NULL; epi = epi->epi_rdnext) {
		epi->epi_ready = false;
		epi->epi_busy = true;
		epi->epi_pending = false;
		/* Not looked at (the caller's array is full): back. */
		epi->epi_requeue = true;
	}
	mutex_exit(&ep->ep_rdlock);
	for (epi = list; epi != NULL && n < maxevents; epi = epi->epi_rdnext) {
		epi->epi_requeue = false;
		want = __atomic_load_n(&epi->epi_events, __ATOMIC_RELAXED);
		if ((want & ~EP_PRIVATE) == 0)
			continue;
		revents = epi->epi_fp->f_ops->fo_poll(epi->epi_fp, (int)want,
		    NULL) & (int)want;
		if (revents == 0)
			continue;
		evs[n].events = (uint32_t)revents;
		evs[n].data = epi->epi_data;
		n++;
		if (want & EPOLLONESHOT) {
			/* Disabled until EPOLL_CTL_MOD. */
			__atomic_store_n(&epi->epi_events, want & EP_PRIVATE,
			    __ATOMIC_RELAXED);
		} else if ((want & EPOLLET) == 0) {
			/* Level-triggered: asked again next time. */
			epi->epi_requeue = true;
		}
	}
	mutex_enter(&ep->ep_rdlock);
	for (epi = list; epi != NULL; epi = next) {
		next = epi->epi_rdnext;
		epi->epi_busy = false;
		if (epi->epi_requeue || epi->epi_pending)
			ep_rdadd_locked(ep, epi);
		epi->epi_pending = false;
	}
	mutex_exit(&ep->ep_rdlock);
	return n;
}

static int
doepoll_wait(int epfd, struct epoll_event *uevs, int maxevents,
    const struct timespec *ts, long *retval)
{
	struct epoll_event *evs;
	struct eventpoll *ep;
	struct file *epfp;
	uint64_t deadline = 0, now;
	bool nowait = false;
	int n, error;

	if (maxevents <= 0 || maxevents > EP_MAX_EVENTS)
		return EINVAL;
	error = fd_getfile_nopath(epfd, &epfp);
	if (error != 0)
		return error;
	if (epfp->f_ops != &epoll_fileops) {
		file_release(epfp);
		return EINVAL;
	}
	ep = epfp->f_data;
	if (ts != NULL) {
		if (ts->tv_sec == 0 && ts->tv_nsec == 0)
			nowait = true;
		else
			deadline = getmonotonic_ns() +
			    (uint64_t)ts->tv_sec * 1000000000ULL +
			    (uint64_t)ts->tv_nsec;
	}
	/* At most this many at once; the rest stay ready for next time. */
	if (maxevents > 256)
		maxevents = 256;
	evs = kmem_alloc((size_t)maxevents * sizeof(*evs), KM_SLEEP);
	if (evs == NULL) {
		file_release(epfp);
		return ENOMEM;
	}
	for (;;) {
		mutex_enter(&ep->ep_mtx);
		n = ep_collect(ep, evs, maxevents);
		mutex_exit(&ep->ep_mtx);
		if (n > 0 || nowait)
			break;
		mutex_enter(&ep->ep_rdlock);
		while (ep->ep_rdfirst == NULL) {
			uint64_t wait = 0;

			if (deadline != 0) {
				now = getmonotonic_ns();
				if (now >= deadline) {
					nowait = true;
					break;
				}
				wait = deadline - now;
			}
			/* Interrupted: EINTR, never restarted. */
			if (cv_timedwait_sig_ns(&ep->ep_cv, &ep->ep_rdlock,
			    wait) == EINTR) {
				error = EINTR;
				break;
			}
		}
		mutex_exit(&ep->ep_rdlock);
		if (error != 0)
			break;
	}
	/* (Interrupted only with nothing collected.) */
	if (n > 0)
		error = copyout(evs, uevs, (size_t)n * sizeof(*evs));
	kmem_free(evs, (size_t)maxevents * sizeof(*evs));
	file_release(epfp);
	if (error == 0)
		*retval = n;
	return error;
}

static int
epoll_timeout(int ms, struct timespec *ts)
{

	if (ms < 0)
		return 0;
	ts->tv_sec = ms / 1000;
	ts->tv_nsec = (ms % 1000) * 1000000L;
	return 1;
}

SYSCALL_LEGACY(SYS_epoll_wait, epoll_wait)
{
	struct timespec ts;

	return doepoll_wait((int)args[0], (struct epoll_event *)args[1],
	    (int)args[2], epoll_timeout((int)args[3], &ts) ? &ts : NULL,
	    retval);
}

SYSCALL(SYS_epoll_pwait, epoll_pwait)
{
	struct timespec ts;

	/* No signals: the mask must have the kernel's size, no more. */
	if (args[4] != 0 && (size_t)args[5] != 8)
		return EINVAL;
	return doepoll_wait((int)args[0], (struct epoll_event *)args[1],
	    (int)args[2], epoll_timeout((int)args[3], &ts) ? &ts : NULL,
	    retval);
}

int
rump_sys_epoll_create1(int flags)
{

	return (int)syscall_typed(SYS_epoll_create1, flags, 0, 0, 0, 0, 0);
}

int
rump_sys_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{

	return (int)syscall_typed(SYS_epoll_ctl, epfd, op, fd, (long)ev, 0,
	    0);
}

int
rump_sys_epoll_wait(int epfd, struct epoll_event *evs, int maxevents,
    int timeout)
{

	return (int)syscall_typed(SYS_epoll_pwait, epfd, (long)evs, maxevents,
	    timeout, 0, 0);
}

int
rump_sys_epoll_pwait(int epfd, struct epoll_event *evs, int maxevents,
    int timeout, const void *sigmask, size_t sigsetsize)
{

	return (int)syscall_typed(SYS_epoll_pwait, epfd, (long)evs, maxevents,
	    timeout, (long)sigmask, (long)sigsetsize);
}
