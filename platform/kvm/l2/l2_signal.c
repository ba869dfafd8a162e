/*
 * l2_signal.c: signals in the guest (l2.h), Linux's x86_64 ABI.
 *
 * Signals are the platform's: the kernel has none.  A signal sent to a
 * process (kill, tkill, tgkill, a child's end: SIGCHLD) is discarded at
 * once when its disposition ignores it, else marked pending on the
 * process; a thread that does not block it takes it on its way back to
 * the program, after its system call:
 *  - the default action of a fatal signal ends the process, with the
 *    signal as its wait status (the first program's end is the machine's:
 *    "killed by signal N", status 128 + N);
 *  - a handler runs on the thread's stack in a frame laid out as Linux's
 *    rt_sigframe (return address sa_restorer, ucontext with the
 *    registers, the signal mask and the x87/SSE state, siginfo), with the
 *    handler's mask added, until rt_sigreturn puts everything back.
 * The platform's own waits -- futex, wait4/waitid, nanosleep,
 * rt_sigsuspend, pause -- end early for a signal the thread takes (EINTR;
 * futex and wait4 start again after a handler with SA_RESTART).  A thread
 * in a kernel call has its lwp marked (rump_lwp_interrupt): the kernel's
 * interruptible waits (pipes, sockets, poll, ...) end with a partial
 * count, EINTR, or ERESTARTSYS, which becomes EINTR or the call made
 * again as for the platform's waits; the mark is cleared when the thread
 * takes a signal on its way back.  Not here: the stop
 * signals' default action (SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU are
 * ignored: no job control), queued real-time signals (one of each
 * pending at a time), sigaltstack (SS_DISABLE), core dumps.
 */
#include "l2.h"

#include <rump/rumpuser.h>
#include <rump/rump.h>

#include "rumpuser_common.h"
#include "scheduler.h"

#define SIGKILL		9
#define SIGSEGV		11
#define SIGCHLD		17
#define SIGCONT		18
#define SIGSTOP		19
#define SIGTSTP		20
#define SIGTTIN		21
#define SIGTTOU		22
#define SIGURG		23
#define SIGWINCH	28
#define SIG_DFL		0
#define SIG_IGN		1
#define SA_SIGINFO	0x00000004
#define SA_RESTORER	0x04000000
#define SA_RESTART	0x10000000
#define SA_NODEFER	0x40000000
#define SA_RESETHAND	0x80000000
#define SI_USER		0
#define SI_TKILL	(-6)

#define BIT(sig)	(1ull << ((sig) - 1))
#define UNBLOCKABLE	(BIT(SIGKILL) | BIT(SIGSTOP))

/* Linux's x86_64 struct sigcontext (uc_mcontext), 256 bytes. */
struct sigcontext64 {
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
	uint16_t cs, gs, fs, ss;
	uint64_t err, trapno, oldmask, cr2;
	uint64_t fpstate;		/* address of the fxsave area */
	uint64_t reserved[8];
};

/* Linux's struct ucontext (the kernel's: an 8-byte signal mask). */
struct ucontext64 {
	uint64_t uc_flags;
	uint64_t uc_link;
	uint64_t ss_sp;
	int32_t	 ss_flags, ss_pad;
	uint64_t ss_size;
	struct sigcontext64 mc;
	uint64_t sigmask;
};

/* rt_sigframe: what the handler finds at its stack pointer. */
struct sigframe {
	uint64_t pretcode;		/* sa_restorer */
	struct ucontext64 uc;
	int32_t	 info[32];		/* siginfo_t, 128 bytes */
};

_Static_assert(sizeof(struct sigcontext64) == 256, "sigcontext");
_Static_assert(sizeof(struct ucontext64) == 304, "ucontext");

/* The default action of sig is to be ignored (or to stop, which this
 * platform does not do). */
static bool
default_ignored(int sig)
{

	return sig == SIGCHLD || sig == SIGCONT || sig == SIGURG ||
	    sig == SIGWINCH || sig == SIGSTOP || sig == SIGTSTP ||
	    sig == SIGTTIN || sig == SIGTTOU;
}

/* Whether t has a signal to take now. */
bool
l2_signal_pending(const struct l2_thread *t)
{

	return (t->proc->pending & ~(t->sigmask & ~UNBLOCKABLE)) != 0;
}

/* Wakes t if it is in one of the platform's interruptible waits, or
 * interrupts the kernel call it is in. */
void
l2_signal_kick(struct l2_thread *t)
{

	if (t->intr && t->sched->t_state == THREAD_BLOCKED)
		rumpuser__sched_wake(t->sched);
	else if (t->in_call && !t->kmarked) {
		t->kmarked = true;
		rump_lwp_interrupt(t->lwp);
	}
}

void
l2_signal_send(struct l2_proc *p, int sig, int code, int pid, int status)
{
	struct l2_thread *t;

	if (sig < 1 || sig > 64 || p->exiting || p->zombie)
		return;
	if (sig != SIGKILL && (p->sigact[sig].handler == SIG_IGN ||
	    (p->sigact[sig].handler == SIG_DFL && default_ignored(sig))))
		return;
	p->pending |= BIT(sig);
	p->siginfo[sig].code = code;
	p->siginfo[sig].pid = pid;
	p->siginfo[sig].status = status;
	for (t = p->threads; t != NULL; t = t->pnext)
		if (sig == SIGKILL || !(t->sigmask & BIT(sig)))
			l2_signal_kick(t);
}

/*
 * kill(2)'s targets: pid > 0 that process; 0 and < -1 every process (one
 * process group holds them all); -1 every process but the caller and the
 * first program.  ESRCH when there is none.
 */
long
l2_sys_kill(struct l2_thread *t, int pid, int sig)
{
	struct l2_proc *p;
	int found = 0;

	if (sig < 0 || sig > 64)
		return -L2_EINVAL;
	for (p = l2_procs; p != NULL; p = p->next) {
		if (pid > 0 ? p->pid != pid :
		    pid == -1 && (p == t->proc || p == l2_init_proc))
			continue;
		found++;
		if (sig != 0)
			l2_signal_send(p, sig, SI_USER, t->proc->pid, 0);
	}
	return found > 0 ? 0 : -L2_ESRCH;
}

/* tkill/tgkill: to the process of thread tid (and tgid), which any of its
 * threads that does not block it takes. */
long
l2_sys_tgkill(struct l2_thread *t, int tgid, int tid, int sig)
{
	struct l2_proc *p;
	struct l2_thread *u;

	if (sig < 0 || sig > 64 || tid <= 0)
		return -L2_EINVAL;
	for (p = l2_procs; p != NULL; p = p->next) {
		if (tgid > 0 && p->pid != tgid)
			continue;
		for (u = p->threads; u != NULL; u = u->pnext)
			if (u->tid == tid) {
				if (sig != 0)
					l2_signal_send(p, sig, SI_TKILL,
					    t->proc->pid, 0);
				return 0;
			}
	}
	return -L2_ESRCH;
}

/* The x87/SSE state of a fresh process (FNINIT's, MXCSR 0x1f80). */
void
l2_fpu_init(unsigned char *fpu)
{
	uint32_t mxcsr = 0x1f80, save;

	__asm__ volatile("stmxcsr %0" : "=m"(save));
	__asm__ volatile("fninit; ldmxcsr %1; fxsave64 %0; ldmxcsr %2"
	    : "=m"(*(unsigned char (*)[512])fpu) : "m"(mxcsr), "m"(save));
}

/* Builds sig's frame on t's stack and points t at the handler; false
 * when the stack cannot take it. */
static bool
setup_frame(struct l2_thread *t, int sig, const struct l2_sigaction *sa,
    uint64_t oldmask)
{
	struct l2_proc *p = t->proc;
	struct sigframe f;
	uint64_t sp, fpaddr, faddr;

	/* Below the red zone: the x87/SSE state (64-byte aligned), then
	 * the frame, placed as a call would leave it (rsp + 8 aligned). */
	sp = t->regs.rsp - 128;
	fpaddr = (sp - 512) & ~63ull;
	faddr = ((fpaddr - sizeof(f)) & ~15ull) - 8;

	memset(&f, 0, sizeof(f));
	f.pretcode = sa->restorer;
	f.uc.ss_flags = 2;		/* SS_DISABLE */
	f.uc.mc.r8 = t->regs.r8;
	f.uc.mc.r9 = t->regs.r9;
	f.uc.mc.r10 = t->regs.r10;
	f.uc.mc.r11 = t->regs.r11;
	f.uc.mc.r12 = t->regs.r12;
	f.uc.mc.r13 = t->regs.r13;
	f.uc.mc.r14 = t->regs.r14;
	f.uc.mc.r15 = t->regs.r15;
	f.uc.mc.rdi = t->regs.rdi;
	f.uc.mc.rsi = t->regs.rsi;
	f.uc.mc.rbp = t->regs.rbp;
	f.uc.mc.rbx = t->regs.rbx;
	f.uc.mc.rdx = t->regs.rdx;
	f.uc.mc.rax = t->regs.rax;
	f.uc.mc.rcx = t->regs.rcx;
	f.uc.mc.rsp = t->regs.rsp;
	f.uc.mc.rip = t->regs.rip;
	f.uc.mc.eflags = t->regs.rflags;
	f.uc.mc.cs = 0x2b;
	f.uc.mc.ss = 0x23;
	f.uc.mc.oldmask = oldmask;
	f.uc.mc.fpstate = fpaddr;
	f.uc.sigmask = oldmask;
	f.info[0] = sig;			/* si_signo */
	f.info[2] = p->siginfo[sig].code;	/* si_code */
	f.info[4] = p->siginfo[sig].pid;	/* si_pid */
	f.info[5] = 0;				/* si_uid */
	f.info[6] = p->siginfo[sig].status;	/* si_status (SIGCHLD) */
	if (l2_copyout(t->fpu, fpaddr, 512) != 0 ||
	    l2_copyout(&f, faddr, sizeof(f)) != 0)
		return false;

	t->regs.rsp = faddr;
	t->regs.rip = sa->handler;
	t->regs.rdi = (uint64_t)sig;
	t->regs.rsi = faddr + __builtin_offsetof(struct sigframe, info);
	t->regs.rdx = faddr + __builtin_offsetof(struct sigframe, uc);
	t->regs.rax = 0;
	t->regs.rflags &= ~0x400ull;	/* DF clear, as the ABI wants */
	l2_fpu_init(t->fpu);
	return true;
}

void
l2_signal_deliver(struct l2_thread *t)
{
	struct l2_proc *p = t->proc;
	struct l2_sigaction *sa;
	uint64_t set, oldmask;
	int sig;

	/* Whatever the kernel was told ends with the call: the signal is
	 * taken now, or was by another thread. */
	if (t->kmarked) {
		rump_lwp_interrupt_clear(t->lwp);
		t->kmarked = false;
	}
	set = p->pending & ~(t->sigmask & ~UNBLOCKABLE);
	if (set == 0) {
		if (t->restart_mask) {
			t->sigmask = t->saved_mask;
			t->restart_mask = false;
		}
		/* An interrupted call with nothing to take after all (the
		 * signal was ignored meanwhile) starts again. */
		if (t->regs.rax == (uint64_t)-L2_ERESTARTSYS) {
			t->regs.rax = t->orig_rax;
			t->regs.rip -= 2;
		}
		return;
	}
	sig = __builtin_ctzll(set) + 1;
	if (set & BIT(SIGKILL))
		sig = SIGKILL;
	p->pending &= ~BIT(sig);
	sa = &p->sigact[sig];

	if (sig == SIGKILL || sa->handler == SIG_DFL)
		l2_proc_exit(t, sig);	/* ignored ones never got here */
	if (sa->handler == SIG_IGN)
		return;

	/* An interrupted call: EINTR, or again after the handler. */
	if (t->regs.rax == (uint64_t)-L2_ERESTARTSYS) {
		if (sa->flags & SA_RESTART) {
			t->regs.rax = t->orig_rax;
			t->regs.rip -= 2;
		} else {
			t->regs.rax = (uint64_t)-L2_EINTR;
		}
	}
	oldmask = t->restart_mask ? t->saved_mask : t->sigmask;
	t->restart_mask = false;
	if (!(sa->flags & SA_RESTORER) || !setup_frame(t, sig, sa, oldmask)) {
		/* No way back from a handler, or no stack for its frame:
		 * Linux's answer is SIGSEGV. */
		l2_proc_exit(t, SIGSEGV);
	}
	t->sigmask = (oldmask | sa->mask | (sa->flags & SA_NODEFER ? 0 :
	    BIT(sig))) & ~UNBLOCKABLE;
	if (sa->flags & SA_RESETHAND)
		sa->handler = SIG_DFL;
}

long
l2_sys_rt_sigreturn(struct l2_thread *t)
{
	struct ucontext64 uc;
	uint32_t *mxcsr;
	/* The restorer returned into by the handler's ret: rsp is just
	 * past pretcode. */
	uint64_t ucaddr = t->regs.rsp;

	if (l2_copyin(ucaddr, &uc, sizeof(uc)) != 0 ||
	    l2_copyin(uc.mc.fpstate, t->fpu, 512) != 0)
		l2_proc_exit(t, SIGSEGV);
	/* MXCSR's reserved bits would fault fxrstor in the platform. */
	mxcsr = (uint32_t *)(t->fpu + 24);
	*mxcsr &= 0xffff;
	t->regs.r8 = uc.mc.r8;
	t->regs.r9 = uc.mc.r9;
	t->regs.r10 = uc.mc.r10;
	t->regs.r11 = uc.mc.r11;
	t->regs.r12 = uc.mc.r12;
	t->regs.r13 = uc.mc.r13;
	t->regs.r14 = uc.mc.r14;
	t->regs.r15 = uc.mc.r15;
	t->regs.rdi = uc.mc.rdi;
	t->regs.rsi = uc.mc.rsi;
	t->regs.rbp = uc.mc.rbp;
	t->regs.rbx = uc.mc.rbx;
	t->regs.rdx = uc.mc.rdx;
	t->regs.rcx = uc.mc.rcx;
	t->regs.rsp = uc.mc.rsp;
	t->regs.rip = uc.mc.rip;
	/* The program's flags only: arithmetic, DF, TF stays off, IF off
	 * as always (l2.h), bit 1 set. */
	t->regs.rflags = (uc.mc.eflags & 0xcd5ull) | 0x2;
	t->sigmask = uc.sigmask & ~UNBLOCKABLE;
	return (long)uc.mc.rax;
}

/* Waits until t has a signal to take (rt_sigsuspend, pause). */
long
l2_sys_sigsuspend(struct l2_thread *t, uint64_t umask, uint64_t size)
{
	uint64_t mask;

	if (umask != 0) {
		if (size != 8)
			return -L2_EINVAL;
		if (l2_copyin(umask, &mask, sizeof(mask)) != 0)
			return -L2_EFAULT;
		t->saved_mask = t->sigmask;
		t->restart_mask = true;
		t->sigmask = mask & ~UNBLOCKABLE;
	}
	while (!l2_signal_pending(t) && !t->proc->exiting && !t->doomed) {
		t->intr = true;
		rumpuser__sched_block(NULL, WAIT_SLEEP, t, RUMPUSER__FOREVER);
		t->intr = false;
	}
	return -L2_EINTR;
}
