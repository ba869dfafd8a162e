/*
 * h_rumptest.h: what every kernel test program shares: checks of system
 * call results that report the expression, errno and location, and
 * booting the kernel.  Header-only, so each test stays one program.
 */
#ifndef H_RUMPTEST_H
#define H_RUMPTEST_H

#include <errno.h>
#include <string.h>

#include <atf-c.h>

#include <rump/rump.h>

/* RL(x): x must not return -1 (fails the test case with errno). */
#define RL(x)		rl_((long)(x), #x, __FILE__, __LINE__)
/* ERR(e, x): x must return -1 with errno e. */
#define ERR(e, x)	err_((long)(x), (e), #x, __FILE__, __LINE__)

static long __attribute__((unused))
rl_(long r, const char *expr, const char *file, int line)
{
	if (r == -1)
		atf_tc_fail_requirement(file, (size_t)line,
		    "%s failed: %s (errno %d)", expr, strerror(errno), errno);
	return r;
}

static void __attribute__((unused))
err_(long r, int e, const char *expr, const char *file, int line)
{
	int got = errno;

	if (r != -1)
		atf_tc_fail_check(file, (size_t)line,
		    "%s: expected -1 with errno %d (%s), got %ld", expr, e,
		    strerror(e), r);
	else if (got != e)
		atf_tc_fail_check(file, (size_t)line,
		    "%s: expected errno %d (%s), got errno %d (%s)", expr, e,
		    strerror(e), got, strerror(got));
}

/* Boots the kernel (each test case runs in its own process). */
static void __attribute__((unused))
boot(void)
{
	int error = rump_init();

	ATF_REQUIRE_MSG(error == 0, "rump_init: %d (%s)", error,
	    strerror(error));
}

#endif /* H_RUMPTEST_H */
