/*
 * abi.h: the Linux user ABI of the file system calls on the target:
 * structure layouts and flag values exactly as the Linux UAPI defines
 * them, so that a client compiled against the host's <sys/stat.h>,
 * <fcntl.h> etc. on a Linux host of the same architecture talks to the
 * kernel without translation.
 *
 * What all architectures share is here; what differs (struct stat, some
 * O_* values) comes from <machine/abi.h>, one per architecture under
 * kernel/arch/<arch>/include/ (chosen by kernel/Makefile).
 *
 * Kernel-private (never installed).  The structure tags are those the
 * public rump_syscalls.h forward-declares (struct stat, statfs, iovec).
 */
#ifndef VFS_ABI_H
#define VFS_ABI_H

#include <kern/types.h>
/* struct stat, O_DIRECT, O_LARGEFILE, O_DIRECTORY, O_NOFOLLOW. */
#include <machine/abi.h>

/* struct statfs, 64-bit asm-generic layout (120 bytes), which x86_64 and
 * the generic ABI share. */
struct statfs {
	long		f_type;
	long		f_bsize;
	long		f_blocks;
	long		f_bfree;
	long		f_bavail;
	long		f_files;
	long		f_ffree;
	struct {
		int	val[2];
	}		f_fsid;
	long		f_namelen;
	long		f_frsize;
	long		f_flags;
	long		f_spare[4];
};
_Static_assert(sizeof(struct statfs) == 120, "struct statfs layout");

/* statfs f_flags (ST_VALID says the field is filled in). */
#define ST_RDONLY	0x0001
#define ST_NOSUID	0x0002
#define ST_NODEV	0x0004
#define ST_NOEXEC	0x0008
#define ST_VALID	0x0020

/* getdents64 records: 8-byte aligned, d_name NUL-terminated. */
struct linux_dirent64 {
	uint64_t	d_ino;
	int64_t		d_off;
	uint16_t	d_reclen;
	uint8_t		d_type;
	char		d_name[];
};
_Static_assert(offsetof(struct linux_dirent64, d_name) == 19,
    "struct linux_dirent64 layout");

struct iovec {
	void		*iov_base;
	size_t		 iov_len;
};
#define UIO_MAXIOV	1024

/* open(2) flags (octal, as in asm-generic/fcntl.h); the four that
 * differ between architectures are in <machine/abi.h>. */
#define O_ACCMODE	00000003
#define O_RDONLY	00000000
#define O_WRONLY	00000001
#define O_RDWR		00000002
#define O_CREAT		00000100
#define O_EXCL		00000200
#define O_NOCTTY	00000400
#define O_TRUNC		00001000
#define O_APPEND	00002000
#define O_NONBLOCK	00004000
#define O_DSYNC		00010000
#define O_ASYNC		00020000
#define O_NOATIME	01000000
#define O_CLOEXEC	02000000
#define O_SYNC		04010000
#define O_PATH		010000000
#define O_TMPFILE	(020000000 | O_DIRECTORY) /* not supported: EOPNOTSUPP */

/* *at() flags. AT_EACCESS (faccessat) shares its value with AT_REMOVEDIR. */
#define AT_FDCWD		(-100)
#define AT_SYMLINK_NOFOLLOW	0x100
#define AT_REMOVEDIR		0x200
#define AT_EACCESS		0x200
#define AT_SYMLINK_FOLLOW	0x400
#define AT_NO_AUTOMOUNT		0x800
#define AT_EMPTY_PATH		0x1000
/* statx sync hints; newfstatat accepts (and, on tmpfs, ignores) them. */
#define AT_STATX_SYNC_TYPE	0x6000

/* renameat2 flags. */
#define RENAME_NOREPLACE	0x1
#define RENAME_EXCHANGE		0x2
#define RENAME_WHITEOUT		0x4

/* File types and permission bits (st_mode). */
#define S_IFMT		0170000
#define S_IFSOCK	0140000
#define S_IFLNK		0120000
#define S_IFREG		0100000
#define S_IFBLK		0060000
#define S_IFDIR		0040000
#define S_IFCHR		0020000
#define S_IFIFO		0010000
#define S_ISUID		0004000
#define S_ISGID		0002000
#define S_ISVTX		0001000
#define S_IRWXU		00700
#define S_IRUSR		00400
#define S_IWUSR		00200
#define S_IXUSR		00100
#define S_IRWXG		00070
#define S_IRGRP		00040
#define S_IWGRP		00020
#define S_IXGRP		00010
#define S_IRWXO		00007
#define S_IROTH		00004
#define S_IWOTH		00002
#define S_IXOTH		00001
#define S_IALLUGO	07777
#define S_ISDIR(m)	(((m) & S_IFMT) == S_IFDIR)
#define S_ISREG(m)	(((m) & S_IFMT) == S_IFREG)
#define S_ISLNK(m)	(((m) & S_IFMT) == S_IFLNK)

/* fcntl(2) commands and descriptor flags. */
#define F_DUPFD		0
#define F_GETFD		1
#define F_SETFD		2
#define F_GETFL		3
#define F_SETFL		4
#define F_DUPFD_CLOEXEC	1030
#define FD_CLOEXEC	1

/* lseek(2) */
#define SEEK_SET	0
#define SEEK_CUR	1
#define SEEK_END	2
#define SEEK_DATA	3
#define SEEK_HOLE	4

/* utimensat(2) special nanosecond values. */
#define UTIME_NOW	((1L << 30) - 1L)
#define UTIME_OMIT	((1L << 30) - 2L)

/* access(2) modes. */
#define F_OK		0
#define X_OK		1
#define W_OK		2
#define R_OK		4

/* umount2(2) flags. */
#define MNT_FORCE	0x00000001
#define MNT_DETACH	0x00000002
#define MNT_EXPIRE	0x00000004
#define UMOUNT_NOFOLLOW	0x00000008

/* mount(2) flags beyond those of vfs/mount.h (which the VFS rejects or
 * ignores), and the historic magic in the upper 16 bits. */
#define MS_NOATIME	0x0400
#define MS_NODIRATIME	0x0800
#define MS_BIND		0x1000
#define MS_MOVE		0x2000
#define MS_REC		0x4000
#define MS_SILENT	0x8000
#define MS_RELATIME	0x200000
#define MS_MGC_MSK	0xffff0000UL
#define MS_MGC_VAL	0xc0ed0000UL

/* statfs f_type of files that have no vnode: pipes (pipefs), sockets
 * (sockfs), eventfd and epoll instances (anon_inodefs). */
#define PIPEFS_MAGIC	0x50495045
#define SOCKFS_MAGIC	0x534f434b
#define ANON_INODE_FS_MAGIC 0x09041934

/* Descriptor ioctls (asm-generic/ioctls.h, which x86_64 and aarch64
 * share). */
#define FIONREAD	0x541b
#define FIONBIO		0x5421
#define FIONCLEX	0x5450
#define FIOCLEX		0x5451
#define FIOASYNC	0x5452

#endif /* VFS_ABI_H */
