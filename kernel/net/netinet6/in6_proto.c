/*
 * in6_proto.c: UDP and TCP over IPv6 (the AF_INET6 domain), reusing
 * netinet's UDP and TCP: the protocol switches are netinet's with the
 * address handling replaced, the pcbs live in netinet's tables (so ports
 * clash across families as on Linux), and IPv6 segments enter netinet's
 * TCP input once their checksum (RFC 8200 8.1) is verified here.
 *
 * Dual stack, as Linux: an AF_INET6 socket bound to :: without
 * IPV6_V6ONLY also receives IPv4 (peers shown as ::ffff:a.b.c.d); one
 * that binds or connects to a v4-mapped address works as IPv4.
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/kmem.h>
#include <kern/libkern.h>
#include <kern/proc.h>

#include "../netinet/in_var.h"
#include "../netinet/in_pcb.h"
#include "../netinet/in_proto.h"
#include "../netinet/tcp_var.h"
#include "in6_var.h"

#define UDP6_MAXPAYLOAD	(IPV6_MAXPACKET - 8)

/* --- Addresses of sockets ------------------------------------------------ */

/*
 * The checked address of a client's sockaddr: an AF_INET6 one (EINVAL
 * shorter than RFC 2133's 24 bytes), or for sends an AF_INET one
 * (v4ok), returned v4-mapped, as Linux accepts.
 */
static int
in6_sockaddr(const struct sockaddr *nam, socklen_t namlen,
    struct sockaddr_in6 *sin6, bool v4ok)
{

	if (namlen >= 2 && nam->sa_family == AF_INET && v4ok) {
		struct sockaddr_in sin;

		if (namlen < sizeof(sin))
			return EINVAL;
		memcpy(&sin, nam, sizeof(sin));
		memset(sin6, 0, sizeof(*sin6));
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = sin.sin_port;
		in6_v4mapped(&sin6->sin6_addr, sin.sin_addr.s_addr);
		return 0;
	}
	if (namlen < SIN6_LEN_RFC2133)
		return EINVAL;
	memset(sin6, 0, sizeof(*sin6));
	memcpy(sin6, nam, MIN(namlen, sizeof(*sin6)));
	if (sin6->sin6_family != AF_INET6)
		return EAFNOSUPPORT;
	return 0;
}

static void
in6_tosin(const struct sockaddr_in6 *sin6, struct sockaddr_in *sin)
{

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = sin6->sin6_port;
	sin->sin_addr.s_addr = sin6->sin6_addr.s6_addr32[3];
}

/* The interface a link-local address of the client's means: its
 * sin6_scope_id, else the one the socket is bound to. */
static int
in6_scope_of(const struct inpcb *inp, const struct sockaddr_in6 *sin6,
    uint32_t *scope)
{

	*scope = 0;
	if (!in6_needs_scope(&sin6->sin6_addr))
		return 0;
	*scope = sin6->sin6_scope_id != 0 ? sin6->sin6_scope_id :
	    inp->inp_scope6;
	if (*scope == 0)
		return EINVAL;
	if (if_find_byindex((int)*scope) == NULL)
		return ENODEV;
	if (inp->inp_scope6 != 0 && inp->inp_scope6 != *scope)
		return EINVAL;
	return 0;
}

/* --- PCBs ---------------------------------------------------------------- */

/* inp_vflag and inp_v6only are read by lookups under ipt_lock. */
static void
in6_pcbsetvflag(struct inpcb *inp, int vflag)
{

	mutex_enter(&inp->inp_table->ipt_lock);
	inp->inp_vflag = vflag;
	mutex_exit(&inp->inp_table->ipt_lock);
}

/* Whether binding addr (plen: is it :: and dual?) for so clashes with o. */
static bool
in6_pcbclash(const struct inpcb *o, const struct socket *so,
    const struct in6_addr *addr, bool dual, uint16_t lport)
{
	bool overlap = false;

	if (o->inp_lport != lport || o->inp_dead)
		return false;
	if ((o->inp_vflag & INP_IPV6) && (in6_is_unspecified(addr) ||
	    in6_is_unspecified(&o->inp_laddr6) ||
	    in6_equal(&o->inp_laddr6, addr)))
		overlap = true;
	/* A dual-stack wildcard also holds every IPv4 address. */
	if (dual && (o->inp_vflag & INP_IPV4))
		overlap = true;
	return overlap && !in_pcbreuse_ok(o, so);
}

static int
in6_pcbbind(struct inpcb *inp, const struct sockaddr_in6 *sin6)
{
	struct inpcbtable *t = inp->inp_table;
	struct socket *so = inp->inp_socket;
	const struct in6_addr *a = &sin6->sin6_addr;
	uint16_t lport = sin6->sin6_port;
	struct sockaddr_in sin;
	struct inpcb *o;
	uint32_t scope = 0;
	bool dual, v6only;
	int error, st;

	if (inp->inp_lport != 0)
		return EINVAL;
	if (in6_is_v4mapped(a)) {
		if (inp->inp_v6only)
			return EINVAL;
		in6_tosin(sin6, &sin);
		in6_pcbsetvflag(inp, INP_IPV4);
		if ((error = in_pcbbind(inp, &sin)) != 0)
			in6_pcbsetvflag(inp, INP_IPV4 | INP_IPV6);
		return error;
	}
	if (!in6_is_unspecified(a)) {
		if ((error = in6_scope_of(inp, sin6, &scope)) != 0)
			return error;
		if (!in6_is_multicast(a)) {
			st = in6_addr_state(a, scope != 0 ?
			    if_find_byindex((int)scope) : NULL);
			if (st != IN6_ADDR_USABLE && !in6_is_loopback(a))
				return EADDRNOTAVAIL;
		}
	}
	if (lport != 0 && ntohs(lport) < IPPORT_RESERVED &&
	    !cred_is_superuser(kauth_cred_get()))
		return EACCES;
	dual = in6_is_unspecified(a) && !inp->inp_v6only;
	/* Bound to an IPv6 address, the socket is IPv6-only from now on
	 * (Linux's inet6_bind sets IPV6_V6ONLY for any address but :: and
	 * v4-mapped ones; getsockopt shows it). */
	v6only = inp->inp_v6only || !in6_is_unspecified(a);
	if (lport != 0) {
		mutex_enter(&t->ipt_lock);
		for (o = t->ipt_list; o != NULL; o = o->inp_next)
			if (o != inp && in6_pcbclash(o, so, a, dual, lport))
				break;
		if (o == NULL) {
			inp->inp_lport = lport;
			inp->inp_laddr = INADDR_ANY;
			inp->inp_laddr6 = *a;
			inp->inp_scope6 = scope;
			inp->inp_vflag = dual ? INP_IPV4 | INP_IPV6 : INP_IPV6;
			inp->inp_v6only = v6only;
		}
		mutex_exit(&t->ipt_lock);
		if (o != NULL)
			return EADDRINUSE;
		so->so_state |= SS_ISBOUND;
		return 0;
	}
	/* An ephemeral port: netinet picks one free in both families. */
	mutex_enter(&t->ipt_lock);
	inp->inp_laddr6 = *a;
	inp->inp_scope6 = scope;
	inp->inp_vflag = dual ? INP_IPV4 | INP_IPV6 : INP_IPV6;
	mutex_exit(&t->ipt_lock);
	if ((error = in_pcbbind(inp, NULL)) != 0)
		return error;
	mutex_enter(&t->ipt_lock);
	inp->inp_v6only = v6only;
	mutex_exit(&t->ipt_lock);
	return 0;
}

/* For a pcb about to send or connect with a v4-mapped destination:
 * whether it may, as Linux says.  Only IPV6_V6ONLY forbids it (binding
 * to an IPv6 address sets that): a UDP socket connected to an IPv6 peer
 * still sends a datagram to an IPv4 one. */
static int
in6_pcb_v4ok(const struct inpcb *inp)
{

	return inp->inp_v6only ? ENETUNREACH : 0;
}

/* Whether the pcb's IPv6 source is v4-mapped (Linux's np->saddr): it
 * works as IPv4 (bound or connected v4-mapped) and holds no IPv6 address
 * of its own.  A socket connected to ::1 and then to a v4-mapped peer
 * keeps ::1 on Linux, and may go back to IPv6 peers. */
static bool
in6_pcb_v4src(const struct inpcb *inp)
{

	return inp->inp_vflag == INP_IPV4 &&
	    in6_is_unspecified(&inp->inp_laddr6);
}

/* The wildcard as a destination means this host: ::1, or 127.0.0.1
 * v4-mapped for a socket whose source is v4-mapped (Linux looks at its
 * local address). */
static void
in6_pcb_self(const struct inpcb *inp, struct sockaddr_in6 *sin6)
{

	if (!in6_is_unspecified(&sin6->sin6_addr))
		return;
	if (in6_pcb_v4src(inp))
		in6_v4mapped(&sin6->sin6_addr, htonl(INADDR_LOOPBACK));
	else
		sin6->sin6_addr = in6addr_loopback;
}

/* The source for dst: the bound address, or the route's. */
static int
in6_pcb_src(const struct inpcb *inp, const struct in6_addr *dst,
    uint32_t scope, struct in6_addr *src)
{
	struct rt6result rt;
	int error;

	if (!in6_is_unspecified(&inp->inp_laddr6)) {
		*src = inp->inp_laddr6;
		return 0;
	}
	if (in6_is_local(dst, NULL)) {
		*src = *dst;
		return 0;
	}
	if ((error = rt6_lookup(dst, scope, &rt)) != 0)
		return error;
	return in6_select_src(dst, rt.rt_ifp, src);
}

static int
in6_pcbconnect(struct inpcb *inp, const struct sockaddr_in6 *sin6)
{
	struct inpcbtable *t = inp->inp_table;
	struct in6_addr faddr = sin6->sin6_addr, laddr;
	struct inpcb *o;
	uint32_t scope;
	int error;

	if (sin6->sin6_port == 0)
		return ECONNREFUSED;
	/* Connecting to the wildcard means this host, as on Linux. */
	if (in6_is_unspecified(&faddr))
		faddr = in6addr_loopback;
	if ((error = in6_scope_of(inp, sin6, &scope)) != 0)
		return error;
	/* Linux's route lookup refuses a v4-mapped source toward an IPv6
	 * peer. */
	if (in6_pcb_v4src(inp))
		return EAFNOSUPPORT;
	if ((error = in6_pcb_src(inp, &faddr, scope, &laddr)) != 0)
		return error;
	if (inp->inp_lport == 0) {
		if ((error = in_pcbbind(inp, NULL)) != 0)
			return error;
	}
	mutex_enter(&t->ipt_lock);
	for (o = t->ipt_list; o != NULL; o = o->inp_next) {
		if (o != inp && !o->inp_dead && o->inp_lport == inp->inp_lport &&
		    in_pcb_isv6(o) && o->inp_fport == sin6->sin6_port &&
		    in6_equal(&o->inp_faddr6, &faddr) &&
		    in6_equal(&o->inp_laddr6, &laddr)) {
			mutex_exit(&t->ipt_lock);
			return EADDRINUSE;
		}
	}
	inp->inp_laddr6 = laddr;
	inp->inp_faddr6 = faddr;
	inp->inp_fport = sin6->sin6_port;
	inp->inp_scope6 = scope;
	inp->inp_vflag = INP_IPV6;
	mutex_exit(&t->ipt_lock);
	return 0;
}

static void
in6_pcbdisconnect(struct inpcb *inp)
{

	in_pcbdisconnect(inp);
	mutex_enter(&inp->inp_table->ipt_lock);
	memset(&inp->inp_faddr6, 0, sizeof(inp->inp_faddr6));
	/* Back to what the binding allows. */
	if (in6_is_unspecified(&inp->inp_laddr6) &&
	    inp->inp_laddr == INADDR_ANY)
		inp->inp_vflag = inp->inp_v6only ? INP_IPV6 :
		    INP_IPV4 | INP_IPV6;
	mutex_exit(&inp->inp_table->ipt_lock);
}

static struct inpcb *
in6_pcblookup(struct inpcbtable *t, const struct in_conninfo *ic,
    uint16_t fport, uint16_t lport, struct socket **sop)
{
	struct inpcb *inp, *wild = NULL;

	mutex_enter(&t->ipt_lock);
	for (inp = t->ipt_list; inp != NULL; inp = inp->inp_next) {
		if (inp->inp_dead || inp->inp_lport != lport ||
		    inp->inp_socket == NULL || !(inp->inp_vflag & INP_IPV6))
			continue;
		if (inp->inp_scope6 != 0 && in6_needs_scope(&ic->ic_dst6) &&
		    inp->inp_scope6 != ic->ic_ifindex)
			continue;
		if (inp->inp_fport != 0) {
			if (in6_equal(&inp->inp_faddr6, &ic->ic_src6) &&
			    inp->inp_fport == fport &&
			    in6_equal(&inp->inp_laddr6, &ic->ic_dst6))
				break;
			continue;
		}
		if (in6_equal(&inp->inp_laddr6, &ic->ic_dst6))
			wild = inp;
		else if (in6_is_unspecified(&inp->inp_laddr6) && wild == NULL)
			wild = inp;
	}
	if (inp == NULL)
		inp = wild;
	*sop = NULL;
	if (inp != NULL) {
		*sop = inp->inp_socket;
		soref(*sop);
	}
	mutex_exit(&t->ipt_lock);
	return inp;
}

static void
in6_pcbnotify(struct inpcbtable *t, const struct in6_addr *faddr,
    uint16_t fport, const struct in6_addr *laddr, uint16_t lport, int error,
    void (*fn)(struct inpcb *, struct socket *, int))
{
	struct inpcb *inp;
	struct socket *so = NULL;

	mutex_enter(&t->ipt_lock);
	for (inp = t->ipt_list; inp != NULL; inp = inp->inp_next) {
		if (!inp->inp_dead && inp->inp_socket != NULL &&
		    in_pcb_isv6(inp) && inp->inp_fport == fport &&
		    inp->inp_lport == lport &&
		    in6_equal(&inp->inp_faddr6, faddr) &&
		    in6_equal(&inp->inp_laddr6, laddr))
			break;
	}
	if (inp != NULL) {
		so = inp->inp_socket;
		soref(so);
	}
	mutex_exit(&t->ipt_lock);
	if (inp != NULL) {
		fn(inp, so, error);
		sorele(so);
	}
}

static int
in6_pcbops_output(const struct in6_addr *src, const struct in6_addr *dst,
    uint32_t scope, struct mbuf *m, int proto, int hlim, int tclass)
{

	return ip6_output(m, src, dst, scope, proto, hlim, tclass);
}

static int
in6_pcbops_mss(const struct in6_addr *dst, uint32_t scope)
{
	int mtu = ip6_path_mtu(dst, scope);

	if (mtu < IPV6_MINMTU)
		mtu = IPV6_MINMTU;
	return MIN(mtu - 60, 65475);	/* IPv6 and TCP headers */
}

static int
in6_pcbops_tso(const struct in6_addr *dst, uint32_t scope)
{
	struct rt6result rt;

	if (in6_is_local(dst, NULL) || in6_is_loopback(dst) ||
	    rt6_lookup(dst, scope, &rt) != 0 || rt.rt_ifp == lo_ifp)
		return 0;
	return __atomic_load_n(&rt.rt_ifp->if_tso6, __ATOMIC_RELAXED);
}

static const struct in6_pcbops in6_pcbops_impl = {
	.lookup = in6_pcblookup,
	.output = in6_pcbops_output,
	.mss = in6_pcbops_mss,
	.tso = in6_pcbops_tso,
};

/* SOL_IPV6 options both transports take. */
static int
in6_ctloutput(struct inpcb *inp, int op, int name, void *val,
    socklen_t *len)
{
	int v;

	if (op == PRCO_SETOPT) {
		if (*len < sizeof(int))
			return EINVAL;
		memcpy(&v, val, sizeof(int));
		switch (name) {
		case IPV6_V6ONLY:
			/* Only before binding, as Linux. */
			if (inp->inp_lport != 0)
				return EINVAL;
			mutex_enter(&inp->inp_table->ipt_lock);
			inp->inp_v6only = v != 0;
			inp->inp_vflag = v ? INP_IPV6 : INP_IPV4 | INP_IPV6;
			mutex_exit(&inp->inp_table->ipt_lock);
			return 0;
		case IPV6_UNICAST_HOPS:
			if (v < -1 || v > 255)
				return EINVAL;
			inp->inp_hlim = v == -1 ? 0 : v;
			return 0;
		case IPV6_TCLASS:
			if (v < -1 || v > 255)
				return EINVAL;
			v = v == -1 ? 0 : v;
			/* TCP owns the ECN bits, as on Linux. */
			if (inp->inp_socket->so_type == SOCK_STREAM)
				v = (v & 0xfc) | (inp->inp_tos & 3);
			inp->inp_tos = v;
			return 0;
		default:
			return ENOPROTOOPT;
		}
	}
	switch (name) {
	case IPV6_V6ONLY:
		v = inp->inp_v6only;
		break;
	case IPV6_UNICAST_HOPS:
		v = inp->inp_hlim != 0 ? inp->inp_hlim : ip6_defhlim;
		break;
	case IPV6_TCLASS:
		v = inp->inp_tos;
		break;
	default:
		return ENOPROTOOPT;
	}
	if (*len > sizeof(int))
		*len = sizeof(int);
	memcpy(val, &v, *len);
	return 0;
}

/* --- UDP ------------------------------------------------------------------ */

static int
udp6_bind(struct socket *so, const struct sockaddr *nam, socklen_t namlen)
{
	struct sockaddr_in6 sin6;
	int error;

	if ((error = in6_sockaddr(nam, namlen, &sin6, false)) != 0)
		return error;
	return in6_pcbbind(so->so_pcb, &sin6);
}

static int
udp6_connect(struct socket *so, const struct sockaddr *nam,
    socklen_t namlen)
{
	struct inpcb *inp = so->so_pcb;
	struct sockaddr_in6 sin6;
	struct sockaddr_in sin;
	uint32_t scope;
	int error;

	if (namlen >= 2 && nam->sa_family == AF_UNSPEC) {
		in6_pcbdisconnect(inp);
		so->so_state &= ~SS_ISCONNECTED;
		return 0;
	}
	/* A port first, whatever the address (netinet's udp_connect). */
	if (namlen >= 2 && inp->inp_lport == 0 &&
	    in_pcbbind(inp, NULL) != 0)
		return EAGAIN;
	/* An AF_INET address on an IPv6-only socket: the family is not
	 * supported (a v4-mapped one below: no route), as Linux's
	 * ip6_datagram_connect says, before looking at the length. */
	if (namlen >= 2 && nam->sa_family == AF_INET && inp->inp_v6only)
		return EAFNOSUPPORT;
	if ((error = in6_sockaddr(nam, namlen, &sin6, true)) != 0)
		return error;
	in6_pcb_self(inp, &sin6);
	/* Refused before the old peer is let go. */
	if (in6_is_v4mapped(&sin6.sin6_addr) &&
	    (error = in6_pcb_v4ok(inp)) != 0)
		return error;
	if (!in6_is_v4mapped(&sin6.sin6_addr)) {
		/* A link-local peer's interface, then the family. */
		if ((error = in6_scope_of(inp, &sin6, &scope)) != 0)
			return error;
		if (in6_pcb_v4src(inp))
			return EAFNOSUPPORT;
	}
	if (inp->inp_fport != 0)
		in6_pcbdisconnect(inp);
	if (in6_is_v4mapped(&sin6.sin6_addr)) {
		in6_tosin(&sin6, &sin);
		in6_pcbsetvflag(inp, INP_IPV4);
		if ((error = udp_protosw.pr_connect(so,
		    (const struct sockaddr *)&sin, sizeof(sin))) != 0)
			in6_pcbdisconnect(inp);
		return error;
	}
	if ((error = in6_pcbconnect(inp, &sin6)) != 0)
		return error;
	soisconnected(so);
	return 0;
}

/*
 * The checked destination of a send, in Linux's udpv6_sendmsg order
 * (an IPv4 one is returned v4-mapped and goes out as IPv4).  scope: the
 * interface of a link-local one.
 */
static int
udp6_dest(const struct inpcb *inp, const struct sockaddr *nam,
    socklen_t namlen, struct sockaddr_in6 *sin6, uint32_t *scope)
{
	int error;

	*scope = 0;
	if (namlen < 2 || (nam->sa_family != AF_INET &&
	    nam->sa_family != AF_INET6))
		return EINVAL;
	if (nam->sa_family == AF_INET && inp->inp_v6only)
		return ENETUNREACH;
	if ((error = in6_sockaddr(nam, namlen, sin6, true)) != 0)
		return error;
	in6_pcb_self(inp, sin6);
	if (in6_is_v4mapped(&sin6->sin6_addr)) {
		if ((error = in6_pcb_v4ok(inp)) != 0)
			return error;
		return sin6->sin6_port == 0 ? EINVAL : 0;
	}
	if (sin6->sin6_port == 0)
		return EINVAL;
	/* A v4-mapped source: no IPv6 destinations, as Linux. */
	if (in6_pcb_v4src(inp))
		return EAFNOSUPPORT;
	return in6_scope_of(inp, sin6, scope);
}

static int
udp6_validaddr(struct socket *so, const struct sockaddr *nam,
    socklen_t namlen)
{
	struct sockaddr_in6 sin6;
	uint32_t scope;

	/* AF_UNSPEC: no destination, which udp6_send sorts out. */
	if (namlen >= 2 && nam->sa_family == AF_UNSPEC)
		return 0;
	return udp6_dest(so->so_pcb, nam, namlen, &sin6, &scope);
}

static int
udp6_send(struct socket *so, struct sbrec *rec, const struct sockaddr *nam,
    socklen_t namlen, int flags)
{
	struct inpcb *inp = so->so_pcb;
	struct sockaddr_in6 sin6;
	struct sockaddr_in sin;
	struct in6_addr faddr, laddr;
	struct udphdr *uh;
	struct mbuf *m;
	uint32_t scope;
	uint16_t fport;
	size_t len = rec->sr_len;
	int error;

	/* Linux's udpv6_sendmsg: AF_UNSPEC means no address, another
	 * family is EINVAL. */
	if (nam != NULL && namlen >= 2 && nam->sa_family == AF_UNSPEC)
		nam = NULL;
	if (nam != NULL) {
		if ((error = udp6_dest(inp, nam, namlen, &sin6, &scope)) != 0)
			return error;
		if (in6_is_v4mapped(&sin6.sin6_addr)) {
			in6_tosin(&sin6, &sin);
			return udp_protosw.pr_send(so, rec,
			    (const struct sockaddr *)&sin, sizeof(sin), flags);
		}
		faddr = sin6.sin6_addr;
		fport = sin6.sin6_port;
		if (in6_is_unspecified(&faddr))
			faddr = in6addr_loopback;
	} else {
		if (inp->inp_fport == 0)
			return EDESTADDRREQ;
		if (!in_pcb_isv6(inp))
			return udp_protosw.pr_send(so, rec, NULL, 0, flags);
		faddr = inp->inp_faddr6;
		fport = inp->inp_fport;
		scope = inp->inp_scope6;
	}
	if (len > UDP6_MAXPAYLOAD)
		return EMSGSIZE;
	if ((error = in6_pcb_src(inp, &faddr, scope, &laddr)) != 0)
		return error;
	if (inp->inp_lport == 0 && (error = in_pcbbind(inp, NULL)) != 0)
		return error;
	m = m_get(sizeof(*uh) + len);
	if (m == NULL)
		return ENOBUFS;
	uh = (struct udphdr *)(void *)m->m_data;
	uh->uh_sport = inp->inp_lport;
	uh->uh_dport = fport;
	uh->uh_ulen = htons((uint16_t)(sizeof(*uh) + len));
	uh->uh_sum = 0;
	memcpy(m->m_data + sizeof(*uh), rec->sr_data, len);
	error = ip6_output(m, &laddr, &faddr, scope, IPPROTO_UDP,
	    inp->inp_hlim, inp->inp_tos);
	if (error == 0) {
		__atomic_add_fetch(&udpstat.udps_opackets, 1, __ATOMIC_RELAXED);
		sbrec_free(rec, so->so_dom);
	}
	return error;
}

static int
udp6_ctloutput(struct socket *so, int op, int level, int name, void *val,
    socklen_t *len)
{

	if (level == SOL_IPV6)
		return in6_ctloutput(so->so_pcb, op, name, val, len);
	/* Linux's IPv6 sockets say ENOPROTOOPT for unknown levels. */
	if (level != SOL_IP && level != SOL_UDP)
		return ENOPROTOOPT;
	return udp_protosw.pr_ctloutput(so, op, level, name, val, len);
}

static void
udp6_input(struct mbuf *m, int off, int proto)
{
	struct ip6_hdr *ip6 = (struct ip6_hdr *)(void *)m->m_data;
	struct in_conninfo ic;
	struct sockaddr_storage from;
	socklen_t fromlen;
	struct udphdr *uh;
	struct inpcb *inp;
	struct socket *so;
	size_t len = m->m_len - (size_t)off, ulen;

	(void)proto;
	__atomic_add_fetch(&udpstat.udps_ipackets, 1, __ATOMIC_RELAXED);
	if (len < sizeof(*uh))
		goto bad;
	uh = (struct udphdr *)(void *)(m->m_data + off);
	ulen = ntohs(uh->uh_ulen);
	if (ulen < sizeof(*uh) || ulen > len)
		goto bad;
	if (ulen < len) {
		m_adj(m, -(long)(len - ulen));
		len = ulen;
	}
	/* The checksum is mandatory over IPv6 (RFC 8200 8.1). */
	if (!(m->m_flags & M_LOOP) && (uh->uh_sum == 0 ||
	    (!(m->m_csum & M_CSUM_UDPv6_OK) && in6_cksum(&ip6->ip6_src,
	    &ip6->ip6_dst, IPPROTO_UDP, uh, len) != 0)))
		goto bad;
	memset(&ic, 0, sizeof(ic));
	ic.ic_af = AF_INET6;
	ic.ic_src6 = ip6->ip6_src;
	ic.ic_dst6 = ip6->ip6_dst;
	ic.ic_ifindex = m->m_rcvif != NULL ? (uint32_t)m->m_rcvif->if_index :
	    0;
	inp = in6_pcblookup(&udbtable, &ic, uh->uh_sport, uh->uh_dport, &so);
	if (inp == NULL) {
		__atomic_add_fetch(&udpstat.udps_noport, 1, __ATOMIC_RELAXED);
		if (m->m_flags & M_MCAST)
			m_free(m);
		else
			icmp6_error(m, ICMP6_DST_UNREACH,
			    ICMP6_DST_UNREACH_NOPORT, 0);
		return;
	}
	in6_setsockaddr(&from, &fromlen, &ip6->ip6_src, uh->uh_sport,
	    ic.ic_ifindex);
	udp_append(inp, so, m->m_data + off + sizeof(*uh), len - sizeof(*uh),
	    &from, fromlen);
	m_free(m);
	return;
bad:
	__atomic_add_fetch(&udpstat.udps_badpackets, 1, __ATOMIC_RELAXED);
	m_free(m);
}

static void
udp6_ctlinput(int error, const struct ip6_hdr *inner, size_t len,
    size_t thoff)
{
	const struct udphdr *uh = (const struct udphdr *)(const void *)
	    ((const uint8_t *)inner + thoff);

	(void)len;
	in6_pcbnotify(&udbtable, &inner->ip6_dst, uh->uh_dport,
	    &inner->ip6_src, uh->uh_sport, error, udp_notify);
}

/* --- TCP ------------------------------------------------------------------ */

static int
tcp6_bind(struct socket *so, const struct sockaddr *nam, socklen_t namlen)
{
	struct sockaddr_in6 sin6;
	int error;

	if (sototcpcb(so) == NULL)
		return EINVAL;
	if ((error = in6_sockaddr(nam, namlen, &sin6, false)) != 0)
		return error;
	if (in6_is_multicast(&sin6.sin6_addr))
		return EINVAL;
	return in6_pcbbind(so->so_pcb, &sin6);
}

static int
tcp6_connect(struct socket *so, const struct sockaddr *nam,
    socklen_t namlen)
{
	struct inpcb *inp = so->so_pcb;
	struct tcpcb *tp = sototcpcb(so);
	struct sockaddr_in6 sin6;
	struct sockaddr_in sin;
	int error, oflag;

	if (tp == NULL)
		return EINVAL;
	/* The state first, as Linux's inet_stream_connect. */
	if ((error = tcp_connect_check(tp)) != 0)
		return error;
	if ((error = in6_sockaddr(nam, namlen, &sin6, false)) != 0)
		return error;
	in6_pcb_self(inp, &sin6);
	if (in6_is_v4mapped(&sin6.sin6_addr)) {
		if ((error = in6_pcb_v4ok(inp)) != 0)
			return error;
		in6_tosin(&sin6, &sin);
		oflag = inp->inp_vflag;
		in6_pcbsetvflag(inp, INP_IPV4);
		if ((error = tcp_protosw.pr_connect(so,
		    (const struct sockaddr *)&sin, sizeof(sin))) != 0 &&
		    so->so_pcb == inp)
			in6_pcbsetvflag(inp, oflag);
		return error;
	}
	if (in6_is_multicast(&sin6.sin6_addr))
		return ENETUNREACH;
	if ((error = in6_pcbconnect(inp, &sin6)) != 0)
		return error;
	return tcp_connect_start(so, tp);
}

static int
tcp6_ctloutput(struct socket *so, int op, int level, int name, void *val,
    socklen_t *len)
{

	if (level == SOL_IPV6) {
		if (so->so_pcb == NULL)
			return ECONNRESET;
		return in6_ctloutput(so->so_pcb, op, name, val, len);
	}
	if (level != SOL_IP && level != SOL_TCP)
		return ENOPROTOOPT;
	return tcp_protosw.pr_ctloutput(so, op, level, name, val, len);
}

static void
tcp6_input(struct mbuf *m, int off, int proto)
{
	struct ip6_hdr *ip6 = (struct ip6_hdr *)(void *)m->m_data;
	struct in_conninfo ic;
	struct tcphdr *th;
	uint32_t tlen = (uint32_t)(m->m_len - (size_t)off);

	(void)proto;
	if (tlen < sizeof(*th) || ((uintptr_t)(m->m_data + off) & 1))
		goto drop;
	th = (struct tcphdr *)(void *)(m->m_data + off);
	if (!(m->m_flags & M_LOOP) && !(m->m_csum & M_CSUM_TCPv6_OK) &&
	    in6_cksum(&ip6->ip6_src, &ip6->ip6_dst, IPPROTO_TCP, th,
	    tlen) != 0)
		goto drop;
	/* TCP is unicast only. */
	if ((m->m_flags & M_MCAST) || in6_is_multicast(&ip6->ip6_dst))
		goto drop;
	memset(&ic, 0, sizeof(ic));
	ic.ic_af = AF_INET6;
	ic.ic_src6 = ip6->ip6_src;
	ic.ic_dst6 = ip6->ip6_dst;
	ic.ic_ifindex = m->m_rcvif != NULL ? (uint32_t)m->m_rcvif->if_index :
	    0;
	tcp_input_ic(m, th, tlen, &ic);
	return;
drop:
	m_free(m);
}

static void
tcp6_ctlinput(int error, const struct ip6_hdr *inner, size_t len,
    size_t thoff)
{
	const struct tcphdr *th = (const struct tcphdr *)(const void *)
	    ((const uint8_t *)inner + thoff);

	(void)len;
	in6_pcbnotify(&tcbtable, &inner->ip6_dst, th->th_dport,
	    &inner->ip6_src, th->th_sport, error, tcp_notify);
}

/* --- The domain ----------------------------------------------------------- */

static struct protosw inet6sw[2];

static void
inet6_dom_init(void)
{

	/* netinet's switches with IPv6 addressing. */
	inet6sw[0] = tcp_protosw;
	inet6sw[0].pr_bind = tcp6_bind;
	inet6sw[0].pr_connect = tcp6_connect;
	inet6sw[0].pr_ctloutput = tcp6_ctloutput;
	inet6sw[1] = udp_protosw;
	inet6sw[1].pr_bind = udp6_bind;
	inet6sw[1].pr_connect = udp6_connect;
	inet6sw[1].pr_send = udp6_send;
	inet6sw[1].pr_validaddr = udp6_validaddr;
	inet6sw[1].pr_ctloutput = udp6_ctloutput;
}

static struct domain inet6domain = {
	.dom_family = AF_INET6,
	.dom_name = "inet6",
	.dom_protosw = inet6sw,
	.dom_nprotosw = 2,
	.dom_init = inet6_dom_init,
};
DOMAIN_SET(inet6domain);

void
in6_proto_init(void)
{

	__atomic_store_n(&in6_pcbops, &in6_pcbops_impl, __ATOMIC_RELEASE);
	ip6_proto_register(IPPROTO_UDP, udp6_input);
	ip6_proto_register(IPPROTO_TCP, tcp6_input);
	ip6_ctl_register(IPPROTO_UDP, udp6_ctlinput);
	ip6_ctl_register(IPPROTO_TCP, tcp6_ctlinput);
}
