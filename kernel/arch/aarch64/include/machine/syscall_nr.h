/*
 * machine/syscall_nr.h (aarch64): every Linux system call number of
 * aarch64: the generic table of asm-generic/unistd.h (Linux 6.1, plus
 * fchmodat2) with arm64's choices (__ARCH_WANT_RENAMEAT,
 * __ARCH_WANT_NEW_STAT).  A call is implemented where some file registers
 * it with SYSCALL(); the others give ENOSYS.  Included only through
 * <kern/syscall.h>; see kernel/arch/x86_64's for the scheme.
 */
#ifndef MACHINE_SYSCALL_NR_H
#define MACHINE_SYSCALL_NR_H

/* ARCH can be overridden on the make command line: a mismatch with the
 * compiler's target would give programs a foreign ABI. */
#if !defined(__aarch64__)
#error "kernel/arch/aarch64 headers used for a target that is not aarch64 (ARCH= does not match CC)"
#endif

/* The generic table, and arm64's one choice beyond it. */
#include "../../../generic/syscall_nr.h"

#define SYS_renameat		38

#endif /* MACHINE_SYSCALL_NR_H */
