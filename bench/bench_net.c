/*
 * bench_net: TCP bulk throughput, 1-byte TCP request/response latency and
 * UDP round trip, measured with one piece of code over either socket
 * implementation: a strata kernel's (rump_sys_*) or the host's.
 *
 *   bench_net shmif                     two kernels in two processes on a
 *                                       shared-memory bus (./bench-bus)
 *   bench_net tap-tx TAP LOCAL PEER     strata client on TAP device TAP at
 *                                       LOCAL/24, Linux server at PEER
 *   bench_net tap-rx TAP LOCAL PEER     Linux client, strata server
 *   bench_net host-server ADDR          Linux server, for a peer in
 *   bench_net host-client ADDR          another namespace (veth)
 *
 * The TAP modes run inside a network namespace that holds the device
 * (bench/net.sh makes it); the Linux side is a child process using host
 * sockets.  Each mode prints "RESULT <key> <value> <unit>" lines:
 * tcp-bulk (MB/s, 10^6 bytes), tcp-rr and udp-rr (microseconds per round
 * trip).  BENCH_NET_MB sets the bulk size (default 64).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rump/rump.h>
#include <rump/rump_syscalls.h>
#include <rump/rump_netconfig.h>

#define TCP_PORT	5201
#define RR_COUNT	2000
#define BUFSZ		(128 * 1024)

/* One socket implementation. */
struct ops {
	const char *name;
	int	(*socket)(int, int, int);
	int	(*bind)(int, const struct sockaddr *, socklen_t);
	int	(*listen)(int, int);
	int	(*accept)(int, struct sockaddr *, socklen_t *);
	int	(*connect)(int, const struct sockaddr *, socklen_t);
	ssize_t	(*send)(int, const void *, size_t, int);
	ssize_t	(*recv)(int, void *, size_t, int);
	ssize_t	(*sendto)(int, const void *, size_t, int,
		    const struct sockaddr *, socklen_t);
	ssize_t	(*recvfrom)(int, void *, size_t, int, struct sockaddr *,
		    socklen_t *);
	int	(*setsockopt)(int, int, int, const void *, socklen_t);
	int	(*shutdown)(int, int);
	int	(*close)(int);
};

static int r_socket(int d, int t, int p) { return rump_sys_socket(d, t, p); }
static int r_bind(int s, const struct sockaddr *a, socklen_t l)
    { return rump_sys_bind(s, a, l); }
static int r_listen(int s, int b) { return rump_sys_listen(s, b); }
static int r_accept(int s, struct sockaddr *a, socklen_t *l)
    { return rump_sys_accept(s, a, l); }
static int r_connect(int s, const struct sockaddr *a, socklen_t l)
    { return rump_sys_connect(s, a, l); }
static ssize_t r_send(int s, const void *b, size_t n, int f)
    { return rump_sys_send(s, b, n, f); }
static ssize_t r_recv(int s, void *b, size_t n, int f)
    { return rump_sys_recv(s, b, n, f); }
static ssize_t r_sendto(int s, const void *b, size_t n, int f,
    const struct sockaddr *a, socklen_t l)
    { return rump_sys_sendto(s, b, n, f, a, l); }
static ssize_t r_recvfrom(int s, void *b, size_t n, int f,
    struct sockaddr *a, socklen_t *l)
    { return rump_sys_recvfrom(s, b, n, f, a, l); }
static int r_setsockopt(int s, int l, int n, const void *v, socklen_t vl)
    { return rump_sys_setsockopt(s, l, n, v, vl); }
static int r_shutdown(int s, int h) { return rump_sys_shutdown(s, h); }
static int r_close(int s) { return rump_sys_close(s); }

static const struct ops rump_ops = { "strata", r_socket, r_bind, r_listen,
    r_accept, r_connect, r_send, r_recv, r_sendto, r_recvfrom, r_setsockopt, r_shutdown,
    r_close };
static const struct ops host_ops = { "linux", socket, bind, listen, accept,
    connect, send, recv, sendto, recvfrom, setsockopt, shutdown, close };

static void __attribute__((__noreturn__))
fail(const char *what)
{
	fprintf(stderr, "bench_net: %s: %s\n", what, strerror(errno));
	exit(1);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct sockaddr_in
sin_of(const char *addr, int port)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1) {
		fprintf(stderr, "bench_net: %s: not an IPv4 address\n", addr);
		exit(2);
	}
	return sin;
}

static void
recv_exact(const struct ops *o, int fd, void *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = o->recv(fd, (char *)buf + got, len - got, 0);
		if (n <= 0)
			fail("recv");
		got += (size_t)n;
	}
}

/*
 * The server: a bulk sink (answers one byte at the end of the stream),
 * then a 1-byte TCP echo until the end of its stream, then a UDP echo
 * until a datagram "Q".
 */
static void
server(const struct ops *o, const char *addr)
{
	struct sockaddr_in sin = sin_of(addr, TCP_PORT), from;
	socklen_t fl;
	char *buf = malloc(BUFSZ);
	int lfd, fd, one = 1;
	ssize_t n;

	if (buf == NULL)
		fail("malloc");
	if ((lfd = o->socket(AF_INET, SOCK_STREAM, 0)) == -1)
		fail("socket");
	o->setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (o->bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) != 0)
		fail("bind");
	if (o->listen(lfd, 4) != 0)
		fail("listen");
	/* The UDP echo is bound now, so the client finds it. */
	int ufd = o->socket(AF_INET, SOCK_DGRAM, 0);
	if (ufd == -1 || o->bind(ufd, (struct sockaddr *)&sin,
	    sizeof(sin)) != 0)
		fail("udp bind");

	if ((fd = o->accept(lfd, NULL, NULL)) == -1)
		fail("accept");
	while ((n = o->recv(fd, buf, BUFSZ, 0)) > 0)
		continue;
	if (n < 0)
		fail("bulk recv");
	if (o->send(fd, "k", 1, 0) != 1)
		fail("bulk ack");
	o->close(fd);

	if ((fd = o->accept(lfd, NULL, NULL)) == -1)
		fail("accept");
	o->setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	while ((n = o->recv(fd, buf, 1, 0)) == 1)
		if (o->send(fd, buf, 1, 0) != 1)
			fail("rr send");
	o->close(fd);
	o->close(lfd);

	for (;;) {
		fl = sizeof(from);
		n = o->recvfrom(ufd, buf, BUFSZ, 0, (struct sockaddr *)&from,
		    &fl);
		if (n < 0)
			fail("udp recv");
		if (n == 1 && buf[0] == 'Q')
			break;
		if (o->sendto(ufd, buf, (size_t)n, 0, (struct sockaddr *)&from,
		    fl) != n)
			fail("udp send");
	}
	o->close(ufd);
	free(buf);
}

static int
connect_retry(const struct ops *o, const struct sockaddr_in *sin)
{
	int fd, i;

	for (i = 0; i < 200; i++) {
		if ((fd = o->socket(AF_INET, SOCK_STREAM, 0)) == -1)
			fail("socket");
		if (o->connect(fd, (const struct sockaddr *)sin,
		    sizeof(*sin)) == 0)
			return fd;
		o->close(fd);
		if (errno != ECONNREFUSED && errno != ETIMEDOUT &&
		    errno != EHOSTUNREACH)
			fail("connect");
		struct timespec ts = { 0, 50 * 1000000 };
		if (o == &rump_ops)
			rump_sys_nanosleep(&ts, NULL);
		else
			nanosleep(&ts, NULL);
	}
	fail("connect (gave up)");
}

/* The client: measures and prints the three figures. */
static void
client(const struct ops *o, const char *addr)
{
	struct sockaddr_in sin = sin_of(addr, TCP_PORT);
	const char *mbenv = getenv("BENCH_NET_MB");
	uint64_t total = (uint64_t)(mbenv != NULL ? atoi(mbenv) : 64) << 20;
	char *buf = malloc(BUFSZ), c = 'x';
	double t0, t;
	int fd, one = 1, i;

	if (buf == NULL)
		fail("malloc");
	memset(buf, 0x5a, BUFSZ);

	fd = connect_retry(o, &sin);
	t0 = now_s();
	for (uint64_t off = 0; off < total; ) {
		size_t len = total - off < BUFSZ ? (size_t)(total - off) : BUFSZ;
		ssize_t n = o->send(fd, buf, len, 0);

		if (n <= 0)
			fail("bulk send");
		off += (uint64_t)n;
	}
	o->shutdown(fd, SHUT_WR);
	recv_exact(o, fd, &c, 1);
	t = now_s() - t0;
	o->close(fd);
	printf("RESULT tcp-bulk %.1f MB/s\n", (double)total / t / 1e6);

	fd = connect_retry(o, &sin);
	o->setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	for (i = 0; i < 100; i++) {	/* warm up */
		if (o->send(fd, &c, 1, 0) != 1)
			fail("rr send");
		recv_exact(o, fd, &c, 1);
	}
	t0 = now_s();
	for (i = 0; i < RR_COUNT; i++) {
		if (o->send(fd, &c, 1, 0) != 1)
			fail("rr send");
		recv_exact(o, fd, &c, 1);
	}
	t = now_s() - t0;
	o->close(fd);
	printf("RESULT tcp-rr %.1f us\n", t / RR_COUNT * 1e6);

	int ufd = o->socket(AF_INET, SOCK_DGRAM, 0);
	if (ufd == -1 || o->connect(ufd, (struct sockaddr *)&sin,
	    sizeof(sin)) != 0)
		fail("udp socket");
	for (i = -100; i < RR_COUNT; i++) {
		if (i == 0)
			t0 = now_s();
		if (o->send(ufd, &c, 1, 0) != 1)
			fail("udp send");
		recv_exact(o, ufd, &c, 1);
	}
	t = now_s() - t0;
	printf("RESULT udp-rr %.1f us\n", t / RR_COUNT * 1e6);
	o->send(ufd, "Q", 1, 0);
	o->close(ufd);
	free(buf);
	fflush(stdout);
}

static void
strata_up(const char *type, const char *arg, const char *addr)
{
	char ifname[16];
	int error;

	if ((error = rump_init()) != 0 ||
	    (error = rump_netconfig_ifcreate(type, arg, ifname,
	    sizeof(ifname))) != 0 ||
	    (error = rump_netconfig_ipv4_addr_add(ifname, addr, 24)) != 0 ||
	    (error = rump_netconfig_ifup(ifname)) != 0) {
		fprintf(stderr, "bench_net: kernel setup (%s %s): %s\n", type,
		    arg, strerror(error));
		exit(1);
	}
}

/* Waits for the child without blocking the host thread for long (on the
 * fiber platform it runs the kernel the child may still talk to). */
static int
child_wait(pid_t pid)
{
	int status;

	for (;;) {
		pid_t rv = waitpid(pid, &status, WNOHANG);

		if (rv == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
		if (rv == -1)
			return 1;
		struct timespec ts = { 0, 10 * 1000000 };
		rump_sys_nanosleep(&ts, NULL);
	}
}

int
main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	pid_t pid;

	if (strcmp(mode, "shmif") == 0) {
		unlink("bench-bus");
		if ((pid = fork()) == -1)
			fail("fork");
		if (pid == 0) {
			strata_up("shmif", "bench-bus", "10.0.0.1");
			server(&rump_ops, "10.0.0.1");
			_exit(0);
		}
		strata_up("shmif", "bench-bus", "10.0.0.2");
		client(&rump_ops, "10.0.0.1");
		return child_wait(pid);
	}
	if ((strcmp(mode, "tap-tx") == 0 || strcmp(mode, "tap-rx") == 0) &&
	    argc == 5) {
		bool tx = mode[4] == 't';

		if ((pid = fork()) == -1)
			fail("fork");
		if (pid == 0) {
			/* The Linux side, host sockets only. */
			if (tx)
				server(&host_ops, argv[4]);
			else
				client(&host_ops, argv[3]);
			_exit(0);
		}
		strata_up("virtif", argv[2], argv[3]);
		if (tx)
			client(&rump_ops, argv[4]);
		else
			server(&rump_ops, argv[3]);
		return child_wait(pid);
	}
	if (strcmp(mode, "host-server") == 0 && argc == 3) {
		server(&host_ops, argv[2]);
		return 0;
	}
	if (strcmp(mode, "host-client") == 0 && argc == 3) {
		client(&host_ops, argv[2]);
		return 0;
	}
	fprintf(stderr, "usage: bench_net shmif | tap-tx|tap-rx TAP LOCAL PEER | "
	    "host-server|host-client ADDR\n");
	return 2;
}
