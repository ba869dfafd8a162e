/*
 * posixhost_tap.c: TAP devices, the host half of the virtif module
 * (rump/rumpuser_virtif.h) that platform/posix and platform/fiber share.
 *
 * A TAP device is opened through /dev/net/tun with TUNSETIFF, IFF_TAP
 * (Ethernet frames) and IFF_NO_PI (no packet-information prefix): each
 * read() returns one whole frame, each write() sends one.  The device
 * must exist in the network namespace of the process (or the process
 * must have CAP_NET_ADMIN there, and then it makes one that lasts as long
 * as the descriptor).
 *
 * Offloads: when the kernel asks, the device is opened with IFF_VNET_HDR
 * (every frame carries virtio-net's 10-byte header, the module's struct
 * rumpuser_virtif_vnethdr) and TUNSETOFFLOAD tells Linux what it may
 * hand us: partial checksums (TUN_F_CSUM) and, for LRO4 and LRO6, whole
 * TCP/IPv4 and TCP/IPv6 segments of up to 64 KiB (TUN_F_TSO4,
 * TUN_F_TSO6) -- the Linux stack then skips
 * cutting and checksumming them, and one read carries what would be 45
 * frames.  Large segments we write are cut by Linux (or, delivered
 * locally, never cut at all), whatever TUNSETOFFLOAD said.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <linux/if.h>
#include <linux/if_tun.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "posixhost.h"

#include <rump/rumpuser_virtif.h>

_Static_assert(sizeof(struct rumpuser_virtif_vnethdr) == 10,
    "virtio-net's legacy header is 10 bytes, the TAP default");

int
rumpuser__posixhost_tap_open(const char *name, uint32_t want,
    struct rumpuser__posixhost_tap *tp)
{
	struct ifreq ifr;
	unsigned int off;
	int fd, s, error;

	if (name == NULL || name[0] == '\0' || strlen(name) >= IFNAMSIZ)
		return RUMPUSER__NB_EINVAL;
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1)
		return rumpuser__posixhost_errno_to_netbsd(errno);
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, name);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	if (want & RUMPUSER_VIRTIF_OFF_VNETHDR)
		ifr.ifr_flags |= IFF_VNET_HDR;
	if (ioctl(fd, TUNSETIFF, &ifr) == -1) {
		error = errno;
		close(fd);
		/* Linux says EPERM both for "no such device, and you may not
		 * make one" and for "someone else's"; EBUSY for "attached
		 * elsewhere". */
		return rumpuser__posixhost_errno_to_netbsd(error);
	}
	tp->tp_have = 0;
	if (want & RUMPUSER_VIRTIF_OFF_VNETHDR) {
		/* Writing large segments needs nothing more; what Linux
		 * may hand us, it must be told. */
		tp->tp_have = RUMPUSER_VIRTIF_OFF_VNETHDR |
		    (want & (RUMPUSER_VIRTIF_OFF_TSO4 |
		    RUMPUSER_VIRTIF_OFF_TSO6));
		off = TUN_F_CSUM;
		if (want & RUMPUSER_VIRTIF_OFF_LRO4)
			off |= TUN_F_TSO4;
		if (want & RUMPUSER_VIRTIF_OFF_LRO6)
			off |= TUN_F_TSO6;
		if (ioctl(fd, TUNSETOFFLOAD, off) == 0)
			tp->tp_have |= want & (RUMPUSER_VIRTIF_OFF_LRO4 |
			    RUMPUSER_VIRTIF_OFF_LRO6);
		else	/* then at least partial checksums, or nothing */
			(void)ioctl(fd, TUNSETOFFLOAD, TUN_F_CSUM);
	}
	/* The MTU the host side uses is what the link carries. */
	tp->tp_mtu = 1500;
	if ((s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) != -1) {
		if (ioctl(s, SIOCGIFMTU, &ifr) == 0 && ifr.ifr_mtu > 0)
			tp->tp_mtu = (uint32_t)ifr.ifr_mtu;
		close(s);
	}
	if (tp->tp_mtu > RUMPUSER__TAP_BUFSIZE - 256)
		tp->tp_mtu = RUMPUSER__TAP_BUFSIZE - 256;
	if ((tp->tp_buf = malloc(RUMPUSER__TAP_BUFSIZE)) == NULL) {
		close(fd);
		return RUMPUSER__NB_ENOMEM;
	}
	tp->tp_fd = fd;
	return 0;
}

int
rumpuser__posixhost_tap_send(struct rumpuser__posixhost_tap *tp,
    const struct rumpuser_iovec *iov, size_t iovcnt)
{
	struct iovec hiov[16];
	size_t i, len = 0;
	ssize_t n;

	if (iovcnt > 16)
		return RUMPUSER__NB_EMSGSIZE;
	for (i = 0; i < iovcnt; i++) {
		hiov[i].iov_base = iov[i].iov_base;
		hiov[i].iov_len = iov[i].iov_len;
		len += iov[i].iov_len;
	}
	if (len > (tp->tp_have & (RUMPUSER_VIRTIF_OFF_TSO4 |
	    RUMPUSER_VIRTIF_OFF_TSO6) ?
	    sizeof(struct rumpuser_virtif_vnethdr) + 14 + 40 + 65535 :
	    (size_t)tp->tp_mtu + 14 + (tp->tp_have &
	    RUMPUSER_VIRTIF_OFF_VNETHDR ?
	    sizeof(struct rumpuser_virtif_vnethdr) : 0)))
		return RUMPUSER__NB_EMSGSIZE;
	do
		n = writev(tp->tp_fd, hiov, (int)iovcnt);
	while (n == -1 && errno == EINTR);
	if (n >= 0)
		return 0;
	switch (errno) {
	case EAGAIN:
	case ENOMEM:
	case ENOBUFS:
	case EIO:		/* the host side is down: no one hears it */
		return RUMPUSER__NB_ENOBUFS;
	case EINVAL:
	case EMSGSIZE:
		return RUMPUSER__NB_EMSGSIZE;
	default:
		return RUMPUSER__NB_ENXIO;
	}
}

int
rumpuser__posixhost_tap_read(struct rumpuser__posixhost_tap *tp,
    size_t *lenp)
{
	ssize_t n;

	do
		n = read(tp->tp_fd, tp->tp_buf, RUMPUSER__TAP_BUFSIZE);
	while (n == -1 && errno == EINTR);
	if (n >= 0) {
		*lenp = (size_t)n;
		return 0;
	}
	if (errno == EAGAIN)
		return RUMPUSER__NB_EAGAIN;
	return RUMPUSER__NB_ENXIO;
}

void
rumpuser__posixhost_tap_close(struct rumpuser__posixhost_tap *tp)
{

	rumpuser__posixhost_close(tp->tp_fd);
	free(tp->tp_buf);
	tp->tp_fd = -1;
	tp->tp_buf = NULL;
}
