/*
 * ip6_input.c: receiving IPv6 packets (RFC 8200): validation, the
 * extension headers (hop-by-hop and destination options processed as
 * section 4.2 says for unknown options, routing headers with segments
 * left refused, fragments reassembled), and delivery to the upper
 * layers; forwarding between interfaces when enabled (a router's part
 * of RFC 8200 and RFC 4443: hop limit, Packet Too Big, no route).
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/libkern.h>

#include "in6_var.h"

struct ip6stat ip6stat;
int ip6_forwarding;

static ip6_protofn ip6_protox[256];
static ip6_ctlfn ip6_ctlx[256];

void
ip6_proto_register(int proto, ip6_protofn fn)
{

	__atomic_store_n(&ip6_protox[proto & 0xff], fn, __ATOMIC_RELEASE);
}

void
ip6_ctl_register(int proto, ip6_ctlfn fn)
{

	__atomic_store_n(&ip6_ctlx[proto & 0xff], fn, __ATOMIC_RELEASE);
}

void
ip6_ctl_notify(int proto, int error, const struct ip6_hdr *inner, size_t len,
    size_t thoff)
{
	ip6_ctlfn fn;

	fn = __atomic_load_n(&ip6_ctlx[proto & 0xff], __ATOMIC_ACQUIRE);
	if (fn != NULL)
		fn(error, inner, len, thoff);
}

int
ip6_skip_ext(const uint8_t *pkt, size_t len, int off, int *nxt)
{

	for (int n = 0; n < 16; n++) {
		const struct ip6_ext *e;
		size_t elen;

		switch (*nxt) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
			if ((size_t)off + 2 > len)
				return -1;
			e = (const struct ip6_ext *)(const void *)(pkt + off);
			elen = ((size_t)e->ip6e_len + 1) * 8;
			*nxt = e->ip6e_nxt;
			off += (int)elen;
			break;
		case IPPROTO_FRAGMENT:
			if ((size_t)off + 8 > len)
				return -1;
			*nxt = pkt[off];
			off += 8;
			break;
		default:
			return (size_t)off <= len ? off : -1;
		}
	}
	return -1;
}

/*
 * Options of a hop-by-hop or destination options header at off (elen
 * bytes): Pad1 and PadN are known; an unknown one is skipped or makes
 * the packet dropped according to its two high-order bits, with a
 * Parameter Problem for 10 (and for 11 unless the destination was
 * multicast).  Returns 0 to go on, -1 when m was consumed.
 */
static int
ip6_dooptions(struct mbuf *m, size_t off, size_t elen)
{
	const uint8_t *p = m->m_data + off;
	const struct ip6_hdr *ip6 = (const struct ip6_hdr *)(void *)m->m_data;
	size_t i = 2;

	while (i < elen) {
		uint8_t type = p[i];

		if (type == 0) {		/* Pad1 */
			i++;
			continue;
		}
		if (i + 2 > elen || i + 2 + p[i + 1] > elen)
			goto bad;
		if (type != 1) {		/* not PadN: unknown */
			switch (type >> 6) {
			case 0:
				break;
			case 1:
				m_free(m);
				return -1;
			case 3:
				if (in6_is_multicast(&ip6->ip6_dst)) {
					m_free(m);
					return -1;
				}
				/* FALLTHROUGH */
			case 2:
				icmp6_error(m, ICMP6_PARAM_PROB, 2,
				    (uint32_t)(off + i));
				return -1;
			}
		}
		i += 2 + (size_t)p[i + 1];
	}
	return 0;
bad:
	IP6STAT_INC(ip6s_badext);
	icmp6_error(m, ICMP6_PARAM_PROB, ICMP6_PARAMPROB_HEADER,
	    (uint32_t)(off + i));
	return -1;
}

/*
 * A packet for someone else, received on ifp, while forwarding is on.
 * Hop-by-hop options are not looked at (none is known).
 */
static void
ip6_forward(struct ifnet *ifp, struct mbuf *m)
{
	struct ip6_hdr *ip6 = (struct ip6_hdr *)(void *)m->m_data;
	struct rt6result rt;
	int mtu;

	/* Link-local packets stay on their link (RFC 4291 2.5.6); an
	 * unspecified source cannot be answered. */
	if (in6_is_unspecified(&ip6->ip6_src) ||
	    in6_needs_scope(&ip6->ip6_dst) ||
	    (m->m_flags & (M_BCAST | M_MCAST))) {
		m_free(m);
		return;
	}
	if (in6_is_linklocal(&ip6->ip6_src)) {
		icmp6_error(m, ICMP6_DST_UNREACH, 2 /* beyond scope */, 0);
		return;
	}
	if (ip6->ip6_hlim <= 1) {
		icmp6_error(m, ICMP6_TIME_EXCEEDED, ICMP6_TIME_EXCEED_TRANSIT,
		    0);
		return;
	}
	if (rt6_lookup(&ip6->ip6_dst, 0, &rt) != 0 || rt.rt_ifp == lo_ifp) {
		icmp6_error(m, ICMP6_DST_UNREACH, ICMP6_DST_UNREACH_NOROUTE, 0);
		return;
	}
	mtu = in6_if_mtu(rt.rt_ifp);
	(void)ifp;
	ip6->ip6_hlim--;
	/* Nothing of the way in applies on the way out (but the size of
	 * a large TCP segment's pieces: ip6_output_big). */
	m->m_csum = 0;
	m->m_flags = 0;
	IP6STAT_INC(ip6s_forward);
	if (m->m_len > (size_t)mtu)
		(void)ip6_output_big(m, rt.rt_ifp, &rt.rt_nexthop, mtu, true);
	else
		(void)rt.rt_ifp->if_output(rt.rt_ifp, m, AF_INET6,
		    &rt.rt_nexthop);
}

static void
ip6_input(struct ifnet *ifp, struct mbuf *m)
{
	struct ip6_hdr *ip6;
	size_t plen;
	int nxt, off, prevnxt_off;
	ip6_protofn fn;

	IP6STAT_INC(ip6s_total);
	if (m->m_len < sizeof(*ip6)) {
		IP6STAT_INC(ip6s_tooshort);
		goto drop;
	}
	/* Headers are read in place, with 32-bit fields: a packet behind
	 * a 14-byte Ethernet header is moved back onto a 4-byte boundary
	 * (into the room the link header left). */
	if ((uintptr_t)m->m_data & 3) {
		size_t mis = (uintptr_t)m->m_data & 3;

		if (m_leadingspace(m) < mis)
			goto drop;
		memmove(m->m_data - mis, m->m_data, m->m_len);
		m->m_data -= mis;
	}
	ip6 = (struct ip6_hdr *)(void *)m->m_data;
	if ((ip6->ip6_flow & htonl(0xf0000000)) != htonl(0x60000000)) {
		IP6STAT_INC(ip6s_badvers);
		goto drop;
	}
	plen = ntohs(ip6->ip6_plen);
	if (plen == 0 || sizeof(*ip6) + plen > m->m_len) {
		/* (A zero length means a jumbogram: not supported.) */
		IP6STAT_INC(ip6s_badlen);
		goto drop;
	}
	if (m->m_len > sizeof(*ip6) + plen)
		m_adj(m, -(long)(m->m_len - sizeof(*ip6) - plen));
	/* Sources no packet may come from. */
	if (in6_is_multicast(&ip6->ip6_src) ||
	    (ifp != lo_ifp && (in6_is_loopback(&ip6->ip6_src) ||
	    in6_is_loopback(&ip6->ip6_dst))) ||
	    in6_is_v4mapped(&ip6->ip6_src) || in6_is_v4mapped(&ip6->ip6_dst))
		goto drop;
	if (in6_is_multicast(&ip6->ip6_dst)) {
		if (!in6_mcast_joined(&ip6->ip6_dst, ifp)) {
			IP6STAT_INC(ip6s_notmine);
			goto drop;
		}
		m->m_flags |= M_MCAST;
	} else if (!(ifp == lo_ifp && in6_is_loopback(&ip6->ip6_dst))) {
		int st = in6_addr_state(&ip6->ip6_dst,
		    ifp == lo_ifp ? NULL : ifp);

		/* A tentative address receives only what DAD needs
		 * (neighbour solicitations, checked by nd6). */
		if (st == IN6_ADDR_NONE && ifp != lo_ifp &&
		    __atomic_load_n(&ip6_forwarding, __ATOMIC_RELAXED)) {
			ip6_forward(ifp, m);
			return;
		}
		if (st == IN6_ADDR_NONE || st == IN6_ADDR_DUPLICATED ||
		    (st == IN6_ADDR_TENTATIVE &&
		    ip6->ip6_nxt != IPPROTO_ICMPV6)) {
			IP6STAT_INC(ip6s_notmine);
			goto drop;
		}
	}

	nxt = ip6->ip6_nxt;
	off = sizeof(*ip6);
	prevnxt_off = 6;	/* where the current next-header value is */
	for (int n = 0; ; n++) {
		const struct ip6_ext *e;
		size_t elen;

		if (n == 32)
			goto drop;
		switch (nxt) {
		case IPPROTO_HOPOPTS:
			/* Only right after the IPv6 header (4.3). */
			if (off != sizeof(*ip6)) {
				icmp6_error(m, ICMP6_PARAM_PROB,
				    ICMP6_PARAMPROB_NEXTHEADER,
				    (uint32_t)prevnxt_off);
				return;
			}
			/* FALLTHROUGH */
		case IPPROTO_DSTOPTS:
		case IPPROTO_ROUTING:
			if ((size_t)off + 8 > m->m_len)
				goto badext;
			e = (const struct ip6_ext *)(void *)(m->m_data + off);
			elen = ((size_t)e->ip6e_len + 1) * 8;
			if ((size_t)off + elen > m->m_len)
				goto badext;
			if (nxt == IPPROTO_ROUTING) {
				/* Segments left: we are no router to pass
				 * it on (4.4: unknown type, segments left
				 * non-zero). */
				if (m->m_data[off + 3] != 0) {
					icmp6_error(m, ICMP6_PARAM_PROB,
					    ICMP6_PARAMPROB_HEADER,
					    (uint32_t)off + 2);
					return;
				}
			} else if (ip6_dooptions(m, (size_t)off, elen) != 0)
				return;
			prevnxt_off = off;
			nxt = e->ip6e_nxt;
			off += (int)elen;
			continue;
		case IPPROTO_FRAGMENT:
			m = ip6_reass(m, off, &nxt, &off);
			if (m == NULL)
				return;
			ip6 = (struct ip6_hdr *)(void *)m->m_data;
			prevnxt_off = 6;
			continue;
		case IPPROTO_NONE:
			goto drop;
		default:
			break;
		}
		break;
	}
	fn = __atomic_load_n(&ip6_protox[nxt & 0xff], __ATOMIC_ACQUIRE);
	if (fn == NULL) {
		IP6STAT_INC(ip6s_noproto);
		icmp6_error(m, ICMP6_PARAM_PROB, ICMP6_PARAMPROB_NEXTHEADER,
		    (uint32_t)prevnxt_off);
		return;
	}
	IP6STAT_INC(ip6s_delivered);
	fn(m, off, nxt);
	return;
badext:
	IP6STAT_INC(ip6s_badext);
drop:
	m_free(m);
}

void
ip6_init(void)
{

	ip6_reass_init();
	netisr_register(AF_INET6, ip6_input);
}
