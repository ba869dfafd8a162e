/*
 * route.h: the IPv4 routing table.
 *
 * A route says: packets for dst/prefixlen leave through ifp, to gateway
 * (a router on that link) or, without RTF_GATEWAY, straight to the
 * destination (a "connected" route, added when an address is set).
 * Lookup picks the longest matching prefix; among equal prefixes the
 * lowest metric, then the oldest.  Addresses are in network byte order.
 * The table has its own lock; the functions take it.
 */
#ifndef NET_ROUTE_H
#define NET_ROUTE_H

#include <kern/types.h>

struct ifnet;

#define RTF_UP		0x0001
#define RTF_GATEWAY	0x0002
#define RTF_HOST	0x0004
#define RTF_CONNECTED	0x0100	/* made for an interface address */

/* What a lookup answers: a copy, valid after the table changes. */
struct rtresult {
	struct ifnet	*rt_ifp;
	uint32_t	 rt_nexthop;	/* gateway, or the destination */
	uint32_t	 rt_src;	/* preferred source (0: none) */
	int		 rt_flags;
};

/* Adds a route; 0, EEXIST (same dst/prefix/gateway/ifp), EINVAL
 * (prefixlen > 32, dst with bits outside the prefix) or ENOMEM.
 * src: preferred source address for it, or 0. */
int	rt_add4(uint32_t dst, int prefixlen, uint32_t gateway,
	    struct ifnet *ifp, int flags, int metric, uint32_t src);
/* Deletes the matching route (gateway 0 / ifp NULL: any); 0 or ESRCH. */
int	rt_del4(uint32_t dst, int prefixlen, uint32_t gateway,
	    struct ifnet *ifp);
/* Deletes every route through ifp. */
void	rt_purge_if(struct ifnet *ifp);
/* Longest-prefix lookup; 0 or ENETUNREACH (or EHOSTUNREACH when the
 * route's interface is down). */
int	rt_lookup4(uint32_t dst, struct rtresult *res);

/* Netmask of a prefix length, network order. */
uint32_t rt_mask4(int prefixlen);

/* Boot: called once by the net faction before any route exists. */
void	rt_init(void);

#endif /* NET_ROUTE_H */
