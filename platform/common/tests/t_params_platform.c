/*
 * t_params_platform.c: the parameters strata's platforms give a kernel
 * beyond what rumpuser(3) v17 says: the default number of virtual CPUs
 * (posix: the host's online CPUs, fiber: 1, platform/fiber/README), the
 * host name parameter RUMP_HOSTNAME and its default rump-<pid>, seen
 * through the real kernel's system calls.  (Other rumpuser
 * implementations differ here: NetBSD's names the host rump-<pid>.<host>.)
 * T_PLATFORM (t_params_platform.mk) says which platform this is.
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

#ifndef T_PLATFORM
#error "T_PLATFORM (the platform linked) must be defined: see t_params_platform.mk"
#endif

/* The kernel clamps RUMP_NCPU to 1..64 (MAXCPUS). */
#define MAXCPUS		64

/* Child bodies: exit codes >= 200 are failures of their own. */
static int
body_boot(void)
{

	return rump_init() == 0 ? 0 : 200;
}

/* Exits with the number of CPUs in the affinity mask. */
static int
body_ncpu(void)
{
	uint64_t mask[2] = { 0, 0 };
	int n;

	if (rump_init() != 0)
		return 200;
	n = rump_sys_sched_getaffinity(0, sizeof(mask), mask);
	if (n != 8)
		return 201;
	/* CPUs 0..n-1: a contiguous mask from bit 0. */
	if ((mask[0] & (mask[0] + 1)) != 0 || mask[1] != 0)
		return 202;
	return __builtin_popcountll(mask[0]);
}

static int
expected_default_ncpu(void)
{
	long n;

	if (strcmp(T_PLATFORM, "fiber") == 0)
		return 1;
	n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	return n > MAXCPUS ? MAXCPUS : (int)n;
}

/* ------------------------------------------------------------------ */

ATF_TC(ncpu_values);
ATF_TC_HEAD(ncpu_values, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "virtual CPUs per RUMP_NCPU, as seen by sched_getaffinity: "
	    "unset or \"host\" is the platform's default (posix: the host's "
	    "online CPUs, fiber: 1); 1, 2, 5 as given; 0, negative or not a "
	    "number mean 1; more than 64 means 64");
	atf_tc_set_md_var(tc, "timeout", "60");
}
ATF_TC_BODY(ncpu_values, tc)
{
	static const struct {
		const char *env;
		int want;		/* 0: the platform's default */
	} cases[] = {
		{ "RUMP_NCPU", 0 },
		{ "RUMP_NCPU=host", 0 },
		{ "RUMP_NCPU=1", 1 },
		{ "RUMP_NCPU=2", 2 },
		{ "RUMP_NCPU=5", 5 },
		{ "RUMP_NCPU=0", 1 },
		{ "RUMP_NCPU=-4", 1 },
		{ "RUMP_NCPU=garbage", 1 },
		{ "RUMP_NCPU=3x", 1 },
		{ "RUMP_NCPU=", 1 },
		{ "RUMP_NCPU=1000", MAXCPUS },
	};
	struct child c;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *env[] = { cases[i].env, "RUMP_VERBOSE", NULL };
		int want = cases[i].want ? cases[i].want :
		    expected_default_ncpu();

		run_child(env, body_ncpu, &c);
		ATF_CHECK_EQ_MSG(want, c.status,
		    "%s: %d CPUs (exit status %d; output: %s), expected %d",
		    cases[i].env, c.status, c.status, c.out, want);
	}
}

/* ------------------------------------------------------------------ */

ATF_TC(banner_host);
ATF_TC_HEAD(banner_host, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "RUMP_VERBOSE=1 with RUMP_HOSTNAME=bannerhost: the boot banner "
	    "names the host");
	atf_tc_set_md_var(tc, "timeout", "60");
}
ATF_TC_BODY(banner_host, tc)
{
	const char *env[] = { "RUMP_VERBOSE=1", "RUMP_HOSTNAME=bannerhost",
	    NULL };
	struct child c;

	run_child(env, body_boot, &c);
	ATF_REQUIRE_EQ_MSG(0, c.status, "boot failed: %d, %s", c.status,
	    c.out);
	ATF_CHECK_MSG(strstr(c.out, "host bannerhost") != NULL,
	    "no host name in: %s", c.out);
}

ATF_TC(hostname_default);
ATF_TC_HEAD(hostname_default, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "without RUMP_HOSTNAME uname's nodename is rump-<pid>");
	atf_tc_set_md_var(tc, "timeout", "30");
}
ATF_TC_BODY(hostname_default, tc)
{
	struct utsname u;
	char want[65];

	unsetenv("RUMP_HOSTNAME");
	boot();
	RL(rump_sys_uname(&u));
	snprintf(want, sizeof(want), "rump-%ld", (long)getpid());
	ATF_CHECK_STREQ(want, u.nodename);
}

ATF_TC(hostname_param);
ATF_TC_HEAD(hostname_param, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "RUMP_HOSTNAME=foo before rump_init gives nodename foo");
	atf_tc_set_md_var(tc, "timeout", "30");
}
ATF_TC_BODY(hostname_param, tc)
{
	struct utsname u;

	setenv("RUMP_HOSTNAME", "foo", 1);
	boot();
	RL(rump_sys_uname(&u));
	ATF_CHECK_STREQ("foo", u.nodename);
}

/* 64 characters: the longest name Linux allows. */
#define NAME64 \
	"h123456789012345678901234567890123456789012345678901234567890123"

static int
body_nodename64(void)
{
	struct utsname u;

	if (rump_init() != 0)
		return 200;
	if (rump_sys_uname(&u) != 0)
		return 201;
	return strcmp(u.nodename, NAME64) == 0 ? 0 : 1;
}

ATF_TC(hostname_param_long);
ATF_TC_HEAD(hostname_param_long, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "a RUMP_HOSTNAME of 64 characters (Linux's longest) is the "
	    "nodename, whole");
	atf_tc_set_md_var(tc, "timeout", "30");
}
ATF_TC_BODY(hostname_param_long, tc)
{
	const char *env[] = { "RUMP_HOSTNAME=" NAME64, NULL };
	struct child c;

	ATF_REQUIRE_EQ(64, strlen(NAME64));
	run_child(env, body_nodename64, &c);
	ATF_REQUIRE_EQ_MSG(0, c.status, "exit status %d: %s", c.status,
	    c.out);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, ncpu_values);
	ATF_TP_ADD_TC(tp, banner_host);
	ATF_TP_ADD_TC(tp, hostname_default);
	ATF_TP_ADD_TC(tp, hostname_param);
	ATF_TP_ADD_TC(tp, hostname_param_long);
	return atf_no_error();
}
