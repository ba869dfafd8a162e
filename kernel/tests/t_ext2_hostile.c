/*
 * t_ext2_hostile.c: damaged and crafted ext2 images give errors, never a
 * crash, a hang or an out-of-bounds access (run under ASan with
 * `make check SANITIZE=address`): random bit flips in the metadata,
 * truncated images, bad superblock and group descriptor fields,
 * directory loops, block numbers past the end, bad inodes.  Each image
 * is mounted read-only and read-write, walked (directories, files,
 * symlinks) and, when writable, changed.
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

#define BASE	"base.img"
#define IMG	"bad.img"

static int walked;

/* Walks a tree with bounded depth and entries; errors are expected. */
static void
walk(const char *dir, int depth)
{
	/* File contents go to data, never to buf: buf still holds the
	 * directory records being walked. */
	char buf[4096], data[4096], path[512], lbuf[256];
	struct stat st;
	ssize_t r, n;
	int fd, f;

	if (depth > 6 || walked > 3000)
		return;
	fd = rump_sys_open(dir, O_RDONLY | O_DIRECTORY);
	if (fd == -1)
		return;
	while ((r = rump_sys_getdents64(fd, buf, sizeof(buf))) > 0) {
		for (n = 0; n < r; ) {
			struct {
				uint64_t ino;
				int64_t off;
				unsigned short reclen;
				unsigned char type;
				char name[];
			} *de = (void *)(buf + n);
			n += de->reclen;
			if (strcmp(de->name, ".") == 0 ||
			    strcmp(de->name, "..") == 0 || ++walked > 3000)
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, de->name);
			if (rump_sys_lstat(path, &st) == -1)
				continue;
			if (S_ISDIR(st.st_mode)) {
				walk(path, depth + 1);
			} else if (S_ISLNK(st.st_mode)) {
				(void)rump_sys_readlink(path, lbuf,
				    sizeof(lbuf));
			} else if (S_ISREG(st.st_mode)) {
				f = rump_sys_open(path, O_RDONLY);
				if (f == -1)
					continue;
				for (int k = 0; k < 64; k++)
					if (rump_sys_read(f, data, sizeof(data))
					    <= 0)
						break;
				(void)rump_sys_pread64(f, lbuf, sizeof(lbuf),
				    (int64_t)1 << 33);
				rump_sys_close(f);
			}
		}
	}
	rump_sys_close(fd);
}

/* Changes the tree; every call may fail. */
static void
scribble(void)
{
	char buf[5000];
	int fd;

	memset(buf, 'z', sizeof(buf));
	fd = rump_sys_open(EXT2_MNT "/new", O_RDWR | O_CREAT, 0644);
	if (fd != -1) {
		(void)rump_sys_write(fd, buf, sizeof(buf));
		(void)rump_sys_pwrite64(fd, buf, 100, 300000);
		(void)rump_sys_ftruncate(fd, 1000);
		rump_sys_close(fd);
	}
	(void)rump_sys_mkdir(EXT2_MNT "/newdir", 0755);
	(void)rump_sys_rename(EXT2_MNT "/new", EXT2_MNT "/d/new");
	(void)rump_sys_rename(EXT2_MNT "/d/sub", EXT2_MNT "/newdir/sub");
	(void)rump_sys_rename(EXT2_MNT "/newdir", EXT2_MNT "/d/sub/x");
	(void)rump_sys_unlink(EXT2_MNT "/f1");
	(void)rump_sys_unlink(EXT2_MNT "/d/f2");
	(void)rump_sys_rmdir(EXT2_MNT "/d/e");
	(void)rump_sys_symlink("target", EXT2_MNT "/d/sl2");
	(void)rump_sys_link(EXT2_MNT "/big", EXT2_MNT "/big2");
	(void)rump_sys_truncate(EXT2_MNT "/big", 10);
}

/* Mounts IMG read-only and read-write, walks, scribbles; anything but a
 * crash or hang is acceptable. */
static void
try_image(void)
{
	int ro;

	for (ro = 1; ro >= 0; ro--) {
		walked = 0;
		if (rump_sys_mount(EXT2_KEY, EXT2_MNT, "ext2", ro ? 1 : 0,
		    NULL) == -1)
			continue;
		walk(EXT2_MNT, 0);
		if (!ro)
			scribble();
		(void)rump_sys_sync();
		ATF_REQUIRE_MSG(rump_sys_umount2(EXT2_MNT, 0) == 0,
		    "umount: %s", strerror(errno));
	}
}

static void
make_base(void)
{
	FILE *f;
	char *buf;
	int fd;

	mkfs(BASE, "-t ext2 -b 1024 -N 128", "2M");
	buf = malloc(300000);
	pattern(buf, 300000, 1);
	RL(fd = open("h.bin", O_WRONLY | O_CREAT | O_TRUNC, 0644));
	ATF_REQUIRE_EQ(write(fd, buf, 300000), 300000);
	close(fd);
	free(buf);
	ATF_REQUIRE((f = fopen("script", "w")) != NULL);
	fprintf(f, "mkdir /d\nmkdir /d/sub\nmkdir /d/e\n"
	    "write h.bin /big\nwrite script /f1\nwrite script /d/f2\n"
	    "symlink /d/sl /big\nsymlink /d/slow /%0100d\n", 0);
	fclose(f);
	ATF_REQUIRE_EQ(sh("debugfs -w -f script " BASE " >dbg.out 2>&1"), 0);
}

static void
start(void)
{
	ATF_REQUIRE_EQ(sh("cp " BASE " " IMG), 0);
	boot();
	RL(rump_sys_mkdir(EXT2_MNT, 0755));
	ATF_REQUIRE_EQ(rump_etfs_register(EXT2_KEY, IMG, RUMP_ETFS_BLK), 0);
}

ATF_TC(bitflips);
ATF_TC_HEAD(bitflips, tc)
{
	atf_tc_set_md_var(tc, "descr", "Images with random bit flips in "
	    "the superblock, descriptors, bitmaps, inodes and directories "
	    "mount or fail cleanly, and survive a walk and changes");
	atf_tc_set_md_var(tc, "timeout", "600");
}
ATF_TC_BODY(bitflips, tc)
{
	unsigned char *img;
	int fd, round, i;
	uint32_t x = 12345;
	size_t len = 2 << 20, area;

	make_base();
	img = malloc(len);
	RL(fd = open(BASE, O_RDONLY));
	ATF_REQUIRE_EQ(read(fd, img, len), (ssize_t)len);
	close(fd);
	start();
	for (round = 0; round < 120; round++) {
		unsigned char *copy = malloc(len);

		memcpy(copy, img, len);
		/* Metadata lives in the first blocks: flip mostly there. */
		area = round % 3 == 0 ? len : 80 * 1024;
		for (i = 0; i < 1 + round % 24; i++) {
			x = x * 1103515245u + 12345u;
			size_t off = (x >> 4) % area;
			if (round % 4 != 0 && off < 1024)
				off += 1024;	/* spare the boot block */
			copy[off] ^= (unsigned char)(1u << ((x >> 1) & 7));
		}
		RL(fd = open(IMG, O_WRONLY | O_CREAT | O_TRUNC, 0644));
		ATF_REQUIRE_EQ(write(fd, copy, len), (ssize_t)len);
		close(fd);
		free(copy);
		try_image();
	}
	free(img);
}

ATF_TC(truncated);
ATF_TC_HEAD(truncated, tc)
{
	atf_tc_set_md_var(tc, "descr", "Truncated images are refused (the "
	    "block count exceeds the device) or fail with EIO");
}
ATF_TC_BODY(truncated, tc)
{
	static const off_t sizes[] = { 0, 512, 1536, 2048, 4096, 65536,
	    1 << 20, (2 << 20) - 1024 };
	size_t i;

	make_base();
	start();
	for (i = 0; i < __arraycount(sizes); i++) {
		ATF_REQUIRE_EQ(sh("cp " BASE " " IMG " && truncate -s %jd "
		    IMG, (intmax_t)sizes[i]), 0);
		/* The device size is fixed at registration. */
		ATF_REQUIRE_EQ(rump_etfs_remove(EXT2_KEY), 0);
		ATF_REQUIRE_EQ(rump_etfs_register(EXT2_KEY, IMG,
		    RUMP_ETFS_BLK), 0);
		ERR(EINVAL, rump_sys_mount(EXT2_KEY, EXT2_MNT, "ext2", 1,
		    NULL));
	}
}

/* debugfs commands that each damage one thing. */
static const char *const crafted[] = {
	"ssv magic 0x1234",
	"ssv log_block_size 7",
	"ssv inodes_count 0",
	"ssv inodes_count 4294967295",
	"ssv blocks_count 4294967295",
	"ssv blocks_count 0",
	"ssv blocks_per_group 0",
	"ssv blocks_per_group 3",
	"ssv inodes_per_group 0",
	"ssv inodes_per_group 4294967295",
	"ssv first_data_block 900",
	"ssv first_ino 0",
	"ssv first_ino 4000000",
	"ssv inode_size 3",
	"ssv inode_size 65535",
	"ssv rev_level 7",
	"ssv free_blocks_count 4000000000",
	"ssv free_inodes_count 4000000000",
	"set_bg 0 block_bitmap 0",
	"set_bg 0 inode_bitmap 4000000",
	"set_bg 0 inode_table 2047",
	"set_bg 0 free_blocks_count 65535",
	"set_bg 0 free_inodes_count 65535",
	"sif / mode 0100644",
	"sif / links_count 0",
	"sif / size 0",
	"sif / block[0] 0",
	"sif / block[0] 99999999",
	"sif /d block[0] 3",
	"sif /d size 4294966272",
	"sif /big block[IND] 99999999",
	"sif /big block[0] 99999999",
	"sif /big block[DIND] 1",
	"sif /big block[TIND] 5",
	"sif /big size 0xffffffffffff",
	"sif /big mode 0",
	"sif /big links_count 0",
	"sif /d/sl size 200",
	"sif /d/slow size 5000",
	"sif /d/slow block[0] 99999999",
	"sif /big flags 0x80000",
	"sif /d flags 0x80000",
	"sif /big flags 0x10000000",
	"sif /d/sub block[0] 0",
	/* Directory loops: a directory linked below itself, and two
	 * directories that are each other's "..". */
	"link /d /d/sub/loop",
	"unlink /d/..\nlink /d/sub /d/..",
	"unlink /d/sub/..\nlink /d/sub /d/sub/..",
};

ATF_TC(crafted);
ATF_TC_HEAD(crafted, tc)
{
	atf_tc_set_md_var(tc, "descr", "Crafted superblocks, descriptors, "
	    "inodes and directories (loops, block numbers past the end, "
	    "huge sizes, bad counts) give errors, never a crash or hang");
	atf_tc_set_md_var(tc, "timeout", "600");
}
ATF_TC_BODY(crafted, tc)
{
	char dir[600];
	size_t i;
	FILE *f;

	make_base();
	start();
	for (i = 0; i < __arraycount(crafted); i++) {
		ATF_REQUIRE((f = fopen("cscript", "w")) != NULL);
		fprintf(f, "%s\n", crafted[i]);
		fclose(f);
		ATF_REQUIRE_EQ(sh("cp " BASE " " IMG " && debugfs -w -f "
		    "cscript " IMG " >dbg.out 2>&1"), 0);
		fprintf(stderr, "crafted: %s\n", crafted[i]);
		try_image();
		/* Walking up from a looped directory must end. */
		if (rump_sys_mount(EXT2_KEY, EXT2_MNT, "ext2", 0, NULL) == 0) {
			if (rump_sys_chdir(EXT2_MNT "/d/sub") == 0) {
				(void)rump_sys_getcwd(dir, sizeof(dir));
				/* The VFS walks up from the target to see
				 * that e is not an ancestor. */
				(void)rump_sys_rename(EXT2_MNT "/d/e", "zz");
				RL(rump_sys_chdir("/"));
			}
			RL(rump_sys_umount2(EXT2_MNT, 0));
		}
	}
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, bitflips);
	ATF_TP_ADD_TC(tp, truncated);
	ATF_TP_ADD_TC(tp, crafted);
	return atf_no_error();
}
