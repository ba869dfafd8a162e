/*
 * t_chardev.c: the character-device switch and the memory devices.
 * /dev/null, zero, full, random and urandom exist after boot (mode 0666,
 * root's) and behave as on Linux; a node made with mknod for the same
 * numbers elsewhere is the same device; a node whose numbers no driver
 * serves still opens with ENXIO; poll sees the devices always ready;
 * seeks land on 0 and fsync is EINVAL, as Linux's memory devices do.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <atf-c.h>

#include <rump/rump.h>
#include <rump/rump_syscalls.h>

#include "h_rumptest.h"

static const struct {
	const char *path;
	unsigned    minor;
} nodes[] = {
	{ "/dev/null", 3 }, { "/dev/zero", 5 }, { "/dev/full", 7 },
	{ "/dev/random", 8 }, { "/dev/urandom", 9 },
};

static bool
allbytes(const unsigned char *buf, size_t n, unsigned char c)
{

	for (size_t i = 0; i < n; i++)
		if (buf[i] != c)
			return false;
	return true;
}

ATF_TC(nodes_at_boot);
ATF_TC_HEAD(nodes_at_boot, tc)
{
	atf_tc_set_md_var(tc, "descr", "boot makes /dev with the memory "
	    "devices: character nodes, 0666, root's, Linux's numbers");
}
ATF_TC_BODY(nodes_at_boot, tc)
{
	struct stat st;

	boot();
	RL(rump_sys_stat("/dev", &st));
	ATF_CHECK(S_ISDIR(st.st_mode));
	ATF_CHECK_EQ(0755, st.st_mode & 07777);
	for (size_t i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++) {
		RL(rump_sys_stat(nodes[i].path, &st));
		ATF_CHECK_EQ_MSG(S_IFCHR | 0666, st.st_mode, "%s mode %o",
		    nodes[i].path, (unsigned)st.st_mode);
		ATF_CHECK_EQ(0, st.st_uid);
		ATF_CHECK_EQ(0, st.st_gid);
		ATF_CHECK_EQ_MSG(makedev(1, nodes[i].minor), st.st_rdev,
		    "%s rdev %#jx", nodes[i].path, (uintmax_t)st.st_rdev);
		ATF_CHECK_EQ(1, major(st.st_rdev));
		ATF_CHECK_EQ(nodes[i].minor, minor(st.st_rdev));
	}
	/* Linux's encoding, literally: makedev(1, 3) is 0x103. */
	RL(rump_sys_stat("/dev/null", &st));
	ATF_CHECK_EQ(0x103, st.st_rdev);
}

/* Reads, writes and fstat of a null device opened at path. */
static void
check_null(const char *path)
{
	unsigned char buf[64];
	struct stat st;
	int fd;

	RL(fd = rump_sys_open(path, O_RDWR));
	ATF_CHECK_EQ(0, rump_sys_read(fd, buf, sizeof(buf)));
	ATF_CHECK_EQ(5, rump_sys_write(fd, "hello", 5));
	ATF_CHECK_EQ(0, rump_sys_read(fd, buf, sizeof(buf)));
	ATF_CHECK_EQ(3, rump_sys_pwrite64(fd, "abc", 3, 1000));
	RL(rump_sys_fstat(fd, &st));
	ATF_CHECK(S_ISCHR(st.st_mode));
	ATF_CHECK_EQ(makedev(1, 3), st.st_rdev);
	RL(rump_sys_close(fd));
}

ATF_TC(null);
ATF_TC_HEAD(null, tc)
{
	atf_tc_set_md_var(tc, "descr", "/dev/null reads end of file and "
	    "takes every write; so does a node mknod(1,3) made elsewhere");
}
ATF_TC_BODY(null, tc)
{
	struct stat st;

	boot();
	check_null("/dev/null");
	RL(rump_sys_mkdir("/elsewhere", 0755));
	RL(rump_sys_mknod("/elsewhere/mynull", S_IFCHR | 0600,
	    makedev(1, 3)));
	RL(rump_sys_stat("/elsewhere/mynull", &st));
	ATF_CHECK_EQ(S_IFCHR | 0600, st.st_mode & (S_IFMT | 07777));
	ATF_CHECK_EQ(makedev(1, 3), st.st_rdev);
	check_null("/elsewhere/mynull");
}

ATF_TC(zero_full);
ATF_TC_HEAD(zero_full, tc)
{
	atf_tc_set_md_var(tc, "descr", "/dev/zero and /dev/full read zeroes; "
	    "zero takes writes, full refuses them with ENOSPC");
}
ATF_TC_BODY(zero_full, tc)
{
	static unsigned char buf[100000];
	int fd;

	boot();
	RL(fd = rump_sys_open("/dev/zero", O_RDWR));
	memset(buf, 0xa5, sizeof(buf));
	ATF_CHECK_EQ((ssize_t)sizeof(buf), rump_sys_read(fd, buf,
	    sizeof(buf)));
	ATF_CHECK(allbytes(buf, sizeof(buf), 0));
	ATF_CHECK_EQ(7, rump_sys_write(fd, "1234567", 7));
	memset(buf, 0xa5, 10);
	ATF_CHECK_EQ(10, rump_sys_pread64(fd, buf, 10, 12345));
	ATF_CHECK(allbytes(buf, 10, 0));
	RL(rump_sys_close(fd));

	RL(fd = rump_sys_open("/dev/full", O_RDWR));
	memset(buf, 0xa5, 4096);
	ATF_CHECK_EQ(4096, rump_sys_read(fd, buf, 4096));
	ATF_CHECK(allbytes(buf, 4096, 0));
	ERR(ENOSPC, rump_sys_write(fd, "x", 1));
	ERR(ENOSPC, rump_sys_write(fd, buf, 4096));
	RL(rump_sys_close(fd));
}

ATF_TC(random);
ATF_TC_HEAD(random, tc)
{
	atf_tc_set_md_var(tc, "descr", "/dev/random and /dev/urandom read "
	    "the kernel's generator (never the same block twice) and "
	    "accept writes");
}
ATF_TC_BODY(random, tc)
{
	unsigned char a[4096], b[4096];
	int fd;

	boot();
	for (int i = 0; i < 2; i++) {
		const char *path = i == 0 ? "/dev/random" : "/dev/urandom";

		RL(fd = rump_sys_open(path, O_RDWR));
		memset(a, 0, sizeof(a));
		memset(b, 0, sizeof(b));
		ATF_CHECK_EQ((ssize_t)sizeof(a), rump_sys_read(fd, a,
		    sizeof(a)));
		ATF_CHECK_EQ((ssize_t)sizeof(b), rump_sys_read(fd, b,
		    sizeof(b)));
		/* 4096 random bytes are all zero, or equal to the next
		 * 4096, with probability 2^-32768. */
		ATF_CHECK_MSG(!allbytes(a, sizeof(a), 0), "%s: zeroes", path);
		ATF_CHECK_MSG(memcmp(a, b, sizeof(a)) != 0, "%s: repeats",
		    path);
		ATF_CHECK_EQ(16, rump_sys_write(fd, "entropy, maybe!!", 16));
		RL(rump_sys_close(fd));
	}
}

ATF_TC(unknown_enxio);
ATF_TC_HEAD(unknown_enxio, tc)
{
	atf_tc_set_md_var(tc, "descr", "a node of numbers no driver serves "
	    "(unknown minor of major 1, unknown major) opens with ENXIO");
}
ATF_TC_BODY(unknown_enxio, tc)
{

	boot();
	RL(rump_sys_mknod("/m1_250", S_IFCHR | 0666, makedev(1, 250)));
	RL(rump_sys_mknod("/m1_4", S_IFCHR | 0666, makedev(1, 4)));
	RL(rump_sys_mknod("/m200_3", S_IFCHR | 0666, makedev(200, 3)));
	/* Same numbers as null, but a block device: no driver. */
	RL(rump_sys_mknod("/b1_3", S_IFBLK | 0666, makedev(1, 3)));
	ERR(ENXIO, rump_sys_open("/m1_250", O_RDONLY));
	ERR(ENXIO, rump_sys_open("/m1_4", O_RDWR));
	ERR(ENXIO, rump_sys_open("/m200_3", O_WRONLY));
	ERR(ENXIO, rump_sys_open("/b1_3", O_RDONLY));
}

ATF_TC(poll_ready);
ATF_TC_HEAD(poll_ready, tc)
{
	atf_tc_set_md_var(tc, "descr", "poll sees every memory device ready "
	    "for reading and writing at once");
}
ATF_TC_BODY(poll_ready, tc)
{
	struct pollfd pfd[5];
	size_t n = sizeof(nodes) / sizeof(nodes[0]);

	boot();
	for (size_t i = 0; i < n; i++) {
		RL(pfd[i].fd = rump_sys_open(nodes[i].path, O_RDWR));
		pfd[i].events = POLLIN | POLLOUT;
		pfd[i].revents = 0;
	}
	ATF_CHECK_EQ((int)n, rump_sys_poll(pfd, n, 0));
	for (size_t i = 0; i < n; i++) {
		ATF_CHECK_EQ_MSG(POLLIN | POLLOUT, pfd[i].revents,
		    "%s: %#x", nodes[i].path, (unsigned)pfd[i].revents);
		RL(rump_sys_close(pfd[i].fd));
	}
}

ATF_TC(seek_fsync);
ATF_TC_HEAD(seek_fsync, tc)
{
	atf_tc_set_md_var(tc, "descr", "as on Linux, every seek on a memory "
	    "device lands on 0 (after reads and writes too), an unknown "
	    "whence is EINVAL, and fsync/fdatasync answer EINVAL");
}
ATF_TC_BODY(seek_fsync, tc)
{
	size_t n = sizeof(nodes) / sizeof(nodes[0]);
	char buf[16];
	int fd;

	boot();
	for (size_t i = 0; i < n; i++) {
		RL(fd = rump_sys_open(nodes[i].path, O_RDWR));
		(void)rump_sys_read(fd, buf, sizeof(buf));
		(void)rump_sys_write(fd, buf, 5);
		ATF_CHECK_EQ_MSG(0, rump_sys_lseek(fd, 0, SEEK_CUR), "%s",
		    nodes[i].path);
		ATF_CHECK_EQ_MSG(0, rump_sys_lseek(fd, 100, SEEK_SET), "%s",
		    nodes[i].path);
		ATF_CHECK_EQ_MSG(0, rump_sys_lseek(fd, -3, SEEK_END), "%s",
		    nodes[i].path);
		ERR(EINVAL, rump_sys_lseek(fd, 0, 17));
		ERR(EINVAL, rump_sys_fsync(fd));
		ERR(EINVAL, rump_sys_fdatasync(fd));
		RL(rump_sys_close(fd));
	}
}

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, nodes_at_boot);
	ATF_TP_ADD_TC(tp, null);
	ATF_TP_ADD_TC(tp, zero_full);
	ATF_TP_ADD_TC(tp, random);
	ATF_TP_ADD_TC(tp, unknown_enxio);
	ATF_TP_ADD_TC(tp, poll_ready);
	ATF_TP_ADD_TC(tp, seek_fsync);
	return 0;
}
