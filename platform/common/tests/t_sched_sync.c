/*
 * t_sched_sync.c: rumpuser mutexes, rwlocks and condition variables under
 * contention, on any platform: exact counters with many threads (and a
 * thread blocking while it holds the lock), readers/writers exclusion,
 * broadcast wakes every waiter, signal wakes the one it should (a token
 * passed round a ring of threads, each on its own cv: a lost wakeup
 * hangs the ring), and a two-thread ping-pong.
 *
 * Portable: nothing but rumpuser calls and the stub kernel of
 * h_hyperup.h.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <atf-c.h>

#include <rump/rumpuser.h>

#include "h_hyperup.h"

#define MS	1000000LL	/* nanoseconds */

static void **
spawn_n(int n, void *(*fn)(void *), const char *name)
{
	void **cookie = calloc((size_t)n, sizeof(*cookie));

	ATF_REQUIRE(cookie != NULL);
	for (int i = 0; i < n; i++)
		ATF_REQUIRE_EQ_MSG(0, stub_thread_create(fn, (void *)(intptr_t)i,
		    i, name, 1, &cookie[i]), "creating %s %d", name, i);
	return cookie;
}

static void
join_n(int n, void **cookie)
{

	for (int i = 0; i < n; i++)
		ATF_REQUIRE_EQ_MSG(0, rumpuser_thread_join(cookie[i]),
		    "joining thread %d", i);
	free(cookie);
}

/*
 * Mutex contention: NMTX threads x MTX_LOOPS increments of one counter,
 * read and written non-atomically inside the lock; every 50th time the
 * holder sleeps inside the critical section, so that the others block
 * in mutex_enter (and must give their CPU up for the holder to get it
 * back).  The counter must be exact and nobody may be inside twice.
 */
#define NMTX		64
#define MTX_LOOPS	500

static struct rumpuser_mtx *c_mtx;
static int c_mtx_flags;
static volatile long c_counter;
static int c_inside;

static void *
mtx_fn(void *arg)
{
	int id = (int)(intptr_t)arg;
	struct lwp *owner, *me = rumpuser_curlwp();
	long v;

	for (int i = 0; i < MTX_LOOPS; i++) {
		rumpuser_mutex_enter(c_mtx);
		if (__atomic_add_fetch(&c_inside, 1, __ATOMIC_SEQ_CST) != 1)
			STUB_FAIL("thread %d: %d threads inside the mutex", id,
			    c_inside);
		if (c_mtx_flags & RUMPUSER_MTX_KMUTEX) {
			rumpuser_mutex_owner(c_mtx, &owner);
			STUB_CHECK(owner == me, "thread %d: owner %p, not "
			    "itself %p", id, (void *)owner, (void *)me);
		}
		v = c_counter;
		if ((i + id) % 50 == 0)
			stub_sleep_ns(100000);	/* 0.1 ms, holding it */
		c_counter = v + 1;
		__atomic_sub_fetch(&c_inside, 1, __ATOMIC_SEQ_CST);
		rumpuser_mutex_exit(c_mtx);
		if (i % 10 == 0)
			stub_sleep_ns(0);
	}
	return NULL;
}

static void
mutex_contention(int ncpu, int flags)
{
	struct lwp *owner;
	int64_t t0;

	ATF_REQUIRE_EQ(0, stub_init(ncpu));
	c_mtx_flags = flags;
	rumpuser_mutex_init(&c_mtx, flags);
	t0 = stub_mono_ns();
	join_n(NMTX, spawn_n(NMTX, mtx_fn, "mtx"));
	printf("%d threads x %d (ncpu %d, flags %#x): %.3f s\n", NMTX,
	    MTX_LOOPS, ncpu, flags, (stub_mono_ns() - t0) / 1e9);
	STUB_REQUIRE_NO_FAILURE();
	ATF_CHECK_EQ_MSG((long)NMTX * MTX_LOOPS, c_counter,
	    "counter %ld, want %ld", c_counter, (long)NMTX * MTX_LOOPS);
	if (flags & RUMPUSER_MTX_KMUTEX) {
		rumpuser_mutex_owner(c_mtx, &owner);
		ATF_CHECK(owner == NULL);
	}
	ATF_CHECK_EQ(0, rumpuser_mutex_tryenter(c_mtx));
	rumpuser_mutex_exit(c_mtx);
	rumpuser_mutex_destroy(c_mtx);
	ATF_CHECK_EQ(0, STUB_GET(stub_violations));
}

ATF_TC(mutex_contention_ncpu1);
ATF_TC_HEAD(mutex_contention_ncpu1, tc)
{
	atf_tc_set_md_var(tc, "descr", "64 threads x 500 increments under a "
	    "KMUTEX on one virtual CPU, holders sometimes sleeping: exact "
	    "count, owner tracked, exclusion");
	atf_tc_set_md_var(tc, "timeout", "120");
}
ATF_TC_BODY(mutex_contention_ncpu1, tc)
{
	mutex_contention(1, RUMPUSER_MTX_KMUTEX);
}

ATF_TC(mutex_contention_ncpu4);
ATF_TC_HEAD(mutex_contention_ncpu4, tc)
{
	atf_tc_set_md_var(tc, "descr", "the same with a plain (flags 0) "
	    "mutex on four virtual CPUs");
	atf_tc_set_md_var(tc, "timeout", "120");
}
ATF_TC_BODY(mutex_contention_ncpu4, tc)
{
	mutex_contention(4, 0);
}

/*
 * Readers and writers: writers change two values one after the other,
 * sleeping in between; a reader must never see them differ, nor a writer
 * inside with it.
 */
#define NREADERS	16
#define NWRITERS	4
#define RW_LOOPS	200

static struct rumpuser_rw *c_rw;
static volatile long rw_a, rw_b;
static int rw_writers_in, rw_readers_in, rw_readers_max;

static void *
rw_fn(void *arg)
{
	int id = (int)(intptr_t)arg, held, n;
	bool writer = id < NWRITERS;

	for (int i = 0; i < RW_LOOPS; i++) {
		if (writer) {
			rumpuser_rw_enter(RUMPUSER_RW_WRITER, c_rw);
			rumpuser_rw_held(RUMPUSER_RW_WRITER, c_rw, &held);
			STUB_CHECK(held, "writer %d: rw_held says no", id);
			n = __atomic_add_fetch(&rw_writers_in, 1,
			    __ATOMIC_SEQ_CST);
			STUB_CHECK(n == 1 && STUB_GET(rw_readers_in) == 0,
			    "writer %d: %d writers and %d readers inside", id,
			    n, STUB_GET(rw_readers_in));
			rw_a++;
			if (i % 4 == 0)
				stub_sleep_ns(50000);
			rw_b++;
			__atomic_sub_fetch(&rw_writers_in, 1, __ATOMIC_SEQ_CST);
			rumpuser_rw_exit(c_rw);
		} else {
			rumpuser_rw_enter(RUMPUSER_RW_READER, c_rw);
			rumpuser_rw_held(RUMPUSER_RW_READER, c_rw, &held);
			STUB_CHECK(held, "reader %d: rw_held says no", id);
			n = __atomic_add_fetch(&rw_readers_in, 1,
			    __ATOMIC_SEQ_CST);
			if (n > STUB_GET(rw_readers_max))
				STUB_SET(rw_readers_max, n);
			STUB_CHECK(STUB_GET(rw_writers_in) == 0, "reader %d: "
			    "a writer is inside", id);
			STUB_CHECK(rw_a == rw_b, "reader %d: sees a=%ld b=%ld",
			    id, rw_a, rw_b);
			if (i % 8 == 0)
				stub_sleep_ns(20000);
			STUB_CHECK(rw_a == rw_b, "reader %d: sees a=%ld b=%ld "
			    "after sleeping", id, rw_a, rw_b);
			__atomic_sub_fetch(&rw_readers_in, 1, __ATOMIC_SEQ_CST);
			rumpuser_rw_exit(c_rw);
		}
		if (i % 16 == 0)
			stub_sleep_ns(0);
	}
	return NULL;
}

ATF_TC(rwlock_contention);
ATF_TC_HEAD(rwlock_contention, tc)
{
	atf_tc_set_md_var(tc, "descr", "16 readers and 4 writers, sleeping "
	    "while holding: writers exclusive, readers see consistent data, "
	    "exact final values");
	atf_tc_set_md_var(tc, "timeout", "120");
}
ATF_TC_BODY(rwlock_contention, tc)
{

	ATF_REQUIRE_EQ(0, stub_init(2));
	rumpuser_rw_init(&c_rw);
	join_n(NREADERS + NWRITERS, spawn_n(NREADERS + NWRITERS, rw_fn,
	    "rw"));
	printf("most readers inside at once: %d\n", rw_readers_max);
	STUB_REQUIRE_NO_FAILURE();
	ATF_CHECK_EQ((long)NWRITERS * RW_LOOPS, rw_a);
	ATF_CHECK_EQ((long)NWRITERS * RW_LOOPS, rw_b);
	ATF_CHECK_EQ(0, rumpuser_rw_tryenter(RUMPUSER_RW_WRITER, c_rw));
	rumpuser_rw_exit(c_rw);
	rumpuser_rw_destroy(c_rw);
	ATF_CHECK_EQ(0, STUB_GET(stub_violations));
}

/*
 * Broadcast: NBCAST threads wait for a generation to change; each round
 * the main thread waits until all wait, broadcasts, and every one of
 * them must wake up (bounded).
 */
#define NBCAST		100
#define BCAST_ROUNDS	10

static struct rumpuser_mtx *b_mtx;
static struct rumpuser_cv *b_cv, *b_done_cv;
static int b_gen, b_waiting, b_woken;

static void *
bcast_fn(void *arg)
{
	int gen = 0;

	(void)arg;
	rumpuser_mutex_enter(b_mtx);
	for (int r = 0; r < BCAST_ROUNDS; r++) {
		b_waiting++;
		rumpuser_cv_broadcast(b_done_cv);
		while (b_gen == gen)
			rumpuser_cv_wait(b_cv, b_mtx);
		gen = b_gen;
		b_woken++;
		rumpuser_cv_broadcast(b_done_cv);
	}
	rumpuser_mutex_exit(b_mtx);
	return NULL;
}

ATF_TC(cv_broadcast_all);
ATF_TC_HEAD(cv_broadcast_all, tc)
{
	atf_tc_set_md_var(tc, "descr", "10 rounds: 100 waiters, one "
	    "broadcast, every waiter wakes");
	atf_tc_set_md_var(tc, "timeout", "60");
}
ATF_TC_BODY(cv_broadcast_all, tc)
{
	void **cookie;
	int has;

	ATF_REQUIRE_EQ(0, stub_init(1));
	rumpuser_mutex_init(&b_mtx, RUMPUSER_MTX_KMUTEX);
	rumpuser_cv_init(&b_cv);
	rumpuser_cv_init(&b_done_cv);
	cookie = spawn_n(NBCAST, bcast_fn, "bcast");
	rumpuser_mutex_enter(b_mtx);
	for (int r = 0; r < BCAST_ROUNDS; r++) {
		int64_t deadline = stub_mono_ns() + 10000 * MS;

		while (b_waiting < NBCAST * (r + 1) &&
		    stub_mono_ns() < deadline)
			rumpuser_cv_timedwait(b_done_cv, b_mtx, 0, 100 * MS);
		ATF_REQUIRE_EQ_MSG(NBCAST * (r + 1), b_waiting,
		    "round %d: %d of %d threads waiting after 10 s", r,
		    b_waiting - NBCAST * r, NBCAST);
		/* Waiting means: released the mutex inside cv_wait. */
		rumpuser_cv_has_waiters(b_cv, &has);
		ATF_CHECK_MSG(has, "round %d: has_waiters is 0", r);
		b_gen++;
		rumpuser_cv_broadcast(b_cv);
		deadline = stub_mono_ns() + 10000 * MS;
		while (b_woken < NBCAST * (r + 1) && stub_mono_ns() < deadline)
			rumpuser_cv_timedwait(b_done_cv, b_mtx, 0, 100 * MS);
		ATF_REQUIRE_EQ_MSG(NBCAST * (r + 1), b_woken,
		    "round %d: %d of %d threads woke up within 10 s of the "
		    "broadcast", r, b_woken - NBCAST * r, NBCAST);
	}
	rumpuser_mutex_exit(b_mtx);
	join_n(NBCAST, cookie);
	rumpuser_cv_has_waiters(b_cv, &has);
	ATF_CHECK_EQ(0, has);
	ATF_CHECK_EQ(0, STUB_GET(stub_violations));
}

/*
 * A token passed round a ring of NRING threads, RING_ROUNDS times; each
 * thread waits on its own cv and the holder signals the next one's.  A
 * lost or misdirected wakeup stops the ring (the timeout fails it).
 * Every thread gets exactly RING_ROUNDS turns, in ring order.
 */
#define NRING		16
#define RING_ROUNDS	300

static struct rumpuser_mtx *r_mtx;
static struct rumpuser_cv *r_cv[NRING];
static int r_token, r_turns[NRING], r_seq[NRING * RING_ROUNDS], r_nseq;

static void *
ring_fn(void *arg)
{
	int id = (int)(intptr_t)arg;

	rumpuser_mutex_enter(r_mtx);
	for (int r = 0; r < RING_ROUNDS; r++) {
		while (r_token != id)
			rumpuser_cv_wait(r_cv[id], r_mtx);
		r_turns[id]++;
		r_seq[r_nseq++] = id;
		r_token = (id + 1) % NRING;
		rumpuser_cv_signal(r_cv[r_token]);
	}
	rumpuser_mutex_exit(r_mtx);
	return NULL;
}

static void
ring(int ncpu)
{
	ATF_REQUIRE_EQ(0, stub_init(ncpu));
	rumpuser_mutex_init(&r_mtx, 0);
	for (int i = 0; i < NRING; i++)
		rumpuser_cv_init(&r_cv[i]);
	join_n(NRING, spawn_n(NRING, ring_fn, "ring"));
	ATF_REQUIRE_EQ(NRING * RING_ROUNDS, r_nseq);
	for (int i = 0; i < NRING; i++)
		ATF_CHECK_EQ_MSG(RING_ROUNDS, r_turns[i], "thread %d had %d "
		    "turns", i, r_turns[i]);
	for (int k = 0; k < r_nseq; k++)
		if (r_seq[k] != k % NRING) {
			ATF_CHECK_MSG(false, "turn %d went to thread %d, not "
			    "%d", k, r_seq[k], k % NRING);
			break;
		}
	ATF_CHECK_EQ(0, STUB_GET(stub_violations));
}

ATF_TC(cv_signal_ring_ncpu1);
ATF_TC_HEAD(cv_signal_ring_ncpu1, tc)
{
	atf_tc_set_md_var(tc, "descr", "a token round a ring of 16 threads "
	    "300 times, one cv each, cv_signal to pass it; one CPU");
	atf_tc_set_md_var(tc, "timeout", "60");
}
ATF_TC_BODY(cv_signal_ring_ncpu1, tc)
{
	ring(1);
}

ATF_TC(cv_signal_ring_ncpu4);
ATF_TC_HEAD(cv_signal_ring_ncpu4, tc)
{
	atf_tc_set_md_var(tc, "descr", "the token ring on four CPUs");
	atf_tc_set_md_var(tc, "timeout", "60");
}
ATF_TC_BODY(cv_signal_ring_ncpu4, tc)
{
	ring(4);
}

/*
 * Ping-pong: two threads alternate PINGS times through one mutex and two
 * cvs; each side counts exactly.
 */
#define PINGS	20000

static struct rumpuser_cv *p_cv[2];
static int p_turn, p_count[2];

static void *
pong_fn(void *arg)
{
	int me = (int)(intptr_t)arg;

	rumpuser_mutex_enter(r_mtx);
	for (int i = 0; i < PINGS; i++) {
		while (p_turn != me)
			rumpuser_cv_wait(p_cv[me], r_mtx);
		p_count[me]++;
		p_turn = !me;
		rumpuser_cv_signal(p_cv[!me]);
	}
	rumpuser_mutex_exit(r_mtx);
	return NULL;
}

ATF_TC(cv_ping_pong);
ATF_TC_HEAD(cv_ping_pong, tc)
{
	atf_tc_set_md_var(tc, "descr", "two threads alternate 20000 times "
	    "on two cvs: exact counts, bounded time");
	atf_tc_set_md_var(tc, "timeout", "60");
}
ATF_TC_BODY(cv_ping_pong, tc)
{
	int64_t t0, t;

	ATF_REQUIRE_EQ(0, stub_init(2));
	rumpuser_mutex_init(&r_mtx, RUMPUSER_MTX_KMUTEX);
	rumpuser_cv_init(&p_cv[0]);
	rumpuser_cv_init(&p_cv[1]);
	t0 = stub_mono_ns();
	join_n(2, spawn_n(2, pong_fn, "pong"));
	t = stub_mono_ns() - t0;
	printf("%d round trips: %.3f s, %.0f ns each\n", PINGS, t / 1e9,
	    (double)t / PINGS);
	ATF_CHECK_EQ(PINGS, p_count[0]);
	ATF_CHECK_EQ(PINGS, p_count[1]);
	ATF_CHECK_EQ(0, STUB_GET(stub_violations));
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, mutex_contention_ncpu1);
	ATF_TP_ADD_TC(tp, mutex_contention_ncpu4);
	ATF_TP_ADD_TC(tp, rwlock_contention);
	ATF_TP_ADD_TC(tp, cv_broadcast_all);
	ATF_TP_ADD_TC(tp, cv_signal_ring_ncpu1);
	ATF_TP_ADD_TC(tp, cv_signal_ring_ncpu4);
	ATF_TP_ADD_TC(tp, cv_ping_pong);
	return atf_no_error();
}
