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
 * end of the ring to its start.  Positions are ever growing byte counts
 * (the ring offset is pos % sb_ringsize).
 *
 * Writing.  Writers take sb_lock, a spin lock (0 free, 1 held, atomic
 * exchange), to append one record at sb_wpos: first sb_wresv is set to
 * the end of the new record (followed by a release fence), then the
 * record is copied in, then sb_wpos is set to sb_wresv with a release
 * store.  Between records sb_wresv == sb_wpos.
 *
 * Reading needs no lock, so that readers never hold up writers (nor one
 * another).  A reader keeps its own position rpos and reads sb_wpos with
 * an acquire load: every record below it is complete.  A record at rpos
 * is still intact after it was copied out only if no writer has reserved
 * the ring space it lies in again, i.e. if sb_wresv - rpos <=
 * sb_ringsize, read after the copy (behind an acquire fence).  When that
 * fails, or when the reader finds itself more than a ring behind
 * sb_wpos, it was lapped: it skips to sb_wpos, and the frames in between
 * are lost, as on a congested wire.  A record whose length is impossible
 * is treated the same way.
 *
 * Waking.  Each station (one interface on the bus) has a number, handed
 * out from sb_nextid, and sleeps on the doorbell of slot number %
 * SHMIF_NSLOTS.  A reader that found nothing to read adds itself to
 * sl_sleepers, looks at sb_wpos once more, and sleeps with
 * rumpuser_shmif_wait() while sl_bell keeps the value it read before.
 * A writer, after publishing sb_wpos, looks at every slot's sl_sleepers
 * and, where it is non-zero, increments sl_bell and calls
 * rumpuser_shmif_wake() on it.  Both sides' store-then-load pairs are
 * sequentially consistent, so either the writer sees the sleeper or the
 * sleeper sees the new frame.  A writer skips its own slot while
 * sl_shared is 0: its own frames are nothing for its own reader.  A
 * station that finds its slot's sl_owner set when it attaches (more than
 * SHMIF_NSLOTS stations have come to this bus) sets sl_shared, and from
 * then on every writer rings that slot whenever someone sleeps there.
 * Writers look only at slots 0..min(sb_nextid, SHMIF_NSLOTS - 1).
 *
 * A zero-filled file is a valid empty bus: the first kernel to take the
 * lock fills in the header.  Version 1 buses (one global notification)
 * are refused.
 */
#ifndef SHMIF_BUS_H
#define SHMIF_BUS_H

#include <kern/types.h>

#define SHMIF_MAGIC	0x53484d42	/* "SHMB" */
#define SHMIF_VERSION	2
#define SHMIF_DATAOFF	4096
#define SHMIF_RINGSIZE	(4u << 20)
#define SHMIF_BUSSIZE	(SHMIF_DATAOFF + SHMIF_RINGSIZE)
#define SHMIF_MAXFRAME	(14 + 65535)	/* Ethernet header + largest MTU */
#define SHMIF_NSLOTS	64

/* The index of sb_wpos's low 32 bits as a uint32_t[2]: the word a
 * reader polls for a change before it sleeps. */
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define SHMIF_WPOS_LOW	1
#else
#define SHMIF_WPOS_LOW	0
#endif

/* A station's doorbell. */
struct shmif_slot {
	uint32_t	sl_bell;	/* futex word: rung by writers */
	uint32_t	sl_sleepers;	/* readers sleeping (or about to) */
	uint32_t	sl_rung;	/* 1: rung since a sleeper last looked */
	uint32_t	sl_owner;	/* the last station given this slot */
	uint32_t	sl_shared;	/* 1: two stations have had it */
	uint32_t	sl_pad[3];
};

struct shmif_bus_hdr {
	uint32_t	sb_magic;
	uint32_t	sb_version;
	uint32_t	sb_lock;
	uint32_t	sb_ringsize;
	uint64_t	sb_nextid;	/* station ids handed out */
	uint8_t		sb_pad0[40];
	/* Written by writers only, on a cache line of their own. */
	uint64_t	sb_wpos;	/* end of the last complete record */
	uint64_t	sb_wresv;	/* end of the record being written */
	uint8_t		sb_pad1[48];
	struct shmif_slot sb_slot[SHMIF_NSLOTS];
};

_Static_assert(sizeof(struct shmif_bus_hdr) <= SHMIF_DATAOFF,
    "the bus header must fit in front of the ring");

struct shmif_frame {
	uint32_t	sf_len;		/* bytes of frame */
	uint32_t	sf_sender;	/* station id of the writer */
};

#endif /* SHMIF_BUS_H */
