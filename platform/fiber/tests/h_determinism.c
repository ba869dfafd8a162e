/*
 * h_determinism: the workload of t_determinism, a program of its own so
 * that each run is a fresh exec (own address-space layout, own pid).
 *
 *   h_determinism TRACEFILE
 *
 * Run with RUMP_DETERMINISTIC=1 and RUMP_SEED=<n> in the environment.  It
 * boots the full kernel on the fiber platform and writes to TRACEFILE a
 * trace of everything that the platform's determinism should fix:
 *
 *   random ...      bytes from rumpuser_getrandom (the seed decides them)
 *   clock ...       readings of both clocks
 *   sleep K WANT GOT  one timed operation alone: the virtual clock must
 *                   have advanced by exactly WANT ns (GOT is what it did)
 *   phase B ...     threads sleeping concurrently: the phase must take
 *                   exactly as long as the longest thread's total
 *   T<i> ...        the interleaving of kernel work: several rump
 *                   processes and threads doing file operations, pipe
 *                   ping-pong and sleeps, each step with its results
 *                   (pids, inode numbers, sizes, timestamps, clock)
 *   D<i> ...        the interleaving of threads doing host file I/O
 *                   through the platform (rumpuser_iovwrite/_iovread on
 *                   TRACEFILE.data), whose completions must not depend
 *                   on the host's timing, with a sleeper beside them
 *   end             the run completed
 *
 * Nothing in the trace may depend on the host: no host pids, addresses,
 * or host time.  Exit status 0, or 2 on a usage error, 1 on a failure
 * (described on standard error and in the trace).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/types.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rump/rump.h>
#include <rump/rump_syscalls.h>
#include <rump/rumpuser.h>

#define MS	1000000LL

static FILE *trace;
static int failed;

static void __attribute__((__format__(__printf__, 1, 2)))
out(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(trace, fmt, ap);
	va_end(ap);
	fputc('\n', trace);
}

static void __attribute__((__format__(__printf__, 1, 2)))
fail(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "h_determinism: %s\n", msg);
	out("FAIL %s", msg);
	failed = 1;
}

static int64_t
clock_ns(int clk)
{
	int64_t sec;
	long nsec;
	int error;

	if ((error = rumpuser_clock_gettime(clk, &sec, &nsec)) != 0) {
		fail("clock_gettime(%d): %d", clk, error);
		return -1;
	}
	return sec * 1000000000LL + nsec;
}

static int64_t
mono(void)
{

	return clock_ns(RUMPUSER_CLOCK_ABSMONO);
}

static void
sleep_ns(int64_t ns)
{
	int error;

	error = rumpuser_clock_sleep(RUMPUSER_CLOCK_RELWALL, ns / 1000000000LL,
	    (long)(ns % 1000000000LL));
	if (error != 0)
		fail("clock_sleep(%lld): %d", (long long)ns, error);
}

static void
random_line(const char *what, size_t len, int flags)
{
	unsigned char buf[64];
	char hex[2 * sizeof(buf) + 1];
	size_t got = 0;
	int error;

	error = rumpuser_getrandom(buf, len, flags, &got);
	if (error != 0 || got != len) {
		fail("getrandom(%zu, %#x): error %d, %zu bytes", len, flags,
		    error, got);
		return;
	}
	for (size_t i = 0; i < got; i++)
		snprintf(hex + 2 * i, 3, "%02x", buf[i]);
	out("random %s %s", what, hex);
}

/*
 * Phase A: one thread, one timed operation at a time; each must move the
 * virtual clocks by exactly its length.
 */
static void
phase_a(void)
{
	struct rumpuser_mtx *mtx;
	struct rumpuser_cv *cv;
	int64_t t0, t1, w0, w1, target;
	int rv;

	out("clock mono %lld wall %lld", (long long)mono(),
	    (long long)clock_ns(RUMPUSER_CLOCK_RELWALL));

	w0 = clock_ns(RUMPUSER_CLOCK_RELWALL);
	t0 = mono();
	sleep_ns(250 * MS);
	t1 = mono();
	w1 = clock_ns(RUMPUSER_CLOCK_RELWALL);
	out("sleep relwall-mono %lld %lld", 250 * MS, (long long)(t1 - t0));
	out("sleep relwall-wall %lld %lld", 250 * MS, (long long)(w1 - w0));

	t0 = mono();
	target = t0 + 1234567;
	rv = rumpuser_clock_sleep(RUMPUSER_CLOCK_ABSMONO, target / 1000000000LL,
	    (long)(target % 1000000000LL));
	if (rv != 0)
		fail("ABSMONO sleep: %d", rv);
	t1 = mono();
	out("sleep absmono %lld %lld", 1234567LL, (long long)(t1 - t0));

	t0 = mono();
	sleep_ns(0);
	t1 = mono();
	out("sleep zero %lld %lld", 0LL, (long long)(t1 - t0));

	rumpuser_mutex_init(&mtx, RUMPUSER_MTX_KMUTEX);
	rumpuser_cv_init(&cv);
	rumpuser_mutex_enter(mtx);
	t0 = mono();
	rv = rumpuser_cv_timedwait(cv, mtx, 1, 5 * MS);
	t1 = mono();
	rumpuser_mutex_exit(mtx);
	if (rv != 60)
		fail("cv_timedwait returned %d, want ETIMEDOUT 60", rv);
	out("sleep timedwait %lld %lld", 1005 * MS, (long long)(t1 - t0));
	rumpuser_cv_destroy(cv);
	rumpuser_mutex_destroy(mtx);
}

/*
 * Phase B: threads that only sleep, concurrently.  Thread i sleeps
 * PB_STEPS times for pb_len(i, k).  Work takes no virtual time, so each
 * step ends exactly at the sum of the sleeps so far, and the phase at
 * the longest thread's total.
 */
#define PB_THREADS	5
#define PB_STEPS	8
static int64_t pb_start;

static int64_t
pb_len(int i, int k)
{

	return (int64_t)((i * 7 + k * 3) % 11 + 1) * MS;
}

static void *
pb_fn(void *arg)
{
	int i = (int)(intptr_t)arg;
	int64_t want = 0;

	for (int k = 0; k < PB_STEPS; k++) {
		sleep_ns(pb_len(i, k));
		want += pb_len(i, k);
		out("phase B t%d step %d at %lld want %lld", i, k,
		    (long long)(mono() - pb_start), (long long)want);
	}
	return NULL;
}

static void
phase_b(void)
{
	void *cookie[PB_THREADS];
	int64_t longest = 0;
	char name[16];

	pb_start = mono();
	for (int i = 0; i < PB_THREADS; i++) {
		int64_t sum = 0;

		for (int k = 0; k < PB_STEPS; k++)
			sum += pb_len(i, k);
		if (sum > longest)
			longest = sum;
		snprintf(name, sizeof(name), "pb%d", i);
		if (rumpuser_thread_create(pb_fn, (void *)(intptr_t)i, name, 1,
		    -1, -1, &cookie[i]) != 0)
			fail("thread_create %s", name);
	}
	for (int i = 0; i < PB_THREADS; i++)
		rumpuser_thread_join(cookie[i]);
	out("sleep phaseB %lld %lld", (long long)longest,
	    (long long)(mono() - pb_start));
}

/*
 * Phase C: kernel work.  NPROC rump processes; in each, two threads (the
 * creator's lwp and a second one made with newlwp), sharing the
 * process's descriptor table, do file operations with sleeps between the
 * steps.  Thread 0 and 1 (process 0) also play pipe ping-pong, which
 * blocks in the kernel.
 */
#define NPROC		3
#define NTHR		(2 * NPROC)
#define PC_STEPS	12

struct pc {
	int	 idx;
	int	 pid;		/* process (set by the even thread) */
	int	 pipefd[2][2];	/* process 0 only: 0->1 and 1->0 */
};

static struct pc pcs[NTHR];
static struct rumpuser_mtx *pc_mtx;
static struct rumpuser_cv *pc_cv;
static int pc_pids_ready;

static void
pc_step(struct pc *p, int k)
{
	char path[64], buf[512], back[512];
	struct stat st;
	ssize_t n;
	int fd;
	size_t len = 64 + (size_t)((p->idx * 37 + k * 53) % 400);

	snprintf(path, sizeof(path), "/p%d/t%d_%d", p->pid, p->idx, k);
	memset(buf, 'a' + (p->idx + k) % 26, len);
	fd = rump_sys_open(path, O_RDWR | O_CREAT | O_EXCL, 0640);
	if (fd == -1) {
		fail("T%d step %d: open %s: %d", p->idx, k, path, errno);
		return;
	}
	n = rump_sys_write(fd, buf, len);
	if (k % 3 == 0)
		rump_sys_fsync(fd);
	if (rump_sys_pread64(fd, back, len, 0) != (ssize_t)len ||
	    memcmp(buf, back, len) != 0)
		fail("T%d step %d: read back %s", p->idx, k, path);
	if (rump_sys_fstat(fd, &st) == -1)
		fail("T%d step %d: fstat: %d", p->idx, k, errno);
	rump_sys_close(fd);
	out("T%d step %d pid %d write %zd ino %llu size %lld mtime %lld.%09ld "
	    "clk %lld", p->idx, k, rump_sys_getpid(), n,
	    (unsigned long long)st.st_ino, (long long)st.st_size,
	    (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
	    (long long)mono());
	if (k % 4 == 3) {
		char to[64];

		snprintf(to, sizeof(to), "/p%d/r%d_%d", p->pid, p->idx, k);
		if (rump_sys_rename(path, to) == -1)
			fail("T%d: rename: %d", p->idx, errno);
	} else if (k % 4 == 1) {
		if (rump_sys_unlink(path) == -1)
			fail("T%d: unlink: %d", p->idx, errno);
	}

	/* Pipe ping-pong inside process 0. */
	if (p->idx < 2) {
		char c = (char)('A' + k), r = 0;
		int me = p->idx;

		if (me == 0) {
			rump_sys_write(pcs[0].pipefd[0][1], &c, 1);
			n = rump_sys_read(pcs[0].pipefd[1][0], &r, 1);
		} else {
			n = rump_sys_read(pcs[0].pipefd[0][0], &r, 1);
			rump_sys_write(pcs[0].pipefd[1][1], &r, 1);
		}
		out("T%d step %d pipe %zd '%c' clk %lld", me, k, n, r ? r : '?',
		    (long long)mono());
	}
	sleep_ns((int64_t)((p->idx * 3 + k * 5) % 7) * MS + 100000);
}

static void *
pc_fn(void *arg)
{
	struct pc *p = arg;
	char dir[32];
	int error;

	if (p->idx % 2 == 0) {
		/* The first thread of a process makes it. */
		if ((error = rump_lwproc_rfork(RUMP_RFFDG)) != 0) {
			fail("T%d: rfork: %d", p->idx, error);
			return NULL;
		}
		p->pid = rump_sys_getpid();
		snprintf(dir, sizeof(dir), "/p%d", p->pid);
		if (rump_sys_mkdir(dir, 0755) == -1)
			fail("T%d: mkdir %s: %d", p->idx, dir, errno);
		if (p->idx == 0 && (rump_sys_pipe2(p->pipefd[0], 0) == -1 ||
		    rump_sys_pipe2(p->pipefd[1], 0) == -1))
			fail("T0: pipe2: %d", errno);
		rumpuser_mutex_enter_nowrap(pc_mtx);
		pcs[p->idx + 1].pid = p->pid;
		pc_pids_ready++;
		rumpuser_cv_broadcast(pc_cv);
		rumpuser_mutex_exit(pc_mtx);
	} else {
		rumpuser_mutex_enter_nowrap(pc_mtx);
		while (pcs[p->idx].pid == 0)
			rumpuser_cv_wait_nowrap(pc_cv, pc_mtx);
		rumpuser_mutex_exit(pc_mtx);
		if ((error = rump_lwproc_newlwp(p->pid)) != 0) {
			fail("T%d: newlwp(%d): %d", p->idx, p->pid, error);
			return NULL;
		}
	}
	out("T%d start pid %d clk %lld", p->idx, rump_sys_getpid(),
	    (long long)mono());
	for (int k = 0; k < PC_STEPS; k++)
		pc_step(p, k);
	rump_lwproc_releaselwp();
	return NULL;
}

static void
phase_c(void)
{
	void *cookie[NTHR];
	char name[16];

	rumpuser_mutex_init(&pc_mtx, 0);
	rumpuser_cv_init(&pc_cv);
	for (int i = 0; i < NTHR; i++) {
		pcs[i].idx = i;
		snprintf(name, sizeof(name), "pc%d", i);
		if (rumpuser_thread_create(pc_fn, &pcs[i], name, 1, -1, -1,
		    &cookie[i]) != 0)
			fail("thread_create %s", name);
	}
	for (int i = 0; i < NTHR; i++)
		rumpuser_thread_join(cookie[i]);

	/* What the file system holds afterwards, in directory order. */
	for (int i = 0; i < NTHR; i += 2) {
		char dir[32], buf[4096];
		ssize_t n;
		int fd;

		snprintf(dir, sizeof(dir), "/p%d", pcs[i].pid);
		fd = rump_sys_open(dir, O_RDONLY | O_DIRECTORY);
		if (fd == -1) {
			fail("open %s: %d", dir, errno);
			continue;
		}
		while ((n = rump_sys_getdents64(fd, buf, sizeof(buf))) > 0)
			for (ssize_t o = 0; o < n;) {
				struct {
					uint64_t ino;
					int64_t off;
					unsigned short reclen;
					unsigned char type;
					char name[];
				} *d = (void *)(buf + o);

				out("dir %s %s ino %llu", dir, d->name,
				    (unsigned long long)d->ino);
				o += d->reclen;
			}
		rump_sys_close(fd);
	}
}

/*
 * Phase D: host I/O through the platform.  Two threads write and read
 * back blocks of a host file at their own offsets; a third sleeps in
 * small steps.  Outside deterministic mode the completions' timing
 * decides the interleaving; inside, it must not.
 */
#define PD_STEPS	16
#define PD_BLOCK	4096
static int pd_fd = -1;

static void *
pd_io(void *arg)
{
	int i = (int)(intptr_t)arg, error;
	static char wbuf[2][PD_BLOCK], rbuf[2][PD_BLOCK];
	struct rumpuser_iovec iov;
	size_t got;

	for (int k = 0; k < PD_STEPS; k++) {
		int64_t off = (int64_t)(k * 2 + i) * PD_BLOCK;

		memset(wbuf[i], 'A' + (i * 5 + k) % 26, PD_BLOCK);
		iov.iov_base = wbuf[i];
		iov.iov_len = PD_BLOCK;
		error = rumpuser_iovwrite(pd_fd, &iov, 1, off, &got);
		if (error != 0 || got != PD_BLOCK)
			fail("D%d step %d: iovwrite: %d, %zu", i, k, error, got);
		out("D%d step %d wrote %zu clk %lld", i, k, got,
		    (long long)mono());
		iov.iov_base = rbuf[i];
		error = rumpuser_iovread(pd_fd, &iov, 1, off, &got);
		if (error != 0 || got != PD_BLOCK ||
		    memcmp(rbuf[i], wbuf[i], PD_BLOCK) != 0)
			fail("D%d step %d: iovread: %d, %zu", i, k, error, got);
		out("D%d step %d read %zu '%c' clk %lld", i, k, got, rbuf[i][0],
		    (long long)mono());
		if (k % 5 == 4 && (error = rumpuser_syncfd(pd_fd,
		    RUMPUSER_SYNCFD_WRITE, 0, 0)) != 0)
			fail("D%d: syncfd: %d", i, error);
	}
	return NULL;
}

static void *
pd_sleeper(void *arg)
{

	(void)arg;
	for (int k = 0; k < PD_STEPS; k++) {
		sleep_ns(50000);
		out("D2 step %d slept clk %lld", k, (long long)mono());
	}
	return NULL;
}

static void
phase_d(const char *tracefile)
{
	char path[1024];
	void *cookie[3];
	int error;

	snprintf(path, sizeof(path), "%s.data", tracefile);
	error = rumpuser_open(path, RUMPUSER_OPEN_RDWR | RUMPUSER_OPEN_CREATE,
	    &pd_fd);
	if (error != 0) {
		fail("rumpuser_open %s: %d", path, error);
		return;
	}
	for (int i = 0; i < 3; i++)
		if (rumpuser_thread_create(i < 2 ? pd_io : pd_sleeper,
		    (void *)(intptr_t)i, "pd", 1, -1, -1, &cookie[i]) != 0)
			fail("thread_create pd%d", i);
	for (int i = 0; i < 3; i++)
		rumpuser_thread_join(cookie[i]);
	rumpuser_close(pd_fd);
}

int
main(int argc, char **argv)
{
	int error;

	if (argc != 2) {
		fprintf(stderr, "usage: h_determinism TRACEFILE\n");
		return 2;
	}
	if ((trace = fopen(argv[1], "w")) == NULL) {
		perror(argv[1]);
		return 2;
	}
	if ((error = rump_init()) != 0) {
		fail("rump_init: %d", error);
		fclose(trace);
		return 1;
	}
	random_line("first", 32, 0);
	random_line("hard", 16, RUMPUSER_RANDOM_HARD | RUMPUSER_RANDOM_NOWAIT);
	phase_a();
	phase_b();
	phase_c();
	phase_d(argv[1]);
	random_line("last", 32, 0);
	out("clock mono %lld wall %lld", (long long)mono(),
	    (long long)clock_ns(RUMPUSER_CLOCK_RELWALL));
	out("end");
	fclose(trace);
	return failed;
}
