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

/* fd_oflags bits */
#define FDF_CLOEXEC	0x01
#define FDF_RESERVED	0x02	/* between fd_alloc and fd_install */

struct filedesc {
	kmutex_t	 fd_lock;
	unsigned	 fd_refcnt;	/* processes sharing it (atomic) */
	int		 fd_nfiles;	/* slots allocated */
	int		 fd_freefile;	/* no free slot below this */
	struct file	**fd_ofiles;
	uint8_t		*fd_oflags;
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

/* Zeroed slot arrays for n descriptors; false when out of memory. */
static bool
fd_slots_alloc(int n, struct file ***filesp, uint8_t **flagsp)
{
	struct file **files;
	uint8_t *flags;

	files = kmem_zalloc((size_t)n * sizeof(*files), KM_SLEEP);
	flags = kmem_zalloc((size_t)n, KM_SLEEP);
	if (files == NULL || flags == NULL) {
		if (files != NULL)
			kmem_free(files, (size_t)n * sizeof(*files));
		if (flags != NULL)
			kmem_free(flags, (size_t)n);
		return false;
	}
	*filesp = files;
	*flagsp = flags;
	return true;
}

static void
fd_slots_free(int n, struct file **files, uint8_t *flags)
{

	kmem_free(files, (size_t)n * sizeof(*files));
	kmem_free(flags, (size_t)n);
}

static struct filedesc *
filedesc_create(void)
{
	struct filedesc *fdp;

	fdp = kmem_zalloc(sizeof(*fdp), KM_SLEEP);
	if (fdp == NULL)
		return NULL;
	if (!fd_slots_alloc(FD_INITIAL, &fdp->fd_ofiles, &fdp->fd_oflags)) {
		kmem_free(fdp, sizeof(*fdp));
		return NULL;
	}
	fdp->fd_nfiles = FD_INITIAL;
	fdp->fd_refcnt = 1;
	mutex_init(&fdp->fd_lock, MUTEX_DEFAULT);
	mutex_setstat(&fdp->fd_lock, &fd_lockstat);
	return fdp;
}

static void
filedesc_free(struct filedesc *fdp)
{

	mutex_destroy(&fdp->fd_lock);
	fd_slots_free(fdp->fd_nfiles, fdp->fd_ofiles, fdp->fd_oflags);
	kmem_free(fdp, sizeof(*fdp));
}

/* Makes room for slot fd (< FD_LIMIT); fd_lock held. */
static int
filedesc_grow(struct filedesc *fdp, int fd)
{
	struct file **nfiles;
	uint8_t *nflags;
	int n = fdp->fd_nfiles;

	while (n <= fd)
		n *= 2;
	if (n > FD_LIMIT)
		n = FD_LIMIT;
	if (!fd_slots_alloc(n, &nfiles, &nflags))
		return ENOMEM;
	memcpy(nfiles, fdp->fd_ofiles,
	    (size_t)fdp->fd_nfiles * sizeof(struct file *));
	memcpy(nflags, fdp->fd_oflags, (size_t)fdp->fd_nfiles);
	fd_slots_free(fdp->fd_nfiles, fdp->fd_ofiles, fdp->fd_oflags);
	fdp->fd_ofiles = nfiles;
	fdp->fd_oflags = nflags;
	fdp->fd_nfiles = n;
	return 0;
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

/*
 * What every call on an open descriptor starts with: the calling
 * process's table, returned locked, and the file at fd in it.  EBADF
 * when fd is not open (and then nothing stays locked).
 */
static int
fd_lookup_and_lock(int fd, struct filedesc **fdpp, struct file **fpp)
{
	struct filedesc *fdp;
	int error;

	error = proc_filedesc(curproc, &fdp);
	if (error != 0)
		return error;
	if (fd < 0)
		return EBADF;
	mutex_enter(&fdp->fd_lock);
	if (fd >= fdp->fd_nfiles || fdp->fd_ofiles[fd] == NULL) {
		mutex_exit(&fdp->fd_lock);
		return EBADF;
	}
	*fdpp = fdp;
	*fpp = fdp->fd_ofiles[fd];
	return 0;
}

int
fd_getfile(int fd, struct file **fpp)
{
	struct filedesc *fdp;
	struct file *fp;
	int error;

	error = fd_lookup_and_lock(fd, &fdp, &fp);
	if (error != 0)
		return error;
	file_hold(fp);
	mutex_exit(&fdp->fd_lock);
	*fpp = fp;
	return 0;
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

static bool
fd_slotfree(struct filedesc *fdp, int fd)
{

	return fdp->fd_ofiles[fd] == NULL &&
	    (fdp->fd_oflags[fd] & FDF_RESERVED) == 0;
}

int
fd_alloc(int minfd, int *fdp_out)
{
	struct filedesc *fdp;
	int fd, error;

	if (minfd < 0 || minfd >= FD_LIMIT)
		return EINVAL;
	error = proc_filedesc(curproc, &fdp);
	if (error != 0)
		return error;
	mutex_enter(&fdp->fd_lock);
	fd = MAX(minfd, fdp->fd_freefile);
	while (fd < fdp->fd_nfiles && !fd_slotfree(fdp, fd))
		fd++;
	if (fd >= FD_LIMIT) {
		mutex_exit(&fdp->fd_lock);
		return EMFILE;
	}
	if (fd >= fdp->fd_nfiles) {
		error = filedesc_grow(fdp, fd);
		if (error != 0) {
			mutex_exit(&fdp->fd_lock);
			return error;
		}
	}
	fdp->fd_oflags[fd] = FDF_RESERVED;
	if (minfd <= fdp->fd_freefile)
		fdp->fd_freefile = fd + 1;
	mutex_exit(&fdp->fd_lock);
	*fdp_out = fd;
	return 0;
}

void
fd_install(int fd, struct file *fp, bool cloexec)
{
	struct filedesc *fdp = curproc->p_fd;

	file_hold(fp);
	mutex_enter(&fdp->fd_lock);
	KASSERT(fdp->fd_oflags[fd] & FDF_RESERVED);
	fdp->fd_ofiles[fd] = fp;
	fdp->fd_oflags[fd] = cloexec ? FDF_CLOEXEC : 0;
	mutex_exit(&fdp->fd_lock);
}

void
fd_abort(int fd)
{
	struct filedesc *fdp = curproc->p_fd;

	mutex_enter(&fdp->fd_lock);
	KASSERT(fdp->fd_oflags[fd] & FDF_RESERVED);
	fdp->fd_oflags[fd] = 0;
	if (fd < fdp->fd_freefile)
		fdp->fd_freefile = fd;
	mutex_exit(&fdp->fd_lock);
}

int
fd_close(int fd)
{
	struct filedesc *fdp;
	struct file *fp;
	int error;

	error = fd_lookup_and_lock(fd, &fdp, &fp);
	if (error != 0)
		return error;
	fdp->fd_ofiles[fd] = NULL;
	fdp->fd_oflags[fd] = 0;
	if (fd < fdp->fd_freefile)
		fdp->fd_freefile = fd;
	mutex_exit(&fdp->fd_lock);
	file_release(fp);
	return 0;
}

int
fd_dup2(int oldfd, int newfd, bool cloexec)
{
	struct filedesc *fdp;
	struct file *fp, *ofp;
	int error;

	error = fd_lookup_and_lock(oldfd, &fdp, &fp);
	if (error != 0)
		return error;
	if (newfd < 0 || newfd >= FD_LIMIT) {
		mutex_exit(&fdp->fd_lock);
		return EBADF;
	}
	if (newfd >= fdp->fd_nfiles) {
		error = filedesc_grow(fdp, newfd);
		if (error != 0) {
			mutex_exit(&fdp->fd_lock);
			return error;
		}
	}
	if (fdp->fd_oflags[newfd] & FDF_RESERVED) {
		/* An open in another thread owns the slot (as Linux). */
		mutex_exit(&fdp->fd_lock);
		return EBUSY;
	}
	ofp = fdp->fd_ofiles[newfd];
	file_hold(fp);
	fdp->fd_ofiles[newfd] = fp;
	fdp->fd_oflags[newfd] = cloexec ? FDF_CLOEXEC : 0;
	mutex_exit(&fdp->fd_lock);
	if (ofp != NULL)
		file_release(ofp);
	return 0;
}

int
fd_getcloexec(int fd, bool *cloexecp)
{
	struct filedesc *fdp;
	struct file *fp;
	int error;

	error = fd_lookup_and_lock(fd, &fdp, &fp);
	if (error != 0)
		return error;
	*cloexecp = (fdp->fd_oflags[fd] & FDF_CLOEXEC) != 0;
	mutex_exit(&fdp->fd_lock);
	return 0;
}

int
fd_setcloexec(int fd, bool cloexec)
{
	struct filedesc *fdp;
	struct file *fp;
	int error;

	error = fd_lookup_and_lock(fd, &fdp, &fp);
	if (error != 0)
		return error;
	if (cloexec)
		fdp->fd_oflags[fd] |= FDF_CLOEXEC;
	else
		fdp->fd_oflags[fd] &= (uint8_t)~FDF_CLOEXEC;
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

	cwdi = __atomic_load_n(&curproc->p_cwdi, __ATOMIC_ACQUIRE);
	if (cwdi == NULL)
		return false;
	*cdirp = __atomic_load_n(&cwdi->cwdi_cdir, __ATOMIC_ACQUIRE);
	*rdirp = __atomic_load_n(&cwdi->cwdi_rdir, __ATOMIC_ACQUIRE);
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

/* A copy of parent's table for the child: the same files at the same
 * numbers; descriptors being opened right now are not copied. */
static int
filedesc_copy(struct filedesc *pfdp, struct filedesc **fdpp)
{
	struct filedesc *fdp;
	int fd, error = 0;

	fdp = filedesc_create();
	if (fdp == NULL)
		return ENOMEM;
	mutex_enter(&pfdp->fd_lock);
	if (pfdp->fd_nfiles > fdp->fd_nfiles)
		error = filedesc_grow(fdp, pfdp->fd_nfiles - 1);
	if (error == 0) {
		for (fd = 0; fd < pfdp->fd_nfiles; fd++) {
			if (pfdp->fd_ofiles[fd] == NULL)
				continue;
			file_hold(pfdp->fd_ofiles[fd]);
			fdp->fd_ofiles[fd] = pfdp->fd_ofiles[fd];
			fdp->fd_oflags[fd] = pfdp->fd_oflags[fd] & FDF_CLOEXEC;
		}
	}
	mutex_exit(&pfdp->fd_lock);
	if (error != 0) {
		filedesc_free(fdp);
		return error;
	}
	*fdpp = fdp;
	return 0;
}

static void
filedesc_release(struct filedesc *fdp)
{
	int fd;

	if (__atomic_sub_fetch(&fdp->fd_refcnt, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	/* The last process is gone: nobody else can see the table. */
	for (fd = 0; fd < fdp->fd_nfiles; fd++) {
		if (fdp->fd_ofiles[fd] != NULL)
			file_release(fdp->fd_ofiles[fd]);
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
