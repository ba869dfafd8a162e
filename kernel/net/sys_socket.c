/*
 * sys_socket.c: the socket system calls (Linux ABI): socket, socketpair,
 * bind, listen, accept, accept4, connect, sendto, recvfrom, sendmsg,
 * recvmsg, sendmmsg, recvmmsg, shutdown, getsockname, getpeername,
 * setsockopt, getsockopt.
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/kmem.h>
#include <kern/libkern.h>
#include <kern/lock.h>
#include <kern/proc.h>
#include <kern/clock.h>
#include <kern/syscall.h>
#include <kern/component.h>
#include <rump/rump_syscalls.h>
#include <vfs/vnode.h>
#include <vfs/file.h>
#include <net/socket.h>
#include "socket_private.h"

RUMP_COMPONENT(RUMP_COMPONENT_NET, sockets)
{

	sbrec_cache_init();
	domains_init();
}

/* The socket at fd, held through *fpp: EBADF, ENOTSOCK. */
static int
fd_getsock(int fd, struct socket **sop, struct file **fpp)
{
	struct file *fp;
	int error;

	error = fd_getfile_nopath(fd, &fp);
	if (error != 0)
		return error;
	if ((*sop = file_socket(fp)) == NULL) {
		file_release(fp);
		return ENOTSOCK;
	}
	*fpp = fp;
	return 0;
}

/* Copies a client address in: EINVAL for a bad length, as Linux. */
static int
sockaddr_copyin(const void *uaddr, long ulen, struct sockaddr_storage *ss)
{

	if (ulen < 0 || ulen > (long)sizeof(*ss))
		return EINVAL;
	memset(ss, 0, sizeof(*ss));
	if (ulen == 0)
		return 0;
	return copyin(uaddr, ss, (size_t)ulen);
}

/* Copies an address out to a client buffer of *ulenp bytes (truncating)
 * and stores the full length in *ulenp. */
static int
sockaddr_copyout(const struct sockaddr_storage *ss, socklen_t len,
    void *uaddr, socklen_t *ulenp)
{
	int ulen;
	int error;

	if (ulenp == NULL)
		return 0;
	error = copyin(ulenp, &ulen, sizeof(ulen));
	if (error != 0)
		return error;
	if (ulen < 0)
		return EINVAL;
	if (len > 0 && ulen > 0) {
		error = copyout(ss, uaddr, MIN((socklen_t)ulen, len));
		if (error != 0)
			return error;
	}
	return copyout(&len, ulenp, sizeof(len));
}

/* The socket of a new file, installed: *fdp. */
static int
sock_install(struct socket *so, int flags, int *fdp)
{

	return fd_newfile(&socket_fileops, so, FREAD | FWRITE, flags, fdp,
	    NULL);
}

SYSCALL(SYS_socket, socket)
{
	int family = (int)args[0], type = (int)args[1], proto = (int)args[2];
	struct socket *so;
	int fd, error;

	if (type & ~(SOCK_TYPE_MASK | SOCK_NONBLOCK | SOCK_CLOEXEC))
		return EINVAL;
	error = socreate(family, type & SOCK_TYPE_MASK, proto, &so);
	if (error != 0)
		return error;
	error = sock_install(so, type, &fd);
	if (error != 0) {
		solock(so);
		so->so_state |= SS_NOFDREF;
		so->so_proto->pr_detach(so);
		sounlock(so);
		sorele(so);
		return error;
	}
	*retval = fd;
	return 0;
}

static void
sodestroy(struct socket *so)
{

	solock(so);
	so->so_state |= SS_NOFDREF;
	so->so_proto->pr_detach(so);
	sounlock(so);
	sorele(so);
}

SYSCALL(SYS_socketpair, socketpair)
{
	int family = (int)args[0], type = (int)args[1], proto = (int)args[2];
	int *usv = (int *)args[3];
	struct socket *so1, *so2;
	int fds[2], error;

	if (type & ~(SOCK_TYPE_MASK | SOCK_NONBLOCK | SOCK_CLOEXEC))
		return EINVAL;
	error = socreate(family, type & SOCK_TYPE_MASK, proto, &so1);
	if (error != 0)
		return error;
	error = socreate(family, type & SOCK_TYPE_MASK, proto, &so2);
	if (error != 0) {
		sodestroy(so1);
		return error;
	}
	if (so1->so_proto->pr_connect2 == NULL) {
		error = EOPNOTSUPP;
	} else {
		/* The protocol makes the pair share one lock. */
		solock(so1);
		error = so1->so_proto->pr_connect2(so1, so2);
		sounlock(so1);
	}
	if (error != 0) {
		sodestroy(so1);
		sodestroy(so2);
		return error;
	}
	error = sock_install(so1, type, &fds[0]);
	if (error != 0) {
		sodestroy(so1);
		sodestroy(so2);
		return error;
	}
	error = sock_install(so2, type, &fds[1]);
	if (error != 0) {
		(void)fd_close(fds[0]);
		sodestroy(so2);
		return error;
	}
	error = copyout(fds, usv, sizeof(fds));
	if (error != 0) {
		(void)fd_close(fds[0]);
		(void)fd_close(fds[1]);
		return error;
	}
	*retval = 0;
	return 0;
}

SYSCALL(SYS_bind, bind)
{
	struct sockaddr_storage ss;
	struct socket *so;
	struct file *fp;
	int error;

	error = fd_getsock((int)args[0], &so, &fp);
	if (error != 0)
		return error;
	error = sockaddr_copyin((const void *)args[1], args[2], &ss);
	if (error == 0) {
		solock(so);
		error = so->so_proto->pr_bind == NULL ? EOPNOTSUPP :
		    so->so_proto->pr_bind(so, (struct sockaddr *)&ss,
		    (socklen_t)args[2]);
		sounlock(so);
	}
	file_release(fp);
	*retval = 0;
	return error;
}

SYSCALL(SYS_listen, listen)
{
	struct socket *so;
	struct file *fp;
	unsigned backlog = (unsigned)(int)args[1];
	int error;

	error = fd_getsock((int)args[0], &so, &fp);
	if (error != 0)
		return error;
	solock(so);
	if ((so->so_proto->pr_flags & PR_LISTEN) == 0 ||
	    so->so_proto->pr_listen == NULL)
		error = EOPNOTSUPP;
	else if (so->so_state & (SS_ISCONNECTED | SS_ISCONNECTING |
	    SS_ISDISCONNECTED))
		error = EINVAL;
	if (error == 0) {
		/* Linux: larger (or negative) backlogs are SOMAXCONN. */
		if (backlog > SOMAXCONN)
			backlog = SOMAXCONN;
		error = so->so_proto->pr_listen(so);
		if (error == 0) {
			so->so_qlimit = (int)backlog;
			so->so_state |= SS_ISLISTENING;
			/* Connections waiting for room may fit now. */
			cv_broadcast(&so->so_cv);
		}
	}
	sounlock(so);
	file_release(fp);
	*retval = 0;
	return error;
}

static int
doaccept(int fd, void *uaddr, socklen_t *ulenp, int flags, long *retval)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct socket *so, *nso;
	struct file *fp;
	int error, nfd, ulen;

	if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
		return EINVAL;
	error = fd_getsock(fd, &so, &fp);
	if (error != 0)
		return error;
	/* Linux checks the length argument before waiting. */
	if (ulenp != NULL) {
		error = copyin(ulenp, &ulen, sizeof(ulen));
		if (error == 0 && ulen < 0)
			error = EINVAL;
		if (error != 0) {
			file_release(fp);
			return error;
		}
	}
	solock(so);
	if ((so->so_proto->pr_flags & PR_LISTEN) == 0) {
		error = EOPNOTSUPP;
		goto out;
	}
	if ((so->so_state & SS_ISLISTENING) == 0) {
		error = EINVAL;
		goto out;
	}
	while (so->so_q == NULL) {
		if (so->so_error != 0) {
			error = sotakeerror(so);
			goto out;
		}
		if (file_flags(fp) & O_NONBLOCK) {
			error = EAGAIN;
			goto out;
		}
		if ((error = sowait(so, so->so_rcv.sb_timeo_ns)) != 0) {
			if (error == ETIMEDOUT)
				error = EAGAIN;
			goto out;
		}
		if ((so->so_state & SS_ISLISTENING) == 0) {
			error = EINVAL;
			goto out;
		}
	}
	nso = so->so_q;
	soqremque(nso);
	nso->so_state &= ~SS_NOFDREF;
	if (so->so_proto->pr_accept != NULL)
		error = so->so_proto->pr_accept(nso);
	if (error == 0 && so->so_proto->pr_peeraddr != NULL &&
	    so->so_proto->pr_peeraddr(nso, &ss, &len) != 0)
		len = 0;
	/* Room in the queue: a blocked connect may go on. */
	cv_broadcast(&so->so_cv);
	sounlock(so);
	if (error == 0)
		error = sock_install(nso, flags, &nfd);
	if (error != 0) {
		sodestroy(nso);
		file_release(fp);
		return error;
	}
	file_release(fp);
	if (uaddr != NULL && ulenp != NULL) {
		error = sockaddr_copyout(&ss, len, uaddr, ulenp);
		if (error != 0) {
			(void)fd_close(nfd);
			return error;
		}
	}
	*retval = nfd;
	return 0;
 out:
	sounlock(so);
	file_release(fp);
	return error;
}

SYSCALL(SYS_accept, accept)
{

	return doaccept((int)args[0], (void *)args[1], (socklen_t *)args[2], 0,
	    retval);
}

SYSCALL(SYS_accept4, accept4)
{

	return doaccept((int)args[0], (void *)args[1], (socklen_t *)args[2],
	    (int)args[3], retval);
}

SYSCALL(SYS_connect, connect)
{
	struct sockaddr_storage ss;
	struct socket *so;
	struct file *fp;
	bool nonblock;
	int error;

	error = fd_getsock((int)args[0], &so, &fp);
	if (error != 0)
		return error;
	error = sockaddr_copyin((const void *)args[1], args[2], &ss);
	if (error != 0) {
		file_release(fp);
		return error;
	}
	nonblock = (file_flags(fp) & O_NONBLOCK) != 0;
	solock(so);
	if (so->so_proto->pr_connect == NULL) {
		error = EOPNOTSUPP;
	} else if (so->so_state & SS_ISCONNECTING) {
		error = EALREADY;
	} else {
		/* The protocol needs to know whether it may sleep (AF_UNIX
		 * waits for room in a full accept queue). */
		if (nonblock)
			so->so_state |= SS_NBIO;
		error = so->so_proto->pr_connect(so, (struct sockaddr *)&ss,
		    (socklen_t)args[2]);
		so->so_state &= ~SS_NBIO;
	}
	if (error == 0 && (so->so_state & SS_ISCONNECTING)) {
		if (nonblock) {
			error = EINPROGRESS;
		} else {
			while ((so->so_state & SS_ISCONNECTING) &&
			    so->so_error == 0) {
				/* Interrupted: EINTR, the connection goes
				 * on (a restart would find it under way). */
				if ((error = sowait(so,
				    so->so_snd.sb_timeo_ns)) != 0) {
					error = error == ETIMEDOUT ?
					    EINPROGRESS : EINTR;
					break;
				}
			}
			if (error == 0)
				error = sotakeerror(so);
		}
	}
	sounlock(so);
	file_release(fp);
	*retval = 0;
	return error;
}

SYSCALL(SYS_shutdown, shutdown)
{
	struct socket *so;
	struct file *fp;
	int how = (int)args[1];
	int error;

	error = fd_getsock((int)args[0], &so, &fp);
	if (error != 0)
		return error;
	if (how < SHUT_RD || how > SHUT_RDWR) {
		file_release(fp);
		return EINVAL;
	}
	solock(so);
	if (how != SHUT_WR)
		socantrcvmore(so);
	if (how != SHUT_RD)
		socantsendmore(so);
	error = so->so_proto->pr_shutdown != NULL ?
	    so->so_proto->pr_shutdown(so, how) : 0;
	sounlock(so);
	file_release(fp);
	*retval = 0;
	return error;
}

static int
dogetname(const long *args, bool peer)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct socket *so;
	struct file *fp;
	int error;

	error = fd_getsock((int)args[0], &so, &fp);
	if (error != 0)
		return error;
	memset(&ss, 0, sizeof(ss));
	solock(so);
	if (peer)
		error = so->so_proto->pr_peeraddr == NULL ? ENOTCONN :
		    so->so_proto->pr_peeraddr(so, &ss, &len);
	else
		error = so->so_proto->pr_sockaddr == NULL ? EOPNOTSUPP :
		    so->so_proto->pr_sockaddr(so, &ss, &len);
	sounlock(so);
	file_release(fp);
	if (error == 0)
		error = sockaddr_copyout(&ss, len, (void *)args[1],
		    (socklen_t *)args[2]);
	return error;
}

SYSCALL(SYS_getsockname, getsockname)
{

	*retval = 0;
	return dogetname(args, false);
}

SYSCALL(SYS_getpeername, getpeername)
{

	*retval = 0;
	return dogetname(args, true);
}

/* --- Data ----------------------------------------------------------- */

/* Linux caps one transfer at INT_MAX rounded down to a page. */
#define MAX_RW_COUNT	0x7ffff000UL

/* A kernel copy of a client msghdr's iovec; iov is set to a kernel
 * array (kmem) of *iovcnt entries, total bytes in *totalp. */
static int
iov_copyin(const struct iovec *uiov, size_t iovlen, bool kernel,
    struct kiovec **kiovp, size_t *totalp)
{
	struct kiovec *kiov = NULL;
	struct iovec iov;
	size_t total = 0, i;
	int error = 0;

	*kiovp = NULL;
	*totalp = 0;
	if (iovlen > UIO_MAXIOV)
		return EMSGSIZE;
	if (iovlen == 0)
		return 0;
	kiov = kmem_alloc(iovlen * sizeof(*kiov), KM_SLEEP);
	if (kiov == NULL)
		return ENOMEM;
	for (i = 0; i < iovlen; i++) {
		if (kernel)
			iov = uiov[i];
		else if ((error = copyin(&uiov[i], &iov, sizeof(iov))) != 0)
			break;
		if ((ssize_t)iov.iov_len < 0) {
			error = EINVAL;
			break;
		}
		/* Linux shortens the transfer past MAX_RW_COUNT. */
		if (iov.iov_len > MAX_RW_COUNT - total)
			iov.iov_len = MAX_RW_COUNT - total;
		kiov[i].iov_base = iov.iov_base;
		kiov[i].iov_len = iov.iov_len;
		total += iov.iov_len;
	}
	if (error != 0) {
		kmem_free(kiov, iovlen * sizeof(*kiov));
		return error;
	}
	*kiovp = kiov;
	*totalp = total;
	return 0;
}

/* Turns a client control buffer into a list of sockctl items. */
static int
control_copyin(struct socket *so, const void *ucontrol, size_t len,
    struct sockctl **ctlp)
{
	const struct domain *dom = so->so_dom;
	struct sockctl *head = NULL, **tailp = &head, *c;
	struct cmsghdr cm;
	char *buf;
	size_t off = 0;
	int error = 0;

	*ctlp = NULL;
	if (len == 0)
		return 0;
	if (len > 65536)
		return ENOBUFS;
	buf = kmem_alloc(len, KM_SLEEP);
	if (buf == NULL)
		return ENOMEM;
	error = copyin(ucontrol, buf, len);
	while (error == 0 && off + sizeof(cm) <= len) {
		memcpy(&cm, buf + off, sizeof(cm));
		if (cm.cmsg_len < sizeof(cm) || cm.cmsg_len > len - off) {
			error = EINVAL;
			break;
		}
		if (dom->dom_internalize == NULL) {
			error = EINVAL;
			break;
		}
		error = dom->dom_internalize(cm.cmsg_level, cm.cmsg_type,
		    buf + off + CMSG_DATAOFF, cm.cmsg_len - CMSG_DATAOFF, &c);
		if (error != 0)
			break;
		*tailp = c;
		tailp = &c->sc_next;
		off += CMSG_ALIGN(cm.cmsg_len);
	}
	kmem_free(buf, len);
	if (error != 0) {
		sockctl_free(head, dom);
		return error;
	}
	*ctlp = head;
	return 0;
}

/* msg is a kernel copy; its msg_iov a client address unless kiov. */
static int
dosendmsg(int fd, const struct msghdr *msg, bool kiov1, int flags,
    long *retval)
{
	struct sockaddr_storage ss;
	struct sockctl *control = NULL;
	struct kiovec *kiov;
	struct socket *so;
	struct file *fp;
	struct uio uio;
	size_t total;
	int error;

	error = fd_getsock(fd, &so, &fp);
	if (error != 0)
		return error;
	if (file_flags(fp) & O_NONBLOCK)
		flags |= MSG_DONTWAIT;
	if (msg->msg_name != NULL && msg->msg_namelen > 0) {
		error = sockaddr_copyin(msg->msg_name, (int)msg->msg_namelen,
		    &ss);
		if (error != 0)
			goto out_file;
	}
	error = iov_copyin(msg->msg_iov, msg->msg_iovlen, kiov1, &kiov,
	    &total);
	if (error != 0)
		goto out_file;
	if (flags & MSG_OOB) {
		error = EOPNOTSUPP;
		goto out;
	}
	error = control_copyin(so, msg->msg_control, msg->msg_controllen,
	    &control);
	if (error != 0)
		goto out;
	uio.uio_iov = kiov;
	uio.uio_iovcnt = (int)msg->msg_iovlen;
	uio.uio_offset = 0;
	uio.uio_resid = total;
	uio.uio_rw = UIO_WRITE;
	uio.uio_segflg = UIO_USERSPACE;
	error = sosend(so, &uio,
	    msg->msg_name != NULL && msg->msg_namelen > 0 ?
	    (struct sockaddr *)&ss : NULL, msg->msg_namelen, control, flags);
	if (error == 0)
		*retval = (long)(total - uio.uio_resid);
 out:
	if (kiov != NULL)
		kmem_free(kiov, msg->msg_iovlen * sizeof(*kiov));
 out_file:
	file_release(fp);
	return error;
}

SYSCALL(SYS_sendto, sendto)
{
	struct msghdr msg;
	struct iovec iov;

	iov.iov_base = (void *)args[1];
	iov.iov_len = (size_t)args[2];
	memset(&msg, 0, sizeof(msg));
	msg.msg_name = (void *)args[4];
	msg.msg_namelen = (socklen_t)args[5];
	if ((int)msg.msg_namelen < 0)
		return EINVAL;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	return dosendmsg((int)args[0], &msg, true, (int)args[3], retval);
}

SYSCALL(SYS_sendmsg, sendmsg)
{
	struct msghdr msg;
	int error;

	error = copyin((const void *)args[1], &msg, sizeof(msg));
	if (error != 0)
		return error;
	return dosendmsg((int)args[0], &msg, false, (int)args[2], retval);
}

SYSCALL(SYS_sendmmsg, sendmmsg)
{
	struct mmsghdr *umsg = (struct mmsghdr *)args[1];
	unsigned vlen = (unsigned)args[2], i;
	struct msghdr msg;
	unsigned len;
	long n;
	int error = 0;

	if (vlen > UIO_MAXIOV)
		vlen = UIO_MAXIOV;
	for (i = 0; i < vlen; i++) {
		error = copyin(&umsg[i].msg_hdr, &msg, sizeof(msg));
		if (error != 0)
			break;
		error = dosendmsg((int)args[0], &msg, false, (int)args[3], &n);
		if (error != 0)
			break;
		len = (unsigned)n;
		error = copyout(&len, &umsg[i].msg_len, sizeof(len));
		if (error != 0)
			break;
	}
	/* Some sent: the count, and the error is lost, as on Linux. */
	if (i > 0) {
		*retval = i;
		return 0;
	}
	return error;
}

/*
 * recvmsg on a kernel copy of the client's msghdr: msg_namelen,
 * msg_controllen and msg_flags are updated for copying back.
 */
static int
dorecvmsg(int fd, struct msghdr *msg, bool kiov1, int flags, long *retval)
{
	struct sockaddr_storage ss;
	socklen_t sslen = 0;
	struct sorcvctl ctl;
	struct kiovec *kiov;
	struct socket *so;
	struct file *fp;
	struct uio uio;
	size_t total, reclen = 0;
	int error, mflags;

	error = fd_getsock(fd, &so, &fp);
	if (error != 0)
		return error;
	if ((int)msg->msg_namelen < 0) {
		file_release(fp);
		return EINVAL;
	}
	error = iov_copyin(msg->msg_iov, msg->msg_iovlen, kiov1, &kiov,
	    &total);
	if (error != 0) {
		file_release(fp);
		return error;
	}
	if (file_flags(fp) & O_NONBLOCK)
		flags |= MSG_DONTWAIT;
	uio.uio_iov = kiov;
	uio.uio_iovcnt = (int)msg->msg_iovlen;
	uio.uio_offset = 0;
	uio.uio_resid = total;
	uio.uio_rw = UIO_READ;
	uio.uio_segflg = UIO_USERSPACE;
	ctl.rc_pos = msg->msg_control;
	ctl.rc_space = msg->msg_control != NULL ? msg->msg_controllen : 0;
	if (ctl.rc_space == 0)
		ctl.rc_pos = NULL;
	mflags = flags;
	memset(&ss, 0, sizeof(ss));
	error = soreceive(so, &uio, &ss, &sslen, &ctl, &mflags, &reclen);
	file_release(fp);
	if (kiov != NULL)
		kmem_free(kiov, msg->msg_iovlen * sizeof(*kiov));
	if (error != 0)
		return error;
	*retval = (long)(total - uio.uio_resid);
	/* MSG_TRUNC asks for the real length of a truncated datagram. */
	if ((flags & MSG_TRUNC) != 0 && (mflags & MSG_TRUNC) != 0)
		*retval = (long)reclen;
	if (msg->msg_name != NULL) {
		if (sslen > 0)
			error = copyout(&ss, msg->msg_name,
			    MIN(sslen, msg->msg_namelen));
		msg->msg_namelen = sslen;
	} else {
		msg->msg_namelen = 0;
	}
	if (msg->msg_control != NULL)
		msg->msg_controllen -= ctl.rc_space;
	msg->msg_flags = mflags & ~MSG_CMSG_CLOEXEC;
	return error;
}

SYSCALL(SYS_recvfrom, recvfrom)
{
	struct msghdr msg;
	struct iovec iov;
	socklen_t *ulenp = (socklen_t *)args[5];
	int ulen = 0, error;

	iov.iov_base = (void *)args[1];
	iov.iov_len = (size_t)args[2];
	memset(&msg, 0, sizeof(msg));
	if (args[4] != 0 && ulenp != NULL) {
		error = copyin(ulenp, &ulen, sizeof(ulen));
		if (error != 0)
			return error;
		if (ulen < 0)
			return EINVAL;
		msg.msg_name = (void *)args[4];
		msg.msg_namelen = (socklen_t)ulen;
	}
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	error = dorecvmsg((int)args[0], &msg, true, (int)args[3], retval);
	if (error == 0 && msg.msg_name != NULL)
		error = copyout(&msg.msg_namelen, ulenp, sizeof(socklen_t));
	return error;
}

static int
dorecvmsg_user(int fd, struct msghdr *umsg, int flags, long *retval)
{
	struct msghdr msg;
	int error;

	error = copyin(umsg, &msg, sizeof(msg));
	if (error != 0)
		return error;
	error = dorecvmsg(fd, &msg, false, flags, retval);
	if (error != 0)
		return error;
	error = copyout(&msg.msg_namelen, &umsg->msg_namelen,
	    sizeof(msg.msg_namelen));
	if (error == 0)
		error = copyout(&msg.msg_controllen, &umsg->msg_controllen,
		    sizeof(msg.msg_controllen));
	if (error == 0)
		error = copyout(&msg.msg_flags, &umsg->msg_flags,
		    sizeof(msg.msg_flags));
	return error;
}

SYSCALL(SYS_recvmsg, recvmsg)
{

	return dorecvmsg_user((int)args[0], (struct msghdr *)args[1],
	    (int)args[2], retval);
}

SYSCALL(SYS_recvmmsg, recvmmsg)
{
	struct mmsghdr *umsg = (struct mmsghdr *)args[1];
	unsigned vlen = (unsigned)args[2], i;
	int flags = (int)args[3];
	const struct timespec *uts = (const struct timespec *)args[4];
	struct timespec ts;
	uint64_t deadline = 0;
	unsigned len;
	long n;
	int error = 0;

	if (uts != NULL) {
		error = copyin(uts, &ts, sizeof(ts));
		if (error != 0)
			return error;
		if (ts.tv_sec < 0 || ts.tv_nsec < 0 ||
		    ts.tv_nsec >= 1000000000L)
			return EINVAL;
		deadline = getmonotonic_ns() + (uint64_t)ts.tv_sec *
		    1000000000ULL + (uint64_t)ts.tv_nsec;
	}
	if (vlen > UIO_MAXIOV)
		vlen = UIO_MAXIOV;
	for (i = 0; i < vlen; i++) {
		error = dorecvmsg_user((int)args[0], &umsg[i].msg_hdr,
		    flags & ~MSG_WAITFORONE, &n);
		if (error != 0)
			break;
		len = (unsigned)n;
		error = copyout(&len, &umsg[i].msg_len, sizeof(len));
		if (error != 0)
			break;
		/* After the first one, take only what is there. */
		if (flags & MSG_WAITFORONE)
			flags |= MSG_DONTWAIT;
		/* Linux looks at the timeout only between datagrams. */
		if (uts != NULL && getmonotonic_ns() >= deadline) {
			i++;
			break;
		}
	}
	if (i > 0) {
		*retval = i;
		return 0;
	}
	return error;
}

/* --- Options -------------------------------------------------------- */

/* Linux's net.core.[rw]mem_max, and the least a buffer is given. */
#define SOCK_MEM_MAX	212992
#define SOCK_MIN_SNDBUF	4608
#define SOCK_MIN_RCVBUF	2304

static uint64_t
timeval_to_ns(const struct ktimeval *tv)
{

	if (tv->tv_sec < 0)
		return 0;
	if ((uint64_t)tv->tv_sec > UINT64_MAX / 1000000000ULL - 1)
		return 0;
	return (uint64_t)tv->tv_sec * 1000000000ULL +
	    (uint64_t)tv->tv_usec * 1000ULL;
}

static int
sosetopt(struct socket *so, int name, const void *val, socklen_t len)
{
	const struct kauth_cred *cred = kauth_cred_get();
	struct ktimeval tv;
	struct linger l;
	int v = 0, bit = 0;
	size_t sz;

	switch (name) {
	case SO_LINGER:
		if (len < sizeof(l))
			return EINVAL;
		memcpy(&l, val, sizeof(l));
		if (l.l_onoff) {
			so->so_options |= SOOPT_LINGER;
			so->so_linger = l.l_linger < 0 ? 0 : l.l_linger;
		} else {
			so->so_options &= ~SOOPT_LINGER;
		}
		return 0;
	case SO_RCVTIMEO_OLD:
	case SO_SNDTIMEO_OLD:
	case SO_RCVTIMEO_NEW:
	case SO_SNDTIMEO_NEW:
		if (len < sizeof(tv))
			return EINVAL;
		memcpy(&tv, val, sizeof(tv));
		if (tv.tv_usec < 0 || tv.tv_usec >= 1000000)
			return EDOM;
		if (name == SO_RCVTIMEO_OLD || name == SO_RCVTIMEO_NEW)
			so->so_rcv.sb_timeo_ns = timeval_to_ns(&tv);
		else
			so->so_snd.sb_timeo_ns = timeval_to_ns(&tv);
		return 0;
	}
	/* The rest take an int. */
	if (len < sizeof(int))
		return EINVAL;
	memcpy(&v, val, sizeof(v));
	switch (name) {
	case SO_REUSEADDR:	bit = SOOPT_REUSEADDR; break;
	case SO_REUSEPORT:	bit = SOOPT_REUSEPORT; break;
	case SO_KEEPALIVE:	bit = SOOPT_KEEPALIVE; break;
	case SO_BROADCAST:	bit = SOOPT_BROADCAST; break;
	case SO_PASSCRED:	bit = SOOPT_PASSCRED; break;
	case SO_OOBINLINE:	bit = SOOPT_OOBINLINE; break;
	case SO_DONTROUTE:	bit = SOOPT_DONTROUTE; break;
	case SO_SNDBUF:
	case SO_RCVBUF:
	case SO_SNDBUFFORCE:
	case SO_RCVBUFFORCE:
		if ((name == SO_SNDBUFFORCE || name == SO_RCVBUFFORCE) &&
		    !cred_is_superuser(cred))
			return EPERM;
		/* Linux doubles the request (for its bookkeeping) after
		 * capping it, and getsockopt shows the doubled value. */
		sz = (size_t)(unsigned)v;
		if (name == SO_SNDBUF || name == SO_RCVBUF)
			sz = MIN(sz, SOCK_MEM_MAX);
		sz = MIN(sz, (size_t)INT32_MAX / 2);
		sz *= 2;
		if (name == SO_SNDBUF || name == SO_SNDBUFFORCE) {
			so->so_snd.sb_hiwat = MAX(sz, SOCK_MIN_SNDBUF);
			sowwakeup(so);
		} else {
			so->so_rcv.sb_hiwat = MAX(sz, SOCK_MIN_RCVBUF);
		}
		return 0;
	case SO_RCVLOWAT:
		so->so_rcv.sb_lowat = v < 1 ? 1 : (size_t)v;
		return 0;
	case SO_PRIORITY:
		if ((v < 0 || v > 6) && !cred_is_superuser(cred))
			return EPERM;
		so->so_priority = v;
		return 0;
	case SO_DEBUG:
		if (v != 0 && !cred_is_superuser(cred))
			return EACCES;
		return 0;
	case SO_BSDCOMPAT:
	case SO_NO_CHECK:
		return 0;
	default:
		return ENOPROTOOPT;
	}
	if (v)
		so->so_options |= bit;
	else
		so->so_options &= ~bit;
	return 0;
}

SYSCALL(SYS_setsockopt, setsockopt)
{
	int level = (int)args[1], name = (int)args[2];
	const void *uval = (const void *)args[3];
	int ulen = (int)args[4];
	char buf[256];
	struct socket *so;
	struct file *fp;
	socklen_t len;
	int error;

	error = fd_getsock((int)args[0], &so, &fp);
	if (error != 0)
		return error;
	*retval = 0;
	if (ulen < 0) {
		error = EINVAL;
		goto out;
	}
	len = (socklen_t)MIN((size_t)ulen, sizeof(buf));
	error = copyin(uval, buf, len);
	if (error != 0)
		goto out;
	solock(so);
	if (level == SOL_SOCKET)
		error = sosetopt(so, name, buf, len);
	else
		error = EOPNOTSUPP;
	/* Options only the protocol knows (any level). */
	if ((level != SOL_SOCKET || error == ENOPROTOOPT) &&
	    so->so_proto->pr_ctloutput != NULL)
		error = so->so_proto->pr_ctloutput(so, PRCO_SETOPT, level,
		    name, buf, &len);
	sounlock(so);
 out:
	file_release(fp);
	return error;
}

static int
sogetopt(struct socket *so, int name, void *val, socklen_t *len)
{
	struct ktimeval tv;
	struct linger l;
	uint64_t ns;
	int v;

	switch (name) {
	case SO_LINGER:
		l.l_onoff = (so->so_options & SOOPT_LINGER) != 0;
		l.l_linger = so->so_linger;
		memcpy(val, &l, sizeof(l));
		*len = sizeof(l);
		return 0;
	case SO_RCVTIMEO_OLD:
	case SO_SNDTIMEO_OLD:
	case SO_RCVTIMEO_NEW:
	case SO_SNDTIMEO_NEW:
		ns = (name == SO_RCVTIMEO_OLD || name == SO_RCVTIMEO_NEW) ?
		    so->so_rcv.sb_timeo_ns : so->so_snd.sb_timeo_ns;
		tv.tv_sec = (int64_t)(ns / 1000000000ULL);
		tv.tv_usec = (int64_t)(ns % 1000000000ULL) / 1000;
		memcpy(val, &tv, sizeof(tv));
		*len = sizeof(tv);
		return 0;
	case SO_REUSEADDR: v = (so->so_options & SOOPT_REUSEADDR) != 0; break;
	case SO_REUSEPORT: v = (so->so_options & SOOPT_REUSEPORT) != 0; break;
	case SO_KEEPALIVE: v = (so->so_options & SOOPT_KEEPALIVE) != 0; break;
	case SO_BROADCAST: v = (so->so_options & SOOPT_BROADCAST) != 0; break;
	case SO_PASSCRED:  v = (so->so_options & SOOPT_PASSCRED) != 0; break;
	case SO_OOBINLINE: v = (so->so_options & SOOPT_OOBINLINE) != 0; break;
	case SO_DONTROUTE: v = (so->so_options & SOOPT_DONTROUTE) != 0; break;
	case SO_SNDBUF:	v = (int)so->so_snd.sb_hiwat; break;
	case SO_RCVBUF:	v = (int)so->so_rcv.sb_hiwat; break;
	case SO_RCVLOWAT: v = (int)so->so_rcv.sb_lowat; break;
	case SO_SNDLOWAT: v = 1; break;
	case SO_TYPE:	v = so->so_type; break;
	case SO_PROTOCOL: v = so->so_proto->pr_protocol; break;
	case SO_DOMAIN:	v = so->so_dom->dom_family; break;
	case SO_ACCEPTCONN: v = (so->so_state & SS_ISLISTENING) != 0; break;
	case SO_ERROR:	v = sotakeerror(so); break;
	case SO_PRIORITY: v = so->so_priority; break;
	case SO_DEBUG:	v = 0; break;
	case SO_BSDCOMPAT: v = 0; break;
	case SO_NO_CHECK: v = 0; break;
	default:
		return ENOPROTOOPT;
	}
	memcpy(val, &v, sizeof(v));
	*len = sizeof(v);
	return 0;
}

SYSCALL(SYS_getsockopt, getsockopt)
{
	int level = (int)args[1], name = (int)args[2];
	void *uval = (void *)args[3];
	socklen_t *ulenp = (socklen_t *)args[4];
	uint64_t buf[32];
	struct ucred uc;
	struct socket *so;
	struct file *fp;
	socklen_t len;
	int ulen, error;

	error = fd_getsock((int)args[0], &so, &fp);
	if (error != 0)
		return error;
	*retval = 0;
	error = copyin(ulenp, &ulen, sizeof(ulen));
	if (error == 0 && ulen < 0)
		error = EINVAL;
	if (error != 0)
		goto out;
	memset(buf, 0, sizeof(buf));
	len = sizeof(buf);
	solock(so);
	if (level == SOL_SOCKET)
		error = sogetopt(so, name, buf, &len);
	else
		error = EOPNOTSUPP;
	if ((level != SOL_SOCKET || error == ENOPROTOOPT) &&
	    so->so_proto->pr_ctloutput != NULL) {
		len = sizeof(buf);
		error = so->so_proto->pr_ctloutput(so, PRCO_GETOPT, level,
		    name, buf, &len);
	}
	/* Sockets with no peer credentials: Linux's "nobody". */
	if (level == SOL_SOCKET && name == SO_PEERCRED &&
	    error == ENOPROTOOPT) {
		uc.pid = 0;
		uc.uid = uc.gid = 65534;
		memcpy(buf, &uc, sizeof(uc));
		len = sizeof(uc);
		error = 0;
	}
	sounlock(so);
	if (error == 0) {
		/* Truncated to the client's buffer, as Linux does. */
		len = MIN(len, (socklen_t)ulen);
		error = copyout(buf, uval, len);
		if (error == 0)
			error = copyout(&len, ulenp, sizeof(len));
	}
 out:
	file_release(fp);
	return error;
}

/* --- Typed entry points --------------------------------------------- */

int
rump_sys_socket(int family, int type, int proto)
{

	return (int)syscall_typed(SYS_socket, family, type, proto, 0, 0, 0);
}

int
rump_sys_socketpair(int family, int type, int proto, int sv[2])
{

	return (int)syscall_typed(SYS_socketpair, family, type, proto,
	    (long)sv, 0, 0);
}

int
rump_sys_bind(int fd, const struct sockaddr *addr, uint32_t len)
{

	return (int)syscall_typed(SYS_bind, fd, (long)addr, len, 0, 0, 0);
}

int
rump_sys_listen(int fd, int backlog)
{

	return (int)syscall_typed(SYS_listen, fd, backlog, 0, 0, 0, 0);
}

int
rump_sys_accept(int fd, struct sockaddr *addr, uint32_t *lenp)
{

	return (int)syscall_typed(SYS_accept, fd, (long)addr, (long)lenp, 0,
	    0, 0);
}

int
rump_sys_accept4(int fd, struct sockaddr *addr, uint32_t *lenp, int flags)
{

	return (int)syscall_typed(SYS_accept4, fd, (long)addr, (long)lenp,
	    flags, 0, 0);
}

int
rump_sys_connect(int fd, const struct sockaddr *addr, uint32_t len)
{

	return (int)syscall_typed(SYS_connect, fd, (long)addr, len, 0, 0, 0);
}

ssize_t
rump_sys_send(int fd, const void *buf, size_t len, int flags)
{

	return syscall_typed(SYS_sendto, fd, (long)buf, (long)len, flags, 0,
	    0);
}

ssize_t
rump_sys_sendto(int fd, const void *buf, size_t len, int flags,
    const struct sockaddr *addr, uint32_t addrlen)
{

	return syscall_typed(SYS_sendto, fd, (long)buf, (long)len, flags,
	    (long)addr, addrlen);
}

ssize_t
rump_sys_sendmsg(int fd, const struct msghdr *msg, int flags)
{

	return syscall_typed(SYS_sendmsg, fd, (long)msg, flags, 0, 0, 0);
}

int
rump_sys_sendmmsg(int fd, struct mmsghdr *msgs, unsigned int vlen, int flags)
{

	return (int)syscall_typed(SYS_sendmmsg, fd, (long)msgs, vlen, flags,
	    0, 0);
}

ssize_t
rump_sys_recv(int fd, void *buf, size_t len, int flags)
{

	return syscall_typed(SYS_recvfrom, fd, (long)buf, (long)len, flags, 0,
	    0);
}

ssize_t
rump_sys_recvfrom(int fd, void *buf, size_t len, int flags,
    struct sockaddr *addr, uint32_t *addrlen)
{

	return syscall_typed(SYS_recvfrom, fd, (long)buf, (long)len, flags,
	    (long)addr, (long)addrlen);
}

ssize_t
rump_sys_recvmsg(int fd, struct msghdr *msg, int flags)
{

	return syscall_typed(SYS_recvmsg, fd, (long)msg, flags, 0, 0, 0);
}

int
rump_sys_recvmmsg(int fd, struct mmsghdr *msgs, unsigned int vlen, int flags,
    struct timespec *timeout)
{

	return (int)syscall_typed(SYS_recvmmsg, fd, (long)msgs, vlen, flags,
	    (long)timeout, 0);
}

int
rump_sys_shutdown(int fd, int how)
{

	return (int)syscall_typed(SYS_shutdown, fd, how, 0, 0, 0, 0);
}

int
rump_sys_getsockname(int fd, struct sockaddr *addr, uint32_t *lenp)
{

	return (int)syscall_typed(SYS_getsockname, fd, (long)addr, (long)lenp,
	    0, 0, 0);
}

int
rump_sys_getpeername(int fd, struct sockaddr *addr, uint32_t *lenp)
{

	return (int)syscall_typed(SYS_getpeername, fd, (long)addr, (long)lenp,
	    0, 0, 0);
}

int
rump_sys_setsockopt(int fd, int level, int name, const void *val,
    uint32_t len)
{

	return (int)syscall_typed(SYS_setsockopt, fd, level, name, (long)val,
	    len, 0);
}

int
rump_sys_getsockopt(int fd, int level, int name, void *val, uint32_t *lenp)
{

	return (int)syscall_typed(SYS_getsockopt, fd, level, name, (long)val,
	    (long)lenp, 0);
}
