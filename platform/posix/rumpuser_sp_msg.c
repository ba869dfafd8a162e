/*
 * rumpuser_sp_msg.c: checking sysproxy messages from a client (the wire
 * format is rump/rumpsp.h, specified in doc/sysproxy.md).
 *
 * Pure functions over bytes, so that the decisions the server makes on
 * untrusted input are in one place and can be fuzzed on their own
 * (platform/posix/tests/fuzz_sp_msg.c): a message is accepted only if it
 * is well formed AND is what the connection's state allows next.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rump/rumpsp.h>

#include "rumpuser_sp.h"

/* The wire layout of doc/sysproxy.md, which has no implicit padding. */
_Static_assert(sizeof(struct rumpsp_hdr) == 16, "header");
_Static_assert(sizeof(struct rumpsp_handshake_req) == 80, "handshake_req");
_Static_assert(sizeof(struct rumpsp_handshake_resp) == 96, "handshake_resp");
_Static_assert(sizeof(struct rumpsp_syscall_req) == 56, "syscall_req");
_Static_assert(sizeof(struct rumpsp_syscall_resp) == 24, "syscall_resp");
_Static_assert(sizeof(struct rumpsp_copy_req) == 16, "copy_req");
_Static_assert(sizeof(struct rumpsp_copy_resp) == 16, "copy_resp");
_Static_assert(sizeof(struct rumpsp_raise_req) == 8, "raise_req");
_Static_assert(sizeof(struct rumpsp_prefork_resp) == 24, "prefork_resp");
_Static_assert(sizeof(struct rumpsp_shm_req) == 8, "shm_req");
_Static_assert(sizeof(struct rumpsp_shm_resp) == 8, "shm_resp");
_Static_assert(sizeof(struct rumpsp_intr_req) == 32, "intr_req");
_Static_assert(sizeof(struct rumpsp_intr_resp) == 8, "intr_resp");
_Static_assert(sizeof(struct rumpsp_shm) == 120, "shm channel");

/* Size of the fixed part of a message body, by type and kind; -1: such a
 * message never comes from a client. */
static long
fixed_body(unsigned type, unsigned kind)
{

	if (kind == RUMPSP_REQ) {
		switch (type) {
		case RUMPSP_HANDSHAKE:
			return sizeof(struct rumpsp_handshake_req);
		case RUMPSP_SYSCALL:
			return sizeof(struct rumpsp_syscall_req);
		case RUMPSP_PREFORK:
			return 0;
		case RUMPSP_SHM:
			return sizeof(struct rumpsp_shm_req);
		case RUMPSP_INTR:
			return sizeof(struct rumpsp_intr_req);
		}
		return -1;
	}
	switch (type) {
	case RUMPSP_COPYIN:
	case RUMPSP_COPYINSTR:
	case RUMPSP_COPYOUT:
	case RUMPSP_ANONMMAP:
	case RUMPSP_RAISE:
		return sizeof(struct rumpsp_copy_resp);
	}
	return -1;
}

int
rumpuser__sp_check_hdr(const struct rumpsp_hdr *h,
    const struct rumpuser__sp_expect *want)
{
	long fixed;

	if (h->rsh_len < sizeof(*h) || h->rsh_len > RUMPSP_MSG_MAX)
		return RUMPUSER__SP_BADLEN;
	if (h->rsh_type == 0 || h->rsh_type > RUMPSP_TYPE_MAX ||
	    h->rsh_kind > RUMPSP_RESP)
		return RUMPUSER__SP_BADTYPE;
	fixed = fixed_body(h->rsh_type, h->rsh_kind);
	if (fixed < 0)
		return RUMPUSER__SP_BADTYPE;
	/* Only copy responses carry data after the fixed part. */
	if (h->rsh_len - sizeof(*h) < (size_t)fixed)
		return RUMPUSER__SP_BADLEN;
	if (h->rsh_kind == RUMPSP_REQ && h->rsh_len - sizeof(*h) !=
	    (size_t)fixed)
		return RUMPUSER__SP_BADLEN;

	switch (want->state) {
	case RUMPUSER__SP_WANT_HANDSHAKE:
		/* A connection starts with a handshake, or is an INTR's
		 * alone. */
		if (h->rsh_kind != RUMPSP_REQ ||
		    (h->rsh_type != RUMPSP_HANDSHAKE &&
		    h->rsh_type != RUMPSP_INTR))
			return RUMPUSER__SP_ORDER;
		return 0;
	case RUMPUSER__SP_WANT_REQUEST:
		if (h->rsh_kind != RUMPSP_REQ || h->rsh_type == RUMPSP_INTR)
			return RUMPUSER__SP_ORDER;
		return 0;
	case RUMPUSER__SP_WANT_RESPONSE:
		if (h->rsh_kind != RUMPSP_RESP ||
		    h->rsh_type != want->type || h->rsh_id != want->id)
			return RUMPUSER__SP_ORDER;
		return 0;
	}
	return RUMPUSER__SP_ORDER;
}

int
rumpuser__sp_check_body(const struct rumpsp_hdr *h, const void *body,
    const struct rumpuser__sp_expect *want)
{
	size_t len = h->rsh_len - sizeof(*h);
	struct rumpsp_handshake_req hs;
	struct rumpsp_copy_resp cr;
	size_t data;
	const char *s;

	if (h->rsh_kind == RUMPSP_REQ) {
		if (h->rsh_type == RUMPSP_SYSCALL) {
			struct rumpsp_syscall_req sc;

			memcpy(&sc, body, sizeof(sc));
			return (sc.rsp_flags & ~(uint32_t)RUMPSP_CALL_INTR) ?
			    RUMPUSER__SP_BADVALUE : 0;
		}
		if (h->rsh_type != RUMPSP_HANDSHAKE)
			return 0;
		memcpy(&hs, body, sizeof(hs));
		if (memcmp(hs.rsp_magic, RUMPSP_MAGIC, 8) != 0)
			return RUMPUSER__SP_BADMAGIC;
		if (hs.rsp_kind > RUMPSP_HS_LWP)
			return RUMPUSER__SP_BADVALUE;
		/* A new process, a fork child or another thread first;
		 * exec only later. */
		if ((want->state == RUMPUSER__SP_WANT_HANDSHAKE) !=
		    (hs.rsp_kind != RUMPSP_HS_EXEC))
			return RUMPUSER__SP_ORDER;
		return 0;
	}

	memcpy(&cr, body, sizeof(cr));
	data = len - sizeof(cr);
	switch (h->rsh_type) {
	case RUMPSP_COPYIN:
		/* All or nothing: the data or an error. */
		if (cr.rsp_error != 0)
			return data == 0 && cr.rsp_len == 0 ? 0 :
			    RUMPUSER__SP_BADLEN;
		if (cr.rsp_len != data || data != want->len)
			return RUMPUSER__SP_BADLEN;
		return 0;
	case RUMPSP_COPYINSTR:
		if (cr.rsp_error != 0)
			return data == 0 && cr.rsp_len == 0 ? 0 :
			    RUMPUSER__SP_BADLEN;
		/* A string of data - 1 bytes and its NUL, within the room
		 * asked for. */
		if (cr.rsp_len != data || data == 0 || data > want->len)
			return RUMPUSER__SP_BADLEN;
		s = (const char *)body + sizeof(cr);
		if (memchr(s, '\0', data) != s + data - 1)
			return RUMPUSER__SP_BADVALUE;
		return 0;
	case RUMPSP_ANONMMAP:
		/* rsp_len is the address; no data follows. */
		return data == 0 ? 0 : RUMPUSER__SP_BADLEN;
	default:	/* COPYOUT, RAISE: a status only. */
		return data == 0 && cr.rsp_len == 0 ? 0 : RUMPUSER__SP_BADLEN;
	}
}

/* --- The shared-memory channel ------------------------------------------ */

/* One read of a field the client may be writing meanwhile. */
#define ONCE(x)	__atomic_load_n(&(x), __ATOMIC_RELAXED)

int
rumpuser__sp_shm_take_call(const struct rumpsp_shm *m, const char *area,
    struct rumpuser__sp_shmcall *call)
{
	int i;

	memset(call, 0, sizeof(*call));
	call->type = ONCE(m->rss_type);
	switch (call->type) {
	case RUMPSP_SYSCALL:
		call->nr = ONCE(m->rss_nr);
		call->id = ONCE(m->rss_id);
		call->flags = ONCE(m->rss_flags);
		for (i = 0; i < RUMPSP_NARGS; i++)
			call->args[i] = ONCE(m->rss_args[i]);
		if (call->flags & ~(uint32_t)RUMPSP_CALL_INTR)
			return RUMPUSER__SP_BADVALUE;
		return 0;
	case RUMPSP_PREFORK:
		return 0;
	case RUMPSP_HANDSHAKE:	/* exec: the name, NUL-padded, any bytes */
		memcpy(call->comm, area, RUMPSP_NAME_LEN);
		call->comm[RUMPSP_NAME_LEN] = '\0';
		return 0;
	}
	return RUMPUSER__SP_BADTYPE;
}

int
rumpuser__sp_shm_take_resp(const struct rumpsp_shm *m, uint16_t type,
    uint64_t len, struct rumpsp_copy_resp *cr)
{

	memset(cr, 0, sizeof(*cr));
	cr->rsp_error = ONCE(m->rss_error);
	cr->rsp_len = ONCE(m->rss_len);
	/* Linux errno values are small and positive. */
	if (cr->rsp_error < 0 || cr->rsp_error >= 4096)
		return RUMPUSER__SP_BADVALUE;
	switch (type) {
	case RUMPSP_ANONMMAP:	/* rsp_len is the address */
		return 0;
	case RUMPSP_COPYIN:	/* all the bytes, or none with an error */
		if (cr->rsp_error != 0)
			return cr->rsp_len == 0 ? 0 : RUMPUSER__SP_BADLEN;
		return cr->rsp_len == len ? 0 : RUMPUSER__SP_BADLEN;
	case RUMPSP_COPYINSTR:	/* a string and its NUL, within the room */
		if (cr->rsp_error != 0)
			return cr->rsp_len == 0 ? 0 : RUMPUSER__SP_BADLEN;
		return cr->rsp_len >= 1 && cr->rsp_len <= len &&
		    len <= RUMPSP_STR_MAX ? 0 : RUMPUSER__SP_BADLEN;
	}
	/* COPYOUT, RAISE: a status only. */
	return 0;
}

int
rumpuser__sp_shm_take_str(const char *area, const struct rumpsp_copy_resp *cr,
    char *dst)
{

	if (cr->rsp_len == 0 || cr->rsp_len > RUMPSP_STR_MAX)
		return RUMPUSER__SP_BADLEN;
	memcpy(dst, area, (size_t)cr->rsp_len);
	if (memchr(dst, '\0', (size_t)cr->rsp_len) !=
	    dst + cr->rsp_len - 1)
		return RUMPUSER__SP_BADVALUE;
	return 0;
}
