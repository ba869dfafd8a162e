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
 * takes a signal on its way back.  A standard signal (1-31) is pending
 * once however often it is sent (the first sender's siginfo kept); the
 * real-time ones (32-64) are queued, each sending with its own siginfo
 * (rt_sigqueueinfo's si_value), and taken in the order sent; the lowest
 * pending number goes first, as on Linux.  rt_sigtimedwait takes them
 * without a handler.  A handler with SA_ONSTACK runs on the thread's
 * alternate stack (sigaltstack) unless it is already on it.  Not here:
 * the stop signals' default action (SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU
 * are ignored: no job control), handlers for a program's own faults
 * (an exception ends the process: l2_plat.c), core dumps.
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
#define SIGRT_FIRST	32
#define SA_SIGINFO	0x00000004
#define SA_ONSTACK	0x08000000
#define SA_RESTORER	0x04000000
#define SA_RESTART	0x10000000
#define SA_NODEFER	0x40000000
#define SA_RESETHAND	0x80000000
#define SI_USER		0
#define SI_TKILL	(-6)
#define SS_ONSTACK	1
#define SS_DISABLE	2
#define SS_AUTODISARM	(1u << 31)
#define MINSIGSTKSZ	2048
#define QUEUE_MAX	1024		/* real-time signals queued per process */

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

/* Whether p would discard sig at once. */
static bool
ignored(const struct l2_proc *p, int sig)
{

	return sig != SIGKILL && (p->sigact[sig].handler == SIG_IGN ||
	    (p->sigact[sig].handler == SIG_DFL && default_ignored(sig)));
}

int
l2_signal_post(struct l2_proc *p, int sig, const struct l2_siginfo *si)
{
	struct l2_thread *t;
	struct l2_sigq *q, **qp;

	if (sig < 1 || sig > 64 || p->exiting || p->zombie || ignored(p, sig))
		return 0;
	if (sig >= SIGRT_FIRST) {
		/* Each sending queued, after those sent before. */
		if (p->nqueued >= QUEUE_MAX ||
		    rumpuser_malloc(sizeof(*q), 0, (void **)&q) != 0)
			return L2_EAGAIN;
		q->next = NULL;
		q->sig = sig;
		q->info = *si;
		for (qp = &p->queue; *qp != NULL; qp = &(*qp)->next)
			;
		*qp = q;
		p->nqueued++;
	} else if (!(p->pending & BIT(sig))) {
		p->siginfo[sig] = *si;	/* the first one's is kept */
	}
	p->pending |= BIT(sig);
	for (t = p->threads; t != NULL; t = t->pnext)
		if (sig == SIGKILL || !(t->sigmask & BIT(sig)) ||
		    (t->waitset & BIT(sig)))
			l2_signal_kick(t);
	return 0;
}

void
l2_signal_send(struct l2_proc *p, int sig, int code, int pid, int status)
{
	struct l2_siginfo si = { code, pid, 0, (uint64_t)(uint32_t)status };

	(void)l2_signal_post(p, sig, &si);
}

/* Takes pending sig off p, with its siginfo. */
static void
take(struct l2_proc *p, int sig, struct l2_siginfo *si)
{
	struct l2_sigq *q, **qp;

	memset(si, 0, sizeof(*si));
	if (sig < SIGRT_FIRST) {
		*si = p->siginfo[sig];
		p->pending &= ~BIT(sig);
		return;
	}
	for (qp = &p->queue; (q = *qp) != NULL && q->sig != sig;
	    qp = &q->next)
		;
	if (q != NULL) {
		*qp = q->next;
		*si = q->info;
		rumpuser_free(q, sizeof(*q));
		p->nqueued--;
	}
	/* Still pending while more of it are queued. */
	for (q = p->queue; q != NULL && q->sig != sig; q = q->next)
		;
	if (q == NULL)
		p->pending &= ~BIT(sig);
}

void
l2_signal_discard(struct l2_proc *p, int sig)
{
	struct l2_siginfo si;

	while (p->pending & BIT(sig))
		take(p, sig, &si);
}

void
l2_signal_clear(struct l2_proc *p)
{
	struct l2_sigq *q;

	while ((q = p->queue) != NULL) {
		p->queue = q->next;
		rumpuser_free(q, sizeof(*q));
	}
	p->nqueued = 0;
	p->pending = 0;
}

/*
 * kill(2)'s targets: pid > 0 that process; 0 the caller's process group;
 * < -1 the process group -pid; -1 every process but the caller and the
 * first program.  ESRCH when there is none (ended ones not yet waited
 * for count, as on Linux, but get nothing).
 */
long
l2_sys_kill(struct l2_thread *t, int pid, int sig)
{
	struct l2_proc *p;
	int found = 0;

	if (sig < 0 || sig > 64)
		return -L2_EINVAL;
	if (pid == -2147483647 - 1)
		return -L2_ESRCH;
	for (p = l2_procs; p != NULL; p = p->next) {
		if (pid > 0 ? p->pid != pid :
		    pid == -1 ? p == t->proc || p == l2_init_proc :
		    p->pgid != (pid == 0 ? t->proc->pgid : -pid))
			continue;
		found++;
		if (sig != 0)
			l2_signal_send(p, sig, SI_USER, t->proc->pid, 0);
	}
	return found > 0 ? 0 : -L2_ESRCH;
}

/* rt_sigqueueinfo (tid 0) and rt_tgsigqueueinfo: sig with the caller's
 * siginfo (its si_code, si_pid, si_uid, si_value) to process tgid (the
 * thread tid's).  Another process may not be told the kernel sent it
 * (si_code >= 0) or tkill did. */
long
l2_sys_sigqueueinfo(struct l2_thread *t, int tgid, int tid, int sig,
    uint64_t uinfo)
{
	struct l2_proc *p;
	struct l2_thread *u = NULL;
	struct l2_siginfo si;
	int32_t info[32];

	if (sig < 0 || sig > 64)
		return -L2_EINVAL;
	if (l2_copyin(uinfo, info, sizeof(info)) != 0)
		return -L2_EFAULT;
	for (p = l2_procs; p != NULL; p = p->next)
		if (p->pid == tgid)
			break;
	if (p != NULL && tid > 0)
		for (u = p->threads; u != NULL && u->tid != tid; u = u->pnext)
			;
	if (p == NULL || (tid > 0 && u == NULL))
		return -L2_ESRCH;
	if ((info[2] >= 0 || info[2] == SI_TKILL) && p != t->proc)
		return -L2_EPERM;
	if (sig == 0)
		return 0;
	si.code = info[2];
	si.pid = info[4];
	si.uid = info[5];
	memcpy(&si.val, &info[6], sizeof(si.val));
	return -l2_signal_post(p, sig, &si);
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
/* Whether sp is on t's alternate signal stack. */
static bool
on_altstack(const struct l2_thread *t, uint64_t sp)
{

	return t->ss_on && sp > t->ss_sp && sp - t->ss_sp <= t->ss_size;
}

static bool
setup_frame(struct l2_thread *t, int sig, const struct l2_sigaction *sa,
    uint64_t oldmask, const struct l2_siginfo *si)
{
	struct sigframe f;
	uint64_t sp, fpaddr, faddr;
	bool onstack = on_altstack(t, t->regs.rsp);

	/* Below the red zone: the x87/SSE state (64-byte aligned), then
	 * the frame, placed as a call would leave it (rsp + 8 aligned).
	 * SA_ONSTACK: at the top of the alternate stack instead, unless
	 * already on it. */
	sp = t->regs.rsp - 128;
	memset(&f, 0, sizeof(f));
	f.uc.ss_sp = t->ss_sp;
	f.uc.ss_size = t->ss_size;
	f.uc.ss_flags = !t->ss_on ? SS_DISABLE : onstack ? SS_ONSTACK : 0;
	if (t->ss_autodisarm)
		f.uc.ss_flags |= (int32_t)SS_AUTODISARM;
	if ((sa->flags & SA_ONSTACK) && t->ss_on && !onstack) {
		sp = t->ss_sp + t->ss_size;
		/* SS_AUTODISARM: off while the handler runs (a handler may
		 * then switch away, swapcontext-style); back at sigreturn. */
		if (t->ss_autodisarm)
			t->ss_on = false;
	}
	fpaddr = (sp - 512) & ~63ull;
	faddr = ((fpaddr - sizeof(f)) & ~15ull) - 8;

	f.pretcode = sa->restorer;
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
	f.info[2] = si->code;			/* si_code */
	f.info[4] = si->pid;			/* si_pid */
	f.info[5] = si->uid;			/* si_uid */
	memcpy(&f.info[6], &si->val, 8);	/* si_value, si_status */
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
	struct l2_siginfo si;
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
	take(p, sig, &si);
	sa = &p->sigact[sig];

	/* Ignored ones were discarded when sent, unless the disposition
	 * changed since (execve resets handlers: SIGCHLD's default then
	 * ignores it). */
	if (sig != SIGKILL && (sa->handler == SIG_IGN ||
	    (sa->handler == SIG_DFL && default_ignored(sig)))) {
		if (t->restart_mask) {
			t->sigmask = t->saved_mask;
			t->restart_mask = false;
		}
		if (t->regs.rax == (uint64_t)-L2_ERESTARTSYS) {
			t->regs.rax = t->orig_rax;
			t->regs.rip -= 2;
		}
		return;
	}
	if (sig == SIGKILL || sa->handler == SIG_DFL)
		l2_proc_exit(t, sig);

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
	if (!(sa->flags & SA_RESTORER) ||
	    !setup_frame(t, sig, sa, oldmask, &si)) {
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
	/* The alternate stack as the frame says (as Linux, which also
	 * ignores a bad one here), unless the thread is on it. */
	if (!on_altstack(t, t->regs.rsp)) {
		if (uc.ss_flags & SS_DISABLE) {
			t->ss_on = false;
		} else if (uc.ss_size >= MINSIGSTKSZ) {
			t->ss_on = true;
			t->ss_sp = uc.ss_sp;
			t->ss_size = uc.ss_size;
			t->ss_autodisarm =
			    (uc.ss_flags & (int32_t)SS_AUTODISARM) != 0;
		}
	}
	return (long)uc.mc.rax;
}

long
l2_sys_sigaltstack(struct l2_thread *t, uint64_t uss, uint64_t uold)
{
	struct stack64 {
		uint64_t sp;
		int32_t	 flags, pad;
		uint64_t size;
	} ss, old;
	uint32_t mode;

	memset(&old, 0, sizeof(old));
	old.sp = t->ss_sp;
	old.size = t->ss_size;
	old.flags = on_altstack(t, t->regs.rsp) ? SS_ONSTACK :
	    !t->ss_on ? SS_DISABLE : 0;
	if (t->ss_autodisarm)
		old.flags |= (int32_t)SS_AUTODISARM;
	if (uss != 0) {
		if (l2_copyin(uss, &ss, sizeof(ss)) != 0)
			return -L2_EFAULT;
		if (on_altstack(t, t->regs.rsp))
			return -L2_EPERM;
		mode = (uint32_t)ss.flags & ~SS_AUTODISARM;
		if (mode != SS_DISABLE && mode != SS_ONSTACK && mode != 0)
			return -L2_EINVAL;
		if (mode == SS_DISABLE) {
			t->ss_on = false;
			t->ss_sp = t->ss_size = 0;
			t->ss_autodisarm = false;
		} else {
			if (ss.size < MINSIGSTKSZ)
				return -L2_ENOMEM;
			t->ss_on = true;
			t->ss_sp = ss.sp;
			t->ss_size = ss.size;
			t->ss_autodisarm =
			    ((uint32_t)ss.flags & SS_AUTODISARM) != 0;
		}
	}
	if (uold != 0 && l2_copyout(&old, uold, sizeof(old)) != 0)
		return -L2_EFAULT;
	return 0;
}

/* rt_sigtimedwait: takes a pending signal of the set without running
 * its handler (the lowest number first, real-time ones in order); waits
 * until one comes, the timeout (EAGAIN), or a signal outside the set
 * that the thread does not block (EINTR: its handler runs). */
long
l2_sys_sigtimedwait(struct l2_thread *t, uint64_t uset, uint64_t uinfo,
    uint64_t uts, uint64_t size)
{
	struct l2_proc *p = t->proc;
	struct l2_siginfo si;
	struct { int64_t sec, nsec; } ts;
	uint64_t set, avail, deadline = RUMPUSER__FOREVER;
	int32_t info[32];
	int sig;

	if (size != 8)
		return -L2_EINVAL;
	if (l2_copyin(uset, &set, sizeof(set)) != 0)
		return -L2_EFAULT;
	set &= ~UNBLOCKABLE;
	if (uts != 0) {
		if (l2_copyin(uts, &ts, sizeof(ts)) != 0)
			return -L2_EFAULT;
		if (ts.sec < 0 || ts.nsec < 0 || ts.nsec >= 1000000000)
			return -L2_EINVAL;
		deadline = rumpuser__sched_deadline(
		    rumpuser__timespec_ns(ts.sec, ts.nsec));
	}
	for (;;) {
		if ((avail = p->pending & set) != 0)
			break;
		if (l2_signal_pending(t) || p->exiting || t->doomed)
			return -L2_EINTR;
		if (uts != 0 && rumpuser__sched_now() >= deadline)
			return -L2_EAGAIN;
		t->waitset = set;
		t->intr = true;
		rumpuser__sched_block(NULL, WAIT_SLEEP, t, deadline);
		t->intr = false;
		t->waitset = 0;
	}
	sig = __builtin_ctzll(avail) + 1;
	take(p, sig, &si);
	if (uinfo != 0) {
		memset(info, 0, sizeof(info));
		info[0] = sig;
		info[2] = si.code;
		info[4] = si.pid;
		info[5] = si.uid;
		memcpy(&info[6], &si.val, 8);
		if (l2_copyout(info, uinfo, sizeof(info)) != 0)
			return -L2_EFAULT;
	}
	return sig;
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
