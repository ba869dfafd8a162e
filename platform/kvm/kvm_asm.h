/*
 * kvm_asm.h: constants shared by the assembler files and C (x86_64
 * architecture facts and the layout this platform chooses).
 */
#ifndef KVM_ASM_H
#define KVM_ASM_H

/* Multiboot 1. */
#define MB_MAGIC	0x1BADB002
#define MB_FLAGS	0x00010002	/* memory info; a.out kludge addresses */
#define MB_BOOT_MAGIC	0x2BADB002	/* EAX at entry */
/* Our own marker for a PVH start (hvm_start_info's magic is checked too). */
#define PVH_BOOT_MAGIC	0x336ec578

/*
 * The address space (README: memory layout).  The kernel lives in the
 * higher half: the image is linked at KERNBASE + its physical address
 * (the top 2 GiB, -mcmodel=kernel), and all of the first 4 GiB of
 * physical memory (RAM, then the devices above 3 GiB) is mapped at DMAP +
 * its physical address.  The lower half belongs to the program l2 runs.
 */
#define KERNBASE	0xffffffff80000000
#define DMAP		0xffff800000000000
/* Page map level 4 slots: the direct map's and the image's. */
#define PML4_DMAP	256
#define PML4_KERN	511

/* Page table entry bits. */
#define PTE_P		0x001
#define PTE_W		0x002
#define PTE_U		0x004
#define PTE_PWT		0x008
#define PTE_PCD		0x010
#define PTE_PS		0x080

#define CR0_PE		0x00000001
#define CR0_MP		0x00000002
#define CR0_EM		0x00000004
#define CR0_TS		0x00000008
#define CR0_WP		0x00010000
#define CR0_PG		0x80000000
#define CR4_PAE		0x00000020
#define CR4_OSFXSR	0x00000200
#define CR4_OSXMMEXCPT	0x00000400
#define MSR_EFER	0xC0000080
#define EFER_SCE	0x00000001
#define EFER_LME	0x00000100
#define EFER_NXE	0x00000800

/* GDT selectors (boot.S lays the table out). */
#define GDT_KCODE	0x08
#define GDT_KDATA	0x10
#define GDT_UDATA	0x20
#define GDT_UCODE	0x28
#define GDT_TSS		0x30

#define KVM_BOOT_STACK_SIZE	(64 * 1024)

/* Interrupt vectors: 0-31 exceptions, then ours. */
#define VEC_TIMER	0x20	/* LAPIC one-shot timer: the idle wait */
#define VEC_DEV0	0x30	/* device interrupts: VEC_DEV0 + n */
#define VEC_NDEV	16
#define VEC_SPURIOUS	0xFF

#endif /* KVM_ASM_H */
