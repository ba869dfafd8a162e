/*
 * t_poll.c: readiness of every descriptor type: poll, ppoll, select,
 * pselect6, epoll (level- and edge-triggered, EPOLLONESHOT, EPOLLRDHUP,
 * nesting) and eventfd, with wakeups from other threads and timeouts on
 * the kernel's clock.  Expected values are Linux's.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/types.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>

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

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct delayed {
	int	fd;
	int	ms;
	const char *data;
	bool	close;
};

static void *
delayed_write(void *arg)
{
	struct delayed *d = arg;

	rt_sleep_ms(d->ms);
	if (d->close)
		(void)rump_sys_close(d->fd);
	else
		(void)rump_sys_write(d->fd, d->data, strlen(d->data));
	return NULL;
}

ATF_TC_WITHOUT_HEAD(poll_pipe);
ATF_TC_BODY(poll_pipe, tc)
{
	struct pollfd pfd[3];
	int p[2], f;

	boot();
	RL(rump_sys_pipe2(p, 0));
	f = RL(rump_sys_open("/file", O_RDWR | O_CREAT, 0644));
	pfd[0].fd = p[0];
	pfd[0].events = POLLIN;
	pfd[1].fd = p[1];
	pfd[1].events = POLLOUT;
	pfd[2].fd = f;
	pfd[2].events = POLLIN | POLLOUT;
	/* The write end and the file are ready, the read end is not. */
	ATF_REQUIRE_EQ(2, RL(rump_sys_poll(pfd, 3, 0)));
	ATF_REQUIRE_EQ(0, pfd[0].revents);
	ATF_REQUIRE_EQ(POLLOUT, pfd[1].revents);
	ATF_REQUIRE_EQ(POLLIN | POLLOUT, pfd[2].revents);
	RL(rump_sys_write(p[1], "x", 1));
	ATF_REQUIRE_EQ(1, RL(rump_sys_poll(pfd, 1, 0)));
	ATF_REQUIRE_EQ(POLLIN, pfd[0].revents);
	/* Writer gone: POLLHUP (with the data still there, POLLIN too). */
	RL(rump_sys_close(p[1]));
	ATF_REQUIRE_EQ(1, RL(rump_sys_poll(pfd, 1, 0)));
	ATF_REQUIRE_EQ(POLLIN | POLLHUP, pfd[0].revents);
	/* A closed descriptor: POLLNVAL; a negative one is skipped. */
	pfd[1].fd = p[1];
	pfd[2].fd = -1;
	ATF_REQUIRE_EQ(2, RL(rump_sys_poll(pfd, 3, 0)));
	ATF_REQUIRE_EQ(POLLNVAL, pfd[1].revents);
	ATF_REQUIRE_EQ(0, pfd[2].revents);
}

ATF_TC_WITHOUT_HEAD(poll_wakeup_timeout);
ATF_TC_BODY(poll_wakeup_timeout, tc)
{
	struct pollfd pfd;
	struct delayed d;
	struct timespec ts;
	uint64_t t0;
	void *t;
	int sv[2];

	boot();
	RL(rump_sys_socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	pfd.fd = sv[0];
	pfd.events = POLLIN;
	/* Nothing comes: the timeout passes (at least its length). */
	t0 = now_ms();
	ATF_REQUIRE_EQ(0, RL(rump_sys_poll(&pfd, 1, 100)));
	ATF_REQUIRE(now_ms() - t0 >= 95);
	/* Another thread writes: poll returns before the timeout. */
	d.fd = sv[1];
	d.ms = 50;
	d.data = "wake";
	d.close = false;
	t = rt_thread_start(delayed_write, &d, "writer");
	t0 = now_ms();
	ATF_REQUIRE_EQ(1, RL(rump_sys_poll(&pfd, 1, 10000)));
	ATF_REQUIRE_EQ(POLLIN, pfd.revents);
	ATF_REQUIRE(now_ms() - t0 < 5000);
	rt_thread_join(t);
	/* ppoll reports the time left. */
	ts.tv_sec = 5;
	ts.tv_nsec = 0;
	ATF_REQUIRE_EQ(1, RL(rump_sys_ppoll(&pfd, 1, &ts, NULL, 0)));
	ATF_REQUIRE(ts.tv_sec <= 5 && ts.tv_sec >= 4);
	ts.tv_nsec = 2000000000L;
	ERR(EINVAL, rump_sys_ppoll(&pfd, 1, &ts, NULL, 0));
	/* Peer closes: POLLIN | POLLHUP | POLLRDHUP when asked. */
	RL(rump_sys_close(sv[1]));
	pfd.events = POLLIN | POLLRDHUP;
	ATF_REQUIRE_EQ(1, RL(rump_sys_poll(&pfd, 1, 0)));
	ATF_REQUIRE_EQ(POLLIN | POLLHUP | POLLRDHUP, pfd.revents);
}

ATF_TC_WITHOUT_HEAD(select_sets);
ATF_TC_BODY(select_sets, tc)
{
	fd_set rd, wr;
	struct timeval tv;
	struct timespec ts;
	int p[2], n;

	boot();
	RL(rump_sys_pipe2(p, 0));
	FD_ZERO(&rd);
	FD_ZERO(&wr);
	FD_SET(p[0], &rd);
	FD_SET(p[1], &wr);
	tv.tv_sec = 0;
	tv.tv_usec = 0;
	n = RL(rump_sys_select(p[1] + 1, &rd, &wr, NULL, &tv));
	ATF_REQUIRE_EQ(1, n);
	ATF_REQUIRE(!FD_ISSET(p[0], &rd));
	ATF_REQUIRE(FD_ISSET(p[1], &wr));
	RL(rump_sys_write(p[1], "x", 1));
	FD_ZERO(&rd);
	FD_SET(p[0], &rd);
	ts.tv_sec = 1;
	ts.tv_nsec = 0;
	ATF_REQUIRE_EQ(1, RL(rump_sys_pselect6(p[0] + 1, &rd, NULL, NULL, &ts,
	    NULL)));
	ATF_REQUIRE(FD_ISSET(p[0], &rd));
	/* A closed descriptor in a set: EBADF. */
	RL(rump_sys_close(p[1]));
	FD_ZERO(&wr);
	FD_SET(p[1], &wr);
	ERR(EBADF, rump_sys_select(p[1] + 1, NULL, &wr, NULL, &tv));
	ERR(EINVAL, rump_sys_select(-1, NULL, NULL, NULL, &tv));
	/* A timeout with nothing ready: 0. */
	FD_ZERO(&rd);
	RL(rump_sys_read(p[0], &n, 1));
	tv.tv_sec = 0;
	tv.tv_usec = 30000;
	FD_ZERO(&rd);
	FD_SET(p[0], &rd);
	ATF_REQUIRE_EQ(1, RL(rump_sys_select(p[0] + 1, &rd, NULL, NULL,
	    &tv)));	/* EOF: readable */
}

ATF_TC_WITHOUT_HEAD(epoll_level_edge);
ATF_TC_BODY(epoll_level_edge, tc)
{
	struct epoll_event ev, out[4];
	int ep, sv[2], f;
	char buf[8];

	boot();
	ep = RL(rump_sys_epoll_create1(EPOLL_CLOEXEC));
	ATF_REQUIRE_EQ(FD_CLOEXEC, rump_sys_fcntl(ep, F_GETFD));
	RL(rump_sys_socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	ev.events = EPOLLIN;
	ev.data.u64 = 42;
	RL(rump_sys_epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &ev));
	ERR(EEXIST, rump_sys_epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &ev));
	ATF_REQUIRE_EQ(0, RL(rump_sys_epoll_wait(ep, out, 4, 0)));
	RL(rump_sys_write(sv[1], "ab", 2));
	/* Level-triggered: reported while data is there. */
	ATF_REQUIRE_EQ(1, RL(rump_sys_epoll_wait(ep, out, 4, 0)));
	ATF_REQUIRE_EQ(42u, out[0].data.u64);
	ATF_REQUIRE_EQ(EPOLLIN, out[0].events);
	ATF_REQUIRE_EQ(1, RL(rump_sys_epoll_wait(ep, out, 4, 0)));
	RL(rump_sys_read(sv[0], buf, sizeof(buf)));
	ATF_REQUIRE_EQ(0, RL(rump_sys_epoll_wait(ep, out, 4, 0)));
	/* Edge-triggered: once per arrival. */
	ev.events = EPOLLIN | EPOLLET;
	RL(rump_sys_epoll_ctl(ep, EPOLL_CTL_MOD, sv[0], &ev));
	RL(rump_sys_write(sv[1], "c", 1));
	ATF_REQUIRE_EQ(1, RL(rump_sys_epoll_wait(ep, out, 4, 0)));
	ATF_REQUIRE_EQ(0, RL(rump_sys_epoll_wait(ep, out, 4, 0)));
	RL(rump_sys_write(sv[1], "d", 1));
	ATF_REQUIRE_EQ(1, RL(rump_sys_epoll_wait(ep, out, 4, 0)));
	/* One-shot: once, then nothing until EPOLL_CTL_MOD. */
	ev.events = EPOLLIN | EPOLLONESHOT;
	RL(rump_sys_epoll_ctl(ep, EPOLL_CTL_MOD, sv[0], &ev));
	ATF_REQUIRE_EQ(1, RL(rump_sys_epoll_wait(ep, out, 4, 0)));
	ATF_REQUIRE_EQ(0, RL(rump_sys_epoll_wait(ep, out, 4, 0)));
	RL(rump_sys_epoll_ctl(ep, EPOLL_CTL_MOD, sv[0], &ev));
	ATF_REQUIRE_EQ(1, RL(rump_sys_epoll_wait(ep, out, 4, 0)));
	/* Peer closes: EPOLLRDHUP when asked for, and EPOLLHUP always. */
	ev.events = EPOLLIN | EPOLLRDHUP;
	RL(rump_sys_epoll_ctl(ep, EPOLL_CTL_MOD, sv[0], &ev));
	RL(rump_sys_close(sv[1]));
	ATF_REQUIRE_EQ(1, RL(rump_sys_epoll_wait(ep, out, 4, 0)));
	ATF_REQUIRE_EQ(EPOLLIN | EPOLLRDHUP | EPOLLHUP, out[0].events);
	/* Errors. */
	f = RL(rump_sys_open("/f", O_RDWR | O_CREAT, 0644));
	ERR(EPERM, rump_sys_epoll_ctl(ep, EPOLL_CTL_ADD, f, &ev));
	ERR(EINVAL, rump_sys_epoll_ctl(f, EPOLL_CTL_ADD, sv[0], &ev));
	ERR(EINVAL, rump_sys_epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev));
	ERR(EBADF, rump_sys_epoll_ctl(ep, EPOLL_CTL_ADD, 999, &ev));
	ERR(EINVAL, rump_sys_epoll_ctl(ep, 7, sv[0], &ev));
	ERR(EINVAL, rump_sys_epoll_wait(ep, out, 0, 0));
	ERR(EINVAL, rump_sys_epoll_create1(1));
	RL(rump_sys_epoll_ctl(ep, EPOLL_CTL_DEL, sv[0], NULL));
	ERR(ENOENT, rump_sys_epoll_ctl(ep, EPOLL_CTL_DEL, sv[0], NULL));
	ERR(ENOENT, rump_sys_epoll_ctl(ep, EPOLL_CTL_MOD, sv[0], &ev));
}

ATF_TC_WITHOUT_HEAD(epoll_close_nest);
ATF_TC_BODY(epoll_close_nest, tc)
{
	struct epoll_event ev, out[4];
	struct pollfd pfd;
	struct delayed d;
	void *t;
	int ep, ep2, p[2], dup;

	boot();
	ep = RL(rump_sys_epoll_create1(0));
	ep2 = RL(rump_sys_epoll_create1(0));
	RL(rump_sys_pipe2(p, 0));
	ev.events = EPOLLIN;
	ev.data.fd = p[0];
	RL(rump_sys_epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
	/* ep inside ep2, and not the other way round (ELOOP). */
	ev.data.fd = ep;
	RL(rump_sys_epoll_ctl(ep2, EPOLL_CTL_ADD, ep, &ev));
	ERR(ELOOP, rump_sys_epoll_ctl(ep, EPOLL_CTL_ADD, ep2, &ev));
	/* A write from another thread wakes a blocked epoll_wait on the
	 * outer instance, and poll on the inner one. */
	d.fd = p[1];
	d.ms = 50;
	d.data = "x";
	d.close = false;
	t = rt_thread_start(delayed_write, &d, "writer");
	ATF_REQUIRE_EQ(1, RL(rump_sys_epoll_wait(ep2, out, 4, 10000)));
	ATF_REQUIRE_EQ(ep, out[0].data.fd);
	rt_thread_join(t);
	pfd.fd = ep;
	pfd.events = POLLIN;
	ATF_REQUIRE_EQ(1, RL(rump_sys_poll(&pfd, 1, 0)));
	ATF_REQUIRE_EQ(1, RL(rump_sys_epoll_wait(ep, out, 4, 0)));
	ATF_REQUIRE_EQ(p[0], out[0].data.fd);
	/* Closing one of two descriptors keeps the registration; closing
	 * the file itself removes it. */
	dup = RL(rump_sys_dup(p[0]));
	RL(rump_sys_close(p[0]));
	ATF_REQUIRE_EQ(1, RL(rump_sys_epoll_wait(ep, out, 4, 0)));
	RL(rump_sys_close(dup));
	ATF_REQUIRE_EQ(0, RL(rump_sys_epoll_wait(ep, out, 4, 0)));
	/* Timeout with nothing registered. */
	ATF_REQUIRE_EQ(0, RL(rump_sys_epoll_wait(ep, out, 4, 30)));
	RL(rump_sys_close(ep));
	RL(rump_sys_close(ep2));
}

ATF_TC_WITHOUT_HEAD(eventfd_counter);
ATF_TC_BODY(eventfd_counter, tc)
{
	struct pollfd pfd;
	struct epoll_event ev, out[2];
	struct stat st;
	uint64_t v;
	int e, s, ep;

	boot();
	e = RL(rump_sys_eventfd2(3, EFD_NONBLOCK));
	ATF_REQUIRE_EQ(8, rump_sys_read(e, &v, sizeof(v)));
	ATF_REQUIRE_EQ(3u, v);
	ERR(EAGAIN, rump_sys_read(e, &v, sizeof(v)));
	ERR(EINVAL, rump_sys_read(e, &v, 4));
	v = 5;
	RL(rump_sys_write(e, &v, sizeof(v)));
	RL(rump_sys_write(e, &v, sizeof(v)));
	ATF_REQUIRE_EQ(8, rump_sys_read(e, &v, sizeof(v)));
	ATF_REQUIRE_EQ(10u, v);
	v = UINT64_MAX;
	ERR(EINVAL, rump_sys_write(e, &v, sizeof(v)));
	v = UINT64_MAX - 1;
	RL(rump_sys_write(e, &v, sizeof(v)));
	v = 1;
	ERR(EAGAIN, rump_sys_write(e, &v, sizeof(v)));
	pfd.fd = e;
	pfd.events = POLLIN | POLLOUT;
	ATF_REQUIRE_EQ(1, RL(rump_sys_poll(&pfd, 1, 0)));
	ATF_REQUIRE_EQ(POLLIN, pfd.revents);
	RL(rump_sys_fstat(e, &st));
	ATF_REQUIRE_EQ(0600, st.st_mode);
	/* Semaphore mode: one at a time. */
	s = RL(rump_sys_eventfd2(2, EFD_SEMAPHORE | EFD_NONBLOCK));
	ep = RL(rump_sys_epoll_create1(0));
	ev.events = EPOLLIN | EPOLLET;
	ev.data.u32 = 7;
	RL(rump_sys_epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev));
	ATF_REQUIRE_EQ(1, RL(rump_sys_epoll_wait(ep, out, 2, 0)));
	ATF_REQUIRE_EQ(8, rump_sys_read(s, &v, sizeof(v)));
	ATF_REQUIRE_EQ(1u, v);
	ATF_REQUIRE_EQ(8, rump_sys_read(s, &v, sizeof(v)));
	ATF_REQUIRE_EQ(1u, v);
	ERR(EAGAIN, rump_sys_read(s, &v, sizeof(v)));
	ERR(EINVAL, rump_sys_eventfd2(0, 0x10));
}

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, poll_pipe);
	ATF_TP_ADD_TC(tp, poll_wakeup_timeout);
	ATF_TP_ADD_TC(tp, select_sets);
	ATF_TP_ADD_TC(tp, epoll_level_edge);
	ATF_TP_ADD_TC(tp, epoll_close_nest);
	ATF_TP_ADD_TC(tp, eventfd_counter);
	return atf_no_error();
}
