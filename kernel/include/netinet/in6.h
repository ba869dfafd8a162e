/*
 * in6.h: IPv6 addresses and headers, as on the wire (RFC 8200, RFC 4443,
 * RFC 4861) and in the Linux ABI (struct sockaddr_in6, option numbers).
 * Multi-byte fields are in network byte order.
 *
 * Shared by netinet (the transports keep IPv6 addresses in their control
 * blocks, and a dual-stack socket reports IPv4 peers as v4-mapped
 * addresses) and netinet6, which implements IPv6 itself.
 */
#ifndef NETINET_IN6_H
#define NETINET_IN6_H

#include <kern/types.h>
#include <netinet/in.h>

struct in6_addr {
	union {
		uint8_t		u6_addr8[16];
		uint16_t	u6_addr16[8];
		uint32_t	u6_addr32[4];
	} u6;
};
#define s6_addr		u6.u6_addr8
#define s6_addr16	u6.u6_addr16
#define s6_addr32	u6.u6_addr32

/* Linux struct sockaddr_in6 (28 bytes). */
struct sockaddr_in6 {
	uint16_t	sin6_family;	/* AF_INET6 */
	uint16_t	sin6_port;	/* network order */
	uint32_t	sin6_flowinfo;
	struct in6_addr	sin6_addr;
	uint32_t	sin6_scope_id;	/* interface index for link-local */
};
_Static_assert(sizeof(struct sockaddr_in6) == 28, "sockaddr_in6 layout");
#define SIN6_LEN_RFC2133	24	/* without sin6_scope_id: Linux accepts it */

extern const struct in6_addr in6addr_any;		/* :: */
extern const struct in6_addr in6addr_loopback;		/* ::1 */

static inline bool
in6_equal(const struct in6_addr *a, const struct in6_addr *b)
{
	return a->s6_addr32[0] == b->s6_addr32[0] &&
	    a->s6_addr32[1] == b->s6_addr32[1] &&
	    a->s6_addr32[2] == b->s6_addr32[2] &&
	    a->s6_addr32[3] == b->s6_addr32[3];
}

static inline bool
in6_is_unspecified(const struct in6_addr *a)
{
	return (a->s6_addr32[0] | a->s6_addr32[1] | a->s6_addr32[2] |
	    a->s6_addr32[3]) == 0;
}

static inline bool
in6_is_loopback(const struct in6_addr *a)
{
	return (a->s6_addr32[0] | a->s6_addr32[1] | a->s6_addr32[2]) == 0 &&
	    a->s6_addr32[3] == htonl(1);
}

/* fe80::/10 */
static inline bool
in6_is_linklocal(const struct in6_addr *a)
{
	return a->s6_addr[0] == 0xfe && (a->s6_addr[1] & 0xc0) == 0x80;
}

/* ff00::/8 */
static inline bool
in6_is_multicast(const struct in6_addr *a)
{
	return a->s6_addr[0] == 0xff;
}

/* Multicast with link-local or interface-local scope: needs a scope id. */
static inline bool
in6_is_mc_linklocal(const struct in6_addr *a)
{
	return a->s6_addr[0] == 0xff && ((a->s6_addr[1] & 0x0f) == 2 ||
	    (a->s6_addr[1] & 0x0f) == 1);
}

/* ::ffff:a.b.c.d, an IPv4 address as a dual-stack socket sees it. */
static inline bool
in6_is_v4mapped(const struct in6_addr *a)
{
	return a->s6_addr32[0] == 0 && a->s6_addr32[1] == 0 &&
	    a->s6_addr32[2] == htonl(0xffff);
}

static inline void
in6_v4mapped(struct in6_addr *a, uint32_t v4)
{
	a->s6_addr32[0] = 0;
	a->s6_addr32[1] = 0;
	a->s6_addr32[2] = htonl(0xffff);
	a->s6_addr32[3] = v4;
}

/* Whether an address needs an interface to mean anything. */
static inline bool
in6_needs_scope(const struct in6_addr *a)
{
	return in6_is_linklocal(a) || in6_is_mc_linklocal(a);
}

#define IPPROTO_HOPOPTS		0
#define IPPROTO_IPV6		41
#define IPPROTO_ROUTING		43
#define IPPROTO_FRAGMENT	44
#define IPPROTO_ICMPV6		58
#define IPPROTO_NONE		59
#define IPPROTO_DSTOPTS		60

/* The IPv6 header (RFC 8200). */
struct ip6_hdr {
	uint32_t	ip6_flow;	/* version 6, traffic class, flow */
	uint16_t	ip6_plen;	/* payload length */
	uint8_t		ip6_nxt;
	uint8_t		ip6_hlim;
	struct in6_addr	ip6_src, ip6_dst;
} __attribute__((__packed__, __aligned__(4)));
#define IPV6_VERSION		0x60
#define IPV6_VERSION_MASK	0xf0
#define IPV6_MINMTU		1280
#define IPV6_MAXPACKET		65535
#define IPV6_DEFHLIM		64

/* Extension headers share this start (hop-by-hop, routing, dst opts). */
struct ip6_ext {
	uint8_t		ip6e_nxt;
	uint8_t		ip6e_len;	/* 8-byte units, not counting the first */
} __attribute__((__packed__));

struct ip6_frag {
	uint8_t		ip6f_nxt;
	uint8_t		ip6f_reserved;
	uint16_t	ip6f_offlg;	/* offset << 3 | M */
	uint32_t	ip6f_ident;
} __attribute__((__packed__, __aligned__(4)));
#define IP6F_OFF_MASK	0xfff8	/* in host order, after ntohs */
#define IP6F_MORE_FRAG	0x0001

/* ICMPv6 (RFC 4443), the first 8 bytes of every message. */
struct icmp6_hdr {
	uint8_t		icmp6_type;
	uint8_t		icmp6_code;
	uint16_t	icmp6_cksum;
	union {
		uint32_t	data32[1];
		uint16_t	data16[2];
		uint8_t		data8[4];
	} icmp6_dataun;
} __attribute__((__packed__, __aligned__(4)));
#define icmp6_mtu	icmp6_dataun.data32[0]
#define icmp6_pptr	icmp6_dataun.data32[0]
#define icmp6_id	icmp6_dataun.data16[0]
#define icmp6_seq	icmp6_dataun.data16[1]

#define ICMP6_DST_UNREACH		1
#define ICMP6_DST_UNREACH_NOROUTE	0
#define ICMP6_DST_UNREACH_ADMIN		1
#define ICMP6_DST_UNREACH_ADDR		3
#define ICMP6_DST_UNREACH_NOPORT	4
#define ICMP6_PACKET_TOO_BIG		2
#define ICMP6_TIME_EXCEEDED		3
#define ICMP6_TIME_EXCEED_TRANSIT	0
#define ICMP6_TIME_EXCEED_REASSEMBLY	1
#define ICMP6_PARAM_PROB		4
#define ICMP6_PARAMPROB_HEADER		0
#define ICMP6_PARAMPROB_NEXTHEADER	1
#define ICMP6_ECHO_REQUEST		128
#define ICMP6_ECHO_REPLY		129
#define ND_ROUTER_SOLICIT		133
#define ND_ROUTER_ADVERT		134
#define ND_NEIGHBOR_SOLICIT		135
#define ND_NEIGHBOR_ADVERT		136
#define ND_REDIRECT			137

/* Socket options (SOL_IPV6), Linux numbers. */
#define IPV6_UNICAST_HOPS	16
#define IPV6_MULTICAST_HOPS	18
#define IPV6_V6ONLY		26
#define IPV6_TCLASS		67

#endif /* NETINET_IN6_H */
