/*
 * rumpuser_param.c: configuration the kernel asks for, and the platform's
 * own numeric parameters.
 */
#include <common/types.h>
#include <common/string.h>

#include <rump/rumpuser.h>

#include "backend.h"
#include "rumpuser_common.h"
#include "scheduler.h"

/* Copies value including its NUL, or reports E2BIG without truncating:
 * a silently cut parameter would be misread. */
static int
putparam(const char *value, void *buf, size_t buflen)
{
	size_t len;

	len = str_len(value) + 1;
	if (buf == NULL || len > buflen)
		return NB_E2BIG;
	memcpy(buf, value, len);
	return 0;
}

int
rumpuser_getparam(const char *name, void *buf, size_t buflen)
{
	char value[64];
	int error;

	rumpuser__sched_init();
	if (str_eq(name, RUMPUSER_PARAM_NCPU)) {
		/* One host CPU: more virtual CPUs would only take turns.
		 * RUMP_NCPU may still ask for them ("host" means one). */
		if (rumpuser__backend_param("RUMP_NCPU", value,
		    sizeof(value)) != 0 || str_eq(value, "host"))
			str_copy(value, "1", sizeof(value));
		return putparam(value, buf, buflen);
	}
	if (str_eq(name, RUMPUSER_PARAM_HOSTNAME)) {
		/* Straight into buf: a name of any length the caller has
		 * room for, E2BIG otherwise.  The backend's default names
		 * the instance (its pid, say), which a deterministic run
		 * must not depend on. */
		error = rumpuser__backend_param("RUMP_HOSTNAME", buf, buflen);
		if (error == NB_ENOENT && !rumpuser__sched_deterministic)
			error = rumpuser__backend_param("_RUMPUSER_HOSTNAME",
			    buf, buflen);
		if (error == NB_ENOENT)
			error = putparam("rump", buf, buflen);
		return error;
	}
	/* Other '_' names are reserved for the platform: none is known,
	 * and the host configuration must not fake them. */
	if (name[0] == '_')
		return NB_ENOENT;
	return rumpuser__backend_param(name, buf, buflen);
}

uint64_t
rumpuser__param_number(const char *name, uint64_t def)
{
	char value[32];
	const char *p = value;
	uint64_t n = 0, digit;
	unsigned int shift = 0;

	if (rumpuser__backend_param(name, value, sizeof(value)) != 0)
		return def;
	if (*p < '0' || *p > '9')
		return def;
	while (*p >= '0' && *p <= '9') {
		digit = (uint64_t)(*p++ - '0');
		if (n > (UINT64_MAX - digit) / 10)
			return def;
		n = n * 10 + digit;
	}
	switch (*p) {
	case 'k': case 'K':
		shift = 10;
		break;
	case 'm': case 'M':
		shift = 20;
		break;
	case 'g': case 'G':
		shift = 30;
		break;
	default:
		break;
	}
	if (shift != 0) {
		if (n > UINT64_MAX >> shift)
			return def;
		n <<= shift;
		p++;
	}
	return *p == '\0' ? n : def;
}
