/*
 * route.c: the IPv4 routing table (net/route.h).
 *
 * A list kept sorted by prefix length, longest first, so the first match
 * is the longest prefix.  Tables here hold a handful of routes; a lookup
 * per packet over a short list costs less than a trie's bookkeeping.
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/kmem.h>
#include <kern/libkern.h>
#include <kern/lock.h>
#include <net/if.h>
#include <net/route.h>

struct rtentry {
	uint32_t	 rt_dst, rt_mask;
	int		 rt_plen;
	uint32_t	 rt_gateway;
	uint32_t	 rt_src;
	struct ifnet	*rt_ifp;
	int		 rt_flags;
	int		 rt_metric;
	struct rtentry	*rt_next;
};

static krwlock_t rt_lock;
static struct rtentry *rt_list;

uint32_t
rt_mask4(int plen)
{
	uint32_t host;

	host = plen <= 0 ? 0 : plen >= 32 ? 0xffffffffu :
	    ~(0xffffffffu >> plen);
	/* To network order without depending on the host's. */
	return __builtin_bswap32(1) == 1 ? host : __builtin_bswap32(host);
}

void
rt_init(void)
{

	rw_init(&rt_lock);
}

int
rt_add4(uint32_t dst, int plen, uint32_t gateway, struct ifnet *ifp,
    int flags, int metric, uint32_t src)
{
	struct rtentry *rt, **pp;
	uint32_t mask;

	if (plen < 0 || plen > 32 || ifp == NULL)
		return EINVAL;
	mask = rt_mask4(plen);
	if ((dst & ~mask) != 0)
		return EINVAL;
	rt = kmem_zalloc(sizeof(*rt), KM_SLEEP);
	if (rt == NULL)
		return ENOMEM;
	rt->rt_dst = dst;
	rt->rt_mask = mask;
	rt->rt_plen = plen;
	rt->rt_gateway = gateway;
	rt->rt_src = src;
	rt->rt_ifp = ifp;
	rt->rt_flags = flags | RTF_UP | (gateway != 0 ? RTF_GATEWAY : 0) |
	    (plen == 32 ? RTF_HOST : 0);
	rt->rt_metric = metric;

	rw_enter(&rt_lock, RW_WRITER);
	for (pp = &rt_list; *pp != NULL; pp = &(*pp)->rt_next) {
		struct rtentry *o = *pp;

		if (o->rt_dst == dst && o->rt_plen == plen &&
		    o->rt_gateway == gateway && o->rt_ifp == ifp) {
			rw_exit(&rt_lock);
			kmem_free(rt, sizeof(*rt));
			return EEXIST;
		}
	}
	/* Behind longer prefixes, and behind equal ones of lower or
	 * equal metric: the oldest of equals wins. */
	for (pp = &rt_list; *pp != NULL; pp = &(*pp)->rt_next) {
		if ((*pp)->rt_plen < plen ||
		    ((*pp)->rt_plen == plen && (*pp)->rt_metric > metric))
			break;
	}
	rt->rt_next = *pp;
	*pp = rt;
	rw_exit(&rt_lock);
	return 0;
}

int
rt_del4(uint32_t dst, int plen, uint32_t gateway, struct ifnet *ifp)
{
	struct rtentry *rt, **pp;

	rw_enter(&rt_lock, RW_WRITER);
	for (pp = &rt_list; (rt = *pp) != NULL; pp = &rt->rt_next) {
		if (rt->rt_dst == dst && rt->rt_plen == plen &&
		    (gateway == 0 || rt->rt_gateway == gateway) &&
		    (ifp == NULL || rt->rt_ifp == ifp)) {
			*pp = rt->rt_next;
			rw_exit(&rt_lock);
			kmem_free(rt, sizeof(*rt));
			return 0;
		}
	}
	rw_exit(&rt_lock);
	return ESRCH;
}

void
rt_purge_if(struct ifnet *ifp)
{
	struct rtentry *rt, **pp, *dead = NULL;

	rw_enter(&rt_lock, RW_WRITER);
	for (pp = &rt_list; (rt = *pp) != NULL;) {
		if (rt->rt_ifp == ifp) {
			*pp = rt->rt_next;
			rt->rt_next = dead;
			dead = rt;
		} else
			pp = &rt->rt_next;
	}
	rw_exit(&rt_lock);
	while ((rt = dead) != NULL) {
		dead = rt->rt_next;
		kmem_free(rt, sizeof(*rt));
	}
}

int
rt_lookup4(uint32_t dst, struct rtresult *res)
{
	struct rtentry *rt;
	int error = ENETUNREACH;

	rw_enter(&rt_lock, RW_READER);
	for (rt = rt_list; rt != NULL; rt = rt->rt_next) {
		if ((dst & rt->rt_mask) != rt->rt_dst)
			continue;
		/* A route through a downed interface is skipped, so a
		 * backup route of a shorter prefix can take over. */
		if (!(if_flags_get(rt->rt_ifp) & IFF_UP)) {
			error = EHOSTUNREACH;
			continue;
		}
		res->rt_ifp = rt->rt_ifp;
		res->rt_nexthop = (rt->rt_flags & RTF_GATEWAY) ?
		    rt->rt_gateway : dst;
		res->rt_src = rt->rt_src;
		res->rt_flags = rt->rt_flags;
		error = 0;
		break;
	}
	rw_exit(&rt_lock);
	return error;
}
