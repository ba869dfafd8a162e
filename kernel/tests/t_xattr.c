/*
 * t_xattr.c: extended attributes (setxattr, getxattr, listxattr,
 * removexattr and their l* and f* variants) on tmpfs and ext2: the
 * Linux error rules, the user./trusted. namespace rules for root and
 * for an unprivileged process, and on ext2 the on-disk format both ways
 * with e2fsprogs: what strata writes, debugfs ea_get reads and e2fsck
 * -fn accepts; what debugfs ea_set writes (in the inode and in an
 * attribute block), strata reads.
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/statfs.h>

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

#define IMG		"ext2.img"
#define X_CREATE	1
#define X_REPLACE	2

static void
k_mkfile(const char *path, mode_t mode)
{
	int fd;

	RL(fd = rump_sys_open(path, O_WRONLY | O_CREAT | O_TRUNC, mode));
	RL(rump_sys_write(fd, "data", 4));
	RL(rump_sys_close(fd));
}

/* value of name on path must be want (a string, without its NUL). */
static void
check_value(const char *path, const char *name, const char *want)
{
	char buf[256];
	ssize_t n;

	memset(buf, 0, sizeof(buf));
	n = rump_sys_getxattr(path, name, buf, sizeof(buf) - 1);
	ATF_REQUIRE_MSG(n >= 0, "getxattr %s %s: %s", path, name,
	    strerror(errno));
	ATF_CHECK_EQ_MSG((size_t)n, strlen(want), "%s %s: %zd bytes", path,
	    name, n);
	ATF_CHECK_STREQ(buf, want);
}

/* The names listxattr gives for path, sorted, each followed by a space
 * (order differs between file systems; the set does not). */
static void
list_sorted(const char *path, char *out, size_t outlen)
{
	char buf[4096], *names[128], *p;
	ssize_t n;
	size_t i, j, k = 0;

	RL(n = rump_sys_listxattr(path, buf, sizeof(buf)));
	for (p = buf; p < buf + n && k < 128; p += strlen(p) + 1)
		names[k++] = p;
	for (i = 1; i < k; i++)
		for (j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
			p = names[j];
			names[j] = names[j - 1];
			names[j - 1] = p;
		}
	out[0] = '\0';
	for (i = 0; i < k; i++) {
		strncat(out, names[i], outlen - strlen(out) - 1);
		strncat(out, " ", outlen - strlen(out) - 1);
	}
}

/* What every file system with xattrs does, run as root in dir. */
static void
generic(const char *dir)
{
	char f[256], d[256], l[256], p[256], buf[256], list[1024];
	static char big[70000];
	struct stat st1, st2;
	struct timespec ts[2] = { { 1, 0 }, { 1, 0 } };
	struct timespec tick = { 0, 20 * 1000 * 1000 };
	ssize_t n;
	int fd;

	snprintf(f, sizeof(f), "%s/file", dir);
	snprintf(d, sizeof(d), "%s/dir", dir);
	snprintf(l, sizeof(l), "%s/link", dir);
	snprintf(p, sizeof(p), "%s/fifo", dir);
	k_mkfile(f, 0644);
	RL(rump_sys_mkdir(d, 0755));
	RL(rump_sys_symlink("file", l));
	RL(rump_sys_mknod(p, S_IFIFO | 0644, 0));

	/* Nothing yet. */
	ATF_CHECK_EQ(rump_sys_listxattr(f, NULL, 0), 0);
	ERR(ENODATA, rump_sys_getxattr(f, "user.a", buf, sizeof(buf)));
	ERR(ENODATA, rump_sys_removexattr(f, "user.a"));
	ERR(ENODATA, rump_sys_setxattr(f, "user.a", "x", 1, X_REPLACE));

	/* Set, get, size query, list. */
	RL(rump_sys_utimensat(AT_FDCWD, f, ts, 0));
	RL(rump_sys_stat(f, &st1));
	RL(rump_sys_nanosleep(&tick, NULL));
	RL(rump_sys_setxattr(f, "user.a", "alpha", 5, 0));
	RL(rump_sys_stat(f, &st2));
	ATF_CHECK_MSG(st2.st_ctim.tv_sec != st1.st_ctim.tv_sec ||
	    st2.st_ctim.tv_nsec != st1.st_ctim.tv_nsec, "setxattr: no ctime");
	ATF_CHECK_EQ(st2.st_mtime, 1);
	RL(rump_sys_setxattr(f, "user.bb", "", 0, X_CREATE));
	RL(rump_sys_setxattr(f, "trusted.t", "tv", 2, 0));
	check_value(f, "user.a", "alpha");
	check_value(f, "user.bb", "");
	check_value(f, "trusted.t", "tv");
	ATF_CHECK_EQ(rump_sys_getxattr(f, "user.a", NULL, 0), 5);
	ERR(ERANGE, rump_sys_getxattr(f, "user.a", buf, 4));
	ATF_CHECK_EQ(rump_sys_listxattr(f, NULL, 0), 7 + 8 + 10);
	ERR(ERANGE, rump_sys_listxattr(f, buf, 10));
	list_sorted(f, list, sizeof(list));
	ATF_CHECK_STREQ(list, "trusted.t user.a user.bb ");

	/* Create and replace. */
	ERR(EEXIST, rump_sys_setxattr(f, "user.a", "x", 1, X_CREATE));
	RL(rump_sys_setxattr(f, "user.a", "a-longer-value", 14, X_REPLACE));
	check_value(f, "user.a", "a-longer-value");
	RL(rump_sys_setxattr(f, "user.a", "A", 1, 0));
	check_value(f, "user.a", "A");

	/* Argument errors, in Linux's order. */
	ERR(EINVAL, rump_sys_setxattr(f, "user.a", "x", 1, 4));
	ERR(ERANGE, rump_sys_setxattr(f, "", "x", 1, 0));
	memset(buf, 'n', 256);
	memcpy(buf, "user.", 5);
	buf[255] = '\0';		/* 255 bytes: the longest name */
	ERR(ENODATA, rump_sys_getxattr(f, buf, NULL, 0));
	RL(rump_sys_setxattr(f, buf, "v", 1, 0));
	ATF_CHECK_EQ(rump_sys_getxattr(f, buf, NULL, 0), 1);
	RL(rump_sys_removexattr(f, buf));
	memset(big, 'v', sizeof(big));
	{
		char longname[300];

		memset(longname, 'n', sizeof(longname));
		memcpy(longname, "user.", 5);
		longname[sizeof(longname) - 1] = '\0';
		ERR(ERANGE, rump_sys_setxattr(f, longname, "x", 1, 0));
		ERR(ERANGE, rump_sys_getxattr(f, longname, NULL, 0));
		ERR(ERANGE, rump_sys_removexattr(f, longname));
	}
	ERR(E2BIG, rump_sys_setxattr(f, "user.big", big, 65537, 0));
	ERR(EOPNOTSUPP, rump_sys_setxattr(f, "security.s", "x", 1, 0));
	ERR(EOPNOTSUPP, rump_sys_setxattr(f, "system.s", "x", 1, 0));
	ERR(EOPNOTSUPP, rump_sys_setxattr(f, "nonamespace", "x", 1, 0));
	ERR(EOPNOTSUPP, rump_sys_getxattr(f, "other.x", buf, sizeof(buf)));
	ERR(EINVAL, rump_sys_setxattr(f, "user.", "x", 1, 0));
	ERR(ENOENT, rump_sys_setxattr("/nonexistent", "user.a", "x", 1, 0));
	ERR(EFAULT, rump_sys_setxattr(f, NULL, "x", 1, 0));

	/* Directories take user attributes; symlinks and FIFOs do not. */
	RL(rump_sys_setxattr(d, "user.d", "dir", 3, 0));
	check_value(d, "user.d", "dir");
	ERR(EPERM, rump_sys_lsetxattr(l, "user.l", "x", 1, 0));
	ERR(ENODATA, rump_sys_lgetxattr(l, "user.a", buf, sizeof(buf)));
	ERR(EPERM, rump_sys_lremovexattr(l, "user.a"));
	ATF_CHECK_EQ(rump_sys_llistxattr(l, NULL, 0), 0);
	check_value(l, "user.a", "A");		/* followed */
	RL(rump_sys_lsetxattr(l, "trusted.l", "sym", 3, 0));
	RL(n = rump_sys_lgetxattr(l, "trusted.l", buf, sizeof(buf)));
	ATF_CHECK_EQ(n, 3);
	RL(rump_sys_lremovexattr(l, "trusted.l"));
	ERR(EPERM, rump_sys_setxattr(p, "user.p", "x", 1, 0));
	ERR(ENODATA, rump_sys_getxattr(p, "user.p", buf, sizeof(buf)));

	/* The f* calls, and O_PATH descriptors. */
	RL(fd = rump_sys_open(f, O_RDONLY));
	RL(rump_sys_fsetxattr(fd, "user.fd", "viafd", 5, 0));
	RL(n = rump_sys_fgetxattr(fd, "user.fd", buf, sizeof(buf)));
	ATF_CHECK_EQ(n, 5);
	ATF_CHECK_EQ(rump_sys_flistxattr(fd, NULL, 0), 7 + 8 + 10 + 8);
	RL(rump_sys_fremovexattr(fd, "user.fd"));
	ERR(ENODATA, rump_sys_fgetxattr(fd, "user.fd", buf, sizeof(buf)));
	RL(rump_sys_close(fd));
	RL(fd = rump_sys_open(f, O_PATH));
	ERR(EBADF, rump_sys_fgetxattr(fd, "user.a", buf, sizeof(buf)));
	RL(rump_sys_close(fd));
	ERR(EBADF, rump_sys_fsetxattr(-1, "user.a", "x", 1, 0));

	/* Remove. */
	RL(rump_sys_removexattr(f, "user.bb"));
	ERR(ENODATA, rump_sys_getxattr(f, "user.bb", buf, sizeof(buf)));
	list_sorted(f, list, sizeof(list));
	ATF_CHECK_STREQ(list, "trusted.t user.a ");
}

/* The rules for a process that is not root, in dir made by root. */
static void
unprivileged(const char *dir)
{
	char mine[256], other[256], sticky[256], buf[256], list[1024];
	ssize_t n;
	int error, p[2];

	snprintf(mine, sizeof(mine), "%s/mine", dir);
	snprintf(other, sizeof(other), "%s/other", dir);
	snprintf(sticky, sizeof(sticky), "%s/sticky", dir);
	k_mkfile(other, 0644);
	RL(rump_sys_setxattr(other, "user.o", "root", 4, 0));
	RL(rump_sys_setxattr(other, "trusted.o", "secret", 6, 0));
	RL(rump_sys_mkdir(sticky, 01777));
	RL(rump_sys_chmod(dir, 0777));

	error = rump_lwproc_rfork(RUMP_RFFDG);
	ATF_REQUIRE_EQ(error, 0);
	RL(rump_sys_setgroups(0, NULL));
	RL(rump_sys_setgid(1000));
	RL(rump_sys_setuid(1000));

	k_mkfile(mine, 0644);
	RL(rump_sys_setxattr(mine, "user.m", "mine", 4, 0));
	check_value(mine, "user.m", "mine");
	ERR(EPERM, rump_sys_setxattr(mine, "trusted.m", "x", 1, 0));
	ERR(ENODATA, rump_sys_getxattr(other, "trusted.o", buf, sizeof(buf)));
	ERR(EPERM, rump_sys_removexattr(other, "trusted.o"));
	/* Readable, not writable: get works, set is EACCES. */
	check_value(other, "user.o", "root");
	ERR(EACCES, rump_sys_setxattr(other, "user.o", "x", 1, 0));
	ERR(EACCES, rump_sys_removexattr(other, "user.o"));
	/* trusted.* names are not listed. */
	list_sorted(other, list, sizeof(list));
	ATF_CHECK_STREQ(list, "user.o ");
	RL(n = rump_sys_listxattr(other, NULL, 0));
	ATF_CHECK_EQ(n, 7);
	/* A sticky directory's attributes are its owner's to change. */
	ERR(EPERM, rump_sys_setxattr(sticky, "user.s", "x", 1, 0));
	RL(rump_sys_chmod(mine, 0));
	ERR(EACCES, rump_sys_getxattr(mine, "user.m", buf, sizeof(buf)));
	RL(rump_sys_chmod(mine, 0644));
	/* A pipe: the namespace rules before "no file system" (Linux's
	 * xattr_permission() before pipefs's EOPNOTSUPP). */
	RL(rump_sys_pipe2(p, 0));
	ERR(ENODATA, rump_sys_fgetxattr(p[0], "trusted.t", buf, sizeof(buf)));
	ERR(EPERM, rump_sys_fsetxattr(p[0], "trusted.t", "x", 1, 0));
	ERR(EPERM, rump_sys_fremovexattr(p[1], "trusted.t"));
	ERR(ENODATA, rump_sys_fgetxattr(p[0], "user.u", buf, sizeof(buf)));
	ERR(EOPNOTSUPP, rump_sys_fgetxattr(p[0], "security.s", buf,
	    sizeof(buf)));
	RL(rump_sys_close(p[0]));
	RL(rump_sys_close(p[1]));
	rump_lwproc_releaselwp();
}

ATF_TC(tmpfs_calls);
ATF_TC_HEAD(tmpfs_calls, tc)
{
	atf_tc_set_md_var(tc, "descr", "tmpfs: set/get/list/remove and the "
	    "l*/f* calls, XATTR_CREATE/REPLACE, ENODATA, ERANGE, E2BIG, "
	    "EOPNOTSUPP for other namespaces, symlinks and FIFOs as Linux");
}
ATF_TC_BODY(tmpfs_calls, tc)
{
	boot();
	RL(rump_sys_mkdir("/t", 0755));
	generic("/t");
}

ATF_TC(tmpfs_unprivileged);
ATF_TC_HEAD(tmpfs_unprivileged, tc)
{
	atf_tc_set_md_var(tc, "descr", "tmpfs, as uid 1000: trusted.* is "
	    "EPERM/ENODATA and unlisted, EACCES without access, sticky "
	    "directories EPERM");
}
ATF_TC_BODY(tmpfs_unprivileged, tc)
{
	boot();
	RL(rump_sys_mkdir("/t", 0755));
	unprivileged("/t");
}

ATF_TC(tmpfs_limit);
ATF_TC_HEAD(tmpfs_limit, tc)
{
	atf_tc_set_md_var(tc, "descr", "tmpfs: a node holds at most 128 KiB "
	    "of attributes (ENOSPC), memory comes back on unlink");
}
ATF_TC_BODY(tmpfs_limit, tc)
{
	static char val[65536];
	char name[32];
	int i;

	boot();
	memset(val, 'x', sizeof(val));
	k_mkfile("/f", 0644);
	for (i = 0; i < 2; i++) {
		snprintf(name, sizeof(name), "user.v%d", i);
		RL(rump_sys_setxattr("/f", name, val, 65000, 0));
	}
	ERR(ENOSPC, rump_sys_setxattr("/f", "user.v2", val, 65000, 0));
	/* Replacing a value by a smaller one fits. */
	RL(rump_sys_setxattr("/f", "user.v1", val, 100, 0));
	RL(rump_sys_setxattr("/f", "user.v2", val, 65000, 0));
	RL(rump_sys_unlink("/f"));
}

/* --- ext2 ------------------------------------------------------------ */

ATF_TC(ext2_calls);
ATF_TC_HEAD(ext2_calls, tc)
{
	atf_tc_set_md_var(tc, "descr", "ext2 (1 KiB blocks, 256-byte "
	    "inodes): the same calls as on tmpfs; after unmount e2fsck -fn is "
	    "clean and debugfs ea_get reads every value; a remount reads "
	    "them back");
}
ATF_TC_BODY(ext2_calls, tc)
{
	mkfs(IMG, "-t ext2 -b 1024", "8M");
	boot();
	mount_ext2(IMG, false);
	generic(EXT2_MNT);
	umount_ext2();
	fsck_clean(IMG);
	ATF_CHECK_EQ(sh("debugfs -R 'ea_get -V /file user.a' " IMG
	    " 2>/dev/null | grep -qx A"), 0);
	ATF_CHECK_EQ(sh("debugfs -R 'ea_get -V /file trusted.t' " IMG
	    " 2>/dev/null | grep -qx tv"), 0);
	ATF_CHECK_EQ(sh("debugfs -R 'ea_get -V /dir user.d' " IMG
	    " 2>/dev/null | grep -qx dir"), 0);
	ATF_CHECK_EQ(sh("debugfs -R 'ea_list /file' " IMG
	    " 2>/dev/null | grep -c '^ *user\\.\\|^ *trusted\\.' | "
	    "grep -qx 2"), 0);
	mount_ext2(IMG, true);
	check_value(EXT2_MNT "/file", "user.a", "A");
	check_value(EXT2_MNT "/file", "trusted.t", "tv");
	check_value(EXT2_MNT "/dir", "user.d", "dir");
	ERR(EROFS, rump_sys_setxattr(EXT2_MNT "/file", "user.z", "z", 1, 0));
	ERR(EROFS, rump_sys_removexattr(EXT2_MNT "/file", "user.a"));
	umount_ext2();
}

ATF_TC(ext2_unprivileged);
ATF_TC_HEAD(ext2_unprivileged, tc)
{
	atf_tc_set_md_var(tc, "descr", "ext2, as uid 1000: the same "
	    "namespace and permission rules as on tmpfs; e2fsck -fn clean");
}
ATF_TC_BODY(ext2_unprivileged, tc)
{
	mkfs(IMG, "-t ext2 -b 4096", "8M");
	boot();
	mount_ext2(IMG, false);
	unprivileged(EXT2_MNT);
	umount_ext2();
	fsck_clean(IMG);
}

ATF_TC(ext2_from_debugfs);
ATF_TC_HEAD(ext2_from_debugfs, tc)
{
	atf_tc_set_md_var(tc, "descr", "Attributes debugfs ea_set wrote, "
	    "small ones in the 256-byte inode and large ones in a block, read "
	    "back through strata; a new small one joins them in the inode, "
	    "the block's last one goes with the block; e2fsck -fn clean, "
	    "debugfs reads the result");
}
ATF_TC_BODY(ext2_from_debugfs, tc)
{
	char big[600], buf[1024];
	ssize_t n;
	FILE *f;
	int fd;

	mkfs(IMG, "-t ext2 -b 1024", "8M");
	memset(big, 'B', sizeof(big));
	RL(fd = open("bigval", O_WRONLY | O_CREAT | O_TRUNC, 0644));
	ATF_REQUIRE_EQ(write(fd, big, sizeof(big)), (ssize_t)sizeof(big));
	close(fd);
	ATF_REQUIRE((f = fopen("script", "w")) != NULL);
	fprintf(f, "write /dev/null f\n"
	    "ea_set /f user.small tiny\n"
	    "ea_set /f trusted.small2 t2\n"
	    "ea_set -f bigval /f user.big\n"
	    "write /dev/null g\n"
	    "ea_set -f bigval /g user.onlyblock\n");
	fclose(f);
	ATF_REQUIRE_EQ(sh("debugfs -w -f script " IMG " >dbg.out 2>&1"), 0);
	fsck_clean(IMG);

	boot();
	mount_ext2(IMG, false);
	check_value(EXT2_MNT "/f", "user.small", "tiny");
	check_value(EXT2_MNT "/f", "trusted.small2", "t2");
	RL(n = rump_sys_getxattr(EXT2_MNT "/f", "user.big", buf,
	    sizeof(buf)));
	ATF_CHECK_EQ(n, (ssize_t)sizeof(big));
	ATF_CHECK(memcmp(buf, big, sizeof(big)) == 0);
	RL(n = rump_sys_getxattr(EXT2_MNT "/g", "user.onlyblock", buf,
	    sizeof(buf)));
	ATF_CHECK_EQ(n, (ssize_t)sizeof(big));
	ATF_CHECK_EQ(rump_sys_listxattr(EXT2_MNT "/f", NULL, 0),
	    11 + 15 + 9);
	/* A small new one goes into the inode beside the others. */
	RL(rump_sys_setxattr(EXT2_MNT "/f", "user.new", "fresh", 5, 0));
	RL(rump_sys_removexattr(EXT2_MNT "/g", "user.onlyblock"));
	ATF_CHECK_EQ(rump_sys_listxattr(EXT2_MNT "/g", NULL, 0), 0);
	umount_ext2();
	fsck_clean(IMG);
	ATF_CHECK_EQ(sh("debugfs -R 'ea_get -V /f user.small' " IMG
	    " 2>/dev/null | grep -qx tiny"), 0);
	ATF_CHECK_EQ(sh("debugfs -R 'ea_get -V /f user.new' " IMG
	    " 2>/dev/null | grep -qx fresh"), 0);
	ATF_CHECK_EQ(sh("debugfs -R 'ea_get -V /f trusted.small2' " IMG
	    " 2>/dev/null | grep -qx t2"), 0);
	ATF_CHECK_EQ(sh("debugfs -R 'ea_get -f out /f user.big' " IMG
	    " >/dev/null 2>&1 && cmp -s out bigval"), 0);
	ATF_CHECK_EQ(sh("debugfs -R 'stat /g' " IMG " 2>/dev/null | "
	    "grep -q 'File ACL: 0'"), 0);
}

/* The File ACL (attribute block) debugfs gives for path. */
static long
debugfs_acl(const char *path)
{
	char cmd[256];
	long acl = -1;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "debugfs -R 'stat %s' " IMG " 2>/dev/null"
	    " | sed -n 's/^File ACL: \\([0-9]*\\).*/\\1/p'", path);
	ATF_REQUIRE((p = popen(cmd, "r")) != NULL);
	if (fscanf(p, "%ld", &acl) != 1)
		acl = -1;
	pclose(p);
	return acl;
}

/* debugfs ea_list and strata's listxattr (a read-only mount) name the
 * same attributes. */
static void
lists_agree(const char *path)
{
	char kpath[128], klist[4096], *p;
	ssize_t n;
	FILE *f;

	snprintf(kpath, sizeof(kpath), EXT2_MNT "%s", path);
	mount_ext2(IMG, true);
	RL(n = rump_sys_listxattr(kpath, klist, sizeof(klist)));
	umount_ext2();
	ATF_REQUIRE((f = fopen("klist", "w")) != NULL);
	for (p = klist; p < klist + n; p += strlen(p) + 1)
		fprintf(f, "%s\n", p);
	fclose(f);
	ATF_CHECK_EQ_MSG(sh("debugfs -R 'ea_list %s' " IMG " 2>/dev/null | "
	    "sed -n 's/^ *\\([a-z]*\\.[^ ]*\\) (.*/\\1/p' | sort >dlist && "
	    "sort klist | cmp -s - dlist", path), 0, "%s: debugfs ea_list "
	    "and listxattr differ", path);
}

ATF_TC(ext2_in_inode);
ATF_TC_HEAD(ext2_in_inode, tc)
{
	atf_tc_set_md_var(tc, "descr", "ext2 with 256-byte inodes: small "
	    "attributes go into the inode (no attribute block) while they "
	    "fit, then into a block; a value grown past the inode's room "
	    "moves to the block, removals from either place work, the "
	    "block goes with its last attribute; debugfs ea_get/ea_list "
	    "agree and e2fsck -fn is clean after each step");
}
ATF_TC_BODY(ext2_in_inode, tc)
{
	char big[300], buf[512], name[32];
	ssize_t n;
	int i;

	memset(big, 'G', sizeof(big));
	mkfs(IMG, "-t ext2 -b 1024 -I 256", "8M");
	boot();
	mount_ext2(IMG, false);
	k_mkfile(EXT2_MNT "/f", 0644);
	RL(rump_sys_mkdir(EXT2_MNT "/d", 0755));
	RL(rump_sys_setxattr(EXT2_MNT "/f", "user.a", "A", 1, 0));
	RL(rump_sys_setxattr(EXT2_MNT "/f", "trusted.t", "tv", 2, 0));
	RL(rump_sys_setxattr(EXT2_MNT "/d", "user.d", "dir", 3, 0));
	umount_ext2();
	fsck_clean(IMG);
	ATF_CHECK_EQ(debugfs_acl("/f"), 0);
	ATF_CHECK_EQ(debugfs_acl("/d"), 0);
	ATF_CHECK_EQ(sh("debugfs -R 'ea_get -V /f user.a' " IMG
	    " 2>/dev/null | grep -qx A"), 0);
	ATF_CHECK_EQ(sh("debugfs -R 'ea_get -V /f trusted.t' " IMG
	    " 2>/dev/null | grep -qx tv"), 0);
	ATF_CHECK_EQ(sh("debugfs -R 'ea_get -V /d user.d' " IMG
	    " 2>/dev/null | grep -qx dir"), 0);
	lists_agree("/f");

	/* More until the inode is full (92 bytes after i_extra_isize 32
	 * and the magic): the rest go to a block. */
	mount_ext2(IMG, false);
	for (i = 0; i < 8; i++) {
		snprintf(name, sizeof(name), "user.more%d", i);
		RL(rump_sys_setxattr(EXT2_MNT "/f", name, "value-x", 7, 0));
	}
	umount_ext2();
	fsck_clean(IMG);
	ATF_CHECK(debugfs_acl("/f") > 0);
	ATF_CHECK_EQ(sh("debugfs -R 'ea_get -V /f user.more7' " IMG
	    " 2>/dev/null | grep -qx value-x"), 0);
	ATF_CHECK_EQ(sh("debugfs -R 'ea_get -V /f user.a' " IMG
	    " 2>/dev/null | grep -qx A"), 0);
	lists_agree("/f");

	/* An in-inode value grown past the room: to the block. */
	mount_ext2(IMG, false);
	RL(rump_sys_setxattr(EXT2_MNT "/f", "user.a", big, sizeof(big),
	    X_REPLACE));
	RL(n = rump_sys_getxattr(EXT2_MNT "/f", "user.a", buf, sizeof(buf)));
	ATF_CHECK_EQ(n, (ssize_t)sizeof(big));
	ATF_CHECK(memcmp(buf, big, sizeof(big)) == 0);
	/* Removals from the inode. */
	RL(rump_sys_removexattr(EXT2_MNT "/f", "trusted.t"));
	RL(rump_sys_removexattr(EXT2_MNT "/d", "user.d"));
	umount_ext2();
	fsck_clean(IMG);
	ATF_CHECK_EQ(sh("debugfs -R 'ea_get -f out /f user.a' " IMG
	    " >/dev/null 2>&1 && test $(wc -c <out) -eq 300 && "
	    "! grep -q '[^G]' out"), 0);
	ATF_CHECK(sh("debugfs -R 'ea_get /f trusted.t' " IMG
	    " 2>/dev/null | grep -q tv") != 0);
	lists_agree("/f");
	lists_agree("/d");

	/* Everything goes: no block left, e2fsck clean. */
	mount_ext2(IMG, false);
	RL(n = rump_sys_listxattr(EXT2_MNT "/f", buf, sizeof(buf)));
	for (i = 0; i < 8; i++) {
		snprintf(name, sizeof(name), "user.more%d", i);
		RL(rump_sys_removexattr(EXT2_MNT "/f", name));
	}
	RL(rump_sys_removexattr(EXT2_MNT "/f", "user.a"));
	ATF_CHECK_EQ(rump_sys_listxattr(EXT2_MNT "/f", NULL, 0), 0);
	umount_ext2();
	fsck_clean(IMG);
	ATF_CHECK_EQ(debugfs_acl("/f"), 0);
	lists_agree("/f");
	mount_ext2(IMG, true);
	ATF_CHECK_EQ(rump_sys_listxattr(EXT2_MNT "/f", NULL, 0), 0);
	umount_ext2();
}

ATF_TC(ext2_blocks);
ATF_TC_HEAD(ext2_blocks, tc)
{
	atf_tc_set_md_var(tc, "descr", "ext2: the attribute block is counted "
	    "in st_blocks, ENOSPC when a block is full, ERANGE for a value "
	    "larger than a block, blocks come back on removal and unlink; "
	    "e2fsck -fn clean throughout");
}
ATF_TC_BODY(ext2_blocks, tc)
{
	static char val[2048];
	struct statfs sf0, sf1;
	struct stat st0, st1;
	char name[32];
	int i, error;

	mkfs(IMG, "-t ext2 -b 1024 -I 128", "8M");
	boot();
	mount_ext2(IMG, false);
	memset(val, 'q', sizeof(val));
	k_mkfile(EXT2_MNT "/f", 0644);
	RL(rump_sys_statfs(EXT2_MNT, &sf0));
	RL(rump_sys_stat(EXT2_MNT "/f", &st0));
	RL(rump_sys_setxattr(EXT2_MNT "/f", "user.x", val, 100, 0));
	RL(rump_sys_stat(EXT2_MNT "/f", &st1));
	ATF_CHECK_EQ(st1.st_blocks, st0.st_blocks + 2);
	RL(rump_sys_statfs(EXT2_MNT, &sf1));
	ATF_CHECK_EQ(sf1.f_bfree, sf0.f_bfree - 1);
	ERR(ERANGE, rump_sys_setxattr(EXT2_MNT "/f", "user.huge", val, 1025,
	    0));
	/* Fill the block: 1024 - 32 header - 4 end. */
	for (i = 0, error = 0; i < 64 && error == 0; i++) {
		snprintf(name, sizeof(name), "user.n%02d", i);
		error = rump_sys_setxattr(EXT2_MNT "/f", name, val, 64, 0);
	}
	ATF_CHECK_EQ(error, -1);
	ATF_CHECK_EQ(rt_errno(), ENOSPC);
	ATF_CHECK(i > 5 && i < 64);
	/* Everything that was set is still there. */
	RL(rump_sys_getxattr(EXT2_MNT "/f", "user.n00", NULL, 0));
	RL(rump_sys_setxattr(EXT2_MNT "/f", "user.x", val, 1, 0));
	umount_ext2();
	fsck_clean(IMG);
	mount_ext2(IMG, false);
	/* Remove one by one: the block goes with the last. */
	RL(rump_sys_removexattr(EXT2_MNT "/f", "user.x"));
	for (i = 0; i < 64; i++) {
		snprintf(name, sizeof(name), "user.n%02d", i);
		(void)rump_sys_removexattr(EXT2_MNT "/f", name);
	}
	ATF_CHECK_EQ(rump_sys_listxattr(EXT2_MNT "/f", NULL, 0), 0);
	RL(rump_sys_stat(EXT2_MNT "/f", &st1));
	ATF_CHECK_EQ(st1.st_blocks, st0.st_blocks);
	RL(rump_sys_statfs(EXT2_MNT, &sf1));
	ATF_CHECK_EQ(sf1.f_bfree, sf0.f_bfree);
	/* A file with an attribute block, unlinked: the block comes back. */
	RL(rump_sys_setxattr(EXT2_MNT "/f", "user.x", val, 500, 0));
	RL(rump_sys_unlink(EXT2_MNT "/f"));
	RL(rump_sys_statfs(EXT2_MNT, &sf1));
	ATF_CHECK_EQ(sf1.f_bfree, sf0.f_bfree + 1);
	umount_ext2();
	fsck_clean(IMG);
}

ATF_TC(ext2_shared_block);
ATF_TC_HEAD(ext2_shared_block, tc)
{
	atf_tc_set_md_var(tc, "descr", "ext2: an attribute block two inodes "
	    "share (h_refcount 2, made by pointing a second inode at it with "
	    "debugfs) is copied on write, never changed under the other "
	    "inode; e2fsck -fn clean after");
}
ATF_TC_BODY(ext2_shared_block, tc)
{
	FILE *f;

	mkfs(IMG, "-t ext2 -b 1024 -I 128", "8M");
	ATF_REQUIRE((f = fopen("script", "w")) != NULL);
	fprintf(f, "write /dev/null a\nwrite /dev/null b\n"
	    "ea_set /a user.shared same\n");
	fclose(f);
	ATF_REQUIRE_EQ(sh("debugfs -w -f script " IMG " >dbg.out 2>&1"), 0);
	/* Share a's block with b: refcount 2, b's i_file_acl and
	 * i_blocks as a's. */
	ATF_REQUIRE_EQ(sh("b=$(debugfs -R 'stat /a' " IMG " 2>/dev/null | "
	    "sed -n 's/.*File ACL: \\([0-9]*\\).*/\\1/p') && "
	    "test -n \"$b\" && test \"$b\" != 0 && "
	    "debugfs -w -R \"sif /b file_acl $b\" " IMG " >/dev/null 2>&1 && "
	    "debugfs -w -R 'sif /b blocks 2' " IMG " >/dev/null 2>&1 && "
	    "printf '\\002' | dd of=" IMG " bs=1 seek=$((b * 1024 + 4)) "
	    "conv=notrunc 2>/dev/null"), 0);
	fsck_clean(IMG);
	boot();
	mount_ext2(IMG, false);
	check_value(EXT2_MNT "/b", "user.shared", "same");
	RL(rump_sys_setxattr(EXT2_MNT "/b", "user.shared", "changed", 7, 0));
	check_value(EXT2_MNT "/a", "user.shared", "same");
	check_value(EXT2_MNT "/b", "user.shared", "changed");
	umount_ext2();
	fsck_clean(IMG);
	mount_ext2(IMG, false);
	RL(rump_sys_unlink(EXT2_MNT "/a"));
	check_value(EXT2_MNT "/b", "user.shared", "changed");
	umount_ext2();
	fsck_clean(IMG);
}

/* The attribute block of path in IMG (debugfs stat), 0 if none. */
static uint64_t
acl_block(const char *path)
{
	char cmd[256];
	unsigned long long b = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "debugfs -R 'stat %s' " IMG " 2>/dev/null"
	    " | sed -n 's/.*File ACL: \\([0-9]*\\).*/\\1/p'", path);
	ATF_REQUIRE((p = popen(cmd, "r")) != NULL);
	if (fscanf(p, "%llu", &b) != 1)
		b = 0;
	pclose(p);
	return b;
}

ATF_TC(ext2_hostile);
ATF_TC_HEAD(ext2_hostile, tc)
{
	atf_tc_set_md_var(tc, "descr", "ext2: a damaged attribute block (bad "
	    "magic, an entry table without an end, a value past the block) "
	    "gives EIO, never a crash");
}
ATF_TC_BODY(ext2_hostile, tc)
{
	uint8_t blk[1024];
	char buf[64];
	uint64_t b;
	size_t off;
	FILE *f;
	int i, fd;

	for (i = 0; i < 3; i++) {
		mkfs(IMG, "-t ext2 -b 1024 -I 128", "8M");
		ATF_REQUIRE((f = fopen("script", "w")) != NULL);
		fprintf(f, "write /dev/null a\nea_set /a user.v value\n");
		fclose(f);
		ATF_REQUIRE_EQ(sh("debugfs -w -f script " IMG
		    " >dbg.out 2>&1"), 0);
		b = acl_block("/a");
		ATF_REQUIRE(b != 0);
		RL(fd = open(IMG, O_RDWR));
		ATF_REQUIRE_EQ(pread(fd, blk, sizeof(blk), (off_t)b * 1024),
		    (ssize_t)sizeof(blk));
		switch (i) {
		case 0:			/* magic */
			memcpy(blk, "XXXX", 4);
			break;
		case 1:			/* entries up to the end, no end mark */
			memset(blk + 32, 0xff, sizeof(blk) - 32);
			for (off = 32; off + 20 <= sizeof(blk); off += 20) {
				memset(blk + off, 0, 20);
				blk[off] = 4;		/* name length */
				blk[off + 1] = 1;	/* user. */
				memcpy(blk + off + 16, "abcd", 4);
			}
			break;
		case 2:			/* value offset past the block */
			blk[32 + 2] = 0xfc;	/* e_value_offs 1020 */
			blk[32 + 3] = 0x03;
			blk[32 + 8] = 100;	/* e_value_size */
			break;
		}
		ATF_REQUIRE_EQ(pwrite(fd, blk, sizeof(blk), (off_t)b * 1024),
		    (ssize_t)sizeof(blk));
		close(fd);
		if (i == 0)
			boot();
		mount_ext2(IMG, false);
		ERR(EIO, rump_sys_getxattr(EXT2_MNT "/a", "user.v", buf,
		    sizeof(buf)));
		ERR(EIO, rump_sys_listxattr(EXT2_MNT "/a", buf, sizeof(buf)));
		ERR(EIO, rump_sys_setxattr(EXT2_MNT "/a", "user.w", "x", 1,
		    0));
		umount_ext2();
	}
}

ATF_TC(fat_none);
ATF_TC_HEAD(fat_none, tc)
{
	atf_tc_set_md_var(tc, "descr", "FAT has no extended attributes: "
	    "EOPNOTSUPP, and an empty list, as Linux vfat");
}
ATF_TC_BODY(fat_none, tc)
{
	char buf[64];

	if (sh("rm -f fat.img; PATH=$PATH:/sbin:/usr/sbin "
	    "mkfs.fat -C fat.img 4096 >/dev/null 2>&1") != 0)
		atf_tc_skip("mkfs.fat (dosfstools) is not installed");
	boot();
	RL(rump_sys_mkdir("/mnt", 0755));
	RL(rump_etfs_register("/dev/fat0", "fat.img", RUMP_ETFS_BLK));
	RL(rump_sys_mount("/dev/fat0", "/mnt", "vfat", 0, NULL));
	k_mkfile("/mnt/f", 0644);
	ERR(EOPNOTSUPP, rump_sys_setxattr("/mnt/f", "user.a", "x", 1, 0));
	ERR(EOPNOTSUPP, rump_sys_getxattr("/mnt/f", "user.a", buf,
	    sizeof(buf)));
	ERR(EOPNOTSUPP, rump_sys_removexattr("/mnt/f", "user.a"));
	ATF_CHECK_EQ(rump_sys_listxattr("/mnt/f", buf, sizeof(buf)), 0);
	RL(rump_sys_umount2("/mnt", 0));
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, tmpfs_calls);
	ATF_TP_ADD_TC(tp, tmpfs_unprivileged);
	ATF_TP_ADD_TC(tp, tmpfs_limit);
	ATF_TP_ADD_TC(tp, ext2_calls);
	ATF_TP_ADD_TC(tp, ext2_unprivileged);
	ATF_TP_ADD_TC(tp, ext2_from_debugfs);
	ATF_TP_ADD_TC(tp, ext2_blocks);
	ATF_TP_ADD_TC(tp, ext2_in_inode);
	ATF_TP_ADD_TC(tp, ext2_shared_block);
	ATF_TP_ADD_TC(tp, ext2_hostile);
	ATF_TP_ADD_TC(tp, fat_none);
	return atf_no_error();
}
