/*
 * t_net_virtif.c: the virtif interface on a TAP device, against the
 * Linux stack of the same machine.
 *
 * Each case moves its process into a network namespace of its own
 * (unshare(CLONE_NEWNET)), which disappears with the process: every frame
 * stays inside it.  There it makes TAP device vt0 with 10.99.0.1/24 on
 * the Linux side; the kernel attaches virtif to it with 10.99.0.2/24.
 * The Linux side's work runs in a child process forked before the kernel
 * boots (on the fiber platform a blocking host call in the kernel's
 * process would stop the kernel).  Needs root and /dev/net/tun; skipped
 * without them.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <net/if.h>
#include <net/route.h>
#include <linux/if_tun.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <time.h>

#include "h_net.h"

#define TAPNAME		"vt0"
#define LINUX_ADDR	"10.99.0.1"
#define STRATA_ADDR	"10.99.0.2"
#define XFER_BYTES	(8u << 20)

/* Sets an IPv4 address/24 on a Linux interface and brings it up. */
static void
linux_ifconfig(const char *ifname, const char *addr)
{
	struct ifreq ifr;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
	int s;

	s = socket(AF_INET, SOCK_DGRAM, 0);
	ATF_REQUIRE(s != -1);
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, ifname);
	if (addr != NULL) {
		sin->sin_family = AF_INET;
		ATF_REQUIRE(inet_pton(AF_INET, addr, &sin->sin_addr) == 1);
		ATF_REQUIRE(ioctl(s, SIOCSIFADDR, &ifr) == 0);
		ATF_REQUIRE(inet_pton(AF_INET, "255.255.255.0",
		    &sin->sin_addr) == 1);
		ATF_REQUIRE(ioctl(s, SIOCSIFNETMASK, &ifr) == 0);
	}
	ATF_REQUIRE(ioctl(s, SIOCGIFFLAGS, &ifr) == 0);
	ifr.ifr_flags |= IFF_UP;
	ATF_REQUIRE(ioctl(s, SIOCSIFFLAGS, &ifr) == 0);
	close(s);
}

/*
 * Skips without the means; otherwise enters a fresh network namespace
 * and, with mktap, makes the persistent TAP device vt0 there, configured
 * on the Linux side.
 */
static void
netns_setup(bool mktap)
{
	struct ifreq ifr;
	int fd;

	if (geteuid() != 0)
		atf_tc_skip("needs root (a network namespace and a TAP device)");
	if (access("/dev/net/tun", R_OK | W_OK) != 0)
		atf_tc_skip("no /dev/net/tun: %s", strerror(errno));
	if (unshare(CLONE_NEWNET) != 0)
		atf_tc_skip("cannot make a network namespace: %s",
		    strerror(errno));
	linux_ifconfig("lo", NULL);
	if (!mktap)
		return;
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	ATF_REQUIRE(fd != -1);
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, TAPNAME);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	ATF_REQUIRE(ioctl(fd, TUNSETIFF, &ifr) == 0);
	ATF_REQUIRE(ioctl(fd, TUNSETPERSIST, 1) == 0);
	close(fd);
	linux_ifconfig(TAPNAME, LINUX_ADDR);
}

static uint16_t
icmp_cksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

/* Linux pings addr with a raw socket: 0 when an echo reply came. */
static int
linux_ping(const char *addr, int tries)
{
	struct sockaddr_in sin = sin_of(addr, 0);
	uint8_t pkt[64], buf[1500];
	struct icmphdr *ic = (struct icmphdr *)pkt;
	struct pollfd pfd;
	int s, i;

	if ((s = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP)) == -1)
		return errno;
	for (i = 0; i < tries; i++) {
		memset(pkt, 0xa5, sizeof(pkt));
		ic->type = ICMP_ECHO;
		ic->code = 0;
		ic->checksum = 0;
		ic->un.echo.id = htons(0x5354);
		ic->un.echo.sequence = htons((uint16_t)i);
		ic->checksum = icmp_cksum(pkt, sizeof(pkt));
		if (sendto(s, pkt, sizeof(pkt), 0, (struct sockaddr *)&sin,
		    sizeof(sin)) != (ssize_t)sizeof(pkt))
			return errno;
		pfd = (struct pollfd){ s, POLLIN, 0 };
		while (poll(&pfd, 1, 500) == 1) {
			ssize_t n = recv(s, buf, sizeof(buf), 0);
			struct ip *ip = (struct ip *)buf;
			struct icmphdr *r;

			if (n < (ssize_t)sizeof(*ip))
				continue;
			r = (struct icmphdr *)(buf + ip->ip_hl * 4);
			if (n >= ip->ip_hl * 4 + (ssize_t)sizeof(*r) &&
			    ip->ip_src.s_addr == sin.sin_addr.s_addr &&
			    r->type == ICMP_ECHOREPLY &&
			    r->un.echo.id == htons(0x5354)) {
				close(s);
				return 0;
			}
		}
	}
	close(s);
	return ETIMEDOUT;
}

/* Waits for a child without blocking the host thread (which, on the
 * fiber platform, runs the kernel that the child talks to). */
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

static void
virtif_setup(char *ifname)
{

	boot();
	ATF_REQUIRE_EQ(0, rump_netconfig_ifcreate("virtif", TAPNAME, ifname,
	    16));
	ATF_CHECK_STREQ("virtif0", ifname);
	ATF_REQUIRE_EQ(0, rump_netconfig_ipv4_addr_add(ifname, STRATA_ADDR,
	    24));
	ATF_REQUIRE_EQ(0, rump_netconfig_ifup(ifname));
}

/* --- ping both ways ------------------------------------------------------- */

ATF_TC_WITHOUT_HEAD(ping_both_ways);
ATF_TC_BODY(ping_both_ways, tc)
{
	struct rump_ifstats st;
	char ifname[16];
	pid_t pid;

	netns_setup(true);
	pid = fork();
	ATF_REQUIRE(pid != -1);
	if (pid == 0)
		_exit(linux_ping(STRATA_ADDR, 20));
	virtif_setup(ifname);
	ATF_REQUIRE_EQ(0, ping_retry(LINUX_ADDR, 20, 56));
	for (int i = 0; i < 10; i++)
		ATF_CHECK_EQ(0, rump_netconfig_ping4(LINUX_ADDR, 100 + i, 56,
		    2000, NULL));
	/* Fragmented both ways: 4000 bytes over the TAP's 1500 MTU. */
	ATF_CHECK_EQ(0, rump_netconfig_ping4(LINUX_ADDR, 200, 4000, 2000,
	    NULL));
	child_wait(pid, "Linux ping");
	ATF_REQUIRE_EQ(0, rump_netconfig_ifstats(ifname, &st));
	ATF_CHECK_EQ(1500, st.mtu);
	ATF_CHECK(st.opackets >= 12 && st.ipackets >= 12);
	ATF_CHECK_EQ(0, st.ierrors);
}

/* --- TCP both ways, byte-exact ------------------------------------------- */

/* Receives total bytes of pattern seed and the end of the stream on a
 * host socket: 0 or an errno. */
/* Linux side: as the server, receives pattern 1 and answers with
 * pattern 2; then as a client of the strata server sends pattern 3 and
 * receives pattern 4. */
/* What Linux says the connection negotiated with strata: window
 * scaling, timestamps (RFC 7323) and SACK (RFC 2018), both ways; an MSS
 * that fills the TAP's 1500-byte MTU.  0 or EPROTO (with the reason on
 * standard error). */
static int
linux_tcp_options(int fd, const char *way)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	const unsigned want = TCPI_OPT_WSCALE | TCPI_OPT_TIMESTAMPS |
	    TCPI_OPT_SACK;

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0)
		return errno;
	if ((ti.tcpi_options & want) != want || ti.tcpi_snd_mss < 1400) {
		fprintf(stderr, "%s: Linux's TCP_INFO options %#x (want %#x), "
		    "snd_mss %u\n", way, (unsigned)ti.tcpi_options, want,
		    (unsigned)ti.tcpi_snd_mss);
		return EPROTO;
	}
	return 0;
}

static int
linux_tcp(int lfd)
{
	struct sockaddr_in sin = sin_of(STRATA_ADDR, 5002);
	uint8_t *buf = malloc(65536);
	int fd, error;

	if (buf == NULL)
		return ENOMEM;
	if ((fd = accept(lfd, NULL, NULL)) == -1)
		return errno;
	if ((error = linux_tcp_options(fd, "strata to Linux")) != 0)
		return error;
	if ((error = host_recv_pattern(fd, buf, 1, XFER_BYTES)) != 0 ||
	    (error = host_send_pattern(fd, buf, 2, XFER_BYTES)) != 0)
		return error;
	close(fd);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0)
		return errno;
	if ((error = linux_tcp_options(fd, "Linux to strata")) != 0)
		return error;
	if ((error = host_send_pattern(fd, buf, 3, XFER_BYTES)) != 0)
		return error;
	if (shutdown(fd, SHUT_WR) != 0)
		return errno;
	if ((error = host_recv_pattern(fd, buf, 4, XFER_BYTES)) != 0)
		return error;
	close(fd);
	free(buf);
	return 0;
}

/* A Linux TCP listener at sin, in the test's own namespace. */
static int
linux_listen(const struct sockaddr_in *sin)
{
	int lfd, one = 1;

	lfd = socket(AF_INET, SOCK_STREAM, 0);
	ATF_REQUIRE(lfd != -1);
	ATF_REQUIRE(setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)) == 0);
	ATF_REQUIRE(bind(lfd, (const struct sockaddr *)sin,
	    sizeof(*sin)) == 0);
	ATF_REQUIRE(listen(lfd, 4) == 0);
	return lfd;
}

ATF_TC_WITHOUT_HEAD(tcp_both_ways);
ATF_TC_BODY(tcp_both_ways, tc)
{
	struct sockaddr_in sin;
	char ifname[16];
	int lfd, fd;
	pid_t pid;

	netns_setup(true);
	sin = sin_of(LINUX_ADDR, 5001);
	lfd = linux_listen(&sin);
	pid = fork();
	ATF_REQUIRE(pid != -1);
	if (pid == 0)
		_exit(linux_tcp(lfd));
	close(lfd);

	virtif_setup(ifname);
	lfd = tcp_listener(STRATA_ADDR, 5002, 4);
	/* strata client -> Linux server. */
	fd = tcp_connect(LINUX_ADDR, 5001);
	ATF_REQUIRE_MSG(fd != -1, "connect: %s", strerror(errno));
	ATF_REQUIRE_EQ(0, send_pattern(fd, 1, XFER_BYTES));
	RL(rump_sys_shutdown(fd, SHUT_WR));
	ATF_REQUIRE_EQ(0, recv_pattern(fd, 2, XFER_BYTES));
	RL(rump_sys_close(fd));
	/* Linux client -> strata server. */
	fd = (int)RL(rump_sys_accept(lfd, NULL, NULL));
	ATF_REQUIRE_EQ(0, recv_pattern(fd, 3, XFER_BYTES));
	ATF_REQUIRE_EQ(0, send_pattern(fd, 4, XFER_BYTES));
	RL(rump_sys_close(fd));
	RL(rump_sys_close(lfd));
	child_wait(pid, "Linux TCP peer");
}

/* --- offloads: checksums and large segments ------------------------------ */

/*
 * TCP both ways and UDP with Linux, checking from the interface's
 * counters whether large segments went each way: with offloads (the
 * default) TCP segments travel whole, so a frame averages more than the
 * 1514 bytes a frame of the TAP's MTU can hold; with
 * RUMP_VIRTIF_OFFLOAD=0 never.  Linux drops a segment or datagram whose
 * checksum we left wrong, so the byte-exact transfers and echoes also
 * check the checksums the host completes and those we complete.
 */
static void
offload_case(bool offload)
{
	struct sockaddr_in sin, usin;
	char ifname[16];
	int lfd, ufd, fd;
	pid_t pid;

	netns_setup(true);
	sin = sin_of(LINUX_ADDR, 5001);
	lfd = linux_listen(&sin);
	usin = sin_of(LINUX_ADDR, 5003);
	ufd = socket(AF_INET, SOCK_DGRAM, 0);
	ATF_REQUIRE(ufd != -1);
	ATF_REQUIRE(bind(ufd, (struct sockaddr *)&usin, sizeof(usin)) == 0);
	pid = fork();
	ATF_REQUIRE(pid != -1);
	if (pid == 0)
		_exit(linux_offload_peer(lfd, ufd, XFER_BYTES));
	close(lfd);
	close(ufd);

	if (!offload)
		ATF_REQUIRE_EQ(0, setenv("RUMP_VIRTIF_OFFLOAD", "0", 1));
	virtif_setup(ifname);
	fd = tcp_connect(LINUX_ADDR, 5001);
	ATF_REQUIRE_MSG(fd != -1, "connect: %s", strerror(errno));
	offload_exchange(ifname, fd, (struct sockaddr *)&usin, sizeof(usin),
	    XFER_BYTES, offload);
	child_wait(pid, "Linux peer");
}

ATF_TC_WITHOUT_HEAD(offloads);
ATF_TC_BODY(offloads, tc)
{

	offload_case(true);
}

ATF_TC_WITHOUT_HEAD(no_offloads);
ATF_TC_BODY(no_offloads, tc)
{

	offload_case(false);
}

/* --- forwarding the host's large segments -------------------------------- */

/*
 * strata as a router between the TAP device and a shmif bus, with a
 * second strata kernel (a peer process) on the bus: the forwarder has
 * 10.99.0.2 on virtif and 10.98.0.1 on shmif, the peer 10.98.0.2.  Linux
 * sends with its offloads on, so the TAP device hands the forwarder TCP
 * segments of up to 64 KiB; they must reach the peer whether the bus
 * takes them whole (shmif's TSO) or not (RUMP_SHMIF_TSO=0: strata cuts
 * them), and the peer's own large segments must reach Linux.  Before
 * strata kept a segment's size, a segment too big for the bus was
 * answered "fragmentation needed" (Linux sets DF), which Linux, whose
 * segments were already of the path's MTU, could not act on: the
 * transfer crawled from timeout to timeout.
 */
#define FWD_LINUX_NET	"10.98.0.0"
#define FWD_ROUTER_ADDR	"10.98.0.1"
#define FWD_PEER_ADDR	"10.98.0.2"
#define FWD_PORT	5010
#define FWD_MAX_S	60	/* both transfers; seconds without the bug */

/* Linux side: routes the bus's network through strata, sends pattern 5
 * to the peer and receives pattern 6, within FWD_MAX_S. */
static int
linux_fwd_client(void)
{
	struct sockaddr_in sin = sin_of(FWD_PEER_ADDR, FWD_PORT);
	struct rtentry rte;
	int s, fd, error;

	memset(&rte, 0, sizeof(rte));
	((struct sockaddr_in *)&rte.rt_dst)->sin_family = AF_INET;
	inet_pton(AF_INET, FWD_LINUX_NET,
	    &((struct sockaddr_in *)&rte.rt_dst)->sin_addr);
	((struct sockaddr_in *)&rte.rt_genmask)->sin_family = AF_INET;
	inet_pton(AF_INET, "255.255.255.0",
	    &((struct sockaddr_in *)&rte.rt_genmask)->sin_addr);
	((struct sockaddr_in *)&rte.rt_gateway)->sin_family = AF_INET;
	inet_pton(AF_INET, STRATA_ADDR,
	    &((struct sockaddr_in *)&rte.rt_gateway)->sin_addr);
	rte.rt_flags = RTF_UP | RTF_GATEWAY;
	if ((s = socket(AF_INET, SOCK_DGRAM, 0)) == -1 ||
	    ioctl(s, SIOCADDRT, &rte) != 0)
		return errno;
	close(s);
	/* Until the router and the peer are up (a separate process: this
	 * may block). */
	if ((error = wait_file("ready")) != 0)
		return error;
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0)
		return errno;
	return host_timed_exchange(fd, XFER_BYTES, FWD_MAX_S);
}

/* The peer on the bus: receives pattern 5, answers with pattern 6. */
static int
fwd_peer(void *arg)
{
	char ifname[16];
	int lfd, fd, error;

	(void)arg;
	if ((error = shmif_setup("bus", FWD_PEER_ADDR, ifname)) != 0 ||
	    (error = rump_netconfig_ipv4_gw(FWD_ROUTER_ADDR)) != 0)
		return error;
	if ((lfd = tcp_listener(FWD_PEER_ADDR, FWD_PORT, 4)) == -1)
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

/* Average bytes per frame between two counter readings. */
#define FWD_PER_FRAME(a, b, bytes, pkts) \
	((double)((b).bytes - (a).bytes) / (double)((b).pkts - (a).pkts + \
	    ((b).pkts == (a).pkts)))

static void
forward_case(bool bus_tso)
{
	struct rump_ifstats v0, v1, v2, s0, s1, s2;
	char vif[16], sif[16];
	pid_t pid, peer;
	int ms;

	netns_setup(true);
	if (!bus_tso)
		ATF_REQUIRE_EQ(0, setenv("RUMP_SHMIF_TSO", "0", 1));
	pid = fork();
	ATF_REQUIRE(pid != -1);
	if (pid == 0)
		_exit(linux_fwd_client());
	peer = peer_start(fwd_peer, NULL, true);

	virtif_setup(vif);
	ATF_REQUIRE_EQ(0, shmif_setup("bus", FWD_ROUTER_ADDR, sif));
	/* Linux connects once the peer listens and the router knows it. */
	ATF_REQUIRE_EQ(0, wait_file("listening"));
	ATF_REQUIRE_EQ(0, ping_retry(FWD_PEER_ADDR, 20, 56));
	ATF_REQUIRE_EQ(0, rump_netconfig_ifstats(vif, &v0));
	ATF_REQUIRE_EQ(0, rump_netconfig_ifstats(sif, &s0));
	ATF_REQUIRE_EQ(0, rump_netconfig_ipv4_forwarding(1));
	ATF_REQUIRE_EQ(0, touch_file("ready"));
	/* Linux to the peer, then the peer to Linux. */
	for (ms = 0; access("received", F_OK) != 0; ms += 20) {
		if (ms >= FWD_MAX_S * 1000) {
			kill(pid, SIGKILL);
			kill(peer, SIGKILL);
			waitpid(pid, NULL, 0);
			waitpid(peer, NULL, 0);
			atf_tc_fail("%u bytes from Linux to the peer took more "
			    "than %d s", XFER_BYTES, FWD_MAX_S);
		}
		rt_sleep_ms(20);
	}
	ATF_REQUIRE_EQ(0, rump_netconfig_ifstats(vif, &v1));
	ATF_REQUIRE_EQ(0, rump_netconfig_ifstats(sif, &s1));
	child_wait(pid, "Linux client");
	peers_finish(&peer, 1);
	ATF_REQUIRE_EQ(0, rump_netconfig_ifstats(vif, &v2));
	ATF_REQUIRE_EQ(0, rump_netconfig_ifstats(sif, &s2));
	printf("to the peer: %.0f bytes/frame from Linux, %.0f onto the "
	    "bus; to Linux: %.0f from the bus, %.0f to Linux\n",
	    FWD_PER_FRAME(v0, v1, ibytes, ipackets),
	    FWD_PER_FRAME(s0, s1, obytes, opackets),
	    FWD_PER_FRAME(s1, s2, ibytes, ipackets),
	    FWD_PER_FRAME(v1, v2, obytes, opackets));
	/* Linux did send large segments (else this tested nothing), and
	 * they crossed the bus whole or cut to its MTU. */
	ATF_CHECK(FWD_PER_FRAME(v0, v1, ibytes, ipackets) > 2000);
	if (bus_tso) {
		ATF_CHECK(FWD_PER_FRAME(s0, s1, obytes, opackets) > 2000);
		/* The peer's large segments went on to Linux whole. */
		ATF_CHECK(FWD_PER_FRAME(s1, s2, ibytes, ipackets) > 2000);
		ATF_CHECK(FWD_PER_FRAME(v1, v2, obytes, opackets) > 2000);
	} else
		ATF_CHECK(FWD_PER_FRAME(s0, s1, obytes, opackets) <= 1514);
}

ATF_TC_WITHOUT_HEAD(forward_segments);
ATF_TC_BODY(forward_segments, tc)
{

	forward_case(false);
}

ATF_TC_WITHOUT_HEAD(forward_tso);
ATF_TC_BODY(forward_tso, tc)
{

	forward_case(true);
}

/* --- creation errors and removal ----------------------------------------- */

ATF_TC_WITHOUT_HEAD(create_destroy);
ATF_TC_BODY(create_destroy, tc)
{
	char ifname[16], other[16], bus[64];

	netns_setup(false);
	boot();
	ATF_CHECK_EQ(EINVAL, rump_netconfig_ifcreate("virtif", "", ifname,
	    16));
	ATF_CHECK_EQ(EINVAL, rump_netconfig_ifcreate("virtif",
	    "a-name-longer-than-ifnamsiz", ifname, 16));
	/* As root in the namespace, attaching makes the device, which
	 * lives as long as the interface. */
	ATF_REQUIRE_EQ(0, rump_netconfig_ifcreate("virtif", "vtnew", ifname,
	    16));
	ATF_CHECK(if_nametoindex("vtnew") != 0);
	/* A TAP device has one user. */
	ATF_CHECK_EQ(EBUSY, rump_netconfig_ifcreate("virtif", "vtnew", other,
	    16));
	ATF_REQUIRE_EQ(0, rump_netconfig_ipv4_addr_add(ifname, STRATA_ADDR,
	    24));
	ATF_REQUIRE_EQ(0, rump_netconfig_ifup(ifname));
	ATF_REQUIRE_EQ(0, rump_netconfig_ifdestroy(ifname));
	ATF_CHECK_EQ(0, if_nametoindex("vtnew"));
	ATF_CHECK_EQ(ENXIO, rump_netconfig_ifdestroy(ifname));
	ATF_CHECK_EQ(ENXIO, rump_netconfig_ifup(ifname));
	/* The route to the prefix went with it. */
	ATF_CHECK_EQ(ENETUNREACH, rump_netconfig_ping4("10.99.0.3", 1, 8,
	    100, NULL));
	/* The device is free again. */
	ATF_REQUIRE_EQ(0, rump_netconfig_ifcreate("virtif", "vtnew", other,
	    16));
	ATF_CHECK_STREQ("virtif1", other);
	ATF_CHECK_EQ(0, rump_netconfig_ifdestroy(other));
	/* Interfaces of other types stay. */
	ATF_CHECK_EQ(EOPNOTSUPP, rump_netconfig_ifdestroy("lo"));
	snprintf(bus, sizeof(bus), "bus");
	ATF_REQUIRE_EQ(0, rump_netconfig_ifcreate("shmif", bus, other, 16));
	ATF_CHECK_EQ(EOPNOTSUPP, rump_netconfig_ifdestroy(other));
}

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, ping_both_ways);
	ATF_TP_ADD_TC(tp, offloads);
	ATF_TP_ADD_TC(tp, no_offloads);
	ATF_TP_ADD_TC(tp, tcp_both_ways);
	ATF_TP_ADD_TC(tp, forward_segments);
	ATF_TP_ADD_TC(tp, forward_tso);
	ATF_TP_ADD_TC(tp, create_destroy);
	return atf_no_error();
}
