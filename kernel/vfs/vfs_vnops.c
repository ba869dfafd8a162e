/*
 * vfs_vnops.c: vnode helpers shared by the system calls: vnode
 * operations wrapped in the mount lock, stat conversion, path buffers.
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/kmem.h>
#include <kern/libkern.h>
#include <kern/lock.h>
#include <kern/proc.h>
#include <kern/syscall.h>
#include <vfs/vnode.h>
#include <vfs/mount.h>
#include <vfs/abi.h>
#include <vfs/vfs.h>

/* Contention statistics (kern/lock.h). */
static LOCKSTAT_CLASS(pathbuf_lockstat, "path buffers");

int
vn_getattr(struct vnode *vp, struct vattr *va)
{
	int error;

	vn_lock(vp);
	error = VOP_GETATTR(vp, va);
	vn_unlock(vp);
	return error;
}

int
vn_setattr_locked(struct vnode *vp, const struct vattr *va)
{

	/* Who may search it may change: the next lookup through it asks
	 * the file system again (vfs_lookup.c). */
	if ((va->va_mask & (VA_MODE | VA_UID | VA_GID)) != 0)
		__atomic_store_n(&vp->v_searchall, false, __ATOMIC_RELAXED);
	return VOP_OPTIONAL(vp, vop_setattr, EOPNOTSUPP, vp, va);
}

int
vn_killsuid_locked(struct vnode *vp)
{
	struct vattr va, setva;
	int error;

	error = VOP_GETATTR(vp, &va);
	if (error != 0)
		return error;
	setva.va_mode = vaccess_killsuid(&va, kauth_cred_get());
	if (setva.va_mode == (va.va_mode & 07777))
		return 0;
	setva.va_mask = VA_MODE;
	return vn_setattr_locked(vp, &setva);
}

static mode_t
vtype_to_ifmt(enum vtype type)
{

	switch (type) {
	case VREG:	return S_IFREG;
	case VDIR:	return S_IFDIR;
	case VLNK:	return S_IFLNK;
	case VBLK:	return S_IFBLK;
	case VCHR:	return S_IFCHR;
	case VSOCK:	return S_IFSOCK;
	case VFIFO:	return S_IFIFO;
	default:	return 0;
	}
}

void
vn_vattr_to_stat(struct vnode *vp, const struct vattr *va, struct stat *st)
{

	memset(st, 0, sizeof(*st));
	st->st_dev = vp->v_mount->mnt_dev;
	st->st_ino = va->va_ino;
	st->st_nlink = va->va_nlink;
	st->st_mode = vtype_to_ifmt(vp->v_type) | (va->va_mode & 07777);
	st->st_uid = va->va_uid;
	st->st_gid = va->va_gid;
	st->st_rdev = va->va_rdev;
	st->st_size = (int64_t)va->va_size;
	st->st_blksize = va->va_blksize != 0 ? va->va_blksize : 4096;
	st->st_blocks = (int64_t)va->va_blocks;
	st->st_atim = va->va_atime;
	st->st_mtim = va->va_mtime;
	st->st_ctim = va->va_ctime;
}

int
vn_stat(struct vnode *vp, struct stat *st)
{
	struct vattr va;
	int error;

	error = vn_getattr(vp, &va);
	if (error == 0)
		vn_vattr_to_stat(vp, &va, st);
	return error;
}

int
vn_lookup_locked(struct vnode *dvp, const char *name, size_t len,
    struct vnode **vpp)
{

	if (dvp->v_type != VDIR)
		return ENOTDIR;
	return VOP_OPTIONAL(dvp, vop_lookup, ENOTDIR, dvp, name, len, vpp);
}

static int
dirempty_fill(void *ctx, const char *name, size_t namelen, ino_t ino,
    int dtype, off_t off_next)
{
	bool *emptyp = ctx;

	(void)ino;
	(void)dtype;
	(void)off_next;
	if ((namelen == 1 && name[0] == '.') ||
	    (namelen == 2 && name[0] == '.' && name[1] == '.'))
		return 0;
	*emptyp = false;
	return 1;
}

int
vn_dirempty_locked(struct vnode *vp, bool *emptyp)
{

	*emptyp = true;
	return VOP_OPTIONAL(vp, vop_readdir, ENOTDIR, vp, 0, dirempty_fill,
	    emptyp);
}

int
vn_readlink_kernel(struct vnode *vp, char *buf, size_t buflen,
    size_t *lenp)
{
	struct kiovec iov;
	struct uio uio;
	int error;

	if (vp->v_type != VLNK)
		return EINVAL;
	iov.iov_base = buf;
	iov.iov_len = buflen - 1;
	uio.uio_iov = &iov;
	uio.uio_iovcnt = 1;
	uio.uio_offset = 0;
	uio.uio_resid = buflen - 1;
	uio.uio_rw = UIO_READ;
	uio.uio_segflg = UIO_SYSSPACE;
	vn_lock(vp);
	error = VOP_OPTIONAL(vp, vop_readlink, EINVAL, vp, &uio);
	vn_unlock(vp);
	if (error != 0)
		return error;
	*lenp = buflen - 1 - uio.uio_resid;
	buf[*lenp] = '\0';
	return 0;
}

/*
 * Path buffers come from a small reserve that is filled at boot and
 * refilled as buffers are returned, so that lookups (and with them
 * unlink, the way to free space) still work when kernel memory is
 * exhausted.
 */
#define PATHBUF_RESERVE	16

struct pathbuf {
	struct pathbuf *pb_next;
};
static kmutex_t pathbuf_lock;
static struct pathbuf *pathbuf_free;
static unsigned pathbuf_nfree;

void
vfs_pathbuf_init(void)
{
	int i;

	mutex_init(&pathbuf_lock, MUTEX_SPIN);
	mutex_setstat(&pathbuf_lock, &pathbuf_lockstat);
	for (i = 0; i < PATHBUF_RESERVE / 2; i++)
		vfs_pathbuf_put(kmem_alloc(PATH_MAX, KM_SLEEP));
}

/* Each virtual CPU keeps the last buffers it gave back: a lookup takes
 * one and gives it back within the same system call, so two CPUs would
 * otherwise pass pathbuf_lock back and forth on every path (6 times per
 * file in bench_scale).  The thread holding the CPU is the only one to
 * touch its cache, and never gives up the CPU in between. */
static struct cpu_info *
pathbuf_cpu(void)
{
	struct lwp *l = curlwp;

	return l != NULL ? l->l_cpu : NULL;
}

char *
vfs_pathbuf_get(void)
{
	struct cpu_info *ci = pathbuf_cpu();
	struct pathbuf *pb;

	if (ci != NULL && ci->ci_npathbuf > 0)
		return ci->ci_pathbuf[--ci->ci_npathbuf];
	mutex_enter(&pathbuf_lock);
	pb = pathbuf_free;
	if (pb != NULL) {
		pathbuf_free = pb->pb_next;
		pathbuf_nfree--;
	}
	mutex_exit(&pathbuf_lock);
	if (pb != NULL)
		return (char *)pb;
	return kmem_alloc(PATH_MAX, KM_SLEEP);
}

void
vfs_pathbuf_put(char *buf)
{
	struct pathbuf *pb = (struct pathbuf *)(void *)buf;

	struct cpu_info *ci;

	if (buf == NULL)
		return;
	if ((ci = pathbuf_cpu()) != NULL && ci->ci_npathbuf < CI_PATHBUFS) {
		ci->ci_pathbuf[ci->ci_npathbuf++] = buf;
		return;
	}
	mutex_enter(&pathbuf_lock);
	if (pathbuf_nfree < PATHBUF_RESERVE) {
		pb->pb_next = pathbuf_free;
		pathbuf_free = pb;
		pathbuf_nfree++;
		pb = NULL;
	}
	mutex_exit(&pathbuf_lock);
	if (pb != NULL)
		kmem_free(buf, PATH_MAX);
}

int
vfs_copyinpath(const char *upath, char *buf, bool emptyok)
{
	size_t done;
	int error;

	if (upath == NULL)
		return EFAULT;
	error = copyinstr(upath, buf, PATH_MAX, &done);
	if (error != 0)
		return error;
	if (buf[0] == '\0' && !emptyok)
		return ENOENT;
	return 0;
}
