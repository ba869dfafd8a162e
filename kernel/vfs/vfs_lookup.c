/*
 * vfs_lookup.c: path name lookup (namei), see vfs/namei.h.
 *
 * A lookup first goes as far as it can without locks or references
 * (namei_fast): through directories that anyone may search, by names
 * the name cache knows, into mounted file systems.  Every thread's
 * lookups pass through "/" and the mount points, so each lock taken or
 * count changed there moved a cache line between the host's cores: a
 * dozen per lookup, three lookups per file, most of what two threads
 * working in directories of their own had in common (bench_scale).  It
 * takes a reference only on what it returns, or on the directory where
 * it stops (a name not cached, a symlink, "..", a directory not
 * searchable by all); the walk below goes on from there.
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
#include <kern/qsbr.h>
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

/* The length of the component at name; *nextp is what follows its
 * slashes, *trailp whether there were any. */
static size_t
namei_component(char *name, char **nextp, bool *trailp)
{
	char *next;
	size_t len;

	for (len = 0; name[len] != '\0' && name[len] != '/'; len++)
		continue;
	next = name + len;
	*trailp = false;
	while (*next == '/') {
		next++;
		*trailp = true;
	}
	*nextp = next;
	return len;
}

/*
 * The walk proper: resolves the path from cp (in nd->ni_buf) on,
 * starting at dvp (a referenced directory, consumed) with rdir as the
 * process root.
 */
static int
namei_walk(struct nameidata *nd, struct vnode *dvp, char *cp,
    struct vnode *rdir)
{
	const struct kauth_cred *cred;
	struct vattr va;
	struct vnode *vp;
	char *name, *next;
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
		len = namei_component(name, &next, &trail);
		if (len > NAME_MAX) {
			error = ENAMETOOLONG;
			goto fail;
		}
		islast = *next == '\0';

		if (dvp->v_type != VDIR) {
			error = ENOTDIR;
			goto fail;
		}
		/* The search permission and the lookup under one lock
		 * when there is a lookup. */
		vn_lock(dvp);
		error = VOP_GETATTR(dvp, &va);
		if (error == 0) {
			/* What lets namei_fast through without a cred. */
			__atomic_store_n(&dvp->v_searchall,
			    (va.va_mode & 0111) == 0111, __ATOMIC_RELAXED);
			error = vaccess(&va, VEXEC, cred);
		}
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
			if (error == 0)
				nc_enter(dvp, name, len, vp);
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

/* What namei_fast leaves for the walk. */
enum fast_result {
	FAST_DONE,		/* nd holds the result */
	FAST_HANDOFF,		/* go on from *dvpp (referenced) at *cpp */
	FAST_GIVEUP		/* do the whole lookup with the walk */
};

/*
 * The lockless part of a lookup, under the rules of kern/qsbr.h: it
 * holds its virtual CPU and never waits, so the vnodes and mounts it
 * passes stay valid memory though it holds no reference.  What it reads
 * of them is set once (type, key, mount) or atomic (v_searchall,
 * v_mountedhere, mnt_root).  A name's entry may be removed right after
 * it was read, or a directory's mode changed: the lookup then happened
 * before, as it may with the locks of the walk, which holds one at a
 * time too.
 */
static enum fast_result
namei_fast(struct nameidata *nd, struct vnode *start, struct vnode *rdir,
    struct vnode **dvpp, char **cpp)
{
	struct vnode *dvp = start, *vp;
	struct mount *mp;
	char *cp = nd->ni_buf, *name, *next;
	uint64_t key;
	size_t len;
	bool trail, islast;

	for (;;) {
		if (*cp == '/') {
			dvp = rdir;
			while (*cp == '/')
				cp++;
		}
		if (*cp == '\0')
			goto handoff;	/* names a directory itself */
		name = cp;
		len = namei_component(name, &next, &trail);
		islast = *next == '\0';
		if (len > NAME_MAX || dvp->v_type != VDIR ||
		    !__atomic_load_n(&dvp->v_searchall, __ATOMIC_RELAXED) ||
		    (name[0] == '.' && (len == 1 ||
		    (len == 2 && name[1] == '.'))))
			goto handoff;
		if (islast && (nd->ni_flags & NI_PARENT) != 0) {
			if (!vcache_tryref(dvp))
				goto handoff;
			nd->ni_trailslash = trail;
			nd->ni_lasttype = LAST_NORM;
			name[len] = '\0';
			nd->ni_dvp = dvp;
			nd->ni_name = name;
			nd->ni_namelen = len;
			return FAST_DONE;
		}
		if (!nc_lookup(dvp, name, len, &key) ||
		    (vp = vcache_peek(dvp->v_mount, key)) == NULL)
			goto handoff;
		while (vp->v_type == VDIR && (mp = __atomic_load_n(
		    &vp->v_mountedhere, __ATOMIC_SEQ_CST)) != NULL) {
			vp = __atomic_load_n(&mp->mnt_root, __ATOMIC_SEQ_CST);
			if (vp == NULL)
				goto handoff;
		}
		if (vp->v_type == VLNK)
			goto handoff;
		if (islast) {
			if (trail && vp->v_type != VDIR)
				goto handoff;
			if (!vcache_tryref(vp))
				goto handoff;
			nd->ni_vp = vp;
			return FAST_DONE;
		}
		dvp = vp;
		cp = next;
	}

 handoff:
	/* The walk goes on with this component, from this directory. */
	if (!vcache_tryref(dvp))
		return FAST_GIVEUP;
	*dvpp = dvp;
	*cpp = cp;
	return FAST_HANDOFF;
}

static int
namei_start(struct nameidata *nd)
{
	struct vnode *cdir, *rdir, *start;
	enum fast_result fr;
	char *cp;
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

	/* From the current directory or "/": first without locks. */
	if (nd->ni_dirfd == AT_FDCWD || nd->ni_buf[0] == '/') {
		if (cwd_peek(&cdir, &rdir)) {
			fr = namei_fast(nd, nd->ni_buf[0] == '/' ? rdir : cdir,
			    rdir, &start, &cp);
			if (fr == FAST_DONE)
				return 0;
			if (fr == FAST_HANDOFF) {
				error = cwd_get(NULL, &rdir);
				if (error != 0) {
					vrele(start);
					return error;
				}
				error = namei_walk(nd, start, cp, rdir);
				vrele(rdir);
				return error;
			}
		}
	}

	/* The current directory only when the walk starts there (its
	 * reference becomes the walk's). */
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
		error = namei_walk(nd, start, nd->ni_buf, rdir);
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
	error = namei_walk(nd, dvp, nd->ni_buf, rdir);
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
