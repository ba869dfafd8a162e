/*
 * h_net.h: what the network tests share: addresses, whole-buffer
 * transfers over rump sockets, a reproducible byte pattern, and peer
 * kernels in child processes.  Header-only, like h_rumptest.h.
 */
#ifndef H_NET_H
#define H_NET_H

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <atf-c.h>

#include <rump/rump.h>
#include <rump/rump_syscalls.h>
#include <rump/rump_netconfig.h>

#include "h_rumptest.h"

#define PEER_MAX_MS	120000

static __attribute__((unused)) struct sockaddr_in
sin_of(const char *addr, int port)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	ATF_REQUIRE(inet_pton(AF_INET, addr, &sin.sin_addr) == 1);
	return sin;
}

/* A TCP socket listening on addr:port with backlog. */
static __attribute__((unused)) int
tcp_listener(const char *addr, int port, int backlog)
{
	struct sockaddr_in sin = sin_of(addr, port);
	int fd, one = 1;

	fd = (int)RL(rump_sys_socket(AF_INET, SOCK_STREAM, 0));
	RL(rump_sys_setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)));
	RL(rump_sys_bind(fd, (struct sockaddr *)&sin, sizeof(sin)));
	RL(rump_sys_listen(fd, backlog));
	return fd;
}

/* A TCP connection to addr:port, or -1 with errno. */
static __attribute__((unused)) int
tcp_connect(const char *addr, int port)
{
	struct sockaddr_in sin = sin_of(addr, port);
	int fd, error;

	fd = (int)RL(rump_sys_socket(AF_INET, SOCK_STREAM, 0));
	if (rump_sys_connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		error = errno;
		rump_sys_close(fd);
		errno = error;
		return -1;
	}
	return fd;
}

/* The byte at offset off of stream seed: cheap, position dependent, so
 * a lost, repeated or misplaced byte is caught. */
static inline uint8_t
pattern_byte(uint32_t seed, uint64_t off)
{
	uint64_t x = (off >> 3) * 0x9e3779b97f4a7c15ULL + seed;

	x ^= x >> 29;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 32;
	return (uint8_t)(x >> ((off & 7) * 8));
}

static __attribute__((unused)) void
pattern_fill(uint32_t seed, uint64_t off, uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = pattern_byte(seed, off + i);
}

/* Sends total bytes of pattern seed; 0 or an errno. */
static __attribute__((unused)) int
send_pattern(int fd, uint32_t seed, uint64_t total)
{
	uint8_t *buf = malloc(65536);
	uint64_t off = 0;
	ssize_t n;
	int error = 0;

	ATF_REQUIRE(buf != NULL);
	while (off < total) {
		size_t len = total - off < 65536 ? (size_t)(total - off) :
		    65536;

		pattern_fill(seed, off, buf, len);
		n = rump_sys_send(fd, buf, len, 0);
		if (n <= 0) {
			error = n == 0 ? EIO : rt_errno();
			break;
		}
		off += (uint64_t)n;
	}
	free(buf);
	return error;
}

/*
 * Receives until EOF, checking every byte against pattern seed; 0 when
 * exactly total bytes came, else an errno (EBADMSG: wrong data, EMSGSIZE:
 * wrong length).
 */
static __attribute__((unused)) int
recv_pattern(int fd, uint32_t seed, uint64_t total)
{
	uint8_t *buf = malloc(65536);
	uint64_t off = 0;
	ssize_t n;
	int error = 0;

	ATF_REQUIRE(buf != NULL);
	for (;;) {
		n = rump_sys_recv(fd, buf, 65536, 0);
		if (n < 0) {
			error = rt_errno();
			break;
		}
		if (n == 0)
			break;
		for (ssize_t i = 0; i < n && error == 0; i++)
			if (buf[i] != pattern_byte(seed, off + (uint64_t)i)) {
				fprintf(stderr, "byte %llu differs\n",
				    (unsigned long long)(off + (uint64_t)i));
				error = EBADMSG;
			}
		if (error != 0)
			break;
		off += (uint64_t)n;
	}
	free(buf);
	if (error == 0 && off != total)
		error = EMSGSIZE;
	return error;
}

/* The same two on a host socket (the Linux side of the TAP tests), with
 * the caller's 64 KiB buffer. */
static __attribute__((unused)) int
host_send_pattern(int fd, uint8_t *buf, uint32_t seed, uint64_t total)
{
	uint64_t off;
	ssize_t n;

	for (off = 0; off < total; off += (uint64_t)n) {
		size_t len = total - off < 65536 ? (size_t)(total - off) :
		    65536;

		pattern_fill(seed, off, buf, len);
		if ((n = write(fd, buf, len)) <= 0)
			return n == 0 ? EIO : errno;
	}
	return 0;
}

static __attribute__((unused)) int
host_recv_pattern(int fd, uint8_t *buf, uint32_t seed, uint64_t total)
{
	uint64_t off = 0;
	ssize_t n;

	while ((n = read(fd, buf, 65536)) > 0) {
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] != pattern_byte(seed, off + (uint64_t)i))
				return EBADMSG;
		off += (uint64_t)n;
	}
	if (n < 0)
		return errno;
	return off == total ? 0 : EMSGSIZE;
}

/* Creates a shmif on bus with addr/24 and brings it up. */
static __attribute__((unused)) int
shmif_setup(const char *bus, const char *addr, char *ifname)
{
	int error;

	if ((error = rump_netconfig_ifcreate("shmif", bus, ifname, 16)) != 0)
		return error;
	if ((error = rump_netconfig_ipv4_addr_add(ifname, addr, 24)) != 0)
		return error;
	return rump_netconfig_ifup(ifname);
}

/* Pings addr until it answers (ARP, the peer booting). */
static __attribute__((unused)) int
ping_retry(const char *addr, int tries, size_t len)
{
	int error = ETIMEDOUT;

	for (int i = 0; i < tries; i++) {
		error = rump_netconfig_ping4(addr, i + 1, len, 500, NULL);
		if (error == 0)
			return 0;
		if (error != ETIMEDOUT)
			rt_sleep_ms(200);
	}
	return error;
}

/*
 * A test and the peers it forks step through phases by creating empty
 * files in the test's work directory: touch_file() marks a phase (0 or
 * an errno), wait_file() waits for one at most PEER_MAX_MS (0 or
 * ETIMEDOUT).
 */
static __attribute__((unused)) int
touch_file(const char *name)
{
	FILE *f = fopen(name, "w");

	if (f == NULL)
		return errno;
	fclose(f);
	return 0;
}

static __attribute__((unused)) int
wait_file(const char *name)
{
	for (int ms = 0; ms < PEER_MAX_MS; ms += 20) {
		if (access(name, F_OK) == 0)
			return 0;
		rt_sleep_ms(20);
	}
	return ETIMEDOUT;
}

/*
 * Waits, at most PEER_MAX_MS, until IPv6 address addr of ifname is out
 * of duplicate address detection, and returns its state
 * (RUMP_IPV6_ADDR_USABLE when all went well).  A test that needs its
 * global address as source waits for it: an interface's link-local
 * address may finish DAD first, and until the global one does, source
 * selection picks the link-local one (a tentative address is no
 * candidate), so that a ping succeeds while a connect() made then gets
 * the link-local source, and the peer's replies to it come from the
 * peer's link-local address too.
 */
static __attribute__((unused)) int
wait_addr6_usable(const char *ifname, const char *addr)
{
	int st = RUMP_IPV6_ADDR_TENTATIVE;

	for (int ms = 0; ms < PEER_MAX_MS; ms += 20) {
		st = rump_netconfig_ipv6_addr_state(ifname, addr);
		if (st != RUMP_IPV6_ADDR_TENTATIVE)
			break;
		rt_sleep_ms(20);
	}
	return st;
}

static __attribute__((unused)) void
peer_wait_done(void)
{

	for (int ms = 0; ms < PEER_MAX_MS; ms += 20) {
		if (access("done", F_OK) == 0)
			return;
		rt_sleep_ms(20);
	}
}

/*
 * Forks a peer kernel that runs fn(arg) and exits with its result (0 or
 * an errno).  With wait_done, a peer whose fn succeeded stays up until
 * the file "done" appears, so that its kernel keeps answering.
 */
static __attribute__((unused)) pid_t
peer_start(int (*fn)(void *), void *arg, bool wait_done)
{
	pid_t pid;

	pid = fork();
	ATF_REQUIRE(pid != -1);
	if (pid == 0) {
		int error;

		if (rump_init() != 0)
			_exit(100);
		error = fn(arg);
		if (error == 0 && wait_done)
			peer_wait_done();
		_exit(error > 255 ? 255 : error);
	}
	return pid;
}

/* Tells the peers to finish and checks that each exited with 0. */
static __attribute__((unused)) void
peers_finish(const pid_t *pids, int n)
{
	FILE *f;
	int status;

	f = fopen("done", "w");
	ATF_REQUIRE(f != NULL);
	fclose(f);
	for (int i = 0; i < n; i++) {
		pid_t r;

		/* Waits in the kernel's sleep, not in waitpid(): on the
		 * fiber platform a blocking host call stops this kernel,
		 * whose timers may still owe the peer a retransmission
		 * (the peer only exits once it has everything). */
		for (int ms = 0; (r = waitpid(pids[i], &status, WNOHANG)) == 0 &&
		    ms < 2 * PEER_MAX_MS; ms += 20)
			rt_sleep_ms(20);
		if (r == 0) {
			kill(pids[i], SIGKILL);
			r = waitpid(pids[i], &status, 0);
		}
		ATF_REQUIRE(r == pids[i]);
		ATF_CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "peer %d: status %#x (exit %d: %s)", i, status,
		    WIFEXITED(status) ? WEXITSTATUS(status) : -1,
		    WIFEXITED(status) ? strerror(WEXITSTATUS(status)) : "");
	}
}

/* Seconds on the monotonic clock. */
static __attribute__((unused)) double
mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Linux side of a forwarding check, on connected TCP socket fd (a host
 * socket): sends pattern 5 and receives pattern 6, total bytes each,
 * within max_s seconds in all (the socket times out after max_s too).
 * Prints the time taken; closes fd.  0 or an errno (ETIMEDOUT: slower).
 */
static __attribute__((unused)) int
host_timed_exchange(int fd, uint64_t total, int max_s)
{
	struct timeval tv = { max_s, 0 };
	uint8_t *buf = malloc(65536);
	double t0;
	int error = 0;

	if (buf == NULL)
		error = ENOMEM;
	else if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0)
		error = errno;
	t0 = mono_s();
	if (error == 0 &&
	    (error = host_send_pattern(fd, buf, 5, total)) == 0 &&
	    shutdown(fd, SHUT_WR) != 0)
		error = errno;
	if (error == 0 &&
	    (error = host_recv_pattern(fd, buf, 6, total)) == 0) {
		printf("forwarded %llu bytes each way in %.2f s\n",
		    (unsigned long long)total, mono_s() - t0);
		fflush(stdout);
		if (mono_s() - t0 > max_s)
			error = ETIMEDOUT;
	}
	close(fd);
	free(buf);
	return error;
}

/* --- TAP offloads, IPv4 and IPv6 (t_net_virtif, t_net_virtif6) ----------- */

#define OFFLOAD_UDP_ROUNDS	40

/* Linux side of an offload check, either family: receives pattern 1 and
 * sends pattern 2 (total bytes each) on a TCP connection from lfd, then
 * echoes OFFLOAD_UDP_ROUNDS datagrams on ufd.  0 or an errno. */
static __attribute__((unused)) int
linux_offload_peer(int lfd, int ufd, uint64_t total)
{
	struct sockaddr_storage from;
	socklen_t fl;
	uint8_t *buf = malloc(65536);
	ssize_t n;
	int fd, error, i;

	if (buf == NULL)
		return ENOMEM;
	if ((fd = accept(lfd, NULL, NULL)) == -1)
		return errno;
	if ((error = host_recv_pattern(fd, buf, 1, total)) != 0 ||
	    (error = host_send_pattern(fd, buf, 2, total)) != 0)
		return error;
	close(fd);
	for (i = 0; i < OFFLOAD_UDP_ROUNDS; i++) {
		fl = sizeof(from);
		n = recvfrom(ufd, buf, 65536, 0, (struct sockaddr *)&from,
		    &fl);
		if (n < 0 || sendto(ufd, buf, (size_t)n, 0,
		    (struct sockaddr *)&from, fl) != n)
			return errno;
	}
	free(buf);
	return 0;
}

/*
 * strata side of an offload check, with linux_offload_peer() at the
 * other end: pattern 1 out and pattern 2 back on the connected TCP
 * socket fd, through interface ifname, whose counters tell whether large
 * segments went each way: with offloads (the default) a frame averages
 * more than the 1514 bytes a frame of the TAP's MTU can hold, with
 * RUMP_VIRTIF_OFFLOAD=0 never.  Then UDP datagrams of every size class,
 * fragmented at the end, echoed from usa.  Linux drops a segment or
 * datagram whose checksum we left wrong, and strata one whose checksum
 * Linux left partial and strata did not complete, so the byte-exact
 * transfers and echoes check the checksums both ways.  Closes fd.
 */
static __attribute__((unused)) void
offload_exchange(const char *ifname, int fd, const struct sockaddr *usa,
    socklen_t ulen, uint64_t total, bool offload)
{
	struct rump_ifstats s0, s1, s2;
	uint8_t out[3000], in[3000];
	size_t len;
	int i;

	ATF_REQUIRE_EQ(0, rump_netconfig_ifstats(ifname, &s0));
	ATF_REQUIRE_EQ(0, send_pattern(fd, 1, total));
	ATF_REQUIRE_EQ(0, rump_netconfig_ifstats(ifname, &s1));
	RL(rump_sys_shutdown(fd, SHUT_WR));
	ATF_REQUIRE_EQ(0, recv_pattern(fd, 2, total));
	ATF_REQUIRE_EQ(0, rump_netconfig_ifstats(ifname, &s2));
	RL(rump_sys_close(fd));
	/* Bytes per frame sent while sending, received while receiving
	 * (the other direction's ACKs are few and small). */
	printf("sent %.0f bytes/frame, received %.0f bytes/frame\n",
	    (double)(s1.obytes - s0.obytes) / (double)(s1.opackets -
	    s0.opackets), (double)(s2.ibytes - s1.ibytes) /
	    (double)(s2.ipackets - s1.ipackets));
	if (offload) {
		ATF_CHECK(s1.obytes - s0.obytes > 2000 * (s1.opackets -
		    s0.opackets));
		ATF_CHECK(s2.ibytes - s1.ibytes > 2000 * (s2.ipackets -
		    s1.ipackets));
	} else {
		ATF_CHECK(s1.obytes - s0.obytes <= 1514 * (s1.opackets -
		    s0.opackets));
		ATF_CHECK(s2.ibytes - s1.ibytes <= 1514 * (s2.ipackets -
		    s1.ipackets));
	}

	fd = (int)RL(rump_sys_socket(usa->sa_family, SOCK_DGRAM, 0));
	RL(rump_sys_connect(fd, usa, ulen));
	for (i = 0; i < OFFLOAD_UDP_ROUNDS; i++) {
		struct timeval tv = { 10, 0 };

		len = i == OFFLOAD_UDP_ROUNDS - 1 ? sizeof(out) :
		    (size_t)i * 37 + 1;
		pattern_fill((uint32_t)i, 0, out, len);
		RL(rump_sys_setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
		    sizeof(tv)));
		ATF_REQUIRE_EQ((ssize_t)len, rump_sys_send(fd, out, len, 0));
		ATF_REQUIRE_EQ_MSG((ssize_t)len, rump_sys_recv(fd, in,
		    sizeof(in), 0), "echo of %zu bytes: %s", len,
		    strerror(errno));
		ATF_REQUIRE(memcmp(in, out, len) == 0);
	}
	RL(rump_sys_close(fd));
}

#endif /* H_NET_H */
