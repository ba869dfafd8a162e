/*
 * rumpclient_special.c: the typed calls that are more than "pass the
 * arguments to SYS_<name>" (the others are generated: gen-syscalls.sh).
 *
 * They do exactly what the in-process kernel's typed calls do, so that a
 * program behaves the same in-process and remotely: the calls that have
 * only an *at form on some architectures (aarch64, riscv64) always use
 * that form (renameat: renameat2, which riscv64 has alone),
 * and the ones with variable arguments read them as the kernel's do.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/types.h>
#include <poll.h>
#include <time.h>

#include <rump/rump_syscalls.h>

#include "rumpclient_private.h"

#define T(nr, a, b, c, d, e, f)	rumpclient__typed(nr, (long)(a), (long)(b), \
	(long)(c), (long)(d), (long)(e), (long)(f))

int
rump_sys_open(const char *path, int flags, ...)
{
	unsigned int mode = 0;
	va_list ap;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = va_arg(ap, unsigned int);
		va_end(ap);
	}
	return (int)T(SYS_openat, AT_FDCWD, path, flags, mode, 0, 0);
}

int
rump_sys_openat(int dirfd, const char *path, int flags, ...)
{
	unsigned int mode = 0;
	va_list ap;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = va_arg(ap, unsigned int);
		va_end(ap);
	}
	return (int)T(SYS_openat, dirfd, path, flags, mode, 0, 0);
}

int
rump_sys_fcntl(int fd, int cmd, ...)
{
	va_list ap;
	long arg = 0;

	/* Only the commands that take an argument have one to read. */
	if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC || cmd == F_SETFD ||
	    cmd == F_SETFL) {
		va_start(ap, cmd);
		arg = va_arg(ap, int);
		va_end(ap);
	}
	return (int)T(SYS_fcntl, fd, cmd, arg, 0, 0, 0);
}

int
rump_sys_dup2(int oldfd, int newfd)
{

	/* dup3 refuses equal descriptors; dup2 only checks oldfd. */
	if (oldfd == newfd) {
		if (T(SYS_fcntl, oldfd, F_GETFD, 0, 0, 0, 0) == -1)
			return -1;
		return newfd;
	}
	return (int)T(SYS_dup3, oldfd, newfd, 0, 0, 0, 0);
}

int
rump_sys_stat(const char *path, struct stat *st)
{

	return (int)T(SYS_newfstatat, AT_FDCWD, path, st, 0, 0, 0);
}

int
rump_sys_lstat(const char *path, struct stat *st)
{

	return (int)T(SYS_newfstatat, AT_FDCWD, path, st, AT_SYMLINK_NOFOLLOW,
	    0, 0);
}

int
rump_sys_access(const char *path, int mode)
{

	return (int)T(SYS_faccessat, AT_FDCWD, path, mode, 0, 0, 0);
}

int
rump_sys_chmod(const char *path, uint32_t mode)
{

	return (int)T(SYS_fchmodat, AT_FDCWD, path, mode, 0, 0, 0);
}

int
rump_sys_chown(const char *path, uint32_t uid, uint32_t gid)
{

	return (int)T(SYS_fchownat, AT_FDCWD, path, uid, gid, 0, 0);
}

int
rump_sys_lchown(const char *path, uint32_t uid, uint32_t gid)
{

	return (int)T(SYS_fchownat, AT_FDCWD, path, uid, gid,
	    AT_SYMLINK_NOFOLLOW, 0);
}

int
rump_sys_mkdir(const char *path, uint32_t mode)
{

	return (int)T(SYS_mkdirat, AT_FDCWD, path, mode, 0, 0, 0);
}

int
rump_sys_mknod(const char *path, uint32_t mode, uint64_t dev)
{

	return (int)T(SYS_mknodat, AT_FDCWD, path, mode, (unsigned)dev, 0, 0);
}

int
rump_sys_rmdir(const char *path)
{

	return (int)T(SYS_unlinkat, AT_FDCWD, path, AT_REMOVEDIR, 0, 0, 0);
}

int
rump_sys_unlink(const char *path)
{

	return (int)T(SYS_unlinkat, AT_FDCWD, path, 0, 0, 0, 0);
}

int
rump_sys_rename(const char *from, const char *to)
{

	return (int)T(SYS_renameat2, AT_FDCWD, from, AT_FDCWD, to, 0, 0);
}

/* renameat2, which every target has: riscv64 has no renameat. */
int
rump_sys_renameat(int fromfd, const char *from, int tofd, const char *to)
{

	return (int)T(SYS_renameat2, fromfd, from, tofd, to, 0, 0);
}

int
rump_sys_link(const char *target, const char *path)
{

	return (int)T(SYS_linkat, AT_FDCWD, target, AT_FDCWD, path, 0, 0);
}

int
rump_sys_symlink(const char *target, const char *path)
{

	return (int)T(SYS_symlinkat, target, AT_FDCWD, path, 0, 0, 0);
}

ssize_t
rump_sys_readlink(const char *path, char *buf, size_t len)
{

	return (ssize_t)T(SYS_readlinkat, AT_FDCWD, path, buf, len, 0, 0);
}

int
rump_sys_clock_nanosleep(int clk, int flags, const struct timespec *req,
    struct timespec *rem)
{
	int saved = errno, error = 0;

	/* Like the libc function: the error number itself, errno kept. */
	if (T(SYS_clock_nanosleep, clk, flags, req, rem, 0, 0) == -1)
		error = errno;
	errno = saved;
	return error;
}

/* send/recv are libc's: sendto/recvfrom without an address. */
ssize_t
rump_sys_send(int fd, const void *buf, size_t len, int flags)
{

	return (ssize_t)T(SYS_sendto, fd, buf, len, flags, 0, 0);
}

ssize_t
rump_sys_recv(int fd, void *buf, size_t len, int flags)
{

	return (ssize_t)T(SYS_recvfrom, fd, buf, len, flags, 0, 0);
}

/* poll, select and epoll_wait through the forms every architecture has,
 * as the kernel's own typed calls do. */
int
rump_sys_poll(struct pollfd *fds, unsigned long nfds, int timeout)
{
	struct timespec ts, *tsp = NULL;

	if (timeout >= 0) {
		ts.tv_sec = timeout / 1000;
		ts.tv_nsec = (timeout % 1000) * 1000000L;
		tsp = &ts;
	}
	return (int)T(SYS_ppoll, fds, nfds, tsp, 0, 0, 0);
}

int
rump_sys_select(int nfds, void *rd, void *wr, void *ex, struct timeval *tv)
{
	struct timespec ts, *tsp = NULL;
	int r;

	if (tv != NULL) {
		if (tv->tv_sec < 0 || tv->tv_usec < 0) {
			errno = EINVAL;
			return -1;
		}
		ts.tv_sec = tv->tv_sec + tv->tv_usec / 1000000;
		ts.tv_nsec = (tv->tv_usec % 1000000) * 1000;
		tsp = &ts;
	}
	r = (int)T(SYS_pselect6, nfds, rd, wr, ex, tsp, 0);
	if (tv != NULL) {
		tv->tv_sec = ts.tv_sec;
		tv->tv_usec = ts.tv_nsec / 1000;
	}
	return r;
}

int
rump_sys_epoll_wait(int epfd, struct epoll_event *evs, int maxevents,
    int timeout)
{

	return (int)T(SYS_epoll_pwait, epfd, evs, maxevents, timeout, 0, 0);
}
