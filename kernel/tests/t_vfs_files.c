/*
 * t_vfs_files.c: descriptors and file data through the rump kernel's
 * system calls: open/openat/close, read/write and their positional and
 * vectored forms, lseek with 64-bit offsets, open flags, dup/dup2/dup3,
 * fcntl, pipes, truncation, fsync, the descriptor limit and EBADF.
 *
 * The kernel speaks the Linux x86_64 ABI, so the host's <fcntl.h> and
 * <errno.h> values are the kernel's, and every expected errno below is
 * what Linux returns for the same call.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <atf-c.h>

#include <rump/rump.h>
#include <rump/rump_syscalls.h>

#include "h_rumptest.h"

#define FD_LIMIT	1024
#define LINUX_IOV_MAX	1024
#define GiB		(1024LL * 1024 * 1024)

/* Fails the test when a call returns -1; yields the call's result. */

/* Creates path with exactly len bytes of data. */
static void __attribute__((unused))
mkfile(const char *path, const void *data, size_t len, int mode)
{
	int fd = (int)RL(rump_sys_open(path, O_WRONLY | O_CREAT | O_TRUNC,
	    mode));

	if (len)
		ATF_REQUIRE_EQ((ssize_t)len, rump_sys_write(fd, data, len));
	RL(rump_sys_close(fd));
}

/* Reads all of path into buf (at most cap bytes); returns the count. */
static ssize_t __attribute__((unused))
slurp(const char *path, void *buf, size_t cap)
{
	int fd = (int)RL(rump_sys_open(path, O_RDONLY));
	size_t got = 0;
	ssize_t n;

	while (got < cap &&
	    (n = RL(rump_sys_read(fd, (char *)buf + got, cap - got))) > 0)
		got += (size_t)n;
	RL(rump_sys_close(fd));
	return (ssize_t)got;
}

static int64_t
fsize(int fd)
{
	struct stat st;

	RL(rump_sys_fstat(fd, &st));
	return st.st_size;
}

static bool
allzero(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != 0)
			return false;
	return true;
}

/* ------------------------------------------------------------------ */

ATF_TC(open_read_write);
ATF_TC_HEAD(open_read_write, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "open/openat/close/read/write: data round trip, access modes, "
	    "lowest free descriptor, openat relative to a directory fd");
}
ATF_TC_BODY(open_read_write, tc)
{
	char buf[64];
	int fd, fd2, dfd;

	boot();
	fd = (int)RL(rump_sys_open("/f", O_RDWR | O_CREAT, 0644));
	ATF_REQUIRE_EQ(11, rump_sys_write(fd, "hello world", 11));
	ATF_REQUIRE_EQ(0, rump_sys_write(fd, "", 0));
	ATF_REQUIRE_EQ(11, rump_sys_lseek(fd, 0, SEEK_CUR));
	/* At EOF read returns 0. */
	ATF_REQUIRE_EQ(0, rump_sys_read(fd, buf, sizeof(buf)));
	RL(rump_sys_close(fd));
	ERR(EBADF, rump_sys_close(fd));

	/* The lowest free number is reused. */
	fd2 = (int)RL(rump_sys_open("/f", O_RDONLY));
	ATF_CHECK_EQ(fd, fd2);
	memset(buf, 0, sizeof(buf));
	ATF_REQUIRE_EQ(5, rump_sys_read(fd2, buf, 5));
	ATF_REQUIRE_EQ(0, memcmp(buf, "hello", 5));
	ATF_REQUIRE_EQ(6, rump_sys_read(fd2, buf, sizeof(buf)));
	ATF_REQUIRE_EQ(0, memcmp(buf, " world", 6));
	ATF_REQUIRE_EQ(0, rump_sys_read(fd2, buf, 0));
	/* Access modes are enforced per descriptor. */
	ERR(EBADF, rump_sys_write(fd2, "x", 1));
	RL(rump_sys_close(fd2));
	fd = (int)RL(rump_sys_open("/f", O_WRONLY));
	ERR(EBADF, rump_sys_read(fd, buf, 1));
	ATF_REQUIRE_EQ(3, rump_sys_write(fd, "HEL", 3));
	RL(rump_sys_close(fd));
	ATF_REQUIRE_EQ(11, slurp("/f", buf, sizeof(buf)));
	ATF_REQUIRE_EQ(0, memcmp(buf, "HELlo world", 11));

	/* openat relative to a directory descriptor and to AT_FDCWD. */
	RL(rump_sys_mkdir("/d", 0755));
	dfd = (int)RL(rump_sys_open("/d", O_RDONLY | O_DIRECTORY));
	fd = (int)RL(rump_sys_openat(dfd, "g", O_WRONLY | O_CREAT | O_EXCL,
	    0600));
	ATF_REQUIRE_EQ(2, rump_sys_write(fd, "ok", 2));
	RL(rump_sys_close(fd));
	ATF_REQUIRE_EQ(2, slurp("/d/g", buf, sizeof(buf)));
	ATF_REQUIRE_EQ(0, memcmp(buf, "ok", 2));
	RL(rump_sys_chdir("/d"));
	fd = (int)RL(rump_sys_openat(AT_FDCWD, "g", O_RDONLY));
	RL(rump_sys_close(fd));
	/* An absolute path ignores dirfd, even a bad one. */
	fd = (int)RL(rump_sys_openat(1000, "/f", O_RDONLY));
	RL(rump_sys_close(fd));
	/* A non-directory dirfd with a relative path. */
	fd = (int)RL(rump_sys_open("/f", O_RDONLY));
	ERR(ENOTDIR, rump_sys_openat(fd, "g", O_RDONLY));
	ERR(ENOTDIR, rump_sys_open("/f", O_RDONLY | O_DIRECTORY));
	ERR(ENOENT, rump_sys_open("/nonexistent", O_RDONLY));
	ERR(ENOENT, rump_sys_open("", O_RDONLY));
	RL(rump_sys_close(fd));
	RL(rump_sys_close(dfd));
}

ATF_TC(offsets_shared_and_private);
ATF_TC_HEAD(offsets_shared_and_private, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "two opens have independent offsets; dup'ed descriptors share one");
}
ATF_TC_BODY(offsets_shared_and_private, tc)
{
	char buf[16];
	int a, b, c;

	boot();
	mkfile("/f", "0123456789", 10, 0644);
	a = (int)RL(rump_sys_open("/f", O_RDONLY));
	b = (int)RL(rump_sys_open("/f", O_RDONLY));
	c = (int)RL(rump_sys_dup(a));
	ATF_REQUIRE_EQ(3, rump_sys_read(a, buf, 3));
	ATF_REQUIRE_EQ(0, memcmp(buf, "012", 3));
	ATF_REQUIRE_EQ(2, rump_sys_read(b, buf, 2));
	ATF_REQUIRE_EQ(0, memcmp(buf, "01", 2));
	ATF_REQUIRE_EQ(3, rump_sys_read(c, buf, 3));
	ATF_REQUIRE_EQ(0, memcmp(buf, "345", 3));
	ATF_REQUIRE_EQ(6, rump_sys_lseek(a, 0, SEEK_CUR));
	ATF_REQUIRE_EQ(2, rump_sys_lseek(b, 0, SEEK_CUR));
}

ATF_TC(pread_pwrite);
ATF_TC_HEAD(pread_pwrite, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "pread64/pwrite64 use the given offset and leave the file offset");
}
ATF_TC_BODY(pread_pwrite, tc)
{
	char buf[32];
	int fd;

	boot();
	fd = (int)RL(rump_sys_open("/f", O_RDWR | O_CREAT, 0644));
	ATF_REQUIRE_EQ(10, rump_sys_write(fd, "abcdefghij", 10));
	RL(rump_sys_lseek(fd, 2, SEEK_SET));
	ATF_REQUIRE_EQ(3, rump_sys_pwrite64(fd, "XYZ", 3, 5));
	ATF_REQUIRE_EQ(2, rump_sys_lseek(fd, 0, SEEK_CUR));
	memset(buf, 0, sizeof(buf));
	ATF_REQUIRE_EQ(4, rump_sys_pread64(fd, buf, 4, 4));
	ATF_REQUIRE_EQ(0, memcmp(buf, "eXYZ", 4));
	ATF_REQUIRE_EQ(2, rump_sys_lseek(fd, 0, SEEK_CUR));
	/* Short read at EOF, 0 past it. */
	ATF_REQUIRE_EQ(2, rump_sys_pread64(fd, buf, sizeof(buf), 8));
	ATF_REQUIRE_EQ(0, memcmp(buf, "ij", 2));
	ATF_REQUIRE_EQ(0, rump_sys_pread64(fd, buf, sizeof(buf), 100));
	/* pwrite past EOF leaves a hole of zeros. */
	ATF_REQUIRE_EQ(1, rump_sys_pwrite64(fd, "!", 1, 20));
	ATF_REQUIRE_EQ(21, fsize(fd));
	ATF_REQUIRE_EQ(11, rump_sys_pread64(fd, buf, sizeof(buf), 10));
	ATF_REQUIRE(allzero(buf, 10));
	ATF_REQUIRE_EQ('!', buf[10]);
	ERR(EINVAL, rump_sys_pread64(fd, buf, 1, -1));
	ERR(EINVAL, rump_sys_pwrite64(fd, buf, 1, -1));
	/* The sequential read continues at the untouched offset. */
	ATF_REQUIRE_EQ(3, rump_sys_read(fd, buf, 3));
	ATF_REQUIRE_EQ(0, memcmp(buf, "cde", 3));
	RL(rump_sys_close(fd));
}

ATF_TC(readv_writev);
ATF_TC_HEAD(readv_writev, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "writev gathers, readv scatters across buffers of odd sizes; "
	    "bad iovcnt is EINVAL");
}
ATF_TC_BODY(readv_writev, tc)
{
	struct iovec iov[4];
	static struct iovec many[LINUX_IOV_MAX + 1];
	char a[3], b[7], c[1], d[20];
	int fd;

	boot();
	fd = (int)RL(rump_sys_open("/f", O_RDWR | O_CREAT, 0644));
	iov[0].iov_base = (void *)"one"; iov[0].iov_len = 3;
	iov[1].iov_base = (void *)""; iov[1].iov_len = 0;
	iov[2].iov_base = (void *)"-two-"; iov[2].iov_len = 5;
	iov[3].iov_base = (void *)"three"; iov[3].iov_len = 5;
	ATF_REQUIRE_EQ(13, rump_sys_writev(fd, iov, 4));
	ATF_REQUIRE_EQ(13, fsize(fd));
	RL(rump_sys_lseek(fd, 0, SEEK_SET));
	iov[0].iov_base = a; iov[0].iov_len = sizeof(a);
	iov[1].iov_base = b; iov[1].iov_len = sizeof(b);
	iov[2].iov_base = c; iov[2].iov_len = sizeof(c);
	iov[3].iov_base = d; iov[3].iov_len = sizeof(d);
	ATF_REQUIRE_EQ(13, rump_sys_readv(fd, iov, 4));
	ATF_REQUIRE_EQ(0, memcmp(a, "one", 3));
	ATF_REQUIRE_EQ(0, memcmp(b, "-two-th", 7));
	ATF_REQUIRE_EQ(0, memcmp(c, "r", 1));
	ATF_REQUIRE_EQ(0, memcmp(d, "ee", 2));
	ATF_REQUIRE_EQ(13, rump_sys_lseek(fd, 0, SEEK_CUR));
	ATF_REQUIRE_EQ(0, rump_sys_readv(fd, iov, 4));
	ATF_REQUIRE_EQ(0, rump_sys_writev(fd, iov, 0));
	ERR(EINVAL, rump_sys_writev(fd, iov, -1));
	ERR(EINVAL, rump_sys_readv(fd, iov, -1));
	/* More than IOV_MAX (1024) vectors. */
	for (size_t i = 0; i < LINUX_IOV_MAX + 1; i++) {
		many[i].iov_base = a;
		many[i].iov_len = 1;
	}
	ERR(EINVAL, rump_sys_writev(fd, many, LINUX_IOV_MAX + 1));
	ATF_REQUIRE_EQ(LINUX_IOV_MAX, rump_sys_writev(fd, many, LINUX_IOV_MAX));
	ATF_REQUIRE_EQ(13 + LINUX_IOV_MAX, fsize(fd));
	RL(rump_sys_close(fd));
}

ATF_TC(lseek_whence);
ATF_TC_HEAD(lseek_whence, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "lseek SEEK_SET/CUR/END, past EOF, negative and bad whence");
}
ATF_TC_BODY(lseek_whence, tc)
{
	char buf[8];
	int fd;

	boot();
	fd = (int)RL(rump_sys_open("/f", O_RDWR | O_CREAT, 0644));
	ATF_REQUIRE_EQ(6, rump_sys_write(fd, "abcdef", 6));
	ATF_REQUIRE_EQ(2, rump_sys_lseek(fd, 2, SEEK_SET));
	ATF_REQUIRE_EQ(3, rump_sys_lseek(fd, 1, SEEK_CUR));
	ATF_REQUIRE_EQ(1, rump_sys_lseek(fd, -2, SEEK_CUR));
	ATF_REQUIRE_EQ(4, rump_sys_lseek(fd, -2, SEEK_END));
	ATF_REQUIRE_EQ(2, rump_sys_read(fd, buf, sizeof(buf)));
	ATF_REQUIRE_EQ(0, memcmp(buf, "ef", 2));
	/* Past EOF is fine; the size changes only on write. */
	ATF_REQUIRE_EQ(100, rump_sys_lseek(fd, 100, SEEK_SET));
	ATF_REQUIRE_EQ(6, fsize(fd));
	ATF_REQUIRE_EQ(1, rump_sys_write(fd, "z", 1));
	ATF_REQUIRE_EQ(101, fsize(fd));
	ERR(EINVAL, rump_sys_lseek(fd, -1, SEEK_SET));
	ERR(EINVAL, rump_sys_lseek(fd, -1000, SEEK_CUR));
	ERR(EINVAL, rump_sys_lseek(fd, -1000, SEEK_END));
	ERR(EINVAL, rump_sys_lseek(fd, 0, 7));
	/* A failed lseek leaves the offset alone. */
	ATF_REQUIRE_EQ(101, rump_sys_lseek(fd, 0, SEEK_CUR));
	RL(rump_sys_close(fd));
}

ATF_TC(large_sparse_5g);
ATF_TC_HEAD(large_sparse_5g, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "64-bit offsets: write at 5 GiB, size is 5 GiB + n, the hole "
	    "reads as zeros, and the file stays sparse");
}
ATF_TC_BODY(large_sparse_5g, tc)
{
	static char buf[8192];
	const int64_t off = 5 * GiB;
	struct stat st;
	int fd;

	boot();
	fd = (int)RL(rump_sys_open("/big", O_RDWR | O_CREAT, 0644));
	ATF_REQUIRE_EQ(5, rump_sys_pwrite64(fd, "hello", 5, off));
	RL(rump_sys_fstat(fd, &st));
	ATF_REQUIRE_EQ_MSG(off + 5, st.st_size, "size %lld",
	    (long long)st.st_size);
	ATF_CHECK_MSG(st.st_blocks <= 64,
	    "sparse 5 GiB file uses %lld blocks", (long long)st.st_blocks);
	RL(rump_sys_stat("/big", &st));
	ATF_REQUIRE_EQ(off + 5, st.st_size);
	ATF_REQUIRE_EQ(off + 5, rump_sys_lseek(fd, 0, SEEK_END));

	/* Holes: at 0, at 4 GiB (past 32-bit), just below the data. */
	memset(buf, 'x', sizeof(buf));
	ATF_REQUIRE_EQ(4096, rump_sys_pread64(fd, buf, 4096, 0));
	ATF_REQUIRE(allzero(buf, 4096));
	memset(buf, 'x', sizeof(buf));
	ATF_REQUIRE_EQ(4096, rump_sys_pread64(fd, buf, 4096, 4 * GiB));
	ATF_REQUIRE(allzero(buf, 4096));
	memset(buf, 'x', sizeof(buf));
	ATF_REQUIRE_EQ(8192, rump_sys_pread64(fd, buf, 8192, off - 8187));
	ATF_REQUIRE(allzero(buf, 8187));
	ATF_REQUIRE_EQ(0, memcmp(buf + 8187, "hello", 5));

	/* Sequential I/O above 4 GiB. */
	ATF_REQUIRE_EQ(off + 2, rump_sys_lseek(fd, off + 2, SEEK_SET));
	memset(buf, 0, sizeof(buf));
	ATF_REQUIRE_EQ(3, rump_sys_read(fd, buf, sizeof(buf)));
	ATF_REQUIRE_EQ(0, memcmp(buf, "llo", 3));
	ATF_REQUIRE_EQ(off + 5, rump_sys_lseek(fd, 0, SEEK_CUR));
	ATF_REQUIRE_EQ(off + 100, rump_sys_lseek(fd, 95, SEEK_CUR));
	ATF_REQUIRE_EQ(3, rump_sys_write(fd, "end", 3));
	ATF_REQUIRE_EQ(off + 103, fsize(fd));
	ATF_REQUIRE_EQ(8, rump_sys_pread64(fd, buf, 8, off + 95));
	ATF_REQUIRE(allzero(buf, 5));
	ATF_REQUIRE_EQ(0, memcmp(buf + 5, "end", 3));
	/* Offsets just around 2^32 are not truncated. */
	ATF_REQUIRE_EQ(2, rump_sys_pwrite64(fd, "AB", 2, 4 * GiB - 1));
	ATF_REQUIRE_EQ(4, rump_sys_pread64(fd, buf, 4, 4 * GiB - 2));
	ATF_REQUIRE_EQ(0, memcmp(buf, "\0AB\0", 4));
	ATF_REQUIRE_EQ(1, rump_sys_pread64(fd, buf, 1, 0));
	ATF_REQUIRE_EQ(0, buf[0]);
	ATF_REQUIRE_EQ(1, rump_sys_pread64(fd, buf, 1, 2 * GiB - 1));
	ATF_REQUIRE_EQ(0, buf[0]);
	RL(rump_sys_close(fd));
}

ATF_TC(o_creat_excl);
ATF_TC_HEAD(o_creat_excl, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "O_CREAT creates with the mode, opens an existing file without "
	    "truncating; O_EXCL gives EEXIST; no O_CREAT gives ENOENT");
}
ATF_TC_BODY(o_creat_excl, tc)
{
	struct stat st;
	char buf[8];
	int fd;

	boot();
	rump_sys_umask(0);
	ERR(ENOENT, rump_sys_open("/f", O_RDWR));
	fd = (int)RL(rump_sys_open("/f", O_RDWR | O_CREAT | O_EXCL, 0640));
	RL(rump_sys_fstat(fd, &st));
	ATF_REQUIRE(S_ISREG(st.st_mode));
	ATF_REQUIRE_EQ(0640, st.st_mode & 07777);
	ATF_REQUIRE_EQ(0, st.st_size);
	ATF_REQUIRE_EQ(4, rump_sys_write(fd, "data", 4));
	RL(rump_sys_close(fd));
	ERR(EEXIST, rump_sys_open("/f", O_RDWR | O_CREAT | O_EXCL, 0644));
	ERR(EEXIST, rump_sys_open("/f", O_RDONLY | O_CREAT | O_EXCL, 0644));
	/* Plain O_CREAT on an existing file: same file, data kept, mode
	 * not changed. */
	fd = (int)RL(rump_sys_open("/f", O_RDWR | O_CREAT, 0777));
	RL(rump_sys_fstat(fd, &st));
	ATF_REQUIRE_EQ(4, st.st_size);
	ATF_REQUIRE_EQ(0640, st.st_mode & 07777);
	ATF_REQUIRE_EQ(4, rump_sys_read(fd, buf, sizeof(buf)));
	ATF_REQUIRE_EQ(0, memcmp(buf, "data", 4));
	RL(rump_sys_close(fd));
	/* O_CREAT in a missing directory. */
	ERR(ENOENT, rump_sys_open("/nodir/f", O_RDWR | O_CREAT, 0644));
}

ATF_TC(o_trunc);
ATF_TC_HEAD(o_trunc, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "O_TRUNC empties an existing file; old data does not come back");
}
ATF_TC_BODY(o_trunc, tc)
{
	char buf[16];
	int fd;

	boot();
	mkfile("/f", "0123456789", 10, 0644);
	fd = (int)RL(rump_sys_open("/f", O_WRONLY | O_TRUNC));
	ATF_REQUIRE_EQ(0, fsize(fd));
	ATF_REQUIRE_EQ(0, rump_sys_lseek(fd, 0, SEEK_CUR));
	ATF_REQUIRE_EQ(2, rump_sys_write(fd, "ab", 2));
	/* Extending again must show zeros, not the old bytes. */
	RL(rump_sys_ftruncate(fd, 10));
	RL(rump_sys_close(fd));
	memset(buf, 'x', sizeof(buf));
	ATF_REQUIRE_EQ(10, slurp("/f", buf, sizeof(buf)));
	ATF_REQUIRE_EQ(0, memcmp(buf, "ab", 2));
	ATF_REQUIRE_MSG(allzero(buf + 2, 8), "old data visible after "
	    "O_TRUNC + extend: '%.8s'", buf + 2);
	/* O_TRUNC|O_CREAT on a new file. */
	fd = (int)RL(rump_sys_open("/g", O_WRONLY | O_CREAT | O_TRUNC, 0644));
	ATF_REQUIRE_EQ(0, fsize(fd));
	RL(rump_sys_close(fd));
}

ATF_TC(o_append);
ATF_TC_HEAD(o_append, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "O_APPEND writes at EOF whatever the offset; two appenders "
	    "interleave; pwrite on O_APPEND appends (Linux)");
}
ATF_TC_BODY(o_append, tc)
{
	char buf[32];
	int a, b;

	boot();
	mkfile("/f", "123", 3, 0644);
	a = (int)RL(rump_sys_open("/f", O_RDWR | O_APPEND));
	ATF_REQUIRE_EQ(0, rump_sys_lseek(a, 0, SEEK_CUR));
	ATF_REQUIRE_EQ(2, rump_sys_write(a, "ab", 2));
	ATF_REQUIRE_EQ(5, rump_sys_lseek(a, 0, SEEK_CUR));
	RL(rump_sys_lseek(a, 0, SEEK_SET));
	ATF_REQUIRE_EQ(2, rump_sys_write(a, "cd", 2));
	ATF_REQUIRE_EQ(7, rump_sys_lseek(a, 0, SEEK_CUR));
	/* Reading is positional as usual. */
	RL(rump_sys_lseek(a, 1, SEEK_SET));
	ATF_REQUIRE_EQ(2, rump_sys_read(a, buf, 2));
	ATF_REQUIRE_EQ(0, memcmp(buf, "23", 2));

	b = (int)RL(rump_sys_open("/f", O_WRONLY | O_APPEND));
	ATF_REQUIRE_EQ(1, rump_sys_write(b, "X", 1));
	ATF_REQUIRE_EQ(1, rump_sys_write(a, "Y", 1));
	ATF_REQUIRE_EQ(1, rump_sys_write(b, "Z", 1));
	/* Linux: pwrite on an O_APPEND descriptor appends. */
	ATF_REQUIRE_EQ(1, rump_sys_pwrite64(a, "P", 1, 0));
	RL(rump_sys_close(a));
	RL(rump_sys_close(b));
	memset(buf, 0, sizeof(buf));
	ATF_REQUIRE_EQ(11, slurp("/f", buf, sizeof(buf)));
	ATF_REQUIRE_MSG(memcmp(buf, "123abcdXYZP", 11) == 0, "got '%s'", buf);
}

ATF_TC(dup_dup2_dup3);
ATF_TC_HEAD(dup_dup2_dup3, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "dup lowest free fd and shared offset, FD_CLOEXEC not copied; "
	    "dup2 onto itself / an open fd / bad fds; dup3 flags");
}
ATF_TC_BODY(dup_dup2_dup3, tc)
{
	struct stat sa, sb, st;
	char buf[8];
	int a, b, d, e;

	boot();
	mkfile("/a", "AAAA", 4, 0644);
	mkfile("/b", "BBBBBB", 6, 0644);
	a = (int)RL(rump_sys_open("/a", O_RDONLY | O_CLOEXEC));
	b = (int)RL(rump_sys_open("/b", O_RDONLY));
	RL(rump_sys_fstat(a, &sa));
	RL(rump_sys_fstat(b, &sb));
	ATF_REQUIRE(sa.st_ino != sb.st_ino);

	d = (int)RL(rump_sys_dup(a));
	ATF_REQUIRE(d != a && d != b);
	ATF_REQUIRE_EQ(0, rump_sys_fcntl(d, F_GETFD));
	ATF_REQUIRE_EQ(FD_CLOEXEC, rump_sys_fcntl(a, F_GETFD));
	ATF_REQUIRE_EQ(2, rump_sys_read(d, buf, 2));
	ATF_REQUIRE_EQ(2, rump_sys_lseek(a, 0, SEEK_CUR));
	/* Lowest free: close a, dup again gets a's number. */
	RL(rump_sys_close(a));
	e = (int)RL(rump_sys_dup(b));
	ATF_REQUIRE_EQ(a, e);
	RL(rump_sys_close(e));

	/* dup2 onto itself returns it, unchanged. */
	ATF_REQUIRE_EQ(d, rump_sys_dup2(d, d));
	RL(rump_sys_fstat(d, &st));
	ATF_REQUIRE_EQ(sa.st_ino, st.st_ino);
	/* dup2 onto an open fd closes that one first. */
	ATF_REQUIRE_EQ(d, rump_sys_dup2(b, d));
	RL(rump_sys_fstat(d, &st));
	ATF_REQUIRE_EQ(sb.st_ino, st.st_ino);
	ATF_REQUIRE_EQ(0, rump_sys_fcntl(d, F_GETFD));
	/* dup2 onto a high free fd. */
	ATF_REQUIRE_EQ(700, rump_sys_dup2(b, 700));
	RL(rump_sys_fstat(700, &st));
	ATF_REQUIRE_EQ(sb.st_ino, st.st_ino);
	ERR(EBADF, rump_sys_dup2(555, 5));
	ERR(EBADF, rump_sys_dup2(555, 555));
	ERR(EBADF, rump_sys_dup2(-1, 5));
	ERR(EBADF, rump_sys_dup2(b, -1));
	ERR(EBADF, rump_sys_dup2(b, FD_LIMIT));
	ERR(EBADF, rump_sys_dup2(b, INT_MAX));

	/* dup3: same fd EINVAL (unlike dup2), bad flags EINVAL. */
	ERR(EINVAL, rump_sys_dup3(b, b, 0));
	ERR(EINVAL, rump_sys_dup3(b, 50, 0x1));
	ERR(EINVAL, rump_sys_dup3(b, 50, O_NONBLOCK));
	ATF_REQUIRE_EQ(50, rump_sys_dup3(b, 50, O_CLOEXEC));
	ATF_REQUIRE_EQ(FD_CLOEXEC, rump_sys_fcntl(50, F_GETFD));
	ATF_REQUIRE_EQ(51, rump_sys_dup3(b, 51, 0));
	ATF_REQUIRE_EQ(0, rump_sys_fcntl(51, F_GETFD));
	ERR(EBADF, rump_sys_dup3(555, 52, 0));
	ERR(EBADF, rump_sys_dup3(b, FD_LIMIT, 0));
	/* Closing one duplicate leaves the others working. */
	RL(rump_sys_close(b));
	ATF_REQUIRE_EQ(6, rump_sys_pread64(51, buf, 8, 0));
	ATF_REQUIRE_EQ(0, memcmp(buf, "BBBBBB", 6));
}

ATF_TC(fcntl_flags);
ATF_TC_HEAD(fcntl_flags, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "fcntl F_GETFD/F_SETFD, F_GETFL/F_SETFL (O_APPEND|O_NONBLOCK, "
	    "access mode immutable), F_DUPFD minimum, F_DUPFD_CLOEXEC");
}
ATF_TC_BODY(fcntl_flags, tc)
{
	char buf[16];
	int fd, fl, n;

	boot();
	mkfile("/f", "abc", 3, 0644);
	fd = (int)RL(rump_sys_open("/f", O_RDWR));
	ATF_REQUIRE_EQ(0, rump_sys_fcntl(fd, F_GETFD));
	RL(rump_sys_fcntl(fd, F_SETFD, FD_CLOEXEC));
	ATF_REQUIRE_EQ(FD_CLOEXEC, rump_sys_fcntl(fd, F_GETFD));
	RL(rump_sys_fcntl(fd, F_SETFD, 0));
	ATF_REQUIRE_EQ(0, rump_sys_fcntl(fd, F_GETFD));

	fl = (int)RL(rump_sys_fcntl(fd, F_GETFL));
	ATF_REQUIRE_EQ(O_RDWR, fl & O_ACCMODE);
	ATF_REQUIRE_EQ(0, fl & (O_APPEND | O_NONBLOCK));
	RL(rump_sys_fcntl(fd, F_SETFL, O_APPEND | O_NONBLOCK));
	fl = (int)RL(rump_sys_fcntl(fd, F_GETFL));
	ATF_REQUIRE_EQ(O_APPEND | O_NONBLOCK, fl & (O_APPEND | O_NONBLOCK));
	ATF_REQUIRE_EQ(O_RDWR, fl & O_ACCMODE);
	/* O_APPEND set by F_SETFL takes effect. */
	RL(rump_sys_lseek(fd, 0, SEEK_SET));
	ATF_REQUIRE_EQ(1, rump_sys_write(fd, "d", 1));
	ATF_REQUIRE_EQ(4, rump_sys_pread64(fd, buf, sizeof(buf), 0));
	ATF_REQUIRE_EQ(0, memcmp(buf, "abcd", 4));
	/* The access mode cannot be changed by F_SETFL. */
	RL(rump_sys_fcntl(fd, F_SETFL, O_WRONLY));
	fl = (int)RL(rump_sys_fcntl(fd, F_GETFL));
	ATF_REQUIRE_EQ(O_RDWR, fl & O_ACCMODE);
	ATF_REQUIRE_EQ(0, fl & (O_APPEND | O_NONBLOCK));
	ATF_REQUIRE_EQ(1, rump_sys_pread64(fd, buf, 1, 0));
	/* The status flags belong to the open file, shared by dups. */
	n = (int)RL(rump_sys_dup(fd));
	RL(rump_sys_fcntl(fd, F_SETFL, O_APPEND));
	ATF_REQUIRE(rump_sys_fcntl(n, F_GETFL) & O_APPEND);
	RL(rump_sys_close(n));

	/* F_DUPFD: lowest free at or above the argument. */
	ATF_REQUIRE_EQ(100, rump_sys_fcntl(fd, F_DUPFD, 100));
	ATF_REQUIRE_EQ(101, rump_sys_fcntl(fd, F_DUPFD, 100));
	ATF_REQUIRE_EQ(0, rump_sys_fcntl(101, F_GETFD));
	RL(rump_sys_close(100));
	ATF_REQUIRE_EQ(100, rump_sys_fcntl(fd, F_DUPFD, 100));
	ATF_REQUIRE_EQ(102, rump_sys_fcntl(fd, F_DUPFD_CLOEXEC, 100));
	ATF_REQUIRE_EQ(FD_CLOEXEC, rump_sys_fcntl(102, F_GETFD));
	/* A minimum below the lowest free gives the lowest free. */
	{
		int low = (int)RL(rump_sys_fcntl(fd, F_DUPFD, 0));
		ATF_REQUIRE(low < 100);
		RL(rump_sys_close(low));
	}
	ATF_REQUIRE_EQ(FD_LIMIT - 1, rump_sys_fcntl(fd, F_DUPFD, FD_LIMIT - 1));
	ERR(EINVAL, rump_sys_fcntl(fd, F_DUPFD, FD_LIMIT));
	ERR(EINVAL, rump_sys_fcntl(fd, F_DUPFD, -1));
	ERR(EINVAL, rump_sys_fcntl(fd, F_DUPFD_CLOEXEC, FD_LIMIT));
	/* The dup shares the offset. */
	RL(rump_sys_lseek(fd, 2, SEEK_SET));
	ATF_REQUIRE_EQ(2, rump_sys_lseek(102, 0, SEEK_CUR));
	ERR(EINVAL, rump_sys_fcntl(fd, 12345));
	RL(rump_sys_close(fd));
}

ATF_TC(pipe_data);
ATF_TC_HEAD(pipe_data, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "pipe2: data through in order, fifo type, ends' access modes, "
	    "ESPIPE on lseek/pread, O_CLOEXEC, bad flags");
}
ATF_TC_BODY(pipe_data, tc)
{
	struct stat st;
	char buf[64];
	int p[2], q[2];

	boot();
	RL(rump_sys_pipe2(p, 0));
	ATF_REQUIRE(p[0] >= 0 && p[1] >= 0 && p[0] != p[1]);
	ATF_REQUIRE_EQ(5, rump_sys_write(p[1], "hello", 5));
	ATF_REQUIRE_EQ(6, rump_sys_write(p[1], " world", 6));
	memset(buf, 0, sizeof(buf));
	ATF_REQUIRE_EQ(3, rump_sys_read(p[0], buf, 3));
	ATF_REQUIRE_EQ(0, memcmp(buf, "hel", 3));
	ATF_REQUIRE_EQ(8, rump_sys_read(p[0], buf, sizeof(buf)));
	ATF_REQUIRE_EQ(0, memcmp(buf, "lo world", 8));
	RL(rump_sys_fstat(p[0], &st));
	ATF_REQUIRE(S_ISFIFO(st.st_mode));
	RL(rump_sys_fstat(p[1], &st));
	ATF_REQUIRE(S_ISFIFO(st.st_mode));
	ATF_REQUIRE_EQ(O_RDONLY, rump_sys_fcntl(p[0], F_GETFL) & O_ACCMODE);
	ATF_REQUIRE_EQ(O_WRONLY, rump_sys_fcntl(p[1], F_GETFL) & O_ACCMODE);
	ERR(EBADF, rump_sys_write(p[0], "x", 1));
	ERR(EBADF, rump_sys_read(p[1], buf, 1));
	ERR(ESPIPE, rump_sys_lseek(p[0], 0, SEEK_CUR));
	ERR(ESPIPE, rump_sys_lseek(p[1], 0, SEEK_SET));
	ERR(ESPIPE, rump_sys_pread64(p[0], buf, 1, 0));
	ERR(ESPIPE, rump_sys_pwrite64(p[1], buf, 1, 0));
	ATF_REQUIRE_EQ(0, rump_sys_fcntl(p[0], F_GETFD));

	RL(rump_sys_pipe2(q, O_CLOEXEC));
	ATF_REQUIRE_EQ(FD_CLOEXEC, rump_sys_fcntl(q[0], F_GETFD));
	ATF_REQUIRE_EQ(FD_CLOEXEC, rump_sys_fcntl(q[1], F_GETFD));
	ERR(EINVAL, rump_sys_pipe2(q, 0x1));
	ERR(EINVAL, rump_sys_pipe2(q, O_APPEND));
	/* writev/readv through a pipe. */
	{
		struct iovec iov[2] = {
			{ .iov_base = (void *)"ab", .iov_len = 2 },
			{ .iov_base = (void *)"cde", .iov_len = 3 },
		};
		ATF_REQUIRE_EQ(5, rump_sys_writev(q[1], iov, 2));
		ATF_REQUIRE_EQ(5, rump_sys_read(q[0], buf, sizeof(buf)));
		ATF_REQUIRE_EQ(0, memcmp(buf, "abcde", 5));
	}
}

ATF_TC(pipe_eof);
ATF_TC_HEAD(pipe_eof, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "after the last writer closes, buffered data is read, then EOF; "
	    "a dup of the writer keeps the pipe open");
}
ATF_TC_BODY(pipe_eof, tc)
{
	char buf[16];
	int p[2], w2;

	boot();
	RL(rump_sys_pipe2(p, O_NONBLOCK));
	w2 = (int)RL(rump_sys_dup(p[1]));
	ATF_REQUIRE_EQ(3, rump_sys_write(p[1], "abc", 3));
	RL(rump_sys_close(p[1]));
	ATF_REQUIRE_EQ(3, rump_sys_read(p[0], buf, sizeof(buf)));
	/* w2 still open: empty, not EOF. */
	ERR(EAGAIN, rump_sys_read(p[0], buf, sizeof(buf)));
	ATF_REQUIRE_EQ(2, rump_sys_write(w2, "de", 2));
	RL(rump_sys_close(w2));
	ATF_REQUIRE_EQ(2, rump_sys_read(p[0], buf, sizeof(buf)));
	ATF_REQUIRE_EQ(0, memcmp(buf, "de", 2));
	ATF_REQUIRE_EQ(0, rump_sys_read(p[0], buf, sizeof(buf)));
	ATF_REQUIRE_EQ(0, rump_sys_read(p[0], buf, sizeof(buf)));
	/* And for a blocking reader. */
	RL(rump_sys_pipe2(p, 0));
	ATF_REQUIRE_EQ(1, rump_sys_write(p[1], "z", 1));
	RL(rump_sys_close(p[1]));
	ATF_REQUIRE_EQ(1, rump_sys_read(p[0], buf, sizeof(buf)));
	ATF_REQUIRE_EQ(0, rump_sys_read(p[0], buf, sizeof(buf)));
}

ATF_TC(pipe_epipe);
ATF_TC_HEAD(pipe_epipe, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "writing to a pipe with no reader fails with EPIPE");
}
ATF_TC_BODY(pipe_epipe, tc)
{
	int p[2];

	/* A host SIGPIPE, if any were raised, must not kill the test. */
	signal(SIGPIPE, SIG_IGN);
	boot();
	RL(rump_sys_pipe2(p, 0));
	ATF_REQUIRE_EQ(1, rump_sys_write(p[1], "a", 1));
	RL(rump_sys_close(p[0]));
	ERR(EPIPE, rump_sys_write(p[1], "b", 1));
	ERR(EPIPE, rump_sys_write(p[1], "b", 1));
	RL(rump_sys_pipe2(p, O_NONBLOCK));
	RL(rump_sys_close(p[0]));
	ERR(EPIPE, rump_sys_write(p[1], "b", 1));
}

ATF_TC(pipe_nonblock);
ATF_TC_HEAD(pipe_nonblock, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "O_NONBLOCK: empty read EAGAIN, full write EAGAIN after a bounded "
	    "amount, everything written reads back intact; F_SETFL too");
	atf_tc_set_md_var(tc, "timeout", "60");
}
ATF_TC_BODY(pipe_nonblock, tc)
{
	static unsigned char chunk[4096], rb[4096];
	size_t total = 0, back = 0;
	int p[2];
	ssize_t n;

	boot();
	RL(rump_sys_pipe2(p, O_NONBLOCK));
	ERR(EAGAIN, rump_sys_read(p[0], rb, sizeof(rb)));
	for (;;) {
		for (size_t i = 0; i < sizeof(chunk); i++)
			chunk[i] = (unsigned char)((total + i) * 7 + 3);
		n = rump_sys_write(p[1], chunk, sizeof(chunk));
		if (n == -1) {
			ATF_REQUIRE_MSG(rt_errno() == EAGAIN,
			    "write to a full pipe: rt_errno() %d (%s)", rt_errno(),
			    strerror(rt_errno()));
			break;
		}
		ATF_REQUIRE(n > 0);
		total += (size_t)n;
		ATF_REQUIRE_MSG(total <= 16 * 1024 * 1024,
		    "a nonblocking pipe accepted more than 16 MiB");
	}
	ATF_REQUIRE(total >= 4096);
	while ((n = rump_sys_read(p[0], rb, sizeof(rb))) > 0) {
		for (ssize_t i = 0; i < n; i++)
			ATF_REQUIRE_MSG(rb[i] ==
			    (unsigned char)((back + (size_t)i) * 7 + 3),
			    "pipe data corrupt at %zu", back + (size_t)i);
		back += (size_t)n;
	}
	ATF_REQUIRE_MSG(n == -1 && rt_errno() == EAGAIN, "drained read: %zd/%d",
	    n, rt_errno());
	ATF_REQUIRE_EQ(total, back);

	/* O_NONBLOCK set later with F_SETFL. */
	RL(rump_sys_pipe2(p, 0));
	RL(rump_sys_fcntl(p[0], F_SETFL, O_NONBLOCK));
	ERR(EAGAIN, rump_sys_read(p[0], rb, 1));
}

struct pipe_writer {
	int fd;
	size_t len;
	int error;
};

static void *
delayed_writer(void *arg)
{
	struct pipe_writer *w = arg;
	static unsigned char data[256 * 1024];
	size_t off = 0;
	ssize_t n;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i % 251);
	/* The reader blocks meanwhile (a host sleep would stop it too on a
	 * platform with one host thread). */
	rt_sleep_ms(100);
	while (off < w->len) {
		n = rump_sys_write(w->fd, data + off, w->len - off);
		if (n <= 0) {
			w->error = n == 0 ? -1 : rt_errno();
			return NULL;
		}
		off += (size_t)n;
	}
	if (rump_sys_close(w->fd) == -1)
		w->error = rt_errno();
	return NULL;
}

ATF_TC(pipe_blocking);
ATF_TC_HEAD(pipe_blocking, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "a blocking reader waits for a writer on another host thread; a "
	    "blocked writer of 256 KiB proceeds as the reader drains");
	atf_tc_set_md_var(tc, "timeout", "60");
}
ATF_TC_BODY(pipe_blocking, tc)
{
	struct pipe_writer w;
	static unsigned char buf[8192];
	void *t;
	size_t got = 0;
	ssize_t n;
	int p[2];

	boot();
	RL(rump_sys_pipe2(p, 0));
	w.fd = p[1];
	w.len = 256 * 1024;
	w.error = 0;
	t = rt_thread_start(delayed_writer, &w, "writer");
	while ((n = rump_sys_read(p[0], buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++)
			ATF_REQUIRE_MSG(buf[i] ==
			    (unsigned char)((got + (size_t)i) % 251),
			    "pipe data corrupt at %zu", got + (size_t)i);
		got += (size_t)n;
	}
	ATF_REQUIRE_MSG(n == 0, "read: %s", strerror(errno));
	rt_thread_join(t);
	ATF_REQUIRE_EQ_MSG(0, w.error, "writer: %d (%s)", w.error,
	    strerror(w.error));
	ATF_REQUIRE_EQ(w.len, got);
}

ATF_TC(truncate_ftruncate);
ATF_TC_HEAD(truncate_ftruncate, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "truncate/ftruncate: shrink, extend sparse with zeros, no "
	    "resurrected data, offset untouched, errors");
}
ATF_TC_BODY(truncate_ftruncate, tc)
{
	static char buf[20000];
	struct stat st;
	int fd;

	boot();
	mkfile("/f", "0123456789", 10, 0644);
	RL(rump_sys_truncate("/f", 4));
	RL(rump_sys_stat("/f", &st));
	ATF_REQUIRE_EQ(4, st.st_size);
	ATF_REQUIRE_EQ(4, slurp("/f", buf, sizeof(buf)));
	ATF_REQUIRE_EQ(0, memcmp(buf, "0123", 4));
	RL(rump_sys_truncate("/f", 100));
	memset(buf, 'x', sizeof(buf));
	ATF_REQUIRE_EQ(100, slurp("/f", buf, sizeof(buf)));
	ATF_REQUIRE_EQ(0, memcmp(buf, "0123", 4));
	ATF_REQUIRE_MSG(allzero(buf + 4, 96), "truncated bytes came back");

	fd = (int)RL(rump_sys_open("/f", O_RDWR));
	RL(rump_sys_lseek(fd, 50, SEEK_SET));
	RL(rump_sys_ftruncate(fd, 2));
	ATF_REQUIRE_EQ(2, fsize(fd));
	ATF_REQUIRE_EQ(50, rump_sys_lseek(fd, 0, SEEK_CUR));
	/* Writing at 50 now leaves a hole 2..49. */
	ATF_REQUIRE_EQ(1, rump_sys_write(fd, "E", 1));
	ATF_REQUIRE_EQ(51, fsize(fd));
	memset(buf, 'x', sizeof(buf));
	ATF_REQUIRE_EQ(51, rump_sys_pread64(fd, buf, sizeof(buf), 0));
	ATF_REQUIRE_EQ(0, memcmp(buf, "01", 2));
	ATF_REQUIRE(allzero(buf + 2, 48));
	ATF_REQUIRE_EQ('E', buf[50]);
	/* Across page-sized boundaries: fill 3 pages, cut in the middle of
	 * the second, extend, the tail must be zero. */
	memset(buf, 'q', 12288);
	ATF_REQUIRE_EQ(12288, rump_sys_pwrite64(fd, buf, 12288, 0));
	RL(rump_sys_ftruncate(fd, 5000));
	RL(rump_sys_ftruncate(fd, 12288));
	memset(buf, 'x', sizeof(buf));
	ATF_REQUIRE_EQ(12288, rump_sys_pread64(fd, buf, sizeof(buf), 0));
	for (int i = 0; i < 5000; i++)
		ATF_REQUIRE(buf[i] == 'q');
	ATF_REQUIRE_MSG(allzero(buf + 5000, 12288 - 5000),
	    "data past a truncation point came back after extending");
	RL(rump_sys_ftruncate(fd, 0));
	ATF_REQUIRE_EQ(0, fsize(fd));
	ATF_REQUIRE_EQ(0, rump_sys_pread64(fd, buf, 10, 0));
	ERR(EINVAL, rump_sys_ftruncate(fd, -1));
	RL(rump_sys_close(fd));

	ERR(EINVAL, rump_sys_truncate("/f", -1));
	ERR(ENOENT, rump_sys_truncate("/nope", 0));
	RL(rump_sys_mkdir("/d", 0755));
	ERR(EISDIR, rump_sys_truncate("/d", 0));
	/* ftruncate needs a descriptor open for writing. */
	fd = (int)RL(rump_sys_open("/f", O_RDONLY));
	ERR(EINVAL, rump_sys_ftruncate(fd, 0));
	RL(rump_sys_close(fd));
}

ATF_TC(fsync_fdatasync);
ATF_TC_HEAD(fsync_fdatasync, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "fsync/fdatasync succeed on files and directories, EINVAL on a "
	    "pipe; data stays; sync works");
}
ATF_TC_BODY(fsync_fdatasync, tc)
{
	char buf[8];
	int fd, dfd, p[2];

	boot();
	fd = (int)RL(rump_sys_open("/f", O_RDWR | O_CREAT, 0644));
	ATF_REQUIRE_EQ(4, rump_sys_write(fd, "sync", 4));
	RL(rump_sys_fsync(fd));
	RL(rump_sys_fdatasync(fd));
	ATF_REQUIRE_EQ(4, rump_sys_pread64(fd, buf, sizeof(buf), 0));
	ATF_REQUIRE_EQ(0, memcmp(buf, "sync", 4));
	RL(rump_sys_close(fd));
	fd = (int)RL(rump_sys_open("/f", O_RDONLY));
	RL(rump_sys_fsync(fd));
	RL(rump_sys_close(fd));
	dfd = (int)RL(rump_sys_open("/", O_RDONLY | O_DIRECTORY));
	RL(rump_sys_fsync(dfd));
	RL(rump_sys_fdatasync(dfd));
	RL(rump_sys_close(dfd));
	RL(rump_sys_pipe2(p, 0));
	ERR(EINVAL, rump_sys_fsync(p[0]));
	ERR(EINVAL, rump_sys_fdatasync(p[1]));
	rump_sys_sync();
	ATF_REQUIRE_EQ(4, slurp("/f", buf, sizeof(buf)));
}

ATF_TC(emfile_limit);
ATF_TC_HEAD(emfile_limit, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "open until EMFILE: exactly 1024 descriptors (0..1023); then dup, "
	    "pipe2, F_DUPFD, openat also EMFILE; a freed slot is reused");
	atf_tc_set_md_var(tc, "timeout", "120");
}
ATF_TC_BODY(emfile_limit, tc)
{
	struct stat st;
	int preexisting = 0, opened = 0, last = -1, fd, p[2];

	boot();
	mkfile("/f", "x", 1, 0644);
	for (int i = 0; i < FD_LIMIT; i++)
		if (rump_sys_fstat(i, &st) == 0)
			preexisting++;
	for (;;) {
		fd = rump_sys_open("/f", O_RDONLY);
		if (fd == -1)
			break;
		ATF_REQUIRE_MSG(fd < FD_LIMIT, "got fd %d >= %d", fd, FD_LIMIT);
		ATF_REQUIRE_MSG(fd > last, "fd %d not increasing (last %d)",
		    fd, last);
		last = fd;
		opened++;
		ATF_REQUIRE_MSG(opened <= FD_LIMIT, "more than %d opens",
		    FD_LIMIT);
	}
	ATF_REQUIRE_EQ_MSG(EMFILE, rt_errno(), "open at limit: rt_errno() %d (%s)",
	    rt_errno(), strerror(rt_errno()));
	ATF_REQUIRE_EQ_MSG(FD_LIMIT, preexisting + opened,
	    "preexisting %d + opened %d", preexisting, opened);
	ATF_REQUIRE_EQ(FD_LIMIT - 1, last);

	ERR(EMFILE, rump_sys_open("/f", O_RDONLY));
	ERR(EMFILE, rump_sys_openat(AT_FDCWD, "/f", O_RDONLY));
	ERR(EMFILE, rump_sys_dup(last));
	ERR(EMFILE, rump_sys_fcntl(last, F_DUPFD, 0));
	ERR(EMFILE, rump_sys_fcntl(last, F_DUPFD_CLOEXEC, 0));
	ERR(EMFILE, rump_sys_pipe2(p, 0));
	ERR(EBADF, rump_sys_dup2(last, FD_LIMIT));
	ERR(EINVAL, rump_sys_fcntl(last, F_DUPFD, FD_LIMIT));
	/* dup2 onto an existing fd needs no new slot. */
	ATF_REQUIRE_EQ(last - 1, rump_sys_dup2(last, last - 1));

	/* The table still works at the limit. */
	{
		char c;
		ATF_REQUIRE_EQ(1, rump_sys_pread64(last, &c, 1, 0));
		ATF_REQUIRE_EQ('x', c);
	}
	RL(rump_sys_close(500));
	ATF_REQUIRE_EQ(500, rump_sys_open("/f", O_RDONLY));
	ERR(EMFILE, rump_sys_open("/f", O_RDONLY));
	/* Freeing two slots lets pipe2 work. */
	RL(rump_sys_close(10));
	RL(rump_sys_close(20));
	RL(rump_sys_pipe2(p, 0));
	ATF_REQUIRE((p[0] == 10 && p[1] == 20));
	for (int i = 0; i < FD_LIMIT; i++)
		rump_sys_close(i);
	/* All closed: the lowest descriptor is 0 again. */
	ATF_REQUIRE_EQ(0, rump_sys_open("/f", O_RDONLY));
}

ATF_TC(ebadf_everywhere);
ATF_TC_HEAD(ebadf_everywhere, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "every descriptor-taking call gives EBADF for -1, a never-opened "
	    "fd, a just-closed fd, 1024 and INT_MAX");
}
ATF_TC_BODY(ebadf_everywhere, tc)
{
	char buf[64];
	struct stat st;
	struct statfs sf;
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct timespec ts[2] = { { 0, 0 }, { 0, 0 } };
	int bad[5], closed, fd;

	boot();
	mkfile("/f", "x", 1, 0644);
	RL(rump_sys_mkdir("/d", 0755));
	fd = (int)RL(rump_sys_open("/f", O_RDWR));
	closed = (int)RL(rump_sys_open("/f", O_RDONLY));
	RL(rump_sys_close(closed));
	bad[0] = -1;
	bad[1] = 777;
	bad[2] = closed;
	bad[3] = FD_LIMIT;
	bad[4] = INT_MAX;

	for (int i = 0; i < 5; i++) {
		int b = bad[i];

		printf("bad fd %d\n", b);
		ERR(EBADF, rump_sys_read(b, buf, 1));
		ERR(EBADF, rump_sys_write(b, buf, 1));
		ERR(EBADF, rump_sys_pread64(b, buf, 1, 0));
		ERR(EBADF, rump_sys_pwrite64(b, buf, 1, 0));
		ERR(EBADF, rump_sys_readv(b, &iov, 1));
		ERR(EBADF, rump_sys_writev(b, &iov, 1));
		ERR(EBADF, rump_sys_lseek(b, 0, SEEK_SET));
		ERR(EBADF, rump_sys_close(b));
		ERR(EBADF, rump_sys_dup(b));
		ERR(EBADF, rump_sys_dup2(b, 900));
		ERR(EBADF, rump_sys_dup3(b, 900, 0));
		ERR(EBADF, rump_sys_fcntl(b, F_GETFD));
		ERR(EBADF, rump_sys_fcntl(b, F_SETFD, FD_CLOEXEC));
		ERR(EBADF, rump_sys_fcntl(b, F_GETFL));
		ERR(EBADF, rump_sys_fcntl(b, F_SETFL, O_APPEND));
		ERR(EBADF, rump_sys_fcntl(b, F_DUPFD, 0));
		ERR(EBADF, rump_sys_fsync(b));
		ERR(EBADF, rump_sys_fdatasync(b));
		ERR(EBADF, rump_sys_ftruncate(b, 0));
		ERR(EBADF, rump_sys_getdents64(b, buf, sizeof(buf)));
		ERR(EBADF, rump_sys_fstat(b, &st));
		ERR(EBADF, rump_sys_fstatfs(b, &sf));
		ERR(EBADF, rump_sys_fchmod(b, 0644));
		ERR(EBADF, rump_sys_fchown(b, 0, 0));
		ERR(EBADF, rump_sys_fchdir(b));
		/* *at calls with a relative path. */
		ERR(EBADF, rump_sys_openat(b, "f", O_RDONLY));
		ERR(EBADF, rump_sys_mkdirat(b, "nd", 0755));
		ERR(EBADF, rump_sys_unlinkat(b, "f", 0));
		ERR(EBADF, rump_sys_renameat(b, "f", AT_FDCWD, "/g"));
		ERR(EBADF, rump_sys_renameat(AT_FDCWD, "/f", b, "g"));
		ERR(EBADF, rump_sys_linkat(b, "f", AT_FDCWD, "/g", 0));
		ERR(EBADF, rump_sys_symlinkat("/f", b, "s"));
		ERR(EBADF, rump_sys_readlinkat(b, "s", buf, sizeof(buf)));
		ERR(EBADF, rump_sys_newfstatat(b, "f", &st, 0));
		ERR(EBADF, rump_sys_fchmodat(b, "f", 0644, 0));
		ERR(EBADF, rump_sys_fchownat(b, "f", 0, 0, 0));
		ERR(EBADF, rump_sys_faccessat(b, "f", F_OK, 0));
		ERR(EBADF, rump_sys_utimensat(b, "f", ts, 0));
	}
	/* A good oldfd with a bad newfd. */
	ERR(EBADF, rump_sys_dup2(fd, -1));
	ERR(EBADF, rump_sys_dup3(fd, -1, 0));
	/* Nothing was created through a bad dirfd. */
	ERR(ENOENT, rump_sys_stat("/g", &st));
	ERR(ENOENT, rump_sys_lstat("/s", &st));
	ERR(ENOENT, rump_sys_stat("/nd", &st));
	RL(rump_sys_stat("/f", &st));
	RL(rump_sys_close(fd));
}


static uint64_t lcg_state;

static uint32_t
lcg(void)
{
	lcg_state = lcg_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(lcg_state >> 33);
}

ATF_TC(random_io_integrity);
ATF_TC_HEAD(random_io_integrity, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "400 writes of random sizes at random unaligned offsets (pwrite, "
	    "lseek+write, writev) mixed with truncations, mirrored in host "
	    "memory: the file's size and every byte read back (in random "
	    "chunk sizes) match the mirror");
	atf_tc_set_md_var(tc, "timeout", "120");
}
ATF_TC_BODY(random_io_integrity, tc)
{
	enum { SPAN = 3 * 1024 * 1024, MAXW = 70000 };
	static unsigned char mirror[SPAN + MAXW], data[MAXW], back[MAXW];
	int64_t size = 0;
	int fd;

	boot();
	lcg_state = 12345;
	memset(mirror, 0, sizeof(mirror));
	fd = (int)RL(rump_sys_open("/rand", O_RDWR | O_CREAT, 0644));
	for (int op = 0; op < 400; op++) {
		uint32_t kind = lcg() % 10;
		int64_t off = lcg() % SPAN;
		size_t len = 1 + lcg() % MAXW;

		if (kind == 9) {
			/* Truncate to a random size, often unaligned. */
			int64_t ns = lcg() % SPAN;

			RL(rump_sys_ftruncate(fd, ns));
			if (ns < size)
				memset(mirror + ns, 0, (size_t)(size - ns));
			size = ns;
			continue;
		}
		for (size_t i = 0; i < len; i++)
			data[i] = (unsigned char)lcg();
		if (kind < 4) {
			ATF_REQUIRE_EQ((ssize_t)len, rump_sys_pwrite64(fd, data,
			    len, off));
		} else if (kind < 7) {
			ATF_REQUIRE_EQ(off, rump_sys_lseek(fd, off, SEEK_SET));
			ATF_REQUIRE_EQ((ssize_t)len, rump_sys_write(fd, data,
			    len));
			ATF_REQUIRE_EQ(off + (int64_t)len,
			    rump_sys_lseek(fd, 0, SEEK_CUR));
		} else {
			struct iovec iov[3];
			size_t a = len / 3, b = len / 2;

			iov[0].iov_base = data; iov[0].iov_len = a;
			iov[1].iov_base = data + a; iov[1].iov_len = b - a;
			iov[2].iov_base = data + b; iov[2].iov_len = len - b;
			ATF_REQUIRE_EQ(off, rump_sys_lseek(fd, off, SEEK_SET));
			ATF_REQUIRE_EQ((ssize_t)len, rump_sys_writev(fd, iov,
			    3));
		}
		memcpy(mirror + off, data, len);
		if (off + (int64_t)len > size)
			size = off + (int64_t)len;
	}
	ATF_REQUIRE_EQ(size, fsize(fd));
	/* Read everything back in random chunk sizes. */
	RL(rump_sys_lseek(fd, 0, SEEK_SET));
	for (int64_t pos = 0; pos < size;) {
		size_t want = 1 + lcg() % MAXW;
		ssize_t n = RL(rump_sys_read(fd, back, want));

		ATF_REQUIRE_MSG(n > 0, "EOF at %lld of %lld", (long long)pos,
		    (long long)size);
		ATF_REQUIRE_EQ((ssize_t)(pos + (int64_t)want > size ?
		    (size_t)(size - pos) : want), n);
		for (ssize_t i = 0; i < n; i++)
			ATF_REQUIRE_MSG(back[i] == mirror[pos + i],
			    "byte %lld is %#x, want %#x", (long long)(pos + i),
			    back[i], mirror[pos + i]);
		pos += n;
	}
	ATF_REQUIRE_EQ(0, rump_sys_read(fd, back, 1));
	RL(rump_sys_close(fd));
}

ATF_TC(offset_limits);
ATF_TC_HEAD(offset_limits, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "transfers at the largest offset: an O_APPEND write cut short "
	    "at INT64_MAX returns what it wrote, one that fails leaves the "
	    "offset alone; an end past INT64_MAX is EINVAL for read/write "
	    "and pread/pwrite, lseek overflow is EINVAL (all as Linux)");
}
ATF_TC_BODY(offset_limits, tc)
{
	char buf[8];
	int fd, afd;

	boot();
	fd = (int)RL(rump_sys_open("/f", O_RDWR | O_CREAT, 0644));
	RL(rump_sys_ftruncate(fd, INT64_MAX - 1));
	afd = (int)RL(rump_sys_open("/f", O_WRONLY | O_APPEND));
	/* One byte fits: a short write, not all four. */
	ATF_REQUIRE_EQ(1, rump_sys_write(afd, "abcd", 4));
	ATF_REQUIRE_EQ(INT64_MAX, fsize(fd));
	ATF_REQUIRE_EQ(INT64_MAX, rump_sys_lseek(afd, 0, SEEK_CUR));
	RL(rump_sys_close(afd));
	afd = (int)RL(rump_sys_open("/f", O_WRONLY | O_APPEND));
	ERR(EFBIG, rump_sys_write(afd, "a", 1));
	ATF_REQUIRE_EQ(0, rump_sys_lseek(afd, 0, SEEK_CUR));
	RL(rump_sys_close(afd));

	ATF_REQUIRE_EQ(1, rump_sys_pread64(fd, buf, 1, INT64_MAX - 1));
	ATF_REQUIRE_EQ('a', buf[0]);
	ERR(EINVAL, rump_sys_pread64(fd, buf, 2, INT64_MAX - 1));
	ERR(EINVAL, rump_sys_pwrite64(fd, "ab", 2, INT64_MAX - 1));
	ATF_REQUIRE_EQ(0, rump_sys_pread64(fd, buf, 0, INT64_MAX));
	ATF_REQUIRE_EQ(INT64_MAX, rump_sys_lseek(fd, INT64_MAX, SEEK_SET));
	ERR(EINVAL, rump_sys_read(fd, buf, 1));
	ERR(EINVAL, rump_sys_write(fd, "a", 1));
	ERR(EINVAL, rump_sys_lseek(fd, 1, SEEK_CUR));
	ERR(EINVAL, rump_sys_lseek(fd, 1, SEEK_END));
	ATF_REQUIRE_EQ(INT64_MAX, rump_sys_lseek(fd, 0, SEEK_CUR));
	RL(rump_sys_close(fd));
}

ATF_TC(errno_precedence);
ATF_TC_HEAD(errno_precedence, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "which error wins, as on Linux: a negative pread/pwrite offset "
	    "before a bad descriptor, ESPIPE before the access mode, a bad "
	    "whence before ESPIPE, EBADF for unknown fcntl commands on "
	    "O_PATH descriptors, ENOTDIR before ELOOP for O_DIRECTORY");
}
ATF_TC_BODY(errno_precedence, tc)
{
	char buf[4];
	int p[2], fd;

	boot();
	ERR(EINVAL, rump_sys_pread64(-1, buf, 1, -1));
	ERR(EINVAL, rump_sys_pwrite64(57, buf, 1, -1));
	RL(rump_sys_pipe2(p, 0));
	ERR(ESPIPE, rump_sys_pread64(p[1], buf, 1, 0));
	ERR(ESPIPE, rump_sys_pwrite64(p[0], buf, 1, 0));
	ERR(EINVAL, rump_sys_lseek(p[0], 0, 7));
	ERR(ESPIPE, rump_sys_lseek(p[0], 0, SEEK_SET));

	RL(rump_sys_mkdir("/d", 0755));
	RL(rump_sys_symlink("/d", "/l"));
	fd = (int)RL(rump_sys_open("/d", O_PATH));
	ERR(EBADF, rump_sys_fcntl(fd, 9999));
	RL(rump_sys_close(fd));
	fd = (int)RL(rump_sys_open("/d", O_RDONLY));
	ERR(EINVAL, rump_sys_fcntl(fd, 9999));
	RL(rump_sys_close(fd));
	ERR(ENOTDIR, rump_sys_open("/l", O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
	ERR(ENOTDIR, rump_sys_open("/l", O_PATH | O_DIRECTORY | O_NOFOLLOW));
	ERR(ELOOP, rump_sys_open("/l", O_RDONLY | O_NOFOLLOW));
	fd = (int)RL(rump_sys_open("/l", O_RDONLY | O_DIRECTORY));
	RL(rump_sys_close(fd));
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, open_read_write);
	ATF_TP_ADD_TC(tp, offsets_shared_and_private);
	ATF_TP_ADD_TC(tp, pread_pwrite);
	ATF_TP_ADD_TC(tp, readv_writev);
	ATF_TP_ADD_TC(tp, lseek_whence);
	ATF_TP_ADD_TC(tp, large_sparse_5g);
	ATF_TP_ADD_TC(tp, o_creat_excl);
	ATF_TP_ADD_TC(tp, o_trunc);
	ATF_TP_ADD_TC(tp, o_append);
	ATF_TP_ADD_TC(tp, dup_dup2_dup3);
	ATF_TP_ADD_TC(tp, fcntl_flags);
	ATF_TP_ADD_TC(tp, pipe_data);
	ATF_TP_ADD_TC(tp, pipe_eof);
	ATF_TP_ADD_TC(tp, pipe_epipe);
	ATF_TP_ADD_TC(tp, pipe_nonblock);
	ATF_TP_ADD_TC(tp, pipe_blocking);
	ATF_TP_ADD_TC(tp, truncate_ftruncate);
	ATF_TP_ADD_TC(tp, fsync_fdatasync);
	ATF_TP_ADD_TC(tp, emfile_limit);
	ATF_TP_ADD_TC(tp, ebadf_everywhere);
	ATF_TP_ADD_TC(tp, random_io_integrity);
	ATF_TP_ADD_TC(tp, offset_limits);
	ATF_TP_ADD_TC(tp, errno_precedence);
	return atf_no_error();
}
