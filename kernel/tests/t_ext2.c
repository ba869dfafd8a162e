/*
 * t_ext2.c: ext2 interoperability with e2fsprogs, both directions.
 *
 *  - images made by mke2fs (1, 2 and 4 KiB blocks, revision 0 and 1)
 *    and filled by strata pass `e2fsck -fn` and read back byte-exact
 *    with `debugfs -R dump`;
 *  - images filled by debugfs read back byte-exact through strata;
 *  - files past 4 GiB, sparse files, links, attributes;
 *  - special files: device nodes (the numbers debugfs sees) and FIFOs;
 *  - ext3/ext4 images: read-only where the features allow, a clear
 *    refusal otherwise.
 * Skipped with a reason when e2fsprogs is missing.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

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

ATF_TC(debugfs_fill);
ATF_TC_HEAD(debugfs_fill, tc)
{
	atf_tc_set_md_var(tc, "descr", "An image filled by debugfs (write, "
	    "mkdir, symlink) reads back byte-exact through strata");
}
ATF_TC_BODY(debugfs_fill, tc)
{
	static const size_t sizes[] = { 0, 1, 1023, 1024, 1025, 65536,
	    300000, 5 << 20 };
	char name[64], *want, *got, buf[512];
	size_t i, wlen, glen;
	FILE *f;
	int fd;

	mkfs(IMG, "-t ext2 -b 1024", "32M");
	ATF_REQUIRE((f = fopen("script", "w")) != NULL);
	fprintf(f, "mkdir /dir\nmkdir /dir/sub\n");
	for (i = 0; i < __arraycount(sizes); i++) {
		snprintf(name, sizeof(name), "host%zu", i);
		want = malloc(sizes[i] + 1);
		pattern(want, sizes[i], (unsigned)i + 7);
		RL(fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644));
		ATF_REQUIRE_EQ(write(fd, want, sizes[i]), (ssize_t)sizes[i]);
		close(fd);
		free(want);
		fprintf(f, "write %s /dir/sub/f%zu\n", name, i);
	}
	fprintf(f, "symlink /fast dir/sub/f1\n");
	fprintf(f, "symlink /slow /%0150d\n", 0);
	fclose(f);
	ATF_REQUIRE_EQ(sh("debugfs -w -f script " IMG " >dbg.out 2>&1"), 0);
	fsck_clean(IMG);

	boot();
	mount_ext2(IMG, true);
	for (i = 0; i < __arraycount(sizes); i++) {
		snprintf(name, sizeof(name), "host%zu", i);
		want = host_slurp(name, &wlen);
		snprintf(name, sizeof(name), EXT2_MNT "/dir/sub/f%zu", i);
		got = rump_slurp(name, &glen);
		ATF_CHECK_EQ_MSG(glen, wlen, "%s: %zu bytes, want %zu", name,
		    glen, wlen);
		ATF_CHECK_MSG(glen != wlen || memcmp(want, got, wlen) == 0,
		    "%s differs", name);
		free(want);
		free(got);
	}
	memset(buf, 0, sizeof(buf));
	ATF_CHECK_EQ(rump_sys_readlink(EXT2_MNT "/fast", buf, sizeof(buf)),
	    10);
	ATF_CHECK_STREQ(buf, "dir/sub/f1");
	ATF_CHECK_EQ(rump_sys_readlink(EXT2_MNT "/slow", buf, sizeof(buf)),
	    151);
	got = rump_slurp(EXT2_MNT "/fast", &glen);
	ATF_CHECK_EQ(glen, 1);
	free(got);
	umount_ext2();
}

ATF_TC(large_file);
ATF_TC_HEAD(large_file, tc)
{
	atf_tc_set_md_var(tc, "descr", "A sparse file past 4 GiB (triple "
	    "indirect blocks at 1 KiB) is written, read back, truncated; "
	    "e2fsck -fn clean, debugfs sees its size");
}
ATF_TC_BODY(large_file, tc)
{
	static const int64_t offs[] = { 0, ((int64_t)4 << 30) - 3,
	    ((int64_t)5 << 30) + 12345, ((int64_t)16 << 30) - 100000 };
	char want[64], got[64];
	struct stat st;
	size_t i;
	int fd;

	mkfs(IMG, "-t ext2 -b 1024", "32M");
	boot();
	mount_ext2(IMG, false);
	RL(fd = rump_sys_open(EXT2_MNT "/big", O_RDWR | O_CREAT, 0600));
	for (i = 0; i < __arraycount(offs); i++) {
		pattern(want, sizeof(want), (unsigned)i);
		ATF_REQUIRE_EQ(rump_sys_pwrite64(fd, want, sizeof(want),
		    offs[i]), (ssize_t)sizeof(want));
	}
	RL(rump_sys_fsync(fd));
	RL(rump_sys_close(fd));
	umount_ext2();
	fsck_clean(IMG);
	ATF_CHECK_EQ(sh("debugfs -R 'stat /big' " IMG " 2>/dev/null | "
	    "grep -q 'Size: %jd'", (intmax_t)(offs[3] + 64)), 0);

	mount_ext2(IMG, false);
	RL(fd = rump_sys_open(EXT2_MNT "/big", O_RDWR));
	for (i = 0; i < __arraycount(offs); i++) {
		pattern(want, sizeof(want), (unsigned)i);
		ATF_REQUIRE_EQ(rump_sys_pread64(fd, got, sizeof(got),
		    offs[i]), (ssize_t)sizeof(got));
		ATF_CHECK_MSG(memcmp(want, got, sizeof(got)) == 0,
		    "data at %jd", (intmax_t)offs[i]);
	}
	/* A hole reads as zeros. */
	ATF_REQUIRE_EQ(rump_sys_pread64(fd, got, sizeof(got),
	    (int64_t)3 << 30), (ssize_t)sizeof(got));
	memset(want, 0, sizeof(want));
	ATF_CHECK(memcmp(want, got, sizeof(got)) == 0);
	RL(rump_sys_ftruncate(fd, offs[2] + 10));
	RL(rump_sys_fstat(fd, &st));
	ATF_CHECK_EQ(st.st_size, offs[2] + 10);
	RL(rump_sys_close(fd));
	umount_ext2();
	fsck_clean(IMG);
}

static unsigned long long debugfs_num(const char *, const char *);

/* debugfs's "Device major/minor number" line of path is want. */
static void
debugfs_devno(const char *path, const char *want)
{
	int st = sh("debugfs -R 'stat %s' " IMG " 2>/dev/null | "
	    "grep -q 'Device major/minor number: %s '", path, want);

	if (st != 0)
		(void)sh("debugfs -R 'stat %s' " IMG " 2>/dev/null | "
		    "grep -i -e type -e device >&2", path);
	ATF_CHECK_EQ_MSG(st, 0, "debugfs stat %s: not device %s", path, want);
}

#define FIFO_BYTES	100000	/* more than a pipe holds: the writer waits */

/* Opens the FIFO for writing (waiting for the reader) and writes
 * FIFO_BYTES of pattern 5; an errno value or 0 in *arg. */
static void *
fifo_writer(void *arg)
{
	char *buf = malloc(FIFO_BYTES);
	ssize_t n, done = 0;
	int fd, *errorp = arg, error = 0;

	if (buf == NULL) {
		*errorp = ENOMEM;
		return NULL;
	}
	pattern(buf, FIFO_BYTES, 5);
	fd = rump_sys_open(EXT2_MNT "/fifo", O_WRONLY);
	if (fd == -1) {
		*errorp = rt_errno();
		free(buf);
		return NULL;
	}
	while (done < FIFO_BYTES) {
		n = rump_sys_write(fd, buf + done, FIFO_BYTES - (size_t)done);
		if (n <= 0) {
			error = n == 0 ? EIO : rt_errno();
			break;
		}
		done += n;
	}
	rump_sys_close(fd);
	free(buf);
	*errorp = error;
	return NULL;
}

ATF_TC(special_files);
ATF_TC_HEAD(special_files, tc)
{
	atf_tc_set_md_var(tc, "descr", "mknod on ext2: character and block "
	    "device nodes keep type and numbers (old and new encodings, as "
	    "debugfs reads them after unmount), open with ENXIO for a device "
	    "the kernel lacks and reach the kernel's null device for 1:3; a "
	    "FIFO carries data from a writer to a reader, before and after a "
	    "remount (blocking opens, 100,000 bytes through a writer "
	    "thread); removing a node frees no block; e2fsck -fn clean");
}
ATF_TC_BODY(special_files, tc)
{
	char buf[64], *want, *got;
	struct stat st;
	ssize_t n, done = 0;
	void *cookie;
	unsigned bb;
	int r, w, werror = -1;

	mkfs(IMG, "-t ext2 -b 1024", "2M");
	boot();
	RL(rump_sys_umask(0));
	mount_ext2(IMG, false);
	RL(rump_sys_mknod(EXT2_MNT "/tty", S_IFCHR | 0620, makedev(4, 64)));
	RL(rump_sys_mknod(EXT2_MNT "/sda1", S_IFBLK | 0660, makedev(8, 1)));
	/* Numbers past 8 bits: the new encoding in i_block[1]. */
	RL(rump_sys_mknod(EXT2_MNT "/nvme", S_IFBLK | 0600,
	    makedev(259, 70000)));
	RL(rump_sys_mknod(EXT2_MNT "/null", S_IFCHR | 0666, makedev(1, 3)));
	RL(rump_sys_mknod(EXT2_MNT "/fifo", S_IFIFO | 0644, 0));

	RL(rump_sys_stat(EXT2_MNT "/tty", &st));
	ATF_CHECK(S_ISCHR(st.st_mode));
	ATF_CHECK_EQ(makedev(4, 64), st.st_rdev);
	ERR(ENXIO, rump_sys_open(EXT2_MNT "/tty", O_RDWR));
	ERR(ENXIO, rump_sys_open(EXT2_MNT "/sda1", O_RDONLY));
	RL(w = rump_sys_open(EXT2_MNT "/null", O_WRONLY));
	ATF_CHECK_EQ(4, rump_sys_write(w, "gone", 4));
	RL(rump_sys_close(w));

	/* A writer and a reader through the FIFO. */
	RL(r = rump_sys_open(EXT2_MNT "/fifo", O_RDONLY | O_NONBLOCK));
	RL(w = rump_sys_open(EXT2_MNT "/fifo", O_WRONLY | O_NONBLOCK));
	ATF_REQUIRE_EQ(5, rump_sys_write(w, "ext2 ", 5));
	ATF_REQUIRE_EQ(4, rump_sys_write(w, "fifo", 4));
	memset(buf, 0, sizeof(buf));
	ATF_REQUIRE_EQ(9, rump_sys_read(r, buf, sizeof(buf)));
	ATF_CHECK_STREQ("ext2 fifo", buf);
	ERR(EAGAIN, rump_sys_read(r, buf, sizeof(buf)));
	RL(rump_sys_close(w));
	ATF_CHECK_EQ(0, rump_sys_read(r, buf, sizeof(buf)));
	RL(rump_sys_close(r));
	RL(rump_sys_stat(EXT2_MNT "/fifo", &st));
	ATF_CHECK_EQ(0, st.st_size);	/* nothing went to the disk */
	umount_ext2();

	fsck_clean(IMG);
	ATF_CHECK_EQ(sh("debugfs -R 'stat /tty' " IMG " 2>/dev/null | "
	    "grep -q 'Type: character special'"), 0);
	ATF_CHECK_EQ(sh("debugfs -R 'stat /sda1' " IMG " 2>/dev/null | "
	    "grep -q 'Type: block special'"), 0);
	ATF_CHECK_EQ(sh("debugfs -R 'stat /fifo' " IMG " 2>/dev/null | "
	    "grep -q 'Type: FIFO'"), 0);
	debugfs_devno("/tty", "04:64");
	debugfs_devno("/sda1", "08:01");
	debugfs_devno("/nvme", "259:70000");
	debugfs_devno("/null", "01:03");

	/* The other way: a node debugfs made, and everything after a
	 * remount. */
	ATF_REQUIRE_EQ(sh("debugfs -w -R 'mknod hostdev c 10 200' " IMG
	    " >/dev/null 2>&1"), 0);
	mount_ext2(IMG, false);
	RL(rump_sys_stat(EXT2_MNT "/hostdev", &st));
	ATF_CHECK(S_ISCHR(st.st_mode));
	ATF_CHECK_EQ(makedev(10, 200), st.st_rdev);
	RL(rump_sys_stat(EXT2_MNT "/nvme", &st));
	ATF_CHECK(S_ISBLK(st.st_mode));
	ATF_CHECK_EQ(259, major(st.st_rdev));
	ATF_CHECK_EQ(70000, minor(st.st_rdev));
	ATF_CHECK_EQ(S_IFBLK | 0600, st.st_mode);
	RL(rump_sys_stat(EXT2_MNT "/sda1", &st));
	ATF_CHECK_EQ(S_IFBLK | 0660, st.st_mode);
	ATF_CHECK_EQ(makedev(8, 1), st.st_rdev);
	ERR(ENXIO, rump_sys_open(EXT2_MNT "/nvme", O_RDONLY));
	/* Blocking opens and a writer that fills the pipe. */
	cookie = rt_thread_start(fifo_writer, &werror, "writer");
	RL(r = rump_sys_open(EXT2_MNT "/fifo", O_RDONLY));
	want = malloc(FIFO_BYTES);
	got = malloc(FIFO_BYTES);
	ATF_REQUIRE(want != NULL && got != NULL);
	pattern(want, FIFO_BYTES, 5);
	while (done < FIFO_BYTES && (n = rump_sys_read(r, got + done,
	    FIFO_BYTES - (size_t)done)) > 0)
		done += n;
	ATF_CHECK_EQ(FIFO_BYTES, done);
	ATF_CHECK(memcmp(want, got, FIFO_BYTES) == 0);
	rt_thread_join(cookie);
	ATF_CHECK_EQ_MSG(0, werror, "writer: %s", strerror(werror));
	ATF_CHECK_EQ(0, rump_sys_read(r, buf, sizeof(buf)));
	RL(rump_sys_close(r));
	free(want);
	free(got);
	RL(r = rump_sys_open(EXT2_MNT "/fifo", O_RDWR));
	ATF_REQUIRE_EQ(3, rump_sys_write(r, "abc", 3));
	ATF_REQUIRE_EQ(3, rump_sys_read(r, buf, sizeof(buf)));
	ATF_CHECK(memcmp(buf, "abc", 3) == 0);
	RL(rump_sys_close(r));
	RL(rump_sys_unlink(EXT2_MNT "/tty"));
	RL(rump_sys_unlink(EXT2_MNT "/nvme"));
	/* A device whose numbers, read as a block number, name a block in
	 * use (the block bitmap's): removing the node frees no block. */
	bb = (unsigned)debugfs_num("stats",
	    "s/.*block bitmap at \\([0-9]*\\).*/\\1/p");
	ATF_REQUIRE(bb > 0 && bb < 65536);
	RL(rump_sys_mknod(EXT2_MNT "/bb", S_IFCHR | 0600, makedev(bb >> 8,
	    bb & 0xff)));
	RL(rump_sys_unlink(EXT2_MNT "/bb"));
	RL(rump_sys_mknod(EXT2_MNT "/bb", S_IFBLK | 0600, makedev(bb >> 8,
	    bb & 0xff)));
	RL(rump_sys_rename(EXT2_MNT "/sda1", EXT2_MNT "/bb"));
	umount_ext2();
	fsck_clean(IMG);
}

/*
 * The kernel's console is the process's standard output (both
 * platforms): console_begin sends it to a file, console_expect puts it
 * back and checks that what the kernel printed in between contains
 * want.
 */
static int console_saved = -1;

static void
console_begin(void)
{
	int fd;

	fflush(stdout);
	RL(console_saved = dup(1));
	RL(fd = open("console.out", O_WRONLY | O_CREAT | O_TRUNC, 0644));
	RL(dup2(fd, 1));
	close(fd);
}

static void
console_expect(const char *want)
{
	char *got;
	size_t len;

	fflush(stdout);
	RL(dup2(console_saved, 1));
	close(console_saved);
	got = host_slurp("console.out", &len);
	got[len] = '\0';
	ATF_CHECK_MSG(strstr(got, want) != NULL, "the kernel printed \"%s\", "
	    "not \"%s\"", got, want);
	free(got);
}

/* Sets superblock (offset 1024) bytes of an image. */
static void
patch(const char *img, off_t off, const void *val, size_t len)
{
	int fd;

	RL(fd = open(img, O_RDWR));
	ATF_REQUIRE_EQ(pwrite(fd, val, len, off), (ssize_t)len);
	close(fd);
}

ATF_TC(ext4_readonly);
ATF_TC_HEAD(ext4_readonly, tc)
{
	atf_tc_set_md_var(tc, "descr", "An ext4 image (extents, flex_bg, "
	    "64bit, metadata_csum) filled by debugfs mounts read-only and "
	    "reads back; read-write is refused with EROFS naming the "
	    "feature; unsupported incompat features (inline_data, "
	    "needs_recovery) refuse the mount with EINVAL and a console "
	    "message that names them");
}
ATF_TC_BODY(ext4_readonly, tc)
{
	char *want, *got;
	size_t wlen, glen;
	uint32_t v;
	int fd;

	mkfs(IMG, "-t ext4 -O 64bit,metadata_csum", "64M");
	want = malloc(9 << 20);
	pattern(want, 9 << 20, 99);
	RL(fd = open("host.bin", O_WRONLY | O_CREAT | O_TRUNC, 0644));
	ATF_REQUIRE_EQ(write(fd, want, 9 << 20), 9 << 20);
	close(fd);
	free(want);
	ATF_REQUIRE_EQ(sh("debugfs -w -R 'write host.bin /file' " IMG
	    " >/dev/null 2>&1"), 0);
	ATF_REQUIRE_EQ(sh("debugfs -w -R 'mkdir /d' " IMG
	    " >/dev/null 2>&1"), 0);

	boot();
	RL(rump_sys_mkdir(EXT2_MNT, 0755));
	ATF_REQUIRE_EQ(rump_etfs_register(EXT2_KEY, IMG, RUMP_ETFS_BLK), 0);
	console_begin();
	ERR(EROFS, rump_sys_mount(EXT2_KEY, EXT2_MNT, "ext4", 0, NULL));
	console_expect("ext2fs " EXT2_KEY ": read-only only (mount with ro): "
	    "feature ");
	RL(rump_sys_mount(EXT2_KEY, EXT2_MNT, "ext4", 1, NULL));
	want = host_slurp("host.bin", &wlen);
	got = rump_slurp(EXT2_MNT "/file", &glen);
	ATF_CHECK_EQ(glen, wlen);
	ATF_CHECK(glen == wlen && memcmp(want, got, wlen) == 0);
	free(want);
	free(got);
	RL(rump_sys_access(EXT2_MNT "/d", 0));
	RL(rump_sys_umount2(EXT2_MNT, 0));

	/* inline_data, then needs_recovery: refused even read-only. */
	RL(fd = open(IMG, O_RDONLY));
	ATF_REQUIRE_EQ(pread(fd, &v, 4, 1024 + 96), 4);
	close(fd);
	v |= 0x8000;
	patch(IMG, 1024 + 96, &v, 4);
	console_begin();
	ERR(EINVAL, rump_sys_mount(EXT2_KEY, EXT2_MNT, "ext4", 1, NULL));
	console_expect("ext2fs " EXT2_KEY ": cannot mount: feature "
	    "inline_data\n");
	v = (v & ~0x8000u) | 0x4;
	patch(IMG, 1024 + 96, &v, 4);
	console_begin();
	ERR(EINVAL, rump_sys_mount(EXT2_KEY, EXT2_MNT, "ext4", 1, NULL));
	console_expect("ext2fs " EXT2_KEY ": cannot mount: feature "
	    "needs_recovery\n");
}

/* A number debugfs prints for cmd on IMG, found by sed expression re
 * (0: none). */
static unsigned long long
debugfs_num(const char *cmd, const char *re)
{
	char line[512];
	unsigned long long v = 0;
	FILE *p;

	snprintf(line, sizeof(line), "debugfs -R '%s' " IMG " 2>/dev/null | "
	    "sed -n '%s' | head -1", cmd, re);
	ATF_REQUIRE((p = popen(line, "r")) != NULL);
	if (fscanf(p, "%lli", &v) != 1)
		v = 0;
	pclose(p);
	return v;
}

/* Flips the bits of byte off of IMG. */
static void
flip(uint64_t off)
{
	uint8_t b;
	int fd;

	RL(fd = open(IMG, O_RDWR));
	ATF_REQUIRE_EQ(pread(fd, &b, 1, (off_t)off), 1);
	b ^= 0xff;
	ATF_REQUIRE_EQ(pwrite(fd, &b, 1, (off_t)off), 1);
	close(fd);
}

ATF_TC(ext4_csum);
ATF_TC_HEAD(ext4_csum, tc)
{
	atf_tc_set_md_var(tc, "descr", "metadata_csum, read-only: an ext4 "
	    "image (1 KiB blocks) that debugfs filled reads back with every "
	    "checksum verified (inodes, directory blocks, an extent block, an "
	    "attribute block, group descriptors, superblock); one flipped "
	    "byte in each makes the access fail (EIO, or EINVAL for the "
	    "mount), never read wrong data");
}
ATF_TC_BODY(ext4_csum, tc)
{
	char buf[4096], name[64], *got;
	uint64_t inoblk, inooff, etb, acl, dirblk;
	size_t glen;
	ssize_t n;
	FILE *f;
	int fd, i;

	mkfs(IMG, "-t ext4 -O 64bit,metadata_csum -b 1024", "32M");
	/* A file of 12 extents (holes between): its tree needs a block. */
	RL(fd = open("frag", O_WRONLY | O_CREAT | O_TRUNC, 0644));
	for (i = 0; i < 12; i++) {
		memset(buf, 'A' + i, 1024);
		ATF_REQUIRE_EQ(pwrite(fd, buf, 1024, (off_t)i * 8192), 1024);
	}
	close(fd);
	memset(buf, 'V', 600);
	RL(fd = open("bigval", O_WRONLY | O_CREAT | O_TRUNC, 0644));
	ATF_REQUIRE_EQ(write(fd, buf, 600), 600);
	close(fd);
	ATF_REQUIRE((f = fopen("script", "w")) != NULL);
	fprintf(f, "write frag /frag\nmkdir /d\n");
	for (i = 0; i < 60; i++)
		fprintf(f, "write /dev/null /d/a-rather-long-file-name-%02d\n",
		    i);
	fprintf(f, "ea_set -f bigval /frag user.big\n");
	fclose(f);
	ATF_REQUIRE_EQ(sh("debugfs -w -f script " IMG " >dbg.out 2>&1"), 0);
	fsck_clean(IMG);
	inoblk = debugfs_num("imap /frag",
	    "s/.*located at block \\([0-9]*\\),.*/\\1/p");
	inooff = debugfs_num("imap /frag",
	    "s/.*offset \\(0x[0-9a-f]*\\).*/\\1/p");
	etb = debugfs_num("stat /frag", "s/.*(ETB0):\\([0-9]*\\).*/\\1/p");
	acl = debugfs_num("stat /frag",
	    "s/.*File ACL: \\([0-9]*\\).*/\\1/p");
	dirblk = debugfs_num("blocks /d", "s/^\\([0-9]*\\) .*/\\1/p");
	ATF_REQUIRE(inoblk != 0 && etb != 0 && acl != 0 && dirblk != 0);

	boot();
	RL(rump_sys_mkdir(EXT2_MNT, 0755));
	ATF_REQUIRE_EQ(rump_etfs_register(EXT2_KEY, IMG, RUMP_ETFS_BLK), 0);
	RL(rump_sys_mount(EXT2_KEY, EXT2_MNT, "ext4", 1, NULL));
	got = rump_slurp(EXT2_MNT "/frag", &glen);
	ATF_CHECK_EQ(glen, 11 * 8192 + 1024);
	for (i = 0; i < 12 && glen == 11 * 8192 + 1024; i++)
		ATF_CHECK_EQ(got[i * 8192 + 5], 'A' + i);
	free(got);
	for (i = 0; i < 60; i++) {
		snprintf(name, sizeof(name),
		    EXT2_MNT "/d/a-rather-long-file-name-%02d", i);
		RL(rump_sys_access(name, 0));
	}
	RL(n = rump_sys_getxattr(EXT2_MNT "/frag", "user.big", buf,
	    sizeof(buf)));
	ATF_CHECK_EQ(n, 600);
	RL(rump_sys_umount2(EXT2_MNT, 0));

	/* The inode: its mtime. */
	flip(inoblk * 1024 + inooff + 16);
	RL(rump_sys_mount(EXT2_KEY, EXT2_MNT, "ext4", 1, NULL));
	ERR(EIO, rump_sys_access(EXT2_MNT "/frag", 0));
	RL(rump_sys_access(EXT2_MNT "/d", 0));
	RL(rump_sys_umount2(EXT2_MNT, 0));
	flip(inoblk * 1024 + inooff + 16);

	/* The extent block: the first extent's start block. */
	flip(etb * 1024 + 12 + 8);
	RL(rump_sys_mount(EXT2_KEY, EXT2_MNT, "ext4", 1, NULL));
	RL(fd = rump_sys_open(EXT2_MNT "/frag", O_RDONLY));
	ERR(EIO, rump_sys_read(fd, buf, 1024));
	RL(rump_sys_close(fd));
	RL(rump_sys_umount2(EXT2_MNT, 0));
	flip(etb * 1024 + 12 + 8);

	/* The attribute block: a byte of the value. */
	flip(acl * 1024 + 1000);
	RL(rump_sys_mount(EXT2_KEY, EXT2_MNT, "ext4", 1, NULL));
	ERR(EIO, rump_sys_getxattr(EXT2_MNT "/frag", "user.big", buf,
	    sizeof(buf)));
	RL(rump_sys_umount2(EXT2_MNT, 0));
	flip(acl * 1024 + 1000);

	/* The first directory block of /d: a byte of "..". */
	flip(dirblk * 1024 + 12 + 8 + 1);
	RL(rump_sys_mount(EXT2_KEY, EXT2_MNT, "ext4", 1, NULL));
	ERR(EIO, rump_sys_access(EXT2_MNT "/d/a-rather-long-file-name-00",
	    0));
	RL(rump_sys_umount2(EXT2_MNT, 0));
	flip(dirblk * 1024 + 12 + 8 + 1);

	/* Group 0's descriptor (block 2), bg_itable_unused; then the
	 * superblock's volume name. */
	flip(2 * 1024 + 28);
	ERR(EINVAL, rump_sys_mount(EXT2_KEY, EXT2_MNT, "ext4", 1, NULL));
	flip(2 * 1024 + 28);
	flip(1024 + 120);
	ERR(EINVAL, rump_sys_mount(EXT2_KEY, EXT2_MNT, "ext4", 1, NULL));
	flip(1024 + 120);
	fsck_clean(IMG);

	/* Indexed by e2fsck -D: the index blocks carry no leaf tail. */
	(void)sh("e2fsck -fyD " IMG " >/dev/null 2>&1");
	fsck_clean(IMG);
	ATF_REQUIRE_EQ(sh("debugfs -R 'stat /d' " IMG " 2>/dev/null | "
	    "grep -q 'Flags: 0x.*1...$'"), 0);
	RL(rump_sys_mount(EXT2_KEY, EXT2_MNT, "ext4", 1, NULL));
	for (i = 0; i < 60; i++) {
		snprintf(name, sizeof(name),
		    EXT2_MNT "/d/a-rather-long-file-name-%02d", i);
		RL(rump_sys_access(name, 0));
	}
	RL(rump_sys_umount2(EXT2_MNT, 0));

	/* The index root's dx_tail checksum: a hash of its table. */
	dirblk = debugfs_num("blocks /d", "s/^\\([0-9]*\\) .*/\\1/p");
	ATF_REQUIRE(dirblk != 0);
	flip(dirblk * 1024 + 40);
	RL(rump_sys_mount(EXT2_KEY, EXT2_MNT, "ext4", 1, NULL));
	ERR(EIO, rump_sys_access(EXT2_MNT "/d/a-rather-long-file-name-00",
	    0));
	RL(rump_sys_umount2(EXT2_MNT, 0));
	flip(dirblk * 1024 + 40);
	RL(rump_sys_mount(EXT2_KEY, EXT2_MNT, "ext4", 1, NULL));
	RL(rump_sys_access(EXT2_MNT "/d/a-rather-long-file-name-00", 0));
	RL(rump_sys_umount2(EXT2_MNT, 0));
}

#define HNAME	"a-file-with-a-long-name-so-that-the-index-grows-"

/* Whether debugfs sees an index on dir. */
static bool
indexed(const char *dir)
{
	return sh("debugfs -R 'htree %s' " IMG " 2>&1 | "
	    "grep -q 'Not a hash-indexed directory'", dir) != 0;
}

static void
hname(char *buf, size_t len, int i)
{
	snprintf(buf, len, HNAME "%04d", i);
}

static bool
all_present(int i)
{
	(void)i;
	return true;
}

static bool
odd_present(int i)
{
	return i % 2 == 1;
}

static void
more_name(char *buf, size_t len, int i)
{
	snprintf(buf, len, "more-%d", i);
}

/* New names, added into the leaves of an index. */
static void
hname_new(char *buf, size_t len, int i)
{
	snprintf(buf, len, "new-%d", i);
}

ATF_TC(htree);
ATF_TC_HEAD(htree, tc)
{
	atf_tc_set_md_var(tc, "descr", "dir_index: a directory of 3000 "
	    "files that e2fsck -D indexed (two index levels at 1 KiB): "
	    "every name found through the index (few directory blocks "
	    "read per lookup), missing names ENOENT; removals and new "
	    "names keep the index, full leaves split (e2fsck -fn checks "
	    "its hash order); without the index flag lookups go linear");
	atf_tc_set_md_var(tc, "timeout", "600");
}
ATF_TC_BODY(htree, tc)
{
	char name[128], buf[8192];
	ssize_t n, off;
	int fd, i, found = 0;

	mkfs(IMG, "-t ext2 -b 1024", "32M");
	boot();
	mount_ext2(IMG, false);
	RL(rump_sys_mkdir(EXT2_MNT "/big", 0755));
	for (i = 0; i < 3000; i++) {
		snprintf(name, sizeof(name), EXT2_MNT "/big/" HNAME "%04d", i);
		RL(fd = rump_sys_open(name, O_WRONLY | O_CREAT, 0644));
		RL(rump_sys_close(fd));
	}
	umount_ext2();
	(void)sh("e2fsck -fyD " IMG " >/dev/null 2>&1");
	fsck_clean(IMG);
	ATF_REQUIRE_EQ_MSG(sh("debugfs -R 'htree /big' " IMG " 2>/dev/null "
	    "| grep -q 'Indirect levels: 1'"), 0, "e2fsck -D made no "
	    "two-level index");

	mount_ext2(IMG, false);
	lookup_all(EXT2_MNT "/big", 3000, hname, all_present, 2);
	RL(fd = rump_sys_open(EXT2_MNT "/big", O_RDONLY | O_DIRECTORY));
	while ((n = rump_sys_getdents64(fd, buf, sizeof(buf))) > 0) {
		for (off = 0; off < n; ) {
			unsigned short reclen;

			memcpy(&reclen, buf + off + 16, 2);
			if (strncmp(buf + off + 19, "a-file-", 7) == 0)
				found++;
			off += reclen;
		}
	}
	ATF_CHECK_EQ(n, 0);
	ATF_CHECK_EQ(found, 3000);
	RL(rump_sys_close(fd));

	/* Every other name goes: each leaf has room again, for new names
	 * that the index sends there. */
	for (i = 0; i < 3000; i += 2) {
		char path[200];

		hname(name, sizeof(name), i);
		snprintf(path, sizeof(path), EXT2_MNT "/big/%s", name);
		RL(rump_sys_unlink(path));
	}
	for (i = 0; i < 300; i++) {
		char path[200];

		hname_new(name, sizeof(name), i);
		snprintf(path, sizeof(path), EXT2_MNT "/big/%s", name);
		RL(fd = rump_sys_open(path, O_WRONLY | O_CREAT, 0644));
		RL(rump_sys_close(fd));
	}
	umount_ext2();
	fsck_clean(IMG);
	ATF_CHECK_MSG(indexed("/big"), "the index was dropped although "
	    "every leaf had room");
	mount_ext2(IMG, true);
	lookup_all(EXT2_MNT "/big", 3000, hname, odd_present, 2);
	lookup_all(EXT2_MNT "/big", 300, hname_new, all_present, 2);
	umount_ext2();

	/* Leaves without room split, the index stays valid. */
	mount_ext2(IMG, false);
	for (i = 0; i < 3000; i++) {
		snprintf(name, sizeof(name), EXT2_MNT "/big/more-%d", i);
		RL(fd = rump_sys_open(name, O_WRONLY | O_CREAT, 0644));
		RL(rump_sys_close(fd));
	}
	umount_ext2();
	fsck_clean(IMG);
	ATF_CHECK_MSG(indexed("/big"), "the index was dropped although "
	    "leaves could split");
	mount_ext2(IMG, true);
	lookup_all(EXT2_MNT "/big", 3000, more_name, all_present, 2);
	umount_ext2();
	(void)sh("e2fsck -fyD " IMG " >/dev/null 2>&1");
	fsck_clean(IMG);
	ATF_CHECK(indexed("/big"));
	mount_ext2(IMG, true);
	RL(rump_sys_access(EXT2_MNT "/big/more-2999", 0));
	RL(rump_sys_access(EXT2_MNT "/big/new-299", 0));
	ERR(ENOENT, rump_sys_access(EXT2_MNT "/big/" HNAME "0100", 0));
	lookup_all(EXT2_MNT "/big", 300, hname_new, all_present, 2);
	umount_ext2();

	/* The same directory without its index flag: read linearly, as
	 * the counter shows (what lookup_all's bound tells apart). */
	ATF_REQUIRE_EQ(sh("debugfs -w -R 'sif /big flags 0' " IMG
	    " >/dev/null 2>&1"), 0);
	mount_ext2(IMG, true);
	lookup_all(EXT2_MNT "/big", 300, hname_new, all_present, 0);
	umount_ext2();
}

/* Name i of htree_random: lengths from 1 to 200 bytes. */
static void
rname(char *buf, size_t len, int i)
{
	int n = 1 + (int)((unsigned)i * 2654435761u % 200u);

	snprintf(buf, len, "%d-%0*d", i, n, 0);
}

static bool rpresent[4000];

static bool
r_present(int i)
{
	return rpresent[i];
}

ATF_TC(htree_random);
ATF_TC_HEAD(htree_random, tc)
{
	atf_tc_set_md_var(tc, "descr", "dir_index: 6000 random creations "
	    "and removals of names of 1 to 200 bytes in a directory e2fsck "
	    "-D indexed (leaves and index nodes split, 1 KiB blocks): every "
	    "name present found and every other one ENOENT through the "
	    "index, e2fsck -fn clean, the index kept");
	atf_tc_set_md_var(tc, "timeout", "600");
}
ATF_TC_BODY(htree_random, tc)
{
	char name[300], path[400];
	uint32_t x = 12345;
	int fd, i, k;

	mkfs(IMG, "-t ext2 -b 1024 -N 6000", "32M");
	boot();
	mount_ext2(IMG, false);
	RL(rump_sys_mkdir(EXT2_MNT "/r", 0755));
	for (i = 0; i < 1000; i++) {
		rname(name, sizeof(name), i);
		snprintf(path, sizeof(path), EXT2_MNT "/r/%s", name);
		RL(fd = rump_sys_open(path, O_WRONLY | O_CREAT, 0644));
		RL(rump_sys_close(fd));
		rpresent[i] = true;
	}
	umount_ext2();
	(void)sh("e2fsck -fyD " IMG " >/dev/null 2>&1");
	fsck_clean(IMG);
	ATF_REQUIRE(indexed("/r"));
	mount_ext2(IMG, false);
	for (k = 0; k < 6000; k++) {
		x = x * 1103515245u + 12345u;
		i = (int)((x >> 8) % 4000u);
		rname(name, sizeof(name), i);
		snprintf(path, sizeof(path), EXT2_MNT "/r/%s", name);
		if (rpresent[i]) {
			RL(rump_sys_unlink(path));
		} else {
			RL(fd = rump_sys_open(path, O_WRONLY | O_CREAT |
			    O_EXCL, 0644));
			RL(rump_sys_close(fd));
		}
		rpresent[i] = !rpresent[i];
	}
	lookup_all(EXT2_MNT "/r", 4000, rname, r_present, 2);
	umount_ext2();
	fsck_clean(IMG);
	ATF_CHECK(indexed("/r"));
	mount_ext2(IMG, true);
	lookup_all(EXT2_MNT "/r", 4000, rname, r_present, 2);
	umount_ext2();
}

/* Names with bytes >= 0x80, where signed and unsigned hashes differ. */
static void
hname_8bit(char *buf, size_t len, int i)
{
	snprintf(buf, len, "\xc3\xa9t\xc3\xa9-%d-\xe2\x82\xac-%s", i,
	    i % 3 == 0 ? "a-long-tail-past-thirty-two-bytes-for-md4" : "x");
}

ATF_TC(htree_hashes);
ATF_TC_HEAD(htree_hashes, tc)
{
	atf_tc_set_md_var(tc, "descr", "dir_index: directories that e2fsck "
	    "-D indexed with each hash (legacy, half_md4, tea; signed and "
	    "unsigned; the file system's seed and the default one), names "
	    "with 8-bit bytes: every name found through the index, missing "
	    "names ENOENT, and names strata adds keep e2fsck -fn clean");
	atf_tc_set_md_var(tc, "timeout", "600");
}
ATF_TC_BODY(htree_hashes, tc)
{
	static const struct {
		const char	*hash;
		int		 flags;		/* s_flags: 1 signed, 2 unsigned */
		bool		 zeroseed;
	} v[] = {
		{ "legacy", 1, false }, { "legacy", 2, false },
		{ "half_md4", 1, false }, { "half_md4", 2, true },
		{ "tea", 1, true }, { "tea", 2, false },
	};
	char name[300], path[400];
	size_t k;
	int fd, i;

	need_e2fsprogs();
	boot();
	for (k = 0; k < __arraycount(v); k++) {
		fprintf(stderr, "hash %s, s_flags %d%s\n", v[k].hash,
		    v[k].flags, v[k].zeroseed ? ", default seed" : "");
		mkfs(IMG, "-t ext2 -b 1024", "8M");
		ATF_REQUIRE_EQ(sh("debugfs -w -R 'ssv def_hash_version %s' "
		    IMG " >/dev/null 2>&1 && debugfs -w -R 'ssv flags %d' "
		    IMG " >/dev/null 2>&1", v[k].hash, v[k].flags), 0);
		if (v[k].zeroseed)
			ATF_REQUIRE_EQ(sh("debugfs -w -R 'ssv hash_seed null' "
			    IMG " >/dev/null 2>&1"), 0);
		mount_ext2(IMG, false);
		RL(rump_sys_mkdir(EXT2_MNT "/h", 0755));
		for (i = 0; i < 600; i++) {
			hname_8bit(name, sizeof(name), i);
			snprintf(path, sizeof(path), EXT2_MNT "/h/%s", name);
			RL(fd = rump_sys_open(path, O_WRONLY | O_CREAT, 0644));
			RL(rump_sys_close(fd));
		}
		umount_ext2();
		(void)sh("e2fsck -fyD " IMG " >/dev/null 2>&1");
		fsck_clean(IMG);
		ATF_REQUIRE_MSG(sh("debugfs -R 'htree /h' " IMG " 2>/dev/null "
		    "| grep -q 'Hash Version: %d'", (v[k].hash[0] == 'l' ? 0 :
		    v[k].hash[0] == 'h' ? 1 : 2)) == 0, "no %s index",
		    v[k].hash);
		mount_ext2(IMG, false);
		lookup_all(EXT2_MNT "/h", 600, hname_8bit, all_present, 1);
		/* A few more, into the leaves their hashes pick. */
		for (i = 0; i < 20; i++) {
			snprintf(path, sizeof(path), EXT2_MNT "/h/\xc3\xbc-%d",
			    i);
			RL(fd = rump_sys_open(path, O_WRONLY | O_CREAT, 0644));
			RL(rump_sys_close(fd));
		}
		umount_ext2();
		fsck_clean(IMG);
		ATF_CHECK(sh("debugfs -R 'htree /h' " IMG " 2>&1 | grep -q "
		    "'Not a hash-indexed directory'") != 0);
		if (k == 0) {
			/* Past what the root (one level) can index:
			 * the tree grows a level, nothing is lost. */
			mount_ext2(IMG, false);
			for (i = 0; i < 1000; i++) {
				snprintf(path, sizeof(path), EXT2_MNT
				    "/h/fill-%d-%0200d", i, 0);
				RL(fd = rump_sys_open(path, O_WRONLY | O_CREAT,
				    0644));
				RL(rump_sys_close(fd));
			}
			umount_ext2();
			fsck_clean(IMG);
			ATF_CHECK(sh("debugfs -R 'htree /h' " IMG " 2>&1 | "
			    "grep -q 'Indirect levels: 1'") == 0);
			mount_ext2(IMG, true);
			snprintf(path, sizeof(path), EXT2_MNT
			    "/h/fill-999-%0200d", 0);
			RL(rump_sys_access(path, 0));
			snprintf(path, sizeof(path), EXT2_MNT
			    "/h/fill-0-%0200d", 0);
			RL(rump_sys_access(path, 0));
			umount_ext2();
		}
		ATF_REQUIRE_EQ(rump_etfs_remove(EXT2_KEY), 0);
	}
}

/* The buffer cache's size (vfs_bio.c), set from the test. */
void	rumpns_bcache_setmax(uint64_t bytes);

static void
setcache(uint64_t bytes)
{
	rump_schedule();
	rumpns_bcache_setmax(bytes);
	rump_unschedule();
}

static size_t
pressure_size(unsigned i)
{
	return (size_t)(i * 7919u % 300u) * 1024u + i;
}

/* Reads a file through the kernel and compares it with its pattern. */
static void
pressure_check(unsigned i)
{
	char path[64], *got, *want;
	size_t len, size = pressure_size(i);

	snprintf(path, sizeof(path), EXT2_MNT "/d%u/f%u", i % 3, i);
	got = rump_slurp(path, &len);
	want = malloc(size + 1);
	ATF_REQUIRE(want != NULL);
	pattern(want, size, i);
	ATF_CHECK_EQ_MSG(len, size, "%s: %zu bytes, want %zu", path, len,
	    size);
	ATF_CHECK_MSG(len != size || memcmp(got, want, size) == 0,
	    "%s differs", path);
	free(got);
	free(want);
}

ATF_TC(cache_pressure);
ATF_TC_HEAD(cache_pressure, tc)
{
	atf_tc_set_md_var(tc, "descr", "With a 128 KiB buffer cache, "
	    "4 MiB of files written (earlier ones read back meanwhile) "
	    "go out in the right order: e2fsck -fn clean, byte-exact "
	    "after a remount");
}
ATF_TC_BODY(cache_pressure, tc)
{
	enum { NFILES = 30 };
	char path[64];
	unsigned i;

	mkfs(IMG, "-t ext2 -b 1024", "16M");
	boot();
	setcache(128 << 10);
	mount_ext2(IMG, false);
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), EXT2_MNT "/d%u", i);
		RL(rump_sys_mkdir(path, 0755));
	}
	for (i = 0; i < NFILES; i++) {
		snprintf(path, sizeof(path), EXT2_MNT "/d%u/f%u", i % 3, i);
		write_file(path, pressure_size(i), 0, i);
		if (i >= 5)
			pressure_check(i - 5);
	}
	umount_ext2();
	fsck_clean(IMG);
	mount_ext2(IMG, true);
	for (i = 0; i < NFILES; i++)
		pressure_check(i);
	umount_ext2();
	setcache(0);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, cache_pressure);
	ATF_TP_ADD_TC(tp, debugfs_fill);
	ATF_TP_ADD_TC(tp, large_file);
	ATF_TP_ADD_TC(tp, special_files);
	ATF_TP_ADD_TC(tp, ext4_readonly);
	ATF_TP_ADD_TC(tp, ext4_csum);
	ATF_TP_ADD_TC(tp, htree);
	ATF_TP_ADD_TC(tp, htree_hashes);
	ATF_TP_ADD_TC(tp, htree_random);
	ATF_TP_ADD_TC(tp, fill_1k);
	ATF_TP_ADD_TC(tp, fill_2k);
	ATF_TP_ADD_TC(tp, fill_4k);
	ATF_TP_ADD_TC(tp, fill_rev0);
	ATF_TP_ADD_TC(tp, fill_small_inodes);
	ATF_TP_ADD_TC(tp, fill_ext3);
	return atf_no_error();
}
