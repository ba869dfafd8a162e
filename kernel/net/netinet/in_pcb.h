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
#include <net/socket.h>
#include <netinet/in.h>

struct inpcb {
	struct inpcbtable *inp_table;
	struct socket	*inp_socket;
	uint32_t	 inp_laddr, inp_faddr;	/* network order */
	uint16_t	 inp_lport, inp_fport;	/* network order */
	int		 inp_ttl;		/* 0: default */
	int		 inp_tos;
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
 * wildcard step.
 */
struct inpcb *in_pcblookup(struct inpcbtable *t, uint32_t faddr,
	    uint16_t fport, uint32_t laddr, uint16_t lport);
/* Calls fn for each pcb connected to faddr:fport from laddr:lport (ICMP
 * errors), with a socket reference; fn locks the socket. */
void	 in_pcbnotify(struct inpcbtable *t, uint32_t faddr, uint16_t fport,
	    uint32_t laddr, uint16_t lport, int error,
	    void (*fn)(struct inpcb *, int));

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

#define IP_TOS		1
#define IP_TTL		2

/* Linux's ephemeral port range (net.ipv4.ip_local_port_range). */
#define IPPORT_EPHEMERALFIRST	32768
#define IPPORT_EPHEMERALLAST	60999
#define IPPORT_RESERVED		1024

#endif /* NETINET_IN_PCB_H */
