/*
 * run_signal.c: the program's signals: its handlers, signals that arrive
 * while strata-run serves a call, and kernel calls they interrupt.
 *
 * A program's handler must never run on strata-run's thread pointer or
 * with interception off, yet blocking signals around every call would
 * cost system calls.  So every handler the program installs (but for
 * SIGSYS, SIGSEGV and SIGBUS, which strata-run keeps) is installed on the
 * host as sig_wrap(), with the program's flags (SA_SIGINFO forced), mask
 * and restorer; rt_sigaction shows the program its own.  sig_wrap()
 * looks at where the signal came in:
 *  - in the program, or in a host call made in the program's state
 *    (in_guest: the calls the SIGSYS handler passes through, and the
 *    waits made with the program's signal mask): it calls the program's
 *    handler, as the host would have (SIGSYS unblocked first, so that the
 *    handler's own calls are intercepted);
 *  - in strata-run's code (inside the SIGSYS handler, whose SIGSYS is
 *    blocked, or in a --rewrite direct call, in_direct): it defers the
 *    signal: queued again for the thread with its siginfo and blocked in
 *    the context it returns to, until the call ends (the SIGSYS frame's
 *    return puts the program's mask back; a direct call unblocks it), so
 *    the handler runs at the call's return, in the program's state.  A
 *    host call that the signal interrupted there ends as on Linux (EINTR,
 *    or restarted by the host under SA_RESTART, which the wrapper was
 *    installed with when the program asked for it).
 *
 * A kernel call interrupted (in-process): the kernel's waits end when the
 * lwp is marked (rump_lwp_interrupt, rump.h), which takes kernel locks
 * and so cannot be done in a signal handler.  A thread in a kernel call
 * (in_kcall) that defers a signal asks the interrupter thread, through an
 * eventfd, to mark its lwp; a signal deferred before the call began is
 * seen by the thread itself as the call begins.  The mark is cleared as
 * the call ends (under klock, so that a late interrupter cannot mark the
 * next call).  The call returns EINTR, or ERESTARTSYS for the calls Linux
 * restarts; run_sig_restart() then decides as Linux's signal delivery
 * does: the call is made again (the program's instruction pointer put
 * back on its system call instruction, rax the number again) when the
 * first deferred signal's handler has SA_RESTART, else EINTR.  The
 * handler runs first either way: the deferred signal is delivered as the
 * SIGSYS frame or the direct call returns, before the instruction runs
 * again.
 *
 * A remote kernel's call (--server) is interrupted the same way, with
 * librumpclient's counterparts: rumpclient_interrupt() sends the server
 * an INTR for the thread's call in progress (on a connection of its own;
 * the server calls rump_lwp_interrupt() on the lwp serving the call), a
 * call begun while the mark is set carries it, and the server answers
 * EINTR or ERESTARTSYS as the in-process kernel does.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <ucontext.h>

#include <rump/rump.h>
#include <rump/rumpclient.h>

#include "run.h"

#define ERESTARTSYS	512	/* rump.h */
#define SIGBIT(s)	(1ul << ((s) - 1))

/* The program's own dispositions (what rt_sigaction shows it). */
static struct run_ksigaction sig_acts[65];

/* The interrupter: its eventfd, and the threads it may interrupt. */
static int intr_efd = -1;
static pthread_mutex_t intr_list_lock = PTHREAD_MUTEX_INITIALIZER;
static struct run_thread *intr_list;

/* The calling thread's block while it may make kernel calls that the
 * interrupter can end (NULL for strata-run's own threads). */
static __thread struct run_thread *kself;

static void sig_wrap(int sig, siginfo_t *si, void *ucv);

/*
 * The wrapper returns through strata-run's own restorer, never the
 * program's: a signal deferred inside the SIGSYS handler returns with
 * SIGSYS blocked, where the program's rt_sigreturn, a system call of the
 * program's, would trap with SIGSYS blocked (which kills).  Made from
 * strata-run's image, this one is never intercepted.
 */
void run_sig_restorer(void);
__asm__(
	".text\n"
	".globl run_sig_restorer\n"
	".hidden run_sig_restorer\n"
	".type run_sig_restorer, @function\n"
	"run_sig_restorer:\n"
	"	mov $15, %eax\n"		/* SYS_rt_sigreturn */
	"	syscall\n"
	"	ud2\n"
	".size run_sig_restorer, .-run_sig_restorer\n");
#define SA_RESTORER_FLAG	0x04000000

/* Runs on whatever thread pointer is loaded (the program's, mostly): no
 * thread-local storage, raw system calls only. */
static void
sig_wrap(int sig, siginfo_t *si, void *ucv)
{
	struct run_thread *t = NULL;
	ucontext_t *uc = ucv;
	struct run_ksigaction *a = &sig_acts[sig];
	unsigned long handler, ctxmask, bit = SIGBIT(sig);
	uint64_t one = 1;

	/* The GS base with a system call (not %gs:0): strata-run's own
	 * threads have no block. */
	raw6(SYS_arch_prctl, 0x1004 /* ARCH_GET_GS */, (long)&t, 0, 0, 0, 0);
	if (t == NULL) {
		/* One of strata-run's own threads (made while a call ran
		 * with the program's mask): not for it.  Blocked here from
		 * now on, and queued again for the process, where a thread
		 * of the program takes it. */
		memcpy(&ctxmask, &uc->uc_sigmask, sizeof(ctxmask));
		ctxmask |= bit;
		memcpy(&uc->uc_sigmask, &ctxmask, sizeof(ctxmask));
		raw6(SYS_rt_sigqueueinfo, raw6(SYS_getpid, 0, 0, 0, 0, 0, 0),
		    sig, (long)si, 0, 0, 0);
		return;
	}
	memcpy(&ctxmask, &uc->uc_sigmask, sizeof(ctxmask));
	if (!t->in_guest && (t->in_direct || (ctxmask & SIGBIT(SIGSYS)))) {
		/* In strata-run's code: deferred.  Blocked in the
		 * interrupted context's mask from the wrapper's return on,
		 * then queued again (to ourselves, so any si_code is
		 * accepted). */
		ctxmask |= bit;
		memcpy(&uc->uc_sigmask, &ctxmask, sizeof(ctxmask));
		t->deferred |= bit;
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
		/* A one-shot handler was reset by this delivery: back, for
		 * the delivery that counts. */
		if (a->flags & SA_RESETHAND) {
			struct run_ksigaction w = *a;

			w.handler = (unsigned long)sig_wrap;
			w.flags |= SA_SIGINFO | SA_RESTORER_FLAG;
			w.restorer = (unsigned long)run_sig_restorer;
			raw6(SYS_rt_sigaction, sig, (long)&w, 0, 8, 0, 0);
		}
		raw6(SYS_rt_tgsigqueueinfo, raw6(SYS_getpid, 0, 0, 0, 0, 0, 0),
		    t->tid, sig, (long)si, 0, 0);
		/* In a kernel call: the interrupter ends it. */
		if (t->in_kcall && intr_efd >= 0) {
			__atomic_store_n(&t->intr_req, 1, __ATOMIC_SEQ_CST);
			raw6(SYS_write, intr_efd, (long)&one, sizeof(one), 0, 0,
			    0);
		}
		return;
	}
	handler = __atomic_load_n(&a->handler, __ATOMIC_RELAXED);
	if (handler <= 1)		/* changed meanwhile: nothing to call */
		return;
	/* A host call of the SIGSYS handler's: SIGSYS, blocked there, must
	 * reach us for the handler's own calls (the wrapper's return puts
	 * the mask back). */
	if (ctxmask & SIGBIT(SIGSYS)) {
		unsigned long sys = SIGBIT(SIGSYS);

		raw6(SYS_rt_sigprocmask, SIG_UNBLOCK, (long)&sys, 0, 8, 0, 0);
	}
	if (a->flags & SA_SIGINFO)
		((void (*)(int, siginfo_t *, void *))handler)(sig, si, ucv);
	else
		((void (*)(int))handler)(sig);
}

long
run_sig_action(long sig, const struct run_ksigaction *act,
    struct run_ksigaction *old)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	struct run_ksigaction host, prev;
	long r;

	if (sig < 1 || sig > 64)
		return -EINVAL;
	pthread_mutex_lock(&lock);
	prev = sig_acts[sig];
	if (act == NULL) {
		r = raw6(SYS_rt_sigaction, sig, 0, (long)&host, 8, 0, 0);
	} else {
		host = *act;
		if (act->handler > 1) {	/* neither SIG_DFL nor SIG_IGN */
			host.handler = (unsigned long)sig_wrap;
			host.flags |= SA_SIGINFO | SA_RESTORER_FLAG;
			host.restorer = (unsigned long)run_sig_restorer;
		}
		r = raw6(SYS_rt_sigaction, sig, (long)&host, (long)&host, 8, 0,
		    0);
		if (r == 0)
			sig_acts[sig] = *act;
	}
	pthread_mutex_unlock(&lock);
	if (r != 0)
		return r;
	/* What the host had: the wrapper stands for the program's own. */
	if (old != NULL)
		*old = host.handler == (unsigned long)sig_wrap ? prev : host;
	return 0;
}

void
run_sig_exec(void)
{
	static const struct run_ksigaction dfl;
	stack_t ss;
	int sig;

	for (sig = 1; sig <= 64; sig++)
		if (sig != SIGSYS && sig != SIGSEGV && sig != SIGBUS &&
		    sig_acts[sig].handler > 1)
			run_sig_action(sig, &dfl, NULL);
	memset(&ss, 0, sizeof(ss));
	ss.ss_flags = SS_DISABLE;
	raw6(SYS_sigaltstack, (long)&ss, 0, 0, 0, 0, 0);
}

long
run_sig_restart(long nr, ucontext_t *uc)
{
	struct run_thread *t = run_self();
	unsigned long d = t->deferred;
	int sig;

	/* No handler runs (the signal was taken by another thread, or
	 * ignored meanwhile): made again, as Linux does. */
	if (d != 0) {
		sig = __builtin_ctzl(d) + 1;
		if (sig_acts[sig].handler > 1 &&
		    (sig_acts[sig].flags & SA_RESTART) == 0)
			return -EINTR;
	}
	/* Back on the instruction (two bytes: syscall, or a rewritten
	 * site's call *%rax), with the number in rax again. */
	uc->uc_mcontext.gregs[REG_RIP] -= 2;
	return nr;
}

/* --- Interrupting kernel calls ---------------------------------------- */

/* Marks the thread's lwp: in-process, or its server's (remote). */
static void
intr_mark(struct run_thread *t)
{

	if (t->rlwp != NULL)
		(void)rumpclient_interrupt(t->rlwp);
	else
		rump_lwp_interrupt(t->lwp);
}

static void
intr_clear(struct run_thread *t)
{

	if (t->rlwp != NULL)
		(void)rumpclient_interrupt_clear(t->rlwp);
	else
		(void)rump_lwp_interrupt_clear(t->lwp);
}

static void *
interrupter_main(void *arg)
{
	struct run_thread *t;
	uint64_t v;

	(void)arg;
	for (;;) {
		if (raw6(SYS_read, intr_efd, (long)&v, sizeof(v), 0, 0, 0) < 0)
			continue;
		pthread_mutex_lock(&intr_list_lock);
		for (t = intr_list; t != NULL; t = t->intr_next) {
			if (!__atomic_exchange_n(&t->intr_req, 0,
			    __ATOMIC_SEQ_CST))
				continue;
			pthread_mutex_lock(&t->klock);
			/* Marked first, then in_kcall looked at: the thread
			 * ending its call stores in_kcall first, then looks at
			 * the mark (run_sig_kcall_end), so that one of the two
			 * sees the other's store. */
			if (!t->intr_sent) {
				__atomic_store_n(&t->intr_sent, 1,
				    __ATOMIC_SEQ_CST);
				if (__atomic_load_n(&t->in_kcall,
				    __ATOMIC_SEQ_CST))
					intr_mark(t);
				else
					__atomic_store_n(&t->intr_sent, 0,
					    __ATOMIC_RELAXED);
			}
			pthread_mutex_unlock(&t->klock);
		}
		pthread_mutex_unlock(&intr_list_lock);
	}
	return NULL;
}

/* The interrupter's eventfd and thread; 0 or an errno. */
static int
intr_start(void)
{
	pthread_attr_t attr;
	pthread_t th;
	sigset_t all, old;
	int error;

	if ((intr_efd = (int)raw6(SYS_eventfd2, 0, EFD_CLOEXEC, 0, 0, 0,
	    0)) < 0) {
		error = -intr_efd;
		intr_efd = -1;
		return error;
	}
	/* Made with every signal blocked (strata-run's threads are). */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	error = pthread_create(&th, &attr, interrupter_main, NULL);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return error;
}

int
run_sig_init(void)
{

	return intr_start();
}

void
run_sig_forked(void)
{
	struct run_thread *t = kself;

	if (intr_efd < 0)
		return;
	/* Of the parent's eventfd, list and thread, only the calling
	 * thread's block is ours. */
	raw6(SYS_close, intr_efd, 0, 0, 0, 0, 0);
	intr_efd = -1;
	pthread_mutex_init(&intr_list_lock, NULL);
	intr_list = NULL;
	if (t != NULL) {
		pthread_mutex_init(&t->klock, NULL);
		t->intr_req = 0;
		t->intr_sent = 0;
		t->intr_next = NULL;
		intr_list = t;
	}
	if (intr_start() != 0)
		kself = NULL;	/* no interrupter: calls go on as before */
}

void
run_sig_thread_begin(struct run_thread *t)
{

	if (intr_efd < 0)
		return;
	pthread_mutex_init(&t->klock, NULL);
	if (run_opt.server != NULL)
		t->rlwp = rumpclient_curlwp();
	else if ((t->lwp = rump_lwproc_curlwp()) == NULL)
		return;
	pthread_mutex_lock(&intr_list_lock);
	t->intr_next = intr_list;
	intr_list = t;
	pthread_mutex_unlock(&intr_list_lock);
	kself = t;
}

void
run_sig_thread_end(struct run_thread *t)
{
	struct run_thread **pp;

	if (kself != t)
		return;
	/* Off the list: the interrupter leaves the lwp alone from now on. */
	pthread_mutex_lock(&intr_list_lock);
	for (pp = &intr_list; *pp != NULL; pp = &(*pp)->intr_next)
		if (*pp == t) {
			*pp = t->intr_next;
			break;
		}
	pthread_mutex_unlock(&intr_list_lock);
	kself = NULL;
	pthread_mutex_destroy(&t->klock);
}

struct run_thread *
run_sig_kcall_begin(void)
{
	struct run_thread *t = kself;

	if (t == NULL)
		return NULL;
	/* Seen by this thread's signal handler (sig_wrap), which then
	 * wakes the interrupter with a system call: no fence beyond the
	 * compiler's is needed for the interrupter to see it. */
	__atomic_store_n(&t->in_kcall, 1, __ATOMIC_RELAXED);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	/* A signal deferred before the call: it must not wait behind it. */
	if (t->deferred != 0) {
		pthread_mutex_lock(&t->klock);
		if (!t->intr_sent) {
			intr_mark(t);
			__atomic_store_n(&t->intr_sent, 1, __ATOMIC_RELAXED);
		}
		pthread_mutex_unlock(&t->klock);
	}
	return t;
}

void
run_sig_kcall_end(struct run_thread *t)
{
	int sent;

	if (t == NULL)
		return;
	/* The common case, no interruption: one fenced store and a load,
	 * no lock.  The interrupter marks intr_sent before it looks at
	 * in_kcall; seeing no mark after this store means it will not
	 * interrupt this lwp (it sees in_kcall 0).  A mark seen: the
	 * interrupter may still be at work, so wait for it under the lock,
	 * which it holds throughout. */
	__atomic_store_n(&t->in_kcall, 0, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&t->intr_sent, __ATOMIC_SEQ_CST) == 0)
		return;
	pthread_mutex_lock(&t->klock);
	sent = __atomic_exchange_n(&t->intr_sent, 0, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&t->klock);
	/* Delivered (deferred) as the call returns: the mark goes. */
	if (sent)
		intr_clear(t);
}
