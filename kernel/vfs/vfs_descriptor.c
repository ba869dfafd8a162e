/*
 * vfs_descriptor.c: per-process descriptor tables and cwd state, and
 * the process hook that sets them up on fork and tears them down on exit.
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/kmem.h>
#include <kern/qsbr.h>
#include <kern/libkern.h>
#include <kern/lock.h>
#include <kern/proc.h>
#include <kern/component.h>
#include <rump/rump.h>
#include <vfs/vnode.h>
#include <vfs/mount.h>
#include <vfs/abi.h>
#include <vfs/file.h>
#include <vfs/vfs.h>

/* Contention statistics (kern/lock.h). */
static LOCKSTAT_CLASS(fd_lockstat, "descriptor table");
static LOCKSTAT_CLASS(cwdi_lockstat, "cwd");

#define FD_INITIAL	32

/*
 * How a table is shared by the threads of a process without making
 * them take turns (bench_scale: two threads opening, reading and
 * closing their own files took the table's lock eleven times per file,
 * and its line moved between the host's cores each time).
 *
 * Every descriptor number has a slot (struct fdfile) on a cache line of
 * its own, allocated once and never moved: growing the table makes a
 * new array of pointers to the same slots, so no store into a slot is
 * ever lost to a copy, and threads using different descriptors write
 * different lines.  A slot's ff_file goes
 *	NULL -> FF_RESERVED		fd_alloc, fd_lock held
 *	FF_RESERVED -> file		fd_install, by the reserving thread
 *	FF_RESERVED -> NULL		fd_abort, by the reserving thread
 *	file -> NULL			fd_close, any thread, no lock
 *	NULL or file -> file		fd_dup2, fd_lock held
 * so fd_lock is held by whoever makes a free slot used and whoever
 * grows the table, and the other changes are single atomic stores or
 * compare-and-swaps.  Readers (fd_getfile) take no lock: they take a
 * reference with file_tryhold(), which refuses a file whose last
 * reference is gone, and check that the slot still holds it.  A file's
 * memory and an old pointer array are freed through qsbr (kern/qsbr.h),
 * so a reader holding its virtual CPU never touches freed memory.
 *
 * Slot flags (FDF_CLOEXEC) are written before the file is stored with
 * release order (fd_install) or with fd_lock held (fd_dup2,
 * fd_setcloexec), and read after an acquire load of ff_file.
 */
#define FD_LINE		64	/* cache line size assumed */
#define FDF_CLOEXEC	0x01
#define FF_RESERVED	((struct file *)(uintptr_t)1)

struct fdfile {
	struct file	*ff_file;	/* atomic: NULL, FF_RESERVED, a file */
	uint8_t		 ff_flags;	/* atomic: FDF_* */
	char		 ff_pad[FD_LINE - sizeof(struct file *) - 1];
};
_Static_assert(sizeof(struct fdfile) == FD_LINE, "one slot per line");

/* The memory of a run of slots, aligned to a line after this header;
 * freed with the table. */
struct fdchunk {
	struct fdchunk	*fc_next;
	size_t		 fc_size;	/* bytes allocated */
};

/* Read-only once published; replaced (and retired) by filedesc_grow. */
struct fdtab {
	struct qsbr_entry dt_qsbr;
	int		 dt_nfiles;
	struct fdfile	*dt_ff[];
};

struct filedesc {
	/* Read by every call on a descriptor; written when it grows. */
	struct fdtab	*fd_dt;		/* atomic */
	unsigned	 fd_refcnt;	/* processes sharing it (atomic) */
	struct fdchunk	*fd_chunks;	/* fd_lock */
	/* What every open and some closes write, off the line above. */
	char		 fd_pad[FD_LINE];
	int		 fd_freefile;	/* atomic: no free slot below it */
	kmutex_t	 fd_lock;
};

/* The directories and the umask change under cwdi_lock and are read
 * without it (atomic): every path lookup of every thread reads them. */
struct cwdinfo {
	kmutex_t	 cwdi_lock;
	struct vnode	*cwdi_cdir;
	struct vnode	*cwdi_rdir;
	mode_t		 cwdi_cmask;
	struct qsbr_entry cwdi_qsbr;	/* cwd_peek may still read it */
};

/* n zeroed slots, aligned to a line, freed with fdp; NULL when out of
 * memory. */
static struct fdfile *
fdchunk_alloc(struct filedesc *fdp, int n)
{
	struct fdchunk *fc;
	size_t size;

	size = sizeof(*fc) + FD_LINE - 1 + (size_t)n * sizeof(struct fdfile);
	fc = kmem_zalloc(size, KM_SLEEP);
	if (fc == NULL)
		return NULL;
	fc->fc_size = size;
	fc->fc_next = fdp->fd_chunks;
	fdp->fd_chunks = fc;
	return (struct fdfile *)(((uintptr_t)(fc + 1) + FD_LINE - 1) &
	    ~(uintptr_t)(FD_LINE - 1));
}

static size_t
fdtab_size(int n)
{

	return sizeof(struct fdtab) + (size_t)n * sizeof(struct fdfile *);
}

static void
fdtab_free(struct qsbr_entry *e)
{
	struct fdtab *dt = container_of(e, struct fdtab, dt_qsbr);

	kmem_free(dt, fdtab_size(dt->dt_nfiles));
}

/*
 * Makes the table n slots long (n > its length), keeping the slots it
 * has.  A lockless reader may still be looking at the old array, so
 * that goes through qsbr.  fd_lock held, or the table not yet visible.
 */
static int
filedesc_resize(struct filedesc *fdp, int n)
{
	struct fdtab *odt = fdp->fd_dt, *dt;
	struct fdfile *ff;
	int i, on = odt != NULL ? odt->dt_nfiles : 0;

	dt = kmem_alloc(fdtab_size(n), KM_SLEEP);
	if (dt == NULL)
		return ENOMEM;
	ff = fdchunk_alloc(fdp, n - on);
	if (ff == NULL) {
		kmem_free(dt, fdtab_size(n));
		return ENOMEM;
	}
	dt->dt_nfiles = n;
	for (i = 0; i < on; i++)
		dt->dt_ff[i] = odt->dt_ff[i];
	for (; i < n; i++)
		dt->dt_ff[i] = &ff[i - on];
	__atomic_store_n(&fdp->fd_dt, dt, __ATOMIC_RELEASE);
	if (odt != NULL)
		qsbr_retire(&odt->dt_qsbr, fdtab_free);
	return 0;
}

/* Makes room for slot fd (< FD_LIMIT); fd_lock held. */
static int
filedesc_grow(struct filedesc *fdp, int fd)
{
	int n = fdp->fd_dt->dt_nfiles;

	while (n <= fd)
		n *= 2;
	if (n > FD_LIMIT)
		n = FD_LIMIT;
	return filedesc_resize(fdp, n);
}

static void
filedesc_free(struct filedesc *fdp)
{
	struct fdchunk *fc;

	/* Nobody can look at the table any more: no qsbr for it. */
	if (fdp->fd_dt != NULL)
		kmem_free(fdp->fd_dt, fdtab_size(fdp->fd_dt->dt_nfiles));
	while ((fc = fdp->fd_chunks) != NULL) {
		fdp->fd_chunks = fc->fc_next;
		kmem_free(fc, fc->fc_size);
	}
	mutex_destroy(&fdp->fd_lock);
	kmem_free(fdp, sizeof(*fdp));
}

/* An empty table of n slots. */
static struct filedesc *
filedesc_create_n(int n)
{
	struct filedesc *fdp;

	fdp = kmem_zalloc(sizeof(*fdp), KM_SLEEP);
	if (fdp == NULL)
		return NULL;
	fdp->fd_refcnt = 1;
	mutex_init(&fdp->fd_lock, MUTEX_DEFAULT);
	mutex_setstat(&fdp->fd_lock, &fd_lockstat);
	if (filedesc_resize(fdp, n) != 0) {
		filedesc_free(fdp);
		return NULL;
	}
	return fdp;
}

static struct filedesc *
filedesc_create(void)
{

	return filedesc_create_n(FD_INITIAL);
}

static struct cwdinfo *
cwdinfo_create(struct vnode *cdir, struct vnode *rdir, mode_t cmask)
{
	struct cwdinfo *cwdi;

	cwdi = kmem_zalloc(sizeof(*cwdi), KM_SLEEP);
	if (cwdi == NULL)
		return NULL;
	mutex_init(&cwdi->cwdi_lock, MUTEX_DEFAULT);
	mutex_setstat(&cwdi->cwdi_lock, &cwdi_lockstat);
	if (cdir != NULL)
		vref(cdir);
	if (rdir != NULL)
		vref(rdir);
	cwdi->cwdi_cdir = cdir;
	cwdi->cwdi_rdir = rdir;
	cwdi->cwdi_cmask = cmask;
	return cwdi;
}

static void
cwdinfo_free_now(struct qsbr_entry *q)
{

	kmem_free(container_of(q, struct cwdinfo, cwdi_qsbr),
	    sizeof(struct cwdinfo));
}

static void
cwdinfo_free(struct cwdinfo *cwdi)
{

	if (cwdi->cwdi_cdir != NULL)
		vrele(cwdi->cwdi_cdir);
	if (cwdi->cwdi_rdir != NULL)
		vrele(cwdi->cwdi_rdir);
	mutex_destroy(&cwdi->cwdi_lock);
	qsbr_retire(&cwdi->cwdi_qsbr, cwdinfo_free_now);
}

/*
 * A process made before the VFS was ready (proc0, proc1) gets its state
 * on first use.  Installing it with compare-and-swap needs no lock that
 * might not be initialised yet.
 */
static int
proc_filedesc(struct proc *p, struct filedesc **fdpp)
{
	struct filedesc *fdp, *expected = NULL;

	fdp = __atomic_load_n(&p->p_fd, __ATOMIC_ACQUIRE);
	if (fdp == NULL) {
		fdp = filedesc_create();
		if (fdp == NULL)
			return ENOMEM;
		if (!__atomic_compare_exchange_n(&p->p_fd, &expected, fdp,
		    false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			filedesc_free(fdp);
			fdp = expected;
		}
	}
	*fdpp = fdp;
	return 0;
}

static int
proc_cwdinfo(struct proc *p, struct cwdinfo **cwdip)
{
	struct cwdinfo *cwdi, *expected = NULL;

	cwdi = __atomic_load_n(&p->p_cwdi, __ATOMIC_ACQUIRE);
	if (cwdi == NULL) {
		cwdi = cwdinfo_create(rootvnode, rootvnode, 022);
		if (cwdi == NULL)
			return ENOMEM;
		if (!__atomic_compare_exchange_n(&p->p_cwdi, &expected, cwdi,
		    false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			cwdinfo_free(cwdi);
			cwdi = expected;
		}
	}
	*cwdip = cwdi;
	return 0;
}

/* The slot of descriptor fd in fdp, NULL when fd is outside the table.
 * Slots never move, so the pointer stays good after the array does. */
static struct fdfile *
fd_slot(struct filedesc *fdp, int fd)
{
	struct fdtab *dt = __atomic_load_n(&fdp->fd_dt, __ATOMIC_ACQUIRE);

	if (fd < 0 || fd >= dt->dt_nfiles)
		return NULL;
	return dt->dt_ff[fd];
}

static bool
fd_isfile(const struct file *fp)
{

	return fp != NULL && fp != FF_RESERVED;
}

/* The calling process's slot of fd; EBADF outside the table. */
static int
fd_curslot(int fd, struct filedesc **fdpp, struct fdfile **ffp)
{
	struct filedesc *fdp;
	int error;

	error = proc_filedesc(curproc, &fdp);
	if (error != 0)
		return error;
	if ((*ffp = fd_slot(fdp, fd)) == NULL)
		return EBADF;
	*fdpp = fdp;
	return 0;
}

/*
 * fd_freefile is a hint that fd_alloc raises (fd_lock held) and closes
 * lower (no lock).  A close whose slot fd_alloc's scan had passed while
 * it was in use must not be left below the raised hint: the close frees
 * its slot, then lowers the hint if it is above; fd_alloc raises the
 * hint, then looks at the slots it passed again.  Both sides store then
 * load with sequential consistency, so one of them sees the other.
 */
static void
fd_hint_lower(struct filedesc *fdp, int fd)
{
	int hint;

	hint = __atomic_load_n(&fdp->fd_freefile, __ATOMIC_SEQ_CST);
	while (fd < hint && !__atomic_compare_exchange_n(&fdp->fd_freefile,
	    &hint, fd, true, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		continue;
}

/* fd_alloc found every slot in [from, fd) in use (from: the hint it
 * read) and took fd; fd_lock held. */
static void
fd_hint_raise(struct filedesc *fdp, int from, int fd)
{
	struct fdtab *dt = fdp->fd_dt;
	int i;

	/* Failing, a close has lowered it meanwhile, below from. */
	if (!__atomic_compare_exchange_n(&fdp->fd_freefile, &from, fd + 1,
	    false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		return;
	for (i = from; i < fd; i++) {
		if (__atomic_load_n(&dt->dt_ff[i]->ff_file,
		    __ATOMIC_SEQ_CST) == NULL) {
			fd_hint_lower(fdp, i);
			break;
		}
	}
}

/* Empties a slot that held fp or FF_RESERVED (the caller's). */
static void
fd_slot_clear(struct filedesc *fdp, int fd, struct fdfile *ff)
{

	__atomic_store_n(&ff->ff_file, NULL, __ATOMIC_SEQ_CST);
	fd_hint_lower(fdp, fd);
}

int
fd_getfile(int fd, struct file **fpp)
{
	struct filedesc *fdp;
	struct fdfile *ff;
	struct file *fp;
	int error;

	error = fd_curslot(fd, &fdp, &ff);
	if (error != 0)
		return error;
	for (;;) {
		fp = __atomic_load_n(&ff->ff_file, __ATOMIC_ACQUIRE);
		if (!fd_isfile(fp))
			return EBADF;
		/* Refused: its last reference is gone, so the slot no
		 * longer holds it.  Taken: the slot may have been emptied
		 * (and filled again) in between, and close must win. */
		if (file_tryhold(fp)) {
			if (__atomic_load_n(&ff->ff_file, __ATOMIC_ACQUIRE) ==
			    fp) {
				*fpp = fp;
				return 0;
			}
			file_release(fp);
		}
	}
}

int
fd_getfile_nopath(int fd, struct file **fpp)
{
	struct file *fp;
	int error;

	error = fd_getfile(fd, &fp);
	if (error != 0)
		return error;
	if (file_flags(fp) & FPATH) {
		file_release(fp);
		return EBADF;
	}
	*fpp = fp;
	return 0;
}

int
fd_alloc(int minfd, int *fdp_out)
{
	struct filedesc *fdp;
	struct fdtab *dt;
	int fd, hint, error;

	if (minfd < 0 || minfd >= FD_LIMIT)
		return EINVAL;
	error = proc_filedesc(curproc, &fdp);
	if (error != 0)
		return error;
	mutex_enter(&fdp->fd_lock);
	dt = fdp->fd_dt;
	hint = __atomic_load_n(&fdp->fd_freefile, __ATOMIC_SEQ_CST);
	for (fd = MAX(minfd, hint); fd < dt->dt_nfiles; fd++) {
		if (__atomic_load_n(&dt->dt_ff[fd]->ff_file,
		    __ATOMIC_SEQ_CST) == NULL)
			break;
	}
	if (fd >= FD_LIMIT) {
		mutex_exit(&fdp->fd_lock);
		return EMFILE;
	}
	if (fd >= dt->dt_nfiles) {
		error = filedesc_grow(fdp, fd);
		if (error != 0) {
			mutex_exit(&fdp->fd_lock);
			return error;
		}
		dt = fdp->fd_dt;
	}
	__atomic_store_n(&dt->dt_ff[fd]->ff_file, FF_RESERVED,
	    __ATOMIC_RELAXED);
	if (minfd <= hint)
		fd_hint_raise(fdp, hint, fd);
	mutex_exit(&fdp->fd_lock);
	*fdp_out = fd;
	return 0;
}

/* No lock: only the thread that reserved fd changes its slot now. */
void
fd_install(int fd, struct file *fp, bool cloexec)
{
	struct fdfile *ff = fd_slot(curproc->p_fd, fd);

	KASSERT(ff != NULL &&
	    __atomic_load_n(&ff->ff_file, __ATOMIC_RELAXED) == FF_RESERVED);
	file_hold(fp);
	__atomic_store_n(&ff->ff_flags, cloexec ? FDF_CLOEXEC : 0,
	    __ATOMIC_RELAXED);
	/* Release: whoever finds fp sees it and the flags complete. */
	__atomic_store_n(&ff->ff_file, fp, __ATOMIC_RELEASE);
}

void
fd_abort(int fd)
{
	struct filedesc *fdp = curproc->p_fd;
	struct fdfile *ff = fd_slot(fdp, fd);

	KASSERT(ff != NULL &&
	    __atomic_load_n(&ff->ff_file, __ATOMIC_RELAXED) == FF_RESERVED);
	fd_slot_clear(fdp, fd, ff);
}

/* No lock: the slot's compare-and-swap decides between racing closes
 * (and a dup2 onto fd). */
int
fd_close(int fd)
{
	struct filedesc *fdp;
	struct fdfile *ff;
	struct file *fp;
	int error;

	error = fd_curslot(fd, &fdp, &ff);
	if (error != 0)
		return error;
	fp = __atomic_load_n(&ff->ff_file, __ATOMIC_ACQUIRE);
	do {
		if (!fd_isfile(fp))
			return EBADF;
	} while (!__atomic_compare_exchange_n(&ff->ff_file, &fp, NULL, false,
	    __ATOMIC_SEQ_CST, __ATOMIC_ACQUIRE));
	fd_hint_lower(fdp, fd);
	/* The table's reference. */
	file_release(fp);
	return 0;
}

int
fd_dup2(int oldfd, int newfd, bool cloexec)
{
	struct filedesc *fdp;
	struct fdfile *ff;
	struct file *fp, *ofp;
	int error;

	/* Its reference becomes the table's. */
	error = fd_getfile(oldfd, &fp);
	if (error != 0)
		return error;
	if (newfd < 0 || newfd >= FD_LIMIT) {
		file_release(fp);
		return EBADF;
	}
	fdp = curproc->p_fd;
	mutex_enter(&fdp->fd_lock);
	if (newfd >= fdp->fd_dt->dt_nfiles) {
		error = filedesc_grow(fdp, newfd);
		if (error != 0) {
			mutex_exit(&fdp->fd_lock);
			file_release(fp);
			return error;
		}
	}
	ff = fdp->fd_dt->dt_ff[newfd];
	/* Only fd_alloc, which waits for fd_lock, makes FF_RESERVED. */
	if (__atomic_load_n(&ff->ff_file, __ATOMIC_RELAXED) == FF_RESERVED) {
		/* An open in another thread owns the slot (as Linux). */
		mutex_exit(&fdp->fd_lock);
		file_release(fp);
		return EBUSY;
	}
	__atomic_store_n(&ff->ff_flags, cloexec ? FDF_CLOEXEC : 0,
	    __ATOMIC_RELAXED);
	/* A close racing for the old file may take it first. */
	ofp = __atomic_exchange_n(&ff->ff_file, fp, __ATOMIC_SEQ_CST);
	mutex_exit(&fdp->fd_lock);
	if (ofp != NULL)
		file_release(ofp);
	return 0;
}

int
fd_getcloexec(int fd, bool *cloexecp)
{
	struct filedesc *fdp;
	struct fdfile *ff;
	int error;

	error = fd_curslot(fd, &fdp, &ff);
	if (error != 0)
		return error;
	if (!fd_isfile(__atomic_load_n(&ff->ff_file, __ATOMIC_ACQUIRE)))
		return EBADF;
	*cloexecp = (__atomic_load_n(&ff->ff_flags, __ATOMIC_RELAXED) &
	    FDF_CLOEXEC) != 0;
	return 0;
}

/* fd_lock held: no other file can be put at fd between the check and
 * the store (that needs fd_alloc or fd_dup2). */
int
fd_setcloexec(int fd, bool cloexec)
{
	struct filedesc *fdp;
	struct fdfile *ff;
	int error;

	error = fd_curslot(fd, &fdp, &ff);
	if (error != 0)
		return error;
	mutex_enter(&fdp->fd_lock);
	if (!fd_isfile(__atomic_load_n(&ff->ff_file, __ATOMIC_ACQUIRE))) {
		mutex_exit(&fdp->fd_lock);
		return EBADF;
	}
	__atomic_store_n(&ff->ff_flags, cloexec ? FDF_CLOEXEC : 0,
	    __ATOMIC_RELAXED);
	mutex_exit(&fdp->fd_lock);
	return 0;
}

int
cwd_get(struct vnode **cdirp, struct vnode **rdirp)
{
	struct cwdinfo *cwdi;
	int error;

	error = proc_cwdinfo(curproc, &cwdi);
	if (error != 0)
		return error;
	mutex_enter(&cwdi->cwdi_lock);
	if (cwdi->cwdi_rdir == NULL && rootvnode != NULL) {
		/* The root file system appeared after this process. */
		vref(rootvnode);
		__atomic_store_n(&cwdi->cwdi_rdir, rootvnode,
		    __ATOMIC_RELEASE);
	}
	if (cwdi->cwdi_cdir == NULL && cwdi->cwdi_rdir != NULL) {
		vref(cwdi->cwdi_rdir);
		__atomic_store_n(&cwdi->cwdi_cdir, cwdi->cwdi_rdir,
		    __ATOMIC_RELEASE);
	}
	if (cwdi->cwdi_rdir == NULL) {
		mutex_exit(&cwdi->cwdi_lock);
		return ENOENT;
	}
	if (cdirp != NULL) {
		vref(cwdi->cwdi_cdir);
		*cdirp = cwdi->cwdi_cdir;
	}
	vref(cwdi->cwdi_rdir);
	*rdirp = cwdi->cwdi_rdir;
	mutex_exit(&cwdi->cwdi_lock);
	return 0;
}

bool
cwd_peek(struct vnode **cdirp, struct vnode **rdirp)
{
	struct cwdinfo *cwdi;

	/* Sequentially consistent: see vcache_peek. */
	cwdi = __atomic_load_n(&curproc->p_cwdi, __ATOMIC_ACQUIRE);
	if (cwdi == NULL)
		return false;
	*cdirp = __atomic_load_n(&cwdi->cwdi_cdir, __ATOMIC_SEQ_CST);
	*rdirp = __atomic_load_n(&cwdi->cwdi_rdir, __ATOMIC_SEQ_CST);
	return *cdirp != NULL && *rdirp != NULL;
}

int
cwd_setcdir(struct vnode *vp)
{
	struct cwdinfo *cwdi;
	struct vnode *ovp;
	int error;

	error = proc_cwdinfo(curproc, &cwdi);
	if (error != 0) {
		vrele(vp);
		return error;
	}
	mutex_enter(&cwdi->cwdi_lock);
	ovp = cwdi->cwdi_cdir;
	__atomic_store_n(&cwdi->cwdi_cdir, vp, __ATOMIC_RELEASE);
	mutex_exit(&cwdi->cwdi_lock);
	if (ovp != NULL)
		vrele(ovp);
	return 0;
}

mode_t
cwd_umask(mode_t mask, bool set)
{
	struct cwdinfo *cwdi;
	mode_t omask;

	if (proc_cwdinfo(curproc, &cwdi) != 0)
		return 022;
	/* Reading it (every create) takes no lock. */
	if (!set)
		return __atomic_load_n(&cwdi->cwdi_cmask, __ATOMIC_RELAXED);
	mutex_enter(&cwdi->cwdi_lock);
	omask = cwdi->cwdi_cmask;
	__atomic_store_n(&cwdi->cwdi_cmask, mask & 0777, __ATOMIC_RELAXED);
	mutex_exit(&cwdi->cwdi_lock);
	return omask;
}

/*
 * A copy of parent's table for the child: the same files at the same
 * numbers; descriptors being opened right now are not copied.  fd_lock
 * keeps opens and dup2 out, but closes in other threads go on: a file
 * closed while the copy is made is in the child or not, as if the fork
 * came before or after that close.
 */
static int
filedesc_copy(struct filedesc *pfdp, struct filedesc **fdpp)
{
	struct filedesc *fdp;
	struct fdtab *pdt, *dt;
	struct file *fp;
	int fd;

	mutex_enter(&pfdp->fd_lock);
	pdt = pfdp->fd_dt;
	fdp = filedesc_create_n(pdt->dt_nfiles);
	if (fdp == NULL) {
		mutex_exit(&pfdp->fd_lock);
		return ENOMEM;
	}
	dt = fdp->fd_dt;
	for (fd = 0; fd < pdt->dt_nfiles; fd++) {
		fp = __atomic_load_n(&pdt->dt_ff[fd]->ff_file,
		    __ATOMIC_ACQUIRE);
		if (!fd_isfile(fp) || !file_tryhold(fp))
			continue;
		dt->dt_ff[fd]->ff_file = fp;
		dt->dt_ff[fd]->ff_flags = __atomic_load_n(
		    &pdt->dt_ff[fd]->ff_flags, __ATOMIC_RELAXED) & FDF_CLOEXEC;
	}
	mutex_exit(&pfdp->fd_lock);
	/* The copy is not visible yet: its hint needs no care. */
	for (fd = 0; fd < dt->dt_nfiles && dt->dt_ff[fd]->ff_file != NULL;
	    fd++)
		continue;
	fdp->fd_freefile = fd;
	*fdpp = fdp;
	return 0;
}

static void
filedesc_release(struct filedesc *fdp)
{
	struct fdtab *dt;
	struct file *fp;
	int fd;

	if (__atomic_sub_fetch(&fdp->fd_refcnt, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	/* The last process is gone: nobody else can see the table. */
	dt = fdp->fd_dt;
	for (fd = 0; fd < dt->dt_nfiles; fd++) {
		fp = dt->dt_ff[fd]->ff_file;
		if (fd_isfile(fp))
			file_release(fp);
	}
	filedesc_free(fdp);
}

static int
vfs_proc_fork(struct proc *parent, struct proc *child, int flags)
{
	struct filedesc *pfdp, *fdp;
	struct cwdinfo *pcwdi, *cwdi;
	int error;

	error = proc_filedesc(parent, &pfdp);
	if (error == 0)
		error = proc_cwdinfo(parent, &pcwdi);
	if (error != 0)
		return error;

	if (flags & RUMP_RFCFDG) {
		fdp = filedesc_create();
		error = fdp == NULL ? ENOMEM : 0;
	} else if (flags & RUMP_RFFDG) {
		error = filedesc_copy(pfdp, &fdp);
	} else {
		__atomic_fetch_add(&pfdp->fd_refcnt, 1, __ATOMIC_RELAXED);
		fdp = pfdp;
	}
	if (error != 0)
		return error;

	mutex_enter(&pcwdi->cwdi_lock);
	cwdi = cwdinfo_create(pcwdi->cwdi_cdir, pcwdi->cwdi_rdir,
	    pcwdi->cwdi_cmask);
	mutex_exit(&pcwdi->cwdi_lock);
	if (cwdi == NULL) {
		filedesc_release(fdp);
		return ENOMEM;
	}
	child->p_fd = fdp;
	child->p_cwdi = cwdi;
	return 0;
}

static void
vfs_proc_exit(struct proc *p)
{
	struct filedesc *fdp = p->p_fd;
	struct cwdinfo *cwdi = p->p_cwdi;

	p->p_fd = NULL;
	p->p_cwdi = NULL;
	if (fdp != NULL)
		filedesc_release(fdp);
	if (cwdi != NULL)
		cwdinfo_free(cwdi);
}

static const struct proc_hook vfs_proc_hook = {
	.ph_name = "vfs",
	.ph_fork = vfs_proc_fork,
	.ph_exit = vfs_proc_exit,
};
PROC_HOOK(vfs_proc_hook);

int
fd_newfile(const struct fileops *ops, void *data, int fflag, int flags,
    int *fdp, struct file **fpp)
{
	struct file *fp;
	int error, fd;

	error = fd_alloc(0, &fd);
	if (error != 0)
		return error;
	error = file_alloc(&fp);
	if (error != 0) {
		fd_abort(fd);
		return error;
	}
	fp->f_flag = fflag | (flags & O_NONBLOCK);
	fp->f_ops = ops;
	fp->f_data = data;
	fd_install(fd, fp, (flags & O_CLOEXEC) != 0);
	if (fpp != NULL)
		*fpp = fp;
	else
		file_release(fp);
	*fdp = fd;
	return 0;
}

int
fd_installnew(struct file *fp, bool cloexec, int *fdp)
{
	int error, fd;

	error = fd_alloc(0, &fd);
	if (error != 0)
		return error;
	fd_install(fd, fp, cloexec);
	*fdp = fd;
	return 0;
}
