/*
 * t_fdtable.c: one descriptor table used by several threads at once.
 *
 * Reads and writes look descriptors up without a lock, and closes take
 * none either (vfs_descriptor.c), so these cases race them against each
 * other on several virtual CPUs: readers pread through descriptor
 * numbers that other threads close, dup2 over and reopen; a thread forks
 * the process meanwhile; the table grows under readers; threads open up
 * to the descriptor limit together.  Every file has its own content, so
 * a read that went through a stale or reused slot, or a freed file,
 * shows up as a wrong byte (or as a crash, or an ASan/TSan report in the
 * sanitized runs).  Afterwards the table must hold exactly what it
 * should, and open() must give the lowest free number again.
 *
 * Each thread does a fixed number of operations (no time bounds); on
 * the fiber platform, whose threads take turns, the same code runs with
 * less overlap.
 */
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <atf-c.h>

#include <rump/rump.h>
#include <rump/rump_syscalls.h>
#include <rump/rumpuser.h>

#include "h_rumptest.h"

#define FD_LIMIT	1024
#define NHOT		4	/* descriptor numbers fought over */
#define HOT0		40	/* the first of them (past FD_INITIAL) */
#define NVER		4	/* files that may be at each of them */
#define FILESIZE	512
#define MAXTHREADS	8

/* The content of file (h, k): FILESIZE bytes of this value. */
static unsigned char
content(int h, int k)
{

	return (unsigned char)(0x10 * (h + 1) + k);
}

static void
mkfiles(void)
{
	unsigned char buf[FILESIZE];
	char path[32];
	int fd;

	for (int h = 0; h < NHOT; h++) {
		for (int k = 0; k < NVER; k++) {
			snprintf(path, sizeof(path), "/f%d_%d", h, k);
			memset(buf, content(h, k), sizeof(buf));
			fd = (int)RL(rump_sys_open(path,
			    O_WRONLY | O_CREAT | O_TRUNC, 0644));
			ATF_REQUIRE_EQ(FILESIZE,
			    RL(rump_sys_write(fd, buf, sizeof(buf))));
			RL(rump_sys_close(fd));
		}
	}
}

struct worker {
	int		 idx;
	int		 pid;		/* the process to work in */
	int		 iters;
	int		 done;		/* iterations completed */
	unsigned	 rnd;
	char		 err[256];	/* first failure, "" if none */
	/* grow_while_reading */
	int		 opened;
	int		 fds[FD_LIMIT];
};

#define fail(w, ...) rt_first_error((w)->err, sizeof((w)->err), __VA_ARGS__)

static unsigned
rnd(struct worker *w)
{

	w->rnd ^= w->rnd << 13;
	w->rnd ^= w->rnd >> 17;
	w->rnd ^= w->rnd << 5;
	return w->rnd;
}

/*
 * Reads fd, which holds one of the files of hot number h (h < 0: of any
 * hot number), or is closed when mayclose.  False (and w->err) when it
 * read anything else.
 */
static bool
checkfd(struct worker *w, int fd, int h, bool mayclose)
{
	unsigned char buf[FILESIZE];
	ssize_t n;
	int v;

	n = rump_sys_pread64(fd, buf, sizeof(buf), 0);
	if (n == -1) {
		if (mayclose && rt_errno() == EBADF)
			return true;
		fail(w, "pread(%d): errno %d", fd, rt_errno());
		return false;
	}
	if (n != FILESIZE) {
		fail(w, "pread(%d): %zd bytes", fd, n);
		return false;
	}
	v = buf[0];
	for (int i = 1; i < FILESIZE; i++) {
		if (buf[i] != v) {
			fail(w, "fd %d: byte %d is %#x, byte 0 %#x: two "
			    "files' bytes", fd, i, buf[i], v);
			return false;
		}
	}
	if (v < content(0, 0) || v % 0x10 >= NVER ||
	    v >= content(NHOT, 0) || (h >= 0 && v / 0x10 != h + 1)) {
		fail(w, "fd %d (hot %d): read a file of content %#x", fd, h,
		    v);
		return false;
	}
	return true;
}

/* Puts file (h, k) at hot number h, by one of the ways there are. */
static bool
churn_one(struct worker *w)
{
	char path[32];
	int h = (int)(rnd(w) % NHOT), k = (int)(rnd(w) % NVER);
	int hot = HOT0 + h, fd, r;
	bool cloexec;

	switch (rnd(w) % 4) {
	case 0:
		/* Closed, then maybe another thread reopens it. */
		if (rump_sys_close(hot) == -1 && rt_errno() != EBADF) {
			fail(w, "close(%d): errno %d", hot, rt_errno());
			return false;
		}
		return true;
	case 1:
	case 2:
		snprintf(path, sizeof(path), "/f%d_%d", h, k);
		fd = (int)rump_sys_open(path, O_RDONLY);
		if (fd == -1) {
			fail(w, "open %s: errno %d", path, rt_errno());
			return false;
		}
		if (fd >= HOT0) {
			fail(w, "open %s gave %d: lower numbers were free",
			    path, fd);
			return false;
		}
		/* dup2 over an open descriptor replaces its file at once
		 * for every reader; dup3 also sets close-on-exec. */
		cloexec = (rnd(w) & 1) != 0;
		r = cloexec ? rump_sys_dup3(fd, hot, O_CLOEXEC) :
		    rump_sys_dup2(fd, hot);
		if (r != hot) {
			fail(w, "dup to %d: %d errno %d", hot, r, rt_errno());
			return false;
		}
		if (!checkfd(w, fd, h, false))
			return false;
		if (rump_sys_close(fd) == -1) {
			fail(w, "close(%d): errno %d", fd, rt_errno());
			return false;
		}
		/* Another thread may have replaced or closed hot since. */
		r = rump_sys_fcntl(hot, F_GETFD);
		if (r == -1 && rt_errno() != EBADF) {
			fail(w, "F_GETFD(%d): errno %d", hot, rt_errno());
			return false;
		}
		return true;
	default:
		/* A plain open and close: lowest numbers, no hot one. */
		fd = (int)rump_sys_open("/f0_0", O_RDONLY);
		if (fd == -1 || fd >= HOT0) {
			fail(w, "open /f0_0: %d errno %d", fd, rt_errno());
			return false;
		}
		if (!checkfd(w, fd, 0, false))
			return false;
		if (rump_sys_close(fd) == -1) {
			fail(w, "close(%d): errno %d", fd, rt_errno());
			return false;
		}
		return true;
	}
}

static bool
read_one(struct worker *w)
{
	int h = (int)(rnd(w) % NHOT);

	return checkfd(w, HOT0 + h, h, true);
}

/* The forker's turn: a copy of the table while the others churn; every
 * descriptor of the child is closed or holds a file it may hold, and the
 * child's exit drops exactly the references the copy took. */
static bool
fork_one(struct worker *w)
{
	struct lwp *self = rump_lwproc_curlwp();
	bool ok = true;
	int error;

	error = rump_lwproc_rfork(RUMP_RFFDG);
	if (error != 0) {
		fail(w, "rfork: %d", error);
		return false;
	}
	for (int fd = 0; fd < HOT0 + NHOT && ok; fd++)
		ok = checkfd(w, fd, fd >= HOT0 ? fd - HOT0 : -1, true);
	rump_lwproc_releaselwp();
	rump_lwproc_switch(self);
	return ok;
}

enum role { READER, CHURNER, FORKER };

static enum role
role_of(const struct worker *w, int nforkers)
{

	if (w->idx < nforkers)
		return FORKER;
	return w->idx % 2 == 0 ? READER : CHURNER;
}

static int race_nforkers;

static void *
race_main(void *arg)
{
	struct worker *w = arg;
	enum role role = role_of(w, race_nforkers);
	bool ok = true;
	int error;

	error = rump_lwproc_newlwp(w->pid);
	if (error != 0) {
		fail(w, "newlwp(%d): %d", w->pid, error);
		return NULL;
	}
	for (int i = 0; i < w->iters && ok; i++) {
		switch (role) {
		case READER:
			ok = read_one(w);
			break;
		case CHURNER:
			ok = churn_one(w);
			break;
		case FORKER:
			/* Forks are slow: one every few rounds. */
			ok = i % 16 != 0 || fork_one(w);
			if (ok)
				ok = read_one(w);
			break;
		}
		w->done += ok;
	}
	rump_lwproc_releaselwp();
	return NULL;
}

/* The lowest descriptor not open in the calling process. */
static int
lowest_free(void)
{

	for (int fd = 0; fd < FD_LIMIT; fd++)
		if (rump_sys_fcntl(fd, F_GETFD) == -1)
			return fd;
	return FD_LIMIT;
}

/*
 * Starts nthreads workers (the first nforkers of them fork) in a new
 * process with the hot numbers open, waits for them, then checks the
 * table: only the hot numbers may be open, each with one of its files,
 * and open() gives the lowest free number.
 */
static void
race(int nthreads, int nforkers, int iters)
{
	static struct worker w[MAXTHREADS];
	void *cookie[MAXTHREADS];
	char name[16];
	int pid, fd, error;

	ATF_REQUIRE_EQ(0, setenv("RUMP_NCPU", "4", 1));
	boot();
	mkfiles();
	error = rump_lwproc_rfork(RUMP_RFCFDG);
	ATF_REQUIRE_EQ_MSG(0, error, "rfork: %d", error);
	pid = rump_sys_getpid();
	for (int h = 0; h < NHOT; h++) {
		snprintf(name, sizeof(name), "/f%d_0", h);
		fd = (int)RL(rump_sys_open(name, O_RDONLY));
		ATF_REQUIRE_EQ(HOT0 + h, RL(rump_sys_dup2(fd, HOT0 + h)));
		RL(rump_sys_close(fd));
	}

	race_nforkers = nforkers;
	for (int i = 0; i < nthreads; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].idx = i;
		w[i].pid = pid;
		w[i].iters = iters;
		w[i].rnd = 2463534242u + 7919u * (unsigned)i;
		snprintf(name, sizeof(name), "race%d", i);
		cookie[i] = rt_thread_start(race_main, &w[i], name);
	}
	for (int i = 0; i < nthreads; i++)
		rt_thread_join(cookie[i]);
	for (int i = 0; i < nthreads; i++) {
		ATF_CHECK_MSG(w[i].err[0] == '\0', "thread %d: %s", i,
		    w[i].err);
		ATF_CHECK_EQ_MSG(iters, w[i].done, "thread %d did %d of %d",
		    i, w[i].done, iters);
	}

	/* Nothing but the hot numbers is open, and those right. */
	for (fd = 0; fd < HOT0 + NHOT + 8; fd++) {
		if (fd >= HOT0 && fd < HOT0 + NHOT) {
			ATF_CHECK(checkfd(&w[0], fd, fd - HOT0, true));
			continue;
		}
		ERR(EBADF, rump_sys_fcntl(fd, F_GETFD));
	}
	ATF_CHECK_MSG(w[0].err[0] == '\0', "afterwards: %s", w[0].err);
	/* The free-slot hint survived the closes racing the opens. */
	ATF_CHECK_EQ(0, RL(rump_sys_open("/f0_0", O_RDONLY)));
	ATF_CHECK_EQ(1, RL(rump_sys_open("/f0_0", O_RDONLY)));
	for (int h = 0; h < NHOT; h++)
		(void)rump_sys_close(HOT0 + h);
	ATF_CHECK_EQ(2, lowest_free());
	RL(rump_sys_close(0));
	RL(rump_sys_close(1));
	ATF_CHECK_EQ(0, lowest_free());
}

ATF_TC(read_close_dup2);
ATF_TC_HEAD(read_close_dup2, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "Threads of one process read through descriptors that others "
	    "close, dup2 over and reopen at once: every read sees one whole "
	    "file that may be there; afterwards nothing leaked and the "
	    "lowest free number comes first");
	atf_tc_set_md_var(tc, "timeout", "120");
}
ATF_TC_BODY(read_close_dup2, tc)
{

	race(6, 0, 20000);
}

ATF_TC(fork_while_closing);
ATF_TC_HEAD(fork_while_closing, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "A thread forks its process (copying the table) while others "
	    "close, dup2 and reopen descriptors: the child sees closed "
	    "descriptors or right files, and its exit drops only the "
	    "references the copy took");
	atf_tc_set_md_var(tc, "timeout", "120");
}
ATF_TC_BODY(fork_while_closing, tc)
{

	race(5, 1, 10000);
}

/* grow_while_reading: readers of fd 0 and 1 while another lwp makes the
 * table grow, step by step up to the limit, then closes it all. */
static void *
grow_reader_main(void *arg)
{
	struct worker *w = arg;
	int error;

	error = rump_lwproc_newlwp(w->pid);
	if (error != 0) {
		fail(w, "newlwp(%d): %d", w->pid, error);
		return NULL;
	}
	for (int i = 0; i < w->iters; i++)
		if (!checkfd(w, i & 1, i & 1, false))
			break;
	rump_lwproc_releaselwp();
	return NULL;
}

/* Opens until EMFILE, into w->fds; the limit test counts them. */
static void *
opener_main(void *arg)
{
	struct worker *w = arg;
	int error, fd;

	error = rump_lwproc_newlwp(w->pid);
	if (error != 0) {
		fail(w, "newlwp(%d): %d", w->pid, error);
		return NULL;
	}
	for (;;) {
		fd = (int)rump_sys_open("/f2_1", O_RDONLY);
		if (fd == -1) {
			if (rt_errno() != EMFILE)
				fail(w, "open: errno %d", rt_errno());
			break;
		}
		if (w->opened == FD_LIMIT) {
			fail(w, "more than %d descriptors", FD_LIMIT);
			break;
		}
		w->fds[w->opened++] = fd;
	}
	rump_lwproc_releaselwp();
	return NULL;
}

static void *
closer_main(void *arg)
{
	struct worker *w = arg;
	int error;

	error = rump_lwproc_newlwp(w->pid);
	if (error != 0) {
		fail(w, "newlwp(%d): %d", w->pid, error);
		return NULL;
	}
	for (int i = 0; i < w->opened; i++) {
		if (!checkfd(w, w->fds[i], 2, false))
			break;
		if (rump_sys_close(w->fds[i]) == -1) {
			fail(w, "close(%d): errno %d", w->fds[i], rt_errno());
			break;
		}
	}
	rump_lwproc_releaselwp();
	return NULL;
}

ATF_TC(grow_and_limit);
ATF_TC_HEAD(grow_and_limit, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "Several threads open until EMFILE while others read through "
	    "fd 0 and 1, in fresh processes whose tables grow meanwhile: "
	    "the reads stay right, exactly the limit is reached with no "
	    "number twice, and after closing everything (concurrently) "
	    "the lowest numbers come first again");
	atf_tc_set_md_var(tc, "timeout", "120");
}
ATF_TC_BODY(grow_and_limit, tc)
{
	enum { NOPEN = 3, NREAD = 2, ROUNDS = 6 };
	static struct worker w[NOPEN + NREAD];
	static bool seen[FD_LIMIT];
	void *cookie[NOPEN + NREAD];
	struct lwp *top;
	int pid, total, fd, error;

	ATF_REQUIRE_EQ(0, setenv("RUMP_NCPU", "4", 1));
	boot();
	mkfiles();
	top = rump_lwproc_curlwp();
	for (int round = 0; round < ROUNDS; round++) {
		/* A fresh table, of the initial size. */
		error = rump_lwproc_rfork(RUMP_RFCFDG);
		ATF_REQUIRE_EQ_MSG(0, error, "rfork: %d", error);
		pid = rump_sys_getpid();
		ATF_REQUIRE_EQ(0, RL(rump_sys_open("/f0_0", O_RDONLY)));
		ATF_REQUIRE_EQ(1, RL(rump_sys_open("/f1_1", O_RDONLY)));

		for (int i = 0; i < NOPEN + NREAD; i++) {
			memset(&w[i], 0, sizeof(w[i]));
			w[i].idx = i;
			w[i].pid = pid;
			w[i].iters = 3000;
			cookie[i] = rt_thread_start(i < NOPEN ? opener_main :
			    grow_reader_main, &w[i], "grow");
		}
		for (int i = 0; i < NOPEN + NREAD; i++)
			rt_thread_join(cookie[i]);
		total = 0;
		memset(seen, 0, sizeof(seen));
		for (int i = 0; i < NOPEN + NREAD; i++) {
			ATF_REQUIRE_MSG(w[i].err[0] == '\0', "round %d thread "
			    "%d: %s", round, i, w[i].err);
			for (int j = 0; j < w[i].opened; j++) {
				fd = w[i].fds[j];
				ATF_REQUIRE_MSG(fd >= 2 && fd < FD_LIMIT &&
				    !seen[fd], "round %d: fd %d given twice "
				    "or out of range", round, fd);
				seen[fd] = true;
			}
			total += w[i].opened;
		}
		ATF_REQUIRE_EQ_MSG(FD_LIMIT - 2, total, "round %d: %d "
		    "descriptors opened up to EMFILE, want %d", round, total,
		    FD_LIMIT - 2);

		/* Closed by as many threads, while the readers go on. */
		for (int i = 0; i < NOPEN + NREAD; i++)
			cookie[i] = rt_thread_start(i < NOPEN ? closer_main :
			    grow_reader_main, &w[i], "close");
		for (int i = 0; i < NOPEN + NREAD; i++)
			rt_thread_join(cookie[i]);
		for (int i = 0; i < NOPEN + NREAD; i++)
			ATF_REQUIRE_MSG(w[i].err[0] == '\0', "round %d thread "
			    "%d: %s", round, i, w[i].err);
		ATF_REQUIRE_EQ(2, lowest_free());
		ATF_REQUIRE_EQ(2, RL(rump_sys_open("/f0_0", O_RDONLY)));
		rump_lwproc_releaselwp();
		rump_lwproc_switch(top);
	}
}

/* lowest_first: opens and closes racing in one table, then a look
 * whether open() still finds the lowest free number. */
static void *
openclose_main(void *arg)
{
	struct worker *w = arg;
	int error, fd[2];

	error = rump_lwproc_newlwp(w->pid);
	if (error != 0) {
		fail(w, "newlwp(%d): %d", w->pid, error);
		return NULL;
	}
	for (int i = 0; i < w->iters; i++) {
		/* Two at a time, closed in either order, so that closes
		 * of numbers below other threads' opens are common. */
		for (int j = 0; j < 2; j++) {
			fd[j] = (int)rump_sys_open("/f3_3", O_RDONLY);
			if (fd[j] == -1) {
				fail(w, "open: errno %d", rt_errno());
				goto out;
			}
		}
		for (int j = 0; j < 2; j++) {
			if (rump_sys_close(fd[(i + j) & 1]) == -1) {
				fail(w, "close(%d): errno %d", fd[(i + j) & 1],
				    rt_errno());
				goto out;
			}
		}
	}
out:
	rump_lwproc_releaselwp();
	return NULL;
}

ATF_TC(lowest_first);
ATF_TC_HEAD(lowest_first, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "Threads of one process open and close at once, round after "
	    "round; after each round open() gives the lowest free number "
	    "(a close racing an open must not be left below the table's "
	    "free-slot hint)");
	atf_tc_set_md_var(tc, "timeout", "120");
}
ATF_TC_BODY(lowest_first, tc)
{
	enum { NTHR = 4, ROUNDS = 100 };
	static struct worker w[NTHR];
	void *cookie[NTHR];
	int pid, error, fd;

	ATF_REQUIRE_EQ(0, setenv("RUMP_NCPU", "4", 1));
	boot();
	mkfiles();
	error = rump_lwproc_rfork(RUMP_RFCFDG);
	ATF_REQUIRE_EQ_MSG(0, error, "rfork: %d", error);
	pid = rump_sys_getpid();
	for (int round = 0; round < ROUNDS; round++) {
		for (int i = 0; i < NTHR; i++) {
			memset(&w[i], 0, sizeof(w[i]));
			w[i].pid = pid;
			w[i].iters = 200;
			cookie[i] = rt_thread_start(openclose_main, &w[i],
			    "openclose");
		}
		for (int i = 0; i < NTHR; i++)
			rt_thread_join(cookie[i]);
		for (int i = 0; i < NTHR; i++)
			ATF_REQUIRE_MSG(w[i].err[0] == '\0', "round %d "
			    "thread %d: %s", round, i, w[i].err);
		fd = (int)RL(rump_sys_open("/f3_3", O_RDONLY));
		ATF_REQUIRE_EQ_MSG(0, fd, "round %d: open gave %d, 0 is "
		    "free", round, fd);
		RL(rump_sys_close(fd));
	}
}

ATF_TC(flags_per_use);
ATF_TC_HEAD(flags_per_use, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "Close-on-exec belongs to one use of a descriptor number: a "
	    "number closed (or dup2'd over) and used again has the new "
	    "use's flag, in the process and in a fork's copy");
}
ATF_TC_BODY(flags_per_use, tc)
{
	static struct worker w0;
	struct lwp *parent;
	int fd, error;

	boot();
	mkfiles();
	error = rump_lwproc_rfork(RUMP_RFCFDG);
	ATF_REQUIRE_EQ_MSG(0, error, "rfork: %d", error);
	fd = (int)RL(rump_sys_open("/f0_0", O_RDONLY | O_CLOEXEC));
	ATF_REQUIRE_EQ(FD_CLOEXEC, RL(rump_sys_fcntl(fd, F_GETFD)));
	RL(rump_sys_close(fd));
	ATF_REQUIRE_EQ(fd, RL(rump_sys_open("/f0_1", O_RDONLY)));
	ATF_REQUIRE_EQ(0, RL(rump_sys_fcntl(fd, F_GETFD)));
	/* dup2 onto a close-on-exec number: the new use has none. */
	ATF_REQUIRE_EQ(10, RL(rump_sys_dup3(fd, 10, O_CLOEXEC)));
	ATF_REQUIRE_EQ(FD_CLOEXEC, RL(rump_sys_fcntl(10, F_GETFD)));
	ATF_REQUIRE_EQ(10, RL(rump_sys_dup2(fd, 10)));
	ATF_REQUIRE_EQ(0, RL(rump_sys_fcntl(10, F_GETFD)));
	RL(rump_sys_fcntl(fd, F_SETFD, FD_CLOEXEC));
	/* The fork's copy: each number's flag, and only open numbers. */
	parent = rump_lwproc_curlwp();
	error = rump_lwproc_rfork(RUMP_RFFDG);
	ATF_REQUIRE_EQ_MSG(0, error, "rfork: %d", error);
	ATF_CHECK_EQ(FD_CLOEXEC, rump_sys_fcntl(fd, F_GETFD));
	ATF_CHECK_EQ(0, rump_sys_fcntl(10, F_GETFD));
	ATF_CHECK_EQ(1, lowest_free());
	ERR(EBADF, rump_sys_fcntl(11, F_GETFD));
	rump_lwproc_releaselwp();
	rump_lwproc_switch(parent);
	ATF_CHECK_EQ(FD_CLOEXEC, rump_sys_fcntl(fd, F_GETFD));
	ATF_CHECK_MSG(checkfd(&w0, 10, 0, false), "%s", w0.err);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, read_close_dup2);
	ATF_TP_ADD_TC(tp, fork_while_closing);
	ATF_TP_ADD_TC(tp, grow_and_limit);
	ATF_TP_ADD_TC(tp, lowest_first);
	ATF_TP_ADD_TC(tp, flags_per_use);
	return atf_no_error();
}
