/*
 * bench_sud_floor.c: what this machine charges for the pieces strata-run's
 * system call paths are made of, measured alone, so that strata-run's
 * own figures (bench_run.sh) can be read against the floor they cannot
 * go below.
 *
 *   bench_sud_floor [N]
 *
 * Prints, in ns per operation (median of 5 batches of N, default 20000):
 *   call        an indirect call and return (what a rewritten site costs
 *               before any work)
 *   syscall     getpid made on the host: one trip into the host kernel
 *               (PTI, retpolines and the hypervisor make it expensive)
 *   arch_prctl  ARCH_SET_FS: what a thread pointer switch costs without
 *               the FSGSBASE instructions
 *   wrfsbase    the WRFSBASE instruction: the switch where the host kernel
 *               offers FSGSBASE (AT_HWCAP2), as strata-run then uses;
 *               left out elsewhere
 *   xsave       XSAVE and XRSTOR of every enabled state component, which
 *               a rewritten site's call to the kernel makes (the program
 *               expects its vector registers kept across a system call);
 *               left out without XSAVE
 *   sigsys      a getpid made with Syscall User Dispatch on and its
 *               SIGSYS handled by a handler that only answers it (the
 *               bare signal delivery and rt_sigreturn: the least that
 *               dispatch can cost)
 *   sigprocmask rt_sigprocmask(SIG_BLOCK) of nothing
 * "RESULT name ns" lines, for scripts.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <asm/prctl.h>
#include <cpuid.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#ifndef PR_SET_SYSCALL_USER_DISPATCH
#define PR_SET_SYSCALL_USER_DISPATCH	59
#define PR_SYS_DISPATCH_ON		1
#endif

static volatile char selector;		/* 0 allow, 1 block */

static long
raw(long nr, long a0, long a1, long a2, long a3, long a4)
{
	register long r10 __asm__("r10") = a3;
	register long r8 __asm__("r8") = a4;
	long ret;

	__asm__ volatile("syscall" : "=a"(ret)
	    : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "r"(r10), "r"(r8)
	    : "rcx", "r11", "memory");
	return ret;
}

/* A system call from a page of its own, outside the range dispatch lets
 * through (the rest of this program). */
static long (*outside)(long nr);

static void
on_sigsys(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;

	(void)sig;
	(void)si;
	uc->uc_mcontext.gregs[REG_RAX] = 42;
	/* The return (rt_sigreturn from the C library's restorer, outside
	 * the range) must be let through. */
	selector = 0;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static long nop_fn(long nr) { __asm__ volatile("" ::: "memory"); return nr; }

/* XSAVE area: as large as CPUID 0xd says, 64-byte aligned. */
static unsigned char *xarea;

static void
report(const char *name, int what, long n)
{
	long (*volatile fn)(long) = nop_fn;
	unsigned long fs = 0;
	double v[5], t0;
	long i, k;
	sigset_t none;

	sigemptyset(&none);
	raw(SYS_arch_prctl, ARCH_GET_FS, (long)&fs, 0, 0, 0);
	for (k = 0; k < 5; k++) {
		t0 = now();
		for (i = 0; i < n; i++) {
			switch (what) {
			case 0: fn(i); break;
			case 1: raw(SYS_getpid, 0, 0, 0, 0, 0); break;
			case 2:	/* Two different values, as a switch
				 * makes (nothing here uses the thread
				 * pointer until it is back). */
				raw(SYS_arch_prctl, ARCH_SET_FS,
				    (long)fs + (i & 1) * 64, 0, 0, 0);
				break;
			case 3: selector = 1; outside(SYS_getpid);
			    selector = 0; break;
			case 4: raw(SYS_rt_sigprocmask, SIG_BLOCK, (long)&none,
			    0, 8, 0); break;
			case 5:
				__asm__ volatile("wrfsbase %0" : :
				    "r"(fs + (i & 1) * 64) : "memory");
				break;
			case 6:	/* The header must be zero for XRSTOR. */
				memset(xarea + 512, 0, 64);
				__asm__ volatile("xsave64 (%0)\n\txrstor64 (%0)"
				    : : "r"(xarea), "a"(-1), "d"(-1) : "memory");
				break;
			}
		}
		if (what == 2)
			raw(SYS_arch_prctl, ARCH_SET_FS, (long)fs, 0, 0, 0);
		if (what == 5)
			__asm__ volatile("wrfsbase %0" : : "r"(fs) : "memory");
		v[k] = (now() - t0) / n;
	}
	qsort(v, 5, sizeof(v[0]), cmp);
	printf("RESULT %s %.1f ns\n", name, v[2]);
}

int
main(int argc, char *argv[])
{
	static const unsigned char code[] = {
		0x48, 0x89, 0xf8,	/* mov %rdi, %rax */
		0x0f, 0x05,		/* syscall */
		0xc3,			/* ret */
	};
	struct sigaction sa;
	unsigned char *page;
	extern const char __executable_start[], _end[];
	long n = 20000;

	if (argc > 1 && (strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0)) {
		printf("usage: bench_sud_floor [N]\n"
		    "Prints RESULT lines: ns per indirect call, host system "
		    "call, ARCH_SET_FS,\nbare SIGSYS round trip under Syscall "
		    "User Dispatch, rt_sigprocmask, WRFSBASE\n(with FSGSBASE) "
		    "and XSAVE+XRSTOR (with XSAVE).\n");
		return 0;
	}
	if (argc > 1 && (n = atol(argv[1])) <= 0) {
		fprintf(stderr, "bench_sud_floor: bad count %s\n", argv[1]);
		return 2;
	}
	report("call", 0, n * 10);
	report("syscall", 1, n);
	report("arch_prctl", 2, n);
	report("sigprocmask", 4, n);
	/* AT_HWCAP2 bit 1: the kernel lets user space use FSGSBASE. */
	if (getauxval(AT_HWCAP2) & 2)
		report("wrfsbase", 5, n * 10);
	{
		unsigned int a, b, c, d;

		if (__get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 27)) &&
		    __get_cpuid_count(0xd, 0, &a, &b, &c, &d) && b >= 576 &&
		    (xarea = aligned_alloc(64, (b + 63) & ~63u)) != NULL) {
			memset(xarea, 0, b);
			report("xsave", 6, n);
		}
	}

	page = (unsigned char *)syscall(SYS_mmap, 0, 4096, 7 /* rwx */,
	    0x22 /* private anon */, -1, 0);
	if ((long)page < 0 && (long)page > -4096) {
		perror("bench_sud_floor: mmap");
		return 1;
	}
	memcpy(page, code, sizeof(code));
	outside = (long (*)(long))(void *)page;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSYS, &sa, NULL);
	if (prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON,
	    (unsigned long)__executable_start,
	    (unsigned long)(_end - __executable_start), &selector) != 0) {
		printf("(no Syscall User Dispatch here: sigsys not measured)\n");
		return 0;
	}
	/* Everything but the page is let through: the libc's calls too
	 * when it is linked statically; dynamically, selector 0 lets them
	 * through (it is 1 only around the measured call). */
	report("sigsys", 3, n);
	return 0;
}
