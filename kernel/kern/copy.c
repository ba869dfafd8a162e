/*
 * copy.c: moving data between client and kernel memory.
 *
 * A remote process (a sysproxy client, p_spclient set) lives in another
 * address space: its addresses are only numbers here, never dereferenced,
 * and the platform's rumpuser_sp_copy*() hypercalls fetch or store the
 * bytes in the client, which reports EFAULT for a bad address.  So a
 * remote client can reach kernel memory only through what its system
 * calls name.
 *
 * A local process (the program hosting the kernel, or a thread of it)
 * shares the kernel's address space.  When the platform offers the
 * fault-catching copies of <rump/rumpuser_fcopy.h>, a copy goes through
 * them and a bad pointer gives EFAULT, as on Linux; without them a copy
 * is a memcpy and a NULL pointer is the one bad address told apart.
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/hyp.h>
#include <kern/libkern.h>
#include <kern/syscall.h>
#include <kern/proc.h>

#include <rump/rumpuser_fcopy.h>

#include "kern_private.h"

/* Weak: a platform without the module still links (the address is then
 * NULL), and the kernel keeps the plain copies. */
extern __typeof__(rumpuser_fcopyin) rumpuser_fcopyin __attribute__((__weak__));
extern __typeof__(rumpuser_fcopyout) rumpuser_fcopyout __attribute__((__weak__));
extern __typeof__(rumpuser_fcopyinstr) rumpuser_fcopyinstr __attribute__((__weak__));

static inline void *
remote_client(void)
{

	return curproc->p_spclient;
}

int
copyin(const void *uaddr, void *kaddr, size_t len)
{
	void *client;

	if (len == 0)
		return 0;
	if (uaddr == NULL)
		return EFAULT;
	if ((client = remote_client()) != NULL)
		return hyp_errno(rumpuser_sp_copyin(client, uaddr, kaddr, len));
	if (rumpuser_fcopyin != NULL)
		return hyp_errno(rumpuser_fcopyin(uaddr, kaddr, len));
	memcpy(kaddr, uaddr, len);
	return 0;
}

int
copyout(const void *kaddr, void *uaddr, size_t len)
{
	void *client;

	if (len == 0)
		return 0;
	if (uaddr == NULL)
		return EFAULT;
	if ((client = remote_client()) != NULL)
		return hyp_errno(rumpuser_sp_copyout(client, kaddr, uaddr,
		    len));
	if (rumpuser_fcopyout != NULL)
		return hyp_errno(rumpuser_fcopyout(kaddr, uaddr, len));
	memcpy(uaddr, kaddr, len);
	return 0;
}

int
copyinstr(const void *uaddr, char *kaddr, size_t len, size_t *done)
{
	const char *s = uaddr;
	void *client;
	size_t n;
	int error;

	if (s == NULL) {
		if (done != NULL)
			*done = 0;
		return EFAULT;
	}
	if ((client = remote_client()) != NULL) {
		if (len == 0) {
			if (done != NULL)
				*done = 0;
			return ENAMETOOLONG;
		}
		/* In: the room; out: the bytes copied, NUL included. */
		n = len;
		error = hyp_errno(rumpuser_sp_copyinstr(client, uaddr, kaddr,
		    &n));
		if (error != 0)
			n = error == ENAMETOOLONG ? len : 0;
		if (done != NULL)
			*done = n;
		return error;
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
