#! /usr/bin/env atf-sh
#
# t_cross_aarch64: the tree cross-builds for aarch64 (kernel, posix
# platform, demo) and the result speaks the Linux aarch64 system call ABI:
# the demo, compiled against the aarch64 C library's <sys/stat.h>, runs
# under qemu-aarch64, and a small program checks struct stat fields and
# system call numbers against the aarch64 headers.  The fiber platform is
# not built: it needs liburing, which Debian does not ship for arm64 as a
# cross library.
#
# Needs gcc-aarch64-linux-gnu (which brings libc6-dev-arm64-cross and the
# aarch64 binutils) and qemu-user; skipped without them.

CROSS=aarch64-linux-gnu-
SYSROOT=/usr/aarch64-linux-gnu

# Skip the test case unless the cross compiler and its C library, or
# qemu, are there.
require_cross_cc()
{
	command -v ${CROSS}gcc >/dev/null 2>&1 ||
	    atf_skip "${CROSS}gcc not found (apt-get install gcc-aarch64-linux-gnu)"
	[ -f $SYSROOT/include/stdio.h ] ||
	    atf_skip "no aarch64 C library in $SYSROOT (apt-get install libc6-dev-arm64-cross)"
}
require_qemu()
{
	command -v qemu-aarch64 >/dev/null 2>&1 ||
	    atf_skip "qemu-aarch64 not found (apt-get install qemu-user)"
}

# Builds kernel, posix platform and apps for aarch64, warnings as errors,
# into ./out: exactly what README.md documents for a cross build.
cross_build()
{
	topdir=$(atf_config_get topdir)
	# Run make as a user would, not as a child of `make check` (whose
	# CC, O=, jobserver must not leak in).  Not sanitized even under
	# make check SANITIZE=...: Debian has no sanitizer runtimes for the
	# cross targets, and this test is about the target's ABI.
	unset MAKEFLAGS MFLAGS MAKEOVERRIDES MAKELEVEL SANITIZE
	make=$(atf_config_get make make)
	if ! $make -C "$topdir" -j2 O="$(pwd)/out" CROSS_COMPILE=$CROSS \
	    WERROR=1 PLATFORM=posix KERNEL_TEST_PLATFORMS=posix \
	    APP_PLATFORMS=posix BENCH_PLATFORMS=posix all >log 2>&1; then
		cat log
		atf_fail "the aarch64 cross build failed"
	fi
	if grep -i 'warning:' log; then
		atf_fail "the aarch64 cross build has warnings"
	fi
}

atf_test_case demo
demo_head()
{
	atf_set "descr" "kernel, posix platform and demo cross-build for aarch64 warning-free, and the demo runs under qemu-aarch64"
	atf_set "require.progs" "make"
	atf_set "timeout" "600"
}
demo_body()
{
	require_cross_cc
	require_qemu
	cross_build
	atf_check -o match:"all steps worked" -e ignore \
	    qemu-aarch64 -L $SYSROOT out/prefix/bin/strata-demo
}

atf_test_case abi
abi_head()
{
	atf_set "descr" "on aarch64, struct stat, statfs, O_* flags, uname and rump_syscall numbers are those of the aarch64 C library's headers"
	atf_set "require.progs" "make pkg-config"
	atf_set "timeout" "600"
}
abi_body()
{
	require_cross_cc
	require_qemu
	cross_build
	# Everything comes from the aarch64 C library's headers; the numbers
	# the kernel must use are asserted at compile time.
	cat >abi.c <<'EOF'
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <rump/rump.h>
#include <rump/rump_syscalls.h>

_Static_assert(SYS_openat == 56 && SYS_close == 57, "aarch64 numbering");
_Static_assert(sizeof(struct stat) == 128, "aarch64 struct stat");
#ifdef SYS_open
#error "SYS_open exists: not the aarch64 (generic) system call table"
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

	/* The numeric entry with the aarch64 numbers. */
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

	/* struct stat as the aarch64 C library lays it out. */
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

	/* The O_* values arm64 defines differently from x86_64. */
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
	CHECK(strcmp(u.machine, "aarch64") == 0);

	printf(failed ? "some checks failed\n" : "aarch64 ABI ok\n");
	return failed;
}
EOF
	pc="env PKG_CONFIG_PATH=$(pwd)/out/prefix/lib/pkgconfig pkg-config"
	pkgs="rumpfs_tmpfs rumpuser-posix"
	if ! ${CROSS}gcc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror \
	    $($pc --cflags $pkgs) -o abi abi.c $($pc --libs $pkgs) 2>cc.log; then
		cat cc.log
		atf_fail "abi.c does not compile for aarch64"
	fi
	atf_check -o match:"aarch64 ABI ok" -e ignore \
	    qemu-aarch64 -L $SYSROOT ./abi
}

atf_test_case numbers
numbers_head()
{
	atf_set "descr" "every system call number of kernel/arch/aarch64 is the aarch64 header's __NR_ of that name"
}
numbers_body()
{
	require_cross_cc
	topdir=$(atf_config_get topdir)
	nr=$topdir/kernel/arch/aarch64/include/machine/syscall_nr.h
	awk '$1 == "#define" && $2 ~ /^SYS_/ && $2 != "SYS_MAXSYSCALL" {
		sub(/^SYS_/, "", $2); print $2, $3 }' "$nr" >ours
	[ -s ours ] || atf_fail "no SYS_ numbers in $nr"
	# Ask the preprocessor for __NR_<name> of each; a name the headers
	# do not define (one newer than them, e.g. fchmodat2) stays as is.
	{ echo '#include <asm/unistd.h>'
	  awk '{ print "@", $1, "__NR_" $1 }' ours; } |
	    ${CROSS}gcc -E -P - | grep '^@' >theirs ||
	    atf_fail "cannot preprocess <asm/unistd.h> for aarch64"
	awk 'NR == FNR { ours[$1] = $2; next }
		$3 ~ /^__NR_/ { print "not in the headers (newer?): " $2 > "/dev/stderr"; next }
		{ v = $3; gsub(/[()]/, "", v)
		  if (ours[$2] != v) print $2 ": kernel " ours[$2] ", headers " v }' \
	    ours theirs >bad
	[ ! -s bad ] || { cat bad; atf_fail "system call numbers differ"; }
}

atf_init_test_cases()
{
	atf_add_test_case demo
	atf_add_test_case abi
	atf_add_test_case numbers
}
