/*
 * t_net_virtif6.c: IPv6 between strata (virtif on a TAP device) and the
 * Linux stack of the same machine: neighbour discovery both ways, ping6
 * both ways (Linux's raw ICMPv6 socket; strata's rump_netconfig_ping6,
 * also fragmented), and TCP both ways byte-exact.
 *
 * As t_net_virtif: the case moves its process into a network namespace
 * of its own (unshare(CLONE_NEWNET)), which disappears with it, makes
 * TAP device vt6 there with fd00:99::1/64 on the Linux side (DAD off
 * there, so the address works at once), and the kernel attaches virtif
 * to it with fd00:99::2/64.  The Linux side's work runs in a child forked
 * before the kernel boots.  Needs root and /dev/net/tun; skipped without.
 *
 * Case "ra": router advertisements both ways.  strata forwards and
 * advertises fd00:98::/64 with an MTU of 1400: Linux autoconfigures an
 * address there, takes the MTU, and reaches strata's address on another
 * interface (fd00:97::1, a shmif) through the default route it learned.
 * Then strata stops advertising and the Linux side sends router
 * advertisements of its own (crafted on a raw ICMPv6 socket: Linux sends
 * none without a daemon) for fd00:96::/64: strata autoconfigures its
 * address there and reaches Linux's fd00:99::1, off every prefix it has,
 * through Linux as its default router.
 */
#define _GNU_SOURCE
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <ifaddrs.h>
#include <netinet/icmp6.h>
#include <net/if.h>
#include <net/route.h>
#include <linux/if_tun.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <time.h>

#include "h_net.h"

#define TAPNAME		"vt6"
#define LINUX_ADDR	"fd00:99::1"
#define STRATA_ADDR	"fd00:99::2"
#define XFER_BYTES	(4u << 20)

/* Linux's struct in6_ifreq (linux/ipv6.h clashes with netinet/in.h),
 * in a zeroed struct ifreq's room: valgrind checks SIOCSIFADDR's
 * argument as a struct ifreq, whose ifr_addr reaches 8 bytes past the
 * 24 of in6_ifreq. */
union linux_in6_ifreq {
	struct {
		struct in6_addr	ifr6_addr;
		uint32_t	ifr6_prefixlen;
		int		ifr6_ifindex;
	} r;
	struct ifreq	room;
};

static struct sockaddr_in6
sin6_of(const char *addr, int port)
{
	struct sockaddr_in6 sin6;

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons((uint16_t)port);
	ATF_REQUIRE(inet_pton(AF_INET6, addr, &sin6.sin6_addr) == 1);
	return sin6;
}

static void
linux_up(const char *ifname)
{
	struct ifreq ifr;
	int s;

	s = socket(AF_INET, SOCK_DGRAM, 0);
	ATF_REQUIRE(s != -1);
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, ifname);
	ATF_REQUIRE(ioctl(s, SIOCGIFFLAGS, &ifr) == 0);
	ifr.ifr_flags |= IFF_UP;
	ATF_REQUIRE(ioctl(s, SIOCSIFFLAGS, &ifr) == 0);
	close(s);
}

static void
put_sysctl(const char *path, const char *val)
{
	FILE *f = fopen(path, "w");

	ATF_REQUIRE_MSG(f != NULL, "%s: %s", path, strerror(errno));
	fputs(val, f);
	fclose(f);
}

static void
netns_setup(void)
{
	union linux_in6_ifreq ifr6;
	struct ifreq ifr;
	char path[128];
	int fd, s;

	if (geteuid() != 0)
		atf_tc_skip("needs root (a network namespace and a TAP device)");
	if (access("/dev/net/tun", R_OK | W_OK) != 0)
		atf_tc_skip("no /dev/net/tun: %s", strerror(errno));
	if (access("/proc/sys/net/ipv6", F_OK) != 0)
		atf_tc_skip("the host has no IPv6");
	if (unshare(CLONE_NEWNET) != 0)
		atf_tc_skip("cannot make a network namespace: %s",
		    strerror(errno));
	linux_up("lo");
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	ATF_REQUIRE(fd != -1);
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, TAPNAME);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	ATF_REQUIRE(ioctl(fd, TUNSETIFF, &ifr) == 0);
	ATF_REQUIRE(ioctl(fd, TUNSETPERSIST, 1) == 0);
	close(fd);
	/* /proc/sys/net is the namespace's own. */
	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/accept_dad",
	    TAPNAME);
	put_sysctl(path, "0");
	linux_up(TAPNAME);
	s = socket(AF_INET6, SOCK_DGRAM, 0);
	ATF_REQUIRE(s != -1);
	memset(&ifr6, 0, sizeof(ifr6));
	ATF_REQUIRE(inet_pton(AF_INET6, LINUX_ADDR, &ifr6.r.ifr6_addr) == 1);
	ifr6.r.ifr6_prefixlen = 64;
	ifr6.r.ifr6_ifindex = (int)if_nametoindex(TAPNAME);
	ATF_REQUIRE(ifr6.r.ifr6_ifindex != 0);
	ATF_REQUIRE_MSG(ioctl(s, SIOCSIFADDR, &ifr6) == 0, "SIOCSIFADDR: %s",
	    strerror(errno));
	close(s);
}

/* Linux pings addr with a raw ICMPv6 socket (the kernel computes its
 * checksum): 0 when an echo reply came. */
static int
linux_ping6(const char *addr, int tries)
{
	struct sockaddr_in6 sin6, from;
	uint8_t pkt[64], buf[1500];
	struct icmp6_hdr *ic = (struct icmp6_hdr *)pkt;
	struct pollfd pfd;
	socklen_t flen;
	int s, i;

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	if (inet_pton(AF_INET6, addr, &sin6.sin6_addr) != 1)
		return EINVAL;
	if ((s = socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6)) == -1)
		return errno;
	for (i = 0; i < tries; i++) {
		memset(pkt, 0xa5, sizeof(pkt));
		ic->icmp6_type = ICMP6_ECHO_REQUEST;
		ic->icmp6_code = 0;
		ic->icmp6_cksum = 0;
		ic->icmp6_id = htons(0x5336);
		ic->icmp6_seq = htons((uint16_t)i);
		if (sendto(s, pkt, sizeof(pkt), 0, (struct sockaddr *)&sin6,
		    sizeof(sin6)) != (ssize_t)sizeof(pkt)) {
			/* Resolution not done yet: try again. */
			rt_sleep_ms(200);
			continue;
		}
		pfd = (struct pollfd){ s, POLLIN, 0 };
		while (poll(&pfd, 1, 500) == 1) {
			struct icmp6_hdr *r = (struct icmp6_hdr *)buf;
			ssize_t n;

			flen = sizeof(from);
			n = recvfrom(s, buf, sizeof(buf), 0,
			    (struct sockaddr *)&from, &flen);
			if (n >= (ssize_t)sizeof(*r) &&
			    r->icmp6_type == ICMP6_ECHO_REPLY &&
			    r->icmp6_id == htons(0x5336) &&
			    memcmp(&from.sin6_addr, &sin6.sin6_addr, 16) == 0) {
				close(s);
				return 0;
			}
		}
	}
	close(s);
	return ETIMEDOUT;
}

static void
child_wait(pid_t pid, const char *what)
{
	int status = 0, ms;
	pid_t rv = 0;

	for (ms = 0; ms < PEER_MAX_MS; ms += 10) {
		if ((rv = waitpid(pid, &status, WNOHANG)) != 0)
			break;
		rt_sleep_ms(10);
	}
	if (rv == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		atf_tc_fail("%s: no end after %d ms", what, PEER_MAX_MS);
	}
	ATF_CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "%s: status %#x (exit %d: %s)", what, status,
	    WIFEXITED(status) ? WEXITSTATUS(status) : -1,
	    WIFEXITED(status) ? strerror(WEXITSTATUS(status)) : "");
}

/* The Linux side: pings strata, then serves a TCP exchange (receives
 * pattern 1, answers with pattern 2). */
static int
linux_side(int lfd)
{
	uint8_t *buf = malloc(65536);
	int fd, error;

	if (buf == NULL)
		return ENOMEM;
	if ((error = linux_ping6(STRATA_ADDR, 40)) != 0)
		return error;
	if ((fd = accept(lfd, NULL, NULL)) == -1)
		return errno;
	if ((error = host_recv_pattern(fd, buf, 1, XFER_BYTES)) != 0 ||
	    (error = host_send_pattern(fd, buf, 2, XFER_BYTES)) != 0)
		return error;
	close(fd);
	free(buf);
	return 0;
}

/* A Linux socket of type bound to sin6, in the test's own namespace
 * (listening, for a stream socket). */
static int
linux_bind6(int type, const struct sockaddr_in6 *sin6)
{
	int fd, one = 1;

	fd = socket(AF_INET6, type, 0);
	ATF_REQUIRE(fd != -1);
	ATF_REQUIRE(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)) == 0);
	/* The address is tentative until the TAP has a reader (carrier). */
	ATF_REQUIRE(setsockopt(fd, SOL_IP, IP_FREEBIND, &one,
	    sizeof(one)) == 0);
	ATF_REQUIRE_MSG(bind(fd, (const struct sockaddr *)sin6,
	    sizeof(*sin6)) == 0, "bind: %s", strerror(errno));
	if (type == SOCK_STREAM)
		ATF_REQUIRE(listen(fd, 4) == 0);
	return fd;
}

/* Boots, attaches virtif with STRATA_ADDR, and waits until Linux
 * answers and the address is usable as a source. */
static void
virtif6_setup(char *ifname)
{
	char buf[64];
	int error = ETIMEDOUT;

	boot();
	ATF_REQUIRE_EQ(0, rump_netconfig_ifcreate("virtif", TAPNAME, ifname,
	    16));
	ATF_REQUIRE_EQ(0, rump_netconfig_ipv6_addr_add(ifname, STRATA_ADDR,
	    64));
	ATF_REQUIRE_EQ(0, rump_netconfig_ifup(ifname));
	ATF_REQUIRE_EQ(0, rump_netconfig_ipv6_linklocal(ifname, buf,
	    sizeof(buf)));
	/* DAD (a second), then Linux answers our solicitation. */
	for (int i = 0; i < 40 && error != 0; i++) {
		error = rump_netconfig_ping6(LINUX_ADDR, i + 1, 56, 500, NULL);
		if (error != 0)
			rt_sleep_ms(200);
	}
	ATF_REQUIRE_EQ_MSG(0, error, "ping6: %s", strerror(error));
	/* Connections must come from STRATA_ADDR, whose DAD may end after
	 * the link-local address's (wait_addr6_usable()). */
	ATF_REQUIRE_EQ(RUMP_IPV6_ADDR_USABLE, wait_addr6_usable(ifname,
	    STRATA_ADDR));
}

ATF_TC_WITHOUT_HEAD(ping6_tcp6);
ATF_TC_BODY(ping6_tcp6, tc)
{
	struct sockaddr_in6 sin6;
	struct sockaddr_storage ss;
	socklen_t len;
	char ifname[16], buf[64];
	int lfd, fd;
	pid_t pid;

	netns_setup();
	sin6 = sin6_of(LINUX_ADDR, 5061);
	lfd = linux_bind6(SOCK_STREAM, &sin6);
	pid = fork();
	ATF_REQUIRE(pid != -1);
	if (pid == 0)
		_exit(linux_side(lfd));
	close(lfd);

	virtif6_setup(ifname);
	for (int i = 0; i < 5; i++)
		ATF_CHECK_EQ(0, rump_netconfig_ping6(LINUX_ADDR, 100 + i, 56,
		    2000, NULL));
	/* Fragmented both ways: Linux reassembles ours and fragments its
	 * reply. */
	ATF_CHECK_EQ(0, rump_netconfig_ping6(LINUX_ADDR, 200, 4000, 2000,
	    NULL));
	/* strata client -> Linux server, 4 MiB each way. */
	fd = (int)RL(rump_sys_socket(AF_INET6, SOCK_STREAM, 0));
	RL(rump_sys_connect(fd, (struct sockaddr *)&sin6, sizeof(sin6)));
	len = sizeof(ss);
	RL(rump_sys_getsockname(fd, (struct sockaddr *)&ss, &len));
	inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, buf,
	    sizeof(buf));
	ATF_CHECK_STREQ(STRATA_ADDR, buf);
	ATF_REQUIRE_EQ(0, send_pattern(fd, 1, XFER_BYTES));
	RL(rump_sys_shutdown(fd, SHUT_WR));
	ATF_REQUIRE_EQ(0, recv_pattern(fd, 2, XFER_BYTES));
	RL(rump_sys_close(fd));
	child_wait(pid, "Linux side");
}

/* --- Offloads over IPv6: checksums and large segments ------------------- */

/*
 * As t_net_virtif's offloads for IPv4: TCP both ways and UDP with Linux,
 * checking from the interface's counters whether large segments went
 * each way (with offloads, the default, a frame averages more than the
 * 1514 bytes a frame of the TAP's MTU can hold; with
 * RUMP_VIRTIF_OFFLOAD=0 never).  Linux drops a segment or datagram whose
 * checksum we left wrong, and strata one whose checksum Linux left
 * partial and strata did not complete, so the byte-exact transfers and
 * echoes check both.
 */
static void
offload6_case(bool offload)
{
	struct sockaddr_in6 sin6, usin6;
	char ifname[16];
	int lfd, ufd, fd;
	pid_t pid;

	netns_setup();
	sin6 = sin6_of(LINUX_ADDR, 5061);
	lfd = linux_bind6(SOCK_STREAM, &sin6);
	usin6 = sin6_of(LINUX_ADDR, 5063);
	ufd = linux_bind6(SOCK_DGRAM, &usin6);
	pid = fork();
	ATF_REQUIRE(pid != -1);
	if (pid == 0)
		_exit(linux_offload_peer(lfd, ufd, XFER_BYTES));
	close(lfd);
	close(ufd);

	if (!offload)
		ATF_REQUIRE_EQ(0, setenv("RUMP_VIRTIF_OFFLOAD", "0", 1));
	virtif6_setup(ifname);
	fd = (int)RL(rump_sys_socket(AF_INET6, SOCK_STREAM, 0));
	RL(rump_sys_connect(fd, (struct sockaddr *)&sin6, sizeof(sin6)));
	offload_exchange(ifname, fd, (struct sockaddr *)&usin6,
	    sizeof(usin6), XFER_BYTES, offload);
	child_wait(pid, "Linux peer");
}

ATF_TC_WITHOUT_HEAD(offloads6);
ATF_TC_BODY(offloads6, tc)
{

	offload6_case(true);
}

ATF_TC_WITHOUT_HEAD(no_offloads6);
ATF_TC_BODY(no_offloads6, tc)
{

	offload6_case(false);
}

/* --- Forwarding Linux's large segments -------------------------------- */

/*
 * As t_net_virtif's forward_segments over IPv6: strata routes between
 * the TAP device (fd00:99::2) and a bus (fd00:97::1), with a second
 * strata kernel (fd00:97::2) on the bus.  Linux hands the router TCP
 * segments of up to 64 KiB (TSO6 with the TAP's offloads); the bus has
 * no TSO over IPv6, so the router cuts them (a router never fragments
 * over IPv6: a segment it could not cut would be answered "packet too
 * big", which Linux, whose segments are of the path's MTU, cannot act
 * on).
 */
#define FWD_BUS_ROUTER	"fd00:97::1"
#define FWD_PEER_ADDR	"fd00:97::2"
#define FWD_PORT	5070
#define FWD_MAX_S	60
#define FWD_CONNECT_S	20	/* connecting at once, while all comes up */

/* Whether the TAP device has its carrier (strata has opened it). */
static bool
linux_tap_running(void)
{
	struct ifreq ifr;
	int s = socket(AF_INET6, SOCK_DGRAM, 0);
	bool up;

	if (s == -1)
		return false;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, TAPNAME);
	up = ioctl(s, SIOCGIFFLAGS, &ifr) == 0 &&
	    (ifr.ifr_flags & IFF_RUNNING) != 0;
	close(s);
	return up;
}

/*
 * Linux's connection to the peer, from LINUX_ADDR: -1 with errno set
 * when it failed (at_once: when it could not be made within
 * FWD_CONNECT_S).  The socket is bound to LINUX_ADDR because, for a
 * moment after strata opens the TAP device (its carrier comes up),
 * Linux lists its addresses there as tentative, and a connect() made
 * then takes ::1 as its source: strata drops packets from ::1 that
 * arrive on an interface other than loopback (RFC 4291 2.5.3), so
 * Linux retransmitted its SYN from ::1 until the test's bound, with no
 * answer and no ICMPv6 error (3 runs in 12 of forward6_at_once without
 * the bind, posix and fiber).  A
 * bind() to a tentative address fails (EADDRNOTAVAIL) and is tried
 * again.
 */
static int
linux_fwd6_connect(bool at_once)
{
	struct sockaddr_in6 me = sin6_of(LINUX_ADDR, 0);
	struct sockaddr_in6 sin6 = sin6_of(FWD_PEER_ADDR, FWD_PORT);
	struct timeval tv = { FWD_CONNECT_S, 0 };
	double t0 = mono_s();
	int fd, error;

	for (;;) {
		if ((fd = socket(AF_INET6, SOCK_STREAM, 0)) == -1)
			return -1;
		/* A connect() that blocks gives up after tv (EINPROGRESS). */
		if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv,
		    sizeof(tv)) == 0 &&
		    bind(fd, (struct sockaddr *)&me, sizeof(me)) == 0 &&
		    connect(fd, (struct sockaddr *)&sin6, sizeof(sin6)) == 0)
			break;
		error = errno;
		close(fd);
		/* At once: LINUX_ADDR still tentative, nobody listening
		 * yet (refused), no answer to Linux's solicitations yet
		 * (unreachable). */
		if (!at_once || mono_s() - t0 > FWD_CONNECT_S) {
			errno = error;
			return -1;
		}
		rt_sleep_ms(100);
	}
	if (at_once) {
		printf("Linux connected %.2f s after it first tried\n",
		    mono_s() - t0);
		fflush(stdout);
		if (mono_s() - t0 > FWD_CONNECT_S) {
			close(fd);
			errno = ETIMEDOUT;
			return -1;
		}
	}
	return fd;
}

/* Linux side: routes the bus's prefix through strata, sends pattern 5
 * to the peer and receives pattern 6, within FWD_MAX_S.  at_once:
 * connects as soon as the route is there, before anything of strata's
 * is up; else once the router has said "ready". */
static int
linux_fwd6_client(bool at_once)
{
	struct in6_rtmsg rtm;
	int s, fd, error, i;

	memset(&rtm, 0, sizeof(rtm));
	inet_pton(AF_INET6, "fd00:97::", &rtm.rtmsg_dst);
	rtm.rtmsg_dst_len = 64;
	inet_pton(AF_INET6, STRATA_ADDR, &rtm.rtmsg_gateway);
	rtm.rtmsg_flags = RTF_UP | RTF_GATEWAY;
	rtm.rtmsg_metric = 1;
	rtm.rtmsg_ifindex = (int)if_nametoindex(TAPNAME);
	if ((s = socket(AF_INET6, SOCK_DGRAM, 0)) == -1 ||
	    ioctl(s, SIOCADDRT, &rtm) != 0)
		return errno;
	close(s);
	/* Until the router and the peer are up (a separate process: this
	 * may block). */
	if (!at_once && (error = wait_file("ready")) != 0)
		return error;
	/* At once: the moment strata opens the TAP device, Linux's first
	 * chance to reach anything (and its addresses' tentative moment). */
	for (i = 0; at_once && !linux_tap_running(); i++) {
		if (i == PEER_MAX_MS)
			return ETIMEDOUT;
		rt_sleep_ms(1);
	}
	if ((fd = linux_fwd6_connect(at_once)) == -1)
		return errno;
	return host_timed_exchange(fd, XFER_BYTES, FWD_MAX_S);
}

/* The peer on the bus: receives pattern 5, answers with pattern 6. */
static int
fwd6_peer(void *arg)
{
	struct sockaddr_in6 sin6;
	char ifname[16];
	int lfd, fd, error, one = 1;

	(void)arg;
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(FWD_PORT);
	if (inet_pton(AF_INET6, FWD_PEER_ADDR, &sin6.sin6_addr) != 1)
		return EINVAL;
	if ((error = rump_netconfig_ifcreate("shmif", "bus", ifname,
	    sizeof(ifname))) != 0 ||
	    (error = rump_netconfig_ipv6_addr_add(ifname, FWD_PEER_ADDR,
	    64)) != 0 ||
	    (error = rump_netconfig_ifup(ifname)) != 0 ||
	    (error = rump_netconfig_ipv6_gw(FWD_BUS_ROUTER, NULL)) != 0)
		return error;
	if (wait_addr6_usable(ifname, FWD_PEER_ADDR) != RUMP_IPV6_ADDR_USABLE)
		return EADDRNOTAVAIL;
	if ((lfd = rump_sys_socket(AF_INET6, SOCK_STREAM, 0)) == -1 ||
	    rump_sys_setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)) == -1 ||
	    rump_sys_bind(lfd, (struct sockaddr *)&sin6, sizeof(sin6)) == -1 ||
	    rump_sys_listen(lfd, 4) == -1)
		return errno;
	if ((error = touch_file("listening")) != 0)
		return error;
	if ((fd = rump_sys_accept(lfd, NULL, NULL)) == -1)
		return errno;
	if ((error = recv_pattern(fd, 5, XFER_BYTES)) != 0 ||
	    (error = touch_file("received")) != 0 ||
	    (error = send_pattern(fd, 6, XFER_BYTES)) != 0)
		return error;
	rump_sys_close(fd);
	rump_sys_close(lfd);
	return 0;
}

static void
forward6_case(bool at_once)
{
	struct rump_ifstats v0, v1, s0, s1;
	char vif[16], sif[16];
	pid_t pid, peer;
	int ms;

	netns_setup();
	pid = fork();
	ATF_REQUIRE(pid != -1);
	if (pid == 0)
		_exit(linux_fwd6_client(at_once));
	peer = peer_start(fwd6_peer, NULL, true);

	virtif6_setup(vif);
	ATF_REQUIRE_EQ(0, rump_netconfig_ifcreate("shmif", "bus", sif, 16));
	ATF_REQUIRE_EQ(0, rump_netconfig_ipv6_addr_add(sif, FWD_BUS_ROUTER,
	    64));
	ATF_REQUIRE_EQ(0, rump_netconfig_ifup(sif));
	/* Else Linux connects once the peer listens and both ends of the
	 * bus know each other; at once, its first SYNs meet the router's
	 * bus address in DAD and the peer not listening yet. */
	if (!at_once) {
		ATF_REQUIRE_EQ(RUMP_IPV6_ADDR_USABLE, wait_addr6_usable(sif,
		    FWD_BUS_ROUTER));
		ATF_REQUIRE_EQ(0, wait_file("listening"));
		ATF_REQUIRE_EQ(0, rump_netconfig_ping6(FWD_PEER_ADDR, 1, 56,
		    2000, NULL));
	}
	ATF_REQUIRE_EQ(0, rump_netconfig_ifstats(vif, &v0));
	ATF_REQUIRE_EQ(0, rump_netconfig_ifstats(sif, &s0));
	ATF_REQUIRE_EQ(0, rump_netconfig_ipv6_forwarding(1));
	ATF_REQUIRE_EQ(0, touch_file("ready"));
	/* Linux to the peer, then the peer to Linux. */
	for (ms = 0; access("received", F_OK) != 0; ms += 20) {
		int st1 = -1, st2 = -1;

		/* Linux cannot be done before the peer has received all
		 * (it waits for the peer's answer): if it is, it failed
		 * (a connect() that did not succeed, for one). */
		if (waitpid(pid, &st1, WNOHANG) == pid) {
			kill(peer, SIGKILL);
			waitpid(peer, &st2, 0);
			atf_tc_fail("the Linux side ended (status %#x) before "
			    "the peer had received %u bytes (peer %#x)", st1,
			    XFER_BYTES, st2);
		}
		if (ms >= FWD_MAX_S * 1000) {
			kill(pid, SIGKILL);
			kill(peer, SIGKILL);
			waitpid(pid, &st1, 0);
			waitpid(peer, &st2, 0);
			atf_tc_fail("%u bytes from Linux to the peer took more "
			    "than %d s (Linux side status %#x, peer %#x)",
			    XFER_BYTES, FWD_MAX_S, st1, st2);
		}
		rt_sleep_ms(20);
	}
	ATF_REQUIRE_EQ(0, rump_netconfig_ifstats(vif, &v1));
	ATF_REQUIRE_EQ(0, rump_netconfig_ifstats(sif, &s1));
	child_wait(pid, "Linux client");
	peers_finish(&peer, 1);
	printf("to the peer: %.0f bytes/frame from Linux, %.0f onto the "
	    "bus\n", (double)(v1.ibytes - v0.ibytes) /
	    (double)(v1.ipackets - v0.ipackets + 1),
	    (double)(s1.obytes - s0.obytes) /
	    (double)(s1.opackets - s0.opackets + 1));
	/* Linux did send large segments (else this tested nothing), and
	 * they crossed the bus cut to its MTU. */
	ATF_CHECK(v1.ibytes - v0.ibytes > 2000 * (v1.ipackets - v0.ipackets));
	ATF_CHECK(s1.obytes - s0.obytes <= 1514 * (s1.opackets -
	    s0.opackets));
}

ATF_TC_WITHOUT_HEAD(forward6_segments);
ATF_TC_BODY(forward6_segments, tc)
{

	forward6_case(false);
}

/* Linux connects before the router is up: its SYNs are lost until the
 * router forwards and the bus's neighbour discovery is done; the
 * connection is made within FWD_CONNECT_S all the same. */
ATF_TC_WITHOUT_HEAD(forward6_at_once);
ATF_TC_BODY(forward6_at_once, tc)
{

	forward6_case(true);
}

/* --- Router advertisements both ways ----------------------------------- */

/* Whether Linux has an address in prefix/64 on the TAP device. */
static bool
linux_has_prefix(const char *prefix)
{
	struct ifaddrs *ifa, *i;
	struct in6_addr p;
	bool found = false;

	if (inet_pton(AF_INET6, prefix, &p) != 1 || getifaddrs(&ifa) != 0)
		return false;
	for (i = ifa; i != NULL && !found; i = i->ifa_next)
		found = i->ifa_addr != NULL &&
		    i->ifa_addr->sa_family == AF_INET6 &&
		    strcmp(i->ifa_name, TAPNAME) == 0 &&
		    memcmp(&((struct sockaddr_in6 *)(void *)i->ifa_addr)->
		    sin6_addr, &p, 8) == 0;
	freeifaddrs(ifa);
	return found;
}

/* One router advertisement for fd00:96::/64 from Linux to all nodes
 * on the TAP device (Linux computes the checksum). */
static int
linux_send_ra(int s)
{
	struct sockaddr_in6 to;
	uint8_t ra[48];

	memset(ra, 0, sizeof(ra));
	ra[0] = 134;			/* router advertisement */
	ra[4] = 64;			/* cur hop limit */
	ra[6] = 600 >> 8;		/* router lifetime 600 s */
	ra[7] = 600 & 0xff;
	ra[16] = 3;			/* prefix information */
	ra[17] = 4;
	ra[18] = 64;
	ra[19] = 0xc0;			/* on-link, autonomous */
	ra[22] = 3600 >> 8;		/* valid 3600 s */
	ra[23] = 3600 & 0xff;
	ra[26] = 1800 >> 8;		/* preferred 1800 s */
	ra[27] = 1800 & 0xff;
	if (inet_pton(AF_INET6, "fd00:96::", ra + 32) != 1)
		return EINVAL;
	memset(&to, 0, sizeof(to));
	to.sin6_family = AF_INET6;
	to.sin6_scope_id = if_nametoindex(TAPNAME);
	if (inet_pton(AF_INET6, "ff02::1", &to.sin6_addr) != 1)
		return EINVAL;
	return sendto(s, ra, sizeof(ra), 0, (struct sockaddr *)&to,
	    sizeof(to)) == (ssize_t)sizeof(ra) ? 0 : errno;
}

/* The Linux side of case "ra". */
static int
linux_ra_side(void)
{
	union linux_in6_ifreq ifr6;
	char path[128], buf[16] = "";
	FILE *f;
	int s, hops = 255, ifindex = (int)if_nametoindex(TAPNAME), error;

	/* strata's advertisements: an address, the MTU, a default route
	 * through strata to its other interface. */
	for (int ms = 0; !linux_has_prefix("fd00:98::"); ms += 50) {
		if (ms > 60000)
			return ENOENT;
		rt_sleep_ms(50);
	}
	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/mtu",
	    TAPNAME);
	for (int ms = 0; strcmp(buf, "1400\n") != 0; ms += 50) {
		if (ms > 60000)
			return EMSGSIZE;
		if ((f = fopen(path, "r")) != NULL) {
			if (fgets(buf, sizeof(buf), f) == NULL)
				buf[0] = '\0';
			fclose(f);
		}
		rt_sleep_ms(50);
	}
	if ((error = linux_ping6("fd00:97::1", 40)) != 0)
		return error;
	if ((error = touch_file("linux_a")) != 0)
		return error;
	/* Our own advertisements once strata stopped. */
	if ((error = wait_file("strata_b")) != 0)
		return error;
	s = socket(AF_INET6, SOCK_DGRAM, 0);
	if (s == -1)
		return errno;
	memset(&ifr6, 0, sizeof(ifr6));
	inet_pton(AF_INET6, "fd00:96::1", &ifr6.r.ifr6_addr);
	ifr6.r.ifr6_prefixlen = 64;
	ifr6.r.ifr6_ifindex = ifindex;
	if (ioctl(s, SIOCSIFADDR, &ifr6) != 0)
		return errno;
	close(s);
	if ((s = socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6)) == -1 ||
	    setsockopt(s, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops,
	    sizeof(hops)) != 0 ||
	    setsockopt(s, IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifindex,
	    sizeof(ifindex)) != 0)
		return errno;
	for (int i = 0; access("done_b", F_OK) != 0; i++) {
		if (i == 120)
			return ETIMEDOUT;
		if ((error = linux_send_ra(s)) != 0)
			return error;
		rt_sleep_ms(500);
	}
	close(s);
	return 0;
}

ATF_TC(ra);
ATF_TC_HEAD(ra, tc)
{
	atf_tc_set_md_var(tc, "descr", "Router advertisements from strata "
	    "configure Linux (address, MTU, default route), and crafted ones "
	    "from Linux configure strata");
	atf_tc_set_md_var(tc, "timeout", "300");
}
ATF_TC_BODY(ra, tc)
{
	struct rump_ipv6_ra ra = { "fd00:98::", 64, 3600, 1800, 1800, 1400,
	    600 };
	char ifname[16], shm[16], addr[INET6_ADDRSTRLEN];
	struct in6_addr a;
	uint8_t hw[6];
	int error = ETIMEDOUT, st = -1;
	pid_t pid;

	netns_setup();
	pid = fork();
	ATF_REQUIRE(pid != -1);
	if (pid == 0)
		_exit(linux_ra_side());

	boot();
	ATF_REQUIRE_EQ(0, rump_netconfig_ifcreate("virtif", TAPNAME, ifname,
	    16));
	ATF_REQUIRE_EQ(0, rump_netconfig_ifcreate("shmif", "bus", shm, 16));
	ATF_REQUIRE_EQ(0, rump_netconfig_ipv6_addr_add(shm, "fd00:97::1", 64));
	ATF_REQUIRE_EQ(0, rump_netconfig_ifup(shm));
	/* The router has an address of the prefix it advertises (its
	 * route back to the hosts there). */
	ATF_REQUIRE_EQ(0, rump_netconfig_ipv6_addr_add(ifname, "fd00:98::1",
	    64));
	ATF_REQUIRE_EQ(0, rump_netconfig_ifup(ifname));
	ATF_REQUIRE_EQ(0, rump_netconfig_ipv6_forwarding(1));
	ATF_REQUIRE_EQ(0, rump_netconfig_ipv6_ra(ifname, &ra));
	ATF_REQUIRE_EQ_MSG(0, wait_file("linux_a"), "Linux did not get "
	    "its address, MTU and route from strata");
	ATF_REQUIRE_EQ(0, rump_netconfig_ipv6_ra(ifname, NULL));
	ATF_REQUIRE_EQ(0, rump_netconfig_ipv6_forwarding(0));
	ATF_REQUIRE_EQ(0, touch_file("strata_b"));
	/* strata's address from Linux's prefix. */
	ATF_REQUIRE_EQ(0, rump_netconfig_ifhwaddr(ifname, hw));
	ATF_REQUIRE(inet_pton(AF_INET6, "fd00:96::", &a) == 1);
	a.s6_addr[8] = hw[0] ^ 0x02;
	a.s6_addr[9] = hw[1];
	a.s6_addr[10] = hw[2];
	a.s6_addr[11] = 0xff;
	a.s6_addr[12] = 0xfe;
	a.s6_addr[13] = hw[3];
	a.s6_addr[14] = hw[4];
	a.s6_addr[15] = hw[5];
	inet_ntop(AF_INET6, &a, addr, sizeof(addr));
	for (int ms = 0; ms < 60000; ms += 50) {
		if ((st = rump_netconfig_ipv6_addr_state(ifname, addr)) ==
		    RUMP_IPV6_ADDR_USABLE)
			break;
		rt_sleep_ms(50);
	}
	ATF_CHECK_EQ_MSG(RUMP_IPV6_ADDR_USABLE, st, "no address %s", addr);
	/* Linux's address off our prefixes: through the default route. */
	for (int i = 0; i < 40 && error != 0; i++) {
		error = rump_netconfig_ping6(LINUX_ADDR, i + 1, 56, 500, NULL);
		if (error != 0)
			rt_sleep_ms(200);
	}
	ATF_CHECK_EQ_MSG(0, error, "ping6 %s: %s", LINUX_ADDR,
	    strerror(error));
	ATF_REQUIRE_EQ(0, touch_file("done_b"));
	child_wait(pid, "Linux side");
}

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, ping6_tcp6);
	ATF_TP_ADD_TC(tp, offloads6);
	ATF_TP_ADD_TC(tp, no_offloads6);
	ATF_TP_ADD_TC(tp, forward6_segments);
	ATF_TP_ADD_TC(tp, forward6_at_once);
	ATF_TP_ADD_TC(tp, ra);
	return atf_no_error();
}
