/*
 * bench_pipe: ping-pong through rump kernel pipes between two rump
 * threads, on the full kernel: thread A writes one byte into pipe 1 and
 * reads it back from pipe 2; thread B reads pipe 1 and writes pipe 2.
 * Each round trip is four system calls, two of which block, so it
 * measures kernel entry plus the platform's switch and wakeup.
 *
 *   bench_pipe rump    the two threads are the platform's
 *                      (rumpuser_thread_create), each in a rump process
 *                      of its own (rump_lwproc_rfork)
 *   bench_pipe peer    the named peer: the same on host pipes between two
 *                      host threads (run from the posix build only)
 *
 * Prints "RESULT pipe-pingpong <ns> ns" and a human line.  About half a
 * second of measuring.
 */
#include <sys/types.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rump/rump.h>
#include <rump/rump_syscalls.h>
#include <rump/rumpuser.h>

#define RUN_NS	500000000LL

struct side {
	ssize_t	(*rd)(int, void *, size_t);
	ssize_t	(*wr)(int, const void *, size_t);
	int	 in, out;	/* descriptors */
	int	 first;		/* writes before reading */
	long	 rounds;
	int	 rump;		/* rfork a process of its own first */
};

static int64_t t_start;

static int64_t
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void __attribute__((__noreturn__))
die(const char *what)
{
	fprintf(stderr, "bench_pipe: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void *
side_fn(void *arg)
{
	struct side *s = arg;
	char c = 'x';

	if (s->rump && rump_lwproc_rfork(RUMP_RFFDG) != 0)
		die("rump_lwproc_rfork");
	for (;;) {
		if (s->first) {
			/* The initiator decides when to stop; the stop byte
			 * ends the other side too. */
			c = (s->rounds % 1024 == 0 && now() - t_start >= RUN_NS)
			    ? 'q' : 'x';
			if (s->wr(s->out, &c, 1) != 1)
				die("write");
			if (s->rd(s->in, &c, 1) != 1)
				die("read");
			s->rounds++;
			if (c == 'q')
				break;
		} else {
			if (s->rd(s->in, &c, 1) != 1)
				die("read");
			if (s->wr(s->out, &c, 1) != 1)
				die("write");
			s->rounds++;
			if (c == 'q')
				break;
		}
	}
	if (s->rump)
		rump_lwproc_releaselwp();
	return NULL;
}

static ssize_t host_read(int fd, void *b, size_t n) { return read(fd, b, n); }
static ssize_t host_write(int fd, const void *b, size_t n)
{
	return write(fd, b, n);
}

int
main(int argc, char **argv)
{
	struct side a, b;
	int p1[2], p2[2], rump;
	int64_t t;

	if (argc == 2 && (strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0)) {
		printf("usage: bench_pipe rump|peer\n"
		    "Ping-pong through two pipes between two threads: rump "
		    "kernel pipes between\nrump threads, or (peer) host pipes "
		    "between host threads.\n");
		return 0;
	}
	if (argc != 2 || (strcmp(argv[1], "rump") != 0 &&
	    strcmp(argv[1], "peer") != 0)) {
		fprintf(stderr, "usage: bench_pipe rump|peer\n");
		return 2;
	}
	rump = strcmp(argv[1], "rump") == 0;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	if (rump) {
		if (rump_init() != 0)
			die("rump_init");
		/* Made by proc1; each side's rfork copies the table. */
		if (rump_sys_pipe2(p1, 0) == -1 || rump_sys_pipe2(p2, 0) == -1)
			die("rump_sys_pipe2");
		a.rd = b.rd = rump_sys_read;
		a.wr = b.wr = rump_sys_write;
		a.rump = b.rump = 1;
	} else {
		if (pipe(p1) == -1 || pipe(p2) == -1)
			die("pipe");
		a.rd = b.rd = host_read;
		a.wr = b.wr = host_write;
	}
	a.out = p1[1];
	a.in = p2[0];
	a.first = 1;
	b.in = p1[0];
	b.out = p2[1];

	t_start = now();
	if (rump) {
		void *ca, *cb;

		if (rumpuser_thread_create(side_fn, &b, "pong", 1, -1, -1,
		    &cb) != 0 ||
		    rumpuser_thread_create(side_fn, &a, "ping", 1, -1, -1,
		    &ca) != 0)
			die("rumpuser_thread_create");
		rumpuser_thread_join(ca);
		rumpuser_thread_join(cb);
	} else {
		pthread_t ta, tb;

		pthread_create(&tb, NULL, side_fn, &b);
		pthread_create(&ta, NULL, side_fn, &a);
		pthread_join(ta, NULL);
		pthread_join(tb, NULL);
	}
	t = now() - t_start;
	if (a.rounds != b.rounds) {
		fprintf(stderr, "bench_pipe: %ld rounds on one side, %ld on "
		    "the other\n", a.rounds, b.rounds);
		return 1;
	}
	printf("%-24s %12.1f %-4s  %s\n", "pipe-pingpong",
	    (double)t / (double)a.rounds, "ns", rump ?
	    "round trip through two rump pipes, two rump threads" :
	    "host: round trip through two host pipes, two pthreads");
	printf("RESULT pipe-pingpong %.1f ns\n", (double)t / (double)a.rounds);
	return 0;
}
