/*
 * t_threads.c: many host threads in the rump kernel at once.
 *
 * Eight host threads do file work concurrently for a bounded number of
 * iterations (and a bounded time): create/write/read back/rename/link/
 * unlink in a directory of their own and in a shared one, listing
 * directories, and appending records to one shared log through a shared
 * descriptor.  Four threads run in processes of their own (rfork, own
 * cwd, relative names), four as lwps of one shared process (newlwp, one
 * descriptor table); a third variant runs all eight unbound (temporary
 * lwps of the init process).  With RUMP_NCPU=1 and =4.
 *
 * The test must finish (atf timeout: a deadlock fails it), and afterwards
 * everything must be consistent: every thread's data reads back intact,
 * directory listings contain exactly the expected names, link counts are
 * right, the log holds every record exactly once.
 *
 * The threads are the platform's (rumpuser_thread_create/_join), not
 * pthreads: the test runs unchanged on a platform with one host thread
 * and cooperative threads (fiber).  For the same reason nothing here is
 * thread-local (such threads share the host thread's TLS), the start
 * barrier is made of rumpuser locks, and the workers' big buffers are on
 * the heap rather than on their (possibly small) stacks.  A cooperative
 * platform switches threads only where one blocks, and tmpfs work rarely
 * blocks: each worker therefore yields (a zero-length platform sleep) at
 * a few points of every iteration, varying with thread and iteration, so
 * that the operations of different threads interleave there too; the
 * shared log must show that they did.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <atf-c.h>

#include <rump/rump.h>
#include <rump/rump_syscalls.h>
#include <rump/rumpuser.h>

#include "h_rumptest.h"

#define NTHREADS	8
#define ITERATIONS	1000
#define NSLOTS		8		/* f0..f7 in each own directory */
#define KEEP_EVERY	10		/* r<i>_<k> kept when k % 10 == 0 */
#define RECLEN		32
#define RUN_SECONDS	30		/* stop iterating after this */
#define MAXDATA		4096

struct ldirent64 {
	uint64_t	d_ino;
	int64_t		d_off;
	unsigned short	d_reclen;
	unsigned char	d_type;
	char		d_name[];
};

enum mode { OWN_PROC, SHARED_PROC, UNBOUND };

struct worker {
	void		*cookie;	/* rumpuser_thread_join() */
	int		 idx;
	enum mode	 mode;
	int		 shared_pid;	/* SHARED_PROC */
	int		 logfd;		/* in its process's table, or -1 */
	int		 iters;		/* iterations completed */
	int		 records;	/* log records written */
	char		 err[512];
	/* Per-thread buffers (not TLS, not the stack: see above). */
	unsigned char	 wbuf[MAXDATA];
	unsigned char	 rbuf[MAXDATA + 16];
	char		 (*names)[64];	/* 2048 of them */
};

/*
 * The start barrier: every worker and the main thread wait until all
 * have arrived.  The callers hold no virtual CPU here, so the _nowrap
 * calls (which never try to release one) are the right ones.
 */
static struct rumpuser_mtx *barrier_mtx;
static struct rumpuser_cv *barrier_cv;
static int barrier_count, barrier_want;

static void
barrier_init(int n)
{

	/* SPIN: only the _nowrap calls use it (rumpuser(3) v17 wants a
	 * mutex kind named; NetBSD's librumpuser asserts one). */
	rumpuser_mutex_init(&barrier_mtx, RUMPUSER_MTX_SPIN);
	rumpuser_cv_init(&barrier_cv);
	barrier_count = 0;
	barrier_want = n;
}

static void
barrier_wait(void)
{

	rumpuser_mutex_enter_nowrap(barrier_mtx);
	if (++barrier_count == barrier_want)
		rumpuser_cv_broadcast(barrier_cv);
	while (barrier_count < barrier_want)
		rumpuser_cv_wait_nowrap(barrier_cv, barrier_mtx);
	rumpuser_mutex_exit(barrier_mtx);
}

static void
barrier_destroy(void)
{

	rumpuser_cv_destroy(barrier_cv);
	rumpuser_mutex_destroy(barrier_mtx);
}

static struct timespec t_start;

static double
elapsed(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t_start.tv_sec) +
	    (double)(now.tv_nsec - t_start.tv_nsec) / 1e9;
}

static size_t
datalen(int i, int k)
{
	return 512 + (size_t)((k * 37 + i * 101) % 3000);
}

static unsigned char
databyte(int i, int k, size_t j)
{
	return (unsigned char)(i * 31 + k * 7 + (int)j * 13 + (int)(j >> 8));
}

/* Records the first failure of a worker; returns false to stop it. */
static bool __attribute__((format(printf, 2, 3)))
fail(struct worker *w, const char *fmt, ...)
{
	va_list ap;
	int e = rt_errno();
	size_t n;

	if (w->err[0] != '\0')
		return false;
	va_start(ap, fmt);
	vsnprintf(w->err, sizeof(w->err), fmt, ap);
	va_end(ap);
	n = strlen(w->err);
	snprintf(w->err + n, sizeof(w->err) - n, " (iter %d, errno %d %s)",
	    w->iters, e, strerror(e));
	return false;
}

/* Path of name in the worker's own directory: relative for a worker in
 * its own process (which chdir'ed there), absolute otherwise. */
static void
ownpath(const struct worker *w, char *buf, size_t len, const char *name)
{
	if (w->mode == OWN_PROC)
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "/t%d/%s", w->idx, name);
}

static bool
write_file(struct worker *w, const char *path, int k)
{
	unsigned char *buf = w->wbuf;
	size_t len = datalen(w->idx, k), half = len / 2;
	int fd;

	for (size_t j = 0; j < len; j++)
		buf[j] = databyte(w->idx, k, j);
	fd = rump_sys_open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd == -1)
		return fail(w, "create %s", path);
	if (rump_sys_write(fd, buf, half) != (ssize_t)half) {
		rump_sys_close(fd);
		return fail(w, "write %s", path);
	}
	if (rump_sys_pwrite64(fd, buf + half, len - half, (int64_t)half) !=
	    (ssize_t)(len - half)) {
		rump_sys_close(fd);
		return fail(w, "pwrite %s", path);
	}
	if (k % 16 == 0 && rump_sys_fsync(fd) == -1) {
		rump_sys_close(fd);
		return fail(w, "fsync %s", path);
	}
	if (rump_sys_close(fd) == -1)
		return fail(w, "close %s", path);
	return true;
}

/* Verifies path holds the data of (i, k); msg gets a reason if not.
 * buf has room for MAXDATA + 16 bytes. */
static bool
check_file(const char *path, int i, int k, unsigned char *buf, char *msg,
    size_t msglen)
{
	size_t len = datalen(i, k), got = 0;
	ssize_t n;
	struct stat st;
	int fd;

	fd = rump_sys_open(path, O_RDONLY);
	if (fd == -1) {
		snprintf(msg, msglen, "open %s: %s", path, strerror(errno));
		return false;
	}
	while ((n = rump_sys_read(fd, buf + got, MAXDATA + 16 - got)) > 0)
		got += (size_t)n;
	if (n == -1) {
		snprintf(msg, msglen, "read %s: %s", path, strerror(errno));
		rump_sys_close(fd);
		return false;
	}
	if (rump_sys_fstat(fd, &st) == -1 || st.st_nlink != 1 ||
	    (size_t)st.st_size != len) {
		snprintf(msg, msglen, "%s: nlink %lu size %lld, want 1 %zu",
		    path, (unsigned long)st.st_nlink, (long long)st.st_size,
		    len);
		rump_sys_close(fd);
		return false;
	}
	rump_sys_close(fd);
	if (got != len) {
		snprintf(msg, msglen, "%s: read %zu bytes, want %zu", path,
		    got, len);
		return false;
	}
	for (size_t j = 0; j < len; j++)
		if (buf[j] != databyte(i, k, j)) {
			snprintf(msg, msglen, "%s: byte %zu is %#x, want %#x "
			    "(data of thread %d iteration %d)", path, j,
			    buf[j], databyte(i, k, j), i, k);
			return false;
		}
	return true;
}

/*
 * Lists a directory into names (n entries, each < 64 bytes); returns -1
 * and sets errno on failure.
 */
static int
listdir(const char *path, char (*names)[64], int max)
{
	char buf[2048];
	ssize_t n;
	int fd, cnt = 0;

	fd = rump_sys_open(path, O_RDONLY | O_DIRECTORY);
	if (fd == -1)
		return -1;
	while ((n = rump_sys_getdents64(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t o = 0; o < n;) {
			struct ldirent64 *d = (struct ldirent64 *)(buf + o);

			if (d->d_reclen == 0 || cnt >= max) {
				rump_sys_close(fd);
				rt_seterrno(EOVERFLOW);
				return -1;
			}
			snprintf(names[cnt++], 64, "%s", d->d_name);
			o += d->d_reclen;
		}
	}
	rump_sys_close(fd);
	return n == -1 ? -1 : cnt;
}

static int
count_name(char (*names)[64], int n, const char *name)
{
	int c = 0;

	for (int i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			c++;
	return c;
}

/* The transient hard links l<i> in /shared (not "log"). */
static bool
is_link_name(const char *name)
{
	return name[0] == 'l' && name[1] >= '0' && name[1] <= '9';
}

/* A scheduling point at place `at' of iteration k, for some (w, k, at). */
static void
maybe_yield(const struct worker *w, int k, int at)
{

	if ((k + w->idx + at) % 3 == 0)
		(void)rumpuser_clock_sleep(RUMPUSER_CLOCK_RELWALL, 0, 0);
}

static bool
one_iteration(struct worker *w, int k)
{
	char (*names)[64] = w->names;
	char tmp[64], fin[64], p1[96], p2[96], p3[96], msg[256];
	struct stat st;
	int n;

	snprintf(tmp, sizeof(tmp), "f%d.tmp", k % NSLOTS);
	snprintf(fin, sizeof(fin), "f%d", k % NSLOTS);
	ownpath(w, p1, sizeof(p1), tmp);
	ownpath(w, p2, sizeof(p2), fin);

	/* Own directory: write a temporary, read it back, rename over
	 * the slot. */
	if (!write_file(w, p1, k))
		return false;
	maybe_yield(w, k, 0);
	if (!check_file(p1, w->idx, k, w->rbuf, msg, sizeof(msg)))
		return fail(w, "%s", msg);
	if (rump_sys_rename(p1, p2) == -1)
		return fail(w, "rename %s %s", p1, p2);
	if (rump_sys_stat(p1, &st) != -1 || rt_errno() != ENOENT)
		return fail(w, "%s still there after rename", p1);

	/* A hard link in the shared directory, and away again. */
	snprintf(p3, sizeof(p3), "/shared/l%d", w->idx);
	if (rump_sys_link(p2, p3) == -1)
		return fail(w, "link %s %s", p2, p3);
	maybe_yield(w, k, 1);
	if (rump_sys_stat(p2, &st) == -1 || st.st_nlink != 2)
		return fail(w, "nlink of %s is %lu after link, want 2", p2,
		    (unsigned long)st.st_nlink);
	if (rump_sys_unlink(p3) == -1)
		return fail(w, "unlink %s", p3);
	if (rump_sys_stat(p2, &st) == -1 || st.st_nlink != 1)
		return fail(w, "nlink of %s is %lu after unlink, want 1", p2,
		    (unsigned long)st.st_nlink);
	if (!check_file(p2, w->idx, k, w->rbuf, msg, sizeof(msg)))
		return fail(w, "after rename: %s", msg);

	/* Shared directory: create, rename, keep every tenth. */
	snprintf(p1, sizeof(p1), "/shared/s%d_%d", w->idx, k);
	snprintf(p2, sizeof(p2), "/shared/r%d_%d", w->idx, k);
	if (!write_file(w, p1, k))
		return false;
	maybe_yield(w, k, 2);
	if (rump_sys_rename(p1, p2) == -1)
		return fail(w, "rename %s %s", p1, p2);
	if (!check_file(p2, w->idx, k, w->rbuf, msg, sizeof(msg)))
		return fail(w, "%s", msg);
	if (k % KEEP_EVERY != 0 && rump_sys_unlink(p2) == -1)
		return fail(w, "unlink %s", p2);

	/* The shared log. */
	if (w->logfd != -1) {
		char rec[RECLEN + 1];

		/* "Tnn Kkkkkk " + 20 + "\n": exactly RECLEN bytes. */
		snprintf(rec, sizeof(rec), "T%02d K%05d %-20s\n", w->idx,
		    w->records, "ok");
		if (rump_sys_write(w->logfd, rec, RECLEN) != RECLEN)
			return fail(w, "log write");
		w->records++;
	}

	/* Listing of the own directory: exactly the slots written. */
	if (k % 10 == 9 || k < NSLOTS) {
		char d[32];
		int want = k + 1 < NSLOTS ? k + 1 : NSLOTS;

		snprintf(d, sizeof(d), "/t%d", w->idx);
		n = listdir(w->mode == OWN_PROC ? "." : d, names, 2048);
		if (n == -1)
			return fail(w, "listing %s", d);
		if (n != want + 2 || count_name(names, n, ".") != 1 ||
		    count_name(names, n, "..") != 1)
			return fail(w, "%s lists %d entries, want %d", d, n,
			    want + 2);
		for (int j = 0; j < want; j++) {
			char nm[16];

			snprintf(nm, sizeof(nm), "f%d", j);
			if (count_name(names, n, nm) != 1)
				return fail(w, "%s lists '%s' %d times", d, nm,
				    count_name(names, n, nm));
		}
	}
	/* Listing of the busy shared directory: no duplicates among the
	 * names that are never re-created. */
	if (k % 25 == 12) {
		n = listdir("/shared", names, 2048);
		if (n == -1)
			return fail(w, "listing /shared");
		for (int a = 0; a < n; a++) {
			if (is_link_name(names[a]))
				continue;
			for (int b = a + 1; b < n; b++)
				if (strcmp(names[a], names[b]) == 0)
					return fail(w, "/shared lists '%s' "
					    "twice", names[a]);
		}
	}
	return true;
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	char d[32];
	int error;

	switch (w->mode) {
	case OWN_PROC:
		error = rump_lwproc_rfork(RUMP_RFFDG);
		if (error) {
			rt_seterrno(error);
			fail(w, "rump_lwproc_rfork");
			goto out;
		}
		snprintf(d, sizeof(d), "/t%d", w->idx);
		if (rump_sys_chdir(d) == -1) {
			fail(w, "chdir %s", d);
			goto out;
		}
		break;
	case SHARED_PROC:
		error = rump_lwproc_newlwp(w->shared_pid);
		if (error) {
			rt_seterrno(error);
			fail(w, "rump_lwproc_newlwp(%d)", w->shared_pid);
			goto out;
		}
		if (rump_sys_getpid() != w->shared_pid) {
			fail(w, "newlwp: getpid %d, want %d",
			    rump_sys_getpid(), w->shared_pid);
			goto out;
		}
		break;
	case UNBOUND:
		break;
	}
	barrier_wait();
	for (int k = 0; k < ITERATIONS && elapsed() < RUN_SECONDS; k++) {
		if (!one_iteration(w, k))
			break;
		w->iters++;
	}
	if (w->mode != UNBOUND)
		rump_lwproc_releaselwp();
	return NULL;
out:
	barrier_wait();
	return NULL;
}

static void
run(const char *ncpu, bool unbound)
{
	static struct worker w[NTHREADS];
	static char names[2048][64];
	static unsigned char rbuf[MAXDATA + 16];
	char path[64], msg[256];
	struct lwp *shared_lwp = NULL;
	int shared_pid = -1, shared_logfd = -1, unbound_logfd = -1;
	int error, n, totalrec = 0;
	struct stat st;

	ATF_REQUIRE_EQ(0, setenv("RUMP_NCPU", ncpu, 1));
	error = rump_init();
	ATF_REQUIRE_EQ_MSG(0, error, "rump_init: %d", error);

	RL(rump_sys_mkdir("/shared", 0777));
	for (int i = 0; i < NTHREADS; i++) {
		snprintf(path, sizeof(path), "/t%d", i);
		RL(rump_sys_mkdir(path, 0755));
	}
	if (unbound) {
		unbound_logfd = (int)RL(rump_sys_open("/shared/log",
		    O_WRONLY | O_CREAT | O_APPEND, 0644));
	} else {
		error = rump_lwproc_rfork(RUMP_RFFDG);
		ATF_REQUIRE_EQ_MSG(0, error, "rfork: %d", error);
		shared_lwp = rump_lwproc_curlwp();
		shared_pid = rump_sys_getpid();
		shared_logfd = (int)RL(rump_sys_open("/shared/log",
		    O_WRONLY | O_CREAT | O_APPEND, 0644));
		rump_lwproc_switch(NULL);
	}

	barrier_init(NTHREADS + 1);
	for (int i = 0; i < NTHREADS; i++) {
		char tname[16];
		int rv;

		memset(&w[i], 0, sizeof(w[i]));
		w[i].names = malloc(2048 * sizeof(*w[i].names));
		ATF_REQUIRE(w[i].names != NULL);
		w[i].idx = i;
		if (unbound)
			w[i].mode = UNBOUND;
		else
			w[i].mode = i < NTHREADS / 2 ? OWN_PROC : SHARED_PROC;
		w[i].shared_pid = shared_pid;
		w[i].logfd = w[i].mode == SHARED_PROC ? shared_logfd :
		    w[i].mode == UNBOUND ? unbound_logfd : -1;
		snprintf(tname, sizeof(tname), "worker%d", i);
		rv = rumpuser_thread_create(worker_main, &w[i], tname, 1, -1,
		    -1, &w[i].cookie);
		ATF_REQUIRE_EQ_MSG(0, rv, "rumpuser_thread_create %d: %d", i,
		    rv);
	}
	clock_gettime(CLOCK_MONOTONIC, &t_start);
	barrier_wait();
	for (int i = 0; i < NTHREADS; i++)
		ATF_REQUIRE_EQ(0, rumpuser_thread_join(w[i].cookie));
	barrier_destroy();
	for (int i = 0; i < NTHREADS; i++) {
		free(w[i].names);
		w[i].names = NULL;
	}
	printf("RUMP_NCPU=%s %s: %.2f s\n", ncpu, unbound ? "unbound" :
	    "own+shared processes", elapsed());

	for (int i = 0; i < NTHREADS; i++) {
		printf("thread %d: %d iterations, %d records\n", i, w[i].iters,
		    w[i].records);
		ATF_CHECK_MSG(w[i].err[0] == '\0', "thread %d: %s", i,
		    w[i].err);
	}
	for (int i = 0; i < NTHREADS; i++)
		ATF_REQUIRE_MSG(w[i].iters > 0, "thread %d did no iteration",
		    i);
	if (shared_lwp != NULL) {
		rump_lwproc_switch(shared_lwp);
		RL(rump_sys_close(shared_logfd));
		rump_lwproc_releaselwp();
	}

	/* Own directories: exactly the slots, each with the last data. */
	for (int i = 0; i < NTHREADS; i++) {
		int it = w[i].iters;
		int want = it < NSLOTS ? it : NSLOTS;

		snprintf(path, sizeof(path), "/t%d", i);
		n = listdir(path, names, 2048);
		ATF_REQUIRE_MSG(n >= 0, "listing %s: %s", path,
		    strerror(errno));
		ATF_CHECK_EQ_MSG(want + 2, n, "%s: %d entries, want %d", path,
		    n, want + 2);
		for (int j = 0; j < want; j++) {
			int last = -1;

			for (int k = 0; k < it; k++)
				if (k % NSLOTS == j)
					last = k;
			snprintf(path, sizeof(path), "/t%d/f%d", i, j);
			ATF_CHECK_MSG(check_file(path, i, last, rbuf, msg,
			    sizeof(msg)), "%s", msg);
		}
	}

	/* Shared directory: r<i>_<k> for every kept k, the log, nothing
	 * else (no s*, no l*). */
	n = listdir("/shared", names, 2048);
	ATF_REQUIRE_MSG(n >= 0, "listing /shared: %s", strerror(errno));
	{
		int want = 3;	/* ., .., log */

		for (int i = 0; i < NTHREADS; i++)
			for (int k = 0; k < w[i].iters; k++) {
				if (k % KEEP_EVERY != 0)
					continue;
				want++;
				snprintf(path, sizeof(path), "r%d_%d", i, k);
				ATF_CHECK_MSG(count_name(names, n, path) == 1,
				    "/shared lists '%s' %d times", path,
				    count_name(names, n, path));
				snprintf(path, sizeof(path), "/shared/r%d_%d",
				    i, k);
				ATF_CHECK_MSG(check_file(path, i, k, rbuf, msg,
				    sizeof(msg)), "%s", msg);
			}
		ATF_CHECK_EQ_MSG(1, count_name(names, n, "log"),
		    "log listed %d times", count_name(names, n, "log"));
		ATF_CHECK_EQ_MSG(want, n, "/shared has %d entries, want %d",
		    n, want);
		for (int a = 0; a < n; a++)
			ATF_CHECK_MSG(names[a][0] != 's' &&
			    !is_link_name(names[a]),
			    "/shared has leftover '%s'", names[a]);
	}

	/* The log: every record once, per thread in order. */
	for (int i = 0; i < NTHREADS; i++)
		totalrec += w[i].records;
	RL(rump_sys_stat("/shared/log", &st));
	ATF_CHECK_EQ_MSG((long long)totalrec * RECLEN, (long long)st.st_size,
	    "log size %lld, want %d records of %d", (long long)st.st_size,
	    totalrec, RECLEN);
	{
		int fd = (int)RL(rump_sys_open("/shared/log", O_RDONLY));
		int next[NTHREADS], prev = -1, switches = 0, writers = 0;
		char rec[RECLEN + 1];
		ssize_t r;

		memset(next, 0, sizeof(next));
		while ((r = rump_sys_read(fd, rec, RECLEN)) == RECLEN) {
			int t, seq;

			rec[RECLEN] = '\0';
			ATF_REQUIRE_MSG(sscanf(rec, "T%d K%d ", &t, &seq) == 2 &&
			    t >= 0 && t < NTHREADS && rec[RECLEN - 1] == '\n' &&
			    strlen(rec) == RECLEN,
			    "garbled log record '%.*s'", RECLEN - 1, rec);
			ATF_REQUIRE_EQ_MSG(next[t], seq, "thread %d: record %d "
			    "where %d was expected", t, seq, next[t]);
			next[t]++;
			if (prev != -1 && t != prev)
				switches++;
			prev = t;
		}
		ATF_REQUIRE_MSG(r == 0, "log tail: %zd", r);
		for (int i = 0; i < NTHREADS; i++) {
			ATF_CHECK_EQ_MSG(w[i].records, next[i],
			    "thread %d: %d records in the log, wrote %d", i,
			    next[i], w[i].records);
			writers += w[i].records > 0;
		}
		RL(rump_sys_close(fd));
		/* The threads ran at once: their records are interleaved,
		 * not in one block per thread (writers - 1 switches). */
		printf("log: %d records, %d switches between threads\n",
		    totalrec, switches);
		ATF_CHECK_MSG(switches >= 2 * writers, "the log switches "
		    "between threads only %d times (%d writers): the threads "
		    "did not run concurrently", switches, writers);
	}
	/* Every iteration was completed unless time ran out. */
	for (int i = 0; i < NTHREADS; i++)
		if (w[i].err[0] == '\0' && w[i].iters < ITERATIONS)
			printf("thread %d stopped by the time bound\n", i);
}

ATF_TC(mixed_ncpu1);
ATF_TC_HEAD(mixed_ncpu1, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "RUMP_NCPU=1: 4 threads in own processes + 4 lwps of one shared "
	    "process doing file work at once: no deadlock, consistent");
	atf_tc_set_md_var(tc, "timeout", "60");
}
ATF_TC_BODY(mixed_ncpu1, tc)
{
	run("1", false);
}

ATF_TC(mixed_ncpu4);
ATF_TC_HEAD(mixed_ncpu4, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "RUMP_NCPU=4: 4 threads in own processes + 4 lwps of one shared "
	    "process doing file work at once: no deadlock, consistent");
	atf_tc_set_md_var(tc, "timeout", "60");
}
ATF_TC_BODY(mixed_ncpu4, tc)
{
	run("4", false);
}

ATF_TC(unbound_ncpu4);
ATF_TC_HEAD(unbound_ncpu4, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "RUMP_NCPU=4: 8 unbound host threads (temporary lwps of the init "
	    "process, one descriptor table) doing file work at once");
	atf_tc_set_md_var(tc, "timeout", "60");
}
ATF_TC_BODY(unbound_ncpu4, tc)
{
	run("4", true);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, mixed_ncpu1);
	ATF_TP_ADD_TC(tp, mixed_ncpu4);
	ATF_TP_ADD_TC(tp, unbound_ncpu4);
	return atf_no_error();
}
