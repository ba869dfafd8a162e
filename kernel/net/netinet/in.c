/*
 * in.c: IPv4 interface addresses.
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/kmem.h>
#include <kern/libkern.h>
#include <kern/lock.h>

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
