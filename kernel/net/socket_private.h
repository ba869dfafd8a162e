/*
 * socket_private.h: what the files of the generic sockets layer share
 * (kernel/net/socket*.c, sys_socket.c).  Protocols use net/socket.h.
 */
#ifndef NET_SOCKET_PRIVATE_H
#define NET_SOCKET_PRIVATE_H

#include <kern/types.h>
#include <net/socket.h>

extern const struct fileops socket_fileops;

void	 domains_init(void);
void	 sbrec_cache_init(void);
struct sbrec *sbunlink_first(struct sockbuf *sb);
void	 sockctl_free(struct sockctl *ctl, const struct domain *dom);
int	 sotakeerror(struct socket *so);
void	 soqinsque(struct socket *head, struct socket *so, bool q0);
void	 soqremque(struct socket *so);
size_t	 sosendspace(struct socket *so);
bool	 sowritable(struct socket *so);
int	 sopoll_locked(struct socket *so, int events);

/* Where recvmsg puts control messages: a client buffer. */
struct sorcvctl {
	char	*rc_pos;	/* client address, NULL: none wanted */
	size_t	 rc_space;	/* bytes left */
};

/*
 * Receives into uio (client buffers).  *flagsp: in, the call's MSG_*
 * flags (MSG_DONTWAIT also for O_NONBLOCK); out, msg_flags (MSG_TRUNC,
 * MSG_CTRUNC, MSG_EOR).  from/fromlen: the sender's address (atomic
 * protocols with PR_ADDR), if not NULL.  *reclenp (if not NULL): for an
 * atomic protocol, the whole record's length (what MSG_TRUNC returns).
 */
int	 soreceive(struct socket *so, struct uio *uio,
	    struct sockaddr_storage *from, socklen_t *fromlen,
	    struct sorcvctl *ctl, int *flagsp, size_t *reclenp);
/* Sends uio (client buffers) to nam (NULL: the peer), with control
 * (consumed).  flags: MSG_* (MSG_DONTWAIT also for O_NONBLOCK).  A
 * partial transfer returns 0 with uio_resid left over. */
int	 sosend(struct socket *so, struct uio *uio,
	    const struct sockaddr *nam, socklen_t namlen,
	    struct sockctl *control, int flags);

#endif /* NET_SOCKET_PRIVATE_H */
