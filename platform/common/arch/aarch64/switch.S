/*
 * switch.S: context switch for aarch64 (AAPCS64), see arch.h.
 *
 * The saved frame, 176 bytes (sp stays 16-byte aligned), from the saved
 * stack pointer upwards:
 *	0	x19 x20 x21 x22 x23 x24 x25 x26 x27 x28
 *	80	x29 (frame pointer), x30 (link register: where to resume)
 *	96	d8 d9 d10 d11 d12 d13 d14 d15
 *	160	FPCR
 * AAPCS64 makes x19-x29, sp and the low 64 bits of v8-v15 (d8-d15)
 * callee-saved, and treats FPCR's control fields as state a call
 * preserves.  x18 is the platform register: left alone.
 */

	.text

	.globl	rumpuser__arch_switch
	.hidden	rumpuser__arch_switch
	.type	rumpuser__arch_switch, %function
	.p2align 2
/* void rumpuser__arch_switch(void **save_sp x0, void *new_sp x1) */
rumpuser__arch_switch:
	.cfi_startproc
	sub	sp, sp, #176
	.cfi_adjust_cfa_offset 176
	stp	x19, x20, [sp, #0]
	stp	x21, x22, [sp, #16]
	stp	x23, x24, [sp, #32]
	stp	x25, x26, [sp, #48]
	stp	x27, x28, [sp, #64]
	stp	x29, x30, [sp, #80]
	stp	d8, d9, [sp, #96]
	stp	d10, d11, [sp, #112]
	stp	d12, d13, [sp, #128]
	stp	d14, d15, [sp, #144]
	mrs	x9, fpcr
	str	x9, [sp, #160]
	mov	x9, sp
	str	x9, [x0]

	/* From here on, the other thread's frame. */
	mov	sp, x1
	ldr	x9, [sp, #160]
	msr	fpcr, x9
	ldp	x19, x20, [sp, #0]
	ldp	x21, x22, [sp, #16]
	ldp	x23, x24, [sp, #32]
	ldp	x25, x26, [sp, #48]
	ldp	x27, x28, [sp, #64]
	ldp	x29, x30, [sp, #80]
	ldp	d8, d9, [sp, #96]
	ldp	d10, d11, [sp, #112]
	ldp	d12, d13, [sp, #128]
	ldp	d14, d15, [sp, #144]
	add	sp, sp, #176
	.cfi_adjust_cfa_offset -176
	ret
	.cfi_endproc
	.size	rumpuser__arch_switch, . - rumpuser__arch_switch

	.globl	rumpuser__arch_stack_init
	.hidden	rumpuser__arch_stack_init
	.type	rumpuser__arch_stack_init, %function
	.p2align 2
/* void *rumpuser__arch_stack_init(void *top x0, void (*entry)(void *) x1,
 *     void *arg x2)
 *
 * After the switch's final add, sp is the aligned top: thread_start runs
 * with an empty, 16-byte aligned stack. */
rumpuser__arch_stack_init:
	.cfi_startproc
	and	x0, x0, #~15
	sub	x0, x0, #176
	stp	x1, x2, [x0, #0]		/* x19: entry, x20: arg */
	stp	xzr, xzr, [x0, #16]
	stp	xzr, xzr, [x0, #32]
	stp	xzr, xzr, [x0, #48]
	stp	xzr, xzr, [x0, #64]
	adr	x9, thread_start
	stp	xzr, x9, [x0, #80]		/* x29: no frame, x30: start */
	stp	xzr, xzr, [x0, #96]
	stp	xzr, xzr, [x0, #112]
	stp	xzr, xzr, [x0, #128]
	stp	xzr, xzr, [x0, #144]
	/* The creator's floating-point control state, as a new host
	 * thread inherits it. */
	mrs	x9, fpcr
	stp	x9, xzr, [x0, #160]
	ret
	.cfi_endproc
	.size	rumpuser__arch_stack_init, . - rumpuser__arch_stack_init

	.type	thread_start, %function
	.p2align 2
/* A new thread's first instructions: entry(arg), which never returns.
 * The undefined link register ends debuggers' backtraces here. */
thread_start:
	.cfi_startproc
	.cfi_undefined x30
	mov	x29, #0
	mov	x0, x20
	blr	x19
	brk	#0x1
	.cfi_endproc
	.size	thread_start, . - thread_start

	.section .note.GNU-stack, "", %progbits
