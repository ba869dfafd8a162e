/*
 * t_memlimit.c: running out of memory and space, and mounting.
 *
 * RUMP_MEMLIMIT caps kernel allocations: filling the tmpfs root must fail
 * cleanly with ENOSPC or ENOMEM, and freeing the file must give the memory
 * back.  tmpfs limits are Linux's (checked against the host's tmpfs):
 * size=1m holds exactly 1 MiB of file data and statfs counts data blocks
 * only; nr_inodes= counts files, directories, symlinks and extra hard
 * links; without size= a tmpfs may fill half of RUMP_MEMLIMIT.
 * mount/umount2 errors follow Linux.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/mount.h>
#include <sys/statfs.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <atf-c.h>

#include <rump/rump.h>
#include <rump/rump_syscalls.h>

#include "h_rumptest.h"

#define TMPFS_MAGIC	0x01021994
#define KiB		1024LL
#define MiB		(1024LL * 1024)
#define CHUNK		(64 * 1024)


static unsigned char
pat(long long off)
{
	return (unsigned char)((off * 131) ^ (off >> 16));
}

/*
 * Writes path in CHUNK pieces until a write fails or cap bytes are
 * written.  Returns the bytes written; *err gets the failing errno (0 if
 * the cap was reached).  Leaves the file in place, closed.
 */
static long long
fill(const char *path, long long cap, int *err)
{
	static unsigned char buf[CHUNK];
	long long total = 0;
	ssize_t n;
	int fd;

	*err = 0;
	fd = rump_sys_open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd == -1) {
		*err = rt_errno();
		return 0;
	}
	while (total < cap) {
		for (int i = 0; i < CHUNK; i++)
			buf[i] = pat(total + i);
		n = rump_sys_write(fd, buf, CHUNK);
		if (n == -1) {
			*err = rt_errno();
			break;
		}
		ATF_REQUIRE_MSG(n > 0 && n <= CHUNK, "write returned %zd", n);
		total += n;
		if (n < CHUNK) {
			/* A short write: the next one must fail. */
			continue;
		}
	}
	RL(rump_sys_close(fd));
	return total;
}

/* Checks that the first len bytes of path are the fill pattern. */
static void
verify(const char *path, long long len)
{
	static unsigned char buf[CHUNK];
	long long off = 0;
	ssize_t n;
	int fd = (int)RL(rump_sys_open(path, O_RDONLY));

	while (off < len) {
		n = RL(rump_sys_read(fd, buf, sizeof(buf)));
		ATF_REQUIRE_MSG(n > 0, "short file: EOF at %lld of %lld", off,
		    len);
		for (ssize_t i = 0; i < n && off + i < len; i++)
			ATF_REQUIRE_MSG(buf[i] == pat(off + i),
			    "%s: bad byte at %lld", path, off + i);
		off += n;
	}
	RL(rump_sys_close(fd));
}

/* ------------------------------------------------------------------ */

ATF_TC(memlimit_fill_and_free);
ATF_TC_HEAD(memlimit_fill_and_free, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "RUMP_MEMLIMIT=4m: filling a file fails with ENOSPC or ENOMEM "
	    "below 4 MiB without crashing; the data written reads back; "
	    "unlink gives the memory back (three rounds, no leak)");
	atf_tc_set_md_var(tc, "timeout", "120");
}
ATF_TC_BODY(memlimit_fill_and_free, tc)
{
	long long first = 0, total;
	int err;

	ATF_REQUIRE_EQ(0, setenv("RUMP_MEMLIMIT", "4m", 1));
	boot();
	for (int round = 0; round < 3; round++) {
		total = fill("/big", 64 * MiB, &err);
		printf("round %d: %lld bytes, errno %d\n", round, total, err);
		ATF_REQUIRE_MSG(err != 0, "64 MiB written under a 4 MiB "
		    "limit");
		ATF_REQUIRE_MSG(err == ENOSPC || err == ENOMEM,
		    "full: errno %d (%s), want ENOSPC or ENOMEM", err,
		    strerror(err));
		ATF_REQUIRE_MSG(total <= 4 * MiB, "%lld bytes stored under a "
		    "4 MiB limit", total);
		ATF_REQUIRE_MSG(total >= 512 * KiB, "only %lld bytes fit in "
		    "4 MiB", total);
		verify("/big", total);
		if (round == 0)
			first = total;
		else
			ATF_REQUIRE_MSG(total >= first - 4 * CHUNK,
			    "round %d stored %lld bytes, round 0 %lld: memory "
			    "was not given back", round, total, first);
		/* Other allocations fail cleanly while full. */
		{
			int fd = rump_sys_open("/another", O_RDWR | O_CREAT,
			    0644);
			if (fd == -1)
				ATF_REQUIRE_MSG(rt_errno() == ENOSPC ||
				    rt_errno() == ENOMEM, "create when full: %d",
				    rt_errno());
			else {
				char c[4096];

				memset(c, 1, sizeof(c));
				for (int i = 0; i < 16; i++)
					if (rump_sys_write(fd, c,
					    sizeof(c)) == -1) {
						ATF_REQUIRE(rt_errno() == ENOSPC ||
						    rt_errno() == ENOMEM);
						break;
					}
				RL(rump_sys_close(fd));
				RL(rump_sys_unlink("/another"));
			}
		}
		RL(rump_sys_unlink("/big"));
	}
	/* Freed while open: the space comes back at the last close. */
	{
		int fd, fd2;
		struct stat st;

		total = fill("/big", 64 * MiB, &err);
		ATF_REQUIRE(err == ENOSPC || err == ENOMEM);
		fd = (int)RL(rump_sys_open("/big", O_RDONLY));
		RL(rump_sys_unlink("/big"));
		RL(rump_sys_fstat(fd, &st));
		ATF_REQUIRE_EQ(total, st.st_size);
		RL(rump_sys_close(fd));
		total = fill("/big2", 64 * MiB, &err);
		ATF_REQUIRE_MSG(total >= first - 4 * CHUNK,
		    "after unlink+close only %lld bytes (first %lld)", total,
		    first);
		RL(rump_sys_unlink("/big2"));
		fd2 = (int)RL(rump_sys_open("/small", O_RDWR | O_CREAT, 0644));
		ATF_REQUIRE_EQ(5, rump_sys_write(fd2, "small", 5));
		RL(rump_sys_close(fd2));
	}
}

ATF_TC(tmpfs_size_limit);
ATF_TC_HEAD(tmpfs_size_limit, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "tmpfs mounted with size=1m, as Linux: statfs reports 256 blocks "
	    "of 4096, all free; a file of exactly 1 MiB fits and the next byte "
	    "is ENOSPC (a write that crosses the limit is short), with 0 "
	    "blocks free; sparse extension is not limited; unlink frees all "
	    "256 blocks, also at the last close of an unlinked file; the "
	    "root file system is not affected");
	atf_tc_set_md_var(tc, "timeout", "60");
}
ATF_TC_BODY(tmpfs_size_limit, tc)
{
	struct statfs sf;
	long long total;
	char c[200];
	int err, fd;

	boot();
	RL(rump_sys_mkdir("/mnt", 0755));
	RL(rump_sys_mount("tmpfs", "/mnt", "tmpfs", 0, "size=1m"));
	memset(&sf, 0, sizeof(sf));
	RL(rump_sys_statfs("/mnt", &sf));
	ATF_REQUIRE_EQ(TMPFS_MAGIC, (long)sf.f_type);
	ATF_REQUIRE_EQ(4096, (long)sf.f_bsize);
	ATF_REQUIRE_EQ(256, (long)sf.f_blocks);
	ATF_REQUIRE_EQ_MSG(256, (long)sf.f_bfree, "empty 1 MiB tmpfs has "
	    "%ld free blocks", (long)sf.f_bfree);
	ATF_REQUIRE_EQ(256, (long)sf.f_bavail);

	/* Exactly size= bytes of data fit: metadata is not counted. */
	total = fill("/mnt/f", 16 * MiB, &err);
	printf("1 MiB tmpfs took %lld bytes, errno %d\n", total, err);
	ATF_REQUIRE_EQ_MSG(ENOSPC, err, "errno %d (%s), want ENOSPC", err,
	    strerror(err));
	ATF_REQUIRE_EQ_MSG(1 * MiB, total, "%lld bytes stored in a 1 MiB "
	    "tmpfs", total);
	verify("/mnt/f", total);
	RL(rump_sys_statfs("/mnt", &sf));
	ATF_REQUIRE_EQ(256, (long)sf.f_blocks);
	ATF_REQUIRE_EQ_MSG(0, (long)sf.f_bfree, "full tmpfs reports %ld "
	    "free blocks", (long)sf.f_bfree);
	ATF_REQUIRE_EQ(0, (long)sf.f_bavail);

	/* Not one byte more. */
	memset(c, 'c', sizeof(c));
	fd = (int)RL(rump_sys_open("/mnt/f", O_WRONLY | O_APPEND));
	ERR(ENOSPC, rump_sys_write(fd, c, 1));
	ERR(ENOSPC, rump_sys_write(fd, c, sizeof(c)));
	/* A write into the last page's tail fits that far and no further. */
	RL(rump_sys_ftruncate(fd, 1 * MiB - 100));
	ATF_REQUIRE_EQ(100, rump_sys_write(fd, c, sizeof(c)));
	ERR(ENOSPC, rump_sys_write(fd, c, 1));
	RL(rump_sys_close(fd));
	/* Empty files and sparse extension need no data blocks. */
	fd = (int)RL(rump_sys_open("/mnt/sparse", O_WRONLY | O_CREAT, 0644));
	RL(rump_sys_ftruncate(fd, 10 * MiB));
	RL(rump_sys_close(fd));
	RL(rump_sys_mkdir("/mnt/d", 0755));
	RL(rump_sys_symlink("/mnt/f", "/mnt/d/l"));
	RL(rump_sys_statfs("/mnt", &sf));
	ATF_REQUIRE_EQ(0, (long)sf.f_bfree);

	/* The root file system is separate. */
	total = fill("/rootfile", 2 * MiB, &err);
	ATF_REQUIRE_EQ_MSG(0, err, "writing to / while /mnt is full: %d",
	    err);
	ATF_REQUIRE_EQ(2 * MiB, total);

	RL(rump_sys_unlink("/mnt/f"));
	RL(rump_sys_unlink("/mnt/sparse"));
	RL(rump_sys_statfs("/mnt", &sf));
	ATF_REQUIRE_EQ(256, (long)sf.f_blocks);
	ATF_REQUIRE_EQ_MSG(256, (long)sf.f_bfree, "free blocks %ld after "
	    "unlink, want 256", (long)sf.f_bfree);
	total = fill("/mnt/g", 16 * MiB, &err);
	ATF_REQUIRE_EQ(ENOSPC, err);
	ATF_REQUIRE_EQ_MSG(1 * MiB, total, "after unlink %lld bytes", total);
	/* Freed while open: the blocks come back at the last close. */
	fd = (int)RL(rump_sys_open("/mnt/g", O_RDONLY));
	RL(rump_sys_unlink("/mnt/g"));
	RL(rump_sys_statfs("/mnt", &sf));
	ATF_REQUIRE_EQ(0, (long)sf.f_bfree);
	RL(rump_sys_close(fd));
	RL(rump_sys_statfs("/mnt", &sf));
	ATF_REQUIRE_EQ(256, (long)sf.f_bfree);
}

ATF_TC(tmpfs_remount);
ATF_TC_HEAD(tmpfs_remount, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "mount(MS_REMOUNT) with size= changes a tmpfs's limit as on "
	    "Linux: growing makes room at once, shrinking below what is in "
	    "use is EINVAL and changes nothing, and flags (read-only) change "
	    "with or without options");
	atf_tc_set_md_var(tc, "timeout", "60");
}
ATF_TC_BODY(tmpfs_remount, tc)
{
	struct statfs sf;
	long long total;
	int err;

	boot();
	RL(rump_sys_mkdir("/mnt", 0755));
	RL(rump_sys_mount("tmpfs", "/mnt", "tmpfs", 0, "size=1m"));
	total = fill("/mnt/a", 16 * MiB, &err);
	ATF_REQUIRE_EQ(ENOSPC, err);
	ATF_REQUIRE_EQ(1 * MiB, total);

	RL(rump_sys_mount(NULL, "/mnt", NULL, MS_REMOUNT, "size=2m"));
	RL(rump_sys_statfs("/mnt", &sf));
	ATF_REQUIRE_EQ(512, (long)sf.f_blocks);
	ATF_REQUIRE_EQ(256, (long)sf.f_bfree);
	total = fill("/mnt/b", 16 * MiB, &err);
	ATF_REQUIRE_EQ(ENOSPC, err);
	ATF_REQUIRE_EQ_MSG(1 * MiB, total, "after growing to 2 MiB, %lld "
	    "more bytes fit", total);
	verify("/mnt/a", 1 * MiB);

	/* 2 MiB are in use: 1 MiB is too small, and nothing changes. */
	ERR(EINVAL, rump_sys_mount(NULL, "/mnt", NULL, MS_REMOUNT, "size=1m"));
	ERR(EINVAL, rump_sys_mount(NULL, "/mnt", NULL, MS_REMOUNT, "bogus=1"));
	RL(rump_sys_statfs("/mnt", &sf));
	ATF_REQUIRE_EQ(512, (long)sf.f_blocks);
	ATF_REQUIRE_EQ(0, (long)sf.f_bfree);

	/* Flags alone, then back; the data stays. */
	RL(rump_sys_unlink("/mnt/b"));
	RL(rump_sys_mount(NULL, "/mnt", NULL, MS_REMOUNT | MS_RDONLY, NULL));
	ERR(EROFS, rump_sys_open("/mnt/c", O_WRONLY | O_CREAT, 0644));
	RL(rump_sys_mount(NULL, "/mnt", NULL, MS_REMOUNT, "size=1m"));
	RL(rump_sys_statfs("/mnt", &sf));
	ATF_REQUIRE_EQ(256, (long)sf.f_blocks);
	ATF_REQUIRE_EQ(0, (long)sf.f_bfree);
	verify("/mnt/a", 1 * MiB);
	RL(rump_sys_unlink("/mnt/a"));
	RL(rump_sys_statfs("/mnt", &sf));
	ATF_REQUIRE_EQ(256, (long)sf.f_bfree);
}

ATF_TC(tmpfs_nr_inodes);
ATF_TC_HEAD(tmpfs_nr_inodes, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "tmpfs mounted with nr_inodes=5, as Linux: statfs reports 5 files, "
	    "4 free (the root is one); each file, directory, symlink and each "
	    "extra hard link takes one; then every kind of creation is "
	    "ENOSPC (after EEXIST) while data still fits; unlink, rename over "
	    "and the last close give them back");
}
ATF_TC_BODY(tmpfs_nr_inodes, tc)
{
	struct statfs sf;
	int fda, fd;

#define FFREE(n) do {							\
	RL(rump_sys_statfs("/mnt", &sf));				\
	ATF_REQUIRE_EQ(5, (long)sf.f_files);				\
	ATF_REQUIRE_EQ_MSG((n), (long)sf.f_ffree, "line %d: %ld free "	\
	    "inodes, want %d", __LINE__, (long)sf.f_ffree, (n));	\
} while (0)

	boot();
	RL(rump_sys_mkdir("/mnt", 0755));
	RL(rump_sys_mount("tmpfs", "/mnt", "tmpfs", 0, "nr_inodes=5"));
	FFREE(4);
	fda = (int)RL(rump_sys_open("/mnt/a", O_RDWR | O_CREAT, 0644));
	FFREE(3);
	RL(rump_sys_link("/mnt/a", "/mnt/b"));
	FFREE(2);
	RL(rump_sys_mkdir("/mnt/d", 0755));
	FFREE(1);
	RL(rump_sys_symlink("a", "/mnt/d/s"));
	FFREE(0);
	ERR(ENOSPC, rump_sys_open("/mnt/c", O_RDWR | O_CREAT, 0644));
	ERR(ENOSPC, rump_sys_mkdir("/mnt/e", 0755));
	ERR(ENOSPC, rump_sys_symlink("a", "/mnt/s2"));
	ERR(ENOSPC, rump_sys_link("/mnt/a", "/mnt/c"));
	/* Existing names still fail with EEXIST first. */
	ERR(EEXIST, rump_sys_link("/mnt/a", "/mnt/b"));
	ERR(EEXIST, rump_sys_mkdir("/mnt/d", 0755));
	/* Data is not limited by nr_inodes. */
	{
		char buf[4096];

		memset(buf, 'x', sizeof(buf));
		for (int i = 0; i < 64; i++)
			ATF_REQUIRE_EQ((ssize_t)sizeof(buf),
			    rump_sys_write(fda, buf, sizeof(buf)));
	}
	/* A second name goes, the file stays: one back. */
	RL(rump_sys_unlink("/mnt/b"));
	FFREE(1);
	/* Renaming over the last name of a file frees that file's. */
	fd = (int)RL(rump_sys_open("/mnt/c", O_RDWR | O_CREAT, 0644));
	FFREE(0);
	RL(rump_sys_close(fd));
	RL(rump_sys_rename("/mnt/c", "/mnt/d/s"));
	FFREE(1);
	/* An extra name renamed over gives its charge back too. */
	RL(rump_sys_link("/mnt/a", "/mnt/b"));
	FFREE(0);
	RL(rump_sys_rename("/mnt/d/s", "/mnt/b"));
	FFREE(1);
	/* Unlinked but open: the inode is in use until the last close. */
	RL(rump_sys_unlink("/mnt/a"));
	FFREE(1);
	RL(rump_sys_close(fda));
	FFREE(2);
	RL(rump_sys_unlink("/mnt/b"));
	RL(rump_sys_rmdir("/mnt/d"));
	FFREE(4);
#undef FFREE

	/* The root takes the only one there is. */
	RL(rump_sys_umount2("/mnt", 0));
	RL(rump_sys_mount("tmpfs", "/mnt", "tmpfs", 0, "nr_inodes=1"));
	RL(rump_sys_statfs("/mnt", &sf));
	ATF_REQUIRE_EQ(1, (long)sf.f_files);
	ATF_REQUIRE_EQ(0, (long)sf.f_ffree);
	ERR(ENOSPC, rump_sys_open("/mnt/c", O_RDWR | O_CREAT, 0644));
}

ATF_TC(tmpfs_default_size);
ATF_TC_HEAD(tmpfs_default_size, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "RUMP_MEMLIMIT=8m: a tmpfs without size= may fill half of it, as "
	    "Linux's half of RAM (1024 blocks), the root file system too; "
	    "size=0 means no limit of its own");
	atf_tc_set_md_var(tc, "timeout", "60");
}
ATF_TC_BODY(tmpfs_default_size, tc)
{
	struct statfs sf;
	long long total;
	int err;

	ATF_REQUIRE_EQ(0, setenv("RUMP_MEMLIMIT", "8m", 1));
	boot();
	RL(rump_sys_statfs("/", &sf));
	ATF_REQUIRE_EQ(1024, (long)sf.f_blocks);
	RL(rump_sys_mkdir("/mnt", 0755));
	RL(rump_sys_mount("tmpfs", "/mnt", "tmpfs", 0, NULL));
	RL(rump_sys_statfs("/mnt", &sf));
	ATF_REQUIRE_EQ(1024, (long)sf.f_blocks);
	ATF_REQUIRE_EQ(1024, (long)sf.f_bfree);
	total = fill("/mnt/f", 16 * MiB, &err);
	ATF_REQUIRE_EQ_MSG(ENOSPC, err, "errno %d (%s)", err, strerror(err));
	ATF_REQUIRE_EQ(4 * MiB, total);
	RL(rump_sys_statfs("/mnt", &sf));
	ATF_REQUIRE_EQ(0, (long)sf.f_bfree);
	RL(rump_sys_unlink("/mnt/f"));
	RL(rump_sys_umount2("/mnt", 0));

	/* size=0: bounded by the kernel's memory only. */
	RL(rump_sys_mount("tmpfs", "/mnt", "tmpfs", 0, "size=0"));
	RL(rump_sys_statfs("/mnt", &sf));
	ATF_REQUIRE_EQ(2048, (long)sf.f_blocks);
	ATF_REQUIRE(sf.f_bfree < 2048 && sf.f_bfree > 1024);
	total = fill("/mnt/f", 16 * MiB, &err);
	ATF_REQUIRE_MSG(err == ENOSPC || err == ENOMEM, "errno %d (%s)", err,
	    strerror(err));
	ATF_REQUIRE_MSG(total > 4 * MiB && total < 8 * MiB, "%lld bytes",
	    total);
	RL(rump_sys_unlink("/mnt/f"));
}

ATF_TC(mount_errors);
ATF_TC_HEAD(mount_errors, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "mount: unknown fstype ENODEV, a file as mount point ENOTDIR, a "
	    "missing mount point ENOENT; umount2 of a non-mount point EINVAL, "
	    "of a missing path ENOENT");
}
ATF_TC_BODY(mount_errors, tc)
{
	int fd;

	boot();
	RL(rump_sys_mkdir("/mnt", 0755));
	fd = (int)RL(rump_sys_open("/file", O_WRONLY | O_CREAT, 0644));
	RL(rump_sys_close(fd));
	ERR(ENODEV, rump_sys_mount("x", "/mnt", "nosuchfs", 0, NULL));
	ERR(ENODEV, rump_sys_mount("x", "/mnt", "", 0, NULL));
	ERR(ENOTDIR, rump_sys_mount("tmpfs", "/file", "tmpfs", 0, NULL));
	ERR(ENOTDIR, rump_sys_mount("tmpfs", "/file", "tmpfs", 0, "size=1m"));
	ERR(ENOENT, rump_sys_mount("tmpfs", "/nope", "tmpfs", 0, NULL));
	ERR(EINVAL, rump_sys_umount2("/mnt", 0));
	ERR(EINVAL, rump_sys_umount2("/file", 0));
	ERR(ENOENT, rump_sys_umount2("/nope", 0));
	/* Nothing got mounted. */
	{
		struct statfs a, b;
		struct stat sa, sb;
		RL(rump_sys_statfs("/mnt", &a));
		RL(rump_sys_statfs("/", &b));
		RL(rump_sys_stat("/mnt", &sa));
		RL(rump_sys_stat("/", &sb));
		ATF_REQUIRE_EQ(sb.st_dev, sa.st_dev);
	}
}

ATF_TC(umount_busy);
ATF_TC_HEAD(umount_busy, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "umount2 with an open file on the mount gives EBUSY and leaves "
	    "it mounted; after close it unmounts and the covered directory "
	    "is back");
}
ATF_TC_BODY(umount_busy, tc)
{
	char buf[256];
	struct stat st, sroot;
	int fd, dfd;

	boot();
	RL(rump_sys_mkdir("/mnt", 0755));
	fd = (int)RL(rump_sys_open("/mnt/under", O_WRONLY | O_CREAT, 0644));
	RL(rump_sys_close(fd));
	RL(rump_sys_mount("tmpfs", "/mnt", "tmpfs", 0, NULL));
	ERR(ENOENT, rump_sys_stat("/mnt/under", &st));
	fd = (int)RL(rump_sys_open("/mnt/f", O_RDWR | O_CREAT, 0644));
	ATF_REQUIRE_EQ(4, rump_sys_write(fd, "busy", 4));
	ERR(EBUSY, rump_sys_umount2("/mnt", 0));
	/* Still mounted and working. */
	RL(rump_sys_stat("/mnt/f", &st));
	ATF_REQUIRE_EQ(4, st.st_size);
	ATF_REQUIRE_EQ(4, rump_sys_pread64(fd, buf, sizeof(buf), 0));
	RL(rump_sys_close(fd));
	/* An open directory on it is busy too. */
	RL(rump_sys_mkdir("/mnt/sub", 0755));
	dfd = (int)RL(rump_sys_open("/mnt/sub", O_RDONLY | O_DIRECTORY));
	ERR(EBUSY, rump_sys_umount2("/mnt", 0));
	RL(rump_sys_close(dfd));

	RL(rump_sys_umount2("/mnt", 0));
	ERR(ENOENT, rump_sys_stat("/mnt/f", &st));
	RL(rump_sys_stat("/mnt/under", &st));
	RL(rump_sys_stat("/mnt", &st));
	RL(rump_sys_stat("/", &sroot));
	ATF_REQUIRE_EQ(sroot.st_dev, st.st_dev);
	ERR(EINVAL, rump_sys_umount2("/mnt", 0));
	/* Mount again: a fresh, empty file system. */
	RL(rump_sys_mount("tmpfs", "/mnt", "tmpfs", 0, NULL));
	ERR(ENOENT, rump_sys_stat("/mnt/f", &st));
	RL(rump_sys_umount2("/mnt", 0));
}

ATF_TC(umount_busy_cwd);
ATF_TC_HEAD(umount_busy_cwd, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "a process whose cwd is on the mount keeps it busy (EBUSY)");
}
ATF_TC_BODY(umount_busy_cwd, tc)
{
	struct lwp *inside;
	int error;

	boot();
	RL(rump_sys_mkdir("/mnt", 0755));
	RL(rump_sys_mount("tmpfs", "/mnt", "tmpfs", 0, NULL));
	RL(rump_sys_mkdir("/mnt/d", 0755));
	error = rump_lwproc_rfork(RUMP_RFCFDG);
	ATF_REQUIRE_EQ(0, error);
	inside = rump_lwproc_curlwp();
	RL(rump_sys_chdir("/mnt/d"));
	rump_lwproc_switch(NULL);
	ERR(EBUSY, rump_sys_umount2("/mnt", 0));
	rump_lwproc_switch(inside);
	RL(rump_sys_chdir("/"));
	rump_lwproc_switch(NULL);
	RL(rump_sys_umount2("/mnt", 0));
}

ATF_TC(mount_crossing);
ATF_TC_HEAD(mount_crossing, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "paths cross mount points both ways: own st_dev, '..' of the "
	    "mount root is the parent, getcwd through the mount; rename and "
	    "link across mounts give EXDEV");
}
ATF_TC_BODY(mount_crossing, tc)
{
	char buf[64];
	struct stat sm, sroot, st;
	int fd;

	boot();
	RL(rump_sys_mkdir("/mnt", 0755));
	fd = (int)RL(rump_sys_open("/top", O_WRONLY | O_CREAT, 0644));
	RL(rump_sys_close(fd));
	RL(rump_sys_mount("tmpfs", "/mnt", "tmpfs", 0, NULL));
	RL(rump_sys_stat("/mnt", &sm));
	RL(rump_sys_stat("/", &sroot));
	ATF_REQUIRE(sm.st_dev != sroot.st_dev);
	ATF_REQUIRE(S_ISDIR(sm.st_mode));
	RL(rump_sys_stat("/mnt/..", &st));
	ATF_REQUIRE_EQ(sroot.st_ino, st.st_ino);
	ATF_REQUIRE_EQ(sroot.st_dev, st.st_dev);
	RL(rump_sys_mkdir("/mnt/d", 0755));
	RL(rump_sys_chdir("/mnt/d"));
	ATF_REQUIRE_EQ(7, rump_sys_getcwd(buf, sizeof(buf)));
	ATF_REQUIRE_STREQ("/mnt/d", buf);
	RL(rump_sys_chdir("../.."));
	ATF_REQUIRE_EQ(2, rump_sys_getcwd(buf, sizeof(buf)));
	ATF_REQUIRE_STREQ("/", buf);
	ERR(EXDEV, rump_sys_rename("/top", "/mnt/top"));
	ERR(EXDEV, rump_sys_link("/top", "/mnt/top"));
	ERR(EXDEV, rump_sys_rename("/mnt/d", "/d"));
	RL(rump_sys_stat("/top", &st));
	/* The mount point itself cannot be removed or renamed. */
	ERR(EBUSY, rump_sys_rmdir("/mnt"));
	ERR(EBUSY, rump_sys_rename("/mnt", "/mnt2"));
	RL(rump_sys_umount2("/mnt", 0));
	RL(rump_sys_rmdir("/mnt"));
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, memlimit_fill_and_free);
	ATF_TP_ADD_TC(tp, tmpfs_size_limit);
	ATF_TP_ADD_TC(tp, tmpfs_nr_inodes);
	ATF_TP_ADD_TC(tp, tmpfs_remount);
	ATF_TP_ADD_TC(tp, tmpfs_default_size);
	ATF_TP_ADD_TC(tp, mount_errors);
	ATF_TP_ADD_TC(tp, umount_busy);
	ATF_TP_ADD_TC(tp, umount_busy_cwd);
	ATF_TP_ADD_TC(tp, mount_crossing);
	return atf_no_error();
}
