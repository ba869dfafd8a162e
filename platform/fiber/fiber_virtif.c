/*
 * fiber_virtif.c: the virtif module (rump/rumpuser_virtif.h) on the
 * fiber platform, over a TAP device (platform/posixhost/posixhost_tap.c).
 * The TAP descriptor is non-blocking and read only when poll says so: a
 * receiving thread with nothing to read watches the descriptor through
 * the event loop and sleeps on a condition variable in the scheduler;
 * the watch handler stops watching (the descriptor stays readable until
 * the thread reads it) and wakes the thread.  The host thread never
 * blocks on the device.
 */
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <rump/rumpuser_virtif.h>

#include "fiber.h"

#define VIRTIF_BATCH	64

struct rumpuser_virtif {
	struct rumpuser__posixhost_tap	 tap;
	struct rumpuser_mtx		*mtx;
	struct rumpuser_cv		*cv;
	int				 watched;
	int				 dying;
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
	/* Opening a TAP device does not wait for anything. */
	error = rumpuser__posixhost_tap_open(devname, info->vi_want, &vif->tap);
	if (error != 0) {
		free(vif);
		return error;
	}
	rumpuser_mutex_init(&vif->mtx, 0);
	rumpuser_cv_init(&vif->cv);
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

	if (vif->dying)
		return RUMPUSER__NB_ENXIO;
	return rumpuser__posixhost_tap_send(&vif->tap, iov, iovcnt);
}

/* From the event loop: must not block or switch. */
static void
virtif_event(void *arg, int revents)
{
	struct rumpuser_virtif *vif = arg;

	(void)revents;
	rumpuser__fiber_unwatch_fd(vif->tap.tp_fd);
	vif->watched = 0;
	rumpuser_cv_broadcast(vif->cv);
}

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
	int n, error;

	if (vif->dying)
		return RUMPUSER__NB_ENXIO;
	if ((n = virtif_deliver_ready(vif)) != 0)
		return n < 0 ? RUMPUSER__NB_ENXIO : 0;
	if (timeout_ns == 0)
		return RUMPUSER__NB_ETIMEDOUT;
	error = rumpuser__fiber_watch_fd(vif->tap.tp_fd, POLLIN, virtif_event,
	    vif);
	if (error != 0)
		return error;
	vif->watched = 1;
	/* Threads switch only when one blocks: the event cannot come
	 * between the watch above and the sleep below. */
	rumpuser_mutex_enter_nowrap(vif->mtx);
	error = rumpuser_cv_timedwait(vif->cv, vif->mtx,
	    (int64_t)(timeout_ns / 1000000000),
	    (int64_t)(timeout_ns % 1000000000));
	rumpuser_mutex_exit(vif->mtx);
	if (vif->watched) {
		rumpuser__fiber_unwatch_fd(vif->tap.tp_fd);
		vif->watched = 0;
	}
	if (vif->dying)
		return RUMPUSER__NB_ENXIO;
	if ((n = virtif_deliver_ready(vif)) < 0)
		return RUMPUSER__NB_ENXIO;
	return n > 0 || error == 0 ? 0 : RUMPUSER__NB_ETIMEDOUT;
}

void
rumpuser_virtif_dying(struct rumpuser_virtif *vif)
{

	vif->dying = 1;
	rumpuser_cv_broadcast(vif->cv);
}

void
rumpuser_virtif_destroy(struct rumpuser_virtif *vif)
{

	if (vif->watched)
		rumpuser__fiber_unwatch_fd(vif->tap.tp_fd);
	rumpuser__posixhost_tap_close(&vif->tap);
	rumpuser_cv_destroy(vif->cv);
	rumpuser_mutex_destroy(vif->mtx);
	free(vif);
}
