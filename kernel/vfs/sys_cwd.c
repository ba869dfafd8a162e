/*
 * sys_cwd.c: the current directory: chdir, fchdir, getcwd.
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/libkern.h>
#include <kern/proc.h>
#include <kern/syscall.h>
#include <rump/rump_syscalls.h>
#include <vfs/vnode.h>
#include <vfs/mount.h>
#include <vfs/abi.h>
#include <vfs/file.h>
#include <vfs/namei.h>
#include <vfs/vfs.h>

/* Makes vp (referenced, consumed) the current directory. */
static int
dochdir(struct vnode *vp)
{
	int error;

	if (vp->v_type != VDIR)
		error = ENOTDIR;
	else
		error = vn_access(vp, VEXEC, kauth_cred_get());
	if (error != 0) {
		vrele(vp);
		return error;
	}
	return cwd_setcdir(vp);
}

SYSCALL(SYS_chdir, chdir)
{
	struct vnode *vp;
	int error;

	(void)retval;
	error = namei_vnode(AT_FDCWD, (const char *)args[0], NI_FOLLOW, &vp);
	if (error != 0)
		return error;
	return dochdir(vp);
}

SYSCALL(SYS_fchdir, fchdir)
{
	struct file *fp;
	struct vnode *vp;
	int error;

	(void)retval;
	error = fd_getfile((int)args[0], &fp);
	if (error != 0)
		return error;
	if ((vp = file_vnode(fp)) == NULL) {
		file_release(fp);
		return ENOTDIR;
	}
	vref(vp);
	file_release(fp);
	return dochdir(vp);
}

/* Finds the name of the entry with inode number ino in a directory. */
struct getcwd_ctx {
	ino_t	 ino;
	char	*name;		/* NAME_MAX + 1 bytes */
	bool	 found;
};

static int
getcwd_fill(void *arg, const char *name, size_t namelen, ino_t ino,
    int dtype, off_t off_next)
{
	struct getcwd_ctx *ctx = arg;

	(void)dtype;
	(void)off_next;
	if ((namelen == 1 && name[0] == '.') ||
	    (namelen == 2 && name[0] == '.' && name[1] == '.'))
		return 0;
	if (ino != ctx->ino || namelen > NAME_MAX)
		return 0;
	memcpy(ctx->name, name, namelen);
	ctx->name[namelen] = '\0';
	ctx->found = true;
	return 1;
}

/*
 * Builds the path of the current directory backwards in buf: from the
 * cwd up to the process root, each step finding the directory's name in
 * its parent by inode number (file systems keep no names in vnodes).
 */
static int
getcwd_build(char *buf, size_t buflen, size_t *startp)
{
	struct vnode *cdir, *rdir, *cur, *cvp, *pvp;
	char name[NAME_MAX + 1];
	struct getcwd_ctx ctx;
	struct vattr va;
	size_t pos = buflen - 1, len;
	int error;

	buf[pos] = '\0';
	error = cwd_get(&cdir, &rdir);
	if (error != 0)
		return error;
	cur = cdir;
	for (;;) {
		if (cur == rdir)
			break;
		if (cur->v_flags & VV_ROOT) {
			cvp = vcache_coveredvnode(cur);
			if (cvp == NULL) {
				/* Outside the process root (lazily
				 * unmounted): no path leads here. */
				error = ENOENT;
				break;
			}
			vrele(cur);
			cur = cvp;
			continue;
		}
		/* The child, then (with the child unlocked) the parent:
		 * never a parent after its child (vfs_vnlock.c). */
		vn_lock(cur);
		error = VOP_GETATTR(cur, &va);
		if (error == 0 && va.va_nlink == 0)
			error = ENOENT;	/* removed */
		if (error == 0)
			error = VOP_OPTIONAL(cur, vop_parent, ENOENT, cur, &pvp);
		vn_unlock(cur);
		if (error != 0)
			break;
		ctx.ino = va.va_ino;
		ctx.name = name;
		ctx.found = false;
		vn_lock(pvp);
		error = VOP_OPTIONAL(pvp, vop_readdir, ENOTDIR, pvp, 0,
		    getcwd_fill, &ctx);
		vn_unlock(pvp);
		if (error == 0 && !ctx.found)
			error = ENOENT;
		if (error != 0) {
			vrele(pvp);
			break;
		}
		len = strlen(name);
		if (len + 1 > pos) {
			vrele(pvp);
			error = ENAMETOOLONG;
			break;
		}
		pos -= len;
		memcpy(buf + pos, name, len);
		buf[--pos] = '/';
		vrele(cur);
		cur = pvp;
	}
	vrele(cur);
	vrele(rdir);
	if (error != 0)
		return error;
	if (pos == buflen - 1)
		buf[--pos] = '/';
	*startp = pos;
	return 0;
}

SYSCALL(SYS_getcwd, getcwd)
{
	char *ubuf = (char *)args[0];
	size_t size = (size_t)args[1], start, len;
	char *buf;
	int error;

	buf = vfs_pathbuf_get();
	if (buf == NULL)
		return ENOMEM;
	error = getcwd_build(buf, PATH_MAX, &start);
	if (error == 0) {
		len = PATH_MAX - start;		/* with the NUL */
		if (len > size)
			error = ERANGE;
		else if (ubuf == NULL)
			error = EFAULT;
		else
			error = copyout(buf + start, ubuf, len);
		if (error == 0)
			*retval = (long)len;
	}
	vfs_pathbuf_put(buf);
	return error;
}

/* Typed entry points. */
int
rump_sys_chdir(const char *path)
{

	return (int)syscall_typed(SYS_chdir, (long)path, 0, 0, 0, 0, 0);
}

int
rump_sys_fchdir(int fd)
{

	return (int)syscall_typed(SYS_fchdir, fd, 0, 0, 0, 0, 0);
}

int
rump_sys_getcwd(char *buf, size_t len)
{

	return (int)syscall_typed(SYS_getcwd, (long)buf, (long)len, 0, 0, 0,
	    0);
}
