/*
 * copy.c: moving data between client and kernel memory.  Every client is
 * local for now (same address space), so a copy is a memcpy; a NULL
 * pointer is the one bad address that can be told apart.
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/libkern.h>
#include <kern/syscall.h>

int
copyin(const void *uaddr, void *kaddr, size_t len)
{

	if (uaddr == NULL && len > 0)
		return EFAULT;
	memcpy(kaddr, uaddr, len);
	return 0;
}

int
copyout(const void *kaddr, void *uaddr, size_t len)
{

	if (uaddr == NULL && len > 0)
		return EFAULT;
	memcpy(uaddr, kaddr, len);
	return 0;
}

int
copyinstr(const void *uaddr, char *kaddr, size_t len, size_t *done)
{
	const char *s = uaddr;
	size_t n;

	if (s == NULL) {
		if (done != NULL)
			*done = 0;
		return EFAULT;
	}
	n = strnlen(s, len);
	if (n == len) {
		/* No NUL within len bytes: copy what fits, report it. */
		memcpy(kaddr, s, len);
		if (done != NULL)
			*done = len;
		return ENAMETOOLONG;
	}
	memcpy(kaddr, s, n + 1);
	if (done != NULL)
		*done = n + 1;
	return 0;
}
