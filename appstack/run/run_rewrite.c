/*
 * run_rewrite.c: strata-run --rewrite, system call sites turned into
 * direct calls.
 *
 * Syscall User Dispatch costs a signal per call (about 2.5 us here).
 * With --rewrite, the first SIGSYS from a `syscall` instruction of the
 * program (the signal names the address right after it, so the two bytes
 * before are an instruction boundary the CPU has just executed) replaces
 * those two bytes, 0f 05, by ff d0: `call *%rax`.  %rax holds the system
 * call number at that point, so the call lands at address NR, inside a
 * page strata-run maps at virtual address 0:
 *
 *   0x000-0x1ff  one-byte nops: every number below 512 slides down to
 *   0x200        movabs $run_rw_entry, %r11; jmp *%r11
 *   0x220        syscall; ud2  (the "trap" below)
 *   elsewhere    hlt (a fault, see run_rw_fault)
 *
 * run_rw_entry, in strata-run's own image (where Syscall User Dispatch
 * lets system calls through), sorts the call by a table built at start:
 *
 *   host     calls the host serves as they are (futex, mmap's kin,
 *            munmap but of the thread's own stack, rt_sigprocmask
 *            with SIGSYS unblocked after): a `syscall` instruction
 *            right there and `ret`;
 *   ids      getpid and gettid: the values strata-run keeps (run_pid,
 *            the thread block's tid) loaded and `ret`, no system call;
 *   direct   calls the kernel or the policy serves: the registers, the
 *            flags and the extended (FPU/SSE/AVX) state are saved, every
 *            signal but the faults is blocked (as in the SIGSYS handler:
 *            a program's handler must never run on strata-run's thread
 *            pointer), strata-run's thread pointer is loaded and
 *            run_sys_dispatch() is called, all in the same thread,
 *            without a signal;
 *   trap     calls that need a real signal frame (clone, fork, execve,
 *            exit, munmap of a thread's own stack, the calls that wait
 *            with a signal mask): a jump to the trapped
 *            `syscall` at 0x220, whose SIGSYS the handler first rewinds
 *            to the program's site (rip from the return address, rsp
 *            above it), so that the rest of the handler sees exactly the
 *            frame a SIGSYS from the site itself would have made;
 *   rt_sigreturn  the return address dropped, then the call.
 *
 * Safety:
 *   - only sites in private, file-backed, executable, non-writable
 *     mappings are rewritten (the program's and its libraries' text: not
 *     JIT buffers, not the vDSO), and not one whose two bytes straddle a
 *     cache line, so that the store is atomic for threads running the
 *     same code: they see either instruction, both of which work;
 *   - rewriting is serialized and the page's protection is put back;
 *   - a call of address 0 that is not from a rewritten site (a NULL
 *     function pointer) faults in the entry, as it would have without
 *     the page (run_rw_entry looks the return address up in the set of
 *     rewritten sites);
 *   - a number too big for the sled (one landing on hlt, or >= 4096
 *     where nothing is mapped) faults, and the fault handler turns it
 *     into ENOSYS as the host would (run_rw_fault); one that is the
 *     address of mapped executable memory does not fault, the call runs
 *     that code (no system call has such a number; the host's ENOSYS
 *     cannot be given there); numbers 0x201-0x20c land
 *     inside the jump's own bytes: no x86_64 system call has them (the
 *     last is below 500; x32's have bit 30 set);
 *   - strata-run's own calls never go through the page: they are made
 *     from its image.
 * What it assumes, as zpoline and lazypoline do: the program keeps
 * nothing in the 8 bytes below its stack pointer across a `syscall`
 * instruction (the call's return address goes there), which compilers
 * do not do around system call wrappers; this is why it is an option.
 *
 * Mapping page 0 needs vm.mmap_min_addr=0 or CAP_SYS_RAWIO (root).
 * Without it --rewrite says so (with --trace) and everything goes
 * through Syscall User Dispatch.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include <rump/rumpuser_fcopy.h>

#include "run.h"

#define RW_SLED		0x200		/* numbers below this slide */
#define RW_STUB		0x200
#define RW_TRAP		0x220		/* the trapped syscall */
#define RW_PAGE		4096

#define RW_DIRECT	0
#define RW_HOST		1
#define RW_VIA_TRAP	2
#define RW_SIGRETURN	3
#define RW_MUNMAP	4	/* the host's, unless of the thread's stack */
#define RW_SIGMASK	5	/* the host's, SIGSYS unblocked after */
#define RW_GETPID	6	/* run_pid */
#define RW_GETTID	7	/* the block's tid */
#define RW_MUNMAP_DIRECT 8	/* direct, unless of the thread's stack */
_Static_assert(offsetof(struct run_thread, host_sp) == 40,
    "run_rw_entry reads host_sp at %gs:40");
_Static_assert(offsetof(struct run_thread, tid) == 32,
    "run_rw_entry reads tid at %gs:32");

int run_rw_active;
/* Per number below RW_SLED: how run_rw_entry serves it. */
unsigned char run_rw_class[RW_SLED];
/* Bytes of the XSAVE area (0: no XSAVE, direct calls go by the trap). */
unsigned long run_rw_xsize;

/* The program's registers as run_rw_entry pushed them, lowest first. */
struct rw_frame {
	long r12, rbx, r9, r8, r10, rdx, rsi, rdi, nr, rbp, flags, ret;
};
long run_rw_call(struct rw_frame *f);
void run_rw_entry(void);

__asm__(
	".text\n"
	".globl run_rw_entry\n"
	".hidden run_rw_entry\n"
	".type run_rw_entry, @function\n"
	"run_rw_entry:\n"
	"	pushfq\n"
	/* From a rewritten site?  Its address (the return address less
	 * 2) must be in run_rw_done (set_has() below, in assembly). */
	"	push %rdx\n"
	"	mov 16(%rsp), %rcx\n"
	"	sub $2, %rcx\n"
	"	mov %rcx, %rdx\n"
	"	movabs $0x9e3779b97f4a7c15, %r11\n"
	"	imul %r11, %rdx\n"
	"	shr $52, %rdx\n"
	"	lea run_rw_done(%rip), %r11\n"
	"1:	cmp (%r11,%rdx,8), %rcx\n"
	"	je 2f\n"
	"	cmpq $0, (%r11,%rdx,8)\n"
	"	je 8f\n"
	"	inc %rdx\n"
	"	and $4095, %rdx\n"
	"	jmp 1b\n"
	"2:	pop %rdx\n"
	"	cmp $0x200, %rax\n"
	"	jae 7f\n"
	"	lea run_rw_class(%rip), %r11\n"
	"	movzbl (%r11,%rax), %r11d\n"
	"	test %r11d, %r11d\n"
	"	jz 5f\n"
	"	cmp $1, %r11d\n"
	"	jne 6f\n"
	"	popfq\n"			/* host: the call, here */
	"	syscall\n"
	"	ret\n"
	"6:	mov %r11d, %ecx\n"		/* munmap: 4 host, 8 direct */
	"	cmp $4, %r11d\n"
	"	je 10f\n"
	"	cmp $8, %r11d\n"
	"	jne 4f\n"
	"10:	mov %gs:40, %r11\n"		/* run_thread.host_sp */
	"	test %r11, %r11\n"		/* the main thread: the host's */
	"	jz 3f\n"
	"	mov %rsp, %r11\n"		/* not its own stack: the host's */
	"	sub %rdi, %r11\n"
	"	cmp %rsi, %r11\n"
	"	jb 7f\n"
	"3:	cmp $8, %ecx\n"
	"	je 5f\n"
	"	popfq\n"
	"	syscall\n"
	"	ret\n"
	"4:	cmp $5, %r11d\n"		/* rt_sigprocmask */
	"	jne 2f\n"
	"	syscall\n"			/* the host's, as asked... */
	"	test %rax, %rax\n"
	"	jnz 1f\n"
	"	test %rsi, %rsi\n"
	"	jz 1f\n"
	"	cmp $1, %rdi\n"		/* SIG_UNBLOCK */
	"	je 1f\n"
	/* A set without SIGSYS (the kernel has just read it) leaves it
	 * unblocked: no second call. */
	"	testl $0x40000000, (%rsi)\n"
	"	jz 1f\n"
	"	push %rdi\n"			/* ...but SIGSYS never blocked */
	"	push %rsi\n"
	"	push %rdx\n"
	"	push %r10\n"
	"	push $0x40000000\n"		/* SIGSYS's bit */
	"	mov $1, %edi\n"
	"	mov %rsp, %rsi\n"
	"	xor %edx, %edx\n"
	"	mov $8, %r10d\n"
	"	mov $14, %eax\n"
	"	syscall\n"
	"	add $8, %rsp\n"
	"	pop %r10\n"
	"	pop %rdx\n"
	"	pop %rsi\n"
	"	pop %rdi\n"
	"	xor %eax, %eax\n"
	"1:	popfq\n"
	"	ret\n"
	"2:	cmp $3, %r11d\n"
	"	jne 9f\n"
	"	add $16, %rsp\n"		/* rt_sigreturn */
	"	syscall\n"
	"	ud2\n"
	"7:	popfq\n"			/* trap: SIGSYS at 0x220 */
	"	mov $0x220, %r11d\n"
	"	jmp *%r11\n"
	"8:	pop %rdx\n"			/* not from a site: fault */
	"	popfq\n"
	"	hlt\n"
	"9:	cmp $6, %r11d\n"		/* getpid: run_pid */
	"	jne 9f\n"
	"	popfq\n"
	"	movslq run_pid(%rip), %rax\n"
	"	ret\n"
	"9:	cmp $7, %r11d\n"		/* gettid: the block's */
	"	jne 7b\n"
	"	popfq\n"
	"	movslq %gs:32, %rax\n"
	"	ret\n"
	"5:	push %rbp\n"			/* direct */
	"	mov %rsp, %rbp\n"
	"	push %rax\n"
	"	push %rdi\n"
	"	push %rsi\n"
	"	push %rdx\n"
	"	push %r10\n"
	"	push %r8\n"
	"	push %r9\n"
	"	push %rbx\n"
	"	push %r12\n"
	"	mov %rsp, %rbx\n"
	"	sub run_rw_xsize(%rip), %rsp\n"
	"	and $-64, %rsp\n"
	"	xor %ecx, %ecx\n"		/* the XSAVE header: zeroes */
	"	mov %rcx, 512(%rsp)\n"
	"	mov %rcx, 520(%rsp)\n"
	"	mov %rcx, 528(%rsp)\n"
	"	mov %rcx, 536(%rsp)\n"
	"	mov %rcx, 544(%rsp)\n"
	"	mov %rcx, 552(%rsp)\n"
	"	mov %rcx, 560(%rsp)\n"
	"	mov %rcx, 568(%rsp)\n"
	"	mov $-1, %eax\n"
	"	mov $-1, %edx\n"
	"	xsave64 (%rsp)\n"
	"	mov %rsp, %r12\n"
	"	mov %rbx, %rdi\n"
	"	cld\n"
	"	call run_rw_call\n"
	"	mov %rax, %rcx\n"
	"	mov $-1, %eax\n"
	"	mov $-1, %edx\n"
	"	xrstor64 (%r12)\n"
	"	mov %rcx, %rax\n"
	"	lea -72(%rbp), %rsp\n"
	"	pop %r12\n"
	"	pop %rbx\n"
	"	pop %r9\n"
	"	pop %r8\n"
	"	pop %r10\n"
	"	pop %rdx\n"
	"	pop %rsi\n"
	"	pop %rdi\n"
	"	add $8, %rsp\n"
	"	pop %rbp\n"
	"	popfq\n"
	"	ret\n"
	".size run_rw_entry, .-run_rw_entry\n");

static inline struct run_thread *
gs_self(void)
{
	struct run_thread *t;

	__asm__ volatile("mov %%gs:0, %0" : "=r"(t));
	return t;
}

/*
 * A direct call, with the program's thread pointer still loaded: nothing
 * here may use thread-local storage before the switch.
 */
long
run_rw_call(struct rw_frame *f)
{
	struct run_thread *t = gs_self();
	ucontext_t uc;
	greg_t *g = uc.uc_mcontext.gregs;
	unsigned long deferred;
	long args[6], ret;

	/* Signals first: the program's handlers must find the selector and
	 * the thread pointer as the program left them.  The program's
	 * handlers are strata-run's wrapper (run_signal.c), which puts a
	 * signal that arrives while in_direct is set back, pending and
	 * blocked, until the end of the call: no system call here unless
	 * one came. */
	t->in_direct = 1;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	t->selector = 0;			/* ALLOW */
	args[0] = f->rdi;
	args[1] = f->rsi;
	args[2] = f->rdx;
	args[3] = f->r10;
	args[4] = f->r8;
	args[5] = f->r9;
	/* I/O on a host descriptor: on the program's thread pointer. */
	if (!run_opt.trace && run_sys_fast(f->nr, args, &ret))
		goto done;
	/* (Until the program's C library loads its own thread pointer the
	 * program runs on strata-run's: nothing to switch.) */
	if (t->guest_fs != t->host_fs)
		run_set_fs(t->host_fs);
	/* The program's registers at the site, as a SIGSYS would show them
	 * (the calls that look further are taken by the trap). */
	memset(&uc.uc_sigmask, 0, sizeof(uc.uc_sigmask));
	memset(g, 0, sizeof(uc.uc_mcontext.gregs));
	g[REG_RDI] = args[0];
	g[REG_RSI] = args[1];
	g[REG_RDX] = args[2];
	g[REG_R10] = args[3];
	g[REG_R8] = args[4];
	g[REG_R9] = args[5];
	g[REG_RAX] = f->nr;
	g[REG_RBX] = f->rbx;
	g[REG_RBP] = f->rbp;
	g[REG_R12] = f->r12;
	g[REG_EFL] = f->flags;
	g[REG_RIP] = f->ret;
	g[REG_RSP] = (greg_t)(&f->ret + 1);
	uc.uc_mcontext.fpregs = NULL;
	ret = run_sys_dispatch(f->nr, args, &uc);
	/* To be made again (run_sig_restart): the entry returns to the
	 * site's call instruction, ret (the number) in rax. */
	if ((unsigned long)g[REG_RIP] != (unsigned long)f->ret)
		f->ret = g[REG_RIP];
	/* The call may have set the program's (ARCH_SET_FS). */
	if (t->guest_fs != t->host_fs)
		run_set_fs(t->guest_fs);
 done:
	t->selector = 1;			/* BLOCK */
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	t->in_direct = 0;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	/* Signals that came meanwhile: unblocked, they arrive now, in the
	 * program's state. */
	if ((deferred = t->deferred) != 0) {
		t->deferred = 0;
		raw6(SYS_rt_sigprocmask, SIG_UNBLOCK, (long)&deferred, 0, 8, 0,
		    0);
	}
	return ret;
}

/*
 * Sites: those rewritten and those refused, each in an open-addressing
 * set of addresses (never shrinking; a full set refuses further sites).
 */
#define RW_NSITES	4096
unsigned long run_rw_done[RW_NSITES];
static unsigned long rw_refused[RW_NSITES];
static pthread_mutex_t rw_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long rw_count;

static int
set_has(const unsigned long *set, unsigned long a)
{
	unsigned long i = (a * 0x9e3779b97f4a7c15ul) >> 52, n, v;

	for (n = 0; n < RW_NSITES; n++, i = (i + 1) % RW_NSITES) {
		v = __atomic_load_n(&set[i], __ATOMIC_ACQUIRE);
		if (v == a)
			return 1;
		if (v == 0)
			return 0;
	}
	return 0;
}

static int
set_add(unsigned long *set, unsigned long a)
{
	unsigned long i = (a * 0x9e3779b97f4a7c15ul) >> 52, n;

	for (n = 0; n < RW_NSITES - 1; n++, i = (i + 1) % RW_NSITES) {
		if (set[i] == a)
			return 0;
		if (set[i] == 0) {
			__atomic_store_n(&set[i], a, __ATOMIC_RELEASE);
			return 0;
		}
	}
	return ENOSPC;
}

/* The mapping holding a: its bounds, protection and path, from
 * /proc/self/maps.  0 or an errno. */
static int
find_mapping(unsigned long a, unsigned long *lo, unsigned long *hi,
    char perms[5], char *path, size_t pathlen)
{
	static char buf[65536];
	ssize_t n;
	size_t len = 0;
	char *line, *end;
	int fd;

	if ((fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC)) < 0)
		return errno;
	while (len < sizeof(buf) - 1 &&
	    (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = '\0';
	for (line = buf; *line != '\0'; line = end + 1) {
		unsigned long l, h, off;
		char p[5], dev[16];
		unsigned long ino;
		int pos = 0;

		if ((end = strchr(line, '\n')) == NULL)
			break;
		*end = '\0';
		if (sscanf(line, "%lx-%lx %4s %lx %15s %lu %n", &l, &h, p,
		    &off, dev, &ino, &pos) < 6)
			continue;
		if (a < l || a >= h)
			continue;
		*lo = l;
		*hi = h;
		memcpy(perms, p, 5);
		snprintf(path, pathlen, "%s", pos > 0 ? line + pos : "");
		return 0;
	}
	return ENOENT;
}

/* Rewrites the site at `site` (with rw_lock held).  0, or why not. */
static const char *
rewrite_locked(unsigned long site, char *path, size_t pathlen,
    unsigned long *base)
{
	unsigned long lo = 0, hi = 0, page;
	unsigned char ins[2];
	char perms[5] = "----";
	int prot;

	if ((site & 63) == 63)
		return "straddles a cache line";
	if (rumpuser_fcopyin((const void *)site, ins, 2) != 0 ||
	    ins[0] != 0x0f || ins[1] != 0x05)
		return "not a syscall instruction";
	if (find_mapping(site, &lo, &hi, perms, path, pathlen) != 0)
		return "no mapping";
	*base = lo;
	if (perms[1] != '-' || perms[2] != 'x' || perms[3] != 'p' ||
	    path[0] != '/' || site + 2 > hi)
		return "not in a private file-backed text mapping";
	prot = PROT_EXEC | (perms[0] == 'r' ? PROT_READ : 0);
	page = site & ~(unsigned long)(RW_PAGE - 1);
	/* Known as a site before any thread can call from it (the entry
	 * looks it up).  Stays known if the rewrite fails below: the set
	 * only matters to calls from it, which then never come. */
	if (set_add(run_rw_done, site) != 0)
		return "too many sites";
	/* Two pages when the instruction's second byte is on the next
	 * (impossible with the cache line check, but cheap to say). */
	if (mprotect((void *)page, RW_PAGE, prot | PROT_WRITE) != 0)
		return "mprotect refused";
	__atomic_store_n((uint16_t *)site, (uint16_t)0xd0ff, __ATOMIC_SEQ_CST);
	if (mprotect((void *)page, RW_PAGE, prot) != 0) {
		/* Cannot put the protection back: undo, say so. */
		__atomic_store_n((uint16_t *)site, (uint16_t)0x050f,
		    __ATOMIC_SEQ_CST);
		return "mprotect refused";
	}
	return NULL;
}

void
run_rw_site(unsigned long site)
{
	char path[256] = "";
	unsigned long base = 0;
	const char *why;

	if (!run_rw_active || set_has(rw_refused, site) ||
	    set_has(run_rw_done, site))
		return;
	pthread_mutex_lock(&rw_lock);
	if (set_has(rw_refused, site) || set_has(run_rw_done, site)) {
		pthread_mutex_unlock(&rw_lock);
		return;
	}
	why = rewrite_locked(site, path, sizeof(path), &base);
	if (why != NULL)
		(void)set_add(rw_refused, site);
	else
		rw_count++;
	pthread_mutex_unlock(&rw_lock);
	if (run_opt.trace) {
		if (why == NULL)
			fprintf(stderr, "strata-run: rewrite: syscall at %#lx "
			    "(%s+%#lx) is now call *%%rax\n", site, path,
			    site - base);
		else
			fprintf(stderr, "strata-run: rewrite: syscall at %#lx "
			    "left to dispatch: %s\n", site, why);
	}
}

int
run_rw_trap_return(unsigned long rip)
{

	return run_rw_active && rip == RW_TRAP + 2;
}

/*
 * A fault of the program at a rewritten site's call: a number the sled
 * does not cover.  The host answers such numbers with ENOSYS; so do we.
 * Returns 1 when the fault was that (uc is then ready to return to).
 */
int
run_rw_fault(siginfo_t *si, ucontext_t *uc)
{
	greg_t *g = uc->uc_mcontext.gregs;
	unsigned long rip = (unsigned long)g[REG_RIP], ret;
	unsigned long sp = (unsigned long)g[REG_RSP];

	if (!run_rw_active || si->si_signo != SIGSEGV)
		return 0;
	/* A non-canonical number: some CPUs fault on the call itself. */
	if ((unsigned long)g[REG_RAX] >= 0x800000000000ul &&
	    set_has(run_rw_done, rip)) {
		g[REG_RIP] = (greg_t)(rip + 2);
		g[REG_RAX] = -ENOSYS;
		return 1;
	}
	/* Landed on the page's hlt, or beyond the page (rip is where the
	 * call went, rax the number). */
	if (!((rip >= RW_STUB + 13 && rip < RW_PAGE) ||
	    (rip >= RW_PAGE && rip == (unsigned long)g[REG_RAX])))
		return 0;
	if (rumpuser_fcopyin((const void *)sp, &ret, sizeof(ret)) != 0 ||
	    !set_has(run_rw_done, ret - 2))
		return 0;
	g[REG_RIP] = (greg_t)ret;
	g[REG_RSP] = (greg_t)(sp + 8);
	g[REG_RAX] = -ENOSYS;
	return 1;
}

void
run_rw_init(void)
{
	static const unsigned short via_trap[] = {
		SYS_clone, SYS_clone3, SYS_fork, SYS_vfork, SYS_execve,
		SYS_execveat, SYS_exit,
		SYS_rt_sigsuspend, SYS_rt_sigtimedwait, SYS_poll, SYS_ppoll,
		SYS_select, SYS_pselect6, SYS_epoll_wait, SYS_epoll_pwait,
		SYS_epoll_pwait2,
	};
	unsigned int a, b, c, d;
	unsigned char *p;
	unsigned long entry = (unsigned long)run_rw_entry;
	size_t i;

	p = mmap(NULL, RW_PAGE, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (p == MAP_FAILED || p != NULL) {
		int e = p == MAP_FAILED ? errno : EEXIST;

		if (p != MAP_FAILED)
			munmap(p, RW_PAGE);
		if (run_opt.trace)
			fprintf(stderr, "strata-run: --rewrite: cannot map the "
			    "trampoline at address 0 (%s; it needs "
			    "vm.mmap_min_addr=0 or CAP_SYS_RAWIO): every call "
			    "goes through Syscall User Dispatch\n",
			    strerror(e));
		return;
	}
	/* (The compiler knows p is NULL here and would call its use an
	 * error: it is the address we asked for.) */
	__asm__("" : "+r"(p));
	memset(p, 0xf4, RW_PAGE);		/* hlt */
	memset(p, 0x90, RW_SLED);		/* nop */
	p[RW_STUB] = 0x49;			/* movabs $entry, %r11 */
	p[RW_STUB + 1] = 0xbb;
	memcpy(p + RW_STUB + 2, &entry, 8);
	p[RW_STUB + 10] = 0x41;			/* jmp *%r11 */
	p[RW_STUB + 11] = 0xff;
	p[RW_STUB + 12] = 0xe3;
	p[RW_TRAP] = 0x0f;			/* syscall */
	p[RW_TRAP + 1] = 0x05;
	p[RW_TRAP + 2] = 0x0f;			/* ud2 */
	p[RW_TRAP + 3] = 0x0b;
	/* Execute-only where the CPU has protection keys (a NULL read still
	 * faults); readable and executable elsewhere. */
	if (mprotect(p, RW_PAGE, PROT_EXEC) != 0) {
		munmap(p, RW_PAGE);
		return;
	}

	/* Direct calls save the extended state with XSAVE: its size for
	 * the features the kernel enabled (CPUID 0xd, 0: EBX). */
	if (__get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 27)) &&
	    __get_cpuid_count(0xd, 0, &a, &b, &c, &d) && b >= 576)
		run_rw_xsize = (b + 63) & ~63ul;
	for (i = 0; i < RW_SLED; i++) {
		if (i < sizeof(run_passthrough) && run_passthrough[i] &&
		    !run_opt.trace)
			run_rw_class[i] = RW_HOST;
		else
			run_rw_class[i] = run_rw_xsize != 0 ? RW_DIRECT :
			    RW_VIA_TRAP;
	}
	for (i = 0; i < sizeof(via_trap) / sizeof(via_trap[0]); i++)
		run_rw_class[via_trap[i]] = RW_VIA_TRAP;
	run_rw_class[SYS_rt_sigreturn] = RW_SIGRETURN;
	/* The ids strata-run knows (run_pid, run_thread.tid): no host
	 * call. */
	if (!run_opt.trace) {
		run_rw_class[SYS_getpid] = RW_GETPID;
		run_rw_class[SYS_gettid] = RW_GETTID;
	}
	/* munmap of the stack a thread runs on (musl's detached threads
	 * before their exit) needs the trap's handling; any other is the
	 * host's. */
	run_rw_class[SYS_munmap] = run_opt.trace ? RW_VIA_TRAP :
	    run_passthrough[SYS_munmap] ? RW_MUNMAP :
	    run_rw_xsize != 0 ? RW_MUNMAP_DIRECT : RW_VIA_TRAP;
	/* The thread's mask is the host's (direct calls block nothing):
	 * set there, with the host's own checks (EFAULT, EINVAL), and
	 * SIGSYS, through which the calls that trap arrive, unblocked
	 * again at once (no SIGSYS can come between: the two calls are
	 * made from strata-run's image). */
	run_rw_class[SYS_rt_sigprocmask] = run_opt.trace ? RW_VIA_TRAP :
	    RW_SIGMASK;
	run_rw_active = 1;
}
