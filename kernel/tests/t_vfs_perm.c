/*
 * t_vfs_perm.c: permission checks with non-root credentials.
 *
 * Each test sets up files as root (the unbound host thread runs as a
 * root process), then forks a rump process with rump_lwproc_rfork() and
 * drops it to uid/gid 1000 with no supplementary groups.  Every expected
 * errno is what Linux returns for the same call (checked against a Linux
 * host with an ordinary fork()+setuid()).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <atf-c.h>

#include <rump/rump.h>
#include <rump/rump_syscalls.h>

#include "h_rumptest.h"

#define USER	1000
#define GROUP	1000
#define NOCHANGE ((uint32_t)-1)

/* Boots, and starts every case as root with umask 0 and a root directory
 * of known mode. */
static void
boot_as_root(void)
{
	boot();
	ATF_REQUIRE_EQ_MSG(0, rump_sys_geteuid(), "boot euid %u",
	    rump_sys_geteuid());
	rump_sys_umask(0);
	RL(rump_sys_chmod("/", 0755));
}


static void
mkfile(const char *path, const char *data, int mode)
{
	int fd = (int)RL(rump_sys_open(path, O_WRONLY | O_CREAT | O_EXCL,
	    mode));
	size_t len = strlen(data);

	if (len)
		ATF_REQUIRE_EQ((ssize_t)len, rump_sys_write(fd, data, len));
	RL(rump_sys_close(fd));
	RL(rump_sys_chmod(path, (uint32_t)mode));
}

/* A new rump process (bound to this thread) running as uid/gid. */
static void
become(uint32_t uid, uint32_t gid)
{
	int error = rump_lwproc_rfork(RUMP_RFFDG);

	ATF_REQUIRE_EQ_MSG(0, error, "rump_lwproc_rfork: %d", error);
	RL(rump_sys_setgroups(0, NULL));
	RL(rump_sys_setgid(gid));
	RL(rump_sys_setuid(uid));
	ATF_REQUIRE_EQ(uid, rump_sys_getuid());
	ATF_REQUIRE_EQ(uid, rump_sys_geteuid());
	ATF_REQUIRE_EQ(gid, rump_sys_getgid());
	ATF_REQUIRE_EQ(gid, rump_sys_getegid());
	ATF_REQUIRE_EQ(0, rump_sys_getgroups(0, NULL));
}

static bool
exists(const char *path)
{
	struct stat st;

	return rump_sys_lstat(path, &st) == 0;
}

/* ------------------------------------------------------------------ */

ATF_TC(file_read_write);
ATF_TC_HEAD(file_read_write, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "non-root: EACCES reading a 0600 root file, writing/truncating a "
	    "0644 root file; reading 0644 and writing 0666 work");
}
ATF_TC_BODY(file_read_write, tc)
{
	char buf[16];
	int fd;

	boot_as_root();
	mkfile("/p600", "secret", 0600);
	mkfile("/p644", "public", 0644);
	mkfile("/p666", "shared", 0666);
	mkfile("/p604", "other", 0604);
	mkfile("/p640", "group", 0640);
	become(USER, GROUP);

	ERR(EACCES, rump_sys_open("/p600", O_RDONLY));
	ERR(EACCES, rump_sys_open("/p600", O_WRONLY));
	ERR(EACCES, rump_sys_open("/p644", O_WRONLY));
	ERR(EACCES, rump_sys_open("/p644", O_RDWR));
	ERR(EACCES, rump_sys_open("/p644", O_WRONLY | O_TRUNC));
	ERR(EACCES, rump_sys_open("/p644", O_WRONLY | O_APPEND));
	ERR(EACCES, rump_sys_truncate("/p644", 0));
	ERR(EACCES, rump_sys_open("/p640", O_RDONLY));
	fd = (int)RL(rump_sys_open("/p644", O_RDONLY));
	ATF_REQUIRE_EQ(6, rump_sys_read(fd, buf, sizeof(buf)));
	ATF_REQUIRE_EQ(0, memcmp(buf, "public", 6));
	/* Opened read-only: no write through this descriptor either. */
	ERR(EBADF, rump_sys_write(fd, "x", 1));
	ERR(EINVAL, rump_sys_ftruncate(fd, 0));
	RL(rump_sys_close(fd));
	fd = (int)RL(rump_sys_open("/p604", O_RDONLY));
	RL(rump_sys_close(fd));
	fd = (int)RL(rump_sys_open("/p666", O_RDWR));
	ATF_REQUIRE_EQ(1, rump_sys_write(fd, "S", 1));
	RL(rump_sys_close(fd));
	RL(rump_sys_truncate("/p666", 3));

	/* utimensat: "now" needs write access, explicit times ownership. */
	{
		struct timespec ts[2] = { { 1, 0 }, { 1, 0 } };
		struct timespec now[2] = { { 0, UTIME_NOW }, { 0, UTIME_NOW } };

		RL(rump_sys_utimensat(AT_FDCWD, "/p666", NULL, 0));
		RL(rump_sys_utimensat(AT_FDCWD, "/p666", now, 0));
		ERR(EACCES, rump_sys_utimensat(AT_FDCWD, "/p644", NULL, 0));
		ERR(EPERM, rump_sys_utimensat(AT_FDCWD, "/p666", ts, 0));
		ERR(EPERM, rump_sys_utimensat(AT_FDCWD, "/p644", ts, 0));
	}
	/* Nothing changed in the protected files. */
	rump_lwproc_switch(NULL);
	fd = (int)RL(rump_sys_open("/p644", O_RDONLY));
	ATF_REQUIRE_EQ(6, rump_sys_read(fd, buf, sizeof(buf)));
	ATF_REQUIRE_EQ(0, memcmp(buf, "public", 6));
	RL(rump_sys_close(fd));
}

ATF_TC(dir_write_denied);
ATF_TC_HEAD(dir_write_denied, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "non-root in a 0755 root directory: EACCES for create, mkdir, "
	    "symlink, link, unlink, rename, rmdir; a 0777 directory allows "
	    "them and new files belong to the user");
}
ATF_TC_BODY(dir_write_denied, tc)
{
	struct stat st;
	int fd;

	boot_as_root();
	RL(rump_sys_mkdir("/pub", 0755));
	RL(rump_sys_mkdir("/pub/sub", 0755));
	mkfile("/pub/f", "f", 0666);
	RL(rump_sys_mkdir("/open", 0777));
	become(USER, GROUP);

	ERR(EACCES, rump_sys_open("/pub/new", O_WRONLY | O_CREAT, 0644));
	ERR(EACCES, rump_sys_mkdir("/pub/newdir", 0755));
	ERR(EACCES, rump_sys_symlink("/x", "/pub/sl"));
	ERR(EACCES, rump_sys_link("/pub/f", "/pub/f2"));
	ERR(EACCES, rump_sys_unlink("/pub/f"));
	ERR(EACCES, rump_sys_rename("/pub/f", "/pub/g"));
	ERR(EACCES, rump_sys_rename("/pub/f", "/open/g"));
	ERR(EACCES, rump_sys_rmdir("/pub/sub"));
	ERR(EACCES, rump_sys_open("/newtop", O_WRONLY | O_CREAT, 0644));
	/* Existing files can still be opened for writing (0666). */
	fd = (int)RL(rump_sys_open("/pub/f", O_WRONLY | O_CREAT, 0644));
	RL(rump_sys_close(fd));
	ATF_REQUIRE(exists("/pub/f") && !exists("/pub/new") &&
	    !exists("/pub/g") && !exists("/open/g") && exists("/pub/sub"));

	/* A world-writable directory. */
	fd = (int)RL(rump_sys_open("/open/mine", O_WRONLY | O_CREAT, 0640));
	RL(rump_sys_close(fd));
	RL(rump_sys_stat("/open/mine", &st));
	ATF_REQUIRE_EQ(USER, st.st_uid);
	ATF_REQUIRE_EQ(GROUP, st.st_gid);
	RL(rump_sys_mkdir("/open/mydir", 0700));
	RL(rump_sys_stat("/open/mydir", &st));
	ATF_REQUIRE_EQ(USER, st.st_uid);
	ATF_REQUIRE_EQ(GROUP, st.st_gid);
	RL(rump_sys_symlink("mine", "/open/sl"));
	RL(rump_sys_lstat("/open/sl", &st));
	ATF_REQUIRE_EQ(USER, st.st_uid);
	RL(rump_sys_rename("/open/mine", "/open/mydir/moved"));
	RL(rump_sys_unlink("/open/mydir/moved"));
	RL(rump_sys_rmdir("/open/mydir"));
}

ATF_TC(search_permission);
ATF_TC_HEAD(search_permission, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "non-root and directory search (x) permission: EACCES inside a "
	    "0700 root directory whether or not the name exists; ENOENT in a "
	    "searchable one; 0711 allows lookup but not listing");
}
ATF_TC_BODY(search_permission, tc)
{
	struct stat st;
	int fd;

	boot_as_root();
	RL(rump_sys_mkdir("/priv", 0700));
	mkfile("/priv/e", "e", 0644);
	RL(rump_sys_mkdir("/priv/sub", 0755));
	RL(rump_sys_mkdir("/pub", 0755));
	RL(rump_sys_mkdir("/x711", 0711));
	mkfile("/x711/e", "e", 0644);
	RL(rump_sys_mkdir("/r744", 0744));
	mkfile("/r744/e", "e", 0644);
	become(USER, GROUP);

	ERR(EACCES, rump_sys_stat("/priv/e", &st));
	ERR(EACCES, rump_sys_stat("/priv/missing", &st));
	ERR(EACCES, rump_sys_stat("/priv/sub/deeper", &st));
	ERR(EACCES, rump_sys_open("/priv/e", O_RDONLY));
	ERR(EACCES, rump_sys_open("/priv/new", O_WRONLY | O_CREAT, 0644));
	ERR(EACCES, rump_sys_chdir("/priv"));
	ERR(EACCES, rump_sys_open("/priv", O_RDONLY));
	ERR(EACCES, rump_sys_access("/priv/e", F_OK));
	/* The directory itself is visible. */
	RL(rump_sys_stat("/priv", &st));
	ATF_REQUIRE(S_ISDIR(st.st_mode));

	ERR(ENOENT, rump_sys_stat("/pub/missing", &st));
	ERR(ENOENT, rump_sys_open("/pub/missing", O_RDONLY));

	/* Search without read. */
	RL(rump_sys_stat("/x711/e", &st));
	ERR(ENOENT, rump_sys_stat("/x711/missing", &st));
	ERR(EACCES, rump_sys_open("/x711", O_RDONLY | O_DIRECTORY));
	RL(rump_sys_chdir("/x711"));
	fd = (int)RL(rump_sys_open("e", O_RDONLY));
	RL(rump_sys_close(fd));
	RL(rump_sys_chdir("/"));
	/* Read without search: can list, cannot look up. */
	fd = (int)RL(rump_sys_open("/r744", O_RDONLY | O_DIRECTORY));
	{
		char buf[1024];
		ATF_REQUIRE(RL(rump_sys_getdents64(fd, buf, sizeof(buf))) > 0);
	}
	RL(rump_sys_close(fd));
	ERR(EACCES, rump_sys_stat("/r744/e", &st));
	ERR(EACCES, rump_sys_chdir("/r744"));
}

ATF_TC(chmod_chown_eperm);
ATF_TC_HEAD(chmod_chown_eperm, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "non-root: EPERM chmod/fchmod of another's file, EPERM chown "
	    "(to another uid, or to a group not a member of); chmod of own "
	    "file and chown to own ids / -1 work");
}
ATF_TC_BODY(chmod_chown_eperm, tc)
{
	struct stat st;
	int fd;

	boot_as_root();
	mkfile("/root644", "r", 0644);
	mkfile("/root666", "r", 0666);
	RL(rump_sys_mkdir("/open", 0777));
	become(USER, GROUP);

	ERR(EPERM, rump_sys_chmod("/root644", 0777));
	ERR(EPERM, rump_sys_chmod("/root666", 0666));
	ERR(EPERM, rump_sys_fchmodat(AT_FDCWD, "/root666", 0600, 0));
	fd = (int)RL(rump_sys_open("/root666", O_RDWR));
	ERR(EPERM, rump_sys_fchmod(fd, 0600));
	ERR(EPERM, rump_sys_fchown(fd, USER, GROUP));
	RL(rump_sys_close(fd));
	ERR(EPERM, rump_sys_chown("/root644", USER, GROUP));
	ERR(EPERM, rump_sys_chown("/root644", USER, NOCHANGE));
	ERR(EPERM, rump_sys_lchown("/root644", USER, NOCHANGE));
	RL(rump_sys_stat("/root644", &st));
	ATF_REQUIRE_EQ(0644, st.st_mode & 07777);
	ATF_REQUIRE_EQ(0, st.st_uid);

	fd = (int)RL(rump_sys_open("/open/mine", O_WRONLY | O_CREAT, 0644));
	RL(rump_sys_close(fd));
	RL(rump_sys_chmod("/open/mine", 0600));
	RL(rump_sys_stat("/open/mine", &st));
	ATF_REQUIRE_EQ(0600, st.st_mode & 07777);
	ERR(EPERM, rump_sys_chown("/open/mine", 1001, NOCHANGE));
	ERR(EPERM, rump_sys_chown("/open/mine", 0, NOCHANGE));
	ERR(EPERM, rump_sys_chown("/open/mine", NOCHANGE, 1001));
	ERR(EPERM, rump_sys_chown("/open/mine", NOCHANGE, 0));
	RL(rump_sys_chown("/open/mine", NOCHANGE, NOCHANGE));
	RL(rump_sys_chown("/open/mine", USER, GROUP));
	RL(rump_sys_stat("/open/mine", &st));
	ATF_REQUIRE_EQ(USER, st.st_uid);
	ATF_REQUIRE_EQ(GROUP, st.st_gid);
}

ATF_TC(sticky_directory);
ATF_TC_HEAD(sticky_directory, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "a 1777 directory: users create files, but cannot unlink or "
	    "rename (or replace) other users' files: EPERM; own files go");
}
ATF_TC_BODY(sticky_directory, tc)
{
	struct lwp *u1000;
	int fd;

	boot_as_root();
	RL(rump_sys_mkdir("/tmp", 01777));
	mkfile("/tmp/rootf", "root", 0666);
	become(USER, GROUP);
	u1000 = rump_lwproc_curlwp();
	ATF_REQUIRE(u1000 != NULL);

	fd = (int)RL(rump_sys_open("/tmp/mine", O_WRONLY | O_CREAT, 0666));
	RL(rump_sys_close(fd));
	fd = (int)RL(rump_sys_open("/tmp/mine2", O_WRONLY | O_CREAT, 0666));
	RL(rump_sys_close(fd));
	ERR(EPERM, rump_sys_unlink("/tmp/rootf"));
	ERR(EPERM, rump_sys_rename("/tmp/rootf", "/tmp/x"));
	ERR(EPERM, rump_sys_rename("/tmp/mine", "/tmp/rootf"));
	ATF_REQUIRE(exists("/tmp/rootf") && exists("/tmp/mine"));
	/* Writing the 0666 file is fine: sticky is about names. */
	fd = (int)RL(rump_sys_open("/tmp/rootf", O_WRONLY));
	RL(rump_sys_close(fd));
	RL(rump_sys_rename("/tmp/mine2", "/tmp/mine3"));
	RL(rump_sys_unlink("/tmp/mine3"));

	/* Another user cannot remove user 1000's file. */
	rump_lwproc_switch(NULL);
	become(2000, 2000);
	ERR(EPERM, rump_sys_unlink("/tmp/mine"));
	ERR(EPERM, rump_sys_rename("/tmp/mine", "/tmp/stolen"));
	rump_lwproc_releaselwp();

	/* The owner can; root can remove anyone's. */
	rump_lwproc_switch(u1000);
	RL(rump_sys_unlink("/tmp/mine"));
	rump_lwproc_switch(NULL);
	RL(rump_sys_unlink("/tmp/rootf"));
}

ATF_TC(setuid_irreversible);
ATF_TC_HEAD(setuid_irreversible, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "after root's setuid(1000): setuid(0), setgid(0), setgroups EPERM; "
	    "setuid to the own uid works; credentials are per process");
}
ATF_TC_BODY(setuid_irreversible, tc)
{
	uint32_t g[1] = { 5 };
	struct lwp *user;

	boot_as_root();
	become(USER, GROUP);
	user = rump_lwproc_curlwp();
	ERR(EPERM, rump_sys_setuid(0));
	ERR(EPERM, rump_sys_setuid(1001));
	ERR(EPERM, rump_sys_setgid(0));
	ERR(EPERM, rump_sys_setgid(1001));
	ERR(EPERM, rump_sys_setgroups(1, g));
	ERR(EPERM, rump_sys_setgroups(0, NULL));
	RL(rump_sys_setuid(USER));
	RL(rump_sys_setgid(GROUP));
	ATF_REQUIRE_EQ(USER, rump_sys_getuid());
	ATF_REQUIRE_EQ(USER, rump_sys_geteuid());

	/* A child of the user process is the user too. */
	ATF_REQUIRE_EQ(0, rump_lwproc_rfork(RUMP_RFFDG));
	ATF_REQUIRE_EQ(USER, rump_sys_getuid());
	ATF_REQUIRE_EQ(GROUP, rump_sys_getgid());
	ERR(EPERM, rump_sys_setuid(0));
	rump_lwproc_releaselwp();
	/* The unbound thread (init process) is still root. */
	rump_lwproc_switch(NULL);
	ATF_REQUIRE_EQ(0, rump_sys_getuid());
	ATF_REQUIRE_EQ(0, rump_sys_geteuid());
	rump_lwproc_switch(user);
	ATF_REQUIRE_EQ(USER, rump_sys_geteuid());
}

ATF_TC(access_real_ids);
ATF_TC_HEAD(access_real_ids, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "access()/faccessat() as a non-root user check the user's ids: "
	    "R_OK/W_OK/X_OK against owner/group/other bits");
}
ATF_TC_BODY(access_real_ids, tc)
{
	boot_as_root();
	mkfile("/p600", "", 0600);
	mkfile("/p644", "", 0644);
	mkfile("/p755", "", 0755);
	mkfile("/p070", "", 0070);
	RL(rump_sys_chown("/p070", 0, GROUP));
	mkfile("/u400", "", 0400);
	RL(rump_sys_chown("/u400", USER, 0));
	become(USER, GROUP);

	ERR(EACCES, rump_sys_access("/p600", R_OK));
	RL(rump_sys_access("/p600", F_OK));
	RL(rump_sys_access("/p644", R_OK));
	ERR(EACCES, rump_sys_access("/p644", W_OK));
	ERR(EACCES, rump_sys_access("/p644", R_OK | W_OK));
	ERR(EACCES, rump_sys_access("/p644", X_OK));
	RL(rump_sys_access("/p755", R_OK | X_OK));
	/* Group bits apply through the group. */
	RL(rump_sys_access("/p070", R_OK | W_OK | X_OK));
	/* Owner bits only, even if other bits would allow more. */
	RL(rump_sys_access("/u400", R_OK));
	ERR(EACCES, rump_sys_access("/u400", W_OK));
	RL(rump_sys_faccessat(AT_FDCWD, "/p644", R_OK, 0));
	ERR(EACCES, rump_sys_faccessat(AT_FDCWD, "/p600", R_OK, 0));
	RL(rump_sys_access("/", X_OK));
	ERR(EACCES, rump_sys_access("/", W_OK));
}

ATF_TC(mount_nonroot);
ATF_TC_HEAD(mount_nonroot, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "mount and umount2 as non-root: EPERM, even on the user's own "
	    "directory");
}
ATF_TC_BODY(mount_nonroot, tc)
{
	struct stat st;

	boot_as_root();
	RL(rump_sys_mkdir("/mine", 0755));
	RL(rump_sys_chown("/mine", USER, GROUP));
	RL(rump_sys_mkdir("/mnt", 0755));
	RL(rump_sys_mount("tmpfs", "/mnt", "tmpfs", 0, NULL));
	become(USER, GROUP);
	ERR(EPERM, rump_sys_mount("tmpfs", "/mine", "tmpfs", 0, NULL));
	ERR(EPERM, rump_sys_umount2("/mnt", 0));
	rump_lwproc_switch(NULL);
	RL(rump_sys_stat("/mnt", &st));
	RL(rump_sys_umount2("/mnt", 0));
}

ATF_TC(root_overrides);
ATF_TC_HEAD(root_overrides, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "root reads and writes a 0000 file, searches a 0000 directory, "
	    "creates in a 0555 directory, removes others' files from a "
	    "sticky directory, chowns anything");
}
ATF_TC_BODY(root_overrides, tc)
{
	char buf[16];
	struct stat st;
	int fd;

	boot_as_root();
	mkfile("/z", "zero", 0000);
	fd = (int)RL(rump_sys_open("/z", O_RDWR));
	ATF_REQUIRE_EQ(4, rump_sys_read(fd, buf, sizeof(buf)));
	ATF_REQUIRE_EQ(0, memcmp(buf, "zero", 4));
	ATF_REQUIRE_EQ(1, rump_sys_pwrite64(fd, "Z", 1, 0));
	RL(rump_sys_close(fd));
	RL(rump_sys_mkdir("/d0", 0000));
	mkfile("/d0/in", "", 0644);
	RL(rump_sys_stat("/d0/in", &st));
	RL(rump_sys_mkdir("/r555", 0555));
	mkfile("/r555/in", "", 0644);
	RL(rump_sys_unlink("/r555/in"));
	RL(rump_sys_mkdir("/tmp", 01777));
	mkfile("/tmp/uf", "", 0644);
	RL(rump_sys_chown("/tmp/uf", USER, GROUP));
	RL(rump_sys_unlink("/tmp/uf"));
	RL(rump_sys_chown("/z", 4321, 8765));
	RL(rump_sys_chmod("/z", 0));
	fd = (int)RL(rump_sys_open("/z", O_RDONLY));
	RL(rump_sys_close(fd));
}

static mode_t
mode_of(const char *path)
{
	struct stat st;

	RL(rump_sys_stat(path, &st));
	return st.st_mode & 07777;
}

ATF_TC(write_drops_setid);
ATF_TC_HEAD(write_drops_setid, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "non-root: writing, truncating (also O_TRUNC) or chowning a file "
	    "drops set-user-ID, and set-group-ID when group-executable or "
	    "not the caller's group; a zero-length write drops nothing");
}
ATF_TC_BODY(write_drops_setid, tc)
{
	int fd;

	boot_as_root();
	mkfile("/su", "x", 06777);
	mkfile("/sg", "x", 02666);
	mkfile("/tr", "x", 04777);
	mkfile("/ot", "x", 04777);
	mkfile("/ft", "x", 06777);
	mkfile("/mine", "x", 0644);
	RL(rump_sys_chown("/mine", USER, GROUP));
	RL(rump_sys_chmod("/mine", 02644));
	mkfile("/mine2", "x", 0644);
	RL(rump_sys_chown("/mine2", USER, GROUP));
	RL(rump_sys_chmod("/mine2", 04755));
	become(USER, GROUP);

	fd = (int)RL(rump_sys_open("/su", O_WRONLY));
	ATF_REQUIRE_EQ(0, rump_sys_write(fd, "y", 0));
	ATF_REQUIRE_EQ(06777, mode_of("/su"));
	ATF_REQUIRE_EQ(1, rump_sys_write(fd, "y", 1));
	ATF_REQUIRE_EQ(0777, mode_of("/su"));
	RL(rump_sys_close(fd));
	/* Not group-executable, but not our group either. */
	fd = (int)RL(rump_sys_open("/sg", O_WRONLY));
	ATF_REQUIRE_EQ(1, rump_sys_pwrite64(fd, "y", 1, 5));
	ATF_REQUIRE_EQ(0666, mode_of("/sg"));
	RL(rump_sys_close(fd));
	RL(rump_sys_truncate("/tr", 1));
	ATF_REQUIRE_EQ(0777, mode_of("/tr"));
	fd = (int)RL(rump_sys_open("/ot", O_WRONLY | O_TRUNC));
	ATF_REQUIRE_EQ(0777, mode_of("/ot"));
	RL(rump_sys_close(fd));
	fd = (int)RL(rump_sys_open("/ft", O_RDWR));
	RL(rump_sys_ftruncate(fd, 0));
	ATF_REQUIRE_EQ(0777, mode_of("/ft"));
	RL(rump_sys_close(fd));
	/* Our group, not group-executable: a lock mark that stays. */
	fd = (int)RL(rump_sys_open("/mine", O_WRONLY));
	ATF_REQUIRE_EQ(1, rump_sys_write(fd, "y", 1));
	RL(rump_sys_close(fd));
	ATF_REQUIRE_EQ(02644, mode_of("/mine"));
	RL(rump_sys_chown("/mine", NOCHANGE, GROUP));
	ATF_REQUIRE_EQ(02644, mode_of("/mine"));
	/* Even a chown that changes nothing drops set-user-ID. */
	RL(rump_sys_chown("/mine2", NOCHANGE, NOCHANGE));
	ATF_REQUIRE_EQ(0755, mode_of("/mine2"));
}

ATF_TC(errno_precedence);
ATF_TC_HEAD(errno_precedence, tc)
{
	atf_tc_set_md_var(tc, "descr",
	    "which error wins for non-root, as on Linux: EACCES before "
	    "ENOTDIR/EISDIR in rmdir/unlink, ENOENT for 'name/' before "
	    "EACCES in symlink/link, ENOTDIR before the moved directory's "
	    "write permission in rename; EPERM for O_NOATIME on another's "
	    "file");
}
ATF_TC_BODY(errno_precedence, tc)
{
	int fd;

	boot_as_root();
	RL(rump_sys_mkdir("/ro", 0755));
	RL(rump_sys_mkdir("/ro/d", 0755));
	mkfile("/ro/f", "f", 0644);
	RL(rump_sys_mkdir("/w", 0777));
	RL(rump_sys_mkdir("/w/src", 0755));
	RL(rump_sys_mkdir("/w2", 0777));
	mkfile("/w2/t", "t", 0666);
	become(USER, GROUP);

	ERR(EACCES, rump_sys_rmdir("/ro/f"));
	ERR(EACCES, rump_sys_unlink("/ro/d"));
	ERR(EISDIR, rump_sys_unlink("/ro/d/"));
	ERR(ENOTDIR, rump_sys_unlink("/ro/f/"));
	ERR(ENOENT, rump_sys_symlink("t", "/ro/new/"));
	ERR(ENOENT, rump_sys_link("/ro/f", "/ro/new/"));
	ERR(EACCES, rump_sys_symlink("t", "/ro/new"));
	ERR(ENOTDIR, rump_sys_rename("/w/src", "/w2/t"));
	ERR(EACCES, rump_sys_rename("/w/src", "/w2/new"));

	ERR(EPERM, rump_sys_open("/ro/f", O_RDONLY | O_NOATIME));
	fd = (int)RL(rump_sys_open("/ro/f", O_RDONLY));
	ERR(EPERM, rump_sys_fcntl(fd, F_SETFL, O_NOATIME));
	RL(rump_sys_close(fd));
	fd = (int)RL(rump_sys_open("/w2/mine", O_RDWR | O_CREAT, 0600));
	RL(rump_sys_close(fd));
	fd = (int)RL(rump_sys_open("/w2/mine", O_RDONLY | O_NOATIME));
	RL(rump_sys_fcntl(fd, F_SETFL, O_NOATIME));
	RL(rump_sys_close(fd));
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, file_read_write);
	ATF_TP_ADD_TC(tp, dir_write_denied);
	ATF_TP_ADD_TC(tp, search_permission);
	ATF_TP_ADD_TC(tp, chmod_chown_eperm);
	ATF_TP_ADD_TC(tp, sticky_directory);
	ATF_TP_ADD_TC(tp, setuid_irreversible);
	ATF_TP_ADD_TC(tp, access_real_ids);
	ATF_TP_ADD_TC(tp, mount_nonroot);
	ATF_TP_ADD_TC(tp, root_overrides);
	ATF_TP_ADD_TC(tp, write_drops_setid);
	ATF_TP_ADD_TC(tp, errno_precedence);
	return atf_no_error();
}
