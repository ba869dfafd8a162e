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

/*
 * Damaged hash indexes (dir_index): debugfs's zap_block changes bytes
 * of /h's dx_root (block 0 of the directory: dx_root_info at 24, then
 * limit 32, count 34, the first block 36, entries from 40) or of its
 * leaves.  fallback: an index the lookup must refuse, after which it
 * reads the directory linearly and finds every name.
 */
static const struct {
	const char	*zap;
	bool		 fallback;
} crafted_dx[] = {
	{ "-o 32 -l 2 -p 0xff 0", true },	/* limit */
	{ "-o 32 -l 2 -p 0 0", true },		/* limit 0 */
	{ "-o 34 -l 2 -p 0 0", true },		/* count 0 */
	{ "-o 35 -l 1 -p 0x7f 0", true },	/* count > limit */
	{ "-o 30 -l 1 -p 1 0", true },		/* a level that is not there */
	{ "-o 30 -l 1 -p 2 0", true },		/* 3 levels, no largedir */
	{ "-o 30 -l 1 -p 0xff 0", true },	/* 256 levels */
	{ "-o 28 -l 1 -p 9 0", true },		/* unknown hash */
	{ "-o 28 -l 1 -p 6 0", true },		/* siphash: casefold only */
	{ "-o 29 -l 1 -p 0 0", true },		/* info_length */
	{ "-o 24 -l 1 -p 1 0", true },		/* reserved_zero */
	{ "-o 31 -l 1 -p 1 0", true },		/* unused_flags */
	{ "-o 36 -l 4 -p 0x7f 0", true },	/* block past the directory */
	{ "-o 36 -l 4 -p 0 0", true },		/* block 0: the root */
	{ "-o 44 -l 4 -p 0x40 0", true },	/* entry 1 past the end */
	{ "-o 40 -l 64 -p 0xff 0", false },	/* hashes out of order */
	{ "-o 40 -l 64 -p 0x01 0", false },	/* collision bits everywhere */
	{ "-o 44 -l 64 -p 0x00 0", false },	/* every leaf block 0 */
	{ "-o 16 -l 2 -p 0x10 0", false },	/* ".." rec_len */
	{ "-o 0 -l 1024 -p 0xff 1", false },	/* a leaf of 0xff */
	{ "-o 0 -l 8 -p 0 1", false },		/* a leaf's first record */
};

#define DX_NAMES	100

ATF_TC(crafted_htree);
ATF_TC_HEAD(crafted_htree, tc)
{
	atf_tc_set_md_var(tc, "descr", "Damaged hash indexes (bad limits "
	    "and counts, too many levels, unknown hashes, block numbers "
	    "past the directory or at its root, leaves of garbage): "
	    "lookups fall back to reading the directory linearly or fail "
	    "with an error, never a crash, a hang or an out-of-bounds "
	    "access; writes work or fail cleanly");
	atf_tc_set_md_var(tc, "timeout", "600");
}
ATF_TC_BODY(crafted_htree, tc)
{
	char path[300];
	size_t i;
	FILE *f;
	int j, found, fd;

	make_base();
	ATF_REQUIRE((f = fopen("hscript", "w")) != NULL);
	fprintf(f, "mkdir /h\n");
	for (j = 0; j < DX_NAMES; j++)
		fprintf(f, "write script /h/an-indexed-name-%d\n", j);
	fclose(f);
	ATF_REQUIRE_EQ(sh("debugfs -w -f hscript " BASE " >dbg.out 2>&1"),
	    0);
	(void)sh("e2fsck -fyD " BASE " >/dev/null 2>&1");
	ATF_REQUIRE_EQ_MSG(sh("debugfs -R 'htree /h' " BASE " 2>/dev/null | "
	    "grep -q 'Indirect levels: 0'"), 0, "e2fsck -D made no index");
	start();
	for (i = 0; i < __arraycount(crafted_dx); i++) {
		fprintf(stderr, "crafted index: zap_block -f /h %s\n",
		    crafted_dx[i].zap);
		ATF_REQUIRE_EQ(sh("cp " BASE " " IMG " && debugfs -w -R "
		    "'zap_block -f /h %s' " IMG " >dbg.out 2>&1",
		    crafted_dx[i].zap), 0);
		RL(rump_sys_mount(EXT2_KEY, EXT2_MNT, "ext2", 1, NULL));
		found = 0;
		for (j = 0; j < DX_NAMES; j++) {
			snprintf(path, sizeof(path),
			    EXT2_MNT "/h/an-indexed-name-%d", j);
			if (rump_sys_access(path, 0) == 0)
				found++;
		}
		(void)rump_sys_access(EXT2_MNT "/h/missing", 0);
		walked = 0;
		walk(EXT2_MNT "/h", 0);
		if (crafted_dx[i].fallback)
			ATF_CHECK_EQ_MSG(found, DX_NAMES, "%s: %d names of %d "
			    "found", crafted_dx[i].zap, found, DX_NAMES);
		RL(rump_sys_umount2(EXT2_MNT, 0));
		/* Read-write: new names, removals. */
		RL(rump_sys_mount(EXT2_KEY, EXT2_MNT, "ext2", 0, NULL));
		for (j = 0; j < 40; j++) {
			snprintf(path, sizeof(path), EXT2_MNT "/h/new-%d", j);
			fd = rump_sys_open(path, O_WRONLY | O_CREAT, 0644);
			if (fd != -1)
				rump_sys_close(fd);
			snprintf(path, sizeof(path),
			    EXT2_MNT "/h/an-indexed-name-%d", j * 7);
			(void)rump_sys_unlink(path);
		}
		(void)rump_sys_sync();
		RL(rump_sys_umount2(EXT2_MNT, 0));
		try_image();
	}
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, bitflips);
	ATF_TP_ADD_TC(tp, truncated);
	ATF_TP_ADD_TC(tp, crafted);
	ATF_TP_ADD_TC(tp, crafted_htree);
	return atf_no_error();
}
