/*
 * l2_proc.c: processes in the guest -- fork, vfork, execve, wait and the
 * end of a process (l2.h).
 *
 * A process is a kernel process (made with rump_lwproc_rfork from its
 * parent's: the descriptor table copied, cwd and credentials inherited,
 * the kernel's pid) plus what the platform keeps: an address space of its
 * own (l2_vm.c), signal dispositions, the program it runs, and its place
 * in the family for wait.  The kernel has no process table with exit
 * statuses, so the platform keeps the ended ("zombie") processes until
 * their parent waits for them.
 *
 *  - fork (clone without CLONE_VM): the parent's memory shared
 *    copy-on-write (l2_vm.c): a page is copied at the first write to it
 *    by either side.  Memory mapped MAP_SHARED|MAP_ANONYMOUS is not
 *    shared after a fork either, each side gets its copy.
 *  - process groups and sessions: setpgid, getpgid, setsid, getsid as
 *    Linux has them (a child inherits both; the first program leads its
 *    own session and group); kill and wait take groups.
 *  - vfork and clone(CLONE_VM|CLONE_VFORK) (musl's posix_spawn and
 *    system()): a real vfork -- the child borrows the parent's address
 *    space and the calling thread waits until the child has exec'd or
 *    ended.  CLONE_VM without CLONE_VFORK shares the space likewise,
 *    without the wait.
 *  - execve: the file is read whole from the kernel's file system
 *    (checked for execute permission there) or, for /proc/self/exe (how
 *    busybox runs its own applets), the program the process runs; scripts
 *    starting with #! run their interpreter.  The new image is built in a
 *    fresh address space, so a failure (ENOEXEC, ENOMEM, E2BIG) returns
 *    to the old one unchanged.  Descriptors marked close-on-exec are
 *    closed, handled signals go back to their default.
 *  - wait4 and waitid: any child (pid -1, P_ALL), a given one, or those
 *    of a process group (pid 0 or < -1, P_PGID); WNOHANG, WNOWAIT.
 *    A child of a parent ignoring SIGCHLD (or with SA_NOCLDWAIT) is not
 *    kept.  A process whose parent ends first is not kept either.
 *  - The end of a process: its threads end at their next turn (those
 *    waiting on a futex or in wait are woken for it; one blocked in the
 *    kernel ends when its call returns), and when the last has gone the
 *    kernel process goes with its descriptors (so a pipe's reader sees
 *    end-of-file), its memory is freed and its parent is told.  The first
 *    program's end is the machine's.
 */
#include "l2.h"

#include <rump/rumpuser.h>
#include <rump/rump.h>

#include "rumpuser_common.h"
#include "scheduler.h"

/* What a process runs: the bytes of its executable file, shared by the
 * processes running it (/proc/self/exe reads it again). */
struct l2_image {
	const unsigned char *bytes;
	size_t		 len;
	int		 refs;
	bool		 owned;		/* read from a file: freed at last */
};

struct l2_waiter {
	struct l2_waiter *next;
	struct thread	*thread;
};

/* A vfork parent's thread waits on this, on its own stack. */
struct vfork_wait {
	struct thread	*thread;
	bool		 done;
};

/* Linux's numbers. */
#define CLONE_VM		0x00000100
#define CLONE_FS		0x00000200
#define CLONE_FILES		0x00000400
#define CLONE_SIGHAND		0x00000800
#define CLONE_VFORK		0x00004000
#define CLONE_PARENT		0x00008000
#define CLONE_SETTLS		0x00080000
#define CLONE_PARENT_SETTID	0x00100000
#define CLONE_CHILD_CLEARTID	0x00200000
#define CLONE_DETACHED		0x00400000
#define CLONE_CHILD_SETTID	0x01000000
#define CLONE_FORK_ALLOWED	(CLONE_VM | CLONE_FILES | CLONE_VFORK | \
				 CLONE_SETTLS | CLONE_PARENT_SETTID | \
				 CLONE_CHILD_CLEARTID | CLONE_DETACHED | \
				 CLONE_CHILD_SETTID | 0xff)
#define SIGCHLD		17
#define SIG_DFL		0
#define SIG_IGN		1
#define SA_NOCLDWAIT	2
#define WNOHANG		0x00000001
#define WUNTRACED	0x00000002
#define WEXITED		0x00000004
#define WCONTINUED	0x00000008
#define WNOWAIT		0x01000000
#define __WNOTHREAD	0x20000000
#define __WALL		0x40000000
#define __WCLONE	0x80000000
#define P_ALL		0
#define P_PID		1
#define P_PGID		2
#define CLD_EXITED	1
#define CLD_KILLED	2
#define AT_FDCWD	(-100)
#define O_RDONLY	0
#define O_CLOEXEC	02000000
#define X_OK		1
#define F_GETFD		1
#define FD_CLOEXEC	1
#define POLLNVAL	0x20
#define FD_LIMIT	1024		/* the kernel's descriptor limit */
#define L2_EACCES	13
#define L2_ECHILD	10
#define L2_ENAMETOOLONG	36
#define L2_ELOOP	40
enum {
	NR_read = 0, NR_close = 3, NR_fstat = 5, NR_poll = 7, NR_getpid = 39,
	NR_fcntl = 72, NR_openat = 257, NR_faccessat = 269,
};

/* execve's limits: arguments and environment (strings and pointers),
 * and the number of #! interpreters in a row (Linux: 4). */
#define ARG_MAX		(256 * 1024)
#define MAX_INTERP	4
#define PATH_MAX	4096

/* Static-pie programs go where Linux puts PIE executables. */
#define PIE_BASE	0x555555554000ull

extern uint64_t l2_stack_size;

struct l2_proc *l2_init_proc;
struct l2_proc *l2_procs;
#define procs l2_procs

long
l2_ksys_k(struct l2_thread *t, long nr, long a0, long a1, long a2, long a3,
    long a4, long a5)
{
	bool in = t->in_call;
	long r;

	t->in_call = false;
	r = l2_ksys(nr, a0, a1, a2, a3, a4, a5);
	t->in_call = in;
	return r;
}

static struct l2_proc *
proc_alloc(void)
{
	void *p;

	if (rumpuser_malloc(sizeof(struct l2_proc), 0, &p) != 0)
		return NULL;
	memset(p, 0, sizeof(struct l2_proc));
	return p;
}

static void
image_release(struct l2_image *im)
{

	if (im == NULL || --im->refs > 0)
		return;
	if (im->owned)
		rumpuser_free((void *)im->bytes, im->len);
	rumpuser_free(im, sizeof(*im));
}

int
l2_proc_init(int pid, const unsigned char *image, size_t len,
    const char *name)
{
	struct l2_proc *p;
	struct l2_image *im;

	(void)name;
	if ((p = proc_alloc()) == NULL ||
	    rumpuser_malloc(sizeof(*im), 0, (void **)&im) != 0)
		return L2_ENOMEM;
	im->bytes = image;
	im->len = len;
	im->refs = 1;
	im->owned = false;
	p->pid = pid;
	p->pgid = p->sid = pid;
	p->vm = l2_vm_cur;
	p->exe = im;
	p->next = procs;
	procs = p;
	l2_init_proc = p;
	return 0;
}

/* --- fork ----------------------------------------------------------------- */

/* Drops p's hold on vm: the last user frees it (off the CPU first). */
static void
vm_release(struct l2_vm *vm)
{

	if (--vm->refs > 0)
		return;
	if (vm == l2_vm_cur)
		l2_vm_cur = NULL;
	l2_space_load_kernel();
	l2_vm_destroy(vm);
}

static void
vfork_release(struct l2_proc *c)
{
	struct vfork_wait *vw = c->vfork_wait;

	if (vw == NULL)
		return;
	c->vfork_wait = NULL;
	vw->done = true;
	rumpuser__sched_wake(vw->thread);
}

long
l2_sys_fork(struct l2_thread *t, uint64_t flags, uint64_t newsp,
    uint64_t ptid, uint64_t ctid, uint64_t tls)
{
	struct l2_proc *p = t->proc, *c;
	struct l2_thread *ct;
	struct lwp *self = rump_lwproc_curlwp(), *lwp;
	struct vfork_wait vw;
	int error, pid;

	if ((flags & ~(uint64_t)CLONE_FORK_ALLOWED) != 0)
		return -L2_EINVAL;	/* CLONE_FS, CLONE_SIGHAND, ... alone */
	if ((c = proc_alloc()) == NULL)
		return -L2_EAGAIN;

	/* The kernel process: the table copied (shared with CLONE_FILES). */
	if ((error = rump_lwproc_rfork((flags & CLONE_FILES) ? 0 :
	    RUMP_RFFDG)) != 0) {
		rump_lwproc_switch(self);
		rumpuser_free(c, sizeof(*c));
		return -error;
	}
	lwp = rump_lwproc_curlwp();
	pid = (int)l2_ksys(NR_getpid, 0, 0, 0, 0, 0, 0);
	rump_lwproc_switch(self);

	c->pid = pid;
	c->pgid = p->pgid;
	c->sid = p->sid;
	if (flags & CLONE_VM) {
		c->vm = p->vm;
		c->vm->refs++;
	} else if ((c->vm = l2_vm_create()) == NULL ||
	    l2_vm_copy(p->vm, c->vm) != 0) {
		error = L2_ENOMEM;
		goto fail;
	}
	if (((flags & CLONE_PARENT_SETTID) &&
	    l2_copyout(&pid, ptid, sizeof(pid)) != 0)) {
		error = L2_EFAULT;
		goto fail;
	}
	if (flags & CLONE_CHILD_SETTID) {
		struct l2_vm *save = l2_vm_cur;

		l2_vm_cur = c->vm;
		error = l2_copyout(&pid, ctid, sizeof(pid));
		l2_vm_cur = save;
		if (error != 0)
			goto fail;
	}
	memcpy(c->sigact, p->sigact, sizeof(c->sigact));
	c->exe = p->exe;
	c->exe->refs++;
	if ((ct = l2_thread_spawn(c, t, lwp, pid)) == NULL) {
		image_release(c->exe);
		error = L2_EAGAIN;
		goto fail;
	}
	/* fork keeps the alternate signal stack (memory and all); a
	 * process sharing the memory without vfork's wait does not. */
	if (!(flags & CLONE_VM) || (flags & CLONE_VFORK)) {
		ct->ss_on = t->ss_on;
		ct->ss_sp = t->ss_sp;
		ct->ss_size = t->ss_size;
		ct->ss_autodisarm = t->ss_autodisarm;
	}
	if (newsp != 0)
		ct->regs.rsp = newsp;
	if (flags & CLONE_SETTLS)
		ct->fsbase = tls;
	if (flags & CLONE_CHILD_CLEARTID)
		ct->clear_child_tid = ctid;

	c->parent = p;
	c->sibling = p->children;
	p->children = c;
	c->next = procs;
	procs = c;

	if (flags & CLONE_VFORK) {
		vw.thread = rumpuser__curthread;
		vw.done = false;
		c->vfork_wait = &vw;
		while (!vw.done && !p->exiting)
			rumpuser__sched_block(NULL, WAIT_JOIN, c,
			    RUMPUSER__FOREVER);
		if (!vw.done)	/* c is alive: vw is about to go */
			c->vfork_wait = NULL;
	}
	return pid;

fail:
	if (c->vm != NULL)
		vm_release(c->vm);
	l2_space_load(p->vm);
	rump_lwproc_switch(lwp);
	rump_lwproc_releaselwp();
	rump_lwproc_switch(self);
	rumpuser_free(c, sizeof(*c));
	return -error;
}

/* --- execve --------------------------------------------------------------- */

/* The string at program address u into k (at most len bytes with its
 * NUL); its length, or -EFAULT / -ENAMETOOLONG (-E2BIG for arguments). */
static long
copyinstr(uint64_t u, char *k, size_t len, int toolong)
{
	size_t i = 0, n, j;

	while (i < len) {
		n = L2_PAGE_SIZE - ((u + i) & (L2_PAGE_SIZE - 1));
		if (n > len - i)
			n = len - i;
		if (l2_copyin(u + i, k + i, n) != 0) {
			/* The rest of the page may be beyond the string's
			 * mapping: byte by byte, to the NUL. */
			for (j = 0; j < n; j++) {
				if (l2_copyin(u + i + j, k + i + j, 1) != 0)
					return -L2_EFAULT;
				if (k[i + j] == '\0')
					return (long)(i + j);
			}
		}
		for (j = 0; j < n; j++)
			if (k[i + j] == '\0')
				return (long)(i + j);
		i += n;
	}
	return -toolong;
}

/* execve's argument and environment strings, in one kernel buffer. */
struct strv {
	char	*buf;		/* ARG_MAX bytes */
	size_t	 used;
	const char **v[2];	/* argv, envp: NULL-terminated */
	size_t	 n[2];
};

/* Appends the string s to vector which (after the first skip ones:
 * #! puts its words first).  0 or E2BIG. */
static int
strv_add(struct strv *sv, int which, const char *s, size_t len)
{
	size_t need = len + 1 + sizeof(char *);

	if (sv->used + need + 2 * sizeof(char *) > ARG_MAX)
		return L2_E2BIG;
	memcpy(sv->buf + sv->used, s, len);
	sv->buf[sv->used + len] = '\0';
	sv->v[which][sv->n[which]++] = sv->buf + sv->used;
	sv->v[which][sv->n[which]] = NULL;
	sv->used += len + 1;
	return 0;
}

/* Copies the program's vector at u (argv or envp; 0: empty) into sv. */
static int
strv_copyin(struct strv *sv, int which, uint64_t u)
{
	uint64_t ptr;
	long n;
	size_t i;

	for (i = 0; u != 0; i++) {
		if (l2_copyin(u + i * 8, &ptr, 8) != 0)
			return L2_EFAULT;
		if (ptr == 0)
			break;
		n = copyinstr(ptr, sv->buf + sv->used, ARG_MAX - sv->used,
		    L2_E2BIG);
		if (n < 0)
			return (int)-n;
		if (sv->n[which] >= ARG_MAX / 16 ||
		    strv_add(sv, which, sv->buf + sv->used, (size_t)n) != 0)
			return L2_E2BIG;
	}
	return 0;
}

/* Reads the file at path (kernel memory) whole: a new image, or an errno.
 * The checks are the kernel's: the path's permissions, a regular file,
 * execute permission. */
static int
image_read(struct l2_thread *t, const char *path, struct l2_image **imp)
{
	struct l2_image *im;
	unsigned char *buf;
	uint64_t st[18];	/* struct stat, x86_64: 144 bytes */
	uint32_t mode;
	size_t size, done;
	long fd, n;
	int error = 0;

	if (str_len(path) == 14 && memcmp(path, "/proc/self/exe", 14) == 0) {
		*imp = t->proc->exe;
		(*imp)->refs++;
		return 0;
	}
	fd = l2_ksys_k(t, NR_openat, AT_FDCWD, (long)path,
	    O_RDONLY | O_CLOEXEC, 0, 0, 0);
	if (fd < 0)
		return (int)-fd;
	if ((n = l2_ksys_k(t, NR_fstat, fd, (long)st, 0, 0, 0, 0)) < 0) {
		error = (int)-n;
		goto out;
	}
	mode = (uint32_t)(st[3] & 0xffffffff);	/* st_mode at offset 24 */
	size = (size_t)st[6];			/* st_size at offset 48 */
	if ((mode & 0170000) != 0100000) {
		error = L2_EACCES;	/* not a regular file */
		goto out;
	}
	if ((n = l2_ksys_k(t, NR_faccessat, AT_FDCWD, (long)path, X_OK, 0,
	    0, 0)) < 0) {
		error = (int)-n;
		goto out;
	}
	if (size < 4 || rumpuser_malloc(size, 0, (void **)&buf) != 0) {
		error = size < 4 ? L2_ENOEXEC : L2_ENOMEM;
		goto out;
	}
	for (done = 0; done < size; done += (size_t)n) {
		n = l2_ksys_k(t, NR_read, fd, (long)(buf + done),
		    (long)(size - done), 0, 0, 0);
		if (n <= 0)
			break;
	}
	if (done < size || rumpuser_malloc(sizeof(*im), 0, (void **)&im)
	    != 0) {
		rumpuser_free(buf, size);
		error = n < 0 ? (int)-n : done < size ? L2_ENOEXEC : L2_ENOMEM;
		goto out;
	}
	im->bytes = buf;
	im->len = size;
	im->refs = 1;
	im->owned = true;
	*imp = im;
out:
	l2_ksys_k(t, NR_close, fd, 0, 0, 0, 0, 0);
	return error;
}

/*
 * A "#!" script: its interpreter (and one optional argument) go before
 * the script's path in argv, which replaces argv[0]; *path becomes the
 * interpreter.  0, or ENOEXEC for a line without an interpreter.
 */
static int
script(struct strv *sv, const struct l2_image *im, char *path)
{
	const char *line = (const char *)im->bytes + 2, *end, *w, *arg = NULL;
	size_t max = im->len - 2 < 255 ? im->len - 2 : 255, wl, al = 0, i;
	const char **old;
	size_t oldn;
	int error;

	for (end = line; (size_t)(end - line) < max && *end != '\n'; end++)
		;
	for (w = line; w < end && (*w == ' ' || *w == '\t'); w++)
		;
	for (wl = 0; w + wl < end && w[wl] != ' ' && w[wl] != '\t'; wl++)
		;
	if (wl == 0 || wl >= PATH_MAX)
		return L2_ENOEXEC;
	for (arg = w + wl; arg < end && (*arg == ' ' || *arg == '\t'); arg++)
		;
	for (al = (size_t)(end - arg); al > 0 &&
	    (arg[al - 1] == ' ' || arg[al - 1] == '\t' || arg[al - 1] == '\r');
	    al--)
		;
	/* argv: interpreter [arg] path argv[1..] -- rebuilt in place: the
	 * old pointers stay valid, the buffer only grows. */
	oldn = sv->n[0];
	if (rumpuser_malloc((oldn + 1) * sizeof(char *), 0, (void **)&old)
	    != 0)
		return L2_ENOMEM;
	for (i = 0; i < oldn; i++)
		old[i] = sv->v[0][i];
	sv->n[0] = 0;
	if ((error = strv_add(sv, 0, w, wl)) != 0 ||
	    (al > 0 && (error = strv_add(sv, 0, arg, al)) != 0) ||
	    (error = strv_add(sv, 0, path, str_len(path))) != 0)
		goto out;
	for (i = 1; i < oldn; i++)
		if ((error = strv_add(sv, 0, old[i], str_len(old[i]))) != 0)
			goto out;
	memcpy(path, w, wl);
	path[wl] = '\0';
out:
	rumpuser_free(old, (oldn + 1) * sizeof(char *));
	return error;
}

static int
mem_map(void *ctx, uint64_t va, uint64_t len)
{

	(void)ctx;
	return l2_vm_map(va, len, L2_PROT_READ | L2_PROT_WRITE);
}

static int
mem_protect(void *ctx, uint64_t va, uint64_t len, int prot)
{

	(void)ctx;
	return l2_vm_protect(va, len, prot);
}

static void *
mem_ptr(void *ctx, uint64_t va, uint64_t len)
{

	/* The space being built is the one loaded: its pages are
	 * reachable (and writable until mem_protect) at their addresses. */
	(void)ctx;
	(void)len;
	return (void *)va;
}

int
l2_image_load(const unsigned char *bytes, size_t len, const char *execfn,
    const char *const *argv, const char *const *envp, uint64_t *entry,
    uint64_t *sp, const char **why)
{
	const struct l2_elf_mem mem = { NULL, mem_map, mem_protect, mem_ptr };
	struct l2_stack_info si;
	struct l2_elf e;
	uint64_t bias = 0, lo, hi, stack_lo, stack_len;
	size_t got;
	uint32_t r[4];
	int error;

	*why = NULL;
	if ((error = l2_elf_parse(bytes, len, &e, why)) != 0)
		return error;
	l2_plat_user_range(&lo, &hi);
	if (e.pie) {
		bias = (PIE_BASE >= lo ? PIE_BASE : lo + 0x1000000) - e.lo;
	} else if (e.lo < lo) {
		*why = "it is linked at an address the kernel occupies on "
		    "this platform; link it -static-pie";
		return L2_ENOEXEC;
	}
	if ((error = l2_elf_load(&e, bias, &mem)) != 0) {
		*why = "out of memory";
		return error;
	}
	l2_vm_layout(bias + e.hi, l2_stack_size, &stack_lo);
	if ((error = l2_vm_map(stack_lo, l2_stack_size,
	    L2_PROT_READ | L2_PROT_WRITE)) != 0) {
		*why = "no memory for the stack";
		return error;
	}
	memset(&si, 0, sizeof(si));
	si.argv = argv;
	si.envp = envp;
	si.execfn = execfn;
	si.platform = "x86_64";
	if (rumpuser_getrandom(si.random, sizeof(si.random), 0, &got) != 0)
		memset(si.random, 0x5a, sizeof(si.random));
	si.phdr = e.phdr + bias;
	si.phnum = e.phnum;
	si.entry = e.entry + bias;
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]),
	    "=d"(r[3]) : "a"(1), "c"(0));
	si.hwcap = r[3];
	si.clktck = 100;
	stack_len = l2_stack_size < (256 << 10) ? l2_stack_size : 256 << 10;
	if ((error = l2_stack_build((void *)(hi - stack_len), hi - stack_len,
	    stack_len, &si, sp)) != 0) {
		*why = "arguments and environment do not fit the stack";
		return error;
	}
	*entry = si.entry;
	return 0;
}

/* Closes the calling process's close-on-exec descriptors: one poll over
 * the whole table finds the open ones. */
static void
close_on_exec(struct l2_thread *t)
{
	struct pfd {
		int32_t fd;
		int16_t events, revents;
	} *fds;
	long r;
	int i;

	if (rumpuser_malloc(FD_LIMIT * sizeof(*fds), 0, (void **)&fds) != 0)
		return;
	for (i = 0; i < FD_LIMIT; i++)
		fds[i] = (struct pfd){ i, 0, 0 };
	if (l2_ksys_k(t, NR_poll, (long)fds, FD_LIMIT, 0, 0, 0, 0) >= 0)
		for (i = 0; i < FD_LIMIT; i++)
			if (!(fds[i].revents & POLLNVAL) &&
			    (r = l2_ksys(NR_fcntl, i, F_GETFD, 0, 0, 0, 0))
			    >= 0 && (r & FD_CLOEXEC))
				l2_ksys(NR_close, i, 0, 0, 0, 0, 0);
	rumpuser_free(fds, FD_LIMIT * sizeof(*fds));
}

long
l2_sys_execve(struct l2_thread *t, uint64_t upath, uint64_t uargv,
    uint64_t uenvp)
{
	struct l2_proc *p = t->proc;
	struct l2_vm *old = p->vm, *vm;
	struct l2_image *im = NULL;
	struct strv sv;
	const char *why;
	char *path;
	uint64_t entry, sp;
	long n;
	int error, depth, i;

	memset(&sv, 0, sizeof(sv));
	if (rumpuser_malloc(ARG_MAX + PATH_MAX, 0, (void **)&sv.buf) != 0)
		return -L2_ENOMEM;
	if (rumpuser_malloc(2 * (ARG_MAX / 16 + 2) * sizeof(char *), 0,
	    (void **)&sv.v[0]) != 0) {
		rumpuser_free(sv.buf, ARG_MAX + PATH_MAX);
		return -L2_ENOMEM;
	}
	sv.v[1] = sv.v[0] + ARG_MAX / 16 + 2;
	sv.v[0][0] = sv.v[1][0] = NULL;
	path = sv.buf + ARG_MAX;
	if ((n = copyinstr(upath, path, PATH_MAX, L2_ENAMETOOLONG)) < 0) {
		error = (int)-n;
		goto out;
	}
	if (n == 0) {
		error = L2_ENOENT;
		goto out;
	}
	if ((error = strv_copyin(&sv, 0, uargv)) != 0 ||
	    (error = strv_copyin(&sv, 1, uenvp)) != 0)
		goto out;

	/* The file, through as many #! interpreters as Linux follows. */
	for (depth = 0;; depth++) {
		if ((error = image_read(t, path, &im)) != 0)
			goto out;
		if (im->bytes[0] != '#' || im->bytes[1] != '!')
			break;
		if (depth == MAX_INTERP) {
			error = L2_ELOOP;
			goto out;
		}
		error = script(&sv, im, path);
		image_release(im);
		im = NULL;
		if (error != 0)
			goto out;
	}

	/* The new image, in a new space; the old one stays as it is until
	 * the new one is complete. */
	if ((vm = l2_vm_create()) == NULL) {
		error = L2_ENOMEM;
		goto out;
	}
	l2_space_load(vm);
	p->vm = vm;
	error = l2_image_load(im->bytes, im->len, path, sv.v[0], sv.v[1],
	    &entry, &sp, &why);
	if (error != 0) {
		p->vm = old;
		l2_space_load(old);
		l2_vm_destroy(vm);
		goto out;
	}
	vm_release(old);
	l2_space_load(vm);
	image_release(p->exe);
	p->exe = im;
	im = NULL;

	/* Other threads end, as Linux's execve ends them: at their next
	 * turn, out of their waits (the platform's and the kernel's) first;
	 * this one starts the program. */
	{
		struct l2_thread *u;

		for (u = p->threads; u != NULL; u = u->pnext)
			if (u != t) {
				u->doomed = true;
				if (u->sched->t_state == THREAD_BLOCKED &&
				    u->sched->t_waitkind == WAIT_JOIN)
					rumpuser__sched_wake(u->sched);
				else
					l2_signal_kick(u);
			}
		l2_futex_wake_threads(p, t);
	}
	t->tid = p->pid;	/* Linux: the exec'ing thread leads */
	memset(&t->regs, 0, sizeof(t->regs));
	t->regs.rip = entry;
	t->regs.rsp = sp;
	t->regs.rflags = 0x2;
	l2_fpu_init(t->fpu);
	t->fsbase = 0;
	t->clear_child_tid = 0;
	t->robust_list = 0;
	t->ss_on = false;	/* the old memory's stack is gone */
	for (i = 1; i < 65; i++)
		if (p->sigact[i].handler != SIG_IGN)
			memset(&p->sigact[i], 0, sizeof(p->sigact[i]));
	close_on_exec(t);
	vfork_release(p);
	p->execed = true;
	error = 0;
out:
	image_release(im);
	rumpuser_free(sv.v[0], 2 * (ARG_MAX / 16 + 2) * sizeof(char *));
	rumpuser_free(sv.buf, ARG_MAX + PATH_MAX);
	return -error;
}

/* --- exit ----------------------------------------------------------------- */

static void
wake_waiters(struct l2_proc *p)
{
	struct l2_waiter *w;

	while ((w = p->waiters) != NULL) {
		p->waiters = w->next;
		w->next = NULL;
		rumpuser__sched_wake(w->thread);
	}
}

static void
proc_free(struct l2_proc *p)
{
	struct l2_proc **pp;

	for (pp = &procs; *pp != p; pp = &(*pp)->next)
		;
	*pp = p->next;
	if (p->parent != NULL) {
		for (pp = &p->parent->children; *pp != p; pp = &(*pp)->sibling)
			;
		*pp = p->sibling;
	}
	l2_signal_clear(p);
	rumpuser_free(p, sizeof(*p));
}

void
l2_proc_exit(struct l2_thread *t, int wstatus)
{
	struct l2_proc *p = t->proc, *c, *next;
	struct l2_thread *u;

	if (p == l2_init_proc) {
		if ((wstatus & 0x7f) == 0)
			l2_exit_group((wstatus >> 8) & 0xff);
		l2_exiting = true;
		l2_ksys(162 /* sync */, 0, 0, 0, 0, 0, 0);
		l2_mounts_fini();
		l2_stdio_flush();
		l2_printf("strata: the program was killed by signal %d\n",
		    wstatus & 0x7f);
		rumpuser_exit(128 + (wstatus & 0x7f));
	}
	if (!p->exiting) {
		p->exiting = true;
		p->wstatus = wstatus;
		/* Its other threads: off their futexes and waits, to end
		 * on their way back to the program. */
		l2_futex_wake_proc(p);
		wake_waiters(p);
		for (u = p->threads; u != NULL; u = u->pnext)
			if (u != t && u->sched->t_state == THREAD_BLOCKED &&
			    u->sched->t_waitkind == WAIT_JOIN)
				rumpuser__sched_wake(u->sched);
			else if (u != t)
				l2_signal_kick(u);	/* out of the kernel */
		/* Its children are nobody's now: zombies go, the others go
		 * when they end. */
		for (c = p->children; c != NULL; c = next) {
			next = c->sibling;
			c->parent = NULL;
			c->sibling = NULL;
			if (c->zombie)
				proc_free(c);
		}
		p->children = NULL;
		vfork_release(p);
	}
	l2_thread_end(t);
}

void
l2_proc_release(struct l2_proc *p)
{
	struct l2_proc *parent = p->parent;

	/* The last thread has gone (its lwp too, so the kernel process
	 * has closed its descriptors). */
	if (!p->exiting) {
		/* The last thread ended by exit(), not exit_group(). */
		p->exiting = true;
		p->wstatus = 0;
	}
	vfork_release(p);
	vm_release(p->vm);
	p->vm = NULL;
	image_release(p->exe);
	p->exe = NULL;
	p->zombie = true;
	if (parent == NULL) {
		proc_free(p);
		return;
	}
	l2_signal_send(parent, SIGCHLD, (p->wstatus & 0x7f) ? CLD_KILLED :
	    CLD_EXITED, p->pid, (p->wstatus & 0x7f) ? (p->wstatus & 0x7f) :
	    (p->wstatus >> 8) & 0xff);
	/* SIGCHLD ignored, or SA_NOCLDWAIT: nobody keeps the status. */
	if (parent->sigact[SIGCHLD].handler == SIG_IGN ||
	    (parent->sigact[SIGCHLD].flags & SA_NOCLDWAIT))
		proc_free(p);
	wake_waiters(parent);
}

/* --- wait ----------------------------------------------------------------- */

/*
 * The common part of wait4 and waitid: a child of t's process matching
 * (pid > 0: that one; else pgid > 0: one of that process group; else
 * any), zombie or (any) not.  Blocks unless nohang until one has ended.
 * Returns the ended child (still linked), NULL with *error = 0 (nohang,
 * none ended yet) or ECHILD, EINTR.
 */
static struct l2_proc *
wait_child(struct l2_thread *t, int pid, int pgid, bool nohang, int *error)
{
	struct l2_proc *p = t->proc, *c;
	struct l2_waiter w;
	bool any;

	for (;;) {
		any = false;
		for (c = p->children; c != NULL; c = c->sibling) {
			if (pid > 0 ? c->pid != pid :
			    pgid > 0 && c->pgid != pgid)
				continue;
			any = true;
			if (c->zombie) {
				*error = 0;
				return c;
			}
		}
		*error = any ? 0 : L2_ECHILD;
		if (!any || nohang)
			return NULL;
		if (p->exiting || t->doomed || l2_signal_pending(t)) {
			*error = L2_ERESTARTSYS;
			return NULL;
		}
		w.thread = rumpuser__curthread;
		w.next = p->waiters;
		p->waiters = &w;
		t->intr = true;
		rumpuser__sched_block(NULL, WAIT_JOIN, p, RUMPUSER__FOREVER);
		t->intr = false;
		/* Woken: off the list already (wake_waiters), or still on
		 * it if woken otherwise. */
		{
			struct l2_waiter **wp;

			for (wp = &p->waiters; *wp != NULL; wp = &(*wp)->next)
				if (*wp == &w) {
					*wp = w.next;
					break;
				}
		}
	}
}

long
l2_sys_wait4(struct l2_thread *t, int pid, uint64_t ustatus, int options,
    uint64_t urusage)
{
	struct l2_proc *c;
	int error, cpid, pgid = 0;

	if (options & ~(WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD |
	    __WALL | __WCLONE))
		return -L2_EINVAL;
	if (pid == -2147483647 - 1)
		return -L2_ESRCH;	/* Linux: -INT_MIN is no group */
	if (pid == 0)
		pgid = t->proc->pgid;
	else if (pid < -1)
		pgid = -pid;
	if ((c = wait_child(t, pid, pgid, (options & WNOHANG) != 0, &error))
	    == NULL)
		return -error;
	if (ustatus != 0 &&
	    l2_copyout(&c->wstatus, ustatus, sizeof(c->wstatus)) != 0)
		return -L2_EFAULT;
	if (urusage != 0) {
		/* Nothing is accounted per process: all zero. */
		uint64_t ru[18];

		memset(ru, 0, sizeof(ru));
		if (l2_copyout(ru, urusage, sizeof(ru)) != 0)
			return -L2_EFAULT;
	}
	cpid = c->pid;
	proc_free(c);
	return cpid;
}

long
l2_sys_waitid(struct l2_thread *t, int idtype, int id, uint64_t uinfo,
    int options, uint64_t urusage)
{
	struct l2_proc *c;
	int32_t si[32];		/* siginfo_t: 128 bytes */
	int error, pid, pgid = 0;

	if ((options & ~(WNOHANG | WUNTRACED | WEXITED | WCONTINUED |
	    WNOWAIT | __WNOTHREAD | __WALL | __WCLONE)) ||
	    !(options & (WEXITED | WUNTRACED | WCONTINUED)))
		return -L2_EINVAL;
	switch (idtype) {
	case P_ALL: pid = -1; break;
	case P_PID:
		if (id <= 0)
			return -L2_EINVAL;
		pid = id;
		break;
	case P_PGID:
		/* 0: the caller's group (Linux 5.4 and later). */
		if (id < 0)
			return -L2_EINVAL;
		pid = -1;
		pgid = id == 0 ? t->proc->pgid : id;
		break;
	default: return -L2_EINVAL;
	}
	memset(si, 0, sizeof(si));
	if (!(options & WEXITED)) {
		/* Only stops and continues asked for: there are none. */
		c = NULL;
		if (wait_child(t, pid, pgid, true, &error) == NULL &&
		    error != 0)
			return -error;
		if (!(options & WNOHANG))
			return -L2_ECHILD;
	} else if ((c = wait_child(t, pid, pgid, (options & WNOHANG) != 0,
	    &error)) == NULL && error != 0) {
		return -error;
	}
	if (c != NULL) {
		si[0] = SIGCHLD;			/* si_signo */
		si[2] = (c->wstatus & 0x7f) ? CLD_KILLED : CLD_EXITED;
		si[4] = c->pid;				/* si_pid */
		si[5] = 0;				/* si_uid */
		si[6] = (c->wstatus & 0x7f) ? (c->wstatus & 0x7f) :
		    (c->wstatus >> 8) & 0xff;		/* si_status */
	}
	if (uinfo != 0 && l2_copyout(si, uinfo, sizeof(si)) != 0)
		return -L2_EFAULT;
	if (urusage != 0) {
		uint64_t ru[18];

		memset(ru, 0, sizeof(ru));
		if (l2_copyout(ru, urusage, sizeof(ru)) != 0)
			return -L2_EFAULT;
	}
	if (c != NULL && !(options & WNOWAIT))
		proc_free(c);
	return 0;
}

/* --- Process groups and sessions ------------------------------------------ */

/* The process pid, ended or not (its group and session are still its
 * own until it is waited for), or NULL. */
static struct l2_proc *
proc_find(int pid)
{
	struct l2_proc *p;

	for (p = procs; p != NULL; p = p->next)
		if (p->pid == pid)
			return p;
	return NULL;
}

long
l2_sys_setpgid(struct l2_thread *t, int pid, int pgid)
{
	struct l2_proc *self = t->proc, *p, *q;

	if (pgid < 0)
		return -L2_EINVAL;
	p = pid == 0 ? self : proc_find(pid);
	/* The caller itself, or one of its children: a child of another
	 * session is EPERM, one that has exec'd EACCES. */
	if (p == NULL || (p != self && p->parent != self))
		return -L2_ESRCH;
	if (p != self) {
		if (p->sid != self->sid)
			return -L2_EPERM;
		if (p->execed)
			return -L2_EACCES;
	}
	if (p->sid == p->pid)
		return -L2_EPERM;	/* a session leader stays */
	if (pgid == 0)
		pgid = p->pid;
	/* Another group must exist in the caller's session. */
	if (pgid != p->pid) {
		for (q = procs; q != NULL; q = q->next)
			if (q->pgid == pgid && q->sid == self->sid)
				break;
		if (q == NULL)
			return -L2_EPERM;
	}
	p->pgid = pgid;
	return 0;
}

long
l2_sys_getpgid(struct l2_thread *t, int pid)
{
	struct l2_proc *p = pid == 0 ? t->proc : proc_find(pid);

	return p == NULL ? -L2_ESRCH : p->pgid;
}

long
l2_sys_setsid(struct l2_thread *t)
{
	struct l2_proc *self = t->proc, *q;

	/* Not when a group has the caller's pid as its id (it leads one,
	 * or did). */
	for (q = procs; q != NULL; q = q->next)
		if (q->pgid == self->pid)
			return -L2_EPERM;
	self->sid = self->pgid = self->pid;
	return self->sid;
}

long
l2_sys_getsid(struct l2_thread *t, int pid)
{
	struct l2_proc *p = pid == 0 ? t->proc : proc_find(pid);

	return p == NULL ? -L2_ESRCH : p->sid;
}
