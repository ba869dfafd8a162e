/*
 * kvm_virtio.h: virtio 1.x ("modern") over PCI: the transport (common
 * configuration, notifications, device configuration, MSI-X) and split
 * virtqueues.  Drivers: kvm_dev.c (block).
 */
#ifndef KVM_VIRTIO_H
#define KVM_VIRTIO_H

#include "kvm.h"
#include "kvm_pci.h"

#define VIRTIO_F_VERSION_1	(1ULL << 32)

struct vring_desc {
	uint64_t	addr;
	uint32_t	len;
	uint16_t	flags;
	uint16_t	next;
};
#define VRING_DESC_F_NEXT	1
#define VRING_DESC_F_WRITE	2

struct kvm_vq {
	uint16_t		 size;
	uint16_t		 index;
	volatile struct vring_desc *desc;
	volatile uint16_t	*avail;		/* flags, idx, ring[size] */
	volatile uint8_t	*used;		/* flags, idx, {id, len}[size] */
	uint16_t		 free_head;
	uint16_t		 nfree;
	uint16_t		 last_used;
	uint16_t		 avail_idx;
	volatile uint16_t	*notify;	/* PCI */
	volatile uint32_t	*notify32;	/* virtio-mmio */
	void			**cookie;	/* per head descriptor */
	uint16_t		*chainlen;
};

struct kvm_virtio {
	struct kvm_pci_dev	 pci;
	volatile uint8_t	*mmio;		/* virtio-mmio registers, or NULL */
	volatile uint8_t	*common;
	volatile uint8_t	*devcfg;
	volatile uint8_t	*notify_base;
	uint32_t		 notify_mul;
	int			 vector;	/* MSI-X vector, or -1: polled */
};

/* One buffer of a request: device-readable unless writable. */
struct kvm_vq_buf {
	uint64_t	pa;
	uint32_t	len;
	bool		writable;
};

/* Resets and negotiates: *got = want & offered (VERSION_1 required).
 * irq: the handler of the device's interrupt (MSI-X entry 0). */
int kvm_virtio_init(struct kvm_virtio *v, const struct kvm_pci_dev *d,
    uint64_t want, uint64_t *got, kvm_irq_fn irq, void *arg) KVM_HIDDEN;
/* The same for a virtio-mmio (version 2) device at regs; no interrupt:
 * it is polled. */
int kvm_virtio_mmio_init(struct kvm_virtio *v, volatile uint8_t *regs,
    uint64_t want, uint64_t *got) KVM_HIDDEN;
/* Probes the microvm machine's virtio-mmio slots and calls fn with each
 * device's registers and device id. */
void kvm_virtio_mmio_scan(void (*fn)(volatile uint8_t *, uint32_t))
    KVM_HIDDEN;
/* Sets up queue index with at most maxsize entries. */
int kvm_virtio_vq_init(struct kvm_virtio *v, struct kvm_vq *q,
    uint16_t index, uint16_t maxsize) KVM_HIDDEN;
/* The driver is ready: the device may start. */
void kvm_virtio_ready(struct kvm_virtio *v) KVM_HIDDEN;

/* Adds a chain of n buffers (those device-readable first); 0, or
 * ENOSPC 28 when the queue lacks n free descriptors. */
int kvm_vq_add(struct kvm_vq *q, const struct kvm_vq_buf *bufs, int n,
    void *cookie) KVM_HIDDEN;
/* Tells the device about what was added. */
void kvm_vq_kick(struct kvm_vq *q) KVM_HIDDEN;
/* The cookie of the next completed chain (and the bytes the device
 * wrote), freeing its descriptors; NULL when none. */
void *kvm_vq_get(struct kvm_vq *q, uint32_t *len) KVM_HIDDEN;

/* virtio-net (kvm_virtif.c), for the device scan and the idle wait. */
void kvm_net_attach(const struct kvm_pci_dev *d, bool verbose) KVM_HIDDEN;
void kvm_net_attach_mmio(volatile uint8_t *regs, const char *where,
    bool verbose) KVM_HIDDEN;
int kvm_net_poll(void) KVM_HIDDEN;
int kvm_net_busy(void) KVM_HIDDEN;
bool kvm_net_polled(void) KVM_HIDDEN;

#endif /* KVM_VIRTIO_H */
