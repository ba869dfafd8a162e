/*
 * rumpuser_mem.c: memory for the kernel, from the backend.
 */
#include <common/types.h>

#include <rump/rumpuser.h>

#include "backend.h"
#include "rumpuser_common.h"

int
rumpuser_malloc(size_t len, int alignment, void **memp)
{
	void *mem;

	if (alignment < 0 || (alignment & (alignment - 1)) != 0)
		return NB_EINVAL;
	mem = rumpuser__backend_malloc(len, (size_t)alignment);
	if (mem == NULL)
		return NB_ENOMEM;
	*memp = mem;
	return 0;
}

void
rumpuser_free(void *mem, size_t len)
{

	rumpuser__backend_free(mem, len);
}

int
rumpuser_anonmmap(void *prefaddr, size_t size, int alignbit, int exec,
    void **memp)
{
	size_t align;

	align = alignbit > 0 && alignbit < (int)(sizeof(size_t) * 8) ?
	    (size_t)1 << alignbit : 0;
	return rumpuser__backend_pages_alloc(prefaddr, size, align,
	    exec ? RUMPUSER__PAGES_EXEC : 0, memp);
}

void
rumpuser_unmap(void *addr, size_t len)
{

	rumpuser__backend_pages_free(addr, len, 0);
}
