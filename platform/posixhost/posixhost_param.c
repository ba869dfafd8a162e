/*
 * posixhost_param.c: parameters are the process's environment.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "posixhost.h"

int
rumpuser__posixhost_param_put(const char *value, void *buf, size_t buflen)
{
	size_t len;

	len = strlen(value) + 1;
	if (buf == NULL || len > buflen)
		return RUMPUSER__NB_E2BIG;
	memcpy(buf, value, len);
	return 0;
}

int
rumpuser__posixhost_param(const char *name, char *buf, size_t buflen)
{
	char hostname[32];
	const char *value;

	if (strcmp(name, "_RUMPUSER_HOSTNAME") == 0) {
		/* One name per process: what a host's tools show for it. */
		snprintf(hostname, sizeof(hostname), "rump-%ld",
		    (long)getpid());
		value = hostname;
	} else if (name[0] == '_' || (value = getenv(name)) == NULL) {
		return RUMPUSER__NB_ENOENT;
	}
	return rumpuser__posixhost_param_put(value, buf, buflen);
}
