/*
 * h_rumptest.h: what every kernel test program shares: checks of system
 * call results that report the expression, errno and location, and
 * booting the kernel.  Header-only, so each test stays one program.
 */
#ifndef H_RUMPTEST_H
#define H_RUMPTEST_H

#include <sys/types.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <atf-c.h>

#include <rump/rump.h>
#include <rump/rumpuser.h>

/*
 * Which errno numbering rump_sys_*() give.  They report an error through
 * the platform's rumpuser_seterrno(), which rumpuser(3) v17 hands
 * NetBSD's number (the kernel converts its own, Linux, number first).
 * What the caller then sees in errno depends on the platform: strata's
 * posix and fiber platforms translate to the host's (Linux) numbering,
 * the same as <errno.h>; another v17 implementation, such as NetBSD's
 * librumpuser, stores NetBSD's number as it is (ENOTEMPTY is 66, not 39).
 * The kernel tests keep to what rumpuser(3) guarantees, so they never
 * compare errno after a rump_sys_*() call with an <errno.h> constant
 * directly, but through one of:
 *
 *   rt_errno()         errno as the kernel's (Linux) number: compare it
 *                      with <errno.h>'s constants, print it;
 *   rt_seterrno(e)     sets errno to kernel (Linux) error e the way a
 *                      failing rump_sys_*() call would, for helpers that
 *                      act like one (return -1 with errno);
 *   ERR(e, x)          x must return -1 with rt_errno() e.
 *
 * The numbering is learned once per process, the first time it is
 * needed: the probe hands rumpuser_seterrno() NetBSD's EAGAIN (35, which
 * is Linux's EDEADLK) and reads errno back: Linux's EAGAIN (11) means the
 * platform translates, 35 that it stores as is; anything else fails the
 * test.  NetBSD numbers are converted with the kernel's own table
 * (kern/hyp.h, the same conversion rump_sys_*() made), so a test never
 * carries a second copy of it.
 */
int	rumpns_hyp_errno(int netbsd_errno);		/* kern/hyp.h */
int	rumpns_hyp_errno_to_netbsd(int kernel_errno);	/* kern/hyp.h */

#define RT_NB_EAGAIN	35	/* NetBSD's <sys/errno.h> */

/* 1: errno after rump_sys_*() is NetBSD's number; 0: the host's.  Test
 * threads may probe at once: the answer is the same for all, so the cache
 * is only read and written atomically (ThreadSanitizer saw the race). */
static int __attribute__((unused))
rt_errno_netbsd(void)
{
	static int cached = -1;
	int netbsd, saved;

	netbsd = __atomic_load_n(&cached, __ATOMIC_RELAXED);
	if (netbsd == -1) {
		saved = errno;
		rumpuser_seterrno(RT_NB_EAGAIN);
		if (errno == EAGAIN)
			netbsd = 0;
		else if (errno == RT_NB_EAGAIN)
			netbsd = 1;
		else
			atf_tc_fail("rumpuser_seterrno(NetBSD EAGAIN %d) set errno "
			    "%d: neither the host's EAGAIN (%d) nor NetBSD's",
			    RT_NB_EAGAIN, errno, EAGAIN);
		errno = saved;
		__atomic_store_n(&cached, netbsd, __ATOMIC_RELAXED);
	}
	return netbsd;
}

static int __attribute__((unused))
rt_errno(void)
{
	int e = errno;

	return rt_errno_netbsd() ? rumpns_hyp_errno(e) : e;
}

static void __attribute__((unused))
rt_seterrno(int kernel_errno)
{
	errno = rt_errno_netbsd() ?
	    rumpns_hyp_errno_to_netbsd(kernel_errno) : kernel_errno;
}

/* RT_EFAULT_CAUGHT: 0 under ThreadSanitizer, whose own SIGSEGV handling
 * keeps the platform's fault-catching copies from turning a wild pointer
 * into EFAULT: the process dies of it, as on a platform without that
 * module (known gap, README "Sanitizers").  Checks that hand the kernel
 * wild pointers are left out there; the plain and ASan runs make them. */
#if defined(__SANITIZE_THREAD__)
#define RT_EFAULT_CAUGHT	0
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define RT_EFAULT_CAUGHT	0
#endif
#endif
#ifndef RT_EFAULT_CAUGHT
#define RT_EFAULT_CAUGHT	1
#endif

/* MEANT_FAULT_BEGIN() ... MEANT_FAULT_END(): around a host access or host
 * call that is handed a wild pointer on purpose (to compare the host's
 * EFAULT or fault with the kernel's).  Under valgrind (make check
 * VALGRIND=memcheck) memcheck's report of it would fail the case, so
 * reporting is switched off in between; no-ops without valgrind's
 * headers (Debian: valgrind) or outside valgrind.  The kernel's side of
 * such a comparison needs none: the platform's fault-catching copies
 * keep memcheck quiet themselves (posixhost_fcopy.c). */
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define MEANT_FAULT_BEGIN()	VALGRIND_DISABLE_ERROR_REPORTING
#define MEANT_FAULT_END()	VALGRIND_ENABLE_ERROR_REPORTING
#endif
#endif
#ifndef MEANT_FAULT_BEGIN
#define MEANT_FAULT_BEGIN()	do { } while (0)
#define MEANT_FAULT_END()	do { } while (0)
#endif

/* RL(x): x must not return -1 (fails the test case with errno; x may
 * also be a host call, so errno is printed as it is). */
#define RL(x)		rl_((long)(x), #x, __FILE__, __LINE__)
/* ERR(e, x): x must return -1 with errno e (e: <errno.h>'s constant;
 * errno read with rt_errno()). */
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
	int got = rt_errno();

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

/* Keeps the first failure of a test thread in buf ("" while there is
 * none) and drops later ones: the first is the cause, the rest are
 * usually its consequences.  The main thread reports buf after the join. */
static void __attribute__((unused, format(printf, 3, 4)))
rt_first_error(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (buf[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

#endif /* H_RUMPTEST_H */
