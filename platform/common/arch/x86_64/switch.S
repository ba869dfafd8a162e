/*
 * switch.S: context switch for x86_64 (System V ABI), see arch.h.
 *
 * The saved frame, from the saved stack pointer upwards:
 *	0	x87 control word (fnstcw, 2 bytes)
 *	8	MXCSR (stmxcsr, 4 bytes)
 *	16	r15, r14, r13, r12, rbx, rbp
 *	64	return address
 * The ABI makes rbx, rbp, r12-r15, the x87 control word and MXCSR's
 * control bits callee-saved; everything else may be clobbered by a call,
 * so the caller of rumpuser__arch_switch has already saved what it needs.
 */

	.text

	.globl	rumpuser__arch_switch
	.hidden	rumpuser__arch_switch
	.type	rumpuser__arch_switch, @function
	.p2align 4
/* void rumpuser__arch_switch(void **save_sp %rdi, void *new_sp %rsi) */
rumpuser__arch_switch:
	.cfi_startproc
	pushq	%rbp
	.cfi_adjust_cfa_offset 8
	pushq	%rbx
	.cfi_adjust_cfa_offset 8
	pushq	%r12
	.cfi_adjust_cfa_offset 8
	pushq	%r13
	.cfi_adjust_cfa_offset 8
	pushq	%r14
	.cfi_adjust_cfa_offset 8
	pushq	%r15
	.cfi_adjust_cfa_offset 8
	subq	$16, %rsp
	.cfi_adjust_cfa_offset 16
	stmxcsr	8(%rsp)
	fnstcw	(%rsp)
	movq	%rsp, (%rdi)

	/* From here on, the other thread's frame. */
	movq	%rsi, %rsp
	ldmxcsr	8(%rsp)
	fldcw	(%rsp)
	addq	$16, %rsp
	.cfi_adjust_cfa_offset -16
	popq	%r15
	.cfi_adjust_cfa_offset -8
	popq	%r14
	.cfi_adjust_cfa_offset -8
	popq	%r13
	.cfi_adjust_cfa_offset -8
	popq	%r12
	.cfi_adjust_cfa_offset -8
	popq	%rbx
	.cfi_adjust_cfa_offset -8
	popq	%rbp
	.cfi_adjust_cfa_offset -8
	ret
	.cfi_endproc
	.size	rumpuser__arch_switch, . - rumpuser__arch_switch

	.globl	rumpuser__arch_stack_init
	.hidden	rumpuser__arch_stack_init
	.type	rumpuser__arch_stack_init, @function
	.p2align 4
/* void *rumpuser__arch_stack_init(void *top %rdi, void (*entry)(void *) %rsi,
 *     void *arg %rdx)
 *
 * The frame is built so that the stack pointer is 16-byte aligned when
 * thread_start's call pushes the return address, as at any call site. */
rumpuser__arch_stack_init:
	.cfi_startproc
	andq	$-16, %rdi
	subq	$16, %rdi			/* the aligned start frame */
	leaq	thread_start(%rip), %rax
	movq	%rax, -8(%rdi)			/* return address */
	movq	$0, -16(%rdi)			/* rbp */
	movq	$0, -24(%rdi)			/* rbx */
	movq	%rsi, -32(%rdi)			/* r12: entry */
	movq	%rdx, -40(%rdi)			/* r13: arg */
	movq	$0, -48(%rdi)			/* r14 */
	movq	$0, -56(%rdi)			/* r15 */
	movq	$0, -64(%rdi)
	movq	$0, -72(%rdi)
	/* The creator's floating-point control state, as a new host
	 * thread inherits it. */
	stmxcsr	-64(%rdi)
	fnstcw	-72(%rdi)
	leaq	-72(%rdi), %rax
	ret
	.cfi_endproc
	.size	rumpuser__arch_stack_init, . - rumpuser__arch_stack_init

	.type	thread_start, @function
	.p2align 4
/* A new thread's first instructions: entry(arg), which never returns.
 * The undefined return address ends debuggers' backtraces here. */
thread_start:
	.cfi_startproc
	.cfi_undefined rip
	xorl	%ebp, %ebp
	movq	%r13, %rdi
	call	*%r12
	ud2
	.cfi_endproc
	.size	thread_start, . - thread_start

	.section .note.GNU-stack, "", @progbits
