/*
 * rumpuser_virtif.h: the virtual Ethernet interface hypercall module.
 *
 * The virtif network interface (librumpnet_virtif) is a kernel Ethernet
 * interface whose wire is a device of the host: a TAP device on a POSIX
 * host (platform/posix, platform/fiber), a virtio-net device on bare
 * metal (platform/kvm).  Frames cross this interface whole: an Ethernet
 * header and payload, no preamble, no FCS, no device header (a TAP
 * packet-information prefix is the platform's business and never seen
 * by the kernel) -- unless the kernel asks for offloads and the platform
 * grants them (vi_want/vi_have below): then every frame in both
 * directions starts with a struct rumpuser_virtif_vnethdr, virtio-net's
 * header, which carries checksums left to the other side and large TCP
 * segments cut to size by the other side (a TAP device with
 * IFF_VNET_HDR speaks exactly this).
 *
 * Threads.  The kernel drives both directions from its own threads; the
 * platform creates none for it:
 *  - sending: any kernel thread calls rumpuser_virtif_send() with a
 *    frame; the call never sleeps (a full host queue drops the frame, as
 *    a congested wire would);
 *  - receiving: one kernel thread per interface loops in
 *    rumpuser_virtif_recv(), which sleeps until frames are there (its
 *    virtual CPU released while it sleeps) and then hands each one to the
 *    kernel through the receive upcall given at creation, in that same
 *    thread, with the virtual CPU held again.
 * So the upcall always runs in a thread the kernel knows, and a platform
 * without host threads implements recv by sleeping in its scheduler until
 * its event loop (fiber: poll(2) on the TAP descriptor) or its interrupt
 * handler (kvm: the virtqueue's used ring) says there is work; it never
 * blocks the host thread or the CPU.
 *
 * Memory.  Buffers passed in either direction are borrowed for the
 * duration of the call only: send copies or finishes with the kernel's
 * buffers before it returns, and the kernel copies a received frame out
 * of the platform's buffers before the upcall returns.  A platform is
 * free to deliver straight from device memory (virtio receive buffers).
 *
 * Conventions as rumpuser.h: errors are NetBSD errno values, the header
 * includes nothing (include <stdint.h> and <stddef.h>, or the kernel's
 * kern/types.h, first; struct rumpuser_iovec is rumpuser.h's),
 * and a call that blocks releases the caller's virtual CPU while it
 * blocks.  A kernel component that needs this module links only with a
 * platform that has it.
 */
#ifndef RUMP_RUMPUSER_VIRTIF_H
#define RUMP_RUMPUSER_VIRTIF_H

#define RUMPUSER_VIRTIF_VERSION	2

struct rumpuser_virtif;
struct rumpuser_iovec;

/*
 * The receive upcall: one received frame of framelen bytes, in iovcnt
 * (>= 1) pieces whose lengths add up to framelen.  Called by
 * rumpuser_virtif_recv() only, in the thread that called it, holding
 * that thread's virtual CPU.  The pieces are the platform's and valid
 * until the upcall returns; cookie is the one given to create.  The
 * upcall never blocks for long and never calls back into this module
 * for the same interface.
 */
typedef void (*rumpuser_virtif_deliver_fn)(void *cookie,
	    const struct rumpuser_iovec *iov, size_t iovcnt, size_t framelen);

/* What the platform tells the kernel about a new interface. */
struct rumpuser_virtif_info {
	/*
	 * In: an address the kernel proposes (random, locally
	 * administered).  Out: the station address to use: unchanged for a
	 * TAP device (its host-side address belongs to the host's end of
	 * the link), the device's own for virtio-net.
	 */
	uint8_t		vi_hwaddr[6];
	uint8_t		vi_pad[2];
	/* Out: the largest payload (MTU) a frame may carry in either
	 * direction, not counting the 14-byte Ethernet header: a TAP
	 * device's host-side MTU, virtio-net's 1500 or the MTU it
	 * announces. */
	uint32_t	vi_mtu;
	/*
	 * In: the offloads the kernel can use (RUMPUSER_VIRTIF_OFF_*).  Out
	 * (the kernel sets it to 0 first): those the platform grants; a
	 * platform that knows none leaves it 0, and frames are plain.
	 */
	uint32_t	vi_want;
	uint32_t	vi_have;
};

/*
 * Offloads.  VNETHDR: every frame sent and delivered starts with a
 * struct rumpuser_virtif_vnethdr (counted in the lengths; the MTU limit
 * applies to what follows it).  With it alone, a frame sent may leave
 * its TCP or UDP checksum to the host (NEEDS_CSUM), and a frame
 * delivered may come with NEEDS_CSUM (the kernel completes the checksum)
 * or DATA_VALID (the host verified it).  TSO4: a frame sent may be a
 * TCP/IPv4 segment of up to 65535 bytes of IP packet that the host cuts
 * into gso_size pieces (GSO_TCPV4; also needs NEEDS_CSUM).  LRO4: frames
 * delivered may be such segments, larger than the MTU.  TSO6 and LRO6:
 * the same for TCP/IPv6 (GSO_TCPV6; 65535 bytes after the IPv6 header).
 * Checksums (NEEDS_CSUM, DATA_VALID) are those of TCP and UDP over
 * either.
 */
#define RUMPUSER_VIRTIF_OFF_VNETHDR	0x01
#define RUMPUSER_VIRTIF_OFF_TSO4	0x02
#define RUMPUSER_VIRTIF_OFF_LRO4	0x04
#define RUMPUSER_VIRTIF_OFF_TSO6	0x08
#define RUMPUSER_VIRTIF_OFF_LRO6	0x10

/* virtio-net's header (legacy layout, 10 bytes, the host's byte order). */
struct rumpuser_virtif_vnethdr {
	uint8_t		vh_flags;
#define RUMPUSER_VIRTIF_F_NEEDS_CSUM	0x01	/* sum from csum_start, store
						   at csum_start+csum_offset;
						   the field holds the
						   pseudo-header's sum */
#define RUMPUSER_VIRTIF_F_DATA_VALID	0x02	/* checksums verified */
	uint8_t		vh_gso_type;
#define RUMPUSER_VIRTIF_GSO_NONE	0
#define RUMPUSER_VIRTIF_GSO_TCPV4	1
#define RUMPUSER_VIRTIF_GSO_UDP		3
#define RUMPUSER_VIRTIF_GSO_TCPV6	4
#define RUMPUSER_VIRTIF_GSO_ECN		0x80
	uint16_t	vh_hdr_len;	/* Ethernet + IP + TCP header bytes */
	uint16_t	vh_gso_size;	/* payload bytes per piece */
	uint16_t	vh_csum_start;	/* from the Ethernet header's start */
	uint16_t	vh_csum_offset;	/* of the checksum, from csum_start */
};

/*
 * Binds to the host device named devname:
 *  - posix and fiber: a TAP device ("tap0"), attached with IFF_TAP and
 *    no packet information; it is created, for the life of the handle,
 *    when it does not exist and the process may create it;
 *  - kvm: a virtio-net device, by the name the platform's manual gives
 *    ("virtio0" for the first).
 * deliver and cookie are the receive upcall.  info: see above.  Frames
 * flow once this returns: until the kernel calls rumpuser_virtif_recv()
 * they wait in the device's queue (which may drop them when full).
 * *vifp gets the handle.
 * Returns 0, ENOENT (no such device and none can be created), EBUSY (the
 * device is in use by another handle or process), EACCES/EPERM (not
 * allowed), ENOMEM, or another host error.  May block (opening a
 * device); releases the virtual CPU meanwhile.
 */
int	rumpuser_virtif_create(const char *devname,
	    rumpuser_virtif_deliver_fn deliver, void *cookie,
	    struct rumpuser_virtif_info *info, struct rumpuser_virtif **vifp);

/*
 * Sends one frame of the bytes in iov[0..iovcnt) (header included; at
 * most vi_mtu + 14 bytes in all, plus the vnethdr with OFF_VNETHDR, or a
 * segment of up to 65535 bytes of IP packet with OFF_TSO4).  Never sleeps and does not release the
 * virtual CPU.  The caller serializes sends on one handle (a send may run
 * at the same time as rumpuser_virtif_recv() on another thread).
 * Returns 0 (the frame is on its way: the host or device has it or a
 * copy of it), ENOBUFS (55: the device cannot take the frame now, its
 * queue being full or its link down; the frame was dropped), EMSGSIZE
 * (40: too long) or ENXIO (6: the device is gone, or
 * rumpuser_virtif_dying() was called).
 */
int	rumpuser_virtif_send(struct rumpuser_virtif *vif,
	    const struct rumpuser_iovec *iov, size_t iovcnt);

/*
 * Waits up to timeout_ns nanoseconds (0: do not wait) for received
 * frames, then passes the ones that have arrived to the receive upcall,
 * one call each, in arrival order (how many per call is the platform's
 * choice; it delivers at least one when any is there).  Releases the
 * virtual CPU while it waits, holds it while the upcall runs.  Only one
 * thread calls this per handle.  Frames the kernel cannot keep up with
 * are dropped by the device, never queued without bound.
 * Returns 0 (frames delivered, or a spurious wakeup: callers loop),
 * ETIMEDOUT (60: nothing came), or ENXIO (6: rumpuser_virtif_dying() was
 * called, or the device went away; nothing will come any more).
 */
int	rumpuser_virtif_recv(struct rumpuser_virtif *vif, uint64_t timeout_ns);

/*
 * Starts tearing the interface down: a thread sleeping in
 * rumpuser_virtif_recv() on it returns ENXIO promptly, and so does every
 * later recv and send.  May be called from any thread, once.  Never
 * blocks for long.
 */
void	rumpuser_virtif_dying(struct rumpuser_virtif *vif);

/*
 * Releases the device (a TAP device the handle created goes away) and
 * frees the handle.  Called once, after rumpuser_virtif_dying() and
 * after every recv and send call on the handle has returned.
 */
void	rumpuser_virtif_destroy(struct rumpuser_virtif *vif);

#endif /* RUMP_RUMPUSER_VIRTIF_H */
