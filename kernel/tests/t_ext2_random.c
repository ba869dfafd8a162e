/*
 * t_ext2_random.c: randomized operations on ext2 (create, write at
 * random offsets, truncate, rename, link, unlink, mkdir, rmdir, remount)
 * checked against a model after every step, then e2fsck -fn clean.
 * The seed is printed; T_EXT2_SEED=<n> in the environment repeats a run.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/types.h>
#include <sys/stat.h>

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

struct minode {
	int	 refs;		/* names (0: free) */
	char	*data;
	size_t	 size;
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
	int i, fd, n, nent, kids;
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
		kids = 0;
		for (n = 0; n < MAXENT; n++) {
			const char *cp = ents[n].path, *slash;
			const char *dir = i < 0 ? "" : ents[i].path;

			if (!ents[n].used || !isbelow(cp, dir))
				continue;
			slash = strchr(cp + strlen(dir) + 1, '/');
			if (slash == NULL)
				kids++;
		}
		ATF_REQUIRE_EQ_MSG(nent, kids, "step %d: %s lists %d entries, "
		    "model %d", step, p, nent, kids);
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
}

static void
op_write(void)
{
	struct mentry *e = pick(false);
	size_t off, len;
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
}

static void
op_truncate(void)
{
	struct mentry *e = pick(false);
	char p[300];
	size_t len;

	if (e == NULL)
		return;
	len = rnd(2) ? rnd((uint32_t)e->ino->size + 1) : rnd(MAXDATA);
	if (len > e->ino->size)
		memset(e->ino->data + e->ino->size, 0, len - e->ino->size);
	mpath(p, sizeof(p), e->path);
	RL(rump_sys_truncate(p, (int64_t)len));
	e->ino->size = len;
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

/* The block layer's cache limit (kernel/include/vfs/buf.h). */
void	rumpns_bcache_setmax(uint64_t bytes);
static uint64_t cachemax;

static void
run(const char *mkfsopts, int steps)
{
	const char *env = getenv("T_EXT2_SEED");
	int step;

	rstate = env != NULL ? strtoull(env, NULL, 0) :
	    (uint64_t)time(NULL) * 2654435761u + (uint64_t)getpid();
	if (rstate == 0)
		rstate = 1;
	fprintf(stderr, "seed: T_EXT2_SEED=%llu\n",
	    (unsigned long long)rstate);
	mkfs(IMG, mkfsopts, "24M");
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
			if (rnd(3) == 0) {
				umount_ext2();
				mount_ext2(IMG, false);
			}
			break;
		default:		op_write(); break;
		}
		verify(step);
	}
	umount_ext2();
	fsck_clean(IMG);
}

ATF_TC(random_ops_1k);
ATF_TC_HEAD(random_ops_1k, tc)
{
	atf_tc_set_md_var(tc, "descr", "400 random operations on a 1 KiB "
	    "block ext2, checked against a model after each, e2fsck clean");
}
ATF_TC_BODY(random_ops_1k, tc)
{
	run("-t ext2 -b 1024", 400);
}

ATF_TC(random_ops_4k);
ATF_TC_HEAD(random_ops_4k, tc)
{
	atf_tc_set_md_var(tc, "descr", "The same on 4 KiB blocks");
}
ATF_TC_BODY(random_ops_4k, tc)
{
	run("-t ext2 -b 4096", 400);
}

ATF_TC(random_ops_smallcache);
ATF_TC_HEAD(random_ops_smallcache, tc)
{
	atf_tc_set_md_var(tc, "descr", "The same with a 256 KiB buffer "
	    "cache: eviction write-back and read-ahead clusters all the time");
}
ATF_TC_BODY(random_ops_smallcache, tc)
{
	cachemax = 256 * 1024;
	run("-t ext2 -b 1024", 300);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, random_ops_smallcache);
	ATF_TP_ADD_TC(tp, random_ops_1k);
	ATF_TP_ADD_TC(tp, random_ops_4k);
	return atf_no_error();
}
