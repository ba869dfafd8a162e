/*
 * scheduler.c: virtual CPUs.  A host thread runs kernel code only while
 * it holds one of the ncpu virtual CPUs; with all of them taken it waits.
 *
 * Taking a free CPU is one compare-and-swap; only a thread that finds
 * them all busy takes the scheduler mutex and sleeps on its condition
 * variable, and a releasing thread takes the mutex only when someone
 * sleeps there.  Both use the _nowrap hypercalls: the scheduler itself
 * must never be re-entered to give up a CPU.
 */
#include <kern/types.h>
#include <kern/libkern.h>
#include <kern/proc.h>
#include <kern/hyp.h>
#include <rump/rump.h>

#include "kern_private.h"

/* Contention statistics (kern/lock.h): taking a virtual CPU, and how
 * often all were busy. */
static LOCKSTAT_CLASS(vcpu_lockstat, "virtual CPU");

/* Implicit lwps kept per CPU for reuse; more are freed. */
#define IMPLICIT_CACHE	8

/* The public cpu_info plus scheduler state, each on its own cache line
 * so that CPUs taken by different host threads do not share one. */
struct vcpu {
	struct cpu_info	 vc_ci;
	int		 vc_busy;	/* atomic: 1 while held */
	unsigned	 vc_gen;	/* atomic: releases so far (qsbr.c) */
	struct lwp	*vc_free;	/* implicit lwps to reuse */
	int		 vc_nfree;
} __attribute__((__aligned__(64)));

static struct vcpu vcpus[MAXCPUS];
static int ncpu;

static struct rumpuser_mtx *sched_mtx;
static struct rumpuser_cv *sched_cv;
static int sched_waiters;	/* atomic: threads sleeping for a CPU */

/* The CPU (index + 1; 0: none yet) that unbound threads whose stacks
 * hash to a slot last ran on (rump_schedule). */
#define UNBOUND_SLOTS	256
static int unbound_cpu[UNBOUND_SLOTS];

int
sched_init(int n)
{

	for (int i = 0; i < n; i++)
		vcpus[i].vc_ci.ci_index = i;
	rumpuser_mutex_init(&sched_mtx, RUMPUSER_MTX_SPIN);
	rumpuser_cv_init(&sched_cv);
	__atomic_store_n(&ncpu, n, __ATOMIC_RELEASE);
	return 0;
}

int
ncpu_get(void)
{

	return ncpu;
}

struct lwp *
curlwp_get(void)
{

	return rumpuser_curlwp();
}

static inline struct vcpu *
vcpu_of(struct cpu_info *ci)
{

	return container_of(ci, struct vcpu, vc_ci);
}

/* Tries to take vc.  The first read is done with memory order
 * loadorder: relaxed on the fast path, seq_cst where the caller pairs it
 * with cpu_release() (cpu_acquire's wait). */
static inline bool
cpu_trytake(struct vcpu *vc, int loadorder)
{
	int expect = 0;

	/* Read first: a CAS on a busy CPU's line only adds traffic. */
	/* Sequentially consistent: a taker after a qsbr snapshot that saw
	 * the CPU free must see what was unlinked before it. */
	return __atomic_load_n(&vc->vc_busy, loadorder) == 0 &&
	    __atomic_compare_exchange_n(&vc->vc_busy, &expect, 1, false,
	    __ATOMIC_SEQ_CST, __ATOMIC_RELAXED);
}

static struct vcpu *
cpu_scan(int hint, int loadorder)
{
	int idx = hint;

	for (int i = 0; i < ncpu; i++) {
		if (cpu_trytake(&vcpus[idx], loadorder))
			return &vcpus[idx];
		if (++idx == ncpu)
			idx = 0;
	}
	return NULL;
}

/* Takes a CPU, preferring index hint (where the lwp ran last and its
 * data may still be warm). */
static struct vcpu *
cpu_acquire(int hint)
{
	struct vcpu *vc;

	if (__predict_false(ncpu == 0))
		panic("rump kernel entered before rump_init()");
	if (hint < 0 || hint >= ncpu)
		hint = 0;
	if ((vc = cpu_scan(hint, __ATOMIC_RELAXED)) != NULL) {
		lockstat_acquired(&vcpu_lockstat);
		return vc;
	}

	lockstat_count(&vcpu_lockstat, true);
	rumpuser_mutex_enter_nowrap(sched_mtx);
	__atomic_add_fetch(&sched_waiters, 1, __ATOMIC_SEQ_CST);
	/* Against cpu_release()'s seq_cst exchange and load, our seq_cst
	 * increment and seq_cst reads (no fence: ThreadSanitizer does not
	 * model fences, and on x86 a seq_cst load is a plain load): either
	 * we see the CPU it freed, or it sees us waiting and signals under
	 * the mutex, which we hold until cv_wait releases it. */
	while ((vc = cpu_scan(hint, __ATOMIC_SEQ_CST)) == NULL)
		rumpuser_cv_wait_nowrap(sched_cv, sched_mtx);
	__atomic_sub_fetch(&sched_waiters, 1, __ATOMIC_RELAXED);
	rumpuser_mutex_exit(sched_mtx);
	return vc;
}

static void
cpu_release(struct vcpu *vc)
{

	/* After everything the holder read: a retired object's waiting
	 * ends with this count changed (qsbr.c). */
	__atomic_store_n(&vc->vc_gen, vc->vc_gen + 1, __ATOMIC_RELEASE);
	/* An exchange rather than a store and a fence: on x86 one locked
	 * instruction instead of a store plus mfence, on every release. */
	(void)__atomic_exchange_n(&vc->vc_busy, 0, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&sched_waiters, __ATOMIC_SEQ_CST) > 0) {
		rumpuser_mutex_enter_nowrap(sched_mtx);
		rumpuser_cv_signal(sched_cv);
		rumpuser_mutex_exit(sched_mtx);
	}
}

/* Puts l on vc (which the caller just took). */
static inline void
cpu_attach(struct vcpu *vc, struct lwp *l)
{

	vc->vc_ci.ci_curlwp = l;
	l->l_cpu = &vc->vc_ci;
	l->l_cpuhint = vc->vc_ci.ci_index;
}

static inline void
cpu_detach(struct vcpu *vc, struct lwp *l)
{

	vc->vc_ci.ci_curlwp = NULL;
	l->l_cpu = NULL;
}

/*
 * Implicit lwps: the temporary lwps of proc1 that unbound host threads
 * run as.  The cache is per CPU and touched only by the CPU's holder, so
 * it needs no lock.  They are not counted in proc1's p_nlwps: they come
 * and go with every kernel entry and proc1 never exits anyway.
 */
static struct lwp *
implicit_get(struct vcpu *vc)
{
	struct lwp *l;
	void *mem;

	if ((l = vc->vc_free) != NULL) {
		vc->vc_free = l->l_next;
		vc->vc_nfree--;
		l->l_next = NULL;
		return l;
	}
	/* Outside the kmem limit: a kernel at its limit must still be
	 * enterable, if only to free memory. */
	if (rumpuser_malloc(sizeof(*l), 0, &mem) != 0)
		panic("out of host memory for an implicit lwp");
	l = mem;
	memset(l, 0, sizeof(*l));
	l->l_lid = lwp_newlid();
	l->l_proc = &proc1;
	l->l_flags = LW_IMPLICIT;
	rumpuser_curlwpop(RUMPUSER_LWP_CREATE, l);
	return l;
}

static void
implicit_put(struct vcpu *vc, struct lwp *l)
{

	if (vc->vc_nfree < IMPLICIT_CACHE) {
		l->l_next = vc->vc_free;
		vc->vc_free = l;
		vc->vc_nfree++;
		return;
	}
	rumpuser_curlwpop(RUMPUSER_LWP_DESTROY, l);
	rumpuser_free(l, sizeof(*l));
}

/*
 * rump_schedule(): a bound lwp takes a CPU; an unbound thread takes a CPU
 * and an implicit lwp.  Nested calls (a kernel entry point called from
 * kernel code) only count, so that the outermost rump_unschedule() is the
 * one that gives the CPU back.
 */
void
rump_schedule(void)
{
	struct lwp *l;
	struct vcpu *vc;
	uint64_t sp;
	unsigned slot;
	int hint;

	l = rumpuser_curlwp();
	if (l != NULL) {
		if (l->l_cpu != NULL) {
			l->l_schednest++;
			return;
		}
		vc = cpu_acquire(l->l_cpuhint);
		cpu_attach(vc, l);
		l->l_schednest = 1;
		return;
	}

	/* An unbound thread has nothing to remember its CPU in, but its
	 * stack is its own: the CPU it last ran on is kept in a slot found
	 * by hashing the stack address (no shared counter).  Hashing alone
	 * gave two threads the same preferred CPU half the time: then they
	 * took turns on both CPUs, and every per-CPU cache (implicit lwps,
	 * path buffers, pcounter slots) passed between the host's cores at
	 * every call (bench_scale, tmpfs, two threads: CPU time per file
	 * doubled).  The slot is written only when the CPU changes. */
	sp = ((uint64_t)(uintptr_t)&sp >> 16) * 0x9e3779b97f4a7c15ULL;
	slot = (unsigned)(sp >> 32) % UNBOUND_SLOTS;
	hint = __atomic_load_n(&unbound_cpu[slot], __ATOMIC_RELAXED);
	if (hint == 0 || hint > ncpu)
		hint = ncpu > 0 ? (int)((sp >> 40) % (unsigned)ncpu) + 1 : 1;
	vc = cpu_acquire(hint - 1);
	if (vc->vc_ci.ci_index != hint - 1)
		__atomic_store_n(&unbound_cpu[slot], vc->vc_ci.ci_index + 1,
		    __ATOMIC_RELAXED);
	l = implicit_get(vc);
	cpu_attach(vc, l);
	l->l_schednest = 1;
	rumpuser_curlwpop(RUMPUSER_LWP_SET, l);
}

void
rump_unschedule(void)
{
	struct lwp *l;
	struct vcpu *vc;

	l = rumpuser_curlwp();
	if (__predict_false(l == NULL || l->l_cpu == NULL))
		panic("rump_unschedule: thread not scheduled");
	if (--l->l_schednest > 0)
		return;
	vc = vcpu_of(l->l_cpu);
	qsbr_cpu_releasing(vc->vc_ci.ci_index);
	cpu_detach(vc, l);
	/* An implicit lwp whose thread still sleeps in a hypercall further
	 * out (l_blocked) is still in use. */
	if ((l->l_flags & LW_IMPLICIT) && l->l_blocked == 0) {
		rumpuser_curlwpop(RUMPUSER_LWP_CLEAR, l);
		implicit_put(vc, l);
	}
	cpu_release(vc);
}

bool
sched_cpu_state(int index, unsigned *genp)
{
	struct vcpu *vc = &vcpus[index];

	/* The count first: seen free, the CPU was released or not yet
	 * taken again after the caller's fence. */
	*genp = __atomic_load_n(&vc->vc_gen, __ATOMIC_ACQUIRE);
	return __atomic_load_n(&vc->vc_busy, __ATOMIC_SEQ_CST) != 0;
}

void
sched_switch(struct lwp *l)
{
	struct lwp *old;
	struct vcpu *vc;

	old = rumpuser_curlwp();
	KASSERT(old != NULL && old->l_cpu != NULL);
	if (l == old)
		return;
	KASSERT(l->l_cpu == NULL);
	vc = vcpu_of(old->l_cpu);
	l->l_schednest = old->l_schednest;
	old->l_schednest = 0;
	cpu_detach(vc, old);
	cpu_attach(vc, l);
	rumpuser_curlwpop(RUMPUSER_LWP_CLEAR, old);
	rumpuser_curlwpop(RUMPUSER_LWP_SET, l);
	if (old->l_flags & LW_IMPLICIT)
		implicit_put(vc, old);
}

void
sched_switch_implicit(void)
{
	struct lwp *old;

	old = rumpuser_curlwp();
	KASSERT(old != NULL && old->l_cpu != NULL);
	if (old->l_flags & LW_IMPLICIT)
		return;
	sched_switch(implicit_get(vcpu_of(old->l_cpu)));
}

/*
 * Around a blocking hypercall: the CPU goes, the lwp stays bound.  The
 * nesting depth travels through *countp (the platform hands it back) so
 * that a thread which re-enters the kernel while "blocked" (a completion
 * callback run in place, say) starts a fresh outermost section.  -1 marks
 * a thread that was not scheduled at all: nothing to take back.
 */
void
sched_backend_unschedule(int nlocks, int *countp, void *interlock)
{
	struct lwp *l;
	struct vcpu *vc;

	(void)nlocks;		/* no big kernel lock to release */
	(void)interlock;
	l = rumpuser_curlwp();
	if (l == NULL || l->l_cpu == NULL) {
		*countp = -1;
		return;
	}
	*countp = l->l_schednest;
	l->l_schednest = 0;
	l->l_blocked++;
	vc = vcpu_of(l->l_cpu);
	cpu_detach(vc, l);
	cpu_release(vc);
}

void
sched_backend_schedule(int nlocks, void *interlock)
{
	struct lwp *l;

	(void)interlock;
	if (nlocks < 0)
		return;
	l = rumpuser_curlwp();
	KASSERT(l != NULL && l->l_cpu == NULL);
	cpu_attach(cpu_acquire(l->l_cpuhint), l);
	l->l_schednest = nlocks;
	l->l_blocked--;
}
