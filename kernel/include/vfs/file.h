/*
 * file.h: open files, per-process descriptor tables and cwd state.
 *
 * A struct file is one open file description (what open(2), pipe(2),
 * socket(2) ... create and dup(2) shares): the object (a vnode, a pipe
 * end, a socket, ...) behind a table of operations, the access mode,
 * the status flags and the offset.  A struct filedesc maps descriptor
 * numbers to files for one or more processes (shared after an rfork
 * without RUMP_RFFDG/RUMP_RFCFDG).  A struct cwdinfo holds a process's
 * current and root directories and its umask; it is copied on fork.
 *
 * Both per-process structures are created on first use for a process
 * that has none yet (proc0/proc1 are made by the base kernel before the
 * VFS may have a root file system), and by the fork hook otherwise.
 */
#ifndef VFS_FILE_H
#define VFS_FILE_H

#include <kern/types.h>
#include <kern/lock.h>
#include <kern/qsbr.h>
#include <vfs/abi.h>

struct vnode;
struct proc;
struct uio;
struct stat;
struct polltable;
struct file;
struct epitem;

/*
 * Operations of one kind of open file (vnode, pipe, socket, eventfd,
 * epoll instance, ...).  Each kind defines one const struct fileops and
 * sets f_ops and f_data when it creates a file; the descriptor calls
 * (read, write, fstat, ioctl, poll, close) dispatch through it and never
 * ask what kind a file is.  Every operation returns 0 or a positive
 * errno; the caller holds a reference to fp for the duration.
 */
struct fileops {
	const char *fo_name;
	unsigned    fo_flags;
#define FO_SEEKABLE	0x01	/* has an offset: pread/pwrite/lseek work
				 * (without it they fail with ESPIPE) */
	/* statfs f_type reported by fstatfs for a file of this kind that
	 * has no vnode (PIPEFS_MAGIC, SOCKFS_MAGIC, ...). */
	long	    fo_fsmagic;
	/* Transfers between the object and uio.  With FOF_UPDATE the
	 * transfer starts at (and advances) f_offset, which the operation
	 * reads and writes under f_offlock; without it uio_offset says
	 * where (pread/pwrite; only FO_SEEKABLE files see that).  A
	 * partial transfer returns 0 with uio_resid telling how much is
	 * left.  Blocking follows file_flags(fp) & O_NONBLOCK (EAGAIN). */
	int	(*fo_read)(struct file *fp, struct uio *uio, int flags);
	int	(*fo_write)(struct file *fp, struct uio *uio, int flags);
#define FOF_UPDATE	0x01
	/* An ioctl the generic layer does not handle itself (it does
	 * FIONBIO, FIOASYNC, FIOCLEX, FIONCLEX); data is the client
	 * address of the argument.  NULL or ENOTTY: not supported. */
	int	(*fo_ioctl)(struct file *fp, unsigned long cmd, void *data);
	int	(*fo_stat)(struct file *fp, struct stat *st);
	/*
	 * Readiness: returns the POLL* bits (vfs/poll.h) of events that
	 * hold now, of those asked for plus POLLERR, POLLHUP, POLLNVAL,
	 * which are always reported.  With pt != NULL it first registers
	 * the caller on every pollhead whose wakeups may change the answer
	 * (poll_wait(pt, ph)), so that no event between the check and the
	 * caller's sleep is lost.  Never blocks.  NULL: always ready for
	 * reading and writing, and epoll refuses the file (EPERM).
	 */
	int	(*fo_poll)(struct file *fp, int events, struct polltable *pt);
	/* The last reference is gone: release the object.  Called once,
	 * after the epoll registrations of fp have been removed. */
	void	(*fo_close)(struct file *fp);
};

struct file {
	unsigned	 f_count;	/* references (atomic) */
	const struct fileops *f_ops;	/* NULL until the object is set */
	void		*f_data;	/* the object, owned by f_ops */
	int		 f_flag;	/* F* access bits | O_APPEND | O_NONBLOCK */
	kmutex_t	 f_offlock;	/* serialises I/O that uses f_offset */
	off_t		 f_offset;	/* byte offset, or directory cookie */
	struct epitem	*f_epitems;	/* epoll registrations (epoll_lock) */
	struct qsbr_entry f_qsbr;	/* freeing after the last reference */
};

/* The file kinds of the VFS faction. */
extern const struct fileops vnode_fileops;
extern const struct fileops pipe_fileops;
/* Character device nodes (vfs/cdev.h); f_data is the vnode too. */
extern const struct fileops cdev_fileops;

/* The vnode of a file opened through the name space (not referenced:
 * valid while the caller holds fp), NULL for any other kind. */
static inline struct vnode *
file_vnode(struct file *fp)
{

	return fp->f_ops == &vnode_fileops || fp->f_ops == &cdev_fileops ?
	    (struct vnode *)fp->f_data :
	    NULL;
}

/* f_flag access bits; chosen not to overlap the O_* status flags kept
 * beside them. */
#define FREAD		0x01
#define FWRITE		0x02
#define FPATH		0x04	/* O_PATH: names a file, no I/O */
/* Status flags F_SETFL may change. */
#define FSETFL_MASK	(O_APPEND | O_NONBLOCK)

/* A new file with one reference and no object; ENOMEM or ENFILE. */
int	 file_alloc(struct file **fpp);
void	 file_hold(struct file *fp);
/* A reference, unless the last one is already gone (false).  For
 * lockless lookups: fp's memory stays valid (qsbr) while the caller
 * holds its virtual CPU, but a file at count 0 is being closed. */
bool	 file_tryhold(struct file *fp);
/* Drops a reference; the last one closes the object. */
void	 file_release(struct file *fp);
/* Current f_flag (may change concurrently through F_SETFL). */
int	 file_flags(struct file *fp);
void	 file_setflags(struct file *fp, int mask, int bits);

/*
 * Descriptor tables.  All functions act on the calling process's table
 * and return 0 or an errno.
 */
#define FD_LIMIT	1024		/* highest descriptor + 1 (EMFILE) */

/* A held reference to the file at fd (EBADF); release with
 * file_release().  O_PATH files are returned too: callers check FPATH. */
int	 fd_getfile(int fd, struct file **fpp);
/* The same, but EBADF for O_PATH files, which only name a file: what
 * calls that read, write or change the file itself need (fd_getfile is
 * Linux's fdget_raw(), this its fdget()). */
int	 fd_getfile_nopath(int fd, struct file **fpp);
/* Reserves the lowest free descriptor >= minfd (EMFILE, EINVAL when
 * minfd is outside the limit); then fd_install() or fd_abort(). */
int	 fd_alloc(int minfd, int *fdp);
/* Puts fp (the table takes its own reference) at reserved fd. */
void	 fd_install(int fd, struct file *fp, bool cloexec);
void	 fd_abort(int fd);
/* Closes fd (EBADF). */
int	 fd_close(int fd);
/* dup2/dup3: makes newfd refer to the file at oldfd, closing newfd
 * first if it is open (EBADF for bad descriptors). */
int	 fd_dup2(int oldfd, int newfd, bool cloexec);
int	 fd_getcloexec(int fd, bool *cloexecp);
int	 fd_setcloexec(int fd, bool cloexec);

/*
 * Current directory, root directory and umask of the calling process.
 * cwd_get() returns referenced vnodes (ENOENT when there is no root file
 * system; with cdirp NULL, the root only); cwd_set*() consume the
 * reference they are given.
 */
int	 cwd_get(struct vnode **cdirp, struct vnode **rdirp);
/* The same without references or locks, for a lookup under the rules of
 * kern/qsbr.h; false when cwd_get() is needed (no directories yet). */
bool	 cwd_peek(struct vnode **cdirp, struct vnode **rdirp);
int	 cwd_setcdir(struct vnode *vp);
/* Sets the umask and returns the old one. */
mode_t	 cwd_umask(mode_t mask, bool set);

/* Pipes: a connected pair of files, fps[0] the read end. */
int	 pipe_create(struct file *fps[2], int flags);
/* Opens the FIFO vp into fp (f_flag already set: FREAD/FWRITE and
 * O_NONBLOCK), waiting for the other side as POSIX says; ENXIO for a
 * non-blocking writer without readers.  On success fp owns the caller's
 * reference to vp; on failure the caller still does. */
int	 fifo_open(struct file *fp, struct vnode *vp, int fflag);
/* The FIFO's own vnode for a file fifo_open() made (not referenced:
 * valid while the caller holds fp), NULL for any other file. */
struct vnode *fifo_vnode(struct file *fp);

/*
 * Files whose object lives elsewhere (sockets, eventfd, epoll): allocates
 * a file with ops/data and access mode fflag (FREAD|FWRITE) plus
 * O_NONBLOCK from flags, reserves the lowest free descriptor and installs
 * it (O_CLOEXEC from flags).  On success *fdp is the descriptor and, if
 * fpp is not NULL, *fpp a held reference (file_release() it).  On
 * failure nothing is installed and the object is NOT released: the
 * caller still owns it.
 */
int	 fd_newfile(const struct fileops *ops, void *data, int fflag,
	    int flags, int *fdp, struct file **fpp);
/* Puts fp (already set up) at the lowest free descriptor; the table takes
 * its own reference (SCM_RIGHTS).  EMFILE. */
int	 fd_installnew(struct file *fp, bool cloexec, int *fdp);

#endif /* VFS_FILE_H */
