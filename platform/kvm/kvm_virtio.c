/*
 * kvm_virtio.c: the virtio 1.x PCI transport and split virtqueues
 * (Virtual I/O Device (VIRTIO) Version 1.1, sections 2.6 and 4.1).
 */
#include "kvm_virtio.h"
#include "rumpuser_common.h"

#define NB_ENOSPC	28
#define NB_ENODEV	19

/* Common configuration registers. */
#define C_DFSELECT	0x00
#define C_DF		0x04
#define C_GFSELECT	0x08
#define C_GF		0x0c
#define C_MSIX		0x10
#define C_NUMQ		0x12
#define C_STATUS	0x14
#define C_Q_SELECT	0x16
#define C_Q_SIZE	0x18
#define C_Q_MSIX	0x1a
#define C_Q_ENABLE	0x1c
#define C_Q_NOFF	0x1e
#define C_Q_DESC	0x20
#define C_Q_AVAIL	0x28
#define C_Q_USED	0x30

#define S_ACK		1
#define S_DRIVER	2
#define S_DRIVER_OK	4
#define S_FEATURES_OK	8
#define S_FAILED	128

#define NO_VECTOR	0xffff

#define R8(b, o)	(*(volatile uint8_t *)((b) + (o)))
#define R16(b, o)	(*(volatile uint16_t *)((b) + (o)))
#define R32(b, o)	(*(volatile uint32_t *)((b) + (o)))

static void
w64(volatile uint8_t *b, unsigned int o, uint64_t v)
{

	R32(b, o) = (uint32_t)v;
	R32(b, o + 4) = (uint32_t)(v >> 32);
}

/* The virtio vendor capabilities: where each structure is. */
static volatile uint8_t *
find_cfg(struct kvm_virtio *v, uint8_t type, uint8_t *capp)
{
	uint8_t cap = 0;
	uint64_t bar;
	uint32_t off, len;

	while ((cap = kvm_pci_cap(&v->pci, 0x09, cap)) != 0) {
		if (kvm_pci_read8(&v->pci, (uint8_t)(cap + 3)) != type)
			continue;
		bar = kvm_pci_bar(&v->pci, kvm_pci_read8(&v->pci,
		    (uint8_t)(cap + 4)));
		off = kvm_pci_read32(&v->pci, (uint8_t)(cap + 8));
		len = kvm_pci_read32(&v->pci, (uint8_t)(cap + 12));
		if (bar == 0 || kvm_map_mmio(bar + off, len) != 0)
			return NULL;
		if (capp != NULL)
			*capp = cap;
		return kvm_phys_to_virt(bar + off);
	}
	return NULL;
}

int
kvm_virtio_init(struct kvm_virtio *v, const struct kvm_pci_dev *d,
    uint64_t want, uint64_t *got, kvm_irq_fn irq, void *arg)
{
	uint64_t offered;
	uint8_t ncap = 0;
	unsigned int spins;

	v->pci = *d;
	kvm_pci_enable(d);
	v->common = find_cfg(v, 1, NULL);
	v->notify_base = find_cfg(v, 2, &ncap);
	v->devcfg = find_cfg(v, 4, NULL);
	if (v->common == NULL || v->notify_base == NULL || v->devcfg == NULL)
		return NB_ENODEV;
	v->notify_mul = kvm_pci_read32(d, (uint8_t)(ncap + 16));

	R8(v->common, C_STATUS) = 0;
	for (spins = 0; R8(v->common, C_STATUS) != 0 && spins < 1000000;
	    spins++)
		;
	R8(v->common, C_STATUS) = S_ACK | S_DRIVER;
	R32(v->common, C_DFSELECT) = 0;
	offered = R32(v->common, C_DF);
	R32(v->common, C_DFSELECT) = 1;
	offered |= (uint64_t)R32(v->common, C_DF) << 32;
	*got = offered & (want | VIRTIO_F_VERSION_1);
	if ((*got & VIRTIO_F_VERSION_1) == 0) {
		R8(v->common, C_STATUS) = S_FAILED;
		return NB_ENODEV;
	}
	R32(v->common, C_GFSELECT) = 0;
	R32(v->common, C_GF) = (uint32_t)*got;
	R32(v->common, C_GFSELECT) = 1;
	R32(v->common, C_GF) = (uint32_t)(*got >> 32);
	R8(v->common, C_STATUS) = S_ACK | S_DRIVER | S_FEATURES_OK;
	if ((R8(v->common, C_STATUS) & S_FEATURES_OK) == 0) {
		R8(v->common, C_STATUS) = S_FAILED;
		return NB_ENODEV;
	}

	/* MSI-X entry 0 for every queue; none for configuration changes.
	 * Without MSI-X the device is polled. */
	v->vector = -1;
	if (irq != NULL) {
		int vec = kvm_irq_alloc(irq, arg);

		if (vec >= 0 && kvm_pci_msix_route(d, vec) == 0) {
			R16(v->common, C_MSIX) = NO_VECTOR;
			v->vector = vec;
		}
	}
	return 0;
}

/* virtio-mmio registers (version 2, "modern"). */
#define M_MAGIC		0x000
#define M_VERSION	0x004
#define M_DEVICE	0x008
#define M_DF		0x010
#define M_DFSEL		0x014
#define M_GF		0x020
#define M_GFSEL		0x024
#define M_QSEL		0x030
#define M_QMAX		0x034
#define M_QNUM		0x038
#define M_QREADY	0x044
#define M_QNOTIFY	0x050
#define M_STATUS	0x070
#define M_QDESC		0x080
#define M_QAVAIL	0x090
#define M_QUSED		0x0a0
#define M_CONFIG	0x100

/* QEMU's microvm: 24 transports of 512 bytes from 0xfeb00000. */
#define MMIO_BASE	0xfeb00000ULL
#define MMIO_SLOTS	24
#define MMIO_SIZE	512

void
kvm_virtio_mmio_scan(void (*fn)(volatile uint8_t *, uint32_t))
{
	volatile uint8_t *r;
	int i;

	for (i = 0; i < MMIO_SLOTS; i++) {
		r = kvm_phys_to_virt(MMIO_BASE + (uint64_t)i * MMIO_SIZE);
		if (R32(r, M_MAGIC) != 0x74726976 || R32(r, M_VERSION) != 2 ||
		    R32(r, M_DEVICE) == 0)
			continue;
		fn(r, R32(r, M_DEVICE));
	}
}

int
kvm_virtio_mmio_init(struct kvm_virtio *v, volatile uint8_t *regs,
    uint64_t want, uint64_t *got)
{
	uint64_t offered;

	memset(v, 0, sizeof(*v));
	v->mmio = regs;
	v->devcfg = regs + M_CONFIG;
	v->vector = -1;
	R32(regs, M_STATUS) = 0;
	R32(regs, M_STATUS) = S_ACK | S_DRIVER;
	R32(regs, M_DFSEL) = 0;
	offered = R32(regs, M_DF);
	R32(regs, M_DFSEL) = 1;
	offered |= (uint64_t)R32(regs, M_DF) << 32;
	*got = offered & (want | VIRTIO_F_VERSION_1);
	if ((*got & VIRTIO_F_VERSION_1) == 0) {
		R32(regs, M_STATUS) = S_FAILED;
		return NB_ENODEV;
	}
	R32(regs, M_GFSEL) = 0;
	R32(regs, M_GF) = (uint32_t)*got;
	R32(regs, M_GFSEL) = 1;
	R32(regs, M_GF) = (uint32_t)(*got >> 32);
	R32(regs, M_STATUS) = S_ACK | S_DRIVER | S_FEATURES_OK;
	if ((R32(regs, M_STATUS) & S_FEATURES_OK) == 0) {
		R32(regs, M_STATUS) = S_FAILED;
		return NB_ENODEV;
	}
	return 0;
}

int
kvm_virtio_vq_init(struct kvm_virtio *v, struct kvm_vq *q, uint16_t index,
    uint16_t maxsize)
{
	size_t descsz, availsz, usedsz, pages;
	uint16_t size, i;
	uint8_t *mem;

	if (v->mmio != NULL) {
		R32(v->mmio, M_QSEL) = index;
		size = (uint16_t)R32(v->mmio, M_QMAX);
	} else {
		R16(v->common, C_Q_SELECT) = index;
		size = R16(v->common, C_Q_SIZE);
	}
	if (size == 0)
		return NB_ENODEV;
	if (size > maxsize)
		size = maxsize;
	if (v->mmio == NULL)
		R16(v->common, C_Q_SIZE) = size;
	descsz = 16u * size;
	availsz = 6u + 2u * size;
	usedsz = 6u + 8u * size;
	/* One allocation: descriptors, available ring, then the used ring
	 * on a page boundary (alignments 16, 2 and 4 are then met). */
	pages = (descsz + availsz + KVM_PAGE_SIZE - 1) / KVM_PAGE_SIZE +
	    (usedsz + KVM_PAGE_SIZE - 1) / KVM_PAGE_SIZE;
	if ((mem = kvm_pages_alloc(pages, 0)) == NULL)
		return NB_ENOMEM;
	q->size = size;
	q->index = index;
	q->desc = (volatile struct vring_desc *)mem;
	q->avail = (volatile uint16_t *)(mem + descsz);
	q->used = mem + (descsz + availsz + KVM_PAGE_SIZE - 1) /
	    KVM_PAGE_SIZE * KVM_PAGE_SIZE;
	q->cookie = rumpuser__backend_malloc(size * sizeof(void *), 0);
	q->chainlen = rumpuser__backend_malloc(size * sizeof(uint16_t), 0);
	if (q->cookie == NULL || q->chainlen == NULL)
		return NB_ENOMEM;
	for (i = 0; i < size; i++)
		q->desc[i].next = (uint16_t)(i + 1);
	q->free_head = 0;
	q->nfree = size;
	q->last_used = 0;
	q->avail_idx = 0;
	if (v->mmio != NULL) {
		q->notify = NULL;
		q->notify32 = (volatile uint32_t *)(v->mmio + M_QNOTIFY);
		R32(v->mmio, M_QNUM) = size;
		w64(v->mmio, M_QDESC, kvm_virt_to_phys((void *)q->desc));
		w64(v->mmio, M_QAVAIL, kvm_virt_to_phys((void *)q->avail));
		w64(v->mmio, M_QUSED, kvm_virt_to_phys((void *)q->used));
		R32(v->mmio, M_QREADY) = 1;
		return 0;
	}
	q->notify32 = NULL;
	q->notify = (volatile uint16_t *)(v->notify_base +
	    (uint32_t)R16(v->common, C_Q_NOFF) * v->notify_mul);

	w64(v->common, C_Q_DESC, kvm_virt_to_phys((void *)q->desc));
	w64(v->common, C_Q_AVAIL, kvm_virt_to_phys((void *)q->avail));
	w64(v->common, C_Q_USED, kvm_virt_to_phys((void *)q->used));
	R16(v->common, C_Q_MSIX) = v->vector >= 0 ? 0 : NO_VECTOR;
	if (v->vector >= 0 && R16(v->common, C_Q_MSIX) != 0)
		v->vector = -1;		/* refused: poll */
	R16(v->common, C_Q_ENABLE) = 1;
	return 0;
}

void
kvm_virtio_ready(struct kvm_virtio *v)
{

	if (v->mmio != NULL)
		R32(v->mmio, M_STATUS) = S_ACK | S_DRIVER | S_FEATURES_OK |
		    S_DRIVER_OK;
	else
		R8(v->common, C_STATUS) = S_ACK | S_DRIVER | S_FEATURES_OK |
		    S_DRIVER_OK;
}

int
kvm_vq_add(struct kvm_vq *q, const struct kvm_vq_buf *bufs, int n,
    void *cookie)
{
	uint16_t head, d = 0, prev = 0;
	int i;

	if (n <= 0 || n > q->nfree)
		return NB_ENOSPC;
	head = q->free_head;
	for (i = 0; i < n; i++) {
		d = i == 0 ? head : q->desc[prev].next;
		q->desc[d].addr = bufs[i].pa;
		q->desc[d].len = bufs[i].len;
		q->desc[d].flags = (uint16_t)((bufs[i].writable ?
		    VRING_DESC_F_WRITE : 0) | (i + 1 < n ? VRING_DESC_F_NEXT :
		    0));
		prev = d;
	}
	q->free_head = q->desc[d].next;
	q->nfree = (uint16_t)(q->nfree - n);
	q->cookie[head] = cookie;
	q->chainlen[head] = (uint16_t)n;
	q->avail[2 + q->avail_idx % q->size] = head;
	/* The entry before the index that publishes it. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	q->avail_idx++;
	q->avail[1] = q->avail_idx;
	return 0;
}

void
kvm_vq_kick(struct kvm_vq *q)
{

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (q->notify32 != NULL)
		*q->notify32 = q->index;
	else
		*q->notify = q->index;
}

void *
kvm_vq_get(struct kvm_vq *q, uint32_t *len)
{
	volatile uint8_t *e;
	uint16_t idx, head, last, i;
	void *cookie;

	idx = *(volatile uint16_t *)(q->used + 2);
	if (idx == q->last_used)
		return NULL;
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	e = q->used + 4 + 8 * (q->last_used % q->size);
	head = (uint16_t)*(volatile uint32_t *)e;
	if (len != NULL)
		*len = *(volatile uint32_t *)(e + 4);
	q->last_used++;
	cookie = q->cookie[head];
	/* Back on the free list: walk to the chain's last descriptor. */
	last = head;
	for (i = 1; i < q->chainlen[head]; i++)
		last = q->desc[last].next;
	q->desc[last].next = q->free_head;
	q->free_head = head;
	q->nfree = (uint16_t)(q->nfree + q->chainlen[head]);
	return cookie;
}
