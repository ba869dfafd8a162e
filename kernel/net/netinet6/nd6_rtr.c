/*
 * nd6_rtr.c: routers and prefixes in neighbour discovery.
 *
 * As a host (every Ethernet interface that does not advertise): router
 * solicitations when the link comes up (RFC 4861 6.3.7: at most three,
 * four seconds apart, the first after a random delay of up to a second
 * past the link-local address's DAD), and router advertisements
 * processed as 6.3.4 says: the default router list (a ::/0 route through
 * each router, removed when its lifetime ends or an advertisement says
 * 0), on-link prefixes (a route to the prefix for its valid lifetime),
 * the MTU option, the source link-layer address option (the neighbour
 * cache), and stateless address autoconfiguration (RFC 4862 5.5.3): a
 * prefix of 64 bits with the autonomous flag gives the address prefix +
 * the interface's modified EUI-64, with DAD, deprecated when its
 * preferred lifetime ends and removed when its valid lifetime ends
 * (the two-hour rule of 5.5.3 e guards it against short lifetimes in
 * forged advertisements).  The advertisement's hop limit, reachable
 * time and retransmission timer are not applied (the kernel's values
 * are global constants), nor the M and O flags (no DHCPv6).
 *
 * As a router (rump_netconfig_ipv6_ra): advertisements on the interface
 * (6.2): unsolicited ones, the first three at most 16 s apart, then every
 * interval; answers to solicitations (6.2.6: at most one every 3 s);
 * the prefix information, MTU and source link-layer address options; a
 * router lifetime of 0 while forwarding is off (6.2.2: only a
 * forwarding node may be a default router); a last advertisement with
 * lifetime 0 when it stops (6.2.5).
 *
 * One timer ticks every 250 ms while something has a deadline.  Lock:
 * nd6r_lock, taken after nothing else and held over no call out of this
 * file.
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/kmem.h>
#include <kern/libkern.h>
#include <kern/lock.h>
#include <kern/clock.h>
#include <net/route.h>

#include "in6_var.h"

#define NS			1000000000ULL
#define TICK_NS			(NS / 4)
#define MAX_RTR_SOLICITATIONS	3
#define RTR_SOLICIT_INTERVAL	(4 * NS)
#define MAX_INITIAL_ADVERTS	3
#define MAX_INITIAL_ADV_INTERVAL (16 * NS)
#define MIN_DELAY_BETWEEN_RAS	(3 * NS)
#define TWO_HOURS_NS		(7200 * NS)
#define LIFE_INFINITE		0xffffffffu

#define ND_OPT_SOURCE_LINKADDR	1
#define ND_OPT_PREFIX_INFO	3
#define ND_OPT_MTU		5
#define ND_PI_ONLINK		0x80
#define ND_PI_AUTO		0x40

#define MAX_ROUTERS		8
#define MAX_PREFIXES		16

/* Per interface: the host's solicitations, the router's advertising. */
struct nd6_ifinfo {
	struct ifnet	*ni_ifp;
	uint32_t	 ni_linkmtu;	/* from an advertisement; 0: none
					 * (atomic: read without the lock) */
	int		 ni_rs_sent;
	uint64_t	 ni_rs_next;	/* 0: none due */
	bool		 ni_adv;
	struct nd6_ra_cfg ni_cfg;
	int		 ni_adv_sent;
	uint64_t	 ni_adv_next;
	uint64_t	 ni_adv_last;
	struct nd6_ifinfo *ni_next;
};

struct nd6_router {
	struct ifnet	*dr_ifp;
	struct in6_addr	 dr_addr;
	uint64_t	 dr_expire;
};

struct nd6_prefix {
	struct ifnet	*pr_ifp;
	struct in6_addr	 pr_prefix;
	int		 pr_plen;
	uint64_t	 pr_expire;	/* 0: for ever */
};

static kmutex_t nd6r_lock;
static struct nd6_ifinfo *nd6r_ifs;
static struct nd6_router nd6r_routers[MAX_ROUTERS];
static int nd6r_nrouters;
static struct nd6_prefix nd6r_prefixes[MAX_PREFIXES];
static int nd6r_nprefixes;
static struct callout nd6r_timer;
static bool nd6r_lifetimes;	/* some address has a finite lifetime */

static const struct in6_addr allnodes = { .u6.u6_addr8 = {
	0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 } };
static const struct in6_addr allrouters = { .u6.u6_addr8 = {
	0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 } };

static void
nd6r_kick(void)
{

	if (!callout_pending(&nd6r_timer))
		callout_schedule_ns(&nd6r_timer, TICK_NS);
}

/* nd6r_lock held; create: make one when there is none (NULL when out of
 * memory). */
static struct nd6_ifinfo *
nd6r_if(struct ifnet *ifp, bool create)
{
	struct nd6_ifinfo *ni;

	for (ni = nd6r_ifs; ni != NULL; ni = ni->ni_next)
		if (ni->ni_ifp == ifp)
			return ni;
	if (!create || (ni = kmem_zalloc(sizeof(*ni), KM_NOSLEEP)) == NULL)
		return NULL;
	ni->ni_ifp = ifp;
	ni->ni_next = nd6r_ifs;
	/* in6_if_mtu() glances at it without the lock. */
	__atomic_store_n(&nd6r_ifs, ni, __ATOMIC_RELEASE);
	return ni;
}

bool
nd6_is_advertising(struct ifnet *ifp)
{
	struct nd6_ifinfo *ni;
	bool adv;

	mutex_enter(&nd6r_lock);
	ni = nd6r_if(ifp, false);
	adv = ni != NULL && ni->ni_adv;
	mutex_exit(&nd6r_lock);
	return adv;
}

int
in6_if_mtu(struct ifnet *ifp)
{
	struct nd6_ifinfo *ni;
	uint32_t linkmtu = 0;
	int mtu = if_mtu_get(ifp);

	/* On every packet's way out: no lock.  Entries are never freed
	 * and are complete before they are published. */
	for (ni = __atomic_load_n(&nd6r_ifs, __ATOMIC_ACQUIRE); ni != NULL;
	    ni = ni->ni_next)
		if (ni->ni_ifp == ifp) {
			linkmtu = __atomic_load_n(&ni->ni_linkmtu,
			    __ATOMIC_RELAXED);
			break;
		}
	if (linkmtu != 0 && (int)linkmtu < mtu)
		mtu = (int)linkmtu;
	return mtu;
}

/* --- Output ------------------------------------------------------------- */

static void
nd6_rs_output(struct ifnet *ifp)
{
	struct icmp6_hdr *rs;
	struct in6_addr src;
	struct mbuf *m;
	bool have_src;
	size_t len;

	/* From the link-local address once DAD let it be used, with our
	 * link address; before that from :: without it (4861 4.1). */
	have_src = in6_linklocal_of(ifp, &src, true) == 0;
	len = sizeof(*rs) + (have_src ? 8 : 0);
	if ((m = m_get(len)) == NULL)
		return;
	memset(m->m_data, 0, len);
	rs = (struct icmp6_hdr *)(void *)m->m_data;
	rs->icmp6_type = ND_ROUTER_SOLICIT;
	if (have_src) {
		m->m_data[sizeof(*rs)] = ND_OPT_SOURCE_LINKADDR;
		m->m_data[sizeof(*rs) + 1] = 1;
		memcpy(m->m_data + sizeof(*rs) + 2, ifp->if_hwaddr,
		    ETHER_ADDR_LEN);
	}
	(void)ip6_output(m, have_src ? &src : &in6addr_any, &allrouters,
	    (uint32_t)ifp->if_index, IPPROTO_ICMPV6, 255, 0);
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* One advertisement of cfg on ifp to all nodes (lifetime: the router
 * lifetime to say); false when it could not go (no usable link-local
 * address yet). */
static bool
nd6_ra_output(struct ifnet *ifp, const struct nd6_ra_cfg *cfg,
    uint16_t lifetime)
{
	struct in6_addr src;
	struct mbuf *m;
	uint8_t *p;
	size_t len = 16 + 8 + (cfg->mtu != 0 ? 8 : 0) +
	    (cfg->plen >= 0 ? 32 : 0);

	/* Advertisements come from the link-local address (6.1.2). */
	if (in6_linklocal_of(ifp, &src, true) != 0)
		return false;
	if ((m = m_get(len)) == NULL)
		return true;
	p = m->m_data;
	memset(p, 0, len);
	p[0] = ND_ROUTER_ADVERT;
	p[4] = IPV6_DEFHLIM;			/* cur hop limit */
	p[6] = (uint8_t)(lifetime >> 8);
	p[7] = (uint8_t)lifetime;
	/* Reachable time and retrans timer 0: unspecified. */
	p += 16;
	p[0] = ND_OPT_SOURCE_LINKADDR;
	p[1] = 1;
	memcpy(p + 2, ifp->if_hwaddr, ETHER_ADDR_LEN);
	p += 8;
	if (cfg->mtu != 0) {
		p[0] = ND_OPT_MTU;
		p[1] = 1;
		put32(p + 4, cfg->mtu);
		p += 8;
	}
	if (cfg->plen >= 0) {
		p[0] = ND_OPT_PREFIX_INFO;
		p[1] = 4;
		p[2] = (uint8_t)cfg->plen;
		p[3] = ND_PI_ONLINK | ND_PI_AUTO;
		put32(p + 4, cfg->valid_s);
		put32(p + 8, cfg->preferred_s);
		memcpy(p + 16, &cfg->prefix, 16);
	}
	(void)ip6_output(m, &src, &allnodes, (uint32_t)ifp->if_index,
	    IPPROTO_ICMPV6, 255, 0);
	return true;
}

/* The router lifetime ifp advertises now. */
static uint16_t
nd6_ra_lifetime(const struct nd6_ra_cfg *cfg)
{

	return __atomic_load_n(&ip6_forwarding, __ATOMIC_RELAXED) ?
	    cfg->lifetime_s : 0;
}

/* When the next unsolicited advertisement goes (nd6r_lock held). */
static uint64_t
nd6_adv_next(const struct nd6_ifinfo *ni, uint64_t now)
{
	uint64_t ival = (uint64_t)ni->ni_cfg.interval_s * NS;

	if (ni->ni_adv_sent < MAX_INITIAL_ADVERTS &&
	    ival > MAX_INITIAL_ADV_INTERVAL)
		ival = MAX_INITIAL_ADV_INTERVAL;
	/* Jitter: between 3/4 and all of the interval (6.2.4). */
	return now + ival - (ival / 4) * (cprng32() % 1024) / 1024;
}

int
nd6_ra_config(struct ifnet *ifp, const struct nd6_ra_cfg *cfg)
{
	struct nd6_ifinfo *ni;
	struct nd6_ra_cfg last;
	bool was;

	if (ifp->if_type != IFT_ETHER)
		return EOPNOTSUPP;
	if (cfg != NULL && (cfg->plen > 128 || (cfg->plen >= 0 &&
	    cfg->preferred_s > cfg->valid_s) || cfg->interval_s < 4 ||
	    cfg->interval_s > 1800 || (cfg->mtu != 0 && (cfg->mtu <
	    IPV6_MINMTU || (int)cfg->mtu > if_mtu_get(ifp)))))
		return EINVAL;
	mutex_enter(&nd6r_lock);
	if ((ni = nd6r_if(ifp, cfg != NULL)) == NULL) {
		mutex_exit(&nd6r_lock);
		return cfg != NULL ? ENOMEM : 0;
	}
	was = ni->ni_adv;
	last = ni->ni_cfg;
	if (cfg != NULL) {
		ni->ni_cfg = *cfg;
		ni->ni_adv = true;
		ni->ni_rs_next = 0;	/* a router does not solicit */
		/* New (or changed): tell the link now, as a new router
		 * does (6.2.4). */
		ni->ni_adv_sent = 0;
		ni->ni_adv_next = getmonotonic_ns();
	} else
		ni->ni_adv = false;
	mutex_exit(&nd6r_lock);
	if (cfg == NULL && was) {
		last.mtu = 0;
		(void)nd6_ra_output(ifp, &last, 0);
	}
	nd6r_kick();
	return 0;
}

/* --- Host: processing advertisements ------------------------------------ */

/* The default router addr on ifp says lifetime seconds. */
static void
nd6_router_update(struct ifnet *ifp, const struct in6_addr *addr,
    uint16_t lifetime, uint64_t now)
{
	struct nd6_router *dr = NULL;
	bool add = false, del = false;
	int i;

	mutex_enter(&nd6r_lock);
	for (i = 0; i < nd6r_nrouters; i++)
		if (nd6r_routers[i].dr_ifp == ifp &&
		    in6_equal(&nd6r_routers[i].dr_addr, addr)) {
			dr = &nd6r_routers[i];
			break;
		}
	if (lifetime == 0 && dr != NULL) {
		nd6r_routers[i] = nd6r_routers[--nd6r_nrouters];
		del = true;
	} else if (lifetime != 0) {
		if (dr == NULL && nd6r_nrouters < MAX_ROUTERS) {
			dr = &nd6r_routers[nd6r_nrouters++];
			dr->dr_ifp = ifp;
			dr->dr_addr = *addr;
			add = true;
		}
		if (dr != NULL)
			dr->dr_expire = now + (uint64_t)lifetime * NS;
	}
	mutex_exit(&nd6r_lock);
	if (del)
		(void)rt6_del_gw(&in6addr_any, 0, addr, ifp);
	if (add) {
		int error = rt6_add(&in6addr_any, 0, addr, ifp, 0);

		if (error != 0 && error != EEXIST) {
			/* No route, no router: forget it. */
			nd6_router_update(ifp, addr, 0, now);
		}
	}
}

/* An on-link prefix (valid lifetime valid seconds; 0: gone). */
static void
nd6_prefix_onlink(struct ifnet *ifp, const struct in6_addr *prefix,
    int plen, uint32_t valid, uint64_t now)
{
	struct nd6_prefix *pr = NULL;
	bool add = false, del = false;
	int i;

	mutex_enter(&nd6r_lock);
	for (i = 0; i < nd6r_nprefixes; i++)
		if (nd6r_prefixes[i].pr_ifp == ifp &&
		    nd6r_prefixes[i].pr_plen == plen &&
		    in6_equal(&nd6r_prefixes[i].pr_prefix, prefix)) {
			pr = &nd6r_prefixes[i];
			break;
		}
	if (valid == 0 && pr != NULL) {
		nd6r_prefixes[i] = nd6r_prefixes[--nd6r_nprefixes];
		del = true;
	} else if (valid != 0) {
		if (pr == NULL && nd6r_nprefixes < MAX_PREFIXES) {
			pr = &nd6r_prefixes[nd6r_nprefixes++];
			pr->pr_ifp = ifp;
			pr->pr_prefix = *prefix;
			pr->pr_plen = plen;
			add = true;
		}
		if (pr != NULL)
			pr->pr_expire = valid == LIFE_INFINITE ? 0 :
			    now + (uint64_t)valid * NS;
	}
	mutex_exit(&nd6r_lock);
	if (del)
		(void)rt6_del(prefix, plen, ifp);
	if (add)
		(void)rt6_add(prefix, plen, NULL, ifp, RTF_CONNECTED);
}

/* Stateless autoconfiguration from a prefix (RFC 4862 5.5.3). */
static void
nd6_prefix_autoconf(struct ifnet *ifp, const struct in6_addr *prefix,
    int plen, uint32_t valid, uint32_t preferred, uint64_t now)
{
	struct in6_addr a;
	uint64_t vexp, pexp, remaining, vns;

	/* (c): the interface identifier is 64 bits long. */
	if (plen != 64)
		return;
	a = *prefix;
	in6_ifid(ifp, &a);
	vns = (uint64_t)valid * NS;
	pexp = preferred == LIFE_INFINITE ? 0 : now + (uint64_t)preferred * NS;
	if (in6_addr_life_get(ifp, &a, &vexp) != 0) {
		/* (d): a new address, unless the lifetime is 0. */
		if (valid == 0)
			return;
		if (in6_addr_add(ifp, &a, plen, IN6_IFF_AUTOCONF) != 0)
			return;
		vexp = valid == LIFE_INFINITE ? 0 : now + vns;
	} else {
		/* (e): the two-hour rule. */
		remaining = vexp == 0 ? UINT64_MAX : vexp > now ?
		    vexp - now : 0;
		if (valid == LIFE_INFINITE)
			vexp = 0;
		else if (vns > TWO_HOURS_NS || vns > remaining)
			vexp = now + vns;
		else if (remaining <= TWO_HOURS_NS)
			;	/* keep it */
		else
			vexp = now + TWO_HOURS_NS;
	}
	(void)in6_addr_life_set(ifp, &a, vexp, pexp);
	mutex_enter(&nd6r_lock);
	nd6r_lifetimes = true;
	mutex_exit(&nd6r_lock);
}

/* Hop limit 255, code 0, from this link (6.1). */
static bool
nd6_rtr_valid(const struct mbuf *m, int off, size_t len, size_t minlen)
{
	const struct ip6_hdr *ip6 = (const struct ip6_hdr *)(const void *)
	    m->m_data;

	return m->m_rcvif != NULL && m->m_rcvif->if_type == IFT_ETHER &&
	    ip6->ip6_hlim == 255 && len >= minlen &&
	    m->m_data[off + 1] == 0;
}

void
nd6_ra_input(struct mbuf *m, int off, size_t len)
{
	const struct ip6_hdr *ip6 = (const struct ip6_hdr *)(void *)m->m_data;
	struct ifnet *ifp = m->m_rcvif;
	struct nd6_ifinfo *ni;
	struct {
		struct in6_addr	prefix;
		int		plen, flags;
		uint32_t	valid, preferred;
	} pi[4];
	struct in6_addr src;
	const uint8_t *p, *slla = NULL;
	uint8_t hw[ETHER_ADDR_LEN];
	uint64_t now = getmonotonic_ns();
	uint32_t mtu = 0;
	uint16_t lifetime;
	size_t o;
	int npi = 0;

	/* 6.1.2: a link-local source, at least 16 bytes, options of
	 * non-zero length. */
	if (!nd6_rtr_valid(m, off, len, 16) ||
	    !in6_is_linklocal(&ip6->ip6_src))
		goto drop;
	p = m->m_data + off;
	src = ip6->ip6_src;
	lifetime = (uint16_t)(p[6] << 8 | p[7]);
	for (o = 16; o < len; ) {
		size_t olen;

		if (len - o < 2 || (olen = (size_t)p[o + 1] * 8) == 0 ||
		    olen > len - o)
			goto drop;
		switch (p[o]) {
		case ND_OPT_SOURCE_LINKADDR:
			slla = p + o + 2;
			break;
		case ND_OPT_MTU:
			mtu = get32(p + o + 4);
			break;
		case ND_OPT_PREFIX_INFO:
			if (olen != 32 || p[o + 2] > 128 ||
			    npi == (int)__arraycount(pi))
				break;
			pi[npi].plen = p[o + 2];
			pi[npi].flags = p[o + 3];
			pi[npi].valid = get32(p + o + 4);
			pi[npi].preferred = get32(p + o + 8);
			memcpy(&pi[npi].prefix, p + o + 16, 16);
			npi++;
			break;
		}
		o += olen;
	}
	if (slla != NULL)
		memcpy(hw, slla, ETHER_ADDR_LEN);
	m_free(m);

	mutex_enter(&nd6r_lock);
	ni = nd6r_if(ifp, true);
	if (ni != NULL && ni->ni_adv) {
		/* A router only checks others' advertisements (6.2.7). */
		mutex_exit(&nd6r_lock);
		return;
	}
	if (ni != NULL) {
		ni->ni_rs_next = 0;	/* heard a router: enough asking */
		/* 6.3.4: an MTU the link can carry, not below IPv6's. */
		if (mtu >= IPV6_MINMTU && (int)mtu <= if_mtu_get(ifp))
			__atomic_store_n(&ni->ni_linkmtu, mtu,
			    __ATOMIC_RELAXED);
	}
	mutex_exit(&nd6r_lock);
	if (slla != NULL)
		nd6_cache_update(ifp, &src, hw);
	nd6_router_update(ifp, &src, lifetime, now);
	for (int i = 0; i < npi; i++) {
		struct in6_addr pfx;

		if (in6_is_linklocal(&pi[i].prefix) ||
		    in6_is_multicast(&pi[i].prefix) ||
		    pi[i].preferred > pi[i].valid)
			continue;
		/* Only the prefix's bits. */
		memset(&pfx, 0, sizeof(pfx));
		for (int b = 0; b < pi[i].plen; b++)
			if (pi[i].prefix.s6_addr[b / 8] & (0x80 >> (b % 8)))
				pfx.s6_addr[b / 8] |= (uint8_t)(0x80 >> (b % 8));
		if (pi[i].flags & ND_PI_ONLINK)
			nd6_prefix_onlink(ifp, &pfx, pi[i].plen, pi[i].valid,
			    now);
		if (pi[i].flags & ND_PI_AUTO)
			nd6_prefix_autoconf(ifp, &pfx, pi[i].plen,
			    pi[i].valid, pi[i].preferred, now);
	}
	nd6r_kick();
	return;
drop:
	m_free(m);
}

/* --- Router: answering solicitations ------------------------------------ */

void
nd6_rs_input(struct mbuf *m, int off, size_t len)
{
	const struct ip6_hdr *ip6 = (const struct ip6_hdr *)(void *)m->m_data;
	struct ifnet *ifp = m->m_rcvif;
	struct nd6_ifinfo *ni;
	struct in6_addr src;
	const uint8_t *p, *slla = NULL;
	uint8_t hw[ETHER_ADDR_LEN];
	uint64_t now = getmonotonic_ns(), at;
	size_t o;

	if (!nd6_rtr_valid(m, off, len, 8))
		goto drop;
	p = m->m_data + off;
	src = ip6->ip6_src;
	for (o = 8; o < len; ) {
		size_t olen;

		if (len - o < 2 || (olen = (size_t)p[o + 1] * 8) == 0 ||
		    olen > len - o)
			goto drop;
		if (p[o] == ND_OPT_SOURCE_LINKADDR)
			slla = p + o + 2;
		o += olen;
	}
	/* From :: there is no link address to learn (6.1.1). */
	if (in6_is_unspecified(&src) && slla != NULL)
		goto drop;
	if (slla != NULL)
		memcpy(hw, slla, ETHER_ADDR_LEN);
	m_free(m);
	mutex_enter(&nd6r_lock);
	ni = nd6r_if(ifp, false);
	if (ni == NULL || !ni->ni_adv) {
		mutex_exit(&nd6r_lock);
		return;
	}
	/* 6.2.6: soon (up to half a second, random), but not sooner than
	 * 3 s after the last multicast advertisement. */
	at = now + (NS / 2) * (cprng32() % 1024) / 1024;
	if (ni->ni_adv_last != 0 && at < ni->ni_adv_last +
	    MIN_DELAY_BETWEEN_RAS)
		at = ni->ni_adv_last + MIN_DELAY_BETWEEN_RAS;
	if (at < ni->ni_adv_next)
		ni->ni_adv_next = at;
	mutex_exit(&nd6r_lock);
	if (slla != NULL && !in6_is_unspecified(&src))
		nd6_cache_update(ifp, &src, hw);
	nd6r_kick();
	return;
drop:
	m_free(m);
}

/* --- Links and the timer ------------------------------------------------ */

void
nd6_rtr_link(struct ifnet *ifp, bool up)
{
	struct nd6_ifinfo *ni;
	struct nd6_router gone[MAX_ROUTERS];
	int ngone = 0;
	uint64_t now = getmonotonic_ns();

	if (ifp->if_type != IFT_ETHER)
		return;
	mutex_enter(&nd6r_lock);
	ni = nd6r_if(ifp, up);
	if (up && ni != NULL) {
		if (ni->ni_adv) {
			/* Advertise again, once the link-local address
			 * passed DAD. */
			ni->ni_adv_sent = 0;
			ni->ni_adv_next = now + ND6_RETRANS_NS + NS / 4;
		} else {
			/* 6.3.7: after DAD of the link-local address and a
			 * random delay of up to a second. */
			ni->ni_rs_sent = 0;
			ni->ni_rs_next = now + ND6_RETRANS_NS + NS / 4 +
			    NS * (cprng32() % 1024) / 1024;
		}
	}
	if (!up) {
		if (ni != NULL)
			ni->ni_rs_next = 0;
		/* Routers of a link that went down are forgotten. */
		for (int i = 0; i < nd6r_nrouters; )
			if (nd6r_routers[i].dr_ifp == ifp) {
				gone[ngone++] = nd6r_routers[i];
				nd6r_routers[i] = nd6r_routers[--nd6r_nrouters];
			} else
				i++;
	}
	mutex_exit(&nd6r_lock);
	for (int i = 0; i < ngone; i++)
		(void)rt6_del_gw(&in6addr_any, 0, &gone[i].dr_addr, ifp);
	nd6r_kick();
}

static void
nd6r_tick(void *arg)
{
	struct nd6_ifinfo *ni;
	struct nd6_router rgone[MAX_ROUTERS];
	struct nd6_prefix pgone[MAX_PREFIXES];
	struct ifnet *rs[8];
	struct {
		struct ifnet		*ifp;
		struct nd6_ra_cfg	 cfg;
	} ra[8];
	int nrgone = 0, npgone = 0, nrs = 0, nra = 0;
	uint64_t now = getmonotonic_ns();
	bool again, lifetimes;

	(void)arg;
	mutex_enter(&nd6r_lock);
	for (int i = 0; i < nd6r_nrouters; )
		if (nd6r_routers[i].dr_expire <= now) {
			rgone[nrgone++] = nd6r_routers[i];
			nd6r_routers[i] = nd6r_routers[--nd6r_nrouters];
		} else
			i++;
	for (int i = 0; i < nd6r_nprefixes; )
		if (nd6r_prefixes[i].pr_expire != 0 &&
		    nd6r_prefixes[i].pr_expire <= now) {
			pgone[npgone++] = nd6r_prefixes[i];
			nd6r_prefixes[i] = nd6r_prefixes[--nd6r_nprefixes];
		} else
			i++;
	again = nd6r_nrouters > 0 || nd6r_nprefixes > 0;
	for (ni = nd6r_ifs; ni != NULL; ni = ni->ni_next) {
		bool up = (if_flags_get(ni->ni_ifp) & IFF_UP) != 0;

		if (ni->ni_rs_next != 0 && up && ni->ni_rs_next <= now &&
		    nrs < (int)__arraycount(rs)) {
			rs[nrs++] = ni->ni_ifp;
			ni->ni_rs_next = ++ni->ni_rs_sent <
			    MAX_RTR_SOLICITATIONS ? now + RTR_SOLICIT_INTERVAL :
			    0;
		}
		if (ni->ni_adv && up && ni->ni_adv_next <= now &&
		    nra < (int)__arraycount(ra)) {
			ra[nra].ifp = ni->ni_ifp;
			ra[nra].cfg = ni->ni_cfg;
			nra++;
			ni->ni_adv_sent++;
			ni->ni_adv_last = now;
			ni->ni_adv_next = nd6_adv_next(ni, now);
		}
		if (ni->ni_rs_next != 0 || ni->ni_adv)
			again = true;
	}
	lifetimes = nd6r_lifetimes;
	mutex_exit(&nd6r_lock);

	for (int i = 0; i < nrgone; i++)
		(void)rt6_del_gw(&in6addr_any, 0, &rgone[i].dr_addr,
		    rgone[i].dr_ifp);
	for (int i = 0; i < npgone; i++)
		(void)rt6_del(&pgone[i].pr_prefix, pgone[i].pr_plen,
		    pgone[i].pr_ifp);
	for (int i = 0; i < nrs; i++)
		nd6_rs_output(rs[i]);
	for (int i = 0; i < nra; i++) {
		if (nd6_ra_output(ra[i].ifp, &ra[i].cfg,
		    nd6_ra_lifetime(&ra[i].cfg)))
			continue;
		/* DAD of the link-local address still runs: again at the
		 * next tick, not counted. */
		mutex_enter(&nd6r_lock);
		if ((ni = nd6r_if(ra[i].ifp, false)) != NULL && ni->ni_adv) {
			ni->ni_adv_sent--;
			ni->ni_adv_next = now + TICK_NS;
		}
		mutex_exit(&nd6r_lock);
	}
	if (lifetimes) {
		lifetimes = in6_addr_age(now);
		mutex_enter(&nd6r_lock);
		nd6r_lifetimes = lifetimes;
		mutex_exit(&nd6r_lock);
	}
	if (again || lifetimes)
		callout_schedule_ns(&nd6r_timer, TICK_NS);
}

void
nd6_rtr_init(void)
{

	mutex_init(&nd6r_lock, MUTEX_DEFAULT);
	callout_init(&nd6r_timer, nd6r_tick, NULL);
}
