/*
 * cprng.c: random numbers from the hypervisor.  Small requests are served
 * from a pool so that each does not cost a hypercall.
 */
#include <kern/types.h>
#include <kern/libkern.h>
#include <kern/lock.h>
#include <kern/clock.h>
#include <kern/hyp.h>

#include "kern_private.h"

static kmutex_t cprng_lock;
static uint8_t cprng_pool[256];
static size_t cprng_avail;	/* unused bytes at the pool's start */

void
cprng_init(void)
{

	mutex_init(&cprng_lock, MUTEX_DEFAULT);
}

static void
cprng_hyp(void *buf, size_t len)
{
	uint8_t *p = buf;
	size_t got;
	int error;

	while (len > 0) {
		error = rumpuser_getrandom(p, len, RUMPUSER_RANDOM_HARD, &got);
		if (error != 0)
			panic("no random numbers from the host: error %d",
			    hyp_errno(error));
		p += got;
		len -= got;
	}
}

void
cprng_fill(void *buf, size_t len)
{
	uint8_t *p = buf;
	size_t n;

	if (len >= sizeof(cprng_pool) / 2) {
		cprng_hyp(buf, len);
		return;
	}
	mutex_enter(&cprng_lock);
	while (len > 0) {
		if (cprng_avail == 0) {
			cprng_hyp(cprng_pool, sizeof(cprng_pool));
			cprng_avail = sizeof(cprng_pool);
		}
		n = MIN(len, cprng_avail);
		cprng_avail -= n;
		memcpy(p, cprng_pool + cprng_avail, n);
		/* Handed-out bytes must not stay around to be read again. */
		memset(cprng_pool + cprng_avail, 0, n);
		p += n;
		len -= n;
	}
	mutex_exit(&cprng_lock);
}

uint32_t
cprng32(void)
{
	uint32_t v;

	cprng_fill(&v, sizeof(v));
	return v;
}
