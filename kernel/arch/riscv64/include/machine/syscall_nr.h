/*
 * machine/syscall_nr.h (riscv64): every Linux system call number of
 * riscv64: the generic table of asm-generic/unistd.h (Linux 6.1, plus
 * fchmodat2) with riscv's choices (__ARCH_WANT_NEW_STAT,
 * __ARCH_WANT_SET_GET_RLIMIT, __ARCH_WANT_SYS_CLONE3,
 * __ARCH_WANT_MEMFD_SECRET; not __ARCH_WANT_RENAMEAT, so unlike aarch64
 * there is no renameat, only renameat2) and its one call of its own,
 * riscv_flush_icache.  Generated from the riscv64 cross headers
 * (`riscv64-linux-gnu-gcc -dM -E -include asm/unistd.h`); the test
 * apps/tests/t_cross_riscv64.sh compares every number with them.  A call
 * is implemented where some file registers it with SYSCALL(); the others
 * give ENOSYS.  Included only through <kern/syscall.h>; see
 * kernel/arch/x86_64's for the scheme.
 */
#ifndef MACHINE_SYSCALL_NR_H
#define MACHINE_SYSCALL_NR_H

/* ARCH can be overridden on the make command line: a mismatch with the
 * compiler's target would give programs a foreign ABI. */
#if !defined(__riscv) || __riscv_xlen != 64
#error "kernel/arch/riscv64 headers used for a target that is not riscv64 (ARCH= does not match CC)"
#endif

/* The generic table, and riscv's one call of its own. */
#include "../../../generic/syscall_nr.h"

#define SYS_riscv_flush_icache	259

#endif /* MACHINE_SYSCALL_NR_H */
