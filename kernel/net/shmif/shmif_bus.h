/*
 * shmif_bus.h: the layout of a shmif bus file, shared by every kernel on
 * the segment (and by tools that inspect a bus).  All integers are in the
 * host's byte order: a bus is shared between processes of one machine.
 *
 *   offset 0          struct shmif_bus_hdr (one page)
 *   SHMIF_DATAOFF     the ring: SHMIF_RINGSIZE bytes of frame records
 *
 * A frame record is struct shmif_frame followed by sf_len bytes of
 * Ethernet frame (no FCS), padded to 8 bytes; a record may wrap from the
 * end of the ring to its start.  Writers append at sb_wpos, an ever
 * growing byte count (the ring offset is wpos % SHMIF_RINGSIZE); a reader
 * remembers its own position and, when it finds itself more than a ring
 * behind sb_wpos, skips to sb_wpos (the frames in between are lost, as on
 * a congested wire).
 *
 * Everything is read and written with sb_lock held, a spin lock (0 free,
 * 1 held) taken with an atomic exchange.  sb_gen counts frames written;
 * readers sleep with rumpuser_shmif_wait() on it.  sb_sleepers counts
 * sleeping readers: a writer rings the (costly) wakeup only when it is
 * non-zero.  A zero-filled file is a valid empty bus: the first kernel
 * to take the lock fills in the header.
 */
#ifndef SHMIF_BUS_H
#define SHMIF_BUS_H

#include <kern/types.h>

#define SHMIF_MAGIC	0x53484d42	/* "SHMB" */
#define SHMIF_VERSION	1
#define SHMIF_DATAOFF	4096
#define SHMIF_RINGSIZE	(4u << 20)
#define SHMIF_BUSSIZE	(SHMIF_DATAOFF + SHMIF_RINGSIZE)
#define SHMIF_MAXFRAME	(14 + 65535)	/* Ethernet header + largest MTU */

struct shmif_bus_hdr {
	uint32_t	sb_magic;
	uint32_t	sb_version;
	uint32_t	sb_lock;
	uint32_t	sb_gen;
	uint32_t	sb_sleepers;
	uint32_t	sb_ringsize;
	uint64_t	sb_wpos;
	uint64_t	sb_nextid;	/* station ids handed out */
};

struct shmif_frame {
	uint32_t	sf_len;		/* bytes of frame */
	uint32_t	sf_sender;	/* station id of the writer */
};

#endif /* SHMIF_BUS_H */
