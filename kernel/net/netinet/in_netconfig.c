/*
 * in_netconfig.c: the IPv4 part of the public configuration API
 * (rump/rump_netconfig.h), and netinet's boot.
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/libkern.h>
#include <kern/component.h>
#include <rump/rump.h>
#include <rump/rump_netconfig.h>

#include "in_var.h"

int
rump_netconfig_ipv4_addr_add(const char *ifname, const char *addr, int plen)
{
	struct ifnet *ifp;
	uint32_t a;
	int error;

	if ((error = in_aton(addr, &a)) != 0)
		return error;
	rump_schedule();
	ifp = if_find_byname(ifname);
	error = ifp == NULL ? ENXIO : in_addr_add(ifp, a, plen);
	rump_unschedule();
	return error;
}

int
rump_netconfig_ipv4_addr_del(const char *ifname, const char *addr)
{
	struct ifnet *ifp;
	uint32_t a;
	int error;

	if ((error = in_aton(addr, &a)) != 0)
		return error;
	rump_schedule();
	ifp = if_find_byname(ifname);
	error = ifp == NULL ? ENXIO : in_addr_del(ifp, a);
	rump_unschedule();
	return error;
}

int
rump_netconfig_ipv4_route_add(const char *dst, int plen, const char *gw,
    const char *ifname)
{
	struct ifnet *ifp = NULL;
	struct rtresult rt;
	uint32_t d, g = 0;
	int error;

	if ((error = in_aton(dst, &d)) != 0 ||
	    (gw != NULL && (error = in_aton(gw, &g)) != 0))
		return error;
	if (gw == NULL && ifname == NULL)
		return EINVAL;
	rump_schedule();
	if (ifname != NULL && (ifp = if_find_byname(ifname)) == NULL)
		error = ENXIO;
	else if (gw != NULL) {
		/* The gateway must be on a link we have, as Linux
		 * requires ("Nexthop has invalid gateway"). */
		error = rt_lookup4(g, &rt);
		if (error == 0 && (rt.rt_flags & RTF_GATEWAY))
			error = ENETUNREACH;
		if (error == 0 && ifp != NULL && rt.rt_ifp != ifp)
			error = ENETUNREACH;
		if (error == 0)
			ifp = rt.rt_ifp;
	}
	if (error == 0)
		error = rt_add4(d, plen, g, ifp, 0, 0, 0);
	rump_unschedule();
	return error;
}

int
rump_netconfig_ipv4_route_del(const char *dst, int plen)
{
	uint32_t d;
	int error;

	if ((error = in_aton(dst, &d)) != 0)
		return error;
	rump_schedule();
	error = rt_del4(d, plen, 0, NULL);
	rump_unschedule();
	return error;
}

int
rump_netconfig_ipv4_gw(const char *gateway)
{

	return rump_netconfig_ipv4_route_add("0.0.0.0", 0, gateway, NULL);
}

int
rump_netconfig_ipv4_forwarding(int on)
{

	__atomic_store_n(&ip_forwarding, on != 0, __ATOMIC_RELAXED);
	return 0;
}

int
rump_netconfig_ping4(const char *addr, int seq, size_t datalen,
    int timeout_ms, uint64_t *rtt_ns)
{
	uint32_t a;
	int error;

	if ((error = in_aton(addr, &a)) != 0)
		return error;
	if (timeout_ms < 0 || seq < 0 || seq > 65535)
		return EINVAL;
	rump_schedule();
	error = icmp_ping(a, (uint16_t)seq, datalen,
	    (uint64_t)timeout_ms * 1000000, rtt_ns);
	rump_unschedule();
	return error;
}

RUMP_COMPONENT(RUMP_COMPONENT_NET, netinet)
{
	uint32_t lo;

	in_addr_init();
	ip_output_init();
	arp_init();
	ip_init();
	icmp_init();
	if_afioctl_register(&in_afioctl);
	dhcp_init();
	(void)in_aton("127.0.0.1", &lo);
	if (in_addr_add(lo_ifp, lo, 8) != 0)
		panic("netinet: cannot configure lo");
}
