/*
 * sys_uname.c: the system's identity: uname() and sethostname().
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/libkern.h>
#include <kern/lock.h>
#include <kern/param.h>
#include <kern/proc.h>
#include <kern/component.h>
#include <kern/syscall.h>
#include <rump/rump_syscalls.h>
#include <machine/abi.h>	/* UTS_MACHINE */

#include "kern_private.h"

/* Linux's __NEW_UTS_LEN + 1: 64 bytes of name and a NUL. */
#define UTS_LEN		65

/* The Linux layout (struct new_utsname). */
struct utsname {
	char	sysname[UTS_LEN];
	char	nodename[UTS_LEN];
	char	release[UTS_LEN];
	char	version[UTS_LEN];
	char	machine[UTS_LEN];
	char	domainname[UTS_LEN];
};

/* UTS_SYSNAME and UTS_RELEASE are in kern_private.h (sysproxy.c tells
 * remote clients too). */
#define UTS_VERSION	"#1 strata rump kernel"
#define UTS_DOMAINNAME	"(none)"

/* UTS_MACHINE, the target's name, comes from <machine/abi.h>. */

/* The host name, one per kernel, always NUL terminated; protected by
 * uts_lock. */
static kmutex_t uts_lock;
static char uts_nodename[UTS_LEN];

RUMP_COMPONENT(RUMP_COMPONENT_KERN, uname)
{

	mutex_init(&uts_lock, MUTEX_DEFAULT);
	strlcpy(uts_nodename, kernel_params.kp_hostname,
	    sizeof(uts_nodename));
}

SYSCALL(SYS_uname, uname)
{
	struct utsname u;

	(void)retval;
	memset(&u, 0, sizeof(u));
	strlcpy(u.sysname, UTS_SYSNAME, sizeof(u.sysname));
	mutex_enter(&uts_lock);
	memcpy(u.nodename, uts_nodename, sizeof(u.nodename));
	mutex_exit(&uts_lock);
	strlcpy(u.release, UTS_RELEASE, sizeof(u.release));
	strlcpy(u.version, UTS_VERSION, sizeof(u.version));
	strlcpy(u.machine, UTS_MACHINE, sizeof(u.machine));
	strlcpy(u.domainname, UTS_DOMAINNAME, sizeof(u.domainname));
	return copyout(&u, (void *)args[0], sizeof(u));
}

SYSCALL(SYS_sethostname, sethostname)
{
	char name[UTS_LEN];
	struct proc *p = curproc;
	int len = (int)args[1], error;
	bool root;

	(void)retval;
	/* Linux checks the length first, then the privilege. */
	if (len < 0 || len >= UTS_LEN)
		return EINVAL;
	mutex_enter(&p->p_lock);
	root = cred_is_superuser(&p->p_cred);
	mutex_exit(&p->p_lock);
	if (!root)
		return EPERM;
	if ((error = copyin((const void *)args[0], name, (size_t)len)) != 0)
		return error;
	mutex_enter(&uts_lock);
	memcpy(uts_nodename, name, (size_t)len);
	memset(uts_nodename + len, 0, sizeof(uts_nodename) - (size_t)len);
	mutex_exit(&uts_lock);
	return 0;
}

/* The typed entry points. */

int
rump_sys_uname(struct utsname *u)
{

	return (int)syscall_typed(SYS_uname, (long)u, 0, 0, 0, 0, 0);
}

int
rump_sys_sethostname(const char *name, size_t len)
{

	/* Linux takes an int: a size past INT_MAX must stay invalid. */
	if (len > INT_MAX)
		len = INT_MAX;
	return (int)syscall_typed(SYS_sethostname, (long)name, (long)len,
	    0, 0, 0, 0);
}
