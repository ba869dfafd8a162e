/*
 * rumpuser_init.c: version handshake and the upcall table.
 */
#include <common/types.h>

#include <rump/rumpuser.h>

#include "backend.h"
#include "rumpuser_common.h"
#include "scheduler.h"

/* Kept by value: the kernel's table then cannot change or vanish under us,
 * and a hypercall made before rumpuser_init() sees NULL upcalls. */
struct rumpuser_hyperup rumpuser__hyp;

int
rumpuser_init(int version, const struct rumpuser_hyperup *hyp)
{

	if (version != RUMPUSER_VERSION) {
		rumpuser_dprintf("rumpuser %s: kernel wants hypercall version "
		    "%d, this platform implements %d\n",
		    rumpuser__backend_name, version, RUMPUSER_VERSION);
		return 1;
	}
	if (hyp == NULL)
		return NB_EINVAL;
	rumpuser__hyp = *hyp;
	rumpuser__backend_init();
	/* The calling host thread becomes the scheduler's "main" thread,
	 * if an earlier hypercall has not made it so already. */
	rumpuser__sched_init();
	return 0;
}
