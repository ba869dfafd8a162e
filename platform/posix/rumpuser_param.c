/*
 * rumpuser_param.c: configuration the kernel asks the host for.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include <rump/rumpuser.h>

#include "rumpuser_posix.h"

/* Copies value including its NUL, or reports E2BIG without truncating:
 * a silently cut parameter would be misread. */
static int
putparam(const char *value, void *buf, size_t buflen)
{
	size_t len;

	len = strlen(value) + 1;
	if (buf == NULL || len > buflen)
		return RUMPUSER__NB_E2BIG;
	memcpy(buf, value, len);
	return 0;
}

int
rumpuser_getparam(const char *name, void *buf, size_t buflen)
{
	char tmp[64];
	const char *value;
	long ncpu;

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
		return putparam(value, buf, buflen);
	}
	if (strcmp(name, RUMPUSER_PARAM_HOSTNAME) == 0) {
		value = getenv("RUMP_HOSTNAME");
		if (value == NULL) {
			snprintf(tmp, sizeof(tmp), "rump-%ld", (long)getpid());
			value = tmp;
		}
		return putparam(value, buf, buflen);
	}
	/* Other '_' names are reserved for the platform: none is known,
	 * and the host environment must not fake them. */
	if (name[0] == '_')
		return RUMPUSER__NB_ENOENT;
	value = getenv(name);
	if (value == NULL)
		return RUMPUSER__NB_ENOENT;
	return putparam(value, buf, buflen);
}
