/*
 * netconfig.c: the interface part of the public configuration API
 * (rump/rump_netconfig.h).  The IPv4 part is netinet's
 * (netinet/in_netconfig.c).
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/libkern.h>
#include <net/if.h>
#include <rump/rump.h>
#include <rump/rump_netconfig.h>

int
rump_netconfig_ifcreate(const char *type, const char *arg, char *ifname,
    size_t ifnamelen)
{
	int error;

	rump_schedule();
	error = if_clone_create(type, arg, ifname, ifnamelen);
	rump_unschedule();
	return error;
}

int
rump_netconfig_ifdestroy(const char *ifname)
{
	int error;

	rump_schedule();
	error = if_clone_destroy(ifname);
	rump_unschedule();
	return error;
}

static int
netconfig_updown(const char *ifname, bool up)
{
	struct ifnet *ifp;

	rump_schedule();
	ifp = if_find_byname(ifname);
	if (ifp != NULL)
		if_setup(ifp, up);
	rump_unschedule();
	return ifp != NULL ? 0 : ENXIO;
}

int
rump_netconfig_ifup(const char *ifname)
{

	return netconfig_updown(ifname, true);
}

int
rump_netconfig_ifdown(const char *ifname)
{

	return netconfig_updown(ifname, false);
}

int
rump_netconfig_ifsetmtu(const char *ifname, int mtu)
{
	struct ifnet *ifp;
	int error = 0;

	rump_schedule();
	ifp = if_find_byname(ifname);
	if (ifp == NULL)
		error = ENXIO;
	else
		error = if_set_mtu(ifp, mtu);
	rump_unschedule();
	return error;
}

int
rump_netconfig_ifhwaddr(const char *ifname, uint8_t *hw)
{
	struct ifnet *ifp;

	rump_schedule();
	ifp = if_find_byname(ifname);
	if (ifp != NULL)
		memcpy(hw, ifp->if_hwaddr, ETHER_ADDR_LEN);
	rump_unschedule();
	return ifp != NULL ? 0 : ENXIO;
}

int
rump_netconfig_ifstats(const char *ifname, struct rump_ifstats *st)
{
	struct ifnet *ifp;

	rump_schedule();
	ifp = if_find_byname(ifname);
	if (ifp != NULL) {
		st->ipackets = if_stat_get(&ifp->if_ipackets);
		st->ierrors = if_stat_get(&ifp->if_ierrors);
		st->ibytes = if_stat_get(&ifp->if_ibytes);
		st->iqdrops = if_stat_get(&ifp->if_iqdrops);
		st->opackets = if_stat_get(&ifp->if_opackets);
		st->oerrors = if_stat_get(&ifp->if_oerrors);
		st->obytes = if_stat_get(&ifp->if_obytes);
		st->flags = if_flags_get(ifp);
		st->mtu = if_mtu_get(ifp);
		st->index = ifp->if_index;
	}
	rump_unschedule();
	return ifp != NULL ? 0 : ENXIO;
}
