/*
 * tcp_output.c: deciding what to send and building TCP segments.
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/libkern.h>

#include "in_var.h"
#include "tcp_var.h"

/* Flags each state sends with (RFC 793). */
static const uint8_t tcp_outflags[] = {
	[TCPS_CLOSED] = TH_RST | TH_ACK,
	[TCPS_LISTEN] = 0,
	[TCPS_SYN_SENT] = TH_SYN,
	[TCPS_SYN_RECEIVED] = TH_SYN | TH_ACK,
	[TCPS_ESTABLISHED] = TH_ACK,
	[TCPS_CLOSE_WAIT] = TH_ACK,
	[TCPS_FIN_WAIT_1] = TH_FIN | TH_ACK,
	[TCPS_CLOSING] = TH_FIN | TH_ACK,
	[TCPS_LAST_ACK] = TH_FIN | TH_ACK,
	[TCPS_FIN_WAIT_2] = TH_ACK,
	[TCPS_TIME_WAIT] = TH_ACK,
};

void
tcp_setpersist(struct tcpcb *tp)
{
	uint64_t t = tcp_rto_ns(tp);

	if (t < 200000000ULL)
		t = 200000000ULL;
	if (t > 60000000000ULL)
		t = 60000000000ULL;
	tcp_timer_set(tp, TCPT_PERSIST, t);
}

/* The receive window to advertise, in bytes (not yet scaled). */
uint32_t
tcp_rcvwin(struct tcpcb *tp)
{
	struct socket *so = tp->t_so;
	size_t space = sbspace(&so->so_rcv);
	uint32_t maxwin = (uint32_t)65535 << tp->rcv_scale, win;

	/* Out-of-order data held here will land in so_rcv too. */
	space = space > tp->t_segqlen ? space - tp->t_segqlen : 0;
	win = space > maxwin ? maxwin : (uint32_t)space;
	/* Receiver silly window avoidance (RFC 1122 4.2.3.3): no
	 * window smaller than a segment or a quarter of the buffer,
	 * unless that is what was promised already. */
	if (win < so->so_rcv.sb_hiwat / 4 && win < (uint32_t)tp->t_maxseg)
		win = 0;
	/* Never shrink what was offered. */
	if (SEQ_GT(tp->rcv_adv, tp->rcv_nxt) &&
	    win < tp->rcv_adv - tp->rcv_nxt)
		win = tp->rcv_adv - tp->rcv_nxt;
	return win;
}

/* SACK blocks describing the out-of-order queue, the most recent block
 * first (RFC 2018); returns how many were written (at most max). */
static int
tcp_sack_blocks(struct tcpcb *tp, uint32_t *blk, int max)
{
	struct tcpseg *s;
	int n = 0;
	uint32_t start, end;

	if (tp->t_segq == NULL)
		return 0;
	if (SEQ_LT(tp->t_lastsack_start, tp->t_lastsack_end) &&
	    SEQ_GT(tp->t_lastsack_start, tp->rcv_nxt)) {
		blk[0] = tp->t_lastsack_start;
		blk[1] = tp->t_lastsack_end;
		n = 1;
	}
	for (s = tp->t_segq; s != NULL && n < max;) {
		start = s->ts_seq;
		end = s->ts_seq + s->ts_len;
		for (s = s->ts_next; s != NULL && s->ts_seq == end;
		    s = s->ts_next)
			end += s->ts_len;
		if (n > 0 && blk[0] == start && blk[1] == end)
			continue;
		blk[2 * n] = start;
		blk[2 * n + 1] = end;
		n++;
	}
	return n;
}

/* How many SACK blocks fit beside the other options of a segment that
 * is not a SYN (timestamps take 12 of the 40 bytes). */
static int
tcp_sack_maxblocks(struct tcpcb *tp)
{
	int optlen = (tp->t_flags & TF_REQ_TSTMP) &&
	    (tp->t_flags & TF_RCVD_TSTMP) ? 12 : 0;

	return MIN((TCP_MAXOLEN - optlen - 4) / 8, 4);
}

/*
 * Bytes of SACK option the next segment carries.  t_maxseg already has
 * the timestamp option taken out; the SACK blocks come and go with the
 * receive queue's holes, so each segment's payload is cut by them here
 * (RFC 6691: the MSS counts data and options together).  Without that,
 * every full segment sent while the other direction has a hole would
 * exceed the MTU and leave as IP fragments.
 */
static uint32_t
tcp_sack_optlen(struct tcpcb *tp)
{
	uint32_t blk[8];
	int n;

	if (!(tp->t_flags & TF_SACK) || tp->t_segq == NULL)
		return 0;
	n = tcp_sack_blocks(tp, blk, tcp_sack_maxblocks(tp));
	return n > 0 ? 4 + 8 * (uint32_t)n : 0;
}

/* Builds the options of a segment into opt (TCP_MAXOLEN bytes);
 * returns their length (a multiple of 4). */
static int
tcp_options(struct tcpcb *tp, int flags, uint8_t *opt)
{
	int optlen = 0;
	uint32_t v;

	if (flags & TH_SYN) {
		int mss = tcp_mss_pcb(tp->t_inp);

		opt[0] = TCPOPT_MAXSEG;
		opt[1] = 4;
		opt[2] = (uint8_t)(mss >> 8);
		opt[3] = (uint8_t)mss;
		optlen = 4;
		if ((tp->t_flags & TF_REQ_SCALE) &&
		    (!(flags & TH_ACK) || (tp->t_flags & TF_RCVD_SCALE))) {
			opt[optlen++] = TCPOPT_NOP;
			opt[optlen++] = TCPOPT_WINDOW;
			opt[optlen++] = 3;
			opt[optlen++] = tp->rcv_scale;
		}
		if ((tp->t_flags & TF_REQ_SACK) &&
		    (!(flags & TH_ACK) || (tp->t_flags & TF_SACK))) {
			opt[optlen++] = TCPOPT_NOP;
			opt[optlen++] = TCPOPT_NOP;
			opt[optlen++] = TCPOPT_SACK_PERMITTED;
			opt[optlen++] = 2;
		}
	}
	if ((tp->t_flags & TF_REQ_TSTMP) && !(flags & TH_RST) &&
	    ((flags & TH_SYN && !(flags & TH_ACK)) ||
	    (tp->t_flags & TF_RCVD_TSTMP))) {
		opt[optlen++] = TCPOPT_NOP;
		opt[optlen++] = TCPOPT_NOP;
		opt[optlen++] = TCPOPT_TIMESTAMP;
		opt[optlen++] = 10;
		v = htonl(tcp_now_ms());
		memcpy(opt + optlen, &v, 4);
		v = htonl(tp->ts_recent);
		memcpy(opt + optlen + 4, &v, 4);
		optlen += 8;
	}
	if ((tp->t_flags & TF_SACK) && !(flags & TH_SYN) && tp->t_segq) {
		uint32_t blk[8];
		int n;

		n = tcp_sack_blocks(tp, blk, tcp_sack_maxblocks(tp));
		if (n > 0) {
			opt[optlen++] = TCPOPT_NOP;
			opt[optlen++] = TCPOPT_NOP;
			opt[optlen++] = TCPOPT_SACK;
			opt[optlen++] = (uint8_t)(2 + 8 * n);
			for (int i = 0; i < 2 * n; i++) {
				v = htonl(blk[i]);
				memcpy(opt + optlen, &v, 4);
				optlen += 4;
			}
		}
	}
	return optlen;
}

/* Sends one segment: len bytes of so_snd from offset off (relative to
 * snd_una), with flags, at sequence seq; tso: its payload per piece when
 * the interface is to cut it (TSO), else 0. */
static int
tcp_send_segment_tso(struct tcpcb *tp, uint32_t seq, size_t off, size_t len,
    int flags, uint32_t win, uint16_t tso)
{
	struct inpcb *inp = tp->t_inp;
	struct socket *so = tp->t_so;
	uint8_t opt[TCP_MAXOLEN];
	struct tcphdr *th;
	struct mbuf *m;
	int optlen, error;

	optlen = tcp_options(tp, flags, opt);
	m = m_get(sizeof(*th) + (size_t)optlen + len);
	if (m == NULL)
		return ENOBUFS;
	th = (struct tcphdr *)(void *)m->m_data;
	th->th_sport = inp->inp_lport;
	th->th_dport = inp->inp_fport;
	th->th_seq = htonl(seq);
	th->th_ack = (flags & TH_ACK) ? htonl(tp->rcv_nxt) : 0;
	th->th_x2off = (uint8_t)(((sizeof(*th) + (size_t)optlen) / 4) << 4);
	th->th_flags = (uint8_t)flags;
	/* The window field of a SYN is never scaled (RFC 7323 2.2). */
	th->th_win = htons((uint16_t)((flags & TH_SYN) ? MIN(win, 65535) :
	    MIN(win >> tp->rcv_scale, 65535)));
	th->th_sum = 0;
	th->th_urp = 0;
	memcpy(m->m_data + sizeof(*th), opt, (size_t)optlen);
	if (len > 0)
		(void)sbcopy(&so->so_snd, off, len,
		    m->m_data + sizeof(*th) + optlen);
	m->m_tso_segsz = len > tso ? tso : 0;
	error = in_pcboutput(inp, m, IPPROTO_TCP);
	if (flags & TH_ACK) {
		tp->last_ack_sent = tp->rcv_nxt;
		/* The delayed-ACK timer stays: when it fires with
		 * nothing owed it does nothing (tcp_timer). */
		tp->t_flags &= ~(TF_ACKNOW | TF_DELACK);
		tp->t_segs_unacked = 0;
	}
	return error;
}

static int
tcp_send_segment(struct tcpcb *tp, uint32_t seq, size_t off, size_t len,
    int flags, uint32_t win)
{

	return tcp_send_segment_tso(tp, seq, off, len, flags, win, 0);
}

/*
 * How many bytes of new data one segment may carry: maxseg, or, when the
 * interface toward the peer cuts large segments itself (TSO), as many
 * whole maxseg pieces as fit in one IP packet.  Only new data in the
 * open state goes in large segments (or after the peer's FIN: a server
 * answers a request the client ended with shutdown()): retransmissions
 * and recovery keep to one MSS, so that what is resent is what was
 * lost.
 */
static uint32_t
tcp_tso_len(struct tcpcb *tp, uint32_t maxseg)
{
	struct inpcb *inp = tp->t_inp;
	int tso;

	if ((tp->t_state != TCPS_ESTABLISHED &&
	    tp->t_state != TCPS_CLOSE_WAIT) ||
	    SEQ_LT(tp->snd_nxt, tp->snd_max) ||
	    (tp->t_flags & (TF_FASTRECOVERY | TF_FORCE)) ||
	    (tso = in_pcb_path_tso(inp)) <= 0)
		return maxseg;
	/* Room for the IP and TCP headers with every option. */
	tso -= (in_pcb_isv6(inp) ? 40 : 20) + 60;
	if (tso < 2 * (int)maxseg)
		return maxseg;
	return (uint32_t)tso / maxseg * maxseg;
}

/* The first byte of the next hole the peer has not SACKed, at or after
 * from and below snd_max; 0 length when none. */
static uint32_t
tcp_sack_nexthole(struct tcpcb *tp, uint32_t from, uint32_t *lenp)
{
	uint32_t end = tp->snd_max;

	for (int i = 0; i < tp->t_nsacked; i++) {
		if (SEQ_LEQ(tp->t_sacked[i].start, from) &&
		    SEQ_GT(tp->t_sacked[i].end, from))
			from = tp->t_sacked[i].end;
		else if (SEQ_GT(tp->t_sacked[i].start, from)) {
			end = tp->t_sacked[i].start;
			break;
		}
	}
	/* Nothing above the last SACKed block is a hole yet. */
	if (tp->t_nsacked == 0 ||
	    SEQ_GEQ(from, tp->t_sacked[tp->t_nsacked - 1].end))
		end = from;
	*lenp = SEQ_GT(end, from) ? end - from : 0;
	return from;
}

/*
 * In SACK recovery: resends the next hole the peer reported missing.
 * Returns true when it sent something.
 */
static bool
tcp_sack_output(struct tcpcb *tp, uint32_t win)
{
	uint32_t seq, len;

	if (!(tp->t_flags & TF_SACK) || !(tp->t_flags & TF_FASTRECOVERY) ||
	    tp->t_nsacked == 0)
		return false;
	if (SEQ_LT(tp->t_sack_rxt, tp->snd_una))
		tp->t_sack_rxt = tp->snd_una;
	seq = tcp_sack_nexthole(tp, tp->t_sack_rxt, &len);
	if (len == 0)
		return false;
	len = MIN(len, (uint32_t)tp->t_maxseg - tcp_sack_optlen(tp));
	if (tcp_send_segment(tp, seq, seq - tp->snd_una, len, TH_ACK,
	    win) != 0)
		return false;
	tp->t_sack_rxt = seq + len;
	if (!tcp_timer_pending(tp, TCPT_REXMT))
		tcp_timer_set(tp, TCPT_REXMT, tcp_rto_ns(tp));
	return true;
}

int
tcp_output(struct tcpcb *tp)
{
	struct socket *so = tp->t_so;
	uint32_t sndwin, rcvwin, off, len, adv, maxseg;
	size_t cc;
	int flags, error = 0;
	bool idle, sendalot;
	int loops = 0;

	if (tp->t_flags & TF_DEAD || tp->t_inp == NULL)
		return 0;
	idle = tp->snd_max == tp->snd_una;
again:
	if (++loops > 64)	/* the rest goes on the next ACK or timer */
		return error;
	sendalot = false;
	cc = so->so_snd.sb_cc;
	off = tp->snd_nxt - tp->snd_una;
	sndwin = MIN(tp->snd_wnd, tp->snd_cwnd);
	flags = tcp_outflags[tp->t_state];
	/* Until the peer's SYN is ACKed, the SYN itself takes sequence
	 * space ahead of the data. */
	if (tp->t_state == TCPS_SYN_SENT || tp->t_state == TCPS_SYN_RECEIVED)
		off = 0;
	if (tp->t_flags & TF_FORCE && sndwin == 0)
		sndwin = 1;
	/* Data of ours beyond what has been sent, within the window. */
	if (cc > off && sndwin > off)
		len = (uint32_t)MIN(cc - off, (size_t)(sndwin - off));
	else
		len = 0;
	if (tp->t_state == TCPS_SYN_SENT || tp->t_state == TCPS_SYN_RECEIVED)
		len = 0;	/* no data on SYNs */
	maxseg = (uint32_t)tp->t_maxseg - tcp_sack_optlen(tp);
	if (len > maxseg) {
		/* Whole pieces only: a short tail is Nagle's to judge. */
		len = MIN(len, tcp_tso_len(tp, maxseg)) / maxseg * maxseg;
		sendalot = true;
	}
	/* FIN only with the last byte of data, and only once. */
	if (flags & TH_FIN) {
		if (!(tp->t_flags & TF_NEEDFIN) ||
		    off + len < cc ||
		    ((tp->t_flags & TF_SENTFIN) && tp->snd_nxt == tp->snd_max))
			flags &= ~TH_FIN;
	}
	rcvwin = tcp_rcvwin(tp);

	if (tcp_sack_output(tp, rcvwin))
		goto again;

	/* Should a segment go now? */
	if (len > 0) {
		if (len >= maxseg)
			goto send;
		/* All that is left, and Nagle allows it. */
		if (off + len >= cc &&
		    (idle || (tp->t_flags & TF_NODELAY) ||
		    tp->snd_nxt == tp->snd_una))
			goto send;
		if (tp->t_flags & TF_FORCE)
			goto send;
		if (len >= tp->max_sndwnd / 2 && tp->max_sndwnd > 0)
			goto send;
		/* Retransmitting. */
		if (SEQ_LT(tp->snd_nxt, tp->snd_max))
			goto send;
	}
	/* A window update worth telling: two segments or half the
	 * buffer more than advertised. */
	if (TCPS_HAVEESTABLISHED(tp->t_state) || tp->t_state ==
	    TCPS_SYN_RECEIVED) {
		adv = rcvwin - (SEQ_GT(tp->rcv_adv, tp->rcv_nxt) ?
		    tp->rcv_adv - tp->rcv_nxt : 0);
		if (rcvwin > 0 && !TCPS_HAVERCVDFIN(tp->t_state) &&
		    (adv >= 2 * (uint32_t)tp->t_maxseg ||
		    adv >= so->so_rcv.sb_hiwat / 2))
			goto send;
	}
	if (tp->t_flags & TF_ACKNOW)
		goto send;
	if (flags & (TH_SYN | TH_RST))
		goto send;
	if ((flags & TH_FIN) &&
	    (!(tp->t_flags & TF_SENTFIN) || tp->snd_nxt == tp->snd_una))
		goto send;
	/* Data waits for a window that is zero: probe it. */
	if (cc > off && tp->snd_wnd == 0 &&
	    !tcp_timer_pending(tp, TCPT_REXMT) &&
	    !tcp_timer_pending(tp, TCPT_PERSIST)) {
		tp->t_rxtshift = 0;
		tcp_setpersist(tp);
	}
	/* Whatever happened above (recovery held data back, the
	 * congestion window is full), data in flight always has a
	 * retransmission timer: nothing else would recover its loss. */
	if (tp->snd_una != tp->snd_max && TCPS_HAVERCVDSYN(tp->t_state) &&
	    !tcp_timer_pending(tp, TCPT_REXMT) &&
	    !tcp_timer_pending(tp, TCPT_PERSIST))
		tcp_timer_set(tp, TCPT_REXMT, tcp_rto_ns(tp));
	return 0;

send:
	{
		uint32_t seq = tp->snd_nxt;

		/* A retransmitted SYN or FIN goes at its own number. */
		if ((flags & TH_FIN) && (tp->t_flags & TF_SENTFIN) &&
		    len == 0 && tp->snd_nxt == tp->snd_max)
			seq = tp->snd_max - 1;
		if (flags & TH_SYN)
			seq = tp->iss;
		error = tcp_send_segment_tso(tp, seq, off, len, flags, rcvwin,
		    (uint16_t)maxseg);
		if (error != 0 && error != ENOBUFS) {
			/* Not reachable now: the timer will try again. */
			if (!tcp_timer_pending(tp, TCPT_REXMT) &&
			    tp->snd_max != tp->snd_una)
				tcp_timer_set(tp, TCPT_REXMT, tcp_rto_ns(tp));
			if (error == EHOSTUNREACH || error == ENETUNREACH)
				so->so_error = 0;
			return error;
		}
		if (rcvwin > 0 && SEQ_GT(tp->rcv_nxt + rcvwin, tp->rcv_adv))
			tp->rcv_adv = tp->rcv_nxt + rcvwin;
		if (seq == tp->snd_nxt || (flags & TH_SYN)) {
			uint32_t adv_seq = seq + len;

			if (flags & TH_SYN)
				adv_seq++;
			if (flags & TH_FIN) {
				adv_seq++;
				tp->t_flags |= TF_SENTFIN;
			}
			if (SEQ_GT(adv_seq, tp->snd_nxt))
				tp->snd_nxt = adv_seq;
			if (SEQ_GT(tp->snd_nxt, tp->snd_max)) {
				/* New data: time it, if nothing is timed. */
				if (!tp->t_rtt_active) {
					tp->t_rtt_active = true;
					tp->t_rtseq = seq;
					tp->t_rtstart = getmonotonic_ns();
				}
				tp->snd_max = tp->snd_nxt;
			}
		}
		if (tp->snd_nxt != tp->snd_una || (flags & (TH_SYN | TH_FIN)))
			if (!tcp_timer_pending(tp, TCPT_REXMT) &&
			    !(tp->t_flags & TF_FORCE)) {
				tcp_timer_stop(tp, TCPT_PERSIST);
				tcp_timer_set(tp, TCPT_REXMT, tcp_rto_ns(tp));
			}
		if (tp->t_flags & TF_FORCE)
			return 0;
	}
	if (sendalot)
		goto again;
	return 0;
}
