#! /usr/bin/env atf-sh
#
# t_cross_aarch64: the tree cross-builds for aarch64 with gcc and with
# clang and speaks the Linux aarch64 ABI under qemu-aarch64; see
# cross.subr for what each case checks.  Needs gcc-aarch64-linux-gnu,
# libc6-dev-arm64-cross and qemu-user (clang for the clang case; the
# target's liburing from mk/cross-liburing.sh for the fiber platform);
# skipped without them.

TRIPLE=aarch64-linux-gnu
MACHINE=aarch64
LIBCPKG=libc6-dev-arm64-cross

# The test cases are cross.subr's, the same for every target.
atf_init_test_cases()
{
	. "$(atf_config_get topdir)/apps/tests/cross.subr"
	cross_test_cases
}
