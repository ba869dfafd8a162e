/*
 * fuzz_msdosfs.c: libFuzzer harness of the FAT file system's mount and
 * walk (kernel/fs/msdosfs), run by t_fuzz_msdosfs.sh.
 *
 * The input is a disk image.  The FAT sources are compiled as they are,
 * against the kernel's own headers (freestanding), with a few functions
 * of the kernel they call provided here in their simplest form: memory
 * from malloc (so that ASan sees every allocation at its exact size),
 * the block layer as an array of bytes with the range checks vfs/buf.h
 * promises, a one-list vnode cache.  Each input is mounted read-write,
 * every directory listed, every name looked up, stat'ed and read, and a
 * few changes made (create, write, mkdir, rename, remove) before the
 * unmount writes it all back; results are ignored, only crashes, hangs,
 * leaks and sanitizer reports count.
 *
 * Short run: kernel/tests/t_fuzz_msdosfs.sh (make check, 10 s).  Long run:
 *
 *	clang -g -O1 -fsanitize=fuzzer,address,undefined -nostdinc \
 *	    -Ikernel/include -Ikernel/arch/x86_64/include -Iinclude \
 *	    kernel/tests/fuzz_msdosfs.c kernel/fs/msdosfs/[a-z]*.c -o fuzz_fat
 *	mkdir corpus && mkfs.fat -C corpus/seed 1440 && ./fuzz_fat \
 *	    -max_total_time=3600 -max_len=1048576 -jobs=2 corpus
 *
 * (t_fuzz_msdosfs.sh makes better seeds: FAT12, FAT16 and FAT32 images
 * with long names, the larger ones cut to 1 MiB.)
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/libkern.h>
#include <kern/kmem.h>
#include <kern/proc.h>
#include <kern/clock.h>
#include <kern/lock.h>
#include <vfs/vnode.h>
#include <vfs/mount.h>
#include <vfs/buf.h>

/* The C library underneath (the harness is a host program). */
void	*malloc(size_t);
void	*calloc(size_t, size_t);
void	 free(void *);
void	 abort(void) __noreturn;

extern const struct vfsops msdosfs_vfsops;

/* --- The kernel functions FAT uses ------------------------------------- */

void *
kmem_alloc(size_t size, int flags)
{
	(void)flags;
	return malloc(size == 0 ? 1 : size);
}

void *
kmem_zalloc(size_t size, int flags)
{
	(void)flags;
	return calloc(1, size == 0 ? 1 : size);
}

void
kmem_free(void *p, size_t size)
{
	(void)size;
	free(p);
}

void
panic(const char *fmt, ...)
{
	(void)fmt;
	abort();
}

static struct proc fuzzproc;
static struct lwp lwp0 = { .l_proc = &fuzzproc };

struct lwp *
curlwp_get(void)
{
	return &lwp0;
}

mode_t
cwd_umask(mode_t mask, bool set)
{
	(void)mask;
	(void)set;
	return 022;
}

/* One thread: FAT's own locks (pm_lock, pm_rootlock) need only to be
 * balanced, which the counter checks. */
static int mutexes_held;

void
mutex_init(kmutex_t *m, kmutex_type_t type)
{
	(void)type;
	m->mtx_hyp = NULL;
}

void
mutex_destroy(kmutex_t *m)
{
	(void)m;
}

void
mutex_enter(kmutex_t *m)
{
	(void)m;
	mutexes_held++;
}

void
mutex_exit(kmutex_t *m)
{
	(void)m;
	if (--mutexes_held < 0)
		abort();
}

void
getnanotime(struct timespec *ts)
{
	ts->tv_sec = 1700000000;
	ts->tv_nsec = 0;
}

int
uiomove(void *buf, size_t n, struct uio *uio)
{
	struct kiovec *iov;
	size_t c;

	while (n > 0 && uio->uio_resid > 0 && uio->uio_iovcnt > 0) {
		iov = uio->uio_iov;
		c = MIN(n, iov->iov_len);
		if (uio->uio_rw == UIO_READ)
			memcpy(iov->iov_base, buf, c);
		else
			memcpy(buf, iov->iov_base, c);
		iov->iov_base = (char *)iov->iov_base + c;
		iov->iov_len -= c;
		if (iov->iov_len == 0) {
			uio->uio_iov++;
			uio->uio_iovcnt--;
		}
		uio->uio_resid -= c;
		uio->uio_offset += (off_t)c;
		buf = (char *)buf + c;
		n -= c;
	}
	return 0;
}

/* The block device: the input, writable. */
struct blkdev {
	uint8_t		*data;
	uint64_t	 size;
};
static struct blkdev dev;

int
blkdev_open(const char *key, int flags, struct blkdev **bdp)
{
	(void)key;
	(void)flags;
	*bdp = &dev;
	return 0;
}

int
blkdev_close(struct blkdev *bd)
{
	(void)bd;
	return 0;
}

uint64_t
blkdev_size(const struct blkdev *bd)
{
	return bd->size;
}

static bool
in_range(const struct blkdev *bd, uint64_t off, uint64_t len)
{
	return off % DEV_BSIZE == 0 && len % DEV_BSIZE == 0 &&
	    off <= bd->size && len <= bd->size - off;
}

int
blkdev_rw(struct blkdev *bd, bool write, void *data, size_t len,
    uint64_t off)
{
	if (!in_range(bd, off, len))
		return EIO;
	if (write)
		memcpy(bd->data + off, data, len);
	else
		memcpy(data, bd->data + off, len);
	return 0;
}

static int
getbuf(struct blkdev *bd, uint64_t blkno, size_t size, bool read,
    struct buf **bpp)
{
	struct buf *bp;

	if (size == 0 || size % DEV_BSIZE != 0 || size > BMAXSIZE ||
	    blkno > UINT64_MAX / size || !in_range(bd, blkno * size, size))
		return EIO;
	bp = calloc(1, sizeof(*bp));
	bp->b_dev = bd;
	bp->b_blkno = blkno;
	bp->b_size = size;
	bp->b_data = malloc(size);
	bp->b_flags = B_BUSY | B_VALID;
	if (read)
		memcpy(bp->b_data, bd->data + blkno * size, size);
	else
		memset(bp->b_data, 0, size);
	*bpp = bp;
	return 0;
}

int
bread(struct blkdev *bd, uint64_t blkno, size_t size, struct buf **bpp)
{
	return getbuf(bd, blkno, size, true, bpp);
}

int
breadn(struct blkdev *bd, uint64_t blkno, size_t size,
    const uint64_t *rablks, int nra, struct buf **bpp)
{
	(void)rablks;
	(void)nra;
	return getbuf(bd, blkno, size, true, bpp);
}

int
bget(struct blkdev *bd, uint64_t blkno, size_t size, struct buf **bpp)
{
	return getbuf(bd, blkno, size, false, bpp);
}

void
brelse(struct buf *bp)
{
	free(bp->b_data);
	free(bp);
}

void
bdwrite(struct buf *bp, int order)
{
	(void)order;
	memcpy(bp->b_dev->data + bp->b_blkno * bp->b_size, bp->b_data,
	    bp->b_size);
	brelse(bp);
}

int
bsync(struct blkdev *bd, int flags)
{
	(void)bd;
	(void)flags;
	return 0;
}

/* The vnode cache: one list; a vnode is reclaimed at its last release
 * (the harshest policy for the file system's node lifetimes). */
static struct vnode *vnodes;

int
vcache_get(struct mount *mp, uint64_t key, struct vnode **vpp)
{
	struct vnode *vp;
	int error;

	for (vp = vnodes; vp != NULL; vp = vp->v_hashnext) {
		if (vp->v_mount == mp && vp->v_key == key) {
			vp->v_usecount++;
			*vpp = vp;
			return 0;
		}
	}
	vp = calloc(1, sizeof(*vp));
	vp->v_mount = mp;
	vp->v_key = key;
	vp->v_usecount = 1;
	error = mp->mnt_op->vfs_loadvnode(mp, vp, key);
	if (error != 0) {
		free(vp);
		return error;
	}
	vp->v_hashnext = vnodes;
	vnodes = vp;
	*vpp = vp;
	return 0;
}

static void
vput(struct vnode *vp)
{
	struct vnode **vpp;

	if (--vp->v_usecount > 0)
		return;
	if (vp->v_op->vop_inactive != NULL)
		(void)vp->v_op->vop_inactive(vp);
	for (vpp = &vnodes; *vpp != vp; vpp = &(*vpp)->v_hashnext)
		continue;
	*vpp = vp->v_hashnext;
	vp->v_op->vop_reclaim(vp);
	free(vp);
}

/* --- The walk ------------------------------------------------------------- */

#define MAXNAMES	64

struct names {
	char	name[MAXNAMES][NAME_MAX + 1];
	int	n;
};

static int
collect(void *ctx, const char *name, size_t len, ino_t ino, int dtype,
    off_t off)
{
	struct names *nm = ctx;

	(void)ino;
	(void)dtype;
	(void)off;
	if (nm->n >= MAXNAMES)
		return 1;
	if (len > NAME_MAX)
		abort();		/* the contract says <= NAME_MAX */
	memcpy(nm->name[nm->n], name, len);
	nm->name[nm->n][len] = '\0';
	nm->n++;
	return 0;
}

static int budget;

static void
readall(struct vnode *vp)
{
	static char buf[16384];
	struct kiovec iov;
	struct uio uio;
	int i;

	for (i = 0; i < 8; i++) {
		iov.iov_base = buf;
		iov.iov_len = sizeof(buf);
		uio.uio_iov = &iov;
		uio.uio_iovcnt = 1;
		uio.uio_offset = (off_t)i * (off_t)sizeof(buf);
		uio.uio_resid = sizeof(buf);
		uio.uio_rw = UIO_READ;
		uio.uio_segflg = UIO_SYSSPACE;
		if (vp->v_op->vop_read(vp, &uio) != 0 ||
		    uio.uio_resid == sizeof(buf))
			break;
	}
}

static void
walk(struct vnode *dvp, int depth)
{
	struct names *nm;
	struct vnode *vp, *pvp;
	struct vattr va;
	int i;

	if (depth > 6 || --budget < 0)
		return;
	nm = calloc(1, sizeof(*nm));
	(void)dvp->v_op->vop_readdir(dvp, 0, collect, nm);
	(void)dvp->v_op->vop_readdir(dvp, 2 + 5 * 32, collect, nm);
	if (dvp->v_op->vop_parent(dvp, &pvp) == 0)
		vput(pvp);
	for (i = 0; i < nm->n && budget > 0; i++) {
		if (strcmp(nm->name[i], ".") == 0 ||
		    strcmp(nm->name[i], "..") == 0)
			continue;
		if (dvp->v_op->vop_lookup(dvp, nm->name[i],
		    strlen(nm->name[i]), &vp) != 0)
			continue;
		(void)vp->v_op->vop_getattr(vp, &va);
		if (vp->v_type == VDIR)
			walk(vp, depth + 1);
		else
			readall(vp);
		vput(vp);
	}
	free(nm);
}

static void
change(struct vnode *root)
{
	static char data[5000];
	struct vnode *fvp = NULL, *dvp = NULL, *tvp;
	struct vattr va;
	struct kiovec iov;
	struct uio uio;

	memset(&va, 0, sizeof(va));
	va.va_type = VREG;
	va.va_mode = 0644;
	va.va_mask = VA_TYPE | VA_MODE;
	if (root->v_op->vop_create(root, "new file.txt", 12, &va, &fvp) == 0) {
		memset(data, 'x', sizeof(data));
		iov.iov_base = data;
		iov.iov_len = sizeof(data);
		uio.uio_iov = &iov;
		uio.uio_iovcnt = 1;
		uio.uio_offset = 3000;
		uio.uio_resid = sizeof(data);
		uio.uio_rw = UIO_WRITE;
		uio.uio_segflg = UIO_SYSSPACE;
		(void)fvp->v_op->vop_write(fvp, &uio);
		va.va_mask = VA_SIZE;
		va.va_size = 100;
		(void)fvp->v_op->vop_setattr(fvp, &va);
	}
	va.va_type = VDIR;
	va.va_mask = VA_TYPE | VA_MODE;
	if (root->v_op->vop_mkdir(root, "A new directory", 15, &va,
	    &dvp) == 0 && fvp != NULL) {
		(void)root->v_op->vop_rename(root, fvp, "new file.txt", 12,
		    dvp, NULL, "moved", 5);
		if (dvp->v_op->vop_lookup(dvp, "moved", 5, &tvp) == 0) {
			(void)dvp->v_op->vop_remove(dvp, tvp, "moved", 5);
			vput(tvp);
		}
		(void)root->v_op->vop_rmdir(root, dvp, "A new directory", 15);
	}
	if (fvp != NULL)
		vput(fvp);
	if (dvp != NULL)
		vput(dvp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mount m;
	struct vnode *root;

	if (size < DEV_BSIZE || size > 4 * 1024 * 1024)
		return 0;
	dev.size = size - size % DEV_BSIZE;
	dev.data = malloc(dev.size);
	memcpy(dev.data, data, dev.size);
	memset(&m, 0, sizeof(m));
	m.mnt_op = &msdosfs_vfsops;
	if (msdosfs_vfsops.vfs_mount(&m, "/dev/fuzz", NULL) == 0) {
		if (vcache_get(&m, msdosfs_vfsops.vfs_rootkey(&m), &root) == 0) {
			budget = 200;
			walk(root, 0);
			change(root);
			budget = 200;
			walk(root, 0);
			vput(root);
		}
		(void)msdosfs_vfsops.vfs_sync(&m);
		(void)msdosfs_vfsops.vfs_unmount(&m, 0);
	}
	if (vnodes != NULL)
		abort();		/* a vnode outlived its file system */
	if (mutexes_held != 0)
		abort();		/* a lock left held */
	free(dev.data);
	return 0;
}
