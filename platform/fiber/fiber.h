/*
 * fiber.h: private interfaces shared by the files of the fiber backend
 * (platform/fiber), and the device-event interface for drivers of this
 * platform.  Never installed.
 *
 * The backend implements platform/common's backend.h for a POSIX process
 * with one host thread: io_uring for asynchronous file I/O, poll() for
 * device events, mmap'd stacks with guard pages; what needs no more than
 * the host (files by path, the host process, parameters, entropy) is
 * platform/posixhost's.
 */
#ifndef RUMPUSER_FIBER_H
#define RUMPUSER_FIBER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <rump/rumpuser.h>

#include "backend.h"
/* Host code shared with platform/posix (errno and signal translation,
 * files, transfers, the host process, parameters, entropy), and the
 * RUMPUSER__NB_* errno values. */
#include "posixhost.h"

/*
 * Valgrind (make check VALGRIND=memcheck) cannot see two things this
 * platform does: it switches between its threads' stacks itself
 * (fiber_mem.c registers them), and the host kernel fills read buffers
 * through io_uring, outside any system call memcheck watches (fiber_io.c
 * marks them defined).  The client requests are a few no-op
 * instructions outside valgrind, and there are none without valgrind's
 * headers (Debian: valgrind).  Nor for a target valgrind does not run
 * on, for which valgrind.h defines NVALGRIND: Debian's cross compilers
 * read the host's /usr/include after the target's, so a riscv64 build
 * finds the x86_64 host's valgrind 3.19 headers, which know no riscv64.
 */
#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#ifndef NVALGRIND
#define FIBER_VALGRIND 1
#endif
#endif
#endif

/* A one-line diagnostic on standard error: "rumpuser fiber: <message>". */
void rumpuser__fiber_warn(const char *fmt, ...)
    RUMPUSER__HIDDEN __attribute__((__format__(__printf__, 1, 2)));

/*
 * Device events, for drivers of this platform (TAP, the shared-memory
 * bus): fn(arg, revents) is called when fd reports any of events (poll(2)
 * bits), from the scheduler's idle loop (or its periodic poll while
 * threads run).  It runs on whichever thread went idle, so it must not
 * block or switch: it only records what happened and wakes the driver's
 * thread with rumpuser_cv_signal() or rumpuser_cv_broadcast().  The watch
 * stays until rumpuser__fiber_unwatch_fd(), which may be called from fn.
 * A watched descriptor also keeps the scheduler from declaring a deadlock.
 * Returns 0, EINVAL (fd already watched) or ENOMEM, NetBSD numbering.
 */
typedef void (*rumpuser__fiber_fdfn)(void *arg, int revents);
int rumpuser__fiber_watch_fd(int fd, int events, rumpuser__fiber_fdfn fn,
    void *arg) RUMPUSER__HIDDEN;
void rumpuser__fiber_unwatch_fd(int fd) RUMPUSER__HIDDEN;

/*
 * Between the event loop (fiber_wait.c) and asynchronous I/O (fiber_io.c):
 * _io_pollfd is a descriptor that polls readable when completions have
 * arrived, or -1 when no request is in flight; _io_reap delivers the
 * arrived completions and says how many.
 */
int rumpuser__fiber_io_pollfd(void) RUMPUSER__HIDDEN;
unsigned int rumpuser__fiber_io_reap(void) RUMPUSER__HIDDEN;

#endif /* RUMPUSER_FIBER_H */
