/*
 * backend.h: the contract between platform/common and a backend.
 *
 * platform/common is a complete rumpuser(3) v17 implementation over a
 * cooperative scheduler: many threads, each with its own stack, taking
 * turns on one host CPU (a POSIX thread for platform/fiber, the machine
 * itself for platform/kvm).  Everything it needs from below is declared
 * here, and nothing else: it is compiled -ffreestanding -nostdinc and
 * calls no other outside function.  A backend implements every
 * rumpuser__backend_* function below; platform/common implements the few
 * functions a backend calls back (rumpuser__io_done).
 *
 * The header includes nothing.  The includer provides the fixed-width
 * integer types and size_t (platform/common from <common/types.h>, a
 * hosted backend from <stdint.h> and <stddef.h>).
 *
 * Rules for every function below:
 *  - Errors are NetBSD errno values, as rumpuser(3) returns them (ENOENT 2,
 *    EIO 5, ENOMEM 12, EINVAL 22, E2BIG 7, EOPNOTSUPP 45, ...): a backend
 *    translates its host's errors in one place.
 *  - They are called by one cooperative thread at a time and never
 *    concurrently; none of them may switch threads.  Those that may take
 *    long (opening a file) simply do; only I/O has an asynchronous form.
 *  - Besides the functions below, the backend links memcpy, memmove,
 *    memset and memcmp with their standard C meaning: the compiler emits
 *    calls to them on its own.
 */
#ifndef RUMPUSER_BACKEND_H
#define RUMPUSER_BACKEND_H

/* Internal symbols stay out of a shared library's exported interface. */
#define RUMPUSER__HIDDEN	__attribute__((__visibility__("hidden")))

struct rumpuser_iovec;

/* The backend's name in messages ("fiber", "kvm"): "rumpuser fiber: ...". */
extern const char rumpuser__backend_name[] RUMPUSER__HIDDEN;

/*
 * Called once by rumpuser_init(), before the scheduler starts: the
 * backend sets up what must exist before the kernel runs (a POSIX backend
 * installs the fault handler of the rumpuser_fcopy.h module it offers).
 */
void rumpuser__backend_init(void) RUMPUSER__HIDDEN;

/*
 * Clocks, in nanoseconds.
 */

/* Monotonic time: never goes backwards, arbitrary origin, not affected by
 * setting the wall clock. */
uint64_t rumpuser__backend_clock_monotonic(void) RUMPUSER__HIDDEN;
/* Wall-clock time since 1970-01-01 00:00 UTC. */
int64_t rumpuser__backend_clock_wall(void) RUMPUSER__HIDDEN;

/*
 * Waiting for events: the scheduler's idle loop.
 */

/* No deadline: wait until an event arrives. */
#define RUMPUSER__FOREVER	UINT64_MAX
/* rumpuser__backend_wait(FOREVER) found nothing that could ever wake it. */
#define RUMPUSER__WAIT_NOTHING	1

/*
 * Delivers the events that have arrived and, if there were none, waits
 * until one arrives or the monotonic clock reaches deadline.  Events are
 * I/O completions, delivered by calling rumpuser__io_done(), and the
 * backend's own device events (delivered as its devices document; their
 * handlers may only make threads runnable, with rumpuser_cv_signal() or
 * rumpuser_cv_broadcast()).  A deadline in the past means "deliver what
 * has arrived, do not wait".
 *
 * Returns 0.  Returning early (a signal) is allowed: the caller loops.
 * With deadline == RUMPUSER__FOREVER and nothing that could ever deliver
 * an event (no request in flight, no device to watch), it returns
 * RUMPUSER__WAIT_NOTHING at once instead of waiting forever: the caller
 * then knows that every thread is blocked for good.
 *
 * Runs on the stack of the thread that found nothing to run, whose state
 * it must not depend on.
 */
int rumpuser__backend_wait(uint64_t deadline) RUMPUSER__HIDDEN;

/*
 * Console
 */
#define RUMPUSER__CONSOLE_KERNEL 1	/* rumpuser_putchar: the kernel's console */
#define RUMPUSER__CONSOLE_DIAG	 2	/* rumpuser_dprintf, platform messages */

/* Writes len bytes to channel (on POSIX: KERNEL is standard output, DIAG
 * standard error).  Output is complete and in order on each channel by
 * the time rumpuser__backend_exit or _abort has ended the program. */
void rumpuser__backend_console_write(int channel, const char *buf,
    size_t len) RUMPUSER__HIDDEN;

/*
 * Memory
 */

/* The page size: the granularity of rumpuser__backend_pages_alloc. */
size_t rumpuser__backend_pagesize(void) RUMPUSER__HIDDEN;

/* size bytes aligned to align (a power of two; 0: suitable for any type),
 * or NULL when out of memory.  size may be 0. */
void *rumpuser__backend_malloc(size_t size, size_t align) RUMPUSER__HIDDEN;
/* Frees p (from _malloc; NULL is ignored); size is what was asked for. */
void rumpuser__backend_free(void *p, size_t size) RUMPUSER__HIDDEN;

#define RUMPUSER__PAGES_EXEC	0x01	/* executable as well as read/write */
#define RUMPUSER__PAGES_GUARD	0x02	/* an inaccessible page right below:
					   a thread stack's overflow faults */

/*
 * Maps size bytes (rounded up to whole pages) of zeroed memory, aligned to
 * align (a power of two; up to a page: page aligned), preferably at hint
 * (NULL: anywhere).  Sets *pagesp to the first usable byte.  Returns 0 or
 * an errno (ENOMEM).
 */
int rumpuser__backend_pages_alloc(void *hint, size_t size, size_t align,
    int flags, void **pagesp) RUMPUSER__HIDDEN;
/* Unmaps pages from _pages_alloc (or a part of them without GUARD);
 * size and flags as given to it. */
void rumpuser__backend_pages_free(void *pages, size_t size, int flags)
    RUMPUSER__HIDDEN;

/*
 * Termination.  Both end the program (process or VM) and never return.
 */

/* Ends with exit status status (0..255; EXIT_SUCCESS/FAILURE meaning). */
void rumpuser__backend_exit(int status)
    RUMPUSER__HIDDEN __attribute__((__noreturn__));
/* Ends abnormally (a core dump or its equivalent) for a panic. */
void rumpuser__backend_abort(void)
    RUMPUSER__HIDDEN __attribute__((__noreturn__));

/*
 * I/O on descriptors from rumpuser__backend_open, asynchronous.
 */
#define RUMPUSER__IO_READ	1	/* one preadv(), readv() at NOSEEK */
#define RUMPUSER__IO_WRITE	2	/* one pwritev(), writev() at NOSEEK */
#define RUMPUSER__IO_SYNC	3	/* fsync(): data and metadata stable */
#define RUMPUSER__IO_DATASYNC	4	/* fdatasync(): data stable */

struct rumpuser__io {
	/* The request: set by platform/common, read-only to the backend. */
	int			 io_op;		/* RUMPUSER__IO_* */
	int			 io_fd;
	const struct rumpuser_iovec *io_iov;	/* READ, WRITE */
	int			 io_iovcnt;
	int64_t			 io_off;	/* or RUMPUSER_IOV_NOSEEK */

	/* The result: set by the backend before rumpuser__io_done(). */
	size_t			 io_transferred; /* bytes; short is no error */
	int			 io_error;	/* 0 or a NetBSD errno */

	/* platform/common's; the backend leaves them alone. */
	void			(*io_donefn)(struct rumpuser__io *);
	void			*io_waiter;
	int			 io_complete;
};

/*
 * Starts io.  Every request started is completed exactly once, by the
 * backend setting io_transferred and io_error and calling
 * rumpuser__io_done(io): either before rumpuser__backend_io_start returns
 * or later, from within rumpuser__backend_wait.  With synchronous set
 * (deterministic mode, which wants no timing in its results) it is always
 * the former.  Otherwise the backend should not make the caller wait for
 * the transfer: other threads are meant to run meanwhile; a backend that
 * cannot do asynchronous I/O does it synchronously.  The buffers and io
 * stay valid and untouched by platform/common until the completion.
 */
void rumpuser__backend_io_start(struct rumpuser__io *io, int synchronous)
    RUMPUSER__HIDDEN;

/* platform/common's: the backend reports a completed request.  It does
 * not block, switch threads or start I/O. */
void rumpuser__io_done(struct rumpuser__io *io) RUMPUSER__HIDDEN;

/*
 * Files, named in the backend's namespace (host paths on POSIX, device
 * names on bare metal).  mode and types are rumpuser(3)'s:
 * RUMPUSER_OPEN_*, RUMPUSER_FT_*.
 */
int rumpuser__backend_open(const char *name, int mode, int *fdp)
    RUMPUSER__HIDDEN;
int rumpuser__backend_close(int fd) RUMPUSER__HIDDEN;
/* Size in bytes (a block device's size) and RUMPUSER_FT_* type; either
 * pointer may be NULL. */
int rumpuser__backend_fileinfo(const char *name, uint64_t *size, int *type)
    RUMPUSER__HIDDEN;

/*
 * Entropy: fills up to len bytes of buf, sets *gotp to how many.  flags are
 * rumpuser(3)'s RUMPUSER_RANDOM_* (with NOWAIT: what is available now, or
 * EAGAIN 35).  Deterministic mode does not call this.
 */
int rumpuser__backend_random(void *buf, size_t len, int flags, size_t *gotp)
    RUMPUSER__HIDDEN;

/*
 * Parameters: copies the value of the host configuration variable name
 * (the environment on POSIX, the command line on bare metal), with its
 * NUL, to buf.  Returns 0, ENOENT 2 when it is not set, or E2BIG 7 when
 * buflen is too small (nothing copied).
 *
 * Names starting with '_' ask for the backend's defaults of rumpuser(3)'s
 * mandatory parameters: "_RUMPUSER_HOSTNAME" (a name for this instance,
 * e.g. rump-<pid>; optional: ENOENT lets platform/common choose).
 */
int rumpuser__backend_param(const char *name, char *buf, size_t buflen)
    RUMPUSER__HIDDEN;

/*
 * The host process, for the rumpuser(3) calls that concern it.  Where there
 * is none (bare metal) they return the errors rumpuser(3) allows.
 */

/* Sets the host's errno for the current host thread (error: NetBSD). */
void rumpuser__backend_set_errno(int error) RUMPUSER__HIDDEN;
/* rumpuser_kill(): NetBSD signal sig to pid (or RUMPUSER_PID_SELF). */
int rumpuser__backend_kill(int64_t pid, int sig) RUMPUSER__HIDDEN;
/* rumpuser_daemonize_begin() / _done(), same contract (EOPNOTSUPP 45
 * where impossible). */
int rumpuser__backend_daemonize_begin(void) RUMPUSER__HIDDEN;
int rumpuser__backend_daemonize_done(int error) RUMPUSER__HIDDEN;

#endif /* RUMPUSER_BACKEND_H */
