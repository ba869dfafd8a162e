/*
 * t_vfs_lookup_race.c: path lookups without locks (namei_fast in
 * vfs_lookup.c: the name cache, vcache_peek, v_searchall) against every
 * change that must end what they find.
 *
 * The single-thread cases look a path up twice (the first, locked walk
 * fills the name cache and marks the directories searchable by all, the
 * second goes without locks), change what a name means (rename, rename
 * over a file, RENAME_EXCHANGE, unlink and create, rmdir and mkdir,
 * chmod and fchmod, mount and unmount on the directory) and look again.
 * Where a stale entry could still lead somewhere, an open descriptor
 * keeps the old vnode in the vnode cache, so that a missing nc_remove()
 * shows as a lookup that succeeds.  "equivalence" walks the same tree
 * twice, once through a directory everyone may search (the lockless
 * path) and once through one only root may search (the locked walk from
 * there on), and wants the same answers.
 *
 * "stress" runs five mutators (rename a directory back and forth,
 * unlink and recreate a file with a new generation in it, rmdir and
 * mkdir, chmod 0755/0700, mount and unmount a tmpfs on a directory)
 * against lookers that open and stat paths through them, absolute,
 * relative to a cwd, through a symlink and through the mount point, one
 * of them unprivileged.  Each mutator publishes a sequence number that
 * is odd while it changes something; a lookup between two equal even
 * readings ran while the tree was in one known state, and its result
 * must be that state's: the right content, ENOENT, or EACCES.  Bounded
 * by round and iteration counts (T_VFS_LOOKUP_RACE_ROUNDS in the
 * environment makes a longer run).
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
#include <unistd.h>

#include <atf-c.h>

#include <rump/rump.h>
#include <rump/rump_syscalls.h>

#include "h_rumptest.h"

#define USER		1000
#define GROUP		1000
#ifndef MNT_DETACH
#define MNT_DETACH	2
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE	2
#endif

/* Boots as root with umask 0 and "/" searchable by all. */
static void
boot_root(void)
{
	boot();
	rump_sys_umask(0);
	RL(rump_sys_chmod("/", 0755));
}

static void
put(const char *path, const char *data)
{
	int fd = (int)RL(rump_sys_open(path, O_WRONLY | O_CREAT | O_EXCL,
	    0644));
	size_t len = strlen(data);

	ATF_REQUIRE_EQ((ssize_t)len, rump_sys_write(fd, data, len));
	RL(rump_sys_close(fd));
}

/* The file's content as a string; -1 with errno when it cannot be
 * opened or read. */
static ssize_t
slurp(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd, e;

	fd = rump_sys_open(path, O_RDONLY);
	if (fd == -1)
		return -1;
	n = rump_sys_read(fd, buf, size - 1);
	e = errno;
	rump_sys_close(fd);
	errno = e;
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

#define CONTENT(path, want) content_((path), (want), __FILE__, __LINE__)
static void
content_(const char *path, const char *want, const char *file, int line)
{
	char buf[128];

	if (slurp(path, buf, sizeof(buf)) == -1)
		atf_tc_fail_requirement(file, (size_t)line, "open/read %s: %s",
		    path, strerror(rt_errno()));
	if (strcmp(buf, want) != 0)
		atf_tc_fail_requirement(file, (size_t)line,
		    "%s holds \"%s\", want \"%s\"", path, buf, want);
}

static ino_t
ino(const char *path)
{
	struct stat st;

	RL(rump_sys_stat(path, &st));
	return st.st_ino;
}

/* Looks path up twice: the second lookup finds the cache filled. */
static void
warm(const char *path)
{
	struct stat st;

	RL(rump_sys_stat(path, &st));
	RL(rump_sys_stat(path, &st));
}

/* A new rump process bound to this thread, running as USER. */
static struct lwp *
become_user(void)
{
	int error = rump_lwproc_rfork(RUMP_RFFDG);

	ATF_REQUIRE_EQ_MSG(0, error, "rump_lwproc_rfork: %d", error);
	RL(rump_sys_setgroups(0, NULL));
	RL(rump_sys_setgid(GROUP));
	RL(rump_sys_setuid(USER));
	ATF_REQUIRE_EQ(USER, rump_sys_geteuid());
	return rump_lwproc_curlwp();
}

/* --- Single thread ---------------------------------------------------- */

ATF_TC(rename_dir);
ATF_TC_HEAD(rename_dir, tc)
{
	atf_tc_set_md_var(tc, "descr", "Renaming a cached directory: the "
	    "old path is gone at once, the new one leads to its files");
}
ATF_TC_BODY(rename_dir, tc)
{
	struct stat st;

	boot_root();
	RL(rump_sys_mkdir("/a", 0755));
	RL(rump_sys_mkdir("/a/d", 0755));
	put("/a/d/f", "d-file");
	warm("/a/d/f");
	RL(rump_sys_rename("/a/d", "/a/e"));
	ERR(ENOENT, rump_sys_stat("/a/d/f", &st));
	ERR(ENOENT, rump_sys_stat("/a/d", &st));
	CONTENT("/a/e/f", "d-file");
	warm("/a/e/f");
	/* Back, and into another directory. */
	RL(rump_sys_rename("/a/e", "/a/d"));
	ERR(ENOENT, rump_sys_stat("/a/e/f", &st));
	CONTENT("/a/d/f", "d-file");
	RL(rump_sys_mkdir("/b", 0755));
	warm("/a/d/f");
	RL(rump_sys_rename("/a/d", "/b/d"));
	ERR(ENOENT, rump_sys_stat("/a/d/f", &st));
	CONTENT("/b/d/f", "d-file");
	/* A relative lookup from inside the moved directory. */
	RL(rump_sys_chdir("/b/d"));
	warm("f");
	RL(rump_sys_rename("/b/d", "/a/d"));
	CONTENT("f", "d-file");
	ERR(ENOENT, rump_sys_stat("/b/d/f", &st));
	CONTENT("/a/d/f", "d-file");
}

ATF_TC(rename_over);
ATF_TC_HEAD(rename_over, tc)
{
	atf_tc_set_md_var(tc, "descr", "Renaming over a cached file, and "
	    "RENAME_EXCHANGE of two cached names, while the old files stay "
	    "open (so their vnodes stay cached)");
}
ATF_TC_BODY(rename_over, tc)
{
	struct stat st;
	int fx, fp, fq;

	boot_root();
	RL(rump_sys_mkdir("/a", 0755));
	put("/a/x", "x");
	put("/a/y", "y");
	fx = (int)RL(rump_sys_open("/a/x", O_RDONLY));
	warm("/a/x");
	warm("/a/y");
	RL(rump_sys_rename("/a/y", "/a/x"));
	CONTENT("/a/x", "y");
	ERR(ENOENT, rump_sys_stat("/a/y", &st));
	RL(rump_sys_close(fx));

	RL(rump_sys_mkdir("/a/p", 0755));
	RL(rump_sys_mkdir("/a/q", 0755));
	put("/a/p/f", "p");
	put("/a/q/f", "q");
	fp = (int)RL(rump_sys_open("/a/p/f", O_RDONLY));
	fq = (int)RL(rump_sys_open("/a/q/f", O_RDONLY));
	warm("/a/p/f");
	warm("/a/q/f");
	RL(rump_sys_renameat2(AT_FDCWD, "/a/p", AT_FDCWD, "/a/q",
	    RENAME_EXCHANGE));
	CONTENT("/a/p/f", "q");
	CONTENT("/a/q/f", "p");
	/* And two files exchanged. */
	warm("/a/p/f");
	warm("/a/q/f");
	RL(rump_sys_renameat2(AT_FDCWD, "/a/p/f", AT_FDCWD, "/a/q/f",
	    RENAME_EXCHANGE));
	CONTENT("/a/p/f", "p");
	CONTENT("/a/q/f", "q");
	RL(rump_sys_close(fp));
	RL(rump_sys_close(fq));
}

ATF_TC(unlink_recreate);
ATF_TC_HEAD(unlink_recreate, tc)
{
	atf_tc_set_md_var(tc, "descr", "Unlinking a cached name (the file "
	    "still open) and creating it again: ENOENT in between, the new "
	    "file after");
}
ATF_TC_BODY(unlink_recreate, tc)
{
	struct stat st, ost;
	int fd;

	boot_root();
	RL(rump_sys_mkdir("/a", 0755));
	put("/a/f", "one");
	fd = (int)RL(rump_sys_open("/a/f", O_RDONLY));
	RL(rump_sys_fstat(fd, &ost));
	warm("/a/f");
	RL(rump_sys_unlink("/a/f"));
	ERR(ENOENT, rump_sys_stat("/a/f", &st));
	ERR(ENOENT, rump_sys_open("/a/f", O_RDONLY));
	put("/a/f", "two");
	CONTENT("/a/f", "two");
	ATF_CHECK(ino("/a/f") != ost.st_ino);
	/* A directory in its place. */
	warm("/a/f");
	RL(rump_sys_unlink("/a/f"));
	RL(rump_sys_mkdir("/a/f", 0755));
	RL(rump_sys_stat("/a/f", &st));
	ATF_CHECK(S_ISDIR(st.st_mode));
	RL(rump_sys_close(fd));
}

ATF_TC(rmdir_mkdir);
ATF_TC_HEAD(rmdir_mkdir, tc)
{
	atf_tc_set_md_var(tc, "descr", "rmdir of a cached directory (still "
	    "open) and mkdir of the same name: ENOENT in between, the new "
	    "empty directory after");
}
ATF_TC_BODY(rmdir_mkdir, tc)
{
	struct stat st, ost;
	int dfd;

	boot_root();
	RL(rump_sys_mkdir("/a", 0755));
	RL(rump_sys_mkdir("/a/k", 0755));
	put("/a/k/f", "k1");
	warm("/a/k/f");
	/* Failed removals and renames change nothing. */
	ERR(ENOTEMPTY, rump_sys_rmdir("/a/k"));
	CONTENT("/a/k/f", "k1");
	RL(rump_sys_mkdir("/a/full", 0755));
	put("/a/full/g", "g");
	warm("/a/full/g");
	ERR(ENOTEMPTY, rump_sys_rename("/a/k", "/a/full"));
	ERR(ENOTDIR, rump_sys_rename("/a/k", "/a/full/g"));
	ERR(EISDIR, rump_sys_rename("/a/full/g", "/a/k"));
	CONTENT("/a/k/f", "k1");
	CONTENT("/a/full/g", "g");
	dfd = (int)RL(rump_sys_open("/a/k", O_RDONLY | O_DIRECTORY));
	RL(rump_sys_fstat(dfd, &ost));
	RL(rump_sys_unlink("/a/k/f"));
	ERR(ENOENT, rump_sys_stat("/a/k/f", &st));
	warm("/a/k");
	RL(rump_sys_rmdir("/a/k"));
	ERR(ENOENT, rump_sys_stat("/a/k", &st));
	ERR(ENOENT, rump_sys_stat("/a/k/f", &st));
	ERR(ENOENT, rump_sys_stat("/a/k/", &st));
	RL(rump_sys_mkdir("/a/k", 0755));
	ERR(ENOENT, rump_sys_stat("/a/k/f", &st));
	ATF_CHECK(ino("/a/k") != ost.st_ino);
	put("/a/k/f", "k2");
	CONTENT("/a/k/f", "k2");
	RL(rump_sys_close(dfd));
}

ATF_TC(chmod_search);
ATF_TC_HEAD(chmod_search, tc)
{
	atf_tc_set_md_var(tc, "descr", "chmod/fchmod of a cached directory "
	    "to modes without x for others: an unprivileged lookup through "
	    "it fails with EACCES right after, root's still succeeds");
}
ATF_TC_BODY(chmod_search, tc)
{
	struct lwp *root, *user;
	struct stat st;
	int dfd;

	boot_root();
	root = rump_lwproc_curlwp();
	RL(rump_sys_mkdir("/p", 0755));
	RL(rump_sys_mkdir("/p/q", 0755));
	put("/p/q/f", "f");
	user = become_user();
	warm("/p/q/f");
	CONTENT("/p/q/f", "f");

#define AS(l)	rump_lwproc_switch(l)
	AS(root);
	warm("/p/q/f");
	RL(rump_sys_chmod("/p", 0700));
	RL(rump_sys_stat("/p/q/f", &st));	/* root may */
	AS(user);
	ERR(EACCES, rump_sys_stat("/p/q/f", &st));
	ERR(EACCES, rump_sys_open("/p/q/f", O_RDONLY));
	RL(rump_sys_stat("/p", &st));		/* "/" is searchable */

	AS(root);
	RL(rump_sys_chmod("/p", 0711));
	AS(user);
	warm("/p/q/f");
	AS(root);
	RL(rump_sys_chmod("/p", 0710));		/* USER is not in group 0 */
	AS(user);
	ERR(EACCES, rump_sys_stat("/p/q/f", &st));

	/* The inner directory, through a descriptor. */
	AS(root);
	RL(rump_sys_chmod("/p", 0755));
	AS(user);
	warm("/p/q/f");
	AS(root);
	dfd = (int)RL(rump_sys_open("/p/q", O_RDONLY | O_DIRECTORY));
	RL(rump_sys_fchmod(dfd, 0750));
	AS(user);
	ERR(EACCES, rump_sys_stat("/p/q/f", &st));
	AS(root);
	RL(rump_sys_fchmod(dfd, 0755));
	RL(rump_sys_close(dfd));
	AS(user);
	CONTENT("/p/q/f", "f");

	/* Owner: 0700 owned by USER lets USER through, and taking the
	 * ownership back does not. */
	AS(root);
	RL(rump_sys_chown("/p", USER, GROUP));
	RL(rump_sys_chmod("/p", 0700));
	AS(user);
	warm("/p/q/f");
	AS(root);
	RL(rump_sys_chown("/p", 0, 0));
	AS(user);
	ERR(EACCES, rump_sys_stat("/p/q/f", &st));
	rump_lwproc_releaselwp();
	AS(root);
#undef AS
}

ATF_TC(mount_over);
ATF_TC_HEAD(mount_over, tc)
{
	atf_tc_set_md_var(tc, "descr", "Mounting a tmpfs on a cached "
	    "directory hides its names at once; after the unmount they are "
	    "back and the mounted file system's are gone");
}
ATF_TC_BODY(mount_over, tc)
{
	struct stat st, sr, sm;

	boot_root();
	RL(rump_sys_mkdir("/m", 0755));
	put("/m/under", "under");
	warm("/m/under");
	RL(rump_sys_mount("tmpfs", "/m", "tmpfs", 0, NULL));
	ERR(ENOENT, rump_sys_stat("/m/under", &st));
	put("/m/over", "over");
	warm("/m/over");
	CONTENT("/m/over", "over");
	RL(rump_sys_stat("/", &sr));
	RL(rump_sys_stat("/m", &sm));
	ATF_CHECK(sr.st_dev != sm.st_dev);
	RL(rump_sys_chdir("/"));
	warm("m/over");
	RL(rump_sys_umount2("/m", 0));
	CONTENT("/m/under", "under");
	ERR(ENOENT, rump_sys_stat("/m/over", &st));
	ERR(ENOENT, rump_sys_stat("m/over", &st));
	RL(rump_sys_stat("/m", &sm));
	ATF_CHECK(sr.st_dev == sm.st_dev);
	/* A fresh tmpfs there knows nothing of the first one. */
	RL(rump_sys_mount("tmpfs", "/m", "tmpfs", 0, NULL));
	ERR(ENOENT, rump_sys_stat("/m/over", &st));
	ERR(ENOENT, rump_sys_stat("/m/under", &st));
	RL(rump_sys_umount2("/m", 0));
	CONTENT("/m/under", "under");
}

ATF_TC(lazy_umount);
ATF_TC_HEAD(lazy_umount, tc)
{
	atf_tc_set_md_var(tc, "descr", "A tmpfs detached (MNT_DETACH) while "
	    "a process works in it: its cached names are gone from the "
	    "covered directory at once, the process goes on finding them "
	    "relative to its cwd, and a new tmpfs there is empty");
}
ATF_TC_BODY(lazy_umount, tc)
{
	struct lwp *root, *inside;
	struct stat st;

	boot_root();
	root = rump_lwproc_curlwp();
	RL(rump_sys_mkdir("/m", 0755));
	put("/m/under", "under");
	RL(rump_sys_mount("tmpfs", "/m", "tmpfs", 0, NULL));
	RL(rump_sys_mkdir("/m/d", 0755));
	put("/m/d/over", "over");
	warm("/m/d/over");
	ATF_REQUIRE_EQ(0, rump_lwproc_rfork(RUMP_RFFDG));
	inside = rump_lwproc_curlwp();
	RL(rump_sys_chdir("/m/d"));
	warm("over");
	rump_lwproc_switch(root);
	ERR(EBUSY, rump_sys_umount2("/m", 0));
	CONTENT("/m/d/over", "over");
	RL(rump_sys_umount2("/m", MNT_DETACH));
	ERR(ENOENT, rump_sys_stat("/m/d/over", &st));
	ERR(ENOENT, rump_sys_stat("/m/d", &st));
	CONTENT("/m/under", "under");
	rump_lwproc_switch(inside);
	CONTENT("over", "over");
	CONTENT("../d/over", "over");
	put("new", "new");
	CONTENT("new", "new");
	RL(rump_sys_unlink("over"));
	ERR(ENOENT, rump_sys_stat("over", &st));
	/* The last reference goes: the detached tmpfs is freed. */
	rump_lwproc_releaselwp();
	rump_lwproc_switch(root);
	RL(rump_sys_mount("tmpfs", "/m", "tmpfs", 0, NULL));
	ERR(ENOENT, rump_sys_stat("/m/d/over", &st));
	ERR(ENOENT, rump_sys_stat("/m/d/new", &st));
	RL(rump_sys_umount2("/m", 0));
	CONTENT("/m/under", "under");
}

/* The same lookups through /fast (0755: no locks from "/" on) and
 * /slow (0700, so root's walk takes locks from there on) must give the
 * same results. */
static void
mktree(const char *top, mode_t mode)
{
	char p[64];

	RL(rump_sys_mkdir(top, mode));
#define P(s)	(snprintf(p, sizeof(p), "%s/%s", top, s), p)
	RL(rump_sys_mkdir(P("d"), 0755));
	RL(rump_sys_mkdir(P("d/e"), 0755));
	put(P("d/f"), "f");
	put(P("d/e/g"), "g");
	RL(rump_sys_symlink("d", P("ld")));
	RL(rump_sys_symlink("f", P("d/lf")));
	RL(rump_sys_symlink("nowhere", P("d/dangling")));
	RL(rump_sys_symlink("lp", P("d/lp")));
	RL(rump_sys_mkdir(P("d/mnt"), 0755));
	RL(rump_sys_mount("tmpfs", P("d/mnt"), "tmpfs", 0, NULL));
	RL(rump_sys_mkdir(P("d/mnt/in"), 0755));
	put(P("d/mnt/in/h"), "h");
#undef P
}

/* 0 when path opens with flags (closed again), -1 with errno if not. */
static int
try_open(const char *path, int flags)
{
	int fd = rump_sys_open(path, flags, 0644);

	if (fd == -1)
		return -1;
	rump_sys_close(fd);
	return 0;
}

/* The type and size of a file (the two tops differ in permissions). */
#define S_IFMT_SIZE(st)	(((uint64_t)(st).st_size << 16) | ((st).st_mode & S_IFMT))

ATF_TC(equivalence);
ATF_TC_HEAD(equivalence, tc)
{
	atf_tc_set_md_var(tc, "descr", "Trailing slashes, symlinks, \".\", "
	    "\"..\", mount points, long names and the parent lookups of "
	    "mkdir/rmdir/unlink/create give the same results with and "
	    "without the lockless walk");
}
ATF_TC_BODY(equivalence, tc)
{
	static const char *const paths[] = {
		"d", "d/", "d//", "d/f", "d/f/", "d/f/.", "d/./f", "d/../d/f",
		"d/e/../f", "d/e/g", "d/e/g/", "ld", "ld/", "ld/f", "ld/e/g",
		"d/lf", "d/lf/", "d/dangling", "d/dangling/", "d/lp",
		"d/nothing", "d/nothing/", "d/nothing/x", "d/mnt", "d/mnt/",
		"d/mnt/in/h", "d/mnt/in/../in/h", "d/mnt/..", "d/mnt/../f",
		"d/mnt/in/h/", ".", "..", "d/.", "d/..", "d/f//",
		"d/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		"xxxxxx/f",
	};
	static const char *const tops[2] = { "/fast", "/slow" };
	char p[2][400], buf[2][64];
	struct stat st[2];
	bool exists;
	mode_t lmode;
	int r[2], e[2];

	boot_root();
	mktree("/fast", 0755);
	mktree("/slow", 0700);
	for (int round = 0; round < 3; round++) {
		for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
			for (int k = 0; k < 2; k++)
				snprintf(p[k], sizeof(p[k]), "%s/%s", tops[k],
				    paths[i]);
#define BOTH(call) do {							\
	for (int k = 0; k < 2; k++) {					\
		memset(&st[k], 0, sizeof(st[k]));			\
		errno = 0;						\
		r[k] = (int)(call);					\
		e[k] = r[k] == -1 ? rt_errno() : 0;			\
	}								\
	ATF_CHECK_MSG(r[0] == r[1] && e[0] == e[1],			\
	    "%s on %s: %d/%d, on %s: %d/%d", #call, p[0], r[0], e[0],	\
	    p[1], r[1], e[1]);						\
} while (0)
			BOTH(rump_sys_stat(p[k], &st[k]));
			if (r[0] == 0 && r[1] == 0)
				ATF_CHECK_MSG(S_IFMT_SIZE(st[0]) ==
				    S_IFMT_SIZE(st[1]), "stat %s: mode %o "
				    "size %jd, %s: %o %jd", p[0],
				    st[0].st_mode, (intmax_t)st[0].st_size,
				    p[1], st[1].st_mode,
				    (intmax_t)st[1].st_size);
			BOTH(rump_sys_lstat(p[k], &st[k]));
			if (r[0] == 0 && r[1] == 0)
				ATF_CHECK_MSG(S_IFMT_SIZE(st[0]) ==
				    S_IFMT_SIZE(st[1]), "lstat %s: mode %o "
				    "size %jd, %s: %o %jd", p[0],
				    st[0].st_mode, (intmax_t)st[0].st_size,
				    p[1], st[1].st_mode,
				    (intmax_t)st[1].st_size);
			exists = r[0] == 0 && r[1] == 0;
			lmode = st[0].st_mode;
			BOTH(slurp(p[k], buf[k], sizeof(buf[k])));
			if (r[0] >= 0 && r[1] >= 0)
				ATF_CHECK_STREQ(buf[0], buf[1]);
			BOTH(try_open(p[k], O_RDONLY | O_NOFOLLOW));
			BOTH(try_open(p[k], O_RDONLY | O_DIRECTORY));
			/* Parent lookups.  Every directory of the trees
			 * is non-empty or a mount point, so rmdir never
			 * removes one; unlink and create only where they
			 * must fail, or are undone. */
			BOTH(rump_sys_rmdir(p[k]));
			BOTH(rump_sys_mkdir(p[k], 0755));
			if (r[0] == 0 && r[1] == 0) {
				ATF_CHECK(rump_sys_rmdir(p[0]) == 0);
				ATF_CHECK(rump_sys_rmdir(p[1]) == 0);
			}
			if (!exists || S_ISDIR(lmode))
				BOTH(rump_sys_unlink(p[k]));
			if (exists || strchr(paths[i], '\0')[-1] == '/') {
				BOTH(try_open(p[k], O_WRONLY | O_CREAT |
				    O_EXCL));
				if (r[0] == 0 && r[1] == 0) {
					ATF_CHECK(rump_sys_unlink(p[0]) == 0);
					ATF_CHECK(rump_sys_unlink(p[1]) == 0);
				}
			}
#undef BOTH
		}
	}
	RL(rump_sys_umount2("/fast/d/mnt", 0));
	RL(rump_sys_umount2("/slow/d/mnt", 0));
}

/* --- Several threads -------------------------------------------------- */

#define NLOOKERS	3	/* as root, plus one unprivileged */
#define MAXITER		400000	/* per looker */

enum { M_RENAME, M_UNLINK, M_RMDIR, M_CHMOD, M_MOUNT, NMUT };
static const char *const mutname[NMUT] = {
	"rename", "unlink", "rmdir", "chmod", "mount"
};

struct race {
	int		 rounds;		/* transitions per mutator */
	unsigned	 seq[NMUT];		/* atomic; odd while changing */
	int		 running;		/* atomic: mutators not done */
	unsigned long	 stable[NMUT];		/* atomic: checks made */
	unsigned long	 umount_busy;		/* atomic */
	char		 err[256];		/* first failure (errlock) */
	int		 failed;		/* atomic */
};

static struct race R;

static void __attribute__((format(printf, 1, 2)))
fail(const char *fmt, ...)
{
	va_list ap;
	int expect = 0;

	/* The first failure only; the others stop soon after. */
	if (!__atomic_compare_exchange_n(&R.failed, &expect, 1, false,
	    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		return;
	va_start(ap, fmt);
	vsnprintf(R.err, sizeof(R.err), fmt, ap);
	va_end(ap);
}

static bool
failed(void)
{
	return __atomic_load_n(&R.failed, __ATOMIC_SEQ_CST) != 0;
}

/* One change of mutator m, between the two halves of its sequence. */
static void
seq_begin(int m)
{
	__atomic_add_fetch(&R.seq[m], 1, __ATOMIC_SEQ_CST);
}

static void
seq_end(int m)
{
	__atomic_add_fetch(&R.seq[m], 1, __ATOMIC_SEQ_CST);
	rt_sleep_ms(1);		/* lookers see the state a while */
}

static bool
mcall(long r, const char *what, const char *path)
{
	if (r == -1) {
		fail("%s %s: %s", what, path, strerror(rt_errno()));
		return false;
	}
	return true;
}

static void
mput(const char *path, const char *data)
{
	size_t len = strlen(data);
	int fd;

	fd = rump_sys_open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (!mcall(fd, "create", path))
		return;
	if (rump_sys_write(fd, data, len) != (ssize_t)len)
		fail("write %s: %s", path, strerror(rt_errno()));
	rump_sys_close(fd);
}

/* State k = seq / 2 of each mutator, after transition k:
 *   rename: k even: /s/r/x/f exists ("rdir"), odd: /s/r/y/f instead;
 *   unlink: k even: /s/u/f holds "gen k/2", odd: no /s/u/f;
 *   rmdir:  k even: /s/k/f holds "k", odd: no /s/k;
 *   chmod:  k even: /s/p is 0755, odd: 0700;
 *   mount:  k even: /s/m holds "under", odd: a tmpfs there holds
 *           "inner" ("over"). */
static void
transition(int m, unsigned k, int *keepfd)
{
	char data[32];

	seq_begin(m);
	switch (m) {
	case M_RENAME:
		if (k % 2)
			mcall(rump_sys_rename("/s/r/x", "/s/r/y"), "rename",
			    "/s/r/x");
		else
			mcall(rump_sys_rename("/s/r/y", "/s/r/x"), "rename",
			    "/s/r/y");
		break;
	case M_UNLINK:
		/* The unlinked file stays open until the next is made, so
		 * its vnode stays in the cache where a stale name would
		 * find it. */
		if (k % 2) {
			*keepfd = rump_sys_open("/s/u/f", O_RDONLY);
			mcall(*keepfd, "open", "/s/u/f");
			mcall(rump_sys_unlink("/s/u/f"), "unlink", "/s/u/f");
		} else {
			snprintf(data, sizeof(data), "gen %u", k / 2);
			mput("/s/u/f", data);
			if (*keepfd != -1)
				rump_sys_close(*keepfd);
			*keepfd = -1;
		}
		break;
	case M_RMDIR:
		if (k % 2) {
			*keepfd = rump_sys_open("/s/k", O_RDONLY | O_DIRECTORY);
			mcall(*keepfd, "open", "/s/k");
			mcall(rump_sys_unlink("/s/k/f"), "unlink", "/s/k/f");
			mcall(rump_sys_rmdir("/s/k"), "rmdir", "/s/k");
		} else {
			if (*keepfd != -1)
				rump_sys_close(*keepfd);
			*keepfd = -1;
			mcall(rump_sys_mkdir("/s/k", 0755), "mkdir", "/s/k");
			mput("/s/k/f", "k");
		}
		break;
	case M_CHMOD:
		mcall(rump_sys_chmod("/s/p", k % 2 ? 0700 : 0755), "chmod",
		    "/s/p");
		break;
	case M_MOUNT:
		if (k % 2) {
			if (mcall(rump_sys_mount("tmpfs", "/s/m", "tmpfs", 0,
			    NULL), "mount", "/s/m"))
				mput("/s/m/inner", "over");
			break;
		}
		/* Lookers hold the mount's vnodes for moments. */
		for (int i = 0; i < 100000 && !failed(); i++) {
			if (rump_sys_umount2("/s/m", 0) == 0)
				break;
			if (rt_errno() != EBUSY) {
				fail("umount /s/m: %s", strerror(rt_errno()));
				break;
			}
			__atomic_add_fetch(&R.umount_busy, 1,
			    __ATOMIC_RELAXED);
			rt_sleep_ms(0);
		}
		break;
	}
	seq_end(m);
}

static void *
mutator(void *arg)
{
	int m = (int)(intptr_t)arg, keepfd = -1;

	if (rump_lwproc_rfork(RUMP_RFFDG) != 0) {
		fail("rfork");
	} else {
		for (int k = 1; k <= R.rounds && !failed(); k++)
			transition(m, (unsigned)k, &keepfd);
		if (keepfd != -1)
			rump_sys_close(keepfd);
		rump_lwproc_releaselwp();
	}
	__atomic_sub_fetch(&R.running, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* Opens path and compares what it reads with want (NULL: the open must
 * fail with ENOENT; "EACCES": fail with that) if mutator m did not
 * change anything meanwhile. */
static void
check(int m, const char *path, unsigned (*want)(unsigned k, char *buf))
{
	char got[64], wbuf[64];
	unsigned s1, s2, w;
	ssize_t n;
	int e;

	s1 = __atomic_load_n(&R.seq[m], __ATOMIC_SEQ_CST);
	n = slurp(path, got, sizeof(got));
	e = n == -1 ? rt_errno() : 0;
	s2 = __atomic_load_n(&R.seq[m], __ATOMIC_SEQ_CST);
	if (s1 != s2 || (s1 % 2) != 0) {
		/* Changed meanwhile: the lookup may have seen any of the
		 * states in between, but what it read must be the content
		 * of one of them (or of a file created and not yet
		 * written). */
		if (n == -1 || got[0] == '\0')
			return;
		for (unsigned k = s1 / 2; k <= (s2 + 1) / 2; k++) {
			if (want(k, wbuf) == 0 && strcmp(got, wbuf) == 0)
				return;
		}
		fail("%s (%s states %u..%u): read \"%s\"", path, mutname[m],
		    s1 / 2, (s2 + 1) / 2, got);
		return;
	}
	__atomic_add_fetch(&R.stable[m], 1, __ATOMIC_RELAXED);
	w = want(s1 / 2, wbuf);
	if (w != 0) {
		if (n != -1)
			fail("%s (%s state %u): read \"%s\", want errno %u",
			    path, mutname[m], s1 / 2, got, w);
		else if ((unsigned)e != w)
			fail("%s (%s state %u): errno %d, want %u", path,
			    mutname[m], s1 / 2, e, w);
	} else if (n == -1) {
		fail("%s (%s state %u): errno %d, want \"%s\"", path,
		    mutname[m], s1 / 2, e, wbuf);
	} else if (strcmp(got, wbuf) != 0) {
		fail("%s (%s state %u): read \"%s\", want \"%s\"", path,
		    mutname[m], s1 / 2, got, wbuf);
	}
}

/* What a lookup must give in state k: 0 and the content in buf, or an
 * errno. */
static unsigned
w_rx(unsigned k, char *b)
{
	strcpy(b, "rdir");
	return k % 2 ? ENOENT : 0;
}

static unsigned
w_ry(unsigned k, char *b)
{
	strcpy(b, "rdir");
	return k % 2 ? 0 : ENOENT;
}

static unsigned
w_u(unsigned k, char *b)
{
	sprintf(b, "gen %u", k / 2);
	return k % 2 ? ENOENT : 0;
}

static unsigned
w_k(unsigned k, char *b)
{
	strcpy(b, "k");
	return k % 2 ? ENOENT : 0;
}

static unsigned
w_p_root(unsigned k, char *b)
{
	(void)k;
	strcpy(b, "pq");
	return 0;
}

static unsigned
w_p_user(unsigned k, char *b)
{
	strcpy(b, "pq");
	return k % 2 ? EACCES : 0;
}

static unsigned
w_m_under(unsigned k, char *b)
{
	strcpy(b, "under");
	return k % 2 ? ENOENT : 0;
}

static unsigned
w_m_inner(unsigned k, char *b)
{
	strcpy(b, "over");
	return k % 2 ? 0 : ENOENT;
}

struct looker {
	int	id;
	bool	user;
};

static void *
looker(void *arg)
{
	struct looker *lk = arg;
	struct stat st;
	/* The same paths three ways: absolute, relative to /s (the cwd),
	 * and through the symlink /l -> /s. */
	static const char *const pre[3] = { "/s/", "", "/l/" };
	const char *p;
	char path[64];

	if (rump_lwproc_rfork(RUMP_RFFDG) != 0) {
		fail("rfork");
		return NULL;
	}
	if (rump_sys_chdir("/s") == -1)
		fail("chdir /s: %s", strerror(rt_errno()));
	if (lk->user && (rump_sys_setgroups(0, NULL) == -1 ||
	    rump_sys_setgid(GROUP) == -1 || rump_sys_setuid(USER) == -1))
		fail("setuid: %s", strerror(rt_errno()));
	for (unsigned i = 0; i < MAXITER && !failed() &&
	    __atomic_load_n(&R.running, __ATOMIC_SEQ_CST) > 0; i++) {
		p = pre[(i + (unsigned)lk->id) % 3];
#define PATH(s)	(snprintf(path, sizeof(path), "%s%s", p, s), path)
		switch (i % 9) {
		case 0: check(M_RENAME, PATH("r/x/f"), w_rx); break;
		case 1: check(M_RENAME, PATH("r/y/f"), w_ry); break;
		case 2: check(M_UNLINK, PATH("u/f"), w_u); break;
		case 3: check(M_RMDIR, PATH("k/f"), w_k); break;
		case 4: check(M_CHMOD, PATH("p/q/f"),
			    lk->user ? w_p_user : w_p_root); break;
		case 5: check(M_MOUNT, PATH("m/under"), w_m_under); break;
		case 6: check(M_MOUNT, PATH("m/inner"), w_m_inner); break;
		case 7:
			/* The mount point itself, and a path ending in it
			 * (the mounted root's reference count). */
			(void)rump_sys_stat(PATH("m"), &st);
			(void)rump_sys_stat(PATH("m/"), &st);
			break;
		case 8:
			(void)rump_sys_stat(PATH("k"), &st);
			(void)rump_sys_stat(PATH("r/x"), &st);
			break;
		}
#undef PATH
		if (i % 64 == 63)
			rt_sleep_ms(0);
	}
	rump_lwproc_releaselwp();
	return NULL;
}

ATF_TC(stress);
ATF_TC_HEAD(stress, tc)
{
	atf_tc_set_md_var(tc, "descr", "Lookers (one unprivileged) against "
	    "rename, unlink+create, rmdir+mkdir, chmod and mount/unmount "
	    "in the directories they go through: every lookup made in a "
	    "known state gives that state's answer");
	atf_tc_set_md_var(tc, "timeout", "600");
}
ATF_TC_BODY(stress, tc)
{
	struct looker lk[NLOOKERS + 1];
	void *mc[NMUT], *lc[NLOOKERS + 1];
	const char *env = getenv("T_VFS_LOOKUP_RACE_ROUNDS");

	/* More virtual CPUs than the host's cores: lookups and changes
	 * really overlap on posix (fiber interleaves them on one). */
	setenv("RUMP_NCPU", "4", 1);
	boot_root();
	R.rounds = env != NULL ? atoi(env) : 200;
	R.rounds += R.rounds % 2;	/* ends in the starting state */
	ATF_REQUIRE(R.rounds > 0);

	RL(rump_sys_mkdir("/s", 0755));
	RL(rump_sys_symlink("/s", "/l"));
	RL(rump_sys_mkdir("/s/r", 0755));
	RL(rump_sys_mkdir("/s/r/x", 0755));
	put("/s/r/x/f", "rdir");
	RL(rump_sys_mkdir("/s/u", 0755));
	put("/s/u/f", "gen 0");
	RL(rump_sys_mkdir("/s/k", 0755));
	put("/s/k/f", "k");
	RL(rump_sys_mkdir("/s/p", 0755));
	RL(rump_sys_mkdir("/s/p/q", 0755));
	put("/s/p/q/f", "pq");
	RL(rump_sys_mkdir("/s/m", 0755));
	put("/s/m/under", "under");

	R.running = NMUT;
	for (int i = 0; i <= NLOOKERS; i++) {
		lk[i].id = i;
		lk[i].user = i == NLOOKERS;
		lc[i] = rt_thread_start(looker, &lk[i], "looker");
	}
	for (int m = 0; m < NMUT; m++)
		mc[m] = rt_thread_start(mutator, (void *)(intptr_t)m,
		    "mutator");
	for (int m = 0; m < NMUT; m++)
		rt_thread_join(mc[m]);
	for (int i = 0; i <= NLOOKERS; i++)
		rt_thread_join(lc[i]);

	ATF_REQUIRE_MSG(!failed(), "%s", R.err);
	printf("%d rounds; lookups in a known state:", R.rounds);
	for (int m = 0; m < NMUT; m++)
		printf(" %s %lu", mutname[m], R.stable[m]);
	printf("; umount EBUSY %lu times\n", R.umount_busy);
	/* A run that checked nothing proves nothing. */
	for (int m = 0; m < NMUT; m++)
		ATF_CHECK_MSG(R.stable[m] > 0, "no lookup in a known %s "
		    "state", mutname[m]);
	/* Everything back as it started. */
	CONTENT("/s/r/x/f", "rdir");
	CONTENT("/s/k/f", "k");
	CONTENT("/s/m/under", "under");
	CONTENT("/s/p/q/f", "pq");
}

/* Unmounting while lookers go through the mount point without locks:
 * the unmount decides that nothing but the root is referenced and
 * closes the way in; a lockless lookup that read the way in just
 * before must not take a reference after that decision. */
static int umount_done;		/* atomic */
static unsigned long umount_lookups;	/* atomic */

static void *
umount_looker(void *arg)
{
	static const char *const paths[] = { "/s/m", "/s/m/", "/s/m/in",
	    "/s/m/in/f", "/s/m/.." };
	struct stat st;
	unsigned i, n = 0;

	(void)arg;
	for (i = 0; i < 20 * MAXITER &&
	    !__atomic_load_n(&umount_done, __ATOMIC_SEQ_CST); i++) {
		if (rump_sys_stat(paths[i % 5], &st) == 0)
			n++;
		if (i % 64 == 63)
			rt_sleep_ms(0);
	}
	__atomic_add_fetch(&umount_lookups, n, __ATOMIC_RELAXED);
	return NULL;
}

ATF_TC(umount_race);
ATF_TC_HEAD(umount_race, tc)
{
	atf_tc_set_md_var(tc, "descr", "Mounting and unmounting a tmpfs "
	    "again and again while three threads look up the mount point "
	    "and paths below it: no unmount may find a vnode referenced "
	    "after it decided that none was");
	atf_tc_set_md_var(tc, "timeout", "600");
}
ATF_TC_BODY(umount_race, tc)
{
	const char *env = getenv("T_VFS_LOOKUP_RACE_ROUNDS");
	int rounds = env != NULL ? atoi(env) * 10 : 2000;
	unsigned long busy = 0, mounts = 0;
	void *lc[3];

	setenv("RUMP_NCPU", "4", 1);
	boot_root();
	RL(rump_sys_mkdir("/s", 0755));
	RL(rump_sys_mkdir("/s/m", 0755));
	for (int i = 0; i < 3; i++)
		lc[i] = rt_thread_start(umount_looker, NULL, "looker");
	for (int r = 0; r < rounds; r++) {
		RL(rump_sys_mount("tmpfs", "/s/m", "tmpfs", 0, NULL));
		mounts++;
		RL(rump_sys_mkdir("/s/m/in", 0755));
		put("/s/m/in/f", "f");
		rt_sleep_ms(0);		/* fiber: the lookers' turn */
		for (int i = 0;; i++) {
			if (rump_sys_umount2("/s/m", 0) == 0)
				break;
			ATF_REQUIRE_MSG(i < 100000, "umount: EBUSY %d times",
			    i);
			ATF_REQUIRE_EQ_MSG(EBUSY, rt_errno(), "umount: %s",
			    strerror(rt_errno()));
			busy++;
			rt_sleep_ms(0);
		}
	}
	__atomic_store_n(&umount_done, 1, __ATOMIC_SEQ_CST);
	for (int i = 0; i < 3; i++)
		rt_thread_join(lc[i]);
	printf("%lu mounts, umount EBUSY %lu times, %lu lookups found "
	    "their file\n", mounts, busy, umount_lookups);
	ATF_CHECK(umount_lookups > 0);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, rename_dir);
	ATF_TP_ADD_TC(tp, rename_over);
	ATF_TP_ADD_TC(tp, unlink_recreate);
	ATF_TP_ADD_TC(tp, rmdir_mkdir);
	ATF_TP_ADD_TC(tp, chmod_search);
	ATF_TP_ADD_TC(tp, mount_over);
	ATF_TP_ADD_TC(tp, lazy_umount);
	ATF_TP_ADD_TC(tp, equivalence);
	ATF_TP_ADD_TC(tp, stress);
	ATF_TP_ADD_TC(tp, umount_race);
	return 0;
}
