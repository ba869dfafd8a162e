/*
 * if.c: the interface list, cloners, protocol dispatch (netisr) and the
 * loopback interface.
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/kmem.h>
#include <kern/libkern.h>
#include <kern/lock.h>
#include <kern/proc.h>
#include <kern/component.h>
#include <net/if.h>
#include <net/route.h>

/* Lock order: if_clone_lock, ifnet_lock, then rt_lock (route.c), then
 * netisr_lock. */
static krwlock_t ifnet_lock;
static struct ifnet *ifnet_list;	/* in index order */
static int if_nextindex = 1;

struct ifnet *lo_ifp;

int
if_attach(struct ifnet *ifp)
{
	struct ifnet **pp;

	rw_enter(&ifnet_lock, RW_WRITER);
	for (pp = &ifnet_list; *pp != NULL; pp = &(*pp)->if_next) {
		if (strcmp((*pp)->if_xname, ifp->if_xname) == 0 &&
		    !(*pp)->if_detached) {
			rw_exit(&ifnet_lock);
			return EEXIST;
		}
	}
	ifp->if_index = if_nextindex++;
	ifp->if_next = NULL;
	ifp->if_detached = false;
	*pp = ifp;
	rw_exit(&ifnet_lock);
	return 0;
}

void
if_detach(struct ifnet *ifp)
{

	if_setup(ifp, false);
	rt_purge_if(ifp);
	rw_enter(&ifnet_lock, RW_WRITER);
	ifp->if_detached = true;
	rw_exit(&ifnet_lock);
}

struct ifnet *
if_find_byname(const char *name)
{
	struct ifnet *ifp;

	rw_enter(&ifnet_lock, RW_READER);
	for (ifp = ifnet_list; ifp != NULL; ifp = ifp->if_next)
		if (!ifp->if_detached && strcmp(ifp->if_xname, name) == 0)
			break;
	rw_exit(&ifnet_lock);
	return ifp;
}

struct ifnet *
if_find_byindex(int index)
{
	struct ifnet *ifp;

	rw_enter(&ifnet_lock, RW_READER);
	for (ifp = ifnet_list; ifp != NULL; ifp = ifp->if_next)
		if (!ifp->if_detached && ifp->if_index == index)
			break;
	rw_exit(&ifnet_lock);
	return ifp;
}

int
if_foreach(int (*fn)(struct ifnet *, void *), void *arg)
{
	struct ifnet *ifp;
	int rv = 0;

	/* Interfaces are never freed and the list only grows at its
	 * tail, so fn runs without the lock (it may well take others). */
	rw_enter(&ifnet_lock, RW_READER);
	ifp = ifnet_list;
	rw_exit(&ifnet_lock);
	for (; ifp != NULL && rv == 0; ifp = ifp->if_next)
		if (!ifp->if_detached)
			rv = fn(ifp, arg);
	return rv;
}

static if_linkfn if_linkfns[4];

void
if_link_register(if_linkfn fn)
{

	for (size_t i = 0; i < __arraycount(if_linkfns); i++) {
		if (__atomic_load_n(&if_linkfns[i], __ATOMIC_ACQUIRE) == NULL) {
			__atomic_store_n(&if_linkfns[i], fn, __ATOMIC_RELEASE);
			return;
		}
	}
	panic("if_link_register: table full");
}

void
if_setup(struct ifnet *ifp, bool up)
{
	if_linkfn fn;
	int old;

	if (up)
		old = __atomic_fetch_or(&ifp->if_flags, IFF_UP | IFF_RUNNING,
		    __ATOMIC_RELAXED);
	else
		old = __atomic_fetch_and(&ifp->if_flags,
		    ~(IFF_UP | IFF_RUNNING), __ATOMIC_RELAXED);
	if (((old & IFF_UP) != 0) == up)
		return;
	if (ifp->if_updown != NULL)
		ifp->if_updown(ifp, up);
	for (size_t i = 0; i < __arraycount(if_linkfns); i++)
		if ((fn = __atomic_load_n(&if_linkfns[i],
		    __ATOMIC_ACQUIRE)) != NULL)
			fn(ifp, up);
}

/* --- Cloners ------------------------------------------------------------ */

__link_set_decl(if_cloners, const struct if_cloner *);

int
if_clone_create(const char *type, const char *arg, char *ifname,
    size_t ifnamelen)
{
	const struct if_cloner *const *cp;

	__link_set_foreach(cp, if_cloners) {
		if (strcmp((*cp)->ifc_name, type) == 0)
			return (*cp)->ifc_create(arg, ifname, ifnamelen);
	}
	return ENXIO;
}

/* Serializes removals, so that an interface is destroyed once. */
static kmutex_t if_clone_lock;

int
if_clone_destroy(const char *ifname)
{
	const struct if_cloner *const *cp;
	struct ifnet *ifp;
	size_t n;
	const char *p;
	int error = EOPNOTSUPP;

	mutex_enter(&if_clone_lock);
	if ((ifp = if_find_byname(ifname)) == NULL) {
		mutex_exit(&if_clone_lock);
		return ENXIO;
	}
	__link_set_foreach(cp, if_cloners) {
		n = strlen((*cp)->ifc_name);
		if (strncmp(ifp->if_xname, (*cp)->ifc_name, n) != 0 ||
		    ifp->if_xname[n] == '\0')
			continue;
		for (p = ifp->if_xname + n; *p >= '0' && *p <= '9'; p++)
			continue;
		if (*p != '\0')
			continue;
		if ((*cp)->ifc_destroy != NULL)
			error = (*cp)->ifc_destroy(ifp);
		break;
	}
	mutex_exit(&if_clone_lock);
	return error;
}

/* --- Protocol dispatch ------------------------------------------------- */

struct netisr_entry {
	int		 ne_af;
	netisr_fn	 ne_fn;
};
static struct netisr_entry netisr_table[8];

/* Packets queued for the netisr thread: a ring of (af, ifp, m). */
#define NETISR_QLEN	1024
struct netisr_item {
	int		 ni_af;
	struct ifnet	*ni_ifp;
	struct mbuf	*ni_m;
};
static kmutex_t netisr_lock;
static kcondvar_t netisr_cv;
static struct netisr_item netisr_ring[NETISR_QLEN];
static unsigned int netisr_head, netisr_count;

void
netisr_register(int af, netisr_fn fn)
{

	for (size_t i = 0; i < __arraycount(netisr_table); i++) {
		if (netisr_table[i].ne_fn == NULL ||
		    netisr_table[i].ne_af == af) {
			netisr_table[i].ne_af = af;
			__atomic_store_n(&netisr_table[i].ne_fn, fn,
			    __ATOMIC_RELEASE);
			return;
		}
	}
	panic("netisr_register: table full");
}

void
netisr_dispatch(int af, struct ifnet *ifp, struct mbuf *m)
{
	netisr_fn fn;

	m->m_rcvif = ifp;
	for (size_t i = 0; i < __arraycount(netisr_table); i++) {
		fn = __atomic_load_n(&netisr_table[i].ne_fn,
		    __ATOMIC_ACQUIRE);
		if (fn == NULL)
			break;
		if (netisr_table[i].ne_af == af) {
			fn(ifp, m);
			return;
		}
	}
	/* No protocol for it: dropped, as a kernel without the protocol
	 * would. */
	if_stat_add(&ifp->if_iqdrops, 1);
	m_free(m);
}

int
netisr_queue(int af, struct ifnet *ifp, struct mbuf *m)
{
	struct netisr_item *ni;

	mutex_enter(&netisr_lock);
	if (netisr_count == NETISR_QLEN) {
		mutex_exit(&netisr_lock);
		if_stat_add(&ifp->if_iqdrops, 1);
		m_free(m);
		return ENOBUFS;
	}
	ni = &netisr_ring[(netisr_head + netisr_count++) % NETISR_QLEN];
	ni->ni_af = af;
	ni->ni_ifp = ifp;
	ni->ni_m = m;
	cv_signal(&netisr_cv);
	mutex_exit(&netisr_lock);
	return 0;
}

static void
netisr_thread(void *arg)
{
	struct netisr_item ni;

	(void)arg;
	for (;;) {
		mutex_enter(&netisr_lock);
		while (netisr_count == 0)
			cv_wait(&netisr_cv, &netisr_lock);
		ni = netisr_ring[netisr_head];
		netisr_head = (netisr_head + 1) % NETISR_QLEN;
		netisr_count--;
		mutex_exit(&netisr_lock);
		netisr_dispatch(ni.ni_af, ni.ni_ifp, ni.ni_m);
	}
}

/* --- Loopback ---------------------------------------------------------- */

static struct ifnet lo_if;

static int
lo_output(struct ifnet *ifp, struct mbuf *m, int af, const void *nexthop)
{

	(void)nexthop;
	if (!(if_flags_get(ifp) & IFF_UP)) {
		m_free(m);
		return ENETDOWN;
	}
	if_stat_add(&ifp->if_opackets, 1);
	if_stat_add(&ifp->if_obytes, m->m_len);
	if_stat_add(&ifp->if_ipackets, 1);
	if_stat_add(&ifp->if_ibytes, m->m_len);
	/* Nothing crossed a wire: checksums left to "hardware" are as
	 * good as verified. */
	m->m_csum = M_CSUM_IPv4_OK | M_CSUM_TCPv4_OK | M_CSUM_UDPv4_OK;
	m->m_flags |= M_LOOP;
	return netisr_queue(af, ifp, m);
}

RUMP_COMPONENT(RUMP_COMPONENT_KERN, net)
{
	int error;

	rw_init(&ifnet_lock);
	mutex_init(&if_clone_lock, MUTEX_DEFAULT);
	mutex_init(&netisr_lock, MUTEX_DEFAULT);
	cv_init(&netisr_cv);
	rt_init();

	strlcpy(lo_if.if_xname, "lo", sizeof(lo_if.if_xname));
	lo_if.if_type = IFT_LOOP;
	lo_if.if_flags = IFF_LOOPBACK;
	lo_if.if_mtu = 65536;
	/* Everything "offloaded": loopback never computes checksums. */
	lo_if.if_csum = M_CSUM_IPv4 | M_CSUM_TCPv4 | M_CSUM_UDPv4;
	lo_if.if_output = lo_output;
	if (if_attach(&lo_if) != 0)
		panic("net: cannot attach lo");
	lo_ifp = &lo_if;
	if_setup(lo_ifp, true);

	error = kthread_create(netisr_thread, NULL, "netisr", false, NULL);
	if (error != 0)
		panic("net: netisr thread: %d", error);
}
