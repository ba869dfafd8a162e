/*
 * fuzz_sp_shm.c: a libFuzzer harness for the sysproxy server's reading
 * of the shared-memory channel (platform/posix/rumpuser_sp_msg.c, the
 * rumpuser__sp_shm_take_*() functions; protocol: doc/sysproxy.md,
 * "Shared memory").
 *
 * The client owns the region as much as the server does and may write
 * any bytes at any time.  The server therefore takes each field it needs
 * once, into its own memory, and checks it there; so what it can see is
 * exactly "any value in each field", which the input supplies: a
 * sequence of steps, each a region image and data-area bytes the client
 * wrote, and what the server is waiting for (a CALL, or the answer to a
 * copy request of a type and length the input chooses).  Every value the
 * take functions accept is then verified against what the server relies
 * on without looking again (a known call type, no unknown flag, a
 * terminated program name, copy lengths as asked, strings ending in
 * their only NUL within the room, errno values in range); a violation
 * aborts, which libFuzzer reports.  The data area is allocated at its
 * real size (1 MiB) so that ASan sees any read past it, and a string is
 * copied into a buffer of exactly the room asked for.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I<platform/posix> \
 *       -I<kernel prefix>/include fuzz_sp_shm.c rumpuser_sp_msg.c
 *   ./a.out -max_total_time=5           # make check runs this
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

/* One step of the input: 10 bytes saying what the server waits for,
 * then what the client wrote (the region, data-area bytes). */
#define STEP_LEN	10
struct step {
	uint8_t	 op;		/* 0: bit 0: a CALL; else the copy request */
	uint32_t len;		/* 4: the copy request's length (mod max) */
	uint16_t ndata;		/* 8: data-area bytes after the region */
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *area;
	struct rumpuser__sp_shmcall call;
	struct rumpsp_copy_resp cr;
	struct rumpsp_shm *m;
	struct step st;
	size_t off = 0, n;
	uint64_t len;
	uint16_t type;
	char *dst;

	if (area == NULL) {
		area = malloc(RUMPSP_DATA_MAX);
		CHECK(area != NULL);
	}
	m = malloc(sizeof(*m));
	CHECK(m != NULL);
	while (size - off >= STEP_LEN + sizeof(*m)) {
		st.op = data[off];
		memcpy(&st.len, data + off + 4, sizeof(st.len));
		memcpy(&st.ndata, data + off + 8, sizeof(st.ndata));
		off += STEP_LEN;
		memcpy(m, data + off, sizeof(*m));
		off += sizeof(*m);
		n = st.ndata < size - off ? st.ndata : size - off;
		memcpy(area, data + off, n);
		off += n;
		if (st.op & 1) {
			if (rumpuser__sp_shm_take_call(m, area, &call) != 0)
				break;	/* the connection ends */
			CHECK(call.type == RUMPSP_SYSCALL ||
			    call.type == RUMPSP_PREFORK ||
			    call.type == RUMPSP_HANDSHAKE);
			CHECK((call.flags & ~(uint32_t)RUMPSP_CALL_INTR) == 0);
			CHECK(strlen(call.comm) <= RUMPSP_NAME_LEN);
			continue;
		}
		type = server_requests[(st.op >> 1) % 5];
		len = st.len % (RUMPSP_DATA_MAX + 1);
		if (type == RUMPSP_COPYINSTR)
			len = len % RUMPSP_STR_MAX + 1;	/* a room, 1.. */
		if (rumpuser__sp_shm_take_resp(m, type, len, &cr) != 0)
			break;
		CHECK(cr.rsp_error >= 0 && cr.rsp_error < 4096);
		if (type == RUMPSP_COPYIN) {
			/* The server copies len bytes of the area. */
			CHECK(cr.rsp_error != 0 || cr.rsp_len == len);
			CHECK(cr.rsp_error == 0 || cr.rsp_len == 0);
		}
		if (type == RUMPSP_COPYINSTR && cr.rsp_error == 0) {
			CHECK(cr.rsp_len >= 1 && cr.rsp_len <= len);
			dst = malloc((size_t)len);
			CHECK(dst != NULL);
			if (rumpuser__sp_shm_take_str(area, &cr, dst) == 0)
				CHECK(strlen(dst) + 1 == cr.rsp_len);
			free(dst);
		}
	}
	free(m);
	return 0;
}
