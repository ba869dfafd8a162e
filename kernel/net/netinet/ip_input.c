/*
 * ip_input.c: receiving IPv4 datagrams: validation, delivery to the
 * transport protocols, forwarding, and fragment reassembly.
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/kmem.h>
#include <kern/libkern.h>
#include <kern/lock.h>
#include <kern/clock.h>

#include "in_var.h"

struct ipstat ipstat;
int ip_forwarding;
int ip_defttl = IPDEFTTL;

static ip_protofn ip_protox[256];
static ip_ctlfn ip_ctlx[256];

void
ip_proto_register(int proto, ip_protofn fn)
{

	__atomic_store_n(&ip_protox[proto & 0xff], fn, __ATOMIC_RELEASE);
}

void
ip_ctl_register(int proto, ip_ctlfn fn)
{

	__atomic_store_n(&ip_ctlx[proto & 0xff], fn, __ATOMIC_RELEASE);
}

void
ip_ctl_notify(int proto, int error, const struct ip *inner, size_t len)
{
	ip_ctlfn fn;

	fn = __atomic_load_n(&ip_ctlx[proto & 0xff], __ATOMIC_ACQUIRE);
	if (fn != NULL)
		fn(error, inner, len);
}

static void
ip_forward(struct ifnet *ifp, struct mbuf *m)
{
	struct ip *ip = (struct ip *)(void *)m->m_data;
	struct rtresult rt;
	size_t hlen = IP_HLEN(ip);
	int error, mtu;

	if (ip->ip_ttl <= 1) {
		IPSTAT_INC(ips_timxceed);
		icmp_error(m, ICMP_TIMXCEED, ICMP_TIMXCEED_INTRANS, 0);
		return;
	}
	if ((error = rt_lookup4(ip->ip_dst, &rt)) != 0) {
		IPSTAT_INC(ips_cantforward);
		icmp_error(m, ICMP_UNREACH, ICMP_UNREACH_NET, 0);
		return;
	}
	ip->ip_ttl--;
	/* A TCP segment longer than the MTU of the link it came over, with
	 * no size to cut it at, came whole from a station whose link takes
	 * segments whole (shmif's TSO); without that the station would
	 * have sent segments filling the MTU, and those are the pieces
	 * ip_output cuts if the way on needs them. */
	mtu = if_mtu_get(ifp);
	if (m->m_tso_segsz == 0 && m->m_len > (size_t)mtu &&
	    ip->ip_p == IPPROTO_TCP && m->m_len >= hlen + 20 &&
	    !(ntohs(ip->ip_off) & (IP_MF | IP_OFFMASK))) {
		size_t hdrlen = hlen + (size_t)(m->m_data[hlen + 12] >> 4) * 4;

		if ((size_t)mtu > hdrlen) {
			m->m_tso_segsz = (uint16_t)((size_t)mtu - hdrlen);
			m->m_tso_type = M_TSO_TCPv4;
		}
	}
	IPSTAT_INC(ips_forward);
	(void)ip_output_datagram(m, IP_FORWARDING);
}

static void
ip_input(struct ifnet *ifp, struct mbuf *m)
{
	struct ip *ip;
	size_t hlen, len;
	ip_protofn fn;
	bool ours;

	IPSTAT_INC(ips_total);
	if (m->m_len < sizeof(struct ip)) {
		IPSTAT_INC(ips_tooshort);
		goto drop;
	}
	/* Headers are read in place: the buffer must allow 16-bit
	 * access.  Drivers deliver aligned frames; realign if not. */
	if ((uintptr_t)m->m_data & 1) {
		struct mbuf *n = m_dup(m);

		m_free(m);
		if ((m = n) == NULL)
			return;
	}
	ip = (struct ip *)(void *)m->m_data;
	if (IP_VERSION(ip) != 4) {
		IPSTAT_INC(ips_badvers);
		goto drop;
	}
	hlen = IP_HLEN(ip);
	if (hlen < sizeof(struct ip) || hlen > m->m_len) {
		IPSTAT_INC(ips_badhlen);
		goto drop;
	}
	if (!(m->m_csum & M_CSUM_IPv4_OK) &&
	    in_cksum_fold(in_cksum_add(0, ip, hlen)) != 0) {
		IPSTAT_INC(ips_badsum);
		goto drop;
	}
	len = ntohs(ip->ip_len);
	if (len < hlen || len > m->m_len) {
		IPSTAT_INC(ips_badlen);
		goto drop;
	}
	if (m->m_len > len)
		m_adj(m, -(long)(m->m_len - len));	/* link padding */
	/* Martian sources are never answered or delivered. */
	if (ip->ip_src == INADDR_BROADCAST ||
	    IN_MULTICAST(ntohl(ip->ip_src)))
		goto drop;
	if (ifp != lo_ifp && (ntohl(ip->ip_src) >> 24 == IN_LOOPBACKNET ||
	    ntohl(ip->ip_dst) >> 24 == IN_LOOPBACKNET))
		goto drop;

	ours = in_is_local(ip->ip_dst) || in_is_broadcast(ip->ip_dst, ifp) ||
	    (ifp == lo_ifp && ntohl(ip->ip_dst) >> 24 == IN_LOOPBACKNET);
	if (!ours) {
		if (__atomic_load_n(&ip_forwarding, __ATOMIC_RELAXED) &&
		    ifp != lo_ifp &&
		    !(m->m_flags & (M_BCAST | M_MCAST)) &&
		    !IN_MULTICAST(ntohl(ip->ip_dst)))
			ip_forward(ifp, m);
		else {
			IPSTAT_INC(ips_cantforward);
			m_free(m);
		}
		return;
	}
	if (ntohs(ip->ip_off) & (IP_MF | IP_OFFMASK)) {
		IPSTAT_INC(ips_fragments);
		m = ip_reass(m);
		if (m == NULL)
			return;
		IPSTAT_INC(ips_reassembled);
		ip = (struct ip *)(void *)m->m_data;
		hlen = IP_HLEN(ip);
	}
	fn = __atomic_load_n(&ip_protox[ip->ip_p], __ATOMIC_ACQUIRE);
	if (fn == NULL) {
		IPSTAT_INC(ips_noproto);
		icmp_error(m, ICMP_UNREACH, ICMP_UNREACH_PROTOCOL, 0);
		return;
	}
	IPSTAT_INC(ips_delivered);
	fn(m, (int)hlen);
	return;
drop:
	if_stat_add(&ifp->if_ierrors, 1);
	m_free(m);
}

/* --- Reassembly (RFC 791, RFC 815's idea of tracking holes, as a
 * bitmap of 8-byte blocks) -------------------------------------------- */

#define IPQ_MAX		16		/* datagrams being reassembled */
#define IPQ_TIMEOUT_NS	(30ULL * 1000000000)	/* as Linux */
#define IPQ_BLOCKS	(65536 / 8)

struct ipq {
	bool		 q_used;
	uint32_t	 q_src, q_dst;
	uint16_t	 q_id;
	uint8_t		 q_p;
	uint64_t	 q_expire;
	size_t		 q_total;	/* payload bytes; 0 until last seen */
	size_t		 q_have;	/* blocks received */
	uint8_t		 q_hdr[60];	/* header of the first fragment */
	size_t		 q_hlen;	/* 0 until the first fragment */
	uint8_t		 q_map[IPQ_BLOCKS / 8];
	uint8_t		*q_data;	/* 65536 bytes */
	struct ifnet	*q_ifp;
};

static kmutex_t ipq_lock;
static struct ipq ipq[IPQ_MAX];
static struct callout ipq_timer;

static void
ipq_release(struct ipq *q)
{

	kmem_free(q->q_data, 65536);
	q->q_data = NULL;
	q->q_used = false;
}

/* Every block below the end has arrived (blocks past the end, sent by a
 * confused or hostile peer, may be there too and are ignored). */
static bool
ipq_complete(const struct ipq *q)
{
	size_t n = howmany(q->q_total, 8);

	for (size_t b = 0; b < n; b++)
		if (!(q->q_map[b / 8] & (1u << (b % 8))))
			return false;
	return true;
}

struct mbuf *
ip_reass(struct mbuf *m)
{
	struct ip *ip = (struct ip *)(void *)m->m_data;
	size_t hlen = IP_HLEN(ip), len = m->m_len - hlen, off, first, last;
	uint16_t ipoff = ntohs(ip->ip_off);
	struct ipq *q = NULL, *free = NULL, *oldest = NULL;
	struct mbuf *whole = NULL;
	uint64_t now = getmonotonic_ns();

	off = (size_t)(ipoff & IP_OFFMASK) * 8;
	/* Every fragment but the last carries a multiple of 8 bytes;
	 * nothing may reach past the largest datagram. */
	if (((ipoff & IP_MF) && (len == 0 || (len & 7) != 0)) ||
	    off + len > IP_MAXPACKET - hlen) {
		IPSTAT_INC(ips_fragdropped);
		m_free(m);
		return NULL;
	}
	mutex_enter(&ipq_lock);
	for (int i = 0; i < IPQ_MAX; i++) {
		struct ipq *p = &ipq[i];

		if (p->q_used && p->q_expire <= now)
			ipq_release(p);
		if (!p->q_used) {
			if (free == NULL)
				free = p;
			continue;
		}
		if (oldest == NULL || p->q_expire < oldest->q_expire)
			oldest = p;
		if (p->q_src == ip->ip_src && p->q_dst == ip->ip_dst &&
		    p->q_id == ip->ip_id && p->q_p == ip->ip_p) {
			q = p;
			break;
		}
	}
	if (q == NULL) {
		/* Full: the oldest datagram goes (as Linux evicts under
		 * memory pressure).  Refusing the new one instead would let
		 * datagrams that lost a fragment block all reassembly for
		 * IPQ_TIMEOUT_NS. */
		if (free == NULL) {
			IPSTAT_INC(ips_fragdropped);
			ipq_release(oldest);
			free = oldest;
		}
		if ((free->q_data = kmem_alloc(65536, KM_NOSLEEP)) == NULL) {
			mutex_exit(&ipq_lock);
			IPSTAT_INC(ips_fragdropped);
			m_free(m);
			return NULL;
		}
		q = free;
		q->q_used = true;
		q->q_src = ip->ip_src;
		q->q_dst = ip->ip_dst;
		q->q_id = ip->ip_id;
		q->q_p = ip->ip_p;
		q->q_expire = now + IPQ_TIMEOUT_NS;
		q->q_total = 0;
		q->q_have = 0;
		q->q_hlen = 0;
		q->q_ifp = m->m_rcvif;
		memset(q->q_map, 0, sizeof(q->q_map));
	}
	if (!(ipoff & IP_MF)) {
		/* A second, different "last" fragment: the datagram is
		 * inconsistent; give up on it. */
		if ((q->q_total != 0 && q->q_total != off + len) ||
		    off + len == 0) {
			ipq_release(q);
			goto drop;
		}
		q->q_total = off + len;
	}
	if (off == 0) {
		memcpy(q->q_hdr, ip, hlen);
		q->q_hlen = hlen;
	}
	if (len > 0) {
		memcpy(q->q_data + off, m->m_data + hlen, len);
		first = off / 8;
		last = (off + len - 1) / 8;
		for (size_t b = first; b <= last; b++) {
			if (!(q->q_map[b / 8] & (1u << (b % 8)))) {
				q->q_map[b / 8] |= (uint8_t)(1u << (b % 8));
				q->q_have++;
			}
		}
	}
	if (q->q_total != 0 && q->q_hlen != 0 &&
	    q->q_have >= howmany(q->q_total, 8) &&
	    ipq_complete(q) && q->q_hlen + q->q_total <= IP_MAXPACKET) {
		whole = m_get(q->q_hlen + q->q_total);
		if (whole != NULL) {
			struct ip *wip;

			memcpy(whole->m_data, q->q_hdr, q->q_hlen);
			memcpy(whole->m_data + q->q_hlen, q->q_data,
			    q->q_total);
			wip = (struct ip *)(void *)whole->m_data;
			wip->ip_len = htons((uint16_t)(q->q_hlen + q->q_total));
			wip->ip_off = 0;
			whole->m_rcvif = m->m_rcvif;
			whole->m_flags = m->m_flags;
			/* The header's checksum is stale now; it was
			 * verified per fragment. */
			whole->m_csum = M_CSUM_IPv4_OK;
		} else
			IPSTAT_INC(ips_fragdropped);
		ipq_release(q);
	}
drop:
	mutex_exit(&ipq_lock);
	m_free(m);
	return whole;
}

static void
ipq_tick(void *arg)
{
	uint64_t now = getmonotonic_ns();

	(void)arg;
	mutex_enter(&ipq_lock);
	for (int i = 0; i < IPQ_MAX; i++)
		if (ipq[i].q_used && ipq[i].q_expire <= now)
			ipq_release(&ipq[i]);
	mutex_exit(&ipq_lock);
	callout_schedule_ns(&ipq_timer, 1000000000ULL);
}

void
ip_reass_init(void)
{

	mutex_init(&ipq_lock, MUTEX_DEFAULT);
	callout_init(&ipq_timer, ipq_tick, NULL);
	callout_schedule_ns(&ipq_timer, 1000000000ULL);
}

void
ip_init(void)
{

	ip_reass_init();
	netisr_register(AF_INET, ip_input);
}
