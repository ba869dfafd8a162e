/*
 * t_legacy_syscalls.c: the system calls that only some targets' ABI has
 * (x86_64's open, stat, mkdir, ...; aarch64 has only their *at forms).
 * The typed rump_sys_* wrappers always use the *at calls, so these are
 * reached only by number, the way the sysproxy server, the hijack library
 * and the unikernel trap reach them: through rump_syscall().
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <atf-c.h>

#include <rump/rump.h>
#include <rump/rump_syscalls.h>

#include "h_rumptest.h"

/* Calls number nr with up to three arguments; returns the result or -1
 * with errno set, like syscall(2) (and like rump_sys_*(), in the
 * platform's numbering: h_rumptest.h). */
static long
nsys(long nr, long a0, long a1, long a2)
{
	long args[6] = { a0, a1, a2, 0, 0, 0 };
	long rv[2] = { 0, 0 };
	int error;

	error = rump_syscall((int)nr, args, rv);
	if (error != 0) {
		rt_seterrno(error);	/* as rump_sys_*() would: ERR() reads it */
		return -1;
	}
	return rv[0];
}
#define P(s)	((long)(uintptr_t)(s))

ATF_TC_WITHOUT_HEAD(legacy_calls);
ATF_TC_BODY(legacy_calls, tc)
{
#ifndef SYS_open
	atf_tc_skip("this target's ABI has no legacy (non-*at) calls");
#else
	struct stat st;
	char buf[64];
	int fd, fds[2];

	boot();
	RL(nsys(SYS_mkdir, P("/d"), 0750, 0));
	ERR(EEXIST, nsys(SYS_mkdir, P("/d"), 0750, 0));
	fd = (int)RL(nsys(SYS_open, P("/d/f"), O_WRONLY | O_CREAT | O_EXCL,
	    0640));
	ATF_REQUIRE_EQ(5, rump_sys_write(fd, "hello", 5));
	RL(rump_sys_close(fd));
	ERR(EEXIST, nsys(SYS_open, P("/d/f"), O_WRONLY | O_CREAT | O_EXCL,
	    0640));
	fd = (int)RL(nsys(SYS_creat, P("/d/c"), 0600, 0));
	RL(rump_sys_close(fd));

	memset(&st, 0, sizeof(st));
	RL(nsys(SYS_stat, P("/d/f"), P(&st), 0));
	ATF_CHECK_EQ(5, st.st_size);
	ATF_CHECK_EQ(S_IFREG | 0640, st.st_mode);
	RL(nsys(SYS_access, P("/d/f"), R_OK | W_OK, 0));
	ERR(ENOENT, nsys(SYS_access, P("/d/none"), F_OK, 0));

	RL(nsys(SYS_link, P("/d/f"), P("/d/hard"), 0));
	RL(nsys(SYS_stat, P("/d/f"), P(&st), 0));
	ATF_CHECK_EQ(2, st.st_nlink);
	RL(nsys(SYS_symlink, P("f"), P("/d/sym"), 0));
	RL(nsys(SYS_lstat, P("/d/sym"), P(&st), 0));
	ATF_CHECK(S_ISLNK(st.st_mode));
	memset(buf, 0, sizeof(buf));
	ATF_CHECK_EQ(1, nsys(SYS_readlink, P("/d/sym"), P(buf), sizeof(buf)));
	ATF_CHECK_STREQ("f", buf);

	RL(nsys(SYS_chmod, P("/d/f"), 0604, 0));
	RL(nsys(SYS_chown, P("/d/f"), 7, 8));
	RL(nsys(SYS_lchown, P("/d/sym"), 9, 10));
	RL(nsys(SYS_stat, P("/d/f"), P(&st), 0));
	ATF_CHECK_EQ(S_IFREG | 0604, st.st_mode);
	ATF_CHECK_EQ(7, st.st_uid);
	ATF_CHECK_EQ(8, st.st_gid);
	RL(nsys(SYS_lstat, P("/d/sym"), P(&st), 0));
	ATF_CHECK_EQ(9, st.st_uid);

	RL(nsys(SYS_rename, P("/d/hard"), P("/d/moved"), 0));
	ERR(ENOENT, nsys(SYS_stat, P("/d/hard"), P(&st), 0));
	RL(nsys(SYS_unlink, P("/d/moved"), 0, 0));
	ERR(EISDIR, nsys(SYS_unlink, P("/d"), 0, 0));

	RL(nsys(SYS_pipe, P(fds), 0, 0));
	ATF_REQUIRE_EQ(2, rump_sys_write(fds[1], "pp", 2));
	RL(nsys(SYS_dup2, fds[0], 40, 0));
	ATF_REQUIRE_EQ(2, rump_sys_read(40, buf, sizeof(buf)));
	ATF_CHECK_EQ(40, nsys(SYS_dup2, 40, 40, 0));
	ERR(EBADF, nsys(SYS_dup2, 99, 40, 0));

	ERR(ENOTEMPTY, nsys(SYS_rmdir, P("/d"), 0, 0));
	RL(nsys(SYS_unlink, P("/d/f"), 0, 0));
	RL(nsys(SYS_unlink, P("/d/c"), 0, 0));
	RL(nsys(SYS_unlink, P("/d/sym"), 0, 0));
	RL(nsys(SYS_rmdir, P("/d"), 0, 0));
	ERR(ENOENT, nsys(SYS_rmdir, P("/d"), 0, 0));
#endif
}

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, legacy_calls);
	return atf_no_error();
}
