/*
 * sys_time.c: the time system calls: clocks, and sleeping on them.
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/libkern.h>
#include <kern/lock.h>
#include <kern/clock.h>
#include <kern/component.h>
#include <kern/syscall.h>
#include <rump/rump_syscalls.h>

#include "kern_private.h"

/* Linux clock ids and flags (include/uapi/linux/time.h). */
#define CLOCK_REALTIME			0
#define CLOCK_MONOTONIC			1
#define CLOCK_MONOTONIC_RAW		4
#define CLOCK_REALTIME_COARSE		5
#define CLOCK_MONOTONIC_COARSE		6
#define CLOCK_BOOTTIME			7
#define TIMER_ABSTIME			1

#define NSEC_PER_SEC	1000000000LL

/* The Linux layouts of 64-bit targets (x86_64 and the generic ABI alike). */
struct timeval {
	int64_t	tv_sec;
	int64_t	tv_usec;
};

struct timezone {
	int	tz_minuteswest;
	int	tz_dsttime;
};

/* The two clocks the hypervisor has. */
enum kclock { KCLOCK_WALL, KCLOCK_MONO };

/*
 * Maps a Linux clock id to the clock that serves it.  The coarse clocks
 * are the precise ones (reading them costs the same here); boot time is
 * monotonic time because a rump kernel never suspends.  sleepable says
 * whether Linux allows clock_nanosleep() on it.
 */
static int
clock_lookup(long clk, enum kclock *kc, bool *sleepable)
{

	switch (clk) {
	case CLOCK_REALTIME:
		*kc = KCLOCK_WALL;
		*sleepable = true;
		return 0;
	case CLOCK_REALTIME_COARSE:
		*kc = KCLOCK_WALL;
		*sleepable = false;
		return 0;
	case CLOCK_MONOTONIC:
	case CLOCK_BOOTTIME:
		*kc = KCLOCK_MONO;
		*sleepable = true;
		return 0;
	case CLOCK_MONOTONIC_RAW:
	case CLOCK_MONOTONIC_COARSE:
		*kc = KCLOCK_MONO;
		*sleepable = false;
		return 0;
	default:
		return EINVAL;
	}
}

static void
clock_read(enum kclock kc, struct timespec *ts)
{
	uint64_t ns;

	if (kc == KCLOCK_WALL) {
		getnanotime(ts);
		return;
	}
	ns = getmonotonic_ns();
	ts->tv_sec = (int64_t)(ns / NSEC_PER_SEC);
	ts->tv_nsec = (long)(ns % NSEC_PER_SEC);
}

/* A clock reading as nanoseconds, saturating (the wall clock may be set
 * anywhere). */
static int64_t
ts_to_ns(const struct timespec *ts)
{

	if (ts->tv_sec > (INT64_MAX - ts->tv_nsec) / NSEC_PER_SEC)
		return INT64_MAX;
	if (ts->tv_sec < -(INT64_MAX / NSEC_PER_SEC) + 1)
		return -INT64_MAX;
	return ts->tv_sec * NSEC_PER_SEC + ts->tv_nsec;
}

static int64_t
clock_read_ns(enum kclock kc)
{
	struct timespec ts;

	clock_read(kc, &ts);
	return ts_to_ns(&ts);
}

/* Linux's timespec64_valid(): what a sleep accepts. */
static bool
ts_valid(const struct timespec *ts)
{

	return ts->tv_sec >= 0 && ts->tv_nsec >= 0 &&
	    ts->tv_nsec < NSEC_PER_SEC;
}

/*
 * Sleeping.  Every sleeping lwp waits, with a timeout, on one condition
 * variable that nothing signals but an interrupt (rump_lwp_interrupt),
 * which ends the sleep with EINTR.  Waiting on a condition variable
 * gives up the virtual CPU, and the loop absorbs early and spurious
 * wakeups.
 */
static kmutex_t sleep_lock;
static kcondvar_t sleep_cv;

RUMP_COMPONENT(RUMP_COMPONENT_KERN, sleep)
{

	mutex_init(&sleep_lock, MUTEX_DEFAULT);
	cv_init(&sleep_cv);
}

/* Sleeps until clock kc reads at least deadline (ns): 0, or EINTR. */
static int
sleep_until(enum kclock kc, int64_t deadline)
{
	int64_t now;
	int error = 0;

	mutex_enter(&sleep_lock);
	while ((now = clock_read_ns(kc)) < deadline)
		if (cv_timedwait_sig_ns(&sleep_cv, &sleep_lock,
		    (uint64_t)deadline - (uint64_t)now) == EINTR) {
			error = EINTR;
			break;
		}
	mutex_exit(&sleep_lock);
	return error;
}

/* Sleeps for ts: 0, or EINTR with the time left in *left (if not
 * NULL), as Linux's nanosleep() reports it. */
static int
sleep_for(const struct timespec *ts, struct timespec *left)
{
	int64_t now, ns, end;
	int error;

	ns = ts_to_ns(ts);
	now = clock_read_ns(KCLOCK_MONO);
	end = ns > INT64_MAX - now ? INT64_MAX : now + ns;
	error = sleep_until(KCLOCK_MONO, end);
	if (error != 0 && left != NULL) {
		now = clock_read_ns(KCLOCK_MONO);
		ns = end > now ? end - now : 0;
		left->tv_sec = ns / NSEC_PER_SEC;
		left->tv_nsec = (long)(ns % NSEC_PER_SEC);
	}
	return error;
}

SYSCALL(SYS_clock_gettime, clock_gettime)
{
	struct timespec ts;
	enum kclock kc;
	bool sleepable;
	int error;

	(void)retval;
	if ((error = clock_lookup(args[0], &kc, &sleepable)) != 0)
		return error;
	clock_read(kc, &ts);
	return copyout(&ts, (void *)args[1], sizeof(ts));
}

SYSCALL(SYS_clock_getres, clock_getres)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = 1 };
	enum kclock kc;
	bool sleepable;
	int error;

	(void)retval;
	if ((error = clock_lookup(args[0], &kc, &sleepable)) != 0)
		return error;
	/* Linux allows a NULL res: only the clock id is checked. */
	if ((void *)args[1] == NULL)
		return 0;
	return copyout(&ts, (void *)args[1], sizeof(ts));
}

SYSCALL(SYS_gettimeofday, gettimeofday)
{
	struct timespec ts;
	struct timeval tv;
	struct timezone tz = { 0, 0 };
	int error;

	(void)retval;
	if ((void *)args[0] != NULL) {
		getnanotime(&ts);
		tv.tv_sec = ts.tv_sec;
		tv.tv_usec = ts.tv_nsec / 1000;
		if ((error = copyout(&tv, (void *)args[0], sizeof(tv))) != 0)
			return error;
	}
	if ((void *)args[1] != NULL)
		return copyout(&tz, (void *)args[1], sizeof(tz));
	return 0;
}

SYSCALL(SYS_nanosleep, nanosleep)
{
	struct timespec ts, left;
	int error;

	(void)retval;
	if ((error = copyin((const void *)args[0], &ts, sizeof(ts))) != 0)
		return error;
	if (!ts_valid(&ts))
		return EINVAL;
	/* Interrupted: EINTR (never restarted here: a handler runs), the
	 * time left in rem when given. */
	if ((error = sleep_for(&ts, &left)) != 0 && (void *)args[1] != NULL &&
	    copyout(&left, (void *)args[1], sizeof(left)) != 0)
		return EFAULT;
	return error;
}

SYSCALL(SYS_clock_nanosleep, clock_nanosleep)
{
	struct timespec ts, left;
	enum kclock kc;
	bool sleepable;
	int error;

	(void)retval;
	if ((error = clock_lookup(args[0], &kc, &sleepable)) != 0)
		return error;
	if (!sleepable)
		return EOPNOTSUPP;
	if ((error = copyin((const void *)args[2], &ts, sizeof(ts))) != 0)
		return error;
	if (!ts_valid(&ts))
		return EINVAL;
	/* Linux ignores flag bits other than TIMER_ABSTIME.  Interrupted:
	 * EINTR, and a relative sleep's time left in rem when given. */
	if (args[1] & TIMER_ABSTIME)
		return sleep_until(kc, ts_to_ns(&ts));
	if ((error = sleep_for(&ts, &left)) != 0 && (void *)args[3] != NULL &&
	    copyout(&left, (void *)args[3], sizeof(left)) != 0)
		return EFAULT;
	return error;
}

/* The typed entry points. */

int
rump_sys_clock_gettime(int clk, struct timespec *ts)
{

	return (int)syscall_typed(SYS_clock_gettime, clk, (long)ts,
	    0, 0, 0, 0);
}

int
rump_sys_clock_getres(int clk, struct timespec *res)
{

	return (int)syscall_typed(SYS_clock_getres, clk, (long)res,
	    0, 0, 0, 0);
}

int
rump_sys_gettimeofday(struct timeval *tv, void *tz)
{

	return (int)syscall_typed(SYS_gettimeofday, (long)tv, (long)tz,
	    0, 0, 0, 0);
}

int
rump_sys_nanosleep(const struct timespec *req, struct timespec *rem)
{

	return (int)syscall_typed(SYS_nanosleep, (long)req, (long)rem,
	    0, 0, 0, 0);
}

int
rump_sys_clock_nanosleep(int clk, int flags, const struct timespec *req,
    struct timespec *rem)
{
	long args[6] = { clk, flags, (long)req, (long)rem, 0, 0 };

	/* The error is the result, as POSIX specifies this function. */
	return rump_syscall(SYS_clock_nanosleep, args, NULL);
}
