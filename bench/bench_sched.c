/*
 * bench_sched: the cost of the platform's threads and synchronisation, at
 * the rumpuser level (no kernel: the upcalls are empty, so only the
 * platform is measured).  Built once per platform; bench/run.sh puts the
 * platforms side by side.
 *
 *   bench_sched create     thread create + join, ns per thread
 *   bench_sched pingpong   two threads alternating through one mutex and
 *                          two condition variables, ns per round trip
 *                          (two thread switches and two wakeups)
 *   bench_sched yield      two threads alternating with zero-length
 *                          sleeps, ns per sleep (a pure switch on a
 *                          cooperative platform; a system call on posix)
 *   bench_sched mutex      uncontended mutex enter + exit, ns
 *   bench_sched peer-create|peer-pingpong|peer-mutex
 *                          the host's own pthreads doing the same: the
 *                          named peer (run from the posix build only; it
 *                          never touches rumpuser)
 *
 * Each prints one line "RESULT <name> <value> <unit>" (and a human line).
 * Runs are bounded in time (about half a second each).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#include <rump/rumpuser.h>

#define RUN_NS	500000000LL	/* each measurement runs about this long */

static void nop(void) {}
static void nop_unsched(int dummy, int *nlocks, void *interlock)
{
	(void)dummy;
	(void)interlock;
	*nlocks = 0;
}
static void nop_sched(int nlocks, void *interlock)
{
	(void)nlocks;
	(void)interlock;
}

static const struct rumpuser_hyperup hyp = {
	.hyp_schedule = nop,
	.hyp_unschedule = nop,
	.hyp_backend_unschedule = nop_unsched,
	.hyp_backend_schedule = nop_sched,
};

/* Host monotonic time: what a benchmark reports is real time even where
 * the platform's clock is virtual. */
static int64_t
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void __attribute__((__noreturn__))
die(const char *what, int error)
{
	fprintf(stderr, "bench_sched: %s: %d\n", what, error);
	exit(1);
}

static void
result(const char *name, double value, const char *unit, const char *what)
{
	printf("%-24s %12.1f %-4s  %s\n", name, value, unit, what);
	printf("RESULT %s %.1f %s\n", name, value, unit);
}

/*
 * The platform
 */

static void *
empty(void *arg)
{
	return arg;
}

static void
bench_create(void)
{
	int64_t t0 = now(), n = 0;
	void *cookie;
	int error;

	do {
		for (int i = 0; i < 100; i++, n++) {
			error = rumpuser_thread_create(empty, NULL, "empty", 1,
			    -1, -1, &cookie);
			if (error != 0)
				die("rumpuser_thread_create", error);
			if ((error = rumpuser_thread_join(cookie)) != 0)
				die("rumpuser_thread_join", error);
		}
	} while (now() - t0 < RUN_NS);
	result("create+join", (double)(now() - t0) / (double)n, "ns",
	    "rumpuser_thread_create + _join of an empty thread");
}

static struct rumpuser_mtx *mtx;
static struct rumpuser_cv *cv[2];
static int turn;
static volatile int stop;
static long rounds[2];

static void *
pinger(void *arg)
{
	int me = (int)(intptr_t)arg;

	rumpuser_mutex_enter(mtx);
	for (;;) {
		while (turn != me && !stop)
			rumpuser_cv_wait(cv[me], mtx);
		if (stop)
			break;
		rounds[me]++;
		turn = !me;
		rumpuser_cv_signal(cv[!me]);
	}
	turn = !me;
	rumpuser_cv_signal(cv[!me]);
	rumpuser_mutex_exit(mtx);
	return NULL;
}

static void
bench_pingpong(void)
{
	void *c[2];
	int64_t t0, t;
	int error;

	rumpuser_mutex_init(&mtx, RUMPUSER_MTX_KMUTEX);
	rumpuser_cv_init(&cv[0]);
	rumpuser_cv_init(&cv[1]);
	t0 = now();
	for (int i = 0; i < 2; i++)
		if ((error = rumpuser_thread_create(pinger, (void *)(intptr_t)i,
		    "ping", 1, -1, -1, &c[i])) != 0)
			die("rumpuser_thread_create", error);
	rumpuser_clock_sleep(RUMPUSER_CLOCK_RELWALL, 0, RUN_NS);
	rumpuser_mutex_enter(mtx);
	stop = 1;
	rumpuser_cv_broadcast(cv[0]);
	rumpuser_cv_broadcast(cv[1]);
	rumpuser_mutex_exit(mtx);
	rumpuser_thread_join(c[0]);
	rumpuser_thread_join(c[1]);
	t = now() - t0;
	result("cv-pingpong", (double)t / (double)rounds[1], "ns",
	    "round trip: mutex + cv_signal/cv_wait between two threads");
}

static long yields[2];

static void *
yielder(void *arg)
{
	int me = (int)(intptr_t)arg;

	while (!stop) {
		rumpuser_clock_sleep(RUMPUSER_CLOCK_RELWALL, 0, 0);
		yields[me]++;
	}
	return NULL;
}

static void
bench_yield(void)
{
	void *c[2];
	int64_t t0, t;
	int error;

	/* The main thread waits in a join, not a sleep: on a cooperative
	 * platform a timed sleep would have to be polled by the yielders. */
	t0 = now();
	for (int i = 0; i < 2; i++)
		if ((error = rumpuser_thread_create(yielder, (void *)(intptr_t)i,
		    "yield", 1, -1, -1, &c[i])) != 0)
			die("rumpuser_thread_create", error);
	while (now() - t0 < RUN_NS)
		rumpuser_clock_sleep(RUMPUSER_CLOCK_RELWALL, 0, 0);
	stop = 1;
	rumpuser_thread_join(c[0]);
	rumpuser_thread_join(c[1]);
	t = now() - t0;
	result("sleep0-yield", (double)t / (double)(yields[0] + yields[1]),
	    "ns", "clock_sleep(RELWALL, 0, 0) with two threads taking turns");
}

static void
bench_mutex(void)
{
	int64_t t0 = now(), n = 0;

	rumpuser_mutex_init(&mtx, RUMPUSER_MTX_KMUTEX);
	do {
		for (int i = 0; i < 10000; i++, n++) {
			rumpuser_mutex_enter(mtx);
			rumpuser_mutex_exit(mtx);
		}
	} while (now() - t0 < RUN_NS / 5);
	result("mutex", (double)(now() - t0) / (double)n, "ns",
	    "uncontended rumpuser_mutex_enter + _exit");
}

/*
 * The host peer: pthreads
 */

static pthread_mutex_t pmtx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pcv[2] = { PTHREAD_COND_INITIALIZER,
    PTHREAD_COND_INITIALIZER };

static void
peer_create(void)
{
	int64_t t0 = now(), n = 0;
	pthread_t t;

	do {
		for (int i = 0; i < 100; i++, n++) {
			if (pthread_create(&t, NULL, empty, NULL) != 0)
				die("pthread_create", 0);
			pthread_join(t, NULL);
		}
	} while (now() - t0 < RUN_NS);
	result("create+join", (double)(now() - t0) / (double)n, "ns",
	    "host: pthread_create + pthread_join");
}

static void *
ppinger(void *arg)
{
	int me = (int)(intptr_t)arg;

	pthread_mutex_lock(&pmtx);
	for (;;) {
		while (turn != me && !stop)
			pthread_cond_wait(&pcv[me], &pmtx);
		if (stop)
			break;
		rounds[me]++;
		turn = !me;
		pthread_cond_signal(&pcv[!me]);
	}
	turn = !me;
	pthread_cond_signal(&pcv[!me]);
	pthread_mutex_unlock(&pmtx);
	return NULL;
}

static void
peer_pingpong(void)
{
	struct timespec ts = { RUN_NS / 1000000000LL, RUN_NS % 1000000000LL };
	pthread_t t[2];
	int64_t t0 = now();

	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, ppinger, (void *)(intptr_t)i);
	nanosleep(&ts, NULL);
	pthread_mutex_lock(&pmtx);
	stop = 1;
	pthread_cond_broadcast(&pcv[0]);
	pthread_cond_broadcast(&pcv[1]);
	pthread_mutex_unlock(&pmtx);
	pthread_join(t[0], NULL);
	pthread_join(t[1], NULL);
	result("cv-pingpong", (double)(now() - t0) / (double)rounds[1], "ns",
	    "host: pthread mutex + cond ping-pong round trip");
}

static void
peer_mutex(void)
{
	int64_t t0 = now(), n = 0;

	do {
		for (int i = 0; i < 10000; i++, n++) {
			pthread_mutex_lock(&pmtx);
			pthread_mutex_unlock(&pmtx);
		}
	} while (now() - t0 < RUN_NS / 5);
	result("mutex", (double)(now() - t0) / (double)n, "ns",
	    "host: uncontended pthread_mutex_lock + unlock");
}

int
main(int argc, char **argv)
{
	static const struct {
		const char *name;
		void (*fn)(void);
		int platform;
	} benches[] = {
		{ "create", bench_create, 1 },
		{ "pingpong", bench_pingpong, 1 },
		{ "yield", bench_yield, 1 },
		{ "mutex", bench_mutex, 1 },
		{ "peer-create", peer_create, 0 },
		{ "peer-pingpong", peer_pingpong, 0 },
		{ "peer-mutex", peer_mutex, 0 },
	};

	if (argc != 2 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0) {
		fprintf(argc == 2 ? stdout : stderr,
		    "usage: bench_sched create|pingpong|yield|mutex|"
		    "peer-create|peer-pingpong|peer-mutex\n"
		    "Measures the platform's threads and locks (the peer-* "
		    "modes: host pthreads);\nprints \"RESULT <key> <value> "
		    "<unit>\".  make bench runs them all.\n");
		return argc == 2 ? 0 : 2;
	}
	for (size_t i = 0; i < sizeof(benches) / sizeof(benches[0]); i++)
		if (strcmp(argv[1], benches[i].name) == 0) {
			if (benches[i].platform &&
			    rumpuser_init(RUMPUSER_VERSION, &hyp) != 0)
				die("rumpuser_init", -1);
			benches[i].fn();
			return 0;
		}
	fprintf(stderr, "bench_sched: unknown benchmark '%s'\n", argv[1]);
	return 2;
}
