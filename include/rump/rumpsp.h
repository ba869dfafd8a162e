/*
 * rumpsp.h: the sysproxy wire protocol, version 3: remote system calls
 * between a client process (librumpclient, layer 2) and a kernel server
 * (the rumpuser_sp_* hypercalls of a platform, layer 3).
 *
 * doc/sysproxy.md is the specification (framing, handshake, each
 * message, limits, what happens on malformed input); this header is its
 * rendering in C, shared by both ends so that they cannot disagree.
 * Everything on the wire is little-endian, fields are naturally aligned,
 * and the structures below have no implicit padding.
 *
 * Includes nothing: include <stdint.h> first.
 */
#ifndef RUMP_RUMPSP_H
#define RUMP_RUMPSP_H

#define RUMPSP_VERSION		3
#define RUMPSP_MAGIC		"STRATASP"	/* 8 bytes, no NUL on the wire */

/* Limits.  A message longer than RUMPSP_MSG_MAX (header included) is
 * malformed; copies of more than RUMPSP_DATA_MAX bytes are split. */
#define RUMPSP_MSG_MAX		(1024 * 1024 + 64)
#define RUMPSP_DATA_MAX		(1024 * 1024)
#define RUMPSP_STR_MAX		65536		/* copyinstr limit */
#define RUMPSP_NARGS		6

/* Message types (rsh_type). */
#define RUMPSP_HANDSHAKE	1	/* client -> server, first message */
#define RUMPSP_SYSCALL		2	/* client -> server */
#define RUMPSP_COPYIN		3	/* server -> client, during a syscall */
#define RUMPSP_COPYINSTR	4	/* server -> client, during a syscall */
#define RUMPSP_COPYOUT		5	/* server -> client, during a syscall */
#define RUMPSP_ANONMMAP		6	/* server -> client, during a syscall */
#define RUMPSP_RAISE		7	/* server -> client, during a syscall */
#define RUMPSP_PREFORK		8	/* client -> server */
#define RUMPSP_SHM		9	/* client -> server: a shared-memory
					   channel (unix sockets only) */
#define RUMPSP_INTR		10	/* client -> server, alone on a
					   connection of its own: interrupt
					   a call */
#define RUMPSP_TYPE_MAX		10

/* rsh_kind: every message is a request or the response to one. */
#define RUMPSP_REQ		0
#define RUMPSP_RESP		1

/* Every message starts with this header; rsh_len counts it. */
struct rumpsp_hdr {
	uint32_t rsh_len;	/* whole message, 16..RUMPSP_MSG_MAX */
	uint16_t rsh_type;	/* RUMPSP_* */
	uint16_t rsh_kind;	/* RUMPSP_REQ or RUMPSP_RESP */
	uint64_t rsh_id;	/* a response carries its request's id */
};

/* HANDSHAKE kinds (rsp_kind). */
#define RUMPSP_HS_NEW		0	/* a new process */
#define RUMPSP_HS_FORK		1	/* child of the process that got
					   rsp_cookie from PREFORK */
#define RUMPSP_HS_EXEC		2	/* same process, new program */
#define RUMPSP_HS_LWP		3	/* another thread of the process whose
					   handshake returned rsp_cookie */

#define RUMPSP_COOKIE_LEN	16
#define RUMPSP_NAME_LEN		32

struct rumpsp_handshake_req {
	char	 rsp_magic[8];			/* RUMPSP_MAGIC */
	uint32_t rsp_version;			/* RUMPSP_VERSION */
	uint32_t rsp_kind;			/* RUMPSP_HS_* */
	char	 rsp_machine[16];		/* client's "x86_64", NUL-padded */
	char	 rsp_comm[RUMPSP_NAME_LEN];	/* program name, NUL-padded */
	uint8_t	 rsp_cookie[RUMPSP_COOKIE_LEN];	/* HS_FORK: PREFORK's;
						   HS_LWP: the process's */
};

struct rumpsp_handshake_resp {
	int32_t	 rsp_error;			/* 0 or a Linux errno */
	uint32_t rsp_version;			/* the server's version */
	char	 rsp_ostype[16];		/* e.g. "Linux" */
	char	 rsp_osrelease[32];
	char	 rsp_machine[16];		/* the kernel's ABI */
	int32_t	 rsp_pid;			/* the client's rump pid */
	uint32_t rsp_lwp;			/* this connection's number (not
						   0), for INTR */
	uint8_t	 rsp_cookie[RUMPSP_COOKIE_LEN];	/* the process's, for HS_LWP */
};

/* rsp_flags (and rss_flags of the channel). */
#define RUMPSP_CALL_INTR	0x1	/* the call starts interrupted */

struct rumpsp_syscall_req {
	int32_t	 rsp_nr;			/* the kernel ABI's number */
	uint32_t rsp_flags;			/* RUMPSP_CALL_* */
	int64_t	 rsp_args[RUMPSP_NARGS];
};

struct rumpsp_syscall_resp {
	int32_t	 rsp_error;			/* 0 or a Linux errno */
	uint32_t rsp_pad;
	int64_t	 rsp_retval[2];
};

/* COPYIN, COPYINSTR, ANONMMAP requests: rsp_addr is unused by ANONMMAP. */
struct rumpsp_copy_req {
	uint64_t rsp_addr;			/* client address */
	uint64_t rsp_len;			/* bytes, at most RUMPSP_DATA_MAX */
};

/* COPYOUT request: followed by rsp_len bytes of data. */
/* COPYIN/COPYINSTR responses: followed by the data (COPYINSTR: up to and
 * including the NUL). */
struct rumpsp_copy_resp {
	int32_t	 rsp_error;			/* 0, EFAULT, ENAMETOOLONG, ... */
	uint32_t rsp_pad;
	uint64_t rsp_len;			/* data bytes following; ANONMMAP:
						   the address */
};

struct rumpsp_raise_req {
	int32_t	 rsp_signo;
	uint32_t rsp_pad;
};

/* PREFORK response (after a copy_resp-style error word): the cookie a
 * child presents in its HS_FORK handshake. */
struct rumpsp_prefork_resp {
	int32_t	 rsp_error;
	uint32_t rsp_pad;
	uint8_t	 rsp_cookie[RUMPSP_COOKIE_LEN];
};

/* SHM request body; the message carries one descriptor (SCM_RIGHTS): a
 * memfd of at least RUMPSP_SHM_SIZE bytes sealed against shrinking. */
struct rumpsp_shm_req {
	uint32_t rsp_size;			/* RUMPSP_SHM_SIZE */
	uint32_t rsp_pad;
};

struct rumpsp_shm_resp {
	int32_t	 rsp_error;			/* 0: the channel is in use */
	uint32_t rsp_pad;
};

/* INTR request: the first and only message on a new connection; it
 * interrupts call rsp_id of connection rsp_lwp of the process whose
 * cookie is rsp_cookie (or that call when it starts, if it has not). */
struct rumpsp_intr_req {
	uint8_t	 rsp_cookie[RUMPSP_COOKIE_LEN];	/* the process's */
	uint32_t rsp_version;			/* RUMPSP_VERSION */
	uint32_t rsp_lwp;			/* handshake's rsp_lwp */
	uint64_t rsp_id;			/* the call's request id */
};

struct rumpsp_intr_resp {
	int32_t	 rsp_error;			/* 0, EPERM, EOPNOTSUPP,
						   EPROTONOSUPPORT */
	uint32_t rsp_version;			/* the server's */
};

/*
 * The shared-memory channel (doc/sysproxy.md, "Shared memory"): this
 * structure at offset 0 of the region, the data area at
 * RUMPSP_SHM_DATA_OFF.  rss_state says whose turn it is; each side spins
 * briefly on it, then sleeps: first on the word itself with FUTEX_WAIT
 * (sleeps flag RUMPSP_SHM_SLEEP_FUTEX: the other side wakes it with
 * FUTEX_WAKE after changing the state), at most RUMPSP_SHM_FUTEX_NS,
 * then in a read of the socket (flag 1: the other side writes one byte).
 */
#define RUMPSP_SHM_SLEEP_FUTEX	2
#define RUMPSP_SHM_FUTEX_NS	20000000	/* 20 ms */
#define RUMPSP_SHM_DATA_OFF	4096
#define RUMPSP_SHM_SIZE		(RUMPSP_SHM_DATA_OFF + RUMPSP_DATA_MAX)

#define RUMPSP_SHM_IDLE		0	/* the client's turn */
#define RUMPSP_SHM_CALL		1	/* client -> server: rss_type request */
#define RUMPSP_SHM_COPYREQ	2	/* server -> client: rss_type request */
#define RUMPSP_SHM_COPYRESP	3	/* client -> server: its answer */
#define RUMPSP_SHM_RESULT	4	/* server -> client: the call's result */

struct rumpsp_shm {
	uint32_t rss_state;		/* RUMPSP_SHM_* */
	uint32_t rss_client_sleeps;	/* 1: ring the client's socket,
					   2: FUTEX_WAKE rss_state */
	uint32_t rss_server_sleeps;	/* the same for the server */
	uint32_t rss_type;		/* CALL: SYSCALL, PREFORK, HANDSHAKE
					   (exec); COPYREQ: COPYIN, COPYINSTR,
					   COPYOUT, ANONMMAP, RAISE */
	int32_t	 rss_error;		/* COPYRESP, RESULT: 0 or a Linux errno */
	int32_t	 rss_nr;		/* CALL SYSCALL: the number */
	int64_t	 rss_args[RUMPSP_NARGS];	/* CALL SYSCALL */
	int64_t	 rss_retval[2];		/* RESULT SYSCALL */
	uint64_t rss_addr;		/* COPYREQ: client address */
	uint64_t rss_len;		/* COPYREQ: bytes, room or signal;
					   COPYRESP: bytes in the data area or
					   ANONMMAP's address */
	uint64_t rss_id;		/* CALL: the request's id (for INTR) */
	uint32_t rss_flags;		/* CALL SYSCALL: RUMPSP_CALL_* */
	uint32_t rss_pad;
};

#endif /* RUMP_RUMPSP_H */
