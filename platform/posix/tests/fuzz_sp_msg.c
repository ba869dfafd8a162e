/*
 * fuzz_sp_msg.c: a libFuzzer harness for the sysproxy server's message
 * checks (platform/posix/rumpuser_sp_msg.c; protocol: doc/sysproxy.md).
 *
 * The input is what a client would send on one connection.  The harness
 * plays the server's side of the state machine exactly as rumpuser_sp.c
 * does: handshake first (or an INTR alone), then requests; after a
 * SYSCALL the server may
 * ask for a copy (which one, and how long, is taken from the input too),
 * and then only the response to that may come.  Every message the checks
 * accept is then verified against the protocol's promises, which the
 * server relies on without looking again (lengths within bounds, copy
 * data exactly as long as asked, strings ending in their only NUL); a
 * violation aborts, which libFuzzer reports.  The first rejected message
 * ends the connection, as in the server.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I<platform/posix> \
 *       -I<kernel prefix>/include fuzz_sp_msg.c rumpuser_sp_msg.c
 *   ./a.out -max_total_time=10          # make check runs this
 *   ./a.out -max_total_time=3600 -jobs=2 corpus/   # a long run
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rump/rumpsp.h>

#include "rumpuser_sp.h"

#define CHECK(x)	do { if (!(x)) abort(); } while (0)

static const uint16_t server_requests[] = {
	RUMPSP_COPYIN, RUMPSP_COPYINSTR, RUMPSP_COPYOUT, RUMPSP_ANONMMAP,
	RUMPSP_RAISE,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rumpuser__sp_expect want = { .state = RUMPUSER__SP_WANT_HANDSHAKE };
	struct rumpsp_hdr h;
	struct rumpsp_copy_resp cr;
	uint64_t next_id = 0;
	size_t off = 0, blen;
	const uint8_t *body;
	void *copy;
	int r;

	while (size - off >= sizeof(h)) {
		memcpy(&h, data + off, sizeof(h));
		off += sizeof(h);
		r = rumpuser__sp_check_hdr(&h, &want);
		if (r != 0)
			return 0;
		/* What the server relies on once the header passed. */
		CHECK(h.rsh_len >= sizeof(h) && h.rsh_len <= RUMPSP_MSG_MAX);
		blen = h.rsh_len - sizeof(h);
		if (size - off < blen)
			return 0;	/* truncated: the server waits, then EOF */
		/* The body in a buffer of its own size, so that ASan sees any
		 * read past it. */
		copy = malloc(blen ? blen : 1);
		CHECK(copy != NULL);
		memcpy(copy, data + off, blen);
		body = copy;
		off += blen;
		r = rumpuser__sp_check_body(&h, body, &want);
		if (r != 0) {
			free(copy);
			return 0;
		}
		switch (want.state) {
		case RUMPUSER__SP_WANT_HANDSHAKE:
			if (h.rsh_type == RUMPSP_INTR) {
				/* Alone on its connection: answered, closed. */
				CHECK(h.rsh_kind == RUMPSP_REQ &&
				    blen == sizeof(struct rumpsp_intr_req));
				free(copy);
				return 0;
			}
			CHECK(h.rsh_type == RUMPSP_HANDSHAKE &&
			    h.rsh_kind == RUMPSP_REQ &&
			    blen == sizeof(struct rumpsp_handshake_req));
			want.state = RUMPUSER__SP_WANT_REQUEST;
			break;
		case RUMPUSER__SP_WANT_REQUEST:
			CHECK(h.rsh_kind == RUMPSP_REQ &&
			    h.rsh_type != RUMPSP_INTR);
			if (h.rsh_type == RUMPSP_SYSCALL) {
				struct rumpsp_syscall_req sc;

				memcpy(&sc, body, sizeof(sc));
				CHECK((sc.rsp_flags &
				    ~(uint32_t)RUMPSP_CALL_INTR) == 0);
			}
			if (h.rsh_type == RUMPSP_SYSCALL && off < size) {
				/* The call asks for a copy: which and how much
				 * come from the next input byte(s). */
				uint8_t sel = data[off++];
				want.state = RUMPUSER__SP_WANT_RESPONSE;
				want.type = server_requests[sel % 5];
				want.id = next_id++;
				want.len = (uint64_t)(sel >> 3) * 37;
				if (want.type == RUMPSP_COPYINSTR && want.len == 0)
					want.len = 1;
			} else
				CHECK(h.rsh_type == RUMPSP_SYSCALL ||
				    h.rsh_type == RUMPSP_PREFORK ||
				    h.rsh_type == RUMPSP_SHM ||
				    h.rsh_type == RUMPSP_HANDSHAKE);
			break;
		case RUMPUSER__SP_WANT_RESPONSE:
			CHECK(h.rsh_kind == RUMPSP_RESP &&
			    h.rsh_type == want.type && h.rsh_id == want.id);
			CHECK(blen >= sizeof(cr));
			memcpy(&cr, body, sizeof(cr));
			if (h.rsh_type == RUMPSP_COPYIN && cr.rsp_error == 0)
				CHECK(blen - sizeof(cr) == want.len &&
				    cr.rsp_len == want.len);
			if (h.rsh_type == RUMPSP_COPYINSTR && cr.rsp_error == 0) {
				const char *s = (const char *)body + sizeof(cr);
				CHECK(cr.rsp_len >= 1 && cr.rsp_len <= want.len);
				CHECK(cr.rsp_len == blen - sizeof(cr));
				CHECK(strlen(s) + 1 == cr.rsp_len);
			}
			if (cr.rsp_error != 0 && h.rsh_type != RUMPSP_RAISE)
				CHECK(blen == sizeof(cr));
			/* The call goes on: another copy, or it is over. */
			want.state = RUMPUSER__SP_WANT_REQUEST;
			break;
		}
		free(copy);
	}
	return 0;
}
