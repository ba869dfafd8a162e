/*
 * bench_run_direct.c: the same calls as bench_run_guest, made directly
 * with rump_sys_*() on a kernel linked into this program: what strata-run
 * adds on top is the trap, the dispatch and the thread pointer switches.
 *
 *   bench_run_direct getpid|getuid N | pread N
 *
 * Prints "RESULT <name> <ns per call> ns".
 */
#include <sys/types.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rump/rump.h>
#include <rump/rump_syscalls.h>

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

	if (argc < 3 || rump_init() != 0) {
		fprintf(stderr, "usage: bench_run_direct getpid|getuid|pread N\n");
		return 2;
	}
	n = atol(argv[2]);
	if (strcmp(argv[1], "pread") == 0) {
		fd = rump_sys_open("/f", O_RDWR | O_CREAT, 0644);
		if (fd < 0 || rump_sys_write(fd, buf, sizeof(buf)) != sizeof(buf))
			return 1;
		t0 = now();
		for (i = 0; i < n; i++)
			sink += rump_sys_pread64(fd, buf, sizeof(buf), 0);
		t = now() - t0;
		printf("RESULT pread4k %.1f ns\n", t / n * 1e9);
		return 0;
	}
	t0 = now();
	if (strcmp(argv[1], "getpid") == 0)
		for (i = 0; i < n; i++)
			sink += rump_sys_getpid();
	else
		for (i = 0; i < n; i++)
			sink += rump_sys_getuid();
	t = now() - t0;
	printf("RESULT %s %.1f ns\n", argv[1], t / n * 1e9);
	return 0;
}
