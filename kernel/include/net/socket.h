/*
 * net/socket.h: the sockets layer of the net faction, and its contract
 * with protocols.
 *
 * The generic layer (kernel/net/socket*.c, uipc_*.c) implements the
 * socket system calls with Linux semantics: descriptors, argument
 * copying, blocking and O_NONBLOCK, timeouts (SO_RCVTIMEO/SO_SNDTIMEO),
 * SOL_SOCKET options, the receive buffer (MSG_PEEK, MSG_WAITALL,
 * MSG_TRUNC, control messages), the accept queue, readiness for poll and
 * epoll, and close.  A protocol (AF_UNIX stream/dgram/seqpacket, TCP,
 * UDP, ...) supplies a struct protosw and moves data: it delivers
 * incoming data into so_rcv, takes outgoing data from pr_send, and
 * reports state changes through the so*() helpers below.
 *
 * Registration: a family is a struct domain holding its protosw array,
 * added with DOMAIN_SET(); socket(family, type, protocol) picks the first
 * protosw of the family with pr_type == type and pr_protocol == protocol,
 * or, for protocol 0, the first of that type (its default).  No domain:
 * EAFNOSUPPORT; no such type: ESOCKTNOSUPPORT; type but no such
 * protocol: EPROTONOSUPPORT (Linux's answers).
 *
 * ---------------------------------------------------------------------
 * Locking
 *
 * Each socket is protected by one mutex, so->so_lock, which may be
 * shared between sockets: a protocol chooses the lock at pr_attach (its
 * own per-socket lock by default; AF_UNIX uses one lock for the whole
 * domain, so connected sockets can be locked together).  A socket made by
 * sonewconn() shares its listener's lock for its whole life, so that the
 * accept queue and the queued sockets change together.  so_lock protects
 * every field below marked (l): state, error, both socket buffers, the
 * accept queues, the protocol's per-socket state (so_pcb) unless the
 * protocol says otherwise.  solock()/sounlock() take it.
 *
 * Lock order:  socket lock  ->  pollhead lock (vfs/poll.h)  ->  a
 * poller's own lock.  Protocol-internal locks (a PCB table, an
 * interface queue) come after the socket lock unless the protocol
 * documents otherwise; code that must take a socket lock while holding
 * a protocol lock uses solock_try() or drops its lock first.  Two
 * socket locks are never taken at once unless they are the same lock.
 *
 * Every pr_* operation is called with so_lock held and returns with it
 * held; an operation may sleep on so_cv / sb_cv with sbwait() / sowait(),
 * which release the lock while asleep.  Copies to and from clients
 * (copyin/copyout, uiomove) may happen with so_lock held.
 *
 * Wakeups: whoever changes what a sleeper or a poller waits for calls,
 * with so_lock held, sorwakeup(so) (data or EOF in so_rcv, an error),
 * sowwakeup(so) (room in so_snd, or writing became impossible), or
 * soisconnected() and friends (state changes, which wake everyone).
 * They broadcast the condition variables and call pollwakeup() on
 * so_ph, so poll/select/epoll see the change.
 *
 * ---------------------------------------------------------------------
 * Blocking
 *
 * A call blocks unless the file has O_NONBLOCK or the call passes
 * MSG_DONTWAIT; it then fails with EAGAIN where it would have slept
 * (connect: EINPROGRESS, and EALREADY for a second call while
 * connecting).  Blocking reads and writes wait at most SO_RCVTIMEO /
 * SO_SNDTIMEO (0: forever) and then fail with EAGAIN, or return the
 * partial count.  There are no signals in a rump kernel: sleeps are never
 * interrupted (no EINTR) and EPIPE never raises SIGPIPE, with or without
 * MSG_NOSIGNAL.
 *
 * Errors: so_error holds an asynchronous error (ECONNREFUSED,
 * ECONNRESET, ETIMEDOUT, ...) that a protocol sets with soseterror().
 * The next send or receive that finds it returns it once and clears it;
 * getsockopt(SO_ERROR) reads and clears it; poll reports POLLERR while
 * it is set.
 */
#ifndef NET_SOCKET_H
#define NET_SOCKET_H

#include <kern/types.h>
#include <kern/lock.h>
#include <kern/component.h>
#include <vfs/poll.h>
#include <net/abi.h>

struct socket;
struct file;
struct uio;
struct proc;
struct domain;

/*
 * Control data carried with a record: a list of items, each one
 * control message in kernel form.  SCM_RIGHTS items hold struct file
 * pointers, each with a reference of its own; SCM_CREDENTIALS a struct
 * ucred.  The domain converts them from and to the client's cmsghdr form
 * (dom_internalize/dom_externalize) and releases what they hold
 * (dom_dispose) when a record is dropped unread.
 */
struct sockctl {
	struct sockctl	*sc_next;
	int		 sc_level;	/* SOL_SOCKET, ... */
	int		 sc_type;	/* SCM_RIGHTS, ... */
	size_t		 sc_len;	/* bytes in sc_data */
	uint64_t	 sc_data[];	/* 8-aligned payload */
};

/*
 * One unit in a socket buffer: data bytes, with for datagram protocols
 * the sender's address and for any protocol control data.  Allocated by
 * sbrec_alloc() with room for len data bytes.
 */
struct sbrec {
	struct sbrec	*sr_next;	/* next in the sockbuf */
	size_t		 sr_len;	/* data bytes held */
	size_t		 sr_off;	/* bytes already consumed (stream) */
	socklen_t	 sr_addrlen;	/* 0: no address */
	struct sockaddr_storage sr_addr;
	struct sockctl	*sr_control;	/* NULL or a list */
	struct socket	*sr_sender;	/* NULL, or the sending socket, held
					 * (soref): woken (sowwakeup) when the
					 * record is freed, and asked for its
					 * name by pr_recvaddr (AF_UNIX) */
	int		 sr_flags;
#define SR_EOR		0x01		/* ends a message (SEQPACKET) */
	char		*sr_data;	/* sr_len bytes (inline after it) */
};

/* A new record with room for len bytes (data uninitialised, no address,
 * no control); NULL when out of memory. */
struct sbrec	*sbrec_alloc(size_t len);
/* Frees rec, disposing of its control data through dom. */
void		 sbrec_free(struct sbrec *rec, const struct domain *dom);

/*
 * Socket buffers (l).  A stream protocol's buffer is a byte stream that
 * happens to be stored as records (readers cross record boundaries,
 * except at control data); an atomic protocol's (PR_ATOMIC) is a queue
 * of messages, each read whole or truncated.
 */
struct sockbuf {
	struct sbrec	*sb_first;	/* oldest record */
	struct sbrec	*sb_last;
	size_t		 sb_cc;		/* unconsumed data bytes */
	unsigned	 sb_nrecs;	/* records (datagrams) queued */
	size_t		 sb_hiwat;	/* SO_RCVBUF / SO_SNDBUF */
	size_t		 sb_lowat;	/* SO_RCVLOWAT / SO_SNDLOWAT */
	uint64_t	 sb_timeo_ns;	/* SO_RCVTIMEO / SO_SNDTIMEO, 0: none */
	kcondvar_t	 sb_cv;		/* readers (so_rcv) / writers (so_snd) */
	int		 sb_flags;
#define SB_CANTMORE	0x01	/* so_rcv: EOF (no more data will come);
				 * so_snd: nothing more may be sent */
};

/* Free room in sb (0 when full). */
size_t	 sbspace(const struct sockbuf *sb);
/* Appends rec to sb (consumes it). */
void	 sbappend(struct sockbuf *sb, struct sbrec *rec);
/* Drops len bytes from the front of a stream buffer (TCP: acknowledged
 * data), freeing emptied records; dom for their control data. */
void	 sbdrop(struct sockbuf *sb, size_t len, const struct domain *dom);
/* Copies len bytes at offset off of a stream buffer into buf (TCP:
 * what to transmit or retransmit); returns the bytes copied. */
size_t	 sbcopy(const struct sockbuf *sb, size_t off, size_t len, void *buf);
/* Drops everything (records, control data). */
void	 sbflush(struct sockbuf *sb, const struct domain *dom);

/*
 * Protocol switch.  Operations a protocol leaves NULL fail with
 * EOPNOTSUPP (pr_ctloutput: ENOPROTOOPT).  All are called with so_lock
 * held.
 */
struct protosw {
	int	pr_type;		/* SOCK_STREAM, ... */
	int	pr_protocol;		/* IPPROTO_TCP, ...; 0 for AF_UNIX */
	int	pr_flags;
#define PR_ATOMIC	0x01	/* each send is one record (DGRAM, SEQPACKET) */
#define PR_ADDR		0x02	/* records carry the sender's address */
#define PR_CONNREQUIRED	0x04	/* must be connected to send (STREAM,
				 * SEQPACKET): ENOTCONN / EPIPE otherwise */
#define PR_LISTEN	0x08	/* listen/accept make sense */
#define PR_RIGHTS	0x10	/* passes SCM_RIGHTS */
#define PR_RCVCONNFIRST	0x40	/* receiving on a never-connected socket
				 * fails (pr_rcvnotconn) before EOF or a
				 * pending error count (AF_UNIX; TCP checks
				 * them first) */
#define PR_EPIPEFIRST	0x80	/* a shut down socket says EPIPE before
				 * a pending error (AF_UNIX stream; TCP,
				 * datagrams and SEQPACKET report the
				 * error first) */
#define PR_NOADDR	0x20	/* with PR_CONNREQUIRED: a send with an
				 * address fails (EISCONN when connected,
				 * else EOPNOTSUPP: AF_UNIX stream); without
				 * it the address is ignored (TCP,
				 * SEQPACKET) */

	/* A new socket: set up so_pcb, choose so_lock (default: the
	 * socket's own lock, already set), and the buffer sizes if the
	 * defaults do not suit.  Called with so_lock NOT held (the socket
	 * is not yet visible to anyone).  On error the socket is freed
	 * without pr_detach. */
	int	(*pr_attach)(struct socket *so, int proto);
	/* The last descriptor is gone (close), or an unaccepted socket is
	 * aborted: disconnect, release addresses.  The protocol may keep
	 * the socket alive with soref() (TCP's FIN_WAIT/TIME_WAIT) and
	 * sorele() it later; the generic layer frees the socket and its
	 * buffers when the last reference goes. */
	void	(*pr_detach)(struct socket *so);
	/* nam: kernel copy of the client's address, namlen bytes (already
	 * checked: 2 <= namlen <= 128 unless the protocol accepts shorter
	 * ones; sa_family not checked). */
	int	(*pr_bind)(struct socket *so, const struct sockaddr *nam,
		    socklen_t namlen);
	/* The generic layer has checked PR_LISTEN and the state and set
	 * so_qlimit; the protocol binds an address if the socket has none
	 * (Linux autobind) and accepts connections from now on. */
	int	(*pr_listen)(struct socket *so);
	/* Starts a connection (or, for a datagram socket, sets the default
	 * peer; AF_UNSPEC dissolves it).  A protocol that completes at once
	 * calls soisconnected() before returning; one that needs time
	 * calls soisconnecting() and later soisconnected() or
	 * soseterror() + soisdisconnected(): the generic layer then waits
	 * (or answers EINPROGRESS).  While SS_NBIO is set the caller has
	 * O_NONBLOCK: a protocol that would sleep fails with EAGAIN. */
	int	(*pr_connect)(struct socket *so, const struct sockaddr *nam,
		    socklen_t namlen);
	/* socketpair(2): connects two fresh sockets of this protocol
	 * (both attached; they share so_lock, which is held). */
	int	(*pr_connect2)(struct socket *so1, struct socket *so2);
	/* so was taken off its listener's queue by accept(2). */
	int	(*pr_accept)(struct socket *so);
	/* shutdown(2) after the generic layer marked the socket
	 * (socantrcvmore for SHUT_RD/RDWR, socantsendmore for
	 * SHUT_WR/RDWR): tell the peer (FIN, EOF).  The error is returned
	 * but the marks stay, as on Linux (TCP: ENOTCONN when not
	 * connected). */
	int	(*pr_shutdown)(struct socket *so, int how);
	/*
	 * Checks done before pr_send, in Linux's order: PR_NOADDR;
	 * pr_validaddr; no peer on a PR_CONNREQUIRED socket
	 * (pr_sndnotconn; such a protocol always gets nam NULL);
	 * EMSGSIZE; no destination on another socket (pr_sndnotconn)
	 * unless it is shut down; so_error; EPIPE after shutdown.
	 * Sends rec (consumed on success; on error the caller frees it,
	 * after dropping so_lock, since its control data may hold files),
	 * len bytes of the caller's
	 * data, to nam (NULL: the connected peer).  The generic layer has
	 * checked the state (EPIPE; ENOTCONN or pr_sndnotconn for a
	 * PR_CONNREQUIRED socket that is not connected, but only when nam
	 * is NULL: with an address pr_send decides, e.g. AF_UNIX stream
	 * says EISCONN/EOPNOTSUPP and TCP ignores it), waited for
	 * pr_sendspace() to allow rec (a whole record for PR_ATOMIC, which
	 * fails with EMSGSIZE past so_snd.sb_hiwat), and turned control
	 * messages into rec->sr_control.  flags: MSG_* of the call.
	 */
	int	(*pr_send)(struct socket *so, struct sbrec *rec,
		    const struct sockaddr *nam, socklen_t namlen, int flags);
	/* Called first on every send, before any check (may be NULL),
	 * with the call's destination (NULL: none): Linux's
	 * inet_send_prepare, which gives an unbound UDP socket its port
	 * even when the send then fails; AF_UNIX names an unbound
	 * SO_PASSCRED datagram sender once the address looks valid, before
	 * it finds it has no peer. */
	void	(*pr_sendprep)(struct socket *so, const struct sockaddr *nam,
		    socklen_t namlen);
	/* Checks a destination address given to a send (NULL: none),
	 * so_lock held, before the state is looked at: AF_UNIX's EINVAL;
	 * UDP's family, length, port and IPV6_V6ONLY errors, which Linux
	 * reports before a pending error or EPIPE after shutdown. */
	int	(*pr_validaddr)(struct socket *so, const struct sockaddr *nam,
		    socklen_t namlen);
	/* How many bytes a send could queue now (NULL: sbspace(&so_snd)).
	 * AF_UNIX answers with its peer's receive buffer room. */
	size_t	(*pr_sendspace)(struct socket *so);
	/* The reader consumed data from so_rcv (TCP: window update;
	 * AF_UNIX: wake the peer's writers). */
	void	(*pr_rcvd)(struct socket *so);
	/* The address recvfrom/recvmsg report for rec (NULL: sr_addr,
	 * sr_addrlen).  AF_UNIX answers with the sender's current name. */
	void	(*pr_recvaddr)(struct socket *so, const struct sbrec *rec,
		    struct sockaddr_storage *nam, socklen_t *namlen);
	/* Local / peer address into nam (at most *namlen bytes, which is
	 * set to the full length).  pr_peeraddr: ENOTCONN when there is no
	 * peer. */
	int	(*pr_sockaddr)(struct socket *so, struct sockaddr_storage *nam,
		    socklen_t *namlen);
	int	(*pr_peeraddr)(struct socket *so,
		    struct sockaddr_storage *nam, socklen_t *namlen);
	/* setsockopt/getsockopt for levels other than SOL_SOCKET (and for
	 * SOL_SOCKET options the generic layer does not know, such as
	 * SO_PEERCRED).  NULL: EOPNOTSUPP for other levels, as Linux's
	 * sock_no_setsockopt.  op is
	 * PRCO_SETOPT (val: kernel copy, *len bytes) or PRCO_GETOPT (val:
	 * a kernel buffer of *len bytes; set *len to what was written).
	 * ENOPROTOOPT for unknown options. */
	int	(*pr_ctloutput)(struct socket *so, int op, int level,
		    int name, void *val, socklen_t *len);
#define PRCO_GETOPT	0
#define PRCO_SETOPT	1
	/* ioctls other than FIONREAD/FIONBIO (SIOCGIFADDR, ...); data is
	 * the client address.  NULL: ENOTTY. */
	int	(*pr_ioctl)(struct socket *so, unsigned long cmd, void *data);
	/* The errno for receiving on a connection-oriented socket that
	 * was never connected (0: ENOTCONN; Linux's AF_UNIX stream says
	 * EINVAL), and for sending without a peer (0: ENOTCONN; TCP says
	 * EPIPE, UDP without an address EDESTADDRREQ). */
	int	pr_rcvnotconn;
	int	pr_sndnotconn;
	/* Extra poll bits beyond the generic ones (rarely needed). */
	int	(*pr_poll)(struct socket *so, int events);
};

struct domain {
	int		 dom_family;	/* AF_UNIX, AF_INET, ... */
	const char	*dom_name;
	const struct protosw *dom_protosw;
	int		 dom_nprotosw;
	/* Once at boot (RUMP_COMPONENT_NET stage), before any socket. */
	void		(*dom_init)(void);
	/* sendmsg: turns one client control message (level, type, len
	 * bytes of data, kernel copy) into *ctlp; EINVAL for unknown
	 * ones. */
	int		(*dom_internalize)(int level, int type,
			    const void *data, size_t len,
			    struct sockctl **ctlp);
	/* recvmsg: writes ctl as a client control message at *cpos (a
	 * client address, *cspace bytes left), advancing both; sets
	 * MSG_CTRUNC in *flags when it does not fit (descriptors that do
	 * not fit are closed, as Linux does).  flags also carries
	 * MSG_CMSG_CLOEXEC.  Consumes what ctl holds either way. */
	int		(*dom_externalize)(struct sockctl *ctl, char **cpos,
			    size_t *cspace, int *flags);
	/* Releases what ctl holds (files of SCM_RIGHTS) without
	 * delivering it. */
	void		(*dom_dispose)(struct sockctl *ctl);
};

/* Registers a struct domain. */
#define DOMAIN_SET(dom)	__link_set_add(domains, dom, dom)

/* A refcounted mutex that sockets can share. */
struct solock {
	kmutex_t	 sl_mtx;
	unsigned	 sl_refs;	/* atomic */
};
struct solock	*solock_alloc(void);
void		 solock_hold(struct solock *sl);
void		 solock_rele(struct solock *sl);

struct socket {
	struct solock	*so_lock;	/* see "Locking" */
	unsigned	 so_refs;	/* atomic; the file holds one */
	const struct protosw *so_proto;
	const struct domain *so_dom;
	short		 so_type;	/* SOCK_STREAM, ... */
	int		 so_state;	/* (l) SS_* */
#define SS_ISCONNECTED	0x0001
#define SS_ISCONNECTING	0x0002
#define SS_ISDISCONNECTING 0x0004
#define SS_ISDISCONNECTED 0x0008	/* was connected, no longer */
#define SS_ISBOUND	0x0010
#define SS_ISLISTENING	0x0020
#define SS_NOFDREF	0x0040	/* closed: no descriptor refers to it */
#define SS_CANTRCVMORE	0x0080	/* shutdown(SHUT_RD) or peer EOF */
#define SS_CANTSENDMORE	0x0100	/* shutdown(SHUT_WR) or peer gone */
#define SS_NBIO		0x0200	/* during pr_connect: the caller must
				 * not sleep (EAGAIN instead) */
	int		 so_options;	/* (l) SO_* booleans, as bits */
#define SOOPT_REUSEADDR	0x0001
#define SOOPT_REUSEPORT	0x0002
#define SOOPT_KEEPALIVE	0x0004
#define SOOPT_BROADCAST	0x0008
#define SOOPT_PASSCRED	0x0010
#define SOOPT_OOBINLINE	0x0020
#define SOOPT_DONTROUTE	0x0040
#define SOOPT_LINGER	0x0080
	int		 so_linger;	/* (l) seconds, with SOOPT_LINGER */
	int		 so_error;	/* (l) pending asynchronous error */
	int		 so_priority;	/* (l) SO_PRIORITY */
	void		*so_pcb;	/* protocol's per-socket state */
	struct sockbuf	 so_rcv, so_snd;	/* (l) */
	kcondvar_t	 so_cv;		/* (l) state changes: connect done,
					 * accept queue non-empty */
	struct pollhead	 so_ph;		/* pollers of this socket */
	struct ucred	 so_cred;	/* creator's pid/euid/egid (SO_PEERCRED
					 * of the other end reads it) */
	uint64_t	 so_ino;	/* fstat st_ino */
	struct timespec	 so_ctime;	/* fstat times */

	/* Accept queues of a listening socket (l, the shared lock). */
	struct socket	*so_head;	/* listener we are queued on */
	struct socket	*so_q0;		/* incomplete connections */
	struct socket	*so_q;		/* complete, waiting for accept */
	struct socket	*so_qnext;	/* link on so_head's q0 or q */
	int		 so_q0len, so_qlen;
	int		 so_qlimit;	/* backlog from listen(2) */
	bool		 so_onq0;
};

static inline void
solock(struct socket *so)
{

	mutex_enter(&so->so_lock->sl_mtx);
}

static inline void
sounlock(struct socket *so)
{

	mutex_exit(&so->so_lock->sl_mtx);
}

static inline bool
solocked(struct socket *so)
{

	return mutex_owned(&so->so_lock->sl_mtx);
}

/* References (the file's, a protocol's while it still needs the
 * socket, a queued connection's).  The last sorele() frees the socket;
 * it may be called with so_lock held only if it cannot be the last. */
void	 soref(struct socket *so);
void	 sorele(struct socket *so);

/* State changes a protocol reports (so_lock held).  soisconnected() on
 * a socket on its listener's q0 moves it to the accept queue and wakes
 * accept(). */
void	 soisconnecting(struct socket *so);
void	 soisconnected(struct socket *so);
void	 soisdisconnecting(struct socket *so);
void	 soisdisconnected(struct socket *so);
/* Peer sent EOF / will take no more. */
void	 socantrcvmore(struct socket *so);
void	 socantsendmore(struct socket *so);
/* Sets so_error and wakes everyone. */
void	 soseterror(struct socket *so, int error);
void	 sorwakeup(struct socket *so);
void	 sowwakeup(struct socket *so);

/*
 * A new connection for listener head (head's lock held): a socket of
 * the same protocol, created with pr_attach, sharing head's lock, with
 * its options copied, put on head's incomplete queue (or, when
 * connected is true, straight on the accept queue as if soisconnected()
 * had been called).  NULL when the backlog is full (so_qlen >
 * so_qlimit, as Linux counts) or memory ran out: the protocol refuses
 * the connection.
 */
struct socket *sonewconn(struct socket *head, bool connected);

/* Sleeps on sb's condition variable until woken or sb_timeo_ns passed
 * (so_lock held; released while asleep): 0, EAGAIN (timed out), or,
 * interrupted (rump_lwp_interrupt), sointr_errno(sb_timeo_ns). */
int	 sbwait(struct socket *so, struct sockbuf *sb);
/* Sleeps on so_cv, at most timeout_ns (0: forever): 0, ETIMEDOUT, or
 * sointr_errno(timeout_ns) when interrupted. */
int	 sowait(struct socket *so, uint64_t timeout_ns);
/* What an interrupted socket wait returns: EINTR when the socket has a
 * timeout for it (SO_RCVTIMEO/SO_SNDTIMEO), else ERESTARTSYS. */
int	 sointr_errno(uint64_t timeout_ns);

/* The socket of a file, or NULL for any other kind (ENOTSOCK). */
struct socket *file_socket(struct file *fp);

/* Kernel-internal socket calls (the system calls use them; so do
 * in-kernel users such as the NFS client later).  *sop holds one
 * reference. */
int	 socreate(int family, int type, int proto, struct socket **sop);

/* Default buffer sizes, as Linux's net.core.[rw]mem_default (212992)
 * for unknown protocols. */
#define SB_DEFAULT_SIZE	212992
#define SB_MAX_SIZE	(4u << 20)	/* what SO_*BUF may ask for */

#endif /* NET_SOCKET_H */
