/*
 * rumpuser_sp.h: private interfaces of the posix platform's sysproxy
 * server (rumpuser_sp.c, rumpuser_sp_msg.c).  Never installed; the fuzz
 * harness of the message checks includes it.
 */
#ifndef RUMPUSER_SP_H
#define RUMPUSER_SP_H

#include <stddef.h>
#include <stdint.h>

#include <rump/rumpsp.h>

#ifndef RUMPUSER__HIDDEN
#define RUMPUSER__HIDDEN	__attribute__((__visibility__("hidden")))
#endif

/* What a connection accepts next from its client. */
#define RUMPUSER__SP_WANT_HANDSHAKE	0	/* HANDSHAKE (NEW, FORK, LWP) or
						   INTR */
#define RUMPUSER__SP_WANT_REQUEST	1	/* SYSCALL, PREFORK, HS EXEC */
#define RUMPUSER__SP_WANT_RESPONSE	2	/* the response to our request */

struct rumpuser__sp_expect {
	int	 state;		/* RUMPUSER__SP_WANT_* */
	uint16_t type;		/* WANT_RESPONSE: the request's type, */
	uint64_t id;		/* its id, */
	uint64_t len;		/* and the bytes it asked for */
};

/* Reasons a message is refused (the connection is then closed). */
#define RUMPUSER__SP_BADLEN	1	/* length out of range or inconsistent */
#define RUMPUSER__SP_BADTYPE	2	/* unknown type or kind */
#define RUMPUSER__SP_ORDER	3	/* not what the state allows */
#define RUMPUSER__SP_BADMAGIC	4
#define RUMPUSER__SP_BADVALUE	5	/* a field out of range */

/*
 * Checks a header as read from the wire (host order: the wire is
 * little-endian and so are the supported hosts) against the state: 0 if
 * the message may be read on, else a reason.  The body is then
 * h->rsh_len - sizeof(*h) bytes.
 */
int rumpuser__sp_check_hdr(const struct rumpsp_hdr *h,
    const struct rumpuser__sp_expect *want) RUMPUSER__HIDDEN;
/* Checks the body of a message whose header passed: 0 or a reason. */
int rumpuser__sp_check_body(const struct rumpsp_hdr *h, const void *body,
    const struct rumpuser__sp_expect *want) RUMPUSER__HIDDEN;

/*
 * The shared-memory channel (doc/sysproxy.md, "Shared memory"): the
 * client can write the region at any time, so the server takes what it
 * needs from it through these, each field read once, into its own
 * memory, and checks it there.  0 or a reason (the connection is then
 * closed).
 */
struct rumpuser__sp_shmcall {
	uint32_t type;			/* SYSCALL, PREFORK, HANDSHAKE (exec) */
	uint32_t flags;			/* RUMPSP_CALL_* */
	int32_t	 nr;
	uint64_t id;
	int64_t	 args[RUMPSP_NARGS];
	char	 comm[RUMPSP_NAME_LEN + 1];	/* HANDSHAKE: NUL-terminated */
};
/* A CALL (state CALL); area is the data area. */
int rumpuser__sp_shm_take_call(const struct rumpsp_shm *m, const char *area,
    struct rumpuser__sp_shmcall *call) RUMPUSER__HIDDEN;
/* The client's answer (state COPYRESP) to our request type for len bytes
 * (COPYINSTR: the room): error and length, checked as a response
 * message's would be. */
int rumpuser__sp_shm_take_resp(const struct rumpsp_shm *m, uint16_t type,
    uint64_t len, struct rumpsp_copy_resp *cr) RUMPUSER__HIDDEN;
/* COPYINSTR's string (cr from take_resp, error 0): copied from the data
 * area into dst (cr->rsp_len bytes), then checked on the copy: it must
 * end in its only NUL. */
int rumpuser__sp_shm_take_str(const char *area,
    const struct rumpsp_copy_resp *cr, char *dst) RUMPUSER__HIDDEN;

#endif /* RUMPUSER_SP_H */
