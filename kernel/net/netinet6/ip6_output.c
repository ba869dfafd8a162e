/*
 * ip6_output.c: sending IPv6 packets (RFC 8200): route, source address,
 * header, the transport checksum over the pseudo-header (section 8.1),
 * fragmentation at the source (section 4.5), and the path MTUs that
 * Packet Too Big messages taught (RFC 8201).
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/libkern.h>
#include <kern/lock.h>
#include <kern/clock.h>

#include "../netinet/in_var.h"
#include "in6_var.h"

int ip6_defhlim = IPV6_DEFHLIM;
static uint32_t ip6_ident;

/* --- Path MTU ------------------------------------------------------------ */

#define PMTU_ENTRIES	16
#define PMTU_EXPIRE_NS	(600ULL * 1000000000)	/* RFC 8201: 10 minutes */

static kmutex_t pmtu_lock;
static struct {
	struct in6_addr	 dst;
	uint32_t	 mtu;
	uint64_t	 expire;
} pmtu_cache[PMTU_ENTRIES];

void
ip6_pmtu_update(const struct in6_addr *dst, uint32_t mtu)
{
	uint64_t now = getmonotonic_ns();
	int slot = 0;

	if (mtu < IPV6_MINMTU)
		mtu = IPV6_MINMTU;	/* RFC 8200 5: never below */
	mutex_enter(&pmtu_lock);
	for (int i = 0; i < PMTU_ENTRIES; i++) {
		if (in6_equal(&pmtu_cache[i].dst, dst)) {
			slot = i;
			break;
		}
		if (pmtu_cache[i].expire < pmtu_cache[slot].expire)
			slot = i;
	}
	pmtu_cache[slot].dst = *dst;
	pmtu_cache[slot].mtu = mtu;
	pmtu_cache[slot].expire = now + PMTU_EXPIRE_NS;
	mutex_exit(&pmtu_lock);
}

static uint32_t
ip6_pmtu_get(const struct in6_addr *dst)
{
	uint64_t now = getmonotonic_ns();
	uint32_t mtu = 0;

	mutex_enter(&pmtu_lock);
	for (int i = 0; i < PMTU_ENTRIES; i++)
		if (pmtu_cache[i].expire > now &&
		    in6_equal(&pmtu_cache[i].dst, dst))
			mtu = pmtu_cache[i].mtu;
	mutex_exit(&pmtu_lock);
	return mtu;
}

int
ip6_path_mtu(const struct in6_addr *dst, uint32_t scope)
{
	struct rt6result rt;
	uint32_t pmtu;
	int mtu;

	if (in6_is_local(dst, NULL))
		return if_mtu_get(lo_ifp);
	if (rt6_lookup(dst, scope, &rt) != 0)
		return 0;
	mtu = in6_if_mtu(rt.rt_ifp);
	pmtu = ip6_pmtu_get(dst);
	if (pmtu != 0 && (int)pmtu < mtu)
		mtu = (int)pmtu;
	return mtu;
}

/* --- Checksums ----------------------------------------------------------- */

uint16_t
in6_cksum(const struct in6_addr *src, const struct in6_addr *dst,
    uint8_t proto, const void *p, size_t len)
{
	uint32_t sum = 0, v;

	/* Pseudo-header: addresses, upper-layer length, next header. */
	sum = in_cksum_add(sum, src, 16);
	sum = in_cksum_add(sum, dst, 16);
	v = htonl((uint32_t)len);
	sum = in_cksum_add(sum, &v, 4);
	v = htonl(proto);
	sum = in_cksum_add(sum, &v, 4);
	sum = in_cksum_add(sum, p, len);
	return in_cksum_fold(sum);
}

/* Where the checksum of each protocol is, or -1. */
static int
ip6_cksum_off(int proto)
{

	switch (proto) {
	case IPPROTO_TCP:
		return 16;
	case IPPROTO_UDP:
		return 6;
	case IPPROTO_ICMPV6:
		return 2;
	default:
		return -1;
	}
}

/* --- Output -------------------------------------------------------------- */

/* Sends m (IPv6 header first) in fragments of at most mtu bytes. */
static int
ip6_fragment(struct mbuf *m, struct ifnet *ifp, const struct in6_addr *nh,
    int mtu)
{
	struct ip6_hdr *ip6 = (struct ip6_hdr *)(void *)m->m_data;
	size_t datalen = m->m_len - sizeof(*ip6), off, chunk;
	uint32_t ident = htonl(__atomic_add_fetch(&ip6_ident, 1,
	    __ATOMIC_RELAXED));
	uint8_t nxt = ip6->ip6_nxt;
	int error = 0;

	chunk = ((size_t)mtu - sizeof(*ip6) - sizeof(struct ip6_frag)) &
	    ~(size_t)7;
	for (off = 0; off < datalen && error == 0; off += chunk) {
		size_t len = MIN(chunk, datalen - off);
		struct ip6_hdr *fip6;
		struct ip6_frag *fh;
		struct mbuf *f;

		f = m_get(sizeof(*ip6) + sizeof(*fh) + len);
		if (f == NULL) {
			error = ENOBUFS;
			break;
		}
		fip6 = (struct ip6_hdr *)(void *)f->m_data;
		*fip6 = *ip6;
		fip6->ip6_nxt = IPPROTO_FRAGMENT;
		fip6->ip6_plen = htons((uint16_t)(sizeof(*fh) + len));
		fh = (struct ip6_frag *)(void *)(f->m_data + sizeof(*ip6));
		fh->ip6f_nxt = nxt;
		fh->ip6f_reserved = 0;
		fh->ip6f_offlg = htons((uint16_t)(off |
		    (off + len < datalen ? IP6F_MORE_FRAG : 0)));
		fh->ip6f_ident = ident;
		memcpy(f->m_data + sizeof(*ip6) + sizeof(*fh),
		    m->m_data + sizeof(*ip6) + off, len);
		IP6STAT_INC(ip6s_fragmented);
		error = ifp->if_output(ifp, f, AF_INET6, nh);
	}
	m_free(m);
	return error;
}

/* Whether the large TCP segment m (IPv6 header first) goes whole to
 * ifp, which cuts it (TSO). */
static bool
ip6_tso_whole(const struct mbuf *m, struct ifnet *ifp)
{

	return m->m_tso_segsz != 0 && (m->m_tso_type & M_TSO_TCPv6) &&
	    ifp != lo_ifp && m->m_len <= (size_t)__atomic_load_n(
	    &ifp->if_tso6, __ATOMIC_RELAXED);
}

int
ip6_output_big(struct mbuf *m, struct ifnet *ifp, const struct in6_addr *nh,
    int mtu, bool forwarding)
{
	struct mbuf *q, *n;
	int error = 0, e;

	if (ip6_tso_whole(m, ifp)) {
		/* Forwarded, its checksum is whole; the interface that
		 * can computes it again for each piece. */
		if (forwarding && (ifp->if_csum & M_CSUM_TCPv6))
			m->m_csum = M_CSUM_TCPv6;
		return ifp->if_output(ifp, m, AF_INET6, nh);
	}
	if (m->m_tso_segsz == 0 || !(m->m_tso_type & M_TSO_TCPv6)) {
		if (forwarding) {
			/* Routers never fragment (RFC 8200 5). */
			icmp6_error(m, ICMP6_PACKET_TOO_BIG, 0, (uint32_t)mtu);
			return EMSGSIZE;
		}
		return ip6_fragment(m, ifp, nh, mtu);
	}
	/* Pieces of one MSS, with their checksums (tcp_gso_segment). */
	if ((q = tcp_gso_segment(m)) == NULL) {
		IP6STAT_INC(ip6s_odropped);
		return ENOBUFS;
	}
	for (; q != NULL; q = n) {
		n = q->m_nextpkt;
		q->m_nextpkt = NULL;
		if (error == EMSGSIZE) {
			m_free(q);
			continue;
		}
		if (q->m_len <= (size_t)mtu)
			e = ifp->if_output(ifp, q, AF_INET6, nh);
		else if (forwarding) {
			/* One "packet too big" for the segment. */
			icmp6_error(q, ICMP6_PACKET_TOO_BIG, 0, (uint32_t)mtu);
			e = EMSGSIZE;
		} else
			e = ip6_fragment(q, ifp, nh, mtu);
		if (error == 0)
			error = e;
	}
	return error;
}

int
ip6_output(struct mbuf *m, const struct in6_addr *src,
    const struct in6_addr *dst, uint32_t scope, int proto, int hlim,
    int tclass)
{
	struct rt6result rt;
	struct ip6_hdr *ip6;
	struct in6_addr s;
	struct ifnet *ifp;
	size_t len = m->m_len;
	int error, csoff, mtu, offload;
	uint32_t pmtu;

	if (len > IPV6_MAXPACKET) {
		m_free(m);
		return EMSGSIZE;
	}
	/* Our own addresses go through loopback, wherever they are. */
	if (in6_is_local(dst, scope != 0 ? if_find_byindex((int)scope) :
	    NULL) || in6_is_loopback(dst)) {
		rt.rt_ifp = lo_ifp;
		rt.rt_nexthop = *dst;
		rt.rt_flags = RTF_UP;
		error = 0;
	} else
		error = rt6_lookup(dst, scope, &rt);
	if (error != 0) {
		IP6STAT_INC(ip6s_odropped);
		m_free(m);
		return error;
	}
	ifp = rt.rt_ifp;
	if (src != NULL)
		s = *src;
	else if ((error = in6_select_src(dst, ifp == lo_ifp &&
	    !in6_is_loopback(dst) ? in6_addr_ifp(dst) : ifp, &s)) != 0) {
		m_free(m);
		return error;
	}
	mtu = in6_if_mtu(ifp);
	if (ifp != lo_ifp && (pmtu = ip6_pmtu_get(dst)) != 0 &&
	    (int)pmtu < mtu)
		mtu = (int)pmtu;
	if (len + sizeof(*ip6) <= (size_t)mtu || proto != IPPROTO_TCP)
		m->m_tso_segsz = 0;
	/* The transport checksum: not over loopback, where nothing can
	 * corrupt it (input trusts M_LOOP packets); left to an interface
	 * that computes it when the packet reaches it whole (not as
	 * fragments, nor cut here: tcp_gso_segment computes its own). */
	csoff = ip6_cksum_off(proto);
	offload = proto == IPPROTO_TCP ? M_CSUM_TCPv6 :
	    proto == IPPROTO_UDP ? M_CSUM_UDPv6 : 0;
	if (!(ifp->if_csum & offload) || (len + sizeof(*ip6) > (size_t)mtu &&
	    (m->m_tso_segsz == 0 || len + sizeof(*ip6) > (size_t)
	    __atomic_load_n(&ifp->if_tso6, __ATOMIC_RELAXED))))
		offload = 0;
	if (csoff >= 0 && len >= (size_t)csoff + 2 && ifp != lo_ifp) {
		uint16_t sum;

		memset(m->m_data + csoff, 0, 2);
		if (offload == 0) {
			sum = in6_cksum(&s, dst, (uint8_t)proto, m->m_data,
			    len);
			if (proto == IPPROTO_UDP && sum == 0)
				sum = 0xffff;
			memcpy(m->m_data + csoff, &sum, 2);
		}
	} else
		offload = 0;
	ip6 = (struct ip6_hdr *)(void *)m_prepend(&m, sizeof(*ip6));
	if (ip6 == NULL)
		return ENOBUFS;
	ip6->ip6_flow = htonl(6u << 28 | (uint32_t)(tclass & 0xff) << 20);
	ip6->ip6_plen = htons((uint16_t)len);
	ip6->ip6_nxt = (uint8_t)proto;
	ip6->ip6_hlim = (uint8_t)(hlim > 0 ? hlim : ip6_defhlim);
	ip6->ip6_src = s;
	ip6->ip6_dst = *dst;
	m->m_csum = offload;
	m->m_flags = 0;
	IP6STAT_INC(ip6s_localout);
	if (m->m_len <= (size_t)mtu)
		return ifp->if_output(ifp, m, AF_INET6, &rt.rt_nexthop);
	return ip6_output_big(m, ifp, &rt.rt_nexthop, mtu, false);
}

void
ip6_output_init(void)
{

	mutex_init(&pmtu_lock, MUTEX_DEFAULT);
	ip6_ident = cprng32();
}
