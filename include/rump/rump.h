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
