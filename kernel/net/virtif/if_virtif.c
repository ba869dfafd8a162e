/*
 * if_virtif.c: virtif, an Ethernet interface whose wire is a host
 * device (a TAP device on POSIX hosts, virtio-net on bare metal), through
 * the hypercall module rump/rumpuser_virtif.h.
 *
 * Created with rump_netconfig_ifcreate("virtif", "tap0", ...), removed
 * with rump_netconfig_ifdestroy("virtif0").  Sending hands the frame to
 * the platform from the sender's thread; a receive thread per interface
 * sleeps in rumpuser_virtif_recv(), collects the frames its upcall is
 * given, and passes them to the Ethernet input once the hypercall has
 * returned (input may send, and the module must not be re-entered from
 * its own upcall).
 *
 * Offloads.  A frame's cost on a TAP device is mostly the host's per
 * frame work (a system call, Linux's input path, and a wakeup of the
 * reader for every frame), so the interface asks the platform for
 * virtio-net headers (rumpuser_virtif.h): TCP and UDP checksums over IPv4
 * and IPv6 are left to the host (if_csum), TCP segments of up to 64 KiB
 * over either go out whole for the host to cut (if_tso, if_tso6: TSO),
 * and the host may hand us whole segments of that size (LRO), whose
 * piece size the packet keeps for a forwarding that must cut them, and
 * checksums it left for us to complete (which this driver does, so the
 * stack above sees ordinary frames).  RUMP_VIRTIF_OFFLOAD=0, read when the interface is created,
 * turns all of this off.
 */
#include <kern/types.h>
#include <kern/clock.h>
#include <kern/errno.h>
#include <kern/hyp.h>
#include <kern/kmem.h>
#include <kern/libkern.h>
#include <kern/lock.h>
#include <kern/proc.h>
#include <net/if.h>
#include <netinet/in.h>
#include <rump/rumpuser.h>
#include <rump/rumpuser_virtif.h>

/* How long one recv hypercall may sleep: only bounds how often an idle
 * receive thread looks around; teardown wakes it at once. */
#define VIRTIF_IDLE_NS	(1000ULL * 1000000)

struct virtif_sc {
	struct ifnet		 sc_if;
	struct rumpuser_virtif	*sc_vif;
	struct kthread		*sc_rxthread;

	/* Serializes sends (the module's contract) and guards sc_dead:
	 * once set, nothing is sent any more. */
	kmutex_t		 sc_txlock;
	bool			 sc_dead;

	/* Frames the upcall collected during one recv; receive thread
	 * only. */
	struct mbuf		*sc_rxq, **sc_rxtail;

	uint32_t		 sc_have;	/* RUMPUSER_VIRTIF_OFF_* */
};

#define VNETHDR_LEN	sizeof(struct rumpuser_virtif_vnethdr)
#define ETHERTYPE_IP_BE	0x0008	/* 0x0800 as read from the wire */
#define ETHERTYPE_IPV6_BE 0xdd86	/* 0x86dd as read from the wire */
#define IP6_HLEN	40

/*
 * The Internet checksum's running sum of len bytes at p, in the host's
 * byte order (RFC 1071: a sum of native 16-bit words is the byte-swapped
 * sum of network-order ones, and folds to the same stored bytes).
 */
static uint32_t
vif_sum(uint32_t sum, const uint8_t *p, size_t len)
{
	uint64_t acc = sum, b = 0, c = 0, d = 0, w0, w1, w2, w3;
	uint32_t w;
	uint16_t h;

	/* 32 bytes a round, in four accumulators of 32-bit halves (no
	 * carry can be lost below 2^32 words): twice as fast as a word at
	 * a time, and every received 64 KiB segment is summed here. */
	for (; len >= 32; p += 32, len -= 32) {
		memcpy(&w0, p, 8);
		memcpy(&w1, p + 8, 8);
		memcpy(&w2, p + 16, 8);
		memcpy(&w3, p + 24, 8);
		acc += (uint32_t)w0 + (uint64_t)(uint32_t)w2;
		b += (w0 >> 32) + (w2 >> 32);
		c += (uint32_t)w1 + (uint64_t)(uint32_t)w3;
		d += (w1 >> 32) + (w3 >> 32);
	}
	acc += b + c + d;
	for (; len >= 4; p += 4, len -= 4) {
		memcpy(&w, p, 4);
		acc += w;
	}
	if (len >= 2) {
		memcpy(&h, p, 2);
		acc += h;
		p += 2;
		len -= 2;
	}
	if (len > 0) {	/* a last odd byte is the high half of a word */
		h = 0;
		memcpy(&h, p, 1);
		acc += h;
	}
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint32_t)acc;
}

/*
 * Fills in the virtio-net header for frame m: the checksum the stack
 * left to the interface (the field gets the pseudo-header's sum, as the
 * host expects: RFC 768 and 9293 over IPv4, RFC 8200 8.1 over IPv6),
 * and for a large segment its cutting.
 */
static void
vif_tx_header(const struct mbuf *m, struct rumpuser_virtif_vnethdr *vh)
{
	uint8_t *f = m->m_data, *l4, *ip = m->m_data + ETHER_HDR_LEN;
	uint16_t type, v;
	uint32_t sum, l4len;
	size_t ihl;
	bool tcp, v6;

	memset(vh, 0, sizeof(*vh));
	if (!(m->m_csum & (M_CSUM_TCPv4 | M_CSUM_UDPv4 | M_CSUM_TCPv6 |
	    M_CSUM_UDPv6)) || m->m_len < ETHER_HDR_LEN + 20)
		return;
	memcpy(&type, f + 12, 2);
	v6 = (m->m_csum & (M_CSUM_TCPv6 | M_CSUM_UDPv6)) != 0;
	tcp = (m->m_csum & (M_CSUM_TCPv4 | M_CSUM_TCPv6)) != 0;
	ihl = v6 ? IP6_HLEN : (size_t)(ip[0] & 0x0f) * 4;
	/* The stack built the headers: only a UDP datagram is shorter
	 * than a TCP header (its header is 8 bytes). */
	if (type != (v6 ? ETHERTYPE_IPV6_BE : ETHERTYPE_IP_BE) || ihl < 20 ||
	    m->m_len < ETHER_HDR_LEN + ihl + (tcp ? 20 : 8))
		return;
	l4 = ip + ihl;
	l4len = (uint32_t)(m->m_len - ETHER_HDR_LEN - ihl);
	if (v6) {
		/* Source and destination address, length, next header. */
		sum = vif_sum(0, ip + 8, 32);
		v = htons((uint16_t)(l4len >> 16));
		sum += v;
		v = htons((uint16_t)l4len);
		sum += v;
		v = htons((uint16_t)ip[6]);
		sum += v;
	} else {
		/* Source and destination address, protocol, length. */
		sum = vif_sum(0, ip + 12, 8);
		v = htons((uint16_t)ip[9]);
		sum += v;
		v = htons((uint16_t)l4len);
		sum += v;
	}
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	v = (uint16_t)sum;
	vh->vh_flags = RUMPUSER_VIRTIF_F_NEEDS_CSUM;
	vh->vh_csum_start = (uint16_t)(ETHER_HDR_LEN + ihl);
	vh->vh_csum_offset = tcp ? 16 : 6;
	memcpy(l4 + vh->vh_csum_offset, &v, 2);
	if (m->m_tso_segsz != 0 && tcp) {
		vh->vh_gso_type = (v6 ? RUMPUSER_VIRTIF_GSO_TCPV6 :
		    RUMPUSER_VIRTIF_GSO_TCPV4) | ((m->m_tso_type &
		    M_TSO_ECN) ? RUMPUSER_VIRTIF_GSO_ECN : 0);
		vh->vh_gso_size = m->m_tso_segsz;
		vh->vh_hdr_len = (uint16_t)(ETHER_HDR_LEN + ihl +
		    (size_t)(l4[12] >> 4) * 4);
	}
}

/*
 * Takes the virtio-net header off a received frame, completes a
 * checksum the host left to us, and keeps the size of the pieces of a
 * large TCP segment (GSO) with the packet, for a forwarding that needs
 * to cut it (ip_output).  False when the header is impossible.
 */
static bool
vif_rx_header(struct mbuf *m)
{
	struct rumpuser_virtif_vnethdr vh;
	uint16_t type, v;
	size_t start, at, ihl;
	bool v6;

	if (m->m_len < VNETHDR_LEN + ETHER_HDR_LEN)
		return false;
	memcpy(&vh, m->m_data, sizeof(vh));
	m->m_data += VNETHDR_LEN;
	m->m_len -= VNETHDR_LEN;
	memcpy(&type, m->m_data + 12, 2);
	ihl = m->m_len > ETHER_HDR_LEN ?
	    (size_t)(m->m_data[ETHER_HDR_LEN] & 0x0f) * 4 : 0;
	switch (vh.vh_gso_type & ~RUMPUSER_VIRTIF_GSO_ECN) {
	case RUMPUSER_VIRTIF_GSO_NONE:
		break;
	case RUMPUSER_VIRTIF_GSO_TCPV4:
	case RUMPUSER_VIRTIF_GSO_TCPV6:
		v6 = (vh.vh_gso_type & ~RUMPUSER_VIRTIF_GSO_ECN) ==
		    RUMPUSER_VIRTIF_GSO_TCPV6;
		/* A size under 8 bytes is no TCP's MSS, and would cut
		 * 64 KiB into thousands of pieces. */
		if (type != (v6 ? ETHERTYPE_IPV6_BE : ETHERTYPE_IP_BE) ||
		    vh.vh_gso_size < 8)
			return false;
		m->m_tso_segsz = vh.vh_gso_size;
		m->m_tso_type = (v6 ? M_TSO_TCPv6 : M_TSO_TCPv4) |
		    ((vh.vh_gso_type & RUMPUSER_VIRTIF_GSO_ECN) ? M_TSO_ECN :
		    0);
		break;
	default:
		/* Offered by no host: we never ask for them. */
		return false;
	}
	if (vh.vh_flags & RUMPUSER_VIRTIF_F_NEEDS_CSUM) {
		start = vh.vh_csum_start;
		at = start + vh.vh_csum_offset;
		if (start >= m->m_len || at + 2 > m->m_len)
			return false;
		v = (uint16_t)~vif_sum(0, m->m_data + start,
		    m->m_len - start);
		if (v == 0 && vh.vh_csum_offset == 6)
			v = 0xffff;	/* UDP's "no checksum" is 0 */
		memcpy(m->m_data + at, &v, 2);
	} else if (!(vh.vh_flags & RUMPUSER_VIRTIF_F_DATA_VALID))
		return true;
	/* Complete now or verified by the host: the stack need not look
	 * (when what we completed is the transport header's checksum). */
	if (type == ETHERTYPE_IP_BE && (!(vh.vh_flags &
	    RUMPUSER_VIRTIF_F_NEEDS_CSUM) || vh.vh_csum_start ==
	    ETHER_HDR_LEN + ihl))
		m->m_csum |= M_CSUM_TCPv4_OK | M_CSUM_UDPv4_OK;
	if (type == ETHERTYPE_IPV6_BE && (!(vh.vh_flags &
	    RUMPUSER_VIRTIF_F_NEEDS_CSUM) || vh.vh_csum_start ==
	    ETHER_HDR_LEN + IP6_HLEN))
		m->m_csum |= M_CSUM_TCPv6_OK | M_CSUM_UDPv6_OK;
	return true;
}

static kmutex_t virtif_unit_lock;
static int virtif_nextunit;

static int
virtif_transmit(struct ifnet *ifp, struct mbuf *m)
{
	struct virtif_sc *sc = ifp->if_softc;
	struct rumpuser_virtif_vnethdr vh;
	struct rumpuser_iovec iov[2];
	size_t n = 0;
	int error;

	if (sc->sc_have & RUMPUSER_VIRTIF_OFF_VNETHDR) {
		vif_tx_header(m, &vh);
		iov[n].iov_base = &vh;
		iov[n++].iov_len = sizeof(vh);
	}
	iov[n].iov_base = m->m_data;
	iov[n++].iov_len = m->m_len;
	mutex_enter(&sc->sc_txlock);
	if (sc->sc_dead)
		error = ENXIO;
	else
		error = hyp_errno(rumpuser_virtif_send(sc->sc_vif, iov, n));
	mutex_exit(&sc->sc_txlock);
	m_free(m);
	if (error != 0)
		if_stat_add(&ifp->if_oerrors, 1);
	return error;
}

/* The receive upcall: copy the frame out of the platform's buffers. */
static void
virtif_deliver(void *cookie, const struct rumpuser_iovec *iov, size_t iovcnt,
    size_t framelen)
{
	struct virtif_sc *sc = cookie;
	struct mbuf *m;
	size_t i, off = 0, hdr;

	hdr = (sc->sc_have & RUMPUSER_VIRTIF_OFF_VNETHDR) ? VNETHDR_LEN : 0;
	if (framelen < hdr + ETHER_HDR_LEN ||
	    framelen > hdr + ETHER_HDR_LEN + IP6_HLEN + 65535) {
		if_stat_add(&sc->sc_if.if_ierrors, 1);
		return;
	}
	if ((m = m_get(framelen)) == NULL) {
		if_stat_add(&sc->sc_if.if_iqdrops, 1);
		return;
	}
	for (i = 0; i < iovcnt && off < framelen; i++) {
		size_t n = MIN(iov[i].iov_len, framelen - off);

		memcpy(m->m_data + off, iov[i].iov_base, n);
		off += n;
	}
	if (off != framelen) {
		/* The pieces were shorter than the platform said. */
		m_free(m);
		if_stat_add(&sc->sc_if.if_ierrors, 1);
		return;
	}
	if (hdr != 0 && !vif_rx_header(m)) {
		m_free(m);
		if_stat_add(&sc->sc_if.if_ierrors, 1);
		return;
	}
	*sc->sc_rxtail = m;
	sc->sc_rxtail = &m->m_nextpkt;
}

static void
virtif_rx_thread(void *arg)
{
	struct virtif_sc *sc = arg;
	struct ifnet *ifp = &sc->sc_if;
	struct mbuf *m;
	int error;

	for (;;) {
		sc->sc_rxq = NULL;
		sc->sc_rxtail = &sc->sc_rxq;
		error = hyp_errno(rumpuser_virtif_recv(sc->sc_vif,
		    VIRTIF_IDLE_NS));
		while ((m = sc->sc_rxq) != NULL) {
			sc->sc_rxq = m->m_nextpkt;
			m->m_nextpkt = NULL;
			if ((if_flags_get(ifp) & IFF_UP) != 0)
				ifp->if_input(ifp, m);
			else
				m_free(m);
		}
		if (error == ENXIO)
			break;
	}
}

static int
virtif_create(const char *devname, char *ifname, size_t ifnamelen)
{
	struct rumpuser_virtif_info info;
	struct virtif_sc *sc;
	char buf[8];
	int error, unit;

	if (devname == NULL || devname[0] == '\0')
		return EINVAL;
	sc = kmem_zalloc(sizeof(*sc), KM_SLEEP);
	if (sc == NULL)
		return ENOMEM;
	mutex_init(&sc->sc_txlock, MUTEX_DEFAULT);
	sc->sc_rxtail = &sc->sc_rxq;

	/* Propose a random, locally administered unicast address. */
	memset(&info, 0, sizeof(info));
	if (hyp_getparam("RUMP_VIRTIF_OFFLOAD", buf, sizeof(buf)) != 0 ||
	    strcmp(buf, "0") != 0)
		info.vi_want = RUMPUSER_VIRTIF_OFF_VNETHDR |
		    RUMPUSER_VIRTIF_OFF_TSO4 | RUMPUSER_VIRTIF_OFF_LRO4 |
		    RUMPUSER_VIRTIF_OFF_TSO6 | RUMPUSER_VIRTIF_OFF_LRO6;
	cprng_fill(info.vi_hwaddr, sizeof(info.vi_hwaddr));
	info.vi_hwaddr[0] = (uint8_t)((info.vi_hwaddr[0] & 0xfc) | 0x02);
	error = rumpuser_virtif_create(devname, virtif_deliver, sc, &info,
	    &sc->sc_vif);
	if (error != 0) {
		mutex_destroy(&sc->sc_txlock);
		kmem_free(sc, sizeof(*sc));
		return hyp_errno(error);
	}

	mutex_enter(&virtif_unit_lock);
	unit = virtif_nextunit++;
	mutex_exit(&virtif_unit_lock);
	snprintf(sc->sc_if.if_xname, sizeof(sc->sc_if.if_xname), "virtif%d",
	    unit);
	sc->sc_if.if_softc = sc;
	sc->sc_if.if_transmit = virtif_transmit;
	sc->sc_if.if_mtu = info.vi_mtu < 68 ? 68 :
	    info.vi_mtu > 65535 ? 65535 : (int)info.vi_mtu;
	/* What was granted of what we asked for. */
	sc->sc_have = info.vi_have & info.vi_want;
	if (!(sc->sc_have & RUMPUSER_VIRTIF_OFF_VNETHDR))
		sc->sc_have = 0;
	if (sc->sc_have & RUMPUSER_VIRTIF_OFF_VNETHDR)
		sc->sc_if.if_csum = M_CSUM_TCPv4 | M_CSUM_UDPv4 |
		    M_CSUM_TCPv6 | M_CSUM_UDPv6;
	if (sc->sc_have & RUMPUSER_VIRTIF_OFF_TSO4)
		sc->sc_if.if_tso = 65535;
	if (sc->sc_have & RUMPUSER_VIRTIF_OFF_TSO6)
		sc->sc_if.if_tso6 = IP6_HLEN + 65535;
	if ((error = ether_ifattach(&sc->sc_if, info.vi_hwaddr)) != 0) {
		/* A unique name cannot clash: never. */
		rumpuser_virtif_dying(sc->sc_vif);
		rumpuser_virtif_destroy(sc->sc_vif);
		mutex_destroy(&sc->sc_txlock);
		kmem_free(sc, sizeof(*sc));
		return error;
	}
	error = kthread_create(virtif_rx_thread, sc, "virtif", true,
	    &sc->sc_rxthread);
	if (error != 0) {
		/* Attached once, the ifnet stays allocated (net/if.h). */
		if_detach(&sc->sc_if);
		sc->sc_dead = true;
		rumpuser_virtif_dying(sc->sc_vif);
		rumpuser_virtif_destroy(sc->sc_vif);
		sc->sc_vif = NULL;
		return error;
	}
	strlcpy(ifname, sc->sc_if.if_xname, ifnamelen);
	return 0;
}

static int
virtif_destroy(struct ifnet *ifp)
{
	struct virtif_sc *sc = ifp->if_softc;

	if_detach(ifp);
	mutex_enter(&sc->sc_txlock);
	sc->sc_dead = true;
	mutex_exit(&sc->sc_txlock);
	/* No send can start now; wake and collect the receive thread,
	 * then nothing uses the handle. */
	rumpuser_virtif_dying(sc->sc_vif);
	kthread_join(sc->sc_rxthread);
	rumpuser_virtif_destroy(sc->sc_vif);
	sc->sc_vif = NULL;
	return 0;
}

static const struct if_cloner virtif_cloner = {
	.ifc_name = "virtif",
	.ifc_create = virtif_create,
	.ifc_destroy = virtif_destroy,
};
IF_CLONER(virtif_cloner);

RUMP_COMPONENT(RUMP_COMPONENT_NET, virtif)
{

	mutex_init(&virtif_unit_lock, MUTEX_DEFAULT);
}
