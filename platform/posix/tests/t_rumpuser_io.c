/*
 * t_rumpuser_io.c: files and I/O: open modes, file information (regular,
 * directory, character and, if one is readable, block devices), async
 * block I/O with its completion callback, scatter/gather I/O, syncing, and
 * host errors arriving in NetBSD numbering.
 *
 * Built from: this file + the library (see README).  Works in the current
 * directory (kyua gives each test case a fresh one).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atf-c.h>

#include <rump/rumpuser.h>

#include "h_hyperup.h"

/* NetBSD numbering, as hypercalls return it. */
#define NB_ENOENT	2
#define NB_EBADF	9
#define NB_EEXIST	17
#define NB_ENOTDIR	20
#define NB_EISDIR	21
#define NB_EINVAL	22
#define NB_ENAMETOOLONG	63

static int
open_file(const char *name, int mode)
{
	int fd = -1;

	ATF_REQUIRE_EQ(0, rumpuser_open(name, mode, &fd));
	ATF_REQUIRE(fd >= 0);
	return fd;
}

ATF_TC_WITHOUT_HEAD(open_modes);
ATF_TC_BODY(open_modes, tc)
{
	char buf[8];
	int fd, flags;

	ATF_REQUIRE_EQ(0, stub_init(1));
	fd = open_file("f", RUMPUSER_OPEN_RDWR | RUMPUSER_OPEN_CREATE |
	    RUMPUSER_OPEN_EXCL);
	flags = fcntl(fd, F_GETFL);
	ATF_CHECK_EQ(O_RDWR, flags & O_ACCMODE);
	ATF_CHECK_EQ(3, write(fd, "abc", 3));
	ATF_CHECK_EQ(0, rumpuser_close(fd));

	fd = open_file("f", RUMPUSER_OPEN_RDONLY);
	ATF_CHECK_EQ(O_RDONLY, fcntl(fd, F_GETFL) & O_ACCMODE);
	ATF_CHECK_EQ(3, read(fd, buf, sizeof(buf)));
	ATF_CHECK_EQ(0, rumpuser_close(fd));

	fd = open_file("f", RUMPUSER_OPEN_WRONLY | RUMPUSER_OPEN_BIO);
	ATF_CHECK_EQ(O_WRONLY, fcntl(fd, F_GETFL) & O_ACCMODE);
	ATF_CHECK_EQ(0, rumpuser_close(fd));

	/* CREATE alone opens an existing file. */
	fd = open_file("f", RUMPUSER_OPEN_RDWR | RUMPUSER_OPEN_CREATE);
	ATF_CHECK_EQ(0, rumpuser_close(fd));
	/* Opening may block: each call released and retook the CPU. */
	ATF_CHECK(STUB_GET(stub_unsched_calls) >= 4);
	ATF_CHECK_EQ(STUB_GET(stub_unsched_calls), STUB_GET(stub_sched_calls));
	ATF_CHECK_EQ(0, STUB_GET(stub_violations));
}

ATF_TC_WITHOUT_HEAD(open_errors);
ATF_TC_BODY(open_errors, tc)
{
	char longname[400];
	int fd = -1;

	ATF_REQUIRE_EQ(0, stub_init(1));
	ATF_CHECK_EQ(NB_ENOENT, rumpuser_open("nonexistent",
	    RUMPUSER_OPEN_RDONLY, &fd));
	ATF_CHECK_EQ(-1, fd);
	fd = open_file("f", RUMPUSER_OPEN_RDWR | RUMPUSER_OPEN_CREATE);
	ATF_CHECK_EQ(0, rumpuser_close(fd));
	ATF_CHECK_EQ(NB_EEXIST, rumpuser_open("f", RUMPUSER_OPEN_RDWR |
	    RUMPUSER_OPEN_CREATE | RUMPUSER_OPEN_EXCL, &fd));
	ATF_CHECK_EQ(NB_ENOTDIR, rumpuser_open("f/x", RUMPUSER_OPEN_RDONLY,
	    &fd));
	ATF_CHECK_EQ(NB_EISDIR, rumpuser_open(".", RUMPUSER_OPEN_RDWR, &fd));
	/* 63 on NetBSD, 36 on Linux: proves the translation. */
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	ATF_CHECK_EQ(NB_ENAMETOOLONG, rumpuser_open(longname,
	    RUMPUSER_OPEN_RDONLY, &fd));
	ATF_CHECK_EQ(NB_EINVAL, rumpuser_open("f", RUMPUSER_OPEN_ACCMODE,
	    &fd));
	ATF_CHECK_EQ(NB_EBADF, rumpuser_close(-1));
	ATF_CHECK_EQ(NB_ENOENT, rumpuser_getfileinfo("nonexistent", NULL,
	    NULL));
	ATF_CHECK_EQ(NB_ENAMETOOLONG, rumpuser_getfileinfo(longname, NULL,
	    NULL));
	ATF_CHECK_EQ(0, STUB_GET(stub_violations));
}

ATF_TC_WITHOUT_HEAD(getfileinfo);
ATF_TC_BODY(getfileinfo, tc)
{
	uint64_t size = 1;
	int fd, type = -1;

	ATF_REQUIRE_EQ(0, stub_init(1));
	fd = open("f", O_RDWR | O_CREAT, 0644);
	ATF_REQUIRE(fd >= 0);
	ATF_REQUIRE_EQ(0, ftruncate(fd, 123457));
	close(fd);

	ATF_CHECK_EQ(0, rumpuser_getfileinfo("f", &size, &type));
	ATF_CHECK_EQ(123457, size);
	ATF_CHECK_EQ(RUMPUSER_FT_REG, type);
	ATF_CHECK_EQ(0, rumpuser_getfileinfo("f", NULL, &type));
	ATF_CHECK_EQ(0, rumpuser_getfileinfo("f", &size, NULL));
	ATF_CHECK_EQ(0, rumpuser_getfileinfo(".", &size, &type));
	ATF_CHECK_EQ(RUMPUSER_FT_DIR, type);
	ATF_CHECK_EQ(0, rumpuser_getfileinfo("/dev/null", &size, &type));
	ATF_CHECK_EQ(RUMPUSER_FT_CHR, type);
	ATF_CHECK_EQ(0, size);
	ATF_REQUIRE_EQ(0, mkfifo("fifo", 0644));
	ATF_CHECK_EQ(0, rumpuser_getfileinfo("fifo", &size, &type));
	ATF_CHECK_EQ(RUMPUSER_FT_OTHER, type);
	ATF_CHECK_EQ(0, STUB_GET(stub_violations));
}

/* Needs a block device the user may open; CI runs as root and has one. */
ATF_TC_WITHOUT_HEAD(getfileinfo_blockdev);
ATF_TC_BODY(getfileinfo_blockdev, tc)
{
	char path[300], sysfs[300], best[300];
	unsigned long long sectors, bestsectors = 0;
	struct dirent *de;
	struct stat st;
	uint64_t size;
	FILE *f;
	DIR *d;
	int fd, type, found = 0;
	/* Prefer a device with a size; an empty (unbound loop) device
	 * still checks the type and the ioctl path. */

	ATF_REQUIRE_EQ(0, stub_init(1));
	d = opendir("/sys/class/block");
	if (d == NULL)
		atf_tc_skip("no /sys/class/block");
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/dev/%s", de->d_name);
		if (stat(path, &st) == -1 || !S_ISBLK(st.st_mode))
			continue;
		if ((fd = open(path, O_RDONLY)) == -1)
			continue;
		close(fd);
		snprintf(sysfs, sizeof(sysfs), "/sys/class/block/%s/size",
		    de->d_name);
		if ((f = fopen(sysfs, "r")) == NULL)
			continue;
		if (fscanf(f, "%llu", &sectors) == 1 &&
		    (!found || sectors > bestsectors)) {
			found = 1;
			bestsectors = sectors;
			memcpy(best, path, sizeof(best));
		}
		fclose(f);
	}
	closedir(d);
	if (!found)
		atf_tc_skip("no block device readable by this user");
	size = 1;
	ATF_CHECK_EQ(0, rumpuser_getfileinfo(best, &size, &type));
	ATF_CHECK_EQ(RUMPUSER_FT_BLK, type);
	ATF_CHECK_EQ_MSG(bestsectors * 512, size, "%s", best);
}

/*
 * Block I/O
 */

struct biowait {
	pthread_mutex_t mtx;
	pthread_cond_t cv;
	int ndone;
	int nerr;
	int lasterr;
	size_t transferred;
	/* Since the start, whatever bio_reset(): */
	int ncalls;		/* biodone calls */
	int oncaller;		/* completions run on the caller's thread */
	int withlwp;		/* completions run with an lwp bound */
	int pid0lwp;		/* ... one the newlwp upcall made for pid 0 */
	int withcpu;		/* completions run holding the CPU */
};

static struct biowait bw = {
	.mtx = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER,
};
static pthread_t caller;

static void
biodone(void *arg, size_t transferred, int error)
{
	struct biowait *w = arg;

	pthread_mutex_lock(&w->mtx);
	w->ndone++;
	w->transferred += transferred;
	if (error != 0) {
		w->nerr++;
		w->lasterr = error;
	}
	w->ncalls++;
	if (pthread_equal(pthread_self(), caller))
		w->oncaller++;
	if (rumpuser_curlwp() != NULL)
		w->withlwp++;
	if (rumpuser_curlwp() != NULL &&
	    stub_newlwp_pid(rumpuser_curlwp()) == 0)
		w->pid0lwp++;
	if (stub_have_cpu)
		w->withcpu++;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mtx);
}

/* Waits for n completions, without the CPU (if it holds one): the
 * platform's thread needs it to call biodone, as a kernel's biowait
 * would give it up. */
static void
bio_wait(int n)
{
	int had_cpu = stub_have_cpu;

	if (had_cpu)
		stub_cpu_release();
	pthread_mutex_lock(&bw.mtx);
	while (bw.ndone < n)
		pthread_cond_wait(&bw.cv, &bw.mtx);
	pthread_mutex_unlock(&bw.mtx);
	if (had_cpu)
		stub_cpu_take();
}

static int
bio_ndone(void)
{
	int n;

	pthread_mutex_lock(&bw.mtx);
	n = bw.ndone;
	pthread_mutex_unlock(&bw.mtx);
	return n;
}

static int
cpus_busy(void)
{
	int n;

	pthread_mutex_lock(&stub_cpu_mtx);
	n = stub_cpus_busy;
	pthread_mutex_unlock(&stub_cpu_mtx);
	return n;
}

static void
bio_reset(void)
{

	pthread_mutex_lock(&bw.mtx);
	bw.ndone = bw.nerr = bw.lasterr = 0;
	bw.transferred = 0;
	pthread_mutex_unlock(&bw.mtx);
}

#define BIOLEN	65536
#define NBIO	64

ATF_TC_WITHOUT_HEAD(bio_readwrite);
ATF_TC_BODY(bio_readwrite, tc)
{
	static char lwp;
	static unsigned char wbuf[NBIO][512], rbuf[NBIO][512];
	unsigned char *w, *r;
	int fd, i, op;
	struct stat st;

	ATF_REQUIRE_EQ(0, stub_init(1));
	caller = pthread_self();
	rumpuser_curlwpop(RUMPUSER_LWP_SET, (struct lwp *)(void *)&lwp);
	fd = open_file("disk", RUMPUSER_OPEN_RDWR | RUMPUSER_OPEN_CREATE |
	    RUMPUSER_OPEN_BIO);
	w = malloc(BIOLEN);
	r = malloc(BIOLEN);
	ATF_REQUIRE(w != NULL && r != NULL);
	for (i = 0; i < BIOLEN; i++)
		w[i] = (unsigned char)(i * 7 + 3);

	/* Write then read back one large request, with and without SYNC. */
	for (op = 0; op < 2; op++) {
		bio_reset();
		rumpuser_bio(fd, RUMPUSER_BIO_WRITE |
		    (op ? RUMPUSER_BIO_SYNC : 0), w, BIOLEN, 4096, biodone, &bw);
		bio_wait(1);
		ATF_CHECK_EQ(0, bw.nerr);
		ATF_CHECK_EQ(BIOLEN, bw.transferred);
		bio_reset();
		memset(r, 0, BIOLEN);
		rumpuser_bio(fd, RUMPUSER_BIO_READ, r, BIOLEN, 4096, biodone,
		    &bw);
		bio_wait(1);
		ATF_CHECK_EQ(0, bw.nerr);
		ATF_CHECK_EQ(BIOLEN, bw.transferred);
		ATF_CHECK(memcmp(w, r, BIOLEN) == 0);
	}
	ATF_REQUIRE_EQ(0, fstat(fd, &st));
	ATF_CHECK_EQ(4096 + BIOLEN, st.st_size);

	/* Many requests in flight: each completes exactly once. */
	bio_reset();
	for (i = 0; i < NBIO; i++) {
		memset(wbuf[i], i + 1, sizeof(wbuf[i]));
		rumpuser_bio(fd, RUMPUSER_BIO_WRITE, wbuf[i], 512,
		    (int64_t)i * 512, biodone, &bw);
	}
	bio_wait(NBIO);
	ATF_CHECK_EQ(NBIO * 512, bw.transferred);
	bio_reset();
	for (i = 0; i < NBIO; i++)
		rumpuser_bio(fd, RUMPUSER_BIO_READ, rbuf[i], 512,
		    (int64_t)i * 512, biodone, &bw);
	bio_wait(NBIO);
	usleep(100 * 1000);	/* a duplicate completion would show now */
	ATF_CHECK_EQ(NBIO, bw.ndone);
	ATF_CHECK_EQ(NBIO * 512, bw.transferred);
	ATF_CHECK(memcmp(wbuf, rbuf, sizeof(wbuf)) == 0);

	/* Completions come from platform threads scheduled into the
	 * kernel: each with an lwp of pid 0 made through the newlwp upcall,
	 * and holding a CPU (the only one: the caller gave it up). */
	ATF_CHECK_EQ(2 * 2 + 2 * NBIO, bw.ncalls);
	ATF_CHECK_EQ(0, bw.oncaller);
	ATF_CHECK_EQ(bw.ncalls, bw.withlwp);
	ATF_CHECK_EQ(bw.ncalls, bw.pid0lwp);
	ATF_CHECK_EQ(bw.ncalls, bw.withcpu);
	/* One lwp per worker, not per request: far fewer than requests. */
	ATF_CHECK(STUB_GET(stub_newlwp_calls) >= 1);
	ATF_CHECK(STUB_GET(stub_newlwp_calls) <= 16);
	/* Every CPU taken for a completion was given back. */
	ATF_CHECK_EQ(1, cpus_busy());
	ATF_CHECK(rumpuser_curlwp() == (struct lwp *)(void *)&lwp);
	ATF_CHECK_EQ(0, rumpuser_close(fd));
	free(w);
	free(r);
	ATF_CHECK_EQ(0, STUB_GET(stub_violations));
}

ATF_TC_WITHOUT_HEAD(bio_errors);
ATF_TC_BODY(bio_errors, tc)
{
	static char buf[4096];
	int fd;

	ATF_REQUIRE_EQ(0, stub_init(1));
	fd = open_file("disk", RUMPUSER_OPEN_RDWR | RUMPUSER_OPEN_CREATE);
	ATF_REQUIRE_EQ(0, ftruncate(fd, 1024));

	/* Reading across the end: a short transfer, not an error. */
	bio_reset();
	rumpuser_bio(fd, RUMPUSER_BIO_READ, buf, 4096, 512, biodone, &bw);
	bio_wait(1);
	ATF_CHECK_EQ(0, bw.nerr);
	ATF_CHECK_EQ(512, bw.transferred);

	bio_reset();
	rumpuser_bio(-1, RUMPUSER_BIO_READ, buf, 512, 0, biodone, &bw);
	bio_wait(1);
	ATF_CHECK_EQ(1, bw.nerr);
	ATF_CHECK_EQ(NB_EBADF, bw.lasterr);
	ATF_CHECK_EQ(0, bw.transferred);

	/* Writing to a read-only descriptor. */
	ATF_CHECK_EQ(0, rumpuser_close(fd));
	fd = open_file("disk", RUMPUSER_OPEN_RDONLY);
	bio_reset();
	rumpuser_bio(fd, RUMPUSER_BIO_WRITE | RUMPUSER_BIO_SYNC, buf, 512, 0,
	    biodone, &bw);
	bio_wait(1);
	ATF_CHECK_EQ(NB_EBADF, bw.lasterr);
	ATF_CHECK_EQ(0, rumpuser_close(fd));
}

/*
 * biodone runs in the kernel: while the only CPU is held elsewhere it
 * waits for it, and it gets it once released.  Each worker's lwp is made
 * when it starts, scheduled, and kept for all its completions.
 */
ATF_TC_WITHOUT_HEAD(bio_completion_context);
ATF_TC_BODY(bio_completion_context, tc)
{
	static unsigned char buf[8][512];
	unsigned nlwp;
	int fd, i;

	ATF_REQUIRE_EQ(0, stub_init(1));
	caller = pthread_self();
	fd = open_file("disk", RUMPUSER_OPEN_RDWR | RUMPUSER_OPEN_CREATE);
	ATF_REQUIRE_EQ(0, ftruncate(fd, sizeof(buf)));
	bio_reset();
	rumpuser_bio(fd, RUMPUSER_BIO_READ, buf[0], 512, 0, biodone, &bw);
	/* The worker cannot call biodone while this thread holds the CPU. */
	usleep(200 * 1000);
	ATF_CHECK_EQ(0, bio_ndone());
	ATF_CHECK_EQ(1, cpus_busy());
	bio_wait(1);
	ATF_CHECK_EQ(0, bw.nerr);
	ATF_CHECK_EQ(512, bw.transferred);

	/* More requests: the workers' lwps are reused, not made anew.
	 * (Without the CPU for a while, so that every worker has bound.) */
	stub_cpu_release();
	usleep(100 * 1000);
	stub_cpu_take();
	nlwp = STUB_GET(stub_newlwp_calls);
	ATF_CHECK(nlwp >= 1);
	bio_reset();
	for (i = 0; i < 8; i++)
		rumpuser_bio(fd, RUMPUSER_BIO_READ, buf[i], 512,
		    (int64_t)i * 512, biodone, &bw);
	bio_wait(8);
	usleep(100 * 1000);	/* a duplicate completion would show now */
	ATF_CHECK_EQ(8, bio_ndone());
	ATF_CHECK_EQ(nlwp, STUB_GET(stub_newlwp_calls));
	for (i = 0; i < (int)nlwp && i < STUB_MAXNEWLWP; i++)
		ATF_CHECK_EQ(0, stub_newlwps[i].pid);
	ATF_CHECK_EQ(9, bw.ncalls);
	ATF_CHECK_EQ(9, bw.pid0lwp);
	ATF_CHECK_EQ(9, bw.withcpu);
	ATF_CHECK_EQ(0, bw.oncaller);
	ATF_CHECK_EQ(1, cpus_busy());
	ATF_CHECK_EQ(0, rumpuser_close(fd));
	ATF_CHECK_EQ(0, STUB_GET(stub_violations));
}

/* Without a kernel (no rumpuser_init()) there is nothing to schedule
 * into: biodone is called all the same, on a platform thread. */
ATF_TC_WITHOUT_HEAD(bio_without_kernel);
ATF_TC_BODY(bio_without_kernel, tc)
{
	static unsigned char buf[512];
	int fd;

	caller = pthread_self();
	fd = open_file("disk", RUMPUSER_OPEN_RDWR | RUMPUSER_OPEN_CREATE);
	bio_reset();
	rumpuser_bio(fd, RUMPUSER_BIO_WRITE | RUMPUSER_BIO_SYNC, buf, 512, 0,
	    biodone, &bw);
	bio_wait(1);
	ATF_CHECK_EQ(0, bw.nerr);
	ATF_CHECK_EQ(512, bw.transferred);
	ATF_CHECK_EQ(1, bw.ncalls);
	ATF_CHECK_EQ(0, bw.oncaller);
	ATF_CHECK_EQ(0, bw.withlwp);
	ATF_CHECK_EQ(0, bw.withcpu);
	ATF_CHECK_EQ(0, STUB_GET(stub_newlwp_calls));
	ATF_CHECK_EQ(0, rumpuser_close(fd));
}

/*
 * fork() while a worker polls for the next request (RUMP_CV_SPIN_US,
 * rumpuser_bio.c): the child starts a pool of its own, and each of its
 * requests, made one at a time, must wake a worker.  A child that kept
 * the parent's "a worker polls" (bio_spinning) would never wake one: its
 * first request is taken by a new worker, the second waits for ever.
 * The stub kernel's CPUs are made consistent across the fork (a parent's
 * worker may be between biodone and giving its CPU back).
 */
static double
mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
fork_prepare(void)
{

	pthread_mutex_lock(&stub_cpu_mtx);
	pthread_mutex_lock(&bw.mtx);
}

static void
fork_parent(void)
{

	pthread_mutex_unlock(&bw.mtx);
	pthread_mutex_unlock(&stub_cpu_mtx);
}

static void
fork_child(void)
{

	/* Only this thread's CPU is still held in the child. */
	stub_cpus_busy = stub_have_cpu;
	pthread_mutex_unlock(&bw.mtx);
	pthread_mutex_unlock(&stub_cpu_mtx);
}

#define FORK_ROUNDS	8	/* forks, each just after a completion */
#define FORK_NREQ	8	/* requests of each child, one at a time */

ATF_TC(bio_fork_while_polling);
ATF_TC_HEAD(bio_fork_while_polling, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "a child forked while a block I/O worker polls for work "
	    "(RUMP_CV_SPIN_US=1000) completes requests made one at a time");
	atf_tc_set_md_var(tc, "timeout", "120");
}
ATF_TC_BODY(bio_fork_while_polling, tc)
{
	static unsigned char buf[512];
	double t0;
	pid_t pid, w;
	int fd, i, round, status;

#if defined(__SANITIZE_THREAD__)
	atf_tc_skip("ThreadSanitizer stops a child of a multi-threaded "
	    "process that starts threads (die_after_fork)");
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
	atf_tc_skip("ThreadSanitizer stops a child of a multi-threaded "
	    "process that starts threads (die_after_fork)");
#endif
#endif
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		atf_tc_skip("one host CPU: the workers never poll");
	setenv("RUMP_CV_SPIN_US", "1000", 1);
	ATF_REQUIRE_EQ(0, stub_init(2));
	caller = pthread_self();
	fd = open_file("disk", RUMPUSER_OPEN_RDWR | RUMPUSER_OPEN_CREATE |
	    RUMPUSER_OPEN_BIO);
	ATF_REQUIRE_EQ(0, ftruncate(fd, 512));
	bio_reset();
	rumpuser_bio(fd, RUMPUSER_BIO_READ, buf, 512, 0, biodone, &bw);
	bio_wait(1);
	/* After the pool's own handlers: ours prepare first. */
	ATF_REQUIRE_EQ(0, pthread_atfork(fork_prepare, fork_parent,
	    fork_child));

	for (round = 0; round < FORK_ROUNDS; round++) {
		/* The worker that completes this polls for 1 ms after. */
		bio_reset();
		rumpuser_bio(fd, RUMPUSER_BIO_READ, buf, 512, 0, biodone, &bw);
		bio_wait(1);
		pid = fork();
		ATF_REQUIRE(pid != -1);
		if (pid == 0) {
			bio_reset();
			for (i = 0; i < FORK_NREQ; i++) {
				rumpuser_bio(fd, RUMPUSER_BIO_READ, buf, 512,
				    0, biodone, &bw);
				bio_wait(i + 1);
			}
			_exit(bw.nerr == 0 ? 0 : 1);
		}
		/* A lost wakeup leaves the child waiting for ever: bounded
		 * here, so that it fails with a reason. */
		t0 = mono_s();
		while ((w = waitpid(pid, &status, WNOHANG)) == 0 &&
		    mono_s() - t0 < 30)
			usleep(10 * 1000);
		ATF_REQUIRE(w != -1);
		if (w == 0) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			atf_tc_fail("round %d: the child's requests were not "
			    "all completed in 30 s (a worker never woken)",
			    round);
		}
		ATF_REQUIRE_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "round %d: child status %#x", round, status);
	}
	ATF_CHECK_EQ(0, rumpuser_close(fd));
	ATF_CHECK_EQ(0, STUB_GET(stub_violations));
}

/*
 * Scatter/gather I/O and syncing
 */

ATF_TC_WITHOUT_HEAD(iov_readwrite);
ATF_TC_BODY(iov_readwrite, tc)
{
	char a[] = "hello, ", b[] = "rump ", c[] = "world";
	char x[7], y[5], z[16];
	struct rumpuser_iovec wiov[3] = {
		{ a, 7 }, { b, 5 }, { c, 5 },
	};
	struct rumpuser_iovec riov[3] = {
		{ x, sizeof(x) }, { y, sizeof(y) }, { z, sizeof(z) },
	};
	size_t n = 0;
	int fd;

	ATF_REQUIRE_EQ(0, stub_init(1));
	fd = open_file("f", RUMPUSER_OPEN_RDWR | RUMPUSER_OPEN_CREATE);
	stub_reset_counts();
	/* At an offset: the file position stays put. */
	ATF_CHECK_EQ(0, rumpuser_iovwrite(fd, wiov, 3, 100, &n));
	ATF_CHECK_EQ(17, n);
	ATF_CHECK_EQ(0, lseek(fd, 0, SEEK_CUR));
	ATF_CHECK_EQ(0, rumpuser_iovread(fd, riov, 3, 100, &n));
	ATF_CHECK_EQ(17, n);
	ATF_CHECK(memcmp(x, "hello, ", 7) == 0);
	ATF_CHECK(memcmp(y, "rump ", 5) == 0);
	ATF_CHECK(memcmp(z, "world", 5) == 0);
	ATF_CHECK_EQ(2, STUB_GET(stub_unsched_calls));
	ATF_CHECK_EQ(2, STUB_GET(stub_sched_calls));

	/* NOSEEK: at and advancing the file position. */
	ATF_REQUIRE_EQ(0, lseek(fd, 0, SEEK_SET));
	ATF_CHECK_EQ(0, rumpuser_iovwrite(fd, wiov, 2, RUMPUSER_IOV_NOSEEK,
	    &n));
	ATF_CHECK_EQ(12, n);
	ATF_CHECK_EQ(12, lseek(fd, 0, SEEK_CUR));
	ATF_REQUIRE_EQ(7, lseek(fd, 7, SEEK_SET));
	memset(y, 0, sizeof(y));
	ATF_CHECK_EQ(0, rumpuser_iovread(fd, &riov[1], 1, RUMPUSER_IOV_NOSEEK,
	    &n));
	ATF_CHECK_EQ(5, n);
	ATF_CHECK(memcmp(y, "rump ", 5) == 0);
	ATF_CHECK_EQ(12, lseek(fd, 0, SEEK_CUR));

	/* End of file: zero bytes, no error. */
	ATF_CHECK_EQ(0, rumpuser_iovread(fd, riov, 3, 1000, &n));
	ATF_CHECK_EQ(0, n);

	ATF_CHECK_EQ(NB_EBADF, rumpuser_iovread(-1, riov, 3, 0, &n));
	ATF_CHECK_EQ(NB_EBADF, rumpuser_iovwrite(-1, wiov, 3,
	    RUMPUSER_IOV_NOSEEK, &n));
	ATF_CHECK_EQ(0, rumpuser_close(fd));
	ATF_CHECK_EQ(0, STUB_GET(stub_violations));
}

ATF_TC_WITHOUT_HEAD(syncfd);
ATF_TC_BODY(syncfd, tc)
{
	static const int flags[] = {
		RUMPUSER_SYNCFD_READ, RUMPUSER_SYNCFD_WRITE,
		RUMPUSER_SYNCFD_BOTH, RUMPUSER_SYNCFD_BARRIER,
		RUMPUSER_SYNCFD_SYNC,
		RUMPUSER_SYNCFD_WRITE | RUMPUSER_SYNCFD_BARRIER,
		RUMPUSER_SYNCFD_BOTH | RUMPUSER_SYNCFD_SYNC,
	};
	size_t i;
	int fd;

	ATF_REQUIRE_EQ(0, stub_init(1));
	fd = open_file("f", RUMPUSER_OPEN_RDWR | RUMPUSER_OPEN_CREATE);
	ATF_REQUIRE_EQ(5, write(fd, "data\n", 5));
	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		ATF_CHECK_EQ_MSG(0, rumpuser_syncfd(fd, flags[i], 0, 0),
		    "flags %#x", flags[i]);
	ATF_CHECK_EQ(0, rumpuser_syncfd(fd, RUMPUSER_SYNCFD_WRITE, 0, 4096));
	ATF_CHECK_EQ(NB_EBADF, rumpuser_syncfd(-1, RUMPUSER_SYNCFD_WRITE, 0,
	    0));
	ATF_CHECK_EQ(NB_EBADF, rumpuser_syncfd(-1, RUMPUSER_SYNCFD_SYNC, 0,
	    0));
	ATF_CHECK_EQ(0, rumpuser_close(fd));
	ATF_CHECK_EQ(0, STUB_GET(stub_violations));
}

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, open_modes);
	ATF_TP_ADD_TC(tp, open_errors);
	ATF_TP_ADD_TC(tp, getfileinfo);
	ATF_TP_ADD_TC(tp, getfileinfo_blockdev);
	ATF_TP_ADD_TC(tp, bio_readwrite);
	ATF_TP_ADD_TC(tp, bio_errors);
	ATF_TP_ADD_TC(tp, bio_completion_context);
	ATF_TP_ADD_TC(tp, bio_without_kernel);
	ATF_TP_ADD_TC(tp, bio_fork_while_polling);
	ATF_TP_ADD_TC(tp, iov_readwrite);
	ATF_TP_ADD_TC(tp, syncfd);
	return atf_no_error();
}
