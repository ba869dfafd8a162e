/*
 * dhcp.c: a DHCP client (RFC 2131, options RFC 2132) for
 * rump_netconfig_dhcp(): DISCOVER, OFFER, REQUEST, ACK on one Ethernet
 * interface, then the lease applied: the address with the offered
 * subnet mask, and the first router as the default route.
 *
 * Before it has an address the client cannot use a socket (IPv4 has no
 * source for it), so it builds its messages whole (IPv4 from 0.0.0.0 to
 * 255.255.255.255, UDP 68 -> 67) and hands them to the link layer, and
 * asks servers to broadcast their answers (the BROADCAST flag), which
 * udp_input() passes to dhcp_input() before looking for a socket.
 * Retransmission: every second, doubling to at most 4 s (RFC 2131
 * 4.1 suggests 4 s doubling; shorter here because the caller bounds the
 * whole exchange); a NAK starts over.  Lease renewal (T1/T2) is the
 * caller's: call again before the lease ends.
 */
#include <kern/types.h>
#include <kern/clock.h>
#include <kern/errno.h>
#include <kern/kmem.h>
#include <kern/libkern.h>
#include <kern/lock.h>
#include <rump/rump.h>
#include <rump/rump_netconfig.h>

#include "in_var.h"

#define DHCP_SPORT	67
#define DHCP_CPORT	68
#define DHCP_COOKIE	0x63825363u

/* Message types (option 53). */
#define DHCPDISCOVER	1
#define DHCPOFFER	2
#define DHCPREQUEST	3
#define DHCPACK		5
#define DHCPNAK		6

/* Options. */
#define OPT_PAD		0
#define OPT_MASK	1
#define OPT_ROUTER	3
#define OPT_DNS		6
#define OPT_REQADDR	50
#define OPT_LEASE	51
#define OPT_MSGTYPE	53
#define OPT_SERVERID	54
#define OPT_PARAMS	55
#define OPT_END		255

/* The fixed part of a BOOTP/DHCP message (RFC 2131 2). */
struct dhcp_msg {
	uint8_t		op, htype, hlen, hops;
	uint32_t	xid;
	uint16_t	secs, flags;
	uint32_t	ciaddr, yiaddr, siaddr, giaddr;
	uint8_t		chaddr[16];
	uint8_t		sname[64];
	uint8_t		file[128];
	uint32_t	cookie;
	uint8_t		options[312];
} __attribute__((__packed__));

#define DHCP_FIXED	(sizeof(struct dhcp_msg) - 312)

/* What an OFFER or ACK said. */
struct dhcp_reply {
	int		type;
	uint32_t	yiaddr;
	uint32_t	server, mask, router, dns, lease;
	bool		has_mask;
};

/* The one exchange waiting per interface, found by dhcp_input(). */
struct dhcp_wait {
	struct dhcp_wait *w_next;
	struct ifnet	*w_ifp;
	uint32_t	 w_xid;
	bool		 w_got;
	struct dhcp_reply w_reply;
	int		 w_want;	/* DHCPOFFER, or DHCPACK (or NAK) */
};

static kmutex_t dhcp_lock;
static kcondvar_t dhcp_cv;
static struct dhcp_wait *dhcp_waiting;

void
dhcp_init(void)
{

	mutex_init(&dhcp_lock, MUTEX_DEFAULT);
	cv_init(&dhcp_cv);
}

/* Parses the options of a message of len bytes into r: false when it
 * is malformed or not DHCP. */
static bool
dhcp_parse(const struct dhcp_msg *d, size_t len, struct dhcp_reply *r)
{
	const uint8_t *p = d->options, *end = (const uint8_t *)d + len;

	memset(r, 0, sizeof(*r));
	if (len < DHCP_FIXED + 4 || d->op != 2 || ntohl(d->cookie) !=
	    DHCP_COOKIE)
		return false;
	r->yiaddr = d->yiaddr;
	while (p < end && *p != OPT_END) {
		uint8_t code = *p++, olen;

		if (code == OPT_PAD)
			continue;
		if (p >= end || (size_t)(end - p) < 1u + *p)
			return false;
		olen = *p++;
		switch (code) {
		case OPT_MSGTYPE:
			if (olen >= 1)
				r->type = p[0];
			break;
		case OPT_MASK:
			if (olen >= 4) {
				memcpy(&r->mask, p, 4);
				r->has_mask = true;
			}
			break;
		case OPT_ROUTER:
			if (olen >= 4)
				memcpy(&r->router, p, 4);
			break;
		case OPT_DNS:
			if (olen >= 4)
				memcpy(&r->dns, p, 4);
			break;
		case OPT_SERVERID:
			if (olen >= 4)
				memcpy(&r->server, p, 4);
			break;
		case OPT_LEASE:
			if (olen >= 4) {
				memcpy(&r->lease, p, 4);
				r->lease = ntohl(r->lease);
			}
			break;
		}
		p += olen;
	}
	return r->type != 0;
}

/*
 * From udp_input(): a datagram to port 68, m_data at the IP header of
 * hlen bytes, the UDP header and its checksum checked.  Takes it (and
 * frees m) when an exchange on the receiving interface waits for it.
 */
bool
dhcp_input(struct mbuf *m, int hlen)
{
	const struct dhcp_msg *d;
	struct dhcp_reply r;
	struct dhcp_wait *w;
	size_t len = m->m_len - (size_t)hlen - sizeof(struct udphdr);
	bool taken = false;

	/* An unlocked glance first, so that port 68's ordinary traffic
	 * takes no lock (atomic: dhcp_run() sets it under the lock). */
	if (__atomic_load_n(&dhcp_waiting, __ATOMIC_RELAXED) == NULL ||
	    len < DHCP_FIXED + 4)
		return false;
	d = (const struct dhcp_msg *)(const void *)(m->m_data + hlen +
	    sizeof(struct udphdr));
	mutex_enter(&dhcp_lock);
	for (w = dhcp_waiting; w != NULL; w = w->w_next) {
		if (w->w_ifp != m->m_rcvif || w->w_xid != d->xid ||
		    memcmp(d->chaddr, w->w_ifp->if_hwaddr, ETHER_ADDR_LEN))
			continue;
		/* Ours either way: no socket needs it. */
		taken = true;
		if (!w->w_got && dhcp_parse(d, len, &r) &&
		    (r.type == w->w_want ||
		    (w->w_want == DHCPACK && r.type == DHCPNAK))) {
			w->w_reply = r;
			w->w_got = true;
			cv_broadcast(&dhcp_cv);
		}
		break;
	}
	mutex_exit(&dhcp_lock);
	if (taken)
		m_free(m);
	return taken;
}

static uint8_t *
opt_put(uint8_t *p, uint8_t code, const void *val, uint8_t len)
{
	*p++ = code;
	*p++ = len;
	memcpy(p, val, len);
	return p + len;
}

/* Broadcasts one client message of type (with the requested address and
 * server for a REQUEST). */
static int
dhcp_send(struct ifnet *ifp, uint32_t xid, uint16_t secs, int type,
    uint32_t reqaddr, uint32_t server)
{
	static const uint8_t params[] = { OPT_MASK, OPT_ROUTER, OPT_DNS,
	    OPT_LEASE };
	struct mbuf *m;
	struct ip *ip;
	struct udphdr *uh;
	struct dhcp_msg *d;
	uint8_t *p, t = (uint8_t)type;
	size_t dlen = sizeof(*d), len;

	len = sizeof(*ip) + sizeof(*uh) + dlen;
	if ((m = m_get(len)) == NULL)
		return ENOBUFS;
	memset(m->m_data, 0, len);
	ip = (struct ip *)(void *)m->m_data;
	uh = (struct udphdr *)(void *)(ip + 1);
	d = (struct dhcp_msg *)(void *)(uh + 1);
	d->op = 1;
	d->htype = 1;
	d->hlen = ETHER_ADDR_LEN;
	d->xid = xid;
	d->secs = htons(secs);
	d->flags = htons(0x8000);	/* BROADCAST: we have no address */
	memcpy(d->chaddr, ifp->if_hwaddr, ETHER_ADDR_LEN);
	d->cookie = htonl(DHCP_COOKIE);
	p = d->options;
	p = opt_put(p, OPT_MSGTYPE, &t, 1);
	if (type == DHCPREQUEST) {
		p = opt_put(p, OPT_REQADDR, &reqaddr, 4);
		p = opt_put(p, OPT_SERVERID, &server, 4);
	}
	p = opt_put(p, OPT_PARAMS, params, sizeof(params));
	*p = OPT_END;

	uh->uh_sport = htons(DHCP_CPORT);
	uh->uh_dport = htons(DHCP_SPORT);
	uh->uh_ulen = htons((uint16_t)(sizeof(*uh) + dlen));
	uh->uh_sum = in_cksum_fold(in_cksum_add(in_pseudo(INADDR_ANY,
	    INADDR_BROADCAST, IPPROTO_UDP, (uint16_t)(sizeof(*uh) + dlen)),
	    uh, sizeof(*uh) + dlen));
	if (uh->uh_sum == 0)
		uh->uh_sum = 0xffff;
	ip->ip_vhl = 4 << 4 | sizeof(*ip) >> 2;
	ip->ip_len = htons((uint16_t)len);
	ip->ip_ttl = 64;
	ip->ip_p = IPPROTO_UDP;
	ip->ip_src = INADDR_ANY;
	ip->ip_dst = INADDR_BROADCAST;
	ip->ip_sum = in_cksum_fold(in_cksum_add(0, ip, sizeof(*ip)));
	return ether_output_frame(ifp, m, etherbroadcastaddr, ETHERTYPE_IP);
}

/*
 * Sends type until a reply of the type w waits for comes or deadline
 * (monotonic ns) passes: 0 or ETIMEDOUT.
 */
static int
dhcp_exchange(struct dhcp_wait *w, int type, uint32_t reqaddr,
    uint32_t server, uint64_t start, uint64_t deadline)
{
	uint64_t wait_ns = 1000000000ULL, now, until;
	bool got;
	int error;

	for (;;) {
		now = getmonotonic_ns();
		if (now >= deadline)
			return ETIMEDOUT;
		error = dhcp_send(w->w_ifp, w->w_xid,
		    (uint16_t)MIN((now - start) / 1000000000ULL, 0xffff), type,
		    reqaddr, server);
		if (error != 0 && error != ENOBUFS)
			return error;
		until = MIN(now + wait_ns, deadline);
		mutex_enter(&dhcp_lock);
		while (!w->w_got && (now = getmonotonic_ns()) < until)
			(void)cv_timedwait_ns(&dhcp_cv, &dhcp_lock,
			    until - now);
		/* Read under the lock: dhcp_input() may set it (and
		 * w_reply) the moment the lock is free.  Once set, neither
		 * changes until the caller resets w_got under the lock. */
		got = w->w_got;
		mutex_exit(&dhcp_lock);
		if (got)
			return 0;
		wait_ns = MIN(wait_ns * 2, 4000000000ULL);
	}
}

static void
dhcp_unwait(struct dhcp_wait *w)
{
	struct dhcp_wait **pp;

	mutex_enter(&dhcp_lock);
	for (pp = &dhcp_waiting; *pp != NULL; pp = &(*pp)->w_next)
		if (*pp == w) {
			__atomic_store_n(pp, w->w_next, __ATOMIC_RELAXED);
			break;
		}
	mutex_exit(&dhcp_lock);
}

static int
mask_plen(uint32_t mask)
{
	uint32_t h = ntohl(mask), inv = ~h;
	int plen = 0;

	if ((inv & (inv + 1)) != 0)
		return -1;
	while (plen < 32 && (h & (0x80000000u >> plen)))
		plen++;
	return plen;
}

static void
ntoa(uint32_t a, char *buf)
{
	const uint8_t *b = (const uint8_t *)&a;

	if (a == 0)
		buf[0] = '\0';
	else
		snprintf(buf, 16, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
}

/* The whole exchange on ifp, the lease applied; called scheduled. */
static int
dhcp_run(struct ifnet *ifp, int timeout_ms, struct rump_dhcp_lease *lease)
{
	struct dhcp_wait w;
	struct dhcp_reply offer, ack;
	uint64_t start = getmonotonic_ns(), deadline;
	struct dhcp_wait *o;
	int error, plen, naks = 0;

	if (ifp->if_type != IFT_ETHER)
		return EOPNOTSUPP;
	if (!(if_flags_get(ifp) & IFF_UP))
		return ENETDOWN;
	deadline = start + (uint64_t)timeout_ms * 1000000ULL;
	memset(&w, 0, sizeof(w));
	w.w_ifp = ifp;
	mutex_enter(&dhcp_lock);
	for (o = dhcp_waiting; o != NULL; o = o->w_next)
		if (o->w_ifp == ifp) {
			mutex_exit(&dhcp_lock);
			return EBUSY;
		}
	w.w_next = dhcp_waiting;
	__atomic_store_n(&dhcp_waiting, &w, __ATOMIC_RELAXED);
	mutex_exit(&dhcp_lock);

again:
	mutex_enter(&dhcp_lock);
	w.w_xid = cprng32();
	w.w_got = false;
	w.w_want = DHCPOFFER;
	mutex_exit(&dhcp_lock);
	if ((error = dhcp_exchange(&w, DHCPDISCOVER, 0, 0, start,
	    deadline)) != 0)
		goto out;
	offer = w.w_reply;
	if (offer.yiaddr == INADDR_ANY || offer.server == INADDR_ANY) {
		error = EPROTO;
		goto out;
	}
	mutex_enter(&dhcp_lock);
	w.w_got = false;
	w.w_want = DHCPACK;
	mutex_exit(&dhcp_lock);
	if ((error = dhcp_exchange(&w, DHCPREQUEST, offer.yiaddr,
	    offer.server, start, deadline)) != 0)
		goto out;
	ack = w.w_reply;
	if (ack.type == DHCPNAK) {
		/* The offer went to someone else meanwhile: start over
		 * (bounded: a server that always refuses is an error). */
		if (++naks < 4)
			goto again;
		error = ECONNREFUSED;
		goto out;
	}
	if (!ack.has_mask) {
		ack.mask = offer.has_mask ? offer.mask :
		    htonl(0xffffff00u);
	}
	if ((plen = mask_plen(ack.mask)) < 0 || ack.yiaddr == INADDR_ANY) {
		error = EPROTO;
		goto out;
	}
	if (ack.server == INADDR_ANY)
		ack.server = offer.server;

	/* The lease: the address with its prefix, then the default
	 * route through the first router. */
	error = in_addr_add(ifp, ack.yiaddr, plen);
	if (error == EEXIST)
		error = 0;
	if (error == 0 && ack.router != INADDR_ANY) {
		(void)rt_del4(INADDR_ANY, 0, 0, NULL);
		error = rt_add4(INADDR_ANY, 0, ack.router, ifp, 0, 0, 0);
	}
	if (error == 0 && lease != NULL) {
		memset(lease, 0, sizeof(*lease));
		ntoa(ack.yiaddr, lease->addr);
		lease->prefixlen = plen;
		ntoa(ack.router, lease->router);
		ntoa(ack.server, lease->server);
		ntoa(ack.dns, lease->dns);
		lease->lease_s = ack.lease;
	}
out:
	dhcp_unwait(&w);
	return error;
}

int
rump_netconfig_dhcp(const char *ifname, int timeout_ms,
    struct rump_dhcp_lease *lease)
{
	struct ifnet *ifp;
	int error;

	if (timeout_ms <= 0)
		return EINVAL;
	rump_schedule();
	ifp = if_find_byname(ifname);
	error = ifp == NULL ? ENXIO : dhcp_run(ifp, timeout_ms, lease);
	rump_unschedule();
	return error;
}
