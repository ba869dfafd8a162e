/*
 * copy.c: moving data between client and kernel memory.  Every client is
 * local for now (same address space).  When the platform offers the
 * fault-catching copies of <rump/rumpuser_fcopy.h>, a copy goes through
 * them and a bad pointer gives EFAULT, as on Linux; without them a copy
 * is a memcpy and a NULL pointer is the one bad address told apart.
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/hyp.h>
#include <kern/libkern.h>
#include <kern/syscall.h>

#include <rump/rumpuser_fcopy.h>

/* Weak: a platform without the module still links (the address is then
 * NULL), and the kernel keeps the plain copies. */
extern __typeof__(rumpuser_fcopyin) rumpuser_fcopyin __attribute__((__weak__));
extern __typeof__(rumpuser_fcopyout) rumpuser_fcopyout __attribute__((__weak__));
extern __typeof__(rumpuser_fcopyinstr) rumpuser_fcopyinstr __attribute__((__weak__));

int
copyin(const void *uaddr, void *kaddr, size_t len)
{

	if (uaddr == NULL && len > 0)
		return EFAULT;
	if (rumpuser_fcopyin != NULL)
		return hyp_errno(rumpuser_fcopyin(uaddr, kaddr, len));
	memcpy(kaddr, uaddr, len);
	return 0;
}

int
copyout(const void *kaddr, void *uaddr, size_t len)
{

	if (uaddr == NULL && len > 0)
		return EFAULT;
	if (rumpuser_fcopyout != NULL)
		return hyp_errno(rumpuser_fcopyout(kaddr, uaddr, len));
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
	if (rumpuser_fcopyinstr != NULL)
		return hyp_errno(rumpuser_fcopyinstr(s, kaddr, len, done));
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
