/*
 * t_proc.c: rump lwproc semantics (processes, lwps, descriptor tables,
 * per-process cwd/umask/credentials), the identity system calls, and the
 * numeric system call entry rump_syscall().
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/syscall.h>

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


#define RFORK(flags) do {						\
	int rf_error_ = rump_lwproc_rfork(flags);			\
	ATF_REQUIRE_EQ_MSG(0, rf_error_, "rump_lwproc_rfork(%s): %d (%s)", \
	    #flags, rf_error_, strerror(rf_error_));			\
} while (0)

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

static bool
fd_open(int fd)
{
	struct stat st;

	return rump_sys_fstat(fd, &st) == 0;
}

/* ------------------------------------------------------------------ */

ATF_TC(init_twice);
ATF_TC_HEAD(init_twice, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "rump_init is idempotent (second call returns 0), boot time is "
	    "recorded, and the kernel still works");
}
ATF_TC_BODY(init_twice, tc)
{
	struct stat st;

	ATF_REQUIRE_EQ(0, rump_boot_usec());
	boot();
	ATF_REQUIRE(rump_boot_usec() > 0);
	ATF_REQUIRE_EQ(0, rump_init());
	ATF_REQUIRE_EQ(0, rump_init());
	RL(rump_sys_mkdir("/after", 0755));
	RL(rump_sys_stat("/after", &st));
	ATF_REQUIRE(S_ISDIR(st.st_mode));
}

ATF_TC(unbound_thread);
ATF_TC_HEAD(unbound_thread, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "a host thread with no lwp: rump_lwproc_curlwp() is NULL, system "
	    "calls run in proc1 (pid 1, per rump.h), as root");
}
ATF_TC_BODY(unbound_thread, tc)
{
	boot();
	ATF_REQUIRE(rump_lwproc_curlwp() == NULL);
	ATF_REQUIRE_EQ_MSG(1, rump_sys_getpid(), "unbound getpid %d",
	    rump_sys_getpid());
	ATF_REQUIRE(rump_lwproc_curlwp() == NULL);
	ATF_REQUIRE_EQ(0, rump_sys_getuid());
	ATF_REQUIRE_EQ(0, rump_sys_geteuid());
	ATF_REQUIRE_EQ(0, rump_sys_getgid());
	ATF_REQUIRE_EQ(0, rump_sys_getegid());
}

ATF_TC(rfork_pids);
ATF_TC_HEAD(rfork_pids, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "rfork makes a new process with a new pid bound to the caller; "
	    "getppid is the parent; grandchildren; bad flags EINVAL");
}
ATF_TC_BODY(rfork_pids, tc)
{
	struct lwp *l1, *l2;
	int p0, p1, p2, error;

	boot();
	p0 = rump_sys_getpid();
	RFORK(RUMP_RFFDG);
	l1 = rump_lwproc_curlwp();
	ATF_REQUIRE(l1 != NULL);
	p1 = rump_sys_getpid();
	ATF_REQUIRE(p1 > 0 && p1 != p0);
	ATF_REQUIRE_EQ(p0, rump_sys_getppid());

	RFORK(RUMP_RFFDG);
	l2 = rump_lwproc_curlwp();
	ATF_REQUIRE(l2 != NULL && l2 != l1);
	p2 = rump_sys_getpid();
	ATF_REQUIRE(p2 != p1 && p2 != p0);
	ATF_REQUIRE_EQ(p1, rump_sys_getppid());

	rump_lwproc_switch(l1);
	ATF_REQUIRE(rump_lwproc_curlwp() == l1);
	ATF_REQUIRE_EQ(p1, rump_sys_getpid());
	rump_lwproc_switch(l2);
	ATF_REQUIRE_EQ(p2, rump_sys_getpid());

	/* Both flags at once, or unknown flags, are refused and leave the
	 * binding alone. */
	error = rump_lwproc_rfork(RUMP_RFFDG | RUMP_RFCFDG);
	ATF_CHECK_EQ_MSG(EINVAL, error, "RFFDG|RFCFDG: %d", error);
	ATF_REQUIRE(rump_lwproc_curlwp() == l2);
	error = rump_lwproc_rfork(0x1);
	ATF_CHECK_EQ_MSG(EINVAL, error, "flags 0x1: %d", error);
	ATF_REQUIRE(rump_lwproc_curlwp() == l2);

	/* Many processes, all distinct. */
	{
		int pids[20];

		for (int i = 0; i < 20; i++) {
			rump_lwproc_switch(NULL);
			RFORK(RUMP_RFCFDG);
			pids[i] = rump_sys_getpid();
			for (int j = 0; j < i; j++)
				ATF_REQUIRE(pids[i] != pids[j]);
			ATF_REQUIRE(pids[i] != p0 && pids[i] != p1 &&
			    pids[i] != p2);
		}
	}
}

ATF_TC(rffdg_copies_table);
ATF_TC_HEAD(rffdg_copies_table, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "RUMP_RFFDG: the child sees the parent's open files (sharing "
	    "the open file, so the offset), the parent's close does not "
	    "affect the child, new descriptors are private");
}
ATF_TC_BODY(rffdg_copies_table, tc)
{
	struct lwp *parent, *child;
	char buf[16];
	int fd, cfd;

	boot();
	mkfile("/f", "0123456789");
	RFORK(RUMP_RFFDG);
	parent = rump_lwproc_curlwp();
	fd = (int)RL(rump_sys_open("/f", O_RDONLY));

	RFORK(RUMP_RFFDG);
	child = rump_lwproc_curlwp();
	ATF_REQUIRE(fd_open(fd));
	ATF_REQUIRE_EQ(3, rump_sys_read(fd, buf, 3));
	ATF_REQUIRE_EQ(0, memcmp(buf, "012", 3));

	rump_lwproc_switch(parent);
	/* Same open file: the offset moved for the parent too. */
	ATF_REQUIRE_EQ(3, rump_sys_lseek(fd, 0, SEEK_CUR));
	RL(rump_sys_close(fd));
	ATF_REQUIRE(!fd_open(fd));

	rump_lwproc_switch(child);
	ATF_REQUIRE(fd_open(fd));
	ATF_REQUIRE_EQ(3, rump_sys_read(fd, buf, 3));
	ATF_REQUIRE_EQ(0, memcmp(buf, "345", 3));
	cfd = (int)RL(rump_sys_open("/f", O_RDONLY));

	ATF_REQUIRE(cfd != fd);

	rump_lwproc_switch(parent);
	/* The parent's table did not get the child's new fd... */
	ATF_REQUIRE(!fd_open(cfd));
	/* ...and descriptor flags are copied too. */
	fd = (int)RL(rump_sys_open("/f", O_RDONLY | O_CLOEXEC));
	RFORK(RUMP_RFFDG);
	ATF_REQUIRE_EQ(FD_CLOEXEC, rump_sys_fcntl(fd, F_GETFD));
}

ATF_TC(rfcfdg_empty_table);
ATF_TC_HEAD(rfcfdg_empty_table, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "RUMP_RFCFDG: the child's table is empty (EBADF for the parent's "
	    "fds, first open is fd 0); the parent's table is untouched");
}
ATF_TC_BODY(rfcfdg_empty_table, tc)
{
	struct lwp *parent;
	int fd, fd2;

	boot();
	mkfile("/f", "x");
	RFORK(RUMP_RFFDG);
	parent = rump_lwproc_curlwp();
	fd = (int)RL(rump_sys_open("/f", O_RDONLY));
	fd2 = (int)RL(rump_sys_open("/f", O_RDONLY));
	RFORK(RUMP_RFCFDG);
	ERR(EBADF, rump_sys_close(fd));
	ERR(EBADF, rump_sys_close(fd2));
	{
		struct stat st;
		ERR(EBADF, rump_sys_fstat(fd, &st));
	}
	ATF_REQUIRE_EQ(0, rump_sys_open("/f", O_RDONLY));
	ATF_REQUIRE_EQ(1, rump_sys_open("/f", O_RDONLY));
	rump_lwproc_switch(parent);
	ATF_REQUIRE(fd_open(fd));
	ATF_REQUIRE(fd_open(fd2));
}

ATF_TC(rfork_shared_table);
ATF_TC_HEAD(rfork_shared_table, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "rfork(0) shares the table: a close in the child closes in the "
	    "parent, an open in the child appears in the parent");
}
ATF_TC_BODY(rfork_shared_table, tc)
{
	struct lwp *parent, *child;
	int fd, cfd, ppid;

	boot();
	mkfile("/f", "x");
	RFORK(RUMP_RFFDG);
	parent = rump_lwproc_curlwp();
	ppid = rump_sys_getpid();
	fd = (int)RL(rump_sys_open("/f", O_RDONLY));
	RFORK(0);
	child = rump_lwproc_curlwp();
	ATF_REQUIRE(rump_sys_getpid() != ppid);
	ATF_REQUIRE(fd_open(fd));
	RL(rump_sys_close(fd));
	rump_lwproc_switch(parent);
	ATF_REQUIRE_MSG(!fd_open(fd),
	    "close in a sharing child did not close in the parent");
	rump_lwproc_switch(child);
	cfd = (int)RL(rump_sys_open("/f", O_RDONLY));
	RL(rump_sys_fcntl(cfd, F_SETFD, FD_CLOEXEC));
	rump_lwproc_switch(parent);
	ATF_REQUIRE(fd_open(cfd));
	ATF_REQUIRE_EQ(FD_CLOEXEC, rump_sys_fcntl(cfd, F_GETFD));
	/* The table outlives the child. */
	rump_lwproc_switch(child);
	rump_lwproc_releaselwp();
	rump_lwproc_switch(parent);
	ATF_REQUIRE(fd_open(cfd));
}

ATF_TC(cwd_umask_per_process);
ATF_TC_HEAD(cwd_umask_per_process, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "cwd and umask are inherited by rfork and independent after");
}
ATF_TC_BODY(cwd_umask_per_process, tc)
{
	struct lwp *parent, *child;
	char buf[64];
	struct stat st;

	boot();
	RL(rump_sys_mkdir("/a", 0777));
	RL(rump_sys_mkdir("/b", 0777));
	RFORK(RUMP_RFFDG);
	parent = rump_lwproc_curlwp();
	RL(rump_sys_chdir("/a"));
	rump_sys_umask(022);

	RFORK(RUMP_RFFDG);
	child = rump_lwproc_curlwp();
	ATF_REQUIRE_EQ(3, rump_sys_getcwd(buf, sizeof(buf)));
	ATF_REQUIRE_STREQ("/a", buf);
	ATF_REQUIRE_EQ(022, rump_sys_umask(077));
	RL(rump_sys_chdir("/b"));
	mkfile("cf", "");
	RL(rump_sys_stat("/b/cf", &st));
	ATF_REQUIRE_EQ(0600, st.st_mode & 0777);

	rump_lwproc_switch(parent);
	ATF_REQUIRE_EQ(3, rump_sys_getcwd(buf, sizeof(buf)));
	ATF_REQUIRE_STREQ("/a", buf);
	ATF_REQUIRE_EQ(022, rump_sys_umask(022));
	mkfile("pf", "");
	RL(rump_sys_stat("/a/pf", &st));
	ATF_REQUIRE_EQ(0644, st.st_mode & 0777);

	rump_lwproc_switch(child);
	ATF_REQUIRE_EQ(3, rump_sys_getcwd(buf, sizeof(buf)));
	ATF_REQUIRE_STREQ("/b", buf);
	ATF_REQUIRE_EQ(077, rump_sys_umask(077));

	/* The unbound thread's process is unaffected. */
	rump_lwproc_switch(NULL);
	ATF_REQUIRE_EQ(2, rump_sys_getcwd(buf, sizeof(buf)));
	ATF_REQUIRE_STREQ("/", buf);
}

ATF_TC(newlwp_shares_process);
ATF_TC_HEAD(newlwp_shares_process, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "newlwp(pid) adds an lwp to an existing process: same pid, same "
	    "table, cwd; releasing it keeps the process; ESRCH for a bogus "
	    "pid");
}
ATF_TC_BODY(newlwp_shares_process, tc)
{
	struct lwp *l1, *l2;
	char buf[64];
	int pid, fd, fd2, error;

	boot();
	mkfile("/f", "x");
	RL(rump_sys_mkdir("/wd", 0755));
	RFORK(RUMP_RFFDG);
	l1 = rump_lwproc_curlwp();
	pid = rump_sys_getpid();
	fd = (int)RL(rump_sys_open("/f", O_RDONLY));
	RL(rump_sys_chdir("/wd"));

	rump_lwproc_switch(NULL);
	error = rump_lwproc_newlwp(pid);
	ATF_REQUIRE_EQ_MSG(0, error, "newlwp(%d): %d", pid, error);
	l2 = rump_lwproc_curlwp();
	ATF_REQUIRE(l2 != NULL && l2 != l1);
	ATF_REQUIRE_EQ(pid, rump_sys_getpid());
	ATF_REQUIRE(fd_open(fd));
	ATF_REQUIRE_EQ(4, rump_sys_getcwd(buf, sizeof(buf)));
	ATF_REQUIRE_STREQ("/wd", buf);
	fd2 = (int)RL(rump_sys_open("/f", O_RDONLY));

	rump_lwproc_switch(l1);
	ATF_REQUIRE(fd_open(fd2));
	RL(rump_sys_close(fd));
	rump_lwproc_switch(l2);
	ATF_REQUIRE(!fd_open(fd));
	rump_lwproc_releaselwp();
	ATF_REQUIRE(rump_lwproc_curlwp() == NULL);
	rump_lwproc_switch(l1);
	ATF_REQUIRE_EQ(pid, rump_sys_getpid());
	ATF_REQUIRE(fd_open(fd2));

	/* A pid that does not exist. */
	rump_lwproc_switch(NULL);
	error = rump_lwproc_newlwp(99999);
	ATF_REQUIRE_EQ_MSG(ESRCH, error, "newlwp(99999): %d", error);
	ATF_REQUIRE(rump_lwproc_curlwp() == NULL);
	error = rump_lwproc_newlwp(-5);
	ATF_REQUIRE_EQ_MSG(ESRCH, error, "newlwp(-5): %d", error);
}

ATF_TC(switch_between_processes);
ATF_TC_HEAD(switch_between_processes, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "one host thread switches between lwps of two processes many "
	    "times; each sees its own pid, table and cwd");
}
ATF_TC_BODY(switch_between_processes, tc)
{
	struct lwp *la, *lb;
	char buf[16];
	int pa, pb, fa, fb;

	boot();
	mkfile("/fa", "A");
	mkfile("/fb", "B");
	RL(rump_sys_mkdir("/da", 0755));
	RL(rump_sys_mkdir("/db", 0755));
	RFORK(RUMP_RFCFDG);
	la = rump_lwproc_curlwp();
	pa = rump_sys_getpid();
	fa = (int)RL(rump_sys_open("/fa", O_RDONLY));
	RL(rump_sys_chdir("/da"));
	rump_lwproc_switch(NULL);
	RFORK(RUMP_RFCFDG);
	lb = rump_lwproc_curlwp();
	pb = rump_sys_getpid();
	fb = (int)RL(rump_sys_open("/fb", O_RDONLY));
	(void)RL(rump_sys_open("/fb", O_RDONLY));	/* b has fd 1 too */
	RL(rump_sys_chdir("/db"));
	ATF_REQUIRE(pa != pb);
	ATF_REQUIRE_EQ(fa, fb);		/* both 0, in different tables */

	for (int i = 0; i < 200; i++) {
		bool a = (i % 2) == 0;

		rump_lwproc_switch(a ? la : lb);
		ATF_REQUIRE(rump_lwproc_curlwp() == (a ? la : lb));
		ATF_REQUIRE_EQ(a ? pa : pb, rump_sys_getpid());
		ATF_REQUIRE_EQ(1, rump_sys_pread64(fa, buf, 1, 0));
		ATF_REQUIRE_EQ(a ? 'A' : 'B', buf[0]);
		ATF_REQUIRE_EQ(a ? 0 : 1, fd_open(1) ? 1 : 0);
		ATF_REQUIRE_EQ(4, rump_sys_getcwd(buf, sizeof(buf)));
		ATF_REQUIRE_STREQ(a ? "/da" : "/db", buf);
	}
}

ATF_TC(release_closes_files);
ATF_TC_HEAD(release_closes_files, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "releasing the last lwp of a process closes its descriptors: a "
	    "pipe reader elsewhere then sees EOF");
}
ATF_TC_BODY(release_closes_files, tc)
{
	struct lwp *child, *reader;
	char buf[8];
	int p[2];

	boot();
	RFORK(RUMP_RFFDG);
	reader = rump_lwproc_curlwp();
	RL(rump_sys_pipe2(p, O_NONBLOCK));
	RFORK(RUMP_RFFDG);
	child = rump_lwproc_curlwp();
	ATF_REQUIRE_EQ(2, rump_sys_write(p[1], "hi", 2));

	rump_lwproc_switch(reader);
	RL(rump_sys_close(p[1]));
	ATF_REQUIRE_EQ(2, rump_sys_read(p[0], buf, sizeof(buf)));
	/* The child still holds a writer: no EOF yet. */
	ERR(EAGAIN, rump_sys_read(p[0], buf, sizeof(buf)));

	rump_lwproc_switch(child);
	rump_lwproc_releaselwp();
	ATF_REQUIRE(rump_lwproc_curlwp() == NULL);

	rump_lwproc_switch(reader);
	ATF_REQUIRE_EQ_MSG(0, rump_sys_read(p[0], buf, sizeof(buf)),
	    "the released process's writer was not closed");
}

ATF_TC(curlwp_binding);
ATF_TC_HEAD(curlwp_binding, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "rump_lwproc_curlwp: NULL when unbound, per host thread: another "
	    "thread stays unbound while this one is bound");
}

static void *
other_thread(void *arg)
{
	int *out = arg;

	out[0] = rump_lwproc_curlwp() == NULL;
	out[1] = rump_sys_getpid();
	return NULL;
}

ATF_TC_BODY(curlwp_binding, tc)
{
	struct lwp *l;
	int out[2], p0, p1;

	boot();
	ATF_REQUIRE(rump_lwproc_curlwp() == NULL);
	p0 = rump_sys_getpid();
	RFORK(RUMP_RFFDG);
	l = rump_lwproc_curlwp();
	ATF_REQUIRE(l != NULL);
	p1 = rump_sys_getpid();
	rt_thread_join(rt_thread_start(other_thread, out, "other"));
	ATF_REQUIRE_MSG(out[0], "a new host thread is bound");
	ATF_REQUIRE_EQ(p0, out[1]);
	ATF_REQUIRE(rump_lwproc_curlwp() == l);
	ATF_REQUIRE_EQ(p1, rump_sys_getpid());
	rump_lwproc_switch(NULL);
	ATF_REQUIRE(rump_lwproc_curlwp() == NULL);
	ATF_REQUIRE_EQ(p0, rump_sys_getpid());
	rump_lwproc_switch(l);
	ATF_REQUIRE_EQ(p1, rump_sys_getpid());
	rump_lwproc_releaselwp();
	ATF_REQUIRE(rump_lwproc_curlwp() == NULL);
}

ATF_TC(ids_and_groups);
ATF_TC_HEAD(ids_and_groups, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "getuid/geteuid/getgid/getegid, setgid/setuid as root set real "
	    "and effective ids, setgroups/getgroups round trip, EINVAL for "
	    "bad sizes, EPERM for non-root");
}
ATF_TC_BODY(ids_and_groups, tc)
{
	uint32_t set[3] = { 5, 6, 700 }, got[32];
	int n;

	boot();
	RL(rump_sys_mkdir("/open", 0777));
	RL(rump_sys_chmod("/open", 0777));
	RFORK(RUMP_RFFDG);
	ATF_REQUIRE_EQ(0, rump_sys_getuid());
	ATF_REQUIRE_EQ(0, rump_sys_geteuid());
	ATF_REQUIRE_EQ(0, rump_sys_getgid());
	ATF_REQUIRE_EQ(0, rump_sys_getegid());

	RL(rump_sys_setgroups(3, set));
	ATF_REQUIRE_EQ(3, rump_sys_getgroups(0, NULL));
	memset(got, 0xff, sizeof(got));
	n = (int)RL(rump_sys_getgroups(32, got));
	ATF_REQUIRE_EQ(3, n);
	ATF_REQUIRE(got[0] == 5 && got[1] == 6 && got[2] == 700);
	ERR(EINVAL, rump_sys_getgroups(2, got));
	ERR(EINVAL, rump_sys_getgroups(-1, got));
	ERR(EINVAL, rump_sys_setgroups(100000, set));
	RL(rump_sys_setgroups(0, NULL));
	ATF_REQUIRE_EQ(0, rump_sys_getgroups(0, NULL));

	RL(rump_sys_setgid(1234));
	ATF_REQUIRE_EQ(1234, rump_sys_getgid());
	ATF_REQUIRE_EQ(1234, rump_sys_getegid());
	ATF_REQUIRE_EQ(0, rump_sys_getuid());
	RL(rump_sys_setuid(4321));
	ATF_REQUIRE_EQ(4321, rump_sys_getuid());
	ATF_REQUIRE_EQ(4321, rump_sys_geteuid());
	ATF_REQUIRE_EQ(1234, rump_sys_getgid());

	ERR(EPERM, rump_sys_setuid(0));
	ERR(EPERM, rump_sys_setgid(0));
	ERR(EPERM, rump_sys_setgroups(1, set));
	RL(rump_sys_setuid(4321));
	RL(rump_sys_setgid(1234));
	ATF_REQUIRE_EQ(0, rump_sys_getgroups(0, NULL));
	/* Files created carry the new ids. */
	RL(rump_sys_mkdir("/open/x", 0755));
	{
		struct stat st;
		RL(rump_sys_stat("/open/x", &st));
		ATF_REQUIRE_EQ(4321, st.st_uid);
		ATF_REQUIRE_EQ(1234, st.st_gid);
	}
	/* The parent (init) is still root. */
	rump_lwproc_switch(NULL);
	ATF_REQUIRE_EQ(0, rump_sys_geteuid());
	ATF_REQUIRE_EQ(0, rump_sys_getegid());
}

/* A call through rump_syscall(): 0 or the Linux errno. */
static int
sys3(long nr, long a0, long a1, long a2)
{
	long args[6] = { a0, a1, a2, 0, 0, 0 }, rv[2];

	return rump_syscall((int)nr, args, rv);
}

/* The real, effective and saved ids, as "r e s". */
static void
check_res(long nr, uint32_t r, uint32_t e, uint32_t s)
{
	uint32_t v[3] = { 99, 99, 99 };

	ATF_REQUIRE_EQ(0, sys3(nr, (long)&v[0], (long)&v[1], (long)&v[2]));
	ATF_CHECK_MSG(v[0] == r && v[1] == e && v[2] == s,
	    "%s: %u %u %u, want %u %u %u", nr == SYS_getresuid ? "uids" :
	    "gids", v[0], v[1], v[2], r, e, s);
}

ATF_TC(res_ids);
ATF_TC_HEAD(res_ids, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "getresuid/getresgid, setresuid/setresgid and setreuid/setregid "
	    "with Linux's rules (the same sequence gives the same ids on the "
	    "host): -1 unchanged, root sets any id, others only their own, "
	    "setre*id moves the saved id; EFAULT for a bad pointer");
}
ATF_TC_BODY(res_ids, tc)
{

	boot();
	RFORK(RUMP_RFFDG);
	check_res(SYS_getresuid, 0, 0, 0);
	ATF_CHECK_EQ(0, sys3(SYS_setresgid, 10, 20, 30));
	check_res(SYS_getresgid, 10, 20, 30);
	ATF_CHECK_EQ(0, sys3(SYS_setregid, -1, 40, 0));
	check_res(SYS_getresgid, 10, 40, 40);
	ATF_CHECK_EQ(0, sys3(SYS_setresuid, 1, 2, 3));
	check_res(SYS_getresuid, 1, 2, 3);
	ATF_CHECK_EQ(2, rump_sys_geteuid());
	/* No longer root: only its own ids. */
	ATF_CHECK_EQ(0, sys3(SYS_setresuid, -1, 3, -1));
	check_res(SYS_getresuid, 1, 3, 3);
	ATF_CHECK_EQ(EPERM, sys3(SYS_setresuid, -1, 5, -1));
	check_res(SYS_getresuid, 1, 3, 3);
	ATF_CHECK_EQ(0, sys3(SYS_setreuid, 3, -1, 0));
	check_res(SYS_getresuid, 3, 3, 3);
	ATF_CHECK_EQ(EPERM, sys3(SYS_setreuid, -1, 1, 0));
	ATF_CHECK_EQ(0, sys3(SYS_setresgid, -1, -1, 10));
	check_res(SYS_getresgid, 10, 40, 10);
	ATF_CHECK_EQ(EPERM, sys3(SYS_setresgid, 0, -1, -1));
	ATF_CHECK_EQ(EFAULT, sys3(SYS_getresuid, 0, 0, 0));
}

ATF_TC(numeric_syscall_entry);
ATF_TC_HEAD(numeric_syscall_entry, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "rump_syscall: getpid (39) in retval[0]; errors are returned "
	    "directly (close(-1) -> 9, unknown numbers -> ENOSYS 38); "
	    "open/write/read/close through the numeric entry");
}
ATF_TC_BODY(numeric_syscall_entry, tc)
{
	long args[6], rv[2];
	char buf[16];
	int error, fd;

	boot();
	memset(args, 0, sizeof(args));
	rv[0] = rv[1] = -12345;
	error = rump_syscall(39, args, rv);
	ATF_REQUIRE_EQ(0, error);
	ATF_REQUIRE_EQ(rump_sys_getpid(), rv[0]);
	RFORK(RUMP_RFFDG);
	error = rump_syscall(39, args, rv);
	ATF_REQUIRE_EQ(0, error);
	ATF_REQUIRE_EQ(rump_sys_getpid(), rv[0]);
	error = rump_syscall(110, args, rv);	/* getppid */
	ATF_REQUIRE_EQ(0, error);
	ATF_REQUIRE_EQ(rump_sys_getppid(), rv[0]);

	args[0] = -1;
	error = rump_syscall(3, args, rv);	/* close(-1) */
	ATF_REQUIRE_EQ_MSG(9, error, "close(-1): %d", error);

	memset(args, 0, sizeof(args));
	ATF_REQUIRE_EQ_MSG(38, rump_syscall(500, args, rv),
	    "unimplemented number 500");
	ATF_REQUIRE_EQ_MSG(38, rump_syscall(511, args, rv),
	    "unimplemented number 511");
	ATF_REQUIRE_EQ_MSG(38, rump_syscall(4096, args, rv),
	    "out of range number 4096");
	ATF_REQUIRE_EQ_MSG(38, rump_syscall(100000, args, rv),
	    "out of range number 100000");
	ATF_REQUIRE_EQ_MSG(38, rump_syscall(-1, args, rv),
	    "negative number -1");

	/* open(2) "/num" O_RDWR|O_CREAT 0644, write(1), pread64(17),
	 * close(3). */
	args[0] = (long)(uintptr_t)"/num";
	args[1] = O_RDWR | O_CREAT;
	args[2] = 0644;
	ATF_REQUIRE_EQ(0, rump_syscall(2, args, rv));
	fd = (int)rv[0];
	ATF_REQUIRE(fd >= 0);
	args[0] = fd;
	args[1] = (long)(uintptr_t)"numeric";
	args[2] = 7;
	ATF_REQUIRE_EQ(0, rump_syscall(1, args, rv));
	ATF_REQUIRE_EQ(7, rv[0]);
	args[1] = (long)(uintptr_t)buf;
	args[2] = sizeof(buf);
	args[3] = 0;
	ATF_REQUIRE_EQ(0, rump_syscall(17, args, rv));
	ATF_REQUIRE_EQ(7, rv[0]);
	ATF_REQUIRE_EQ(0, memcmp(buf, "numeric", 7));
	ATF_REQUIRE_EQ(0, rump_syscall(3, args, rv));
	/* Errors from the numeric entry are Linux errno values. */
	args[0] = (long)(uintptr_t)"/nonexistent";
	args[1] = O_RDONLY;
	ATF_REQUIRE_EQ(2, rump_syscall(2, args, rv));	/* ENOENT */
	args[0] = (long)(uintptr_t)"/num/x";
	ATF_REQUIRE_EQ(20, rump_syscall(2, args, rv));	/* ENOTDIR */
	args[0] = (long)(uintptr_t)"/";
	args[1] = O_WRONLY;
	ATF_REQUIRE_EQ(21, rump_syscall(2, args, rv));	/* EISDIR */
	/* A typed call sets the host errno instead. */
	ERR(ENOENT, rump_sys_open("/nonexistent", O_RDONLY));
}

ATF_TC(errno_numbering);
ATF_TC_HEAD(errno_numbering, tc)
{
	atf_tc_set_md_var(tc, "descr", "h_rumptest.h's rt_errno() gives "
	    "errno after a failing rump_sys_*() call as the kernel's (Linux) "
	    "number whichever numbering the platform stores (its probe "
	    "agrees with what the call left; rt_seterrno() leaves the same), "
	    "and every kernel error NetBSD also has comes back unchanged "
	    "from NetBSD's numbering");
}
ATF_TC_BODY(errno_numbering, tc)
{
	int e, nb;

	boot();
	RL(rump_sys_mkdir("/d", 0755));
	RL(rump_sys_mkdir("/d/e", 0755));
	ATF_REQUIRE_EQ(-1, rump_sys_rmdir("/d"));
	e = errno;
	/* ENOTEMPTY: 39 in Linux's numbering, 66 in NetBSD's. */
	ATF_REQUIRE_EQ_MSG(rt_errno_netbsd() ? 66 : ENOTEMPTY, e,
	    "rmdir of a full directory left errno %d (probe: %s numbering)",
	    e, rt_errno_netbsd() ? "NetBSD's" : "the host's");
	ATF_REQUIRE_EQ(ENOTEMPTY, rt_errno());
	errno = 0;
	rt_seterrno(ENOTEMPTY);
	ATF_REQUIRE_EQ(e, errno);
	/* Linux errors without a NetBSD equivalent reach a NetBSD-numbered
	 * errno as EIO (5); all others must convert back. */
	for (e = 1; e <= 133; e++) {
		nb = rumpns_hyp_errno_to_netbsd(e);
		if (nb == 5 && e != EIO)
			continue;
		ATF_CHECK_EQ_MSG(e, rumpns_hyp_errno(nb),
		    "Linux errno %d -> NetBSD %d -> Linux %d", e, nb,
		    rumpns_hyp_errno(nb));
	}
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, init_twice);
	ATF_TP_ADD_TC(tp, unbound_thread);
	ATF_TP_ADD_TC(tp, rfork_pids);
	ATF_TP_ADD_TC(tp, rffdg_copies_table);
	ATF_TP_ADD_TC(tp, rfcfdg_empty_table);
	ATF_TP_ADD_TC(tp, rfork_shared_table);
	ATF_TP_ADD_TC(tp, cwd_umask_per_process);
	ATF_TP_ADD_TC(tp, newlwp_shares_process);
	ATF_TP_ADD_TC(tp, switch_between_processes);
	ATF_TP_ADD_TC(tp, release_closes_files);
	ATF_TP_ADD_TC(tp, curlwp_binding);
	ATF_TP_ADD_TC(tp, ids_and_groups);
	ATF_TP_ADD_TC(tp, res_ids);
	ATF_TP_ADD_TC(tp, numeric_syscall_entry);
	ATF_TP_ADD_TC(tp, errno_numbering);
	return atf_no_error();
}
