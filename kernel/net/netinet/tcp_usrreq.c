/*
 * tcp_usrreq.c: TCP's side of the socket calls (struct protosw).
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/kmem.h>
#include <kern/libkern.h>

#include "in_var.h"
#include "in_proto.h"
#include "tcp_var.h"

static int
tcp_attach(struct socket *so, int proto)
{
	struct inpcb *inp;
	struct tcpcb *tp;
	int error;

	(void)proto;
	if ((error = in_pcballoc(so, &tcbtable)) != 0)
		return error;
	inp = so->so_pcb;
	tp = tcp_newtcpcb(so);
	if (tp == NULL) {
		in_pcbfree(inp);
		return ENOBUFS;
	}
	inp->inp_ppcb = tp;
	return 0;
}

struct tcpcb *
tcp_usrclosed(struct tcpcb *tp)
{

	switch (tp->t_state) {
	case TCPS_CLOSED:
	case TCPS_LISTEN:
		return tcp_close(tp);
	case TCPS_SYN_SENT:
		/* Nothing was said yet: just give up. */
		return tcp_close(tp);
	case TCPS_SYN_RECEIVED:
		tp->t_flags |= TF_NEEDFIN;	/* after the handshake */
		break;
	case TCPS_ESTABLISHED:
		tp->t_flags |= TF_NEEDFIN;
		tp->t_state = TCPS_FIN_WAIT_1;
		break;
	case TCPS_CLOSE_WAIT:
		tp->t_flags |= TF_NEEDFIN;
		tp->t_state = TCPS_LAST_ACK;
		break;
	default:
		break;
	}
	return tp;
}

static void
tcp_detach(struct socket *so)
{
	struct tcpcb *tp = sototcpcb(so);

	if (tp == NULL || (tp->t_flags & TF_DEAD))
		return;
	if (tp->t_state < TCPS_SYN_RECEIVED) {
		(void)tcp_close(tp);
		return;
	}
	/* SO_LINGER with a zero timeout, unread data (RFC 2525 2.17, as
	 * Linux), or a connection never accepted: reset. */
	if (((so->so_options & SOOPT_LINGER) && so->so_linger == 0) ||
	    so->so_rcv.sb_cc > 0 || so->so_head != NULL) {
		(void)tcp_drop(tp, 0);
		return;
	}
	soisdisconnecting(so);
	if ((tp = tcp_usrclosed(tp)) != NULL) {
		if (tp->t_state == TCPS_FIN_WAIT_2)
			tcp_timer_set(tp, TCPT_2MSL, TCP_FIN_WAIT_2_NS);
		(void)tcp_output(tp);
	}
}

static int
tcp_bind(struct socket *so, const struct sockaddr *nam, socklen_t namlen)
{
	struct tcpcb *tp = sototcpcb(so);
	struct sockaddr_in sin;
	int error;

	if (tp == NULL)
		return EINVAL;
	if ((error = in_sockaddr(nam, namlen, &sin)) != 0)
		return error;
	if (IN_MULTICAST(ntohl(sin.sin_addr.s_addr)) ||
	    sin.sin_addr.s_addr == INADDR_BROADCAST)
		return EADDRNOTAVAIL;
	return in_pcbbind(so->so_pcb, &sin);
}

static int
tcp_listen(struct socket *so)
{
	struct inpcb *inp = so->so_pcb;
	struct tcpcb *tp = sototcpcb(so);
	int error;

	if (tp == NULL || (tp->t_state != TCPS_CLOSED &&
	    tp->t_state != TCPS_LISTEN))
		return EINVAL;
	if (inp->inp_lport == 0 && (error = in_pcbbind(inp, NULL)) != 0)
		return error;
	mutex_enter(&tcbtable.ipt_lock);
	inp->inp_listening = true;
	mutex_exit(&tcbtable.ipt_lock);
	tp->t_state = TCPS_LISTEN;
	return 0;
}

static int
tcp_connect(struct socket *so, const struct sockaddr *nam, socklen_t namlen)
{
	struct inpcb *inp = so->so_pcb;
	struct tcpcb *tp = sototcpcb(so);
	struct sockaddr_in sin;
	int error;

	if (tp == NULL)
		return EINVAL;
	/* The state first, as Linux's inet_stream_connect. */
	if ((error = tcp_connect_check(tp)) != 0)
		return error;
	if ((error = in_sockaddr(nam, namlen, &sin)) != 0)
		return error;
	if (IN_MULTICAST(ntohl(sin.sin_addr.s_addr)) ||
	    sin.sin_addr.s_addr == INADDR_BROADCAST)
		return ENETUNREACH;
	if ((error = in_pcbconnect(inp, &sin)) != 0)
		return error;
	return tcp_connect_start(so, tp);
}

int
tcp_connect_check(struct tcpcb *tp)
{

	if (tp->t_state == TCPS_LISTEN)
		return EISCONN;
	if (tp->t_state != TCPS_CLOSED)
		return TCPS_HAVEESTABLISHED(tp->t_state) ? EISCONN : EALREADY;
	return 0;
}

int
tcp_connect_start(struct socket *so, struct tcpcb *tp)
{
	int error;

	tp->rcv_scale = 0;
	while (tp->rcv_scale < TCP_MAXWINSHIFT &&
	    ((size_t)65535 << tp->rcv_scale) < so->so_rcv.sb_hiwat)
		tp->rcv_scale++;
	tp->iss = cprng32();
	tp->snd_una = tp->snd_nxt = tp->snd_max = tp->iss;
	tp->snd_recover = tp->iss;
	tp->t_state = TCPS_SYN_SENT;
	soisconnecting(so);
	tcp_timer_set(tp, TCPT_KEEP, 75ULL * 1000000000);
	error = tcp_output(tp);
	if (error == ENETUNREACH || error == EHOSTUNREACH) {
		/* No route at all: fail now, as Linux does. */
		(void)tcp_close(tp);
		return error;
	}
	return 0;
}

static int
tcp_accept(struct socket *so)
{

	(void)so;
	return 0;
}

static int
tcp_shutdown(struct socket *so, int how)
{
	struct tcpcb *tp = sototcpcb(so);

	if (tp == NULL || !TCPS_HAVEESTABLISHED(tp->t_state)) {
		/* Linux: a listener says 0 to every shutdown. */
		if (tp != NULL && tp->t_state == TCPS_LISTEN)
			return 0;
		return ENOTCONN;
	}
	if (how == SHUT_RD)
		return 0;
	if ((tp = tcp_usrclosed(tp)) != NULL)
		(void)tcp_output(tp);
	return 0;
}

static int
tcp_send(struct socket *so, struct sbrec *rec, const struct sockaddr *nam,
    socklen_t namlen, int flags)
{
	struct tcpcb *tp = sototcpcb(so);

	(void)nam;
	(void)namlen;
	/* On error rec stays the caller's (net/socket.h). */
	if (flags & MSG_OOB)
		return EOPNOTSUPP;
	if (tp == NULL || (tp->t_flags & TF_DEAD))
		return EPIPE;
	sbappend(&so->so_snd, rec);
	(void)tcp_output(tp);
	return 0;
}

static void
tcp_rcvd(struct socket *so)
{
	struct tcpcb *tp = sototcpcb(so);

	if (tp != NULL && !(tp->t_flags & TF_DEAD))
		(void)tcp_output(tp);
}

static int
tcp_sockaddr(struct socket *so, struct sockaddr_storage *nam,
    socklen_t *namlen)
{
	struct inpcb *inp = so->so_pcb;

	if (inp == NULL)
		in_setsockaddr_af(so->so_dom->dom_family, nam, namlen,
		    INADDR_ANY, 0);
	else
		in_pcbsockaddr(inp, false, nam, namlen);
	return 0;
}

static int
tcp_peeraddr(struct socket *so, struct sockaddr_storage *nam,
    socklen_t *namlen)
{
	struct inpcb *inp = so->so_pcb;

	if (inp == NULL || !(so->so_state & SS_ISCONNECTED))
		return ENOTCONN;
	in_pcbsockaddr(inp, true, nam, namlen);
	return 0;
}

static int
tcp_ctloutput(struct socket *so, int op, int level, int name, void *val,
    socklen_t *len)
{
	struct tcpcb *tp = sototcpcb(so);
	int v;

	if (tp == NULL)
		return ECONNRESET;
	if (level == SOL_IP)
		return in_ctloutput(so->so_pcb, op, name, val, len);
	/* An unknown level: Linux's IPv4 answers differ by direction. */
	if (level != SOL_TCP)
		return op == PRCO_SETOPT ? ENOPROTOOPT : EOPNOTSUPP;
	if (op == PRCO_SETOPT) {
		if (*len < sizeof(int))
			return EINVAL;
		memcpy(&v, val, sizeof(int));
		switch (name) {
		case TCP_NODELAY:
			if (v)
				tp->t_flags |= TF_NODELAY;
			else
				tp->t_flags &= ~TF_NODELAY;
			if (v)
				(void)tcp_output(tp);
			return 0;
		case TCP_MAXSEG:
			if (v < 88 || v > 32767)
				return EINVAL;
			if (!TCPS_HAVEESTABLISHED(tp->t_state))
				tp->t_maxseg = v;
			return 0;
		case TCP_KEEPIDLE:
		case TCP_KEEPINTVL:
			if (v < 1 || v > 32767)
				return EINVAL;
			if (name == TCP_KEEPIDLE) {
				tp->t_keepidle = v;
				if (TCPS_HAVEESTABLISHED(tp->t_state))
					tcp_timer_set(tp, TCPT_KEEP,
					    (uint64_t)v * 1000000000);
			} else
				tp->t_keepintvl = v;
			return 0;
		case TCP_KEEPCNT:
			if (v < 1 || v > 127)
				return EINVAL;
			tp->t_keepcnt = v;
			return 0;
		default:
			return ENOPROTOOPT;
		}
	}
	switch (name) {
	case TCP_NODELAY:
		v = (tp->t_flags & TF_NODELAY) != 0;
		break;
	case TCP_MAXSEG:
		v = tp->t_maxseg;
		break;
	case TCP_KEEPIDLE:
		v = tp->t_keepidle;
		break;
	case TCP_KEEPINTVL:
		v = tp->t_keepintvl;
		break;
	case TCP_KEEPCNT:
		v = tp->t_keepcnt;
		break;
	default:
		return ENOPROTOOPT;
	}
	if (*len > sizeof(int))
		*len = sizeof(int);
	memcpy(val, &v, *len);
	return 0;
}

void
tcp_init(void)
{

	in_pcbtable_init(&tcbtable);
	ip_proto_register(IPPROTO_TCP, tcp_input);
	ip_ctl_register(IPPROTO_TCP, tcp_ctlinput);
}

const struct protosw tcp_protosw = {
	.pr_type = SOCK_STREAM,
	.pr_protocol = IPPROTO_TCP,
	.pr_flags = PR_CONNREQUIRED | PR_LISTEN,
	.pr_attach = tcp_attach,
	.pr_detach = tcp_detach,
	.pr_bind = tcp_bind,
	.pr_listen = tcp_listen,
	.pr_connect = tcp_connect,
	.pr_accept = tcp_accept,
	.pr_shutdown = tcp_shutdown,
	.pr_send = tcp_send,
	.pr_rcvd = tcp_rcvd,
	.pr_sockaddr = tcp_sockaddr,
	.pr_peeraddr = tcp_peeraddr,
	.pr_ctloutput = tcp_ctloutput,
	.pr_sndnotconn = EPIPE,
};
