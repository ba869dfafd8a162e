/*
 * if_ether.c: the Ethernet link layer (net/if.h): framing on output,
 * demultiplexing by type on input.  Address resolution belongs to the
 * protocols (ARP is netinet's) and is reached through a registered
 * function per address family.
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/libkern.h>
#include <net/if.h>

const uint8_t etherbroadcastaddr[ETHER_ADDR_LEN] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff
};

static ether_resolve_fn ether_resolve_inet, ether_resolve_inet6;

void
ether_resolver_register(int af, ether_resolve_fn fn)
{

	if (af == AF_INET)
		__atomic_store_n(&ether_resolve_inet, fn, __ATOMIC_RELEASE);
	else if (af == AF_INET6)
		__atomic_store_n(&ether_resolve_inet6, fn, __ATOMIC_RELEASE);
	else
		panic("ether_resolver_register: af %d", af);
}

static inline uint16_t
ether_htons(uint16_t v)
{
	return __builtin_bswap16(1) == 1 ? v : __builtin_bswap16(v);
}

int
ether_output_frame(struct ifnet *ifp, struct mbuf *m, const uint8_t *dst,
    uint16_t type)
{
	struct ether_header *eh;
	size_t len;

	if ((if_flags_get(ifp) & (IFF_UP | IFF_RUNNING)) !=
	    (IFF_UP | IFF_RUNNING)) {
		m_free(m);
		if_stat_add(&ifp->if_oerrors, 1);
		return ENETDOWN;
	}
	eh = (struct ether_header *)(void *)m_prepend(&m, ETHER_HDR_LEN);
	if (eh == NULL) {
		if_stat_add(&ifp->if_oerrors, 1);
		return ENOBUFS;
	}
	memcpy(eh->ether_dhost, dst, ETHER_ADDR_LEN);
	memcpy(eh->ether_shost, ifp->if_hwaddr, ETHER_ADDR_LEN);
	eh->ether_type = ether_htons(type);
	len = m->m_len;
	if_stat_add(&ifp->if_opackets, 1);
	if_stat_add(&ifp->if_obytes, len);
	return ifp->if_transmit(ifp, m);
}

static int
ether_output(struct ifnet *ifp, struct mbuf *m, int af, const void *nexthop)
{
	ether_resolve_fn fn;
	uint8_t hw[ETHER_ADDR_LEN];
	int error;

	if (af != AF_INET && af != AF_INET6) {
		m_free(m);
		return EAFNOSUPPORT;
	}
	fn = __atomic_load_n(af == AF_INET ? &ether_resolve_inet :
	    &ether_resolve_inet6, __ATOMIC_ACQUIRE);
	if (fn == NULL) {
		m_free(m);
		return EAFNOSUPPORT;
	}
	error = fn(ifp, m, nexthop, hw);
	if (error == EINPROGRESS)	/* kept until resolved */
		return 0;
	if (error != 0)
		return error;
	return ether_output_frame(ifp, m, hw, af == AF_INET ? ETHERTYPE_IP :
	    ETHERTYPE_IPV6);
}

static void
ether_input(struct ifnet *ifp, struct mbuf *m)
{
	struct ether_header *eh;
	uint16_t type;

	/* A link that is attached but not yet up (or taken down) takes in
	 * nothing, as on Linux: a drop, not an error of the frame. */
	if (!(if_flags_get(ifp) & IFF_UP)) {
		if_stat_add(&ifp->if_iqdrops, 1);
		m_free(m);
		return;
	}
	if (m->m_len < ETHER_HDR_LEN) {
		if_stat_add(&ifp->if_ierrors, 1);
		m_free(m);
		return;
	}
	if_stat_add(&ifp->if_ipackets, 1);
	if_stat_add(&ifp->if_ibytes, m->m_len);
	eh = (struct ether_header *)(void *)m->m_data;
	if (eh->ether_dhost[0] & 1) {
		if (memcmp(eh->ether_dhost, etherbroadcastaddr,
		    ETHER_ADDR_LEN) == 0)
			m->m_flags |= M_BCAST;
		else
			m->m_flags |= M_MCAST;
	} else if (memcmp(eh->ether_dhost, ifp->if_hwaddr,
	    ETHER_ADDR_LEN) != 0 && !(if_flags_get(ifp) & IFF_PROMISC)) {
		/* For another station on a shared medium. */
		m_free(m);
		return;
	}
	/* Our own frames echoed back by a bus are not input. */
	if (memcmp(eh->ether_shost, ifp->if_hwaddr, ETHER_ADDR_LEN) == 0) {
		m_free(m);
		return;
	}
	type = ether_htons(eh->ether_type);
	m_adj(m, ETHER_HDR_LEN);
	switch (type) {
	case ETHERTYPE_IP:
		netisr_dispatch(AF_INET, ifp, m);
		break;
	case ETHERTYPE_ARP:
		netisr_dispatch(AF_ARP, ifp, m);
		break;
	case ETHERTYPE_IPV6:
		netisr_dispatch(AF_INET6, ifp, m);
		break;
	default:
		if_stat_add(&ifp->if_iqdrops, 1);
		m_free(m);
		break;
	}
}

int
ether_ifattach(struct ifnet *ifp, const uint8_t *hw)
{

	ifp->if_type = IFT_ETHER;
	ifp->if_flags |= IFF_BROADCAST | IFF_MULTICAST;
	if (ifp->if_mtu == 0)
		ifp->if_mtu = ETHERMTU;
	ifp->if_hdrlen = ETHER_HDR_LEN;
	memcpy(ifp->if_hwaddr, hw, ETHER_ADDR_LEN);
	ifp->if_output = ether_output;
	ifp->if_input = ether_input;
	return if_attach(ifp);
}

void
ether_sprintf(char *buf, const uint8_t *hw)
{

	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", hw[0], hw[1],
	    hw[2], hw[3], hw[4], hw[5]);
}
