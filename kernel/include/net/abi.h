/*
 * net/abi.h: the Linux user ABI of the socket system calls: address
 * families, socket types, option and flag values, and the structures
 * clients pass (sockaddr, sockaddr_un, msghdr, cmsghdr, ucred, mmsghdr,
 * linger), exactly as the Linux UAPI defines them.  x86_64 and aarch64
 * share every value and layout here (LP64, asm-generic/socket.h); what
 * differs between architectures (struct epoll_event) is in
 * <machine/abi.h>.
 *
 * Kernel-private (never installed).
 */
#ifndef NET_ABI_H
#define NET_ABI_H

#include <kern/types.h>
#include <vfs/abi.h>

typedef uint32_t	socklen_t;
typedef uint16_t	sa_family_t;

/* Address families (= protocol families). */
#define AF_UNSPEC	0
#define AF_UNIX		1
#define AF_LOCAL	AF_UNIX
#define AF_INET		2
#define AF_INET6	10
#define AF_NETLINK	16
#define AF_PACKET	17
#define AF_MAX		46

/* Socket types, and the flags socket(2)/socketpair(2)/accept4(2) take
 * with them. */
#define SOCK_STREAM	1
#define SOCK_DGRAM	2
#define SOCK_RAW	3
#define SOCK_RDM	4
#define SOCK_SEQPACKET	5
#define SOCK_TYPE_MASK	0xf
#define SOCK_NONBLOCK	O_NONBLOCK
#define SOCK_CLOEXEC	O_CLOEXEC

/* Generic socket address; sockaddr_storage is the largest (128 bytes). */
struct sockaddr {
	sa_family_t	sa_family;
	char		sa_data[14];
};
struct sockaddr_storage {
	sa_family_t	ss_family;
	char		ss_data[126];
} __attribute__((__aligned__(8)));
_Static_assert(sizeof(struct sockaddr_storage) == 128, "sockaddr_storage");

/* AF_UNIX addresses: a path (NUL-terminated unless it fills sun_path),
 * an abstract name (sun_path[0] == '\0', the name is the rest of the
 * given length), or unnamed (only sun_family). */
#define UNIX_PATH_MAX	108
struct sockaddr_un {
	sa_family_t	sun_family;
	char		sun_path[UNIX_PATH_MAX];
};
_Static_assert(sizeof(struct sockaddr_un) == 110, "sockaddr_un layout");

/* Messages. */
struct msghdr {
	void		*msg_name;
	socklen_t	 msg_namelen;
	struct iovec	*msg_iov;
	size_t		 msg_iovlen;
	void		*msg_control;
	size_t		 msg_controllen;
	int		 msg_flags;
};
_Static_assert(sizeof(struct msghdr) == 56, "msghdr layout");

struct mmsghdr {
	struct msghdr	msg_hdr;
	unsigned int	msg_len;
};
_Static_assert(sizeof(struct mmsghdr) == 64, "mmsghdr layout");

struct cmsghdr {
	size_t		cmsg_len;	/* header + data, unpadded */
	int		cmsg_level;
	int		cmsg_type;
};
#define CMSG_ALIGN(len)	(((len) + sizeof(size_t) - 1) & \
			    ~(sizeof(size_t) - 1))
#define CMSG_SPACE(len)	(CMSG_ALIGN(sizeof(struct cmsghdr)) + CMSG_ALIGN(len))
#define CMSG_LEN(len)	(CMSG_ALIGN(sizeof(struct cmsghdr)) + (len))
#define CMSG_DATAOFF	CMSG_ALIGN(sizeof(struct cmsghdr))

/* SOL_SOCKET control messages. */
#define SCM_RIGHTS	1
#define SCM_CREDENTIALS	2
#define SCM_MAX_FD	253	/* descriptors in one SCM_RIGHTS message */

struct ucred {
	int32_t		pid;
	uint32_t	uid;
	uint32_t	gid;
};

struct linger {
	int		l_onoff;
	int		l_linger;	/* seconds */
};

/* SO_RCVTIMEO/SO_SNDTIMEO take a struct timeval (64-bit fields on both
 * targets, so the _OLD and _NEW option numbers mean the same layout). */
struct ktimeval {
	int64_t		tv_sec;
	int64_t		tv_usec;
};

/* send/recv flags. */
#define MSG_OOB		0x0001
#define MSG_PEEK	0x0002
#define MSG_DONTROUTE	0x0004
#define MSG_CTRUNC	0x0008
#define MSG_TRUNC	0x0020
#define MSG_DONTWAIT	0x0040
#define MSG_EOR		0x0080
#define MSG_WAITALL	0x0100
#define MSG_CONFIRM	0x0800
#define MSG_ERRQUEUE	0x2000
#define MSG_NOSIGNAL	0x4000
#define MSG_MORE	0x8000
#define MSG_WAITFORONE	0x10000
#define MSG_CMSG_CLOEXEC 0x40000000

/* shutdown(2). */
#define SHUT_RD		0
#define SHUT_WR		1
#define SHUT_RDWR	2

/* listen(2): the largest backlog (net.core.somaxconn's default). */
#define SOMAXCONN	4096

/* Option levels. */
#define SOL_SOCKET	1
#define SOL_IP		0
#define SOL_TCP		6
#define SOL_UDP		17
#define SOL_IPV6	41

/* SOL_SOCKET options. */
#define SO_DEBUG	1
#define SO_REUSEADDR	2
#define SO_TYPE		3
#define SO_ERROR	4
#define SO_DONTROUTE	5
#define SO_BROADCAST	6
#define SO_SNDBUF	7
#define SO_RCVBUF	8
#define SO_KEEPALIVE	9
#define SO_OOBINLINE	10
#define SO_NO_CHECK	11
#define SO_PRIORITY	12
#define SO_LINGER	13
#define SO_BSDCOMPAT	14
#define SO_REUSEPORT	15
#define SO_PASSCRED	16
#define SO_PEERCRED	17
#define SO_RCVLOWAT	18
#define SO_SNDLOWAT	19
#define SO_RCVTIMEO_OLD	20
#define SO_SNDTIMEO_OLD	21
#define SO_ACCEPTCONN	30
#define SO_SNDBUFFORCE	32
#define SO_RCVBUFFORCE	33
#define SO_PROTOCOL	38
#define SO_DOMAIN	39
#define SO_RCVTIMEO_NEW	66
#define SO_SNDTIMEO_NEW	67
#define SO_RCVTIMEO	SO_RCVTIMEO_OLD
#define SO_SNDTIMEO	SO_SNDTIMEO_OLD

/*
 * Interface ioctls (Linux's sockios.h), on any socket, with struct ifreq
 * and struct ifconf as Linux's if.h lays them out.  Every target strata
 * builds for is LP64 (x86_64, aarch64, riscv64), where the two have the
 * same layout: ifreq is 40 bytes (16 of name, a 24-byte union sized by
 * struct ifmap), ifconf 16 (an int padded to the pointer).
 */
#define SIOCGIFNAME	0x8910	/* ifindex -> name */
#define SIOCGIFCONF	0x8912	/* IPv4 addresses of every interface */
#define SIOCGIFFLAGS	0x8913
#define SIOCSIFFLAGS	0x8914
#define SIOCGIFADDR	0x8915
#define SIOCSIFADDR	0x8916
#define SIOCGIFBRDADDR	0x8919
#define SIOCGIFNETMASK	0x891b
#define SIOCSIFNETMASK	0x891c
#define SIOCGIFMTU	0x8921
#define SIOCSIFMTU	0x8922
#define SIOCGIFHWADDR	0x8927
#define SIOCGIFINDEX	0x8933
#define SIOCDIFADDR	0x8936	/* AF_INET6: struct in6_ifreq */

#define IFREQ_NAMSIZ	16

struct ifreq {
	char	ifr_name[IFREQ_NAMSIZ];
	union {
		struct sockaddr	ifru_addr;	/* ADDR, NETMASK, BRDADDR,
						 * HWADDR */
		short		ifru_flags;
		int		ifru_ivalue;	/* INDEX, MTU */
		uint8_t		ifru_raw[24];	/* struct ifmap's size */
		void		*ifru_data;
	} ifr_ifru;
};
#define ifr_addr	ifr_ifru.ifru_addr
#define ifr_flags	ifr_ifru.ifru_flags
#define ifr_ifindex	ifr_ifru.ifru_ivalue
#define ifr_mtu		ifr_ifru.ifru_ivalue

struct ifconf {
	int	ifc_len;		/* in: buffer size; out: bytes used */
	union {
		char		*ifcu_buf;	/* NULL: only the size */
		struct ifreq	*ifcu_req;
	} ifc_ifcu;
};
_Static_assert(sizeof(struct ifreq) == 40, "Linux struct ifreq (LP64)");
_Static_assert(sizeof(struct ifconf) == 16, "Linux struct ifconf (LP64)");

#endif /* NET_ABI_H */
