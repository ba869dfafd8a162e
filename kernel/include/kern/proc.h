/*
 * proc.h: processes, lwps (threads of a process), credentials, and the
 * virtual CPU scheduling that every thread in kernel code goes through.
 *
 * rump lwproc semantics: a host thread runs kernel code as an lwp of some
 * process.  rump_lwproc_rfork() makes a new process (with a new lwp bound
 * to the caller), rump_lwproc_newlwp() a new lwp in an existing process,
 * rump_lwproc_switch() binds another lwp to the calling host thread and
 * rump_lwproc_releaselwp() destroys the current one (the process goes when
 * its last lwp does).  A host thread with no bound lwp gets a temporary
 * one in proc1 for the duration of each kernel entry.
 */
#ifndef KERN_PROC_H
#define KERN_PROC_H

#include <kern/types.h>
#include <kern/lock.h>

#define NGROUPS_MAX	32

/* Credentials, copied by value into each process; changed only by the
 * set*id system calls of that process. */
struct kauth_cred {
	uid_t	cr_uid, cr_euid, cr_suid;
	gid_t	cr_gid, cr_egid, cr_sgid;
	int	cr_ngroups;
	gid_t	cr_groups[NGROUPS_MAX];
};

struct filedesc;	/* owned by the VFS faction */
struct cwdinfo;		/* owned by the VFS faction */

struct proc {
	pid_t		 p_pid;
	struct proc	*p_pptr;	/* parent (proc1 for orphans) */
	kmutex_t	 p_lock;	/* protects p_cred, p_nlwps, p_lwps */
	struct kauth_cred p_cred;
	int		 p_nlwps;
	/* Its lwps (not implicit ones): a process holds on to an lwp its
	 * caller switched away from, as NetBSD's does, so that the lwp is
	 * never reachable only through a pointer the caller may drop. */
	struct lwp	*p_lwps;
	struct filedesc	*p_fd;		/* descriptor table, VFS */
	struct cwdinfo	*p_cwdi;	/* cwd, root, umask, VFS */
	char		 p_comm[32];
	struct proc	*p_next;	/* all-process list */
	int		 p_stat;	/* PS_*, read atomically */
	/* Sysproxy: the platform's cookie for the remote client whose
	 * memory this process's user addresses name (copyin/copyout go
	 * there), or NULL for a local process.  Set once at creation. */
	void		*p_spclient;
#define PS_NEW		1	/* being created: fork hooks running */
#define PS_ACTIVE	2
#define PS_EXITING	3	/* last lwp gone: exit hooks running */
};

struct lwp {
	int		 l_lid;
	struct proc	*l_proc;
	int		 l_flags;
#define LW_IMPLICIT	0x01	/* temporary lwp of an unbound host thread */
#define LW_SYSTEM	0x02	/* kernel thread */
	struct cpu_info	*l_cpu;		/* the virtual CPU while scheduled */
	struct lwp	*l_next;	/* free list of implicit lwps */
	struct lwp	*l_pnext;	/* p_lwps of l_proc, under p_lock */
	struct lwp	*l_pprev;
	/* Scheduler private. */
	int		 l_schednest;	/* depth of nested rump_schedule() */
	int		 l_cpuhint;	/* CPU index last run on */
	int		 l_blocked;	/* in blocking hypercalls, CPU given up */
	/* Interruption (lwp_intr.c): l_intr is set by rump_lwp_interrupt()
	 * and read atomically; l_sleepcv and l_sleepmtx name the condition
	 * variable and mutex of the interruptible wait l is in (NULL when
	 * none), under lwp_intr_lock. */
	int		 l_intr;
	struct kcondvar	*l_sleepcv;
	struct kmutex	*l_sleepmtx;
};

/* proc0: pid 0, the kernel threads.  proc1: pid 1, "init", the parent of
 * orphans and the process of implicit lwps.  Neither ever exits. */
extern struct proc proc0;
extern struct proc proc1;

/* The lwp bound to the calling host thread (never NULL in kernel code). */
struct lwp	*curlwp_get(void);
#define curlwp		(curlwp_get())
#define curproc		(curlwp->l_proc)
#define kauth_cred_get() (&curproc->p_cred)

/* Root: euid 0.  Permission checks for VFS use this one predicate. */
bool		 cred_is_superuser(const struct kauth_cred *cred);
/* True when gid is the egid or in the supplementary groups of cred. */
bool		 cred_groupmember(const struct kauth_cred *cred, gid_t gid);

/* Finds a live process; NULL if none. Caller must be scheduled.  The
 * process may exit afterwards unless it is the caller's own. */
struct proc	*proc_find(pid_t pid);

/*
 * Hooks of subsystems that keep per-process state (the VFS keeps the
 * descriptor table and cwd).  Registered with PROC_HOOK(); called in
 * kernel context.  fork: set up child state from parent according to the
 * rfork flags (RUMP_RFFDG copy, RUMP_RFCFDG clean, neither: share);
 * returns 0 or an errno, on error earlier hooks' exit is called.
 * exit: release all state of p (p is about to be freed); called with
 * curlwp still the last lwp of p (when unwinding a failed fork: the
 * forking lwp, with p not yet running).
 * Hooks run in link-set order (exit hooks in reverse).  proc0 and proc1
 * are made at boot before any component and never see a fork hook: a
 * subsystem creates their state on first use (their p_fd and p_cwdi
 * start NULL), and a fork hook whose parent has none yet does the same.
 */
struct proc_hook {
	const char *ph_name;
	int	(*ph_fork)(struct proc *parent, struct proc *child, int flags);
	void	(*ph_exit)(struct proc *p);
};

/*
 * Virtual CPUs.  Kernel code runs only on a virtual CPU; rump_schedule()
 * (public, rump.h) takes one for the calling host thread and binds an lwp,
 * rump_unschedule() gives it back.  Entry points called by the host
 * (rump_sys_*, rump_syscall, rump_lwproc_*) do this themselves.
 */
struct cpu_info {
	int		 ci_index;
	struct lwp	*ci_curlwp;
	/* Per-CPU caches, touched only by the thread holding the CPU. */
#define CI_PATHBUFS	2
	void		*ci_pathbuf[CI_PATHBUFS];	/* vfs_pathbuf_get */
	int		 ci_npathbuf;
};
int		 ncpu_get(void);

/*
 * Kernel threads: run fn(arg) as a new lwp of proc0 on its own host
 * thread.  With join, kthread_join() waits for it to return.
 * Returns 0 or an errno.
 */
struct kthread;
int		 kthread_create(void (*fn)(void *), void *arg,
		    const char *name, bool join, struct kthread **ktp);
void		 kthread_join(struct kthread *kt);

/* Sleeps the calling thread for ns nanoseconds (releases the CPU). */
void		 kpause_ns(uint64_t ns);

#endif /* KERN_PROC_H */
