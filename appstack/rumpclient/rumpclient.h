/*
 * rumpclient.h: librumpclient, the client side of remote system calls
 * (sysproxy; the protocol is doc/sysproxy.md).
 *
 * A program linked with librumpclient instead of a kernel and a platform
 * makes its rump_sys_*() calls (declared by the kernel's
 * <rump/rump_syscalls.h>, same names, same types, same results) on a
 * kernel served by another process (strata-server, or any program that
 * called rump_init_server()).  Switching is relinking:
 *
 *     cc prog.c $(pkg-config --cflags --libs rumpfs_tmpfs rumpuser-posix)  # in-process
 *     cc prog.c $(pkg-config --cflags --libs rumpclient)                   # remote
 *
 * rump_init() is provided too (it is rumpclient_init()), and the first
 * system call connects if nothing did before, so an unchanged program
 * runs remotely with RUMP_SERVER set.
 *
 * Each client process is its own rump process on the server: its own
 * descriptor table, cwd, umask and credentials (those of a fresh child of
 * the server's init: root).  It ends, closing everything it held, when the
 * client exits or its connection is lost.
 *
 * Threads: each thread that makes calls gets a connection of its own, an
 * lwp of the same rump process on the server (same descriptors, cwd,
 * credentials), so threads make calls side by side and one blocked in the
 * kernel (a read of an empty pipe) holds up no other.  A thread's lwp goes
 * when the thread exits.
 *
 * Errors: like the in-process functions, -1 and errno (Linux values).
 * ENOTCONN: no server, or the connection was lost during the call (the
 * server died); EIO: the server broke the protocol (the connection is
 * dropped).  Includes nothing: include <stdint.h> and <sys/types.h>.
 */
#ifndef RUMP_RUMPCLIENT_H
#define RUMP_RUMPCLIENT_H

/*
 * Connects to the server named by the environment variable RUMP_SERVER:
 * "unix://PATH" or "tcp://ADDR:PORT".  Does the handshake, which makes
 * the rump process.  After rumpclient_exec(), adopts the connection that
 * the program before the exec had instead (same rump process).  Returns 0
 * (also when already connected) or -1 with errno: EINVAL (RUMP_SERVER
 * missing or malformed), the host's connect() error (ENOENT, ECONNREFUSED,
 * EACCES: the socket's permissions refused us), EPROTONOSUPPORT (another
 * protocol version), ENOEXEC (a kernel of another architecture).
 */
int	rumpclient_init(void);

/*
 * The numeric entry, as rump_syscall() of the kernel (which librumpclient
 * also provides): nr is the kernel ABI's system call number (the host's
 * SYS_*), args six longs (NULL: all zero), retval[0] the result.
 * Returns 0 or a positive errno; pointers in args are this process's
 * addresses, which the server reads and writes through the connection
 * (EFAULT for a bad one, never a crash).
 */
int	rumpclient_syscall(int nr, const long *args, long *retval);

/*
 * What happens when the connection is lost (the server died or
 * restarted): RUMPCLIENT_RETRYCONN_ONCE (the default): the call that
 * notices fails with ENOTCONN, and each later call tries once to connect
 * again, as a NEW rump process (descriptors and cwd of the old one are
 * gone); RUMPCLIENT_RETRYCONN_NONE: every later call fails with ENOTCONN;
 * a positive number of seconds: like ONCE, but a later call keeps trying
 * that long (every 100 ms) before it gives up.  Returns 0, or -1 with
 * EINVAL for a negative value other than the two constants.
 */
#define RUMPCLIENT_RETRYCONN_ONCE	(-1)
#define RUMPCLIENT_RETRYCONN_NONE	(-2)
int	rumpclient_setconnretry(int how);

/*
 * fork() for a client: the child gets its own rump process, a child of
 * the caller's, with a copy of its descriptor table (same open files,
 * shared offsets), cwd and credentials, and its own connection.  Returns
 * as fork() does.  If the child cannot set up its connection it prints why
 * and exits with status 127 (it never runs without its rump process).
 */
pid_t	rumpclient_fork(void);

/*
 * In a host process forked by a process of the server's own kernel (not
 * a client), which made the child's rump process with a PREFORK of its
 * own (rumpuser_sp_prefork_local(), strata-run without a server):
 * connects to RUMP_SERVER as that process (handshake FORK with cookie,
 * 16 bytes).  Nothing of librumpclient's may have been used before.
 * 0, or -1 and errno (EPERM: an unknown cookie).
 */
int	rumpclient_fork_join(const unsigned char *cookie);

/*
 * execve() for a client: the new program keeps the rump process and its
 * descriptors (the connection is inherited; rumpclient_init() in the new
 * program adopts it) and the server learns its name.  Returns only on
 * failure: -1 and errno.
 */
int	rumpclient_exec(const char *path, char *const argv[],
	    char *const envp[]);

/* The rump pid of this process on the server (0 when not connected). */
int	rumpclient_getpid(void);

/*
 * Interrupting a call, as a signal interrupts a Linux thread's blocked
 * system call (the remote counterpart of rump_lwp_interrupt(), rump.h):
 *
 * rumpclient_curlwp() is the calling thread's handle, valid as long as
 * the thread.  rumpclient_interrupt(l) marks thread l interrupted: the
 * call it is in on the server, if any, is interrupted there (the server
 * calls rump_lwp_interrupt() on the lwp serving it), and so is every
 * call it makes until rumpclient_interrupt_clear(l).  An interrupted
 * call that waits in the kernel (a read of an empty pipe, accept, poll,
 * nanosleep...) ends as rump.h says: the partial count, EINTR, or for
 * the calls Linux restarts under SA_RESTART, ERESTARTSYS (512) from
 * rumpclient_syscall() (the typed rump_sys_*() calls give EINTR); calls
 * that do not wait are not affected.  Returns 0, or -1 with errno: the
 * error of connecting to the server (an interrupt of a call in progress
 * travels on a connection of its own), EPERM (the call's connection is
 * gone), EOPNOTSUPP (the server's kernel cannot interrupt).  Any thread
 * may call it, not a signal handler (it takes a lock and connects).
 *
 * rumpclient_interrupt_clear(l) removes the mark; 1 when it was set.
 */
struct rumpclient_lwp;
struct rumpclient_lwp *rumpclient_curlwp(void);
int	rumpclient_interrupt(struct rumpclient_lwp *l);
int	rumpclient_interrupt_clear(struct rumpclient_lwp *l);

#endif /* RUMP_RUMPCLIENT_H */
