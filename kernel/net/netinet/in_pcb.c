/*
 * in_pcb.c: Internet protocol control blocks (in_pcb.h).
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/kmem.h>
#include <kern/libkern.h>
#include <kern/clock.h>
#include <kern/proc.h>

#include "in_var.h"
#include "in_pcb.h"

void
in_pcbtable_init(struct inpcbtable *t)
{

	mutex_init(&t->ipt_lock, MUTEX_DEFAULT);
	t->ipt_list = NULL;
	t->ipt_lastport = (uint16_t)(IPPORT_EPHEMERALFIRST + cprng32() %
	    (IPPORT_EPHEMERALLAST - IPPORT_EPHEMERALFIRST + 1));
}

int
in_pcballoc(struct socket *so, struct inpcbtable *t)
{
	struct inpcb *inp;

	inp = kmem_zalloc(sizeof(*inp), KM_SLEEP);
	if (inp == NULL)
		return ENOBUFS;
	inp->inp_table = t;
	inp->inp_socket = so;
	inp->inp_af = so->so_dom->dom_family;
	/* An AF_INET6 socket takes both families until bound otherwise. */
	inp->inp_vflag = inp->inp_af == AF_INET6 ? INP_IPV4 | INP_IPV6 :
	    INP_IPV4;
	mutex_enter(&t->ipt_lock);
	inp->inp_next = t->ipt_list;
	t->ipt_list = inp;
	t->ipt_count++;
	mutex_exit(&t->ipt_lock);
	so->so_pcb = inp;
	return 0;
}

void
in_pcbfree(struct inpcb *inp)
{
	struct inpcbtable *t = inp->inp_table;
	struct inpcb **pp;

	mutex_enter(&t->ipt_lock);
	for (pp = &t->ipt_list; *pp != NULL; pp = &(*pp)->inp_next) {
		if (*pp == inp) {
			*pp = inp->inp_next;
			t->ipt_count--;
			break;
		}
	}
	mutex_exit(&t->ipt_lock);
	if (inp->inp_socket != NULL)
		inp->inp_socket->so_pcb = NULL;
	kmem_free(inp, sizeof(*inp));
}

int
in_sockaddr(const struct sockaddr *nam, socklen_t namlen,
    struct sockaddr_in *sin)
{

	if (namlen < sizeof(*sin))
		return EINVAL;
	memcpy(sin, nam, sizeof(*sin));
	if (sin->sin_family != AF_INET)
		return EAFNOSUPPORT;
	return 0;
}

void
in6_setsockaddr(struct sockaddr_storage *ss, socklen_t *lenp,
    const struct in6_addr *addr, uint16_t port, uint32_t scope)
{
	struct sockaddr_in6 sin6;

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = port;
	sin6.sin6_addr = *addr;
	sin6.sin6_scope_id = in6_needs_scope(addr) ? scope : 0;
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, &sin6, sizeof(sin6));
	*lenp = sizeof(sin6);
}

void
in_setsockaddr_af(int af, struct sockaddr_storage *ss, socklen_t *lenp,
    uint32_t addr, uint16_t port)
{
	struct in6_addr a6;

	if (af != AF_INET6) {
		in_setsockaddr(ss, lenp, addr, port);
		return;
	}
	/* A dual-stack socket's IPv4 addresses; the wildcard stays ::. */
	if (addr == INADDR_ANY)
		memset(&a6, 0, sizeof(a6));
	else
		in6_v4mapped(&a6, addr);
	in6_setsockaddr(ss, lenp, &a6, port, 0);
}

void
in_pcbsockaddr(const struct inpcb *inp, bool peer,
    struct sockaddr_storage *ss, socklen_t *lenp)
{

	/* An AF_INET6 socket that had an IPv6 source when it connected to
	 * a v4-mapped peer keeps showing it, as Linux. */
	if (inp->inp_af == AF_INET6 && !peer &&
	    !(inp->inp_vflag & INP_IPV6) &&
	    !in6_is_unspecified(&inp->inp_laddr6))
		in6_setsockaddr(ss, lenp, &inp->inp_laddr6, inp->inp_lport,
		    inp->inp_scope6);
	else if (inp->inp_af == AF_INET6 && (inp->inp_vflag & INP_IPV6))
		in6_setsockaddr(ss, lenp, peer ? &inp->inp_faddr6 :
		    &inp->inp_laddr6, peer ? inp->inp_fport : inp->inp_lport,
		    inp->inp_scope6);
	else
		in_setsockaddr_af(inp->inp_af, ss, lenp,
		    peer ? inp->inp_faddr : inp->inp_laddr,
		    peer ? inp->inp_fport : inp->inp_lport);
}

const struct in6_pcbops *in6_pcbops;

int
in_pcboutput(struct inpcb *inp, struct mbuf *m, int proto)
{
	const struct in6_pcbops *ops;

	if (in_pcb_isv6(inp)) {
		ops = __atomic_load_n(&in6_pcbops, __ATOMIC_ACQUIRE);
		if (ops == NULL) {
			m_free(m);
			return EAFNOSUPPORT;
		}
		if (m->m_tso_segsz != 0)
			m->m_tso_type = M_TSO_TCPv6;
		return ops->output(&inp->inp_laddr6, &inp->inp_faddr6,
		    inp->inp_scope6, m, proto, inp->inp_hlim, inp->inp_tos);
	}
	/* Left to the interface, or computed by ip_output once the
	 * source address is known. */
	m->m_csum = proto == IPPROTO_TCP ? M_CSUM_TCPv4 : M_CSUM_UDPv4;
	if (m->m_tso_segsz != 0)
		m->m_tso_type = M_TSO_TCPv4;
	return ip_output(m, inp->inp_laddr, inp->inp_faddr, proto,
	    inp->inp_ttl, inp->inp_tos, 0);
}

int
in_pcb_path_tso(const struct inpcb *inp)
{
	const struct in6_pcbops *ops;

	if (!in_pcb_isv6(inp))
		return ip_path_tso(inp->inp_faddr);
	ops = __atomic_load_n(&in6_pcbops, __ATOMIC_ACQUIRE);
	return ops != NULL ? ops->tso(&inp->inp_faddr6, inp->inp_scope6) : 0;
}

struct inpcb *
in_pcblookup_ic(struct inpcbtable *t, const struct in_conninfo *ic,
    uint16_t fport, uint16_t lport, struct socket **sop)
{
	const struct in6_pcbops *ops;

	if (ic->ic_af == AF_INET)
		return in_pcblookup(t, ic->ic_src4, fport, ic->ic_dst4, lport,
		    sop);
	ops = __atomic_load_n(&in6_pcbops, __ATOMIC_ACQUIRE);
	return ops != NULL ? ops->lookup(t, ic, fport, lport, sop) : NULL;
}

void
in_pcbset_ic(struct inpcb *inp, const struct in_conninfo *ic,
    uint16_t lport, uint16_t fport)
{

	inp->inp_lport = lport;
	inp->inp_fport = fport;
	if (ic->ic_af == AF_INET) {
		inp->inp_laddr = ic->ic_dst4;
		inp->inp_faddr = ic->ic_src4;
		inp->inp_vflag = INP_IPV4;
	} else {
		inp->inp_laddr6 = ic->ic_dst6;
		inp->inp_faddr6 = ic->ic_src6;
		inp->inp_scope6 = in6_needs_scope(&ic->ic_src6) ?
		    ic->ic_ifindex : 0;
		inp->inp_vflag = INP_IPV6;
	}
}

void
in_setsockaddr(struct sockaddr_storage *ss, socklen_t *lenp, uint32_t addr,
    uint16_t port)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = port;
	sin.sin_addr.s_addr = addr;
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, &sin, sizeof(sin));
	*lenp = sizeof(sin);
}

/*
 * Whether binding laddr:lport for so would clash with inp (ipt_lock
 * held).  As Linux: two sockets may share a port when their addresses
 * differ and neither is the wildcard, when both set SO_REUSEPORT, or
 * when both set SO_REUSEADDR and the other is not listening.
 */
bool
in_pcbreuse_ok(const struct inpcb *inp, const struct socket *so)
{
	const struct socket *o = inp->inp_socket;

	if (o == NULL)
		return false;
	if ((so->so_options & o->so_options & SOOPT_REUSEPORT) != 0)
		return true;
	if ((so->so_options & o->so_options & SOOPT_REUSEADDR) != 0 &&
	    !inp->inp_listening)
		return true;
	return false;
}

static bool
in_pcbclash(const struct inpcb *inp, const struct socket *so,
    uint32_t laddr, uint16_t lport)
{

	if (inp->inp_lport != lport || inp->inp_dead ||
	    !(inp->inp_vflag & INP_IPV4))
		return false;
	if (inp->inp_laddr != laddr && inp->inp_laddr != INADDR_ANY &&
	    laddr != INADDR_ANY)
		return false;
	return !in_pcbreuse_ok(inp, so);
}

/* Called with ipt_lock held. */
static int
in_pcbsetport(struct inpcb *inp, uint32_t laddr)
{
	struct inpcbtable *t = inp->inp_table;
	const unsigned int n = IPPORT_EPHEMERALLAST - IPPORT_EPHEMERALFIRST + 1;
	struct inpcb *o;
	uint16_t port;

	for (unsigned int i = 0; i < n; i++) {
		port = t->ipt_lastport;
		if (++t->ipt_lastport > IPPORT_EPHEMERALLAST)
			t->ipt_lastport = IPPORT_EPHEMERALFIRST;
		for (o = t->ipt_list; o != NULL; o = o->inp_next)
			if (o != inp && o->inp_lport == htons(port) &&
			    !o->inp_dead)
				break;
		if (o == NULL) {
			inp->inp_lport = htons(port);
			inp->inp_laddr = laddr;
			return 0;
		}
	}
	return EADDRINUSE;
}

int
in_pcbbind(struct inpcb *inp, const struct sockaddr_in *sin)
{
	struct inpcbtable *t = inp->inp_table;
	struct socket *so = inp->inp_socket;
	uint32_t laddr = sin != NULL ? sin->sin_addr.s_addr : INADDR_ANY;
	uint16_t lport = sin != NULL ? sin->sin_port : 0;
	struct inpcb *o;
	int error;

	/* Linux's order: the address, the privilege, then whether the
	 * socket is bound already. */
	if (laddr != INADDR_ANY && !in_is_local(laddr) &&
	    ntohl(laddr) >> 24 != IN_LOOPBACKNET &&
	    !IN_MULTICAST(ntohl(laddr)) && laddr != INADDR_BROADCAST)
		return EADDRNOTAVAIL;
	if (lport != 0 && ntohs(lport) < IPPORT_RESERVED &&
	    !cred_is_superuser(kauth_cred_get()))
		return EACCES;
	if (inp->inp_lport != 0)
		return EINVAL;		/* already bound, as Linux says */
	mutex_enter(&t->ipt_lock);
	if (lport == 0) {
		error = in_pcbsetport(inp, laddr);
	} else {
		error = 0;
		for (o = t->ipt_list; o != NULL; o = o->inp_next) {
			if (o != inp && in_pcbclash(o, so, laddr, lport)) {
				error = EADDRINUSE;
				break;
			}
		}
		if (error == 0) {
			inp->inp_laddr = laddr;
			inp->inp_lport = lport;
		}
	}
	mutex_exit(&t->ipt_lock);
	if (error == 0)
		so->so_state |= SS_ISBOUND;
	return error;
}

int
in_pcbconnect(struct inpcb *inp, const struct sockaddr_in *sin)
{
	struct inpcbtable *t = inp->inp_table;
	uint32_t faddr = sin->sin_addr.s_addr, laddr = inp->inp_laddr;
	struct rtresult rt;
	struct inpcb *o;
	int error;

	if (sin->sin_port == 0)
		return ECONNREFUSED;
	/* Connecting to the wildcard means this host, as on Linux. */
	if (faddr == INADDR_ANY)
		faddr = htonl(INADDR_LOOPBACK);
	if (laddr == INADDR_ANY) {
		if (in_is_local(faddr))
			laddr = faddr;
		else if (ntohl(faddr) >> 24 == IN_LOOPBACKNET)
			laddr = htonl(INADDR_LOOPBACK);
		else if ((error = rt_lookup4(faddr, &rt)) != 0 ||
		    (error = in_select_src(faddr, &rt, &laddr)) != 0)
			return error;
	}
	mutex_enter(&t->ipt_lock);
	if (inp->inp_lport == 0) {
		error = in_pcbsetport(inp, inp->inp_laddr);
		if (error != 0) {
			mutex_exit(&t->ipt_lock);
			return error;
		}
		inp->inp_socket->so_state |= SS_ISBOUND;
	}
	for (o = t->ipt_list; o != NULL; o = o->inp_next) {
		if (o != inp && !o->inp_dead && o->inp_lport == inp->inp_lport &&
		    (o->inp_vflag & INP_IPV4) && o->inp_laddr == laddr && o->inp_faddr == faddr &&
		    o->inp_fport == sin->sin_port) {
			mutex_exit(&t->ipt_lock);
			return EADDRINUSE;
		}
	}
	inp->inp_laddr = laddr;
	inp->inp_faddr = faddr;
	inp->inp_fport = sin->sin_port;
	mutex_exit(&t->ipt_lock);
	return 0;
}

void
in_pcbdisconnect(struct inpcb *inp)
{

	mutex_enter(&inp->inp_table->ipt_lock);
	inp->inp_faddr = INADDR_ANY;
	inp->inp_fport = 0;
	mutex_exit(&inp->inp_table->ipt_lock);
}

struct inpcb *
in_pcblookup(struct inpcbtable *t, uint32_t faddr, uint16_t fport,
    uint32_t laddr, uint16_t lport, struct socket **sop)
{
	struct inpcb *inp, *wild = NULL;

	mutex_enter(&t->ipt_lock);
	for (inp = t->ipt_list; inp != NULL; inp = inp->inp_next) {
		if (inp->inp_dead || inp->inp_lport != lport ||
		    inp->inp_socket == NULL || !(inp->inp_vflag & INP_IPV4))
			continue;
		if (inp->inp_fport != 0) {
			if (inp->inp_faddr == faddr && inp->inp_fport == fport &&
			    inp->inp_laddr == laddr)
				break;
			continue;
		}
		/* Unconnected: a specific address beats the wildcard. */
		if (inp->inp_laddr == laddr)
			wild = inp;
		else if (inp->inp_laddr == INADDR_ANY && wild == NULL)
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

void
in_pcbnotify(struct inpcbtable *t, uint32_t faddr, uint16_t fport,
    uint32_t laddr, uint16_t lport, int error,
    void (*fn)(struct inpcb *, struct socket *, int))
{
	struct inpcb *inp;
	struct socket *so = NULL;

	mutex_enter(&t->ipt_lock);
	for (inp = t->ipt_list; inp != NULL; inp = inp->inp_next) {
		if (!inp->inp_dead && inp->inp_socket != NULL &&
		    (inp->inp_vflag & INP_IPV4) && inp->inp_faddr == faddr && inp->inp_fport == fport &&
		    inp->inp_laddr == laddr && inp->inp_lport == lport)
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

int
in_ctloutput(struct inpcb *inp, int op, int name, void *val, socklen_t *len)
{
	int v;

	switch (name) {
	case IP_TTL:
	case IP_TOS:
		if (op == PRCO_SETOPT) {
			if (*len < sizeof(int)) {
				if (*len < 1)
					return EINVAL;
				v = *(uint8_t *)val;
			} else
				memcpy(&v, val, sizeof(int));
			if (name == IP_TTL) {
				if (v == -1)
					v = 0;
				else if (v < 1 || v > 255)
					return EINVAL;
				inp->inp_ttl = v;
			} else if (inp->inp_socket->so_type == SOCK_STREAM) {
				/* TCP owns the ECN bits, as on Linux. */
				inp->inp_tos = (v & 0xfc) | (inp->inp_tos & 3);
			} else
				inp->inp_tos = v & 0xff;
			return 0;
		}
		v = name == IP_TTL ? (inp->inp_ttl != 0 ? inp->inp_ttl :
		    ip_defttl) : inp->inp_tos;
		if (*len > sizeof(int))
			*len = sizeof(int);
		memcpy(val, &v, *len);
		return 0;
	default:
		return ENOPROTOOPT;
	}
}
