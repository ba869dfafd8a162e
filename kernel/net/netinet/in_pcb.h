/*
 * in_pcb.h: Internet protocol control blocks: the addresses and ports of
 * a UDP or TCP socket, kept in one table per protocol.  Private to
 * netinet.
 *
 * Locking: each table has a mutex (ipt_lock) protecting its list and
 * every pcb's addresses and ports; it is taken after the socket lock
 * (net/socket.h).  Input, which starts from a packet rather than a
 * socket, looks up a pcb under ipt_lock, takes a reference on its socket
 * (soref), drops ipt_lock, and only then locks the socket; it then
 * checks that so_pcb is still the pcb it found, since the socket may
 * have closed meanwhile (and the pcb be freed: never dereference it
 * before that check).
 */
#ifndef NETINET_IN_PCB_H
#define NETINET_IN_PCB_H

#include <kern/types.h>
#include <kern/lock.h>
#include <net/mbuf.h>
#include <net/socket.h>
#include <netinet/in.h>
#include <netinet/in6.h>

/*
 * Both families share the tables, so that ports clash across them as on
 * Linux.  inp_vflag says which addresses a pcb holds and which packets it
 * may receive: INP_IPV4, inp_laddr/inp_faddr; INP_IPV6,
 * inp_laddr6/inp_faddr6.  An AF_INET socket is INP_IPV4.  An AF_INET6
 * socket is INP_IPV6 once bound to or connected with an IPv6 address,
 * INP_IPV4 once with a v4-mapped one (it then works as IPv4 and shows
 * its addresses v4-mapped), and both while bound to the wildcard without
 * IPV6_V6ONLY (a dual-stack listener or receiver).
 */
struct inpcb {
	struct inpcbtable *inp_table;
	struct socket	*inp_socket;
	uint32_t	 inp_laddr, inp_faddr;	/* network order */
	uint16_t	 inp_lport, inp_fport;	/* network order */
	int		 inp_ttl;		/* 0: default */
	int		 inp_tos;
	int		 inp_af;		/* the socket's AF_INET/AF_INET6 */
	int		 inp_vflag;
#define INP_IPV4	0x1
#define INP_IPV6	0x2
	bool		 inp_v6only;		/* IPV6_V6ONLY */
	struct in6_addr	 inp_laddr6, inp_faddr6;
	uint32_t	 inp_scope6;		/* interface of link-local ones */
	int		 inp_hlim;		/* IPV6_UNICAST_HOPS, 0: default */
	bool		 inp_dead;		/* detached from its socket */
	bool		 inp_listening;		/* TCP LISTEN: wildcard match */
	void		*inp_ppcb;		/* TCP's tcpcb */
	struct inpcb	*inp_next;
};

struct inpcbtable {
	kmutex_t	 ipt_lock;
	struct inpcb	*ipt_list;
	uint16_t	 ipt_lastport;		/* host order */
	int		 ipt_count;
};

void	 in_pcbtable_init(struct inpcbtable *t);
/* A new pcb for so, in t (so_lock held).  0 or ENOBUFS. */
int	 in_pcballoc(struct socket *so, struct inpcbtable *t);
/* Takes the pcb out of its table and frees it. */
void	 in_pcbfree(struct inpcb *inp);
/* bind(2): checks and assigns laddr/lport (port 0: an ephemeral one).
 * sin NULL: an ephemeral port on the wildcard address (autobind). */
int	 in_pcbbind(struct inpcb *inp, const struct sockaddr_in *sin);
/* Sets the foreign address, choosing the local address and port when
 * unbound; EADDRINUSE when the 4-tuple is taken. */
int	 in_pcbconnect(struct inpcb *inp, const struct sockaddr_in *sin);
void	 in_pcbdisconnect(struct inpcb *inp);
/*
 * The pcb that should receive a packet from faddr:fport to laddr:lport:
 * an exact 4-tuple match first, then a bound (unconnected) one on laddr
 * or the wildcard.  With a result its socket has a reference the caller
 * must sorele().  listening: for TCP, only LISTEN pcbs match the
 * wildcard step.  *sop is the result's socket, read under the table's
 * lock: the pcb may be freed as soon as the lookup returns, so the
 * caller dereferences it only once it has locked *sop and found its
 * so_pcb still pointing at it.
 */
struct inpcb *in_pcblookup(struct inpcbtable *t, uint32_t faddr,
	    uint16_t fport, uint32_t laddr, uint16_t lport,
	    struct socket **sop);
/* Calls fn for each pcb connected to faddr:fport from laddr:lport (ICMP
 * errors), with its socket (referenced, read under the table's lock, as
 * for lookups); fn locks the socket and checks so_pcb first. */
void	 in_pcbnotify(struct inpcbtable *t, uint32_t faddr, uint16_t fport,
	    uint32_t laddr, uint16_t lport, int error,
	    void (*fn)(struct inpcb *, struct socket *, int));

/* The checked AF_INET address of a client's sockaddr: 0, EINVAL (too
 * short) or EAFNOSUPPORT. */
int	 in_sockaddr(const struct sockaddr *nam, socklen_t namlen,
	    struct sockaddr_in *sin);
/* Fills a sockaddr_storage from an address and port. */
void	 in_setsockaddr(struct sockaddr_storage *ss, socklen_t *lenp,
	    uint32_t addr, uint16_t port);
/* SOL_IP options shared by UDP and TCP (IP_TTL, IP_TOS). */
int	 in_ctloutput(struct inpcb *inp, int op, int name, void *val,
	    socklen_t *len);

/*
 * The addresses of a received segment, of either family, for the
 * transports' input code shared by both (TCP).
 */
struct in_conninfo {
	int		 ic_af;			/* AF_INET or AF_INET6 */
	uint32_t	 ic_src4, ic_dst4;
	struct in6_addr	 ic_src6, ic_dst6;
	uint32_t	 ic_ifindex;		/* arrival interface */
};

/*
 * What IPv4 code needs of IPv6 for a pcb in IPv6 mode; registered by
 * netinet6 at boot (IPv6 pcbs exist only when it is linked in).
 *   lookup: in_pcblookup() for an IPv6 segment.
 *   output: sends transport segment m (checksum field zero; the checksum
 *           is computed here) from src to dst (scope: interface index of
 *           link-local addresses), hlim 0 meaning the default; consumes m.
 *   mss:    the TCP MSS toward dst.
 */
struct in6_pcbops {
	struct inpcb *(*lookup)(struct inpcbtable *t,
	    const struct in_conninfo *ic, uint16_t fport, uint16_t lport,
	    struct socket **sop);
	int	(*output)(const struct in6_addr *src, const struct in6_addr *dst,
	    uint32_t scope, struct mbuf *m, int proto, int hlim, int tclass);
	int	(*mss)(const struct in6_addr *dst, uint32_t scope);
	/* The TSO limit (if_tso6) of the interface toward dst; 0: none. */
	int	(*tso)(const struct in6_addr *dst, uint32_t scope);
};
extern const struct in6_pcbops *in6_pcbops;

/* Whether the pcb speaks IPv6 (else IPv4) when it sends. */
static inline bool
in_pcb_isv6(const struct inpcb *inp)
{
	return (inp->inp_vflag & INP_IPV6) && !(inp->inp_vflag & INP_IPV4);
}
/* Sends transport segment m (checksum field zero) from the pcb's local to
 * its foreign address, in the pcb's family; consumes m. */
int	 in_pcboutput(struct inpcb *inp, struct mbuf *m, int proto);
/* The TSO limit (if_tso, if_tso6) of the interface toward the pcb's
 * foreign address, in the pcb's family; 0: none. */
int	 in_pcb_path_tso(const struct inpcb *inp);
/* in_pcblookup() for a segment of either family. */
struct inpcb *in_pcblookup_ic(struct inpcbtable *t,
	    const struct in_conninfo *ic, uint16_t fport, uint16_t lport,
	    struct socket **sop);
/* Sets a fresh pcb's addresses from a received segment (TCP passive
 * open), ipt_lock held. */
void	 in_pcbset_ic(struct inpcb *inp, const struct in_conninfo *ic,
	    uint16_t lport, uint16_t fport);
/* The local (peer false) or foreign address of the pcb as its socket's
 * family shows it (AF_INET6 sockets: IPv4 addresses v4-mapped). */
void	 in_pcbsockaddr(const struct inpcb *inp, bool peer,
	    struct sockaddr_storage *ss, socklen_t *lenp);
/* An IPv4 address and port as a socket of family af shows it. */
void	 in_setsockaddr_af(int af, struct sockaddr_storage *ss,
	    socklen_t *lenp, uint32_t addr, uint16_t port);
/* An IPv6 address as sockaddr_in6 (scope: interface index or 0). */
void	 in6_setsockaddr(struct sockaddr_storage *ss, socklen_t *lenp,
	    const struct in6_addr *addr, uint16_t port, uint32_t scope);
/* Whether two sockets may both hold a port (SO_REUSEADDR/REUSEPORT
 * rules, as Linux); o is the pcb already there. */
bool	 in_pcbreuse_ok(const struct inpcb *o, const struct socket *so);

#define IP_TOS		1
#define IP_TTL		2

/* Linux's ephemeral port range (net.ipv4.ip_local_port_range). */
#define IPPORT_EPHEMERALFIRST	32768
#define IPPORT_EPHEMERALLAST	60999
#define IPPORT_RESERVED		1024

#endif /* NETINET_IN_PCB_H */
