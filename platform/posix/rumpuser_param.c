/*
 * rumpuser_param.c: configuration the kernel asks the host for: the
 * environment (platform/posixhost), with this platform's defaults.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rump/rumpuser.h>

#include "rumpuser_posix.h"

int
rumpuser_getparam(const char *name, void *buf, size_t buflen)
{
	char tmp[64];
	const char *value;
	long ncpu;
	int error;

	if (strcmp(name, RUMPUSER_PARAM_NCPU) == 0) {
		/* As many virtual CPUs as the host has, unless RUMP_NCPU
		 * says otherwise ("host" also means the host's count). */
		value = getenv("RUMP_NCPU");
		if (value == NULL || strcmp(value, "host") == 0) {
			ncpu = sysconf(_SC_NPROCESSORS_ONLN);
			if (ncpu < 1)
				ncpu = 1;
			snprintf(tmp, sizeof(tmp), "%ld", ncpu);
			value = tmp;
		}
		return rumpuser__posixhost_param_put(value, buf, buflen);
	}
	if (strcmp(name, RUMPUSER_PARAM_HOSTNAME) == 0) {
		error = rumpuser__posixhost_param("RUMP_HOSTNAME", buf, buflen);
		if (error == RUMPUSER__NB_ENOENT)
			error = rumpuser__posixhost_param("_RUMPUSER_HOSTNAME",
			    buf, buflen);
		return error;
	}
	/* Other '_' names are reserved for the platform: none is known,
	 * and the host environment must not fake them. */
	if (name[0] == '_')
		return RUMPUSER__NB_ENOENT;
	return rumpuser__posixhost_param(name, buf, buflen);
}
