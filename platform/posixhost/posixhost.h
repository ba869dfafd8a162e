/*
 * posixhost.h: host code shared by the platforms that run in a POSIX
 * process (platform/posix, platform/fiber).  Never installed.
 *
 * platform/posixhost is not a platform: it has no Makefile, builds no
 * library of its own, and is compiled into each platform that names it in
 * PLATFORM_SRCDIRS.  It holds what such a platform does with its host
 * that does not depend on how the platform runs threads: translating
 * errors and signals, files by path, transfers on descriptors, the host
 * process, parameters from the environment, entropy.
 *
 * Rules for every function below:
 *  - An int result is 0 or a NetBSD errno value, as rumpuser(3) returns
 *    them: the translation from host errno happens here, in one place
 *    (posixhost_errno.c).
 *  - Each may block the calling host thread (a slow disk, a network file
 *    system, an unseeded entropy pool).  None touches the rump virtual CPU:
 *    a platform that releases it around blocking calls does so around
 *    these.
 *  - Internal symbols use the rumpuser__posixhost_ prefix and hidden
 *    visibility: a platform's shared library exports exactly rumpuser(3),
 *    and a program that links a platform's static archive sees no new
 *    names outside rumpuser*.
 *
 * The header includes <stddef.h>, <stdint.h>, <sys/types.h> and
 * <rump/rumpuser.h>.
 */
#ifndef RUMPUSER_POSIXHOST_H
#define RUMPUSER_POSIXHOST_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>		/* pid_t, which rump/rumpuser.h uses */

#include <rump/rumpuser.h>

#define RUMPUSER__HIDDEN	__attribute__((__visibility__("hidden")))

/* NetBSD errno values the platforms return themselves. */
#define RUMPUSER__NB_ENOENT	2
#define RUMPUSER__NB_EIO	5
#define RUMPUSER__NB_ENXIO	6
#define RUMPUSER__NB_E2BIG	7
#define RUMPUSER__NB_ENOMEM	12
#define RUMPUSER__NB_EFAULT	14
#define RUMPUSER__NB_EBUSY	16
#define RUMPUSER__NB_EINVAL	22
#define RUMPUSER__NB_EMSGSIZE	40
#define RUMPUSER__NB_EAGAIN	35
#define RUMPUSER__NB_EOPNOTSUPP	45
#define RUMPUSER__NB_ENOBUFS	55
#define RUMPUSER__NB_ETIMEDOUT	60

/*
 * Numbering (posixhost_errno.c, the only place that knows both).
 */

/* Host errno -> NetBSD errno; 0 stays 0.  Host errors without a NetBSD
 * equivalent become EIO 5, the answer a NetBSD caller already handles for
 * "the host failed". */
int rumpuser__posixhost_errno_to_netbsd(int hosterror) RUMPUSER__HIDDEN;
/* NetBSD errno -> host errno; 0 stays 0.  NetBSD-only errors become the
 * nearest host meaning; unknown values become host EIO. */
int rumpuser__posixhost_errno_from_netbsd(int nberror) RUMPUSER__HIDDEN;
/* NetBSD signal -> host signal; 0 (the "does it exist" probe) stays 0.
 * Signals the host lacks (SIGEMT, SIGINFO on Linux) and values out of
 * range give -1. */
int rumpuser__posixhost_signal_from_netbsd(int nbsig) RUMPUSER__HIDDEN;

/*
 * Files by host path (posixhost_file.c).
 */

/* rumpuser_open(): opens name with mode RUMPUSER_OPEN_* (CREATE makes it
 * 0644 before the umask; BIO is advisory and changes nothing).  The
 * descriptor is close-on-exec: it is the rump kernel's, not for programs
 * the host process starts.  Sets *fdp; EINVAL for a bad access mode. */
int rumpuser__posixhost_open(const char *name, int mode, int *fdp)
    RUMPUSER__HIDDEN;
/* Closes fd.  EINTR counts as success: the descriptor is gone anyway, and
 * a retry could close one that another thread has just been given. */
int rumpuser__posixhost_close(int fd) RUMPUSER__HIDDEN;
/* rumpuser_getfileinfo(): the RUMPUSER_FT_* type of name and its size in
 * bytes (a regular file's length, a block device's capacity, 0 for
 * anything else).  Either pointer may be NULL; the size of a block device
 * is asked for (opening it) only when size is not. */
int rumpuser__posixhost_fileinfo(const char *name, uint64_t *size,
    int *type) RUMPUSER__HIDDEN;

/*
 * Transfers on descriptors (posixhost_io.c).
 */

/* One readv()/preadv() (writing == 0) or writev()/pwritev() (writing)
 * of iovcnt buffers at off, or at the file position when off is
 * RUMPUSER_IOV_NOSEEK; retried when a signal interrupts it before any
 * byte moved.  Sets *donep to the bytes transferred (short is no error). */
int rumpuser__posixhost_transfer(int fd, int writing,
    const struct rumpuser_iovec *iov, int iovcnt, int64_t off,
    size_t *donep) RUMPUSER__HIDDEN;
/* fdatasync() (dataonly != 0) or fsync() of fd, retried on EINTR. */
int rumpuser__posixhost_sync(int fd, int dataonly) RUMPUSER__HIDDEN;

/*
 * The host process (posixhost_proc.c).
 */

/* rumpuser_kill(): NetBSD signal sig to host process pid, or to this
 * process (raise()) for RUMPUSER_PID_SELF.  EINVAL for a signal the host
 * lacks or a pid that is not a host pid. */
int rumpuser__posixhost_kill(int64_t pid, int sig) RUMPUSER__HIDDEN;
/* Ends the process abnormally (abort(), a core dump) for a panic, after
 * flushing standard output and error so that what the kernel printed
 * before it is kept. */
void rumpuser__posixhost_abort(void)
    RUMPUSER__HIDDEN __attribute__((__noreturn__));
/*
 * rumpuser_daemonize_begin(): forks; the parent waits until the child
 * reports through rumpuser__posixhost_daemonize_done() and exits with the
 * reported NetBSD errno as its status (1 if that is out of range or the
 * child died first), so whoever started the program learns whether the
 * kernel came up.  Returns in the child, a session leader; EINVAL when a
 * daemonization is already under way.  Calls fork(): a platform with
 * host threads of its own must be ready for that.
 */
int rumpuser__posixhost_daemonize_begin(void) RUMPUSER__HIDDEN;
/* rumpuser_daemonize_done(): reports error to the waiting parent; on
 * success first points standard input, output and error at /dev/null.
 * EINVAL without a _begin; a failure to report is returned. */
int rumpuser__posixhost_daemonize_done(int error) RUMPUSER__HIDDEN;

/*
 * Parameters (posixhost_param.c).
 */

/*
 * Copies the value of environment variable name, with its NUL, to buf.
 * Names starting with '_' are never looked up in the environment (the host
 * must not fake the platform's reserved names); of those only
 * "_RUMPUSER_HOSTNAME" has a value, this instance's default name
 * "rump-<pid>".  Returns 0, ENOENT when there is no value, or E2BIG when
 * it does not fit in buflen (nothing copied: a cut value would be misread).
 */
int rumpuser__posixhost_param(const char *name, char *buf, size_t buflen)
    RUMPUSER__HIDDEN;
/* Copies value, with its NUL, to buf: 0, or E2BIG (nothing copied) when
 * buf is NULL or buflen too small. */
int rumpuser__posixhost_param_put(const char *value, void *buf,
    size_t buflen) RUMPUSER__HIDDEN;

/*
 * Entropy (posixhost_random.c).
 */

/* rumpuser_getrandom(): up to len bytes from the host's getrandom() into
 * buf, *gotp set to how many.  With RUMPUSER_RANDOM_NOWAIT one attempt,
 * without blocking: what is available now, or EAGAIN.  Otherwise it
 * blocks until len bytes have come (the pool may still be unseeded early
 * in a machine's boot); an error after some bytes is a short success.
 * RUMPUSER_RANDOM_HARD asks for the host's blocking pool. */
int rumpuser__posixhost_random(void *buf, size_t len, int flags,
    size_t *gotp) RUMPUSER__HIDDEN;

/*
 * Fault-catching copies (posixhost_fcopy.c), which define the public
 * rumpuser_fcopy*() of <rump/rumpuser_fcopy.h>.
 */

/* Installs the SIGSEGV/SIGBUS handler the copies rely on, keeping the
 * dispositions it replaces to pass other faults on to.  Once per process
 * (later calls do nothing); the platform calls it from rumpuser_init(),
 * which also links the copies in: the kernel refers to them only weakly,
 * which would not pull them out of a static archive. */
void rumpuser__posixhost_fcopy_init(void) RUMPUSER__HIDDEN;

/*
 * The shared-memory bus (rump/rumpuser_shmif.h), host half: the mapping of
 * the bus file and the two ways a waiter can be woken (posixhost_shmif.c):
 * a futex on the word (posix's waiters), and a change notification, an
 * inotify descriptor that polls readable after a ring (fiber's waiters,
 * which must not block the host thread).
 */
struct rumpuser__posixhost_shmif {
	int	 sh_fd;		/* the bus file */
	int	 sh_ifd;	/* inotify, non-blocking; -1 when not asked */
	void	*sh_mem;
	size_t	 sh_size;
};
/* notify: also arm the change notification (sh_ifd). */
int rumpuser__posixhost_shmif_map(const char *path, size_t size, int notify,
    struct rumpuser__posixhost_shmif *sh) RUMPUSER__HIDDEN;
/* Consumes the notifications that have arrived (never blocks). */
void rumpuser__posixhost_shmif_drain(struct rumpuser__posixhost_shmif *sh)
    RUMPUSER__HIDDEN;
/* Wakes the futex waiters on word and, when there were none (the
 * sleeper may be one that waits for the notification), notifies every
 * watcher of the file. */
void rumpuser__posixhost_shmif_wake(struct rumpuser__posixhost_shmif *sh,
    volatile uint32_t *word) RUMPUSER__HIDDEN;
/* Sleeps in futex(2) while *word == old, at most timeout_ns: 0 (woken,
 * changed, or interrupted) or ETIMEDOUT (NetBSD numbers). */
int rumpuser__posixhost_shmif_futex_wait(const volatile uint32_t *word,
    uint32_t old, uint64_t timeout_ns) RUMPUSER__HIDDEN;
void rumpuser__posixhost_shmif_unmap(struct rumpuser__posixhost_shmif *sh)
    RUMPUSER__HIDDEN;

/*
 * TAP devices, the host half of the virtif module (rump/rumpuser_virtif.h)
 * that platform/posix and platform/fiber share (posixhost_tap.c).  The
 * descriptor is non-blocking: a platform waits for it to poll readable in
 * its own way.
 */
#define RUMPUSER__TAP_BUFSIZE	(65536 + 256)	/* any frame a TAP passes */
struct rumpuser__posixhost_tap {
	int	 tp_fd;		/* /dev/net/tun, attached, non-blocking */
	uint32_t tp_mtu;	/* the host interface's MTU */
	uint32_t tp_have;	/* RUMPUSER_VIRTIF_OFF_* granted */
	uint8_t	*tp_buf;	/* RUMPUSER__TAP_BUFSIZE bytes for reads */
};
/* Attaches to (or, when allowed, creates) TAP device name as an Ethernet
 * device without packet information; reads its MTU.  want: the
 * RUMPUSER_VIRTIF_OFF_* offloads the kernel can use; tp_have gets those
 * the device was set up for (IFF_VNET_HDR, TUNSETOFFLOAD). */
int rumpuser__posixhost_tap_open(const char *name, uint32_t want,
    struct rumpuser__posixhost_tap *tp) RUMPUSER__HIDDEN;
/* Writes one frame; never blocks.  0, ENOBUFS (queue full or link down:
 * dropped), EMSGSIZE, ENXIO (the device is gone). */
int rumpuser__posixhost_tap_send(struct rumpuser__posixhost_tap *tp,
    const struct rumpuser_iovec *iov, size_t iovcnt) RUMPUSER__HIDDEN;
/* Reads one frame into tp_buf, never blocking: 0 with *lenp its length,
 * EAGAIN when none is there, ENXIO when the device is gone. */
int rumpuser__posixhost_tap_read(struct rumpuser__posixhost_tap *tp,
    size_t *lenp) RUMPUSER__HIDDEN;
void rumpuser__posixhost_tap_close(struct rumpuser__posixhost_tap *tp)
    RUMPUSER__HIDDEN;

#endif /* RUMPUSER_POSIXHOST_H */
