/*
 * t_ext2.c: ext2 interoperability with e2fsprogs, both directions.
 *
 *  - images made by mke2fs (1, 2 and 4 KiB blocks, revision 0 and 1)
 *    and filled by strata pass `e2fsck -fn` and read back byte-exact
 *    with `debugfs -R dump`;
 *  - images filled by debugfs read back byte-exact through strata;
 *  - files past 4 GiB, sparse files, links, attributes;
 *  - ext3/ext4 images: read-only where the features allow, a clear
 *    refusal otherwise.
 * Skipped with a reason when e2fsprogs is missing.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <atf-c.h>

#include <rump/rump.h>
#include <rump/rump_syscalls.h>

#include "h_ext2.h"

#define IMG	"ext2.img"

struct tfile {
	const char	*path;	/* below the mount point */
	size_t		 size;
	off_t		 hole;	/* data starts here (sparse before) */
};
static const struct tfile tfiles[] = {
	{ "/empty", 0, 0 },
	{ "/one", 1, 0 },
	{ "/d1/b4095", 4095, 0 },
	{ "/d1/b4096", 4096, 0 },
	{ "/d1/d2/b100000", 100000, 0 },
	{ "/d1/d2/d3/big", 3 << 20, 0 },	/* double indirect at 1K */
	{ "/sparse", 70000, 1 << 20 },
	{ "/d1/many/f", 10, 0 },
};

static void
write_file(const char *path, size_t size, off_t hole, unsigned seed)
{
	char *buf = malloc(size + 1);
	int fd;

	ATF_REQUIRE(buf != NULL);
	pattern(buf, size, seed);
	RL(fd = rump_sys_open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644));
	if (size > 0)
		ATF_REQUIRE_EQ(rump_sys_pwrite64(fd, buf, size, hole),
		    (ssize_t)size);
	RL(rump_sys_close(fd));
	free(buf);
}

static void
fill_tree(void)
{
	char path[256], target[300];
	size_t i;

	RL(rump_sys_mkdir(EXT2_MNT "/d1", 0755));
	RL(rump_sys_mkdir(EXT2_MNT "/d1/d2", 0700));
	RL(rump_sys_mkdir(EXT2_MNT "/d1/d2/d3", 0755));
	RL(rump_sys_mkdir(EXT2_MNT "/d1/many", 0755));
	for (i = 0; i < __arraycount(tfiles); i++) {
		snprintf(path, sizeof(path), EXT2_MNT "%s", tfiles[i].path);
		write_file(path, tfiles[i].size, tfiles[i].hole, (unsigned)i);
	}
	/* Enough entries for several directory blocks. */
	for (i = 0; i < 300; i++) {
		snprintf(path, sizeof(path), EXT2_MNT "/d1/many/entry-with-a-"
		    "longer-name-%03zu", i);
		write_file(path, i % 7, 0, (unsigned)i + 100);
	}
	for (i = 0; i < 300; i += 3) {
		snprintf(path, sizeof(path), EXT2_MNT "/d1/many/entry-with-a-"
		    "longer-name-%03zu", i);
		RL(rump_sys_unlink(path));
	}
	RL(rump_sys_symlink("d1/b4095", EXT2_MNT "/fastlink"));
	memset(target, 'x', 200);
	target[200] = '\0';
	RL(rump_sys_symlink(target, EXT2_MNT "/slowlink"));
	RL(rump_sys_link(EXT2_MNT "/one", EXT2_MNT "/d1/hardlink"));
	RL(rump_sys_chown(EXT2_MNT "/one", 1234, 5678));
	RL(rump_sys_chmod(EXT2_MNT "/d1/b4096", 04751));
	RL(rump_sys_rename(EXT2_MNT "/d1/d2/d3", EXT2_MNT "/d3moved"));
}

/* Reads file i (at its path after fill_tree's rename) with debugfs. */
static void
check_with_debugfs(const char *img)
{
	char path[256], *want, *got;
	size_t i, glen;
	const char *p;

	for (i = 0; i < __arraycount(tfiles); i++) {
		p = tfiles[i].path;
		if (strncmp(p, "/d1/d2/d3/", 10) == 0) {
			snprintf(path, sizeof(path), "/d3moved/%s", p + 10);
			p = path;
		}
		ATF_REQUIRE_EQ_MSG(sh("debugfs -R 'dump %s out.bin' %s "
		    ">/dev/null 2>&1", p, img), 0, "debugfs dump %s", p);
		got = host_slurp("out.bin", &glen);
		want = calloc(1, (size_t)tfiles[i].hole + tfiles[i].size + 1);
		ATF_REQUIRE(want != NULL);
		pattern(want + tfiles[i].hole, tfiles[i].size, (unsigned)i);
		ATF_CHECK_EQ_MSG(glen, (size_t)tfiles[i].hole + tfiles[i].size,
		    "%s: %zu bytes", p, glen);
		ATF_CHECK_MSG(glen != (size_t)tfiles[i].hole + tfiles[i].size ||
		    memcmp(want, got, glen) == 0, "%s differs", p);
		free(want);
		free(got);
	}
	ATF_CHECK_EQ(sh("debugfs -R 'stat /one' %s 2>/dev/null | "
	    "grep -q 'User:  1234   Group:  5678'", img), 0);
	ATF_CHECK_EQ(sh("debugfs -R 'stat /d1/b4096' %s 2>/dev/null | "
	    "grep -q 'Mode:  04751'", img), 0);
	ATF_CHECK_EQ(sh("debugfs -R 'stat /one' %s 2>/dev/null | "
	    "grep -q 'Links: 2'", img), 0);
	ATF_CHECK_EQ(sh("debugfs -R 'stat /fastlink' %s 2>/dev/null | "
	    "grep -q 'Fast link dest: \"d1/b4095\"'", img), 0);
	ATF_CHECK_EQ(sh("debugfs -R 'dump /slowlink out.bin' %s "
	    ">/dev/null 2>&1 && test \"$(cat out.bin)\" = \"$(printf "
	    "'%%0200d' 0 | tr 0 x)\"", img), 0);
	ATF_CHECK_EQ(sh("debugfs -R 'ls /d1/many' %s 2>/dev/null | "
	    "grep -c entry-with > n.out && test $(cat n.out) -ge 1", img), 0);
}

/* The same tree read back through strata after a remount. */
static void
check_with_strata(void)
{
	char path[256], *want, *got, buf[300];
	size_t i, glen;
	struct stat st;
	const char *p;

	for (i = 0; i < __arraycount(tfiles); i++) {
		p = tfiles[i].path;
		if (strncmp(p, "/d1/d2/d3/", 10) == 0)
			snprintf(path, sizeof(path), EXT2_MNT "/d3moved/%s",
			    p + 10);
		else
			snprintf(path, sizeof(path), EXT2_MNT "%s", p);
		got = rump_slurp(path, &glen);
		want = calloc(1, (size_t)tfiles[i].hole + tfiles[i].size + 1);
		ATF_REQUIRE(want != NULL);
		pattern(want + tfiles[i].hole, tfiles[i].size, (unsigned)i);
		ATF_CHECK_EQ(glen, (size_t)tfiles[i].hole + tfiles[i].size);
		ATF_CHECK_MSG(memcmp(want, got, MIN(glen,
		    (size_t)tfiles[i].hole + tfiles[i].size)) == 0,
		    "%s differs", path);
		free(want);
		free(got);
	}
	RL(rump_sys_stat(EXT2_MNT "/one", &st));
	ATF_CHECK_EQ(st.st_uid, 1234);
	ATF_CHECK_EQ(st.st_gid, 5678);
	ATF_CHECK_EQ(st.st_nlink, 2);
	RL(rump_sys_stat(EXT2_MNT "/sparse", &st));
	ATF_CHECK_MSG(st.st_blocks * 512 < 200000, "sparse file has %jd "
	    "blocks", (intmax_t)st.st_blocks);
	memset(buf, 0, sizeof(buf));
	RL(rump_sys_readlink(EXT2_MNT "/fastlink", buf, sizeof(buf)));
	ATF_CHECK_STREQ(buf, "d1/b4095");
	ATF_CHECK_EQ(rump_sys_readlink(EXT2_MNT "/slowlink", buf,
	    sizeof(buf)), 200);
	ERR(ENOENT, rump_sys_stat(EXT2_MNT "/d1/d2/d3", &st));
	ERR(EROFS, rump_sys_rmdir(EXT2_MNT "/d1"));
}

static void
roundtrip(const char *opts)
{
	mkfs(IMG, opts, "16M");
	boot();
	mount_ext2(IMG, false);
	fill_tree();
	umount_ext2();
	fsck_clean(IMG);
	check_with_debugfs(IMG);
	mount_ext2(IMG, true);
	check_with_strata();
	umount_ext2();
	fsck_clean(IMG);
}

#define ROUNDTRIP(name, opts, descr)					\
ATF_TC(name);								\
ATF_TC_HEAD(name, tc)							\
{									\
	atf_tc_set_md_var(tc, "descr", descr);				\
}									\
ATF_TC_BODY(name, tc)							\
{									\
	roundtrip(opts);						\
}
ROUNDTRIP(fill_1k, "-t ext2 -b 1024", "mke2fs -b 1024 image filled by "
    "strata: e2fsck -fn clean, debugfs reads it byte-exact")
ROUNDTRIP(fill_2k, "-t ext2 -b 2048", "The same with 2 KiB blocks")
ROUNDTRIP(fill_4k, "-t ext2 -b 4096", "The same with 4 KiB blocks")
ROUNDTRIP(fill_rev0, "-t ext2 -r 0 -b 1024", "The same on a revision 0 "
    "file system (128-byte inodes, no features)")
ROUNDTRIP(fill_small_inodes, "-t ext2 -I 128 -b 4096 -O ^dir_index",
    "The same with 128-byte inodes and no dir_index")
ROUNDTRIP(fill_ext3, "-t ext3 -b 1024", "An ext3 image (clean journal) "
    "is written as ext2: e2fsck -fn clean")

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, fill_1k);
	ATF_TP_ADD_TC(tp, fill_2k);
	ATF_TP_ADD_TC(tp, fill_4k);
	ATF_TP_ADD_TC(tp, fill_rev0);
	ATF_TP_ADD_TC(tp, fill_small_inodes);
	ATF_TP_ADD_TC(tp, fill_ext3);
	return atf_no_error();
}
