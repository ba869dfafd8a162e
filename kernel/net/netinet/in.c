/*
 * in.c: IPv4 interface addresses.
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/kmem.h>
#include <kern/libkern.h>
#include <kern/lock.h>
#include <net/abi.h>

#include "in_var.h"

static krwlock_t in_lock;
static struct in_ifaddr *in_ifaddrs;

void
in_addr_init(void)
{

	rw_init(&in_lock);
}

int
in_aton(const char *s, uint32_t *addr)
{
	uint32_t a = 0, part;
	int n;

	for (n = 0; n < 4; n++) {
		if (*s < '0' || *s > '9')
			return EINVAL;
		part = 0;
		for (int d = 0; *s >= '0' && *s <= '9'; d++, s++) {
			if (d == 3)
				return EINVAL;
			part = part * 10 + (uint32_t)(*s - '0');
		}
		if (part > 255)
			return EINVAL;
		a = a << 8 | part;
		if (n < 3 && *s++ != '.')
			return EINVAL;
	}
	if (*s != '\0')
		return EINVAL;
	*addr = htonl(a);
	return 0;
}

int
in_addr_add(struct ifnet *ifp, uint32_t addr, int plen)
{
	struct in_ifaddr *ia, **pp;
	uint32_t mask;
	int error;

	if (plen < 0 || plen > 32 || addr == INADDR_ANY ||
	    addr == INADDR_BROADCAST || IN_MULTICAST(ntohl(addr)))
		return EINVAL;
	mask = rt_mask4(plen);
	ia = kmem_zalloc(sizeof(*ia), KM_SLEEP);
	if (ia == NULL)
		return ENOMEM;
	ia->ia_ifp = ifp;
	ia->ia_addr = addr;
	ia->ia_mask = mask;
	ia->ia_plen = plen;
	ia->ia_bcast = plen >= 31 ? INADDR_BROADCAST : (addr | ~mask);

	rw_enter(&in_lock, RW_WRITER);
	for (pp = &in_ifaddrs; *pp != NULL; pp = &(*pp)->ia_next) {
		if ((*pp)->ia_addr == addr) {
			rw_exit(&in_lock);
			kmem_free(ia, sizeof(*ia));
			return EEXIST;
		}
	}
	*pp = ia;
	rw_exit(&in_lock);

	/* The connected route: the prefix is on this link. */
	error = rt_add4(addr & mask, plen, 0, ifp, RTF_CONNECTED, 0, addr);
	if (error != 0 && error != EEXIST) {
		(void)in_addr_del(ifp, addr);
		return error;
	}
	if (ifp->if_type == IFT_ETHER && (if_flags_get(ifp) & IFF_UP))
		arp_announce(ifp, addr);
	return 0;
}

int
in_addr_del(struct ifnet *ifp, uint32_t addr)
{
	struct in_ifaddr *ia, **pp;

	rw_enter(&in_lock, RW_WRITER);
	for (pp = &in_ifaddrs; (ia = *pp) != NULL; pp = &ia->ia_next) {
		if (ia->ia_ifp == ifp && ia->ia_addr == addr) {
			*pp = ia->ia_next;
			rw_exit(&in_lock);
			(void)rt_del4(addr & ia->ia_mask, ia->ia_plen, 0, ifp);
			kmem_free(ia, sizeof(*ia));
			return 0;
		}
	}
	rw_exit(&in_lock);
	return EADDRNOTAVAIL;
}

int
in_ifaddr_of(struct ifnet *ifp, uint32_t *addr)
{
	struct in_ifaddr *ia;
	int error = EADDRNOTAVAIL;

	rw_enter(&in_lock, RW_READER);
	for (ia = in_ifaddrs; ia != NULL; ia = ia->ia_next) {
		if (ia->ia_ifp == ifp) {
			*addr = ia->ia_addr;
			error = 0;
			break;
		}
	}
	rw_exit(&in_lock);
	return error;
}

bool
in_is_local(uint32_t addr)
{
	struct in_ifaddr *ia;
	bool found = false;

	rw_enter(&in_lock, RW_READER);
	for (ia = in_ifaddrs; ia != NULL; ia = ia->ia_next) {
		if (ia->ia_addr == addr) {
			found = true;
			break;
		}
	}
	rw_exit(&in_lock);
	return found;
}

bool
in_is_broadcast(uint32_t dst, struct ifnet *ifp)
{
	struct in_ifaddr *ia;
	bool found = false;

	if (dst == INADDR_BROADCAST || dst == INADDR_ANY)
		return true;
	rw_enter(&in_lock, RW_READER);
	for (ia = in_ifaddrs; ia != NULL; ia = ia->ia_next) {
		if (ia->ia_ifp == ifp && ia->ia_plen < 31 &&
		    (dst == ia->ia_bcast ||
		    dst == (ia->ia_addr & ia->ia_mask))) {
			found = true;
			break;
		}
	}
	rw_exit(&in_lock);
	return found;
}

int
in_select_src(uint32_t dst, const struct rtresult *rt, uint32_t *src)
{
	struct in_ifaddr *ia, *best = NULL;

	if (rt->rt_src != 0) {
		*src = rt->rt_src;
		return 0;
	}
	/* An address of the outgoing interface, preferably one on the
	 * destination's (or the next hop's) subnet. */
	rw_enter(&in_lock, RW_READER);
	for (ia = in_ifaddrs; ia != NULL; ia = ia->ia_next) {
		if (ia->ia_ifp != rt->rt_ifp)
			continue;
		if (best == NULL ||
		    ((rt->rt_nexthop & ia->ia_mask) ==
		    (ia->ia_addr & ia->ia_mask)))
			best = ia;
		(void)dst;
	}
	if (best != NULL)
		*src = best->ia_addr;
	rw_exit(&in_lock);
	return best != NULL ? 0 : EADDRNOTAVAIL;
}

/*
 * The AF_INET address ioctls (net/if.h, struct if_afioctl), as Linux's
 * devinet_ioctl: an interface's first address is the one they get and
 * set.  SIOCSIFADDR replaces it and gives it the prefix of its class
 * (8, 16 or 24; 0.0.0.0 removes it), SIOCSIFNETMASK changes its prefix
 * (contiguous masks only); without an address every call but
 * SIOCSIFADDR is EADDRNOTAVAIL.  Changes go through in_addr_del() and
 * in_addr_add(), so the connected route follows.
 */
static bool
in_ifaddr_first(struct ifnet *ifp, struct in_ifaddr *copy)
{
	struct in_ifaddr *ia;

	rw_enter(&in_lock, RW_READER);
	for (ia = in_ifaddrs; ia != NULL; ia = ia->ia_next)
		if (ia->ia_ifp == ifp) {
			*copy = *ia;
			break;
		}
	rw_exit(&in_lock);
	return ia != NULL;
}

/* The prefix length of addr's class (Linux's inet_abc_len); -1 for
 * multicast. */
static int
in_class_plen(uint32_t addr)
{
	uint32_t h = ntohl(addr);

	if ((h >> 24) == 0 || h == 0xffffffff)
		return 0;
	if ((h & 0x80000000) == 0)
		return 8;
	if ((h & 0xc0000000) == 0x80000000)
		return 16;
	if ((h & 0xe0000000) == 0xc0000000)
		return 24;
	if ((h & 0xf0000000) == 0xf0000000)
		return 32;
	return -1;
}

static void
in_sockaddr(struct ifreq *ifr, uint32_t addr)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)(void *)&ifr->ifr_addr;

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = addr;
}

static int
in_ioctl(unsigned long cmd, struct ifnet *ifp, struct ifreq *ifr)
{
	const struct sockaddr_in *sin =
	    (const struct sockaddr_in *)(const void *)&ifr->ifr_addr;
	uint32_t a = sin->sin_addr.s_addr, inv;
	struct in_ifaddr ia;
	bool have = in_ifaddr_first(ifp, &ia);
	int plen, error;

	if (!have && cmd != SIOCSIFADDR)
		return EADDRNOTAVAIL;
	switch (cmd) {
	case SIOCGIFADDR:
		in_sockaddr(ifr, ia.ia_addr);
		return 0;
	case SIOCGIFNETMASK:
		in_sockaddr(ifr, ia.ia_mask);
		return 0;
	case SIOCGIFBRDADDR:
		/* Linux keeps a broadcast address only on broadcast links
		 * and for prefixes shorter than 31. */
		in_sockaddr(ifr, (if_flags_get(ifp) & IFF_BROADCAST) &&
		    ia.ia_plen < 31 ? ia.ia_bcast : 0);
		return 0;
	case SIOCSIFADDR:
		if ((plen = in_class_plen(a)) < 0)
			return EINVAL;
		if (have) {
			if (ia.ia_addr == a)
				return 0;
			(void)in_addr_del(ifp, ia.ia_addr);
		}
		if (a == INADDR_ANY)
			return 0;
		return in_addr_add(ifp, a, plen);
	case SIOCSIFNETMASK:
		/* Contiguous: the inverted mask is 2^n - 1. */
		inv = ~ntohl(a);
		if ((inv & (inv + 1)) != 0)
			return EINVAL;
		if (a == ia.ia_mask)
			return 0;
		for (plen = 0; plen < 32 && (ntohl(a) & (0x80000000u >> plen));
		    plen++)
			continue;
		(void)in_addr_del(ifp, ia.ia_addr);
		if ((error = in_addr_add(ifp, ia.ia_addr, plen)) != 0)
			(void)in_addr_add(ifp, ia.ia_addr, ia.ia_plen);
		return error;
	}
	return ENOTTY;
}

static int
in_conf(struct ifnet *ifp, int (*fn)(void *, const struct ifreq *), void *arg)
{
	struct in_ifaddr *ia;
	struct ifreq ifr;
	uint32_t addrs[16];
	int n = 0, i, rv = 0;

	/* Copied out first: fn copies to the client, which may sleep. */
	rw_enter(&in_lock, RW_READER);
	for (ia = in_ifaddrs; ia != NULL && n < 16; ia = ia->ia_next)
		if (ia->ia_ifp == ifp)
			addrs[n++] = ia->ia_addr;
	rw_exit(&in_lock);
	for (i = 0; i < n && rv == 0; i++) {
		memset(&ifr, 0, sizeof(ifr));
		strlcpy(ifr.ifr_name, ifp->if_xname, sizeof(ifr.ifr_name));
		in_sockaddr(&ifr, addrs[i]);
		rv = fn(arg, &ifr);
	}
	return rv;
}

const struct if_afioctl in_afioctl = {
	.afi_family = AF_INET,
	.afi_ioctl = in_ioctl,
	.afi_conf = in_conf,
};
