/*
 * l2.h: layer 2 in the guest -- an unmodified static x86_64 Linux program
 * running as a unikernel on the kvm platform.  Private to platform/kvm/l2.
 *
 * The program runs in ring 3: its pages are the lower half's, with the U
 * bit; the kernel's (the upper half, shared by every address space) are
 * not.  Each process has its own lower half (l2_proc.c).  Its
 * `syscall` instruction enters l2_entry.S (LSTAR), which saves its
 * registers and returns into l2_thread_run(), the loop each program
 * thread's platform thread runs: enter the program, serve its call,
 * enter again.  Serving follows strata-run's policy (appstack/run) with
 * the platform in the host's place: memory, threads, futexes, time,
 * signals, processes and exit are the platform's (this directory); every
 * other call goes to the kernel's rump_syscall() unchanged, descriptors
 * included
 * (standard input, output and error are kernel pipes whose other ends
 * the platform drains to the console, l2_stdio.c).
 *
 *   l2_elf.c     the ELF loader and initial stack (also host-tested)
 *   l2_vm.c      address spaces: page tables, mmap, brk, fork's copy
 *   l2_entry.S   SYSCALL entry and SYSRET into the program
 *   l2_thread.c  program threads (clone), futexes, exit
 *   l2_proc.c    processes: fork, vfork, execve, wait, their end
 *   l2_signal.c  signals: kill, handlers' frames, sigreturn, sigsuspend
 *   l2_sys.c     the dispatcher: which call goes where
 *   l2_stdio.c   standard descriptors as kernel pipes, drained
 *   l2_plat.c    what l2 uses of the rest of platform/kvm
 *   l2_main.c    main() of an image baked from a static program
 *
 * Everything runs on one CPU under platform/common's cooperative
 * scheduler, with interrupts off outside the idle wait: the program too
 * (RFLAGS.IF clear in ring 3), so that nothing preempts it and a
 * futex's compare-and-block is atomic by construction.
 */
#ifndef L2_H
#define L2_H

#include <common/types.h>
#include <common/string.h>

#include "l2_elf.h"

/* Linux errno values (the program's ABI) that l2 returns itself. */
#define L2_EPERM	1
#define L2_ENOENT	2
#define L2_ESRCH	3
#define L2_EINTR	4
#define L2_EBADF	9
#define L2_EAGAIN	11
#define L2_EFAULT	14
#define L2_EPIPE	32
#define L2_EEXIST	17
#define L2_ENODEV	19
#define L2_ENOSYS	38
#define L2_ETIMEDOUT	110
/* Internal: an interrupted platform wait that starts again after a
 * handler with SA_RESTART, else is EINTR (l2_signal.c). */
#define L2_ERESTARTSYS	512

/*
 * The platform underneath (l2_plat.c in the guest; a host test supplies
 * its own).
 */
/* A zeroed 4 KiB page for page tables or program memory: its kernel
 * address (NULL when out of memory), and back. */
void *l2_plat_page_alloc(void);
void l2_plat_page_free(void *page);
/* Physical address of a kernel address of such a page, and back. */
uint64_t l2_plat_virt_to_phys(const void *p);
void *l2_plat_phys_to_virt(uint64_t pa);
/* The page map level 4 in use (kernel address) and whether EFER.NXE
 * is on (then non-executable pages get the NX bit). */
uint64_t *l2_plat_pml4(void);
bool l2_plat_nx(void);
/* Drops the TLB entry of va; all the lower half's entries. */
void l2_plat_invlpg(uint64_t va);
void l2_plat_tlb_flush(void);
/* The part of the address space the program may have: [*lo, *hi). */
void l2_plat_user_range(uint64_t *lo, uint64_t *hi);
/* The next byte the console received, or -1 (never blocks). */
int l2_plat_console_getc(void);
/* Blocks until the console has received something: true; false at once
 * where its input cannot interrupt (the caller polls then). */
bool l2_plat_console_wait(void);
/* Tells the host that the console may send (strata-boot --stdin). */
void l2_plat_console_ready(void);
/* The machine's memory, total and free, in bytes. */
void l2_plat_mem(uint64_t *total, uint64_t *free);

/*
 * The address space (l2_vm.c).  Addresses and lengths are whole pages
 * unless said otherwise; prot is L2_PROT_*.  Results are 0 or a Linux
 * errno.  The page tables are the only record of what is mapped: a
 * software bit marks a mapped page whether or not it is present
 * (PROT_NONE pages are mapped but not present, and get their memory
 * only when they are made accessible).
 */
/* An address space: its page map (the kernel's half shared), where its
 * mappings go, and how many processes use it (a vfork child borrows its
 * parent's).  l2_vm_cur is the running program thread's; the l2_vm_*
 * and l2_sys_* memory calls act on it. */
struct l2_vm {
	uint64_t	*pml4;
	uint64_t	 mmap_cursor;	/* next placement ends here */
	uint64_t	 brk_start, brk_cur;
	uint64_t	 pages;		/* its memory, tables included */
	int		 refs;
};
extern struct l2_vm *l2_vm_cur;

/* The first address space is the page map in use (the kernel's, whose
 * lower half is free); l2_vm_cur becomes it. */
int l2_vm_init(void);
/* A new empty address space (NULL when out of memory). */
struct l2_vm *l2_vm_create(void);
/* Copies every mapping of from into the empty to (fork): their memory is
 * shared copy-on-write, each side's first write to a page copies it; 0 or
 * ENOMEM (then to holds part: destroy it). */
int l2_vm_copy(struct l2_vm *from, struct l2_vm *to);
/* Frees vm's memory and tables, and vm unless it is the first one.  It
 * must not be the page map the CPU uses. */
void l2_vm_destroy(struct l2_vm *vm);
/* Maps fresh zeroed memory at [va, va + len), which must be unmapped. */
int l2_vm_map(uint64_t va, uint64_t len, int prot);
int l2_vm_unmap(uint64_t va, uint64_t len);
/* ENOMEM when part of the range is not mapped (nothing changed then). */
int l2_vm_protect(uint64_t va, uint64_t len, int prot);
/* Whether every page of [va, va + len) is unmapped / mapped. */
bool l2_vm_free(uint64_t va, uint64_t len);
bool l2_vm_mapped(uint64_t va, uint64_t len);
/* The protection of mapped page va, or -1. */
int l2_vm_prot(uint64_t va);
/* Kernel address of the memory behind mapped page va (giving it memory
 * if it has none yet), or NULL. */
void *l2_vm_frame(uint64_t va);
/* The same for writing: a frame shared copy-on-write is copied first
 * (NULL also when out of memory for that). */
void *l2_vm_frame_write(uint64_t va);
/* A page fault of the program at va (write: a write): true when it was a
 * write to memory shared copy-on-write, now copied, and the program goes
 * on; false when the fault is the program's own. */
bool l2_vm_fault(uint64_t va, bool write);
/* Copies between the program's memory and the kernel's, page by page
 * through the frames, checking the program's protections first (read
 * for copyin, write for copyout): 0, or EFAULT with nothing copied. */
int l2_copyin(uint64_t uaddr, void *kaddr, size_t len);
int l2_copyout(const void *kaddr, uint64_t uaddr, size_t len);
/* Whether va is in the program's part of the address space. */
bool l2_vm_user(uint64_t va);
/* Pages of program memory in use, page-table pages included. */
extern uint64_t l2_vm_pages;

/* Where things go: the stack at the top, mmap below it growing down,
 * the break after the program.  Set by l2_vm_layout() from the user range
 * and the loaded program. */
void l2_vm_layout(uint64_t prog_end, uint64_t stack_size,
    uint64_t *stack_lo);
/* A free range of len bytes for a mapping without an address. */
uint64_t l2_vm_place(uint64_t len);

/* The memory system calls, Linux semantics; results as the syscall
 * returns them (>= 0, or -errno). */
long l2_sys_mmap(uint64_t addr, uint64_t len, int prot, int flags, int fd,
    uint64_t off);
long l2_sys_munmap(uint64_t addr, uint64_t len);
long l2_sys_mprotect(uint64_t addr, uint64_t len, int prot);
long l2_sys_madvise(uint64_t addr, uint64_t len, int advice);
long l2_sys_mremap(uint64_t old, uint64_t oldlen, uint64_t newlen,
    int flags, uint64_t newaddr);
long l2_sys_brk(uint64_t addr);
/* mmap of a file (MAP_PRIVATE): reads len bytes at off of descriptor fd
 * into the program's buffer at va; returns bytes read or -errno.
 * l2_sys.c's, through the kernel. */
long l2_vm_file_read(int fd, uint64_t va, uint64_t len, uint64_t off);

/*
 * Threads (l2_thread.c, l2_entry.S).
 */

/* The program's registers, saved at its system call (the layout
 * l2_entry.S pushes, lowest address first). */
struct l2_uregs {
	uint64_t r15, r14, r13, r12, rbp, rbx;
	uint64_t r11, r10, r9, r8, rax, rcx, rdx, rsi, rdi;
	uint64_t rip, rflags, rsp;
};

struct l2_thread {
	struct l2_uregs	 regs;
	/* fxsave area: the program's x87/SSE state while it is not
	 * running (the kernel's own code may use SSE). */
	unsigned char	 fpu[512] __attribute__((__aligned__(16)));
	uint64_t	 fsbase;
	int		 tid;
	uint64_t	 clear_child_tid;	/* set_tid_address */
	uint64_t	 robust_list;		/* set_robust_list head */
	uint64_t	 sigmask;
	uint64_t	 waitset;		/* rt_sigtimedwait's set */
	uint64_t	 ss_sp, ss_size;	/* sigaltstack, when ss_on */
	bool		 ss_on;
	bool		 ss_autodisarm;		/* SS_AUTODISARM */
	uint64_t	 saved_mask;		/* rt_sigsuspend's caller's */
	bool		 restart_mask;		/* saved_mask to go back */
	bool		 intr;			/* in an interruptible wait */
	uint64_t	 orig_rax;		/* the call's number */
	int		 fault_sig;		/* ended by an exception */
	bool		 kmarked;		/* its lwp interrupted */
	bool		 doomed;		/* ends at its next turn */
	struct lwp	*lwp;			/* its kernel lwp */
	struct thread	*sched;			/* its platform thread */
	struct l2_proc	*proc;			/* its process */
	bool		 in_call;		/* serving its system call */
	struct l2_thread *next;			/* all threads */
	struct l2_thread *pnext;		/* its process's threads */
};

/*
 * A process (l2_proc.c): an address space, a kernel process (descriptors,
 * cwd, credentials: the kernel's), signal dispositions, and what wait
 * needs -- the kernel has no process table with exit statuses, so the
 * platform keeps it.  The pid is the kernel process's.
 */
struct l2_image;
/* What a signal's siginfo says besides its number. */
struct l2_siginfo {
	int		 code, pid, uid;
	uint64_t	 val;		/* si_value; SIGCHLD: si_status */
};
struct l2_sigq {
	struct l2_sigq	*next;
	int		 sig;
	struct l2_siginfo info;
};
struct l2_proc {
	int		 pid;
	int		 pgid;		/* process group */
	int		 sid;		/* session */
	bool		 execed;	/* has run execve (setpgid: EACCES) */
	struct l2_proc	*parent;	/* NULL: nobody waits for it */
	struct l2_proc	*children;	/* live and zombie, by sibling */
	struct l2_proc	*sibling;
	struct l2_proc	*next;		/* all processes */
	struct l2_vm	*vm;
	struct l2_image	*exe;		/* what it runs (/proc/self/exe) */
	struct l2_thread *threads;
	int		 nthreads;
	bool		 zombie;	/* ended, status kept for wait */
	bool		 exiting;	/* its threads end at their next turn */
	int		 wstatus;	/* wait status: code << 8, or signal */
	struct vfork_wait *vfork_wait;	/* its parent's thread waiting for
					   its exec or end (vfork) */
	struct l2_waiter *waiters;	/* its threads in wait4/waitid */
	struct l2_sigaction {
		uint64_t handler, flags, restorer, mask;
	} sigact[65];			/* rt_sigaction's struct, x86_64 */
	uint64_t	 pending;	/* signals sent, not yet taken */
	struct l2_siginfo siginfo[32];	/* of each pending standard one */
	struct l2_sigq	*queue;		/* pending real-time ones, in the
					   order sent (several of one) */
	int		 nqueued;
};
/* Every process, zombies included. */
extern struct l2_proc *l2_procs;

/*
 * Signals (l2_signal.c).
 */
/* Sends sig to p (siginfo's code, sender's pid, SIGCHLD's status). */
void l2_signal_send(struct l2_proc *p, int sig, int code, int pid,
    int status);
/* The same with a whole siginfo: 0, or EAGAIN when p has as many
 * real-time signals queued as it may. */
int l2_signal_post(struct l2_proc *p, int sig, const struct l2_siginfo *si);
/* Drops p's pending sig (its disposition became SIG_IGN), or all (end
 * of the process). */
void l2_signal_discard(struct l2_proc *p, int sig);
void l2_signal_clear(struct l2_proc *p);
long l2_sys_sigqueueinfo(struct l2_thread *t, int tgid, int tid, int sig,
    uint64_t uinfo);
long l2_sys_sigtimedwait(struct l2_thread *t, uint64_t uset, uint64_t uinfo,
    uint64_t uts, uint64_t size);
long l2_sys_sigaltstack(struct l2_thread *t, uint64_t uss, uint64_t uold);
/* Whether t has a signal to take now. */
bool l2_signal_pending(const struct l2_thread *t);
/* Ends t's interruptible wait (the platform's or the kernel's). */
void l2_signal_kick(struct l2_thread *t);
/* On t's way back to the program: takes a signal (a handler's frame, or
 * the end of the process), finishes an interrupted call. */
void l2_signal_deliver(struct l2_thread *t);
long l2_sys_kill(struct l2_thread *t, int pid, int sig);
long l2_sys_tgkill(struct l2_thread *t, int tgid, int tid, int sig);
long l2_sys_rt_sigreturn(struct l2_thread *t);
long l2_sys_sigsuspend(struct l2_thread *t, uint64_t umask, uint64_t size);
/* The x87/SSE state of a new program into fpu (512 bytes). */
void l2_fpu_init(unsigned char *fpu);
/* The first program's process: its end is the machine's. */
extern struct l2_proc *l2_init_proc;

/* Enters the program with t's registers; returns at its next system
 * call with them updated (l2_entry.S). */
void l2_user_run(struct l2_uregs *regs);
/* Sets up SYSCALL (EFER.SCE, STAR, LSTAR, SFMASK). */
void l2_entry_init(void);
/* From an exception of the program: back on the kernel stack, out of the
 * thread's l2_user_run as if it had made a system call (l2_entry.S). */
void l2_user_abandon(void) __attribute__((__noreturn__));

/* Runs thread t (the program's main thread on the calling platform
 * thread) until the program ends; never returns. */
void l2_thread_run(struct l2_thread *t) __attribute__((__noreturn__));
/* The program's first thread, in process p. */
struct l2_thread *l2_thread_main(struct l2_proc *p, uint64_t entry,
    uint64_t sp);
/* A thread for process p, registers copied from parent's (rax 0), on a
 * new platform thread bound to lwp; NULL when out of memory. */
struct l2_thread *l2_thread_spawn(struct l2_proc *p,
    const struct l2_thread *parent, struct lwp *lwp, int tid);
/* Unlinks and frees thread t (the caller) and ends its platform thread
 * after releasing its kernel lwp. */
void l2_thread_end(struct l2_thread *t) __attribute__((__noreturn__));
/* The page map of p's address space goes to the CPU if not there. */
void l2_space_load(struct l2_vm *vm);
/* The page map at l2_vm_init (no program's lower half in it). */
void l2_space_load_kernel(void);

/* Thread system calls. */
long l2_sys_clone(struct l2_thread *t, uint64_t flags, uint64_t newsp,
    uint64_t ptid, uint64_t ctid, uint64_t tls);
long l2_sys_futex(struct l2_thread *t, uint64_t uaddr, int op, uint32_t val,
    uint64_t timeout, uint64_t uaddr2, uint32_t val3);
void l2_sys_exit(struct l2_thread *t, int status) __attribute__((__noreturn__));
/* The process of t ends with wait status wstatus (code << 8, or the
 * signal); the first program's end powers the machine off. */
void l2_proc_exit(struct l2_thread *t, int wstatus)
    __attribute__((__noreturn__));
/* The machine goes off with the exit status (sync, unmount, flush). */
void l2_exit_group(int status) __attribute__((__noreturn__));

/* Processes (l2_proc.c). */
int l2_proc_init(int pid, const unsigned char *image, size_t len,
    const char *name);
/* The last thread of p has ended: memory freed, parent told. */
void l2_proc_release(struct l2_proc *p);
/* Wakes p's threads waiting on futexes (l2_thread.c), all or all but
 * one. */
void l2_futex_wake_proc(struct l2_proc *p);
void l2_futex_wake_threads(struct l2_proc *p, struct l2_thread *but);
/* Loads the static ELF program bytes[len] into the (empty) address space
 * l2_vm_cur, which is the page map in use, with its stack, argv and envp
 * (AT_EXECFN execfn): its entry and initial stack pointer, or an errno
 * with *why saying what failed. */
int l2_image_load(const unsigned char *bytes, size_t len, const char *execfn,
    const char *const *argv, const char *const *envp, uint64_t *entry,
    uint64_t *sp, const char **why);
long l2_sys_fork(struct l2_thread *t, uint64_t flags, uint64_t newsp,
    uint64_t ptid, uint64_t ctid, uint64_t tls);
long l2_sys_execve(struct l2_thread *t, uint64_t path, uint64_t argv,
    uint64_t envp);
long l2_sys_wait4(struct l2_thread *t, int pid, uint64_t status,
    int options, uint64_t rusage);
long l2_sys_waitid(struct l2_thread *t, int idtype, int id, uint64_t info,
    int options, uint64_t rusage);
/* Process groups and sessions, Linux's rules (l2_proc.c). */
long l2_sys_setpgid(struct l2_thread *t, int pid, int pgid);
long l2_sys_getpgid(struct l2_thread *t, int pid);
long l2_sys_setsid(struct l2_thread *t);
long l2_sys_getsid(struct l2_thread *t, int pid);
/* A kernel system call with kernel-memory arguments on behalf of the
 * calling program thread (its copies are not checked against the
 * program's memory). */
long l2_ksys_k(struct l2_thread *t, long nr, long a0, long a1, long a2,
    long a3, long a4, long a5);
/* The thread serving the system call in progress on the calling platform
 * thread, or NULL (l2_thread.c). */
struct l2_thread *l2_curthread(void);

/*
 * The dispatcher (l2_sys.c): serves t's system call in t->regs.
 */
void l2_syscall(struct l2_thread *t);
/* The kernel's numeric entry (<rump/rump_syscalls.h>, which needs host
 * types this freestanding code does not have). */
int rump_syscall(int nr, void *args, long *retval);
/* A kernel system call for the program: result or -errno. */
long l2_ksys(long nr, long a0, long a1, long a2, long a3, long a4, long a5);

/*
 * Standard descriptors (l2_stdio.c).
 */
/* Makes the program's kernel process, bound to the caller, with
 * descriptors 0, 1, 2: standard input empty, output and error drained to
 * the console by the platform's own kernel process. */
int l2_stdio_init(void);
/* Writes out what is still in the pipes (at exit). */
void l2_stdio_flush(void);

/* File systems mounted for the program before it starts (l2_main.c,
 * parameters STRATA_MOUNT...), unmounted cleanly at exit: closes the
 * program's descriptors first. */
int l2_mounts_init(void);
/* STRATA_NET...: the program's network interfaces (l2_main.c). */
int l2_net_init(void);
void l2_mounts_fini(void);
/* Set once the program is ending: the platform's own kernel calls from
 * then on pass kernel memory, whatever thread makes them. */
extern bool l2_exiting;

/* Prints a message of l2 itself to the console ("strata: ..."). */
void l2_printf(const char *fmt, ...)
    __attribute__((__format__(__printf__, 1, 2)));

#endif /* L2_H */
