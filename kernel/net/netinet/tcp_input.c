/*
 * tcp_input.c: segment arrival (RFC 9293 3.10.7), with the additions
 * listed in tcp_var.h.
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/kmem.h>
#include <kern/libkern.h>

#include "in_var.h"
#include "tcp_var.h"

struct tcpopts {
	int		 to_flags;
#define TOF_MSS		0x01
#define TOF_SCALE	0x02
#define TOF_TS		0x04
#define TOF_SACKPERM	0x08
#define TOF_SACK	0x10
	uint16_t	 to_mss;
	uint8_t		 to_wscale;
	uint32_t	 to_tsval, to_tsecr;
	int		 to_nsacks;
	uint32_t	 to_sacks[8];
};

static void
tcp_dooptions(const uint8_t *cp, int cnt, bool syn, struct tcpopts *to)
{
	int opt, optlen;
	uint32_t v;

	memset(to, 0, sizeof(*to));
	for (; cnt > 0; cnt -= optlen, cp += optlen) {
		opt = cp[0];
		if (opt == TCPOPT_EOL)
			break;
		if (opt == TCPOPT_NOP) {
			optlen = 1;
			continue;
		}
		if (cnt < 2)
			break;
		optlen = cp[1];
		if (optlen < 2 || optlen > cnt)
			break;
		switch (opt) {
		case TCPOPT_MAXSEG:
			if (optlen == 4 && syn) {
				to->to_flags |= TOF_MSS;
				to->to_mss = (uint16_t)(cp[2] << 8 | cp[3]);
			}
			break;
		case TCPOPT_WINDOW:
			if (optlen == 3 && syn) {
				to->to_flags |= TOF_SCALE;
				to->to_wscale = MIN(cp[2], TCP_MAXWINSHIFT);
			}
			break;
		case TCPOPT_SACK_PERMITTED:
			if (optlen == 2 && syn)
				to->to_flags |= TOF_SACKPERM;
			break;
		case TCPOPT_TIMESTAMP:
			if (optlen == 10) {
				to->to_flags |= TOF_TS;
				memcpy(&v, cp + 2, 4);
				to->to_tsval = ntohl(v);
				memcpy(&v, cp + 6, 4);
				to->to_tsecr = ntohl(v);
			}
			break;
		case TCPOPT_SACK:
			if (optlen >= 10 && (optlen - 2) % 8 == 0 && !syn) {
				int n = MIN((optlen - 2) / 8, 4);

				to->to_flags |= TOF_SACK;
				for (int i = 0; i < 2 * n; i++) {
					memcpy(&v, cp + 2 + 4 * i, 4);
					to->to_sacks[i] = ntohl(v);
				}
				to->to_nsacks = n;
			}
			break;
		default:
			break;
		}
	}
}

/* What the SYN (or SYN-ACK) of the peer negotiates. */
static void
tcp_syn_options(struct tcpcb *tp, const struct tcpopts *to)
{
	struct socket *so = tp->t_so;
	int mss;

	tp->t_peermss = (to->to_flags & TOF_MSS) ? MAX(to->to_mss, 64) :
	    TCP_MSS_DEFAULT;
	if ((tp->t_flags & TF_REQ_SCALE) && (to->to_flags & TOF_SCALE)) {
		tp->t_flags |= TF_RCVD_SCALE;
		tp->snd_scale = to->to_wscale;
	} else {
		tp->rcv_scale = 0;
		tp->snd_scale = 0;
	}
	if ((tp->t_flags & TF_REQ_TSTMP) && (to->to_flags & TOF_TS)) {
		tp->t_flags |= TF_RCVD_TSTMP;
		tp->ts_recent = to->to_tsval;
		tp->ts_recent_age = tcp_now_ms();
	}
	if ((tp->t_flags & TF_REQ_SACK) && (to->to_flags & TOF_SACKPERM))
		tp->t_flags |= TF_SACK;
	mss = MIN(tp->t_peermss, tcp_mss_pcb(tp->t_inp));
	if (tp->t_flags & TF_RCVD_TSTMP)
		mss -= 12;
	tp->t_maxseg = MAX(mss, 64);
	tp->snd_cwnd = TCP_INITCWND_SEGS * (uint32_t)tp->t_maxseg;
	(void)so;
}

/* The window scale to ask for: enough for the receive buffer. */
static uint8_t
tcp_rcvscale(struct socket *so)
{
	uint8_t s = 0;

	while (s < TCP_MAXWINSHIFT && ((size_t)65535 << s) < so->so_rcv.sb_hiwat)
		s++;
	return s;
}

/* Records the SACK blocks of an ACK (scoreboard: sorted, merged);
 * true when they told something new (RFC 6675's duplicate ACK). */
static bool
tcp_sack_update(struct tcpcb *tp, const struct tcpopts *to)
{
	uint32_t before = 0, after = 0;
	int i, j;

	/* Forget what is acknowledged now. */
	for (i = j = 0; i < tp->t_nsacked; i++) {
		if (SEQ_LEQ(tp->t_sacked[i].end, tp->snd_una))
			continue;
		if (SEQ_LT(tp->t_sacked[i].start, tp->snd_una))
			tp->t_sacked[i].start = tp->snd_una;
		tp->t_sacked[j++] = tp->t_sacked[i];
	}
	tp->t_nsacked = j;
	if (!(to->to_flags & TOF_SACK))
		return false;
	for (i = 0; i < tp->t_nsacked; i++)
		before += tp->t_sacked[i].end - tp->t_sacked[i].start;
	for (int b = 0; b < to->to_nsacks; b++) {
		uint32_t s = to->to_sacks[2 * b], e = to->to_sacks[2 * b + 1];

		/* Only sane blocks: above snd_una, within what we sent. */
		if (!SEQ_LT(s, e) || SEQ_LEQ(e, tp->snd_una) ||
		    SEQ_GT(e, tp->snd_max))
			continue;
		if (SEQ_LT(s, tp->snd_una))
			s = tp->snd_una;
		/* Insert in order, then merge neighbours. */
		for (i = 0; i < tp->t_nsacked &&
		    SEQ_LT(tp->t_sacked[i].start, s); i++)
			continue;
		if (tp->t_nsacked == TCP_SACKHOLES) {
			if (i == TCP_SACKHOLES)
				continue;
			tp->t_nsacked--;
		}
		for (j = tp->t_nsacked; j > i; j--)
			tp->t_sacked[j] = tp->t_sacked[j - 1];
		tp->t_sacked[i].start = s;
		tp->t_sacked[i].end = e;
		tp->t_nsacked++;
		for (i = 0; i + 1 < tp->t_nsacked;) {
			if (SEQ_GEQ(tp->t_sacked[i].end,
			    tp->t_sacked[i + 1].start)) {
				tp->t_sacked[i].end = SEQ_MAX(
				    tp->t_sacked[i].end,
				    tp->t_sacked[i + 1].end);
				for (j = i + 1; j + 1 < tp->t_nsacked; j++)
					tp->t_sacked[j] = tp->t_sacked[j + 1];
				tp->t_nsacked--;
			} else
				i++;
		}
	}
	for (i = 0; i < tp->t_nsacked; i++)
		after += tp->t_sacked[i].end - tp->t_sacked[i].start;
	return after > before;
}

/* Appends in-order data to the socket; returns false when it did not
 * fit (cannot happen within the window we advertised). */
static bool
tcp_deliver(struct tcpcb *tp, const uint8_t *data, uint32_t len)
{
	struct socket *so = tp->t_so;
	struct sbrec *rec;

	if (len == 0)
		return true;
	if (so->so_state & SS_CANTRCVMORE) {
		/* shutdown(SHUT_RD): Linux discards what still arrives. */
		tp->rcv_nxt += len;
		return true;
	}
	rec = sbrec_alloc(len);
	if (rec == NULL)
		return false;
	memcpy(rec->sr_data, data, len);
	sbappend(&so->so_rcv, rec);
	tp->rcv_nxt += len;
	return true;
}

/* Queues an out-of-order segment; returns false if dropped. */
static bool
tcp_reass_insert(struct tcpcb *tp, uint32_t seq, const uint8_t *data,
    uint32_t len, bool fin)
{
	struct tcpseg **pp, *s, *n;

	if (tp->t_segqlen + len > tp->t_so->so_rcv.sb_hiwat)
		return false;
	/* Trim what the queue already holds at either end. */
	for (pp = &tp->t_segq; (s = *pp) != NULL; pp = &s->ts_next) {
		if (SEQ_GEQ(s->ts_seq, seq))
			break;
		if (SEQ_GT(s->ts_seq + s->ts_len, seq)) {
			uint32_t over = s->ts_seq + s->ts_len - seq;

			if (over >= len && !fin)
				return true;	/* all duplicate */
			over = MIN(over, len);
			seq += over;
			data += over;
			len -= over;
		}
	}
	/* Drop queued segments the new one covers entirely. */
	while ((s = *pp) != NULL &&
	    SEQ_LEQ(s->ts_seq + s->ts_len, seq + len) && !s->ts_fin) {
		*pp = s->ts_next;
		tp->t_segqlen -= s->ts_len;
		kmem_free(s, sizeof(*s) + s->ts_len);
	}
	if (s != NULL && SEQ_LT(s->ts_seq, seq + len)) {
		/* Cut short at the queued segment that goes on from
		 * there: a FIN of the new one lies at its old end, which
		 * that segment (a FIN segment the loop above keeps)
		 * covers, so it is not ours to keep: at the cut it would
		 * end the stream before that segment's data. */
		len = s->ts_seq - seq;
		fin = false;
	}
	if (len == 0 && !fin)
		return true;
	n = kmem_alloc(sizeof(*n) + len, KM_NOSLEEP);
	if (n == NULL)
		return false;
	n->ts_seq = seq;
	n->ts_len = len;
	n->ts_fin = fin;
	memcpy(n->ts_data, data, len);
	n->ts_next = *pp;
	*pp = n;
	tp->t_segqlen += len;
	tp->t_lastsack_start = seq;
	tp->t_lastsack_end = seq + len;
	return true;
}

/* Moves what has become in order from the queue to the socket; returns
 * true when a queued FIN was reached. */
static bool
tcp_reass_pull(struct tcpcb *tp)
{
	struct tcpseg *s;
	bool fin = false;

	while ((s = tp->t_segq) != NULL && SEQ_LEQ(s->ts_seq, tp->rcv_nxt)) {
		uint32_t skip = tp->rcv_nxt - s->ts_seq;

		tp->t_segq = s->ts_next;
		tp->t_segqlen -= s->ts_len;
		if (skip < s->ts_len)
			(void)tcp_deliver(tp, s->ts_data + skip,
			    s->ts_len - skip);
		if (s->ts_fin && skip <= s->ts_len)
			fin = true;
		kmem_free(s, sizeof(*s) + s->ts_len);
		if (fin)
			break;
	}
	return fin;
}

/* Our FIN was acknowledged, or their FIN arrived: the state machine's
 * closing half. */
static struct tcpcb *
tcp_rcvd_fin(struct tcpcb *tp)
{
	struct socket *so = tp->t_so;

	tp->rcv_nxt++;
	tp->t_flags |= TF_ACKNOW;
	socantrcvmore(so);
	switch (tp->t_state) {
	case TCPS_SYN_RECEIVED:
	case TCPS_ESTABLISHED:
		tp->t_state = TCPS_CLOSE_WAIT;
		break;
	case TCPS_FIN_WAIT_1:
		tp->t_state = TCPS_CLOSING;
		break;
	case TCPS_FIN_WAIT_2:
		tp->t_state = TCPS_TIME_WAIT;
		for (int i = 0; i < TCPT_NTIMERS; i++)
			tcp_timer_stop(tp, (enum tcp_timer)i);
		tcp_timer_set(tp, TCPT_2MSL, 2 * TCP_MSL_NS);
		soisdisconnected(so);
		break;
	case TCPS_TIME_WAIT:
		tcp_timer_set(tp, TCPT_2MSL, 2 * TCP_MSL_NS);
		break;
	default:
		break;
	}
	return tp;
}

/*
 * The ACK field of a segment in a synchronized state.  Returns NULL when
 * the connection closed; *dropp set when the segment must go no further.
 */
static struct tcpcb *
tcp_ack(struct tcpcb *tp, const struct tcphdr *th, const struct tcpopts *to,
    uint32_t tlen, uint32_t tiwin, bool *dropp)
{
	struct socket *so = tp->t_so;
	uint32_t ack = ntohl(th->th_ack), acked, flight;
	bool finacked, sacknew = false, partial = false;

	if (tp->t_flags & TF_SACK)
		sacknew = tcp_sack_update(tp, to);
	if (SEQ_LEQ(ack, tp->snd_una)) {
		/* A duplicate ACK: nothing new, no data, same window,
		 * and data outstanding (RFC 5681 section 2); or, with
		 * SACK, one that reports more data held beyond a hole
		 * (RFC 6675), which also works while data flows back. */
		if (((tlen == 0 && tiwin == tp->snd_wnd) || sacknew) &&
		    tp->snd_max != tp->snd_una && ack == tp->snd_una) {
			if (++tp->t_dupacks == 3 &&
			    !(tp->t_flags & TF_FASTRECOVERY) &&
			    SEQ_GT(ack, tp->snd_recover - 1)) {
				uint32_t onxt = tp->snd_nxt;

				/* Fast retransmit (RFC 5681 3.2,
				 * RFC 6582). */
				flight = tp->snd_max - tp->snd_una;
				tp->snd_ssthresh = MAX(flight / 2,
				    2 * (uint32_t)tp->t_maxseg);
				tp->snd_recover = tp->snd_max;
				tp->t_bytes_acked = 0;
				tp->t_flags |= TF_FASTRECOVERY;
				tp->t_rtt_active = false;
				tcp_timer_stop(tp, TCPT_REXMT);
				tp->t_sack_rxt = tp->snd_una;
				if (tp->t_flags & TF_SACK &&
				    tp->t_nsacked > 0) {
					tp->snd_cwnd = tp->snd_ssthresh;
					(void)tcp_output(tp);
				} else {
					tp->snd_nxt = tp->snd_una;
					tp->snd_cwnd = (uint32_t)tp->t_maxseg;
					(void)tcp_output(tp);
					tp->snd_cwnd = tp->snd_ssthresh +
					    3 * (uint32_t)tp->t_maxseg;
					if (SEQ_GT(onxt, tp->snd_nxt))
						tp->snd_nxt = onxt;
				}
				*dropp = true;
				return tp;
			} else if (tp->t_dupacks > 3 &&
			    (tp->t_flags & TF_FASTRECOVERY)) {
				/* Each further duplicate: a segment left
				 * the network. */
				tp->snd_cwnd += (uint32_t)tp->t_maxseg;
				(void)tcp_output(tp);
				*dropp = true;
				return tp;
			}
		} else if (ack != tp->snd_una || tlen != 0 ||
		    tiwin != tp->snd_wnd)
			tp->t_dupacks = 0;
		return tp;
	}
	if (SEQ_GT(ack, tp->snd_max)) {
		/* ACKs something not yet sent: answer with an ACK. */
		tp->t_flags |= TF_ACKNOW;
		*dropp = true;
		return tp;
	}

	/* New data acknowledged. */
	acked = ack - tp->snd_una;
	if (tp->t_flags & TF_FASTRECOVERY) {
		if (SEQ_GEQ(ack, tp->snd_recover)) {
			/* Full ACK: recovery ends (RFC 6582 3.2 step 3). */
			flight = tp->snd_max - ack;
			tp->snd_cwnd = MIN(tp->snd_ssthresh,
			    MAX(flight, (uint32_t)tp->t_maxseg) +
			    (uint32_t)tp->t_maxseg);
			tp->t_flags &= ~TF_FASTRECOVERY;
			tp->t_dupacks = 0;
		} else {
			/* Partial ACK: the next hole is lost too; it is
			 * resent below, once the acknowledged data is
			 * out of the send buffer. */
			partial = !(tp->t_flags & TF_SACK) ||
			    tp->t_nsacked == 0;
			tp->snd_cwnd = tp->snd_cwnd > acked ?
			    tp->snd_cwnd - acked : 0;
			tp->snd_cwnd += (uint32_t)tp->t_maxseg;
		}
	} else {
		tp->t_dupacks = 0;
		/*
		 * Slow start, then congestion avoidance (RFC 5681 3.1),
		 * counting the bytes an ACK covers rather than ACKs (RFC
		 * 3465): a receiver of large segments (LRO/GRO, a TSO
		 * peer over shmif) acknowledges 64 KiB at a time, and
		 * counting its ACKs grew the window by one segment per
		 * 45 acknowledged (slow start) and not at all to speak
		 * of later.  Slow start grows by what was acknowledged,
		 * up to ssthresh, as Linux's; the rest goes to
		 * congestion avoidance: a segment per window
		 * acknowledged.
		 */
		uint32_t grow = acked;

		if (tp->snd_cwnd < tp->snd_ssthresh) {
			uint32_t room = tp->snd_ssthresh - tp->snd_cwnd;

			tp->snd_cwnd += MIN(grow, room);
			grow -= MIN(grow, room);
		}
		if (grow > 0) {
			tp->t_bytes_acked += grow;
			if (tp->t_bytes_acked >= tp->snd_cwnd) {
				tp->t_bytes_acked -= tp->snd_cwnd;
				tp->snd_cwnd += (uint32_t)tp->t_maxseg;
			}
		}
		if (tp->snd_cwnd > (1u << 30))
			tp->snd_cwnd = 1u << 30;
	}

	/* Round trip: from the timestamp echo, else the timed segment. */
	if ((to->to_flags & TOF_TS) && to->to_tsecr != 0 &&
	    (tp->t_flags & TF_RCVD_TSTMP))
		tcp_rtt_update(tp, (int64_t)(uint32_t)(tcp_now_ms() -
		    to->to_tsecr) * 1000 + 1);
	else if (tp->t_rtt_active && SEQ_GT(ack, tp->t_rtseq))
		tcp_rtt_update(tp, (int64_t)((getmonotonic_ns() -
		    tp->t_rtstart) / 1000));
	if (tp->t_rtt_active && SEQ_GT(ack, tp->t_rtseq))
		tp->t_rtt_active = false;
	tp->t_rxtshift = 0;

	finacked = (tp->t_flags & TF_SENTFIN) && ack == tp->snd_max;
	{
		size_t data = acked - (finacked ? 1 : 0);

		if (data > so->so_snd.sb_cc)
			data = so->so_snd.sb_cc;
		sbdrop(&so->so_snd, data, so->so_dom);
		/* A writer is woken once a quarter of the buffer is free
		 * (as Linux's stream write space), not by every ACK: one
		 * woken for a few kilobytes hands us a few kilobytes at a
		 * time, and they go out as many small segments where one
		 * large one (TSO) would do. */
		if (sbspace(&so->so_snd) >= so->so_snd.sb_hiwat / 4 ||
		    so->so_snd.sb_cc == 0)
			sowwakeup(so);
	}
	tp->snd_una = ack;
	if (SEQ_LT(tp->snd_nxt, tp->snd_una))
		tp->snd_nxt = tp->snd_una;
	if (SEQ_LT(tp->snd_recover, tp->snd_una - 1))
		tp->snd_recover = tp->snd_una - 1;
	if (tp->snd_una == tp->snd_max)
		tcp_timer_stop(tp, TCPT_REXMT);
	else
		tcp_timer_set(tp, TCPT_REXMT, tcp_rto_ns(tp));
	if (partial) {
		uint32_t onxt = tp->snd_nxt, ocwnd = tp->snd_cwnd;

		tp->snd_nxt = tp->snd_una;
		tp->snd_cwnd = (uint32_t)tp->t_maxseg;
		(void)tcp_output(tp);
		tp->snd_cwnd = ocwnd;
		if (SEQ_GT(onxt, tp->snd_nxt))
			tp->snd_nxt = onxt;
	}

	if (!finacked)
		return tp;
	switch (tp->t_state) {
	case TCPS_FIN_WAIT_1:
		tp->t_state = TCPS_FIN_WAIT_2;
		/* Nobody can read or write this socket any more: do not
		 * wait forever for the peer's FIN. */
		if (so->so_state & SS_NOFDREF)
			tcp_timer_set(tp, TCPT_2MSL, TCP_FIN_WAIT_2_NS);
		break;
	case TCPS_CLOSING:
		tp->t_state = TCPS_TIME_WAIT;
		for (int i = 0; i < TCPT_NTIMERS; i++)
			tcp_timer_stop(tp, (enum tcp_timer)i);
		tcp_timer_set(tp, TCPT_2MSL, 2 * TCP_MSL_NS);
		soisdisconnected(so);
		break;
	case TCPS_LAST_ACK:
		*dropp = true;
		return tcp_close(tp);
	default:
		break;
	}
	return tp;
}

/* A SYN for listener `head`: a new connection in SYN_RECEIVED. */
static void
tcp_listen_input(struct socket *head, const struct in_conninfo *ic,
    const struct tcphdr *th, const struct tcpopts *to, uint32_t tiwin)
{
	struct socket *so;
	struct inpcb *inp;
	struct tcpcb *tp;

	/* Half-open connections count against the backlog too: what is
	 * admitted is what the queue can hold once the handshakes end
	 * (and a SYN flood is bounded). */
	if (head->so_qlen + head->so_q0len > head->so_qlimit)
		return;
	so = sonewconn(head, false);
	if (so == NULL)
		return;		/* backlog full: the peer will retry */
	inp = so->so_pcb;
	tp = inp->inp_ppcb;
	mutex_enter(&tcbtable.ipt_lock);
	in_pcbset_ic(inp, ic, th->th_dport, th->th_sport);
	mutex_exit(&tcbtable.ipt_lock);
	tp->t_flags |= TF_PASSIVE;
	if (head->so_pcb != NULL && sototcpcb(head) != NULL) {
		struct tcpcb *htp = sototcpcb(head);

		tp->t_flags |= htp->t_flags & TF_NODELAY;
		tp->t_keepidle = htp->t_keepidle;
		tp->t_keepintvl = htp->t_keepintvl;
		tp->t_keepcnt = htp->t_keepcnt;
	}
	tp->rcv_scale = tcp_rcvscale(so);
	tp->irs = ntohl(th->th_seq);
	tp->rcv_nxt = tp->irs + 1;
	tp->rcv_adv = tp->rcv_nxt;
	tp->iss = cprng32();
	tp->snd_una = tp->snd_nxt = tp->snd_max = tp->iss;
	tp->snd_recover = tp->iss;
	tcp_syn_options(tp, to);
	tp->snd_wnd = tiwin;	/* a SYN's window is not scaled */
	tp->snd_wl1 = tp->irs;
	tp->snd_wl2 = tp->iss;
	tp->t_state = TCPS_SYN_RECEIVED;
	tp->t_lastrcv = getmonotonic_ns();
	tp->t_flags |= TF_ACKNOW;
	tcp_timer_set(tp, TCPT_KEEP, 75ULL * 1000000000);
	(void)tcp_output(tp);
}

/* A segment for an existing connection (socket locked). */
static void
tcp_segment(struct tcpcb *tp, struct mbuf *m, const struct in_conninfo *ic,
    struct tcphdr *th, const struct tcpopts *to, const uint8_t *data,
    uint32_t tlen)
{
	struct socket *so = tp->t_so;
	uint32_t seq = ntohl(th->th_seq), ack = ntohl(th->th_ack);
	int thflags = th->th_flags;
	uint32_t tiwin = ntohs(th->th_win), rcvwin, todrop;
	bool drop = false, fin;

	(void)m;
	tp->t_lastrcv = getmonotonic_ns();
	/* The keepalive timer measures idleness from t_lastrcv when it
	 * fires, rather than being pushed back by every segment. */
	tp->t_keepsent = 0;
	if (!(thflags & TH_SYN))
		tiwin <<= tp->snd_scale;

	if (tp->t_state == TCPS_SYN_SENT) {
		if ((thflags & TH_ACK) &&
		    (SEQ_LEQ(ack, tp->iss) || SEQ_GT(ack, tp->snd_max))) {
			if (!(thflags & TH_RST))
				tcp_respond_ic(ic, th->th_dport, th->th_sport, ack, 0,
				    TH_RST);
			return;
		}
		if (thflags & TH_RST) {
			if (thflags & TH_ACK)
				(void)tcp_drop(tp, ECONNREFUSED);
			return;
		}
		if (!(thflags & TH_SYN))
			return;
		tp->irs = seq;
		tp->rcv_nxt = seq + 1;
		tp->rcv_adv = tp->rcv_nxt;
		tcp_syn_options(tp, to);
		tp->snd_wnd = tiwin;
		tp->snd_wl1 = seq;
		tp->snd_wl2 = ack;
		tp->max_sndwnd = tiwin;
		if (thflags & TH_ACK) {
			tp->snd_una = ack;
			if (SEQ_LT(tp->snd_nxt, tp->snd_una))
				tp->snd_nxt = tp->snd_una;
			tcp_timer_stop(tp, TCPT_REXMT);
			if (tp->t_rtt_active)
				tcp_rtt_update(tp, (int64_t)((getmonotonic_ns()
				    - tp->t_rtstart) / 1000));
			tp->t_rtt_active = false;
			tp->t_state = TCPS_ESTABLISHED;
			tcp_timer_set(tp, TCPT_KEEP,
			    (uint64_t)tp->t_keepidle * 1000000000);
			soisconnected(so);
			tp->t_flags |= TF_ACKNOW;
			/* A FIN of the user who closed while connecting. */
			if (tp->t_flags & TF_NEEDFIN)
				tp->t_state = TCPS_FIN_WAIT_1;
		} else {
			/* Simultaneous open. */
			tp->t_state = TCPS_SYN_RECEIVED;
			tp->t_flags |= TF_ACKNOW;
		}
		(void)tcp_output(tp);
		return;
	}

	/* PAWS (RFC 7323 5.3): an old timestamp means an old segment. */
	if ((to->to_flags & TOF_TS) && (tp->t_flags & TF_RCVD_TSTMP) &&
	    !(thflags & TH_RST) && tp->ts_recent != 0 &&
	    (int32_t)(to->to_tsval - tp->ts_recent) < 0) {
		if (tcp_now_ms() - tp->ts_recent_age > 24U * 24 * 3600 * 1000) {
			tp->ts_recent = 0;	/* idle too long: stale */
		} else {
			if (tlen > 0 || (thflags & (TH_SYN | TH_FIN)))
				tp->t_flags |= TF_ACKNOW;
			goto out;
		}
	}

	rcvwin = tcp_rcvwin(tp);
	/* Trim what we already have from the front. */
	/* A simultaneous open's SYN-ACK in SYN_RECEIVED that acknowledges
	 * our SYN: its ACK completes the handshake (Linux's
	 * tcp_validate_incoming lets it pass).  A socket connected to its
	 * own port gets its own SYN-ACK so: taken for a retransmitted SYN,
	 * it was answered with the same SYN-ACK, for ever, holding the port
	 * after close. */
	if ((thflags & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK) &&
	    tp->t_state == TCPS_SYN_RECEIVED && seq + 1 == tp->rcv_nxt &&
	    ack == tp->snd_nxt) {
		thflags &= ~TH_SYN;
		seq++;
	}
	if (thflags & TH_SYN) {
		/* A SYN in a synchronized state. */
		if (tp->t_state == TCPS_SYN_RECEIVED && seq == tp->irs) {
			/* Our SYN-ACK was lost: send it again. */
			tp->t_flags |= TF_ACKNOW;
			tp->snd_nxt = tp->iss;
			goto out;
		}
		/* RFC 5961 4.2: a challenge ACK, nothing else. */
		tp->t_flags |= TF_ACKNOW;
		goto out;
	}
	todrop = tp->rcv_nxt - seq;
	if ((int32_t)todrop > 0) {
		if (todrop > tlen || (todrop == tlen && !(thflags & TH_FIN))) {
			/* Entirely old: acknowledge what we have (the
			 * peer missed our ACK), but still use its ACK. */
			tp->t_flags |= TF_ACKNOW;
			thflags &= ~TH_FIN;
			todrop = tlen;
		}
		data += todrop;
		tlen -= todrop;
		seq += todrop;
	}
	/* Beyond the window: trim the end (FIN too). */
	if (SEQ_GT(seq + tlen, tp->rcv_nxt + rcvwin)) {
		uint32_t over = seq + tlen - (tp->rcv_nxt + rcvwin);

		if (over >= tlen && tlen > 0) {
			/* Nothing fits: a zero-window probe gets an ACK. */
			tp->t_flags |= TF_ACKNOW;
			if (thflags & TH_RST)
				return;
			tlen = 0;
			thflags &= ~TH_FIN;
		} else if (over > 0 && over <= tlen) {
			tlen -= over;
			thflags &= ~TH_FIN;
		}
	}

	if (thflags & TH_RST) {
		/* RFC 5961 3.2: exactly at rcv_nxt resets; elsewhere in
		 * the window earns a challenge ACK. */
		if (seq != tp->rcv_nxt) {
			if (SEQ_GEQ(seq, tp->rcv_nxt) &&
			    SEQ_LT(seq, tp->rcv_nxt + MAX(rcvwin, 1)))
				tp->t_flags |= TF_ACKNOW;
			goto out;
		}
		switch (tp->t_state) {
		case TCPS_SYN_RECEIVED:
			(void)tcp_drop(tp, (tp->t_flags & TF_PASSIVE) ? 0 :
			    ECONNREFUSED);
			return;
		case TCPS_ESTABLISHED:
		case TCPS_FIN_WAIT_1:
		case TCPS_FIN_WAIT_2:
		case TCPS_CLOSE_WAIT:
			so->so_error = ECONNRESET;
			(void)tcp_close(tp);
			return;
		default:
			(void)tcp_close(tp);
			return;
		}
	}

	/* Keep the latest timestamp of segments at the left edge. */
	if ((to->to_flags & TOF_TS) && (tp->t_flags & TF_RCVD_TSTMP) &&
	    SEQ_LEQ(seq, tp->last_ack_sent) &&
	    SEQ_LEQ(tp->last_ack_sent, seq + tlen +
	    ((thflags & TH_FIN) ? 1 : 0))) {
		tp->ts_recent = to->to_tsval;
		tp->ts_recent_age = tcp_now_ms();
	}

	if (!(thflags & TH_ACK))
		goto out;

	if (tp->t_state == TCPS_SYN_RECEIVED) {
		if (SEQ_LEQ(ack, tp->snd_una) || SEQ_GT(ack, tp->snd_max)) {
			tcp_respond_ic(ic, th->th_dport, th->th_sport, ack,
			    0, TH_RST);
			return;
		}
		tp->t_state = TCPS_ESTABLISHED;
		tcp_timer_set(tp, TCPT_KEEP,
		    (uint64_t)tp->t_keepidle * 1000000000);
		tp->snd_wnd = tiwin;
		tp->max_sndwnd = tiwin;
		tp->snd_wl1 = seq;
		tp->snd_wl2 = ack;
		soisconnected(so);
		if (tp->t_flags & TF_NEEDFIN)
			tp->t_state = TCPS_FIN_WAIT_1;
		/* The ACK of our SYN counts for the timers below. */
		tp->snd_una++;
		if (tp->snd_una == tp->snd_max)
			tcp_timer_stop(tp, TCPT_REXMT);
		if (tp->t_rtt_active) {
			tcp_rtt_update(tp, (int64_t)((getmonotonic_ns() -
			    tp->t_rtstart) / 1000));
			tp->t_rtt_active = false;
		}
	}

	if ((tp = tcp_ack(tp, th, to, tlen, tiwin, &drop)) == NULL)
		return;
	if (drop && tlen == 0 && !(thflags & TH_FIN))
		goto out;

	/* Window update (RFC 9293 3.10.7.4, fifth check). */
	if (SEQ_LT(tp->snd_wl1, seq) || (tp->snd_wl1 == seq &&
	    (SEQ_LT(tp->snd_wl2, ack) ||
	    (tp->snd_wl2 == ack && tiwin > tp->snd_wnd)))) {
		tp->snd_wnd = tiwin;
		tp->snd_wl1 = seq;
		tp->snd_wl2 = ack;
		if (tiwin > tp->max_sndwnd)
			tp->max_sndwnd = tiwin;
		if (tiwin > 0)
			tcp_timer_stop(tp, TCPT_PERSIST);
	}

	/* Data. */
	fin = (thflags & TH_FIN) != 0;
	if ((tlen > 0 || fin) && !TCPS_HAVERCVDFIN(tp->t_state)) {
		if (seq == tp->rcv_nxt) {
			/* In order: straight to the socket, even when the
			 * queue is full (this may be what fills its
			 * gap), then whatever it made contiguous. */
			if (!tcp_deliver(tp, data, tlen)) {
				fin = false;
				tp->t_flags |= TF_ACKNOW;
			} else if (tp->t_segq != NULL) {
				if (tcp_reass_pull(tp))
					fin = true;
				tp->t_flags |= TF_ACKNOW;
				sorwakeup(so);
			} else if (tlen > 0) {
				sorwakeup(so);
				/* Every second full segment is ACKed at
				 * once, others after a short delay; one
				 * of several MSS (a large segment an
				 * interface received whole) counts as
				 * the several it is. */
				if (++tp->t_segs_unacked >= 2 ||
				    tlen > (uint32_t)tp->t_maxseg ||
				    (tp->t_flags & TF_DELACK) || fin)
					tp->t_flags |= TF_ACKNOW;
				else {
					/* A timer still pending from an
					 * earlier delay (tcp_output leaves
					 * it) only ACKs sooner: arming it
					 * anew for every other segment
					 * woke the callout thread as
					 * often. */
					tp->t_flags |= TF_DELACK;
					if (!tcp_timer_pending(tp,
					    TCPT_DELACK))
						tcp_timer_set(tp, TCPT_DELACK,
						    TCP_DELACK_NS);
				}
			}
		} else {
			/* Out of order: keep it, and say where the gap
			 * is with an immediate duplicate ACK. */
			(void)tcp_reass_insert(tp, seq, data, tlen, fin);
			fin = false;
			tp->t_flags |= TF_ACKNOW;
		}
		if (fin)
			tp = tcp_rcvd_fin(tp);
	} else if (tlen > 0)
		tp->t_flags |= TF_ACKNOW;

out:
	if (tp != NULL)
		(void)tcp_output(tp);
}

void
tcp_input(struct mbuf *m, int hlen)
{
	struct ip *ip = (struct ip *)(void *)m->m_data;
	struct in_conninfo ic;
	struct tcphdr *th;
	uint32_t tlen, sum;

	tlen = (uint32_t)(m->m_len - (size_t)hlen);
	if (tlen < sizeof(*th))
		goto drop;
	th = (struct tcphdr *)(void *)(m->m_data + hlen);
	if (!(m->m_csum & M_CSUM_TCPv4_OK)) {
		sum = in_pseudo(ip->ip_src, ip->ip_dst, IPPROTO_TCP,
		    (uint16_t)tlen);
		if (in_cksum_fold(in_cksum_add(sum, th, tlen)) != 0)
			goto drop;
	}
	/* TCP is unicast only. */
	if (m->m_flags & (M_BCAST | M_MCAST) ||
	    in_is_broadcast(ip->ip_dst, m->m_rcvif) ||
	    IN_MULTICAST(ntohl(ip->ip_dst)))
		goto drop;
	memset(&ic, 0, sizeof(ic));
	ic.ic_af = AF_INET;
	ic.ic_src4 = ip->ip_src;
	ic.ic_dst4 = ip->ip_dst;
	ic.ic_ifindex = m->m_rcvif != NULL ? (uint32_t)m->m_rcvif->if_index : 0;
	tcp_input_ic(m, th, tlen, &ic);
	return;
drop:
	m_free(m);
}

void
tcp_input_ic(struct mbuf *m, struct tcphdr *th, uint32_t tlen,
    const struct in_conninfo *ic)
{
	struct tcpopts to;
	struct inpcb *inp;
	struct socket *so;
	struct tcpcb *tp;
	int off, thflags;
	bool again = true;

	thflags = th->th_flags;
	off = TH_OFF(th);
	if (off < (int)sizeof(*th) || (uint32_t)off > tlen)
		goto drop;
	tcp_dooptions((const uint8_t *)th + sizeof(*th),
	    off - (int)sizeof(*th), (thflags & TH_SYN) != 0, &to);
	tlen -= (uint32_t)off;

findpcb:
	inp = in_pcblookup_ic(&tcbtable, ic, th->th_sport, th->th_dport, &so);
	if (inp == NULL)
		goto dropwithreset;
	/* inp may be freed already: only so is safe until so_pcb says. */
	solock(so);
	if (so->so_pcb != inp || (tp = inp->inp_ppcb) == NULL ||
	    (tp->t_flags & TF_DEAD)) {
		sounlock(so);
		sorele(so);
		goto dropwithreset;
	}
	if (tp->t_state == TCPS_LISTEN) {
		if (thflags & TH_RST) {
			/* Nothing to reset. */
		} else if (thflags & TH_ACK) {
			sounlock(so);
			sorele(so);
			goto dropwithreset;
		} else if (thflags & TH_SYN) {
			tcp_listen_input(so, ic, th, &to,
			    ntohs(th->th_win));
		}
		sounlock(so);
		sorele(so);
		goto drop;
	}
	/* A new SYN for a port in TIME_WAIT with a higher sequence number:
	 * the old connection is over (RFC 1122 4.2.2.13). */
	if (tp->t_state == TCPS_TIME_WAIT && (thflags & TH_SYN) &&
	    !(thflags & TH_ACK) && SEQ_GT(ntohl(th->th_seq), tp->rcv_nxt) &&
	    again) {
		(void)tcp_close(tp);
		sounlock(so);
		sorele(so);
		again = false;
		goto findpcb;
	}
	tcp_segment(tp, m, ic, th, &to, (const uint8_t *)th + off, tlen);
	sounlock(so);
	sorele(so);
	m_free(m);
	return;

dropwithreset:
	if (!(thflags & TH_RST)) {
		if (thflags & TH_ACK)
			tcp_respond_ic(ic, th->th_dport, th->th_sport,
			    ntohl(th->th_ack), 0, TH_RST);
		else
			tcp_respond_ic(ic, th->th_dport, th->th_sport, 0, ntohl(th->th_seq) + tlen +
			    ((thflags & TH_SYN) ? 1 : 0) +
			    ((thflags & TH_FIN) ? 1 : 0), TH_RST | TH_ACK);
	}
drop:
	m_free(m);
}

void
tcp_notify(struct inpcb *inp, struct socket *so, int error)
{
	struct tcpcb *tp;

	solock(so);
	if (so->so_pcb == inp && (tp = inp->inp_ppcb) != NULL &&
	    !(tp->t_flags & TF_DEAD)) {
		/* A refused or unreachable connection attempt ends it (as
		 * Linux: hard errors in SYN_SENT); on an established
		 * connection ICMP errors are soft (RFC 1122 4.2.3.9). */
		if (tp->t_state == TCPS_SYN_SENT && (error == ECONNREFUSED ||
		    error == EHOSTUNREACH || error == ENETUNREACH))
			(void)tcp_drop(tp, error);
	}
	sounlock(so);
}

void
tcp_ctlinput(int error, const struct ip *inner, size_t len)
{
	const struct tcphdr *th;

	if (len < (size_t)IP_HLEN(inner) + 8)
		return;
	th = (const struct tcphdr *)(const void *)((const uint8_t *)inner +
	    IP_HLEN(inner));
	in_pcbnotify(&tcbtable, inner->ip_dst, th->th_dport, inner->ip_src,
	    th->th_sport, error, tcp_notify);
}
