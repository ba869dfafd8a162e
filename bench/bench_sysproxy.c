/*
 * bench_sysproxy.c: the cost of a system call served remotely (sysproxy)
 * against the same call in-process and on the host.
 *
 * One source, linked twice by bench/Makefile: with the kernel and the
 * posix platform (bench_sysproxy_local: rump_sys_*() in-process) and with
 * librumpclient (bench_sysproxy_remote: the same calls on the server named
 * by RUMP_SERVER).  Nothing in the program differs: that is the point of
 * the client having the kernel's typed calls.
 *
 *   bench_sysproxy_{local,remote} getpid|pread4k
 *
 * prints "RESULT <key> <ns per call> ns" for the rump call and for the
 * host's own (key host-...), each timed for about half a second; for the
 * rump call also "RESULT <key>-cpu <ns> ns", the CPU time (user +
 * system, getrusage) this process spent per call, and "RESULT
 * <key>-calls <n>", every call made (warm-up included), by which
 * bench/sysproxy.sh divides the server's CPU time.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <rump/rump.h>
#include <rump/rump_syscalls.h>

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
die(const char *what)
{
	fprintf(stderr, "bench_sysproxy: %s: %s\n", what, strerror(errno));
	exit(1);
}

static double
cputime(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* Of the last timeit(): CPU ns per call, and all calls made. */
static double last_cpu;
static long last_calls;

/* Runs fn in batches until half a second has passed: ns per call. */
static double
timeit(void (*fn)(long), long batch)
{
	double t0 = now(), t, c0;
	long n = 0;

	fn(batch / 10);		/* warm up */
	t0 = now();
	c0 = cputime();
	do {
		fn(batch);
		n += batch;
	} while ((t = now() - t0) < 0.5);
	last_cpu = (cputime() - c0) / (double)n * 1e9;
	last_calls = n + batch / 10;
	return t / (double)n * 1e9;
}

/* The rump call's figures. */
static void
report(const char *key, double ns)
{

	printf("RESULT %s %.1f ns\n", key, ns);
	printf("RESULT %s-cpu %.1f ns\n", key, last_cpu);
	printf("RESULT %s-calls %ld\n", key, last_calls);
}

static volatile long sink;
static int rfd, hfd;
static char buf[4096];

static void rump_getpid_n(long n) { for (long i = 0; i < n; i++) sink += rump_sys_getpid(); }
static void host_getpid_n(long n) { for (long i = 0; i < n; i++) sink += syscall(SYS_getpid); }

static void
rump_pread_n(long n)
{
	for (long i = 0; i < n; i++)
		if (rump_sys_pread64(rfd, buf, sizeof(buf), 0) != sizeof(buf))
			die("rump pread");
}

static void
host_pread_n(long n)
{
	for (long i = 0; i < n; i++)
		if (pread(hfd, buf, sizeof(buf), 0) != sizeof(buf))
			die("host pread");
}

int
main(int argc, char **argv)
{
	char path[64];
	int remote;

	if (argc != 2 || (strcmp(argv[1], "getpid") != 0 &&
	    strcmp(argv[1], "pread4k") != 0)) {
		fprintf(argc == 2 && (strcmp(argv[1], "-h") == 0 ||
		    strcmp(argv[1], "--help") == 0) ? stdout : stderr,
		    "usage: bench_sysproxy_local|bench_sysproxy_remote getpid|pread4k\n"
		    "(remote: the server is RUMP_SERVER)\n");
		return argc == 2 && argv[1][0] == '-' && argv[1][1] != 'x' ? 0 : 2;
	}
	remote = getenv("RUMP_SERVER") != NULL;
	if (rump_init() != 0)
		die("rump_init (remote: is RUMP_SERVER serving?)");
	if (strcmp(argv[1], "getpid") == 0) {
		report("getpid", timeit(rump_getpid_n, remote ? 2000 :
		    200000));
		printf("RESULT host-getpid %.1f ns\n", timeit(host_getpid_n,
		    200000));
		return 0;
	}
	memset(buf, 'b', sizeof(buf));
	snprintf(path, sizeof(path), "/bench-pread-%d", (int)getpid());
	if ((rfd = rump_sys_open(path, O_CREAT | O_RDWR, 0600)) < 0 ||
	    rump_sys_write(rfd, buf, sizeof(buf)) != sizeof(buf))
		die("rump file");
	snprintf(path, sizeof(path), "/dev/shm/strata-bench-%d", (int)getpid());
	if ((hfd = open(path, O_CREAT | O_RDWR, 0600)) < 0 ||
	    write(hfd, buf, sizeof(buf)) != sizeof(buf))
		die("host file");
	unlink(path);
	report("pread4k", timeit(rump_pread_n, remote ? 1000 : 100000));
	printf("RESULT host-pread4k %.1f ns\n", timeit(host_pread_n, 100000));
	return 0;
}
