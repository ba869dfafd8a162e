/*
 * icmp.c: the Internet Control Message Protocol (RFC 792): echo replies,
 * error messages (unreachable, time exceeded), errors handed to the
 * transports, and the kernel's own echo requests (icmp_ping, behind
 * rump_netconfig_ping4).
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/kmem.h>
#include <kern/libkern.h>
#include <kern/lock.h>
#include <kern/clock.h>

#include "in_var.h"

static bool
icmp_is_error(uint8_t type)
{

	return type == ICMP_UNREACH || type == ICMP_TIMXCEED ||
	    type == ICMP_PARAMPROB || type == 4 /* source quench */ ||
	    type == 5 /* redirect */;
}

void
icmp_error(struct mbuf *m, int type, int code, int mtu)
{
	struct ip *oip = (struct ip *)(void *)m->m_data;
	size_t ohlen = IP_HLEN(oip), quote;
	struct icmp *icp;
	struct mbuf *n;
	uint32_t src = 0;

	/* RFC 1122 3.2.2: never about an ICMP error, a non-first
	 * fragment, a broadcast or multicast, or a martian source. */
	if (ntohs(oip->ip_off) & IP_OFFMASK)
		goto out;
	if (m->m_flags & (M_BCAST | M_MCAST) ||
	    IN_MULTICAST(ntohl(oip->ip_dst)) ||
	    oip->ip_dst == INADDR_BROADCAST || oip->ip_src == INADDR_ANY ||
	    (m->m_rcvif != NULL && in_is_broadcast(oip->ip_dst, m->m_rcvif)))
		goto out;
	if (oip->ip_p == IPPROTO_ICMP && m->m_len >= ohlen + ICMP_MINLEN &&
	    icmp_is_error(m->m_data[ohlen]))
		goto out;
	quote = MIN(m->m_len, ohlen + 8);
	n = m_get(ICMP_MINLEN + quote);
	if (n == NULL)
		goto out;
	icp = (struct icmp *)(void *)n->m_data;
	memset(icp, 0, ICMP_MINLEN);
	icp->icmp_type = (uint8_t)type;
	icp->icmp_code = (uint8_t)code;
	if (type == ICMP_UNREACH && code == ICMP_UNREACH_NEEDFRAG)
		icp->icmp_hun.frag.mtu = htons((uint16_t)mtu);
	memcpy(n->m_data + ICMP_MINLEN, m->m_data, quote);
	icp->icmp_cksum = in_cksum_fold(in_cksum_add(0, n->m_data,
	    n->m_len));
	/* From the address the datagram was sent to when it is ours (a
	 * port unreachable), else from the outgoing interface's. */
	if (in_is_local(oip->ip_dst))
		src = oip->ip_dst;
	(void)ip_output(n, src, oip->ip_src, IPPROTO_ICMP, 0, 0, 0);
out:
	m_free(m);
}

/* --- The kernel's own echo requests ------------------------------------ */

struct ping_wait {
	uint32_t	 pw_dst;
	uint16_t	 pw_id, pw_seq;
	bool		 pw_done;
	uint64_t	 pw_recv;
	struct ping_wait *pw_next;
};

static kmutex_t ping_lock;
static kcondvar_t ping_cv;
static struct ping_wait *ping_waits;
static uint16_t ping_nextid;

int
icmp_ping(uint32_t dst, uint16_t seq, size_t datalen, uint64_t timeout_ns,
    uint64_t *rtt_ns)
{
	struct ping_wait pw, **pp;
	struct icmp *icp;
	struct mbuf *m;
	uint64_t start, deadline, now;
	int error;

	if (datalen > IP_MAXPACKET - sizeof(struct ip) - ICMP_MINLEN)
		return EMSGSIZE;
	m = m_get(ICMP_MINLEN + datalen);
	if (m == NULL)
		return ENOBUFS;
	memset(&pw, 0, sizeof(pw));
	pw.pw_dst = dst;
	pw.pw_seq = htons(seq);
	mutex_enter(&ping_lock);
	pw.pw_id = htons(++ping_nextid);
	pw.pw_next = ping_waits;
	ping_waits = &pw;
	mutex_exit(&ping_lock);

	icp = (struct icmp *)(void *)m->m_data;
	icp->icmp_type = ICMP_ECHO;
	icp->icmp_code = 0;
	icp->icmp_cksum = 0;
	icp->icmp_id = pw.pw_id;
	icp->icmp_seq = pw.pw_seq;
	for (size_t i = 0; i < datalen; i++)
		m->m_data[ICMP_MINLEN + i] = (uint8_t)i;
	icp->icmp_cksum = in_cksum_fold(in_cksum_add(0, m->m_data, m->m_len));

	start = getmonotonic_ns();
	deadline = start + timeout_ns;
	error = ip_output(m, INADDR_ANY, dst, IPPROTO_ICMP, 0, 0,
	    IP_ALLOWBROADCAST);
	mutex_enter(&ping_lock);
	while (error == 0 && !pw.pw_done) {
		now = getmonotonic_ns();
		if (now >= deadline) {
			error = ETIMEDOUT;
			break;
		}
		(void)cv_timedwait_ns(&ping_cv, &ping_lock, deadline - now);
	}
	for (pp = &ping_waits; *pp != NULL; pp = &(*pp)->pw_next) {
		if (*pp == &pw) {
			*pp = pw.pw_next;
			break;
		}
	}
	mutex_exit(&ping_lock);
	if (error == 0 && rtt_ns != NULL)
		*rtt_ns = pw.pw_recv - start;
	return error;
}

static void
icmp_echoreply_input(struct icmp *icp, uint32_t src, size_t len)
{
	struct ping_wait *pw;

	(void)len;
	mutex_enter(&ping_lock);
	for (pw = ping_waits; pw != NULL; pw = pw->pw_next) {
		if (pw->pw_id == icp->icmp_id && pw->pw_seq == icp->icmp_seq &&
		    (pw->pw_dst == src || pw->pw_dst == INADDR_BROADCAST) &&
		    !pw->pw_done) {
			pw->pw_done = true;
			pw->pw_recv = getmonotonic_ns();
			cv_broadcast(&ping_cv);
			break;
		}
	}
	mutex_exit(&ping_lock);
}

/* --- Input -------------------------------------------------------------- */

static int
icmp_unreach_errno(int type, int code)
{

	if (type == ICMP_UNREACH) {
		switch (code) {
		case ICMP_UNREACH_PORT:
		case ICMP_UNREACH_PROTOCOL:
			return ECONNREFUSED;
		case ICMP_UNREACH_NEEDFRAG:
			return EMSGSIZE;
		case ICMP_UNREACH_NET:
			return ENETUNREACH;
		default:
			return EHOSTUNREACH;
		}
	}
	return EHOSTUNREACH;
}

static void
icmp_input(struct mbuf *m, int hlen)
{
	struct ip *ip = (struct ip *)(void *)m->m_data;
	struct icmp *icp;
	size_t len = m->m_len - (size_t)hlen;
	uint32_t src, dst;

	if (len < ICMP_MINLEN)
		goto drop;
	icp = (struct icmp *)(void *)(m->m_data + hlen);
	if (in_cksum_fold(in_cksum_add(0, icp, len)) != 0)
		goto drop;
	switch (icp->icmp_type) {
	case ICMP_ECHO:
		/* Broadcast echo requests are ignored, as Linux does by
		 * default (icmp_echo_ignore_broadcasts). */
		if (m->m_flags & (M_BCAST | M_MCAST) ||
		    !(in_is_local(ip->ip_dst) || (m->m_rcvif == lo_ifp &&
		    ntohl(ip->ip_dst) >> 24 == IN_LOOPBACKNET)))
			goto drop;
		src = ip->ip_dst;
		dst = ip->ip_src;
		icp->icmp_type = ICMP_ECHOREPLY;
		icp->icmp_cksum = 0;
		icp->icmp_cksum = in_cksum_fold(in_cksum_add(0, icp, len));
		/* Options are not reflected. */
		m_adj(m, hlen);
		m->m_flags = 0;
		m->m_csum = 0;
		(void)ip_output(m, src, dst, IPPROTO_ICMP, 0, ip->ip_tos, 0);
		return;
	case ICMP_ECHOREPLY:
		icmp_echoreply_input(icp, ip->ip_src, len);
		break;
	case ICMP_UNREACH:
	case ICMP_TIMXCEED:
		if (len >= ICMP_MINLEN + sizeof(struct ip)) {
			const struct ip *inner = (const struct ip *)(const void *)
			    (m->m_data + hlen + ICMP_MINLEN);

			if (IP_VERSION(inner) == 4 && IP_HLEN(inner) >= 20 &&
			    len >= ICMP_MINLEN + (size_t)IP_HLEN(inner) + 8)
				ip_ctl_notify(inner->ip_p,
				    icmp_unreach_errno(icp->icmp_type,
				    icp->icmp_code), inner,
				    len - ICMP_MINLEN);
		}
		break;
	default:
		break;
	}
drop:
	m_free(m);
}

void
icmp_init(void)
{

	mutex_init(&ping_lock, MUTEX_DEFAULT);
	cv_init(&ping_cv);
	ip_proto_register(IPPROTO_ICMP, icmp_input);
}
