/*
 * trap.S: the 256 interrupt and exception entry stubs and their common
 * path.  Each stub pushes an error code (0 where the processor pushes
 * none) and its vector number; the common path saves every general
 * register and the SSE state, calls kvm_trap(struct kvm_trapframe *) and
 * returns with iretq.  Every vector runs on an interrupt stack of the TSS
 * (IST), never on the interrupted thread's stack: compiled code there may
 * keep data below its stack pointer (the red zone of the x86_64 ABI).
 */
#include "kvm_asm.h"

	.text
	.code64

	.macro	stub vec
	.p2align 4
trap_stub_\vec:
	.if (\vec == 8 || \vec == 10 || \vec == 11 || \vec == 12 || \vec == 13 || \vec == 14 || \vec == 17 || \vec == 21 || \vec == 29 || \vec == 30)
	.else
	pushq	$0
	.endif
	pushq	$\vec
	jmp	trap_common
	.endm

	.altmacro
	.set	vec, 0
	.rept	256
	stub	%vec
	.set	vec, vec + 1
	.endr

/* The stubs' addresses, for the IDT. */
	.macro	stubaddr vec
	.quad	trap_stub_\vec
	.endm
	.section .rodata
	.p2align 3
	.globl	kvm_trap_stubs
kvm_trap_stubs:
	.set	vec, 0
	.rept	256
	stubaddr %vec
	.set	vec, vec + 1
	.endr
	.noaltmacro

	.text
	.p2align 4
trap_common:
	pushq	%rax
	pushq	%rbx
	pushq	%rcx
	pushq	%rdx
	pushq	%rsi
	pushq	%rdi
	pushq	%rbp
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	movq	%rsp, %rbx		/* the frame; callee-saved */
	subq	$512, %rsp
	andq	$-16, %rsp
	fxsave	(%rsp)
	movq	%rbx, %rdi
	cld
	call	kvm_trap
	fxrstor	(%rsp)
	movq	%rbx, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rbp
	popq	%rdi
	popq	%rsi
	popq	%rdx
	popq	%rcx
	popq	%rbx
	popq	%rax
	addq	$16, %rsp		/* vector, error code */
	iretq
