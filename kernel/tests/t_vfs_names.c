/*
 * t_vfs_names.c: the name space through the rump kernel's system calls:
 * mkdir/rmdir/unlink, rename and its corner cases, hard and symbolic
 * links, path resolution errors, "..", cwd, and getdents64 including
 * offsets that must stay valid while the directory changes.
 *
 * Every expected errno is what Linux returns for the same call.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <atf-c.h>

#include <rump/rump.h>
#include <rump/rump_syscalls.h>

#include "h_rumptest.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE	(1 << 0)
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE		(1 << 1)
#endif

/* struct linux_dirent64, as getdents64 fills it. */
struct ldirent64 {
	uint64_t	d_ino;
	int64_t		d_off;
	unsigned short	d_reclen;
	unsigned char	d_type;
	char		d_name[];
};


static void
mkfile(const char *path, const char *data)
{
	int fd = (int)RL(rump_sys_open(path, O_WRONLY | O_CREAT | O_TRUNC,
	    0644));
	size_t len = strlen(data);

	if (len)
		ATF_REQUIRE_EQ((ssize_t)len, rump_sys_write(fd, data, len));
	RL(rump_sys_close(fd));
}

/* True when path's content is exactly data. */
static bool
hasdata(const char *path, const char *data)
{
	char buf[256];
	ssize_t n;
	int fd = rump_sys_open(path, O_RDONLY);

	if (fd == -1)
		return false;
	n = rump_sys_read(fd, buf, sizeof(buf));
	rump_sys_close(fd);
	return n == (ssize_t)strlen(data) && memcmp(buf, data, (size_t)n) == 0;
}

static ino_t
ino_of(const char *path)
{
	struct stat st;

	RL(rump_sys_lstat(path, &st));
	return st.st_ino;
}

static nlink_t
nlink_of(const char *path)
{
	struct stat st;

	RL(rump_sys_lstat(path, &st));
	return st.st_nlink;
}

static bool
exists(const char *path)
{
	struct stat st;

	return rump_sys_lstat(path, &st) == 0;
}

/* A listing of a directory: names and types, in getdents order. */
#define MAXENT	512
struct listing {
	int	 n;
	char	 name[MAXENT][64];
	int	 type[MAXENT];
	uint64_t ino[MAXENT];
};

static void
list_dir(const char *path, struct listing *l, size_t bufsz)
{
	char buf[4096];
	ssize_t n;
	int fd = (int)RL(rump_sys_open(path, O_RDONLY | O_DIRECTORY));

	ATF_REQUIRE(bufsz <= sizeof(buf));
	l->n = 0;
	while ((n = RL(rump_sys_getdents64(fd, buf, bufsz))) > 0) {
		for (ssize_t o = 0; o < n;) {
			struct ldirent64 *d = (struct ldirent64 *)(buf + o);

			ATF_REQUIRE_MSG(d->d_reclen > 0 &&
			    o + d->d_reclen <= n, "bad d_reclen %u",
			    d->d_reclen);
			ATF_REQUIRE(l->n < MAXENT);
			ATF_REQUIRE(strlen(d->d_name) < 64);
			strcpy(l->name[l->n], d->d_name);
			l->type[l->n] = d->d_type;
			l->ino[l->n] = d->d_ino;
			l->n++;
			o += d->d_reclen;
		}
	}
	RL(rump_sys_close(fd));
}

static int
find(const struct listing *l, const char *name)
{
	int found = -1;

	for (int i = 0; i < l->n; i++)
		if (strcmp(l->name[i], name) == 0) {
			ATF_REQUIRE_MSG(found == -1, "'%s' listed twice", name);
			found = i;
		}
	return found;
}

/* ------------------------------------------------------------------ */

ATF_TC(mkdir_rmdir);
ATF_TC_HEAD(mkdir_rmdir, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "mkdir/mkdirat/rmdir/unlinkat(AT_REMOVEDIR) and their errors");
}
ATF_TC_BODY(mkdir_rmdir, tc)
{
	struct stat st;
	int dfd;

	boot();
	RL(rump_sys_mkdir("/d", 0755));
	RL(rump_sys_stat("/d", &st));
	ATF_REQUIRE(S_ISDIR(st.st_mode));
	ATF_REQUIRE_EQ(2, st.st_nlink);
	ERR(EEXIST, rump_sys_mkdir("/d", 0755));
	ERR(EEXIST, rump_sys_mkdir("/", 0755));
	mkfile("/f", "x");
	ERR(EEXIST, rump_sys_mkdir("/f", 0755));
	ERR(ENOENT, rump_sys_mkdir("/nope/d", 0755));
	ERR(ENOTDIR, rump_sys_mkdir("/f/d", 0755));
	/* A trailing slash is fine for a directory. */
	RL(rump_sys_mkdir("/t/", 0755));
	RL(rump_sys_stat("/t", &st));
	ATF_REQUIRE(S_ISDIR(st.st_mode));
	RL(rump_sys_rmdir("/t/"));

	dfd = (int)RL(rump_sys_open("/d", O_RDONLY | O_DIRECTORY));
	RL(rump_sys_mkdirat(dfd, "sub", 0700));
	RL(rump_sys_stat("/d/sub", &st));
	ATF_REQUIRE(S_ISDIR(st.st_mode));
	RL(rump_sys_stat("/d", &st));
	ATF_REQUIRE_EQ(3, st.st_nlink);
	ERR(EEXIST, rump_sys_mkdirat(dfd, "sub", 0700));

	ERR(ENOTEMPTY, rump_sys_rmdir("/d"));
	ERR(ENOTDIR, rump_sys_rmdir("/f"));
	ERR(ENOENT, rump_sys_rmdir("/nope"));
	ERR(EINVAL, rump_sys_rmdir("/d/sub/."));
	ERR(ENOTEMPTY, rump_sys_rmdir("/d/sub/.."));
	ERR(EBUSY, rump_sys_rmdir("/"));
	ERR(EISDIR, rump_sys_unlinkat(dfd, "sub", 0));
	ERR(ENOTDIR, rump_sys_unlinkat(AT_FDCWD, "/f", AT_REMOVEDIR));
	ERR(EINVAL, rump_sys_unlinkat(AT_FDCWD, "/f", 0x1));
	ERR(ENOTEMPTY, rump_sys_unlinkat(AT_FDCWD, "/d", AT_REMOVEDIR));
	RL(rump_sys_unlinkat(dfd, "sub", AT_REMOVEDIR));
	ATF_REQUIRE(!exists("/d/sub"));
	RL(rump_sys_stat("/d", &st));
	ATF_REQUIRE_EQ(2, st.st_nlink);
	RL(rump_sys_close(dfd));
	RL(rump_sys_rmdir("/d"));
	ATF_REQUIRE(!exists("/d"));
	ERR(ENOENT, rump_sys_rmdir("/d"));
}

ATF_TC(unlink_semantics);
ATF_TC_HEAD(unlink_semantics, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "unlink/unlinkat remove a name; an open file survives its last "
	    "name with nlink 0; EISDIR on a directory, ENOENT when absent");
}
ATF_TC_BODY(unlink_semantics, tc)
{
	struct stat st;
	char buf[16];
	int fd, dfd;

	boot();
	mkfile("/f", "still here");
	fd = (int)RL(rump_sys_open("/f", O_RDWR));
	RL(rump_sys_unlink("/f"));
	ATF_REQUIRE(!exists("/f"));
	ERR(ENOENT, rump_sys_unlink("/f"));
	RL(rump_sys_fstat(fd, &st));
	ATF_REQUIRE_EQ(0, st.st_nlink);
	ATF_REQUIRE_EQ(10, rump_sys_pread64(fd, buf, sizeof(buf), 0));
	ATF_REQUIRE_EQ(0, memcmp(buf, "still here", 10));
	ATF_REQUIRE_EQ(1, rump_sys_pwrite64(fd, "S", 1, 0));
	ATF_REQUIRE_EQ(1, rump_sys_pread64(fd, buf, 1, 0));
	ATF_REQUIRE_EQ('S', buf[0]);
	RL(rump_sys_close(fd));
	/* A new file of the same name is a new, empty file. */
	mkfile("/f", "");
	RL(rump_sys_stat("/f", &st));
	ATF_REQUIRE_EQ(0, st.st_size);

	RL(rump_sys_mkdir("/d", 0755));
	ERR(EISDIR, rump_sys_unlink("/d"));
	mkfile("/d/g", "g");
	dfd = (int)RL(rump_sys_open("/d", O_RDONLY | O_DIRECTORY));
	RL(rump_sys_unlinkat(dfd, "g", 0));
	ATF_REQUIRE(!exists("/d/g"));
	RL(rump_sys_close(dfd));
	ERR(ENOENT, rump_sys_unlink("/nope/x"));
	ERR(ENOTDIR, rump_sys_unlink("/f/x"));
}

ATF_TC(rename_files);
ATF_TC_HEAD(rename_files, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "rename moves and replaces files (the replaced file lives on while "
	    "open); renaming to itself or to another link of the same file "
	    "is a no-op; renameat with dirfds");
}
ATF_TC_BODY(rename_files, tc)
{
	char buf[16];
	ino_t ia;
	int fd, d1, d2;

	boot();
	mkfile("/a", "AAA");
	mkfile("/b", "BB");
	ia = ino_of("/a");
	fd = (int)RL(rump_sys_open("/b", O_RDONLY));
	RL(rump_sys_rename("/a", "/b"));
	ATF_REQUIRE(!exists("/a"));
	ATF_REQUIRE(hasdata("/b", "AAA"));
	ATF_REQUIRE_EQ(ia, ino_of("/b"));
	ATF_REQUIRE_EQ(1, nlink_of("/b"));
	/* The replaced file is still readable through its descriptor. */
	ATF_REQUIRE_EQ(2, rump_sys_read(fd, buf, sizeof(buf)));
	ATF_REQUIRE_EQ(0, memcmp(buf, "BB", 2));
	RL(rump_sys_close(fd));

	/* Move to a fresh name, across directories. */
	RL(rump_sys_mkdir("/d1", 0755));
	RL(rump_sys_mkdir("/d2", 0755));
	RL(rump_sys_rename("/b", "/d1/c"));
	ATF_REQUIRE(hasdata("/d1/c", "AAA"));
	ATF_REQUIRE_EQ(ia, ino_of("/d1/c"));

	/* renameat relative to directory descriptors. */
	d1 = (int)RL(rump_sys_open("/d1", O_RDONLY | O_DIRECTORY));
	d2 = (int)RL(rump_sys_open("/d2", O_RDONLY | O_DIRECTORY));
	RL(rump_sys_renameat(d1, "c", d2, "e"));
	ATF_REQUIRE(!exists("/d1/c"));
	ATF_REQUIRE(hasdata("/d2/e", "AAA"));
	RL(rump_sys_renameat(d2, "e", AT_FDCWD, "/top"));
	ATF_REQUIRE(hasdata("/top", "AAA"));
	RL(rump_sys_close(d1));
	RL(rump_sys_close(d2));

	/* Same name: no-op. */
	RL(rump_sys_rename("/top", "/top"));
	ATF_REQUIRE(hasdata("/top", "AAA"));
	/* Two links to one file: POSIX says do nothing, both names stay. */
	RL(rump_sys_link("/top", "/top2"));
	RL(rump_sys_rename("/top", "/top2"));
	ATF_REQUIRE(exists("/top"));
	ATF_REQUIRE(exists("/top2"));
	ATF_REQUIRE_EQ(2, nlink_of("/top"));
	/* A symlink is renamed itself, not its target. */
	RL(rump_sys_symlink("/top", "/sl"));
	RL(rump_sys_rename("/sl", "/sl2"));
	ATF_REQUIRE(!exists("/sl"));
	ATF_REQUIRE(exists("/top"));
	{
		struct stat st;
		RL(rump_sys_lstat("/sl2", &st));
		ATF_REQUIRE(S_ISLNK(st.st_mode));
	}
}

ATF_TC(rename_dirs);
ATF_TC_HEAD(rename_dirs, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "rename of directories: replaces an empty directory, updates '..' "
	    "and link counts of both parents, keeps the contents");
}
ATF_TC_BODY(rename_dirs, tc)
{
	struct stat st;

	boot();
	RL(rump_sys_mkdir("/p1", 0755));
	RL(rump_sys_mkdir("/p2", 0755));
	RL(rump_sys_mkdir("/p1/d", 0755));
	mkfile("/p1/d/file", "content");
	ATF_REQUIRE_EQ(3, nlink_of("/p1"));
	ATF_REQUIRE_EQ(2, nlink_of("/p2"));
	RL(rump_sys_rename("/p1/d", "/p2/d"));
	ATF_REQUIRE(!exists("/p1/d"));
	ATF_REQUIRE(hasdata("/p2/d/file", "content"));
	ATF_REQUIRE_EQ(2, nlink_of("/p1"));
	ATF_REQUIRE_EQ(3, nlink_of("/p2"));
	RL(rump_sys_stat("/p2/d/..", &st));
	ATF_REQUIRE_EQ(ino_of("/p2"), st.st_ino);

	/* Replacing an empty directory. */
	RL(rump_sys_mkdir("/p1/empty", 0755));
	ATF_REQUIRE_EQ(3, nlink_of("/p1"));
	RL(rump_sys_rename("/p2/d", "/p1/empty"));
	ATF_REQUIRE(!exists("/p2/d"));
	ATF_REQUIRE(hasdata("/p1/empty/file", "content"));
	ATF_REQUIRE_EQ(3, nlink_of("/p1"));
	ATF_REQUIRE_EQ(2, nlink_of("/p2"));
	ATF_REQUIRE_EQ(2, nlink_of("/p1/empty"));
	RL(rump_sys_stat("/p1/empty/..", &st));
	ATF_REQUIRE_EQ(ino_of("/p1"), st.st_ino);

	/* Rename within the same parent. */
	RL(rump_sys_rename("/p1/empty", "/p1/full"));
	ATF_REQUIRE(hasdata("/p1/full/file", "content"));
	ATF_REQUIRE_EQ(3, nlink_of("/p1"));
	/* A directory to itself: no-op. */
	RL(rump_sys_rename("/p1/full", "/p1/full"));
	ATF_REQUIRE(hasdata("/p1/full/file", "content"));
	/* Trailing slashes on directories are fine. */
	RL(rump_sys_rename("/p1/full/", "/p2/full/"));
	ATF_REQUIRE(hasdata("/p2/full/file", "content"));
}

ATF_TC(rename_errors);
ATF_TC_HEAD(rename_errors, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "rename errors: ENOTEMPTY, EISDIR (file over dir), ENOTDIR (dir "
	    "over file), EINVAL (dir into its own subtree), ENOENT; nothing "
	    "changes on failure");
}
ATF_TC_BODY(rename_errors, tc)
{
	boot();
	mkfile("/f", "f");
	RL(rump_sys_mkdir("/d", 0755));
	RL(rump_sys_mkdir("/d/s", 0755));
	RL(rump_sys_mkdir("/e", 0755));
	RL(rump_sys_mkdir("/ne", 0755));
	mkfile("/ne/x", "x");

	ERR(ENOTEMPTY, rump_sys_rename("/e", "/ne"));
	ATF_REQUIRE(exists("/e") && hasdata("/ne/x", "x"));
	ERR(EISDIR, rump_sys_rename("/f", "/e"));
	ATF_REQUIRE(hasdata("/f", "f"));
	ERR(ENOTDIR, rump_sys_rename("/e", "/f"));
	ATF_REQUIRE(exists("/e") && hasdata("/f", "f"));
	ERR(EINVAL, rump_sys_rename("/d", "/d/s/x"));
	ERR(EINVAL, rump_sys_rename("/d", "/d/x"));
	ERR(EINVAL, rump_sys_rename("/d", "/d/s"));
	ATF_REQUIRE(exists("/d/s"));
	ERR(ENOENT, rump_sys_rename("/nope", "/x"));
	ERR(ENOENT, rump_sys_rename("/f", "/nope/x"));
	ERR(ENOTDIR, rump_sys_rename("/f", "/f/x"));
	ERR(ENOTDIR, rump_sys_rename("/f/", "/g"));
	ATF_REQUIRE(hasdata("/f", "f"));
	ATF_REQUIRE(!exists("/x") && !exists("/g"));
	/* Renaming '/' or onto '/' is refused. */
	ERR(EBUSY, rump_sys_rename("/", "/z"));
	ATF_REQUIRE(!exists("/z"));
}

ATF_TC(renameat2_flags);
ATF_TC_HEAD(renameat2_flags, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "renameat2: RENAME_NOREPLACE gives EEXIST on an existing target "
	    "and works on a free one; unknown or conflicting flags EINVAL");
}
ATF_TC_BODY(renameat2_flags, tc)
{
	boot();
	mkfile("/a", "a");
	mkfile("/b", "b");
	ERR(EEXIST, rump_sys_renameat2(AT_FDCWD, "/a", AT_FDCWD, "/b",
	    RENAME_NOREPLACE));
	ATF_REQUIRE(hasdata("/a", "a") && hasdata("/b", "b"));
	RL(rump_sys_renameat2(AT_FDCWD, "/a", AT_FDCWD, "/c",
	    RENAME_NOREPLACE));
	ATF_REQUIRE(!exists("/a") && hasdata("/c", "a"));
	RL(rump_sys_renameat2(AT_FDCWD, "/c", AT_FDCWD, "/b", 0));
	ATF_REQUIRE(!exists("/c") && hasdata("/b", "a"));
	ERR(EINVAL, rump_sys_renameat2(AT_FDCWD, "/b", AT_FDCWD, "/x",
	    0x100));
	ERR(EINVAL, rump_sys_renameat2(AT_FDCWD, "/b", AT_FDCWD, "/x",
	    RENAME_NOREPLACE | RENAME_EXCHANGE));
	ATF_REQUIRE(hasdata("/b", "a") && !exists("/x"));
	RL(rump_sys_mkdir("/d", 0755));
	ERR(EEXIST, rump_sys_renameat2(AT_FDCWD, "/b", AT_FDCWD, "/d",
	    RENAME_NOREPLACE));
}

ATF_TC(hard_links);
ATF_TC_HEAD(hard_links, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "link/linkat: shared data and inode, nlink counts up and down, "
	    "EPERM on a directory, EEXIST, ENOENT, AT_SYMLINK_FOLLOW");
}
ATF_TC_BODY(hard_links, tc)
{
	struct stat st;
	int fd, dfd;

	boot();
	mkfile("/f", "one");
	ATF_REQUIRE_EQ(1, nlink_of("/f"));
	RL(rump_sys_link("/f", "/g"));
	ATF_REQUIRE_EQ(2, nlink_of("/f"));
	ATF_REQUIRE_EQ(2, nlink_of("/g"));
	ATF_REQUIRE_EQ(ino_of("/f"), ino_of("/g"));
	RL(rump_sys_mkdir("/d", 0755));
	dfd = (int)RL(rump_sys_open("/d", O_RDONLY | O_DIRECTORY));
	RL(rump_sys_linkat(AT_FDCWD, "/g", dfd, "h", 0));
	ATF_REQUIRE_EQ(3, nlink_of("/f"));
	/* Data written through one name shows through the others. */
	fd = (int)RL(rump_sys_open("/d/h", O_WRONLY | O_APPEND));
	ATF_REQUIRE_EQ(4, rump_sys_write(fd, "-two", 4));
	RL(rump_sys_close(fd));
	ATF_REQUIRE(hasdata("/f", "one-two"));
	RL(rump_sys_unlink("/f"));
	ATF_REQUIRE_EQ(2, nlink_of("/g"));
	RL(rump_sys_unlinkat(dfd, "h", 0));
	ATF_REQUIRE_EQ(1, nlink_of("/g"));
	ATF_REQUIRE(hasdata("/g", "one-two"));

	ERR(EPERM, rump_sys_link("/d", "/dl"));
	ERR(EEXIST, rump_sys_link("/g", "/d"));
	mkfile("/other", "o");
	ERR(EEXIST, rump_sys_link("/g", "/other"));
	ERR(ENOENT, rump_sys_link("/nope", "/n"));
	ERR(ENOENT, rump_sys_link("/g", "/nope/n"));
	ATF_REQUIRE_EQ(1, nlink_of("/g"));

	/* linkat of a symlink: the link itself by default, its target with
	 * AT_SYMLINK_FOLLOW. */
	RL(rump_sys_symlink("/g", "/sl"));
	RL(rump_sys_linkat(AT_FDCWD, "/sl", AT_FDCWD, "/sl_nofollow", 0));
	RL(rump_sys_lstat("/sl_nofollow", &st));
	ATF_REQUIRE(S_ISLNK(st.st_mode));
	ATF_REQUIRE_EQ(ino_of("/sl"), st.st_ino);
	RL(rump_sys_linkat(AT_FDCWD, "/sl", AT_FDCWD, "/sl_follow",
	    AT_SYMLINK_FOLLOW));
	RL(rump_sys_lstat("/sl_follow", &st));
	ATF_REQUIRE(S_ISREG(st.st_mode));
	ATF_REQUIRE_EQ(ino_of("/g"), st.st_ino);
	ATF_REQUIRE_EQ(2, nlink_of("/g"));
	ERR(EINVAL, rump_sys_linkat(AT_FDCWD, "/g", AT_FDCWD, "/bad", 0x1));
	RL(rump_sys_close(dfd));
}

ATF_TC(symlinks);
ATF_TC_HEAD(symlinks, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "symlink/symlinkat/readlink/readlinkat: relative and absolute "
	    "targets, truncation, EINVAL on non-symlinks, dangling links");
}
ATF_TC_BODY(symlinks, tc)
{
	char buf[64];
	struct stat st;
	int dfd, fd;

	boot();
	RL(rump_sys_mkdir("/d", 0755));
	RL(rump_sys_mkdir("/d/sub", 0755));
	mkfile("/d/f", "target");
	RL(rump_sys_symlink("f", "/d/rel"));
	RL(rump_sys_symlink("/d/f", "/abs"));
	RL(rump_sys_symlink("../f", "/d/sub/up"));
	ATF_REQUIRE(hasdata("/d/rel", "target"));
	ATF_REQUIRE(hasdata("/abs", "target"));
	ATF_REQUIRE(hasdata("/d/sub/up", "target"));

	memset(buf, 0, sizeof(buf));
	ATF_REQUIRE_EQ(1, rump_sys_readlink("/d/rel", buf, sizeof(buf)));
	ATF_REQUIRE_STREQ("f", buf);
	memset(buf, 0, sizeof(buf));
	ATF_REQUIRE_EQ(4, rump_sys_readlink("/d/sub/up", buf, sizeof(buf)));
	ATF_REQUIRE_STREQ("../f", buf);
	/* Truncation: no NUL, returns the buffer size. */
	memset(buf, 'x', sizeof(buf));
	ATF_REQUIRE_EQ(3, rump_sys_readlink("/abs", buf, 3));
	ATF_REQUIRE_EQ(0, memcmp(buf, "/d/x", 4));
	ERR(EINVAL, rump_sys_readlink("/abs", buf, 0));
	RL(rump_sys_lstat("/abs", &st));
	ATF_REQUIRE(S_ISLNK(st.st_mode));
	ATF_REQUIRE_EQ(4, st.st_size);
	RL(rump_sys_stat("/abs", &st));
	ATF_REQUIRE(S_ISREG(st.st_mode));
	ATF_REQUIRE_EQ(6, st.st_size);

	dfd = (int)RL(rump_sys_open("/d", O_RDONLY | O_DIRECTORY));
	RL(rump_sys_symlinkat("sub", dfd, "tosub"));
	memset(buf, 0, sizeof(buf));
	ATF_REQUIRE_EQ(3, rump_sys_readlinkat(dfd, "tosub", buf, sizeof(buf)));
	ATF_REQUIRE_STREQ("sub", buf);
	/* A symlink to a directory in the middle of a path. */
	ATF_REQUIRE(hasdata("/d/tosub/up", "target"));
	RL(rump_sys_stat("/d/tosub/", &st));
	ATF_REQUIRE(S_ISDIR(st.st_mode));

	ERR(EINVAL, rump_sys_readlink("/d/f", buf, sizeof(buf)));
	ERR(EINVAL, rump_sys_readlink("/d", buf, sizeof(buf)));
	ERR(EINVAL, rump_sys_readlinkat(dfd, "f", buf, sizeof(buf)));
	ERR(ENOENT, rump_sys_readlink("/nope", buf, sizeof(buf)));
	ERR(EEXIST, rump_sys_symlink("x", "/d/f"));
	ERR(EEXIST, rump_sys_symlink("x", "/abs"));
	ERR(ENOENT, rump_sys_symlink("x", "/nope/l"));
	ERR(ENOENT, rump_sys_symlink("", "/empty"));

	/* Dangling: stat ENOENT, lstat works; O_CREAT creates the target,
	 * O_CREAT|O_EXCL refuses the link itself. */
	RL(rump_sys_symlink("/d/newfile", "/dang"));
	ERR(ENOENT, rump_sys_stat("/dang", &st));
	RL(rump_sys_lstat("/dang", &st));
	ERR(EEXIST, rump_sys_open("/dang", O_WRONLY | O_CREAT | O_EXCL, 0644));
	ATF_REQUIRE(!exists("/d/newfile"));
	fd = (int)RL(rump_sys_open("/dang", O_WRONLY | O_CREAT, 0644));
	ATF_REQUIRE_EQ(3, rump_sys_write(fd, "new", 3));
	RL(rump_sys_close(fd));
	ATF_REQUIRE(hasdata("/d/newfile", "new"));
	/* unlink removes the link, not the target. */
	RL(rump_sys_unlink("/dang"));
	ATF_REQUIRE(hasdata("/d/newfile", "new"));
	RL(rump_sys_close(dfd));
}

ATF_TC(symlink_loops);
ATF_TC_HEAD(symlink_loops, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "symlink loops give ELOOP, O_NOFOLLOW on a final symlink ELOOP, "
	    "symlinks earlier in the path are still followed");
}
ATF_TC_BODY(symlink_loops, tc)
{
	struct stat st;
	char buf[8];
	int fd;

	boot();
	RL(rump_sys_symlink("/l2", "/l1"));
	RL(rump_sys_symlink("/l1", "/l2"));
	RL(rump_sys_symlink("self", "/self"));
	ERR(ELOOP, rump_sys_open("/l1", O_RDONLY));
	ERR(ELOOP, rump_sys_stat("/l1", &st));
	ERR(ELOOP, rump_sys_stat("/self", &st));
	ERR(ELOOP, rump_sys_stat("/self/x", &st));
	ERR(ELOOP, rump_sys_open("/l1/x", O_RDONLY | O_CREAT, 0644));
	ERR(ELOOP, rump_sys_mkdir("/l1/x", 0755));
	ERR(ELOOP, rump_sys_chdir("/l1"));
	/* lstat of the link itself is fine. */
	RL(rump_sys_lstat("/l1", &st));
	ATF_REQUIRE(S_ISLNK(st.st_mode));

	mkfile("/f", "data");
	RL(rump_sys_mkdir("/d", 0755));
	mkfile("/d/g", "gg");
	RL(rump_sys_symlink("/f", "/lf"));
	RL(rump_sys_symlink("/d", "/ld"));
	ERR(ELOOP, rump_sys_open("/lf", O_RDONLY | O_NOFOLLOW));
	ERR(ELOOP, rump_sys_open("/lf", O_WRONLY | O_CREAT | O_NOFOLLOW,
	    0644));
	ERR(ELOOP, rump_sys_open("/ld", O_RDONLY | O_NOFOLLOW));
	/* Only the last component is affected. */
	fd = (int)RL(rump_sys_open("/ld/g", O_RDONLY | O_NOFOLLOW));
	ATF_REQUIRE_EQ(2, rump_sys_read(fd, buf, sizeof(buf)));
	RL(rump_sys_close(fd));
	fd = (int)RL(rump_sys_open("/f", O_RDONLY | O_NOFOLLOW));
	RL(rump_sys_close(fd));
}

ATF_TC(symlink_chain_limit);
ATF_TC_HEAD(symlink_chain_limit, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "Linux follows at most 40 symlinks per lookup: a chain of 40 "
	    "resolves, 41 gives ELOOP (a short chain of 8 resolves)");
}
ATF_TC_BODY(symlink_chain_limit, tc)
{
	char a[32], b[32];
	struct stat st;

	boot();
	/* c0 -> c1 -> ... -> c59 -> c60 (a file). */
	for (int i = 0; i < 60; i++) {
		snprintf(a, sizeof(a), "/c%d", i);
		snprintf(b, sizeof(b), "c%d", i + 1);
		RL(rump_sys_symlink(b, a));
	}
	mkfile("/c60", "end");
	RL(rump_sys_stat("/c52", &st));		/* 8 links */
	ATF_REQUIRE(S_ISREG(st.st_mode));
	RL(rump_sys_stat("/c20", &st));		/* 40 links */
	ATF_REQUIRE(S_ISREG(st.st_mode));
	ERR(ELOOP, rump_sys_stat("/c19", &st));	/* 41 links */
	ERR(ELOOP, rump_sys_stat("/c0", &st));
}

ATF_TC(name_too_long);
ATF_TC_HEAD(name_too_long, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "ENAMETOOLONG: a 256-byte component (255 is fine); a path of "
	    "4096 bytes (4095 is fine)");
}
ATF_TC_BODY(name_too_long, tc)
{
	static char name[300], path[8192];
	struct stat st;
	size_t len;
	int fd;

	boot();
	memset(name, 0, sizeof(name));
	name[0] = '/';
	memset(name + 1, 'n', 256);
	ERR(ENAMETOOLONG, rump_sys_open(name, O_WRONLY | O_CREAT, 0644));
	ERR(ENAMETOOLONG, rump_sys_mkdir(name, 0755));
	ERR(ENAMETOOLONG, rump_sys_stat(name, &st));
	ERR(ENAMETOOLONG, rump_sys_symlink("x", name));
	name[256] = '\0';			/* 255 bytes */
	fd = (int)RL(rump_sys_open(name, O_WRONLY | O_CREAT, 0644));
	RL(rump_sys_close(fd));
	RL(rump_sys_stat(name, &st));
	name[256] = 'n';
	ERR(ENAMETOOLONG, rump_sys_rename(name + 0, "/x"));
	name[256] = '\0';
	{
		char longer[sizeof(name) + 2];
		snprintf(longer, sizeof(longer), "%sX", name);
		ERR(ENAMETOOLONG, rump_sys_rename(name, longer));
		ERR(ENAMETOOLONG, rump_sys_link(name, longer));
	}

	mkfile("/f", "f");
	/* "/" + "./" * 2047 + "f": 4096 bytes without the NUL. */
	strcpy(path, "/");
	for (int i = 0; i < 2047; i++)
		strcat(path, "./");
	strcat(path, "f");
	len = strlen(path);
	ATF_REQUIRE_EQ(4096, len);
	ERR(ENAMETOOLONG, rump_sys_stat(path, &st));
	ERR(ENAMETOOLONG, rump_sys_open(path, O_RDONLY));
	/* "//" + "./" * 2046 + "f": 4095 bytes, within PATH_MAX. */
	strcpy(path, "//");
	for (int i = 0; i < 2046; i++)
		strcat(path, "./");
	strcat(path, "f");
	ATF_REQUIRE_EQ(4095, strlen(path));
	RL(rump_sys_stat(path, &st));
	ATF_REQUIRE(S_ISREG(st.st_mode));
	/* Much longer than PATH_MAX. */
	memset(path, 'a', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	ERR(ENAMETOOLONG, rump_sys_stat(path, &st));
	ERR(ENAMETOOLONG, rump_sys_mkdir(path, 0755));
	/* A symlink target may be at most PATH_MAX - 1 bytes. */
	memset(path, 't', 4096);
	path[4096] = '\0';
	ERR(ENAMETOOLONG, rump_sys_symlink(path, "/longlink"));
}

ATF_TC(enotdir_eisdir);
ATF_TC_HEAD(enotdir_eisdir, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "ENOTDIR for a file used as a directory (incl. trailing slash), "
	    "EISDIR for writing/reading a directory as a file");
}
ATF_TC_BODY(enotdir_eisdir, tc)
{
	struct stat st;
	char buf[8];
	int fd;

	boot();
	mkfile("/f", "f");
	RL(rump_sys_mkdir("/d", 0755));
	ERR(ENOTDIR, rump_sys_open("/f/x", O_RDONLY));
	ERR(ENOTDIR, rump_sys_open("/f/x", O_RDWR | O_CREAT, 0644));
	ERR(ENOTDIR, rump_sys_open("/f/", O_RDONLY));
	ERR(ENOTDIR, rump_sys_stat("/f/", &st));
	ERR(ENOTDIR, rump_sys_lstat("/f/", &st));
	ERR(ENOTDIR, rump_sys_stat("/f/.", &st));
	ERR(ENOTDIR, rump_sys_stat("/f/..", &st));
	ERR(ENOTDIR, rump_sys_chdir("/f"));
	ERR(ENOTDIR, rump_sys_unlink("/f/"));
	ERR(ENOTDIR, rump_sys_open("/f", O_RDONLY | O_DIRECTORY));
	ERR(ENOTDIR, rump_sys_mkdir("/f/sub", 0755));

	ERR(EISDIR, rump_sys_open("/d", O_WRONLY));
	ERR(EISDIR, rump_sys_open("/d", O_RDWR));
	ERR(EISDIR, rump_sys_open("/d", O_WRONLY | O_CREAT, 0644));
	ERR(EISDIR, rump_sys_open("/d", O_RDONLY | O_CREAT, 0644));
	ERR(EISDIR, rump_sys_open("/d/", O_WRONLY | O_CREAT, 0644));
	ERR(EISDIR, rump_sys_open("/", O_WRONLY));
	ERR(EISDIR, rump_sys_unlink("/d"));
	fd = (int)RL(rump_sys_open("/d", O_RDONLY));
	ERR(EISDIR, rump_sys_read(fd, buf, sizeof(buf)));
	ERR(EISDIR, rump_sys_pread64(fd, buf, sizeof(buf), 0));
	RL(rump_sys_close(fd));
	/* O_CREAT with a trailing slash never creates a regular file. */
	ERR(EISDIR, rump_sys_open("/newf/", O_WRONLY | O_CREAT, 0644));
	ATF_REQUIRE(!exists("/newf"));
}

ATF_TC(enoent_eexist);
ATF_TC_HEAD(enoent_eexist, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "ENOENT for missing names and empty paths, EEXIST for names in use");
}
ATF_TC_BODY(enoent_eexist, tc)
{
	struct stat st;

	boot();
	ERR(ENOENT, rump_sys_stat("/nope", &st));
	ERR(ENOENT, rump_sys_stat("/nope/deeper", &st));
	ERR(ENOENT, rump_sys_stat("", &st));
	ERR(ENOENT, rump_sys_open("", O_RDONLY));
	ERR(ENOENT, rump_sys_mkdir("", 0755));
	ERR(ENOENT, rump_sys_unlink(""));
	ERR(ENOENT, rump_sys_chdir("/nope"));
	ERR(ENOENT, rump_sys_rmdir("/nope"));
	ERR(ENOENT, rump_sys_unlink("/nope"));
	mkfile("/f", "");
	RL(rump_sys_mkdir("/d", 0755));
	ERR(EEXIST, rump_sys_mkdir("/d", 0755));
	ERR(EEXIST, rump_sys_mkdir("/d/", 0755));
	ERR(EEXIST, rump_sys_mkdir("/f", 0755));
	ERR(EEXIST, rump_sys_open("/d", O_RDONLY | O_CREAT | O_EXCL, 0644));
	ERR(EEXIST, rump_sys_symlink("/f", "/d"));
	ERR(EEXIST, rump_sys_link("/f", "/f"));
	/* A removed name really is gone. */
	RL(rump_sys_unlink("/f"));
	ERR(ENOENT, rump_sys_stat("/f", &st));
}

ATF_TC(dotdot_cwd);
ATF_TC_HEAD(dotdot_cwd, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "chdir into a subdirectory then '..', relative names follow cwd, "
	    "getcwd (length incl. NUL, ERANGE), fchdir, '..' of / is /");
}
ATF_TC_BODY(dotdot_cwd, tc)
{
	char buf[256];
	struct stat st, st2;
	int fd;

	boot();
	RL(rump_sys_mkdir("/a", 0755));
	RL(rump_sys_mkdir("/a/b", 0755));
	RL(rump_sys_mkdir("/a/b/c", 0755));

	memset(buf, 0, sizeof(buf));
	ATF_REQUIRE_EQ(2, rump_sys_getcwd(buf, sizeof(buf)));
	ATF_REQUIRE_STREQ("/", buf);
	ERR(ERANGE, rump_sys_getcwd(buf, 1));

	RL(rump_sys_chdir("/a/b"));
	memset(buf, 0, sizeof(buf));
	ATF_REQUIRE_EQ(5, rump_sys_getcwd(buf, sizeof(buf)));
	ATF_REQUIRE_STREQ("/a/b", buf);
	ATF_REQUIRE_EQ(5, rump_sys_getcwd(buf, 5));
	ERR(ERANGE, rump_sys_getcwd(buf, 4));
	ERR(ERANGE, rump_sys_getcwd(buf, 0));

	/* Relative names resolve from cwd. */
	mkfile("rel", "r");
	ATF_REQUIRE(hasdata("/a/b/rel", "r"));
	RL(rump_sys_stat("c", &st));
	ATF_REQUIRE(S_ISDIR(st.st_mode));
	RL(rump_sys_chdir("c"));
	RL(rump_sys_chdir(".."));
	ATF_REQUIRE_EQ(5, rump_sys_getcwd(buf, sizeof(buf)));
	ATF_REQUIRE_STREQ("/a/b", buf);
	RL(rump_sys_chdir(".."));
	ATF_REQUIRE_EQ(3, rump_sys_getcwd(buf, sizeof(buf)));
	ATF_REQUIRE_STREQ("/a", buf);
	ATF_REQUIRE(hasdata("b/rel", "r"));
	ATF_REQUIRE(hasdata("./b/../b/./rel", "r"));
	RL(rump_sys_chdir("../.."));
	ATF_REQUIRE_EQ(2, rump_sys_getcwd(buf, sizeof(buf)));
	ATF_REQUIRE_STREQ("/", buf);

	/* '..' of the root is the root. */
	RL(rump_sys_stat("/..", &st));
	RL(rump_sys_stat("/", &st2));
	ATF_REQUIRE_EQ(st2.st_ino, st.st_ino);
	RL(rump_sys_stat("/../../a/..", &st));
	ATF_REQUIRE_EQ(st2.st_ino, st.st_ino);
	/* '..' after a symlink is the physical parent. */
	RL(rump_sys_symlink("/a/b/c", "/lc"));
	RL(rump_sys_stat("/lc/..", &st));
	ATF_REQUIRE_EQ(ino_of("/a/b"), st.st_ino);

	/* fchdir. */
	fd = (int)RL(rump_sys_open("/a/b/c", O_RDONLY | O_DIRECTORY));
	RL(rump_sys_fchdir(fd));
	ATF_REQUIRE_EQ(7, rump_sys_getcwd(buf, sizeof(buf)));
	ATF_REQUIRE_STREQ("/a/b/c", buf);
	RL(rump_sys_close(fd));
	mkfile("in_c", "c");
	ATF_REQUIRE(hasdata("/a/b/c/in_c", "c"));
	fd = (int)RL(rump_sys_open("/a/b/rel", O_RDONLY));
	ERR(ENOTDIR, rump_sys_fchdir(fd));
	RL(rump_sys_close(fd));
	/* chdir through a symlink. */
	RL(rump_sys_chdir("/lc"));
	ATF_REQUIRE_EQ(7, rump_sys_getcwd(buf, sizeof(buf)));
	ATF_REQUIRE_STREQ("/a/b/c", buf);
	/* A renamed ancestor shows in getcwd. */
	RL(rump_sys_rename("/a/b", "/a/B"));
	ATF_REQUIRE_EQ(7, rump_sys_getcwd(buf, sizeof(buf)));
	ATF_REQUIRE_STREQ("/a/B/c", buf);
}

ATF_TC(getdents_exact);
ATF_TC_HEAD(getdents_exact, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "getdents64 lists exactly the created names plus . and .., once "
	    "each, with the right d_type and d_ino; small buffers; errors");
}
ATF_TC_BODY(getdents_exact, tc)
{
	static struct listing l;
	static const char *names[] = { "file", "dir", "link", "a", "bb",
	    "a_rather_longer_name_with_more_than_thirty_two_chars" };
	static const int types[] = { DT_REG, DT_DIR, DT_LNK, DT_REG, DT_REG,
	    DT_REG };
	char buf[512];
	int fd;

	boot();
	RL(rump_sys_mkdir("/d", 0755));
	mkfile("/d/file", "x");
	RL(rump_sys_mkdir("/d/dir", 0755));
	RL(rump_sys_symlink("file", "/d/link"));
	mkfile("/d/a", "");
	mkfile("/d/bb", "");
	mkfile("/d/a_rather_longer_name_with_more_than_thirty_two_chars", "");
	mkfile("/d/gone", "");
	RL(rump_sys_unlink("/d/gone"));

	/* A large buffer, and one that holds about one entry at a time. */
	for (int pass = 0; pass < 2; pass++) {
		list_dir("/d", &l, pass == 0 ? 4096 : 80);
		ATF_REQUIRE_EQ_MSG(8, l.n, "pass %d: %d entries", pass, l.n);
		ATF_REQUIRE(find(&l, ".") >= 0);
		ATF_REQUIRE_EQ(DT_DIR, l.type[find(&l, ".")]);
		ATF_REQUIRE_EQ(ino_of("/d"), l.ino[find(&l, ".")]);
		ATF_REQUIRE(find(&l, "..") >= 0);
		ATF_REQUIRE_EQ(DT_DIR, l.type[find(&l, "..")]);
		ATF_REQUIRE_EQ(ino_of("/"), l.ino[find(&l, "..")]);
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			char p[128];
			int k = find(&l, names[i]);

			ATF_REQUIRE_MSG(k >= 0, "'%s' not listed", names[i]);
			ATF_REQUIRE_EQ_MSG(types[i], l.type[k],
			    "'%s': d_type %d", names[i], l.type[k]);
			snprintf(p, sizeof(p), "/d/%s", names[i]);
			ATF_REQUIRE_EQ(ino_of(p), l.ino[k]);
		}
		ATF_REQUIRE(find(&l, "gone") < 0);
	}
	/* An empty directory: just . and .. */
	RL(rump_sys_mkdir("/empty", 0755));
	list_dir("/empty", &l, 4096);
	ATF_REQUIRE_EQ(2, l.n);
	ATF_REQUIRE(find(&l, ".") >= 0 && find(&l, "..") >= 0);

	/* A buffer too small for one entry: EINVAL. */
	fd = (int)RL(rump_sys_open("/d", O_RDONLY | O_DIRECTORY));
	ERR(EINVAL, rump_sys_getdents64(fd, buf, 1));
	/* At the end: 0, again and again. */
	while (RL(rump_sys_getdents64(fd, buf, sizeof(buf))) > 0)
		;
	ATF_REQUIRE_EQ(0, rump_sys_getdents64(fd, buf, sizeof(buf)));
	/* Rewinding starts over. */
	ATF_REQUIRE_EQ(0, rump_sys_lseek(fd, 0, SEEK_SET));
	ATF_REQUIRE(rump_sys_getdents64(fd, buf, sizeof(buf)) > 0);
	RL(rump_sys_close(fd));
	fd = (int)RL(rump_sys_open("/d/file", O_RDONLY));
	ERR(ENOTDIR, rump_sys_getdents64(fd, buf, sizeof(buf)));
	RL(rump_sys_close(fd));
}

/*
 * Reads part of a directory of 100 entries, changes the directory
 * (creates new entries, removes other entries that were never reported),
 * then continues from the saved d_off: every original entry must be seen
 * exactly once.  reopen: continue on a fresh descriptor (seekdir after
 * closedir/opendir), otherwise on the same one.
 */
static void
offsets_survive_changes(bool reopen)
{
	static bool seen_orig[100];
	static char seen_names[1024][64];
	char buf[600], path[64];
	int nseen = 0, fd, firstpart = 0;
	int64_t saved = -1;
	ssize_t n;

	boot();
	RL(rump_sys_mkdir("/d", 0755));
	for (int i = 0; i < 100; i++) {
		snprintf(path, sizeof(path), "/d/orig%03d", i);
		mkfile(path, "");
	}
	for (int i = 0; i < 40; i++) {
		snprintf(path, sizeof(path), "/d/extra%03d", i);
		mkfile(path, "");
	}
	memset(seen_orig, 0, sizeof(seen_orig));

	fd = (int)RL(rump_sys_open("/d", O_RDONLY | O_DIRECTORY));
	/* First part: two small reads. */
	for (int r = 0; r < 2; r++) {
		n = RL(rump_sys_getdents64(fd, buf, sizeof(buf)));
		ATF_REQUIRE(n > 0);
		for (ssize_t o = 0; o < n;) {
			struct ldirent64 *d = (struct ldirent64 *)(buf + o);

			ATF_REQUIRE(nseen < 1024);
			strcpy(seen_names[nseen++], d->d_name);
			saved = d->d_off;
			firstpart++;
			o += d->d_reclen;
		}
	}
	ATF_REQUIRE_MSG(firstpart < 142, "first part read everything (%d)",
	    firstpart);

	/* Change the directory: 60 new names, and remove every extra that
	 * has not been reported yet. */
	for (int i = 0; i < 60; i++) {
		snprintf(path, sizeof(path), "/d/new%03d", i);
		mkfile(path, "");
	}
	for (int i = 0; i < 40; i++) {
		bool reported = false;

		snprintf(path, sizeof(path), "extra%03d", i);
		for (int k = 0; k < nseen; k++)
			if (strcmp(seen_names[k], path) == 0)
				reported = true;
		if (reported)
			continue;
		snprintf(path, sizeof(path), "/d/extra%03d", i);
		RL(rump_sys_unlink(path));
	}

	if (reopen) {
		RL(rump_sys_close(fd));
		fd = (int)RL(rump_sys_open("/d", O_RDONLY | O_DIRECTORY));
	}
	ATF_REQUIRE_EQ(saved, rump_sys_lseek(fd, saved, SEEK_SET));
	while ((n = RL(rump_sys_getdents64(fd, buf, sizeof(buf)))) > 0) {
		for (ssize_t o = 0; o < n;) {
			struct ldirent64 *d = (struct ldirent64 *)(buf + o);

			ATF_REQUIRE(nseen < 1024);
			strcpy(seen_names[nseen++], d->d_name);
			o += d->d_reclen;
		}
	}
	RL(rump_sys_close(fd));

	for (int k = 0; k < nseen; k++) {
		const char *nm = seen_names[k];
		int idx;

		if (strncmp(nm, "orig", 4) == 0) {
			idx = atoi(nm + 4);
			ATF_REQUIRE(idx >= 0 && idx < 100);
			ATF_CHECK_MSG(!seen_orig[idx], "'%s' reported twice",
			    nm);
			seen_orig[idx] = true;
		}
		/* Nothing at all may be reported twice. */
		for (int j = 0; j < k; j++)
			ATF_CHECK_MSG(strcmp(seen_names[j], nm) != 0,
			    "'%s' reported twice", nm);
		/* Removed extras may not show up after the removal. */
		if (k >= firstpart && strncmp(nm, "extra", 5) == 0)
			ATF_CHECK_MSG(0, "removed '%s' reported after removal",
			    nm);
	}
	for (int i = 0; i < 100; i++)
		ATF_CHECK_MSG(seen_orig[i], "orig%03d never reported", i);
}

ATF_TC(readdir_offset_same_fd);
ATF_TC_HEAD(readdir_offset_same_fd, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "getdents64 offsets stay valid across creates/removes of other "
	    "entries: lseek(d_off) on the same fd, each original seen once");
}
ATF_TC_BODY(readdir_offset_same_fd, tc)
{
	offsets_survive_changes(false);
}

ATF_TC(readdir_offset_reopen);
ATF_TC_HEAD(readdir_offset_reopen, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "as readdir_offset_same_fd, continuing on a new descriptor "
	    "(seekdir after reopen)");
}
ATF_TC_BODY(readdir_offset_reopen, tc)
{
	offsets_survive_changes(true);
}


ATF_TC(removed_cwd);
ATF_TC_HEAD(removed_cwd, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "a removed directory that is still the cwd: getcwd ENOENT, "
	    "creating in it ENOENT (also via an open dirfd), '.' has nlink 0");
}
ATF_TC_BODY(removed_cwd, tc)
{
	char buf[64];
	struct stat st;
	int dfd;

	boot();
	RL(rump_sys_mkdir("/d", 0755));
	RL(rump_sys_chdir("/d"));
	dfd = (int)RL(rump_sys_open("/d", O_RDONLY | O_DIRECTORY));
	RL(rump_sys_rmdir("/d"));
	ERR(ENOENT, rump_sys_getcwd(buf, sizeof(buf)));
	ERR(ENOENT, rump_sys_open("x", O_WRONLY | O_CREAT, 0644));
	ERR(ENOENT, rump_sys_mkdir("y", 0755));
	ERR(ENOENT, rump_sys_symlink("t", "z"));
	ERR(ENOENT, rump_sys_openat(dfd, "x", O_WRONLY | O_CREAT, 0644));
	RL(rump_sys_stat(".", &st));
	ATF_REQUIRE(S_ISDIR(st.st_mode));
	ATF_REQUIRE_EQ(0, st.st_nlink);
	RL(rump_sys_fstat(dfd, &st));
	ATF_REQUIRE_EQ(0, st.st_nlink);
	/* Linux lists nothing at all, not even "." and "..". */
	ERR(ENOENT, rump_sys_getdents64(dfd, buf, sizeof(buf)));
	/* Fails by the name alone, even with no ".." to find. */
	ERR(ENOTEMPTY, rump_sys_rmdir(".."));
	ERR(EBUSY, rump_sys_rename("..", "/e"));
	/* No new name, and that before a directory's EPERM. */
	RL(rump_sys_mkdir("/e", 0755));
	ERR(ENOENT, rump_sys_link("/e", "x"));
	ERR(ENOENT, rump_sys_rename("/e", "x"));
	RL(rump_sys_close(dfd));
	/* A new directory of the same name is a different one. */
	RL(rump_sys_mkdir("/d", 0755));
	ERR(ENOENT, rump_sys_open("x", O_WRONLY | O_CREAT, 0644));
	RL(rump_sys_chdir("/d"));
	mkfile("x", "x");
	ATF_REQUIRE(hasdata("/d/x", "x"));
}

ATF_TC(big_directory);
ATF_TC_HEAD(big_directory, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "a directory of 1000 entries lists every name exactly once with "
	    "small and large buffers; after removing every other one, "
	    "exactly the rest");
}
ATF_TC_BODY(big_directory, tc)
{
	static struct listing l;
	static bool seen[1000];
	char path[64];

	boot();
	RL(rump_sys_mkdir("/big", 0755));
	for (int i = 0; i < 1000; i++) {
		snprintf(path, sizeof(path), "/big/entry-%04d-%s", i,
		    i % 3 == 0 ? "with-a-longer-tail-to-vary-reclen" : "x");
		if (i % 7 == 0)
			RL(rump_sys_mkdir(path, 0755));
		else
			mkfile(path, "");
	}
	for (int pass = 0; pass < 3; pass++) {
		static const size_t sizes[] = { 4096, 200, 64 };

		memset(seen, 0, sizeof(seen));
		{
			char buf[4096];
			ssize_t n;
			int fd = (int)RL(rump_sys_open("/big",
			    O_RDONLY | O_DIRECTORY));
			int count = 0;

			while ((n = RL(rump_sys_getdents64(fd, buf,
			    sizes[pass]))) > 0) {
				for (ssize_t o = 0; o < n;) {
					struct ldirent64 *d =
					    (struct ldirent64 *)(buf + o);
					int idx;

					o += d->d_reclen;
					count++;
					if (strcmp(d->d_name, ".") == 0 ||
					    strcmp(d->d_name, "..") == 0)
						continue;
					ATF_REQUIRE_MSG(sscanf(d->d_name,
					    "entry-%d-", &idx) == 1 &&
					    idx >= 0 && idx < 1000,
					    "unexpected name '%s'", d->d_name);
					ATF_REQUIRE_MSG(!seen[idx],
					    "'%s' listed twice", d->d_name);
					seen[idx] = true;
					ATF_REQUIRE_EQ(idx % 7 == 0 ? DT_DIR :
					    DT_REG, d->d_type);
				}
			}
			RL(rump_sys_close(fd));
			ATF_REQUIRE_EQ_MSG(1002, count, "buffer %zu: %d entries",
			    sizes[pass], count);
		}
		for (int i = 0; i < 1000; i++)
			ATF_REQUIRE_MSG(seen[i], "entry %d missing", i);
	}
	ATF_REQUIRE_EQ(2 + 143, nlink_of("/big"));
	for (int i = 0; i < 1000; i += 2) {
		snprintf(path, sizeof(path), "/big/entry-%04d-%s", i,
		    i % 3 == 0 ? "with-a-longer-tail-to-vary-reclen" : "x");
		if (i % 7 == 0)
			RL(rump_sys_rmdir(path));
		else
			RL(rump_sys_unlink(path));
	}
	list_dir("/big", &l, 256);
	ATF_REQUIRE_EQ(502, l.n);
	for (int i = 1; i < 1000; i += 2) {
		snprintf(path, sizeof(path), "entry-%04d-%s", i,
		    i % 3 == 0 ? "with-a-longer-tail-to-vary-reclen" : "x");
		ATF_REQUIRE_MSG(find(&l, path) >= 0, "'%s' missing", path);
	}
}

ATF_TC(rename_link_precedence);
ATF_TC_HEAD(rename_link_precedence, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "which error wins, as on Linux: rename over an ancestor of the "
	    "source is ENOTEMPTY and a directory into its own subtree "
	    "EINVAL, before any type mismatch; link of a directory checks "
	    "the new name first; link of a pipe is EXDEV after that");
}
ATF_TC_BODY(rename_link_precedence, tc)
{
	int p[2];

	boot();
	RL(rump_sys_mkdir("/a", 0755));
	RL(rump_sys_mkdir("/a/b", 0755));
	mkfile("/a/b/f", "f");
	ERR(ENOTEMPTY, rump_sys_rename("/a/b/f", "/a"));
	ERR(ENOTEMPTY, rump_sys_rename("/a/b/f", "/a/b"));
	ERR(EINVAL, rump_sys_rename("/a", "/a/b/f"));
	ERR(EINVAL, rump_sys_rename("/a", "/a/b/new"));
	ERR(EINVAL, rump_sys_renameat2(AT_FDCWD, "/a/b/f", AT_FDCWD, "/a",
	    RENAME_EXCHANGE));
	ATF_REQUIRE(hasdata("/a/b/f", "f"));

	ERR(EEXIST, rump_sys_link("/a", "/a/b"));
	ERR(EEXIST, rump_sys_link("/a", "/a/b/f"));
	ERR(ENOENT, rump_sys_link("/a", "/nodir/x"));
	ERR(EPERM, rump_sys_link("/a", "/x"));

	RL(rump_sys_pipe2(p, 0));
	ERR(EXDEV, rump_sys_linkat(p[0], "", AT_FDCWD, "/x", AT_EMPTY_PATH));
	ERR(EEXIST, rump_sys_linkat(p[0], "", AT_FDCWD, "/a", AT_EMPTY_PATH));
	ERR(EBADF, rump_sys_linkat(p[0], "", 99, "x", AT_EMPTY_PATH));
	RL(rump_sys_close(p[0]));
	RL(rump_sys_close(p[1]));
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, mkdir_rmdir);
	ATF_TP_ADD_TC(tp, unlink_semantics);
	ATF_TP_ADD_TC(tp, rename_files);
	ATF_TP_ADD_TC(tp, rename_dirs);
	ATF_TP_ADD_TC(tp, rename_errors);
	ATF_TP_ADD_TC(tp, renameat2_flags);
	ATF_TP_ADD_TC(tp, hard_links);
	ATF_TP_ADD_TC(tp, symlinks);
	ATF_TP_ADD_TC(tp, symlink_loops);
	ATF_TP_ADD_TC(tp, symlink_chain_limit);
	ATF_TP_ADD_TC(tp, name_too_long);
	ATF_TP_ADD_TC(tp, enotdir_eisdir);
	ATF_TP_ADD_TC(tp, enoent_eexist);
	ATF_TP_ADD_TC(tp, dotdot_cwd);
	ATF_TP_ADD_TC(tp, getdents_exact);
	ATF_TP_ADD_TC(tp, readdir_offset_same_fd);
	ATF_TP_ADD_TC(tp, readdir_offset_reopen);
	ATF_TP_ADD_TC(tp, removed_cwd);
	ATF_TP_ADD_TC(tp, big_directory);
	ATF_TP_ADD_TC(tp, rename_link_precedence);
	return atf_no_error();
}
