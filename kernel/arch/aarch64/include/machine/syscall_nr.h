/*
 * machine/syscall_nr.h (aarch64): the Linux system call numbers the kernel
 * implements, aarch64's: the generic table of asm-generic/unistd.h with
 * arm64's choices (__ARCH_WANT_RENAMEAT, __ARCH_WANT_NEW_STAT).  Included
 * only through <kern/syscall.h>; see kernel/arch/x86_64's for the scheme.
 */
#ifndef MACHINE_SYSCALL_NR_H
#define MACHINE_SYSCALL_NR_H

/* ARCH can be overridden on the make command line: a mismatch with the
 * compiler's target would give programs a foreign ABI. */
#if !defined(__aarch64__)
#error "kernel/arch/aarch64 headers used for a target that is not aarch64 (ARCH= does not match CC)"
#endif

#define SYS_getcwd		17
#define SYS_dup			23
#define SYS_dup3		24
#define SYS_fcntl		25
#define SYS_mkdirat		34
#define SYS_unlinkat		35
#define SYS_symlinkat		36
#define SYS_linkat		37
#define SYS_renameat		38	/* __ARCH_WANT_RENAMEAT */
#define SYS_umount2		39
#define SYS_mount		40
#define SYS_statfs		43
#define SYS_fstatfs		44
#define SYS_truncate		45
#define SYS_ftruncate		46
#define SYS_faccessat		48
#define SYS_chdir		49
#define SYS_fchdir		50
#define SYS_fchmod		52
#define SYS_fchmodat		53
#define SYS_fchownat		54
#define SYS_fchown		55
#define SYS_openat		56
#define SYS_close		57
#define SYS_pipe2		59
#define SYS_getdents64		61
#define SYS_lseek		62
#define SYS_read		63
#define SYS_write		64
#define SYS_readv		65
#define SYS_writev		66
#define SYS_pread64		67
#define SYS_pwrite64		68
#define SYS_readlinkat		78
#define SYS_newfstatat		79	/* asm-generic: __NR3264_fstatat */
#define SYS_fstat		80
#define SYS_sync		81
#define SYS_fsync		82
#define SYS_fdatasync		83
#define SYS_utimensat		88
#define SYS_nanosleep		101
#define SYS_clock_gettime	113
#define SYS_clock_getres	114
#define SYS_clock_nanosleep	115
#define SYS_sched_getaffinity	123
#define SYS_sched_yield		124
#define SYS_setgid		144
#define SYS_setuid		146
#define SYS_getgroups		158
#define SYS_setgroups		159
#define SYS_uname		160
#define SYS_sethostname		161
#define SYS_umask		166
#define SYS_gettimeofday	169
#define SYS_getpid		172
#define SYS_getppid		173
#define SYS_getuid		174
#define SYS_geteuid		175
#define SYS_getgid		176
#define SYS_getegid		177
#define SYS_renameat2		276
#define SYS_getrandom		278
#define SYS_faccessat2		439
#define SYS_fchmodat2		452

#define SYS_MAXSYSCALL		512

/* No legacy calls (open, stat, mkdir, ...: only their *at forms exist
 * here).  Their handlers still compile, so that shared code needs no
 * #ifdef, but are not registered; SYS_open etc. stay undefined, and the
 * number given is never expanded. */
#define SYSCALL_LEGACY(nr, name)	SYSCALL_UNREGISTERED(name)

#endif /* MACHINE_SYSCALL_NR_H */
