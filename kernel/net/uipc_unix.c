/*
 * uipc_unix.c: local sockets (AF_UNIX): stream, datagram and seqpacket,
 * named by paths in the VFS (a socket file appears) or by abstract
 * names, with SCM_RIGHTS descriptor passing, SCM_CREDENTIALS and
 * SO_PEERCRED, following Linux's semantics and errors.
 *
 * Locking: every AF_UNIX socket uses one lock, unp_lock (so_lock points
 * to it), so that a sender may touch its peer's receive buffer and the
 * name table without ordering socket locks.  Independent local sockets
 * therefore serialise; a per-connection lock would lift that later.
 * The VFS is entered (bind's create, connect's lookup) with unp_lock
 * dropped: lock order is unp_lock -> mount lock only for vrele() of a
 * bound socket's vnode.
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/kmem.h>
#include <kern/libkern.h>
#include <kern/lock.h>
#include <kern/proc.h>
#include <kern/clock.h>
#include <kern/syscall.h>
#include <vfs/vnode.h>
#include <vfs/file.h>
#include <vfs/namei.h>
#include <vfs/vfs.h>
#include <net/socket.h>
#include "socket_private.h"

/* Linux's net.unix.max_dgram_qlen default: datagrams a receiver queues
 * before senders wait. */
#define UNIX_DGRAM_QLEN	10

struct unpcb {
	struct socket	*unp_socket;
	struct unpcb	*unp_conn;	/* STREAM/SEQPACKET peer */
	struct socket	*unp_dgconn;	/* DGRAM: associated peer, held; its
					 * so_pcb is NULL once it closed */
	/* The peer's name once it is gone (getpeername still answers
	 * with it, as on Linux): DGRAM caches it on association, STREAM
	 * and SEQPACKET when the peer closes. */
	struct sockaddr_un unp_dgaddr;
	socklen_t	 unp_dgaddrlen;
	bool		 unp_peergone;
	struct unpcb	*unp_next;	/* bound sockets (unp_lock) */
	struct unpcb	*unp_dgnext;	/* datagram sockets (unp_lock) */
	struct sockaddr_un unp_addr;	/* our name, unp_addrlen bytes */
	socklen_t	 unp_addrlen;	/* 0: unbound */
	struct vnode	*unp_vnode;	/* bound to a path: its file */
	struct ucred	 unp_peercred;	/* SO_PEERCRED */
	bool		 unp_havepeercred;
};

static struct solock unp_lock;
static struct unpcb *unp_bound;		/* every bound socket (unp_lock) */
static struct unpcb *unp_dgall;		/* every datagram socket (unp_lock) */
static kcondvar_t unp_dgram_cv;		/* a datagram was received */
static unsigned unp_autobind_next;

#define sotounpcb(so)	((struct unpcb *)(so)->so_pcb)

static void
unp_init(void)
{

	mutex_init(&unp_lock.sl_mtx, MUTEX_DEFAULT);
	/* Held forever: never freed by sockets releasing it. */
	unp_lock.sl_refs = 1;
	cv_init(&unp_dgram_cv);
}

static void
unp_owncred(struct ucred *uc)
{
	struct proc *p = curproc;

	uc->pid = p->p_pid;
	mutex_enter(&p->p_lock);
	uc->uid = p->p_cred.cr_euid;
	uc->gid = p->p_cred.cr_egid;
	mutex_exit(&p->p_lock);
}

static int
unp_attach(struct socket *so, int proto)
{
	struct unpcb *unp;

	if (proto != 0 && proto != AF_UNIX)
		return EPROTONOSUPPORT;
	unp = kmem_zalloc(sizeof(*unp), KM_SLEEP);
	if (unp == NULL)
		return ENOBUFS;
	unp->unp_socket = so;
	so->so_pcb = unp;
	solock_rele(so->so_lock);
	solock_hold(&unp_lock);
	so->so_lock = &unp_lock;
	/* Datagram sockets are never made by sonewconn (which holds
	 * unp_lock), so the list lock can be taken here. */
	if (so->so_type == SOCK_DGRAM) {
		mutex_enter(&unp_lock.sl_mtx);
		unp->unp_dgnext = unp_dgall;
		unp_dgall = unp;
		mutex_exit(&unp_lock.sl_mtx);
	}
	return 0;
}

/*
 * so is closing: what others still show of it is the name it has now,
 * as on Linux, where a closed socket keeps its name while anything
 * refers to it: the sender address of its records still queued on
 * other (the peer, or any datagram socket), and for datagram sockets
 * associated with it, getpeername's answer.
 */
static void
unp_leave_name(struct socket *so, struct unpcb *unp, struct socket *other)
{
	struct sbrec *rec;
	struct unpcb *u;

	for (rec = other->so_rcv.sb_first; rec != NULL; rec = rec->sr_next) {
		if (rec->sr_sender != so)
			continue;
		memset(&rec->sr_addr, 0, sizeof(rec->sr_addr));
		memcpy(&rec->sr_addr, &unp->unp_addr, unp->unp_addrlen);
		rec->sr_addrlen = unp->unp_addrlen;
	}
	u = sotounpcb(other);
	if (so->so_type == SOCK_DGRAM && u != NULL && u->unp_dgconn == so) {
		memcpy(&u->unp_dgaddr, &unp->unp_addr, sizeof(u->unp_dgaddr));
		u->unp_dgaddrlen = unp->unp_addrlen != 0 ? unp->unp_addrlen :
		    sizeof(sa_family_t);
		u->unp_dgaddr.sun_family = AF_UNIX;
	}
}

static void
unp_unbind(struct unpcb *unp)
{
	struct unpcb **pp;

	if (unp->unp_addrlen == 0)
		return;
	for (pp = &unp_bound; *pp != NULL; pp = &(*pp)->unp_next) {
		if (*pp == unp) {
			*pp = unp->unp_next;
			break;
		}
	}
}

/* Breaks a stream/seqpacket connection from so's side (close). */
static void
unp_disconnect_stream(struct unpcb *unp)
{
	struct unpcb *peer = unp->unp_conn;
	struct socket *so = unp->unp_socket, *so2;
	struct sbrec *rec;

	if (peer == NULL)
		return;
	so2 = peer->unp_socket;
	unp_leave_name(so, unp, so2);
	peer->unp_conn = NULL;
	unp->unp_conn = NULL;
	/* The survivor keeps our name for getpeername. */
	memcpy(&peer->unp_dgaddr, &unp->unp_addr, sizeof(unp->unp_addr));
	peer->unp_dgaddrlen = unp->unp_addrlen != 0 ? unp->unp_addrlen :
	    sizeof(sa_family_t);
	peer->unp_dgaddr.sun_family = AF_UNIX;
	peer->unp_peergone = true;
	/* Linux: unread data or a connection never accepted reset the
	 * peer; either way it can neither read nor write any more.  Linux
	 * passes over a first record with nothing left in it (meant for
	 * consumed out-of-band bytes), so a lone empty SEQPACKET record
	 * does not count, two do (Linux 6.18). */
	rec = so->so_rcv.sb_first;
	if ((rec != NULL && (rec->sr_len > rec->sr_off ||
	    rec->sr_next != NULL)) || so->so_head != NULL)
		so2->so_error = ECONNRESET;
	so2->so_snd.sb_cc = 0;
	socantrcvmore(so2);
	socantsendmore(so2);
}

static int unp_sockaddr(struct socket *, struct sockaddr_storage *,
    socklen_t *);
static int unp_validaddr(struct socket *, const struct sockaddr *,
    socklen_t);

static void
unp_detach(struct socket *so)
{
	struct unpcb *unp = sotounpcb(so);
	struct vnode *vp;

	if (so->so_type == SOCK_DGRAM) {
		struct unpcb **pp, *u;

		for (pp = &unp_dgall; *pp != NULL; pp = &(*pp)->unp_dgnext)
			if (*pp == unp) {
				*pp = unp->unp_dgnext;
				break;
			}
		for (u = unp_dgall; u != NULL; u = u->unp_dgnext)
			unp_leave_name(so, unp, u->unp_socket);
		/* Safe under unp_lock: a closed socket's data was freed by
		 * soclose(), so this release frees no files. */
		if (unp->unp_dgconn != NULL) {
			sorele(unp->unp_dgconn);
			unp->unp_dgconn = NULL;
		}
	} else {
		unp_disconnect_stream(unp);
	}
	unp_unbind(unp);
	vp = unp->unp_vnode;
	unp->unp_vnode = NULL;
	so->so_pcb = NULL;
	/* Readers and writers of this socket see it is gone. */
	so->so_state |= SS_CANTRCVMORE | SS_CANTSENDMORE;
	cv_broadcast(&unp_dgram_cv);
	/* A datagram socket may still be referenced by the sockets that
	 * connected to it (they find it dead and answer ECONNREFUSED);
	 * its pcb goes now, the socket when the last reference does. */
	kmem_free(unp, sizeof(*unp));
	if (vp != NULL) {
		sounlock(so);
		vrele(vp);
		solock(so);
	}
}

/* --- Names ---------------------------------------------------------- */

/* Length of the path in a path address (bytes before the NUL, if any,
 * within the given length). */
static size_t
unp_pathlen(const struct sockaddr_un *sun, socklen_t namlen)
{
	size_t max = namlen - offsetof(struct sockaddr_un, sun_path);

	return strnlen(sun->sun_path, max);
}

static bool
unp_abstract(const struct sockaddr_un *sun, socklen_t namlen)
{

	return namlen > offsetof(struct sockaddr_un, sun_path) &&
	    sun->sun_path[0] == '\0';
}

/* Linux keeps one abstract name space per socket type: a stream and a
 * datagram socket may hold the same name, and looking a name up with the
 * other type finds nothing (ECONNREFUSED, where a path says
 * EPROTOTYPE). */
static struct unpcb *
unp_find_abstract(const struct sockaddr_un *sun, socklen_t namlen, int type)
{
	struct unpcb *unp;

	for (unp = unp_bound; unp != NULL; unp = unp->unp_next) {
		if (unp->unp_vnode == NULL && unp->unp_addrlen == namlen &&
		    unp->unp_socket->so_type == type &&
		    memcmp(&unp->unp_addr, sun, namlen) == 0)
			return unp;
	}
	return NULL;
}

static struct unpcb *
unp_find_vnode(struct vnode *vp)
{
	struct unpcb *unp;

	for (unp = unp_bound; unp != NULL; unp = unp->unp_next) {
		if (unp->unp_vnode == vp)
			return unp;
	}
	return NULL;
}

/* An unused abstract name of five hex digits, as Linux's autobind. */
static int
unp_autobind(struct unpcb *unp)
{
	static const char hex[] = "0123456789abcdef";
	struct sockaddr_un sun;
	unsigned n, tries;
	int i;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	for (tries = 0; tries < 0x100000; tries++) {
		n = (unp_autobind_next++) & 0xfffff;
		for (i = 0; i < 5; i++)
			sun.sun_path[1 + i] = hex[(n >> (4 * (4 - i))) & 0xf];
		if (unp_find_abstract(&sun, offsetof(struct sockaddr_un,
		    sun_path) + 6, unp->unp_socket->so_type) == NULL) {
			unp->unp_addr = sun;
			unp->unp_addrlen = offsetof(struct sockaddr_un,
			    sun_path) + 6;
			unp->unp_next = unp_bound;
			unp_bound = unp;
			return 0;
		}
	}
	return ENOSPC;
}

static int
unp_bind(struct socket *so, const struct sockaddr *nam, socklen_t namlen)
{
	const struct sockaddr_un *sun = (const struct sockaddr_un *)nam;
	struct unpcb *unp = sotounpcb(so);
	struct vnode *vp;
	char *path;
	size_t len;
	int error;

	if (namlen < offsetof(struct sockaddr_un, sun_path) ||
	    sun->sun_family != AF_UNIX)
		return EINVAL;
	if (namlen > sizeof(struct sockaddr_un))
		return EINVAL;
	/* Autobinding a bound socket does nothing, as on Linux. */
	if (namlen == offsetof(struct sockaddr_un, sun_path))
		return unp->unp_addrlen != 0 ? 0 : unp_autobind(unp);
	if (unp->unp_addrlen != 0 && unp_abstract(sun, namlen))
		return EINVAL;
	if (unp_abstract(sun, namlen)) {
		if (unp_find_abstract(sun, namlen, so->so_type) != NULL)
			return EADDRINUSE;
		memcpy(&unp->unp_addr, sun, namlen);
		unp->unp_addrlen = namlen;
		unp->unp_next = unp_bound;
		unp_bound = unp;
		return 0;
	}
	len = unp_pathlen(sun, namlen);
	path = kmem_alloc(len + 1, KM_SLEEP);
	if (path == NULL)
		return ENOMEM;
	memcpy(path, sun->sun_path, len);
	path[len] = '\0';
	/* The VFS runs without unp_lock (it may sleep); the socket is
	 * ours (the caller holds its file), but check again after. */
	sounlock(so);
	if (unp->unp_addrlen != 0) {
		/* Linux creates the file first: a name that exists is
		 * EADDRINUSE even for a bound socket, a new one EINVAL. */
		error = namei_vnode(AT_FDCWD, path, NI_KPATH, &vp);
		if (error == 0)
			vrele(vp);
		error = error == 0 ? EEXIST : EINVAL;
	} else {
		error = vfs_mksock(path, 0777, &vp);
	}
	solock(so);
	kmem_free(path, len + 1);
	if (error == EEXIST)
		return EADDRINUSE;
	if (error != 0)
		return error;
	if (unp->unp_addrlen != 0) {
		/* Bound meanwhile by another thread: Linux's answer. */
		sounlock(so);
		vrele(vp);
		solock(so);
		return EINVAL;
	}
	unp->unp_vnode = vp;
	memset(&unp->unp_addr, 0, sizeof(unp->unp_addr));
	unp->unp_addr.sun_family = AF_UNIX;
	memcpy(unp->unp_addr.sun_path, sun->sun_path, len);
	/* Linux reports the path with its NUL. */
	unp->unp_addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
	    len + 1);
	if (unp->unp_addrlen > sizeof(struct sockaddr_un))
		unp->unp_addrlen = sizeof(struct sockaddr_un);
	unp->unp_next = unp_bound;
	unp_bound = unp;
	so->so_state |= SS_ISBOUND;
	return 0;
}

/*
 * Finds the socket named by nam, of type type: ENOENT (no such path),
 * ECONNREFUSED (not a socket, or nothing bound), EACCES (no write
 * permission on the file), EPROTOTYPE (other type).  The result is
 * referenced (sorele).  Called with unp_lock held; drops it around the
 * VFS lookup, so the caller rechecks its own state afterwards.
 */
static int
unp_lookup(struct socket *so, const struct sockaddr *nam, socklen_t namlen,
    struct socket **sop)
{
	const struct sockaddr_un *sun = (const struct sockaddr_un *)nam;
	struct unpcb *unp2;
	struct vnode *vp;
	char *path;
	size_t len;
	int error;

	if (namlen <= offsetof(struct sockaddr_un, sun_path) ||
	    namlen > sizeof(struct sockaddr_un))
		return EINVAL;
	if (sun->sun_family != AF_UNIX)
		return EINVAL;
	if (unp_abstract(sun, namlen)) {
		unp2 = unp_find_abstract(sun, namlen, so->so_type);
		if (unp2 == NULL)
			return ECONNREFUSED;
	} else {
		len = unp_pathlen(sun, namlen);
		path = kmem_alloc(len + 1, KM_SLEEP);
		if (path == NULL)
			return ENOMEM;
		memcpy(path, sun->sun_path, len);
		path[len] = '\0';
		sounlock(so);
		error = namei_vnode(AT_FDCWD, path, NI_FOLLOW | NI_KPATH, &vp);
		kmem_free(path, len + 1);
		if (error == 0) {
			if (vp->v_type != VSOCK)
				error = ECONNREFUSED;
			else
				error = vn_access(vp, VWRITE,
				    kauth_cred_get());
			if (error != 0)
				vrele(vp);
		}
		solock(so);
		if (error != 0)
			return error;
		/* The vnode stays referenced by its bound socket, if any,
		 * so comparing pointers after vrele is sound. */
		unp2 = unp_find_vnode(vp);
		sounlock(so);
		vrele(vp);
		solock(so);
		if (unp2 == NULL || unp_find_vnode(vp) != unp2)
			return ECONNREFUSED;
	}
	if (unp2->unp_socket->so_type != so->so_type)
		return EPROTOTYPE;
	soref(unp2->unp_socket);
	*sop = unp2->unp_socket;
	return 0;
}

/* --- Connections ---------------------------------------------------- */

static int
unp_listen(struct socket *so)
{
	struct unpcb *unp = sotounpcb(so);

	if (unp->unp_addrlen == 0)
		return EINVAL;
	/* Linux: a listener's SO_PEERCRED is its own credentials, which
	 * connecting clients see as their peer's. */
	unp_owncred(&unp->unp_peercred);
	unp->unp_havepeercred = true;
	return 0;
}

/* Remembers the name of a datagram socket's peer (a socket's name can
 * only change from none to one, by bind or autobind, which refresh). */
static void
unp_cachepeer(struct unpcb *unp)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (unp->unp_dgconn == NULL || unp->unp_dgconn->so_pcb == NULL)
		return;
	(void)unp_sockaddr(unp->unp_dgconn, &ss, &len);
	memcpy(&unp->unp_dgaddr, &ss, MIN(len, sizeof(unp->unp_dgaddr)));
	unp->unp_dgaddrlen = MIN(len, (socklen_t)sizeof(unp->unp_dgaddr));
}

/*
 * A datagram socket lost its association with old (reconnected,
 * AF_UNSPEC, or old closed): as Linux, the messages it holds are
 * dropped, and old, if it is alive and associated with us, learns
 * ECONNRESET.  Drops unp_lock while freeing (control data may hold
 * files).
 */
static void
unp_dgram_disconnected(struct socket *so, struct socket *old)
{
	struct sbrec *recs = NULL, *rec;

	if (so->so_rcv.sb_first == NULL)
		return;
	while ((rec = sbunlink_first(&so->so_rcv)) != NULL) {
		rec->sr_next = recs;
		recs = rec;
	}
	if (old != NULL && old->so_pcb != NULL &&
	    sotounpcb(old)->unp_dgconn == so)
		soseterror(old, ECONNRESET);
	cv_broadcast(&unp_dgram_cv);
	sounlock(so);
	while ((rec = recs) != NULL) {
		recs = rec->sr_next;
		sbrec_free(rec, so->so_dom);
	}
	solock(so);
}

static void
unp_connect_pair(struct unpcb *unp, struct unpcb *unp2)
{

	unp->unp_conn = unp2;
	unp2->unp_conn = unp;
}

static int
unp_connect_dgram(struct socket *so, const struct sockaddr *nam,
    socklen_t namlen)
{
	struct unpcb *unp = sotounpcb(so);
	struct socket *so2, *old;
	int error;

	/* AF_UNSPEC dissolves the association. */
	if (namlen >= sizeof(sa_family_t) && nam->sa_family == AF_UNSPEC) {
		if ((so2 = unp->unp_dgconn) != NULL) {
			unp->unp_dgconn = NULL;
			unp_dgram_disconnected(so, so2);
			sorele(so2);
		}
		so->so_state &= ~SS_ISCONNECTED;
		return 0;
	}
	/* Linux names a SO_PASSCRED socket before it looks. */
	if ((so->so_options & SOOPT_PASSCRED) && unp->unp_addrlen == 0 &&
	    namlen > offsetof(struct sockaddr_un, sun_path) &&
	    nam->sa_family == AF_UNIX && (error = unp_autobind(unp)) != 0)
		return error;
	error = unp_lookup(so, nam, namlen, &so2);
	if (error != 0)
		return error;
	if (so->so_pcb == NULL) {
		sorele(so2);
		return EBADF;
	}
	/* A socket associated with another takes nothing from us. */
	if (so2->so_pcb == NULL || (sotounpcb(so2)->unp_dgconn != NULL &&
	    sotounpcb(so2)->unp_dgconn != so)) {
		error = so2->so_pcb == NULL ? ECONNREFUSED : EPERM;
		sorele(so2);
		return error;
	}
	old = unp->unp_dgconn;
	/* The reference from unp_lookup stays with the association. */
	unp->unp_dgconn = so2;
	if (old != NULL) {
		if (old != so2)
			unp_dgram_disconnected(so, old);
		sorele(old);
	}
	unp_cachepeer(unp);
	so->so_state |= SS_ISCONNECTED;
	return 0;
}

static int
unp_connect(struct socket *so, const struct sockaddr *nam, socklen_t namlen)
{
	struct unpcb *unp = sotounpcb(so), *unp2, *unp3;
	struct socket *so2, *so3;
	int error;

	if (so->so_type == SOCK_DGRAM)
		return unp_connect_dgram(so, nam, namlen);
	/* Linux's order: the address, the listener, then our state; a
	 * SO_PASSCRED socket is named once the address looks valid. */
	if (unp_validaddr(so, nam, namlen) == 0 &&
	    (so->so_options & SOOPT_PASSCRED) && unp->unp_addrlen == 0 &&
	    (error = unp_autobind(unp)) != 0)
		return error;
	error = unp_lookup(so, nam, namlen, &so2);
	if (error != 0)
		return error;
	for (;;) {
		if (so2->so_pcb == NULL ||
		    (so2->so_state & SS_ISLISTENING) == 0 ||
		    (so2->so_state & SS_CANTRCVMORE) != 0) {
			error = ECONNREFUSED;
			break;
		}
		/* A full accept queue: wait for room, as Linux does. */
		if (so2->so_qlen > so2->so_qlimit) {
			if (so->so_state & SS_NBIO) {
				error = EAGAIN;
				break;
			}
			if ((error = sowait(so2, so->so_snd.sb_timeo_ns)) !=
			    0) {
				if (error == ETIMEDOUT)
					error = EAGAIN;
				break;
			}
			continue;
		}
		if (so->so_pcb == NULL || (so->so_state & SS_ISCONNECTED)) {
			error = EISCONN;
			break;
		}
		if (so->so_state & SS_ISLISTENING) {
			error = EINVAL;
			break;
		}
		so3 = sonewconn(so2, false);
		if (so3 == NULL) {
			error = ENOMEM;
			break;
		}
		unp2 = sotounpcb(so2);
		unp3 = sotounpcb(so3);
		/* The accepted socket carries the listener's name. */
		unp3->unp_addr = unp2->unp_addr;
		unp3->unp_addrlen = unp2->unp_addrlen;
		/* Each end's SO_PEERCRED: the client sees the listener's
		 * credentials, the server the client's now. */
		unp_owncred(&unp3->unp_peercred);
		unp3->unp_havepeercred = true;
		unp->unp_peercred = unp2->unp_peercred;
		unp->unp_havepeercred = true;
		unp_connect_pair(unp, unp3);
		soisconnected(unp3->unp_socket);
		soisconnected(so);
		break;
	}
	sorele(so2);
	return error;
}

static int
unp_connect2(struct socket *so1, struct socket *so2)
{
	struct unpcb *unp1 = sotounpcb(so1), *unp2 = sotounpcb(so2);

	unp_owncred(&unp1->unp_peercred);
	unp1->unp_havepeercred = true;
	unp2->unp_peercred = unp1->unp_peercred;
	unp2->unp_havepeercred = true;
	if (so1->so_type == SOCK_DGRAM) {
		soref(so1);
		soref(so2);
		unp1->unp_dgconn = so2;
		unp2->unp_dgconn = so1;
		unp_cachepeer(unp1);
		unp_cachepeer(unp2);
		so1->so_state |= SS_ISCONNECTED;
		so2->so_state |= SS_ISCONNECTED;
		return 0;
	}
	unp_connect_pair(unp1, unp2);
	soisconnected(so1);
	soisconnected(so2);
	return 0;
}

static int
unp_shutdown(struct socket *so, int how)
{
	struct unpcb *unp = sotounpcb(so);
	struct socket *so2;

	/* Linux: the peer of a connected stream or seqpacket socket
	 * learns both directions: our SHUT_WR is its EOF, our SHUT_RD
	 * makes its writes fail. */
	if (so->so_type == SOCK_DGRAM || unp == NULL || unp->unp_conn == NULL)
		return 0;
	so2 = unp->unp_conn->unp_socket;
	if (how != SHUT_RD)
		socantrcvmore(so2);
	if (how != SHUT_WR)
		socantsendmore(so2);
	return 0;
}

/* --- Data ----------------------------------------------------------- */

static void
unp_setsender(struct unpcb *unp, struct sbrec *rec)
{

	soref(unp->unp_socket);
	rec->sr_sender = unp->unp_socket;
	if (unp->unp_addrlen > 0) {
		memcpy(&rec->sr_addr, &unp->unp_addr, unp->unp_addrlen);
		rec->sr_addrlen = unp->unp_addrlen;
	}
}

/* Adds our credentials when sender or receiver asked for them (Linux's
 * maybe_add_creds) and the message has none. */
static int
unp_addcreds(struct socket *so, struct socket *so2, struct sbrec *rec)
{
	struct sockctl *c;
	struct ucred uc;

	if (((so->so_options | so2->so_options) & SOOPT_PASSCRED) == 0)
		return 0;
	for (c = rec->sr_control; c != NULL; c = c->sc_next)
		if (c->sc_level == SOL_SOCKET && c->sc_type == SCM_CREDENTIALS)
			return 0;
	c = kmem_zalloc(sizeof(*c) + sizeof(uc), KM_SLEEP);
	if (c == NULL)
		return ENOBUFS;
	unp_owncred(&uc);
	c->sc_level = SOL_SOCKET;
	c->sc_type = SCM_CREDENTIALS;
	c->sc_len = sizeof(uc);
	memcpy(c->sc_data, &uc, sizeof(uc));
	c->sc_next = rec->sr_control;
	rec->sr_control = c;
	return 0;
}

static int
unp_send_dgram(struct socket *so, struct sbrec *rec,
    const struct sockaddr *nam, socklen_t namlen, int flags)
{
	struct unpcb *unp = sotounpcb(so), *unp2;
	struct socket *so2 = NULL;
	int error;

	/* Linux names a SO_PASSCRED sender first. */
	if ((so->so_options & SOOPT_PASSCRED) && unp->unp_addrlen == 0 &&
	    (error = unp_autobind(unp)) != 0)
		return error;
	for (;;) {
		if (nam != NULL) {
			error = unp_lookup(so, nam, namlen, &so2);
			if (error != 0)
				return error;
			if (so->so_pcb == NULL) {
				sorele(so2);
				return EPIPE;
			}
		} else {
			if (unp->unp_dgconn == NULL)
				return ENOTCONN;
			so2 = unp->unp_dgconn;
			soref(so2);
		}
		unp2 = sotounpcb(so2);
		if (unp2 == NULL) {
			/* The receiver is gone: a connected sender is
			 * disconnected and told ECONNREFUSED, as Linux. */
			if (unp->unp_dgconn == so2) {
				unp->unp_dgconn = NULL;
				so->so_state &= ~SS_ISCONNECTED;
				unp_dgram_disconnected(so, so2);
				sorele(so2);
			}
			sorele(so2);
			return ECONNREFUSED;
		}
		/* A receiver connected elsewhere takes nothing from us. */
		if (unp2->unp_dgconn != NULL && unp2->unp_dgconn != so) {
			sorele(so2);
			return EPERM;
		}
		if (so2->so_state & SS_CANTRCVMORE) {
			sorele(so2);
			return EPIPE;
		}
		/* Linux limits the queue only for senders the receiver is
		 * not associated with (max_dgram_qlen). */
		if ((unp2->unp_dgconn == so ||
		    so2->so_rcv.sb_nrecs < UNIX_DGRAM_QLEN) &&
		    so2->so_rcv.sb_cc + rec->sr_len <= so2->so_rcv.sb_hiwat)
			break;
		sorele(so2);
		so2 = NULL;
		if ((flags & MSG_DONTWAIT) != 0)
			return EAGAIN;
		switch (cv_timedwait_sig_ns(&unp_dgram_cv, &unp_lock.sl_mtx,
		    so->so_snd.sb_timeo_ns)) {
		case ETIMEDOUT:
			return EAGAIN;
		case EINTR:
			return sointr_errno(so->so_snd.sb_timeo_ns);
		}
		if (so->so_pcb == NULL)
			return EPIPE;
	}
	error = unp_addcreds(so, so2, rec);
	if (error == 0) {
		unp_setsender(unp, rec);
		sbappend(&so2->so_rcv, rec);
		sorwakeup(so2);
	}
	sorele(so2);
	return error;
}

/* Linux's unix_dgram_sendmsg names a SO_PASSCRED sender right after
 * checking the address, before the peer, the size or the state; a
 * SEQPACKET send gets there once it has found no pending error and the
 * socket connected (the address is ignored), so even a send after
 * shutdown names it. */
static void
unp_sendprep(struct socket *so, const struct sockaddr *nam, socklen_t namlen)
{
	struct unpcb *unp = sotounpcb(so);

	if (unp == NULL || (so->so_options & SOOPT_PASSCRED) == 0 ||
	    unp->unp_addrlen != 0)
		return;
	if ((so->so_type == SOCK_DGRAM &&
	    (nam == NULL || unp_validaddr(so, nam, namlen) == 0)) ||
	    (so->so_type == SOCK_SEQPACKET && so->so_error == 0 &&
	    (so->so_state & SS_ISCONNECTED) != 0))
		(void)unp_autobind(unp);
}

static int
unp_send(struct socket *so, struct sbrec *rec, const struct sockaddr *nam,
    socklen_t namlen, int flags)
{
	struct unpcb *unp = sotounpcb(so);
	struct socket *so2;
	int error;

	(void)namlen;
	if (so->so_type == SOCK_DGRAM)
		return unp_send_dgram(so, rec, nam, namlen, flags);
	if (unp->unp_conn == NULL)
		return EPIPE;
	/* SEQPACKET sends take Linux's datagram path, which names a
	 * SO_PASSCRED sender. */
	if (so->so_type == SOCK_SEQPACKET &&
	    (so->so_options & SOOPT_PASSCRED) && unp->unp_addrlen == 0 &&
	    (error = unp_autobind(unp)) != 0)
		return error;
	so2 = unp->unp_conn->unp_socket;
	error = unp_addcreds(so, so2, rec);
	if (error != 0)
		return error;
	unp_setsender(unp, rec);
	/* Our in-flight bytes: what the peer has not read yet. */
	so->so_snd.sb_cc += rec->sr_len;
	sbappend(&so2->so_rcv, rec);
	sorwakeup(so2);
	return 0;
}

static size_t
unp_sendspace(struct socket *so)
{

	if (so->so_type == SOCK_DGRAM)
		return so->so_snd.sb_hiwat;
	return sbspace(&so->so_snd);
}

static void
unp_rcvd(struct socket *so)
{
	struct unpcb *unp = sotounpcb(so);
	struct socket *so2;

	if (so->so_type == SOCK_DGRAM) {
		cv_broadcast(&unp_dgram_cv);
		return;
	}
	if (unp == NULL || unp->unp_conn == NULL)
		return;
	/* The writer's in-flight count is what we still hold. */
	so2 = unp->unp_conn->unp_socket;
	so2->so_snd.sb_cc = so->so_rcv.sb_cc;
	sowwakeup(so2);
}

static int
unp_validaddr(struct socket *so, const struct sockaddr *nam,
    socklen_t namlen)
{

	(void)so;
	if (namlen <= offsetof(struct sockaddr_un, sun_path) ||
	    namlen > sizeof(struct sockaddr_un) || nam->sa_family != AF_UNIX)
		return EINVAL;
	return 0;
}

/* Linux reports the sender's name as it is now (it may have bound
 * since), nothing for an unbound one, and a closed one's last name. */
static void
unp_recvaddr(struct socket *so, const struct sbrec *rec,
    struct sockaddr_storage *ss, socklen_t *lenp)
{
	struct socket *sender = rec->sr_sender;
	struct unpcb *unp;

	(void)so;
	if (sender != NULL && (unp = sotounpcb(sender)) != NULL) {
		*lenp = unp->unp_addrlen;
		if (unp->unp_addrlen > 0)
			memcpy(ss, &unp->unp_addr, unp->unp_addrlen);
		return;
	}
	*lenp = rec->sr_addrlen;
	if (rec->sr_addrlen > 0)
		memcpy(ss, &rec->sr_addr, rec->sr_addrlen);
}

static int
unp_sockaddr(struct socket *so, struct sockaddr_storage *ss, socklen_t *lenp)
{
	struct unpcb *unp = sotounpcb(so);

	memset(ss, 0, sizeof(*ss));
	if (unp == NULL || unp->unp_addrlen == 0) {
		ss->ss_family = AF_UNIX;
		*lenp = sizeof(sa_family_t);
		return 0;
	}
	memcpy(ss, &unp->unp_addr, unp->unp_addrlen);
	*lenp = unp->unp_addrlen;
	return 0;
}

static int
unp_peeraddr(struct socket *so, struct sockaddr_storage *ss, socklen_t *lenp)
{
	struct unpcb *unp = sotounpcb(so);

	if (unp != NULL && unp->unp_dgconn != NULL) {
		/* A closed peer keeps its name for us, as on Linux. */
		if (unp->unp_dgconn->so_pcb == NULL) {
			memset(ss, 0, sizeof(*ss));
			memcpy(ss, &unp->unp_dgaddr, unp->unp_dgaddrlen);
			*lenp = unp->unp_dgaddrlen;
			return 0;
		}
		return unp_sockaddr(unp->unp_dgconn, ss, lenp);
	}
	if (unp != NULL && unp->unp_conn == NULL && unp->unp_peergone) {
		memset(ss, 0, sizeof(*ss));
		memcpy(ss, &unp->unp_dgaddr, unp->unp_dgaddrlen);
		*lenp = unp->unp_dgaddrlen;
		return 0;
	}
	if (unp == NULL || unp->unp_conn == NULL)
		return ENOTCONN;
	return unp_sockaddr(unp->unp_conn->unp_socket, ss, lenp);
}

static int
unp_ctloutput(struct socket *so, int op, int level, int name, void *val,
    socklen_t *len)
{
	struct unpcb *unp = sotounpcb(so);

	if (level != SOL_SOCKET)
		return EOPNOTSUPP;
	if (name != SO_PEERCRED)
		return ENOPROTOOPT;
	if (op == PRCO_SETOPT)
		return ENOPROTOOPT;
	if (unp == NULL || !unp->unp_havepeercred)
		return ENOPROTOOPT;	/* the generic "nobody" answer */
	memcpy(val, &unp->unp_peercred, sizeof(unp->unp_peercred));
	*len = sizeof(unp->unp_peercred);
	return 0;
}

/* --- Control messages ----------------------------------------------- */

static int
unp_internalize(int level, int type, const void *data, size_t len,
    struct sockctl **ctlp)
{
	const struct kauth_cred *cred = kauth_cred_get();
	struct sockctl *c;
	struct file **fps;
	struct ucred uc;
	const int *fds = data;
	size_t n, i;
	int error;

	if (level != SOL_SOCKET)
		return EINVAL;
	switch (type) {
	case SCM_RIGHTS:
		n = len / sizeof(int);
		if (n == 0 || n > SCM_MAX_FD)
			return EINVAL;
		c = kmem_zalloc(sizeof(*c) + n * sizeof(struct file *),
		    KM_SLEEP);
		if (c == NULL)
			return ENOMEM;
		c->sc_level = level;
		c->sc_type = type;
		c->sc_len = n * sizeof(struct file *);
		fps = (struct file **)c->sc_data;
		for (i = 0; i < n; i++) {
			error = fd_getfile(fds[i], &fps[i]);
			if (error != 0) {
				while (i > 0)
					file_release(fps[--i]);
				kmem_free(c, sizeof(*c) + c->sc_len);
				return error;
			}
		}
		*ctlp = c;
		return 0;
	case SCM_CREDENTIALS:
		if (len < sizeof(uc))
			return EINVAL;
		memcpy(&uc, data, sizeof(uc));
		/* Only root may claim other credentials. */
		if (!cred_is_superuser(cred) &&
		    (uc.pid != curproc->p_pid ||
		    (uc.uid != cred->cr_uid && uc.uid != cred->cr_euid &&
		    uc.uid != cred->cr_suid) ||
		    (uc.gid != cred->cr_gid && uc.gid != cred->cr_egid &&
		    uc.gid != cred->cr_sgid)))
			return EPERM;
		c = kmem_zalloc(sizeof(*c) + sizeof(uc), KM_SLEEP);
		if (c == NULL)
			return ENOMEM;
		c->sc_level = level;
		c->sc_type = type;
		c->sc_len = sizeof(uc);
		memcpy(c->sc_data, &uc, sizeof(uc));
		*ctlp = c;
		return 0;
	default:
		return EINVAL;
	}
}

static void
unp_dispose(struct sockctl *c)
{
	struct file **fps = (struct file **)c->sc_data;
	size_t i;

	if (c->sc_type != SCM_RIGHTS)
		return;
	for (i = 0; i < c->sc_len / sizeof(struct file *); i++) {
		if (fps[i] != NULL)
			file_release(fps[i]);
		fps[i] = NULL;
	}
}

/* Writes one cmsghdr with datalen bytes of data at *cpos. */
static int
unp_putcmsg(int level, int type, const void *data, size_t datalen,
    char **cpos, size_t *cspace, int *flags)
{
	struct cmsghdr cm;
	size_t len = CMSG_LEN(datalen), adv;
	int error;

	if (*cspace < sizeof(cm)) {
		*flags |= MSG_CTRUNC;
		return 0;
	}
	if (*cspace < len) {
		*flags |= MSG_CTRUNC;
		len = *cspace;
	}
	cm.cmsg_len = len;
	cm.cmsg_level = level;
	cm.cmsg_type = type;
	error = copyout(&cm, *cpos, sizeof(cm));
	if (error == 0 && len > CMSG_DATAOFF)
		error = copyout(data, *cpos + CMSG_DATAOFF, len - CMSG_DATAOFF);
	if (error != 0)
		return error;
	adv = MIN(CMSG_SPACE(datalen), *cspace);
	*cpos += adv;
	*cspace -= adv;
	return 0;
}

static int
unp_externalize(struct sockctl *c, char **cpos, size_t *cspace, int *flags)
{
	struct file **fps = (struct file **)c->sc_data;
	size_t n, fit, i;
	int fds[SCM_MAX_FD];
	int error;

	if (c->sc_type == SCM_CREDENTIALS)
		return unp_putcmsg(SOL_SOCKET, SCM_CREDENTIALS, c->sc_data,
		    c->sc_len, cpos, cspace, flags);
	if (c->sc_type != SCM_RIGHTS)
		return 0;
	n = c->sc_len / sizeof(struct file *);
	fit = *cspace > CMSG_DATAOFF ? (*cspace - CMSG_DATAOFF) / sizeof(int) :
	    0;
	fit = MIN(fit, n);
	for (i = 0; i < fit; i++) {
		error = fd_installnew(fps[i],
		    (*flags & MSG_CMSG_CLOEXEC) != 0, &fds[i]);
		if (error != 0)
			break;
		/* The table holds its own reference now. */
		file_release(fps[i]);
		fps[i] = NULL;
	}
	if (i < n)
		*flags |= MSG_CTRUNC;
	/* Descriptors that did not fit are closed, as on Linux. */
	unp_dispose(c);
	if (i == 0)
		return 0;
	return unp_putcmsg(SOL_SOCKET, SCM_RIGHTS, fds, i * sizeof(int),
	    cpos, cspace, flags);
}

static const struct protosw unixsw[] = {
	{
		.pr_type = SOCK_STREAM,
		.pr_flags = PR_CONNREQUIRED | PR_LISTEN | PR_RIGHTS | PR_ADDR |
		    PR_NOADDR | PR_RCVCONNFIRST | PR_EPIPEFIRST,
		.pr_attach = unp_attach,
		.pr_detach = unp_detach,
		.pr_bind = unp_bind,
		.pr_listen = unp_listen,
		.pr_connect = unp_connect,
		.pr_connect2 = unp_connect2,
		.pr_shutdown = unp_shutdown,
		.pr_send = unp_send,
		.pr_sendspace = unp_sendspace,
		.pr_rcvd = unp_rcvd,
		.pr_validaddr = unp_validaddr,
		.pr_sendprep = unp_sendprep,
		.pr_recvaddr = unp_recvaddr,
		.pr_sockaddr = unp_sockaddr,
		.pr_peeraddr = unp_peeraddr,
		.pr_ctloutput = unp_ctloutput,
		.pr_rcvnotconn = EINVAL,
	},
	{
		.pr_type = SOCK_DGRAM,
		.pr_flags = PR_ATOMIC | PR_ADDR | PR_RIGHTS,
		.pr_attach = unp_attach,
		.pr_detach = unp_detach,
		.pr_bind = unp_bind,
		.pr_connect = unp_connect,
		.pr_connect2 = unp_connect2,
		.pr_shutdown = unp_shutdown,
		.pr_send = unp_send,
		.pr_sendspace = unp_sendspace,
		.pr_rcvd = unp_rcvd,
		.pr_validaddr = unp_validaddr,
		.pr_sendprep = unp_sendprep,
		.pr_recvaddr = unp_recvaddr,
		.pr_sockaddr = unp_sockaddr,
		.pr_peeraddr = unp_peeraddr,
		.pr_ctloutput = unp_ctloutput,
	},
	{
		.pr_type = SOCK_SEQPACKET,
		.pr_flags = PR_ATOMIC | PR_CONNREQUIRED | PR_LISTEN |
		    PR_RIGHTS | PR_ADDR | PR_RCVCONNFIRST,
		.pr_attach = unp_attach,
		.pr_detach = unp_detach,
		.pr_bind = unp_bind,
		.pr_listen = unp_listen,
		.pr_connect = unp_connect,
		.pr_connect2 = unp_connect2,
		.pr_shutdown = unp_shutdown,
		.pr_send = unp_send,
		.pr_sendspace = unp_sendspace,
		.pr_rcvd = unp_rcvd,
		.pr_validaddr = unp_validaddr,
		.pr_sendprep = unp_sendprep,
		.pr_recvaddr = unp_recvaddr,
		.pr_sockaddr = unp_sockaddr,
		.pr_peeraddr = unp_peeraddr,
		.pr_ctloutput = unp_ctloutput,
	},
};

static const struct domain unixdomain = {
	.dom_family = AF_UNIX,
	.dom_name = "unix",
	.dom_protosw = unixsw,
	.dom_nprotosw = __arraycount(unixsw),
	.dom_init = unp_init,
	.dom_internalize = unp_internalize,
	.dom_externalize = unp_externalize,
	.dom_dispose = unp_dispose,
};
DOMAIN_SET(unixdomain);
