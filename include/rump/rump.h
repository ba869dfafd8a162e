/*
 * rump.h: the public interface of a strata rump kernel (layer 1) for the
 * programs that host it.
 *
 * Like rumpuser.h this header includes nothing: include <stdint.h> and
 * <sys/types.h> (or the kernel's own kern/types.h) first.
 *
 * Every function here may be called from any host thread; each takes a
 * virtual CPU for the duration of the call.  Errors are positive errno
 * values in Linux numbering.  (The errno that rump_sys_*() set depends on
 * the platform: rump_syscalls.h says which numbering each one gives.)
 */
#ifndef RUMP_RUMP_H
#define RUMP_RUMP_H

struct lwp;

/*
 * Boots the kernel: hypercall init, parameters, memory, the components
 * linked in (base, VFS, file systems...), a tmpfs root when tmpfs is
 * linked in, proc0 (pid 0, kernel threads) and proc1 (pid 1, "init").
 * Host threads with no lwp bound make system calls as temporary lwps of
 * proc1.  Idempotent: a second call returns 0.
 * Parameters (environment on POSIX): RUMP_NCPU (virtual CPUs),
 * RUMP_VERBOSE (boot messages), RUMP_MEMLIMIT (bytes, k/m/g suffix: kernel
 * allocations past it fail with ENOMEM).
 * Returns 0 or an errno.
 */
int	rump_init(void);

/* Take / give up a virtual CPU for the calling host thread.  Only needed
 * around direct calls into kernel internals; the public API does it. */
void	rump_schedule(void);
void	rump_unschedule(void);

/*
 * Processes and lwps (rump lwproc semantics).
 *
 * rump_lwproc_rfork(flags): creates a child of the current process with a
 * new lwp and binds that lwp to the calling host thread.  flags:
 * RUMP_RFFDG copies the descriptor table, RUMP_RFCFDG gives an empty one,
 * 0 shares the parent's table.  Credentials, cwd and umask are inherited.
 * Returns 0 or an errno (EINVAL for bad flags, ENOMEM).
 */
#define RUMP_RFFDG	0x04
#define RUMP_RFCFDG	0x1000
int	rump_lwproc_rfork(int flags);
/* Creates a new lwp in process pid and binds it to the caller (ESRCH when
 * there is no such process). */
int	rump_lwproc_newlwp(int pid);
/* Binds l (NULL: none) to the calling host thread. */
void	rump_lwproc_switch(struct lwp *l);
/* Destroys the lwp bound to the calling host thread; the process goes
 * when its last lwp does, closing its descriptors. */
void	rump_lwproc_releaselwp(void);
/* The lwp bound to the calling host thread, or NULL. */
struct lwp *rump_lwproc_curlwp(void);

/*
 * Interrupting a blocked system call, as a signal interrupts a Linux
 * thread's: for the host that delivers signals to the programs it runs
 * on the kernel (strata-run).
 *
 * rump_lwp_interrupt(l) marks lwp l interrupted.  The interruptible
 * wait l is in ends (a read or write of a pipe, FIFO, eventfd or socket
 * waiting for its peer, accept, connect, a FIFO's open, poll, ppoll,
 * select, pselect6, epoll_wait, nanosleep, clock_nanosleep), and so does
 * every one it enters until the mark is cleared; calls that do not wait
 * go on as usual, as do waits for the kernel's own work (disk I/O).
 * The interrupted call returns what Linux returns to a thread whose
 * signal handler interrupted it: the partial count when it had already
 * transferred something; EINTR for the calls Linux never restarts (poll,
 * ppoll, select, pselect6, epoll_wait, nanosleep and clock_nanosleep,
 * which also write the time left where Linux does, socket calls on a
 * socket with SO_RCVTIMEO or SO_SNDTIMEO, a TCP connect already under
 * way); and for the calls Linux restarts under SA_RESTART, ERESTARTSYS
 * (512, Linux's own internal code) from rump_syscall(): the host makes
 * the call again after a handler with SA_RESTART, else returns EINTR.
 * The typed rump_sys_*() functions give EINTR instead.
 * l must stay alive during the call (bound to a thread that does not
 * release it meanwhile).  Any host thread may call it after rump_init(),
 * with or without an lwp of its own, but not from a signal handler (it
 * takes kernel locks and the virtual CPU).
 *
 * rump_lwp_interrupt_clear(l) removes the mark and returns 1 when it was
 * set (0 otherwise).  The host calls it when it has delivered the signal,
 * as a Linux thread's pending signal is gone once delivered.
 */
void	rump_lwp_interrupt(struct lwp *l);
int	rump_lwp_interrupt_clear(struct lwp *l);

/*
 * Serves this kernel to remote clients (sysproxy, doc/sysproxy.md) at
 * url: "unix://PATH" (a unix socket, created; its file permissions decide
 * who may connect) or "tcp://ADDR:PORT" (ADDR an IPv4 address, e.g.
 * 127.0.0.1; give 0.0.0.0 only on purpose).  Each client becomes its own
 * rump process (own descriptors, cwd, credentials, copied from proc1 like
 * any rfork), released with everything it held when the client
 * disconnects or dies.  Serving happens on the platform's threads; the
 * call returns once the server listens.  Call after rump_init().
 * Returns 0 or an errno: ENXIO before rump_init(), EOPNOTSUPP when the
 * platform has no sysproxy module (posix has one, fiber has not), EINVAL
 * for a bad url, EADDRINUSE, EACCES, ... from the host.
 */
int	rump_init_server(const char *url);

/* Microseconds rump_init() took (0 before boot). */
unsigned long rump_boot_usec(void);

#endif /* RUMP_RUMP_H */
