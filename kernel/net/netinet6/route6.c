/*
 * route6.c: the IPv6 routing table: longest prefix first, then the
 * lowest metric, then the oldest.  Link-local and link-scope multicast
 * destinations are not routed: their scope (an interface index) names
 * the link.  One lock, rt6_lock, taken by these functions only.
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/kmem.h>
#include <kern/libkern.h>
#include <kern/lock.h>
#include <net/route.h>

#include "in6_var.h"

struct rt6entry {
	struct in6_addr	 rt_dst;
	int		 rt_plen;
	struct in6_addr	 rt_gw;
	struct ifnet	*rt_ifp;
	int		 rt_flags;
	struct rt6entry	*rt_next;
};

static kmutex_t rt6_lock;
static struct rt6entry *rt6_table;

void
rt6_init(void)
{

	mutex_init(&rt6_lock, MUTEX_DEFAULT);
}

int
rt6_add(const struct in6_addr *dst, int plen, const struct in6_addr *gw,
    struct ifnet *ifp, int flags)
{
	struct rt6entry *rt, **pp;
	struct in6_addr zero;

	if (plen < 0 || plen > 128 || ifp == NULL)
		return EINVAL;
	/* No bits outside the prefix. */
	memset(&zero, 0, sizeof(zero));
	for (int i = plen; i < 128; i++)
		if (dst->s6_addr[i / 8] & (0x80 >> (i % 8)))
			return EINVAL;
	rt = kmem_zalloc(sizeof(*rt), KM_SLEEP);
	if (rt == NULL)
		return ENOMEM;
	rt->rt_dst = *dst;
	rt->rt_plen = plen;
	rt->rt_gw = gw != NULL ? *gw : zero;
	rt->rt_ifp = ifp;
	rt->rt_flags = RTF_UP | flags | (gw != NULL ? RTF_GATEWAY : 0) |
	    (plen == 128 ? RTF_HOST : 0);
	mutex_enter(&rt6_lock);
	for (pp = &rt6_table; *pp != NULL; pp = &(*pp)->rt_next) {
		struct rt6entry *o = *pp;

		if (o->rt_plen == plen && in6_equal(&o->rt_dst, dst) &&
		    in6_equal(&o->rt_gw, &rt->rt_gw) && o->rt_ifp == ifp) {
			mutex_exit(&rt6_lock);
			kmem_free(rt, sizeof(*rt));
			return EEXIST;
		}
	}
	*pp = rt;
	mutex_exit(&rt6_lock);
	return 0;
}

int
rt6_del(const struct in6_addr *dst, int plen, struct ifnet *ifp)
{
	struct rt6entry *rt, **pp;

	mutex_enter(&rt6_lock);
	for (pp = &rt6_table; (rt = *pp) != NULL; pp = &rt->rt_next) {
		if (rt->rt_plen == plen && in6_equal(&rt->rt_dst, dst) &&
		    (ifp == NULL || rt->rt_ifp == ifp)) {
			*pp = rt->rt_next;
			break;
		}
	}
	mutex_exit(&rt6_lock);
	if (rt == NULL)
		return ESRCH;
	kmem_free(rt, sizeof(*rt));
	return 0;
}

int
rt6_del_gw(const struct in6_addr *dst, int plen, const struct in6_addr *gw,
    struct ifnet *ifp)
{
	struct rt6entry *rt, **pp;

	mutex_enter(&rt6_lock);
	for (pp = &rt6_table; (rt = *pp) != NULL; pp = &rt->rt_next) {
		if (rt->rt_plen == plen && in6_equal(&rt->rt_dst, dst) &&
		    rt->rt_ifp == ifp && (rt->rt_flags & RTF_GATEWAY) &&
		    in6_equal(&rt->rt_gw, gw)) {
			*pp = rt->rt_next;
			break;
		}
	}
	mutex_exit(&rt6_lock);
	if (rt == NULL)
		return ESRCH;
	kmem_free(rt, sizeof(*rt));
	return 0;
}

void
rt6_purge_if(struct ifnet *ifp)
{
	struct rt6entry *rt, **pp;

	mutex_enter(&rt6_lock);
	for (pp = &rt6_table; (rt = *pp) != NULL;) {
		if (rt->rt_ifp == ifp) {
			*pp = rt->rt_next;
			kmem_free(rt, sizeof(*rt));
		} else
			pp = &rt->rt_next;
	}
	mutex_exit(&rt6_lock);
}

int
rt6_lookup(const struct in6_addr *dst, uint32_t scope, struct rt6result *res)
{
	struct rt6entry *rt, *best = NULL;
	struct ifnet *ifp;

	if (in6_needs_scope(dst)) {
		if (scope == 0)
			return EINVAL;
		if ((ifp = if_find_byindex((int)scope)) == NULL)
			return ENODEV;
		res->rt_ifp = ifp;
		res->rt_nexthop = *dst;
		res->rt_flags = RTF_UP;
		return (if_flags_get(ifp) & IFF_UP) ? 0 : ENETDOWN;
	}
	mutex_enter(&rt6_lock);
	for (rt = rt6_table; rt != NULL; rt = rt->rt_next) {
		if (!in6_prefix_equal(&rt->rt_dst, dst, rt->rt_plen))
			continue;
		if (best == NULL || rt->rt_plen > best->rt_plen)
			best = rt;
	}
	if (best != NULL) {
		res->rt_ifp = best->rt_ifp;
		res->rt_nexthop = (best->rt_flags & RTF_GATEWAY) ?
		    best->rt_gw : *dst;
		res->rt_flags = best->rt_flags;
	}
	mutex_exit(&rt6_lock);
	if (best == NULL)
		return ENETUNREACH;
	return (if_flags_get(res->rt_ifp) & IFF_UP) ? 0 : EHOSTUNREACH;
}
