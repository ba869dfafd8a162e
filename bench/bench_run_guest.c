/*
 * bench_run_guest.c: the program bench_run.sh times, once natively (the
 * host peer) and once under strata-run (every system call it makes then
 * traps with SIGSYS, or with --rewrite calls strata-run, and is served by
 * the in-process kernel, the host, or strata-run itself for getpid).  An
 * ordinary host program: it knows nothing of rump.
 *
 *   bench_run_guest getpid N      N getpid system calls (answered by
 *                                 strata-run itself: the cost of the
 *                                 trap and dispatch)
 *   bench_run_guest getuid N      N getuid calls (served by the kernel
 *                                 under strata-run: a null kernel call)
 *   bench_run_guest hostwrite N   N writes of 0 bytes to standard output
 *                                 (a host descriptor under strata-run)
 *   bench_run_guest pread FILE N  N 4 KiB preads of FILE (created)
 *   bench_run_guest fork N        N times fork, the child's _exit, waitpid
 *   bench_run_guest forkexec N    N times fork, execve of /proc/self/exe
 *                                 (this program, "nop": it exits), waitpid
 *
 * Prints "RESULT <name> <ns per call> ns".  Times come from
 * clock_gettime, which the vDSO answers without a system call.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int
main(int argc, char *argv[])
{
	static char buf[4096];
	volatile long sink = 0;
	double t0, t;
	long i, n;
	int fd;

	if (argc == 2 && strcmp(argv[1], "nop") == 0)
		return 0;
	if (argc < 3 || strcmp(argv[1], "-h") == 0) {
		fprintf(stderr, "usage: bench_run_guest getpid|getuid|hostwrite|"
		    "fork|forkexec N | pread FILE N\n");
		return argc < 3 ? 2 : 0;
	}
	if (strcmp(argv[1], "pread") == 0) {
		if (argc < 4)
			return 2;
		n = atol(argv[3]);
		fd = open(argv[2], O_RDWR | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || write(fd, buf, sizeof(buf)) != sizeof(buf)) {
			perror(argv[2]);
			return 1;
		}
		t0 = now();
		for (i = 0; i < n; i++)
			sink += pread(fd, buf, sizeof(buf), 0);
		t = now() - t0;
		close(fd);
		unlink(argv[2]);
		printf("RESULT pread4k %.1f ns\n", t / n * 1e9);
		return sink == n * 4096 ? 0 : 1;
	}
	n = atol(argv[2]);
	if (strcmp(argv[1], "getpid") == 0) {
		t0 = now();
		for (i = 0; i < n; i++)
			sink += syscall(SYS_getpid);
	} else if (strcmp(argv[1], "getuid") == 0) {
		t0 = now();
		for (i = 0; i < n; i++)
			sink += syscall(SYS_getuid);
	} else if (strcmp(argv[1], "hostwrite") == 0) {
		t0 = now();
		for (i = 0; i < n; i++)
			sink += write(1, buf, 0);
	} else if (strcmp(argv[1], "fork") == 0 ||
	    strcmp(argv[1], "forkexec") == 0) {
		char *nop[] = { argv[0], "nop", NULL };
		int exec = argv[1][4] == 'e', st;
		pid_t pid;

		t0 = now();
		for (i = 0; i < n; i++) {
			if ((pid = fork()) == 0) {
				if (exec)
					execv("/proc/self/exe", nop);
				_exit(exec ? 127 : 0);
			}
			if (pid < 0 || waitpid(pid, &st, 0) != pid ||
			    !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
				fprintf(stderr, "bench_run_guest: %s failed\n",
				    argv[1]);
				return 1;
			}
		}
	} else {
		fprintf(stderr, "bench_run_guest: unknown %s\n", argv[1]);
		return 2;
	}
	t = now() - t0;
	printf("RESULT %s %.1f ns\n", argv[1], t / n * 1e9);
	return 0;
}
