/*
 * rumpuser_virtif.c: the virtif module (rump/rumpuser_virtif.h) on
 * pthreads, over a TAP device (platform/posixhost/posixhost_tap.c).  The
 * receiving thread blocks in ppoll(2) on the TAP descriptor and an
 * eventfd that rumpuser_virtif_dying() rings, its virtual CPU released;
 * reads and the upcall run with the virtual CPU held.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/eventfd.h>

#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <rump/rumpuser_virtif.h>

#include "rumpuser_posix.h"

/* Frames delivered per recv at most: bounds the time the receiving
 * thread holds its virtual CPU without looking around. */
#define VIRTIF_BATCH	64

struct rumpuser_virtif {
	struct rumpuser__posixhost_tap	 tap;
	int				 wakefd;	/* eventfd */
	int				 dying;		/* atomic */
	rumpuser_virtif_deliver_fn	 deliver;
	void				*cookie;
};

int
rumpuser_virtif_create(const char *devname,
    rumpuser_virtif_deliver_fn deliver, void *cookie,
    struct rumpuser_virtif_info *info, struct rumpuser_virtif **vifp)
{
	struct rumpuser_virtif *vif;
	int error;

	vif = calloc(1, sizeof(*vif));
	if (vif == NULL)
		return RUMPUSER__NB_ENOMEM;
	vif->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (vif->wakefd == -1) {
		error = rumpuser__posixhost_errno_to_netbsd(errno);
		free(vif);
		return error;
	}
	RUMPUSER__BLOCKING(error = rumpuser__posixhost_tap_open(devname,
	    info->vi_want, &vif->tap));
	if (error != 0) {
		close(vif->wakefd);
		free(vif);
		return error;
	}
	vif->deliver = deliver;
	vif->cookie = cookie;
	info->vi_mtu = vif->tap.tp_mtu;
	info->vi_have = vif->tap.tp_have;
	*vifp = vif;
	return 0;
}

int
rumpuser_virtif_send(struct rumpuser_virtif *vif,
    const struct rumpuser_iovec *iov, size_t iovcnt)
{

	if (__atomic_load_n(&vif->dying, __ATOMIC_ACQUIRE))
		return RUMPUSER__NB_ENXIO;
	return rumpuser__posixhost_tap_send(&vif->tap, iov, iovcnt);
}

/* Hands what has arrived to the upcall: how many, or -1 if the device
 * is gone. */
static int
virtif_deliver_ready(struct rumpuser_virtif *vif)
{
	struct rumpuser_iovec iov;
	size_t len;
	int n, error;

	for (n = 0; n < VIRTIF_BATCH; n++) {
		error = rumpuser__posixhost_tap_read(&vif->tap, &len);
		if (error == RUMPUSER__NB_EAGAIN)
			break;
		if (error != 0)
			return -1;
		iov.iov_base = vif->tap.tp_buf;
		iov.iov_len = len;
		vif->deliver(vif->cookie, &iov, 1, len);
	}
	return n;
}

int
rumpuser_virtif_recv(struct rumpuser_virtif *vif, uint64_t timeout_ns)
{
	struct pollfd pfd[2];
	struct timespec ts;
	int n, rv;

	if (__atomic_load_n(&vif->dying, __ATOMIC_ACQUIRE))
		return RUMPUSER__NB_ENXIO;
	if ((n = virtif_deliver_ready(vif)) != 0)
		return n < 0 ? RUMPUSER__NB_ENXIO : 0;
	if (timeout_ns == 0)
		return RUMPUSER__NB_ETIMEDOUT;
	pfd[0] = (struct pollfd){ vif->tap.tp_fd, POLLIN, 0 };
	pfd[1] = (struct pollfd){ vif->wakefd, POLLIN, 0 };
	ts.tv_sec = (time_t)(timeout_ns / 1000000000);
	ts.tv_nsec = (long)(timeout_ns % 1000000000);
	RUMPUSER__BLOCKING(rv = ppoll(pfd, 2, &ts, NULL));
	if (__atomic_load_n(&vif->dying, __ATOMIC_ACQUIRE))
		return RUMPUSER__NB_ENXIO;
	if (rv == 0)
		return RUMPUSER__NB_ETIMEDOUT;
	if ((n = virtif_deliver_ready(vif)) < 0)
		return RUMPUSER__NB_ENXIO;
	return 0;
}

void
rumpuser_virtif_dying(struct rumpuser_virtif *vif)
{
	uint64_t one = 1;

	__atomic_store_n(&vif->dying, 1, __ATOMIC_RELEASE);
	/* Cannot fail short of a counter overflow, which one write per
	 * handle never reaches. */
	if (write(vif->wakefd, &one, sizeof(one)) != (ssize_t)sizeof(one))
		rumpuser__posixhost_abort();
}

void
rumpuser_virtif_destroy(struct rumpuser_virtif *vif)
{

	rumpuser__posixhost_tap_close(&vif->tap);
	close(vif->wakefd);
	free(vif);
}
