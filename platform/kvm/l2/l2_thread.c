/*
 * l2_thread.c: the program's threads (l2.h).
 *
 * A program thread is a thread of platform/common's scheduler running
 * l2_thread_run(): enter the program, serve its system call, enter
 * again.  Its kernel lwp belongs to its process's kernel process, so
 * descriptors, cwd and credentials are shared as Linux threads share
 * them.  clone() with the flags pthreads use makes a thread here; without
 * CLONE_THREAD it makes a process (l2_proc.c).
 *
 * Address spaces: each process has its own page map (l2_vm.c).  The
 * scheduler's switch hook loads the page map of the process whose thread
 * is about to run (and makes its space l2_vm_cur), so that a thread
 * blocked in the kernel finds its own memory when it wakes and copies
 * out; the platform's other threads (the kernel's, stdio's) run in
 * whatever page map is loaded: they touch only kernel memory.
 *
 * Futexes: waiters are records on their own kernel stacks, in one list
 * keyed by address space and address (a program has few threads).
 * Everything runs on one CPU and nothing preempts a thread between
 * reading the futex word and blocking, so FUTEX_WAIT's compare-and-block
 * is atomic without a lock.
 */
#include "l2.h"

#include <rump/rumpuser.h>
#include <rump/rump.h>

#include <rump/rumpuser_fcopy.h>

#include "rumpuser_common.h"
#include "scheduler.h"

/* clone flags (Linux). */
#define CLONE_VM		0x00000100
#define CLONE_FS		0x00000200
#define CLONE_FILES		0x00000400
#define CLONE_SIGHAND		0x00000800
#define CLONE_PIDFD		0x00001000
#define CLONE_VFORK		0x00004000
#define CLONE_THREAD		0x00010000
#define CLONE_SYSVSEM		0x00040000
#define CLONE_SETTLS		0x00080000
#define CLONE_PARENT_SETTID	0x00100000
#define CLONE_CHILD_CLEARTID	0x00200000
#define CLONE_DETACHED		0x00400000
#define CLONE_CHILD_SETTID	0x01000000
#define CLONE_THREAD_FLAGS	(CLONE_VM | CLONE_FS | CLONE_FILES | \
				 CLONE_SIGHAND | CLONE_THREAD)
#define CLONE_ALLOWED		(CLONE_THREAD_FLAGS | CLONE_SYSVSEM | \
				 CLONE_SETTLS | CLONE_PARENT_SETTID | \
				 CLONE_CHILD_CLEARTID | CLONE_DETACHED | \
				 CLONE_CHILD_SETTID)

/* futex operations (Linux). */
#define FUTEX_WAIT		0
#define FUTEX_WAKE		1
#define FUTEX_REQUEUE		3
#define FUTEX_CMP_REQUEUE	4
#define FUTEX_WAKE_OP		5
#define FUTEX_WAIT_BITSET	9
#define FUTEX_WAKE_BITSET	10
#define FUTEX_PRIVATE_FLAG	128
#define FUTEX_CLOCK_REALTIME	256
#define FUTEX_BITSET_ANY	0xffffffffu

#define MSR_FS_BASE		0xc0000100
#define USER_CANONICAL_END	0x0000800000000000ull

/* Thread ids after the first thread's (its process's pid) come from
 * above the kernel's pids (PID_MAX 32767), so that the two never meet. */
#define FIRST_TID	32768
static int last_tid = FIRST_TID - 1;
static uint64_t loaded_pml4;		/* kernel address; 0: the kernel's */
static uint64_t *kernel_pml4;

struct timespec64 {
	int64_t tv_sec;
	int64_t tv_nsec;
};

static void
wrmsr(uint32_t msr, uint64_t v)
{

	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v),
	    "d"((uint32_t)(v >> 32)));
}

static struct l2_thread *
thread_alloc(void)
{
	void *p;

	if (rumpuser_malloc(sizeof(struct l2_thread), 64, &p) != 0)
		return NULL;
	memset(p, 0, sizeof(struct l2_thread));
	return p;
}

void
l2_space_load(struct l2_vm *vm)
{

	l2_vm_cur = vm;
	if ((uint64_t)vm->pml4 != loaded_pml4) {
		__asm__ volatile("mov %0, %%cr3" : : "r"(
		    l2_plat_virt_to_phys(vm->pml4)) : "memory");
		loaded_pml4 = (uint64_t)vm->pml4;
	}
}

void
l2_space_load_kernel(void)
{

	if (loaded_pml4 != (uint64_t)kernel_pml4) {
		__asm__ volatile("mov %0, %%cr3" : : "r"(
		    l2_plat_virt_to_phys(kernel_pml4)) : "memory");
		loaded_pml4 = (uint64_t)kernel_pml4;
	}
}

/* The scheduler's switch hook: a program thread runs in its space. */
static void
switch_hook(struct thread *next)
{
	struct l2_thread *t = next->t_backend;

	if (t != NULL && t->proc->vm != NULL)
		l2_space_load(t->proc->vm);
}

struct l2_thread *
l2_curthread(void)
{

	return rumpuser__curthread->t_backend;
}

void
l2_thread_run(struct l2_thread *t)
{
	static uint64_t loaded_fs = ~0ull;

	for (;;) {
		if (t->proc->exiting || t->doomed)
			l2_thread_end(t);
		l2_space_load(t->proc->vm);
		l2_signal_deliver(t);
		__asm__ volatile("fxrstor64 %0" : : "m"(*t->fpu));
		if (t->fsbase != loaded_fs) {
			wrmsr(MSR_FS_BASE, t->fsbase);
			loaded_fs = t->fsbase;
		}
		l2_user_run(&t->regs);
		__asm__ volatile("fxsave64 %0" : "=m"(*t->fpu));
		if (t->fault_sig != 0)
			l2_proc_exit(t, t->fault_sig);
		l2_syscall(t);
	}
}

struct l2_thread *
l2_thread_main(struct l2_proc *p, uint64_t entry, uint64_t sp)
{
	struct l2_thread *t = thread_alloc();

	if (t == NULL)
		return NULL;
	if (kernel_pml4 == NULL) {
		kernel_pml4 = l2_plat_pml4();
		loaded_pml4 = (uint64_t)kernel_pml4;
		rumpuser__sched_switch_hook = switch_hook;
	}
	t->regs.rip = entry;
	t->regs.rsp = sp;
	t->regs.rflags = 0x2;		/* IF clear: see l2.h */
	/* The x87 and SSE state of a fresh process: FNINIT's, MXCSR
	 * 0x1f80 (all exceptions masked, round to nearest). */
	l2_fpu_init(t->fpu);
	t->tid = p->pid;
	t->lwp = rump_lwproc_curlwp();
	t->sched = rumpuser__curthread;
	t->sched->t_backend = t;
	t->proc = p;
	t->pnext = p->threads;
	p->threads = t;
	p->nthreads++;
	return t;
}

/* --- clone ---------------------------------------------------------------- */

static void *
thread_start(void *arg)
{
	struct l2_thread *t = arg;

	t->sched = rumpuser__curthread;
	rumpuser__curthread->t_backend = t;
	rump_lwproc_switch(t->lwp);
	l2_thread_run(t);
}

struct l2_thread *
l2_thread_spawn(struct l2_proc *p, const struct l2_thread *parent,
    struct lwp *lwp, int tid)
{
	struct l2_thread *c;
	struct thread *st;

	if ((c = thread_alloc()) == NULL)
		return NULL;
	c->regs = parent->regs;
	c->regs.rax = 0;
	memcpy(c->fpu, parent->fpu, sizeof(c->fpu));
	c->fsbase = parent->fsbase;
	c->sigmask = parent->sigmask;
	c->tid = tid;
	c->lwp = lwp;
	c->proc = p;
	if (rumpuser__sched_create(thread_start, c, "program", false, &st)
	    != 0) {
		rumpuser_free(c, sizeof(*c));
		return NULL;
	}
	/* Not run yet (one CPU): the switch hook finds it on its first
	 * turn. */
	st->t_backend = c;
	c->sched = st;
	c->pnext = p->threads;
	p->threads = c;
	p->nthreads++;
	return c;
}

long
l2_sys_clone(struct l2_thread *t, uint64_t flags, uint64_t newsp,
    uint64_t ptid, uint64_t ctid, uint64_t tls)
{
	struct l2_thread *c;
	int tid;
	struct lwp *self, *lwp;
	int error;

	if (!(flags & CLONE_THREAD))
		return l2_sys_fork(t, flags, newsp, ptid, ctid, tls);
	if ((flags & CLONE_THREAD_FLAGS) != CLONE_THREAD_FLAGS)
		return -L2_EINVAL;	/* Linux: a thread shares all these */
	if ((flags & ~(uint64_t)(CLONE_ALLOWED | 0xff)) != 0 ||
	    (flags & 0xff) != 0)
		return -L2_EINVAL;
	if ((flags & CLONE_SETTLS) && tls >= USER_CANONICAL_END)
		return -L2_EPERM;

	/* The tids go out first, so that a fault changes nothing. */
	tid = last_tid + 1;
	if (tid > 0x3fffffff)	/* FUTEX_TID_MASK */
		tid = FIRST_TID;
	if (((flags & CLONE_PARENT_SETTID) &&
	    l2_copyout(&tid, ptid, sizeof(tid)) != 0) ||
	    ((flags & CLONE_CHILD_SETTID) &&
	    l2_copyout(&tid, ctid, sizeof(tid)) != 0))
		return -L2_EFAULT;
	/* The child's lwp, in the process's kernel process, made here so
	 * that failing is the parent's error. */
	self = rump_lwproc_curlwp();
	if ((error = rump_lwproc_newlwp(t->proc->pid)) != 0) {
		rump_lwproc_switch(self);
		return -error;
	}
	lwp = rump_lwproc_curlwp();
	rump_lwproc_switch(self);
	if ((c = l2_thread_spawn(t->proc, t, lwp, tid)) == NULL) {
		rump_lwproc_switch(lwp);
		rump_lwproc_releaselwp();
		rump_lwproc_switch(self);
		return -L2_EAGAIN;
	}
	last_tid = tid;
	if (newsp != 0)
		c->regs.rsp = newsp;
	if (flags & CLONE_SETTLS)
		c->fsbase = tls;
	if (flags & CLONE_CHILD_CLEARTID)
		c->clear_child_tid = ctid;
	return c->tid;
}

/* --- futex ---------------------------------------------------------------- */

struct waiter {
	struct waiter	*next;
	struct l2_vm	*vm;
	uint64_t	 uaddr;
	uint32_t	 bitset;
	struct thread	*thread;
	bool		 woken;
};
static struct waiter *waiters;

/* Wakes up to n waiters of uaddr whose bitset meets bitset. */
static int
futex_wake(uint64_t uaddr, int n, uint32_t bitset)
{
	struct waiter **wp, *w;
	int woken = 0;

	for (wp = &waiters; (w = *wp) != NULL && woken < n;) {
		if (w->uaddr == uaddr && w->vm == l2_vm_cur &&
		    (w->bitset & bitset) != 0) {
			*wp = w->next;
			w->woken = true;
			rumpuser__sched_wake(w->thread);
			woken++;
		} else {
			wp = &w->next;
		}
	}
	return woken;
}

/* Moves up to n waiters of uaddr to uaddr2. */
static int
futex_requeue(uint64_t uaddr, uint64_t uaddr2, int n)
{
	struct waiter *w;
	int moved = 0;

	for (w = waiters; w != NULL && moved < n; w = w->next)
		if (w->uaddr == uaddr && w->vm == l2_vm_cur) {
			w->uaddr = uaddr2;
			moved++;
		}
	return moved;
}

static long
futex_wait(struct l2_thread *t, uint64_t uaddr, uint32_t val,
    uint64_t deadline, uint32_t bitset)
{
	struct waiter w, **wp;
	uint32_t cur;
	long r;

	if (l2_copyin(uaddr, &cur, sizeof(cur)) != 0)
		return -L2_EFAULT;
	if (cur != val)
		return -L2_EAGAIN;
	w.uaddr = uaddr;
	w.vm = l2_vm_cur;
	w.bitset = bitset;
	w.thread = rumpuser__curthread;
	w.woken = false;
	/* At the tail: wakeups in the order of waiting. */
	for (wp = &waiters; *wp != NULL; wp = &(*wp)->next)
		;
	w.next = NULL;
	*wp = &w;
	while (!w.woken) {
		if (l2_signal_pending(t) || t->proc->exiting || t->doomed) {
			r = -L2_ERESTARTSYS;
			goto off;
		}
		t->intr = true;
		r = rumpuser__sched_block(NULL, WAIT_CV, (const void *)uaddr,
		    deadline);
		t->intr = false;
		if (r != 0 && !w.woken) {
			r = -L2_ETIMEDOUT;
			goto off;
		}
	}
	return 0;
off:
	for (wp = &waiters; *wp != &w; wp = &(*wp)->next)
		;
	*wp = w.next;
	return r;
}

/* FUTEX_WAKE_OP's operation on *uaddr2; returns the comparison. */
static int
futex_op(uint64_t uaddr2, uint32_t encoded)
{
	int op = (encoded >> 28) & 7, cmp = (encoded >> 24) & 15;
	int32_t oparg = (int32_t)(encoded << 8) >> 20;
	int32_t cmparg = (int32_t)(encoded << 20) >> 20;
	int32_t old, new;

	if (l2_copyin(uaddr2, &old, sizeof(old)) != 0)
		return -L2_EFAULT;
	if ((encoded >> 28) & 8)	/* FUTEX_OP_OPARG_SHIFT */
		oparg = (int32_t)(1u << (oparg & 31));
	switch (op) {
	case 0: new = oparg; break;		/* SET */
	case 1: new = old + oparg; break;	/* ADD */
	case 2: new = old | oparg; break;	/* OR */
	case 3: new = old & ~oparg; break;	/* ANDN */
	case 4: new = old ^ oparg; break;	/* XOR */
	default: return -L2_ENOSYS;
	}
	if (l2_copyout(&new, uaddr2, sizeof(new)) != 0)
		return -L2_EFAULT;
	switch (cmp) {
	case 0: return old == cmparg;
	case 1: return old != cmparg;
	case 2: return old < cmparg;
	case 3: return old <= cmparg;
	case 4: return old > cmparg;
	case 5: return old >= cmparg;
	}
	return -L2_ENOSYS;
}

long
l2_sys_futex(struct l2_thread *t, uint64_t uaddr, int op, uint32_t val,
    uint64_t timeout, uint64_t uaddr2, uint32_t val3)
{
	int cmd = op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
	uint64_t deadline = RUMPUSER__FOREVER;
	int n;

	if ((uaddr & 3) != 0)
		return -L2_EINVAL;
	if ((op & FUTEX_CLOCK_REALTIME) && cmd != FUTEX_WAIT_BITSET &&
	    cmd != FUTEX_WAIT)
		return -L2_ENOSYS;
	if ((cmd == FUTEX_WAIT || cmd == FUTEX_WAIT_BITSET) && timeout != 0) {
		struct timespec64 ts;
		int64_t ns;

		if (l2_copyin(timeout, &ts, sizeof(ts)) != 0)
			return -L2_EFAULT;
		if (ts.tv_sec < 0 || ts.tv_nsec < 0 ||
		    ts.tv_nsec >= 1000000000)
			return -L2_EINVAL;
		ns = rumpuser__timespec_ns(ts.tv_sec, ts.tv_nsec);
		if (cmd == FUTEX_WAIT) {
			/* Relative, on the monotonic clock. */
			deadline = rumpuser__sched_deadline(ns);
		} else if (op & FUTEX_CLOCK_REALTIME) {
			deadline = rumpuser__sched_deadline(ns -
			    rumpuser__sched_wall());
		} else {
			deadline = (uint64_t)ns;
		}
	}
	switch (cmd) {
	case FUTEX_WAIT:
		return futex_wait(t, uaddr, val, deadline, FUTEX_BITSET_ANY);
	case FUTEX_WAIT_BITSET:
		if (val3 == 0)
			return -L2_EINVAL;
		return futex_wait(t, uaddr, val, deadline, val3);
	case FUTEX_WAKE:
		return futex_wake(uaddr, (int)val, FUTEX_BITSET_ANY);
	case FUTEX_WAKE_BITSET:
		if (val3 == 0)
			return -L2_EINVAL;
		return futex_wake(uaddr, (int)val, val3);
	case FUTEX_CMP_REQUEUE: {
		uint32_t cur;

		if (l2_copyin(uaddr, &cur, sizeof(cur)) != 0)
			return -L2_EFAULT;
		if (cur != val3)
			return -L2_EAGAIN;
	}
		/* FALLTHROUGH */
	case FUTEX_REQUEUE:
		/* The count to requeue travels in the timeout argument. */
		n = futex_wake(uaddr, (int)val, FUTEX_BITSET_ANY);
		return n + (cmd == FUTEX_CMP_REQUEUE ?
		    futex_requeue(uaddr, uaddr2, (int)timeout) :
		    (futex_requeue(uaddr, uaddr2, (int)timeout), 0));
	case FUTEX_WAKE_OP:
		if ((uaddr2 & 3) != 0)
			return -L2_EINVAL;
	{
		int cond = futex_op(uaddr2, val3);

		if (cond < 0)
			return cond;
		n = futex_wake(uaddr, (int)val, FUTEX_BITSET_ANY);
		if (cond)
			n += futex_wake(uaddr2, (int)timeout, FUTEX_BITSET_ANY);
		return n;
	}
	default:
		/* Priority-inheritance futexes need an owner protocol this
		 * platform does not keep. */
		return -L2_ENOSYS;
	}
}

/* --- exit ----------------------------------------------------------------- */

/* The robust futex list (set_robust_list): a dying thread marks the
 * futexes it holds FUTEX_OWNER_DIED and wakes one waiter of each. */
static void
robust_release(struct l2_thread *t)
{
	struct {
		uint64_t next;		/* struct robust_list * */
		int64_t futex_offset;
		uint64_t pending;
	} h;
	uint64_t e;
	uint32_t f;
	int limit = 2048;	/* Linux's ROBUST_LIST_LIMIT */

	/* Faults end the walk, as on Linux. */
	if (t->robust_list == 0 ||
	    l2_copyin(t->robust_list, &h, sizeof(h)) != 0)
		return;
	for (e = h.next; e != t->robust_list && e != 0 && limit-- > 0;) {
		uint64_t fa = e + (uint64_t)h.futex_offset;

		if (l2_copyin(fa, &f, sizeof(f)) != 0)
			return;
		if ((f & 0x3fffffff) == (uint32_t)t->tid) {
			f = (f & 0x80000000) | 0x40000000;	/* OWNER_DIED */
			if (l2_copyout(&f, fa, sizeof(f)) != 0)
				return;
			futex_wake(fa, 1, FUTEX_BITSET_ANY);
		}
		if (l2_copyin(e, &e, sizeof(e)) != 0)
			return;
	}
}

/* Threads of p waiting on a futex are woken (their process is ending:
 * they end on their way back to the program). */
void
l2_futex_wake_proc(struct l2_proc *p)
{

	l2_futex_wake_threads(p, NULL);
}

void
l2_futex_wake_threads(struct l2_proc *p, struct l2_thread *but)
{
	struct waiter **wp, *w;

	for (wp = &waiters; (w = *wp) != NULL;) {
		struct l2_thread *u = w->thread->t_backend;

		if (u != NULL && u->proc == p && u != but) {
			*wp = w->next;
			w->woken = true;
			rumpuser__sched_wake(w->thread);
		} else {
			wp = &w->next;
		}
	}
}

void
l2_sys_exit(struct l2_thread *t, int status)
{
	struct l2_thread *u;

	/* The last thread (others only ending after an execve do not
	 * count): the process ends. */
	for (u = t->proc->threads; u != NULL; u = u->pnext)
		if (u != t && !u->doomed)
			break;
	if (u == NULL)
		l2_proc_exit(t, (status & 0xff) << 8);
	robust_release(t);
	if (t->clear_child_tid != 0) {
		int zero = 0;

		if (l2_copyout(&zero, t->clear_child_tid, sizeof(zero)) == 0)
			futex_wake(t->clear_child_tid, 1, FUTEX_BITSET_ANY);
	}
	l2_thread_end(t);
}

void
l2_thread_end(struct l2_thread *t)
{
	struct l2_proc *p = t->proc;
	struct l2_thread **tp;

	for (tp = &p->threads; *tp != t; tp = &(*tp)->pnext)
		;
	*tp = t->pnext;
	p->nthreads--;
	rumpuser__curthread->t_backend = NULL;
	rump_lwproc_switch(t->lwp);
	rump_lwproc_releaselwp();
	rumpuser_free(t, sizeof(*t));
	/* The last thread of an ended process takes its memory along. */
	if (p->nthreads == 0)
		l2_proc_release(p);
	rumpuser__sched_exit();
}

bool l2_exiting;

void
l2_exit_group(int status)
{

	/* Everything written reaches the disks and the console before the
	 * machine goes off. */
	l2_exiting = true;
	l2_ksys(162 /* sync */, 0, 0, 0, 0, 0, 0);
	l2_mounts_fini();
	l2_stdio_flush();
	rumpuser_exit(status & 0xff);
}

/* --- Copies for the kernel (rumpuser_fcopy.h) ------------------------------ */

/*
 * The kernel copies to and from the caller's memory through these.  For
 * the program's system calls the caller's memory is the program's:
 * checked against its page tables, so that a bad pointer is EFAULT as on
 * Linux (an address outside the program's part of the address space
 * included) rather than a fault in the kernel.  Calls made by the
 * platform's own threads (stdio, the kernel's threads) or as another lwp
 * (the exit path's, stdio's) pass kernel memory: copied as it is.
 */
static struct l2_thread *
program_call(void)
{
	struct l2_thread *t;

	if (l2_exiting || (t = rumpuser__curthread->t_backend) == NULL)
		return NULL;
	return t->in_call && rump_lwproc_curlwp() == t->lwp ? t : NULL;
}

int
rumpuser_fcopyin(const void *uaddr, void *kaddr, size_t len)
{

	if (program_call() == NULL) {
		memcpy(kaddr, uaddr, len);
		return 0;
	}
	return l2_copyin((uint64_t)uaddr, kaddr, len);
}

int
rumpuser_fcopyout(const void *kaddr, void *uaddr, size_t len)
{

	if (program_call() == NULL) {
		memcpy(uaddr, kaddr, len);
		return 0;
	}
	return l2_copyout(kaddr, (uint64_t)uaddr, len);
}

int
rumpuser_fcopyinstr(const void *uaddr, char *kaddr, size_t len,
    size_t *done)
{
	bool check = program_call() != NULL;
	uint64_t u = (uint64_t)uaddr;
	size_t i;

	for (i = 0; i < len; i++) {
		/* One check per page of the string. */
		if (check && (i == 0 || ((u + i) & (L2_PAGE_SIZE - 1)) == 0) &&
		    l2_copyin(u + i, &kaddr[i], 1) != 0) {
			if (done != NULL)
				*done = i;
			return L2_EFAULT;
		}
		kaddr[i] = ((const char *)uaddr)[i];
		if (kaddr[i] == '\0') {
			if (done != NULL)
				*done = i + 1;
			return 0;
		}
	}
	if (done != NULL)
		*done = len;
	return 63;	/* ENAMETOOLONG, NetBSD's number */
}
