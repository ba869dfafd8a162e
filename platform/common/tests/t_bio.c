/*
 * t_bio.c: rumpuser_bio on any platform: data written and read back,
 * every request completed exactly once, and biodone called in the context
 * the interface promises: on a thread of the platform's own that has an
 * lwp of pid 0, made through the newlwp upcall while scheduled, and that
 * holds a virtual CPU for the call (so it waits while the only CPU is
 * held elsewhere).  Without a kernel (no rumpuser_init()) biodone is
 * still called, with no lwp.
 *
 * Portable: nothing but rumpuser calls and the stub kernel of
 * h_hyperup.h (no pthreads, no thread-local storage, no host sleeps).
 * Works in the current directory (kyua gives each test case a fresh one).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <atf-c.h>

#include <rump/rumpuser.h>

#include "h_hyperup.h"

#define MS		1000000LL	/* nanoseconds */
#define NB_EBADF	9

#define NREQ		32
#define REQLEN		512

static struct rumpuser_mtx *g_mtx;
static struct rumpuser_cv *g_cv;

/* Under g_mtx. */
static int g_ndone;
static int g_nerr, g_lasterr;
static size_t g_transferred;
static int g_count[2][NREQ];	/* completions per [phase][request] */

/* The context biodone ran in, counted atomically before taking g_mtx. */
static unsigned g_calls;
static unsigned g_nolwp;	/* no (stub) lwp bound */
static unsigned g_notpid0;	/* an lwp, not one newlwp(0) made */
static unsigned g_nocpu;	/* not holding a CPU */
static unsigned g_onmain;	/* on the test's own lwp */

/* The lwps biodone ran on (a platform has few completion threads). */
#define MAXLWPS		16
static struct lwp *g_lwps[MAXLWPS];
static unsigned g_nlwps;	/* under g_mtx; > MAXLWPS: too many */

static void
sync_init(void)
{

	rumpuser_mutex_init(&g_mtx, RUMPUSER_MTX_KMUTEX);
	rumpuser_cv_init(&g_cv);
}

/* donearg: phase * NREQ + request index. */
static void
biodone(void *arg, size_t transferred, int error)
{
	int tag = (int)(intptr_t)arg;
	struct lwp *l = rumpuser_curlwp();
	unsigned i;

	STUB_INC(g_calls);
	if (l == NULL)
		STUB_INC(g_nolwp);
	else if (l->l_magic != STUB_LWP_MAGIC || !l->l_newlwp ||
	    l->l_pid != 0)
		STUB_INC(g_notpid0);
	if (l == NULL || l->l_magic != STUB_LWP_MAGIC || !l->l_have_cpu)
		STUB_INC(g_nocpu);
	if (l == &stub_main_lwp)
		STUB_INC(g_onmain);

	rumpuser_mutex_enter(g_mtx);
	if (tag >= 0 && tag < 2 * NREQ)
		g_count[tag / NREQ][tag % NREQ]++;
	g_ndone++;
	g_transferred += transferred;
	if (error != 0) {
		g_nerr++;
		g_lasterr = error;
	}
	for (i = 0; i < g_nlwps && i < MAXLWPS; i++)
		if (g_lwps[i] == l)
			break;
	if (i == g_nlwps) {
		if (i < MAXLWPS)
			g_lwps[i] = l;
		g_nlwps++;
	}
	rumpuser_cv_broadcast(g_cv);
	rumpuser_mutex_exit(g_mtx);
}

/* Waits for n completions in all; the CPU goes while waiting. */
static void
wait_done(int n)
{

	rumpuser_mutex_enter(g_mtx);
	while (g_ndone < n)
		rumpuser_cv_wait(g_cv, g_mtx);
	rumpuser_mutex_exit(g_mtx);
}

static int
ndone(void)
{
	int n;

	rumpuser_mutex_enter(g_mtx);
	n = g_ndone;
	rumpuser_mutex_exit(g_mtx);
	return n;
}

static int
open_disk(void)
{
	int fd = -1;

	ATF_REQUIRE_EQ(0, rumpuser_open("disk", RUMPUSER_OPEN_RDWR |
	    RUMPUSER_OPEN_CREATE | RUMPUSER_OPEN_BIO, &fd));
	ATF_REQUIRE(fd >= 0);
	return fd;
}

/* Every completion so far ran in the promised context. */
static void
check_context(void)
{
	unsigned calls = STUB_GET(g_calls), nl = STUB_GET(stub_newlwp_calls);

	ATF_CHECK(calls > 0);
	ATF_CHECK_EQ_MSG(0, STUB_GET(g_nolwp), "%u of %u without an lwp",
	    STUB_GET(g_nolwp), calls);
	ATF_CHECK_EQ_MSG(0, STUB_GET(g_notpid0), "%u of %u on an lwp not "
	    "made by newlwp(0)", STUB_GET(g_notpid0), calls);
	ATF_CHECK_EQ_MSG(0, STUB_GET(g_nocpu), "%u of %u without a CPU",
	    STUB_GET(g_nocpu), calls);
	ATF_CHECK_EQ(0, STUB_GET(g_onmain));
	/* One lwp per completion thread, made once, not per request. */
	ATF_CHECK_MSG(nl >= 1 && nl < NREQ, "%u newlwp calls", nl);
	ATF_CHECK_MSG(g_nlwps >= 1 && g_nlwps <= nl, "biodone ran on %u "
	    "lwps, newlwp made %u", g_nlwps, nl);
	/* The CPUs taken for biodone were given back: only ours is held. */
	ATF_CHECK_EQ(1, stub_cpus_held());
	ATF_CHECK(rumpuser_curlwp() == &stub_main_lwp);
	ATF_CHECK_EQ(0, STUB_GET(stub_violations));
}

ATF_TC_WITHOUT_HEAD(bio_context);
ATF_TC_BODY(bio_context, tc)
{
	static unsigned char wbuf[NREQ][REQLEN], rbuf[NREQ][REQLEN];
	int fd, i;

	ATF_REQUIRE_EQ(0, stub_init(1));
	sync_init();
	fd = open_disk();
	for (i = 0; i < NREQ; i++) {
		memset(wbuf[i], i * 5 + 1, REQLEN);
		rumpuser_bio(fd, RUMPUSER_BIO_WRITE | (i % 2 ?
		    RUMPUSER_BIO_SYNC : 0), wbuf[i], REQLEN,
		    (int64_t)i * REQLEN, biodone, (void *)(intptr_t)i);
	}
	wait_done(NREQ);
	for (i = 0; i < NREQ; i++)
		rumpuser_bio(fd, RUMPUSER_BIO_READ, rbuf[i], REQLEN,
		    (int64_t)i * REQLEN, biodone, (void *)(intptr_t)(NREQ + i));
	wait_done(2 * NREQ);
	/* A duplicate completion would show now. */
	ATF_CHECK_EQ(0, stub_sleep_ns(50 * MS));

	ATF_CHECK_EQ(2 * NREQ, ndone());
	ATF_CHECK_EQ(2 * NREQ, STUB_GET(g_calls));
	for (i = 0; i < NREQ; i++) {
		ATF_CHECK_EQ_MSG(1, g_count[0][i], "write %d", i);
		ATF_CHECK_EQ_MSG(1, g_count[1][i], "read %d", i);
	}
	ATF_CHECK_EQ(0, g_nerr);
	ATF_CHECK_EQ(2 * NREQ * REQLEN, g_transferred);
	ATF_CHECK(memcmp(wbuf, rbuf, sizeof(wbuf)) == 0);
	check_context();

	/* An error is completed in the same context. */
	rumpuser_bio(-1, RUMPUSER_BIO_READ, rbuf[0], REQLEN, 0, biodone,
	    (void *)(intptr_t)-1);
	wait_done(2 * NREQ + 1);
	ATF_CHECK_EQ(1, g_nerr);
	ATF_CHECK_EQ(NB_EBADF, g_lasterr);
	check_context();
	ATF_CHECK_EQ(0, rumpuser_close(fd));
}

/*
 * With one CPU held by this thread, biodone cannot run: the completion
 * waits for the CPU and runs as soon as this thread gives it up.  The
 * thread keeps its CPU while blocked in cv_wait_nowrap, woken by a helper
 * that runs without a CPU.
 */
static struct rumpuser_mtx *h_mtx;
static struct rumpuser_cv *h_cv;
static int h_woken;

static void *
waker(void *arg)
{

	(void)arg;
	(void)stub_sleep_ns(200 * MS);
	rumpuser_mutex_enter_nowrap(h_mtx);
	h_woken = 1;
	rumpuser_cv_signal(h_cv);
	rumpuser_mutex_exit(h_mtx);
	return NULL;
}

ATF_TC_WITHOUT_HEAD(bio_waits_for_cpu);
ATF_TC_BODY(bio_waits_for_cpu, tc)
{
	static unsigned char buf[REQLEN];
	void *cookie;
	int fd;

	ATF_REQUIRE_EQ(0, stub_init(1));
	sync_init();
	rumpuser_mutex_init(&h_mtx, RUMPUSER_MTX_SPIN);
	rumpuser_cv_init(&h_cv);
	fd = open_disk();
	ATF_REQUIRE_EQ(0, rumpuser_thread_create(waker, NULL, "waker", 1, -1,
	    -1, &cookie));
	rumpuser_bio(fd, RUMPUSER_BIO_WRITE, buf, REQLEN, 0, biodone,
	    (void *)(intptr_t)0);

	rumpuser_mutex_enter_nowrap(h_mtx);
	while (!h_woken)
		rumpuser_cv_wait_nowrap(h_cv, h_mtx);
	rumpuser_mutex_exit(h_mtx);
	/* 200 ms is ages for a 512-byte write: only the CPU held it up. */
	ATF_CHECK_EQ(0, ndone());
	ATF_CHECK_EQ(0, STUB_GET(g_calls));

	wait_done(1);
	ATF_CHECK_EQ(0, g_nerr);
	ATF_CHECK_EQ(REQLEN, g_transferred);
	check_context();
	ATF_CHECK_EQ(0, rumpuser_thread_join(cookie));
	ATF_CHECK_EQ(0, rumpuser_close(fd));
}

/* Without a kernel there is nothing to schedule into: biodone is called
 * all the same, with no lwp, and no newlwp upcall is made. */
ATF_TC_WITHOUT_HEAD(bio_without_kernel);
ATF_TC_BODY(bio_without_kernel, tc)
{
	static unsigned char buf[REQLEN];
	int fd;

	sync_init();
	fd = open_disk();
	rumpuser_bio(fd, RUMPUSER_BIO_WRITE | RUMPUSER_BIO_SYNC, buf, REQLEN,
	    0, biodone, (void *)(intptr_t)0);
	wait_done(1);
	ATF_CHECK_EQ(0, g_nerr);
	ATF_CHECK_EQ(REQLEN, g_transferred);
	ATF_CHECK_EQ(1, STUB_GET(g_calls));
	ATF_CHECK_EQ(1, STUB_GET(g_nolwp));
	ATF_CHECK_EQ(0, STUB_GET(stub_newlwp_calls));
	ATF_CHECK_EQ(0, rumpuser_close(fd));
}

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, bio_context);
	ATF_TP_ADD_TC(tp, bio_waits_for_cpu);
	ATF_TP_ADD_TC(tp, bio_without_kernel);
	return atf_no_error();
}
