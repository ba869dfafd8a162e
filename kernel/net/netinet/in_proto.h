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

#endif /* NETINET_IN_PROTO_H */
