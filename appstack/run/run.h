/*
 * run.h: strata-run, private interfaces between its files.
 *
 * strata-run loads an unmodified Linux program (its ELF image and, for a
 * dynamic one, its interpreter) into its own process, next to a rump
 * kernel, and serves the program's system calls: Syscall User Dispatch
 * makes every system call instruction outside strata-run's own image
 * raise SIGSYS, and the handler (run_sud.c) decides per call, by the
 * policy of run_sys.c, whether the rump kernel or the host does it.
 *
 *   run_main.c   options, kernel boot, host trees copied in, start
 *   run_elf.c    loading the program and building its initial stack
 *   run_sud.c    the SIGSYS entry: per-thread state, FS base switching
 *   run_sys.c    the policy: which call goes where, descriptors, paths
 *   run_fdtab.tab  every call's descriptor arguments (run_fdtab.c)
 *   run_rewrite.c  --rewrite: syscall sites turned into direct calls
 *   run_signal.c   the program's signals, interrupted kernel calls
 *
 * x86_64 only (the register conventions of the signal frame and the FS
 * base switch are that architecture's).
 */
#ifndef STRATA_RUN_H
#define STRATA_RUN_H

#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <signal.h>
#include <sys/types.h>
#include <ucontext.h>

struct lwp;

/* A record of Linux's getdents64, as the kernel and the host give it. */
struct run_dirent64 {
	uint64_t	ino;
	int64_t		off;
	unsigned short	reclen;
	unsigned char	type;
	char		name[];
};

/* Options that shape the policy (run_main.c fills them in). */
struct run_options {
	int trace;			/* --trace: every call, strace-style */
	int rewrite;			/* --rewrite: sites become calls */
	const char *server;		/* --server: remote kernel URL, or NULL */
	const char *cwd;		/* --cwd: the program's kernel cwd */
	/* Path prefixes served by the host: read-only (--host-ro, and the
	 * system directories by default) or read-write (--host). */
	const char **host_ro;
	size_t nhost_ro;
	const char **host_rw;
	size_t nhost_rw;
};
extern struct run_options run_opt;

/*
 * Per-thread state, reached through the GS base (x86_64 user space
 * leaves GS unused: glibc and musl keep their thread pointer in FS).
 * Offset 0 holds the block's own address, so that `mov %gs:0` finds it
 * whatever FS the program has loaded.
 */
struct run_thread {
	struct run_thread *self;
	/* Syscall User Dispatch selector: ALLOW while strata-run's own code
	 * runs (so that its host calls outside its image, e.g. in the vDSO,
	 * go through), BLOCK while the program runs. */
	volatile char selector;
	unsigned long host_fs;		/* strata-run's thread pointer */
	unsigned long guest_fs;		/* the program's */
	pid_t tid;			/* the host thread it belongs to */
	/* Threads the program made (clone of a thread): where strata-run's
	 * own start function was left when the thread entered the program
	 * (0 for the main thread), the program's CLONE_CHILD_CLEARTID word,
	 * and a stack the thread unmapped on its way out (musl's detached
	 * threads do that). */
	unsigned long host_sp;
	unsigned long clear_tid;
	unsigned long unmap_addr, unmap_len;
	/* --rewrite's direct calls (run_rewrite.c): set while strata-run's
	 * code runs one, so that a signal arriving then waits (deferred:
	 * the signals put back pending and blocked meanwhile). */
	volatile int in_direct;
	volatile unsigned long deferred;
	/* Signals (run_signal.c): in_guest while a host call is made in
	 * the program's state (its handlers may run then); in_kcall while
	 * a kernel call that may wait is made (in-process); intr_req: a
	 * deferred signal asks the interrupter to end that call;
	 * intr_sent: it did (under klock); lwp: the thread's kernel lwp. */
	volatile int in_guest;
	volatile int in_kcall;
	int intr_req;
	int intr_sent;			/* atomic: read without klock */
	struct lwp *lwp;
	struct rumpclient_lwp *rlwp;	/* remote: librumpclient's handle */
	pthread_mutex_t klock;
	struct run_thread *intr_next;	/* the interrupter's list */
};

/* The kernel's struct sigaction on x86_64 (rt_sigaction's argument). */
struct run_ksigaction {
	unsigned long handler, flags, restorer, mask;
};
/* The program's SIGSEGV or SIGBUS disposition: set from act (if not
 * NULL), the previous one returned in old (if not NULL).  Kept by
 * strata-run, whose own fault handler calls the program's for faults of
 * the program.  Returns 0. */
int run_sud_fault_action(int sig, const struct run_ksigaction *act,
    struct run_ksigaction *old);
/* Sets up the calling (main) thread's block and the SIGSYS and fault
 * handlers; 0 or an errno. */
int run_sud_init(void);
/* Turns interception on for the calling thread: from now on its system
 * calls outside strata-run's image raise SIGSYS.  0 or an errno. */
int run_sud_enable(void);
/* Jumps to entry with the stack pointer at sp (the System V process
 * entry: %rdx 0, no atexit function).  The program's FS is fs. */
__attribute__((__noreturn__)) void run_sud_start(unsigned long entry,
    unsigned long sp);
/* Starts the program an in-process exec loaded (run_sys.c), from the
 * SIGSYS handler: mask is the program's signal mask, [unmap, unmap +
 * unmap_len) the old program's stack (the handler's), unmapped once the
 * stack pointer is sp. */
__attribute__((__noreturn__)) void run_sud_exec_start(unsigned long entry,
    unsigned long sp, const sigset_t *mask, unsigned long unmap,
    unsigned long unmap_len);
/* clone() of a thread (CLONE_THREAD) for the program, from the SIGSYS
 * handler: a host thread of strata-run's, with a block of its own and
 * interception on, that continues the program in the new thread from
 * the registers in uc (the program's at the call), with 0 in %rax and
 * its stack at newsp.  Returns the new thread's id or -errno. */
long run_sud_clone_thread(unsigned long flags, unsigned long newsp,
    unsigned long ptid, unsigned long ctid, unsigned long tls,
    const ucontext_t *uc);
/* The program's thread t (made by run_sud_clone_thread) ends: back to
 * strata-run's start function of the thread, off the program's stack,
 * which ends the host thread. */
__attribute__((__noreturn__)) void run_sud_thread_exit(struct run_thread *t);
/* The calling thread's block. */
struct run_thread *run_self(void);
/* The process's id on the host, for the program's getpid: it only
 * changes in a child of the program's fork (run_sys.c's do_fork, which
 * sets it anew), so the host is never asked again (the thread's own id
 * is the block's tid).  Set by run_sud_init(). */
extern pid_t run_pid;
/* A system call on the host, whatever interception says: -errno or the
 * result. */
long run_host_syscall(long nr, long a0, long a1, long a2, long a3,
    long a4, long a5);
/* The same inline: the syscall instruction itself, from strata-run's own
 * image (which dispatch lets through), for the signal handlers and the
 * rewrite trampoline's paths, which should not pay for a call. */
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
/*
 * The thread pointer switch between the program's and strata-run's, made
 * on every call that enters strata-run's C environment.  With the
 * FSGSBASE instructions (the host kernel says so in AT_HWCAP2) it is one
 * instruction; without them a system call, ARCH_SET_FS, which costs more
 * than a signal on some virtual machines (bench_sud_floor).
 */
extern int run_fsgsbase;
static inline void
run_set_fs(unsigned long fs)
{

	if (run_fsgsbase)
		__asm__ volatile("wrfsbase %0" : : "r"(fs) : "memory");
	else
		raw6(158 /* SYS_arch_prctl */, 0x1002 /* ARCH_SET_FS */,
		    (long)fs, 0, 0, 0, 0);
}
/* Leaves the SIGSYS frame for the program's rt_sigreturn: restores the
 * program's FS and returns from the program's signal frame at sp. */
__attribute__((__noreturn__)) void run_sud_sigreturn(unsigned long sp,
    unsigned long guest_fs);

/*
 * The program image (run_elf.c).
 */
struct run_image {
	unsigned long entry;		/* where to jump: interpreter's or own */
	unsigned long sp;		/* initial stack pointer */
	unsigned long brk_start;	/* end of the executable's data */
	unsigned long brk_limit;	/* end of the room for its break */
	const char *path;		/* the program's host path */
	/* What the load mapped: the executable's and the interpreter's
	 * reservations (with the break's room; length 0: none) and the
	 * initial stack, which an in-process exec unmaps. */
	unsigned long span[2][2];
	unsigned long stack, stack_len;
};
/* Loads the host file path with interpreter (if it names one), builds
 * the stack with argv and envp.  0 or an errno; *why says what failed. */
int run_elf_load(const char *path, char *const argv[], char *const envp[],
    struct run_image *img, const char **why);

/*
 * The policy (run_sys.c).
 */
/* Sets up the descriptor table (0, 1, 2: the host's) and the program's
 * break.  0 or an errno. */
int run_sys_init(const struct run_image *img);
/* Non-zero for the numbers the host serves exactly as the program made
 * them (no descriptor, path or signal translation): run_sud.c makes
 * those without entering strata-run's C environment. */
extern unsigned char run_passthrough[512];
/*
 * What dispatch()'s default path knows of each system call (run_fdtab.c,
 * generated from run_fdtab.tab, which says what the fields mean): which
 * arguments are descriptors of the program, translated there, and
 * where the call goes.  Indexed by number; a number without a line is
 * the kernel's, with no descriptor argument.
 */
#define RUN_NSYS		512
#define RUN_W_KERNEL		0
#define RUN_W_FD		1
#define RUN_W_HOST		2
#define RUN_W_SPECIAL		3
#define RUN_W_SUD		4
#define RUN_EMU_NONE		0
#define RUN_EMU_ADVICE		1
#define RUN_EMU_SYNC		2
#define RUN_EMU_SENDFILE	3
#define RUN_EMU_SPLICE		4
#define RUN_EMU_VEC		5
struct run_fdspec {
	unsigned char fd;		/* bit i: argument i is a descriptor */
	unsigned char cwd;		/* bit i: it may be AT_FDCWD */
	unsigned char none;		/* bit i: it may be -1 */
	unsigned char where;		/* RUN_W_* */
	unsigned char newfd;		/* the result is a new descriptor */
	unsigned char emu;		/* RUN_EMU_* */
	short mixed;			/* errno: host and kernel mixed (0:
					 * EBADF) */
	short kfd;			/* errno: a kernel descriptor given to
					 * a host call (0: EBADF) */
	short nosys;			/* errno instead of the kernel's ENOSYS
					 * (0: ENOSYS) */
};
extern const struct run_fdspec run_fdtab[RUN_NSYS];
/* Serves system call nr with args; returns the result or -errno.  uc is
 * the program's context at the call (fork and exec need its registers
 * and signal mask). */
long run_sys_dispatch(long nr, long args[6], ucontext_t *uc);
/* The calls that need nothing of strata-run's C environment (no thread-
 * local storage, no lock, no kernel): I/O on a host descriptor (standard
 * output, files kept on the host), made with the program's thread
 * pointer still loaded, which saves both switches.  Returns 1 with the
 * result in *ret (exactly what run_sys_dispatch() would have returned),
 * or 0 when the call is not such a one.  Never with --trace. */
int run_sys_fast(long nr, const long args[6], long *ret);
/* Binds the calling (new) host thread to the program's kernel process
 * (in-process: a new lwp of it; remote: librumpclient connects each
 * thread on its first call) and undoes it.  0 or an errno. */
int run_sys_thread_begin(void);
void run_sys_thread_end(void);
/* A system call of the kernel (in-process, or the server's in remote
 * mode): the result or -errno. */
long run_ksys(long nr, long a0, long a1, long a2, long a3, long a4,
    long a5);
/*
 * The program's descriptor table (run_sys.c): program numbers 0..NFD-1,
 * each the host's or the kernel's descriptor `real`.  An epoll instance
 * is a host epoll descriptor (kind FD_HOST) with an epoll object (ep >=
 * 0, run_poll.c) that holds the kernel's half.
 */
#define NFD		1024
#define FD_HOST		1
#define FD_RUMP		2
struct gfd {
	unsigned char kind;
	int real;
	int ep;				/* epoll object, or -1 */
	unsigned char fddir;		/* the host's /proc/self/fd, listed
					 * as the program's table */
};
/* Or'ed into a kind given to run_fd_enter(): the entry is an fddir. */
#define FD_FDDIR	0x80
/* Entry g copied into *buf; NULL when g is not open. */
struct gfd *run_fd_get(long g, struct gfd *buf);
/* Enters real (a result: < 0 is returned as it is) at the lowest free
 * number >= min, holding ep's reference; closes it when the table is
 * full (-EMFILE). */
long run_fd_enter(int min, int kind, long real, int ep);

/*
 * Waiting (run_poll.c): poll, ppoll, select, pselect6 and epoll over
 * host and kernel descriptors alike.  mask is the program's signal mask
 * at the call (a wait on the host is made with it, or with the mask the
 * call names).
 */
long run_poll_call(long nr, const long a[6], const sigset_t *mask);
long run_epoll_create(long flags);
long run_epoll_ctl(long epfd, long op, long fd, long uevent);
void run_ep_ref(int ep);
void run_ep_unref(int ep);
/* A host system call made as the program would make it: with the
 * program's thread pointer and interception on, so that a signal the
 * call lets in runs the program's handler as usual (ppoll's or
 * rt_sigsuspend's mask).  -errno or the result. */
long run_host_syscall_guest(long nr, long a0, long a1, long a2, long a3,
    long a4, long a5);

/* The program's cwd becomes host directory path (absolute; a chdir into
 * a host path, or --host-cwd from an exec), or the kernel's (NULL). */
void run_sys_set_host_cwd(const char *path);
/* The descriptor table handed over by an exec (--fd-map); 0 or EINVAL. */
int run_sys_fdmap(const char *map);
/* The argument vector for exec'ing *prog with args (args[0] kept): for
 * a "#!" script, *prog becomes its interpreter (run_main.c). */
char **run_exec_argv(char **prog, char **args);
/*
 * The program's own mappings (run_map.c), which an in-process exec
 * unmaps.  run_map_init() starts the record (in-process only) and takes
 * munmap and mremap off run_passthrough, before run_rw_init().
 */
void run_map_init(void);
void run_map_add(unsigned long addr, unsigned long len);
void run_map_remove(unsigned long addr, unsigned long len);
/* The program's munmap and mremap (a: its arguments), recorded: the
 * result or -errno.  No lock of the C library, no thread-local storage
 * (run_sys_fast). */
long run_map_munmap(long addr, long len);
long run_map_mremap(const long a[6]);
/* Unmaps every mapping the program made, but one holding address keep
 * (the stack the exec runs on); the number of ranges unmapped. */
int run_map_exec(unsigned long keep);
/* Taken before a fork (after 0), let go after it in both processes
 * (after 1). */
void run_map_fork(int after);
/* What --list-at-exit asked for, done when the program exits. */
void run_at_exit(void);
/* Looks a path up in the host for --copy-in: copies host tree src into
 * the kernel at dst.  0 or an errno; *why says which file failed. */
int run_copy_in(const char *src, const char *dst, const char **why);

/*
 * --rewrite (run_rewrite.c).
 */
/* Non-zero once the trampoline page is mapped and rewriting is on. */
extern int run_rw_active;
/* Maps the trampoline at address 0 and sorts the numbers; leaves
 * run_rw_active 0 (saying why with --trace) when it cannot. */
void run_rw_init(void);
/* Rewrites the syscall instruction at site (the SIGSYS's address less
 * 2) into a call of the trampoline, when that is safe; once per site. */
void run_rw_site(unsigned long site);
/* Non-zero when a SIGSYS at rip is the trampoline's own trapped call
 * (the program's site is then the return address on its stack). */
int run_rw_trap_return(unsigned long rip);
/* A fault of a rewritten site's call with a number the trampoline does
 * not cover: made ENOSYS (1), or not such a fault (0). */
int run_rw_fault(siginfo_t *si, ucontext_t *uc);

/*
 * Signals (run_signal.c).
 */
/* The program's rt_sigaction of sig (not SIGSYS, SIGSEGV, SIGBUS): a
 * handler is installed as strata-run's wrapper, which defers a signal
 * that comes while strata-run serves a call; old gets the program's own.
 * -errno or 0. */
long run_sig_action(long sig, const struct run_ksigaction *act,
    struct run_ksigaction *old);
/* A call that ended with ERESTARTSYS (interrupted): made again after
 * the deferred signal's handler if that has SA_RESTART (uc's rip put back
 * on the instruction; returns nr for rax), else -EINTR. */
long run_sig_restart(long nr, ucontext_t *uc);
/* Starts the interrupter (of the in-process kernel's calls, or of the
 * server's); 0 or an errno. */
int run_sig_init(void);
/* The calling thread (block t, its lwp bound) may now have its kernel
 * calls interrupted; and no longer. */
void run_sig_thread_begin(struct run_thread *t);
void run_sig_thread_end(struct run_thread *t);
/* An exec in-process: the program's handlers become the default action
 * (ignored signals stay ignored) and its alternate stack is dropped. */
void run_sig_exec(void);
/* In a forked child (remote mode), its only thread: a new interrupter. */
void run_sig_forked(void);
/* Around a kernel call of the calling thread (run_ksys). */
struct run_thread *run_sig_kcall_begin(void);
void run_sig_kcall_end(struct run_thread *t);

#endif /* STRATA_RUN_H */
