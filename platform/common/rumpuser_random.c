/*
 * rumpuser_random.c: entropy: the backend's, or in deterministic mode the
 * scheduler's seeded generator, so that runs repeat exactly.
 */
#include <common/types.h>
#include <common/string.h>

#include <rump/rumpuser.h>

#include "backend.h"
#include "rumpuser_common.h"
#include "scheduler.h"

int
rumpuser_getrandom(void *buf, size_t buflen, int flags, size_t *retp)
{
	unsigned char *p = buf;
	uint64_t r;
	size_t n;

	rumpuser__sched_init();
	if (!rumpuser__sched_deterministic)
		return rumpuser__backend_random(buf, buflen, flags, retp);
	for (n = 0; n < buflen; n += sizeof(r)) {
		r = rumpuser__sched_prng();
		memcpy(p + n, &r, buflen - n < sizeof(r) ? buflen - n :
		    sizeof(r));
	}
	*retp = buflen;
	return 0;
}
