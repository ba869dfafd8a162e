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
};

static kmutex_t virtif_unit_lock;
static int virtif_nextunit;

static int
virtif_transmit(struct ifnet *ifp, struct mbuf *m)
{
	struct virtif_sc *sc = ifp->if_softc;
	struct rumpuser_iovec iov;
	int error;

	iov.iov_base = m->m_data;
	iov.iov_len = m->m_len;
	mutex_enter(&sc->sc_txlock);
	if (sc->sc_dead)
		error = ENXIO;
	else
		error = hyp_errno(rumpuser_virtif_send(sc->sc_vif, &iov, 1));
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
	size_t i, off = 0;

	if (framelen < ETHER_HDR_LEN || framelen > ETHER_HDR_LEN + 65535) {
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
