/*
 * syscall.c: the system call table and the numeric entry point.
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/libkern.h>
#include <kern/syscall.h>
#include <kern/hyp.h>
#include <rump/rump.h>
#include <rump/rump_syscalls.h>

#include "kern_private.h"

__link_set_decl(syscalls, const struct syscall_entry *);

/* Filled once at boot, read-only afterwards. */
static syscall_fn systab[SYS_MAXSYSCALL];

/* Adds the entries of one range of the link set "syscalls": the kernel's
 * own at boot, and those of each shared object (linkset.c). */
void
syscall_add_range(const void *const *start, const void *const *stop)
{
	const struct syscall_entry *se;

	for (const void *const *p = start; p < stop; p++) {
		se = *p;
		if (se->se_nr >= 0 && se->se_nr < SYS_MAXSYSCALL &&
		    systab[se->se_nr] == se->se_fn)
			continue;	/* the same range seen twice */
		if (se->se_nr < 0 || se->se_nr >= SYS_MAXSYSCALL) {
			printf("rump: system call %s: number %d out of range\n",
			    se->se_name, se->se_nr);
			continue;
		}
		if (systab[se->se_nr] != NULL) {
			printf("rump: system call %s: number %d already "
			    "taken\n", se->se_name, se->se_nr);
			continue;
		}
		systab[se->se_nr] = se->se_fn;
	}
}

void
syscall_init(void)
{

	syscall_add_range((const void *const *)__start_link_set_syscalls,
	    (const void *const *)__stop_link_set_syscalls);
}

int
rump_syscall(int nr, void *args, long *retval)
{
	static const long noargs[6];
	syscall_fn fn;
	long rv[2] = { 0, 0 };
	int error;

	/* Before boot the table is empty: ENOSYS, without touching the
	 * scheduler that does not exist yet. */
	if (nr < 0 || nr >= SYS_MAXSYSCALL || (fn = systab[nr]) == NULL)
		return ENOSYS;
	rump_schedule();
	error = fn(args != NULL ? args : noargs, rv);
	rump_unschedule();
	if (retval != NULL) {
		retval[0] = rv[0];
		retval[1] = rv[1];
	}
	return error;
}

long
syscall_typed(int nr, long a0, long a1, long a2, long a3, long a4, long a5)
{
	long args[6] = { a0, a1, a2, a3, a4, a5 };
	long rv[2];
	int error;

	error = rump_syscall(nr, args, rv);
	/* No signal handler decides on a restart here: EINTR. */
	if (error == ERESTARTSYS)
		error = EINTR;
	if (error != 0) {
		rumpuser_seterrno(hyp_errno_to_netbsd(error));
		return -1;
	}
	return rv[0];
}
