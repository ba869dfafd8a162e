/*
 * rumpclient.c: the connection to a kernel server and the numeric entry
 * (the protocol is doc/sysproxy.md, its structures rump/rumpsp.h).
 *
 * One connection per client thread: the first one made makes the rump
 * process (handshake NEW), each further thread's joins it as another lwp
 * (handshake LWP with the process's cookie), so that threads make calls
 * side by side and a thread blocked in the kernel blocks no other.  On a
 * connection, one call at a time: a call sends SYSCALL, then answers the
 * server's copy requests for that call until the SYSCALL response comes.  The server never dereferences our
 * addresses; we read and write our own memory for it with
 * process_vm_readv/writev on ourselves, so that a bad address the program
 * handed to a call gives EFAULT instead of killing the program.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <rump/rump.h>
#include <rump/rump_syscalls.h>
#include <rump/rumpsp.h>
#include <rump/rumpclient.h>

#include "rumpclient_private.h"

#if defined(__x86_64__)
#define RC_MACHINE	"x86_64"
#elif defined(__aarch64__)
#define RC_MACHINE	"aarch64"
#elif defined(__riscv) && __riscv_xlen == 64
#define RC_MACHINE	"riscv64"
#else
#error "librumpclient: unknown architecture (the handshake names it)"
#endif

#define RC_EXECENV	"RUMPCLIENT__EXEC"	/* "fd:pid:lwp:cookie[:memfd]"
						   across exec */
#define ERESTARTSYS	512	/* rump.h: an interrupted call to restart */

/* One connection, used by one thread at a time (its owner). */
struct rc_conn {
	int		 fd;
	struct rumpsp_shm *shm;		/* the shared-memory channel, or NULL */
	int		 shmfd;		/* its memfd (kept for exec), or -1 */
	int		 spin;		/* the server was awake at our post */
	uint64_t	 spin_ns;	/* spin_limit()'s state */
	unsigned	 spin_skip;
	unsigned	 gen;		/* rc_gen when made */
	uint32_t	 lwpnum;	/* the server's number for it (INTR) */
	uint8_t		 cookie[RUMPSP_COOKIE_LEN];	/* its process's */
	uint64_t	 nextid;
	void		*buf;		/* receive buffer */
	size_t		 bufsize;
	struct rc_conn	*next;		/* rc_conns */
};

/* The process: rc_lock protects all of these. */
static pthread_mutex_t rc_lock = PTHREAD_MUTEX_INITIALIZER;
static struct rc_conn *rc_conns;	/* every live connection */
static int rc_haveproc;			/* a rump process exists */
static unsigned rc_gen;			/* bumped when the process is lost */
static int rc_pid;			/* its pid */
static uint8_t rc_cookie[RUMPSP_COOKIE_LEN];	/* for HS_LWP */
static int rc_everconnected;
static int rc_retry = RUMPCLIENT_RETRYCONN_ONCE;

/* The calling thread's connection; closed when the thread exits. */
static __thread struct rc_conn *rc_self;

/*
 * The calling thread as rumpclient_interrupt() knows it (the handle
 * rumpclient_curlwp() returns): whether it is marked interrupted, and the
 * call it is in, if any, named as INTR names it.  Apart from the
 * connection, which a failure can replace during a call, so that the
 * handle stays valid as long as the thread.
 */
struct rumpclient_lwp {
	pthread_mutex_t	 lock;
	int		 intr;		/* marked: its calls are interrupted */
	int		 in_call;
	uint64_t	 call_id;
	uint32_t	 lwpnum;
	uint8_t		 cookie[RUMPSP_COOKIE_LEN];
};
static __thread struct rumpclient_lwp rc_lwp = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
};
static pthread_key_t rc_key;
static pthread_once_t rc_once = PTHREAD_ONCE_INIT;

/* --- Own memory, fault-safe ---------------------------------------------- */

/* 0 when process_vm_*v cannot be used (seccomp, old kernel): plain
 * copies then, which trust the addresses like any libc call would. */
static int rc_vm_ok = 1;

static int
mem_read(uint64_t addr, void *buf, size_t len)
{
	struct iovec local = { buf, len };
	struct iovec remote = { (void *)(uintptr_t)addr, len };
	ssize_t n;

	if (len == 0)
		return 0;
	if (addr == 0)
		return EFAULT;
	if (rc_vm_ok) {
		n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
		if (n == (ssize_t)len)
			return 0;
		if (n >= 0 || errno == EFAULT)
			return EFAULT;
		if (errno != ENOSYS && errno != EPERM)
			return EFAULT;
		rc_vm_ok = 0;
	}
	memcpy(buf, (const void *)(uintptr_t)addr, len);
	return 0;
}

static int
mem_write(uint64_t addr, const void *buf, size_t len)
{
	struct iovec local = { (void *)(uintptr_t)buf, len };
	struct iovec remote = { (void *)(uintptr_t)addr, len };
	ssize_t n;

	if (len == 0)
		return 0;
	if (addr == 0)
		return EFAULT;
	if (rc_vm_ok) {
		n = process_vm_writev(getpid(), &local, 1, &remote, 1, 0);
		if (n == (ssize_t)len)
			return 0;
		if (n >= 0 || errno == EFAULT)
			return EFAULT;
		if (errno != ENOSYS && errno != EPERM)
			return EFAULT;
		rc_vm_ok = 0;
	}
	memcpy((void *)(uintptr_t)addr, buf, len);
	return 0;
}

/* A NUL-terminated string of at most room bytes (NUL included) into buf:
 * 0 with *lenp its length + 1, EFAULT, or ENAMETOOLONG.  Read a page at a
 * time so that no byte past the string's page is touched. */
static int
mem_readstr(uint64_t addr, char *buf, size_t room, size_t *lenp)
{
	size_t got = 0, chunk;
	char *nul;
	int error;

	while (got < room) {
		chunk = 4096 - (size_t)((addr + got) & 4095);
		if (chunk > room - got)
			chunk = room - got;
		if ((error = mem_read(addr + got, buf + got, chunk)) != 0)
			return error;
		if ((nul = memchr(buf + got, '\0', chunk)) != NULL) {
			*lenp = (size_t)(nul - buf) + 1;
			return 0;
		}
		got += chunk;
	}
	return ENAMETOOLONG;
}

/* --- Socket I/O ------------------------------------------------------------ */

static int
readn(int fd, void *buf, size_t len)
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

static int
sendmsg3(int fd, uint16_t type, uint16_t kind, uint64_t id,
    const void *body, size_t bodylen, const void *data, size_t datalen)
{
	struct rumpsp_hdr h;
	struct iovec iov[3];
	struct msghdr mh;
	size_t total = sizeof(h) + bodylen + datalen, sent = 0;
	ssize_t n;

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
		n = sendmsg(fd, &mh, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		sent += (size_t)n;
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

/* Reads one message into c->buf.  -1: connection lost (ENOTCONN) or a
 * malformed header (EIO), in errno. */
static int
recvmsg1(struct rc_conn *c, struct rumpsp_hdr *h)
{
	size_t len;
	void *nb;

	if (readn(c->fd, h, sizeof(*h)) != 0) {
		errno = ENOTCONN;
		return -1;
	}
	if (h->rsh_len < sizeof(*h) || h->rsh_len > RUMPSP_MSG_MAX ||
	    h->rsh_kind > RUMPSP_RESP || h->rsh_type == 0 ||
	    h->rsh_type > RUMPSP_TYPE_MAX) {
		errno = EIO;
		return -1;
	}
	len = h->rsh_len - sizeof(*h);
	/* Room for a string's NUL past the data, and never zero bytes. */
	if (len + 1 > c->bufsize) {
		if ((nb = realloc(c->buf, len + 1)) == NULL) {
			errno = ENOMEM;
			return -1;
		}
		c->buf = nb;
		c->bufsize = len + 1;
	}
	if (readn(c->fd, c->buf, len) != 0) {
		errno = ENOTCONN;
		return -1;
	}
	return 0;
}

/* A new connection on fd, listed.  rc_lock held. */
static struct rc_conn *
conn_new(int fd)
{
	struct rc_conn *c;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	c->fd = fd;
	c->shmfd = -1;
	c->spin_ns = UINT64_MAX;
	c->gen = rc_gen;
	c->nextid = 1;
	c->next = rc_conns;
	rc_conns = c;
	return c;
}

/* Closes and forgets a connection.  rc_lock held. */
static void
conn_free(struct rc_conn *c)
{
	struct rc_conn **cp;

	for (cp = &rc_conns; *cp != NULL; cp = &(*cp)->next) {
		if (*cp == c) {
			*cp = c->next;
			break;
		}
	}
	close(c->fd);
	if (c->shm != NULL)
		munmap(c->shm, RUMPSP_SHM_SIZE);
	if (c->shmfd >= 0)
		close(c->shmfd);
	free(c->buf);
	free(c);
	/* The last lwp gone: so is the process on the server. */
	if (rc_conns == NULL && rc_haveproc) {
		rc_haveproc = 0;
		rc_pid = 0;
		rc_gen++;
	}
}

/* A thread that made calls exits: its lwp on the server goes. */
static void
conn_thread_exit(void *arg)
{

	pthread_mutex_lock(&rc_lock);
	conn_free(arg);
	pthread_mutex_unlock(&rc_lock);
}

static void
rc_key_init(void)
{

	(void)pthread_key_create(&rc_key, conn_thread_exit);
}

static void
set_self(struct rc_conn *c)
{

	rc_self = c;
	pthread_once(&rc_once, rc_key_init);
	(void)pthread_setspecific(rc_key, c);
}

/* The connection failed: the process is taken as lost (the server died,
 * or broke the protocol), and every other connection of it with it. */
static void
conn_lost(struct rc_conn *c)
{

	pthread_mutex_lock(&rc_lock);
	if (c->gen == rc_gen && rc_haveproc) {
		rc_haveproc = 0;
		rc_pid = 0;
		rc_gen++;
	}
	conn_free(c);
	pthread_mutex_unlock(&rc_lock);
	set_self(NULL);
}

/* --- Connecting -------------------------------------------------------------- */

static int
open_socket(const char *url)
{
	struct sockaddr_un sun;
	struct sockaddr_in sin;
	const char *hp, *colon;
	char host[64], *end;
	unsigned long port;
	int fd, one = 1;

	if (url == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (strncmp(url, "unix://", 7) == 0) {
		hp = url + 7;
		if (*hp == '\0' || strlen(hp) >= sizeof(sun.sun_path)) {
			errno = EINVAL;
			return -1;
		}
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		strcpy(sun.sun_path, hp);
		if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
			return -1;
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0)
			goto fail;
		return fd;
	}
	if (strncmp(url, "tcp://", 6) == 0) {
		hp = url + 6;
		colon = strrchr(hp, ':');
		if (colon == NULL || (size_t)(colon - hp) >= sizeof(host)) {
			errno = EINVAL;
			return -1;
		}
		memcpy(host, hp, (size_t)(colon - hp));
		host[colon - hp] = '\0';
		errno = 0;
		port = strtoul(colon + 1, &end, 10);
		if (colon[1] == '\0' || *end != '\0' || errno != 0 ||
		    port == 0 || port > 65535) {
			errno = EINVAL;
			return -1;
		}
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons((uint16_t)port);
		if (strcmp(host, "localhost") == 0 || host[0] == '\0')
			sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		else if (inet_pton(AF_INET, host, &sin.sin_addr) != 1) {
			errno = EINVAL;
			return -1;
		}
		if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
			return -1;
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
		if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0)
			goto fail;
		return fd;
	}
	errno = EINVAL;
	return -1;
 fail:
	{
		int e = errno;
		close(fd);
		errno = e;
	}
	return -1;
}

/* A NUL-padded name field of the wire (not necessarily terminated). */
static void
putname(char *dst, size_t len, const char *src)
{
	size_t n = strlen(src);

	memset(dst, 0, len);
	memcpy(dst, src, n < len ? n : len);
}

/* The handshake on c: kind, cookie (HS_FORK, HS_LWP), name.  0 or -1.
 * A new process's pid and cookie are recorded (rc_lock held). */
static int
handshake(struct rc_conn *c, uint32_t kind, const uint8_t *cookie,
    const char *comm)
{
	struct rumpsp_handshake_req rq;
	struct rumpsp_handshake_resp rs;
	struct rumpsp_hdr h;
	uint64_t id = c->nextid++;

	memset(&rq, 0, sizeof(rq));
	memcpy(rq.rsp_magic, RUMPSP_MAGIC, 8);
	rq.rsp_version = RUMPSP_VERSION;
	rq.rsp_kind = kind;
	putname(rq.rsp_machine, sizeof(rq.rsp_machine), RC_MACHINE);
	putname(rq.rsp_comm, sizeof(rq.rsp_comm), comm != NULL ? comm :
	    program_invocation_short_name);
	if (cookie != NULL)
		memcpy(rq.rsp_cookie, cookie, RUMPSP_COOKIE_LEN);
	if (sendmsg3(c->fd, RUMPSP_HANDSHAKE, RUMPSP_REQ, id, &rq, sizeof(rq),
	    NULL, 0) != 0) {
		errno = ENOTCONN;
		return -1;
	}
	if (recvmsg1(c, &h) != 0)
		return -1;
	/* error and version first: another version's response may be
	 * longer or shorter. */
	if (h.rsh_type != RUMPSP_HANDSHAKE || h.rsh_kind != RUMPSP_RESP ||
	    h.rsh_id != id || h.rsh_len < sizeof(h) + 8) {
		errno = EIO;
		return -1;
	}
	memset(&rs, 0, sizeof(rs));
	memcpy(&rs, c->buf, h.rsh_len - sizeof(h) < sizeof(rs) ?
	    h.rsh_len - sizeof(h) : sizeof(rs));
	if (rs.rsp_error != 0) {
		errno = rs.rsp_error > 0 && rs.rsp_error < 4096 ?
		    rs.rsp_error : EIO;
		return -1;
	}
	if (rs.rsp_version != RUMPSP_VERSION) {
		errno = EPROTONOSUPPORT;
		return -1;
	}
	if (h.rsh_len != sizeof(h) + sizeof(rs)) {
		errno = EIO;
		return -1;
	}
	if (kind == RUMPSP_HS_NEW || kind == RUMPSP_HS_FORK) {
		rc_pid = rs.rsp_pid;
		memcpy(rc_cookie, rs.rsp_cookie, sizeof(rc_cookie));
		rc_haveproc = 1;
	}
	if (kind != RUMPSP_HS_EXEC) {
		c->lwpnum = rs.rsp_lwp;
		memcpy(c->cookie, rs.rsp_cookie, sizeof(c->cookie));
	}
	return 0;
}

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

/* --- The shared-memory channel ------------------------------------------ */

/* How long a side spins on the channel before it sleeps (RUMP_SP_SPIN,
 * microseconds; 0: never spins). */
static long
spin_ns(void)
{
	static long ns = -1;
	const char *v;
	long us;

	if (__atomic_load_n(&ns, __ATOMIC_RELAXED) < 0) {
		us = (v = getenv("RUMP_SP_SPIN")) != NULL ? atol(v) : 50;
		if (us < 0 || us > 1000000)
			us = 50;
		__atomic_store_n(&ns, us * 1000, __ATOMIC_RELAXED);
	}
	return __atomic_load_n(&ns, __ATOMIC_RELAXED);
}

/* Whether a side that stops spinning sleeps on the futex first
 * (RUMP_SP_FUTEX=0: on the socket at once, as before futexes; for
 * comparison in bench/sysproxy.sh). */
static int
use_futex(void)
{
	static int on = -1;
	const char *v;

	if (__atomic_load_n(&on, __ATOMIC_RELAXED) < 0)
		__atomic_store_n(&on, (v = getenv("RUMP_SP_FUTEX")) == NULL ||
		    atoi(v) != 0, __ATOMIC_RELAXED);
	return __atomic_load_n(&on, __ATOMIC_RELAXED);
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * How long to spin this time: spinning pays when the other side runs on
 * another CPU at the same moment, and only wastes a CPU when the machine
 * has more runnable threads than CPUs.  So the time halves after each
 * spin that was in vain (down to none), is back at the maximum after one
 * that paid, and while it is none every 32nd wait tries a short spin.
 */
static uint64_t
spin_limit(uint64_t *cur, unsigned *skip, uint64_t max)
{

	if (*cur > max)
		*cur = max;
	if (*cur == 0 && max > 0 && (++*skip & 31) == 0)
		return max / 4 > 1000 ? max / 4 : max;
	return *cur;
}

/* Sets the state and rings the server if it sleeps.  The two sequentially
 * consistent pairs (state then flag here, flag then state there) make
 * sure one side sees the other. */
static int
shm_post(struct rc_conn *c, uint32_t state)
{
	uint32_t sleeps;
	char b = 'r';

	__atomic_store_n(&c->shm->rss_state, state, __ATOMIC_SEQ_CST);
	/* A sleeping server takes a wakeup (tens of microseconds) before it
	 * answers: then waiting for it by spinning would only take a CPU it
	 * may need.  A server that spins answers at once. */
	c->spin = 1;
	sleeps = __atomic_load_n(&c->shm->rss_server_sleeps, __ATOMIC_SEQ_CST);
	if (sleeps == RUMPSP_SHM_SLEEP_FUTEX) {
		c->spin = 0;
		(void)syscall(SYS_futex, &c->shm->rss_state, FUTEX_WAKE, 1,
		    NULL, NULL, 0);
	} else if (sleeps != 0) {
		c->spin = 0;
		if (send(c->fd, &b, 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 &&
		    errno != EAGAIN && errno != EINTR)
			return -1;
	}
	return 0;
}

/* Waits for the server's turn to end (state COPYREQ or RESULT): spins,
 * then sleeps on the socket.  The state, or -1 (ENOTCONN) when the
 * server is gone. */
static int
shm_wait(struct rc_conn *c)
{
	uint64_t limit = c->spin ? spin_limit(&c->spin_ns, &c->spin_skip,
	    spin_ns()) : 0, t0 = 0;
	uint32_t s;
	char b[64];
	ssize_t n;
	int i;

	for (i = 0; limit > 0; i++) {
		s = __atomic_load_n(&c->shm->rss_state, __ATOMIC_ACQUIRE);
		if (s == RUMPSP_SHM_COPYREQ || s == RUMPSP_SHM_RESULT) {
			c->spin_ns = spin_ns();		/* it paid */
			return (int)s;
		}
		if ((i & 63) == 0) {
			if (t0 == 0)
				t0 = now_ns();
			else if (now_ns() - t0 >= limit) {
				c->spin_ns = limit / 2 < 1000 ? 0 : limit / 2;
				break;
			}
		}
		spin_pause();
	}
	/* A short sleep on the state word (the server wakes it with
	 * FUTEX_WAKE), then on the socket, whose end of stream also says
	 * the server is gone. */
	/* At most RUMPSP_SHM_FUTEX_NS in all, however often a signal
	 * interrupts it (a dead server is only seen on the socket), and
	 * not at all when the futex fails otherwise. */
	if (use_futex()) {
		uint64_t end = now_ns() + RUMPSP_SHM_FUTEX_NS, now;

		__atomic_store_n(&c->shm->rss_client_sleeps,
		    RUMPSP_SHM_SLEEP_FUTEX, __ATOMIC_SEQ_CST);
		for (;;) {
			struct timespec ts = { 0, 0 };

			s = __atomic_load_n(&c->shm->rss_state,
			    __ATOMIC_SEQ_CST);
			if (s == RUMPSP_SHM_COPYREQ || s == RUMPSP_SHM_RESULT)
				goto woken;
			if ((now = now_ns()) >= end)
				break;
			ts.tv_nsec = (long)(end - now);
			if (syscall(SYS_futex, &c->shm->rss_state, FUTEX_WAIT,
			    s, &ts, NULL, 0) != 0 && errno != EAGAIN &&
			    errno != EINTR && errno != ETIMEDOUT)
				break;
		}
	}
	for (;;) {
		__atomic_store_n(&c->shm->rss_client_sleeps, 1,
		    __ATOMIC_SEQ_CST);
		s = __atomic_load_n(&c->shm->rss_state, __ATOMIC_SEQ_CST);
		if (s == RUMPSP_SHM_COPYREQ || s == RUMPSP_SHM_RESULT)
			break;
		n = recv(c->fd, b, sizeof(b), 0);
		if (n == 0 || (n < 0 && errno != EINTR)) {
			errno = ENOTCONN;
			return -1;
		}
	}
 woken:
	__atomic_store_n(&c->shm->rss_client_sleeps, 0, __ATOMIC_RELAXED);
	return (int)s;
}

/* Answers the server's request in the channel (state COPYREQ). */
static void
shm_serve(struct rc_conn *c)
{
	struct rumpsp_shm *m = c->shm;
	char *data = (char *)m + RUMPSP_SHM_DATA_OFF;
	uint32_t type = m->rss_type;
	uint64_t addr = m->rss_addr, len = m->rss_len;
	size_t slen = 0;
	int error = 0;
	void *p;

	if (len > RUMPSP_DATA_MAX) {
		error = EINVAL;
		len = 0;
	}
	switch (error == 0 ? type : 0) {
	case RUMPSP_COPYIN:
		error = mem_read(addr, data, (size_t)len);
		slen = error == 0 ? (size_t)len : 0;
		break;
	case RUMPSP_COPYINSTR:
		error = mem_readstr(addr, data, (size_t)len, &slen);
		if (error != 0)
			slen = 0;
		break;
	case RUMPSP_COPYOUT:
		error = mem_write(addr, data, (size_t)len);
		break;
	case RUMPSP_ANONMMAP:
		p = mmap(NULL, (size_t)len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			error = errno;
		else
			slen = (size_t)(uintptr_t)p;
		break;
	case RUMPSP_RAISE:
		if (len == 0 || len >= NSIG)
			error = EINVAL;
		break;
	case 0:
		break;
	default:
		error = EINVAL;
		break;
	}
	m->rss_error = error;
	m->rss_len = slen;
	(void)shm_post(c, RUMPSP_SHM_COPYRESP);
	/* Answered first: the signal may well end us. */
	if (type == RUMPSP_RAISE && error == 0)
		raise((int)len);
}

/* A request of type (SYSCALL, PREFORK, HANDSHAKE for exec) through the
 * channel; the request's fields are already in place.  0, or -1 with
 * errno (the connection is then unusable). */
static int
shm_call(struct rc_conn *c, uint32_t type)
{
	int s;

	c->shm->rss_type = type;
	if (shm_post(c, RUMPSP_SHM_CALL) != 0) {
		errno = ENOTCONN;
		return -1;
	}
	while ((s = shm_wait(c)) == RUMPSP_SHM_COPYREQ)
		shm_serve(c);
	if (s < 0)
		return -1;
	__atomic_store_n(&c->shm->rss_state, RUMPSP_SHM_IDLE, __ATOMIC_RELAXED);
	return 0;
}

/*
 * Asks the server to move the connection to a shared-memory channel
 * (unix sockets; RUMP_SP_SHM=0 says no).  0 whether or not the server
 * takes it; -1 with errno when the connection failed meanwhile.
 */
static int
shm_setup(struct rc_conn *c)
{
	const char *url = getenv("RUMP_SERVER"), *v = getenv("RUMP_SP_SHM");
	struct rumpsp_shm_req rq;
	struct rumpsp_shm_resp rs;
	struct rumpsp_hdr h;
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int))];
	} cm;
	struct msghdr mh;
	struct iovec iov[2];
	uint64_t id = c->nextid++;
	void *p;
	int fd;

	if (url == NULL || strncmp(url, "unix://", 7) != 0 ||
	    (v != NULL && strcmp(v, "0") == 0))
		return 0;
	fd = memfd_create("rumpsp", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return 0;
	/* Sealed: the server must not see the region shrink under it. */
	if (ftruncate(fd, RUMPSP_SHM_SIZE) != 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
	    F_SEAL_SEAL) != 0 ||
	    (p = mmap(NULL, RUMPSP_SHM_SIZE, PROT_READ | PROT_WRITE,
	    MAP_SHARED, fd, 0)) == MAP_FAILED) {
		close(fd);
		return 0;
	}
	memset(&rq, 0, sizeof(rq));
	rq.rsp_size = RUMPSP_SHM_SIZE;
	h.rsh_len = sizeof(h) + sizeof(rq);
	h.rsh_type = RUMPSP_SHM;
	h.rsh_kind = RUMPSP_REQ;
	h.rsh_id = id;
	iov[0].iov_base = &h;
	iov[0].iov_len = sizeof(h);
	iov[1].iov_base = &rq;
	iov[1].iov_len = sizeof(rq);
	memset(&mh, 0, sizeof(mh));
	memset(&cm, 0, sizeof(cm));
	mh.msg_iov = iov;
	mh.msg_iovlen = 2;
	mh.msg_control = cm.buf;
	mh.msg_controllen = sizeof(cm.buf);
	cm.hdr.cmsg_level = SOL_SOCKET;
	cm.hdr.cmsg_type = SCM_RIGHTS;
	cm.hdr.cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(&cm.hdr), &fd, sizeof(int));
	/* One message of 24 bytes: a unix stream socket takes it whole. */
	if (sendmsg(c->fd, &mh, MSG_NOSIGNAL) != (ssize_t)(sizeof(h) +
	    sizeof(rq)) || recvmsg1(c, &h) != 0) {
		munmap(p, RUMPSP_SHM_SIZE);
		close(fd);
		errno = ENOTCONN;
		return -1;
	}
	if (h.rsh_type != RUMPSP_SHM || h.rsh_kind != RUMPSP_RESP ||
	    h.rsh_id != id || h.rsh_len != sizeof(h) + sizeof(rs)) {
		munmap(p, RUMPSP_SHM_SIZE);
		close(fd);
		errno = EIO;
		return -1;
	}
	memcpy(&rs, c->buf, sizeof(rs));
	if (rs.rsp_error != 0) {
		/* Not taken: the socket it is. */
		munmap(p, RUMPSP_SHM_SIZE);
		close(fd);
		return 0;
	}
	c->shm = p;
	c->shmfd = fd;
	return 0;
}

/* A new connection that makes (NEW, FORK) or joins (LWP) the process.
 * rc_lock held.  The connection, or NULL with errno. */
static struct rc_conn *
connect_kind(uint32_t kind, const uint8_t *cookie)
{
	struct rc_conn *c;
	int fd, e;

	if ((fd = open_socket(getenv("RUMP_SERVER"))) < 0)
		return NULL;
	if ((c = conn_new(fd)) == NULL)
		return NULL;
	if (handshake(c, kind, cookie, NULL) != 0) {
		e = errno;
		conn_free(c);
		errno = e;
		return NULL;
	}
	rc_everconnected = 1;
	if (shm_setup(c) != 0) {
		e = errno;
		conn_free(c);
		errno = e;
		return NULL;
	}
	return c;
}

/* After rumpclient_exec(): the old program's connection, if it left one
 * (rc_lock held). */
static struct rc_conn *
adopt_exec(void)
{
	const char *v = getenv(RC_EXECENV);
	int fd, pid, type, n = 0;
	socklen_t sl = sizeof(type);
	unsigned int b;
	struct rc_conn *c;

	int shmfd = -1;
	unsigned int lwp;
	void *shm = NULL;
	struct timespec ts;

	if (v == NULL || sscanf(v, "%d:%d:%u:%n", &fd, &pid, &lwp, &n) != 3 ||
	    n == 0 || strlen(v + n) < 2 * RUMPSP_COOKIE_LEN)
		return NULL;
	/* ":shmfd" after the cookie when the channel was in use. */
	if (v[n + 2 * RUMPSP_COOKIE_LEN] != '\0' &&
	    (v[n + 2 * RUMPSP_COOKIE_LEN] != ':' ||
	    sscanf(v + n + 2 * RUMPSP_COOKIE_LEN + 1, "%d", &shmfd) != 1))
		return NULL;
	for (int i = 0; i < RUMPSP_COOKIE_LEN; i++) {
		if (sscanf(v + n + 2 * i, "%2x", &b) != 1)
			return NULL;
		rc_cookie[i] = (uint8_t)b;
	}
	unsetenv(RC_EXECENV);
	if (fd < 0 || getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &sl) != 0 ||
	    type != SOCK_STREAM)
		return NULL;
	(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	if (shmfd >= 0) {
		(void)fcntl(shmfd, F_SETFD, FD_CLOEXEC);
		shm = mmap(NULL, RUMPSP_SHM_SIZE, PROT_READ | PROT_WRITE,
		    MAP_SHARED, shmfd, 0);
		if (shm == MAP_FAILED) {
			close(shmfd);
			return NULL;
		}
	}
	if ((c = conn_new(fd)) == NULL)
		return NULL;
	c->shm = shm;
	c->shmfd = shmfd;
	c->lwpnum = lwp;
	memcpy(c->cookie, rc_cookie, sizeof(c->cookie));
	/* The ids of the old program's requests are behind us: the server
	 * only echoes them, and INTR names the call in progress by its id:
	 * a start far from the old program's, whose last INTR could come
	 * late. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	c->nextid = (uint64_t)ts.tv_sec << 32 | (uint64_t)ts.tv_nsec;
	rc_pid = pid;
	rc_haveproc = 1;
	rc_everconnected = 1;
	return c;
}

/* A connection for a thread that has none, making the process if there
 * is none.  rc_lock held.  NULL with errno on failure. */
static struct rc_conn *
connect_thread(void)
{
	struct timespec ts = { 0, 100 * 1000 * 1000 };
	struct rc_conn *c;
	int tries;

	if (rc_haveproc)
		return connect_kind(RUMPSP_HS_LWP, rc_cookie);
	if (!rc_everconnected) {
		if ((c = adopt_exec()) != NULL)
			return c;
		return connect_kind(RUMPSP_HS_NEW, NULL);
	}
	/* Lost: reconnect as the policy says, as a new process. */
	if (rc_retry == RUMPCLIENT_RETRYCONN_NONE) {
		errno = ENOTCONN;
		return NULL;
	}
	tries = rc_retry > 0 ? rc_retry * 10 : 1;
	for (int i = 0; i < tries; i++) {
		if ((c = connect_kind(RUMPSP_HS_NEW, NULL)) != NULL)
			return c;
		if (i + 1 < tries)
			nanosleep(&ts, NULL);
	}
	errno = ENOTCONN;
	return NULL;
}

/* The calling thread's connection to the current process, made if
 * needed; NULL with errno. */
static struct rc_conn *
self_conn(void)
{
	struct rc_conn *c = rc_self;
	int e = 0;

	pthread_mutex_lock(&rc_lock);
	if (c != NULL && c->gen != rc_gen) {
		/* Of a process that was lost. */
		conn_free(c);
		c = NULL;
	}
	if (c == NULL && (c = connect_thread()) == NULL)
		e = errno;
	pthread_mutex_unlock(&rc_lock);
	if (c != rc_self)
		set_self(c);
	if (c == NULL)
		errno = e;
	return c;
}

int
rumpclient_init(void)
{

	return self_conn() != NULL ? 0 : -1;
}

int
rump_init(void)
{

	/* The in-process kernel's rump_init() returns an errno. */
	return rumpclient_init() == 0 ? 0 : errno;
}

int
rumpclient_setconnretry(int how)
{

	if (how < 0 && how != RUMPCLIENT_RETRYCONN_ONCE &&
	    how != RUMPCLIENT_RETRYCONN_NONE) {
		errno = EINVAL;
		return -1;
	}
	pthread_mutex_lock(&rc_lock);
	rc_retry = how;
	pthread_mutex_unlock(&rc_lock);
	return 0;
}

int
rumpclient_getpid(void)
{
	int pid;

	pthread_mutex_lock(&rc_lock);
	pid = rc_haveproc ? rc_pid : 0;
	pthread_mutex_unlock(&rc_lock);
	return pid;
}

/* --- Calls --------------------------------------------------------------- */

/* Answers one request of the server during a call.  0, or -1 when the
 * connection is unusable (errno set). */
static int
serve_request(struct rc_conn *c, const struct rumpsp_hdr *h)
{
	size_t blen = h->rsh_len - sizeof(*h);
	struct rumpsp_copy_req rq;
	struct rumpsp_copy_resp cr;
	struct rumpsp_raise_req rr;
	const void *data = NULL;
	size_t slen;
	void *p;

	memset(&cr, 0, sizeof(cr));
	switch (h->rsh_type) {
	case RUMPSP_COPYIN:
	case RUMPSP_COPYINSTR:
	case RUMPSP_ANONMMAP:
		if (blen != sizeof(rq) || h->rsh_kind != RUMPSP_REQ)
			goto bad;
		memcpy(&rq, c->buf, sizeof(rq));
		if (rq.rsp_len > RUMPSP_DATA_MAX)
			goto bad;
		if (h->rsh_type == RUMPSP_ANONMMAP) {
			p = mmap(NULL, rq.rsp_len, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (p == MAP_FAILED)
				cr.rsp_error = errno;
			else
				cr.rsp_len = (uint64_t)(uintptr_t)p;
			break;
		}
		/* The data goes into c->buf after the request, which we no
		 * longer need: make room. */
		if (rq.rsp_len + 1 > c->bufsize) {
			if ((p = realloc(c->buf, rq.rsp_len + 1)) == NULL) {
				cr.rsp_error = ENOMEM;
				break;
			}
			c->buf = p;
			c->bufsize = rq.rsp_len + 1;
		}
		if (h->rsh_type == RUMPSP_COPYIN) {
			cr.rsp_error = mem_read(rq.rsp_addr, c->buf, rq.rsp_len);
			slen = rq.rsp_len;
		} else
			cr.rsp_error = mem_readstr(rq.rsp_addr, c->buf,
			    rq.rsp_len, &slen);
		if (cr.rsp_error == 0) {
			cr.rsp_len = slen;
			data = c->buf;
		}
		break;
	case RUMPSP_COPYOUT:
		if (blen < sizeof(rq) || h->rsh_kind != RUMPSP_REQ)
			goto bad;
		memcpy(&rq, c->buf, sizeof(rq));
		if (rq.rsp_len != blen - sizeof(rq))
			goto bad;
		cr.rsp_error = mem_write(rq.rsp_addr, (char *)c->buf + sizeof(rq),
		    rq.rsp_len);
		break;
	case RUMPSP_RAISE:
		if (blen != sizeof(rr) || h->rsh_kind != RUMPSP_REQ)
			goto bad;
		memcpy(&rr, c->buf, sizeof(rr));
		if (rr.rsp_signo <= 0 || rr.rsp_signo >= NSIG) {
			cr.rsp_error = EINVAL;
			break;
		}
		/* Answer first: the signal may well end us. */
		if (sendmsg3(c->fd, h->rsh_type, RUMPSP_RESP, h->rsh_id, &cr,
		    sizeof(cr), NULL, 0) != 0) {
			errno = ENOTCONN;
			return -1;
		}
		raise(rr.rsp_signo);
		return 0;
	default:
		goto bad;
	}
	if (sendmsg3(c->fd, h->rsh_type, RUMPSP_RESP, h->rsh_id, &cr,
	    sizeof(cr), data, data != NULL ? cr.rsp_len : 0) != 0) {
		errno = ENOTCONN;
		return -1;
	}
	return 0;
 bad:
	errno = EIO;
	return -1;
}

/* One call on the thread's own connection: 0 or an errno (the connection
 * is dropped, and the process taken as lost, on ENOTCONN or on EIO from
 * the protocol). */
static int
call_on1(struct rc_conn *c, int nr, const long *args, long *retval,
    uint64_t id, uint32_t flags)
{
	struct rumpsp_syscall_req rq;
	struct rumpsp_syscall_resp rs;
	struct rumpsp_hdr h;

	if (c->shm != NULL) {
		struct rumpsp_shm *m = c->shm;

		m->rss_id = id;
		m->rss_flags = flags;
		m->rss_nr = nr;
		for (int i = 0; i < RUMPSP_NARGS; i++)
			m->rss_args[i] = args != NULL ? args[i] : 0;
		if (shm_call(c, RUMPSP_SYSCALL) != 0)
			goto lost;
		if (m->rss_error < 0 || m->rss_error >= 4096) {
			errno = EIO;
			goto lost;
		}
		if (retval != NULL) {
			retval[0] = (long)m->rss_retval[0];
			retval[1] = (long)m->rss_retval[1];
		}
		return m->rss_error;
	}
	memset(&rq, 0, sizeof(rq));
	rq.rsp_nr = nr;
	rq.rsp_flags = flags;
	if (args != NULL)
		for (int i = 0; i < RUMPSP_NARGS; i++)
			rq.rsp_args[i] = args[i];
	if (sendmsg3(c->fd, RUMPSP_SYSCALL, RUMPSP_REQ, id, &rq, sizeof(rq),
	    NULL, 0) != 0) {
		conn_lost(c);
		return ENOTCONN;
	}
	for (;;) {
		if (recvmsg1(c, &h) != 0)
			goto lost;
		if (h.rsh_kind == RUMPSP_REQ) {
			if (serve_request(c, &h) != 0)
				goto lost;
			continue;
		}
		if (h.rsh_type != RUMPSP_SYSCALL || h.rsh_id != id ||
		    h.rsh_len != sizeof(h) + sizeof(rs)) {
			errno = EIO;
			goto lost;
		}
		memcpy(&rs, c->buf, sizeof(rs));
		if (rs.rsp_error < 0 || rs.rsp_error >= 4096) {
			errno = EIO;
			goto lost;
		}
		if (retval != NULL) {
			retval[0] = (long)rs.rsp_retval[0];
			retval[1] = (long)rs.rsp_retval[1];
		}
		return rs.rsp_error;
	}
 lost:
	{
		int e = errno;
		conn_lost(c);
		return e;
	}
}

/* A call, known to rumpclient_interrupt() while it runs. */
static int
call_on(struct rc_conn *c, int nr, const long *args, long *retval)
{
	struct rumpclient_lwp *t = &rc_lwp;
	uint64_t id = c->nextid++;
	uint32_t flags;
	int error;

	pthread_mutex_lock(&t->lock);
	t->in_call = 1;
	t->call_id = id;
	t->lwpnum = c->lwpnum;
	memcpy(t->cookie, c->cookie, sizeof(t->cookie));
	/* Marked before it began: the server interrupts it at once. */
	flags = t->intr ? RUMPSP_CALL_INTR : 0;
	pthread_mutex_unlock(&t->lock);
	error = call_on1(c, nr, args, retval, id, flags);
	pthread_mutex_lock(&t->lock);
	t->in_call = 0;
	pthread_mutex_unlock(&t->lock);
	return error;
}

int
rumpclient_syscall(int nr, const long *args, long *retval)
{
	struct rc_conn *c;

	if ((c = self_conn()) == NULL)
		return errno;
	return call_on(c, nr, args, retval);
}

/* --- Interrupting calls ------------------------------------------------- */

struct rumpclient_lwp *
rumpclient_curlwp(void)
{

	return &rc_lwp;
}

/* Sends INTR on a connection of its own and waits for the answer: 0 or
 * an errno. */
static int
intr_send(const struct rumpsp_intr_req *rq)
{
	struct rumpsp_intr_resp rs;
	struct rumpsp_hdr h;
	int fd, error;

	if ((fd = open_socket(getenv("RUMP_SERVER"))) < 0)
		return errno;
	if (sendmsg3(fd, RUMPSP_INTR, RUMPSP_REQ, 1, rq, sizeof(*rq), NULL,
	    0) != 0 || readn(fd, &h, sizeof(h)) != 0)
		error = ENOTCONN;
	else if (h.rsh_type != RUMPSP_INTR || h.rsh_kind != RUMPSP_RESP ||
	    h.rsh_id != 1 || h.rsh_len != sizeof(h) + sizeof(rs) ||
	    readn(fd, &rs, sizeof(rs)) != 0)
		error = EIO;
	else if (rs.rsp_error < 0 || rs.rsp_error >= 4096)
		error = EIO;
	else
		error = rs.rsp_error;
	close(fd);
	return error;
}

int
rumpclient_interrupt(struct rumpclient_lwp *l)
{
	struct rumpsp_intr_req rq;
	int send, error;

	memset(&rq, 0, sizeof(rq));
	rq.rsp_version = RUMPSP_VERSION;
	pthread_mutex_lock(&l->lock);
	l->intr = 1;
	/* A call that begins from now on carries the mark itself; one in
	 * progress is named to the server. */
	send = l->in_call;
	rq.rsp_lwp = l->lwpnum;
	rq.rsp_id = l->call_id;
	memcpy(rq.rsp_cookie, l->cookie, sizeof(rq.rsp_cookie));
	pthread_mutex_unlock(&l->lock);
	if (!send)
		return 0;
	if ((error = intr_send(&rq)) != 0) {
		errno = error;
		return -1;
	}
	return 0;
}

int
rumpclient_interrupt_clear(struct rumpclient_lwp *l)
{
	int was;

	pthread_mutex_lock(&l->lock);
	was = l->intr;
	l->intr = 0;
	pthread_mutex_unlock(&l->lock);
	return was;
}

int
rump_syscall(int nr, void *args, long *retval)
{

	return rumpclient_syscall(nr, args, retval);
}

long
rumpclient__typed(int nr, long a0, long a1, long a2, long a3, long a4,
    long a5)
{
	long args[6] = { a0, a1, a2, a3, a4, a5 };
	long rv[2] = { 0, 0 };
	int error;

	error = rumpclient_syscall(nr, args, rv);
	if (error != 0) {
		/* As the in-process typed calls: an interrupted call that
		 * could be restarted is EINTR here. */
		errno = error == ERESTARTSYS ? EINTR : error;
		return -1;
	}
	return rv[0];
}

/* --- fork and exec -------------------------------------------------------- */

pid_t
rumpclient_fork(void)
{
	struct rumpsp_prefork_resp rs;
	struct rumpsp_hdr h;
	struct rc_conn *c;
	uint64_t id;
	pid_t pid;
	int e;

	if ((c = self_conn()) == NULL)
		return -1;
	id = c->nextid++;
	if (c->shm != NULL) {
		if (shm_call(c, RUMPSP_PREFORK) != 0) {
			conn_lost(c);
			errno = ENOTCONN;
			return -1;
		}
		rs.rsp_error = c->shm->rss_error;
		memcpy(rs.rsp_cookie, (char *)c->shm + RUMPSP_SHM_DATA_OFF,
		    RUMPSP_COOKIE_LEN);
	} else if (sendmsg3(c->fd, RUMPSP_PREFORK, RUMPSP_REQ, id, NULL, 0,
	    NULL, 0) != 0 || recvmsg1(c, &h) != 0) {
		e = errno == EIO ? EIO : ENOTCONN;
		conn_lost(c);
		errno = e;
		return -1;
	} else if (h.rsh_type != RUMPSP_PREFORK || h.rsh_kind != RUMPSP_RESP ||
	    h.rsh_id != id || h.rsh_len != sizeof(h) + sizeof(rs)) {
		conn_lost(c);
		errno = EIO;
		return -1;
	} else
		memcpy(&rs, c->buf, sizeof(rs));
	if (rs.rsp_error != 0) {
		errno = rs.rsp_error;
		return -1;
	}
	/* No other thread changes the connections while we fork. */
	pthread_mutex_lock(&rc_lock);
	pid = fork();
	if (pid != 0) {
		/* Parent (or failed fork: the cookie expires with us). */
		e = errno;
		pthread_mutex_unlock(&rc_lock);
		errno = e;
		return pid;
	}
	/* Child: every connection is the parent's; a process of our own,
	 * on a connection of our own. */
	pthread_mutex_init(&rc_lock, NULL);
	/* No signal is pending in a new process; an interrupter of the
	 * parent's may have held the lock. */
	pthread_mutex_init(&rc_lwp.lock, NULL);
	rc_lwp.intr = 0;
	rc_lwp.in_call = 0;
	while (rc_conns != NULL)
		conn_free(rc_conns);
	rc_haveproc = 0;
	rc_gen++;
	set_self(NULL);
	c = connect_kind(RUMPSP_HS_FORK, rs.rsp_cookie);
	if (c == NULL) {
		fprintf(stderr, "rumpclient: fork: child cannot connect to "
		    "%s: %s\n", getenv("RUMP_SERVER"), strerror(errno));
		_exit(127);
	}
	set_self(c);
	return 0;
}

int
rumpclient_fork_join(const unsigned char *cookie)
{
	struct rc_conn *c;
	int e;

	pthread_mutex_lock(&rc_lock);
	if (rc_everconnected) {
		pthread_mutex_unlock(&rc_lock);
		errno = EBUSY;
		return -1;
	}
	c = connect_kind(RUMPSP_HS_FORK, cookie);
	e = errno;
	pthread_mutex_unlock(&rc_lock);
	if (c == NULL) {
		errno = e;
		return -1;
	}
	set_self(c);
	return 0;
}

int
rumpclient_exec(const char *path, char *const argv[], char *const envp[])
{
	char comm[RUMPSP_NAME_LEN + 1], var[128], **nenv;
	const char *base;
	struct rc_conn *c;
	size_t n = 0, j = 0, len;
	int e;

	if ((c = self_conn()) == NULL)
		return -1;
	base = strrchr(path, '/');
	base = base != NULL ? base + 1 : path;
	snprintf(comm, sizeof(comm), "%s", base);
	pthread_mutex_lock(&rc_lock);
	if (c->shm != NULL) {
		/* The program's name in the data area. */
		putname((char *)c->shm + RUMPSP_SHM_DATA_OFF, RUMPSP_NAME_LEN,
		    comm);
		if (shm_call(c, RUMPSP_HANDSHAKE) != 0 ||
		    (errno = c->shm->rss_error) != 0) {
			e = errno;
			pthread_mutex_unlock(&rc_lock);
			conn_lost(c);
			errno = e;
			return -1;
		}
	} else if (handshake(c, RUMPSP_HS_EXEC, NULL, comm) != 0) {
		e = errno;
		pthread_mutex_unlock(&rc_lock);
		conn_lost(c);
		errno = e;
		return -1;
	}
	/* The new program finds its connection in the environment; the
	 * other threads' connections close with the exec (CLOEXEC). */
	len = (size_t)snprintf(var, sizeof(var), RC_EXECENV "=%d:%d:%u:",
	    c->fd, rc_pid, c->lwpnum);
	for (int i = 0; i < RUMPSP_COOKIE_LEN; i++)
		len += (size_t)snprintf(var + len, sizeof(var) - len, "%02x",
		    rc_cookie[i]);
	/* The shared-memory channel's memfd too: the new program maps it. */
	if (c->shmfd >= 0)
		len += (size_t)snprintf(var + len, sizeof(var) - len, ":%d",
		    c->shmfd);
	while (envp != NULL && envp[n] != NULL)
		n++;
	if ((nenv = calloc(n + 2, sizeof(*nenv))) == NULL)
		goto fail;
	for (size_t i = 0; i < n; i++)
		if (strncmp(envp[i], RC_EXECENV "=", sizeof(RC_EXECENV)) != 0)
			nenv[j++] = envp[i];
	nenv[j++] = var;
	nenv[j] = NULL;
	(void)fcntl(c->fd, F_SETFD, 0);
	if (c->shmfd >= 0)
		(void)fcntl(c->shmfd, F_SETFD, 0);
	execve(path, argv, nenv);
	e = errno;
	(void)fcntl(c->fd, F_SETFD, FD_CLOEXEC);
	if (c->shmfd >= 0)
		(void)fcntl(c->shmfd, F_SETFD, FD_CLOEXEC);
	free(nenv);
	errno = e;
 fail:
	e = errno;
	pthread_mutex_unlock(&rc_lock);
	errno = e;
	return -1;
}
