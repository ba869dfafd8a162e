/*
 * socket.c: the generic sockets layer (contract in net/socket.h):
 * socket lifetime, socket buffers, state changes protocols report, the
 * accept queue, and sockets as files (read, write, poll, ioctl, stat,
 * close).
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
#include <vfs/abi.h>
#include <vfs/file.h>
#include <vfs/poll.h>
#include <net/if.h>
#include <net/socket.h>
#include "socket_private.h"

__link_set_decl(domains, const struct domain *);

static uint64_t sock_nextino = 1;

/* --- Locks ---------------------------------------------------------- */

struct solock *
solock_alloc(void)
{
	struct solock *sl;

	sl = kmem_zalloc(sizeof(*sl), KM_SLEEP);
	if (sl == NULL)
		return NULL;
	mutex_init(&sl->sl_mtx, MUTEX_DEFAULT);
	sl->sl_refs = 1;
	return sl;
}

void
solock_hold(struct solock *sl)
{

	__atomic_fetch_add(&sl->sl_refs, 1, __ATOMIC_RELAXED);
}

void
solock_rele(struct solock *sl)
{

	if (__atomic_sub_fetch(&sl->sl_refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	mutex_destroy(&sl->sl_mtx);
	kmem_free(sl, sizeof(*sl));
}

/* --- Socket buffers ------------------------------------------------- */

/*
 * Free records of the largest size a stream send makes (SOSEND_CHUNK)
 * and a whole received TSO/LRO segment needs.  A bulk sender takes one
 * per 64 KiB written and the ACK, in another thread, frees it: the
 * host's malloc gave such blocks back to the system as soon as they were
 * freed and the next one cost 16 page faults (posix TAP bulk send: 1.6 s
 * of CPU per 512 MB, 0.9 s with the cache).  Records of more than half
 * the size are made at the full size so that they can come back here.
 * One list for all CPUs: the thread that frees is rarely the one that
 * takes.
 */
#define SBREC_CACHE_LEN		65536
#define SBREC_CACHE_DEPTH	32	/* 2 MiB at most */
static kmutex_t sbrec_cache_lock;
static struct sbrec *sbrec_cache;	/* via sr_next */
static int sbrec_cache_n;

void
sbrec_cache_init(void)
{

	mutex_init(&sbrec_cache_lock, MUTEX_DEFAULT);
}

static bool
sbrec_cached_len(size_t len)
{

	return len > SBREC_CACHE_LEN / 2 && len <= SBREC_CACHE_LEN;
}

struct sbrec *
sbrec_alloc(size_t len)
{
	struct sbrec *rec = NULL;

	if (sbrec_cached_len(len)) {
		mutex_enter(&sbrec_cache_lock);
		if ((rec = sbrec_cache) != NULL) {
			sbrec_cache = rec->sr_next;
			sbrec_cache_n--;
		}
		mutex_exit(&sbrec_cache_lock);
		if (rec == NULL)
			rec = kmem_alloc(sizeof(*rec) + SBREC_CACHE_LEN,
			    KM_SLEEP);
	} else
		rec = kmem_alloc(sizeof(*rec) + len, KM_SLEEP);
	if (rec == NULL)
		return NULL;
	memset(rec, 0, sizeof(*rec));
	rec->sr_len = len;
	rec->sr_data = (char *)(rec + 1);
	return rec;
}

void
sockctl_free(struct sockctl *ctl, const struct domain *dom)
{
	struct sockctl *next;

	for (; ctl != NULL; ctl = next) {
		next = ctl->sc_next;
		if (dom != NULL && dom->dom_dispose != NULL)
			dom->dom_dispose(ctl);
		kmem_free(ctl, sizeof(*ctl) + ctl->sc_len);
	}
}

void
sbrec_free(struct sbrec *rec, const struct domain *dom)
{

	sockctl_free(rec->sr_control, dom);
	if (rec->sr_sender != NULL) {
		/* Room again for the sender (Linux frees its buffer
		 * memory here).  The last reference of a closed sender
		 * frees nothing that needs a lock (see soclose()). */
		sowwakeup(rec->sr_sender);
		sorele(rec->sr_sender);
	}
	if (sbrec_cached_len(rec->sr_len)) {
		mutex_enter(&sbrec_cache_lock);
		if (sbrec_cache_n < SBREC_CACHE_DEPTH) {
			rec->sr_next = sbrec_cache;
			sbrec_cache = rec;
			sbrec_cache_n++;
			rec = NULL;
		}
		mutex_exit(&sbrec_cache_lock);
		if (rec != NULL)
			kmem_free(rec, sizeof(*rec) + SBREC_CACHE_LEN);
		return;
	}
	kmem_free(rec, sizeof(*rec) + rec->sr_len);
}

size_t
sbspace(const struct sockbuf *sb)
{

	return sb->sb_cc >= sb->sb_hiwat ? 0 : sb->sb_hiwat - sb->sb_cc;
}

void
sbappend(struct sockbuf *sb, struct sbrec *rec)
{

	rec->sr_next = NULL;
	if (sb->sb_last != NULL)
		sb->sb_last->sr_next = rec;
	else
		sb->sb_first = rec;
	sb->sb_last = rec;
	sb->sb_cc += rec->sr_len - rec->sr_off;
	sb->sb_nrecs++;
}

/* Unlinks the first record. */
struct sbrec *
sbunlink_first(struct sockbuf *sb)
{
	struct sbrec *rec = sb->sb_first;

	if (rec == NULL)
		return NULL;
	sb->sb_first = rec->sr_next;
	if (sb->sb_first == NULL)
		sb->sb_last = NULL;
	sb->sb_cc -= rec->sr_len - rec->sr_off;
	sb->sb_nrecs--;
	rec->sr_next = NULL;
	return rec;
}

void
sbdrop(struct sockbuf *sb, size_t len, const struct domain *dom)
{
	struct sbrec *rec;
	size_t n;

	while (len > 0 && (rec = sb->sb_first) != NULL) {
		n = MIN(len, rec->sr_len - rec->sr_off);
		rec->sr_off += n;
		sb->sb_cc -= n;
		len -= n;
		if (rec->sr_off == rec->sr_len) {
			rec->sr_off = 0;	/* sbunlink_first subtracts */
			sb->sb_cc += rec->sr_len;
			sbrec_free(sbunlink_first(sb), dom);
		}
	}
}

size_t
sbcopy(const struct sockbuf *sb, size_t off, size_t len, void *buf)
{
	const struct sbrec *rec;
	size_t avail, n, done = 0;

	for (rec = sb->sb_first; rec != NULL && len > 0; rec = rec->sr_next) {
		avail = rec->sr_len - rec->sr_off;
		if (off >= avail) {
			off -= avail;
			continue;
		}
		n = MIN(len, avail - off);
		memcpy((char *)buf + done, rec->sr_data + rec->sr_off + off, n);
		done += n;
		len -= n;
		off = 0;
	}
	return done;
}

void
sbflush(struct sockbuf *sb, const struct domain *dom)
{
	struct sbrec *rec;

	while ((rec = sbunlink_first(sb)) != NULL)
		sbrec_free(rec, dom);
}

static void
sbinit(struct sockbuf *sb)
{

	memset(sb, 0, sizeof(*sb));
	sb->sb_hiwat = SB_DEFAULT_SIZE;
	sb->sb_lowat = 1;
	cv_init(&sb->sb_cv);
}

int
sointr_errno(uint64_t timeout_ns)
{

	/* Linux's sock_intr_errno(): a socket call with a timeout is never
	 * restarted. */
	return timeout_ns != 0 ? EINTR : ERESTARTSYS;
}

int
sbwait(struct socket *so, struct sockbuf *sb)
{
	int error;

	error = cv_timedwait_sig_ns(&sb->sb_cv, &so->so_lock->sl_mtx,
	    sb->sb_timeo_ns);
	if (error == ETIMEDOUT)
		return EAGAIN;
	if (error == EINTR)
		return sointr_errno(sb->sb_timeo_ns);
	return 0;
}

int
sowait(struct socket *so, uint64_t timeout_ns)
{
	int error;

	error = cv_timedwait_sig_ns(&so->so_cv, &so->so_lock->sl_mtx,
	    timeout_ns);
	if (error == EINTR)
		return sointr_errno(timeout_ns);
	return error;
}

/* --- Lifetime ------------------------------------------------------- */

/*
 * The domains: the link set's own range, then those of kernel shared
 * objects loaded at run time (kern/linkset.c).  *cursor starts at -1.
 */
static const struct domain *
domain_next(int *cursor, const void *const **pos, const void *const **end)
{
	const void *const *start, *const *stop;

	for (;;) {
		if (*cursor >= 0 && *pos < *end)
			return *(*pos)++;
		if (*cursor < 0) {
			*cursor = 0;
			*pos = (const void *const *)__start_link_set_domains;
			*end = (const void *const *)__stop_link_set_domains;
			if (*pos == NULL)
				*pos = *end = NULL;
			continue;
		}
		if (!linkset_range("domains", cursor, &start, &stop))
			return NULL;
		*pos = start;
		*end = stop;
	}
}

static const struct domain *
domain_find(int family)
{
	const void *const *pos = NULL, *const *end = NULL;
	const struct domain *dom;
	int cursor = -1;

	while ((dom = domain_next(&cursor, &pos, &end)) != NULL)
		if (dom->dom_family == family)
			return dom;
	return NULL;
}

/* Runs every domain's dom_init once at boot. */
void
domains_init(void)
{
	const void *const *pos = NULL, *const *end = NULL;
	const struct domain *dom;
	int cursor = -1;

	while ((dom = domain_next(&cursor, &pos, &end)) != NULL)
		if (dom->dom_init != NULL)
			dom->dom_init();
}

static struct socket *
soalloc(const struct domain *dom, const struct protosw *pr)
{
	struct socket *so;
	struct proc *p = curproc;

	so = kmem_zalloc(sizeof(*so), KM_SLEEP);
	if (so == NULL)
		return NULL;
	so->so_lock = solock_alloc();
	if (so->so_lock == NULL) {
		kmem_free(so, sizeof(*so));
		return NULL;
	}
	so->so_refs = 1;
	so->so_dom = dom;
	so->so_proto = pr;
	so->so_type = (short)pr->pr_type;
	sbinit(&so->so_rcv);
	sbinit(&so->so_snd);
	cv_init(&so->so_cv);
	pollhead_init(&so->so_ph);
	so->so_cred.pid = p->p_pid;
	mutex_enter(&p->p_lock);
	so->so_cred.uid = p->p_cred.cr_euid;
	so->so_cred.gid = p->p_cred.cr_egid;
	mutex_exit(&p->p_lock);
	so->so_ino = __atomic_fetch_add(&sock_nextino, 1, __ATOMIC_RELAXED);
	getnanotime(&so->so_ctime);
	return so;
}

static void
sofree(struct socket *so)
{

	sbflush(&so->so_rcv, so->so_dom);
	sbflush(&so->so_snd, so->so_dom);
	cv_destroy(&so->so_rcv.sb_cv);
	cv_destroy(&so->so_snd.sb_cv);
	cv_destroy(&so->so_cv);
	pollhead_destroy(&so->so_ph);
	solock_rele(so->so_lock);
	kmem_free(so, sizeof(*so));
}

void
soref(struct socket *so)
{

	__atomic_fetch_add(&so->so_refs, 1, __ATOMIC_RELAXED);
}

void
sorele(struct socket *so)
{

	if (__atomic_sub_fetch(&so->so_refs, 1, __ATOMIC_ACQ_REL) == 0)
		sofree(so);
}

int
socreate(int family, int type, int proto, struct socket **sop)
{
	const struct domain *dom;
	const struct protosw *pr = NULL;
	struct socket *so;
	bool typefound = false;
	int i, error;

	if (family < 0 || family >= AF_MAX)
		return EAFNOSUPPORT;
	if (type <= 0 || type > SOCK_TYPE_MASK)
		return EINVAL;
	dom = domain_find(family);
	if (dom == NULL)
		return EAFNOSUPPORT;
	for (i = 0; i < dom->dom_nprotosw; i++) {
		if (dom->dom_protosw[i].pr_type != type)
			continue;
		typefound = true;
		if (proto == 0 || dom->dom_protosw[i].pr_protocol == proto) {
			pr = &dom->dom_protosw[i];
			break;
		}
	}
	if (pr == NULL)
		return typefound ? EPROTONOSUPPORT : ESOCKTNOSUPPORT;
	so = soalloc(dom, pr);
	if (so == NULL)
		return ENOBUFS;
	error = pr->pr_attach(so, proto);
	if (error != 0) {
		sofree(so);
		return error;
	}
	*sop = so;
	return 0;
}

/* Aborts a connection that was never accepted (its listener closed). */
static void
soabort(struct socket *so)
{

	so->so_state |= SS_NOFDREF;
	so->so_proto->pr_detach(so);
}

/* Moves every record of sb onto *listp (to be freed unlocked). */
static void
sbtakeall(struct sockbuf *sb, struct sbrec **listp)
{
	struct sbrec *rec;

	while ((rec = sbunlink_first(sb)) != NULL) {
		rec->sr_next = *listp;
		*listp = rec;
	}
}

/*
 * The last descriptor went away.  Queued data is freed after the lock
 * is dropped: its control data may hold files whose release closes
 * other sockets of the same domain (which may share this lock).
 */
static void
soclose(struct socket *so)
{
	struct socket *q, *aborted = NULL;
	struct sbrec *recs = NULL, *rec;

	solock(so);
	/* Connections no one will accept are reset, as Linux does. */
	while ((q = so->so_q0) != NULL || (q = so->so_q) != NULL) {
		/* Aborted while still queued: the protocol sees so_head
		 * (AF_UNIX then resets the client). */
		soabort(q);
		soqremque(q);
		sbtakeall(&q->so_rcv, &recs);
		sbtakeall(&q->so_snd, &recs);
		q->so_qnext = aborted;
		aborted = q;
	}
	so->so_state |= SS_NOFDREF;
	so->so_proto->pr_detach(so);
	/* Not so_snd: a protocol may still be sending it (TCP). */
	sbtakeall(&so->so_rcv, &recs);
	sounlock(so);
	while ((rec = recs) != NULL) {
		recs = rec->sr_next;
		sbrec_free(rec, so->so_dom);
	}
	while ((q = aborted) != NULL) {
		aborted = q->so_qnext;
		sorele(q);	/* the queue's reference */
	}
	sorele(so);
}

/* --- State changes -------------------------------------------------- */

void
sorwakeup(struct socket *so)
{

	cv_broadcast(&so->so_rcv.sb_cv);
	pollwakeup(&so->so_ph, POLLIN | POLLRDNORM);
}

void
sowwakeup(struct socket *so)
{

	cv_broadcast(&so->so_snd.sb_cv);
	pollwakeup(&so->so_ph, POLLOUT | POLLWRNORM);
}

static void
sowakeupall(struct socket *so)
{

	cv_broadcast(&so->so_cv);
	cv_broadcast(&so->so_rcv.sb_cv);
	cv_broadcast(&so->so_snd.sb_cv);
	pollwakeup(&so->so_ph, 0);
}

void
soisconnecting(struct socket *so)
{

	so->so_state &= ~(SS_ISCONNECTED | SS_ISDISCONNECTING);
	so->so_state |= SS_ISCONNECTING;
}

void
soisconnected(struct socket *so)
{
	struct socket *head = so->so_head;
	bool async = (so->so_state & SS_ISCONNECTING) != 0;

	so->so_state &= ~(SS_ISCONNECTING | SS_ISDISCONNECTING |
	    SS_ISDISCONNECTED);
	so->so_state |= SS_ISCONNECTED;
	if (head != NULL && so->so_onq0) {
		soqremque(so);
		soqinsque(head, so, false);
		/* The listener became readable (accept). */
		cv_broadcast(&head->so_cv);
		pollwakeup(&head->so_ph, POLLIN | POLLRDNORM);
	}
	/* Pollers learn of a connection that completed later (TCP); one
	 * made within connect() changes nothing they were told, as on
	 * Linux. */
	cv_broadcast(&so->so_cv);
	if (async)
		sowakeupall(so);
}

void
soisdisconnecting(struct socket *so)
{

	so->so_state &= ~SS_ISCONNECTING;
	so->so_state |= SS_ISDISCONNECTING | SS_CANTRCVMORE | SS_CANTSENDMORE;
	so->so_rcv.sb_flags |= SB_CANTMORE;
	so->so_snd.sb_flags |= SB_CANTMORE;
	sowakeupall(so);
}

void
soisdisconnected(struct socket *so)
{

	so->so_state &= ~(SS_ISCONNECTING | SS_ISCONNECTED |
	    SS_ISDISCONNECTING);
	so->so_state |= SS_ISDISCONNECTED | SS_CANTRCVMORE | SS_CANTSENDMORE;
	so->so_rcv.sb_flags |= SB_CANTMORE;
	so->so_snd.sb_flags |= SB_CANTMORE;
	sowakeupall(so);
}

void
socantrcvmore(struct socket *so)
{

	so->so_state |= SS_CANTRCVMORE;
	so->so_rcv.sb_flags |= SB_CANTMORE;
	sowakeupall(so);
}

void
socantsendmore(struct socket *so)
{

	so->so_state |= SS_CANTSENDMORE;
	so->so_snd.sb_flags |= SB_CANTMORE;
	sowakeupall(so);
}

void
soseterror(struct socket *so, int error)
{

	so->so_error = error;
	sowakeupall(so);
}

/* Takes the pending error, clearing it. */
int
sotakeerror(struct socket *so)
{
	int error = so->so_error;

	so->so_error = 0;
	return error;
}

/* --- Accept queue --------------------------------------------------- */

void
soqinsque(struct socket *head, struct socket *so, bool q0)
{
	struct socket **pp;

	so->so_head = head;
	so->so_onq0 = q0;
	so->so_qnext = NULL;
	/* FIFO: accept() takes the oldest connection. */
	for (pp = q0 ? &head->so_q0 : &head->so_q; *pp != NULL;
	    pp = &(*pp)->so_qnext)
		continue;
	*pp = so;
	if (q0)
		head->so_q0len++;
	else
		head->so_qlen++;
}

void
soqremque(struct socket *so)
{
	struct socket *head = so->so_head, **pp;

	if (head == NULL)
		return;
	for (pp = so->so_onq0 ? &head->so_q0 : &head->so_q; *pp != so;
	    pp = &(*pp)->so_qnext)
		KASSERT(*pp != NULL);
	*pp = so->so_qnext;
	if (so->so_onq0)
		head->so_q0len--;
	else
		head->so_qlen--;
	so->so_head = NULL;
	so->so_qnext = NULL;
	so->so_onq0 = false;
}

struct socket *
sonewconn(struct socket *head, bool connected)
{
	struct socket *so;

	KASSERT(solocked(head));
	/* Linux refuses when the accept queue already holds more than
	 * the backlog. */
	if (head->so_qlen > head->so_qlimit)
		return NULL;
	so = soalloc(head->so_dom, head->so_proto);
	if (so == NULL)
		return NULL;
	if (head->so_proto->pr_attach(so, head->so_proto->pr_protocol) != 0) {
		sofree(so);
		return NULL;
	}
	/* Share the listener's lock (see "Locking"). */
	solock_rele(so->so_lock);
	solock_hold(head->so_lock);
	so->so_lock = head->so_lock;
	so->so_options = head->so_options & ~SOOPT_LINGER;
	so->so_rcv.sb_hiwat = head->so_rcv.sb_hiwat;
	so->so_snd.sb_hiwat = head->so_snd.sb_hiwat;
	so->so_rcv.sb_timeo_ns = head->so_rcv.sb_timeo_ns;
	so->so_snd.sb_timeo_ns = head->so_snd.sb_timeo_ns;
	so->so_state = SS_NOFDREF | (head->so_state & SS_ISBOUND);
	soqinsque(head, so, true);
	if (connected)
		soisconnected(so);
	return so;
}

/* --- Sockets as files ----------------------------------------------- */

static int
so_fo_read(struct file *fp, struct uio *uio, int flags)
{
	struct socket *so = fp->f_data;
	int mflags = 0;

	(void)flags;
	if (file_flags(fp) & O_NONBLOCK)
		mflags |= MSG_DONTWAIT;
	return soreceive(so, uio, NULL, NULL, NULL, &mflags, NULL);
}

static int
so_fo_write(struct file *fp, struct uio *uio, int flags)
{
	struct socket *so = fp->f_data;
	int mflags = 0;

	(void)flags;
	if (file_flags(fp) & O_NONBLOCK)
		mflags |= MSG_DONTWAIT;
	return sosend(so, uio, NULL, 0, NULL, mflags);
}

static int
so_fo_ioctl(struct file *fp, unsigned long cmd, void *data)
{
	struct socket *so = fp->f_data;
	int n, error;

	switch (cmd) {
	case FIONREAD:
		solock(so);
		if (so->so_state & SS_ISLISTENING)
			error = EINVAL;
		else
			error = 0;
		/* Datagrams: the next one; streams and seqpacket: every
		 * byte queued (as Linux counts). */
		if (so->so_type != SOCK_DGRAM)
			n = (int)MIN(so->so_rcv.sb_cc, INT32_MAX);
		else
			n = so->so_rcv.sb_first != NULL ?
			    (int)so->so_rcv.sb_first->sr_len : 0;
		sounlock(so);
		if (error == 0)
			error = copyout(&n, data, sizeof(n));
		return error;
	default:
		/* Interface ioctls (SIOCGIFFLAGS, ...), on any socket. */
		if ((error = ifioctl(so, cmd, data)) >= 0)
			return error;
		if (so->so_proto->pr_ioctl == NULL)
			return ENOTTY;
		solock(so);
		error = so->so_proto->pr_ioctl(so, cmd, data);
		sounlock(so);
		return error;
	}
}

/* Linux's sockfs: mode S_IFSOCK|0777, owned by the creator. */
static int
so_fo_stat(struct file *fp, struct stat *st)
{
	struct socket *so = fp->f_data;

	memset(st, 0, sizeof(*st));
	st->st_ino = so->so_ino;
	st->st_nlink = 1;
	st->st_mode = S_IFSOCK | S_IRWXU | S_IRWXG | S_IRWXO;
	st->st_uid = so->so_cred.uid;
	st->st_gid = so->so_cred.gid;
	st->st_blksize = 4096;
	st->st_atim = st->st_mtim = st->st_ctim = so->so_ctime;
	return 0;
}

/* What the socket is ready for; so_lock held. */
int
sopoll_locked(struct socket *so, int events)
{
	const struct protosw *pr = so->so_proto;
	int revents = 0;

	if (so->so_error != 0)
		revents |= POLLERR;
	if ((so->so_state & (SS_CANTRCVMORE | SS_CANTSENDMORE)) ==
	    (SS_CANTRCVMORE | SS_CANTSENDMORE))
		revents |= POLLHUP;
	if (so->so_state & SS_CANTRCVMORE)
		revents |= POLLIN | POLLRDNORM | POLLRDHUP;
	if (so->so_state & SS_ISLISTENING) {
		if (so->so_qlen > 0)
			revents |= POLLIN | POLLRDNORM;
	} else if (so->so_rcv.sb_first != NULL) {
		revents |= POLLIN | POLLRDNORM;
	}
	/* A connection-oriented socket that is not (or no longer)
	 * connected has hung up, as Linux's TCP_CLOSE state says. */
	if ((pr->pr_flags & PR_CONNREQUIRED) != 0 &&
	    (so->so_state & (SS_ISCONNECTED | SS_ISCONNECTING |
	    SS_ISLISTENING)) == 0)
		revents |= POLLHUP;
	/* A listener is never writable (Linux). */
	if ((so->so_state & (SS_ISCONNECTING | SS_ISLISTENING)) == 0 &&
	    ((so->so_state & SS_CANTSENDMORE) != 0 || sowritable(so)))
		revents |= POLLOUT | POLLWRNORM | POLLWRBAND;
	if (pr->pr_poll != NULL)
		revents |= pr->pr_poll(so, events);
	return revents & (events | POLL_ALWAYS | POLLRDHUP);
}

static int
so_fo_poll(struct file *fp, int events, struct polltable *pt)
{
	struct socket *so = fp->f_data;
	int revents;

	poll_wait(pt, &so->so_ph);
	solock(so);
	revents = sopoll_locked(so, events);
	sounlock(so);
	/* POLLRDHUP only when asked for. */
	return revents & (events | POLL_ALWAYS);
}

static void
so_fo_close(struct file *fp)
{

	soclose(fp->f_data);
}

const struct fileops socket_fileops = {
	.fo_name = "socket",
	.fo_fsmagic = SOCKFS_MAGIC,
	.fo_read = so_fo_read,
	.fo_write = so_fo_write,
	.fo_ioctl = so_fo_ioctl,
	.fo_stat = so_fo_stat,
	.fo_poll = so_fo_poll,
	.fo_close = so_fo_close,
};

struct socket *
file_socket(struct file *fp)
{

	return fp->f_ops == &socket_fileops ? fp->f_data : NULL;
}

/* Room to send, as the protocol counts it. */
size_t
sosendspace(struct socket *so)
{

	if (so->so_proto->pr_sendspace != NULL)
		return so->so_proto->pr_sendspace(so);
	return sbspace(&so->so_snd);
}

bool
sowritable(struct socket *so)
{
	size_t space = sosendspace(so);

	return space > 0 && space >= so->so_snd.sb_lowat;
}
