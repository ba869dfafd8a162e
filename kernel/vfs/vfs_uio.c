/*
 * vfs_uio.c: moving data between the kernel and the buffers a uio
 * describes (client addresses go through copyin/copyout so that a remote
 * client works too).
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/libkern.h>
#include <kern/syscall.h>
#include <vfs/vnode.h>

int
uiomove(void *buf, size_t n, struct uio *uio)
{
	char *cp = buf;
	struct kiovec *iov;
	size_t cnt;
	int error;

	while (n > 0 && uio->uio_resid > 0) {
		KASSERT(uio->uio_iovcnt > 0);
		iov = uio->uio_iov;
		if (iov->iov_len == 0) {
			uio->uio_iov++;
			uio->uio_iovcnt--;
			continue;
		}
		cnt = MIN(n, iov->iov_len);
		if (uio->uio_segflg == UIO_USERSPACE) {
			if (uio->uio_rw == UIO_READ)
				error = copyout(cp, iov->iov_base, cnt);
			else
				error = copyin(iov->iov_base, cp, cnt);
			if (error != 0)
				return error;
		} else {
			if (uio->uio_rw == UIO_READ)
				memcpy(iov->iov_base, cp, cnt);
			else
				memcpy(cp, iov->iov_base, cnt);
		}
		iov->iov_base = (char *)iov->iov_base + cnt;
		iov->iov_len -= cnt;
		uio->uio_resid -= cnt;
		uio->uio_offset += (off_t)cnt;
		cp += cnt;
		n -= cnt;
	}
	return 0;
}

int
uiomove_zero(size_t n, struct uio *uio)
{
	static const char zeroes[512];
	size_t cnt;
	int error;

	KASSERT(uio->uio_rw == UIO_READ);
	while (n > 0 && uio->uio_resid > 0) {
		cnt = MIN(n, sizeof(zeroes));
		/* uiomove only reads the buffer in this direction. */
		error = uiomove((void *)(uintptr_t)zeroes, cnt, uio);
		if (error != 0)
			return error;
		n -= cnt;
	}
	return 0;
}
