/*
 * t_net_gso.c: tcp_gso_segment(), the one place that cuts a large TCP
 * segment into segments of one MSS in software (for a forwarded host
 * segment, or TCP's own, that an interface cannot take whole), called
 * directly through its renamed symbol as t_kern_internals does.
 *
 * The kernel's headers are not installed, so struct mbuf's leading
 * fields are mirrored here from kernel/include/net/mbuf.h.  A mirror that
 * went stale fails loudly: the size to cut at would be read as 0 and
 * nothing would be cut.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/types.h>
#include <arpa/inet.h>

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <atf-c.h>

#include <rump/rump.h>

#include "h_rumptest.h"

struct t_mbuf {
	struct t_mbuf	*m_nextpkt;
	uint8_t		*m_data;
	size_t		 m_len;
	size_t		 m_size;
	int		 m_flags;
	void		*m_rcvif;
	int		 m_csum;
	uint16_t	 m_csum_off;
	uint16_t	 m_tso_segsz;
	uint8_t		 m_tso_type;
};
#define M_CSUM_IPv4	0x01
#define M_CSUM_TCPv4	0x02
#define M_TSO_TCPv4	0x01
#define M_TSO_TCPv6	0x02

struct t_mbuf	*rumpns_m_copy_from(const void *src, size_t len);
void		 rumpns_m_free(struct t_mbuf *m);
uint64_t	 rumpns_mbuf_inuse(void);
struct t_mbuf	*rumpns_tcp_gso_segment(struct t_mbuf *m);

#define TH_FIN	0x01
#define TH_SYN	0x02
#define TH_PUSH	0x08
#define TH_ACK	0x10
#define TH_CWR	0x80

#define SEQ0	0xfffff000u	/* wraps within the segment */
#define MSS	1448
#define PAYLOAD	10000		/* 6 pieces of MSS and one of 1312 */
#define TCPHLEN	32		/* with the timestamps option */

static uint8_t pkt[60 + TCPHLEN + PAYLOAD];

/* Builds a TCP segment over IPv4 (v6 false) or IPv6 in pkt; returns its
 * network header length. */
static size_t
build(bool v6, uint8_t flags, size_t paylen)
{
	size_t l3 = v6 ? 40 : 20, i;
	uint8_t *th = pkt + l3;
	uint32_t seq = htonl(SEQ0), ack = htonl(0x01020304);

	memset(pkt, 0, sizeof(pkt));
	if (v6) {
		uint16_t plen = htons((uint16_t)(TCPHLEN + paylen));

		pkt[0] = 0x60;
		memcpy(pkt + 4, &plen, 2);
		pkt[6] = 6;			/* TCP */
		pkt[7] = 64;
		pkt[8] = 0xfd; pkt[23] = 1;	/* fd00::1 */
		pkt[24] = 0xfd; pkt[39] = 2;	/* fd00::2 */
	} else {
		uint16_t len = htons((uint16_t)(20 + TCPHLEN + paylen));
		uint16_t id = htons(0xfff0), off = htons(0x4000);	/* DF */

		pkt[0] = 0x45;
		memcpy(pkt + 2, &len, 2);
		memcpy(pkt + 4, &id, 2);
		memcpy(pkt + 6, &off, 2);
		pkt[8] = 64;
		pkt[9] = 6;
		pkt[12] = 10; pkt[15] = 1;
		pkt[16] = 10; pkt[19] = 2;
	}
	th[0] = 0x30; th[1] = 0x39;		/* ports 12345, 80 */
	th[3] = 80;
	memcpy(th + 4, &seq, 4);
	memcpy(th + 8, &ack, 4);
	th[12] = (TCPHLEN / 4) << 4;
	th[13] = flags;
	th[14] = 0x10;				/* window */
	th[20] = 1; th[21] = 1; th[22] = 8; th[23] = 10;	/* TS */
	for (i = 0; i < paylen; i++)
		pkt[l3 + TCPHLEN + i] = (uint8_t)(i * 7 + 3);
	return l3;
}

static uint32_t
sum16(uint32_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t
fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* Cuts the segment built in pkt and checks every piece. */
static void
check_pieces(bool v6, uint8_t flags)
{
	size_t l3 = build(v6, flags, PAYLOAD), off = 0, n = 0;
	struct t_mbuf *m, *q, *next;
	uint64_t inuse;

	rump_schedule();
	inuse = rumpns_mbuf_inuse();
	m = rumpns_m_copy_from(pkt, l3 + TCPHLEN + PAYLOAD);
	ATF_REQUIRE(m != NULL);
	ATF_REQUIRE_EQ(l3 + TCPHLEN + PAYLOAD, m->m_len);
	ATF_REQUIRE(memcmp(m->m_data, pkt, m->m_len) == 0);
	m->m_tso_segsz = MSS;
	m->m_tso_type = v6 ? M_TSO_TCPv6 : M_TSO_TCPv4;
	q = rumpns_tcp_gso_segment(m);
	ATF_REQUIRE_MSG(q != NULL, "nothing cut");
	for (; q != NULL; q = next, n++) {
		size_t len = off + MSS <= PAYLOAD ? MSS : PAYLOAD - off;
		const uint8_t *p = q->m_data, *th = p + l3;
		bool first = off == 0, last = off + len == PAYLOAD;
		uint32_t seq;
		uint8_t want;

		next = q->m_nextpkt;
		ATF_REQUIRE_EQ_MSG(l3 + TCPHLEN + len, q->m_len, "piece %zu",
		    n);
		/* Headers as the segment's but for what each piece has of
		 * its own. */
		ATF_CHECK(memcmp(th, pkt + l3, 4) == 0);	/* ports */
		ATF_CHECK(memcmp(th + 8, pkt + l3 + 8, 5) == 0);
		/* Window, then urgent pointer and options (the checksum
		 * between them is filled over IPv6). */
		ATF_CHECK(memcmp(th + 14, pkt + l3 + 14, 2) == 0);
		ATF_CHECK(memcmp(th + 18, pkt + l3 + 18, TCPHLEN - 18) == 0);
		memcpy(&seq, th + 4, 4);
		ATF_CHECK_EQ_MSG(SEQ0 + (uint32_t)off, ntohl(seq), "piece %zu",
		    n);
		want = (uint8_t)(flags & ~(TH_FIN | TH_PUSH | TH_CWR));
		if (first)
			want |= flags & TH_CWR;
		if (last)
			want |= flags & (TH_FIN | TH_PUSH);
		ATF_CHECK_EQ_MSG(want, th[13], "piece %zu flags %#x", n,
		    th[13]);
		ATF_CHECK(memcmp(p + l3 + TCPHLEN, pkt + l3 + TCPHLEN + off,
		    len) == 0);
		if (v6) {
			uint32_t sum;

			ATF_CHECK_EQ(TCPHLEN + len,
			    (size_t)(p[4] << 8 | p[5]));
			ATF_CHECK(memcmp(p, pkt, 4) == 0 &&
			    memcmp(p + 6, pkt + 6, 34) == 0);
			/* Pseudo-header and segment sum to all ones. */
			sum = sum16(0, p + 8, 32);
			sum += (uint32_t)(TCPHLEN + len) + 6;
			sum = sum16(sum, th, TCPHLEN + len);
			ATF_CHECK_EQ_MSG(0xffff, fold(sum), "piece %zu", n);
		} else {
			ATF_CHECK_EQ(20 + TCPHLEN + len,
			    (size_t)(p[2] << 8 | p[3]));
			/* Ids count up from the segment's (and wrap). */
			ATF_CHECK_EQ((uint16_t)(0xfff0 + n),
			    (uint16_t)(p[4] << 8 | p[5]));
			ATF_CHECK(p[6] == 0x40 && p[7] == 0);	/* DF kept */
			ATF_CHECK(memcmp(p + 8, pkt + 8, 2) == 0 &&
			    memcmp(p + 12, pkt + 12, 8) == 0);
			/* IP computes both sums (or the interface does). */
			ATF_CHECK_EQ(M_CSUM_IPv4 | M_CSUM_TCPv4, q->m_csum);
		}
		off += len;
		rumpns_m_free(q);
	}
	ATF_CHECK_EQ(7, n);
	ATF_CHECK_EQ(PAYLOAD, off);
	ATF_CHECK_EQ(inuse, rumpns_mbuf_inuse());
	rump_unschedule();
}

ATF_TC_WITHOUT_HEAD(ipv4);
ATF_TC_BODY(ipv4, tc)
{

	boot();
	check_pieces(false, TH_ACK | TH_PUSH | TH_FIN | TH_CWR);
	check_pieces(false, TH_ACK);
}

ATF_TC_WITHOUT_HEAD(ipv6);
ATF_TC_BODY(ipv6, tc)
{

	boot();
	check_pieces(true, TH_ACK | TH_PUSH | TH_FIN | TH_CWR);
	check_pieces(true, TH_ACK | TH_PUSH);
}

/* What is no TCP segment to cut is dropped, and nothing leaks. */
ATF_TC_WITHOUT_HEAD(refused);
ATF_TC_BODY(refused, tc)
{
	struct t_mbuf *m;
	uint64_t inuse;
	size_t l3;
	int i;

	boot();
	rump_schedule();
	inuse = rumpns_mbuf_inuse();
	for (i = 0; i < 7; i++) {
		l3 = build(false, i == 0 ? TH_SYN : TH_ACK, PAYLOAD);
		switch (i) {
		case 1:
			pkt[9] = 17;		/* UDP */
			break;
		case 2:
			pkt[6] |= 0x20;		/* more fragments */
			break;
		case 3:
			pkt[2] = 0;		/* length not the packet's */
			break;
		case 4:
			pkt[l3 + 12] = 0x40;	/* TCP header of 16 bytes */
			break;
		case 5:
			pkt[0] = 0x55;		/* no IP version we know */
			break;
		}
		m = rumpns_m_copy_from(pkt, i == 6 ? 30 :
		    l3 + TCPHLEN + PAYLOAD);
		ATF_REQUIRE(m != NULL);
		m->m_tso_segsz = MSS;
		m->m_tso_type = M_TSO_TCPv4;
		ATF_CHECK_MSG(rumpns_tcp_gso_segment(m) == NULL, "case %d", i);
	}
	ATF_CHECK_EQ(inuse, rumpns_mbuf_inuse());
	rump_unschedule();
}

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, ipv4);
	ATF_TP_ADD_TC(tp, ipv6);
	ATF_TP_ADD_TC(tp, refused);
	return atf_no_error();
}
