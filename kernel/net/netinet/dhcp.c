/*
 * dhcp.c: a DHCP client (RFC 2131, options RFC 2132) for
 * rump_netconfig_dhcp(): DISCOVER, OFFER, REQUEST, ACK on one Ethernet
 * interface, the lease applied (the address with the offered subnet
 * mask, the first router as the default route), and then kept for as
 * long as the kernel runs (RFC 2131 4.4.5), by a kernel thread per
 * interface:
 *
 *   BOUND     until T1 (option 58, else half the lease);
 *   RENEWING  REQUEST unicast to the server that gave the lease, until
 *             T2 (option 59, else 7/8 of the lease);
 *   REBINDING REQUEST broadcast to any server, until the lease ends;
 *   INIT      the lease ended (or a server said NAK): the address and
 *             the default route are gone, and discovery starts over,
 *             for as long as it takes.
 *
 * An ACK in RENEWING or REBINDING extends the lease from the moment its
 * exchange began.  RFC 2131 4.4.5 retransmits a renewal after half the
 * time left to T2 (or the end), at least 60 s; leases of a few seconds
 * (tests) would then never retransmit, so the floor here is 1 s.
 *
 * Before it has an address the client cannot use a socket (IPv4 has no
 * source for it), so it builds its messages whole (IPv4 from 0.0.0.0 to
 * 255.255.255.255, UDP 68 -> 67) and hands them to the link layer, and
 * asks servers to broadcast their answers (the BROADCAST flag), which
 * udp_input() passes to dhcp_input() before looking for a socket.  With
 * an address (renewing) its REQUEST goes through ip_output() to the
 * server, which answers to that address; dhcp_input() takes that too.
 * Retransmission while acquiring: every second, doubling to at most 4 s
 * for the caller of rump_netconfig_dhcp() (RFC 2131 4.1 suggests 4 s
 * doubling; shorter because the caller bounds the whole exchange), to at
 * most 16 s in the background; a NAK starts over.
 */
#include <kern/types.h>
#include <kern/clock.h>
#include <kern/errno.h>
#include <kern/kmem.h>
#include <kern/libkern.h>
#include <kern/lock.h>
#include <kern/proc.h>
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
#define DHCPRELEASE	7

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
#define OPT_T1		58
#define OPT_T2		59
#define OPT_END		255

#define NS		1000000000ULL
#define LEASE_INFINITE	0xffffffffu

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
	uint32_t	server, mask, router, dns, lease, t1, t2;
	bool		has_mask, has_lease, has_t1, has_t2;
};

/*
 * The client of one interface.  The receive fields (c_xid ... c_reply)
 * and everything rump_netconfig_dhcp_status() reads are written under
 * dhcp_lock; the rest belongs to the thread that owns the client (the
 * caller of rump_netconfig_dhcp() while c_busy, else c_thread).
 */
struct dhcp_client {
	struct dhcp_client *c_next;
	struct ifnet	*c_ifp;
	/* Receiving: the exchange waiting, found by dhcp_input(). */
	uint32_t	 c_xid;
	int		 c_want;	/* 0, DHCPOFFER, or DHCPACK (or NAK) */
	bool		 c_got;
	struct dhcp_reply c_reply;
	/* The lease. */
	int		 c_state;	/* RUMP_DHCP_* */
	bool		 c_bound;	/* c_addr is on the interface */
	uint32_t	 c_addr, c_router, c_server, c_dns;
	int		 c_plen;
	uint32_t	 c_lease_s, c_t1_s, c_t2_s;
	uint64_t	 c_start;	/* monotonic ns the lease began */
	uint32_t	 c_renewed, c_rebound, c_expired, c_naks;
	/* Control. */
	bool		 c_busy;	/* rump_netconfig_dhcp() runs on it */
	bool		 c_stop;	/* c_thread: finish */
	struct kthread	*c_thread;
};

static kmutex_t dhcp_lock;
static kcondvar_t dhcp_cv;
static struct dhcp_client *dhcp_clients;

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
	uint32_t v;

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
		if (olen >= 4)
			memcpy(&v, p, 4);
		switch (code) {
		case OPT_MSGTYPE:
			if (olen >= 1)
				r->type = p[0];
			break;
		case OPT_MASK:
			if (olen >= 4) {
				r->mask = v;
				r->has_mask = true;
			}
			break;
		case OPT_ROUTER:
			if (olen >= 4)
				r->router = v;
			break;
		case OPT_DNS:
			if (olen >= 4)
				r->dns = v;
			break;
		case OPT_SERVERID:
			if (olen >= 4)
				r->server = v;
			break;
		case OPT_LEASE:
			if (olen >= 4) {
				r->lease = ntohl(v);
				r->has_lease = true;
			}
			break;
		case OPT_T1:
			if (olen >= 4) {
				r->t1 = ntohl(v);
				r->has_t1 = true;
			}
			break;
		case OPT_T2:
			if (olen >= 4) {
				r->t2 = ntohl(v);
				r->has_t2 = true;
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
 * frees m) when it answers a client of the receiving interface.
 */
bool
dhcp_input(struct mbuf *m, int hlen)
{
	const struct dhcp_msg *d;
	struct dhcp_reply r;
	struct dhcp_client *c;
	size_t len = m->m_len - (size_t)hlen - sizeof(struct udphdr);
	bool taken = false;

	/* An unlocked glance first, so that port 68's ordinary traffic
	 * takes no lock (atomic: clients are added under the lock). */
	if (__atomic_load_n(&dhcp_clients, __ATOMIC_RELAXED) == NULL ||
	    len < DHCP_FIXED + 4)
		return false;
	d = (const struct dhcp_msg *)(const void *)(m->m_data + hlen +
	    sizeof(struct udphdr));
	mutex_enter(&dhcp_lock);
	for (c = dhcp_clients; c != NULL; c = c->c_next) {
		if (c->c_ifp != m->m_rcvif || c->c_xid != d->xid ||
		    memcmp(d->chaddr, c->c_ifp->if_hwaddr, ETHER_ADDR_LEN))
			continue;
		/* Ours either way (a late answer of the last exchange
		 * too): no socket needs it. */
		taken = true;
		if (c->c_want != 0 && !c->c_got && dhcp_parse(d, len, &r) &&
		    (r.type == c->c_want ||
		    (c->c_want == DHCPACK && r.type == DHCPNAK))) {
			c->c_reply = r;
			c->c_got = true;
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

/*
 * Sends one client message of type.  ciaddr: the address we hold
 * (renewing, rebinding, releasing), else 0; reqaddr and server: the
 * requested-address and server-identifier options (0: left out).
 * unicast: to the server through the routing table (we have an address
 * and a route to it), else broadcast on the link.
 */
static int
dhcp_send(struct ifnet *ifp, uint32_t xid, uint16_t secs, int type,
    uint32_t ciaddr, uint32_t reqaddr, uint32_t server, bool unicast)
{
	static const uint8_t params[] = { OPT_MASK, OPT_ROUTER, OPT_DNS,
	    OPT_LEASE, OPT_T1, OPT_T2 };
	struct mbuf *m;
	struct ip *ip;
	struct udphdr *uh;
	struct dhcp_msg *d;
	uint8_t *p, t = (uint8_t)type;
	size_t dlen = sizeof(*d), len;
	uint32_t src = ciaddr, dst = unicast ? server : INADDR_BROADCAST;

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
	/* BROADCAST only while we cannot receive unicast (no address). */
	d->flags = ciaddr == INADDR_ANY ? htons(0x8000) : 0;
	d->ciaddr = ciaddr;
	memcpy(d->chaddr, ifp->if_hwaddr, ETHER_ADDR_LEN);
	d->cookie = htonl(DHCP_COOKIE);
	p = d->options;
	p = opt_put(p, OPT_MSGTYPE, &t, 1);
	if (reqaddr != INADDR_ANY)
		p = opt_put(p, OPT_REQADDR, &reqaddr, 4);
	if (server != INADDR_ANY && !(type == DHCPREQUEST &&
	    ciaddr != INADDR_ANY))
		p = opt_put(p, OPT_SERVERID, &server, 4);
	if (type != DHCPRELEASE)
		p = opt_put(p, OPT_PARAMS, params, sizeof(params));
	*p = OPT_END;

	uh->uh_sport = htons(DHCP_CPORT);
	uh->uh_dport = htons(DHCP_SPORT);
	uh->uh_ulen = htons((uint16_t)(sizeof(*uh) + dlen));
	uh->uh_sum = in_cksum_fold(in_cksum_add(in_pseudo(src, dst,
	    IPPROTO_UDP, (uint16_t)(sizeof(*uh) + dlen)), uh,
	    sizeof(*uh) + dlen));
	if (uh->uh_sum == 0)
		uh->uh_sum = 0xffff;
	if (unicast) {
		/* ip_output() puts the IP header in front. */
		m_adj(m, (long)sizeof(*ip));
		return ip_output(m, src, dst, IPPROTO_UDP, 0, 0, 0);
	}
	ip->ip_vhl = 4 << 4 | sizeof(*ip) >> 2;
	ip->ip_len = htons((uint16_t)len);
	ip->ip_ttl = 64;
	ip->ip_p = IPPROTO_UDP;
	ip->ip_src = src;
	ip->ip_dst = dst;
	ip->ip_sum = in_cksum_fold(in_cksum_add(0, ip, sizeof(*ip)));
	return ether_output_frame(ifp, m, etherbroadcastaddr, ETHERTYPE_IP);
}

/* How an exchange retransmits. */
struct dhcp_xmit {
	int		type;
	uint32_t	ciaddr, reqaddr, server;
	bool		unicast;
	bool		background;	/* send errors are lost packets */
	bool		halving;	/* wait half the time left (4.4.5) */
	uint64_t	maxwait;	/* doubling up to this */
};

/*
 * Sends x until a reply of the type the client waits for comes, the
 * deadline (monotonic ns) passes, or the client is told to stop: 0,
 * ETIMEDOUT, EINTR, or a send error.  A new transaction id for each
 * exchange.
 */
static int
dhcp_exchange(struct dhcp_client *c, const struct dhcp_xmit *x, int want,
    uint64_t start, uint64_t deadline)
{
	uint64_t wait_ns = NS, now, until;
	bool got, stop;
	int error;

	mutex_enter(&dhcp_lock);
	c->c_xid = cprng32();
	c->c_got = false;
	c->c_want = want;
	mutex_exit(&dhcp_lock);
	for (;;) {
		now = getmonotonic_ns();
		if (now >= deadline)
			return ETIMEDOUT;
		error = dhcp_send(c->c_ifp, c->c_xid,
		    (uint16_t)MIN((now - start) / NS, 0xffff), x->type,
		    x->ciaddr, x->reqaddr, x->server, x->unicast);
		if (error != 0 && error != ENOBUFS && !x->background)
			return error;
		if (x->halving)
			wait_ns = MAX((deadline - now) / 2, NS);
		until = MIN(now + wait_ns, deadline);
		mutex_enter(&dhcp_lock);
		while (!c->c_got && !c->c_stop &&
		    (now = getmonotonic_ns()) < until)
			(void)cv_timedwait_ns(&dhcp_cv, &dhcp_lock,
			    until - now);
		/* Read under the lock: dhcp_input() may set it (and
		 * c_reply) the moment the lock is free.  Once set, neither
		 * changes until the next exchange resets c_got. */
		got = c->c_got;
		stop = c->c_stop;
		if (got || stop)
			c->c_want = 0;
		mutex_exit(&dhcp_lock);
		if (got)
			return 0;
		if (stop)
			return EINTR;
		if (!x->halving)
			wait_ns = MIN(wait_ns * 2, x->maxwait);
	}
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

/*
 * DISCOVER, OFFER, REQUEST, ACK until deadline: 0 with the ACK in
 * *ack (mask and server filled in from the offer where the ACK has
 * none), or ETIMEDOUT, EINTR, ECONNREFUSED, EPROTO, a send error.
 * *start: when the REQUEST that got the ACK was first sent.
 */
static int
dhcp_acquire(struct dhcp_client *c, bool background, uint64_t deadline,
    struct dhcp_reply *ack, uint64_t *start)
{
	struct dhcp_xmit x;
	struct dhcp_reply offer;
	uint64_t begin = getmonotonic_ns();
	int error, naks = 0;

	memset(&x, 0, sizeof(x));
	x.background = background;
	x.maxwait = background ? 16 * NS : 4 * NS;
	for (;;) {
		x.type = DHCPDISCOVER;
		x.reqaddr = x.server = 0;
		if ((error = dhcp_exchange(c, &x, DHCPOFFER, begin,
		    deadline)) != 0)
			return error;
		offer = c->c_reply;
		if (offer.yiaddr == INADDR_ANY || offer.server == INADDR_ANY) {
			if (!background)
				return EPROTO;
			continue;	/* a broken server; ask again */
		}
		x.type = DHCPREQUEST;
		x.reqaddr = offer.yiaddr;
		x.server = offer.server;
		*start = getmonotonic_ns();
		if ((error = dhcp_exchange(c, &x, DHCPACK, begin,
		    deadline)) != 0)
			return error;
		*ack = c->c_reply;
		if (ack->type == DHCPNAK) {
			/* The offer went to someone else meanwhile: start
			 * over (bounded for a caller: a server that always
			 * refuses is an error). */
			if (!background && ++naks >= 4)
				return ECONNREFUSED;
			continue;
		}
		if (!ack->has_mask) {
			ack->mask = offer.has_mask ? offer.mask :
			    htonl(0xffffff00u);
		}
		if (ack->server == INADDR_ANY)
			ack->server = offer.server;
		if (!ack->has_lease && offer.has_lease) {
			ack->lease = offer.lease;
			ack->has_lease = true;
		}
		if (mask_plen(ack->mask) < 0 || ack->yiaddr == INADDR_ANY) {
			if (!background)
				return EPROTO;
			continue;
		}
		return 0;
	}
}

/* Takes the address and the default route of the lease away. */
static void
dhcp_unbind(struct dhcp_client *c)
{
	uint32_t addr = c->c_addr, router = c->c_router;
	bool bound = c->c_bound;

	mutex_enter(&dhcp_lock);
	c->c_bound = false;
	c->c_addr = c->c_router = c->c_server = c->c_dns = 0;
	c->c_plen = 0;
	c->c_lease_s = c->c_t1_s = c->c_t2_s = 0;
	c->c_state = RUMP_DHCP_INIT;
	mutex_exit(&dhcp_lock);
	if (!bound)
		return;
	if (router != INADDR_ANY)
		(void)rt_del4(INADDR_ANY, 0, router, c->c_ifp);
	(void)in_addr_del(c->c_ifp, addr);
}

/*
 * Applies ack, which came for an exchange begun at start: the address
 * with its prefix and the default route through the first router, or,
 * for a renewal of the same address, only the new times.  0 or an
 * errno (the lease then is not held).
 */
static int
dhcp_bind(struct dhcp_client *c, const struct dhcp_reply *ack,
    uint64_t start)
{
	uint32_t lease, t1, t2;
	int plen = mask_plen(ack->mask), error = 0;
	bool same = c->c_bound && c->c_addr == ack->yiaddr &&
	    c->c_plen == plen;

	if (c->c_bound && !same)
		dhcp_unbind(c);
	if (!same) {
		error = in_addr_add(c->c_ifp, ack->yiaddr, plen);
		if (error == EEXIST)
			error = 0;
		if (error != 0)
			return error;
	}
	if (ack->router != INADDR_ANY && (!same ||
	    ack->router != c->c_router)) {
		if (same && c->c_router != INADDR_ANY)
			(void)rt_del4(INADDR_ANY, 0, c->c_router, c->c_ifp);
		(void)rt_del4(INADDR_ANY, 0, 0, NULL);
		error = rt_add4(INADDR_ANY, 0, ack->router, c->c_ifp, 0, 0, 0);
		if (error != 0) {
			(void)in_addr_del(c->c_ifp, ack->yiaddr);
			mutex_enter(&dhcp_lock);
			c->c_bound = false;
			mutex_exit(&dhcp_lock);
			return error;
		}
	}
	/* Times (4.4.5): T1 and T2 as the server says when they make
	 * sense (T1 < T2 < lease), else 1/2 and 7/8 of the lease.  No
	 * lease time: an infinite lease, as BOOTP's. */
	lease = ack->has_lease ? ack->lease : LEASE_INFINITE;
	t1 = lease == LEASE_INFINITE ? LEASE_INFINITE : lease / 2;
	t2 = lease == LEASE_INFINITE ? LEASE_INFINITE :
	    (uint32_t)((uint64_t)lease * 7 / 8);
	if (ack->has_t2 && ack->t2 < lease)
		t2 = ack->t2;
	if (ack->has_t1 && ack->t1 < t2)
		t1 = ack->t1;
	if (t1 > t2)
		t1 = t2;
	mutex_enter(&dhcp_lock);
	c->c_bound = true;
	c->c_state = RUMP_DHCP_BOUND;
	c->c_addr = ack->yiaddr;
	c->c_plen = plen;
	c->c_router = ack->router != INADDR_ANY ? ack->router :
	    (same ? c->c_router : 0);
	c->c_server = ack->server;
	c->c_dns = ack->dns;
	c->c_lease_s = lease;
	c->c_t1_s = t1;
	c->c_t2_s = t2;
	c->c_start = start;
	mutex_exit(&dhcp_lock);
	return 0;
}

/* The monotonic time s seconds into the current lease (UINT64_MAX for
 * an infinite one). */
static uint64_t
dhcp_at(const struct dhcp_client *c, uint32_t s)
{

	if (s == LEASE_INFINITE)
		return UINT64_MAX;
	return c->c_start + (uint64_t)s * NS;
}

static void
dhcp_set_state(struct dhcp_client *c, int state)
{

	mutex_enter(&dhcp_lock);
	c->c_state = state;
	mutex_exit(&dhcp_lock);
}

/* Waits until the monotonic time until or a stop: false on a stop. */
static bool
dhcp_sleep_until(struct dhcp_client *c, uint64_t until)
{
	uint64_t now;
	bool stop;

	mutex_enter(&dhcp_lock);
	while (!c->c_stop && (now = getmonotonic_ns()) < until)
		(void)cv_timedwait_ns(&dhcp_cv, &dhcp_lock,
		    until == UINT64_MAX ? 0 : until - now);
	stop = c->c_stop;
	mutex_exit(&dhcp_lock);
	return !stop;
}

/* The kernel thread that keeps the lease of one interface. */
static void
dhcp_thread(void *arg)
{
	struct dhcp_client *c = arg;
	struct dhcp_xmit x;
	struct dhcp_reply ack;
	uint64_t start;
	int error;

	for (;;) {
		if (!c->c_bound) {
			/* INIT: discovery until a server answers. */
			dhcp_set_state(c, RUMP_DHCP_INIT);
			error = dhcp_acquire(c, true, UINT64_MAX, &ack,
			    &start);
			if (error == EINTR)
				return;
			if (error == 0 && dhcp_bind(c, &ack, start) == 0)
				continue;
			/* Cannot apply it (out of memory): a pause, then
			 * again. */
			if (!dhcp_sleep_until(c, getmonotonic_ns() + 4 * NS))
				return;
			continue;
		}
		/* BOUND until T1. */
		if (!dhcp_sleep_until(c, dhcp_at(c, c->c_t1_s)))
			return;
		/* RENEWING, then REBINDING: a REQUEST for the address we
		 * hold, without requested-address or server options. */
		memset(&x, 0, sizeof(x));
		x.type = DHCPREQUEST;
		x.ciaddr = c->c_addr;
		x.server = c->c_server;
		x.background = x.halving = true;
		for (int phase = 0; phase < 2; phase++) {
			x.unicast = phase == 0;
			dhcp_set_state(c, phase == 0 ? RUMP_DHCP_RENEWING :
			    RUMP_DHCP_REBINDING);
			start = getmonotonic_ns();
			error = dhcp_exchange(c, &x, DHCPACK, start,
			    dhcp_at(c, phase == 0 ? c->c_t2_s : c->c_lease_s));
			if (error == EINTR)
				return;
			if (error == 0)
				break;
		}
		if (error != 0) {
			/* The lease ended: stop using the address. */
			mutex_enter(&dhcp_lock);
			c->c_expired++;
			mutex_exit(&dhcp_lock);
			dhcp_unbind(c);
			continue;
		}
		ack = c->c_reply;
		if (ack.type == DHCPNAK || ack.yiaddr != c->c_addr) {
			mutex_enter(&dhcp_lock);
			c->c_naks++;
			mutex_exit(&dhcp_lock);
			dhcp_unbind(c);
			continue;
		}
		if (!ack.has_mask)
			ack.mask = rt_mask4(c->c_plen);
		if (mask_plen(ack.mask) < 0)
			ack.mask = rt_mask4(c->c_plen);
		if (ack.server == INADDR_ANY)
			ack.server = c->c_server;
		mutex_enter(&dhcp_lock);
		if (x.unicast)
			c->c_renewed++;
		else
			c->c_rebound++;
		mutex_exit(&dhcp_lock);
		if (dhcp_bind(c, &ack, start) != 0)
			dhcp_unbind(c);
	}
}

/* The client of ifp, or NULL (dhcp_lock held). */
static struct dhcp_client *
dhcp_find(struct ifnet *ifp)
{
	struct dhcp_client *c;

	for (c = dhcp_clients; c != NULL; c = c->c_next)
		if (c->c_ifp == ifp)
			return c;
	return NULL;
}

/*
 * Takes ifp's client for the caller (c_busy), stopping its thread; with
 * create a new one when there is none.  EBUSY: another caller has it;
 * ENOENT: none (without create); ENOMEM.
 */
static int
dhcp_claim(struct ifnet *ifp, bool create, struct dhcp_client **cp)
{
	struct dhcp_client *c, *n = NULL;
	struct kthread *kt;

	mutex_enter(&dhcp_lock);
	if ((c = dhcp_find(ifp)) == NULL && !create) {
		mutex_exit(&dhcp_lock);
		return ENOENT;
	}
	if (c == NULL) {
		mutex_exit(&dhcp_lock);
		if ((n = kmem_zalloc(sizeof(*n), KM_SLEEP)) == NULL)
			return ENOMEM;
		n->c_ifp = ifp;
		n->c_state = RUMP_DHCP_INIT;
		mutex_enter(&dhcp_lock);
		if ((c = dhcp_find(ifp)) == NULL) {
			c = n;
			n = NULL;
			c->c_next = dhcp_clients;
			__atomic_store_n(&dhcp_clients, c, __ATOMIC_RELAXED);
		}
	}
	if (c->c_busy) {
		mutex_exit(&dhcp_lock);
		if (n != NULL)
			kmem_free(n, sizeof(*n));
		return EBUSY;
	}
	c->c_busy = true;
	c->c_stop = true;
	kt = c->c_thread;
	c->c_thread = NULL;
	cv_broadcast(&dhcp_cv);
	mutex_exit(&dhcp_lock);
	if (n != NULL)
		kmem_free(n, sizeof(*n));
	if (kt != NULL)
		kthread_join(kt);
	mutex_enter(&dhcp_lock);
	c->c_stop = false;
	mutex_exit(&dhcp_lock);
	*cp = c;
	return 0;
}

/* Gives the client back: its thread keeps the lease, or, with none to
 * keep, it goes. */
static void
dhcp_unclaim(struct dhcp_client *c)
{
	struct dhcp_client **pp;
	struct kthread *kt = NULL;

	if (c->c_bound &&
	    kthread_create(dhcp_thread, c, "dhcp", true, &kt) != 0)
		kt = NULL;
	mutex_enter(&dhcp_lock);
	c->c_busy = false;
	c->c_thread = kt;
	if (kt == NULL) {
		for (pp = &dhcp_clients; *pp != NULL; pp = &(*pp)->c_next)
			if (*pp == c) {
				__atomic_store_n(pp, c->c_next,
				    __ATOMIC_RELAXED);
				break;
			}
	}
	mutex_exit(&dhcp_lock);
	if (kt == NULL)
		kmem_free(c, sizeof(*c));
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

/* The lease of c as the API shows it (dhcp_lock held). */
static void
dhcp_lease_of(const struct dhcp_client *c, struct rump_dhcp_lease *lease)
{

	memset(lease, 0, sizeof(*lease));
	ntoa(c->c_addr, lease->addr);
	lease->prefixlen = c->c_plen;
	ntoa(c->c_router, lease->router);
	ntoa(c->c_server, lease->server);
	ntoa(c->c_dns, lease->dns);
	lease->lease_s = c->c_lease_s;
}

/* The whole exchange on ifp, the lease applied and kept; called
 * scheduled. */
static int
dhcp_run(struct ifnet *ifp, int timeout_ms, struct rump_dhcp_lease *lease)
{
	struct dhcp_client *c;
	struct dhcp_reply ack;
	uint64_t start, deadline;
	int error;

	if (ifp->if_type != IFT_ETHER)
		return EOPNOTSUPP;
	if (!(if_flags_get(ifp) & IFF_UP))
		return ENETDOWN;
	deadline = getmonotonic_ns() + (uint64_t)timeout_ms * 1000000ULL;
	if ((error = dhcp_claim(ifp, true, &c)) != 0)
		return error;
	error = dhcp_acquire(c, false, deadline, &ack, &start);
	if (error == 0)
		error = dhcp_bind(c, &ack, start);
	if (error == 0 && lease != NULL) {
		mutex_enter(&dhcp_lock);
		dhcp_lease_of(c, lease);
		mutex_exit(&dhcp_lock);
	}
	/* On failure a lease held from before is kept (and renewed) as
	 * it was. */
	dhcp_unclaim(c);
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

int
rump_netconfig_dhcp_status(const char *ifname, struct rump_dhcp_status *st)
{
	struct dhcp_client *c;
	struct ifnet *ifp;
	uint64_t now, end;
	int error = 0;

	rump_schedule();
	ifp = if_find_byname(ifname);
	if (ifp == NULL)
		error = ENXIO;
	else {
		mutex_enter(&dhcp_lock);
		if ((c = dhcp_find(ifp)) == NULL)
			error = ENOENT;
		else {
			memset(st, 0, sizeof(*st));
			dhcp_lease_of(c, &st->lease);
			st->state = c->c_state;
			st->t1_s = c->c_t1_s;
			st->t2_s = c->c_t2_s;
			st->renewed = c->c_renewed;
			st->rebound = c->c_rebound;
			st->expired = c->c_expired;
			st->naks = c->c_naks;
			if (!c->c_bound)
				st->left_ms = 0;
			else if (c->c_lease_s == LEASE_INFINITE)
				st->left_ms = UINT32_MAX;
			else {
				now = getmonotonic_ns();
				end = dhcp_at(c, c->c_lease_s);
				st->left_ms = end <= now ? 0 :
				    (uint32_t)MIN((end - now) / 1000000,
				    UINT32_MAX - 1);
			}
		}
		mutex_exit(&dhcp_lock);
	}
	rump_unschedule();
	return error;
}

int
rump_netconfig_dhcp_release(const char *ifname)
{
	struct dhcp_client *c;
	struct ifnet *ifp;
	int error;

	rump_schedule();
	ifp = if_find_byname(ifname);
	if (ifp == NULL)
		error = ENXIO;
	else {
		error = dhcp_claim(ifp, false, &c);
		if (error == 0) {
			/* RFC 2131 4.4.6: tell the server, unicast, then
			 * stop using the address. */
			if (c->c_bound)
				(void)dhcp_send(ifp, cprng32(), 0, DHCPRELEASE,
				    c->c_addr, 0, c->c_server, true);
			dhcp_unbind(c);
			dhcp_unclaim(c);
		}
	}
	rump_unschedule();
	return error;
}
