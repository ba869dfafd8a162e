/*
 * file.h: open files, per-process descriptor tables and cwd state.
 *
 * A struct file is one open file description (what open(2) creates and
 * dup(2) shares): the object (a vnode or a pipe end), the access mode,
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
#include <vfs/abi.h>

struct vnode;
struct pipe;
struct proc;
struct uio;
struct stat;

enum file_type { FTYPE_VNODE = 1, FTYPE_PIPE };

struct file {
	unsigned	 f_count;	/* references (atomic) */
	enum file_type	 f_type;
	int		 f_flag;	/* F* access bits | O_APPEND | O_NONBLOCK */
	kmutex_t	 f_offlock;	/* serialises I/O that uses f_offset */
	off_t		 f_offset;	/* byte offset, or directory cookie */
	struct vnode	*f_vnode;	/* FTYPE_VNODE: referenced */
	struct pipe	*f_pipe;	/* FTYPE_PIPE */
};

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
 * system); cwd_set*() consume the reference they are given.
 */
int	 cwd_get(struct vnode **cdirp, struct vnode **rdirp);
int	 cwd_setcdir(struct vnode *vp);
/* Sets the umask and returns the old one. */
mode_t	 cwd_umask(mode_t mask, bool set);

/* Per-file-type operations (vfs_file.c, vfs_pipe.c). */
int	 file_read(struct file *fp, struct uio *uio, bool useoff);
int	 file_write(struct file *fp, struct uio *uio, bool useoff);
int	 file_stat(struct file *fp, struct stat *st);

/* Pipes: a connected pair of files, fps[0] the read end. */
int	 pipe_create(struct file *fps[2], int flags);
void	 pipe_close(struct pipe *pp, bool writer);
int	 pipe_read(struct file *fp, struct uio *uio);
int	 pipe_write(struct file *fp, struct uio *uio);
int	 pipe_stat(struct file *fp, struct stat *st);

#endif /* VFS_FILE_H */
