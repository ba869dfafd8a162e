/*
 * run_poll.c: waiting on the program's descriptors, which are the host's
 * and the kernel's in one number space: poll, ppoll, select, pselect6,
 * and epoll (epoll_create, epoll_ctl, epoll_wait, epoll_pwait,
 * epoll_pwait2).
 *
 * A wait is split by where each descriptor lives.  When all are on one
 * side, that side waits alone (the kernel's ppoll, or the host's with
 * the program's signal mask).  A wait over both that is not over at
 * once is two waits at the same time: this thread waits on the host's
 * descriptors plus an eventfd, a helper thread (bound to the program's
 * kernel process) on the kernel's plus a kernel pipe; whichever returns
 * first wakes the other through the other's extra descriptor, and the
 * results are merged.
 *
 * An epoll instance is a host epoll descriptor, which the program's
 * number names, and an epoll object here that holds, once a kernel
 * descriptor is added, a kernel epoll descriptor: each descriptor goes
 * into the instance of its own side (the event's data is the program's,
 * returned as it was given, so nothing is translated).  epoll_wait waits
 * for either instance to be readable (both are pollable), then collects
 * from the ready ones without waiting.
 *
 * A wait on the kernel's descriptors alone is interrupted by a signal
 * through the kernel (run_signal.c), in-process only.  Limit: an epoll
 * instance does not survive execve.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <rump/rumpuser_fcopy.h>

#include "run.h"

#define HSYS(nr, a0, a1, a2, a3, a4, a5) \
	run_host_syscall((nr), (long)(a0), (long)(a1), (long)(a2), \
	    (long)(a3), (long)(a4), (long)(a5))
#define GSYS(nr, a0, a1, a2, a3, a4, a5) \
	run_host_syscall_guest((nr), (long)(a0), (long)(a1), (long)(a2), \
	    (long)(a3), (long)(a4), (long)(a5))
#define KSYS(nr, a0, a1, a2, a3, a4, a5) \
	run_ksys((nr), (long)(a0), (long)(a1), (long)(a2), (long)(a3), \
	    (long)(a4), (long)(a5))

#define EPOLL_EVENT_SIZE	12	/* x86_64: packed */

static int
get_mem(long uaddr, void *buf, size_t len)
{

	return rumpuser_fcopyin((const void *)uaddr, buf, len) ? EFAULT : 0;
}

static int
put_mem(long uaddr, const void *buf, size_t len)
{

	return rumpuser_fcopyout(buf, (void *)uaddr, len) ? EFAULT : 0;
}

/* --- Epoll objects ------------------------------------------------------ */

/* The kernel's half of an epoll instance; shared by the program's
 * duplicates of the instance's descriptor, which each hold a reference. */
struct ep {
	int refs;		/* 0: free slot */
	int kfd;		/* kernel epoll descriptor, or -1 */
	/* Descriptors added and not deleted on each side: a side with none
	 * is not waited on.  (One closed without EPOLL_CTL_DEL leaves its
	 * instance at once but stays counted: a wait on both sides then,
	 * which is only slower.) */
	int nhost, nkern;
};
static struct ep eptab[NFD];
static pthread_mutex_t ep_lock = PTHREAD_MUTEX_INITIALIZER;

void
run_ep_ref(int ep)
{

	pthread_mutex_lock(&ep_lock);
	eptab[ep].refs++;
	pthread_mutex_unlock(&ep_lock);
}

void
run_ep_unref(int ep)
{
	int kfd = -1;

	pthread_mutex_lock(&ep_lock);
	if (--eptab[ep].refs == 0) {
		kfd = eptab[ep].kfd;
		eptab[ep].kfd = -1;
		eptab[ep].nhost = eptab[ep].nkern = 0;
	}
	pthread_mutex_unlock(&ep_lock);
	if (kfd >= 0)
		KSYS(SYS_close, kfd, 0, 0, 0, 0, 0);
}

long
run_epoll_create(long flags)
{
	long hfd;
	int i;

	if (flags & ~EPOLL_CLOEXEC)
		return -EINVAL;
	pthread_mutex_lock(&ep_lock);
	for (i = 0; i < NFD && eptab[i].refs != 0; i++)
		;
	if (i < NFD) {
		eptab[i].refs = 1;
		eptab[i].kfd = -1;
		eptab[i].nhost = eptab[i].nkern = 0;
	}
	pthread_mutex_unlock(&ep_lock);
	if (i == NFD)
		return -EMFILE;
	hfd = HSYS(SYS_epoll_create1, flags, 0, 0, 0, 0, 0);
	return run_fd_enter(0, FD_HOST, hfd, i);
}

/* The kernel epoll descriptor of object ep, made if need be. */
static long
ep_kfd(int ep)
{
	long kfd;

	pthread_mutex_lock(&ep_lock);
	if ((kfd = eptab[ep].kfd) < 0) {
		kfd = KSYS(SYS_epoll_create1, EPOLL_CLOEXEC, 0, 0, 0, 0, 0);
		if (kfd >= 0)
			eptab[ep].kfd = (int)kfd;
	}
	pthread_mutex_unlock(&ep_lock);
	return kfd;
}

long
run_epoll_ctl(long epfd, long op, long fd, long uevent)
{
	struct gfd eb, fb, *e = run_fd_get(epfd, &eb), *f = run_fd_get(fd, &fb);
	long r, kfd;

	if (e == NULL || f == NULL)
		return -EBADF;
	if (e->ep < 0 || epfd == fd)
		return -EINVAL;
	if (f->kind == FD_HOST)
		r = HSYS(SYS_epoll_ctl, e->real, op, f->real, uevent, 0, 0);
	else if ((kfd = ep_kfd(e->ep)) < 0)
		return kfd;
	else
		r = KSYS(SYS_epoll_ctl, kfd, op, f->real, uevent, 0, 0);
	if (r == 0 && (op == EPOLL_CTL_ADD || op == EPOLL_CTL_DEL)) {
		int *cnt = f->kind == FD_HOST ? &eptab[e->ep].nhost :
		    &eptab[e->ep].nkern;

		pthread_mutex_lock(&ep_lock);
		*cnt += op == EPOLL_CTL_ADD ? 1 : -1;
		pthread_mutex_unlock(&ep_lock);
	}
	return r;
}

/* --- Waiting on the kernel's side alone --------------------------------- */

static const struct timespec ts_zero;

/* The program's signal mask at the call (run_poll_call). */
static __thread uint64_t call_progmask;

/*
 * A kernel wait (ppoll or epoll_pwait) under the signal mask the call
 * names.  The thread's mask while a call is served is the program's
 * (and SIGSYS): when the call's differs (pselect's classic use: a signal
 * blocked but while waiting), it is the thread's for the wait, so that
 * the signals it lets in interrupt the kernel's wait (run_signal.c).
 * Such a signal is then delivered under the call's mask, as Linux does:
 * a host ppoll of nothing with no timeout and that mask, in the
 * program's state, runs the handler.
 */
static long
kwait(long nr, long a0, long a1, long a2, long a3, const uint64_t *mask)
{
	const uint64_t sys = 1ull << (SIGSYS - 1);
	uint64_t set = *mask | sys, cur = call_progmask | sys;
	long r;

	if (set == cur)
		return KSYS(nr, a0, a1, a2, a3, 0, 8);
	HSYS(SYS_rt_sigprocmask, SIG_SETMASK, &set, 0, 8, 0, 0);
	r = KSYS(nr, a0, a1, a2, a3, 0, 8);
	HSYS(SYS_rt_sigprocmask, SIG_SETMASK, &cur, 0, 8, 0, 0);
	if (r == -EINTR && run_self()->deferred != 0)
		(void)GSYS(SYS_ppoll, 0, 0, &ts_zero, mask, 8, 0);
	return r;
}

/* --- Waiting on both sides ----------------------------------------------- */

/* The kernel's side of a wait, in a helper thread. */
struct khelper {
	struct pollfd *k;		/* nk descriptors + the wake pipe */
	int nk;
	const struct timespec *ts;
	int hwake;			/* host eventfd: the kernel side ended */
	long result;
	int done;
};

static void *
khelper_main(void *arg)
{
	struct khelper *h = arg;
	uint64_t one = 1;
	long r;

	if ((r = run_sys_thread_begin()) != 0)
		r = -r;
	else {
		r = KSYS(SYS_ppoll, h->k, h->nk + 1, h->ts, 0, 8, 0);
		run_sys_thread_end();
	}
	h->result = r;
	__atomic_store_n(&h->done, 1, __ATOMIC_RELEASE);
	HSYS(SYS_write, h->hwake, &one, sizeof(one), 0, 0, 0);
	return NULL;
}

/*
 * Waits until one of the host descriptors h[0..nh) or the kernel's
 * k[0..nk) is ready (their revents set), for ts (NULL: no limit), with
 * the host's wait under signal mask mask.  Returns the number of ready
 * entries, 0 at the timeout, or -errno (-EINTR: a signal came first).
 */
static long
wait_both(struct pollfd *h, int nh, struct pollfd *k, int nk,
    const struct timespec *ts, const uint64_t *mask)
{
	struct pollfd *hx = NULL, *kx = NULL;
	struct khelper kh;
	pthread_attr_t attr;
	sigset_t all, old;
	pthread_t th;
	long rh, rk, r;
	int kp[2] = { -1, -1 }, hw = -1, i, error;
	char c = 'w';

	if (nk == 0)
		return GSYS(SYS_ppoll, h, nh, ts, mask, 8, 0);
	if (nh == 0)
		return kwait(SYS_ppoll, (long)k, nk, (long)ts, 0, mask);
	/* Both: what is ready now, first. */
	rk = KSYS(SYS_ppoll, k, nk, &ts_zero, 0, 8, 0);
	if (rk < 0)
		return rk;
	rh = GSYS(SYS_ppoll, h, nh, &ts_zero, mask, 8, 0);
	if (rh < 0)
		return rh;
	if (rk + rh > 0 || (ts != NULL && ts->tv_sec == 0 && ts->tv_nsec == 0))
		return rk + rh;

	hx = calloc((size_t)nh + 1, sizeof(*hx));
	kx = calloc((size_t)nk + 1, sizeof(*kx));
	if (hx == NULL || kx == NULL) {
		r = -ENOMEM;
		goto out;
	}
	if ((r = KSYS(SYS_pipe2, kp, O_CLOEXEC | O_NONBLOCK, 0, 0, 0, 0)) < 0)
		goto out;
	if ((r = hw = (int)HSYS(SYS_eventfd2, 0, EFD_CLOEXEC | EFD_NONBLOCK,
	    0, 0, 0, 0)) < 0)
		goto out;
	memcpy(hx, h, (size_t)nh * sizeof(*h));
	hx[nh].fd = hw;
	hx[nh].events = POLLIN;
	memcpy(kx, k, (size_t)nk * sizeof(*k));
	kx[nk].fd = kp[0];
	kx[nk].events = POLLIN;
	memset(&kh, 0, sizeof(kh));
	kh.k = kx;
	kh.nk = nk;
	kh.ts = ts;
	kh.hwake = hw;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	/* strata-run's threads take none of the program's signals. */
	sigfillset(&all);
	sigdelset(&all, SIGSEGV);
	sigdelset(&all, SIGBUS);
	sigdelset(&all, SIGSYS);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	error = pthread_create(&th, &attr, khelper_main, &kh);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (error != 0) {
		r = -EAGAIN;
		goto out;
	}
	rh = GSYS(SYS_ppoll, hx, nh + 1, ts, mask, 8, 0);
	/* The kernel's side ends now if it has not. */
	if (!__atomic_load_n(&kh.done, __ATOMIC_ACQUIRE))
		KSYS(SYS_write, kp[1], &c, 1, 0, 0, 0);
	pthread_join(th, NULL);
	rk = kh.result;
	r = 0;
	if (rk < 0 && rk != -EINTR) {
		r = rk;
		goto out;
	}
	for (i = 0; i < nk; i++) {
		k[i].revents = rk > 0 ? kx[i].revents : 0;
		r += k[i].revents != 0;
	}
	for (i = 0; i < nh; i++) {
		h[i].revents = rh > 0 ? hx[i].revents : 0;
		r += h[i].revents != 0;
	}
	if (r == 0 && rh < 0)
		r = rh;		/* -EINTR and nothing ready */
 out:
	if (kp[0] >= 0) {
		KSYS(SYS_close, kp[0], 0, 0, 0, 0, 0);
		KSYS(SYS_close, kp[1], 0, 0, 0, 0, 0);
	}
	if (hw >= 0)
		HSYS(SYS_close, hw, 0, 0, 0, 0, 0);
	free(hx);
	free(kx);
	return r;
}

/*
 * poll over the program's descriptors p[0..n): each entry is split into
 * the host's and the kernel's part (an epoll instance has both) and the
 * revents merged back.  Returns the count of entries with revents, or
 * -errno.  badf_fails: an unknown descriptor is EBADF (select) instead
 * of POLLNVAL (poll).
 */
static long
wait_fds(struct pollfd *p, long n, const struct timespec *ts,
    const uint64_t *mask, int badf_fails)
{
	struct pollfd *h, *k;
	int *hi, *ki, nh = 0, nk = 0;
	long i, r, ready = 0, nvals = 0;

	h = calloc((size_t)n + 1, sizeof(*h));
	k = calloc((size_t)n + 1, sizeof(*k));
	hi = calloc((size_t)n + 1, sizeof(*hi));
	ki = calloc((size_t)n + 1, sizeof(*ki));
	if (h == NULL || k == NULL || hi == NULL || ki == NULL) {
		r = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct gfd fb, *f;

		hi[i] = ki[i] = -1;
		p[i].revents = 0;
		if (p[i].fd < 0)
			continue;
		if ((f = run_fd_get(p[i].fd, &fb)) == NULL) {
			if (badf_fails) {
				r = -EBADF;
				goto out;
			}
			p[i].revents = POLLNVAL;
			nvals++;
			continue;
		}
		if (f->kind == FD_HOST) {
			h[nh].fd = f->real;
			h[nh].events = p[i].events;
			hi[i] = nh++;
		}
		if (f->kind == FD_RUMP || f->ep >= 0) {
			long kfd = f->kind == FD_RUMP ? f->real : -1;

			if (f->ep >= 0) {
				pthread_mutex_lock(&ep_lock);
				kfd = eptab[f->ep].nkern > 0 ?
				    eptab[f->ep].kfd : -1;
				pthread_mutex_unlock(&ep_lock);
			}
			if (kfd >= 0) {
				k[nk].fd = (int)kfd;
				k[nk].events = p[i].events;
				ki[i] = nk++;
			}
		}
	}
	/* POLLNVAL counts as ready: no waiting then. */
	r = wait_both(h, nh, k, nk, nvals > 0 ? &ts_zero : ts, mask);
	if (r < 0)
		goto out;
	for (i = 0; i < n; i++) {
		if (hi[i] >= 0)
			p[i].revents |= h[hi[i]].revents;
		if (ki[i] >= 0)
			p[i].revents |= k[ki[i]].revents;
		ready += p[i].revents != 0;
	}
	r = ready;
 out:
	free(h);
	free(k);
	free(hi);
	free(ki);
	return r;
}

/* --- The calls ------------------------------------------------------------ */

static void
now(struct timespec *ts)
{

	clock_gettime(CLOCK_MONOTONIC, ts);
}

/* What is left of timeout *ts begun at *t0 (never below zero). */
static void
remaining(struct timespec *ts, const struct timespec *t0)
{
	struct timespec t1;
	long long left;

	now(&t1);
	left = (long long)ts->tv_sec * 1000000000 + ts->tv_nsec -
	    ((long long)(t1.tv_sec - t0->tv_sec) * 1000000000 +
	    (t1.tv_nsec - t0->tv_nsec));
	if (left < 0)
		left = 0;
	ts->tv_sec = left / 1000000000;
	ts->tv_nsec = left % 1000000000;
}

/* A timespec from the program: 0, or EFAULT/EINVAL. */
static int
get_ts(long uts, struct timespec *ts)
{

	if (get_mem(uts, ts, sizeof(*ts)) != 0)
		return EFAULT;
	if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000)
		return EINVAL;
	return 0;
}

/* The signal mask a call names (umask, size), or the program's. */
static int
get_mask(long umask, long size, const sigset_t *cur, uint64_t *mask)
{

	if (umask == 0) {
		memcpy(mask, cur, sizeof(*mask));
	} else {
		if (size != 8)
			return EINVAL;
		if (get_mem(umask, mask, sizeof(*mask)) != 0)
			return EFAULT;
	}
	*mask &= ~(1ull << (SIGSYS - 1));	/* how calls reach us */
	return 0;
}

static long
do_poll(long ufds, long n, const struct timespec *ts, const uint64_t *mask)
{
	struct pollfd *p;
	long r;

	if (n < 0 || n > NFD)
		return -EINVAL;
	if ((p = calloc((size_t)n + 1, sizeof(*p))) == NULL)
		return -ENOMEM;
	if (get_mem(ufds, p, (size_t)n * sizeof(*p)) != 0) {
		free(p);
		return -EFAULT;
	}
	r = wait_fds(p, n, ts, mask, 0);
	if (r >= 0 && put_mem(ufds, p, (size_t)n * sizeof(*p)) != 0)
		r = -EFAULT;
	free(p);
	return r;
}

#define SEL_IN	(POLLIN | POLLRDNORM | POLLRDBAND | POLLHUP | POLLERR)
#define SEL_OUT	(POLLOUT | POLLWRNORM | POLLWRBAND | POLLERR)
#define SEL_EX	(POLLPRI)

/* select's sets (each NULL or n bits, in longs) as a poll. */
static long
do_select(long n, long urd, long uwr, long uex, const struct timespec *ts,
    const uint64_t *mask)
{
	unsigned long set[3][NFD / 64];
	long uset[3] = { urd, uwr, uex };
	struct pollfd *p;
	size_t bytes;
	long i, np = 0, r, count = 0;
	int j;

	if (n < 0)
		return -EINVAL;
	if (n > NFD)
		n = NFD;
	bytes = (size_t)((n + 63) / 64) * 8;
	memset(set, 0, sizeof(set));
	for (j = 0; j < 3; j++)
		if (uset[j] != 0 && get_mem(uset[j], set[j], bytes) != 0)
			return -EFAULT;
	if ((p = calloc((size_t)n + 1, sizeof(*p))) == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		short ev = 0;

		if (set[0][i / 64] & (1ul << (i % 64)))
			ev |= POLLIN;
		if (set[1][i / 64] & (1ul << (i % 64)))
			ev |= POLLOUT;
		if (set[2][i / 64] & (1ul << (i % 64)))
			ev |= POLLPRI;
		if (ev == 0)
			continue;
		p[np].fd = (int)i;
		p[np++].events = ev;
	}
	r = wait_fds(p, np, ts, mask, 1);
	if (r < 0) {
		free(p);
		return r;
	}
	memset(set, 0, sizeof(set));
	for (i = 0; i < np; i++) {
		int fd = p[i].fd;
		short re = p[i].revents;

		if ((p[i].events & POLLIN) && (re & SEL_IN)) {
			set[0][fd / 64] |= 1ul << (fd % 64);
			count++;
		}
		if ((p[i].events & POLLOUT) && (re & SEL_OUT)) {
			set[1][fd / 64] |= 1ul << (fd % 64);
			count++;
		}
		if ((p[i].events & POLLPRI) && (re & SEL_EX)) {
			set[2][fd / 64] |= 1ul << (fd % 64);
			count++;
		}
	}
	free(p);
	for (j = 0; j < 3; j++)
		if (uset[j] != 0 && put_mem(uset[j], set[j], bytes) != 0)
			return -EFAULT;
	return count;
}

/* epoll_wait on an instance with descriptors of both sides: wait for
 * either half to be readable, then collect without waiting. */
static long
do_epoll_wait(long epfd, long uev, long max, const struct timespec *ts,
    const uint64_t *mask)
{
	struct gfd eb, *e = run_fd_get(epfd, &eb);
	struct timespec left, t0;
	struct pollfd p[2];
	long kfd, r, n;
	int nhost, nkern;

	if (e == NULL)
		return -EBADF;
	if (e->ep < 0)
		return -EINVAL;
	if (max <= 0 || max > 0x7fffffff / EPOLL_EVENT_SIZE)
		return -EINVAL;
	pthread_mutex_lock(&ep_lock);
	kfd = eptab[e->ep].kfd;
	nhost = eptab[e->ep].nhost;
	nkern = eptab[e->ep].nkern;
	pthread_mutex_unlock(&ep_lock);
	if (kfd < 0 || nkern == 0)
		/* Only host descriptors: the host's own epoll_pwait2. */
		return GSYS(SYS_epoll_pwait2, e->real, uev, max, ts, mask, 8);
	if (nhost == 0) {
		/* Only the kernel's (its timeout in milliseconds, rounded
		 * up). */
		long ms = -1;

		if (ts != NULL)
			ms = ts->tv_sec * 1000 + (ts->tv_nsec + 999999) / 1000000;
		return kwait(SYS_epoll_pwait, kfd, uev, max, ms, mask);
	}
	if (ts != NULL)
		left = *ts;
	now(&t0);
	for (;;) {
		memset(p, 0, sizeof(p));
		p[0].fd = e->real;
		p[0].events = POLLIN;
		p[1].fd = (int)kfd;
		p[1].events = POLLIN;
		r = wait_both(&p[0], 1, &p[1], 1, ts != NULL ? &left : NULL,
		    mask);
		if (r <= 0)
			return r;
		n = 0;
		if (p[0].revents & POLLIN) {
			n = HSYS(SYS_epoll_wait, e->real, uev, max, 0, 0, 0);
			if (n < 0)
				return n;
		}
		if ((p[1].revents & POLLIN) && n < max) {
			r = KSYS(SYS_epoll_pwait, kfd,
			    uev + n * EPOLL_EVENT_SIZE, max - n, 0, 0, 8);
			if (r < 0 && n == 0)
				return r;
			if (r > 0)
				n += r;
		}
		if (n > 0)
			return n;
		/* Readable but nothing to report (edge-triggered events
		 * taken by another thread): wait again for what is left. */
		if (ts != NULL) {
			left = *ts;
			remaining(&left, &t0);
			if (left.tv_sec == 0 && left.tv_nsec == 0)
				return 0;
		}
	}
}

long
run_poll_call(long nr, const long a[6], const sigset_t *cur)
{
	struct timespec ts, t0, *tsp = NULL;
	uint64_t mask;
	long r, sig[2], uts = 0;
	int e;

	memcpy(&call_progmask, cur, sizeof(call_progmask));
	now(&t0);
	switch (nr) {
	case SYS_poll:
		get_mask(0, 8, cur, &mask);
		if (a[2] >= 0) {
			ts.tv_sec = a[2] / 1000;
			ts.tv_nsec = (a[2] % 1000) * 1000000;
			tsp = &ts;
		}
		return do_poll(a[0], a[1], tsp, &mask);
	case SYS_ppoll:
		if ((uts = a[2]) != 0) {
			if ((e = get_ts(uts, &ts)) != 0)
				return -e;
			tsp = &ts;
		}
		if ((e = get_mask(a[3], a[4], cur, &mask)) != 0)
			return -e;
		r = do_poll(a[0], a[1], tsp, &mask);
		break;
	case SYS_select: {
		struct timeval tv;

		get_mask(0, 8, cur, &mask);
		if (a[4] != 0) {
			if (get_mem(a[4], &tv, sizeof(tv)) != 0)
				return -EFAULT;
			if (tv.tv_sec < 0 || tv.tv_usec < 0)
				return -EINVAL;
			ts.tv_sec = tv.tv_sec + tv.tv_usec / 1000000;
			ts.tv_nsec = (tv.tv_usec % 1000000) * 1000;
			tsp = &ts;
		}
		r = do_select(a[0], a[1], a[2], a[3], tsp, &mask);
		/* Linux leaves the time not slept in the timeout. */
		if (tsp != NULL && r >= 0) {
			remaining(&ts, &t0);
			tv.tv_sec = ts.tv_sec;
			tv.tv_usec = ts.tv_nsec / 1000;
			(void)put_mem(a[4], &tv, sizeof(tv));
		}
		return r;
	}
	case SYS_pselect6:
		if ((uts = a[4]) != 0) {
			if ((e = get_ts(uts, &ts)) != 0)
				return -e;
			tsp = &ts;
		}
		sig[0] = sig[1] = 0;
		if (a[5] != 0 && get_mem(a[5], sig, sizeof(sig)) != 0)
			return -EFAULT;
		if ((e = get_mask(sig[0], sig[1], cur, &mask)) != 0)
			return -e;
		r = do_select(a[0], a[1], a[2], a[3], tsp, &mask);
		break;
	case SYS_epoll_wait:
	case SYS_epoll_pwait:
	case SYS_epoll_pwait2:
		if (nr == SYS_epoll_pwait2) {
			if (a[3] != 0) {
				if ((e = get_ts(a[3], &ts)) != 0)
					return -e;
				tsp = &ts;
			}
		} else if (a[3] >= 0) {
			ts.tv_sec = a[3] / 1000;
			ts.tv_nsec = (a[3] % 1000) * 1000000;
			tsp = &ts;
		}
		if (nr == SYS_epoll_wait)
			get_mask(0, 8, cur, &mask);
		else if ((e = get_mask(a[4], a[5], cur, &mask)) != 0)
			return -e;
		return do_epoll_wait(a[0], a[1], a[2], tsp, &mask);
	default:
		return -ENOSYS;
	}
	/* ppoll and pselect6: the time not slept back in the timeout, as
	 * the Linux system calls do (their C library wrappers hide it). */
	if (tsp != NULL && r >= 0) {
		remaining(&ts, &t0);
		(void)put_mem(uts, &ts, sizeof(ts));
	}
	return r;
}
