/*
 * fiber_io.c: file and block I/O without blocking the host thread: each
 * request goes to the kernel through io_uring and completes while other
 * rump threads run; fiber_wait.c collects the completions.
 *
 * Where io_uring cannot be set up (an old kernel, a sandbox, sysctl
 * kernel.io_uring_disabled) or RUMP_IO_URING=0 asks for it, requests are
 * performed synchronously, after a one-line warning: correct, but the
 * platform stands still for each transfer.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include <liburing.h>

#include "fiber.h"

/* Submission queue entries; the completion queue is twice as large, and
 * the kernel keeps overflowing completions rather than dropping them. */
#define RING_ENTRIES	256

static struct io_uring ring;
static enum { RING_UNTRIED, RING_READY, RING_UNAVAILABLE } ring_state;
static unsigned int inflight;

static bool
ring_ready(void)
{
	const char *want;
	int error;

	if (ring_state == RING_UNTRIED) {
		want = getenv("RUMP_IO_URING");
		if (want != NULL && strcmp(want, "0") == 0) {
			ring_state = RING_UNAVAILABLE;
		} else if ((error = io_uring_queue_init(RING_ENTRIES, &ring,
		    0)) < 0) {
			rumpuser__fiber_warn("io_uring unavailable (%s): host "
			    "I/O is synchronous", strerror(-error));
			ring_state = RING_UNAVAILABLE;
		} else {
			ring_state = RING_READY;
		}
	}
	return ring_state == RING_READY;
}

/* The host kernel wrote n bytes into io's buffers behind valgrind's back
 * (fiber.h): they are data now, not uninitialised memory. */
static void
io_mark_read(const struct rumpuser__io *io, size_t n)
{
#ifdef FIBER_VALGRIND
	for (int i = 0; i < io->io_iovcnt && n > 0; i++) {
		size_t len = io->io_iov[i].iov_len < n ? io->io_iov[i].iov_len : n;

		VALGRIND_MAKE_MEM_DEFINED(io->io_iov[i].iov_base, len);
		n -= len;
	}
#else
	(void)io;
	(void)n;
#endif
}

/* The synchronous way: exactly what the asynchronous one would do. */
static void
io_perform(struct rumpuser__io *io)
{

	io->io_transferred = 0;
	switch (io->io_op) {
	case RUMPUSER__IO_READ:
	case RUMPUSER__IO_WRITE:
		io->io_error = rumpuser__posixhost_transfer(io->io_fd,
		    io->io_op == RUMPUSER__IO_WRITE, io->io_iov, io->io_iovcnt,
		    io->io_off, &io->io_transferred);
		break;
	case RUMPUSER__IO_SYNC:
	case RUMPUSER__IO_DATASYNC:
		io->io_error = rumpuser__posixhost_sync(io->io_fd,
		    io->io_op == RUMPUSER__IO_DATASYNC);
		break;
	default:
		io->io_error = RUMPUSER__NB_EINVAL;
		break;
	}
}

static void
complete_now(struct rumpuser__io *io)
{

	io_perform(io);
	rumpuser__io_done(io);
}

/* Queues io on the ring; false if there is no room even after pushing
 * what is queued to the kernel. */
static bool
ring_queue(struct rumpuser__io *io)
{
	/* The kernel's iovec goes to the host unchanged: posixhost_io.c
	 * asserts that it is struct iovec. */
	const struct iovec *iov = (const struct iovec *)(const void *)io->io_iov;
	struct io_uring_sqe *sqe;
	/* io_uring reads "offset -1" as "the file position". */
	uint64_t off = io->io_off == RUMPUSER_IOV_NOSEEK ? (uint64_t)-1 :
	    (uint64_t)io->io_off;

	if ((sqe = io_uring_get_sqe(&ring)) == NULL) {
		io_uring_submit(&ring);
		if ((sqe = io_uring_get_sqe(&ring)) == NULL)
			return false;
	}
	switch (io->io_op) {
	case RUMPUSER__IO_READ:
		io_uring_prep_readv(sqe, io->io_fd, iov,
		    (unsigned int)io->io_iovcnt, off);
		break;
	case RUMPUSER__IO_WRITE:
		io_uring_prep_writev(sqe, io->io_fd, iov,
		    (unsigned int)io->io_iovcnt, off);
		break;
	case RUMPUSER__IO_SYNC:
		io_uring_prep_fsync(sqe, io->io_fd, 0);
		break;
	default:
		io_uring_prep_fsync(sqe, io->io_fd, IORING_FSYNC_DATASYNC);
		break;
	}
	io_uring_sqe_set_data(sqe, io);
	inflight++;
	return true;
}

void
rumpuser__backend_io_start(struct rumpuser__io *io, int synchronous)
{

	if (io->io_op < RUMPUSER__IO_READ || io->io_op > RUMPUSER__IO_DATASYNC ||
	    synchronous || !ring_ready() || !ring_queue(io)) {
		complete_now(io);
		return;
	}
	/* Submitted at once: the transfer overlaps with whatever runs
	 * next.  A failed submit leaves it queued for the next attempt
	 * (rumpuser__fiber_io_reap). */
	io_uring_submit(&ring);
}

int
rumpuser__fiber_io_pollfd(void)
{

	return ring_state == RING_READY && inflight > 0 ? ring.ring_fd : -1;
}

unsigned int
rumpuser__fiber_io_reap(void)
{
	struct io_uring_cqe *cqe;
	struct rumpuser__io *io;
	unsigned int n = 0;
	int res;

	if (ring_state != RING_READY || inflight == 0)
		return 0;
	if (io_uring_sq_ready(&ring) > 0)
		io_uring_submit(&ring);
	while (io_uring_peek_cqe(&ring, &cqe) == 0) {
		io = io_uring_cqe_get_data(cqe);
		res = cqe->res;
		io_uring_cqe_seen(&ring, cqe);
		inflight--;
		/* A signal cut the transfer short before anything moved:
		 * as the synchronous way does, try again. */
		if (res == -EINTR && ring_queue(io)) {
			io_uring_submit(&ring);
			continue;
		}
		if (res < 0) {
			io->io_error =
			    rumpuser__posixhost_errno_to_netbsd(-res);
			io->io_transferred = 0;
		} else {
			io->io_error = 0;
			io->io_transferred = io->io_op == RUMPUSER__IO_READ ||
			    io->io_op == RUMPUSER__IO_WRITE ? (size_t)res : 0;
			if (io->io_op == RUMPUSER__IO_READ)
				io_mark_read(io, io->io_transferred);
		}
		rumpuser__io_done(io);
		n++;
	}
	return n;
}
