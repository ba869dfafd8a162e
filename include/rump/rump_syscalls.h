/*
 * rump_syscalls.h: system calls of a strata rump kernel.
 *
 * The kernel implements the Linux x86_64 system call ABI: numbers, flag
 * values (O_*, AT_*, ...), errno values and structure layouts (struct stat,
 * statfs, iovec, timespec, linux_dirent64) are those of Linux, i.e. the
 * same as the host's <sys/stat.h> etc. on an x86_64 Linux host.
 *
 * Two ways in:
 *  - rump_sys_<name>(): typed; returns -1 and sets errno in the calling
 *    host thread on error, like the libc wrapper of the same name.
 *  - rump_syscall(nr, args, retval): the one numeric entry (used by the
 *    sysproxy server, the hijack library, the unikernel trap).  args
 *    points to six longs; returns 0 or a positive Linux errno; retval[0]
 *    holds the result.  Unknown numbers give ENOSYS.
 *
 * Includes nothing: include <stdint.h> and <sys/types.h> first.
 */
#ifndef RUMP_RUMP_SYSCALLS_H
#define RUMP_RUMP_SYSCALLS_H

struct stat;
struct statfs;
struct iovec;
struct timespec;

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
int	rump_sys_fsync(int fd);
int	rump_sys_fdatasync(int fd);
int	rump_sys_truncate(const char *path, int64_t len);
int	rump_sys_ftruncate(int fd, int64_t len);
ssize_t	rump_sys_getdents64(int fd, void *buf, size_t len);

/* Attributes */
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

/* Names */
int	rump_sys_mkdir(const char *path, uint32_t mode);
int	rump_sys_mkdirat(int dirfd, const char *path, uint32_t mode);
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

#endif /* RUMP_RUMP_SYSCALLS_H */
