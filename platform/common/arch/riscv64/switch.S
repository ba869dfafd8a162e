/*
 * switch.S: context switch for riscv64 (the RISC-V psABI, LP64D), see
 * arch.h.
 *
 * The saved frame, 208 bytes (sp stays 16-byte aligned), from the saved
 * stack pointer upwards:
 *	0	ra (where to resume)
 *	8	s0 (frame pointer) s1 ... s11
 *	104	fs0 ... fs11
 *	200	frm (the dynamic rounding mode)
 * The psABI makes s0-s11, sp and (with hardware floating point) fs0-fs11
 * callee-saved, and gives fcsr thread storage duration: a thread keeps its
 * own rounding mode, as a host thread does; the accrued exception flags
 * are left alone, as the other architectures' switches leave their status
 * bits.  gp (the global pointer) and tp (the host thread's TLS) belong to
 * the host thread all fibers run on: left alone.
 */

	.text

	.globl	rumpuser__arch_switch
	.hidden	rumpuser__arch_switch
	.type	rumpuser__arch_switch, %function
	.p2align 2
/* void rumpuser__arch_switch(void **save_sp a0, void *new_sp a1) */
rumpuser__arch_switch:
	.cfi_startproc
	addi	sp, sp, -208
	.cfi_adjust_cfa_offset 208
	sd	ra, 0(sp)
	sd	s0, 8(sp)
	sd	s1, 16(sp)
	sd	s2, 24(sp)
	sd	s3, 32(sp)
	sd	s4, 40(sp)
	sd	s5, 48(sp)
	sd	s6, 56(sp)
	sd	s7, 64(sp)
	sd	s8, 72(sp)
	sd	s9, 80(sp)
	sd	s10, 88(sp)
	sd	s11, 96(sp)
#ifdef __riscv_flen
	fsd	fs0, 104(sp)
	fsd	fs1, 112(sp)
	fsd	fs2, 120(sp)
	fsd	fs3, 128(sp)
	fsd	fs4, 136(sp)
	fsd	fs5, 144(sp)
	fsd	fs6, 152(sp)
	fsd	fs7, 160(sp)
	fsd	fs8, 168(sp)
	fsd	fs9, 176(sp)
	fsd	fs10, 184(sp)
	fsd	fs11, 192(sp)
	frrm	t0
	sd	t0, 200(sp)
#endif
	sd	sp, 0(a0)

	/* From here on, the other thread's frame. */
	mv	sp, a1
#ifdef __riscv_flen
	ld	t0, 200(sp)
	fsrm	t0
	fld	fs0, 104(sp)
	fld	fs1, 112(sp)
	fld	fs2, 120(sp)
	fld	fs3, 128(sp)
	fld	fs4, 136(sp)
	fld	fs5, 144(sp)
	fld	fs6, 152(sp)
	fld	fs7, 160(sp)
	fld	fs8, 168(sp)
	fld	fs9, 176(sp)
	fld	fs10, 184(sp)
	fld	fs11, 192(sp)
#endif
	ld	ra, 0(sp)
	ld	s0, 8(sp)
	ld	s1, 16(sp)
	ld	s2, 24(sp)
	ld	s3, 32(sp)
	ld	s4, 40(sp)
	ld	s5, 48(sp)
	ld	s6, 56(sp)
	ld	s7, 64(sp)
	ld	s8, 72(sp)
	ld	s9, 80(sp)
	ld	s10, 88(sp)
	ld	s11, 96(sp)
	addi	sp, sp, 208
	.cfi_adjust_cfa_offset -208
	ret
	.cfi_endproc
	.size	rumpuser__arch_switch, . - rumpuser__arch_switch

	.globl	rumpuser__arch_stack_init
	.hidden	rumpuser__arch_stack_init
	.type	rumpuser__arch_stack_init, %function
	.p2align 2
/* void *rumpuser__arch_stack_init(void *top a0, void (*entry)(void *) a1,
 *     void *arg a2)
 *
 * After the switch's final addi, sp is the aligned top: thread_start runs
 * with an empty, 16-byte aligned stack. */
rumpuser__arch_stack_init:
	.cfi_startproc
	andi	a0, a0, -16
	addi	a0, a0, -208
	/* Every slot zero first: s0 = 0 (no frame), fs0-fs11 = +0.0. */
	mv	t0, a0
	addi	t1, a0, 208
1:	sd	zero, 0(t0)
	addi	t0, t0, 8
	bltu	t0, t1, 1b
	lla	t0, thread_start
	sd	t0, 0(a0)			/* ra: start */
	sd	a1, 16(a0)			/* s1: entry */
	sd	a2, 24(a0)			/* s2: arg */
#ifdef __riscv_flen
	/* The creator's rounding mode, as a new host thread inherits it. */
	frrm	t0
	sd	t0, 200(a0)
#endif
	ret
	.cfi_endproc
	.size	rumpuser__arch_stack_init, . - rumpuser__arch_stack_init

	.type	thread_start, %function
	.p2align 2
/* A new thread's first instructions: entry(arg), which never returns.
 * The undefined return address ends debuggers' backtraces here. */
thread_start:
	.cfi_startproc
	.cfi_undefined ra
	mv	s0, zero
	mv	a0, s2
	jalr	s1
	ebreak
	.cfi_endproc
	.size	thread_start, . - thread_start

	.section .note.GNU-stack, "", %progbits
