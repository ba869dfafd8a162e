/*
 * param.c: kernel parameters, read from the hypervisor once at boot.
 */
#include <kern/types.h>
#include <kern/lock.h>
#include <kern/errno.h>
#include <kern/libkern.h>
#include <kern/param.h>
#include <kern/hyp.h>

#include "kern_private.h"

struct kernel_params kernel_params;

int
hyp_getparam(const char *name, char *buf, size_t buflen)
{

	return hyp_errno(rumpuser_getparam(name, buf, buflen));
}

/* A decimal int, or -1 when s is not one. */
static int
parse_int(const char *s)
{
	int v = 0;

	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (INT_MAX - 9) / 10)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return *s == '\0' ? v : -1;
}

int
param_init(void)
{
	char buf[64];
	uint64_t limit;
	int n, error;

	/* Mandatory: a platform without it is not a v17 platform. */
	error = hyp_getparam(RUMPUSER_PARAM_NCPU, buf, sizeof(buf));
	if (error != 0)
		return error;
	n = parse_int(buf);
	if (hyp_getparam("RUMP_NCPU", buf, sizeof(buf)) == 0 &&
	    parse_int(buf) >= 0)
		n = parse_int(buf);
	if (n < 1)
		n = 1;
	if (n > MAXCPUS)
		n = MAXCPUS;
	kernel_params.kp_ncpu = n;

	/* Lock contention statistics (kern/lock.h), for measurements. */
	if (hyp_getparam("RUMP_LOCKSTAT", buf, sizeof(buf)) == 0)
		lockstat_enabled = buf[0] != '\0' && parse_int(buf) != 0;

	if (hyp_getparam("RUMP_VERBOSE", buf, sizeof(buf)) == 0)
		kernel_params.kp_verbose = buf[0] != '\0' && parse_int(buf) != 0;

	kernel_params.kp_memlimit = 0;
	if (hyp_getparam("RUMP_MEMLIMIT", buf, sizeof(buf)) == 0) {
		if (parse_size(buf, &limit) == 0)
			kernel_params.kp_memlimit = limit;
		else
			printf("rump: ignoring RUMP_MEMLIMIT=\"%s\": not a "
			    "size\n", buf);
	}

	/* Mandatory too, but a kernel without a host name still works. */
	if (hyp_getparam(RUMPUSER_PARAM_HOSTNAME, kernel_params.kp_hostname,
	    sizeof(kernel_params.kp_hostname)) != 0)
		strlcpy(kernel_params.kp_hostname, "rump",
		    sizeof(kernel_params.kp_hostname));
	return 0;
}
