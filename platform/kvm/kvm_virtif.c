/*
 * kvm_virtif.c: the virtif hypercall module (rump/rumpuser_virtif.h) over
 * virtio-net devices, named "virtio0", "virtio1", ... in PCI scan order.
 *
 * Virtio 1.x, no offloads: every frame carries the 12-byte virtio_net_hdr
 * (zero on transmit).  The receive queue is kept full of 2 KiB buffers;
 * rumpuser_virtif_recv hands frames to the kernel straight from them and
 * gives them back.  A thread waiting in recv sleeps on a cv that the idle
 * wait signals when the device's interrupt has come (kvm_net_poll).
 * Transmit copies the frame into one of the transmit queue's buffers:
 * send never sleeps; with every buffer in flight the frame is dropped
 * (ENOBUFS).
 */
#include "kvm.h"
#include "kvm_virtio.h"
#include "rumpuser_common.h"

#include <rump/rumpuser_virtif.h>

#define NB_ENXIO	6
#define NB_EBUSY_	16
#define NB_EMSGSIZE	40
#define NB_ENOBUFS	55

#define VIRTIO_NET_F_MTU	(1ULL << 3)
#define VIRTIO_NET_F_MAC	(1ULL << 5)

#define NET_HDR		12
#define BUFSZ		2048
#define QSIZE		128
#define MAXNETS		4

struct rumpuser_virtif {
	struct kvm_virtio	 v;
	struct kvm_vq		 rxq, txq;
	uint8_t			*rxbuf, *txbuf;	/* QSIZE x BUFSZ each */
	bool			 txbusy[QSIZE];
	uint8_t			 mac[6];
	uint32_t		 mtu;
	char			 name[16];
	bool			 attached, inuse, dying, waiting;
	struct rumpuser_mtx	*mtx;
	struct rumpuser_cv	*cv;
	rumpuser_virtif_deliver_fn deliver;
	void			*cookie;
};

static struct rumpuser_virtif nets[MAXNETS];
static int nnets;

static void
net_irq(void *arg)
{

	(void)arg;	/* the idle wait looks at the queues afterwards */
}

static void
rx_post(struct rumpuser_virtif *n, uint16_t i)
{
	struct kvm_vq_buf b = { kvm_virt_to_phys(n->rxbuf + (size_t)i * BUFSZ),
	    BUFSZ, true };

	(void)kvm_vq_add(&n->rxq, &b, 1, (void *)(uintptr_t)(i + 1));
}

/* A virtio-net device whose transport is set up: queues, buffers. */
static void
net_setup(struct rumpuser_virtif *n, uint64_t got, const char *where,
    bool verbose)
{
	uint16_t i;

	if (kvm_virtio_vq_init(&n->v, &n->rxq, 0, QSIZE) != 0 ||
	    kvm_virtio_vq_init(&n->v, &n->txq, 1, QSIZE) != 0 ||
	    (n->rxbuf = kvm_pages_alloc(QSIZE * BUFSZ / KVM_PAGE_SIZE, 0)) ==
	    NULL ||
	    (n->txbuf = kvm_pages_alloc(QSIZE * BUFSZ / KVM_PAGE_SIZE, 0)) ==
	    NULL) {
		kvm_printf("kvm: virtio-net at %s: not usable\n", where);
		return;
	}
	if (got & VIRTIO_NET_F_MAC)
		for (i = 0; i < 6; i++)
			n->mac[i] = n->v.devcfg[i];
	n->mtu = 1500;
	if (got & VIRTIO_NET_F_MTU) {
		uint16_t mtu = *(volatile uint16_t *)(n->v.devcfg + 10);
		if (mtu >= 68 && mtu + NET_HDR + 14 <= BUFSZ)
			n->mtu = mtu;
	}
	for (i = 0; i < n->rxq.size; i++)
		rx_post(n, i);
	kvm_virtio_ready(&n->v);
	kvm_vq_kick(&n->rxq);
	rumpuser__format(n->name, sizeof(n->name), "virtio%d", nnets);
	n->attached = true;
	if (verbose)
		kvm_printf("kvm: %s: virtio-net at %s, "
		    "%02x:%02x:%02x:%02x:%02x:%02x, mtu %u, %s\n", n->name,
		    where, n->mac[0], n->mac[1], n->mac[2],
		    n->mac[3], n->mac[4], n->mac[5], n->mtu,
		    n->v.vector >= 0 ? "MSI-X" : "polled");
	nnets++;
}

void
kvm_net_attach(const struct kvm_pci_dev *d, bool verbose)
{
	struct rumpuser_virtif *n;
	uint64_t got;
	char where[16];

	if (nnets == MAXNETS)
		return;
	n = &nets[nnets];
	rumpuser__format(where, sizeof(where), "%02x:%02x.%x", d->bus,
	    d->slot, d->func);
	if (kvm_virtio_init(&n->v, d, VIRTIO_NET_F_MAC | VIRTIO_NET_F_MTU,
	    &got, net_irq, n) != 0) {
		kvm_printf("kvm: virtio-net at %s: not usable\n", where);
		return;
	}
	net_setup(n, got, where, verbose);
}

void
kvm_net_attach_mmio(volatile uint8_t *regs, const char *where, bool verbose)
{
	struct rumpuser_virtif *n;
	uint64_t got;

	if (nnets == MAXNETS)
		return;
	n = &nets[nnets];
	if (kvm_virtio_mmio_init(&n->v, regs, VIRTIO_NET_F_MAC |
	    VIRTIO_NET_F_MTU, &got) != 0) {
		kvm_printf("kvm: virtio-net at %s: not usable\n", where);
		return;
	}
	net_setup(n, got, where, verbose);
}

/* From the idle wait: wakes receivers that have frames. */
int
kvm_net_poll(void)
{
	struct rumpuser_virtif *n;
	volatile uint16_t *usedidx;
	int i, woken = 0;

	for (i = 0; i < nnets; i++) {
		n = &nets[i];
		usedidx = (volatile uint16_t *)(n->rxq.used + 2);
		if (n->waiting && *usedidx != n->rxq.last_used) {
			n->waiting = false;
			rumpuser_cv_broadcast(n->cv);
			woken++;
		}
	}
	return woken;
}

/* Receivers waiting: the idle wait must not take them for a deadlock. */
int
kvm_net_busy(void)
{
	int i, n = 0;

	for (i = 0; i < nnets; i++)
		n += nets[i].waiting;
	return n;
}

/* polled devices: how soon to look again (0: no need) */
bool
kvm_net_polled(void)
{
	int i;

	for (i = 0; i < nnets; i++)
		if (nets[i].waiting && nets[i].v.vector < 0)
			return true;
	return false;
}

int
rumpuser_virtif_create(const char *devname,
    rumpuser_virtif_deliver_fn deliver, void *cookie,
    struct rumpuser_virtif_info *info, struct rumpuser_virtif **vifp)
{
	struct rumpuser_virtif *n = NULL;
	int i;

	kvm_dev_init();
	for (i = 0; i < nnets; i++)
		if (str_eq(devname, nets[i].name))
			n = &nets[i];
	if (n == NULL)
		return NB_ENOENT;
	if (n->inuse)
		return NB_EBUSY_;
	rumpuser_mutex_init(&n->mtx, 0);
	rumpuser_cv_init(&n->cv);
	n->inuse = true;
	n->dying = false;
	n->deliver = deliver;
	n->cookie = cookie;
	memcpy(info->vi_hwaddr, n->mac, 6);
	info->vi_mtu = n->mtu;
	*vifp = n;
	return 0;
}

static void
tx_reclaim(struct rumpuser_virtif *n)
{
	void *c;

	while ((c = kvm_vq_get(&n->txq, NULL)) != NULL)
		n->txbusy[(uintptr_t)c - 1] = false;
}

int
rumpuser_virtif_send(struct rumpuser_virtif *n,
    const struct rumpuser_iovec *iov, size_t iovcnt)
{
	struct kvm_vq_buf b;
	size_t len = 0, i, off;
	uint8_t *buf;
	uint16_t slot;

	if (n->dying)
		return NB_ENXIO;
	for (i = 0; i < iovcnt; i++)
		len += iov[i].iov_len;
	if (len > n->mtu + 14)
		return NB_EMSGSIZE;
	tx_reclaim(n);
	for (slot = 0; slot < n->txq.size && n->txbusy[slot]; slot++)
		;
	if (slot == n->txq.size)
		return NB_ENOBUFS;
	buf = n->txbuf + (size_t)slot * BUFSZ;
	memset(buf, 0, NET_HDR);
	for (i = 0, off = NET_HDR; i < iovcnt; i++) {
		memcpy(buf + off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}
	b = (struct kvm_vq_buf){ kvm_virt_to_phys(buf), (uint32_t)off,
	    false };
	if (kvm_vq_add(&n->txq, &b, 1, (void *)(uintptr_t)(slot + 1)) != 0)
		return NB_ENOBUFS;
	n->txbusy[slot] = true;
	kvm_vq_kick(&n->txq);
	return 0;
}

/* Hands what has arrived to the kernel; the buffers go back to the
 * device.  Returns how many frames. */
static int
rx_deliver(struct rumpuser_virtif *n)
{
	struct rumpuser_iovec iov;
	uint32_t len;
	void *c;
	uint16_t slot;
	int k = 0;

	while ((c = kvm_vq_get(&n->rxq, &len)) != NULL) {
		slot = (uint16_t)((uintptr_t)c - 1);
		if (len > NET_HDR) {
			iov.iov_base = n->rxbuf + (size_t)slot * BUFSZ + NET_HDR;
			iov.iov_len = len - NET_HDR;
			n->deliver(n->cookie, &iov, 1, iov.iov_len);
			k++;
		}
		rx_post(n, slot);
	}
	if (k > 0)
		kvm_vq_kick(&n->rxq);
	return k;
}

int
rumpuser_virtif_recv(struct rumpuser_virtif *n, uint64_t timeout_ns)
{
	int error;

	if (n->dying)
		return NB_ENXIO;
	if (rx_deliver(n) > 0)
		return 0;
	if (timeout_ns == 0)
		return NB_ETIMEDOUT;
	/* Threads switch only when one blocks: no frame can be missed
	 * between the look above and the sleep below. */
	n->waiting = true;
	rumpuser_mutex_enter_nowrap(n->mtx);
	error = rumpuser_cv_timedwait(n->cv, n->mtx,
	    (int64_t)(timeout_ns / 1000000000),
	    (int64_t)(timeout_ns % 1000000000));
	rumpuser_mutex_exit(n->mtx);
	n->waiting = false;
	if (n->dying)
		return NB_ENXIO;
	if (rx_deliver(n) > 0 || error == 0)
		return 0;
	return NB_ETIMEDOUT;
}

void
rumpuser_virtif_dying(struct rumpuser_virtif *n)
{

	n->dying = true;
	rumpuser_cv_broadcast(n->cv);
}

void
rumpuser_virtif_destroy(struct rumpuser_virtif *n)
{

	/* The device stays attached, its receive buffers posted, for the
	 * next create. */
	rumpuser_cv_destroy(n->cv);
	rumpuser_mutex_destroy(n->mtx);
	n->inuse = false;
}
