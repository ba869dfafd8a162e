/*
 * sysproxy.c: serving remote clients (rump_init_server).
 *
 * The platform does the serving: its rumpuser_sp_init() listens, and for
 * each client makes a rump process through the hyp_lwproc_rfork upcall
 * (which marks it remote, p_spclient) and runs the client's system calls
 * through hyp_syscall.  The kernel's part is only to start it and to send
 * a remote process's copies to the client (copy.c).
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/hyp.h>
#include <rump/rump.h>
#include <machine/abi.h>	/* UTS_MACHINE */

#include "kern_private.h"

int
rump_init_server(const char *url)
{

	if (url == NULL)
		return EINVAL;
	if (!kernel_booted())
		return ENXIO;
	/* A platform without the sysproxy module (kern_private.h). */
	if (rumpuser_sp_init == NULL)
		return EOPNOTSUPP;
	return hyp_errno(rumpuser_sp_init(url, UTS_SYSNAME, UTS_RELEASE,
	    UTS_MACHINE));
}
