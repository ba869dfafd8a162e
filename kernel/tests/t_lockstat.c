/*
 * t_lockstat.c: the kernel's lock contention counters (kern/lock.h),
 * which bench_scale --lockstat reads: off unless the kernel is booted
 * with RUMP_LOCKSTAT=1; then the lock classes of the VFS, tmpfs and the
 * scheduler count what file system calls take, a class counts waits,
 * and lockstat_reset() zeroes everything.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/types.h>

#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <atf-c.h>

#include <rump/rump.h>
#include <rump/rump_syscalls.h>

#include "h_rumptest.h"

/* Kernel internals (kern/lock.h); the layout of struct lockstat. */
struct lockstat {
	const char	*ls_name;
	uint64_t	 ls_acquired;
	uint64_t	 ls_contended;
	struct lockstat	*ls_next;
	int		 ls_listed;
};
size_t	rumpns_lockstat_format(char *buf, size_t len);
void	rumpns_lockstat_reset(void);
void	rumpns_lockstat_count(struct lockstat *ls, bool contended);

static char out[8192];

/* The counts of class name in the last format; false if not listed. */
static bool
counts(const char *name, unsigned long long *acq, unsigned long long *con)
{
	char *line, *copy = strdup(out), *save = NULL;
	bool found = false;

	ATF_REQUIRE(copy != NULL);
	for (line = strtok_r(copy, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		char *sp2 = strrchr(line, ' '), *sp1;

		ATF_REQUIRE_MSG(sp2 != NULL, "bad line '%s'", line);
		*sp2 = '\0';
		sp1 = strrchr(line, ' ');
		ATF_REQUIRE_MSG(sp1 != NULL, "bad line '%s'", line);
		*sp1 = '\0';
		if (strcmp(line, name) == 0) {
			*acq = strtoull(sp1 + 1, NULL, 10);
			*con = strtoull(sp2 + 1, NULL, 10);
			found = true;
		}
	}
	free(copy);
	return found;
}

/* Creates, writes, reads and removes a few files on a tmpfs. */
static void
file_work(void)
{
	char path[64], buf[4096];
	int fd, i;

	memset(buf, 'x', sizeof(buf));
	RL(rump_sys_mkdir("/t", 0755));
	RL(rump_sys_mount("tmpfs", "/t", "tmpfs", 0, NULL));
	for (i = 0; i < 10; i++) {
		snprintf(path, sizeof(path), "/t/f%d", i);
		RL(fd = rump_sys_open(path, O_RDWR | O_CREAT, 0644));
		ATF_REQUIRE_EQ(rump_sys_write(fd, buf, sizeof(buf)),
		    (ssize_t)sizeof(buf));
		ATF_REQUIRE_EQ(rump_sys_pread64(fd, buf, sizeof(buf), 0),
		    (ssize_t)sizeof(buf));
		RL(rump_sys_close(fd));
		RL(rump_sys_unlink(path));
	}
}

ATF_TC(off_by_default);
ATF_TC_HEAD(off_by_default, tc)
{
	atf_tc_set_md_var(tc, "descr", "Without RUMP_LOCKSTAT nothing is "
	    "counted: file system work lists no lock class");
}
ATF_TC_BODY(off_by_default, tc)
{

	unsetenv("RUMP_LOCKSTAT");
	ATF_REQUIRE_EQ(rump_init(), 0);
	file_work();
	rump_schedule();
	rumpns_lockstat_format(out, sizeof(out));
	rump_unschedule();
	ATF_CHECK_STREQ(out, "");
}

ATF_TC(counts_locks);
ATF_TC_HEAD(counts_locks, tc)
{
	atf_tc_set_md_var(tc, "descr", "RUMP_LOCKSTAT=1: file work on a "
	    "tmpfs counts acquisitions of vnode locks, vnode cache stripes, "
	    "the descriptor table and the virtual CPUs (no more waits than "
	    "acquisitions), and none of tmpfs's tm_lock, which files do not "
	    "take; lockstat_reset zeroes them");
}
ATF_TC_BODY(counts_locks, tc)
{
	static const char *const classes[] = { "vnode", "vcache stripe",
	    "descriptor table", "virtual CPU" };
	unsigned long long acq, con;
	size_t i;

	setenv("RUMP_LOCKSTAT", "1", 1);
	ATF_REQUIRE_EQ(rump_init(), 0);
	file_work();
	rump_schedule();
	rumpns_lockstat_format(out, sizeof(out));
	rump_unschedule();
	printf("%s", out);
	for (i = 0; i < sizeof(classes) / sizeof(classes[0]); i++) {
		ATF_REQUIRE_MSG(counts(classes[i], &acq, &con),
		    "class '%s' not listed", classes[i]);
		/* At least one per file (the descriptor table: its open
		 * only). */
		ATF_CHECK_MSG(acq >= 10, "%s: %llu acquisitions", classes[i],
		    acq);
		ATF_CHECK_MSG(con <= acq, "%s: %llu waits of %llu",
		    classes[i], con, acq);
	}
	/* Files of one tmpfs share no lock (fs/tmpfs/tmpfs.h): tm_lock
	 * only orders remounts and statfs. */
	if (counts("tmpfs tm_lock", &acq, &con))
		ATF_CHECK_MSG(acq == 0, "tmpfs tm_lock: %llu acquisitions",
		    acq);
	rump_schedule();
	rumpns_lockstat_reset();
	rumpns_lockstat_format(out, sizeof(out));
	rump_unschedule();
	ATF_REQUIRE(counts("vnode", &acq, &con));
	ATF_CHECK_EQ(acq, 0);
	ATF_CHECK_EQ(con, 0);
}

ATF_TC(counts_waits);
ATF_TC_HEAD(counts_waits, tc)
{
	atf_tc_set_md_var(tc, "descr", "RUMP_LOCKSTAT=1: a class of its own "
	    "is listed once used, with its acquisitions and waits");
}
ATF_TC_BODY(counts_waits, tc)
{
	static struct lockstat ls = { .ls_name = "t_lockstat class" };
	unsigned long long acq, con;
	int i;

	setenv("RUMP_LOCKSTAT", "1", 1);
	ATF_REQUIRE_EQ(rump_init(), 0);
	rump_schedule();
	for (i = 0; i < 5; i++)
		rumpns_lockstat_count(&ls, i % 2 == 0);
	rumpns_lockstat_format(out, sizeof(out));
	rump_unschedule();
	ATF_REQUIRE_MSG(counts("t_lockstat class", &acq, &con), "%s", out);
	ATF_CHECK_EQ(acq, 5);
	ATF_CHECK_EQ(con, 3);
}

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, off_by_default);
	ATF_TP_ADD_TC(tp, counts_locks);
	ATF_TP_ADD_TC(tp, counts_waits);
	return atf_no_error();
}
