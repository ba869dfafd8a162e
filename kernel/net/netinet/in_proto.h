/*
 * in_proto.h: the Internet domain's protocols (UDP, TCP) as the sockets
 * layer sees them.  Private to netinet.
 */
#ifndef NETINET_IN_PROTO_H
#define NETINET_IN_PROTO_H

#include <net/socket.h>

extern const struct protosw udp_protosw;
extern const struct protosw tcp_protosw;
void	udp_init(void);
void	tcp_init(void);

struct udpstat {
	uint64_t udps_ipackets, udps_opackets, udps_badpackets, udps_noport,
	    udps_fullsock;
};
extern struct udpstat udpstat;

/* What IPv6 (netinet6) shares with UDP and TCP: the pcb tables, and
 * what their input does once a packet is found to be for a pcb. */
struct inpcb;
struct inpcbtable;
extern struct inpcbtable udbtable, tcbtable;
/* Queues a datagram of len bytes from `from` on so, inp's socket as the
 * lookup found it (whose reference it drops), or drops it when full or
 * when so no longer has inp. */
void	udp_append(struct inpcb *inp, struct socket *so, const uint8_t *data,
	    size_t len,
	    const struct sockaddr_storage *from, socklen_t fromlen);
/* ICMP errors for a pcb (socket referenced, not locked). */
void	udp_notify(struct inpcb *inp, struct socket *so, int error);
void	tcp_notify(struct inpcb *inp, struct socket *so, int error);

#endif /* NETINET_IN_PROTO_H */
