/*
 * run_sys.c: the policy of strata-run: which of the program's system calls
 * the rump kernel serves and which the host does, and the one descriptor
 * space the program sees.
 *
 * Policy (README.md and strata-run(1) say the same to users):
 *  - Files, directories, pipes and sockets live in the rump kernel; so do
 *    the program's cwd, umask, credentials (getuid and friends) and its
 *    host name (uname).
 *  - Paths under the host prefixes are the host's: read-only access under
 *    --host-ro prefixes (by default the system directories /usr, /lib*,
 *    /bin, /sbin, /etc, where the program's executable, its shared
 *    libraries and their configuration are), any access under --host
 *    prefixes (by default /dev, /proc, /sys).  Relative paths start at
 *    the kernel's cwd; a path relative to a directory descriptor goes
 *    where that descriptor is.
 *  - Memory, threads, signals, time, process identity (getpid) and exit
 *    stay with the host.
 *  - Descriptors: one table, strata-run's, maps the program's numbers to
 *    a host or a kernel descriptor; 0, 1 and 2 start as the host's.
 *    Numbers are allocated lowest-first across both, as Linux does.
 *    A call with no case in dispatch() has its descriptor arguments
 *    (run_fdtab.tab names them for every call) translated and goes where
 *    they are; one that mixes the two kinds fails (EXDEV, EBADF...) or,
 *    for sendfile and splice, is made of reads and writes (table_call).
 *  - A call the kernel lacks returns what the kernel says, ENOSYS,
 *    reported once per number under --trace.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <asm/prctl.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/stat.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include <stdint.h>
#include <rump/rump.h>
#include <rump/rump_syscalls.h>
#include <rump/rumpuser_fcopy.h>
#include <rump/rumpuser.h>
#include <rump/rumpuser_splocal.h>
#include <rump/rumpclient.h>

#include "run.h"

#define NB_EFAULT	14
#define ERESTARTSYS	512	/* rump.h: an interrupted call to restart */

/*
 * The table.  The program's threads use it side by side: an entry is one
 * word (kind << 48 | (epoll object + 1) << 32 | real; 0 is free), read
 * and written atomically, and every change is made under fd_lock, so
 * that a lookup sees an entry whole and numbers are allocated
 * lowest-first without two threads taking the same.  As on Linux, a call
 * on a descriptor that another thread closes meanwhile may see it closed.
 */
static uint64_t fdtab[NFD];
static pthread_mutex_t fd_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t brk_lock = PTHREAD_MUTEX_INITIALIZER;
static const struct run_image *image;
static int fdmap_given;
static unsigned long brk_start, brk_cur, brk_limit;
/* Numbers whose ENOSYS was reported (--trace). */
static unsigned char enosys_told[1024];

/* The program's SIGSYS disposition: never given to the host, whose
 * SIGSYS is strata-run's. */
static unsigned char sigsys_act[32];

const char *run_sysname(long nr);

/* --- Copies from and to the program's memory --------------------------- */

static int
get_path(long uaddr, char *buf)
{
	size_t done;
	int e;

	if (uaddr == 0)
		return EFAULT;
	e = rumpuser_fcopyinstr((const void *)uaddr, buf, PATH_MAX, &done);
	if (e == NB_EFAULT)
		return EFAULT;
	if (e != 0)
		return ENAMETOOLONG;
	return 0;
}

static int
get_mem(long uaddr, void *buf, size_t len)
{

	return rumpuser_fcopyin((const void *)uaddr, buf, len) ? EFAULT : 0;
}

static int
put_mem(long uaddr, const void *buf, size_t len)
{

	return rumpuser_fcopyout(buf, (void *)uaddr, len) ? EFAULT : 0;
}

/* --- Calls into the kernel and the host -------------------------------- */

long
run_ksys(long nr, long a0, long a1, long a2, long a3, long a4, long a5)
{
	long args[6] = { a0, a1, a2, a3, a4, a5 };
	long rv[2] = { 0, 0 };
	struct run_thread *t;
	int error;

	/* A signal that comes meanwhile interrupts the call
	 * (run_signal.c), in-process or on the server. */
	t = run_sig_kcall_begin();
	if (run_opt.server != NULL)
		error = rumpclient_syscall((int)nr, args, rv);
	else
		error = rump_syscall((int)nr, args, rv);
	run_sig_kcall_end(t);
	return error != 0 ? -error : rv[0];
}
#define rsys run_ksys

/* The program's process in the in-process kernel (run_sys_init). */
static int kpid;

int
run_sys_thread_begin(void)
{

	/* Remote: librumpclient gives each thread that makes calls a
	 * connection of its own, an lwp of the same process. */
	if (run_opt.server != NULL)
		return 0;
	return rump_lwproc_newlwp(kpid);
}

void
run_sys_thread_end(void)
{

	if (run_opt.server == NULL)
		rump_lwproc_releaselwp();
}

#define HSYS(nr, a0, a1, a2, a3, a4, a5) \
	run_host_syscall((nr), (long)(a0), (long)(a1), (long)(a2), \
	    (long)(a3), (long)(a4), (long)(a5))

/* --- The descriptor table ---------------------------------------------- */

static uint64_t
fd_word(int kind, int real, int ep)
{

	return (uint64_t)kind << 48 | (uint64_t)(uint16_t)(ep + 1) << 32 |
	    (uint32_t)real;
}

static void
fd_decode(uint64_t w, struct gfd *f)
{

	f->kind = (unsigned char)(w >> 48) & ~FD_FDDIR;
	f->fddir = ((unsigned char)(w >> 48) & FD_FDDIR) != 0;
	f->ep = (int)(uint16_t)(w >> 32) - 1;
	f->real = (int)(uint32_t)w;
}

/* Sets entry g (fd_lock held, or before any thread exists); kind 0
 * frees it. */
static void
fd_store(int g, int kind, int real, int ep)
{

	__atomic_store_n(&fdtab[g], kind == 0 ? 0 : fd_word(kind, real, ep),
	    __ATOMIC_RELEASE);
}

static int
fd_alloc(int min, int kind, int real, int ep)
{
	int i, g = -1;

	pthread_mutex_lock(&fd_lock);
	for (i = min < 0 ? 0 : min; i < NFD; i++) {
		if (__atomic_load_n(&fdtab[i], __ATOMIC_ACQUIRE) == 0) {
			fd_store(i, kind, real, ep);
			g = i;
			break;
		}
	}
	pthread_mutex_unlock(&fd_lock);
	return g;
}

struct gfd *
run_fd_get(long g, struct gfd *buf)
{
	uint64_t w;

	if (g < 0 || g >= NFD)
		return NULL;
	if ((w = __atomic_load_n(&fdtab[g], __ATOMIC_ACQUIRE)) == 0)
		return NULL;
	fd_decode(w, buf);
	return buf;
}
#define fd_get run_fd_get

/* Closes the real descriptor behind a table entry (and lets go of its
 * epoll object). */
static long
fd_close_real(struct gfd *f)
{
	long r;

	if (f->kind == FD_HOST)
		r = HSYS(SYS_close, f->real, 0, 0, 0, 0, 0);
	else
		r = rsys(SYS_close, f->real, 0, 0, 0, 0, 0);
	if (f->ep >= 0)
		run_ep_unref(f->ep);
	return r;
}

long
run_fd_enter(int min, int kind, long real, int ep)
{
	int g;

	if (real < 0) {
		if (ep >= 0)
			run_ep_unref(ep);
		return real;
	}
	g = fd_alloc(min, kind, (int)real, ep);
	if (g < 0) {
		struct gfd tmp = { (unsigned char)(kind & ~FD_FDDIR),
		    (int)real, ep, 0 };

		fd_close_real(&tmp);
		return -EMFILE;
	}
	return g;
}

/* Enters a freshly made real descriptor; closes it when the table is
 * full. */
static long
fd_enter(int min, int kind, long real)
{

	return run_fd_enter(min, kind, real, -1);
}

/* --- Paths ------------------------------------------------------------- */

/* Whether absolute path p is under prefix (component-wise). */
static int
under(const char *p, const char *prefix)
{
	size_t n = strlen(prefix);

	while (n > 1 && prefix[n - 1] == '/')
		n--;
	if (n == 1 && prefix[0] == '/')
		return 1;
	return strncmp(p, prefix, n) == 0 && (p[n] == '\0' || p[n] == '/');
}

/* Removes ".", "..", and repeated slashes from absolute path p, in
 * place, so that "/usr/../tmp" is not taken for a /usr path. */
static void
normalize(char *p)
{
	char *out = p, *in = p;

	while (*in != '\0') {
		while (*in == '/')
			in++;
		if (*in == '\0')
			break;
		if (in[0] == '.' && (in[1] == '/' || in[1] == '\0')) {
			in++;
			continue;
		}
		if (in[0] == '.' && in[1] == '.' &&
		    (in[2] == '/' || in[2] == '\0')) {
			in += 2;
			while (out > p && *--out != '/')
				;
			continue;
		}
		*out++ = '/';
		while (*in != '\0' && *in != '/')
			*out++ = *in++;
	}
	if (out == p)
		*out++ = '/';
	*out = '\0';
}

/*
 * Whether the program made path, under a read-only host prefix, in the
 * kernel: writes there go to the kernel, so reads must find what was
 * written (else a file written and read back would read as missing).
 * Only what is not a directory shadows the host's: a directory made in
 * the kernel to hold such files leaves the host's directory listed and
 * searched, so the host's files under it stay visible.
 */
static int
kernel_shadows(const char *path)
{
	struct stat st;

	return rsys(SYS_newfstatat, AT_FDCWD, (long)path, (long)&st,
	    AT_SYMLINK_NOFOLLOW, 0, 0) == 0 && !S_ISDIR(st.st_mode);
}

/* Whether an absolute path is served by the host, for a call that
 * writes (modifies or creates) or only reads. */
static int
host_path(const char *path, int writing)
{
	char norm[PATH_MAX];
	size_t i;

	if (strlen(path) >= sizeof(norm))
		return 0;
	strcpy(norm, path);
	normalize(norm);
	for (i = 0; i < run_opt.nhost_rw; i++)
		if (under(norm, run_opt.host_rw[i]))
			return 1;
	if (writing)
		return 0;
	for (i = 0; i < run_opt.nhost_ro; i++)
		if (under(norm, run_opt.host_ro[i]))
			return !kernel_shadows(norm);
	return 0;
}

/*
 * Where a (dirfd, path) pair goes: sets *kind and *realdir (the real
 * directory descriptor, or AT_FDCWD).  Absolute paths by prefix, relative
 * ones by their directory (the cwd is the kernel's).
 */
/* Set by route() when the path named a kernel descriptor itself
 * (/proc/self/fd/N): the call must then act on the descriptor. */
static __thread int route_selfref;

/*
 * /proc/self/fd/N (also /proc/thread-self/fd/N, /proc/<pid>/fd/N,
 * /dev/fd/N) names the program's descriptor N, which the host knows by
 * another number or not at all: rewritten in place to the host's number,
 * or to a path relative to the kernel's descriptor.  Returns 0 when path
 * is not such a name, 1 when rewritten (*kind, *realdir set), or -errno.
 */
static int
route_procfd(char *path, int *kind, long *realdir)
{
	struct gfd fb1;
	static const char *const pfx[] = { "/proc/self/fd/",
	    "/proc/thread-self/fd/", "/dev/fd/", NULL };
	char own[48], *p = NULL, *end;
	struct gfd *f;
	long n;
	int i;

	for (i = 0; pfx[i] != NULL && p == NULL; i++)
		if (strncmp(path, pfx[i], strlen(pfx[i])) == 0)
			p = path + strlen(pfx[i]);
	if (p == NULL) {
		snprintf(own, sizeof(own), "/proc/%ld/fd/",
		    HSYS(SYS_getpid, 0, 0, 0, 0, 0, 0));
		if (strncmp(path, own, strlen(own)) != 0)
			return 0;
		p = path + strlen(own);
	}
	if (*p < '0' || *p > '9')
		return 0;
	n = strtol(p, &end, 10);
	if (*end != '\0' && *end != '/')
		return 0;
	if ((f = fd_get(n, &fb1)) == NULL)
		return -ENOENT;
	*kind = f->kind;
	if (f->kind == FD_HOST) {
		char head[48];
		size_t hl, rl = strlen(end);

		hl = (size_t)snprintf(head, sizeof(head), "/proc/self/fd/%d",
		    f->real);
		if (hl + rl >= PATH_MAX)
			return -ENAMETOOLONG;
		memmove(path + hl, end, rl + 1);
		memcpy(path, head, hl);
		*realdir = AT_FDCWD;
		return 1;
	}
	*realdir = f->real;
	while (*end == '/')
		end++;
	memmove(path, end, strlen(end) + 1);
	route_selfref = path[0] == '\0';
	return 1;
}

/*
 * The program's working directory is the kernel's, or a host directory
 * (a chdir or fchdir into a host path: --host prefixes, or the read-only
 * ones).  The host's is kept as its absolute path (the host process's
 * own cwd is strata-run's and does not change): a relative path is then
 * made absolute and goes where its prefix says, so that ".." out of a
 * host directory leads back into the kernel.
 */
static int cwd_is_host;			/* atomic */
static char cwd_host[PATH_MAX];
static pthread_mutex_t cwd_lock = PTHREAD_MUTEX_INITIALIZER;

/* Makes relative path p (a PATH_MAX buffer) absolute when the cwd is a
 * host directory.  0 or ENAMETOOLONG. */
static int
abs_cwd(char *p)
{
	size_t n, m;
	int e = 0;

	if (p[0] == '/' || p[0] == '\0' ||
	    !__atomic_load_n(&cwd_is_host, __ATOMIC_ACQUIRE))
		return 0;
	pthread_mutex_lock(&cwd_lock);
	if (cwd_is_host) {
		n = strlen(cwd_host);
		m = strlen(p);
		if (n + 1 + m >= PATH_MAX)
			e = ENAMETOOLONG;
		else {
			memmove(p + n + 1, p, m + 1);
			memcpy(p, cwd_host, n);
			p[n] = '/';
		}
	}
	pthread_mutex_unlock(&cwd_lock);
	return e;
}

/* The cwd becomes host directory path (absolute), or the kernel's
 * (NULL). */
void
run_sys_set_host_cwd(const char *path)
{

	pthread_mutex_lock(&cwd_lock);
	if (path != NULL && strlen(path) < sizeof(cwd_host)) {
		strcpy(cwd_host, path);
		normalize(cwd_host);
		__atomic_store_n(&cwd_is_host, 1, __ATOMIC_RELEASE);
	} else
		__atomic_store_n(&cwd_is_host, 0, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&cwd_lock);
}

/* chdir(2): into a host directory (kept by path) or a kernel one. */
static long
do_chdir(long upath)
{
	char path[PATH_MAX];
	struct stat st;
	long r;
	int e;

	if ((e = get_path(upath, path)) != 0)
		return -e;
	if ((e = abs_cwd(path)) != 0)
		return -e;
	if (path[0] == '/' && host_path(path, 0)) {
		if ((r = HSYS(SYS_stat, path, &st, 0, 0, 0, 0)) < 0)
			return r;
		if (!S_ISDIR(st.st_mode))
			return -ENOTDIR;
		if ((r = HSYS(SYS_access, path, X_OK, 0, 0, 0, 0)) < 0)
			return r;
		run_sys_set_host_cwd(path);
		return 0;
	}
	if ((r = rsys(SYS_chdir, (long)path, 0, 0, 0, 0, 0)) == 0)
		run_sys_set_host_cwd(NULL);
	return r;
}

/* fchdir(2): a host directory's path is what the host says it is. */
static long
do_fchdir(long fd)
{
	struct gfd fb1, *f = fd_get(fd, &fb1);
	char link[64], path[PATH_MAX];
	struct stat st;
	long r;

	if (f == NULL)
		return -EBADF;
	if (f->kind != FD_HOST) {
		if ((r = rsys(SYS_fchdir, f->real, 0, 0, 0, 0, 0)) == 0)
			run_sys_set_host_cwd(NULL);
		return r;
	}
	if ((r = HSYS(SYS_fstat, f->real, &st, 0, 0, 0, 0)) < 0)
		return r;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", f->real);
	r = HSYS(SYS_readlink, link, path, sizeof(path) - 1, 0, 0, 0);
	if (r < 0)
		return r;
	path[r] = '\0';
	if (path[0] != '/')
		return -ENOENT;
	run_sys_set_host_cwd(path);
	return 0;
}

/* getcwd(2): the host directory's path, or the kernel's cwd. */
static long
do_getcwd(long ubuf, long size)
{
	char path[PATH_MAX];
	size_t n;

	if (!__atomic_load_n(&cwd_is_host, __ATOMIC_ACQUIRE))
		return rsys(SYS_getcwd, ubuf, size, 0, 0, 0, 0);
	pthread_mutex_lock(&cwd_lock);
	strcpy(path, cwd_host);
	pthread_mutex_unlock(&cwd_lock);
	n = strlen(path) + 1;
	if ((size_t)size < n)
		return -ERANGE;
	return put_mem(ubuf, path, n) ? -EFAULT : (long)n;
}

static int
route(long dirfd, char *path, int writing, int *kind, long *realdir)
{
	struct gfd fb1;
	struct gfd *f;
	int r;

	route_selfref = 0;
	if ((int)dirfd == AT_FDCWD && (r = abs_cwd(path)) != 0)
		return r;
	if ((r = route_procfd(path, kind, realdir)) != 0)
		return r < 0 ? -r : 0;
	if (path[0] == '/') {
		*kind = host_path(path, writing) ? FD_HOST : FD_RUMP;
		*realdir = AT_FDCWD;
		return 0;
	}
	if ((int)dirfd == AT_FDCWD) {
		*kind = FD_RUMP;
		*realdir = AT_FDCWD;
		return 0;
	}
	if ((f = fd_get(dirfd, &fb1)) == NULL)
		return EBADF;
	*kind = f->kind;
	*realdir = f->real;
	return 0;
}

/* A path call (dirfd, path, then up to three more arguments): routed and
 * made with the real directory and strata-run's copy of the path. */
static long
path_call(long nr, long dirfd, long upath, int writing, long a2, long a3,
    long a4)
{
	char path[PATH_MAX];
	long realdir;
	int kind, e;

	if ((e = get_path(upath, path)) != 0)
		return -e;
	if ((e = route(dirfd, path, writing, &kind, &realdir)) != 0)
		return -e;
	if (kind == FD_HOST)
		return HSYS(nr, realdir, path, a2, a3, a4, 0);
	if (route_selfref) {
		/* The descriptor itself: the same call with AT_EMPTY_PATH. */
		switch (nr) {
		case SYS_newfstatat: case 452 /* fchmodat2 */:
		case SYS_faccessat2:
			a3 |= AT_EMPTY_PATH;
			break;
		case SYS_fchmodat:
			nr = 452;
			a3 = AT_EMPTY_PATH;
			break;
		case SYS_faccessat:
			nr = SYS_faccessat2;
			a3 = AT_EMPTY_PATH;
			break;
		case SYS_fchownat:
			a4 |= AT_EMPTY_PATH;
			break;
		case SYS_utimensat:
			return rsys(nr, realdir, 0, a2, a3, 0, 0);
		case SYS_readlinkat: {
			/* /proc/self/fd/N of a kernel pipe or socket: what
			 * Linux's link says, "pipe:[inode]". */
			struct stat st;
			char link[64];
			size_t n;

			if (rsys(SYS_fstat, realdir, (long)&st, 0, 0, 0, 0) != 0 ||
			    (!S_ISFIFO(st.st_mode) && !S_ISSOCK(st.st_mode)))
				break;
			if (a3 <= 0)
				return -EINVAL;
			n = (size_t)snprintf(link, sizeof(link), "%s:[%lu]",
			    S_ISFIFO(st.st_mode) ? "pipe" : "socket",
			    (unsigned long)st.st_ino);
			if (n > (size_t)a3)
				n = (size_t)a3;
			return put_mem(a2, link, n) ? -EFAULT : (long)n;
		}
		}
	}
	return rsys(nr, realdir, (long)path, a2, a3, a4, 0);
}

/* Two-path calls (renameat2, linkat): both ends in one place. */
static long
path2_call(long nr, long d1, long up1, long d2, long up2, long a4)
{
	char p1[PATH_MAX], p2[PATH_MAX];
	long r1, r2;
	int k1, k2, e;

	if ((e = get_path(up1, p1)) != 0 || (e = get_path(up2, p2)) != 0)
		return -e;
	if ((e = route(d1, p1, 1, &k1, &r1)) != 0 ||
	    (e = route(d2, p2, 1, &k2, &r2)) != 0)
		return -e;
	if (k1 != k2)
		return -EXDEV;
	if (k1 == FD_HOST)
		return HSYS(nr, r1, p1, r2, p2, a4, 0);
	return rsys(nr, r1, (long)p1, r2, (long)p2, a4, 0);
}

/* Whether absolute path p names the directory of the program's
 * descriptors (/proc/self/fd, /dev/fd and the like). */
static int
is_fddir(const char *p)
{
	char norm[PATH_MAX], own[48];

	if (p[0] != '/' || strlen(p) >= sizeof(norm))
		return 0;
	strcpy(norm, p);
	normalize(norm);
	snprintf(own, sizeof(own), "/proc/%d/fd", (int)run_pid);
	return strcmp(norm, "/proc/self/fd") == 0 ||
	    strcmp(norm, "/proc/thread-self/fd") == 0 ||
	    strcmp(norm, "/dev/fd") == 0 || strcmp(norm, own) == 0;
}

/*
 * getdents64 of such a directory: ".", "..", then the program's open
 * numbers, as links.  The position is the host descriptor's offset
 * (procfs takes any): 0 and 1 for the dots, g + 2 for number g.
 */
static long
fddir_getdents64(int real, long ubuf, long count)
{
	char buf[4096];
	long pos, used = 0, g;

	if ((pos = HSYS(SYS_lseek, real, 0, SEEK_CUR, 0, 0, 0)) < 0)
		return pos;
	if (count > (long)sizeof(buf))
		count = sizeof(buf);
	for (;;) {
		struct run_dirent64 *de = (void *)(buf + used);
		char name[16];
		size_t reclen;
		struct gfd fb;

		if (pos == 0 || pos == 1) {
			strcpy(name, pos == 0 ? "." : "..");
			g = pos - 2;
		} else {
			for (g = pos - 2; g < NFD && fd_get(g, &fb) == NULL;
			    g++)
				;
			if (g >= NFD)
				break;
			snprintf(name, sizeof(name), "%ld", g);
		}
		reclen = (offsetof(struct run_dirent64, name) + strlen(name) +
		    1 + 7) & ~(size_t)7;
		if (used + (long)reclen > count) {
			if (used == 0)
				return -EINVAL;
			break;
		}
		de->ino = (uint64_t)(g + 3);
		de->off = g + 3;
		de->reclen = (unsigned short)reclen;
		de->type = pos < 2 ? 4 /* DT_DIR */ : 10 /* DT_LNK */;
		memset(de->name, 0, reclen - 19);
		strcpy(de->name, name);
		used += (long)reclen;
		pos = g + 3;
	}
	if (used > 0 && put_mem(ubuf, buf, (size_t)used) != 0)
		return -EFAULT;
	HSYS(SYS_lseek, real, pos, SEEK_SET, 0, 0, 0);
	return used;
}

static long
do_openat(long dirfd, long upath, long flags, long mode)
{
	char path[PATH_MAX];
	long realdir, r;
	int kind, e, writing;

	if ((e = get_path(upath, path)) != 0)
		return -e;
	if (is_fddir(path))
		return fd_enter(0, FD_HOST | FD_FDDIR, HSYS(SYS_openat,
		    AT_FDCWD, "/proc/self/fd", flags, mode, 0, 0));
	writing = (flags & (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC)) != 0;
	if ((e = route(dirfd, path, writing, &kind, &realdir)) != 0)
		return -e;
	if (kind == FD_HOST)
		r = HSYS(SYS_openat, realdir, path, flags, mode, 0, 0);
	else if (route_selfref)
		/* Reopening a kernel descriptor: a duplicate (sharing the
		 * offset, unlike Linux's reopen). */
		r = rsys(SYS_fcntl, realdir, (flags & O_CLOEXEC) ?
		    F_DUPFD_CLOEXEC : F_DUPFD, 0, 0, 0, 0);
	else
		r = rsys(SYS_openat, realdir, (long)path, flags, mode, 0, 0);
	return fd_enter(0, kind, r);
}

/* The target is only a string: the link's place decides. */
static long
do_symlinkat(long utarget, long dirfd, long upath)
{
	char target[PATH_MAX], path[PATH_MAX];
	long realdir;
	int kind, e;

	if ((e = get_path(utarget, target)) != 0 ||
	    (e = get_path(upath, path)) != 0)
		return -e;
	if ((e = route(dirfd, path, 1, &kind, &realdir)) != 0)
		return -e;
	if (kind == FD_HOST)
		return HSYS(SYS_symlinkat, target, realdir, path, 0, 0, 0);
	return rsys(SYS_symlinkat, (long)target, realdir, (long)path, 0, 0, 0);
}

/* readlink of /proc/self/exe names the program, not strata-run. */
static long
readlink_exe(const char *path, long ubuf, long len)
{
	char self[64];
	size_t n;

	snprintf(self, sizeof(self), "/proc/%ld/exe",
	    HSYS(SYS_getpid, 0, 0, 0, 0, 0, 0));
	if (strcmp(path, "/proc/self/exe") != 0 &&
	    strcmp(path, "/proc/thread-self/exe") != 0 &&
	    strcmp(path, self) != 0)
		return 1;
	n = strlen(image->path);
	if ((size_t)len < n)
		n = (size_t)len;
	return put_mem(ubuf, image->path, n) ? -EFAULT : (long)n;
}

/* An exec of /proc/self/exe (busybox runs its applets so) is one of the
 * program's executable, not of strata-run's: path becomes that. */
static void
exec_self(char *path)
{
	char self[64];

	snprintf(self, sizeof(self), "/proc/%ld/exe",
	    HSYS(SYS_getpid, 0, 0, 0, 0, 0, 0));
	if ((strcmp(path, "/proc/self/exe") == 0 ||
	    strcmp(path, "/proc/thread-self/exe") == 0 ||
	    strcmp(path, self) == 0) && strlen(image->path) < PATH_MAX)
		strcpy(path, image->path);
}

static long
do_readlinkat(long dirfd, long upath, long ubuf, long len)
{
	char path[PATH_MAX];
	long r;
	int e;

	if ((e = get_path(upath, path)) != 0)
		return -e;
	if (path[0] == '/' && (r = readlink_exe(path, ubuf, len)) != 1)
		return r;
	return path_call(SYS_readlinkat, dirfd, upath, 0, ubuf, len, 0);
}

/* statx from the kernel's stat (the kernel has no statx). */
static long
do_statx(long dirfd, long upath, long flags, long mask, long ubuf)
{
	struct gfd fb1;
	char path[PATH_MAX];
	struct statx sx;
	struct stat st;
	long realdir, r;
	int kind, e;

	(void)mask;
	if ((e = get_path(upath, path)) != 0)
		return -e;
	if (path[0] == '\0' && (flags & AT_EMPTY_PATH)) {
		struct gfd *f = fd_get(dirfd, &fb1);

		route_selfref = 0;
		if (f == NULL)
			return -EBADF;
		kind = f->kind;
		realdir = f->real;
	} else if ((e = route(dirfd, path, 0, &kind, &realdir)) != 0)
		return -e;
	if (kind == FD_HOST)
		return HSYS(SYS_statx, realdir, path, flags, mask, ubuf, 0);
	r = rsys(SYS_newfstatat, realdir, (long)path, (long)&st,
	    (flags & (AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT)) |
	    (route_selfref ? AT_EMPTY_PATH : 0), 0, 0);
	if (r < 0)
		return r;
	memset(&sx, 0, sizeof(sx));
	sx.stx_mask = STATX_BASIC_STATS;
	sx.stx_blksize = (__u32)st.st_blksize;
	sx.stx_nlink = (__u32)st.st_nlink;
	sx.stx_uid = st.st_uid;
	sx.stx_gid = st.st_gid;
	sx.stx_mode = (__u16)st.st_mode;
	sx.stx_ino = st.st_ino;
	sx.stx_size = (__u64)st.st_size;
	sx.stx_blocks = (__u64)st.st_blocks;
	sx.stx_atime.tv_sec = st.st_atim.tv_sec;
	sx.stx_atime.tv_nsec = (__u32)st.st_atim.tv_nsec;
	sx.stx_mtime.tv_sec = st.st_mtim.tv_sec;
	sx.stx_mtime.tv_nsec = (__u32)st.st_mtim.tv_nsec;
	sx.stx_ctime.tv_sec = st.st_ctim.tv_sec;
	sx.stx_ctime.tv_nsec = (__u32)st.st_ctim.tv_nsec;
	sx.stx_rdev_major = major(st.st_rdev);
	sx.stx_rdev_minor = minor(st.st_rdev);
	sx.stx_dev_major = major(st.st_dev);
	sx.stx_dev_minor = minor(st.st_dev);
	return put_mem(ubuf, &sx, sizeof(sx)) ? -EFAULT : 0;
}

/* --- Descriptors --------------------------------------------------------- */

/* A call whose first argument is a descriptor, made where it lives. */
static long
fd_call(long nr, long args[6])
{
	struct gfd fb1;
	struct gfd *f = fd_get(args[0], &fb1);

	if (f == NULL)
		return -EBADF;
	if (f->kind == FD_HOST)
		return HSYS(nr, f->real, args[1], args[2], args[3], args[4],
		    args[5]);
	return rsys(nr, f->real, args[1], args[2], args[3], args[4], args[5]);
}

/* signalfd(2) is the host's (signals are): a new one enters the table,
 * an existing one (fd >= 0) must be a host descriptor and keeps its
 * number. */
static long
do_signalfd(long nr, long a[6])
{
	struct gfd fb1, *f;
	long r;

	if ((int)a[0] == -1)
		return fd_enter(0, FD_HOST, HSYS(nr, -1, a[1], a[2], a[3], 0,
		    0));
	if ((f = fd_get(a[0], &fb1)) == NULL)
		return -EBADF;
	if (f->kind != FD_HOST)
		return -EINVAL;		/* not a signalfd, as Linux says */
	r = HSYS(nr, f->real, a[1], a[2], a[3], 0, 0);
	return r < 0 ? r : a[0];
}

/* inotify_add_watch(2): the instance is the host's, so it watches host
 * paths; the kernel's files cannot be watched there (ENOSYS, as for a
 * call the kernel lacks). */
static long
do_inotify_add_watch(long a[6])
{
	char path[PATH_MAX];
	struct gfd fb1, *f;
	long realdir;
	int kind, e;

	if ((f = fd_get(a[0], &fb1)) == NULL)
		return -EBADF;
	if (f->kind != FD_HOST)
		return -EINVAL;		/* not an inotify instance */
	if ((e = get_path(a[1], path)) != 0)
		return -e;
	if ((e = route(AT_FDCWD, path, 0, &kind, &realdir)) != 0)
		return -e;
	if (kind != FD_HOST || realdir != AT_FDCWD)
		return -ENOSYS;
	return HSYS(SYS_inotify_add_watch, f->real, path, a[2], 0, 0, 0);
}

/* A duplicate of old's real descriptor, FD_CLOEXEC when cloexec; an
 * epoll object gains a reference, which the new entry holds. */
static long
dup_real(struct gfd *old, int cloexec)
{
	long cmd = cloexec ? F_DUPFD_CLOEXEC : F_DUPFD;

	if (old->ep >= 0)
		run_ep_ref(old->ep);
	if (old->kind == FD_HOST)
		return HSYS(SYS_fcntl, old->real, cmd, 0, 0, 0, 0);
	return rsys(SYS_fcntl, old->real, cmd, 0, 0, 0, 0);
}

static long
do_dup3(long oldfd, long newfd, long flags, int isdup2)
{
	struct gfd fb1, prev;
	struct gfd *old = fd_get(oldfd, &fb1);
	uint64_t w;
	long real;

	if (old == NULL)
		return -EBADF;
	if (newfd < 0 || newfd >= NFD)
		return -EBADF;
	if (oldfd == newfd)
		return isdup2 ? newfd : -EINVAL;
	if (flags & ~O_CLOEXEC)
		return -EINVAL;
	real = dup_real(old, (flags & O_CLOEXEC) != 0);
	if (real < 0) {
		if (old->ep >= 0)
			run_ep_unref(old->ep);
		return real;
	}
	/* The entry is replaced in one step (no thread sees newfd free in
	 * between), then what it held is closed. */
	pthread_mutex_lock(&fd_lock);
	w = __atomic_load_n(&fdtab[newfd], __ATOMIC_ACQUIRE);
	fd_store((int)newfd, old->kind | (old->fddir ? FD_FDDIR : 0),
	    (int)real, old->ep);
	pthread_mutex_unlock(&fd_lock);
	if (w != 0) {
		fd_decode(w, &prev);
		fd_close_real(&prev);
	}
	return newfd;
}

static long
do_fcntl(long args[6])
{
	struct gfd fb1;
	struct gfd *f = fd_get(args[0], &fb1);
	long real;

	if (f == NULL)
		return -EBADF;
	if (args[1] == F_DUPFD || args[1] == F_DUPFD_CLOEXEC) {
		if (args[2] < 0 || args[2] >= NFD)
			return -EINVAL;
		real = dup_real(f, args[1] == F_DUPFD_CLOEXEC);
		return run_fd_enter((int)args[2], f->kind |
		    (f->fddir ? FD_FDDIR : 0), real, f->ep);
	}
	return fd_call(SYS_fcntl, args);
}

static long
do_close(long g)
{
	struct gfd f;
	uint64_t w = 0;
	long r;

	if (g < 0 || g >= NFD)
		return -EBADF;
	pthread_mutex_lock(&fd_lock);
	if ((w = __atomic_load_n(&fdtab[g], __ATOMIC_ACQUIRE)) != 0)
		fd_store((int)g, 0, 0, -1);
	pthread_mutex_unlock(&fd_lock);
	if (w == 0)
		return -EBADF;
	fd_decode(w, &f);
	r = fd_close_real(&f);
	/* As on Linux, the descriptor is gone whatever close said. */
	return r == -EINTR ? 0 : r;
}

/* close_range(2) over the program's numbers (the kernel's and the
 * host's would be other descriptors): closed, or made close-on-exec
 * (CLOSE_RANGE_CLOEXEC).  CLOSE_RANGE_UNSHARE changes nothing here: the
 * table is the process's own. */
static long
do_close_range(unsigned long first, unsigned long last, unsigned long flags)
{
	unsigned long g;

	if ((flags & ~(2ul | 4ul)) != 0 || first > last)
		return -EINVAL;
	for (g = first; g <= last && g < NFD; g++) {
		struct gfd fb, *f = fd_get((long)g, &fb);

		if (f == NULL)
			continue;
		if (!(flags & 4 /* CLOSE_RANGE_CLOEXEC */))
			do_close((long)g);
		else if (f->kind == FD_HOST)
			HSYS(SYS_fcntl, f->real, F_SETFD, FD_CLOEXEC, 0, 0, 0);
		else
			rsys(SYS_fcntl, f->real, F_SETFD, FD_CLOEXEC, 0, 0, 0);
	}
	return 0;
}

/* pipe2, and socketpair (domain, type, protocol in a): two kernel
 * descriptors entered in the table, their numbers written back. */
static long
do_pair(long ufds, long nr, long a0, long a1, long a2)
{
	int real[2], g[2];
	long r;

	if (nr == SYS_pipe2)
		r = rsys(SYS_pipe2, (long)real, a0, 0, 0, 0, 0);
	else
		r = rsys(SYS_socketpair, a0, a1, a2, (long)real, 0, 0);
	if (r < 0)
		return r;
	g[0] = (int)fd_enter(0, FD_RUMP, real[0]);
	if (g[0] < 0) {
		rsys(SYS_close, real[1], 0, 0, 0, 0, 0);
		return g[0];
	}
	g[1] = (int)fd_enter(0, FD_RUMP, real[1]);
	if (g[1] < 0) {
		do_close(g[0]);
		return g[1];
	}
	if (put_mem(ufds, g, sizeof(g)) != 0) {
		do_close(g[0]);
		do_close(g[1]);
		return -EFAULT;
	}
	return 0;
}

/* mmap of a kernel file: a private copy of its bytes (the kernel's pages
 * cannot be mapped); a shared writable mapping cannot be had. */
static long do_mmap_call(long args[6]);

/* The program's mmap, recorded (run_map.c). */
static long
do_mmap(long args[6])
{
	long r = do_mmap_call(args);

	if (r >= 0 || r < -4095)
		run_map_add((unsigned long)r, (unsigned long)args[1]);
	return r;
}

static long
do_mmap_call(long args[6])
{
	struct gfd fb1;
	long addr = args[0], len = args[1], prot = args[2], flags = args[3];
	struct gfd *f;
	long r, got;

	if ((flags & MAP_ANONYMOUS) || (int)args[4] == -1)
		return HSYS(SYS_mmap, addr, len, prot, flags, args[4], args[5]);
	if ((f = fd_get(args[4], &fb1)) == NULL)
		return -EBADF;
	if (f->kind == FD_HOST)
		return HSYS(SYS_mmap, addr, len, prot, flags, f->real,
		    args[5]);
	if ((flags & MAP_TYPE) == MAP_SHARED && (prot & PROT_WRITE))
		return -ENODEV;
	r = HSYS(SYS_mmap, addr, len, PROT_READ | PROT_WRITE,
	    (flags & ~(MAP_TYPE | MAP_DENYWRITE | MAP_EXECUTABLE)) |
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r < 0)
		return r;
	got = rsys(SYS_pread64, f->real, r, len, args[5], 0, 0);
	if (got < 0) {
		HSYS(SYS_munmap, r, len, 0, 0, 0, 0);
		return got;
	}
	if (prot != (PROT_READ | PROT_WRITE))
		HSYS(SYS_mprotect, r, len, prot, 0, 0, 0);
	return r;
}

/* The program's break, in memory of its own (the host's break belongs
 * to strata-run's allocator). */
static long
do_brk(long want)
{
	unsigned long pg = (unsigned long)getpagesize();
	unsigned long w = (unsigned long)want;
	unsigned long cur_end = (brk_cur + pg - 1) & ~(pg - 1);
	unsigned long new_end = (w + pg - 1) & ~(pg - 1);
	long r;

	if (w < brk_start || new_end > brk_limit)
		return (long)brk_cur;
	/* The room after the program is ours (reserved at load): growing
	 * maps over it, shrinking gives the pages back to the reservation. */
	if (new_end > cur_end) {
		r = HSYS(SYS_mmap, cur_end, new_end - cur_end,
		    PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS |
		    MAP_FIXED, -1, 0);
		if (r < 0)
			return (long)brk_cur;
	} else if (new_end < cur_end)
		HSYS(SYS_mmap, new_end, cur_end - new_end, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE,
		    -1, 0);
	brk_cur = w;
	return (long)brk_cur;
}

/* --- Signals --------------------------------------------------------- */

#define ksigaction run_ksigaction
#define SIGBIT(s)	(1ul << ((s) - 1))

static long
do_rt_sigaction(long sig, long uact, long uoact, long sz)
{
	struct ksigaction ka;

	if (sz != 8)
		return -EINVAL;
	if (sig == SIGSYS) {
		if (uoact != 0 && put_mem(uoact, sigsys_act, sizeof(ka)))
			return -EFAULT;
		if (uact != 0 && get_mem(uact, sigsys_act, sizeof(ka)))
			return -EFAULT;
		return 0;
	}
	if (sig == SIGSEGV || sig == SIGBUS) {
		struct ksigaction old;

		if (uact != 0 && get_mem(uact, &ka, sizeof(ka)) != 0)
			return -EFAULT;
		run_sud_fault_action((int)sig, NULL, &old);
		if (uoact != 0 && put_mem(uoact, &old, sizeof(old)) != 0)
			return -EFAULT;
		if (uact != 0)
			run_sud_fault_action((int)sig, &ka, NULL);
		return 0;
	}
	{
		/* Handlers go through strata-run's wrapper (run_signal.c). */
		struct ksigaction old;
		long r;

		if (uact != 0 && get_mem(uact, &ka, sizeof(ka)) != 0)
			return -EFAULT;
		/* SIGSYS must never be blocked: it is how calls reach us. */
		if (uact != 0)
			ka.mask &= ~SIGBIT(SIGSYS);
		r = run_sig_action(sig, uact != 0 ? &ka : NULL, &old);
		if (r == 0 && uoact != 0 && put_mem(uoact, &old, sizeof(old)))
			return -EFAULT;
		return r;
	}
}

static long
do_sigmask_call(long nr, long args[6], int maskarg)
{
	unsigned long set;
	long a[6];

	memcpy(a, args, sizeof(a));
	if (a[maskarg] != 0) {
		if (get_mem(a[maskarg], &set, sizeof(set)) != 0)
			return -EFAULT;
		set &= ~SIGBIT(SIGSYS);
		a[maskarg] = (long)&set;
	}
	return HSYS(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

/*
 * The program's signal mask is the one in its SIGSYS frame (*mask),
 * which the return from the handler puts back: changed there, never in
 * the handler's own (which blocks everything while a call is served).
 */
static long
do_sigprocmask(long how, long uset, long uoset, long size, sigset_t *mask)
{
	uint64_t cur, set;

	if (size != 8)
		return -EINVAL;
	memcpy(&cur, mask, sizeof(cur));
	if (uset != 0) {
		if (get_mem(uset, &set, sizeof(set)) != 0)
			return -EFAULT;
		if (how != SIG_BLOCK && how != SIG_UNBLOCK && how != SIG_SETMASK)
			return -EINVAL;
	}
	if (uoset != 0 && put_mem(uoset, &cur, sizeof(cur)) != 0)
		return -EFAULT;
	if (uset == 0)
		return 0;
	if (how == SIG_BLOCK)
		cur |= set;
	else if (how == SIG_UNBLOCK)
		cur &= ~set;
	else
		cur = set;
	/* SIGSYS is how calls reach us; SIGKILL and SIGSTOP cannot be
	 * blocked anyway. */
	cur &= ~(SIGBIT(SIGSYS) | SIGBIT(SIGKILL) | SIGBIT(SIGSTOP));
	memcpy(mask, &cur, sizeof(cur));
	return 0;
}

/* --- Processes ----------------------------------------------------------- */

static long
do_arch_prctl(long code, long addr)
{
	struct run_thread *t = run_self();

	switch (code) {
	case ARCH_SET_FS:
		t->guest_fs = (unsigned long)addr;
		return 0;
	case ARCH_GET_FS:
		return put_mem(addr, &t->guest_fs, sizeof(t->guest_fs)) ?
		    -EFAULT : 0;
	case ARCH_SET_GS:
	case ARCH_GET_GS:
		/* GS holds strata-run's per-thread block. */
		return -EPERM;
	default:
		return HSYS(SYS_arch_prctl, code, addr, 0, 0, 0, 0);
	}
}

/*
 * The start of a forked child, either mode, once its kernel process is
 * settled: signals and Syscall User Dispatch as the child's own (neither
 * is inherited the way strata-run needs), its ids, and the clone() flags
 * that concern the child (the tid words, TLS, a new stack).  Returns the
 * child's 0.
 */
static long
fork_child_start(struct run_thread *t, long flags, long ctid, long tls,
    long newsp, greg_t *g)
{
	int tid;

	run_sig_forked();
	/* Syscall User Dispatch is not inherited by a forked child. */
	if (run_sud_enable() != 0) {
		fprintf(stderr, "strata-run: fork: cannot intercept the "
		    "child's system calls\n");
		HSYS(SYS_exit_group, 127, 0, 0, 0, 0, 0);
	}
	tid = (int)HSYS(SYS_gettid, 0, 0, 0, 0, 0, 0);
	t->tid = tid;
	/* The program's getpid is answered from this (run_sud.c). */
	run_pid = (pid_t)HSYS(SYS_getpid, 0, 0, 0, 0, 0, 0);
	if ((flags & CLONE_CHILD_SETTID) && ctid != 0)
		put_mem(ctid, &tid, sizeof(tid));
	if ((flags & CLONE_CHILD_CLEARTID) && ctid != 0)
		HSYS(SYS_set_tid_address, ctid, 0, 0, 0, 0, 0);
	if (flags & CLONE_SETTLS)
		t->guest_fs = (unsigned long)tls;
	if (newsp != 0)
		g[REG_RSP] = newsp;
	return 0;
}

/*
 * fork() of the program, with the kernel in a server (remote mode): the
 * child gets a rump process of its own, a copy of the parent's
 * (rumpclient_fork), and continues from the same call with 0.  The flags
 * of clone() that concern a new process are honoured; a new stack
 * (posix_spawn's clone(CLONE_VM | CLONE_VFORK) child) is switched to,
 * but the memory is copied, not shared.
 */
static long
do_fork(long flags, long newsp, long ptid, long ctid, long tls, greg_t *g)
{
	struct run_thread *t = run_self();
	pid_t pid;


	/* The server makes the child's rump process at rumpclient_fork's
	 * PREFORK, from the table as it is then: the parent may go on at
	 * once. */
	/* The child has only this thread: no other may hold strata-run's
	 * locks across the fork. */
	pthread_mutex_lock(&fd_lock);
	pthread_mutex_lock(&brk_lock);
	run_map_fork(0);
	pid = rumpclient_fork();
	run_map_fork(1);
	pthread_mutex_unlock(&brk_lock);
	pthread_mutex_unlock(&fd_lock);
	if (pid < 0)
		return -errno;
	if (pid > 0) {
		if ((flags & CLONE_PARENT_SETTID) && ptid != 0)
			put_mem(ptid, &pid, sizeof(pid));
		return pid;
	}
	return fork_child_start(t, flags, ctid, tls, newsp, g);
}

/*
 * fork() of the program with the kernel in this process: this process
 * keeps the kernel and, from the first fork on, serves it to its
 * children with the platform's sysproxy server (the one strata-server
 * runs) on a unix socket in a private directory (mode 0700, under
 * $TMPDIR or /tmp).  The child's rump process is made here before the
 * host's fork, a copy of the program's (rumpuser_sp_prefork_local, as a
 * server does at a client's PREFORK); the host child then connects as
 * that process and is from then on exactly a remote-mode child
 * (--server), whose exec re-executes strata-run against the socket.
 * The parent's exit waits for its clients (fork_exit).
 */
static char fork_dir[108], fork_url[128];

static int
fork_serve(void)
{
	const char *tmp = getenv("TMPDIR");
	sigset_t all, old;
	int error;

	if (fork_url[0] != '\0')
		return 0;
	if (tmp == NULL || tmp[0] != '/' || strlen(tmp) > 60)
		tmp = "/tmp";
	snprintf(fork_dir, sizeof(fork_dir), "%s/strata-run.XXXXXX", tmp);
	if (mkdtemp(fork_dir) == NULL)
		return errno;
	snprintf(fork_url, sizeof(fork_url), "unix://%s/k", fork_dir);
	/* The server's threads take none of the program's signals. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	error = rump_init_server(fork_url);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (error != 0) {
		rmdir(fork_dir);
		fork_url[0] = '\0';
		return error;
	}
	return 0;
}

static long
do_fork_local(long flags, long newsp, long ptid, long ctid, long tls,
    greg_t *g)
{
	struct run_thread *t = run_self();
	unsigned char cookie[16];
	pid_t pid;
	int error;
	int preforked;

	if ((error = fork_serve()) != 0)
		return -error;
	pthread_mutex_lock(&fd_lock);
	pthread_mutex_lock(&brk_lock);
	error = rumpuser_sp_prefork_local(cookie);
	preforked = error == 0;
	run_map_fork(0);
	pid = error != 0 ? -1 : fork();
	if (pid < 0 && error == 0)
		error = errno;
	run_map_fork(1);
	pthread_mutex_unlock(&brk_lock);
	pthread_mutex_unlock(&fd_lock);
	/* The process made for the child goes if there is none, or when
	 * it ends without joining. */
	if (pid != 0 && preforked)
		rumpuser_sp_prefork_child(cookie, pid);
	if (pid < 0)
		return -error;
	if (pid > 0) {
		if ((flags & CLONE_PARENT_SETTID) && ptid != 0)
			put_mem(ptid, &pid, sizeof(pid));
		return pid;
	}
	/* The child: the kernel here is a copy nobody runs; its process is
	 * the server's from now on. */
	run_opt.server = strdup(fork_url);
	fork_url[0] = '\0';
	if (setenv("RUMP_SERVER", run_opt.server, 1) != 0 ||
	    rumpclient_fork_join(cookie) != 0) {
		fprintf(stderr, "strata-run: fork: the child cannot join its "
		    "parent's kernel: %s\n", strerror(errno));
		HSYS(SYS_exit_group, 127, 0, 0, 0, 0, 0);
	}
	t->lwp = NULL;
	t->rlwp = rumpclient_curlwp();
	return fork_child_start(t, flags, ctid, tls, newsp, g);
}

/*
 * The exit of a program whose children use its kernel: its descriptors
 * are closed first (so that a child reading a pipe from it sees the
 * end), then the process waits until no child is connected (and none
 * forked is still to join, for at most 10 s), so that the kernel
 * outlives its last user; then --list-at-exit lists and the socket goes.
 */
static void
fork_exit(void)
{
	struct timespec ts = { 0, 5 * 1000 * 1000 };
	int g, nconns, npending, waited = 0;

	if (fork_url[0] == '\0')
		return;
	for (g = 0; g < NFD; g++) {
		struct gfd fb, *f = fd_get(g, &fb);

		if (f == NULL)
			continue;
		pthread_mutex_lock(&fd_lock);
		fd_store(g, 0, 0, -1);
		pthread_mutex_unlock(&fd_lock);
		fd_close_real(f);
	}
	for (;;) {
		rumpuser_sp_clients(&nconns, &npending);
		if (nconns == 0 && (npending == 0 || waited > 2000))
			break;
		nanosleep(&ts, NULL);
		waited++;
	}
}

static void
fork_cleanup(void)
{
	char sock[sizeof(fork_dir) + 4];

	if (fork_url[0] == '\0')
		return;
	snprintf(sock, sizeof(sock), "%s/k", fork_dir);
	unlink(sock);
	rmdir(fork_dir);
}

/* Copies a NULL-terminated array of strings from the program. */
static char **
get_strv(long uaddr, int *error)
{
	char **v = NULL, *str;
	size_t n = 0, cap = 0;
	long p;

	*error = 0;
	for (;;) {
		if (uaddr == 0)
			break;
		if (get_mem(uaddr + (long)(n * sizeof(long)), &p, sizeof(p))) {
			*error = EFAULT;
			break;
		}
		if (n + 1 >= cap) {
			char **nv = realloc(v, (cap = cap * 2 + 16) *
			    sizeof(char *));

			if (nv == NULL) {
				*error = ENOMEM;
				break;
			}
			v = nv;
		}
		if (p == 0)
			break;
		if ((str = malloc(PATH_MAX * 4)) == NULL) {
			*error = ENOMEM;
			break;
		}
		if (rumpuser_fcopyinstr((void *)p, str, PATH_MAX * 4, NULL)) {
			free(str);
			*error = E2BIG;
			break;
		}
		v[n++] = str;
		if (n > 65536) {
			*error = E2BIG;
			break;
		}
	}
	if (v == NULL && *error == 0)
		v = calloc(1, sizeof(char *));
	if (v != NULL)
		v[n] = NULL;
	if (*error != 0) {
		while (n > 0)
			free(v[--n]);
		free(v);
		return NULL;
	}
	return v;
}

/*
 * The file an exec names, as a host path execve's loaders can open.
 * execve(path) and execveat(AT_FDCWD, path) take the host's file at path
 * (relative: from the host cwd of the program, or strata-run's); a path
 * relative to a descriptor (execveat), the descriptor itself
 * (AT_EMPTY_PATH: fexecve) or /proc/self/fd/N (the program's N) are
 * resolved where the descriptor lives: a host file is opened here
 * (*hold, strata-run's own descriptor) and named by its path when that
 * is still the same file, else by /proc/self/fd/N of *hold; a kernel file is
 * copied into a host memfd (*hold) first, since the host loads programs.
 * AT_SYMLINK_NOFOLLOW: a symbolic link there is ELOOP.  *script_name is
 * what a script's interpreter is given for a file with no path (the
 * program's /dev/fd/N), or NULL.  0 or -errno.
 */
static long
exec_resolve(long dirfd, long upath, long flags, char *out, int *hold,
    char *script_name)
{
	char path[PATH_MAX], link[64];
	struct gfd fb1, *f;
	struct stat st, st2;
	long realdir, r;
	int kind, e, fd = -1, ofl;

	*hold = -1;
	script_name[0] = '\0';
	if (flags & ~(long)(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW))
		return -EINVAL;
	if ((e = get_path(upath, path)) != 0)
		return -e;
	ofl = O_RDONLY | O_CLOEXEC |
	    ((flags & AT_SYMLINK_NOFOLLOW) ? O_NOFOLLOW : 0);
	if (path[0] == '\0') {
		if (!(flags & AT_EMPTY_PATH))
			return -ENOENT;
		if ((int)dirfd == AT_FDCWD)
			return -EACCES;		/* a directory */
		if ((f = fd_get(dirfd, &fb1)) == NULL)
			return -EBADF;
		kind = f->kind;
		realdir = f->real;
		snprintf(script_name, 32, "/dev/fd/%ld", dirfd);
		route_selfref = 1;
	} else if (path[0] == '/' || (int)dirfd == AT_FDCWD) {
		if ((e = abs_cwd(path)) != 0)
			return -e;
		exec_self(path);
		route_selfref = 0;
		if ((r = route_procfd(path, &kind, &realdir)) < 0)
			return r;
		if (r == 0) {
			/* As execve always did: the host's file. */
			if ((flags & AT_SYMLINK_NOFOLLOW) &&
			    lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
				return -ELOOP;
			strcpy(out, path);
			return 0;
		}
	} else {
		if ((f = fd_get(dirfd, &fb1)) == NULL)
			return -EBADF;
		kind = f->kind;
		realdir = f->real;
		route_selfref = 0;
	}
	if (kind == FD_HOST) {
		/* realdir with path, or (route_procfd) path alone. */
		if (route_selfref)
			fd = fcntl((int)realdir, F_DUPFD_CLOEXEC, 3);
		else
			fd = openat((int)realdir, path, ofl);
		if (fd < 0)
			return -errno;
	} else {
		/* A kernel file: its bytes into a host memfd. */
		char buf[65536];
		long kfd, off = 0, n;

		if (route_selfref)
			kfd = rsys(SYS_fcntl, realdir, F_DUPFD_CLOEXEC, 0, 0, 0,
			    0);
		else
			kfd = rsys(SYS_openat, realdir, (long)path, ofl, 0, 0,
			    0);
		if (kfd < 0)
			return kfd;
		r = rsys(SYS_fstat, kfd, (long)&st, 0, 0, 0, 0);
		if (r == 0 && !S_ISREG(st.st_mode))
			r = -EACCES;
		if (r == 0 && !(st.st_mode & 0111))
			r = -EACCES;
		if (r == 0 && (fd = memfd_create("strata-run-exec",
		    MFD_CLOEXEC)) < 0)
			r = -errno;
		while (r == 0 && (n = rsys(SYS_pread64, kfd, (long)buf,
		    sizeof(buf), off, 0, 0)) != 0) {
			if (n < 0)
				r = n;
			else if (write(fd, buf, (size_t)n) != n)
				r = -EIO;
			off += n;
		}
		rsys(SYS_close, kfd, 0, 0, 0, 0, 0);
		if (r == 0 && fchmod(fd, 0755) != 0)
			r = -errno;
		if (r != 0) {
			if (fd >= 0)
				close(fd);
			return r;
		}
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EACCES;
	}
	*hold = fd;
	/* Named by its path when that still leads to it (so that
	 * /proc/self/exe and a script's interpreter see a real name). */
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	r = readlink(link, out, PATH_MAX - 1);
	if (r > 0 && out[0] == '/') {
		out[r] = '\0';
		if (fstat(fd, &st) == 0 && stat(out, &st2) == 0 &&
		    st.st_dev == st2.st_dev && st.st_ino == st2.st_ino) {
			close(fd);
			*hold = -1;
			script_name[0] = '\0';
			return 0;
		}
	}
	strcpy(out, link);
	return 0;
}

/*
 * execve() of the program, remote mode: the new program runs under a new
 * strata-run (this executable again), which keeps the rump process and
 * its descriptors (rumpclient_exec) and gets the descriptor table in
 * --fd-map.  Programs are host files (policy): the path is the host's.
 */
static long
do_execve(char *path, int hold, long uargv, long uenvp, const sigset_t *mask)
{
	sigset_t m, all;
	char self[PATH_MAX], *map, **argv, **envp, **nargv;
	size_t n, i, j, len = 0;
	int error, g;
	long r;

	if (access(path, X_OK) != 0)
		return -errno;
	if ((r = readlink("/proc/self/exe", self, sizeof(self) - 1)) < 0)
		return -errno;
	self[r] = '\0';
	if ((argv = get_strv(uargv, &error)) == NULL)
		return -error;
	if ((envp = get_strv(uenvp, &error)) == NULL)
		return -error;
	/* The descriptors that survive: "g:k:real,..." (k: h or k). */
	map = malloc(NFD * 24 + 1);
	if (map == NULL)
		return -ENOMEM;
	map[0] = '\0';
	for (g = 0; g < NFD; g++) {
		struct gfd fb, *f = fd_get(g, &fb);
		long fl;

		/* epoll instances do not survive exec here (strata-run(1)). */
		if (f == NULL || f->ep >= 0)
			continue;
		fl = f->kind == FD_HOST ?
		    HSYS(SYS_fcntl, f->real, F_GETFD, 0, 0, 0, 0) :
		    rsys(SYS_fcntl, f->real, F_GETFD, 0, 0, 0, 0);
		if (fl < 0 || (fl & FD_CLOEXEC))
			continue;	/* the host closes its own at exec */
		len += (size_t)sprintf(map + len, "%s%d:%c:%d", len ? "," : "",
		    g, f->kind == FD_HOST ? 'h' : 'k', f->real);
	}
	for (n = 0; argv[n] != NULL; n++)
		;
	nargv = calloc(n + 16 + 2 * (run_opt.nhost_ro + run_opt.nhost_rw),
	    sizeof(char *));
	if (nargv == NULL)
		return -ENOMEM;
	j = 0;
	nargv[j++] = self;
	nargv[j++] = "--server";
	nargv[j++] = (char *)run_opt.server;
	nargv[j++] = "--fd-map";
	nargv[j++] = map;
	nargv[j++] = "--no-default-host";
	for (i = 0; i < run_opt.nhost_ro; i++) {
		nargv[j++] = "--host-ro";
		nargv[j++] = (char *)run_opt.host_ro[i];
	}
	for (i = 0; i < run_opt.nhost_rw; i++) {
		nargv[j++] = "--host";
		nargv[j++] = (char *)run_opt.host_rw[i];
	}
	pthread_mutex_lock(&cwd_lock);
	if (cwd_is_host) {
		nargv[j++] = "--host-cwd";
		nargv[j++] = strdup(cwd_host);
	}
	pthread_mutex_unlock(&cwd_lock);
	if (run_opt.trace)
		nargv[j++] = "--trace";
	if (run_opt.rewrite)
		nargv[j++] = "--rewrite";
	if (argv[0] != NULL) {
		nargv[j++] = "--argv0";
		nargv[j++] = argv[0];
	}
	nargv[j++] = "--";
	nargv[j++] = path;
	for (i = 1; i < n; i++)
		nargv[j++] = argv[i];
	nargv[j] = NULL;
	/* The kernel's close-on-exec descriptors go now: the rump process
	 * outlives the exec. */
	for (g = 0; g < NFD; g++) {
		long fl;

		struct gfd fb, *f = fd_get(g, &fb);

		if (f == NULL || f->kind != FD_RUMP)
			continue;
		fl = rsys(SYS_fcntl, f->real, F_GETFD, 0, 0, 0, 0);
		if (fl >= 0 && (fl & FD_CLOEXEC))
			rsys(SYS_close, f->real, 0, 0, 0, 0, 0);
	}
	/* The new program starts with the mask the program had (every
	 * signal is blocked while a call is served), SIGSYS unblocked. */
	m = *mask;
	sigdelset(&m, SIGSYS);
	sigprocmask(SIG_SETMASK, &m, &all);
	/* A file reached through a descriptor of strata-run's own (exec
	 * by descriptor, below) must outlive the host's exec: the new
	 * strata-run loads it and closes it. */
	if (hold >= 0)
		fcntl(hold, F_SETFD, 0);
	rumpclient_exec(self, nargv, envp);
	if (hold >= 0)
		fcntl(hold, F_SETFD, FD_CLOEXEC);
	/* Only on failure: the program goes on (its cloexec descriptors are
	 * gone: nothing better can be done this late). */
	error = errno;
	sigprocmask(SIG_SETMASK, &all, NULL);
	free(nargv);
	free(map);
	return -error;
}

/*
 * execve() of the program, in-process: the kernel (and with it the
 * program's rump process, its descriptors, cwd and credentials) stays in
 * this process, so the new program is loaded here, in place of the old
 * one, as Linux's exec does: close-on-exec descriptors closed (the
 * kernel's and the host's), the program's signal handlers back to the
 * default, the old image, break and stack unmapped, a new stack with the
 * new argv, envp and auxv.  What can fail is checked before anything is
 * undone (the file, its ELF header, a script's interpreter); a load
 * that fails after that ends the process (exit status 127), as a failure
 * past Linux's point of no return does.  What the old program mapped
 * itself (shared libraries, mmap memory) goes too: run_map.c recorded
 * it.  Another thread of the program is not ended (strata-run(1)).
 */
static long
do_execve_local(char *path, int hold, const char *script_name, long uargv,
    long uenvp, const sigset_t *mask)
{
	static struct run_image img;
	struct run_image old = *image;
	char *prog, *orig, **argv, **envp, **pargv;
	unsigned char eh[20];
	const char *why = "";
	int error, g, fd;
	long r;

	if (access(path, X_OK) != 0)
		return -errno;
	if ((argv = get_strv(uargv, &error)) == NULL)
		return -error;
	if ((envp = get_strv(uenvp, &error)) == NULL)
		return -error;
	if ((prog = orig = strdup(path)) == NULL)
		return -ENOMEM;
	pargv = run_exec_argv(&prog, argv);
	if (prog != orig) {
		/* A script: its interpreter is given its name, which for a
		 * file reached only through a descriptor is the program's
		 * /dev/fd/N, as Linux gives it (or none: ENOENT). */
		if (hold >= 0 && script_name == NULL)
			return -ENOENT;
		for (g = 0; hold >= 0 && pargv[g] != NULL; g++)
			if (pargv[g] == orig)
				pargv[g] = (char *)script_name;
	}
	/* An x86-64 ELF file (a script's interpreter too), or ENOEXEC for
	 * the caller (a shell then runs it as a script itself). */
	if ((fd = open(prog, O_RDONLY | O_CLOEXEC)) < 0)
		return -errno;
	r = pread(fd, eh, sizeof(eh), 0);
	close(fd);
	if (r != (long)sizeof(eh) || memcmp(eh, "\177ELF", 4) != 0 ||
	    eh[4] != 2 /* ELFCLASS64 */ || eh[18] != 62 /* EM_X86_64 */)
		return -ENOEXEC;
	/* The point of no return.  The close-on-exec descriptors go, the
	 * kernel's and the host's (the host's exec does not happen). */
	for (g = 0; g < NFD; g++) {
		struct gfd fb, *f = fd_get(g, &fb);
		long fl;

		if (f == NULL)
			continue;
		fl = f->kind == FD_HOST ?
		    HSYS(SYS_fcntl, f->real, F_GETFD, 0, 0, 0, 0) :
		    rsys(SYS_fcntl, f->real, F_GETFD, 0, 0, 0, 0);
		if (fl >= 0 && !(fl & FD_CLOEXEC))
			continue;
		pthread_mutex_lock(&fd_lock);
		fd_store(g, 0, 0, -1);
		pthread_mutex_unlock(&fd_lock);
		fd_close_real(f);
	}
	/* Signals: handlers back to the default. */
	{
		static const struct run_ksigaction dfl;

		memset(sigsys_act, 0, sizeof(sigsys_act));
		run_sud_fault_action(SIGSEGV, &dfl, NULL);
		run_sud_fault_action(SIGBUS, &dfl, NULL);
		run_sig_exec();
	}
	/* The old image and its break go, then the new one is loaded
	 * (a fixed-address program may want the same addresses). */
	for (g = 0; g < 2; g++)
		if (old.span[g][1] != 0)
			HSYS(SYS_munmap, old.span[g][0], old.span[g][1], 0, 0, 0,
			    0);
	/* And everything the old program mapped itself: its libraries,
	 * heaps, threads' stacks (run_map.c). */
	run_map_exec((unsigned long)&g);
	if ((error = run_elf_load(prog, pargv, envp, &img, &why)) != 0) {
		fprintf(stderr, "strata-run: exec %s: %s: %s\n", prog, why,
		    strerror(error));
		HSYS(SYS_exit_group, 127, 0, 0, 0, 0, 0);
	}
	if (hold >= 0)
		close(hold);
	image = &img;
	pthread_mutex_lock(&brk_lock);
	brk_start = brk_cur = img.brk_start;
	brk_limit = img.brk_limit;
	pthread_mutex_unlock(&brk_lock);
	/* Copied onto the new stack. */
	for (g = 0; argv[g] != NULL; g++)
		free(argv[g]);
	for (g = 0; envp[g] != NULL; g++)
		free(envp[g]);
	free(argv);
	free(envp);
	free(pargv);
	run_sud_exec_start(img.entry, img.sp, mask, old.stack, old.stack_len);
}

/* Whether the host file at path starts with "#!". */
static int
is_script(const char *path)
{
	char b[2];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	long n;

	if (fd < 0)
		return 0;
	n = read(fd, b, 2);
	close(fd);
	return n == 2 && b[0] == '#' && b[1] == '!';
}

/* execve and execveat, in either mode. */
static long
do_exec(long dirfd, long upath, long uargv, long uenvp, long flags,
    ucontext_t *uc)
{
	char path[PATH_MAX], script_name[32];
	int hold;
	long r;

	if ((r = exec_resolve(dirfd, upath, flags, path, &hold,
	    script_name)) != 0)
		return r;
	if (run_opt.server != NULL) {
		/* A script reached only through a descriptor: the new
		 * strata-run could not name it to the interpreter. */
		if (hold >= 0 && is_script(path))
			r = -ENOENT;
		else
			r = do_execve(path, hold, uargv, uenvp,
			    &uc->uc_sigmask);
	} else
		r = do_execve_local(path, hold, script_name[0] != '\0' ?
		    script_name : NULL, uargv, uenvp, &uc->uc_sigmask);
	if (hold >= 0)
		close(hold);
	return r;
}

/* Restores a descriptor table from --fd-map ("g:k:real,..."). */
int
run_sys_fdmap(const char *map)
{
	const char *p = map;
	int g, real, n;
	char k;

	memset(fdtab, 0, sizeof(fdtab));
	while (*p != '\0') {
		if (sscanf(p, "%d:%c:%d%n", &g, &k, &real, &n) != 3 || g < 0 ||
		    g >= NFD || (k != 'h' && k != 'k'))
			return EINVAL;
		fd_store(g, k == 'h' ? FD_HOST : FD_RUMP, real, -1);
		p += n;
		if (*p == ',')
			p++;
	}
	fdmap_given = 1;
	return 0;
}

/* --- Tracing ------------------------------------------------------------- */

static void
trace_call(long nr, const long a[6], long ret)
{
	const char *name = run_sysname(nr);
	char line[256];
	int n;

	if (name != NULL)
		n = snprintf(line, sizeof(line), "strata-run: %s(", name);
	else
		n = snprintf(line, sizeof(line), "strata-run: syscall_%ld(",
		    nr);
	n += snprintf(line + n, sizeof(line) - (size_t)n,
	    "%#lx, %#lx, %#lx, %#lx, %#lx, %#lx) = %ld", a[0], a[1], a[2],
	    a[3], a[4], a[5], ret);
	if (ret < 0 && ret > -4096)
		n += snprintf(line + n, sizeof(line) - (size_t)n, " (%s)",
		    strerror((int)-ret));
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	HSYS(SYS_write, 2, line, n, 0, 0, 0);
	if (ret == -ENOSYS && nr >= 0 && nr < (long)sizeof(enosys_told) &&
	    !__atomic_exchange_n(&enosys_told[nr], 1, __ATOMIC_RELAXED)) {
		n = snprintf(line, sizeof(line), "strata-run: %s (%ld): not "
		    "implemented by the kernel, ENOSYS\n",
		    name != NULL ? name : "?", nr);
		HSYS(SYS_write, 2, line, n, 0, 0, 0);
	}
}

/* --- The table --------------------------------------------------------- */

unsigned char run_passthrough[512] = {
	[SYS_getpid] = 1, [SYS_gettid] = 1, [SYS_getppid] = 1,
	[SYS_futex] = 1, [SYS_munmap] = 1, [SYS_mprotect] = 1,
	[SYS_madvise] = 1, [SYS_mremap] = 1, [SYS_sched_yield] = 1,
	[SYS_clock_gettime] = 1, [SYS_clock_getres] = 1,
	[SYS_gettimeofday] = 1, [SYS_time] = 1, [SYS_nanosleep] = 1,
	[SYS_clock_nanosleep] = 1, [SYS_set_robust_list] = 1,
	[SYS_get_robust_list] = 1, [SYS_rseq] = 1, [SYS_tgkill] = 1,
	[SYS_tkill] = 1, [SYS_kill] = 1, [SYS_set_tid_address] = 1,
	[SYS_getrandom] = 1, [SYS_sched_getaffinity] = 1,
	[SYS_prlimit64] = 1, [SYS_getrusage] = 1, [SYS_membarrier] = 1,
};

int
run_sys_init(const struct run_image *img)
{
	int i;

	image = img;
	if (run_opt.server == NULL &&
	    (kpid = (int)rsys(SYS_getpid, 0, 0, 0, 0, 0, 0)) < 0)
		return -kpid;
	if (fdmap_given)
		goto brk;
	/* The program's 0, 1, 2 are copies of strata-run's: when it closes
	 * them (coreutils close stdout and stderr at exit), strata-run can
	 * still report on its own standard error.  Not close-on-exec, as
	 * the program's own 0, 1, 2 are not. */
	for (i = 0; i < 3; i++) {
		long real = HSYS(SYS_fcntl, i, F_DUPFD, 3, 0, 0, 0);

		if (real < 0)
			continue;	/* closed when we started: stays so */
		fd_store(i, FD_HOST, (int)real, -1);
	}
brk:
	brk_start = brk_cur = img->brk_start;
	brk_limit = img->brk_limit;
	return 0;
}

/* --- The default path: run_fdtab ----------------------------------------- */

/* A read (or a write, when writing) of n bytes at buf on f: at *off when
 * off is not NULL (pread, pwrite), else at the descriptor's offset. */
static long
io_on(int writing, const struct gfd *f, char *buf, size_t n, const long *off)
{
	long nr;

	if (writing)
		nr = off != NULL ? SYS_pwrite64 : SYS_write;
	else
		nr = off != NULL ? SYS_pread64 : SYS_read;
	if (f->kind == FD_HOST)
		return HSYS(nr, f->real, buf, n, off != NULL ? *off : 0, 0, 0);
	return rsys(nr, f->real, (long)buf, (long)n, off != NULL ? *off : 0,
	    0, 0);
}

static int
is_pipe(const struct gfd *f)
{
	struct stat st;
	long r;

	if (f->kind == FD_HOST)
		r = HSYS(SYS_fstat, f->real, &st, 0, 0, 0, 0);
	else
		r = rsys(SYS_fstat, f->real, (long)&st, 0, 0, 0, 0);
	return r == 0 && S_ISFIFO(st.st_mode);
}

/*
 * sendfile(2) and splice(2) made of reads and writes through a buffer of
 * strata-run's, for a host and a kernel descriptor together, or two of
 * the kernel's (which has neither call).  As Linux's: the number of bytes
 * written is returned, and an error only when none was; an offset
 * pointer (uin, uout) is read, advanced and written back, and leaves the
 * descriptor's own offset alone; without one the descriptor's offset
 * moves.  Bytes read that the output did not take go back to a seekable
 * input (its offset moved back); from a pipe they are lost
 * (strata-run(1)).  sendfile goes on until count or a short read (the
 * end of its input, or a pipe's bytes for now); splice moves at most one
 * buffer (64 KiB), as Linux's moves what one pipe holds.
 */
static long
emu_transfer(const struct gfd *in, long uin, const struct gfd *out,
    long uout, unsigned long count, int once)
{
	/* Not on the stack: calls are served on the program's, which may
	 * be a small thread stack. */
	const size_t bufsize = 65536;
	char *buf;
	long inoff = 0, outoff = 0, done = 0, err = 0, n, w, k;
	size_t want;

	if (uin != 0 && get_mem(uin, &inoff, sizeof(inoff)) != 0)
		return -EFAULT;
	if (uout != 0 && get_mem(uout, &outoff, sizeof(outoff)) != 0)
		return -EFAULT;
	if (inoff < 0 || outoff < 0)
		return -EINVAL;
	if (count > 0x7ffff000ul)	/* Linux's MAX_RW_COUNT */
		count = 0x7ffff000ul;
	if ((buf = malloc(bufsize)) == NULL)
		return -ENOMEM;
	while ((unsigned long)done < count) {
		want = count - (unsigned long)done;
		if (want > bufsize)
			want = bufsize;
		n = io_on(0, in, buf, want, uin != 0 ? &inoff : NULL);
		if (n <= 0) {
			err = n;
			break;
		}
		for (w = 0; w < n; w += k) {
			k = io_on(1, out, buf + w, (size_t)(n - w),
			    uout != 0 ? &outoff : NULL);
			if (k <= 0) {
				err = k;
				break;
			}
			if (uout != 0)
				outoff += k;
		}
		done += w;
		if (uin != 0)
			inoff += w;
		else if (w < n) {
			/* Given back to the input, where it can be. */
			if (in->kind == FD_HOST)
				HSYS(SYS_lseek, in->real, w - n, SEEK_CUR, 0, 0,
				    0);
			else
				rsys(SYS_lseek, in->real, w - n, SEEK_CUR, 0, 0,
				    0);
		}
		if (w < n || (size_t)n < want || once)
			break;
	}
	free(buf);
	if (uin != 0 && put_mem(uin, &inoff, sizeof(inoff)) != 0)
		return -EFAULT;
	if (uout != 0 && put_mem(uout, &outoff, sizeof(outoff)) != 0)
		return -EFAULT;
	return done > 0 ? done : err;
}

/* splice(in, uin, out, uout, len, flags): one end a pipe (else EINVAL),
 * no offset for a pipe's end (ESPIPE).  SPLICE_F_NONBLOCK is not
 * honoured: the descriptors' own O_NONBLOCK decides. */
static long
emu_splice(const struct gfd *in, long uin, const struct gfd *out, long uout,
    unsigned long len)
{
	int pin = is_pipe(in), pout = is_pipe(out);

	if (!pin && !pout)
		return -EINVAL;
	if ((pin && uin != 0) || (pout && uout != 0))
		return -ESPIPE;
	if (len == 0)
		return 0;
	return emu_transfer(in, uin, out, uout, len, 1);
}

/*
 * preadv, pwritev, preadv2 and pwritev2 on a kernel descriptor (the
 * kernel has readv and writev, pread64 and pwrite64 only): one pread64 or
 * pwrite64 per buffer, at the position the call names, stopping at the
 * first short transfer; an error only when nothing moved.  A position of
 * -1 (the "2" calls) is the descriptor's offset: readv or writev.  Flags
 * (RWF_*) the kernel cannot honour: EOPNOTSUPP, as Linux for a file that
 * does not support them.  Not atomic, unlike Linux's.  And vmsplice on
 * a kernel pipe: writev or readv of it.
 */
static long
emu_vec(long nr, const struct gfd *f, const long a[6])
{
	int writing = nr == SYS_pwritev || nr == SYS_pwritev2;
	struct iovec v;
	long pos = a[3], done = 0, r = 0, i;

	if (nr == SYS_vmsplice) {
		/* Into the pipe when it is open for writing, as Linux
		 * decides, else out of it; the flags change nothing here. */
		long fl;

		if (!is_pipe(f) ||
		    (fl = rsys(SYS_fcntl, f->real, F_GETFL, 0, 0, 0, 0)) < 0)
			return -EBADF;
		if (a[2] < 0 || a[2] > 1024 /* UIO_MAXIOV */)
			return -EINVAL;
		return rsys((fl & O_ACCMODE) != O_RDONLY ? SYS_writev :
		    SYS_readv, f->real, a[1], a[2], 0, 0, 0);
	}
	if ((nr == SYS_preadv2 || nr == SYS_pwritev2) && a[5] != 0)
		return -EOPNOTSUPP;
	if (a[2] < 0 || a[2] > 1024 /* UIO_MAXIOV */)
		return -EINVAL;
	if (pos == -1 && (nr == SYS_preadv2 || nr == SYS_pwritev2))
		return rsys(writing ? SYS_writev : SYS_readv, f->real, a[1],
		    a[2], 0, 0, 0);
	if (pos < 0)
		return -EINVAL;
	for (i = 0; i < a[2]; i++) {
		if (get_mem(a[1] + i * (long)sizeof(v), &v, sizeof(v)) != 0) {
			r = -EFAULT;
			break;
		}
		if (v.iov_len == 0)
			continue;
		r = rsys(writing ? SYS_pwrite64 : SYS_pread64, f->real,
		    (long)v.iov_base, (long)v.iov_len, pos + done, 0, 0);
		if (r <= 0)
			break;
		done += r;
		if ((size_t)r < v.iov_len)
			break;
	}
	return done > 0 ? done : r;
}

/* readahead(2) and posix_fadvise(2) on a kernel descriptor: the kernel
 * keeps its files' pages in memory anyway, so the advice is only
 * checked, as Linux checks it. */
static long
emu_advice(long nr, const struct gfd *f, const long a[6])
{
	struct stat st;
	long fl;

	if (rsys(SYS_fstat, f->real, (long)&st, 0, 0, 0, 0) != 0)
		return -EBADF;
	if (nr == SYS_readahead) {
		fl = rsys(SYS_fcntl, f->real, F_GETFL, 0, 0, 0, 0);
		if (fl >= 0 && (fl & O_ACCMODE) == O_WRONLY)
			return -EBADF;
		return S_ISREG(st.st_mode) ? 0 : -EINVAL;
	}
	if (S_ISFIFO(st.st_mode))
		return -ESPIPE;
	if (a[2] < 0 || (unsigned long)a[3] > 5 /* POSIX_FADV_NOREUSE */)
		return -EINVAL;
	return 0;
}

/*
 * A call dispatch() has no case for, by its line in run_fdtab.tab: every
 * descriptor argument becomes the real descriptor behind the program's
 * number (none open: EBADF); then the call goes where its descriptors
 * are.  A call can take descriptors of one world only: host and kernel
 * descriptors together give the line's errno (EXDEV for copy_file_range,
 * as between file systems that cannot copy to each other), or are
 * emulated (sendfile, splice).  A new descriptor in the result enters
 * the table.
 */
static long
table_call(long nr, long a[6])
{
	const struct run_fdspec *s;
	struct gfd fb[6], *f[6] = { NULL };
	long b[6], r;
	int i, kinds = 0, kind;

	if (nr < 0 || nr >= RUN_NSYS)
		return rsys(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	s = &run_fdtab[nr];
	memcpy(b, a, sizeof(b));
	for (i = 0; i < 6; i++) {
		if (!(s->fd & 1u << i))
			continue;
		/* Descriptors are ints: the upper half of the register is
		 * not looked at, as Linux does not. */
		if (((s->cwd & 1u << i) && (int)a[i] == AT_FDCWD) ||
		    ((s->none & 1u << i) && (int)a[i] == -1)) {
			b[i] = (int)a[i];
			continue;
		}
		if ((f[i] = fd_get((int)a[i], &fb[i])) == NULL)
			return -EBADF;
		kinds |= f[i]->kind;
		b[i] = f[i]->real;
	}
	if (s->where == RUN_W_HOST) {
		if (kinds & FD_RUMP)
			return -(s->kfd != 0 ? s->kfd : EBADF);
		kind = FD_HOST;
	} else if (kinds == (FD_HOST | FD_RUMP)) {
		if (s->emu == RUN_EMU_SENDFILE)
			return emu_transfer(f[1], a[2], f[0], 0,
			    (unsigned long)a[3], 0);
		if (s->emu == RUN_EMU_SPLICE)
			return emu_splice(f[0], a[1], f[2], a[3],
			    (unsigned long)a[4]);
		return -(s->mixed != 0 ? s->mixed : EBADF);
	} else
		kind = kinds == FD_HOST ? FD_HOST : FD_RUMP;
	if (kind == FD_HOST)
		r = HSYS(nr, b[0], b[1], b[2], b[3], b[4], b[5]);
	else {
		r = rsys(nr, b[0], b[1], b[2], b[3], b[4], b[5]);
		if (r == -ENOSYS) {
			/* The kernel lacks it (every descriptor is the
			 * kernel's, or there is none). */
			if (s->emu == RUN_EMU_SENDFILE)
				r = emu_transfer(f[1], a[2], f[0], 0,
				    (unsigned long)a[3], 0);
			else if (s->emu == RUN_EMU_SPLICE)
				r = emu_splice(f[0], a[1], f[2], a[3],
				    (unsigned long)a[4]);
			else if (s->emu == RUN_EMU_ADVICE && f[0] != NULL)
				r = emu_advice(nr, f[0], a);
			else if (s->emu == RUN_EMU_VEC && f[0] != NULL)
				r = emu_vec(nr, f[0], a);
			else if (s->emu == RUN_EMU_SYNC)
				r = rsys(SYS_sync, 0, 0, 0, 0, 0, 0);
			else if (s->nosys != 0)
				r = -s->nosys;
		}
	}
	if (s->newfd)
		return fd_enter(0, kind, r);
	return r;
}

/* --- Descriptors passed in messages (SCM_RIGHTS) ------------------------- */

/*
 * The descriptors of the SCM_RIGHTS messages in control buffer buf (len
 * bytes), for a socket of kind: sent, the program's numbers become the
 * real descriptors (one not open, or of the other kind, which that
 * socket cannot carry: EBADF); received, the real descriptors enter the
 * program's table and become its numbers (a full table: -1 there, and
 * MSG_CTRUNC in *flags, as Linux truncates).  0 or an errno.
 */
static int
cmsg_fds(char *buf, size_t len, int kind, int receiving, int *flags)
{
	struct msghdr m;
	struct cmsghdr *c;

	memset(&m, 0, sizeof(m));
	m.msg_control = buf;
	m.msg_controllen = len;
	for (c = CMSG_FIRSTHDR(&m); c != NULL; c = CMSG_NXTHDR(&m, c)) {
		size_t i, n;
		int fd;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
		    c->cmsg_len < CMSG_LEN(0))
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			unsigned char *p = CMSG_DATA(c) + i * sizeof(int);
			struct gfd fb, *f;
			long g;

			memcpy(&fd, p, sizeof(fd));
			if (receiving) {
				g = fd_enter(0, kind, fd);
				if (g < 0)
					*flags |= MSG_CTRUNC;
				fd = g < 0 ? -1 : (int)g;
			} else {
				if ((f = fd_get(fd, &fb)) == NULL ||
				    f->kind != kind)
					return EBADF;
				fd = f->real;
			}
			memcpy(p, &fd, sizeof(fd));
		}
	}
	return 0;
}

/*
 * sendmsg, recvmsg, sendmmsg and recvmmsg: with control data, made with
 * copies of the message headers whose control buffers are strata-run's,
 * the descriptors in them translated both ways (cmsg_fds); without,
 * run_fdtab's way.  a[1] is one struct msghdr (sendmsg, recvmsg) or
 * a[2] struct mmsghdr (the others; at most UIO_MAXIOV, as Linux).
 */
#define MSG_CTL_MAX	65536
static long
do_msg(long nr, long a[6])
{
	int multi = nr == SYS_sendmmsg || nr == SYS_recvmmsg;
	int receiving = nr == SYS_recvmsg || nr == SYS_recvmmsg;
	struct gfd fb, *f;
	struct mmsghdr *mv = NULL;
	char *ctl = NULL;
	size_t n, i, total = 0, off;
	long r, b[6];
	int e = 0;

	if ((f = fd_get((int)a[0], &fb)) == NULL)
		return -EBADF;
	n = multi ? (size_t)(unsigned int)a[2] : 1;
	if (n > 1024)
		n = 1024;
	if (n == 0)
		return table_call(nr, a);
	if ((mv = calloc(n, sizeof(*mv))) == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		if (multi)
			e = get_mem(a[1] + (long)(i * sizeof(*mv)), &mv[i],
			    sizeof(mv[i]));
		else
			e = get_mem(a[1], &mv[i].msg_hdr,
			    sizeof(mv[i].msg_hdr));
		if (e != 0)
			break;
		if (mv[i].msg_hdr.msg_control == NULL)
			mv[i].msg_hdr.msg_controllen = 0;
		if (mv[i].msg_hdr.msg_controllen > MSG_CTL_MAX) {
			if (!receiving) {
				e = ENOBUFS;
				break;
			}
			mv[i].msg_hdr.msg_controllen = MSG_CTL_MAX;
		}
		total += mv[i].msg_hdr.msg_controllen;
	}
	if (e != 0 || total == 0) {
		/* No control data (or a fault, which the call reports as
		 * Linux does): nothing to translate but the socket. */
		free(mv);
		return table_call(nr, a);
	}
	if ((ctl = malloc(total)) == NULL) {
		free(mv);
		return -ENOMEM;
	}
	for (i = 0, off = 0; i < n && e == 0; i++) {
		size_t len = mv[i].msg_hdr.msg_controllen;
		int fl = 0;

		if (len == 0)
			continue;
		if (!receiving) {
			e = get_mem((long)mv[i].msg_hdr.msg_control, ctl + off,
			    len);
			if (e == 0)
				e = cmsg_fds(ctl + off, len, f->kind, 0, &fl);
		}
		mv[i].msg_hdr.msg_control = ctl + off;
		off += len;
	}
	if (e != 0) {
		free(ctl);
		free(mv);
		return -e;
	}
	memcpy(b, a, sizeof(b));
	b[0] = f->real;
	b[1] = multi ? (long)mv : (long)&mv[0].msg_hdr;
	if (f->kind == FD_HOST)
		r = HSYS(nr, b[0], b[1], b[2], b[3], b[4], b[5]);
	else
		r = rsys(nr, b[0], b[1], b[2], b[3], b[4], b[5]);
	if (multi && !receiving && r > 0) {
		/* sendmmsg: the length sent of each message sent. */
		for (i = 0; i < (size_t)r && i < n && e == 0; i++)
			e = put_mem(a[1] + (long)(i * sizeof(*mv)) +
			    (long)offsetof(struct mmsghdr, msg_len),
			    &mv[i].msg_len, sizeof(mv[i].msg_len));
		if (e != 0)
			r = -e;
	}
	if (receiving && r >= 0) {
		/* What came back: the headers (lengths, flags) with the
		 * program's control pointers, the control data translated. */
		size_t got = multi ? (size_t)r : 1;
		struct mmsghdr orig;

		for (i = 0; i < got && i < n && e == 0; i++) {
			struct msghdr *h = &mv[i].msg_hdr;
			char *mine = h->msg_control;
			int fl = 0;

			if (multi)
				e = get_mem(a[1] + (long)(i * sizeof(orig)),
				    &orig, sizeof(orig));
			else
				e = get_mem(a[1], &orig.msg_hdr,
				    sizeof(orig.msg_hdr));
			if (e != 0)
				break;
			if (mine != NULL && h->msg_controllen > 0) {
				cmsg_fds(mine, h->msg_controllen, f->kind, 1, &fl);
				h->msg_flags |= fl;
				e = put_mem((long)orig.msg_hdr.msg_control, mine,
				    h->msg_controllen);
			}
			h->msg_control = orig.msg_hdr.msg_control;
			if (e == 0 && multi)
				e = put_mem(a[1] + (long)(i * sizeof(orig)),
				    &mv[i], sizeof(mv[i]));
			else if (e == 0)
				e = put_mem(a[1], h, sizeof(*h));
		}
		if (e != 0)
			r = -e;
	}
	free(ctl);
	free(mv);
	return r;
}

static long
dispatch(long nr, long *a, ucontext_t *uc)
{
	struct gfd fb1;
	greg_t *gregs = uc->uc_mcontext.gregs;

	switch (nr) {
	/* Calls on descriptors that are not in this switch are run_fdtab's
	 * (the default, below). */
	case SYS_sendmsg: case SYS_recvmsg: case SYS_sendmmsg:
	case SYS_recvmmsg:
		return do_msg(nr, a);
	case SYS_getdents64: {
		struct gfd *f = fd_get(a[0], &fb1);

		if (f != NULL && f->fddir)
			return fddir_getdents64(f->real, a[1], a[2]);
		return fd_call(nr, a);
	}
	/* Waiting: over both kinds of descriptors (run_poll.c). */
	case SYS_poll: case SYS_ppoll: case SYS_select: case SYS_pselect6:
	case SYS_epoll_wait: case SYS_epoll_pwait: case SYS_epoll_pwait2:
		return run_poll_call(nr, a, &uc->uc_sigmask);
	case SYS_epoll_create:
		return a[0] <= 0 ? -EINVAL : run_epoll_create(0);
	case SYS_epoll_create1:
		return run_epoll_create(a[0]);
	case SYS_epoll_ctl:
		return run_epoll_ctl(a[0], a[1], a[2], a[3]);
	case SYS_eventfd: case SYS_eventfd2:
		/* The kernel's: with its pipes and sockets in one epoll, a
		 * wait stays on one side. */
		return fd_enter(0, FD_RUMP, rsys(SYS_eventfd2, a[0],
		    nr == SYS_eventfd ? 0 : a[1], 0, 0, 0, 0));
	case SYS_close:
		return do_close(a[0]);
	case SYS_close_range:
		return do_close_range((unsigned long)(unsigned int)a[0],
		    (unsigned long)(unsigned int)a[1], (unsigned long)a[2]);
	case SYS_dup: {
		struct gfd *f = fd_get(a[0], &fb1);

		if (f == NULL)
			return -EBADF;
		return run_fd_enter(0, f->kind | (f->fddir ? FD_FDDIR : 0),
		    dup_real(f, 0), f->ep);
	}
	case SYS_dup2:
		return do_dup3(a[0], a[1], 0, 1);
	case SYS_dup3:
		return do_dup3(a[0], a[1], a[2], 0);
	case SYS_fcntl:
		return do_fcntl(a);
	case SYS_pipe:
		return do_pair(a[0], SYS_pipe2, 0, 0, 0);
	case SYS_pipe2:
		return do_pair(a[0], SYS_pipe2, a[1], 0, 0);
	case SYS_socketpair:
		return do_pair(a[3], SYS_socketpair, a[0], a[1], a[2]);
	case SYS_mmap:
		return do_mmap(a);

	/* Paths: where they are. */
	case SYS_open:
		return do_openat(AT_FDCWD, a[0], a[1], a[2]);
	case SYS_creat:
		return do_openat(AT_FDCWD, a[0], O_CREAT | O_WRONLY | O_TRUNC,
		    a[1]);
	case SYS_openat:
		return do_openat(a[0], a[1], a[2], a[3]);
	case SYS_stat:
		return path_call(SYS_newfstatat, AT_FDCWD, a[0], 0, a[1], 0, 0);
	case SYS_lstat:
		return path_call(SYS_newfstatat, AT_FDCWD, a[0], 0, a[1],
		    AT_SYMLINK_NOFOLLOW, 0);
	case SYS_newfstatat:
		if ((a[3] & AT_EMPTY_PATH) && a[1] != 0) {
			char c = 1;

			if (get_mem(a[1], &c, 1) == 0 && c == '\0') {
				long b[6] = { a[0], a[2], 0, 0, 0, 0 };

				return fd_call(SYS_fstat, b);
			}
		}
		return path_call(nr, a[0], a[1], 0, a[2], a[3], 0);
	case SYS_statx:
		return do_statx(a[0], a[1], a[2], a[3], a[4]);
	case SYS_access:
		return path_call(SYS_faccessat, AT_FDCWD, a[0], 0, a[1], 0, 0);
	case SYS_faccessat: case SYS_faccessat2:
		return path_call(nr, a[0], a[1], 0, a[2], a[3], 0);
	case SYS_mkdir:
		return path_call(SYS_mkdirat, AT_FDCWD, a[0], 1, a[1], 0, 0);
	case SYS_mkdirat:
		return path_call(nr, a[0], a[1], 1, a[2], 0, 0);
	case SYS_mknod:
		return path_call(SYS_mknodat, AT_FDCWD, a[0], 1, a[1], a[2], 0);
	case SYS_mknodat:
		return path_call(nr, a[0], a[1], 1, a[2], a[3], 0);
	case SYS_rmdir:
		return path_call(SYS_unlinkat, AT_FDCWD, a[0], 1, AT_REMOVEDIR,
		    0, 0);
	case SYS_unlink:
		return path_call(SYS_unlinkat, AT_FDCWD, a[0], 1, 0, 0, 0);
	case SYS_unlinkat:
		return path_call(nr, a[0], a[1], 1, a[2], 0, 0);
	case SYS_rename:
		return path2_call(SYS_renameat2, AT_FDCWD, a[0], AT_FDCWD, a[1],
		    0);
	case SYS_renameat:
		return path2_call(SYS_renameat2, a[0], a[1], a[2], a[3], 0);
	case SYS_renameat2:
		return path2_call(nr, a[0], a[1], a[2], a[3], a[4]);
	case SYS_link:
		return path2_call(SYS_linkat, AT_FDCWD, a[0], AT_FDCWD, a[1], 0);
	case SYS_linkat:
		return path2_call(nr, a[0], a[1], a[2], a[3], a[4]);
	case SYS_symlink:
		return do_symlinkat(a[0], AT_FDCWD, a[1]);
	case SYS_symlinkat:
		return do_symlinkat(a[0], a[1], a[2]);
	case SYS_readlink:
		return do_readlinkat(AT_FDCWD, a[0], a[1], a[2]);
	case SYS_readlinkat:
		return do_readlinkat(a[0], a[1], a[2], a[3]);
	case SYS_chmod:
		return path_call(SYS_fchmodat, AT_FDCWD, a[0], 1, a[1], 0, 0);
	case SYS_fchmodat: case 452 /* fchmodat2 */:
		return path_call(nr, a[0], a[1], 1, a[2], a[3], 0);
	case SYS_chown:
		return path_call(SYS_fchownat, AT_FDCWD, a[0], 1, a[1], a[2], 0);
	case SYS_lchown:
		return path_call(SYS_fchownat, AT_FDCWD, a[0], 1, a[1], a[2],
		    AT_SYMLINK_NOFOLLOW);
	case SYS_fchownat:
		return path_call(nr, a[0], a[1], 1, a[2], a[3], a[4]);
	case SYS_utimensat:
		if (a[1] == 0) {
			/* futimens(): the descriptor itself. */
			struct gfd *f = fd_get(a[0], &fb1);

			if (f == NULL)
				return -EBADF;
			if (f->kind == FD_HOST)
				return HSYS(nr, f->real, 0, a[2], a[3], 0, 0);
			return rsys(nr, f->real, 0, a[2], a[3], 0, 0);
		}
		return path_call(nr, a[0], a[1], 1, a[2], a[3], 0);
	case SYS_chdir:
		return do_chdir(a[0]);
	case SYS_fchdir:
		return do_fchdir(a[0]);
	case SYS_getcwd:
		return do_getcwd(a[0], a[1]);
	case SYS_truncate:
	case SYS_statfs:
	case SYS_getxattr: case SYS_lgetxattr: case SYS_listxattr:
	case SYS_llistxattr: case SYS_setxattr: case SYS_lsetxattr:
	case SYS_removexattr: case SYS_lremovexattr: {
		char path[PATH_MAX];
		int e;

		if ((e = get_path(a[0], path)) != 0 || (e = abs_cwd(path)) != 0)
			return -e;
		if (path[0] == '/' && host_path(path, nr == SYS_truncate ||
		    nr == SYS_setxattr || nr == SYS_lsetxattr ||
		    nr == SYS_removexattr || nr == SYS_lremovexattr))
			return HSYS(nr, path, a[1], a[2], a[3], a[4], 0);
		return rsys(nr, (long)path, a[1], a[2], a[3], a[4], 0);
	}

	/* Kernel state that is not a file. */
	case SYS_umask: case SYS_getuid: case SYS_geteuid:
	case SYS_getgid: case SYS_getegid: case SYS_setuid: case SYS_setgid:
	case SYS_getresuid: case SYS_getresgid: case SYS_setresuid:
	case SYS_setresgid: case SYS_setreuid: case SYS_setregid:
	case SYS_getgroups: case SYS_setgroups: case SYS_uname:
	case SYS_sethostname: case SYS_sync:
		return rsys(nr, a[0], a[1], a[2], a[3], a[4], a[5]);

	/* Memory, threads, signals, time, identity, exit: the host. */
	case SYS_munmap:
		return run_map_munmap(a[0], a[1]);
	case SYS_mremap:
		return run_map_mremap(a);
	case SYS_mprotect: case SYS_madvise:
	case SYS_msync: case SYS_mincore: case SYS_mlock:
	case SYS_munlock: case SYS_mlockall: case SYS_munlockall:
	case SYS_mlock2: case SYS_get_mempolicy: case SYS_set_mempolicy:
	case SYS_mbind: case SYS_process_vm_readv: case SYS_process_vm_writev:
	case SYS_membarrier: case SYS_futex: case SYS_futex_waitv:
	case SYS_rt_sigqueueinfo: case SYS_rt_tgsigqueueinfo:
	case SYS_sched_getattr: case SYS_sched_setattr:
	case SYS_ioprio_get: case SYS_ioprio_set:
	case SYS_set_tid_address: case SYS_set_robust_list:
	case SYS_get_robust_list: case SYS_rseq: case SYS_gettid:
	case SYS_getpid: case SYS_getppid: case SYS_tgkill: case SYS_tkill:
	case SYS_kill: case SYS_sched_yield: case SYS_sched_getaffinity:
	case SYS_sched_setaffinity: case SYS_sched_setscheduler:
	case SYS_sched_setparam: case SYS_sched_get_priority_max:
	case SYS_sched_get_priority_min: case SYS_sched_rr_get_interval:
	case SYS_getcpu: case SYS_prlimit64: case SYS_getrlimit:
	case SYS_setrlimit: case SYS_getrusage: case SYS_times:
	case SYS_sysinfo: case SYS_sigaltstack: case SYS_rt_sigpending:
	case SYS_pause: case SYS_alarm: case SYS_setitimer:
	case SYS_getitimer: case SYS_clock_gettime: case SYS_clock_getres:
	case SYS_gettimeofday: case SYS_time: case SYS_nanosleep:
	case SYS_clock_nanosleep: case SYS_getrandom: case SYS_wait4:
	case SYS_getpgrp: case SYS_getpgid: case SYS_setpgid:
	case SYS_getsid: case SYS_setsid: case SYS_getpriority:
	case SYS_setpriority: case SYS_sched_getparam:
	case SYS_sched_getscheduler: case SYS_capget: case SYS_personality:
	case SYS_timer_create: case SYS_timer_settime: case SYS_timer_gettime:
	case SYS_timer_delete: case SYS_timer_getoverrun:
		return HSYS(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	case SYS_waitid:
		/* P_PIDFD: the id is a descriptor, a pidfd (the host's). */
		if (a[0] == 3 /* P_PIDFD */) {
			struct gfd *f = fd_get((int)a[1], &fb1);

			if (f == NULL || f->kind != FD_HOST)
				return -EBADF;
			return HSYS(nr, a[0], f->real, a[2], a[3], a[4], 0);
		}
		return HSYS(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	case SYS_exit_group:
		fork_exit();
		run_at_exit();
		fork_cleanup();
		return HSYS(nr, a[0], 0, 0, 0, 0, 0);
	case SYS_brk: {
		long r;

		pthread_mutex_lock(&brk_lock);
		r = do_brk(a[0]);
		pthread_mutex_unlock(&brk_lock);
		return r;
	}
	case SYS_exit:
		/* A thread of the program's making ends where it began, in
		 * strata-run (the host thread then ends); the main thread ends
		 * as the host ends it. */
		if (run_self()->host_sp != 0)
			run_sud_thread_exit(run_self());
		return HSYS(nr, a[0], 0, 0, 0, 0, 0);
	case SYS_clone:
		if (a[0] & CLONE_THREAD)
			return run_sud_clone_thread((unsigned long)a[0],
			    (unsigned long)a[1], (unsigned long)a[2],
			    (unsigned long)a[3], (unsigned long)a[4], uc);
		if (run_opt.server != NULL)
			return do_fork(a[0], a[1], a[2], a[3], a[4], gregs);
		return do_fork_local(a[0], a[1], a[2], a[3], a[4], gregs);
	case SYS_fork:
		if (run_opt.server != NULL)
			return do_fork(SIGCHLD, 0, 0, 0, 0, gregs);
		return do_fork_local(SIGCHLD, 0, 0, 0, 0, gregs);
	case SYS_vfork:
		if (run_opt.server != NULL)
			return do_fork(CLONE_VFORK | SIGCHLD, 0, 0, 0, 0, gregs);
		return do_fork_local(CLONE_VFORK | SIGCHLD, 0, 0, 0, 0, gregs);
	case SYS_clone3:
		/* Its callers (glibc) fall back to clone. */
		return -ENOSYS;
	case SYS_execve:
		return do_exec(AT_FDCWD, a[0], a[1], a[2], 0, uc);
	case SYS_execveat:
		return do_exec(a[0], a[1], a[2], a[3], a[4], uc);
	case SYS_arch_prctl:
		return do_arch_prctl(a[0], a[1]);
	case SYS_prctl:
		if (a[0] == 59 /* PR_SET_SYSCALL_USER_DISPATCH */)
			return -EINVAL;	/* strata-run's own */
		return HSYS(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	case SYS_rt_sigaction:
		return do_rt_sigaction(a[0], a[1], a[2], a[3]);
	case SYS_rt_sigprocmask:
		return do_sigprocmask(a[0], a[1], a[2], a[3], &uc->uc_sigmask);
	case SYS_rt_sigsuspend: {
		/* Waits with the program's thread pointer, for the handler
		 * that ends it. */
		uint64_t set;

		if (a[1] != 8)
			return -EINVAL;
		if (get_mem(a[0], &set, sizeof(set)) != 0)
			return -EFAULT;
		set &= ~SIGBIT(SIGSYS);
		return run_host_syscall_guest(nr, (long)&set, 8, 0, 0, 0, 0);
	}
	case SYS_rt_sigtimedwait:
		return do_sigmask_call(nr, a, 0);
	case SYS_signalfd: case SYS_signalfd4:
		return do_signalfd(nr, a);
	case SYS_inotify_add_watch:
		return do_inotify_add_watch(a);
	default:
		/* Everything else by run_fdtab: its descriptors translated,
		 * then the host's or the kernel's to serve or refuse. */
		return table_call(nr, a);
	}
}

/* Extended attributes: a kernel without them answers as Linux does for
 * a file system without them. */
static int
is_xattr(long nr)
{

	switch (nr) {
	case SYS_getxattr: case SYS_lgetxattr: case SYS_fgetxattr:
	case SYS_listxattr: case SYS_llistxattr: case SYS_flistxattr:
	case SYS_setxattr: case SYS_lsetxattr: case SYS_fsetxattr:
	case SYS_removexattr: case SYS_lremovexattr: case SYS_fremovexattr:
		return 1;
	}
	return 0;
}

/* No thread-local storage, lock or kernel call here (run.h): the
 * program's thread pointer is loaded. */
int
run_sys_fast(long nr, const long args[6], long *ret)
{
	struct gfd fb, *f;

	switch (nr) {
	/* In-process, the program's munmap and mremap are recorded
	 * (run_map.c): not passed through, but made here. */
	case SYS_munmap:
		*ret = run_map_munmap(args[0], args[1]);
		return 1;
	case SYS_mremap:
		*ret = run_map_mremap(args);
		return 1;
	case SYS_read: case SYS_write: case SYS_pread64: case SYS_pwrite64:
	case SYS_readv: case SYS_writev: case SYS_preadv: case SYS_pwritev:
	case SYS_preadv2: case SYS_pwritev2: case SYS_lseek: case SYS_fstat:
	case SYS_fsync: case SYS_fdatasync: case SYS_ftruncate:
	case SYS_fallocate: case SYS_getdents64: case SYS_sendto:
	case SYS_recvfrom:
		/* What dispatch() does with these (run_fdtab), for a host
		 * descriptor; a kernel one (or none) takes the long way.
		 * (Not sendmsg and recvmsg: their descriptors in control
		 * messages are translated, do_msg.) */
		if ((f = fd_get(args[0], &fb)) == NULL ||
		    f->kind != FD_HOST || f->fddir)
			return 0;
		*ret = HSYS(nr, f->real, args[1], args[2], args[3], args[4],
		    args[5]);
		return 1;
	/* The host's as they are (dispatch()'s host group), those that
	 * never wait: made the same way here.  (The waits, wait4, pause
	 * and the like, keep the long way.) */
	case SYS_msync: case SYS_mincore: case SYS_mlock: case SYS_munlock:
	case SYS_sched_setaffinity: case SYS_getrlimit: case SYS_setrlimit:
	case SYS_times: case SYS_sysinfo: case SYS_rt_sigpending:
	case SYS_sigaltstack: case SYS_alarm: case SYS_setitimer:
	case SYS_getitimer: case SYS_getpgrp: case SYS_getpgid:
	case SYS_setpgid: case SYS_getsid: case SYS_setsid:
	case SYS_getpriority: case SYS_setpriority: case SYS_sched_getparam:
	case SYS_sched_getscheduler: case SYS_capget: case SYS_personality:
	case SYS_timer_create:
	case SYS_timer_settime: case SYS_timer_gettime: case SYS_timer_delete:
	case SYS_timer_getoverrun:
		*ret = HSYS(nr, args[0], args[1], args[2], args[3], args[4],
		    args[5]);
		return 1;
	}
	return 0;
}

/* Whether an EPIPE from call nr comes with SIGPIPE on Linux: writes to
 * a pipe or socket, and the socket sends not given MSG_NOSIGNAL. */
static int
raises_sigpipe(long nr, const long a[6])
{

	switch (nr) {
	case SYS_write: case SYS_writev: case SYS_pwrite64:
	case SYS_pwritev: case SYS_pwritev2: case SYS_sendfile:
		return 1;
	case SYS_sendto: case SYS_sendmmsg:
		return (a[3] & MSG_NOSIGNAL) == 0;
	case SYS_sendmsg:
		return (a[2] & MSG_NOSIGNAL) == 0;
	}
	return 0;
}

long
run_sys_dispatch(long nr, long args[6], ucontext_t *uc)
{
	long ret = dispatch(nr, args, uc);
	struct gfd fb, *f;

	/* The kernel has no signals: the SIGPIPE Linux sends with EPIPE is
	 * raised here, for the calling thread, and taken as the call returns
	 * (the default action ends the program, a handler runs first, a
	 * blocked one stays pending).  A host descriptor's call had it from
	 * the host. */
	if (ret == -EPIPE && raises_sigpipe(nr, args) &&
	    (f = fd_get(args[0], &fb)) != NULL && f->kind != FD_HOST)
		HSYS(SYS_tgkill, HSYS(SYS_getpid, 0, 0, 0, 0, 0, 0),
		    HSYS(SYS_gettid, 0, 0, 0, 0, 0, 0), SIGPIPE, 0, 0, 0);

	if (ret == -ENOSYS && is_xattr(nr))
		ret = -EOPNOTSUPP;
	/* Interrupted by a signal (kernel calls): made again
	 * after the handler, or EINTR, by the handler's SA_RESTART. */
	if (ret == -ERESTARTSYS)
		ret = run_sig_restart(nr, uc);

	if (run_opt.trace)
		trace_call(nr, args, ret);
	return ret;
}
