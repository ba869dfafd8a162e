/*
 * mbuf.h: packet buffers.
 *
 * A packet is one struct mbuf holding its bytes contiguously, with room
 * reserved in front for the headers lower layers prepend: protocols never
 * walk chains, parse headers in place, and a lower layer only moves
 * m_data back.  (Reassembled datagrams and big TCP segments are copied
 * into one buffer; at these sizes a copy is cheaper than chain walking.)
 *
 * Ownership: whoever holds the pointer owns the packet.  Every function
 * that takes an mbuf to send or deliver (if_output, if_transmit,
 * if_input, ip_output, ...) consumes it on every path, success or error.
 * Queues of packets link through m_nextpkt.
 */
#ifndef NET_MBUF_H
#define NET_MBUF_H

#include <kern/types.h>

struct ifnet;

/* Bytes every fresh packet keeps free in front: Ethernet (14, padded to
 * 16) + IPv4 with options (60) + TCP with options (60) fit. */
#define MAX_HDR_ROOM	144

struct mbuf {
	struct mbuf	*m_nextpkt;	/* next packet in a queue */
	uint8_t		*m_data;	/* first byte of the packet */
	size_t		 m_len;		/* bytes from m_data */
	size_t		 m_size;	/* bytes of m_buf */
	int		 m_flags;
#define M_BCAST		0x01	/* received as link-level broadcast */
#define M_MCAST		0x02	/* received as link-level multicast */
#define M_LOOP		0x04	/* looped back by this host */
	struct ifnet	*m_rcvif;	/* interface it arrived on */
	/*
	 * Checksum offload.  On output, protocols set M_CSUM_* for the
	 * checksums they left for the interface to compute (only those
	 * the interface enables in if_csum); on input a driver sets
	 * M_CSUM_*_OK for checksums its hardware verified (the loopback
	 * interface sets them all: nothing crossed a wire).
	 */
	int		 m_csum;
#define M_CSUM_IPv4	0x01
#define M_CSUM_TCPv4	0x02
#define M_CSUM_UDPv4	0x04
#define M_CSUM_IPv4_OK	0x10
#define M_CSUM_TCPv4_OK	0x20
#define M_CSUM_UDPv4_OK	0x40
#define M_CSUM_TCPv6	0x100
#define M_CSUM_UDPv6	0x200
#define M_CSUM_TCPv6_OK	0x400
#define M_CSUM_UDPv6_OK	0x800
	uint16_t	 m_csum_off;	/* offset of the L4 header (output) */
	/* A TCP segment longer than one MSS, made to be cut into pieces
	 * of m_tso_segsz payload bytes (TSO, GSO): by TCP on output, or
	 * as a driver received it (a host's GSO segment, LRO).  It goes
	 * whole to an interface that takes it (if_tso), and IP cuts it in
	 * software for any other (tcp_gso_segment); 0 for an ordinary
	 * packet.  m_tso_type says what the segment is. */
	uint16_t	 m_tso_segsz;
	uint8_t		 m_tso_type;
#define M_TSO_TCPv4	0x01
#define M_TSO_TCPv6	0x02
#define M_TSO_ECN	0x80	/* has CWR set: only its first piece keeps it */
	/* Storage, aligned so that headers built from m_get()'s start
	 * (IPv6's, which has 32-bit fields) are naturally aligned. */
	uint8_t		 m_buf[] __attribute__((__aligned__(8)));
};

/*
 * A packet of len bytes (contents undefined) with at least MAX_HDR_ROOM
 * bytes free in front; NULL when out of memory.
 */
struct mbuf	*m_get(size_t len);
/* A packet holding a copy of len bytes at src. */
struct mbuf	*m_copy_from(const void *src, size_t len);
/* A full copy of m (data and header fields), or NULL. */
struct mbuf	*m_dup(const struct mbuf *m);
void		 m_free(struct mbuf *m);
/* Frees a whole m_nextpkt queue. */
void		 m_freeq(struct mbuf *m);

/* Bytes free in front of m_data. */
static inline size_t
m_leadingspace(const struct mbuf *m)
{
	return (size_t)(m->m_data - m->m_buf);
}

/*
 * Makes room for len bytes in front of the packet and returns the new
 * start.  May move the packet into a bigger buffer, so it takes *mp and
 * updates it; on failure (ENOMEM) frees the packet, sets *mp to NULL and
 * returns NULL.
 */
uint8_t		*m_prepend(struct mbuf **mp, size_t len);
/* Removes len bytes from the front (len > 0) or the back (len < 0). */
void		 m_adj(struct mbuf *m, long len);

/* Packet counts, for tests and leak checks. */
uint64_t	 mbuf_inuse(void);

/* A FIFO of packets with a limit on their number. */
struct mbufq {
	struct mbuf	*mq_head, *mq_tail;
	int		 mq_len, mq_max;
};
void		 mbufq_init(struct mbufq *q, int max);
/* Appends m; when the queue is full frees m and returns ENOBUFS. */
int		 mbufq_enqueue(struct mbufq *q, struct mbuf *m);
struct mbuf	*mbufq_dequeue(struct mbufq *q);
void		 mbufq_purge(struct mbufq *q);

#endif /* NET_MBUF_H */
