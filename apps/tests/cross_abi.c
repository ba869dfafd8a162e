/*
 * cross_abi.c: on a generic-ABI target (aarch64, riscv64), struct stat,
 * statfs, epoll_event, O_* flags, uname and rump_syscall numbers are those
 * of the target C library's headers.  Everything comes from those headers;
 * the numbers the kernel must use are asserted at compile time.  Built by
 * apps/tests/cross.subr with the cross compiler against the cross-built
 * kernel, with CROSS_MACHINE the expected uname machine, and run under
 * qemu-user.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <rump/rump.h>
#include <rump/rump_syscalls.h>

_Static_assert(SYS_openat == 56 && SYS_close == 57, "generic numbering");
_Static_assert(sizeof(struct stat) == 128, "generic struct stat");
_Static_assert(sizeof(struct epoll_event) == 16, "unpacked epoll_event");
#ifdef SYS_open
#error "SYS_open exists: not the generic system call table"
#endif
#if defined(__riscv) && defined(SYS_renameat)
#error "SYS_renameat exists: not riscv64's table"
#endif
#ifndef CROSS_MACHINE
#error "CROSS_MACHINE (the expected uname machine) not given"
#endif

static int failed;

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		printf("FAIL line %d: %s (errno %d)\n", __LINE__, #cond, errno); \
		failed = 1;						\
	}								\
} while (0)

int
main(void)
{
	long args[6], rv[2];
	struct stat st;
	struct statfs sf;
	struct utsname u;
	char buf[64];
	int fd;

	CHECK(rump_init() == 0);

	/* The numeric entry with the target's numbers. */
	args[0] = AT_FDCWD; args[1] = (long)"/f";
	args[2] = O_CREAT | O_WRONLY; args[3] = 0640;
	CHECK(rump_syscall(SYS_openat, args, rv) == 0);
	fd = (int)rv[0];
	CHECK(rump_sys_write(fd, "hello", 5) == 5);
	args[0] = fd;
	CHECK(rump_syscall(SYS_close, args, rv) == 0);
	args[0] = fd;
	CHECK(rump_syscall(SYS_close, args, rv) == EBADF);
	/* 2 is x86_64's open; here io_cancel, which the kernel lacks. */
	args[0] = (long)"/f"; args[1] = O_RDONLY;
	CHECK(rump_syscall(2, args, rv) == ENOSYS);
#ifdef __riscv
	/* 38 is aarch64's renameat; riscv64 has only renameat2. */
	args[0] = AT_FDCWD; args[1] = (long)"/f"; args[2] = AT_FDCWD;
	args[3] = (long)"/f2";
	CHECK(rump_syscall(38, args, rv) == ENOSYS);
#endif
	/* The typed renameat works everywhere (through renameat2). */
	CHECK(rump_sys_renameat(AT_FDCWD, "/f", AT_FDCWD, "/f2") == 0);
	CHECK(rump_sys_renameat(AT_FDCWD, "/f2", AT_FDCWD, "/f") == 0);

	/* struct stat as the target's C library lays it out. */
	memset(&st, 0xa5, sizeof(st));
	CHECK(rump_sys_stat("/f", &st) == 0);
	CHECK(st.st_size == 5);
	CHECK(S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0640);
	CHECK(st.st_nlink == 1);
	CHECK(st.st_blksize > 0 && st.st_blksize <= 65536);
	CHECK(st.st_uid == 0 && st.st_gid == 0);
	CHECK(st.st_mtim.tv_sec > 0 && st.st_mtim.tv_nsec >= 0 &&
	    st.st_mtim.tv_nsec < 1000000000);
	CHECK(rump_sys_link("/f", "/g") == 0);
	CHECK(rump_sys_mkdir("/d", 0755) == 0);
	CHECK(rump_sys_symlink("f", "/l") == 0);
	memset(&st, 0xa5, sizeof(st));
	args[0] = AT_FDCWD; args[1] = (long)"/g"; args[2] = (long)&st;
	args[3] = 0;
	CHECK(rump_syscall(SYS_newfstatat, args, rv) == 0);
	CHECK(st.st_nlink == 2 && st.st_size == 5);
	CHECK(rump_sys_stat("/d", &st) == 0);
	CHECK(S_ISDIR(st.st_mode) && st.st_nlink == 2);
	CHECK(rump_sys_lstat("/l", &st) == 0);
	CHECK(S_ISLNK(st.st_mode) && st.st_size == 1);

	/* The O_* values that differ between architectures (arm64 has its
	 * own, riscv64 asm-generic's). */
	errno = 0;
	CHECK(rump_sys_open("/f", O_RDONLY | O_DIRECTORY) == -1 &&
	    errno == ENOTDIR);
	errno = 0;
	CHECK(rump_sys_open("/l", O_RDONLY | O_NOFOLLOW) == -1 &&
	    errno == ELOOP);
	fd = rump_sys_open("/d", O_RDONLY | O_DIRECTORY);
	CHECK(fd >= 0);

	/* The legacy typed calls work through the *at calls. */
	CHECK(rump_sys_dup2(fd, fd) == fd);
	CHECK(rump_sys_dup2(fd, 9) == 9);
	CHECK(rump_sys_close(9) == 0);
	errno = 0;
	CHECK(rump_sys_dup2(9, 9) == -1 && errno == EBADF);
	CHECK(rump_sys_readlink("/l", buf, sizeof(buf)) == 1 && buf[0] == 'f');
	CHECK(rump_sys_access("/f", R_OK | W_OK) == 0);
	CHECK(rump_sys_chmod("/f", 0600) == 0);
	CHECK(rump_sys_chown("/f", 5, 6) == 0);
	CHECK(rump_sys_lchown("/l", 7, 8) == 0);
	CHECK(rump_sys_fstat(fd, &st) == 0 && S_ISDIR(st.st_mode));
	CHECK(rump_sys_stat("/l", &st) == 0 && st.st_uid == 5 &&
	    st.st_gid == 6 && (st.st_mode & 07777) == 0600);
	CHECK(rump_sys_rename("/g", "/d/g") == 0);
	CHECK(rump_sys_unlink("/d/g") == 0);
	CHECK(rump_sys_rmdir("/d") == 0);

	/* struct statfs and uname. */
	CHECK(rump_sys_statfs("/", &sf) == 0);
	CHECK(sf.f_type == 0x01021994 && sf.f_bsize > 0 && sf.f_namelen == 255);
	CHECK(rump_sys_uname(&u) == 0);
	CHECK(strcmp(u.machine, CROSS_MACHINE) == 0);

	/* struct epoll_event as the C library lays it out: 64-bit data
	 * after 32-bit events, naturally aligned. */
	{
		struct epoll_event ev, out[2];
		int ep, efd;

		ep = rump_sys_epoll_create1(0);
		efd = rump_sys_eventfd2(1, 0);
		CHECK(ep >= 0 && efd >= 0);
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN;
		ev.data.u64 = 0x1122334455667788ull;
		CHECK(rump_sys_epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev) == 0);
		memset(out, 0xa5, sizeof(out));
		CHECK(rump_sys_epoll_wait(ep, out, 2, 0) == 1);
		CHECK(out[0].events == EPOLLIN &&
		    out[0].data.u64 == 0x1122334455667788ull);
		CHECK(out[1].events == 0xa5a5a5a5);
	}

	printf(failed ? "some checks failed\n" : CROSS_MACHINE " ABI ok\n");
	return failed;
}
