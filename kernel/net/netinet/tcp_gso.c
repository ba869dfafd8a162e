/*
 * tcp_gso.c: cutting a large TCP segment (m_tso_segsz) into segments of
 * one MSS in software, for an interface that cannot take it whole.
 *
 * Such a segment comes from TCP (TSO toward an interface whose route
 * changed) or from a host that handed us its own large segment (a TAP
 * device's GSO, or a shmif station's whole segment) that we forward.
 * The pieces are what the sender would have sent without offloads
 * (RFC 9293 3.1 for the fields): each carries its share of the payload
 * at its own sequence number, the flags that mark the stream's end
 * (FIN, PSH) only on the last piece, the congestion window reduced
 * mark (CWR, RFC 3168 6.1.2) only on the first; its network header's
 * length is its own, and an IPv4 header's identification counts up from
 * the segment's, as the host's own GSO does.
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/libkern.h>
#include <netinet/in.h>

#include "in_var.h"
#include "tcp_var.h"

/* The IPv6 header fields used here (netinet6 has the full one). */
#define GSO_IP6_PLEN	4	/* payload length, 16 bits */
#define GSO_IP6_NXT	6	/* next header */
#define GSO_IP6_SRC	8	/* source, then destination: 32 bytes */
#define GSO_IP6_HLEN	40

/* TCP/IPv6's checksum over the pseudo-header (RFC 8200 8.1) and the
 * segment at th of len bytes. */
static uint16_t
tcp_gso_sum6(const uint8_t *ip6, const uint8_t *th, size_t len)
{
	uint32_t sum;
	uint16_t w;

	sum = in_cksum_add(0, ip6 + GSO_IP6_SRC, 32);
	w = htons((uint16_t)len);
	sum = in_cksum_add(sum, &w, 2);
	w = htons(IPPROTO_TCP);
	sum = in_cksum_add(sum, &w, 2);
	return in_cksum_fold(in_cksum_add(sum, th, len));
}

struct mbuf *
tcp_gso_segment(struct mbuf *m)
{
	struct mbuf *q = NULL, **tail = &q, *n;
	const struct tcphdr *th;
	struct tcphdr *nth;
	size_t l3len, hdrlen, paylen, off, len, segsz = m->m_tso_segsz;
	uint32_t seq;
	uint16_t id = 0;
	uint8_t flags;
	bool v4;

	if (m->m_len < 1 || segsz == 0)
		goto bad;
	v4 = (m->m_data[0] >> 4) == 4;
	if (v4) {
		const struct ip *ip = (const struct ip *)(void *)m->m_data;

		l3len = IP_HLEN(ip);
		if (m->m_len < sizeof(*ip) || l3len < sizeof(*ip) ||
		    ip->ip_p != IPPROTO_TCP ||
		    (ntohs(ip->ip_off) & (IP_MF | IP_OFFMASK)) != 0 ||
		    ntohs(ip->ip_len) != m->m_len)
			goto bad;
		id = ntohs(ip->ip_id);
	} else if ((m->m_data[0] >> 4) == 6) {
		l3len = GSO_IP6_HLEN;
		if (m->m_len < l3len ||
		    m->m_data[GSO_IP6_NXT] != IPPROTO_TCP)
			goto bad;
	} else
		goto bad;
	if (m->m_len < l3len + sizeof(*th))
		goto bad;
	th = (const struct tcphdr *)(const void *)(m->m_data + l3len);
	hdrlen = l3len + TH_OFF(th);
	if ((size_t)TH_OFF(th) < sizeof(*th) || m->m_len < hdrlen ||
	    (th->th_flags & (TH_SYN | TH_RST)) != 0)
		goto bad;
	paylen = m->m_len - hdrlen;
	seq = ntohl(th->th_seq);
	flags = th->th_flags;
	for (off = 0; off < paylen; off += len) {
		len = MIN(segsz, paylen - off);
		if ((n = m_get(hdrlen + len)) == NULL) {
			m_freeq(q);
			m_free(m);
			return NULL;
		}
		memcpy(n->m_data, m->m_data, hdrlen);
		memcpy(n->m_data + hdrlen, m->m_data + hdrlen + off, len);
		nth = (struct tcphdr *)(void *)(n->m_data + l3len);
		nth->th_seq = htonl(seq + (uint32_t)off);
		nth->th_flags = (uint8_t)(flags & ~(TH_FIN | TH_PUSH | TH_CWR));
		if (off + len == paylen)
			nth->th_flags |= flags & (TH_FIN | TH_PUSH);
		if (off == 0)
			nth->th_flags |= flags & TH_CWR;
		n->m_flags = m->m_flags;
		n->m_rcvif = m->m_rcvif;
		if (v4) {
			struct ip *nip = (struct ip *)(void *)n->m_data;

			nip->ip_len = htons((uint16_t)(hdrlen + len));
			nip->ip_id = htons((uint16_t)(id + off / segsz));
			/* IP computes both sums, or leaves them to the
			 * interface that can. */
			n->m_csum = M_CSUM_IPv4 | M_CSUM_TCPv4;
		} else {
			uint16_t plen = htons((uint16_t)(hdrlen - l3len +
			    len));

			memcpy(n->m_data + GSO_IP6_PLEN, &plen, 2);
			nth->th_sum = 0;
			nth->th_sum = tcp_gso_sum6(n->m_data, (uint8_t *)nth,
			    hdrlen - l3len + len);
		}
		*tail = n;
		tail = &n->m_nextpkt;
	}
	m_free(m);
	return q;
bad:
	m_free(m);
	return NULL;
}
