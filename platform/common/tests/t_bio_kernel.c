/*
 * t_bio_kernel.c: rumpuser_bio under the real strata kernel, on every
 * platform.  The platform's completion thread schedules itself into the
 * kernel as the interface promises (an lwp of its own in process 0, a
 * virtual CPU held for the call), so biodone can make system calls at
 * once: getpid is 0 (proc0), a directory it makes is there afterwards,
 * and nothing deadlocks, also with one CPU that the requesting thread
 * holds until it waits.
 *
 * Linked with the whole installed kernel (t_bio_kernel.mk).  Portable
 * like the other tests here: rumpuser calls only, no pthreads, no host
 * sleeps, no thread-local storage.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <atf-c.h>

#include <rump/rump.h>
#include <rump/rump_syscalls.h>
#include <rump/rumpuser.h>

#define NREQ		16
#define REQLEN		512

static struct rumpuser_mtx *g_mtx;
static struct rumpuser_cv *g_cv;

/* Under g_mtx. */
static int g_ndone, g_nerr;
static size_t g_transferred;
static int g_count[2][NREQ];	/* completions per [phase][request] */
static int g_nolwp;		/* rump_lwproc_curlwp() NULL in biodone */
static int g_badpid;		/* getpid() not 0 */
static int g_lastpid;
static int g_mkdir_failed;	/* mkdir from biodone failed */
static struct lwp *g_lwps[8];
static int g_nlwps;		/* > 8: too many */

static void
boot(int ncpu)
{
	char buf[16];
	int error;

	if (ncpu > 0) {
		snprintf(buf, sizeof(buf), "%d", ncpu);
		setenv("RUMP_NCPU", buf, 1);
	}
	error = rump_init();
	ATF_REQUIRE_MSG(error == 0, "rump_init: %d (%s)", error,
	    strerror(error));
	rumpuser_mutex_init(&g_mtx, RUMPUSER_MTX_KMUTEX);
	rumpuser_cv_init(&g_cv);
}

/* Runs in the kernel: system calls straight away. */
static void
biodone(void *arg, size_t transferred, int error)
{
	int i = (int)(intptr_t)arg, pid, j;
	struct lwp *l = rump_lwproc_curlwp();
	char path[32];
	int mkdir_rv;

	pid = rump_sys_getpid();
	snprintf(path, sizeof(path), "/bio%d", i % NREQ);
	mkdir_rv = rump_sys_mkdir(path, 0755);

	rumpuser_mutex_enter(g_mtx);
	if (i >= 0 && i < 2 * NREQ)
		g_count[i / NREQ][i % NREQ]++;
	g_transferred += transferred;
	if (error != 0)
		g_nerr++;
	if (l == NULL)
		g_nolwp++;
	if (pid != 0) {
		g_badpid++;
		g_lastpid = pid;
	}
	if (mkdir_rv != 0)
		g_mkdir_failed++;
	for (j = 0; j < g_nlwps && j < 8; j++)
		if (g_lwps[j] == l)
			break;
	if (j == g_nlwps) {
		if (j < 8)
			g_lwps[j] = l;
		g_nlwps++;
	}
	g_ndone++;
	rumpuser_cv_broadcast(g_cv);
	rumpuser_mutex_exit(g_mtx);
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

/* NREQ writes, then NREQ reads of the same blocks, each waited for with
 * a rumpuser cv (which gives up the CPU if the caller holds one). */
static void
do_io(int fd)
{
	static unsigned char wbuf[NREQ][REQLEN], rbuf[NREQ][REQLEN];
	int i;

	for (i = 0; i < NREQ; i++) {
		memset(wbuf[i], i + 11, REQLEN);
		rumpuser_bio(fd, RUMPUSER_BIO_WRITE, wbuf[i], REQLEN,
		    (int64_t)i * REQLEN, biodone, (void *)(intptr_t)i);
	}
	rumpuser_mutex_enter(g_mtx);
	while (g_ndone < NREQ)
		rumpuser_cv_wait(g_cv, g_mtx);
	rumpuser_mutex_exit(g_mtx);
	for (i = 0; i < NREQ; i++)
		rumpuser_bio(fd, RUMPUSER_BIO_READ | RUMPUSER_BIO_SYNC, rbuf[i],
		    REQLEN, (int64_t)i * REQLEN, biodone,
		    (void *)(intptr_t)(NREQ + i));
	rumpuser_mutex_enter(g_mtx);
	while (g_ndone < 2 * NREQ)
		rumpuser_cv_wait(g_cv, g_mtx);
	rumpuser_mutex_exit(g_mtx);
	ATF_CHECK(memcmp(wbuf, rbuf, sizeof(wbuf)) == 0);
}

static void
check_results(void)
{
	char path[32];
	int i;

	/* Let a duplicate completion show. */
	(void)rumpuser_clock_sleep(RUMPUSER_CLOCK_RELWALL, 0, 50 * 1000000L);
	rumpuser_mutex_enter(g_mtx);
	ATF_CHECK_EQ(2 * NREQ, g_ndone);
	for (i = 0; i < NREQ; i++) {
		ATF_CHECK_EQ_MSG(1, g_count[0][i], "write %d", i);
		ATF_CHECK_EQ_MSG(1, g_count[1][i], "read %d", i);
	}
	ATF_CHECK_EQ(0, g_nerr);
	ATF_CHECK_EQ(2 * NREQ * REQLEN, g_transferred);
	ATF_CHECK_EQ_MSG(0, g_nolwp, "%d completions without an lwp",
	    g_nolwp);
	ATF_CHECK_EQ_MSG(0, g_badpid, "%d completions with getpid() != 0 "
	    "(last %d)", g_badpid, g_lastpid);
	/* The writes' biodone made /bio0../bio15, the reads' found them
	 * there (EEXIST). */
	ATF_CHECK_EQ(NREQ, g_mkdir_failed);
	ATF_CHECK_MSG(g_nlwps >= 1 && g_nlwps <= 8, "biodone ran on %d lwps",
	    g_nlwps);
	rumpuser_mutex_exit(g_mtx);
	for (i = 0; i < NREQ; i++) {
		snprintf(path, sizeof(path), "/bio%d", i);
		ATF_CHECK_EQ_MSG(0, rump_sys_rmdir(path), "rmdir %s", path);
	}
	/* The caller is still who it was. */
	ATF_CHECK(rump_lwproc_curlwp() == NULL);
	ATF_CHECK_EQ(1, rump_sys_getpid());
}

/* The caller is a host thread outside the kernel. */
ATF_TC_WITHOUT_HEAD(bio_from_host_thread);
ATF_TC_BODY(bio_from_host_thread, tc)
{
	int fd;

	boot(0);
	fd = open_disk();
	do_io(fd);
	check_results();
	ATF_CHECK_EQ(0, rumpuser_close(fd));
}

/* The caller holds the only CPU, as a kernel driver would, and gives it
 * up only while it waits: the completions must get it then. */
ATF_TC_WITHOUT_HEAD(bio_from_kernel_one_cpu);
ATF_TC_BODY(bio_from_kernel_one_cpu, tc)
{
	int fd;

	boot(1);
	fd = open_disk();
	rump_schedule();
	do_io(fd);
	rump_unschedule();
	check_results();
	ATF_CHECK_EQ(0, rumpuser_close(fd));
}

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, bio_from_host_thread);
	ATF_TP_ADD_TC(tp, bio_from_kernel_one_cpu);
	return atf_no_error();
}
