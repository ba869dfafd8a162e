/*
 * dev_mem.c: the memory devices, with Linux's numbers (major 1):
 * null (3), zero (5), full (7), random (8) and urandom (9).  Each
 * registers itself in the character-device switch (vfs/cdev.h) and gets
 * its node in /dev at boot.  None ever blocks, so poll sees them always
 * ready (d_poll NULL).
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/libkern.h>
#include <kern/clock.h>
#include <vfs/vnode.h>
#include <vfs/cdev.h>

#define MEM_MAJOR	1

/* Writes that succeed without keeping anything: the whole uio is
 * consumed. */
static int
mem_swallow(const struct cdevsw *sw, struct uio *uio, int fflag)
{

	(void)sw;
	(void)fflag;
	for (int i = 0; i < uio->uio_iovcnt; i++) {
		uio->uio_iov[i].iov_base =
		    (char *)uio->uio_iov[i].iov_base + uio->uio_iov[i].iov_len;
		uio->uio_iov[i].iov_len = 0;
	}
	uio->uio_offset += (off_t)uio->uio_resid;
	uio->uio_resid = 0;
	return 0;
}

/* null: end of file at once. */
static int
mem_eof(const struct cdevsw *sw, struct uio *uio, int fflag)
{

	(void)sw;
	(void)uio;
	(void)fflag;
	return 0;
}

/* A fault after some bytes reports those (a short read), as Linux. */
static int
mem_partial(struct uio *uio, size_t resid, int error)
{

	return error != 0 && uio->uio_resid != resid ? 0 : error;
}

static int
mem_zeroes(const struct cdevsw *sw, struct uio *uio, int fflag)
{
	size_t resid = uio->uio_resid;

	(void)sw;
	(void)fflag;
	return mem_partial(uio, resid, uiomove_zero(uio->uio_resid, uio));
}

/* full: every write finds the device full. */
static int
mem_nospace(const struct cdevsw *sw, struct uio *uio, int fflag)
{

	(void)sw;
	(void)uio;
	(void)fflag;
	return ENOSPC;
}

/* random, urandom: the kernel's generator, which never blocks (it is
 * seeded from the host's before the kernel boots, kern/cprng.c). */
static int
mem_random(const struct cdevsw *sw, struct uio *uio, int fflag)
{
	uint8_t chunk[256];
	size_t n, resid = uio->uio_resid;
	int error = 0;

	(void)sw;
	(void)fflag;
	while (uio->uio_resid > 0 && error == 0) {
		n = MIN(uio->uio_resid, sizeof(chunk));
		cprng_fill(chunk, n);
		error = uiomove(chunk, n, uio);
	}
	/* Random bytes handed out must not stay behind on the stack. */
	memset(chunk, 0, sizeof(chunk));
	__asm__ __volatile__("" : : "r"(chunk) : "memory");
	return mem_partial(uio, resid, error);
}

static const struct cdevsw mem_null = {
	.d_name = "null", .d_major = MEM_MAJOR, .d_minor = 3,
	.d_read = mem_eof, .d_write = mem_swallow, .d_devnode = 1,
};
static const struct cdevsw mem_zero = {
	.d_name = "zero", .d_major = MEM_MAJOR, .d_minor = 5,
	.d_read = mem_zeroes, .d_write = mem_swallow, .d_devnode = 1,
};
static const struct cdevsw mem_full = {
	.d_name = "full", .d_major = MEM_MAJOR, .d_minor = 7,
	.d_read = mem_zeroes, .d_write = mem_nospace, .d_devnode = 1,
};
static const struct cdevsw mem_rnd = {
	.d_name = "random", .d_major = MEM_MAJOR, .d_minor = 8,
	.d_read = mem_random, .d_write = mem_swallow, .d_devnode = 1,
};
static const struct cdevsw mem_urnd = {
	.d_name = "urandom", .d_major = MEM_MAJOR, .d_minor = 9,
	.d_read = mem_random, .d_write = mem_swallow, .d_devnode = 1,
};

CDEVSW(mem_null);
CDEVSW(mem_zero);
CDEVSW(mem_full);
CDEVSW(mem_rnd);
CDEVSW(mem_urnd);
