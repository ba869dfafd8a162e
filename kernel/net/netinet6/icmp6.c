/*
 * icmp6.c: ICMPv6 (RFC 4443): echo replies, error messages (destination
 * unreachable, packet too big, time exceeded, parameter problem), errors
 * handed to the transports, neighbour discovery messages handed to nd6,
 * and the kernel's own echo requests (icmp6_ping, behind
 * rump_netconfig_ping6).
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/kmem.h>
#include <kern/libkern.h>
#include <kern/lock.h>
#include <kern/clock.h>

#include "in6_var.h"

/* Error messages sent per second at most (RFC 4443 2.4 (f)). */
#define ICMP6_ERRPPS	100

static kmutex_t icmp6_lock;
static uint64_t icmp6_errsec;
static int icmp6_errcount;

static bool
icmp6_is_error(uint8_t type)
{

	return type < 128;
}

static bool
icmp6_ratelimit(void)
{
	uint64_t sec = getmonotonic_ns() / 1000000000;
	bool limited;

	mutex_enter(&icmp6_lock);
	if (sec != icmp6_errsec) {
		icmp6_errsec = sec;
		icmp6_errcount = 0;
	}
	limited = ++icmp6_errcount > ICMP6_ERRPPS;
	mutex_exit(&icmp6_lock);
	return limited;
}

void
icmp6_error(struct mbuf *m, int type, int code, uint32_t param)
{
	struct ip6_hdr *oip6 = (struct ip6_hdr *)(void *)m->m_data;
	struct icmp6_hdr *icp;
	struct in6_addr src, dst;
	const struct in6_addr *srcp = NULL;
	struct mbuf *n;
	uint32_t scope = 0;
	size_t quote;
	int nxt, off;

	if (m->m_len < sizeof(*oip6))
		goto out;
	/* Not about a packet to a multicast group (except Packet Too Big
	 * and unknown options, 2.4 (e)), or from no one in particular. */
	if (((m->m_flags & M_MCAST) || in6_is_multicast(&oip6->ip6_dst)) &&
	    type != ICMP6_PACKET_TOO_BIG &&
	    !(type == ICMP6_PARAM_PROB && code == 2))
		goto out;
	if (in6_is_unspecified(&oip6->ip6_src) ||
	    in6_is_multicast(&oip6->ip6_src))
		goto out;
	/* Never about an ICMPv6 error. */
	nxt = oip6->ip6_nxt;
	off = ip6_skip_ext(m->m_data, m->m_len, sizeof(*oip6), &nxt);
	if (nxt == IPPROTO_ICMPV6 && off >= 0 &&
	    (size_t)off + 1 <= m->m_len && icmp6_is_error(m->m_data[off]))
		goto out;
	if (icmp6_ratelimit())
		goto out;
	/* As much of the packet as fits the minimum MTU. */
	quote = MIN(m->m_len, IPV6_MINMTU - sizeof(struct ip6_hdr) -
	    sizeof(*icp));
	n = m_get(sizeof(*icp) + quote);
	if (n == NULL)
		goto out;
	icp = (struct icmp6_hdr *)(void *)n->m_data;
	icp->icmp6_type = (uint8_t)type;
	icp->icmp6_code = (uint8_t)code;
	icp->icmp6_cksum = 0;
	icp->icmp6_dataun.data32[0] = htonl(param);
	memcpy(n->m_data + sizeof(*icp), m->m_data, quote);
	dst = oip6->ip6_src;
	if (in6_needs_scope(&dst) && m->m_rcvif != NULL)
		scope = (uint32_t)m->m_rcvif->if_index;
	/* From the address the packet was for when it is ours. */
	if (!in6_is_multicast(&oip6->ip6_dst) &&
	    in6_addr_state(&oip6->ip6_dst, NULL) == IN6_ADDR_USABLE) {
		src = oip6->ip6_dst;
		srcp = &src;
	}
	(void)ip6_output(n, srcp, &dst, scope, IPPROTO_ICMPV6, 0, 0);
out:
	m_free(m);
}

/* --- The kernel's own echo requests ------------------------------------ */

struct ping6_wait {
	struct in6_addr	 pw_dst;
	uint16_t	 pw_id, pw_seq;
	bool		 pw_done;
	int		 pw_error;	/* an error message came instead */
	uint64_t	 pw_recv;
	struct ping6_wait *pw_next;
};

static kmutex_t ping6_lock;
static kcondvar_t ping6_cv;
static struct ping6_wait *ping6_waits;
static uint16_t ping6_nextid;

int
icmp6_ping(const struct in6_addr *dst, uint32_t scope, uint16_t seq,
    size_t datalen, uint64_t timeout_ns, uint64_t *rtt_ns)
{
	struct ping6_wait pw, **pp;
	struct icmp6_hdr *icp;
	struct mbuf *m;
	uint64_t start, deadline, now;
	int error;

	if (datalen > IPV6_MAXPACKET - sizeof(*icp))
		return EMSGSIZE;
	m = m_get(sizeof(*icp) + datalen);
	if (m == NULL)
		return ENOBUFS;
	memset(&pw, 0, sizeof(pw));
	pw.pw_dst = *dst;
	pw.pw_seq = htons(seq);
	mutex_enter(&ping6_lock);
	pw.pw_id = htons(++ping6_nextid);
	pw.pw_next = ping6_waits;
	ping6_waits = &pw;
	mutex_exit(&ping6_lock);

	icp = (struct icmp6_hdr *)(void *)m->m_data;
	icp->icmp6_type = ICMP6_ECHO_REQUEST;
	icp->icmp6_code = 0;
	icp->icmp6_cksum = 0;
	icp->icmp6_id = pw.pw_id;
	icp->icmp6_seq = pw.pw_seq;
	for (size_t i = 0; i < datalen; i++)
		m->m_data[sizeof(*icp) + i] = (uint8_t)i;

	start = getmonotonic_ns();
	deadline = start + timeout_ns;
	error = ip6_output(m, NULL, dst, scope, IPPROTO_ICMPV6, 0, 0);
	mutex_enter(&ping6_lock);
	while (error == 0 && !pw.pw_done) {
		now = getmonotonic_ns();
		if (now >= deadline) {
			error = ETIMEDOUT;
			break;
		}
		(void)cv_timedwait_ns(&ping6_cv, &ping6_lock, deadline - now);
	}
	if (error == 0)
		error = pw.pw_error;
	for (pp = &ping6_waits; *pp != NULL; pp = &(*pp)->pw_next) {
		if (*pp == &pw) {
			*pp = pw.pw_next;
			break;
		}
	}
	mutex_exit(&ping6_lock);
	if (error == 0 && rtt_ns != NULL)
		*rtt_ns = pw.pw_recv - start;
	return error;
}

static void
icmp6_ping_done(const struct icmp6_hdr *icp, const struct in6_addr *from,
    int error)
{
	struct ping6_wait *pw;

	mutex_enter(&ping6_lock);
	for (pw = ping6_waits; pw != NULL; pw = pw->pw_next) {
		if (pw->pw_id == icp->icmp6_id && pw->pw_seq == icp->icmp6_seq &&
		    (from == NULL || in6_equal(&pw->pw_dst, from) ||
		    in6_is_multicast(&pw->pw_dst)) && !pw->pw_done) {
			pw->pw_done = true;
			pw->pw_error = error;
			pw->pw_recv = getmonotonic_ns();
			cv_broadcast(&ping6_cv);
			break;
		}
	}
	mutex_exit(&ping6_lock);
}

/* --- Input -------------------------------------------------------------- */

static int
icmp6_errno(int type, int code)
{

	switch (type) {
	case ICMP6_DST_UNREACH:
		switch (code) {
		case ICMP6_DST_UNREACH_NOROUTE:
			return ENETUNREACH;
		case ICMP6_DST_UNREACH_ADMIN:
			return EACCES;
		case ICMP6_DST_UNREACH_NOPORT:
			return ECONNREFUSED;
		default:
			return EHOSTUNREACH;
		}
	case ICMP6_PACKET_TOO_BIG:
		return EMSGSIZE;
	case ICMP6_PARAM_PROB:
		return code == ICMP6_PARAMPROB_NEXTHEADER ? ECONNREFUSED :
		    EPROTO;
	default:
		return EHOSTUNREACH;
	}
}

/* An error message: hand it to the transport of the quoted packet. */
static void
icmp6_notify(struct mbuf *m, int off, size_t len)
{
	struct icmp6_hdr *icp = (struct icmp6_hdr *)(void *)(m->m_data + off);
	const struct ip6_hdr *inner;
	size_t ilen = len - sizeof(*icp);
	int nxt, thoff;

	if (ilen < sizeof(*inner))
		return;
	/* The quote starts 8 bytes into the message: aligned like the
	 * packet itself. */
	inner = (const struct ip6_hdr *)(const void *)((const uint8_t *)icp +
	    sizeof(*icp));
	if (icp->icmp6_type == ICMP6_PACKET_TOO_BIG)
		ip6_pmtu_update(&inner->ip6_dst, ntohl(icp->icmp6_mtu));
	nxt = inner->ip6_nxt;
	thoff = ip6_skip_ext((const uint8_t *)inner, ilen, sizeof(*inner),
	    &nxt);
	if (thoff < 0 || (size_t)thoff + 8 > ilen)
		return;
	if (nxt == IPPROTO_ICMPV6) {
		const struct icmp6_hdr *iicp = (const struct icmp6_hdr *)
		    (const void *)((const uint8_t *)inner + thoff);

		/* One of our echo requests went nowhere. */
		if (iicp->icmp6_type == ICMP6_ECHO_REQUEST &&
		    icp->icmp6_type != ICMP6_PACKET_TOO_BIG)
			icmp6_ping_done(iicp, NULL, icmp6_errno(icp->icmp6_type,
			    icp->icmp6_code));
		return;
	}
	ip6_ctl_notify(nxt, icmp6_errno(icp->icmp6_type, icp->icmp6_code),
	    inner, ilen, (size_t)thoff);
}

static void
icmp6_input(struct mbuf *m, int off, int proto)
{
	struct ip6_hdr *ip6 = (struct ip6_hdr *)(void *)m->m_data;
	struct icmp6_hdr *icp;
	size_t len = m->m_len - (size_t)off;
	struct in6_addr src, dst;
	uint32_t scope = 0;

	(void)proto;
	if (len < sizeof(*icp) || ((uintptr_t)(m->m_data + off) & 3))
		goto drop;
	icp = (struct icmp6_hdr *)(void *)(m->m_data + off);
	if (!(m->m_flags & M_LOOP) && in6_cksum(&ip6->ip6_src, &ip6->ip6_dst,
	    IPPROTO_ICMPV6, icp, len) != 0) {
		IP6STAT_INC(ip6s_badsum);
		goto drop;
	}
	switch (icp->icmp6_type) {
	case ICMP6_ECHO_REQUEST:
		if (icp->icmp6_code != 0)
			goto drop;
		dst = ip6->ip6_src;
		if (in6_needs_scope(&dst) && m->m_rcvif != NULL)
			scope = (uint32_t)m->m_rcvif->if_index;
		/* From the address asked, unless it was a group. */
		src = ip6->ip6_dst;
		icp->icmp6_type = ICMP6_ECHO_REPLY;
		m_adj(m, off);
		(void)ip6_output(m, in6_is_multicast(&src) ? NULL : &src, &dst,
		    scope, IPPROTO_ICMPV6, 0, 0);
		return;
	case ICMP6_ECHO_REPLY:
		icmp6_ping_done(icp, &ip6->ip6_src, 0);
		break;
	case ICMP6_DST_UNREACH:
	case ICMP6_PACKET_TOO_BIG:
	case ICMP6_TIME_EXCEEDED:
	case ICMP6_PARAM_PROB:
		icmp6_notify(m, off, len);
		break;
	case ND_NEIGHBOR_SOLICIT:
		nd6_ns_input(m, off, len);
		return;
	case ND_NEIGHBOR_ADVERT:
		nd6_na_input(m, off, len);
		return;
	case ND_ROUTER_ADVERT:
		nd6_ra_input(m, off, len);
		return;
	case ND_ROUTER_SOLICIT:
		nd6_rs_input(m, off, len);
		return;
	default:
		break;
	}
drop:
	m_free(m);
}

void
icmp6_init(void)
{

	mutex_init(&icmp6_lock, MUTEX_DEFAULT);
	mutex_init(&ping6_lock, MUTEX_DEFAULT);
	cv_init(&ping6_cv);
	ip6_proto_register(IPPROTO_ICMPV6, icmp6_input);
}
