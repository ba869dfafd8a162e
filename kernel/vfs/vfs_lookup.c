/*
 * vfs_lookup.c: path name lookup (namei), see vfs/namei.h.
 *
 * The walk holds a reference on the current directory only, and locks
 * one vnode at a time (the directory, per component), so a path may
 * cross any number of directories and file systems without lock
 * ordering problems (vfs_vnlock.c).  A symlink is
 * followed by splicing its text in front of the rest of the path in the
 * same buffer.
 */
#include <kern/types.h>
#include <kern/errno.h>
#include <kern/kmem.h>
#include <kern/libkern.h>
#include <kern/proc.h>
#include <vfs/vnode.h>
#include <vfs/mount.h>
#include <vfs/abi.h>
#include <vfs/file.h>
#include <vfs/namei.h>
#include <vfs/vfs.h>

void
namei_init(struct nameidata *nd, int dirfd, const char *path, int flags)
{

	memset(nd, 0, sizeof(*nd));
	nd->ni_dirfd = dirfd;
	nd->ni_path = path;
	nd->ni_flags = flags;
}

void
namei_done(struct nameidata *nd)
{

	if (nd->ni_vp != NULL)
		vrele(nd->ni_vp);
	if (nd->ni_dvp != NULL)
		vrele(nd->ni_dvp);
	nd->ni_vp = nd->ni_dvp = NULL;
	vfs_pathbuf_put(nd->ni_buf);
	nd->ni_buf = NULL;
}

int
namei_vnode(int dirfd, const char *path, int flags, struct vnode **vpp)
{
	struct nameidata nd;
	int error;

	KASSERT((flags & NI_PARENT) == 0);
	namei_init(&nd, dirfd, path, flags);
	error = namei(&nd);
	if (error != 0)
		return error;
	*vpp = nd.ni_vp;
	nd.ni_vp = NULL;
	namei_done(&nd);
	return 0;
}

int
namei_getdirfd(int dirfd, struct vnode **vpp)
{
	struct vnode *cdir, *rdir;
	struct file *fp;
	int error;

	if (dirfd == AT_FDCWD) {
		error = cwd_get(&cdir, &rdir);
		if (error != 0)
			return error;
		vrele(rdir);
		*vpp = cdir;
		return 0;
	}
	error = fd_getfile(dirfd, &fp);
	if (error != 0)
		return error;
	if (file_vnode(fp) == NULL) {
		file_release(fp);
		return ENOTDIR;
	}
	vref(file_vnode(fp));
	*vpp = file_vnode(fp);
	file_release(fp);
	return 0;
}

struct vnode *
namei_crossmounts(struct vnode *vp)
{
	struct vnode *mvp;

	while (vp->v_type == VDIR && (mvp = vcache_mountedroot(vp)) != NULL) {
		vrele(vp);
		vp = mvp;
	}
	return vp;
}

/*
 * "..": out of mount points to the vnodes they cover, but never above
 * the process root (nor above the root of a detached file system).
 */
static int
namei_dotdot(struct vnode *dvp, struct vnode *rdir, struct vnode **vpp)
{
	struct vnode *cur, *cvp, *vp;
	int error;

	vref(dvp);
	cur = dvp;
	for (;;) {
		if (cur == rdir) {
			*vpp = cur;
			return 0;
		}
		if ((cur->v_flags & VV_ROOT) == 0)
			break;
		cvp = vcache_coveredvnode(cur);
		if (cvp == NULL) {
			*vpp = cur;
			return 0;
		}
		vrele(cur);
		cur = cvp;
	}
	vn_lock(cur);
	error = VOP_OPTIONAL(cur, vop_parent, ENOTDIR, cur, &vp);
	vn_unlock(cur);
	vrele(cur);
	if (error != 0)
		return error;
	*vpp = namei_crossmounts(vp);
	return 0;
}

/*
 * Replaces the path in nd->ni_buf with the text of symlink vp followed
 * by rest (a suffix of the same buffer).
 */
static int
namei_splice(struct nameidata *nd, struct vnode *vp, const char *rest)
{
	size_t linklen, restlen;
	char *link;
	int error;

	if (++nd->ni_nlinks > NI_MAXSYMLINKS)
		return ELOOP;
	link = vfs_pathbuf_get();
	if (link == NULL)
		return ENOMEM;
	error = vn_readlink_kernel(vp, link, PATH_MAX, &linklen);
	if (error == 0 && linklen == 0)
		error = ENOENT;
	if (error == 0) {
		restlen = strlen(rest);
		if (linklen + restlen >= PATH_MAX) {
			error = ENAMETOOLONG;
		} else {
			memmove(nd->ni_buf + linklen, rest, restlen + 1);
			memcpy(nd->ni_buf, link, linklen);
		}
	}
	vfs_pathbuf_put(link);
	return error;
}

/*
 * The walk proper: resolves nd->ni_buf starting at dvp (a referenced
 * directory, consumed) with rdir as the process root.
 */
static int
namei_walk(struct nameidata *nd, struct vnode *dvp, struct vnode *rdir)
{
	const struct kauth_cred *cred;
	struct vnode *vp;
	char *cp = nd->ni_buf, *name, *next;
	size_t len;
	bool trail, islast;
	int error;

	cred = nd->ni_cred != NULL ? nd->ni_cred : kauth_cred_get();
	for (;;) {
		if (*cp == '/') {
			/* An absolute path starts at rdir already: its
			 * count (shared by every lookup) is left alone. */
			if (dvp != rdir) {
				vrele(dvp);
				vref(rdir);
				dvp = rdir;
			}
			while (*cp == '/')
				cp++;
		}
		if (*cp == '\0') {
			/* Nothing but slashes: the path names dvp ("/"). */
			if (nd->ni_flags & NI_PARENT) {
				nd->ni_lasttype = LAST_ROOT;
				nd->ni_trailslash = true;
			}
			nd->ni_vp = dvp;
			return 0;
		}

		name = cp;
		for (len = 0; name[len] != '\0' && name[len] != '/'; len++)
			continue;
		if (len > NAME_MAX) {
			error = ENAMETOOLONG;
			goto fail;
		}
		next = name + len;
		trail = false;
		while (*next == '/') {
			next++;
			trail = true;
		}
		islast = *next == '\0';

		if (dvp->v_type != VDIR) {
			error = ENOTDIR;
			goto fail;
		}
		/* The search permission and the lookup under one lock
		 * when there is a lookup. */
		vn_lock(dvp);
		error = vn_access_locked(dvp, VEXEC, cred);
		if (error != 0) {
			vn_unlock(dvp);
			goto fail;
		}
		if ((islast && (nd->ni_flags & NI_PARENT) != 0) ||
		    (len == 1 && name[0] == '.') ||
		    (len == 2 && name[0] == '.' && name[1] == '.'))
			vn_unlock(dvp);

		if (islast && (nd->ni_flags & NI_PARENT) != 0) {
			nd->ni_trailslash = trail;
			if (len == 1 && name[0] == '.') {
				nd->ni_lasttype = LAST_DOT;
				nd->ni_vp = dvp;
				return 0;
			}
			if (len == 2 && name[0] == '.' && name[1] == '.') {
				nd->ni_lasttype = LAST_DOTDOT;
				error = namei_dotdot(dvp, rdir, &nd->ni_vp);
				vrele(dvp);
				/* A removed directory has no "..", but the
				 * caller fails on the name alone, as Linux
				 * does (rmdir("..") is ENOTEMPTY). */
				if (error == ENOENT) {
					nd->ni_vp = NULL;
					error = 0;
				}
				return error;
			}
			nd->ni_lasttype = LAST_NORM;
			name[len] = '\0';
			nd->ni_dvp = dvp;
			nd->ni_name = name;
			nd->ni_namelen = len;
			return 0;
		}

		if (len == 1 && name[0] == '.') {
			vref(dvp);
			vp = dvp;
		} else if (len == 2 && name[0] == '.' && name[1] == '.') {
			error = namei_dotdot(dvp, rdir, &vp);
			if (error != 0)
				goto fail;
		} else {
			error = vn_lookup_locked(dvp, name, len, &vp);
			vn_unlock(dvp);
			if (error != 0)
				goto fail;
			vp = namei_crossmounts(vp);
		}

		if (vp->v_type == VLNK &&
		    (!islast || trail || (nd->ni_flags & NI_FOLLOW) != 0)) {
			/* The rest keeps its slashes: "link/" must end up
			 * naming a directory. */
			error = namei_splice(nd, vp, name + len);
			vrele(vp);
			if (error != 0)
				goto fail;
			cp = nd->ni_buf;
			continue;
		}

		if (islast) {
			if (trail && vp->v_type != VDIR) {
				vrele(vp);
				error = ENOTDIR;
				goto fail;
			}
			vrele(dvp);
			nd->ni_vp = vp;
			return 0;
		}
		vrele(dvp);
		dvp = vp;
		cp = next;
	}

 fail:
	vrele(dvp);
	return error;
}

static int
namei_start(struct nameidata *nd)
{
	struct vnode *cdir, *rdir, *start;
	size_t len;
	int error;

	nd->ni_buf = vfs_pathbuf_get();
	if (nd->ni_buf == NULL)
		return ENOMEM;
	if (nd->ni_flags & NI_KPATH) {
		if (nd->ni_path == NULL)
			return EFAULT;
		len = strnlen(nd->ni_path, PATH_MAX);
		if (len >= PATH_MAX)
			return ENAMETOOLONG;
		memcpy(nd->ni_buf, nd->ni_path, len + 1);
	} else {
		error = vfs_copyinpath(nd->ni_path, nd->ni_buf, true);
		if (error != 0)
			return error;
	}

	if (nd->ni_buf[0] == '\0') {
		if ((nd->ni_flags & NI_EMPTYPATH) == 0 ||
		    (nd->ni_flags & NI_PARENT) != 0)
			return ENOENT;
		return namei_getdirfd(nd->ni_dirfd, &nd->ni_vp);
	}

	/* The current directory only when the walk starts there (its
	 * reference becomes the walk's); "/" and the mount points have
	 * their counts changed by every lookup on every CPU. */
	cdir = NULL;
	error = cwd_get(nd->ni_buf[0] != '/' && nd->ni_dirfd == AT_FDCWD ?
	    &cdir : NULL, &rdir);
	if (error != 0)
		return error;
	if (nd->ni_buf[0] == '/') {
		vref(rdir);
		start = rdir;
	} else if (nd->ni_dirfd == AT_FDCWD) {
		start = cdir;
	} else {
		error = namei_getdirfd(nd->ni_dirfd, &start);
		if (error == 0 && start->v_type != VDIR) {
			vrele(start);
			error = ENOTDIR;
		}
	}
	if (error == 0)
		error = namei_walk(nd, start, rdir);
	vrele(rdir);
	return error;
}

/* On failure nothing is held, so namei_done() is optional then. */
int
namei(struct nameidata *nd)
{
	int error;

	error = namei_start(nd);
	if (error != 0) {
		KASSERT(nd->ni_vp == NULL && nd->ni_dvp == NULL);
		namei_done(nd);
	}
	return error;
}

static int
namei_follow1(struct nameidata *nd, struct vnode *linkvp)
{
	struct vnode *rdir, *dvp;
	int error;

	KASSERT((nd->ni_flags & NI_PARENT) != 0 && nd->ni_dvp != NULL);
	dvp = nd->ni_dvp;
	nd->ni_dvp = NULL;
	nd->ni_name = NULL;
	/* The link replaces the whole (last) component. */
	nd->ni_buf[0] = nd->ni_trailslash ? '/' : '\0';
	nd->ni_buf[1] = '\0';
	error = namei_splice(nd, linkvp, nd->ni_buf);
	if (error != 0) {
		vrele(dvp);
		return error;
	}
	error = cwd_get(NULL, &rdir);
	if (error != 0) {
		vrele(dvp);
		return error;
	}
	nd->ni_trailslash = false;
	error = namei_walk(nd, dvp, rdir);
	vrele(rdir);
	return error;
}

int
namei_follow(struct nameidata *nd, struct vnode *linkvp)
{
	int error;

	error = namei_follow1(nd, linkvp);
	if (error != 0) {
		KASSERT(nd->ni_vp == NULL && nd->ni_dvp == NULL);
		namei_done(nd);
	}
	return error;
}

/* See namei.h. */
int
namei_at(int dirfd, const char *upath, int atflags, bool follow,
    struct vnode **vpp, struct file **fpp)
{
	char *path;
	int error;

	*vpp = NULL;
	*fpp = NULL;
	path = vfs_pathbuf_get();
	if (path == NULL)
		return ENOMEM;
	error = vfs_copyinpath(upath, path, (atflags & AT_EMPTY_PATH) != 0);
	if (error != 0)
		goto out;
	if (path[0] == '\0') {
		if (dirfd == AT_FDCWD) {
			error = namei_getdirfd(dirfd, vpp);
		} else if ((error = fd_getfile(dirfd, fpp)) == 0 &&
		    file_vnode(*fpp) != NULL) {
			vref(file_vnode(*fpp));
			*vpp = file_vnode(*fpp);
			file_release(*fpp);
			*fpp = NULL;
		}
		goto out;
	}
	error = namei_vnode(dirfd, path, NI_KPATH | (follow ? NI_FOLLOW : 0),
	    vpp);
 out:
	vfs_pathbuf_put(path);
	return error;
}
