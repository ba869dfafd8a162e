/*
 * kvm_pci.c: PCI configuration access and the device scan.
 */
#include "kvm_pci.h"
#include "rumpuser_common.h"

#define CFG_ADDR	0xcf8
#define CFG_DATA	0xcfc

static uint32_t
cfg_addr(const struct kvm_pci_dev *d, uint8_t off)
{

	return 0x80000000u | (uint32_t)d->bus << 16 |
	    (uint32_t)d->slot << 11 | (uint32_t)d->func << 8 | (off & 0xfc);
}

uint32_t
kvm_pci_read32(const struct kvm_pci_dev *d, uint8_t off)
{

	kvm_outl(CFG_ADDR, cfg_addr(d, off));
	return kvm_inl(CFG_DATA);
}

void
kvm_pci_write32(const struct kvm_pci_dev *d, uint8_t off, uint32_t v)
{

	kvm_outl(CFG_ADDR, cfg_addr(d, off));
	kvm_outl(CFG_DATA, v);
}

uint16_t
kvm_pci_read16(const struct kvm_pci_dev *d, uint8_t off)
{

	return (uint16_t)(kvm_pci_read32(d, off) >> ((off & 2) * 8));
}

void
kvm_pci_write16(const struct kvm_pci_dev *d, uint8_t off, uint16_t v)
{
	uint32_t w = kvm_pci_read32(d, off), shift = (off & 2) * 8u;

	w = (w & ~(0xffffu << shift)) | (uint32_t)v << shift;
	kvm_pci_write32(d, off, w);
}

uint8_t
kvm_pci_read8(const struct kvm_pci_dev *d, uint8_t off)
{

	return (uint8_t)(kvm_pci_read32(d, off) >> ((off & 3) * 8));
}

static void
scan_bus(uint8_t bus, void (*fn)(const struct kvm_pci_dev *), int depth)
{
	struct kvm_pci_dev d;
	uint32_t id;
	uint8_t slot, func, nfuncs, hdr;

	for (slot = 0; slot < 32; slot++) {
		d = (struct kvm_pci_dev){ bus, slot, 0, 0, 0 };
		id = kvm_pci_read32(&d, 0);
		if ((id & 0xffff) == 0xffff)
			continue;
		hdr = kvm_pci_read8(&d, 0x0e);
		nfuncs = (hdr & 0x80) ? 8 : 1;
		for (func = 0; func < nfuncs; func++) {
			d.func = func;
			id = kvm_pci_read32(&d, 0);
			if ((id & 0xffff) == 0xffff)
				continue;
			d.vendor = (uint16_t)id;
			d.device = (uint16_t)(id >> 16);
			hdr = kvm_pci_read8(&d, 0x0e) & 0x7f;
			if (hdr == 1 && depth < 8)	/* PCI-PCI bridge */
				scan_bus(kvm_pci_read8(&d, 0x19), fn,
				    depth + 1);
			else
				fn(&d);
		}
	}
}

void
kvm_pci_scan(void (*fn)(const struct kvm_pci_dev *))
{

	scan_bus(0, fn, 0);
}

uint64_t
kvm_pci_bar(const struct kvm_pci_dev *d, int n)
{
	uint32_t lo = kvm_pci_read32(d, (uint8_t)(0x10 + 4 * n));

	if (lo & 1)			/* I/O space */
		return 0;
	if (((lo >> 1) & 3) == 2)	/* 64-bit */
		return (lo & ~0xfULL) | (uint64_t)kvm_pci_read32(d,
		    (uint8_t)(0x14 + 4 * n)) << 32;
	return lo & ~0xfULL;
}

uint8_t
kvm_pci_cap(const struct kvm_pci_dev *d, uint8_t id, uint8_t after)
{
	uint8_t off;
	int n;

	if ((kvm_pci_read16(d, 0x06) & 0x10) == 0)	/* no list */
		return 0;
	off = after != 0 ? kvm_pci_read8(d, (uint8_t)(after + 1)) :
	    kvm_pci_read8(d, 0x34);
	for (n = 0; off >= 0x40 && n < 48; n++) {
		if (kvm_pci_read8(d, off) == id)
			return off;
		off = kvm_pci_read8(d, (uint8_t)(off + 1));
	}
	return 0;
}

void
kvm_pci_enable(const struct kvm_pci_dev *d)
{

	kvm_pci_write16(d, 0x04, kvm_pci_read16(d, 0x04) | 0x06);
}

int
kvm_pci_msix_route(const struct kvm_pci_dev *d, int vector)
{
	uint8_t cap = kvm_pci_cap(d, 0x11, 0);
	uint32_t table;
	uint64_t bar;
	volatile uint32_t *entry;

	if (cap == 0)
		return NB_ENOENT;
	table = kvm_pci_read32(d, (uint8_t)(cap + 4));
	bar = kvm_pci_bar(d, (int)(table & 7));
	if (bar == 0 || kvm_map_mmio(bar, 4096) != 0)
		return NB_EINVAL;
	entry = kvm_phys_to_virt(bar + (table & ~7u));
	entry[0] = 0xFEE00000u;		/* to the LAPIC of CPU 0 */
	entry[1] = 0;
	entry[2] = (uint32_t)vector;	/* fixed delivery, edge */
	entry[3] = 0;			/* unmasked */
	/* Enable, function not masked. */
	kvm_pci_write16(d, (uint8_t)(cap + 2),
	    (uint16_t)((kvm_pci_read16(d, (uint8_t)(cap + 2)) | 0x8000) &
	    ~0x4000));
	return 0;
}
