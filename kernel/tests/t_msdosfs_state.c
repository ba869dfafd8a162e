/*
 * t_msdosfs_state.c: what FAT keeps outside its files: the volume's
 * dirty flag (set while mounted read-write, cleared by a clean unmount,
 * left alone when it was set at mount), the FSInfo sector and its backup
 * copy, and renames that only change the case of a name.  Needs
 * dosfstools (skipped without); mtools where said.
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

#ifndef MS_RDONLY
#define MS_RDONLY	1
#endif

#define IMG	"fat.img"

static uint8_t
img_byte(off_t off)
{
	uint8_t b;
	int fd;

	RL(fd = open(IMG, O_RDONLY));
	ATF_REQUIRE_EQ(pread(fd, &b, 1, off), 1);
	RL(close(fd));
	return b;
}

static void
img_setbyte(off_t off, uint8_t b)
{
	int fd;

	RL(fd = open(IMG, O_WRONLY));
	ATF_REQUIRE_EQ(pwrite(fd, &b, 1, off), 1);
	RL(close(fd));
}

static void
dirty_case(int fattype, unsigned kib)
{
	off_t off = fattype == 32 ? 0x41 : 0x25;

	require_tools("mkfs.fat", "fsck.fat", NULL);
	fat_mkfs(IMG, fattype, kib, fattype == 32 ? "-s 1" : "-s 2");
	ATF_REQUIRE_EQ(img_byte(off) & 1, 0);
	boot();

	/* Read-only: untouched. */
	fat_mount(IMG, MS_RDONLY, NULL);
	ATF_CHECK_EQ(img_byte(off) & 1, 0);
	fat_umount();

	/* Read-write: dirty on the disk while mounted, clean after. */
	fat_mount(IMG, 0, NULL);
	ATF_CHECK_EQ_MSG(img_byte(off) & 1, 1, "not dirty while mounted");
	k_writefile(FAT_MNT "/f", "data", 4);
	fat_umount();
	ATF_CHECK_EQ_MSG(img_byte(off) & 1, 0, "dirty after unmount");
	fat_fsck_clean(IMG);

	/* Dirty at mount (not unmounted cleanly before): left dirty, for
	 * fsck.fat to see. */
	img_setbyte(off, (uint8_t)(img_byte(off) | 1));
	fat_mount(IMG, 0, NULL);
	fat_umount();
	ATF_CHECK_EQ_MSG(img_byte(off) & 1, 1, "a dirty volume was marked "
	    "clean");
	ATF_CHECK(run("fsck.fat -n %s >fsck.out 2>&1; grep -qi dirty "
	    "fsck.out", IMG) == 0);
}

ATF_TC(dirty_fat16);
ATF_TC_HEAD(dirty_fat16, tc)
{
	atf_tc_set_md_var(tc, "descr", "FAT16: the boot sector's dirty flag "
	    "is set while mounted read-write and cleared by unmount");
}
ATF_TC_BODY(dirty_fat16, tc)
{
	dirty_case(16, 8192);
}

ATF_TC(dirty_fat32);
ATF_TC_HEAD(dirty_fat32, tc)
{
	atf_tc_set_md_var(tc, "descr", "FAT32: the boot sector's dirty flag "
	    "is set while mounted read-write and cleared by unmount");
}
ATF_TC_BODY(dirty_fat32, tc)
{
	dirty_case(32, 40 * 1024);
}

ATF_TC(fsinfo_backup);
ATF_TC_HEAD(fsinfo_backup, tc)
{
	atf_tc_set_md_var(tc, "descr", "FAT32: the FSInfo sector and its "
	    "backup after the backup boot sector both get the free count");
}
ATF_TC_BODY(fsinfo_backup, tc)
{
	char buf[8192];
	uint8_t pri[8], bak[8];
	int fd, i;

	require_tools("mkfs.fat", "fsck.fat", NULL);
	fat_mkfs(IMG, 32, 40 * 1024, "-s 1");
	boot();
	fat_mount(IMG, 0, NULL);
	memset(buf, 'x', sizeof(buf));
	for (i = 0; i < 20; i++) {
		char name[32];

		snprintf(name, sizeof(name), FAT_MNT "/f%d", i);
		k_writefile(name, buf, sizeof(buf));
	}
	fat_umount();
	fat_fsck_clean(IMG);
	/* mkfs.fat: FSInfo at sector 1, backup boot sector at 6. */
	ATF_REQUIRE_EQ(img_byte(48), 1);
	ATF_REQUIRE_EQ(img_byte(50), 6);
	RL(fd = open(IMG, O_RDONLY));
	ATF_REQUIRE_EQ(pread(fd, pri, 8, 512 + 488), 8);
	ATF_REQUIRE_EQ(pread(fd, bak, 8, 7 * 512 + 488), 8);
	RL(close(fd));
	ATF_CHECK_MSG(memcmp(pri, bak, 8) == 0, "backup FSInfo differs: free "
	    "%02x%02x%02x%02x / %02x%02x%02x%02x", pri[3], pri[2], pri[1],
	    pri[0], bak[3], bak[2], bak[1], bak[0]);
}

/* The names in directory path, as the kernel lists them. */
static bool
has_name(const char *dir, const char *name)
{
	char buf[4096];
	ssize_t n, off;
	int fd;
	bool found = false;

	RL(fd = rump_sys_open(dir, O_RDONLY | O_DIRECTORY));
	while ((n = rump_sys_getdents64(fd, buf, sizeof(buf))) > 0) {
		for (off = 0; off < n;) {
			struct { uint64_t ino; int64_t off; unsigned short
			    reclen; unsigned char type; char name[]; } *d =
			    (void *)(buf + off);

			if (strcmp(d->name, name) == 0)
				found = true;
			off += d->reclen;
		}
	}
	RL(rump_sys_close(fd));
	return found;
}

ATF_TC(case_rename);
ATF_TC_HEAD(case_rename, tc)
{
	atf_tc_set_md_var(tc, "descr", "a rename that only changes the case "
	    "of a name (files and non-empty directories) takes the new "
	    "spelling");
}
ATF_TC_BODY(case_rename, tc)
{
	size_t n;
	char *p;

	require_tools("mkfs.fat", "fsck.fat", NULL);
	fat_mkfs(IMG, 16, 8192, "-s 2");
	boot();
	fat_mount(IMG, 0, NULL);
	k_writefile(FAT_MNT "/Foo.txt", "contents", 8);
	RL(rump_sys_rename(FAT_MNT "/Foo.txt", FAT_MNT "/FOO.TXT"));
	ATF_CHECK(has_name(FAT_MNT, "FOO.TXT"));
	ATF_CHECK(!has_name(FAT_MNT, "Foo.txt"));
	RL(rump_sys_rename(FAT_MNT "/foo.txt", FAT_MNT "/a Longer Name.txt"));
	RL(rump_sys_rename(FAT_MNT "/A LONGER NAME.TXT",
	    FAT_MNT "/a longer name.TXT"));
	ATF_CHECK(has_name(FAT_MNT, "a longer name.TXT"));
	ATF_CHECK(!has_name(FAT_MNT, "a Longer Name.txt"));
	p = k_readfile(FAT_MNT "/A LONGER NAME.txt", &n);
	ATF_CHECK(n == 8 && memcmp(p, "contents", 8) == 0);
	free(p);
	/* The same spelling: nothing to do. */
	RL(rump_sys_rename(FAT_MNT "/a longer name.TXT",
	    FAT_MNT "/a longer name.TXT"));
	/* A directory with something in it. */
	RL(rump_sys_mkdir(FAT_MNT "/dir", 0755));
	k_writefile(FAT_MNT "/dir/inner", "x", 1);
	RL(rump_sys_rename(FAT_MNT "/dir", FAT_MNT "/Dir"));
	ATF_CHECK(has_name(FAT_MNT, "Dir"));
	ATF_CHECK(!has_name(FAT_MNT, "dir"));
	p = k_readfile(FAT_MNT "/DIR/inner", &n);
	ATF_CHECK(n == 1 && p[0] == 'x');
	free(p);
	fat_umount();
	fat_fsck_clean(IMG);
	/* After a remount too. */
	fat_mount(IMG, MS_RDONLY, NULL);
	ATF_CHECK(has_name(FAT_MNT, "Dir"));
	ATF_CHECK(has_name(FAT_MNT, "a longer name.TXT"));
	fat_umount();
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, dirty_fat16);
	ATF_TP_ADD_TC(tp, dirty_fat32);
	ATF_TP_ADD_TC(tp, fsinfo_backup);
	ATF_TP_ADD_TC(tp, case_rename);
	return atf_no_error();
}
