/*
 * t_intr.c: interruptible waits (rump_lwp_interrupt): a call blocked in
 * the kernel ends as a Linux call ends when a signal handler interrupts
 * it: ERESTARTSYS from rump_syscall() for the calls Linux restarts under
 * SA_RESTART, EINTR for those it never restarts, a partial count when
 * something was transferred.  The mark stays until cleared, so a call
 * interrupted before it waits ends as soon as it would wait; calls that
 * do not wait are not affected.
 *
 * Each "blocked" case runs the call in a second thread bound to a new
 * lwp of the test's process and interrupts it from the first after the
 * call had time to go to sleep.  The outcome does not depend on that
 * time: an interrupt that comes before the wait ends it too.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/types.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <atf-c.h>

#include <rump/rump.h>
#include <rump/rump_syscalls.h>

#include "h_rumptest.h"

#define ERESTARTSYS	512	/* rump.h: Linux's internal restart code */

/* A system call made by another lwp of the process. */
struct call {
	int		nr;
	long		args[6];
	int		pid;
	struct lwp	*l;
	int		ready;		/* l is set, the call starts */
	int		error;
	long		rv;
	int		cleared;	/* rump_lwp_interrupt_clear said */
	int		interrupted;	/* the lwp may go */
};

static void *
caller(void *arg)
{
	struct call *c = arg;
	long rv[2] = { 0, 0 };
	int error;

	error = rump_lwproc_newlwp(c->pid);
	if (error != 0) {
		c->error = -error;
		__atomic_store_n(&c->ready, 1, __ATOMIC_RELEASE);
		return NULL;
	}
	c->l = rump_lwproc_curlwp();
	__atomic_store_n(&c->ready, 1, __ATOMIC_RELEASE);
	c->error = rump_syscall(c->nr, c->args, rv);
	c->rv = rv[0];
	/* The lwp stays until the interrupt is made (a call that did not
	 * wait may end before it comes). */
	for (int i = 0; i < 10000 &&
	    !__atomic_load_n(&c->interrupted, __ATOMIC_ACQUIRE); i++)
		rt_sleep_ms(1);
	c->cleared = rump_lwp_interrupt_clear(c->l);
	rump_lwproc_releaselwp();
	return NULL;
}

/* Runs nr(args) in another lwp, interrupts it once it is (most likely)
 * asleep, and waits for it to end; *c holds the outcome. */
static void
interrupt_blocked(struct call *c, int nr, long a0, long a1, long a2, long a3)
{
	void *t;
	int i;

	memset(c, 0, sizeof(*c));
	c->nr = nr;
	c->args[0] = a0;
	c->args[1] = a1;
	c->args[2] = a2;
	c->args[3] = a3;
	c->pid = rump_sys_getpid();
	t = rt_thread_start(caller, c, "caller");
	for (i = 0; i < 10000 && !__atomic_load_n(&c->ready, __ATOMIC_ACQUIRE);
	    i++)
		rt_sleep_ms(1);
	ATF_REQUIRE(__atomic_load_n(&c->ready, __ATOMIC_ACQUIRE));
	ATF_REQUIRE_MSG(c->l != NULL, "newlwp: %d", -c->error);
	rt_sleep_ms(50);
	rump_lwp_interrupt(c->l);
	__atomic_store_n(&c->interrupted, 1, __ATOMIC_RELEASE);
	rt_thread_join(t);
	ATF_REQUIRE_EQ_MSG(1, c->cleared, "the mark stays until cleared");
}

static void
proc_boot(void)
{

	boot();
	ATF_REQUIRE_EQ(0, rump_lwproc_rfork(RUMP_RFCFDG));
}

ATF_TC_WITHOUT_HEAD(pipe_read);
ATF_TC_BODY(pipe_read, tc)
{
	struct call c;
	char buf[8];
	int p[2];

	proc_boot();
	RL(rump_sys_pipe2(p, 0));
	/* Nothing read yet: restartable. */
	interrupt_blocked(&c, SYS_read, p[0], (long)buf, sizeof(buf), 0);
	ATF_REQUIRE_EQ_MSG(ERESTARTSYS, c.error, "error %d", c.error);
	/* The pipe is as it was: a write, then the read gets it. */
	ATF_REQUIRE_EQ(2, RL(rump_sys_write(p[1], "hi", 2)));
	ATF_REQUIRE_EQ(2, RL(rump_sys_read(p[0], buf, sizeof(buf))));
	ATF_REQUIRE_EQ(0, memcmp(buf, "hi", 2));
	/* The mark was cleared: the next read waits, and is interrupted
	 * again. */
	interrupt_blocked(&c, SYS_read, p[0], (long)buf, sizeof(buf), 0);
	ATF_REQUIRE_EQ(ERESTARTSYS, c.error);
}

ATF_TC_WITHOUT_HEAD(before_wait);
ATF_TC_BODY(before_wait, tc)
{
	struct lwp *l;
	long args[6], rv[2];
	char buf[8];
	int p[2];

	proc_boot();
	l = rump_lwproc_curlwp();
	ATF_REQUIRE(l != NULL);
	RL(rump_sys_pipe2(p, 0));
	ATF_REQUIRE_EQ(0, rump_lwp_interrupt_clear(l));
	rump_lwp_interrupt(l);
	/* Calls that do not wait are not affected. */
	ATF_REQUIRE(RL(rump_sys_getpid()) > 1);
	ATF_REQUIRE_EQ(3, RL(rump_sys_write(p[1], "abc", 3)));
	ATF_REQUIRE_EQ(3, RL(rump_sys_read(p[0], buf, sizeof(buf))));
	/* One that would wait ends at once, every time, until cleared. */
	args[0] = p[0];
	args[1] = (long)buf;
	args[2] = sizeof(buf);
	ATF_REQUIRE_EQ(ERESTARTSYS, rump_syscall(SYS_read, args, rv));
	ERR(EINTR, rump_sys_read(p[0], buf, sizeof(buf)));
	ATF_REQUIRE_EQ(1, rump_lwp_interrupt_clear(l));
	ATF_REQUIRE_EQ(0, rump_lwp_interrupt_clear(l));
	/* Cleared: it waits again (for data that is there). */
	ATF_REQUIRE_EQ(1, RL(rump_sys_write(p[1], "x", 1)));
	ATF_REQUIRE_EQ(1, RL(rump_sys_read(p[0], buf, sizeof(buf))));
}

/* A write bigger than the pipe: what fits is written, then the wait for
 * room is interrupted: the count, not an error. */
ATF_TC_WITHOUT_HEAD(pipe_write_partial);
ATF_TC_BODY(pipe_write_partial, tc)
{
	static char big[256 * 1024];
	struct call c;
	int p[2];

	proc_boot();
	RL(rump_sys_pipe2(p, 0));
	interrupt_blocked(&c, SYS_write, p[1], (long)big, sizeof(big), 0);
	ATF_REQUIRE_EQ_MSG(0, c.error, "error %d", c.error);
	ATF_REQUIRE_MSG(c.rv > 0 && c.rv < (long)sizeof(big), "wrote %ld",
	    c.rv);
	/* Full now, and interrupted before it wrote anything: restart. */
	interrupt_blocked(&c, SYS_write, p[1], (long)big, 1, 0);
	ATF_REQUIRE_EQ(ERESTARTSYS, c.error);
}

/* The calls Linux restarts under SA_RESTART. */
ATF_TC_WITHOUT_HEAD(restartable);
ATF_TC_BODY(restartable, tc)
{
	struct sockaddr_un sun;
	struct call c;
	uint64_t v;
	char buf[8];
	int efd, s, sv[2];

	proc_boot();
	efd = RL(rump_sys_eventfd2(0, 0));
	interrupt_blocked(&c, SYS_read, efd, (long)&v, sizeof(v), 0);
	ATF_REQUIRE_EQ_MSG(ERESTARTSYS, c.error, "eventfd: %d", c.error);

	RL(rump_sys_socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	interrupt_blocked(&c, SYS_recvfrom, sv[0], (long)buf, sizeof(buf), 0);
	ATF_REQUIRE_EQ_MSG(ERESTARTSYS, c.error, "recv: %d", c.error);

	s = RL(rump_sys_socket(AF_UNIX, SOCK_STREAM, 0));
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, "/lsock");
	RL(rump_sys_bind(s, (struct sockaddr *)&sun, sizeof(sun)));
	RL(rump_sys_listen(s, 4));
	interrupt_blocked(&c, SYS_accept, s, 0, 0, 0);
	ATF_REQUIRE_EQ_MSG(ERESTARTSYS, c.error, "accept: %d", c.error);
}

/* A FIFO's open waits for the other side; interrupted, it is undone. */
ATF_TC_WITHOUT_HEAD(fifo_open);
ATF_TC_BODY(fifo_open, tc)
{
	struct call c;
	int fd;

	proc_boot();
	RL(rump_sys_mknod("/fifo", S_IFIFO | 0600, 0));
	interrupt_blocked(&c, SYS_openat, AT_FDCWD, (long)"/fifo", O_RDONLY,
	    0);
	ATF_REQUIRE_EQ_MSG(ERESTARTSYS, c.error, "open: %d", c.error);
	/* No reader is left behind: a writer that will not wait fails. */
	ERR(ENXIO, rump_sys_open("/fifo", O_WRONLY | O_NONBLOCK));
	fd = RL(rump_sys_open("/fifo", O_RDONLY | O_NONBLOCK));
	RL(rump_sys_close(RL(rump_sys_open("/fifo", O_WRONLY | O_NONBLOCK))));
	RL(rump_sys_close(fd));
}

/* The calls Linux never restarts: EINTR. */
ATF_TC_WITHOUT_HEAD(never_restarted);
ATF_TC_BODY(never_restarted, tc)
{
	struct pollfd pfd;
	struct epoll_event ev;
	struct timespec ts, left;
	struct timeval tv;
	struct call c;
	char buf[8];
	int p[2], ep, sv[2];

	proc_boot();
	RL(rump_sys_pipe2(p, 0));
	pfd.fd = p[0];
	pfd.events = POLLIN;
	/* (ppoll and epoll_pwait: the calls every architecture has.) */
	interrupt_blocked(&c, SYS_ppoll, (long)&pfd, 1, 0, 0);
	ATF_REQUIRE_EQ_MSG(EINTR, c.error, "ppoll: %d", c.error);

	ts.tv_sec = 100;
	ts.tv_nsec = 0;
	interrupt_blocked(&c, SYS_ppoll, (long)&pfd, 1, (long)&ts, 0);
	ATF_REQUIRE_EQ_MSG(EINTR, c.error, "ppoll, timed: %d", c.error);
	/* The time left is written back, as Linux does. */
	ATF_REQUIRE(ts.tv_sec < 100 && ts.tv_sec >= 0);

	ep = RL(rump_sys_epoll_create1(0));
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	RL(rump_sys_epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
	interrupt_blocked(&c, SYS_epoll_pwait, ep, (long)&ev, 1, -1);
	ATF_REQUIRE_EQ_MSG(EINTR, c.error, "epoll_wait: %d", c.error);

	ts.tv_sec = 100;
	ts.tv_nsec = 0;
	left.tv_sec = -1;
	interrupt_blocked(&c, SYS_nanosleep, (long)&ts, (long)&left, 0, 0);
	ATF_REQUIRE_EQ_MSG(EINTR, c.error, "nanosleep: %d", c.error);
	ATF_REQUIRE(left.tv_sec >= 0 && left.tv_sec < 100);

	/* A socket with a receive timeout. */
	RL(rump_sys_socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	tv.tv_sec = 100;
	tv.tv_usec = 0;
	RL(rump_sys_setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv,
	    sizeof(tv)));
	interrupt_blocked(&c, SYS_recvfrom, sv[0], (long)buf, sizeof(buf), 0);
	ATF_REQUIRE_EQ_MSG(EINTR, c.error, "recv with SO_RCVTIMEO: %d",
	    c.error);
	/* What is ready wins over the interrupt. */
	ATF_REQUIRE_EQ(1, RL(rump_sys_write(p[1], "r", 1)));
	interrupt_blocked(&c, SYS_ppoll, (long)&pfd, 1, 0, 0);
	ATF_REQUIRE_EQ(0, c.error);
	ATF_REQUIRE_EQ(1, c.rv);
}

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, pipe_read);
	ATF_TP_ADD_TC(tp, before_wait);
	ATF_TP_ADD_TC(tp, pipe_write_partial);
	ATF_TP_ADD_TC(tp, restartable);
	ATF_TP_ADD_TC(tp, fifo_open);
	ATF_TP_ADD_TC(tp, never_restarted);
	return atf_no_error();
}
