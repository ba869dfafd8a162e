/*
 * in_var.h: interfaces between the files of netinet (IPv4, ARP, ICMP,
 * UDP, TCP).  Private to kernel/net/netinet.
 *
 * Lock order (outermost first): protocol locks (tcp, udp) -> in_lock
 * (addresses) -> arp_lock -> the net faction's locks (ifnet, routes,
 * netisr).  Output never calls input directly: loopback delivery goes
 * through the netisr thread, so a protocol may send while holding its
 * lock.
 */
#ifndef NETINET_IN_VAR_H
#define NETINET_IN_VAR_H

#include <kern/types.h>
#include <kern/lock.h>
#include <net/if.h>
#include <net/mbuf.h>
#include <net/route.h>
#include <netinet/in.h>

/* An IPv4 address of an interface. */
struct in_ifaddr {
	struct ifnet	*ia_ifp;
	uint32_t	 ia_addr;	/* network order, like all below */
	uint32_t	 ia_mask;
	uint32_t	 ia_bcast;	/* directed broadcast */
	int		 ia_plen;
	struct in_ifaddr *ia_next;
};

/* in.c: addresses. */
void	 in_addr_init(void);
int	 in_addr_add(struct ifnet *ifp, uint32_t addr, int plen);
int	 in_addr_del(struct ifnet *ifp, uint32_t addr);
/* The first address of ifp into *addr; 0 or EADDRNOTAVAIL. */
int	 in_ifaddr_of(struct ifnet *ifp, uint32_t *addr);
/* True when addr is one of ours (any interface). */
bool	 in_is_local(uint32_t addr);
/* True when dst, received on ifp, is a broadcast address there. */
bool	 in_is_broadcast(uint32_t dst, struct ifnet *ifp);
/* The source address for packets to dst through rt; 0 or
 * EADDRNOTAVAIL. */
int	 in_select_src(uint32_t dst, const struct rtresult *rt,
	    uint32_t *src);
/* The AF_INET interface address ioctls (SIOCGIFADDR, ...). */
extern const struct if_afioctl in_afioctl;
/* Parses a dotted quad into network order; 0 or EINVAL. */
int	 in_aton(const char *s, uint32_t *addr);

/* in_cksum.c: the Internet checksum (RFC 1071). */
/* One's-complement sum of len bytes at p folded into 16 bits, added to
 * sum (not complemented). */
uint32_t in_cksum_add(uint32_t sum, const void *p, size_t len);
/* The complemented, folded checksum of len bytes with initial sum. */
uint16_t in_cksum_fold(uint32_t sum);
/* The pseudo-header sum for TCP/UDP. */
uint32_t in_pseudo(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len);

/* dhcp.c: the DHCP client's state, and its receive path: udp_input()
 * offers every datagram to port 68 (m_data at the IP header of hlen
 * bytes, UDP checksum checked); true when taken (m freed). */
void	 dhcp_init(void);
bool	 dhcp_input(struct mbuf *m, int hlen);

/* ip_output.c */
void	 ip_output_init(void);
#define IP_FORWARDING	0x01	/* m holds a whole datagram: keep its header */
#define IP_DONTFRAG	0x02	/* set DF */
#define IP_ALLOWBROADCAST 0x04
struct ip_moptions;
/*
 * Sends payload m (the transport header and data) to dst with protocol
 * proto; src 0 picks the source from the route.  ttl 0 is the default.
 * Consumes m.  0 or an errno (ENETUNREACH, EHOSTUNREACH, EMSGSIZE with
 * DONTFRAG, ENOBUFS...).
 */
int	 ip_output(struct mbuf *m, uint32_t src, uint32_t dst, int proto,
	    int ttl, int tos, int flags);
/* Sends the complete datagram m (header included) toward ip_dst. */
int	 ip_output_datagram(struct mbuf *m, int flags);
/* Bytes of transport payload that fit one unfragmented packet to dst
 * (for TCP's MSS); 0 when there is no route. */
int	 ip_path_mtu(uint32_t dst);
/* The TSO limit (if_tso) of the interface toward dst; 0: none. */
int	 ip_path_tso(uint32_t dst);

/* tcp_gso.c */
/*
 * Cuts the large TCP segment m (m_data at its IPv4 or IPv6 header; an
 * IPv6 one without extension headers) into segments of m_tso_segsz
 * payload bytes, linked by m_nextpkt.  IPv4 pieces have M_CSUM_IPv4 and
 * M_CSUM_TCPv4 set for the IP output to compute or offload; IPv6 pieces
 * have their TCP checksum.  Consumes m; NULL when m is no TCP segment
 * that can be cut, or memory ran out.
 */
struct mbuf *tcp_gso_segment(struct mbuf *m);

/* ip_input.c */
/*
 * Transport protocols register their input: fn(m, hlen) gets the whole
 * datagram (m_data at the IP header, hlen its length), reassembled,
 * checksum of the IP header verified, addressed to this host.  It
 * consumes m.
 */
typedef void (*ip_protofn)(struct mbuf *m, int hlen);
void	 ip_proto_register(int proto, ip_protofn fn);
extern int ip_forwarding;		/* forward between interfaces */
extern int ip_defttl;
void	 ip_init(void);
void	 ip_reass_init(void);
/* Reassembles: returns the whole datagram when m completed one, else
 * NULL (m kept or dropped). */
struct mbuf *ip_reass(struct mbuf *m);

/* arp.c */
void	 arp_init(void);
/* Sends a gratuitous request announcing addr on ifp. */
void	 arp_announce(struct ifnet *ifp, uint32_t addr);
/* Drops every entry of ifp. */
void	 arp_purge_if(struct ifnet *ifp);

/* icmp.c */
void	 icmp_init(void);
/* Answers datagram m (IP header first) with an ICMP error; consumes
 * m.  Never answers an ICMP error, a fragment other than the first,
 * or a broadcast. */
void	 icmp_error(struct mbuf *m, int type, int code, int mtu);
/* Sends one echo request and waits for its reply. */
int	 icmp_ping(uint32_t dst, uint16_t seq, size_t datalen,
	    uint64_t timeout_ns, uint64_t *rtt_ns);

/* Hooks for errors reported by ICMP to the transport that sent the
 * offending datagram (may be NULL): inner is the quoted IP header. */
typedef void (*ip_ctlfn)(int error, const struct ip *inner, size_t len);
void	 ip_ctl_register(int proto, ip_ctlfn fn);
void	 ip_ctl_notify(int proto, int error, const struct ip *inner,
	    size_t len);

/* Statistics (tests read them through rump_netconfig_stat). */
struct ipstat {
	uint64_t ips_total, ips_badsum, ips_tooshort, ips_badhlen,
	    ips_badlen, ips_badvers, ips_fragments, ips_fragdropped,
	    ips_reassembled, ips_forward, ips_cantforward, ips_noproto,
	    ips_delivered, ips_localout, ips_fragmented, ips_odropped,
	    ips_timxceed;
};
extern struct ipstat ipstat;
#define IPSTAT_INC(f)	__atomic_add_fetch(&ipstat.f, 1, __ATOMIC_RELAXED)

#endif /* NETINET_IN_VAR_H */
