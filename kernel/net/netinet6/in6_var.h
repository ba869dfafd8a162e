/*
 * in6_var.h: interfaces between the files of netinet6 (IPv6, ICMPv6,
 * neighbour discovery, and IPv6 for netinet's UDP and TCP).  Private to
 * kernel/net/netinet6.
 *
 * Lock order (outermost first): the transports' locks (socket, pcb
 * table) -> in6_lock (addresses) -> nd6_lock (neighbour cache) ->
 * rt6_lock (routes) -> the net faction's locks.  As in netinet, output
 * never calls input directly (loopback goes through the netisr thread),
 * and nothing is sent while in6_lock or nd6_lock is held.
 */
#ifndef NETINET6_IN6_VAR_H
#define NETINET6_IN6_VAR_H

#include <kern/types.h>
#include <kern/lock.h>
#include <net/if.h>
#include <net/mbuf.h>
#include <netinet/in.h>
#include <netinet/in6.h>

/* --- in6.c: interface addresses ---------------------------------------- */

struct in6_ifaddr {
	struct ifnet	*ia6_ifp;
	struct in6_addr	 ia6_addr;
	int		 ia6_plen;
	int		 ia6_flags;
#define IN6_IFF_TENTATIVE	0x01	/* DAD running: not usable yet */
#define IN6_IFF_DUPLICATED	0x02	/* DAD found another owner */
#define IN6_IFF_AUTOCONF	0x04	/* made from the hardware address */
#define IN6_IFF_DEPRECATED	0x08	/* preferred lifetime over (RFC 4862) */
	uint64_t	 ia6_dad_done;	/* TENTATIVE: when DAD succeeds */
	/* Lifetimes (SLAAC addresses): monotonic ns, 0 for ever. */
	uint64_t	 ia6_vexpire, ia6_pexpire;
	struct in6_ifaddr *ia6_next;
};

void	 in6_addr_init(void);
/* Boot: the DAD timer and the link-up hook. */
void	 in6_if_init(void);
/* Adds addr/plen to ifp (and the connected route); on a link that is up,
 * DAD starts and the address is tentative for a second.  EEXIST, EINVAL
 * (multicast, unspecified, plen > 128) or ENOMEM. */
int	 in6_addr_add(struct ifnet *ifp, const struct in6_addr *addr, int plen,
	    int flags);
int	 in6_addr_del(struct ifnet *ifp, const struct in6_addr *addr);
/* States of an address for in6_addr_state(). */
#define IN6_ADDR_NONE		0	/* not ours */
#define IN6_ADDR_USABLE		1
#define IN6_ADDR_TENTATIVE	2	/* DAD still running */
#define IN6_ADDR_DUPLICATED	3
/* What addr is to this host; ifp NULL: on any interface (link-local
 * addresses are looked up on ifp when it is given). */
int	 in6_addr_state(const struct in6_addr *addr, struct ifnet *ifp);
/* Usable and ours. */
static inline bool
in6_is_local(const struct in6_addr *a, struct ifnet *ifp)
{
	return in6_is_loopback(a) || in6_addr_state(a, ifp) == IN6_ADDR_USABLE;
}
/* The interface holding addr (first match), or NULL. */
struct ifnet *in6_addr_ifp(const struct in6_addr *addr);
/* Source address selection (RFC 6724, simplified): a usable address of
 * ifp with the scope of dst, else one of another interface; 0 or
 * EADDRNOTAVAIL. */
int	 in6_select_src(const struct in6_addr *dst, struct ifnet *ifp,
	    struct in6_addr *src);
/* Whether multicast group a is one ifp listens to: all-nodes, or the
 * solicited-node group of one of its addresses (tentative included). */
bool	 in6_mcast_joined(const struct in6_addr *a, struct ifnet *ifp);
/* ff02::1:ffXX:XXXX for target. */
void	 in6_solicited_node(const struct in6_addr *target,
	    struct in6_addr *mc);
/* The link-local address of ifp into *a; 0 or EADDRNOTAVAIL. */
int	 in6_linklocal_of(struct ifnet *ifp, struct in6_addr *a,
	    bool usable_only);
/* The modified EUI-64 interface identifier of ifp's hardware address
 * into the last 8 bytes of *a (RFC 4291 appendix A). */
void	 in6_ifid(struct ifnet *ifp, struct in6_addr *a);
/* Lifetimes of addr on ifp (monotonic ns deadlines, 0: for ever): 0 or
 * EADDRNOTAVAIL.  Setting a preferred deadline in the future makes the
 * address preferred again. */
int	 in6_addr_life_get(struct ifnet *ifp, const struct in6_addr *addr,
	    uint64_t *vexpire);
int	 in6_addr_life_set(struct ifnet *ifp, const struct in6_addr *addr,
	    uint64_t vexpire, uint64_t pexpire);
/* Whether addr on ifp is past its preferred lifetime. */
bool	 in6_addr_deprecated(struct ifnet *ifp, const struct in6_addr *addr);
/* Deprecates addresses past their preferred lifetime and removes those
 * past their valid one; true while some address has a finite one. */
bool	 in6_addr_age(uint64_t now);
/* Called by nd6 when DAD finds addr on ifp duplicated. */
void	 in6_dad_duplicated(struct ifnet *ifp, const struct in6_addr *addr);
/* Text forms: RFC 4291 2.2 in, RFC 5952 out (buf: 46 bytes). */
int	 in6_pton(const char *s, struct in6_addr *a);
void	 in6_ntop(const struct in6_addr *a, char *buf, size_t len);
/* "addr" or "addr%ifname" (scope: the interface index, 0 when none). */
int	 in6_pton_scope(const char *s, struct in6_addr *a, uint32_t *scope);
/* Prefix of plen bits of a and b equal. */
bool	 in6_prefix_equal(const struct in6_addr *a, const struct in6_addr *b,
	    int plen);

/* --- route6.c: the IPv6 routing table ---------------------------------- */

struct rt6result {
	struct ifnet	*rt_ifp;
	struct in6_addr	 rt_nexthop;	/* gateway or the destination */
	int		 rt_flags;	/* RTF_* of net/route.h */
};
void	 rt6_init(void);
/* gw NULL: a connected route.  0, EEXIST, EINVAL or ENOMEM. */
int	 rt6_add(const struct in6_addr *dst, int plen,
	    const struct in6_addr *gw, struct ifnet *ifp, int flags);
/* ifp NULL: any; 0 or ESRCH. */
int	 rt6_del(const struct in6_addr *dst, int plen, struct ifnet *ifp);
/* The route to dst/plen through gateway gw on ifp only; 0 or ESRCH. */
int	 rt6_del_gw(const struct in6_addr *dst, int plen,
	    const struct in6_addr *gw, struct ifnet *ifp);
void	 rt6_purge_if(struct ifnet *ifp);
/* The route to dst; scope (an interface index) decides for link-local
 * and link-scope multicast destinations, which need one (EINVAL).
 * 0, ENETUNREACH, EHOSTUNREACH (interface down). */
int	 rt6_lookup(const struct in6_addr *dst, uint32_t scope,
	    struct rt6result *res);

/* --- ip6_output.c ------------------------------------------------------- */

void	 ip6_output_init(void);
/*
 * Sends payload m (transport header first) from src (NULL: chosen from
 * the route; may be :: for DAD) to dst with next header proto.  For TCP,
 * UDP and ICMPv6 the checksum is computed here.  hlim 0: the default
 * (255 for neighbour discovery is passed explicitly).  Consumes m.
 */
int	 ip6_output(struct mbuf *m, const struct in6_addr *src,
	    const struct in6_addr *dst, uint32_t scope, int proto, int hlim,
	    int tclass);
/* The path MTU toward dst (the link's, or less after Packet Too Big). */
int	 ip6_path_mtu(const struct in6_addr *dst, uint32_t scope);
/* Packet Too Big said mtu for dst. */
void	 ip6_pmtu_update(const struct in6_addr *dst, uint32_t mtu);
extern int ip6_defhlim;

/* --- ip6_input.c -------------------------------------------------------- */

/* Upper layers get the whole packet, m_data at the IPv6 header, and off,
 * where their header starts (extension headers skipped, fragments
 * reassembled); they consume m. */
typedef void (*ip6_protofn)(struct mbuf *m, int off, int proto);
void	 ip6_proto_register(int proto, ip6_protofn fn);
/* ICMPv6 errors for a transport: inner is the quoted packet (its IPv6
 * header), len its bytes, thoff where its transport header starts. */
typedef void (*ip6_ctlfn)(int error, const struct ip6_hdr *inner,
	    size_t len, size_t thoff);
void	 ip6_ctl_register(int proto, ip6_ctlfn fn);
void	 ip6_ctl_notify(int proto, int error, const struct ip6_hdr *inner,
	    size_t len, size_t thoff);
void	 ip6_init(void);
/* Walks extension headers from *nxt at off in a packet of len bytes;
 * returns the offset of the first other header (*nxt its type), or -1. */
int	 ip6_skip_ext(const uint8_t *pkt, size_t len, int off, int *nxt);
/* Reassembly (ip6_frag.c): fragment header at off; returns the whole
 * packet (unfragmentable part with the fragment header removed, *nxt the
 * fragment's next header, *offp where it starts) or NULL (kept/dropped). */
struct mbuf *ip6_reass(struct mbuf *m, int off, int *nxt, int *offp);
void	 ip6_reass_init(void);

/* --- icmp6.c ------------------------------------------------------------ */

void	 icmp6_init(void);
/* Answers packet m (IPv6 header first) with an ICMPv6 error (RFC 4443
 * 2.4: never about an error, a multicast destination except Packet Too
 * Big, or an unspecified or multicast source); consumes m. */
void	 icmp6_error(struct mbuf *m, int type, int code, uint32_t param);
int	 icmp6_ping(const struct in6_addr *dst, uint32_t scope, uint16_t seq,
	    size_t datalen, uint64_t timeout_ns, uint64_t *rtt_ns);
/* The checksum of ICMPv6/TCP/UDP payload p of len bytes. */
uint16_t in6_cksum(const struct in6_addr *src, const struct in6_addr *dst,
	    uint8_t proto, const void *p, size_t len);

/* --- nd6.c: neighbour discovery (RFC 4861) ------------------------------ */

void	 nd6_init(void);
void	 nd6_ns_input(struct mbuf *m, int off, size_t len);
void	 nd6_na_input(struct mbuf *m, int off, size_t len);
/* Sends a neighbour solicitation for target on ifp (src NULL: DAD, from
 * the unspecified address to the solicited-node group; unicast_hw: to
 * that station instead of the group). */
void	 nd6_ns_output(struct ifnet *ifp, const struct in6_addr *src,
	    const struct in6_addr *target, const uint8_t *unicast_hw);
/* Announces addr (unsolicited NA to all-nodes). */
void	 nd6_na_announce(struct ifnet *ifp, const struct in6_addr *addr);
void	 nd6_purge_if(struct ifnet *ifp);

/* --- nd6_rtr.c: routers and prefixes (RFC 4861 6, RFC 4862 5.5) -------- */

void	 nd6_rtr_init(void);
/* Router advertisements and solicitations from icmp6_input(). */
void	 nd6_ra_input(struct mbuf *m, int off, size_t len);
void	 nd6_rs_input(struct mbuf *m, int off, size_t len);
/* The link of ifp went up or down (solicitations, advertisements). */
void	 nd6_rtr_link(struct ifnet *ifp, bool up);
/* Whether ifp advertises itself as a router (it listens to ff02::2). */
bool	 nd6_is_advertising(struct ifnet *ifp);
/* The IPv6 MTU of ifp: its MTU, or less when a router said so. */
int	 in6_if_mtu(struct ifnet *ifp);
/*
 * Sends m (IPv6 header first), longer than mtu, to nh through ifp: a
 * large TCP segment (m_tso_segsz) whole to an interface with if_tso6,
 * else cut into segments (tcp_gso_segment); any other packet in
 * fragments, or, forwarding, not at all (Packet Too Big to its source).
 * Consumes m.
 */
int	 ip6_output_big(struct mbuf *m, struct ifnet *ifp,
	    const struct in6_addr *nh, int mtu, bool forwarding);
/* Router advertisements on ifp; cfg NULL stops them (a last one with
 * router lifetime 0).  0, EINVAL, EOPNOTSUPP (not Ethernet). */
struct nd6_ra_cfg {
	struct in6_addr	 prefix;
	int		 plen;		/* -1: no prefix option */
	uint32_t	 valid_s, preferred_s, mtu, interval_s;
	uint16_t	 lifetime_s;
};
int	 nd6_ra_config(struct ifnet *ifp, const struct nd6_ra_cfg *cfg);
/* Creates or updates the neighbour entry of addr on ifp with link
 * address hw (STALE when new or changed), sending what waited. */
void	 nd6_cache_update(struct ifnet *ifp, const struct in6_addr *addr,
	    const uint8_t *hw);
/* Forwarding between interfaces (off at boot). */
extern int ip6_forwarding;

/* --- in6_pcb.c / in6_proto.c: UDP and TCP over IPv6 ---------------------- */

void	 in6_proto_init(void);

/* Statistics. */
struct ip6stat {
	uint64_t ip6s_total, ip6s_tooshort, ip6s_badvers, ip6s_badlen,
	    ip6s_notmine, ip6s_badext, ip6s_noproto, ip6s_delivered,
	    ip6s_fragments, ip6s_reassembled, ip6s_fragdropped,
	    ip6s_localout, ip6s_fragmented, ip6s_odropped, ip6s_badsum,
	    ip6s_forward;
};
extern struct ip6stat ip6stat;
#define IP6STAT_INC(f)	__atomic_add_fetch(&ip6stat.f, 1, __ATOMIC_RELAXED)

#define ND6_RETRANS_NS		(1ULL * 1000000000)	/* RetransTimer */
#define ND6_REACHABLE_NS	(30ULL * 1000000000)	/* ReachableTime */
#define ND6_DELAY_NS		(5ULL * 1000000000)	/* DELAY_FIRST_PROBE */
#define ND6_MAX_SOLICIT		3	/* MAX_MULTICAST/UNICAST_SOLICIT */

#endif /* NETINET6_IN6_VAR_H */
