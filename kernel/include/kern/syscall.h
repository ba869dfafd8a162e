/*
 * syscall.h: system call registration and argument access.
 *
 * System calls follow the Linux ABI of the target: its numbers
 * (<machine/syscall_nr.h>, one per architecture under kernel/arch/),
 * arguments as six longs.  Each faction registers the calls it implements
 * with SYSCALL(); rump_syscall() (rump_syscalls.h) is the one numeric
 * entry.  A handler runs scheduled,
 * returns 0 or a positive errno, and stores its result in retval[0].
 * Pointer arguments are client addresses: access them only through
 * copyin/copyout/copyinstr so a remote client (sysproxy) works later.
 */
#ifndef KERN_SYSCALL_H
#define KERN_SYSCALL_H

#include <kern/types.h>
#include <kern/component.h>
/* SYS_* numbers and SYSCALL_LEGACY of the target: kernel/arch/<arch>/. */
#include <machine/syscall_nr.h>

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

/*
 * A call that exists only on some targets' ABI (open, stat, mkdir, ...:
 * the generic ABI of aarch64 and riscv64 has only their *at forms).
 * <machine/syscall_nr.h> defines SYSCALL_LEGACY(nr, name) as SYSCALL()
 * where the call exists, else as SYSCALL_UNREGISTERED(name): the handler
 * is compiled (and discarded as unused) but not registered, and nr, a
 * SYS_ name the target does not define, is never expanded.  So shared
 * code needs no #ifdef for it.
 */
#define SYSCALL_UNREGISTERED(name)					\
	static int sys_##name(const long *, long *) __unused;		\
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

#endif /* KERN_SYSCALL_H */
