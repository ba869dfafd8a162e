/*
 * t_msdosfs.c: the FAT file system (kernel/fs/msdosfs) against the
 * reference tools, in both directions: images that mkfs.fat makes
 * (FAT12, FAT16, FAT32) and strata fills pass fsck.fat -n and read back
 * byte-exact with mtools; images that mtools fills read back byte-exact
 * through strata, long names included.  Also mount options, attributes
 * and times, and what FAT refuses.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/mount.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <atf-c.h>

#include "h_fatimg.h"

#define IMG	"fat.img"

/* Files every interoperability case writes and checks: short upper,
 * short lower (NT case bits), mixed case, long, several long-name
 * slots, non-ASCII, spaces and dots. */
static const char *const names[] = {
	"README.TXT",
	"lower.txt",
	"MixedCase.Txt",
	"A long file name.data",
	"nested name that needs several long name slots 0123456789.bin",
	"\xc3\xbc" "n\xc3\xaf" "c\xc3\xb6" "d\xc3\xa9.txt",	/* ünïcödé.txt */
	"x.y.z",
	"trailing space .dat",
	"123456789",
	"UPPER LONGER NAME.TEXT",
};
#define NNAMES	(sizeof(names) / sizeof(names[0]))

static size_t
name_size(size_t i)
{
	/* Empty, small, a cluster and a bit, many clusters. */
	static const size_t sizes[] = { 0, 1, 4097, 70000, 511, 512, 300000,
	    33, 2048, 123457 };
	return sizes[i % (sizeof(sizes) / sizeof(sizes[0]))];
}

static void
mtools_env(void)
{
	/* mtools: no geometry checks on image files, UTF-8 names. */
	setenv("MTOOLS_SKIP_CHECK", "1", 1);
	setenv("LC_ALL", "C.UTF-8", 1);
}

/* Compares host file got with buf. */
static void
check_host_file(const char *path, const void *buf, size_t n, const char *what)
{
	size_t gn;
	void *got = h_readfile(path, &gn);

	ATF_REQUIRE_MSG(got != NULL, "%s: not copied out", what);
	ATF_CHECK_MSG(gn == n && memcmp(got, buf, n) == 0,
	    "%s: %zu bytes read back by mtools, %zu written, or content "
	    "differs", what, gn, n);
	free(got);
}

static void
strata_writes(int fattype, unsigned kib, const char *mkfsopts)
{
	char path[512], *buf;
	size_t i, n;
	int fd;

	require_tools("mkfs.fat", "fsck.fat", "mcopy", "mdir", NULL);
	mtools_env();
	fat_mkfs(IMG, fattype, kib, mkfsopts);
	boot();
	fat_mount(IMG, 0, NULL);

	RL(rump_sys_mkdir(FAT_MNT "/dir", 0755));
	RL(rump_sys_mkdir(FAT_MNT "/dir/Sub Directory", 0755));
	for (i = 0; i < NNAMES; i++) {
		n = name_size(i);
		buf = malloc(n + 1);
		pattern(buf, n, (unsigned)i);
		snprintf(path, sizeof(path), FAT_MNT "/%s", names[i]);
		k_writefile(path, buf, n);
		snprintf(path, sizeof(path), FAT_MNT "/dir/Sub Directory/%s",
		    names[i]);
		k_writefile(path, buf, n);
		free(buf);
	}
	/* Enough entries to grow a directory over several clusters. */
	RL(rump_sys_mkdir(FAT_MNT "/many", 0755));
	for (i = 0; i < 150; i++) {
		snprintf(path, sizeof(path), FAT_MNT "/many/file number %zu", i);
		k_writefile(path, path, strlen(path));
	}
	/* Removals and renames leave holes the next entries reuse. */
	for (i = 0; i < 150; i += 3) {
		snprintf(path, sizeof(path), FAT_MNT "/many/file number %zu", i);
		RL(rump_sys_unlink(path));
	}
	RL(rump_sys_rename(FAT_MNT "/many/file number 1",
	    FAT_MNT "/dir/moved with a long name"));
	RL(rump_sys_rename(FAT_MNT "/dir/Sub Directory", FAT_MNT "/Sub Moved"));
	/* A file extended sparsely: FAT has no holes, zeroes are written. */
	RL(fd = rump_sys_open(FAT_MNT "/sparse", O_RDWR | O_CREAT, 0644));
	RL(rump_sys_pwrite64(fd, "end", 3, 100000));
	RL(rump_sys_ftruncate(fd, 200000));
	RL(rump_sys_close(fd));
	fat_umount();

	fat_fsck_clean(IMG);
	for (i = 0; i < NNAMES; i++) {
		n = name_size(i);
		buf = malloc(n + 1);
		pattern(buf, n, (unsigned)i);
		RUN("rm -f out && mcopy -n -i %s '::/%s' out", IMG, names[i]);
		check_host_file("out", buf, n, names[i]);
		RUN("rm -f out && mcopy -n -i %s '::/Sub Moved/%s' out", IMG,
		    names[i]);
		check_host_file("out", buf, n, names[i]);
		free(buf);
	}
	for (i = 0; i < 150; i++) {
		int st;

		snprintf(path, sizeof(path), FAT_MNT "/many/file number %zu", i);
		st = run("rm -f out && mcopy -n -i %s '::/many/file number "
		    "%zu' out 2>/dev/null", IMG, i);
		if (i % 3 == 0 || i == 1) {
			ATF_CHECK_MSG(st != 0, "%s still there", path);
		} else {
			ATF_CHECK_MSG(st == 0, "%s missing", path);
			if (st == 0)
				check_host_file("out", path, strlen(path), path);
		}
	}
	RUN("rm -f out && mcopy -n -i %s '::/dir/moved with a long name' out",
	    IMG);
	check_host_file("out", FAT_MNT "/many/file number 1",
	    strlen(FAT_MNT "/many/file number 1"), "moved");
	buf = calloc(1, 200000);
	memcpy(buf + 100000, "end", 3);
	RUN("rm -f out && mcopy -n -i %s ::/sparse out", IMG);
	check_host_file("out", buf, 200000, "sparse");
	free(buf);
	/* The short name is what mtools makes of it too. */
	RUN("mdir -i %s ::/ > dir.out", IMG);
	RUN("grep -q '^LOWER    TXT' dir.out || grep -q '^lower    txt' dir.out");
}

ATF_TC(strata_writes_fat12);
ATF_TC_HEAD(strata_writes_fat12, tc)
{
	atf_tc_set_md_var(tc, "descr", "FAT12 filled by strata: fsck.fat "
	    "clean, mtools reads it back byte-exact");
}
ATF_TC_BODY(strata_writes_fat12, tc)
{
	strata_writes(12, 4096, NULL);
}

ATF_TC(strata_writes_fat16);
ATF_TC_HEAD(strata_writes_fat16, tc)
{
	atf_tc_set_md_var(tc, "descr", "FAT16 filled by strata: fsck.fat "
	    "clean, mtools reads it back byte-exact");
}
ATF_TC_BODY(strata_writes_fat16, tc)
{
	strata_writes(16, 20480, "-s 4");
}

ATF_TC(strata_writes_fat32);
ATF_TC_HEAD(strata_writes_fat32, tc)
{
	atf_tc_set_md_var(tc, "descr", "FAT32 filled by strata: fsck.fat "
	    "clean (FSInfo too), mtools reads it back byte-exact");
}
ATF_TC_BODY(strata_writes_fat32, tc)
{
	strata_writes(32, 40960, "-s 1");
}

/* Names found in a kernel directory, joined with '/'. */
static void
k_listdir(const char *dir, char *out, size_t outlen)
{
	char buf[4096];
	long n, off;
	int fd;

	out[0] = '\0';
	RL(fd = rump_sys_open(dir, O_RDONLY | O_DIRECTORY));
	while ((n = RL(rump_sys_getdents64(fd, buf, sizeof(buf)))) > 0) {
		for (off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);

			if (strcmp(d->d_name, ".") != 0 &&
			    strcmp(d->d_name, "..") != 0) {
				strncat(out, d->d_name, outlen - strlen(out) - 1);
				strncat(out, "/", outlen - strlen(out) - 1);
			}
			off += d->d_reclen;
		}
	}
	RL(rump_sys_close(fd));
}

static void
mtools_writes(int fattype, unsigned kib, const char *mkfsopts)
{
	char path[512], list[8192], *buf, *got;
	size_t i, n, gn;

	require_tools("mkfs.fat", "mcopy", "mmd", NULL);
	mtools_env();
	fat_mkfs(IMG, fattype, kib, mkfsopts);
	RUN("mmd -i %s ::/d '::/d/Long Directory Name'", IMG);
	for (i = 0; i < NNAMES; i++) {
		n = name_size(i);
		buf = malloc(n + 1);
		pattern(buf, n, (unsigned)i + 100);
		h_writefile("in", buf, n);
		RUN("mcopy -n -i %s in '::/%s'", IMG, names[i]);
		RUN("mcopy -n -i %s in '::/d/Long Directory Name/%s'", IMG,
		    names[i]);
		free(buf);
	}
	boot();
	fat_mount(IMG, MS_RDONLY, NULL);
	for (i = 0; i < NNAMES; i++) {
		n = name_size(i);
		buf = malloc(n + 1);
		pattern(buf, n, (unsigned)i + 100);
		snprintf(path, sizeof(path), FAT_MNT "/%s", names[i]);
		got = k_readfile(path, &gn);
		ATF_CHECK_MSG(gn == n && memcmp(got, buf, n) == 0,
		    "%s: %zu bytes read, %zu written by mtools", names[i], gn, n);
		free(got);
		snprintf(path, sizeof(path),
		    FAT_MNT "/d/Long Directory Name/%s", names[i]);
		got = k_readfile(path, &gn);
		ATF_CHECK_MSG(gn == n && memcmp(got, buf, n) == 0,
		    "%s: %zu bytes read, %zu written by mtools", path, gn, n);
		free(got);
		free(buf);
	}
	/* readdir gives back every name as it was written. */
	k_listdir(FAT_MNT, list, sizeof(list));
	for (i = 0; i < NNAMES; i++) {
		char want[600];

		snprintf(want, sizeof(want), "%s/", names[i]);
		ATF_CHECK_MSG(strstr(list, want) != NULL,
		    "readdir lacks \"%s\": %s", names[i], list);
	}
	fat_umount();
}

ATF_TC(mtools_writes_fat12);
ATF_TC_HEAD(mtools_writes_fat12, tc)
{
	atf_tc_set_md_var(tc, "descr", "FAT12 filled by mtools reads back "
	    "byte-exact through strata, long names included");
}
ATF_TC_BODY(mtools_writes_fat12, tc)
{
	mtools_writes(12, 4096, NULL);
}

ATF_TC(mtools_writes_fat16);
ATF_TC_HEAD(mtools_writes_fat16, tc)
{
	atf_tc_set_md_var(tc, "descr", "FAT16 filled by mtools reads back "
	    "byte-exact through strata, long names included");
}
ATF_TC_BODY(mtools_writes_fat16, tc)
{
	mtools_writes(16, 20480, "-s 4");
}

ATF_TC(mtools_writes_fat32);
ATF_TC_HEAD(mtools_writes_fat32, tc)
{
	atf_tc_set_md_var(tc, "descr", "FAT32 filled by mtools reads back "
	    "byte-exact through strata, long names included");
}
ATF_TC_BODY(mtools_writes_fat32, tc)
{
	mtools_writes(32, 40960, "-s 1");
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, strata_writes_fat12);
	ATF_TP_ADD_TC(tp, strata_writes_fat16);
	ATF_TP_ADD_TC(tp, strata_writes_fat32);
	ATF_TP_ADD_TC(tp, mtools_writes_fat12);
	ATF_TP_ADD_TC(tp, mtools_writes_fat16);
	ATF_TP_ADD_TC(tp, mtools_writes_fat32);
	return atf_no_error();
}
