/*
 * syscall.h: system call registration and argument access.
 *
 * System calls follow the Linux x86_64 ABI: numbers as in the kernel's
 * arch/x86/entry/syscalls/syscall_64.tbl, arguments as six longs.  Each
 * faction registers the calls it implements with SYSCALL(); rump_syscall()
 * (rump_syscalls.h) is the one numeric entry.  A handler runs scheduled,
 * returns 0 or a positive errno, and stores its result in retval[0].
 * Pointer arguments are client addresses: access them only through
 * copyin/copyout/copyinstr so a remote client (sysproxy) works later.
 */
#ifndef KERN_SYSCALL_H
#define KERN_SYSCALL_H

/* The numbers below and the layouts in vfs/abi.h are x86_64's.  Other
 * targets (aarch64 and riscv64 use the generic numbering, other O_* values
 * and another struct stat) need their own tables first: building for one
 * silently with these would hand programs a foreign ABI. */
#if !defined(__x86_64__)
#error "the strata kernel implements the Linux x86_64 system call ABI only; no tables for this target yet"
#endif

#include <kern/types.h>
#include <kern/component.h>

typedef int (*syscall_fn)(const long *args, long *retval);

struct syscall_entry {
	int		 se_nr;
	const char	*se_name;
	syscall_fn	 se_fn;
};

#define SYSCALL(nr, name)						\
	static int sys_##name(const long *, long *);			\
	static const struct syscall_entry syscall_entry_##name = {	\
		.se_nr = (nr), .se_name = #name, .se_fn = sys_##name,	\
	};								\
	__link_set_add(syscalls, syscall_entry_##name, name);		\
	static int sys_##name(const long *args, long *retval)

/* Runs a numeric system call from the typed rump_sys_* wrappers: on error
 * sets the host errno (rumpuser_seterrno) and returns -1, otherwise
 * returns retval[0]. */
long	syscall_typed(int nr, long a0, long a1, long a2, long a3, long a4,
	    long a5);

/* Copies between client and kernel memory: 0 or EFAULT.  copyinstr
 * copies a NUL-terminated string of at most len bytes including the NUL
 * (ENAMETOOLONG if longer) and sets *done to the bytes copied. */
int	copyin(const void *uaddr, void *kaddr, size_t len);
int	copyout(const void *kaddr, void *uaddr, size_t len);
int	copyinstr(const void *uaddr, char *kaddr, size_t len, size_t *done);

/* Linux x86_64 system call numbers used by the kernel. */
#define SYS_read		0
#define SYS_write		1
#define SYS_open		2
#define SYS_close		3
#define SYS_stat		4
#define SYS_fstat		5
#define SYS_lstat		6
#define SYS_lseek		8
#define SYS_pread64		17
#define SYS_pwrite64		18
#define SYS_readv		19
#define SYS_writev		20
#define SYS_access		21
#define SYS_pipe		22
#define SYS_sched_yield		24
#define SYS_dup			32
#define SYS_dup2		33
#define SYS_nanosleep		35
#define SYS_getpid		39
#define SYS_uname		63
#define SYS_fcntl		72
#define SYS_fsync		74
#define SYS_fdatasync		75
#define SYS_truncate		76
#define SYS_ftruncate		77
#define SYS_getcwd		79
#define SYS_chdir		80
#define SYS_fchdir		81
#define SYS_rename		82
#define SYS_mkdir		83
#define SYS_rmdir		84
#define SYS_creat		85
#define SYS_link		86
#define SYS_unlink		87
#define SYS_symlink		88
#define SYS_readlink		89
#define SYS_chmod		90
#define SYS_fchmod		91
#define SYS_chown		92
#define SYS_fchown		93
#define SYS_lchown		94
#define SYS_umask		95
#define SYS_gettimeofday	96
#define SYS_getuid		102
#define SYS_getgid		104
#define SYS_setuid		105
#define SYS_setgid		106
#define SYS_geteuid		107
#define SYS_getegid		108
#define SYS_getppid		110
#define SYS_getgroups		115
#define SYS_setgroups		116
#define SYS_statfs		137
#define SYS_fstatfs		138
#define SYS_sync		162
#define SYS_mount		165
#define SYS_umount2		166
#define SYS_sethostname		170
#define SYS_sched_getaffinity	204
#define SYS_getdents64		217
#define SYS_clock_gettime	228
#define SYS_clock_getres	229
#define SYS_clock_nanosleep	230
#define SYS_openat		257
#define SYS_mkdirat		258
#define SYS_fchownat		260
#define SYS_newfstatat		262
#define SYS_unlinkat		263
#define SYS_renameat		264
#define SYS_linkat		265
#define SYS_symlinkat		266
#define SYS_readlinkat		267
#define SYS_fchmodat		268
#define SYS_faccessat		269
#define SYS_utimensat		280
#define SYS_dup3		292
#define SYS_pipe2		293
#define SYS_renameat2		316
#define SYS_getrandom		318
#define SYS_faccessat2		439
#define SYS_fchmodat2		452
#define SYS_MAXSYSCALL		512

#endif /* KERN_SYSCALL_H */
