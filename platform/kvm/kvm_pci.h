/*
 * kvm_pci.h: PCI configuration space (mechanism #1, ports 0xcf8/0xcfc),
 * the device scan, BARs, capabilities and MSI-X, for the virtio drivers.
 */
#ifndef KVM_PCI_H
#define KVM_PCI_H

#include "kvm.h"

struct kvm_pci_dev {
	uint8_t		bus, slot, func;
	uint16_t	vendor, device;
};

uint32_t kvm_pci_read32(const struct kvm_pci_dev *d, uint8_t off) KVM_HIDDEN;
void kvm_pci_write32(const struct kvm_pci_dev *d, uint8_t off, uint32_t v)
    KVM_HIDDEN;
uint16_t kvm_pci_read16(const struct kvm_pci_dev *d, uint8_t off) KVM_HIDDEN;
void kvm_pci_write16(const struct kvm_pci_dev *d, uint8_t off, uint16_t v)
    KVM_HIDDEN;
uint8_t kvm_pci_read8(const struct kvm_pci_dev *d, uint8_t off) KVM_HIDDEN;

/* Calls fn for every function on bus 0 and the buses behind its
 * bridges. */
void kvm_pci_scan(void (*fn)(const struct kvm_pci_dev *)) KVM_HIDDEN;
/* The physical address of memory BAR n (32 or 64 bits), or 0. */
uint64_t kvm_pci_bar(const struct kvm_pci_dev *d, int n) KVM_HIDDEN;
/* Offset of the first capability of id at or after the one following
 * after (0: from the start), or 0. */
uint8_t kvm_pci_cap(const struct kvm_pci_dev *d, uint8_t id, uint8_t after)
    KVM_HIDDEN;
/* Turns on memory decoding and bus mastering. */
void kvm_pci_enable(const struct kvm_pci_dev *d) KVM_HIDDEN;
/* Routes MSI-X table entry 0 to vector and enables MSI-X; 0 or an errno. */
int kvm_pci_msix_route(const struct kvm_pci_dev *d, int vector) KVM_HIDDEN;

#endif /* KVM_PCI_H */
