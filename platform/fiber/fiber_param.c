/*
 * fiber_param.c: parameters are the process's environment.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fiber.h"

int
rumpuser__backend_param(const char *name, char *buf, size_t buflen)
{
	char hostname[32];
	const char *value;
	size_t len;

	if (strcmp(name, "_RUMPUSER_HOSTNAME") == 0) {
		/* As on the POSIX platform: one name per process. */
		snprintf(hostname, sizeof(hostname), "rump-%ld",
		    (long)getpid());
		value = hostname;
	} else if (name[0] == '_' || (value = getenv(name)) == NULL) {
		return FIBER_NB_ENOENT;
	}
	len = strlen(value) + 1;
	if (buf == NULL || len > buflen)
		return FIBER_NB_E2BIG;
	memcpy(buf, value, len);
	return 0;
}
