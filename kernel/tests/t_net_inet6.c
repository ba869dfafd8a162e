/*
 * t_net_inet6.c: IPv6 in one kernel, over loopback: ::1, ping6, UDP and
 * TCP over IPv6, dual-stack sockets (v4-mapped peers) and IPV6_V6ONLY as
 * Linux has them, address errors, and the configuration API.
 */
#include "h_net.h"

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
check_sin6(const struct sockaddr_storage *ss, socklen_t len,
    const char *addr, int port)
{
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
	char buf[INET6_ADDRSTRLEN];

	ATF_REQUIRE_EQ(sizeof(struct sockaddr_in6), len);
	ATF_REQUIRE_EQ(AF_INET6, sin6->sin6_family);
	inet_ntop(AF_INET6, &sin6->sin6_addr, buf, sizeof(buf));
	ATF_CHECK_STREQ(addr, buf);
	if (port >= 0)
		ATF_CHECK_EQ(port, ntohs(sin6->sin6_port));
}

ATF_TC_WITHOUT_HEAD(loopback_ping6);
ATF_TC_BODY(loopback_ping6, tc)
{
	uint64_t rtt;

	boot();
	{ int e = rump_netconfig_ping6("::1", 1, 56, 2000, &rtt); ATF_CHECK_EQ_MSG(0, e, "%d", e); }
	/* As big as lo carries in one packet. */
	ATF_CHECK_EQ(0, rump_netconfig_ping6("::1", 2, 65000, 2000, NULL));
	ATF_CHECK_EQ(EINVAL, rump_netconfig_ping6("::1::", 3, 8, 100, NULL));
	ATF_CHECK_EQ(ENETUNREACH, rump_netconfig_ping6("2001:db8::1", 4, 8,
	    100, NULL));
	ATF_CHECK_EQ(RUMP_IPV6_ADDR_USABLE,
	    rump_netconfig_ipv6_addr_state("lo", "::1"));
}

ATF_TC_WITHOUT_HEAD(udp6_loopback);
ATF_TC_BODY(udp6_loopback, tc)
{
	struct sockaddr_in6 sin6 = sin6_of("::1", 7001);
	struct sockaddr_storage ss;
	socklen_t len;
	char buf[2000];
	int a, b;

	boot();
	a = (int)RL(rump_sys_socket(AF_INET6, SOCK_DGRAM, 0));
	b = (int)RL(rump_sys_socket(AF_INET6, SOCK_DGRAM, 0));
	RL(rump_sys_bind(a, (struct sockaddr *)&sin6, sizeof(sin6)));
	len = sizeof(ss);
	RL(rump_sys_getsockname(a, (struct sockaddr *)&ss, &len));
	check_sin6(&ss, len, "::1", 7001);
	for (int i = 0; i < (int)sizeof(buf); i++)
		buf[i] = (char)i;
	ATF_REQUIRE_EQ(1500, rump_sys_sendto(b, buf, 1500, 0,
	    (struct sockaddr *)&sin6, sizeof(sin6)));
	memset(buf, 0, sizeof(buf));
	len = sizeof(ss);
	ATF_REQUIRE_EQ(1500, rump_sys_recvfrom(a, buf, sizeof(buf), 0,
	    (struct sockaddr *)&ss, &len));
	for (int i = 0; i < 1500; i++)
		ATF_REQUIRE_EQ((char)i, buf[i]);
	check_sin6(&ss, len, "::1", -1);
	/* Answer the sender at the address it came from. */
	ATF_REQUIRE_EQ(3, rump_sys_sendto(a, "abc", 3, 0,
	    (struct sockaddr *)&ss, len));
	ATF_REQUIRE_EQ(3, rump_sys_recv(b, buf, sizeof(buf), 0));
	ATF_CHECK(memcmp(buf, "abc", 3) == 0);
	/* Connected: no port there gives ECONNREFUSED (ICMPv6). */
	sin6.sin6_port = htons(7999);
	RL(rump_sys_connect(b, (struct sockaddr *)&sin6, sizeof(sin6)));
	ATF_REQUIRE_EQ(1, rump_sys_send(b, "x", 1, 0));
	rt_sleep_ms(100);
	ATF_CHECK_EQ(-1, rump_sys_recv(b, buf, 1, MSG_DONTWAIT));
	ATF_CHECK_EQ(ECONNREFUSED, rt_errno());
	len = sizeof(ss);
	RL(rump_sys_getpeername(b, (struct sockaddr *)&ss, &len));
	check_sin6(&ss, len, "::1", 7999);
	RL(rump_sys_close(a));
	RL(rump_sys_close(b));
}

static void *
tcp6_sender(void *arg)
{
	int fd = *(int *)arg;

	ATF_CHECK_EQ(0, send_pattern(fd, 6, 8u << 20));
	RL(rump_sys_shutdown(fd, SHUT_WR));
	return NULL;
}

ATF_TC_WITHOUT_HEAD(tcp6_loopback);
ATF_TC_BODY(tcp6_loopback, tc)
{
	struct sockaddr_in6 sin6 = sin6_of("::1", 7002);
	struct sockaddr_storage ss;
	socklen_t len;
	void *t;
	int l, c, s, one = 1;

	boot();
	l = (int)RL(rump_sys_socket(AF_INET6, SOCK_STREAM, 0));
	RL(rump_sys_setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)));
	RL(rump_sys_bind(l, (struct sockaddr *)&sin6, sizeof(sin6)));
	RL(rump_sys_listen(l, 5));
	c = (int)RL(rump_sys_socket(AF_INET6, SOCK_STREAM, 0));
	RL(rump_sys_connect(c, (struct sockaddr *)&sin6, sizeof(sin6)));
	len = sizeof(ss);
	s = (int)RL(rump_sys_accept(l, (struct sockaddr *)&ss, &len));
	check_sin6(&ss, len, "::1", -1);
	len = sizeof(ss);
	RL(rump_sys_getpeername(c, (struct sockaddr *)&ss, &len));
	check_sin6(&ss, len, "::1", 7002);
	/* 8 MiB, checked byte by byte. */
	t = rt_thread_start(tcp6_sender, &c, "sender");
	ATF_CHECK_EQ(0, recv_pattern(s, 6, 8u << 20));
	rt_thread_join(t);
	RL(rump_sys_close(c));
	RL(rump_sys_close(s));
	/* Nobody listening: refused. */
	sin6.sin6_port = htons(7998);
	c = (int)RL(rump_sys_socket(AF_INET6, SOCK_STREAM, 0));
	ATF_CHECK_EQ(-1, rump_sys_connect(c, (struct sockaddr *)&sin6,
	    sizeof(sin6)));
	ATF_CHECK_EQ(ECONNREFUSED, rt_errno());
	RL(rump_sys_close(c));
	RL(rump_sys_close(l));
}

/* A dual-stack listener takes IPv4 connections, shown v4-mapped. */
ATF_TC_WITHOUT_HEAD(dualstack_tcp);
ATF_TC_BODY(dualstack_tcp, tc)
{
	struct sockaddr_in6 any = sin6_of("::", 7003);
	struct sockaddr_in sin = sin_of("127.0.0.1", 7003);
	struct sockaddr_storage ss;
	socklen_t len;
	char c1;
	int l, c, s, v;

	boot();
	l = (int)RL(rump_sys_socket(AF_INET6, SOCK_STREAM, 0));
	len = sizeof(v);
	RL(rump_sys_getsockopt(l, SOL_IPV6, IPV6_V6ONLY, &v, &len));
	ATF_CHECK_EQ(0, v);
	RL(rump_sys_bind(l, (struct sockaddr *)&any, sizeof(any)));
	RL(rump_sys_listen(l, 5));
	/* Bound: V6ONLY can no longer change. */
	v = 1;
	ATF_CHECK_EQ(-1, rump_sys_setsockopt(l, SOL_IPV6, IPV6_V6ONLY, &v,
	    sizeof(v)));
	ATF_CHECK_EQ(EINVAL, rt_errno());
	/* The IPv4 wildcard on the same port is taken by it. */
	c = (int)RL(rump_sys_socket(AF_INET, SOCK_STREAM, 0));
	ATF_CHECK_EQ(-1, rump_sys_bind(c, (struct sockaddr *)&sin,
	    sizeof(sin)));
	ATF_CHECK_EQ(EADDRINUSE, rt_errno());
	RL(rump_sys_connect(c, (struct sockaddr *)&sin, sizeof(sin)));
	len = sizeof(ss);
	s = (int)RL(rump_sys_accept(l, (struct sockaddr *)&ss, &len));
	check_sin6(&ss, len, "::ffff:127.0.0.1", -1);
	len = sizeof(ss);
	RL(rump_sys_getsockname(s, (struct sockaddr *)&ss, &len));
	check_sin6(&ss, len, "::ffff:127.0.0.1", 7003);
	ATF_REQUIRE_EQ(1, rump_sys_send(c, "q", 1, 0));
	ATF_REQUIRE_EQ(1, rump_sys_recv(s, &c1, 1, 0));
	ATF_CHECK_EQ('q', c1);
	RL(rump_sys_close(s));
	RL(rump_sys_close(c));
	/* A v6 socket connecting to a v4-mapped address speaks IPv4. */
	c = (int)RL(rump_sys_socket(AF_INET6, SOCK_STREAM, 0));
	any = sin6_of("::ffff:127.0.0.1", 7003);
	RL(rump_sys_connect(c, (struct sockaddr *)&any, sizeof(any)));
	len = sizeof(ss);
	RL(rump_sys_getsockname(c, (struct sockaddr *)&ss, &len));
	check_sin6(&ss, len, "::ffff:127.0.0.1", -1);
	s = (int)RL(rump_sys_accept(l, NULL, NULL));
	RL(rump_sys_close(s));
	RL(rump_sys_close(c));
	RL(rump_sys_close(l));
}

ATF_TC_WITHOUT_HEAD(v6only);
ATF_TC_BODY(v6only, tc)
{
	struct sockaddr_in6 any = sin6_of("::", 7004);
	struct sockaddr_in sin = sin_of("127.0.0.1", 7004);
	struct sockaddr_in6 mapped = sin6_of("::ffff:127.0.0.1", 7004);
	int l, l4, c, u, v = 1;

	boot();
	l = (int)RL(rump_sys_socket(AF_INET6, SOCK_STREAM, 0));
	RL(rump_sys_setsockopt(l, SOL_IPV6, IPV6_V6ONLY, &v, sizeof(v)));
	/* A V6ONLY socket has no IPv4 addresses. */
	ATF_CHECK_EQ(-1, rump_sys_bind(l, (struct sockaddr *)&mapped,
	    sizeof(mapped)));
	ATF_CHECK_EQ(EINVAL, rt_errno());
	RL(rump_sys_bind(l, (struct sockaddr *)&any, sizeof(any)));
	RL(rump_sys_listen(l, 5));
	/* IPv4 is not its business: refused, and the port is free. */
	c = (int)RL(rump_sys_socket(AF_INET, SOCK_STREAM, 0));
	ATF_CHECK_EQ(-1, rump_sys_connect(c, (struct sockaddr *)&sin,
	    sizeof(sin)));
	ATF_CHECK_EQ(ECONNREFUSED, rt_errno());
	RL(rump_sys_close(c));
	l4 = (int)RL(rump_sys_socket(AF_INET, SOCK_STREAM, 0));
	RL(rump_sys_bind(l4, (struct sockaddr *)&sin, sizeof(sin)));
	/* But a second IPv6 wildcard is not. */
	c = (int)RL(rump_sys_socket(AF_INET6, SOCK_STREAM, 0));
	ATF_CHECK_EQ(-1, rump_sys_bind(c, (struct sockaddr *)&any,
	    sizeof(any)));
	ATF_CHECK_EQ(EADDRINUSE, rt_errno());
	RL(rump_sys_close(c));
	/* Nor can it send to IPv4. */
	u = (int)RL(rump_sys_socket(AF_INET6, SOCK_DGRAM, 0));
	RL(rump_sys_setsockopt(u, SOL_IPV6, IPV6_V6ONLY, &v, sizeof(v)));
	ATF_CHECK_EQ(-1, rump_sys_sendto(u, "x", 1, 0,
	    (struct sockaddr *)&mapped, sizeof(mapped)));
	ATF_CHECK_EQ(ENETUNREACH, rt_errno());
	RL(rump_sys_close(u));
	RL(rump_sys_close(l4));
	RL(rump_sys_close(l));
}

/* UDP between families: a dual-stack receiver hears IPv4 senders. */
ATF_TC_WITHOUT_HEAD(dualstack_udp);
ATF_TC_BODY(dualstack_udp, tc)
{
	struct sockaddr_in6 any = sin6_of("::", 7005);
	struct sockaddr_in sin = sin_of("127.0.0.1", 7005);
	struct sockaddr_storage ss;
	struct sockaddr_in *from4;
	socklen_t len;
	char buf[16];
	int r, s;

	boot();
	r = (int)RL(rump_sys_socket(AF_INET6, SOCK_DGRAM, 0));
	RL(rump_sys_bind(r, (struct sockaddr *)&any, sizeof(any)));
	s = (int)RL(rump_sys_socket(AF_INET, SOCK_DGRAM, 0));
	ATF_REQUIRE_EQ(4, rump_sys_sendto(s, "ping", 4, 0,
	    (struct sockaddr *)&sin, sizeof(sin)));
	len = sizeof(ss);
	ATF_REQUIRE_EQ(4, rump_sys_recvfrom(r, buf, sizeof(buf), 0,
	    (struct sockaddr *)&ss, &len));
	check_sin6(&ss, len, "::ffff:127.0.0.1", -1);
	/* Back to the v4-mapped address: arrives as plain IPv4. */
	ATF_REQUIRE_EQ(4, rump_sys_sendto(r, "pong", 4, 0,
	    (struct sockaddr *)&ss, len));
	len = sizeof(ss);
	ATF_REQUIRE_EQ(4, rump_sys_recvfrom(s, buf, sizeof(buf), 0,
	    (struct sockaddr *)&ss, &len));
	ATF_CHECK(memcmp(buf, "pong", 4) == 0);
	ATF_REQUIRE_EQ(sizeof(struct sockaddr_in), len);
	from4 = (struct sockaddr_in *)&ss;
	ATF_CHECK_EQ(AF_INET, from4->sin_family);
	ATF_CHECK_EQ(7005, ntohs(from4->sin_port));
	ATF_CHECK_EQ(htonl(INADDR_LOOPBACK), from4->sin_addr.s_addr);
	RL(rump_sys_close(r));
	RL(rump_sys_close(s));
}

ATF_TC_WITHOUT_HEAD(address_errors);
ATF_TC_BODY(address_errors, tc)
{
	struct sockaddr_in6 sin6 = sin6_of("2001:db8::1", 7006);
	struct sockaddr_in sin = sin_of("127.0.0.1", 7006);
	int fd;

	boot();
	fd = (int)RL(rump_sys_socket(AF_INET6, SOCK_STREAM, 0));
	ATF_CHECK_EQ(-1, rump_sys_bind(fd, (struct sockaddr *)&sin6,
	    sizeof(sin6)));
	ATF_CHECK_EQ(EADDRNOTAVAIL, rt_errno());
	ATF_CHECK_EQ(-1, rump_sys_bind(fd, (struct sockaddr *)&sin6, 20));
	ATF_CHECK_EQ(EINVAL, rt_errno());
	ATF_CHECK_EQ(-1, rump_sys_bind(fd, (struct sockaddr *)&sin,
	    sizeof(sin6)));
	ATF_CHECK_EQ(EAFNOSUPPORT, rt_errno());
	/* Link-local destinations need their link. */
	sin6 = sin6_of("fe80::1", 7006);
	ATF_CHECK_EQ(-1, rump_sys_connect(fd, (struct sockaddr *)&sin6,
	    sizeof(sin6)));
	ATF_CHECK_EQ(EINVAL, rt_errno());
	/* No route. */
	sin6 = sin6_of("2001:db8::1", 7006);
	ATF_CHECK_EQ(-1, rump_sys_connect(fd, (struct sockaddr *)&sin6,
	    sizeof(sin6)));
	ATF_CHECK_EQ(ENETUNREACH, rt_errno());
	RL(rump_sys_close(fd));
	/* An address of lo can be added and bound at once (no DAD). */
	ATF_CHECK_EQ(EINVAL, rump_netconfig_ipv6_addr_add("lo", "ff02::1",
	    64));
	ATF_CHECK_EQ(EINVAL, rump_netconfig_ipv6_addr_add("lo", "1:2:3",
	    64));
	ATF_CHECK_EQ(ENXIO, rump_netconfig_ipv6_addr_add("nope", "fd00::1",
	    64));
	ATF_REQUIRE_EQ(0, rump_netconfig_ipv6_addr_add("lo", "fd00::1", 128));
	ATF_CHECK_EQ(EEXIST, rump_netconfig_ipv6_addr_add("lo", "fd00::1",
	    128));
	sin6 = sin6_of("fd00::1", 7006);
	fd = (int)RL(rump_sys_socket(AF_INET6, SOCK_DGRAM, 0));
	RL(rump_sys_bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)));
	RL(rump_sys_close(fd));
	ATF_CHECK_EQ(0, rump_netconfig_ping6("fd00::1", 1, 8, 1000, NULL));
	ATF_CHECK_EQ(0, rump_netconfig_ipv6_addr_del("lo", "fd00::1"));
	ATF_CHECK_EQ(RUMP_IPV6_ADDR_NONE,
	    rump_netconfig_ipv6_addr_state("lo", "fd00::1"));
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, loopback_ping6);
	ATF_TP_ADD_TC(tp, udp6_loopback);
	ATF_TP_ADD_TC(tp, tcp6_loopback);
	ATF_TP_ADD_TC(tp, dualstack_tcp);
	ATF_TP_ADD_TC(tp, v6only);
	ATF_TP_ADD_TC(tp, dualstack_udp);
	ATF_TP_ADD_TC(tp, address_errors);
	return atf_no_error();
}
