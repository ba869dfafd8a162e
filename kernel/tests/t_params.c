/*
 * t_params.c: kernel parameters seen through system calls: RUMP_NCPU
 * (sched_getaffinity), RUMP_VERBOSE (the boot banner), the host name
 * (uname, sethostname); and getrandom.
 *
 * Only what rumpuser(3) v17 guarantees is assumed of the platform (the
 * RUMP_NCPU and RUMP_VERBOSE parameters); the defaults and the host name
 * parameter of strata's own platforms are checked beside them, in
 * platform/common/tests/t_params_platform.c.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <atf-c.h>

#include <rump/rump.h>
#include <rump/rump_syscalls.h>

#include "h_child.h"
#include "h_rumptest.h"

#define GRND_NONBLOCK	0x0001
#define GRND_RANDOM	0x0002
#define GRND_INSECURE	0x0004

/* ------------------------------------------------------------------ */

/* Child bodies: exit codes >= 200 are failures of their own. */
static int
body_boot(void)
{

	return rump_init() == 0 ? 0 : 200;
}

ATF_TC(ncpu_affinity);
ATF_TC_HEAD(ncpu_affinity, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "RUMP_NCPU=3: sched_getaffinity returns 8 (bytes) and a mask of "
	    "CPUs 0-2, leaving the rest of a bigger buffer alone; for the "
	    "caller's pid too; EINVAL for lengths not a multiple of 8 or 0, "
	    "ESRCH for a pid that does not exist");
	atf_tc_set_md_var(tc, "timeout", "30");
}
ATF_TC_BODY(ncpu_affinity, tc)
{
	uint64_t mask[4];
	long args[6], rv[2];

	setenv("RUMP_NCPU", "3", 1);
	boot();
	memset(mask, 0xff, sizeof(mask));
	ATF_REQUIRE_EQ(8, RL(rump_sys_sched_getaffinity(0, sizeof(mask),
	    mask)));
	ATF_REQUIRE_EQ_MSG(0x7, mask[0], "mask %#llx",
	    (unsigned long long)mask[0]);
	ATF_REQUIRE(mask[1] == ~0ULL && mask[3] == ~0ULL);
	mask[0] = 0;
	ATF_REQUIRE_EQ(8, RL(rump_sys_sched_getaffinity(rump_sys_getpid(),
	    8, mask)));
	ATF_REQUIRE_EQ(0x7, mask[0]);
	ERR(EINVAL, rump_sys_sched_getaffinity(0, 4, mask));
	ERR(EINVAL, rump_sys_sched_getaffinity(0, 12, mask));
	ERR(EINVAL, rump_sys_sched_getaffinity(0, 0, mask));
	ERR(ESRCH, rump_sys_sched_getaffinity(99999, 8, mask));
	ERR(ESRCH, rump_sys_sched_getaffinity(-3, 8, mask));
	ERR(EFAULT, rump_sys_sched_getaffinity(0, 8, NULL));
	/* Through the numeric entry (204). */
	memset(args, 0, sizeof(args));
	args[1] = 8;
	args[2] = (long)mask;
	mask[0] = 0;
	ATF_REQUIRE_EQ(0, rump_syscall(204, args, rv));
	ATF_REQUIRE_EQ(8, rv[0]);
	ATF_REQUIRE_EQ(0x7, mask[0]);
}

/* ------------------------------------------------------------------ */

ATF_TC(verbose_banner);
ATF_TC_HEAD(verbose_banner, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "RUMP_VERBOSE=1: rump_init prints its boot banner, naming the "
	    "CPUs; unset, empty or 0: the boot prints nothing");
	atf_tc_set_md_var(tc, "timeout", "60");
}
ATF_TC_BODY(verbose_banner, tc)
{
	static const char *const quiet[] = { "RUMP_VERBOSE", "RUMP_VERBOSE=0",
	    "RUMP_VERBOSE=" };
	const char *loud[] = { "RUMP_VERBOSE=1", "RUMP_NCPU=3", NULL };
	struct child c;

	run_child(loud, body_boot, &c);
	ATF_REQUIRE_EQ_MSG(0, c.status, "boot failed: %d, %s", c.status,
	    c.out);
	printf("RUMP_VERBOSE=1 output:\n%s", c.out);
	ATF_CHECK_MSG(strstr(c.out, "strata rump kernel: 3 virtual CPUs")
	    != NULL, "no banner with 3 CPUs in: %s", c.out);
	ATF_CHECK_MSG(strstr(c.out, "booted in ") != NULL,
	    "no boot time in: %s", c.out);

	for (size_t i = 0; i < sizeof(quiet) / sizeof(quiet[0]); i++) {
		const char *env[] = { quiet[i], "RUMP_NCPU=3", NULL };

		run_child(env, body_boot, &c);
		ATF_CHECK_EQ_MSG(0, c.status, "%s: boot failed: %d", quiet[i],
		    c.status);
		ATF_CHECK_MSG(c.outlen == 0, "%s: the boot printed: %s",
		    quiet[i], c.out);
	}
}

/* ------------------------------------------------------------------ */

static void
check_fixed_uts(const struct utsname *u)
{
	struct utsname host;

	ATF_REQUIRE(uname(&host) == 0);
	ATF_CHECK_STREQ("Linux", u->sysname);
	ATF_CHECK_STREQ("6.1.0-strata", u->release);
	ATF_CHECK_STREQ("#1 strata rump kernel", u->version);
	/* The target's; tests run on the machine they are built for. */
	ATF_CHECK_STREQ(host.machine, u->machine);
	ATF_CHECK_STREQ("(none)", u->domainname);
}

ATF_TC(uname_fields);
ATF_TC_HEAD(uname_fields, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "uname: sysname Linux, release 6.1.0-strata, version, machine "
	    "of the target, domainname (none); EFAULT for NULL; struct "
	    "utsname is 6 x 65 bytes");
	atf_tc_set_md_var(tc, "timeout", "30");
}
ATF_TC_BODY(uname_fields, tc)
{
	struct utsname u;
	long args[6], rv[2];

	ATF_REQUIRE_EQ(6 * 65, sizeof(struct utsname));
	boot();
	memset(&u, 0xa5, sizeof(u));
	RL(rump_sys_uname(&u));
	check_fixed_uts(&u);
	ERR(EFAULT, rump_sys_uname(NULL));
	memset(args, 0, sizeof(args));
	args[0] = (long)&u;
	memset(&u, 0, sizeof(u));
	ATF_REQUIRE_EQ(0, rump_syscall(63, args, rv));
	ATF_CHECK_STREQ("Linux", u.sysname);
}

/* 64 characters: the longest name Linux allows. */
#define NAME64 \
	"h123456789012345678901234567890123456789012345678901234567890123"

ATF_TC(sethostname);
ATF_TC_HEAD(sethostname, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "sethostname as root changes uname's nodename for every process "
	    "of the kernel; exactly len bytes are taken (0 to 64); EINVAL "
	    "for len 65 or more (checked before privilege), EPERM for "
	    "non-root, EFAULT for a NULL name");
	atf_tc_set_md_var(tc, "timeout", "30");
}
ATF_TC_BODY(sethostname, tc)
{
	struct utsname u;
	struct lwp *root;
	char big[100];

	boot();
	RL(rump_sys_sethostname("bar", 3));
	RL(rump_sys_uname(&u));
	ATF_CHECK_STREQ("bar", u.nodename);

	/* len bytes only, NUL or not. */
	RL(rump_sys_sethostname("abcdef", 3));
	RL(rump_sys_uname(&u));
	ATF_CHECK_STREQ("abc", u.nodename);
	RL(rump_sys_sethostname(NAME64, 64));
	RL(rump_sys_uname(&u));
	ATF_CHECK_STREQ(NAME64, u.nodename);
	RL(rump_sys_sethostname("x", 0));
	RL(rump_sys_uname(&u));
	ATF_CHECK_STREQ("", u.nodename);

	memset(big, 'y', sizeof(big));
	ERR(EINVAL, rump_sys_sethostname(big, 65));
	ERR(EINVAL, rump_sys_sethostname(big, sizeof(big)));
	ERR(EINVAL, rump_sys_sethostname(big, (size_t)-1));
	ERR(EFAULT, rump_sys_sethostname(NULL, 3));
	RL(rump_sys_uname(&u));
	ATF_CHECK_STREQ("", u.nodename);

	/* One name per kernel: another process sees it. */
	RL(rump_sys_sethostname("shared", 6));
	ATF_REQUIRE_EQ(0, rump_lwproc_rfork(RUMP_RFCFDG));
	root = rump_lwproc_curlwp();
	RL(rump_sys_uname(&u));
	ATF_CHECK_STREQ("shared", u.nodename);

	/* Non-root. */
	ATF_REQUIRE_EQ(0, rump_lwproc_rfork(RUMP_RFCFDG));
	RL(rump_sys_setuid(1000));
	ERR(EPERM, rump_sys_sethostname("evil", 4));
	ERR(EINVAL, rump_sys_sethostname(big, 65));
	RL(rump_sys_uname(&u));
	ATF_CHECK_STREQ("shared", u.nodename);
	rump_lwproc_releaselwp();

	rump_lwproc_switch(root);
	RL(rump_sys_sethostname("again", 5));
	rump_lwproc_switch(NULL);
	RL(rump_sys_uname(&u));
	ATF_CHECK_STREQ("again", u.nodename);
}

/* ------------------------------------------------------------------ */

static bool
all_zero(const unsigned char *p, size_t len)
{

	for (size_t i = 0; i < len; i++)
		if (p[i] != 0)
			return false;
	return true;
}

ATF_TC(getrandom);
ATF_TC_HEAD(getrandom, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "getrandom fills buffers with differing contents and returns "
	    "the length, with flags 0, GRND_NONBLOCK, GRND_RANDOM, "
	    "GRND_INSECURE and combinations; 1 MiB in one call, every KiB "
	    "filled; 0 bytes returns 0; EINVAL for unknown flags and for "
	    "GRND_RANDOM|GRND_INSECURE; EFAULT for NULL");
	atf_tc_set_md_var(tc, "timeout", "30");
}
ATF_TC_BODY(getrandom, tc)
{
	static const unsigned int good[] = { 0, GRND_NONBLOCK, GRND_RANDOM,
	    GRND_INSECURE, GRND_NONBLOCK | GRND_RANDOM,
	    GRND_NONBLOCK | GRND_INSECURE };
	static const unsigned int bad[] = { GRND_RANDOM | GRND_INSECURE,
	    GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE, 0x8, 0x10,
	    0x80000000u };
	unsigned char a[64], b[64], *big;
	const size_t bigsize = 1 << 20;
	long args[6], rv[2];

	boot();
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		memset(a, 0, sizeof(a));
		memset(b, 0, sizeof(b));
		ATF_REQUIRE_EQ((ssize_t)sizeof(a),
		    RL(rump_sys_getrandom(a, sizeof(a), good[i])));
		ATF_REQUIRE_EQ((ssize_t)sizeof(b),
		    RL(rump_sys_getrandom(b, sizeof(b), good[i])));
		ATF_CHECK_MSG(!all_zero(a, sizeof(a)),
		    "flags %#x: nothing written", good[i]);
		ATF_CHECK_MSG(memcmp(a, b, sizeof(a)) != 0,
		    "flags %#x: the same bytes twice", good[i]);
	}
	/* Odd sizes: exactly len bytes are written. */
	memset(a, 0, sizeof(a));
	ATF_REQUIRE_EQ(5, RL(rump_sys_getrandom(a + 1, 5, 0)));
	ATF_CHECK(a[0] == 0 && all_zero(a + 6, sizeof(a) - 6));
	ATF_CHECK(!all_zero(a + 1, 5));

	big = calloc(1, bigsize);
	ATF_REQUIRE(big != NULL);
	ATF_REQUIRE_EQ((ssize_t)bigsize, RL(rump_sys_getrandom(big, bigsize,
	    0)));
	for (size_t off = 0; off < bigsize; off += 1024)
		ATF_REQUIRE_MSG(!all_zero(big + off, 1024),
		    "KiB at %zu not filled", off);
	free(big);

	ATF_REQUIRE_EQ(0, RL(rump_sys_getrandom(a, 0, 0)));
	ATF_REQUIRE_EQ(0, RL(rump_sys_getrandom(NULL, 0, 0)));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ERR(EINVAL, rump_sys_getrandom(a, sizeof(a), bad[i]));
	ERR(EFAULT, rump_sys_getrandom(NULL, 16, 0));

	/* Through the numeric entry (318). */
	memset(args, 0, sizeof(args));
	memset(a, 0, sizeof(a));
	args[0] = (long)a;
	args[1] = sizeof(a);
	ATF_REQUIRE_EQ(0, rump_syscall(318, args, rv));
	ATF_REQUIRE_EQ((long)sizeof(a), rv[0]);
	ATF_CHECK(!all_zero(a, sizeof(a)));
	args[2] = 0x40;
	ATF_REQUIRE_EQ(EINVAL, rump_syscall(318, args, rv));
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, ncpu_affinity);
	ATF_TP_ADD_TC(tp, verbose_banner);
	ATF_TP_ADD_TC(tp, uname_fields);
	ATF_TP_ADD_TC(tp, sethostname);
	ATF_TP_ADD_TC(tp, getrandom);
	return atf_no_error();
}
