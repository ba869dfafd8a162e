/*
 * t_net_unix.c: local sockets (AF_UNIX) and the generic socket calls:
 * data both ways on stream, datagram and seqpacket sockets, names in the
 * file system and abstract ones, descriptors passed between rump
 * processes, credentials, options, non-blocking mode and timeouts.
 * Expected errno values are what Linux returns (t_net_diff checks many
 * against the host directly).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <atf-c.h>

#include <rump/rump.h>
#include <rump/rump_syscalls.h>

#include "h_rumptest.h"

static socklen_t
mkaddr(struct sockaddr_un *sun, const char *path)
{

	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	strncpy(sun->sun_path, path, sizeof(sun->sun_path) - 1);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
	    strlen(path) + 1);
}

/* An abstract name: "\0" + name, length without a NUL. */
static socklen_t
mkabstract(struct sockaddr_un *sun, const char *name)
{

	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path + 1, name, strlen(name));
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
	    strlen(name));
}

static void
xfer(int from, int to, const char *msg)
{
	char buf[256];
	ssize_t n;

	ATF_REQUIRE_EQ((ssize_t)strlen(msg),
	    RL(rump_sys_write(from, msg, strlen(msg))));
	n = RL(rump_sys_read(to, buf, sizeof(buf)));
	ATF_REQUIRE_EQ((ssize_t)strlen(msg), n);
	ATF_REQUIRE(memcmp(buf, msg, (size_t)n) == 0);
}

ATF_TC_WITHOUT_HEAD(socketpair_stream);
ATF_TC_BODY(socketpair_stream, tc)
{
	int sv[2], n;
	char buf[16];
	struct stat st;

	boot();
	RL(rump_sys_socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	xfer(sv[0], sv[1], "hello");
	xfer(sv[1], sv[0], "world, back");
	/* Stream: two writes may be read as one. */
	RL(rump_sys_write(sv[0], "ab", 2));
	RL(rump_sys_write(sv[0], "cd", 2));
	RL(rump_sys_ioctl(sv[1], FIONREAD, &n));
	ATF_REQUIRE_EQ(4, n);
	ATF_REQUIRE_EQ(4, rump_sys_read(sv[1], buf, sizeof(buf)));
	ATF_REQUIRE(memcmp(buf, "abcd", 4) == 0);
	RL(rump_sys_fstat(sv[0], &st));
	ATF_REQUIRE(S_ISSOCK(st.st_mode));
	/* Nothing to read: EAGAIN without blocking. */
	ERR(EAGAIN, rump_sys_recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT));
	/* pread on a socket: ESPIPE; lseek too. */
	ERR(ESPIPE, rump_sys_pread64(sv[0], buf, 1, 0));
	ERR(ESPIPE, rump_sys_lseek(sv[0], 0, SEEK_SET));
	/* Peer closes: EOF for the reader, EPIPE for the writer. */
	RL(rump_sys_close(sv[0]));
	ATF_REQUIRE_EQ(0, rump_sys_read(sv[1], buf, sizeof(buf)));
	ERR(EPIPE, rump_sys_send(sv[1], "x", 1, MSG_NOSIGNAL));
	ERR(EPIPE, rump_sys_write(sv[1], "x", 1));
	RL(rump_sys_close(sv[1]));
}

ATF_TC_WITHOUT_HEAD(shutdown_halfclose);
ATF_TC_BODY(shutdown_halfclose, tc)
{
	int sv[2];
	char buf[16];

	boot();
	RL(rump_sys_socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	RL(rump_sys_write(sv[0], "last", 4));
	RL(rump_sys_shutdown(sv[0], SHUT_WR));
	ERR(EPIPE, rump_sys_write(sv[0], "x", 1));
	/* The peer reads what was sent, then EOF; it can still write. */
	ATF_REQUIRE_EQ(4, rump_sys_read(sv[1], buf, sizeof(buf)));
	ATF_REQUIRE_EQ(0, rump_sys_read(sv[1], buf, sizeof(buf)));
	xfer(sv[1], sv[0], "reply");
	ERR(EINVAL, rump_sys_shutdown(sv[0], 7));
	ERR(ENOTSOCK, rump_sys_shutdown(0 + rump_sys_open("/", O_RDONLY),
	    SHUT_RD));
}

ATF_TC_WITHOUT_HEAD(bind_path);
ATF_TC_BODY(bind_path, tc)
{
	struct sockaddr_un sun, got;
	socklen_t len, glen;
	struct stat st;
	int l, c, a, c2;
	char buf[16];

	boot();
	rump_sys_umask(022);
	len = mkaddr(&sun, "/sock");
	l = RL(rump_sys_socket(AF_UNIX, SOCK_STREAM, 0));
	/* listen before bind: EINVAL. */
	ERR(EINVAL, rump_sys_listen(l, 5));
	RL(rump_sys_bind(l, (struct sockaddr *)&sun, len));
	/* The socket file appears, mode 0777 & ~umask. */
	RL(rump_sys_stat("/sock", &st));
	ATF_REQUIRE(S_ISSOCK(st.st_mode));
	ATF_REQUIRE_EQ(0755, st.st_mode & 07777);
	/* Opening it is ENXIO, as on Linux. */
	ERR(ENXIO, rump_sys_open("/sock", O_RDWR));
	/* The name is taken: EADDRINUSE, even for a bound socket (Linux
	 * creates the file first); a bound socket and a new name: EINVAL. */
	c = RL(rump_sys_socket(AF_UNIX, SOCK_STREAM, 0));
	ERR(EADDRINUSE, rump_sys_bind(c, (struct sockaddr *)&sun, len));
	ERR(EADDRINUSE, rump_sys_bind(l, (struct sockaddr *)&sun, len));
	mkaddr(&got, "/other");
	ERR(EINVAL, rump_sys_bind(l, (struct sockaddr *)&got, len + 1));
	ERR(ENOENT, rump_sys_stat("/other", &st));
	/* Not listening yet: ECONNREFUSED. */
	ERR(ECONNREFUSED, rump_sys_connect(c, (struct sockaddr *)&sun, len));
	RL(rump_sys_listen(l, 5));
	RL(rump_sys_connect(c, (struct sockaddr *)&sun, len));
	ERR(EISCONN, rump_sys_connect(c, (struct sockaddr *)&sun, len));
	glen = sizeof(got);
	a = RL(rump_sys_accept(l, (struct sockaddr *)&got, &glen));
	/* The client is unbound: only the family. */
	ATF_REQUIRE_EQ(sizeof(sa_family_t), glen);
	xfer(c, a, "ping");
	xfer(a, c, "pong");
	/* Names: the client's peer is the listener's path (with its NUL). */
	glen = sizeof(got);
	RL(rump_sys_getpeername(c, (struct sockaddr *)&got, &glen));
	ATF_REQUIRE_EQ(len, glen);
	ATF_REQUIRE_STREQ("/sock", got.sun_path);
	glen = sizeof(got);
	RL(rump_sys_getsockname(a, (struct sockaddr *)&got, &glen));
	ATF_REQUIRE_STREQ("/sock", got.sun_path);
	glen = sizeof(got);
	ERR(ENOTCONN, rump_sys_getpeername(l, (struct sockaddr *)&got, &glen));
	/* No such path: ENOENT; a file that is no socket: ECONNREFUSED. */
	c2 = RL(rump_sys_socket(AF_UNIX, SOCK_STREAM, 0));
	len = mkaddr(&sun, "/nonexistent");
	ERR(ENOENT, rump_sys_connect(c2, (struct sockaddr *)&sun, len));
	RL(rump_sys_close(RL(rump_sys_open("/plain", O_CREAT | O_WRONLY,
	    0666))));
	len = mkaddr(&sun, "/plain");
	ERR(ECONNREFUSED, rump_sys_connect(c2, (struct sockaddr *)&sun, len));
	/* A path names one socket whatever the type: EPROTOTYPE. */
	len = mkaddr(&sun, "/sock");
	c2 = RL(rump_sys_socket(AF_UNIX, SOCK_SEQPACKET, 0));
	ERR(EPROTOTYPE, rump_sys_connect(c2, (struct sockaddr *)&sun, len));
	c2 = RL(rump_sys_socket(AF_UNIX, SOCK_STREAM, 0));
	/* Listener gone: the file stays, connecting is refused. */
	RL(rump_sys_close(l));
	len = mkaddr(&sun, "/sock");
	ERR(ECONNREFUSED, rump_sys_connect(c2, (struct sockaddr *)&sun, len));
	RL(rump_sys_stat("/sock", &st));
	/* Accepted connections outlive their listener. */
	xfer(a, c, "still here");
	RL(rump_sys_unlink("/sock"));
	(void)buf;
}

ATF_TC_WITHOUT_HEAD(connect_perm);
ATF_TC_BODY(connect_perm, tc)
{
	struct sockaddr_un sun;
	socklen_t len;
	int l, c;

	boot();
	rump_sys_umask(0);
	len = mkaddr(&sun, "/psock");
	l = RL(rump_sys_socket(AF_UNIX, SOCK_STREAM, 0));
	RL(rump_sys_bind(l, (struct sockaddr *)&sun, len));
	RL(rump_sys_listen(l, 5));
	RL(rump_sys_chmod("/psock", 0755));
	/* A non-root process needs write permission on the file. */
	ATF_REQUIRE_EQ(0, rump_lwproc_rfork(RUMP_RFFDG));
	RL(rump_sys_setgid(1000));
	RL(rump_sys_setuid(1000));
	c = RL(rump_sys_socket(AF_UNIX, SOCK_STREAM, 0));
	ERR(EACCES, rump_sys_connect(c, (struct sockaddr *)&sun, len));
	rump_lwproc_releaselwp();
	RL(rump_sys_chmod("/psock", 0777));
	ATF_REQUIRE_EQ(0, rump_lwproc_rfork(RUMP_RFFDG));
	RL(rump_sys_setgid(1000));
	RL(rump_sys_setuid(1000));
	c = RL(rump_sys_socket(AF_UNIX, SOCK_STREAM, 0));
	RL(rump_sys_connect(c, (struct sockaddr *)&sun, len));
	rump_lwproc_releaselwp();
}

ATF_TC_WITHOUT_HEAD(abstract);
ATF_TC_BODY(abstract, tc)
{
	struct sockaddr_un sun, got;
	socklen_t len, glen;
	int l, c, a, d;

	boot();
	len = mkabstract(&sun, "strata-test");
	l = RL(rump_sys_socket(AF_UNIX, SOCK_SEQPACKET, 0));
	RL(rump_sys_bind(l, (struct sockaddr *)&sun, len));
	RL(rump_sys_listen(l, 1));
	d = RL(rump_sys_socket(AF_UNIX, SOCK_SEQPACKET, 0));
	ERR(EADDRINUSE, rump_sys_bind(d, (struct sockaddr *)&sun, len));
	glen = sizeof(got);
	RL(rump_sys_getsockname(l, (struct sockaddr *)&got, &glen));
	ATF_REQUIRE_EQ(len, glen);
	ATF_REQUIRE(memcmp(&got, &sun, len) == 0);
	/* Abstract names are per socket type on Linux: a stream socket
	 * finds no seqpacket listener (ECONNREFUSED), and may take the
	 * same name itself. */
	c = RL(rump_sys_socket(AF_UNIX, SOCK_STREAM, 0));
	ERR(ECONNREFUSED, rump_sys_connect(c, (struct sockaddr *)&sun, len));
	RL(rump_sys_connect(d, (struct sockaddr *)&sun, len));
	a = RL(rump_sys_accept4(l, NULL, NULL, SOCK_NONBLOCK));
	ATF_REQUIRE((rump_sys_fcntl(a, F_GETFL) & O_NONBLOCK) != 0);
	/* Autobind: an empty name gets five hex digits. */
	RL(rump_sys_bind(c, (struct sockaddr *)&sun,
	    offsetof(struct sockaddr_un, sun_path)));
	glen = sizeof(got);
	RL(rump_sys_getsockname(c, (struct sockaddr *)&got, &glen));
	ATF_REQUIRE_EQ(offsetof(struct sockaddr_un, sun_path) + 6, glen);
	ATF_REQUIRE_EQ('\0', got.sun_path[0]);
	/* Nothing bound under a name: ECONNREFUSED. */
	len = mkabstract(&sun, "nobody-here");
	ERR(ECONNREFUSED, rump_sys_connect(c, (struct sockaddr *)&sun, len));
}

ATF_TC_WITHOUT_HEAD(seqpacket_records);
ATF_TC_BODY(seqpacket_records, tc)
{
	int sv[2];
	char buf[64];
	struct msghdr msg;
	struct iovec iov;

	boot();
	RL(rump_sys_socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv));
	RL(rump_sys_write(sv[0], "first", 5));
	RL(rump_sys_write(sv[0], "second", 6));
	/* Boundaries kept; a short buffer truncates the record. */
	ATF_REQUIRE_EQ(5, rump_sys_read(sv[1], buf, sizeof(buf)));
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = buf;
	iov.iov_len = 3;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	ATF_REQUIRE_EQ(3, rump_sys_recvmsg(sv[1], &msg, 0));
	ATF_REQUIRE((msg.msg_flags & MSG_TRUNC) != 0);
	ATF_REQUIRE(memcmp(buf, "sec", 3) == 0);
	/* The rest of "second" is gone. */
	ERR(EAGAIN, rump_sys_recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT));
	RL(rump_sys_close(sv[0]));
	ATF_REQUIRE_EQ(0, rump_sys_read(sv[1], buf, sizeof(buf)));
	ERR(EPIPE, rump_sys_write(sv[1], "x", 1));
}

ATF_TC_WITHOUT_HEAD(dgram);
ATF_TC_BODY(dgram, tc)
{
	struct sockaddr_un a1, a2, from;
	socklen_t l1, l2, flen;
	int s1, s2, s3, i;
	char buf[64];

	boot();
	l1 = mkaddr(&a1, "/d1");
	l2 = mkaddr(&a2, "/d2");
	s1 = RL(rump_sys_socket(AF_UNIX, SOCK_DGRAM, 0));
	s2 = RL(rump_sys_socket(AF_UNIX, SOCK_DGRAM, 0));
	RL(rump_sys_bind(s1, (struct sockaddr *)&a1, l1));
	RL(rump_sys_bind(s2, (struct sockaddr *)&a2, l2));
	ERR(ENOTCONN, rump_sys_send(s1, "x", 1, 0));
	ATF_REQUIRE_EQ(5, RL(rump_sys_sendto(s1, "hello", 5, 0,
	    (struct sockaddr *)&a2, l2)));
	flen = sizeof(from);
	ATF_REQUIRE_EQ(5, rump_sys_recvfrom(s2, buf, sizeof(buf), 0,
	    (struct sockaddr *)&from, &flen));
	ATF_REQUIRE_EQ(l1, flen);
	ATF_REQUIRE_STREQ("/d1", from.sun_path);
	/* MSG_TRUNC returns the real length. */
	RL(rump_sys_sendto(s1, "0123456789", 10, 0, (struct sockaddr *)&a2,
	    l2));
	ATF_REQUIRE_EQ(10, rump_sys_recv(s2, buf, 4, MSG_TRUNC));
	/* A full receiver queue: EAGAIN (Linux's max_dgram_qlen 10). */
	for (i = 0; i < 10; i++)
		RL(rump_sys_sendto(s1, "q", 1, MSG_DONTWAIT,
		    (struct sockaddr *)&a2, l2));
	ERR(EAGAIN, rump_sys_sendto(s1, "q", 1, MSG_DONTWAIT,
	    (struct sockaddr *)&a2, l2));
	for (i = 0; i < 10; i++)
		ATF_REQUIRE_EQ(1, rump_sys_recv(s2, buf, sizeof(buf), 0));
	/* Connected: the peer's socket closes, the next send is
	 * ECONNREFUSED and the association is gone. */
	s3 = RL(rump_sys_socket(AF_UNIX, SOCK_DGRAM, 0));
	RL(rump_sys_connect(s3, (struct sockaddr *)&a1, l1));
	RL(rump_sys_send(s3, "c", 1, 0));
	/* s1 is connected to nobody, so s2 can still send to it; once
	 * s1 connects to s3, s2 is refused with EPERM. */
	RL(rump_sys_connect(s1, (struct sockaddr *)&a2, l2));
	ERR(EPERM, rump_sys_sendto(s3, "x", 1, 0, (struct sockaddr *)&a1, l1));
	RL(rump_sys_close(s1));
	ERR(ECONNREFUSED, rump_sys_send(s3, "c", 1, 0));
	RL(rump_sys_unlink("/d1"));
	ERR(ENOENT, rump_sys_sendto(s2, "x", 1, 0, (struct sockaddr *)&a1,
	    l1));
}

/* A datagram socket that loses its peer drops what it holds, as Linux
 * (found by t_net_diff). */
ATF_TC_WITHOUT_HEAD(dgram_disconnect);
ATF_TC_BODY(dgram_disconnect, tc)
{
	int sv[2];
	char buf[8];

	boot();
	RL(rump_sys_socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	RL(rump_sys_send(sv[0], "abc", 3, 0));
	RL(rump_sys_close(sv[0]));
	/* Still readable until the loss is noticed... */
	ATF_REQUIRE_EQ(3, rump_sys_recv(sv[1], buf, sizeof(buf), MSG_PEEK));
	/* ...by a send to the dead peer, which also empties the queue. */
	ERR(ECONNREFUSED, rump_sys_send(sv[1], "x", 1, 0));
	ERR(EAGAIN, rump_sys_recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT));
	ERR(ENOTCONN, rump_sys_send(sv[1], "x", 1, 0));
}

/* Descriptors pass between two rump processes and stay usable. */
ATF_TC_WITHOUT_HEAD(scm_rights);
ATF_TC_BODY(scm_rights, tc)
{
	struct lwp *parent, *child;
	int sv[2], p[2], got, n;
	union {
		char buf[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr align;
	} cbuf;
	struct msghdr msg;
	struct cmsghdr *cm;
	struct iovec iov;
	char data[8];

	boot();
	ATF_REQUIRE_EQ(0, rump_lwproc_rfork(RUMP_RFCFDG));
	parent = rump_lwproc_curlwp();
	RL(rump_sys_socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	RL(rump_sys_pipe2(p, 0));
	/* The child gets a copy of the table (sv[1]), closes its pipe. */
	ATF_REQUIRE_EQ(0, rump_lwproc_rfork(RUMP_RFFDG));
	child = rump_lwproc_curlwp();
	RL(rump_sys_close(p[0]));
	RL(rump_sys_close(p[1]));
	RL(rump_sys_close(sv[0]));
	rump_lwproc_switch(parent);
	RL(rump_sys_close(sv[1]));

	/* Parent sends the pipe's read end with one byte of data. */
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = "R";
	iov.iov_len = 1;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf.buf;
	msg.msg_controllen = CMSG_SPACE(sizeof(int));
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &p[0], sizeof(int));
	ATF_REQUIRE_EQ(1, RL(rump_sys_sendmsg(sv[0], &msg, 0)));
	RL(rump_sys_close(p[0]));
	RL(rump_sys_write(p[1], "via pipe", 8));

	/* Child receives it and reads through it. */
	rump_lwproc_switch(child);
	memset(&msg, 0, sizeof(msg));
	memset(&cbuf, 0, sizeof(cbuf));
	iov.iov_base = data;
	iov.iov_len = sizeof(data);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf.buf;
	msg.msg_controllen = sizeof(cbuf.buf);
	ATF_REQUIRE_EQ(1, RL(rump_sys_recvmsg(sv[1], &msg, MSG_CMSG_CLOEXEC)));
	ATF_REQUIRE_EQ('R', data[0]);
	ATF_REQUIRE_EQ(0, msg.msg_flags & MSG_CTRUNC);
	cm = CMSG_FIRSTHDR(&msg);
	ATF_REQUIRE(cm != NULL);
	ATF_REQUIRE_EQ(SOL_SOCKET, cm->cmsg_level);
	ATF_REQUIRE_EQ(SCM_RIGHTS, cm->cmsg_type);
	ATF_REQUIRE_EQ(CMSG_LEN(sizeof(int)), cm->cmsg_len);
	memcpy(&got, CMSG_DATA(cm), sizeof(int));
	ATF_REQUIRE_EQ(FD_CLOEXEC, rump_sys_fcntl(got, F_GETFD));
	ATF_REQUIRE_EQ(8, rump_sys_read(got, data, sizeof(data)));
	ATF_REQUIRE(memcmp(data, "via pipe", 8) == 0);

	/* No room for the descriptor: MSG_CTRUNC, and it is closed (the
	 * writer then sees EPIPE once the only read end is gone). */
	rump_lwproc_switch(parent);
	RL(rump_sys_pipe2(p, 0));
	msg.msg_control = cbuf.buf;
	msg.msg_controllen = CMSG_SPACE(sizeof(int));
	iov.iov_base = "S";
	iov.iov_len = 1;
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &p[0], sizeof(int));
	RL(rump_sys_sendmsg(sv[0], &msg, 0));
	RL(rump_sys_close(p[0]));
	rump_lwproc_switch(child);
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = data;
	iov.iov_len = sizeof(data);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	ATF_REQUIRE_EQ(1, RL(rump_sys_recvmsg(sv[1], &msg, 0)));
	ATF_REQUIRE((msg.msg_flags & MSG_CTRUNC) != 0);
	rump_lwproc_switch(parent);
	ERR(EPIPE, rump_sys_write(p[1], "x", 1));

	/* A bad descriptor in SCM_RIGHTS: EBADF, nothing sent. */
	n = 999;
	msg.msg_control = cbuf.buf;
	msg.msg_controllen = CMSG_SPACE(sizeof(int));
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &n, sizeof(int));
	ERR(EBADF, rump_sys_sendmsg(sv[0], &msg, 0));
}

ATF_TC_WITHOUT_HEAD(peercred);
ATF_TC_BODY(peercred, tc)
{
	struct sockaddr_un sun;
	struct ucred uc;
	socklen_t len, ulen;
	int l, c, a, s, pid;

	boot();
	rump_sys_umask(0);
	len = mkaddr(&sun, "/cred");
	l = RL(rump_sys_socket(AF_UNIX, SOCK_STREAM, 0));
	RL(rump_sys_bind(l, (struct sockaddr *)&sun, len));
	RL(rump_sys_listen(l, 1));
	ulen = sizeof(uc);
	RL(rump_sys_getsockopt(l, SOL_SOCKET, SO_PEERCRED, &uc, &ulen));
	ATF_REQUIRE_EQ(0u, uc.uid);
	/* A client in another process with other ids. */
	ATF_REQUIRE_EQ(0, rump_lwproc_rfork(RUMP_RFFDG));
	pid = rump_sys_getpid();
	RL(rump_sys_setgid(77));
	RL(rump_sys_setuid(66));
	c = RL(rump_sys_socket(AF_UNIX, SOCK_STREAM, 0));
	RL(rump_sys_connect(c, (struct sockaddr *)&sun, len));
	ulen = sizeof(uc);
	RL(rump_sys_getsockopt(c, SOL_SOCKET, SO_PEERCRED, &uc, &ulen));
	ATF_REQUIRE_EQ(sizeof(uc), ulen);
	ATF_REQUIRE_EQ(0u, uc.uid);
	rump_lwproc_switch(NULL);
	a = RL(rump_sys_accept(l, NULL, NULL));
	ulen = sizeof(uc);
	RL(rump_sys_getsockopt(a, SOL_SOCKET, SO_PEERCRED, &uc, &ulen));
	ATF_REQUIRE_EQ(pid, uc.pid);
	ATF_REQUIRE_EQ(66u, uc.uid);
	ATF_REQUIRE_EQ(77u, uc.gid);
	/* Unconnected: nobody. */
	s = RL(rump_sys_socket(AF_UNIX, SOCK_STREAM, 0));
	ulen = sizeof(uc);
	RL(rump_sys_getsockopt(s, SOL_SOCKET, SO_PEERCRED, &uc, &ulen));
	ATF_REQUIRE_EQ(0, uc.pid);
	ATF_REQUIRE_EQ(65534u, uc.uid);
}

ATF_TC_WITHOUT_HEAD(options);
ATF_TC_BODY(options, tc)
{
	struct timeval tv;
	struct linger lg;
	socklen_t len;
	int s, v, sv[2];
	char buf[4];

	boot();
	s = RL(rump_sys_socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
	ATF_REQUIRE_EQ(FD_CLOEXEC, rump_sys_fcntl(s, F_GETFD));
	len = sizeof(v);
	RL(rump_sys_getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &len));
	ATF_REQUIRE_EQ(SOCK_DGRAM, v);
	RL(rump_sys_getsockopt(s, SOL_SOCKET, SO_DOMAIN, &v, &len));
	ATF_REQUIRE_EQ(AF_UNIX, v);
	RL(rump_sys_getsockopt(s, SOL_SOCKET, SO_ACCEPTCONN, &v, &len));
	ATF_REQUIRE_EQ(0, v);
	/* Linux doubles SO_RCVBUF, capped by rmem_max first. */
	v = 10000;
	RL(rump_sys_setsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)));
	RL(rump_sys_getsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, &len));
	ATF_REQUIRE_EQ(20000, v);
	v = 1;
	RL(rump_sys_setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &v, sizeof(v)));
	v = 0;
	RL(rump_sys_getsockopt(s, SOL_SOCKET, SO_REUSEADDR, &v, &len));
	ATF_REQUIRE_EQ(1, v);
	ERR(EINVAL, rump_sys_setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &v, 2));
	ERR(ENOPROTOOPT, rump_sys_setsockopt(s, SOL_SOCKET, 9999, &v,
	    sizeof(v)));
	ERR(EOPNOTSUPP, rump_sys_setsockopt(s, 6 /* SOL_TCP */, 1, &v, sizeof(v)));
	lg.l_onoff = 1;
	lg.l_linger = 5;
	RL(rump_sys_setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	memset(&lg, 0, sizeof(lg));
	len = sizeof(lg);
	RL(rump_sys_getsockopt(s, SOL_SOCKET, SO_LINGER, &lg, &len));
	ATF_REQUIRE_EQ(1, lg.l_onoff);
	ATF_REQUIRE_EQ(5, lg.l_linger);
	tv.tv_sec = 0;
	tv.tv_usec = 2000000;
	ERR(EDOM, rump_sys_setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv,
	    sizeof(tv)));
	/* A receive timeout: EAGAIN after it. */
	RL(rump_sys_socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	tv.tv_sec = 0;
	tv.tv_usec = 50000;
	RL(rump_sys_setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv,
	    sizeof(tv)));
	ERR(EAGAIN, rump_sys_read(sv[0], buf, sizeof(buf)));
	len = sizeof(tv);
	RL(rump_sys_getsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, &len));
	ATF_REQUIRE_EQ(50000, tv.tv_usec);
	/* FIONBIO makes it non-blocking. */
	v = 1;
	RL(rump_sys_ioctl(sv[0], FIONBIO, &v));
	ATF_REQUIRE((rump_sys_fcntl(sv[0], F_GETFL) & O_NONBLOCK) != 0);
	ERR(EAGAIN, rump_sys_read(sv[0], buf, sizeof(buf)));
	/* Bad arguments. */
	ERR(EAFNOSUPPORT, rump_sys_socket(12345, SOCK_STREAM, 0));
	ERR(EINVAL, rump_sys_socket(AF_UNIX, 0x100000 | SOCK_STREAM, 0));
	ERR(ESOCKTNOSUPPORT, rump_sys_socket(AF_UNIX, SOCK_RAW, 0));
	ERR(EPROTONOSUPPORT, rump_sys_socket(AF_UNIX, SOCK_STREAM, 7));
	ERR(ENOTSOCK, rump_sys_listen(RL(rump_sys_open("/", O_RDONLY)), 1));
	ERR(EBADF, rump_sys_listen(999, 1));
	ERR(EOPNOTSUPP, rump_sys_listen(s, 1));
}

struct peekarg {
	int fd;
};

static void *
late_writer(void *arg)
{
	struct peekarg *pa = arg;

	rt_sleep_ms(50);
	(void)rump_sys_write(pa->fd, "def", 3);
	return NULL;
}

ATF_TC_WITHOUT_HEAD(peek_waitall);
ATF_TC_BODY(peek_waitall, tc)
{
	struct peekarg pa;
	void *t;
	int sv[2];
	char buf[16];

	boot();
	RL(rump_sys_socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	RL(rump_sys_write(sv[0], "abc", 3));
	ATF_REQUIRE_EQ(3, rump_sys_recv(sv[1], buf, sizeof(buf), MSG_PEEK));
	ATF_REQUIRE(memcmp(buf, "abc", 3) == 0);
	/* MSG_WAITALL waits for the bytes a thread writes later. */
	pa.fd = sv[0];
	t = rt_thread_start(late_writer, &pa, "writer");
	ATF_REQUIRE_EQ(6, rump_sys_recv(sv[1], buf, 6, MSG_WAITALL));
	ATF_REQUIRE(memcmp(buf, "abcdef", 6) == 0);
	rt_thread_join(t);
}

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, socketpair_stream);
	ATF_TP_ADD_TC(tp, shutdown_halfclose);
	ATF_TP_ADD_TC(tp, bind_path);
	ATF_TP_ADD_TC(tp, connect_perm);
	ATF_TP_ADD_TC(tp, abstract);
	ATF_TP_ADD_TC(tp, seqpacket_records);
	ATF_TP_ADD_TC(tp, dgram);
	ATF_TP_ADD_TC(tp, dgram_disconnect);
	ATF_TP_ADD_TC(tp, scm_rights);
	ATF_TP_ADD_TC(tp, peercred);
	ATF_TP_ADD_TC(tp, options);
	ATF_TP_ADD_TC(tp, peek_waitall);
	return atf_no_error();
}
