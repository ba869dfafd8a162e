/*
 * sys_proc.c: process identity system calls (pids and credentials).
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/libkern.h>
#include <kern/proc.h>
#include <kern/syscall.h>
#include <rump/rump_syscalls.h>

#include "kern_private.h"

SYSCALL(SYS_getpid, getpid)
{

	(void)args;
	retval[0] = curproc->p_pid;
	return 0;
}

SYSCALL(SYS_getppid, getppid)
{

	(void)args;
	retval[0] = proc_getppid(curproc);
	return 0;
}

/* Reads one credential field under the process lock. */
#define CRED_GETTER(nr, name, field)					\
SYSCALL(nr, name)							\
{									\
	struct proc *p = curproc;					\
									\
	(void)args;							\
	mutex_enter(&p->p_lock);					\
	retval[0] = p->p_cred.field;					\
	mutex_exit(&p->p_lock);						\
	return 0;							\
}

CRED_GETTER(SYS_getuid, getuid, cr_uid)
CRED_GETTER(SYS_geteuid, geteuid, cr_euid)
CRED_GETTER(SYS_getgid, getgid, cr_gid)
CRED_GETTER(SYS_getegid, getegid, cr_egid)

/*
 * set[ug]id as POSIX and Linux define them: root sets the real,
 * effective and saved id; anyone else may set only the effective id, and
 * only to the real or saved one.
 */
static int
set_id(uint32_t *real, uint32_t *eff, uint32_t *saved, uint32_t id)
{
	struct proc *p = curproc;
	int error = 0;

	/* -1 means "unchanged" to setres*id, and is no id of its own. */
	if (id == (uint32_t)-1)
		return EINVAL;
	mutex_enter(&p->p_lock);
	if (cred_is_superuser(&p->p_cred))
		*real = *eff = *saved = id;
	else if (id == *real || id == *saved)
		*eff = id;
	else
		error = EPERM;
	mutex_exit(&p->p_lock);
	return error;
}

SYSCALL(SYS_setuid, setuid)
{
	struct kauth_cred *cr = &curproc->p_cred;

	(void)retval;
	return set_id(&cr->cr_uid, &cr->cr_euid, &cr->cr_suid,
	    (uint32_t)args[0]);
}

SYSCALL(SYS_setgid, setgid)
{
	struct kauth_cred *cr = &curproc->p_cred;

	(void)retval;
	return set_id(&cr->cr_gid, &cr->cr_egid, &cr->cr_sgid,
	    (uint32_t)args[0]);
}

/*
 * getres[ug]id, setres[ug]id and setre[ug]id as Linux: -1 leaves an id as
 * it is; root (effective uid 0) sets any id, anyone else only to one of
 * its current real, effective and saved ids (setre[ug]id: the real one
 * only to the real or effective one).  setre[ug]id sets the saved id to
 * the new effective one when the real one is given or the effective one
 * changes to other than the old real one.
 */
static int
getres_id(const uint32_t *real, const uint32_t *eff, const uint32_t *saved,
    const long *args)
{
	struct proc *p = curproc;
	uint32_t v[3];
	int error = 0;

	mutex_enter(&p->p_lock);
	v[0] = *real;
	v[1] = *eff;
	v[2] = *saved;
	mutex_exit(&p->p_lock);
	for (int i = 0; i < 3 && error == 0; i++)
		error = copyout(&v[i], (void *)args[i], sizeof(v[i]));
	return error;
}

static bool
id_is_own(uint32_t id, uint32_t real, uint32_t eff, uint32_t saved)
{

	return id == (uint32_t)-1 || id == real || id == eff || id == saved;
}

static int
setres_id(uint32_t *real, uint32_t *eff, uint32_t *saved, uint32_t r,
    uint32_t e, uint32_t s)
{
	struct proc *p = curproc;
	int error = 0;

	mutex_enter(&p->p_lock);
	if (!cred_is_superuser(&p->p_cred) &&
	    (!id_is_own(r, *real, *eff, *saved) ||
	    !id_is_own(e, *real, *eff, *saved) ||
	    !id_is_own(s, *real, *eff, *saved))) {
		error = EPERM;
	} else {
		if (r != (uint32_t)-1)
			*real = r;
		if (e != (uint32_t)-1)
			*eff = e;
		if (s != (uint32_t)-1)
			*saved = s;
	}
	mutex_exit(&p->p_lock);
	return error;
}

static int
setre_id(uint32_t *real, uint32_t *eff, uint32_t *saved, uint32_t r,
    uint32_t e)
{
	struct proc *p = curproc;
	uint32_t oldreal;
	int error = 0;

	mutex_enter(&p->p_lock);
	oldreal = *real;
	if (!cred_is_superuser(&p->p_cred) &&
	    ((r != (uint32_t)-1 && r != *real && r != *eff) ||
	    (e != (uint32_t)-1 && e != *real && e != *eff && e != *saved))) {
		error = EPERM;
	} else {
		if (r != (uint32_t)-1)
			*real = r;
		if (e != (uint32_t)-1)
			*eff = e;
		if (r != (uint32_t)-1 || (e != (uint32_t)-1 && e != oldreal))
			*saved = *eff;
	}
	mutex_exit(&p->p_lock);
	return error;
}

SYSCALL(SYS_getresuid, getresuid)
{
	struct kauth_cred *cr = &curproc->p_cred;

	(void)retval;
	return getres_id(&cr->cr_uid, &cr->cr_euid, &cr->cr_suid, args);
}

SYSCALL(SYS_getresgid, getresgid)
{
	struct kauth_cred *cr = &curproc->p_cred;

	(void)retval;
	return getres_id(&cr->cr_gid, &cr->cr_egid, &cr->cr_sgid, args);
}

SYSCALL(SYS_setresuid, setresuid)
{
	struct kauth_cred *cr = &curproc->p_cred;

	(void)retval;
	return setres_id(&cr->cr_uid, &cr->cr_euid, &cr->cr_suid,
	    (uint32_t)args[0], (uint32_t)args[1], (uint32_t)args[2]);
}

SYSCALL(SYS_setresgid, setresgid)
{
	struct kauth_cred *cr = &curproc->p_cred;

	(void)retval;
	return setres_id(&cr->cr_gid, &cr->cr_egid, &cr->cr_sgid,
	    (uint32_t)args[0], (uint32_t)args[1], (uint32_t)args[2]);
}

SYSCALL(SYS_setreuid, setreuid)
{
	struct kauth_cred *cr = &curproc->p_cred;

	(void)retval;
	return setre_id(&cr->cr_uid, &cr->cr_euid, &cr->cr_suid,
	    (uint32_t)args[0], (uint32_t)args[1]);
}

SYSCALL(SYS_setregid, setregid)
{
	struct kauth_cred *cr = &curproc->p_cred;

	(void)retval;
	return setre_id(&cr->cr_gid, &cr->cr_egid, &cr->cr_sgid,
	    (uint32_t)args[0], (uint32_t)args[1]);
}

SYSCALL(SYS_getgroups, getgroups)
{
	struct proc *p = curproc;
	gid_t groups[NGROUPS_MAX];
	int size = (int)args[0], n;

	if (size < 0)
		return EINVAL;
	mutex_enter(&p->p_lock);
	n = p->p_cred.cr_ngroups;
	memcpy(groups, p->p_cred.cr_groups, (size_t)n * sizeof(gid_t));
	mutex_exit(&p->p_lock);
	/* Size 0 asks only how many there are. */
	if (size != 0) {
		if (size < n)
			return EINVAL;
		int error = copyout(groups, (void *)args[1],
		    (size_t)n * sizeof(gid_t));
		if (error != 0)
			return error;
	}
	retval[0] = n;
	return 0;
}

SYSCALL(SYS_setgroups, setgroups)
{
	struct proc *p = curproc;
	gid_t groups[NGROUPS_MAX];
	unsigned long size = (unsigned long)args[0];
	int error;

	(void)retval;
	if (size > NGROUPS_MAX)
		return EINVAL;
	error = copyin((const void *)args[1], groups, size * sizeof(gid_t));
	if (error != 0)
		return error;
	mutex_enter(&p->p_lock);
	if (!cred_is_superuser(&p->p_cred)) {
		error = EPERM;
	} else {
		memcpy(p->p_cred.cr_groups, groups, size * sizeof(gid_t));
		p->p_cred.cr_ngroups = (int)size;
	}
	mutex_exit(&p->p_lock);
	return error;
}

/* The typed entry points. */

int
rump_sys_getpid(void)
{

	return (int)syscall_typed(SYS_getpid, 0, 0, 0, 0, 0, 0);
}

int
rump_sys_getppid(void)
{

	return (int)syscall_typed(SYS_getppid, 0, 0, 0, 0, 0, 0);
}

uint32_t
rump_sys_getuid(void)
{

	return (uint32_t)syscall_typed(SYS_getuid, 0, 0, 0, 0, 0, 0);
}

uint32_t
rump_sys_geteuid(void)
{

	return (uint32_t)syscall_typed(SYS_geteuid, 0, 0, 0, 0, 0, 0);
}

uint32_t
rump_sys_getgid(void)
{

	return (uint32_t)syscall_typed(SYS_getgid, 0, 0, 0, 0, 0, 0);
}

uint32_t
rump_sys_getegid(void)
{

	return (uint32_t)syscall_typed(SYS_getegid, 0, 0, 0, 0, 0, 0);
}

int
rump_sys_setuid(uint32_t uid)
{

	return (int)syscall_typed(SYS_setuid, (long)uid, 0, 0, 0, 0, 0);
}

int
rump_sys_setgid(uint32_t gid)
{

	return (int)syscall_typed(SYS_setgid, (long)gid, 0, 0, 0, 0, 0);
}

int
rump_sys_getgroups(int size, uint32_t *list)
{

	return (int)syscall_typed(SYS_getgroups, size, (long)list,
	    0, 0, 0, 0);
}

int
rump_sys_setgroups(size_t size, const uint32_t *list)
{

	return (int)syscall_typed(SYS_setgroups, (long)size, (long)list,
	    0, 0, 0, 0);
}
