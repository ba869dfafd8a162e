/*
 * rumpuser_init.c: version handshake and the upcall table.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <rump/rumpuser.h>

#include "rumpuser_posix.h"

/*
 * Kept by value: the kernel's table then cannot change or vanish under us,
 * and a hypercall made before rumpuser_init() sees NULL upcalls.
 */
struct rumpuser_hyperup rumpuser__hyp;

int
rumpuser_init(int version, const struct rumpuser_hyperup *hyp)
{

	if (version != RUMPUSER_VERSION) {
		fprintf(stderr, "rumpuser: kernel wants hypercall version %d, "
		    "this platform implements %d\n", version, RUMPUSER_VERSION);
		return 1;
	}
	if (hyp == NULL)
		return RUMPUSER__NB_EINVAL;
	rumpuser__hyp = *hyp;
	/* Bad pointers in system calls give EFAULT (rumpuser_fcopy.h). */
	rumpuser__posixhost_fcopy_init();
	rumpuser__sp_link();
	rumpuser__sync_init();
	/* The bio worker pool starts on the first rumpuser_bio(), so that a
	 * kernel without block devices creates no threads. */
	return 0;
}
