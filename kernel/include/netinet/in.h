/*
 * in.h: Internet (IPv4) addresses and headers, as on the wire and in the
 * Linux ABI.  Multi-byte fields of headers and addresses are in network
 * byte order; htons() and friends convert.
 */
#ifndef NETINET_IN_H
#define NETINET_IN_H

#include <kern/types.h>

#define IS_LITTLE_ENDIAN	(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)
static inline uint16_t htons(uint16_t v)
{ return IS_LITTLE_ENDIAN ? __builtin_bswap16(v) : v; }
static inline uint16_t ntohs(uint16_t v) { return htons(v); }
static inline uint32_t htonl(uint32_t v)
{ return IS_LITTLE_ENDIAN ? __builtin_bswap32(v) : v; }
static inline uint32_t ntohl(uint32_t v) { return htonl(v); }

typedef uint32_t in_addr_t;
struct in_addr {
	in_addr_t	s_addr;
};

/* Linux struct sockaddr_in (16 bytes). */
struct sockaddr_in {
	uint16_t	sin_family;	/* AF_INET */
	uint16_t	sin_port;	/* network order */
	struct in_addr	sin_addr;
	uint8_t		sin_zero[8];
};

#define INADDR_ANY		((in_addr_t)0x00000000)
#define INADDR_BROADCAST	((in_addr_t)0xffffffff)
#define INADDR_LOOPBACK		((in_addr_t)0x7f000001)	/* host order */
#define IN_LOOPBACKNET		127
#define IN_MULTICAST(a)		(((a) & 0xf0000000u) == 0xe0000000u) /* host */

#define IPPROTO_IP	0
#define IPPROTO_ICMP	1
#define IPPROTO_TCP	6
#define IPPROTO_UDP	17
#define IPPROTO_RAW	255

/* The IPv4 header (RFC 791). */
struct ip {
	uint8_t		ip_vhl;		/* version 4 << 4 | header words */
	uint8_t		ip_tos;
	uint16_t	ip_len;		/* total, bytes */
	uint16_t	ip_id;
	uint16_t	ip_off;		/* flags and fragment offset */
#define IP_RF		0x8000
#define IP_DF		0x4000
#define IP_MF		0x2000
#define IP_OFFMASK	0x1fff
	uint8_t		ip_ttl;
	uint8_t		ip_p;
	uint16_t	ip_sum;
	uint32_t	ip_src, ip_dst;
} __attribute__((__packed__, __aligned__(2)));
#define IP_HLEN(ip)	(((ip)->ip_vhl & 0x0f) << 2)
#define IP_VERSION(ip)	((ip)->ip_vhl >> 4)
#define IP_MAXPACKET	65535
#define IPDEFTTL	64

/* ICMP (RFC 792): the first 8 bytes of every message. */
struct icmp {
	uint8_t		icmp_type;
	uint8_t		icmp_code;
	uint16_t	icmp_cksum;
	union {
		struct { uint16_t id, seq; } echo;
		uint32_t	void_;
		struct { uint16_t unused, mtu; } frag;
		uint8_t		pptr;
	} icmp_hun;
} __attribute__((__packed__, __aligned__(2)));
#define icmp_id		icmp_hun.echo.id
#define icmp_seq	icmp_hun.echo.seq
#define ICMP_ECHOREPLY		0
#define ICMP_UNREACH		3
#define ICMP_UNREACH_NET	0
#define ICMP_UNREACH_HOST	1
#define ICMP_UNREACH_PROTOCOL	2
#define ICMP_UNREACH_PORT	3
#define ICMP_UNREACH_NEEDFRAG	4
#define ICMP_ECHO		8
#define ICMP_TIMXCEED		11
#define ICMP_TIMXCEED_INTRANS	0
#define ICMP_TIMXCEED_REASS	1
#define ICMP_PARAMPROB		12
#define ICMP_MINLEN		8

/* UDP (RFC 768). */
struct udphdr {
	uint16_t	uh_sport, uh_dport, uh_ulen, uh_sum;
} __attribute__((__packed__, __aligned__(2)));

#endif /* NETINET_IN_H */
