/*
 * in6_netconfig.c: the IPv6 part of the public configuration API
 * (rump/rump_netconfig.h), and netinet6's boot.
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/libkern.h>
#include <kern/component.h>
#include <net/abi.h>
#include <net/route.h>
#include <kern/syscall.h>
#include <rump/rump.h>
#include <rump/rump_netconfig.h>

#include "in6_var.h"

int
rump_netconfig_ipv6_addr_add(const char *ifname, const char *addr, int plen)
{
	struct in6_addr a;
	struct ifnet *ifp;
	int error;

	if ((error = in6_pton(addr, &a)) != 0)
		return error;
	rump_schedule();
	ifp = if_find_byname(ifname);
	error = ifp == NULL ? ENXIO : in6_addr_add(ifp, &a, plen, 0);
	rump_unschedule();
	return error;
}

int
rump_netconfig_ipv6_addr_del(const char *ifname, const char *addr)
{
	struct in6_addr a;
	struct ifnet *ifp;
	int error;

	if ((error = in6_pton(addr, &a)) != 0)
		return error;
	rump_schedule();
	ifp = if_find_byname(ifname);
	error = ifp == NULL ? ENXIO : in6_addr_del(ifp, &a);
	rump_unschedule();
	return error;
}

int
rump_netconfig_ipv6_addr_state(const char *ifname, const char *addr)
{
	struct in6_addr a;
	struct ifnet *ifp;
	int error;

	if ((error = in6_pton(addr, &a)) != 0)
		return -error;
	rump_schedule();
	ifp = if_find_byname(ifname);
	if (ifp == NULL)
		error = -ENXIO;
	else if (in6_addr_ifp(&a) != ifp && !in6_is_linklocal(&a))
		error = RUMP_IPV6_ADDR_NONE;
	else {
		error = in6_addr_state(&a, ifp);
		if (error == RUMP_IPV6_ADDR_USABLE && in6_addr_deprecated(ifp,
		    &a))
			error = RUMP_IPV6_ADDR_DEPRECATED;
	}
	rump_unschedule();
	return error;
}

int
rump_netconfig_ipv6_linklocal(const char *ifname, char *buf, size_t len)
{
	struct in6_addr a;
	struct ifnet *ifp;
	int error;

	rump_schedule();
	ifp = if_find_byname(ifname);
	if (ifp == NULL)
		error = ENXIO;
	else
		error = in6_linklocal_of(ifp, &a, false);
	rump_unschedule();
	if (error == 0) {
		char tmp[48];

		in6_ntop(&a, tmp, sizeof(tmp));
		if (strlcpy(buf, tmp, len) >= len)
			error = ENAMETOOLONG;
	}
	return error;
}

int
rump_netconfig_ipv6_route_add(const char *dst, int plen, const char *gw,
    const char *ifname)
{
	struct in6_addr d, g;
	struct ifnet *ifp = NULL;
	struct rt6result rt;
	uint32_t scope = 0;
	int error;

	if ((error = in6_pton(dst, &d)) != 0 ||
	    (gw != NULL && (error = in6_pton(gw, &g)) != 0))
		return error;
	if (gw == NULL && ifname == NULL)
		return EINVAL;
	rump_schedule();
	if (ifname != NULL && (ifp = if_find_byname(ifname)) == NULL)
		error = ENXIO;
	else if (gw != NULL) {
		/* A link-local gateway is on the named link; another one
		 * must be on a prefix we have. */
		if (ifp != NULL)
			scope = (uint32_t)ifp->if_index;
		error = rt6_lookup(&g, scope, &rt);
		if (error == EINVAL || error == ENETDOWN)
			error = ENETUNREACH;
		if (error == 0 && (rt.rt_flags & RTF_GATEWAY))
			error = ENETUNREACH;
		if (error == 0 && ifp != NULL && rt.rt_ifp != ifp)
			error = ENETUNREACH;
		if (error == 0)
			ifp = rt.rt_ifp;
	}
	if (error == 0)
		error = rt6_add(&d, plen, gw != NULL ? &g : NULL, ifp, 0);
	rump_unschedule();
	return error;
}

int
rump_netconfig_ipv6_route_del(const char *dst, int plen)
{
	struct in6_addr d;
	int error;

	if ((error = in6_pton(dst, &d)) != 0)
		return error;
	rump_schedule();
	error = rt6_del(&d, plen, NULL);
	rump_unschedule();
	return error;
}

int
rump_netconfig_ipv6_gw(const char *gateway, const char *ifname)
{

	return rump_netconfig_ipv6_route_add("::", 0, gateway, ifname);
}

int
rump_netconfig_ping6(const char *addr, int seq, size_t datalen,
    int timeout_ms, uint64_t *rtt_ns)
{
	struct in6_addr a;
	uint32_t scope;
	int error;

	if (timeout_ms < 0 || seq < 0 || seq > 65535)
		return EINVAL;
	rump_schedule();
	error = in6_pton_scope(addr, &a, &scope);
	if (error == 0)
		error = icmp6_ping(&a, scope, (uint16_t)seq, datalen,
		    (uint64_t)timeout_ms * 1000000, rtt_ns);
	rump_unschedule();
	return error;
}

int
rump_netconfig_ipv6_forwarding(int on)
{

	__atomic_store_n(&ip6_forwarding, on != 0, __ATOMIC_RELAXED);
	return 0;
}

int
rump_netconfig_ipv6_ra(const char *ifname, const struct rump_ipv6_ra *ra)
{
	struct nd6_ra_cfg cfg;
	struct ifnet *ifp;
	int error = 0;

	if (ra != NULL) {
		memset(&cfg, 0, sizeof(cfg));
		cfg.plen = -1;
		if (ra->prefix != NULL) {
			if ((error = in6_pton(ra->prefix, &cfg.prefix)) != 0)
				return error;
			if (ra->prefixlen < 0 || ra->prefixlen > 128 ||
			    in6_is_linklocal(&cfg.prefix) ||
			    in6_is_multicast(&cfg.prefix))
				return EINVAL;
			cfg.plen = ra->prefixlen;
		}
		cfg.valid_s = ra->valid_s;
		cfg.preferred_s = ra->preferred_s;
		cfg.lifetime_s = ra->lifetime_s;
		cfg.mtu = ra->mtu;
		cfg.interval_s = ra->interval_s != 0 ? ra->interval_s : 600;
		/* 6.2.1: AdvDefaultLifetime is 0 or MaxRtrAdvInterval to
		 * 9000 s. */
		if (cfg.lifetime_s != 0 && (cfg.lifetime_s > 9000 ||
		    cfg.lifetime_s < cfg.interval_s))
			return EINVAL;
	}
	rump_schedule();
	ifp = if_find_byname(ifname);
	if (ifp == NULL)
		error = ENXIO;
	else
		error = nd6_ra_config(ifp, ra != NULL ? &cfg : NULL);
	rump_unschedule();
	return error;
}

int
rump_netconfig_ipv6_mtu(const char *ifname, int *mtu)
{
	struct ifnet *ifp;

	rump_schedule();
	ifp = if_find_byname(ifname);
	if (ifp != NULL)
		*mtu = in6_if_mtu(ifp);
	rump_unschedule();
	return ifp != NULL ? 0 : ENXIO;
}

/*
 * AF_INET6 sockets' SIOCSIFADDR and SIOCDIFADDR (what "ifconfig eth0
 * inet6 add" uses): Linux's struct in6_ifreq (address, prefix length,
 * interface index; 24 bytes on every target), not a struct ifreq.
 * Errors in Linux's order: EPERM, EFAULT, EINVAL (prefix), ENODEV;
 * adding an address there is EEXIST, removing one not there
 * EADDRNOTAVAIL.
 */
struct in6_ifreq {
	struct in6_addr	ifr6_addr;
	uint32_t	ifr6_prefixlen;
	int32_t		ifr6_ifindex;
};
_Static_assert(sizeof(struct in6_ifreq) == 24, "Linux struct in6_ifreq");

static int
in6_raw_ioctl(unsigned long cmd, void *data)
{
	struct in6_ifreq r;
	struct ifnet *ifp;
	int error;

	if (cmd != SIOCSIFADDR && cmd != SIOCDIFADDR)
		return -1;
	if (!if_privileged())
		return EPERM;
	if ((error = copyin(data, &r, sizeof(r))) != 0)
		return error;
	if (r.ifr6_prefixlen > 128)
		return EINVAL;
	if ((ifp = if_find_byindex(r.ifr6_ifindex)) == NULL)
		return ENODEV;
	if (cmd == SIOCSIFADDR)
		return in6_addr_add(ifp, &r.ifr6_addr,
		    (int)r.ifr6_prefixlen, 0);
	return in6_addr_del(ifp, &r.ifr6_addr);
}

static const struct if_afioctl in6_afioctl = {
	.afi_family = AF_INET6,
	.afi_raw = in6_raw_ioctl,
};

RUMP_COMPONENT(RUMP_COMPONENT_NET, netinet6)
{

	in6_addr_init();
	rt6_init();
	ip6_output_init();
	nd6_init();
	nd6_rtr_init();
	ip6_init();
	icmp6_init();
	in6_proto_init();
	in6_if_init();
	if_afioctl_register(&in6_afioctl);
	if (in6_addr_add(lo_ifp, &in6addr_loopback, 128, 0) != 0)
		panic("netinet6: cannot configure lo");
}
