/*
 * lwproc.c: processes and lwps, and the rump lwproc interface that lets
 * host threads create, enter and leave them.
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/libkern.h>
#include <kern/kmem.h>
#include <kern/lock.h>
#include <kern/proc.h>
#include <kern/component.h>
#include <kern/hyp.h>
#include <rump/rump.h>

#include "kern_private.h"

/* Contention statistics (kern/lock.h). */
static LOCKSTAT_CLASS(p_lockstat, "proc p_lock");

struct proc proc0;
struct proc proc1;

/* Protects the process list, p_pptr of every process and pid
 * allocation.  Taken before any p_lock. */
static kmutex_t proc_list_lock;
static struct proc *allproc;

/* Pids go up to PID_MAX and wrap to 2, skipping live ones, so that a
 * pid is not reused soon after its process exits. */
#define PID_MAX		32767
static pid_t pid_next = 2;

static int lid_next;

__link_set_decl(proc_hooks, const struct proc_hook *);

int
lwp_newlid(void)
{

	return __atomic_add_fetch(&lid_next, 1, __ATOMIC_RELAXED);
}

static void
proc_setup(struct proc *p, pid_t pid, const char *comm, struct proc *parent)
{

	p->p_pid = pid;
	p->p_pptr = parent;
	mutex_init(&p->p_lock, MUTEX_DEFAULT);
	mutex_setstat(&p->p_lock, &p_lockstat);
	strlcpy(p->p_comm, comm, sizeof(p->p_comm));
	p->p_stat = PS_ACTIVE;
}

int
lwproc_init(void)
{

	mutex_init(&proc_list_lock, MUTEX_DEFAULT);
	/* Both are root (all ids 0, no supplementary groups): that is
	 * what zeroed credentials are. */
	proc_setup(&proc0, 0, "system", &proc0);
	proc_setup(&proc1, 1, "init", &proc0);
	proc0.p_next = &proc1;
	allproc = &proc0;
	/* The bounds are weak: both NULL when no hook is linked in. */
	proc_hooks_add_range((const void *const *)__start_link_set_proc_hooks,
	    (const void *const *)__stop_link_set_proc_hooks);
	return 0;
}

static struct proc *
proc_find_locked(pid_t pid)
{
	struct proc *p;

	for (p = allproc; p != NULL; p = p->p_next)
		if (p->p_pid == pid)
			return p;
	return NULL;
}

struct proc *
proc_find(pid_t pid)
{
	struct proc *p;

	mutex_enter(&proc_list_lock);
	p = proc_find_locked(pid);
	if (p != NULL && __atomic_load_n(&p->p_stat, __ATOMIC_RELAXED) !=
	    PS_ACTIVE)
		p = NULL;
	mutex_exit(&proc_list_lock);
	return p;
}

pid_t
proc_getppid(struct proc *p)
{
	pid_t pid;

	mutex_enter(&proc_list_lock);
	pid = p == &proc0 ? 0 : p->p_pptr->p_pid;
	mutex_exit(&proc_list_lock);
	return pid;
}

/* Called with proc_list_lock held.  0 when every pid is in use. */
static pid_t
pid_alloc(void)
{
	pid_t pid;

	for (int tries = 0; tries < PID_MAX; tries++) {
		pid = pid_next;
		if (++pid_next > PID_MAX)
			pid_next = 2;
		if (proc_find_locked(pid) == NULL)
			return pid;
	}
	return 0;
}

static void
proc_unlink(struct proc *p)
{
	struct proc **pp, *q;

	mutex_enter(&proc_list_lock);
	for (pp = &allproc; *pp != NULL; pp = &(*pp)->p_next) {
		if (*pp == p) {
			*pp = p->p_next;
			break;
		}
	}
	for (q = allproc; q != NULL; q = q->p_next)
		if (q->p_pptr == p)
			q->p_pptr = &proc1;
	mutex_exit(&proc_list_lock);
}

static void
proc_free(struct proc *p)
{

	mutex_destroy(&p->p_lock);
	kmem_free(p, sizeof(*p));
}

/* Every proc hook, in registration order: the kernel's own link set,
 * then those of shared objects (linkset.c).  Filled while booting. */
#define PROC_HOOKS_MAX	64
static const struct proc_hook *proc_hook_tab[PROC_HOOKS_MAX];
static size_t nproc_hooks;

void
proc_hooks_add_range(const void *const *start, const void *const *stop)
{
	const struct proc_hook *hook;
	size_t i;

	for (const void *const *p = start; p < stop; p++) {
		hook = *p;
		for (i = 0; i < nproc_hooks; i++)
			if (proc_hook_tab[i] == hook)
				break;
		if (i < nproc_hooks)
			continue;
		if (nproc_hooks == PROC_HOOKS_MAX) {
			printf("rump: too many process hooks, %s dropped\n",
			    hook->ph_name);
			continue;
		}
		proc_hook_tab[nproc_hooks++] = hook;
	}
}

/* Runs the exit hooks of the first n proc hooks, last first. */
static void
proc_hooks_exit(struct proc *p, size_t n)
{
	const struct proc_hook *hook;

	while (n-- > 0) {
		hook = proc_hook_tab[n];
		if (hook->ph_exit != NULL)
			hook->ph_exit(p);
	}
}

/* Runs every fork hook in link-set order; on failure undoes the ones
 * that succeeded. */
static int
proc_hooks_fork(struct proc *parent, struct proc *child, int flags)
{
	int error;

	for (size_t i = 0; i < nproc_hooks; i++) {
		if (proc_hook_tab[i]->ph_fork == NULL)
			continue;
		error = proc_hook_tab[i]->ph_fork(parent, child, flags);
		if (error != 0) {
			proc_hooks_exit(child, i);
			return error;
		}
	}
	return 0;
}

static size_t
proc_hooks_count(void)
{

	return nproc_hooks;
}

/* Adds l to, or removes it from, its process's list; p_lock held. */
static void
proc_lwp_link(struct proc *p, struct lwp *l)
{

	l->l_pprev = NULL;
	l->l_pnext = p->p_lwps;
	if (p->p_lwps != NULL)
		p->p_lwps->l_pprev = l;
	p->p_lwps = l;
}

static void
proc_lwp_unlink(struct proc *p, struct lwp *l)
{

	if (l->l_pprev != NULL)
		l->l_pprev->l_pnext = l->l_pnext;
	else
		p->p_lwps = l->l_pnext;
	if (l->l_pnext != NULL)
		l->l_pnext->l_pprev = l->l_pprev;
	l->l_pnext = l->l_pprev = NULL;
}

struct lwp *
lwp_create(struct proc *p, int flags)
{
	struct lwp *l;

	l = kmem_zalloc(sizeof(*l), KM_SLEEP);
	if (l == NULL)
		return NULL;
	l->l_lid = lwp_newlid();
	l->l_proc = p;
	l->l_flags = flags;
	mutex_enter(&p->p_lock);
	p->p_nlwps++;
	proc_lwp_link(p, l);
	mutex_exit(&p->p_lock);
	rumpuser_curlwpop(RUMPUSER_LWP_CREATE, l);
	return l;
}

void
lwp_destroy(struct lwp *l)
{
	struct proc *p = l->l_proc;

	mutex_enter(&p->p_lock);
	KASSERT(p->p_nlwps > 1 || p == &proc0 || p == &proc1);
	p->p_nlwps--;
	proc_lwp_unlink(p, l);
	mutex_exit(&p->p_lock);
	rumpuser_curlwpop(RUMPUSER_LWP_DESTROY, l);
	kmem_free(l, sizeof(*l));
}

/*
 * Creates a child of parent with one lwp (not yet bound).  The child is
 * on the process list from the start, so that its pid is reserved, but
 * stays PS_NEW (invisible to proc_find) until its fork hooks succeed.
 */
static int
lwproc_fork(struct proc *parent, int flags, const char *comm,
    struct lwp **lp)
{
	struct proc *p;
	struct lwp *l;
	pid_t pid;
	int error;

	p = kmem_zalloc(sizeof(*p), KM_SLEEP);
	l = kmem_zalloc(sizeof(*l), KM_SLEEP);
	if (p == NULL || l == NULL) {
		kmem_free(p, sizeof(*p));
		kmem_free(l, sizeof(*l));
		return ENOMEM;
	}
	mutex_init(&p->p_lock, MUTEX_DEFAULT);
	mutex_enter(&parent->p_lock);
	p->p_cred = parent->p_cred;
	mutex_exit(&parent->p_lock);
	strlcpy(p->p_comm, comm != NULL ? comm : parent->p_comm,
	    sizeof(p->p_comm));
	p->p_nlwps = 1;
	p->p_stat = PS_NEW;

	mutex_enter(&proc_list_lock);
	pid = pid_alloc();
	if (pid != 0) {
		p->p_pid = pid;
		p->p_pptr = parent;
		p->p_next = allproc;
		allproc = p;
	}
	mutex_exit(&proc_list_lock);
	if (pid == 0) {
		error = EAGAIN;
		goto fail;
	}

	error = proc_hooks_fork(parent, p, flags);
	if (error != 0) {
		proc_unlink(p);
		goto fail;
	}
	__atomic_store_n(&p->p_stat, PS_ACTIVE, __ATOMIC_RELEASE);

	l->l_lid = lwp_newlid();
	l->l_proc = p;
	mutex_enter(&p->p_lock);
	proc_lwp_link(p, l);
	mutex_exit(&p->p_lock);
	rumpuser_curlwpop(RUMPUSER_LWP_CREATE, l);
	*lp = l;
	return 0;

 fail:
	kmem_free(l, sizeof(*l));
	proc_free(p);
	return error;
}

static bool
rfork_flags_valid(int flags)
{

	return flags == 0 || flags == RUMP_RFFDG || flags == RUMP_RFCFDG;
}

static int
lwproc_rfork(int flags, const char *comm, void *spclient)
{
	struct lwp *l;
	int error;

	if (!rfork_flags_valid(flags))
		return EINVAL;
	rump_schedule();
	/* An unbound caller runs as an implicit lwp of proc1, so curproc
	 * is the right parent either way. */
	error = lwproc_fork(curproc, flags, comm, &l);
	if (error == 0) {
		/* Before anyone can run a system call in it. */
		l->l_proc->p_spclient = spclient;
		sched_switch(l);
	}
	rump_unschedule();
	return error;
}

int
rump_lwproc_rfork(int flags)
{

	return lwproc_rfork(flags, NULL, NULL);
}

int
rump_lwproc_newlwp(int pid)
{
	struct proc *p;
	struct lwp *l;
	bool alive;
	int error = 0;

	rump_schedule();
	l = kmem_zalloc(sizeof(*l), KM_SLEEP);
	if (l == NULL) {
		error = ENOMEM;
		goto out;
	}
	mutex_enter(&proc_list_lock);
	p = proc_find_locked(pid);
	if (p != NULL) {
		/* Checked under p_lock: the last lwp leaves under it. */
		mutex_enter(&p->p_lock);
		alive = __atomic_load_n(&p->p_stat, __ATOMIC_RELAXED) ==
		    PS_ACTIVE;
		if (alive) {
			p->p_nlwps++;
			l->l_proc = p;
			proc_lwp_link(p, l);
		}
		mutex_exit(&p->p_lock);
		if (!alive)
			p = NULL;
	}
	mutex_exit(&proc_list_lock);
	if (p == NULL) {
		kmem_free(l, sizeof(*l));
		error = ESRCH;
		goto out;
	}
	l->l_lid = lwp_newlid();
	l->l_proc = p;
	rumpuser_curlwpop(RUMPUSER_LWP_CREATE, l);
	sched_switch(l);
 out:
	rump_unschedule();
	return error;
}

void
rump_lwproc_switch(struct lwp *l)
{

	rump_schedule();
	if (l == NULL)
		sched_switch_implicit();
	else
		sched_switch(l);
	rump_unschedule();
}

/*
 * Destroys the calling thread's lwp; the thread goes on as an implicit
 * lwp until it unschedules.  The last lwp of a process takes the process
 * with it: exit hooks run while that lwp is still curlwp, children go to
 * proc1.
 */
static void
lwproc_release_current(void)
{
	struct lwp *l;
	struct proc *p;
	bool last;

	l = curlwp;
	if (l->l_flags & LW_IMPLICIT)
		return;
	p = l->l_proc;
	mutex_enter(&p->p_lock);
	last = --p->p_nlwps == 0 && p != &proc0 && p != &proc1;
	proc_lwp_unlink(p, l);
	if (last)
		__atomic_store_n(&p->p_stat, PS_EXITING, __ATOMIC_RELAXED);
	mutex_exit(&p->p_lock);
	if (last)
		proc_hooks_exit(p, proc_hooks_count());

	sched_switch_implicit();
	rumpuser_curlwpop(RUMPUSER_LWP_DESTROY, l);
	kmem_free(l, sizeof(*l));
	if (last) {
		proc_unlink(p);
		proc_free(p);
	}
}

void
rump_lwproc_releaselwp(void)
{

	rump_schedule();
	lwproc_release_current();
	rump_unschedule();
}

struct lwp *
rump_lwproc_curlwp(void)
{
	struct lwp *l;

	l = rumpuser_curlwp();
	if (l == NULL || (l->l_flags & LW_IMPLICIT))
		return NULL;
	return l;
}

/*
 * Upcalls for the platform (sysproxy): errors in NetBSD numbering, as
 * everything that crosses the hypercall boundary.
 */
int
lwproc_hyp_rfork(void *client, int flags, const char *comm)
{

	/* The new process's user addresses are the client's (copy.c). */
	return hyp_errno_to_netbsd(lwproc_rfork(flags, comm, client));
}

int
lwproc_hyp_newlwp(pid_t pid)
{

	return hyp_errno_to_netbsd(rump_lwproc_newlwp(pid));
}

pid_t
lwproc_hyp_getpid(void)
{
	struct lwp *l;

	l = rumpuser_curlwp();
	return l != NULL ? l->l_proc->p_pid : proc1.p_pid;
}

void
lwproc_hyp_lwpexit(void)
{

	rump_lwproc_releaselwp();
}

void
lwproc_hyp_execnotify(const char *comm)
{
	struct proc *p;

	rump_schedule();
	p = curproc;
	mutex_enter(&p->p_lock);
	strlcpy(p->p_comm, comm, sizeof(p->p_comm));
	mutex_exit(&p->p_lock);
	rump_unschedule();
}
