/*
 * h_ext2.h: what the ext2 tests share: making images with e2fsprogs
 * (skipping when it is missing), mounting them through etfs, checking
 * them with e2fsck, and comparing files with what debugfs reads.
 */
#ifndef H_EXT2_H
#define H_EXT2_H

#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <rump/rump_etfs.h>
#include <rump/rump_syscalls.h>

#include "h_rumptest.h"

#ifndef __arraycount
#define __arraycount(a)	(sizeof(a) / sizeof((a)[0]))
#endif
#ifndef MIN
#define MIN(a, b)	((a) < (b) ? (a) : (b))
#endif

#define EXT2_KEY	"/dev/disk0"
#define EXT2_MNT	"/mnt"

static void __attribute__((unused))
need_e2fsprogs(void)
{
	if (system("command -v mke2fs >/dev/null 2>&1 && "
	    "command -v e2fsck >/dev/null 2>&1 && "
	    "command -v debugfs >/dev/null 2>&1") != 0)
		atf_tc_skip("e2fsprogs (mke2fs, e2fsck, debugfs) is not "
		    "installed");
}

/* Runs a shell command; returns its exit status (-1: did not run). */
static int __attribute__((unused, format(printf, 1, 2)))
sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	if (st == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/* mke2fs with the given options (e.g. "-t ext2 -b 1024") and size. */
static void __attribute__((unused))
mkfs(const char *img, const char *opts, const char *size)
{
	need_e2fsprogs();
	ATF_REQUIRE_MSG(sh("mke2fs -q -F %s %s %s >mkfs.out 2>&1", opts,
	    img, size) == 0, "mke2fs %s failed", opts);
}

/* e2fsck -fn must find nothing to fix. */
static void __attribute__((unused))
fsck_clean(const char *img)
{
	int st = sh("e2fsck -fn %s >fsck.out 2>&1", img);

	if (st != 0)
		(void)sh("cat fsck.out >&2");
	ATF_CHECK_EQ_MSG(st, 0, "e2fsck -fn %s: exit %d (see stderr)", img,
	    st);
}

static void __attribute__((unused))
mount_ext2(const char *img, bool ronly)
{
	struct stat st;
	int error;

	if (rump_sys_stat(EXT2_MNT, &st) == -1)
		RL(rump_sys_mkdir(EXT2_MNT, 0755));
	error = rump_etfs_register(EXT2_KEY, img, RUMP_ETFS_BLK);
	ATF_REQUIRE_MSG(error == 0 || error == EEXIST, "etfs: %s",
	    strerror(error));
	RL(rump_sys_mount(EXT2_KEY, EXT2_MNT, "ext2", ronly ? 1 : 0, NULL));
}

static void __attribute__((unused))
umount_ext2(void)
{
	RL(rump_sys_umount2(EXT2_MNT, 0));
}

/* Whole file through the kernel into a malloc'd buffer. */
static __attribute__((unused)) char *
rump_slurp(const char *path, size_t *lenp)
{
	struct stat st;
	char *buf;
	size_t done = 0;
	ssize_t n;
	int fd;

	RL(fd = rump_sys_open(path, O_RDONLY));
	RL(rump_sys_fstat(fd, &st));
	buf = malloc((size_t)st.st_size + 1);
	ATF_REQUIRE(buf != NULL);
	while (done < (size_t)st.st_size) {
		RL(n = rump_sys_read(fd, buf + done, (size_t)st.st_size - done));
		if (n == 0)
			break;
		done += (size_t)n;
	}
	RL(rump_sys_close(fd));
	*lenp = done;
	return buf;
}

static __attribute__((unused)) char *
host_slurp(const char *path, size_t *lenp)
{
	struct stat st;
	char *buf;
	int fd;

	RL(fd = open(path, O_RDONLY));
	RL(fstat(fd, &st));
	buf = malloc((size_t)st.st_size + 1);
	ATF_REQUIRE(buf != NULL);
	ATF_REQUIRE_EQ(read(fd, buf, (size_t)st.st_size), st.st_size);
	close(fd);
	*lenp = (size_t)st.st_size;
	return buf;
}

/* Deterministic contents for a file of the given seed. */
static void __attribute__((unused))
pattern(char *buf, size_t len, unsigned seed)
{
	uint32_t x = seed * 2654435761u + 1;
	size_t i;

	for (i = 0; i < len; i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (char)(x >> 16);
	}
}

/* Directory blocks ext2 has read since boot (ext2fs_dir.c). */
uint64_t rumpns_ext2_dirblk_reads(void);

static uint64_t __attribute__((unused))
dirblk_reads(void)
{
	uint64_t n;

	rump_schedule();
	n = rumpns_ext2_dirblk_reads();
	rump_unschedule();
	return n;
}

/*
 * Looks up each of n names made by namefn (i present when present(i))
 * and as many names that are missing (namefn's names never end in '~'), and checks that the directory blocks read
 * stay within what an index allows: the mount's root (one block), then
 * the index's levels and the leaf, plus one for a hash collision.  A
 * linear search reads half the directory per name on average (levels
 * 0: the directory has no index, and more than 10 blocks per lookup
 * are expected).
 */
static void __attribute__((unused))
lookup_all(const char *dir, int n, void (*namefn)(char *, size_t, int),
    bool (*present)(int), unsigned levels)
{
	char name[300], path[400];
	uint64_t before, reads;
	int i, looked = 0;

	before = dirblk_reads();
	for (i = 0; i < n; i++) {
		namefn(name, sizeof(name), i);
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		if (present(i))
			RL(rump_sys_access(path, 0));
		else
			ERR(ENOENT, rump_sys_access(path, 0));
		looked++;
		/* A name of the longest kind ends in '~' instead. */
		if (strlen(name) + 8 <= 255)
			snprintf(path, sizeof(path), "%s/%s-missing", dir,
			    name);
		else
			snprintf(path, sizeof(path), "%s/%.*s~", dir,
			    (int)strlen(name) - 1, name);
		ERR(ENOENT, rump_sys_access(path, 0));
		looked++;
	}
	reads = dirblk_reads() - before;
	fprintf(stderr, "%s: %d lookups read %llu directory blocks (%.2f "
	    "per lookup)\n", dir, looked, (unsigned long long)reads,
	    (double)reads / looked);
	if (levels > 0)
		ATF_CHECK_MSG(reads <= (uint64_t)looked * (levels + 3), "%d "
		    "lookups read %llu directory blocks: not through the "
		    "index", looked, (unsigned long long)reads);
	else
		ATF_CHECK_MSG(reads > (uint64_t)looked * 10, "%d lookups in "
		    "a directory without index read only %llu blocks",
		    looked, (unsigned long long)reads);
}

#endif /* H_EXT2_H */
