/*
 * posixhost_fcopy.c: the fault-catching copies of rumpuser_fcopy.h.
 *
 * A copy sets a per-thread recovery point (sigsetjmp without the signal
 * mask, which costs no system call), moves the bytes, and clears it.  The
 * platform's SIGSEGV/SIGBUS handler, installed once when the platform
 * starts, jumps back to the recovery point when the faulting thread has
 * one; any other fault goes to the handler that was there before.
 *
 * The handler is installed with SA_NODEFER, so that jumping out of it
 * leaves no signal blocked and the recovery point need not save the mask.
 * The byte moves are done by code of our own that no sanitizer
 * instruments: an AddressSanitizer check of a wild address would report
 * it before the copy had the chance to fault.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <setjmp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rump/rumpuser_fcopy.h>

#include "posixhost.h"

/*
 * Under valgrind (make check VALGRIND=memcheck), a copy from or to a bad
 * user address is meant to fault: the handler turns the fault into
 * EFAULT, which is what t_efault checks.  Memcheck would report that
 * access as an invalid read or write all the same, so its reports are
 * switched off for the user side's move only (and on again on both ways
 * out of it).  The kernel side must always be valid: it is checked
 * first, and a bad one is reported.  Without valgrind's headers (Debian:
 * valgrind) or outside valgrind these are no-ops.
 */
#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define FCOPY_VALGRIND 1
#endif
#endif
#ifdef FCOPY_VALGRIND
#define KSIDE_CHECK(a, n)	((void)VALGRIND_CHECK_MEM_IS_ADDRESSABLE((a), (n)))
#define USER_QUIET()		VALGRIND_DISABLE_ERROR_REPORTING
#define USER_LOUD()		VALGRIND_ENABLE_ERROR_REPORTING
#else
#define KSIDE_CHECK(a, n)	((void)(a), (void)(n))
#define USER_QUIET()		((void)0)
#define USER_LOUD()		((void)0)
#endif

#define NB_EFAULT	14
#define NB_ENAMETOOLONG	63

/* The recovery point of a copy running on this thread, or NULL. */
static __thread sigjmp_buf *volatile fcopy_recover;

/* The dispositions the platform's handler replaced, one per signal. */
static struct sigaction fcopy_prev_segv, fcopy_prev_bus;
static int fcopy_installed;

#if defined(__has_attribute)
#if __has_attribute(__no_sanitize__)
#define NO_SANITIZE __attribute__((__no_sanitize__("address", "undefined")))
#endif
#endif
#ifndef NO_SANITIZE
#define NO_SANITIZE
#endif

/*
 * Moves len bytes.  Not memcpy(): a sanitizer intercepts that and checks
 * the range first, and the compiler may turn a plain loop into a call to
 * it.  The volatile accesses keep the loop a loop.
 */
static NO_SANITIZE __attribute__((__noinline__)) void
fcopy_move(void *dst, const void *src, size_t len)
{
#if defined(__x86_64__)
	__asm__ volatile("rep movsb"
	    : "+D"(dst), "+S"(src), "+c"(len) : : "memory");
#else
	volatile unsigned char *d = dst;
	const volatile unsigned char *s = src;

	/* Whole words while both sides are word aligned, then bytes. */
	if ((((uintptr_t)d | (uintptr_t)s) & (sizeof(uint64_t) - 1)) == 0) {
		volatile uint64_t *dw = (volatile uint64_t *)(void *)d;
		const volatile uint64_t *sw =
		    (const volatile uint64_t *)(const void *)s;

		for (; len >= sizeof(uint64_t); len -= sizeof(uint64_t))
			*dw++ = *sw++;
		d = (volatile unsigned char *)dw;
		s = (const volatile unsigned char *)sw;
	}
	while (len-- > 0)
		*d++ = *s++;
#endif
}

/* Copies a string of at most len bytes, NUL included, one byte at a time
 * (reading past the NUL could fault on a page the string does not use).
 * Returns the bytes stored; *found says whether the last was the NUL. */
static NO_SANITIZE __attribute__((__noinline__)) size_t
fcopy_str(char *dst, const char *src, size_t len, int *found,
    volatile size_t *progress)
{
	const volatile char *s = src;
	size_t i;

	*found = 0;
	for (i = 0; i < len; i++) {
		char c = s[i];

		dst[i] = c;
		*progress = i + 1;
		if (c == '\0') {
			*found = 1;
			return i + 1;
		}
	}
	return len;
}

/* Passes a fault that is not ours to the disposition we replaced. */
static void
fcopy_chain(int sig, siginfo_t *si, void *uc)
{
	struct sigaction *prev = sig == SIGBUS ? &fcopy_prev_bus :
	    &fcopy_prev_segv;
	struct sigaction dfl;

	if (prev->sa_flags & SA_SIGINFO) {
		prev->sa_sigaction(sig, si, uc);
		return;
	}
	if (prev->sa_handler != SIG_DFL && prev->sa_handler != SIG_IGN) {
		prev->sa_handler(sig);
		return;
	}
	/* The default action ends the process, with a core dump that shows
	 * the faulting instruction: re-executing it with the default
	 * disposition does that.  A signal sent with kill() would not come
	 * again by itself, so it is raised.  (Ignoring a fault is not
	 * possible: it would loop forever, so SIG_IGN is taken as SIG_DFL.) */
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	sigaction(sig, &dfl, NULL);
	if (si == NULL || si->si_code <= 0)
		raise(sig);
}

static void
fcopy_fault(int sig, siginfo_t *si, void *uc)
{
	sigjmp_buf *jb = fcopy_recover;

	/* si_code > 0: sent by the host kernel for a fault, not by kill(). */
	if (jb != NULL && si != NULL && si->si_code > 0) {
		fcopy_recover = NULL;
		siglongjmp(*jb, 1);
	}
	fcopy_chain(sig, si, uc);
}

void
rumpuser__posixhost_fcopy_init(void)
{
	struct sigaction sa;

	/* Once per process: installing again would make our own handler
	 * the one that faults are passed on to. */
	if (__atomic_exchange_n(&fcopy_installed, 1, __ATOMIC_ACQ_REL))
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fcopy_fault;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &fcopy_prev_segv);
	sigaction(SIGBUS, &sa, &fcopy_prev_bus);
}

/* A process that never calls rumpuser_init() (a sysproxy client using
 * the copies, such as strata-run against a server) gets the handler with
 * its first copy. */
#define FCOPY_INSTALL() do { \
	if (!__atomic_load_n(&fcopy_installed, __ATOMIC_ACQUIRE)) \
		rumpuser__posixhost_fcopy_init(); \
} while (0)

int
rumpuser_fcopyin(const void *uaddr, void *kaddr, size_t len)
{
	sigjmp_buf jb;

	if (len == 0)
		return 0;
	KSIDE_CHECK(kaddr, len);
	FCOPY_INSTALL();
	if (sigsetjmp(jb, 0) != 0) {
		USER_LOUD();
		return NB_EFAULT;
	}
	fcopy_recover = &jb;
	USER_QUIET();
	fcopy_move(kaddr, uaddr, len);
	USER_LOUD();
	fcopy_recover = NULL;
	return 0;
}

int
rumpuser_fcopyout(const void *kaddr, void *uaddr, size_t len)
{
	sigjmp_buf jb;

	if (len == 0)
		return 0;
	KSIDE_CHECK(kaddr, len);
	FCOPY_INSTALL();
	if (sigsetjmp(jb, 0) != 0) {
		USER_LOUD();
		return NB_EFAULT;
	}
	fcopy_recover = &jb;
	USER_QUIET();
	fcopy_move(uaddr, kaddr, len);
	USER_LOUD();
	fcopy_recover = NULL;
	return 0;
}

int
rumpuser_fcopyinstr(const void *uaddr, char *kaddr, size_t len,
    size_t *done)
{
	sigjmp_buf jb;
	/* Volatile: read after a jump back from the handler. */
	volatile size_t progress = 0;
	size_t n;
	int found;

	KSIDE_CHECK(kaddr, len);
	FCOPY_INSTALL();
	if (sigsetjmp(jb, 0) != 0) {
		USER_LOUD();
		/* The byte at progress faulted; those before it are stored. */
		if (done != NULL)
			*done = progress;
		return NB_EFAULT;
	}
	fcopy_recover = &jb;
	USER_QUIET();
	n = fcopy_str(kaddr, uaddr, len, &found, &progress);
	USER_LOUD();
	fcopy_recover = NULL;
	if (done != NULL)
		*done = n;
	return found ? 0 : NB_ENAMETOOLONG;
}
