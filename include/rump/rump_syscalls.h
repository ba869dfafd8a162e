/*
 * rump_syscalls.h: system calls of a strata rump kernel.
 *
 * The kernel implements the Linux system call ABI of the architecture it
 * was built for (x86_64, aarch64, riscv64): numbers, flag values (O_*, AT_*, ...),
 * errno values and structure layouts (struct stat, statfs, iovec,
 * timespec, linux_dirent64) are those of Linux there, i.e. the same as the
 * host's <sys/stat.h>, <fcntl.h>, <sys/syscall.h> on a Linux host of that
 * architecture.  The typed calls below exist on every architecture, even
 * where Linux has only the *at form (aarch64 has no open, stat, mkdir,
 * dup2, ... numbers: rump_sys_open() calls openat there, and so on).
 *
 * Two ways in:
 *  - rump_sys_<name>(): typed; returns -1 and sets errno in the calling
 *    host thread on error, like the libc wrapper of the same name.  The
 *    number is stored by the platform's rumpuser_seterrno(), which
 *    rumpuser(3) v17 hands NetBSD numbering, so which numbering the
 *    caller sees depends on the platform:
 *      strata's posix and fiber platforms: the host's (Linux) numbers,
 *        the same as <errno.h> (ENOTEMPTY is 39);
 *      another rumpuser v17 implementation, such as NetBSD's
 *        librumpuser on Linux: NetBSD's numbers as they are (ENOTEMPTY
 *        is 66); 1..34 agree in both except 11 (EAGAIN).
 *    A caller that must not depend on the platform uses rump_syscall().
 *  - rump_syscall(nr, args, retval): the one numeric entry (used by the
 *    sysproxy server, the hijack library, the unikernel trap).  args
 *    points to six longs; returns 0 or a positive Linux errno on every
 *    platform; retval[0] holds the result.  Unknown numbers give ENOSYS.
 *    A call interrupted by rump_lwp_interrupt() (rump.h) that Linux
 *    would restart under SA_RESTART gives ERESTARTSYS (512) here, EINTR
 *    through the typed functions.
 *
 * Includes nothing: include <stdint.h> and <sys/types.h> first.
 */
#ifndef RUMP_RUMP_SYSCALLS_H
#define RUMP_RUMP_SYSCALLS_H

struct stat;
struct statfs;
struct iovec;
struct timespec;
struct timeval;
struct utsname;
struct sockaddr;
struct msghdr;
struct mmsghdr;
struct pollfd;
struct epoll_event;
struct statx;

int	rump_syscall(int nr, void *args, long *retval);

/* Files and descriptors */
int	rump_sys_open(const char *path, int flags, ...);
int	rump_sys_openat(int dirfd, const char *path, int flags, ...);
int	rump_sys_close(int fd);
ssize_t	rump_sys_read(int fd, void *buf, size_t len);
ssize_t	rump_sys_write(int fd, const void *buf, size_t len);
ssize_t	rump_sys_pread64(int fd, void *buf, size_t len, int64_t off);
ssize_t	rump_sys_pwrite64(int fd, const void *buf, size_t len, int64_t off);
ssize_t	rump_sys_readv(int fd, const struct iovec *iov, int iovcnt);
ssize_t	rump_sys_writev(int fd, const struct iovec *iov, int iovcnt);
int64_t	rump_sys_lseek(int fd, int64_t off, int whence);
int	rump_sys_dup(int fd);
int	rump_sys_dup2(int oldfd, int newfd);
int	rump_sys_dup3(int oldfd, int newfd, int flags);
int	rump_sys_fcntl(int fd, int cmd, ...);
int	rump_sys_pipe2(int fds[2], int flags);
/* FIONREAD (files: bytes past the offset; pipes and sockets: bytes
 * queued), FIONBIO, FIOCLEX, FIONCLEX; ENOTTY for others. */
int	rump_sys_ioctl(int fd, unsigned long cmd, void *arg);
int	rump_sys_fsync(int fd);
int	rump_sys_fdatasync(int fd);
int	rump_sys_truncate(const char *path, int64_t len);
int	rump_sys_ftruncate(int fd, int64_t len);
ssize_t	rump_sys_getdents64(int fd, void *buf, size_t len);
/* mode 0, FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE|KEEP_SIZE (tmpfs). */
int	rump_sys_fallocate(int fd, int mode, int64_t off, int64_t len);
int	rump_sys_sync_file_range(int fd, int64_t off, int64_t nbytes,
	    unsigned int flags);
ssize_t	rump_sys_copy_file_range(int fdin, int64_t *offin, int fdout,
	    int64_t *offout, size_t len, unsigned int flags);

/* Attributes */
int	rump_sys_statx(int dirfd, const char *path, int flags,
	    unsigned int mask, struct statx *stx);
int	rump_sys_stat(const char *path, struct stat *st);
int	rump_sys_lstat(const char *path, struct stat *st);
int	rump_sys_fstat(int fd, struct stat *st);
int	rump_sys_newfstatat(int dirfd, const char *path, struct stat *st,
	    int flags);
int	rump_sys_statfs(const char *path, struct statfs *sf);
int	rump_sys_fstatfs(int fd, struct statfs *sf);
int	rump_sys_access(const char *path, int mode);
int	rump_sys_faccessat(int dirfd, const char *path, int mode, int flags);
int	rump_sys_chmod(const char *path, uint32_t mode);
int	rump_sys_fchmod(int fd, uint32_t mode);
int	rump_sys_fchmodat(int dirfd, const char *path, uint32_t mode,
	    int flags);
int	rump_sys_chown(const char *path, uint32_t uid, uint32_t gid);
int	rump_sys_lchown(const char *path, uint32_t uid, uint32_t gid);
int	rump_sys_fchown(int fd, uint32_t uid, uint32_t gid);
int	rump_sys_fchownat(int dirfd, const char *path, uint32_t uid,
	    uint32_t gid, int flags);
int	rump_sys_utimensat(int dirfd, const char *path,
	    const struct timespec times[2], int flags);
uint32_t rump_sys_umask(uint32_t mask);
/* Extended attributes: "user." and "trusted." (root only) names on
 * tmpfs and ext2; ENOTSUP (EOPNOTSUPP) for other namespaces and file
 * systems without them. */
int	rump_sys_setxattr(const char *path, const char *name,
	    const void *value, size_t size, int flags);
int	rump_sys_lsetxattr(const char *path, const char *name,
	    const void *value, size_t size, int flags);
int	rump_sys_fsetxattr(int fd, const char *name, const void *value,
	    size_t size, int flags);
ssize_t	rump_sys_getxattr(const char *path, const char *name, void *value,
	    size_t size);
ssize_t	rump_sys_lgetxattr(const char *path, const char *name, void *value,
	    size_t size);
ssize_t	rump_sys_fgetxattr(int fd, const char *name, void *value,
	    size_t size);
ssize_t	rump_sys_listxattr(const char *path, char *list, size_t size);
ssize_t	rump_sys_llistxattr(const char *path, char *list, size_t size);
ssize_t	rump_sys_flistxattr(int fd, char *list, size_t size);
int	rump_sys_removexattr(const char *path, const char *name);
int	rump_sys_lremovexattr(const char *path, const char *name);
int	rump_sys_fremovexattr(int fd, const char *name);

/* Names */
int	rump_sys_mkdir(const char *path, uint32_t mode);
int	rump_sys_mkdirat(int dirfd, const char *path, uint32_t mode);
/* Regular files, FIFOs, sockets; device nodes (root only) open with
 * ENXIO: the kernel has no devices behind them. */
int	rump_sys_mknod(const char *path, uint32_t mode, uint64_t dev);
int	rump_sys_mknodat(int dirfd, const char *path, uint32_t mode,
	    uint64_t dev);
int	rump_sys_rmdir(const char *path);
int	rump_sys_unlink(const char *path);
int	rump_sys_unlinkat(int dirfd, const char *path, int flags);
int	rump_sys_rename(const char *from, const char *to);
int	rump_sys_renameat(int fromfd, const char *from, int tofd,
	    const char *to);
int	rump_sys_renameat2(int fromfd, const char *from, int tofd,
	    const char *to, unsigned int flags);
int	rump_sys_link(const char *target, const char *path);
int	rump_sys_linkat(int fromfd, const char *from, int tofd,
	    const char *to, int flags);
int	rump_sys_symlink(const char *target, const char *path);
int	rump_sys_symlinkat(const char *target, int dirfd, const char *path);
ssize_t	rump_sys_readlink(const char *path, char *buf, size_t len);
ssize_t	rump_sys_readlinkat(int dirfd, const char *path, char *buf,
	    size_t len);
int	rump_sys_chdir(const char *path);
int	rump_sys_fchdir(int fd);
/* Returns the length including the NUL, like the Linux system call. */
int	rump_sys_getcwd(char *buf, size_t len);

/* File systems */
int	rump_sys_mount(const char *source, const char *target,
	    const char *fstype, unsigned long flags, const void *data);
int	rump_sys_umount2(const char *target, int flags);
void	rump_sys_sync(void);

/* Process identity */
int	rump_sys_getpid(void);
int	rump_sys_getppid(void);
uint32_t rump_sys_getuid(void);
uint32_t rump_sys_geteuid(void);
uint32_t rump_sys_getgid(void);
uint32_t rump_sys_getegid(void);
int	rump_sys_setuid(uint32_t uid);
int	rump_sys_setgid(uint32_t gid);
int	rump_sys_getgroups(int size, uint32_t *list);
int	rump_sys_setgroups(size_t size, const uint32_t *list);

/*
 * Time.  Clocks: CLOCK_REALTIME (0) and _COARSE (5) read the host's wall
 * clock; CLOCK_MONOTONIC (1), _RAW (4), _COARSE (6) and CLOCK_BOOTTIME
 * (7) its monotonic clock (a rump kernel never suspends); any other clock
 * is EINVAL.  Sleeps give up the virtual CPU: other threads run meanwhile.
 * Relative sleeps are measured on the monotonic clock.
 */
int	rump_sys_clock_gettime(int clk, struct timespec *ts);
int	rump_sys_clock_getres(int clk, struct timespec *res);
/* tz, when not NULL, gets a zeroed struct timezone (UTC). */
int	rump_sys_gettimeofday(struct timeval *tv, void *tz);
/* EINVAL when tv_nsec is outside 0..999999999 or tv_sec is negative;
 * rem is left alone (a sleep is never interrupted yet). */
int	rump_sys_nanosleep(const struct timespec *req, struct timespec *rem);
/* flags 0 (relative) or TIMER_ABSTIME (1); clk CLOCK_REALTIME,
 * CLOCK_MONOTONIC or CLOCK_BOOTTIME (the _RAW and _COARSE clocks give
 * EOPNOTSUPP, others EINVAL).  Like the libc function, returns 0 or the
 * error number itself (Linux numbering), never -1, and leaves errno
 * alone. */
int	rump_sys_clock_nanosleep(int clk, int flags, const struct timespec *req,
	    struct timespec *rem);

/* Scheduling */
/* Gives the calling thread's virtual CPU to a thread waiting for one, if
 * any, and takes one back. */
int	rump_sys_sched_yield(void);
/* Writes a mask with one bit per virtual CPU (RUMP_NCPU) for process pid
 * (0: the caller).  Returns the number of bytes written, like the Linux
 * system call (the libc wrapper returns 0 and zeroes the rest of the
 * buffer); len must be a multiple of 8 that holds every CPU (EINVAL). */
int	rump_sys_sched_getaffinity(int pid, size_t len, void *mask);

/* Random numbers, from the kernel's generator.  flags: GRND_NONBLOCK
 * (1), GRND_RANDOM (2), GRND_INSECURE (4), never both of the last two
 * (EINVAL); the generator never blocks.  Returns the bytes written. */
ssize_t	rump_sys_getrandom(void *buf, size_t len, unsigned int flags);

/* System identity.  uname(): sysname "Linux" (the ABI implemented),
 * nodename the kernel's host name (parameter RUMP_HOSTNAME on POSIX
 * hosts, else the platform's default), release "6.1.0-strata", machine
 * the target ("x86_64", "aarch64", "riscv64"), domainname "(none)".  sethostname()
 * changes the name for the whole kernel: root only (EPERM), at most 64
 * bytes (EINVAL). */
int	rump_sys_uname(struct utsname *u);
int	rump_sys_sethostname(const char *name, size_t len);

/* The kernel's messages (what its console printed, the last 16 KiB), as
 * Linux's syslog(2) (glibc: klogctl) gives them: lines "<4>text\n".
 * type 3 (SYSLOG_ACTION_READ_ALL) copies into buf the messages since the
 * last clear that fit in len bytes, whole lines when older ones are left
 * out, and returns the bytes copied; 4 (READ_CLEAR) then clears; 5
 * (CLEAR) only clears; 9 (SIZE_UNREAD) returns the bytes held; 10
 * (SIZE_BUFFER) the buffer's size; 0 and 1 do nothing.  3 and 10 are
 * for anyone, the others for root (EPERM).  2 (READ, which waits) and
 * the console level calls (6, 7, 8) are not implemented: EINVAL. */
int	rump_sys_syslog(int type, char *buf, int len);

/*
 * Sockets (librumpnet), Linux semantics and errors.  Local sockets
 * (AF_UNIX: SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET) bound to paths in
 * the kernel's file system or to abstract names; SCM_RIGHTS passes
 * descriptors between rump processes, SCM_CREDENTIALS and SO_PEERCRED
 * carry pid/uid/gid.  There are no signals: EPIPE never raises SIGPIPE
 * (MSG_NOSIGNAL is accepted and changes nothing) and sleeps are never
 * interrupted.  rump_sys_send/recv are sendto/recvfrom without an
 * address, as in libc.
 */
int	rump_sys_socket(int family, int type, int proto);
int	rump_sys_socketpair(int family, int type, int proto, int sv[2]);
int	rump_sys_bind(int fd, const struct sockaddr *addr, uint32_t len);
int	rump_sys_listen(int fd, int backlog);
int	rump_sys_accept(int fd, struct sockaddr *addr, uint32_t *lenp);
int	rump_sys_accept4(int fd, struct sockaddr *addr, uint32_t *lenp,
	    int flags);
int	rump_sys_connect(int fd, const struct sockaddr *addr, uint32_t len);
ssize_t	rump_sys_send(int fd, const void *buf, size_t len, int flags);
ssize_t	rump_sys_sendto(int fd, const void *buf, size_t len, int flags,
	    const struct sockaddr *addr, uint32_t addrlen);
ssize_t	rump_sys_sendmsg(int fd, const struct msghdr *msg, int flags);
int	rump_sys_sendmmsg(int fd, struct mmsghdr *msgs, unsigned int vlen,
	    int flags);
ssize_t	rump_sys_recv(int fd, void *buf, size_t len, int flags);
ssize_t	rump_sys_recvfrom(int fd, void *buf, size_t len, int flags,
	    struct sockaddr *addr, uint32_t *addrlen);
ssize_t	rump_sys_recvmsg(int fd, struct msghdr *msg, int flags);
int	rump_sys_recvmmsg(int fd, struct mmsghdr *msgs, unsigned int vlen,
	    int flags, struct timespec *timeout);
int	rump_sys_shutdown(int fd, int how);
int	rump_sys_getsockname(int fd, struct sockaddr *addr, uint32_t *lenp);
int	rump_sys_getpeername(int fd, struct sockaddr *addr, uint32_t *lenp);
int	rump_sys_setsockopt(int fd, int level, int name, const void *val,
	    uint32_t len);
int	rump_sys_getsockopt(int fd, int level, int name, void *val,
	    uint32_t *lenp);

/*
 * Readiness of any descriptor (files, pipes, sockets, eventfd, epoll).
 * Files of file systems are always ready (and refused by epoll_ctl with
 * EPERM), as on Linux.  Timeouts run on the kernel's clock; signal masks
 * must have the kernel's size (8) and are otherwise ignored (the host
 * delivers signals; a wait ends with EINTR when rump_lwp_interrupt()
 * interrupts it).  rump_sys_poll, rump_sys_select and rump_sys_epoll_wait
 * go through ppoll, pselect6 and epoll_pwait (the only forms aarch64
 * has).  struct epoll_event is the host's (packed on x86_64).
 */
int	rump_sys_poll(struct pollfd *fds, unsigned long nfds, int timeout);
int	rump_sys_ppoll(struct pollfd *fds, unsigned long nfds,
	    struct timespec *timeout, const void *sigmask, size_t sigsetsize);
int	rump_sys_select(int nfds, void *rd, void *wr, void *ex,
	    struct timeval *timeout);
int	rump_sys_pselect6(int nfds, void *rd, void *wr, void *ex,
	    struct timespec *timeout, const void *sigdata);
int	rump_sys_epoll_create1(int flags);
int	rump_sys_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev);
int	rump_sys_epoll_wait(int epfd, struct epoll_event *evs, int maxevents,
	    int timeout);
int	rump_sys_epoll_pwait(int epfd, struct epoll_event *evs,
	    int maxevents, int timeout, const void *sigmask,
	    size_t sigsetsize);
/* flags: EFD_SEMAPHORE (1), EFD_NONBLOCK, EFD_CLOEXEC. */
int	rump_sys_eventfd2(unsigned int initval, int flags);

#endif /* RUMP_RUMP_SYSCALLS_H */
