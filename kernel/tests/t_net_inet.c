/*
 * t_net_inet.c: the network core and IPv4 inside one kernel: interfaces,
 * addresses, routes and ICMP echo over the loopback interface, through
 * the public configuration API (rump/rump_netconfig.h).
 */
#include <sys/types.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <atf-c.h>

#include <rump/rump.h>
#include <rump/rump_netconfig.h>

#include "h_rumptest.h"

ATF_TC_WITHOUT_HEAD(loopback_up);
ATF_TC_BODY(loopback_up, tc)
{
	struct rump_ifstats st;

	boot();
	ATF_REQUIRE_EQ(0, rump_netconfig_ifstats("lo", &st));
	ATF_CHECK_EQ(1, st.index);
	ATF_CHECK((st.flags & 0x1) != 0);	/* IFF_UP */
	ATF_CHECK((st.flags & 0x8) != 0);	/* IFF_LOOPBACK */
	ATF_CHECK_EQ(65536, st.mtu);
	ATF_CHECK_EQ(ENXIO, rump_netconfig_ifstats("nosuch0", &st));
	ATF_CHECK_EQ(ENXIO, rump_netconfig_ifup("nosuch0"));
	ATF_CHECK_EQ(ENXIO, rump_netconfig_ifcreate("nosuchtype", "x",
	    (char[16]){0}, 16));
}

ATF_TC_WITHOUT_HEAD(ping_loopback);
ATF_TC_BODY(ping_loopback, tc)
{
	struct rump_ifstats before, after;
	uint64_t rtt = 0;

	boot();
	ATF_REQUIRE_EQ(0, rump_netconfig_ifstats("lo", &before));
	for (int seq = 1; seq <= 5; seq++) {
		ATF_REQUIRE_EQ_MSG(0, rump_netconfig_ping4("127.0.0.1", seq,
		    56, 2000, &rtt), "ping seq %d", seq);
		ATF_CHECK(rtt > 0 && rtt < 2000000000ULL);
	}
	/* Anything in 127/8 is the loopback network's. */
	ATF_CHECK_EQ(0, rump_netconfig_ping4("127.1.2.3", 1, 0, 2000, NULL));
	ATF_REQUIRE_EQ(0, rump_netconfig_ifstats("lo", &after));
	/* Five requests and five replies, and the sixth pair. */
	ATF_CHECK_EQ(before.opackets + 12, after.opackets);
	ATF_CHECK_EQ(before.ipackets + 12, after.ipackets);
}

ATF_TC_WITHOUT_HEAD(ping_large_fragmented);
ATF_TC_BODY(ping_large_fragmented, tc)
{
	struct rump_ifstats before, after;

	boot();
	/* Over the loopback MTU: fragmented on the way out, reassembled
	 * on the way in, both directions. */
	ATF_REQUIRE_EQ(0, rump_netconfig_ifsetmtu("lo", 1500));
	ATF_REQUIRE_EQ(0, rump_netconfig_ifstats("lo", &before));
	ATF_REQUIRE_EQ(0, rump_netconfig_ping4("127.0.0.1", 1, 60000, 2000,
	    NULL));
	ATF_REQUIRE_EQ(0, rump_netconfig_ifstats("lo", &after));
	/* 60028 bytes of ICMP in fragments of at most 1480: 41 each way. */
	ATF_CHECK_EQ(before.opackets + 82, after.opackets);
	/* The largest datagram cannot be sent. */
	ATF_CHECK_EQ(EMSGSIZE, rump_netconfig_ping4("127.0.0.1", 2, 65600,
	    2000, NULL));
	ATF_CHECK_EQ(EINVAL, rump_netconfig_ifsetmtu("lo", 40));
}

ATF_TC_WITHOUT_HEAD(addresses_routes);
ATF_TC_BODY(addresses_routes, tc)
{

	boot();
	/* An extra address on lo answers like the first. */
	ATF_REQUIRE_EQ(0, rump_netconfig_ipv4_addr_add("lo", "10.9.8.7", 24));
	ATF_CHECK_EQ(EEXIST, rump_netconfig_ipv4_addr_add("lo", "10.9.8.7",
	    24));
	ATF_CHECK_EQ(0, rump_netconfig_ping4("10.9.8.7", 1, 8, 2000, NULL));
	/* Malformed input. */
	ATF_CHECK_EQ(EINVAL, rump_netconfig_ipv4_addr_add("lo", "10.9.8", 24));
	ATF_CHECK_EQ(EINVAL, rump_netconfig_ipv4_addr_add("lo", "10.9.8.256",
	    24));
	ATF_CHECK_EQ(EINVAL, rump_netconfig_ipv4_addr_add("lo", "10.1.1.1",
	    33));
	ATF_CHECK_EQ(ENXIO, rump_netconfig_ipv4_addr_add("nosuch0",
	    "10.1.1.1", 24));
	/* No route: unreachable at once. */
	ATF_CHECK_EQ(ENETUNREACH, rump_netconfig_ping4("192.0.2.1", 1, 8,
	    2000, NULL));
	/* A gateway must be on an attached prefix. */
	ATF_CHECK_EQ(ENETUNREACH, rump_netconfig_ipv4_gw("192.0.2.1"));
	/* A route through the lo prefix: the host 10.9.8.7 answers for
	 * the whole of 198.51.100.0/24 as a gateway to itself. */
	ATF_REQUIRE_EQ(0, rump_netconfig_ipv4_route_add("198.51.100.0", 24,
	    NULL, "lo"));
	ATF_CHECK_EQ(EEXIST, rump_netconfig_ipv4_route_add("198.51.100.0",
	    24, NULL, "lo"));
	ATF_CHECK_EQ(EINVAL, rump_netconfig_ipv4_route_add("198.51.100.1",
	    24, NULL, "lo"));
	ATF_CHECK_EQ(0, rump_netconfig_ipv4_route_del("198.51.100.0", 24));
	ATF_CHECK_EQ(ESRCH, rump_netconfig_ipv4_route_del("198.51.100.0", 24));
	/* Down, the loopback carries nothing. */
	ATF_REQUIRE_EQ(0, rump_netconfig_ifdown("lo"));
	ATF_CHECK(rump_netconfig_ping4("127.0.0.1", 1, 8, 300, NULL) != 0);
	ATF_REQUIRE_EQ(0, rump_netconfig_ifup("lo"));
	ATF_CHECK_EQ(0, rump_netconfig_ping4("127.0.0.1", 1, 8, 2000, NULL));
	ATF_CHECK_EQ(0, rump_netconfig_ipv4_addr_del("lo", "10.9.8.7"));
	ATF_CHECK_EQ(EADDRNOTAVAIL, rump_netconfig_ipv4_addr_del("lo",
	    "10.9.8.7"));
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, loopback_up);
	ATF_TP_ADD_TC(tp, ping_loopback);
	ATF_TP_ADD_TC(tp, ping_large_fragmented);
	ATF_TP_ADD_TC(tp, addresses_routes);
	return atf_no_error();
}
