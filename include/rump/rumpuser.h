/*
 * rumpuser.h: the hypercall interface between a rump kernel (layer 1) and
 * the platform that hosts it (layer 3), version 17.
 *
 * This is strata's rendering of rumpuser(3) version 17 as NetBSD defines
 * it: names, signatures, constants and the upcall structure match exactly
 * (see shared/specs/rumpuser-v17.md), so any v17 rump kernel runs on any
 * strata platform and the strata kernel runs on any v17 platform.
 *
 * The header includes nothing.  The includer provides the fixed-width
 * integer types, size_t and pid_t (a 32-bit int on every supported ABI).
 *
 * Rules that hold for every call below:
 *  - An int-returning hypercall returns 0 on success or an errno value in
 *    NetBSD numbering: 1..34 equal Linux except 11 (NetBSD EDEADLK,
 *    Linux EAGAIN); above that they differ, e.g. EAGAIN 35, ETIMEDOUT 60,
 *    ENAMETOOLONG 63, ENOSYS 78.
 *  - A void hypercall never fails; on an unrecoverable host error the
 *    platform aborts the process or VM.
 *  - Hypercalls are entered holding a rump virtual CPU.  A call that may
 *    block releases it first with hyp_backend_unschedule(0, &nlocks,
 *    interlock) and takes it back with hyp_backend_schedule(nlocks,
 *    interlock) before returning.  The _nowrap variants never release it.
 */
#ifndef RUMP_RUMPUSER_H
#define RUMP_RUMPUSER_H

#define RUMPUSER_VERSION 17

struct lwp;
struct modinfo;
struct rump_component;

/*
 * Upcalls: how the platform calls back into the kernel.  Handed over once
 * by rumpuser_init() and valid for the life of the kernel.
 */
struct rumpuser_hyperup {
	/* Take / give up a virtual CPU for the calling host thread. */
	void (*hyp_schedule)(void);
	void (*hyp_unschedule)(void);
	/* Release the CPU around a blocking host operation; *nlocks is
	 * state the kernel wants back in hyp_backend_schedule. */
	void (*hyp_backend_unschedule)(int, int *, void *);
	void (*hyp_backend_schedule)(int, void *);
	/* Process/thread context management (rump_lwproc_*). */
	void (*hyp_lwproc_switch)(struct lwp *);
	void (*hyp_lwproc_release)(void);
	int (*hyp_lwproc_rfork)(void *, int, const char *);
	int (*hyp_lwproc_newlwp)(pid_t);
	struct lwp *(*hyp_lwproc_curlwp)(void);
	/* The numeric system call entry: (number, argument block, retval[2]). */
	int (*hyp_syscall)(int, void *, long *);
	void (*hyp_lwpexit)(void);
	void (*hyp_execnotify)(const char *);
	pid_t (*hyp_getpid)(void);
	/*
	 * strata's use of v17's reserved room (NetBSD's hyp__extra[8]: a
	 * kernel without these leaves them NULL, a platform that does not
	 * know them ignores them; the size and every other offset are
	 * v17's).  Interrupting the system call an lwp is in, for a
	 * platform that serves remote clients (sysproxy's INTR): they are
	 * rump_lwp_interrupt() and rump_lwp_interrupt_clear() of rump.h.
	 * Any host thread may call them, not from a signal handler.
	 */
	void (*hyp_lwp_interrupt)(struct lwp *);
	int (*hyp_lwp_interrupt_clear)(struct lwp *);
	void *hyp__extra[6];
};

/*
 * Returns 0 when version == RUMPUSER_VERSION and the platform is ready,
 * non-zero otherwise.  Keeps hyp for later upcalls.  Called once, first.
 */
int rumpuser_init(int version, const struct rumpuser_hyperup *hyp);

/*
 * Memory
 */

/* Allocates len bytes aligned to alignment (a power of two, or 0 for the
 * platform's natural alignment).  Returns 0 and sets *memp, or ENOMEM. */
int rumpuser_malloc(size_t len, int alignment, void **memp);
/* Frees memory from rumpuser_malloc; len is the length it was given. */
void rumpuser_free(void *mem, size_t len);
/* Maps size bytes of zeroed anonymous memory, aligned to 1 << alignbit,
 * near prefaddr if possible, executable if exec.  0 or an errno. */
int rumpuser_anonmmap(void *prefaddr, size_t size, int alignbit, int exec,
    void **memp);
void rumpuser_unmap(void *addr, size_t len);

/*
 * Files and I/O.  Names are in the hypervisor's namespace: host paths on
 * POSIX, device names elsewhere.
 */
#define RUMPUSER_OPEN_RDONLY	0x0000
#define RUMPUSER_OPEN_WRONLY	0x0001
#define RUMPUSER_OPEN_RDWR	0x0002
#define RUMPUSER_OPEN_ACCMODE	0x0003
#define RUMPUSER_OPEN_CREATE	0x0004	/* create if missing */
#define RUMPUSER_OPEN_EXCL	0x0008	/* with CREATE: fail if it exists */
#define RUMPUSER_OPEN_BIO	0x0010	/* advisory: will do block I/O */

/* Opens name; sets *fdp to a descriptor usable with the calls below.
 * May block. */
int rumpuser_open(const char *name, int mode, int *fdp);
int rumpuser_close(int fd);

#define RUMPUSER_FT_OTHER	0
#define RUMPUSER_FT_DIR		1
#define RUMPUSER_FT_REG		2
#define RUMPUSER_FT_BLK		3
#define RUMPUSER_FT_CHR		4

/* Size in bytes (for a block device: the device size) and type of name.
 * Either pointer may be NULL. */
int rumpuser_getfileinfo(const char *name, uint64_t *size, int *type);

#define RUMPUSER_BIO_READ	0x01
#define RUMPUSER_BIO_WRITE	0x02
#define RUMPUSER_BIO_SYNC	0x04	/* write through to stable storage */

typedef void (*rump_biodone_fn)(void *donearg, size_t transferred, int error);

/*
 * Starts block I/O of dlen bytes (a multiple of 512) at offset off and
 * returns at once.  biodone(donearg, transferred, error) is called exactly
 * once on completion, never from within rumpuser_bio(), but from a thread
 * of the platform's own that is scheduled into the kernel, as NetBSD's
 * librumpuser does it (a NetBSD kernel's biodone calls biodone(9) at
 * once and needs curlwp and a CPU):
 *  - the thread has an lwp of its own in process 0, made when the thread
 *    starts with hyp_schedule(); hyp_lwproc_newlwp(0); hyp_unschedule();
 *  - it holds a virtual CPU for the duration of the call:
 *    hyp_schedule(); biodone(...); hyp_unschedule().
 * biodone may therefore enter the kernel and take kernel locks, but must
 * not block for long: it holds up the completion of other requests.  The
 * platform does not touch data after calling biodone.  Writes without
 * BIO_SYNC may be cached.
 */
void rumpuser_bio(int fd, int op, void *data, size_t dlen, int64_t off,
    rump_biodone_fn biodone, void *donearg);

struct rumpuser_iovec {
	void *iov_base;
	size_t iov_len;
};
#define RUMPUSER_IOV_NOSEEK	-1	/* off: use the current position */

/* Scatter/gather I/O at off (or the file position with IOV_NOSEEK); sets
 * *retv to bytes transferred.  May block. */
int rumpuser_iovread(int fd, struct rumpuser_iovec *ruiov, size_t iovlen,
    int64_t off, size_t *retv);
int rumpuser_iovwrite(int fd, const struct rumpuser_iovec *ruiov,
    size_t iovlen, int64_t off, size_t *retv);

#define RUMPUSER_SYNCFD_READ	0x01
#define RUMPUSER_SYNCFD_WRITE	0x02
#define RUMPUSER_SYNCFD_BOTH	(RUMPUSER_SYNCFD_READ | RUMPUSER_SYNCFD_WRITE)
#define RUMPUSER_SYNCFD_BARRIER	0x04	/* earlier I/O ordered before later */
#define RUMPUSER_SYNCFD_SYNC	0x08	/* wait for stable storage */

/* Synchronises [start, start+len) of fd (len 0: to the end).  May block. */
int rumpuser_syncfd(int fd, int flags, uint64_t start, uint64_t len);

/*
 * Clocks
 */
#define RUMPUSER_CLOCK_RELWALL	0	/* wall clock */
#define RUMPUSER_CLOCK_ABSMONO	1	/* monotonic clock */

int rumpuser_clock_gettime(int clk, int64_t *sec, long *nsec);
/* RELWALL: sleeps at least sec+nsec.  ABSMONO: sleeps until the monotonic
 * clock reaches sec+nsec.  Releases the CPU while sleeping.  nsec may be
 * denormalised; sec+nsec saturates (a huge time is "for ever", a time far
 * in the past none), it never wraps. */
int rumpuser_clock_sleep(int clk, int64_t sec, long nsec);

/*
 * Parameters.  Names starting with '_' are mandatory; others (RUMP_VERBOSE,
 * RUMP_MEMLIMIT, ...) may be missing (ENOENT).  The value is a string.
 */
#define RUMPUSER_PARAM_NCPU	"_RUMPUSER_NCPU"
#define RUMPUSER_PARAM_HOSTNAME	"_RUMPUSER_HOSTNAME"
int rumpuser_getparam(const char *name, void *buf, size_t buflen);

/* Sets errno in the calling host thread, for local system call clients.
 * error is in NetBSD numbering; strata's platforms store the host's number
 * for it, while v17 does not say (NetBSD's librumpuser stores it as is):
 * rump_syscalls.h tells callers which numbering they see. */
void rumpuser_seterrno(int error);

#define RUMPUSER_PID_SELF	((int64_t)-1)
/* Advisory: delivers NetBSD signal sig to host process pid. */
int rumpuser_kill(int64_t pid, int sig);

#define RUMPUSER_PANIC		(-1)
/* Ends the host process (or VM) with value; RUMPUSER_PANIC aborts. */
void rumpuser_exit(int value) __attribute__((__noreturn__));

/* Console. */
void rumpuser_putchar(int ch);
void rumpuser_dprintf(const char *fmt, ...)
    __attribute__((__format__(__printf__, 1, 2)));

#define RUMPUSER_RANDOM_HARD	0x01	/* cryptographic quality */
#define RUMPUSER_RANDOM_NOWAIT	0x02	/* do not block for entropy */
/* Fills up to buflen bytes; *retp says how many. */
int rumpuser_getrandom(void *buf, size_t buflen, int flags, size_t *retp);

/*
 * Threads
 */

/* Starts fun(arg) in a new host (or platform) thread.  With mustjoin, the
 * cookie is set for rumpuser_thread_join.  priority and cpuidx are
 * hints (-1: none). */
int rumpuser_thread_create(void *(*fun)(void *), void *arg, const char *name,
    int mustjoin, int priority, int cpuidx, void **cookie);
void rumpuser_thread_exit(void) __attribute__((__noreturn__));
/* Waits for a mustjoin thread to exit.  Releases the CPU while waiting. */
int rumpuser_thread_join(void *cookie);

#define RUMPUSER_LWP_CREATE	0
#define RUMPUSER_LWP_DESTROY	1
#define RUMPUSER_LWP_SET	2
#define RUMPUSER_LWP_CLEAR	3
/* Binds (SET) or unbinds (CLEAR) l as the calling thread's lwp; CREATE
 * and DESTROY announce an lwp's life. */
void rumpuser_curlwpop(int op, struct lwp *l);
/* The calling thread's lwp or NULL.  Hot path: must be fast.
 *
 * A kernel that keeps curlwp itself in host thread-local storage (NetBSD's
 * built with RUMP_CURLWP=__thread) works on platforms of host threads
 * (posix) only: the fiber platform runs all its threads on one host
 * thread, which has one TLS.  There the kernel must ask this function (as
 * strata's does, and NetBSD's built with RUMP_CURLWP=hypercall); one that
 * binds lwps but has never asked by the time a second thread binds one is
 * stopped with a message saying so (platform/fiber/README). */
struct lwp *rumpuser_curlwp(void);

/*
 * Locks
 */
struct rumpuser_mtx;
struct rumpuser_rw;
struct rumpuser_cv;

#define RUMPUSER_MTX_SPIN	0x01	/* never releases the CPU */
#define RUMPUSER_MTX_KMUTEX	0x02	/* owner tracked for mutex_owner */

void rumpuser_mutex_init(struct rumpuser_mtx **mtxp, int flags);
/* May block: releases the CPU while waiting (unless SPIN). */
void rumpuser_mutex_enter(struct rumpuser_mtx *mtx);
/* Never releases the CPU. */
void rumpuser_mutex_enter_nowrap(struct rumpuser_mtx *mtx);
/* 0 when taken, EBUSY otherwise. */
int rumpuser_mutex_tryenter(struct rumpuser_mtx *mtx);
void rumpuser_mutex_exit(struct rumpuser_mtx *mtx);
void rumpuser_mutex_destroy(struct rumpuser_mtx *mtx);
/* The owning lwp of a KMUTEX, NULL when free. */
void rumpuser_mutex_owner(struct rumpuser_mtx *mtx, struct lwp **lp);

#define RUMPUSER_RW_READER	0
#define RUMPUSER_RW_WRITER	1
void rumpuser_rw_init(struct rumpuser_rw **rwp);
void rumpuser_rw_enter(int enum_rumprwlock, struct rumpuser_rw *rw);
int rumpuser_rw_tryenter(int enum_rumprwlock, struct rumpuser_rw *rw);
/* Reader to writer without releasing; 0 or EBUSY. */
int rumpuser_rw_tryupgrade(struct rumpuser_rw *rw);
void rumpuser_rw_downgrade(struct rumpuser_rw *rw);
void rumpuser_rw_exit(struct rumpuser_rw *rw);
void rumpuser_rw_destroy(struct rumpuser_rw *rw);
/* *heldp non-zero when the caller holds rw as enum_rumprwlock says. */
void rumpuser_rw_held(int enum_rumprwlock, struct rumpuser_rw *rw,
    int *heldp);

void rumpuser_cv_init(struct rumpuser_cv **cvp);
void rumpuser_cv_destroy(struct rumpuser_cv *cv);
/* Atomically releases mtx and waits; retakes mtx (and the CPU) before
 * returning: for a SPIN|KMUTEX mutex the CPU first, for a pure SPIN mutex
 * the mutex first. */
void rumpuser_cv_wait(struct rumpuser_cv *cv, struct rumpuser_mtx *mtx);
void rumpuser_cv_wait_nowrap(struct rumpuser_cv *cv, struct rumpuser_mtx *mtx);
/* Relative timeout; 0 when signalled, ETIMEDOUT (60) on timeout.  As for
 * rumpuser_clock_sleep, sec+nsec may be denormalised and saturates. */
int rumpuser_cv_timedwait(struct rumpuser_cv *cv, struct rumpuser_mtx *mtx,
    int64_t sec, int64_t nsec);
void rumpuser_cv_signal(struct rumpuser_cv *cv);
void rumpuser_cv_broadcast(struct rumpuser_cv *cv);
void rumpuser_cv_has_waiters(struct rumpuser_cv *cv, int *waitersp);

/*
 * Dynamic components: hands the kernel every module and component found in
 * the loaded objects, shared libraries included.
 */
typedef void (*rump_modinit_fn)(const struct modinfo *const *, size_t);
typedef int (*rump_symload_fn)(void *, uint64_t, char *, uint64_t);
typedef void (*rump_compload_fn)(const struct rump_component *);
void rumpuser_dl_bootstrap(rump_modinit_fn domodinit,
    rump_symload_fn symload, rump_compload_fn compload);

/* Detach from the terminal: begin before init work, done with its result. */
int rumpuser_daemonize_begin(void);
int rumpuser_daemonize_done(int error);

/*
 * Sysproxy: the server side of remote system calls.
 */
int rumpuser_sp_init(const char *url, const char *ostype,
    const char *osrelease, const char *machine);
int rumpuser_sp_copyin(void *client, const void *raddr, void *laddr,
    size_t len);
int rumpuser_sp_copyinstr(void *client, const void *raddr, void *laddr,
    size_t *lenp);
int rumpuser_sp_copyout(void *client, const void *laddr, void *raddr,
    size_t len);
int rumpuser_sp_copyoutstr(void *client, const void *laddr, void *raddr,
    size_t *lenp);
int rumpuser_sp_anonmmap(void *client, size_t len, void **addrp);
int rumpuser_sp_raise(void *client, int signo);
void rumpuser_sp_fini(void *arg);

#endif /* RUMP_RUMPUSER_H */
