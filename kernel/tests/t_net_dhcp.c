/*
 * t_net_dhcp.c: the DHCP client (rump_netconfig_dhcp).
 *
 * Case "shmif_server": against a small DHCP server running on a peer
 * kernel over shmif (written here from RFC 2131: it offers 10.0.0.77/24
 * with router 10.0.0.1, refuses the first REQUEST with a NAK so that the
 * client must start over, and acknowledges the second).  Needs nothing.
 *
 * Cases "renew", "rebind" and "expire": the lease kept by the kernel's
 * own thread (RFC 2131 4.4.5) against a second server on a peer kernel
 * that gives 4-second leases: renewed unicast while a TCP connection to
 * the server stays up; rebound by broadcast when the server ignores
 * unicast; ended (address and routes gone) when the server goes silent,
 * then leased again by discovery when it answers again, and released.
 * Each waits for the events with generous bounds (the lease state read
 * with rump_netconfig_dhcp_status()), never for fixed times.
 *
 * Case "udhcpd": against busybox's udhcpd in a network namespace of the
 * test's own, on a TAP device the kernel attaches virtif to; afterwards
 * Linux and strata ping each other.  Needs root, /dev/net/tun and
 * busybox (Debian: busybox-static); skipped without them.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/ioctl.h>
#include <net/if.h>
#include <linux/if_tun.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>

#include "h_net.h"

/* --- A DHCP server on a peer kernel ------------------------------------- */

static size_t
opt(uint8_t *p, uint8_t code, const void *val, uint8_t len)
{
	p[0] = code;
	p[1] = len;
	memcpy(p + 2, val, len);
	return 2u + len;
}

/* The message type (option 53) of a client message, 0 if none. */
static int
msgtype(const uint8_t *m, size_t len)
{
	size_t i = 240;

	while (i + 1 < len && m[i] != 255) {
		if (m[i] == 0) {
			i++;
			continue;
		}
		if (m[i] == 53 && i + 2 < len)
			return m[i + 2];
		i += 2u + m[i + 1];
	}
	return 0;
}

static int
peer_dhcpd(void *arg)
{
	struct sockaddr_in sin, bcast = sin_of("255.255.255.255", 68);
	socklen_t sl;
	uint8_t m[576], r[300];
	uint32_t a;
	char ifname[16];
	int s, t, one = 1, error, naks = 0, acks = 0;
	ssize_t n;

	(void)arg;
	if ((error = shmif_setup("bus", "10.0.0.1", ifname)) != 0)
		return error;
	/* Requests come to 255.255.255.255 (a socket bound to 0.0.0.0
	 * hears them); answers go there from the server's address (a
	 * socket bound to it: as on Linux, a broadcast from 0.0.0.0 has
	 * no interface to leave by). */
	s = rump_sys_socket(AF_INET, SOCK_DGRAM, 0);
	t = rump_sys_socket(AF_INET, SOCK_DGRAM, 0);
	if (s == -1 || t == -1 ||
	    rump_sys_setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)) == -1 ||
	    rump_sys_setsockopt(t, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)) == -1 ||
	    rump_sys_setsockopt(t, SOL_SOCKET, SO_BROADCAST, &one,
	    sizeof(one)) == -1)
		return errno;
	sin = sin_of("0.0.0.0", 67);
	if (rump_sys_bind(s, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		return errno;
	sin = sin_of("10.0.0.1", 67);
	if (rump_sys_bind(t, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		return errno;
	while (acks == 0) {
		int type, reply;
		size_t o;

		sl = sizeof(sin);
		n = rump_sys_recvfrom(s, m, sizeof(m), 0,
		    (struct sockaddr *)&sin, &sl);
		if (n < 0)
			return errno;
		if (n < 240 || m[0] != 1)
			continue;
		type = msgtype(m, (size_t)n);
		if (type == 1)
			reply = 2;			/* OFFER */
		else if (type == 3)
			reply = naks++ == 0 ? 6 : 5;	/* NAK, then ACK */
		else
			continue;
		memset(r, 0, sizeof(r));
		r[0] = 2;
		r[1] = 1;
		r[2] = 6;
		memcpy(r + 4, m + 4, 4);		/* xid */
		memcpy(r + 10, m + 10, 2);		/* flags */
		if (reply != 6)
			inet_pton(AF_INET, "10.0.0.77", r + 16);
		memcpy(r + 28, m + 28, 16);		/* chaddr */
		r[236] = 0x63; r[237] = 0x82; r[238] = 0x53; r[239] = 0x63;
		o = 240;
		o += opt(r + o, 53, &(uint8_t){ (uint8_t)reply }, 1);
		inet_pton(AF_INET, "10.0.0.1", &a);
		o += opt(r + o, 54, &a, 4);
		if (reply != 6) {
			inet_pton(AF_INET, "255.255.255.0", &a);
			o += opt(r + o, 1, &a, 4);
			inet_pton(AF_INET, "10.0.0.1", &a);
			o += opt(r + o, 3, &a, 4);
			inet_pton(AF_INET, "10.0.0.53", &a);
			o += opt(r + o, 6, &a, 4);
			a = htonl(3600);
			o += opt(r + o, 51, &a, 4);
		}
		r[o++] = 255;
		if (rump_sys_sendto(t, r, o, 0, (struct sockaddr *)&bcast,
		    sizeof(bcast)) == -1)
			return errno;
		if (reply == 5)
			acks++;
	}
	return 0;
}

ATF_TC_WITHOUT_HEAD(shmif_server);
ATF_TC_BODY(shmif_server, tc)
{
	struct rump_dhcp_lease lease;
	char ifname[16];
	pid_t pid;

	pid = peer_start(peer_dhcpd, NULL, true);
	boot();
	ATF_REQUIRE_EQ(0, rump_netconfig_ifcreate("shmif", "bus", ifname,
	    sizeof(ifname)));
	ATF_CHECK_EQ(ENETDOWN, rump_netconfig_dhcp(ifname, 1000, &lease));
	ATF_REQUIRE_EQ(0, rump_netconfig_ifup(ifname));
	ATF_CHECK_EQ(ENXIO, rump_netconfig_dhcp("nosuch0", 1000, &lease));
	ATF_CHECK_EQ(EOPNOTSUPP, rump_netconfig_dhcp("lo", 1000, &lease));
	ATF_REQUIRE_EQ(0, rump_netconfig_dhcp(ifname, 20000, &lease));
	ATF_CHECK_STREQ("10.0.0.77", lease.addr);
	ATF_CHECK_EQ(24, lease.prefixlen);
	ATF_CHECK_STREQ("10.0.0.1", lease.router);
	ATF_CHECK_STREQ("10.0.0.1", lease.server);
	ATF_CHECK_STREQ("10.0.0.53", lease.dns);
	ATF_CHECK_EQ(3600, lease.lease_s);
	/* Applied: the address answers and the server is reachable. */
	ATF_CHECK_EQ(0, ping_retry("10.0.0.1", 20, 56));
	/* The default route goes through the router. */
	ATF_CHECK_EQ(0, rump_netconfig_ipv4_route_del("0.0.0.0", 0));
	peers_finish(&pid, 1);
}

static long
now_ms(void)
{
	int64_t sec;
	long nsec;

	(void)rumpuser_clock_gettime(RUMPUSER_CLOCK_ABSMONO, &sec, &nsec);
	return (long)(sec * 1000 + nsec / 1000000);
}

ATF_TC_WITHOUT_HEAD(no_server);
ATF_TC_BODY(no_server, tc)
{
	char ifname[16];
	long t0;

	boot();
	ATF_REQUIRE_EQ(0, rump_netconfig_ifcreate("shmif", "bus", ifname,
	    sizeof(ifname)));
	ATF_REQUIRE_EQ(0, rump_netconfig_ifup(ifname));
	t0 = now_ms();
	ATF_CHECK_EQ(ETIMEDOUT, rump_netconfig_dhcp(ifname, 1500, NULL));
	ATF_CHECK(now_ms() - t0 >= 1400);
	ATF_CHECK(now_ms() - t0 < 10000);
}

/* --- Lease lifetime: a server that keeps serving ------------------------ */

#define LEASE_ADDR	"10.0.0.77"
#define ECHO_PORT	7

enum srv_mode { SRV_RENEW, SRV_REBIND, SRV_EXPIRE };

struct srv_cfg {
	enum srv_mode	mode;
	uint32_t	lease, t1, t2;	/* t1, t2: 0 to leave out */
};

/* What the server saw: requests with ciaddr set that came unicast or
 * broadcast, releases, discovers. */
struct srv_seen {
	int	uni, bcast, release, discover;
};

/* Answers message m (n bytes) on t; false on a send error. */
static bool
srv_answer(int t, const struct srv_cfg *cfg, const uint8_t *m, size_t n,
    int type)
{
	struct sockaddr_in to = sin_of("255.255.255.255", 68);
	uint8_t r[300];
	uint32_t a, ciaddr;
	size_t o;
	int reply = type == 1 ? 2 : 5;

	(void)n;
	memcpy(&ciaddr, m + 12, 4);
	memset(r, 0, sizeof(r));
	r[0] = 2;
	r[1] = 1;
	r[2] = 6;
	memcpy(r + 4, m + 4, 4);		/* xid */
	memcpy(r + 10, m + 10, 2);		/* flags */
	if (ciaddr != 0)
		memcpy(r + 16, &ciaddr, 4);	/* renewing what it has */
	else
		inet_pton(AF_INET, LEASE_ADDR, r + 16);
	memcpy(r + 28, m + 28, 16);		/* chaddr */
	r[236] = 0x63; r[237] = 0x82; r[238] = 0x53; r[239] = 0x63;
	o = 240;
	o += opt(r + o, 53, &(uint8_t){ (uint8_t)reply }, 1);
	inet_pton(AF_INET, "10.0.0.1", &a);
	o += opt(r + o, 54, &a, 4);
	inet_pton(AF_INET, "255.255.255.0", &a);
	o += opt(r + o, 1, &a, 4);
	inet_pton(AF_INET, "10.0.0.1", &a);
	o += opt(r + o, 3, &a, 4);
	a = htonl(cfg->lease);
	o += opt(r + o, 51, &a, 4);
	if (cfg->t1 != 0) {
		a = htonl(cfg->t1);
		o += opt(r + o, 58, &a, 4);
	}
	if (cfg->t2 != 0) {
		a = htonl(cfg->t2);
		o += opt(r + o, 59, &a, 4);
	}
	r[o++] = 255;
	/* RFC 2131 4.1: to ciaddr when the client has one, else
	 * broadcast. */
	if (ciaddr != 0)
		to.sin_addr.s_addr = ciaddr;
	return rump_sys_sendto(t, r, o, 0, (struct sockaddr *)&to,
	    sizeof(to)) != -1;
}

/*
 * A DHCP server on 10.0.0.1 (and a TCP echo server on port 7) that runs
 * until the file "done" appears: SRV_RENEW answers everything;
 * SRV_REBIND ignores requests that come unicast; SRV_EXPIRE answers
 * only until its first ACK, then nothing until the file "resume"
 * appears.  Fails (exit status) when it did not see what its mode is
 * about: unicast renewals; unicast and broadcast ones; a second
 * discovery and a release.
 */
static int
peer_lease_server(void *arg)
{
	const struct srv_cfg *cfg = arg;
	struct srv_seen seen = { 0, 0, 0, 0 };
	struct sockaddr_in sin;
	struct pollfd pfd[4];
	char ifname[16];
	uint8_t m[576], buf[512];
	int s, t, l, conn = -1, one = 1, error, acks = 0, drain = -1;
	ssize_t n;

	if ((error = shmif_setup("bus", "10.0.0.1", ifname)) != 0)
		return error;
	s = rump_sys_socket(AF_INET, SOCK_DGRAM, 0);
	t = rump_sys_socket(AF_INET, SOCK_DGRAM, 0);
	l = rump_sys_socket(AF_INET, SOCK_STREAM, 0);
	if (s == -1 || t == -1 || l == -1 ||
	    rump_sys_setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)) == -1 ||
	    rump_sys_setsockopt(t, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)) == -1 ||
	    rump_sys_setsockopt(t, SOL_SOCKET, SO_BROADCAST, &one,
	    sizeof(one)) == -1)
		return rt_errno();
	/* s hears broadcasts, t (bound to our address) unicast, and
	 * sends. */
	sin = sin_of("0.0.0.0", 67);
	if (rump_sys_bind(s, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		return rt_errno();
	sin = sin_of("10.0.0.1", 67);
	if (rump_sys_bind(t, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		return rt_errno();
	sin = sin_of("10.0.0.1", ECHO_PORT);
	if (rump_sys_bind(l, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    rump_sys_listen(l, 4) == -1)
		return rt_errno();
	/* Bounded: PEER_MAX_MS in 100 ms polls. */
	for (int round = 0; round < PEER_MAX_MS / 100; round++) {
		int nfd = 3;

		pfd[0].fd = s;
		pfd[1].fd = t;
		pfd[2].fd = l;
		if (conn != -1)
			pfd[nfd++].fd = conn;
		for (int i = 0; i < nfd; i++)
			pfd[i].events = POLLIN;
		if (rump_sys_poll(pfd, (unsigned long)nfd, 100) == -1)
			return rt_errno();
		if (pfd[2].revents & POLLIN) {
			if (conn != -1)
				rump_sys_close(conn);
			conn = rump_sys_accept(l, NULL, NULL);
		}
		if (nfd == 4 && (pfd[3].revents & (POLLIN | POLLHUP))) {
			n = rump_sys_recv(conn, buf, sizeof(buf), 0);
			if (n > 0)
				(void)rump_sys_send(conn, buf, (size_t)n, 0);
			else {
				rump_sys_close(conn);
				conn = -1;
			}
		}
		for (int i = 0; i < 2; i++) {
			bool unicast = i == 1, answer;
			uint32_t ciaddr;
			int type;

			if (!(pfd[i].revents & POLLIN))
				continue;
			n = rump_sys_recv(pfd[i].fd, m, sizeof(m), 0);
			if (n < 240 || m[0] != 1)
				continue;
			type = msgtype(m, (size_t)n);
			memcpy(&ciaddr, m + 12, 4);
			if (type == 7) {
				seen.release++;
				continue;
			}
			if (type == 1)
				seen.discover++;
			if (type == 3 && ciaddr != 0) {
				if (unicast)
					seen.uni++;
				else
					seen.bcast++;
			}
			if (type != 1 && type != 3)
				continue;
			switch (cfg->mode) {
			case SRV_REBIND:
				answer = !(type == 3 && unicast);
				break;
			case SRV_EXPIRE:
				answer = acks == 0 ||
				    access("resume", F_OK) == 0;
				break;
			default:
				answer = true;
			}
			if (!answer)
				continue;
			if (!srv_answer(t, cfg, m, (size_t)n, type))
				return rt_errno();
			if (type == 3)
				acks++;
		}
		/* After "done", a second more for what is on its way (the
		 * release comes just before). */
		if (drain < 0 && access("done", F_OK) == 0)
			drain = 10;
		if (drain >= 0 && (drain-- == 0 || (cfg->mode == SRV_EXPIRE &&
		    seen.release > 0)))
			break;
	}
	fprintf(stderr, "server: %d unicast, %d broadcast renewals, %d "
	    "discovers, %d releases\n", seen.uni, seen.bcast, seen.discover,
	    seen.release);
	switch (cfg->mode) {
	case SRV_RENEW:
		return seen.uni > 0 ? 0 : ENOMSG;
	case SRV_REBIND:
		return seen.uni > 0 && seen.bcast > 0 ? 0 : ENOMSG;
	case SRV_EXPIRE:
		return seen.discover >= 2 && seen.release > 0 ? 0 : ENOMSG;
	}
	return 0;
}

/* Waits (bounded, 50 ms steps) until pred(st) holds; false if it never
 * did within limit_ms. */
static bool
wait_status(const char *ifname, struct rump_dhcp_status *st,
    bool (*pred)(const struct rump_dhcp_status *, int), int arg,
    int limit_ms)
{
	for (int ms = 0; ms <= limit_ms; ms += 50) {
		ATF_REQUIRE_EQ(0, rump_netconfig_dhcp_status(ifname, st));
		if (pred(st, arg))
			return true;
		rt_sleep_ms(50);
	}
	return false;
}

static bool
renewed_n(const struct rump_dhcp_status *st, int n)
{
	return (int)st->renewed >= n;
}

static bool
rebound_n(const struct rump_dhcp_status *st, int n)
{
	return (int)st->rebound >= n;
}

static bool
expired_n(const struct rump_dhcp_status *st, int n)
{
	return (int)st->expired >= n && st->state == RUMP_DHCP_INIT;
}

static bool
bound_again(const struct rump_dhcp_status *st, int n)
{
	(void)n;
	return st->state == RUMP_DHCP_BOUND && st->lease.addr[0] != '\0';
}

/* Boots, makes the interface and takes a lease from the server. */
static void
lease_setup(char *ifname, struct rump_dhcp_lease *lease)
{
	boot();
	ATF_REQUIRE_EQ(0, rump_netconfig_ifcreate("shmif", "bus", ifname,
	    16));
	ATF_REQUIRE_EQ(ENOENT, rump_netconfig_dhcp_status(ifname,
	    &(struct rump_dhcp_status){ .state = 0 }));
	ATF_REQUIRE_EQ(0, rump_netconfig_ifup(ifname));
	ATF_REQUIRE_EQ(0, rump_netconfig_dhcp(ifname, 30000, lease));
	ATF_CHECK_STREQ(LEASE_ADDR, lease->addr);
	ATF_CHECK_STREQ("10.0.0.1", lease->router);
	ATF_CHECK_EQ(4, lease->lease_s);
}

static void
echo_check(int fd, char c)
{
	char r = 0;

	ATF_REQUIRE_EQ(1, rump_sys_send(fd, &c, 1, 0));
	ATF_REQUIRE_EQ(1, rump_sys_recv(fd, &r, 1, 0));
	ATF_CHECK_EQ(c, r);
}


ATF_TC(renew);
ATF_TC_HEAD(renew, tc)
{
	atf_tc_set_md_var(tc, "descr", "A 4 s lease with T1 1 s and T2 3 s "
	    "(options 58, 59) is renewed unicast again and again, past its "
	    "first end, while a TCP connection to the server stays up");
	atf_tc_set_md_var(tc, "timeout", "180");
}
ATF_TC_BODY(renew, tc)
{
	struct srv_cfg cfg = { SRV_RENEW, 4, 1, 3 };
	struct rump_dhcp_status st;
	struct rump_dhcp_lease lease;
	char ifname[16];
	long t0;
	pid_t pid;
	int fd;

	pid = peer_start(peer_lease_server, &cfg, true);
	lease_setup(ifname, &lease);
	t0 = now_ms();
	ATF_REQUIRE_EQ(0, rump_netconfig_dhcp_status(ifname, &st));
	ATF_CHECK_EQ(1, st.t1_s);
	ATF_CHECK_EQ(3, st.t2_s);
	ATF_CHECK(st.left_ms > 0 && st.left_ms <= 4000);
	ATF_CHECK_STREQ(LEASE_ADDR, st.lease.addr);
	fd = tcp_connect("10.0.0.1", ECHO_PORT);
	ATF_REQUIRE_MSG(fd != -1, "connect: %s", strerror(rt_errno()));
	echo_check(fd, 'a');
	/* Renewals until the first lease would long have ended. */
	ATF_REQUIRE_MSG(wait_status(ifname, &st, renewed_n, 5, 90000),
	    "renewed %u, rebound %u, expired %u, state %d", st.renewed,
	    st.rebound, st.expired, st.state);
	ATF_CHECK(now_ms() - t0 > 4000);
	ATF_CHECK_EQ(0, st.expired);
	ATF_CHECK_EQ(0, st.naks);
	ATF_CHECK_STREQ(LEASE_ADDR, st.lease.addr);
	ATF_CHECK(st.left_ms > 0 && st.left_ms <= 4000);
	ATF_CHECK(st.state == RUMP_DHCP_BOUND ||
	    st.state == RUMP_DHCP_RENEWING || st.state == RUMP_DHCP_REBINDING);
	/* The address and the route are still there: the connection
	 * carries on. */
	echo_check(fd, 'b');
	rump_sys_close(fd);
	peers_finish(&pid, 1);
}

ATF_TC(rebind);
ATF_TC_HEAD(rebind, tc)
{
	atf_tc_set_md_var(tc, "descr", "A 4 s lease (T1, T2 the defaults "
	    "2 s and 3 s) is rebound by broadcast when the server ignores "
	    "the unicast renewals");
	atf_tc_set_md_var(tc, "timeout", "180");
}
ATF_TC_BODY(rebind, tc)
{
	struct srv_cfg cfg = { SRV_REBIND, 4, 0, 0 };
	struct rump_dhcp_status st;
	struct rump_dhcp_lease lease;
	char ifname[16];
	pid_t pid;

	pid = peer_start(peer_lease_server, &cfg, true);
	lease_setup(ifname, &lease);
	ATF_REQUIRE_EQ(0, rump_netconfig_dhcp_status(ifname, &st));
	ATF_CHECK_EQ(2, st.t1_s);
	ATF_CHECK_EQ(3, st.t2_s);
	ATF_REQUIRE_MSG(wait_status(ifname, &st, rebound_n, 2, 90000),
	    "renewed %u, rebound %u, expired %u, state %d", st.renewed,
	    st.rebound, st.expired, st.state);
	ATF_CHECK_EQ(0, st.renewed);
	ATF_CHECK_EQ(0, st.expired);
	ATF_CHECK_STREQ(LEASE_ADDR, st.lease.addr);
	ATF_CHECK_EQ(0, ping_retry("10.0.0.1", 20, 56));
	peers_finish(&pid, 1);
}

ATF_TC(expire);
ATF_TC_HEAD(expire, tc)
{
	atf_tc_set_md_var(tc, "descr", "A 4 s lease that no server renews "
	    "ends: the address, its route and the default route go; "
	    "discovery finds the server once it answers again; a release "
	    "reaches the server and takes the address away");
	atf_tc_set_md_var(tc, "timeout", "180");
}
ATF_TC_BODY(expire, tc)
{
	struct srv_cfg cfg = { SRV_EXPIRE, 4, 0, 0 };
	struct rump_dhcp_status st;
	struct rump_dhcp_lease lease;
	char ifname[16];
	FILE *f;
	pid_t pid;

	pid = peer_start(peer_lease_server, &cfg, true);
	lease_setup(ifname, &lease);
	ATF_CHECK_EQ(0, ping_retry("10.0.0.1", 20, 56));
	ATF_REQUIRE_MSG(wait_status(ifname, &st, expired_n, 1, 90000),
	    "renewed %u, rebound %u, expired %u, state %d", st.renewed,
	    st.rebound, st.expired, st.state);
	ATF_CHECK_STREQ("", st.lease.addr);
	ATF_CHECK_EQ(0, st.left_ms);
	/* Gone: the address, the connected route, the default route. */
	ATF_CHECK_EQ(EADDRNOTAVAIL, rump_netconfig_ipv4_addr_del(ifname,
	    LEASE_ADDR));
	ATF_CHECK_EQ(ESRCH, rump_netconfig_ipv4_route_del("0.0.0.0", 0));
	ATF_CHECK_EQ(ESRCH, rump_netconfig_ipv4_route_del("10.0.0.0", 24));
	ATF_CHECK_EQ(ENETUNREACH, rump_netconfig_ping4("10.0.0.1", 1, 56,
	    500, NULL));
	/* The server is back: discovery (running all along) gets the
	 * address again. */
	f = fopen("resume", "w");
	ATF_REQUIRE(f != NULL);
	fclose(f);
	ATF_REQUIRE_MSG(wait_status(ifname, &st, bound_again, 0, 90000),
	    "state %d", st.state);
	ATF_CHECK_STREQ(LEASE_ADDR, st.lease.addr);
	ATF_CHECK_EQ(1, st.expired);
	ATF_CHECK_EQ(0, ping_retry("10.0.0.1", 20, 56));
	/* Released: gone again, and the client with it. */
	ATF_CHECK_EQ(0, rump_netconfig_dhcp_release(ifname));
	ATF_CHECK_EQ(ENOENT, rump_netconfig_dhcp_status(ifname, &st));
	ATF_CHECK_EQ(ENOENT, rump_netconfig_dhcp_release(ifname));
	ATF_CHECK_EQ(EADDRNOTAVAIL, rump_netconfig_ipv4_addr_del(ifname,
	    LEASE_ADDR));
	ATF_CHECK_EQ(ESRCH, rump_netconfig_ipv4_route_del("0.0.0.0", 0));
	ATF_CHECK_EQ(ENXIO, rump_netconfig_dhcp_status("nosuch0", &st));
	peers_finish(&pid, 1);
}

/* --- Against busybox udhcpd ---------------------------------------------- */

#define TAPNAME		"vd0"

static void
sh(const char *cmd)
{
	int rv = system(cmd);

	ATF_REQUIRE_MSG(rv == 0, "%s: status %d", cmd, rv);
}

ATF_TC(udhcpd);
ATF_TC_HEAD(udhcpd, tc)
{
	atf_tc_set_md_var(tc, "descr", "DHCP lease from busybox udhcpd over "
	    "a TAP device in a network namespace; then ping both ways");
	atf_tc_set_md_var(tc, "timeout", "120");
}
ATF_TC_BODY(udhcpd, tc)
{
	struct rump_dhcp_lease lease;
	struct ifreq ifr;
	char ifname[16], cmd[256];
	FILE *f;
	pid_t pid;
	int fd, status;

	if (geteuid() != 0)
		atf_tc_skip("needs root (a network namespace and a TAP device)");
	if (access("/dev/net/tun", R_OK | W_OK) != 0)
		atf_tc_skip("no /dev/net/tun: %s", strerror(errno));
	if (system("busybox udhcpd --help >/dev/null 2>&1") != 0 &&
	    system("busybox 2>/dev/null | grep -qw udhcpd") != 0)
		atf_tc_skip("no busybox with udhcpd (Debian: busybox-static)");
	if (system("command -v ip >/dev/null && command -v ping >/dev/null")
	    != 0)
		atf_tc_skip("no ip or ping (Debian: iproute2, iputils-ping)");
	if (unshare(CLONE_NEWNET) != 0)
		atf_tc_skip("cannot make a network namespace: %s",
		    strerror(errno));
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	ATF_REQUIRE(fd != -1);
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, TAPNAME);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	ATF_REQUIRE(ioctl(fd, TUNSETIFF, &ifr) == 0);
	ATF_REQUIRE(ioctl(fd, TUNSETPERSIST, 1) == 0);
	close(fd);
	sh("ip link set lo up && ip addr add 10.77.0.1/24 dev " TAPNAME
	    " && ip link set " TAPNAME " up");

	f = fopen("udhcpd.conf", "w");
	ATF_REQUIRE(f != NULL);
	fprintf(f, "start 10.77.0.100\nend 10.77.0.110\ninterface " TAPNAME
	    "\nlease_file udhcpd.leases\npidfile udhcpd.pid\n"
	    "option subnet 255.255.255.0\noption router 10.77.0.1\n"
	    "option dns 10.77.0.53\noption lease 600\n");
	fclose(f);
	f = fopen("udhcpd.leases", "w");
	ATF_REQUIRE(f != NULL);
	fclose(f);
	/* udhcpd in the foreground, as our child: it dies with the test. */
	pid = fork();
	ATF_REQUIRE(pid != -1);
	if (pid == 0) {
		execlp("busybox", "busybox", "udhcpd", "-f", "udhcpd.conf",
		    (char *)NULL);
		_exit(127);
	}

	boot();
	ATF_REQUIRE_EQ(0, rump_netconfig_ifcreate("virtif", TAPNAME, ifname,
	    sizeof(ifname)));
	ATF_REQUIRE_EQ(0, rump_netconfig_ifup(ifname));
	ATF_REQUIRE_EQ(0, rump_netconfig_dhcp(ifname, 30000, &lease));
	ATF_CHECK_MSG(strncmp(lease.addr, "10.77.0.1", 9) == 0 &&
	    strlen(lease.addr) == 11, "leased %s", lease.addr);
	ATF_CHECK_EQ(24, lease.prefixlen);
	ATF_CHECK_STREQ("10.77.0.1", lease.router);
	ATF_CHECK_STREQ("10.77.0.1", lease.server);
	ATF_CHECK_STREQ("10.77.0.53", lease.dns);
	ATF_CHECK_EQ(600, lease.lease_s);
	/* strata -> Linux, then Linux -> strata at the leased address
	 * (ping runs in a child: a blocking host call in this process
	 * would stop a fiber kernel). */
	ATF_CHECK_EQ(0, ping_retry("10.77.0.1", 20, 56));
	snprintf(cmd, sizeof(cmd), "ping -c 2 -W 2 %s >/dev/null",
	    lease.addr);
	{
		pid_t p = fork();

		ATF_REQUIRE(p != -1);
		if (p == 0)
			_exit(system(cmd) == 0 ? 0 : 1);
		for (int ms = 0; waitpid(p, &status, WNOHANG) == 0 &&
		    ms < 20000; ms += 20)
			rt_sleep_ms(20);
		ATF_CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "Linux cannot ping %s", lease.addr);
	}
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, shmif_server);
	ATF_TP_ADD_TC(tp, no_server);
	ATF_TP_ADD_TC(tp, renew);
	ATF_TP_ADD_TC(tp, rebind);
	ATF_TP_ADD_TC(tp, expire);
	ATF_TP_ADD_TC(tp, udhcpd);
	return atf_no_error();
}
