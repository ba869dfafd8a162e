/*
 * kmem.h: kernel memory, allocated through rumpuser_malloc.
 *
 * Every allocation is accounted against the kernel's memory limit
 * (parameter RUMP_MEMLIMIT, bytes with optional k/m/g suffix; no limit
 * when unset).  Past the limit, or when the host is out of memory, the
 * allocation fails cleanly: kmem_alloc returns NULL and the caller
 * returns ENOMEM (or ENOSPC where a file system limit applies).  There is
 * no waiting for memory, so the flags only document intent.
 */
#ifndef KERN_KMEM_H
#define KERN_KMEM_H

#include <kern/types.h>

#define KM_SLEEP	0x01
#define KM_NOSLEEP	0x02

void	*kmem_alloc(size_t size, int flags);
void	*kmem_zalloc(size_t size, int flags);
/* size must equal the size given to the allocation. */
void	 kmem_free(void *p, size_t size);
/* Copy of s in kmem (free with kmem_strfree) or NULL. */
char	*kmem_strdup(const char *s, int flags);
void	 kmem_strfree(char *s);

/* Bytes currently allocated and the limit (0: none). */
uint64_t kmem_inuse(void);
uint64_t kmem_limit(void);

#endif /* KERN_KMEM_H */
