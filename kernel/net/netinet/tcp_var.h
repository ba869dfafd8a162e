/*
 * tcp_var.h: the Transmission Control Protocol's connection state and
 * the interfaces between its files.  Private to netinet.
 *
 * What is implemented: the RFC 793/9293 state machine; MSS; window
 * scaling and timestamps with PAWS (RFC 7323); the retransmission timer
 * of RFC 6298; NewReno congestion control with fast retransmit and
 * recovery (RFC 5681, RFC 6582) starting from an initial window of ten
 * segments (RFC 6928); delayed ACKs; Nagle's algorithm (TCP_NODELAY);
 * keepalive (SO_KEEPALIVE, TCP_KEEPIDLE/INTVL/CNT); TIME_WAIT; RST
 * handling with the in-window checks of RFC 5961; zero-window probes;
 * a listen backlog; SO_LINGER with a zero timeout resets.
 *
 * Locking: a connection is protected by its socket's lock (so_lock), like
 * every field of struct tcpcb.  Timers are callouts; all callouts run one
 * after another in one kernel thread, which is what makes freeing a
 * tcpcb safe: tcp_close() stops the timers and schedules t_freec, whose
 * handler frees the tcpcb and drops the socket reference the connection
 * held; no other handler of the connection can be running then.
 */
#ifndef NETINET_TCP_VAR_H
#define NETINET_TCP_VAR_H

#include <kern/types.h>
#include <kern/clock.h>
#include <net/socket.h>

#include "in_pcb.h"

struct tcphdr {
	uint16_t	th_sport, th_dport;
	uint32_t	th_seq, th_ack;
	uint8_t		th_x2off;	/* data offset in words << 4 */
	uint8_t		th_flags;
#define TH_FIN	0x01
#define TH_SYN	0x02
#define TH_RST	0x04
#define TH_PUSH	0x08
#define TH_ACK	0x10
#define TH_URG	0x20
#define TH_ECE	0x40
#define TH_CWR	0x80
	uint16_t	th_win, th_sum, th_urp;
} __attribute__((__packed__, __aligned__(2)));
#define TH_OFF(th)	(((th)->th_x2off >> 4) << 2)

#define TCPOPT_EOL		0
#define TCPOPT_NOP		1
#define TCPOPT_MAXSEG		2
#define TCPOPT_WINDOW		3
#define TCPOPT_SACK_PERMITTED	4
#define TCPOPT_SACK		5
#define TCPOPT_TIMESTAMP	8
#define TCP_MAXWINSHIFT		14
#define TCP_MAXOLEN		40

/* States (RFC 793 names; numbered as Linux's TCP_INFO does not matter
 * here). */
enum tcp_state {
	TCPS_CLOSED, TCPS_LISTEN, TCPS_SYN_SENT, TCPS_SYN_RECEIVED,
	TCPS_ESTABLISHED, TCPS_CLOSE_WAIT, TCPS_FIN_WAIT_1, TCPS_CLOSING,
	TCPS_LAST_ACK, TCPS_FIN_WAIT_2, TCPS_TIME_WAIT
};
#define TCPS_HAVERCVDSYN(s)	((s) >= TCPS_SYN_RECEIVED)
#define TCPS_HAVEESTABLISHED(s)	((s) >= TCPS_ESTABLISHED)
#define TCPS_HAVERCVDFIN(s)	((s) == TCPS_CLOSE_WAIT || \
	(s) == TCPS_CLOSING || (s) == TCPS_LAST_ACK || (s) == TCPS_TIME_WAIT)

/* Sequence number comparisons, modulo 2^32. */
#define SEQ_LT(a, b)	((int32_t)((a) - (b)) < 0)
#define SEQ_LEQ(a, b)	((int32_t)((a) - (b)) <= 0)
#define SEQ_GT(a, b)	((int32_t)((a) - (b)) > 0)
#define SEQ_GEQ(a, b)	((int32_t)((a) - (b)) >= 0)
#define SEQ_MIN(a, b)	(SEQ_LT(a, b) ? (a) : (b))
#define SEQ_MAX(a, b)	(SEQ_GT(a, b) ? (a) : (b))

enum tcp_timer {
	TCPT_REXMT, TCPT_PERSIST, TCPT_KEEP, TCPT_2MSL, TCPT_DELACK,
	TCPT_NTIMERS
};

/* An out-of-order segment waiting for the gap before it. */
struct tcpseg {
	struct tcpseg	*ts_next;
	uint32_t	 ts_seq;
	uint32_t	 ts_len;
	bool		 ts_fin;
	uint8_t		 ts_data[];
};

struct tcpcb;
struct tcp_timerarg {
	struct tcpcb	*ta_tp;
	enum tcp_timer	 ta_which;
};

struct tcpcb {
	struct socket	*t_so;
	struct inpcb	*t_inp;		/* NULL once closed */
	enum tcp_state	 t_state;
	int		 t_flags;
#define TF_ACKNOW	0x0001	/* send an ACK now */
#define TF_DELACK	0x0002	/* an ACK is being delayed */
#define TF_NODELAY	0x0004	/* TCP_NODELAY: no Nagle */
#define TF_SENTFIN	0x0008	/* our FIN has been sent */
#define TF_NEEDFIN	0x0010	/* the user closed: send FIN after data */
#define TF_REQ_SCALE	0x0020	/* we offer window scaling */
#define TF_RCVD_SCALE	0x0040	/* ... and the peer agreed */
#define TF_REQ_TSTMP	0x0080
#define TF_RCVD_TSTMP	0x0100
#define TF_FASTRECOVERY	0x0200	/* in NewReno fast recovery */
#define TF_FORCE	0x0400	/* send one byte into a zero window */
#define TF_DEAD		0x0800	/* closed: waiting for t_freec */
#define TF_REQ_SACK	0x1000
#define TF_SACK		0x2000	/* SACK permitted both ways */
#define TF_PASSIVE	0x4000	/* made by a listener */

	/* Send sequence space. */
	uint32_t	 iss, snd_una, snd_nxt, snd_max;
	uint32_t	 snd_wl1, snd_wl2;
	uint32_t	 snd_wnd;	/* peer's window, unscaled bytes */
	uint32_t	 max_sndwnd;
	uint32_t	 snd_cwnd, snd_ssthresh;
	/* Bytes acknowledged since the congestion window last grew in
	 * congestion avoidance (RFC 3465 byte counting). */
	uint32_t	 t_bytes_acked;
	uint32_t	 snd_recover;	/* NewReno: snd_max at loss */
	int		 t_dupacks;
	/* Receive sequence space. */
	uint32_t	 irs, rcv_nxt, rcv_adv;
	uint32_t	 last_ack_sent;
	int		 t_segs_unacked;	/* full segments since ACK */

	int		 t_maxseg;	/* payload per segment, options out */
	int		 t_peermss;	/* what the peer announced */
	uint8_t		 snd_scale, rcv_scale;
	/* Timestamps (RFC 7323). */
	uint32_t	 ts_recent;
	uint64_t	 ts_recent_age;	/* ms clock when set */
	/* Round trip (RFC 6298), microseconds. */
	int64_t		 t_srtt, t_rttvar, t_rto;
	bool		 t_rtt_active;
	uint32_t	 t_rtseq;
	uint64_t	 t_rtstart;	/* ns */
	int		 t_rxtshift;
	/* Keepalive, seconds, and probes sent unanswered. */
	int		 t_keepidle, t_keepintvl, t_keepcnt, t_keepsent;
	uint64_t	 t_lastrcv;	/* ns: last segment received */
	/* SACK: ranges the peer reported holding above snd_una, sorted,
	 * and how far retransmission of holes has got. */
#define TCP_SACKHOLES	8
	struct { uint32_t start, end; } t_sacked[TCP_SACKHOLES];
	int		 t_nsacked;
	uint32_t	 t_sack_rxt;	/* next hole byte to resend */
	/* Receive: the latest out-of-order range, reported first. */
	uint32_t	 t_lastsack_start, t_lastsack_end;

	struct tcpseg	*t_segq;	/* out of order, sorted by seq */
	size_t		 t_segqlen;	/* bytes held there */

	struct callout	 t_timer[TCPT_NTIMERS];
	struct tcp_timerarg t_timerarg[TCPT_NTIMERS];
	struct callout	 t_freec;
};

static inline struct tcpcb *
sototcpcb(struct socket *so)
{
	struct inpcb *inp = so->so_pcb;

	return inp != NULL ? inp->inp_ppcb : NULL;
}

/* Defaults and limits. */
#define TCP_MSS_DEFAULT		536	/* when the peer says nothing */
#define TCP_INITIAL_RTO_US	1000000
#define TCP_MIN_RTO_US		200000	/* Linux's floor */
#define TCP_MAX_RTO_US		120000000
#define TCP_MAXRXTSHIFT		15	/* Linux tcp_retries2 */
#define TCP_SYN_RETRIES		6	/* Linux tcp_syn_retries */
#define TCP_DELACK_NS		(40ULL * 1000000)
#define TCP_MSL_NS		(30ULL * 1000000000)	/* TIME_WAIT 2*MSL = 60 s */
#define TCP_FIN_WAIT_2_NS	(60ULL * 1000000000)
#define TCP_KEEPIDLE_DEFAULT	7200
#define TCP_KEEPINTVL_DEFAULT	75
#define TCP_KEEPCNT_DEFAULT	9
#define TCP_INITCWND_SEGS	10

/* Socket options (SOL_TCP), Linux numbers. */
#define TCP_NODELAY	1
#define TCP_MAXSEG	2
#define TCP_KEEPIDLE	4
#define TCP_KEEPINTVL	5
#define TCP_KEEPCNT	6

extern struct inpcbtable tcbtable;

/* tcp_subr.c */
struct tcpcb *tcp_newtcpcb(struct socket *so);
/* Ends the connection: no more segments, pcb released; returns NULL. */
struct tcpcb *tcp_close(struct tcpcb *tp);
/* Aborts with a RST (when synchronized) and error for the user. */
struct tcpcb *tcp_drop(struct tcpcb *tp, int error);
void	 tcp_timer_set(struct tcpcb *tp, enum tcp_timer which, uint64_t ns);
void	 tcp_timer_stop(struct tcpcb *tp, enum tcp_timer which);
bool	 tcp_timer_pending(struct tcpcb *tp, enum tcp_timer which);
uint64_t tcp_rto_ns(struct tcpcb *tp);
void	 tcp_rtt_update(struct tcpcb *tp, int64_t rtt_us);
uint32_t tcp_now_ms(void);
/* Sends a bare segment (RST or ACK) not tied to a connection's state. */
void	 tcp_respond(uint32_t src, uint32_t dst, uint16_t sport,
	    uint16_t dport, uint32_t seq, uint32_t ack, int flags);
/* The MSS to announce and to use toward dst. */
int	 tcp_mss_for(uint32_t dst);
/* ... toward the pcb's foreign address, in its family. */
int	 tcp_mss_pcb(struct inpcb *inp);
/* Sends a bare segment from the pcb's local to its foreign address. */
void	 tcp_respond_pcb(struct inpcb *inp, uint32_t seq, uint32_t ack,
	    int flags);
/* Sends a bare segment answering one received with addresses ic (to its
 * source, from its destination). */
void	 tcp_respond_ic(const struct in_conninfo *ic, uint16_t sport,
	    uint16_t dport, uint32_t seq, uint32_t ack, int flags);

/* tcp_output.c */
int	 tcp_output(struct tcpcb *tp);
void	 tcp_setpersist(struct tcpcb *tp);
/* The receive window to advertise now, bytes. */
uint32_t tcp_rcvwin(struct tcpcb *tp);

/* tcp_input.c */
void	 tcp_input(struct mbuf *m, int hlen);
/* The input shared by both families: th is the TCP header in m, tlen
 * the segment's bytes from th on (checksum verified, addressed to us,
 * unicast); consumes m. */
void	 tcp_input_ic(struct mbuf *m, struct tcphdr *th, uint32_t tlen,
	    const struct in_conninfo *ic);
/* ICMP(v6) error for a connection (socket referenced, not locked). */
void	 tcp_notify(struct inpcb *inp, struct socket *so, int error);
void	 tcp_ctlinput(int error, const struct ip *inner, size_t len);

/* tcp_usrreq.c */
/* The user closed the sending side: move to the FIN-sending state. */
struct tcpcb *tcp_usrclosed(struct tcpcb *tp);
/* connect(2) on a socket in state tp: 0, EISCONN or EALREADY. */
int	 tcp_connect_check(struct tcpcb *tp);
/* Starts the handshake once the pcb has its addresses. */
int	 tcp_connect_start(struct socket *so, struct tcpcb *tp);

#endif /* NETINET_TCP_VAR_H */
