/*
 * rump_netconfig.h: network configuration for programs that embed a
 * strata kernel with networking (librumpnet, librumpnet_netinet,
 * librumpnet_netinet6 and interface drivers such as librumpnet_shmif).
 *
 * Like rump.h this header includes nothing: include <stdint.h> and
 * <stddef.h> first.  Every function takes a virtual CPU for the call and
 * returns 0 or a positive errno value (Linux numbering).  Addresses are
 * dotted-quad strings ("10.0.0.1").  The loopback interface "lo" exists
 * from boot with 127.0.0.1/8 and is up.
 */
#ifndef RUMP_RUMP_NETCONFIG_H
#define RUMP_RUMP_NETCONFIG_H

/*
 * Creates an interface of a type provided by a linked-in driver:
 *   "shmif"  arg: path of the bus file (created if missing) shared by
 *            every kernel on the same Ethernet segment;
 *   "virtif" arg: name of the host TAP device.
 * The new interface's name ("shmif0", ...) goes to ifname (ifnamelen
 * bytes, 16 are enough).  The interface starts down.
 * ENXIO: no such type linked in; other errors come from the driver.
 */
int	rump_netconfig_ifcreate(const char *type, const char *arg,
	    char *ifname, size_t ifnamelen);
/*
 * Removes an interface made by rump_netconfig_ifcreate(): it goes down,
 * its routes go, and its driver lets go of the host device (a TAP device
 * virtif created disappears).  ENXIO: no such interface; EOPNOTSUPP: its
 * type cannot be removed (lo, shmif).
 */
int	rump_netconfig_ifdestroy(const char *ifname);
/* Brings an interface up or down (ENXIO: no such interface). */
int	rump_netconfig_ifup(const char *ifname);
int	rump_netconfig_ifdown(const char *ifname);
/* Sets the MTU (EINVAL outside 68..65535, or above what the link
 * carries). */
int	rump_netconfig_ifsetmtu(const char *ifname, int mtu);
/* Copies the interface's hardware address (6 bytes). */
int	rump_netconfig_ifhwaddr(const char *ifname, uint8_t *hw);

/* Adds (removes) an IPv4 address with its prefix length; adding also
 * adds the route to the connected prefix.  EEXIST: already assigned. */
int	rump_netconfig_ipv4_addr_add(const char *ifname, const char *addr,
	    int prefixlen);
int	rump_netconfig_ipv4_addr_del(const char *ifname, const char *addr);
/*
 * Adds a route to dst/prefixlen through gateway (NULL: directly on the
 * link of ifname); ifname NULL: the interface whose prefix holds the
 * gateway.  rump_netconfig_ipv4_gw() is the default route
 * (0.0.0.0/0).  ENETUNREACH: the gateway is on no attached prefix.
 */
int	rump_netconfig_ipv4_route_add(const char *dst, int prefixlen,
	    const char *gateway, const char *ifname);
int	rump_netconfig_ipv4_route_del(const char *dst, int prefixlen);
int	rump_netconfig_ipv4_gw(const char *gateway);
/* Forwarding between interfaces (off at boot), like Linux's
 * net.ipv4.ip_forward. */
int	rump_netconfig_ipv4_forwarding(int on);

/*
 * DHCP (RFC 2131) on an Ethernet interface that is up: DISCOVER, OFFER,
 * REQUEST, ACK, within timeout_ms; then the lease is applied: its
 * address with the subnet mask offered (a /24 when none is), and the
 * first router as the default route (replacing one there was).  lease
 * (may be NULL) gets what was leased, addresses as dotted quads ("" for
 * what the server did not give).  ETIMEDOUT: no server answered;
 * ENETDOWN: the interface is down; EOPNOTSUPP: not Ethernet; EBUSY:
 * another call runs on it; ECONNREFUSED: the server refused (NAK) again
 * and again; EPROTO: an unusable lease.
 *
 * From then on a kernel thread keeps the lease (RFC 2131 4.4.5) for as
 * long as the kernel runs: at T1 (the server's option 58, else half the
 * lease) it asks the server again, unicast, and from T2 (option 59, else
 * 7/8 of the lease) any server, broadcast; an ACK extends the lease.
 * When the lease ends (or a server says NAK) the address and the default
 * route go and discovery starts over, in the background, until a server
 * answers.  Calling rump_netconfig_dhcp() again starts a new exchange
 * (a failed one leaves the lease held before as it was).
 */
struct rump_dhcp_lease {
	char		addr[16];
	int		prefixlen;
	char		router[16];
	char		server[16];
	char		dns[16];	/* the first DNS server */
	uint32_t	lease_s;	/* lease time, seconds; 0xffffffff:
					 * infinite */
};
int	rump_netconfig_dhcp(const char *ifname, int timeout_ms,
	    struct rump_dhcp_lease *lease);
/*
 * The state of the DHCP client of ifname: ENXIO (no such interface),
 * ENOENT (no client: rump_netconfig_dhcp() never succeeded on it, or
 * the lease was released).
 */
#define RUMP_DHCP_INIT		1	/* no lease: discovering */
#define RUMP_DHCP_BOUND		2
#define RUMP_DHCP_RENEWING	3	/* past T1: asking the server */
#define RUMP_DHCP_REBINDING	4	/* past T2: asking any server */
struct rump_dhcp_status {
	struct rump_dhcp_lease lease;	/* held now (addr "" in INIT) */
	int		state;		/* RUMP_DHCP_* */
	uint32_t	t1_s, t2_s;	/* into the lease, seconds */
	uint32_t	left_ms;	/* until the lease ends (0xffffffff:
					 * never; 0 in INIT) */
	/* Events so far: leases extended by the server (renewing) or by
	 * any server (rebinding), leases that ended, NAKs that ended one. */
	uint32_t	renewed, rebound, expired, naks;
};
int	rump_netconfig_dhcp_status(const char *ifname,
	    struct rump_dhcp_status *st);
/* Gives the lease back (RFC 2131 4.4.6: a DHCPRELEASE to the server),
 * takes the address and the default route away and stops the client.
 * ENXIO, ENOENT as above. */
int	rump_netconfig_dhcp_release(const char *ifname);

/*
 * Sends one ICMP echo request of datalen data bytes with sequence number
 * seq to addr and waits up to timeout_ms for the reply; *rtt_ns (may be
 * NULL) gets the round trip time.  ETIMEDOUT without a reply,
 * ENETUNREACH/EHOSTUNREACH when there is no route.
 */
int	rump_netconfig_ping4(const char *addr, int seq, size_t datalen,
	    int timeout_ms, uint64_t *rtt_ns);

/*
 * IPv6 (librumpnet_netinet6).  Addresses are in RFC 4291 text form
 * ("2001:db8::1", "fe80::1"); where a link-local address needs its link
 * the form "fe80::1%shmif0" names it.  "lo" has ::1 from boot.  An
 * Ethernet interface gets its link-local address (fe80::/64 with the
 * modified EUI-64 of its hardware address) when it first comes up.  A
 * new address is tentative for a second while duplicate address
 * detection runs (RFC 4862): it cannot be bound or used as a source
 * until then, and never if another station has it.
 */
int	rump_netconfig_ipv6_addr_add(const char *ifname, const char *addr,
	    int prefixlen);
int	rump_netconfig_ipv6_addr_del(const char *ifname, const char *addr);
/* What addr is on ifname: one of RUMP_IPV6_ADDR_*, or a negated errno
 * (-EINVAL: not an address, -ENXIO: no such interface). */
#define RUMP_IPV6_ADDR_NONE		0
#define RUMP_IPV6_ADDR_USABLE		1
#define RUMP_IPV6_ADDR_TENTATIVE	2
#define RUMP_IPV6_ADDR_DUPLICATED	3
#define RUMP_IPV6_ADDR_DEPRECATED	4	/* usable, but past its
						 * preferred lifetime */
int	rump_netconfig_ipv6_addr_state(const char *ifname, const char *addr);
/* The interface's link-local address as text (46 bytes are enough);
 * EADDRNOTAVAIL before the interface first came up. */
int	rump_netconfig_ipv6_linklocal(const char *ifname, char *buf,
	    size_t len);
/* Routes, as for IPv4; a link-local gateway needs ifname.
 * rump_netconfig_ipv6_gw() is the default route (::/0). */
int	rump_netconfig_ipv6_route_add(const char *dst, int prefixlen,
	    const char *gateway, const char *ifname);
int	rump_netconfig_ipv6_route_del(const char *dst, int prefixlen);
int	rump_netconfig_ipv6_gw(const char *gateway, const char *ifname);
/*
 * Router advertisements (RFC 4861, RFC 4862).  Every Ethernet interface
 * that does not advertise listens to them: when it comes up it sends up
 * to three router solicitations (4 s apart, the first about a second
 * after the link-local address passed DAD), and each advertisement
 * updates the default routers (a ::/0 route through each for its router
 * lifetime), the on-link prefixes (a route for their valid lifetime), the
 * IPv6 MTU of the link (the MTU option), and, for a 64-bit prefix with
 * the autonomous flag, an address of its own: the prefix and the
 * modified EUI-64 of the hardware address (as the link-local one), with
 * DAD, deprecated (not chosen as a source while there are others) after
 * its preferred lifetime and removed after its valid lifetime.
 *
 * rump_netconfig_ipv6_ra() makes ifname advertise instead (a router's
 * part): unsolicited advertisements (the first three at most 16 s apart,
 * then every interval_s seconds, 4..1800, 0: 600), answers to
 * solicitations, with the prefix (NULL: none) with the on-link and
 * autonomous flags and the two lifetimes (0xffffffff: for ever), the MTU
 * option (0: none; else 1280..the link's MTU) and the router lifetime
 * lifetime_s (0, or interval_s..9000: a default router), which is
 * advertised as 0 while forwarding is off.  ra NULL stops it, with a
 * last advertisement of router lifetime 0.  EINVAL: bad values;
 * EOPNOTSUPP: not Ethernet.
 */
struct rump_ipv6_ra {
	const char	*prefix;	/* "2001:db8:1::" */
	int		 prefixlen;
	uint32_t	 valid_s, preferred_s;
	uint16_t	 lifetime_s;	/* router lifetime */
	uint32_t	 mtu;
	uint32_t	 interval_s;
};
int	rump_netconfig_ipv6_ra(const char *ifname,
	    const struct rump_ipv6_ra *ra);
/* Forwarding of IPv6 between interfaces (off at boot), like Linux's
 * net.ipv6.conf.all.forwarding: hop limit, Packet Too Big, Destination
 * Unreachable; link-local packets stay on their link. */
int	rump_netconfig_ipv6_forwarding(int on);
/* The IPv6 MTU of ifname: the interface's, or less when a router's MTU
 * option said so. */
int	rump_netconfig_ipv6_mtu(const char *ifname, int *mtu);

/*
 * ICMPv6 echo, as rump_netconfig_ping4(); EHOSTUNREACH (or
 * ENETUNREACH, ...) when an error message came back instead, e.g. when
 * neighbour discovery found no one at addr (after about 3 seconds).
 */
int	rump_netconfig_ping6(const char *addr, int seq, size_t datalen,
	    int timeout_ms, uint64_t *rtt_ns);

/* Interface counters. */
struct rump_ifstats {
	uint64_t	ipackets, ierrors, ibytes, iqdrops;
	uint64_t	opackets, oerrors, obytes;
	int		flags;		/* IFF_* (Linux values) */
	int		mtu;
	int		index;
};
int	rump_netconfig_ifstats(const char *ifname, struct rump_ifstats *st);

#endif /* RUMP_RUMP_NETCONFIG_H */
