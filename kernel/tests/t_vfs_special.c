/*
 * t_vfs_special.c: special files and the newer file calls, each against
 * what Linux does: mknod/mknodat (FIFOs that work like pipes, device
 * nodes of absent devices that open with ENXIO, root only), ".." of a removed directory,
 * fallocate, statx, sync_file_range, copy_file_range, and Linux's
 * fs.protected_hardlinks=1 rule for link().  On the tmpfs root.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/mount.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <atf-c.h>

#include <rump/rump.h>
#include <rump/rump_syscalls.h>

#include "h_rumptest.h"

#define USER	1000
#define GROUP	1000

static void
become(uint32_t uid, uint32_t gid)
{
	int error = rump_lwproc_rfork(RUMP_RFFDG);

	ATF_REQUIRE_EQ_MSG(0, error, "rump_lwproc_rfork: %d", error);
	RL(rump_sys_setgroups(0, NULL));
	RL(rump_sys_setgid(gid));
	RL(rump_sys_setuid(uid));
}

static void
mkfile(const char *path, const char *data, mode_t mode)
{
	int fd;

	RL(fd = rump_sys_open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600));
	if (data != NULL)
		ATF_REQUIRE_EQ((ssize_t)strlen(data),
		    rump_sys_write(fd, data, strlen(data)));
	RL(rump_sys_close(fd));
	RL(rump_sys_chmod(path, mode));
}

ATF_TC(mknod_types);
ATF_TC_HEAD(mknod_types, tc)
{
	atf_tc_set_md_var(tc, "descr", "mknod makes regular files, FIFOs, "
	    "sockets and (root only) device nodes; devices and sockets "
	    "open with ENXIO; directories and bad types are refused");
}
ATF_TC_BODY(mknod_types, tc)
{
	struct stat st;

	boot();
	RL(rump_sys_umask(022));
	RL(rump_sys_mknod("/reg", 0644, 0));
	RL(rump_sys_stat("/reg", &st));
	ATF_CHECK(S_ISREG(st.st_mode));
	RL(rump_sys_mknod("/reg2", S_IFREG | 0666, 0));
	RL(rump_sys_stat("/reg2", &st));
	ATF_CHECK_EQ(S_IFREG | 0644, st.st_mode);	/* umask applies */
	RL(rump_sys_mknod("/fifo", S_IFIFO | 0666, 0));
	RL(rump_sys_stat("/fifo", &st));
	ATF_CHECK_EQ(S_IFIFO | 0644, st.st_mode);
	ATF_CHECK_EQ(0, st.st_rdev);
	RL(rump_sys_mknod("/null", S_IFCHR | 0666, makedev(1, 250)));
	RL(rump_sys_stat("/null", &st));
	ATF_CHECK(S_ISCHR(st.st_mode));
	ATF_CHECK_EQ(makedev(1, 250), st.st_rdev);
	RL(rump_sys_mknodat(AT_FDCWD, "/blk", S_IFBLK | 0600,
	    makedev(8, 1)));
	RL(rump_sys_stat("/blk", &st));
	ATF_CHECK(S_ISBLK(st.st_mode));
	ATF_CHECK_EQ(8, major(st.st_rdev));
	ATF_CHECK_EQ(1, minor(st.st_rdev));
	RL(rump_sys_mknod("/sock", S_IFSOCK | 0666, 0));
	RL(rump_sys_lstat("/sock", &st));
	ATF_CHECK(S_ISSOCK(st.st_mode));

	/* A device the kernel lacks, and a socket file, open with ENXIO. */
	ERR(ENXIO, rump_sys_open("/null", O_RDWR));
	ERR(ENXIO, rump_sys_open("/blk", O_RDONLY));
	ERR(ENXIO, rump_sys_open("/sock", O_RDONLY));

	ERR(EEXIST, rump_sys_mknod("/fifo", S_IFIFO | 0666, 0));
	ERR(EPERM, rump_sys_mknod("/dir", S_IFDIR | 0755, 0));
	ERR(EINVAL, rump_sys_mknod("/bad", 0170000 | 0644, 0));
	ERR(ENOENT, rump_sys_mknod("/nodir/x", S_IFIFO | 0644, 0));

	/* Unprivileged: FIFOs yes, device nodes no (EPERM after the
	 * directory checks, as Linux without CAP_MKNOD). */
	RL(rump_sys_mkdir("/pub", 0777));
	RL(rump_sys_chmod("/pub", 0777));
	RL(rump_sys_mkdir("/closed", 0755));
	become(USER, GROUP);
	RL(rump_sys_mknod("/pub/fifo", S_IFIFO | 0600, 0));
	ERR(EPERM, rump_sys_mknod("/pub/null", S_IFCHR | 0666,
	    makedev(1, 3)));
	ERR(EACCES, rump_sys_mknod("/closed/x", S_IFCHR | 0666,
	    makedev(1, 3)));
	/* A root-made device node: permission first, then ENXIO. */
	ERR(EACCES, rump_sys_open("/blk", O_RDONLY));
	ERR(ENXIO, rump_sys_open("/null", O_RDONLY));
}

ATF_TC(fifo_pipe);
ATF_TC_HEAD(fifo_pipe, tc)
{
	atf_tc_set_md_var(tc, "descr", "a FIFO works like a pipe: "
	    "non-blocking opens (ENXIO for a writer without readers), data "
	    "in order, EOF without writers, ESPIPE for seeks, fstat shows "
	    "the FIFO");
}
ATF_TC_BODY(fifo_pipe, tc)
{
	char buf[64];
	struct stat st;
	int r, w, rw;

	boot();
	RL(rump_sys_mknod("/f", S_IFIFO | 0666, 0));
	ERR(ENXIO, rump_sys_open("/f", O_WRONLY | O_NONBLOCK));
	RL(r = rump_sys_open("/f", O_RDONLY | O_NONBLOCK));
	/* No writer yet: end of file, as Linux. */
	ATF_CHECK_EQ(0, rump_sys_read(r, buf, sizeof(buf)));
	RL(w = rump_sys_open("/f", O_WRONLY | O_NONBLOCK));
	ATF_REQUIRE_EQ(5, rump_sys_write(w, "hello", 5));
	ATF_REQUIRE_EQ(6, rump_sys_write(w, " world", 6));
	ATF_REQUIRE_EQ(11, rump_sys_read(r, buf, sizeof(buf)));
	ATF_CHECK(memcmp(buf, "hello world", 11) == 0);
	ERR(EAGAIN, rump_sys_read(r, buf, sizeof(buf)));
	ERR(ESPIPE, rump_sys_lseek(r, 0, SEEK_SET));
	RL(rump_sys_fstat(r, &st));
	ATF_CHECK(S_ISFIFO(st.st_mode));
	RL(rump_sys_close(w));
	ATF_CHECK_EQ(0, rump_sys_read(r, buf, sizeof(buf)));
	RL(rump_sys_close(r));

	/* O_RDWR never waits; data left when everyone closes is gone. */
	RL(rw = rump_sys_open("/f", O_RDWR));
	ATF_REQUIRE_EQ(3, rump_sys_write(rw, "abc", 3));
	ATF_REQUIRE_EQ(3, rump_sys_read(rw, buf, sizeof(buf)));
	ATF_REQUIRE_EQ(3, rump_sys_write(rw, "xyz", 3));
	RL(rump_sys_close(rw));
	RL(r = rump_sys_open("/f", O_RDONLY | O_NONBLOCK));
	ATF_CHECK_EQ(0, rump_sys_read(r, buf, sizeof(buf)));
	RL(rump_sys_close(r));

	/* Still works after the name is gone. */
	RL(rw = rump_sys_open("/f", O_RDWR));
	RL(rump_sys_unlink("/f"));
	ATF_REQUIRE_EQ(2, rump_sys_write(rw, "ok", 2));
	ATF_REQUIRE_EQ(2, rump_sys_read(rw, buf, sizeof(buf)));
	RL(rump_sys_close(rw));
}

static void *
fifo_writer(void *arg)
{
	int fd;

	(void)arg;
	/* Blocks until the reader has opened. */
	fd = rump_sys_open("/bf", O_WRONLY);
	if (fd == -1)
		return (void *)(intptr_t)rt_errno();
	if (rump_sys_write(fd, "through", 7) != 7)
		return (void *)(intptr_t)EIO;
	rump_sys_close(fd);
	return NULL;
}

ATF_TC(fifo_blocking_open);
ATF_TC_HEAD(fifo_blocking_open, tc)
{
	atf_tc_set_md_var(tc, "descr", "blocking opens of a FIFO wait for "
	    "the other end, and then the data flows");
}
ATF_TC_BODY(fifo_blocking_open, tc)
{
	char buf[16];
	void *cookie;
	ssize_t n, got = 0;
	int r;

	boot();
	RL(rump_sys_mknod("/bf", S_IFIFO | 0666, 0));
	cookie = rt_thread_start(fifo_writer, NULL, "writer");
	rt_sleep_ms(50);
	RL(r = rump_sys_open("/bf", O_RDONLY));
	while (got < 7 && (n = rump_sys_read(r, buf + got,
	    sizeof(buf) - (size_t)got)) > 0)
		got += n;
	ATF_CHECK_EQ(7, got);
	ATF_CHECK(memcmp(buf, "through", 7) == 0);
	rt_thread_join(cookie);
	ATF_CHECK_EQ(0, rump_sys_read(r, buf, sizeof(buf)));
	RL(rump_sys_close(r));
}

/*
 * Opens of one FIFO that fail (O_WRONLY|O_NONBLOCK with no reader:
 * ENXIO) from several threads at once, beside opens that succeed and
 * close: a failed open gives back the FIFO's pipe when no one has it
 * open, and must not touch a pipe another failed open or the last close
 * gave back meanwhile (it did, a use after free).
 */
#define FIFO_RACE_ROUNDS	3000

static void *
fifo_failing_opener(void *arg)
{
	int *bad = arg;
	int i, fd;

	for (i = 0; i < FIFO_RACE_ROUNDS; i++) {
		fd = rump_sys_open("/rf", O_WRONLY | O_NONBLOCK);
		if (fd >= 0)
			rump_sys_close(fd);	/* the O_RDWR opener's turn */
		else if (rt_errno() != ENXIO && *bad == 0)
			*bad = rt_errno();
	}
	return NULL;
}

static void *
fifo_rdwr_opener(void *arg)
{
	int *bad = arg;
	int i, fd;

	for (i = 0; i < FIFO_RACE_ROUNDS; i++) {
		fd = rump_sys_open("/rf", O_RDWR | O_NONBLOCK);
		if (fd < 0) {
			if (*bad == 0)
				*bad = rt_errno();
			continue;
		}
		rump_sys_close(fd);
	}
	return NULL;
}

ATF_TC(fifo_failed_opens);
ATF_TC_HEAD(fifo_failed_opens, tc)
{
	atf_tc_set_md_var(tc, "descr", "failed opens of a FIFO from several "
	    "threads at once, beside opens and closes, give its pipe back "
	    "once (no use after free)");
}
ATF_TC_BODY(fifo_failed_opens, tc)
{
	void *t[3];
	int bad[3] = { 0, 0, 0 }, i, fd;

	boot();
	RL(rump_sys_mknod("/rf", S_IFIFO | 0666, 0));
	t[0] = rt_thread_start(fifo_failing_opener, &bad[0], "enxio1");
	t[1] = rt_thread_start(fifo_failing_opener, &bad[1], "enxio2");
	t[2] = rt_thread_start(fifo_rdwr_opener, &bad[2], "rdwr");
	for (i = 0; i < 3; i++) {
		rt_thread_join(t[i]);
		ATF_CHECK_EQ_MSG(0, bad[i], "thread %d: errno %d", i, bad[i]);
	}
	/* Still a working FIFO afterwards. */
	ERR(ENXIO, rump_sys_open("/rf", O_WRONLY | O_NONBLOCK));
	RL(fd = rump_sys_open("/rf", O_RDWR));
	RL(rump_sys_close(fd));
}

ATF_TC(dotdot_removed);
ATF_TC_HEAD(dotdot_removed, tc)
{
	atf_tc_set_md_var(tc, "descr", "\"..\" of a removed directory leads "
	    "to its former parent, as on Linux; nothing new goes into it");
}
ATF_TC_BODY(dotdot_removed, tc)
{
	struct stat a, dd;
	char buf[256];
	int fd;

	boot();
	RL(rump_sys_mkdir("/a", 0755));
	RL(rump_sys_mkdir("/a/b", 0755));
	RL(rump_sys_mkdir("/a/b/c", 0755));
	RL(rump_sys_stat("/a", &a));
	RL(rump_sys_chdir("/a/b/c"));
	RL(rump_sys_rmdir("/a/b/c"));
	RL(rump_sys_rmdir("/a/b"));
	/* Both are gone; ".." still walks up through them. */
	RL(rump_sys_stat("../..", &dd));
	ATF_CHECK_EQ(a.st_ino, dd.st_ino);
	RL(rump_sys_stat("..", &dd));
	ATF_CHECK_EQ(0, dd.st_nlink);
	ERR(ENOENT, rump_sys_open("x", O_RDWR | O_CREAT, 0644));
	ERR(ENOENT, rump_sys_mkdir("../x", 0755));
	ERR(ENOENT, rump_sys_getcwd(buf, sizeof(buf)));
	RL(fd = rump_sys_open("../..", O_RDONLY | O_DIRECTORY));
	RL(rump_sys_close(fd));
	RL(rump_sys_chdir("../.."));
	ATF_REQUIRE(rump_sys_getcwd(buf, sizeof(buf)) > 0);
	ATF_CHECK_STREQ("/a", buf);
	RL(rump_sys_rmdir("/a"));
	RL(rump_sys_chdir("/"));
}

ATF_TC(fallocate);
ATF_TC_HEAD(fallocate, tc)
{
	atf_tc_set_md_var(tc, "descr", "fallocate on tmpfs: allocate and "
	    "extend, KEEP_SIZE, PUNCH_HOLE; the argument checks in Linux's "
	    "order; ENOSPC against size=");
}
ATF_TC_BODY(fallocate, tc)
{
	char buf[20000], zero[20000];
	struct stat st;
	int fd, rfd, p[2];

	boot();
	memset(zero, 0, sizeof(zero));
	RL(fd = rump_sys_open("/f", O_RDWR | O_CREAT, 0644));
	RL(rump_sys_fallocate(fd, 0, 0, 10000));
	RL(rump_sys_fstat(fd, &st));
	ATF_CHECK_EQ(10000, st.st_size);
	ATF_CHECK_EQ(24, st.st_blocks);		/* 3 pages */
	ATF_REQUIRE_EQ(10000, rump_sys_pread64(fd, buf, sizeof(buf), 0));
	ATF_CHECK(memcmp(buf, zero, 10000) == 0);
	RL(rump_sys_fallocate(fd, FALLOC_FL_KEEP_SIZE, 10000, 10000));
	RL(rump_sys_fstat(fd, &st));
	ATF_CHECK_EQ(10000, st.st_size);
	ATF_CHECK_EQ(40, st.st_blocks);		/* 5 pages */

	memset(buf, 'x', sizeof(buf));
	ATF_REQUIRE_EQ(16384, rump_sys_pwrite64(fd, buf, 16384, 0));
	RL(rump_sys_fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
	    100, 9000));
	RL(rump_sys_fstat(fd, &st));
	ATF_CHECK_EQ(16384, st.st_size);
	ATF_CHECK_EQ(32, st.st_blocks);		/* page 1 went */
	ATF_REQUIRE_EQ(16384, rump_sys_pread64(fd, buf, sizeof(buf), 0));
	ATF_CHECK_EQ('x', buf[99]);
	ATF_CHECK(memcmp(buf + 100, zero, 9000) == 0);
	ATF_CHECK_EQ('x', buf[9100]);

	ERR(EINVAL, rump_sys_fallocate(fd, 0, -1, 10));
	ERR(EINVAL, rump_sys_fallocate(fd, 0, 0, 0));
	ERR(EOPNOTSUPP, rump_sys_fallocate(fd, 0x100, 0, 10));
	ERR(EOPNOTSUPP, rump_sys_fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, 10));
	ERR(EOPNOTSUPP, rump_sys_fallocate(fd, FALLOC_FL_ZERO_RANGE, 0, 10));
	ERR(EFBIG, rump_sys_fallocate(fd, 0, INT64_MAX - 10, 100));
	ERR(EBADF, rump_sys_fallocate(-1, 0, 0, 10));
	RL(rfd = rump_sys_open("/f", O_RDONLY));
	ERR(EBADF, rump_sys_fallocate(rfd, 0, 0, 10));
	RL(rump_sys_close(rfd));
	RL(rfd = rump_sys_open("/", O_RDONLY | O_DIRECTORY));
	ERR(EBADF, rump_sys_fallocate(rfd, 0, 0, 10));
	RL(rump_sys_close(rfd));
	RL(rump_sys_pipe2(p, 0));
	ERR(ESPIPE, rump_sys_fallocate(p[1], 0, 0, 10));
	ERR(EBADF, rump_sys_fallocate(p[0], 0, 0, 10));
	RL(rump_sys_close(p[0]));
	RL(rump_sys_close(p[1]));
	RL(rump_sys_close(fd));

	/* size= bounds it: all or nothing. */
	RL(rump_sys_mkdir("/small", 0755));
	RL(rump_sys_mount("tmpfs", "/small", "tmpfs", 0, "size=64k"));
	RL(fd = rump_sys_open("/small/f", O_RDWR | O_CREAT, 0644));
	ERR(ENOSPC, rump_sys_fallocate(fd, 0, 0, 1024 * 1024));
	RL(rump_sys_fstat(fd, &st));
	ATF_CHECK_EQ(0, st.st_size);
	ATF_CHECK_EQ(0, st.st_blocks);
	RL(rump_sys_fallocate(fd, 0, 0, 65536));
	RL(rump_sys_close(fd));
	RL(rump_sys_umount2("/small", 0));
}

ATF_TC(statx);
ATF_TC_HEAD(statx, tc)
{
	atf_tc_set_md_var(tc, "descr", "statx agrees with stat; flags and "
	    "mask are checked as Linux checks them");
}
ATF_TC_BODY(statx, tc)
{
	struct statx sx;
	struct stat st;
	int fd;

	boot();
	mkfile("/f", "some data", 0640);
	RL(rump_sys_symlink("f", "/l"));
	RL(rump_sys_stat("/f", &st));
	memset(&sx, 0xff, sizeof(sx));
	RL(rump_sys_statx(AT_FDCWD, "/f", 0, STATX_BASIC_STATS, &sx));
	ATF_CHECK((sx.stx_mask & STATX_BASIC_STATS) == STATX_BASIC_STATS);
	ATF_CHECK_EQ(st.st_mode, sx.stx_mode);
	ATF_CHECK_EQ(st.st_ino, sx.stx_ino);
	ATF_CHECK_EQ(st.st_nlink, sx.stx_nlink);
	ATF_CHECK_EQ(st.st_uid, sx.stx_uid);
	ATF_CHECK_EQ(st.st_gid, sx.stx_gid);
	ATF_CHECK_EQ(9, sx.stx_size);
	ATF_CHECK_EQ(st.st_blocks, (blkcnt_t)sx.stx_blocks);
	ATF_CHECK_EQ(st.st_blksize, (blksize_t)sx.stx_blksize);
	ATF_CHECK_EQ(st.st_mtim.tv_sec, sx.stx_mtime.tv_sec);
	ATF_CHECK_EQ(st.st_mtim.tv_nsec, (long)sx.stx_mtime.tv_nsec);
	ATF_CHECK_EQ(st.st_ctim.tv_sec, sx.stx_ctime.tv_sec);
	ATF_CHECK_EQ(major(st.st_dev), sx.stx_dev_major);
	ATF_CHECK_EQ(minor(st.st_dev), sx.stx_dev_minor);
	ATF_CHECK_EQ(0, sx.stx_attributes);

	RL(rump_sys_statx(AT_FDCWD, "/l", AT_SYMLINK_NOFOLLOW,
	    STATX_BASIC_STATS, &sx));
	ATF_CHECK(S_ISLNK(sx.stx_mode));
	RL(rump_sys_statx(AT_FDCWD, "/l", 0, STATX_TYPE, &sx));
	ATF_CHECK(S_ISREG(sx.stx_mode));
	RL(fd = rump_sys_open("/f", O_RDONLY));
	RL(rump_sys_statx(fd, "", AT_EMPTY_PATH, STATX_ALL, &sx));
	ATF_CHECK_EQ(st.st_ino, sx.stx_ino);
	RL(rump_sys_close(fd));

	ERR(ENOENT, rump_sys_statx(AT_FDCWD, "/none", 0, STATX_ALL, &sx));
	ERR(EINVAL, rump_sys_statx(AT_FDCWD, "/f", 0x80000000, STATX_ALL,
	    &sx));
	ERR(EINVAL, rump_sys_statx(AT_FDCWD, "/f",
	    AT_STATX_FORCE_SYNC | AT_STATX_DONT_SYNC, STATX_ALL, &sx));
	ERR(EINVAL, rump_sys_statx(AT_FDCWD, "/f", 0, 0x80000000u, &sx));
	ERR(EFAULT, rump_sys_statx(AT_FDCWD, "/f", 0, STATX_ALL, NULL));
}

ATF_TC(sync_file_range);
ATF_TC_HEAD(sync_file_range, tc)
{
	atf_tc_set_md_var(tc, "descr", "sync_file_range: flags, offsets and "
	    "file kinds checked as Linux does, in Linux's order");
}
ATF_TC_BODY(sync_file_range, tc)
{
	int fd, p[2];

	boot();
	mkfile("/f", "data", 0644);
	RL(fd = rump_sys_open("/f", O_RDWR));
	RL(rump_sys_sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WAIT_BEFORE |
	    SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER));
	RL(rump_sys_sync_file_range(fd, 100, 4096, SYNC_FILE_RANGE_WRITE));
	ERR(EINVAL, rump_sys_sync_file_range(fd, 0, 0, 8));
	ERR(EINVAL, rump_sys_sync_file_range(fd, -1, 0, 0));
	ERR(EINVAL, rump_sys_sync_file_range(fd, 0, -5, 0));
	ERR(EINVAL, rump_sys_sync_file_range(fd, INT64_MAX, 10, 0));
	RL(rump_sys_close(fd));
	ERR(EBADF, rump_sys_sync_file_range(fd, 0, 0, 0));
	/* The descriptor is checked first, the kind of file last. */
	ERR(EBADF, rump_sys_sync_file_range(fd, 0, 0, 8));
	ERR(EBADF, rump_sys_sync_file_range(fd, -1, 0, 0));
	RL(rump_sys_pipe2(p, 0));
	ERR(ESPIPE, rump_sys_sync_file_range(p[0], 0, 0, 0));
	ERR(EINVAL, rump_sys_sync_file_range(p[0], 0, 0, 8));
	ERR(EINVAL, rump_sys_sync_file_range(p[1], -1, 0, 0));
	RL(rump_sys_close(p[0]));
	RL(rump_sys_close(p[1]));
}

ATF_TC(copy_file_range);
ATF_TC_HEAD(copy_file_range, tc)
{
	atf_tc_set_md_var(tc, "descr", "copy_file_range: with and without "
	    "offset pointers, short at end of file, within one file, and "
	    "the errors Linux gives");
}
ATF_TC_BODY(copy_file_range, tc)
{
	static char data[200000], got[200000];
	int64_t oin, oout;
	int in, out, ro, ap, dir;
	size_t i;

	boot();
	for (i = 0; i < sizeof(data); i++)
		data[i] = (char)(i * 7 + i / 251);
	RL(in = rump_sys_open("/in", O_RDWR | O_CREAT, 0644));
	ATF_REQUIRE_EQ((ssize_t)sizeof(data),
	    rump_sys_write(in, data, sizeof(data)));
	RL(out = rump_sys_open("/out", O_RDWR | O_CREAT, 0644));

	/* File offsets: both advance. */
	RL(rump_sys_lseek(in, 1000, SEEK_SET));
	ATF_CHECK_EQ(150000, rump_sys_copy_file_range(in, NULL, out, NULL,
	    150000, 0));
	ATF_CHECK_EQ(151000, rump_sys_lseek(in, 0, SEEK_CUR));
	ATF_CHECK_EQ(150000, rump_sys_lseek(out, 0, SEEK_CUR));
	ATF_REQUIRE_EQ(150000, rump_sys_pread64(out, got, sizeof(got), 0));
	ATF_CHECK(memcmp(got, data + 1000, 150000) == 0);

	/* Offset pointers: they advance, the file offsets stay; short at
	 * end of file; nothing past it. */
	oin = 190000;
	oout = 300000;
	ATF_CHECK_EQ(10000, rump_sys_copy_file_range(in, &oin, out, &oout,
	    50000, 0));
	ATF_CHECK_EQ(200000, oin);
	ATF_CHECK_EQ(310000, oout);
	ATF_CHECK_EQ(151000, rump_sys_lseek(in, 0, SEEK_CUR));
	ATF_REQUIRE_EQ(10000, rump_sys_pread64(out, got, 10000, 300000));
	ATF_CHECK(memcmp(got, data + 190000, 10000) == 0);
	ATF_CHECK_EQ(0, rump_sys_copy_file_range(in, &oin, out, &oout,
	    50000, 0));
	ATF_CHECK_EQ(0, rump_sys_copy_file_range(in, NULL, out, NULL, 0, 0));

	/* Within one file: apart is fine, overlapping is EINVAL. */
	oin = 0;
	oout = 200000;
	ATF_CHECK_EQ(1000, rump_sys_copy_file_range(in, &oin, in, &oout,
	    1000, 0));
	oin = 0;
	oout = 500;
	ERR(EINVAL, rump_sys_copy_file_range(in, &oin, in, &oout, 1000, 0));

	/* Negative offsets: EOVERFLOW when the range wraps around (as
	 * unsigned), else EINVAL (Linux 6.18's answers). */
	oin = -1;
	oout = 0;
	ERR(EOVERFLOW, rump_sys_copy_file_range(in, &oin, out, &oout, 10, 0));
	oin = -5000;
	ERR(EINVAL, rump_sys_copy_file_range(in, &oin, out, &oout, 10, 0));
	oin = -1;
	ERR(EINVAL, rump_sys_copy_file_range(in, &oin, out, &oout, 0, 0));
	oin = 0;
	oout = -1;
	ERR(EOVERFLOW, rump_sys_copy_file_range(in, &oin, out, &oout, 10, 0));

	ERR(EINVAL, rump_sys_copy_file_range(in, NULL, out, NULL, 10, 1));
	ERR(EBADF, rump_sys_copy_file_range(-1, NULL, out, NULL, 10, 0));
	ERR(EBADF, rump_sys_copy_file_range(in, NULL, 999, NULL, 10, 0));
	RL(ro = rump_sys_open("/out", O_RDONLY));
	ERR(EBADF, rump_sys_copy_file_range(in, NULL, ro, NULL, 10, 0));
	RL(ap = rump_sys_open("/out", O_WRONLY | O_APPEND));
	ERR(EBADF, rump_sys_copy_file_range(in, NULL, ap, NULL, 10, 0));
	ERR(EBADF, rump_sys_copy_file_range(ap, NULL, out, NULL, 10, 0));
	RL(dir = rump_sys_open("/", O_RDONLY | O_DIRECTORY));
	ERR(EISDIR, rump_sys_copy_file_range(dir, NULL, out, NULL, 10, 0));
	RL(rump_sys_close(dir));
	RL(rump_sys_close(ro));
	RL(rump_sys_close(ap));

	/* Another file system: EXDEV. */
	RL(rump_sys_mkdir("/other", 0755));
	RL(rump_sys_mount("tmpfs", "/other", "tmpfs", 0, NULL));
	RL(ro = rump_sys_open("/other/f", O_RDWR | O_CREAT, 0644));
	ERR(EXDEV, rump_sys_copy_file_range(in, NULL, ro, NULL, 10, 0));
	RL(rump_sys_close(ro));
	RL(rump_sys_close(in));
	RL(rump_sys_close(out));
}

ATF_TC(protected_hardlinks);
ATF_TC_HEAD(protected_hardlinks, tc)
{
	atf_tc_set_md_var(tc, "descr", "fs.protected_hardlinks=1: an "
	    "unprivileged link() of a file the caller may not read and "
	    "write, or of a set-id or special file, is EPERM before any "
	    "directory permission check");
}
ATF_TC_BODY(protected_hardlinks, tc)
{
	boot();
	RL(rump_sys_mkdir("/pub", 0777));
	RL(rump_sys_chmod("/pub", 0777));
	RL(rump_sys_mkdir("/closed", 0755));
	mkfile("/secret", "s", 0600);
	mkfile("/readonly", "r", 0644);
	mkfile("/open", "o", 0666);
	mkfile("/suid", "x", 04777);
	mkfile("/sgid", "x", 02777);
	mkfile("/sgid_nox", "x", 02766);
	RL(rump_sys_mknod("/fifo", S_IFIFO | 0666, 0));
	RL(rump_sys_chmod("/fifo", 0666));

	become(USER, GROUP);
	ERR(EPERM, rump_sys_link("/secret", "/pub/a"));
	ERR(EPERM, rump_sys_link("/readonly", "/pub/b"));
	/* EPERM even where the directory would say EACCES. */
	ERR(EPERM, rump_sys_link("/secret", "/closed/a"));
	ERR(EPERM, rump_sys_link("/suid", "/pub/c"));
	ERR(EPERM, rump_sys_link("/sgid", "/pub/d"));
	ERR(EPERM, rump_sys_link("/fifo", "/pub/e"));
	RL(rump_sys_link("/sgid_nox", "/pub/f"));
	RL(rump_sys_link("/open", "/pub/g"));
	/* A permitted source, a forbidden directory: EACCES. */
	ERR(EACCES, rump_sys_link("/open", "/closed/g"));
	/* EEXIST comes first. */
	ERR(EEXIST, rump_sys_link("/secret", "/pub/g"));
	/* The owner links whatever is theirs. */
	mkfile("/pub/mine", "m", 0400);
	RL(rump_sys_link("/pub/mine", "/pub/mine2"));
}

ATF_TC(umount_lazy);
ATF_TC_HEAD(umount_lazy, tc)
{
	atf_tc_set_md_var(tc, "descr", "umount2 with MNT_DETACH of a busy "
	    "file system: the name goes at once, open files and directories "
	    "keep working, and the file system goes with the last of them; "
	    "one that is not busy goes at once");
}
ATF_TC_BODY(umount_lazy, tc)
{
	char buf[16];
	struct stat st;
	int fd, dfd, gfd;

	boot();
	RL(rump_sys_mkdir("/m", 0755));
	RL(rump_sys_mount("tmpfs", "/m", "tmpfs", 0, NULL));
	RL(rump_sys_mkdir("/m/d", 0755));
	RL(fd = rump_sys_open("/m/d/f", O_RDWR | O_CREAT, 0644));
	ATF_REQUIRE_EQ(5, rump_sys_write(fd, "hello", 5));
	RL(dfd = rump_sys_open("/m/d", O_RDONLY | O_DIRECTORY));
	ERR(EBUSY, rump_sys_umount2("/m", 0));
	RL(rump_sys_umount2("/m", MNT_DETACH));
	/* The name is the covered directory again, and not a mount. */
	ERR(ENOENT, rump_sys_stat("/m/d", &st));
	ERR(EINVAL, rump_sys_umount2("/m", MNT_DETACH));
	/* What was open still works, paths relative to it too. */
	ATF_REQUIRE_EQ(5, rump_sys_pread64(fd, buf, sizeof(buf), 0));
	ATF_CHECK(memcmp(buf, "hello", 5) == 0);
	ATF_REQUIRE_EQ(3, rump_sys_write(fd, "abc", 3));
	RL(gfd = rump_sys_openat(dfd, "g", O_RDWR | O_CREAT, 0600));
	RL(rump_sys_newfstatat(dfd, "f", &st, 0));
	ATF_CHECK_EQ(8, st.st_size);
	RL(rump_sys_close(gfd));
	RL(rump_sys_close(fd));
	/* The last reference: the file system is finalised. */
	RL(rump_sys_close(dfd));

	/* The place can be mounted on again. */
	RL(rump_sys_mount("tmpfs", "/m", "tmpfs", 0, NULL));
	ERR(ENOENT, rump_sys_stat("/m/d", &st));
	RL(fd = rump_sys_open("/m/x", O_RDWR | O_CREAT, 0644));
	RL(rump_sys_close(fd));
	/* Not busy: gone at once. */
	RL(rump_sys_umount2("/m", MNT_DETACH));
	ERR(ENOENT, rump_sys_stat("/m/x", &st));
	RL(rump_sys_mount("tmpfs", "/m", "tmpfs", 0, NULL));
	RL(rump_sys_umount2("/m", 0));
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, mknod_types);
	ATF_TP_ADD_TC(tp, fifo_pipe);
	ATF_TP_ADD_TC(tp, fifo_blocking_open);
	ATF_TP_ADD_TC(tp, fifo_failed_opens);
	ATF_TP_ADD_TC(tp, dotdot_removed);
	ATF_TP_ADD_TC(tp, fallocate);
	ATF_TP_ADD_TC(tp, statx);
	ATF_TP_ADD_TC(tp, sync_file_range);
	ATF_TP_ADD_TC(tp, copy_file_range);
	ATF_TP_ADD_TC(tp, protected_hardlinks);
	ATF_TP_ADD_TC(tp, umount_lazy);
	return atf_no_error();
}
