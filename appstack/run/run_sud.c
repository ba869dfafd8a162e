/*
 * run_sud.c: the SIGSYS entry of Syscall User Dispatch.
 *
 * The program and strata-run share one process but not one C library:
 * the program's libc keeps its thread pointer in the FS base, and so does
 * strata-run's.  A SIGSYS is delivered with the program's FS loaded, so
 * the handler first loads strata-run's own (kept in the per-thread block
 * that the GS base points to) before it calls anything that may touch
 * thread-local storage (errno, the platform's per-thread state), and puts
 * the program's back last.  Until then the code here uses no thread-local
 * storage and no stack protector (the canary lives at %fs:0x28): this
 * file is compiled with -fno-stack-protector, and the system calls it
 * makes itself are raw instructions.
 *
 * Which system calls trap: Syscall User Dispatch lets through every call
 * made from strata-run's own image (one address range: strata-run is a
 * static PIE, its C library and the kernel inside), and every call made
 * while the thread's selector byte says ALLOW (set while strata-run's code
 * runs, for its calls into the vDSO).  Everything else, the program's
 * calls, raises SIGSYS.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <asm/prctl.h>
#include <errno.h>
#include <linux/audit.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <ucontext.h>

#include <rump/rumpuser_fcopy.h>

#include "run.h"

#ifndef PR_SET_SYSCALL_USER_DISPATCH
#define PR_SET_SYSCALL_USER_DISPATCH	59
#define PR_SYS_DISPATCH_OFF		0
#define PR_SYS_DISPATCH_ON		1
#endif
#define SEL_ALLOW	0
#define SEL_BLOCK	1

/* strata-run's image, from the ELF header to the end of its data. */
extern const char __ehdr_start[];
extern char _end[];

static struct run_thread main_thread;
pid_t run_pid;
int run_fsgsbase;
#ifndef HWCAP2_FSGSBASE
#define HWCAP2_FSGSBASE	(1 << 1)
#endif

/* The fault handlers that were there before strata-run's (the
 * platform's fault-catching copies), and what the program asked for
 * (kept here, never installed: they would replace ours). */
static struct sigaction prev_segv, prev_bus;
static struct run_ksigaction guest_segv, guest_bus;

int
run_sud_fault_action(int sig, const struct run_ksigaction *act,
    struct run_ksigaction *old)
{
	struct run_ksigaction *g = sig == SIGBUS ? &guest_bus : &guest_segv;

	if (old != NULL)
		*old = *g;
	if (act != NULL)
		*g = *act;
	return 0;
}

long
run_host_syscall(long nr, long a0, long a1, long a2, long a3, long a4,
    long a5)
{

	return raw6(nr, a0, a1, a2, a3, a4, a5);
}

static inline void set_fs(unsigned long fs);

static inline struct run_thread *
gs_self(void)
{
	struct run_thread *t;

	__asm__ volatile("mov %%gs:0, %0" : "=r"(t));
	return t;
}

struct run_thread *
run_self(void)
{

	return gs_self();
}

static inline void
set_fs(unsigned long fs)
{

	run_set_fs(fs);
}

static void
sigsys_handler(int sig, siginfo_t *si, void *ucv)
{
	struct run_thread *t = gs_self();
	ucontext_t *uc = ucv;
	greg_t *g = uc->uc_mcontext.gregs;
	long nr, args[6], ret;
	unsigned long rw_site = 0;
	int guest = t->in_guest;

	(void)sig;
	/* From here on a signal is deferred (run_signal.c) until the
	 * frame's return, but while a host call is made in the program's
	 * state (in_guest). */
	t->in_guest = 0;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	/* A signal deferred as the previous call returned has been
	 * delivered since: only those still pending (deferred as this one
	 * began) are this call's. */
	if (t->deferred != 0) {
		unsigned long d, pend;

		do {
			d = t->deferred;
			pend = 0;
			raw6(SYS_rt_sigpending, (long)&pend, 8, 0, 0, 0, 0);
		} while (!__atomic_compare_exchange_n(&t->deferred, &d,
		    d & pend, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
	}
	t->selector = SEL_ALLOW;
	nr = si->si_syscall;
	/* --rewrite: the trampoline's own trapped call stands for the
	 * program's site, whose return address is on the stack: the frame
	 * is made the site's.  A call from any other site is one to
	 * rewrite (run_rw_site, with our thread pointer). */
	if (run_rw_active) {
		if (run_rw_trap_return((unsigned long)g[REG_RIP])) {
			g[REG_RIP] = *(greg_t *)g[REG_RSP];
			g[REG_RSP] += 8;
		} else
			rw_site = (unsigned long)g[REG_RIP] - 2;
	}
	/* A thread of the program that unmaps the stack this handler runs
	 * on (musl's detached threads, right before their exit) would
	 * fault on the way back: it has ended, so end it, and unmap after. */
	if (nr == SYS_munmap && t->host_sp != 0) {
		unsigned long here = (unsigned long)&nr;
		unsigned long a = (unsigned long)g[REG_RDI];
		unsigned long n = (unsigned long)g[REG_RSI];

		if (here >= a && here - a < n) {
			set_fs(t->host_fs);
			t->unmap_addr = a;
			t->unmap_len = n;
			run_sud_thread_exit(t);
		}
	}
	/* Calls the host serves as they are need none of strata-run's
	 * thread-local state: made without switching thread pointers (two
	 * system calls fewer) unless they are to be traced. */
	if (!run_opt.trace && rw_site == 0 && nr >= 0 &&
	    nr < (long)sizeof(run_passthrough) && run_passthrough[nr]) {
		/* Made in the program's state: a signal that comes during
		 * it (a futex wait) runs the program's handler there. */
		t->selector = SEL_BLOCK;
		t->in_guest = 1;
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
		/* getpid and gettid: answered from what strata-run knows,
		 * without asking the host (a host call costs as much as the
		 * signal here). */
		if (t->deferred == 0 && nr == SYS_getpid)
			g[REG_RAX] = run_pid;
		else if (t->deferred == 0 && nr == SYS_gettid)
			g[REG_RAX] = t->tid;
		else if (t->deferred == 0)
			g[REG_RAX] = raw6(nr, g[REG_RDI], g[REG_RSI],
			    g[REG_RDX], g[REG_R10], g[REG_R8], g[REG_R9]);
		else {
			/* One came before: its handler first, as if it had
			 * come before the call, which is then made. */
			g[REG_RIP] -= 2;
			g[REG_RAX] = nr;
		}
		t->in_guest = guest;
		t->deferred = 0;
		return;
	}
	args[0] = g[REG_RDI];
	args[1] = g[REG_RSI];
	args[2] = g[REG_RDX];
	args[3] = g[REG_R10];
	args[4] = g[REG_R8];
	args[5] = g[REG_R9];
	/* I/O on a host descriptor: served on the program's thread pointer
	 * (no switch), in strata-run's state otherwise (signals deferred as
	 * for any call served here). */
	if (!run_opt.trace && rw_site == 0 && run_sys_fast(nr, args, &ret)) {
		g[REG_RAX] = ret;
		t->selector = SEL_BLOCK;
		t->in_guest = guest;
		t->deferred = 0;
		return;
	}
	/* (Until the program's C library loads its own thread pointer the
	 * program runs on strata-run's: nothing to switch.) */
	if (t->guest_fs != t->host_fs)
		set_fs(t->host_fs);
	if (rw_site != 0 && si->si_arch == AUDIT_ARCH_X86_64)
		run_rw_site(rw_site);
	if (nr == SYS_rt_sigreturn) {
		/* The program returns from one of its own signal handlers:
		 * do the return it asked for, from the program's frame,
		 * dropping this SIGSYS frame (its mask is the frame's). */
		t->selector = SEL_BLOCK;
		t->in_guest = guest;
		run_sud_sigreturn((unsigned long)g[REG_RSP], t->guest_fs);
	}
	ret = run_sys_dispatch(nr, args, uc);
	g[REG_RAX] = ret;
	/* The call may have set the program's (ARCH_SET_FS). */
	if (t->guest_fs != t->host_fs)
		set_fs(t->guest_fs);
	t->selector = SEL_BLOCK;
	/* Deferred signals are delivered as this frame returns (its mask
	 * is the program's). */
	t->in_guest = guest;
	t->deferred = 0;
}

long
run_host_syscall_guest(long nr, long a0, long a1, long a2, long a3,
    long a4, long a5)
{
	struct run_thread *t = gs_self();
	long r;

	/* Nothing between the two switches uses thread-local storage.  A
	 * signal that the call lets in runs the program's handler
	 * (in_guest, run_signal.c). */
	set_fs(t->guest_fs);
	t->selector = SEL_BLOCK;
	t->in_guest = 1;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	r = raw6(nr, a0, a1, a2, a3, a4, a5);
	t->in_guest = 0;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	t->selector = SEL_ALLOW;
	set_fs(t->host_fs);
	return r;
}

/*
 * rt_sigreturn on the program's behalf: the kernel finds the signal
 * frame just below the stack pointer the call is made with.
 */
__attribute__((__noreturn__)) void
run_sud_sigreturn(unsigned long sp, unsigned long guest_fs)
{

	set_fs(guest_fs);
	__asm__ volatile("mov %0, %%rsp\n\t"
	    "mov %1, %%eax\n\t"
	    "syscall\n\t"
	    "ud2"
	    : : "r"(sp), "i"(SYS_rt_sigreturn) : "memory");
	__builtin_unreachable();
}

/*
 * A fault: the platform's fault-catching copy owns those of strata-run's
 * own code; a fault of the program goes where the program's libc would
 * send it without us (the default: the process dies with it).
 */
static void
fault_handler(int sig, siginfo_t *si, void *uc)
{
	struct sigaction *prev = sig == SIGBUS ? &prev_bus : &prev_segv;
	unsigned long gs = 0;
	struct run_thread *t;
	struct sigaction dfl;

	/* The GS base, with a system call (not %gs:0): the platform's own
	 * threads have no block. */
	raw6(SYS_arch_prctl, ARCH_GET_GS, (long)&gs, 0, 0, 0, 0);
	t = (struct run_thread *)gs;
	if (t == NULL || t->selector == SEL_ALLOW ||
	    (pid_t)raw6(SYS_gettid, 0, 0, 0, 0, 0, 0) != t->tid) {
		if (prev->sa_flags & SA_SIGINFO)
			prev->sa_sigaction(sig, si, uc);
		else if (prev->sa_handler != SIG_DFL &&
		    prev->sa_handler != SIG_IGN)
			prev->sa_handler(sig);
		else
			goto deflt;
		return;
	}
	/* A rewritten site's call with a number beyond the trampoline: not
	 * a fault but ENOSYS, as the host says to unknown numbers. */
	if (run_rw_fault(si, uc))
		return;
	/* The program's own fault: its handler if it set one, called as
	 * the host would have (its thread pointer is still loaded). */
	{
		struct run_ksigaction *g = sig == SIGBUS ? &guest_bus :
		    &guest_segv;

		if (g->handler > 1) {	/* neither SIG_DFL nor SIG_IGN */
			if (g->flags & SA_SIGINFO)
				((void (*)(int, siginfo_t *, void *))
				    g->handler)(sig, si, uc);
			else
				((void (*)(int))g->handler)(sig);
			if (g->flags & SA_RESETHAND)
				g->handler = 0;
			return;
		}
	}
deflt:
	/* Re-executing the faulting instruction with the default action
	 * ends the process as Linux would have. */
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	raw6(SYS_rt_sigaction, sig, (long)&dfl, 0, 8, 0, 0);
	if (si->si_code <= 0)
		raw6(SYS_tgkill, raw6(SYS_getpid, 0, 0, 0, 0, 0, 0),
		    raw6(SYS_gettid, 0, 0, 0, 0, 0, 0), sig, 0, 0, 0);
}

/*
 * Threads of the program.
 *
 * clone(CLONE_THREAD) arrives here in the calling thread's SIGSYS
 * handler.  The new thread is a host thread of strata-run's own C library
 * (pthread_create), so that strata-run's thread-local state (errno, the
 * platform's current lwp, librumpclient's connection) exists for it.  It
 * sets up its block and interception, binds itself to the program's
 * kernel process, and enters the program with rt_sigreturn on a frame
 * made from the caller's registers: %rax 0, the stack the program gave,
 * the signal mask the program had at the call, all in one step.  Its own
 * stack pointer is kept in the block; when the program's thread exits
 * (SYS_exit), its SIGSYS handler jumps back there, off the program's
 * stack, and the host thread does what the Linux kernel does at a
 * thread's death (CLONE_CHILD_CLEARTID: clear the word, wake a joiner)
 * and ends.
 */

/* Saves the callee-saved registers and the stack pointer in *host_sp,
 * then makes rt_sigreturn with the stack at frame (a ucontext). */
void run_sud_thread_enter(unsigned long *host_sp, void *frame);
/* Returns from run_sud_thread_enter() with the state saved there. */
__attribute__((__noreturn__)) void run_sud_thread_leave(unsigned long sp);
__asm__(
	".text\n"
	".globl run_sud_thread_enter\n"
	".hidden run_sud_thread_enter\n"
	".type run_sud_thread_enter, @function\n"
	"run_sud_thread_enter:\n"
	"	push %rbp\n"
	"	push %rbx\n"
	"	push %r12\n"
	"	push %r13\n"
	"	push %r14\n"
	"	push %r15\n"
	"	mov %rsp, (%rdi)\n"
	"	mov %rsi, %rsp\n"
	"	mov $15, %eax\n"		/* SYS_rt_sigreturn */
	"	syscall\n"
	"	ud2\n"
	".size run_sud_thread_enter, .-run_sud_thread_enter\n"
	".globl run_sud_thread_leave\n"
	".hidden run_sud_thread_leave\n"
	".type run_sud_thread_leave, @function\n"
	"run_sud_thread_leave:\n"
	"	mov %rdi, %rsp\n"
	"	pop %r15\n"
	"	pop %r14\n"
	"	pop %r13\n"
	"	pop %r12\n"
	"	pop %rbx\n"
	"	pop %rbp\n"
	"	ret\n"
	".size run_sud_thread_leave, .-run_sud_thread_leave\n");

/* What the caller of clone hands the new host thread. */
struct clone_req {
	ucontext_t uc;			/* the program's registers at the call */
	unsigned long flags, newsp, ptid, ctid, tls, guest_fs;
	long result;			/* the new tid, or -errno */
	int done;			/* futex: result is there */
};

static void
futex_wake(int *addr)
{

	raw6(SYS_futex, (long)addr, FUTEX_WAKE, 1, 0, 0, 0);
}

static void *
thread_main(void *arg)
{
	struct clone_req *rq = arg;
	struct run_thread *t;
	ucontext_t frame __attribute__((aligned(64)));
	unsigned long robust_head = 0, robust_len = 0;
	long tid;
	int error;

	tid = raw6(SYS_gettid, 0, 0, 0, 0, 0, 0);
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		error = ENOMEM;
		goto fail;
	}
	t->self = t;
	t->selector = SEL_ALLOW;
	t->tid = (pid_t)tid;
	raw6(SYS_arch_prctl, ARCH_GET_FS, (long)&t->host_fs, 0, 0, 0, 0);
	t->guest_fs = (rq->flags & CLONE_SETTLS) ? rq->tls : rq->guest_fs;
	if (rq->flags & CLONE_CHILD_CLEARTID)
		t->clear_tid = rq->ctid;
	raw6(SYS_arch_prctl, ARCH_SET_GS, (long)t, 0, 0, 0, 0);
	if ((error = run_sys_thread_begin()) != 0)
		goto fail;
	if ((error = run_sud_enable()) != 0) {
		run_sys_thread_end();
		goto fail;
	}
	run_sig_thread_begin(t);
	/* The ids, before the program can look (as the kernel writes them
	 * before either thread runs on). */
	if (rq->flags & CLONE_PARENT_SETTID)
		(void)rumpuser_fcopyout(&t->tid, (void *)rq->ptid,
		    sizeof(t->tid));
	if (rq->flags & CLONE_CHILD_SETTID)
		(void)rumpuser_fcopyout(&t->tid, (void *)rq->ctid,
		    sizeof(t->tid));
	/* The frame rt_sigreturn loads: the caller's registers, the new
	 * stack, 0 returned, no alternate signal stack, fresh FPU state. */
	frame = rq->uc;
	frame.uc_link = NULL;
	frame.uc_stack.ss_sp = NULL;
	frame.uc_stack.ss_size = 0;
	frame.uc_stack.ss_flags = SS_DISABLE;
	frame.uc_mcontext.fpregs = NULL;
	frame.uc_mcontext.gregs[REG_RAX] = 0;
	if (rq->newsp != 0)
		frame.uc_mcontext.gregs[REG_RSP] = (greg_t)rq->newsp;
	sigdelset(&frame.uc_sigmask, SIGSYS);
	/* strata-run's robust mutex list (its C library's), which the
	 * program's replaces while the thread runs the program. */
	raw6(SYS_get_robust_list, 0, (long)&robust_head, (long)&robust_len,
	    0, 0, 0);
	/* Past this store rq may be gone. */
	__atomic_store_n(&rq->result, tid, __ATOMIC_RELAXED);
	__atomic_store_n(&rq->done, 1, __ATOMIC_RELEASE);
	futex_wake(&rq->done);

	t->selector = SEL_BLOCK;
	set_fs(t->guest_fs);
	run_sud_thread_enter(&t->host_sp, &frame);

	/* The program's thread has exited (run_sud_thread_exit): strata-run's
	 * thread pointer is loaded, every signal is blocked. */
	t->selector = SEL_ALLOW;
	if (robust_len != 0)
		raw6(SYS_set_robust_list, (long)robust_head, (long)robust_len,
		    0, 0, 0, 0);
	if (t->unmap_len != 0 && raw6(SYS_munmap, (long)t->unmap_addr,
	    (long)t->unmap_len, 0, 0, 0, 0) == 0)
		run_map_remove(t->unmap_addr, t->unmap_len);
	if (t->clear_tid != 0) {
		int zero = 0;

		if (rumpuser_fcopyout(&zero, (void *)t->clear_tid,
		    sizeof(zero)) == 0)
			futex_wake((int *)t->clear_tid);
	}
	run_sig_thread_end(t);
	run_sys_thread_end();
	raw6(SYS_arch_prctl, ARCH_SET_GS, 0, 0, 0, 0, 0);
	free(t);
	return NULL;
 fail:
	if (t != NULL) {
		raw6(SYS_arch_prctl, ARCH_SET_GS, 0, 0, 0, 0, 0);
		free(t);
	}
	__atomic_store_n(&rq->result, -(long)error, __ATOMIC_RELAXED);
	__atomic_store_n(&rq->done, 1, __ATOMIC_RELEASE);
	futex_wake(&rq->done);
	return NULL;
}

long
run_sud_clone_thread(unsigned long flags, unsigned long newsp,
    unsigned long ptid, unsigned long ctid, unsigned long tls,
    const ucontext_t *uc)
{
	const unsigned long need = CLONE_VM | CLONE_SIGHAND | CLONE_THREAD;
	/* What a thread of this process shares anyway, and what is done
	 * here; anything else (CLONE_PIDFD, CLONE_VFORK, namespaces...) is
	 * not. */
	const unsigned long known = need | CLONE_FS | CLONE_FILES |
	    CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID |
	    CLONE_CHILD_CLEARTID | CLONE_CHILD_SETTID | CLONE_DETACHED |
	    0xff /* exit signal, ignored for threads */;
	struct clone_req *rq;
	pthread_attr_t attr;
	sigset_t all, old;
	pthread_t th;
	long r;
	int error;

	if ((flags & need) != need || (flags & ~known) != 0)
		return -EINVAL;
	if ((rq = calloc(1, sizeof(*rq))) == NULL)
		return -ENOMEM;
	rq->uc = *uc;
	rq->flags = flags;
	rq->newsp = newsp;
	rq->ptid = ptid;
	rq->ctid = ctid;
	rq->tls = tls;
	rq->guest_fs = run_self()->guest_fs;
	/* The host thread's own stack only sets up and tears down: the
	 * program's calls are served on the program's stack. */
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	/* Made with every signal blocked but the faults (the copies take
	 * them) and SIGSYS: the program's mask is set as the thread enters
	 * the program. */
	sigfillset(&all);
	sigdelset(&all, SIGSEGV);
	sigdelset(&all, SIGBUS);
	sigdelset(&all, SIGSYS);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	error = pthread_create(&th, &attr, thread_main, rq);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (error != 0) {
		free(rq);
		return -EAGAIN;
	}
	while (!__atomic_load_n(&rq->done, __ATOMIC_ACQUIRE))
		raw6(SYS_futex, (long)&rq->done, FUTEX_WAIT, 0, 0, 0, 0);
	r = __atomic_load_n(&rq->result, __ATOMIC_RELAXED);
	free(rq);
	return r;
}

__attribute__((__noreturn__)) void
run_sud_thread_exit(struct run_thread *t)
{

	run_sud_thread_leave(t->host_sp);
}

int
run_sud_init(void)
{
	struct sigaction sa;
	struct run_thread *t = &main_thread;
	long r;

	t->self = t;
	t->selector = SEL_ALLOW;
	t->tid = (pid_t)raw6(SYS_gettid, 0, 0, 0, 0, 0, 0);
	run_pid = (pid_t)raw6(SYS_getpid, 0, 0, 0, 0, 0, 0);
	/* The kernel advertises FSGSBASE only when it lets user space use
	 * the instructions (and keeps what they set across switches). */
	run_fsgsbase = (getauxval(AT_HWCAP2) & HWCAP2_FSGSBASE) != 0;
	r = raw6(SYS_arch_prctl, ARCH_GET_FS, (long)&t->host_fs, 0, 0, 0, 0);
	if (r < 0)
		return (int)-r;
	/* Until the program loads its own thread pointer it runs on ours
	 * (its libc sets one before anything uses it). */
	t->guest_fs = t->host_fs;
	r = raw6(SYS_arch_prctl, ARCH_SET_GS, (long)t, 0, 0, 0, 0);
	if (r < 0)
		return (int)-r;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sigsys_handler;
	/* No signal is blocked while a call is served (SIGSYS is, as the
	 * handler's own): the program's handlers are strata-run's wrapper,
	 * which defers a signal that comes in the middle of a call to the
	 * call's end, and interrupts the kernel call it came in
	 * (run_signal.c). */
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_SIGINFO;
	if (sigaction(SIGSYS, &sa, NULL) != 0)
		return errno;
	sa.sa_sigaction = fault_handler;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	if (sigaction(SIGSEGV, &sa, &prev_segv) != 0 ||
	    sigaction(SIGBUS, &sa, &prev_bus) != 0)
		return errno;
	return 0;
}

int
run_sud_enable(void)
{
	struct run_thread *t = gs_self();
	unsigned long lo = (unsigned long)__ehdr_start;
	unsigned long hi = (unsigned long)_end;
	long r;

	r = raw6(SYS_prctl, PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON,
	    (long)lo, (long)(hi - lo), (long)&t->selector, 0);
	return r < 0 ? (int)-r : 0;
}

__attribute__((__noreturn__)) void
run_sud_start(unsigned long entry, unsigned long sp)
{
	struct run_thread *t = gs_self();

	t->selector = SEL_BLOCK;
	__asm__ volatile("mov %0, %%rsp\n\t"
	    "xor %%edx, %%edx\n\t"
	    "xor %%ebp, %%ebp\n\t"
	    "jmp *%1"
	    : : "r"(sp), "r"(entry) : "memory");
	__builtin_unreachable();
}

/*
 * The start of a program that an in-process exec loaded, from the SIGSYS
 * handler of the call: the handler's frame is left for good (its stack,
 * the old program's, is unmapped once off it), the program's mask
 * (without SIGSYS) is set and the new program starts on strata-run's
 * thread pointer, as the first did.
 */
__attribute__((__noreturn__)) void
run_sud_exec_start(unsigned long entry, unsigned long sp,
    const sigset_t *mask, unsigned long unmap, unsigned long unmap_len)
{
	struct run_thread *t = gs_self();
	sigset_t m = *mask;

	sigdelset(&m, SIGSYS);
	t->guest_fs = t->host_fs;
	set_fs(t->host_fs);
	t->deferred = 0;
	t->in_guest = 0;
	t->selector = SEL_BLOCK;
	raw6(SYS_rt_sigprocmask, SIG_SETMASK, (long)&m, 0, 8, 0, 0);
	/* Off the old stack first, then it goes (system calls from
	 * strata-run's image are never intercepted). */
	__asm__ volatile("mov %0, %%rsp\n\t"
	    "mov %2, %%rdi\n\t"
	    "mov %3, %%rsi\n\t"
	    "test %%rsi, %%rsi\n\t"
	    "jz 1f\n\t"
	    "mov %4, %%eax\n\t"
	    "syscall\n"
	    "1:\n\t"
	    "xor %%edx, %%edx\n\t"
	    "xor %%ebp, %%ebp\n\t"
	    "jmp *%1"
	    : : "r"(sp), "r"(entry), "r"(unmap), "r"(unmap_len),
	      "i"(SYS_munmap)
	    : "memory", "rdi", "rsi", "rax", "rcx", "r11");
	__builtin_unreachable();
}
