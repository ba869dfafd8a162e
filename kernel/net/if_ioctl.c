/*
 * if_ioctl.c: the interface ioctls of Linux's sockios.h that ifconfig
 * and ip-style programs use, on any socket: names and indexes, flags,
 * MTU, hardware address, and the list of IPv4 addresses (SIOCGIFCONF).
 * The address ioctls (SIOCGIFADDR, SIOCSIFADDR, SIOCGIFNETMASK, ...)
 * belong to the protocol family of the socket they are made on, which
 * registers them with if_afioctl_register(); on sockets of other
 * families they are ENOTTY, as on Linux.
 *
 * Errors as Linux gives them: EFAULT for a bad struct address, EPERM for
 * a change made without privilege (checked before the name is looked
 * up), ENODEV for an unknown name or index.
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/kmem.h>
#include <kern/libkern.h>
#include <kern/lock.h>
#include <kern/proc.h>
#include <kern/syscall.h>
#include <net/abi.h>
#include <net/if.h>
#include <net/socket.h>

#define IF_AFIOCTL_MAX	4

static const struct if_afioctl *afioctls[IF_AFIOCTL_MAX];

void
if_afioctl_register(const struct if_afioctl *afi)
{
	int i;

	for (i = 0; i < IF_AFIOCTL_MAX; i++)
		if (afioctls[i] == NULL) {
			afioctls[i] = afi;
			return;
		}
	panic("if_afioctl_register: table full");
}

static const struct if_afioctl *
afioctl_of(int family)
{
	int i;

	for (i = 0; i < IF_AFIOCTL_MAX && afioctls[i] != NULL; i++)
		if (afioctls[i]->afi_family == family)
			return afioctls[i];
	return NULL;
}

int
if_set_mtu(struct ifnet *ifp, int mtu)
{

	if (mtu == if_mtu_get(ifp))
		return 0;
	if (mtu < 68 || mtu > 65535 ||
	    (ifp->if_type == IFT_ETHER && mtu > ETHERMTU))
		return EINVAL;
	__atomic_store_n(&ifp->if_mtu, mtu, __ATOMIC_RELAXED);
	return 0;
}

bool
if_privileged(void)
{
	struct proc *p = curproc;
	bool root;

	mutex_enter(&p->p_lock);
	root = cred_is_superuser(&p->p_cred);
	mutex_exit(&p->p_lock);
	return root;
}

/* SIOCGIFCONF: one struct ifreq per IPv4 address, interface by
 * interface; entries that do not fit whole are left out. */
struct ifconf_walk {
	const struct if_afioctl	*afi;
	char			*buf;	/* client address, NULL: count */
	int			 len, done;
	int			 error;
};

static int
ifconf_entry(void *arg, const struct ifreq *ifr)
{
	struct ifconf_walk *w = arg;

	if (w->buf != NULL) {
		if (w->len - w->done < (int)sizeof(*ifr))
			return 1;	/* full */
		w->error = copyout(ifr, w->buf + w->done, sizeof(*ifr));
		if (w->error != 0)
			return 1;
	}
	w->done += (int)sizeof(*ifr);
	return 0;
}

static int
ifconf_if(struct ifnet *ifp, void *arg)
{
	struct ifconf_walk *w = arg;

	return w->afi->afi_conf(ifp, ifconf_entry, w);
}

static int
ifconf(void *data)
{
	struct ifconf ifc;
	struct ifconf_walk w;
	int error;

	if ((error = copyin(data, &ifc, sizeof(ifc))) != 0)
		return error;
	memset(&w, 0, sizeof(w));
	w.afi = afioctl_of(AF_INET);
	w.buf = ifc.ifc_ifcu.ifcu_buf;
	w.len = ifc.ifc_len;
	if (w.afi != NULL && w.afi->afi_conf != NULL)
		(void)if_foreach(ifconf_if, &w);
	if (w.error != 0)
		return w.error;
	ifc.ifc_len = w.done;
	return copyout(&ifc, data, sizeof(ifc));
}

int
ifioctl(struct socket *so, unsigned long cmd, void *data)
{
	const struct if_afioctl *afi = NULL;
	struct ifnet *ifp;
	struct ifreq ifr;
	char *colon;
	int error, flags;
	bool set = false;

	afi = afioctl_of(so->so_dom->dom_family);
	if (afi != NULL && afi->afi_raw != NULL &&
	    (error = afi->afi_raw(cmd, data)) >= 0)
		return error;
	afi = NULL;
	switch (cmd) {
	case SIOCGIFCONF:
		return ifconf(data);
	case SIOCGIFNAME:
		if ((error = copyin(data, &ifr, sizeof(ifr))) != 0)
			return error;
		if ((ifp = if_find_byindex(ifr.ifr_ifindex)) == NULL)
			return ENODEV;
		strlcpy(ifr.ifr_name, ifp->if_xname, sizeof(ifr.ifr_name));
		return copyout(&ifr, data, sizeof(ifr));
	case SIOCSIFADDR:
	case SIOCSIFNETMASK:
		set = true;
		/* FALLTHROUGH */
	case SIOCGIFADDR:
	case SIOCGIFNETMASK:
	case SIOCGIFBRDADDR:
		afi = afioctl_of(so->so_dom->dom_family);
		if (afi == NULL || afi->afi_ioctl == NULL)
			return ENOTTY;
		break;
	case SIOCSIFFLAGS:
	case SIOCSIFMTU:
		set = true;
		break;
	case SIOCGIFFLAGS:
	case SIOCGIFMTU:
	case SIOCGIFHWADDR:
	case SIOCGIFINDEX:
		break;
	default:
		return -1;
	}
	if ((error = copyin(data, &ifr, sizeof(ifr))) != 0)
		return error;
	ifr.ifr_name[sizeof(ifr.ifr_name) - 1] = '\0';
	if (set && !if_privileged())
		return EPERM;
	if (afi != NULL && set && ifr.ifr_addr.sa_family != afi->afi_family)
		return EINVAL;
	/* "eth0:1" names an alias label of eth0, which strata's
	 * addresses do not have: the device is found, its address not. */
	colon = strchr(ifr.ifr_name, ':');
	if (colon != NULL)
		*colon = '\0';
	if ((ifp = if_find_byname(ifr.ifr_name)) == NULL)
		return ENODEV;
	if (colon != NULL) {
		*colon = ':';
		if (afi != NULL)
			return EADDRNOTAVAIL;
	}

	switch (cmd) {
	case SIOCGIFFLAGS:
		ifr.ifr_flags = (short)if_flags_get(ifp);
		break;
	case SIOCSIFFLAGS:
		flags = (unsigned short)ifr.ifr_flags;
		if (((flags ^ if_flags_get(ifp)) & IFF_UP) != 0)
			if_setup(ifp, (flags & IFF_UP) != 0);
		return 0;
	case SIOCGIFMTU:
		ifr.ifr_mtu = if_mtu_get(ifp);
		break;
	case SIOCSIFMTU:
		return if_set_mtu(ifp, ifr.ifr_mtu);
	case SIOCGIFHWADDR:
		memset(&ifr.ifr_addr, 0, sizeof(ifr.ifr_addr));
		ifr.ifr_addr.sa_family = (sa_family_t)ifp->if_type;
		memcpy(ifr.ifr_addr.sa_data, ifp->if_hwaddr, ETHER_ADDR_LEN);
		break;
	case SIOCGIFINDEX:
		ifr.ifr_ifindex = ifp->if_index;
		break;
	default:
		if ((error = afi->afi_ioctl(cmd, ifp, &ifr)) != 0 || set)
			return error;
		break;
	}
	return copyout(&ifr, data, sizeof(ifr));
}
