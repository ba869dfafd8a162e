/*
 * t_fs_diff.c: differential test of the file system calls against Linux.
 *
 * The same pseudo-random sequences of open (with every creation and
 * access flag), close, dup, read, write, pread, pwrite, lseek, truncate,
 * ftruncate, fallocate, copy_file_range, fsync, fdatasync,
 * sync_file_range, rename, renameat2 (RENAME_NOREPLACE, RENAME_EXCHANGE),
 * link, unlink, mkdir, rmdir, mknod (FIFOs, regular files, and as root
 * where the host allows device nodes: character 1:3, which both have
 * as the null device, character 1:250 and block 240:1, which neither
 * has), symlink, readlink, chmod,
 * utimensat, access, lstat, fstat, statx, getdents64 and the extended
 * attribute calls (set/get/list/removexattr, path, l* and f* forms, on
 * user. and trusted. names) run in a fresh
 * directory of the host and in a directory of a strata kernel's file
 * system, side by side; every return value, errno, byte read and the
 * stat fields that do not depend on the file system's layout (type,
 * permissions, owner, link count, size of everything but directories,
 * times set with utimensat) must be the same.  At the end of each
 * sequence the two trees are compared whole (names, types, sizes,
 * contents, link targets, link counts, extended attributes).  Where the
 * host's file system has no user extended attributes, those calls are
 * left out.
 *
 * The kernel process takes the host's uid and gid, so permission checks
 * agree whoever runs the test.  The host directory is in the test's work
 * directory, on whatever file system that is: it must support fallocate
 * (ext4, xfs, btrfs and tmpfs do; a host EOPNOTSUPP makes the step be
 * skipped on both sides).  Directory sizes and block counts are never
 * compared; with ext2, times are compared to the second (ext2 keeps no
 * nanoseconds).
 *
 * Cases: "tmpfs" (strata's tmpfs) and "ext2" (an image made by mke2fs,
 * e2fsck -fn clean afterwards); and *_removed_dir (tmpfs, ext2, FAT): a
 * fixed script in a working directory removed under the process (and
 * one removed with its parent), whose every outcome must be the host's.  make check runs a short run of each; a
 * long run:
 *	cd build/tests/kernel-posix &&
 *	./t_fs_diff -v iters=20000 -v seed=1 tmpfs
 * (seed: first sequence; -v iters=1 -v seed=S -v trace=1 replays one
 * sequence, printing every step).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/syscall.h>
#include <sys/xattr.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <atf-c.h>

#include <rump/rump.h>
#include <rump/rump_etfs.h>
#include <rump/rump_syscalls.h>

#include "h_rumptest.h"

#define NSLOTS		8
#define __arraycount(a)	(sizeof(a) / sizeof((a)[0]))
#define NSTEPS		60
#define MAXIO		(80 * 1024)

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE	1
#define RENAME_EXCHANGE		2
#endif
#ifndef FALLOC_FL_KEEP_SIZE
#define FALLOC_FL_KEEP_SIZE	1
#define FALLOC_FL_PUNCH_HOLE	2
#endif

/* One side's calls: the host's, or the strata kernel's. */
struct side {
	const char *name;
	int	(*err)(void);	/* errno of the last call, Linux numbering */
	int	(*open)(const char *, int, ...);
	int	(*close)(int);
	int	(*dup)(int);
	ssize_t	(*read)(int, void *, size_t);
	ssize_t	(*write)(int, const void *, size_t);
	ssize_t	(*pread)(int, void *, size_t, off_t);
	ssize_t	(*pwrite)(int, const void *, size_t, off_t);
	off_t	(*lseek)(int, off_t, int);
	int	(*truncate)(const char *, off_t);
	int	(*ftruncate)(int, off_t);
	int	(*fallocate)(int, int, off_t, off_t);
	ssize_t	(*copy_file_range)(int, off_t *, int, off_t *, size_t,
		    unsigned);
	int	(*fsync)(int);
	int	(*fdatasync)(int);
	int	(*sync_file_range)(int, off_t, off_t, unsigned);
	int	(*rename)(const char *, const char *);
	int	(*renameat2)(int, const char *, int, const char *, unsigned);
	int	(*link)(const char *, const char *);
	int	(*unlink)(const char *);
	int	(*mkdir)(const char *, mode_t);
	int	(*rmdir)(const char *);
	int	(*mknod)(const char *, mode_t, dev_t);
	int	(*symlink)(const char *, const char *);
	ssize_t	(*readlink)(const char *, char *, size_t);
	int	(*chmod)(const char *, mode_t);
	int	(*utimensat)(int, const char *, const struct timespec *, int);
	int	(*access)(const char *, int);
	int	(*lstat)(const char *, struct stat *);
	int	(*fstat)(int, struct stat *);
	int	(*statx)(int, const char *, int, unsigned, struct statx *);
	ssize_t	(*getdents)(int, void *, size_t);
	int	(*setxattr)(const char *, const char *, const void *, size_t,
		    int);
	int	(*lsetxattr)(const char *, const char *, const void *, size_t,
		    int);
	int	(*fsetxattr)(int, const char *, const void *, size_t, int);
	ssize_t	(*getxattr)(const char *, const char *, void *, size_t);
	ssize_t	(*lgetxattr)(const char *, const char *, void *, size_t);
	ssize_t	(*fgetxattr)(int, const char *, void *, size_t);
	ssize_t	(*listxattr)(const char *, char *, size_t);
	ssize_t	(*llistxattr)(const char *, char *, size_t);
	ssize_t	(*flistxattr)(int, char *, size_t);
	int	(*removexattr)(const char *, const char *);
	int	(*lremovexattr)(const char *, const char *);
	int	(*fremovexattr)(int, const char *);
	int	(*chdir)(const char *);
	int	(*fchdir)(int);
	long	(*getcwd)(char *, size_t);
	int	(*openat)(int, const char *, int, ...);
	int	slot[NSLOTS];
};

/* Host wrappers with the common signatures. */
static off_t h_lseek(int fd, off_t o, int w) { return lseek(fd, o, w); }
static int h_fallocate(int fd, int m, off_t o, off_t l)
{ return fallocate(fd, m, o, l); }
static ssize_t h_cfr(int a, off_t *ao, int b, off_t *bo, size_t n,
    unsigned f) { return copy_file_range(a, ao, b, bo, n, f); }
static int h_statx(int d, const char *p, int f, unsigned m, struct statx *x)
{ return statx(d, p, f, m, x); }
static ssize_t h_getdents(int fd, void *b, size_t n)
{ return getdents64(fd, b, n); }
static int h_mknod(const char *p, mode_t m, dev_t d) { return mknod(p, m, d); }
static int h_sfr(int fd, off_t o, off_t n, unsigned f)
{ return sync_file_range(fd, o, n, f); }
/* The system call itself: glibc may answer getcwd() without it. */
static long h_getcwd(char *b, size_t n) { return syscall(SYS_getcwd, b, n); }
static long k_getcwd(char *b, size_t n) { return rump_sys_getcwd(b, n); }
static int h_renameat2(int a, const char *f, int b, const char *t, unsigned fl)
{ return renameat2(a, f, b, t, fl); }

/* Kernel wrappers where rump's types differ. */
static ssize_t k_pread(int fd, void *b, size_t n, off_t o)
{ return rump_sys_pread64(fd, b, n, o); }
static ssize_t k_pwrite(int fd, const void *b, size_t n, off_t o)
{ return rump_sys_pwrite64(fd, b, n, o); }
static off_t k_lseek(int fd, off_t o, int w) { return rump_sys_lseek(fd, o, w); }
static int k_truncate(const char *p, off_t l) { return rump_sys_truncate(p, l); }
static int k_ftruncate(int fd, off_t l) { return rump_sys_ftruncate(fd, l); }
static int k_fallocate(int fd, int m, off_t o, off_t l)
{ return rump_sys_fallocate(fd, m, o, l); }
static ssize_t k_cfr(int a, off_t *ao, int b, off_t *bo, size_t n,
    unsigned f)
{ return rump_sys_copy_file_range(a, (int64_t *)ao, b, (int64_t *)bo, n, f); }
static int k_mkdir(const char *p, mode_t m) { return rump_sys_mkdir(p, m); }
static int k_mknod(const char *p, mode_t m, dev_t d)
{ return rump_sys_mknod(p, m, d); }
static int k_sfr(int fd, off_t o, off_t n, unsigned f)
{ return rump_sys_sync_file_range(fd, o, n, f); }
static int k_chmod(const char *p, mode_t m) { return rump_sys_chmod(p, m); }

static int host_errno(void) { return errno; }

static struct side host = {
	.name = "host", .err = host_errno,
	.open = open, .close = close, .dup = dup, .read = read,
	.write = write, .pread = pread, .pwrite = pwrite, .lseek = h_lseek,
	.truncate = truncate, .ftruncate = ftruncate,
	.fallocate = h_fallocate, .copy_file_range = h_cfr, .fsync = fsync,
	.fdatasync = fdatasync, .sync_file_range = h_sfr, .rename = rename, .renameat2 = h_renameat2,
	.link = link, .unlink = unlink, .mkdir = mkdir, .rmdir = rmdir,
	.mknod = h_mknod, .symlink = symlink, .readlink = readlink,
	.chmod = chmod, .utimensat = utimensat, .access = access,
	.lstat = lstat, .fstat = fstat, .statx = h_statx,
	.getdents = h_getdents,
	.setxattr = setxattr, .lsetxattr = lsetxattr, .fsetxattr = fsetxattr,
	.getxattr = getxattr, .lgetxattr = lgetxattr, .fgetxattr = fgetxattr,
	.listxattr = listxattr, .llistxattr = llistxattr,
	.flistxattr = flistxattr, .removexattr = removexattr,
	.lremovexattr = lremovexattr, .fremovexattr = fremovexattr,
	.chdir = chdir, .fchdir = fchdir, .getcwd = h_getcwd, .openat = openat,
};

static struct side kern = {
	.name = "strata", .err = rt_errno,	/* h_rumptest.h */
	.open = rump_sys_open, .close = rump_sys_close, .dup = rump_sys_dup,
	.read = rump_sys_read, .write = rump_sys_write, .pread = k_pread,
	.pwrite = k_pwrite, .lseek = k_lseek, .truncate = k_truncate,
	.ftruncate = k_ftruncate, .fallocate = k_fallocate,
	.copy_file_range = k_cfr, .fsync = rump_sys_fsync,
	.fdatasync = rump_sys_fdatasync, .sync_file_range = k_sfr,
	.rename = rump_sys_rename,
	.renameat2 = rump_sys_renameat2, .link = rump_sys_link,
	.unlink = rump_sys_unlink, .mkdir = k_mkdir, .rmdir = rump_sys_rmdir,
	.mknod = k_mknod, .symlink = rump_sys_symlink,
	.readlink = rump_sys_readlink, .chmod = k_chmod,
	.utimensat = rump_sys_utimensat, .access = rump_sys_access,
	.lstat = rump_sys_lstat, .fstat = rump_sys_fstat,
	.statx = rump_sys_statx, .getdents = rump_sys_getdents64,
	.setxattr = rump_sys_setxattr, .lsetxattr = rump_sys_lsetxattr,
	.fsetxattr = rump_sys_fsetxattr, .getxattr = rump_sys_getxattr,
	.lgetxattr = rump_sys_lgetxattr, .fgetxattr = rump_sys_fgetxattr,
	.listxattr = rump_sys_listxattr, .llistxattr = rump_sys_llistxattr,
	.flistxattr = rump_sys_flistxattr,
	.removexattr = rump_sys_removexattr,
	.lremovexattr = rump_sys_lremovexattr,
	.fremovexattr = rump_sys_fremovexattr,
	.chdir = rump_sys_chdir, .fchdir = rump_sys_fchdir,
	.getcwd = k_getcwd, .openat = rump_sys_openat,
};

/* What one call gave, as text, so that two outcomes compare as strings. */
struct outcome {
	char	text[1024];
	bool	skip;		/* the host cannot do it: not compared */
};

static void __attribute__((format(printf, 2, 3)))
put(struct outcome *o, const char *fmt, ...)
{
	size_t len = strlen(o->text);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(o->text + len, sizeof(o->text) - len, fmt, ap);
	va_end(ap);
}

static void
put_ret(struct outcome *o, long r, int err)
{
	if (r < 0)
		put(o, "-1 errno %d (%s)", err, strerror(err));
	else
		put(o, "%ld", r);
}

static uint32_t
fnv(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint32_t h = 2166136261u;

	while (n-- > 0)
		h = (h ^ *b++) * 16777619u;
	return h;
}

static uint64_t rng;

static uint32_t
rnd(uint32_t n)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 2685821657736338717ULL) >> 33) % n;
}

static bool coarse_times;	/* compare times to the second (ext2) */
static bool host_xattrs;	/* the host's file system has user.* */
static bool host_devices;	/* root, and device nodes work here */

/* Attribute names: both namespaces, an unknown one, a prefix alone. */
static const char *const xnames[] = {
	"user.a", "user.bb", "user.a-longer-name", "trusted.t", "other.x",
	"user.",
};

static const char *const paths[] = {
	"a", "b", "c", "d", "d/a", "d/b", "d/e", "d/e/f", "e", "e/a",
	"a/x", "l", "d/l", "d/../b", "./c", "d/e/../a", "",
};
static const char *const targets[] = {
	"a", "d", "d/a", "zz", "l", "e/a", "d/l", "b",
};

enum op {
	OP_OPEN, OP_CLOSE, OP_DUP, OP_READ, OP_WRITE, OP_PREAD, OP_PWRITE,
	OP_LSEEK, OP_TRUNCATE, OP_FTRUNCATE, OP_FALLOCATE, OP_COPYRANGE,
	OP_FSYNC, OP_RENAME, OP_RENAME2, OP_LINK, OP_UNLINK, OP_MKDIR,
	OP_RMDIR, OP_MKNOD, OP_SYMLINK, OP_READLINK, OP_CHMOD, OP_UTIMENS,
	OP_ACCESS, OP_LSTAT, OP_FSTAT, OP_STATX, OP_GETDENTS, OP_SETXATTR,
	OP_GETXATTR, OP_LISTXATTR, OP_REMOVEXATTR, OP_SYNCRANGE, OP_NOPS
};
static const char *const opnames[] = {
	"open", "close", "dup", "read", "write", "pread", "pwrite", "lseek",
	"truncate", "ftruncate", "fallocate", "copy_file_range", "fsync",
	"rename", "renameat2", "link", "unlink", "mkdir", "rmdir", "mknod",
	"symlink", "readlink", "chmod", "utimensat", "access", "lstat",
	"fstat", "statx", "getdents64", "setxattr", "getxattr", "listxattr",
	"removexattr", "sync_file_range",
};
/* Weights: more of what builds state. */
static const int weights[OP_NOPS] = {
	[OP_OPEN] = 12, [OP_CLOSE] = 4, [OP_DUP] = 1, [OP_READ] = 3,
	[OP_WRITE] = 6, [OP_PREAD] = 3, [OP_PWRITE] = 6, [OP_LSEEK] = 2,
	[OP_TRUNCATE] = 2, [OP_FTRUNCATE] = 2, [OP_FALLOCATE] = 3,
	[OP_COPYRANGE] = 3, [OP_FSYNC] = 1, [OP_RENAME] = 4, [OP_RENAME2] = 3,
	[OP_LINK] = 3, [OP_UNLINK] = 3, [OP_MKDIR] = 5, [OP_RMDIR] = 2,
	[OP_MKNOD] = 3, [OP_SYMLINK] = 3, [OP_READLINK] = 1, [OP_CHMOD] = 2,
	[OP_UTIMENS] = 1, [OP_ACCESS] = 1, [OP_LSTAT] = 4, [OP_FSTAT] = 3,
	[OP_STATX] = 3, [OP_GETDENTS] = 3, [OP_SETXATTR] = 4,
	[OP_GETXATTR] = 3, [OP_LISTXATTR] = 2, [OP_REMOVEXATTR] = 2,
	[OP_SYNCRANGE] = 2,
};

struct args {
	enum op		op;
	int		p1, p2, slot, slot2, flags, mode, whence;
	int64_t		off, off2;
	size_t		len;
	unsigned	seed;
	bool		nulloff;
	struct timespec	ts[2];
};

static int64_t
pick_off(void)
{
	switch (rnd(10)) {
	case 0:
		return rnd(16);
	case 1:
		return ((int64_t)1 << 32) + rnd(5000);
	case 2:
		return (int64_t)rnd(4) * 1024 + rnd(3) - 1;
	default:
		return rnd(70000);
	}
}

static size_t
pick_len(void)
{
	switch (rnd(6)) {
	case 0:
		return rnd(3);
	case 1:
		return MAXIO - rnd(2000);
	default:
		return rnd(5000);
	}
}

static void
draw(struct args *a)
{
	static const int accs[] = { O_RDONLY, O_WRONLY, O_RDWR };
	int total = 0, w, i;

	memset(a, 0, sizeof(*a));
	for (i = 0; i < OP_NOPS; i++)
		total += weights[i];
	w = (int)rnd((uint32_t)total);
	for (i = 0; i < OP_NOPS && w >= weights[i]; i++)
		w -= weights[i];
	a->op = (enum op)i;
	a->p1 = (int)rnd(__arraycount(paths));
	a->p2 = (int)rnd(__arraycount(paths));
	a->slot = (int)rnd(NSLOTS);
	a->slot2 = (int)rnd(NSLOTS);
	a->flags = accs[rnd(3)];
	if (rnd(2)) a->flags |= O_CREAT;
	if (rnd(5) == 0) a->flags |= O_EXCL;
	if (rnd(5) == 0) a->flags |= O_TRUNC;
	if (rnd(6) == 0) a->flags |= O_APPEND;
	if (rnd(12) == 0) a->flags |= O_DIRECTORY;
	if (rnd(12) == 0) a->flags |= O_NOFOLLOW;
	/* The owner may always read and write (and search directories):
	 * the other bits vary. */
	a->mode = 0600 | (int)rnd(0200);
	a->whence = (int)rnd(3);
	a->off = pick_off();
	a->off2 = pick_off();
	a->len = pick_len();
	a->seed = rnd(1u << 30);
	a->nulloff = rnd(3) == 0;
	a->ts[0].tv_sec = 1000000000 + rnd(1u << 28);
	a->ts[0].tv_nsec = rnd(1000000000);
	a->ts[1].tv_sec = 1000000000 + rnd(1u << 28);
	a->ts[1].tv_nsec = rnd(1000000000);
}

static void
put_stat(struct outcome *o, const struct stat *st)
{
	put(o, " type %o perm %o uid %u gid %u nlink %lu",
	    (unsigned)(st->st_mode & S_IFMT), (unsigned)(st->st_mode & 07777),
	    (unsigned)st->st_uid, (unsigned)st->st_gid,
	    (unsigned long)st->st_nlink);
	if (!S_ISDIR(st->st_mode))
		put(o, " size %lld", (long long)st->st_size);
	if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode))
		put(o, " rdev %u:%u", major(st->st_rdev), minor(st->st_rdev));
}

static void
put_statx(struct outcome *o, const struct statx *x)
{
	put(o, " mask %x type %o perm %o uid %u gid %u nlink %u",
	    x->stx_mask & (STATX_TYPE | STATX_MODE | STATX_NLINK |
	    STATX_UID | STATX_GID | STATX_SIZE),
	    (unsigned)(x->stx_mode & S_IFMT), (unsigned)(x->stx_mode & 07777),
	    x->stx_uid, x->stx_gid, x->stx_nlink);
	if (!S_ISDIR(x->stx_mode))
		put(o, " size %llu", (unsigned long long)x->stx_size);
	if (S_ISCHR(x->stx_mode) || S_ISBLK(x->stx_mode))
		put(o, " rdev %u:%u", x->stx_rdev_major, x->stx_rdev_minor);
}

static void
put_time(struct outcome *o, const char *what, const struct timespec *ts)
{
	if (coarse_times)
		put(o, " %s %lld", what, (long long)ts->tv_sec);
	else
		put(o, " %s %lld.%09ld", what, (long long)ts->tv_sec,
		    ts->tv_nsec);
}

/* Names (and types) in directory fd, sorted, "." and ".." left out. */
static int
list_dir(struct side *s, int fd, char *out, size_t outlen)
{
	char buf[4096], names[64][300];
	int n = 0, i, j;
	ssize_t got;

	out[0] = '\0';
	while ((got = s->getdents(fd, buf, sizeof(buf))) > 0) {
		ssize_t off = 0;

		while (off < got) {
			struct { uint64_t ino; int64_t off; unsigned short
			    reclen; unsigned char type; char name[]; } *d =
			    (void *)(buf + off);

			if (strcmp(d->name, ".") != 0 &&
			    strcmp(d->name, "..") != 0 && n < 64)
				snprintf(names[n++], sizeof(names[0]),
				    "%s:%u", d->name, d->type);
			off += d->reclen;
		}
	}
	if (got < 0)
		return -1;
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
			char t[300];

			memcpy(t, names[j], sizeof(t));
			memcpy(names[j], names[j - 1], sizeof(t));
			memcpy(names[j - 1], t, sizeof(t));
		}
	for (i = 0; i < n; i++) {
		strncat(out, names[i], outlen - strlen(out) - 1);
		strncat(out, " ", outlen - strlen(out) - 1);
	}
	return n;
}

/* The names of a listxattr result (n bytes), sorted: file systems list
 * in different orders. */
static void
put_xattrlist(struct outcome *o, char *list, ssize_t n)
{
	char *names[64], *p;
	int k = 0, i, j;

	for (p = list; p < list + n && k < 64; p += strlen(p) + 1)
		names[k++] = p;
	for (i = 1; i < k; i++)
		for (j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
			p = names[j];
			names[j] = names[j - 1];
			names[j - 1] = p;
		}
	for (i = 0; i < k; i++) {
		put(o, " %s", names[i]);
		/* A name of a namespace the test never uses (a security
		 * label of the host): not comparable. */
		if (strncmp(names[i], "user.", 5) != 0 &&
		    strncmp(names[i], "trusted.", 8) != 0)
			o->skip = true;
	}
}

static void
fill(unsigned char *buf, size_t n, unsigned seed)
{
	size_t i;
	uint32_t x = seed * 2654435761u + 7;

	for (i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (unsigned char)(x >> 16);
	}
}

static void
step(struct side *s, const struct args *a, struct outcome *o)
{
	static unsigned char buf[MAXIO];
	const char *p1 = paths[a->p1], *p2 = paths[a->p2];
	int fd = s->slot[a->slot], fd2 = s->slot[a->slot2];
	struct stat st;
	struct statx stx;
	off_t o1, o2;
	long r;
	int e, i;

	o->text[0] = '\0';
	o->skip = false;
	errno = 0;
	switch (a->op) {
	case OP_OPEN:
		if (fd >= 0) {
			(void)s->close(fd);
			s->slot[a->slot] = -1;
		}
		r = s->open(p1, a->flags | O_NONBLOCK, a->mode);
		e = s->err();
		put_ret(o, r < 0 ? -1 : 0, e);
		if (r >= 0)
			s->slot[a->slot] = (int)r;
		break;
	case OP_CLOSE:
		r = s->close(fd);
		put_ret(o, r, s->err());
		s->slot[a->slot] = -1;
		break;
	case OP_DUP:
		if (s->slot[a->slot2] >= 0)
			(void)s->close(s->slot[a->slot2]);
		s->slot[a->slot2] = -1;
		r = s->dup(fd);
		put_ret(o, r < 0 ? -1 : 0, s->err());
		if (r >= 0)
			s->slot[a->slot2] = (int)r;
		break;
	case OP_READ:
	case OP_PREAD:
		if (a->op == OP_READ)
			r = s->read(fd, buf, a->len);
		else
			r = s->pread(fd, buf, a->len, a->off);
		put_ret(o, r, s->err());
		if (r > 0)
			put(o, " data %08x", fnv(buf, (size_t)r));
		break;
	case OP_WRITE:
	case OP_PWRITE:
		fill(buf, a->len, a->seed);
		if (a->op == OP_WRITE)
			r = s->write(fd, buf, a->len);
		else
			r = s->pwrite(fd, buf, a->len, a->off);
		put_ret(o, r, s->err());
		break;
	case OP_LSEEK:
		/* SEEK_END on a directory answers what the host's file
		 * system makes of it (ext4's hashed directories: an end
		 * near 2^63; tmpfs: EINVAL): not compared, and not made,
		 * so that both offsets stay the same. */
		if (s == &host && a->whence == SEEK_END && fd >= 0 &&
		    fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
			o->skip = true;
			break;
		}
		r = s->lseek(fd, a->whence == SEEK_SET ? a->off :
		    a->off - 35000, a->whence);
		put_ret(o, r, s->err());
		break;
	case OP_TRUNCATE:
		r = s->truncate(p1, a->off);
		put_ret(o, r, s->err());
		break;
	case OP_FTRUNCATE:
		r = s->ftruncate(fd, a->off);
		put_ret(o, r, s->err());
		break;
	case OP_FALLOCATE: {
		static const int modes[] = { 0, FALLOC_FL_KEEP_SIZE,
		    FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE };
		int m = modes[a->seed % 3];

		r = s->fallocate(fd, m, a->off, (off_t)a->len);
		e = s->err();
		if (r < 0 && e == EOPNOTSUPP && s == &host) {
			o->skip = true;
			break;
		}
		put_ret(o, r, e);
		break;
	}
	case OP_COPYRANGE:
		o1 = a->off;
		o2 = a->off2;
		r = s->copy_file_range(fd, a->nulloff ? NULL : &o1, fd2,
		    a->nulloff ? NULL : &o2, a->len, 0);
		put_ret(o, r, s->err());
		if (!a->nulloff)
			put(o, " offs %lld %lld", (long long)o1, (long long)o2);
		break;
	case OP_FSYNC:
		r = (a->seed & 1) ? s->fsync(fd) : s->fdatasync(fd);
		put_ret(o, r, s->err());
		break;
	case OP_RENAME:
		r = s->rename(p1, p2);
		put_ret(o, r, s->err());
		break;
	case OP_RENAME2:
		r = s->renameat2(AT_FDCWD, p1, AT_FDCWD, p2,
		    (a->seed & 1) ? RENAME_NOREPLACE : RENAME_EXCHANGE);
		put_ret(o, r, s->err());
		break;
	case OP_LINK:
		r = s->link(p1, p2);
		put_ret(o, r, s->err());
		break;
	case OP_UNLINK:
		r = s->unlink(p1);
		put_ret(o, r, s->err());
		break;
	case OP_MKDIR:
		r = s->mkdir(p1, 0700 | (mode_t)(a->mode & 077));
		put_ret(o, r, s->err());
		break;
	case OP_RMDIR:
		r = s->rmdir(p1);
		put_ret(o, r, s->err());
		break;
	case OP_MKNOD: {
		/* Devices: null (both have it), and two that neither has. */
		static const struct { mode_t type; unsigned maj, min; }
		    kinds[] = { { S_IFIFO, 0, 0 }, { S_IFREG, 0, 0 },
		    { S_IFCHR, 1, 3 }, { S_IFCHR, 1, 250 },
		    { S_IFBLK, 240, 1 } };
		unsigned k = a->seed % (host_devices ? 5 : 2);

		r = s->mknod(p1, kinds[k].type | (mode_t)a->mode,
		    makedev(kinds[k].maj, kinds[k].min));
		put_ret(o, r, s->err());
		break;
	}
	case OP_SYNCRANGE: {
		/* Flags 0 to 8 (8 is not one); offsets and lengths that
		 * are negative now and then; a length of 0 is "to the
		 * end". */
		unsigned flags = a->seed % 9;
		off_t off = (a->seed >> 4) % 5 == 0 ? a->off - 35000 : a->off;
		off_t len = (a->seed >> 7) % 4 == 0 ? 0 :
		    (a->seed >> 7) % 7 == 1 ? -5 : (off_t)a->len;

		/* Mostly an open descriptor: the first from the slot on. */
		for (i = 0; i < NSLOTS && (a->seed >> 10) % 8 != 0 &&
		    s->slot[(a->slot + i) % NSLOTS] < 0; i++)
			continue;
		if (i < NSLOTS && (a->seed >> 10) % 8 != 0)
			fd = s->slot[(a->slot + i) % NSLOTS];
		r = s->sync_file_range(fd, off, len, flags);
		put_ret(o, r, s->err());
		break;
	}
	case OP_SYMLINK:
		r = s->symlink(targets[a->seed % __arraycount(targets)], p1);
		put_ret(o, r, s->err());
		break;
	case OP_READLINK: {
		char t[64];

		r = s->readlink(p1, t, sizeof(t));
		put_ret(o, r, s->err());
		if (r > 0)
			put(o, " %.*s", (int)r, t);
		break;
	}
	case OP_CHMOD:
		r = s->chmod(p1, 0700 | (mode_t)(a->mode & 077));
		put_ret(o, r, s->err());
		break;
	case OP_UTIMENS:
		r = s->utimensat(AT_FDCWD, p1, a->ts,
		    (a->seed & 1) ? AT_SYMLINK_NOFOLLOW : 0);
		put_ret(o, r, s->err());
		if (r == 0 && s->lstat(p1, &st) == 0 &&
		    (!S_ISLNK(st.st_mode) || (a->seed & 1))) {
			put_time(o, "atime", &st.st_atim);
			put_time(o, "mtime", &st.st_mtim);
		}
		break;
	case OP_ACCESS:
		r = s->access(p1, (int)(a->seed % 8));
		put_ret(o, r, s->err());
		break;
	case OP_LSTAT:
		r = s->lstat(p1, &st);
		put_ret(o, r, s->err());
		if (r == 0)
			put_stat(o, &st);
		break;
	case OP_FSTAT:
		r = s->fstat(fd, &st);
		put_ret(o, r, s->err());
		if (r == 0)
			put_stat(o, &st);
		break;
	case OP_STATX:
		memset(&stx, 0, sizeof(stx));
		r = s->statx(AT_FDCWD, p1, (a->seed & 1) ?
		    AT_SYMLINK_NOFOLLOW : 0, STATX_BASIC_STATS, &stx);
		put_ret(o, r, s->err());
		if (r == 0)
			put_statx(o, &stx);
		break;
	case OP_GETDENTS: {
		char list[2048];

		r = s->open(p1, O_RDONLY | O_DIRECTORY);
		put_ret(o, r < 0 ? -1 : 0, s->err());
		if (r >= 0) {
			i = list_dir(s, (int)r, list, sizeof(list));
			put(o, " %d: %s", i, list);
			(void)s->close((int)r);
		}
		break;
	}
	case OP_SETXATTR:
	case OP_GETXATTR:
	case OP_LISTXATTR:
	case OP_REMOVEXATTR: {
		/* seed: form (path, l*, f*), name, value size, flags, and
		 * the buffer size of get and list (0, too small, enough). */
		static const size_t bufsizes[] = { 0, 3, 512 };
		const char *name = xnames[(a->seed >> 2) % __arraycount(xnames)];
		unsigned form = a->seed % 3, vlen = (a->seed >> 5) % 41;
		int xflags = (int)((a->seed >> 11) % 3);
		size_t bsz = bufsizes[(a->seed >> 13) % 3];
		char xbuf[512];

		if (!host_xattrs) {
			o->skip = true;
			break;
		}
		errno = 0;
		switch (a->op) {
		case OP_SETXATTR:
			fill(buf, vlen, a->seed);
			r = form == 0 ? s->setxattr(p1, name, buf, vlen, xflags) :
			    form == 1 ? s->lsetxattr(p1, name, buf, vlen,
			    xflags) : s->fsetxattr(fd, name, buf, vlen, xflags);
			put_ret(o, r, s->err());
			break;
		case OP_GETXATTR:
			r = form == 0 ? s->getxattr(p1, name, xbuf, bsz) :
			    form == 1 ? s->lgetxattr(p1, name, xbuf, bsz) :
			    s->fgetxattr(fd, name, xbuf, bsz);
			put_ret(o, r, s->err());
			if (r > 0 && bsz > 0)
				put(o, " value %08x", fnv(xbuf, (size_t)r));
			break;
		case OP_LISTXATTR:
			r = form == 0 ? s->listxattr(p1, xbuf, bsz) :
			    form == 1 ? s->llistxattr(p1, xbuf, bsz) :
			    s->flistxattr(fd, xbuf, bsz);
			put_ret(o, r, s->err());
			if (r > 0 && bsz > 0)
				put_xattrlist(o, xbuf, r);
			break;
		default:
			r = form == 0 ? s->removexattr(p1, name) :
			    form == 1 ? s->lremovexattr(p1, name) :
			    s->fremovexattr(fd, name);
			put_ret(o, r, s->err());
			break;
		}
		break;
	}
	case OP_NOPS:
		break;
	}
}

/* The extended attributes of path as text: sorted names and values. */
static void
tree_xattrs(struct side *s, const char *path, char *out, size_t outlen)
{
	char list[1024], val[512], *names[64], *p;
	ssize_t n, v;
	int k = 0, i, j;

	if (!host_xattrs)
		return;
	n = s->llistxattr(path, list, sizeof(list));
	if (n <= 0)
		return;
	for (p = list; p < list + n && k < 64; p += strlen(p) + 1)
		names[k++] = p;
	for (i = 1; i < k; i++)
		for (j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
			p = names[j];
			names[j] = names[j - 1];
			names[j - 1] = p;
		}
	for (i = 0; i < k; i++) {
		v = s->lgetxattr(path, names[i], val, sizeof(val));
		snprintf(out + strlen(out), outlen - strlen(out), " %s=%zd:%08x",
		    names[i], v, v > 0 ? fnv(val, (size_t)v) : 0);
	}
}

/* The whole tree under dir, as text: one line per object. */
static void
tree(struct side *s, const char *dir, char *out, size_t outlen)
{
	static unsigned char buf[65536];
	char list[2048], *name, *save, path[512];
	struct stat st;
	ssize_t n;
	uint32_t h;
	int fd;

	fd = s->open(dir, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return;
	(void)list_dir(s, fd, list, sizeof(list));
	(void)s->close(fd);
	for (name = strtok_r(list, " ", &save); name != NULL;
	    name = strtok_r(NULL, " ", &save)) {
		char *colon = strrchr(name, ':');

		*colon = '\0';
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		if (s->lstat(path, &st) != 0)
			continue;
		snprintf(out + strlen(out), outlen - strlen(out),
		    "%s type %s mode %o nlink %lu", path, colon + 1,
		    (unsigned)st.st_mode, (unsigned long)st.st_nlink);
		if (S_ISREG(st.st_mode)) {
			/* Data is only ever written below 256 KiB or in the
			 * last 128 KiB (past 4 GiB): no need to read the
			 * holes between. */
			off_t at = 0, tail = st.st_size - 128 * 1024;

			h = 2166136261u;
			fd = s->open(path, O_RDONLY | O_NONBLOCK);
			while (fd >= 0 && (n = s->pread(fd, buf, sizeof(buf),
			    at)) > 0) {
				h ^= fnv(buf, (size_t)n) + (uint32_t)n;
				at += n;
				if (at >= 256 * 1024 && at < tail)
					at = tail;
			}
			if (fd >= 0)
				(void)s->close(fd);
			snprintf(out + strlen(out), outlen - strlen(out),
			    " size %lld data %08x", (long long)st.st_size, h);
		} else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
			snprintf(out + strlen(out), outlen - strlen(out),
			    " rdev %u:%u", major(st.st_rdev),
			    minor(st.st_rdev));
		} else if (S_ISLNK(st.st_mode)) {
			char t[64];

			n = s->readlink(path, t, sizeof(t));
			snprintf(out + strlen(out), outlen - strlen(out),
			    " -> %.*s", (int)(n > 0 ? n : 0), t);
		}
		tree_xattrs(s, path, out, outlen);
		snprintf(out + strlen(out), outlen - strlen(out), "\n");
		if (S_ISDIR(st.st_mode))
			tree(s, path, out, outlen);
	}
}

/* Closes every slot and empties the working directory. */
static void
rm_tree(struct side *s, const char *dir)
{
	char list[2048], *name, *save, path[512];
	struct stat st;
	int fd;

	fd = s->open(dir, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return;
	(void)list_dir(s, fd, list, sizeof(list));
	(void)s->close(fd);
	for (name = strtok_r(list, " ", &save); name != NULL;
	    name = strtok_r(NULL, " ", &save)) {
		*strrchr(name, ':') = '\0';
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		if (s->lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			rm_tree(s, path);
			ATF_REQUIRE_EQ_MSG(s->rmdir(path), 0, "%s: rmdir %s: %s",
			    s->name, path, strerror(errno));
		} else {
			ATF_REQUIRE_EQ_MSG(s->unlink(path), 0, "%s: unlink %s: "
			    "%s", s->name, path, strerror(errno));
		}
	}
}

static void
cleanup(struct side *s)
{
	int i;

	for (i = 0; i < NSLOTS; i++) {
		if (s->slot[i] >= 0)
			(void)s->close(s->slot[i]);
		s->slot[i] = -1;
	}
	rm_tree(s, ".");
}

static void
run_diff(const atf_tc_t *tc, const char *kdir, const char *deflt)
{
	char hdir[] = "hostdir-XXXXXX", cwd[1024];
	static char th[1 << 16], tk[1 << 16];
	struct args a;
	struct outcome oh, ok;
	struct lwp *parent;
	long iters, seed, it;
	bool trace;
	int stepno, i;

	iters = atol(atf_tc_get_config_var_wd(tc, "iters", deflt));
	trace = atol(atf_tc_get_config_var_wd(tc, "trace", "0")) != 0;
	seed = atol(atf_tc_get_config_var_wd(tc, "seed", "1"));
	ATF_REQUIRE(getcwd(cwd, sizeof(cwd)) != NULL);
	ATF_REQUIRE(mkdtemp(hdir) != NULL);
	host_xattrs = setxattr(hdir, "user.probe", "x", 1, 0) == 0;
	if (host_xattrs)
		(void)removexattr(hdir, "user.probe");
	else
		fprintf(stderr, "%s: no user extended attributes on the host "
		    "(%s): xattr calls not compared\n", hdir, strerror(errno));
	RL(chdir(hdir));
	/* Device nodes: root only, and not on a file system mounted
	 * nodev (the host's open would fail where strata's works). */
	host_devices = false;
	if (getuid() == 0 && mknod("probe", S_IFCHR | 0600,
	    makedev(1, 3)) == 0) {
		int fd = open("probe", O_WRONLY);

		host_devices = fd >= 0;
		if (fd >= 0)
			close(fd);
	}
	(void)unlink("probe");
	if (!host_devices)
		fprintf(stderr, "%s: no device nodes here (not root, or "
		    "nodev): mknod makes FIFOs and files only\n", hdir);
	umask(022);
	(void)rump_sys_umask(022);
	RL(rump_sys_mkdir(kdir, 0755));
	RL(rump_sys_chown(kdir, getuid(), getgid()));
	/* A process of its own with the host's identity: permission
	 * checks and owners of new files then agree. */
	parent = rump_lwproc_curlwp();
	ATF_REQUIRE_EQ(rump_lwproc_rfork(RUMP_RFCFDG), 0);
	RL(rump_sys_chdir(kdir));
	RL(rump_sys_setgid(getgid()));
	RL(rump_sys_setuid(getuid()));
	for (i = 0; i < NSLOTS; i++)
		host.slot[i] = kern.slot[i] = -1;
	for (it = 0; it < iters; it++) {
		rng = (uint64_t)(seed + it) * 0x9e3779b97f4a7c15ULL + 1;
		for (stepno = 0; stepno < NSTEPS; stepno++) {
			draw(&a);
			step(&host, &a, &oh);
			if (oh.skip)
				continue;
			step(&kern, &a, &ok);
			if (trace)
				fprintf(stderr, "%2d %-15s %s %s slot %d/%d "
				    "flags %#x mode %o off %lld/%lld len %zu: "
				    "%s%s%s\n", stepno, opnames[a.op],
				    paths[a.p1], paths[a.p2], a.slot,
				    a.slot2, a.flags, a.mode,
				    (long long)a.off, (long long)a.off2,
				    a.len, oh.text,
				    strcmp(oh.text, ok.text) ? " / " : "",
				    strcmp(oh.text, ok.text) ? ok.text : "");
			if (strcmp(oh.text, ok.text) != 0) {
				cleanup(&host);
				atf_tc_fail("sequence seed %ld, step %d: %s "
				    "(\"%s\", \"%s\", slot %d/%d, flags %#x, "
				    "mode %o, off %lld/%lld, len %zu, "
				    "seed %u): host \"%s\", strata \"%s\"",
				    seed + it, stepno, opnames[a.op],
				    paths[a.p1], paths[a.p2], a.slot, a.slot2,
				    a.flags, a.mode, (long long)a.off,
				    (long long)a.off2, a.len, a.seed, oh.text,
				    ok.text);
			}
		}
		th[0] = tk[0] = '\0';
		tree(&host, ".", th, sizeof(th));
		tree(&kern, ".", tk, sizeof(tk));
		if (strcmp(th, tk) != 0) {
			fprintf(stderr, "host:\n%s\nstrata:\n%s\n", th, tk);
			atf_tc_fail("sequence seed %ld: the trees differ at the "
			    "end (stderr)", seed + it);
		}
		cleanup(&host);
		cleanup(&kern);
	}
	RL(chdir(cwd));
	(void)rmdir(hdir);
	rump_lwproc_releaselwp();
	rump_lwproc_switch(parent);
}

/*
 * A working directory removed under the process (through "..", or
 * through another path): what Linux answers for "." and "..", names in
 * it, new names in it, getdents64, getcwd, and getting out.  One line
 * of outcome per call; base is the side's directory, which is the cwd.
 */
static void
removed_dir_script(struct side *s, bool otherpath, char *out, size_t outlen)
{
	struct stat st, st2;
	char buf[4096], cwd[1024];
	long r;
	int fd, fd2;

#define LINE(what, r) snprintf(out + strlen(out), outlen - strlen(out),	\
	"%s: %ld errno %d\n", what, (long)(r), (r) < 0 ? s->err() : 0)
	ATF_REQUIRE_EQ(s->mkdir("a", 0755), 0);
	ATF_REQUIRE_EQ(s->mkdir("a/sub0", 0755), 0);
	ATF_REQUIRE_EQ(s->mkdir("b", 0755), 0);
	fd = s->open("b/f", O_WRONLY | O_CREAT, 0644);
	ATF_REQUIRE(fd >= 0);
	(void)s->close(fd);
	ATF_REQUIRE_EQ(s->chdir("a"), 0);
	ATF_REQUIRE_EQ(s->rmdir("sub0"), 0);
	errno = 0;
	r = s->rmdir(otherpath ? "../b/../a" : "../a");
	LINE("rmdir", r);

	fd = s->open(".", O_RDONLY | O_DIRECTORY);
	LINE("open .", fd < 0 ? -1 : 0);
	errno = 0;
	r = s->getdents(fd, buf, sizeof(buf));
	LINE("getdents64", r);
	r = s->fstat(fd, &st);
	LINE("fstat", r < 0 ? r : (long)st.st_nlink);
	r = s->lstat(".", &st);
	LINE("stat .", r < 0 ? r : (long)st.st_nlink);
	r = s->lstat("..", &st);
	LINE("stat ..", r < 0 ? r : (long)S_ISDIR(st.st_mode));
	r = s->lstat("../b/..", &st2);
	LINE("stat .. is the parent", r < 0 ? r : (long)(st.st_ino ==
	    st2.st_ino));
	r = s->lstat("../b", &st);
	LINE("stat ../b", r < 0 ? r : (long)st.st_nlink);
	r = s->lstat("x", &st);
	LINE("stat x", r);
	r = s->lstat("./.", &st);
	LINE("stat ./.", r);
	r = s->open("f", O_WRONLY | O_CREAT, 0644);
	LINE("open O_CREAT", r < 0 ? -1 : 0);
	r = s->openat(fd, "f2", O_WRONLY | O_CREAT, 0644);
	LINE("openat O_CREAT", r < 0 ? -1 : 0);
	r = s->mkdir("g", 0755);
	LINE("mkdir", r);
	r = s->symlink("x", "sym");
	LINE("symlink", r);
	r = s->mknod("fifo", S_IFIFO | 0644, 0);
	LINE("mknod", r);
	r = s->link("../b/f", "l");
	LINE("link", r);
	r = s->rename("../b/f", "r");
	LINE("rename into", r);
	r = s->rmdir(".");
	LINE("rmdir .", r);
	r = s->rmdir("..");
	LINE("rmdir ..", r);
	r = s->getcwd(cwd, sizeof(cwd));
	LINE("getcwd", r < 0 ? r : 0);
	r = s->chdir("..");
	LINE("chdir ..", r);
	r = s->getcwd(cwd, sizeof(cwd));
	LINE("getcwd after", r < 0 ? r : 0);
	r = s->lstat("a", &st);
	LINE("stat a", r);
	/* Back into the removed directory through its descriptor. */
	r = s->fchdir(fd);
	LINE("fchdir", r);
	r = s->getcwd(cwd, sizeof(cwd));
	LINE("getcwd again", r < 0 ? r : 0);
	fd2 = s->open("..", O_RDONLY | O_DIRECTORY);
	LINE("open ..", fd2 < 0 ? -1 : 0);
	if (fd2 >= 0)
		(void)s->close(fd2);
	r = s->chdir("..");
	LINE("chdir .. again", r);
	(void)s->close(fd);
#undef LINE
}

/*
 * A working directory removed with its parent (p/a: a, then p): ".."
 * still leads to the removed parent (link count 0) and "../.." to
 * base, as Linux's dentries keep them; names in either are ENOENT and
 * getting out through ".." twice works.
 */
static void
removed_parent_script(struct side *s, char *out, size_t outlen)
{
	struct stat st, base;
	char buf[4096], cwd[1024];
	long r;
	int fd0, fd;

#define LINE(what, r) snprintf(out + strlen(out), outlen - strlen(out),	\
	"%s: %ld errno %d\n", what, (long)(r), (r) < 0 ? s->err() : 0)
	fd0 = s->open(".", O_RDONLY | O_DIRECTORY);
	ATF_REQUIRE(fd0 >= 0);
	ATF_REQUIRE_EQ(s->fstat(fd0, &base), 0);
	ATF_REQUIRE_EQ(s->mkdir("p", 0755), 0);
	ATF_REQUIRE_EQ(s->mkdir("p/a", 0755), 0);
	ATF_REQUIRE_EQ(s->chdir("p/a"), 0);
	r = s->rmdir("../a");
	LINE("rmdir a", r);
	r = s->rmdir("../../p");
	LINE("rmdir p", r);
	r = s->lstat(".", &st);
	LINE("stat . removed", r < 0 ? r : (long)(st.st_nlink == 0));
	r = s->lstat("..", &st);
	LINE("stat .. removed", r < 0 ? r : (long)(st.st_nlink == 0));
	r = s->lstat("../..", &st);
	LINE("stat ../.. is base", r < 0 ? r : (long)(st.st_ino ==
	    base.st_ino));
	r = s->lstat("../x", &st);
	LINE("stat ../x", r);
	r = s->mkdir("../g", 0755);
	LINE("mkdir ../g", r);
	r = s->open("../f", O_WRONLY | O_CREAT, 0644);
	LINE("open ../f O_CREAT", r < 0 ? -1 : 0);
	fd = s->open("..", O_RDONLY | O_DIRECTORY);
	LINE("open ..", fd < 0 ? -1 : 0);
	if (fd >= 0) {
		errno = 0;
		r = s->getdents(fd, buf, sizeof(buf));
		LINE("getdents64 ..", r);
		(void)s->close(fd);
	}
	r = s->chdir("..");
	LINE("chdir ..", r);
	r = s->getcwd(cwd, sizeof(cwd));
	LINE("getcwd in p", r < 0 ? r : 0);
	r = s->lstat(".", &st);
	LINE("stat . in p", r < 0 ? r : (long)(st.st_nlink == 0));
	r = s->chdir("..");
	LINE("chdir .. again", r);
	r = s->lstat(".", &st);
	LINE("stat . is base", r < 0 ? r : (long)(st.st_ino == base.st_ino));
	r = s->getcwd(cwd, sizeof(cwd));
	LINE("getcwd in base", r < 0 ? r : 0);
	r = s->lstat("p", &st);
	LINE("stat p", r);
	(void)s->fchdir(fd0);
	(void)s->close(fd0);
#undef LINE
}

static void
removed_dir_diff(const char *kdir)
{
	char hdir[] = "hostdir-XXXXXX", cwd[1024];
	static char th[8192], tk[8192];
	struct lwp *parent;
	int variant;

	ATF_REQUIRE(getcwd(cwd, sizeof(cwd)) != NULL);
	ATF_REQUIRE(mkdtemp(hdir) != NULL);
	umask(022);
	(void)rump_sys_umask(022);
	RL(rump_sys_mkdir(kdir, 0755));
	RL(rump_sys_chown(kdir, getuid(), getgid()));
	parent = rump_lwproc_curlwp();
	ATF_REQUIRE_EQ(rump_lwproc_rfork(RUMP_RFCFDG), 0);
	RL(rump_sys_setgid(getgid()));
	RL(rump_sys_setuid(getuid()));
	for (variant = 0; variant < 2; variant++) {
		th[0] = tk[0] = '\0';
		RL(chdir(cwd));
		RL(chdir(hdir));
		RL(rump_sys_chdir(kdir));
		removed_dir_script(&host, variant == 1, th, sizeof(th));
		removed_dir_script(&kern, variant == 1, tk, sizeof(tk));
		if (strcmp(th, tk) != 0) {
			fprintf(stderr, "host:\n%s\nstrata:\n%s\n", th, tk);
			RL(chdir(cwd));
			atf_tc_fail("removed directory (%s): the outcomes differ "
			    "(stderr)", variant ? "through another path" :
			    "through ..");
		}
		RL(chdir(cwd));
		RL(chdir(hdir));
		RL(rump_sys_chdir(kdir));
		cleanup(&host);
		cleanup(&kern);
	}
	/* The parent removed as well. */
	th[0] = tk[0] = '\0';
	RL(chdir(cwd));
	RL(chdir(hdir));
	RL(rump_sys_chdir(kdir));
	removed_parent_script(&host, th, sizeof(th));
	removed_parent_script(&kern, tk, sizeof(tk));
	if (strcmp(th, tk) != 0) {
		fprintf(stderr, "host:\n%s\nstrata:\n%s\n", th, tk);
		RL(chdir(cwd));
		atf_tc_fail("removed directory and parent: the outcomes "
		    "differ (stderr)");
	}
	RL(chdir(cwd));
	(void)rmdir(hdir);
	rump_lwproc_releaselwp();
	rump_lwproc_switch(parent);
}

ATF_TC(tmpfs_removed_dir);
ATF_TC_HEAD(tmpfs_removed_dir, tc)
{
	atf_tc_set_md_var(tc, "descr", "tmpfs: a working directory removed "
	    "under the process gives the host's answers (\"..\" leads to "
	    "where it was, new names ENOENT, getdents64 ENOENT, getcwd "
	    "ENOENT)");
}
ATF_TC_BODY(tmpfs_removed_dir, tc)
{
	boot();
	removed_dir_diff("/w");
}

ATF_TC(ext2_removed_dir);
ATF_TC_HEAD(ext2_removed_dir, tc)
{
	atf_tc_set_md_var(tc, "descr", "ext2: the same as tmpfs_removed_dir; "
	    "e2fsck -fn clean after");
}
ATF_TC_BODY(ext2_removed_dir, tc)
{
	int error;

	if (system("PATH=$PATH:/sbin:/usr/sbin; command -v mke2fs >/dev/null "
	    "&& command -v e2fsck >/dev/null") != 0)
		atf_tc_skip("e2fsprogs (mke2fs, e2fsck) is not installed");
	ATF_REQUIRE(system("PATH=$PATH:/sbin:/usr/sbin; mke2fs -q -F -t ext2 "
	    "-b 1024 ext2.img 8M >mkfs.out 2>&1") == 0);
	boot();
	RL(rump_sys_mkdir("/mnt", 0755));
	error = rump_etfs_register("/dev/disk0", "ext2.img", RUMP_ETFS_BLK);
	ATF_REQUIRE_EQ(error, 0);
	RL(rump_sys_mount("/dev/disk0", "/mnt", "ext2", 0, NULL));
	removed_dir_diff("/mnt/w");
	RL(rump_sys_umount2("/mnt", 0));
	if (system("PATH=$PATH:/sbin:/usr/sbin; e2fsck -fn ext2.img "
	    ">fsck.out 2>&1") != 0) {
		(void)system("cat fsck.out >&2");
		atf_tc_fail("e2fsck -fn: not clean");
	}
}

ATF_TC(fat_removed_dir);
ATF_TC_HEAD(fat_removed_dir, tc)
{
	atf_tc_set_md_var(tc, "descr", "FAT: the same as tmpfs_removed_dir "
	    "(every call the script makes answers as on the host, since a "
	    "removed directory refuses new names before the file system is "
	    "asked)");
}
ATF_TC_BODY(fat_removed_dir, tc)
{
	int error;

	if (system("PATH=$PATH:/sbin:/usr/sbin; rm -f fat.img; "
	    "mkfs.fat -C fat.img 8192 >mkfs.out 2>&1") != 0)
		atf_tc_skip("mkfs.fat (dosfstools) is not installed");
	boot();
	RL(rump_sys_mkdir("/mnt", 0755));
	error = rump_etfs_register("/dev/fat0", "fat.img", RUMP_ETFS_BLK);
	ATF_REQUIRE_EQ(error, 0);
	RL(rump_sys_mount("/dev/fat0", "/mnt", "vfat", 0, NULL));
	removed_dir_diff("/mnt/w");
	RL(rump_sys_umount2("/mnt", 0));
}

ATF_TC(tmpfs);
ATF_TC_HEAD(tmpfs, tc)
{
	atf_tc_set_md_var(tc, "descr", "random file system call sequences on "
	    "tmpfs give the host's results (config: iters, seed, trace)");
}
ATF_TC_BODY(tmpfs, tc)
{
	boot();
	run_diff(tc, "/w", "400");
}

ATF_TC(ext2);
ATF_TC_HEAD(ext2, tc)
{
	atf_tc_set_md_var(tc, "descr", "random file system call sequences on "
	    "ext2 give the host's results (config: iters, seed, trace)");
}
ATF_TC_BODY(ext2, tc)
{
	int error;

	if (system("PATH=$PATH:/sbin:/usr/sbin; command -v mke2fs >/dev/null "
	    "&& command -v e2fsck >/dev/null") != 0)
		atf_tc_skip("e2fsprogs (mke2fs, e2fsck) is not installed");
	ATF_REQUIRE(system("PATH=$PATH:/sbin:/usr/sbin; mke2fs -q -F -t ext2 "
	    "-b 1024 ext2.img 64M >mkfs.out 2>&1") == 0);
	boot();
	coarse_times = true;
	RL(rump_sys_mkdir("/mnt", 0755));
	error = rump_etfs_register("/dev/disk0", "ext2.img", RUMP_ETFS_BLK);
	ATF_REQUIRE_EQ(error, 0);
	RL(rump_sys_mount("/dev/disk0", "/mnt", "ext2", 0, NULL));
	run_diff(tc, "/mnt/w", "200");
	RL(rump_sys_umount2("/mnt", 0));
	if (system("PATH=$PATH:/sbin:/usr/sbin; e2fsck -fn ext2.img "
	    ">fsck.out 2>&1") != 0) {
		(void)system("cat fsck.out >&2");
		atf_tc_fail("e2fsck -fn: not clean");
	}
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, tmpfs);
	ATF_TP_ADD_TC(tp, ext2);
	ATF_TP_ADD_TC(tp, tmpfs_removed_dir);
	ATF_TP_ADD_TC(tp, ext2_removed_dir);
	ATF_TP_ADD_TC(tp, fat_removed_dir);
	return atf_no_error();
}
