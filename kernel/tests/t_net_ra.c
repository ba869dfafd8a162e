/*
 * t_net_ra.c: IPv6 router advertisements (RFC 4861 6) and stateless
 * address autoconfiguration (RFC 4862), between kernels in processes of
 * their own on shmif buses.
 *
 * Case "router": a router kernel on two buses ("lan", "wan") forwards
 * IPv6 and advertises 2001:db8:1::/64, an MTU of 1400 and itself as the
 * default router on "lan"; this kernel, which is given no address and no
 * route, solicits, gets 2001:db8:1::<EUI-64> and the MTU, and reaches a
 * third kernel on "wan" (2001:db8:2::2) through the default route; when
 * the router stops advertising (a last advertisement with router
 * lifetime 0) the default route goes.
 *
 * Case "lifetimes": a prefix with preferred lifetime 0 gives a
 * deprecated address that stays; a second prefix with a 3-second valid
 * lifetime that the router stops refreshing gives an address that is
 * removed when the lifetime ends.
 *
 * Every wait is for an outcome, bounded generously.
 */
#include "h_net.h"

#define WAIT_MS		60000

/* The router of case "router". */
static int
peer_router(void *arg)
{
	struct rump_ipv6_ra ra = { "2001:db8:1::", 64, 3600, 1800, 1800, 1400,
	    600 };
	char lan[16], wan[16];
	int error;

	(void)arg;
	if ((error = rump_netconfig_ifcreate("shmif", "lan", lan, 16)) != 0 ||
	    (error = rump_netconfig_ipv6_addr_add(lan, "2001:db8:1::1",
	    64)) != 0 ||
	    (error = rump_netconfig_ifup(lan)) != 0 ||
	    (error = rump_netconfig_ifcreate("shmif", "wan", wan, 16)) != 0 ||
	    (error = rump_netconfig_ipv6_addr_add(wan, "2001:db8:2::1",
	    64)) != 0 ||
	    (error = rump_netconfig_ifup(wan)) != 0 ||
	    (error = rump_netconfig_ipv6_forwarding(1)) != 0)
		return error;
	/* Bad configurations first. */
	ra.interval_s = 2;
	if (rump_netconfig_ipv6_ra(lan, &ra) != EINVAL)
		return EPROTO;
	ra.interval_s = 600;
	ra.mtu = 9000;
	if (rump_netconfig_ipv6_ra(lan, &ra) != EINVAL)
		return EPROTO;
	ra.mtu = 1400;
	if (rump_netconfig_ipv6_ra("lo", &ra) != EOPNOTSUPP ||
	    rump_netconfig_ipv6_ra("nosuch0", &ra) != ENXIO)
		return EPROTO;
	if ((error = rump_netconfig_ipv6_ra(lan, &ra)) != 0)
		return error;
	if ((error = wait_file("stop")) != 0)
		return error;
	return rump_netconfig_ipv6_ra(lan, NULL);
}

/* The far host of case "router", behind the router. */
static int
peer_far(void *arg)
{
	char wan[16];
	int error;

	(void)arg;
	if ((error = rump_netconfig_ifcreate("shmif", "wan", wan, 16)) != 0 ||
	    (error = rump_netconfig_ipv6_addr_add(wan, "2001:db8:2::2",
	    64)) != 0 ||
	    (error = rump_netconfig_ifup(wan)) != 0)
		return error;
	return rump_netconfig_ipv6_gw("2001:db8:2::1", NULL);
}

/* The address SLAAC makes from prefix (a /64, text) on ifname. */
static void
slaac_addr(const char *ifname, const char *prefix, char *buf)
{
	struct in6_addr a;
	uint8_t hw[6];

	ATF_REQUIRE_EQ(0, rump_netconfig_ifhwaddr(ifname, hw));
	ATF_REQUIRE(inet_pton(AF_INET6, prefix, &a) == 1);
	a.s6_addr[8] = hw[0] ^ 0x02;
	a.s6_addr[9] = hw[1];
	a.s6_addr[10] = hw[2];
	a.s6_addr[11] = 0xff;
	a.s6_addr[12] = 0xfe;
	a.s6_addr[13] = hw[3];
	a.s6_addr[14] = hw[4];
	a.s6_addr[15] = hw[5];
	ATF_REQUIRE(inet_ntop(AF_INET6, &a, buf, INET6_ADDRSTRLEN) != NULL);
}

/* Waits until addr on ifname is in state want; the last state seen. */
static int
wait_addr_state(const char *ifname, const char *addr, int want)
{
	int st = -1;

	for (int ms = 0; ms < WAIT_MS; ms += 50) {
		st = rump_netconfig_ipv6_addr_state(ifname, addr);
		if (st == want)
			break;
		rt_sleep_ms(50);
	}
	return st;
}

/* Pings addr until it answers (neighbour discovery on the way); the
 * last error. */
static int
ping6_retry(const char *addr)
{
	int error = ETIMEDOUT;

	for (int i = 0; i < 30; i++) {
		if ((error = rump_netconfig_ping6(addr, i + 1, 56, 1000,
		    NULL)) == 0)
			break;
		rt_sleep_ms(200);
	}
	return error;
}

ATF_TC(router);
ATF_TC_HEAD(router, tc)
{
	atf_tc_set_md_var(tc, "descr", "A host autoconfigures from a "
	    "router's advertisements (global address, MTU, default route) "
	    "and reaches a host behind the router, which forwards");
	atf_tc_set_md_var(tc, "timeout", "300");
}
ATF_TC_BODY(router, tc)
{
	char ifname[16], addr[INET6_ADDRSTRLEN];
	pid_t pids[2];
	int mtu = 0, error = 0;

	pids[0] = peer_start(peer_router, NULL, true);
	pids[1] = peer_start(peer_far, NULL, true);
	boot();
	ATF_REQUIRE_EQ(0, rump_netconfig_ifcreate("shmif", "lan", ifname,
	    sizeof(ifname)));
	ATF_REQUIRE_EQ(0, rump_netconfig_ipv6_mtu(ifname, &mtu));
	ATF_CHECK_EQ(1500, mtu);
	ATF_REQUIRE_EQ(0, rump_netconfig_ifup(ifname));
	slaac_addr(ifname, "2001:db8:1::", addr);
	ATF_REQUIRE_EQ_MSG(RUMP_IPV6_ADDR_USABLE, wait_addr_state(ifname,
	    addr, RUMP_IPV6_ADDR_USABLE), "no address %s", addr);
	ATF_REQUIRE_EQ(0, rump_netconfig_ipv6_mtu(ifname, &mtu));
	ATF_CHECK_EQ(1400, mtu);
	ATF_CHECK_EQ(ENXIO, rump_netconfig_ipv6_mtu("nosuch0", &mtu));
	/* On the link (the prefix's route), and beyond the router (the
	 * default route, forwarded both ways). */
	ATF_CHECK_EQ(0, ping6_retry("2001:db8:1::1"));
	ATF_CHECK_EQ(0, ping6_retry("2001:db8:2::1"));
	ATF_CHECK_EQ(0, ping6_retry("2001:db8:2::2"));
	/* 1400 bytes of MTU: a 1380-byte ping goes in fragments, and the
	 * router passes them. */
	ATF_CHECK_EQ(0, rump_netconfig_ping6("2001:db8:2::2", 100, 1380,
	    5000, NULL));
	/* The router says goodbye: no default route any more, the
	 * address and the prefix stay. */
	ATF_REQUIRE_EQ(0, touch_file("stop"));
	for (int ms = 0; ms < WAIT_MS; ms += 100) {
		error = rump_netconfig_ping6("2001:db8:2::2", 200, 56, 500,
		    NULL);
		if (error == ENETUNREACH)
			break;
		rt_sleep_ms(100);
	}
	ATF_CHECK_EQ(ENETUNREACH, error);
	ATF_CHECK_EQ(RUMP_IPV6_ADDR_USABLE,
	    rump_netconfig_ipv6_addr_state(ifname, addr));
	ATF_CHECK_EQ(0, ping6_retry("2001:db8:1::1"));
	peers_finish(pids, 2);
}

/* The router of case "lifetimes": one prefix, then another, then
 * none. */
static int
peer_router_lifetimes(void *arg)
{
	struct rump_ipv6_ra ra = { "2001:db8:1::", 64, 3600, 0, 0, 0, 600 };
	char lan[16];
	int error;

	(void)arg;
	if ((error = rump_netconfig_ifcreate("shmif", "lan", lan, 16)) != 0 ||
	    (error = rump_netconfig_ifup(lan)) != 0 ||
	    (error = rump_netconfig_ipv6_ra(lan, &ra)) != 0)
		return error;
	if ((error = wait_file("phase2")) != 0)
		return error;
	ra.prefix = "2001:db8:3::";
	ra.valid_s = ra.preferred_s = 3;
	if ((error = rump_netconfig_ipv6_ra(lan, &ra)) != 0)
		return error;
	if ((error = wait_file("stop")) != 0)
		return error;
	return rump_netconfig_ipv6_ra(lan, NULL);
}

ATF_TC(lifetimes);
ATF_TC_HEAD(lifetimes, tc)
{
	atf_tc_set_md_var(tc, "descr", "Preferred lifetime 0 gives a "
	    "deprecated address; a valid lifetime that is not refreshed "
	    "removes the address when it ends");
	atf_tc_set_md_var(tc, "timeout", "300");
}
ATF_TC_BODY(lifetimes, tc)
{
	char ifname[16], a1[INET6_ADDRSTRLEN], a3[INET6_ADDRSTRLEN];
	pid_t pid;

	pid = peer_start(peer_router_lifetimes, NULL, true);
	boot();
	ATF_REQUIRE_EQ(0, rump_netconfig_ifcreate("shmif", "lan", ifname,
	    sizeof(ifname)));
	ATF_REQUIRE_EQ(0, rump_netconfig_ifup(ifname));
	slaac_addr(ifname, "2001:db8:1::", a1);
	slaac_addr(ifname, "2001:db8:3::", a3);
	ATF_REQUIRE_EQ_MSG(RUMP_IPV6_ADDR_DEPRECATED, wait_addr_state(ifname,
	    a1, RUMP_IPV6_ADDR_DEPRECATED), "%s not deprecated", a1);
	/* Not a default router (lifetime 0): nothing beyond the link. */
	ATF_CHECK_EQ(ENETUNREACH, rump_netconfig_ping6("2001:db8:2::2", 1,
	    56, 500, NULL));
	ATF_REQUIRE_EQ(0, touch_file("phase2"));
	ATF_REQUIRE_EQ_MSG(RUMP_IPV6_ADDR_USABLE, wait_addr_state(ifname, a3,
	    RUMP_IPV6_ADDR_USABLE), "no address %s", a3);
	/* No more advertisements: a3's 3 seconds run out. */
	ATF_REQUIRE_EQ(0, touch_file("stop"));
	ATF_CHECK_EQ_MSG(RUMP_IPV6_ADDR_NONE, wait_addr_state(ifname, a3,
	    RUMP_IPV6_ADDR_NONE), "%s still there", a3);
	ATF_CHECK_EQ(RUMP_IPV6_ADDR_DEPRECATED,
	    rump_netconfig_ipv6_addr_state(ifname, a1));
	peers_finish(&pid, 1);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, router);
	ATF_TP_ADD_TC(tp, lifetimes);
	return atf_no_error();
}
