/*
 * ip_output.c: sending IPv4 datagrams: route, source address, header,
 * checksum (or its offload), fragmentation.
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/libkern.h>
#include <kern/clock.h>

#include "in_var.h"

static uint16_t ip_id;		/* next identification, atomically */

int
ip_path_mtu(uint32_t dst)
{
	struct rtresult rt;

	if (rt_lookup4(dst, &rt) != 0)
		return 0;
	return if_mtu_get(rt.rt_ifp);
}

int
ip_path_tso(uint32_t dst)
{
	struct rtresult rt;

	if (in_is_local(dst) || rt_lookup4(dst, &rt) != 0)
		return 0;
	return __atomic_load_n(&rt.rt_ifp->if_tso, __ATOMIC_RELAXED);
}

/* Sends one packet (fits the MTU) through the route. */
static int
ip_send_one(struct mbuf *m, const struct rtresult *rt)
{
	struct ifnet *ifp = rt->rt_ifp;
	struct ip *ip = (struct ip *)(void *)m->m_data;
	uint32_t nexthop = rt->rt_nexthop;

	/* A datagram to one of our own addresses goes through loopback,
	 * whatever interface the address is on (as on Linux). */
	if (in_is_local(ip->ip_dst) && ifp != lo_ifp) {
		ifp = lo_ifp;
		m->m_csum &= ~(M_CSUM_TCPv4 | M_CSUM_UDPv4);
	}
	if (!(ifp->if_csum & M_CSUM_IPv4) || !(m->m_csum & M_CSUM_IPv4)) {
		ip->ip_sum = 0;
		ip->ip_sum = in_cksum_fold(in_cksum_add(0, ip, IP_HLEN(ip)));
		m->m_csum &= ~M_CSUM_IPv4;
	}
	/* The interface does not compute what we left for it: do it now. */
	if ((m->m_csum & (M_CSUM_TCPv4 | M_CSUM_UDPv4)) &
	    ~ifp->if_csum) {
		size_t off = IP_HLEN(ip);
		uint16_t *sump;
		uint32_t sum;

		sump = (uint16_t *)(void *)(m->m_data + off +
		    ((m->m_csum & M_CSUM_TCPv4) ? 16 : 6));
		*sump = 0;
		sum = in_pseudo(ip->ip_src, ip->ip_dst, ip->ip_p,
		    (uint16_t)(m->m_len - off));
		sum = in_cksum_add(sum, m->m_data + off, m->m_len - off);
		*sump = in_cksum_fold(sum);
		if ((m->m_csum & M_CSUM_UDPv4) && *sump == 0)
			*sump = 0xffff;
		m->m_csum &= ~(M_CSUM_TCPv4 | M_CSUM_UDPv4);
	}
	return ifp->if_output(ifp, m, AF_INET, &nexthop);
}

/* Splits datagram m (header at m_data) into fragments that fit mtu and
 * sends them (RFC 791). */
static int
ip_fragment(struct mbuf *m, const struct rtresult *rt, int mtu)
{
	struct ip *ip = (struct ip *)(void *)m->m_data;
	size_t hlen = IP_HLEN(ip), datalen = m->m_len - hlen, off, chunk;
	uint16_t off0 = ntohs(ip->ip_off);
	int error = 0;

	chunk = ((size_t)mtu - hlen) & ~(size_t)7;
	if (chunk == 0) {
		m_free(m);
		return EMSGSIZE;
	}
	/* Transport checksums cannot be left to the interface: the
	 * interface sees only pieces. */
	if (m->m_csum & (M_CSUM_TCPv4 | M_CSUM_UDPv4)) {
		uint16_t *sump = (uint16_t *)(void *)(m->m_data + hlen +
		    ((m->m_csum & M_CSUM_TCPv4) ? 16 : 6));
		uint32_t sum;

		*sump = 0;
		sum = in_pseudo(ip->ip_src, ip->ip_dst, ip->ip_p,
		    (uint16_t)datalen);
		sum = in_cksum_add(sum, m->m_data + hlen, datalen);
		*sump = in_cksum_fold(sum);
		if ((m->m_csum & M_CSUM_UDPv4) && *sump == 0)
			*sump = 0xffff;
		m->m_csum &= ~(M_CSUM_TCPv4 | M_CSUM_UDPv4);
	}
	for (off = 0; off < datalen && error == 0; off += chunk) {
		size_t len = MIN(chunk, datalen - off);
		struct mbuf *f;
		struct ip *fip;

		f = m_get(hlen + len);
		if (f == NULL) {
			error = ENOBUFS;
			break;
		}
		memcpy(f->m_data, ip, hlen);
		memcpy(f->m_data + hlen, m->m_data + hlen + off, len);
		fip = (struct ip *)(void *)f->m_data;
		fip->ip_len = htons((uint16_t)(hlen + len));
		fip->ip_off = htons((uint16_t)(((off0 & IP_OFFMASK) +
		    off / 8) | (off0 & IP_MF) |
		    (off + len < datalen ? IP_MF : 0)));
		f->m_csum = m->m_csum & M_CSUM_IPv4;
		IPSTAT_INC(ips_fragmented);
		error = ip_send_one(f, rt);
	}
	m_free(m);
	return error;
}

/* Sends packet m, which does not fit mtu unless it is cut: as
 * fragments, or, with DF, not at all (a forwarded one is answered with
 * "fragmentation needed"). */
static int
ip_send_big(struct mbuf *m, const struct rtresult *rt, int mtu, int flags)
{
	struct ip *ip = (struct ip *)(void *)m->m_data;

	if (ntohs(ip->ip_off) & IP_DF) {
		if (flags & IP_FORWARDING)
			icmp_error(m, ICMP_UNREACH, ICMP_UNREACH_NEEDFRAG, mtu);
		else
			m_free(m);
		return EMSGSIZE;
	}
	return ip_fragment(m, rt, mtu);
}

/* Cuts the large TCP segment m into segments of one MSS and sends them:
 * the interface cannot take it whole. */
static int
ip_send_gso(struct mbuf *m, const struct rtresult *rt, int mtu, int flags)
{
	struct mbuf *q, *n;
	int error = 0, first = 0, e;

	if ((q = tcp_gso_segment(m)) == NULL) {
		IPSTAT_INC(ips_odropped);
		return ENOBUFS;
	}
	for (; q != NULL; q = n) {
		n = q->m_nextpkt;
		q->m_nextpkt = NULL;
		if (error != 0) {
			m_free(q);
			continue;
		}
		/* A piece bigger than the MTU (a host's segment bigger
		 * than our path allows) goes as any other big packet. */
		if (q->m_len <= (size_t)mtu)
			e = ip_send_one(q, rt);
		else
			e = ip_send_big(q, rt, mtu, flags);
		/* One "fragmentation needed" for the segment is enough. */
		if (e == EMSGSIZE)
			error = e;
		else if (first == 0)
			first = e;
	}
	return error != 0 ? error : first;
}

static int
ip_route_and_send(struct mbuf *m, int flags)
{
	struct ip *ip = (struct ip *)(void *)m->m_data;
	struct rtresult rt;
	int error, mtu;

	if (ip->ip_dst == INADDR_BROADCAST) {
		/* Limited broadcast: out of the interface of the source
		 * address, or the first interface with an address. */
		error = rt_lookup4(ip->ip_src, &rt);
		if (error != 0 || rt.rt_ifp == lo_ifp) {
			m_free(m);
			return error != 0 ? error : ENETUNREACH;
		}
		rt.rt_nexthop = INADDR_BROADCAST;
	} else if ((error = rt_lookup4(ip->ip_dst, &rt)) != 0) {
		IPSTAT_INC(ips_odropped);
		m_free(m);
		return error;
	}
	if (!(flags & IP_ALLOWBROADCAST) && !(flags & IP_FORWARDING) &&
	    (ip->ip_dst == INADDR_BROADCAST ||
	    in_is_broadcast(ip->ip_dst, rt.rt_ifp))) {
		m_free(m);
		return EACCES;
	}
	if (in_is_broadcast(ip->ip_dst, rt.rt_ifp))
		rt.rt_nexthop = INADDR_BROADCAST;
	mtu = if_mtu_get(in_is_local(ip->ip_dst) ? lo_ifp : rt.rt_ifp);
	if (m->m_len <= (size_t)mtu) {
		m->m_tso_segsz = 0;
		return ip_send_one(m, &rt);
	}
	if (m->m_tso_segsz == 0 || !(m->m_tso_type & M_TSO_TCPv4))
		return ip_send_big(m, &rt, mtu, flags);
	/* A large TCP segment (ours, or one we forward) goes whole to an
	 * interface that takes it, which then also computes its TCP
	 * checksum if it can; any other gets it cut here. */
	if (!in_is_local(ip->ip_dst) && m->m_len <= (size_t)
	    __atomic_load_n(&rt.rt_ifp->if_tso, __ATOMIC_RELAXED)) {
		if (rt.rt_ifp->if_csum & M_CSUM_TCPv4)
			m->m_csum |= M_CSUM_TCPv4;
		return ip_send_one(m, &rt);
	}
	return ip_send_gso(m, &rt, mtu, flags);
}

int
ip_output(struct mbuf *m, uint32_t src, uint32_t dst, int proto, int ttl,
    int tos, int flags)
{
	struct rtresult rt;
	struct ip *ip;
	size_t len;
	int error;

	if (src == INADDR_ANY) {
		if (dst == INADDR_BROADCAST)
			error = EADDRNOTAVAIL;
		else
			error = rt_lookup4(dst, &rt);
		if (error == 0)
			error = in_select_src(dst, &rt, &src);
		if (error != 0) {
			m_free(m);
			return error;
		}
	}
	len = m->m_len + sizeof(*ip);
	if (len > IP_MAXPACKET) {
		m_free(m);
		return EMSGSIZE;
	}
	ip = (struct ip *)(void *)m_prepend(&m, sizeof(*ip));
	if (ip == NULL)
		return ENOBUFS;
	ip->ip_vhl = 4 << 4 | sizeof(*ip) >> 2;
	ip->ip_tos = (uint8_t)tos;
	ip->ip_len = htons((uint16_t)len);
	ip->ip_id = htons(__atomic_add_fetch(&ip_id, 1, __ATOMIC_RELAXED));
	ip->ip_off = htons((flags & IP_DONTFRAG) ? IP_DF : 0);
	ip->ip_ttl = (uint8_t)(ttl > 0 ? ttl : ip_defttl);
	ip->ip_p = (uint8_t)proto;
	ip->ip_sum = 0;
	ip->ip_src = src;
	ip->ip_dst = dst;
	m->m_csum |= M_CSUM_IPv4;
	IPSTAT_INC(ips_localout);
	return ip_route_and_send(m, flags);
}

int
ip_output_datagram(struct mbuf *m, int flags)
{

	m->m_csum &= ~(M_CSUM_TCPv4 | M_CSUM_UDPv4);
	m->m_csum |= M_CSUM_IPv4;
	return ip_route_and_send(m, flags);
}

void
ip_output_init(void)
{

	ip_id = (uint16_t)cprng32();
}
