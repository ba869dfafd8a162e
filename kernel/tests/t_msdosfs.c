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


ATF_TC(options_attrs);
ATF_TC_HEAD(options_attrs, tc)
{
	atf_tc_set_md_var(tc, "descr", "uid=, gid=, umask=, dmask=, fmask=, "
	    "quiet, ro; chmod and chown as Linux vfat allows them; what FAT "
	    "refuses (links, symlinks, special files)");
}
ATF_TC_BODY(options_attrs, tc)
{
	struct stat st;
	struct statfs sf;
	int fd;

	require_tools("mkfs.fat", NULL);
	fat_mkfs(IMG, 16, 16384, "-s 2");
	boot();
	fat_mount(IMG, 0, "uid=1234,gid=567,dmask=022,fmask=133");
	RL(rump_sys_mkdir(FAT_MNT "/d", 0777));
	k_writefile(FAT_MNT "/f", "x", 1);
	RL(rump_sys_stat(FAT_MNT "/d", &st));
	ATF_CHECK_EQ(S_IFDIR | 0755, st.st_mode);
	ATF_CHECK_EQ(1234, st.st_uid);
	ATF_CHECK_EQ(567, st.st_gid);
	ATF_CHECK_EQ(2, st.st_nlink);
	RL(rump_sys_stat(FAT_MNT "/f", &st));
	ATF_CHECK_EQ(S_IFREG | 0644, st.st_mode);
	ATF_CHECK_EQ(1, st.st_nlink);
	RL(rump_sys_stat(FAT_MNT, &st));
	ATF_CHECK_EQ(3, st.st_nlink);		/* "/d" */
	ATF_CHECK_EQ(1, st.st_ino);

	/* Write permission off and on is the read-only attribute; anything
	 * else cannot be stored. */
	RL(rump_sys_chmod(FAT_MNT "/f", 0444));
	RL(rump_sys_stat(FAT_MNT "/f", &st));
	ATF_CHECK_EQ(S_IFREG | 0444, st.st_mode);
	RL(rump_sys_chmod(FAT_MNT "/f", 0644));
	/* As Linux: bits the mask takes away are dropped, not refused. */
	RL(rump_sys_chmod(FAT_MNT "/f", 0755));
	RL(rump_sys_stat(FAT_MNT "/f", &st));
	ATF_CHECK_EQ(S_IFREG | 0644, st.st_mode);
	ERR(EPERM, rump_sys_chmod(FAT_MNT "/f", 0600));
	ERR(EPERM, rump_sys_chmod(FAT_MNT "/f", 04644));
	ERR(EPERM, rump_sys_chown(FAT_MNT "/f", 1, 1));
	RL(rump_sys_chown(FAT_MNT "/f", 1234, 567));
	ERR(EPERM, rump_sys_link(FAT_MNT "/f", FAT_MNT "/g"));
	ERR(EPERM, rump_sys_symlink("f", FAT_MNT "/s"));

	/* Names are case-insensitive and case-preserving. */
	RL(fd = rump_sys_open(FAT_MNT "/F", O_RDONLY));
	RL(rump_sys_close(fd));
	ERR(EEXIST, rump_sys_open(FAT_MNT "/F", O_RDWR | O_CREAT | O_EXCL,
	    0644));
	ERR(EINVAL, rump_sys_open(FAT_MNT "/a:b", O_RDWR | O_CREAT, 0644));
	ERR(EINVAL, rump_sys_mkdir(FAT_MNT "/d/x?", 0755));

	RL(rump_sys_statfs(FAT_MNT, &sf));
	ATF_CHECK_EQ(0x4d44, sf.f_type);
	ATF_CHECK(sf.f_bfree > 0 && sf.f_bfree < sf.f_blocks);
	fat_umount();

	/* quiet: what cannot be stored is silently dropped. */
	fat_mount(IMG, 0, "quiet,umask=077");
	RL(rump_sys_stat(FAT_MNT "/d", &st));
	ATF_CHECK_EQ(S_IFDIR | 0700, st.st_mode);
	RL(rump_sys_chown(FAT_MNT "/f", 1, 1));
	RL(rump_sys_chmod(FAT_MNT "/f", 0400));
	RL(rump_sys_stat(FAT_MNT "/f", &st));
	ATF_CHECK_EQ_MSG(S_IFREG | 0700, st.st_mode, "mode %o", st.st_mode);
	fat_umount();

	/* ro, as an option and as a mount flag. */
	fat_mount(IMG, 0, "ro");
	ERR(EROFS, rump_sys_open(FAT_MNT "/n", O_RDWR | O_CREAT, 0644));
	ERR(EROFS, rump_sys_mkdir(FAT_MNT "/n", 0755));
	ERR(EROFS, rump_sys_unlink(FAT_MNT "/f"));
	fat_umount();
	fat_mount(IMG, MS_RDONLY, NULL);
	ERR(EROFS, rump_sys_open(FAT_MNT "/f", O_RDWR));
	fat_umount();
	ERR(EINVAL, rump_sys_mount(FAT_KEY, FAT_MNT, "vfat", 0, "bogus=1"));
	ERR(EINVAL, rump_sys_mount(FAT_KEY, FAT_MNT, "vfat", 0, "umask=999"));
}

ATF_TC(times);
ATF_TC_HEAD(times, tc)
{
	atf_tc_set_md_var(tc, "descr", "modification times (2 s), access "
	    "dates, set with utimensat and kept across remounts; mtools "
	    "sees the same time");
}
ATF_TC_BODY(times, tc)
{
	struct timespec ts[2];
	struct stat st;
	time_t now = time(NULL);

	require_tools("mkfs.fat", "mdir", NULL);
	mtools_env();
	setenv("TZ", "UTC", 1);
	fat_mkfs(IMG, 12, 2048, NULL);
	boot();
	fat_mount(IMG, 0, NULL);
	k_writefile(FAT_MNT "/f", "x", 1);
	RL(rump_sys_stat(FAT_MNT "/f", &st));
	ATF_CHECK_MSG(st.st_mtime >= now - 3 && st.st_mtime <= now + 3,
	    "mtime %lld, now %lld", (long long)st.st_mtime, (long long)now);
	ATF_CHECK_EQ(0, st.st_mtime % 2);
	ATF_CHECK_EQ(0, st.st_atime % 86400);	/* a date only */
	ts[0].tv_sec = 1000000000;		/* 2001-09-09 01:46:40 UTC */
	ts[0].tv_nsec = 0;
	ts[1].tv_sec = 1234567891;		/* 2009-02-13 23:31:31 UTC */
	ts[1].tv_nsec = 0;
	RL(rump_sys_utimensat(AT_FDCWD, FAT_MNT "/f", ts, 0));
	fat_umount();
	fat_mount(IMG, 0, NULL);
	RL(rump_sys_stat(FAT_MNT "/f", &st));
	ATF_CHECK_EQ(1234567890, st.st_mtime);	/* 2-second units */
	ATF_CHECK_EQ(999993600, st.st_atime);	/* 2001-09-09 */
	fat_umount();
	RUN("mdir -i %s ::/F | grep -q '2009-02-13  23:31'", IMG);
}

ATF_TC(unlinked_open);
ATF_TC_HEAD(unlinked_open, tc)
{
	atf_tc_set_md_var(tc, "descr", "a removed file stays readable while "
	    "open; its clusters are freed at the last close; a removed "
	    "directory is empty and refuses new entries");
}
ATF_TC_BODY(unlinked_open, tc)
{
	struct statfs sf0, sf1, sf2;
	char buf[65536], got[65536];
	struct stat st;
	int fd;

	require_tools("mkfs.fat", "fsck.fat", NULL);
	fat_mkfs(IMG, 32, 40960, "-s 1");
	boot();
	fat_mount(IMG, 0, NULL);
	RL(rump_sys_statfs(FAT_MNT, &sf0));
	pattern(buf, sizeof(buf), 7);
	k_writefile(FAT_MNT "/f", buf, sizeof(buf));
	RL(rump_sys_statfs(FAT_MNT, &sf1));
	ATF_CHECK_EQ(sf0.f_bfree - sizeof(buf) / 512, sf1.f_bfree);
	RL(fd = rump_sys_open(FAT_MNT "/f", O_RDONLY));
	RL(rump_sys_unlink(FAT_MNT "/f"));
	ERR(ENOENT, rump_sys_stat(FAT_MNT "/f", &st));
	RL(rump_sys_fstat(fd, &st));
	ATF_CHECK_EQ(0, st.st_nlink);
	ATF_CHECK_EQ((ssize_t)sizeof(got), rump_sys_read(fd, got, sizeof(got)));
	ATF_CHECK(memcmp(buf, got, sizeof(buf)) == 0);
	RL(rump_sys_statfs(FAT_MNT, &sf2));
	ATF_CHECK_EQ(sf1.f_bfree, sf2.f_bfree);
	RL(rump_sys_close(fd));
	RL(rump_sys_statfs(FAT_MNT, &sf2));
	ATF_CHECK_EQ(sf0.f_bfree, sf2.f_bfree);

	RL(rump_sys_mkdir(FAT_MNT "/d", 0755));
	RL(rump_sys_mkdir(FAT_MNT "/d/e", 0755));
	ERR(ENOTEMPTY, rump_sys_rmdir(FAT_MNT "/d"));
	ERR(EINVAL, rump_sys_rename(FAT_MNT "/d", FAT_MNT "/d/e/f"));
	RL(rump_sys_chdir(FAT_MNT "/d/e"));
	RL(rump_sys_rmdir(FAT_MNT "/d/e"));
	ERR(ENOENT, rump_sys_open("x", O_RDWR | O_CREAT, 0644));
	/* As Linux: ".." of the removed directory is where it was. */
	{
		struct stat d, dd;

		RL(rump_sys_stat(FAT_MNT "/d", &d));
		RL(rump_sys_stat("..", &dd));
		ATF_CHECK_EQ(d.st_ino, dd.st_ino);
	}
	RL(rump_sys_chdir("/"));
	/* FAT has no preallocation here: EOPNOTSUPP, as without
	 * FALLOC_FL_KEEP_SIZE on Linux. */
	RL(fd = rump_sys_open(FAT_MNT "/d/g", O_RDWR | O_CREAT, 0644));
	ERR(EOPNOTSUPP, rump_sys_fallocate(fd, 0, 0, 4096));
	RL(rump_sys_close(fd));
	fat_umount();
	fat_fsck_clean(IMG);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, options_attrs);
	ATF_TP_ADD_TC(tp, times);
	ATF_TP_ADD_TC(tp, unlinked_open);
	ATF_TP_ADD_TC(tp, strata_writes_fat12);
	ATF_TP_ADD_TC(tp, strata_writes_fat16);
	ATF_TP_ADD_TC(tp, strata_writes_fat32);
	ATF_TP_ADD_TC(tp, mtools_writes_fat12);
	ATF_TP_ADD_TC(tp, mtools_writes_fat16);
	ATF_TP_ADD_TC(tp, mtools_writes_fat32);
	return atf_no_error();
}
