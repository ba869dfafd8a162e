/*
 * rumpuser_mem.c: memory for the kernel.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <unistd.h>

#include <rump/rumpuser.h>

#include "rumpuser_posix.h"

int
rumpuser_malloc(size_t len, int alignment, void **memp)
{
	void *mem;
	int error;

	if (alignment < 0 || (alignment & (alignment - 1)) != 0)
		return RUMPUSER__NB_EINVAL;
	/* posix_memalign() refuses alignments below sizeof(void *), which
	 * malloc() satisfies anyway. */
	if (alignment <= (int)sizeof(void *)) {
		mem = malloc(len);
		if (mem == NULL && len != 0)
			return RUMPUSER__NB_ENOMEM;
	} else {
		error = posix_memalign(&mem, (size_t)alignment, len);
		if (error != 0)
			return rumpuser__posixhost_errno_to_netbsd(error);
	}
	*memp = mem;
	return 0;
}

void
rumpuser_free(void *mem, size_t len)
{

	(void)len;
	free(mem);
}

int
rumpuser_anonmmap(void *prefaddr, size_t size, int alignbit, int exec,
    void **memp)
{
	size_t align, pagesize, maplen, lead, trail;
	uintptr_t start, aligned;
	void *mem;
	int prot;

	prot = PROT_READ | PROT_WRITE | (exec ? PROT_EXEC : 0);
	pagesize = (size_t)sysconf(_SC_PAGESIZE);
	align = alignbit > 0 && alignbit < (int)(sizeof(size_t) * 8) ?
	    (size_t)1 << alignbit : 0;
	if (align <= pagesize) {
		mem = mmap(prefaddr, size, prot, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0);
		if (mem == MAP_FAILED)
			return rumpuser__posixhost_errno_to_netbsd(errno);
		*memp = mem;
		return 0;
	}

	/* mmap() only promises page alignment: over-map, then trim both
	 * ends so that exactly the aligned range stays mapped. */
	if (size > SIZE_MAX - align)
		return RUMPUSER__NB_ENOMEM;
	maplen = size + align;
	mem = mmap(prefaddr, maplen, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return rumpuser__posixhost_errno_to_netbsd(errno);
	start = (uintptr_t)mem;
	aligned = (start + align - 1) & ~(uintptr_t)(align - 1);
	lead = aligned - start;
	trail = maplen - lead - size;
	/* Round the kept length to whole pages so the tail cut is legal. */
	trail -= (pagesize - size % pagesize) % pagesize;
	if (lead != 0)
		munmap(mem, lead);
	if (trail != 0)
		munmap((char *)(aligned + maplen - lead - trail), trail);
	*memp = (void *)aligned;
	return 0;
}

void
rumpuser_unmap(void *addr, size_t len)
{

	if (munmap(addr, len) == -1)
		rumpuser__fatal("munmap", errno);
}
