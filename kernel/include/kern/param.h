/*
 * param.h: kernel parameters, read once at boot from the hypervisor.
 */
#ifndef KERN_PARAM_H
#define KERN_PARAM_H

#include <kern/types.h>

struct kernel_params {
	int	 kp_ncpu;		/* _RUMPUSER_NCPU, or RUMP_NCPU */
	int	 kp_verbose;		/* RUMP_VERBOSE non-zero */
	uint64_t kp_memlimit;		/* RUMP_MEMLIMIT bytes, 0 = none */
	char	 kp_hostname[65];	/* _RUMPUSER_HOSTNAME: <= 64 bytes,
					 * as Linux allows */
};
extern struct kernel_params kernel_params;

#endif /* KERN_PARAM_H */
