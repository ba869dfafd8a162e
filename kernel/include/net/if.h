/*
 * if.h: network interfaces.
 *
 * An interface is a struct ifnet that a driver (loopback, shmif, virtif)
 * fills in and attaches with if_attach().  Its life:
 *
 *   driver --if_input(ifp, m)--> link layer (ether_input, or the
 *          loopback's direct delivery) --netisr_dispatch(af, m)--> the
 *          protocol registered for af (ip_input, arp_input)
 *   protocol --if_output(ifp, m, af, nexthop)--> link layer (ether_output
 *          resolves nexthop to a hardware address) --if_transmit(ifp, m)
 *          --> driver
 *
 * Every function taking an mbuf consumes it.  Interfaces are created at
 * run time by name through cloners (if_clone_create("shmif", arg)) and
 * live until the kernel ends: nothing frees an ifnet, so a pointer to one
 * stays valid (if_detach only takes it out of service).
 *
 * Locking: the interface list is protected by ifnet_lock (a reader/writer
 * lock, taken by the functions below); the fields an attached interface
 * changes (if_flags, if_mtu, counters) are read and written atomically.
 */
#ifndef NET_IF_H
#define NET_IF_H

#include <kern/types.h>
#include <kern/component.h>
#include <net/mbuf.h>

#define IFNAMSIZ	16	/* Linux: including the NUL */
#define ETHER_ADDR_LEN	6

/* Address families, Linux numbers. */
#define AF_UNSPEC	0
#define AF_INET		2
#define AF_INET6	10
#define AF_PACKET	17
/* Link-level families netisr dispatches besides the AFs above. */
#define AF_ARP		0x0806	/* ARP frames (the Ethernet type) */

/* Interface flags, Linux values (SIOCGIFFLAGS). */
#define IFF_UP		0x1
#define IFF_BROADCAST	0x2
#define IFF_LOOPBACK	0x8
#define IFF_RUNNING	0x40
#define IFF_PROMISC	0x100
#define IFF_MULTICAST	0x1000

/* Interface types (ARPHRD_*, Linux values). */
#define IFT_ETHER	1
#define IFT_LOOP	772

struct ifnet {
	char		 if_xname[IFNAMSIZ];	/* "lo", "shmif0", ... */
	int		 if_index;		/* 1, 2, ... (lo is 1) */
	int		 if_type;		/* IFT_* */
	int		 if_flags;		/* IFF_* */
	int		 if_mtu;		/* largest L3 packet */
	int		 if_hdrlen;		/* link header bytes */
	uint8_t		 if_hwaddr[ETHER_ADDR_LEN];
	/* Checksums the hardware computes on output (M_CSUM_IPv4...). */
	int		 if_csum;
	/* TSO: the largest TCP/IPv4 packet the interface takes whole
	 * (m_tso_segsz says the MSS): hardware that cuts it into MSS-sized
	 * segments itself, or a link whose receivers all take it whole
	 * (shmif); 0: none.  Its checksum is computed in software unless
	 * M_CSUM_TCPv4 is in if_csum. */
	int		 if_tso;
	/* The same for TCP/IPv6 (M_CSUM_TCPv6). */
	int		 if_tso6;

	/* Link layer: set by ether_ifattach or the driver. */
	int		(*if_output)(struct ifnet *, struct mbuf *, int af,
			    const void *nexthop);
	void		(*if_input)(struct ifnet *, struct mbuf *);
	/* Driver: sends one complete frame. */
	int		(*if_transmit)(struct ifnet *, struct mbuf *);
	/* Driver: IFF_UP changed (may be NULL). */
	void		(*if_updown)(struct ifnet *, bool up);
	void		*if_softc;		/* driver's */
	void		*if_afdata[2];		/* per-protocol: [0] inet */
#define IFAFDATA_INET	0
#define IFAFDATA_INET6	1

	/* Counters, updated atomically. */
	uint64_t	 if_ipackets, if_ierrors, if_ibytes;
	uint64_t	 if_opackets, if_oerrors, if_obytes, if_iqdrops;

	struct ifnet	*if_next;
	bool		 if_detached;
};

/* Adds ifp to the list and gives it an index; 0 or EEXIST (name). */
int		 if_attach(struct ifnet *ifp);
/* Brings the interface down and takes it out of service. */
void		 if_detach(struct ifnet *ifp);
/* Finds an interface; NULL if none. */
struct ifnet	*if_find_byname(const char *name);
struct ifnet	*if_find_byindex(int index);
/* Calls fn for each attached interface until it returns non-zero. */
int		 if_foreach(int (*fn)(struct ifnet *, void *), void *arg);
/* Sets or clears IFF_UP (tells the driver). */
void		 if_setup(struct ifnet *ifp, bool up);
/* Protocols that act when an interface goes up or down (IPv6 gives it
 * its link-local address): fn runs after the driver heard of it, in the
 * thread that changed the flag, with no lock held. */
typedef void (*if_linkfn)(struct ifnet *, bool up);
void		 if_link_register(if_linkfn fn);
/* The loopback interface ("lo", always attached). */
extern struct ifnet *lo_ifp;

/* if_flags and if_mtu of an attached interface change while others read
 * them: always through these. */
static inline int
if_flags_get(const struct ifnet *ifp)
{
	return __atomic_load_n(&ifp->if_flags, __ATOMIC_RELAXED);
}

static inline int
if_mtu_get(const struct ifnet *ifp)
{
	return __atomic_load_n(&ifp->if_mtu, __ATOMIC_RELAXED);
}

static inline uint64_t
if_stat_get(const uint64_t *ctr)
{
	return __atomic_load_n(ctr, __ATOMIC_RELAXED);
}

static inline void
if_stat_add(uint64_t *ctr, uint64_t n)
{
	__atomic_add_fetch(ctr, n, __ATOMIC_RELAXED);
}

/*
 * Cloners: interface types created at run time by name.  create makes
 * one interface of the type from arg (a driver-specific string: the bus
 * file for shmif, the TAP name for virtif) and writes its name.
 * Registered with IF_CLONER().
 */
struct if_cloner {
	const char	*ifc_name;	/* "shmif" */
	int		(*ifc_create)(const char *arg, char *ifname,
			    size_t ifnamelen);
	/* Takes an interface of this type (named ifc_name + digits) out
	 * of service and releases what its driver holds (may be NULL:
	 * interfaces of the type cannot be removed). */
	int		(*ifc_destroy)(struct ifnet *ifp);
};
#define IF_CLONER(c)	__link_set_add(if_cloners, c, c)
int		 if_clone_create(const char *type, const char *arg,
		    char *ifname, size_t ifnamelen);
/* ENXIO: no such interface; EOPNOTSUPP: its type cannot be removed. */
int		 if_clone_destroy(const char *ifname);

/*
 * Protocol input by address family (netisr): the protocol modules
 * register their input function; link layers dispatch to it.  Input runs
 * in the calling (driver or netisr) thread.  af is AF_INET, AF_ARP, ...
 */
typedef void (*netisr_fn)(struct ifnet *, struct mbuf *);
void		 netisr_register(int af, netisr_fn fn);
void		 netisr_dispatch(int af, struct ifnet *ifp, struct mbuf *m);
/* Queues (af, m) for dispatch by the netisr thread: for loopback
 * output, which must not re-enter input under the sender's locks.
 * Frees m and returns ENOBUFS when the queue is full. */
int		 netisr_queue(int af, struct ifnet *ifp, struct mbuf *m);

/*
 * Ethernet (if_ether.c).
 */
#define ETHER_HDR_LEN	14
#define ETHERMTU	1500
#define ETHERTYPE_IP	0x0800
#define ETHERTYPE_ARP	0x0806
#define ETHERTYPE_IPV6	0x86dd

struct ether_header {
	uint8_t		ether_dhost[ETHER_ADDR_LEN];
	uint8_t		ether_shost[ETHER_ADDR_LEN];
	uint16_t	ether_type;	/* network order */
} __attribute__((__packed__));

extern const uint8_t etherbroadcastaddr[ETHER_ADDR_LEN];

/* Sets up ifp as an Ethernet interface (if_output, if_input, type, MTU,
 * header length) with hardware address hw, and attaches it. */
int		 ether_ifattach(struct ifnet *ifp, const uint8_t *hw);
/* Sends a complete frame payload m of type ethertype to hw dst. */
int		 ether_output_frame(struct ifnet *ifp, struct mbuf *m,
		    const uint8_t *dst, uint16_t ethertype);
/*
 * Address resolution for ether_output: the protocol of af registers a
 * function that finds the hardware address of nexthop on ifp.  It returns
 * 0 with *hw filled, or EINPROGRESS when it kept m to send once resolved
 * (then m is no longer the caller's), or an errno (m freed).
 */
typedef int (*ether_resolve_fn)(struct ifnet *ifp, struct mbuf *m,
    const void *nexthop, uint8_t *hw);
void		 ether_resolver_register(int af, ether_resolve_fn fn);

/* Hardware address as "aa:bb:cc:dd:ee:ff" into buf (18 bytes). */
void		 ether_sprintf(char *buf, const uint8_t *hw);

/*
 * Interface ioctls (if_ioctl.c): SIOCGIFFLAGS and the others of Linux's
 * sockios.h, on any socket.  ifioctl() returns 0 or an errno, or -1 when
 * cmd is not an interface ioctl; data is the client's address.
 *
 * A protocol family provides the address ioctls of its sockets and the
 * entries of SIOCGIFCONF (AF_INET only, as on Linux) by registering, at
 * boot, a struct if_afioctl:
 *   afi_ioctl(cmd, ifp, ifr): SIOCGIFADDR, SIOCSIFADDR, SIOCGIFNETMASK,
 *     SIOCSIFNETMASK, SIOCGIFBRDADDR on interface ifp; ifr is the
 *     kernel's copy (privilege, the name and, for a set, the address
 *     family were checked), written back for a get that returns 0;
 *   afi_conf(ifp, fn, arg): calls fn(arg, ifr) with a filled struct
 *     ifreq for each address of ifp until fn returns non-zero, which it
 *     returns (0 otherwise);
 *   afi_raw(cmd, data) (may be NULL): first look at every interface
 *     ioctl on a socket of the family, with the client's data, for
 *     those whose argument is not a struct ifreq (AF_INET6's
 *     SIOCSIFADDR takes a struct in6_ifreq); -1 when not its own.
 */
struct ifreq;
struct socket;
struct if_afioctl {
	int	afi_family;
	int	(*afi_ioctl)(unsigned long cmd, struct ifnet *ifp,
		    struct ifreq *ifr);
	int	(*afi_conf)(struct ifnet *ifp,
		    int (*fn)(void *, const struct ifreq *), void *arg);
	int	(*afi_raw)(unsigned long cmd, void *data);
};
/* True when the calling process may change interfaces. */
bool		 if_privileged(void);
void		 if_afioctl_register(const struct if_afioctl *afi);
int		 ifioctl(struct socket *so, unsigned long cmd, void *data);
/* Sets the MTU: 0, or EINVAL outside 68..65535 or above what an
 * Ethernet link carries (1500). */
int		 if_set_mtu(struct ifnet *ifp, int mtu);

#endif /* NET_IF_H */
