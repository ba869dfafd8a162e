/*
 * strata-demo: boots a rump kernel inside this process and shows it at
 * work: two rump processes build a small tree of files, directories and
 * links on the tmpfs root, pass a file through a shared descriptor, and
 * check each other's view.  Every step prints what the kernel answered.
 *
 * Built only from installed layers:
 *   cc strata_demo.c $(pkg-config --cflags --libs rumpfs_tmpfs rumpuser-posix)
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rump/rump.h>
#include <rump/rump_syscalls.h>

static int verbose = 1;
static int failures;

/* Reports one step; a failed step is counted and the demo goes on. */
static void
step(int ok, const char *fmt, ...)
{
	va_list ap;

	if (!ok)
		failures++;
	if (!verbose && ok)
		return;
	printf("  %s ", ok ? "ok  " : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (!ok)
		printf(" (%s)", strerror(errno));
	printf("\n");
}

/* A heading, left out in quiet mode. */
static void
say(const char *heading)
{

	if (verbose)
		fputs(heading, stdout);
}

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: strata-demo [-q] [-h]\n"
	    "\n"
	    "Boots a strata rump kernel in this process and works with files,\n"
	    "directories and links as two rump processes on the tmpfs root.\n"
	    "\n"
	    "  -q  quiet: print only failures and the summary\n"
	    "  -h  this help\n"
	    "\n"
	    "Kernel parameters come from the environment: RUMP_NCPU,\n"
	    "RUMP_VERBOSE, RUMP_MEMLIMIT (bytes, k/m/g suffix).\n"
	    "Exit status: 0 when every step worked, 1 otherwise.\n");
}

static ssize_t
write_file(const char *path, const char *text)
{
	int fd = rump_sys_open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ssize_t n;

	if (fd == -1)
		return -1;
	n = rump_sys_write(fd, text, strlen(text));
	rump_sys_close(fd);
	return n;
}

static int
read_matches(const char *path, const char *text)
{
	char buf[256];
	int fd = rump_sys_open(path, O_RDONLY);
	ssize_t n;

	if (fd == -1)
		return 0;
	n = rump_sys_read(fd, buf, sizeof(buf));
	rump_sys_close(fd);
	return n == (ssize_t)strlen(text) && memcmp(buf, text, (size_t)n) == 0;
}

/* Lists a directory with getdents64; returns the number of entries. */
static int
list_dir(const char *path)
{
	char buf[4096];
	int fd, count = 0;
	ssize_t n;

	if ((fd = rump_sys_open(path, O_RDONLY | O_DIRECTORY)) == -1)
		return -1;
	while ((n = rump_sys_getdents64(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t off = 0; off < n;) {
			/* struct linux_dirent64: ino, off, reclen, type, name */
			unsigned short reclen;
			unsigned char type;
			memcpy(&reclen, buf + off + 16, sizeof(reclen));
			type = (unsigned char)buf[off + 18];
			if (verbose)
				printf("        %-10s %s\n",
				    type == 4 ? "directory" :
				    type == 10 ? "symlink" : "file",
				    buf + off + 19);
			count++;
			off += reclen;
		}
	}
	rump_sys_close(fd);
	return count;
}

int
main(int argc, char **argv)
{
	struct timespec t0, t1;
	struct stat st;
	char buf[256];
	struct lwp *lwp_a;
	int error, fd, parent, child, ok;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-q") == 0)
			verbose = 0;
		else if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "strata-demo: unknown option '%s'\n",
			    argv[i]);
			usage(stderr);
			return 2;
		}
	}

	clock_gettime(CLOCK_MONOTONIC, &t0);
	error = rump_init();
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (error) {
		fprintf(stderr, "strata-demo: rump_init: %s\n",
		    strerror(error));
		return 1;
	}
	printf("strata-demo: rump kernel booted in %.1f us "
	    "(rump_init measured by the caller; the kernel says %lu us)\n",
	    (double)(t1.tv_sec - t0.tv_sec) * 1e6 +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e3, rump_boot_usec());

	/* Process A: the "builder". */
	error = rump_lwproc_rfork(RUMP_RFCFDG);
	step(error == 0, "rfork: process A has pid %d (parent %d)",
	    rump_sys_getpid(), rump_sys_getppid());
	parent = rump_sys_getpid();

	say("process A builds a tree:\n");
	step(rump_sys_mkdir("/demo", 0755) == 0, "mkdir /demo");
	step(rump_sys_mkdir("/demo/docs", 0750) == 0, "mkdir /demo/docs");
	step(write_file("/demo/docs/hello.txt", "hello from a rump kernel\n")
	    > 0, "write /demo/docs/hello.txt");
	step(rump_sys_link("/demo/docs/hello.txt", "/demo/hello.link") == 0,
	    "link /demo/hello.link -> the same file");
	step(rump_sys_symlink("docs/hello.txt", "/demo/hello.sym") == 0,
	    "symlink /demo/hello.sym -> docs/hello.txt");
	memset(&st, 0, sizeof(st));
	error = rump_sys_stat("/demo/hello.link", &st);
	step(error == 0 && st.st_nlink == 2,
	    "stat: the file has %lu links", (unsigned long)st.st_nlink);
	step(rump_sys_chdir("/demo") == 0, "chdir /demo");
	step(read_matches("hello.sym", "hello from a rump kernel\n"),
	    "read through the symlink (relative to the cwd)");
	fd = rump_sys_open("/demo/docs/hello.txt", O_RDONLY);
	step(fd >= 0, "open /demo/docs/hello.txt as fd %d (to share)", fd);

	/* Process B: a child with a copy of A's descriptor table. */
	lwp_a = rump_lwproc_curlwp();
	error = rump_lwproc_rfork(RUMP_RFFDG);
	child = rump_sys_getpid();
	step(error == 0 && rump_sys_getppid() == parent,
	    "rfork: process B has pid %d, parent %d", child, parent);
	say("process B uses what A built:\n");
	memset(buf, 0, sizeof(buf));
	ok = rump_sys_read(fd, buf, 5) == 5 && memcmp(buf, "hello", 5) == 0;
	step(ok, "read 5 bytes from the inherited fd %d: \"%.5s\"", fd, buf);
	ok = rump_sys_getcwd(buf, sizeof(buf)) > 0 && strcmp(buf, "/demo") == 0;
	step(ok, "getcwd inherited: %s", buf);
	step(rump_sys_rename("/demo/docs/hello.txt", "/demo/moved.txt") == 0,
	    "rename docs/hello.txt -> moved.txt");
	step(rump_sys_unlink("/demo/hello.link") == 0, "unlink hello.link");
	step(rump_sys_readlink("/demo/hello.sym", buf, sizeof(buf)) == 14,
	    "the symlink still says docs/hello.txt (now dangling)");
	step(rump_sys_stat("/demo/hello.sym", &st) == -1 && errno == ENOENT,
	    "stat through the dangling symlink: ENOENT, as expected");
	step(rump_sys_setuid(1000) == 0, "setuid 1000");
	step(rump_sys_mkdir("/demo/docs/private", 0700) == -1 &&
	    errno == EACCES, "mkdir in a 0750 root directory as uid 1000: "
	    "EACCES, as expected");
	say("        listing of /demo as seen by B:\n");
	step(list_dir("/demo") == 5, "getdents64 /demo: 5 entries");
	rump_lwproc_releaselwp();

	/* Back in A: B is gone, its changes are not. */
	rump_lwproc_switch(lwp_a);
	step(rump_sys_getpid() == parent,
	    "switched back to process A (pid %d)", parent);
	step(rump_sys_lseek(fd, 0, SEEK_CUR) == 5,
	    "A's fd %d advanced too: B's copy shares the open file", fd);
	step(read_matches("/demo/moved.txt", "hello from a rump kernel\n"),
	    "A reads B's renamed file");
	error = rump_sys_stat("/demo/moved.txt", &st);
	step(error == 0 && st.st_nlink == 1,
	    "B's unlink left %lu link", (unsigned long)st.st_nlink);
	rump_sys_close(fd);
	rump_lwproc_releaselwp();

	printf("strata-demo: %s (%d failed step%s)\n",
	    failures ? "FAILED" : "all steps worked", failures,
	    failures == 1 ? "" : "s");
	return failures ? 1 : 0;
}
