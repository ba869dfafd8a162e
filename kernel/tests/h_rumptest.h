/*
 * h_rumptest.h: what every kernel test program shares: checks of system
 * call results that report the expression, errno and location, and
 * booting the kernel.  Header-only, so each test stays one program.
 */
#ifndef H_RUMPTEST_H
#define H_RUMPTEST_H

#include <sys/types.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <atf-c.h>

#include <rump/rump.h>
#include <rump/rumpuser.h>

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

/*
 * Threads and sleeps the platform's way.  Kernel tests run on every
 * platform in KERNEL_TEST_PLATFORMS, fiber included, which has one host
 * thread and cooperative threads: there a pthread would be a second host
 * thread the platform knows nothing about, and a host sleep (nanosleep)
 * stops every rump thread.  The rumpuser calls work everywhere; a test
 * thread holds no virtual CPU when it makes them, which the kernel
 * allows (there is nothing to release).
 */

/* Starts fn(arg) as a joinable platform thread; returns its cookie. */
static __attribute__((unused)) void *
rt_thread_start(void *(*fn)(void *), void *arg, const char *name)
{
	void *cookie = NULL;
	int error;

	error = rumpuser_thread_create(fn, arg, name, 1, -1, -1, &cookie);
	ATF_REQUIRE_EQ_MSG(0, error, "rumpuser_thread_create(%s): %d", name,
	    error);
	return cookie;
}

static void __attribute__((unused))
rt_thread_join(void *cookie)
{
	int error = rumpuser_thread_join(cookie);

	ATF_REQUIRE_EQ_MSG(0, error, "rumpuser_thread_join: %d", error);
}

/* Sleeps at least ms milliseconds, letting other rump threads run. */
static void __attribute__((unused))
rt_sleep_ms(long ms)
{

	(void)rumpuser_clock_sleep(RUMPUSER_CLOCK_RELWALL, ms / 1000,
	    (ms % 1000) * 1000000L);
}

#endif /* H_RUMPTEST_H */
