/*
 * h_fatimg.h: what the FAT tests share: host tools (mkfs.fat, fsck.fat,
 * mtools) run on image files, and mounting an image in the kernel.
 * Header-only, like h_rumptest.h.
 */
#ifndef H_FATIMG_H
#define H_FATIMG_H

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <atf-c.h>

#include <rump/rump.h>
#include <rump/rump_etfs.h>
#include <rump/rump_syscalls.h>

#include "h_rumptest.h"

#define FAT_KEY	"/dev/fat0"
#define FAT_MNT	"/mnt"

/* Skips the test case unless every tool named is on PATH (or in
 * /sbin, /usr/sbin, where Debian puts dosfstools). */
static void __attribute__((unused))
require_tools(const char *first, ...)
{
	const char *t;
	char cmd[512];
	va_list ap;

	va_start(ap, first);
	for (t = first; t != NULL; t = va_arg(ap, const char *)) {
		snprintf(cmd, sizeof(cmd),
		    "PATH=$PATH:/sbin:/usr/sbin command -v %s >/dev/null 2>&1",
		    t);
		if (system(cmd) != 0) {
			va_end(ap);
			atf_tc_skip("%s is not installed (Debian: dosfstools, "
			    "mtools)", t);
		}
	}
	va_end(ap);
}

/* Runs a shell command; returns its exit status (-1: did not run). */
static int __attribute__((unused))
run(const char *fmt, ...)
{
	char cmd[4096], full[4200];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	snprintf(full, sizeof(full), "PATH=$PATH:/sbin:/usr/sbin; %s", cmd);
	st = system(full);
	if (st == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/* Runs a command that must succeed. */
#define RUN(...) do {							\
	int st_ = run(__VA_ARGS__);					\
	ATF_REQUIRE_MSG(st_ == 0, "command failed (%d): %s", st_,	\
	    #__VA_ARGS__);						\
} while (0)

/* mkfs.fat with the given FAT type and size in KiB, plus options. */
static void __attribute__((unused))
fat_mkfs(const char *img, int fattype, unsigned kib, const char *opts)
{
	unlink(img);
	RUN("mkfs.fat -F %d %s -C %s %u >/dev/null", fattype,
	    opts != NULL ? opts : "", img, kib);
}

/* fsck.fat -n must find nothing to complain about. */
static void __attribute__((unused))
fat_fsck_clean(const char *img)
{
	int st = run("fsck.fat -n %s > fsck.out 2>&1", img);

	if (st != 0) {
		(void)run("cat fsck.out >&2");
		atf_tc_fail("fsck.fat -n %s: exit %d (output above)", img, st);
	}
	/* fsck.fat exits 0 also when it only prints warnings. */
	if (run("grep -v -e '^fsck.fat' -e '^[^ ]*: [0-9]* files, "
	    "[0-9]*/[0-9]* clusters$' -e '^$' fsck.out >/dev/null") == 0) {
		(void)run("cat fsck.out >&2");
		atf_tc_fail("fsck.fat -n %s printed diagnostics (above)", img);
	}
}

static void __attribute__((unused))
fat_mount(const char *img, int flags, const char *opts)
{
	int error;
	struct stat st;

	error = rump_etfs_register(FAT_KEY, img, RUMP_ETFS_BLK);
	ATF_REQUIRE_MSG(error == 0 || error == EEXIST,
	    "rump_etfs_register(%s): %s", img, strerror(error));
	if (rump_sys_stat(FAT_MNT, &st) == -1)
		RL(rump_sys_mkdir(FAT_MNT, 0755));
	RL(rump_sys_mount(FAT_KEY, FAT_MNT, "vfat", flags, opts));
}

static void __attribute__((unused))
fat_umount(void)
{
	RL(rump_sys_umount2(FAT_MNT, 0));
}

/* Writes n bytes of buf to path in the kernel (created or truncated). */
static void __attribute__((unused))
k_writefile(const char *path, const void *buf, size_t n)
{
	int fd;

	fd = rump_sys_open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ATF_REQUIRE_MSG(fd != -1, "create %s: %s", path, strerror(errno));
	ATF_REQUIRE_EQ_MSG((ssize_t)n, rump_sys_write(fd, buf, n),
	    "write %s", path);
	RL(rump_sys_close(fd));
}

/* Reads path in the kernel; *np is its length.  Caller frees. */
static __attribute__((unused)) void *
k_readfile(const char *path, size_t *np)
{
	struct stat st;
	size_t got = 0;
	ssize_t r;
	char *buf;
	int fd;

	RL(fd = rump_sys_open(path, O_RDONLY));
	RL(rump_sys_fstat(fd, &st));
	buf = malloc((size_t)st.st_size + 1);
	ATF_REQUIRE(buf != NULL);
	while (got < (size_t)st.st_size) {
		r = rump_sys_read(fd, buf + got, (size_t)st.st_size - got);
		RL(r);
		if (r == 0)
			break;
		got += (size_t)r;
	}
	RL(rump_sys_close(fd));
	*np = got;
	return buf;
}

/* Reads a host file; NULL if absent. */
static __attribute__((unused)) void *
h_readfile(const char *path, size_t *np)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	ATF_REQUIRE(buf != NULL);
	ATF_REQUIRE((size_t)n == fread(buf, 1, (size_t)n, f));
	fclose(f);
	*np = (size_t)n;
	return buf;
}

static void __attribute__((unused))
h_writefile(const char *path, const void *buf, size_t n)
{
	FILE *f = fopen(path, "wb");

	ATF_REQUIRE(f != NULL);
	ATF_REQUIRE(n == fwrite(buf, 1, n, f));
	ATF_REQUIRE(fclose(f) == 0);
}

/* Deterministic pseudo-random bytes. */
static void __attribute__((unused))
pattern(void *p, size_t n, unsigned seed)
{
	unsigned char *c = p;
	uint32_t x = seed * 2654435761u + 1;
	size_t i;

	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		c[i] = (unsigned char)x;
	}
}

#endif /* H_FATIMG_H */
