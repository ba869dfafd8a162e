/*
 * t_net_shmif6.c: IPv6 between kernels in separate processes on a
 * shared-memory bus (shmif): link-local addresses made from the hardware
 * address, neighbour discovery, ping6 both ways over link-local and
 * global addresses (fragmented too), TCP byte-exact both ways, UDP,
 * unreachable neighbours (EHOSTUNREACH after ND gives up, as Linux), and
 * duplicate address detection.
 *
 * Each peer is a child process with its own kernel, forked before any
 * kernel boots (h_net.h).  Addresses that only exist at run time (the
 * link-local ones) travel through files in the test's directory.
 */
#include <sys/time.h>

#include <time.h>

#include "h_net.h"

#define PEER_GLOBAL	"2001:db8::2"
#define MY_GLOBAL	"2001:db8::1"

static struct sockaddr_in6
sin6_of(const char *addr, int port, uint32_t scope)
{
	struct sockaddr_in6 sin6;

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons((uint16_t)port);
	sin6.sin6_scope_id = scope;
	ATF_REQUIRE(inet_pton(AF_INET6, addr, &sin6.sin6_addr) == 1);
	return sin6;
}

/* Writes s to file name atomically (rename), for the other process. */
static int
put_file(const char *name, const char *s)
{
	char tmp[64];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", name);
	if ((f = fopen(tmp, "w")) == NULL)
		return errno;
	fputs(s, f);
	fclose(f);
	return rename(tmp, name) == 0 ? 0 : errno;
}

/* Waits for file name and reads it into buf; 0 or ETIMEDOUT. */
static int
get_file(const char *name, char *buf, size_t len)
{
	FILE *f;

	for (int ms = 0; ms < PEER_MAX_MS; ms += 20) {
		if ((f = fopen(name, "r")) != NULL) {
			size_t n = fread(buf, 1, len - 1, f);

			fclose(f);
			buf[n] = '\0';
			return 0;
		}
		rt_sleep_ms(20);
	}
	return ETIMEDOUT;
}

/* A shmif on "bus" with addr/64 (NULL: link-local only), up, and the
 * link-local address published in file llfile. */
static int
shmif6_setup(const char *addr, char *ifname, const char *llfile)
{
	char ll[64];
	int error;

	if ((error = rump_netconfig_ifcreate("shmif", "bus", ifname, 16)) ||
	    (addr != NULL &&
	    (error = rump_netconfig_ipv6_addr_add(ifname, addr, 64))) ||
	    (error = rump_netconfig_ifup(ifname)) ||
	    (error = rump_netconfig_ipv6_linklocal(ifname, ll, sizeof(ll))))
		return error;
	return llfile != NULL ? put_file(llfile, ll) : 0;
}

/* Pings until an answer (DAD, ND, the peer booting). */
static int
ping6_retry(const char *addr, int tries, size_t len)
{
	int error = ETIMEDOUT;

	for (int i = 0; i < tries; i++) {
		error = rump_netconfig_ping6(addr, i + 1, len, 500, NULL);
		if (error == 0)
			return 0;
		rt_sleep_ms(200);
	}
	return error;
}

/* --- ping6 both ways ------------------------------------------------------ */

/* Host monotonic clock in ms (a plain host call: fine on fiber too). */
static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
peer_ping6(void *arg)
{
	char ifname[16], ll[64], scoped[96];
	int error;

	(void)arg;
	if ((error = shmif6_setup(PEER_GLOBAL, ifname, "ll.peer")) != 0 ||
	    (error = get_file("ll.me", ll, sizeof(ll))) != 0)
		return error;
	snprintf(scoped, sizeof(scoped), "%s%%%s", ll, ifname);
	if ((error = ping6_retry(MY_GLOBAL, 40, 56)) != 0)
		return error;
	return ping6_retry(scoped, 40, 56);
}

ATF_TC_WITHOUT_HEAD(ping6_both_ways);
ATF_TC_BODY(ping6_both_ways, tc)
{
	char ifname[16], ll[64], scoped[96], mine[64];
	uint8_t hw[6];
	int64_t t0;
	pid_t pid;
	int state;

	pid = peer_start(peer_ping6, NULL, true);
	boot();
	t0 = mono_ms();
	ATF_REQUIRE_EQ(0, shmif6_setup(MY_GLOBAL, ifname, "ll.me"));
	/* The link-local address is the modified EUI-64 of the MAC. */
	ATF_REQUIRE_EQ(0, rump_netconfig_ifhwaddr(ifname, hw));
	ATF_REQUIRE_EQ(0, rump_netconfig_ipv6_linklocal(ifname, mine,
	    sizeof(mine)));
	{
		char want[64];
		struct in6_addr a, b;

		snprintf(want, sizeof(want), "fe80::%x:%x:%x:%x",
		    (hw[0] ^ 2) << 8 | hw[1], hw[2] << 8 | 0xff,
		    0xfe << 8 | hw[3], hw[4] << 8 | hw[5]);
		ATF_REQUIRE(inet_pton(AF_INET6, want, &a) == 1);
		ATF_REQUIRE(inet_pton(AF_INET6, mine, &b) == 1);
		ATF_CHECK_MSG(memcmp(&a, &b, 16) == 0, "%s vs %s", want, mine);
	}
	/* Tentative while DAD runs (about 1 s), usable after.  A loaded
	 * host may have let DAD finish already: then only USABLE is right. */
	state = rump_netconfig_ipv6_addr_state(ifname, MY_GLOBAL);
	if (mono_ms() - t0 < 500)
		ATF_CHECK_EQ(RUMP_IPV6_ADDR_TENTATIVE, state);
	else
		ATF_CHECK(state == RUMP_IPV6_ADDR_TENTATIVE ||
		    state == RUMP_IPV6_ADDR_USABLE);
	ATF_REQUIRE_EQ(0, get_file("ll.peer", ll, sizeof(ll)));
	snprintf(scoped, sizeof(scoped), "%s%%%s", ll, ifname);
	ATF_REQUIRE_EQ(0, ping6_retry(PEER_GLOBAL, 40, 56));
	/* DAD ends (the ping may have gone out from our link-local address
	 * before it did: wait_addr6_usable()). */
	ATF_CHECK_EQ(RUMP_IPV6_ADDR_USABLE, wait_addr6_usable(ifname,
	    MY_GLOBAL));
	ATF_CHECK_EQ(0, ping6_retry(scoped, 20, 56));
	for (int i = 0; i < 10; i++)
		ATF_CHECK_EQ(0, rump_netconfig_ping6(PEER_GLOBAL, 100 + i, 56,
		    2000, NULL));
	/* Fragmented both ways: 8000 bytes over a 1500 MTU. */
	ATF_CHECK_EQ(0, rump_netconfig_ping6(PEER_GLOBAL, 200, 8000, 2000,
	    NULL));
	ATF_CHECK_EQ(0, rump_netconfig_ping6(scoped, 201, 3000, 2000, NULL));
	peers_finish(&pid, 1);
}

/* --- TCP and UDP ---------------------------------------------------------- */

#define TCP6_BYTES	(16u << 20)
/* How long either side waits for a datagram: a generous bound (a wire
 * that loses nothing, but maybe a slow host), so that a lost one fails
 * the case instead of hanging it. */
#define UDP_WAIT_S	30

/* The peer: a TCP server that echoes a pattern back and forth, and a UDP
 * echo service, on its global address. */
static int
peer_serve(void *arg)
{
	struct sockaddr_in6 sin6;
	struct timeval tv = { UDP_WAIT_S, 0 };
	char ifname[16], buf[2048];
	int l, s, u, one = 1, error;
	ssize_t n;

	(void)arg;
	if ((error = shmif6_setup(PEER_GLOBAL, ifname, "ll.peer")) != 0)
		return error;
	/* Replies to the client's global address come from ours only once
	 * it is usable (wait_addr6_usable()). */
	if (wait_addr6_usable(ifname, PEER_GLOBAL) != RUMP_IPV6_ADDR_USABLE)
		return EADDRNOTAVAIL;
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(8000);
	/* Bound to the wildcard: works for both of its addresses. */
	u = (int)rump_sys_socket(AF_INET6, SOCK_DGRAM, 0);
	l = (int)rump_sys_socket(AF_INET6, SOCK_STREAM, 0);
	if (u < 0 || l < 0 ||
	    rump_sys_setsockopt(u, SOL_SOCKET, SO_RCVTIMEO, &tv,
	    sizeof(tv)) != 0 ||
	    rump_sys_setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)) != 0 ||
	    rump_sys_bind(u, (struct sockaddr *)&sin6, sizeof(sin6)) != 0 ||
	    rump_sys_bind(l, (struct sockaddr *)&sin6, sizeof(sin6)) != 0 ||
	    rump_sys_listen(l, 5) != 0)
		return rt_errno();
	if ((error = put_file("ready", "1")) != 0)
		return error;
	/* UDP: echo 10 datagrams. */
	for (int i = 0; i < 10; i++) {
		struct sockaddr_storage from;
		socklen_t flen = sizeof(from);

		n = rump_sys_recvfrom(u, buf, sizeof(buf), 0,
		    (struct sockaddr *)&from, &flen);
		if (n < 0 || rump_sys_sendto(u, buf, (size_t)n, 0,
		    (struct sockaddr *)&from, flen) != n)
			return rt_errno();
	}
	/* TCP over the global address: receive, then send. */
	if ((s = (int)rump_sys_accept(l, NULL, NULL)) < 0)
		return rt_errno();
	if ((error = recv_pattern(s, 1, TCP6_BYTES)) != 0 ||
	    (error = send_pattern(s, 2, TCP6_BYTES)) != 0)
		return error;
	rump_sys_close(s);
	/* And once over the link-local address. */
	if ((s = (int)rump_sys_accept(l, NULL, NULL)) < 0)
		return rt_errno();
	if ((error = recv_pattern(s, 3, 1u << 20)) != 0)
		return error;
	rump_sys_close(s);
	rump_sys_close(l);
	rump_sys_close(u);
	return 0;
}

ATF_TC_WITHOUT_HEAD(tcp_udp);
ATF_TC_BODY(tcp_udp, tc)
{
	struct sockaddr_in6 sin6;
	struct sockaddr_storage ss;
	struct rump_ifstats st;
	struct timeval tv = { UDP_WAIT_S, 0 };
	char ifname[16], ll[64], buf[2048], rbuf[2048];
	socklen_t len;
	int c, u;
	pid_t pid;

	pid = peer_start(peer_serve, NULL, true);
	boot();
	ATF_REQUIRE_EQ(0, shmif6_setup(MY_GLOBAL, ifname, NULL));
	ATF_REQUIRE_EQ(0, get_file("ready", buf, sizeof(buf)));
	/* Our global address must be the source of what follows: the
	 * echoes come back from the peer's global address only then, and
	 * a connected UDP socket takes nothing from another one (under
	 * valgrind the case hung in recv() when the connect() came before
	 * our DAD had finished). */
	ATF_REQUIRE_EQ(RUMP_IPV6_ADDR_USABLE, wait_addr6_usable(ifname,
	    MY_GLOBAL));
	ATF_REQUIRE_EQ(0, ping6_retry(PEER_GLOBAL, 40, 8));

	/* UDP: 10 datagrams of 1400 bytes echoed (shmif loses none; the
	 * receive timeout turns a lost one into a failure, not a hang). */
	u = (int)RL(rump_sys_socket(AF_INET6, SOCK_DGRAM, 0));
	RL(rump_sys_setsockopt(u, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	sin6 = sin6_of(PEER_GLOBAL, 8000, 0);
	RL(rump_sys_connect(u, (struct sockaddr *)&sin6, sizeof(sin6)));
	for (int i = 0; i < 10; i++) {
		memset(buf, 'a' + i, 1400);
		ATF_REQUIRE_EQ(1400, rump_sys_send(u, buf, 1400, 0));
		ATF_REQUIRE_EQ_MSG(1400, rump_sys_recv(u, rbuf, sizeof(rbuf),
		    0), "echo %d: %s", i, strerror(rt_errno()));
		ATF_CHECK(memcmp(buf, rbuf, 1400) == 0);
	}
	len = sizeof(ss);
	RL(rump_sys_getsockname(u, (struct sockaddr *)&ss, &len));
	ATF_CHECK_EQ(AF_INET6, ((struct sockaddr_in6 *)&ss)->sin6_family);
	inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, buf,
	    sizeof(buf));
	ATF_CHECK_STREQ(MY_GLOBAL, buf);
	RL(rump_sys_close(u));

	/* TCP, 16 MiB each way, byte-exact. */
	c = (int)RL(rump_sys_socket(AF_INET6, SOCK_STREAM, 0));
	RL(rump_sys_connect(c, (struct sockaddr *)&sin6, sizeof(sin6)));
	ATF_CHECK_EQ(0, send_pattern(c, 1, TCP6_BYTES));
	RL(rump_sys_shutdown(c, SHUT_WR));
	ATF_CHECK_EQ(0, recv_pattern(c, 2, TCP6_BYTES));
	RL(rump_sys_close(c));

	/* Over the link-local address, with its scope. */
	ATF_REQUIRE_EQ(0, get_file("ll.peer", ll, sizeof(ll)));
	ATF_REQUIRE_EQ(0, rump_netconfig_ifstats(ifname, &st));
	sin6 = sin6_of(ll, 8000, (uint32_t)st.index);
	c = (int)RL(rump_sys_socket(AF_INET6, SOCK_STREAM, 0));
	RL(rump_sys_connect(c, (struct sockaddr *)&sin6, sizeof(sin6)));
	len = sizeof(ss);
	RL(rump_sys_getpeername(c, (struct sockaddr *)&ss, &len));
	ATF_CHECK_EQ((uint32_t)st.index,
	    ((struct sockaddr_in6 *)&ss)->sin6_scope_id);
	ATF_CHECK_EQ(0, send_pattern(c, 3, 1u << 20));
	RL(rump_sys_close(c));
	peers_finish(&pid, 1);
}

/* --- Unreachable neighbours ------------------------------------------------ */

ATF_TC_WITHOUT_HEAD(nd_unreachable);
ATF_TC_BODY(nd_unreachable, tc)
{
	struct sockaddr_in6 sin6 = sin6_of("2001:db8::99", 9, 0);
	char ifname[16], buf[8];
	uint64_t t0, t1;
	int c, u;

	boot();
	ATF_REQUIRE_EQ(0, shmif6_setup(MY_GLOBAL, ifname, NULL));
	rt_sleep_ms(1300);	/* DAD */
	ATF_REQUIRE_EQ(RUMP_IPV6_ADDR_USABLE,
	    rump_netconfig_ipv6_addr_state(ifname, MY_GLOBAL));
	/* Nobody has 2001:db8::99: three solicitations, then the waiting
	 * packets fail and their senders hear EHOSTUNREACH. */
	ATF_CHECK_EQ(ETIMEDOUT, rump_netconfig_ping6("2001:db8::99", 1, 8,
	    500, NULL));
	ATF_CHECK_EQ(EHOSTUNREACH, rump_netconfig_ping6("2001:db8::98", 2,
	    8, 6000, NULL));
	t0 = (uint64_t)time(NULL);
	c = (int)RL(rump_sys_socket(AF_INET6, SOCK_STREAM, 0));
	ATF_CHECK_EQ(-1, rump_sys_connect(c, (struct sockaddr *)&sin6,
	    sizeof(sin6)));
	ATF_CHECK_EQ(EHOSTUNREACH, rt_errno());
	t1 = (uint64_t)time(NULL);
	ATF_CHECK_MSG(t1 - t0 >= 2 && t1 - t0 <= 6, "took %d s",
	    (int)(t1 - t0));
	RL(rump_sys_close(c));
	/* A connected UDP socket learns it from its next call. */
	u = (int)RL(rump_sys_socket(AF_INET6, SOCK_DGRAM, 0));
	sin6 = sin6_of("2001:db8::97", 9, 0);
	RL(rump_sys_connect(u, (struct sockaddr *)&sin6, sizeof(sin6)));
	ATF_REQUIRE_EQ(1, rump_sys_send(u, "x", 1, 0));
	rt_sleep_ms(4000);
	ATF_CHECK_EQ(-1, rump_sys_recv(u, buf, sizeof(buf), MSG_DONTWAIT));
	ATF_CHECK_EQ(EHOSTUNREACH, rt_errno());
	RL(rump_sys_close(u));
}

/* --- Duplicate address detection ------------------------------------------ */

static int
peer_owner(void *arg)
{
	char ifname[16];
	int error;

	(void)arg;
	if ((error = shmif6_setup("2001:db8::7", ifname, NULL)) != 0)
		return error;
	for (int i = 0; i < 100 && rump_netconfig_ipv6_addr_state(ifname,
	    "2001:db8::7") != RUMP_IPV6_ADDR_USABLE; i++)
		rt_sleep_ms(50);
	if (rump_netconfig_ipv6_addr_state(ifname, "2001:db8::7") !=
	    RUMP_IPV6_ADDR_USABLE)
		return EADDRNOTAVAIL;
	return put_file("ready", "1");
}

ATF_TC_WITHOUT_HEAD(dad_duplicate);
ATF_TC_BODY(dad_duplicate, tc)
{
	struct sockaddr_in6 sin6 = sin6_of("2001:db8::7", 0, 0);
	char ifname[16], buf[8];
	int fd;
	pid_t pid;

	pid = peer_start(peer_owner, NULL, true);
	boot();
	ATF_REQUIRE_EQ(0, shmif6_setup(NULL, ifname, NULL));
	ATF_REQUIRE_EQ(0, get_file("ready", buf, sizeof(buf)));
	/* The peer has it already: our probe is answered. */
	ATF_REQUIRE_EQ(0, rump_netconfig_ipv6_addr_add(ifname, "2001:db8::7",
	    64));
	rt_sleep_ms(1500);
	ATF_CHECK_EQ(RUMP_IPV6_ADDR_DUPLICATED,
	    rump_netconfig_ipv6_addr_state(ifname, "2001:db8::7"));
	fd = (int)RL(rump_sys_socket(AF_INET6, SOCK_DGRAM, 0));
	ATF_CHECK_EQ(-1, rump_sys_bind(fd, (struct sockaddr *)&sin6,
	    sizeof(sin6)));
	ATF_CHECK_EQ(EADDRNOTAVAIL, rt_errno());
	RL(rump_sys_close(fd));
	/* And it still answers there, not us. */
	ATF_CHECK_EQ(0, ping6_retry("2001:db8::7", 20, 8));
	peers_finish(&pid, 1);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, ping6_both_ways);
	ATF_TP_ADD_TC(tp, tcp_udp);
	ATF_TP_ADD_TC(tp, nd_unreachable);
	ATF_TP_ADD_TC(tp, dad_duplicate);
	return atf_no_error();
}
