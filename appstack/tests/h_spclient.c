/*
 * h_spclient.c: a sysproxy client for the tests (t_sysproxy), linked with
 * librumpclient only: every rump_sys_*() below runs on the server named by
 * RUMP_SERVER.  One command per run; prints results on stdout, exits 0 on
 * success, 1 with a message on stderr otherwise.
 *
 *   write PATH TEXT     create PATH with TEXT
 *   cat PATH            print PATH's contents
 *   work ID N           mkdir /wID, N files written and read back, renamed
 *   hold PATH SIZE      a SIZE-byte file, unlinked but open; "ready", then
 *                       writes it over and over until killed
 *   block               "ready PID", then reads a pipe of its own for
 *                       ever (it holds the write end too)
 *   loop                "ready", then getpid until a call fails; prints
 *                       the errno's name (the server went away)
 *   efault              bad pointers give EFAULT, never a crash
 *   isolate             a descriptor table of our own (fd 0 is not open)
 *   fork PATH           parent and child share an open file (offsets too)
 *   exec PATH           the program after rumpclient_exec keeps the
 *                       process and its descriptors ("execed FD PID")
 *   threads             threads call side by side in one process: one
 *                       blocked in a pipe read while others do file work
 *   getpid              print the rump pid
 *   forkrace A B        the parent closes A's descriptor and opens B
 *                       (same number) and C right after fork; the child
 *                       still reads A there and has no C: "child A ok"
 *   intr                rumpclient_interrupt() ends a thread's calls
 *                       blocked on the server (read, ppoll; typed and
 *                       numeric), also when it came before the call,
 *                       and only until cleared: "intr ok"
 *   channel             after a call: "shm" when librumpclient's
 *                       connection uses a shared-memory channel (its
 *                       memfd is mapped here), else "socket"
 */
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

#include <rump/rump_syscalls.h>
#include <rump/rumpclient.h>

static const char *cmd;

static void __attribute__((noreturn))
die(const char *what)
{

	fprintf(stderr, "h_spclient %s: %s: %s (errno %d)\n", cmd, what,
	    strerror(errno), errno);
	exit(1);
}

static void
write_all(int fd, const void *buf, size_t len)
{

	if (rump_sys_write(fd, buf, len) != (ssize_t)len)
		die("write");
}

static int
do_write(const char *path, const char *text)
{
	int fd;

	if ((fd = rump_sys_open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644)) < 0)
		die("open");
	write_all(fd, text, strlen(text));
	if (rump_sys_close(fd) != 0)
		die("close");
	return 0;
}

static int
do_cat(const char *path)
{
	char buf[4096];
	ssize_t n;
	int fd;

	if ((fd = rump_sys_open(path, O_RDONLY)) < 0)
		die("open");
	while ((n = rump_sys_read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	if (n < 0)
		die("read");
	rump_sys_close(fd);
	return 0;
}

static int
do_work(const char *id, int n)
{
	char dir[64], path[128], path2[128], buf[256], back[256];
	struct stat st;
	int fd;

	snprintf(dir, sizeof(dir), "/w%s", id);
	if (rump_sys_mkdir(dir, 0755) != 0)
		die("mkdir");
	if (rump_sys_chdir(dir) != 0)
		die("chdir");
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "f%d", i);
		snprintf(buf, sizeof(buf), "client %s file %d\n", id, i);
		if ((fd = rump_sys_open(path, O_CREAT | O_RDWR, 0600)) < 0)
			die("open");
		write_all(fd, buf, strlen(buf));
		memset(back, 0, sizeof(back));
		if (rump_sys_pread64(fd, back, sizeof(back) - 1, 0) !=
		    (ssize_t)strlen(buf) || strcmp(back, buf) != 0)
			die("read back");
		if (rump_sys_fstat(fd, &st) != 0 ||
		    st.st_size != (off_t)strlen(buf))
			die("fstat");
		rump_sys_close(fd);
		snprintf(path2, sizeof(path2), "g%d", i);
		if (rump_sys_rename(path, path2) != 0)
			die("rename");
	}
	printf("ok %s\n", id);
	return 0;
}

static int
do_hold(const char *path, long size)
{
	static char buf[1 << 20];
	int fd;

	memset(buf, 'h', sizeof(buf));
	if ((fd = rump_sys_open(path, O_CREAT | O_RDWR, 0600)) < 0)
		die("open");
	for (long done = 0; done < size; done += (long)sizeof(buf))
		write_all(fd, buf, sizeof(buf));
	if (rump_sys_unlink(path) != 0)
		die("unlink");
	printf("ready %d\n", rumpclient_getpid());
	fflush(stdout);
	/* Killed somewhere in here, most likely in the middle of a call
	 * (the copy of a megabyte takes far longer than the loop). */
	for (;;)
		if (rump_sys_pwrite64(fd, buf, sizeof(buf), 0) < 0)
			die("pwrite");
}

static int
do_loop(void)
{

	if (rump_sys_getpid() <= 0)
		die("getpid");
	rumpclient_setconnretry(RUMPCLIENT_RETRYCONN_NONE);
	printf("ready\n");
	fflush(stdout);
	for (long i = 0; i < 100000000L; i++) {
		if (rump_sys_getpid() < 0) {
			printf("%s\n", errno == ENOTCONN ? "ENOTCONN" :
			    strerror(errno));
			return 0;
		}
	}
	return 1;
}

static int
do_efault(void)
{
	char *bad = (char *)0xdeadc0de;
	struct stat st;
	int fd;

	errno = 0;
	if (rump_sys_chmod(bad, 0644) != -1 || errno != EFAULT)
		die("chmod(bad) did not give EFAULT");
	if ((fd = rump_sys_open("/efault", O_CREAT | O_RDWR, 0644)) < 0)
		die("open");
	errno = 0;
	if (rump_sys_write(fd, bad, 100) != -1 || errno != EFAULT)
		die("write(bad) did not give EFAULT");
	write_all(fd, "x", 1);
	errno = 0;
	if (rump_sys_pread64(fd, bad, 1, 0) != -1 || errno != EFAULT)
		die("pread(bad) did not give EFAULT");
	errno = 0;
	if (rump_sys_fstat(fd, (struct stat *)bad) != -1 || errno != EFAULT)
		die("fstat(bad) did not give EFAULT");
	/* And the connection is still fine. */
	if (rump_sys_fstat(fd, &st) != 0 || st.st_size != 1)
		die("fstat after EFAULTs");
	printf("efault ok\n");
	return 0;
}

static int
do_isolate(void)
{
	char c;
	int fd;

	/* A fresh process: nothing open, whatever other clients hold. */
	errno = 0;
	if (rump_sys_read(0, &c, 1) != -1 || errno != EBADF)
		die("fd 0 is open in a new process");
	if ((fd = rump_sys_open("/", O_RDONLY | O_DIRECTORY)) != 0)
		die("first descriptor is not 0");
	printf("isolate ok\n");
	return 0;
}

static int
do_fork(const char *path)
{
	char buf[64];
	int fd, status, ppid;
	pid_t pid;
	ssize_t n;

	if ((fd = rump_sys_open(path, O_CREAT | O_RDWR | O_TRUNC, 0644)) < 0)
		die("open");
	write_all(fd, "parent ", 7);
	ppid = rump_sys_getpid();
	if ((pid = rumpclient_fork()) < 0)
		die("rumpclient_fork");
	if (pid == 0) {
		/* Same open file, same offset; a process of our own. */
		if (rump_sys_getpid() == ppid || rump_sys_getppid() != ppid)
			die("child's pids");
		write_all(fd, "child", 5);
		rump_sys_close(fd);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		die("child failed");
	memset(buf, 0, sizeof(buf));
	if ((n = rump_sys_pread64(fd, buf, sizeof(buf) - 1, 0)) < 0)
		die("pread");
	printf("%s\n", buf);
	return 0;
}

static int
do_exec(const char *self, const char *path)
{
	char fdstr[16], pidstr[16];
	char *argv[] = { (char *)self, "execed", fdstr, pidstr, NULL };
	extern char **environ;
	int fd;

	if ((fd = rump_sys_open(path, O_CREAT | O_RDWR, 0644)) < 0)
		die("open");
	write_all(fd, "before exec\n", 12);
	snprintf(fdstr, sizeof(fdstr), "%d", fd);
	snprintf(pidstr, sizeof(pidstr), "%d", rump_sys_getpid());
	rumpclient_exec(self, argv, environ);
	die("rumpclient_exec");
}

struct thr_arg {
	int	 fd;
	int	 id;
	char	 got[16];
	int	 pid;
	int	 err;
};

static void *
thr_read(void *arg)
{
	struct thr_arg *a = arg;

	/* Blocks in the kernel until the main thread writes. */
	if (rump_sys_read(a->fd, a->got, 1) != 1)
		a->err = errno ? errno : EIO;
	a->pid = rump_sys_getpid();
	return NULL;
}

static void *
thr_work(void *arg)
{
	struct thr_arg *a = arg;
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/thr%d", a->id);
	for (int i = 0; i < 50; i++) {
		if ((fd = rump_sys_open(path, O_CREAT | O_RDWR | O_TRUNC,
		    0644)) < 0 || rump_sys_write(fd, path, strlen(path)) < 0) {
			a->err = errno;
			return NULL;
		}
		/* The descriptor of the last round stays open: the main
		 * thread reads it, one table for the process. */
		if (i < 49)
			rump_sys_close(fd);
	}
	a->fd = fd;
	a->pid = rump_sys_getpid();
	return NULL;
}

static int
do_threads(void)
{
	struct thr_arg r, w[4];
	pthread_t rt, wt[4];
	char buf[64];
	int p[2], pid;

	pid = rump_sys_getpid();
	if (rump_sys_pipe2(p, 0) != 0)
		die("pipe2");
	memset(&r, 0, sizeof(r));
	r.fd = p[0];
	if (pthread_create(&rt, NULL, thr_read, &r) != 0)
		die("pthread_create");
	for (int i = 0; i < 4; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].id = i;
		if (pthread_create(&wt[i], NULL, thr_work, &w[i]) != 0)
			die("pthread_create");
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(wt[i], NULL);
		if (w[i].err != 0 || w[i].pid != pid) {
			errno = w[i].err;
			die("worker thread");
		}
		memset(buf, 0, sizeof(buf));
		if (rump_sys_pread64(w[i].fd, buf, sizeof(buf) - 1, 0) <= 0)
			die("reading a worker's descriptor");
	}
	/* The reader has been blocked all along; the others went on. */
	usleep(100000);
	if (rump_sys_write(p[1], "x", 1) != 1)
		die("write pipe");
	pthread_join(rt, NULL);
	if (r.err != 0 || r.got[0] != 'x' || r.pid != pid) {
		errno = r.err;
		die("reader thread");
	}
	printf("threads ok\n");
	return 0;
}

/* --- intr ------------------------------------------------------------- */

#define ERESTARTSYS	512

struct intr_arg {
	int	 how;		/* what the thread calls: INTR_* */
	int	 fd;
	struct rumpclient_lwp *lwp;
	int	 ready;
	long	 r;
	int	 err;
};
#define INTR_READ	0	/* rump_sys_read: -1 EINTR */
#define INTR_RAWREAD	1	/* rumpclient_syscall(read): ERESTARTSYS */
#define INTR_PPOLL	2	/* rumpclient_syscall(ppoll): EINTR */

static void *
intr_thread(void *arg)
{
	struct intr_arg *a = arg;
	struct pollfd pfd = { a->fd, POLLIN, 0 };
	long args[6] = { a->fd, 0, 1, 0, 0, 0 };
	long rv[2] = { 0, 0 };
	char c;

	a->lwp = rumpclient_curlwp();
	__atomic_store_n(&a->ready, 1, __ATOMIC_SEQ_CST);
	switch (a->how) {
	case INTR_READ:
		a->r = rump_sys_read(a->fd, &c, 1);
		a->err = a->r < 0 ? errno : 0;
		break;
	case INTR_RAWREAD:
		args[1] = (long)&c;
		a->err = rumpclient_syscall(SYS_read, args, rv);
		a->r = rv[0];
		break;
	case INTR_PPOLL:
		args[0] = (long)&pfd;
		args[1] = 1;
		args[2] = 0;
		a->err = rumpclient_syscall(SYS_ppoll, args, rv);
		a->r = rv[0];
		break;
	}
	return NULL;
}

/* A thread blocks in call how on fd (an empty pipe) and is interrupted
 * from here after pause_us: the call's errno (or 0). */
static int
intr_one(int how, int fd, long pause_us)
{
	struct intr_arg a;
	pthread_t t;

	memset(&a, 0, sizeof(a));
	a.how = how;
	a.fd = fd;
	if (pthread_create(&t, NULL, intr_thread, &a) != 0)
		die("pthread_create");
	while (!__atomic_load_n(&a.ready, __ATOMIC_SEQ_CST))
		usleep(1000);
	if (pause_us > 0)
		usleep(pause_us);
	if (rumpclient_interrupt(a.lwp) != 0)
		die("rumpclient_interrupt");
	pthread_join(t, NULL);
	return a.err;
}

static int
do_intr(void)
{
	struct rumpclient_lwp *me = rumpclient_curlwp();
	long args[6] = { 0 }, rv[2];
	char c;
	int p[2], e, i;

	if (rump_sys_pipe2(p, 0) != 0)
		die("pipe2");
	/* Blocked in the kernel by then (or not yet: the same result). */
	if ((e = intr_one(INTR_READ, p[0], 100000)) != EINTR) {
		errno = e;
		die("typed read not EINTR");
	}
	if ((e = intr_one(INTR_RAWREAD, p[0], 100000)) != ERESTARTSYS) {
		errno = e;
		die("rumpclient_syscall(read) not ERESTARTSYS");
	}
	if ((e = intr_one(INTR_PPOLL, p[0], 100000)) != EINTR) {
		errno = e;
		die("ppoll not EINTR");
	}
	/* Interrupts racing with the call's start: before it, as it is
	 * posted, while the server takes it. */
	for (i = 0; i < 30; i++)
		if ((e = intr_one(INTR_READ, p[0], i % 3 ? 0 : 2000)) !=
		    EINTR) {
			errno = e;
			die("racing interrupt");
		}
	/* Marked before the call: interrupted at once, and every call
	 * until cleared; calls that do not wait are not affected. */
	if (rumpclient_interrupt(me) != 0)
		die("rumpclient_interrupt(self)");
	if (rump_sys_read(p[0], &c, 1) != -1 || errno != EINTR)
		die("marked read");
	if (rump_sys_read(p[0], &c, 1) != -1 || errno != EINTR)
		die("second marked read");
	if (rump_sys_getpid() <= 0)
		die("getpid while marked");
	if (rumpclient_interrupt_clear(me) != 1 ||
	    rumpclient_interrupt_clear(me) != 0)
		die("rumpclient_interrupt_clear");
	/* Cleared: a read waits for its byte again. */
	write_all(p[1], "y", 1);
	args[0] = p[0];
	args[1] = (long)&c;
	args[2] = 1;
	if (rumpclient_syscall(SYS_read, args, rv) != 0 || rv[0] != 1 ||
	    c != 'y')
		die("read after clear");
	printf("intr ok\n");
	return 0;
}

static int
do_execed(int fd, int pid)
{

	/* rumpclient_init adopts the connection: same process, same fd. */
	if (rumpclient_init() != 0)
		die("rumpclient_init");
	if (rump_sys_getpid() != pid)
		die("another process after exec");
	write_all(fd, "after exec\n", 11);
	printf("execed %d %d\n", fd, pid);
	return 0;
}

static int
do_forkrace(const char *a, const char *b)
{
	char buf[64];
	int fd, fd2, fd3, status;
	pid_t pid;
	ssize_t n;

	if ((fd = rump_sys_open(a, O_CREAT | O_RDWR | O_TRUNC, 0644)) < 0)
		die("open a");
	write_all(fd, "A", 1);
	if ((pid = rumpclient_fork()) < 0)
		die("rumpclient_fork");
	if (pid == 0) {
		/* Whatever the parent did meanwhile: our table is its table
		 * at the fork. */
		memset(buf, 0, sizeof(buf));
		if ((n = rump_sys_pread64(fd, buf, sizeof(buf) - 1, 0)) < 0)
			die("child pread");
		if (rump_sys_fcntl(fd + 1, F_GETFD) != -1 || errno != EBADF)
			die("child has the parent's later descriptor");
		printf("child %s ok\n", buf);
		fflush(stdout);
		_exit(0);
	}
	/* At once, long before the child can have connected. */
	rump_sys_close(fd);
	if ((fd2 = rump_sys_open(b, O_CREAT | O_RDWR | O_TRUNC, 0644)) != fd)
		die("open b (not the same number)");
	write_all(fd2, "B", 1);
	if ((fd3 = rump_sys_open(b, O_RDONLY)) != fd + 1)
		die("open c");
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		die("child failed");
	return 0;
}

int
main(int argc, char **argv)
{

	if (argc < 2) {
		fprintf(stderr, "usage: h_spclient command [args]\n");
		return 2;
	}
	cmd = argv[1];
	if (strcmp(cmd, "execed") == 0 && argc == 4)
		return do_execed(atoi(argv[2]), atoi(argv[3]));
	if (rumpclient_init() != 0)
		die("rumpclient_init");
	if (strcmp(cmd, "write") == 0 && argc == 4)
		return do_write(argv[2], argv[3]);
	if (strcmp(cmd, "cat") == 0 && argc == 3)
		return do_cat(argv[2]);
	if (strcmp(cmd, "work") == 0 && argc == 4)
		return do_work(argv[2], atoi(argv[3]));
	if (strcmp(cmd, "hold") == 0 && argc == 4)
		return do_hold(argv[2], atol(argv[3]));
	if (strcmp(cmd, "loop") == 0)
		return do_loop();
	if (strcmp(cmd, "block") == 0) {
		int p[2];
		char ch;

		if (rump_sys_pipe2(p, 0) != 0)
			die("pipe2");
		printf("ready %d\n", rumpclient_getpid());
		fflush(stdout);
		(void)rump_sys_read(p[0], &ch, 1);
		die("read returned");
	}
	if (strcmp(cmd, "efault") == 0)
		return do_efault();
	if (strcmp(cmd, "isolate") == 0)
		return do_isolate();
	if (strcmp(cmd, "fork") == 0 && argc == 3)
		return do_fork(argv[2]);
	if (strcmp(cmd, "exec") == 0 && argc == 3)
		return do_exec(argv[0], argv[2]);
	if (strcmp(cmd, "threads") == 0)
		return do_threads();
	if (strcmp(cmd, "intr") == 0)
		return do_intr();
	if (strcmp(cmd, "forkrace") == 0 && argc == 4)
		return do_forkrace(argv[2], argv[3]);
	if (strcmp(cmd, "getpid") == 0) {
		printf("%d\n", rump_sys_getpid());
		return 0;
	}
	if (strcmp(cmd, "channel") == 0) {
		char line[512];
		int shm = 0;
		FILE *f;

		if (rump_sys_getpid() <= 0)
			die("getpid");
		if ((f = fopen("/proc/self/maps", "r")) == NULL)
			die("/proc/self/maps");
		while (fgets(line, sizeof(line), f) != NULL)
			shm |= strstr(line, "/memfd:rumpsp") != NULL;
		fclose(f);
		printf("%s\n", shm ? "shm" : "socket");
		return 0;
	}
	fprintf(stderr, "h_spclient: bad command %s\n", cmd);
	return 2;
}
