/*
 * kern_private.h: interfaces between the files of the base kernel
 * (librump.a) that nothing outside kernel/kern may use.
 */
#ifndef KERN_KERN_PRIVATE_H
#define KERN_KERN_PRIVATE_H

#include <kern/types.h>
#include <kern/proc.h>
#include <kern/hyp.h>

/* Largest number of virtual CPUs (RUMP_NCPU is clamped to 1..MAXCPUS). */
#define MAXCPUS		64

/*
 * Boot steps, in the order rump_init() runs them.  Each returns 0 or a
 * kernel errno where it can fail.
 */
int	param_init(void);			/* param.c */
void	kmem_init(uint64_t limit);		/* kmem.c */
int	sched_init(int ncpu);			/* scheduler.c */
int	lwproc_init(void);			/* lwproc.c */
void	syscall_init(void);			/* syscall.c */
void	cprng_init(void);			/* cprng.c */
void	callout_subsys_init(void);		/* callout.c */
int	callout_start(void);			/* callout.c */

/* subr_msgbuf.c: keeps n bytes the console prints for syslog(2). */
void	msgbuf_put(const char *s, size_t n);

/* init.c: true once rump_init() has succeeded. */
bool	kernel_booted(void);

/*
 * Scheduler internals (scheduler.c), used by lwproc.c.  All are called
 * scheduled (holding a virtual CPU).
 */
/* Binds l (an lwp not bound to any thread) to the calling thread in
 * place of its current lwp, handing over the virtual CPU.  An implicit
 * lwp switched away from goes back to the free list. */
void	sched_switch(struct lwp *l);
/* Binds a fresh implicit lwp of proc1 in place of the current one (which
 * stays allocated, unbound, unless it is itself implicit: then nothing
 * changes). */
void	sched_switch_implicit(void);

/* Whether virtual CPU index is held; *genp its count of releases
 * (qsbr.c). */
bool	sched_cpu_state(int index, unsigned *genp);
/* qsbr.c: the holder of CPU index is about to give it up (outermost
 * rump_unschedule). */
void	qsbr_cpu_releasing(int index);

/* The upcalls around blocking hypercalls (hyp_backend_*). */
void	sched_backend_unschedule(int nlocks, int *countp, void *interlock);
void	sched_backend_schedule(int nlocks, void *interlock);

/* lwproc.c internals. */
/* A new lwp of p (counted in p_nlwps), or NULL when out of memory. */
struct lwp *lwp_create(struct proc *p, int flags);
/* Destroys l, never bound to a thread, of a process that keeps other
 * lwps (a kernel thread that failed to start). */
void	lwp_destroy(struct lwp *l);
/* A new lwp id, unique among all live lwps. */
int	lwp_newlid(void);
/* The parent's pid of p. */
pid_t	proc_getppid(struct proc *p);

/* The lwproc upcalls that are not the public functions themselves. */
int	lwproc_hyp_rfork(void *client, int flags, const char *comm);
int	lwproc_hyp_newlwp(pid_t pid);
pid_t	lwproc_hyp_getpid(void);
void	lwproc_hyp_lwpexit(void);
void	lwproc_hyp_execnotify(const char *comm);

/* Link sets of shared objects (linkset.c) reach these. */
void	syscall_add_range(const void *const *start, const void *const *stop);
void	proc_hooks_add_range(const void *const *start, const void *const *stop);

/* The system call ABI the kernel implements, not the host's system
 * (uname, and the sysproxy handshake). */
#define UTS_SYSNAME	"Linux"
#define UTS_RELEASE	"6.1.0-strata"

/*
 * The sysproxy hypercalls (rumpuser.h) are an optional module: a platform
 * without a server (fiber, bare metal) does not define them, and the
 * kernel must still link there.  So they are referenced weakly; their
 * address is NULL when absent, rump_init_server() then fails with
 * EOPNOTSUPP, and no process is ever remote (copy.c never calls them).
 */
#pragma weak rumpuser_sp_init
#pragma weak rumpuser_sp_copyin
#pragma weak rumpuser_sp_copyinstr
#pragma weak rumpuser_sp_copyout
#pragma weak rumpuser_sp_copyoutstr
#pragma weak rumpuser_sp_anonmmap
#pragma weak rumpuser_sp_raise
#pragma weak rumpuser_sp_fini

#endif /* KERN_KERN_PRIVATE_H */
