/*
 * sys_statx.c: statx(2), Linux's extensible stat.
 *
 * struct statx has one layout on every architecture (256 bytes).  The
 * kernel fills the basic fields (STATX_BASIC_STATS) and the mount id for
 * every file, whatever the caller asked for, as Linux does for file
 * systems without birth times; stx_mask says what is valid.
 */
#include <kern/types.h>
#include <vfs/cdev.h>
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

struct statx_timestamp {
	int64_t		tv_sec;
	uint32_t	tv_nsec;
	int32_t		__reserved;
};

struct statx {
	uint32_t	stx_mask;
	uint32_t	stx_blksize;
	uint64_t	stx_attributes;
	uint32_t	stx_nlink;
	uint32_t	stx_uid;
	uint32_t	stx_gid;
	uint16_t	stx_mode;
	uint16_t	__spare0[1];
	uint64_t	stx_ino;
	uint64_t	stx_size;
	uint64_t	stx_blocks;
	uint64_t	stx_attributes_mask;
	struct statx_timestamp stx_atime, stx_btime, stx_ctime, stx_mtime;
	uint32_t	stx_rdev_major, stx_rdev_minor;
	uint32_t	stx_dev_major, stx_dev_minor;
	uint64_t	stx_mnt_id;
	uint32_t	stx_dio_mem_align, stx_dio_offset_align;
	uint64_t	__spare3[12];
};
_Static_assert(sizeof(struct statx) == 256, "struct statx layout");
_Static_assert(offsetof(struct statx, stx_atime) == 64, "statx layout");
_Static_assert(offsetof(struct statx, stx_rdev_major) == 128,
    "statx layout");

#define STATX_BASIC_STATS	0x07ffu
#define STATX_MNT_ID		0x1000u
#define STATX__RESERVED		0x80000000u
#define AT_STATX_FORCE_SYNC	0x2000
#define AT_STATX_DONT_SYNC	0x4000

static void
ts_to_statx(const struct timespec *ts, struct statx_timestamp *sx)
{
	sx->tv_sec = ts->tv_sec;
	sx->tv_nsec = (uint32_t)ts->tv_nsec;
	sx->__reserved = 0;
}

static int
dostatx(int dirfd, const char *upath, int flags, unsigned mask,
    struct statx *ustx)
{
	struct vnode *vp;
	struct file *fp;
	struct statx sx;
	struct stat st;
	uint64_t mntid = 0;
	int error;

	if ((flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH |
	    AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE)) != 0 ||
	    (flags & AT_STATX_SYNC_TYPE) == AT_STATX_SYNC_TYPE)
		return EINVAL;
	if (mask & STATX__RESERVED)
		return EINVAL;
	error = namei_at(dirfd, upath, flags,
	    (flags & AT_SYMLINK_NOFOLLOW) == 0, &vp, &fp);
	if (error != 0)
		return error;
	if (vp != NULL) {
		error = vn_stat(vp, &st);
		mntid = vp->v_mount->mnt_dev;
		vrele(vp);
	} else {
		error = fp->f_ops->fo_stat(fp, &st);
		file_release(fp);
	}
	if (error != 0)
		return error;

	memset(&sx, 0, sizeof(sx));
	sx.stx_mask = STATX_BASIC_STATS | STATX_MNT_ID;
	sx.stx_blksize = (uint32_t)st.st_blksize;
	sx.stx_nlink = (uint32_t)st.st_nlink;
	sx.stx_uid = st.st_uid;
	sx.stx_gid = st.st_gid;
	sx.stx_mode = (uint16_t)st.st_mode;
	sx.stx_ino = st.st_ino;
	sx.stx_size = (uint64_t)st.st_size;
	sx.stx_blocks = (uint64_t)st.st_blocks;
	ts_to_statx(&st.st_atim, &sx.stx_atime);
	ts_to_statx(&st.st_mtim, &sx.stx_mtime);
	ts_to_statx(&st.st_ctim, &sx.stx_ctime);
	sx.stx_rdev_major = dev_major(st.st_rdev);
	sx.stx_rdev_minor = dev_minor(st.st_rdev);
	sx.stx_dev_major = dev_major(st.st_dev);
	sx.stx_dev_minor = dev_minor(st.st_dev);
	sx.stx_mnt_id = mntid;
	if (ustx == NULL)
		return EFAULT;
	return copyout(&sx, ustx, sizeof(sx));
}

SYSCALL(SYS_statx, statx)
{

	(void)retval;
	return dostatx((int)args[0], (const char *)args[1], (int)args[2],
	    (unsigned)args[3], (struct statx *)args[4]);
}

int
rump_sys_statx(int dirfd, const char *path, int flags, unsigned int mask,
    struct statx *stx)
{

	return (int)syscall_typed(SYS_statx, dirfd, (long)path, flags,
	    (long)mask, (long)stx, 0);
}
