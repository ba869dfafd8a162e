/*
 * rumpuser_sp.c: the sysproxy server, rumpuser_sp_*() of rumpuser(3).
 *
 * The wire protocol is doc/sysproxy.md (rump/rumpsp.h).  One host thread
 * accepts connections; each connection gets a host thread of its own that
 * reads its client's requests and runs them.  That thread is bound to one
 * lwp of one rump process for the connection's whole life: the process is
 * made at the handshake (hyp_lwproc_rfork with the connection as the
 * client cookie, which marks it remote for the kernel's copyin/copyout)
 * and released, with everything it held, when the connection ends for any
 * reason: orderly close, the client's death, or a malformed message.
 *
 * A system call runs on the connection's thread; when the kernel copies
 * from or to the client it calls rumpuser_sp_copy*() on that same thread,
 * which sends a request to the client and waits for its response on the
 * same socket.  So a connection never needs to tell apart several calls
 * in flight: the client has at most one, and while it waits for it, it
 * answers only the copy requests of that call.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include <rump/rumpuser.h>
#include <rump/rumpsp.h>
#include <rump/rumpuser_splocal.h>

#include "rumpuser_posix.h"
#include "rumpuser_sp.h"

/* RUMP_RFCFDG / RUMP_RFFDG of rump.h (rfork flags of the upcall). */
#define SP_RFFDG	0x04
#define SP_RFCFDG	0x1000
/* More clients than this are turned away (the connection is closed). */
#define SP_MAX_CLIENTS	4096

/* A client process: its connections (one per client thread) share it. */
struct sp_proc {
	int32_t		 pid;
	void		*spclient;	/* the kernel's p_spclient: the first
					   connection, compared, never used */
	uint8_t		 cookie[RUMPSP_COOKIE_LEN];	/* for HS_LWP */
	int		 nconns;	/* sp_lock */
	struct sp_proc	*next;		/* sp_procs */
};

struct sp_conn {
	int		 fd;
	int		 unixsock;	/* a unix socket: SHM may be offered */
	int		 rxfd;		/* a descriptor the client sent, or -1 */
	struct rumpsp_shm *shm;		/* the shared-memory channel, or NULL */
	uint64_t	 spin_ns;	/* how long to spin now (sp_shm_wait) */
	unsigned	 spin_skip;
	struct sp_proc	*proc;		/* once the handshake made or joined it */
	/* For INTR (sp_intr): the connection's number and its process's
	 * cookie (sp_lock; lwpnum 0 until the handshake and again once the
	 * connection winds down), its lwp; and under ilock the call in
	 * progress (in_call, call_id), an INTR that came before its call
	 * (intr_pending, intr_id) and whether the lwp is marked. */
	uint32_t	 lwpnum;
	uint8_t		 cookie[RUMPSP_COOKIE_LEN];
	struct lwp	*lwp;
	pthread_mutex_t	 ilock;
	int		 in_call;
	uint64_t	 call_id;
	int		 intr_pending;
	uint64_t	 intr_id;
	int		 marked;
	int		 watched;	/* its socket is in sp_watchfd's set */
	int		 broken;	/* I/O failed or malformed input */
	uint64_t	 next_id;	/* of our requests to the client */
	int32_t		 pid;		/* its rump process, once made */
	void		*buf;		/* receive buffer */
	size_t		 bufsize;
	struct sp_conn	*next;		/* sp_conns */
};

/* A PREFORK's cookie and the child process made for it then (a copy of
 * the parent at that moment, its lwp bound to no thread), until a child
 * connection takes it or the parent process goes. */
struct sp_fork {
	uint8_t		 cookie[RUMPSP_COOKIE_LEN];
	int32_t		 pid;		/* the parent's */
	struct lwp	*child;		/* the child's lwp */
	struct sp_proc	*proc;		/* the child's record */
	int		 pidfd;		/* the host child's, or -1 */
	uint64_t	 wid;		/* its tag in sp_watchfd's set */
	struct sp_fork	*next;
};
#ifndef SYS_pidfd_open
#define SYS_pidfd_open	434	/* the same on every Linux architecture */
#endif
/* An epoll tag of a child's pidfd (a connection's is its lwpnum). */
#define SP_WATCH_FORK	(1ULL << 63)
static uint64_t sp_fork_wids;		/* sp_lock */

/* Lock order: sp_lock, then a connection's ilock. */
static pthread_mutex_t sp_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sp_conn *sp_conns;	/* sp_lock */
static uint32_t sp_lastlwp;		/* sp_lock: the last lwpnum given */
/* The watcher (sp_watch_thread): an epoll set of the connections'
 * sockets, for their clients' going away during a call. */
static int sp_watchfd = -1;
static pthread_once_t sp_watch_once = PTHREAD_ONCE_INIT;
static int sp_nconns;			/* sp_lock */
static struct sp_fork *sp_forks;	/* sp_lock */
static struct sp_proc *sp_procs;	/* sp_lock */
static int sp_listenfd = -1;
static char sp_unixpath[sizeof(((struct sockaddr_un *)0)->sun_path)];
static pthread_t sp_acceptor;
static int sp_running;
static char sp_ostype[16], sp_osrelease[32], sp_machine[16];

/* The connection whose request this host thread is running: the copy
 * hypercalls find their client through it. */
static __thread struct sp_conn *sp_curconn;

/* Called by rumpuser_init(): this file is linked into every program of
 * the platform, so that the kernel's weak references to rumpuser_sp_*
 * (which platforms without sysproxy leave undefined) find it. */
void
rumpuser__sp_link(void)
{
}

/* --- Socket I/O -------------------------------------------------------- */

static int
sp_readn(int fd, void *buf, size_t len)
{
	char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = recv(fd, p, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads len bytes like sp_readn, keeping a descriptor that arrives with
 * them (SCM_RIGHTS) in c->rxfd; any other descriptors are closed. */
static int
sp_readn_fds(struct sp_conn *c, void *buf, size_t len)
{
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(4 * sizeof(int))];
	} cm;
	struct cmsghdr *ch;
	struct msghdr mh;
	struct iovec iov;
	char *p = buf;
	ssize_t n;

	while (len > 0) {
		iov.iov_base = p;
		iov.iov_len = len;
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cm.buf;
		mh.msg_controllen = sizeof(cm.buf);
		n = recvmsg(c->fd, &mh, MSG_CMSG_CLOEXEC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		for (ch = CMSG_FIRSTHDR(&mh); ch != NULL;
		    ch = CMSG_NXTHDR(&mh, ch)) {
			size_t i, nfd;

			if (ch->cmsg_level != SOL_SOCKET ||
			    ch->cmsg_type != SCM_RIGHTS)
				continue;
			nfd = (ch->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (i = 0; i < nfd; i++) {
				int fd;

				memcpy(&fd, CMSG_DATA(ch) + i * sizeof(int),
				    sizeof(fd));
				if (c->rxfd < 0)
					c->rxfd = fd;
				else
					close(fd);
			}
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Sends header + body (+ data) as one message. */
static int
sp_send(struct sp_conn *c, uint16_t type, uint16_t kind, uint64_t id,
    const void *body, size_t bodylen, const void *data, size_t datalen)
{
	struct rumpsp_hdr h;
	struct iovec iov[3];
	struct msghdr mh;
	size_t total, sent = 0;
	ssize_t n;

	if (c->broken)
		return -1;
	total = sizeof(h) + bodylen + datalen;
	h.rsh_len = (uint32_t)total;
	h.rsh_type = type;
	h.rsh_kind = kind;
	h.rsh_id = id;
	iov[0].iov_base = &h;
	iov[0].iov_len = sizeof(h);
	iov[1].iov_base = (void *)(uintptr_t)body;
	iov[1].iov_len = bodylen;
	iov[2].iov_base = (void *)(uintptr_t)data;
	iov[2].iov_len = datalen;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = iov;
	mh.msg_iovlen = 3;
	while (sent < total) {
		n = sendmsg(c->fd, &mh, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			c->broken = 1;
			return -1;
		}
		sent += (size_t)n;
		/* Advance the vector past what went. */
		while (mh.msg_iovlen > 0 && (size_t)n >= mh.msg_iov[0].iov_len) {
			n -= (ssize_t)mh.msg_iov[0].iov_len;
			mh.msg_iov++;
			mh.msg_iovlen--;
		}
		if (mh.msg_iovlen > 0) {
			mh.msg_iov[0].iov_base = (char *)mh.msg_iov[0].iov_base + n;
			mh.msg_iov[0].iov_len -= (size_t)n;
		}
	}
	return 0;
}

/* Reads the next message, which must be what want allows; its body is
 * then in c->buf.  On any failure the connection is broken. */
static int
sp_recv(struct sp_conn *c, const struct rumpuser__sp_expect *want,
    struct rumpsp_hdr *h)
{
	size_t len;
	void *nb;

	if (c->broken)
		return -1;
	if (sp_readn_fds(c, h, sizeof(*h)) != 0 ||
	    rumpuser__sp_check_hdr(h, want) != 0)
		goto bad;
	len = h->rsh_len - sizeof(*h);
	if (len > c->bufsize) {
		if ((nb = realloc(c->buf, len)) == NULL)
			goto bad;
		c->buf = nb;
		c->bufsize = len;
	}
	if (sp_readn(c->fd, c->buf, len) != 0 ||
	    rumpuser__sp_check_body(h, c->buf, want) != 0)
		goto bad;
	return 0;
 bad:
	c->broken = 1;
	return -1;
}

/* --- Requests to the client, during a system call ---------------------- */

/* A hint to the CPU that this is a spin-wait loop. */
static inline void
spin_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ volatile("yield" ::: "memory");
#else
	__asm__ volatile("" ::: "memory");
#endif
}

/* --- The shared-memory channel (doc/sysproxy.md) ----------------------- */

/* How long to spin on the channel before sleeping (RUMP_SP_SPIN,
 * microseconds, read when serving starts). */
static uint64_t sp_spin_ns = 50000;
/* Whether a side that stops spinning sleeps on the futex first
 * (RUMP_SP_FUTEX=0: on the socket at once, the way before futexes, for
 * comparison in bench/sysproxy.sh). */
static int sp_futex = 1;


/* Sets the state and rings the client if it sleeps (see rumpclient.c:
 * the same two sequentially consistent pairs). */
static void
sp_shm_post(struct sp_conn *c, uint32_t state)
{
	uint32_t sleeps;
	char b = 'r';

	__atomic_store_n(&c->shm->rss_state, state, __ATOMIC_SEQ_CST);
	sleeps = __atomic_load_n(&c->shm->rss_client_sleeps, __ATOMIC_SEQ_CST);
	if (sleeps == RUMPSP_SHM_SLEEP_FUTEX)
		(void)syscall(SYS_futex, &c->shm->rss_state, FUTEX_WAKE, 1,
		    NULL, NULL, 0);
	else if (sleeps != 0 &&
	    send(c->fd, &b, 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 &&
	    errno != EAGAIN && errno != EINTR)
		c->broken = 1;
}

/* Waits for the state to become want while it is cur or cur2: spins,
 * then sleeps on the socket.  Any other state the client sets is a
 * protocol error.  0, or -1 with the connection broken (error, or the
 * client went away). */
static int
sp_shm_wait(struct sp_conn *c, uint32_t want, uint32_t cur, uint32_t cur2)
{
	uint64_t t0 = 0, limit;
	uint32_t s;
	char b[64];
	ssize_t n;
	int i;

	/* Spin as long as it paid lately (see rumpclient.c's spin_limit:
	 * halved after a spin in vain, back at the maximum after one that
	 * paid, a short try every 32nd wait while none). */
	if (c->spin_ns > sp_spin_ns)
		c->spin_ns = sp_spin_ns;
	limit = c->spin_ns;
	if (limit == 0 && sp_spin_ns > 0 && (++c->spin_skip & 31) == 0)
		limit = sp_spin_ns / 4 > 1000 ? sp_spin_ns / 4 : sp_spin_ns;
	for (i = 0; limit > 0; i++) {
		s = __atomic_load_n(&c->shm->rss_state, __ATOMIC_ACQUIRE);
		if (s != cur && s != cur2) {
			c->spin_ns = sp_spin_ns;
			goto got;
		}
		if ((i & 63) == 0) {
			if (t0 == 0)
				t0 = rumpuser__now_ns();
			else if (rumpuser__now_ns() - t0 >= limit) {
				c->spin_ns = limit / 2 < 1000 ? 0 : limit / 2;
				break;
			}
		}
		spin_pause();
	}
	/* A short sleep on the state word itself (the client wakes it with
	 * FUTEX_WAKE), then, for a long wait, on the socket, whose end of
	 * stream also says the client is gone. */
	/* At most RUMPSP_SHM_FUTEX_NS in all, however often a signal
	 * interrupts it (a dead client is only seen on the socket), and
	 * not at all when the futex fails otherwise. */
	if (sp_futex) {
		uint64_t end = rumpuser__now_ns() + RUMPSP_SHM_FUTEX_NS, now;

		__atomic_store_n(&c->shm->rss_server_sleeps,
		    RUMPSP_SHM_SLEEP_FUTEX, __ATOMIC_SEQ_CST);
		for (;;) {
			struct timespec ts = { 0, 0 };

			s = __atomic_load_n(&c->shm->rss_state,
			    __ATOMIC_SEQ_CST);
			if (s != cur && s != cur2)
				goto woken;
			if ((now = rumpuser__now_ns()) >= end)
				break;
			ts.tv_nsec = (long)(end - now);
			if (syscall(SYS_futex, &c->shm->rss_state, FUTEX_WAIT,
			    s, &ts, NULL, 0) != 0 && errno != EAGAIN &&
			    errno != EINTR && errno != ETIMEDOUT)
				break;
		}
	}
	for (;;) {
		__atomic_store_n(&c->shm->rss_server_sleeps, 1,
		    __ATOMIC_SEQ_CST);
		s = __atomic_load_n(&c->shm->rss_state, __ATOMIC_SEQ_CST);
		if (s != cur && s != cur2)
			break;
		n = recv(c->fd, b, sizeof(b), 0);
		if (n == 0 || (n < 0 && errno != EINTR)) {
			c->broken = 1;
			return -1;
		}
	}
 woken:
	__atomic_store_n(&c->shm->rss_server_sleeps, 0, __ATOMIC_RELAXED);
 got:
	if (s != want) {
		c->broken = 1;
		return -1;
	}
	return 0;
}

/* A copy request through the channel: like sp_roundtrip's. */
static int
sp_shm_roundtrip(struct sp_conn *c, uint16_t type, uint64_t addr,
    uint64_t len, const void *data, struct rumpsp_copy_resp *cr,
    const void **datap)
{
	struct rumpsp_shm *m = c->shm;
	char *area = (char *)m + RUMPSP_SHM_DATA_OFF;

	if (c->broken)
		return RUMPUSER__NB_EFAULT;
	m->rss_type = type;
	m->rss_addr = addr;
	m->rss_len = len;
	if (data != NULL)
		memcpy(area, data, (size_t)len);
	sp_shm_post(c, RUMPSP_SHM_COPYREQ);
	if (sp_shm_wait(c, RUMPSP_SHM_COPYRESP, RUMPSP_SHM_COPYREQ,
	    RUMPSP_SHM_COPYREQ) != 0)
		return RUMPUSER__NB_EFAULT;
	/* The client's answer, read once and checked like a message's. */
	if (rumpuser__sp_shm_take_resp(m, type, len, cr) != 0) {
		c->broken = 1;
		return RUMPUSER__NB_EFAULT;
	}
	*datap = area;
	return 0;
}

/*
 * One request and its response; returns 0 with the response's fixed part
 * in *cr and its data at *datap, or EFAULT when the connection failed
 * (the system call then fails and the connection ends after it).  Runs
 * without the virtual CPU: the client may take its time.  body is a
 * copy_req or raise_req (addr, len or signal).
 */
static int
sp_roundtrip(struct sp_conn *c, uint16_t type, const void *body,
    size_t bodylen, const void *data, size_t datalen, uint64_t wantlen,
    struct rumpsp_copy_resp *cr, const void **datap)
{
	struct rumpuser__sp_expect want;
	struct rumpsp_hdr h;
	int nlocks, error = 0;

	rumpuser__unschedule(&nlocks, NULL);
	if (c->shm != NULL) {
		struct rumpsp_copy_req rq = { 0, 0 };
		struct rumpsp_raise_req rr;

		if (type == RUMPSP_RAISE) {
			memcpy(&rr, body, sizeof(rr));
			rq.rsp_len = (uint64_t)rr.rsp_signo;
		} else
			memcpy(&rq, body, sizeof(rq));
		error = sp_shm_roundtrip(c, type, rq.rsp_addr, rq.rsp_len,
		    data, cr, datap);
		rumpuser__schedule(nlocks, NULL);
		return error;
	}
	*datap = (char *)c->buf + sizeof(*cr);
	want.state = RUMPUSER__SP_WANT_RESPONSE;
	want.type = type;
	want.id = c->next_id++;
	want.len = wantlen;
	if (sp_send(c, type, RUMPSP_REQ, want.id, body, bodylen, data,
	    datalen) != 0 || sp_recv(c, &want, &h) != 0)
		error = RUMPUSER__NB_EFAULT;
	else
		memcpy(cr, c->buf, sizeof(*cr));
	rumpuser__schedule(nlocks, NULL);
	return error;
}

/* The connection the calling thread serves, if client is it. */
static struct sp_conn *
sp_conn_of(void *client)
{
	struct sp_conn *c = sp_curconn;

	/* A local thread working in a remote process has no client to ask:
	 * its addresses are not ours to read.  A connection serves only its
	 * own process. */
	if (c == NULL || c->broken || c->proc == NULL ||
	    c->proc->spclient != client)
		return NULL;
	return c;
}

int
rumpuser_sp_copyin(void *client, const void *raddr, void *laddr, size_t len)
{
	const void *d;
	struct sp_conn *c = sp_conn_of(client);
	struct rumpsp_copy_req rq;
	struct rumpsp_copy_resp cr;
	size_t chunk;
	int error;

	if (c == NULL)
		return RUMPUSER__NB_EFAULT;
	while (len > 0) {
		chunk = len < RUMPSP_DATA_MAX ? len : RUMPSP_DATA_MAX;
		rq.rsp_addr = (uint64_t)(uintptr_t)raddr;
		rq.rsp_len = chunk;
		error = sp_roundtrip(c, RUMPSP_COPYIN, &rq, sizeof(rq), NULL, 0,
		    chunk, &cr, &d);
		if (error != 0)
			return error;
		if (cr.rsp_error != 0)
			return rumpuser__posixhost_errno_to_netbsd(cr.rsp_error);
		memcpy(laddr, d, chunk);
		raddr = (const char *)raddr + chunk;
		laddr = (char *)laddr + chunk;
		len -= chunk;
	}
	return 0;
}

int
rumpuser_sp_copyinstr(void *client, const void *raddr, void *laddr,
    size_t *lenp)
{
	const void *d;
	struct sp_conn *c = sp_conn_of(client);
	struct rumpsp_copy_req rq;
	struct rumpsp_copy_resp cr;
	size_t room = *lenp;
	int error;

	*lenp = 0;
	if (c == NULL)
		return RUMPUSER__NB_EFAULT;
	if (room > RUMPSP_STR_MAX)
		room = RUMPSP_STR_MAX;
	rq.rsp_addr = (uint64_t)(uintptr_t)raddr;
	rq.rsp_len = room;
	error = sp_roundtrip(c, RUMPSP_COPYINSTR, &rq, sizeof(rq), NULL, 0,
	    room, &cr, &d);
	if (error != 0)
		return error;
	if (cr.rsp_error != 0)
		return rumpuser__posixhost_errno_to_netbsd(cr.rsp_error);
	/* cr.rsp_len bytes (checked: at most room), the last the only NUL
	 * (checked again on our copy: the shared channel's bytes can change
	 * under us). */
	if (cr.rsp_len > room ||
	    rumpuser__sp_shm_take_str(d, &cr, laddr) != 0) {
		c->broken = 1;
		return RUMPUSER__NB_EFAULT;
	}
	*lenp = cr.rsp_len;
	return 0;
}

int
rumpuser_sp_copyout(void *client, const void *laddr, void *raddr, size_t len)
{
	const void *d;
	struct sp_conn *c = sp_conn_of(client);
	struct rumpsp_copy_req rq;
	struct rumpsp_copy_resp cr;
	size_t chunk;
	int error;

	if (c == NULL)
		return RUMPUSER__NB_EFAULT;
	while (len > 0) {
		chunk = len < RUMPSP_DATA_MAX ? len : RUMPSP_DATA_MAX;
		rq.rsp_addr = (uint64_t)(uintptr_t)raddr;
		rq.rsp_len = chunk;
		error = sp_roundtrip(c, RUMPSP_COPYOUT, &rq, sizeof(rq), laddr,
		    chunk, 0, &cr, &d);
		if (error != 0)
			return error;
		if (cr.rsp_error != 0)
			return rumpuser__posixhost_errno_to_netbsd(cr.rsp_error);
		raddr = (char *)raddr + chunk;
		laddr = (const char *)laddr + chunk;
		len -= chunk;
	}
	return 0;
}

int
rumpuser_sp_copyoutstr(void *client, const void *laddr, void *raddr,
    size_t *lenp)
{
	size_t len = strnlen(laddr, *lenp);
	int error;

	/* The string and its NUL, if it fits. */
	if (len < *lenp)
		len++;
	error = rumpuser_sp_copyout(client, laddr, raddr, len);
	*lenp = error == 0 ? len : 0;
	return error;
}

int
rumpuser_sp_anonmmap(void *client, size_t len, void **addrp)
{
	const void *d;
	struct sp_conn *c = sp_conn_of(client);
	struct rumpsp_copy_req rq;
	struct rumpsp_copy_resp cr;
	int error;

	if (c == NULL)
		return RUMPUSER__NB_EFAULT;
	rq.rsp_addr = 0;
	rq.rsp_len = len;
	error = sp_roundtrip(c, RUMPSP_ANONMMAP, &rq, sizeof(rq), NULL, 0, 0,
	    &cr, &d);
	if (error != 0)
		return error;
	if (cr.rsp_error != 0)
		return rumpuser__posixhost_errno_to_netbsd(cr.rsp_error);
	*addrp = (void *)(uintptr_t)cr.rsp_len;
	return 0;
}

int
rumpuser_sp_raise(void *client, int signo)
{
	const void *d;
	struct sp_conn *c = sp_conn_of(client);
	struct rumpsp_raise_req rq;
	struct rumpsp_copy_resp cr;
	int sig, error;

	if (c == NULL)
		return RUMPUSER__NB_EFAULT;
	/* The hypercall numbers signals as NetBSD does, the wire as the
	 * kernel's ABI (Linux, the host's). */
	sig = rumpuser__posixhost_signal_from_netbsd(signo);
	if (sig < 0)
		return RUMPUSER__NB_EINVAL;
	memset(&rq, 0, sizeof(rq));
	rq.rsp_signo = sig;
	error = sp_roundtrip(c, RUMPSP_RAISE, &rq, sizeof(rq), NULL, 0, 0, &cr,
	    &d);
	if (error != 0)
		return error;
	return rumpuser__posixhost_errno_to_netbsd(cr.rsp_error);
}

/* --- Serving one connection --------------------------------------------- */

/* Releases the child of a record out of the list, which nobody joined. */
static void
sp_fork_free(struct sp_fork *f)
{
	const struct rumpuser_hyperup *hyp = &rumpuser__hyp;
	struct lwp *cur;

	cur = hyp->hyp_lwproc_curlwp();
	hyp->hyp_lwproc_switch(f->child);
	hyp->hyp_lwproc_release();
	hyp->hyp_lwproc_switch(cur);
	if (f->pidfd >= 0)
		close(f->pidfd);
	free(f->proc);
	free(f);
}

/* Forgets the parent pid's cookies; the children made for them go. */
static void
sp_forks_drop(int32_t pid)
{
	struct sp_fork **fp, *f, *gone = NULL;

	pthread_mutex_lock(&sp_lock);
	for (fp = &sp_forks; (f = *fp) != NULL;) {
		if (f->pid == pid) {
			*fp = f->next;
			f->next = gone;
			gone = f;
		} else
			fp = &f->next;
	}
	pthread_mutex_unlock(&sp_lock);
	while ((f = gone) != NULL) {
		gone = f->next;
		sp_fork_free(f);
	}
}

/* The host child of a watched record has ended: if it never joined, the
 * process made for it goes (it holds copies of the parent's
 * descriptors: a pipe's other end would never see its end). */
static void
sp_fork_gone(uint64_t wid)
{
	struct sp_fork **fp, *f;

	pthread_mutex_lock(&sp_lock);
	for (fp = &sp_forks; (f = *fp) != NULL; fp = &f->next) {
		if (f->wid == wid) {
			*fp = f->next;
			break;
		}
	}
	pthread_mutex_unlock(&sp_lock);
	if (f != NULL)
		sp_fork_free(f);
}

/* The record of a cookie, taken out of the list; NULL if none matches. */
static struct sp_fork *
sp_forks_take(const uint8_t *cookie)
{
	struct sp_fork **fp, *f;

	pthread_mutex_lock(&sp_lock);
	for (fp = &sp_forks; (f = *fp) != NULL; fp = &f->next) {
		if (memcmp(f->cookie, cookie, RUMPSP_COOKIE_LEN) == 0) {
			*fp = f->next;
			break;
		}
	}
	pthread_mutex_unlock(&sp_lock);
	return f;
}

/* Records the process the connection just made (c->proc); 0 or ENOMEM. */
static int
sp_proc_new(struct sp_conn *c, int32_t pid)
{
	struct sp_proc *p;
	size_t got;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return ENOMEM;
	p->pid = pid;
	p->spclient = c;
	p->nconns = 1;
	if (rumpuser__posixhost_random(p->cookie, sizeof(p->cookie), 0,
	    &got) != 0 || got != sizeof(p->cookie)) {
		free(p);
		return EAGAIN;
	}
	pthread_mutex_lock(&sp_lock);
	p->next = sp_procs;
	sp_procs = p;
	pthread_mutex_unlock(&sp_lock);
	c->proc = p;
	return 0;
}

/* The connection leaves its process; the last one forgets it. */
static void
sp_proc_put(struct sp_conn *c)
{
	struct sp_proc **pp, *p = c->proc;
	int last;

	if (p == NULL)
		return;
	c->proc = NULL;
	pthread_mutex_lock(&sp_lock);
	last = --p->nconns == 0;
	if (last) {
		for (pp = &sp_procs; *pp != NULL; pp = &(*pp)->next) {
			if (*pp == p) {
				*pp = p->next;
				break;
			}
		}
	}
	pthread_mutex_unlock(&sp_lock);
	if (last) {
		sp_forks_drop(p->pid);
		free(p);
	}
}

/* Makes the connection's process; 0 or a Linux errno for the client. */
static int
sp_newproc(struct sp_conn *c, const struct rumpsp_handshake_req *hs)
{
	const struct rumpuser_hyperup *hyp = &rumpuser__hyp;
	char comm[RUMPSP_NAME_LEN + 1];
	struct sp_fork *f;
	int error;

	memcpy(comm, hs->rsp_comm, RUMPSP_NAME_LEN);
	comm[RUMPSP_NAME_LEN] = '\0';
	if (comm[0] == '\0')
		strcpy(comm, "rumpclient");
	if (hs->rsp_kind == RUMPSP_HS_NEW) {
		/* A fresh process: a child of init with no descriptors. */
		error = hyp->hyp_lwproc_rfork(c, SP_RFCFDG, comm);
		return rumpuser__posixhost_errno_from_netbsd(error);
	}
	if (hs->rsp_kind == RUMPSP_HS_LWP) {
		/* Another lwp of a process, for another client thread. */
		struct sp_proc *p;
		int32_t pid = 0;

		pthread_mutex_lock(&sp_lock);
		for (p = sp_procs; p != NULL; p = p->next) {
			if (memcmp(p->cookie, hs->rsp_cookie,
			    RUMPSP_COOKIE_LEN) == 0) {
				pid = p->pid;
				p->nconns++;
				c->proc = p;
				break;
			}
		}
		pthread_mutex_unlock(&sp_lock);
		if (pid == 0)
			return EPERM;
		error = hyp->hyp_lwproc_newlwp(pid);
		if (error != 0) {
			sp_proc_put(c);
			return rumpuser__posixhost_errno_from_netbsd(error);
		}
		return 0;
	}
	/* HS_FORK: the child PREFORK made, a copy of the parent as it was
	 * then; this connection becomes its (first) lwp's. */
	if ((f = sp_forks_take(hs->rsp_cookie)) == NULL)
		return EPERM;
	hyp->hyp_lwproc_switch(f->child);
	if (f->pidfd >= 0)
		close(f->pidfd);	/* leaves sp_watchfd's set */
	f->proc->nconns = 1;
	pthread_mutex_lock(&sp_lock);
	f->proc->next = sp_procs;
	sp_procs = f->proc;
	pthread_mutex_unlock(&sp_lock);
	c->proc = f->proc;
	free(f);
	return 0;
}

/* --- Interrupting calls (INTR) ------------------------------------------ */

/* The connection's system call id begins: interrupted at once when the
 * client says so (flags) or an INTR for it came first. */
static void
sp_call_begin(struct sp_conn *c, uint64_t id, uint32_t flags)
{
	const struct rumpuser_hyperup *hyp = &rumpuser__hyp;

	pthread_mutex_lock(&c->ilock);
	c->in_call = 1;
	c->call_id = id;
	if (((flags & RUMPSP_CALL_INTR) ||
	    (c->intr_pending && c->intr_id == id)) && !c->marked &&
	    hyp->hyp_lwp_interrupt != NULL) {
		hyp->hyp_lwp_interrupt(c->lwp);
		c->marked = 1;
	}
	c->intr_pending = 0;
	pthread_mutex_unlock(&c->ilock);
}

/* The call is over: no INTR reaches the lwp from now on, and its mark
 * goes (a signal is delivered once). */
static void
sp_call_end(struct sp_conn *c)
{
	int marked;

	pthread_mutex_lock(&c->ilock);
	c->in_call = 0;
	marked = c->marked;
	c->marked = 0;
	pthread_mutex_unlock(&c->ilock);
	if (marked)
		(void)rumpuser__hyp.hyp_lwp_interrupt_clear(c->lwp);
}

/*
 * INTR: interrupts call rq->rsp_id of the connection numbered rq->rsp_lwp
 * if it belongs to the process of rq->rsp_cookie: now when it runs, at
 * its start when it has not started yet (the INTR came first), never
 * once it is over.  0, or EPERM (no such connection of that process) or
 * EOPNOTSUPP (the kernel cannot interrupt).
 */
static int
sp_intr(const struct rumpsp_intr_req *rq)
{
	const struct rumpuser_hyperup *hyp = &rumpuser__hyp;
	struct sp_conn *c;

	if (hyp->hyp_lwp_interrupt == NULL ||
	    hyp->hyp_lwp_interrupt_clear == NULL)
		return EOPNOTSUPP;
	if (rq->rsp_lwp == 0)
		return EPERM;
	pthread_mutex_lock(&sp_lock);
	for (c = sp_conns; c != NULL; c = c->next)
		if (c->lwpnum == rq->rsp_lwp && memcmp(c->cookie,
		    rq->rsp_cookie, RUMPSP_COOKIE_LEN) == 0)
			break;
	/* Taken before sp_lock goes: the connection cannot be freed
	 * while we hold it (sp_conn_thread). */
	if (c != NULL)
		pthread_mutex_lock(&c->ilock);
	pthread_mutex_unlock(&sp_lock);
	if (c == NULL)
		return EPERM;
	if (c->in_call && c->call_id == rq->rsp_id) {
		/* The lwp stays while its call runs. */
		if (!c->marked) {
			hyp->hyp_lwp_interrupt(c->lwp);
			c->marked = 1;
		}
	} else {
		c->intr_pending = 1;
		c->intr_id = rq->rsp_id;
	}
	pthread_mutex_unlock(&c->ilock);
	return 0;
}

/*
 * The watcher: a client that goes away (killed, or exited in another
 * thread) while its call waits in the kernel for something only it
 * could bring (a read of a pipe whose other end it holds too) would
 * hold the call, and so its lwp and process, for ever: the connection's
 * thread reads the socket only between calls.  So every connection's
 * socket is in an epoll set for its hang-up (EPOLLRDHUP, which reads no
 * data: the connection's thread keeps the socket to itself), once
 * (EPOLLONESHOT); the watcher interrupts the call in progress, if any,
 * as INTR would, and the connection's thread then finds the end of
 * stream itself.  Registered by lwpnum, looked up under sp_lock: a
 * connection that has gone is simply not found.
 */
static void *
sp_watch_thread(void *arg)
{
	const struct rumpuser_hyperup *hyp = &rumpuser__hyp;
	struct epoll_event ev[16];
	struct sp_conn *c;
	int n, i;

	(void)arg;
	for (;;) {
		n = epoll_wait(sp_watchfd, ev, 16, -1);
		for (i = 0; i < n; i++) {
			if (ev[i].data.u64 & SP_WATCH_FORK) {
				sp_fork_gone(ev[i].data.u64);
				continue;
			}
			pthread_mutex_lock(&sp_lock);
			for (c = sp_conns; c != NULL; c = c->next)
				if (c->lwpnum != 0 &&
				    c->lwpnum == (uint32_t)ev[i].data.u64)
					break;
			if (c != NULL)
				pthread_mutex_lock(&c->ilock);
			pthread_mutex_unlock(&sp_lock);
			if (c == NULL)
				continue;
			if (c->in_call && !c->marked) {
				hyp->hyp_lwp_interrupt(c->lwp);
				c->marked = 1;
			}
			pthread_mutex_unlock(&c->ilock);
		}
	}
	return NULL;
}

static void
sp_watch_start(void)
{
	pthread_attr_t attr;
	pthread_t t;
	sigset_t all, old;
	int fd;

	if (rumpuser__hyp.hyp_lwp_interrupt == NULL ||
	    (fd = epoll_create1(EPOLL_CLOEXEC)) < 0)
		return;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	sp_watchfd = fd;
	if (pthread_create(&t, &attr, sp_watch_thread, NULL) != 0) {
		sp_watchfd = -1;
		close(fd);
	}
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* The connection (with its lwp and lwpnum) is watched from now on. */
static void
sp_watch(struct sp_conn *c)
{
	struct epoll_event ev;

	pthread_once(&sp_watch_once, sp_watch_start);
	if (sp_watchfd < 0)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLRDHUP | EPOLLONESHOT;
	ev.data.u64 = c->lwpnum;
	c->watched = epoll_ctl(sp_watchfd, EPOLL_CTL_ADD, c->fd, &ev) == 0;
}

static void
sp_do_intr(struct sp_conn *c, uint64_t id)
{
	struct rumpsp_intr_req rq;
	struct rumpsp_intr_resp r;

	memcpy(&rq, c->buf, sizeof(rq));
	memset(&r, 0, sizeof(r));
	r.rsp_version = RUMPSP_VERSION;
	r.rsp_error = rq.rsp_version != RUMPSP_VERSION ? EPROTONOSUPPORT :
	    sp_intr(&rq);
	(void)sp_send(c, RUMPSP_INTR, RUMPSP_RESP, id, &r, sizeof(r), NULL,
	    0);
}

static void
sp_handshake_reply(struct sp_conn *c, uint64_t id, int error)
{
	struct rumpsp_handshake_resp r;

	memset(&r, 0, sizeof(r));
	r.rsp_error = error;
	r.rsp_version = RUMPSP_VERSION;
	/* NUL-padded fields; the sources are shorter (rumpuser_sp_init). */
	memcpy(r.rsp_ostype, sp_ostype, sizeof(r.rsp_ostype));
	memcpy(r.rsp_osrelease, sp_osrelease, sizeof(r.rsp_osrelease));
	memcpy(r.rsp_machine, sp_machine, sizeof(r.rsp_machine));
	r.rsp_pid = c->pid;
	r.rsp_lwp = c->lwpnum;
	if (c->proc != NULL)
		memcpy(r.rsp_cookie, c->proc->cookie, sizeof(r.rsp_cookie));
	(void)sp_send(c, RUMPSP_HANDSHAKE, RUMPSP_RESP, id, &r, sizeof(r),
	    NULL, 0);
}

static void
sp_do_syscall(struct sp_conn *c, uint64_t id)
{
	struct rumpsp_syscall_req rq;
	struct rumpsp_syscall_resp rs;
	long args[RUMPSP_NARGS], rv[2] = { 0, 0 };
	int error;

	memcpy(&rq, c->buf, sizeof(rq));
	for (int i = 0; i < RUMPSP_NARGS; i++)
		args[i] = (long)rq.rsp_args[i];
	/* The kernel's numeric entry returns a Linux errno (ERESTARTSYS
	 * for an interrupted call that may be made again). */
	sp_call_begin(c, id, rq.rsp_flags);
	error = rumpuser__hyp.hyp_syscall(rq.rsp_nr, args, rv);
	sp_call_end(c);
	memset(&rs, 0, sizeof(rs));
	rs.rsp_error = error;
	rs.rsp_retval[0] = rv[0];
	rs.rsp_retval[1] = rv[1];
	(void)sp_send(c, RUMPSP_SYSCALL, RUMPSP_RESP, id, &rs, sizeof(rs),
	    NULL, 0);
}

/*
 * PREFORK: the child process is made now, from the parent as it is at
 * this request (rumpuser(3): the fork happens at prefork time), so that
 * what the parent does to its descriptors after the host's fork cannot
 * reach the child, whenever the child connects.  Its lwp stays bound to
 * no thread until the child's HS_FORK connection takes it.  0 with the
 * cookie in cookie, or an errno.
 */
static int
sp_prefork(int32_t ppid, uint8_t *cookie)
{
	const struct rumpuser_hyperup *hyp = &rumpuser__hyp;
	struct lwp *parent;
	struct sp_fork *f;
	struct sp_proc *np;
	size_t got;
	int error;

	f = calloc(1, sizeof(*f));
	np = calloc(1, sizeof(*np));
	if (f == NULL || np == NULL) {
		free(f);
		free(np);
		return ENOMEM;
	}
	if (rumpuser__posixhost_random(f->cookie, sizeof(f->cookie), 0,
	    &got) != 0 || got != sizeof(f->cookie) ||
	    rumpuser__posixhost_random(np->cookie, sizeof(np->cookie), 0,
	    &got) != 0 || got != sizeof(np->cookie)) {
		free(f);
		free(np);
		return EAGAIN;
	}
	/* The record is the child's client cookie (p_spclient): unique,
	 * compared only. */
	np->spclient = np;
	parent = hyp->hyp_lwproc_curlwp();
	error = hyp->hyp_lwproc_rfork(np, SP_RFFDG, NULL);
	if (error != 0) {
		free(f);
		free(np);
		return rumpuser__posixhost_errno_from_netbsd(error);
	}
	np->pid = hyp->hyp_getpid();
	f->child = hyp->hyp_lwproc_curlwp();
	f->pidfd = -1;
	hyp->hyp_lwproc_switch(parent);
	f->pid = ppid;
	f->proc = np;
	memcpy(cookie, f->cookie, sizeof(f->cookie));
	pthread_mutex_lock(&sp_lock);
	f->next = sp_forks;
	sp_forks = f;
	pthread_mutex_unlock(&sp_lock);
	return 0;
}

static void
sp_do_prefork(struct sp_conn *c, uint64_t id)
{
	struct rumpsp_prefork_resp r;

	memset(&r, 0, sizeof(r));
	r.rsp_error = sp_prefork(c->pid, r.rsp_cookie);
	(void)sp_send(c, RUMPSP_PREFORK, RUMPSP_RESP, id, &r, sizeof(r),
	    NULL, 0);
}

/* SHM: maps the client's memfd as the connection's channel.  Only on a
 * unix socket, and only a region sealed against shrinking (else the
 * client could make our accesses fault).  0 when the channel is in use
 * from now on. */
static int
sp_do_shm(struct sp_conn *c, uint64_t id)
{
	struct rumpsp_shm_req rq;
	struct rumpsp_shm_resp r;
	struct stat st;
	void *p = MAP_FAILED;
	int fd = c->rxfd, seals;

	c->rxfd = -1;
	memcpy(&rq, c->buf, sizeof(rq));
	memset(&r, 0, sizeof(r));
	if (!c->unixsock || fd < 0)
		r.rsp_error = EOPNOTSUPP;
	/* The seal first, then the size: a seal stays once set, so the
	 * size seen after it is the least the region will ever have (the
	 * other way round, the client could shrink and seal in between). */
	else if (rq.rsp_size != RUMPSP_SHM_SIZE ||
	    (seals = fcntl(fd, F_GET_SEALS)) < 0 || !(seals & F_SEAL_SHRINK) ||
	    fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size < RUMPSP_SHM_SIZE)
		r.rsp_error = EINVAL;
	else if ((p = mmap(NULL, RUMPSP_SHM_SIZE, PROT_READ | PROT_WRITE,
	    MAP_SHARED, fd, 0)) == MAP_FAILED)
		r.rsp_error = errno;
	if (fd >= 0)
		close(fd);
	if (sp_send(c, RUMPSP_SHM, RUMPSP_RESP, id, &r, sizeof(r), NULL,
	    0) != 0 || r.rsp_error != 0) {
		if (p != MAP_FAILED)
			munmap(p, RUMPSP_SHM_SIZE);
		return -1;
	}
	c->shm = p;
	return 0;
}

/* Serving through the channel: the client's calls as in the loop of
 * sp_serve(), until the connection ends. */
static void
sp_serve_shm(struct sp_conn *c)
{
	const struct rumpuser_hyperup *hyp = &rumpuser__hyp;
	struct rumpsp_shm *m = c->shm;
	char *area = (char *)m + RUMPSP_SHM_DATA_OFF;
	struct rumpuser__sp_shmcall call;
	long args[RUMPSP_NARGS], rv[2];
	int i, error;

	/* The client's turn: IDLE at first, RESULT after each call until
	 * the client has read it (and sets IDLE), then CALL. */
	while (sp_shm_wait(c, RUMPSP_SHM_CALL, RUMPSP_SHM_IDLE,
	    RUMPSP_SHM_RESULT) == 0) {
		/* Taken out of the region once, checked in our copy. */
		if (rumpuser__sp_shm_take_call(m, area, &call) != 0) {
			c->broken = 1;
			return;
		}
		switch (call.type) {
		case RUMPSP_SYSCALL:
			for (i = 0; i < RUMPSP_NARGS; i++)
				args[i] = (long)call.args[i];
			rv[0] = rv[1] = 0;
			sp_call_begin(c, call.id, call.flags);
			error = hyp->hyp_syscall(call.nr, args, rv);
			sp_call_end(c);
			m->rss_error = error;
			m->rss_retval[0] = rv[0];
			m->rss_retval[1] = rv[1];
			break;
		case RUMPSP_PREFORK:
			m->rss_error = sp_prefork(c->pid, (uint8_t *)area);
			break;
		default:	/* HANDSHAKE: exec, the name in the data area */
			hyp->hyp_execnotify(call.comm);
			m->rss_error = 0;
			break;
		}
		if (c->broken)
			return;
		sp_shm_post(c, RUMPSP_SHM_RESULT);
	}
}

static void
sp_serve(struct sp_conn *c)
{
	const struct rumpuser_hyperup *hyp = &rumpuser__hyp;
	struct rumpuser__sp_expect want = { .state = RUMPUSER__SP_WANT_HANDSHAKE };
	struct rumpsp_handshake_req hs;
	struct rumpsp_hdr h;
	char comm[RUMPSP_NAME_LEN + 1];
	int error;

	if (sp_recv(c, &want, &h) != 0)
		return;
	if (h.rsh_type == RUMPSP_INTR) {
		/* Alone on its connection: answered, then closed. */
		sp_do_intr(c, h.rsh_id);
		return;
	}
	memcpy(&hs, c->buf, sizeof(hs));
	if (hs.rsp_version != RUMPSP_VERSION)
		error = EPROTONOSUPPORT;
	else if (strncmp(hs.rsp_machine, sp_machine,
	    sizeof(hs.rsp_machine)) != 0)
		error = ENOEXEC;	/* another system call ABI */
	else
		error = sp_newproc(c, &hs);
	if (error == 0) {
		c->pid = hyp->hyp_getpid();
		if (c->proc == NULL && (error = sp_proc_new(c, c->pid)) != 0) {
			hyp->hyp_lwproc_release();
			c->pid = 0;
		}
	}
	if (error == 0) {
		/* Found by INTR from now on. */
		c->lwp = hyp->hyp_lwproc_curlwp();
		pthread_mutex_lock(&sp_lock);
		if (++sp_lastlwp == 0)
			sp_lastlwp = 1;
		c->lwpnum = sp_lastlwp;
		memcpy(c->cookie, c->proc->cookie, sizeof(c->cookie));
		pthread_mutex_unlock(&sp_lock);
		sp_watch(c);
	}
	sp_handshake_reply(c, h.rsh_id, error);
	if (error != 0)
		return;

	want.state = RUMPUSER__SP_WANT_REQUEST;
	while (sp_recv(c, &want, &h) == 0) {
		switch (h.rsh_type) {
		case RUMPSP_SYSCALL:
			sp_do_syscall(c, h.rsh_id);
			break;
		case RUMPSP_PREFORK:
			sp_do_prefork(c, h.rsh_id);
			break;
		case RUMPSP_SHM:
			if (sp_do_shm(c, h.rsh_id) == 0) {
				sp_serve_shm(c);
				return;
			}
			break;
		case RUMPSP_HANDSHAKE:	/* HS_EXEC, checked */
			memcpy(&hs, c->buf, sizeof(hs));
			memcpy(comm, hs.rsp_comm, RUMPSP_NAME_LEN);
			comm[RUMPSP_NAME_LEN] = '\0';
			hyp->hyp_execnotify(comm);
			sp_handshake_reply(c, h.rsh_id, 0);
			break;
		}
	}
}

static void *
sp_conn_thread(void *arg)
{
	struct sp_conn *c = arg, **cp;

	sp_curconn = c;
	sp_serve(c);
	/* No INTR finds it any more (one that did touches the lwp only
	 * during a call, and none runs now). */
	pthread_mutex_lock(&sp_lock);
	c->lwpnum = 0;
	pthread_mutex_unlock(&sp_lock);
	/* Its lwp goes; with the last lwp the kernel ends the process. */
	if (c->pid != 0)
		rumpuser__hyp.hyp_lwproc_release();
	sp_proc_put(c);
	sp_curconn = NULL;
	pthread_mutex_lock(&sp_lock);
	for (cp = &sp_conns; *cp != NULL; cp = &(*cp)->next) {
		if (*cp == c) {
			*cp = c->next;
			break;
		}
	}
	sp_nconns--;
	pthread_mutex_unlock(&sp_lock);
	/* An INTR that found it before it left the list is done with it
	 * once it lets go of ilock. */
	pthread_mutex_lock(&c->ilock);
	pthread_mutex_unlock(&c->ilock);
	pthread_mutex_destroy(&c->ilock);
	if (c->watched)
		(void)epoll_ctl(sp_watchfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	if (c->rxfd >= 0)
		close(c->rxfd);
	if (c->shm != NULL)
		munmap(c->shm, RUMPSP_SHM_SIZE);
	free(c->buf);
	free(c);
	return NULL;
}

static void *
sp_accept_thread(void *arg)
{
	struct sp_conn *c;
	pthread_attr_t attr;
	pthread_t t;
	int fd, one = 1, full;

	(void)arg;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	for (;;) {
		fd = accept4(sp_listenfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED ||
			    errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				if (errno != EINTR && errno != ECONNABORTED)
					usleep(10000);
				if (__atomic_load_n(&sp_running, __ATOMIC_ACQUIRE))
					continue;
			}
			break;	/* shut down (rumpuser_sp_fini) */
		}
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
		c = calloc(1, sizeof(*c));
		pthread_mutex_lock(&sp_lock);
		full = sp_nconns >= SP_MAX_CLIENTS;
		if (c != NULL && !full) {
			c->fd = fd;
			c->rxfd = -1;
			pthread_mutex_init(&c->ilock, NULL);
			c->spin_ns = UINT64_MAX;
			c->unixsock = sp_unixpath[0] != '\0';
			c->next = sp_conns;
			sp_conns = c;
			sp_nconns++;
		}
		pthread_mutex_unlock(&sp_lock);
		if (c == NULL || full) {
			free(c);
			close(fd);
			continue;
		}
		if (pthread_create(&t, &attr, sp_conn_thread, c) != 0) {
			pthread_mutex_lock(&sp_lock);
			for (struct sp_conn **cp = &sp_conns; *cp != NULL;
			    cp = &(*cp)->next) {
				if (*cp == c) {
					*cp = c->next;
					break;
				}
			}
			sp_nconns--;
			pthread_mutex_unlock(&sp_lock);
			pthread_mutex_destroy(&c->ilock);
			close(fd);
			free(c);
		}
	}
	pthread_attr_destroy(&attr);
	return NULL;
}

/* --- Listening ------------------------------------------------------------ */

/* A unix socket path left by a server that is gone may be reused; one a
 * live server listens on, or any other file, may not. */
static int
sp_unix_stale(const struct sockaddr_un *sun)
{
	struct stat st;
	int fd, stale;

	if (lstat(sun->sun_path, &st) != 0 || !S_ISSOCK(st.st_mode))
		return 0;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return 0;
	stale = connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) != 0 &&
	    errno == ECONNREFUSED;
	close(fd);
	return stale;
}

static int
sp_listen(const char *url)
{
	struct sockaddr_un sun;
	struct sockaddr_in sin;
	const char *hp, *colon;
	char host[64], *end;
	unsigned long port;
	int fd, one = 1, error;

	if (strncmp(url, "unix://", 7) == 0) {
		hp = url + 7;
		if (*hp == '\0' || strlen(hp) >= sizeof(sun.sun_path))
			return EINVAL;
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		strcpy(sun.sun_path, hp);
		if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
			return errno;
		if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0 &&
		    (errno != EADDRINUSE || !sp_unix_stale(&sun) ||
		     unlink(hp) != 0 ||
		     bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0))
			goto fail;
		strcpy(sp_unixpath, hp);
	} else if (strncmp(url, "tcp://", 6) == 0) {
		hp = url + 6;
		colon = strrchr(hp, ':');
		if (colon == NULL || (size_t)(colon - hp) >= sizeof(host) ||
		    colon[1] == '\0')
			return EINVAL;
		memcpy(host, hp, (size_t)(colon - hp));
		host[colon - hp] = '\0';
		errno = 0;
		port = strtoul(colon + 1, &end, 10);
		if (*end != '\0' || errno != 0 || port == 0 || port > 65535)
			return EINVAL;
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons((uint16_t)port);
		if (strcmp(host, "localhost") == 0 || host[0] == '\0')
			sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		else if (inet_pton(AF_INET, host, &sin.sin_addr) != 1)
			return EINVAL;
		if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
			return errno;
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
		    sizeof(one));
		if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0)
			goto fail;
	} else
		return EINVAL;
	if (listen(fd, 128) != 0)
		goto fail;
	sp_listenfd = fd;
	return 0;
 fail:
	error = errno;
	close(fd);
	return error;
}

int
rumpuser_sp_init(const char *url, const char *ostype, const char *osrelease,
    const char *machine)
{
	sigset_t all, old;
	int error;

	if (url == NULL || rumpuser__hyp.hyp_syscall == NULL)
		return RUMPUSER__NB_EINVAL;
	if (__atomic_load_n(&sp_running, __ATOMIC_ACQUIRE))
		return RUMPUSER__NB_EBUSY;	/* one server per kernel */
	snprintf(sp_ostype, sizeof(sp_ostype), "%s", ostype ? ostype : "");
	snprintf(sp_osrelease, sizeof(sp_osrelease), "%s",
	    osrelease ? osrelease : "");
	snprintf(sp_machine, sizeof(sp_machine), "%s", machine ? machine : "");
	{
		const char *v = getenv("RUMP_SP_SPIN");
		long us = v != NULL ? atol(v) : 50;

		sp_spin_ns = us >= 0 && us <= 1000000 ? (uint64_t)us * 1000 :
		    50000;
		v = getenv("RUMP_SP_FUTEX");
		sp_futex = v == NULL || atoi(v) != 0;
	}
	if ((error = sp_listen(url)) != 0)
		return rumpuser__posixhost_errno_to_netbsd(error);
	__atomic_store_n(&sp_running, 1, __ATOMIC_RELEASE);
	/* Serving threads take no signals: those are the host program's. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	error = pthread_create(&sp_acceptor, NULL, sp_accept_thread, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (error != 0) {
		__atomic_store_n(&sp_running, 0, __ATOMIC_RELEASE);
		close(sp_listenfd);
		sp_listenfd = -1;
		if (sp_unixpath[0] != '\0')
			unlink(sp_unixpath);
		sp_unixpath[0] = '\0';
		return rumpuser__posixhost_errno_to_netbsd(error);
	}
	return 0;
}

/*
 * strata's additions for a kernel's own process that forks (strata-run
 * without a server: the program's process is in this kernel, its forked
 * host child a client of this server).
 *
 * rumpuser_sp_prefork_local: what a PREFORK does, for the calling
 * thread's process: the child's process is made now (a copy of the
 * caller's descriptors, cwd, credentials), and a client that gives the
 * cookie in its HS_FORK handshake becomes it.  The cookie stays valid
 * until used (the caller is no connection whose end would drop it).  0
 * or a Linux errno.
 */
int
rumpuser_sp_prefork_local(uint8_t *cookie)
{

	if (!__atomic_load_n(&sp_running, __ATOMIC_ACQUIRE))
		return ENOTCONN;
	return sp_prefork(-1, cookie);
}

/*
 * rumpuser_sp_prefork_child: the host's fork after
 * rumpuser_sp_prefork_local gave pid (> 0), or failed (<= 0).  A child
 * that ends without joining (killed at once, or its connection refused)
 * would otherwise leave its process, with its copies of the parent's
 * descriptors, for ever: a pipe read by another child never ended, and
 * the exit waited for that child.  So the record is dropped when the
 * fork failed, and watched (a pidfd in sp_watchfd's set, readable when
 * the child ends) until it is joined.
 */
void
rumpuser_sp_prefork_child(const uint8_t *cookie, int pid)
{
	struct epoll_event ev;
	struct sp_fork *f;
	int fd;

	if (pid <= 0) {
		if ((f = sp_forks_take(cookie)) != NULL)
			sp_fork_free(f);
		return;
	}
	pthread_once(&sp_watch_once, sp_watch_start);
	if (sp_watchfd < 0 ||
	    (fd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0)) < 0)
		return;		/* as before: kept until the exit */
	pthread_mutex_lock(&sp_lock);
	for (f = sp_forks; f != NULL; f = f->next)
		if (memcmp(f->cookie, cookie, RUMPSP_COOKIE_LEN) == 0)
			break;
	if (f != NULL) {
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN | EPOLLONESHOT;
		ev.data.u64 = SP_WATCH_FORK | ++sp_fork_wids;
		if (epoll_ctl(sp_watchfd, EPOLL_CTL_ADD, fd, &ev) == 0) {
			f->pidfd = fd;
			f->wid = ev.data.u64;
			fd = -1;
		}
	}
	pthread_mutex_unlock(&sp_lock);
	if (fd >= 0)
		close(fd);	/* joined already, or not watched */
}

/* The clients connected now and the PREFORK children not yet joined. */
void
rumpuser_sp_clients(int *nconns, int *npending)
{
	struct sp_fork *f;
	int n = 0;

	pthread_mutex_lock(&sp_lock);
	*nconns = sp_nconns;
	for (f = sp_forks; f != NULL; f = f->next)
		n++;
	pthread_mutex_unlock(&sp_lock);
	*npending = n;
}

/*
 * Stops accepting, removes the unix socket's file and cuts every client
 * off (each connection's thread then releases its process).  Returns once
 * no new client can connect; the connections wind down on their own.
 */
void
rumpuser_sp_fini(void *arg)
{
	struct sp_conn *c;

	(void)arg;
	if (!__atomic_exchange_n(&sp_running, 0, __ATOMIC_ACQ_REL))
		return;
	shutdown(sp_listenfd, SHUT_RDWR);
	pthread_join(sp_acceptor, NULL);
	close(sp_listenfd);
	sp_listenfd = -1;
	if (sp_unixpath[0] != '\0')
		unlink(sp_unixpath);
	sp_unixpath[0] = '\0';
	pthread_mutex_lock(&sp_lock);
	for (c = sp_conns; c != NULL; c = c->next)
		shutdown(c->fd, SHUT_RDWR);
	pthread_mutex_unlock(&sp_lock);
}
