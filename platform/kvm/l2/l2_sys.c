/*
 * l2_sys.c: which of the program's system calls the platform serves and
 * which the kernel does (l2.h).
 *
 * The policy is strata-run's (appstack/run/run_sys.c, strata-run(1)) with
 * the platform standing where the host stands there:
 *  - the platform: memory (mmap, munmap, mprotect, madvise, mremap, brk,
 *    msync, mincore, mlock), threads (clone, exit, futex, set_tid_address,
 *    set_robust_list, gettid, arch_prctl), time (clock_gettime and
 *    friends, nanosleep), scheduling (sched_yield, sched_getaffinity),
 *    signals (dispositions, masks, kill, handlers: l2_signal.c), process
 *    identity (getpid),
 *    resource limits, exit and exit_group;
 *  - the kernel, unchanged through rump_syscall(): everything else --
 *    files, directories, pipes, sockets, descriptors (0, 1, 2 included:
 *    l2_stdio.c), cwd, umask, credentials, uname, getrandom.  A call the
 *    kernel lacks returns its ENOSYS.
 *  - processes: fork, vfork, clone without CLONE_THREAD, execve, wait4
 *    and waitid (l2_proc.c); the kernel serves getppid.
 * With the parameter STRATA_TRACE set, every call is printed with its
 * result, strace-style.
 */
#include "l2.h"

#include <rump/rumpuser.h>
#include <rump/rump.h>

#include "rumpuser_common.h"
#include "scheduler.h"

/* Linux x86_64 system call numbers the platform serves. */
enum {
	NR_mmap = 9, NR_mprotect = 10, NR_munmap = 11, NR_brk = 12,
	NR_rt_sigaction = 13, NR_rt_sigprocmask = 14, NR_rt_sigreturn = 15,
	NR_sched_yield = 24, NR_mremap = 25, NR_msync = 26, NR_mincore = 27,
	NR_madvise = 28, NR_nanosleep = 35, NR_getpid = 39, NR_clone = 56,
	NR_fork = 57, NR_vfork = 58, NR_execve = 59, NR_exit = 60,
	NR_kill = 62, NR_gettimeofday = 96, NR_getrlimit = 97,
	NR_getrusage = 98, NR_sysinfo = 99, NR_times = 100,
	NR_sigaltstack = 131, NR_personality = 135, NR_mlock = 149,
	NR_munlock = 150, NR_mlockall = 151, NR_munlockall = 152,
	NR_arch_prctl = 158, NR_setrlimit = 160, NR_gettid = 186,
	NR_tkill = 200, NR_time = 201, NR_futex = 202,
	NR_sched_getaffinity = 204, NR_set_tid_address = 218,
	NR_clock_gettime = 228, NR_clock_getres = 229,
	NR_clock_nanosleep = 230, NR_exit_group = 231, NR_tgkill = 234,
	NR_set_robust_list = 273, NR_get_robust_list = 274,
	NR_wait4 = 61, NR_waitid = 247, NR_pause = 34,
	NR_rt_sigpending = 127, NR_rt_sigsuspend = 130,
	NR_prlimit64 = 302, NR_getcpu = 309, NR_execveat = 322,
	NR_mlock2 = 325, NR_rseq = 334, NR_clone3 = 435,
	NR_setpgid = 109, NR_getpgrp = 111, NR_setsid = 112,
	NR_getpgid = 121, NR_getsid = 124, NR_rt_sigtimedwait = 128,
	NR_rt_sigqueueinfo = 129, NR_rt_tgsigqueueinfo = 297,
};

#define ARCH_SET_GS	0x1001
#define ARCH_SET_FS	0x1002
#define ARCH_GET_FS	0x1003
#define ARCH_GET_GS	0x1004

#define USER_CANONICAL_END	0x0000800000000000ull

struct timespec64 {
	int64_t tv_sec;
	int64_t tv_nsec;
};

struct rlimit64 {
	uint64_t cur, max;
};
#define RLIM_INFINITY	(~0ull)
#define RLIMIT_STACK	3
#define RLIMIT_NOFILE	7
#define RLIM_NLIMITS	16

/* Resource limits: kept as set (the kernel enforces its own descriptor
 * limit; the stack's is what the program got). */
static struct rlimit64 limits[RLIM_NLIMITS];
static bool limits_set;
uint64_t l2_stack_size;

/* Signal dispositions are per process (struct l2_proc). */
#define sigact	(t->proc->sigact)
#define SIG_DFL		0
#define SIG_IGN		1

static bool trace;

long
l2_ksys(long nr, long a0, long a1, long a2, long a3, long a4, long a5)
{
	long args[6] = { a0, a1, a2, a3, a4, a5 };
	long rv[2] = { 0, 0 };
	int error;

	error = rump_syscall((int)nr, args, rv);
	return error != 0 ? -error : rv[0];
}

long
l2_vm_file_read(int fd, uint64_t va, uint64_t len, uint64_t off)
{
	uint64_t done = 0;
	long n;

	while (done < len) {
		n = l2_ksys(17 /* pread64 */, fd, (long)(va + done),
		    (long)(len - done), (long)(off + done), 0, 0);
		if (n < 0)
			return n;
		if (n == 0)
			break;
		done += (uint64_t)n;
	}
	return (long)done;
}

/* --- Time ----------------------------------------------------------------- */

static void
ns_to_ts(int64_t ns, struct timespec64 *ts)
{

	ts->tv_sec = ns / 1000000000;
	ts->tv_nsec = ns % 1000000000;
}

/* The time of clock clk in *ts; 0 or -EINVAL. */
static long
clock_read(int clk, struct timespec64 *ts)
{

	switch (clk) {
	case 0: case 5: case 8: case 11:	/* REALTIME, _COARSE, _ALARM, TAI */
		ns_to_ts(rumpuser__sched_wall(), ts);
		return 0;
	case 1: case 4: case 6: case 7: case 9:	/* MONOTONIC, RAW, COARSE,
						   BOOTTIME, BOOTTIME_ALARM */
	case 2: case 3:		/* the CPU is the program's alone */
		ns_to_ts((int64_t)rumpuser__sched_now(), ts);
		return 0;
	default:
		return -L2_EINVAL;
	}
}

/* Copies out to the program: the result r, or -EFAULT. */
#define PUT(uaddr, kvar, r) \
	(l2_copyout(&(kvar), (uaddr), sizeof(kvar)) != 0 ? -L2_EFAULT : (r))

/* Sleeps until the monotonic deadline (clock clk, absolute or not), or
 * a signal for t (EINTR, with what remains of a relative sleep). */
static long
sleep_ts(struct l2_thread *t, int clk, int flags, uint64_t ureq,
    uint64_t urem)
{
	struct timespec64 req, rem = { 0, 0 };
	int64_t ns;
	uint64_t deadline;

	if (l2_copyin(ureq, &req, sizeof(req)) != 0)
		return -L2_EFAULT;
	if (req.tv_sec < 0 || req.tv_nsec < 0 || req.tv_nsec >= 1000000000)
		return -L2_EINVAL;
	ns = rumpuser__timespec_ns(req.tv_sec, req.tv_nsec);
	if (flags & 1) {	/* TIMER_ABSTIME */
		if (clk == 0 || clk == 11)
			ns -= rumpuser__sched_wall();
		else
			ns -= (int64_t)rumpuser__sched_now();
	}
	deadline = rumpuser__sched_deadline(ns);
	if (deadline <= rumpuser__sched_now())
		rumpuser__sched_yield();
	while (rumpuser__sched_now() < deadline) {
		if (l2_signal_pending(t) || t->proc->exiting || t->doomed) {
			if (urem != 0 && !(flags & 1)) {
				ns_to_ts((int64_t)(deadline -
				    rumpuser__sched_now()), &rem);
				if (l2_copyout(&rem, urem, sizeof(rem)) != 0)
					return -L2_EFAULT;
			}
			return -L2_EINTR;
		}
		t->intr = true;
		rumpuser__sched_block(NULL, WAIT_SLEEP, t, deadline);
		t->intr = false;
	}
	if (urem != 0 && !(flags & 1))
		return PUT(urem, rem, 0);
	return 0;
}

/* --- SIGPIPE -------------------------------------------------------------- */

/*
 * A write to a pipe or socket whose other end has gone fails with EPIPE
 * in the kernel, which has no signals; Linux also sends the writer
 * SIGPIPE (whose default action ends it), except for the socket calls
 * given MSG_NOSIGNAL.
 */
static bool
raises_sigpipe(long nr, const uint64_t a[6])
{
	const uint64_t msg_nosignal = 0x4000;

	switch (nr) {
	case 1: case 18: case 20: case 296: case 328:	/* write, pwrite64,
		writev, pwritev, pwritev2 */
	case 40: case 275: case 278:	/* sendfile, splice, vmsplice */
		return true;
	case 44:			/* sendto */
		return !(a[3] & msg_nosignal);
	case 46: case 307:		/* sendmsg, sendmmsg */
		return !((nr == 46 ? a[2] : a[3]) & msg_nosignal);
	default:
		return false;
	}
}

/* --- The dispatcher ------------------------------------------------------- */

static long
dispatch(struct l2_thread *t, long nr, const uint64_t a[6])
{
	switch (nr) {
	/* Memory */
	case NR_mmap:
		return l2_sys_mmap(a[0], a[1], (int)a[2], (int)a[3], (int)a[4],
		    a[5]);
	case NR_munmap:
		return l2_sys_munmap(a[0], a[1]);
	case NR_mprotect:
		return l2_sys_mprotect(a[0], a[1], (int)a[2]);
	case NR_madvise:
		return l2_sys_madvise(a[0], a[1], (int)a[2]);
	case NR_mremap:
		return l2_sys_mremap(a[0], a[1], a[2], (int)a[3], a[4]);
	case NR_brk:
		return l2_sys_brk(a[0]);
	case NR_msync:
		/* Private memory has nothing behind it to write back. */
		return l2_vm_mapped(a[0] & ~(L2_PAGE_SIZE - 1),
		    ((a[0] & (L2_PAGE_SIZE - 1)) + a[1] + L2_PAGE_SIZE - 1) &
		    ~(L2_PAGE_SIZE - 1)) || a[1] == 0 ? 0 : -L2_ENOMEM;
	case NR_mincore: {
		uint64_t p, n = (a[1] + L2_PAGE_SIZE - 1) / L2_PAGE_SIZE;
		unsigned char one = 1;	/* everything is resident */

		if (a[0] & (L2_PAGE_SIZE - 1))
			return -L2_EINVAL;
		for (p = 0; p < n; p++)
			if (l2_vm_prot(a[0] + p * L2_PAGE_SIZE) < 0)
				return -L2_ENOMEM;
		for (p = 0; p < n; p++)
			if (l2_copyout(&one, a[2] + p, 1) != 0)
				return -L2_EFAULT;
		return 0;
	}
	case NR_mlock: case NR_munlock: case NR_mlock2:
	case NR_mlockall: case NR_munlockall:
		return 0;	/* nothing is ever paged out */

	/* Threads */
	case NR_clone:
		return l2_sys_clone(t, a[0], a[1], a[2], a[3], a[4]);
	case NR_clone3:
		/* libcs fall back to clone, which says what is possible. */
		return -L2_ENOSYS;
	case NR_fork:
		return l2_sys_fork(t, 17 /* SIGCHLD */, 0, 0, 0, 0);
	case NR_vfork:	/* a real one: l2_proc.c */
		return l2_sys_fork(t, 0x4000 | 0x100 | 17 /* CLONE_VFORK |
		    CLONE_VM | SIGCHLD */, 0, 0, 0, 0);
	case NR_execve:
		return l2_sys_execve(t, a[0], a[1], a[2]);
	case NR_execveat:
		/* Only what execve does: a path from the cwd, no flags. */
		if ((int)a[0] != -100 /* AT_FDCWD */ || a[4] != 0)
			return -L2_EINVAL;
		return l2_sys_execve(t, a[1], a[2], a[3]);
	case NR_wait4:
		return l2_sys_wait4(t, (int)a[0], a[1], (int)a[2], a[3]);
	case NR_waitid:
		return l2_sys_waitid(t, (int)a[0], (int)a[1], a[2], (int)a[3],
		    a[4]);
	case NR_exit:
		l2_sys_exit(t, (int)a[0]);
	case NR_exit_group:
		l2_proc_exit(t, ((int)a[0] & 0xff) << 8);
	case NR_futex:
		return l2_sys_futex(t, a[0], (int)a[1], (uint32_t)a[2], a[3],
		    a[4], (uint32_t)a[5]);
	case NR_set_tid_address:
		t->clear_child_tid = a[0];
		return t->tid;
	case NR_set_robust_list:
		if (a[1] != 24)
			return -L2_EINVAL;
		t->robust_list = a[0];
		return 0;
	case NR_get_robust_list:
		if (a[0] != 0 && (int)a[0] != t->tid)
			return -L2_ESRCH;
		{
			uint64_t len = 24;

			if (l2_copyout(&t->robust_list, a[1], 8) != 0)
				return -L2_EFAULT;
			return PUT(a[2], len, 0);
		}
	case NR_gettid:
		return t->tid;
	case NR_setpgid:
		return l2_sys_setpgid(t, (int)a[0], (int)a[1]);
	case NR_getpgrp:
		return l2_sys_getpgid(t, 0);
	case NR_getpgid:
		return l2_sys_getpgid(t, (int)a[0]);
	case NR_setsid:
		return l2_sys_setsid(t);
	case NR_getsid:
		return l2_sys_getsid(t, (int)a[0]);
	case NR_getpid:
		return t->proc->pid;
	case NR_arch_prctl:
		switch (a[0]) {
		case ARCH_SET_FS:
			if (a[1] >= USER_CANONICAL_END)
				return -L2_EPERM;
			t->fsbase = a[1];
			return 0;
		case ARCH_GET_FS:
			return PUT(a[1], t->fsbase, 0);
		default:
			/* GS belongs to nobody here; libcs never ask. */
			return -L2_EINVAL;
		}
	case NR_rseq:
		return -L2_ENOSYS;	/* optional for every libc */

	/* Time and scheduling */
	case NR_clock_gettime: {
		struct timespec64 ts;
		long r = clock_read((int)a[0], &ts);

		return r != 0 ? r : PUT(a[1], ts, 0);
	}
	case NR_clock_getres: {
		struct timespec64 ts = { 0, 1 };

		if (clock_read((int)a[0], &ts) != 0)
			return -L2_EINVAL;
		ts = (struct timespec64){ 0, 1 };
		return a[1] != 0 ? PUT(a[1], ts, 0) : 0;
	}
	case NR_gettimeofday:
		if (a[0] != 0) {
			int64_t ns = rumpuser__sched_wall();
			int64_t tv[2] = { ns / 1000000000,
			    ns % 1000000000 / 1000 };

			if (l2_copyout(tv, a[0], sizeof(tv)) != 0)
				return -L2_EFAULT;
		}
		if (a[1] != 0) {
			int32_t tz[2] = { 0, 0 };

			return PUT(a[1], tz, 0);
		}
		return 0;
	case NR_time: {
		int64_t s = rumpuser__sched_wall() / 1000000000;

		return a[0] != 0 ? PUT(a[0], s, s) : s;
	}
	case NR_nanosleep:
		return sleep_ts(t, 1, 0, a[0], a[1]);
	case NR_clock_nanosleep: {
		struct timespec64 ts;

		if (clock_read((int)a[0], &ts) != 0)
			return -L2_EINVAL;
		return sleep_ts(t, (int)a[0], (int)a[1], a[2], a[3]);
	}
	case NR_sched_yield:
		rumpuser__sched_yield();
		return 0;
	case NR_sched_getaffinity: {
		uint64_t mask = 1;	/* CPU 0 */

		if (a[1] < 8 || (a[1] & 7) != 0)
			return -L2_EINVAL;
		return PUT(a[2], mask, 8);
	}
	case NR_getcpu: {
		uint32_t zero = 0;

		if (a[0] != 0 && l2_copyout(&zero, a[0], 4) != 0)
			return -L2_EFAULT;
		return a[1] != 0 ? PUT(a[1], zero, 0) : 0;
	}

	/* Signals */
	case NR_rt_sigaction: {
		int sig = (int)a[0];

		struct l2_sigaction act;

		if (sig < 1 || sig > 64 || a[3] != 8 ||
		    ((sig == 9 || sig == 19) && a[1] != 0))
			return -L2_EINVAL;
		if (a[1] != 0 && l2_copyin(a[1], &act, sizeof(act)) != 0)
			return -L2_EFAULT;
		if (a[2] != 0 && l2_copyout(&sigact[sig], a[2],
		    sizeof(sigact[sig])) != 0)
			return -L2_EFAULT;
		if (a[1] != 0) {
			sigact[sig] = act;
			/* Ignoring a pending signal discards it (POSIX). */
			if (act.handler == SIG_IGN)
				l2_signal_discard(t->proc, sig);
		}
		return 0;
	}
	case NR_rt_sigprocmask: {
		uint64_t set;

		if (a[3] != 8)
			return -L2_EINVAL;
		if (a[1] != 0 && l2_copyin(a[1], &set, sizeof(set)) != 0)
			return -L2_EFAULT;
		if (a[2] != 0 && l2_copyout(&t->sigmask, a[2], 8) != 0)
			return -L2_EFAULT;
		if (a[1] == 0)
			return 0;
		/* SIGKILL and SIGSTOP cannot be blocked. */
		set &= ~((1ull << 8) | (1ull << 18));
		switch (a[0]) {
		case 0: t->sigmask |= set; return 0;	/* SIG_BLOCK */
		case 1: t->sigmask &= ~set; return 0;	/* SIG_UNBLOCK */
		case 2: t->sigmask = set; return 0;	/* SIG_SETMASK */
		default: return -L2_EINVAL;
		}
	}
	case NR_sigaltstack:
		return l2_sys_sigaltstack(t, a[0], a[1]);
	case NR_rt_sigqueueinfo:
		return l2_sys_sigqueueinfo(t, (int)a[0], 0, (int)a[1], a[2]);
	case NR_rt_tgsigqueueinfo:
		if ((int)a[0] <= 0 || (int)a[1] <= 0)
			return -L2_EINVAL;
		return l2_sys_sigqueueinfo(t, (int)a[0], (int)a[1], (int)a[2],
		    a[3]);
	case NR_rt_sigtimedwait:
		return l2_sys_sigtimedwait(t, a[0], a[1], a[2], a[3]);
	case NR_kill:
		return l2_sys_kill(t, (int)a[0], (int)a[1]);
	case NR_tgkill:
		if ((int)a[0] <= 0)
			return -L2_EINVAL;
		return l2_sys_tgkill(t, (int)a[0], (int)a[1], (int)a[2]);
	case NR_tkill:
		return l2_sys_tgkill(t, -1, (int)a[0], (int)a[1]);
	case NR_rt_sigreturn:
		return l2_sys_rt_sigreturn(t);
	case NR_rt_sigsuspend:
		return l2_sys_sigsuspend(t, a[0], a[1]);
	case NR_pause:
		return l2_sys_sigsuspend(t, 0, 0);
	case NR_rt_sigpending: {
		uint64_t set = t->proc->pending & t->sigmask;

		if (a[1] > 8)
			return -L2_EINVAL;
		return l2_copyout(&set, a[0], a[1]) != 0 ? -L2_EFAULT : 0;
	}

	/* Limits and accounting */
	case NR_prlimit64:
	case NR_getrlimit:
	case NR_setrlimit: {
		int res = (int)(nr == NR_prlimit64 ? a[1] : a[0]);
		uint64_t newp = nr == NR_prlimit64 ? a[2] :
		    nr == NR_setrlimit ? a[1] : 0;
		uint64_t oldp = nr == NR_prlimit64 ? a[3] :
		    nr == NR_getrlimit ? a[1] : 0;

		if (nr == NR_prlimit64 && a[0] != 0 &&
		    (int)a[0] != t->proc->pid)
			return -L2_ESRCH;
		if (res < 0 || res >= RLIM_NLIMITS)
			return -L2_EINVAL;
		if (!limits_set) {
			int i;

			for (i = 0; i < RLIM_NLIMITS; i++)
				limits[i] = (struct rlimit64){ RLIM_INFINITY,
				    RLIM_INFINITY };
			limits[RLIMIT_STACK].cur = l2_stack_size;
			limits[RLIMIT_NOFILE] = (struct rlimit64){ 1024, 1024 };
			limits_set = true;
		}
		{
			struct rlimit64 n;

			if (newp != 0 && l2_copyin(newp, &n, sizeof(n)) != 0)
				return -L2_EFAULT;
			if (oldp != 0 && l2_copyout(&limits[res], oldp,
			    sizeof(limits[res])) != 0)
				return -L2_EFAULT;
			if (newp != 0) {
				if (n.cur > n.max || n.max > limits[res].max)
					return -L2_EPERM;
				limits[res] = n;
			}
		}
		return 0;
	}
	case NR_getrusage: {
		/* The CPU is the program's: its user time is the time since
		 * boot (ru_utime), the rest zero. */
		int64_t ru[18], ns = (int64_t)rumpuser__sched_now();

		memset(ru, 0, sizeof(ru));
		ru[0] = ns / 1000000000;
		ru[1] = ns % 1000000000 / 1000;
		return PUT(a[1], ru, 0);
	}
	case NR_times: {
		int64_t ticks = (int64_t)(rumpuser__sched_now() / 10000000);
		int64_t tms[4] = { ticks, 0, 0, 0 };

		return a[0] != 0 ? PUT(a[0], tms, ticks) : ticks;
	}
	case NR_sysinfo: {
		uint64_t si[14];

		memset(si, 0, sizeof(si));
		si[0] = rumpuser__sched_now() / 1000000000;	/* uptime */
		l2_plat_mem(&si[4], &si[5]);			/* RAM */
		((uint16_t *)si)[40] = 1;			/* procs */
		((uint32_t *)si)[26] = 1;			/* mem_unit */
		return PUT(a[0], si, 0);
	}
	case NR_personality:
		if ((uint32_t)a[0] != 0xffffffff && a[0] != 0)
			return -L2_EINVAL;
		return 0;	/* PER_LINUX */
	default: {
		long r = l2_ksys(nr, (long)a[0], (long)a[1], (long)a[2],
		    (long)a[3], (long)a[4], (long)a[5]);

		if (r == -L2_EPIPE && raises_sigpipe(nr, a))
			l2_signal_send(t->proc, 13 /* SIGPIPE */, 0,
			    t->proc->pid, 0);
		return r;
	}
	}
}

void
l2_syscall(struct l2_thread *t)
{
	static int checked;
	uint64_t a[6] = { t->regs.rdi, t->regs.rsi, t->regs.rdx,
	    t->regs.r10, t->regs.r8, t->regs.r9 };
	long nr = (long)t->regs.rax, r;

	if (!checked) {
		char buf[8];

		trace = rumpuser_getparam("STRATA_TRACE", buf, sizeof(buf)) == 0;
		checked = 1;
	}
	t->in_call = true;
	t->orig_rax = (uint64_t)nr;
	r = dispatch(t, nr, a);
	t->in_call = false;
	if (trace)
		l2_printf("[%d %luus] syscall %ld(%#lx, %#lx, %#lx, %#lx, "
		    "%#lx, %#lx) = %ld\n", t->tid,
		    (unsigned long)(rumpuser__sched_now() / 1000), nr,
		    (unsigned long)a[0],
		    (unsigned long)a[1], (unsigned long)a[2],
		    (unsigned long)a[3], (unsigned long)a[4],
		    (unsigned long)a[5], r);
	t->regs.rax = (uint64_t)r;
}

void
l2_printf(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = rumpuser__vformat(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 1)
		n = (int)sizeof(buf) - 1;
	rumpuser__backend_console_write(RUMPUSER__CONSOLE_DIAG, buf,
	    (size_t)n);
}
