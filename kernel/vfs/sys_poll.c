/*
 * sys_poll.c: poll, ppoll, select, pselect6: readiness of any
 * descriptor through fo_poll() and the pollheads of vfs/poll.h.
 *
 * One call registers on the pollheads of every file it watches (first
 * pass), then sleeps until a callback marks it woken or the timeout
 * passes, and asks every file again.  Files without fo_poll (those of
 * file systems) are always ready for reading and writing, as on Linux.
 * There are no signals: the signal masks of ppoll and pselect6 are
 * checked for size and otherwise ignored, and a sleep ends only by an
 * event or the timeout.
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/kmem.h>
#include <kern/libkern.h>
#include <kern/lock.h>
#include <kern/clock.h>
#include <kern/syscall.h>
#include <rump/rump_syscalls.h>
#include <vfs/vnode.h>
#include <vfs/abi.h>
#include <vfs/file.h>
#include <vfs/poll.h>

/* What Linux assumes of a file that cannot say (DEFAULT_POLLMASK). */
#define POLL_DEFAULT	(POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM)

struct pollreg {
	struct pollentry pr_pe;
	struct pollwaiter *pr_pw;
	struct pollreg	*pr_next;
};

struct pollwaiter {
	struct polltable pw_pt;		/* first member: see pw_register */
	kmutex_t	 pw_lock;
	kcondvar_t	 pw_cv;
	bool		 pw_woken;	/* pw_lock */
	struct pollreg	*pw_regs;
	bool		 pw_nomem;
};

static void
pw_wake(struct pollentry *pe, int events)
{
	struct pollreg *pr = container_of(pe, struct pollreg, pr_pe);
	struct pollwaiter *pw = pr->pr_pw;

	(void)events;
	mutex_enter(&pw->pw_lock);
	pw->pw_woken = true;
	cv_signal(&pw->pw_cv);
	mutex_exit(&pw->pw_lock);
}

static void
pw_register(struct polltable *pt, struct pollhead *ph)
{
	struct pollwaiter *pw = (struct pollwaiter *)pt;
	struct pollreg *pr;

	pr = kmem_alloc(sizeof(*pr), KM_SLEEP);
	if (pr == NULL) {
		/* Without a registration we cannot sleep safely: the
		 * caller then polls again after short naps. */
		pw->pw_nomem = true;
		return;
	}
	pr->pr_pw = pw;
	pr->pr_next = pw->pw_regs;
	pw->pw_regs = pr;
	pollhead_add(ph, &pr->pr_pe, pw_wake);
}

static void
pollwaiter_init(struct pollwaiter *pw)
{

	memset(pw, 0, sizeof(*pw));
	pw->pw_pt.pt_register = pw_register;
	mutex_init(&pw->pw_lock, MUTEX_DEFAULT);
	cv_init(&pw->pw_cv);
}

static void
pollwaiter_fini(struct pollwaiter *pw)
{
	struct pollreg *pr;

	while ((pr = pw->pw_regs) != NULL) {
		pw->pw_regs = pr->pr_next;
		pollhead_remove(&pr->pr_pe);
		kmem_free(pr, sizeof(*pr));
	}
	cv_destroy(&pw->pw_cv);
	mutex_destroy(&pw->pw_lock);
}

/* Sleeps until woken or the monotonic deadline (0: none) passes: 0,
 * ETIMEDOUT when it passed, EINTR when the lwp was interrupted. */
static int
pollwaiter_sleep(struct pollwaiter *pw, uint64_t deadline)
{
	uint64_t now, wait;
	int error = 0, e;

	mutex_enter(&pw->pw_lock);
	while (!pw->pw_woken) {
		wait = 0;
		if (deadline != 0) {
			now = getmonotonic_ns();
			if (now >= deadline) {
				error = ETIMEDOUT;
				break;
			}
			wait = deadline - now;
		}
		if (pw->pw_nomem && (wait == 0 || wait > 10000000))
			wait = 10000000;
		e = cv_timedwait_sig_ns(&pw->pw_cv, &pw->pw_lock, wait);
		if (e == EINTR) {
			error = EINTR;
			break;
		}
		if (e != 0 && pw->pw_nomem)
			break;
	}
	pw->pw_woken = false;
	mutex_exit(&pw->pw_lock);
	return error;
}

int
file_poll(struct file *fp, int events, struct polltable *pt)
{

	if (fp->f_ops->fo_poll == NULL)
		return events & POLL_DEFAULT;
	return fp->f_ops->fo_poll(fp, events, pt);
}

/* A relative timeout as a monotonic deadline; 0 means "none", and a
 * zero timeout is reported through *nowaitp. */
static uint64_t
deadline_of(const struct timespec *ts, bool *nowaitp)
{
	uint64_t ns;

	*nowaitp = false;
	if (ts == NULL)
		return 0;
	if (ts->tv_sec == 0 && ts->tv_nsec == 0) {
		*nowaitp = true;
		return 0;
	}
	if ((uint64_t)ts->tv_sec > (UINT64_MAX / 2) / 1000000000ULL)
		return 0;	/* far enough to be forever */
	ns = (uint64_t)ts->tv_sec * 1000000000ULL + (uint64_t)ts->tv_nsec;
	return getmonotonic_ns() + ns;
}

/* The time left until deadline, for the calls that report it. */
static void
remaining(uint64_t deadline, struct timespec *ts)
{
	uint64_t now = getmonotonic_ns(), left;

	left = deadline > now ? deadline - now : 0;
	ts->tv_sec = (int64_t)(left / 1000000000ULL);
	ts->tv_nsec = (long)(left % 1000000000ULL);
}

struct pollfd {
	int	fd;
	short	events;
	short	revents;
};

/* poll on a kernel copy of the pollfd array. */
static int
dopoll(struct pollfd *fds, unsigned nfds, const struct timespec *ts,
    long *retval)
{
	struct pollwaiter pw;
	struct file **fps;
	uint64_t deadline;
	bool nowait, first = true;
	unsigned i;
	int n, events, error = 0;

	fps = kmem_zalloc((nfds ? nfds : 1) * sizeof(*fps), KM_SLEEP);
	if (fps == NULL)
		return ENOMEM;
	deadline = deadline_of(ts, &nowait);
	pollwaiter_init(&pw);
	for (i = 0; i < nfds; i++) {
		if (fds[i].fd >= 0 && fd_getfile(fds[i].fd, &fps[i]) != 0)
			fps[i] = NULL;
		/* O_PATH files are no good for polling either. */
		if (fps[i] != NULL && (file_flags(fps[i]) & FPATH)) {
			file_release(fps[i]);
			fps[i] = NULL;
		}
	}
	for (;;) {
		n = 0;
		for (i = 0; i < nfds; i++) {
			fds[i].revents = 0;
			if (fds[i].fd < 0)
				continue;
			if (fps[i] == NULL) {
				fds[i].revents = POLLNVAL;
				n++;
				continue;
			}
			events = (unsigned short)fds[i].events;
			fds[i].revents = (short)(file_poll(fps[i],
			    events | POLL_ALWAYS,
			    first && !nowait ? &pw.pw_pt : NULL) &
			    (events | POLLERR | POLLHUP));
			if (fds[i].revents != 0)
				n++;
		}
		first = false;
		if (n > 0 || nowait || error != 0)
			break;
		/* Interrupted: one last look too (what is ready wins, as on
		 * Linux), then EINTR, never restarted. */
		if ((error = pollwaiter_sleep(&pw, deadline)) != 0)
			nowait = true;
		if (error == ETIMEDOUT)
			error = 0;
	}
	pollwaiter_fini(&pw);
	for (i = 0; i < nfds; i++)
		if (fps[i] != NULL)
			file_release(fps[i]);
	kmem_free(fps, (nfds ? nfds : 1) * sizeof(*fps));
	if (n > 0)
		error = 0;
	*retval = n;
	return error;
}

static int
dopoll_user(struct pollfd *ufds, unsigned long nfds,
    const struct timespec *ts, long *retval)
{
	struct pollfd *fds;
	size_t size;
	int error;

	if (nfds > FD_LIMIT)
		return EINVAL;
	size = (nfds ? nfds : 1) * sizeof(*fds);
	fds = kmem_alloc(size, KM_SLEEP);
	if (fds == NULL)
		return ENOMEM;
	error = copyin(ufds, fds, nfds * sizeof(*fds));
	if (error == 0)
		error = dopoll(fds, (unsigned)nfds, ts, retval);
	/* Only revents go back (Linux writes the whole entries). */
	if (error == 0)
		error = copyout(fds, ufds, nfds * sizeof(*fds));
	kmem_free(fds, size);
	return error;
}

SYSCALL_LEGACY(SYS_poll, poll)
{
	int ms = (int)args[2];
	struct timespec ts;

	if (ms < 0)
		return dopoll_user((struct pollfd *)args[0],
		    (unsigned long)args[1], NULL, retval);
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	return dopoll_user((struct pollfd *)args[0], (unsigned long)args[1],
	    &ts, retval);
}

/* The sigset size of ppoll, pselect6 and epoll_pwait: Linux wants the
 * kernel's (8 bytes) when a mask is given. */
#define KSIGSET_SIZE	8

static int
copyin_timespec(const void *uts, struct timespec *ts)
{
	int error;

	error = copyin(uts, ts, sizeof(*ts));
	if (error == 0 && (ts->tv_sec < 0 || ts->tv_nsec < 0 ||
	    ts->tv_nsec >= 1000000000L))
		error = EINVAL;
	return error;
}

SYSCALL(SYS_ppoll, ppoll)
{
	struct timespec *uts = (struct timespec *)args[2], ts, left;
	uint64_t deadline = 0;
	bool nowait;
	int error;

	if (args[3] != 0 && (size_t)args[4] != KSIGSET_SIZE)
		return EINVAL;
	if (uts != NULL) {
		error = copyin_timespec(uts, &ts);
		if (error != 0)
			return error;
		deadline = deadline_of(&ts, &nowait);
	}
	error = dopoll_user((struct pollfd *)args[0], (unsigned long)args[1],
	    uts != NULL ? &ts : NULL, retval);
	/* Linux writes the time left back. */
	/* Interrupted too (Linux's poll_select_finish()). */
	if ((error == 0 || error == EINTR) && uts != NULL) {
		left.tv_sec = left.tv_nsec = 0;
		if (deadline != 0)
			remaining(deadline, &left);
		(void)copyout(&left, uts, sizeof(left));
	}
	return error;
}

/*
 * select: three bitmaps of nfds bits (in longs, as the client's fd_set)
 * become a poll over the descriptors set in any of them.
 */
#define NFDBITS		(8 * sizeof(unsigned long))
#define SEL_IN		(POLLIN | POLLRDNORM | POLLRDBAND | POLLHUP | POLLERR)
#define SEL_OUT		(POLLOUT | POLLWRNORM | POLLWRBAND | POLLERR)
#define SEL_EX		(POLLPRI)

static int
doselect(int nfds, unsigned long *urd, unsigned long *uwr, unsigned long *uex,
    const struct timespec *ts, long *retval)
{
	unsigned long *in[3], *out[3], bit;
	unsigned long *uset[3] = { urd, uwr, uex };
	struct pollfd *fds = NULL;
	size_t words, bytes;
	unsigned npfd = 0, k;
	int fd, i, n = 0, error = 0;
	long r;

	if (nfds < 0)
		return EINVAL;
	if (nfds > FD_LIMIT)
		nfds = FD_LIMIT;
	words = howmany((size_t)nfds, NFDBITS);
	bytes = words * sizeof(unsigned long);
	for (i = 0; i < 3; i++) {
		in[i] = kmem_zalloc(bytes ? bytes : 1, KM_SLEEP);
		out[i] = kmem_zalloc(bytes ? bytes : 1, KM_SLEEP);
		if (in[i] == NULL || out[i] == NULL)
			error = ENOMEM;
		if (error == 0 && uset[i] != NULL && bytes > 0)
			error = copyin(uset[i], in[i], bytes);
	}
	if (error != 0)
		goto out;
	fds = kmem_alloc((nfds ? (size_t)nfds : 1) * sizeof(*fds), KM_SLEEP);
	if (fds == NULL) {
		error = ENOMEM;
		goto out;
	}
	for (fd = 0; fd < nfds; fd++) {
		short ev = 0;

		bit = 1UL << (fd % NFDBITS);
		if (in[0][fd / NFDBITS] & bit)
			ev |= SEL_IN;
		if (in[1][fd / NFDBITS] & bit)
			ev |= SEL_OUT;
		if (in[2][fd / NFDBITS] & bit)
			ev |= SEL_EX;
		if (ev == 0)
			continue;
		fds[npfd].fd = fd;
		fds[npfd].events = ev;
		npfd++;
	}
	error = dopoll(fds, npfd, ts, &r);
	if (error != 0)
		goto out;
	for (k = 0; k < npfd; k++) {
		short re = fds[k].revents;

		fd = fds[k].fd;
		bit = 1UL << (fd % NFDBITS);
		/* A descriptor that is not open: select fails. */
		if (re & POLLNVAL) {
			error = EBADF;
			goto out;
		}
		if ((re & SEL_IN) && (in[0][fd / NFDBITS] & bit)) {
			out[0][fd / NFDBITS] |= bit;
			n++;
		}
		if ((re & SEL_OUT) && (in[1][fd / NFDBITS] & bit)) {
			out[1][fd / NFDBITS] |= bit;
			n++;
		}
		if ((re & SEL_EX) && (in[2][fd / NFDBITS] & bit)) {
			out[2][fd / NFDBITS] |= bit;
			n++;
		}
	}
	for (i = 0; i < 3 && error == 0; i++)
		if (uset[i] != NULL && bytes > 0)
			error = copyout(out[i], uset[i], bytes);
	if (error == 0)
		*retval = n;
 out:
	if (fds != NULL)
		kmem_free(fds, (nfds ? (size_t)nfds : 1) * sizeof(*fds));
	for (i = 0; i < 3; i++) {
		if (in[i] != NULL)
			kmem_free(in[i], bytes ? bytes : 1);
		if (out[i] != NULL)
			kmem_free(out[i], bytes ? bytes : 1);
	}
	return error;
}

struct ktimeval_sel {
	int64_t	tv_sec;
	int64_t	tv_usec;
};

SYSCALL_LEGACY(SYS_select, select)
{
	struct ktimeval_sel *utv = (struct ktimeval_sel *)args[4], tv;
	struct timespec ts, left;
	uint64_t deadline = 0;
	bool nowait;
	int error;

	if (utv != NULL) {
		error = copyin(utv, &tv, sizeof(tv));
		if (error != 0)
			return error;
		if (tv.tv_sec < 0 || tv.tv_usec < 0)
			return EINVAL;
		/* Linux normalises a large tv_usec. */
		ts.tv_sec = tv.tv_sec + tv.tv_usec / 1000000;
		ts.tv_nsec = (long)(tv.tv_usec % 1000000) * 1000;
		deadline = deadline_of(&ts, &nowait);
	}
	error = doselect((int)args[0], (unsigned long *)args[1],
	    (unsigned long *)args[2], (unsigned long *)args[3],
	    utv != NULL ? &ts : NULL, retval);
	/* Interrupted too (Linux's poll_select_finish()). */
	if ((error == 0 || error == EINTR) && utv != NULL) {
		left.tv_sec = left.tv_nsec = 0;
		if (deadline != 0)
			remaining(deadline, &left);
		tv.tv_sec = left.tv_sec;
		tv.tv_usec = left.tv_nsec / 1000;
		(void)copyout(&tv, utv, sizeof(tv));
	}
	return error;
}

SYSCALL(SYS_pselect6, pselect6)
{
	struct timespec *uts = (struct timespec *)args[4], ts, left;
	const void *usig = (const void *)args[5];
	struct { const void *ss; size_t ss_len; } sig;
	uint64_t deadline = 0;
	bool nowait;
	int error;

	if (usig != NULL) {
		error = copyin(usig, &sig, sizeof(sig));
		if (error != 0)
			return error;
		if (sig.ss != NULL && sig.ss_len != KSIGSET_SIZE)
			return EINVAL;
	}
	if (uts != NULL) {
		error = copyin_timespec(uts, &ts);
		if (error != 0)
			return error;
		deadline = deadline_of(&ts, &nowait);
	}
	error = doselect((int)args[0], (unsigned long *)args[1],
	    (unsigned long *)args[2], (unsigned long *)args[3],
	    uts != NULL ? &ts : NULL, retval);
	/* Interrupted too (Linux's poll_select_finish()). */
	if ((error == 0 || error == EINTR) && uts != NULL) {
		left.tv_sec = left.tv_nsec = 0;
		if (deadline != 0)
			remaining(deadline, &left);
		(void)copyout(&left, uts, sizeof(left));
	}
	return error;
}

/* Typed entry points. */
int
rump_sys_poll(struct pollfd *fds, unsigned long nfds, int timeout)
{
	struct timespec ts, *tsp = NULL;

	if (timeout >= 0) {
		ts.tv_sec = timeout / 1000;
		ts.tv_nsec = (timeout % 1000) * 1000000L;
		tsp = &ts;
	}
	return (int)syscall_typed(SYS_ppoll, (long)fds, (long)nfds, (long)tsp,
	    0, 0, 0);
}

int
rump_sys_ppoll(struct pollfd *fds, unsigned long nfds,
    struct timespec *timeout, const void *sigmask, size_t sigsetsize)
{

	return (int)syscall_typed(SYS_ppoll, (long)fds, (long)nfds,
	    (long)timeout, (long)sigmask, (long)sigsetsize, 0);
}

int
rump_sys_select(int nfds, void *rd, void *wr, void *ex, struct timeval *tv)
{
	struct ktimeval_sel *ktv = (struct ktimeval_sel *)tv;
	struct timespec ts, *tsp = NULL;
	int r;

	if (ktv != NULL) {
		/* Negative: pselect6 says EINVAL. */
		if (ktv->tv_sec < 0 || ktv->tv_usec < 0) {
			ts.tv_sec = -1;
			ts.tv_nsec = 0;
			return (int)syscall_typed(SYS_pselect6, nfds, (long)rd,
			    (long)wr, (long)ex, (long)&ts, 0);
		}
		ts.tv_sec = ktv->tv_sec + ktv->tv_usec / 1000000;
		ts.tv_nsec = (long)(ktv->tv_usec % 1000000) * 1000;
		tsp = &ts;
	}
	r = (int)syscall_typed(SYS_pselect6, nfds, (long)rd, (long)wr,
	    (long)ex, (long)tsp, 0);
	if (ktv != NULL) {
		ktv->tv_sec = ts.tv_sec;
		ktv->tv_usec = ts.tv_nsec / 1000;
	}
	return r;
}

int
rump_sys_pselect6(int nfds, void *rd, void *wr, void *ex,
    struct timespec *timeout, const void *sigdata)
{

	return (int)syscall_typed(SYS_pselect6, nfds, (long)rd, (long)wr,
	    (long)ex, (long)timeout, (long)sigdata);
}
