/*
 * namei.h: path name lookup.
 *
 * namei() resolves a path (a client address, or a kernel string with
 * NI_KPATH) relative to a directory descriptor or AT_FDCWD, starting over
 * at the process root for absolute paths and absolute symlinks.  Every
 * directory passed through needs search (x) permission; "." and ".." are
 * resolved by the VFS (".." crosses back out of mount points and never
 * climbs above the process root); mounted file systems are entered where
 * they cover a directory; intermediate symlinks are always followed, the
 * last one only with NI_FOLLOW (or when a trailing slash follows it), at
 * most NI_MAXSYMLINKS in all (ELOOP).
 *
 * Without NI_PARENT the result is ni_vp, referenced.
 *
 * With NI_PARENT (create, remove, rename) the walk stops before the last
 * component.  ni_lasttype says what it is:
 *   LAST_NORM:   ni_dvp is its directory (referenced; search permission
 *                checked) and ni_name/ni_namelen the name (<= NAME_MAX);
 *                ni_vp is NULL: the caller looks the name up itself with
 *                the mount locked, so that checking and acting are atomic.
 *   LAST_DOT, LAST_DOTDOT, LAST_ROOT ("/"): nothing can be created or
 *                removed under such a name; ni_vp is the directory it
 *                names (referenced; NULL for the ".." of a removed
 *                directory) and ni_dvp is NULL.
 * ni_trailslash is set when the path ended in '/'.
 *
 * Errors: ENOENT (missing component, empty path, no root), ENOTDIR,
 * EACCES, ELOOP, ENAMETOOLONG, EFAULT, EBADF (bad dirfd), ENOMEM.
 * namei_done() releases whatever a successful namei() returned; after a
 * failure nothing is held (namei_done() is then harmless).
 */
#ifndef VFS_NAMEI_H
#define VFS_NAMEI_H

#include <kern/types.h>

struct vnode;
struct kauth_cred;

#define NI_MAXSYMLINKS	40

enum namei_last { LAST_NORM, LAST_DOT, LAST_DOTDOT, LAST_ROOT };

struct nameidata {
	/* in */
	int		 ni_dirfd;	/* AT_FDCWD or a descriptor */
	const char	*ni_path;
	int		 ni_flags;
	const struct kauth_cred *ni_cred; /* NULL: the caller's */
#define NI_FOLLOW	0x01	/* follow a symlink in the last component */
#define NI_PARENT	0x02	/* stop before the last component */
#define NI_EMPTYPATH	0x04	/* "" names ni_dirfd itself */
#define NI_KPATH	0x08	/* ni_path is a kernel address */
	/* out */
	struct vnode	*ni_vp;
	struct vnode	*ni_dvp;
	enum namei_last	 ni_lasttype;
	const char	*ni_name;	/* points into ni_buf */
	size_t		 ni_namelen;
	bool		 ni_trailslash;
	/* private */
	char		*ni_buf;	/* PATH_MAX bytes */
	int		 ni_nlinks;	/* symlinks followed so far */
};

/* Sets up nd for namei(). */
void	namei_init(struct nameidata *nd, int dirfd, const char *path,
	    int flags);
int	namei(struct nameidata *nd);
/*
 * NI_PARENT only: the last component (in ni_dvp) turned out to be the
 * symlink linkvp and is to be followed (open with O_CREAT): resolves the
 * link's text the same way, relative to ni_dvp, replacing the results in
 * nd (which namei_done() then releases).  Counts toward ELOOP.
 */
int	namei_follow(struct nameidata *nd, struct vnode *linkvp);
void	namei_done(struct nameidata *nd);

/* namei() without NI_PARENT when only the vnode is wanted: *vpp is
 * ni_vp, referenced, and nothing else is held. */
int	namei_vnode(int dirfd, const char *path, int flags, struct vnode **vpp);

/* The vnode of dirfd for *at() calls with AT_EMPTY_PATH or a NULL path:
 * referenced; EBADF. */
int	namei_getdirfd(int dirfd, struct vnode **vpp);

/*
 * The file a *at() call names (follow: the last symlink too).  With
 * AT_EMPTY_PATH in atflags an empty path means dirfd itself, which may
 * be a pipe, so the result is either a vnode or an open file: exactly one
 * of *vpp and *fpp is set, referenced.
 */
struct file;
int	namei_at(int dirfd, const char *upath, int atflags, bool follow,
	    struct vnode **vpp, struct file **fpp);

/* Enters the file systems mounted on vp, if any: consumes vp (a
 * referenced vnode) and returns the vnode to use instead, referenced. */
struct vnode *namei_crossmounts(struct vnode *vp);

#endif /* VFS_NAMEI_H */
