/*
 * run_main.c: strata-run's command line, the kernel's boot and the
 * program's start.
 *
 *   strata-run [options] -- PROGRAM [ARGS...]
 *
 * See strata-run.1 for the options and the policy.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include <rump/rump.h>
#include <rump/rump_syscalls.h>
#include <rump/rumpclient.h>
#include <rump/rumpuser_fcopy.h>

#include "run.h"

struct run_options run_opt;

/* The kernel's calls for strata-run's own work (copy-in, listings), in
 * whichever kernel the program uses: -1 and errno, like libc. */
static long
kcall(long nr, long a0, long a1, long a2, long a3)
{
	long r = run_ksys(nr, a0, a1, a2, a3, 0, 0);

	if (r < 0) {
		errno = (int)-r;
		return -1;
	}
	return r;
}
#define P(x)			((long)(uintptr_t)(x))
#define k_mkdir(p, m)		kcall(SYS_mkdirat, AT_FDCWD, P(p), (m), 0)
#define k_chmod(p, m)		kcall(SYS_fchmodat, AT_FDCWD, P(p), (m), 0)
#define k_symlink(t, p)		kcall(SYS_symlinkat, P(t), AT_FDCWD, P(p), 0)
#define k_open(p, f, m)		kcall(SYS_openat, AT_FDCWD, P(p), (f), (m))
#define k_read(fd, b, n)	kcall(SYS_read, (fd), P(b), (long)(n), 0)
#define k_write(fd, b, n)	kcall(SYS_write, (fd), P(b), (long)(n), 0)
#define k_close(fd)		kcall(SYS_close, (fd), 0, 0, 0)
#define k_lstat(p, st)		kcall(SYS_newfstatat, AT_FDCWD, P(p), P(st), \
				    AT_SYMLINK_NOFOLLOW)
#define k_getdents64(fd, b, n)	kcall(SYS_getdents64, (fd), P(b), (long)(n), 0)
#define k_chdir(p)		kcall(SYS_chdir, P(p), 0, 0, 0)

static const char *default_host_ro[] = {
	"/usr", "/lib", "/lib64", "/lib32", "/libx32", "/bin", "/sbin", "/etc",
};
static const char *default_host_rw[] = { "/dev", "/proc", "/sys" };

static const char *list_at_exit;
static pid_t list_pid;
/* The signal mask strata-run was started with: the program's. */
static sigset_t start_mask;

static void
usage(FILE *f)
{

	fprintf(f,
"usage: strata-run [options] -- PROGRAM [ARGS...]\n"
"Runs an unmodified Linux program with its system calls served by a rump\n"
"kernel loaded in the same process (files, directories, pipes live in\n"
"the kernel; memory, threads, signals and time stay with the host).\n"
"\n"
"  --trace              print every system call (strace-style) and, once\n"
"                       per number, the calls the kernel lacks (ENOSYS)\n"
"  --rewrite            turn each system call instruction of the program\n"
"                       into a direct call on its first use (faster;\n"
"                       needs address 0 mappable: root or\n"
"                       vm.mmap_min_addr=0; else the same as without)\n"
"  --cwd DIR            the program's working directory in the kernel\n"
"                       (created if missing; default /)\n"
"  --copy-in HOST[:DIR] copy the host tree HOST into the kernel at DIR\n"
"                       (default: the same path) before the program starts\n"
"  --host PREFIX        paths under PREFIX are the host's, read-write\n"
"  --host-ro PREFIX     paths under PREFIX are the host's for reading\n"
"  --no-default-host    drop the default host prefixes (read-only: /usr\n"
"                       /lib /lib64 /lib32 /libx32 /bin /sbin /etc;\n"
"                       read-write: /dev /proc /sys)\n"
"  --list-at-exit DIR   when the program exits, print the kernel's tree\n"
"                       under DIR (type, mode, size, checksum, path) on\n"
"                       standard error\n"
"  --server URL         the kernel is a server's (strata-server; unix://PATH\n"
"                       or tcp://ADDR:PORT; default: $RUMP_SERVER): its\n"
"                       files outlive the program; without it, the\n"
"                       kernel is this process's, served to the\n"
"                       program's forked children until the last exits\n"
"  -h, --help           this text\n"
"\n"
"The program is found in the host's PATH when it has no slash.  Its\n"
"executable and shared libraries are read from the host.  See\n"
"strata-run(1).  (--fd-map, --argv0 and --host-cwd are how strata-run\n"
"hands a program over to the next one at execve.)\n");
}

static void
die(const char *fmt, const char *arg, int error)
{

	fprintf(stderr, "strata-run: ");
	fprintf(stderr, fmt, arg);
	if (error != 0)
		fprintf(stderr, ": %s", strerror(error));
	fputc('\n', stderr);
	exit(127);
}

static void
add(const char ***list, size_t *n, const char *s)
{
	const char **l = realloc(*list, (*n + 1) * sizeof(**list));

	if (l == NULL)
		die("out of memory%s", "", 0);
	l[(*n)++] = s;
	*list = l;
}

/* The program's host path: as given when it has a slash, else from PATH. */
static char *
find_program(const char *name)
{
	const char *path = getenv("PATH");
	char buf[PATH_MAX];
	const char *p, *e;

	if (strchr(name, '/') != NULL)
		return strdup(name);
	if (path == NULL)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path; *p != '\0'; p = *e ? e + 1 : e) {
		e = strchrnul(p, ':');
		if ((size_t)snprintf(buf, sizeof(buf), "%.*s/%s", (int)(e - p),
		    e == p ? "." : p, name) >= sizeof(buf))
			continue;
		if (access(buf, X_OK) == 0)
			return strdup(buf);
	}
	return NULL;
}

/*
 * The argument vector for the program at *prog: args with args[0]
 * replaced by argv0 when given; for a "#!interp [arg]" script, *prog
 * becomes interp and the vector "interp [arg] script args[1...]", as
 * Linux's execve() makes it.
 */
static char **
script_argv(char **prog, char **args, const char *argv0)
{
	char line[256], *p, *interp, *arg = NULL, **v;
	size_t n, j = 0, i;
	ssize_t got;
	int fd;

	for (n = 0; args[n] != NULL; n++)
		;
	if ((v = calloc(n + 4, sizeof(*v))) == NULL)
		die("out of memory%s", "", 0);
	fd = open(*prog, O_RDONLY | O_CLOEXEC);
	got = fd < 0 ? -1 : read(fd, line, sizeof(line) - 1);
	if (fd >= 0)
		close(fd);
	if (got > 2 && line[0] == '#' && line[1] == '!') {
		line[got] = '\0';
		if ((p = strchr(line, '\n')) != NULL)
			*p = '\0';
		for (p = line + 2; *p == ' ' || *p == '\t'; p++)
			;
		interp = p;
		while (*p != '\0' && *p != ' ' && *p != '\t')
			p++;
		if (*p != '\0') {
			*p++ = '\0';
			while (*p == ' ' || *p == '\t')
				p++;
			if (*p != '\0') {
				arg = p;
				/* Linux passes the rest as one argument. */
				for (p = arg + strlen(arg); p > arg &&
				    (p[-1] == ' ' || p[-1] == '\t'); p--)
					p[-1] = '\0';
			}
		}
		if (*interp == '\0')
			die("%s: empty #! line", *prog, 0);
		v[j++] = strdup(interp);
		if (arg != NULL)
			v[j++] = strdup(arg);
		v[j++] = *prog;
		*prog = strdup(interp);
		for (i = 1; i < n; i++)
			v[j++] = args[i];
		return v;
	}
	v[j++] = argv0 != NULL ? (char *)argv0 : args[0];
	for (i = 1; i < n; i++)
		v[j++] = args[i];
	return v;
}

char **
run_exec_argv(char **prog, char **args)
{

	return script_argv(prog, args, NULL);
}

/* mkdir -p in the kernel. */
static int
kmkdirs(const char *dir, mode_t mode)
{
	char buf[PATH_MAX], *p;

	if (strlen(dir) >= sizeof(buf))
		return ENAMETOOLONG;
	strcpy(buf, dir);
	for (p = buf + 1; ; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;

			*p = '\0';
			if (k_mkdir(buf, mode) != 0 && errno != EEXIST)
				return errno;
			if (c == '\0')
				break;
			*p = c;
		}
	}
	return 0;
}

/* Copies the host file, directory or link src to dst in the kernel. */
static int
copy_tree(const char *src, const char *dst, const char **why)
{
	struct stat st;
	char a[PATH_MAX], b[PATH_MAX];
	int error = 0;

	*why = src;
	if (lstat(src, &st) != 0)
		return errno;
	if (S_ISDIR(st.st_mode)) {
		DIR *d;
		struct dirent *de;

		if (k_mkdir(dst, st.st_mode & 07777) != 0 &&
		    errno != EEXIST)
			return errno;
		if ((d = opendir(src)) == NULL)
			return errno;
		while (error == 0 && (de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			if ((size_t)snprintf(a, sizeof(a), "%s/%s", src,
			    de->d_name) >= sizeof(a) ||
			    (size_t)snprintf(b, sizeof(b), "%s/%s",
			    strcmp(dst, "/") == 0 ? "" : dst, de->d_name) >=
			    sizeof(b))
				error = ENAMETOOLONG;
			else
				error = copy_tree(a, b, why);
		}
		closedir(d);
		if (error == 0)
			k_chmod(dst, st.st_mode & 07777);
		return error;
	}
	if (S_ISLNK(st.st_mode)) {
		ssize_t n = readlink(src, a, sizeof(a) - 1);

		if (n < 0)
			return errno;
		a[n] = '\0';
		return k_symlink(a, dst) == 0 ? 0 : errno;
	}
	if (S_ISREG(st.st_mode)) {
		char buf[65536];
		ssize_t n;
		int in, out;

		if ((in = open(src, O_RDONLY | O_CLOEXEC)) < 0)
			return errno;
		out = k_open(dst, O_WRONLY | O_CREAT | O_TRUNC,
		    st.st_mode & 07777);
		if (out < 0) {
			error = errno;
			close(in);
			return error;
		}
		while ((n = read(in, buf, sizeof(buf))) > 0)
			if (k_write(out, buf, (size_t)n) != (long)n) {
				error = errno ? errno : EIO;
				break;
			}
		if (n < 0)
			error = errno;
		close(in);
		k_close(out);
		return error;
	}
	return 0;	/* devices, sockets, fifos: not copied */
}

int
run_copy_in(const char *src, const char *dst, const char **why)
{
	char parent[PATH_MAX], *slash;
	int error;

	if (strlen(dst) >= sizeof(parent))
		return ENAMETOOLONG;
	strcpy(parent, dst);
	if ((slash = strrchr(parent, '/')) != NULL && slash != parent) {
		*slash = '\0';
		if ((error = kmkdirs(parent, 0755)) != 0) {
			*why = dst;
			return error;
		}
	}
	return copy_tree(src, dst, why);
}

/* FNV-1a of a kernel file's bytes. */
static uint64_t
ksum(const char *path)
{
	uint64_t h = 0xcbf29ce484222325ull;
	char buf[8192];
	ssize_t n, i;
	int fd = (int)k_open(path, O_RDONLY, 0);

	if (fd < 0)
		return 0;
	while ((n = k_read(fd, buf, sizeof(buf))) > 0)
		for (i = 0; i < n; i++)
			h = (h ^ (unsigned char)buf[i]) * 0x100000001b3ull;
	k_close(fd);
	return h;
}

/* Prints the kernel's tree at path, one line per entry, sorted by the
 * directory order (tests sort the output themselves). */
static void
list_tree(const char *path, int depth)
{
	struct stat st;
	char buf[32768];
	long n, off;
	int fd;

	if (depth > 64 || k_lstat(path, &st) != 0)
		return;
	fprintf(stderr, "strata-run: tree %c %04o %lld %016llx %s\n",
	    S_ISDIR(st.st_mode) ? 'd' : S_ISLNK(st.st_mode) ? 'l' :
	    S_ISREG(st.st_mode) ? 'f' : S_ISFIFO(st.st_mode) ? 'p' :
	    S_ISSOCK(st.st_mode) ? 's' : S_ISCHR(st.st_mode) ? 'c' :
	    S_ISBLK(st.st_mode) ? 'b' : '?', (unsigned)(st.st_mode & 07777),
	    (long long)(S_ISREG(st.st_mode) ? st.st_size : 0),
	    (unsigned long long)(S_ISREG(st.st_mode) ? ksum(path) : 0), path);
	if (!S_ISDIR(st.st_mode))
		return;
	if ((fd = (int)k_open(path, O_RDONLY | O_DIRECTORY, 0)) < 0)
		return;
	while ((n = k_getdents64(fd, buf, sizeof(buf))) > 0) {
		for (off = 0; off < n; ) {
			struct run_dirent64 *de = (void *)(buf + off);
			char child[PATH_MAX];

			off += de->reclen;
			if (strcmp(de->name, ".") == 0 ||
			    strcmp(de->name, "..") == 0)
				continue;
			if ((size_t)snprintf(child, sizeof(child), "%s/%s",
			    strcmp(path, "/") == 0 ? "" : path, de->name) <
			    sizeof(child))
				list_tree(child, depth + 1);
		}
	}
	k_close(fd);
}

/* Called on the program's exit_group, before the host ends the process. */
void
run_at_exit(void)
{

	/* The program's own exit, not a forked child's. */
	if (list_at_exit != NULL && run_pid == list_pid)
		list_tree(list_at_exit, 0);
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "trace", no_argument, NULL, 't' },
		{ "rewrite", no_argument, NULL, 'W' },
		{ "cwd", required_argument, NULL, 'C' },
		{ "copy-in", required_argument, NULL, 'i' },
		{ "host", required_argument, NULL, 'H' },
		{ "host-ro", required_argument, NULL, 'R' },
		{ "no-default-host", no_argument, NULL, 'N' },
		{ "list-at-exit", required_argument, NULL, 'L' },
		{ "server", required_argument, NULL, 's' },
		{ "fd-map", required_argument, NULL, 'F' },
		{ "argv0", required_argument, NULL, '0' },
		{ "host-cwd", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char **copies = NULL;
	size_t ncopies = 0, i;
	int c, error, nodefault = 0;
	struct run_image img;
	const char *why = "", *fdmap = NULL, *argv0 = NULL;
	char *prog, **pargv;

	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			run_opt.trace = 1;
			break;
		case 'W':
			run_opt.rewrite = 1;
			break;
		case 'C':
			if (optarg[0] != '/')
				die("--cwd %s: not an absolute path", optarg, 0);
			run_opt.cwd = optarg;
			break;
		case 'i':
			add(&copies, &ncopies, optarg);
			break;
		case 'H':
		case 'R':
			if (optarg[0] != '/')
				die("%s: host prefixes are absolute paths",
				    optarg, 0);
			if (c == 'H')
				add(&run_opt.host_rw, &run_opt.nhost_rw, optarg);
			else
				add(&run_opt.host_ro, &run_opt.nhost_ro, optarg);
			break;
		case 'N':
			nodefault = 1;
			break;
		case 'L':
			list_at_exit = optarg;
			break;
		case 's':
			run_opt.server = optarg;
			break;
		case 'F':
			fdmap = optarg;
			break;
		case '0':
			argv0 = optarg;
			break;
		case 'D':
			if (optarg[0] != '/')
				die("--host-cwd %s: not an absolute path",
				    optarg, 0);
			run_sys_set_host_cwd(optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 127;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "strata-run: no program given\n");
		usage(stderr);
		return 127;
	}
	if (!nodefault) {
		for (i = 0; i < sizeof(default_host_ro) / sizeof(char *); i++)
			add(&run_opt.host_ro, &run_opt.nhost_ro,
			    default_host_ro[i]);
		for (i = 0; i < sizeof(default_host_rw) / sizeof(char *); i++)
			add(&run_opt.host_rw, &run_opt.nhost_rw,
			    default_host_rw[i]);
	}
	if ((prog = find_program(argv[optind])) == NULL)
		die("%s: not found in PATH", argv[optind], 0);

	/* SIGSYS is how the program's calls reach us: never blocked. */
	{
		sigset_t m;

		sigemptyset(&m);
		sigaddset(&m, SIGSYS);
		sigprocmask(SIG_UNBLOCK, &m, NULL);
	}
	/* The threads strata-run makes (the kernel's, the platform's,
	 * librumpclient's) must never take the program's signals, whose
	 * handlers expect the program's thread state: they are made with
	 * every signal blocked but the faults and SIGSYS, and the program
	 * starts with the mask strata-run was given. */
	{
		sigset_t all;

		sigfillset(&all);
		sigdelset(&all, SIGSEGV);
		sigdelset(&all, SIGBUS);
		sigdelset(&all, SIGSYS);
		pthread_sigmask(SIG_BLOCK, &all, &start_mask);
	}
	if (run_opt.server == NULL)
		run_opt.server = getenv("RUMP_SERVER");
	if (run_opt.server != NULL && run_opt.server[0] == '\0')
		run_opt.server = NULL;
	if (run_opt.server != NULL) {
		/* Remote: the kernel is a server's; this process is one of its
		 * clients (after an exec, the same rump process as before). */
		if (setenv("RUMP_SERVER", run_opt.server, 1) != 0 ||
		    rumpclient_init() != 0)
			die("cannot connect to %s", run_opt.server, errno);
		/* No rump_init() here: the platform's fault-catching copies
		 * (bad pointers of the program give EFAULT) install their
		 * handler with the first copy, which must come before
		 * strata-run's own fault handler (run_sud_init), so that
		 * faults in strata-run's code are passed on to it. */
		{
			char a = 0, b;

			(void)rumpuser_fcopyin(&a, &b, 1);
		}
	} else {
		if ((error = rump_init()) != 0)
			die("cannot boot the kernel%s", "", error);
		/* The program is a process of its own in the kernel, with an
		 * empty descriptor table (0, 1, 2 are the host's). */
		if ((error = rump_lwproc_rfork(RUMP_RFCFDG)) != 0)
			die("cannot make the program's kernel process%s", "",
			    error);
		if (kmkdirs("/tmp", 01777) != 0 || k_chmod("/tmp", 01777) != 0)
			die("cannot make /tmp in the kernel%s", "", errno);
	}
	/* In-process, the program's mappings are recorded for exec. */
	run_map_init();
	if (fdmap != NULL && run_sys_fdmap(fdmap) != 0)
		die("--fd-map %s: malformed", fdmap, 0);
	for (i = 0; i < ncopies; i++) {
		char *src = strdup(copies[i]), *dst = strchr(src, ':');

		if (dst != NULL)
			*dst++ = '\0';
		else
			dst = src;
		if (src[0] != '/' || dst[0] != '/')
			die("--copy-in %s: paths must be absolute", copies[i], 0);
		if ((error = run_copy_in(src, dst, &why)) != 0)
			die("--copy-in: %s", why, error);
		free(src);
	}
	if (run_opt.cwd != NULL) {
		if ((error = kmkdirs(run_opt.cwd, 0755)) != 0)
			die("--cwd %s", run_opt.cwd, error);
		if (k_chdir(run_opt.cwd) != 0)
			die("--cwd %s", run_opt.cwd, errno);
	}

	if ((error = run_sud_init()) != 0)
		die("cannot set up system call interception%s", "", error);
	list_pid = run_pid;
	/* Kernel calls interrupted by the program's signals (in-process),
	 * the main thread's first. */
	if ((error = run_sig_init()) != 0)
		die("cannot start the interrupter thread%s", "", error);
	run_sig_thread_begin(run_self());
	if (run_opt.rewrite)
		run_rw_init();
	/* The program's arguments: argv[0] as its caller gave it, and an
	 * interpreter for a "#!" script. */
	pargv = script_argv(&prog, argv + optind, argv0);
	/* The program's environment: ours, without rumpclient's note of
	 * the connection an exec hands over (ours, not the program's). */
	unsetenv("RUMPCLIENT__EXEC");
	if ((error = run_elf_load(prog, pargv, environ, &img,
	    &why)) != 0) {
		fprintf(stderr, "strata-run: %s: %s: %s\n", prog, why,
		    strerror(error));
		return 127;
	}
	/* A file the previous strata-run held open for an exec by
	 * descriptor (run_sys.c exec_resolve) is loaded: it goes. */
	if (fdmap != NULL) {
		int hold, n = 0;

		if (sscanf(prog, "/proc/self/fd/%d%n", &hold, &n) == 1 &&
		    prog[n] == '\0' && hold > 2)
			close(hold);
	}
	if ((error = run_sys_init(&img)) != 0)
		die("cannot set up descriptors%s", "", error);
	if ((error = run_sud_enable()) != 0) {
		if (error == EINVAL)
			die("this Linux has no Syscall User Dispatch (needs "
			    "5.11 or later)%s", "", 0);
		die("PR_SET_SYSCALL_USER_DISPATCH%s", "", error);
	}
	fflush(NULL);
	pthread_sigmask(SIG_SETMASK, &start_mask, NULL);
	run_sud_start(img.entry, img.sp);
}
