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
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <ucontext.h>

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

static inline long
raw6(long nr, long a0, long a1, long a2, long a3, long a4, long a5)
{
	register long r10 __asm__("r10") = a3;
	register long r8 __asm__("r8") = a4;
	register long r9 __asm__("r9") = a5;
	long ret;

	__asm__ volatile("syscall"
	    : "=a"(ret)
	    : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "r"(r10), "r"(r8), "r"(r9)
	    : "rcx", "r11", "memory");
	return ret;
}

long
run_host_syscall(long nr, long a0, long a1, long a2, long a3, long a4,
    long a5)
{

	return raw6(nr, a0, a1, a2, a3, a4, a5);
}

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

	raw6(SYS_arch_prctl, ARCH_SET_FS, (long)fs, 0, 0, 0, 0);
}

static void
sigsys_handler(int sig, siginfo_t *si, void *ucv)
{
	struct run_thread *t = gs_self();
	ucontext_t *uc = ucv;
	greg_t *g = uc->uc_mcontext.gregs;
	long nr, args[6], ret;

	(void)sig;
	t->selector = SEL_ALLOW;
	nr = si->si_syscall;
	/* Calls the host serves as they are need none of strata-run's
	 * thread-local state: made without switching thread pointers (two
	 * system calls fewer) unless they are to be traced. */
	if (!run_opt.trace && nr >= 0 && nr < (long)sizeof(run_passthrough) &&
	    run_passthrough[nr]) {
		g[REG_RAX] = raw6(nr, g[REG_RDI], g[REG_RSI], g[REG_RDX],
		    g[REG_R10], g[REG_R8], g[REG_R9]);
		t->selector = SEL_BLOCK;
		return;
	}
	set_fs(t->host_fs);
	if (nr == SYS_rt_sigreturn) {
		/* The program returns from one of its own signal handlers:
		 * do the return it asked for, from the program's frame,
		 * dropping this SIGSYS frame (its mask is the frame's). */
		t->selector = SEL_BLOCK;
		run_sud_sigreturn((unsigned long)g[REG_RSP], t->guest_fs);
	}
	args[0] = g[REG_RDI];
	args[1] = g[REG_RSI];
	args[2] = g[REG_RDX];
	args[3] = g[REG_R10];
	args[4] = g[REG_R8];
	args[5] = g[REG_R9];
	ret = run_sys_dispatch(nr, args, uc);
	g[REG_RAX] = ret;
	set_fs(t->guest_fs);
	t->selector = SEL_BLOCK;
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

int
run_sud_init(void)
{
	struct sigaction sa;
	struct run_thread *t = &main_thread;
	long r;

	t->self = t;
	t->selector = SEL_ALLOW;
	t->tid = (pid_t)raw6(SYS_gettid, 0, 0, 0, 0, 0, 0);
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
	/* Every signal waits while a call is served: a program's handler
	 * must not run on strata-run's thread pointer.  Except faults: the
	 * fault-catching copies of a call take them, and a blocked fault
	 * would kill the process instead. */
	sigfillset(&sa.sa_mask);
	sigdelset(&sa.sa_mask, SIGSEGV);
	sigdelset(&sa.sa_mask, SIGBUS);
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
