/*
 * t_net_shmif.c: kernels in separate processes on shared-memory buses
 * (shmif): ARP, ping both ways, large fragmented pings, ARP failure
 * timing, and forwarding through a third kernel acting as a router.
 *
 * Each peer is a child process with its own kernel, forked before any
 * kernel boots (h_net.h).
 */
#include "h_net.h"

/* --- A peer at 10.0.0.2 that pings 10.0.0.1 back ----------------------- */

static int
peer_pingback(void *arg)
{
	char ifname[16];
	int error;

	(void)arg;
	if ((error = shmif_setup("bus", "10.0.0.2", ifname)) != 0)
		return error;
	return ping_retry("10.0.0.1", 40, 56);
}

ATF_TC_WITHOUT_HEAD(ping_both_ways);
ATF_TC_BODY(ping_both_ways, tc)
{
	struct rump_ifstats st;
	char ifname[16];
	uint8_t hw[6];
	pid_t pid;

	pid = peer_start(peer_pingback, NULL, true);
	boot();
	ATF_REQUIRE_EQ(0, shmif_setup("bus", "10.0.0.1", ifname));
	ATF_CHECK_STREQ("shmif0", ifname);
	ATF_REQUIRE_EQ(0, rump_netconfig_ifhwaddr(ifname, hw));
	ATF_CHECK_EQ(0x02, hw[0] & 0x03);	/* local, unicast */
	ATF_REQUIRE_EQ(0, ping_retry("10.0.0.2", 40, 56));
	for (int i = 0; i < 20; i++)
		ATF_CHECK_EQ(0, rump_netconfig_ping4("10.0.0.2", 100 + i, 56,
		    2000, NULL));
	/* Fragmented both ways: 8000 bytes over a 1500 MTU. */
	ATF_CHECK_EQ(0, rump_netconfig_ping4("10.0.0.2", 200, 8000, 2000,
	    NULL));
	ATF_REQUIRE_EQ(0, rump_netconfig_ifstats(ifname, &st));
	ATF_CHECK(st.opackets >= 22 && st.ipackets >= 22);
	ATF_CHECK_EQ(0, st.ierrors);
	peers_finish(&pid, 1);
}

/* --- ARP failure and its timeout ----------------------------------------- */

ATF_TC_WITHOUT_HEAD(arp_unresolved);
ATF_TC_BODY(arp_unresolved, tc)
{
	char ifname[16];

	boot();
	ATF_REQUIRE_EQ(0, shmif_setup("bus", "10.0.0.1", ifname));
	/* Nobody has 10.0.0.99: the request goes unanswered. */
	ATF_CHECK_EQ(ETIMEDOUT, rump_netconfig_ping4("10.0.0.99", 1, 8, 500,
	    NULL));
	/* After three unanswered requests, a second apart, ARP gives up
	 * and says so at once for a while. */
	rt_sleep_ms(3500);
	ATF_CHECK_EQ(EHOSTUNREACH, rump_netconfig_ping4("10.0.0.99", 2, 8,
	    500, NULL));
	/* A down interface carries nothing. */
	ATF_REQUIRE_EQ(0, rump_netconfig_ifdown(ifname));
	ATF_CHECK(rump_netconfig_ping4("10.0.0.98", 3, 8, 300, NULL) != 0);
}

/* --- Forwarding: A -- bus1 -- R -- bus2 -- B ---------------------------- */

static int
peer_router(void *arg)
{
	char if1[16], if2[16];
	int error;

	(void)arg;
	if ((error = rump_netconfig_ifcreate("shmif", "bus1", if1, 16)) ||
	    (error = rump_netconfig_ipv4_addr_add(if1, "10.0.1.2", 24)) ||
	    (error = rump_netconfig_ifup(if1)) ||
	    (error = rump_netconfig_ifcreate("shmif", "bus2", if2, 16)) ||
	    (error = rump_netconfig_ipv4_addr_add(if2, "10.0.2.2", 24)) ||
	    (error = rump_netconfig_ifup(if2)))
		return error;
	return rump_netconfig_ipv4_forwarding(1);
}

static int
peer_far(void *arg)
{
	char ifname[16];
	int error;

	(void)arg;
	if ((error = rump_netconfig_ifcreate("shmif", "bus2", ifname, 16)) ||
	    (error = rump_netconfig_ipv4_addr_add(ifname, "10.0.2.1", 24)) ||
	    (error = rump_netconfig_ifup(ifname)))
		return error;
	/* The default route must wait for the router's prefix: it is
	 * checked against attached prefixes only, so it works at once. */
	return rump_netconfig_ipv4_gw("10.0.2.2");
}

ATF_TC_WITHOUT_HEAD(forwarding);
ATF_TC_BODY(forwarding, tc)
{
	char ifname[16];
	pid_t pids[2];

	pids[0] = peer_start(peer_router, NULL, true);
	pids[1] = peer_start(peer_far, NULL, true);
	boot();
	ATF_REQUIRE_EQ(0, rump_netconfig_ifcreate("shmif", "bus1", ifname,
	    16));
	ATF_REQUIRE_EQ(0, rump_netconfig_ipv4_addr_add(ifname, "10.0.1.1",
	    24));
	ATF_REQUIRE_EQ(0, rump_netconfig_ifup(ifname));
	ATF_REQUIRE_EQ(0, rump_netconfig_ipv4_gw("10.0.1.2"));
	/* The router's near and far addresses, then the far host. */
	ATF_REQUIRE_EQ(0, ping_retry("10.0.1.2", 40, 56));
	ATF_CHECK_EQ(0, ping_retry("10.0.2.2", 10, 56));
	ATF_CHECK_EQ(0, ping_retry("10.0.2.1", 40, 56));
	/* Fragments are forwarded and reassembled at the far end. */
	ATF_CHECK_EQ(0, rump_netconfig_ping4("10.0.2.1", 500, 4000, 2000,
	    NULL));
	peers_finish(pids, 2);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, ping_both_ways);
	ATF_TP_ADD_TC(tp, arp_unresolved);
	ATF_TP_ADD_TC(tp, forwarding);
	return atf_no_error();
}
