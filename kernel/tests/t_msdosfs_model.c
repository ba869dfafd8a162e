/*
 * t_msdosfs_model.c: randomized operations on a FAT file system (create,
 * write at random offsets, truncate, rename over files and of a
 * directory, unlink, mkdir, rmdir, remount), each checked against an
 * in-memory model of what the tree must hold; after the run fsck.fat
 * finds the image clean and mtools reads every file back byte-exact.
 * Deterministic: the seed is fixed per case.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <atf-c.h>

#include "h_fatimg.h"

#define IMG	"model.img"
#define NDIRS	4		/* "/", "/D1", "/long dir two", sub */
#define NNAMES	8
#define MAXSIZE	(160 * 1024)

static const char *const fnames[NNAMES] = {
	"a.txt", "Long Name.dat", "MIXed.Case", "\xc3\xbc" "ber",
	"x y z", "UP.TXT", "verylongfilename_0123456789abcdef", "b",
};

struct mfile {
	bool		 exists;
	unsigned char	*data;
	size_t		 size;
};

static struct mfile model[NDIRS][NNAMES];
static bool sub_exists;
static int sub_parent;		/* 1 or 2 */
static uint32_t rng;

static uint32_t
rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return n == 0 ? 0 : rng % n;
}

static void
dirpath(int d, char *buf, size_t len)
{
	switch (d) {
	case 0:
		snprintf(buf, len, FAT_MNT);
		break;
	case 1:
		snprintf(buf, len, FAT_MNT "/D1");
		break;
	case 2:
		snprintf(buf, len, FAT_MNT "/long dir two");
		break;
	default:
		snprintf(buf, len, "%s/sub", sub_parent == 1 ?
		    FAT_MNT "/D1" : FAT_MNT "/long dir two");
		break;
	}
}

static void
filepath(int d, int n, char *buf, size_t len)
{
	char dir[256];

	dirpath(d, dir, sizeof(dir));
	snprintf(buf, len, "%s/%s", dir, fnames[n]);
}

static bool
dir_ok(int d)
{
	return d != 3 || sub_exists;
}

/* A call's result against what the model says: ok, or errno e. */
static void
expect(long r, int e, const char *what, int step)
{
	if (e == 0)
		ATF_REQUIRE_MSG(r != -1, "step %d: %s: %s", step, what,
		    strerror(errno));
	else
		ATF_REQUIRE_MSG(r == -1 && rt_errno() == e,
		    "step %d: %s: got %ld (errno %d), want errno %d", step,
		    what, r, r == -1 ? rt_errno() : 0, e);
}

static void
check_file(int d, int n, int step)
{
	char path[512];
	unsigned char *got;
	size_t gn;

	if (!model[d][n].exists)
		return;
	filepath(d, n, path, sizeof(path));
	got = k_readfile(path, &gn);
	ATF_REQUIRE_MSG(gn == model[d][n].size &&
	    memcmp(got, model[d][n].data, gn) == 0,
	    "step %d: %s: %zu bytes, model has %zu, or content differs",
	    step, path, gn, model[d][n].size);
	free(got);
}

/* Every directory lists exactly the model's names; every file holds
 * the model's bytes. */
static void
check_all(int step)
{
	char dir[256], buf[8192];
	int d, n, fd, count;
	long r, off;

	for (d = 0; d < NDIRS; d++) {
		if (!dir_ok(d))
			continue;
		dirpath(d, dir, sizeof(dir));
		RL(fd = rump_sys_open(dir, O_RDONLY | O_DIRECTORY));
		count = 0;
		while ((r = RL(rump_sys_getdents64(fd, buf, sizeof(buf)))) > 0) {
			for (off = 0; off < r;) {
				struct dirent64 *de = (void *)(buf + off);
				bool found = false;

				off += de->d_reclen;
				if (strcmp(de->d_name, ".") == 0 ||
				    strcmp(de->d_name, "..") == 0 ||
				    strcmp(de->d_name, "D1") == 0 ||
				    strcmp(de->d_name, "long dir two") == 0 ||
				    strcmp(de->d_name, "sub") == 0)
					continue;
				for (n = 0; n < NNAMES; n++)
					if (strcmp(de->d_name, fnames[n]) == 0 &&
					    model[d][n].exists)
						found = true;
				ATF_REQUIRE_MSG(found, "step %d: %s has "
				    "unexpected \"%s\"", step, dir, de->d_name);
				count++;
			}
		}
		RL(rump_sys_close(fd));
		for (n = 0; n < NNAMES; n++)
			if (model[d][n].exists)
				count--;
		ATF_REQUIRE_MSG(count == 0, "step %d: %s: %d names missing",
		    step, dir, -count);
		for (n = 0; n < NNAMES; n++)
			check_file(d, n, step);
	}
}

static void
set_size(struct mfile *f, size_t size)
{
	f->data = realloc(f->data, size + 1);
	ATF_REQUIRE(f->data != NULL);
	if (size > f->size)
		memset(f->data + f->size, 0, size - f->size);
	f->size = size;
}

static void
step_once(const char *img, int step)
{
	char path[512], path2[512], what[1100];
	int d = (int)rnd(NDIRS), n = (int)rnd(NNAMES), fd;
	struct mfile *f = &model[d][n];
	size_t size, off, len;
	unsigned char *buf;
	int op = (int)rnd(100);

	filepath(d, n, path, sizeof(path));
	if (op < 20) {			/* create or overwrite */
		size = rnd(4) == 0 ? 0 : rnd(MAXSIZE);
		buf = malloc(size + 1);
		pattern(buf, size, (unsigned)step);
		snprintf(what, sizeof(what), "create %s", path);
		fd = rump_sys_open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		expect(fd, dir_ok(d) ? 0 : ENOENT, what, step);
		if (fd != -1) {
			ATF_REQUIRE_EQ((ssize_t)size,
			    rump_sys_write(fd, buf, size));
			RL(rump_sys_close(fd));
			set_size(f, 0);
			set_size(f, size);
			memcpy(f->data, buf, size);
			f->exists = true;
		}
		free(buf);
	} else if (op < 40) {		/* write at a random offset */
		off = rnd(MAXSIZE);
		len = rnd(20000) + 1;
		buf = malloc(len);
		pattern(buf, len, (unsigned)step + 1000);
		snprintf(what, sizeof(what), "pwrite %s", path);
		fd = rump_sys_open(path, O_WRONLY);
		expect(fd, f->exists ? 0 : ENOENT, what, step);
		if (fd != -1) {
			ATF_REQUIRE_EQ((ssize_t)len,
			    rump_sys_pwrite64(fd, buf, len, (off_t)off));
			RL(rump_sys_close(fd));
			if (off + len > f->size)
				set_size(f, off + len);
			memcpy(f->data + off, buf, len);
		}
		free(buf);
	} else if (op < 52) {		/* truncate */
		size = rnd(MAXSIZE);
		snprintf(what, sizeof(what), "truncate %s", path);
		expect(rump_sys_truncate(path, (off_t)size),
		    f->exists ? 0 : ENOENT, what, step);
		if (f->exists)
			set_size(f, size);
	} else if (op < 67) {		/* rename, maybe over a file */
		int d2 = (int)rnd(NDIRS), n2 = (int)rnd(NNAMES);
		struct mfile *t = &model[d2][n2], tmp;

		filepath(d2, n2, path2, sizeof(path2));
		snprintf(what, sizeof(what), "rename %s %s", path, path2);
		expect(rump_sys_rename(path, path2),
		    !f->exists ? ENOENT : !dir_ok(d2) ? ENOENT : 0, what, step);
		if (f->exists && dir_ok(d2) && t != f) {
			free(t->data);
			*t = *f;
			memset(f, 0, sizeof(*f));
		}
		(void)tmp;
	} else if (op < 77) {		/* unlink */
		snprintf(what, sizeof(what), "unlink %s", path);
		expect(rump_sys_unlink(path), f->exists ? 0 : ENOENT, what,
		    step);
		if (f->exists) {
			free(f->data);
			memset(f, 0, sizeof(*f));
		}
	} else if (op < 85) {		/* mkdir or rmdir of sub */
		int empty = 1, k;

		for (k = 0; k < NNAMES; k++)
			if (model[3][k].exists)
				empty = 0;
		dirpath(3, path, sizeof(path));
		if (!sub_exists) {
			snprintf(what, sizeof(what), "mkdir %s", path);
			expect(rump_sys_mkdir(path, 0755), 0, what, step);
			sub_exists = true;
		} else {
			snprintf(what, sizeof(what), "rmdir %s", path);
			expect(rump_sys_rmdir(path), empty ? 0 : ENOTEMPTY,
			    what, step);
			if (empty)
				sub_exists = false;
		}
	} else if (op < 93) {		/* move sub to the other parent */
		dirpath(3, path, sizeof(path));
		sub_parent = 3 - sub_parent;
		dirpath(3, path2, sizeof(path2));
		snprintf(what, sizeof(what), "rename %s %s", path, path2);
		expect(rump_sys_rename(path, path2), sub_exists ? 0 : ENOENT,
		    what, step);
	} else if (op < 97) {		/* remount */
		fat_umount();
		fat_mount(img, 0, NULL);
	} else {
		check_all(step);
	}
	if (f->exists && dir_ok(d))
		check_file(d, n, step);
}

static void
model_run(int fattype, unsigned kib, const char *opts, uint32_t seed,
    int steps)
{
	char path[512];
	int i, d, n;

	require_tools("mkfs.fat", "fsck.fat", "mcopy", NULL);
	setenv("MTOOLS_SKIP_CHECK", "1", 1);
	setenv("LC_ALL", "C.UTF-8", 1);
	rng = seed;
	sub_parent = 1;
	fat_mkfs(IMG, fattype, kib, opts);
	boot();
	fat_mount(IMG, 0, NULL);
	RL(rump_sys_mkdir(FAT_MNT "/D1", 0755));
	RL(rump_sys_mkdir(FAT_MNT "/long dir two", 0755));
	for (i = 0; i < steps; i++)
		step_once(IMG, i);
	check_all(steps);
	fat_umount();
	fat_fsck_clean(IMG);

	/* mtools agrees with the model too. */
	for (d = 0; d < NDIRS; d++) {
		for (n = 0; n < NNAMES; n++) {
			size_t gn;
			unsigned char *got;

			if (!model[d][n].exists)
				continue;
			filepath(d, n, path, sizeof(path));
			RUN("rm -f out && mcopy -n -i %s '::%s' out", IMG,
			    path + strlen(FAT_MNT));
			got = h_readfile("out", &gn);
			ATF_CHECK_MSG(got != NULL && gn == model[d][n].size &&
			    memcmp(got, model[d][n].data, gn) == 0,
			    "mtools reads %s differently", path);
			free(got);
		}
	}
}

ATF_TC(model_fat12);
ATF_TC_HEAD(model_fat12, tc)
{
	atf_tc_set_md_var(tc, "descr", "random operations against a model "
	    "on FAT12, then fsck.fat clean and mtools agrees");
}
ATF_TC_BODY(model_fat12, tc)
{
	model_run(12, 8192, NULL, 12345, 400);
}

ATF_TC(model_fat16);
ATF_TC_HEAD(model_fat16, tc)
{
	atf_tc_set_md_var(tc, "descr", "random operations against a model "
	    "on FAT16, then fsck.fat clean and mtools agrees");
}
ATF_TC_BODY(model_fat16, tc)
{
	model_run(16, 16384, "-s 1", 777, 400);
}

ATF_TC(model_fat32);
ATF_TC_HEAD(model_fat32, tc)
{
	atf_tc_set_md_var(tc, "descr", "random operations against a model "
	    "on FAT32, then fsck.fat clean and mtools agrees");
}
ATF_TC_BODY(model_fat32, tc)
{
	model_run(32, 40960, "-s 1", 4242, 400);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, model_fat12);
	ATF_TP_ADD_TC(tp, model_fat16);
	ATF_TP_ADD_TC(tp, model_fat32);
	return atf_no_error();
}
