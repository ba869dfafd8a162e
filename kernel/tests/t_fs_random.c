/*
 * t_fs_random.c: randomized operations (create, write at random offsets,
 * truncate, rename, link, unlink, mkdir, rmdir, remount) on ext2 and
 * tmpfs, checked against one model after every step.
 *
 * ext2: a remount unmounts and mounts the image again; after the run
 * e2fsck -fn finds it clean.  tmpfs has no image to check and loses its
 * data when unmounted, so a remount there goes read-only (where every
 * change, through a descriptor opened for writing before as well, must
 * give EROFS and the tree must still match) and back; its statfs
 * counters are checked against the model after every step (data pages:
 * those written and not truncated away, tmpfs files being sparse;
 * inodes: one per name plus the root, as nr_inodes= counts them), and
 * after the run everything is removed and both counters must be back
 * where they started.
 *
 * The seed is printed; T_FS_SEED=<n> in the environment repeats a run
 * (T_EXT2_SEED, the older name, is read too).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/types.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <atf-c.h>

#include <rump/rump.h>
#include <rump/rump_syscalls.h>

#include "h_ext2.h"

#define IMG		"rnd.img"
#define MAXENT		64
#define MAXDATA		(300 * 1024)
#define PGSIZE		4096	/* tmpfs's data page (TMPFS_PAGE_SIZE) */
#define MAXPAGES	((MAXDATA + PGSIZE - 1) / PGSIZE)

struct minode {
	int	 refs;		/* names (0: free) */
	char	*data;
	size_t	 size;
	bool	 page[MAXPAGES];	/* tmpfs: pages written since
					 * allocated, not truncated away */
};
struct mentry {
	bool		 used;
	bool		 isdir;
	char		 path[256];	/* relative to the mount point */
	struct minode	*ino;		/* files */
};

static struct mentry ents[MAXENT];
static struct minode inos[MAXENT];
static uint64_t rstate;

static uint32_t
rnd(uint32_t n)
{
	rstate ^= rstate << 13;
	rstate ^= rstate >> 7;
	rstate ^= rstate << 17;
	return n == 0 ? 0 : (uint32_t)(rstate % n);
}

static struct mentry *
find(const char *path)
{
	int i;

	for (i = 0; i < MAXENT; i++)
		if (ents[i].used && strcmp(ents[i].path, path) == 0)
			return &ents[i];
	return NULL;
}

static struct mentry *
freeent(void)
{
	int i;

	for (i = 0; i < MAXENT; i++)
		if (!ents[i].used)
			return &ents[i];
	return NULL;
}

/* A random existing entry of the kind wanted (dirs: "" is the root). */
static struct mentry *
pick(bool isdir)
{
	int i, n = 0, k;

	for (i = 0; i < MAXENT; i++)
		if (ents[i].used && ents[i].isdir == isdir)
			n++;
	if (n == 0)
		return NULL;
	k = (int)rnd((uint32_t)n);
	for (i = 0; i < MAXENT; i++)
		if (ents[i].used && ents[i].isdir == isdir && k-- == 0)
			return &ents[i];
	return NULL;
}

/* A new path that does not exist, in a random directory (root or one
 * of the model's directories, not too deep). */
static bool
newpath(char *out, size_t len)
{
	static const char *names[] = { "a", "b", "c", "dd", "eee",
	    "a-rather-long-file-name-for-the-directory-block-%d", "g", "h" };
	struct mentry *d;
	char name[64];
	int tries;

	for (tries = 0; tries < 20; tries++) {
		d = rnd(3) == 0 ? NULL : pick(true);
		if (d != NULL && strlen(d->path) > 60)
			d = NULL;
		snprintf(name, sizeof(name), names[rnd(__arraycount(names))],
		    (int)rnd(50));
		if ((size_t)snprintf(out, len, "%s/%s", d != NULL ? d->path :
		    "", name) >= len)
			continue;
		if (find(out) == NULL)
			return true;
	}
	return false;
}

static bool
isbelow(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return strncmp(path, dir, n) == 0 && path[n] == '/';
}

static void
mpath(char *buf, size_t len, const char *rel)
{
	snprintf(buf, len, EXT2_MNT "%s", rel);
}

static void
verify(int step)
{
	char p[300], *got;
	struct stat st;
	size_t glen;
	int i, fd, n, nent, kids, subdirs;
	char dbuf[4096];
	ssize_t r;

	for (i = 0; i < MAXENT; i++) {
		if (!ents[i].used)
			continue;
		mpath(p, sizeof(p), ents[i].path);
		if (rump_sys_lstat(p, &st) == -1)
			atf_tc_fail("step %d: %s: %s", step, p, strerror(errno));
		if (ents[i].isdir) {
			ATF_REQUIRE_MSG(S_ISDIR(st.st_mode), "step %d: %s not "
			    "a dir", step, p);
			continue;
		}
		ATF_REQUIRE_MSG(S_ISREG(st.st_mode), "step %d: %s", step, p);
		ATF_REQUIRE_EQ_MSG((size_t)st.st_size, ents[i].ino->size,
		    "step %d: %s: size %jd, model %zu", step, p,
		    (intmax_t)st.st_size, ents[i].ino->size);
		ATF_REQUIRE_EQ_MSG((int)st.st_nlink, ents[i].ino->refs,
		    "step %d: %s: nlink", step, p);
		got = rump_slurp(p, &glen);
		ATF_REQUIRE_MSG(glen == ents[i].ino->size &&
		    memcmp(got, ents[i].ino->data, glen) == 0,
		    "step %d: %s: contents differ", step, p);
		free(got);
	}
	/* Every directory lists exactly its model children. */
	for (i = -1; i < MAXENT; i++) {
		if (i >= 0 && (!ents[i].used || !ents[i].isdir))
			continue;
		mpath(p, sizeof(p), i < 0 ? "" : ents[i].path);
		RL(fd = rump_sys_open(p, O_RDONLY | O_DIRECTORY));
		nent = 0;
		while ((r = rump_sys_getdents64(fd, dbuf, sizeof(dbuf))) > 0) {
			for (n = 0; n < r; ) {
				struct dirent64 {
					uint64_t ino;
					int64_t off;
					unsigned short reclen;
					unsigned char type;
					char name[];
				} *de = (void *)(dbuf + n);
				if (strcmp(de->name, ".") != 0 &&
				    strcmp(de->name, "..") != 0)
					nent++;
				n += de->reclen;
			}
		}
		RL(r);
		RL(rump_sys_close(fd));
		kids = subdirs = 0;
		for (n = 0; n < MAXENT; n++) {
			const char *cp = ents[n].path, *slash;
			const char *dir = i < 0 ? "" : ents[i].path;

			if (!ents[n].used || !isbelow(cp, dir))
				continue;
			slash = strchr(cp + strlen(dir) + 1, '/');
			if (slash == NULL) {
				kids++;
				subdirs += ents[n].isdir;
			}
		}
		ATF_REQUIRE_EQ_MSG(nent, kids, "step %d: %s lists %d entries, "
		    "model %d", step, p, nent, kids);
		/* "." and each subdirectory's "..", plus its own name. */
		RL(rump_sys_lstat(p, &st));
		ATF_REQUIRE_EQ_MSG((int)st.st_nlink, 2 + subdirs, "step %d: "
		    "%s: nlink %d, model %d", step, p, (int)st.st_nlink,
		    2 + subdirs);
	}
}

static void
op_create(void)
{
	struct mentry *e = freeent();
	char p[300];
	int fd, i;

	if (e == NULL || !newpath(e->path, sizeof(e->path)))
		return;
	for (i = 0; i < MAXENT && inos[i].refs != 0; i++)
		;
	mpath(p, sizeof(p), e->path);
	RL(fd = rump_sys_open(p, O_WRONLY | O_CREAT | O_EXCL, 0644));
	RL(rump_sys_close(fd));
	e->used = true;
	e->isdir = false;
	e->ino = &inos[i];
	inos[i].refs = 1;
	inos[i].size = 0;
	inos[i].data = calloc(1, MAXDATA);
	ATF_REQUIRE(inos[i].data != NULL);
	memset(inos[i].page, 0, sizeof(inos[i].page));
}

static void
op_write(void)
{
	struct mentry *e = pick(false);
	size_t off, len, pg;
	char p[300];
	int fd;

	if (e == NULL)
		return;
	off = rnd(rnd(4) == 0 ? MAXDATA / 2 : 20000);
	len = rnd(rnd(3) == 0 ? 70000 : 3000);
	if (off + len > MAXDATA)
		len = MAXDATA - off;
	pattern(e->ino->data + off, len, (unsigned)rnd(1000));
	if (off > e->ino->size)
		memset(e->ino->data + e->ino->size, 0, off - e->ino->size);
	mpath(p, sizeof(p), e->path);
	RL(fd = rump_sys_open(p, O_WRONLY));
	ATF_REQUIRE_EQ(rump_sys_pwrite64(fd, e->ino->data + off, len,
	    (int64_t)off), (ssize_t)len);
	RL(rump_sys_close(fd));
	if (len > 0 && off + len > e->ino->size)
		e->ino->size = off + len;
	for (pg = off / PGSIZE; len > 0 && pg <= (off + len - 1) / PGSIZE;
	    pg++)
		e->ino->page[pg] = true;
}

static void
op_truncate(void)
{
	struct mentry *e = pick(false);
	char p[300];
	size_t len, pg;

	if (e == NULL)
		return;
	len = rnd(2) ? rnd((uint32_t)e->ino->size + 1) : rnd(MAXDATA);
	if (len > e->ino->size)
		memset(e->ino->data + e->ino->size, 0, len - e->ino->size);
	mpath(p, sizeof(p), e->path);
	RL(rump_sys_truncate(p, (int64_t)len));
	e->ino->size = len;
	/* Pages wholly past the end go; the partial last one stays. */
	for (pg = (len + PGSIZE - 1) / PGSIZE; pg < MAXPAGES; pg++)
		e->ino->page[pg] = false;
}

static void
op_rename(void)
{
	struct mentry *e = pick(rnd(3) == 0), *x;
	char np[256], a[300], b[300], old[256];
	int i;

	if (e == NULL || !newpath(np, sizeof(np)))
		return;
	if (e->isdir && (strcmp(np, e->path) == 0 || isbelow(np, e->path)))
		return;
	for (i = 0; i < MAXENT; i++)
		if (ents[i].used && isbelow(ents[i].path, e->path) &&
		    strlen(np) + strlen(ents[i].path) > 200)
			return;	/* the model's paths stay short */
	mpath(a, sizeof(a), e->path);
	mpath(b, sizeof(b), np);
	RL(rump_sys_rename(a, b));
	strcpy(old, e->path);
	for (i = 0; i < MAXENT; i++) {
		x = &ents[i];
		if (!x->used)
			continue;
		if (x == e) {
			strcpy(x->path, np);
		} else if (e->isdir && isbelow(x->path, old)) {
			char tail[256];

			strcpy(tail, x->path + strlen(old));
			if ((size_t)snprintf(x->path, sizeof(x->path), "%s%.200s", np,
			    tail) >= sizeof(x->path))
				atf_tc_fail("path too long: %s + %s (old %s)", np, tail, old);
		}
	}
}

static void
op_link(void)
{
	struct mentry *e = pick(false), *n = freeent();
	char a[300], b[300];

	if (e == NULL || n == NULL || !newpath(n->path, sizeof(n->path)))
		return;
	mpath(a, sizeof(a), e->path);
	mpath(b, sizeof(b), n->path);
	RL(rump_sys_link(a, b));
	n->used = true;
	n->isdir = false;
	n->ino = e->ino;
	e->ino->refs++;
}

static void
op_unlink(void)
{
	struct mentry *e = pick(false);
	char p[300];

	if (e == NULL)
		return;
	mpath(p, sizeof(p), e->path);
	RL(rump_sys_unlink(p));
	e->used = false;
	if (--e->ino->refs == 0) {
		free(e->ino->data);
		e->ino->data = NULL;
	}
}

static void
op_mkdir(void)
{
	struct mentry *e = freeent();
	char p[300];

	if (e == NULL || !newpath(e->path, sizeof(e->path)))
		return;
	mpath(p, sizeof(p), e->path);
	RL(rump_sys_mkdir(p, 0755));
	e->used = true;
	e->isdir = true;
}

static void
op_rmdir(void)
{
	struct mentry *e = pick(true);
	char p[300];
	int i;

	if (e == NULL)
		return;
	mpath(p, sizeof(p), e->path);
	for (i = 0; i < MAXENT; i++) {
		if (ents[i].used && isbelow(ents[i].path, e->path)) {
			ERR(ENOTEMPTY, rump_sys_rmdir(p));
			return;
		}
	}
	RL(rump_sys_rmdir(p));
	e->used = false;
}

/*
 * What differs between the file systems: making and mounting one (the
 * kernel is booted here), a remount that keeps the data, a check of the
 * file system's own accounting after each step (optional), and the
 * checks at the end.
 */
struct fs {
	void	(*setup)(void);
	void	(*remount)(int step);
	void	(*check)(int step);
	void	(*finish)(void);
};

/* ext2 ---------------------------------------------------------------- */

/* The block layer's cache limit (kernel/include/vfs/buf.h). */
void	rumpns_bcache_setmax(uint64_t bytes);
static const char *ext2_mkfsopts;
static uint64_t cachemax;

static void
ext2_setup(void)
{
	mkfs(IMG, ext2_mkfsopts, "24M");
	boot();
	if (cachemax != 0) {
		rump_schedule();
		rumpns_bcache_setmax(cachemax);
		rump_unschedule();
	}
	mount_ext2(IMG, false);
	/* mke2fs made it. */
	ents[0].used = true;
	ents[0].isdir = true;
	strcpy(ents[0].path, "/lost+found");
}

static void
ext2_remount(int step)
{
	(void)step;
	umount_ext2();
	mount_ext2(IMG, false);
}

static void
ext2_finish(void)
{
	umount_ext2();
	fsck_clean(IMG);
}

static const struct fs ext2_fs = {
	.setup = ext2_setup,
	.remount = ext2_remount,
	.finish = ext2_finish,
};

/* tmpfs --------------------------------------------------------------- */

/* Limits the run never reaches (64 files of at most MAXDATA bytes, and
 * MAXENT names), so that statfs reports counts of what is used. */
#define TMPFS_OPTS	"size=64m,nr_inodes=1000"

static struct statfs tmpfs_start;

static void
tmpfs_statfs(struct statfs *sf)
{
	RL(rump_sys_statfs(EXT2_MNT, sf));
	ATF_REQUIRE_EQ(sf->f_blocks, 64 * 1024 * 1024 / PGSIZE);
	ATF_REQUIRE_EQ(sf->f_files, 1000);
}

static void
tmpfs_setup(void)
{
	boot();
	RL(rump_sys_mkdir(EXT2_MNT, 0755));
	RL(rump_sys_mount("tmpfs", EXT2_MNT, "tmpfs", 0, TMPFS_OPTS));
	tmpfs_statfs(&tmpfs_start);
	/* The root is the one node used. */
	ATF_REQUIRE_EQ(tmpfs_start.f_blocks - tmpfs_start.f_bfree, 0);
	ATF_REQUIRE_EQ(tmpfs_start.f_files - tmpfs_start.f_ffree, 1);
}

/* Data pages and inodes in use must be what the model holds. */
static void
tmpfs_check(int step)
{
	struct statfs sf;
	uint64_t pages = 0, names = 0;
	int i, pg;

	for (i = 0; i < MAXENT; i++) {
		if (ents[i].used)
			names++;
		if (inos[i].refs == 0)
			continue;
		for (pg = 0; pg < MAXPAGES; pg++)
			pages += inos[i].page[pg];
	}
	tmpfs_statfs(&sf);
	ATF_REQUIRE_EQ_MSG((uint64_t)(sf.f_blocks - sf.f_bfree), pages,
	    "step %d: %ju data pages in use, model %ju", step,
	    (uintmax_t)(sf.f_blocks - sf.f_bfree), (uintmax_t)pages);
	ATF_REQUIRE_EQ_MSG((uint64_t)(sf.f_files - sf.f_ffree), 1 + names,
	    "step %d: %ju inodes in use, model %ju (the root and %ju names)",
	    step, (uintmax_t)(sf.f_files - sf.f_ffree), (uintmax_t)(1 + names),
	    (uintmax_t)names);
}

/*
 * Read-only and back, keeping the data: while read-only the tree still
 * matches the model, and every change is refused with EROFS, also a
 * write through a descriptor opened for writing before the remount.
 */
static void
tmpfs_remount(int step)
{
	struct mentry *f = pick(false), *d = pick(true);
	char p[300], q[300];
	struct statfs sf;
	int fd = -1;

	if (f != NULL) {
		mpath(p, sizeof(p), f->path);
		RL(fd = rump_sys_open(p, O_WRONLY));
	}
	RL(rump_sys_mount(NULL, EXT2_MNT, NULL, MS_REMOUNT | MS_RDONLY, NULL));
	RL(rump_sys_statfs(EXT2_MNT, &sf));
	ATF_REQUIRE_MSG((sf.f_flags & ST_RDONLY) != 0, "step %d: statfs "
	    "flags %#lx after the read-only remount", step,
	    (unsigned long)sf.f_flags);
	verify(step);
	tmpfs_check(step);
	mpath(q, sizeof(q), "/ro-new");
	ERR(EROFS, rump_sys_open(q, O_WRONLY | O_CREAT, 0644));
	ERR(EROFS, rump_sys_mkdir(q, 0755));
	if (d != NULL) {
		mpath(q, sizeof(q), d->path);
		ERR(EROFS, rump_sys_rmdir(q));
	}
	if (f != NULL) {
		ERR(EROFS, rump_sys_pwrite64(fd, "x", 1, 0));
		ERR(EROFS, rump_sys_open(p, O_WRONLY));
		ERR(EROFS, rump_sys_truncate(p, 0));
		ERR(EROFS, rump_sys_unlink(p));
		mpath(q, sizeof(q), "/ro-link");
		ERR(EROFS, rump_sys_link(p, q));
		ERR(EROFS, rump_sys_rename(p, q));
	}
	/* Back to read-write, sometimes restating the limits (which
	 * tmpfs then takes as a change of them). */
	RL(rump_sys_mount(NULL, EXT2_MNT, NULL, MS_REMOUNT,
	    rnd(2) ? TMPFS_OPTS : NULL));
	if (fd != -1) {
		/* Writable again through the same descriptor. */
		ATF_REQUIRE_EQ(rump_sys_pwrite64(fd, f->ino->data, 1, 0), 1);
		if (f->ino->size == 0)
			f->ino->size = 1;
		f->ino->page[0] = true;
		RL(rump_sys_close(fd));
	}
}

/* Removes every name of the model, deepest first. */
static void
remove_all(void)
{
	char p[300];
	size_t depth, deepest;
	const char *c;
	int i;

	for (;;) {
		struct mentry *e = NULL;

		deepest = 0;
		for (i = 0; i < MAXENT; i++) {
			if (!ents[i].used)
				continue;
			for (depth = 0, c = ents[i].path; *c != '\0'; c++)
				depth += *c == '/';
			if (e == NULL || depth > deepest) {
				e = &ents[i];
				deepest = depth;
			}
		}
		if (e == NULL)
			break;
		mpath(p, sizeof(p), e->path);
		if (e->isdir) {
			RL(rump_sys_rmdir(p));
		} else {
			RL(rump_sys_unlink(p));
			if (--e->ino->refs == 0) {
				free(e->ino->data);
				e->ino->data = NULL;
			}
		}
		e->used = false;
	}
}

static void
tmpfs_finish(void)
{
	struct statfs sf;

	remove_all();
	verify(-1);
	tmpfs_statfs(&sf);
	ATF_CHECK_EQ_MSG(sf.f_bfree, tmpfs_start.f_bfree, "emptied: %ju "
	    "free pages, %ju at the start", (uintmax_t)sf.f_bfree,
	    (uintmax_t)tmpfs_start.f_bfree);
	ATF_CHECK_EQ_MSG(sf.f_ffree, tmpfs_start.f_ffree, "emptied: %ju "
	    "free inodes, %ju at the start", (uintmax_t)sf.f_ffree,
	    (uintmax_t)tmpfs_start.f_ffree);
}

static const struct fs tmpfs_fs = {
	.setup = tmpfs_setup,
	.remount = tmpfs_remount,
	.check = tmpfs_check,
	.finish = tmpfs_finish,
};

/* The run ------------------------------------------------------------- */

static void
run(const struct fs *fs, int steps)
{
	const char *env = getenv("T_FS_SEED");
	int step;

	if (env == NULL)
		env = getenv("T_EXT2_SEED");
	rstate = env != NULL ? strtoull(env, NULL, 0) :
	    (uint64_t)time(NULL) * 2654435761u + (uint64_t)getpid();
	if (rstate == 0)
		rstate = 1;
	fprintf(stderr, "seed: T_FS_SEED=%llu\n",
	    (unsigned long long)rstate);
	fs->setup();
	for (step = 0; step < steps; step++) {
		switch (rnd(20)) {
		case 0: case 1: case 2:	op_create(); break;
		case 3: case 4: case 5: case 6: op_write(); break;
		case 7: case 8:		op_truncate(); break;
		case 9: case 10:	op_rename(); break;
		case 11:		op_link(); break;
		case 12: case 13:	op_unlink(); break;
		case 14: case 15:	op_mkdir(); break;
		case 16:		op_rmdir(); break;
		case 17:
			if (rnd(3) == 0)
				fs->remount(step);
			break;
		default:		op_write(); break;
		}
		verify(step);
		if (fs->check != NULL)
			fs->check(step);
	}
	/* Once more after the last step, then the file system's own
	 * end checks. */
	verify(steps);
	fs->finish();
}

ATF_TC(ext2_1k);
ATF_TC_HEAD(ext2_1k, tc)
{
	atf_tc_set_md_var(tc, "descr", "400 random operations on a 1 KiB "
	    "block ext2, checked against a model after each, e2fsck clean");
}
ATF_TC_BODY(ext2_1k, tc)
{
	ext2_mkfsopts = "-t ext2 -b 1024";
	run(&ext2_fs, 400);
}

ATF_TC(ext2_4k);
ATF_TC_HEAD(ext2_4k, tc)
{
	atf_tc_set_md_var(tc, "descr", "The same on 4 KiB blocks");
}
ATF_TC_BODY(ext2_4k, tc)
{
	ext2_mkfsopts = "-t ext2 -b 4096";
	run(&ext2_fs, 400);
}

ATF_TC(ext2_smallcache);
ATF_TC_HEAD(ext2_smallcache, tc)
{
	atf_tc_set_md_var(tc, "descr", "The same with a 256 KiB buffer "
	    "cache: eviction write-back and read-ahead clusters all the time");
}
ATF_TC_BODY(ext2_smallcache, tc)
{
	ext2_mkfsopts = "-t ext2 -b 1024";
	cachemax = 256 * 1024;
	run(&ext2_fs, 300);
}

ATF_TC(tmpfs);
ATF_TC_HEAD(tmpfs, tc)
{
	atf_tc_set_md_var(tc, "descr", "1000 random operations on tmpfs, "
	    "checked against the model and tmpfs's statfs counters after "
	    "each; remounts go read-only (EROFS for every change) and "
	    "back; emptied, the counters are back where they started");
}
ATF_TC_BODY(tmpfs, tc)
{
	run(&tmpfs_fs, 1000);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, ext2_smallcache);
	ATF_TP_ADD_TC(tp, ext2_1k);
	ATF_TP_ADD_TC(tp, ext2_4k);
	ATF_TP_ADD_TC(tp, tmpfs);
	return atf_no_error();
}
