/*
 * sys_descriptor.c: calls on descriptors themselves: close, dup, dup2,
 * dup3, fcntl, pipe, pipe2.
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/proc.h>
#include <kern/syscall.h>
#include <rump/rump_syscalls.h>
#include <vfs/vnode.h>
#include <vfs/abi.h>
#include <vfs/file.h>
#include <vfs/vfs.h>

SYSCALL(SYS_close, close)
{

	(void)retval;
	return fd_close((int)args[0]);
}

static int
dodup(int oldfd, int minfd, bool cloexec, long *retval)
{
	struct file *fp;
	int fd, error;

	error = fd_getfile(oldfd, &fp);
	if (error != 0)
		return error;
	error = fd_alloc(minfd, &fd);
	if (error == 0) {
		fd_install(fd, fp, cloexec);
		*retval = fd;
	}
	file_release(fp);
	return error;
}

SYSCALL(SYS_dup, dup)
{

	return dodup((int)args[0], 0, false, retval);
}

SYSCALL_LEGACY(SYS_dup2, dup2)
{
	int oldfd = (int)args[0], newfd = (int)args[1];
	struct file *fp;
	int error;

	if (oldfd == newfd) {
		/* Nothing to do, but oldfd must be valid. */
		error = fd_getfile(oldfd, &fp);
		if (error != 0)
			return error;
		file_release(fp);
		*retval = newfd;
		return 0;
	}
	error = fd_dup2(oldfd, newfd, false);
	if (error == 0)
		*retval = newfd;
	return error;
}

SYSCALL(SYS_dup3, dup3)
{
	int oldfd = (int)args[0], newfd = (int)args[1], flags = (int)args[2];
	int error;

	if ((flags & ~O_CLOEXEC) != 0 || oldfd == newfd)
		return EINVAL;
	error = fd_dup2(oldfd, newfd, (flags & O_CLOEXEC) != 0);
	if (error == 0)
		*retval = newfd;
	return error;
}

SYSCALL(SYS_fcntl, fcntl)
{
	int fd = (int)args[0], cmd = (int)args[1];
	long arg = args[2];
	struct file *fp;
	struct vattr va;
	bool cloexec;
	int error, fl, acc;

	error = fd_getfile(fd, &fp);
	if (error != 0)
		return error;
	fl = file_flags(fp);
	switch (cmd) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		if (arg < 0 || arg >= FD_LIMIT) {
			error = EINVAL;
			break;
		}
		error = dodup(fd, (int)arg, cmd == F_DUPFD_CLOEXEC, retval);
		break;
	case F_GETFD:
		error = fd_getcloexec(fd, &cloexec);
		if (error == 0)
			*retval = cloexec ? FD_CLOEXEC : 0;
		break;
	case F_SETFD:
		error = fd_setcloexec(fd, (arg & FD_CLOEXEC) != 0);
		if (error == 0)
			*retval = 0;
		break;
	case F_GETFL:
		if (fl & FPATH)
			acc = O_PATH;
		else if ((fl & (FREAD | FWRITE)) == (FREAD | FWRITE))
			acc = O_RDWR;
		else if (fl & FWRITE)
			acc = O_WRONLY;
		else
			acc = O_RDONLY;
		*retval = acc | (fl & FSETFL_MASK);
		break;
	case F_SETFL:
		if (fl & FPATH) {
			error = EBADF;
			break;
		}
		/* As for open(): O_NOATIME is for the owner only. */
		if ((arg & O_NOATIME) != 0 && file_vnode(fp) != NULL &&
		    !cred_is_superuser(kauth_cred_get()) &&
		    (error = vn_getattr(file_vnode(fp), &va)) == 0 &&
		    va.va_uid != kauth_cred_get()->cr_euid)
			error = EPERM;
		if (error != 0)
			break;
		/* The access mode and creation flags cannot change; other
		 * status flags are accepted and ignored, as Linux does. */
		file_setflags(fp, FSETFL_MASK, (int)arg);
		*retval = 0;
		break;
	default:
		/* Linux: an O_PATH descriptor knows only the commands
		 * above, so anything else is a bad descriptor there. */
		error = (fl & FPATH) ? EBADF : EINVAL;
		break;
	}
	file_release(fp);
	return error;
}

/*
 * ioctl: the descriptor-level commands here, everything else by the
 * file's kind (FIONREAD on files, pipes and sockets, ...).  ENOTTY for
 * what no one knows, as Linux.
 */
SYSCALL(SYS_ioctl, ioctl)
{
	int fd = (int)args[0];
	unsigned long cmd = (unsigned long)(unsigned int)args[1];
	void *data = (void *)args[2];
	struct file *fp;
	int error, on;

	error = fd_getfile_nopath(fd, &fp);
	if (error != 0)
		return error;
	switch (cmd) {
	case FIOCLEX:
	case FIONCLEX:
		error = fd_setcloexec(fd, cmd == FIOCLEX);
		break;
	case FIONBIO:
		error = copyin(data, &on, sizeof(on));
		if (error == 0)
			file_setflags(fp, O_NONBLOCK, on ? O_NONBLOCK : 0);
		break;
	default:
		error = fp->f_ops->fo_ioctl != NULL ?
		    fp->f_ops->fo_ioctl(fp, cmd, data) : ENOTTY;
		break;
	}
	file_release(fp);
	if (error == 0)
		*retval = 0;
	return error;
}

static int
dopipe(int *ufds, int flags)
{
	struct file *fps[2];
	int fds[2], error;

	if ((flags & ~(O_CLOEXEC | O_NONBLOCK)) != 0)
		return EINVAL;
	if (ufds == NULL)
		return EFAULT;
	error = fd_alloc(0, &fds[0]);
	if (error != 0)
		return error;
	error = fd_alloc(0, &fds[1]);
	if (error != 0) {
		fd_abort(fds[0]);
		return error;
	}
	error = pipe_create(fps, flags);
	if (error != 0) {
		fd_abort(fds[0]);
		fd_abort(fds[1]);
		return error;
	}
	fd_install(fds[0], fps[0], (flags & O_CLOEXEC) != 0);
	fd_install(fds[1], fps[1], (flags & O_CLOEXEC) != 0);
	file_release(fps[0]);
	file_release(fps[1]);
	error = copyout(fds, ufds, sizeof(fds));
	if (error != 0) {
		(void)fd_close(fds[0]);
		(void)fd_close(fds[1]);
	}
	return error;
}

SYSCALL_LEGACY(SYS_pipe, pipe)
{

	*retval = 0;
	return dopipe((int *)args[0], 0);
}

SYSCALL(SYS_pipe2, pipe2)
{

	*retval = 0;
	return dopipe((int *)args[0], (int)args[1]);
}

/* Typed entry points. */
int
rump_sys_close(int fd)
{

	return (int)syscall_typed(SYS_close, fd, 0, 0, 0, 0, 0);
}

int
rump_sys_dup(int fd)
{

	return (int)syscall_typed(SYS_dup, fd, 0, 0, 0, 0, 0);
}

/* dup2 exists on x86_64 only; the generic ABI has dup3, which refuses
 * oldfd == newfd.  So, as the C library does there: for equal
 * descriptors only check that oldfd is open (EBADF), else dup3. */
int
rump_sys_dup2(int oldfd, int newfd)
{

	if (oldfd == newfd) {
		if (syscall_typed(SYS_fcntl, oldfd, F_GETFD, 0, 0, 0, 0) == -1)
			return -1;
		return newfd;
	}
	return (int)syscall_typed(SYS_dup3, oldfd, newfd, 0, 0, 0, 0);
}

int
rump_sys_dup3(int oldfd, int newfd, int flags)
{

	return (int)syscall_typed(SYS_dup3, oldfd, newfd, flags, 0, 0, 0);
}

int
rump_sys_fcntl(int fd, int cmd, ...)
{
	va_list ap;
	long arg;

	/* Only the commands that take an argument have one to read. */
	arg = 0;
	if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC || cmd == F_SETFD ||
	    cmd == F_SETFL) {
		va_start(ap, cmd);
		arg = va_arg(ap, int);
		va_end(ap);
	}
	return (int)syscall_typed(SYS_fcntl, fd, cmd, arg, 0, 0, 0);
}

int
rump_sys_pipe2(int fds[2], int flags)
{

	return (int)syscall_typed(SYS_pipe2, (long)fds, flags, 0, 0, 0, 0);
}

int
rump_sys_ioctl(int fd, unsigned long cmd, void *arg)
{

	return (int)syscall_typed(SYS_ioctl, fd, (long)cmd, (long)arg, 0, 0,
	    0);
}
