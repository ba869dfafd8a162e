/*
 * socket_io.c: sending and receiving on sockets, with Linux's blocking,
 * partial-transfer and error rules (net/socket.h, "Blocking").
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/kmem.h>
#include <kern/libkern.h>
#include <kern/lock.h>
#include <vfs/vnode.h>
#include <net/socket.h>
#include "socket_private.h"

/* A stream send is cut into records of at most this many bytes, so that
 * a large write and its reader make progress together. */
#define SOSEND_CHUNK	65536

int
sosend(struct socket *so, struct uio *uio, const struct sockaddr *nam,
    socklen_t namlen, struct sockctl *control, int flags)
{
	const struct protosw *pr = so->so_proto;
	bool atomic = (pr->pr_flags & PR_ATOMIC) != 0;
	bool nonblock = (flags & MSG_DONTWAIT) != 0;
	size_t sent = 0, space, chunk;
	struct sbrec *rec, *failed = NULL;
	int error = 0;

	solock(so);
	if (pr->pr_sendprep != NULL)
		pr->pr_sendprep(so, nam, namlen);
	/* Linux's order of checks: an address where none may be, no
	 * peer, a message too large, then shutdown and errors. */
	if ((pr->pr_flags & (PR_CONNREQUIRED | PR_NOADDR)) ==
	    (PR_CONNREQUIRED | PR_NOADDR) && nam != NULL) {
		error = (so->so_state & SS_ISCONNECTED) ? EISCONN : EOPNOTSUPP;
		goto out;
	}
	if (nam != NULL && (pr->pr_flags & PR_CONNREQUIRED) == 0 &&
	    pr->pr_validaddr != NULL &&
	    (error = pr->pr_validaddr(so, nam, namlen)) != 0)
		goto out;
	if ((so->so_state & SS_ISCONNECTED) == 0 &&
	    (pr->pr_flags & PR_CONNREQUIRED) != 0) {
		error = pr->pr_sndnotconn != 0 ? pr->pr_sndnotconn : ENOTCONN;
		goto out;
	}
	/* A connected socket's peer is the only destination. */
	if (pr->pr_flags & PR_CONNREQUIRED) {
		nam = NULL;
		namlen = 0;
	}
	if (atomic && uio->uio_resid > so->so_snd.sb_hiwat) {
		error = EMSGSIZE;
		goto out;
	}
	/* A connectionless socket without a destination: Linux's AF_UNIX
	 * datagrams (pr_protocol 0) look at the shutdown state first
	 * (EPIPE), UDP at the destination (EDESTADDRREQ). */
	if ((so->so_state & SS_ISCONNECTED) == 0 && nam == NULL &&
	    ((so->so_state & SS_CANTSENDMORE) == 0 || pr->pr_protocol != 0)) {
		error = pr->pr_sndnotconn != 0 ? pr->pr_sndnotconn : ENOTCONN;
		goto out;
	}
	for (;;) {
		/* A pending error first (Linux's buffer allocation asks
		 * for it before the shutdown state). */
		if ((so->so_state & SS_CANTSENDMORE) &&
		    (pr->pr_flags & PR_EPIPEFIRST)) {
			error = EPIPE;
			break;
		}
		if (so->so_error != 0) {
			error = sotakeerror(so);
			break;
		}
		if (so->so_state & SS_CANTSENDMORE) {
			error = EPIPE;
			break;
		}
		/* Nothing to send on a stream: nothing to queue either. */
		if (!atomic && uio->uio_resid == 0)
			break;
		space = sosendspace(so);
		if (atomic ? space < uio->uio_resid : space == 0) {
			if (nonblock) {
				error = EAGAIN;
				break;
			}
			error = sbwait(so, &so->so_snd);
			if (error != 0)
				break;
			continue;
		}
		chunk = atomic ? uio->uio_resid :
		    MIN(MIN(space, uio->uio_resid), SOSEND_CHUNK);
		rec = sbrec_alloc(chunk);
		if (rec == NULL) {
			error = ENOBUFS;
			break;
		}
		error = uiomove(rec->sr_data, chunk, uio);
		if (error != 0) {
			sbrec_free(rec, NULL);
			break;
		}
		if (atomic)
			rec->sr_flags |= SR_EOR;
		/* Control data goes with the first record only. */
		rec->sr_control = control;
		control = NULL;
		error = pr->pr_send(so, rec, nam, namlen, flags);
		if (error != 0) {
			/* Not sent: freed below, without the lock (its
			 * control data may hold files). */
			failed = rec;
			uio->uio_resid += chunk;
			break;
		}
		sent += chunk;
		if (uio->uio_resid == 0)
			break;
	}
 out:
	sounlock(so);
	if (failed != NULL)
		sbrec_free(failed, so->so_dom);
	if (control != NULL)
		sockctl_free(control, so->so_dom);
	/* Part of a stream sent: a short count, not an error. */
	if (sent > 0 && !atomic)
		error = 0;
	return error;
}

/*
 * Delivers control data taken off a record, after so_lock was dropped
 * (installing descriptors and closing ones that do not fit must not
 * happen under the socket lock: a file closed here may be a socket of
 * the same domain).
 */
static void
soctl_deliver(struct socket *so, struct sockctl *list, struct sorcvctl *ctl,
    bool passcred, int *flagsp)
{
	const struct domain *dom = so->so_dom;
	struct sockctl *c, *next;

	for (c = list; c != NULL; c = next) {
		next = c->sc_next;
		if (c->sc_level == SOL_SOCKET && c->sc_type == SCM_CREDENTIALS &&
		    !passcred) {
			/* Only receivers with SO_PASSCRED see credentials. */
		} else if (ctl != NULL && ctl->rc_pos != NULL &&
		    dom->dom_externalize != NULL) {
			(void)dom->dom_externalize(c, &ctl->rc_pos,
			    &ctl->rc_space, flagsp);
			kmem_free(c, sizeof(*c) + c->sc_len);
			continue;
		} else {
			*flagsp |= MSG_CTRUNC;
		}
		if (dom->dom_dispose != NULL)
			dom->dom_dispose(c);
		kmem_free(c, sizeof(*c) + c->sc_len);
	}
}

static void
sorecvaddr(struct socket *so, const struct sbrec *rec,
    struct sockaddr_storage *from, socklen_t *fromlen)
{

	if (so->so_proto->pr_recvaddr != NULL) {
		so->so_proto->pr_recvaddr(so, rec, from, fromlen);
		return;
	}
	*fromlen = rec->sr_addrlen;
	if (rec->sr_addrlen > 0)
		memcpy(from, &rec->sr_addr, rec->sr_addrlen);
}

/* Waits for something to receive.  Returns 0 when there is a record,
 * -1 when the caller should return what it has (EOF or enough), or an
 * errno. */
static int
sorcv_wait(struct socket *so, size_t copied, bool nonblock)
{
	const struct protosw *pr = so->so_proto;
	int error;

	for (;;) {
		if ((pr->pr_flags & (PR_CONNREQUIRED | PR_RCVCONNFIRST)) ==
		    (PR_CONNREQUIRED | PR_RCVCONNFIRST) &&
		    (so->so_state & (SS_ISCONNECTED | SS_ISCONNECTING |
		    SS_ISDISCONNECTED)) == 0)
			return pr->pr_rcvnotconn != 0 ? pr->pr_rcvnotconn :
			    ENOTCONN;
		/* A record reader sees a pending error before the queued
		 * records (Linux's datagram receive asks for it first). */
		if (so->so_rcv.sb_first != NULL && (so->so_error == 0 ||
		    (pr->pr_flags & PR_ATOMIC) == 0))
			return 0;
		if (copied > 0 && so->so_error == 0 &&
		    (so->so_state & SS_CANTRCVMORE))
			return -1;
		if (so->so_error != 0)
			return copied > 0 ? -1 : sotakeerror(so);
		/* EOF, except that Linux tells a non-blocking datagram
		 * reader EAGAIN even after shutdown (only a sleeper sees
		 * the shutdown). */
		if ((so->so_state & SS_CANTRCVMORE) &&
		    !(nonblock && so->so_type == SOCK_DGRAM))
			return -1;
		if ((pr->pr_flags & PR_CONNREQUIRED) != 0 &&
		    (so->so_state & (SS_ISCONNECTED | SS_ISCONNECTING |
		    SS_ISDISCONNECTED)) == 0)
			return pr->pr_rcvnotconn != 0 ? pr->pr_rcvnotconn :
			    ENOTCONN;
		if (nonblock)
			return copied > 0 ? -1 : EAGAIN;
		if ((error = sbwait(so, &so->so_rcv)) != 0)
			return copied > 0 ? -1 : error;
	}
}

int
soreceive(struct socket *so, struct uio *uio, struct sockaddr_storage *from,
    socklen_t *fromlen, struct sorcvctl *ctl, int *flagsp, size_t *reclenp)
{
	const struct protosw *pr = so->so_proto;
	int flags = *flagsp;
	bool peek = (flags & MSG_PEEK) != 0;
	bool nonblock = (flags & MSG_DONTWAIT) != 0;
	size_t copied = 0, n, peekoff = 0;
	struct sockctl *takectl = NULL;
	struct sbrec *rec;
	bool gotctl, passcred;
	int error = 0, w;

	*flagsp = flags & MSG_CMSG_CLOEXEC;
	if (fromlen != NULL)
		*fromlen = 0;
	if (flags & MSG_OOB)
		return EOPNOTSUPP;
	solock(so);
	if (so->so_state & SS_ISLISTENING) {
		error = pr->pr_rcvnotconn != 0 ? pr->pr_rcvnotconn : ENOTCONN;
		goto out;
	}
	if (pr->pr_flags & PR_ATOMIC) {
		w = sorcv_wait(so, 0, nonblock);
		if (w != 0) {
			error = w < 0 ? 0 : w;
			goto out;
		}
		rec = so->so_rcv.sb_first;
		n = MIN(rec->sr_len, uio->uio_resid);
		error = uiomove(rec->sr_data, n, uio);
		if (error != 0)
			goto out;
		if (rec->sr_len > n)
			*flagsp |= MSG_TRUNC;
		if (rec->sr_flags & SR_EOR)
			*flagsp |= (so->so_type == SOCK_SEQPACKET) ? MSG_EOR : 0;
		if (reclenp != NULL)
			*reclenp = rec->sr_len;
		if (from != NULL && fromlen != NULL)
			sorecvaddr(so, rec, from, fromlen);
		if (!peek) {
			takectl = rec->sr_control;
			rec->sr_control = NULL;
			sbrec_free(sbunlink_first(&so->so_rcv), so->so_dom);
			if (pr->pr_rcvd != NULL)
				pr->pr_rcvd(so);
		}
		goto out;
	}

	/* A byte stream. */
	while (uio->uio_resid > 0) {
		rec = so->so_rcv.sb_first;
		if (peek) {
			/* Skip what this call has already shown. */
			size_t off = peekoff;

			while (rec != NULL && off >= rec->sr_len - rec->sr_off) {
				off -= rec->sr_len - rec->sr_off;
				rec = rec->sr_next;
			}
			if (rec == NULL && copied > 0)
				break;
		}
		if (rec == NULL) {
			/* Enough unless MSG_WAITALL asks for everything. */
			if (copied > 0 && (flags & MSG_WAITALL) == 0)
				break;
			w = sorcv_wait(so, copied, nonblock);
			if (w < 0)
				break;
			if (w > 0) {
				error = w;
				break;
			}
			continue;
		}
		/* Control data starts a new read: never merge across it. */
		if (rec->sr_control != NULL && copied > 0)
			break;
		if (peek) {
			size_t off = peekoff, skip;
			struct sbrec *r = so->so_rcv.sb_first;

			while (off >= r->sr_len - r->sr_off) {
				off -= r->sr_len - r->sr_off;
				r = r->sr_next;
			}
			skip = off;
			n = MIN(r->sr_len - r->sr_off - skip, uio->uio_resid);
			error = uiomove(r->sr_data + r->sr_off + skip, n, uio);
			if (error != 0)
				break;
			/* A peek names the sender of its first bytes too. */
			if (from != NULL && fromlen != NULL && copied == 0)
				sorecvaddr(so, r, from, fromlen);
			peekoff += n;
			copied += n;
			if (r->sr_control != NULL)
				break;
			continue;
		}
		n = MIN(rec->sr_len - rec->sr_off, uio->uio_resid);
		error = uiomove(rec->sr_data + rec->sr_off, n, uio);
		if (error != 0)
			break;
		copied += n;
		rec->sr_off += n;
		so->so_rcv.sb_cc -= n;
		gotctl = rec->sr_control != NULL;
		if (gotctl) {
			takectl = rec->sr_control;
			rec->sr_control = NULL;
		}
		if (from != NULL && fromlen != NULL && copied == n)
			sorecvaddr(so, rec, from, fromlen);
		if (rec->sr_off == rec->sr_len) {
			rec->sr_off = 0;
			so->so_rcv.sb_cc += rec->sr_len;
			sbrec_free(sbunlink_first(&so->so_rcv), so->so_dom);
		}
		if (pr->pr_rcvd != NULL)
			pr->pr_rcvd(so);
		/* Control data ends a read, as on Linux. */
		if (gotctl)
			break;
	}
	if (copied > 0)
		error = 0;
 out:
	passcred = (so->so_options & SOOPT_PASSCRED) != 0;
	sounlock(so);
	if (takectl != NULL)
		soctl_deliver(so, takectl, ctl, passcred, flagsp);
	return error;
}
