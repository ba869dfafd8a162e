/*
 * nd6.c: neighbour discovery for IPv6 over Ethernet (RFC 4861): address
 * resolution with neighbour solicitations and advertisements, the
 * neighbour cache and its states (INCOMPLETE, REACHABLE, STALE, DELAY,
 * PROBE; section 7.3), answering solicitations for our addresses, and
 * the probes of duplicate address detection (RFC 4862 5.4).
 *
 * A resolution that fails (three solicitations a second apart go
 * unanswered) drops the packets that waited, each answered with an
 * ICMPv6 address unreachable to its sender as Linux does, so a local
 * connect() learns EHOSTUNREACH.  Routers and prefixes (router
 * solicitations and advertisements) are nd6_rtr.c's; redirects are
 * ignored.
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/kmem.h>
#include <kern/libkern.h>
#include <kern/lock.h>
#include <kern/clock.h>

#include "in6_var.h"

#define ND6_MAXHOLD	16
#define ND6_MAXENTRIES	256
#define ND6_STALE_GC_NS	(1200ULL * 1000000000)	/* unused STALE entries */

#define ND_OPT_SOURCE_LINKADDR	1
#define ND_OPT_TARGET_LINKADDR	2

#define ND_NA_FLAG_ROUTER	0x80
#define ND_NA_FLAG_SOLICITED	0x40
#define ND_NA_FLAG_OVERRIDE	0x20

/* NS and NA: the ICMPv6 header, then the target. */
struct nd_msg {
	struct icmp6_hdr nd_hdr;
	struct in6_addr	 nd_target;
} __attribute__((__packed__, __aligned__(4)));

enum nd6_state {
	ND6_INCOMPLETE, ND6_REACHABLE, ND6_STALE, ND6_DELAY, ND6_PROBE
};

struct nd6_entry {
	struct in6_addr	 ln_addr;
	struct ifnet	*ln_ifp;
	uint8_t		 ln_hw[ETHER_ADDR_LEN];
	enum nd6_state	 ln_state;
	uint64_t	 ln_expire;	/* REACHABLE, DELAY, STALE (gc) */
	uint64_t	 ln_nextask;	/* INCOMPLETE, PROBE */
	int		 ln_asked;
	struct mbufq	 ln_hold;
	struct nd6_entry *ln_next;
};

static kmutex_t nd6_lock;
static struct nd6_entry *nd6_table;
static int nd6_count;
static struct callout nd6_timer;

static void
nd6_timer_kick(void)
{

	if (!callout_pending(&nd6_timer))
		callout_schedule_ns(&nd6_timer, ND6_RETRANS_NS);
}

/* --- Output ------------------------------------------------------------- */

void
nd6_ns_output(struct ifnet *ifp, const struct in6_addr *src,
    const struct in6_addr *target, const uint8_t *unicast_hw)
{
	struct nd_msg *ns;
	struct in6_addr dst;
	struct mbuf *m;
	size_t len = sizeof(*ns) + (src != NULL ? 8 : 0);
	uint8_t *opt;

	m = m_get(len);
	if (m == NULL)
		return;
	ns = (struct nd_msg *)(void *)m->m_data;
	memset(ns, 0, sizeof(*ns));
	ns->nd_hdr.icmp6_type = ND_NEIGHBOR_SOLICIT;
	ns->nd_target = *target;
	if (src != NULL) {
		/* Our link-layer address, so the target can answer. */
		opt = m->m_data + sizeof(*ns);
		opt[0] = ND_OPT_SOURCE_LINKADDR;
		opt[1] = 1;
		memcpy(opt + 2, ifp->if_hwaddr, ETHER_ADDR_LEN);
	}
	if (unicast_hw != NULL)
		dst = *target;
	else
		in6_solicited_node(target, &dst);
	(void)ip6_output(m, src != NULL ? src : &in6addr_any, &dst,
	    (uint32_t)ifp->if_index, IPPROTO_ICMPV6, 255, 0);
}

/* A solicitation from ifp's best source for dst (NULL: any). */
static void
nd6_solicit(struct ifnet *ifp, const struct in6_addr *hint,
    const struct in6_addr *target, const uint8_t *unicast_hw)
{
	struct in6_addr src;

	if (hint != NULL && in6_addr_state(hint, ifp) == IN6_ADDR_USABLE &&
	    in6_addr_ifp(hint) == ifp)
		src = *hint;
	else if (in6_select_src(target, ifp, &src) != 0)
		return;		/* no usable address yet (DAD running) */
	nd6_ns_output(ifp, &src, target, unicast_hw);
}

static void
nd6_na_output(struct ifnet *ifp, const struct in6_addr *dst,
    const struct in6_addr *target, int flags)
{
	struct nd_msg *na;
	struct mbuf *m;
	uint8_t *opt;

	m = m_get(sizeof(*na) + 8);
	if (m == NULL)
		return;
	na = (struct nd_msg *)(void *)m->m_data;
	memset(na, 0, sizeof(*na));
	na->nd_hdr.icmp6_type = ND_NEIGHBOR_ADVERT;
	na->nd_hdr.icmp6_dataun.data8[0] = (uint8_t)flags;
	na->nd_target = *target;
	opt = m->m_data + sizeof(*na);
	opt[0] = ND_OPT_TARGET_LINKADDR;
	opt[1] = 1;
	memcpy(opt + 2, ifp->if_hwaddr, ETHER_ADDR_LEN);
	(void)ip6_output(m, target, dst, (uint32_t)ifp->if_index,
	    IPPROTO_ICMPV6, 255, 0);
}

void
nd6_na_announce(struct ifnet *ifp, const struct in6_addr *addr)
{
	struct in6_addr allnodes;

	memset(&allnodes, 0, sizeof(allnodes));
	allnodes.s6_addr[0] = 0xff;
	allnodes.s6_addr[1] = 0x02;
	allnodes.s6_addr[15] = 0x01;
	nd6_na_output(ifp, &allnodes, addr, ND_NA_FLAG_OVERRIDE);
}

/* --- The cache ---------------------------------------------------------- */

/* nd6_lock held. */
static struct nd6_entry *
nd6_lookup(struct ifnet *ifp, const struct in6_addr *addr)
{
	struct nd6_entry *ln;

	for (ln = nd6_table; ln != NULL; ln = ln->ln_next)
		if (ln->ln_ifp == ifp && in6_equal(&ln->ln_addr, addr))
			return ln;
	return NULL;
}

/* nd6_lock held; NULL when full or out of memory. */
static struct nd6_entry *
nd6_create(struct ifnet *ifp, const struct in6_addr *addr)
{
	struct nd6_entry *ln;

	if (nd6_count >= ND6_MAXENTRIES)
		return NULL;
	ln = kmem_zalloc(sizeof(*ln), KM_NOSLEEP);
	if (ln == NULL)
		return NULL;
	ln->ln_addr = *addr;
	ln->ln_ifp = ifp;
	ln->ln_state = ND6_INCOMPLETE;
	mbufq_init(&ln->ln_hold, ND6_MAXHOLD);
	ln->ln_next = nd6_table;
	nd6_table = ln;
	nd6_count++;
	return ln;
}

/* Takes the packets waiting on ln (nd6_lock held). */
static struct mbuf *
nd6_take_held(struct nd6_entry *ln)
{
	struct mbuf *held = ln->ln_hold.mq_head;

	ln->ln_hold.mq_head = ln->ln_hold.mq_tail = NULL;
	ln->ln_hold.mq_len = 0;
	return held;
}

static void
nd6_send_held(struct ifnet *ifp, struct mbuf *held, const uint8_t *hw)
{
	struct mbuf *n;

	for (; held != NULL; held = n) {
		n = held->m_nextpkt;
		held->m_nextpkt = NULL;
		(void)ether_output_frame(ifp, held, hw, ETHERTYPE_IPV6);
	}
}

static int
nd6_resolve(struct ifnet *ifp, struct mbuf *m, const void *nexthop,
    uint8_t *hw)
{
	struct in6_addr addr, hint;
	struct nd6_entry *ln;
	uint64_t now;
	bool ask = false;
	int error;

	memcpy(&addr, nexthop, sizeof(addr));
	if (in6_is_multicast(&addr)) {
		/* RFC 2464 7: 33:33 and the group's last 32 bits. */
		hw[0] = 0x33;
		hw[1] = 0x33;
		memcpy(hw + 2, &addr.s6_addr[12], 4);
		return 0;
	}
	now = getmonotonic_ns();
	mutex_enter(&nd6_lock);
	ln = nd6_lookup(ifp, &addr);
	if (ln != NULL && ln->ln_state != ND6_INCOMPLETE) {
		memcpy(hw, ln->ln_hw, ETHER_ADDR_LEN);
		if (ln->ln_state == ND6_REACHABLE && ln->ln_expire <= now)
			ln->ln_state = ND6_STALE;
		if (ln->ln_state == ND6_STALE) {
			/* Used while stale: confirm it soon (7.3.3). */
			ln->ln_state = ND6_DELAY;
			ln->ln_expire = now + ND6_DELAY_NS;
			mutex_exit(&nd6_lock);
			nd6_timer_kick();
			return 0;
		}
		mutex_exit(&nd6_lock);
		return 0;
	}
	if (ln == NULL && (ln = nd6_create(ifp, &addr)) == NULL) {
		mutex_exit(&nd6_lock);
		m_free(m);
		return ENOBUFS;
	}
	/* The source of the first waiting packet is the best source for
	 * the solicitation (7.2.2). */
	if (m->m_len >= sizeof(struct ip6_hdr))
		hint = ((struct ip6_hdr *)(void *)m->m_data)->ip6_src;
	else
		hint = in6addr_any;
	error = mbufq_enqueue(&ln->ln_hold, m);
	if (ln->ln_asked == 0) {
		ln->ln_asked = 1;
		ln->ln_nextask = now + ND6_RETRANS_NS;
		ask = true;
	}
	mutex_exit(&nd6_lock);
	if (ask) {
		nd6_solicit(ifp, &hint, &addr, NULL);
		nd6_timer_kick();
	}
	return error == 0 ? EINPROGRESS : ENOBUFS;
}

static void
nd6_tick(void *arg)
{
	struct nd6_entry *ln, **pp;
	struct {
		struct ifnet	*ifp;
		struct in6_addr	 addr;
		uint8_t		 hw[ETHER_ADDR_LEN];
		bool		 unicast;
	} ask[16];
	struct mbuf *failed = NULL, *held, *n;
	int nask = 0;
	uint64_t now = getmonotonic_ns();
	bool again = false;

	(void)arg;
	mutex_enter(&nd6_lock);
	for (pp = &nd6_table; (ln = *pp) != NULL;) {
		bool drop = false;

		switch (ln->ln_state) {
		case ND6_INCOMPLETE:
		case ND6_PROBE:
			if (ln->ln_nextask > now) {
				again = true;
				break;
			}
			if (ln->ln_asked >= ND6_MAX_SOLICIT) {
				/* Unreachable: what waited fails. */
				held = nd6_take_held(ln);
				while (held != NULL) {
					n = held->m_nextpkt;
					held->m_nextpkt = failed;
					failed = held;
					held = n;
				}
				drop = true;
				break;
			}
			if (nask < (int)__arraycount(ask)) {
				ln->ln_asked++;
				ln->ln_nextask = now + ND6_RETRANS_NS;
				ask[nask].ifp = ln->ln_ifp;
				ask[nask].addr = ln->ln_addr;
				memcpy(ask[nask].hw, ln->ln_hw, ETHER_ADDR_LEN);
				ask[nask].unicast = ln->ln_state == ND6_PROBE;
				nask++;
			}
			again = true;
			break;
		case ND6_DELAY:
			if (ln->ln_expire <= now) {
				/* Not confirmed: probe it directly. */
				ln->ln_state = ND6_PROBE;
				ln->ln_asked = 0;
				ln->ln_nextask = now;
			}
			again = true;
			break;
		case ND6_REACHABLE:
		case ND6_STALE:
			if (ln->ln_expire + ND6_STALE_GC_NS <= now)
				drop = true;
			else
				again = true;
			break;
		}
		if (drop) {
			*pp = ln->ln_next;
			mbufq_purge(&ln->ln_hold);
			kmem_free(ln, sizeof(*ln));
			nd6_count--;
			continue;
		}
		pp = &ln->ln_next;
	}
	mutex_exit(&nd6_lock);
	for (int i = 0; i < nask; i++)
		nd6_solicit(ask[i].ifp, NULL, &ask[i].addr,
		    ask[i].unicast ? ask[i].hw : NULL);
	for (; failed != NULL; failed = n) {
		n = failed->m_nextpkt;
		failed->m_nextpkt = NULL;
		/* The packet still has its IPv6 header (no link header
		 * yet): tell its sender, which is this host. */
		icmp6_error(failed, ICMP6_DST_UNREACH,
		    ICMP6_DST_UNREACH_ADDR, 0);
	}
	if (again)
		callout_schedule_ns(&nd6_timer, ND6_RETRANS_NS / 2);
}

void
nd6_purge_if(struct ifnet *ifp)
{
	struct nd6_entry *ln, **pp;

	mutex_enter(&nd6_lock);
	for (pp = &nd6_table; (ln = *pp) != NULL;) {
		if (ln->ln_ifp == ifp) {
			*pp = ln->ln_next;
			mbufq_purge(&ln->ln_hold);
			kmem_free(ln, sizeof(*ln));
			nd6_count--;
		} else
			pp = &ln->ln_next;
	}
	mutex_exit(&nd6_lock);
}

/* --- Input -------------------------------------------------------------- */

/* The link-layer address option of type want in opts, or NULL; false
 * when an option is malformed (the message must be dropped). */
static bool
nd6_options(const uint8_t *opts, size_t len, int want, const uint8_t **hw)
{

	*hw = NULL;
	while (len > 0) {
		size_t olen;

		if (len < 2)
			return false;
		olen = (size_t)opts[1] * 8;
		if (olen == 0 || olen > len)
			return false;
		if (opts[0] == want && olen >= 8)
			*hw = opts + 2;
		opts += olen;
		len -= olen;
	}
	return true;
}

/* Hop limit 255 and code 0: the message came from this link (7.1). */
static bool
nd6_valid(const struct mbuf *m, int off, size_t len)
{
	const struct ip6_hdr *ip6 = (const struct ip6_hdr *)(const void *)
	    m->m_data;
	const struct nd_msg *nd = (const struct nd_msg *)(const void *)
	    (m->m_data + off);

	return m->m_rcvif != NULL && m->m_rcvif->if_type == IFT_ETHER &&
	    ip6->ip6_hlim == 255 && len >= sizeof(*nd) &&
	    nd->nd_hdr.icmp6_code == 0 && !in6_is_multicast(&nd->nd_target);
}

void
nd6_cache_update(struct ifnet *ifp, const struct in6_addr *addr,
    const uint8_t *hw)
{
	struct nd6_entry *ln;
	struct mbuf *held = NULL;

	mutex_enter(&nd6_lock);
	ln = nd6_lookup(ifp, addr);
	if (ln == NULL)
		ln = nd6_create(ifp, addr);
	if (ln != NULL && (ln->ln_state == ND6_INCOMPLETE ||
	    memcmp(ln->ln_hw, hw, ETHER_ADDR_LEN) != 0)) {
		memcpy(ln->ln_hw, hw, ETHER_ADDR_LEN);
		ln->ln_state = ND6_STALE;
		ln->ln_expire = getmonotonic_ns();
		ln->ln_asked = 0;
		held = nd6_take_held(ln);
	}
	mutex_exit(&nd6_lock);
	nd6_send_held(ifp, held, hw);
	nd6_timer_kick();
}

void
nd6_ns_input(struct mbuf *m, int off, size_t len)
{
	const struct ip6_hdr *ip6 = (const struct ip6_hdr *)(void *)m->m_data;
	const struct nd_msg *ns = (const struct nd_msg *)(void *)
	    (m->m_data + off);
	struct ifnet *ifp = m->m_rcvif;
	struct in6_addr target, src, allnodes;
	const uint8_t *slla;
	uint8_t hw[ETHER_ADDR_LEN];
	bool dad;
	int st;

	if (!nd6_valid(m, off, len) ||
	    !nd6_options(m->m_data + off + sizeof(*ns), len - sizeof(*ns),
	    ND_OPT_SOURCE_LINKADDR, &slla))
		goto drop;
	target = ns->nd_target;
	src = ip6->ip6_src;
	dad = in6_is_unspecified(&src);
	/* DAD probes go to the solicited-node group, without SLLA. */
	if (dad && (!in6_is_multicast(&ip6->ip6_dst) || slla != NULL))
		goto drop;
	st = in6_addr_state(&target, ifp);
	if (st == IN6_ADDR_NONE || in6_addr_ifp(&target) != ifp)
		goto drop;
	if (st == IN6_ADDR_TENTATIVE) {
		/* Someone else is trying the same address (5.4.3). */
		if (dad)
			in6_dad_duplicated(ifp, &target);
		goto drop;
	}
	if (st == IN6_ADDR_DUPLICATED)
		goto drop;
	if (dad) {
		/* Defend our address: tell everyone (7.2.4). */
		memset(&allnodes, 0, sizeof(allnodes));
		allnodes.s6_addr[0] = 0xff;
		allnodes.s6_addr[1] = 0x02;
		allnodes.s6_addr[15] = 0x01;
		m_free(m);
		nd6_na_output(ifp, &allnodes, &target, ND_NA_FLAG_OVERRIDE);
		return;
	}
	/* Learn the asker, so that the answer needs no resolution. */
	if (slla != NULL) {
		memcpy(hw, slla, ETHER_ADDR_LEN);
		nd6_cache_update(ifp, &src, hw);
	}
	m_free(m);
	nd6_na_output(ifp, &src, &target,
	    ND_NA_FLAG_SOLICITED | ND_NA_FLAG_OVERRIDE);
	return;
drop:
	m_free(m);
}

void
nd6_na_input(struct mbuf *m, int off, size_t len)
{
	const struct ip6_hdr *ip6 = (const struct ip6_hdr *)(void *)m->m_data;
	const struct nd_msg *na = (const struct nd_msg *)(void *)
	    (m->m_data + off);
	struct ifnet *ifp = m->m_rcvif;
	struct in6_addr target;
	struct nd6_entry *ln;
	struct mbuf *held = NULL;
	const uint8_t *tlla;
	uint8_t hw[ETHER_ADDR_LEN], flags;
	bool solicited, override, changed;
	int st;

	if (!nd6_valid(m, off, len) ||
	    !nd6_options(m->m_data + off + sizeof(*na), len - sizeof(*na),
	    ND_OPT_TARGET_LINKADDR, &tlla))
		goto drop;
	flags = na->nd_hdr.icmp6_dataun.data8[0];
	solicited = (flags & ND_NA_FLAG_SOLICITED) != 0;
	override = (flags & ND_NA_FLAG_OVERRIDE) != 0;
	if (solicited && in6_is_multicast(&ip6->ip6_dst))
		goto drop;
	target = na->nd_target;
	st = in6_addr_state(&target, ifp);
	if (st == IN6_ADDR_TENTATIVE && in6_addr_ifp(&target) == ifp) {
		/* Our tentative address is someone's already (5.4.4). */
		in6_dad_duplicated(ifp, &target);
		goto drop;
	}
	if (st == IN6_ADDR_USABLE && in6_addr_ifp(&target) == ifp)
		goto drop;	/* someone claims ours: keep it (5.4.4) */
	if (tlla != NULL)
		memcpy(hw, tlla, ETHER_ADDR_LEN);
	mutex_enter(&nd6_lock);
	ln = nd6_lookup(ifp, &target);
	if (ln == NULL) {
		mutex_exit(&nd6_lock);
		goto drop;	/* unsolicited for a stranger: ignored */
	}
	if (ln->ln_state == ND6_INCOMPLETE) {
		if (tlla == NULL) {
			mutex_exit(&nd6_lock);
			goto drop;
		}
		memcpy(ln->ln_hw, hw, ETHER_ADDR_LEN);
		ln->ln_state = solicited ? ND6_REACHABLE : ND6_STALE;
		ln->ln_expire = getmonotonic_ns() + ND6_REACHABLE_NS;
		ln->ln_asked = 0;
		held = nd6_take_held(ln);
	} else {
		changed = tlla != NULL &&
		    memcmp(ln->ln_hw, hw, ETHER_ADDR_LEN) != 0;
		if (!override && changed) {
			if (ln->ln_state == ND6_REACHABLE)
				ln->ln_state = ND6_STALE;
		} else {
			if (changed)
				memcpy(ln->ln_hw, hw, ETHER_ADDR_LEN);
			if (solicited) {
				ln->ln_state = ND6_REACHABLE;
				ln->ln_expire = getmonotonic_ns() +
				    ND6_REACHABLE_NS;
				ln->ln_asked = 0;
			} else if (changed)
				ln->ln_state = ND6_STALE;
		}
		memcpy(hw, ln->ln_hw, ETHER_ADDR_LEN);
	}
	mutex_exit(&nd6_lock);
	nd6_send_held(ifp, held, hw);
	nd6_timer_kick();
drop:
	m_free(m);
}

void
nd6_init(void)
{

	mutex_init(&nd6_lock, MUTEX_DEFAULT);
	callout_init(&nd6_timer, nd6_tick, NULL);
	ether_resolver_register(AF_INET6, nd6_resolve);
}
