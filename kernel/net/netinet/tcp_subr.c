/*
 * tcp_subr.c: TCP connection records, closing, timers, round-trip
 * estimation, and segments sent outside a connection (RST).
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/kmem.h>
#include <kern/libkern.h>

#include "in_var.h"
#include "tcp_var.h"

struct inpcbtable tcbtable;

uint32_t
tcp_now_ms(void)
{

	return (uint32_t)(getmonotonic_ns() / 1000000);
}

int
tcp_mss_for(uint32_t dst)
{
	int mtu = ip_path_mtu(dst);

	if (in_is_local(dst) || ntohl(dst) >> 24 == IN_LOOPBACKNET)
		mtu = if_mtu_get(lo_ifp);
	if (mtu <= 40 + 8)
		return TCP_MSS_DEFAULT;
	return MIN(mtu - 40, 65495);
}

int
tcp_mss_pcb(struct inpcb *inp)
{
	const struct in6_pcbops *ops;

	if (in_pcb_isv6(inp)) {
		ops = __atomic_load_n(&in6_pcbops, __ATOMIC_ACQUIRE);
		return ops != NULL ? ops->mss(&inp->inp_faddr6,
		    inp->inp_scope6) : TCP_MSS_DEFAULT;
	}
	return tcp_mss_for(inp->inp_faddr);
}

static void tcp_timer_fire(void *arg);

static void
tcp_freec(void *arg)
{
	struct tcpcb *tp = arg;
	struct socket *so = tp->t_so;

	/* Run by the callout thread: no other timer handler of tp is
	 * running, and none is pending (tcp_close stopped them and
	 * handlers do not rearm a dead connection). */
	kmem_free(tp, sizeof(*tp));
	sorele(so);
}

struct tcpcb *
tcp_newtcpcb(struct socket *so)
{
	struct tcpcb *tp;

	tp = kmem_zalloc(sizeof(*tp), KM_SLEEP);
	if (tp == NULL)
		return NULL;
	tp->t_so = so;
	tp->t_inp = so->so_pcb;
	tp->t_state = TCPS_CLOSED;
	tp->t_maxseg = TCP_MSS_DEFAULT;
	tp->t_peermss = TCP_MSS_DEFAULT;
	tp->t_srtt = 0;
	tp->t_rttvar = 0;
	tp->t_rto = TCP_INITIAL_RTO_US;
	tp->snd_cwnd = 0xffffffffu;	/* set when connected */
	tp->snd_ssthresh = 0xffffffffu;
	tp->t_keepidle = TCP_KEEPIDLE_DEFAULT;
	tp->t_keepintvl = TCP_KEEPINTVL_DEFAULT;
	tp->t_keepcnt = TCP_KEEPCNT_DEFAULT;
	tp->t_flags = TF_REQ_SCALE | TF_REQ_TSTMP | TF_REQ_SACK;
	for (int i = 0; i < TCPT_NTIMERS; i++) {
		tp->t_timerarg[i].ta_tp = tp;
		tp->t_timerarg[i].ta_which = (enum tcp_timer)i;
		callout_init(&tp->t_timer[i], tcp_timer_fire,
		    &tp->t_timerarg[i]);
	}
	callout_init(&tp->t_freec, tcp_freec, tp);
	/* The connection keeps its socket until t_freec runs. */
	soref(so);
	return tp;
}

struct tcpcb *
tcp_close(struct tcpcb *tp)
{
	struct socket *so = tp->t_so;
	struct tcpseg *s;

	if (tp->t_flags & TF_DEAD)
		return NULL;
	for (int i = 0; i < TCPT_NTIMERS; i++)
		(void)callout_stop(&tp->t_timer[i]);
	while ((s = tp->t_segq) != NULL) {
		tp->t_segq = s->ts_next;
		kmem_free(s, sizeof(*s) + s->ts_len);
	}
	tp->t_segqlen = 0;
	tp->t_state = TCPS_CLOSED;
	tp->t_flags |= TF_DEAD;
	if (tp->t_inp != NULL) {
		in_pcbfree(tp->t_inp);
		tp->t_inp = NULL;
	}
	soisdisconnected(so);
	callout_schedule_ns(&tp->t_freec, 0);
	return NULL;
}

struct tcpcb *
tcp_drop(struct tcpcb *tp, int error)
{
	struct socket *so = tp->t_so;
	struct inpcb *inp = tp->t_inp;

	if (TCPS_HAVERCVDSYN(tp->t_state) && inp != NULL)
		tcp_respond_pcb(inp, tp->snd_nxt, tp->rcv_nxt,
		    TH_RST | TH_ACK);
	if (error != 0)
		so->so_error = error;
	return tcp_close(tp);
}

void
tcp_timer_set(struct tcpcb *tp, enum tcp_timer which, uint64_t ns)
{

	if (!(tp->t_flags & TF_DEAD))
		callout_schedule_ns(&tp->t_timer[which], ns);
}

void
tcp_timer_stop(struct tcpcb *tp, enum tcp_timer which)
{

	(void)callout_stop(&tp->t_timer[which]);
}

bool
tcp_timer_pending(struct tcpcb *tp, enum tcp_timer which)
{

	return callout_pending(&tp->t_timer[which]);
}

uint64_t
tcp_rto_ns(struct tcpcb *tp)
{
	int64_t rto = tp->t_rto;

	for (int i = 0; i < tp->t_rxtshift && rto < TCP_MAX_RTO_US; i++)
		rto *= 2;
	if (rto > TCP_MAX_RTO_US)
		rto = TCP_MAX_RTO_US;
	return (uint64_t)rto * 1000;
}

/* RFC 6298 section 2. */
void
tcp_rtt_update(struct tcpcb *tp, int64_t rtt)
{
	int64_t delta, rto;

	if (rtt < 1)
		rtt = 1;
	if (tp->t_srtt == 0) {
		tp->t_srtt = rtt;
		tp->t_rttvar = rtt / 2;
	} else {
		delta = tp->t_srtt - rtt;
		if (delta < 0)
			delta = -delta;
		tp->t_rttvar = (3 * tp->t_rttvar + delta) / 4;
		tp->t_srtt = (7 * tp->t_srtt + rtt) / 8;
	}
	rto = tp->t_srtt + MAX(4 * tp->t_rttvar, 1000);
	if (rto < TCP_MIN_RTO_US)
		rto = TCP_MIN_RTO_US;
	if (rto > TCP_MAX_RTO_US)
		rto = TCP_MAX_RTO_US;
	tp->t_rto = rto;
	tp->t_rxtshift = 0;
}

/* A bare header (no options, no data) for tcp_respond*(). */
static struct mbuf *
tcp_bare(uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
    int flags)
{
	struct tcphdr *th;
	struct mbuf *m;

	m = m_get(sizeof(*th));
	if (m == NULL)
		return NULL;
	th = (struct tcphdr *)(void *)m->m_data;
	memset(th, 0, sizeof(*th));
	th->th_sport = sport;
	th->th_dport = dport;
	th->th_seq = htonl(seq);
	th->th_ack = (flags & TH_ACK) ? htonl(ack) : 0;
	th->th_x2off = (sizeof(*th) / 4) << 4;
	th->th_flags = (uint8_t)flags;
	return m;
}

void
tcp_respond(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
    uint32_t seq, uint32_t ack, int flags)
{
	struct mbuf *m;

	if ((m = tcp_bare(sport, dport, seq, ack, flags)) == NULL)
		return;
	m->m_csum = M_CSUM_TCPv4;
	(void)ip_output(m, src, dst, IPPROTO_TCP, 0, 0, 0);
}

void
tcp_respond_pcb(struct inpcb *inp, uint32_t seq, uint32_t ack, int flags)
{
	struct mbuf *m;

	if ((m = tcp_bare(inp->inp_lport, inp->inp_fport, seq, ack,
	    flags)) == NULL)
		return;
	(void)in_pcboutput(inp, m, IPPROTO_TCP);
}

void
tcp_respond_ic(const struct in_conninfo *ic, uint16_t sport, uint16_t dport,
    uint32_t seq, uint32_t ack, int flags)
{
	const struct in6_pcbops *ops;
	struct mbuf *m;

	if (ic->ic_af == AF_INET) {
		tcp_respond(ic->ic_dst4, ic->ic_src4, sport, dport, seq, ack,
		    flags);
		return;
	}
	ops = __atomic_load_n(&in6_pcbops, __ATOMIC_ACQUIRE);
	if (ops == NULL || (m = tcp_bare(sport, dport, seq, ack,
	    flags)) == NULL)
		return;
	(void)ops->output(&ic->ic_dst6, &ic->ic_src6, ic->ic_ifindex, m,
	    IPPROTO_TCP, 0, 0);
}

/* --- Timers ------------------------------------------------------------- */

static void
tcp_timer_rexmt(struct tcpcb *tp)
{
	uint32_t flight;
	int max;

	max = TCPS_HAVEESTABLISHED(tp->t_state) ? TCP_MAXRXTSHIFT :
	    TCP_SYN_RETRIES;
	if (++tp->t_rxtshift > max) {
		(void)tcp_drop(tp, ETIMEDOUT);
		return;
	}
	/* RFC 5681 (3.1): after a timeout, slow start again from one
	 * segment, remembering half of what was in flight. */
	flight = tp->snd_max - tp->snd_una;
	tp->snd_ssthresh = MAX(flight / 2, 2 * (uint32_t)tp->t_maxseg);
	tp->snd_cwnd = (uint32_t)tp->t_maxseg;
	tp->t_bytes_acked = 0;
	tp->t_flags &= ~TF_FASTRECOVERY;
	tp->snd_recover = tp->snd_max;
	tp->t_dupacks = 0;
	tp->t_nsacked = 0;
	/* Karn: no sample from a retransmitted segment. */
	tp->t_rtt_active = false;
	tp->snd_nxt = tp->snd_una;
	if (tp->t_flags & TF_SENTFIN && tp->snd_una != tp->snd_max)
		tp->t_flags &= ~TF_SENTFIN;
	(void)tcp_output(tp);
}

static void
tcp_timer_persist(struct tcpcb *tp)
{

	tp->t_flags |= TF_FORCE;
	(void)tcp_output(tp);
	tp->t_flags &= ~TF_FORCE;
	if (tp->t_rxtshift < TCP_MAXRXTSHIFT)
		tp->t_rxtshift++;
	tcp_setpersist(tp);
}

static void
tcp_timer_keep(struct tcpcb *tp)
{
	struct socket *so = tp->t_so;
	struct inpcb *inp = tp->t_inp;
	uint64_t idle;

	if (!TCPS_HAVEESTABLISHED(tp->t_state)) {
		/* Connection establishment took too long. */
		(void)tcp_drop(tp, ETIMEDOUT);
		return;
	}
	if (!(so->so_options & SOOPT_KEEPALIVE) ||
	    tp->t_state > TCPS_CLOSE_WAIT) {
		tcp_timer_set(tp, TCPT_KEEP,
		    (uint64_t)tp->t_keepidle * 1000000000);
		return;
	}
	idle = getmonotonic_ns() - tp->t_lastrcv;
	if (idle < (uint64_t)tp->t_keepidle * 1000000000) {
		tcp_timer_set(tp, TCPT_KEEP,
		    (uint64_t)tp->t_keepidle * 1000000000 - idle);
		return;
	}
	if (tp->t_keepsent >= tp->t_keepcnt) {
		(void)tcp_drop(tp, ETIMEDOUT);
		return;
	}
	/* A probe: an old sequence number the peer must ACK. */
	tp->t_keepsent++;
	tcp_respond_pcb(inp, tp->snd_una - 1, tp->rcv_nxt, TH_ACK);
	tcp_timer_set(tp, TCPT_KEEP, (uint64_t)tp->t_keepintvl * 1000000000);
}

static void
tcp_timer_fire(void *arg)
{
	struct tcp_timerarg *ta = arg;
	struct tcpcb *tp = ta->ta_tp;
	struct socket *so = tp->t_so;

	solock(so);
	if (tp->t_flags & TF_DEAD) {
		sounlock(so);
		return;
	}
	switch (ta->ta_which) {
	case TCPT_REXMT:
		tcp_timer_rexmt(tp);
		break;
	case TCPT_PERSIST:
		tcp_timer_persist(tp);
		break;
	case TCPT_KEEP:
		tcp_timer_keep(tp);
		break;
	case TCPT_2MSL:
		/* TIME_WAIT over, or FIN_WAIT_2 of a closed socket. */
		(void)tcp_close(tp);
		break;
	case TCPT_DELACK:
		/* Only if an ACK is still owed: tcp_output does not stop
		 * this timer when it sends one. */
		if (tp->t_flags & TF_DELACK) {
			tp->t_flags |= TF_ACKNOW;
			(void)tcp_output(tp);
		}
		break;
	default:
		break;
	}
	sounlock(so);
}
