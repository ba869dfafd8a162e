/*
 * l2_entry.S: the program's way into and out of ring 3 (l2.h).
 *
 * l2_user_run(regs) saves the callee-saved registers of its C caller on
 * the kernel stack, loads the program's registers from regs and SYSRETs
 * into ring 3.  The program's next `syscall` arrives at l2_syscall_entry
 * (LSTAR) with RCX = its RIP, R11 = its RFLAGS and RSP still its own;
 * the entry pushes every register into the same regs block (used as a
 * little stack, from its end down) and returns from l2_user_run on the
 * kernel stack it left.  One CPU, and only one thread in ring 3 at a
 * time: the block and the kernel stack pointer are plain globals, set by
 * whichever thread entered ring 3 last, which is the one that calls.
 *
 * SFMASK clears IF, DF, TF and AC on entry; the program itself runs with
 * IF clear too (interrupts are only taken in the platform's idle wait).
 */

#define MSR_EFER	0xc0000080
#define MSR_STAR	0xc0000081
#define MSR_LSTAR	0xc0000082
#define MSR_SFMASK	0xc0000084

/* struct l2_uregs offsets (l2.h). */
#define R_RIP		120
#define R_RFLAGS	128
#define R_RSP		136
#define R_SIZE		144

	.bss
	.p2align 3
l2_kernel_rsp:	.quad 0		/* kernel stack of the thread in ring 3 */
l2_cur_regs:	.quad 0		/* its register block */
l2_user_rsp:	.quad 0		/* scratch at entry */

	.text

/* void l2_entry_init(void) */
	.globl	l2_entry_init
	.hidden	l2_entry_init
	.type	l2_entry_init, @function
l2_entry_init:
	/* EFER.SCE: SYSCALL/SYSRET on. */
	movl	$MSR_EFER, %ecx
	rdmsr
	orl	$1, %eax
	wrmsr
	/* STAR: SYSCALL loads CS 0x08, SS 0x10; SYSRET (64-bit) loads
	 * CS 0x18 + 16 = 0x28 and SS 0x18 + 8 = 0x20, both with RPL 3
	 * (the GDT of platform/kvm, kvm_asm.h). */
	movl	$MSR_STAR, %ecx
	xorl	%eax, %eax
	movl	$((0x18 << 16) | 0x08), %edx
	wrmsr
	movl	$MSR_LSTAR, %ecx
	leaq	l2_syscall_entry(%rip), %rax
	movq	%rax, %rdx
	shrq	$32, %rdx
	wrmsr
	/* SFMASK: IF, DF, TF, AC cleared on entry. */
	movl	$MSR_SFMASK, %ecx
	movl	$0x40700, %eax
	xorl	%edx, %edx
	wrmsr
	ret
	.size	l2_entry_init, . - l2_entry_init

/* void l2_user_run(struct l2_uregs *regs %rdi) */
	.globl	l2_user_run
	.hidden	l2_user_run
	.type	l2_user_run, @function
	.p2align 4
l2_user_run:
	.cfi_startproc
	pushq	%rbp
	pushq	%rbx
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	.cfi_adjust_cfa_offset 48
	movq	%rsp, l2_kernel_rsp(%rip)
	movq	%rdi, l2_cur_regs(%rip)

	/* Pop the program's registers off the block. */
	movq	%rdi, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbp
	popq	%rbx
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rax
	popq	%rcx
	popq	%rdx
	popq	%rsi
	popq	%rdi
	/* RSP is at the block's rip now. */
	movq	0(%rsp), %rcx		/* SYSRET's RIP */
	movq	8(%rsp), %r11		/* and RFLAGS */
	movq	16(%rsp), %rsp
	sysretq
	.cfi_endproc
	.size	l2_user_run, . - l2_user_run

/* The SYSCALL entry (LSTAR). */
	.globl	l2_syscall_entry
	.hidden	l2_syscall_entry
	.type	l2_syscall_entry, @function
	.p2align 4
l2_syscall_entry:
	movq	%rsp, l2_user_rsp(%rip)
	movq	l2_cur_regs(%rip), %rsp
	addq	$R_SIZE, %rsp
	pushq	l2_user_rsp(%rip)	/* rsp */
	pushq	%r11			/* rflags */
	pushq	%rcx			/* rip */
	pushq	%rdi
	pushq	%rsi
	pushq	%rdx
	pushq	%rcx
	pushq	%rax
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	pushq	%rbx
	pushq	%rbp
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	/* Back on the kernel stack, out of l2_user_run. */
	movq	l2_kernel_rsp(%rip), %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
	ret
	.size	l2_syscall_entry, . - l2_syscall_entry

/* void l2_user_abandon(void): the exception path's way back (l2.h). */
	.globl	l2_user_abandon
	.hidden	l2_user_abandon
	.type	l2_user_abandon, @function
	.p2align 4
l2_user_abandon:
	movq	l2_kernel_rsp(%rip), %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
	ret
	.size	l2_user_abandon, . - l2_user_abandon

	.section .note.GNU-stack, "", @progbits
