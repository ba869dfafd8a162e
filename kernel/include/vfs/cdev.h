/*
 * cdev.h: the character-device switch.
 *
 * A character device node (S_IFCHR, made by mknod or at boot in /dev)
 * names a device by its st_rdev, a (major, minor) pair in Linux's
 * encoding.  Opening the node looks the pair up in the switch: a driver
 * adds one struct cdevsw per minor it serves with CDEVSW(), from any
 * file of any faction (a link set, like SYSCALL and vfsops), and needs no
 * table edited anywhere.  A node whose pair no driver serves gives ENXIO
 * on open, as Linux does.
 *
 * The open file keeps the node's vnode (fstat, fchmod, ... act on the
 * node); read, write and poll go to the driver, without the vnode lock.
 */
#ifndef VFS_CDEV_H
#define VFS_CDEV_H

#include <kern/types.h>
#include <kern/component.h>

struct uio;

struct cdevsw {
	const char *d_name;		/* e.g. "null", the name in /dev */
	uint32_t    d_major, d_minor;	/* Linux's numbers */
	/* Transfers as fileops fo_read/fo_write (vfs/file.h): uio says
	 * where and how much; a partial transfer returns 0 with uio_resid
	 * telling how much is left.  fflag is file_flags() (O_NONBLOCK). */
	int	(*d_read)(const struct cdevsw *sw, struct uio *uio, int fflag);
	int	(*d_write)(const struct cdevsw *sw, struct uio *uio,
		    int fflag);
	/* Readiness (POLL* bits of events that hold now); NULL: always
	 * ready for reading and writing. */
	int	(*d_poll)(const struct cdevsw *sw, int events);
	/* Nonzero: the boot creates /dev/<d_name> (mode 0666, root). */
	int	    d_devnode;
};

#define CDEVSW(sw)	__link_set_add(cdevsw, sw, sw)

/* The driver of device dev (a Linux dev_t), NULL when there is none. */
const struct cdevsw *cdevsw_lookup(uint64_t dev);

/* Linux's dev_t encoding (glibc's makedev/major/minor). */
static inline uint64_t
dev_makedev(uint32_t major, uint32_t minor)
{

	return ((uint64_t)(major & 0xfffu) << 8) |
	    ((uint64_t)(major & ~0xfffu) << 32) |
	    (uint64_t)(minor & 0xffu) | ((uint64_t)(minor & ~0xffu) << 12);
}

static inline uint32_t
dev_major(uint64_t dev)
{

	return (uint32_t)(((dev >> 8) & 0xfff) | ((dev >> 32) & ~0xfffull));
}

static inline uint32_t
dev_minor(uint64_t dev)
{

	return (uint32_t)((dev & 0xff) | ((dev >> 12) & ~0xffull));
}

struct vnode;
/* Whether the character device node vp (locked) may be opened: 0 when a
 * driver serves its numbers, ENXIO when none does. */
int	cdev_open(struct vnode *vp);

/* Creates /dev and a node for every driver that asks (d_devnode) on
 * the root file system; called once, when the root is mounted. */
void	cdev_makenodes(void);

#endif /* VFS_CDEV_H */
