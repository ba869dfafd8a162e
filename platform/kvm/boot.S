/*
 * boot.S: the image's first instructions, from 32-bit protected mode to
 * long mode, for both ways QEMU's -kernel starts it (doc in README):
 *
 *  - multiboot (version 1, "a.out kludge": the load addresses are in the
 *    header, so QEMU loads our 64-bit ELF file as the flat image it is):
 *    EAX = 0x2BADB002, EBX = the multiboot information;
 *  - PVH (the XEN_ELFNOTE_PHYS32_ENTRY note; what the microvm machine
 *    and Firecracker-like loaders use): EBX = struct hvm_start_info.
 *
 * Both arrive with paging off and flat 32-bit segments, running at the
 * image's physical addresses (the image is linked at KERNBASE + those,
 * so 32-bit code names every symbol PHYS(sym)).  We build the boot page
 * tables -- the first 4 GiB of physical memory in 2 MiB pages, except the
 * first 2 MiB in 4 KiB pages so that page 0 stays unmapped; the top GiB,
 * where the PCI hole, the IOAPIC and the LAPIC are, uncached -- mapped
 * three times: at DMAP (the direct map), at KERNBASE (the image's first
 * 2 GiB) and, only until the jump to KERNBASE, at 0 (so that turning
 * paging on does not pull the floor away).  Then PAE, long mode, SSE, the
 * jump into the higher half, the identity map dropped (the lower half is
 * the program's: l2), and kvm_boot(magic, info) in C on the boot stack.
 */
#include "kvm_asm.h"

#define PHYS(x)	((x) - KERNBASE)

	.section .text.boot, "ax"
	.code32

/* The multiboot header: within the first 8 KiB of the file, 4-aligned. */
	.p2align 2
mb_header:
	.long	MB_MAGIC
	.long	MB_FLAGS
	.long	-(MB_MAGIC + MB_FLAGS)
	.long	PHYS(mb_header)		/* header_addr */
	.long	PHYS(__image_start)	/* load_addr */
	.long	PHYS(__image_data_end)	/* load_end_addr */
	.long	PHYS(__image_end)	/* bss_end_addr */
	.long	PHYS(multiboot_entry)	/* entry_addr */

	.globl	multiboot_entry
multiboot_entry:
	rdtsc
	movl	%eax, PHYS(kvm_boot_tsc)
	movl	%edx, PHYS(kvm_boot_tsc) + 4
	movl	$MB_BOOT_MAGIC, PHYS(kvm_boot_magic)
	movl	%ebx, PHYS(kvm_boot_info)
	jmp	common32

	.globl	pvh_entry
pvh_entry:
	/* EAX is clobbered by rdtsc: EBX has all we need. */
	rdtsc
	movl	%eax, PHYS(kvm_boot_tsc)
	movl	%edx, PHYS(kvm_boot_tsc) + 4
	movl	$PVH_BOOT_MAGIC, PHYS(kvm_boot_magic)
	movl	%ebx, PHYS(kvm_boot_info)

common32:
	cli
	cld
	/* Zero the bss (a PVH loader need not; the multiboot one does). */
	movl	$PHYS(__bss_start), %edi
	movl	$PHYS(__image_end), %ecx
	subl	%edi, %ecx
	xorl	%eax, %eax
	rep stosb

	/* PML4[0] (for the jump) and PML4[DMAP] -> PDPT; PDPT[0..3] -> the
	 * four page directories; PML4[KERN] -> PDPT_HI, whose last two
	 * entries map the first 2 GiB at KERNBASE. */
	movl	$PHYS(kvm_pdpt), %eax
	orl	$(PTE_P | PTE_W), %eax
	movl	%eax, PHYS(kvm_pml4)
	movl	%eax, PHYS(kvm_pml4) + 8 * PML4_DMAP
	movl	$PHYS(kvm_pdpt_hi), %eax
	orl	$(PTE_P | PTE_W), %eax
	movl	%eax, PHYS(kvm_pml4) + 8 * PML4_KERN
	movl	$PHYS(kvm_pd), %eax
	orl	$(PTE_P | PTE_W), %eax
	movl	%eax, PHYS(kvm_pdpt_hi) + 8 * 510
	addl	$4096, %eax
	movl	%eax, PHYS(kvm_pdpt_hi) + 8 * 511
	movl	$PHYS(kvm_pd), %eax
	orl	$(PTE_P | PTE_W), %eax
	movl	$PHYS(kvm_pdpt), %edi
	movl	$4, %ecx
1:	movl	%eax, (%edi)
	addl	$4096, %eax
	addl	$8, %edi
	loop	1b

	/* 2048 directory entries of 2 MiB each: 4 GiB. */
	xorl	%eax, %eax
	movl	$PHYS(kvm_pd), %edi
	xorl	%ecx, %ecx
2:	movl	%eax, %edx
	orl	$(PTE_P | PTE_W | PTE_PS), %edx
	cmpl	$1536, %ecx		/* 3 GiB and up: devices */
	jb	3f
	orl	$(PTE_PCD | PTE_PWT), %edx
3:	movl	%edx, (%edi)
	addl	$0x200000, %eax
	addl	$8, %edi
	incl	%ecx
	cmpl	$2048, %ecx
	jne	2b

	/* The first 2 MiB in 4 KiB pages, page 0 left out. */
	movl	$PHYS(kvm_pt0), %eax
	orl	$(PTE_P | PTE_W), %eax
	movl	%eax, PHYS(kvm_pd)
	movl	$PHYS(kvm_pt0) + 8, %edi
	movl	$(4096 | PTE_P | PTE_W), %eax
	movl	$511, %ecx
4:	movl	%eax, (%edi)
	addl	$4096, %eax
	addl	$8, %edi
	loop	4b

	movl	$PHYS(kvm_pml4), %eax
	movl	%eax, %cr3
	movl	%cr4, %eax
	orl	$(CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT), %eax
	movl	%eax, %cr4
	movl	$MSR_EFER, %ecx
	rdmsr
	orl	$(EFER_LME | EFER_NXE), %eax
	wrmsr
	movl	%cr0, %eax
	andl	$~(CR0_EM | CR0_TS), %eax
	orl	$(CR0_PG | CR0_PE | CR0_MP | CR0_WP), %eax
	movl	%eax, %cr0

	lgdt	PHYS(kvm_gdt_desc32)
	ljmp	$GDT_KCODE, $PHYS(long_mode)

	.code64
long_mode:
	/* Into the higher half; then the GDT at its own address there, and
	 * the identity map gone. */
	movabsq	$high, %rax
	jmp	*%rax
high:
	lgdt	kvm_gdt_desc(%rip)
	movq	$0, kvm_pml4(%rip)
	movq	%cr3, %rax
	movq	%rax, %cr3
	movw	$GDT_KDATA, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	xorw	%ax, %ax
	movw	%ax, %fs
	movw	%ax, %gs
	leaq	kvm_boot_stack_top(%rip), %rsp
	xorl	%ebp, %ebp
	fninit
	movl	kvm_boot_magic(%rip), %edi
	movl	kvm_boot_info(%rip), %esi
	call	kvm_boot
5:	cli
	hlt
	jmp	5b

/* The PVH entry point, as Xen's ELF note type 18 (XEN_ELFNOTE_PHYS32_ENTRY). */
	.section .note.pvh, "a", @note
	.p2align 2
	.long	4			/* name size */
	.long	4			/* descriptor size */
	.long	18			/* XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz	"Xen"
	.p2align 2
	.long	PHYS(pvh_entry)

	.data
	.p2align 3
	.globl	kvm_boot_tsc, kvm_boot_magic, kvm_boot_info
kvm_boot_tsc:	.quad	0
kvm_boot_magic:	.long	0
kvm_boot_info:	.long	0

/* The GDT: null, 64-bit code, data, and the TSS (16 bytes, filled in by
 * kvm_cpu_init, which also reloads the descriptor with its final limit). */
	.p2align 4
	.globl	kvm_gdt
kvm_gdt:
	.quad	0
	.quad	0x00af9a000000ffff	/* GDT_KCODE: 64-bit, ring 0 */
	.quad	0x00cf92000000ffff	/* GDT_KDATA */
	.quad	0x00affa000000ffff	/* GDT_UCODE32 slot: 64-bit ring 3 (unused by us) */
	.quad	0x00cff2000000ffff	/* GDT_UDATA: ring 3 data */
	.quad	0x00affa000000ffff	/* GDT_UCODE: 64-bit ring 3 */
	.quad	0, 0			/* GDT_TSS */
kvm_gdt_end:
	.p2align 3
	.globl	kvm_gdt_desc
kvm_gdt_desc:
	.word	kvm_gdt_end - kvm_gdt - 1
	.quad	kvm_gdt
/* The same table for the first lgdt, in 32-bit mode at its physical
 * address. */
kvm_gdt_desc32:
	.word	kvm_gdt_end - kvm_gdt - 1
	.long	PHYS(kvm_gdt)

	.bss
	.p2align 12
	.globl	kvm_pml4, kvm_pdpt, kvm_pdpt_hi, kvm_pd, kvm_pt0
kvm_pml4:	.space	4096
kvm_pdpt:	.space	4096
kvm_pdpt_hi:	.space	4096
kvm_pd:		.space	4 * 4096
kvm_pt0:	.space	4096
	.p2align 4
	.globl	kvm_boot_stack, kvm_boot_stack_top
kvm_boot_stack:	.space	KVM_BOOT_STACK_SIZE
kvm_boot_stack_top:
