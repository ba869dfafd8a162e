/*
 * t_fs_concurrent.c: several threads on several virtual CPUs working on
 * one mount at once (tmpfs, ext2, FAT32, FAT16): creating, writing, renaming and
 * unlinking in directories of their own and in a shared one; renaming
 * files and directories between two directories in opposite directions
 * (the lock order of a rename between directories, vfs_vnlock.c); two
 * threads each trying to move one directory into the other (the
 * ancestor check: at most one may win).  Afterwards every file must
 * read back byte-exact, nothing else may exist, and the image must pass
 * e2fsck -fn / fsck.fat -n, also after a remount.
 *
 * Bounded: a fixed number of rounds per thread (T_FS_CONCURRENT_ROUNDS
 * in the environment makes a longer run); a deadlock would hang the
 * case, which Kyua ends at its timeout.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <atf-c.h>

#include <rump/rump.h>
#include <rump/rump_etfs.h>
#include <rump/rump_syscalls.h>

#include "h_rumptest.h"

#define NTHREADS	4
#define MNT		"/mnt"
#define KEY		"/dev/disk0"
#define IMG		"conc.img"
#define MAXSIZE		20000
#define MAXFILES	16384

/* What one thread expects to exist when it is done. */
struct tfile {
	char		path[160];
	unsigned	seed;
	size_t		size;
	bool		live;
};

struct worker {
	int		 id;
	int		 rounds;
	struct tfile	*files;
	int		 nfiles;
	char		 err[256];	/* first failure, "" if none */
	int		 ancestor_wins;
};

static void
pattern(unsigned char *buf, size_t len, unsigned seed)
{
	uint32_t x = seed * 2654435761u + 7;

	for (size_t i = 0; i < len; i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (unsigned char)(x >> 16);
	}
}

#define werr(w, ...) rt_first_error((w)->err, sizeof((w)->err), __VA_ARGS__)

static struct tfile *
tf_add(struct worker *w, const char *path, unsigned seed, size_t size)
{
	struct tfile *f;

	if (w->nfiles == MAXFILES) {
		werr(w, "more than %d files: fewer rounds", MAXFILES);
		return NULL;
	}
	f = &w->files[w->nfiles++];
	snprintf(f->path, sizeof(f->path), "%s", path);
	f->seed = seed;
	f->size = size;
	f->live = true;
	return f;
}

static struct tfile *
tf_find(struct worker *w, const char *path)
{
	for (int i = 0; i < w->nfiles; i++)
		if (w->files[i].live && strcmp(w->files[i].path, path) == 0)
			return &w->files[i];
	return NULL;
}

/* Writes a new file in two pieces (write, then pwrite past a seek). */
static bool
mkfile(struct worker *w, const char *path, unsigned seed, size_t size)
{
	unsigned char buf[MAXSIZE];
	size_t half = size / 2;
	int fd;

	pattern(buf, size, seed);
	fd = rump_sys_open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd == -1) {
		werr(w, "create %s: %s", path, strerror(errno));
		return false;
	}
	if (rump_sys_write(fd, buf, half) != (ssize_t)half ||
	    rump_sys_pwrite64(fd, buf + half, size - half, (off_t)half) !=
	    (ssize_t)(size - half)) {
		werr(w, "write %s: %s", path, strerror(errno));
		rump_sys_close(fd);
		return false;
	}
	if (rump_sys_close(fd) == -1) {
		werr(w, "close %s: %s", path, strerror(errno));
		return false;
	}
	return tf_add(w, path, seed, size) != NULL;
}

static bool
mvfile(struct worker *w, const char *from, const char *to)
{
	struct tfile *f = tf_find(w, from);

	if (rump_sys_rename(from, to) == -1) {
		werr(w, "rename %s %s: %s", from, to, strerror(errno));
		return false;
	}
	if (f != NULL)
		snprintf(f->path, sizeof(f->path), "%s", to);
	return true;
}

/* Moves a directory's model entries (prefix from/ -> to/). */
static void
tf_movedir(struct worker *w, const char *from, const char *to)
{
	size_t n = strlen(from), tn = strlen(to), rest;
	char tmp[sizeof(w->files[0].path)];

	for (int i = 0; i < w->nfiles; i++) {
		struct tfile *f = &w->files[i];

		if (f->live && strncmp(f->path, from, n) == 0 &&
		    f->path[n] == '/') {
			rest = strlen(f->path + n);
			if (tn + rest >= sizeof(tmp))
				continue;	/* never: paths are short */
			memcpy(tmp, to, tn);
			memcpy(tmp + tn, f->path + n, rest + 1);
			memcpy(f->path, tmp, tn + rest + 1);
		}
	}
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	char p[160], q[160], dx[64], dy[64];
	int t = w->id, k;
	const char *home = (t % 2) == 0 ? MNT "/x" : MNT "/y";
	const char *away = (t % 2) == 0 ? MNT "/y" : MNT "/x";
	bool dir_home = true;
	size_t size;

	/* A file and a directory (with a file in it) that travel between
	 * x and y: even threads start in x, odd ones in y. */
	snprintf(p, sizeof(p), "%s/m%d", home, t);
	if (!mkfile(w, p, 900000u + (unsigned)t, 1234))
		return NULL;
	snprintf(dx, sizeof(dx), "%s/D%d", home, t);
	snprintf(dy, sizeof(dy), "%s/D%d", away, t);
	if (rump_sys_mkdir(dx, 0755) == -1) {
		werr(w, "mkdir %s: %s", dx, strerror(errno));
		return NULL;
	}
	snprintf(p, sizeof(p), "%s/inner", dx);
	if (!mkfile(w, p, 800000u + (unsigned)t, 777))
		return NULL;

	for (k = 0; k < w->rounds && w->err[0] == '\0'; k++) {
		unsigned seed = (unsigned)t * 100000u + (unsigned)k;

		/* Own directory: create and write. */
		size = (size_t)((k * 977 + t * 131) % (MAXSIZE - 1)) + 1;
		snprintf(p, sizeof(p), MNT "/d%d/f%d", t, k);
		if (!mkfile(w, p, seed, size))
			break;
		/* Shared directory. */
		snprintf(p, sizeof(p), MNT "/shared/t%d_%d", t, k);
		if (!mkfile(w, p, seed + 50000u, size / 3 + 1))
			break;
		/* Rename within a directory, own and shared. */
		if (k % 3 == 1) {
			snprintf(p, sizeof(p), MNT "/d%d/f%d", t, k - 1);
			snprintf(q, sizeof(q), MNT "/d%d/g%d", t, k - 1);
			if (!mvfile(w, p, q))
				break;
			snprintf(p, sizeof(p), MNT "/shared/t%d_%d", t, k);
			snprintf(q, sizeof(q), MNT "/shared/r%d_%d", t, k);
			if (!mvfile(w, p, q))
				break;
		}
		/* Unlink, own and shared. */
		if (k % 3 == 2) {
			snprintf(p, sizeof(p), MNT "/shared/t%d_%d", t, k - 2);
			if (rump_sys_unlink(p) == -1) {
				werr(w, "unlink %s: %s", p, strerror(errno));
				break;
			}
			tf_find(w, p)->live = false;
			snprintf(p, sizeof(p), MNT "/d%d/f%d", t, k);
			if (rump_sys_unlink(p) == -1) {
				werr(w, "unlink %s: %s", p, strerror(errno));
				break;
			}
			tf_find(w, p)->live = false;
		}
		/* Between x and y, in opposite directions on different
		 * threads: the travelling file and directory, and a new
		 * file that moves once. */
		snprintf(p, sizeof(p), "%s/m%d", k % 2 == 0 ? home : away, t);
		snprintf(q, sizeof(q), "%s/m%d", k % 2 == 0 ? away : home, t);
		if (!mvfile(w, p, q))
			break;
		if (rump_sys_rename(dir_home ? dx : dy,
		    dir_home ? dy : dx) == -1) {
			werr(w, "rename dir %s: %s", dir_home ? dx : dy,
			    strerror(errno));
			break;
		}
		tf_movedir(w, dir_home ? dx : dy, dir_home ? dy : dx);
		dir_home = !dir_home;
		snprintf(p, sizeof(p), "%s/c%d_%d", home, t, k);
		snprintf(q, sizeof(q), "%s/c%d_%d", away, t, k);
		if (!mkfile(w, p, seed + 70000u, 100 + (size_t)k) ||
		    !mvfile(w, p, q))
			break;
		/* The ancestor race: thread 0 moves A into B while thread
		 * 1 moves B into A; only one may succeed each time, and
		 * each puts its directory back. */
		if (t < 2) {
			const char *from = t == 0 ? MNT "/anc/A" : MNT "/anc/B";
			const char *to = t == 0 ? MNT "/anc/B/A" : MNT "/anc/A/B";

			if (rump_sys_rename(from, to) == 0) {
				w->ancestor_wins++;
				if (rump_sys_rename(to, from) == -1) {
					werr(w, "rename back %s: %s", to,
					    strerror(errno));
					break;
				}
			} else if (rt_errno() != ENOENT && rt_errno() != EINVAL) {
				werr(w, "rename %s %s: %s", from, to,
				    strerror(rt_errno()));
				break;
			}
		}
	}
	return NULL;
}

/* Counts the regular files below dir and checks there is no directory
 * cycle (depth bound). */
static void
count_files(const char *dir, int depth, int *nfiles)
{
	char path[512];
	struct stat st;
	char buf[8192];
	long n;
	int fd;

	ATF_REQUIRE_MSG(depth < 16, "directory tree deeper than possible at "
	    "%s", dir);
	RL(fd = rump_sys_open(dir, O_RDONLY | O_DIRECTORY));
	while ((n = rump_sys_getdents64(fd, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < n;) {
			struct {
				uint64_t ino;
				int64_t off;
				unsigned short reclen;
				unsigned char type;
				char name[];
			} *d = (void *)(buf + off);

			off += d->reclen;
			if (strcmp(d->name, ".") == 0 ||
			    strcmp(d->name, "..") == 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, d->name);
			RL(rump_sys_lstat(path, &st));
			if (S_ISDIR(st.st_mode))
				count_files(path, depth + 1, nfiles);
			else
				(*nfiles)++;
		}
	}
	RL(n);
	RL(rump_sys_close(fd));
}

static void
verify(struct worker *w, int nw)
{
	unsigned char *want = malloc(MAXSIZE), *got = malloc(MAXSIZE + 1);
	int expected = 0, found = 0;
	struct stat st;

	ATF_REQUIRE(want != NULL && got != NULL);
	for (int i = 0; i < nw; i++) {
		for (int j = 0; j < w[i].nfiles; j++) {
			struct tfile *f = &w[i].files[j];
			ssize_t n;
			int fd;

			if (!f->live)
				continue;
			expected++;
			fd = rump_sys_open(f->path, O_RDONLY);
			ATF_REQUIRE_MSG(fd != -1, "open %s: %s", f->path,
			    strerror(errno));
			n = rump_sys_read(fd, got, MAXSIZE + 1);
			RL(rump_sys_close(fd));
			pattern(want, f->size, f->seed);
			ATF_REQUIRE_MSG(n == (ssize_t)f->size &&
			    memcmp(want, got, f->size) == 0,
			    "%s: %zd bytes, want %zu, contents %s", f->path,
			    n, f->size, n == (ssize_t)f->size ? "differ" :
			    "-");
		}
	}
	count_files(MNT, 0, &found);
	ATF_REQUIRE_EQ_MSG(found, expected, "%d files in the tree, %d "
	    "expected", found, expected);
	/* The two directories of the ancestor race are back in place. */
	RL(rump_sys_stat(MNT "/anc/A", &st));
	RL(rump_sys_stat(MNT "/anc/B", &st));
	free(want);
	free(got);
}

static int
rounds(int dflt)
{
	const char *s = getenv("T_FS_CONCURRENT_ROUNDS");

	return s != NULL && atoi(s) > 0 ? atoi(s) : dflt;
}

static struct worker w[NTHREADS];

/* Makes the tree, runs the workers, checks the result (the model stays
 * in w for a check after remounting). */
static void
run(int nrounds)
{
	void *cookie[NTHREADS];
	char p[64];
	int total = 0;

	RL(rump_sys_mkdir(MNT "/shared", 0755));
	RL(rump_sys_mkdir(MNT "/x", 0755));
	RL(rump_sys_mkdir(MNT "/y", 0755));
	RL(rump_sys_mkdir(MNT "/anc", 0755));
	RL(rump_sys_mkdir(MNT "/anc/A", 0755));
	RL(rump_sys_mkdir(MNT "/anc/B", 0755));
	for (int i = 0; i < NTHREADS; i++) {
		snprintf(p, sizeof(p), MNT "/d%d", i);
		RL(rump_sys_mkdir(p, 0755));
	}
	memset(w, 0, sizeof(w));
	for (int i = 0; i < NTHREADS; i++) {
		w[i].id = i;
		w[i].rounds = nrounds;
		w[i].files = calloc(MAXFILES, sizeof(struct tfile));
		ATF_REQUIRE(w[i].files != NULL);
	}
	for (int i = 0; i < NTHREADS; i++)
		cookie[i] = rt_thread_start(worker_main, &w[i], "worker");
	for (int i = 0; i < NTHREADS; i++)
		rt_thread_join(cookie[i]);
	for (int i = 0; i < NTHREADS; i++) {
		ATF_CHECK_MSG(w[i].err[0] == '\0', "thread %d: %s", i,
		    w[i].err);
		total += w[i].nfiles;
	}
	ATF_REQUIRE_MSG(total > NTHREADS * nrounds, "only %d files", total);
	printf("%d files made, ancestor race won %d + %d times\n", total,
	    w[0].ancestor_wins, w[1].ancestor_wins);
	verify(w, NTHREADS);
}

static void
boot_ncpu(void)
{
	/* More virtual CPUs than threads on any host: operations really
	 * overlap on posix (fiber runs them interleaved on one). */
	setenv("RUMP_NCPU", "4", 1);
	boot();
}

static int
shell(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return st == -1 || !WIFEXITED(st) ? -1 : WEXITSTATUS(st);
}

ATF_TC(tmpfs);
ATF_TC_HEAD(tmpfs, tc)
{
	atf_tc_set_md_var(tc, "descr", "4 threads on one tmpfs");
	atf_tc_set_md_var(tc, "timeout", "300");
}
ATF_TC_BODY(tmpfs, tc)
{
	boot_ncpu();
	RL(rump_sys_mkdir(MNT, 0755));
	RL(rump_sys_mount("tmpfs", MNT, "tmpfs", 0, NULL));
	run(rounds(150));
	RL(rump_sys_umount2(MNT, 0));
}

/*
 * Limits under concurrency: the threads take and give back a tmpfs's
 * pages (size=) or inodes (nr_inodes=) at once, each on a virtual CPU
 * of its own, round after round.  In each round they fill the mount
 * until ENOSPC; then the main thread takes whatever is left.  Together
 * they must have got exactly the limit: more is an overshoot, less is
 * space that became lost (held somewhere unused).  Then the threads
 * remove what they made, and statfs must be back where it started.
 */
#define LIM_PAGES	2048	/* size=8m */
#define LIM_FILES	1000	/* nr_inodes= beyond the root and dirs */
#define LIM_ROUNDS	16

struct limworker {
	int	 id;
	bool	 inodes;	/* nr_inodes= (else size=) */
	long	 got;		/* pages or inodes this round */
	char	 err[256];
};

#define lwerr(w, ...) rt_first_error((w)->err, sizeof((w)->err), __VA_ARGS__)

/* Pages: 4 KiB writes to a file of its own until ENOSPC.  Inodes: files
 * (every other one with a second name) until ENOSPC. */
static void *
lim_fill(void *arg)
{
	struct limworker *w = arg;
	static const char page[4096];
	char p[64], q[64];
	ssize_t n;
	int fd, k;

	w->got = 0;
	if (!w->inodes) {
		snprintf(p, sizeof(p), MNT "/d%d/f", w->id);
		fd = rump_sys_open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd == -1) {
			lwerr(w, "open %s: %s", p, strerror(errno));
			return NULL;
		}
		while ((n = rump_sys_write(fd, page, sizeof(page))) ==
		    (ssize_t)sizeof(page))
			w->got++;
		if (n != -1 || errno != ENOSPC)
			lwerr(w, "write %s: %zd, %s", p, n, strerror(errno));
		rump_sys_close(fd);
		return NULL;
	}
	for (k = 0; ; k++) {
		snprintf(p, sizeof(p), MNT "/d%d/f%d", w->id, k);
		fd = rump_sys_open(p, O_WRONLY | O_CREAT | O_EXCL, 0644);
		if (fd == -1)
			break;
		rump_sys_close(fd);
		w->got++;
		if (k % 2 == 1)
			continue;
		snprintf(q, sizeof(q), MNT "/d%d/f%d.l", w->id, k);
		if (rump_sys_link(p, q) == -1)
			break;
		w->got++;
	}
	if (errno != ENOSPC)
		lwerr(w, "create %s: %s", p, strerror(errno));
	return NULL;
}

/* Removes what lim_fill made in directory d<id>. */
static void *
lim_empty(void *arg)
{
	struct limworker *w = arg;
	char p[64];
	int i;

	if (!w->inodes) {
		snprintf(p, sizeof(p), MNT "/d%d/f", w->id);
		if (rump_sys_unlink(p) == -1)
			lwerr(w, "unlink %s: %s", p, strerror(errno));
		return NULL;
	}
	for (i = 0; ; i++) {
		snprintf(p, sizeof(p), MNT "/d%d/f%d", w->id, i);
		if (rump_sys_unlink(p) == -1) {
			if (errno != ENOENT)
				lwerr(w, "unlink %s: %s", p, strerror(errno));
			break;
		}
		snprintf(p, sizeof(p), MNT "/d%d/f%d.l", w->id, i);
		if (rump_sys_unlink(p) == -1 && errno != ENOENT)
			lwerr(w, "unlink %s: %s", p, strerror(errno));
	}
	return NULL;
}

static void
lim_run(bool inodes)
{
	static struct limworker lw[NTHREADS];
	struct statfs start, sf;
	void *cookie[NTHREADS];
	char p[64];
	long total, top, limit = inodes ? LIM_FILES : LIM_PAGES;
	int fd, i, r, nfill;
	ssize_t n;

	boot_ncpu();
	RL(rump_sys_mkdir(MNT, 0755));
	snprintf(p, sizeof(p), "nr_inodes=%d", 1 + NTHREADS + LIM_FILES);
	RL(rump_sys_mount("tmpfs", MNT, "tmpfs", 0,
	    inodes ? p : "size=8m"));
	for (i = 0; i < NTHREADS; i++) {
		snprintf(p, sizeof(p), MNT "/d%d", i);
		RL(rump_sys_mkdir(p, 0755));
	}
	RL(rump_sys_statfs(MNT, &start));
	ATF_REQUIRE_EQ(limit, (long)(inodes ? start.f_ffree : start.f_bfree));
	for (r = 0; r < LIM_ROUNDS; r++) {
		/* 1 to NTHREADS fillers: what the removers of the round
		 * before left on CPUs the fillers do not run on must be
		 * found too. */
		nfill = 1 + r % NTHREADS;
		memset(lw, 0, sizeof(lw));
		for (i = 0; i < NTHREADS; i++) {
			lw[i].id = i;
			lw[i].inodes = inodes;
		}
		for (i = 0; i < nfill; i++)
			cookie[i] = rt_thread_start(lim_fill, &lw[i], "fill");
		total = 0;
		for (i = 0; i < nfill; i++) {
			rt_thread_join(cookie[i]);
			ATF_REQUIRE_MSG(lw[i].err[0] == '\0', "round %d, "
			    "thread %d: %s", r, i, lw[i].err);
			total += lw[i].got;
		}
		ATF_REQUIRE_MSG(total <= limit, "round %d: %ld taken of %ld",
		    r, total, limit);
		/* What is left, one by one: the limit is exact. */
		top = 0;
		if (inodes) {
			for (;;) {
				snprintf(p, sizeof(p), MNT "/top%ld", top);
				fd = rump_sys_open(p, O_WRONLY | O_CREAT, 0644);
				if (fd == -1)
					break;
				RL(rump_sys_close(fd));
				top++;
			}
			ATF_REQUIRE_EQ(ENOSPC, errno);
		} else {
			static const char page[4096];

			RL(fd = rump_sys_open(MNT "/top0", O_WRONLY | O_CREAT,
			    0644));
			while ((n = rump_sys_write(fd, page, sizeof(page))) ==
			    (ssize_t)sizeof(page))
				top++;
			ATF_REQUIRE_EQ(-1, n);
			ATF_REQUIRE_EQ(ENOSPC, errno);
			RL(rump_sys_close(fd));
		}
		ATF_REQUIRE_MSG(total + top == limit, "round %d: threads took "
		    "%ld, then %ld more fit, limit %ld", r, total, top, limit);
		RL(rump_sys_statfs(MNT, &sf));
		ATF_REQUIRE_EQ_MSG(0, (long)(inodes ? sf.f_ffree : sf.f_bfree),
		    "round %d: full, statfs says %ld free", r,
		    (long)(inodes ? sf.f_ffree : sf.f_bfree));
		if (!inodes)
			top = 1;	/* one file */
		for (i = 0; i < top; i++) {
			snprintf(p, sizeof(p), MNT "/top%d", i);
			RL(rump_sys_unlink(p));
		}
		/* Given back on other CPUs than they were taken on. */
		for (i = 0; i < nfill; i++) {
			lw[i].id = (i + 1 + r) % nfill;
			cookie[i] = rt_thread_start(lim_empty, &lw[i],
			    "empty");
		}
		for (i = 0; i < nfill; i++) {
			rt_thread_join(cookie[i]);
			ATF_REQUIRE_MSG(lw[i].err[0] == '\0', "round %d, "
			    "thread %d: %s", r, i, lw[i].err);
		}
		RL(rump_sys_statfs(MNT, &sf));
		ATF_REQUIRE_EQ_MSG(start.f_bfree, sf.f_bfree, "round %d: "
		    "%ld blocks free after removal, %ld at the start", r,
		    (long)sf.f_bfree, (long)start.f_bfree);
		ATF_REQUIRE_EQ_MSG(start.f_ffree, sf.f_ffree, "round %d: "
		    "%ld inodes free after removal, %ld at the start", r,
		    (long)sf.f_ffree, (long)start.f_ffree);
	}
	RL(rump_sys_umount2(MNT, 0));
}

ATF_TC(tmpfs_size_limit);
ATF_TC_HEAD(tmpfs_size_limit, tc)
{
	atf_tc_set_md_var(tc, "descr", "4 threads fill a tmpfs of size=8m "
	    "at once, round after round: together with what then still fits "
	    "they get exactly 2048 pages, statfs says 0 free, and after they "
	    "remove their files (on other CPUs) statfs is back at the start");
	atf_tc_set_md_var(tc, "timeout", "300");
}
ATF_TC_BODY(tmpfs_size_limit, tc)
{
	lim_run(false);
}

ATF_TC(tmpfs_nr_inodes);
ATF_TC_HEAD(tmpfs_nr_inodes, tc)
{
	atf_tc_set_md_var(tc, "descr", "4 threads create files and hard "
	    "links on a tmpfs with nr_inodes= at once until ENOSPC, round "
	    "after round: together with what then still fits they get "
	    "exactly the limit, and after removal statfs is back at the "
	    "start");
	atf_tc_set_md_var(tc, "timeout", "300");
}
ATF_TC_BODY(tmpfs_nr_inodes, tc)
{
	lim_run(true);
}

ATF_TC(ext2);
ATF_TC_HEAD(ext2, tc)
{
	atf_tc_set_md_var(tc, "descr", "4 threads on one ext2 mount; "
	    "e2fsck -fn clean afterwards");
	atf_tc_set_md_var(tc, "timeout", "300");
}
ATF_TC_BODY(ext2, tc)
{
	int st;

	if (shell("command -v mke2fs >/dev/null 2>&1 && "
	    "command -v e2fsck >/dev/null 2>&1") != 0)
		atf_tc_skip("e2fsprogs (mke2fs, e2fsck) is not installed");
	ATF_REQUIRE_EQ(shell("mke2fs -q -F -t ext2 -b 1024 %s 32M "
	    ">mkfs.out 2>&1", IMG), 0);
	boot_ncpu();
	RL(rump_sys_mkdir(MNT, 0755));
	ATF_REQUIRE_EQ(rump_etfs_register(KEY, IMG, RUMP_ETFS_BLK), 0);
	RL(rump_sys_mount(KEY, MNT, "ext2", 0, NULL));
	run(rounds(100));
	RL(rump_sys_umount2(MNT, 0));
	RL(rump_sys_mount(KEY, MNT, "ext2", 0, NULL));
	verify(w, NTHREADS);
	RL(rump_sys_umount2(MNT, 0));
	st = shell("e2fsck -fn %s >fsck.out 2>&1", IMG);
	if (st != 0)
		(void)shell("cat fsck.out >&2");
	ATF_CHECK_EQ_MSG(st, 0, "e2fsck -fn: exit %d (see stderr)", st);
}

static void
fat_case(int fattype)
{
	int st;

	if (shell("command -v mkfs.fat >/dev/null 2>&1 && "
	    "command -v fsck.fat >/dev/null 2>&1") != 0)
		atf_tc_skip("dosfstools (mkfs.fat, fsck.fat) is not "
		    "installed");
	ATF_REQUIRE_EQ(shell("rm -f %s && mkfs.fat -F %d -C %s 65536 "
	    ">mkfs.out 2>&1", IMG, fattype, IMG), 0);
	boot_ncpu();
	RL(rump_sys_mkdir(MNT, 0755));
	ATF_REQUIRE_EQ(rump_etfs_register(KEY, IMG, RUMP_ETFS_BLK), 0);
	RL(rump_sys_mount(KEY, MNT, "vfat", 0, NULL));
	run(rounds(60));
	RL(rump_sys_umount2(MNT, 0));
	RL(rump_sys_mount(KEY, MNT, "vfat", 0, NULL));
	verify(w, NTHREADS);
	RL(rump_sys_umount2(MNT, 0));
	st = shell("fsck.fat -n %s >fsck.out 2>&1", IMG);
	if (st != 0)
		(void)shell("cat fsck.out >&2");
	ATF_CHECK_EQ_MSG(st, 0, "fsck.fat -n: exit %d (see stderr)", st);
}

ATF_TC(vfat);
ATF_TC_HEAD(vfat, tc)
{
	atf_tc_set_md_var(tc, "descr", "4 threads on one FAT32 mount; "
	    "fsck.fat -n clean afterwards");
	atf_tc_set_md_var(tc, "timeout", "300");
}
ATF_TC_BODY(vfat, tc)
{
	fat_case(32);
}

ATF_TC(vfat16);
ATF_TC_HEAD(vfat16, tc)
{
	atf_tc_set_md_var(tc, "descr", "4 threads on one FAT16 mount (the "
	    "root directory is a region of its own); fsck.fat -n clean");
	atf_tc_set_md_var(tc, "timeout", "300");
}
ATF_TC_BODY(vfat16, tc)
{
	fat_case(16);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, tmpfs);
	ATF_TP_ADD_TC(tp, tmpfs_size_limit);
	ATF_TP_ADD_TC(tp, tmpfs_nr_inodes);
	ATF_TP_ADD_TC(tp, ext2);
	ATF_TP_ADD_TC(tp, vfat);
	ATF_TP_ADD_TC(tp, vfat16);
	return 0;
}
