/*
 * udp_usrreq.c: the User Datagram Protocol (RFC 768) for sockets.
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/kmem.h>
#include <kern/libkern.h>

#include "in_var.h"
#include "in_pcb.h"
#include "in_proto.h"

#define UDP_MAXPAYLOAD	(IP_MAXPACKET - 20 - 8)

struct inpcbtable udbtable;

struct udpstat udpstat;

static int
udp_attach(struct socket *so, int proto)
{

	(void)proto;
	return in_pcballoc(so, &udbtable);
}

static void
udp_detach(struct socket *so)
{
	struct inpcb *inp = so->so_pcb;

	if (inp == NULL)
		return;
	in_pcbfree(inp);
}

static int
udp_bind(struct socket *so, const struct sockaddr *nam, socklen_t namlen)
{
	struct sockaddr_in sin;
	int error;

	if ((error = in_sockaddr(nam, namlen, &sin)) != 0)
		return error;
	return in_pcbbind(so->so_pcb, &sin);
}

static int
udp_connect(struct socket *so, const struct sockaddr *nam, socklen_t namlen)
{
	struct inpcb *inp = so->so_pcb;
	struct sockaddr_in sin;
	int error;

	/* AF_UNSPEC dissolves the association (Linux: any length >= 2). */
	if (namlen >= 2 && nam->sa_family == AF_UNSPEC) {
		in_pcbdisconnect(inp);
		so->so_state &= ~SS_ISCONNECTED;
		return 0;
	}
	/* Linux's inet_dgram_connect binds a port before it looks at the
	 * address, so the socket keeps one even when the connect fails. */
	if (namlen >= 2 && inp->inp_lport == 0 &&
	    in_pcbbind(inp, NULL) != 0)
		return EAGAIN;
	if ((error = in_sockaddr(nam, namlen, &sin)) != 0)
		return error;
	if (inp->inp_fport != 0)
		in_pcbdisconnect(inp);
	if ((error = in_pcbconnect(inp, &sin)) != 0)
		return error;
	soisconnected(so);
	return 0;
}

static int
udp_shutdown(struct socket *so, int how)
{

	(void)how;
	/* Linux: shutdown on a datagram socket that has no peer. */
	return (so->so_state & SS_ISCONNECTED) ? 0 : ENOTCONN;
}

static int
udp_send(struct socket *so, struct sbrec *rec, const struct sockaddr *nam,
    socklen_t namlen, int flags)
{
	struct inpcb *inp = so->so_pcb;
	struct sockaddr_in sin;
	struct udphdr *uh;
	struct mbuf *m;
	uint32_t faddr, laddr;
	uint16_t fport;
	size_t len = rec->sr_len;
	int error, ipflags = 0;

	(void)flags;
	if (nam != NULL) {
		if ((error = in_sockaddr(nam, namlen, &sin)) != 0)
			goto out;
		if (sin.sin_port == 0) {
			error = EINVAL;
			goto out;
		}
		faddr = sin.sin_addr.s_addr;
		fport = sin.sin_port;
		if (faddr == INADDR_ANY)
			faddr = htonl(INADDR_LOOPBACK);
	} else {
		if (inp->inp_fport == 0) {
			error = EDESTADDRREQ;
			goto out;
		}
		faddr = inp->inp_faddr;
		fport = inp->inp_fport;
	}
	if (len > UDP_MAXPAYLOAD) {
		error = EMSGSIZE;
		goto out;
	}
	if (inp->inp_lport == 0 && (error = in_pcbbind(inp, NULL)) != 0)
		goto out;
	laddr = inp->inp_laddr;
	if (so->so_options & SOOPT_BROADCAST)
		ipflags |= IP_ALLOWBROADCAST;
	m = m_get(sizeof(*uh) + len);
	if (m == NULL) {
		error = ENOBUFS;
		goto out;
	}
	uh = (struct udphdr *)(void *)m->m_data;
	uh->uh_sport = inp->inp_lport;
	uh->uh_dport = fport;
	uh->uh_ulen = htons((uint16_t)(sizeof(*uh) + len));
	uh->uh_sum = 0;
	memcpy(m->m_data + sizeof(*uh), rec->sr_data, len);
	/* Left to the interface, or computed by ip_output once the
	 * source address is known. */
	m->m_csum = M_CSUM_UDPv4;
	error = ip_output(m, laddr, faddr, IPPROTO_UDP, inp->inp_ttl,
	    inp->inp_tos, ipflags);
	if (error == 0) {
		__atomic_add_fetch(&udpstat.udps_opackets, 1, __ATOMIC_RELAXED);
		/* Consumed on success only (net/socket.h). */
		sbrec_free(rec, so->so_dom);
	}
out:
	return error;
}

/* The destination's errors, which Linux's udp_sendmsg gives before a
 * pending error or EPIPE. */
static int
udp_validaddr(struct socket *so, const struct sockaddr *nam,
    socklen_t namlen)
{
	struct sockaddr_in sin;
	int error;

	(void)so;
	if ((error = in_sockaddr(nam, namlen, &sin)) != 0)
		return error;
	return sin.sin_port == 0 ? EINVAL : 0;
}

static void
udp_sendprep(struct socket *so, const struct sockaddr *nam,
    socklen_t namlen)
{
	struct inpcb *inp = so->so_pcb;

	(void)nam;
	(void)namlen;
	/* Autobind, as Linux does before looking at the destination. */
	if (inp != NULL && inp->inp_lport == 0)
		(void)in_pcbbind(inp, NULL);
}

static size_t
udp_sendspace(struct socket *so)
{

	/* Datagrams leave at once: the buffer never fills. */
	return so->so_snd.sb_hiwat;
}

static int
udp_sockaddr(struct socket *so, struct sockaddr_storage *nam,
    socklen_t *namlen)
{
	struct inpcb *inp = so->so_pcb;

	in_pcbsockaddr(inp, false, nam, namlen);
	return 0;
}

static int
udp_peeraddr(struct socket *so, struct sockaddr_storage *nam,
    socklen_t *namlen)
{
	struct inpcb *inp = so->so_pcb;

	if (inp->inp_fport == 0)
		return ENOTCONN;
	in_pcbsockaddr(inp, true, nam, namlen);
	return 0;
}

static int
udp_ctloutput(struct socket *so, int op, int level, int name, void *val,
    socklen_t *len)
{

	if (level == SOL_IP)
		return in_ctloutput(so->so_pcb, op, name, val, len);
	/* No UDP options here.  An unknown level: Linux's IPv4 answers
	 * differ by direction. */
	if (level == SOL_UDP || op == PRCO_SETOPT)
		return ENOPROTOOPT;
	return EOPNOTSUPP;
}

void
udp_append(struct inpcb *inp, struct socket *so, const uint8_t *data,
    size_t len, const struct sockaddr_storage *from, socklen_t fromlen)
{
	struct sbrec *rec;

	rec = sbrec_alloc(len);
	solock(so);
	if (rec == NULL || so->so_pcb != inp ||
	    so->so_rcv.sb_cc + len > so->so_rcv.sb_hiwat ||
	    (so->so_state & SS_CANTRCVMORE)) {
		/* Full: dropped, as a datagram service may. */
		__atomic_add_fetch(&udpstat.udps_fullsock, 1, __ATOMIC_RELAXED);
		sounlock(so);
		if (rec != NULL)
			sbrec_free(rec, so->so_dom);
	} else {
		memcpy(rec->sr_data, data, len);
		memcpy(&rec->sr_addr, from, sizeof(*from));
		rec->sr_addrlen = fromlen;
		rec->sr_flags |= SR_EOR;
		sbappend(&so->so_rcv, rec);
		sorwakeup(so);
		sounlock(so);
	}
	sorele(so);
}

static void
udp_input(struct mbuf *m, int hlen)
{
	struct ip *ip = (struct ip *)(void *)m->m_data;
	struct udphdr *uh;
	struct inpcb *inp;
	struct socket *so;
	struct sockaddr_storage from;
	socklen_t fromlen;
	size_t len, ulen;
	uint32_t sum;

	__atomic_add_fetch(&udpstat.udps_ipackets, 1, __ATOMIC_RELAXED);
	len = m->m_len - (size_t)hlen;
	if (len < sizeof(*uh))
		goto bad;
	uh = (struct udphdr *)(void *)(m->m_data + hlen);
	ulen = ntohs(uh->uh_ulen);
	if (ulen < sizeof(*uh) || ulen > len)
		goto bad;
	if (ulen < len) {
		m_adj(m, -(long)(len - ulen));
		len = ulen;
	}
	if (uh->uh_sum != 0 && !(m->m_csum & M_CSUM_UDPv4_OK)) {
		sum = in_pseudo(ip->ip_src, ip->ip_dst, IPPROTO_UDP,
		    (uint16_t)len);
		if (in_cksum_fold(in_cksum_add(sum, uh, len)) != 0)
			goto bad;
	}
	/* A DHCP client's answer, before it has an address (dhcp.c). */
	if (uh->uh_dport == htons(68) && dhcp_input(m, hlen))
		return;
	inp = in_pcblookup(&udbtable, ip->ip_src, uh->uh_sport, ip->ip_dst,
	    uh->uh_dport, &so);
	if (inp == NULL) {
		__atomic_add_fetch(&udpstat.udps_noport, 1, __ATOMIC_RELAXED);
		if (m->m_flags & (M_BCAST | M_MCAST) ||
		    in_is_broadcast(ip->ip_dst, m->m_rcvif))
			m_free(m);
		else
			icmp_error(m, ICMP_UNREACH, ICMP_UNREACH_PORT, 0);
		return;
	}
	in_setsockaddr_af(so->so_dom->dom_family, &from, &fromlen, ip->ip_src,
	    uh->uh_sport);
	udp_append(inp, so, m->m_data + hlen + sizeof(*uh), len - sizeof(*uh),
	    &from, fromlen);
	m_free(m);
	return;
bad:
	__atomic_add_fetch(&udpstat.udps_badpackets, 1, __ATOMIC_RELAXED);
	m_free(m);
}

void
udp_notify(struct inpcb *inp, struct socket *so, int error)
{

	solock(so);
	/* Only a connected socket hears of its errors (as Linux, without
	 * IP_RECVERR). */
	if (so->so_pcb == inp && (so->so_state & SS_ISCONNECTED))
		soseterror(so, error);
	sounlock(so);
}

static void
udp_ctlinput(int error, const struct ip *inner, size_t len)
{
	const struct udphdr *uh;

	if (len < (size_t)IP_HLEN(inner) + sizeof(*uh))
		return;
	uh = (const struct udphdr *)(const void *)((const uint8_t *)inner +
	    IP_HLEN(inner));
	in_pcbnotify(&udbtable, inner->ip_dst, uh->uh_dport, inner->ip_src,
	    uh->uh_sport, error, udp_notify);
}

void
udp_init(void)
{

	in_pcbtable_init(&udbtable);
	ip_proto_register(IPPROTO_UDP, udp_input);
	ip_ctl_register(IPPROTO_UDP, udp_ctlinput);
}

const struct protosw udp_protosw = {
	.pr_type = SOCK_DGRAM,
	.pr_protocol = IPPROTO_UDP,
	.pr_flags = PR_ATOMIC | PR_ADDR,
	.pr_attach = udp_attach,
	.pr_detach = udp_detach,
	.pr_bind = udp_bind,
	.pr_connect = udp_connect,
	.pr_shutdown = udp_shutdown,
	.pr_send = udp_send,
	.pr_sendprep = udp_sendprep,
	.pr_validaddr = udp_validaddr,
	.pr_sendspace = udp_sendspace,
	.pr_sockaddr = udp_sockaddr,
	.pr_peeraddr = udp_peeraddr,
	.pr_ctloutput = udp_ctloutput,
	/* send() with neither a peer nor an address, as Linux. */
	.pr_sndnotconn = EDESTADDRREQ,
};
